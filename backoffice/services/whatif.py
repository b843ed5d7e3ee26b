"""What-if before publishing terms: how past tickets fared, and how they would have under
another version of their term set.

For the past tickets of the contracts on a term set (pinned to one of its versions;
for the charter also every contract pinned to none, and the tickets with no contract,
which are on the standard terms too), optionally only those received since a day, it
counts per office and in total how many met or missed each milestone (reply, arrival):

* **now**: against the due stored on the ticket, the terms it had (pauses included);
* **under V**: against the due the rule engine gives under version V, asked exactly as
  :func:`backoffice.services.deadlines.compute_deadlines` asks it (the ticket's
  receipt, distance, contract with its plugins, site, and the ticket itself), then moved
  on by each of the ticket's pauses as :func:`backoffice.services.tickets.resume` moves
  a deadline, counted on V's clock.

A milestone kept counts met when kept by its due, else missed. One not kept yet counts
missed once its due has passed and open before that; while a ticket waits on the
customer its clock is stopped, so it is missed only if the due had passed when the
pause began. A cancelled ticket's milestones not kept count nowhere (there is no
promise left to keep).

The tickets are read in chunks by id (:data:`CHUNK` at a time), so a history of a
million tickets is never loaded at once, and a progress callback hears ``(done, total)``
after each chunk. A :class:`~backoffice.models.WhatIfRun` keeps a count's progress and
result: :func:`start` checks and queues it, :func:`execute` does the work (the worker,
or the request itself for a small history: :func:`run_now_or_queue`), :func:`compute`
answers at once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

from ..access import Action, require
from ..clock import local, now, stored, utcnow, working_due, working_time_between
from ..db import database
from ..i18n import _
from ..labels import TicketState
from ..models import (
    Contract,
    Office,
    RuleViolation,
    RunState,
    Site,
    TermSet,
    TermSetVersion,
    Ticket,
    TicketPause,
    WhatIfRun,
)
from ..models.core import TEXT_MAX_LENGTH
from ..plugins import current_engine
from ..terms import STANDARD, SheetError
from . import calendars
from .deadlines import compute_deadlines, local_date
from .tickets import _UNKNOWN_DISTANCE_KM as UNKNOWN_DISTANCE_KM

logger = logging.getLogger("backoffice.whatif")

#: tickets read and counted at a time (one query each, and one progress update)
CHUNK = 2_000
#: a history up to this many tickets is counted at once, by the request or command asking
INLINE_LIMIT = 5_000
#: version numbers from outside are at most this (as ``backoffice terms diff`` takes them)
MAX_VERSION = 1_000_000

#: (milestone, the ticket's due field, its done field)
MILESTONES = (("reply", "reply_due", "replied_at"), ("arrival", "arrival_due", "arrived_at"))
OUTCOMES = ("met", "missed", "open")

Progress = Callable[[int, int], None]


# -- what is asked -----------------------------------------------------------------------

def find_version(term_set, version) -> TermSetVersion:
    """The stored version ``version`` (a number, or a row) of ``term_set`` (a name, or a
    row); :class:`RuleViolation` (code ``not_found`` or ``invalid``) names what is wrong."""
    if not isinstance(term_set, TermSet):
        name = str(term_set or "").strip()
        term_set = TermSet.get_or_none(TermSet.name == name) if name else None
        if term_set is None:
            raise RuleViolation(_("No term set named %(name)s.", name=repr(name)), "term_set",
                                "not_found")
    if isinstance(version, TermSetVersion):
        if version.term_set_id != term_set.id:
            raise RuleViolation(_("%(version)s is not a version of %(name)s.",
                                  version=str(version), name=term_set.name), "version",
                                "not_found")
        return version
    number = _number(version)
    row = None
    if number is not None:
        row = TermSetVersion.get_or_none((TermSetVersion.term_set == term_set)
                                         & (TermSetVersion.number == number))
    if row is None:
        raise RuleViolation(_("Term set %(name)s has no version %(number)s.",
                              name=term_set.name, number=str(version)), "version",
                            "not_found")
    return row


def _number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not (text.isascii() and text.isdigit()):
            raise RuleViolation(_("A version is a whole number, like 2; got %(value)s.",
                                  value=repr(str(value))), "version", "invalid")
        number = int(text)
    return number if 1 <= number <= MAX_VERSION else None


def parse_since(value) -> dt.date | None:
    """A day (``2026-01-01``), or None for the whole history; :class:`RuleViolation`
    (field ``since``) for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return local_date(value)
    except ValueError as exc:
        raise RuleViolation(str(exc), "since", "invalid") from None


