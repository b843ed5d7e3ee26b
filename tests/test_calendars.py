"""Business calendars: the ``china-business`` clock across weekends, holidays, make-up
working days and the lunch break; headquarters' corrections (admin screen and records
service) changing later deadlines; estimates for a year without data; the ``clock`` key
of term sheets and ``terms preview`` on a business calendar."""

from __future__ import annotations

import datetime as dt
import html
import json
import zoneinfo

import pytest

from backoffice import calendars, clock
from backoffice.access import AccessDenied
from backoffice.calendars import DayKind
from backoffice.models import AuditEntry, CalendarDay, RuleViolation, Staff, TermSetVersion
from backoffice.services import calendars as calendar_service
from backoffice.services import records
from backoffice.services.deadlines import compute_deadlines
from backoffice.terms import STANDARD, SheetError, parse_sheet, terms_from_dict, to_toml
from tests.factories import publish
from tests.test_admin_helpers import post, submit

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CHINA = calendars.CALENDARS["china-business"]
HOUR = dt.timedelta(hours=1)


def at(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=SHANGHAI)


def due(start, hours, corrections=None):
    return calendars.add_working_time(start, dt.timedelta(hours=hours), CHINA, corrections)


def fixed(days: dict):
    """Corrections as the service hands them down: ``year -> {date: is_working}``."""
    return lambda year: {d: w for d, w in days.items() if d.year == year}


# -- the china-business calendar ---------------------------------------------------

def test_two_hours_from_friday_afternoon_land_on_monday_morning():
    assert dt.date(2026, 11, 27).weekday() == 4  # a Friday
    assert due(at(2026, 11, 27, 16, 30), 2) == (at(2026, 11, 30, 9, 30), False)


def test_a_due_time_at_the_end_of_the_day_stays_there():
    assert due(at(2026, 11, 27, 16, 30), 1) == (at(2026, 11, 27, 17, 30), False)


def test_a_start_outside_working_hours_counts_from_the_next_working_moment():
    assert due(at(2026, 11, 29, 10, 0), 1)[0] == at(2026, 11, 30, 9, 30)  # a Sunday
    assert due(at(2026, 11, 30, 6, 0), 1)[0] == at(2026, 11, 30, 9, 30)   # before 08:30
    assert due(at(2026, 11, 30, 19, 0), 1)[0] == at(2026, 12, 1, 9, 30)   # after 17:30


def test_the_lunch_break_does_not_count():
    assert due(at(2026, 11, 26, 11, 0), 2)[0] == at(2026, 11, 26, 14, 30)
    assert due(at(2026, 11, 26, 12, 15), 1)[0] == at(2026, 11, 26, 14, 30)  # at lunch
    assert due(at(2026, 11, 26, 11, 0), 1)[0] == at(2026, 11, 26, 12, 0)


def test_the_national_day_holiday_is_off():
    for day in range(1, 8):  # 2026-10-01..07, the weekend and the days moved by 调休
        assert not CHINA.is_working(dt.date(2026, 10, day)), day
    # Wednesday 30 September 16:00 + 2 h: 1.5 h that day, the rest on Thursday 8 October
    assert due(at(2026, 9, 30, 16, 0), 2) == (at(2026, 10, 8, 9, 0), False)


def test_a_make_up_working_saturday_counts():
    assert CHINA.is_working(dt.date(2026, 10, 10)) and dt.date(2026, 10, 10).weekday() == 5
    assert not CHINA.is_working(dt.date(2026, 10, 17))  # an ordinary Saturday
    # Friday 9 October 17:00 + 2 h: half an hour, then Saturday 10 October (调休) 08:30-10:00
    assert due(at(2026, 10, 9, 17, 0), 2)[0] == at(2026, 10, 10, 10, 0)
    assert due(at(2026, 10, 16, 17, 0), 2)[0] == at(2026, 10, 19, 10, 0)  # no make-up day


def test_the_library_facts_of_2026():
    """The make-up days and days off both the holidays package and chinese-calendar give."""
    for day in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20"):
        assert CHINA.is_working(dt.date.fromisoformat(day)), day
    for day in ("2026-02-16", "2026-02-23", "2026-01-01"):
        assert not CHINA.is_working(dt.date.fromisoformat(day)), day


