# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The product catalogue (shared by every office) and the installed units."""

from __future__ import annotations

from flask_admin.contrib.peewee.filters import BooleanEqualFilter, FilterEqual, IntEqualFilter
from wtforms import SelectField

from ..clock import today
from ..i18n import _l
from ..labels import choices
from ..models import Contract, Product, Unit, UnitStatus
from ..services.overview import in_use, in_warranty, warranty_ends_within
from .base import ScopedModelView
from .customers import PART_LABELS, InCustomerCode
from .filters import ByCode

UNIT_STATUS_CHOICES = choices(UnitStatus)


def InContractNumber(column, name):
    return ByCode(column, name, Contract.number)


def InProductModel(column, name):
    return ByCode(column, name, Product.model)


class InUse(BooleanEqualFilter):
    """Units in use (neither retired nor replaced): the home page's "units in use"."""

    def apply(self, query, value):
        return query.where(in_use() if value else ~in_use())  # value: 1 or 0


class InWarrantyToday(BooleanEqualFilter):
    """Units whose warranty covers today (in the service center's zone)."""

    def apply(self, query, value):
        covered = in_warranty(today())
        if value:
            return query.where(covered)
        return query.where(~covered | Unit.warranty_start.is_null() | Unit.warranty_end.is_null())


class WarrantyEndsWithin(IntEqualFilter):
    """Units whose warranty ends from today to this many days later ("days until ...: at most")."""

    def validate(self, value):
        return super().validate(value) and 0 <= self.clean(value) <= 3660

    def apply(self, query, value):
        return query.where(warranty_ends_within(today(), value))

    def operation(self):
        return _l("at most")


class ProductView(ScopedModelView):
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
                           "warranty_by_hand", "notes", "created_at", "updated_at")
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
                      InProductModel(Unit.product, _l("Product model")),
                      InUse(Unit.status, _l("In use")),
                      InWarrantyToday(Unit.warranty_end, _l("In warranty today")),
                      WarrantyEndsWithin(Unit.warranty_end, _l("Days until warranty end")))
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
