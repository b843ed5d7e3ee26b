"""The customer file: customers, their sites and their contacts."""

from __future__ import annotations

from typing import ClassVar

from peewee import CharField, DecimalField, ForeignKeyField, TextField

from ..geo import MAX_DISTANCE_KM
from ..i18n import _
from ..labels import Industry
from .base import AuditedModel, RuleViolation
from .org import Office


class Customer(AuditedModel):
    """A customer; the serving office owns its file."""

    code = CharField(max_length=20, unique=True)
    name = CharField(max_length=120, index=True)
    industry = CharField(max_length=60, default="", index=True)
    office = ForeignKeyField(Office, backref="customers", index=True, on_delete="RESTRICT")
    notes = TextField(default="")

    class Meta:
        # the list in code order, narrowed to one office (scoping) or one industry
        indexes = ((("office", "code"), False), (("industry", "code"), False))

    def validate(self):
        if self.code:
            self.code = self.code.strip().upper()
        if not self.code:
            raise RuleViolation(_("A customer needs a code."), "code")
        if self.industry and self.industry not in Industry.__members__.values():
            raise RuleViolation(_("Unknown industry %(industry)r.", industry=self.industry),
                                "industry")
        if self.taken(Customer.code):
            raise RuleViolation(_("Customer code %(code)s is already used.", code=self.code),
                                "code", "taken")

    @classmethod
    def office_filter(cls, office_id):
        return cls.office == office_id

    def office_id_for_audit(self):
        return self.office_id

    def customer_id_for_audit(self):
        return self.get_id()

    def __str__(self):
        return f"{self.name} ({self.code})"


class CustomerPart(AuditedModel):
    """Rows that belong to one customer file (sites, contacts, contracts, units)."""

    @classmethod
    def office_filter(cls, office_id):
        # a sub-select, not a join: it composes with any join a list view adds
        return cls.customer.in_(Customer.select(Customer.id).where(Customer.office == office_id))

    def office_id_for_audit(self):
        customer = Customer.get_or_none(Customer.id == self.customer_id)
        return customer.office_id if customer else None

    def customer_id_for_audit(self):
        return self.customer_id


class Site(CustomerPart):
    """A place where a customer runs our products."""

    customer = ForeignKeyField(Customer, backref="sites", index=True, on_delete="CASCADE")
    name = CharField(max_length=120, index=True)
    address = CharField(max_length=200, default="")
    city = CharField(max_length=50, default="", index=True)
    province = CharField(max_length=50, default="")
    latitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    #: road distance to the serving office when known; else great-circle x road factor
    road_distance_km = DecimalField(max_digits=8, decimal_places=1, null=True)

    #: no road on Earth is longer than the rule engine's distance bound
    field_bounds: ClassVar[dict[str, tuple]] = {"road_distance_km": (0, int(MAX_DISTANCE_KM))}

    class Meta:
        # the list in name order, narrowed to one customer (and its file), city or province
        indexes = ((("customer", "name"), False), (("city", "name"), False),
                   (("province", "name"), False))

    def validate(self):
        self.check_coordinates()  # the distance's bounds: field_bounds

    def __str__(self):
        return self.name


class Contact(CustomerPart):
    """A person at the customer."""

    customer = ForeignKeyField(Customer, backref="contacts", index=True, on_delete="CASCADE")
    name = CharField(max_length=60, index=True)
    title = CharField(max_length=60, default="")
    phone = CharField(max_length=40, default="")
    email = CharField(max_length=120, default="")
    notes = TextField(default="")

    class Meta:
        # the list (and the customer file) in name order, narrowed to one customer
        indexes = ((("customer", "name"), False),)

    def __str__(self):
        return self.name