def test_a_due_time_comes_back_in_the_start_zone():
    start = at(2026, 11, 27, 16, 30).astimezone(dt.UTC)
    result, _estimated = due(start, 2)
    assert result.tzinfo is dt.UTC and result == at(2026, 11, 30, 9, 30)


def test_working_time_between():
    between = calendars.working_time_between
    assert between(at(2026, 11, 27, 16, 30), at(2026, 11, 30, 9, 30), CHINA) == 2 * HOUR
    assert between(at(2026, 11, 26, 11, 0), at(2026, 11, 26, 14, 30), CHINA) == 2 * HOUR
    # 30 September, 8, 9 October and the make-up Saturday 10 October: 4 days of 7.5 h
    assert between(at(2026, 9, 30, 0, 0), at(2026, 10, 11, 0, 0), CHINA) == 30 * HOUR
    assert between(at(2026, 11, 30, 9, 30), at(2026, 11, 27, 16, 30), CHINA) == -2 * HOUR
    assert between(at(2026, 11, 28, 9, 0), at(2026, 11, 29, 18, 0), CHINA) == dt.timedelta(0)


@pytest.mark.parametrize("start", [at(2026, 9, 30, 16, 0), at(2026, 10, 9, 12, 30),
                                   at(2026, 11, 27, 17, 29), at(2026, 2, 13, 8, 0)])
@pytest.mark.parametrize("hours", [0.25, 2, 6, 12, 24])
def test_between_measures_what_add_adds(start, hours):
    end, _estimated = due(start, hours)
    assert calendars.working_time_between(start, end, CHINA) == dt.timedelta(hours=hours)


def test_corrections_override_the_library():
    monday = dt.date(2026, 11, 30)
    assert due(at(2026, 11, 27, 16, 30), 2, fixed({monday: False}))[0] == at(2026, 12, 1, 9, 30)
    saturday = dt.date(2026, 11, 28)
    assert due(at(2026, 11, 27, 16, 30), 2, fixed({saturday: True}))[0] == at(2026, 11, 28,
                                                                            9, 30)
    national_day = dt.date(2026, 10, 1)
    assert due(at(2026, 9, 30, 17, 0), 1, fixed({national_day: True}))[0] == at(2026, 10, 1,
                                                                              9, 0)


def test_a_year_without_data_gives_an_estimate():
    """The library carries the State Council's schedule up to 2026; 2027 is from rules."""
    assert CHINA.known(2026) and not CHINA.known(2027)
    assert due(at(2027, 3, 1, 9, 0), 2) == (at(2027, 3, 1, 11, 0), True)
    # counted over the new year: the part in 2027 makes it an estimate
    assert due(at(2026, 12, 31, 17, 0), 2) == (at(2027, 1, 4, 10, 0), True)
    # one correction by headquarters for 2027 says the year has been entered
    entered = fixed({dt.date(2027, 2, 20): True})
    assert due(at(2027, 3, 1, 9, 0), 2, entered) == (at(2027, 3, 1, 11, 0), False)
    assert calendars.add_working_time(at(2027, 3, 1, 9, 0), 2 * HOUR, CHINA)[1] is True


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="negative"):
        due(at(2026, 11, 27, 9, 0), -1)
    with pytest.raises(ValueError, match="aware"):
        calendars.add_working_time(dt.datetime(2026, 11, 27, 9), HOUR, CHINA)
    with pytest.raises(ValueError, match="no working time"):
        due(at(2026, 11, 27, 9, 0), 1, lambda year: _every_day_off(year))
    assert due(at(2026, 11, 28, 10, 0), 0)[0] == at(2026, 11, 28, 10, 0)


def _every_day_off(year):
    first = dt.date(year, 1, 1)
    return {first + dt.timedelta(days=n): False for n in range(366)}


# -- the clock delegates ---------------------------------------------------------------

