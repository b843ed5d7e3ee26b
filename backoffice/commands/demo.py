"""``backoffice demo`` (seed the demo data) and ``backoffice up`` (the README's one command)."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import demo as demo_data
from .. import migrate
from ..db import database
from ..i18n import _, _l
from ..labels import Role, label
from . import TEXT, Command, fail

#: a host name ``--host`` takes: dot-separated labels of letters, digits and hyphens
HOST_NAME = re.compile(r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")

#: the tables counted after a seed, as the output names them
TABLE_NAMES = {"office": _l("office"), "staff": _l("staff"), "customer": _l("customer"),
               "site": _l("site"), "contact": _l("contact"), "contract": _l("contract"),
               "product": _l("product"), "unit": _l("unit"), "ticket": _l("ticket"),
               "ticket_pause": _l("ticket pause"), "replacement": _l("replacement"),
               "stock_level": _l("stock level"), "audit_entry": _l("audit entry")}


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


@click.command("demo", cls=Command,
               help="Write the demo data (idempotent): 26 offices, staff, "
               "customers, contracts, products and units; prints the accounts.")
@click.option("--units", type=click.IntRange(1, demo_data.MAX_UNITS), default=None, metavar="N",
              help=f"Total units the demo should hold (default 2,400, at most "
                   f"{demo_data.MAX_UNITS:,}); beyond 2,400 they are added in bulk, for "
                   f"benchmarks.")
@with_appcontext
def demo(units):
    result = run_seed(units)
    _echo_accounts(result.accounts)


def check_host(host: str) -> None:
    """Refuse with one line a ``--host`` that is neither an IP address nor a host name
    (``256.1.1.1``, an empty string, spaces)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not HOST_NAME.fullmatch(host) or host.rstrip(".").replace(".", "").isdigit():
            fail(_("--host %(host)s is neither an IP address nor a host name",
                   host=ascii(host[:60])))


def check_listen(host: str, port: int) -> None:
    """Refuse with one line, before anything is done, a host or port the server could not
    listen on: a malformed address, a name that does not resolve, a port in use."""
    check_host(host)
    if not 0 <= port <= 65535:
        fail(_("--port %(port)s is not between 1 and 65535", port=port))
    # as werkzeug's server does: a colon means IPv6, and SO_REUSEADDR
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        fail(_("cannot listen on %(host)s port %(port)s: %(problem)s", host=host, port=port,
               problem=getattr(exc, "strerror", None) or str(exc)))


@click.command("up", cls=Command, help="Apply migrations, seed the demo into an empty "
               "database, print the accounts and serve the back-office.")
@click.option("--host", default="127.0.0.1", show_default=True, type=TEXT)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Do everything but serve.")
@click.option("--no-worker", is_flag=True,
              help="Serve without starting the worker (run `backoffice worker` apart).")
@with_appcontext
def up(host, port, no_serve, no_worker):
    # before the migrations: a refusal changes nothing
    if no_serve:
        check_host(host)
    else:
        check_listen(host, port)
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
    worker = None if no_worker else start_worker(app)
    try:
        serve(app, host, port, then=worker and (lambda: stop_worker(worker)))
    finally:
        if worker is not None and worker.poll() is None:  # serve refused: no server
            stop_worker(worker)


def start_worker(app) -> subprocess.Popen:
    """``backoffice worker`` beside the web server, on the same database and queue."""
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=app.config["DATABASE_URL"],
               BACKOFFICE_WORKER_QUEUE=str(app.extensions["worker"].where)
               if not app.config["REDIS_URL"] else "")
    process = subprocess.Popen([sys.executable, "-m", "backoffice", "worker"], env=env)
    click.echo(_("worker: started (process %(pid)d)", pid=process.pid))
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Ctrl+C reaches the worker too (one process group); if the server stopped otherwise
    (SIGTERM), the worker gets what Ctrl+C would have sent it, then SIGKILL."""
    try:
        process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


COMMANDS = [demo, up]
