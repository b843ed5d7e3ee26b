"""Spare stock: every movement recorded and audited, never below zero (also under two
concurrent issues of the last item), office scoping in the service and the admin."""

from __future__ import annotations

import threading
import time

import pytest
from peewee import IntegrityError

from backoffice.access import AccessDenied
from backoffice.db import database
from backoffice.labels import StockItemKind, StockMovementKind
from backoffice.models import AuditEntry, RuleViolation, StockItem, StockLevel, StockMovement
from backoffice.services import stock, tickets
from backoffice.services.tickets import Report
from tests.factories import TESTS, make
from tests.test_admin_helpers import submit


@pytest.fixture
def connector(world):
    return make(StockItem, category=StockItemKind.CONNECTOR, name="SC-12 connector")


@pytest.fixture
def ticket(world):
    return tickets.open_ticket(TESTS, Report(summary="UPS alarm", serial="SN-HRB-0001"))


def test_receive_issue_transfer_and_return_are_movements_with_the_balance(world, connector,
                                                                           ticket):
    manager = world.users["harbin_manager"]
    stock.receive(manager, world.harbin, connector, 5, "from the factory")
    stock.issue(manager, world.harbin, connector, ticket, 2)
    stock.transfer(manager, world.harbin, world.guangzhou, connector, 1)
    stock.return_to_stock(manager, world.harbin, connector, ticket, 1, "not used")
    assert stock.quantity(world.harbin, connector) == 3
    assert stock.quantity(world.guangzhou, connector) == 1
    rows = [(m.office_id, m.movement, m.quantity, m.balance, m.other_office_id, m.ticket_id)
            for m in StockMovement.select().order_by(StockMovement.id)]
    h, g = world.harbin.id, world.guangzhou.id
    assert rows == [(h, StockMovementKind.RECEIVED, 5, 5, None, None),
                    (h, StockMovementKind.ISSUED, -2, 3, None, ticket.id),
                    (h, StockMovementKind.TRANSFER_OUT, -1, 2, g, None),
                    (g, StockMovementKind.TRANSFER_IN, 1, 1, h, None),
                    (h, StockMovementKind.RETURNED, 1, 3, None, ticket.id)]
    assert {m.actor for m in StockMovement.select()} == {"harbin_manager"}
    # audited: every movement, and each quantity's creation and changes
    audited = AuditEntry.select().where(AuditEntry.table.in_(["stock_movement",
                                                              "stock_level"]))
    assert audited.where(AuditEntry.table == "stock_movement").count() == 5
    assert audited.where((AuditEntry.table == "stock_level")
                         & (AuditEntry.action == "update")).count() == 5
    # an issue to a ticket is in that customer's file
    issued = AuditEntry.get((AuditEntry.table == "stock_movement")
                            & (AuditEntry.row_id == StockMovement.get(
                                StockMovement.movement == "issued").id))
    assert issued.customer == world.harbin_customer.id


def test_more_than_held_is_refused_and_nothing_is_written(world, connector, ticket):
    stock.receive(TESTS, world.harbin, connector, 1)
    before = AuditEntry.select().count()
    with pytest.raises(RuleViolation) as info:
        stock.issue(TESTS, world.harbin, connector, ticket, 2)
    assert info.value.code == "out_of_stock"
    with pytest.raises(RuleViolation) as info:  # an office that never held any
        stock.transfer(TESTS, world.guangzhou, world.harbin, connector, 1)
    assert info.value.code == "out_of_stock"
    assert stock.quantity(world.harbin, connector) == 1
    assert StockMovement.select().count() == 1 and AuditEntry.select().count() == before


def test_the_schema_refuses_a_negative_quantity(world, connector):
    stock.receive(TESTS, world.harbin, connector, 1)
    with pytest.raises(IntegrityError), database.atomic():
        StockLevel.update(quantity=-1).execute()  # around the service: the CHECK stops it
    assert stock.quantity(world.harbin, connector) == 1


@pytest.mark.parametrize("quantity", [0, -1, 10000, 1.5, True])
def test_a_quantity_is_a_whole_number_from_1(world, connector, quantity):
    with pytest.raises(RuleViolation) as info:
        stock.receive(TESTS, world.harbin, connector, quantity)
    assert info.value.code == "invalid"


def test_receiving_a_product_makes_its_stock_item(world):
    stock.receive(TESTS, world.harbin, world.product, 2)
    item = stock.product_item(world.product)
    assert (item.category, item.name) == (StockItemKind.PRODUCT, "UPS-100")
    assert stock.offices_holding(world.product) == {world.harbin.id}


