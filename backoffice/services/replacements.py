"""Replacements: confirm, ship, deliver; the new unit takes the faulty one's place.

1. :func:`confirm` (the engineer on the ticket, the office or headquarters): the
   engineer has found the product must be replaced. The window the new one must be on
   site in comes from the rule engine (``replacement_window``: the charter's 5 to 10
   days after confirmation), stored with what decided it, and the new one comes from
   an office's stock or the factory.
2. :func:`ship` (the office or headquarters): the new unit's serial and product. The
   product must be of the faulty one's grade, else refused (code ``other_grade``). The
   new unit is registered on the faulty one's contract (status ordered); from office
   stock, one of the product is issued to the ticket (refused when the office holds
   none, code ``out_of_stock``).
3. :func:`deliver`: the new unit takes the faulty one's place: its site and contract,
   installed and accepted on the delivery day, in service; its warranty is what the
   term set says (the unit is saved through :func:`backoffice.services.records.save`,
   so :func:`backoffice.services.units.derive` asks the ``warranty_period`` hook). The
   faulty unit is marked replaced and keeps its site as the place it stood. The
   replacement links the two (``unit.replaced_by``, ``unit.replaces``), and its audit
   entries are in the customer file's timeline.

A replacement delivered after the window's latest day is late: a missed milestone
like the ticket's own (:func:`milestone`), with the days late. The ticket's milestones
with its replacements' are :func:`milestones_with_replacement` (one ticket: the ticket
page) and :func:`milestones_of` (a page of tickets: the API's list, the phone page): the
reply and the arrival (:func:`backoffice.services.tickets.milestones`), then each
replacement in the order confirmed. The screens and the API show what these return.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..access import AccessDenied, Action, can_see, may, require, require_work
from ..clock import today, zone
from ..i18n import _
from ..labels import Milestone, ReplacementSource, UnitStatus
from ..models import Contract, Office, Product, Replacement, RuleViolation, Unit
from ..plugins import current_engine
from . import records, stock
from .core import changing
from .tickets import MilestoneStatus
from .tickets import milestones as ticket_milestones


def confirm(user, ticket, *, source: str = ReplacementSource.FACTORY, stock_office=None,
            confirmed_on: dt.date | None = None, faulty_unit=None,
            notes: str = "") -> Replacement:
    """Record that the ticket's unit (or ``faulty_unit``) must be replaced."""
    require_work(user, ticket)
    if not may(user, Action.CREATE, Replacement):
        raise AccessDenied()
    faulty = faulty_unit or (Unit.get_or_none(Unit.id == ticket.unit_id)
                             if ticket.unit_id else None)
    if faulty is None or faulty.customer_id != ticket.customer_id:
        raise RuleViolation(_("Say which of the customer's units is to be replaced."),
                            "faulty_unit", "required")
    if faulty.status in (UnitStatus.REPLACED, UnitStatus.RETIRED):
        raise RuleViolation(_("Unit %(serial)s is no longer in use.", serial=faulty.serial),
                            "faulty_unit", "invalid")
    pending = Replacement.select().where((Replacement.faulty_unit == faulty.id)
                                         & Replacement.delivered_on.is_null())
    if pending.exists():
        raise RuleViolation(_("A replacement of %(serial)s is already under way.",
                              serial=faulty.serial), "faulty_unit", "taken")
    confirmed_on = _day(confirmed_on, "confirmed_on")
    if source not in ReplacementSource.__members__.values():
        raise RuleViolation(_("Unknown source %(value)r.", value=source), "source")
    if source == ReplacementSource.STOCK:
        stock_office = stock_office or Office.get_by_id(ticket.office_id)
    else:
        stock_office = None
    contract = Contract.get_or_none(Contract.id == faulty.contract_id)
    window = current_engine().replacement_window(contract, confirmed_on)
    with changing(user):
        replacement = Replacement(
            ticket=ticket.id, office=ticket.office_id, customer=ticket.customer_id,
            faulty_unit=faulty.id, confirmed_on=confirmed_on, earliest=window.earliest,
            latest=window.latest, window_by=(window.decided_by or "")[:200], source=source,
            stock_office=stock_office.id if stock_office is not None else None,
            notes=(notes or "").strip())
        replacement.save(force_insert=True)
    return replacement


