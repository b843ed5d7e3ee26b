"""Business-rule violations and concurrent edits are form errors, never 500s nor half-written rows."""

from __future__ import annotations

from backoffice.db import acting_as
from backoffice.models import AuditEntry, Customer, Unit
from tests.test_admin_helpers import form_values, submit


def test_warranty_end_before_start_is_a_form_error(client, auth, world):
    auth.login("harbin_manager")
    unit = Unit.get_by_id(world.harbin_unit.id)
    page = submit(client, f"/admin/unit/edit/?id={unit.id}",
                  {"warranty_by_hand": "y", "warranty_start": "2026-01-01",
                   "warranty_end": "2025-01-01"})
    assert page.status_code == 200
    assert "Warranty end is before warranty start." in page.get_data(as_text=True)
    after = Unit.get_by_id(unit.id)
    assert (after.warranty_end, after.version) == (unit.warranty_end, unit.version)


def test_duplicate_serial_is_a_form_error(client, auth, world):
    auth.login("admin")
    units = Unit.select().count()
    page = submit(client, "/admin/unit/new/",
                  {"serial": "sn-can-0001", "product": str(world.product.id),
                   "contract": str(world.harbin_contract.id), "status": "delivered"})
    assert page.status_code == 200
    assert "Serial number SN-CAN-0001 is already registered." in page.get_data(as_text=True)
    assert Unit.select().count() == units


def test_duplicate_customer_code_on_edit(client, auth, world):
    auth.login("admin")
    page = submit(client, f"/admin/customer/edit/?id={world.harbin_customer.id}",
                  {"code": "C-CAN-1"})
    assert "Customer code C-CAN-1 is already used." in page.get_data(as_text=True)
    assert Customer.get_by_id(world.harbin_customer.id).code == "C-HRB-1"


def test_stale_version_is_refused_with_a_clear_message(client, auth, world):
    auth.login("harbin_manager")
    url = f"/admin/customer/edit/?id={world.harbin_customer.id}"
    opened = form_values(client, url)  # the user opens the form (version 1) ...
    with acting_as("someone else"):  # ... someone else saves meanwhile
        other = Customer.get_by_id(world.harbin_customer.id)
        other.industry = "finance"
        other.save()
    audits = AuditEntry.select().count()
    page = client.post(url, data={**opened, "name": "Lost update"}, follow_redirects=True)
    assert page.status_code == 200
    assert "changed by someone else since you opened it" in page.get_data(as_text=True)
    after = Customer.get_by_id(world.harbin_customer.id)
    assert (after.name, after.industry, after.version) == ("Harbin Power Works", "finance", 2)
    assert AuditEntry.select().count() == audits
    # reloading the form picks up the new version, and the change goes through
    page = submit(client, url, {"name": "Reloaded"})
    assert Customer.get_by_id(world.harbin_customer.id).name == "Reloaded"


def test_edit_without_version_is_refused(client, auth, world):
    auth.login("admin")
    url = f"/admin/customer/edit/?id={world.harbin_customer.id}"
    page = submit(client, url, {"name": "No version", "version": None})
    assert "without a version" in page.get_data(as_text=True)
    assert Customer.get_by_id(world.harbin_customer.id).name == "Harbin Power Works"
