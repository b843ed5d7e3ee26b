# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""Offices and staff. Only administrators change them; everyone else reads their own office."""

from __future__ import annotations

from flask_admin.contrib.peewee.filters import FilterEqual
from wtforms import PasswordField, SelectField
from wtforms.validators import Optional

from ..i18n import _l
from ..labels import Role, choices
from ..models import Office, Staff
from .base import ScopedModelView

ROLE_CHOICES = choices(Role)
LANGUAGE_CHOICES = [("", _l("Follow the browser")), ("en", "English"), ("zh_Hans_CN", "简体中文")]


class OfficeView(ScopedModelView):
    column_list = ("code", "name", "city", "province", "phone", "latitude", "longitude")
    column_details_list = ("code", "name", "city", "province", "address", "phone", "latitude",
                           "longitude", "created_at", "updated_at")
    column_labels = {"code": _l("Code"), "name": _l("Name"), "city": _l("City"),
                     "province": _l("Province"), "address": _l("Address"), "phone": _l("Phone"),
                     "latitude": _l("Latitude"), "longitude": _l("Longitude"),
                     "version": _l("Version"), "created_at": _l("Created"),
                     "updated_at": _l("Updated")}
    column_searchable_list = ("code", "name", "city")
    column_search_prefix = ("code",)
    search_placeholder_text = _l("Office code, name or city")
    column_filters = ("city", "province")
    column_sortable_list = ("code", "name", "city", "province")
    column_default_sort = "code"


class StaffView(ScopedModelView):
    column_list = ("name", "username", "role", "office", "phone", "active")
    column_details_list = ("name", "username", "role", "office", "skills", "phone", "email",
                           "language", "active", "head_of_service", "created_at", "updated_at")
    column_export_list = ("name", "username", "role", "office", "skills", "phone", "email",
                          "active")
    column_labels = {"name": _l("Name"), "username": _l("Login name"), "role": _l("Role"),
                     "office": _l("Office"), "skills": _l("Skills"), "phone": _l("Phone"),
                     "email": _l("E-mail"), "language": _l("Language"), "active": _l("Active"),
                     "head_of_service": _l("Head of service"), "password": _l("New password"),
                     "version": _l("Version"), "created_at": _l("Created"),
                     "updated_at": _l("Updated")}
    column_choices = {"role": ROLE_CHOICES, "language": LANGUAGE_CHOICES}
    column_searchable_list = ("name", "username")
    search_placeholder_text = _l("Name or login name")
    column_filters = (FilterEqual(Staff.role, _l("Role"), options=ROLE_CHOICES), "active")
    column_sortable_list = ("name", "username", "role", "active")
    column_default_sort = "name"
    form_columns = ("name", "username", "role", "office", "skills", "phone", "email",
                    "language", "active", "head_of_service")
    form_overrides = {"role": SelectField, "language": SelectField}
    form_args = {"role": {"choices": ROLE_CHOICES}, "language": {"choices": LANGUAGE_CHOICES},
                 "head_of_service": {"description": _l(
                     "Gets the escalation of a breach that has lasted (the terms' "
                     "head_after_hours), with headquarters' service department.")}}
    form_extra_fields = {"password": PasswordField(_l("New password"),
                                                   validators=[Optional()])}

    def on_model_change(self, form, model, is_created):
        # the hash is never shown nor typed; a new password is hashed (and other sessions end)
        if form.password.data:
            model.set_password(form.password.data)


def register(admin):
    admin.add_view(OfficeView(Office, name=_l("Offices"), category=_l("Organisation"),
                              endpoint="office"))
    admin.add_view(StaffView(Staff, name=_l("Staff"), category=_l("Organisation"),
                             endpoint="staff"))