def test_the_clock_counts_named_calendars_and_keeps_24x7():
    start = at(2026, 11, 27, 16, 30)
    assert clock.add_working_time(start, 2 * HOUR, "china-business") == at(2026, 11, 30, 9, 30)
    assert clock.working_due(start, 2 * HOUR, "china-business") == (at(2026, 11, 30, 9, 30),
                                                                     False)
    assert clock.add_working_time(start, 2 * HOUR) == at(2026, 11, 27, 18, 30)
    assert clock.working_due(at(2027, 3, 1, 9, 0), 2 * HOUR) == (at(2027, 3, 1, 11, 0), False)
    assert clock.working_time_between(start, at(2026, 11, 30, 9, 30)) == dt.timedelta(
        days=2, hours=17)
    assert clock.working_time_between(start, at(2026, 11, 30, 9, 30),
                                      "china-business") == 2 * HOUR
    with pytest.raises(ValueError, match="unknown clock 'moon'"):
        clock.add_working_time(start, HOUR, "moon")


# -- term sheets choose their clock ----------------------------------------------------

def test_a_sheet_chooses_its_clock():
    business = terms_from_dict(STANDARD.as_dict() | {"clock": "china-business"})
    assert business.clock == "china-business" and STANDARD.clock == "24x7"
    assert business.as_dict()["clock"] == "china-business"
    assert "clock" not in STANDARD.as_dict()  # the default is left out: old versions equal
    assert terms_from_dict(STANDARD.as_dict() | {"clock": "24x7"}) == STANDARD
    text = to_toml(business.as_dict())
    assert 'clock = "china-business"' in text and parse_sheet(text) == business
    with pytest.raises(SheetError, match="clock must be one of 24x7, china-business, "
                                         "got 'office-hours'"):
        terms_from_dict(STANDARD.as_dict() | {"clock": "office-hours"})
    with pytest.raises(SheetError, match="clock must be str"):
        terms_from_dict(STANDARD.as_dict() | {"clock": 7})


def test_a_stored_version_without_the_key_equals_its_sheet(app):
    """Versions stored before sheets had a clock have no ``clock`` key: the same sheet
    saying ``clock = "24x7"`` is no change."""
    plain = to_toml(STANDARD.as_dict() | {"name": "plain"})
    version = publish(parse_sheet(plain))
    assert "clock" not in version.values() and version.terms().clock == "24x7"
    explicit = plain.replace('title = ', 'clock = "24x7"\ntitle = ')
    with pytest.raises(RuleViolation) as refused:
        publish(parse_sheet(explicit))
    assert refused.value.code == "unchanged"


BUSINESS_SHEET = """\
name = "business"
title = "Business-hours service"
clock = "china-business"

[reply]
hours = 2

[arrival]
bands = [{max_km = 100, hours = 6}, {max_km = 500, hours = 12}, {hours = 24}]

[replacement]
earliest_days = 5
latest_days = 10
"""


def business_terms(app):
    return publish(parse_sheet(BUSINESS_SHEET)).terms()


def test_deadlines_on_a_business_calendar(app):
    terms = business_terms(app)
    result = compute_deadlines("2026-11-27T16:30", 80, terms=terms)
    assert result.reply.due == at(2026, 11, 30, 9, 30)
    assert result.arrival.due == at(2026, 11, 30, 15, 0)  # 1 h Friday, 3.5 h + 1.5 h Monday
    assert not result.estimated
    data = result.as_json()
    assert data["clock"] == "china-business" and "estimated" not in data
    later = compute_deadlines("2027-03-01T09:00", 80, terms=terms)
    assert later.estimated and later.as_json()["estimated"] is True
    # the reply is due within 2026, the arrival (12 h at 320 km) counts into 2027
    year_end = compute_deadlines("2026-12-31T09:00", 320, terms=terms)
    assert year_end.reply.due == at(2026, 12, 31, 11, 0)
    assert year_end.arrival.due == at(2027, 1, 4, 15, 0) and year_end.estimated
    plain = compute_deadlines("2027-03-01T09:00", 80).as_json()
    assert "estimated" not in plain and "clock" not in plain  # 24x7 reads as before


# -- headquarters' corrections ---------------------------------------------------------

