"""Lists at 1,000 and at 1,000,000 units, measured interleaved request by request.

The pages: the units list (page 1, the last page, a filter, a search), one
customer's units (``/admin/unit/?customer=<id>``) and that customer's file
(``/admin/customer/details/?id=<id>``), as the administrator; and the units list
and the customer's units as the office manager of the one office (the scoping
sub-select). The home page has its own bench, ``bench_home.py``.

Builds two throw-away databases, SQLite files (default) or PostgreSQL databases
(``--database postgres``: ``backoffice_bench_<random>`` on 127.0.0.1:5432, user
postgres, created here and dropped at the end, even on failure). Each gets a small
world (300 customers, 1,200 contracts) and its units from the demo's bulk path
(:func:`backoffice.demo.add_units`: executemany on SQLite, COPY on PostgreSQL,
indexes rebuilt at the end above 100k rows), then ``ANALYZE``; and one key
customer (:func:`add_key_customer`) with the same 250 units at both sizes, their
serials at the end of each model-and-year run of serials, so one customer's
list shows the same 50 rows and its file the same 200 at 1k and at 1M: what grows
is only the rest of the table.

Then every page is asked for on the small and on the large database in turn,
request after request (which size goes first alternates every round): a drift of
the machine meanwhile (another process, a CPU clock change) hits both sizes alike.
Each request is timed as wall time (``time.perf_counter``) and as this process's
CPU time (``time.process_time``: Python, Jinja and, on SQLite, the database engine;
the PostgreSQL server's CPU is not in it), and the CPU spent rendering templates
(``flask.templating._render``) is counted apart. It prints the medians, the ratios
1M / 1k and the rendering's share of the CPU; the exit status is 1 when a wall-time
ratio exceeds 1.5x.

    .venv/bin/python bench/bench_units_list.py [--database sqlite|postgres]
        [--small 1000] [--large 1000000] [--repeat 15] [--only WORDS] [--explain]

``--only`` keeps the pages whose name contains one of the words (``--only file,customer``).
``--explain`` prints, for the large database, the plan of every query each page
runs on the unit table (PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``; SQLite:
``EXPLAIN QUERY PLAN``). Takes a few minutes, most of it building the large
database. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask.templating

from backoffice import create_app
from backoffice.db import acting_as, database, is_postgres
from backoffice.demo import add_units
from backoffice.models import Contract, Customer, Office, Product, Role, Site, Staff, Unit

PASSWORD = "bench-password-1"
CUSTOMERS, CONTRACTS_PER_CUSTOMER = 300, 4
#: the units' dates and statuses are drawn relative to this day (same data every run)
TODAY = dt.date(2026, 11, 28)
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
SERIAL_RE = re.compile(r"UPS-\d00-\d{9}")
TARGET = 1.5


# -- the databases: the only part that differs between SQLite and PostgreSQL -------

@contextlib.contextmanager
def throwaway_databases(kind: str, workdir: Path):
    """Yield ``new(units) -> url``; every PostgreSQL database made here is dropped at the end."""
    created: list[str] = []
    admin = None
    if kind == "postgres":
        import psycopg2
        admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
        admin.autocommit = True

    def new(units: int) -> str:
        if kind == "sqlite":
            return f"sqlite:///{workdir / f'units_{units}.db'}"
        name = f"backoffice_bench_{uuid.uuid4().hex[:10]}"
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"

    try:
        yield new
    finally:
        if database.obj is not None and not database.is_closed():
            database.close()
        if admin is not None:
            for name in created:  # only the databases this run created
                admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                print(f"  dropped database {name}", flush=True)
            admin.close()


# -- the data ------------------------------------------------------------------------

def build(units: int) -> str:
    """Migrate, write the world and ``units`` units, ANALYZE; returns a serial to search."""
    from backoffice import migrate
    database.connect(reuse_if_open=True)
    migrate.upgrade()
    Staff.password_method = "pbkdf2:sha256:1000"
    now = dt.datetime(2025, 1, 1)
    with acting_as("bench"):
        office = Office.create(code="HRB", name="Harbin office", city="Harbin",
                               province="Heilongjiang", latitude=Decimal("45.8"),
                               longitude=Decimal("126.5"))
        admin = Staff(name="Bench admin", username="admin", role=Role.ADMIN)
        admin.set_password(PASSWORD)
        admin.save()
        for i in range(1, 6):
            Product.create(model=f"UPS-{i}00", name=f"UPS {i}00 kVA", grade="A")
    with database.atomic():
        Customer.insert_many(
            [{"code": f"C-{i:05d}", "name": f"Customer {i}", "office": office.id,
              "created_at": now, "updated_at": now} for i in range(CUSTOMERS)]).execute()
        customer_ids = [c.id for c in Customer.select(Customer.id).order_by(Customer.id)]
        Site.insert_many(
            [{"customer": cid, "name": f"Plant {cid}", "created_at": now, "updated_at": now}
             for cid in customer_ids]).execute()
        # signed from 2017 to 2023, so the units range from new to retired
        Contract.insert_many(
            [{"number": f"K-{cid:05d}-{j}", "customer": cid,
              "signed_on": dt.date(2017, 1, 1) + dt.timedelta(days=2 * (n * 4 + j)),
              "created_at": now, "updated_at": now}
             for n, cid in enumerate(customer_ids)
             for j in range(CONTRACTS_PER_CUSTOMER)]).execute()
    start = time.perf_counter()

    def progress(done, total):
        if total >= 100_000 and done % 100_000 < 20_000:
            print(f"    {done:,} / {total:,} units", flush=True)

    add_units(units, TODAY, progress=progress)
    database.execute_sql("ANALYZE")
    print(f"  built {units:,} units in {time.perf_counter() - start:.1f}s", flush=True)
    serial = (Unit.select(Unit.serial).where(Unit.id >= units // 2)
              .order_by(Unit.id).limit(1).scalar())
    database.close()
    return serial


# -- the requests (the same for every database) ----------------------------------------

def login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code == 302, "login failed"


def filter_arg(app, label: str) -> str:
    view = next(v for v in app.extensions["backoffice_admin"]._views if v.endpoint == "unit")
    index, flt = next((i, f) for i, f in enumerate(view._filters) if str(f.name) == label)
    return "flt0_" + view.get_filter_arg(index, flt)


@contextlib.contextmanager
def captured_sql():
    """Every (sql, params) the database runs inside the block."""
    db, seen = database.obj, []
    original = db.execute_sql

    def spy(sql, params=None):
        seen.append((sql, params))
        return original(sql, params)

    db.execute_sql = spy
    try:
        yield seen
    finally:
        del db.execute_sql


def explain(client, urls: dict[str, str]) -> None:
    """The plan of each query on the unit table that each list runs."""
    for name, url in urls.items():
        with captured_sql() as seen:
            client.get(url)
        database.connect(reuse_if_open=True)
        for sql, params in seen:
            if 'FROM "unit"' not in sql:
                continue
            print(f"\n-- {name}: {sql}  {params}")
            if is_postgres():
                plan = database.execute_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print("\n".join(f"   {line}" for (line,) in plan.fetchall()))
            else:
                plan = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
                print("\n".join(f"   {row[-1]}" for row in plan.fetchall()))
        database.close()


#: the key customer's units, the same at both sizes: more than a page (50) and than the
#: customer file shows (200)
KEY_UNITS = 250
ROLES = {"admin": "admin", "office manager": "manager"}


def add_key_customer() -> int:
    """One more customer with ``KEY_UNITS`` units (same at every size); returns its id.

    Its serials (``UPS-300-209000123``) come last in each run of one model and year, so
    they are spread over the whole serial order: walking the serial index to find
    them discards most of the table (as for a customer of the issue's 1M database).
    """
    database.connect(reuse_if_open=True)
    now = dt.datetime(2025, 1, 1)
    office = Office.get(Office.code == "HRB")
    products = [p.id for p in Product.select().order_by(Product.id)]
    with database.atomic():
        customer = Customer.insert(code="C-KEY", name="Key customer", office=office.id,
                                   created_at=now, updated_at=now).execute()
        site = Site.insert(customer=customer, name="Key plant", created_at=now,
                           updated_at=now).execute()
        contracts = [Contract.insert(number=f"K-KEY-{j}", customer=customer,
                                     signed_on=dt.date(2020, 3, 1), created_at=now,
                                     updated_at=now).execute() for j in (1, 2)]
        accepted = dt.date(2020, 6, 1)
        Unit.insert_many([
            {"serial": f"UPS-{products[n % len(products)] % 10}00-{17 + n % 7}{9_000_000 + n:07d}",
             "product": products[n % len(products)], "contract": contracts[n % 2],
             "customer": customer, "site": site, "status": "in_service",
             "installed_on": accepted, "accepted_on": accepted, "warranty_start": accepted,
             "warranty_end": dt.date(2022, 6, 1), "created_at": now, "updated_at": now}
            for n in range(KEY_UNITS)]).execute()
    database.execute_sql("ANALYZE")
    database.close()
    return customer


def add_manager() -> None:
    """The office manager of the bench's one office (it holds every customer)."""
    database.connect(reuse_if_open=True)
    with acting_as("bench"):
        manager = Staff(name="Bench manager", username="manager", role=Role.OFFICE_MANAGER,
                        office=Office.get(Office.code == "HRB"))
        manager.set_password(PASSWORD)
        manager.save()
    database.close()


def login_as(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code == 302, f"login of {username} failed"


@dataclass
class Size:
    """One size's app: its database object, a logged-in client per role, its pages."""
    units: int
    db: object
    clients: dict
    pages: dict  # name -> (role, url, text the page must show)


def prepare(new_database, units: int, workdir: Path) -> Size:
    app = create_app({"database_url": new_database(units),
                      "secret_key": "bench-secret-key-0123456789",
                      "plugins_dir": str(workdir / "no-plugins")},
                     instance_path=str(workdir / f"instance_{units}"))
    db = database.obj
    with app.app_context():
        serial = build(units)
        key = add_key_customer()
        add_manager()
    clients = {}
    for role, username in ROLES.items():
        clients[role] = app.test_client()
        with app.app_context():
            login_as(clients[role], username)
    status = filter_arg(app, "Status")
    pages = {
        "units: page 1": ("admin", "/admin/unit/", None),
        "units: last page": ("admin", "/admin/unit/?page=-1", None),
        "units: filter (status)": ("admin", f"/admin/unit/?{status}=retired", None),
        "units: search (serial)": ("admin", f"/admin/unit/?search={serial}", serial),
        "one customer's units": ("admin", f"/admin/unit/?customer={key}", "9000"),
        "customer file": ("admin", f"/admin/customer/details/?id={key}", "C-KEY"),
        "manager: units page 1": ("office manager", "/admin/unit/", None),
        "manager: customer's units": ("office manager", f"/admin/unit/?customer={key}", "9000"),
    }
    return Size(units, db, clients, pages)


#: CPU seconds spent in template rendering during the current request
_rendering = [0.0]
_render = flask.templating._render


def _timed_render(*args, **kwargs):
    started = time.process_time()
    try:
        return _render(*args, **kwargs)
    finally:
        _rendering[0] += time.process_time() - started


flask.templating._render = _timed_render


def ask(size: Size, name: str):
    """One request: (wall s, CPU s, rendering CPU s, body)."""
    role, url, _shows = size.pages[name]
    database.initialize(size.db)  # the proxy points at this size's database
    _rendering[0] = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    page = size.clients[role].get(url)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert page.status_code == 200, (size.units, url, page.status_code)
    return wall, cpu, _rendering[0], page.get_data(as_text=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated words of page names")
    parser.add_argument("--explain", action="store_true",
                        help="print the plans of the large database's list queries")
    args = parser.parse_args(argv)
    words = [w for w in args.only.split(",") if w]
    with tempfile.TemporaryDirectory(prefix="bench-units-") as tmp, \
            throwaway_databases(args.database, Path(tmp)) as new_database:
        small, large = (prepare(new_database, n, Path(tmp)) for n in (args.small, args.large))
        names = [n for n in small.pages if not words or any(w in n for w in words)]
        for name in names:  # warm-up, and a check that each page shows what it should
            for size in (small, large):
                for _ in range(3):
                    *_, body = ask(size, name)
                shows = size.pages[name][2]
                assert SERIAL_RE.search(body), (size.units, name)
                assert shows is None or shows in body, (size.units, name, shows)
        times = {(n, s.units): ([], [], []) for n in names for s in (small, large)}
        started = time.perf_counter()
        for round_ in range(args.repeat):
            for name in names:
                for size in ((small, large) if round_ % 2 == 0 else (large, small)):
                    for series, value in zip(times[name, size.units], ask(size, name)[:3],
                                             strict=True):
                        series.append(value)
        elapsed = time.perf_counter() - started
        if args.explain:
            database.initialize(large.db)
            for role in ROLES:
                explain(large.clients[role], {n: large.pages[n][1] for n in names
                                              if large.pages[n][0] == role})
    print(f"\nlists on {args.database}, {dt.date.today()}: median of {args.repeat} requests per "
          f"size and page, interleaved ({elapsed:.1f}s); ms; target wall ratio <= {TARGET}x")
    print(f"{'':<27}{'wall':>10}{'':>20}{'CPU':>10}{'':>20}{'rendering':>12}")
    print(f"{'':<27}{args.small:>10,}{args.large:>12,}{'ratio':>8}"
          f"{args.small:>10,}{args.large:>12,}{'ratio':>8}{'of CPU, 1k':>12}")
    worst = 0.0
    for name in names:
        (ws, cs, rs), (wl, cl, _rl) = times[name, args.small], times[name, args.large]
        ws, wl, cs, cl, rs = (statistics.median(v) * 1000 for v in (ws, wl, cs, cl, rs))
        worst = max(worst, wl / ws)
        print(f"{name:<27}{ws:>10.1f}{wl:>12.1f}{wl / ws:>7.2f}x{cs:>10.1f}{cl:>12.1f}"
              f"{cl / cs:>7.2f}x{rs / cs:>11.0%}{'' if wl / ws <= TARGET else '  OVER'}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
