"""The one base for every admin screen: access by role, office scoping, rule errors as form errors.

Domain views (``org.py``, ``customers.py``, ...) are declarative; everything a
screen does to rows goes through :class:`ScopedModelView`, which narrows every
path through :mod:`backoffice.scoping`:

* list, count and export (``get_query``), details / edit / delete by id
  (``get_one``: another office's id is a 404), the delete action (only scoped
  ids), the ajax look-ups behind ``form_ajax_refs`` (:class:`ScopedAjaxLoader`),
  and the relation pickers of create/edit forms (their query is narrowed, so a
  foreign id typed into a form is "Not a valid choice");
* every change goes through :mod:`backoffice.services.records`, which asks
  :mod:`backoffice.access` (the role may, the row is visible, and after the
  save it still is: an office manager cannot move a record to another office)
  and writes with its audit row in one transaction; a refusal is a form error.

Roles: ``read_roles`` open the screen; what a role may change there is the
access module's matrix; anything else gets a 403 on every write endpoint.

An export holds every row of the narrowed list or nothing: above
``EXPORT_MAX_ROWS`` rows (counted with a LIMIT, so the count stays cheap) it is
refused with a message on the list, never cut short silently.

Large tables stay fast: the count is capped (``count_cap``), foreign keys shown
in a list are loaded in one query per column, OFFSET is never deeper than
``max_page_depth`` pages (the last pages are read in reverse order), and the
search can use an index (``column_search_prefix``: exact/prefix match on
normalised upper-case codes).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from functools import reduce
from typing import ClassVar
from urllib.parse import quote

from flask import abort, current_app, flash, g, has_app_context, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader
from flask_admin.contrib.peewee.form import save_inline
from flask_admin.model import typefmt
from flask_admin.model.fields import AjaxSelectField
from flask_admin.model.template import (
    BaseListRowAction,
    DeleteRowAction,
    EditRowAction,
    ViewRowAction,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape
from peewee import (
    OP,
    SQL,
    Expression,
    Field,
    ForeignKeyField,
    IntegrityError,
    NodeList,
    SelectQuery,
)
from peewee import DateField as DateColumn
from wtforms import DateField as DateInput
from wtforms import HiddenField, ValidationError
from wtforms.validators import Optional
from wtfpeewee.fields import ModelSelectField, SelectQueryField

from ..access import Action, may, may_read_screen, scoped
from ..db import database, is_postgres, is_sqlite
from ..forms import select_choices
from ..i18n import _, _l
from ..labels import TABLE_LABELS, Role, table_label, yes_no
from ..models import RuleViolation
from ..services import records
from .export import ExportMixin
from .filters import StrictFilterConverter
from .formatting import time_cell, time_detail

#: columns every audited table has; never edited through a form
BOOKKEEPING = ("version", "created_at", "updated_at")
__all__ = ["BOOKKEEPING", "TABLE_LABELS", "ScopedModelView", "SecureView", "parse_id",
           "table_label", "yes_no"]


def _bool_list_formatter(view, value, name):
    """Flask-Admin's check/minus icon, with a translated tooltip (not "active: true")."""
    icon = "fa-check-circle" if value else "fa-minus-circle"
    title = f"{view.get_column_name(name)}: {yes_no(value)}"
    return Markup(f'<span class="fa {icon}" title="{escape(title)}"></span>')


def _bool_detail_formatter(view, value, name):
    return yes_no(value)


#: the largest id any table can hold (64-bit; PostgreSQL's serial ids stop at 2**31 - 1,
#: and comparing one with a larger number just finds nothing)
ID_MAX = 2**63 - 1
#: the largest version a row can reach (an ``IntegerField``: PostgreSQL's ``integer``)
VERSION_MAX = 2**31 - 1
#: an id as this site writes it: ASCII digits, no sign, no leading zero, no spaces
_ID = re.compile(r"[1-9][0-9]{0,18}")


