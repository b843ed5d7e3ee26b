"""Headquarters' corrections of a business calendar, day by day.

The ``holidays`` package gives mainland China's public holidays and make-up working
days (:mod:`backoffice.calendars`); the State Council publishes each year's schedule
in November, and a library release may lag behind it or be wrong. A
:class:`CalendarDay` says what one day is on one calendar (working or off), whatever
the library says, and applies to every deadline counted after it is saved.
"""

from __future__ import annotations

from peewee import CharField, DateField

from ..calendars import CALENDARS, DayKind
from ..i18n import _
from .base import AuditedModel, RuleViolation


class CalendarDay(AuditedModel):
    """One day of one business calendar as headquarters says it is."""

    #: a name of :data:`backoffice.calendars.CALENDARS` ("china-business")
    calendar = CharField(max_length=40)
    day = DateField()
    #: :class:`backoffice.calendars.DayKind`: "working" or "off"
    kind = CharField(max_length=10)
    note = CharField(max_length=200, default="")

    class Meta:
        table_name = "calendar_day"
        indexes = ((("calendar", "day"), True),)

    @classmethod
    def office_filter(cls, office_id):
        return None  # headquarters' calendars apply to every office

    @property
    def working(self) -> bool:
        return self.kind == DayKind.WORKING

    def validate(self) -> None:
        self.calendar = (self.calendar or "").strip()
        if self.calendar not in CALENDARS:
            raise RuleViolation(_("Unknown business calendar %(name)s; known: %(names)s.",
                                  name=repr(self.calendar), names=", ".join(CALENDARS)),
                                "calendar")
        if self.day is None:
            raise RuleViolation(_("Give the day."), "day")
        if not 1900 <= self.day.year <= 2200:
            raise RuleViolation(_("%(value)s is outside the years 1900 to 2200.",
                                  value=self.day.isoformat()), "day")
        if self.kind not in DayKind.__members__.values():
            raise RuleViolation(_("A day is a working day or a day off, got %(value)s.",
                                  value=repr(self.kind)), "kind")
        self.note = (self.note or "").strip()
        if self.taken_day():
            raise RuleViolation(_("%(day)s already has a correction on %(name)s: edit it "
                                  "instead.", day=self.day.isoformat(), name=self.calendar),
                                "day", "taken")

    def taken_day(self) -> bool:
        clash = CalendarDay.select(CalendarDay.id).where(
            (CalendarDay.calendar == self.calendar) & (CalendarDay.day == self.day))
        if self.get_id() is not None:
            clash = clash.where(CalendarDay.id != self.get_id())
        return clash.exists()

    def __str__(self):
        day = self.day.isoformat() if hasattr(self.day, "isoformat") else self.day
        return f"{self.calendar} {day}"


__all__ = ["CalendarDay"]
