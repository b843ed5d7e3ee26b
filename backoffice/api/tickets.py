"""``/api/v1/tickets``: open, read, list and move fault tickets.

Each route parses its input (the schemas), finds the ticket among those the
token's owner may see (:func:`backoffice.access.visible`: another office's
ticket is a 404, exactly like a missing one), calls the one service function
for the step (:mod:`backoffice.services.tickets`, which checks the role and the
assignment and refuses an illegal step) and shows the ticket as it is now.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import g, url_for
from peewee import fn

from ..access import visible
from ..clock import local, stored
from ..hookspecs import Reason
from ..i18n import _
from ..labels import reason_text
from ..models import Contract, Customer, Office, Product, RuleViolation, Site, Staff, Ticket, Unit
from ..services import tickets as service
from ..services.replacements import ReplacementMilestone, milestones_of
from ..services.tickets import Report
from . import bearer
from .common import api_blueprint
from .errors import ApiError
from .schemas import (
    ArriveSchema,
    DispatchSchema,
    ReasonSchema,
    ReplySchema,
    ReportSchema,
    RestoreSchema,
    StepSchema,
    TicketPageSchema,
    TicketQuerySchema,
    TicketSchema,
)

blp = api_blueprint("api_tickets", __name__, url_prefix="/api/v1/tickets",
                description="Fault tickets: open, read, list, and move through their states.")

#: a ticket id in a path: what PostgreSQL's integer holds
TICKET_ID = "<int(min=1, max=2147483647):ticket_id>"
#: the errors every route may answer, documented once
_COMMON = (401, 403, 404)


def _documented(*statuses):
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, response=_RESPONSES[status])(view)
        return view
    return decorate


_RESPONSES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
              409: "CONFLICT", 422: "UNPROCESSABLE_ENTITY"}


# -- reading ----------------------------------------------------------------------------

def find(user, ticket_id: int) -> Ticket:
    """The ticket, if ``user`` may see it; else a 404 that says no more than "not here"."""
    ticket = visible(Ticket, user).where(Ticket.id == ticket_id).get_or_none()
    if ticket is None:
        raise ApiError(404, "not_found", _("No ticket %(id)s among the tickets you can see.",
                                           id=ticket_id))
    return ticket


class Related:
    """The rows a page of tickets points to, one query per table (not one per ticket)."""

    def __init__(self, tickets):
        def rows(model, ids):
            ids = {i for i in ids if i is not None}
            return {row.id: row for row in model.select().where(model.id.in_(ids))} if ids \
                else {}
        self.offices = rows(Office, [t.office_id for t in tickets]
                            + [t.nearer_office_id for t in tickets])
        self.customers = rows(Customer, [t.customer_id for t in tickets])
        self.sites = rows(Site, [t.site_id for t in tickets])
        self.units = rows(Unit, [t.unit_id for t in tickets])
        self.products = rows(Product, [u.product_id for u in self.units.values()])
        self.contracts = rows(Contract, [t.contract_id for t in tickets])
        self.staff = rows(Staff, [t.engineer_id for t in tickets]
                          + [t.replied_by_id for t in tickets])
        #: ticket id -> its milestones: the reply, the arrival, each replacement
        self.milestones = milestones_of(tickets)


def _time(value):
    return local(value) if value is not None else None


def _explained(decided_by: str, why: str | None) -> str:
    """What decided, in the reader's language (the charter's stored reason), else as written."""
    return reason_text(SimpleNamespace(decided_by=decided_by, why=Reason.from_json(why)))


def _milestone(ticket: Ticket, m) -> dict:
    replacement = isinstance(m, ReplacementMilestone)
    why = "" if replacement else getattr(ticket, f"{m.milestone}_why", "")
    return {
        "milestone": m.milestone, "due": m.due, "decided_by": m.decided_by,
        "explanation": _explained(m.decided_by, why), "done": m.done, "met": m.met,
        "margin_seconds": int(m.margin.total_seconds()) if m.margin is not None else None,
        "window": {"earliest": m.earliest, "latest": m.latest} if replacement else None,
    }


def present(ticket: Ticket, related: Related | None = None) -> dict:
    """The ticket as the API shows it (times in the service center's zone)."""
    related = related or Related([ticket])
    office = related.offices[ticket.office_id]
    customer = related.customers[ticket.customer_id]
    site = related.sites.get(ticket.site_id)
    unit = related.units.get(ticket.unit_id)
    contract = related.contracts.get(ticket.contract_id)
    nearer = related.offices.get(ticket.nearer_office_id)
    engineer = related.staff.get(ticket.engineer_id)
    replier = related.staff.get(ticket.replied_by_id)
    return {
        "id": ticket.id, "number": ticket.number, "version": ticket.version,
        "state": ticket.state,
        "office": {"code": office.code, "name": office.name},
        "customer": {"code": customer.code, "name": customer.name},
        "site": {"id": site.id, "name": site.name} if site else None,
        "unit": {"serial": unit.serial, "product": related.products[unit.product_id].model}
        if unit else None,
        "contract": contract.number if contract else None,
        "received_at": _time(ticket.received_at), "channel": ticket.channel,
        "reporter_name": ticket.reporter_name, "reporter_phone": ticket.reporter_phone,
        "summary": ticket.summary, "description": ticket.description,
        "product_state": ticket.product_state,
        "coverage": {"covered": ticket.covered, "charge": ticket.charge,
                     "decided_by": ticket.coverage_by,
                     "explanation": _explained(ticket.coverage_by,
                                               getattr(ticket, "coverage_why", ""))},
        "distance": {"km": float(ticket.distance_km) if ticket.distance_km is not None
                     else None, "how": ticket.distance_how},
        "nearer_office": {"code": nearer.code, "name": nearer.name,
                          "by_km": float(ticket.nearer_by_km or 0)} if nearer else None,
        "milestones": [_milestone(ticket, m) for m in related.milestones[ticket.id]],
        "estimated": ticket.estimated, "next_due": _time(ticket.next_due),
        "reply": {"text": ticket.reply_text, "at": _time(ticket.replied_at),
                  "by": replier.username if replier else None} if ticket.replied_at else None,
        "dispatch": {"engineer": engineer.username if engineer else None,
                     "engineer_name": engineer.name if engineer else None,
                     "at": _time(ticket.dispatched_at),
                     "planned_arrival": _time(ticket.planned_arrival),
                     "why": ticket.dispatch_why}
        if ticket.dispatched_at or ticket.engineer_id else None,
        "arrived_at": _time(ticket.arrived_at),
        "restored": {"at": _time(ticket.restored_at), "how": ticket.restored_how}
        if ticket.restored_at else None,
        "closed_at": _time(ticket.closed_at), "cancel_reason": ticket.cancel_reason,
        "reopened": ticket.reopened,
        "pause": {"since": _time(ticket.paused_since), "reason": ticket.pause_reason}
        if ticket.paused_since else None,
        "paused_seconds": ticket.paused_seconds,
    }


@blp.route("", methods=["GET"])
@blp.arguments(TicketQuerySchema, location="query")
@blp.response(200, TicketPageSchema)
@_documented(401)
def list_tickets(query):
    """List the tickets you can see, newest first

    Filter by state (repeatable), office code, ticket number and next deadline
    before a time; page with `limit` and the `next_cursor` of the previous page.
    """
    tickets = visible(Ticket, bearer.current())
    if query.get("state"):
        tickets = tickets.where(Ticket.state.in_(query["state"]))
    if query.get("office"):
        tickets = tickets.where(Ticket.office.in_(
            Office.select(Office.id).where(Office.code == query["office"].strip().upper())))
    if query.get("number"):
        tickets = tickets.where(Ticket.number == query["number"].strip().upper())
    if query.get("due_before"):
        tickets = tickets.where(Ticket.next_due < stored(query["due_before"]))
    if query.get("cursor"):
        tickets = tickets.where(Ticket.id < int(query["cursor"]))
    limit = query["limit"]
    rows = list(tickets.order_by(Ticket.id.desc()).limit(limit + 1))
    page = rows[:limit]
    related = Related(page)
    return {"items": [present(t, related) for t in page],
            "next_cursor": str(page[-1].id) if len(rows) > limit else None}


@blp.route(f"/{TICKET_ID}", methods=["GET"])
@blp.response(200, TicketSchema)
@_documented(*_COMMON)
def read_ticket(ticket_id):
    """One ticket, with its milestones, deadlines and what decided them"""
    return present(find(bearer.current(), ticket_id))


# -- intake -------------------------------------------------------------------------------

@blp.route("", methods=["POST"])
@blp.arguments(ReportSchema)
@blp.response(201, TicketSchema, headers={"Location": {
    "description": "The new ticket's URL.", "schema": {"type": "string"}}})
@_documented(400, 401, 403)
def open_ticket(report):
    """Log a fault report as a new ticket

    Give the unit's `serial`, or the `customer_code` (and a `site_id` of that
    customer) when the serial is unknown. The ticket gets its number, who pays
    and why, the distance and the reply and arrival deadlines with their reasons.
    """
    g.api_fields = {"customer": "customer_code", "site": "site_id"}
    ticket = service.open_ticket(bearer.current(), Report(**report))
    return present(ticket), 201, {"Location": url_for("api_tickets.read_ticket",
                                                      ticket_id=ticket.id)}


# -- steps ----------------------------------------------------------------------------------

def _engineer(user, username: str) -> Staff:
    """The member of staff named ``username``, among those ``user`` may see."""
    name = username.strip()
    engineer = visible(Staff, user).where(fn.LOWER(Staff.username) == name.lower()).first()
    if engineer is None:
        raise RuleViolation(_("No member of staff %(name)s among those you can see.",
                              name=name), "engineer", "not_found")
    return engineer


def _step(name: str, schema, call, summary: str, fields: dict[str, str] | None = None):
    """Register ``POST /api/v1/tickets/<id>/<name>``: find the ticket, call the service."""
    def view(args, ticket_id):
        user = bearer.current()
        g.api_fields = fields or {}
        ticket = find(user, ticket_id)
        if args.get("version") is not None:
            ticket.version = args["version"]  # the save refuses it if the row moved on
        return present(call(user, ticket, args))
    view.__name__ = view.__qualname__ = f"{name}_ticket"
    view.__doc__ = summary
    view = _documented(*_COMMON, 409)(view)
    view = blp.response(200, TicketSchema)(view)
    view = blp.arguments(schema, required=schema is not StepSchema)(view)
    blp.route(f"/{TICKET_ID}/{name}", methods=["POST"], endpoint=name)(view)


_step("reply", ReplySchema,
      lambda user, t, a: service.reply(user, t, a["text"], a.get("at")),
      "Record the definite reply: what was promised, by whom, when",
      {"reply_text": "text"})
_step("dispatch", DispatchSchema,
      lambda user, t, a: service.dispatch(user, t, _engineer(user, a["engineer"]),
                                          a.get("planned_arrival"), a.get("why", "")),
      "Send an engineer (by username), with the planned arrival and why")
_step("arrive", ArriveSchema, lambda user, t, a: service.arrive(user, t, a.get("at")),
      "The engineer is on site (now, or at the time given)")
_step("restore", RestoreSchema,
      lambda user, t, a: service.restore(user, t, a["how"], a.get("at")),
      "The product runs again: by repair, swap or a temporary unit",
      {"restored_how": "how"})
_step("close", StepSchema, lambda user, t, a: service.close(user, t), "Close a restored ticket")
_step("reopen", StepSchema, lambda user, t, a: service.reopen(user, t),
      "Reopen a ticket closed in the last 30 days (it keeps its number and history)")
_step("cancel", ReasonSchema, lambda user, t, a: service.cancel(user, t, a["reason"]),
      "Cancel an open ticket, with the reason", {"cancel_reason": "reason"})
_step("pause", ReasonSchema, lambda user, t, a: service.pause(user, t, a["reason"]),
      "The ticket waits on the customer: its deadlines stop, with the reason",
      {"pause_reason": "reason"})
_step("resume", StepSchema, lambda user, t, a: service.resume(user, t),
      "The clock runs again: open deadlines move on by the paused working time")
