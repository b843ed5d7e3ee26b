"""The rule engine's typed facade against the direct call, and re-deriving a large contract.

Part 1, a decision: the facade (``engine.reply_deadline(None, received,
terms=STANDARD)`` and the like, then :func:`backoffice.services.deadlines.resolve`
of its duration) against the direct call of the same arithmetic (the charter's
function, then the same ``resolve``), for three cases:

  (a) reply_deadline, no contract;
  (b) arrival_deadline at 320 km, no contract;
  (c) arrival_deadline at 320 km for a contract (unsaved) that enables one plugin,
      ``declines``, whose ``arrival_deadline`` answers None, so the charter decides;
      the direct side calls the declining function and then the charter's.

The sides run interleaved call by call (A, B, empty, then B, A, empty, ...), each
call timed with ``time.perf_counter_ns``; the "empty" side calls a function that
does nothing, and its median (the timer and one Python call) is taken off both
sides. CPU time (``time.process_time``) is read around batches of calls, the
batches interleaved the same way. ``terms`` is given, so no database is read. The
target: the facade costs at most 2x the direct call. When a case is over it (or
with ``--profile``), the facade path is profiled: cProfile, and each of its steps
(the private methods of :class:`backoffice.plugins.RuleEngine` it runs) timed on
its own.

Part 2, re-deriving a large contract: a throw-away database (a SQLite file, or
with ``--database postgres`` a database ``backoffice_bench_<random>`` on
127.0.0.1:5432 created here and dropped at the end) with one office, customer,
product and ONE contract of N units (``Unit.insert_many``), then the contract's
``warranty_months`` is changed through ``backoffice.services.records.save`` (24 ->
36 -> 24 ...); every query it runs is counted (a handler on the ``peewee`` logger
at DEBUG: one record per query) and it is timed. After each save the bench checks
that every unit's ``warranty_end`` moved and that exactly one audit row per unit
was written.

    .venv/bin/python bench/bench_rules.py [--database sqlite|postgres]
        [--only facade|units] [--calls 100000] [--batches 200] [--batch 250]
        [--units 200,2000] [--saves 3] [--profile]

On the code before services.records (commit 739bc46: a contract's units follow it
inside ``contract.save()``, one ``unit.save()`` each) ``--only units`` measures the
same thing; see bench/README.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import logging
import pstats
import statistics
import sys
import tempfile
import time
import timeit
import types
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_units_list import throwaway_databases
from peewee import fn

from backoffice import create_app
from backoffice.db import acting_as, database
from backoffice.models import AuditEntry, Contract, Customer, Office, Product, Unit

TARGET = 2.0
DISTANCE_KM = 320.0
SECRET = "bench-secret-key-0123456789"


def new_app(database_url: str, workdir: Path, name: str):
    plugins_dir = workdir / "no-plugins"
    plugins_dir.mkdir(exist_ok=True)
    return create_app({"database_url": database_url, "secret_key": SECRET,
                       "plugins_dir": str(plugins_dir)},
                      instance_path=str(workdir / f"instance_{name}"))


# -- part 1: the facade against the direct call --------------------------------------------

def decision_cases(engine):
    """``[(label, facade, direct)]``: functions of no argument returning a resolved Deadline."""
    from backoffice.default_plugins import charter
    from backoffice.hookspecs import hookimpl
    from backoffice.services.deadlines import resolve
    from backoffice.terms import STANDARD

    @hookimpl
    def arrival_deadline(distance_km):
        return None

    declines = types.SimpleNamespace(arrival_deadline=arrival_deadline)
    engine.register(declines, "declines")
    contract = Contract(number="B-1", plugins='{"declines": {}}')
    received, terms, tz, km = dt.datetime(2026, 12, 1, 9, 30, tzinfo=engine.tz), STANDARD, \
        engine.tz, DISTANCE_KM

    def facade_reply():
        return resolve(engine.reply_deadline(None, received, terms=terms), received, terms, tz)

    def direct_reply():
        return resolve(charter.reply_deadline(terms=terms), received, terms, tz)

    def facade_arrival():
        return resolve(engine.arrival_deadline(None, received, km, terms=terms), received,
                       terms, tz)

    def direct_arrival():
        return resolve(charter.arrival_deadline(distance_km=km, terms=terms), received, terms,
                       tz)

    def facade_declined():
        return resolve(engine.arrival_deadline(contract, received, km, terms=terms), received,
                       terms, tz)

    def direct_declined():
        answer = declines.arrival_deadline(distance_km=km)
        if answer is None:
            answer = charter.arrival_deadline(distance_km=km, terms=terms)
        return resolve(answer, received, terms, tz)

    return [("(a) reply_deadline", facade_reply, direct_reply),
            ("(b) arrival_deadline 320 km", facade_arrival, direct_arrival),
            ("(c) arrival, 1 plugin declines", facade_declined, direct_declined)]


def empty():
    return None


def interleaved(sides, calls: int, batches: int, batch: int) -> list[dict]:
    """Per side: median wall ns of one call (each call timed alone, the sides alternating
    call by call) and median CPU / wall ns per call over batches (alternating batch by
    batch). The order of the sides is reversed every other round."""
    k = len(sides)
    orders = (tuple(range(k)), tuple(reversed(range(k))))
    walls = [[] for _ in sides]
    cpus, batch_walls = [[] for _ in sides], [[] for _ in sides]
    clock, cpu_clock = time.perf_counter_ns, time.process_time
    gc.collect()
    gc.disable()
    try:
        for i in range(calls):
            for j in orders[i & 1]:
                f, into = sides[j], walls[j]
                t0 = clock()
                f()
                t1 = clock()
                into.append(t1 - t0)
        repeat = range(batch)
        for r in range(batches):
            for j in orders[r & 1]:
                f = sides[j]
                c0, w0 = cpu_clock(), clock()
                for _ in repeat:
                    f()
                w1, c1 = clock(), cpu_clock()
                cpus[j].append((c1 - c0) * 1e9 / batch)
                batch_walls[j].append((w1 - w0) / batch)
                if r % 20 == 19:
                    gc.collect()
    finally:
        gc.enable()
    return [{"wall": statistics.median(w), "cpu": statistics.median(c),
             "batch_wall": statistics.median(b)}
            for w, c, b in zip(walls, cpus, batch_walls, strict=True)]


def profile_facade(engine, label: str, facade, calls: int) -> None:
    """cProfile of the facade path (its own time per function)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        facade()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(14)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print(f"\n  cProfile of {label}, {calls:,} decisions (own time; cProfile adds its own "
          f"cost to every call, so small functions look bigger):")
    for line in lines[start - 1:]:
        print("    " + line.replace(str(Path(__file__).resolve().parent.parent) + "/", ""))


