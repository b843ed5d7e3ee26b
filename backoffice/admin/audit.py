# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""The audit trail, read-only: who changed which row when, old and new values.

Entries store what they link by id (a unit's ``contract``); people read names:
every screen that shows an entry's changes (the details page here, the customer
file's timeline) resolves them with
:func:`backoffice.services.customer_file.linked_names`, one query per linked
table. Bookkeeping (version, created/updated times, the password hash, the
session generation) is not a change anyone reads, and is left out.

Times are stored in UTC and shown in the service center's zone
(:mod:`backoffice.admin.formatting`); the list's time filters take local times too.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from flask import current_app, has_app_context, url_for
from flask_admin.contrib.peewee.filters import (
    DateTimeBetweenFilter,
    DateTimeGreaterFilter,
    DateTimeSmallerFilter,
    FilterEqual,
)
from flask_login import current_user
from markupsafe import Markup, escape
from peewee import BooleanField, DateTimeField, DecimalField
from werkzeug.routing import BuildError

from ..access import visible
from ..clock import zone
from ..i18n import _, _l
from ..labels import (
    FIELD_LABELS,
    TABLE_LABELS,
    VALUE_LISTS,
    AuditAction,
    choices,
    field_label,
    table_label,
    value_label,
    yes_no,
)
from ..models import AuditEntry, Customer, Office
from ..services.customer_file import linked_names, links_of, model_of
from .base import ScopedModelView
from .filters import ByCode
from .formatting import lazy_zone_header, local_minute, money, number, time_tag

ACTION_CHOICES = choices(AuditAction)

#: never shown as a change: bookkeeping, secrets, the session generation
INTERNAL_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "password_hash",
                             "session_epoch"})
#: what a "created" line names, per table (the rest is on the entry's page); a table
#: not listed names the records it links and its fixed-list values (a state, a kind)
CREATED_SHOWS = {
    "customer": ("industry", "office"),
    "site": ("city", "province"),
    "contact": ("title", "phone"),
    "contract": ("signed_on", "value", "status"),
    "unit": ("product", "contract", "site", "status"),
    "staff": ("role", "office"),
    "office": ("city",),
    "product": ("grade",),
}
#: a value longer than this is cut in a one-line summary
SHORT_VALUE = 60
#: the records whose screens have a details page, by table (the admin's endpoints)
RECORD_ENDPOINTS = ("office", "staff", "customer", "site", "contact", "contract", "product",
                    "unit")


def _pair(value) -> list:
    """A change's ``[old, new]`` (a malformed one: nothing known)."""
    return (value + [None, None])[:2] if isinstance(value, list) else [None, None]


def _field(table: str, name: str):
    model = model_of(table)
    return model._meta.fields.get(name) if model is not None else None


#: the default name of a record whose model gives none ("TicketPause #20"): not a name
UNNAMED = re.compile(r"[A-Z]\w* #\d+")


def _named(text: str, table: str) -> str:
    """A record's name, or its table's label where the record has no name of its own."""
    return table_label(table) if UNNAMED.fullmatch(text or "") else text


def _label(table: str, name: str) -> str:
    """A field's name for people: the audit trail's own list, else the label its screen
    gives it, else the field's name."""
    if name in FIELD_LABELS:
        return field_label(name)
    admin = current_app.extensions.get("backoffice_admin") if has_app_context() else None
    model = model_of(table)
    view = next((v for v in (admin._views if admin else ())
                 if model is not None and getattr(v, "model", None) is model
                 and name in (getattr(v, "column_labels", None) or {})), None)
    return str(view.column_labels[name]) if view is not None else name


def _default_shown(table: str) -> set[str]:
    """What a "created" line of an unlisted table names: its links and fixed-list values."""
    return set(links_of(table)) | {field for (t, field) in VALUE_LISTS if t == table}


def show_value(table: str, name: str, value, names: dict, *, currency=None,
               short: bool = False) -> str:
    """One stored value of ``table.name`` as people read it: a linked record by its
    name, a fixed-list code by its label, a time in the center's zone, money with
    its currency, yes/no."""
    if value is None or value == "":
        return "—"
    target = links_of(table).get(name)
    if target is not None:
        found = names.get((target, value))
        return _named(found, target) if found else _("(not available)")
    if isinstance(value, str):
        shown = value_label(table, name, value)
        if shown is not None:
            return shown
    field = _field(table, name)
    if isinstance(value, bool) or isinstance(field, BooleanField):
        return yes_no(value)
    if isinstance(field, DateTimeField) and isinstance(value, str):
        try:
            return local_minute(value)
        except ValueError:
            return value
    if table == "contract" and name == "value":
        return money(value, currency)
    if isinstance(field, DecimalField):
        return number(value) or str(value)
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    if short and len(value) > SHORT_VALUE:
        return value[:SHORT_VALUE - 1] + "…"
    return value


