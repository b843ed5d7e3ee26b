"""Spare stock: what each office keeps (products for swaps, connectors, batteries,
testing and maintenance equipment, tools), how much, and every movement.

* :class:`StockItem` is the national list of things kept in stock (one catalogue,
  like the products'); an item of category ``product`` is one catalogue
  :class:`~backoffice.models.Product`, so a ticket's unit says which spare it needs.
* :class:`StockLevel` is one office's quantity of one item. The quantity never goes
  below zero: :mod:`backoffice.services.stock` checks it under a row lock, and the
  schema's ``CHECK (quantity >= 0)`` is the last guard.
* :class:`StockMovement` is one change of a quantity (received, issued to a ticket,
  transferred out or in, returned), with the quantity after it; movements are only
  ever added.

Quantities change only through :mod:`backoffice.services.stock`.
"""

from __future__ import annotations

from peewee import CharField, Check, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..i18n import _
from ..labels import StockItemKind, StockMovementKind
from .base import AuditedModel, RuleViolation
from .core import utcnow
from .org import Office
from .products import Product
from .tickets import Ticket


class StockItem(AuditedModel):
    """A kind of thing offices keep in stock: one catalogue for every office."""

    category = CharField(max_length=16, index=True, default=StockItemKind.CONNECTOR)
    name = CharField(max_length=120)
    #: the catalogue product this item is (category ``product`` only)
    product = ForeignKeyField(Product, null=True, unique=True, backref="stock_items",
                              on_delete="RESTRICT")
    notes = TextField(default="")

    class Meta:
        indexes = ((("category", "name"), True),)

    def validate(self):
        if self.category not in StockItemKind.__members__.values():
            raise RuleViolation(_("Unknown kind of stock item %(value)r.",
                                  value=self.category), "category")
        if self.category == StockItemKind.PRODUCT and self.product_id is None:
            raise RuleViolation(_("A product kept in stock names its catalogue product."),
                                "product")
        if self.category != StockItemKind.PRODUCT and self.product_id is not None:
            raise RuleViolation(_("Only an item of kind product names a catalogue product."),
                                "product")
        self.name = (self.name or "").strip()
        if not self.name:
            raise RuleViolation(_("A stock item needs a name."), "name")
        clash = StockItem.select(StockItem.id).where(
            (StockItem.category == self.category) & (StockItem.name == self.name))
        if self.get_id() is not None:
            clash = clash.where(StockItem.id != self.get_id())
        if clash.exists():
            raise RuleViolation(_("There is already a stock item %(name)s.", name=self.name),
                                "name", "taken")

    @classmethod
    def office_filter(cls, office_id):
        return None  # one list of items for every office

    def __str__(self):
        return self.name


class StockLevel(AuditedModel):
    """How many of one item one office holds (never below zero)."""

    office = ForeignKeyField(Office, backref="stock", index=True, on_delete="RESTRICT")
    item = ForeignKeyField(StockItem, backref="levels", index=True, on_delete="RESTRICT")
    quantity = IntegerField(default=0, constraints=[Check("quantity >= 0")])

    class Meta:
        indexes = ((("office", "item"), True),)

    def validate(self):
        if self.quantity is None or self.quantity < 0:
            raise RuleViolation(_("A stock quantity cannot be below zero."), "quantity",
                                "out_of_stock")

    @classmethod
    def office_filter(cls, office_id):
        return cls.office == office_id

    def office_id_for_audit(self):
        return self.office_id

    def __str__(self):
        return f"{self.item} × {self.quantity}"


class StockMovement(AuditedModel):
    """One change of an office's quantity of an item; only ever added, never edited."""

    at = DateTimeField(default=utcnow, index=True)
    office = ForeignKeyField(Office, backref="stock_movements", index=True,
                             on_delete="RESTRICT")
    item = ForeignKeyField(StockItem, backref="movements", index=True, on_delete="RESTRICT")
    movement = CharField(max_length=12)
    #: the change: positive in (received, transferred in, returned), negative out
    quantity = IntegerField()
    #: the office's quantity after the movement
    balance = IntegerField(constraints=[Check("balance >= 0")])
    #: a transfer's other end
    other_office = ForeignKeyField(Office, null=True, backref="stock_movements_from",
                                   on_delete="RESTRICT")
    #: the ticket an item was issued to or returned from
    ticket = ForeignKeyField(Ticket, null=True, index=True, backref="stock_movements",
                             on_delete="RESTRICT")
    #: who moved it (the acting user's name, as the audit trail says)
    actor = CharField(max_length=60, default="")
    note = CharField(max_length=300, default="")

    class Meta:
        indexes = ((("office", "at"), False),)

    def validate(self):
        if self.movement not in StockMovementKind.__members__.values():
            raise RuleViolation(_("Unknown stock movement %(value)r.", value=self.movement),
                                "movement")
        if not self.quantity:
            raise RuleViolation(_("A stock movement moves at least one item."), "quantity")

    @classmethod
    def office_filter(cls, office_id):
        return cls.office == office_id

    def office_id_for_audit(self):
        return self.office_id

    def customer_id_for_audit(self):
        if self.ticket_id is None:
            return None
        ticket = Ticket.get_or_none(Ticket.id == self.ticket_id)
        return ticket.customer_id if ticket else None

    def __str__(self):
        return f"{self.movement} {self.quantity:+d} {self.item}"
