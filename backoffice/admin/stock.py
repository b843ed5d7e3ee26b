# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""Spare stock, staff leave and replacements.

* **Stock**: each office's quantities (a list per office, filterable), with a form to
  receive items and one to transfer them to another office; the **movements** log
  (read only: a movement is never edited); the list of **stock items** (headquarters').
* **Leave**: who is away from when until when; plain edits through the records service.
* **Replacements**: the list, and the three steps as forms (confirm for a ticket, ship
  with the new unit's serial, deliver), each calling :mod:`backoffice.services.replacements`.

Every screen is scoped like the others (another office's row id is a 404); every
change is a service call whose refusal is a message on the form.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..access import Action, may, visible
from ..clock import today
from ..forms import select_choices
from ..i18n import _, _l
from ..labels import (
    FIELD_LABELS,
    ReplacementSource,
    StockItemKind,
    StockMovementKind,
    choices,
    label,
)
from ..models import (
    Office,
    Product,
    Replacement,
    RuleViolation,
    Staff,
    StaffLeave,
    StockItem,
    StockLevel,
    StockMovement,
    Ticket,
)
from ..services import replacements as replacement_service
from ..services import stock as stock_service
from .base import ScopedModelView
from .customers import InOfficeCode

CATEGORY_CHOICES = choices(StockItemKind)
MOVEMENT_CHOICES = choices(StockMovementKind)
SOURCE_CHOICES = choices(ReplacementSource)
# the fields every screen names alike come from labels.FIELD_LABELS; these are this
# area's own
LABELS = {**FIELD_LABELS, "at": _l("When"), "step": _l("Next step"), "version": _l("Version"),
          "created_at": _l("Created"), "updated_at": _l("Updated")}


def _category(view, context, model, name):
    item = model if isinstance(model, StockItem) else model.item
    return label(item.category, StockItemKind)


def _movement(view, context, model, name):
    return label(model.movement, StockMovementKind)


def _signed(view, context, model, name):
    return f"{model.quantity:+d}"


class _MenuLinks:
    """A list with extra links in its menu bar (the stock forms, the confirm form)."""

    list_template = "admin/stock/list.html"

    def menu_links(self) -> list[tuple[str, str]]:
        return []


class _Form(FlaskForm):
    pass


def _render_form(view, form, title, submit, cancel):
    return view.render("admin/stock/form.html", form=form, title=title, submit=submit,
                       cancel=cancel)


def _refused(form, exc: RuleViolation) -> None:
    """A service's refusal as an error on its field (else on the form's first field)."""
    target = getattr(form, exc.field or "", None)
    if target is None or not hasattr(target, "errors"):
        target = next(f for f in form if f.name != "csrf_token")
    target.errors = [*target.errors, str(exc)]


def _office_choices(offices) -> list:
    return select_choices([(o.id, f"{o.code} {o.name}") for o in offices])


def _item_choices() -> list:
    items = StockItem.select().order_by(StockItem.category, StockItem.name)
    return select_choices([(i.id, f"{label(i.category, StockItemKind)}: {i.name}")
                           for i in items])


# -- stock -------------------------------------------------------------------------------

class ReceiveForm(_Form):
    office = SelectField(_l("Office"), coerce=int)
    item = SelectField(_l("Stock item"), coerce=int)
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(),
                                                        NumberRange(1, 9999)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class TransferForm(_Form):
    office = SelectField(_l("From office"), coerce=int)
    destination = SelectField(_l("To office"), coerce=int)
    item = SelectField(_l("Stock item"), coerce=int)
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(),
                                                        NumberRange(1, 9999)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class StockLevelView(_MenuLinks, ScopedModelView):
    """Each office's quantities; quantities move only through the forms (movements)."""

    can_create = can_edit = can_delete = False
    column_list = ("office", "category", "item", "quantity", "updated_at")
    column_details_list = ("office", "category", "item", "quantity", "version", "created_at",
                           "updated_at")
    column_export_list = ("office", "category", "item", "quantity")
    column_labels = LABELS
    column_formatters = {"category": _category}
    column_formatters_detail = column_formatters
    column_formatters_export = {"category": lambda v, c, m, n: m.item.category}
    column_filters = (InOfficeCode(StockLevel.office, _l("Office code")),
                      FilterEqual(StockItem.category, _l("Kind of item"),
                                  options=CATEGORY_CHOICES),
                      "quantity")
    column_searchable_list = (StockItem.name,)
    search_placeholder_text = _l("Stock item")
    column_sortable_list = ("quantity",)
    column_default_sort = [("office", False), ("item", False)]

    def menu_links(self):
        if not may(current_user, Action.CREATE, StockMovement):
            return []
        return [(url_for(".receive"), _("Receive")), (url_for(".transfer"), _("Transfer"))]

    @expose("/receive/", methods=("GET", "POST"))
    def receive(self):
        form = ReceiveForm()
        form.office.choices = _office_choices(visible(Office, current_user).order_by(Office.code))
        form.item.choices = _item_choices()
        if request.method == "POST" and form.validate():
            try:
                stock_service.receive(current_user, Office.get_by_id(form.office.data),
                                      StockItem.get_by_id(form.item.data),
                                      form.quantity.data, form.note.data or "")
            except RuleViolation as exc:
                _refused(form, exc)
            else:
                flash(_("Received %(n)d.", n=form.quantity.data), "success")
                return redirect(url_for(".index_view"))
        return _render_form(self, form, _("Receive into stock"), _("Receive"),
                            url_for(".index_view"))

    @expose("/transfer/", methods=("GET", "POST"))
    def transfer(self):
        form = TransferForm()
        form.office.choices = _office_choices(visible(Office, current_user).order_by(Office.code))
        form.destination.choices = _office_choices(Office.select().order_by(Office.code))
        form.item.choices = _item_choices()
        if request.method == "POST" and form.validate():
            try:
                stock_service.transfer(current_user, Office.get_by_id(form.office.data),
                                       Office.get_by_id(form.destination.data),
                                       StockItem.get_by_id(form.item.data),
                                       form.quantity.data, form.note.data or "")
            except RuleViolation as exc:
                _refused(form, exc)
            else:
                flash(_("Transferred %(n)d.", n=form.quantity.data), "success")
                return redirect(url_for(".index_view"))
        return _render_form(self, form, _("Transfer to another office"), _("Transfer"),
                            url_for(".index_view"))


class StockMovementView(ScopedModelView):
    """Every movement, newest first; never edited."""

    can_create = can_edit = can_delete = False
    column_list = ("at", "office", "item", "movement", "quantity", "balance", "other_office",
                   "ticket", "actor", "note")
    column_details_list = column_list
    column_export_list = column_list
    column_labels = LABELS
    column_formatters = {"movement": _movement, "quantity": _signed}
    column_formatters_detail = column_formatters
    column_formatters_export = {"movement": lambda v, c, m, n: m.movement}
    column_filters = (InOfficeCode(StockMovement.office, _l("Office code")),
                      FilterEqual(StockMovement.movement, _l("Movement"),
                                  options=MOVEMENT_CHOICES),
                      "at")
    column_sortable_list = ("at",)
    column_default_sort = ("at", True)


class StockItemView(ScopedModelView):
    """The items offices keep (headquarters edits; a product item names its product)."""

    column_list = ("category", "name", "product")
    column_details_list = ("category", "name", "product", "notes", "created_at", "updated_at")
    column_labels = LABELS
    column_choices = {"category": CATEGORY_CHOICES}
    column_searchable_list = ("name",)
    search_placeholder_text = _l("Name")
    column_filters = (FilterEqual(StockItem.category, _l("Kind of item"),
                                  options=CATEGORY_CHOICES),)
    column_sortable_list = ("category", "name")
    column_default_sort = [("category", False), ("name", False)]
    form_columns = ("category", "name", "product", "notes")
    form_overrides = {"category": SelectField}
    form_args = {"category": {"choices": CATEGORY_CHOICES},
                 "product": {"description": _l("Only for an item of kind product: the "
                                               "catalogue product kept for swaps.")}}


# -- leave ---------------------------------------------------------------------------------

class StaffLeaveView(ScopedModelView):
    column_list = ("staff", "starts_on", "ends_on", "reason")
    column_details_list = ("staff", "starts_on", "ends_on", "reason", "created_at",
                           "updated_at")
    column_labels = LABELS
    column_filters = ("starts_on", "ends_on")
    column_sortable_list = ("starts_on", "ends_on")
    column_default_sort = ("starts_on", True)
    form_columns = ("staff", "starts_on", "ends_on", "reason")
    form_overrides = {"starts_on": DateField, "ends_on": DateField}
    form_ajax_refs = {"staff": {"fields": ("name", "username"), "order_by": Staff.name,
                                "placeholder": _l("Name or login name")}}


# -- replacements ------------------------------------------------------------------------

class ConfirmForm(_Form):
    ticket = StringField(_l("Fault ticket"), validators=[InputRequired(), Length(max=32)])
    source = SelectField(_l("Comes from"), choices=select_choices(SOURCE_CHOICES),
                         default=ReplacementSource.FACTORY.value)
    stock_office = SelectField(_l("Stock of office"), coerce=int, validators=[Optional()])
    confirmed_on = DateField(_l("Confirmed on"), validators=[Optional()])
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=300)])


