"""The ``backoffice`` command's sub-commands, one module per area; each exposes ``COMMANDS``.

What they share lives here: :func:`fail` (one line on stderr, exit 2: the CLI's
promise for bad input) and :func:`acting_user` (``--as USER``: the change is
checked by the access module as that user; without it, the command line acts as
the operator, recorded as ``cli:<login name>``).
"""

from __future__ import annotations

import sys

import click

from ..access import OPERATOR, Operator
from ..db import current_actor
from ..i18n import _
from ..services import users as user_service


def fail(message: str, code: int = 2):
    """Print one line and stop with ``code``."""
    click.echo(_("error: %(message)s", message=" ".join(str(message).split())), err=True)
    sys.exit(code)


def acting_user(username: str | None):
    """The user a command acts as: ``--as USER`` (must exist and be active), else the
    operator under the command line's name."""
    if not username:
        name = current_actor().name
        return OPERATOR if name == OPERATOR.name else Operator(name)
    staff = user_service.by_username(username)
    if staff is None or not staff.active:
        fail(_("no active user named %(name)r (for --as)", name=username))
    return staff


def as_option(function):
    """The ``--as USER`` option every changing command takes."""
    return click.option("--as", "as_user", default=None, metavar="USER",
                        help="Act as this user: their role and offices decide what is "
                             "allowed, and the change is recorded against them (default: "
                             "the operator, recorded as cli:<your login name>).")(function)
