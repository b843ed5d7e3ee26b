"""Who is calling: ``Authorization: Bearer <token>``, and nothing else.

A session cookie is never looked at: a browser that is logged in to the admin
still gets a 401 here, so a page on another site cannot make a logged-in
browser act through the API (and CSRF, which guards the cookie, does not
apply). The token's owner becomes the request's user (Flask-Login's
``current_user``, so messages follow their language) and every route passes
them to the services, which scope and check exactly as they do for the admin.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import refresh

from ..i18n import _
from ..services import tokens
from .errors import ApiError

#: the answer's header on every 401 (RFC 6750)
REALM = 'Bearer realm="backoffice"'


def authenticate() -> None:
    """The blueprint's ``before_request``: refuse (401) unless a live token is sent."""
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthenticated",
                       _("Send your API token: Authorization: Bearer <token>. The API "
                         "accepts no cookies."), headers={"WWW-Authenticate": REALM})
    found = tokens.authenticate(secret.strip())
    if found is None:
        raise ApiError(401, "invalid_token",
                       _("This API token is unknown or revoked, or its account cannot "
                         "log in."),
                       headers={"WWW-Authenticate": REALM + ', error="invalid_token"'})
    g.api_user, g.api_token = found
    # Flask-Login's user of this request is the token's owner, never the session's
    # (auth.py's per-request reset pops the same name)
    g._login_user = g.api_user
    refresh()  # the language follows the user (if anything chose one before)


def current() -> object:
    """The token's owner, for the routes to pass to the services."""
    return g.api_user