def steps_of_facade(engine, hook: str, contract, km: float | None, number: int) -> None:
    """Each step the facade runs for one decision, timed on its own (min of 7, ns): the
    engine's own private methods, called as ``_decide`` calls them."""
    from backoffice import plugins
    from backoffice.services.deadlines import resolve
    from backoffice.terms import STANDARD

    received = dt.datetime(2026, 12, 1, 9, 30, tzinfo=engine.tz)
    enabled = contract.enabled_plugins() if contract is not None else {}
    chain = engine._chain(hook, enabled)
    args = {"received": received, "terms": STANDARD, "contract": contract,
            "settings": plugins._NO_SETTINGS}
    if km is not None:
        args.update(distance_km=km, site=None)
    method = getattr(engine, hook)
    extra = (km,) if km is not None else ()
    name, function, argnames = chain.steps[-1]
    kwargs = {a: args[a] for a in argnames}
    result = function(**kwargs)
    decl = chain.decl

    def build_args():
        if km is None:
            return {"received": engine._local(received), "terms": STANDARD}
        return {"received": engine._local(received), "distance_km": km, "site": None,
                "terms": STANDARD}

    def kwargs_of_each_step():
        for _name, _function, names in chain.steps:
            _ = {a: args[a] for a in names}

    def call_each_step():
        for _name, step, names in chain.steps:
            step(**{a: args[a] for a in names})

    steps = [
        (f"engine.{hook}(...) whole", lambda: method(contract, received, *extra,
                                                       terms=STANDARD)),
        ("  _decide(...) whole", lambda: engine._decide(hook, contract, None, build_args())),
        ("  facade method: _local + args dict", build_args),
        ("    of which engine._local(received)", lambda: engine._local(received)),
    ]
    if contract is not None:
        steps.append(("  contract.enabled_plugins() (cached)", contract.enabled_plugins))
    steps += [
        ("  engine._chain(hook, enabled)", lambda: engine._chain(hook, enabled)),
        (f"  {{a: args[a] for a in argnames}} x{len(chain.steps)}", kwargs_of_each_step),
        (f"  the implementations' calls x{len(chain.steps)} (with kwargs)", call_each_step),
        ("    of which the charter's arithmetic", lambda: function(**kwargs)),
        ("  _type_problem(result, Deadline, False)",
         lambda: plugins._type_problem(result, decl.result, False)),
        ("  decl.sense(result, args)", lambda: decl.sense(result, args)),
        ("  engine._signed(result, name)", lambda: engine._signed(result, name)),
        ("resolve(deadline, ...) (both sides)", lambda: resolve(result, received, STANDARD,
                                                                 engine.tz)),
        ("an empty call (what timeit adds)", empty),
    ]
    timer = timeit.Timer
    figures = []
    for label, step in steps:
        best = min(timer(step).repeat(7, number)) * 1e9 / number
        figures.append((label, best))
    base = figures[-1][1]
    whose = f"contract {contract}" if contract is not None else "no contract"
    print(f"\n  steps of engine.{hook} ({whose}), each timed alone, min of 7 x {number:,}, ns, "
          f"less the empty call:")
    for label, ns in figures[:-1]:
        print(f"    {label:<52}{ns - base:>8.0f}")
    net = {label.strip(): ns - base for label, ns in figures}
    whole = net["_decide(...) whole"]
    parts = sum(v for k, v in net.items() if k.startswith(("contract.enabled", "engine._chain",
                                                           "the implementations", "_type_",
                                                           "decl.sense", "engine._signed")))
    print(f"    {'  _decide, its own lines (whole - the steps above)':<52}"
          f"{whole - parts - net['facade method: _local + args dict']:>8.0f}")


