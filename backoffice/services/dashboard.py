"""The SLA dashboard's figures: where headquarters and each office stand against their promises.

:func:`dashboard` counts, through office scoping (:func:`backoffice.access.scoped`:
an office's staff see their office's tickets and the ones assigned to them,
headquarters every office's, and may narrow to one office):

* **open tickets by state** (the states in which a ticket's clock runs or is
  paused: :data:`backoffice.models.tickets.OPEN_STATES`), those **due within 2 h**
  and those **overdue** (exactly the ticket list's filters of those names);
* **breaches this month** by office and by milestone, and the **met rate** per
  month for twelve months. A milestone (the reply, the arrival, a replacement) is
  counted in the month its due time falls in (the service center's months); it is
  *met* when done by its due time, *missed* (a breach) when done later or still
  open past it. A ticket waiting on the customer has its clock stopped: its open
  milestone is missed only if it was due before the pause began, else it is not
  decided yet and counts nowhere. Cancelled tickets' milestones count nowhere. The
  current month counts what was due up to now. A replacement is due on its
  window's latest day (late when delivered after it, or not delivered once the day
  is over);
* **arrival against the distance band**: for the tickets received in those twelve
  months with an arrival, per band of the charter (up to 100 km, 100 to 500 km,
  over 500 km, and distance unknown), how many, how many on time, and the median
  and mean hours from receipt to arrival;
* **replacements late**: waiting past their window now, and delivered late in the
  twelve months, per office, with the latest ones listed;
* **the map**: the offices (their coordinates) and the open tickets at their sites,
  each ticket's *risk* decided by :func:`risk`: breached (its next deadline has
  passed), warned (the terms' ``warning_share`` of the time from receipt to that
  deadline is gone; the terms are the ticket's contract's, as deadlines read them),
  else on time.

Every count is one ``GROUP BY`` in the database, never a Python loop over the
tickets: the twelve months' replies and arrivals are one query, grouped by the month
each was due in and the office, read through the receipt index (``received_at``,
from :data:`LOOKBACK` before the first month: a milestone due more than that long
after its receipt, after months of waiting on the customer, is left out); the
replacements one query on their latest day's index; the arrival times one query
grouped by band and minute (at most a few thousand rows, whence the median to the
minute). So the cost follows the tickets received in the twelve months shown, not
the tickets ever logged. Only the open tickets are read one by one (through the
state index), for their risk and their place on the map: they are few, and at most
:data:`OPEN_MAX`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from peewee import JOIN, Case, fn

from ..access import scoped, visible
from ..clock import ALWAYS_ON, add_months, local, stored, utcnow, working_due, zone
from ..clock import working_time_between as _working_between
from ..db import is_postgres
from ..i18n import _
from ..labels import Milestone, TicketState
from ..models import (
    Contract,
    Customer,
    Office,
    Replacement,
    RuleViolation,
    Site,
    Ticket,
    Unit,
)
from ..models.tickets import OPEN_STATES
from ..plugins import current_engine
from ..terms import STANDARD
from . import calendars

#: how many months the met rate covers (this one and the eleven before)
MONTHS = 12
#: "due soon": the ticket list's filter "due within 2 h" and its amber
SOON = dt.timedelta(hours=2)
#: how long before the first month the milestone queries read tickets received
LOOKBACK = dt.timedelta(days=62)
#: the open tickets read for their risk and the map, at most (above: ``open_capped``)
OPEN_MAX = 20_000
#: late replacements listed, at most (the counts are complete)
LATE_LISTED = 50
#: ticket numbers named per site on the map, at most
NUMBERS_PER_SITE = 5

#: the open states, in the order a ticket takes them
OPEN_ORDER = tuple(s for s in TicketState if s in OPEN_STATES)
MILESTONES = (Milestone.REPLY, Milestone.ARRIVAL, Milestone.REPLACEMENT)


class Risk:
    """How an open ticket stands against its next deadline (least serious first)."""

    ON_TIME = "on_time"
    WARNED = "warned"
    BREACHED = "breached"
    ORDER = (ON_TIME, WARNED, BREACHED)


# -- the figures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OfficePlace:
    id: int
    code: str
    name: str
    city: str
    latitude: float
    longitude: float


class Tally(NamedTuple):
    """Milestones due (and decided: met or missed) and how many of them were met."""

    due: int = 0
    met: int = 0

    def __add__(self, other):
        return Tally(self.due + other.due, self.met + other.met)

    @property
    def missed(self) -> int:
        return self.due - self.met

    @property
    def rate(self) -> float | None:
        return self.met / self.due if self.due else None


@dataclass(frozen=True)
class Month:
    """One month of the met rate: a :class:`Tally` per milestone."""

    first_day: dt.date
    counts: dict[str, Tally]

    @property
    def total(self) -> Tally:
        return sum(self.counts.values(), Tally())

    def rate(self, milestone: str | None = None) -> float | None:
        """Met / due (all milestones when ``milestone`` is None); None when none was due."""
        return (self.counts[milestone] if milestone else self.total).rate


@dataclass(frozen=True)
class Band:
    """Arrivals in one distance band: ``lower < km <= upper`` (upper None: no limit;
    ``lower`` None: the distance is unknown)."""

    lower: float | None
    upper: float | None
    hours_due: float | None
    arrivals: int
    on_time: int
    median_hours: float | None
    mean_hours: float | None


@dataclass(frozen=True)
class LateReplacement:
    id: int
    ticket_id: int
    ticket_number: str
    office_code: str
    faulty_serial: str
    latest: dt.date
    delivered_on: dt.date | None
    days_late: int


@dataclass
class SitePoint:
    """Open tickets at one site: where, how many of each risk, and the worst."""

    site_id: int
    name: str
    customer: str
    office_code: str
    latitude: float
    longitude: float
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Risk.ORDER, 0))
    numbers: list[str] = field(default_factory=list)

    @property
    def risk(self) -> str:
        return next(r for r in reversed(Risk.ORDER) if self.counts[r])

    @property
    def tickets(self) -> int:
        return sum(self.counts.values())


@dataclass
class Dashboard:
    at: dt.datetime                 # the moment counted, in the center's zone
    office: Office | None           # the office narrowed to (headquarters' choice)
    offices: list[OfficePlace]      # the offices in scope, by code
    open_by_state: dict[str, int]
    due_soon: int
    overdue: int
    #: office id -> milestone -> breaches this month
    breaches: dict[int, dict[str, int]]
    months: list[Month]
    bands: list[Band]
    #: office id -> (waiting past the window now, delivered late in the twelve months)
    late_by_office: dict[int, tuple[int, int]]
    late_listed: list[LateReplacement]
    #: office id -> risk -> open tickets
    risk_by_office: dict[int, dict[str, int]]
    sites: list[SitePoint]
    #: open tickets whose site has no coordinates (or that have no site)
    unplaced: int
    open_capped: bool = False

    @property
    def open_total(self) -> int:
        return sum(self.open_by_state.values())

    def breaches_of(self, milestone: str) -> int:
        return sum(row.get(milestone, 0) for row in self.breaches.values())

    @property
    def breaches_total(self) -> int:
        return sum(self.breaches_of(m) for m in MILESTONES)

    def risk_total(self, risk: str) -> int:
        return sum(row[risk] for row in self.risk_by_office.values())


# -- risk ------------------------------------------------------------------------------------

def risk(received: dt.datetime, due: dt.datetime, at: dt.datetime, *, share: float,
         paused: dt.timedelta = dt.timedelta(0), clock: str = ALWAYS_ON,
         corrections=None) -> str:
    """An open milestone's risk seen at ``at`` (aware times): breached once ``due`` has
    passed; warned once ``share`` of its time is gone, counted on the terms' clock from
    ``received`` to ``due`` without the ``paused`` working time (every pause moved the
    due time on by its length); else on time."""
    if at > due:
        return Risk.BREACHED
    allowed = _working_between(received, due, clock, corrections=corrections) - paused
    used = _working_between(received, at, clock, corrections=corrections) - paused
    if allowed <= dt.timedelta(0) or used >= allowed * share:
        return Risk.WARNED
    return Risk.ON_TIME


def warning_time(received: dt.datetime, due: dt.datetime, *, share: float,
                 paused: dt.timedelta = dt.timedelta(0), clock: str = ALWAYS_ON,
                 corrections=None) -> dt.datetime:
    """When :func:`risk` turns a milestone from on time to warned."""
    allowed = _working_between(received, due, clock, corrections=corrections) - paused
    return working_due(received, paused + allowed * share, clock, corrections=corrections)[0]


# -- the service -----------------------------------------------------------------------------

def dashboard(user, office_id: int | None = None, at: dt.datetime | None = None) -> Dashboard:
    """The figures ``user`` may see, narrowed to ``office_id`` when given (an office the
    user cannot see is refused, code ``not_found``), counted at ``at`` (default now)."""
    office = None
    if office_id is not None:
        office = visible(Office, user).where(Office.id == office_id).get_or_none()
        if office is None:
            raise RuleViolation(_("No office among those you can see has that id."),
                                "office", "not_found")
    now_utc = stored(at) if at is not None else utcnow()
    scope = _Scope(user, office)
    first = _month_starts(local(now_utc).date())
    bounds = [stored(dt.datetime.combine(day, dt.time(0), tzinfo=zone())) for day in first]
    offices = [OfficePlace(o.id, o.code, o.name, o.city, float(o.latitude), float(o.longitude))
               for o in scope.offices().order_by(Office.code)]
    month_counts, breaches = _milestone_counts(scope, first, bounds, now_utc)
    risk_by_office, sites, unplaced, capped = _open_tickets(scope, now_utc)
    late_by_office, late_listed = _late_replacements(scope, first[0], local(now_utc).date())
    return Dashboard(
        at=local(now_utc), office=office, offices=offices,
        open_by_state=_open_by_state(scope), due_soon=scope.count(
            (Ticket.next_due >= now_utc) & (Ticket.next_due <= now_utc + SOON)),
        overdue=scope.count(Ticket.next_due < now_utc),
        breaches=breaches,
        months=[Month(day, {m: month_counts[(i, m)] for m in MILESTONES})
                for i, day in enumerate(first[:-1])],
        bands=_arrival_bands(scope, bounds[0], now_utc),
        late_by_office=late_by_office, late_listed=late_listed,
        risk_by_office=risk_by_office, sites=sites, unplaced=unplaced, open_capped=capped)


class _Scope:
    """The rows of a table the user may see, narrowed to one office when one is chosen."""

    def __init__(self, user, office):
        self.user, self.office = user, office

    def tickets(self, *columns):
        query = scoped(Ticket.select(*columns), Ticket, self.user)
        return query.where(Ticket.office == self.office.id) if self.office else query

    def replacements(self, *columns):
        query = scoped(Replacement.select(*columns), Replacement, self.user)
        return query.where(Replacement.office == self.office.id) if self.office else query

    def offices(self):
        query = visible(Office, self.user)
        return query.where(Office.id == self.office.id) if self.office else query

    def count(self, condition) -> int:
        return self.tickets(fn.COUNT(Ticket.id)).where(condition).scalar() or 0


def _month_starts(today: dt.date) -> list[dt.date]:
    """The first days of the :data:`MONTHS` months up to ``today``'s, and of the next."""
    this_month = today.replace(day=1)
    return [add_months(this_month, k) for k in range(1 - MONTHS, 2)]


