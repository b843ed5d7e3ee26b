"""Languages: English and Simplified Chinese.

Use :func:`_` (``gettext``) for messages made while serving someone and
:func:`_l` (``lazy_gettext``) for labels declared at import time. Both work
outside a request too (CLI, worker): then the default language applies.

The language of a request is, in this order: the logged-in user's choice
(``Staff.language``), the choice stored in the session (the switch on the login
page), the browser's ``Accept-Language`` (any ``zh*`` means Simplified Chinese,
``en*`` English), and ``DEFAULT_LANGUAGE``. Chinese is ``zh_Hans_CN``, the name
under which Flask-Admin ships its catalogue (plain ``zh`` would show the admin's
own words in English).

Two catalogues load side by side: ours (domain ``messages`` in
``backoffice/translations``) and Flask-Admin's (domain ``admin``, which
Flask-Admin's views look up themselves).
"""

from __future__ import annotations

from flask import current_app, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext, lazy_gettext

from .config import LANGUAGES


def _(text: str, **variables) -> str:
    if has_app_context():
        return gettext(text, **variables)
    return text % variables if variables else text


_l = lazy_gettext

#: the switch's labels, each in its own language (never translated)
LANGUAGE_NAMES = {"en": "English", "zh_Hans_CN": "简体中文"}
#: session key of a language chosen without logging in (shared with :mod:`backoffice.auth`)
SESSION_KEY = "language"



def browser_language() -> str | None:
    """The best of our languages for the request's ``Accept-Language``, or None."""
    for value, quality in request.accept_languages:
        if quality <= 0:
            continue
        tag = value.lower().replace("_", "-")
        if tag == "zh" or tag.startswith("zh-"):
            return "zh_Hans_CN"
        if tag == "en" or tag.startswith("en-"):
            return "en"
    return None


def select_locale() -> str:
    default = current_app.config["DEFAULT_LANGUAGE"]
    if not has_request_context():  # CLI and worker
        return default
    from flask_login import current_user
    user = current_user
    if user and user.is_authenticated and user.language in LANGUAGES:
        return user.language
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return browser_language() or default


def current_language() -> str:
    locale = get_locale()
    if locale is None:
        return current_app.config["DEFAULT_LANGUAGE"]
    return "zh_Hans_CN" if locale.language == "zh" else "en"


def init_app(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LANGUAGE"])
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _language_context():
        language = current_language()
        return {
            "current_language": language,
            "current_language_tag": "zh-Hans" if language == "zh_Hans_CN" else "en",
            "language_choices": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        }


__all__ = ["LANGUAGE_NAMES", "_", "_l", "browser_language", "current_language",
           "select_locale"]
