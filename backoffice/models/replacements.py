"""Replacements: a faulty unit replaced by a new one of the same grade, within a window.

When the engineer confirms that a product must be replaced, a :class:`Replacement`
records the ticket, the faulty unit, the window the new one must be on site in (from
the ``replacement_window`` hook, with what decided it), and where the new one comes
from (an office's stock or the factory). Shipping names the new unit (a unit of the
same grade, created on the faulty one's contract); delivery puts it in the faulty
one's place. Both units keep the link: ``unit.replaced_by`` (the replacements of a
faulty unit) and ``unit.replaces`` (the replacement that brought a new one).

The steps are :mod:`backoffice.services.replacements`; this model holds them and
checks its own row.
"""

from __future__ import annotations

import datetime as dt

from peewee import CharField, DateField, ForeignKeyField, TextField

from ..i18n import _
from ..labels import ReplacementSource
from .base import AuditedModel, RuleViolation
from .customers import Customer
from .org import Office
from .products import Unit
from .tickets import Ticket


class Replacement(AuditedModel):
    """One confirmed replacement, from confirmation to delivery on site."""

    ticket = ForeignKeyField(Ticket, backref="replacements", index=True, on_delete="RESTRICT")
    #: the ticket's office (office scoping without a join) and customer (the customer file)
    office = ForeignKeyField(Office, backref="replacements", index=True, on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="replacements", index=True,
                               on_delete="RESTRICT")
    faulty_unit = ForeignKeyField(Unit, backref="replaced_by", index=True,
                                  on_delete="RESTRICT")
    #: set when shipped: the unit that takes the faulty one's place
    new_unit = ForeignKeyField(Unit, backref="replaces", null=True, unique=True,
                               on_delete="RESTRICT")
    confirmed_on = DateField()
    #: the window the new unit must be on site in (both days included), and why
    earliest = DateField()
    latest = DateField(index=True)
    window_by = CharField(max_length=200, default="")
    source = CharField(max_length=10, default=ReplacementSource.FACTORY)
    #: the office whose stock the new unit is issued from (source ``stock``)
    stock_office = ForeignKeyField(Office, null=True, backref="replacements_from_stock",
                                   on_delete="RESTRICT")
    shipped_on = DateField(null=True)
    delivered_on = DateField(null=True)
    notes = TextField(default="")

    def validate(self):
        if self.source not in ReplacementSource.__members__.values():
            raise RuleViolation(_("Unknown source %(value)r.", value=self.source), "source")
        if self.source == ReplacementSource.STOCK and self.stock_office_id is None:
            raise RuleViolation(_("Say which office's stock the replacement comes from."),
                                "stock_office")
        if self.latest < self.earliest:
            raise RuleViolation(_("The window ends before it starts."), "latest")
        if self.shipped_on and self.shipped_on < self.confirmed_on:
            raise RuleViolation(_("A replacement cannot ship before it is confirmed."),
                                "shipped_on")
        if self.delivered_on and (self.shipped_on is None or self.delivered_on < self.shipped_on):
            raise RuleViolation(_("A replacement is delivered after it is shipped."),
                                "delivered_on")
        if self.new_unit_id is not None and self.new_unit_id == self.faulty_unit_id:
            raise RuleViolation(_("A unit cannot replace itself."), "new_unit")

    # -- the milestone ---------------------------------------------------------------

    @property
    def late(self) -> bool:
        """Delivered after the window's latest day (or not delivered and that day is past:
        see :meth:`days_late`)."""
        return self.delivered_on is not None and self.delivered_on > self.latest

    def days_late(self, today: dt.date | None = None) -> int:
        """Days after the latest day it was delivered; while not delivered, the days
        ``today`` is past it (0 when on time or not late yet)."""
        done = self.delivered_on or today
        if done is None:
            return 0
        return max((done - self.latest).days, 0)

    @property
    def state(self) -> str:
        if self.delivered_on:
            return "delivered"
        return "shipped" if self.shipped_on else "confirmed"

    # -- scoping -----------------------------------------------------------------------

    @classmethod
    def office_filter(cls, office_id):
        return cls.office == office_id

    @classmethod
    def assigned_filter(cls, staff_id):
        return cls.ticket.in_(Ticket.select(Ticket.id).where(Ticket.engineer == staff_id))

    def office_id_for_audit(self):
        return self.office_id

    def customer_id_for_audit(self):
        return self.customer_id

    def __str__(self):
        serials = {u.id: u.serial for u in Unit.select(Unit.id, Unit.serial).where(
            Unit.id.in_([i for i in (self.faulty_unit_id, self.new_unit_id) if i]))}
        return f"{serials.get(self.faulty_unit_id, '?')} → {serials.get(self.new_unit_id, '…')}"
