"""The demo data: real offices, enough people and records, consistent, idempotent, deterministic."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from backoffice import demo
from backoffice.access import sees_all_offices
from backoffice.models import (
    AuditEntry,
    Contact,
    Contract,
    Customer,
    Office,
    Product,
    Role,
    Site,
    Staff,
    Unit,
)
from backoffice.services.warranty import warranty_status

TODAY = dt.date(2026, 11, 28)
CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def inside_china(lat, lon) -> bool:
    """Mainland China's bounding box (Hainan to Mohe, Kashgar to Fuyuan)."""
    return 18 <= float(lat) <= 54 and 73 <= float(lon) <= 135


@pytest.fixture(scope="module")
def plan():
    return demo.build_plan(TODAY)


# -- the plan (no database) ------------------------------------------------------

def test_same_seed_same_plan_other_seed_other_plan(plan):
    assert demo.build_plan(TODAY) == plan
    other = demo.build_plan(TODAY, seed=demo.SEED + 1)
    assert [s["username"] for s in other.staff] != [s["username"] for s in plan.staff]


def test_offices_are_26_real_cities_with_their_coordinates(plan):
    assert len(plan.offices) == 26
    assert len({o["code"] for o in plan.offices}) == 26
    assert len({(o["latitude"], o["longitude"]) for o in plan.offices}) == 26
    for office in plan.offices:
        assert inside_china(office["latitude"], office["longitude"]), office
    by_city = {o["city"]: o for o in plan.offices}
    # spot checks against the cities' well-known positions (within ~0.2 degrees)
    for city, lat, lon in (("北京", 39.90, 116.40), ("上海", 31.23, 121.47),
                           ("广州", 23.13, 113.26), ("哈尔滨", 45.80, 126.53),
                           ("乌鲁木齐", 43.83, 87.62), ("昆明", 24.88, 102.83)):
        assert abs(float(by_city[city]["latitude"]) - lat) < 0.2
        assert abs(float(by_city[city]["longitude"]) - lon) < 0.2
    # Beijing to Shanghai is about 1,070 km as the crow flies
    bj, sh = by_city["北京"], by_city["上海"]
    d = demo.great_circle_km(float(bj["latitude"]), float(bj["longitude"]),
                             float(sh["latitude"]), float(sh["longitude"]))
    assert 1030 < d < 1110


def test_staff_have_chinese_names_pinyin_logins_and_every_role(plan):
    assert len(plan.staff) >= 60
    assert len({s["username"] for s in plan.staff}) == len(plan.staff)
    for person in plan.staff:
        assert CJK.match(person["name"]), person["name"]
        assert re.fullmatch(r"[a-z]+[0-9]*", person["username"]), person["username"]
    offices = {o["code"] for o in plan.offices}
    for code in offices:
        roles = [s["role"] for s in plan.staff if s["office"] == code]
        assert roles.count(Role.OFFICE_MANAGER) == 1, code
        assert roles.count(Role.ENGINEER) >= 2, code
    assert {s["role"] for s in plan.staff} == set(Role)


def test_customers_sites_and_distance_bands(plan):
    assert 280 <= len(plan.customers) <= 320
    assert len({c["name"] for c in plan.customers}) == len(plan.customers)
    assert len({c["industry"] for c in plan.customers}) >= 8
    offices = {o["code"]: o for o in plan.offices}
    office_of = {c["code"]: offices[c["office"]] for c in plan.customers}
    bands = {"<100": 0, "100-500": 0, ">500": 0}
    for site in plan.sites:
        assert inside_china(site["latitude"], site["longitude"]), site
        office = office_of[site["customer"]]
        d = demo.great_circle_km(float(office["latitude"]), float(office["longitude"]),
                                 float(site["latitude"]), float(site["longitude"]))
        bands["<100" if d <= 100 else "100-500" if d <= 500 else ">500"] += 1
        if site["road_distance_km"] is not None:
            assert float(site["road_distance_km"]) >= d * 0.99
    assert min(bands.values()) >= 20, bands
    assert sum(s["road_distance_km"] is not None for s in plan.sites) >= 100
    per_customer = {}
    for site in plan.sites:
        per_customer[site["customer"]] = per_customer.get(site["customer"], 0) + 1
    assert set(per_customer.values()) <= {1, 2, 3} and len(per_customer) == len(plan.customers)


