"""The units list at 1,000 and at 1,000,000 units: page 1, last page, a filter, a search.

Builds two throw-away databases, SQLite files (default) or PostgreSQL databases
(``--database postgres``: ``backoffice_bench_<random>`` on 127.0.0.1:5432, user
postgres, created here and dropped at the end, even on failure). Each gets a small
world (300 customers, 1,200 contracts) and its units from the demo's bulk path
(:func:`backoffice.demo.add_units`: executemany on SQLite, COPY on PostgreSQL,
indexes rebuilt at the end above 100k rows), then ``ANALYZE``. The same four lists
are timed through the Flask test client as an administrator, and each figure and
the ratio large / small is printed (target: within 1.5x).

    .venv/bin/python bench/bench_units_list.py [--database sqlite|postgres]
        [--small 1000] [--large 1000000] [--repeat 15] [--explain]

``--explain`` prints, for the large database, the plan of every query each list
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
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def measure(database_url: str, units: int, repeat: int, workdir: Path,
            show_plans: bool = False) -> dict[str, float]:
    app = create_app({"database_url": database_url, "secret_key": "bench-secret-key-0123456789",
                      "plugins_dir": str(workdir / "no-plugins")},
                     instance_path=str(workdir / f"instance_{units}"))
    with app.app_context():
        serial = build(units)
    client = app.test_client()
    login(client)
    urls = {
        "page 1": "/admin/unit/",
        "last page": "/admin/unit/?page=-1",
        "filter (status)": f"/admin/unit/?{filter_arg(app, 'Status')}=retired",
        "search (serial)": f"/admin/unit/?search={serial}",
    }
    figures = {}
    for name, url in urls.items():
        page = client.get(url)  # warm-up, and a check that the page is right
        assert page.status_code == 200, (url, page.status_code)
        body = page.get_data(as_text=True)
        assert SERIAL_RE.search(body), url
        assert name != "search (serial)" or serial in body, url
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t0)
        figures[name] = statistics.median(times) * 1000
        print(f"  {units:>9,} units  {name:<16} {figures[name]:8.1f} ms", flush=True)
    if show_plans:
        explain(client, urls)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--explain", action="store_true",
                        help="print the plans of the large database's list queries")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-units-") as tmp, \
            throwaway_databases(args.database, Path(tmp)) as new_database:
        small = measure(new_database(args.small), args.small, args.repeat, Path(tmp))
        large = measure(new_database(args.large), args.large, args.repeat, Path(tmp),
                        show_plans=args.explain)
    print(f"\nunits list on {args.database}, median of {args.repeat} requests (ms); "
          f"target ratio <= 1.5x")
    print(f"{'':<17}{args.small:>10,}{args.large:>12,}{'ratio':>8}")
    worst = 0.0
    for name in small:
        ratio = large[name] / small[name]
        worst = max(worst, ratio)
        print(f"{name:<17}{small[name]:>10.1f}{large[name]:>12.1f}{ratio:>7.2f}x"
              f"{'' if ratio <= 1.5 else '  OVER'}")
    return 0 if worst <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
