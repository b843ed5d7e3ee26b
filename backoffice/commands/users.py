"""``backoffice users``: create accounts, set passwords, (de)activate and list them.

Nothing creates accounts implicitly; in production the first administrator is
made with ``backoffice users create NAME --role admin``. Passwords are prompted
twice (hidden) on the terminal, or read from the first line of standard input
with ``--password-stdin`` (for scripts; without a terminal and without it, the
command refuses at once). Bad input prints one line and exits with 2; nothing is
written.
"""

from __future__ import annotations

import io
import os
import sys

import click
from flask.cli import with_appcontext
from peewee import JOIN

from ..i18n import _
from ..models import Office, RuleViolation, Staff
from ..services import users as user_service
from . import TEXT, Group, acting_user, as_option, fail


def _no_terminal() -> bool:
    """True when standard input is a real file that is not a terminal (a pipe, a file,
    /dev/null): there is nobody to ask. A test runner's in-memory input is no file and
    is read like a terminal."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return False
    return not os.isatty(fd)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        try:
            line = sys.stdin.readline()
        except UnicodeDecodeError:
            fail(_("the password on standard input is not UTF-8 text"))
        password = line.rstrip("\r\n")
        if not password:
            fail(_("no password on standard input"))
        return password
    if _no_terminal():
        fail(_("standard input is not a terminal, so the password cannot be asked for: "
               "pass it with --password-stdin"))
    try:
        return click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    except click.exceptions.Abort:  # end of input (or Ctrl+C) before a password
        fail(_("no password given: nothing written"))


@click.group("users", cls=Group, help="User accounts: create, set passwords, list.")
def users():
    pass


@users.command("create", help="Create a user account (the password is asked for).")
@click.argument("username", type=TEXT)
@click.option("--role", required=True, type=TEXT,
              help="admin, hq, office_manager, engineer or viewer.")
@click.option("--office", "office_code", default=None, type=TEXT,
              help="Office code (managers, engineers).")
@click.option("--name", default=None, type=TEXT, help="Display name (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@as_option
@with_appcontext
def create(username, role, office_code, name, password_stdin, as_user):
    actor = acting_user(as_user)
    try:  # everything but the password first: no prompt for an account that cannot be made
        user_service.check_username(username)
    except RuleViolation as exc:
        fail(str(exc))
    password = _read_password(password_stdin)
    try:
        staff = user_service.create(actor, username, role=role, password=password,
                                    office_code=office_code, name=name)
    except RuleViolation as exc:
        fail(str(exc))
    click.echo(_("created user %(name)s (%(role)s)", name=staff.username, role=staff.role))


def _staff(username: str):
    staff = user_service.by_username(username)
    if staff is None:
        fail(_("no user named %(name)r", name=username))
    return staff


@users.command("set-password", help="Set a user's password; their open sessions end.")
@click.argument("username", type=TEXT)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@as_option
@with_appcontext
def set_password(username, password_stdin, as_user):
    actor = acting_user(as_user)
    staff = _staff(username)
    password = _read_password(password_stdin)
    try:
        user_service.set_password(actor, staff, password)
    except RuleViolation as exc:
        fail(str(exc))
    click.echo(_("password changed for %(name)s", name=staff.username))


def _set_active(username: str, active: bool, as_user) -> None:
    actor = acting_user(as_user)
    try:
        user_service.set_active(actor, _staff(username), active)
    except RuleViolation as exc:
        fail(str(exc))


@users.command("deactivate", help="Stop a user from logging in; their open sessions end.")
@click.argument("username", type=TEXT)
@as_option
@with_appcontext
def deactivate(username, as_user):
    _set_active(username, False, as_user)
    click.echo(_("deactivated %(name)s", name=username))


@users.command("activate", help="Let a deactivated user log in again.")
@click.argument("username", type=TEXT)
@as_option
@with_appcontext
def activate(username, as_user):
    _set_active(username, True, as_user)
    click.echo(_("activated %(name)s", name=username))


@users.command("list", help="List user accounts.")
@with_appcontext
def list_users():
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