def test_contracts_span_six_years_and_units_their_lives(plan):
    signed = [c["signed_on"] for c in plan.contracts]
    assert min(signed) >= TODAY - dt.timedelta(days=6 * 366) and max(signed) < TODAY
    assert max(signed) - min(signed) > dt.timedelta(days=5 * 365)
    assert {c["status"] for c in plan.contracts} >= {"active", "completed", "draft"}
    assert all(c["value"] > 0 for c in plan.contracts)
    assert 10 <= len(plan.products) <= 15
    assert len(plan.units) >= 2000
    assert len({u["serial"] for u in plan.units}) == len(plan.units)
    assert {u["status"] for u in plan.units} == {
        "ordered", "delivered", "installed", "in_service", "under_repair", "replaced",
        "retired"}


# -- seeded into the database ---------------------------------------------------------

def test_demo_seeds_a_consistent_world(app):
    result = demo.seed("development", today=TODAY)
    assert result.created and result.units_added == 0

    assert Office.select().count() == 26
    for office in Office.select():
        assert inside_china(office.latitude, office.longitude)
    assert Staff.select().count() >= 60
    assert 280 <= Customer.select().count() <= 320
    assert Site.select().count() >= Customer.select().count()
    assert Contact.select().count() >= Customer.select().count()
    assert Product.select().count() >= 10
    assert Unit.select().count() >= 2000
    assert result.counts["unit"] == Unit.select().count()

    in_warranty = (Unit.warranty_start <= TODAY) & (Unit.warranty_end >= TODAY)
    assert Unit.select().where(in_warranty).count() > 300
    assert Unit.select().where(Unit.warranty_end < TODAY).count() > 300
    assert Unit.select().where(Unit.warranty_start.is_null()).count() > 20  # not accepted yet
    assert warranty_status(Unit.select().where(in_warranty).first(), TODAY).covered
    assert not warranty_status(Unit.select().where(Unit.warranty_end < TODAY).first(),
                               TODAY).covered

    # every row passes its model's own rules (the seed skips save() for speed)
    for model in (Office, Staff, Product, Customer, Site, Contact, Contract):
        for row in model.select().order_by(model.id).limit(40):
            row.validate()
    for unit in Unit.select().order_by(Unit.id).limit(150):
        before = (unit.customer_id, unit.warranty_start, unit.warranty_end)
        unit.validate()  # recomputes customer and warranty dates from contract and product
        assert (unit.customer_id, unit.warranty_start, unit.warranty_end) == before, unit.serial
    assert not Unit.select().join(Site, on=(Unit.site == Site.id)).where(
        Site.customer != Unit.customer).exists()

    # one "create" audit entry per row, as the user demo, with office and customer file
    seeded = (Office, Staff, Product, Customer, Site, Contact, Contract, Unit)
    rows = sum(m.select().count() for m in seeded)
    tables = [m._meta.table_name for m in seeded]
    assert AuditEntry.select().where(AuditEntry.table.in_(tables)).count() == rows
    assert AuditEntry.select().where(AuditEntry.actor != "demo").count() == 0
    unit = Unit.select().order_by(Unit.id.desc()).first()
    entry = AuditEntry.get((AuditEntry.table == "unit") & (AuditEntry.row_id == unit.id))
    assert entry.action == "create" and entry.summary == unit.serial
    assert entry.customer == unit.customer_id and entry.office == unit.customer.office_id
    assert json.loads(entry.changes)["serial"] == [None, unit.serial]
    staff_entry = AuditEntry.get(AuditEntry.table == "staff")
    assert json.loads(staff_entry.changes)["password_hash"] == [None, "***"]

    # the repository's term sheets are published; key customers' recent contracts use premium
    pinned = {c.term_set_version.term_set.name for c in
              Contract.select().where(Contract.term_set_version.is_null(False))}
    assert pinned == {"premium"}


