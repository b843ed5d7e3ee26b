"""Fault tickets, from receipt to closure: one service function per step.

Intake (:func:`open_ticket`) is the one use case behind the admin's form, the
``backoffice tickets open`` command and the JSON API: it finds the unit (or the
customer and site), records who pays on the day of the fault and what decided it
(``coverage``), the distance from the serving office and how it was obtained
(and whether another office is nearer), and the reply and arrival deadlines from
the rule engine with their reasons. Every later step is a transition
(:data:`TRANSITIONS`): an illegal one is refused with code ``illegal_transition``.

The clock: a deadline is stored as a time; while a ticket waits on the customer
(:func:`pause`) its deadlines do not run, and :func:`resume` moves every open
deadline on by the paused working time (on the terms' clock). ``next_due`` is
the earliest open deadline, for the lists; every step also moves the ticket's
``next_check`` (:func:`backoffice.services.sla.schedule`), for the clock watcher.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from peewee import IntegrityError

from ..access import Action, require, require_work, visible
from ..clock import local, now, stored, utcnow
from ..geo import great_circle_km, site_distance
from ..i18n import _
from ..labels import Milestone, ProductState, ReportChannel, RestoredBy, TicketState, label
from ..models import (
    Contract,
    Customer,
    Office,
    RuleViolation,
    Site,
    Staff,
    Ticket,
    TicketCounter,
    TicketPause,
    Unit,
)
from ..plugins import current_engine
from .calendars import add_working_time, working_time_between
from .core import changing
from .deadlines import resolve_estimated
from .sla import schedule

#: a closed ticket may be reopened this many days after closing, keeping its number
REOPEN_DAYS = 30

#: state -> the states a transition may lead to (pause and cancel are allowed from every
#: open, unpaused state; resume returns to the state the pause left)
TRANSITIONS: dict[str, frozenset[str]] = {
    TicketState.RECEIVED: frozenset({TicketState.REPLIED}),
    TicketState.REPLIED: frozenset({TicketState.DISPATCHED}),
    TicketState.DISPATCHED: frozenset({TicketState.ON_SITE}),
    TicketState.ON_SITE: frozenset({TicketState.RESTORED}),
    TicketState.RESTORED: frozenset({TicketState.CLOSED}),
    TicketState.CLOSED: frozenset({TicketState.REPLIED}),  # reopened
    TicketState.WAITING: frozenset(),
    TicketState.CANCELLED: frozenset(),
}
#: states a ticket can be paused or cancelled from
RUNNING = frozenset({TicketState.RECEIVED, TicketState.REPLIED, TicketState.DISPATCHED,
                     TicketState.ON_SITE})


# -- intake -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """A fault report as a door parsed it (plain values)."""

    summary: str
    serial: str | None = None
    customer_code: str | None = None
    site_id: int | None = None
    received: dt.datetime | None = None
    channel: str = ReportChannel.PHONE
    reporter_name: str = ""
    reporter_phone: str = ""
    description: str = ""
    product_state: str = ProductState.DOWN


def open_ticket(user, report: Report) -> Ticket:
    """Log ``report`` as a new ticket of the serving office, with its decisions."""
    require(user, Action.CREATE, Ticket)
    received = _received(report.received)
    unit, customer, site = _find_subject(user, report)
    contract = Contract.get_or_none(Contract.id == unit.contract_id) if unit else None
    office = Office.get_by_id(customer.office_id)
    engine = current_engine()
    terms = engine.terms_for(contract)
    factor = float(current_app.config["ROAD_FACTOR"])
    distance = site_distance(site, office, factor)
    nearer, nearer_by = _nearer_office(site, office, distance, factor)
    # the ticket as the hooks see it: everything known at intake, not saved yet
    ticket = Ticket(
        office=office, customer=customer, site=site, unit=unit, contract=contract,
        received_at=stored(received), channel=report.channel,
        reporter_name=report.reporter_name.strip(), reporter_phone=report.reporter_phone.strip(),
        summary=report.summary, description=report.description,
        product_state=report.product_state,
        distance_km=Decimal(str(round(distance.km, 1))) if distance else None,
        distance_how=distance.how if distance else "", nearer_office=nearer,
        nearer_by_km=nearer_by)
    km = distance.km if distance is not None else _UNKNOWN_DISTANCE_KM
    coverage = engine.coverage(contract, unit, received.date()) if unit else None
    with engine.recording():
        reply, reply_estimated = resolve_estimated(
            engine.reply_deadline(contract, received, ticket=ticket, terms=terms),
            received, terms, engine.tz)
        arrival, arrival_estimated = resolve_estimated(
            engine.arrival_deadline(contract, received, km, site=site, ticket=ticket,
                                    terms=terms), received, terms, engine.tz)
    ticket.covered = bool(coverage and coverage.covered)
    ticket.charge = coverage.charge if coverage else ""
    ticket.coverage_by = (coverage.decided_by if coverage else
                          _("no unit known: who pays is decided once the unit is"))[:200]
    ticket.coverage_why = _why(coverage)
    ticket.reply_due, ticket.reply_due_by = stored(reply.due), reply.decided_by[:200]
    ticket.reply_why = _why(reply)
    ticket.arrival_due = stored(arrival.due)
    ticket.arrival_due_by = _arrival_reason(arrival, distance)
    ticket.arrival_why = _why(arrival) if distance is not None else ""
    ticket.estimated = reply_estimated or arrival_estimated
    with changing(user):
        ticket.number = _next_number(office, received)
        ticket.next_due = _next_due(ticket)
        schedule(ticket)
        ticket.save(force_insert=True)
    return ticket


def _why(decision) -> str:
    why = getattr(decision, "why", None)
    return why.as_json() if why is not None else ""


#: the distance a ticket's arrival deadline is decided for when the site's is unknown:
#: the farthest band (the charter's 24 h), and the ticket says the distance is unknown
_UNKNOWN_DISTANCE_KM = 20000.0


def _arrival_reason(arrival, distance) -> str:
    if distance is None:
        return (arrival.decided_by + _(" (distance unknown: record the site's coordinates "
                                       "or road distance)"))[:200]
    return arrival.decided_by[:200]


def _received(value: dt.datetime | None) -> dt.datetime:
    moment = now()
    if value is None:
        return moment
    if value.tzinfo is None:
        value = value.replace(tzinfo=moment.tzinfo)
    if value > moment + dt.timedelta(minutes=1):
        raise RuleViolation(_("A fault cannot be received in the future."), "received",
                            "in_future")
    if value < moment - dt.timedelta(days=366):
        raise RuleViolation(_("A fault received more than a year ago is no new report."),
                            "received", "out_of_range")
    return value.astimezone(moment.tzinfo)


def _find_subject(user, report: Report):
    """The unit (by serial), or the customer (by code) and site, as the user may see them."""
    if report.serial:
        serial = report.serial.strip().upper()
        unit = visible(Unit, user).where(Unit.serial == serial).get_or_none()
        if unit is None:
            raise RuleViolation(_("No unit with serial number %(serial)s.", serial=serial),
                                "serial", "not_found")
        customer = Customer.get_by_id(unit.customer_id)
        site = Site.get_or_none(Site.id == unit.site_id) if unit.site_id else None
        return unit, customer, site
    if not report.customer_code:
        raise RuleViolation(_("Give the unit's serial number, or the customer and site."),
                            "serial", "required")
    code = report.customer_code.strip().upper()
    customer = visible(Customer, user).where(Customer.code == code).get_or_none()
    if customer is None:
        raise RuleViolation(_("No customer with code %(code)s.", code=code), "customer",
                            "not_found")
    site = None
    if report.site_id is not None:
        site = Site.get_or_none((Site.id == report.site_id) & (Site.customer == customer.id))
        if site is None:
            raise RuleViolation(_("The site must belong to the customer."), "site",
                                "site_of_other_customer")
    return None, customer, site


def _nearer_office(site, serving, distance, factor):
    """Another office nearer to the site than the serving one, and by how much (km, as
    the crow flies times the road factor, for both), or ``(None, None)``."""
    if site is None or site.latitude is None or distance is None:
        return None, None
    def km(office):
        return great_circle_km(office.latitude, office.longitude, site.latitude,
                               site.longitude) * factor
    own = km(serving)
    best = min((o for o in Office.select().where(Office.id != serving.id)), key=km,
               default=None)
    if best is None or km(best) >= own - 0.5:
        return None, None
    return best, Decimal(str(round(own - km(best), 1)))


def _next_number(office, received: dt.datetime) -> str:
    """``HRB-20261201-0007``: the office's next number of the day, unique under concurrent
    intake (the counter row is locked by its UPDATE until the transaction ends)."""
    day = received.strftime("%Y%m%d")
    try:
        TicketCounter.insert(office_code=office.code, day=day, last=0).on_conflict_ignore(
        ).execute()
    except IntegrityError:  # a racing insert of the same row: it exists now
        pass
    TicketCounter.update(last=TicketCounter.last + 1).where(
        (TicketCounter.office_code == office.code) & (TicketCounter.day == day)).execute()
    last = (TicketCounter.select(TicketCounter.last)
            .where((TicketCounter.office_code == office.code) & (TicketCounter.day == day))
            .scalar())
    return f"{office.code}-{day}-{last:04d}"


# -- milestones and the clock -------------------------------------------------------------

@dataclass(frozen=True)
class MilestoneStatus:
    """One promise of a ticket: when it was due, when it was kept, met or missed by how much."""

    milestone: str
    due: dt.datetime | None
    decided_by: str
    done: dt.datetime | None

    @property
    def met(self) -> bool | None:
        if self.due is None or self.done is None:
            return None
        return self.done <= self.due

    @property
    def margin(self) -> dt.timedelta | None:
        """How much earlier than due it was kept (negative: how late)."""
        if self.due is None or self.done is None:
            return None
        return self.due - self.done


def milestones(ticket) -> list[MilestoneStatus]:
    """The ticket's promises in order, in the service center's zone."""
    def shown(value):
        return local(value) if value is not None else None
    return [
        MilestoneStatus(Milestone.REPLY, shown(ticket.reply_due), ticket.reply_due_by,
                        shown(ticket.replied_at)),
        MilestoneStatus(Milestone.ARRIVAL, shown(ticket.arrival_due), ticket.arrival_due_by,
                        shown(ticket.arrived_at)),
    ]


def _next_due(ticket) -> dt.datetime | None:
    """The earliest open milestone's due time (stored UTC), or None (paused, done)."""
    if ticket.state in (TicketState.WAITING, TicketState.CLOSED, TicketState.CANCELLED,
                        TicketState.RESTORED):
        return None
    open_dues = [due for due, done in ((ticket.reply_due, ticket.replied_at),
                                       (ticket.arrival_due, ticket.arrived_at))
                 if due is not None and done is None]
    return min(open_dues) if open_dues else None


