"""Business calendars: which days are working days, their working hours, and how long
a duration of working time takes on them.

A term sheet chooses the clock its deadlines count on (``clock`` in the sheet):
``24x7`` counts elapsed time (:mod:`backoffice.clock`), a named business
calendar from :data:`CALENDARS` counts only its working hours. The ready one,
``china-business``, works Monday to Friday 08:30-12:00 and 13:30-17:30 in
Asia/Shanghai, and takes mainland China's public holidays and make-up working
days (调休: a Saturday or Sunday that is a working day) from the ``holidays``
package's China calendar.

Headquarters corrects or adds days (the State Council publishes each year's
schedule in November) as ``CalendarDay`` rows. This module is on the ground floor
and reads no table: the service that counts a deadline passes the corrections in
as a function, ``corrections(year) -> {date: is_working}``
(:func:`backoffice.services.calendars.corrections`), so a correction applies to
every deadline counted after it.

**Estimates.** The ``holidays`` package answers for any year, but only for the
years whose State Council schedule it carries (its substituted days,
``special_public_holidays``) does it know the make-up days; for the others it
applies rules, which the real schedule usually contradicts. A year is *known*
when the library carries its schedule or headquarters has entered at least one
correction for it; a duration counted across a day of any other year is still
counted, and the answer says it is an estimate.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import holidays

from .i18n import _l

#: ``corrections(year)``: headquarters' days of one year of a calendar, ``{date: is_working}``
Corrections = Callable[[int], Mapping[dt.date, bool]]

#: a duration that finds no working time within this many days is refused (a calendar
#: whose corrections made every day a day off, or a nonsense duration)
MAX_DAYS = 20 * 366


class DayKind(StrEnum):
    """What headquarters says a day is, on one calendar."""

    WORKING = "working"
    OFF = "off"


DAY_KIND_LABELS = {DayKind.WORKING: _l("Working day"), DayKind.OFF: _l("Day off")}

Window = tuple[dt.time, dt.time]


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours per weekday, in a zone, with a country's public holidays."""

    name: str
    title: str
    zone: str
    #: Monday first: each weekday's working windows, ``()`` for a day off
    week: tuple[tuple[Window, ...], ...]
    #: the windows of a make-up working day (a weekend day the schedule makes working)
    makeup: tuple[Window, ...]
    #: the ``holidays`` package's country code for public holidays and make-up days
    country: str | None = None

    def __post_init__(self):
        if len(self.week) != 7:
            raise ValueError(f"{self.name}: a week has 7 days, got {len(self.week)}")
        for windows in (*self.week, self.makeup):
            ends = [t for window in windows for t in window]
            if ends != sorted(ends) or any(a >= b for a, b in windows):
                raise ValueError(f"{self.name}: windows must be increasing, got {windows}")

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone)

    # -- days ------------------------------------------------------------------------

    def library_day(self, day: dt.date) -> bool:
        """Is ``day`` a working day without headquarters' corrections (the week, then the
        library's public holidays and make-up working days)?"""
        if self.country is not None:
            year = _library_year(self.country, day.year)
            if day in year.makeup:
                return True
            if day in year.off:
                return False
        return bool(self.week[day.weekday()])

    def holiday_name(self, day: dt.date, language: str = "en_US") -> str:
        """The library's name of ``day`` if it is a holiday or a day off moved by 调休
        ("National Day", "国庆节"), else ``""``; ``language``: en_US or zh_CN."""
        if self.country is None:
            return ""
        return _holiday_names(self.country, day.year, language).get(day, "")

    def is_working(self, day: dt.date, corrections: Corrections | None = None) -> bool:
        corrected = corrections(day.year).get(day) if corrections is not None else None
        return self.library_day(day) if corrected is None else corrected

    def windows(self, day: dt.date, corrections: Corrections | None = None
                ) -> tuple[Window, ...]:
        """``day``'s working windows (local times), ``()`` on a day off."""
        if not self.is_working(day, corrections):
            return ()
        return self.week[day.weekday()] or self.makeup

    def known(self, year: int, corrections: Corrections | None = None) -> bool:
        """Does the calendar have real data for ``year`` (not an estimate)?"""
        if self.country is None:
            return True  # nothing but the week: nothing to be missing
        if _library_year(self.country, year).official:
            return True
        return bool(corrections(year)) if corrections is not None else False

    def _utc_windows(self, day: dt.date, corrections: Corrections | None):
        tz = self.tz
        for start, end in self.windows(day, corrections):
            yield (dt.datetime.combine(day, start, tz).astimezone(dt.UTC),
                   dt.datetime.combine(day, end, tz).astimezone(dt.UTC))


