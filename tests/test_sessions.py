"""Logout, deactivation and a password change end every session of the account for good.

Sessions are signed cookies, so the server cannot delete one: a copy taken
before logging out used to work after it, and a session left idle while its
account was deactivated came back once the account was re-activated. Each
session now carries the account's session generation (``Staff.session_epoch``)
and every request compares it with the one in the database.
"""

from __future__ import annotations

from backoffice.db import acting_as
from backoffice.models import AuditEntry, Staff
from tests.conftest import AuthActions
from tests.factories import PASSWORD


def _logged_in(client) -> bool:
    response = client.get("/admin/")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def _copy_of(client, app):
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def _save(staff, **changes):
    with acting_as("tests"):
        for name, value in changes.items():
            setattr(staff, name, value)
        staff.save()


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, auth, world):
    auth.login("hq")
    copy = _copy_of(client, app)
    assert _logged_in(copy)
    auth.logout()
    assert not _logged_in(client)
    assert not _logged_in(copy)


def test_the_same_browser_putting_its_old_cookie_back_is_refused(app, client, auth, world):
    auth.login("hq")
    old = client.get_cookie("session").value
    auth.logout()
    client.set_cookie("session", old)
    assert not _logged_in(client)


def test_logout_ends_every_session_of_the_account(app, client, auth, world):
    other = AuthActions(app.test_client())
    auth.login("hq")
    other.login("hq")
    assert _logged_in(other.client)
    auth.logout()
    assert not _logged_in(other.client)
    # ...and logging in again works, in both browsers
    assert auth.login("hq", follow=False).status_code == 302
    assert other.login("hq", follow=False).status_code == 302
    assert _logged_in(client) and _logged_in(other.client)


def test_logout_is_not_a_change_of_the_staff_record(app, client, auth, world):
    auth.login("hq")
    before = Staff.get(Staff.username == "hq")
    audit_count = AuditEntry.select().count()
    auth.logout()
    after = Staff.get(Staff.username == "hq")
    assert after.version == before.version  # an open edit form of the account stays valid
    assert after.session_epoch == before.session_epoch + 1
    assert AuditEntry.select().count() == audit_count


def test_a_session_idle_while_deactivated_stays_ended_after_reactivation(app, client, auth,
                                                                        world):
    auth.login("viewer")
    assert _logged_in(client)
    staff = Staff.get(Staff.username == "viewer")
    _save(staff, active=False)  # no request from the session meanwhile
    _save(staff, active=True)
    assert not _logged_in(client)
    assert auth.login("viewer", follow=False).status_code == 302  # a new login works


def test_deactivation_through_the_cli_ends_sessions_for_good(app, client, auth, world, runner):
    auth.login("viewer")
    copy = _copy_of(client, app)
    assert runner.invoke(args=["users", "deactivate", "viewer"]).exit_code == 0
    assert runner.invoke(args=["users", "activate", "viewer"]).exit_code == 0
    assert not _logged_in(client)
    assert not _logged_in(copy)


def test_a_password_change_ends_a_copied_session_for_good(app, client, auth, world):
    auth.login("hq")
    copy = _copy_of(client, app)
    staff = Staff.get(Staff.username == "hq")
    staff.set_password("a-new-password-2")
    _save(staff)
    staff.set_password(PASSWORD)  # and back again: the old sessions do not come back
    _save(staff)
    assert not _logged_in(client)
    assert not _logged_in(copy)


def test_a_save_from_a_form_loaded_before_a_logout_does_not_revive_old_sessions(
        app, client, auth, world):
    """An administrator opened the account before its user logged out, and saves after."""
    auth.login("hq")
    copy = _copy_of(client, app)
    opened = Staff.get(Staff.username == "hq")  # what the administrator's form holds
    auth.logout()
    _save(opened, phone="+86 451 0000 0000")
    assert not _logged_in(copy)
    assert Staff.get(Staff.username == "hq").phone == "+86 451 0000 0000"


def test_other_changes_keep_the_sessions(app, client, auth, world):
    auth.login("hq")
    staff = Staff.get(Staff.username == "hq")
    _save(staff, phone="+86 20 0000 0000", skills="UPS")
    assert _logged_in(client)