def strict_id(value, highest: int = ID_MAX) -> int | None:
    """An id from outside (a URL, a form, an ajax call, an action's row ids) as an int, or
    ``None``: only ASCII digits as this site writes them, from 1 to ``highest``.
    ``int()`` alone takes "１" (full-width), " 1", "+1" and "1_0", and numbers no
    database column holds."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= highest else None


def parse_id(value):
    """A primary key from a URL or form (:func:`strict_id`), or a 404: an id that cannot
    exist is a missing page, never a stack trace (``?id=abc``, ``?id=１``, ``?id=2**64``)."""
    number = strict_id(value)
    if number is None:
        abort(404)
    return number


class AccessMixin:
    """Who may open a screen: ``read_roles`` see it (what they may change there is the
    access module's matrix, asked per model and action)."""

    read_roles: tuple[str, ...] = tuple(Role)

    def is_accessible(self):
        return may_read_screen(current_user, self.read_roles)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class HomeView(AccessMixin, AdminIndexView):
    pass


class SecureView(AccessMixin, BaseView):
    """A custom (non-model) admin page."""


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in text)


class StrictModelSelectField(ModelSelectField):
    """A relation picker (wtfpeewee's) that reads a submitted id as :func:`strict_id` does,
    among the rows the user may see; anything else is "Not a valid choice". wtfpeewee's
    own hands the raw text to the query while the form is built: "１" finds row 1, 2**63
    overflows SQLite, "abc" is a 500 on PostgreSQL."""

    def get_model(self, pk):
        pk = strict_id(pk)
        if pk is None:
            return None
        query = scoped(self.query, self.model, current_user)
        return query.where(self.model._meta.primary_key == pk).get_or_none()

    def pre_validate(self, form):
        # an id that named no row stays as the text sent (and, after a form filter, is
        # looked up again by wtfpeewee with that text): refuse it here
        if self.data is not None and not isinstance(self.data, self.model):
            raise ValidationError(self.gettext("Not a valid choice."))
        super().pre_validate(form)


def _resolved_choice(form, field):
    """An ajax picker that may be empty (a unit's site) drops an id it cannot find and
    saves "none"; a submitted id must name a row the user may pick, or be refused."""
    sent = (field.raw_data or [""])[0]
    if sent not in ("", "__None") and field.data is None:
        raise ValidationError(field.gettext("Not a valid choice"))


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """The look-up behind a ``form_ajax_refs`` picker: only rows the user may see."""

    def __init__(self, name, model, **options):
        self.order_by = options.pop("order_by", None)
        super().__init__(name, model, **options)

    def _query(self):
        return scoped(self.model.select(), self.model, current_user)

    #: the look-up pages through at most this many rows; a deeper offset finds nothing
    max_offset = 10_000
    #: a longer search term finds nothing (no field it searches is this long)
    max_term = 200

    def get_one(self, pk):
        """The row behind a submitted id (:func:`strict_id`), or ``None``: the form then
        says "Not a valid choice"."""
        pk = strict_id(pk)
        if pk is None:
            return None
        return self._query().where(self.model._meta.primary_key == pk).get_or_none()

    def get_list(self, term, offset=0, limit=10):
        # Flask-Admin passes int(offset) and int(limit), or None for garbage: any size
        offset = offset if isinstance(offset, int) and offset > 0 else 0
        limit = min(max(limit, 1), 50) if isinstance(limit, int) else 10
        term = (term or "").strip()
        if offset > self.max_offset or len(term) > self.max_term or _has_control(term):
            return []
        query = self._query()
        if term:
            matches = [f.contains(term) for f in self._cached_fields]
            query = query.where(reduce(operator.or_, matches))
        query = query.order_by(self.order_by or self._cached_fields[0])
        return list(query.offset(offset).limit(limit))


class VersionField(HiddenField):
    """The version the user saw; the view hands it to the model's optimistic lock."""

    def populate_obj(self, obj, name):
        pass  # applied by ScopedModelView.update_model, as an int


