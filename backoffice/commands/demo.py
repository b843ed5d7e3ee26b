"""``backoffice demo`` (seed the demo data) and ``backoffice up`` (the README's one command)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import demo as demo_data
from .. import migrate
from ..db import database
from ..i18n import _, _l
from ..labels import Role, label
from . import fail

#: the tables counted after a seed, as the output names them
TABLE_NAMES = {"office": _l("office"), "staff": _l("staff"), "customer": _l("customer"),
               "site": _l("site"), "contact": _l("contact"), "contract": _l("contract"),
               "product": _l("product"), "unit": _l("unit"), "audit_entry": _l("audit entry")}


def _echo_counts(counts: dict) -> None:
    click.echo("  " + ", ".join(f"{TABLE_NAMES.get(table, table.replace('_', ' '))} {n:,}"
                                for table, n in counts.items()))


def _echo_accounts(accounts) -> None:
    click.echo(_("demo accounts (one per role; every staff member has their role's password):"))
    for role, login, password in accounts:
        click.echo(f"  {label(role, Role):<16} {login:<14} {password}")


def _progress(done: int, total: int) -> None:
    if done == total or done % 100_000 < 2000:
        click.echo(_("  units added: %(done)s / %(total)s", done=f"{done:,}",
                     total=f"{total:,}"), err=True)


def run_seed(units: int | None):
    """Seed (or top up) the demo; one line and exit 2 when it is refused."""
    try:
        result = demo_data.seed(current_app.config["ENV"], units=units, progress=_progress)
    except demo_data.DemoRefused as exc:
        fail(str(exc))
    if result.created:
        click.echo(_("demo data written in %(seconds)s s", seconds=f"{result.seconds:.1f}")
                   + (_(" (of which %(units)s units in bulk)", units=f"{result.units_added:,}")
                      if result.units_added else ""))
    elif result.units_added:
        click.echo(_("demo present; %(units)s units added in bulk in %(seconds)s s",
                     units=f"{result.units_added:,}", seconds=f"{result.seconds:.1f}"))
    else:
        click.echo(_("demo data already present: nothing written"))
    _echo_counts(result.counts)
    return result


@click.command("demo", help="Write the demo data (idempotent): 26 offices, staff, "
               "customers, contracts, products and units; prints the accounts.")
@click.option("--units", type=click.IntRange(min=1), default=None, metavar="N",
              help="Total units the demo should hold (default 2,400); beyond that "
                   "they are added in bulk, for benchmarks.")
@with_appcontext
def demo(units):
    result = run_seed(units)
    _echo_accounts(result.accounts)


@click.command("up", help="Apply migrations, seed the demo into an empty database, "
               "print the accounts and serve the back-office.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Do everything but serve.")
@with_appcontext
def up(host, port, no_serve):
    app = current_app._get_current_object()
    applied = migrate.upgrade()
    click.echo(_("database: %(count)d migration(s) applied", count=len(applied)))
    production = app.config["ENV"] == "production"
    if production:
        click.echo(_("env = production: no demo data (create accounts with the users "
                     "command)"))
    elif demo_data.is_empty():
        run_seed(None)
    if not production and demo_data.is_seeded():
        _echo_accounts(demo_data.accounts())
    if not database.is_closed():
        database.close()
    click.echo(_("back-office: %(url)s  (Ctrl+C stops it)", url=f"http://{host}:{port}/"))
    if no_serve:
        return
    # a production WSGI server (waitress), not Flask's development server: see commands/serve.py
    from .serve import serve
    serve(app, host, port)


COMMANDS = [demo, up]
