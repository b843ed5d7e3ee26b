# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The customer file: customers (with one page showing the whole file), sites, contacts, contracts.

The file's page ends with its timeline: the latest audit entries recorded
against the customer (``AuditEntry.customer``), narrowed like the audit screen.
"""

from __future__ import annotations

from flask_admin.contrib.peewee.filters import FilterEqual
from flask_login import current_user
from wtforms import SelectField

from ..i18n import _l
from ..models import (
    AuditEntry,
    Contact,
    Contract,
    ContractStatus,
    Customer,
    Industry,
    Office,
    Site,
    Unit,
)
from ..scoping import scoped, visible
from .audit import customer_trail_url, describe
from .base import ScopedModelView

CONTRACT_STATUS_CHOICES = [(ContractStatus.DRAFT, _l("Draft")),
                           (ContractStatus.ACTIVE, _l("Active")),
                           (ContractStatus.COMPLETED, _l("Completed")),
                           (ContractStatus.TERMINATED, _l("Terminated"))]
INDUSTRY_CHOICES = [(Industry.POWER, _l("Power")),
                    (Industry.TELECOM, _l("Telecommunications")),
                    (Industry.RAIL, _l("Rail transit")),
                    (Industry.WATER, _l("Water")),
                    (Industry.PETROCHEMICAL, _l("Petrochemical")),
                    (Industry.DATA_CENTRE, _l("Data centre")),
                    (Industry.HEALTHCARE, _l("Healthcare")),
                    (Industry.FINANCE, _l("Finance")),
                    (Industry.MANUFACTURING, _l("Manufacturing")),
                    (Industry.OTHER, _l("Other"))]
#: a customer file page lists at most this many units; the rest is one click away
FILE_UNITS_SHOWN = 200
#: the customer file's timeline shows this many latest changes; the rest is in the audit trail
TIMELINE_SHOWN = 20


class InCustomerCode(FilterEqual):
    """Rows of the customer with this code (a sub-select: no join, scoping still applies)."""

    def apply(self, query, value):
        ids = Customer.select(Customer.id).where(Customer.code == value.strip().upper())
        return query.where(self.column.in_(ids))


class InOfficeCode(FilterEqual):
    def apply(self, query, value):
        ids = Office.select(Office.id).where(Office.code == value.strip().upper())
        return query.where(self.column.in_(ids))


PART_LABELS = {"id": _l("ID"), "customer": _l("Customer"), "name": _l("Name"), "notes": _l("Notes"),
               "version": _l("Version"), "created_at": _l("Created"), "updated_at": _l("Updated")}


class CustomerView(ScopedModelView):
    details_template = "admin/customer_file.html"
    column_list = ("code", "name", "industry", "office")
    column_details_list = ("code", "name", "industry", "office", "notes", "version",
                           "created_at", "updated_at")
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
            kwargs["file"] = customer_file(kwargs["model"])
            kwargs["timeline"] = describe(self, customer_timeline(kwargs["model"]))
            kwargs["timeline_url"] = customer_trail_url(self, kwargs["model"].id)
            kwargs["timeline_shown"] = TIMELINE_SHOWN
            from .products import UNIT_STATUS_CHOICES
            # the status columns of the file's tables show their labels, not stored values
            kwargs["value_labels"] = {"contract": {"status": dict(CONTRACT_STATUS_CHOICES)},
                                      "unit": {"status": dict(UNIT_STATUS_CHOICES)}}
        return super().render(template, **kwargs)


def customer_file(customer):
    """Everything the customer file page shows, each list already narrowed to the viewer."""
    def mine(query, model):
        return scoped(query, model, current_user)
    units = mine(Unit.select().where(Unit.customer == customer.id), Unit).order_by(Unit.serial)
    return {
        "sites": list(mine(customer.sites, Site).order_by(Site.name)),
        "contacts": list(mine(customer.contacts, Contact).order_by(Contact.name)),
        "contracts": list(mine(customer.contracts, Contract).order_by(Contract.signed_on.desc())),
        "units": list(units.limit(FILE_UNITS_SHOWN)),
        "unit_count": units.count(),
        "units_shown": FILE_UNITS_SHOWN,
    }


def customer_timeline(customer, limit=TIMELINE_SHOWN):
    """The latest audit entries of ``customer`` the viewer may see, newest first (one query)."""
    return list(visible(AuditEntry, current_user)
                .where(AuditEntry.customer == customer.id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(limit))


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
    column_list = ("number", "customer", "signed_on", "value", "currency", "status",
                   "warranty_months")
    column_labels = {**PART_LABELS, "number": _l("Contract number"), "signed_on": _l("Signed on"),
                     "value": _l("Value"), "currency": _l("Currency"), "status": _l("Status"),
                     "warranty_months": _l("Warranty (months)"),
                     "term_set_version": _l("Term set version"), "plugins": _l("Plugins")}
    column_choices = {"status": CONTRACT_STATUS_CHOICES}
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
