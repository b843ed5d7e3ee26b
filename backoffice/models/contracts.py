"""Contracts: the source of every customer relationship."""

from __future__ import annotations

from peewee import CharField, DateField, DecimalField, ForeignKeyField, IntegerField, TextField

from ..i18n import _
from .base import RuleViolation
from .customers import Customer, CustomerPart
from .terms import TermSetVersion


class ContractStatus:
    DRAFT = "draft"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    ALL = (DRAFT, ACTIVE, COMPLETED, TERMINATED)


class Contract(CustomerPart):
    number = CharField(max_length=30, unique=True)
    customer = ForeignKeyField(Customer, backref="contracts", index=True, on_delete="RESTRICT")
    signed_on = DateField(index=True)
    value = DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = CharField(max_length=3, default="CNY")
    status = CharField(max_length=12, default=ContractStatus.ACTIVE, index=True)
    #: overrides the product's standard warranty for units under this contract
    warranty_months = IntegerField(null=True)
    notes = TextField(default="")
    #: the term-set version the contract was signed under; empty = the standard charter
    #: terms. It moves only when someone moves it (a new version changes nothing here).
    term_set_version = ForeignKeyField(TermSetVersion, null=True, index=True,
                                       on_delete="RESTRICT")
    #: rule plugins this contract enables, in the order they are asked, with each one's
    #: settings: a JSON object such as {"near_site_4h": {"radius_km": 50}}
    plugins = TextField(default="{}")

    def enabled_plugins(self) -> dict:
        """The ``plugins`` JSON as a dict (``{}`` when empty or unreadable)."""
        from ..plugins import parse_plugin_settings
        try:
            return parse_plugin_settings(self.plugins)
        except ValueError:
            return {}

    def validate(self):
        if self.number:
            self.number = self.number.strip().upper()
        if not self.number:
            raise RuleViolation(_("A contract needs a number."), "number")
        if self.status not in ContractStatus.ALL:
            raise RuleViolation(_("Unknown contract status %(status)r.", status=self.status),
                                "status")
        if self.value is not None and self.value < 0:
            raise RuleViolation(_("A contract value cannot be negative."), "value")
        if self.warranty_months is not None and not 0 <= self.warranty_months <= 600:
            raise RuleViolation(_("Warranty months must be between 0 and 600."),
                                "warranty_months")
        if self.taken(Contract.number):
            raise RuleViolation(_("Contract number %(number)s is already used.",
                                  number=self.number), "number")
        from ..plugins import check_contract_plugins
        problems = check_contract_plugins(self.plugins)
        if problems:
            raise RuleViolation("; ".join(problems), "plugins")

    #: changes that move what the contract's units derive from it (customer, warranty dates)
    UNIT_DERIVED_FROM = ("customer", "warranty_months", "term_set_version")

    def after_update(self, changes):
        if not any(name in changes for name in self.UNIT_DERIVED_FROM):
            return
        from .products import Unit
        # each unit re-derives in its own save(): audited, and the rule engine decides
        # the warranty dates again (units with dates set by hand keep them)
        for unit in Unit.select().where(Unit.contract == self.get_id()).order_by(Unit.id):
            unit.save()

    def __str__(self):
        return self.number
