"""How the screens write times, dates and money: one place, so every page agrees.

* **A time** is stored as naive UTC; people read it in the service center's zone
  (:func:`backoffice.clock.zone`, ``timezone`` in the config), to the minute:
  :func:`local_minute` (``2026-11-26 22:55``, for a cell under a header that names
  the zone, :func:`zone_header`) or :func:`local_minute_labelled`
  (``2026-11-26 22:55 (Asia/Shanghai)``, wherever it stands alone).
  :func:`time_tag` wraps it in ``<time datetime="...">`` with the exact ISO value
  (to the second, with its offset) for machines and tests.
* **A date in a table** is ISO (``2026-11-26``: unambiguous in both languages, the
  form date pickers and filters take); **a date in a sentence** is in the reader's
  locale (:func:`long_date`: ``Nov 26, 2026`` / ``2026年11月26日``).
* **Money** carries its currency and thousands separators in the reader's locale
  (:func:`money`: ``¥527,049.00`` in Chinese, ``CN¥527,049.00`` in English, as CLDR
  writes them).

:func:`init_app` makes them Jinja filters (``|local_time``, ``|local_time_labelled``,
``|time_tag``, ``|long_date``, ``|money``, ``|number``) and globals
``zone_name()`` and ``zone_header(text)``; the ``*_cell`` functions are Flask-Admin column formatters.
"""

from __future__ import annotations

import datetime as dt
import decimal

from flask import has_request_context
from flask_babel import LazyString, format_currency, format_date, format_datetime, format_decimal
from markupsafe import Markup

from ..clock import local, zone
from ..i18n import current_language

#: the pattern of a time people read (CLDR pattern letters: Babel formats it)
MINUTE_PATTERN = "yyyy-MM-dd HH:mm"
DATE_PATTERN = "yyyy-MM-dd"


def zone_name() -> str:
    """The service center's zone as configured (``Asia/Shanghai``)."""
    return zone().key


def _local(value: dt.datetime) -> dt.datetime:
    return local(value)  # naive values are stored UTC


def local_minute(value) -> str:
    """A stored time in the center's zone, to the minute; '' for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):  # a date: as it is
        return iso_date(value)
    return format_datetime(_local(value), MINUTE_PATTERN, rebase=False)


def with_note(text: str, note: str) -> str:
    """``text (note)``, with the reader's parentheses (full-width in Chinese)."""
    if has_request_context() and current_language() == "zh_Hans_CN":
        return f"{text}（{note}）"
    return f"{text} ({note})"


def local_minute_labelled(value) -> str:
    """``2026-11-26 22:55 (Asia/Shanghai)``: a time that names its zone."""
    shown = local_minute(value)
    return with_note(shown, zone_name()) if shown else ""


def time_tag(value, labelled: bool = True) -> Markup:
    """``<time datetime="2026-11-26T22:55:00+08:00">2026-11-26 22:55 (Asia/Shanghai)</time>``."""
    if value is None or value == "":
        return Markup("")
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    exact = _local(value).isoformat()
    shown = local_minute_labelled(value) if labelled else local_minute(value)
    return Markup('<time datetime="{}">{}</time>').format(exact, shown)


def zone_header(text: str) -> str:
    """A column header that names the zone its times are in: ``When (Asia/Shanghai)``."""
    return with_note(text, zone_name())


def lazy_zone_header(text) -> LazyString:
    """:func:`zone_header`, translated and zoned when shown (for class-level labels)."""
    return LazyString(lambda: zone_header(str(text)))


def iso_date(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return local_minute(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def long_date(value) -> str:
    """A date in a sentence, in the reader's locale: ``Nov 26, 2026`` / ``2026年11月26日``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    return format_date(value, "medium", rebase=False)


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        number = decimal.Decimal(str(value))
    except (decimal.InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def money(value, currency: str | None = "CNY") -> str:
    """An amount with its currency and thousands separators, in the reader's locale;
    without a known currency, the number with separators only."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if not currency:
        return format_decimal(number, "#,##0.00")
    try:
        return format_currency(number, currency)
    except (ValueError, KeyError):  # not an ISO currency code: the number and the code
        return f"{format_decimal(number, '#,##0.00')} {currency}"


def number(value) -> str:
    """A number with the reader's thousands separators (``1,234,567.5``)."""
    parsed = _decimal(value)
    return "" if parsed is None else format_decimal(parsed)


# -- Flask-Admin column formatters -------------------------------------------------------

def time_cell(view, value, name=None) -> str:
    """A type formatter for list cells: the header names the zone."""
    return local_minute(value)


def time_detail(view, value, name=None) -> Markup:
    """A type formatter for details pages: the value names its zone."""
    return time_tag(value)


def money_cell(view, context, model, name) -> str:
    """A column formatter for an amount whose row has a ``currency``."""
    return money(getattr(model, name), getattr(model, "currency", None) or "CNY")


def init_app(app) -> None:
    app.jinja_env.filters.update(
        local_time=local_minute, local_time_labelled=local_minute_labelled, time_tag=time_tag,
        long_date=long_date, iso_date=iso_date, money=money, number=number)
    app.jinja_env.globals.update(zone_name=zone_name, zone_header=zone_header)


__all__ = ["DATE_PATTERN", "MINUTE_PATTERN", "init_app", "iso_date", "lazy_zone_header",
           "local_minute", "local_minute_labelled", "long_date", "money", "money_cell",
           "number", "time_cell", "time_detail", "time_tag", "zone_header", "zone_name"]
