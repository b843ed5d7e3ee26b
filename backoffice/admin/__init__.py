"""Flask-Admin screens, grouped by domain (stub)."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme


def init_app(app):
    admin = Admin(app, name="Service back-office", url="/admin",
                  theme=Bootstrap4Theme(swatch="cerulean"))
    app.extensions["backoffice_admin"] = admin
