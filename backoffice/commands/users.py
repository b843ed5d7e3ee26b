"""``backoffice users``: create accounts, set passwords, (de)activate and list them.

Nothing creates accounts implicitly; in production the first administrator is
made with ``backoffice users create NAME --role admin``. Passwords are prompted
twice (hidden) or read from the first line of standard input with
``--password-stdin`` (for scripts). Bad input prints one line and exits with 2;
nothing is written.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..i18n import _


def _fail(message: str):
    from ..cli import fail
    fail(message)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            _fail(_("no password on standard input"))
        return password
    return click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)


def _save(staff) -> None:
    from ..models import RuleViolation
    try:
        staff.save()
    except RuleViolation as exc:
        _fail(str(exc))


@click.group("users", help="User accounts: create, set passwords, list.")
def users():
    pass


@users.command("create", help="Create a user account (the password is asked for).")
@click.argument("username")
@click.option("--role", required=True, help="admin, hq, office_manager, engineer or viewer.")
@click.option("--office", "office_code", default=None, help="Office code (managers, engineers).")
@click.option("--name", default=None, help="Display name (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create(username, role, office_code, name, password_stdin):
    from ..models import Office, Role, RuleViolation, Staff
    username = username.strip()
    if not username or len(username) > 40 or any(c.isspace() for c in username):
        _fail(_("a username is 1 to 40 characters without spaces: %(name)r", name=username))
    if role not in Role.ALL:
        _fail(_("unknown role %(role)r; choose one of %(roles)s", role=role,
                roles=", ".join(Role.ALL)))
    if Staff.select().where(Staff.username == username).exists():
        _fail(_("a user named %(name)r already exists", name=username))
    office = None
    if office_code:
        office = Office.get_or_none(Office.code == office_code)
        if office is None:
            _fail(_("no office with code %(code)r", code=office_code))
    staff = Staff(username=username, name=name or username, role=role, office=office)
    try:
        staff.validate()
    except RuleViolation as exc:
        _fail(str(exc))
    password = _read_password(password_stdin)
    try:
        staff.set_password(password)
    except RuleViolation as exc:
        _fail(str(exc))
    _save(staff)
    click.echo(_("created user %(name)s (%(role)s)", name=username, role=role))


@users.command("set-password", help="Set a user's password; their open sessions end.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def set_password(username, password_stdin):
    from ..models import RuleViolation, Staff
    staff = Staff.get_or_none(Staff.username == username)
    if staff is None:
        _fail(_("no user named %(name)r", name=username))
    password = _read_password(password_stdin)
    try:
        staff.set_password(password)
    except RuleViolation as exc:
        _fail(str(exc))
    _save(staff)
    click.echo(_("password changed for %(name)s", name=username))


def _set_active(username: str, active: bool) -> None:
    from ..models import Staff
    staff = Staff.get_or_none(Staff.username == username)
    if staff is None:
        _fail(_("no user named %(name)r", name=username))
    staff.active = active
    _save(staff)


@users.command("deactivate", help="Stop a user from logging in; their open sessions end.")
@click.argument("username")
@with_appcontext
def deactivate(username):
    _set_active(username, False)
    click.echo(_("deactivated %(name)s", name=username))


@users.command("activate", help="Let a deactivated user log in again.")
@click.argument("username")
@with_appcontext
def activate(username):
    _set_active(username, True)
    click.echo(_("activated %(name)s", name=username))


@users.command("list", help="List user accounts.")
@with_appcontext
def list_users():
    from peewee import JOIN

    from ..models import Office, Staff
    rows = (Staff.select(Staff, Office).join(Office, JOIN.LEFT_OUTER)
            .order_by(Staff.username))
    header = (_("username"), _("name"), _("role"), _("office"), _("active"))
    lines = [header] + [
        (s.username, s.name, s.role, s.office.code if s.office_id else "-",
         _("yes") if s.active else _("no"))
        for s in rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(line, widths)).rstrip())


COMMANDS = [users]