def ship(user, replacement, *, serial: str, product=None,
         shipped_on: dt.date | None = None) -> Replacement:
    """The new unit is on its way: its serial and product (the faulty one's grade)."""
    require(user, Action.UPDATE, replacement)
    if replacement.shipped_on is not None:
        raise RuleViolation(_("This replacement has been shipped already."), "shipped_on",
                            "illegal_transition")
    faulty = Unit.get_by_id(replacement.faulty_unit_id)
    old_product = Product.get_by_id(faulty.product_id)
    product = product or old_product
    if (product.grade or "").strip().casefold() != (old_product.grade or "").strip().casefold():
        raise RuleViolation(_("A replacement must be of the same grade as %(model)s "
                              "(%(grade)s); %(other)s is %(other_grade)s.",
                              model=old_product.model, grade=old_product.grade,
                              other=product.model, other_grade=product.grade),
                            "product", "other_grade")
    if not (serial or "").strip():
        raise RuleViolation(_("Give the new unit's serial number."), "serial", "required")
    shipped_on = _day(shipped_on, "shipped_on")
    if shipped_on < replacement.confirmed_on:
        raise RuleViolation(_("A replacement cannot ship before it is confirmed."),
                            "shipped_on", "invalid")
    with changing(user):
        new_unit = records.save(user, Unit(
            serial=serial, product=product.id, contract=faulty.contract_id,
            status=UnitStatus.ORDERED,
            notes=_("Replacement for %(serial)s", serial=faulty.serial)))
        if replacement.source == ReplacementSource.STOCK:
            office = Office.get_by_id(replacement.stock_office_id)
            if not can_see(office, user):
                raise AccessDenied(_("You can only move your own office's stock."),
                                   "out_of_scope")
            item = stock.product_item(product)
            if item is None:
                raise RuleViolation(_("%(office)s keeps no %(model)s in stock.",
                                      office=office.name, model=product.model), "product",
                                    "out_of_stock")
            stock.issue_within(office, item, replacement.ticket_id, 1,
                               note=_("replacement for %(serial)s", serial=faulty.serial))
        replacement.new_unit, replacement.shipped_on = new_unit.id, shipped_on
        replacement.save()
    return replacement


def deliver(user, replacement, *, delivered_on: dt.date | None = None) -> Replacement:
    """The new unit is on site: it takes the faulty one's place, which is marked replaced."""
    require(user, Action.UPDATE, replacement)
    if replacement.shipped_on is None or replacement.new_unit_id is None:
        raise RuleViolation(_("Ship the replacement before delivering it."), "delivered_on",
                            "illegal_transition")
    if replacement.delivered_on is not None:
        raise RuleViolation(_("This replacement has been delivered already."),
                            "delivered_on", "illegal_transition")
    delivered_on = _day(delivered_on, "delivered_on")
    if delivered_on < replacement.shipped_on:
        raise RuleViolation(_("A replacement is delivered after it is shipped."),
                            "delivered_on", "invalid")
    with changing(user):
        faulty = Unit.get_by_id(replacement.faulty_unit_id)
        new_unit = Unit.get_by_id(replacement.new_unit_id)
        new_unit.site, new_unit.contract = faulty.site_id, faulty.contract_id
        new_unit.installed_on = new_unit.accepted_on = delivered_on
        new_unit.status = UnitStatus.IN_SERVICE
        records.save(user, new_unit)  # units.derive: customer and warranty, by the rules
        faulty.status = UnitStatus.REPLACED
        records.save(user, faulty)
        replacement.delivered_on = delivered_on
        replacement.save()
    return replacement


# -- reading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReplacementMilestone(MilestoneStatus):
    """A replacement as a promise: a window of days. ``due`` and ``done`` are the start
    (in the center's zone) of the window's latest day and of the delivery day, so
    ``met`` is "delivered by the latest day" and ``margin`` is whole days."""

    #: the window (both days included) and the delivery day
    earliest: dt.date | None = None
    latest: dt.date | None = None
    delivered_on: dt.date | None = None
    replacement_id: int | None = None

    def days_late(self, on: dt.date) -> int:
        """Days past the window's latest day: of the delivery, or while not delivered, of
        ``on`` (0 when on time or not late yet)."""
        done = self.delivered_on or on
        return max((done - self.latest).days, 0) if self.latest else 0


def milestone(replacement) -> ReplacementMilestone:
    """The replacement as a promise: due on the window's latest day, done on delivery
    (both as the start of that day in the center's zone, so ``margin`` is whole days:
    negative by the days late)."""
    def start(day):
        return dt.datetime.combine(day, dt.time(0), tzinfo=zone()) if day else None
    return ReplacementMilestone(
        Milestone.REPLACEMENT, start(replacement.latest), replacement.window_by,
        start(replacement.delivered_on), earliest=replacement.earliest,
        latest=replacement.latest, delivered_on=replacement.delivered_on,
        replacement_id=replacement.id)


def milestones_of(tickets) -> dict[int, list[MilestoneStatus]]:
    """Ticket id -> its milestones in order: the reply and the arrival, then each of its
    replacements (in the order confirmed); the replacements of all of them in one query."""
    tickets = list(tickets)
    found: dict[int, list[MilestoneStatus]] = {t.id: [] for t in tickets}
    if found:
        for replacement in (Replacement.select()
                            .where(Replacement.ticket.in_(sorted(found)))
                            .order_by(Replacement.confirmed_on, Replacement.id)):
            found[replacement.ticket_id].append(milestone(replacement))
    return {t.id: [*ticket_milestones(t), *found[t.id]] for t in tickets}


def milestones_with_replacement(ticket) -> list[MilestoneStatus]:
    """The ticket's milestones: the reply, the arrival and each replacement's delivery."""
    return milestones_of([ticket])[ticket.id]


def links(unit) -> tuple[Replacement | None, list[Replacement]]:
    """What ``unit`` replaced (the replacement that brought it) and what replaced it."""
    replaces = Replacement.get_or_none(Replacement.new_unit == unit.id)
    replaced_by = list(Replacement.select().where(Replacement.faulty_unit == unit.id)
                       .order_by(Replacement.confirmed_on))
    return replaces, replaced_by


def _day(value: dt.date | None, field: str) -> dt.date:
    day = value or today()
    if day > today():
        raise RuleViolation(_("That day is in the future."), field, "in_future")
    return day
