"""The clock watcher's pass at 10,000 and 1,000,000 tickets, and the delay from due to notice.

Part 1, the pass. Two throw-away databases, SQLite files (default) or PostgreSQL databases
(``--database postgres``: ``backoffice_bench_<random>`` on 127.0.0.1:5432, user postgres,
created here and dropped at the end, even on failure), built as ``bench_tickets.py``
builds them: migrated, the demo (``backoffice.demo.seed``: 26 offices with one manager
each, three headquarters staff, 2,400 units, its ~720 tickets of the year), then tickets in
bulk up to the size on the demo's units (:func:`backoffice.demo.tickets.add_tickets`,
executemany on SQLite, COPY on PostgreSQL, the ticket table's non-unique indexes built
after the load from 100k on), then ``ANALYZE``. In both, the last ``--open`` (10,000)
tickets by id are made open (received, no reply yet); every other ticket is closed and has
no check, and the demo's notices are deleted. So the small database has 10,000 tickets,
all open, the large one 1,000,000, of which 10,000 open.

Each open ticket keeps its own deadlines as decided (its contract's terms, its distance),
moved so that its reply is due at a time of a fixed schedule: ``--due`` (200) tickets in
each 30 s from 2026-12-01 10:00 (Shanghai), the warnings already told (``checked_until``
a second before the due, as the passes before would have left it). Its ``next_check``
comes from :func:`backoffice.services.sla.schedule` and is checked to be the due time:
the breach, whatever the contract's clock and warning share. Round ``r``'s pass runs at
the end of the r-th 30 s, so each pass finds exactly ``--due`` tickets due (checked), and
creates the same notices at both sizes: the breach to the office's manager and to
headquarters' staff, each with its mail in the outbox. The next step of a ticket (its
escalation, 4 h later) is far beyond the rounds, so no round finds more.

The passes (:func:`backoffice.services.sla.run_pass` at the round's moment, as the worker
calls it) alternate between the sizes, pass by pass (which size goes first alternates every
round), timed as wall time (``time.perf_counter``) and this process's CPU time
(``time.process_time``: Python and, on SQLite, the database engine; PostgreSQL's server
is not in it). Also timed: a pass with nothing due (what the worker does every 5 s most of
the time). Target: 1M / 10k within 1.5x, wall time. ``--explain`` prints the plan of the
pass's ticket query on the large database at a moment with ``--due`` tickets due
(PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)`` in a transaction rolled back; SQLite:
``EXPLAIN QUERY PLAN``).

Part 2, the delay, on the large database: ``--delay`` (10,000) other tickets made open as
above, their replies due in one minute of the real clock (spread over it evenly, starting
at the next minute once they are made), then the worker's watch as Huey runs it: at the
start of each minute the scheduler queues the watch, which one of the consumer's two
threads runs (a watch still running leaves the next to the other thread):
:func:`backoffice.worker.watch_for` for ``WATCH_SECONDS`` (50 s) with the configured poll
(5 s), the pass, then the outbox (the built-in senders: the demo's staff
have mail addresses and no mail server is set, so each mail is written to the log, which
is muted here), until every one of those tickets is past its breach. For each breach
notice: ``created_at - due_at``. Target: every one within 60 s.

    .venv/bin/python bench/bench_sla.py [--database sqlite|postgres]
        [--small 10000] [--large 1000000] [--open 10000] [--due 200] [--rounds 25]
        [--delay 10000] [--only pass|delay] [--explain]

The exit status is 1 when a target is missed. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_tickets import REBUILD_FROM, TODAY, new_app
from bench_units_list import captured_sql, throwaway_databases

from backoffice import demo, migrate
from backoffice.clock import utcnow
from backoffice.db import acting_as, database, is_postgres
from backoffice.demo import tickets as demo_tickets
from backoffice.labels import NoticeLevel, TicketState
from backoffice.models import Delivery, Notice, Staff, Ticket
from backoffice.services import sla
from backoffice.worker import WATCH_SECONDS, WORKER, watch_for

TARGET, DELAY_TARGET = 1.5, 60.0
#: the worker's threads (``backoffice worker``'s default ``--threads``)
THREADS = 2
#: the first due time of part 1's schedule (stored UTC: 10:00 in Shanghai), and its step
START = dt.datetime(2026, 12, 1, 2, 0)
ROUND = dt.timedelta(seconds=30)
SECOND = dt.timedelta(seconds=1)
QUIET = (TicketState.CLOSED, TicketState.CANCELLED)


# -- the data ------------------------------------------------------------------------------

def build(tickets: int) -> None:
    """Migrate, seed the demo, add tickets in bulk up to ``tickets``, ANALYZE."""
    database.connect(reuse_if_open=True)
    migrate.upgrade()
    Staff.password_method = "pbkdf2:sha256:1000"  # the demo's accounts, cheap to make
    started = time.perf_counter()
    demo.seed("development", today=TODAY)
    seeded = time.perf_counter() - started
    missing = tickets - Ticket.select().count()
    dropped = demo._drop_for_bulk(Ticket) if missing >= REBUILD_FROM else []

    def progress(done, total):
        if total >= 100_000 and done % 100_000 < 20_000:
            print(f"    {done:,} / {total:,} tickets", flush=True)

    started = time.perf_counter()
    demo_tickets.add_tickets(tickets, demo.insert_rows, demo_tickets.anchor_for(TODAY),
                             progress=progress)
    for sql in dropped:
        database.execute_sql(sql)
    database.execute_sql("VACUUM ANALYZE ticket" if is_postgres() else "ANALYZE")
    print(f"  {tickets:,} tickets: demo seeded in {seeded:.1f}s, the rest added in "
          f"{time.perf_counter() - started:.1f}s", flush=True)


def last_ids(count: int, below: int | None = None) -> list[int]:
    """The ``count`` highest ticket ids (below ``below``), in order."""
    query = Ticket.select(Ticket.id)
    if below is not None:
        query = query.where(Ticket.id < below)
    ids = sorted(i for (i,) in query.order_by(Ticket.id.desc()).limit(count).tuples())
    assert len(ids) == count and ids[-1] - ids[0] == count - 1, "ids not contiguous"
    return ids


def quiet_all() -> None:
    """Every ticket closed (or cancelled) with no check; no notices, no deliveries."""
    with database.atomic():
        Delivery.delete().execute()
        Notice.delete().execute()
        Ticket.update(next_check=None, checked_until=None).where(
            Ticket.next_check.is_null(False) | Ticket.checked_until.is_null(False)).execute()
        Ticket.update(state=TicketState.CLOSED, closed_at=START - dt.timedelta(days=1),
                      next_due=None).where(Ticket.state.not_in(QUIET)).execute()


def make_due(ids: list[int], dues: list[dt.datetime]) -> None:
    """Tickets ``ids`` open and unanswered, each with its own decided deadlines moved so
    that its reply is due at ``dues[i]`` (stored UTC), the warnings told already: the next
    check (from ``sla.schedule``) is the breach, at the due time."""
    rows = list(Ticket.select().where(Ticket.id.between(ids[0], ids[-1])).order_by(Ticket.id))
    assert [t.id for t in rows] == ids
    changed = ("received_at", "reply_due", "arrival_due", "state", "replied_at", "reply_text",
               "replied_by", "engineer", "dispatched_at", "planned_arrival", "arrived_at",
               "restored_at", "restored_how", "closed_at", "cancel_reason", "paused_since",
               "pause_reason", "paused_seconds", "next_due", "checked_until", "next_check")
    with database.atomic():
        for ticket, due in zip(rows, dues, strict=True):
            shift = due - ticket.reply_due
            ticket.received_at += shift
            ticket.reply_due = due
            ticket.arrival_due = ticket.arrival_due + shift if ticket.arrival_due else None
            ticket.state = TicketState.RECEIVED
            ticket.replied_at = ticket.replied_by = ticket.engineer = None
            ticket.dispatched_at = ticket.planned_arrival = ticket.arrived_at = None
            ticket.restored_at = ticket.closed_at = ticket.paused_since = None
            ticket.reply_text = ticket.restored_how = ticket.cancel_reason = ""
            ticket.pause_reason, ticket.paused_seconds = "", 0
            ticket.next_due = due
            ticket.checked_until = due - SECOND
            sla.schedule(ticket)
            assert ticket.next_check == due, (ticket.id, ticket.next_check, due)
            Ticket.update({getattr(Ticket, name): getattr(ticket, name) for name in changed}
                          ).where(Ticket.id == ticket.id).execute()


def part1_dues(count: int, per_round: int) -> list[dt.datetime]:
    """Due times: ``per_round`` in each ROUND from START, strictly inside it."""
    step = ROUND / (per_round + 1)
    return [START + (j // per_round) * ROUND + (j % per_round + 1) * step for j in range(count)]


@dataclass
class Size:
    tickets: int
    app: object
    db: object
    open_ids: list = field(default_factory=list)
    making: float = 0.0  # seconds make_due took for the open tickets


def prepare(new_database, tickets: int, args, workdir: Path) -> Size:
    app = new_app(new_database(tickets), workdir, f"t{tickets}")
    size = Size(tickets, app, database.obj)
    with app.app_context():
        build(tickets)
        started = time.perf_counter()
        quiet_all()
        size.open_ids = last_ids(args.open)
        making = time.perf_counter()
        make_due(size.open_ids, part1_dues(args.open, args.due))
        size.making = time.perf_counter() - making
        database.execute_sql("ANALYZE")
        counts = (Ticket.select().count(),
                  Ticket.select().where(Ticket.state.not_in(QUIET)).count(),
                  Ticket.select().where(Ticket.next_check.is_null(False)).count())
        database.close()
    print(f"  {counts[0]:,} tickets, {counts[1]:,} open, {counts[2]:,} with a check "
          f"(made in {time.perf_counter() - started:.1f}s)", flush=True)
    assert counts[1] == counts[2] == args.open
    return size


# -- part 1: the pass ----------------------------------------------------------------------

def one_pass(size: Size, moment: dt.datetime):
    """One pass on ``size`` at ``moment``: (wall s, CPU s, PassResult)."""
    database.initialize(size.db)
    with size.app.app_context():
        database.connect(reuse_if_open=True)
        with acting_as(WORKER, fallback=True):
            wall, cpu = time.perf_counter(), time.process_time()
            result = sla.run_pass(at=moment)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        database.close()
    return wall, cpu, result


def explain(size: Size, moment: dt.datetime) -> None:
    """The plan of the pass's ticket query at ``moment`` (the pass itself rolled back)."""
    database.initialize(size.db)
    with size.app.app_context():
        database.connect(reuse_if_open=True)
        with database.atomic() as outer:
            with captured_sql() as seen:
                result = sla.run_pass(at=moment)
            outer.rollback()
        (sql, params), *_ = [(s, p) for s, p in seen if s.startswith("SELECT")
                             and 'FROM "ticket"' in s and "LIMIT" in s]
        print(f"\n-- the pass's ticket query on {size.tickets:,} tickets at {moment} "
              f"({result.tickets} due in its batches):\n   {sql}\n   {params}")
        if is_postgres():
            with database.atomic() as outer:
                plan = database.execute_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                lines = [line for (line,) in plan.fetchall()]
                outer.rollback()
        else:
            plan = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)
            lines = [row[-1] for row in plan.fetchall()]
        print("\n".join(f"   {line}" for line in lines))
        database.close()