def test_a_correction_through_the_records_service_changes_a_later_deadline(app, world):
    terms = business_terms(app)
    before = compute_deadlines("2026-11-27T16:30", 80, terms=terms)
    assert before.reply.due == at(2026, 11, 30, 9, 30)
    hq = Staff.get(Staff.username == "hq")
    day = records.save(hq, CalendarDay(calendar="china-business", day=dt.date(2026, 11, 30),
                                       kind=DayKind.OFF, note="office move"))
    after = compute_deadlines("2026-11-27T16:30", 80, terms=terms)
    assert after.reply.due == at(2026, 12, 1, 9, 30)
    assert before.reply.due == at(2026, 11, 30, 9, 30)  # computed before: unchanged
    entry = AuditEntry.get((AuditEntry.table == "calendar_day") & (AuditEntry.row_id == day.id))
    assert (entry.actor, entry.action) == ("hq", "create")
    # changed back to a working day: the next deadline counts Monday again
    day.kind = DayKind.WORKING
    records.save(hq, day, seen_version=day.version)
    assert compute_deadlines("2026-11-27T16:30", 80, terms=terms).reply.due == at(
        2026, 11, 30, 9, 30)
    assert AuditEntry.select().where(AuditEntry.table == "calendar_day").count() == 2


def test_only_headquarters_and_admins_correct_calendars(app, world):
    manager = Staff.get(Staff.username == "harbin_manager")
    with pytest.raises(AccessDenied):
        records.save(manager, CalendarDay(calendar="china-business",
                                          day=dt.date(2026, 11, 30), kind=DayKind.OFF))
    admin = Staff.get(Staff.username == "admin")
    records.save(admin, CalendarDay(calendar="china-business", day=dt.date(2026, 11, 30),
                                    kind=DayKind.OFF))


@pytest.mark.parametrize("values, field, code", [
    ({"calendar": "moon"}, "calendar", "invalid"),
    ({"kind": "half"}, "kind", "invalid"),
    ({"day": dt.date(2026, 10, 1)}, "day", "taken"),
])
def test_a_bad_correction_is_refused(app, world, values, field, code):
    hq = Staff.get(Staff.username == "hq")
    records.save(hq, CalendarDay(calendar="china-business", day=dt.date(2026, 10, 1),
                                 kind=DayKind.WORKING))
    row = {"calendar": "china-business", "day": dt.date(2026, 12, 5),
           "kind": DayKind.WORKING} | values
    with pytest.raises(RuleViolation) as refused:
        records.save(hq, CalendarDay(**row))
    assert (refused.value.field, refused.value.code) == (field, code)


def test_corrections_are_read_per_year_and_per_calendar(app, world):
    hq = Staff.get(Staff.username == "hq")
    for day, kind in ((dt.date(2027, 2, 20), DayKind.WORKING), (dt.date(2027, 2, 9),
                                                                DayKind.OFF)):
        records.save(hq, CalendarDay(calendar="china-business", day=day, kind=kind))
    read = calendar_service.corrections("china-business")
    assert read(2027) == {dt.date(2027, 2, 20): True, dt.date(2027, 2, 9): False}
    assert read(2026) == {}
    assert calendar_service.add_working_time(at(2027, 3, 1, 9, 0), 2 * HOUR,
                                             "china-business") == (at(2027, 3, 1, 11, 0), False)
    assert calendar_service.for_clock("24x7") is None


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_headquarters_corrects_a_day_in_the_admin(app, client, auth, world):
    terms = business_terms(app)
    auth.login("hq")
    assert client.get("/admin/calendar_day/").status_code == 200
    page = submit(client, "/admin/calendar_day/new/",
                  {"calendar": "china-business", "day": "2026-11-30", "kind": "off",
                   "note": "closed for the move"})
    assert page.status_code == 200
    row = CalendarDay.get()
    assert (row.day, row.kind, row.note) == (dt.date(2026, 11, 30), "off",
                                             "closed for the move")
    assert AuditEntry.get(AuditEntry.table == "calendar_day").actor == "hq"
    assert compute_deadlines("2026-11-27T16:30", 80, terms=terms).reply.due == at(
        2026, 12, 1, 9, 30)
    listing = text(client.get("/admin/calendar_day/"))
    assert "2026-11-30" in listing and "Day off" in listing and "Monday" in listing
    # what the library says of that Monday: a working day, which the correction changes
    assert '<span class="library-differs">Working day</span>' in listing
    assert "same as the correction" not in listing
    records.save(Staff.get(Staff.username == "hq"), CalendarDay(
        calendar="china-business", day=dt.date(2026, 10, 10), kind=DayKind.WORKING))
    listing = text(client.get("/admin/calendar_day/"))
    assert "same as the correction" in listing  # the library knows that make-up Saturday
    # a second correction of the same day is a form error, not a 500
    page = submit(client, "/admin/calendar_day/new/",
                  {"calendar": "china-business", "day": "2026-11-30", "kind": "working"})
    assert "already has a correction" in text(page)
    assert CalendarDay.select().count() == 2