def _month_index(column, bounds) -> Case:
    """The month a value falls in: 0 for the first of ``bounds``' months, ..."""
    return Case(None, [(column < bound, index) for index, bound in enumerate(bounds[1:])],
                len(bounds) - 1)


def _open_by_state(scope) -> dict[str, int]:
    counts = dict.fromkeys(OPEN_ORDER, 0)
    rows = (scope.tickets(Ticket.state, fn.COUNT(Ticket.id))
            .where(Ticket.state.in_(sorted(OPEN_STATES))).group_by(Ticket.state).tuples())
    for state, count in rows:
        counts[state] = count
    return counts


def _milestone_counts(scope, first, bounds, now_utc):
    """``{(month index, milestone): Tally}`` and this month's breaches by office."""
    counts = defaultdict(Tally)
    breaches: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MILESTONES, 0))
    this_month = len(first) - 2
    # the reply and the arrival in one pass over the window's tickets, grouped by the
    # month each was due in and the office
    keys, sums = [], []
    for due, done in ((Ticket.reply_due, Ticket.replied_at),
                      (Ticket.arrival_due, Ticket.arrived_at)):
        counted = ((due >= bounds[0]) & (due < now_utc)
                   & (done.is_null(False) | (due < fn.COALESCE(Ticket.paused_since, now_utc))))
        met = counted & done.is_null(False) & (done <= due)
        keys.append(_month_index(due, bounds))
        sums += [fn.SUM(Case(None, [(counted, 1)], 0)), fn.SUM(Case(None, [(met, 1)], 0))]
    rows = (scope.tickets(*keys, Ticket.office, *sums)
            .where((Ticket.received_at >= bounds[0] - LOOKBACK)
                   & (Ticket.received_at < now_utc) & (Ticket.state != TicketState.CANCELLED))
            .group_by(*keys, Ticket.office).tuples())
    for reply_month, arrival_month, office_id, *tallies in rows:
        _add([(reply_month, office_id, tallies[0], tallies[1])], Milestone.REPLY, counts,
             breaches, this_month)
        _add([(arrival_month, office_id, tallies[2], tallies[3])], Milestone.ARRIVAL, counts,
             breaches, this_month)
    today = local(now_utc).date()
    month = _month_index(Replacement.latest, first)
    decided = Replacement.delivered_on.is_null(False) | (Replacement.latest < today)
    met = Replacement.delivered_on.is_null(False) & (Replacement.delivered_on
                                                     <= Replacement.latest)
    rows = (scope.replacements(month, Replacement.office, fn.COUNT(Replacement.id),
                               fn.SUM(Case(None, [(met, 1)], 0)))
            .where((Replacement.latest >= first[0]) & (Replacement.latest <= today) & decided)
            .group_by(month, Replacement.office).tuples())
    _add(rows, Milestone.REPLACEMENT, counts, breaches, this_month)
    return counts, dict(breaches)