def _terms_of(version: TermSetVersion):
    try:
        return version.terms()
    except (SheetError, ValueError) as exc:
        raise RuleViolation(_("%(version)s cannot be read: %(error)s", version=str(version),
                              error=str(exc)), "version", "invalid") from None


def tickets_of(term_set: TermSet, since: dt.date | None = None):
    """The tickets of the contracts on ``term_set`` (see the module's notes), received on
    or after ``since`` (the center's day)."""
    versions = TermSetVersion.select(TermSetVersion.id).where(
        TermSetVersion.term_set == term_set)
    condition = Ticket.contract.in_(
        Contract.select(Contract.id).where(Contract.term_set_version.in_(versions)))
    if term_set.name == STANDARD.name:  # unpinned contracts, and no contract: the standard
        condition |= Ticket.contract.in_(
            Contract.select(Contract.id).where(Contract.term_set_version.is_null()))
        condition |= Ticket.contract.is_null()
    if since is not None:
        condition &= Ticket.received_at >= _day_start(since)
    return Ticket.select().where(condition)


def _day_start(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in the center's zone, as stored (naive UTC)."""
    return stored(dt.datetime.combine(day, dt.time(), tzinfo=now().tzinfo))


# -- the count -----------------------------------------------------------------------------

def outcome(due: dt.datetime | None, done: dt.datetime | None, ticket,
            as_of: dt.datetime) -> str | None:
    """``met``, ``missed``, ``open`` or None (not counted) for one milestone; times stored."""
    if due is None:
        return None
    if done is not None:
        return "met" if done <= due else "missed"
    if ticket.state == TicketState.CANCELLED:
        return None
    if ticket.paused_since is not None:  # the clock stopped when the pause began
        return "missed" if due < ticket.paused_since else "open"
    if ticket.state in (TicketState.RESTORED, TicketState.CLOSED):
        return "missed"  # finished without keeping it
    return "missed" if due < as_of else "open"


def _tally() -> dict:
    return {"tickets": 0, **{name: {"now": dict.fromkeys(OUTCOMES, 0),
                                    "under": dict.fromkeys(OUTCOMES, 0)}
                             for name, _due, _done in MILESTONES}}


def _add(into: dict, other: dict) -> None:
    into["tickets"] += other["tickets"]
    for name, _due, _done in MILESTONES:
        for side in ("now", "under"):
            for key in OUTCOMES:
                into[name][side][key] += other[name][side][key]


class _Counter:
    """Counts one version's what-if, chunk by chunk (the contracts read once per run)."""

    def __init__(self, terms, as_of: dt.datetime):
        self.terms, self.as_of = terms, as_of
        self.engine = current_engine()
        self.corrections = calendars.for_clock(terms.clock)  # read once for every ticket
        self.contracts: dict[int, Contract] = {}
        self.offices: dict[int, dict] = {}
        self.skipped = self.failures = 0

    def chunk(self, tickets: list) -> None:
        wanted = {t.contract_id for t in tickets if t.contract_id} - self.contracts.keys()
        if wanted:
            self.contracts.update((c.id, c) for c in Contract.select().where(
                Contract.id.in_(sorted(wanted))))
        site_ids = sorted({t.site_id for t in tickets if t.site_id})
        sites = ({s.id: s for s in Site.select().where(Site.id.in_(site_ids))}
                 if site_ids else {})
        paused = [t.id for t in tickets if t.paused_seconds or t.paused_since is not None]
        pauses: dict[int, list] = {}
        if paused:
            for ticket_id, started, ended in (
                    TicketPause.select(TicketPause.ticket, TicketPause.started_at,
                                       TicketPause.ended_at)
                    .where(TicketPause.ticket.in_(paused) & TicketPause.ended_at.is_null(False))
                    .order_by(TicketPause.ticket, TicketPause.started_at, TicketPause.id)
                    .tuples()):
                pauses.setdefault(ticket_id, []).append((started, ended))
        for ticket in tickets:
            contract = self.contracts.get(ticket.contract_id)
            site = sites.get(ticket.site_id)
            # the hooks may read the ticket's contract and site: no query per ticket for them
            if contract is not None:
                ticket.contract = contract
            if site is not None:
                ticket.site = site
            self.ticket(ticket, contract, site, pauses.get(ticket.id, []))

    def ticket(self, ticket, contract, site, pauses: list) -> None:
        try:
            under = self.dues_under(ticket, contract, site, pauses)
        except ValueError:  # a distance or time no deadline can be counted for
            self.skipped += 1
            return
        tally = self.offices.setdefault(ticket.office_id, _tally())
        tally["tickets"] += 1
        for name, due_field, done_field in MILESTONES:
            done = getattr(ticket, done_field)
            for side, due in (("now", getattr(ticket, due_field)), ("under", under[name])):
                result = outcome(due, done, ticket, self.as_of)
                if result is not None:
                    tally[name][side][result] += 1

    def dues_under(self, ticket, contract, site, pauses: list) -> dict[str, dt.datetime]:
        """The ticket's dues under the version (stored UTC), its pauses counted in."""
        received = local(ticket.received_at)
        km = float(ticket.distance_km) if ticket.distance_km is not None \
            else UNKNOWN_DISTANCE_KM
        decided = compute_deadlines(received, km, contract, site=site, terms=self.terms,
                                    ticket=ticket, corrections=self.corrections)
        self.failures += len(decided.failures)
        dues = {"reply": stored(decided.reply.due), "arrival": stored(decided.arrival.due)}
        clock = self.terms.clock
        shifts = []  # (paused from, working time) in order, as resume() moved the dues
        for started, ended in pauses:
            shifts.append((started, working_time_between(
                local(started), local(ended), clock, corrections=self.corrections)))
        if not pauses and ticket.paused_seconds:
            # paused, yet no pause rows (tickets imported in bulk): a due the ticket's own
            # terms put later than they give unpaused was moved on by the paused time
            own = compute_deadlines(received, km, contract, site=site, ticket=ticket,
                                    terms=self.engine.terms_for(contract))
            moved = {"reply": ticket.reply_due is not None
                     and ticket.reply_due > stored(own.reply.due),
                     "arrival": ticket.arrival_due is not None
                     and ticket.arrival_due > stored(own.arrival.due)}
            span = dt.timedelta(seconds=ticket.paused_seconds)
            for name in dues:
                if moved[name]:
                    dues[name] = stored(working_due(local(dues[name]), span, clock,
                                                    corrections=self.corrections)[0])
        for started, span in shifts:
            for name, _due_field, done_field in MILESTONES:
                done = getattr(ticket, done_field)
                if done is None or done > started:  # still open when the pause began
                    dues[name] = stored(working_due(local(dues[name]), span, clock,
                                                    corrections=self.corrections)[0])
        return dues

    def result(self, version: TermSetVersion, since: dt.date | None) -> dict:
        names = {o.id: (o.code, o.name) for o in Office.select(Office.id, Office.code,
                                                                  Office.name)
                 .where(Office.id.in_(sorted(self.offices)))} if self.offices else {}
        offices, total = [], _tally()
        for office_id, tally in self.offices.items():
            code, name = names.get(office_id, (f"#{office_id}", ""))
            offices.append({"office": code, "name": name, **tally})
            _add(total, tally)
        offices.sort(key=lambda row: row["office"])
        return {"term_set": version.term_set.name, "version": version.number,
                "label": str(version), "since": since.isoformat() if since else None,
                "as_of": local(self.as_of).isoformat(), "tickets": total["tickets"],
                "skipped": self.skipped, "plugin_failures": self.failures,
                "offices": offices, "total": total}


def count(version: TermSetVersion, since: dt.date | None = None, *,
          progress: Progress | None = None, chunk_size: int = CHUNK) -> dict:
    """The what-if counts of ``version`` for its set's tickets (no access check: see
    :func:`compute` and :func:`execute`)."""
    counter = _Counter(_terms_of(version), utcnow())
    query = tickets_of(version.term_set, since)
    total = query.order_by().count()
    done, last = 0, 0
    while True:
        tickets = list(query.where(Ticket.id > last).order_by(Ticket.id).limit(chunk_size))
        if not tickets:
            break
        counter.chunk(tickets)
        done, last = done + len(tickets), tickets[-1].id
        total = max(total, done)  # tickets logged while counting
        if progress is not None:
            progress(done, total)
    return counter.result(version, since)


def compute(actor, term_set, version, since=None, *, progress: Progress | None = None,
            chunk_size: int = CHUNK) -> dict:
    """The what-if counts at once (a small history, a test, a script): see the module."""
    require(actor, Action.MANAGE_TERMS, TermSet)
    row = find_version(term_set, version)
    return count(row, parse_since(since), progress=progress, chunk_size=chunk_size)


# -- runs: queued, running with progress, done or failed ------------------------------------

def start(actor, term_set, version, since=None) -> WhatIfRun:
    """Check the question and queue a run for it, with the number of tickets to count.

    Headquarters and administrators only (the access module's ``manage_terms``); an
    unknown set or version, a version that cannot be read or a bad day is a
    :class:`RuleViolation` naming its field, and nothing is written.
    """
    require(actor, Action.MANAGE_TERMS, TermSet)
    row = find_version(term_set, version)
    day = parse_since(since)
    _terms_of(row)  # refused now, not later in the worker
    run = WhatIfRun(term_set=row.term_set_id, version=row.id, since=day,
                    requested_by=str(getattr(actor, "username", "") or "")[:60],
                    state=RunState.QUEUED)
    run.check_fields()  # a day the database cannot hold (after 2199) is refused here
    run.total = tickets_of(row.term_set, day).order_by().count()
    with database.atomic():
        run.save(force_insert=True)
    return run


def execute(run_id: int, *, chunk_size: int = CHUNK,
            progress: Progress | None = None) -> WhatIfRun:
    """Count a queued run: ``running`` with ``done`` and ``total`` updated after every
    chunk (each update its own short transaction, so another connection sees it), then
    ``done`` with the result, or ``failed`` with the error. A run that is not queued (done,
    or taken by another worker) is returned as it is."""
    with database.atomic():
        claimed = (WhatIfRun.update(state=RunState.RUNNING, started_at=utcnow())
                   .where((WhatIfRun.id == run_id) & (WhatIfRun.state == RunState.QUEUED))
                   .execute())
    run = WhatIfRun.get_or_none(WhatIfRun.id == run_id)
    if run is None:
        raise RuleViolation(_("There is no what-if run #%(id)s.", id=run_id), "run",
                            "not_found")
    if not claimed:
        return run

    def report(done: int, total: int) -> None:
        with database.atomic():
            WhatIfRun.update(done=done, total=total).where(WhatIfRun.id == run_id).execute()
        if progress is not None:
            progress(done, total)

    try:
        version = TermSetVersion.get_by_id(run.version_id)
        result = count(version, run.since, progress=report, chunk_size=chunk_size)
    except Exception as exc:  # the run says what went wrong; the log has the traceback
        logger.exception("what-if run %s failed", run_id)
        error = f"{exc.__class__.__name__}: {exc}"[:TEXT_MAX_LENGTH]
        with database.atomic():
            WhatIfRun.update(state=RunState.FAILED, error=error, finished_at=utcnow()).where(
                WhatIfRun.id == run_id).execute()
    else:
        counted = result["tickets"] + result["skipped"]
        with database.atomic():
            WhatIfRun.update(state=RunState.DONE, done=counted, total=counted,
                             result=json.dumps(result, ensure_ascii=False,
                                               separators=(",", ":")),
                             finished_at=utcnow()).where(WhatIfRun.id == run_id).execute()
    return WhatIfRun.get_by_id(run_id)


def run_now_or_queue(run: WhatIfRun, enqueue: Callable[[int], object] | None = None
                     ) -> WhatIfRun:
    """Count ``run`` now if its history is small (up to :data:`INLINE_LIMIT` tickets), else
    hand it to the worker: **the one place the worker plugs in**, ``enqueue(run_id)`` (its
    task's enqueue, which then calls :func:`execute`). Without one, a large run stays
    queued until a worker executes it. Returns the run as it now stands."""
    if run.total <= INLINE_LIMIT:
        return execute(run.id)
    if enqueue is not None:
        enqueue(run.id)
    return run


def recent_runs(term_set: TermSet, limit: int = 10) -> list[WhatIfRun]:
    """The set's latest runs, newest first, with their versions and the versions' set (one
    query)."""
    return list(WhatIfRun.select(WhatIfRun, TermSetVersion, TermSet)
                .join(TermSetVersion, on=(WhatIfRun.version == TermSetVersion.id))
                .join(TermSet, on=(TermSetVersion.term_set == TermSet.id))
                .where(WhatIfRun.term_set == term_set)
                .order_by(WhatIfRun.id.desc()).limit(limit))
