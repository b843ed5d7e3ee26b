"""Login, logout, the session's life and the login throttle (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice.db import acting_as
from backoffice.models import LoginAttempt, Staff
from backoffice.models.base import utcnow
from tests.conftest import AuthActions, csrf_token
from tests.factories import PASSWORD


def _logged_in_as(client) -> str | None:
    """The username shown in the admin layout, or None when sent to the login page."""
    response = client.get("/admin/")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return None
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page.split('class="navbar-text text-light ml-3 current-user"')[1].split(">")[1] \
        .split("(")[0].strip()


def test_login_page_has_a_form_with_csrf(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page
    assert csrf_token(page)


def test_login_and_logout(client, auth, world):
    response = auth.login("harbin_manager", PASSWORD, follow=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert _logged_in_as(client) == "harbin_manager"
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert _logged_in_as(client) is None


def test_anonymous_admin_goes_to_login_and_back(client, auth, world):
    response = client.get("/admin/?from=test")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    token = csrf_token(page)
    assert 'name="next"' in page and 'value="/admin/?from=test"' in page
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": token, "next": "/admin/?from=test"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/?from=test")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, world, target):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_is_refused_and_recorded(client, auth, world):
    response = auth.login("admin", "wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert _logged_in_as(client) is None
    attempt = LoginAttempt.get(LoginAttempt.username == "admin")
    assert attempt.success is False and attempt.remote_addr == "127.0.0.1"


def test_unknown_user_gets_the_same_message(client, auth, world):
    response = auth.login("nobody", PASSWORD)
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_success_is_recorded(client, auth, world):
    auth.login("viewer")
    assert [(a.username, a.success) for a in LoginAttempt.select()] == [("viewer", True)]


def test_empty_form_is_a_clear_message_and_nothing_recorded(client, world):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "", "password": "",
                                           "csrf_token": token})
    assert response.status_code == 400
    assert "Enter your username and password." in response.get_data(as_text=True)
    assert LoginAttempt.select().count() == 0


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert _logged_in_as(client) is None
    assert LoginAttempt.select().count() == 0


def test_logout_needs_post_and_csrf(client, auth, world):
    auth.login("admin")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert _logged_in_as(client) == "admin"
    auth.logout()
    assert _logged_in_as(client) is None


def test_inactive_account_cannot_log_in(client, auth, world):
    user = world.users["viewer"]
    with acting_as("tests"):
        user.active = False
        user.save()
    response = auth.login("viewer")
    assert response.status_code == 401
    assert _logged_in_as(client) is None


def test_deactivation_ends_open_sessions(client, auth, world):
    auth.login("viewer")
    assert _logged_in_as(client) == "viewer"
    user = Staff.get(Staff.username == "viewer")
    with acting_as("tests"):
        user.active = False
        user.save()
    assert _logged_in_as(client) is None


def test_password_change_ends_other_sessions(app, auth, world):
    other = app.test_client()
    auth.login("hq")
    token = csrf_token(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"username": "hq", "password": PASSWORD, "csrf_token": token})
    assert _logged_in_as(other) == "hq"
    user = Staff.get(Staff.username == "hq")
    with acting_as("tests"):
        user.set_password("a-new-password-2")
        user.save()
    assert _logged_in_as(auth.client) is None
    assert _logged_in_as(other) is None
    assert auth.login("hq", "a-new-password-2", follow=False).status_code == 302
    assert _logged_in_as(auth.client) == "hq"


def test_session_moving_to_another_browser_ends(client, auth, world):
    auth.login("admin")
    response = client.get("/admin/", headers={"User-Agent": "another-browser/1.0"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- throttle ---------------------------------------------------------------------

def test_throttle_locks_username_even_with_the_right_password(app, client, auth, world):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert auth.login("admin", "wrong-password").status_code == 401
    response = auth.login("admin", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_data(as_text=True)
    assert _logged_in_as(client) is None
    # another account from another address is not affected
    response = AuthActions(app.test_client()).login("hq", PASSWORD, follow=False,
                                                    remote_addr="10.0.0.9")
    assert response.status_code == 302


def test_throttle_counts_per_address_across_usernames(app, client, auth, world):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for n in range(limit):
        auth.login(f"guess{n}", "wrong-password")
    response = auth.login("admin", PASSWORD)
    assert response.status_code == 429
    assert _logged_in_as(client) is None


def test_throttle_counts_in_the_database_shared_by_instances(make_app, app, world):
    """Failures made through one app instance lock the account on another."""
    second = make_app()
    limit = app.config["LOGIN_MAX_FAILURES"]
    for n in range(limit):
        instance = app if n % 2 else second
        AuthActions(instance.test_client()).login("admin", "nope-nope", follow=False,
                                                  remote_addr=f"10.0.1.{n}")
    assert LoginAttempt.select().where(~LoginAttempt.success).count() == limit
    response = AuthActions(second.test_client()).login("admin", PASSWORD, follow=False,
                                                       remote_addr="10.0.2.1")
    assert response.status_code == 429


def test_throttle_lock_expires(app, client, auth, world):
    limit = app.config["LOGIN_MAX_FAILURES"]
    long_ago = utcnow() - dt.timedelta(minutes=app.config["LOGIN_LOCKOUT_MINUTES"] + 1)
    for _ in range(limit):
        LoginAttempt.create(username="admin", remote_addr="127.0.0.1", success=False,
                            at=long_ago)
    assert auth.login("admin", follow=False).status_code == 302


def test_failures_below_the_limit_are_forgiven_by_a_success(app, client, auth, world):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        LoginAttempt.create(username="admin", remote_addr="10.9.9.9", success=False)
    assert auth.login("admin", follow=False).status_code == 302
    auth.logout()
    LoginAttempt.create(username="admin", remote_addr="10.9.9.9", success=False)
    assert auth.login("admin", follow=False).status_code == 302


def test_configured_limit_applies(make_app, world):
    strict = make_app(login_max_failures=2)
    c = strict.test_client()
    for _ in range(2):
        token = csrf_token(c.get("/login").get_data(as_text=True))
        c.post("/login", data={"username": "admin", "password": "bad-bad-bad",
                               "csrf_token": token})
    token = csrf_token(c.get("/login").get_data(as_text=True))
    response = c.post("/login", data={"username": "admin", "password": PASSWORD,
                                      "csrf_token": token})
    assert response.status_code == 429


def test_throttle_counts_the_client_behind_a_trusted_proxy(make_app, db_url):
    """With trusted_proxies = 1 the address comes from X-Forwarded-For, so one client's
    failures do not lock out another client behind the same proxy."""
    from backoffice.models import LoginAttempt
    from tests.conftest import _fresh_database

    app = make_app(trusted_proxies=1, login_max_failures=2)
    _fresh_database(db_url)
    with app.app_context():
        from tests.factories import make_world
        make_world()
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    for _ in range(2):
        AuthActions(client).login("nobody", "wrong-password")
    with app.app_context():
        addresses = {a.remote_addr for a in LoginAttempt.select()}
    assert addresses == {"203.0.113.7"}
