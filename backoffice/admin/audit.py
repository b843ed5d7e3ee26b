# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The audit trail, read-only: who changed which row when, old and new values."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from flask import current_app, url_for
from flask_admin.contrib.peewee.filters import FilterEqual, IntEqualFilter
from markupsafe import Markup, escape

from ..i18n import _l
from ..models import AuditEntry
from .base import TABLE_LABELS, ScopedModelView, table_label, yes_no

ACTION_CHOICES = [("create", _l("Created")), ("update", _l("Changed")), ("delete", _l("Deleted"))]


def _screen_of(view, table: str):
    """The admin screen of ``table`` (its labels and value choices), or None."""
    for other in getattr(view.admin, "_views", ()):
        model = getattr(other, "model", None)
        if model is not None and model._meta.table_name == table:
            return other
    return None


def _changes(view, context, model, name):
    screen = _screen_of(view, model.table)
    labels = (getattr(screen, "column_labels", None) or {}) if screen else {}
    choices = (getattr(screen, "_column_choices_map", None) or {}) if screen else {}

    def show(field, value):
        if isinstance(value, str) and value in choices.get(field, {}):
            return str(choices[field][value])  # a status or role: its label
        return _show(value)

    rows = "".join(
        f"<tr><td>{escape(str(labels.get(field, field)))}</td>"
        f"<td>{escape(show(field, old))}</td><td>{escape(show(field, new))}</td></tr>"
        for field, (old, new) in sorted(model.change_dict.items()))
    return Markup(f'<table class="table table-sm mb-0">{rows}</table>')


def local_time(at: dt.datetime) -> str:
    """An entry's time (stored in UTC) in the service center's zone (``TIMEZONE``)."""
    zone = zoneinfo.ZoneInfo(current_app.config["TIMEZONE"])
    return at.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def describe(view, entries) -> list[dict]:
    """Entries as a timeline shows them, with the audit screen's labels (no query per entry)."""
    actions = dict(ACTION_CHOICES)
    return [{"id": entry.id, "who": entry.actor, "when": local_time(entry.at),
             "action": str(actions.get(entry.action, entry.action)),
             "table": table_label(entry.table), "summary": entry.summary,
             "changes": _changes(view, None, entry, "changes") if entry.change_dict else ""}
            for entry in entries]


def audit_screen(view):
    """The audit trail's screen in ``view``'s admin, or None."""
    return _screen_of(view, AuditEntry._meta.table_name)


def customer_trail_url(view, customer_id: int) -> str | None:
    """The audit list filtered to one customer's entries (its "Customer id" equals filter)."""
    screen = audit_screen(view)
    if screen is None or not screen.is_accessible():
        return None
    for index, flt in enumerate(screen._filters or ()):
        if isinstance(flt, IntEqualFilter) and flt.column is AuditEntry.customer:
            return url_for(f"{screen.endpoint}.index_view", **{
                f"flt0_{screen.get_filter_arg(index, flt)}": customer_id})
    return None


def _show(value):
    if isinstance(value, bool):
        return yes_no(value)
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


class AuditView(ScopedModelView):
    """Scoped by the office recorded with each entry (``AuditEntry.office_filter``)."""

    can_create = False
    can_edit = False
    can_delete = False
    edit_roles = ()
    column_list = ("at", "actor", "action", "table", "row_id", "summary")
    column_details_list = ("at", "actor", "action", "table", "row_id", "summary", "changes",
                           "office", "customer")
    column_export_list = ("at", "actor", "action", "table", "row_id", "summary", "changes")
    column_labels = {"at": _l("When (UTC)"), "actor": _l("Who"), "action": _l("Action"),
                     "table": _l("Table"), "row_id": _l("Row"), "summary": _l("Record"),
                     "changes": _l("Changes"), "office": _l("Office id"),
                     "customer": _l("Customer id")}
    column_choices = {"action": ACTION_CHOICES, "table": list(TABLE_LABELS.items())}
    column_formatters_detail = {"changes": _changes}
    column_searchable_list = ("actor",)
    search_placeholder_text = _l("Who (login name)")
    column_filters = (FilterEqual(AuditEntry.action, _l("Action"), options=ACTION_CHOICES),
                      "table", "row_id", "at", "customer")
    column_sortable_list = ("at",)
    column_default_sort = ("at", True)


def register(admin):
    admin.add_view(AuditView(AuditEntry, name=_l("Audit trail"), endpoint="audit"))
