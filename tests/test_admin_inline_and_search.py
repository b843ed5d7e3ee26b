"""Flask-Admin's own features keep working through the base view: a search on a related
model's field joins it, and inline rows are saved with their parent, audited."""

from __future__ import annotations

import pytest

from backoffice.admin.base import ScopedModelView
from backoffice.models import AuditEntry, Contact, Customer, Site
from tests.conftest import csrf_token


class SitesByCustomerName(ScopedModelView):
    column_list = ("name", "customer")
    column_searchable_list = ("name", Customer.name)


class CustomersWithContacts(ScopedModelView):
    form_excluded_columns = ("sites", "contracts", "units", "notes", "industry")
    inline_models = (Contact,)


@pytest.mark.own_app  # adds a view
def test_a_search_on_a_related_models_field_joins_it(app, client, auth, world):
    app.extensions["backoffice_admin"].add_view(
        SitesByCustomerName(Site, name="Sites by customer", endpoint="sites_by_customer"))
    auth.login("admin")
    page = client.get("/admin/sites_by_customer/?search=Guangzhou+Power")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Guangzhou plant" in body and "Harbin plant" not in body


@pytest.mark.own_app  # adds a view
def test_inline_rows_are_saved_with_their_parent_and_audited(app, client, auth, world):
    app.extensions["backoffice_admin"].add_view(
        CustomersWithContacts(Customer, name="Customers+", endpoint="customers_plus"))
    auth.login("admin")
    page = client.get("/admin/customers_plus/new/").get_data(as_text=True)
    token = csrf_token(page)  # an inline row carries the form's token too, as the browser posts it
    response = client.post("/admin/customers_plus/new/", data={
        "csrf_token": token, "code": "C-NEW-1", "name": "New Works",
        "office": str(world.harbin.id), "contacts-0-csrf_token": token,
        "contacts-0-name": "Li Na", "contacts-0-phone": "13900000000"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    customer = Customer.get(Customer.code == "C-NEW-1")
    contact = Contact.get(Contact.customer == customer.id)
    assert contact.name == "Li Na"
    assert AuditEntry.select().where((AuditEntry.table == "contact")
                                     & (AuditEntry.row_id == contact.id)).exists()
    page = client.get("/admin/customers_plus/new/").get_data(as_text=True)
    assert "created_at" not in page and 'name=&#34;version&#34;' not in page