@dataclass(frozen=True)
class _LibraryYear:
    off: frozenset[dt.date]
    makeup: frozenset[dt.date]
    official: bool  # the library carries the State Council's schedule for this year


@lru_cache(maxsize=256)
def _library_year(country: str, year: int) -> _LibraryYear:
    """One year of the ``holidays`` package's calendar of ``country`` (read once a process:
    the library's data change only with its release)."""
    calendar = holidays.country_holidays(country, years=year, language="en_US")
    # the years whose substituted days (调休) come from a published schedule; a library
    # that stops telling (the attribute is gone) makes every year an estimate, not silence
    official = year in (getattr(calendar, "special_public_holidays", None) or {})
    makeup = frozenset(day for day in getattr(calendar, "weekend_workdays", ())
                       if day.year == year)
    return _LibraryYear(frozenset(day for day in calendar if day.year == year), makeup,
                        official)


@lru_cache(maxsize=64)
def _holiday_names(country: str, year: int, language: str) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays(country, years=year, language=language))


def _hm(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


_CHINA_DAY = ((_hm("08:30"), _hm("12:00")), (_hm("13:30"), _hm("17:30")))

#: the named business calendars a term sheet may choose (besides ``24x7``)
CALENDARS: dict[str, BusinessCalendar] = {
    "china-business": BusinessCalendar(
        name="china-business", title="China business hours", zone="Asia/Shanghai",
        week=(_CHINA_DAY,) * 5 + ((), ()), makeup=_CHINA_DAY, country="CN"),
}

#: their names for people, translated when shown
CALENDAR_TITLES = {"china-business": _l("China business hours (Mon-Fri 08:30-12:00, "
                                        "13:30-17:30, with mainland China's holidays)")}


def get(name: str) -> BusinessCalendar:
    try:
        return CALENDARS[name]
    except KeyError:
        raise ValueError(f"unknown business calendar {name!r}") from None


# -- counting ------------------------------------------------------------------------

def add_working_time(start: dt.datetime, duration: dt.timedelta,
                     calendar: BusinessCalendar | str,
                     corrections: Corrections | None = None) -> tuple[dt.datetime, bool]:
    """``start`` plus ``duration`` of working time on ``calendar``: ``(due, estimated)``.

    A start outside working hours counts from the next working moment; a due time
    that falls exactly at a window's end stays there (Friday 17:30, not Monday
    08:30). ``estimated`` says a day counted over is in a year the calendar has no
    data for. The result is in ``start``'s zone.
    """
    calendar = get(calendar) if isinstance(calendar, str) else calendar
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if duration < dt.timedelta(0):
        raise ValueError("a duration of working time cannot be negative")
    cursor = start.astimezone(dt.UTC)
    remaining = duration
    day = cursor.astimezone(calendar.tz).date()
    estimated = False
    for _ in range(MAX_DAYS):
        estimated = estimated or not calendar.known(day.year, corrections)
        if not remaining:
            return start, estimated
        for begin, end in calendar._utc_windows(day, corrections):
            if end <= cursor:
                continue
            cursor = max(begin, cursor)
            available = end - cursor
            if remaining <= available:
                return (cursor + remaining).astimezone(start.tzinfo), estimated
            remaining -= available
            cursor = end
        day += dt.timedelta(days=1)
    raise ValueError(f"{calendar.name}: no working time within {MAX_DAYS} days of {start}")


def working_time_between(a: dt.datetime, b: dt.datetime,
                         calendar: BusinessCalendar | str,
                         corrections: Corrections | None = None) -> dt.timedelta:
    """The working time on ``calendar`` from ``a`` to ``b`` (negative if ``b`` is earlier):
    what a pause from ``a`` to ``b`` takes off a deadline's clock."""
    calendar = get(calendar) if isinstance(calendar, str) else calendar
    if a.tzinfo is None or b.tzinfo is None:
        raise ValueError("a and b must be aware datetimes")
    if b < a:
        return -working_time_between(b, a, calendar, corrections)
    a, b = a.astimezone(dt.UTC), b.astimezone(dt.UTC)
    tz = calendar.tz
    day, last = a.astimezone(tz).date(), b.astimezone(tz).date()
    total = dt.timedelta(0)
    while day <= last:
        for begin, end in calendar._utc_windows(day, corrections):
            overlap = min(end, b) - max(begin, a)
            if overlap > dt.timedelta(0):
                total += overlap
        day += dt.timedelta(days=1)
    return total


__all__ = ["CALENDARS", "CALENDAR_TITLES", "DAY_KIND_LABELS", "BusinessCalendar",
           "Corrections", "DayKind", "add_working_time", "get", "working_time_between"]
