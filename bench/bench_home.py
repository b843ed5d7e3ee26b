"""The home page at 1,000 and at 1,000,000 units, measured interleaved request by request.

The home page is where every login lands. This builds two throw-away databases
exactly as ``bench_units_list.py`` does (its :func:`build`: 300 customers, 1,200
contracts, the units from the demo's bulk path, ``ANALYZE``; SQLite files, or
PostgreSQL databases created and dropped with ``--database postgres``), adds an
office manager, and then asks for ``/admin/`` on the small and the large database
in turn, request after request (the order alternates every round), as the
administrator (every office, no scoping) and as the office manager (the office's
units through the scoping sub-select). Interleaving keeps a drift of the machine
(another process, a CPU clock change) out of the ratio: both sizes see it alike.

Each request is timed twice: wall time (``time.perf_counter``) and this
process's CPU time (``time.process_time``: Python, Jinja and, on SQLite, the
database engine itself; on PostgreSQL the server's CPU is not in it). The median
of each and the ratio large / small are printed; the target is 1.5x, and the
exit status is 1 when a wall-time ratio exceeds it.

    .venv/bin/python bench/bench_home.py [--database sqlite|postgres]
        [--small 1000] [--large 1000000] [--repeat 30]

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_units_list import PASSWORD, build, login, throwaway_databases

from backoffice import create_app
from backoffice.db import acting_as, database
from backoffice.models import Office, Role, Staff

TARGET = 1.5
FIGURE_RE = re.compile(r'class="h3 mb-0 figure">([^<]+)<')
ROLES = ("admin", "office manager")


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
    if username == "admin":
        login(client)
        return
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code == 302, f"login of {username} failed"


def prepare(new_database, units: int, workdir: Path):
    """An app on a fresh database of ``units`` units; (its database object, client per role)."""
    app = create_app({"database_url": new_database(units),
                      "secret_key": "bench-secret-key-0123456789",
                      "plugins_dir": str(workdir / "no-plugins")},
                     instance_path=str(workdir / f"instance_{units}"))
    db = database.obj
    with app.app_context():
        build(units)
        add_manager()
    clients = {}
    for role, username in zip(ROLES, ("admin", "manager"), strict=True):
        clients[role] = app.test_client()
        with app.app_context():
            login_as(clients[role], username)
    return db, clients


def home(db, client):
    """One home page request on ``db``: (wall seconds, CPU seconds, the figures shown)."""
    database.initialize(db)  # the proxy points at this size's database (no connection is open)
    wall, cpu = time.perf_counter(), time.process_time()
    page = client.get("/admin/")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert page.status_code == 200, page.status_code
    return wall, cpu, FIGURE_RE.findall(page.get_data(as_text=True))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    sizes = (args.small, args.large)
    with tempfile.TemporaryDirectory(prefix="bench-home-") as tmp, \
            throwaway_databases(args.database, Path(tmp)) as new_database:
        sites = {units: prepare(new_database, units, Path(tmp)) for units in sizes}
        times = {(units, role): ([], []) for units in sizes for role in ROLES}
        for units in sizes:  # warm-up, and what each page shows
            for role in ROLES:
                for _ in range(3):
                    *_, figures = home(sites[units][0], sites[units][1][role])
                print(f"  {units:>9,} units  {role:<15} tiles: {', '.join(figures)}", flush=True)
        started = time.perf_counter()
        for n in range(args.repeat):
            for units in (sizes if n % 2 == 0 else sizes[::-1]):
                for role in ROLES:
                    wall, cpu, _figures = home(sites[units][0], sites[units][1][role])
                    times[units, role][0].append(wall)
                    times[units, role][1].append(cpu)
        elapsed = time.perf_counter() - started
    print(f"\nhome page on {args.database}, {dt.date.today()}: median of {args.repeat} requests "
          f"per size and role, interleaved ({elapsed:.1f}s); ms; target ratio <= {TARGET}x")
    print(f"{'':<16}{'wall':>10}{'':>12}{'':>8}{'CPU':>10}")
    print(f"{'':<16}{args.small:>10,}{args.large:>12,}{'ratio':>8}"
          f"{args.small:>10,}{args.large:>12,}{'ratio':>8}")
    worst = 0.0
    for role in ROLES:
        (wall_s, cpu_s), (wall_l, cpu_l) = times[args.small, role], times[args.large, role]
        ws, wl, cs, cl = (statistics.median(v) * 1000 for v in (wall_s, wall_l, cpu_s, cpu_l))
        worst = max(worst, wl / ws)
        print(f"{role:<16}{ws:>10.1f}{wl:>12.1f}{wl / ws:>7.2f}x{cs:>10.1f}{cl:>12.1f}"
              f"{cl / cs:>7.2f}x{'' if wl / ws <= TARGET else '  OVER'}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
