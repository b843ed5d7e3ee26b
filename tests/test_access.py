"""The access module's matrix, rule by rule, against literal expectations (not the code's
own constant), and the checks around a write: visibility before, scope after."""

from __future__ import annotations

import pytest

from backoffice.access import OPERATOR, AccessDenied, Action, may, may_change, require
from backoffice.models import (
    Contract,
    Customer,
    Office,
    Product,
    RuleViolation,
    Staff,
    TermSet,
    Unit,
)
from backoffice.services import records
from tests.factories import save

ALL = {"admin", "hq", "harbin_manager", "harbin_engineer", "viewer"}
EDITORS = {"admin", "hq", "harbin_manager", "guangzhou_manager"}

# model, action -> the world's users who may (written out, so a changed matrix fails here)
EXPECTED = [
    (Office, Action.CREATE, {"admin"}), (Office, Action.UPDATE, {"admin"}),
    (Office, Action.DELETE, {"admin"}),
    (Staff, Action.CREATE, {"admin"}), (Staff, Action.UPDATE, {"admin"}),
    (Staff, Action.DELETE, {"admin"}),
    (Customer, Action.CREATE, EDITORS), (Customer, Action.UPDATE, EDITORS),
    (Customer, Action.DELETE, EDITORS),
    (Contract, Action.UPDATE, EDITORS), (Contract, Action.SET_RULES, {"admin", "hq"}),
    (Unit, Action.CREATE, EDITORS), (Unit, Action.DELETE, EDITORS),
    (Product, Action.CREATE, {"admin", "hq"}), (Product, Action.UPDATE, {"admin", "hq"}),
    (TermSet, Action.MANAGE_TERMS, {"admin", "hq"}),
]


@pytest.mark.parametrize("model, action, allowed", EXPECTED,
                         ids=[f"{m.__name__}-{a}" for m, a, _ in EXPECTED])
def test_the_role_matrix(world, model, action, allowed):
    got = {name for name, user in world.users.items() if may(user, action, model)}
    assert got == allowed & set(world.users)


def test_nobody_changes_the_audit_trail(world):
    from backoffice.models import AuditEntry
    for user in world.users.values():
        for action in (Action.CREATE, Action.UPDATE, Action.DELETE):
            assert not may(user, action, AuditEntry)


def test_a_deactivated_user_may_nothing(world):
    admin = world.users["admin"]
    admin.active = False
    assert not may(admin, Action.UPDATE, Customer)


def test_may_change_needs_the_record_to_be_visible(world):
    manager = world.users["harbin_manager"]
    assert may_change(manager, world.harbin_customer, Action.UPDATE)
    assert not may_change(manager, world.guangzhou_customer, Action.UPDATE)
    with pytest.raises(AccessDenied) as info:
        require(manager, Action.UPDATE, world.guangzhou_customer)
    assert info.value.code == "forbidden"


def test_the_operator_may_everything(world):
    assert may_change(OPERATOR, world.guangzhou_customer, Action.DELETE)


def test_a_read_only_role_is_refused_by_the_records_service(world):
    customer = Customer.get_by_id(world.harbin_customer.id)
    customer.name = "renamed"
    with pytest.raises(AccessDenied):
        records.save(world.users["viewer"], customer)
    assert Customer.get_by_id(customer.id).name != "renamed"


def test_the_post_save_scope_check_rolls_the_change_back(world):
    """An office manager may edit their customer, but not move it to another office."""
    customer = Customer.get_by_id(world.harbin_customer.id)
    customer.office = world.guangzhou.id
    with pytest.raises(AccessDenied) as info:
        records.save(world.users["harbin_manager"], customer)
    assert info.value.code == "out_of_scope"
    assert Customer.get_by_id(customer.id).office_id == world.harbin.id


def test_another_offices_record_is_refused_before_anything_is_written(world):
    contract = Contract.get_by_id(world.guangzhou_contract.id)
    contract.notes = "from Harbin"
    with pytest.raises(AccessDenied):
        records.save(world.users["harbin_manager"], contract)
    assert Contract.get_by_id(contract.id).notes == ""


def test_an_assignment_widens_what_an_engineer_sees(world, monkeypatch):
    """Visibility can follow an assignment as well as an office (tickets come next)."""
    from backoffice.access import visible
    engineer = world.users["harbin_engineer"]
    assert not visible(Customer, engineer).where(Customer.id == world.guangzhou_customer.id
                                                 ).exists()
    monkeypatch.setattr(Customer, "assigned_filter",
                        classmethod(lambda cls, staff_id: cls.code == "C-CAN-1"))
    assert visible(Customer, engineer).where(Customer.id == world.guangzhou_customer.id).exists()
    assert visible(Customer, engineer).where(Customer.id == world.harbin_customer.id).exists()


def test_the_last_administrator_stays(world):
    admin = Staff.get_by_id(world.users["admin"].id)
    admin.role = "hq"
    with pytest.raises(RuleViolation) as info:
        save(admin)
    assert info.value.code == "last_admin"
    with pytest.raises(RuleViolation) as info:
        records.delete(OPERATOR, Staff.get_by_id(admin.id))
    assert info.value.code == "last_admin"
    assert Staff.get_by_id(admin.id).role == "admin"


def test_user_names_are_unique_whatever_their_case(world):
    from backoffice.services import users
    with pytest.raises(RuleViolation) as info:
        users.create(OPERATOR, "ADMIN", role="admin", password="long-enough-1")
    assert info.value.code == "taken"