def _add(rows, milestone, counts, breaches, this_month) -> None:
    for month, office_id, decided, met in rows:
        month, decided, met = int(month), int(decided or 0), int(met or 0)
        if not decided:
            continue
        counts[(month, milestone)] += Tally(decided, met)
        if month == this_month and decided > met:
            breaches[office_id][milestone] += decided - met


# -- arrival against the distance band --------------------------------------------------------

def _minutes(later, earlier):
    """Whole minutes from ``earlier`` to ``later`` (two stored times), in SQL."""
    if is_postgres():
        seconds = fn.date_part("epoch", later - earlier)
        return fn.ROUND(seconds / 60).cast("integer")
    return fn.ROUND((fn.julianday(later) - fn.julianday(earlier)) * 1440).cast("INTEGER")


def _arrival_bands(scope, start_utc, now_utc) -> list[Band]:
    limits = [b.max_km for b in STANDARD.bands]
    band = Case(None, [(Ticket.distance_km.is_null(), -1)]
                + [(Ticket.distance_km <= km, i) for i, km in enumerate(limits) if km is not None],
                len(limits) - 1)
    minutes = _minutes(Ticket.arrived_at, Ticket.received_at)
    on_time = Case(None, [(Ticket.arrived_at <= Ticket.arrival_due, 1)], 0)
    rows = (scope.tickets(band, minutes, fn.COUNT(Ticket.id), fn.SUM(on_time))
            .where((Ticket.received_at >= start_utc) & (Ticket.received_at < now_utc)
                   & Ticket.arrived_at.is_null(False)
                   & (Ticket.state != TicketState.CANCELLED))
            .group_by(band, minutes).tuples())
    histograms: dict[int, list[tuple[int, int]]] = defaultdict(list)
    punctual: dict[int, int] = defaultdict(int)
    for index, mins, count, kept in rows:
        histograms[int(index)].append((int(mins), int(count)))
        punctual[int(index)] += int(kept or 0)
    result, lower = [], 0.0
    for index, charter_band in enumerate(STANDARD.bands):
        result.append(_band(lower, charter_band.max_km, charter_band.hours,
                            histograms.get(index, []), punctual.get(index, 0)))
        lower = charter_band.max_km
    result.append(_band(None, None, None, histograms.get(-1, []), punctual.get(-1, 0)))
    return result