def part_facade(args, workdir: Path) -> bool:
    """Prints the table; returns True when every case is within the target."""
    app = new_app(f"sqlite:///{workdir / 'b.db'}", workdir, "facade")
    with app.app_context():
        from backoffice.plugins import current_engine
        engine = current_engine()
        cases = decision_cases(engine)
        for label, facade, direct in cases:  # the same answer, and warm caches
            a, b = facade(), direct()
            assert (a.due, a.decided_by) == (b.due, b.decided_by), (label, a, b)
            for _ in range(2000):
                facade(), direct()
        print(f"\nfacade vs direct call, {dt.date.today()}: {args.calls:,} interleaved calls "
              f"per side, CPU over {args.batches} batches of {args.batch} per side", flush=True)
        results = {}
        started = time.perf_counter()
        for label, facade, direct in cases:
            f, d, e = interleaved((facade, direct, empty), args.calls, args.batches, args.batch)
            results[label] = (f, d, e)
        elapsed = time.perf_counter() - started
        e_wall = statistics.median(e["wall"] for _f, _d, e in results.values())
        print(f"\ndecision + resolve, ns per decision, median ({elapsed:.1f}s); target "
              f"facade/direct <= {TARGET:g}x\n  wall: each call timed alone, less the empty "
              f"call (~{e_wall:.0f} ns); CPU: per call over batches, less the empty batch")
        print(f"{'':<32}{'wall':>8}{'':>8}{'':>8}{'CPU':>9}")
        print(f"{'':<32}{'facade':>8}{'direct':>8}{'ratio':>8}{'facade':>9}{'direct':>8}"
              f"{'ratio':>8}{'batch wall ratio':>18}")
        over = []
        for label, (f, d, e) in results.items():
            fw, dw = f["wall"] - e["wall"], d["wall"] - e["wall"]
            fc, dc = f["cpu"] - e["cpu"], d["cpu"] - e["cpu"]
            bw = (f["batch_wall"] - e["batch_wall"]) / (d["batch_wall"] - e["batch_wall"])
            worst = max(fw / dw, fc / dc)
            if worst > TARGET:
                over.append(label)
            print(f"{label:<32}{fw:>8.0f}{dw:>8.0f}{fw / dw:>7.2f}x{fc:>9.0f}{dc:>8.0f}"
                  f"{fc / dc:>7.2f}x{bw:>17.2f}x{'  OVER' if worst > TARGET else ''}")
        if over or args.profile:
            why = f"over {TARGET:g}x: {', '.join(over)}" if over else "--profile"
            print(f"\nprofile of the facade path ({why})")
            labels = over or [label for label, *_ in cases]
            contract = Contract(number="B-1", plugins='{"declines": {}}')
            for label, facade, _direct in cases:
                if label not in labels:
                    continue
                profile_facade(engine, label, facade, 50_000)
                if label.startswith("(a)"):
                    steps_of_facade(engine, "reply_deadline", None, None, 20_000)
                elif label.startswith("(b)"):
                    steps_of_facade(engine, "arrival_deadline", None, DISTANCE_KM, 20_000)
                else:
                    steps_of_facade(engine, "arrival_deadline", contract, DISTANCE_KM, 20_000)
    return not over


