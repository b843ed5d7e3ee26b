# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The product catalogue (shared by every office) and the installed units."""

from __future__ import annotations

from flask_admin.contrib.peewee.filters import FilterEqual
from wtforms import SelectField

from ..i18n import _l
from ..models import Contract, Product, Role, Unit, UnitStatus
from .base import ScopedModelView
from .customers import PART_LABELS, InCustomerCode

UNIT_STATUS_CHOICES = [(UnitStatus.ORDERED, _l("Ordered")),
                       (UnitStatus.DELIVERED, _l("Delivered")),
                       (UnitStatus.INSTALLED, _l("Installed")),
                       (UnitStatus.IN_SERVICE, _l("In service")),
                       (UnitStatus.UNDER_REPAIR, _l("Under repair")),
                       (UnitStatus.REPLACED, _l("Replaced")),
                       (UnitStatus.RETIRED, _l("Retired"))]


class InContractNumber(FilterEqual):
    def apply(self, query, value):
        ids = Contract.select(Contract.id).where(Contract.number == value.strip().upper())
        return query.where(self.column.in_(ids))


class InProductModel(FilterEqual):
    def apply(self, query, value):
        ids = Product.select(Product.id).where(Product.model == value.strip().upper())
        return query.where(self.column.in_(ids))


class ProductView(ScopedModelView):
    edit_roles = (Role.ADMIN, Role.HQ)  # one catalogue for all offices
    column_list = ("model", "name", "grade", "design_life_years", "warranty_months")
    column_labels = {**PART_LABELS, "model": _l("Model"), "grade": _l("Grade"),
                     "design_life_years": _l("Design life (years)"),
                     "warranty_months": _l("Standard warranty (months)")}
    column_searchable_list = ("model", "name")
    column_search_prefix = ("model",)
    search_placeholder_text = _l("Model code or name")
    column_filters = ("grade",)
    column_sortable_list = ("model", "name", "grade")
    column_default_sort = "model"
    form_columns = ("model", "name", "grade", "design_life_years", "warranty_months", "notes")


class UnitView(ScopedModelView):
    column_list = ("serial", "product", "contract", "customer", "site", "status",
                   "accepted_on", "warranty_end")
    column_details_list = ("serial", "product", "contract", "customer", "site", "status",
                           "installed_on", "accepted_on", "warranty_start", "warranty_end",
                           "warranty_by_hand", "notes", "version", "created_at", "updated_at")
    column_export_list = ("serial", "product", "contract", "customer", "site", "status",
                          "installed_on", "accepted_on", "warranty_start", "warranty_end",
                          "warranty_by_hand", "notes")
    column_labels = {**PART_LABELS, "serial": _l("Serial number"), "product": _l("Product"),
                     "contract": _l("Contract"), "site": _l("Site"), "status": _l("Status"),
                     "installed_on": _l("Installed on"), "accepted_on": _l("Accepted on"),
                     "warranty_start": _l("Warranty start"), "warranty_end": _l("Warranty end"),
                     "warranty_by_hand": _l("Warranty dates set by hand")}
    column_choices = {"status": UNIT_STATUS_CHOICES}
    # serials are searched by exact value or beginning, on the unique index
    column_searchable_list = ("serial",)
    column_search_prefix = ("serial",)
    search_placeholder_text = _l("Serial number (or its beginning)")
    column_filters = (FilterEqual(Unit.status, _l("Status"), options=UNIT_STATUS_CHOICES),
                      "warranty_end", "accepted_on",
                      InCustomerCode(Unit.customer, _l("Customer code")),
                      InContractNumber(Unit.contract, _l("Contract number")),
                      InProductModel(Unit.product, _l("Product model")))
    column_sortable_list = ("serial", "status", "accepted_on", "warranty_end")
    column_default_sort = "serial"
    form_columns = ("serial", "product", "contract", "site", "status", "installed_on",
                    "accepted_on", "warranty_by_hand", "warranty_start", "warranty_end", "notes")
    form_overrides = {"status": SelectField}
    form_args = {"status": {"choices": UNIT_STATUS_CHOICES},
                 "warranty_start": {"description": _l(
                     "Filled from the contract and acceptance unless set by hand.")}}
    form_ajax_refs = {"contract": {"fields": ("number",), "order_by": Contract.number,
                                   "placeholder": _l("Contract number")},
                      "site": {"fields": ("name", "city"),
                               "placeholder": _l("Site name or city")}}
    list_narrow_args = {"customer": "customer", "contract": "contract"}


def register(admin):
    category = _l("Products")
    admin.add_view(ProductView(Product, name=_l("Catalogue"), category=category,
                               endpoint="product"))
    admin.add_view(UnitView(Unit, name=_l("Units"), category=category, endpoint="unit"))
