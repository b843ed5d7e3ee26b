"""Units follow their contract: customer and warranty dates are derived, never typed twice.

A unit's customer is its contract's; its site must be one of that customer's;
its warranty dates come from the rule engine (``warranty_period``) unless set
by hand. :func:`derive` does it for one unit before it is saved;
:func:`follow_contract` does it for every unit of a contract that moved, in a
few batched statements with their audit rows (a contract with 2,000 units is a
handful of queries, not a save per unit).
"""

from __future__ import annotations

from peewee import Case, Value

from ..clock import utcnow
from ..db import database
from ..i18n import _
from ..models import AuditEntry, Contract, Customer, Product, RuleViolation, Site, Unit
from ..plugins import current_engine

#: rows per batched UPDATE / audit INSERT (well under SQLite's parameter limit)
CHUNK = 300


def derive(unit) -> None:
    """Fill the unit's customer and warranty dates from its contract; check its site."""
    if unit.contract_id is None:
        raise RuleViolation(_("A unit belongs to a contract."), "contract")
    contract = Contract.get_or_none(Contract.id == unit.contract_id)
    if contract is None:
        raise RuleViolation(_("A unit belongs to a contract."), "contract")
    unit.customer = contract.customer_id
    if unit.site_id is not None:
        site = Site.get_or_none(Site.id == unit.site_id)
        if site is None or site.customer_id != contract.customer_id:
            raise RuleViolation(_("The site must belong to the contract's customer."), "site",
                                "site_of_other_customer")
    if not unit.warranty_by_hand:
        product = Product.get_or_none(Product.id == unit.product_id) if unit.product_id else None
        unit.warranty_start, unit.warranty_end = warranty_dates(contract, unit, product)


def warranty_dates(contract, unit, product) -> tuple:
    """``(start, end)`` of ``unit``'s warranty as the rule engine decides it (bulk writers
    such as the demo ask here, so their units carry the same dates a save would give)."""
    period = current_engine().warranty_period(contract, unit, product)
    return period.start, period.end


def follow_contract(contract, changes: dict) -> int:
    """After ``contract`` changed (``changes``: ``{field: [old, new]}``), bring its units
    along: customer and warranty dates, audited, in the caller's transaction.

    Returns how many units changed. Refused when the contract moves to another
    customer while some of its units stand at the old customer's sites.
    """
    if not any(name in changes for name in Contract.UNIT_DERIVED_FROM):
        return 0
    units = list(Unit.select().where(Unit.contract == contract.id).order_by(Unit.id))
    if not units:
        return 0
    if "customer" in changes and any(u.site_id is not None for u in units):
        at_sites = sum(1 for u in units if u.site_id is not None)
        raise RuleViolation(_("%(n)d unit(s) of this contract stand at the old customer's "
                              "sites; move them to another contract first.", n=at_sites),
                            "customer", "site_of_other_customer")
    engine = current_engine()
    terms = engine.terms_for(contract)
    product_ids = sorted({u.product_id for u in units})
    products = {p.id: p for p in Product.select().where(Product.id.in_(product_ids))}
    moved = []
    for unit in units:
        new = {}
        if unit.customer_id != contract.customer_id:
            new["customer"] = contract.customer_id
        if not unit.warranty_by_hand:
            period = engine.warranty_period(contract, unit, products.get(unit.product_id),
                                            terms=terms)
            if period.start != unit.warranty_start:
                new["warranty_start"] = period.start
            if period.end != unit.warranty_end:
                new["warranty_end"] = period.end
        if new:
            moved.append((unit, new))
    if not moved:
        return 0
    office_id = Customer.get_by_id(contract.customer_id).office_id
    now = utcnow()
    with database.atomic():
        for start in range(0, len(moved), CHUNK):
            _write(moved[start:start + CHUNK], office_id, contract.customer_id, now)
    return len(moved)


def _write(batch, office_id, customer_id, now) -> None:
    """One UPDATE (a CASE per derived field) and one audit INSERT for ``batch``."""
    ids = [unit.id for unit, _new in batch]
    values = {Unit.version: Unit.version + 1, Unit.updated_at: now}
    for name in ("customer", "warranty_start", "warranty_end"):
        field = Unit._meta.fields[name]
        whens = [(unit.id, Value(new[name], converter=field.db_value))
                 for unit, new in batch if name in new]
        if whens:
            values[field] = Case(Unit.id, whens, field)
    Unit.update(values).where(Unit.id.in_(ids)).execute()
    rows = []
    for unit, new in batch:
        changes = {name: [_plain(unit.__data__.get(name)), _plain(value)]
                   for name, value in new.items()}
        rows.append(unit.audit_row("update", changes, office=office_id, customer=customer_id))
        rows[-1]["at"] = now
    AuditEntry.insert_many(rows).execute()


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