def _band(lower, upper, hours_due, histogram, on_time) -> Band:
    arrivals = sum(count for _m, count in histogram)
    if not arrivals:
        return Band(lower, upper, hours_due, 0, 0, None, None)
    histogram.sort()
    mean = sum(m * count for m, count in histogram) / arrivals / 60
    return Band(lower, upper, hours_due, arrivals, on_time, _median(histogram, arrivals) / 60,
                mean)


def _median(histogram: list[tuple[int, int]], n: int) -> float:
    """The median of ``n`` values given as sorted ``(value, how many)``."""
    wanted = [(n - 1) // 2, n // 2]  # the middle one, or the middle two
    found, seen = [], 0
    for value, count in histogram:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return sum(found) / len(found)


# -- replacements late ----------------------------------------------------------------------

def _late_replacements(scope, first_day: dt.date, today: dt.date):
    waiting = Replacement.delivered_on.is_null() & (Replacement.latest < today)
    delivered_late = (Replacement.delivered_on.is_null(False)
                      & (Replacement.delivered_on > Replacement.latest)
                      & (Replacement.latest >= first_day))
    rows = (scope.replacements(Replacement.office, fn.SUM(Case(None, [(waiting, 1)], 0)),
                               fn.SUM(Case(None, [(delivered_late, 1)], 0)))
            .where(waiting | delivered_late).group_by(Replacement.office).tuples())
    by_office = {office_id: (int(w or 0), int(d or 0)) for office_id, w, d in rows}
    listed = []
    query = (scope.replacements(Replacement.id, Replacement.ticket, Ticket.number, Office.code,
                                Unit.serial, Replacement.latest, Replacement.delivered_on)
             .join(Ticket, on=(Replacement.ticket == Ticket.id))
             .switch(Replacement).join(Office, on=(Replacement.office == Office.id))
             .switch(Replacement).join(Unit, on=(Replacement.faulty_unit == Unit.id))
             .where(waiting | delivered_late)
             .order_by(Replacement.delivered_on.is_null(False), Replacement.latest.desc(),
                       Replacement.id.desc())
             .limit(LATE_LISTED).tuples())
    for rid, ticket_id, number, code, serial, latest, delivered in query:
        latest = _as_date(latest)
        delivered = _as_date(delivered) if delivered else None
        listed.append(LateReplacement(rid, ticket_id, number, code, serial, latest, delivered,
                                      ((delivered or today) - latest).days))
    return by_office, listed


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# -- the open tickets: risk and the map -------------------------------------------------------

def _open_tickets(scope, now_utc):
    rows = list(scope.tickets(
        Ticket.id, Ticket.number, Ticket.office, Ticket.state, Ticket.received_at,
        Ticket.next_due, Ticket.reply_due, Ticket.replied_at, Ticket.arrival_due,
        Ticket.arrived_at, Ticket.paused_since, Ticket.paused_seconds,
        Contract.term_set_version.alias("version_id"), Site.id.alias("site_id"),
        Site.name.alias("site_name"), Site.latitude, Site.longitude,
        Customer.name.alias("customer_name"), Office.code.alias("office_code"))
        .join(Contract, JOIN.LEFT_OUTER, on=(Ticket.contract == Contract.id))
        .switch(Ticket).join(Site, JOIN.LEFT_OUTER, on=(Ticket.site == Site.id))
        .switch(Ticket).join(Customer, on=(Ticket.customer == Customer.id))
        .switch(Ticket).join(Office, on=(Ticket.office == Office.id))
        .where(Ticket.state.in_(sorted(OPEN_STATES)))
        .limit(OPEN_MAX + 1).dicts())  # no ORDER BY: SQLite would walk the ids, not the states
    capped = len(rows) > OPEN_MAX
    rows.sort(key=lambda row: row["id"])
    engine = current_engine()
    terms = {}
    corrections = {}
    by_office: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Risk.ORDER, 0))
    sites: dict[int, SitePoint] = {}
    unplaced = 0
    for row in rows[:OPEN_MAX]:
        version = row["version_id"]
        if version not in terms:
            terms[version] = engine.terms_for(Contract(term_set_version=version))
        sheet = terms[version]
        if sheet.clock not in corrections:
            corrections[sheet.clock] = calendars.for_clock(sheet.clock)
        level = ticket_risk(row, now_utc, sheet, corrections[sheet.clock])
        by_office[row["office"]][level] += 1
        if row["site_id"] is None or row["latitude"] is None or row["longitude"] is None:
            unplaced += 1
            continue
        point = sites.get(row["site_id"])
        if point is None:
            point = sites[row["site_id"]] = SitePoint(
                row["site_id"], row["site_name"], row["customer_name"], row["office_code"],
                float(row["latitude"]), float(row["longitude"]))
        point.counts[level] += 1
        if len(point.numbers) < NUMBERS_PER_SITE:
            point.numbers.append(row["number"])
    ordered = sorted(sites.values(), key=lambda p: (-Risk.ORDER.index(p.risk), -p.tickets,
                                                    p.site_id))
    return dict(by_office), ordered, unplaced, capped


def ticket_risk(row: dict, now_utc: dt.datetime, terms, corrections=None) -> str:
    """The risk of an open ticket (a row with its stored times) at ``now_utc``: its next
    deadline, or, while it waits on the customer, the deadline its clock stopped before,
    seen at the moment the pause began."""
    at = row["paused_since"] or now_utc
    due = row["next_due"]
    if due is None:  # waiting: the earliest milestone left open
        open_dues = [d for d, done in ((row["reply_due"], row["replied_at"]),
                                       (row["arrival_due"], row["arrived_at"]))
                     if d is not None and done is None]
        due = min(open_dues) if open_dues else None
    if due is None:
        return Risk.ON_TIME
    return risk(local(row["received_at"]), local(due), local(at), share=terms.warning_share,
                paused=dt.timedelta(seconds=row["paused_seconds"] or 0), clock=terms.clock,
                corrections=corrections)


def hours(value: float | None) -> float | None:
    """Hours to one decimal, for tables (None stays None)."""
    return None if value is None or not math.isfinite(value) else round(value, 1)
