"""Flask-Admin screens, grouped by domain; each module's ``register(admin)`` adds its views.

``ADMIN_MODULES`` is the fixed order of the menu.
"""

from __future__ import annotations

import importlib

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

ADMIN_MODULES = ["org", "customers", "products", "audit", "warranty", "rules"]


def init_app(app):
    from .base import HomeView
    admin = Admin(app, name="Service back-office", url="/admin", index_view=HomeView(),
                  theme=Bootstrap4Theme(swatch="cerulean"))
    for name in ADMIN_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(admin)
    app.extensions["backoffice_admin"] = admin
