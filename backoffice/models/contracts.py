"""Contracts: the source of every customer relationship."""

from __future__ import annotations

import json

from peewee import CharField, DateField, DecimalField, ForeignKeyField, IntegerField, TextField

from ..i18n import _
from ..labels import ContractStatus
from .base import RuleViolation
from .customers import Customer, CustomerPart
from .terms import TermSetVersion


class SettingsError(ValueError):
    """A contract's ``plugins`` value is not a JSON object of objects."""


def parse_plugin_settings(raw: str | dict | None) -> dict:
    """A contract's ``plugins`` JSON as ``{name: settings}``; ValueError names the problem."""
    if raw is None or raw == "":
        return {}
    data = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"Plugins must be a JSON object ({exc.msg} at line {exc.lineno}, "
                                f"column {exc.colno}).") from None
    if not isinstance(data, dict):
        raise SettingsError('Plugins must be a JSON object like {"near_site_4h": {}}.')
    for name, settings in data.items():
        if not isinstance(settings, dict):
            raise SettingsError(f"The settings of plugin {name} must be a JSON object.")
    return data


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

    class Meta:
        # the list newest first, narrowed to one customer (and its file) or one status
        indexes = ((("customer", "signed_on"), False), (("status", "signed_on"), False))

    def enabled_plugins(self) -> dict:
        """The ``plugins`` JSON as a dict (``{}`` when empty or unreadable).

        Parsed once per value: the rule engine asks for it at every decision.
        """
        cached = self.__dict__.get("_enabled")
        if cached is not None and cached[0] == self.plugins:
            return cached[1]
        try:
            enabled = parse_plugin_settings(self.plugins)
        except ValueError:
            enabled = {}
        self.__dict__["_enabled"] = (self.plugins, enabled)
        return enabled

    def validate(self):
        if self.number:
            self.number = self.number.strip().upper()
        if not self.number:
            raise RuleViolation(_("A contract needs a number."), "number")
        if self.status not in ContractStatus.__members__.values():
            raise RuleViolation(_("Unknown contract status %(status)r.", status=self.status),
                                "status")
        if self.value is not None and self.value < 0:
            raise RuleViolation(_("A contract value cannot be negative."), "value")
        if self.warranty_months is not None and not 0 <= self.warranty_months <= 600:
            raise RuleViolation(_("Warranty months must be between 0 and 600."),
                                "warranty_months")
        if self.taken(Contract.number):
            raise RuleViolation(_("Contract number %(number)s is already used.",
                                  number=self.number), "number", "taken")
        try:
            parse_plugin_settings(self.plugins)
        except SettingsError as exc:
            raise RuleViolation(str(exc), "plugins") from None

    #: changes that move what the contract's units derive from it (customer, warranty dates)
    UNIT_DERIVED_FROM = ("customer", "warranty_months", "term_set_version")

    def __str__(self):
        return self.number