def test_one_account_per_role_logs_in_and_a_second_run_changes_nothing(app):
    result = demo.seed("development", today=TODAY)
    assert [role for role, *_ in result.accounts] == list(Role)
    for role, username, password in result.accounts:
        staff = Staff.get(Staff.username == username)
        assert staff.role == role and staff.active
        assert staff.check_password(password)
        assert not staff.check_password(password + "x")
    harbin = Staff.get(Staff.username == "liuhaitao")
    assert harbin.office.code == "HRB" and not sees_all_offices(harbin)

    def snapshot():
        tables = {m._meta.table_name: [tuple(r) for r in m.select().order_by(m.id).tuples()]
                  for m in (Office, Staff, Customer, Site, Contact, Contract, Product, Unit)}
        return tables, AuditEntry.select().count()

    before = snapshot()
    again = demo.seed("development", today=TODAY + dt.timedelta(days=3))
    assert not again.created and again.units_added == 0
    assert again.accounts == result.accounts
    assert snapshot() == before


def test_units_scale_up_in_bulk_with_correct_warranty(app):
    demo.seed("development", today=TODAY)
    audit_before = AuditEntry.select().count()
    result = demo.seed("development", units=5000, today=TODAY)
    assert not result.created and result.units_added == 5000 - demo.DEFAULT_UNITS
    assert Unit.select().count() == 5000
    assert AuditEntry.select().count() == audit_before  # the bulk path is not audited
    for unit in Unit.select().order_by(Unit.id.desc()).limit(150):
        before = (unit.customer_id, unit.warranty_start, unit.warranty_end)
        unit.validate()
        assert (unit.customer_id, unit.warranty_start, unit.warranty_end) == before, unit.serial
    assert not Unit.select().join(Site, on=(Unit.site == Site.id)).where(
        Site.customer != Unit.customer).exists()
    assert demo.seed("development", units=5000).units_added == 0
    assert demo.seed("development", units=100).units_added == 0


def test_small_demo_for_quick_runs(app):
    result = demo.seed("development", units=300, today=TODAY)
    assert result.created and Unit.select().count() == 300


def test_production_refuses_and_writes_nothing(app):
    with pytest.raises(demo.DemoRefused, match="production"):
        demo.seed("production")
    assert Office.select().count() == 0 and AuditEntry.select().count() == 0


def test_a_database_with_other_records_is_left_alone(app, world):
    before = Office.select().count(), AuditEntry.select().count()
    with pytest.raises(demo.DemoRefused, match="not the demo's"):
        demo.seed("development")
    assert (Office.select().count(), AuditEntry.select().count()) == before


def _unit_indexes():
    """The unit table's indexes and foreign keys, as the database describes them."""
    from backoffice.db import database, is_postgres
    if is_postgres():
        sql = ("SELECT indexdef FROM pg_indexes WHERE tablename = 'unit' UNION ALL "
               "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
               "WHERE conrelid = 'unit'::regclass ORDER BY 1")
    else:
        sql = ("SELECT sql FROM sqlite_master WHERE tbl_name = 'unit' AND type = 'index' "
               "UNION ALL SELECT sql FROM sqlite_master WHERE name = 'unit' ORDER BY 1")
    return [row[0] for row in database.execute_sql(sql).fetchall()]


