"""Write services: one transaction with its audit rows, batched derivations, typed refusals."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from backoffice.models import AuditEntry, Contract, RuleViolation, Unit
from backoffice.services import records, units
from tests.factories import TESTS, make, save


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        self.count += 1


@pytest.fixture
def queries():
    logger = logging.getLogger("peewee")
    counter, level = QueryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(level)


def test_a_contracts_units_follow_it_in_a_few_queries(world, queries):
    for i in range(60):
        make(Unit, serial=f"SN-BULK-{i:03d}", product=world.product,
             contract=world.harbin_contract, accepted_on=dt.date(2025, 3, 1) + dt.timedelta(i))
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.warranty_months = 36
    queries.count = 0
    save(contract)
    assert queries.count < 20, "a save per unit would be hundreds of queries"
    ends = [u.warranty_end for u in Unit.select().where(Unit.contract == contract.id)]
    assert len(ends) == 61 and all(end.year >= 2028 for end in ends)
    audited = AuditEntry.select().where((AuditEntry.table == "unit")
                                        & (AuditEntry.action == "update")).count()
    assert audited == 61


def test_units_follow_a_contract_to_another_customer(world):
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.site = None
    save(unit)
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.customer = world.guangzhou_customer.id
    save(contract)
    assert Unit.get_by_id(unit.id).customer_id == world.guangzhou_customer.id


def test_a_contract_cannot_leave_its_units_at_the_old_customers_sites(world):
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.customer = world.guangzhou_customer.id
    with pytest.raises(RuleViolation) as info:
        save(contract)
    assert info.value.code == "site_of_other_customer"
    assert Contract.get_by_id(contract.id).customer_id == world.harbin_customer.id


def test_a_unit_moved_to_another_customers_contract_takes_that_customer(world):
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.contract, unit.site = world.guangzhou_contract.id, world.guangzhou_site.id
    save(unit)
    assert Unit.get_by_id(unit.id).customer_id == world.guangzhou_customer.id


def test_a_write_that_fails_halfway_leaves_neither_change_nor_audit(world, monkeypatch):
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.warranty_months = 48
    before = AuditEntry.select().count()

    def broken(*args):
        raise RuntimeError("disk full")
    monkeypatch.setattr(units, "_write", broken)
    with pytest.raises(RuntimeError):
        records.save(TESTS, contract)
    assert Contract.get_by_id(contract.id).warranty_months is None
    assert AuditEntry.select().count() == before


def test_a_stale_version_is_refused_with_its_code(world):
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.notes = "mine"
    with pytest.raises(RuleViolation) as info:
        records.save(TESTS, contract, seen_version=contract.version - 1)
    assert info.value.code == "stale"


def test_a_term_sets_own_warranty_months_and_a_zero_month_contract(world):
    from backoffice.terms import parse_sheet
    from tests.factories import publish
    sheet = (Path("rules/premium.toml").read_text(encoding="utf-8")
             .replace("[visits]", "[warranty]\nmonths = 60\n\n[visits]"))
    version = publish(parse_sheet(sheet))
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.term_set_version = version.id
    save(contract)
    assert Unit.get_by_id(world.harbin_unit.id).warranty_end == dt.date(2030, 2, 9)
    contract.warranty_months = 0
    save(contract)
    unit = Unit.get_by_id(world.harbin_unit.id)
    assert unit.warranty_end == dt.date(2025, 2, 9)  # ends the day before it starts


def test_the_last_day_of_warranty_is_in_warranty(world):
    from backoffice.services.warranty import warranty_status
    unit = Unit.get_by_id(world.harbin_unit.id)
    assert warranty_status(unit, unit.warranty_end).covered
    assert not warranty_status(unit, unit.warranty_end + dt.timedelta(days=1)).covered
