"""Flask-Admin screens, grouped by domain; each module's ``register(admin)`` adds its views.

``ADMIN_MODULES`` is the fixed order of the menu.
"""

from __future__ import annotations

import importlib

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from ..i18n import _l

ADMIN_MODULES = ["org", "customers", "products", "audit", "warranty", "rules"]


def init_app(app):
    from .home import DashboardView
    admin = Admin(app, name=_l("Service back-office"), url="/admin", index_view=DashboardView(),
                  theme=Bootstrap4Theme(swatch="cerulean"))
    for name in ADMIN_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(admin)
    app.extensions["backoffice_admin"] = admin
