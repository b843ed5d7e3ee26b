"""The ``backoffice`` command: a Flask CLI group with the back-office's own commands.

Commands are attached to the app's own ``app.cli`` in :func:`init_app` (so the
test runner and ``flask`` see them too); ``backoffice/commands/<area>.py``
modules each contribute a ``COMMANDS`` list.

Bad input never prints a traceback: one line on stderr and exit status 2
(configuration errors, unknown records, rule violations).
"""

from __future__ import annotations

import sys

import click
import peewee
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, migrate
from .commands import demo as demo_commands
from .commands import fail
from .commands import rules as rule_commands
from .commands import users as user_commands
from .config import ConfigError
from .db import acting_as
from .i18n import _

#: every area's commands, in the order ``backoffice --help`` lists them
COMMAND_MODULES = [demo_commands, user_commands, rule_commands]


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False,
             help="Service back-office: administration, demo data and rules.")
def cli():
    pass


# -- database -----------------------------------------------------------------

@click.group("db", help="Schema migrations.")
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
@click.argument("name")
@with_appcontext
def db_makemigration(name):
    path = migrate.make(name)
    click.echo(_("wrote %(path)s", path=path) if path else _("no changes"))


def init_app(app):
    """Attach every command to ``app.cli``: ``backoffice`` and ``flask`` both list them."""
    app.cli.add_command(db_group)
    for module in COMMAND_MODULES:
        for command in module.COMMANDS:
            app.cli.add_command(command)


def main(argv=None):
    """Console entry point: turns configuration errors into one line and exit 2.

    Changes made from the command line are recorded against ``cli:<login name>``.
    """
    import getpass
    try:
        with acting_as(f"cli:{getpass.getuser()}", fallback=True):
            return cli.main(args=argv, prog_name="backoffice", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
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
