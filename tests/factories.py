"""A small, fixed world for tests: Harbin and Guangzhou, a customer file each, one user per role.

Every account's password is ``PASSWORD``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from backoffice.access import Operator
from backoffice.models import Contact, Contract, Customer, Office, Product, Role, Site, Staff, Unit
from backoffice.services import records

PASSWORD = "correct-horse-1"
#: who the fixed world is written by (through the services, as every door writes)
TESTS = Operator("tests")


def make(model_class, /, **fields):
    """A new record of ``model``, saved through the records service (derivations and all)."""
    return records.save(TESTS, model_class(**fields))


@dataclass
class World:
    harbin: Office
    guangzhou: Office
    product: Product
    harbin_customer: Customer
    guangzhou_customer: Customer
    harbin_site: Site
    guangzhou_site: Site
    harbin_contact: Contact
    guangzhou_contact: Contact
    harbin_contract: Contract
    guangzhou_contract: Contract
    harbin_unit: Unit
    guangzhou_unit: Unit
    users: dict


def make_staff(username, role, office=None, name=None):
    staff = Staff(name=name or username, username=username, role=role, office=office)
    staff.set_password(PASSWORD)
    return records.save(TESTS, staff)


def make_world() -> World:
    if True:  # every write below goes through the services, as every door writes
        harbin = make(Office, code="HRB", name="Harbin office", city="Harbin",
                               province="Heilongjiang", latitude=Decimal("45.803775"),
                               longitude=Decimal("126.534967"))
        guangzhou = make(Office, code="CAN", name="Guangzhou office", city="Guangzhou",
                                  province="Guangdong", latitude=Decimal("23.129110"),
                                  longitude=Decimal("113.264385"))
        product = make(Product, model="UPS-100", name="UPS 100 kVA", grade="A",
                                 design_life_years=15, warranty_months=24)
        parts = {}
        for key, office, code in (("harbin", harbin, "C-HRB-1"), ("guangzhou", guangzhou,
                                                                    "C-CAN-1")):
            customer = make(Customer, code=code, name=f"{office.city} Power Works",
                                       industry="power", office=office)
            site = make(Site, customer=customer, name=f"{office.city} plant",
                               city=office.city, latitude=office.latitude,
                               longitude=office.longitude)
            contact = make(Contact, customer=customer, name=f"Contact {office.city}",
                                     phone="13800000000")
            contract = make(Contract, number=f"K-{office.code}-1", customer=customer,
                                       signed_on=dt.date(2025, 1, 10), value=Decimal(100000))
            unit = make(Unit, serial=f"SN-{office.code}-0001", product=product,
                               contract=contract, site=site, installed_on=dt.date(2025, 2, 1),
                               accepted_on=dt.date(2025, 2, 10))
            parts[key] = (customer, site, contact, contract, unit)
        users = {
            "admin": make_staff("admin", Role.ADMIN),
            "hq": make_staff("hq", Role.HQ),
            "harbin_manager": make_staff("harbin_manager", Role.OFFICE_MANAGER, harbin),
            "guangzhou_manager": make_staff("guangzhou_manager", Role.OFFICE_MANAGER, guangzhou),
            "harbin_engineer": make_staff("harbin_engineer", Role.ENGINEER, harbin),
            "viewer": make_staff("viewer", Role.VIEWER, harbin),
        }
    h, g = parts["harbin"], parts["guangzhou"]
    return World(harbin, guangzhou, product, h[0], g[0], h[1], g[1], h[2], g[2], h[3], g[3],
                 h[4], g[4], users)


def publish(terms, note: str = "", by: str = "tests"):
    """Publish ``terms`` as headquarters' next version (through the terms service)."""
    from backoffice.services.terms import publish as publish_terms
    return publish_terms(Operator(by), terms, note)


def save(record, by: str = "tests", **kwargs):
    """Save ``record`` through the records service, recorded against ``by``."""
    return records.save(Operator(by), record, **kwargs)


def terms_for(contract):
    """The terms in force for ``contract``, as the rule engine reads them."""
    from backoffice.plugins import current_engine
    return current_engine().terms_for(contract)