def test_large_top_ups_rebuild_the_unit_indexes_as_they_were(app, monkeypatch):
    from peewee import IntegrityError

    from backoffice.db import database

    demo.seed("development", units=300, today=TODAY)
    indexes = _unit_indexes()
    assert len(indexes) >= 8
    monkeypatch.setattr(demo, "REBUILD_INDEXES_FROM", 100)
    assert demo.add_units(1000, TODAY, chunk=250) == 700
    assert _unit_indexes() == indexes
    assert Unit.select().count() == 1000
    with pytest.raises(IntegrityError), database.atomic():  # the foreign keys are back
        Unit.update(site=999_999).where(Unit.id == 1).execute()
    assert Unit.select().where(Unit.status == "in_service").count() > 100  # the index answers


# -- the tickets, stock and replacements (backoffice.demo.tickets) ---------------------------

def _demo_tickets():
    from backoffice.models import Ticket
    return list(Ticket.select().order_by(Ticket.id))


def test_demo_tickets_in_every_state_across_the_offices(app):
    from collections import Counter

    from backoffice.clock import local, now, stored
    from backoffice.labels import TicketState
    from backoffice.models import Ticket

    result = demo.seed("development")  # today: the live tickets are logged at the real now
    tickets = _demo_tickets()
    assert result.counts["ticket"] == len(tickets) >= 600
    states = Counter(t.state for t in tickets)
    assert set(states) == set(TicketState), states
    assert states[TicketState.CLOSED] > 400 and states[TicketState.CANCELLED] >= 10
    for state in set(TicketState) - {TicketState.CLOSED, TicketState.CANCELLED}:
        assert states[state] >= 5, (state, states)
    # a year of them, at every office; none in the future
    moment = stored(now())
    assert min(t.received_at for t in tickets) >= moment - dt.timedelta(days=366)
    assert max(t.received_at for t in tickets) <= moment
    assert len({t.office_id for t in tickets}) == 26
    # reopened ones, closed again or open again
    reopened = [t for t in tickets if t.reopened]
    assert {t.state for t in reopened} >= {TicketState.CLOSED, TicketState.REPLIED}
    # the Harbin office (the README's manager and engineer) has every open state, and the
    # engineer zhaoming has dispatched tickets in hand
    harbin = Office.get(Office.code == "HRB")
    recent = [t for t in tickets if t.office_id == harbin.id
              and t.received_at >= moment - dt.timedelta(days=8)]
    assert {t.state for t in recent} >= set(TicketState) - {TicketState.CLOSED}
    zhaoming = Staff.get(Staff.username == "zhaoming")
    assert Ticket.select().where((Ticket.engineer == zhaoming.id)
                                 & (Ticket.state == TicketState.DISPATCHED)).exists()
    # live ones: logged through the intake service in the last two hours, reply due soon
    live = [t for t in tickets if t.received_at >= moment - dt.timedelta(hours=2)
            and local(t.received_at).second == 0 and t.reply_due > moment]
    assert len(live) >= 5
    assert all(t.unit_id and t.reply_due - t.received_at == dt.timedelta(hours=2)
               for t in live if t.contract.term_set_version_id is None)


def test_demo_tickets_are_decided_as_the_intake_service_decides(app):
    from backoffice.access import OPERATOR
    from backoffice.clock import local, now, stored
    from backoffice.services import tickets as service

    demo.seed("development")
    moment = stored(now())
    # every tenth ticket on a known unit, received within the 366 days intake accepts
    sample = [t for t in _demo_tickets() if t.unit_id
              and t.received_at > moment - dt.timedelta(days=300)][::10]
    assert len(sample) >= 40
    numbers = {t.number for t in _demo_tickets()}
    for ticket in sample:
        fresh = service.open_ticket(OPERATOR, service.Report(
            summary=ticket.summary, serial=ticket.unit.serial,
            received=local(ticket.received_at), channel=ticket.channel,
            product_state=ticket.product_state))
        for name in ("office_id", "customer_id", "site_id", "contract_id", "covered", "charge",
                     "coverage_by", "coverage_why", "distance_km", "distance_how",
                     "nearer_office_id", "nearer_by_km", "reply_due", "reply_due_by",
                     "reply_why", "arrival_due_by", "arrival_why", "estimated"):
            assert getattr(fresh, name) == getattr(ticket, name), (ticket.number, name)
        # the demo's pauses all came after the reply: each moved the arrival by its length
        assert ticket.arrival_due == fresh.arrival_due + dt.timedelta(
            seconds=ticket.paused_seconds), ticket.number
        # the next number of the office and day continues the demo's
        office, day, _seq = ticket.number.split("-")
        last = max(int(n.rsplit("-", 1)[1]) for n in numbers if n.startswith(f"{office}-{day}-"))
        assert fresh.number == f"{office}-{day}-{last + 1:04d}"
        numbers.add(fresh.number)


