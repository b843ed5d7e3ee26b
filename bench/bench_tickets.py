"""Fault tickets at 1,000 and 1,000,000: the ticket list, intake, and a deadline decided.

Part 1, the ticket list and intake. Two throw-away databases, SQLite files (default) or
PostgreSQL databases (``--database postgres``: ``backoffice_bench_<random>`` on
127.0.0.1:5432, user postgres, created here and dropped at the end, even on failure).
Each is migrated and gets the demo (``backoffice.demo.seed``: 26 offices, 2,400 units,
its ~720 tickets of the year), then tickets in bulk up to the size on the demo's units
(:func:`backoffice.demo.tickets.add_tickets`: each decided as the intake service decides
and its story run up to 2026-11-28 18:00, so the last days' are open and the rest closed
or cancelled; executemany on SQLite, COPY on PostgreSQL; from 100k tickets on, the
ticket table's non-unique indexes and PostgreSQL's foreign keys are dropped for the load
and built again after it, as ``demo --units`` does for units), then ``ANALYZE``. One
unit (the demo's unit with the most tickets) gets no bulk tickets, so the search by
its serial finds the same rows at both sizes; the search by number looks for one of its
tickets.

Then these are asked for on the small and on the large database in turn, request after
request (which size goes first alternates every round), through the Flask test client:

* ``page 1``: ``/admin/ticket/`` as the administrator (the tickets in hand first, by
  their next deadline, then the closed and cancelled ones: migration 012);
* ``filter: office + state``: the open tickets of one office in one state (Shanghai,
  dispatched) through the list's filters; Shanghai's units get no bulk tickets, so the
  filter finds the same rows at both sizes and what grows is the rest of the table;
* ``search: number`` and ``search: serial``;
* ``manager: page 1``: the list as Harbin's office manager (the office's tickets; only
  an engineer's scope adds the tickets assigned to them): at the small size the bulk
  tickets (~280) all go to Harbin's units, so the page is full (50 rows) at both sizes;
  ~38,000 at 1M;
* ``intake``: :func:`backoffice.services.tickets.open_ticket` for one of Harbin's units,
  as Harbin's office manager (each call is one transaction with its audit row; the
  figure is tickets per second, 1 / the median call).

Each is timed as wall time (``time.perf_counter``) and as this process's CPU time
(``time.process_time``: Python, Jinja and, on SQLite, the database engine; the
PostgreSQL server's CPU is not in it). Target: 1M / 1k within 1.5x, wall time.

Part 2, a deadline through the rule engine against the direct call of the same
arithmetic (``bench_rules.py``'s cases, imported from it: (a) reply, (b) arrival at
320 km, (c) a contract whose one plugin declines) and (d) a contract that enables the
repository's ``near_site_4h`` plugin (``plugins/``), which decides: 4 h for a site 30 km
away in business hours; the direct side calls the plugin's function and the same
``resolve``. Interleaved call by call (``bench_rules.interleaved``). Target: within 2x.

    .venv/bin/python bench/bench_tickets.py [--database sqlite|postgres]
        [--small 1000] [--large 1000000] [--repeat 15] [--intake 40] [--only list|intake|rules]
        [--calls 100000] [--explain]

``--explain`` prints the plan of every query the list pages run on the ticket table
on the large database (PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``; SQLite: ``EXPLAIN
QUERY PLAN``). The exit status is 1 when a ratio is over its target. Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_rules import decision_cases, empty, interleaved
from bench_units_list import captured_sql, throwaway_databases
from peewee import fn

from backoffice import create_app, demo, migrate
from backoffice.db import database, is_postgres
from backoffice.demo import tickets as demo_tickets
from backoffice.models import Contract, Customer, Office, Staff, Ticket, Unit
from backoffice.services import tickets as service

TODAY = dt.date(2026, 11, 28)
TARGET, RULES_TARGET = 1.5, 2.0
SECRET = "bench-secret-key-0123456789"
NUMBER_RE = re.compile(r"[A-Z]{3}-\d{8}-\d{4}")
#: from this many bulk tickets on, the ticket table's indexes are built after the load
REBUILD_FROM = 100_000
#: below this many bulk tickets (the small size) they all go to the home office's units
SMALL_BULK = 10_000
ADMIN, MANAGER = "admin", "liuhaitao"
#: the office manager's office (its share of the bulk tickets: ~38,000 at 1M), and the
#: office whose units get no bulk tickets (its filtered list is the same at both sizes)
HOME, KEY_OFFICE = "HRB", "SHA"


def new_app(url: str, workdir: Path, name: str, plugins: Path | None = None):
    empty_dir = workdir / "no-plugins"
    empty_dir.mkdir(exist_ok=True)
    return create_app({"database_url": url, "secret_key": SECRET,
                       "plugins_dir": str(plugins or empty_dir)},
                      instance_path=str(workdir / f"instance_{name}"))


# -- the data ------------------------------------------------------------------------------

def build(tickets: int) -> dict:
    """Migrate, seed the demo, add tickets in bulk up to ``tickets``; what to search for."""
    database.connect(reuse_if_open=True)
    migrate.upgrade()
    Staff.password_method = "pbkdf2:sha256:1000"  # the demo's accounts, cheap to check
    started = time.perf_counter()
    demo.seed("development", today=TODAY)
    seeded = time.perf_counter() - started
    key = (Ticket.select(Ticket.unit, fn.COUNT(Ticket.id).alias("n"))
           .where(Ticket.unit.is_null(False)).group_by(Ticket.unit)
           .order_by(fn.COUNT(Ticket.id).desc(), Ticket.unit).limit(1).scalar())
    def units_of(code):
        return {u.id for u in Unit.select(Unit.id).where(Unit.customer.in_(
            Customer.select(Customer.id).join(Office).where(Office.code == code)))}

    missing = tickets - Ticket.select().count()
    skip = {key} | units_of(KEY_OFFICE)
    if missing < SMALL_BULK:  # the small size's few: all Harbin's, so its manager's page
        skip |= {u.id for u in Unit.select(Unit.id)} - units_of(HOME)  # is full at both
    dropped = demo._drop_for_bulk(Ticket) if missing >= REBUILD_FROM else []

    def progress(done, total):
        if total >= 100_000 and done % 100_000 < 20_000:
            print(f"    {done:,} / {total:,} tickets", flush=True)

    started = time.perf_counter()
    demo_tickets.add_tickets(tickets, demo.insert_rows, demo_tickets.anchor_for(TODAY),
                             skip_units=skip, progress=progress)
    for sql in dropped:
        database.execute_sql(sql)
    database.execute_sql("VACUUM ANALYZE ticket" if is_postgres() else "ANALYZE")
    print(f"  {tickets:,} tickets: demo seeded in {seeded:.1f}s, the rest added in "
          f"{time.perf_counter() - started:.1f}s", flush=True)
    unit = Unit.get_by_id(key)
    number = (Ticket.select(Ticket.number).where(Ticket.unit == key)
              .order_by(Ticket.id).limit(1).scalar())
    home = Office.get(Office.code == HOME)
    intake = [u.serial for u in Unit.select(Unit.serial).where(
        (Unit.status == "in_service") & Unit.site.is_null(False) & (Unit.id != key)
        & Unit.customer.in_(Customer.select(Customer.id).where(Customer.office == home.id)))
        .order_by(Unit.id)]
    found = {"serial": unit.serial, "number": number, "key_tickets":
             Ticket.select().where(Ticket.unit == key).count(), "intake": intake,
             "open": Ticket.select().where(Ticket.next_due.is_null(False)).count()}
    database.close()
    return found


def login(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    password = demo.PASSWORDS["admin" if username == ADMIN else "office_manager"]
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": token})
    assert answer.status_code == 302, f"login of {username} failed"


def filter_arg(app, label: str) -> str:
    view = next(v for v in app.extensions["backoffice_admin"]._views if v.endpoint == "ticket")
    index, flt = next((i, f) for i, f in enumerate(view._filters) if str(f.name) == label)
    return view.get_filter_arg(index, flt)


@dataclass
class Size:
    tickets: int
    app: object
    db: object
    clients: dict
    pages: dict  # name -> (role, url, text the page must show)
    found: dict
    manager: object = None
    intakes: int = 0


def prepare(new_database, tickets: int, workdir: Path) -> Size:
    app = new_app(new_database(tickets), workdir, f"t{tickets}")
    db = database.obj
    with app.app_context():
        found = build(tickets)
    clients = {}
    for role, username in (("admin", ADMIN), ("manager", MANAGER)):
        clients[role] = app.test_client()
        with app.app_context():
            login(clients[role], username)
    office, state = filter_arg(app, "Office code"), filter_arg(app, "State")
    pages = {
        "page 1": ("admin", "/admin/ticket/", None),
        "filter: office + state": (
            "admin", f"/admin/ticket/?flt0_{office}={KEY_OFFICE}&flt1_{state}=dispatched",
            KEY_OFFICE),
        "search: number": ("admin", f"/admin/ticket/?search={found['number']}",
                           found["number"]),
        "search: serial": ("admin", f"/admin/ticket/?search={found['serial']}",
                           found["number"]),
        "manager: page 1": ("manager", "/admin/ticket/", HOME),
    }
    with app.app_context():
        database.connect(reuse_if_open=True)
        manager = Staff.get(Staff.username == MANAGER)
        database.close()
    return Size(tickets, app, db, clients, pages, found, manager)


def ask(size: Size, name: str):
    """One request: (wall s, CPU s, body)."""
    role, url, _shows = size.pages[name]
    database.initialize(size.db)
    wall, cpu = time.perf_counter(), time.process_time()
    page = size.clients[role].get(url)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert page.status_code == 200, (size.tickets, url, page.status_code)
    return wall, cpu, page.get_data(as_text=True)


def intake(size: Size):
    """One ticket through the intake service: (wall s, CPU s, the ticket)."""
    database.initialize(size.db)
    serials = size.found["intake"]
    serial = serials[size.intakes % len(serials)]
    size.intakes += 1
    report = service.Report(summary="bench: UPS alarm", serial=serial)
    with size.app.app_context():
        database.connect(reuse_if_open=True)
        wall, cpu = time.perf_counter(), time.process_time()
        ticket = service.open_ticket(size.manager, report)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        database.close()
    return wall, cpu, ticket


def explain(size: Size, names) -> None:
    database.initialize(size.db)
    for name in names:
        role, url, _ = size.pages[name]
        with captured_sql() as seen:
            size.clients[role].get(url)
        with size.app.app_context():
            database.connect(reuse_if_open=True)
            for sql, params in seen:
                if 'FROM "ticket"' not in sql:
                    continue
                print(f"\n-- {name}: {sql}  {params}")
                if is_postgres():
                    plan = database.execute_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    print("\n".join(f"   {line}" for (line,) in plan.fetchall()))
                else:
                    plan = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
                    print("\n".join(f"   {row[-1]}" for row in plan.fetchall()))
            database.close()


def part_list(args, workdir: Path) -> bool:
    words = set(args.only.split(",")) if args.only else {"list", "intake"}
    with throwaway_databases(args.database, workdir) as new_database:
        started = time.perf_counter()
        small, large = (prepare(new_database, n, workdir) for n in (args.small, args.large))
        built = time.perf_counter() - started
        names = list(small.pages) if "list" in words else []
        for name in names:  # warm-up, and a check that each page shows what it should
            for size in (small, large):
                for _ in range(3):
                    *_, body = ask(size, name)
                shows = size.pages[name][2]
                assert NUMBER_RE.search(body), (size.tickets, name)
                assert shows is None or shows in body, (size.tickets, name, shows)
        for size in (small, large):
            print(f"  {size.tickets:,} tickets: {size.found['open']:,} with an open deadline; "
                  f"serial {size.found['serial']} has {size.found['key_tickets']} tickets",
                  flush=True)
        times = {(n, s.tickets): ([], []) for n in [*names, "intake"] for s in (small, large)}
        started = time.perf_counter()
        for round_ in range(args.repeat):
            for name in names:
                for size in ((small, large) if round_ % 2 == 0 else (large, small)):
                    wall, cpu, _ = ask(size, name)
                    times[name, size.tickets][0].append(wall)
                    times[name, size.tickets][1].append(cpu)
        listed = time.perf_counter() - started
        checked = []
        if "intake" in words:
            for size in (small, large):  # warm-up
                intake(size)
            for round_ in range(args.intake):
                for size in ((small, large) if round_ % 2 == 0 else (large, small)):
                    wall, cpu, ticket = intake(size)
                    times["intake", size.tickets][0].append(wall)
                    times["intake", size.tickets][1].append(cpu)
                    checked.append(bool(ticket.reply_due and ticket.arrival_due_by))
            assert all(checked), "an intake without its deadlines"
        if args.explain:
            explain(large, names)
    print(f"\nticket list and intake on {args.database}, {dt.date.today()}: built in "
          f"{built:.0f}s; median of {args.repeat} requests per size and page and of "
          f"{args.intake} intakes per size, interleaved ({listed:.1f}s for the lists); "
          f"target wall ratio <= {TARGET}x")
    print(f"{'':<26}{'wall ms':>10}{'':>20}{'CPU ms':>10}")
    print(f"{'':<26}{args.small:>10,}{args.large:>12,}{'ratio':>8}"
          f"{args.small:>10,}{args.large:>12,}{'ratio':>8}")
    worst = 0.0
    rows = [*names, "intake"] if "intake" in words else names
    for name in rows:
        (ws, cs), (wl, cl) = times[name, args.small], times[name, args.large]
        ws, wl, cs, cl = (statistics.median(v) * 1000 for v in (ws, wl, cs, cl))
        worst = max(worst, wl / ws)
        extra = (f"   {1000 / ws:,.0f} vs {1000 / wl:,.0f} tickets/s" if name == "intake"
                 else "")
        print(f"{name:<26}{ws:>10.1f}{wl:>12.1f}{wl / ws:>7.2f}x{cs:>10.1f}{cl:>12.1f}"
              f"{cl / cs:>7.2f}x{'' if wl / ws <= TARGET else '  OVER'}{extra}")
    if args.database == "postgres":
        print("(CPU is this process's: the PostgreSQL server's own CPU is not in it)")
    return worst <= TARGET


# -- part 2: a deadline through the rule engine ------------------------------------------------

def plugin_case(engine):
    """(d): a contract enabling ``near_site_4h`` (the plugin decides), against a direct
    call of the plugin's function and the same ``resolve``."""
    from backoffice.services.deadlines import resolve
    from backoffice.terms import STANDARD

    plugin = engine.plugins["near_site_4h"].plugin
    contract = Contract(number="B-4H", plugins='{"near_site_4h": {}}')
    received = dt.datetime(2026, 12, 1, 9, 30, tzinfo=engine.tz)  # a Tuesday morning
    terms, tz, km = STANDARD, engine.tz, 30.0

    def facade():
        return resolve(engine.arrival_deadline(contract, received, km, terms=terms), received,
                       terms, tz)

    def direct():
        answer = plugin.arrival_deadline(received=received, distance_km=km, settings={})
        if answer is None:
            from backoffice.default_plugins import charter
            answer = charter.arrival_deadline(distance_km=km, terms=terms)
        return resolve(answer, received, terms, tz)

    return "(d) arrival, 1 plugin decides (4 h)", facade, direct


