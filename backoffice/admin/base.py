"""The one base for every admin screen: access by role, office scoping, rule errors as form errors.

(Skeleton: the admin work fills in scoping of every path; the interface below is fixed.)
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.peewee import ModelView
from flask_login import current_user

from ..models import Role


class AccessMixin:
    """Who may open a screen: ``read_roles`` see it, ``edit_roles`` change through it."""

    read_roles: tuple[str, ...] = Role.ALL
    edit_roles: tuple[str, ...] = Role.EDITORS

    def is_accessible(self):
        return current_user.is_authenticated and current_user.role in self.read_roles

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        from flask import abort
        abort(403)


class HomeView(AccessMixin, AdminIndexView):
    pass


class SecureView(AccessMixin, BaseView):
    """A custom (non-model) admin page."""


class ScopedModelView(AccessMixin, ModelView):
    """A model screen: every row it reads or writes is narrowed by office scoping."""