def test_demo_ticket_numbers_pauses_and_breaches(app):
    from collections import Counter

    from backoffice.clock import local, now, stored
    from backoffice.labels import TicketState
    from backoffice.models import TicketCounter, TicketPause
    from backoffice.services.tickets import _next_due

    demo.seed("development")
    tickets = _demo_tickets()
    offices = {o.id: o.code for o in Office.select()}
    # numbers: unique, the office's code, the local day of receipt, 1..n per office and day
    assert len({t.number for t in tickets}) == len(tickets)
    per_day = Counter()
    for t in tickets:
        code, day, _seq = t.number.split("-")
        assert code == offices[t.office_id] and day == local(t.received_at).strftime("%Y%m%d")
        per_day[code, day] += 1
    today = local(stored(now())).strftime("%Y%m%d")
    for (code, day), n in per_day.items():
        of_day = sorted((t for t in tickets if t.number.startswith(f"{code}-{day}-")),
                        key=lambda t: t.number)
        assert [int(t.number[-4:]) for t in of_day] == list(range(1, n + 1)), (code, day)
        if day != today:  # numbered in order of receipt (today's live ones come after)
            assert [t.received_at for t in of_day] == sorted(t.received_at for t in of_day)
    counters = {(c.office_code, c.day): c.last for c in TicketCounter.select()}
    assert counters == dict(per_day)
    # every row is valid, and next_due is what the service would set
    for t in tickets:
        t.validate()
        assert t.next_due == _next_due(t), t.number
    # paused ones: their pause rows add up; a waiting one has its open pause
    pauses: dict[int, list] = {}
    for p in TicketPause.select():
        p.validate()
        pauses.setdefault(p.ticket_id, []).append(p)
    paused = [t for t in tickets if t.paused_seconds]
    assert len(paused) >= 30 and sum(len(v) >= 2 for v in pauses.values()) >= 3
    for t in tickets:
        rows = pauses.get(t.id, [])
        assert t.paused_seconds == sum(p.seconds for p in rows if p.ended_at), t.number
        for p in rows:
            if p.ended_at:
                assert p.seconds == (p.ended_at - p.started_at).total_seconds()
        still = [p for p in rows if p.ended_at is None]
        if t.state == TicketState.WAITING:
            assert len(still) == 1 and t.paused_since == still[0].started_at
            assert t.next_due is None and t.pause_reason == still[0].reason
        else:
            assert still == [] and t.paused_since is None
    # breached: late replies and arrivals (missed milestones), and open ones overdue now
    assert sum(t.replied_at is not None and t.replied_at > t.reply_due for t in tickets) >= 20
    assert sum(t.arrived_at is not None and t.arrived_at > t.arrival_due for t in tickets) >= 20
    overdue = [t for t in tickets if t.next_due is not None and t.next_due < stored(now())]
    assert {t.state for t in overdue} >= {TicketState.RECEIVED, TicketState.DISPATCHED}
    # the history's milestones are in order
    for t in tickets:
        steps = [t.received_at, t.replied_at, t.dispatched_at, t.arrived_at, t.restored_at,
                 t.closed_at]
        done = [s for s in steps if s is not None]
        if not t.reopened:
            assert done == sorted(done), t.number


