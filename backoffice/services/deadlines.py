"""Response deadlines of a fault: reply, arrival on site, replacement window.

The one use case behind ``backoffice terms preview``, the admin's preview form,
and (later) ticket intake: each deadline comes from the rule engine with what
decided it (a plugin's name, or the term set, version and rule).

This service owns deadlines: a hook answers a duration (``Deadline(within=...)``)
or a time, and :func:`resolve` turns a duration into a due time on the clock of
the terms in force (:func:`backoffice.clock.add_working_time`; the charter's
``24x7`` clock counts elapsed time; a business calendar counts its working hours with
headquarters' corrections, :mod:`backoffice.services.calendars`), which is where
paused time comes in with tickets. A due time counted over a year the calendar has
no data for is still given, marked as an estimate (``Deadlines.estimated``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..clock import ALWAYS_ON, working_due
from ..geo import MAX_DISTANCE_KM
from ..hookspecs import Deadline, Window
from ..i18n import _
from ..models import Contract, TermSetVersion
from ..plugins import current_engine
from ..terms import STANDARD, Terms
from . import calendars


@dataclass(frozen=True)
class Deadlines:
    contract: object | None
    terms: Terms
    plugins: tuple[str, ...]
    reply: Deadline
    arrival: Deadline
    replacement: Window | None = None
    #: plugins that failed while deciding: (plugin, hook, message)
    failures: tuple[tuple[str, str, str], ...] = ()
    #: a due time was counted over a year the terms' business calendar has no data for
    estimated: bool = False

    def as_json(self) -> dict:
        deadlines = {
            "reply": {"due": self.reply.due.isoformat(), "decided_by": self.reply.decided_by},
            "arrival": {"due": self.arrival.due.isoformat(),
                        "decided_by": self.arrival.decided_by},
        }
        if self.replacement is not None:
            deadlines["replacement"] = {"earliest": self.replacement.earliest.isoformat(),
                                        "latest": self.replacement.latest.isoformat(),
                                        "decided_by": self.replacement.decided_by}
        data = {"contract": self.contract.number if self.contract is not None else None,
                "term_set": self.terms.label, "plugins": list(self.plugins),
                "deadlines": deadlines,
                "plugin_failures": [{"plugin": p, "hook": h, "error": m}
                                    for p, h, m in self.failures]}
        # keys only when they say something: a 24x7 preview reads as it always did
        if self.terms.clock != ALWAYS_ON:
            data["clock"] = self.terms.clock
        if self.estimated:
            data["estimated"] = True
        return data

    def same_dates(self, other: Deadlines) -> bool:
        return (self.reply.due, self.arrival.due, self.replacement and (
            self.replacement.earliest, self.replacement.latest)) == (
            other.reply.due, other.arrival.due, other.replacement and (
                other.replacement.earliest, other.replacement.latest))


def local_time(value: str | dt.datetime, tz) -> dt.datetime:
    """An ISO 8601 time; one without an offset is taken in ``tz`` (the center's zone)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(_("%(value)s is not a time like 2026-11-26T09:00.",
                               value=repr(value))) from None
    if not 1900 <= value.year <= 2200:  # beyond that, adding hours overflows or is nonsense
        raise ValueError(_("%(value)s is outside the years 1900 to 2200.",
                           value=value.isoformat()))
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def local_date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(_("%(value)s is not a date like 2026-11-27.",
                           value=repr(value))) from None
    if not 1900 <= day.year <= 2200:
        raise ValueError(_("%(value)s is outside the years 1900 to 2200.",
                           value=day.isoformat()))
    return day


def check_distance(distance_km) -> float:
    try:
        distance = float(distance_km)
    except (TypeError, ValueError):
        raise ValueError(_("The distance must be a number of km, got %(value)s.",
                           value=repr(distance_km))) from None
    if not math.isfinite(distance) or distance < 0 or distance > MAX_DISTANCE_KM:
        raise ValueError(_("The distance must be between 0 and 20000 km, got %(value)s.",
                           value=distance_km))
    return distance


