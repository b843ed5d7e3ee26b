"""The service center's clock: one place that says what "now" and "today" are.

Every time a person reads or a deadline counts from is in the service center's
zone (``timezone`` in the config, Asia/Shanghai by default), never the server's.
Stored times are naive UTC (:func:`utcnow`), as peewee's ``DateTimeField``
keeps them on SQLite and PostgreSQL alike.

Deadlines are counted here too (:func:`add_working_time`): a rule plugin answers
a *duration* (``Deadline(within=...)``) and the service that owns deadlines asks
the clock of the contract's terms to add it. The charter's clock, ``24x7``,
counts elapsed time; a business calendar (working windows, holidays, make-up
working days) plugs in behind the same function.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from flask import current_app, has_app_context

#: the zone when no app is configured (the charter's center)
DEFAULT_ZONE = "Asia/Shanghai"
#: the clock every term set has unless it names another
ALWAYS_ON = "24x7"


def zone() -> zoneinfo.ZoneInfo:
    """The service center's time zone."""
    name = current_app.config["TIMEZONE"] if has_app_context() else DEFAULT_ZONE
    return zoneinfo.ZoneInfo(name)


def now() -> dt.datetime:
    """The current time, aware, in the service center's zone."""
    return dt.datetime.now(zone())


def today() -> dt.date:
    """Today's date in the service center's zone (not the server's)."""
    return now().date()


def utcnow() -> dt.datetime:
    """The current time as stored: naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) or aware time, in the service center's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone())


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_working_time(start: dt.datetime, duration: dt.timedelta,
                     clock: str = ALWAYS_ON) -> dt.datetime:
    """``start`` plus ``duration`` of working time on ``clock``.

    ``24x7`` counts elapsed time, through UTC so a daylight-saving change cannot
    skew it; the result is in ``start``'s zone. Other clocks (business
    calendars) are not known yet and are refused by name.
    """
    if clock != ALWAYS_ON:
        raise ValueError(f"unknown clock {clock!r}")
    return (start.astimezone(dt.UTC) + duration).astimezone(start.tzinfo)
