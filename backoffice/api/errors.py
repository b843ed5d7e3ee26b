"""Every refusal of the API is JSON: ``{"code", "message", "errors"}``, never an HTML page.

* ``code`` is stable (a program branches on it): the services' refusal codes
  (``illegal_transition``, ``in_future``, ``not_found``, ``stale``, ``forbidden``,
  ...) and the API's own (``unauthenticated``, ``invalid_token``, ``invalid``,
  ``bad_request``, ``method_not_allowed``, ``server_error``, ``busy``, ...);
* ``message`` is for people, in the token owner's language;
* ``errors`` names the request's fields and what is wrong with each
  (``{"serial": ["No unit with serial number SN-X."]}``), empty when no field is to blame.

Statuses: 400 a body that is not JSON, 401 no or no valid token, 403 the role
or the assignment does not allow it, 404 nothing there (or not among what the
token's owner may see: another office's ticket is a 404, exactly like a
missing one), 405, 409 the ticket's state or version does not allow the step,
422 a field is wrong (the schemas' checks and the services' refusals naming a
field), 503 the database stayed busy (try again), 500 a fault of ours.
"""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from peewee import DatabaseError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from ..access import AccessDenied
from ..db import DatabaseBusy, busy_message, is_lock_timeout
from ..i18n import _
from ..models import ConcurrentEditError, RuleViolation

#: the services' refusal codes that say the ticket's state forbids the step (409)
CONFLICT_CODES = frozenset({"illegal_transition", "too_late", "unchanged", "stale", "deleted"})


class ApiError(Exception):
    """A refusal the API makes itself (no service was asked, or none could answer)."""

    def __init__(self, status: int, code: str, message: str, errors=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = errors or {}
        self.headers = headers or {}


def payload(status: int, code: str, message: str, errors=None, headers=None):
    body = {"code": code, "message": str(message), "errors": _plain_errors(errors or {})}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _plain_errors(errors) -> dict[str, list[str]]:
    """marshmallow's nested messages (lists, dicts by index or key, lazy strings) as
    ``{field: [message, ...]}``."""
    flat: dict[str, list[str]] = {}

    def walk(value, into):
        if isinstance(value, dict):
            for item in value.values():
                walk(item, into)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, into)
        else:
            into.append(str(value))
    for field, value in errors.items():
        name = "body" if field in ("_schema", "json") else str(field)
        walk(value, flat.setdefault(name, []))
    return flat


def _field_names() -> dict[str, str]:
    """The route's names for the services' field names (``reply_text`` is ``text``)."""
    return getattr(g, "api_fields", {})


def _rule_violation(exc: RuleViolation):
    if isinstance(exc, AccessDenied):
        status = 403
    elif isinstance(exc, ConcurrentEditError) or exc.code in CONFLICT_CODES:
        status = 409
    else:
        status = 422
    errors = {}
    if exc.field:
        errors[_field_names().get(exc.field, exc.field)] = [str(exc)]
    return payload(status, exc.code, str(exc), errors)


def _api_error(exc: ApiError):
    return payload(exc.status, exc.code, exc.message, exc.errors, exc.headers)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request could not be understood.")),
        401: ("unauthenticated", _("Send your API token: Authorization: Bearer <token>.")),
        403: ("forbidden", _("You are not allowed to do this.")),
        404: ("not_found", _("There is no such resource, or it is not among what your "
                             "account may see.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        406: ("not_acceptable", _("The API answers in JSON only.")),
        409: ("conflict", _("The request conflicts with the resource's current state.")),
        413: ("too_large", _("The request is too large.")),
        415: ("unsupported_media_type", _("Send the body as application/json.")),
        422: ("invalid", _("Some fields are not valid.")),
        429: ("too_many_requests", _("Please wait a moment and try again.")),
        500: ("server_error", _("The server could not complete your request. Nothing was "
                                "saved; please try again, and tell an administrator if it "
                                "happens again.")),
        503: ("busy", busy_message()),
    }


def http_error(exc: HTTPException):
    status = exc.code or 500
    code, message = _messages().get(status, (_snake(exc.name), exc.description or ""))
    data = getattr(exc, "data", None) or {}  # webargs' abort: the fields' messages
    errors = data.get("messages") or data.get("errors") or {}
    if status == 400 and isinstance(errors.get("json"), list):
        message = _("The request body is not valid JSON.")
        errors = {"body": [message]}
    elif status == 422:
        errors = {field: value for location in errors.values() if isinstance(location, dict)
                  for field, value in location.items()} or errors
    headers = {}
    if status == 405:
        allow = dict(exc.get_headers()).get("Allow")
        if allow:
            headers["Allow"] = allow
    return payload(status, code, message, errors, headers)


def _snake(name: str) -> str:
    return "_".join(name.lower().split())


def server_error(exc):
    current_app.logger.error("API request %s %s failed", request.method, request.path,
                             exc_info=getattr(exc, "original_exception", None) or exc)
    return http_error(InternalServerError())


def database_error(exc: Exception):
    """A lock wait that ran out is a 503 "busy, try again"; any other is ours (500)."""
    if not is_lock_timeout(exc):
        raise exc
    message = str(exc) if isinstance(exc, DatabaseBusy) else busy_message()
    return payload(503, "busy", message, headers={"Retry-After": "2"})


def register(blueprint) -> None:
    """JSON for every error raised inside ``blueprint``'s routes (Flask looks for a
    handler by status code first, the blueprint's before the app's HTML pages)."""
    blueprint.register_error_handler(RuleViolation, _rule_violation)
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(DatabaseBusy, database_error)
    blueprint.register_error_handler(DatabaseError, database_error)
    for status in default_exceptions:
        if status >= 400:
            blueprint.register_error_handler(status, server_error if status == 500
                                             else http_error)
    blueprint.register_error_handler(HTTPException, http_error)


def routing_error(prefix: str):
    """An app-level ``before_request``: a path under ``prefix`` that matches no route (404)
    or not with this method (405) is answered in JSON too. Flask raises such errors only
    when the request is dispatched, after the ``before_request`` functions, and outside any
    blueprint, so the blueprint's handlers never see them."""
    def check():
        exc = request.routing_exception
        if exc is None or not isinstance(exc, HTTPException) or (exc.code or 0) < 400:
            return None
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return http_error(exc)
        return None
    return check
