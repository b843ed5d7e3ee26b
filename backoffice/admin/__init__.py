"""Flask-Admin screens, grouped by domain; each module's ``register(admin)`` adds its views.

:data:`ADMIN_MODULES` is the fixed order of the menu; rule plugins may add views
through the ``admin_views`` hook (at the end of the menu).
"""

from __future__ import annotations

from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme

from ..access import sees_all_offices
from ..i18n import _l
from ..labels import role_label
from . import (
    audit,
    calendars,
    customers,
    dashboard,
    layout,
    notices,
    org,
    products,
    rules,
    stock,
    tickets,
    warranty,
)
from .home import DashboardView

ADMIN_MODULES = [org, customers, products, audit, warranty, rules, calendars, stock, tickets,
                 notices, dashboard]


def init_app(app):
    admin = Admin(app, name=_l("Service back-office"), url="/admin", index_view=DashboardView(),
                  theme=Bootstrap4Theme(swatch="cerulean", fluid=True))  # the full width
    for module in ADMIN_MODULES:
        module.register(admin)
    rules.register_plugin_views(admin, accept=lambda view: isinstance(view, BaseView))
    app.jinja_env.globals.update(sees_all_offices=sees_all_offices, role_label=role_label)
    app.extensions["backoffice_admin"] = admin
    layout.init_app(app, admin)
