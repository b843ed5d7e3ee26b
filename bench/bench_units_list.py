"""The units list at 1,000 and at 1,000,000 units: page 1, last page, a filter, a search.

Builds two throw-away SQLite databases (bulk ``insert_many`` in transactions, not
the audited save path), then times each list through the Flask test client as an
administrator and prints each figure and the ratio 1M / 1k (target: within 1.5x).

    .venv/bin/python bench/bench_units_list.py [--small 1000] [--large 1000000] [--repeat 15]

Takes a few minutes, most of it building the large database. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backoffice import create_app
from backoffice.db import acting_as, database
from backoffice.models import (
    Contract,
    Customer,
    Office,
    Product,
    Role,
    Site,
    Staff,
    Unit,
    UnitStatus,
)

PASSWORD = "bench-password-1"
CUSTOMERS, CONTRACTS_PER_CUSTOMER = 300, 4
CHUNK = 1000


def build(path: Path, units: int) -> None:
    """A database with ``units`` units spread over 300 customers and 1,200 contracts."""
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
        products = [Product.create(model=f"UPS-{i}00", name=f"UPS {i}00 kVA", grade="A")
                    for i in range(1, 6)]
    with database.atomic():
        Customer.insert_many(
            [{"code": f"C-{i:05d}", "name": f"Customer {i}", "office": office.id,
              "created_at": now, "updated_at": now} for i in range(CUSTOMERS)]).execute()
        customer_ids = [c.id for c in Customer.select(Customer.id).order_by(Customer.id)]
        Site.insert_many(
            [{"customer": cid, "name": f"Plant {cid}", "created_at": now, "updated_at": now}
             for cid in customer_ids]).execute()
        Contract.insert_many(
            [{"number": f"K-{cid:05d}-{j}", "customer": cid, "signed_on": dt.date(2024, 1, 1),
              "created_at": now, "updated_at": now}
             for cid in customer_ids for j in range(CONTRACTS_PER_CUSTOMER)]).execute()
    contracts = [(c.id, c.customer_id) for c in Contract.select().order_by(Contract.id)]
    sites = {s.customer_id: s.id for s in Site.select()}
    statuses = UnitStatus.ALL
    start = time.perf_counter()
    for base in range(0, units, CHUNK * 50):
        with database.atomic():
            for offset in range(base, min(base + CHUNK * 50, units), CHUNK):
                rows = []
                for i in range(offset, min(offset + CHUNK, units)):
                    contract_id, customer_id = contracts[i % len(contracts)]
                    accepted = dt.date(2020, 1, 1) + dt.timedelta(days=i % 2000)
                    rows.append({
                        "serial": f"SN-{i:07d}", "product": products[i % 5].id,
                        "contract": contract_id, "customer": customer_id,
                        "site": sites[customer_id], "accepted_on": accepted,
                        "warranty_start": accepted,
                        "warranty_end": accepted + dt.timedelta(days=729),
                        "status": statuses[i % len(statuses)],
                        "created_at": now, "updated_at": now})
                Unit.insert_many(rows).execute()
    database.execute_sql("ANALYZE")
    print(f"  built {units:,} units in {time.perf_counter() - start:.1f}s", flush=True)
    database.close()


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


def measure(units: int, repeat: int, workdir: Path) -> dict[str, float]:
    path = workdir / f"units_{units}.db"
    app = create_app({"database_url": f"sqlite:///{path}", "secret_key": "bench-secret-key-0123456789",
                      "plugins_dir": str(workdir / "no-plugins")},
                     instance_path=str(workdir / f"instance_{units}"))
    with app.app_context():
        build(path, units)
    client = app.test_client()
    login(client)
    urls = {
        "page 1": "/admin/unit/",
        "last page": "/admin/unit/?page=-1",
        "filter (status)": f"/admin/unit/?{filter_arg(app, 'Status')}=retired",
        "search (serial)": f"/admin/unit/?search=SN-{units // 2:07d}",
    }
    figures = {}
    for name, url in urls.items():
        page = client.get(url)  # warm-up, and a check that the page is right
        assert page.status_code == 200, (url, page.status_code)
        body = page.get_data(as_text=True)
        assert "SN-" in body, url
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t0)
        figures[name] = statistics.median(times) * 1000
        print(f"  {units:>9,} units  {name:<16} {figures[name]:8.1f} ms", flush=True)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-units-") as tmp:
        small = measure(args.small, args.repeat, Path(tmp))
        large = measure(args.large, args.repeat, Path(tmp))
    print(f"\nunits list, median of {args.repeat} requests (ms); target ratio <= 1.5x")
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
