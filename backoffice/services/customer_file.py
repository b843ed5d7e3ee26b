"""The customer file: everything the back-office holds about one customer, as one user
may see it (its sites, contacts, contracts, units, and the timeline of its changes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..access import scoped, visible
from ..models import AuditEntry, Contact, Contract, Site, Unit

#: a customer file lists at most this many units; the rest is one click away
FILE_UNITS_SHOWN = 200
#: the timeline shows this many latest changes; the rest is in the audit trail
TIMELINE_SHOWN = 20


@dataclass
class CustomerFile:
    customer: object
    sites: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    units: list = field(default_factory=list)
    unit_count: int = 0
    units_shown: int = FILE_UNITS_SHOWN

    def as_template_dict(self) -> dict:
        return {"sites": self.sites, "contacts": self.contacts, "contracts": self.contracts,
                "units": self.units, "unit_count": self.unit_count,
                "units_shown": self.units_shown}


def customer_file(user, customer) -> CustomerFile:
    """The file of ``customer``, each list narrowed to what ``user`` may see."""
    units = scoped(Unit.select().where(Unit.customer == customer.id), Unit, user)
    return CustomerFile(
        customer,
        sites=list(scoped(customer.sites, Site, user).order_by(Site.name)),
        contacts=list(scoped(customer.contacts, Contact, user).order_by(Contact.name)),
        contracts=list(scoped(customer.contracts, Contract, user)
                       .order_by(Contract.signed_on.desc())),
        units=list(units.order_by(Unit.serial).limit(FILE_UNITS_SHOWN)),
        unit_count=units.count(),
    )


def timeline(user, customer, limit: int = TIMELINE_SHOWN) -> list:
    """The latest audit entries of ``customer`` that ``user`` may see, newest first."""
    return list(visible(AuditEntry, user)
                .where(AuditEntry.customer == customer.id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(limit))
