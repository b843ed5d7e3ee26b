"""What every admin page shares beyond Flask-Admin's own: the formats of times, dates
and money (:mod:`.formatting`, as Jinja filters) and the admin's layout for error pages.

An error page (403, 404, ...) for a logged-in user is drawn inside the admin's
layout, menu, language switch and "Log out" included, so a refusal is not a dead
end: ``errors/error.html`` asks :func:`error_layout` for the admin's template
context. Pages rendered by the admin's views pass their own, which wins (Flask
merges a context processor's values under the ones a view passes). A server
error (500, 503) keeps the plain layout: drawing the menu must not be one more
thing that can fail then.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_admin import babel as admin_babel
from flask_admin import helpers as admin_helpers
from flask_login import current_user
from markupsafe import Markup

from . import formatting


def _view_of_request(admin):
    """The admin view the request was for (its section stays highlighted), else home."""
    blueprint = request.blueprint if has_request_context() else None
    for view in admin._views:
        if blueprint and getattr(view, "endpoint", None) == blueprint:
            return view
    return admin.index_view


def error_layout(code: int | None = None) -> dict:
    """The admin's template context for an error page, or ``{}`` (plain layout): not
    logged in, a server error, or no admin on this app."""
    admin = current_app.extensions.get("backoffice_admin")
    if admin is None or (code or 500) >= 500 or not has_request_context():
        return {}
    if not current_user.is_authenticated:
        return {}
    view = _view_of_request(admin)
    return {"admin_view": view, "admin_base_template": admin.theme.base_template,
            "admin_csp_nonce_attribute": Markup(""), "_gettext": admin_babel.gettext,
            "_ngettext": admin_babel.ngettext, "h": admin_helpers, "get_url": view.get_url,
            "theme": admin.theme}


def init_app(app, admin) -> None:
    formatting.init_app(app)
    app.jinja_env.globals.update(error_layout=error_layout)


__all__ = ["error_layout", "init_app"]
