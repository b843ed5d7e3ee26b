"""CSRF protection, security headers and friendly error pages.

* :data:`csrf` (Flask-WTF's ``CSRFProtect``) checks every POST, PUT, PATCH and
  DELETE: forms carry a ``csrf_token`` field, scripts an ``X-CSRFToken`` header.
  A missing or wrong token gets a 400 page that says what to do, never a traceback.
* Every response carries ``X-Frame-Options: DENY``, ``X-Content-Type-Options:
  nosniff``, a ``Referrer-Policy`` and a ``Content-Security-Policy`` (see
  :data:`CONTENT_SECURITY_POLICY`); pages for logged-in users are not cached.
* 400, 403, 404, 405, 429, 500 and 503 render ``errors/error.html`` in the user's language.
* A database that stayed locked (:func:`backoffice.db.is_lock_timeout`,
  :class:`~backoffice.db.DatabaseBusy`) is a 503 page asking to try again, never
  a 500: the doors map it to a form message themselves, this is the fallback.
* Redirects stay on this site. Every response's ``Location`` is checked here,
  whoever made it (Flask-Admin's ``url=``, the login's ``next=``, the language
  switch, the referrer, Flask's own): an off-site one becomes the admin home.
  Flask-Admin has no single hook for its return targets (each view calls
  ``flask_admin.helpers.get_redirect_target`` itself, and its ``is_safe_url``
  lets ``http:x`` through, which werkzeug writes as ``http:///x`` and browsers
  follow to host ``x``), so the check is central. A ``url=`` that is not a
  path on this site is also dropped before any view sees it, so no page links it.
* A number in a URL's path (``<int:...>``) is ASCII digits within 64 bits, else
  the page does not exist (404): werkzeug's own converter takes "１" (full-width)
  as 1 and any size of number, which SQLite's driver cannot bind.
* A NUL byte in the address or a submitted form is a 400 that says so, before any
  view runs: PostgreSQL refuses NUL in every text parameter (a 500 from whichever
  query meets it first), SQLite would store it. The admin's record forms are the
  exception: their text fields are checked by the models (a form error on the
  field, :meth:`backoffice.models.core.BaseModel.check_fields`).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError
from peewee import DatabaseError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import BuildError, IntegerConverter

from .db import DatabaseBusy, busy_message, is_lock_timeout
from .i18n import _

csrf = CSRFProtect()

#: Everything comes from this site: Flask-Admin's CSS, JS and fonts are served by
#: the app itself. Flask-Admin's templates use inline ``onclick`` handlers, inline
#: scripts and ``style`` attributes, so scripts and styles need 'unsafe-inline';
#: what the policy still forbids: any other origin, plugins, <base> rewriting,
#: forms posting elsewhere and being framed.
CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(CSP_DIRECTIVES)

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _messages(code: int) -> tuple[str, str]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        403: (_("Access denied"), _("Your account may not open this page or change this "
                                    "record. Ask an administrator if you need access.")),
        404: (_("Not found"), _("This page or record does not exist, or it is not "
                                "available to your account.")),
        405: (_("Not allowed"), _("This page cannot be used this way.")),
        429: (_("Too many requests"), _("Please wait a moment and try again.")),
        500: (_("Something went wrong"), _("The server could not complete your request. "
                                           "Nothing was saved; please try again, and tell an "
                                           "administrator if it happens again.")),
        503: (_("Busy"), busy_message()),
    }.get(code, (_("Error"), _("The request could not be completed.")))


def render_error(code: int, message: str | None = None):
    title, default_message = _messages(code)
    return render_template("errors/error.html", title=title,
                           message=message or default_message, code=code), code


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def _handle_http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    if _wants_json():
        return {"error": _messages(exc.code)[0]}, exc.code
    # abort(code, "message") passes a message meant for the user; the defaults are werkzeug's
    message = exc.description if exc.description != type(exc).description else None
    return render_error(exc.code, message)


def _handle_csrf_error(exc: CSRFError):
    message = _("This form has expired or did not come from this site, so nothing was "
                "saved. Go back, reload the page and try again.")
    if _wants_json():
        return {"error": message}, 400
    return render_error(400, message)


def _handle_server_error(exc: InternalServerError):
    return render_error(500)


def _handle_database_error(exc: Exception):
    """A lock timeout is a 503 "busy, try again"; any other database error stays a 500."""
    if not is_lock_timeout(exc):
        raise exc  # Flask logs it and answers with the 500 page
    message = str(exc) if isinstance(exc, DatabaseBusy) else busy_message()
    if _wants_json():
        response = {"error": message}, 503, {"Retry-After": "2"}
    else:
        body, code = render_error(503, message)
        response = body, code, {"Retry-After": "2"}
    return response


# -- numbers in paths -----------------------------------------------------------

class StrictIntegerConverter(IntegerConverter):
    """``<int:...>`` with ASCII digits only and, unless a rule says otherwise, at most
    2**63 - 1 (the largest id any table holds)."""

    regex = r"[0-9]+"
    signed_regex = r"-?[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# -- NUL bytes -------------------------------------------------------------------

#: Flask-Admin's record forms: the model checks each field and the form says which one
_FIELD_CHECKED_VIEWS = (".create_view", ".edit_view")


def _refuse_nul():
    """A NUL byte in any argument or form value (or its name) is refused with a 400."""
    sources = [request.args]
    if request.method not in ("GET", "HEAD") and not (
            request.endpoint or "").endswith(_FIELD_CHECKED_VIEWS):
        sources.append(request.form)
    for values in sources:
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, _("The request contains a NUL character (U+0000), which no page "
                             "takes; nothing was changed. Remove it and try again."))


# -- redirects --------------------------------------------------------------------

def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)


def is_local_target(target) -> bool:
    """Is ``target`` a path on this site ("/admin/..."), safe to redirect or link to?

    Only a path rooted at one "/" qualifies: no scheme (``http:x``,
    ``javascript:``), no host (``//x``, ``///x``), no backslash (browsers read
    one as a slash) and no control character (browsers drop tabs and newlines
    inside a URL, so "/", tab, "/x" would become ``//x``).
    """
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 4000:
        return False
    if target.startswith("//") or "\\" in target or _has_control(target):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def _same_origin(location: str) -> bool:
    """A ``Location`` that stays here: a local path, or this very scheme and host."""
    if is_local_target(location):
        return True
    if "\\" in location or _has_control(location):
        return False
    try:
        parts = urlsplit(location)
        here = urlsplit(request.host_url)
        return (parts.scheme.lower(), parts.netloc.lower()) == (here.scheme, here.netloc.lower()) \
            and is_local_target(parts.path or "/")
    except ValueError:  # e.g. a bad port or IPv6 literal
        return False


def _drop_foreign_return_target():
    """A ``url=`` (Flask-Admin's return target) that leaves the site is refused before any view.

    A GET is sent to the same page without it; any other method is a 400 (no
    form of this site posts one).
    """
    values = request.args.getlist("url")
    if request.method not in ("GET", "HEAD"):
        values += request.form.getlist("url")
    if all(is_local_target(value) for value in values):
        return None
    if request.method not in ("GET", "HEAD"):
        abort(400)
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "url"]
    return redirect(request.script_root + request.path + (f"?{urlencode(kept)}" if kept else ""))


def _keep_redirects_local(response):
    location = response.headers.get("Location")
    if location is not None and not _same_origin(location):
        try:
            response.headers["Location"] = url_for("admin.index")
        except BuildError:  # an app without the admin
            response.headers["Location"] = "/"
    return response


def init_app(app):
    # before any blueprint or view adds its rules (the app factory calls this first)
    app.url_map.converters["int"] = StrictIntegerConverter
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(InternalServerError, _handle_server_error)
    app.register_error_handler(DatabaseBusy, _handle_database_error)
    app.register_error_handler(DatabaseError, _handle_database_error)
    for code in (400, 403, 404, 405, 429):
        app.register_error_handler(code, _handle_http_error)
    app.before_request(_refuse_nul)
    app.before_request(_drop_foreign_return_target)
    app.after_request(_keep_redirects_local)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("ENV") == "production":
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        if request.endpoint and not request.endpoint.endswith("static"):
            from flask_login import current_user
            if current_user.is_authenticated:
                response.headers.setdefault("Cache-Control", "no-store")
        return response
