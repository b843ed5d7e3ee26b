"""``backoffice users``: create, set-password, list; bad input is one line, exit 2, nothing written."""

from __future__ import annotations

import pytest

from backoffice.models import AuditEntry, Staff


def invoke(runner, *args, input=None):
    return runner.invoke(args=["users", *args], input=input)


def test_users_is_listed_in_help(runner):
    result = runner.invoke(args=["--help"])
    assert "users" in result.output


def test_create_with_password_on_stdin_then_log_in(runner, client, auth, world):
    result = invoke(runner, "create", "zhang.wei", "--role", "office_manager", "--office", "HRB",
                    "--name", "张伟", "--password-stdin", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "created user zhang.wei" in result.output
    staff = Staff.get(Staff.username == "zhang.wei")
    assert (staff.name, staff.role, staff.office.code) == ("张伟", "office_manager", "HRB")
    assert staff.password_hash and "s3cret-pass" not in staff.password_hash
    entry = AuditEntry.get((AuditEntry.table == "staff") & (AuditEntry.row_id == staff.id))
    assert entry.action == "create" and "s3cret" not in entry.changes
    assert auth.login("zhang.wei", "s3cret-pass", follow=False).status_code == 302


def test_create_prompts_twice_for_the_password(runner, app):
    result = invoke(runner, "create", "root", "--role", "admin",
                    input="first-admin-pw\nfirst-admin-pw\n")
    assert result.exit_code == 0, result.output
    assert Staff.get(Staff.username == "root").check_password("first-admin-pw")


def test_prompt_mismatch_asks_again(runner, app):
    result = invoke(runner, "create", "root", "--role", "admin",
                    input="first-admin-pw\nsomething-else\nsecond-try-pw\nsecond-try-pw\n")
    assert result.exit_code == 0, result.output
    assert Staff.get(Staff.username == "root").check_password("second-try-pw")


@pytest.mark.parametrize("args, stdin, message", [
    (["create", "x1", "--role", "boss", "--password-stdin"], "long-enough-1\n", "unknown role"),
    (["create", "x1", "--role", "engineer", "--password-stdin"], "long-enough-1\n",
     "belong to an office"),
    (["create", "x1", "--role", "engineer", "--office", "NOPE", "--password-stdin"],
     "long-enough-1\n", "no office with code 'NOPE'"),
    (["create", "x1", "--role", "admin", "--password-stdin"], "short\n", "at least 8"),
    (["create", "x1", "--role", "admin", "--password-stdin"], "\n", "no password"),
    (["create", "bad name", "--role", "admin", "--password-stdin"], "long-enough-1\n",
     "without spaces"),
    (["create", "admin", "--role", "admin", "--password-stdin"], "long-enough-1\n",
     "already exists"),
])
def test_create_refuses_bad_input(runner, world, args, stdin, message):
    before = (Staff.select().count(), AuditEntry.select().count())
    result = invoke(runner, *args, input=stdin)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert (Staff.select().count(), AuditEntry.select().count()) == before


def test_set_password_changes_it_and_ends_sessions(runner, client, auth, world):
    auth.login("viewer")
    assert client.get("/admin/").status_code == 200
    result = invoke(runner, "set-password", "viewer", "--password-stdin",
                    input="brand-new-pass\n")
    assert result.exit_code == 0, result.output
    assert client.get("/admin/").status_code == 302  # the open session ended
    assert auth.login("viewer", "brand-new-pass", follow=False).status_code == 302


def test_set_password_refuses_unknown_user_and_short_password(runner, world):
    result = invoke(runner, "set-password", "ghost", "--password-stdin", input="long-enough-1\n")
    assert result.exit_code == 2 and "no user named 'ghost'" in result.output
    old_hash = world.users["viewer"].password_hash
    result = invoke(runner, "set-password", "viewer", "--password-stdin", input="short\n")
    assert result.exit_code == 2 and "at least 8" in result.output
    assert Staff.get(Staff.username == "viewer").password_hash == old_hash


def test_list_shows_every_account(runner, world):
    result = invoke(runner, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["username", "name", "role", "office", "active"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(world.users)
    assert rows["harbin_manager"][2:] == ["office_manager", "HRB", "yes"]
    assert rows["admin"][2:] == ["admin", "-", "yes"]


def test_deactivate_ends_sessions_and_refuses_login_until_activated(runner, client, auth, world):
    auth.login("harbin_engineer")
    assert client.get("/admin/").status_code == 200
    result = invoke(runner, "deactivate", "harbin_engineer")
    assert result.exit_code == 0 and "deactivated harbin_engineer" in result.output
    assert client.get("/admin/").status_code == 302
    assert auth.login("harbin_engineer", follow=False).status_code == 401
    assert invoke(runner, "activate", "harbin_engineer").exit_code == 0
    assert auth.login("harbin_engineer", follow=False).status_code == 302
    assert invoke(runner, "deactivate", "ghost").exit_code == 2