class PageRowAction(BaseListRowAction):
    """A row action whose HTML is made once per page, the row's id put in by ``str.replace``.

    Flask-Admin renders its view, edit and delete icons through a Jinja macro per row
    and action, with a ``url_for`` per link and, for delete, a form of WTForms fields
    (id, url, CSRF token) in every row: 36-37 % of a list page's CPU. Here a link is
    ``url_for`` once with a placeholder id, and delete is a plain submit button that
    names the page's one delete form (``form="delete-form"``, in
    ``admin/scoped/list.html``, which carries the return URL and the CSRF token) and
    sends the row's id as its own value: no JavaScript per row. An instance lives for
    one page (``get_list_row_actions`` makes new ones for every request).
    """

    ID = "__row_id__"

    def __init__(self, title, endpoint=None, icon=""):
        super().__init__(title)
        self.endpoint, self.icon = endpoint, icon
        self._html = None

    def _page_html(self, context):
        title = escape(self.title or "")
        if self.endpoint is None:  # delete: a button of the page's delete form
            return Markup(f'<button type="submit" form="delete-form" name="id" '
                          f'value="{self.ID}" class="icon" title="{title}">'
                          f'<span class="{self.icon}"></span></button>')
        url = context.resolve("get_url")(self.endpoint, id=self.ID,
                                         url=context.resolve("return_url"))
        return Markup(f'<a class="icon" href="{escape(url)}" title="{title}">'
                      f'<span class="{self.icon}"></span></a>')

    def render(self, context, row_id, row):
        if self._html is None:
            self._html = self._page_html(context)
        value = str(row_id)
        value = str(escape(value)) if self.endpoint is None else quote(value, safe="")
        return Markup(self._html.replace(self.ID, value))


