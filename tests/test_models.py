import datetime as dt
import json

import pytest

from backoffice.db import acting_as
from backoffice.models import AuditEntry, ConcurrentEditError, RuleViolation, Unit
from tests.factories import make, save


def test_warranty_follows_acceptance(world):
    unit = Unit.get_by_id(world.harbin_unit.id)
    assert unit.warranty_start == dt.date(2025, 2, 10)
    assert unit.warranty_end == dt.date(2027, 2, 9)  # 24 months, last covered day
    assert unit.customer_id == world.harbin_customer.id


def test_contract_warranty_overrides_product(world):
    unit = make(Unit, serial="SN-HRB-0003", product=world.product,
                       contract=world.guangzhou_contract, accepted_on=dt.date(2025, 2, 10))
    assert unit.warranty_end == dt.date(2027, 2, 9)  # the product's 24 months
    world.guangzhou_contract.warranty_months = 12
    save(world.guangzhou_contract)
    assert Unit.get_by_id(unit.id).warranty_end == dt.date(2026, 2, 9)


def test_warranty_by_hand_is_kept(world):
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.warranty_by_hand = True
    unit.warranty_end = dt.date(2030, 1, 1)
    unit.save()
    assert Unit.get_by_id(unit.id).warranty_end == dt.date(2030, 1, 1)


def test_warranty_end_before_start_is_refused(world):
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.warranty_by_hand = True
    unit.warranty_end = dt.date(2020, 1, 1)
    with pytest.raises(RuleViolation, match="before warranty start"):
        unit.save()
    assert Unit.get_by_id(unit.id).warranty_end == dt.date(2027, 2, 9)


def test_duplicate_serial_is_refused(world):
    with pytest.raises(RuleViolation, match="already registered"):
        make(Unit, serial="sn-hrb-0001", product=world.product, contract=world.harbin_contract)
    assert Unit.select().count() == 2


def test_update_writes_audit_row_with_old_and_new(world):
    customer = world.harbin_customer
    with acting_as("alice"):
        customer.name = "Harbin Grid"
        customer.save()
    entry = (AuditEntry.select().where(AuditEntry.table == "customer",
                                       AuditEntry.row_id == customer.id,
                                       AuditEntry.action == "update").get())
    assert entry.actor == "alice"
    assert json.loads(entry.changes) == {"name": ["Harbin Power Works", "Harbin Grid"]}
    assert entry.customer == customer.id and entry.office == world.harbin.id


def test_delete_is_audited(world):
    contact_id = world.harbin_contact.id
    world.harbin_contact.delete_instance()
    entry = AuditEntry.get((AuditEntry.table == "contact") & (AuditEntry.action == "delete"))
    assert entry.row_id == contact_id and "name" in entry.change_dict


def test_password_is_redacted_in_audit(world):
    entry = AuditEntry.get((AuditEntry.table == "staff") & (AuditEntry.action == "create"))
    assert entry.change_dict["password_hash"] == [None, "***"]


def test_concurrent_edit_is_refused(world):
    first = world.harbin_customer.__class__.get_by_id(world.harbin_customer.id)
    second = world.harbin_customer.__class__.get_by_id(world.harbin_customer.id)
    first.notes = "first"
    first.save()
    second.notes = "second"
    with pytest.raises(ConcurrentEditError):
        second.save()
    assert world.harbin_customer.__class__.get_by_id(first.id).notes == "first"


def test_units_follow_their_contracts_warranty_months(world):
    by_hand = make(Unit, serial="SN-HRB-0002", product=world.product,
                          contract=world.harbin_contract, accepted_on=dt.date(2025, 2, 10),
                          warranty_by_hand=True, warranty_start=dt.date(2025, 2, 10),
                          warranty_end=dt.date(2025, 12, 31))
    world.harbin_contract.warranty_months = 36
    save(world.harbin_contract, by="hq-person")
    assert Unit.get_by_id(world.harbin_unit.id).warranty_end == dt.date(2028, 2, 9)
    assert Unit.get_by_id(by_hand.id).warranty_end == dt.date(2025, 12, 31)
    entry = AuditEntry.get((AuditEntry.table == "unit") & (AuditEntry.action == "update"))
    assert entry.actor == "hq-person" and entry.row_id == world.harbin_unit.id
    assert entry.change_dict["warranty_end"] == ["2027-02-09", "2028-02-09"]
    # the other office's contract and units are untouched
    assert Unit.get_by_id(world.guangzhou_unit.id).warranty_end == dt.date(2027, 2, 9)


def test_coordinates_are_checked_for_offices_and_sites(world):
    from backoffice.models import Office, Site
    with pytest.raises(RuleViolation, match="latitude and longitude"):
        make(Office, code="XXX", name="Nowhere", city="-", province="-", latitude=None,
                      longitude=None)
    world.harbin.latitude = 95
    with pytest.raises(RuleViolation, match="between -90 and 90"):
        world.harbin.save()
    with pytest.raises(RuleViolation, match="both latitude and longitude"):
        make(Site, customer=world.harbin_customer, name="half", latitude=45)
    assert Office.select().count() == 2 and Site.select().count() == 2


def test_industry_is_one_of_the_list(world):
    customer = world.harbin_customer
    customer.industry = "mining"
    with pytest.raises(RuleViolation, match="Unknown industry 'mining'"):
        customer.save()
    customer.industry = "rail"
    customer.save()
    assert customer.__class__.get_by_id(customer.id).industry == "rail"