def _clock_of(ticket) -> str:
    contract = Contract.get_or_none(Contract.id == ticket.contract_id) \
        if ticket.contract_id else None
    return getattr(current_engine().terms_for(contract), "clock", "24x7")


def _move(ticket, to: str, only_from: frozenset[str] | None = None) -> None:
    """``only_from``: the step's own starting states (a reply and a reopening both lead to
    ``replied``: a reply is no reopening, and a reopening no reply)."""
    if to not in TRANSITIONS.get(ticket.state, ()) or (
            only_from is not None and ticket.state not in only_from):
        raise RuleViolation(_("A ticket that is %(state)s cannot become %(to)s.",
                              state=label(ticket.state, TicketState),
                              to=label(to, TicketState)), "state", "illegal_transition")
    ticket.state = to


def _at(value: dt.datetime | None) -> dt.datetime:
    """A milestone's moment: now, or a time given (never in the future), stored UTC."""
    moment = now()
    if value is None:
        return stored(moment)
    if value.tzinfo is None:
        value = value.replace(tzinfo=moment.tzinfo)
    if value > moment + dt.timedelta(minutes=1):
        raise RuleViolation(_("That time is in the future."), "at", "in_future")
    return stored(value)


def _save(user, ticket) -> Ticket:
    ticket.next_due = _next_due(ticket)
    schedule(ticket)
    ticket.save()
    return ticket