def part_pass(args, small: Size, large: Size) -> bool:
    sizes = (small, large)
    rounds = min(args.rounds, args.open // args.due)
    times = {(name, s.tickets): ([], []) for name in ("due", "none") for s in sizes}
    made = {s.tickets: [] for s in sizes}
    for size in sizes:  # warm-up: nothing due yet
        for _ in range(3):
            one_pass(size, START)
    started = time.perf_counter()
    for r in range(rounds):
        order = sizes if r % 2 == 0 else sizes[::-1]
        for size in order:  # nothing due (the next round's tickets are not yet)
            wall, cpu, result = one_pass(size, START + r * ROUND)
            assert result.tickets == 0, (size.tickets, r, result)
            times["none", size.tickets][0].append(wall)
            times["none", size.tickets][1].append(cpu)
        for size in order:
            wall, cpu, result = one_pass(size, START + (r + 1) * ROUND)
            assert result.tickets == args.due, (size.tickets, r, result)
            times["due", size.tickets][0].append(wall)
            times["due", size.tickets][1].append(cpu)
            made[size.tickets].append((result.notices, result.deliveries))
    elapsed = time.perf_counter() - started
    if args.explain:
        explain(large, START + (rounds + 1) * ROUND if rounds < args.open // args.due
                else START + rounds * ROUND)
    notices = {n: sorted(set(v)) for n, v in made.items()}
    print(f"\nthe SLA pass on {args.database}, {dt.date.today()}: {args.open:,} open tickets "
          f"at both sizes; median of {rounds} passes per size, interleaved ({elapsed:.1f}s); "
          f"target wall ratio <= {TARGET}x")
    for size in sizes:
        print(f"  {size.tickets:,} tickets: (notices, deliveries) per pass "
              f"{', '.join(f'{a:,}/{b:,}' for a, b in notices[size.tickets])}")
    print(f"{'':<26}{'wall ms':>10}{'':>22}{'CPU ms':>10}")
    print(f"{'':<26}{small.tickets:>10,}{large.tickets:>12,}{'ratio':>8}"
          f"{small.tickets:>10,}{large.tickets:>12,}{'ratio':>8}")
    ok = True
    for name, label in (("due", f"pass, {args.due} due"), ("none", "pass, none due")):
        (ws, cs), (wl, cl) = times[name, small.tickets], times[name, large.tickets]
        ws, wl, cs, cl = (statistics.median(v) * 1000 for v in (ws, wl, cs, cl))
        over = wl / ws > TARGET and name == "due"
        ok = ok and not over
        extra = f"   {ws / args.due:.2f} vs {wl / args.due:.2f} ms a ticket" if name == "due" \
            else ""
        print(f"{label:<26}{ws:>10.1f}{wl:>12.1f}{wl / ws:>7.2f}x{cs:>10.1f}{cl:>12.1f}"
              f"{cl / cs:>7.2f}x{'  OVER' if over else ''}{extra}")
    return ok


# -- part 2: the delay ---------------------------------------------------------------------

def part_delay(args, size: Size) -> bool:
    database.initialize(size.db)
    app = size.app
    with app.app_context():
        database.connect(reuse_if_open=True)
        started = time.perf_counter()
        quiet_all()
        below = size.open_ids[0] if size.open_ids and size.tickets >= 2 * args.delay else None
        ids = last_ids(args.delay, below)
        # the minute they are due in: the next one after the set-up (as long as part 1's,
        # for as many tickets, twice over) and 30 s more
        lead = 30 + 2 * size.making * args.delay / max(args.open, 1)
        first = utcnow() + dt.timedelta(seconds=lead)
        first = first.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        dues = [first + (j + 0.5) * dt.timedelta(minutes=1) / args.delay
                for j in range(args.delay)]
        make_due(ids, dues)
        database.close()
    print(f"\n  {len(ids):,} tickets due from {first:%H:%M:%S} to {dues[-1]:%H:%M:%S} UTC "
          f"(made in {time.perf_counter() - started:.1f}s); the watch starts each minute",
          flush=True)
    if utcnow() >= first:
        print("  (the set-up ran into the due minute: the first dues were past before the "
              "watch started)")
    passes = []
    original = sla.run_pass

    def timed_pass(*a, **k):
        began, clock = utcnow(), time.perf_counter()
        result = original(*a, **k)
        passes.append((began, time.perf_counter() - clock, result))
        return result
    sla.run_pass = timed_pass  # the worker calls sla.run_pass: every pass is timed
    poll = app.config["WATCH_POLL_SECONDS"]
    give_up = dues[-1] + dt.timedelta(minutes=5)

    def watch():  # the sla.watch task, in one of the consumer's threads
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                watch_for(WATCH_SECONDS, poll)
            finally:
                database.close()
    # Huey's consumer as `backoffice worker` starts it: THREADS worker threads, and the
    # scheduler queueing sla.watch at the start of every minute (crontab(minute="*")); a
    # watch still running when the next minute comes leaves it to the other thread
    pool, watches = ThreadPoolExecutor(max_workers=THREADS), []
    try:
        with app.app_context():
            while True:
                database.connect(reuse_if_open=True)
                left = Ticket.select().where(Ticket.id.between(ids[0], ids[-1])
                                             & (Ticket.next_check <= dues[-1])).count()
                database.close()
                if not left or utcnow() > give_up:
                    break
                now = utcnow()
                time.sleep(60 - now.second - now.microsecond / 1e6)
                watches.append(pool.submit(watch))
        pool.shutdown(wait=True)  # the last watches run out their 50 s
        for done in watches:
            done.result()
    finally:
        sla.run_pass = original
    with app.app_context():
        database.connect(reuse_if_open=True)
        for table in ("notice", "delivery"):  # 40,000 rows more than ANALYZE last saw
            database.execute_sql(f'ANALYZE "{table}"')
        rows = list(Notice.select(Notice.created_at, Notice.due_at).where(
            Notice.ticket.between(ids[0], ids[-1]) & (Notice.level == NoticeLevel.BREACH)
        ).tuples())
        told = Notice.select(Notice.ticket).where(
            Notice.ticket.between(ids[0], ids[-1]) & (Notice.level == NoticeLevel.BREACH)
        ).distinct().count()
        warned = Notice.select().where(Notice.ticket.between(ids[0], ids[-1])
                                       & (Notice.level != NoticeLevel.BREACH)).count()
        sent = sorted((s - d).total_seconds() for s, d in Delivery.select(
            Delivery.sent_at, Notice.due_at).join(Notice).where(
            Notice.ticket.between(ids[0], ids[-1]) & Delivery.sent_at.is_null(False)).tuples())
        outbox = Delivery.select().join(Notice).where(
            Notice.ticket.between(ids[0], ids[-1])).count()
        database.close()
    delays = sorted((created - due).total_seconds() for created, due in rows)
    busy = [(began, seconds, r) for began, seconds, r in passes if r.tickets]
    print(f"\ndelay from due to notice created on {args.database}, {size.tickets:,} tickets, "
          f"{dt.date.today()}: {len(ids):,} tickets due in one minute, the worker's watch "
          f"({WATCH_SECONDS} s from each minute, poll {poll} s); target max <= "
          f"{DELAY_TARGET:.0f} s")
    print(f"  {len(rows):,} breach notices for {told:,} tickets ({warned} others); "
          f"{len(passes)} passes, {len(busy)} of them with tickets due:")
    for began, seconds, result in busy:
        print(f"    pass at {began:%H:%M:%S}: {result.tickets:,} tickets, {result.notices:,} "
              f"notices, {result.deliveries:,} deliveries in {seconds:.1f}s")
    if not delays:
        print("  no notice created")
        return False

    def pct(p):
        return delays[min(len(delays) - 1, math.ceil(p / 100 * len(delays)) - 1)]
    print(f"  delay s: min {delays[0]:.1f}, p50 {pct(50):.1f}, p99 {pct(99):.1f}, "
          f"max {delays[-1]:.1f}")
    if sent:
        print(f"  the outbox meanwhile: {len(sent):,} of {outbox:,} mails sent (the built-in "
              f"mail sender, to the log), the first {sent[0]:.1f} s and the last "
              f"{sent[-1]:.1f} s after its due time")
    ok = told == len(ids) and delays[-1] <= DELAY_TARGET
    if not ok:
        print("  OVER" if delays[-1] > DELAY_TARGET else "  some tickets were not told")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=200, help="tickets due per pass")
    parser.add_argument("--rounds", type=int, default=25, help="passes per size")
    parser.add_argument("--delay", type=int, default=10_000, help="tickets due in one minute")
    parser.add_argument("--only", choices=("pass", "delay"), default=None)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    for name in ("backoffice.notices", "backoffice.worker", "backoffice.sla"):
        logging.getLogger(name).setLevel(logging.WARNING)  # 10,000s of mails in the log
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-sla-") as tmp, \
            throwaway_databases(args.database, Path(tmp)) as new_database:
        workdir = Path(tmp)
        started = time.perf_counter()
        large = prepare(new_database, args.large, args, workdir)
        small = prepare(new_database, args.small, args, workdir) if args.only != "delay" \
            else None
        print(f"  built in {time.perf_counter() - started:.0f}s", flush=True)
        if args.only != "delay":
            ok = part_pass(args, small, large) and ok
        if args.only != "pass":
            ok = part_delay(args, large) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
