"""The service center's clock: one place that says what "now" and "today" are.

Every time a person reads or a deadline counts from is in the service center's
zone (``timezone`` in the config, Asia/Shanghai by default), never the server's.
Stored times are naive UTC (:func:`utcnow`), as peewee's ``DateTimeField``
keeps them on SQLite and PostgreSQL alike.

Deadlines are counted here too (:func:`add_working_time`): a rule plugin answers
a *duration* (``Deadline(within=...)``) and the service that owns deadlines asks
the clock of the contract's terms to add it. The charter's clock, ``24x7``,
counts elapsed time; a named business calendar (working windows, holidays, make-up
working days: :mod:`backoffice.calendars`) counts only its working hours, with the
corrections headquarters entered, which the calling service passes in
(:mod:`backoffice.services.calendars` reads them).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from flask import current_app, has_app_context

from . import calendars
from .calendars import Corrections

#: the zone when no app is configured (the charter's center)
DEFAULT_ZONE = "Asia/Shanghai"
#: the clock every term set has unless it names another
ALWAYS_ON = "24x7"
#: every clock a term sheet may name: elapsed time, then the business calendars
CLOCKS = (ALWAYS_ON, *calendars.CALENDARS)


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
                     clock: str = ALWAYS_ON, *,
                     corrections: Corrections | None = None) -> dt.datetime:
    """``start`` plus ``duration`` of working time on ``clock`` (see :func:`working_due`,
    which also says whether the due time is an estimate)."""
    return working_due(start, duration, clock, corrections=corrections)[0]


def working_due(start: dt.datetime, duration: dt.timedelta, clock: str = ALWAYS_ON, *,
                corrections: Corrections | None = None) -> tuple[dt.datetime, bool]:
    """``start`` plus ``duration`` of working time on ``clock``: ``(due, estimated)``.

    ``24x7`` counts elapsed time, through UTC so a daylight-saving change cannot
    skew it, and is never an estimate; the result is in ``start``'s zone. A
    business calendar's name counts its working hours
    (:func:`backoffice.calendars.add_working_time`) with headquarters'
    ``corrections``; ``estimated`` says it counted over a year it has no data for.
    An unknown clock is refused by name.
    """
    if clock == ALWAYS_ON:
        return (start.astimezone(dt.UTC) + duration).astimezone(start.tzinfo), False
    return calendars.add_working_time(start, duration, _calendar(clock), corrections)


def working_time_between(a: dt.datetime, b: dt.datetime, clock: str = ALWAYS_ON, *,
                         corrections: Corrections | None = None) -> dt.timedelta:
    """The working time on ``clock`` from ``a`` to ``b``: elapsed time on ``24x7``."""
    if clock == ALWAYS_ON:
        return b.astimezone(dt.UTC) - a.astimezone(dt.UTC)
    return calendars.working_time_between(a, b, _calendar(clock), corrections)


def _calendar(clock: str) -> calendars.BusinessCalendar:
    if clock not in calendars.CALENDARS:
        raise ValueError(f"unknown clock {clock!r}")
    return calendars.CALENDARS[clock]


def stored(value: dt.datetime) -> dt.datetime:
    """An aware time as the database keeps it: naive UTC."""
    if value.tzinfo is None:
        raise ValueError(f"expected an aware time, got {value!r}")
    return value.astimezone(dt.UTC).replace(tzinfo=None)