def part_rules(args, workdir: Path) -> bool:
    app = new_app(f"sqlite:///{workdir / 'rules.db'}", workdir, "rules", ROOT / "plugins")
    with app.app_context():
        from backoffice.plugins import current_engine
        engine = current_engine()
        cases = [*decision_cases(engine), plugin_case(engine)]
        for label, facade, direct in cases:
            a, b = facade(), direct()
            assert (a.due, a.decided_by) == (b.due, b.decided_by), (label, a, b)
            for _ in range(2000):
                facade(), direct()
        due = cases[-1][1]().due
        assert due - dt.datetime(2026, 12, 1, 9, 30, tzinfo=engine.tz) == dt.timedelta(hours=4)
        results, started = {}, time.perf_counter()
        for label, facade, direct in cases:
            results[label] = interleaved((facade, direct, empty), args.calls, args.batches,
                                         args.batch)
        elapsed = time.perf_counter() - started
    print(f"\ndeadline + resolve through the facade vs the direct call, {dt.date.today()}: "
          f"{args.calls:,} interleaved calls per side ({elapsed:.1f}s); ns per decision, "
          f"less the empty call; target <= {RULES_TARGET:g}x")
    print(f"{'':<38}{'wall':>8}{'':>16}{'CPU':>8}")
    print(f"{'':<38}{'facade':>8}{'direct':>8}{'ratio':>8}{'facade':>8}{'direct':>8}"
          f"{'ratio':>8}")
    ok = True
    for label, (f, d, e) in results.items():
        fw, dw = f["wall"] - e["wall"], d["wall"] - e["wall"]
        fc, dc = f["cpu"] - e["cpu"], d["cpu"] - e["cpu"]
        worst = max(fw / dw, fc / dc)
        ok = ok and worst <= RULES_TARGET
        print(f"{label:<38}{fw:>8.0f}{dw:>8.0f}{fw / dw:>7.2f}x{fc:>8.0f}{dc:>8.0f}"
              f"{fc / dc:>7.2f}x{'' if worst <= RULES_TARGET else '  OVER'}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--intake", type=int, default=40, help="intakes per size")
    parser.add_argument("--only", default="", help="comma-separated: list, intake, rules")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    words = set(args.only.split(",")) if args.only else {"list", "intake", "rules"}
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-tickets-") as tmp:
        if words & {"list", "intake"}:
            args.only = ",".join(sorted(words & {"list", "intake"}))
            ok = part_list(args, Path(tmp)) and ok
        if "rules" in words:
            ok = part_rules(args, Path(tmp)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