def _ordered(table: str, changes: dict) -> list[str]:
    """The changed fields in the model's own order (unknown ones last, by name)."""
    model = model_of(table)
    order = {n: i for i, n in enumerate(model._meta.sorted_field_names)} if model else {}
    return sorted(changes, key=lambda n: (order.get(n, len(order)), n))


def _currency(changes: dict):
    pair = changes.get("currency")
    return pair[-1] if isinstance(pair, list) and pair else None


def describe_entry(entry, names: dict, *, in_file_of: int | None = None) -> dict:
    """An entry as one readable line: what was done to which record, and the fields
    that matter (names, labels, local times); ``in_file_of``: the customer whose file
    shows it (its own name is not repeated)."""
    changes = entry.change_dict
    currency = _currency(changes)
    parts = []
    if entry.action == AuditAction.UPDATE:
        for name in _ordered(entry.table, changes):
            if name in INTERNAL_FIELDS:
                continue
            old, new = _pair(changes[name])
            parts.append({"label": _label(entry.table, name),
                          "old": show_value(entry.table, name, old, names,
                                            currency=currency, short=True),
                          "new": show_value(entry.table, name, new, names,
                                            currency=currency, short=True)})
    elif entry.action == AuditAction.CREATE:
        shown = CREATED_SHOWS.get(entry.table) or _default_shown(entry.table)
        for name in _ordered(entry.table, changes):
            if name in INTERNAL_FIELDS or name not in shown:
                continue
            value = _pair(changes[name])[1]
            if value in (None, "", False, "{}", [], {}):
                continue
            if name == "customer" and value == in_file_of:
                continue
            text = show_value(entry.table, name, value, names, currency=currency, short=True)
            if text != entry.summary:
                parts.append({"label": _label(entry.table, name), "value": text})
    summary = "" if UNNAMED.fullmatch(entry.summary or "") else entry.summary
    return {"id": entry.id, "who": entry.actor, "when": local_minute(entry.at),
            "at": entry.at, "action": label_of_action(entry.action),
            "action_code": entry.action, "table": table_label(entry.table),
            "summary": summary, "record_url": record_url(entry) if summary else None,
            "parts": parts}


def label_of_action(action: str) -> str:
    return str(dict(ACTION_CHOICES).get(action, action))


def record_url(entry) -> str | None:
    """The details page of the record an entry is about (none once it is deleted)."""
    if entry.table not in RECORD_ENDPOINTS or entry.action == AuditAction.DELETE:
        return None
    try:
        return url_for(f"{entry.table}.details_view", id=entry.row_id)
    except BuildError:
        return None


def describe(view, entries, names: dict | None = None, *, in_file_of=None) -> list[dict]:
    """Entries as a timeline shows them, one line each (names: see ``linked_names``)."""
    if names is None:
        names = linked_names(current_user, entries)
    return [describe_entry(entry, names, in_file_of=in_file_of) for entry in entries]


def _changes(view, context, model, name):
    """An entry's changes as a small table: field labels, linked records by name, value
    labels and local times (bookkeeping left out)."""
    table = model.table
    changes = model.change_dict
    names = linked_names(current_user, [model])
    currency = _currency(changes)
    shown = [f for f in _ordered(table, changes) if f not in INTERNAL_FIELDS - {"password_hash"}]
    rows = "".join(
        f"<tr><td>{escape(_label(table, field))}</td>"
        + "".join(f"<td>{escape(show_value(table, field, value, names, currency=currency))}</td>"
                  for value in _pair(changes[field]))
        + "</tr>" for field in shown)
    head = (f"<thead><tr><th>{escape(_('Field'))}</th><th>{escape(_('Before'))}</th>"
            f"<th>{escape(_('After'))}</th></tr></thead>")
    return Markup(f'<table class="table table-sm mb-0 audit-changes">{head}{rows}</table>')


