"""Languages: English and Simplified Chinese.

Use :func:`_` (``gettext``) for messages made while serving someone and
:func:`_l` (``lazy_gettext``) for labels declared at import time. Both work
outside a request too (CLI, worker): then the default language applies.
"""

from __future__ import annotations

from flask import current_app, has_app_context, has_request_context, request
from flask_babel import Babel, gettext, lazy_gettext

from .config import LANGUAGES


def _(text: str, **variables) -> str:
    if has_app_context():
        return gettext(text, **variables)
    return text % variables if variables else text


_l = lazy_gettext


def select_locale():
    # (completed by the i18n work: user setting, then browser, then default)
    if not has_request_context():  # CLI and worker
        return current_app.config["DEFAULT_LANGUAGE"]
    return request.accept_languages.best_match(LANGUAGES) or current_app.config[
        "DEFAULT_LANGUAGE"]


def init_app(app):
    Babel(app, locale_selector=select_locale)