def test_demo_stock_at_every_office_and_replacements(app):
    from backoffice.labels import ReplacementSource, StockItemKind, UnitStatus
    from backoffice.models import Replacement, StockItem, StockLevel, StockMovement
    from backoffice.plugins import current_engine

    demo.seed("development")
    kinds = {i.category for i in StockItem.select()}
    assert kinds == set(StockItemKind)
    products = {p.id for p in Product.select()}
    assert {i.product_id for i in StockItem.select().where(
        StockItem.category == StockItemKind.PRODUCT)} == products
    levels = list(StockLevel.select())
    assert {lv.office_id for lv in levels} == {o.id for o in Office.select()}
    # each level is the balance of its last movement, and no balance went below zero
    last = {}
    for mv in StockMovement.select().order_by(StockMovement.at, StockMovement.id):
        mv.validate()
        assert mv.balance >= 0 and mv.actor == "demo"
        before = last.get((mv.office_id, mv.item_id), 0)
        assert mv.balance == before + mv.quantity
        last[mv.office_id, mv.item_id] = mv.balance
    assert {(lv.office_id, lv.item_id): lv.quantity for lv in levels} == last
    issued = StockMovement.select().where(StockMovement.movement == "issued")
    assert issued.count() >= 20 and all(mv.ticket_id for mv in issued)
    assert StockMovement.select().where(StockMovement.movement == "transfer_in").exists()

    replacements = list(Replacement.select())
    states = {r.state for r in replacements}
    assert states == {"confirmed", "shipped", "delivered"}
    assert any(r.late for r in replacements)  # delivered after its window
    assert any(r.delivered_on is None and r.days_late(demo.center_today()) > 0
               for r in replacements)  # waiting past its window
    assert {r.source for r in replacements} == set(ReplacementSource)
    engine = current_engine()
    for r in replacements:
        r.validate()
        faulty, ticket = r.faulty_unit, r.ticket
        assert ticket.unit_id == faulty.id and r.customer_id == ticket.customer_id
        window = engine.replacement_window(faulty.contract, r.confirmed_on)
        assert (r.earliest, r.latest, r.window_by) == (window.earliest, window.latest,
                                                        window.decided_by)
        if r.new_unit_id:
            new = r.new_unit
            assert new.product.grade == faulty.product.grade
            assert new.contract_id == faulty.contract_id
        if r.delivered_on:
            assert faulty.status == UnitStatus.REPLACED and new.site_id == faulty.site_id
            assert ticket.closed_at.date() >= r.delivered_on - dt.timedelta(days=1)
        if r.source == ReplacementSource.STOCK and r.shipped_on:
            assert StockMovement.select().where((StockMovement.ticket == ticket.id)
                                                & (StockMovement.quantity < 0)).exists()


def test_demo_tickets_are_deterministic_and_written_once(app):
    from backoffice.demo import tickets as demo_tickets
    from backoffice.models import (
        Replacement,
        StaffLeave,
        StockItem,
        StockLevel,
        StockMovement,
        Ticket,
        TicketCounter,
        TicketPause,
    )

    demo.seed("development", today=TODAY)
    anchor = demo_tickets.anchor_for(TODAY)
    assert anchor.hour == 18 and anchor.date() == TODAY

    def snapshot():
        return ({m._meta.table_name: [tuple(r) for r in m.select().order_by(m.id).tuples()]
                 for m in (Ticket, TicketPause, TicketCounter, StockItem, StockLevel,
                           StockMovement, Replacement, StaffLeave)},
                AuditEntry.select().count())

    before = snapshot()
    # the bulk tickets are the plan of this seed, moment and world
    plan = demo_tickets.plan_tickets(demo_tickets.World.read(), anchor)
    demo_tickets.number([p.ticket for p in plan.tickets], {}, {o.id: o for o in Office.select()})
    planned = {(p.ticket.number, p.ticket.received_at, p.ticket.state, p.ticket.reply_due,
                p.ticket.arrival_due, p.ticket.next_due) for p in plan.tickets}
    stored = {(t.number, t.received_at, t.state, t.reply_due, t.arrival_due, t.next_due)
              for t in Ticket.select()}
    live = stored - planned
    assert planned <= stored and 5 <= len(live) <= len(demo_tickets.LIVE_MINUTES)
    # a second run, or the tickets' writer alone, writes nothing
    again = demo.seed("development", today=TODAY + dt.timedelta(days=3))
    assert not again.created
    assert demo_tickets.write_tickets(demo_tickets.Bulk(demo._bulk_create, demo.insert_rows),
                                      TODAY) == 0
    assert snapshot() == before


