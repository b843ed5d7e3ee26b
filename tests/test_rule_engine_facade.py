"""The typed facade's own rules: markers refused, no engine outside an app, durations,
idle plugins reported, and a plugin failure shown in the preview's output."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from backoffice.config import ConfigError
from backoffice.hookspecs import Deadline, hookimpl
from backoffice.plugins import RuleEngine, current_engine
from backoffice.services.deadlines import compute_deadlines
from backoffice.testing import enable_plugin, plugin_registered


@pytest.mark.parametrize("marker", [{"tryfirst": True}, {"trylast": True}, {"wrapper": True}])
def test_a_contract_plugin_may_not_order_itself(marker):
    engine = RuleEngine(entry_points=False).load()

    class Pushy:
        if marker.get("wrapper"):
            @hookimpl(wrapper=True)
            def reply_deadline(self, received):
                return (yield)
        else:
            @hookimpl(**marker)
            def reply_deadline(self, received):
                return Deadline(within=dt.timedelta(minutes=1))
    with pytest.raises(ConfigError, match="'pushy'.*reply_deadline is marked"):
        engine.register(Pushy(), "pushy")
    assert "pushy" not in engine.plugins


def test_no_engine_outside_an_app_context():
    with pytest.raises(RuntimeError, match="app context"):
        current_engine()


def test_a_duration_is_counted_from_receipt_and_a_time_is_kept(app):
    class Both:
        @hookimpl
        def reply_deadline(self):
            return Deadline(within=dt.timedelta(minutes=45), decided_by="45 min")

        @hookimpl
        def arrival_deadline(self, received):
            return Deadline(due=received.replace(hour=23, minute=0), decided_by="by 23:00")
    from tests.factories import make_world
    world = make_world()
    with plugin_registered(Both(), "both"):
        enable_plugin(world.harbin_contract, "both")
        result = compute_deadlines("2026-11-26T09:00", 80, world.harbin_contract)
    assert result.reply.due.isoformat() == "2026-11-26T09:45:00+08:00"
    assert result.arrival.due.isoformat() == "2026-11-26T23:00:00+08:00"
    assert result.arrival.decided_by == "both: by 23:00"


def test_a_deadline_needs_exactly_one_of_due_and_within():
    with pytest.raises(TypeError):
        Deadline()
    with pytest.raises(TypeError):
        Deadline(due=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), within=dt.timedelta(hours=1))


def test_a_negative_duration_falls_through_to_the_charter(app):
    class Backwards:
        @hookimpl
        def reply_deadline(self):
            return Deadline(within=dt.timedelta(hours=-1))
    from tests.factories import make_world
    world = make_world()
    with plugin_registered(Backwards(), "backwards"):
        enable_plugin(world.harbin_contract, "backwards")
        result = compute_deadlines("2026-11-26T09:00", 80, world.harbin_contract)
    assert result.reply.decided_by == "charter v1: reply within 2 h"
    assert result.failures and result.failures[0][:2] == ("backwards", "reply_deadline")


def test_a_plugin_failure_shows_in_the_cli_preview_and_its_traceback_in_the_log(
        app, runner, caplog):
    caplog.set_level(logging.WARNING, logger="backoffice.plugins")

    class Raising:
        @hookimpl
        def arrival_deadline(self):
            raise ZeroDivisionError("oops")
    from tests.factories import make_world
    world = make_world()
    with plugin_registered(Raising(), "raising"):
        enable_plugin(world.harbin_contract, "raising")
        result = runner.invoke(args=["terms", "preview", "--distance-km", "80", "--received",
                                     "2026-11-26T09:00", "--contract", "K-HRB-1"])
    assert result.exit_code == 0, result.output
    assert "plugin raising failed in arrival_deadline: ZeroDivisionError: oops" in result.output
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


def test_plugins_check_reports_a_module_that_implements_no_hook(make_app, db_url, tmp_path):
    from tests.conftest import _fresh_database
    plugins = tmp_path / "some-plugins"
    plugins.mkdir()
    (plugins / "helpers.py").write_text("RADIUS = 50\n")
    application = make_app(plugins_dir=str(plugins))
    _fresh_database(db_url)
    result = application.test_cli_runner().invoke(args=["plugins", "check"])
    assert result.exit_code == 1
    assert "plugin helpers" in result.output and "implements no hook" in result.output
