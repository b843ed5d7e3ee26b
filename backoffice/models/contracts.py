"""Contracts: the source of every customer relationship."""

from __future__ import annotations

from peewee import CharField, DateField, DecimalField, ForeignKeyField, IntegerField, TextField

from .base import RuleViolation
from .customers import Customer, CustomerPart


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

    def validate(self):
        if self.number:
            self.number = self.number.strip().upper()
        if not self.number:
            raise RuleViolation("A contract needs a number.", "number")
        if self.status not in ContractStatus.ALL:
            raise RuleViolation(f"Unknown contract status {self.status!r}.", "status")
        if self.value is not None and self.value < 0:
            raise RuleViolation("A contract value cannot be negative.", "value")
        if self.warranty_months is not None and not 0 <= self.warranty_months <= 600:
            raise RuleViolation("Warranty months must be between 0 and 600.", "warranty_months")
        clash = Contract.select(Contract.id).where(Contract.number == self.number)
        if self.get_id() is not None:
            clash = clash.where(Contract.id != self.get_id())
        if clash.exists():
            raise RuleViolation(f"Contract number {self.number} is already used.", "number")

    def __str__(self):
        return self.number
