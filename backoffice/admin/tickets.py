# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""Fault tickets on screen: the list, the intake form, the ticket page and the engineer's phone page.

* **The list** (:class:`TicketView`, a scoped model view, read only as a model
  form: a ticket changes only through its transitions) shows each row's next
  milestone as time left or overdue, in colour *and* words ("Reply: 1 h 20 min
  left", "Engineer on site: overdue 35 min"), sorted by the next deadline with every
  ticket still in hand before the closed and cancelled ones (:data:`IN_HAND`, then
  ``next_due``: migration 012's indexes); filters for state, office code, overdue, due
  within 2 h and in warranty; a search by number, serial and customer code or name; export.
* **Intake** (``/admin/ticket/intake/``): serial (with a prefix look-up) or customer
  code and site, received (default now, never in the future), channel, reporter,
  summary, description and product state, handed to
  :func:`backoffice.services.tickets.open_ticket`; a refusal is an error on its field.
* **The ticket page** (the details view): milestones (the reply, the arrival and each
  replacement: :func:`backoffice.services.replacements.milestones_with_replacement`)
  with their deadlines and reasons, met or missed and by how much; distance and how it
  was obtained (and a nearer office); who pays and why; the dispatch recommendation
  (:mod:`backoffice.services.dispatch`) with a button per engineer; the spare at
  the serving office (:mod:`backoffice.services.stock`); replacements
  (:mod:`backoffice.services.replacements`); the history (audit entries and
  pauses); and a form for each legal next step. Every step is a POST (with the
  CSRF token) to ``/admin/ticket/step/<step>/?id=N``, which calls the step's one
  service function; the service refuses what is illegal or not the user's.
* **The field page** (:class:`FieldView`, ``/field/``): an engineer's open tickets on
  a phone, their milestones, and one tap for each of :data:`FIELD_STEPS` the ticket's
  transitions allow: the reply, the arrival (now), the restoration, waiting on the
  customer (a button per reason) and resuming.

What a step may do is the service's business; the screens only offer the steps
whose transition the service's table (:data:`backoffice.services.tickets.TRANSITIONS`)
allows from the ticket's state, to users :func:`backoffice.access.may_work` lets
work on it. Another office's ticket id is a 404 on every path (``get_one``).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from functools import reduce
from types import SimpleNamespace

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import BooleanEqualFilter, FilterEqual
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..access import AccessDenied, Action, may, may_work, visible
from ..clock import local, now, utcnow
from ..forms import select_choices
from ..hookspecs import Reason
from ..i18n import _, _l
from ..labels import (
    Charge,
    Milestone,
    ProductState,
    ReplacementSource,
    ReportChannel,
    RestoredBy,
    Role,
    TicketState,
    choices,
    label,
    reason_text,
)
from ..models import (
    AuditEntry,
    Contract,
    Customer,
    Office,
    Product,
    Replacement,
    RuleViolation,
    Site,
    Staff,
    Ticket,
    TicketPause,
    Unit,
)
from ..models.tickets import IN_HAND, OPEN_STATES
from ..services import dispatch as dispatch_service
from ..services import replacements as replacement_service
from ..services import stock as stock_service
from ..services import tickets as service
from ..services.customer_file import linked_names
from ..services.replacements import ReplacementMilestone
from .audit import show_value
from .base import ScopedModelView, SecureView, strict_id
from .customers import InOfficeCode
from .formatting import lazy_zone_header, local_minute, long_date, number, zone_header

#: the states by their names on these screens; "Received" alone is also the catalogue's word
#: for the moment of receipt (受理时间), so the state says what it waits for
STATE_CHOICES = [(code, _l("Received, awaiting reply") if code == TicketState.RECEIVED
                  else text) for code, text in choices(TicketState)]
STATE_LABELS = dict(STATE_CHOICES)
#: the admin's form is no API call: the API door logs its own channel
CHANNEL_CHOICES = [c for c in choices(ReportChannel) if c[0] != ReportChannel.API]
PRODUCT_STATE_CHOICES = choices(ProductState)
RESTORED_CHOICES = choices(RestoredBy)
CHARGE_CHOICES = choices(Charge)

#: "due soon": the list's amber and the filter "due within 2 h"
SOON = dt.timedelta(hours=2)
#: the engineer's page lists at most this many tickets (nobody holds more in hand)
FIELD_MAX = 100
#: the look-ups behind the intake form answer at most this many rows
LOOKUP_MAX = 20

LABELS = {
    "number": _l("Ticket number"), "state": _l("State"), "office": _l("Serving office"),
    "customer": _l("Customer"), "site": _l("Site"), "unit": _l("Unit"),
    "contract": _l("Contract"), "summary": _l("Summary"), "description": _l("Description"),
    "channel": _l("Channel"), "reporter_name": _l("Reporter"),
    "reporter_phone": _l("Reporter's phone"), "product_state": _l("Product state"),
    "received_at": lazy_zone_header(_l("Received")),
    "next_due": lazy_zone_header(_l("Next deadline")),
    "time_left": _l("Time left"), "engineer": _l("Engineer"),
    "reply_due": lazy_zone_header(_l("Reply due")),
    "replied_at": lazy_zone_header(_l("Replied")),
    "arrival_due": lazy_zone_header(_l("Arrival due")),
    "arrived_at": lazy_zone_header(_l("Arrived")),
    "restored_at": lazy_zone_header(_l("Restored")),
    "closed_at": lazy_zone_header(_l("Closed")),
    "covered": _l("In warranty"), "charge": _l("Who pays"),
    "distance_km": _l("Distance (km)"), "version": _l("Version"),
}

#: the ticket's fields as its history names them (the audit entries' changes)
HISTORY_LABELS = {
    "state": _l("State"), "reply_text": _l("Reply"), "replied_at": _l("Replied"),
    "replied_by": _l("Replied by"), "engineer": _l("Engineer"),
    "dispatched_at": _l("Dispatched"), "dispatch_why": _l("Why this engineer"),
    "planned_arrival": _l("Planned arrival"), "arrived_at": _l("Arrived"),
    "restored_at": _l("Restored"), "restored_how": _l("Restored by"),
    "closed_at": _l("Closed"), "cancel_reason": _l("Reason for cancelling"),
    "pause_reason": _l("Waiting because"), "reply_due": _l("Reply due"),
    "arrival_due": _l("Arrival due"), "reopened": _l("Times reopened"),
    "received_at": _l("Received"), "summary": _l("Summary"),
}
#: the fixed list behind each coded field of a ticket (its history shows the labels)
_CODED = {"channel": ReportChannel, "product_state": ProductState,
          "restored_how": RestoredBy, "charge": Charge}


# -- time left ---------------------------------------------------------------------------

def span(delta: dt.timedelta) -> str:
    """A stretch of time as people say it, to the minute: ``2 d 3 h``, ``1 h 20 min``,
    ``35 min`` (``2 天 3 小时``, ``1 小时 20 分钟``, ``35 分钟``)."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h", d=days, h=hours)
    if hours:
        return _("%(h)d h %(m)d min", h=hours, m=mins)
    return _("%(m)d min", m=mins)


def left_or_overdue(due: dt.datetime, at: dt.datetime) -> tuple[str, str]:
    """``("1 h 20 min left", "due-ok")``, ``("overdue 35 min", "due-overdue")``: the words
    and the colour's class of a deadline ``due`` seen at ``at`` (both stored UTC or both
    aware)."""
    delta = due - at
    if delta >= dt.timedelta(0):
        return _("%(span)s left", span=span(delta)), ("due-soon" if delta <= SOON else "due-ok")
    return _("overdue %(span)s", span=span(delta)), "due-overdue"


def next_milestone(ticket) -> str | None:
    """Which promise ``next_due`` stands for (the reply or the arrival), or None."""
    if ticket.next_due is None:
        return None
    if ticket.replied_at is None and ticket.reply_due == ticket.next_due:
        return Milestone.REPLY
    return Milestone.ARRIVAL


def due_badge(ticket, at: dt.datetime | None = None) -> Markup:
    """The next milestone's time left or overdue: colour plus words, so it reads in black
    and white (``data-due`` holds the exact due time)."""
    if ticket.state == TicketState.WAITING:
        return Markup('<span class="ticket-due due-paused">{}</span>').format(
            _("Paused: the clock is stopped"))
    milestone = next_milestone(ticket)
    if milestone is None:
        return Markup('<span class="ticket-due due-none">—</span>')
    words, css = left_or_overdue(ticket.next_due, at or utcnow())
    return Markup('<span class="ticket-due {}" data-due="{}">{}: {}</span>').format(
        css, local(ticket.next_due).isoformat(), label(milestone), words)


def _state_cell(view, context, model, name):
    return Markup('<span class="ticket-state state-{}">{}</span>').format(
        model.state, state_label(model.state))


def _number_cell(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(url_for(".details_view", id=model.id),
                                                model.number)


def _due_cell(view, context, model, name):
    return due_badge(model)


def _time_left_export(view, context, model, name):
    return due_badge(model).striptags()


def _aware(name):
    """Export formatter: a stored time as aware UTC (the export writes the center's clock)."""
    def formatter(view, context, model, _name):
        value = getattr(model, name)
        return value.replace(tzinfo=dt.UTC) if value is not None else None
    return formatter


# -- filters -----------------------------------------------------------------------------

class Overdue(BooleanEqualFilter):
    """Tickets whose next deadline has passed (now, on the server's clock, as stored UTC)."""

    def apply(self, query, value):
        late = Ticket.next_due < utcnow()
        return query.where(late if value else (Ticket.next_due.is_null() | ~late))


class DueWithin2h(BooleanEqualFilter):
    """Tickets whose next deadline is still ahead and at most two hours away."""

    def apply(self, query, value):
        moment = utcnow()
        soon = (Ticket.next_due >= moment) & (Ticket.next_due <= moment + SOON)
        return query.where(soon if value else (Ticket.next_due.is_null() | ~soon))


class InWarranty(BooleanEqualFilter):
    """Tickets recorded at intake as in warranty (``covered``)."""

    def apply(self, query, value):
        return query.where(Ticket.covered == bool(value))


class InChoices(FilterEqual):
    """Equal to one of the filter's options; anything else is an invalid filter value."""

    def validate(self, value):
        return value in {code for code, _label in self.options}


class _InHand:
    """:data:`IN_HAND` as a list's order column (Flask-Admin asks each for its model)."""

    model = Ticket

    def asc(self):
        return IN_HAND.asc()

    def desc(self):
        return IN_HAND.desc()


IN_HAND_ORDER = _InHand()


# -- forms ---------------------------------------------------------------------------------

_RECEIVED_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class IntakeForm(FlaskForm):
    serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=40)],
                         description=_l("Type the beginning: matching units are offered."))
    customer_code = StringField(_l("Customer code"), validators=[Optional(), Length(max=32)],
                                description=_l("When the serial number is unknown: the "
                                               "customer, and the site if known."))
    site = SelectField(_l("Site"), validate_choice=False, validators=[Optional()])
    received = DateTimeLocalField(_l("Received"), format=_RECEIVED_FORMATS,
                                  validators=[Optional()])
    channel = SelectField(_l("Channel"), choices=select_choices(CHANNEL_CHOICES),
                          default=ReportChannel.PHONE.value)
    reporter_name = StringField(_l("Reporter"), validators=[Optional(), Length(max=60)])
    reporter_phone = StringField(_l("Reporter's phone"), validators=[Optional(), Length(max=40)])
    summary = StringField(_l("Summary"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    product_state = SelectField(_l("Product state"),
                                choices=select_choices(PRODUCT_STATE_CHOICES),
                                default=ProductState.DOWN.value)


#: a refusal's field (the service's name) -> the intake form's field
_INTAKE_FIELDS = {"customer": "customer_code", "site_id": "site"}


def _site_choices(customer_code: str | None) -> list:
    """The sites of the customer with this code (among those the user may see)."""
    pairs = [("", _("(site not known)"))]
    code = (customer_code or "").strip().upper()
    if code:
        customer = visible(Customer, current_user).where(Customer.code == code).get_or_none()
        if customer is not None:
            pairs += [(str(s.id), s.name) for s in
                      Site.select().where(Site.customer == customer.id).order_by(Site.name)]
    return select_choices(pairs)


def _minute(moment: dt.datetime) -> dt.datetime:
    """A time as a datetime-local input holds it: the center's wall clock, to the minute."""
    return moment.replace(tzinfo=None, second=0, microsecond=0)


# -- the steps -------------------------------------------------------------------------------

#: the steps a ticket page offers, in the order a ticket takes them
STEPS = ("reply", "dispatch", "arrive", "restore", "close", "reopen", "pause", "resume",
         "cancel")
#: the state each forward step leads to (reply and reopen both lead to "replied")
_STEP_LEADS_TO = {TicketState.DISPATCHED: "dispatch", TicketState.ON_SITE: "arrive",
                  TicketState.RESTORED: "restore", TicketState.CLOSED: "close"}
#: what the engineer's phone page offers, each in one tap, when the transition table
#: allows it: the reply, the arrival and the restoration, and stopping the clock for the
#: customer and starting it again. Cancelling (for good, with a reason in words), and
#: dispatching, closing and reopening (the office's) are on the ticket's page.
FIELD_STEPS = ("reply", "arrive", "restore", "pause", "resume")
#: the phone page's reasons for waiting on the customer, one tap each (the issue's three)
FIELD_PAUSE_REASONS = (_l("The customer asks to come later"), _l("No access to the site"),
                       _l("Waiting for the customer's parts"))


def legal_steps(ticket) -> list[str]:
    """The steps the service's transition table allows from the ticket's state."""
    found = set()
    for to in service.TRANSITIONS.get(ticket.state, ()):
        if to == TicketState.REPLIED:
            found.add("reopen" if ticket.state == TicketState.CLOSED else "reply")
        elif to in _STEP_LEADS_TO:
            found.add(_STEP_LEADS_TO[to])
    if "reopen" in found and ticket.closed_at is not None and (
            utcnow() - ticket.closed_at > dt.timedelta(days=service.REOPEN_DAYS)):
        found.discard("reopen")  # the service would refuse: too late, log a new fault
    if ticket.state in service.RUNNING:
        found |= {"pause", "cancel"}
    if ticket.state == TicketState.WAITING:
        found |= {"resume", "cancel"}
    return [step for step in STEPS if step in found]


def steps_for(user, ticket) -> list[str]:
    """The legal steps, if ``user`` may work on the ticket at all (else none)."""
    return legal_steps(ticket) if may_work(user, ticket) else []


def _done_message(step: str, ticket) -> str:
    messages = {
        "reply": _("Reply recorded for %(number)s."),
        "dispatch": _("%(number)s dispatched to %(engineer)s."),
        "arrive": _("Arrival on site recorded for %(number)s."),
        "restore": _("Restoration recorded for %(number)s."),
        "close": _("%(number)s closed."),
        "reopen": _("%(number)s reopened."),
        "pause": _("%(number)s is waiting on the customer: the clock is stopped."),
        "resume": _("%(number)s resumed: its deadlines moved on by the time it waited."),
        "cancel": _("%(number)s cancelled."),
    }
    engineer = Staff.get_or_none(Staff.id == ticket.engineer_id) if ticket.engineer_id else None
    return messages[step] % {"number": ticket.number,
                             "engineer": engineer.name if engineer else ""}


def _run_step(step: str, ticket, form) -> None:
    """Call the step's one service function with what the form sent."""
    user = current_user
    if step == "reply":
        service.reply(user, ticket, form.get("text", ""))
    elif step == "dispatch":
        engineer_id = strict_id(form.get("engineer", ""))
        engineer = Staff.get_or_none(Staff.id == engineer_id) if engineer_id else None
        if form.get("engineer") and engineer is None:
            raise RuleViolation(_("Choose an active engineer."), "engineer", "invalid")
        dispatch_service.send(user, ticket, engineer)
    elif step == "arrive":
        service.arrive(user, ticket)
    elif step == "restore":
        service.restore(user, ticket, form.get("how", ""))
    elif step == "close":
        service.close(user, ticket)
    elif step == "reopen":
        service.reopen(user, ticket)
    elif step == "pause":
        service.pause(user, ticket, form.get("reason", ""))
    elif step == "resume":
        service.resume(user, ticket)
    elif step == "cancel":
        service.cancel(user, ticket, form.get("reason", ""))


class _CsrfOnly(FlaskForm):
    """A step's POST: only its CSRF token is checked here; the service checks the rest."""


# -- the ticket page's parts ---------------------------------------------------------------------

def _explained(decided_by: str, why_json: str) -> str:
    """What decided: the charter's stored reason in the reader's language, else the
    plugin's ``decided_by`` as written."""
    return reason_text(SimpleNamespace(decided_by=decided_by, why=Reason.from_json(why_json)))


def _kept(status, paused: bool, at: dt.datetime) -> tuple[str, str]:
    """A milestone's outcome in words and its colour: met or missed and by how much, or
    the time left."""
    if isinstance(status, ReplacementMilestone):
        return _replacement_kept(status, at.date())
    if status.met is True:
        return _("met, %(span)s early", span=span(status.margin)), "due-met"
    if status.met is False:
        return _("missed by %(span)s", span=span(status.margin)), "due-overdue"
    if status.due is None:
        return "—", "due-none"
    if paused:
        return _("paused: the clock is stopped"), "due-paused"
    return left_or_overdue(status.due, at)


def _replacement_kept(status, today: dt.date) -> tuple[str, str]:
    """A replacement's outcome, in days: its window is days, and waiting on the customer
    stops no replacement's window."""
    if status.met is True:
        early = status.margin.days
        return (_("met, %(n)d day(s) early", n=early) if early
                else _("met, on the window's last day")), "due-met"
    if status.met is False:
        return _("missed by %(n)d day(s)", n=status.days_late(today)), "due-overdue"
    late = status.days_late(today)
    if late:
        return _("overdue %(n)d day(s)", n=late), "due-overdue"
    return _("due by %(day)s", day=long_date(status.latest)), "due-ok"


def _milestone_row(ticket, status, at: dt.datetime) -> dict:
    """One milestone as the ticket page and the phone page show it."""
    outcome, css = _kept(status, ticket.state == TicketState.WAITING, at)
    if ticket.state == TicketState.CANCELLED and status.done is None:
        outcome, css = _("not kept: the ticket was cancelled"), "due-none"
    replacement = isinstance(status, ReplacementMilestone)
    why = "" if replacement else getattr(ticket, f"{status.milestone}_why", "")
    return {"milestone": status.milestone, "label": label(status.milestone),
            "due": status.due, "done": status.done, "outcome": outcome, "css": css,
            "reason": _explained(status.decided_by, why),
            # a replacement's window and delivery are days
            "window": (status.earliest, status.latest) if replacement else None,
            "delivered_on": status.delivered_on if replacement else None}


def _milestone_rows(ticket, statuses=None) -> list[dict]:
    """The ticket's milestones (the reply, the arrival, each replacement), as
    :func:`backoffice.services.replacements.milestones_with_replacement` has them."""
    at = now()
    if statuses is None:
        statuses = replacement_service.milestones_with_replacement(ticket)
    return [_milestone_row(ticket, status, at) for status in statuses]


def _replacement_rows(ticket) -> list[dict]:
    rows = []
    today = now().date()
    for replacement in (Replacement.select().where(Replacement.ticket == ticket.id)
                        .order_by(Replacement.confirmed_on, Replacement.id)):
        status = replacement_service.milestone(replacement)
        outcome, css = _replacement_kept(status, today)
        units = {u.id: u.serial for u in Unit.select(Unit.id, Unit.serial).where(
            Unit.id.in_([i for i in (replacement.faulty_unit_id, replacement.new_unit_id)
                         if i]))}
        rows.append({"replacement": replacement, "status": status, "outcome": outcome,
                     "css": css, "faulty": units.get(replacement.faulty_unit_id, ""),
                     "new": units.get(replacement.new_unit_id, ""),
                     "source": label(replacement.source, ReplacementSource)})
    return rows


def _km(value) -> str:
    """Whole kilometres with the reader's thousands separator (``1,234``)."""
    return number(round(float(value)))


def _distance(ticket) -> dict:
    km = ticket.distance_km
    if km is None or not ticket.distance_how:
        text = _("unknown: the site has neither a road distance nor coordinates (the "
                 "arrival deadline assumes the farthest band)")
    elif ticket.distance_how == "road":
        text = _("%(km)s km by road, as recorded on the site", km=_km(km))
    else:
        text = _("%(km)s km, estimated: the great-circle distance times the road factor",
                 km=_km(km))
    nearer = None
    if ticket.nearer_office_id:
        office = Office.get_or_none(Office.id == ticket.nearer_office_id)
        if office is not None:
            nearer = _("%(office)s is %(km)s km nearer to the site.", office=office.name,
                       km=_km(ticket.nearer_by_km or 0))
    return {"text": text, "nearer": nearer}


def _coverage(ticket) -> dict:
    return {"covered": ticket.covered,
            "charge": label(ticket.charge, Charge) if ticket.charge else _("Not known yet"),
            "reason": _explained(ticket.coverage_by, ticket.coverage_why)}


def _recommendations(ticket) -> list[dict]:
    """The dispatch recommendation while a ticket waits for an engineer, best first."""
    if ticket.state not in (TicketState.RECEIVED, TicketState.REPLIED) or ticket.engineer_id:
        return []
    try:
        ranked = dispatch_service.recommend(current_user, ticket)
    except AccessDenied:
        return []
    rows = []
    for found in ranked:
        candidate = found.candidate
        km = candidate.distance_km
        if not math.isfinite(km):
            distance = _("distance unknown")
        elif found.distance_how == "road":
            distance = _("%(km)s km by road", km=_km(km))
        else:
            distance = _("%(km)s km (estimated)", km=_km(km))
        rows.append({
            "rank": found.rank, "engineer": found.engineer, "office": found.office,
            "distance": distance,
            "can_arrive": found.can_arrive, "in_time": candidate.reachable_in_time,
            "open_tickets": candidate.open_tickets, "leave": found.leave,
            "skills": candidate.skills_match, "spare": candidate.spare_in_stock,
            "why": found.why})
    return rows


def _stock(ticket, unit, product) -> dict | None:
    """The unit's product in the serving office's stock, and which other offices hold it."""
    if product is None:
        return None
    office = Office.get_by_id(ticket.office_id)
    item = stock_service.product_item(product)
    held = stock_service.quantity(office, item) if item is not None else 0
    others = sorted(o.name for o in Office.select().where(Office.id.in_(
        sorted(stock_service.offices_holding(product) - {office.id})))) if item else []
    return {"office": office, "product": product, "quantity": held, "others": others}


def _history(ticket) -> list[dict]:
    """The ticket's audit entries and its pauses' entries, oldest first, in words."""
    pause_ids = [p.id for p in TicketPause.select(TicketPause.id)
                 .where(TicketPause.ticket == ticket.id)]
    condition = (AuditEntry.table == "ticket") & (AuditEntry.row_id == ticket.id)
    if pause_ids:
        condition |= (AuditEntry.table == "ticket_pause") & AuditEntry.row_id.in_(pause_ids)
    entries = list(AuditEntry.select().where(condition)
                   .order_by(AuditEntry.at, AuditEntry.id))
    names = linked_names(current_user, entries)
    return [_history_line(entry, names) for entry in entries]


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def _show(table: str, name: str, value, names: dict) -> str:
    if table == "ticket" and name == "state" and value:
        return state_label(value)
    enum = _CODED.get(name) if table == "ticket" else None
    if enum is not None and isinstance(value, str) and value:
        return label(value, enum)
    return show_value(table, name, value, names, short=True)


def _history_line(entry, names) -> dict:
    changes = entry.change_dict
    parts = []
    if entry.table == "ticket_pause":
        reason = (changes.get("reason") or [None, None])[-1]
        if entry.action == "create":
            what = _("Waiting on the customer: %(reason)s", reason=reason or "")
        else:
            seconds = (changes.get("seconds") or [0, 0])[-1] or 0
            what = _("Resumed after %(span)s of working time",
                     span=span(dt.timedelta(seconds=seconds)))
    elif entry.action == "create":
        what = _("Logged")
    else:
        what = _("Changed")
        for name, label_ in HISTORY_LABELS.items():
            if name in changes:
                old, new = (list(changes[name]) + [None, None])[:2]
                parts.append({"label": str(label_), "old": _show("ticket", name, old, names),
                              "new": _show("ticket", name, new, names)})
    return {"at": entry.at, "who": entry.actor, "what": what, "parts": parts}


def _pauses(ticket) -> list[dict]:
    rows = []
    for pause in TicketPause.select().where(TicketPause.ticket == ticket.id).order_by(
            TicketPause.started_at, TicketPause.id):
        rows.append({"started": pause.started_at, "ended": pause.ended_at,
                     "reason": pause.reason,
                     "span": span(dt.timedelta(seconds=pause.seconds))
                     if pause.ended_at else _("still waiting")})
    return rows


def ticket_page(ticket) -> dict:
    """Everything the ticket page shows, read once."""
    unit = Unit.get_or_none(Unit.id == ticket.unit_id) if ticket.unit_id else None
    product = Product.get_or_none(Product.id == unit.product_id) if unit else None
    steps = steps_for(current_user, ticket)
    engineer = Staff.get_or_none(Staff.id == ticket.engineer_id) if ticket.engineer_id else None
    return {
        "ticket": ticket, "state_label": state_label(ticket.state),
        "office": Office.get_by_id(ticket.office_id),
        "customer": Customer.get_by_id(ticket.customer_id),
        "site": Site.get_or_none(Site.id == ticket.site_id) if ticket.site_id else None,
        "unit": unit, "product": product,
        "contract": Contract.get_or_none(Contract.id == ticket.contract_id)
        if ticket.contract_id else None,
        "channel": label(ticket.channel, ReportChannel),
        "product_state": label(ticket.product_state, ProductState),
        "restored_how": label(ticket.restored_how, RestoredBy) if ticket.restored_how else "",
        "milestones": _milestone_rows(ticket), "distance": _distance(ticket),
        "coverage": _coverage(ticket), "engineer": engineer,
        "recommendations": _recommendations(ticket), "stock": _stock(ticket, unit, product),
        "replacements": _replacement_rows(ticket), "history": _history(ticket),
        "pauses": _pauses(ticket), "paused_total": span(dt.timedelta(
            seconds=ticket.paused_seconds or 0)),
        "steps": steps, "restored_choices": RESTORED_CHOICES,
        "may_confirm_replacement": unit is not None and may(current_user, Action.CREATE,
                                                            Replacement) and may_work(
            current_user, ticket),
    }


# -- the list and the page ------------------------------------------------------------------------

class TicketView(ScopedModelView):
    """The tickets the user may see; each one's page; intake; the steps."""

    list_template = "admin/tickets/list.html"
    details_template = "admin/tickets/details.html"
    # a ticket is logged by the intake form and changes only through its steps
    can_create = can_edit = can_delete = False
    column_list = ("number", "state", "time_left", "office", "customer", "unit", "summary",
                   "engineer", "received_at")
    column_export_list = ("number", "state", "time_left", "next_due", "office", "customer",
                          "unit", "summary", "engineer", "received_at", "reply_due",
                          "replied_at", "arrival_due", "arrived_at", "restored_at",
                          "closed_at", "covered", "charge", "distance_km")
    column_labels = LABELS
    column_choices = {"state": STATE_CHOICES, "charge": CHARGE_CHOICES}
    column_formatters = {"number": _number_cell, "state": _state_cell, "time_left": _due_cell}
    column_formatters_export = {
        "time_left": _time_left_export,
        **{name: _aware(name) for name in ("next_due", "received_at", "reply_due",
                                           "replied_at", "arrival_due", "arrived_at",
                                           "restored_at", "closed_at")}}
    # searched by _search below: the number by prefix, the unit's serial, the customer
    column_searchable_list = ("number",)
    search_placeholder_text = _l("Ticket number, serial number, customer code or name")
    column_filters = (
        InChoices(Ticket.state, _l("State"), options=STATE_CHOICES),
        InOfficeCode(Ticket.office, _l("Office code")),
        Overdue(Ticket.next_due, _l("Overdue")),
        DueWithin2h(Ticket.next_due, _l("Due within 2 h")),
        InWarranty(Ticket.covered, _l("In warranty")),
    )
    column_sortable_list = ("number", "state", ("time_left", Ticket.next_due), "received_at")
    column_default_sort = ("next_due", False)

    @property
    def extra_css(self):
        return [url_for("static", filename="tickets.css")]

    @property
    def extra_js(self):
        return [url_for("static", filename="tickets.js")]

    def menu_links(self) -> list[tuple[str, str]]:
        if not may(current_user, Action.CREATE, Ticket):
            return []
        return [(url_for(".intake"), _("Log a fault"))]

    # -- the list ------------------------------------------------------------------------

    def _order(self, sort_column, sort_desc):
        """By the next deadline: every ticket still in hand before the closed and cancelled
        ones (:data:`IN_HAND`), then the deadline, then the id; reversed, the mirror."""
        order = []
        for field, desc in super()._order(sort_column, sort_desc):
            if field is Ticket.next_due:
                order.append((IN_HAND_ORDER, desc))
            order.append((field, desc))
        return order

    def _search(self, query, search, joins=None):
        """Each word: the ticket number's beginning, a unit serial's beginning, or a
        customer whose code begins with it or whose name contains it.

        The three are one ``id IN (... UNION ...)``, each part found through its own
        index (number, unit, customer), not an OR of them: SQLite and PostgreSQL both
        answered the OR by walking the list's order (``next_due``) over every ticket
        and testing each (bench/bench_tickets.py: 17 -> 33 ms at 20,000 tickets on
        SQLite, 4x on PostgreSQL), and the page now reads only the matches."""
        for word in search.split():
            upper = word.strip().upper()
            units = Unit.select(Unit.id).where(self._prefix_match(Unit.serial, upper))
            customers = Customer.select(Customer.id).where(
                self._prefix_match(Customer.code, upper) | Customer.name.contains(word))
            matches = reduce(operator.or_, [  # a UNION of the three
                Ticket.select(Ticket.id).where(self._prefix_match(Ticket.number, upper)),
                Ticket.select(Ticket.id).where(Ticket.unit.in_(units)),
                Ticket.select(Ticket.id).where(Ticket.customer.in_(customers))])
            query = query.where(Ticket.id.in_(matches))
        return query

    # -- the ticket page -------------------------------------------------------------------

    def render(self, template, **kwargs):
        if template == self.details_template and "model" in kwargs:
            kwargs.update(ticket_page(kwargs["model"]))
        return super().render(template, **kwargs)

    # -- intake ------------------------------------------------------------------------------

    @expose("/intake/", methods=("GET", "POST"))
    def intake(self):
        if not may(current_user, Action.CREATE, Ticket):
            abort(403)
        form = IntakeForm()
        form.site.choices = _site_choices(form.customer_code.data)
        moment = now()
        if request.method == "GET":
            form.received.data = _minute(moment)
        refused = None
        if request.method == "POST" and form.validate():
            try:
                ticket = service.open_ticket(current_user, service.Report(
                    summary=form.summary.data or "", serial=(form.serial.data or "").strip()
                    or None, customer_code=(form.customer_code.data or "").strip() or None,
                    site_id=strict_id(form.site.data or ""), received=form.received.data,
                    channel=form.channel.data, reporter_name=form.reporter_name.data or "",
                    reporter_phone=form.reporter_phone.data or "",
                    description=form.description.data or "",
                    product_state=form.product_state.data))
            except RuleViolation as exc:
                target = getattr(form, _INTAKE_FIELDS.get(exc.field, exc.field or ""), None)
                if target is not None and hasattr(target, "errors") and target.name != "csrf_token":
                    target.errors = [*target.errors, str(exc)]
                else:
                    refused = str(exc)
            else:
                flash(_("Ticket %(number)s logged.", number=ticket.number), "success")
                return redirect(url_for(".details_view", id=ticket.id))
        return self.render("admin/tickets/intake.html", form=form, refused=refused,
                           latest=_minute(moment).isoformat(timespec="minutes"),
                           received_label=zone_header(str(form.received.label.text)))

    @expose("/lookup/serials/")
    def serials(self):
        """Units whose serial begins with ``q`` (the user's own), for the intake form."""
        if not may(current_user, Action.CREATE, Ticket):
            abort(403)
        prefix = (request.args.get("q") or "").strip().upper()
        if not prefix or len(prefix) > 40:
            return jsonify([])
        units = list(visible(Unit, current_user).where(self._prefix_match(Unit.serial, prefix))
                     .order_by(Unit.serial).limit(LOOKUP_MAX))
        customers = {c.id: c for c in Customer.select().where(
            Customer.id.in_(sorted({u.customer_id for u in units})))} if units else {}
        return jsonify([{"serial": u.serial,
                         "label": str(customers.get(u.customer_id, ""))} for u in units])

    @expose("/lookup/sites/")
    def sites(self):
        """The sites of the customer with code ``customer`` (the user's own)."""
        if not may(current_user, Action.CREATE, Ticket):
            abort(403)
        code = (request.args.get("customer") or "")[:32]
        return jsonify([{"id": c.value, "name": str(c.label)} for c in _site_choices(code)])

    # -- the steps -------------------------------------------------------------------------------

    @expose("/step/<step>/", methods=("POST",))
    def step(self, step):
        ticket = self.get_one(request.args.get("id"))  # another office's ticket: 404
        if step not in STEPS:
            abort(404)
        back = (url_for("field.index") if request.form.get("back") == "field"
                else url_for(".details_view", id=ticket.id))
        if not _CsrfOnly().validate():  # CSRFProtect has checked it already; this is its form
            abort(400)
        try:
            _run_step(step, ticket, request.form)
        except RuleViolation as exc:
            flash(str(exc), "error")
        else:
            flash(_done_message(step, ticket), "success")
        return redirect(back)


# -- the engineer's phone page --------------------------------------------------------------------

def _field_card(ticket, customers, sites, units, products, milestones, at) -> dict:
    unit = units.get(ticket.unit_id)
    site = sites.get(ticket.site_id)
    steps = [s for s in steps_for(current_user, ticket) if s in FIELD_STEPS]
    due = local(ticket.arrival_due) if ticket.arrival_due else None
    return {
        "ticket": ticket, "state_label": state_label(ticket.state),
        "badge": due_badge(ticket) if ticket.next_due or ticket.state == TicketState.WAITING
        else None, "customer": customers.get(ticket.customer_id),
        "site": site, "unit": unit, "product": products.get(unit.product_id) if unit else None,
        "milestones": [_milestone_row(ticket, m, at) for m in milestones],
        "steps": steps,
        "reply_text": _("Engineer %(name)s is on the way and will be on site by %(due)s.",
                        name=current_user.name, due=local_minute(due)) if due else
        _("Engineer %(name)s is on the way.", name=current_user.name),
    }


class FieldView(SecureView):
    """An engineer's open tickets, one card each, with the steps of the field."""

    read_roles = (Role.ENGINEER,)

    @expose("/")
    def index(self):
        tickets = list(visible(Ticket, current_user)
                       .where((Ticket.engineer == current_user.id)
                              & Ticket.state.in_(sorted(OPEN_STATES)))
                       .order_by(Ticket.next_due.asc(nulls="last"), Ticket.id)
                       .limit(FIELD_MAX))

        def rows(model, ids):
            ids = sorted({i for i in ids if i is not None})
            return {r.id: r for r in model.select().where(model.id.in_(ids))} if ids else {}
        customers = rows(Customer, [t.customer_id for t in tickets])
        sites = rows(Site, [t.site_id for t in tickets])
        units = rows(Unit, [t.unit_id for t in tickets])
        products = rows(Product, [u.product_id for u in units.values()])
        milestones = replacement_service.milestones_of(tickets)
        at = now()
        cards = [_field_card(t, customers, sites, units, products, milestones[t.id], at)
                 for t in tickets]
        return self.render("field/my_tickets.html", cards=cards,
                           restored_choices=RESTORED_CHOICES,
                           pause_reasons=[str(r) for r in FIELD_PAUSE_REASONS])


def register(admin):
    category = _l("Fault tickets")
    admin.add_view(TicketView(Ticket, name=_l("Tickets"), category=category,
                              endpoint="ticket"))
    admin.add_view(FieldView(name=_l("My tickets"), category=category, endpoint="field",
                             url="/field"))


__all__ = ["FieldView", "TicketView", "due_badge", "left_or_overdue", "legal_steps", "span",
           "ticket_page"]