@pytest.mark.parametrize("user", ["harbin_manager", "harbin_engineer", "viewer"])
def test_others_read_the_calendar_but_do_not_change_it(client, auth, world, user):
    hq = Staff.get(Staff.username == "hq")
    day = records.save(hq, CalendarDay(calendar="china-business", day=dt.date(2026, 11, 30),
                                       kind=DayKind.OFF))
    auth.login(user)
    assert "2026-11-30" in text(client.get("/admin/calendar_day/"))
    assert client.get("/admin/calendar_day/new/").status_code == 403
    assert client.get(f"/admin/calendar_day/edit/?id={day.id}").status_code == 403
    assert post(client, "/admin/calendar_day/delete/", {"id": day.id}).status_code == 403
    assert CalendarDay.select().count() == 1


def test_the_admin_preview_says_estimate(app, client, auth, world):
    business_terms(app)
    version = TermSetVersion.get()
    auth.login("hq")
    known = text(client.get(f"/admin/rules/preview/?distance_km=80&received=2026-11-27T16:30"
                            f"&version={version.id}"))
    assert "2026-11-30T09:30:00+08:00" in known and "china-business" in known
    assert "Estimate" not in known
    later = text(client.get(f"/admin/rules/preview/?distance_km=80&received=2027-03-01T09:00"
                            f"&version={version.id}"))
    assert "Estimate" in later


def test_the_term_form_chooses_the_clock(app, client, auth, world):
    from tests.test_rules_admin import post_form, terms_form
    auth.login("hq")
    post_form(client, "/admin/rules/terms/new", terms_form(clock="china-business"))
    version = TermSetVersion.get()
    assert version.terms().clock == "china-business"
    edit = client.get("/admin/rules/terms/premium/edit").get_data(as_text=True)
    assert 'value="china-business" selected' in edit or \
        'selected value="china-business"' in edit
    page = post_form(client, "/admin/rules/terms/premium/edit",
                     terms_form(clock="24x7", note="around the clock again"))
    assert "Published premium v2." in text(page)
    assert "clock" not in TermSetVersion.get(TermSetVersion.number == 2).values()


# -- the command line ------------------------------------------------------------------

def test_terms_preview_on_a_business_calendar(runner, tmp_path, world):
    sheet = tmp_path / "business.toml"
    sheet.write_text(BUSINESS_SHEET, encoding="utf-8")
    assert runner.invoke(args=["terms", "load", str(sheet)]).exit_code == 0
    args = ["terms", "preview", "--terms", "business:1", "--distance-km", "80"]
    result = runner.invoke(args=[*args, "--received", "2026-11-27T16:30", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["clock"] == "china-business" and "estimated" not in data
    assert data["deadlines"]["reply"]["due"] == "2026-11-30T09:30:00+08:00"
    assert data["deadlines"]["arrival"]["due"] == "2026-11-30T15:00:00+08:00"
    result = runner.invoke(args=[*args, "--received", "2026-11-27T16:30"])
    assert "clock: china-business" in result.output
    assert "2026-11-30T09:30:00+08:00" in result.output
    later = runner.invoke(args=[*args, "--received", "2027-03-01T09:00", "--json"])
    assert json.loads(later.output)["estimated"] is True
    plain = json.loads(runner.invoke(args=["terms", "preview", "--distance-km", "80",
                                           "--received", "2027-03-01T09:00",
                                           "--json"]).output)
    assert "estimated" not in plain and "clock" not in plain
