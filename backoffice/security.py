"""CSRF protection, security headers and friendly error pages.

* :data:`csrf` (Flask-WTF's ``CSRFProtect``) checks every POST, PUT, PATCH and
  DELETE: forms carry a ``csrf_token`` field, scripts an ``X-CSRFToken`` header.
  A missing or wrong token gets a 400 page that says what to do, never a traceback.
* Every response carries ``X-Frame-Options: DENY``, ``X-Content-Type-Options:
  nosniff``, a ``Referrer-Policy`` and a ``Content-Security-Policy`` (see
  :data:`CONTENT_SECURITY_POLICY`); pages for logged-in users are not cached.
* 400, 403, 404, 405, 429 and 500 render ``errors/error.html`` in the user's language.
"""

from __future__ import annotations

from flask import render_template, request
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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


def init_app(app):
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(InternalServerError, _handle_server_error)
    for code in (400, 403, 404, 405, 429):
        app.register_error_handler(code, _handle_http_error)

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