def resolve(deadline: Deadline, received: dt.datetime, terms: Terms, tz) -> Deadline:
    """``deadline`` with its due time set, shown in the center's zone: a duration is counted
    from ``received`` on the terms' clock; a time is kept as the plugin gave it."""
    return resolve_estimated(deadline, received, terms, tz)[0]


def resolve_estimated(deadline: Deadline, received: dt.datetime, terms: Terms, tz,
                      corrections=None) -> tuple[Deadline, bool]:
    """:func:`resolve`, and whether the due time is an estimate (counted over a year the
    terms' business calendar has no data for). ``corrections`` are the calendar's
    (:func:`backoffice.services.calendars.corrections`), read when not given."""
    due, estimated = deadline.due, False
    if due is None:
        clock = getattr(terms, "clock", ALWAYS_ON)
        if corrections is None:
            corrections = calendars.for_clock(clock)
        due, estimated = working_due(received, deadline.within, clock, corrections=corrections)
    return Deadline(due.astimezone(tz), deadline.decided_by, why=deadline.why), estimated


def compute_deadlines(received, distance_km, contract=None, confirmed=None, site=None, *,
                      terms: Terms | None = None, ticket=None,
                      corrections=None) -> Deadlines:
    """The deadlines of a fault received at ``received``, ``distance_km`` from the office.

    ``terms`` replaces the contract's pinned term set (to preview another version);
    ``ticket`` is the ticket the hooks are asked about (a what-if over past tickets), and
    ``corrections`` the terms' calendar corrections when the caller holds them already
    (:func:`backoffice.services.calendars.for_clock`: read once for many tickets).
    Raises ``ValueError`` with a message for people when an input is wrong.
    """
    engine = current_engine()
    received = local_time(received, engine.tz)
    distance = check_distance(distance_km)
    terms = terms or engine.terms_for(contract)
    enabled = contract.enabled_plugins() if contract is not None else {}
    with engine.recording() as failures:
        reply = engine.reply_deadline(contract, received, ticket=ticket, terms=terms)
        arrival = engine.arrival_deadline(contract, received, distance, site=site,
                                          ticket=ticket, terms=terms)
        replacement = None
        if confirmed not in (None, ""):
            replacement = engine.replacement_window(contract, local_date(confirmed), terms=terms)
    if corrections is None:  # once for both
        corrections = calendars.for_clock(getattr(terms, "clock", ALWAYS_ON))
    reply, reply_estimated = resolve_estimated(reply, received, terms, engine.tz, corrections)
    arrival, arrival_estimated = resolve_estimated(arrival, received, terms, engine.tz,
                                                   corrections)
    return Deadlines(contract, terms, tuple(n for n in enabled if n in engine.plugins),
                     reply, arrival, replacement, tuple(failures),
                     estimated=reply_estimated or arrival_estimated)


@dataclass(frozen=True)
class Impact:
    contract: object
    pinned: str
    now: Deadlines
    under_new: Deadlines

    @property
    def changes(self) -> bool:
        return not self.now.same_dates(self.under_new)


def impact_of(version, received, distance_km, confirmed=None) -> list[Impact]:
    """For every contract pinned to another version of ``version``'s term set: its
    deadlines now and if it were moved to ``version`` (nothing moves by itself)."""
    new_terms = version.terms()
    others = (TermSetVersion.select(TermSetVersion.id)
              .where((TermSetVersion.term_set == version.term_set_id)
                     & (TermSetVersion.id != version.id)))
    pinned = Contract.term_set_version.in_(others)
    if new_terms.name == STANDARD.name:  # unpinned contracts are on the standard charter
        pinned |= Contract.term_set_version.is_null()
    contracts = Contract.select().where(pinned).order_by(Contract.number)
    impacts = []
    for contract in contracts:
        now = compute_deadlines(received, distance_km, contract, confirmed)
        moved = compute_deadlines(received, distance_km, contract, confirmed, terms=new_terms)
        impacts.append(Impact(contract, now.terms.label, now, moved))
    return impacts
