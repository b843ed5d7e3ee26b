"""The dispatch recommendation: engineers ranked by the rule engine with the facts it
weighs (distance, in time, spare in stock, leave, open tickets, skills), and a why
that the ticket keeps when one is sent."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from backoffice.access import AccessDenied
from backoffice.clock import local
from backoffice.config import ConfigError, load_settings
from backoffice.labels import Role
from backoffice.models import Office, Product, RuleViolation, Site, StaffLeave
from backoffice.services import dispatch, stock, tickets
from backoffice.services.tickets import Report
from tests.factories import TESTS, make, make_staff, save


@pytest.fixture
def crew(world):
    """Harbin (the serving office, 80 km by road from the site), Changchun (about 300 km
    by the crow-flies estimate: in time for the 6 h arrival at 60 km/h) and Guangzhou
    (thousands of km: not in time), an engineer or two each."""
    changchun = make(Office, code="CGQ", name="Changchun office", city="Changchun",
                     province="Jilin", latitude=Decimal("43.817071"),
                     longitude=Decimal("125.323544"))
    site = Site.get_by_id(world.harbin_site.id)
    site.road_distance_km = Decimal(80)
    save(site)
    staff = {
        "harbin": world.users["harbin_engineer"],
        "harbin2": make_staff("harbin_engineer2", Role.ENGINEER, world.harbin, "Harbin two"),
        "changchun": make_staff("cc_engineer", Role.ENGINEER, changchun, "Changchun one"),
        "guangzhou": make_staff("gz_engineer", Role.ENGINEER, world.guangzhou,
                                "Guangzhou one"),
    }
    ticket = tickets.open_ticket(TESTS, Report(summary="UPS down", serial="SN-HRB-0001"))
    return ticket, changchun, staff


def names(ranked):
    return [r.engineer.username for r in ranked]


def test_without_stock_the_nearest_in_time_come_first(world, crew):
    ticket, _changchun, _staff = crew
    ranked = dispatch.recommend(world.users["harbin_manager"], ticket)
    assert names(ranked)[:2] in (["harbin_engineer", "harbin_engineer2"],
                                 ["harbin_engineer2", "harbin_engineer"])
    assert names(ranked)[2:] == ["cc_engineer", "gz_engineer"]
    first, changchun, guangzhou = ranked[0], ranked[2], ranked[3]
    assert (first.candidate.distance_km, first.distance_how) == (80.0, "road")
    assert changchun.distance_how == "estimated" and 250 < changchun.candidate.distance_km < 400
    assert changchun.candidate.reachable_in_time and not guangzhou.candidate.reachable_in_time
    assert not any(r.candidate.spare_in_stock for r in ranked)
    assert first.can_arrive - dt.timedelta(hours=80 / 60) <= dispatch.now()
    assert "80 km by road" in first.why and "no spare UPS-100 in stock" in first.why
    assert "after the arrival due" in guangzhou.why
    assert [r.rank for r in ranked] == [1, 2, 3, 4]


def test_with_stock_the_office_holding_the_spare_comes_first(world, crew):
    ticket, changchun, _staff = crew
    stock.receive(TESTS, changchun, world.product, 1)
    ranked = dispatch.recommend(TESTS, ticket)
    assert names(ranked)[0] == "cc_engineer"
    assert ranked[0].candidate.spare_in_stock and "spare UPS-100 in stock" in ranked[0].why
    # a spare too far away to be in time does not win
    stock.issue(TESTS, changchun, stock.product_item(world.product), ticket)
    stock.receive(TESTS, world.guangzhou, world.product, 1)
    ranked = dispatch.recommend(TESTS, ticket)
    assert names(ranked)[-1] == "gz_engineer" and ranked[-1].candidate.spare_in_stock


def test_an_engineer_on_leave_is_ranked_last_with_the_reason(world, crew):
    ticket, _changchun, staff = crew
    today = local(ticket.received_at).date()
    make(StaffLeave, staff=staff["harbin"], starts_on=today - dt.timedelta(days=1),
         ends_on=today + dt.timedelta(days=3), reason="annual leave")
    make(StaffLeave, staff=staff["harbin2"], starts_on=today + dt.timedelta(days=5),
         ends_on=today + dt.timedelta(days=9), reason="later: does not count")
    ranked = dispatch.recommend(TESTS, ticket)
    assert names(ranked) == ["harbin_engineer2", "cc_engineer", "gz_engineer",
                             "harbin_engineer"]
    last = ranked[-1]
    assert last.candidate.on_leave and last.leave.reason == "annual leave"
    assert "on leave" in last.why and "annual leave" in last.why
    assert not ranked[0].candidate.on_leave


def test_fewer_open_tickets_break_a_tie(world, crew):
    ticket, _changchun, staff = crew
    other = tickets.open_ticket(TESTS, Report(summary="second fault", serial="SN-HRB-0001"))
    tickets.reply(TESTS, other, "coming")
    tickets.dispatch(TESTS, other, staff["harbin2"])
    ranked = dispatch.recommend(TESTS, ticket)
    assert names(ranked)[:2] == ["harbin_engineer", "harbin_engineer2"]
    assert ranked[1].candidate.open_tickets == 1 and "1 open ticket" in ranked[1].why


def test_a_slower_travel_speed_makes_the_far_office_late(app, world, crew):
    ticket, _changchun, _staff = crew
    app.config["TRAVEL_SPEED_KMH"] = 30.0  # 300 km: 10 h, the arrival is due in 6 h
    ranked = {r.engineer.username: r for r in dispatch.recommend(TESTS, ticket)}
    assert not ranked["cc_engineer"].candidate.reachable_in_time
    assert "at 30 km/h" in ranked["cc_engineer"].why
    assert ranked["harbin_engineer"].candidate.reachable_in_time  # 80 km: under 3 h


def test_send_stores_the_engineer_and_why_on_the_ticket(world, crew):
    ticket, changchun, staff = crew
    stock.receive(TESTS, changchun, world.product, 1)
    tickets.reply(TESTS, ticket, "an engineer is coming")
    ranked = dispatch.recommend(TESTS, ticket)
    dispatch.send(world.users["hq"], ticket)
    assert ticket.engineer_id == staff["changchun"].id
    assert ticket.dispatch_why == ranked[0].why and ticket.dispatch_why.startswith("#1 of 4")
    assert ticket.planned_arrival is not None


def test_an_engineer_on_leave_is_not_sent(world, crew):
    ticket, _changchun, staff = crew
    today = local(ticket.received_at).date()
    make(StaffLeave, staff=staff["harbin"], starts_on=today, ends_on=today, reason="ill")
    tickets.reply(TESTS, ticket, "coming")
    with pytest.raises(RuleViolation) as info:
        dispatch.send(TESTS, ticket, staff["harbin"])
    assert info.value.code == "on_leave"
    dispatch.send(TESTS, ticket, staff["harbin2"])
    assert ticket.engineer_id == staff["harbin2"].id


def test_another_offices_ticket_is_not_the_users_to_see(world, crew):
    ticket, _changchun, _staff = crew
    with pytest.raises(AccessDenied):
        dispatch.recommend(world.users["guangzhou_manager"], ticket)


def test_an_unknown_distance_is_never_in_time(world, crew):
    ticket, _changchun, _staff = crew
    site = Site.get_by_id(world.harbin_site.id)
    site.road_distance_km = site.latitude = site.longitude = None
    save(site)
    ranked = dispatch.recommend(TESTS, ticket)
    assert all(math.isinf(r.candidate.distance_km) for r in ranked)
    assert not any(r.candidate.reachable_in_time for r in ranked)
    assert "distance unknown" in ranked[0].why


@pytest.mark.parametrize("skills, model, grade, expected", [
    ("ups, battery, rectifier", "UPS-HP10", "commercial", True),      # the family
    ("battery", "BAT-VR200", "commercial", True),                     # bat... = battery
    ("hvdc, training", "UPS-HP10", "commercial", False),
    ("grade a, monitoring", "UPS-100", "A", True),                   # the grade's words
    ("data centre", "STS-250", "data-centre", True),
    ("commissioning UPS-MD600", "UPS-MD600", "data-centre", True),   # the whole model
    ("", "UPS-HP10", "commercial", False),
])
def test_skills_against_the_product(skills, model, grade, expected):
    assert dispatch.skills_match(skills, Product(model=model, grade=grade)) is expected


def test_travel_speed_is_a_setting_with_a_sensible_range():
    assert load_settings({})["travel_speed_kmh"] == 60.0
    assert load_settings({}, environ={"BACKOFFICE_TRAVEL_SPEED_KMH": "45"})[
        "travel_speed_kmh"] == 45.0
    with pytest.raises(ConfigError, match="travel_speed_kmh"):
        load_settings({"travel_speed_kmh": 0})


def test_a_contracts_plugin_ranks_through_the_rule_engine(world, crew):
    from backoffice.models import Contract
    from backoffice.testing import enable_plugin, load_plugin, plugin_registered
    from tests.test_plugins import ROOT
    ticket, _changchun, _staff = crew
    with plugin_registered(load_plugin(ROOT / "plugins" / "key_account.py"), "key_account"):
        enable_plugin(Contract.get_by_id(world.harbin_contract.id), "key_account",
                      engineer="gz_engineer")
        ranked = dispatch.recommend(TESTS, ticket)
        assert names(ranked)[0] == "gz_engineer"  # the key account's named engineer
        assert ranked[0].why.startswith("#1 of 4: Guangzhou one (Guangzhou office)")
    assert names(dispatch.recommend(TESTS, ticket))[0] != "gz_engineer"
