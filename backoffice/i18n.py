"""Languages: English and Simplified Chinese (stub; completed with the translations)."""

from flask import request
from flask_babel import Babel

from .config import LANGUAGES


def select_locale():
    from flask import current_app
    return request.accept_languages.best_match(LANGUAGES) or current_app.config[
        "DEFAULT_LANGUAGE"]


def init_app(app):
    Babel(app, locale_selector=select_locale)
