# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The customer file: customers (with one page showing the whole file), sites, contacts, contracts.

The file's page ends with its timeline: the latest audit entries recorded
against the customer (``AuditEntry.customer``), narrowed like the audit screen.
"""

from __future__ import annotations

from flask import request, url_for
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_login import current_user
from wtforms import SelectField

from ..i18n import _l
from ..labels import choices
from ..models import (
    Contact,
    Contract,
    ContractStatus,
    Customer,
    Industry,
    Office,
    Site,
    UnitStatus,
)
from ..services.customer_file import TIMELINE_SHOWN, customer_file, timeline
from .audit import customer_trail_url, describe
from .base import ScopedModelView
from .filters import ByCode
from .formatting import money_cell

CONTRACT_STATUS_CHOICES = choices(ContractStatus)
INDUSTRY_CHOICES = choices(Industry)


def InCustomerCode(column, name):
    return ByCode(column, name, Customer.code)


def InOfficeCode(column, name):
    return ByCode(column, name, Office.code)


PART_LABELS = {"id": _l("ID"), "customer": _l("Customer"), "name": _l("Name"), "notes": _l("Notes"),
               "version": _l("Version"), "created_at": _l("Created"), "updated_at": _l("Updated")}


class CustomerView(ScopedModelView):
    details_template = "admin/customer_file.html"
    column_list = ("code", "name", "industry", "office")
    column_details_list = ("code", "name", "industry", "office", "notes", "created_at",
                           "updated_at")
    column_export_list = ("code", "name", "industry", "office", "notes")
    column_labels = {**PART_LABELS, "code": _l("Code"), "industry": _l("Industry"),
                     "office": _l("Serving office")}
    column_searchable_list = ("code", "name")
    column_search_prefix = ("code",)
    search_placeholder_text = _l("Customer code or name")
    column_choices = {"industry": INDUSTRY_CHOICES}
    column_filters = (FilterEqual(Customer.industry, _l("Industry"), options=INDUSTRY_CHOICES),
                      InOfficeCode(Customer.office, _l("Serving office code")))
    column_sortable_list = ("code", "name", "industry")
    column_default_sort = "code"
    form_columns = ("code", "name", "industry", "office", "notes")
    form_overrides = {"industry": SelectField}
    form_args = {"industry": {"choices": INDUSTRY_CHOICES}}

    def render(self, template, **kwargs):
        if template == self.details_template and "model" in kwargs:
            customer = kwargs["model"]
            kwargs["file"] = customer_file(current_user, customer).as_template_dict()
            page = timeline(current_user, customer, page=_page_number(
                request.args.get(TIMELINE_PAGE_ARG)))
            kwargs["timeline"] = describe(self, page.entries, page.names,
                                          in_file_of=customer.id)
            kwargs["timeline_page"] = page
            kwargs["timeline_page_url"] = _timeline_page_url
            kwargs["timeline_url"] = customer_trail_url(self, customer)
            kwargs["timeline_shown"] = TIMELINE_SHOWN
            # the status columns of the file's tables show their labels, not stored values
            kwargs["value_labels"] = {"contract": {"status": dict(CONTRACT_STATUS_CHOICES)},
                                      "unit": {"status": dict(choices(UnitStatus))}}
        return super().render(template, **kwargs)


#: the URL argument of the timeline's page (0: the newest changes)
TIMELINE_PAGE_ARG = "changes_page"


def _page_number(value) -> int:
    """A page number from the URL; anything else is the first page."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 6 else 0


def _timeline_page_url(page: int) -> str:
    """This customer file again, at timeline page ``page`` (other arguments kept)."""
    args = {k: v for k, v in request.args.items() if k != TIMELINE_PAGE_ARG}
    if page:
        args[TIMELINE_PAGE_ARG] = page
    return url_for(".details_view", **args) + "#timeline"


class SiteView(ScopedModelView):
    column_list = ("name", "customer", "city", "province", "road_distance_km")
    column_labels = {**PART_LABELS, "address": _l("Address"), "city": _l("City"),
                     "province": _l("Province"), "latitude": _l("Latitude"),
                     "longitude": _l("Longitude"), "road_distance_km": _l("Road distance (km)")}
    column_searchable_list = ("name", "city")
    search_placeholder_text = _l("Site name or city")
    column_filters = ("city", "province", InCustomerCode(Site.customer, _l("Customer code")))
    column_sortable_list = ("name", "city")
    column_default_sort = "name"
    form_columns = ("customer", "name", "address", "city", "province", "latitude", "longitude",
                    "road_distance_km")
    form_ajax_refs = {"customer": {"fields": ("code", "name"), "order_by": Customer.code,
                                   "placeholder": _l("Customer code or name")}}
    list_narrow_args = {"customer": "customer"}


class ContactView(ScopedModelView):
    column_list = ("name", "customer", "title", "phone", "email")
    column_labels = {**PART_LABELS, "title": _l("Title"), "phone": _l("Phone"),
                     "email": _l("E-mail")}
    column_searchable_list = ("name", "phone")
    search_placeholder_text = _l("Contact name or phone")
    column_filters = (InCustomerCode(Contact.customer, _l("Customer code")),)
    column_sortable_list = ("name",)
    column_default_sort = "name"
    form_columns = ("customer", "name", "title", "phone", "email", "notes")
    form_ajax_refs = {"customer": {"fields": ("code", "name"), "order_by": Customer.code,
                                   "placeholder": _l("Customer code or name")}}
    list_narrow_args = {"customer": "customer"}


class ContractView(ScopedModelView):
    column_list = ("number", "customer", "signed_on", "value", "status", "warranty_months")
    column_labels = {**PART_LABELS, "number": _l("Contract number"), "signed_on": _l("Signed on"),
                     "value": _l("Value"), "currency": _l("Currency"), "status": _l("Status"),
                     "warranty_months": _l("Warranty (months)"),
                     "term_set_version": _l("Term set version"), "plugins": _l("Plugins")}
    column_choices = {"status": CONTRACT_STATUS_CHOICES}
    # an amount with its currency and thousands separators (¥100,000.00)
    column_formatters = {"value": money_cell}
    column_formatters_detail = {"value": money_cell}
    column_formatters_export = {}  # an export keeps the amount a number (it sums in Excel)
    column_searchable_list = ("number",)
    column_search_prefix = ("number",)
    search_placeholder_text = _l("Contract number (or its beginning)")
    column_filters = (FilterEqual(Contract.status, _l("Status"),
                                  options=CONTRACT_STATUS_CHOICES),
                      "signed_on", InCustomerCode(Contract.customer, _l("Customer code")))
    column_sortable_list = ("number", "signed_on", "status")
    column_default_sort = ("signed_on", True)
    form_columns = ("number", "customer", "signed_on", "value", "currency", "status",
                    "warranty_months", "notes")
    form_overrides = {"status": SelectField}
    form_args = {"status": {"choices": CONTRACT_STATUS_CHOICES}}
    form_ajax_refs = {"customer": {"fields": ("code", "name"), "order_by": Customer.code,
                                   "placeholder": _l("Customer code or name")}}
    list_narrow_args = {"customer": "customer"}


def register(admin):
    category = _l("Customer file")
    admin.add_view(CustomerView(Customer, name=_l("Customers"), category=category,
                                endpoint="customer"))
    admin.add_view(SiteView(Site, name=_l("Sites"), category=category, endpoint="site"))
    admin.add_view(ContactView(Contact, name=_l("Contacts"), category=category,
                               endpoint="contact"))
    admin.add_view(ContractView(Contract, name=_l("Contracts"), category=category,
                                endpoint="contract"))