def test_demo_with_its_tickets_is_all_or_nothing(app, monkeypatch):
    from backoffice.demo import tickets as demo_tickets
    from backoffice.models import Ticket

    def broken(*args, **kwargs):
        raise RuntimeError("the intake service failed")

    monkeypatch.setattr(demo_tickets, "log_live", broken)
    with pytest.raises(RuntimeError):
        demo.seed("development", today=TODAY)
    assert Office.select().count() == Ticket.select().count() == AuditEntry.select().count() == 0
    monkeypatch.undo()
    assert demo.seed("development", today=TODAY).created and Ticket.select().exists()


def test_bulk_tickets_for_benchmarks_keep_numbers_and_counters_in_step(app):
    from collections import Counter

    from backoffice.clock import local
    from backoffice.demo import tickets as demo_tickets
    from backoffice.labels import TicketState
    from backoffice.models import Ticket, TicketCounter
    from backoffice.services.tickets import _next_due

    demo.seed("development", today=TODAY)
    before, audit = Ticket.select().count(), AuditEntry.select().count()
    skipped = Unit.select().where(Unit.status == "in_service").order_by(Unit.id).first()
    had = Ticket.select().where(Ticket.unit == skipped.id).count()
    anchor = demo_tickets.anchor_for(TODAY)
    added = demo_tickets.add_tickets(4000, demo.insert_rows, anchor, skip_units={skipped.id},
                                     chunk=1500)
    assert added == 4000 - before and Ticket.select().count() == 4000
    assert demo_tickets.add_tickets(4000, demo.insert_rows, anchor) == 0
    assert AuditEntry.select().count() == audit  # synthetic rows: no audit trail
    assert Ticket.select().where(Ticket.unit == skipped.id).count() == had
    tickets = list(Ticket.select())
    per_day = Counter()
    sequences = {}
    for t in tickets:
        code, day, seq = t.number.split("-")
        assert day == local(t.received_at).strftime("%Y%m%d")
        per_day[code, day] += 1
        sequences.setdefault((code, day), []).append(int(seq))
        assert t.next_due == _next_due(t), t.number
    assert len({t.number for t in tickets}) == len(tickets)
    counters = {(c.office_code, c.day): c.last for c in TicketCounter.select()}
    assert counters == dict(per_day)  # the demo's days continued, new days counted
    for (code, day), n in per_day.items():
        assert sorted(sequences[code, day]) == list(range(1, n + 1)), (code, day)
    # the story runs up to the moment: only the last days' are still open
    stored_anchor = anchor.astimezone(dt.UTC).replace(tzinfo=None)
    bulk = [t for t in tickets if t.id > before]
    assert max(t.received_at for t in bulk) < stored_anchor
    old = [t for t in bulk if t.received_at < stored_anchor - dt.timedelta(days=10)]
    assert {t.state for t in old} <= {TicketState.CLOSED, TicketState.CANCELLED}
    assert {t.state for t in bulk} > {TicketState.CLOSED, TicketState.CANCELLED}
