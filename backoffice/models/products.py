"""The product catalogue and the installed units that the customer file follows for life."""

from __future__ import annotations

from peewee import BooleanField, CharField, DateField, ForeignKeyField, IntegerField, TextField

from ..i18n import _
from ..labels import UnitStatus
from .base import AuditedModel, RuleViolation
from .contracts import Contract
from .customers import Customer, CustomerPart, Site


class Product(AuditedModel):
    """A catalogue entry: one model of product."""

    model = CharField(max_length=40, unique=True)
    name = CharField(max_length=120, index=True)
    grade = CharField(max_length=20, index=True)
    design_life_years = IntegerField(default=10)
    warranty_months = IntegerField(default=24)
    notes = TextField(default="")

    def validate(self):
        if self.model:
            self.model = self.model.strip().upper()
        if not self.model:
            raise RuleViolation(_("A product needs a model code."), "model")
        if self.design_life_years is not None and not 1 <= self.design_life_years <= 100:
            raise RuleViolation(_("Design life must be between 1 and 100 years."),
                                "design_life_years")
        if self.warranty_months is not None and not 0 <= self.warranty_months <= 600:
            raise RuleViolation(_("Warranty months must be between 0 and 600."), "warranty_months")
        if self.taken(Product.model):
            raise RuleViolation(_("Product model %(model)s is already in the catalogue.",
                                  model=self.model), "model", "taken")

    @classmethod
    def office_filter(cls, office_id):
        return None  # one catalogue for every office

    def __str__(self):
        return f"{self.model} {self.name}"


class Unit(CustomerPart):
    """One installed product, followed from delivery to retirement."""

    serial = CharField(max_length=40, unique=True)
    product = ForeignKeyField(Product, backref="units", index=True, on_delete="RESTRICT")
    contract = ForeignKeyField(Contract, backref="units", index=True, on_delete="RESTRICT")
    #: copied from the contract on save, so office scoping needs no two-table join
    customer = ForeignKeyField(Customer, backref="units", index=True, on_delete="RESTRICT")
    site = ForeignKeyField(Site, backref="units", index=True, null=True, on_delete="RESTRICT")
    installed_on = DateField(null=True)
    accepted_on = DateField(null=True, index=True)
    warranty_start = DateField(null=True)
    warranty_end = DateField(null=True, index=True)
    #: True when someone set the warranty dates by hand; then they are kept as given
    warranty_by_hand = BooleanField(default=False)
    status = CharField(max_length=16, default=UnitStatus.DELIVERED, index=True)
    notes = TextField(default="")

    class Meta:
        # the home page's counts and the lists narrowed to one office's customers filter
        # on the customer and then the status or the warranty end (issue 7, item 13);
        # the units list narrowed to a customer, a contract, a product or a status reads
        # its page in serial order from (parent, serial) (item 14, migration 005)
        indexes = ((("customer", "status"), False), (("customer", "warranty_end"), False),
                   (("customer", "serial"), False), (("contract", "serial"), False),
                   (("product", "serial"), False), (("status", "serial"), False))

    def validate(self):
        # the contract's customer, the site's owner and the warranty dates are other
        # tables' business: services.units derives and checks them before saving
        if self.serial:
            self.serial = self.serial.strip().upper()
        if not self.serial:
            raise RuleViolation(_("A unit needs a serial number."), "serial")
        if self.status not in UnitStatus.__members__.values():
            raise RuleViolation(_("Unknown unit status %(status)s.", status=self.status), "status")
        if self.taken(Unit.serial):
            raise RuleViolation(_("Serial number %(serial)s is already registered.",
                                  serial=self.serial), "serial", "taken")
        if self.contract_id is None:
            raise RuleViolation(_("A unit belongs to a contract."), "contract")
        if self.installed_on and self.accepted_on and self.accepted_on < self.installed_on:
            raise RuleViolation(_("Acceptance cannot come before installation."), "accepted_on")
        if self.warranty_start and self.warranty_end and self.warranty_end < self.warranty_start:
            raise RuleViolation(_("Warranty end is before warranty start."), "warranty_end")

    def __str__(self):
        return self.serial
