"""What every admin page shares beyond Flask-Admin's own: the formats of times, dates
and money (:mod:`.formatting`, as Jinja filters) and the admin's layout for error pages.

An error page (403, 404, ...) for a logged-in user is drawn inside the admin's
layout, menu, language switch and "Log out" included, so a refusal is not a dead
end: ``errors/error.html`` asks :func:`error_layout` for the admin's template
context. Pages rendered by the admin's views pass their own, which wins (Flask
merges a context processor's values under the ones a view passes). A server
error (500, 503) keeps the plain layout: drawing the menu must not be one more
thing that can fail then.

Two parts of the layout are the same for every request that would draw them
alike, and are drawn once (:func:`drawn_menu`, :func:`static_url`; issue 7,
item 15: a list page's CPU): the menu, for one role, language, highlighted view
and script root (a view whose ``is_accessible`` or ``is_visible`` is its own, not
the role's, is asked on every request and its answer is part of the key); and the
URLs of Flask-Admin's static files, for one script root.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_admin import BaseView
from flask_admin import babel as admin_babel
from flask_admin import helpers as admin_helpers
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from . import formatting
from .base import AccessMixin

#: app.extensions key of the drawn parts; at most DRAWN_MAX of them are kept
DRAWN = "backoffice_drawn"
DRAWN_MAX = 1000


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


def _drawn(key, draw):
    """The part ``key`` drawn before in this app, else ``draw()``, kept."""
    drawn = current_app.extensions.setdefault(DRAWN, {})
    part = drawn.get(key)
    if part is None:
        part = Markup(draw())
        if len(drawn) >= DRAWN_MAX:
            drawn.clear()
        drawn[key] = part
    return part


def _asks_by_role(view) -> bool:
    """True when what the menu shows of ``view`` follows from the user's role alone."""
    cls = type(view)
    return (isinstance(view, AccessMixin) and cls.is_accessible is AccessMixin.is_accessible
            and cls.is_visible is BaseView.is_visible)


def drawn_menu(admin_view, caller):
    """The admin's menu (``caller()``: Flask-Admin's ``layout.menu()``), drawn once per
    role, language, highlighted view and script root.

    Every view's ``is_accessible`` is :class:`AccessMixin`'s (signed in, active, a role
    among its ``read_roles``) unless it says otherwise; those that do are asked here.
    """
    user = current_user
    who = (user.role, bool(user.is_active)) if user.is_authenticated else None
    own = tuple(bool(view.is_accessible() and view.is_visible())
                for view in admin_view.admin._views if not _asks_by_role(view))
    key = ("menu", who, own, str(get_locale()), admin_view.endpoint, request.script_root)
    return _drawn(key, caller)


def static_url(admin_view, **arguments) -> Markup:
    """Flask-Admin's ``admin/static.html`` ``url()``: a static file's URL (escaped for
    HTML, as ``{{ }}`` would), built once per script root."""
    endpoint = f"{admin_view.admin.endpoint}.static"
    key = ("static", endpoint, tuple(sorted(arguments.items())), request.script_root)
    return _drawn(key, lambda: escape(admin_view.get_url(endpoint, **arguments)))


def init_app(app, admin) -> None:
    formatting.init_app(app)
    app.jinja_env.globals.update(error_layout=error_layout, drawn_menu=drawn_menu,
                                 static_url=static_url)


__all__ = ["drawn_menu", "error_layout", "init_app", "static_url"]