# -- part 2: a contract's units follow it ---------------------------------------------------

class QueryCounter(logging.Handler):
    """Every query peewee runs is one DEBUG record ``(sql, params)`` on its logger."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.kinds: dict[str, int] = {}

    def emit(self, record):
        sql = record.msg[0] if isinstance(record.msg, tuple) else str(record.msg)
        kind = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


def counting_queries():
    logger = logging.getLogger("peewee")
    handler = QueryCounter()
    saved = logger.level, logger.propagate

    class Block:
        def __enter__(self):
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
            logger.addHandler(handler)
            return handler

        def __exit__(self, *exc):
            logger.removeHandler(handler)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]

    return Block()


def saver():
    """How a contract is saved on behalf of someone: through services.records, or (the code
    before it, 739bc46) ``contract.save()``, whose ``after_update`` saves each unit."""
    try:
        from backoffice.access import Operator
        from backoffice.services import records
    except ImportError:
        def save(contract):
            with acting_as("bench"):
                contract.save()
        return "contract.save() (units one by one)", save
    operator = Operator("bench")
    return "services.records.save", lambda contract: records.save(operator, contract)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return day.replace(year=year, month=month, day=min(day.day, last))


def build_contract(units: int) -> int:
    """Migrate, then one office, customer, product and contract of ``units`` units."""
    from backoffice import migrate
    database.connect(reuse_if_open=True)
    migrate.upgrade()
    with acting_as("bench"):
        office = Office.create(code="HRB", name="Harbin office", city="Harbin",
                               province="Heilongjiang", latitude=Decimal("45.8"),
                               longitude=Decimal("126.5"))
        customer = Customer.create(code="C-00001", name="Customer 1", office=office)
        product = Product.create(model="UPS-100", name="UPS 100 kVA", grade="A",
                                 warranty_months=24)
        contract = Contract.create(number="K-00001", customer=customer,
                                   signed_on=dt.date(2025, 1, 1), warranty_months=24)
    now = dt.datetime(2025, 1, 1)
    rows = []
    for i in range(units):
        accepted = dt.date(2025, 1, 1) + dt.timedelta(days=i % 700)
        rows.append({"customer": customer.id, "product": product.id, "contract": contract.id,
                     "serial": f"UPS-100-{i:09d}", "accepted_on": accepted,
                     "warranty_start": accepted,
                     "warranty_end": add_months(accepted, 24) - dt.timedelta(days=1),
                     "created_at": now, "updated_at": now})
    with database.atomic():
        for start in range(0, units, 300):
            Unit.insert_many(rows[start:start + 300]).execute()
    return contract.id


def rederive(contract_id: int, months: int, save) -> dict:
    """Change the contract's warranty to ``months`` through ``save``: queries, wall, CPU,
    and what changed."""
    unit_ids = Unit.select(Unit.id).where(Unit.contract == contract_id)
    ends = dict(Unit.select(Unit.id, Unit.warranty_end)
                .where(Unit.contract == contract_id).tuples())
    last_audit = AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id.desc()).scalar() or 0
    contract = Contract.get_by_id(contract_id)
    contract.warranty_months = months
    with counting_queries() as counted:
        c0, w0 = time.process_time(), time.perf_counter()
        save(contract)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    moved = dict(Unit.select(Unit.id, Unit.warranty_end)
                 .where(Unit.contract == contract_id).tuples())
    audited = dict(AuditEntry.select(AuditEntry.row_id, fn.COUNT(AuditEntry.id))
                   .where((AuditEntry.id > last_audit) & (AuditEntry.table == "unit")
                          & (AuditEntry.action == "update") & AuditEntry.row_id.in_(unit_ids))
                   .group_by(AuditEntry.row_id).tuples())
    return {"queries": counted.total, "kinds": dict(counted.kinds), "wall": wall, "cpu": cpu,
            "units": len(ends), "changed": sum(moved[i] != ends[i] for i in ends),
            "audited": len(audited), "audit_rows": sum(audited.values()),
            "one_each": set(audited) == set(ends) and set(audited.values()) == {1}}


def part_units(args, workdir: Path) -> bool:
    how, save = saver()
    sizes = [int(n) for n in args.units.split(",")]
    figures = {}
    with throwaway_databases(args.database, workdir) as new_database:
        for units in sizes:
            app = new_app(new_database(units), workdir, f"units_{units}")
            with app.app_context():
                contract_id = build_contract(units)
                runs = []
                for n in range(args.saves):
                    months = 36 if n % 2 == 0 else 24
                    run = rederive(contract_id, months, save)
                    runs.append(run)
                    print(f"  {units:>5,} units, warranty -> {months} months: {run['queries']:,} "
                          f"queries, {run['wall']:.3f}s wall, {run['cpu']:.3f}s CPU; "
                          f"{run['changed']:,} warranty ends moved, {run['audit_rows']:,} "
                          f"audit rows for {run['audited']:,} units", flush=True)
                database.close()
            figures[units] = runs
    print(f"\ncontract warranty 24 <-> 36 months through {how} on {args.database}, "
          f"{dt.date.today()}: median of {args.saves} saves (the queries of each)")
    print(f"{'units':>7}{'queries':>10}{'per unit':>10}{'wall s':>9}{'CPU s':>8}"
          f"{'ends moved':>12}{'audit rows':>12}   queries by kind")
    ok = True
    for units, runs in figures.items():
        queries = sorted({r["queries"] for r in runs})
        right = all(r["changed"] == r["units"] == units and r["one_each"]
                    and r["audit_rows"] == units for r in runs)
        ok = ok and right
        kinds = ", ".join(f"{v:,} {k}" for k, v in sorted(runs[0]["kinds"].items(),
                                                        key=lambda kv: -kv[1]))
        shown = f"{queries[0]:,}" if len(queries) == 1 else f"{queries[0]:,}-{queries[-1]:,}"
        print(f"{units:>7,}{shown:>10}{queries[-1] / units:>10.2f}"
              f"{statistics.median(r['wall'] for r in runs):>9.3f}"
              f"{statistics.median(r['cpu'] for r in runs):>8.3f}"
              f"{min(r['changed'] for r in runs):>12,}{min(r['audit_rows'] for r in runs):>12,}"
              f"   {kinds}{'' if right else '  WRONG'}")
    if args.database == "postgres":
        print("(CPU is this process's: the PostgreSQL server's own CPU is not in it)")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--only", choices=("facade", "units"))
    parser.add_argument("--calls", type=int, default=100_000,
                        help="interleaved calls per side and case")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=250, help="calls per CPU-time batch")
    parser.add_argument("--units", default="200,2000", help="contract sizes, comma-separated")
    parser.add_argument("--saves", type=int, default=3, help="saves per contract size")
    parser.add_argument("--profile", action="store_true",
                        help="profile the facade path even when it is within the target")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-rules-") as tmp:
        if args.only != "units":
            ok = part_facade(args, Path(tmp)) and ok
        if args.only != "facade":
            print(flush=True)
            ok = part_units(args, Path(tmp)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