# -- transitions ----------------------------------------------------------------------------

def reply(user, ticket, text: str, at: dt.datetime | None = None) -> Ticket:
    """The definite reply: what was promised, by whom, when."""
    require_work(user, ticket)
    if not (text or "").strip():
        raise RuleViolation(_("Say what was promised to the customer."), "reply_text",
                            "required")
    with changing(user):
        _move(ticket, TicketState.REPLIED, frozenset({TicketState.RECEIVED}))
        ticket.replied_at, ticket.reply_text = _at(at), text.strip()
        ticket.replied_by = user.id if isinstance(user, Staff) else None
        return _save(user, ticket)


def dispatch(user, ticket, engineer, planned_arrival: dt.datetime | None = None,
             why: str = "") -> Ticket:
    """Send ``engineer`` (a Staff of role engineer) with the planned arrival and why."""
    require_work(user, ticket)
    if engineer is None or engineer.role != "engineer" or not engineer.active:
        raise RuleViolation(_("Choose an active engineer."), "engineer", "invalid")
    with changing(user):
        _move(ticket, TicketState.DISPATCHED)
        ticket.engineer, ticket.dispatched_at = engineer.id, stored(now())
        ticket.planned_arrival = stored(planned_arrival) if planned_arrival else None
        ticket.dispatch_why = (why or "")[:300]
        return _save(user, ticket)


def arrive(user, ticket, at: dt.datetime | None = None) -> Ticket:
    """The engineer is on site (now, or at the time given)."""
    require_work(user, ticket)
    with changing(user):
        _move(ticket, TicketState.ON_SITE)
        ticket.arrived_at = _at(at)
        return _save(user, ticket)