def test_two_concurrent_issues_of_the_last_item_leave_zero_and_refuse_one(
        app, world, connector, ticket, monkeypatch):
    stock.receive(TESTS, world.harbin, connector, 1)
    database.close()  # each thread has its own connection
    read = stock._locked_level

    def slow_read(*args, **kwargs):  # widen the window between reading and writing
        level = read(*args, **kwargs)
        time.sleep(0.3)
        return level
    monkeypatch.setattr(stock, "_locked_level", slow_read)
    start = threading.Barrier(2)
    issued, refused, errors = [], [], []

    def take_the_last():
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                start.wait()
                stock.issue(TESTS, world.harbin, connector, ticket, 1)
                issued.append(1)
            except RuleViolation as exc:
                refused.append(exc.code)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                database.close()
    threads = [threading.Thread(target=take_the_last) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    database.connect(reuse_if_open=True)
    assert errors == []
    assert (issued, refused) == ([1], ["out_of_stock"])
    assert stock.quantity(world.harbin, connector) == 0
    assert StockMovement.select().where(StockMovement.movement == "issued").count() == 1


# -- who may ------------------------------------------------------------------------------

def test_an_office_manager_moves_only_their_offices_stock(world, connector):
    manager = world.users["harbin_manager"]
    with pytest.raises(AccessDenied) as info:
        stock.receive(manager, world.guangzhou, connector, 1)
    assert info.value.code == "out_of_scope"
    stock.receive(TESTS, world.guangzhou, connector, 2)
    with pytest.raises(AccessDenied):
        stock.transfer(manager, world.guangzhou, world.harbin, connector, 1)
    stock.transfer(world.users["hq"], world.guangzhou, world.harbin, connector, 1)
    assert stock.quantity(world.harbin, connector) == 1
    with pytest.raises(AccessDenied):
        stock.receive(world.users["viewer"], world.harbin, connector, 1)
    with pytest.raises(AccessDenied):
        stock.receive(world.users["harbin_engineer"], world.harbin, connector, 1)


def test_an_engineer_issues_only_to_a_ticket_assigned_to_them(world, connector, ticket):
    stock.receive(TESTS, world.harbin, connector, 2)
    engineer = world.users["harbin_engineer"]
    with pytest.raises(AccessDenied):
        stock.issue(engineer, world.harbin, connector, ticket)
    tickets.reply(TESTS, ticket, "coming")
    tickets.dispatch(TESTS, ticket, engineer)
    stock.issue(engineer, world.harbin, connector, ticket)
    assert stock.quantity(world.harbin, connector) == 1


# -- the admin ------------------------------------------------------------------------------

@pytest.fixture
def both_stocked(world, connector):
    stock.receive(TESTS, world.harbin, connector, 3)
    stock.receive(TESTS, world.guangzhou, connector, 7)
    return (StockLevel.get(StockLevel.office == world.harbin.id),
            StockLevel.get(StockLevel.office == world.guangzhou.id))


def test_a_harbin_manager_sees_no_guangzhou_stock(client, auth, world, both_stocked):
    harbin, guangzhou = both_stocked
    auth.login("harbin_manager")
    page = client.get("/admin/stock/").get_data(as_text=True)
    assert "Harbin office" in page and "Guangzhou office" not in page
    assert client.get(f"/admin/stock/details/?id={harbin.id}").status_code == 200
    assert client.get(f"/admin/stock/details/?id={guangzhou.id}").status_code == 404
    movement = StockMovement.get(StockMovement.office == world.guangzhou.id)
    assert client.get(f"/admin/stock_movement/details/?id={movement.id}").status_code == 404
    # the list's filters (office code, kind of item) stay inside the office
    assert "SC-12" not in client.get("/admin/stock/?flt0_0=CAN").get_data(as_text=True)
    assert "SC-12" in client.get("/admin/stock/?flt0_1=connector").get_data(as_text=True)
    assert "SC-12" not in client.get("/admin/stock/?flt0_1=tool").get_data(as_text=True)
    log = client.get("/admin/stock_movement/").get_data(as_text=True)
    assert "Guangzhou office" not in log and "Harbin office" in log
    # quantities change only through movements: no create or edit of a quantity
    assert client.get(f"/admin/stock/edit/?id={harbin.id}").status_code == 403


def test_headquarters_sees_every_offices_stock(client, auth, world, both_stocked):
    auth.login("hq")
    page = client.get("/admin/stock/").get_data(as_text=True)
    assert "Harbin office" in page and "Guangzhou office" in page


def test_the_receive_and_transfer_forms_call_the_service(client, auth, world, connector,
                                                         both_stocked):
    auth.login("harbin_manager")
    page = client.get("/admin/stock/receive/").get_data(as_text=True)
    assert "Guangzhou office" not in page.split('name="item"')[0]  # not a choice to receive into
    response = submit(client, "/admin/stock/receive/", {
        "office": str(world.harbin.id), "item": str(connector.id), "quantity": "4"})
    assert response.status_code == 200
    assert stock.quantity(world.harbin, connector) == 7
    refused = submit(client, "/admin/stock/receive/", {
        "office": str(world.guangzhou.id), "item": str(connector.id), "quantity": "1"})
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert stock.quantity(world.guangzhou, connector) == 7
    too_many = submit(client, "/admin/stock/transfer/", {
        "office": str(world.harbin.id), "destination": str(world.guangzhou.id),
        "item": str(connector.id), "quantity": "8"})
    assert "cannot be taken out" in too_many.get_data(as_text=True)
    submit(client, "/admin/stock/transfer/", {
        "office": str(world.harbin.id), "destination": str(world.guangzhou.id),
        "item": str(connector.id), "quantity": "2"})
    assert (stock.quantity(world.harbin, connector),
            stock.quantity(world.guangzhou, connector)) == (5, 9)


def test_a_viewer_gets_no_stock_forms(client, auth, world, both_stocked):
    auth.login("viewer")
    assert "/admin/stock/receive/" not in client.get("/admin/stock/").get_data(as_text=True)
    response = submit(client, "/admin/stock/receive/", {"quantity": "1"})
    assert "not allowed" in response.get_data(as_text=True)
    assert stock.quantity(world.harbin, StockItem.get()) == 3


def test_the_stock_leave_and_replacement_screens_are_chinese(client, auth, world, connector,
                                                             ticket):
    from backoffice.models import Replacement, StaffLeave
    from backoffice.services import replacements
    from tests.test_admin_helpers import post
    from tests.test_i18n_screens import data_values, english_left, visible_text
    stock.receive(TESTS, world.harbin, connector, 2)
    stock.issue(TESTS, world.harbin, connector, ticket)
    leave = make(StaffLeave, staff=world.users["harbin_engineer"], starts_on=world.harbin_contract
                 .signed_on, ends_on=world.harbin_contract.signed_on, reason="年假")
    replacement = replacements.confirm(TESTS, ticket)
    auth.login("admin")
    post(client, "/language", {"language": "zh_Hans_CN", "next": "/admin/"})
    level = StockLevel.get()
    movement = StockMovement.get()
    pages = ["/admin/stock/", "/admin/stock/?search=SC", f"/admin/stock/details/?id={level.id}",
             "/admin/stock/receive/", "/admin/stock/transfer/", "/admin/stock_movement/",
             f"/admin/stock_movement/details/?id={movement.id}", "/admin/stock_item/",
             f"/admin/stock_item/details/?id={connector.id}", "/admin/stock_item/new/",
             f"/admin/stock_item/edit/?id={connector.id}", "/admin/staff_leave/",
             f"/admin/staff_leave/details/?id={leave.id}", "/admin/staff_leave/new/",
             "/admin/replacement/", f"/admin/replacement/details/?id={replacement.id}",
             "/admin/replacement/confirm/", f"/admin/replacement/ship/?id={replacement.id}",
             f"/admin/replacement/deliver/?id={Replacement.get().id}"]
    data = data_values() + [connector.name, ticket.number, "UPS-100 UPS 100 kVA (A)"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert english_left(visible_text(response.get_data(as_text=True)), data) == [], url


def stock_and_replacement_rows(world) -> None:
    """A row of every table the stock, leave and replacement screens show (the generic
    screen walks, e.g. tests/test_export.py, call it for the tables the world leaves empty)."""
    import datetime as dt

    from backoffice.models import StaffLeave
    from backoffice.services import replacements
    item = make(StockItem, category=StockItemKind.TOOL, name="Torque wrench")
    for office in (world.harbin, world.guangzhou):
        stock.receive(TESTS, office, item, 2)
        ticket = tickets.open_ticket(TESTS, Report(
            summary="fault", serial=f"SN-{office.code}-0001"))
        tickets.reply(TESTS, ticket, "an engineer is on the way")
        tickets.dispatch(TESTS, ticket, world.users["harbin_engineer"])
        stock.issue(TESTS, office, item, ticket)
        stock.receive(TESTS, office, world.product, 1)
        replacement = replacements.confirm(TESTS, ticket, source="stock")
        replacements.ship(TESTS, replacement, serial=f"SN-{office.code}-NEW")
        engineer = world.users["harbin_engineer"] if office == world.harbin else \
            world.users["guangzhou_manager"]
        make(StaffLeave, staff=engineer, starts_on=dt.date(2026, 1, 5),
             ends_on=dt.date(2026, 1, 9), reason="annual leave")
    stock.transfer(TESTS, world.harbin, world.guangzhou, item, 1)
