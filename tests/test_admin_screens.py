"""Every admin screen as an administrator: list, search, filter, sort, create, edit, details, delete."""

from __future__ import annotations

import pytest

from backoffice.models import (
    AuditEntry,
    Contact,
    Contract,
    Customer,
    Office,
    Product,
    Site,
    Staff,
    Unit,
)
from tests.test_admin_helpers import post, submit


def view_of(app, endpoint):
    admin = app.extensions["backoffice_admin"]
    return next(v for v in admin._views if v.endpoint == endpoint)


def filter_arg(app, endpoint, name):
    """The URL argument of the first filter called ``name`` (its first operation)."""
    view = view_of(app, endpoint)
    index, flt = next((i, f) for i, f in enumerate(view._filters) if str(f.name) == name)
    return "flt0_" + view.get_filter_arg(index, flt)


# endpoint: (search term, filter name, filter value, text expected, text not expected)
LISTS = {
    "office": ("hrb", "City", "Harb", "Harbin office", "Guangzhou office"),
    "staff": ("harbin_eng", "Role", "engineer", "harbin_engineer", "guangzhou_manager"),
    "customer": ("c-hrb", "Serving office code", "hrb", "Harbin Power Works",
                 "Guangzhou Power Works"),
    "site": ("Harbin", "Customer code", "C-HRB-1", "Harbin plant", "Guangzhou plant"),
    "contact": ("Harbin", "Customer code", "c-hrb-1", "Contact Harbin", "Contact Guangzhou"),
    "contract": ("k-hrb", "Customer code", "C-HRB-1", "K-HRB-1", "K-CAN-1"),
    "product": ("ups", "Grade", "A", "UPS-100", None),
    "unit": ("sn-hrb", "Customer code", "C-HRB-1", "SN-HRB-0001", "SN-CAN-0001"),
    "audit": ("tests", "Action", "create", "Harbin office", None),
}


