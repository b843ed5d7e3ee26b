"""The clock watcher's pass and outbox (issue 9, items 2 and 3): each warning, breach and
escalation once per milestone, level and recipient, on the terms' clock; next_check after
every transition; pauses; ladders and channels from a contract's plugins; two passes at
once; a pass that reads only the due tickets, through the index; deliveries retried with
backoff, leased, and sent again with the same message id after a worker died.

Time is driven by ``run_pass(at=...)`` and ``deliver_due(at=...)`` (stored UTC); the
transitions that take the time from the clock (pause, resume) get it from a patched
``services.tickets.now``, as tests/test_tickets.py does.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import zoneinfo
from collections import Counter
from decimal import Decimal

import pytest
from peewee import IntegrityError

from backoffice import calendars
from backoffice.access import AccessDenied
from backoffice.clock import stored, utcnow
from backoffice.db import database, is_postgres
from backoffice.hookspecs import Channel, EscalationStep, hookimpl
from backoffice.labels import DeliveryState, Role
from backoffice.models import Delivery, GroupRobot, Notice, Site, Staff, Ticket
from backoffice.services import contracts as contract_service
from backoffice.services import sla, tickets
from backoffice.services.tickets import Report
from backoffice.terms import parse_sheet
from backoffice.testing import enable_plugin, plugin_registered
from tests.conftest import captured_sql
from tests.factories import TESTS, make, make_staff, publish, save

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MINUTE, HOUR = dt.timedelta(minutes=1), dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


# -- helpers -------------------------------------------------------------------------------

def open_at(world, received=None, km=320, office="harbin"):
    """A ticket on the office's unit as tests/test_tickets.py's ``open_for`` makes it:
    received 5 minutes ago unless ``received`` (aware) is given; (ticket, receipt stored UTC)."""
    site = Site.get_by_id(getattr(world, f"{office}_site").id)
    site.road_distance_km = Decimal(km)
    save(site)
    received = received or dt.datetime.now(SHANGHAI).replace(second=0, microsecond=0) - 5 * MINUTE
    serial = "SN-HRB-0001" if office == "harbin" else "SN-CAN-0001"
    ticket = tickets.open_ticket(world.users[f"{office}_manager"],
                                 Report(summary="UPS alarm", serial=serial, received=received))
    return ticket, stored(received)


def head_of_service(name="head", role=Role.HQ, email=""):
    staff = make_staff(name, role)
    staff.head_of_service, staff.email = True, email
    return save(staff)


def with_email(staff, address):
    staff = Staff.get_by_id(staff.id)
    staff.email = address
    return save(staff)


def told(ticket=None) -> Counter:
    """Notices as (milestone, level, who): a member of staff by login, a channel by kind."""
    names = {f"staff:{s.id}": s.username for s in Staff.select(Staff.id, Staff.username)}
    query = Notice.select()
    if ticket is not None:
        query = query.where(Notice.ticket == ticket.id)
    return Counter((n.milestone, n.level, names.get(n.recipient, n.recipient.split(":")[0]))
                   for n in query)


def passes(*moments, times=5):
    """Run the pass ``times`` times at each moment; the results, all of them."""
    return [sla.run_pass(at=moment) for moment in moments for _ in range(times)]


def fresh(ticket) -> Ticket:
    return Ticket.get_by_id(ticket.id)


def pause_and_resume(world, ticket, minutes, monkeypatch):
    """Pause ``ticket`` now and resume it ``minutes`` later (the service's clock patched)."""
    manager = world.users["harbin_manager"]
    moment = [dt.datetime.now(SHANGHAI)]
    monkeypatch.setattr(tickets, "now", lambda: moment[0])
    tickets.pause(manager, ticket, "the customer's site is closed")
    paused = fresh(ticket)
    moment[0] += dt.timedelta(minutes=minutes)
    return paused, lambda: tickets.resume(manager, ticket)


class Recording:
    """A notice sender that keeps what it was given; ``fail`` raises that many times first,
    ``die`` raises a BaseException after recording (the worker killed after the send)."""

    def __init__(self, kind="mail", fail=0, die=False):
        self.kind, self.fail, self.die = kind, fail, die
        self.sent: list[tuple[Channel, object]] = []
        self.calls = 0

    def send(self, channel, message, config):
        self.calls += 1
        if self.fail:
            self.fail -= 1
            raise ConnectionRefusedError("SMTP server at 127.0.0.1:2525 is not answering")
        self.sent.append((channel, message))
        if self.die:
            self.die = False
            raise WorkerKilled()


class WorkerKilled(BaseException):
    """Stands for SIGKILL between the send and its record: nothing in the service catches it."""


# -- each step once ----------------------------------------------------------------------------

def test_each_step_once_per_milestone_level_and_recipient(world):
    """The charter's ladder, pass after pass: warning at 75 % to the assigned engineer (once
    dispatched) and the office manager, breach at the due to the manager and HQ, escalation
    4 h after the breach to the head of service; five passes at each moment and later ones
    change nothing."""
    head = head_of_service()
    ticket, received = open_at(world)  # reply 2 h, arrival 12 h (320 km)
    assert (ticket.reply_due, ticket.arrival_due) == (received + 2 * HOUR, received + 12 * HOUR)

    assert all(r.notices == 0 for r in passes(received + 89 * MINUTE))
    results = passes(received + 90 * MINUTE)
    assert [r.notices for r in results] == [1, 0, 0, 0, 0]
    assert told() == Counter({("reply", "warning", "harbin_manager"): 1}), \
        "no engineer is assigned yet: the manager alone is warned"

    passes(received + 2 * HOUR, received + 2 * HOUR + SECOND, received + 5 * HOUR)
    breach = {("reply", "warning", "harbin_manager"): 1, ("reply", "breach", "harbin_manager"): 1,
              ("reply", "breach", "hq"): 1, ("reply", "breach", "head"): 1}  # head: HQ staff
    assert told() == Counter(breach)
    passes(received + 6 * HOUR - SECOND)
    assert told() == Counter(breach)
    passes(received + 6 * HOUR, received + 6 * HOUR + 10 * MINUTE)
    assert told() == Counter(breach | {("reply", "escalation", "head"): 1})

    manager = world.users["harbin_manager"]
    tickets.reply(manager, ticket, "an engineer comes today")
    tickets.dispatch(manager, ticket, world.users["harbin_engineer"])
    passes(received + 9 * HOUR, received + 12 * HOUR, received + 16 * HOUR,
           received + 30 * HOUR)
    assert told() == Counter(breach | {
        ("reply", "escalation", "head"): 1,
        ("arrival", "warning", "harbin_engineer"): 1, ("arrival", "warning", "harbin_manager"): 1,
        ("arrival", "breach", "harbin_manager"): 1, ("arrival", "breach", "hq"): 1,
        ("arrival", "breach", "head"): 1, ("arrival", "escalation", "head"): 1})
    assert fresh(ticket).next_check is None, "every step of the open arrival is behind it"
    escalation = Notice.get((Notice.level == "escalation") & (Notice.milestone == "arrival"))
    assert (escalation.staff_id, escalation.role, escalation.due_at) == (
        head.id, "head_of_service", received + 12 * HOUR)
    assert not told()[("reply", "warning", "guangzhou_manager")], "another office's manager"
    inbox = sla.inbox(manager)
    assert len(inbox) == sla.unread_count(manager) == 4  # each milestone's warning, breach
    assert sla.mark_read(manager, [inbox[0].id]) == 1 and sla.unread_count(manager) == 3


def test_the_notices_unique_key_refuses_a_second_insert(world):
    ticket, received = open_at(world)
    sla.run_pass(at=received + 2 * HOUR)
    first = Notice.select().order_by(Notice.id).first()
    with pytest.raises(IntegrityError), database.atomic():
        Notice.create(ticket=first.ticket_id, milestone=first.milestone, level=first.level,
                      recipient=first.recipient, due_at=first.due_at)
    assert Notice.select().count() == 3  # the reply's warning and breach (manager, HQ)
    # a second pass that found its tickets' notices "missing" would fail, not duplicate:
    Ticket.update(checked_until=None, next_check=received).where(Ticket.id == ticket.id).execute()
    assert sla.run_pass(at=received + 2 * HOUR).notices == 0
    assert Notice.select().count() == 3


# -- next_check ----------------------------------------------------------------------------------

def test_next_check_is_the_next_steps_time_after_every_transition(world, monkeypatch):
    manager, engineer = world.users["harbin_manager"], world.users["harbin_engineer"]
    ticket, received = open_at(world)
    assert ticket.next_check == received + 90 * MINUTE  # the reply's warning (75 % of 2 h)
    assert fresh(ticket).next_check == ticket.next_check, "stored"
    sla.run_pass(at=received + 90 * MINUTE)
    assert fresh(ticket).next_check == received + 2 * HOUR  # then its breach
    sla.run_pass(at=received + 2 * HOUR)
    assert fresh(ticket).next_check == received + 6 * HOUR  # then its escalation
    assert fresh(ticket).checked_until == received + 2 * HOUR, "told up to the pass's moment"

    tickets.reply(manager, ticket, "coming")
    assert fresh(ticket).next_check == received + 9 * HOUR  # the arrival's warning (75 % of 12 h)
    tickets.dispatch(manager, ticket, engineer)
    assert fresh(ticket).next_check == received + 9 * HOUR
    paused, resume = pause_and_resume(world, ticket, 40, monkeypatch)
    assert paused.next_check is None and paused.state == "waiting"
    resume()
    assert fresh(ticket).next_check == received + 9 * HOUR + 40 * MINUTE
    assert fresh(ticket).arrival_due == received + 12 * HOUR + 40 * MINUTE
    tickets.arrive(engineer, ticket)
    assert fresh(ticket).next_check is None, "nothing left open"


def test_a_paused_ticket_is_told_nothing_until_resumed(world, monkeypatch):
    ticket, received = open_at(world)
    paused, resume = pause_and_resume(world, ticket, 60, monkeypatch)
    assert paused.next_check is None
    results = passes(received + 90 * MINUTE, received + 3 * HOUR, received + 20 * HOUR, times=2)
    assert [r.tickets for r in results] == [0] * 6 and Notice.select().count() == 0

    resume()  # an hour paused: every step comes an hour later
    assert fresh(ticket).next_check == received + 150 * MINUTE
    assert sla.run_pass(at=received + 150 * MINUTE - SECOND).notices == 0
    assert sla.run_pass(at=received + 150 * MINUTE).notices == 1
    assert told() == Counter({("reply", "warning", "harbin_manager"): 1})
    passes(received + 3 * HOUR - SECOND)
    assert len(told()) == 1
    passes(received + 3 * HOUR)
    assert told()[("reply", "breach", "hq")] == 1
    assert Notice.get(Notice.level == "breach").due_at == received + 3 * HOUR


# -- the terms' clock and numbers --------------------------------------------------------------

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


def pin(contract, sheet: str):
    """Pin ``contract`` to a newly published version of ``sheet``, as headquarters does."""
    version = publish(parse_sheet(sheet))
    contract_service.set_rules(TESTS, contract, term_set_version_id=version.id,
                               plugins=contract.plugins)
    return version


def last_plain_friday() -> dt.date:
    """The latest Friday at least a day ago whose weekend is off and whose Monday works."""
    china = calendars.CALENDARS["china-business"]
    day = dt.date.today() - dt.timedelta(days=1)
    while not (day.weekday() == 4 and china.is_working(day)
               and not china.is_working(day + dt.timedelta(days=1))
               and not china.is_working(day + dt.timedelta(days=2))
               and china.is_working(day + dt.timedelta(days=3))):
        day -= dt.timedelta(days=1)
    return day


def test_on_a_business_calendar_the_warning_is_at_75_percent_of_the_working_time(world):
    """Received Friday 16:30 with 2 h to reply (08:30-17:30, lunch 12:00-13:00): due Monday
    09:30, warned Monday 09:00 (1.5 working hours in), not Friday evening."""
    pin(world.harbin_contract, BUSINESS_SHEET)
    friday = last_plain_friday()
    monday = friday + dt.timedelta(days=3)
    ticket, _ = open_at(world, dt.datetime.combine(friday, dt.time(16, 30), SHANGHAI))
    local = {"tzinfo": SHANGHAI}
    assert ticket.reply_due == stored(dt.datetime.combine(monday, dt.time(9, 30), **local))
    warning = stored(dt.datetime.combine(monday, dt.time(9, 0), **local))
    assert ticket.next_check == warning
    assert sla.run_pass(at=stored(dt.datetime.combine(friday, dt.time(23, 0), **local))
                        ).notices == 0
    assert sla.run_pass(at=warning - SECOND).notices == 0
    assert sla.run_pass(at=warning).notices == 1
    assert told() == Counter({("reply", "warning", "harbin_manager"): 1})
    assert fresh(ticket).next_check == ticket.reply_due


EARLY_SHEET = """\
name = "early"
title = "Early warnings"

[reply]
hours = 2

[arrival]
bands = [{max_km = 100, hours = 6}, {max_km = 500, hours = 12}, {hours = 24}]

[replacement]
earliest_days = 5
latest_days = 10

[escalation]
warning_share = 0.5
head_after_hours = 1
"""


def test_a_term_sets_escalation_numbers_move_the_warning_and_the_escalation(world):
    head_of_service()
    pin(world.harbin_contract, EARLY_SHEET)
    ticket, received = open_at(world)
    plain, _ = open_at(world, office="guangzhou")  # unpinned: the charter's 75 % and 4 h
    assert ticket.next_check == received + HOUR  # half of the reply's 2 h
    assert plain.next_check == received + 90 * MINUTE
    assert sla.run_pass(at=received + HOUR).notices == 1
    passes(received + 3 * HOUR)  # an hour after the reply's breach
    assert told(ticket)[("reply", "escalation", "head")] == 1
    assert told(plain)[("reply", "escalation", "head")] == 0
    assert fresh(ticket).next_check == received + 6 * HOUR  # the arrival's warning, at 50 %


# -- plugins -------------------------------------------------------------------------------------

class OnCallLadder:
    """A contract's plugin: the arrival only, its manager at half the time, HQ an hour late;
    breaches and escalations also to the customer's on-call pager."""

    @hookimpl
    def escalation_ladder(self, settings):
        return [EscalationStep("arrival", 0.5, "office_manager"),
                EscalationStep("arrival", 1.0, "hq", after=dt.timedelta(hours=1))]

    @hookimpl
    def notification_channels(self, level, settings):
        if level != "warning":
            return [Channel("pager", settings["pager"], {"priority": "high"})]
        return []


def test_a_contract_plugins_ladder_and_channel_against_the_charter(world):
    head_of_service()
    with plugin_registered(OnCallLadder(), "on_call"):
        enable_plugin(world.harbin_contract, "on_call", pager="ops-desk-7")
        ticket, received = open_at(world)
        charter, _ = open_at(world, office="guangzhou")  # the charter's ladder
        assert ticket.next_check == received + 6 * HOUR  # no reply steps at all
        passes(received + 6 * HOUR, received + 12 * HOUR + 59 * MINUTE)
        assert told(ticket) == Counter({("arrival", "warning", "harbin_manager"): 1})
        passes(received + 13 * HOUR, received + 40 * HOUR)
        sent = Recording("pager")
        result = sla.deliver_due(at=received + 40 * HOUR, senders={"pager": sent})
    assert told(ticket) == Counter({("arrival", "warning", "harbin_manager"): 1,
                                    ("arrival", "escalation", "hq"): 1,
                                    ("arrival", "escalation", "head"): 1,
                                    ("arrival", "escalation", "pager"): 1})
    assert told(charter) == Counter({
        (m, "warning", "guangzhou_manager"): 1 for m in ("reply", "arrival")} | {
        (m, "breach", who): 1 for m in ("reply", "arrival")
        for who in ("guangzhou_manager", "hq", "head")} | {
        (m, "escalation", "head"): 1 for m in ("reply", "arrival")})
    pager = Delivery.get(Delivery.kind == "pager")
    assert (pager.address, json.loads(pager.options)) == ("ops-desk-7", {"priority": "high"})
    assert Delivery.select().count() == 1, "nobody has an e-mail address"
    assert (result.sent, result.failed) == (1, 0)
    assert [(c.kind, c.address, c.options) for c, _ in sent.sent] == [
        ("pager", "ops-desk-7", {"priority": "high"})]
    assert sent.sent[0][1].message_id == pager.message_id
    assert sent.sent[0][1].level == "escalation"
    assert Delivery.get_by_id(pager.id).state == DeliveryState.SENT


class DownFirst:
    """A ladder that depends on the ticket (the hook is given it): a product that is down
    has headquarters warned at a third of the reply time; any other: the charter's."""

    @hookimpl
    def escalation_ladder(self, ticket):
        if ticket.product_state == "down":
            return [EscalationStep("reply", 1 / 3, "hq")]
        return None


def test_a_ladder_is_asked_for_each_ticket_not_once_per_contract(world):
    with plugin_registered(DownFirst(), "down_first"):
        enable_plugin(world.harbin_contract, "down_first")
        at = dt.datetime.now(SHANGHAI).replace(second=0, microsecond=0) - 5 * MINUTE
        site = Site.get_by_id(world.harbin_site.id)
        site.road_distance_km = Decimal(320)
        save(site)
        made = {state: tickets.open_ticket(world.users["harbin_manager"], Report(
            summary="UPS alarm", serial="SN-HRB-0001", received=at, product_state=state))
            for state in ("degraded", "down", "working")}
        received = stored(at)
        assert made["down"].next_check == received + 40 * MINUTE
        assert made["degraded"].next_check == received + 90 * MINUTE
        passes(received + 2 * HOUR)  # one pass: all three tickets of one contract
    for state, ticket in made.items():
        expected = Counter({("reply", "warning", "hq"): 1}) if state == "down" else Counter({
            ("reply", "warning", "harbin_manager"): 1, ("reply", "breach", "harbin_manager"): 1,
            ("reply", "breach", "hq"): 1})
        assert told(ticket) == expected, state


def test_group_robots_get_the_levels_from_their_minimum(world):
    make(GroupRobot, name="Harbin service group", kind="wecom", office=world.harbin,
         webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=hrb",
         min_level="breach")
    make(GroupRobot, name="Key account", kind="dingtalk", contract=world.harbin_contract,
         webhook_url="https://oapi.dingtalk.com/robot/send?access_token=k", secret="SECabc",
         min_level="warning")
    _ticket, received = open_at(world)
    passes(received + 2 * HOUR)
    kinds = Counter((n.level, n.recipient.split(":")[0]) for n in Notice.select()
                    .where(Notice.staff.is_null()))
    assert kinds == Counter({("warning", "dingtalk"): 1, ("breach", "dingtalk"): 1,
                             ("breach", "wecom"): 1})
    robot = Delivery.get(Delivery.kind == "dingtalk")
    assert json.loads(robot.options) == {"secret": "SECabc"}
    assert Delivery.select().count() == 3


# -- two passes at once ----------------------------------------------------------------------

def test_two_passes_at_once_create_each_notice_exactly_once(app, world, db_url):
    """200 due tickets, two threads (two connections) running the pass at the same moment in
    small batches: on PostgreSQL each skips the other's locked tickets, on SQLite the write
    lock takes turns; every notice and delivery exists once and neither pass fails."""
    with_email(world.users["harbin_manager"], "manager@hrb.example.com")
    first, received = open_at(world)
    rows = _copies(first, 199)
    Ticket.insert_many(rows).execute()
    moment = received + 2 * HOUR  # the reply's warning (manager) and breach (manager, HQ)
    start, results, errors, backends = threading.Barrier(2), [], [], set()

    def run():
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                if is_postgres():
                    backends.add(database.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
                start.wait()
                results.append(sla.run_pass(at=moment, batch=7))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                database.close()
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    if is_postgres():
        assert len(backends) == 2, "two connections"
    assert sum(r.tickets for r in results) == 200
    assert sum(r.notices for r in results) == Notice.select().count() == 600
    assert sum(r.deliveries for r in results) == Delivery.select().count() == 400
    per_ticket = Counter(n.ticket_id for n in Notice.select(Notice.ticket))
    assert set(per_ticket.values()) == {3} and len(per_ticket) == 200
    assert Ticket.select().where(Ticket.next_check <= moment).count() == 0


def _copies(ticket, n: int) -> list[dict]:
    """``n`` rows like ``ticket`` (numbered apart): due at the same times."""
    data = {k: v for k, v in Ticket.get_by_id(ticket.id).__data__.items() if k != "id"}
    return [data | {"number": f"{ticket.number}-{i:03d}"} for i in range(n)]


# -- the pass reads only the due tickets ------------------------------------------------------

def test_the_pass_reads_only_due_tickets_through_the_next_check_index(world):
    engineer, manager = world.users["harbin_engineer"], world.users["harbin_manager"]
    quiet, received = open_at(world)
    tickets.reply(manager, quiet, "coming")
    tickets.dispatch(manager, quiet, engineer)
    assert quiet.next_check == received + 9 * HOUR
    Ticket.insert_many(_copies(quiet, 499)).execute()  # 500 not due before 9 h
    due = [open_at(world)[0] for _ in range(3)]
    database.execute_sql("ANALYZE")
    moment = received + 2 * HOUR
    with captured_sql() as seen:
        result = sla.run_pass(at=moment)
    assert (result.tickets, result.notices) == (3, 9)
    assert {n.ticket_id for n in Notice.select(Notice.ticket)} == {t.id for t in due}
    (sql, params), = [(s, p) for s, p in seen if s.startswith("SELECT")
                      and 'FROM "ticket"' in s and "LIMIT" in s and '"next_check"' in s]
    if is_postgres():
        assert "FOR UPDATE SKIP LOCKED" in sql
        with database.atomic() as transaction:
            nodes = _pg_nodes(sql, params)
            transaction.rollback()
        assert not any(n["Node Type"] == "Seq Scan" for n in nodes), nodes
        assert any(n.get("Index Name") == "ticket_next_check" for n in nodes), nodes
        read = sum(n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)
                   for n in nodes if n.get("Relation Name") == "ticket")
        assert read == 0, "the 3 due tickets were moved on by the pass: none is due now"
        # at the moment before the pass moved them on, the index range holds the 3
        Ticket.update(next_check=received).where(Ticket.id.in_([t.id for t in due])).execute()
        with database.atomic() as transaction:
            nodes = _pg_nodes(sql, params)
            transaction.rollback()
        read = sum(n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)
                   for n in nodes if n.get("Relation Name") == "ticket")
        assert read == 3, nodes
    else:
        plan = [row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
        assert any("USING INDEX ticket_next_check (next_check<?)" in s for s in plan), plan
        assert not any(s.startswith("SCAN") for s in plan), plan
        assert not any("TEMP B-TREE" in s for s in plan), plan


def _pg_nodes(sql, params) -> list[dict]:
    (plan,), = database.execute_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchall()
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


# -- the outbox ---------------------------------------------------------------------------------

def _one_mail(world):
    """A ticket whose reply warning went to the manager by mail: (delivery, moment)."""
    with_email(world.users["harbin_manager"], "manager@hrb.example.com")
    _ticket, received = open_at(world)
    moment = received + 90 * MINUTE
    assert sla.run_pass(at=moment).deliveries == 1
    return Delivery.get(), moment


def test_a_failing_sender_is_retried_with_backoff_then_failed_and_retried_by_hq(world):
    delivery, moment = _one_mail(world)
    down = Recording(fail=100)
    at, seen = moment, []
    for attempt in range(1, len(sla.BACKOFF) + 2):
        result = sla.deliver_due(at=at, senders={"mail": down})
        assert (result.sent, result.failed) == (0, 1), attempt
        row = Delivery.get_by_id(delivery.id)
        assert row.attempts == attempt
        assert row.last_error == ("ConnectionRefusedError: SMTP server at 127.0.0.1:2525 is "
                                  "not answering")
        if attempt <= len(sla.BACKOFF):
            assert row.state == DeliveryState.PENDING
            assert row.next_attempt_at == at + sla.BACKOFF[attempt - 1]
            # nothing more before the wait is over
            assert sla.deliver_due(at=row.next_attempt_at - SECOND,
                                   senders={"mail": down}).failed == 0
            seen.append(row.next_attempt_at - at)
            at = row.next_attempt_at
        else:
            assert row.state == DeliveryState.FAILED
    assert seen == list(sla.BACKOFF) and down.calls == len(sla.BACKOFF) + 1
    assert sla.deliver_due(at=at + 30 * 24 * HOUR, senders={"mail": down}).failed == 0, \
        "a failed delivery waits for a person"

    with pytest.raises(AccessDenied):
        sla.retry(world.users["harbin_manager"], [delivery.id])
    assert Delivery.get_by_id(delivery.id).state == DeliveryState.FAILED
    assert sla.retry(world.users["hq"], [delivery.id]) == 1
    row = Delivery.get_by_id(delivery.id)
    assert (row.state, row.attempts) == (DeliveryState.PENDING, 0)
    assert row.next_attempt_at <= utcnow()
    up = Recording()
    assert sla.deliver_due(senders={"mail": up}).sent == 1
    row = Delivery.get_by_id(delivery.id)
    assert (row.state, row.attempts, row.last_error) == (DeliveryState.SENT, 1, "")
    assert [(c.address, m.message_id) for c, m in up.sent] == [
        ("manager@hrb.example.com", delivery.message_id)]
    assert sla.retry(world.users["hq"], [delivery.id]) == 0, "only a failed one is sent again"


def test_a_claimed_delivery_is_left_to_its_worker_until_the_lease_ends(app, world):
    """A second worker's deliver_due while the first is sending takes nothing."""
    delivery, moment = _one_mail(world)
    sending, second_done, other = threading.Event(), threading.Event(), []

    class Slow(Recording):
        def send(self, channel, message, config):
            sending.set()
            assert second_done.wait(20)
            super().send(channel, message, config)

    def second_worker():
        assert sending.wait(20)
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                other.append(sla.deliver_due(at=moment + MINUTE, senders={"mail": Recording()}))
            finally:
                database.close()
                second_done.set()
    thread = threading.Thread(target=second_worker)
    thread.start()
    slow = Slow()
    first = sla.deliver_due(at=moment, senders={"mail": slow})
    thread.join()
    assert (first.sent, other[0].sent, other[0].failed) == (1, 0, 0)
    assert len(slow.sent) == 1
    row = Delivery.get_by_id(delivery.id)
    assert (row.state, row.attempts) == (DeliveryState.SENT, 1)


def test_a_delivery_whose_worker_died_after_the_send_is_sent_again_with_its_message_id(world):
    delivery, moment = _one_mail(world)
    dying = Recording(die=True)
    with pytest.raises(WorkerKilled):
        sla.deliver_due(at=moment, senders={"mail": dying})
    row = Delivery.get_by_id(delivery.id)
    assert (row.state, row.attempts, row.next_attempt_at) == (
        DeliveryState.PENDING, 1, moment + sla.LEASE), "claimed, never recorded"
    again = Recording()
    assert sla.deliver_due(at=moment + sla.LEASE - SECOND, senders={"mail": again}).sent == 0
    assert sla.deliver_due(at=moment + sla.LEASE, senders={"mail": again}).sent == 1
    assert sla.deliver_due(at=moment + 2 * sla.LEASE, senders={"mail": again}).sent == 0
    ids = [m.message_id for _, m in dying.sent + again.sent]
    assert ids == [delivery.message_id] * 2, "the receiver sees one message id twice"
    assert Delivery.get_by_id(delivery.id).state == DeliveryState.SENT


def test_the_watch_sends_a_backlog_on_until_its_next_look(world, monkeypatch):
    """Many deliveries due at once (a breach told to many) are sent in the same look, batch
    after batch, not one batch per look (40 a second at most, with 200 a batch)."""
    from backoffice.worker import watch_for
    for name in ("harbin_manager", "hq"):
        with_email(world.users[name], f"{name}@example.com")
    open_at(world, received=dt.datetime.now(SHANGHAI) - 3 * HOUR)  # its reply overdue
    batches = []
    in_batches_of_one = sla.deliver_due

    def deliver_due(**kwargs):
        batches.append(in_batches_of_one(limit=1, **kwargs))
        return batches[-1]
    monkeypatch.setattr(sla, "deliver_due", deliver_due)
    watch_for(0, poll=5)
    deliveries = list(Delivery.select())
    assert len(deliveries) >= 3  # the warning to the manager, the breach to him and to HQ
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    assert sum(b.sent for b in batches) == len(deliveries)