class ShipForm(_Form):
    serial = StringField(_l("New unit's serial number"), validators=[InputRequired(),
                                                                     Length(max=40)])
    product = SelectField(_l("Product"), coerce=int)
    shipped_on = DateField(_l("Shipped on"), validators=[Optional()])


class DeliverForm(_Form):
    delivered_on = DateField(_l("Delivered on"), validators=[Optional()])


def _step(view, context, model, name):
    """What comes next, with the link when the user may do it; a late one says by how much."""
    late = model.days_late(today())
    lateness = (Markup(' <span class="badge badge-danger late">{}</span>').format(
        _("%(n)d day(s) late", n=late)) if late else "")
    if model.delivered_on:
        done = _("Delivered") if not late else _("Delivered late")
        return Markup('<span class="step-done">{}</span>{}').format(done, lateness)
    if not may(current_user, Action.UPDATE, Replacement):
        return Markup("{}{}").format(_("Shipped") if model.shipped_on else _("Confirmed"),
                                     lateness)
    endpoint, text = ((".deliver", _("Record delivery")) if model.shipped_on
                      else (".ship", _("Record shipping")))
    return Markup('<a class="btn btn-sm btn-outline-primary" href="{}">{}</a>{}').format(
        url_for(endpoint, id=model.id), text, lateness)


