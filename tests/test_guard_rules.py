"""Tests that kill the mutants scripts/mutate found alive (issue 7, item 12).

Each test names the rule it holds; the mutant it was written against is in its docstring
(`bash scripts/mutate show NAME` shows the change). The survivors left are explained as
equivalent in docs/operations.md, "Mutation testing".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sqlite3
import sys
import zoneinfo
from pathlib import Path
from typing import ClassVar

import peewee
import pytest

from backoffice.access import OPERATOR, AccessDenied
from backoffice.config import ConfigError
from backoffice.db import DatabaseBusy
from backoffice.hookspecs import (
    Deadline,
    DispatchCandidate,
    EscalationStep,
    Staffing,
    Window,
    hookimpl,
)
from backoffice.models import (
    AuditEntry,
    Contact,
    Contract,
    Customer,
    Office,
    RuleViolation,
    Site,
    Staff,
    TermSetVersion,
    Unit,
)
from backoffice.plugins import contracts_using, current_engine, import_plugin_path, registry
from backoffice.services import contracts as contract_service
from backoffice.services import records
from backoffice.services import users as user_service
from backoffice.services.deadlines import impact_of, local_date, resolve
from backoffice.terms import STANDARD, parse_sheet
from backoffice.testing import enable_plugin, plugin_registered
from tests.factories import TESTS, make, make_staff, publish, save

ROOT = Path(__file__).resolve().parent.parent

# -- refusals say what happened --------------------------------------------------------------

def test_access_denied_says_so_unless_told_otherwise():
    assert str(AccessDenied()) == "You are not allowed to do this."
    assert (AccessDenied().code, AccessDenied().field) == ("forbidden", None)
    assert str(AccessDenied("Not yours.", "out_of_scope")) == "Not yours."


# -- the facade passes the contract and the arguments to the contract's plugins ------------

class Everything:
    """Answers every per-contract decision with what it was given."""

    seen: ClassVar[dict] = {}

    @hookimpl
    def dispatch_ranking(self, ticket, candidates, contract, terms):
        Everything.seen["dispatch_ranking"] = (ticket, contract.number, terms.name)
        return list(reversed(candidates))

    @hookimpl
    def escalation_ladder(self, ticket, contract, terms):
        Everything.seen["escalation_ladder"] = (ticket, contract.number, terms.name)
        return [EscalationStep("arrival", 0.5, "hq")]

    @hookimpl
    def negotiation_steps(self, ticket, cause, contract, terms):
        Everything.seen["negotiation_steps"] = (ticket, cause, contract.number, terms.name)
        return ["talk"]

    @hookimpl
    def duty_staffing(self, request, contract, terms):
        Everything.seen["duty_staffing"] = (request, contract.number, terms.name)
        return Staffing(3, ("electrician",), "three on duty")

    @hookimpl
    def visit_frequency(self, customer, contract, terms):
        Everything.seen["visit_frequency"] = (customer, contract.number, terms.name)
        return 4

    @hookimpl
    def notification_channels(self, contract):
        Everything.seen["notification_channels"] = contract.number
        return []


def test_the_facade_asks_the_contracts_plugins_with_every_argument(world):
    engine = current_engine()
    contract = world.harbin_contract
    near = DispatchCandidate("Zhao", "HRB", 10.0, True)
    far = DispatchCandidate("Li", "CAN", 900.0, True)
    Everything.seen = {}
    with plugin_registered(Everything(), "everything"):
        enable_plugin(contract, "everything")
        contract = Contract.get_by_id(contract.id)
        assert engine.dispatch_ranking(contract, "T-1", [near, far]) == [far, near]
        assert engine.escalation_ladder(contract, "T-1") == [
            EscalationStep("arrival", 0.5, "hq")]
        assert engine.negotiation_steps(contract, "T-1", "quality") == ["talk"]
        assert engine.duty_staffing(contract, "R-1").people == 3
        assert engine.visit_frequency(contract, "C-1") == 4
        assert engine.notification_channels(contract) == []
    assert Everything.seen == {
        "dispatch_ranking": ("T-1", "K-HRB-1", "charter"),
        "escalation_ladder": ("T-1", "K-HRB-1", "charter"),
        "negotiation_steps": ("T-1", "quality", "K-HRB-1", "charter"),
        "duty_staffing": ("R-1", "K-HRB-1", "charter"),
        "visit_frequency": ("C-1", "K-HRB-1", "charter"),
        "notification_channels": "K-HRB-1",
    }
    assert engine.failure_count("everything") == 0


# -- the last administrator ---------------------------------------------------------------

def test_the_only_administrator_can_be_neither_removed_nor_demoted(world):
    admin = Staff.get_by_id(world.users["admin"].id)
    with pytest.raises(RuleViolation) as info:
        records.delete(OPERATOR, admin)
    assert info.value.code == "last_admin"
    assert str(info.value) == ("admin is the last active administrator; make another "
                               "administrator first.")
    for change in ({"active": False}, {"role": "hq"}):
        admin = Staff.get_by_id(world.users["admin"].id)
        for name, value in change.items():
            setattr(admin, name, value)
        with pytest.raises(RuleViolation) as info:
            records.save(OPERATOR, admin)
        assert info.value.code == "last_admin"
    assert Staff.get_by_id(admin.id).active and Staff.get_by_id(admin.id).role == "admin"


def test_a_second_administrator_lets_the_first_go(world):
    make_staff("second_admin", "admin")
    admin = Staff.get_by_id(world.users["admin"].id)
    admin.role = "hq"
    records.save(OPERATOR, admin)
    assert Staff.get_by_id(admin.id).role == "hq"


def test_staff_are_removed_freely_where_no_administrator_is_left_to_protect(app):
    office = make(Office, code="HRB", name="Harbin", city="Harbin", province="Heilongjiang",
                  latitude=45.8, longitude=126.5)
    viewer = make_staff("only_viewer", "viewer", office)
    records.delete(OPERATOR, viewer)  # no administrator at all: nothing to protect
    assert Staff.get_or_none(Staff.id == viewer.id) is None


def test_an_unknown_role_is_refused_on_the_role_field(world):
    with pytest.raises(RuleViolation) as info:
        user_service.create(TESTS, "someone", role="boss", password="correct-horse-1")
    assert info.value.field == "role"
    assert "unknown role 'boss'" in str(info.value)


# -- deleting a record with its parts ------------------------------------------------------

def test_a_customer_goes_with_its_sites_and_contacts_each_audited(world):
    customer = make(Customer, code="C-GONE", name="Gone Ltd", office=world.harbin)
    site = make(Site, customer=customer, name="Gone plant")
    contact = make(Contact, customer=customer, name="Gone person")
    records.delete(TESTS, Customer.get_by_id(customer.id))
    assert Customer.get_or_none(Customer.id == customer.id) is None
    assert Site.get_or_none(Site.id == site.id) is None
    assert Contact.get_or_none(Contact.id == contact.id) is None
    deleted = {(e.table, e.row_id) for e in AuditEntry.select().where(
        AuditEntry.action == "delete")}
    assert {("customer", customer.id), ("site", site.id), ("contact", contact.id)} <= deleted


def test_a_customer_with_contracts_is_refused_and_keeps_everything(world):
    customer = Customer.get_by_id(world.harbin_customer.id)
    with pytest.raises(RuleViolation) as info:
        records.delete(TESTS, customer)
    assert info.value.code == "in_use"
    assert "still used by 1" in str(info.value)
    assert Site.get_or_none(Site.id == world.harbin_site.id) is not None
    assert Customer.get_or_none(Customer.id == customer.id) is not None


# -- a contract's plugins ---------------------------------------------------------------------

def test_plugin_problems_reads_out_unparsable_settings(world):
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.plugins = "{not json"
    problems = contract_service.plugin_problems(contract)
    assert len(problems) == 1 and problems[0].startswith("Plugins must be a JSON object")
    contract.plugins = json.dumps({"nowhere": {}})
    assert contract_service.plugin_problems(contract) == [
        "Plugin nowhere is not loaded (see backoffice plugins list)."]


# -- a database that stays locked is a 503, not a 500 -------------------------------------

@pytest.fixture
def busy_app(make_app, app):
    application = make_app()

    @application.route("/busy")
    def busy():
        raise DatabaseBusy("Busy: try again.")

    @application.route("/locked")
    def locked():
        # as peewee raises it: its own error, caused by the driver's
        raise peewee.OperationalError("locked") from sqlite3.OperationalError(
            "database is locked")

    @application.route("/broken")
    def broken():
        raise peewee.IntegrityError("something else")

    application.testing = False
    application.config["PROPAGATE_EXCEPTIONS"] = False
    return application


def test_a_lock_timeout_asks_to_try_again_with_a_503(busy_app):
    client = busy_app.test_client()
    page = client.get("/busy")
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert "Busy: try again." in page.get_data(as_text=True)
    page = client.get("/locked")
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert "The database is busy; nothing was saved." in page.get_data(as_text=True)
    answer = client.get("/busy", headers={"Accept": "application/json"})
    assert (answer.status_code, answer.get_json()) == (503, {"error": "Busy: try again."})
    assert answer.headers["Retry-After"] == "2"


def test_any_other_database_error_stays_a_500(busy_app):
    page = busy_app.test_client().get("/broken")
    assert page.status_code == 500
    assert "Retry-After" not in page.headers


def test_an_administrator_may_be_deleted_while_another_remains(world):
    second = make_staff("second_admin", "admin")
    records.delete(OPERATOR, Staff.get_by_id(second.id))
    assert Staff.get_or_none(Staff.id == second.id) is None


def test_an_unknown_office_is_refused_on_the_office_field(world):
    with pytest.raises(RuleViolation) as info:
        user_service.create(TESTS, "someone", role="engineer", password="correct-horse-1",
                            office_code="zzz")
    assert (info.value.field, info.value.code) == ("office", "not_found")
    assert str(info.value) == "no office with code 'zzz'"


# -- which contracts a new term-set version would change -------------------------------------

def _sheet(name: str, reply_hours: int) -> str:
    text = (ROOT / "rules" / f"{name}.toml").read_text(encoding="utf-8")
    return re.sub(r"(?m)^hours = \d+", f"hours = {reply_hours}", text, count=1)


def test_impact_lists_the_contracts_on_the_sets_other_versions_in_number_order(world):
    premium_v1 = publish(parse_sheet(_sheet("premium", 1)))
    premium_v2 = publish(parse_sheet(_sheet("premium", 3)))
    on_v1 = []
    for number in ("K-ZZZ-9", "K-AAA-1"):  # created out of order
        on_v1.append(make(Contract, number=number, customer=world.harbin_customer,
                          signed_on=dt.date(2025, 3, 1), term_set_version=premium_v1))
    make(Contract, number="K-ON-V2", customer=world.harbin_customer,
         signed_on=dt.date(2025, 3, 1), term_set_version=premium_v2)
    impacts = impact_of(premium_v2, "2026-11-26T09:00", 320, "2026-11-27")
    assert [i.contract.number for i in impacts] == ["K-AAA-1", "K-ZZZ-9"]
    for impact in impacts:
        assert impact.pinned == "premium v1"
        assert impact.under_new.contract.number == impact.contract.number
        assert impact.now.replacement is not None and impact.under_new.replacement is not None
        assert impact.now.replacement.earliest == impact.under_new.replacement.earliest
        assert impact.changes  # reply within 1 h now, 3 h under v2


def test_impact_of_a_new_charter_lists_unpinned_contracts_and_the_old_charter(world):
    charter_v2 = publish(parse_sheet(_sheet("charter", 3)))
    charter_v1 = TermSetVersion.get((TermSetVersion.term_set == charter_v2.term_set_id)
                                    & (TermSetVersion.number == 1))
    make(Contract, number="K-OLD-CHARTER", customer=world.harbin_customer,
         signed_on=dt.date(2025, 3, 1), term_set_version=charter_v1)
    premium = publish(parse_sheet(_sheet("premium", 1)))
    make(Contract, number="K-PREMIUM", customer=world.harbin_customer,
         signed_on=dt.date(2025, 3, 1), term_set_version=premium)
    numbers = [i.contract.number for i in impact_of(charter_v2, "2026-11-26T09:00", 80)]
    assert numbers == ["K-CAN-1", "K-HRB-1", "K-OLD-CHARTER"]


# -- units follow their contract, each with its own dates -------------------------------------

def test_each_unit_gets_its_own_dates_and_a_unit_set_by_hand_keeps_them(world):
    late = make(Unit, serial="SN-LATE", product=world.product, contract=world.harbin_contract,
                installed_on=dt.date(2025, 5, 1), accepted_on=dt.date(2025, 5, 20))
    by_hand = make(Unit, serial="SN-BY-HAND", product=world.product,
                   contract=world.harbin_contract, warranty_by_hand=True,
                   warranty_start=dt.date(2025, 1, 1), warranty_end=dt.date(2031, 12, 31))
    unit = Unit.get_by_id(world.harbin_unit.id)
    unit.site = None  # the contract moves to another customer: no unit at the old sites
    save(unit)
    before = {u.id: u.version for u in Unit.select()}
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.customer, contract.warranty_months = world.guangzhou_customer.id, 12
    save(contract)
    after = {u.id: u for u in Unit.select().where(Unit.contract == contract.id)}
    assert after[unit.id].warranty_end == dt.date(2026, 2, 9)
    assert after[late.id].warranty_end == dt.date(2026, 5, 19)
    assert (after[by_hand.id].warranty_start, after[by_hand.id].warranty_end) == (
        dt.date(2025, 1, 1), dt.date(2031, 12, 31))
    assert {u.customer_id for u in after.values()} == {world.guangzhou_customer.id}
    assert all(after[i].version == before[i] + 1 for i in after)
    other = world.guangzhou_unit.id  # another contract's unit is not touched
    assert Unit.get_by_id(other).version == before[other]
    audited = AuditEntry.select().where((AuditEntry.table == "unit")
                                        & (AuditEntry.action == "update")
                                        & (AuditEntry.row_id == late.id))
    assert [e.customer for e in audited][-1] == world.guangzhou_customer.id


# -- the charter's other answers ----------------------------------------------------------------

def test_the_charters_negotiation_steps_and_duty_staffing(app):
    engine = current_engine()
    assert engine.negotiation_steps(None, None, "customer_use") == [
        "root cause report", "proposal", "customer response", "agreement"]
    staffing = engine.duty_staffing(None, None)
    assert (staffing.people, staffing.skills) == (1, ())


def test_set_rules_refuses_an_unknown_term_set_version(world):
    publish(parse_sheet(_sheet("premium", 1)))
    contract = Contract.get_by_id(world.harbin_contract.id)
    with pytest.raises(RuleViolation) as info:
        contract_service.set_rules(world.users["hq"], contract, term_set_version_id=99999,
                                   plugins="{}")
    assert (str(info.value), info.value.field) == ("Unknown term-set version.",
                                                   "term_set_version")
    assert Contract.get_by_id(contract.id).term_set_version_id is None


class Verbose:
    @hookimpl
    def reply_deadline(self):
        raise RuntimeError("x" * 1000)


def test_a_plugin_failure_is_kept_short_and_timed_in_utc(world):
    engine = current_engine()
    with plugin_registered(Verbose(), "verbose"):
        enable_plugin(world.harbin_contract, "verbose")
        engine.reply_deadline(Contract.get_by_id(world.harbin_contract.id),
                              dt.datetime(2026, 11, 26, 9, 0, tzinfo=engine.tz))
    failure = engine.failures[("verbose", "reply_deadline")]
    assert len(failure.last_error) == 500 and failure.last_error.startswith("RuntimeError: x")
    assert failure.last_at.utcoffset() == dt.timedelta(0)
    assert failure.last_contract == "K-HRB-1"


class EarlyReplacement:
    @hookimpl
    def replacement_window(self, confirmed, contract):
        return Window(confirmed + dt.timedelta(days=1), confirmed + dt.timedelta(days=2),
                      f"next day for {contract.number}")


def test_a_replacement_window_from_the_contracts_plugin_or_a_confirmation_time(world):
    engine = current_engine()
    confirmed = dt.datetime(2026, 11, 27, 15, 0, tzinfo=engine.tz)  # a time, not a date
    window = engine.replacement_window(None, confirmed)
    assert (window.earliest, window.latest) == (dt.date(2026, 12, 2), dt.date(2026, 12, 7))
    with plugin_registered(EarlyReplacement(), "early"):
        enable_plugin(world.harbin_contract, "early")
        window = engine.replacement_window(Contract.get_by_id(world.harbin_contract.id),
                                           dt.date(2026, 11, 27))
    assert (window.earliest, window.decided_by) == (dt.date(2026, 11, 28),
                                                    "early: next day for K-HRB-1")


def test_contracts_using_a_plugin_in_number_order(world):
    with plugin_registered(EarlyReplacement(), "early"):
        for number in ("K-ZZZ-1", "K-AAA-1"):
            enable_plugin(make(Contract, number=number, customer=world.harbin_customer,
                               signed_on=dt.date(2025, 3, 1)), "early")
        assert contracts_using("early") == ["K-AAA-1", "K-ZZZ-1"]


@pytest.mark.parametrize("value, day", [("1900-01-01", dt.date(1900, 1, 1)),
                                        ("2200-12-31", dt.date(2200, 12, 31)),
                                        (" 2026-11-27T10:00 ", dt.date(2026, 11, 27))])
def test_a_date_from_1900_to_2200_is_taken(value, day):
    assert local_date(value) == day


@pytest.mark.parametrize("value", ["1899-12-31", "2201-01-01"])
def test_a_date_outside_1900_to_2200_is_refused(value):
    with pytest.raises(ValueError) as info:
        local_date(value)
    assert str(info.value) == f"{value} is outside the years 1900 to 2200."


def test_no_name_finds_nobody(world):
    make_staff("xxxx", "viewer", world.harbin)
    assert user_service.by_username(None) is None
    assert user_service.by_username("  ") is None
    assert user_service.by_username(" XXXX ").username == "xxxx"


def test_the_registry_lists_a_plugins_contracts_only_when_asked(world):
    with plugin_registered(EarlyReplacement(), "early"):
        enable_plugin(world.harbin_contract, "early")
        rows = {row["name"]: row for row in registry(current_engine())}
        quick = {row["name"]: row for row in registry(current_engine(), with_contracts=False)}
    assert rows["early"]["contracts"] == ["K-HRB-1"] and rows["charter"]["contracts"] == []
    assert quick["early"]["contracts"] == [] and quick["charter"]["contracts"] == []


class Configurable:
    @hookimpl
    def check_settings(self, settings):
        return [] if set(settings) <= {"radius_km"} else [f"unknown settings {sorted(settings)}"]


def test_enable_plugin_adds_one_after_those_the_contract_has(world):
    hq = world.users["hq"]
    premium = publish(parse_sheet(_sheet("premium", 1)))
    pinned = Contract.get_by_id(world.harbin_contract.id)
    pinned.term_set_version = premium.id
    save(pinned)
    with plugin_registered(EarlyReplacement(), "early"), \
            plugin_registered(Configurable(), "configurable"):
        contract = contract_service.enable_plugin(
            hq, Contract.get_by_id(world.harbin_contract.id), "early")
        assert contract.term_set_version_id == premium.id  # the pin stays
        contract = contract_service.enable_plugin(hq, contract, "configurable", radius_km=30)
        assert Contract.get_by_id(contract.id).enabled_plugins() == {
            "early": {}, "configurable": {"radius_km": 30}}
        with pytest.raises(RuleViolation) as info:
            contract_service.enable_plugin(hq, contract, "configurable", colour="red")
        assert info.value.code == "plugin_settings"
        with pytest.raises(AccessDenied):
            contract_service.enable_plugin(world.users["harbin_manager"], contract, "early")
    assert json.loads(Contract.get_by_id(contract.id).plugins) == {
        "early": {}, "configurable": {"radius_km": 30}}


# -- plugins loaded by path, and a failing settings check ------------------------------------

def test_a_plugin_package_with_relative_imports_loads(tmp_path):
    package = tmp_path / "pkg_plugin"
    package.mkdir()
    (package / "helper.py").write_text("HOURS = 3\n", encoding="utf-8")
    (package / "__init__.py").write_text("from .helper import HOURS\n", encoding="utf-8")
    module = import_plugin_path(package)
    assert module.HOURS == 3 and module.__name__ == "backoffice_plugin_pkg_plugin"


def test_a_plugin_that_fails_to_import_is_named_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "broken_plugin.py"
    path.write_text("1 / 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        import_plugin_path(path)
    assert str(info.value) == (f"plugin 'broken_plugin' (plugins dir {path}) failed to import: "
                               "ZeroDivisionError: division by zero")
    assert "backoffice_plugin_broken_plugin" not in sys.modules


class BrokenCheck:
    @hookimpl
    def check_settings(self, settings):
        raise RuntimeError("boom")


def test_a_settings_check_that_raises_is_a_problem_and_a_failure(world, caplog):
    engine = current_engine()
    with plugin_registered(BrokenCheck(), "broken_check"):
        problems = engine.check_settings("broken_check", {})
    assert problems == ["broken_check: could not check its settings (RuntimeError: boom)"]
    failure = engine.failures[("broken_check", "check_settings")]
    assert (failure.count, failure.last_error, failure.last_contract) == (
        1, "RuntimeError: boom", "-")
    logged = [r for r in caplog.records if r.name == "backoffice.plugins"]
    assert logged and logged[-1].exc_info and logged[-1].exc_info[0] is RuntimeError


# -- the mutation run of 2026-12-01 on 1c0927e (docs/operations.md) ------------------------------

def test_the_charter_sends_who_arrives_in_time_before_who_is_nearer(app):
    """charter.dispatch_ranking 6: ``not c.reachable_in_time`` (in time first) kept."""
    engine = current_engine()
    near_late = DispatchCandidate("Zhao", "HRB", 10.0, True, reachable_in_time=False)
    far_in_time = DispatchCandidate("Li", "CAN", 300.0, True, reachable_in_time=True)
    assert engine.dispatch_ranking(None, None, [near_late, far_in_time]) == [
        far_in_time, near_late]


def test_resolve_counts_on_the_terms_clock_and_shows_the_given_zone(app):
    """deadlines.resolve 3 and 4: the terms (their business calendar) and the zone reach
    resolve_estimated, not None."""
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    friday = dt.datetime(2026, 11, 27, 16, 30, tzinfo=shanghai)
    terms = dataclasses.replace(STANDARD, clock="china-business")
    due = resolve(Deadline(within=dt.timedelta(hours=2), decided_by="t"), friday, terms,
                  shanghai).due
    assert due == dt.datetime(2026, 11, 30, 9, 30, tzinfo=shanghai)  # 30 min Friday, Monday
    assert due.tzinfo is shanghai
