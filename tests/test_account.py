"""My account: any logged-in user changes their own password and language."""

from __future__ import annotations

import pytest

from backoffice.models import AuditEntry, Staff
from tests.conftest import AuthActions, csrf_token
from tests.factories import PASSWORD

NEW = "battery-staple-2"


def account_token(client) -> str:
    page = client.get("/account")
    assert page.status_code == 200
    return csrf_token(page.get_data(as_text=True))


def change_password(client, current, new, again=None):
    return client.post("/account/password", data={
        "csrf_token": account_token(client), "current_password": current,
        "new_password": new, "confirm_password": new if again is None else again})


@pytest.mark.parametrize("role", ["admin", "harbin_manager", "harbin_engineer", "viewer"])
def test_every_role_opens_the_page_from_the_navbar(client, auth, world, role):
    auth.login(role)
    home = client.get("/admin/").get_data(as_text=True)
    assert 'href="/account"' in home
    body = client.get("/account").get_data(as_text=True)
    assert "Change my password" in body and "My language" in body
    assert "Log out" in body and "Customer file" in body  # the admin's own layout and menu


def test_change_password_ends_other_sessions_only(app, client, auth, world):
    other = app.test_client()
    AuthActions(other).login("harbin_manager")
    assert other.get("/admin/customer/").status_code == 200
    auth.login("harbin_manager")
    response = change_password(client, PASSWORD, NEW)
    assert response.status_code == 302 and response.location.endswith("/account")
    page = client.get("/account").get_data(as_text=True)
    assert "Your password has been changed" in page
    assert client.get("/admin/customer/").status_code == 200  # this session stays
    assert other.get("/admin/customer/").status_code == 302  # the other one is logged out
    staff = Staff.get(Staff.username == "harbin_manager")
    assert staff.check_password(NEW) and not staff.check_password(PASSWORD)
    # the audit trail has the change, never the hash
    entry = AuditEntry.select().where(AuditEntry.table == "staff",
                                      AuditEntry.row_id == staff.id,
                                      AuditEntry.action == "update").order_by(
        AuditEntry.id.desc()).first()
    assert entry is not None and staff.password_hash not in entry.changes
    # old password refused, new one works
    fresh = app.test_client()
    assert AuthActions(fresh).login("harbin_manager", PASSWORD, follow=False).status_code == 401
    assert AuthActions(fresh).login("harbin_manager", NEW, follow=False).status_code == 302


@pytest.mark.parametrize(("current", "new", "again", "message"), [
    ("wrong-password-9", NEW, None, "This is not your current password."),
    (PASSWORD, NEW, "battery-staple-3", "The two new passwords differ."),
    (PASSWORD, "short1", None, "A password needs at least 8 characters."),
])
def test_bad_change_is_a_form_error_and_changes_nothing(client, auth, world, current, new,
                                                        again, message):
    before = Staff.get(Staff.username == "harbin_engineer")
    auth.login("harbin_engineer")
    response = change_password(client, current, new, again)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and "field-error" in body
    after = Staff.get(Staff.username == "harbin_engineer")
    assert (after.password_hash, after.session_epoch, after.version) == (
        before.password_hash, before.session_epoch, before.version)
    assert client.get("/admin/").status_code == 200  # still logged in


def test_guessing_the_current_password_is_throttled(app, client, auth, world):
    app.config["LOGIN_MAX_FAILURES"] = 2
    auth.login("viewer")
    for _attempt in range(2):
        assert change_password(client, "wrong-password-9", NEW).status_code == 400
    response = change_password(client, PASSWORD, NEW)  # even the right one, for a while
    assert response.status_code == 429 and "Too many failed attempts" in response.get_data(
        as_text=True)
    assert Staff.get(Staff.username == "viewer").check_password(PASSWORD)


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en", ""])
def test_language_change_persists(app, client, auth, world, language):
    Staff.update(language="en" if language != "en" else "zh_Hans_CN").where(
        Staff.username == "viewer").execute()
    auth.login("viewer")
    response = client.post("/account/language", data={"csrf_token": account_token(client),
                                                       "language": language})
    assert response.status_code == 302
    assert Staff.get(Staff.username == "viewer").language == language
    # a new session of the same account gets it too
    other = app.test_client()
    AuthActions(other).login("viewer")
    page = other.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ("退出登录" in page) == (language == "zh_Hans_CN")


def test_unknown_language_is_a_form_error(client, auth, world):
    auth.login("viewer")
    response = client.post("/account/language", data={"csrf_token": account_token(client),
                                                       "language": "fr"})
    assert response.status_code == 400 and "field-error" in response.get_data(as_text=True)
    assert Staff.get(Staff.username == "viewer").language == ""


@pytest.mark.parametrize("url", ["/account", "/account/password", "/account/language"])
def test_anonymous_goes_to_login(client, world, url):
    if url == "/account":
        response = client.get(url)
    else:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.location.startswith("/login?next=%2Faccount")


@pytest.mark.parametrize("url", ["/account/password", "/account/language"])
def test_csrf_missing_is_refused(client, auth, world, url):
    auth.login("harbin_manager")
    response = client.post(url, data={"current_password": PASSWORD, "new_password": NEW,
                                      "confirm_password": NEW, "language": "zh_Hans_CN"})
    assert response.status_code == 400
    staff = Staff.get(Staff.username == "harbin_manager")
    assert staff.check_password(PASSWORD) and staff.language == ""