class ScopedModelView(ExportMixin, AccessMixin, ModelView):
    """A model screen: every row it reads or writes is narrowed by office scoping."""

    list_template = "admin/scoped/list.html"
    can_view_details = True
    column_display_pk = False
    details_modal = False
    # booleans read 是/否 (list: an icon with that tooltip; exports too, see export.py)
    # stored UTC times read in the center's zone, to the minute (formatting.py)
    column_type_formatters: ClassVar[dict] = {
        **typefmt.BASE_FORMATTERS, bool: _bool_list_formatter, dt.datetime: time_cell}
    column_type_formatters_detail: ClassVar[dict] = {
        **typefmt.DETAIL_FORMATTERS, bool: _bool_detail_formatter, dt.datetime: time_detail}

    #: filters named by column take only values every database compares without an error
    filter_converter = StrictFilterConverter()
    #: the count stops here; above it the list says "10,000+"
    count_cap = 10_000
    #: OFFSET never goes deeper than this many pages from either end
    max_page_depth = 200
    #: searchable code columns matched exactly/by prefix on the upper-cased term (uses an index)
    column_search_prefix: tuple[str, ...] = ()
    #: placeholder of the search box
    search_placeholder_text = None
    #: URL arguments that narrow the list to one parent, e.g. {"customer": "customer"}
    list_narrow_args: ClassVar[dict[str, str]] = {}

    # -- roles: the access module's matrix -------------------------------------

    # Properties, so a domain view may still say ``can_delete = False`` declaratively.
    @property
    def can_create(self):
        return may(current_user, Action.CREATE, self.model)

    @property
    def can_edit(self):
        return may(current_user, Action.UPDATE, self.model)

    @property
    def can_delete(self):
        return may(current_user, Action.DELETE, self.model)

    _NEEDS: ClassVar[dict[str, str]] = {
        "create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
        "ajax_update": "can_edit", "details_view": "can_view_details", "export": "can_export",
    }

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        needed = self._NEEDS.get(name)
        if needed and not getattr(self, needed):
            abort(403)
        if name == "ajax_lookup" and not (self.can_create or self.can_edit):
            abort(403)
        if name == "action_view" and not any(
                self.is_action_allowed(a) for a in request.form.getlist("action") or [""]):
            abort(403)
        return None

    # -- settings from the app -------------------------------------------------

    @property
    def page_size(self):
        return current_app.config.get("PAGE_SIZE", 50) if has_app_context() else 50

    # -- reading: every path is scoped -----------------------------------------

    def scoped_select(self):
        return scoped(self.model.select(), self.model, current_user)

    def get_query(self):
        query = self.scoped_select()
        for arg, field_name in self.list_narrow_args.items():
            value = request.args.get(arg) if request else None
            if value:
                query = query.where(getattr(self.model, field_name) == parse_id(value))
        return query

    def get_one(self, id):
        row = self.scoped_select().where(
            self.model._meta.primary_key == parse_id(id)).get_or_none()
        if row is None:
            abort(404)  # another office's row and a missing row look the same
        return row

    def _get_filter_groups(self):
        """Flask-Admin's filters for the list's filter menu, with their names and options
        made text: once per language (they are fixed when the view is made; only their
        translation differs)."""
        drawn = self.__dict__.setdefault("_filter_groups_drawn", {})
        locale = str(get_locale())
        if locale not in drawn:
            drawn[locale] = super()._get_filter_groups()
        return drawn[locale]

    def search_placeholder(self):
        if self.search_placeholder_text:
            return str(self.search_placeholder_text)
        names = [self.get_column_name(f.name) for f in self._search_fields]
        return ", ".join(str(n) for n in names) or None

    def _search(self, query, search, joins=None):
        joins = set() if joins is None else joins
        for field in self._search_fields:  # a related model's field needs its join
            query = self._handle_join(query, field, joins)
        for word in search.split():
            conditions = []
            for field in self._search_fields:
                if field.name in self.column_search_prefix:
                    conditions.append(self._prefix_match(field, word.strip().upper()))
                else:
                    conditions.append(field.contains(word))  # escapes % and _
            query = query.where(reduce(operator.or_, conditions))
        return query

    @staticmethod
    def _prefix_match(field, prefix):
        if is_postgres():
            # a varchar_pattern_ops index (migration 003) serves LIKE 'PREFIX%' in any collation
            return Expression(field, OP.LIKE, field._escape_like_expr(prefix, "%s%%"))
        # SQLite compares bytes: the range is exactly "starts with", and uses the index
        return (field >= prefix) & (field < prefix + "\uffff")

    def _order(self, sort_column, sort_desc):
        if sort_column in self._sortable_columns:  # an unsortable column in the URL: ignored
            order = [(self._sortable_columns[sort_column], bool(sort_desc))]
        else:
            order = self._get_default_order() or []
        fields = [(getattr(self.model, f) if isinstance(f, str) else f, d) for f, d in order]
        pk = self.model._meta.primary_key
        if not fields or not (fields[-1][0] is pk or getattr(fields[-1][0], "unique", False)):
            # a tie-breaker makes pages stable and the reversed last page an exact mirror
            fields.append((pk, fields[-1][1] if fields else False))
        return fields

    def _capped_count(self, query):
        counted = query.order_by().limit(self.count_cap + 1).count()
        return counted if counted <= self.count_cap else None

    @classmethod
    def _walk_in_order(cls, node):
        """``node`` (a WHERE) with each ``column IN (sub-select)`` kept out of SQLite's
        choice of index: SQLite's unary ``+`` on the column.

        Office scoping is such a term (``customer_id IN (SELECT id FROM customer WHERE
        office_id = ?)``). SQLite may use it as the index key, through the (customer,
        ...) indexes: read every row the office may see and sort them all for one
        page. It does when its statistics (averages: customers per office, units per
        customer) make an office's rows look few, as in tests/test_query_plans.py's
        database, whatever the office's real share. :meth:`get_list` applies this to
        the page query when the count went over the cap, i.e. the rows are many: the
        page then walks the order's index and checks the sub-select per row (0.4 ms
        for the first 50 of an office's million units), as SQLite chose by itself in
        the benches' databases. Counts keep the indexed term; PostgreSQL picks
        between the two from its statistics (with histograms).
        """
        if not isinstance(node, Expression):
            return node
        if node.op == OP.IN and isinstance(node.lhs, Field) and isinstance(node.rhs, SelectQuery):
            return Expression(NodeList((SQL("+"), node.lhs), glue=""), OP.IN, node.rhs)
        if node.op in (OP.AND, OP.OR):
            return Expression(cls._walk_in_order(node.lhs), node.op,
                              cls._walk_in_order(node.rhs), node.flat)
        return node

    def _narrowed_query(self, search, filters):
        """The scoped query with the list's search and filters applied (the list and export)."""
        query = self.get_query()
        joins: set[str] = set()
        if self._search_supported and search:
            query = self._search(query, search, joins)
        if self._filters and filters:
            for index, _name, value in filters:
                flt = self._filters[index]
                query = self._handle_join(query, flt.column, joins)
                query = flt.apply(query, flt.clean(value))
        return query, joins

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        query, joins = self._narrowed_query(search, filters)
        count = self._capped_count(query)
        if count is None and is_sqlite():  # many rows: walk the order's index
            query = query.clone()
            query._where = self._walk_in_order(query._where)
        page_size = self.page_size if page_size is None else page_size
        page = page or 0
        reverse = False
        if page < 0 and page_size:
            if count is not None:  # small enough: the real last page
                page = max(0, math.ceil(count / page_size) + page)
            else:  # large: the last pages are the first pages of the reversed order
                reverse = True
        offset = ((-page - 1) if reverse else page) * page_size
        if page_size and offset > self.max_page_depth * page_size:
            flash(_("Only the first and last %(n)d pages can be opened; search or filter "
                    "to narrow the list.", n=self.max_page_depth), "info")
            offset = self.max_page_depth * page_size

        order = self._order(sort_column, sort_desc)
        clauses = []
        for field, desc in order:
            query = self._handle_join(query, field, joins)
            clauses.append(field.asc() if desc == reverse else field.desc())
        query = query.order_by(*clauses)
        if page_size:
            query = query.limit(page_size).offset(offset or None)

        g.scoped_list = {"count": count, "cap": self.count_cap, "page": page,
                         "reverse": reverse, "page_size": page_size, "offset": offset}
        if not execute:
            return count, query
        rows = list(query)
        if reverse:
            rows.reverse()
        self._load_related(rows)
        g.scoped_list["rows"] = len(rows)
        return count, rows

    #: Flask-Admin's own row actions, rendered once per page instead (see PageRowAction)
    _PAGE_ROW_ACTIONS: ClassVar[dict] = {
        ViewRowAction: (".details_view", "fa fa-eye glyphicon glyphicon-eye-open"),
        EditRowAction: (".edit_view", "fa fa-pencil glyphicon glyphicon-pencil"),
        DeleteRowAction: (None, "fa fa-trash glyphicon glyphicon-trash"),
    }

    def get_list_row_actions(self):
        """Flask-Admin's row actions (what the role may do, then ``column_extra_row_actions``)
        with its own view, edit and delete made cheap; any other action, a view's extra
        ones or a popup, renders as Flask-Admin renders it."""
        actions = []
        for row_action in super().get_list_row_actions():
            page = self._PAGE_ROW_ACTIONS.get(type(row_action))
            actions.append(PageRowAction(row_action.title, *page) if page else row_action)
        return actions

    #: (database class, model, field, number of ids) -> the SQL of their look-up
    _related_sql: ClassVar[dict] = {}

    @classmethod
    def _related_rows(cls, field, ids):
        """The rows of ``field``'s model whose ``field.rel_field`` is in ``ids`` (at most 512).

        The SQL is built once per model, field and power of two of the number of ids (the
        list padded with its last id): building it costs several times running it.
        """
        size = 1 << (len(ids) - 1).bit_length()
        padded = [*ids, *[ids[-1]] * (size - len(ids))]
        model = field.rel_model
        key = (type(database.obj), model, field.rel_field.name, size)
        sql = cls._related_sql.get(key)
        if sql is None:
            sql, _params = model.select().where(field.rel_field.in_(padded)).sql()
            cls._related_sql[key] = sql
        return model.raw(sql, *padded)

    def _load_related(self, rows):
        """One query per foreign-key column shown, instead of one per row."""
        names = {name for name, _label in self._list_columns}
        names |= {name for name, _label in getattr(self, "_export_columns", [])}
        for name in names:
            field = self.model._meta.fields.get(name)
            if not isinstance(field, ForeignKeyField):
                continue
            ids = {row.__data__.get(name) for row in rows} - {None}
            related = {}
            ids = sorted(ids)
            for start in range(0, len(ids), 512):
                for obj in self._related_rows(field, ids[start:start + 512]):
                    related[obj.get_id()] = obj
            for row in rows:
                value = row.__data__.get(name)
                if value in related:
                    row.__rel__[name] = related[value]

    # -- forms -------------------------------------------------------------------

    def __init__(self, model, *args, **kwargs):
        # Flask-Admin reads form settings when it builds its cache in __init__: give
        # this instance its effective ones first (instance attributes, the documented
        # way to configure a view): bookkeeping columns are never typed in, labels
        # follow column_labels (translated), choices become WTForms SelectChoice.
        self.form_excluded_columns = tuple(self.form_excluded_columns or ()) + BOOKKEEPING
        args_ = {name: {"label": label} for name, label in (self.column_labels or {}).items()}
        for name, options in (self.form_args or {}).items():
            if "choices" in options:
                options = {**options, "choices": select_choices(options["choices"])}
            args_[name] = {**args_.get(name, {}), **options}
        self.form_args = args_
        # a date is typed with the browser's own picker (<input type="date">, in the
        # reader's locale), not Flask-Admin's script picker on a text box
        self.form_overrides = {**{name: DateInput for name, field in model._meta.fields.items()
                                  if isinstance(field, DateColumn)},
                               **(self.form_overrides or {})}
        # inline rows never type bookkeeping columns either
        self.inline_models = tuple(self._inline_options(e) for e in self.inline_models or ())
        super().__init__(model, *args, **kwargs)

    @staticmethod
    def _inline_options(entry):
        model, options = (entry, {}) if isinstance(entry, type) else entry
        # a list: Flask-Admin adds the reverse relation to it
        excluded = [*(options.get("form_excluded_columns") or ()), *BOOKKEEPING]
        # a new inline row has no id yet: its hidden id field must be allowed empty
        args = {**(options.get("form_args") or {})}
        pk = model._meta.primary_key.name
        args[pk] = {**args.get(pk, {}), "validators": [Optional()]}
        return model, {**options, "form_excluded_columns": excluded, "form_args": args}

    def scaffold_form(self):
        form_class = super().scaffold_form()
        for unbound in vars(form_class).values():  # relation pickers read ids strictly
            if getattr(unbound, "field_class", None) is ModelSelectField:
                unbound.field_class = StrictModelSelectField
        if "version" in self.model._meta.fields:
            form_class.version = VersionField()
        return form_class

    def _narrow_pickers(self, form):
        for field in form:
            if isinstance(field, SelectQueryField):
                field.query = scoped(field.query, field.model, current_user)
            elif isinstance(field, AjaxSelectField):
                field.validators = [*field.validators, _resolved_choice]
        return form

    def create_form(self, obj=None):
        return self._narrow_pickers(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._narrow_pickers(super().edit_form(obj))

    def _create_ajax_loader(self, name, options):
        field = getattr(self.model, name)
        return ScopedAjaxLoader(name, field.rel_model, **options)

    # -- writing: every change goes through the services -------------------------

    def handle_view_exception(self, exc):
        """A refused change is a message on the page, never a 500 (Flask-Admin's own hook)."""
        if isinstance(exc, RuleViolation):
            flash(_(str(exc)), "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(_("This change conflicts with an existing record (a number or code "
                    "already in use, or a missing link)."), "error")
            return True
        return super().handle_view_exception(exc)

    def _seen_version(self, form):
        """The version the user edited (raw_data: .data would fall back to the row's own)."""
        if "version" not in form:
            return None
        seen = strict_id((form.version.raw_data or [None])[0], highest=VERSION_MAX)
        if seen is None:  # missing, garbled ("abc", "１", "1e3") or beyond any version
            raise RuleViolation(_("This form was opened without a version; reload the record "
                                  "and apply your change again."), code="stale")
        return seen

    def _save(self, form, model, is_created):
        """Fill ``model`` from the form and hand it to the records service; a refusal is a
        form error on its field and a message."""
        try:
            form.populate_obj(model)
            seen = None if is_created else self._seen_version(form)
            self._on_model_change(form, model, is_created)
            # inline rows (``inline_models``) are saved in the same transaction, as
            # Flask-Admin's own create_model saves them after the parent
            records.save(current_user, model, seen_version=seen,
                         parts=lambda: save_inline(form, model))
        except Exception as exc:
            field = getattr(exc, "field", None)
            if isinstance(exc, RuleViolation) and field and field in form and isinstance(
                    form[field].errors, list):
                form[field].errors.append(_(str(exc)))
            if not self.handle_view_exception(exc):
                raise
            return False
        self.after_model_change(form, model, is_created)
        return True

    def create_model(self, form):
        model = self.model()
        return model if self._save(form, model, True) else False

    def update_model(self, form, model):
        return self._save(form, model, False)

    def delete_model(self, model):
        try:
            self.on_model_delete(model)
            records.delete(current_user, model)
        except IntegrityError:
            flash(_("This record is still referred to by other records."), "error")
            return False
        except Exception as exc:
            if not self.handle_view_exception(exc):
                raise
            return False
        self.after_model_delete(model)
        return True

    @action("delete", _l("Delete"), _l("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        pk = self.model._meta.primary_key
        wanted = [parse_id(i) for i in ids]
        count = 0
        for row in self.scoped_select().where(pk.in_(wanted)):  # never another office's row
            if self.delete_model(row):
                count += 1
        if count:
            flash(_("%(count)d record(s) deleted.", count=count), "success")
