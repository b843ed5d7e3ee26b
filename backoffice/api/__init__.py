"""The JSON API for call centres and integrators: ``/api/v1/...``, described at ``/api/openapi.json``.

Built with flask-smorest (marshmallow schemas, OpenAPI 3 drawn from them):
it mounts as blueprints on the app the admin already runs on, where APIFlask
would replace the ``Flask`` class itself. The routes are doors like the admin's
screens: each parses its input, calls a service with the token's owner as the
user, and shows the result; scoping, roles and every rule are the services'.

* ``/api/v1/tickets`` (open, read, list, reply / dispatch / arrive / restore /
  close / reopen / cancel / pause / resume), ``/api/v1/units/<serial>`` (and its
  ``/warranty``), ``/api/v1/me``: :mod:`.tickets`, :mod:`.units`;
* authentication: ``Authorization: Bearer <token>`` only (:mod:`.bearer`); cookies
  are ignored, so CSRF protection, which guards the cookie, is off for these blueprints;
* errors: JSON with a stable code, the message and the fields at fault (:mod:`.errors`),
  for every status, unknown paths under ``/api`` included;
* docs: the OpenAPI document at ``/api/openapi.json`` and Swagger UI at ``/api/docs``,
  its files served from ``static/vendor/swagger-ui`` (nothing from a CDN).

The screen where people make and revoke their tokens is :mod:`backoffice.admin.tokens`,
added to the admin here, with the API it serves.
"""

from __future__ import annotations

from flask_smorest import Api

from ..admin import tokens as token_screen
from ..security import csrf
from . import errors, tickets, units
from .schemas import ErrorSchema

#: where the API lives; every path under it answers in JSON
PREFIX = "/api"
BLUEPRINTS = (tickets.blp, units.blp, units.me)

DESCRIPTION = """\
The back-office's fault tickets, units and warranty for call centres and integrators.

Authenticate with a personal API token (make one in the back-office under
*API tokens*): `Authorization: Bearer bo_...`. A token acts as its owner, with
their role and offices; cookies are not accepted. Times are ISO 8601; a time
without an offset is the service center's local time. Errors are
`{"code", "message", "errors"}` with a stable code and the fields at fault.
"""


class BackofficeApi(Api):
    """flask-smorest's ``Api`` with the back-office's error shape and no app-wide handler."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """flask-smorest would answer every HTTP error of the whole app in JSON; the
        admin keeps its pages, and the API's blueprints have their own (:mod:`.errors`)."""


def init_app(app) -> None:
    swagger_files = (app.static_url_path or "/static") + "/vendor/swagger-ui/"
    app.config.update(
        API_TITLE="Service back-office API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=swagger_files,
        # no call to swagger.io's validator: the page works offline
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None, "persistAuthorization": False},
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "components": {"securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A personal API token: bo_ and 43 characters."}}},
            "security": [{"bearer": []}],
        },
    )
    api = BackofficeApi(app)
    # flask-smorest adds an "openapi" command group; the document is served at
    # /api/openapi.json, and every command of `backoffice` is one this project keeps
    app.cli.commands.pop("openapi", None)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.before_request(errors.routing_error(PREFIX))
    app.extensions["backoffice_api"] = api
    token_screen.register(app.extensions["backoffice_admin"])
