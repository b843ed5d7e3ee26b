"""The ``backoffice`` command's sub-commands, one module per area; each exposes ``COMMANDS``.

What they share lives here: :func:`fail` (one line on stderr, exit 2: the CLI's
promise for bad input), :class:`Command` and :class:`Group` (the classes every
command and group uses, so that click's own refusals, an unknown option, a value
out of range, a missing argument, keep that promise too: one line, not click's
usage block), :data:`TEXT` (the type of every text argument: no NUL, no control
character, no undecodable byte) and :func:`acting_user` (``--as USER``: the
change is checked by the access module as that user; without it, the command
line acts as the operator, recorded as ``cli:<login name>``).
"""

from __future__ import annotations

import sys
import unicodedata

import click
from flask.cli import AppGroup

from ..access import OPERATOR, Operator
from ..db import current_actor
from ..i18n import _
from ..services import users as user_service


def one_line(message) -> str:
    """``message`` as the one line the command line prints for a refusal."""
    return _("error: %(message)s", message=" ".join(str(message).split()))


def fail(message: str, code: int = 2):
    """Print one line and stop with ``code``."""
    click.echo(one_line(message), err=True)
    sys.exit(code)


class Refused(click.ClickException):
    """A refusal click itself found (bad option, value, argument): one line, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(one_line(self.format_message()), err=True)


def refusal(exc: click.ClickException) -> Refused:
    """Click's exception as one line that names the command, e.g.
    ``error: Invalid value for '--units': ... (backoffice demo --help)``."""
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message = f"{message} ({ctx.command_path} --help)"
    return Refused(message)


def show_help(exc: click.exceptions.NoArgsIsHelpError):
    """A group named without a command is a question, not a mistake: its help on
    standard output, exit 0 (click would print it on stderr with exit 2)."""
    click.echo(exc.ctx.get_help())
    exc.ctx.exit(0)


class _OneLine:
    """Turns click's usage errors, raised while parsing this command's arguments (or
    resolving a group's sub-command), into :class:`Refused`."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            show_help(exc)
        except click.UsageError as exc:
            raise refusal(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Refused:
            raise
        except click.exceptions.NoArgsIsHelpError as exc:  # a library's group, bare
            show_help(exc)
        except click.ClickException as exc:  # a group's unknown command, a file click opened
            raise refusal(exc) from None


class Command(_OneLine, click.Command):
    """Every ``backoffice`` command: click's refusals in one line, exit 2."""


class Group(_OneLine, click.Group):
    """Every ``backoffice`` group; its commands and sub-groups are of these classes."""

    command_class = Command
    group_class = type


class AppCommands(_OneLine, AppGroup):
    """The app's ``app.cli`` (:func:`backoffice.cli.init_app` puts it there): every command
    attached to it, a library's too (flask-smorest's ``openapi``), refuses in one line."""


class CleanText(click.ParamType):
    """Text from the command line: refused with one line if it holds a NUL or another
    control character (tab and newline aside) or bytes that are not UTF-8 (Python
    hands those over as lone surrogates, which no database can store or compare)."""

    name = "text"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        for char in value:
            if unicodedata.category(char) in ("Cc", "Cs") and char not in "\t\n":
                shown = ascii(value[:40]) + ("..." if len(value) > 40 else "")
                self.fail(_("%(value)s holds the character %(char)s, which text may not "
                            "hold", value=shown, char=f"U+{ord(char):04X}"), param, ctx)
        return value


#: the type of every text argument and option of the back-office's commands
TEXT = CleanText()


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
    return click.option("--as", "as_user", type=TEXT, default=None, metavar="USER",
                        help="Act as this user: their role and offices decide what is "
                             "allowed, and the change is recorded against them (default: "
                             "the operator, recorded as cli:<your login name>).")(function)