@pytest.mark.parametrize("endpoint", sorted(LISTS))
def test_list_search_filter_sort(app, client, auth, world, endpoint):
    auth.login("admin")
    term, flt, value, seen, unseen = LISTS[endpoint]
    page = client.get(f"/admin/{endpoint}/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert seen in body
    assert 'placeholder="None"' not in body  # a real hint in the search box
    for url in (f"/admin/{endpoint}/?search={term}",
                f"/admin/{endpoint}/?{filter_arg(app, endpoint, flt)}={value}"):
        body = client.get(url).get_data(as_text=True)
        assert seen in body, url
        if unseen:
            assert unseen not in body, url
    for index in range(len(view_of(app, endpoint)._list_columns)):
        for desc in ("", "&desc=1"):
            assert client.get(f"/admin/{endpoint}/?sort={index}{desc}").status_code == 200


def test_sort_orders_rows(client, auth, world):
    auth.login("admin")
    up = client.get("/admin/unit/").get_data(as_text=True)
    down = client.get("/admin/unit/?sort=0&desc=1").get_data(as_text=True)
    assert up.index("SN-CAN-0001") < up.index("SN-HRB-0001")
    assert down.index("SN-HRB-0001") < down.index("SN-CAN-0001")


def test_serial_search_is_a_prefix_match(client, auth, world):
    auth.login("admin")
    assert "SN-HRB-0001" in client.get("/admin/unit/?search=SN-HRB-0001").get_data(as_text=True)
    # the middle of a serial is not a prefix: the search stays on the index
    assert "SN-HRB-0001" not in client.get("/admin/unit/?search=HRB").get_data(as_text=True)


def _create_data(world):
    h = world.harbin
    return {
        "office": (Office, Office.code == "SHA",
                   {"code": "SHA", "name": "Shanghai office", "city": "Shanghai",
                    "province": "Shanghai", "latitude": "31.230416", "longitude": "121.473701"},
                   {"phone": "021-5555"}),
        "staff": (Staff, Staff.username == "new_engineer",
                  {"name": "Li Lei", "username": "new_engineer", "role": "engineer",
                   "office": str(h.id), "password": "long-enough-pw"},
                  {"phone": "139"}),
        "customer": (Customer, Customer.code == "C-NEW-1",
                     {"code": "c-new-1", "name": "New Works", "office": str(h.id)},
                     {"industry": "water"}),
        "site": (Site, Site.name == "Second plant",
                 {"customer": str(world.harbin_customer.id), "name": "Second plant"},
                 {"city": "Daqing"}),
        "contact": (Contact, Contact.name == "Wang Fang",
                    {"customer": str(world.harbin_customer.id), "name": "Wang Fang"},
                    {"phone": "137"}),
        "contract": (Contract, Contract.number == "K-HRB-2",
                     {"number": "k-hrb-2", "customer": str(world.harbin_customer.id),
                      "signed_on": "2025-03-01", "value": "5000", "currency": "CNY",
                      "status": "active"},
                     {"status": "completed"}),
        "product": (Product, Product.model == "UPS-200",
                    {"model": "ups-200", "name": "UPS 200 kVA", "grade": "A",
                     "design_life_years": "15", "warranty_months": "24"},
                    {"grade": "B"}),
        "unit": (Unit, Unit.serial == "SN-HRB-0002",
                 {"serial": "sn-hrb-0002", "product": str(world.product.id),
                  "contract": str(world.harbin_contract.id), "site": str(world.harbin_site.id),
                  "status": "installed", "accepted_on": "2025-05-01"},
                 {"status": "in_service"}),
    }


@pytest.mark.parametrize("endpoint", ["office", "staff", "customer", "site", "contact",
                                      "contract", "product", "unit"])
def test_create_details_edit_delete(client, auth, world, endpoint):
    model, where, create, edit = _create_data(world)[endpoint]
    auth.login("admin")
    page = submit(client, f"/admin/{endpoint}/new/", create)
    assert page.status_code == 200
    row = model.get_or_none(where)
    assert row is not None, page.get_data(as_text=True)
    assert AuditEntry.select().where((AuditEntry.table == model._meta.table_name)
                                     & (AuditEntry.row_id == row.id)
                                     & (AuditEntry.action == "create")).exists()

    assert client.get(f"/admin/{endpoint}/details/?id={row.id}").status_code == 200

    page = submit(client, f"/admin/{endpoint}/edit/?id={row.id}", edit)
    assert page.status_code == 200
    again = model.get_by_id(row.id)
    field, value = next(iter(edit.items()))
    assert str(getattr(again, field)) == value
    assert again.version == row.version + 1
    update = AuditEntry.get((AuditEntry.row_id == row.id) & (AuditEntry.action == "update")
                            & (AuditEntry.table == model._meta.table_name))
    assert update.actor == "admin" and field in update.change_dict

    assert post(client, f"/admin/{endpoint}/delete/", {"id": row.id}).status_code == 302
    assert model.get_or_none(model.id == row.id) is None
    assert AuditEntry.select().where((AuditEntry.table == model._meta.table_name)
                                     & (AuditEntry.row_id == row.id)
                                     & (AuditEntry.action == "delete")).exists()


def test_staff_password_is_hashed_never_shown(client, auth, world):
    auth.login("admin")
    user = world.users["viewer"]
    page = submit(client, f"/admin/staff/edit/?id={user.id}", {"password": "another-secret-1"})
    assert "another-secret-1" not in page.get_data(as_text=True)
    assert Staff.get_by_id(user.id).check_password("another-secret-1")
    assert "password_hash" not in client.get(f"/admin/staff/edit/?id={user.id}").get_data(
        as_text=True)


def test_delete_refused_while_parts_remain(client, auth, world):
    auth.login("admin")
    page = post(client, "/admin/customer/delete/", {"id": world.harbin_customer.id}, follow=True)
    assert page.status_code == 200
    assert "still used by" in page.get_data(as_text=True)
    assert Customer.get_or_none(Customer.id == world.harbin_customer.id) is not None


def test_action_delete_as_admin(client, auth, world):
    auth.login("admin")
    page = post(client, "/admin/contact/action/",
                {"action": "delete", "rowid": [world.harbin_contact.id,
                                               world.guangzhou_contact.id]}, follow=True)
    assert page.status_code == 200
    assert Contact.select().count() == 0
    assert AuditEntry.select().where((AuditEntry.table == "contact")
                                     & (AuditEntry.action == "delete")).count() == 2


def test_customer_file_shows_sites_contacts_contracts_units(client, auth, world):
    auth.login("harbin_manager")
    body = client.get(f"/admin/customer/details/?id={world.harbin_customer.id}").get_data(
        as_text=True)
    for text in ("Harbin plant", "Contact Harbin", "K-HRB-1", "SN-HRB-0001"):
        assert text in body
    for text in ("Guangzhou plant", "K-CAN-1", "SN-CAN-0001"):
        assert text not in body


def test_read_only_roles_cannot_write(client, auth, world):
    auth.login("harbin_engineer")
    assert client.get("/admin/customer/").status_code == 200
    assert client.get(f"/admin/customer/details/?id={world.harbin_customer.id}").status_code == 200
    assert client.get("/admin/customer/new/").status_code == 403
    assert client.get(f"/admin/customer/edit/?id={world.harbin_customer.id}").status_code == 403
    before = Customer.get_by_id(world.harbin_customer.id)
    assert post(client, f"/admin/customer/edit/?id={before.id}",
                {"name": "Changed", "version": before.version}).status_code == 403
    assert post(client, "/admin/customer/delete/", {"id": before.id}).status_code == 403
    assert post(client, "/admin/customer/action/",
                {"action": "delete", "rowid": before.id}).status_code == 403
    assert Customer.get_by_id(before.id).name == before.name


def test_only_admin_edits_offices_and_staff_and_hq_edits_products(client, auth, world):
    auth.login("hq")
    assert client.get("/admin/office/new/").status_code == 403
    assert client.get("/admin/staff/new/").status_code == 403
    assert client.get("/admin/product/new/").status_code == 200
    assert client.get("/admin/office/").status_code == 200
    auth.logout()
    auth.login("harbin_manager")
    assert client.get("/admin/product/new/").status_code == 403
    assert client.get("/admin/product/").status_code == 200


def test_anonymous_is_sent_to_login(client, world):
    page = client.get("/admin/unit/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
