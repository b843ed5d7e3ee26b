"""What every API blueprint has: the bearer token check, JSON errors, no caching."""

from __future__ import annotations

from flask_smorest import Blueprint

from . import bearer, errors


def _not_cached(response):
    response.headers["Cache-Control"] = "no-store"  # personal data, and tokens' answers
    return response


def api_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """A flask-smorest blueprint whose every route needs a token and answers errors in JSON
    (set up once, when the module is imported: Flask allows no set-up after registering)."""
    blueprint = Blueprint(name, import_name, **options)
    blueprint.before_request(bearer.authenticate)
    blueprint.after_request(_not_cached)
    errors.register(blueprint)
    return blueprint
