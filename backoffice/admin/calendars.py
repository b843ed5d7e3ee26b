# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""Business calendars for headquarters: the days that differ from the library's.

Each row says what one day is on one calendar (working day or day off); every
save goes through :mod:`backoffice.services.records` (the base view does), is
audited, and applies to the deadlines counted after it (headquarters and
administrators change it; everyone may read it). The list shows beside
each correction what the ``holidays`` package says of that day, so a correction
that has become redundant (a newer library release agrees) is easy to see.
"""

from __future__ import annotations

from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import format_date
from markupsafe import Markup
from wtforms import SelectField

from .. import calendars
from ..i18n import _, _l, current_language
from ..models import CalendarDay
from .base import ScopedModelView

KIND_CHOICES = [(kind.value, label) for kind, label in calendars.DAY_KIND_LABELS.items()]
CALENDAR_CHOICES = [(name, name) for name in calendars.CALENDARS]


def _weekday(view, context, model, name):
    return format_date(model.day, "EEEE") if model.day else ""


def _kind(view, context, model, name):
    label = calendars.DAY_KIND_LABELS.get(model.kind)
    return str(label) if label is not None else model.kind


def _library(view, context, model, name):
    """What the library says of the day, and whether the correction changes it."""
    calendar = calendars.CALENDARS.get(model.calendar)
    if calendar is None or model.day is None:
        return ""
    working = calendar.library_day(model.day)
    language = "zh_CN" if current_language().startswith("zh") else "en_US"
    holiday = calendar.holiday_name(model.day, language)
    text = str(calendars.DAY_KIND_LABELS[
        calendars.DayKind.WORKING if working else calendars.DayKind.OFF])
    if holiday:
        text = f"{text} ({holiday})"
    if working == model.working:
        return Markup('<span class="text-muted library-same">{} · {}</span>').format(
            text, _("same as the correction"))
    return Markup('<span class="library-differs">{}</span>').format(text)


class CalendarDayView(ScopedModelView):
    """Every role reads the corrections (they explain a deadline on a business calendar);
    only those the access module's matrix names change them (headquarters, admins)."""

    column_list = ("calendar", "day", "weekday", "kind", "library", "note")
    column_details_list = ("calendar", "day", "weekday", "kind", "library", "note",
                           "version", "created_at", "updated_at")
    column_export_list = ("calendar", "day", "kind", "note")
    column_labels = {"calendar": _l("Calendar"), "day": _l("Date"), "weekday": _l("Weekday"),
                     "kind": _l("The day is"), "library": _l("The holidays library says"),
                     "note": _l("Note"), "version": _l("Version"), "created_at": _l("Created"),
                     "updated_at": _l("Updated")}
    column_formatters = {"weekday": _weekday, "kind": _kind, "library": _library}
    column_formatters_detail = column_formatters
    column_formatters_export = {"kind": lambda v, c, m, n: m.kind}
    column_searchable_list = ("note",)
    search_placeholder_text = _l("Note")
    column_filters = (FilterEqual(CalendarDay.calendar, _l("Calendar"),
                                  options=CALENDAR_CHOICES),
                      FilterEqual(CalendarDay.kind, _l("The day is"), options=KIND_CHOICES),
                      "day")
    column_sortable_list = ("calendar", "day", "kind")
    column_default_sort = ("day", True)
    form_columns = ("calendar", "day", "kind", "note")
    form_overrides = {"calendar": SelectField, "kind": SelectField}
    form_args = {
        "calendar": {"choices": CALENDAR_CHOICES, "default": next(iter(calendars.CALENDARS))},
        "day": {"description": _l("The State Council publishes each year's schedule in "
                                  "November; a correction applies to deadlines counted "
                                  "after it is saved.")},
        "kind": {"choices": KIND_CHOICES,
                 "description": _l("A make-up working day (调休) on a weekend is a working "
                                   "day; a holiday or a day off moved by 调休 is a day "
                                   "off.")},
    }


def register(admin):
    admin.add_view(CalendarDayView(CalendarDay, name=_l("Business calendar"),
                                   category=_l("Rules"), endpoint="calendar_day"))
