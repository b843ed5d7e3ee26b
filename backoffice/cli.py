"""The ``backoffice`` command: a Flask CLI group with the back-office's own commands.

Commands are attached to the app's own ``app.cli`` in :func:`init_app` (so the
test runner and ``flask`` see them too); ``backoffice/commands/<area>.py``
modules each contribute a ``COMMANDS`` list.

Bad input never prints a traceback: one line on stderr and exit status 2
(configuration errors, unknown records, rule violations, and click's own
refusals: an unknown command or option, a value out of range). Flask's ``run``
is kept, with its host and port checked the way ``up`` checks them.
"""

from __future__ import annotations

import copy
import functools
import getpass
import re
import sys

import click
import peewee
from flask import current_app
from flask.cli import (
    CertParamType,
    FlaskGroup,
    routes_command,
    run_command,
    shell_command,
    with_appcontext,
)
from werkzeug.serving import is_running_from_reloader

from . import create_app, migrate
from .commands import TEXT, AppCommands, Command, Group, Refused, fail, refusal
from .commands import demo as demo_commands
from .commands import rules as rule_commands
from .commands import tickets as ticket_commands
from .commands import users as user_commands
from .commands import worker as worker_commands
from .config import ConfigError
from .db import acting_as
from .i18n import _

#: every area's commands, in the order ``backoffice --help`` lists them
COMMAND_MODULES = [demo_commands, user_commands, rule_commands, ticket_commands,
                   worker_commands]

#: a migration's name: it becomes part of a file name in migrations/
MIGRATION_NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False,
             add_default_commands=False,
             help="Service back-office: administration, demo data and rules.")
def cli():
    pass


def flask_command(command: click.Command, before=None) -> Command:
    """Flask's own ``command`` (run, shell, routes) as one of ours, so that click's refusals
    are one line there too; ``before(**params)`` runs first."""
    original = callback = command.callback
    if before is not None:
        @functools.wraps(original)
        def checked(*args, **kwargs):
            before(**kwargs)
            return original(*args, **kwargs)
        callback = checked
    params = [_checked_cert(p) if isinstance(p.type, CertParamType) else p
              for p in command.params]
    return Command(command.name, params=params, callback=callback, help=command.help,
                   short_help=command.short_help, epilog=command.epilog,
                   context_settings=command.context_settings)


class _Cert(CertParamType):
    """``run --cert``: an empty or relative import name is refused (Flask's own type lets
    ``import_string`` raise ValueError on it)."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except ValueError:
            self.fail(_("%(value)s is neither a certificate file nor an SSL context to "
                        "import", value=ascii(str(value)[:60])), param, ctx)


def _checked_cert(param: click.Option) -> click.Option:
    option = copy.copy(param)
    option.type = _Cert()
    return option


def _check_run(host, port, **_params):
    """``run`` refuses in one line, as ``up`` does, a host or port it could not listen on."""
    if not is_running_from_reloader():  # the reloader's child inherits the parent's socket
        demo_commands.check_listen(host, port)


for _command in (flask_command(run_command, _check_run), flask_command(shell_command),
                 flask_command(routes_command)):
    cli.add_command(_command)


# -- database -----------------------------------------------------------------

@click.group("db", cls=Group, help="Schema migrations.")
def db_group():
    pass


@db_group.command("upgrade", help="Apply every pending migration.")
@with_appcontext
def db_upgrade():
    applied = migrate.upgrade()
    click.echo(_("applied %(count)d migration(s)", count=len(applied))
               + (": " + ", ".join(applied) if applied else ""))


@db_group.command("status", help="Show applied and pending migrations.")
@with_appcontext
def db_status():
    applied, pending = migrate.status()
    for name in applied:
        click.echo(_("applied  %(name)s", name=name))
    for name in pending:
        click.echo(_("pending  %(name)s", name=name))
    click.echo(_("%(applied)d applied, %(pending)d pending", applied=len(applied),
                 pending=len(pending)))


@db_group.command("makemigration", help="Write a migration for model changes (developers).")
@click.argument("name", type=TEXT)
@with_appcontext
def db_makemigration(name):
    if not MIGRATION_NAME.fullmatch(name):
        fail(_("a migration name is 1 to 60 lower-case letters, digits and _, starting with "
               "a letter: %(name)s", name=ascii(name[:60])))
    path = migrate.make(name)
    click.echo(_("wrote %(path)s", path=path) if path else _("no changes"))


def init_app(app):
    """Attach every command to ``app.cli``: ``backoffice`` and ``flask`` both list them.

    ``app.cli`` becomes an :class:`~backoffice.commands.AppCommands` holding what was
    attached before (flask-smorest's ``openapi``), so that those refuse in one line too."""
    app.cli = AppCommands(name=app.cli.name, commands=dict(app.cli.commands),
                          help=app.cli.help)
    app.cli.add_command(db_group)
    for module in COMMAND_MODULES:
        for command in module.COMMANDS:
            app.cli.add_command(command)


def main(argv=None):
    """Console entry point: turns configuration errors into one line and exit 2.

    Changes made from the command line are recorded against ``cli:<login name>``.
    """
    try:
        with acting_as(f"cli:{getpass.getuser()}", fallback=True):
            return cli.main(args=argv, prog_name="backoffice", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        sys.exit(1)
    except click.exceptions.NoArgsIsHelpError as exc:  # plain `backoffice`: its help
        click.echo(exc.ctx.get_help())
        return 0
    except click.ClickException as exc:  # click's usage block would be several lines
        (exc if isinstance(exc, Refused) else refusal(exc)).show()
        sys.exit(2)
    except ConfigError as exc:
        fail(str(exc))
    except peewee.DatabaseError as exc:
        fail(database_problem(exc))
    except SystemExit:
        raise


def database_problem(exc: Exception) -> str:
    """One line for a database that cannot be reached or is not migrated."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        return _("database: %(problem)s (run `backoffice db upgrade`)", problem=first)
    return _("database: %(problem)s", problem=first)


__all__ = ["cli", "current_app", "fail", "main"]
