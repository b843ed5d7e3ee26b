"""Fault tickets through their service: intake, deadlines with reasons, transitions, pause."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from decimal import Decimal

import pytest

from backoffice.access import AccessDenied
from backoffice.labels import TicketState
from backoffice.models import RuleViolation, Site, Ticket, TicketPause
from backoffice.services import tickets
from backoffice.services.tickets import Report
from tests.factories import TESTS, save

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at_distance(world, km):
    site = Site.get_by_id(world.harbin_site.id)
    site.road_distance_km = Decimal(km)
    save(site)


def open_for(world, km=320, user=None, **extra):
    at_distance(world, km)
    received = dt.datetime.now(SHANGHAI).replace(second=0, microsecond=0) - dt.timedelta(
        minutes=5)
    report = Report(summary="UPS alarm", serial="SN-HRB-0001", received=received, **extra)
    return tickets.open_ticket(user or world.users["harbin_manager"], report), received


@pytest.mark.parametrize("km, hours, band", [(80, 6, "0-100 km"), (320, 12, "100-500 km"),
                                              (800, 24, "over 500 km")])
def test_intake_sets_the_charters_deadlines_with_their_reasons(world, km, hours, band):
    ticket, received = open_for(world, km)
    utc = received.astimezone(dt.UTC).replace(tzinfo=None)
    assert ticket.reply_due == utc + dt.timedelta(hours=2)
    assert ticket.reply_due_by == "charter v1: reply within 2 h"
    assert ticket.arrival_due == utc + dt.timedelta(hours=hours)
    assert ticket.arrival_due_by == f"charter v1: arrival band {band}"
    assert (ticket.distance_km, ticket.distance_how) == (Decimal(km), "road")
    assert ticket.next_due == ticket.reply_due
    assert ticket.covered and ticket.coverage_by.startswith("charter v1")
    assert ticket.number.startswith("HRB-" + received.strftime("%Y%m%d") + "-")


def test_numbers_count_up_per_office_and_day(world):
    first, _ = open_for(world)
    second, _ = open_for(world)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_a_future_receipt_and_an_unknown_serial_are_refused(world):
    with pytest.raises(RuleViolation) as info:
        tickets.open_ticket(world.users["harbin_manager"], Report(
            summary="x", serial="SN-HRB-0001",
            received=dt.datetime.now(SHANGHAI) + dt.timedelta(hours=1)))
    assert info.value.code == "in_future"
    with pytest.raises(RuleViolation) as info:
        tickets.open_ticket(world.users["harbin_manager"], Report(summary="x", serial="NOPE"))
    assert info.value.code == "not_found"
    assert Ticket.select().count() == 0


def test_another_offices_unit_is_not_found(world):
    with pytest.raises(RuleViolation) as info:
        tickets.open_ticket(world.users["harbin_manager"],
                            Report(summary="x", serial="SN-CAN-0001"))
    assert info.value.code == "not_found"


def test_the_happy_path_and_milestones_met(world):
    ticket, _ = open_for(world)
    manager, engineer = world.users["harbin_manager"], world.users["harbin_engineer"]
    tickets.reply(manager, ticket, "engineer on the way tomorrow 9:00")
    assert ticket.next_due == ticket.arrival_due, "a reply never fulfils the arrival"
    tickets.dispatch(manager, ticket, engineer)
    tickets.arrive(engineer, ticket)
    tickets.restore(engineer, ticket, "repair")
    tickets.close(manager, ticket)
    assert ticket.state == TicketState.CLOSED and ticket.next_due is None
    assert [m.met for m in tickets.milestones(ticket)] == [True, True]


@pytest.mark.parametrize("step", ["dispatch", "arrive", "restore", "close", "resume"])
def test_every_illegal_transition_is_refused(world, step):
    ticket, _ = open_for(world)
    manager = world.users["harbin_manager"]
    args = {"dispatch": (world.users["harbin_engineer"],), "restore": ("repair",)}.get(step, ())
    with pytest.raises(RuleViolation) as info:
        getattr(tickets, step)(manager, ticket, *args)
    assert info.value.code == "illegal_transition"
    assert Ticket.get_by_id(ticket.id).state == TicketState.RECEIVED


def test_an_engineer_cannot_change_a_colleagues_ticket(world):
    from tests.factories import make_staff
    ticket, _ = open_for(world)
    manager = world.users["harbin_manager"]
    tickets.reply(manager, ticket, "coming")
    tickets.dispatch(manager, ticket, world.users["harbin_engineer"])
    colleague = make_staff("colleague", "engineer", world.harbin)
    with pytest.raises(AccessDenied):
        tickets.arrive(colleague, ticket)
    tickets.arrive(world.users["harbin_engineer"], ticket)


def test_pause_and_resume_move_open_deadlines_by_the_paused_time_twice(world, monkeypatch):
    ticket, _ = open_for(world)
    manager = world.users["harbin_manager"]
    reply_due, arrival_due = ticket.reply_due, ticket.arrival_due
    moment = [dt.datetime.now(SHANGHAI)]
    monkeypatch.setattr(tickets, "now", lambda: moment[0])
    for minutes in (30, 45):
        tickets.pause(manager, ticket, "customer asks to come later")
        assert ticket.state == TicketState.WAITING and ticket.next_due is None
        moment[0] += dt.timedelta(minutes=minutes)
        tickets.resume(manager, ticket)
    assert ticket.state == TicketState.RECEIVED
    assert ticket.reply_due - reply_due == dt.timedelta(minutes=75)
    assert ticket.arrival_due - arrival_due == dt.timedelta(minutes=75)
    assert ticket.paused_seconds == 75 * 60
    assert TicketPause.select().where(TicketPause.ticket == ticket.id).count() == 2


def test_pausing_never_fulfils_a_milestone(world):
    ticket, _ = open_for(world)
    tickets.pause(world.users["harbin_manager"], ticket, "no access to the site")
    assert ticket.replied_at is None and ticket.arrived_at is None


def test_a_viewer_cannot_log_a_fault(world):
    with pytest.raises(AccessDenied):
        open_for(world, user=world.users["viewer"])


def test_ticket_numbers_are_unique_under_concurrent_intake(app, world, db_url):
    if not db_url.startswith("postgres"):
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    at_distance(world, 80)
    numbers, errors = [], []

    def intake():
        with app.app_context():
            from backoffice.db import database
            database.connect(reuse_if_open=True)
            try:
                ticket = tickets.open_ticket(TESTS, Report(summary="race", serial="SN-HRB-0001"))
                numbers.append(ticket.number)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                database.close()
    threads = [threading.Thread(target=intake) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(numbers)) == 20


def test_a_plugin_decides_the_reply_by_the_tickets_product_state(world):
    from backoffice.hookspecs import Deadline, hookimpl
    from backoffice.testing import enable_plugin, plugin_registered

    class DownFirst:
        @hookimpl
        def reply_deadline(self, ticket):
            if ticket is not None and ticket.product_state == "down":
                return Deadline(within=dt.timedelta(minutes=30), decided_by="down: 30 min")
            return None
    with plugin_registered(DownFirst(), "down_first"):
        enable_plugin(world.harbin_contract, "down_first")
        down, received = open_for(world, product_state="down")
        degraded, _ = open_for(world, product_state="degraded")
    utc = received.astimezone(dt.UTC).replace(tzinfo=None)
    assert (down.reply_due, down.reply_due_by) == (utc + dt.timedelta(minutes=30),
                                                   "down_first: down: 30 min")
    assert down.reply_why == ""  # a plugin's own words: shown as written
    assert degraded.reply_due_by == "charter v1: reply within 2 h"
    assert "reply_within" in degraded.reply_why


def test_a_ticket_keeps_the_distance_and_says_which_office_is_nearer(world):
    from backoffice.models import Office
    from tests.factories import make
    site = Site.get_by_id(world.harbin_site.id)
    site.latitude, site.longitude, site.road_distance_km = Decimal("41.8"), Decimal("123.4"), None
    save(site)  # Shenyang, far from Harbin
    make(Office, code="SHE", name="Shenyang office", city="Shenyang", province="Liaoning",
         latitude=Decimal("41.805699"), longitude=Decimal("123.431472"))
    ticket = tickets.open_ticket(world.users["harbin_manager"],
                                 Report(summary="alarm", serial="SN-HRB-0001"))
    assert ticket.distance_how == "estimated" and ticket.distance_km > 400
    assert ticket.nearer_office.code == "SHE" and ticket.nearer_by_km > 400


def test_the_cli_opens_the_same_ticket_as_the_service(runner, world):
    import json
    at_distance(world, 320)
    day = (dt.datetime.now(SHANGHAI) - dt.timedelta(days=2)).date()
    result = runner.invoke(args=["tickets", "open", "--serial", "sn-hrb-0001", "--summary",
                                 "UPS alarm", "--received", f"{day}T09:00", "--json",
                                 "--as", "harbin_manager"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["reply_due"], data["arrival_due"]) == (f"{day}T11:00:00+08:00",
                                                        f"{day}T21:00:00+08:00")
    assert data["arrival_due_by"] == "charter v1: arrival band 100-500 km"
    ticket = Ticket.get(Ticket.number == data["number"])
    assert ticket.reply_due == dt.datetime.combine(day, dt.time(3, 0))


def test_the_cli_refuses_in_one_line_and_writes_nothing(runner, world):
    result = runner.invoke(args=["tickets", "open", "--serial", "NOPE", "--summary", "x"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "NOPE" in result.output
    assert Ticket.select().count() == 0


def test_pause_on_a_business_calendar_moves_deadlines_by_working_time_only(world, monkeypatch):
    """Paused from Friday 17:00 to Monday 09:00 on china-business costs 1 h of working time
    (17:00-17:30 and 08:30-09:00), so every open deadline moves by 1 h of working time."""
    from backoffice.plugins import current_engine
    from backoffice.services import calendars
    ticket, _ = open_for(world)
    friday = dt.datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI)
    monday = dt.datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(tickets, "_clock_of", lambda ticket: "china-business")
    moment = [friday]
    monkeypatch.setattr(tickets, "now", lambda: moment[0])
    reply_due = ticket.reply_due
    tickets.pause(world.users["harbin_manager"], ticket, "site closed for the weekend")
    moment[0] = monday
    tickets.resume(world.users["harbin_manager"], ticket)
    assert ticket.paused_seconds == 60 * 60
    expected = calendars.add_working_time(
        dt.datetime.combine(reply_due.date(), reply_due.time(), dt.UTC).astimezone(SHANGHAI),
        dt.timedelta(hours=1), "china-business")[0]
    assert ticket.reply_due == expected.astimezone(dt.UTC).replace(tzinfo=None)
    assert current_engine() is not None
