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
