"""Replacements: the window from the rule engine, the same grade or refused, from stock or
the factory, and on delivery the new unit in the faulty one's place, both linked."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice.access import AccessDenied
from backoffice.clock import today
from backoffice.labels import Milestone, ReplacementSource, UnitStatus
from backoffice.models import AuditEntry, Product, Replacement, RuleViolation, Unit
from backoffice.plugins import current_engine
from backoffice.services import replacements, stock, tickets
from backoffice.services.tickets import Report
from tests.factories import TESTS, make
from tests.test_admin_helpers import submit


@pytest.fixture
def ticket(world):
    return tickets.open_ticket(TESTS, Report(summary="UPS burnt", serial="SN-HRB-0001"))


@pytest.fixture
def same_grade(world):
    return make(Product, model="UPS-120", name="UPS 120 kVA", grade="A", warranty_months=36)


@pytest.fixture
def other_grade(world):
    return make(Product, model="UPS-80B", name="UPS 80 kVA", grade="B")


def test_confirmation_takes_its_window_from_the_rule_engine(world, ticket):
    day = today() - dt.timedelta(days=2)
    replacement = replacements.confirm(TESTS, ticket, confirmed_on=day)
    assert (replacement.earliest, replacement.latest) == (day + dt.timedelta(days=5),
                                                          day + dt.timedelta(days=10))
    assert replacement.window_by == "charter v1: replacement 5-10 days after confirmation"
    assert replacement.faulty_unit_id == world.harbin_unit.id
    assert (replacement.office_id, replacement.customer_id) == (world.harbin.id,
                                                                world.harbin_customer.id)
    assert replacement.source == ReplacementSource.FACTORY and replacement.state == "confirmed"
    with pytest.raises(RuleViolation) as info:  # one replacement under way at a time
        replacements.confirm(TESTS, ticket)
    assert info.value.code == "taken"


def test_a_replacement_of_another_grade_is_refused(world, ticket, other_grade):
    replacement = replacements.confirm(TESTS, ticket)
    with pytest.raises(RuleViolation) as info:
        replacements.ship(TESTS, replacement, serial="SN-NEW-1", product=other_grade)
    assert info.value.code == "other_grade"
    assert Unit.get_or_none(Unit.serial == "SN-NEW-1") is None
    assert Replacement.get_by_id(replacement.id).shipped_on is None


def test_a_delivered_replacement_takes_over_the_site(world, ticket, same_grade):
    replacement = replacements.confirm(TESTS, ticket)
    replacements.ship(TESTS, replacement, serial="sn-new-1", product=same_grade)
    new_unit = Unit.get(Unit.serial == "SN-NEW-1")
    assert (new_unit.status, new_unit.site_id, new_unit.contract_id) == (
        UnitStatus.ORDERED, None, world.harbin_contract.id)
    replacements.deliver(world.users["harbin_manager"], replacement)

    new_unit, faulty = Unit.get_by_id(new_unit.id), Unit.get_by_id(world.harbin_unit.id)
    assert new_unit.site_id == faulty.site_id == world.harbin_site.id
    assert (new_unit.contract_id, new_unit.customer_id) == (faulty.contract_id,
                                                            faulty.customer_id)
    assert new_unit.status == UnitStatus.IN_SERVICE and faulty.status == UnitStatus.REPLACED
    assert new_unit.accepted_on == replacement.delivered_on == today()
    # the warranty is what the rules say for the new unit (here: 36 months from delivery)
    period = current_engine().warranty_period(world.harbin_contract, new_unit, same_grade)
    assert (new_unit.warranty_start, new_unit.warranty_end) == (period.start, period.end)
    assert new_unit.warranty_start == today()
    # both keep the link, and the steps are in the customer file's timeline
    assert replacements.links(new_unit) == (replacement, [])
    assert replacements.links(faulty)[1] == [replacement]
    assert [r.id for r in faulty.replaced_by] == [replacement.id]
    assert [r.id for r in new_unit.replaces] == [replacement.id]
    trail = AuditEntry.select().where((AuditEntry.customer == world.harbin_customer.id)
                                      & (AuditEntry.table == "replacement"))
    assert [e.action for e in trail.order_by(AuditEntry.id)] == ["create", "update", "update"]
    assert not replacement.late and replacements.milestone(replacement).met


def test_from_office_stock_the_product_is_issued_to_the_ticket(world, ticket):
    replacement = replacements.confirm(TESTS, ticket, source=ReplacementSource.STOCK)
    assert replacement.stock_office_id == world.harbin.id
    with pytest.raises(RuleViolation) as info:  # the office holds none: nothing is written
        replacements.ship(TESTS, replacement, serial="SN-NEW-2")
    assert info.value.code == "out_of_stock"
    assert Unit.get_or_none(Unit.serial == "SN-NEW-2") is None
    stock.receive(TESTS, world.harbin, world.product, 2)
    replacements.ship(TESTS, replacement, serial="SN-NEW-2")
    item = stock.product_item(world.product)
    assert stock.quantity(world.harbin, item) == 1
    assert [m.ticket_id for m in item.movements if m.movement == "issued"] == [ticket.id]


def test_a_late_replacement_is_a_missed_milestone(world, ticket):
    confirmed = today() - dt.timedelta(days=20)
    replacement = replacements.confirm(TESTS, ticket, confirmed_on=confirmed)
    assert replacement.days_late(today()) == 10 and not replacement.late  # not delivered yet
    replacements.ship(TESTS, replacement, serial="SN-NEW-3",
                      shipped_on=confirmed + dt.timedelta(days=8))
    replacements.deliver(TESTS, replacement, delivered_on=confirmed + dt.timedelta(days=13))
    assert replacement.late and replacement.days_late() == 3
    status = replacements.milestone(replacement)
    assert status.milestone == Milestone.REPLACEMENT and status.met is False
    assert status.margin == -dt.timedelta(days=3)
    assert status.decided_by.startswith("charter v1")


def test_the_tickets_milestones_include_its_replacements(world, ticket):
    """The reply and the arrival, then each replacement in the order confirmed; for a page
    of tickets, their replacements in one query."""
    import logging
    first_day = today() - dt.timedelta(days=30)
    first = replacements.confirm(TESTS, ticket, confirmed_on=first_day)
    replacements.ship(TESTS, first, serial="SN-NEW-4", shipped_on=first_day)
    replacements.deliver(TESTS, first, delivered_on=first_day + dt.timedelta(days=6))
    second_day = today() - dt.timedelta(days=12)  # the new unit replaced in its turn, late
    second = replacements.confirm(TESTS, ticket, confirmed_on=second_day,
                                  faulty_unit=Unit.get(Unit.serial == "SN-NEW-4"))
    found = replacements.milestones_with_replacement(ticket)
    assert [m.milestone for m in found] == [Milestone.REPLY, Milestone.ARRIVAL,
                                            Milestone.REPLACEMENT, Milestone.REPLACEMENT]
    assert found[:2] == tickets.milestones(ticket)
    assert [m.replacement_id for m in found[2:]] == [first.id, second.id]
    assert (found[2].met, found[2].margin) == (True, dt.timedelta(days=4))
    assert (found[3].met, found[3].days_late(today())) == (None, 2)
    assert (found[3].earliest, found[3].latest) == (second.earliest, second.latest)
    # a page of tickets: the same, one query for all their replacements
    other = tickets.open_ticket(TESTS, Report(summary="UPS fan", serial="SN-NEW-4"))
    queries = []

    class Count(logging.Handler):
        def emit(self, record):
            queries.append(record)
    handler, log = Count(), logging.getLogger("peewee")
    level = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        page = replacements.milestones_of([ticket, other])
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    assert len(queries) == 1
    assert page == {ticket.id: found, other.id: tickets.milestones(other)}
    assert replacements.milestones_of([]) == {}


def test_steps_in_order_and_never_in_the_future(world, ticket):
    replacement = replacements.confirm(TESTS, ticket)
    with pytest.raises(RuleViolation) as info:
        replacements.deliver(TESTS, replacement)
    assert info.value.code == "illegal_transition"
    with pytest.raises(RuleViolation) as info:
        replacements.ship(TESTS, replacement, serial="SN-X",
                          shipped_on=today() + dt.timedelta(days=1))
    assert info.value.code == "in_future"
    replacements.ship(TESTS, replacement, serial="SN-X")
    with pytest.raises(RuleViolation) as info:
        replacements.ship(TESTS, replacement, serial="SN-Y")
    assert info.value.code == "illegal_transition"


def test_who_confirms_and_who_ships(world, ticket):
    engineer = world.users["harbin_engineer"]
    with pytest.raises(AccessDenied):  # not their ticket yet
        replacements.confirm(engineer, ticket)
    tickets.reply(TESTS, ticket, "coming")
    tickets.dispatch(TESTS, ticket, engineer)
    replacement = replacements.confirm(engineer, ticket)
    with pytest.raises(AccessDenied):  # shipping is the office's
        replacements.ship(engineer, replacement, serial="SN-E")
    with pytest.raises(AccessDenied):  # another office's
        replacements.ship(world.users["guangzhou_manager"], replacement, serial="SN-E")
    replacements.ship(world.users["harbin_manager"], replacement, serial="SN-E")


# -- the admin --------------------------------------------------------------------------------

def test_the_admin_steps_and_office_scoping(client, auth, world, ticket, other_grade):
    auth.login("harbin_manager")
    submit(client, "/admin/replacement/confirm/", {"ticket": ticket.number.lower()})
    replacement = Replacement.get()
    refused = submit(client, f"/admin/replacement/ship/?id={replacement.id}",
                     {"serial": "SN-ADMIN-1", "product": str(other_grade.id)})
    assert "same grade" in refused.get_data(as_text=True)
    submit(client, f"/admin/replacement/ship/?id={replacement.id}", {"serial": "SN-ADMIN-1"})
    submit(client, f"/admin/replacement/deliver/?id={replacement.id}")
    replacement = Replacement.get_by_id(replacement.id)
    assert replacement.delivered_on == today()
    assert Unit.get(Unit.serial == "SN-ADMIN-1").site_id == world.harbin_site.id
    listing = client.get("/admin/replacement/").get_data(as_text=True)
    assert "SN-ADMIN-1" in listing and "Delivered" in listing
    # the customer file shows both units and, in its timeline, the link between them
    file = client.get(f"/admin/customer/details/?id={world.harbin_customer.id}")
    assert "SN-HRB-0001 → SN-ADMIN-1" in file.get_data(as_text=True)
    # another office's manager: the same ids are a 404 on every page
    auth.logout()
    auth.login("guangzhou_manager")
    for url in (f"/admin/replacement/details/?id={replacement.id}",
                f"/admin/replacement/ship/?id={replacement.id}",
                f"/admin/replacement/deliver/?id={replacement.id}"):
        assert client.get(url).status_code == 404, url
    assert "SN-ADMIN-1" not in client.get("/admin/replacement/").get_data(as_text=True)
    page = submit(client, "/admin/replacement/confirm/", {"ticket": ticket.number})
    assert "No ticket numbered" in page.get_data(as_text=True)