class ReplacementView(_MenuLinks, ScopedModelView):
    can_create = can_edit = can_delete = False
    column_list = ("ticket", "faulty_unit", "new_unit", "source", "confirmed_on", "latest",
                   "shipped_on", "delivered_on", "step")
    column_details_list = ("ticket", "faulty_unit", "new_unit", "source", "stock_office",
                           "confirmed_on", "earliest", "latest", "window_by", "shipped_on",
                           "delivered_on", "step", "notes", "created_at", "updated_at")
    column_export_list = ("ticket", "faulty_unit", "new_unit", "source", "stock_office",
                          "confirmed_on", "earliest", "latest", "window_by", "shipped_on",
                          "delivered_on")
    column_labels = LABELS
    column_choices = {"source": SOURCE_CHOICES}
    column_formatters = {"step": _step}
    column_formatters_detail = column_formatters
    column_filters = (FilterEqual(Replacement.source, _l("Comes from"), options=SOURCE_CHOICES),
                      "confirmed_on", "latest", "delivered_on")
    column_sortable_list = ("confirmed_on", "latest", "delivered_on")
    column_default_sort = ("confirmed_on", True)

    def menu_links(self):
        if not may(current_user, Action.CREATE, Replacement):
            return []
        return [(url_for(".confirm"), _("Confirm a replacement"))]

    @expose("/confirm/", methods=("GET", "POST"))
    def confirm(self):
        form = ConfirmForm()
        form.stock_office.choices = _office_choices(
            visible(Office, current_user).order_by(Office.code))
        if request.method == "GET" and request.args.get("ticket"):
            form.ticket.data = request.args["ticket"]
        if request.method == "POST" and form.validate():
            number = form.ticket.data.strip().upper()
            ticket = visible(Ticket, current_user).where(Ticket.number == number).get_or_none()
            try:
                if ticket is None:
                    raise RuleViolation(_("No ticket numbered %(number)s.", number=number),
                                        "ticket", "not_found")
                stock_office = (Office.get_or_none(Office.id == form.stock_office.data)
                                if form.source.data == ReplacementSource.STOCK else None)
                replacement_service.confirm(current_user, ticket, source=form.source.data,
                                            stock_office=stock_office,
                                            confirmed_on=form.confirmed_on.data,
                                            notes=form.notes.data or "")
            except RuleViolation as exc:
                _refused(form, exc)
            else:
                flash(_("Replacement confirmed for %(number)s.", number=ticket.number),
                      "success")
                return redirect(url_for(".index_view"))
        return _render_form(self, form, _("Confirm a replacement"), _("Confirm"),
                            url_for(".index_view"))

    @expose("/ship/", methods=("GET", "POST"))
    def ship(self):
        replacement = self.get_one(request.args.get("id"))
        form = ShipForm()
        form.product.choices = select_choices(
            [(p.id, f"{p.model} {p.name} ({p.grade})")
             for p in Product.select().order_by(Product.model)])
        if request.method == "GET":
            form.product.data = replacement.faulty_unit.product_id
        elif form.validate():
            try:
                replacement_service.ship(current_user, replacement, serial=form.serial.data,
                                         product=Product.get_by_id(form.product.data),
                                         shipped_on=form.shipped_on.data)
            except RuleViolation as exc:
                _refused(form, exc)
            else:
                flash(_("Shipped."), "success")
                return redirect(url_for(".index_view"))
        return _render_form(self, form, _("Ship the replacement of %(serial)s",
                                          serial=replacement.faulty_unit.serial),
                            _("Save"), url_for(".index_view"))

    @expose("/deliver/", methods=("GET", "POST"))
    def deliver(self):
        replacement = self.get_one(request.args.get("id"))
        form = DeliverForm()
        if request.method == "POST" and form.validate():
            try:
                replacement_service.deliver(current_user, replacement,
                                            delivered_on=form.delivered_on.data)
            except RuleViolation as exc:
                _refused(form, exc)
            else:
                flash(_("Delivered: %(serial)s is in service in its place.",
                        serial=replacement.new_unit.serial), "success")
                return redirect(url_for(".index_view"))
        return _render_form(self, form, _("Deliver the replacement of %(serial)s",
                                          serial=replacement.faulty_unit.serial),
                            _("Save"), url_for(".index_view"))


def register(admin):
    category = _l("Stock")
    admin.add_view(StockLevelView(StockLevel, name=_l("Stock per office"), category=category,
                                  endpoint="stock"))
    admin.add_view(StockMovementView(StockMovement, name=_l("Stock movements"),
                                     category=category, endpoint="stock_movement"))
    admin.add_view(StockItemView(StockItem, name=_l("Stock items"), category=category,
                                 endpoint="stock_item"))
    admin.add_view(ReplacementView(Replacement, name=_l("Replacements"), category=category,
                                   endpoint="replacement"))
    admin.add_view(StaffLeaveView(StaffLeave, name=_l("Leave"), category=_l("Organisation"),
                                  endpoint="staff_leave"))
