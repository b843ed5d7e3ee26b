"""Business calendars as deadlines use them: the library's days with headquarters'
corrections (``CalendarDay`` rows) on top.

:mod:`backoffice.calendars` (ground floor) counts working time and reads no table;
this module reads the corrections and hands them down as a function
(:func:`corrections`), read at the moment a deadline is counted, so a correction
saved in the admin applies to every deadline counted after it. Corrections are
written like any record, through :func:`backoffice.services.records.save` (the
admin's *Rules > Business calendar* screen does), audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..calendars import CALENDARS, DayKind
from ..clock import ALWAYS_ON, working_due
from ..clock import working_time_between as _between
from ..models import CalendarDay


def corrections(calendar: str):
    """``corrections(year) -> {date: is_working}`` for ``calendar``: one query per year
    asked, kept for the life of the returned function (one deadline computation)."""
    years: dict[int, Mapping[dt.date, bool]] = {}

    def of_year(year: int) -> Mapping[dt.date, bool]:
        if year not in years:
            rows = (CalendarDay.select(CalendarDay.day, CalendarDay.kind)
                    .where((CalendarDay.calendar == calendar)
                           & CalendarDay.day.between(dt.date(year, 1, 1),
                                                     dt.date(year, 12, 31)))
                    .tuples())
            years[year] = {_as_date(day): kind == DayKind.WORKING for day, kind in rows}
        return years[year]
    return of_year


def _as_date(value) -> dt.date:
    # SQLite hands a DateField back as a date; be safe with a string too
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def add_working_time(start: dt.datetime, duration: dt.timedelta, clock: str = ALWAYS_ON
                     ) -> tuple[dt.datetime, bool]:
    """``start`` plus ``duration`` of working time on ``clock`` with headquarters'
    corrections: ``(due, estimated)``."""
    return working_due(start, duration, clock, corrections=for_clock(clock))


def working_time_between(a: dt.datetime, b: dt.datetime, clock: str = ALWAYS_ON
                         ) -> dt.timedelta:
    """The working time from ``a`` to ``b`` on ``clock`` with headquarters' corrections
    (what a pause takes off the clock)."""
    return _between(a, b, clock, corrections=for_clock(clock))


def for_clock(clock: str):
    """The corrections of ``clock`` if it is a business calendar, else ``None``."""
    return corrections(clock) if clock in CALENDARS else None
