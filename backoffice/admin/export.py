"""Export (CSV, XLSX) for the admin's model screens: everything about it in one mixin.

An export holds every row of the narrowed list or nothing: above
``EXPORT_MAX_ROWS`` rows (counted with a LIMIT, so the count stays cheap) it is
refused with a message on the list, never cut short silently.
"""

from __future__ import annotations

import time

from flask import current_app, flash, has_app_context, redirect, request
from flask_admin import expose
from flask_babel import format_decimal

from ..i18n import _

#: first characters that make a spreadsheet cell a formula (formula injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class ExportMixin:
    """CSV and XLSX export of a scoped model view (mixed in before ``ModelView``)."""

    can_export = True
    export_types = ("csv", "xlsx")
    column_export_exclude_list = ("version",)

    @property
    def export_max_rows(self):
        return current_app.config.get("EXPORT_MAX_ROWS", 50000) if has_app_context() else 50000

    @expose("/export/<export_type>/")
    def export(self, export_type):
        """Export the list as it is narrowed, or refuse (nothing downloaded) above the cap."""
        if self.can_export and export_type in self.export_types:
            cap = self.export_max_rows
            args = self._get_list_extra_args()
            query, _joins = self._narrowed_query(args.search, args.filters)
            # stops counting at cap + 1: SELECT COUNT(1) FROM (... LIMIT cap + 1)
            if query.order_by().limit(cap + 1).count() > cap:
                flash(_("More than %(max)s rows match; an export holds at most %(max)s: "
                        "narrow the list with a filter or a search.",
                        max=format_decimal(cap)), "warning")
                return redirect(self.get_url(".index_view", **request.args.to_dict(flat=False)))
        return super().export(export_type)

    def get_export_value(self, model, name):
        return neutralise(super().get_export_value(model, name))

    def get_export_name(self, export_type="csv"):
        # the menu name may be translated; file names stay ASCII
        return f"{self.endpoint}_{time.strftime('%Y-%m-%d_%H-%M-%S')}.{export_type}"
