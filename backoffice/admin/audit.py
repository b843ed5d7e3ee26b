# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The audit trail, read-only: who changed which row when, old and new values."""

from __future__ import annotations

import json

from flask_admin.contrib.peewee.filters import FilterEqual
from markupsafe import Markup, escape

from ..i18n import _l
from ..models import AuditEntry
from .base import ScopedModelView

ACTION_CHOICES = [("create", _l("Created")), ("update", _l("Changed")), ("delete", _l("Deleted"))]


def _changes(view, context, model, name):
    rows = "".join(
        f"<tr><td>{escape(field)}</td><td>{escape(_show(old))}</td><td>{escape(_show(new))}</td>"
        "</tr>" for field, (old, new) in sorted(model.change_dict.items()))
    return Markup(f'<table class="table table-sm mb-0">{rows}</table>')


def _show(value):
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
    column_choices = {"action": ACTION_CHOICES}
    column_formatters_detail = {"changes": _changes}
    column_searchable_list = ("actor",)
    search_placeholder_text = _l("Who (login name)")
    column_filters = (FilterEqual(AuditEntry.action, _l("Action"), options=ACTION_CHOICES),
                      "table", "row_id", "at", "customer")
    column_sortable_list = ("at",)
    column_default_sort = ("at", True)


def register(admin):
    admin.add_view(AuditView(AuditEntry, name=_l("Audit trail"), endpoint="audit"))
