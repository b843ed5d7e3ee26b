"""Rules that a planted bug once broke without any test noticing (issue 7, item 12).

Each test here failed with its bug planted in a scratch copy and passes without
it; the expected values are written out (a literal 0.75, "same-origin", 20000),
never read from the code's own constants, so a changed constant fails here.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.config import ConfigError, load_settings
from backoffice.hookspecs import Deadline, EscalationStep, hookimpl
from backoffice.models import Contract, RuleViolation, Staff, Unit
from backoffice.plugins import current_engine
from backoffice.services import contracts as contract_service
from backoffice.services import users as user_service
from backoffice.services.deadlines import check_distance, compute_deadlines
from backoffice.terms import parse_sheet
from backoffice.testing import enable_plugin, plugin_registered
from tests.conftest import csrf_token
from tests.factories import TESTS, make, publish, save

RECEIVED = "2026-11-26T09:00"
PREMIUM = Path(__file__).resolve().parent.parent / "rules" / "premium.toml"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# -- the contract-rules screen: the version the editor saw -----------------------------

def _rules_form(client, url):
    page = client.get(url).get_data(as_text=True)
    seen = re.search(r'name="seen_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="seen_version"',
                     page)
    assert seen, "the contract rules form carries the version it shows"
    return {"csrf_token": csrf_token(page), "seen_version": seen.group(1) or seen.group(2)}


def test_two_editors_of_a_contracts_rules_the_second_is_told_not_overwritten(
        client, auth, world):
    premium = publish(parse_sheet(PREMIUM.read_text(encoding="utf-8")))
    auth.login("hq")
    url = f"/admin/rules/contracts/{world.harbin_contract.id}/"
    first, second = _rules_form(client, url), _rules_form(client, url)  # two tabs, one version
    saved = client.post(url, data={**first, "term_set_version": str(premium.id),
                                   "plugins": "{}"}, follow_redirects=True)
    assert "Saved the rules of contract K-HRB-1." in text(saved)
    late = client.post(url, data={**second, "term_set_version": "", "plugins": "{}"},
                       follow_redirects=True)
    assert "changed by someone else since you opened it" in text(late)
    assert Contract.get_by_id(world.harbin_contract.id).term_set_version_id == premium.id


def test_set_rules_refuses_a_stale_version_and_writes_nothing(world):
    premium = publish(parse_sheet(PREMIUM.read_text(encoding="utf-8")))
    hq = world.users["hq"]
    opened = Contract.get_by_id(world.harbin_contract.id)
    seen = opened.version
    contract_service.set_rules(hq, Contract.get_by_id(opened.id), term_set_version_id=premium.id,
                               plugins="{}", seen_version=seen)
    with pytest.raises(RuleViolation) as info:
        contract_service.set_rules(hq, Contract.get_by_id(opened.id), term_set_version_id=None,
                                   plugins="{}", seen_version=seen)
    assert info.value.code == "stale"
    stored = Contract.get_by_id(opened.id)
    assert (stored.term_set_version_id, stored.version) == (premium.id, seen + 1)


# -- the ajax look-up behind a form's picker: only for those who may write -----------------

LOOKUPS = [("site", "customer"), ("contact", "customer"), ("contract", "customer"),
           ("unit", "contract")]


@pytest.mark.parametrize("user, status", [("viewer", 403), ("harbin_engineer", 403),
                                          ("harbin_manager", 200)])
def test_the_ajax_look_up_is_refused_to_read_only_roles(client, auth, world, user, status):
    auth.login(user)
    for endpoint, name in LOOKUPS:
        page = client.get(f"/admin/{endpoint}/ajax/lookup/?name={name}&query=")
        assert page.status_code == status, endpoint
        if status == 200:
            assert json.loads(page.get_data(as_text=True)), endpoint


# -- a plugin's arrival deadline must come after receipt -----------------------------------

class ArrivesBeforeReceipt:
    @hookimpl
    def arrival_deadline(self, received):
        return Deadline(due=received - dt.timedelta(minutes=1), decided_by="yesterday")


class ArrivesInNegativeTime:
    @hookimpl
    def arrival_deadline(self):
        return Deadline(within=dt.timedelta(hours=-2), decided_by="backwards")


class ArrivesAtReceipt:
    @hookimpl
    def arrival_deadline(self, received):
        return Deadline(due=received, decided_by="already there")


@pytest.mark.parametrize("plugin, name", [(ArrivesBeforeReceipt(), "before_receipt"),
                                          (ArrivesInNegativeTime(), "negative_time")])
def test_an_arrival_before_receipt_is_refused_and_the_charter_decides(world, plugin, name):
    with plugin_registered(plugin, name):
        enable_plugin(world.harbin_contract, name)
        result = compute_deadlines(RECEIVED, 320, world.harbin_contract)
    assert result.arrival.decided_by == "charter v1: arrival band 100-500 km"
    assert result.arrival.due == dt.datetime(2026, 11, 26, 21, 0, tzinfo=current_engine().tz)
    assert [f[:2] for f in result.failures] == [(name, "arrival_deadline")]


def test_an_arrival_due_at_receipt_itself_is_accepted(world):
    with plugin_registered(ArrivesAtReceipt(), "at_receipt"):
        enable_plugin(world.harbin_contract, "at_receipt")
        result = compute_deadlines(RECEIVED, 320, world.harbin_contract)
    assert result.arrival.decided_by == "at_receipt: already there"
    assert result.failures == ()


# -- the distance of a site: 0 to 20,000 km ---------------------------------------------

@pytest.mark.parametrize("value, expected", [(0, 0.0), ("20000", 20000.0), (19999.9, 19999.9)])
def test_a_distance_up_to_20000_km_is_taken(value, expected):
    assert check_distance(value) == expected


@pytest.mark.parametrize("value", [20000.01, 20001, -0.1, "nan", "inf", "-inf", "far", None])
def test_a_distance_beyond_20000_km_or_below_0_is_refused(value):
    with pytest.raises(ValueError) as info:
        check_distance(value)
    assert "km" in str(info.value)


def test_the_preview_refuses_a_distance_beyond_20000_km(app):
    with pytest.raises(ValueError, match="between 0 and 20000 km"):
        compute_deadlines(RECEIVED, 20000.5)
    assert compute_deadlines(RECEIVED, 20000).arrival.decided_by == (
        "charter v1: arrival band over 500 km")


# -- configuration bounds --------------------------------------------------------------------

@pytest.mark.parametrize("key", ["login_max_failures", "login_lockout_minutes", "page_size",
                                 "export_max_rows"])
def test_a_limit_is_at_least_1(key):
    assert load_settings({key: 1}, environ={})[key] == 1
    for value in (0, -1):
        with pytest.raises(ConfigError) as info:
            load_settings({key: value}, environ={})
        assert str(info.value) == f"config: {key} must be at least 1, got {value}"


def test_production_needs_a_secret_of_16_characters_or_more():
    assert load_settings({"env": "production", "secret_key": "x" * 16},
                         environ={})["secret_key"] == "x" * 16
    for secret in ("", "x" * 15):
        with pytest.raises(ConfigError) as info:
            load_settings({"env": "production", "secret_key": secret}, environ={})
        assert str(info.value) == "config: secret_key must be set (16+ characters) in production"
    # outside production an empty secret is fine: the app keeps a random one
    assert load_settings({"secret_key": ""}, environ={})["env"] == "development"


@pytest.mark.parametrize("proxies", [0, 1, 5])
def test_trusted_proxies_from_0_to_5_are_taken(proxies):
    assert load_settings({"trusted_proxies": proxies}, environ={})["trusted_proxies"] == proxies


@pytest.mark.parametrize("proxies", [-1, 6, 100])
def test_trusted_proxies_outside_0_to_5_are_refused(proxies):
    with pytest.raises(ConfigError) as info:
        load_settings({"trusted_proxies": proxies}, environ={})
    assert str(info.value) == f"config: trusted_proxies must be between 0 and 5, got {proxies}"


def test_a_road_factor_of_exactly_1_is_taken():
    assert load_settings({"road_factor": 1}, environ={})["road_factor"] == 1.0
    with pytest.raises(ConfigError, match="road_factor must be at least 1, got 0.99"):
        load_settings({"road_factor": 0.99}, environ={})


# -- security headers, against literal values ---------------------------------------------

def test_the_security_headers_are_these_values(client):
    headers = client.get("/login").headers
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert headers["Content-Security-Policy"].startswith("default-src 'self'; ")
    assert "Strict-Transport-Security" not in headers  # development: no HTTPS promised


def test_production_promises_https_for_a_year(make_app):
    app = make_app(env="production", secret_key="production-secret-0123456789")
    headers = app.test_client().get("/login").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["Referrer-Policy"] == "same-origin"


# -- a unit's own rules ------------------------------------------------------------------------

def test_a_unit_cannot_stand_at_another_customers_site(world):
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.site = world.guangzhou_site.id
    with pytest.raises(RuleViolation) as info:
        save(unit)
    assert (info.value.code, info.value.field) == ("site_of_other_customer", "site")
    assert Unit.get_by_id(unit.id).site_id == world.harbin_site.id
    with pytest.raises(RuleViolation):
        make(Unit, serial="SN-ELSEWHERE", product=world.product,
             contract=world.harbin_contract, site=world.guangzhou_site)
    assert not Unit.select().where(Unit.serial == "SN-ELSEWHERE").exists()


def test_acceptance_cannot_come_before_installation(world):
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.installed_on, unit.accepted_on = dt.date(2025, 2, 1), dt.date(2025, 1, 31)
    with pytest.raises(RuleViolation) as info:
        save(unit)
    assert info.value.field == "accepted_on"
    assert Unit.get_by_id(unit.id).accepted_on == dt.date(2025, 2, 10)
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.accepted_on = dt.date(2025, 2, 1)  # accepted on the day it was installed
    save(unit)
    assert Unit.get_by_id(unit.id).warranty_start == dt.date(2025, 2, 1)


def test_a_contract_value_cannot_be_negative(world):
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.value = Decimal("-0.01")
    with pytest.raises(RuleViolation) as info:
        save(contract)
    assert info.value.field == "value"
    assert Contract.get_by_id(contract.id).value == Decimal(100000)
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.value = Decimal(0)  # a free contract (a goodwill replacement) is fine
    save(contract)
    assert Contract.get_by_id(contract.id).value == Decimal(0)


# -- accounts ------------------------------------------------------------------------------------

def test_a_password_needs_8_characters(world):
    staff = Staff.get_by_id(world.users["viewer"].id)
    with pytest.raises(RuleViolation) as info:
        user_service.set_password(TESTS, staff, "7-chars")
    assert info.value.field == "password"
    assert Staff.get_by_id(staff.id).check_password("correct-horse-1")
    user_service.set_password(TESTS, Staff.get_by_id(staff.id), "8-chars!")
    assert Staff.get_by_id(staff.id).check_password("8-chars!")
    with pytest.raises(RuleViolation):
        user_service.create(TESTS, "shorty", role="viewer", password="1234567")
    assert user_service.by_username("shorty") is None


@pytest.mark.parametrize("role", ["office_manager", "engineer"])
def test_office_managers_and_engineers_belong_to_an_office(world, role):
    with pytest.raises(RuleViolation) as info:
        user_service.create(TESTS, "nowhere", role=role, password="correct-horse-1")
    assert info.value.field == "office"
    staff = Staff.get_by_id(world.users["harbin_manager"].id)
    staff.role, staff.office = role, None
    with pytest.raises(RuleViolation):
        save(staff)
    assert Staff.get_by_id(staff.id).office_id == world.harbin.id
    assert user_service.by_username("nowhere") is None


@pytest.mark.parametrize("role", ["viewer", "hq", "admin"])
def test_other_roles_may_belong_to_no_office(world, role):
    staff = user_service.create(TESTS, f"free-{role}", role=role, password="correct-horse-1")
    assert staff.office_id is None


# -- the charter's escalation ------------------------------------------------------------------

def test_the_charter_escalates_at_75_percent_then_to_hq_at_the_deadline(app):
    """Each deadline: a warning at 75 % to the engineer and the office manager, the breach
    to the manager and headquarters, the head of service once it is 4 h old."""
    four_hours = dt.timedelta(hours=4)
    assert current_engine().escalation_ladder(None, None) == [
        step for deadline in ("reply", "arrival") for step in (
            EscalationStep(deadline, 0.75, "engineer"),
            EscalationStep(deadline, 0.75, "office_manager"),
            EscalationStep(deadline, 1.0, "office_manager"),
            EscalationStep(deadline, 1.0, "hq"),
            EscalationStep(deadline, 1.0, "head_of_service", after=four_hours))]
