"""``backoffice tickets ...``: log a fault and move tickets on from the shell.

The same use cases as the admin's ticket screens and the JSON API
(:mod:`backoffice.services.tickets`); bad input is one line and exit 2, nothing
written.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..access import visible
from ..clock import local, zone
from ..i18n import _
from ..labels import ProductState, ReportChannel, TicketState, label
from ..models import RuleViolation, Ticket
from ..services import tickets as ticket_service
from ..services.deadlines import local_time
from . import TEXT, Group, acting_user, as_option, fail


@click.group("tickets", cls=Group, help="Fault tickets: log a fault, show a ticket.")
def tickets_group():
    pass


def _shown(ticket) -> dict:
    def at(value):
        return local(value).isoformat() if value is not None else None
    return {
        "number": ticket.number, "state": ticket.state, "office": ticket.office.code,
        "customer": ticket.customer.code, "serial": ticket.unit.serial if ticket.unit_id else None,
        "received": at(ticket.received_at), "covered": ticket.covered, "charge": ticket.charge,
        "coverage_by": ticket.coverage_by,
        "distance_km": float(ticket.distance_km) if ticket.distance_km is not None else None,
        "distance_how": ticket.distance_how,
        "nearer_office": ticket.nearer_office.code if ticket.nearer_office_id else None,
        "reply_due": at(ticket.reply_due), "reply_due_by": ticket.reply_due_by,
        "arrival_due": at(ticket.arrival_due), "arrival_due_by": ticket.arrival_due_by,
    }


def _echo(ticket, as_json: bool) -> None:
    data = _shown(ticket)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(_("ticket %(number)s (%(state)s) for %(customer)s, office %(office)s",
                 number=data["number"], state=label(ticket.state, TicketState),
                 customer=data["customer"], office=data["office"]))
    zone_name = str(zone())
    for kind, due, why in (("reply", ticket.reply_due, data["reply_due_by"]),
                           ("arrival", ticket.arrival_due, data["arrival_due_by"])):
        when = f"{local(due):%Y-%m-%d %H:%M} ({zone_name})" if due else "-"
        click.echo(f"  {kind:8} {when:32} {why}")
    if data["distance_km"] is not None:
        click.echo(_("  distance %(km)s km (%(how)s)", km=f"{data['distance_km']:g}",
                     how=data["distance_how"]))


@tickets_group.command("open", help="Log a fault report for a unit (by serial number).")
@click.option("--serial", type=TEXT, required=True, help="The unit's serial number.")
@click.option("--summary", type=TEXT, required=True, help="What the customer reported.")
@click.option("--received", type=TEXT, default=None,
              help="When it was received, ISO 8601 (no offset: the center's zone); "
                   "default now.")
@click.option("--channel", type=click.Choice(list(ReportChannel)), default=ReportChannel.PHONE,
              show_default=True)
@click.option("--state", "product_state", type=click.Choice(list(ProductState)),
              default=ProductState.DOWN, show_default=True, help="The product's state.")
@click.option("--reporter", type=TEXT, default="", help="The reporter's name.")
@click.option("--phone", type=TEXT, default="", help="The reporter's phone.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@as_option
@with_appcontext
def tickets_open(serial, summary, received, channel, product_state, reporter, phone, as_json,
                 as_user):
    actor = acting_user(as_user)
    when = None
    if received:
        try:  # an ISO time; without an offset it is the service center's
            when = local_time(received, zone())
        except ValueError as exc:
            fail(str(exc))
    try:
        ticket = ticket_service.open_ticket(actor, ticket_service.Report(
            summary=summary, serial=serial, received=when, channel=channel,
            product_state=product_state, reporter_name=reporter, reporter_phone=phone))
    except RuleViolation as exc:
        fail(str(exc))
    _echo(ticket, as_json)


@tickets_group.command("show", help="Show a ticket by its number.")
@click.argument("number", type=TEXT)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@as_option
@with_appcontext
def tickets_show(number, as_json, as_user):
    actor = acting_user(as_user)
    ticket = visible(Ticket, actor).where(Ticket.number == number.strip().upper()).get_or_none()
    if ticket is None:
        fail(_("no ticket numbered %(number)s", number=repr(number)))
    _echo(ticket, as_json)


COMMANDS = [tickets_group]
