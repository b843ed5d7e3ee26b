"""The home page: the user's offices at a glance, the latest changes, a warranty look-up.

Each tile links to the list it counts, narrowed by that list's own filters to
exactly the rows counted (:data:`TILES`): "106 warranties end within 90 days"
opens those 106 units. Tiles and lists count alike, up to the lists' cap.
"""

from __future__ import annotations

from flask import url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_login import current_user

from ..clock import today as local_today
from ..labels import TABLE_LABELS
from ..models import Contract, ContractStatus, Unit, UnitStatus
from ..services.overview import ENDING_SOON_DAYS, overview
from .base import HomeView, ScopedModelView
from .products import InUse, InWarrantyToday, WarrantyEndsWithin

_IN_USE = (InUse, Unit.status, "1")
_COVERED = (InWarrantyToday, Unit.warranty_end, "1")
#: each figure: the list it opens and that list's filters (class, column, value) to apply
TILES = {
    "offices": ("office", ()),
    "customers": ("customer", ()),
    "active_contracts": ("contract", ((FilterEqual, Contract.status, ContractStatus.ACTIVE),)),
    "units": ("unit", (_IN_USE,)),
    "in_warranty": ("unit", (_IN_USE, _COVERED)),
    "ending_soon": ("unit", (_IN_USE, _COVERED,
                             (WarrantyEndsWithin, Unit.warranty_end, ENDING_SOON_DAYS))),
    "under_repair": ("unit", ((FilterEqual, Unit.status, UnitStatus.UNDER_REPAIR),)),
}


def list_url(admin, endpoint, filters=()) -> str | None:
    """The list ``endpoint`` narrowed by its declared ``filters``; None if the user cannot open it.

    Each filter is (class, column, value): the list's filter of exactly that class
    on that column, applied with that value (``flt0_<its index>=value``).
    """
    view = next((v for v in admin._views if getattr(v, "endpoint", None) == endpoint), None)
    if view is None or not view.is_accessible():
        return None
    args = {}
    for position, (cls, column, value) in enumerate(filters):
        found = next(((i, f) for i, f in enumerate(view._filters or ())
                      if type(f) is cls and f.column is column), None)
        if found is None:  # a tile must never open more than it counts
            raise LookupError(f"the {endpoint} list has no {cls.__name__} filter on {column}")
        index, flt = found
        args[f"flt{position}_{view.get_filter_arg(index, flt)}"] = value
    return url_for(f"{endpoint}.index_view", **args)


class DashboardView(HomeView):
    @expose("/")
    def index(self):
        today = local_today()
        figures = overview(current_user, today, cap=ScopedModelView.count_cap)
        links = {key: list_url(self.admin, endpoint, filters)
                 for key, (endpoint, filters) in TILES.items()}
        return self.render("admin/home.html", today=today, figures=figures, links=links,
                           ending_soon_days=ENDING_SOON_DAYS, table_labels=TABLE_LABELS)
