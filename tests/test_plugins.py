"""The rule engine: one test per hook (``test_hook_<name>``), load order, per-contract
plugin sets, fault isolation, entry-point distributions and the testing helper."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json
import logging
import sys
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backoffice.config import ConfigError
from backoffice.db import database
from backoffice.hookspecs import (
    Channel,
    Charge,
    Coverage,
    Deadline,
    DispatchCandidate,
    EscalationStep,
    Period,
    Staffing,
    Window,
    hookimpl,
)
from backoffice.models import Contract, RuleViolation, Unit
from backoffice.plugins import RuleEngine
from backoffice.services.deadlines import resolve
from backoffice.terms import STANDARD
from backoffice.testing import enable_plugin, plugin_registered, register_plugin  # noqa: F401
from tests.factories import save

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = dt.datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)  # a Thursday


@pytest.fixture
def engine():
    """The defaults alone: no database, no entry points."""
    return RuleEngine(entry_points=False).load()


def write_plugin(directory: Path, name: str, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


class Answers:
    """A test plugin answering every firstresult hook with a recognisable value."""

    @hookimpl
    def reply_deadline(self, received):
        return Deadline(received + dt.timedelta(minutes=30))

    @hookimpl
    def arrival_deadline(self, received, settings):
        return Deadline(received + dt.timedelta(hours=settings.get("hours", 3)), "fast")


def call(engine, hook, enabled=None, **kwargs):
    """Ask ``hook`` through the engine's typed facade; a deadline comes back resolved (a
    duration counted from receipt, as the deadlines service does)."""
    method = getattr(engine, hook)
    if "terms" in inspect.signature(method).parameters:
        kwargs.setdefault("terms", STANDARD)
    result = method(contract=None, enabled=enabled or {}, **kwargs)
    if isinstance(result, Deadline):
        result = resolve(result, kwargs["received"], kwargs["terms"], engine.tz)
    return result


# -- one test per hook ---------------------------------------------------------------

def test_hook_reply_deadline(engine):
    assert call(engine, "reply_deadline", received=RECEIVED) == Deadline(
        RECEIVED + dt.timedelta(hours=2), "charter v1: reply within 2 h")
    engine.register(Answers(), "answers")
    assert call(engine, "reply_deadline", received=RECEIVED).decided_by == "charter v1: reply " \
        "within 2 h", "a plugin not enabled for the contract is not asked"
    answer = call(engine, "reply_deadline", {"answers": {}}, received=RECEIVED)
    assert answer == Deadline(RECEIVED + dt.timedelta(minutes=30), "answers")


def test_hook_arrival_deadline(engine):
    result = call(engine, "arrival_deadline", received=RECEIVED, distance_km=320, site=None)
    assert result.due == dt.datetime(2026, 11, 26, 21, 0, tzinfo=SHANGHAI)
    assert result.decided_by == "charter v1: arrival band 100-500 km"
    engine.register(Answers(), "answers")
    result = call(engine, "arrival_deadline", {"answers": {"hours": 5}}, received=RECEIVED,
                  distance_km=320, site=None)
    assert result == Deadline(RECEIVED + dt.timedelta(hours=5), "answers: fast")


@pytest.mark.parametrize("distance, hours, band", [
    (0, 6, "0-100"), (99.99, 6, "0-100"), (100, 6, "0-100"), (100.01, 12, "100-500"),
    (320, 12, "100-500"), (500, 12, "100-500"), (500.01, 24, "over 500"), (800, 24, "over 500"),
    (5000, 24, "over 500"),
])
def test_charter_arrival_boundaries(engine, distance, hours, band):
    result = call(engine, "arrival_deadline", received=RECEIVED, distance_km=distance, site=None)
    assert result.due - RECEIVED == dt.timedelta(hours=hours)
    assert result.decided_by == f"charter v1: arrival band {band} km"


def test_hook_replacement_window(engine):
    result = call(engine, "replacement_window", confirmed=dt.date(2026, 11, 27))
    assert result == Window(dt.date(2026, 12, 2), dt.date(2026, 12, 7),
                            "charter v1: replacement 5-10 days after confirmation")

    class Fixed:
        @hookimpl
        def replacement_window(self, confirmed):
            return Window(confirmed, confirmed + dt.timedelta(days=3))
    engine.register(Fixed(), "fixed")
    result = call(engine, "replacement_window", {"fixed": {}}, confirmed=dt.date(2026, 11, 27))
    assert (result.earliest, result.latest, result.decided_by) == (
        dt.date(2026, 11, 27), dt.date(2026, 11, 30), "fixed")


def test_hook_warranty_period(engine):
    unit = Unit(accepted_on=dt.date(2025, 2, 10))
    from backoffice.models import Product
    product = Product(warranty_months=24)
    result = call(engine, "warranty_period", unit=unit, product=product)
    assert (result.start, result.end) == (dt.date(2025, 2, 10), dt.date(2027, 2, 9))
    assert result.decided_by == "charter v1: 24 months from acceptance (product)"
    assert call(engine, "warranty_period", unit=Unit(), product=product).start is None

    class FromInstallation:
        @hookimpl
        def warranty_period(self, unit):
            return Period(unit.installed_on, unit.installed_on + dt.timedelta(days=364))
    engine.register(FromInstallation(), "from_installation")
    unit.installed_on = dt.date(2025, 1, 1)
    result = call(engine, "warranty_period", {"from_installation": {}}, unit=unit,
                  product=product)
    assert result == Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "from_installation")


@pytest.mark.parametrize("on, cause, covered, charge", [
    (dt.date(2026, 1, 1), None, True, Charge.FREE),
    (dt.date(2026, 1, 1), "customer_use", True, Charge.FREE),   # in warranty: whatever the cause
    (dt.date(2028, 1, 1), "quality", False, Charge.FREE),       # root cause: still free
    (dt.date(2028, 1, 1), "customer_use", False, Charge.NEGOTIATE),
    (dt.date(2028, 1, 1), "other", False, Charge.CHARGEABLE),
    (dt.date(2028, 1, 1), None, False, Charge.UNDETERMINED),
])
def test_hook_coverage(engine, on, cause, covered, charge):
    unit = Unit(warranty_start=dt.date(2025, 2, 10), warranty_end=dt.date(2027, 2, 9))
    result = call(engine, "coverage", unit=unit, on=on, cause=cause)
    assert (result.covered, result.charge) == (covered, charge)
    assert result.decided_by.startswith("charter v1: ")


def test_hook_coverage_plugin(engine):
    class Lifetime:
        @hookimpl
        def coverage(self):
            return Coverage(True, Charge.FREE, "lifetime service")
    engine.register(Lifetime(), "lifetime")
    unit = Unit(warranty_start=dt.date(2020, 1, 1), warranty_end=dt.date(2021, 1, 1))
    result = call(engine, "coverage", {"lifetime": {}}, unit=unit, on=dt.date(2030, 1, 1),
                  cause=None)
    assert (result.covered, result.decided_by) == (True, "lifetime")


def test_hook_dispatch_ranking(engine):
    far_with_spare = DispatchCandidate("li", "HRB", 300, True)
    near = DispatchCandidate("wang", "CAN", 20, False)
    nearer_with_spare = DispatchCandidate("zhao", "SHA", 120, True)
    result = call(engine, "dispatch_ranking", ticket=None,
                  candidates=[far_with_spare, near, nearer_with_spare])
    assert result == [nearer_with_spare, far_with_spare, near]
    engine.register(_load_shipped("key_account"), "key_account")
    result = call(engine, "dispatch_ranking", {"key_account": {"engineer": "wang"}}, ticket=None,
                  candidates=[far_with_spare, near, nearer_with_spare])
    assert result[0] is near


def test_hook_escalation_ladder(engine):
    ladder = call(engine, "escalation_ladder", ticket=None)
    assert EscalationStep("arrival", 1.0, "hq") in ladder
    # the charter: warn at 75 %, breach at the due time, the head of service 4 h later
    assert [(s.deadline, s.fraction, s.notify, s.after, s.level) for s in ladder
            if s.deadline == "reply"] == [
        ("reply", 0.75, "engineer", dt.timedelta(0), "warning"),
        ("reply", 0.75, "office_manager", dt.timedelta(0), "warning"),
        ("reply", 1.0, "office_manager", dt.timedelta(0), "breach"),
        ("reply", 1.0, "hq", dt.timedelta(0), "breach"),
        ("reply", 1.0, "head_of_service", dt.timedelta(hours=4), "escalation")]
    # the numbers are the terms': a sheet's [escalation] changes them
    terms = dataclasses.replace(STANDARD, warning_share=0.5, head_after_hours=2)
    ladder = call(engine, "escalation_ladder", ticket=None, terms=terms)
    assert {s.fraction for s in ladder} == {0.5, 1.0}
    assert {s.after for s in ladder} == {dt.timedelta(0), dt.timedelta(hours=2)}

    class Early:
        @hookimpl
        def escalation_ladder(self):
            return [EscalationStep("arrival", 0.5, "office_manager")]
    engine.register(Early(), "early")
    assert call(engine, "escalation_ladder", {"early": {}}, ticket=None) == [
        EscalationStep("arrival", 0.5, "office_manager")]


def test_hook_negotiation_steps(engine):
    assert call(engine, "negotiation_steps", ticket=None, cause="customer_use")[-1] == "agreement"

    class Short:
        @hookimpl
        def negotiation_steps(self, cause):
            return ["root cause report", "agreement"] if cause == "customer_use" else None
    engine.register(Short(), "short")
    assert call(engine, "negotiation_steps", {"short": {}}, ticket=None,
                cause="customer_use") == ["root cause report", "agreement"]


def test_hook_duty_staffing(engine):
    assert call(engine, "duty_staffing", request=None).people == 1

    class Two:
        @hookimpl
        def duty_staffing(self):
            return Staffing(2, ("high voltage",))
    engine.register(Two(), "two")
    assert call(engine, "duty_staffing", {"two": {}}, request=None) == Staffing(
        2, ("high voltage",), "two")


def test_hook_visit_frequency(engine):
    assert call(engine, "visit_frequency", customer=None) == 1
    engine.register(_load_shipped("key_account"), "key_account")
    assert call(engine, "visit_frequency", {"key_account": {"extra_visits": 2}},
                customer=None) == 3


def test_hook_notification_channels(engine):
    assert call(engine, "notification_channels") == []
    engine.register(_load_shipped("key_account"), "key_account")

    class Mail:
        @hookimpl
        def notification_channels(self, settings):
            return [Channel("email", settings["to"])]
    engine.register(Mail(), "mail")
    enabled = {"key_account": {"sms": "13800000000"}, "mail": {"to": "a@example.com"}}
    result = engine.notification_channels(None, enabled=enabled)
    assert result == [Channel("sms", "13800000000"), Channel("email", "a@example.com")]


def test_hook_notice_senders(engine):
    senders = engine.notice_senders()
    assert sorted(senders) == ["dingtalk", "mail", "wecom"]

    class Loud:
        kind = "wecom"

        def send(self, channel, message, config):
            return None

    class NotASender:
        kind = 7

    class Plugin:
        @hookimpl
        def notice_senders(self):
            return [Loud()]

    class Broken:
        @hookimpl
        def notice_senders(self):
            return [NotASender()]
    engine.register(Plugin(), "loud")
    engine.register(Broken(), "broken")
    senders = engine.notice_senders()
    # a plugin's sender of a kind takes the built-in one's place; a wrong object is refused
    assert isinstance(senders["wecom"], Loud)
    assert type(senders["mail"]).__name__ == "MailSender"
    assert engine.failure_count("broken") == 1


def test_hook_admin_views(engine):
    from flask_admin import BaseView, expose

    class Report(BaseView):
        @expose("/")
        def index(self):
            return "report"
    view = Report(name="Report", endpoint="report")

    class Views:
        @hookimpl
        def admin_views(self):
            return [view]

    class NotViews:
        @hookimpl
        def admin_views(self):
            return ["a string is no view"]
    assert engine.admin_views(accept=lambda v: isinstance(v, BaseView)) == []
    engine.register(Views(), "views")
    engine.register(NotViews(), "not_views")
    assert engine.admin_views(accept=lambda v: isinstance(v, BaseView)) == [view], "asked of every loaded plugin"
    assert engine.failure_count("not_views") == 1


def test_hook_check_settings(engine):
    engine.register(_load_shipped("near_site_4h"), "near_site_4h")
    assert engine.check_settings("near_site_4h", {"radius_km": 30}) == []
    assert engine.check_settings("near_site_4h", {"radius_km": "far", "x": 1}) == [
        "near_site_4h: unknown setting 'x'",
        "near_site_4h: radius_km must be a number of km between 0 and 500"]
    assert engine.check_settings("charter", {}) == []


# -- fault isolation -----------------------------------------------------------------------

class Raising:
    @hookimpl
    def arrival_deadline(self, received):
        raise ZeroDivisionError("boom")


class Nonsense:
    @hookimpl
    def arrival_deadline(self, received):
        return "tomorrow, probably"

    @hookimpl
    def notification_channels(self):
        return ["not a channel"]


def test_raising_and_nonsense_plugins_fall_through_to_the_charter(engine, caplog):
    engine.register(Raising(), "raising")
    engine.register(Nonsense(), "nonsense")
    caplog.set_level(logging.WARNING, logger="backoffice.plugins")
    result = call(engine, "arrival_deadline", {"raising": {}, "nonsense": {}},
                  received=RECEIVED, distance_km=80, site=None)
    assert result.decided_by == "charter v1: arrival band 0-100 km"
    assert engine.failure_count("raising") == 1
    assert engine.failure_count("nonsense") == 1
    assert engine.failures[("raising", "arrival_deadline")].last_error == (
        "ZeroDivisionError: boom")
    assert "returned str, expected Deadline" in engine.failures[
        ("nonsense", "arrival_deadline")].last_error
    messages = [r.getMessage() for r in caplog.records]
    assert ("rule plugin raising failed in hook arrival_deadline for contract -: "
            "ZeroDivisionError: boom") in messages
    assert engine.notification_channels(None, enabled={"nonsense": {}}) == []
    assert engine.failure_count("nonsense") == 2


def test_answers_of_the_right_type_that_make_no_sense_are_refused(engine):
    class Past:
        @hookimpl
        def reply_deadline(self, received):
            return Deadline(received - dt.timedelta(hours=1))

        @hookimpl
        def replacement_window(self, confirmed):
            return Window(confirmed - dt.timedelta(days=2), confirmed)

        @hookimpl
        def visit_frequency(self):
            return 0
    engine.register(Past(), "past")
    enabled = {"past": {}}
    assert call(engine, "reply_deadline", enabled, received=RECEIVED).decided_by.startswith(
        "charter")
    assert call(engine, "replacement_window", enabled,
                confirmed=dt.date(2026, 11, 27)).decided_by.startswith("charter")
    assert call(engine, "visit_frequency", enabled, customer=None) == 1
    assert engine.failures[("past", "reply_deadline")].last_error == (
        "returned a deadline (2026-11-26T08:00:00+08:00) before receipt")
    assert engine.failure_count("past") == 3


def test_a_later_plugin_answers_when_an_earlier_one_fails(engine):
    engine.register(Raising(), "raising")
    engine.register(Answers(), "answers")
    result = call(engine, "arrival_deadline", {"raising": {}, "answers": {}},
                  received=RECEIVED, distance_km=80, site=None)
    assert result.decided_by == "answers: fast"


def test_plugins_are_asked_in_the_contracts_order(engine):
    class Other:
        @hookimpl
        def arrival_deadline(self, received):
            return Deadline(received + dt.timedelta(hours=1), "other")
    engine.register(Answers(), "answers")
    engine.register(Other(), "other")
    kwargs = {"received": RECEIVED, "distance_km": 80, "site": None}
    assert call(engine, "arrival_deadline", {"answers": {}, "other": {}},
                **kwargs).decided_by == "answers: fast"
    assert call(engine, "arrival_deadline", {"other": {}, "answers": {}},
                **kwargs).decided_by == "other"


def test_times_reach_plugins_in_the_centers_zone(engine):
    seen = []

    class Spy:
        @hookimpl
        def reply_deadline(self, received):
            seen.append(received)
    engine.register(Spy(), "spy")
    call(engine, "reply_deadline", {"spy": {}}, received=RECEIVED.astimezone(dt.UTC))
    assert seen[0].utcoffset() == dt.timedelta(hours=8) and seen[0] == RECEIVED


# -- loading ----------------------------------------------------------------------------

def _load_shipped(name):
    from backoffice.plugins import import_plugin_path
    return import_plugin_path(ROOT / "plugins" / f"{name}.py")


def test_load_order_entry_points_then_directory_then_defaults(tmp_path, monkeypatch):
    write_plugin(tmp_path / "plugins", "b_plugin", "")
    write_plugin(tmp_path / "plugins", "a_plugin", "__version__ = '2.0'\n")
    package = tmp_path / "plugins" / "c_package"
    package.mkdir()
    (package / "__init__.py").write_text("from .rules import arrival_deadline  # noqa\n")
    (package / "rules.py").write_text(textwrap.dedent("""
        from backoffice.hookspecs import hookimpl

        @hookimpl
        def arrival_deadline(received):
            return None
    """))
    (tmp_path / "plugins" / "_private.py").write_text("raise RuntimeError('never imported')")
    make_distribution(tmp_path / "site", monkeypatch, "zz_dist")
    engine = RuleEngine(plugins_dir=tmp_path / "plugins").load()
    names = list(engine.plugins)
    assert names.index("zz_dist") < names.index("a_plugin") < names.index("b_plugin") \
        < names.index("c_package") < names.index("charter")
    assert engine.plugins["a_plugin"].version == "2.0"
    assert engine.hooks_of("c_package") == ["arrival_deadline"]


def test_allow_and_block_lists(tmp_path):
    for name in ("one", "two", "three"):
        write_plugin(tmp_path, name, "")
    engine = RuleEngine(plugins_dir=tmp_path, allow=["one", "two"], block=["two"],
                        entry_points=False).load()
    assert list(engine.plugins) == ["one", "charter", "channels"]


@pytest.mark.parametrize("source, message", [
    ("import no_such_module_anywhere\n",
     "plugin 'broken' (plugins dir {path}) failed to import: ModuleNotFoundError"),
    (("from backoffice.hookspecs import hookimpl\n@hookimpl\ndef arival_deadline(received):\n"
     "    pass\n"), "plugin 'broken': unknown hook 'arival_deadline'"),
    (("from backoffice.hookspecs import hookimpl\n@hookimpl\ndef arrival_deadline(when):\n"
     "    pass\n"),
     "plugin 'broken' (plugins dir {path}): Plugin 'broken' for hook 'arrival_deadline'"),
])
def test_a_broken_plugin_stops_start_up_naming_it(tmp_path, source, message):
    path = write_plugin(tmp_path, "broken", source)
    with pytest.raises(ConfigError) as info:
        RuleEngine(plugins_dir=tmp_path, entry_points=False).load()
    assert str(info.value).startswith(message.format(path=path))
    assert "\n" not in str(info.value)


def test_a_plugin_may_not_take_a_default_plugins_name(tmp_path):
    write_plugin(tmp_path, "charter", "")
    with pytest.raises(ConfigError, match="'charter': the name is taken by a default plugin"):
        RuleEngine(plugins_dir=tmp_path, entry_points=False).load()


def make_distribution(site: Path, monkeypatch, name: str, broken: bool = False) -> Path:
    """An installed distribution in a temp dir on sys.path, with a ``backoffice`` entry point."""
    site.mkdir(parents=True)
    module = f"{name}_rules"
    (site / f"{module}.py").write_text(textwrap.dedent("""
        import datetime as dt
        from backoffice.hookspecs import Deadline, hookimpl

        @hookimpl
        def reply_deadline(received):
            return Deadline(received + dt.timedelta(minutes=45), "from a distribution")
    """) + ("raise ImportError('missing dependency')\n" if broken else ""))
    info = site / f"{name}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[backoffice]\n{name} = {module}\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, module, raising=False)
    return site


def test_a_distribution_with_an_entry_point_is_loaded(tmp_path, monkeypatch):
    make_distribution(tmp_path / "site", monkeypatch, "acme_rules_dist")
    engine = RuleEngine().load()
    info = engine.plugins["acme_rules_dist"]
    assert (info.source, info.version, info.location) == (
        "entry point", "1.2.3", "acme_rules_dist 1.2.3")
    result = call(engine, "reply_deadline", {"acme_rules_dist": {}}, received=RECEIVED)
    assert result == Deadline(RECEIVED + dt.timedelta(minutes=45),
                              "acme_rules_dist: from a distribution")


def test_a_broken_distribution_stops_start_up(tmp_path, monkeypatch):
    make_distribution(tmp_path / "site", monkeypatch, "acme_broken", broken=True)
    with pytest.raises(ConfigError, match=r"plugin 'acme_broken' \(entry point acme_broken_rules"
                                          r" from acme_broken 1.2.3\) failed to load: "
                                          "ImportError: missing dependency"):
        RuleEngine().load()
    blocked = RuleEngine(block=["acme_broken"]).load()
    assert "acme_broken" not in blocked.plugins


def test_create_app_fails_in_one_line_for_a_broken_plugin(make_app, tmp_path):
    write_plugin(tmp_path / "p", "broken", "1/0\n")
    with pytest.raises(ConfigError, match="plugin 'broken' .* failed to import: "
                                          "ZeroDivisionError"):
        make_app(plugins_dir=str(tmp_path / "p"))


# -- per-contract plugin sets, on a real database -------------------------------------------

@pytest.fixture
def shipped(app, make_app):
    """An app with the shipped ``plugins/`` directory, on the fresh test database."""
    database.close()
    application = make_app(plugins_dir=str(ROOT / "plugins"))
    with application.app_context():
        database.connect(reuse_if_open=True)
        yield application
    database.close()


def test_two_contracts_with_different_plugins_and_terms(shipped, world):
    from backoffice.services.deadlines import compute_deadlines
    from backoffice.terms import parse_sheet
    from tests.factories import publish
    premium = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    fast = Contract.get_by_id(world.harbin_contract.id)
    fast.term_set_version = premium
    fast.plugins = json.dumps({"near_site_4h": {"radius_km": 30}})
    fast.save()
    standard = Contract.get_by_id(world.guangzhou_contract.id)
    rows = {}
    for distance in (20, 40, 320):
        for contract in (fast, standard):
            result = compute_deadlines("2026-11-26T10:00", distance, contract)
            rows[contract.number, distance] = (result.reply.due.hour, result.arrival.due.hour,
                                               result.arrival.decided_by)
    assert rows["K-HRB-1", 20] == (11, 14, "near_site_4h: 4 h within 30 km in business hours")
    assert rows["K-HRB-1", 40] == (11, 14, "premium v1: arrival band 0-100 km")
    assert rows["K-HRB-1", 320] == (11, 18, "premium v1: arrival band 100-500 km")
    assert rows["K-CAN-1", 20] == (12, 16, "charter v1: arrival band 0-100 km")
    assert rows["K-CAN-1", 320] == (12, 22, "charter v1: arrival band 100-500 km")
    saturday = compute_deadlines("2026-11-28T10:00", 20, fast)
    assert saturday.arrival.decided_by == "premium v1: arrival band 0-100 km"


def test_contract_plugin_settings_are_validated_as_form_errors(shipped, world):
    contract = Contract.get_by_id(world.harbin_contract.id)
    for value, message in [
        ("not json", "Plugins must be a JSON object"),
        ('["near_site_4h"]', "Plugins must be a JSON object like"),
        ('{"near_site_4h": 5}', "The settings of plugin near_site_4h must be a JSON object"),
        ('{"nowhere": {}}', "Plugin nowhere is not loaded"),
        ('{"charter": {}}', "Plugin charter is a default and always on"),
        ('{"near_site_4h": {"radius_km": -1}}', "near_site_4h: radius_km must be a number"),
    ]:
        contract.plugins = value
        with pytest.raises(RuleViolation, match=message) as info:
            save(contract)
        assert info.value.field == "plugins"
    assert Contract.get_by_id(contract.id).plugins == "{}"
    contract.plugins = '{"near_site_4h": {"radius_km": 30}}'
    save(contract)
    assert Contract.get_by_id(contract.id).enabled_plugins() == {"near_site_4h": {"radius_km": 30}}


def test_a_raising_plugin_is_reported_with_the_contract(app, world, caplog):
    caplog.set_level(logging.WARNING, logger="backoffice.plugins")
    from backoffice.services.deadlines import compute_deadlines
    with plugin_registered(Raising(), "raising") as engine:
        enable_plugin(world.harbin_contract, "raising")
        result = compute_deadlines("2026-11-26T09:00", 80, world.harbin_contract)
        assert result.arrival.decided_by == "charter v1: arrival band 0-100 km"
        assert engine.failures[("raising", "arrival_deadline")].last_contract == "K-HRB-1"
    assert ("rule plugin raising failed in hook arrival_deadline for contract K-HRB-1: "
            "ZeroDivisionError: boom") in [r.getMessage() for r in caplog.records]


def test_warranty_goes_through_the_hooks(app, world):
    from backoffice.services.warranty import warranty_status
    unit = Unit.get_by_id(world.harbin_unit.id)
    status = warranty_status(unit, dt.date(2026, 1, 1))
    assert (status.covered, status.charge, status.decided_by) == (
        True, Charge.FREE, "charter v1: free service inside warranty")
    assert warranty_status(unit, dt.date(2030, 1, 1), "customer_use").charge == Charge.NEGOTIATE

    class TenYears:
        @hookimpl
        def warranty_period(self, unit):
            return Period(unit.accepted_on, unit.accepted_on.replace(year=unit.accepted_on.year
                                                                     + 10))
    with plugin_registered(TenYears(), "ten_years"):
        enable_plugin(world.harbin_contract, "ten_years")
        unit.notes = "recompute"
        save(unit)
        assert Unit.get_by_id(unit.id).warranty_end == dt.date(2035, 2, 10)
        assert warranty_status(unit, dt.date(2030, 1, 1)).covered


def test_register_plugin_fixture(register_plugin):  # noqa: F811 - the fixture imported above
    engine = register_plugin(Answers(), "answers")
    assert "answers" in engine.plugins


def test_plugin_registered_checks_hook_names(app):
    class Misspelt:
        @hookimpl
        def reply_dedline(self, received):
            pass
    from backoffice.plugins import current_engine
    with (pytest.raises(ConfigError, match="'misspelt': unknown hook 'reply_dedline'"),
          plugin_registered(Misspelt(), "misspelt")):
        pass
    assert "misspelt" not in current_engine().plugins


def test_an_enabled_plugin_that_is_not_loaded_is_counted(engine):
    result = call(engine, "reply_deadline", {"gone": {}}, received=RECEIVED)
    assert result.decided_by == "charter v1: reply within 2 h"
    assert engine.failures[("gone", "reply_deadline")].last_error == (
        "enabled by the contract but not loaded")


# -- the shipped example plugins --------------------------------------------------------

@pytest.mark.parametrize("received, distance, settings, hours", [
    (dt.datetime(2026, 11, 26, 8, 30), 50, {}, 4),         # Thursday, opening time, 50 km
    (dt.datetime(2026, 11, 26, 17, 30), 10, {}, 4),        # closing time
    (dt.datetime(2026, 11, 26, 8, 29), 10, {}, 6),         # before opening: the charter
    (dt.datetime(2026, 11, 26, 17, 31), 10, {}, 6),        # after closing
    (dt.datetime(2026, 11, 26, 12, 0), 50.01, {}, 6),      # beyond 50 km
    (dt.datetime(2026, 11, 28, 12, 0), 10, {}, 6),         # Saturday
    (dt.datetime(2026, 11, 30, 12, 0), 10, {}, 4),         # Monday
    (dt.datetime(2026, 11, 26, 12, 0), 40, {"radius_km": 30}, 6),
])
def test_near_site_4h(engine, received, distance, settings, hours):
    engine.register(_load_shipped("near_site_4h"), "near_site_4h")
    received = received.replace(tzinfo=SHANGHAI)
    result = call(engine, "arrival_deadline", {"near_site_4h": settings}, received=received,
                  distance_km=distance, site=None)
    assert result.due - received == dt.timedelta(hours=hours)
    assert result.decided_by.startswith("near_site_4h" if hours == 4 else "charter v1")


def test_near_site_4h_counts_business_hours_in_local_time(engine):
    engine.register(_load_shipped("near_site_4h"), "near_site_4h")
    utc_morning = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    result = call(engine, "arrival_deadline", {"near_site_4h": {}}, received=utc_morning,
                  distance_km=10, site=None)
    assert result.decided_by.startswith("near_site_4h")


def test_key_account(engine):
    engine.register(_load_shipped("key_account"), "key_account")
    settings = {"reply_minutes": 30, "sms": "13800000000"}
    assert engine.check_settings("key_account", settings) == []
    assert engine.check_settings("key_account", {"reply_minutes": 0, "sms": "call me",
                                                 "colour": "red"}) == [
        "key_account: unknown setting 'colour'",
        "key_account: reply_minutes must be a whole number of minutes from 1 to 1440",
        "key_account: sms must be a phone number of 6 to 15 digits"]
    result = call(engine, "reply_deadline", {"key_account": settings}, received=RECEIVED)
    assert result == Deadline(RECEIVED + dt.timedelta(minutes=30),
                              "key_account: reply in 30 min")
    no_minutes = call(engine, "reply_deadline", {"key_account": {}}, received=RECEIVED)
    assert no_minutes.decided_by == "charter v1: reply within 2 h"
