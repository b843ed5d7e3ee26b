# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The audit trail, read-only: who changed which row when, old and new values."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from flask import current_app, url_for
from flask_admin.contrib.peewee.filters import FilterEqual
from markupsafe import Markup, escape

from ..i18n import _l
from ..labels import (
    TABLE_LABELS,
    AuditAction,
    choices,
    field_label,
    table_label,
    value_label,
    yes_no,
)
from ..models import AuditEntry, Customer
from .base import ScopedModelView
from .filters import ByCode

ACTION_CHOICES = choices(AuditAction)


def _changes(view, context, model, name):
    """An entry's changes as a small table: field labels and value labels from
    :mod:`backoffice.labels` (not from other screens' settings)."""
    table = model.table

    def show(field, value):
        if isinstance(value, str):
            shown = value_label(table, field, value)
            if shown is not None:
                return shown  # a status or role: its label
        return _show(value)

    rows = "".join(
        f"<tr><td>{escape(field_label(field))}</td>"
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


#: the audit screen's endpoint (registered below)
ENDPOINT = "audit"


def customer_trail_url(view, customer) -> str | None:
    """The audit list filtered to one customer's entries, by the customer's code."""
    if not view.is_accessible():
        return None
    return url_for(f"{ENDPOINT}.index_view", flt0_customer_code_equals=customer.code)


def _show(value):
    if isinstance(value, bool):
        return yes_no(value)
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


class AuditView(ScopedModelView):
    """Scoped by the office recorded with each entry (``AuditEntry.office_filter``)."""

    can_create = False
    can_edit = False
    can_delete = False
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
    # readable filter arguments (flt0_customer_code_equals=ACME), so a link names its filter
    named_filter_urls = True
    column_filters = (FilterEqual(AuditEntry.action, _l("Action"), options=ACTION_CHOICES),
                      "table", "row_id", "at",
                      ByCode(AuditEntry.customer, _l("Customer code"), Customer.code))
    column_sortable_list = ("at",)
    column_default_sort = ("at", True)


def register(admin):
    admin.add_view(AuditView(AuditEntry, name=_l("Audit trail"), endpoint=ENDPOINT))