def _summary(view, context, model, name):
    summary = _named(model.summary, model.table)
    url = record_url(model) if summary == model.summary else None
    if url is None:
        return summary
    return Markup('<a href="{}">{}</a>').format(url, summary)


def _office(view, context, model, name):
    if model.office is None:
        return "—"
    office = visible(Office, current_user).where(Office.id == model.office).get_or_none()
    return office.name if office is not None else _("(not available)")


def _customer(view, context, model, name):
    if model.customer is None:
        return "—"
    customer = visible(Customer, current_user).where(Customer.id == model.customer).get_or_none()
    if customer is None:
        return _("(not available)")
    try:
        return Markup('<a href="{}">{}</a>').format(
            url_for("customer.details_view", id=customer.id), str(customer))
    except BuildError:
        return str(customer)


def _when_cell(view, context, model, name):
    return local_minute(model.at)


def _when_detail(view, context, model, name):
    return time_tag(model.at)


def _when_export(view, context, model, name):
    """Aware (UTC): the export writes it as the center's wall clock, a real time cell."""
    return model.at.replace(tzinfo=dt.UTC) if model.at is not None else None


#: the screen's endpoint (registered below)
ENDPOINT = "audit"


def customer_trail_url(view, customer) -> str | None:
    """The audit list filtered to one customer's entries, by the customer's code."""
    if not view.is_accessible():
        return None
    return url_for(f"{ENDPOINT}.index_view", flt0_customer_code_equals=customer.code)


class LocalTimeMixin:
    """A time filter whose values are typed in the service center's zone (the column
    holds UTC): ``2026-11-26 09:00:00`` means 09:00 in Asia/Shanghai."""

    @staticmethod
    def to_utc(value: dt.datetime) -> dt.datetime:
        try:
            return value.replace(tzinfo=zone()).astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # the first or last representable day: the open end
            return dt.datetime.min if value.year == dt.MINYEAR else dt.datetime.max

    def clean(self, value):
        cleaned = super().clean(value)
        if isinstance(cleaned, list):
            return [self.to_utc(v) for v in cleaned]
        return self.to_utc(cleaned)


class AfterFilter(LocalTimeMixin, DateTimeGreaterFilter):
    pass


class BeforeFilter(LocalTimeMixin, DateTimeSmallerFilter):
    pass


class BetweenFilter(LocalTimeMixin, DateTimeBetweenFilter):
    pass


WHEN = lazy_zone_header(_l("When"))


class AuditView(ScopedModelView):
    """Scoped by the office recorded with each entry (``AuditEntry.office_filter``)."""

    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("at", "actor", "action", "table", "summary")
    column_details_list = ("at", "actor", "action", "table", "summary", "changes",
                           "office", "customer")
    column_export_list = ("at", "actor", "action", "table", "row_id", "summary", "changes")
    column_labels = {"at": WHEN, "actor": _l("Who"), "action": _l("Action"),
                     "table": _l("Table"), "row_id": _l("Row"), "summary": _l("Record"),
                     "changes": _l("Changes"), "office": _l("Office"),
                     "customer": _l("Customer")}
    column_choices = {"action": ACTION_CHOICES, "table": list(TABLE_LABELS.items())}
    column_formatters = {"at": _when_cell, "summary": _summary}
    # exports keep real cells: the time (as the center's wall clock), the plain summary
    column_formatters_export = {"at": _when_export}
    column_formatters_detail = {"at": _when_detail, "changes": _changes, "summary": _summary,
                                "office": _office, "customer": _customer}
    column_searchable_list = ("actor",)
    search_placeholder_text = _l("Who (login name)")
    # readable filter arguments (flt0_customer_code_equals=ACME), so a link names its filter
    named_filter_urls = True
    column_filters = (FilterEqual(AuditEntry.action, _l("Action"), options=ACTION_CHOICES),
                      "table", "row_id",
                      AfterFilter(AuditEntry.at, WHEN), BeforeFilter(AuditEntry.at, WHEN),
                      BetweenFilter(AuditEntry.at, WHEN),
                      ByCode(AuditEntry.customer, _l("Customer code"), Customer.code))
    column_sortable_list = ("at",)
    column_default_sort = ("at", True)


def register(admin):
    admin.add_view(AuditView(AuditEntry, name=_l("Audit trail"), endpoint=ENDPOINT))


__all__ = ["CREATED_SHOWS", "INTERNAL_FIELDS", "AuditView", "customer_trail_url", "describe",
           "describe_entry", "show_value"]