def restore(user, ticket, how: str, at: dt.datetime | None = None) -> Ticket:
    """The product runs again: by repair, a swap from office stock or a temporary unit."""
    require_work(user, ticket)
    if how not in RestoredBy.__members__.values():
        raise RuleViolation(_("Say how the product was restored."), "restored_how", "invalid")
    with changing(user):
        _move(ticket, TicketState.RESTORED)
        ticket.restored_at, ticket.restored_how = _at(at), how
        return _save(user, ticket)


def close(user, ticket) -> Ticket:
    require_work(user, ticket)
    with changing(user):
        _move(ticket, TicketState.CLOSED)
        ticket.closed_at = stored(now())
        return _save(user, ticket)


def reopen(user, ticket) -> Ticket:
    """A closed ticket comes back (within :data:`REOPEN_DAYS`), keeping its number and
    history; it waits for a new dispatch."""
    require_work(user, ticket)
    if ticket.state == TicketState.CLOSED and ticket.closed_at is not None and (
            utcnow() - ticket.closed_at > dt.timedelta(days=REOPEN_DAYS)):
        raise RuleViolation(_("A ticket closed more than %(days)d days ago cannot be "
                              "reopened; log a new fault.", days=REOPEN_DAYS), "state",
                            "too_late")
    with changing(user):
        _move(ticket, TicketState.REPLIED, frozenset({TicketState.CLOSED}))
        ticket.closed_at = ticket.restored_at = None
        ticket.restored_how = ""
        ticket.reopened += 1
        return _save(user, ticket)


def cancel(user, ticket, reason: str) -> Ticket:
    require_work(user, ticket)
    if ticket.state not in RUNNING and ticket.state != TicketState.WAITING:
        raise RuleViolation(_("A ticket that is %(state)s cannot be cancelled.",
                              state=label(ticket.state, TicketState)), "state",
                            "illegal_transition")
    if not (reason or "").strip():
        raise RuleViolation(_("Give the reason for cancelling."), "cancel_reason", "required")
    with changing(user):
        if ticket.state == TicketState.WAITING:
            _end_pause(ticket)
        ticket.state, ticket.cancel_reason = TicketState.CANCELLED, reason.strip()[:300]
        return _save(user, ticket)


# -- pause ------------------------------------------------------------------------------------

def pause(user, ticket, reason: str) -> Ticket:
    """The ticket waits on the customer: its clock stops (why, who and when are kept)."""
    require_work(user, ticket)
    if ticket.state not in RUNNING:
        raise RuleViolation(_("A ticket that is %(state)s cannot be paused.",
                              state=label(ticket.state, TicketState)), "state",
                            "illegal_transition")
    if not (reason or "").strip():
        raise RuleViolation(_("Give the reason for waiting."), "pause_reason", "required")
    with changing(user):
        moment = stored(now())
        TicketPause(ticket=ticket.id, started_at=moment, reason=reason.strip()[:300],
                    resumes_to=ticket.state).save()
        ticket.state, ticket.paused_since = TicketState.WAITING, moment
        ticket.pause_reason = reason.strip()[:300]
        return _save(user, ticket)


def resume(user, ticket) -> Ticket:
    """The clock runs again: every open deadline moves on by the paused working time."""
    require_work(user, ticket)
    if ticket.state != TicketState.WAITING:
        raise RuleViolation(_("Only a waiting ticket can be resumed."), "state",
                            "illegal_transition")
    with changing(user):
        _end_pause(ticket)
        return _save(user, ticket)


def _end_pause(ticket) -> None:
    pause_row = (TicketPause.select().where((TicketPause.ticket == ticket.id)
                                            & TicketPause.ended_at.is_null())
                 .order_by(TicketPause.id.desc()).first())
    clock = _clock_of(ticket)
    started, ended = local(ticket.paused_since), now()
    paused = working_time_between(started, ended, clock)
    for due, done in (("reply_due", "replied_at"), ("arrival_due", "arrived_at")):
        value = getattr(ticket, due)
        if value is not None and getattr(ticket, done) is None:
            setattr(ticket, due, stored(add_working_time(local(value), paused, clock)[0]))
    ticket.paused_seconds += int(paused.total_seconds())
    ticket.state = pause_row.resumes_to if pause_row else TicketState.RECEIVED
    ticket.paused_since, ticket.pause_reason = None, ""
    if pause_row is not None:
        pause_row.ended_at, pause_row.seconds = stored(ended), int(paused.total_seconds())
        pause_row.save()
