"""Rule-plugin failure counts are one figure for the whole deployment (issue 9, item 7).

Two apps on one database, another process's command line, a write that rolls
back, 20 threads at once, and Redis (the real server at 127.0.0.1:6379, under a
key prefix of each test's own, deleted afterwards; skipped when it is not
reachable, except under ``CI=true``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
import redis

from backoffice.db import database, open_database
from backoffice.hookspecs import hookimpl
from backoffice.models import Contract, Office, RuleViolation
from backoffice.models.plugin_failures import (
    DatabaseFailureStore,
    MemoryFailureStore,
    PluginFailure,
    RedisFailureStore,
)
from backoffice.plugins import RuleEngine, current_engine, registry
from backoffice.services import records
from backoffice.testing import enable_plugin, plugin_registered
from tests.conftest import IN_CI, _fresh_database
from tests.factories import make_world

RECEIVED = dt.datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REDIS_URL = "redis://127.0.0.1:6379/0"
FLAKY = '''"""Fails every reply deadline it is asked for."""
from backoffice.hookspecs import hookimpl


@hookimpl
def reply_deadline(received):
    raise RuntimeError("flaky today")
'''


class Raising:
    @hookimpl
    def reply_deadline(self, received):
        raise ZeroDivisionError("boom")


class BrokenCheck:
    @hookimpl
    def check_settings(self, settings):
        raise RuntimeError("the check itself broke")


def fail_once(engine, name="raising"):
    reply = engine.reply_deadline(None, RECEIVED, enabled={name: {}})
    assert reply.decided_by == "charter v1: reply within 2 h"


# -- the database: every instance, every process ------------------------------------------

def test_the_app_counts_in_the_database(app):
    assert isinstance(current_engine().failure_store, DatabaseFailureStore)
    assert isinstance(RuleEngine(entry_points=False).failure_store, MemoryFailureStore)


def test_two_apps_on_one_database_show_the_same_count(app, make_app, world, auth):
    first = current_engine()
    other_app = make_app()
    with other_app.app_context():
        second = current_engine()
    assert second is not first
    with plugin_registered(Raising(), "raising", engine=first), \
            plugin_registered(Raising(), "raising", engine=second):
        fail_once(first)
        fail_once(first)
        with other_app.app_context():
            fail_once(second)
            assert second.failures[("raising", "reply_deadline")].count == 3
            assert {r["name"]: r["failures"] for r in registry(second)}["raising"] == 3
        assert first.failure_count("raising") == 3
        failure = first.failures[("raising", "reply_deadline")]
        assert (failure.last_error, failure.last_contract) == ("ZeroDivisionError: boom", "-")
        assert failure.last_at.utcoffset() == dt.timedelta(0)
        assert dt.datetime.now(dt.UTC) - failure.last_at < dt.timedelta(minutes=1)
        auth.login("admin")
        page = auth.client.get("/admin/rules/plugins/").get_data(as_text=True)
    row = page.split('id="plugin-raising"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="failures text-danger">3</td>' in row
    log = page.split('class="table table-sm failure-log"', 1)[1]
    assert "<td>raising</td><td>reply_deadline</td><td>3</td>" in log


def _backoffice(tmp_path, db_url, plugins_dir, *args):
    """``backoffice ARGS`` in a process of its own, on the test's database and plugins."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BACKOFFICE_DATABASE_URL": db_url,
           "BACKOFFICE_PLUGINS_DIR": str(plugins_dir)}
    return subprocess.run([sys.executable, "-m", "backoffice", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)


def test_another_process_lists_and_adds_to_the_same_count(make_app, db_url, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "flaky.py").write_text(FLAKY, encoding="utf-8")
    application = make_app(plugins_dir=str(plugins))
    _fresh_database(db_url)
    with application.app_context():
        engine = current_engine()
        for _ in range(3):
            fail_once(engine, "flaky")
        contract = make_world().harbin_contract
        enable_plugin(contract, "flaky")

    listed = _backoffice(tmp_path, db_url, plugins, "plugins", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {r["name"]: r["failures"] for r in json.loads(listed.stdout)}["flaky"] == 3
    text = _backoffice(tmp_path, db_url, plugins, "plugins", "list").stdout
    assert "flaky  [plugins dir: " in text and "    failures: 3\n" in text

    # the other process counts, this one reads
    preview = _backoffice(tmp_path, db_url, plugins, "terms", "preview", "--distance-km", "80",
                          "--received", "2026-11-26T09:00", "--contract", "K-HRB-1")
    assert preview.returncode == 0, preview.stderr
    assert "plugin flaky failed in reply_deadline: RuntimeError: flaky today" in preview.stderr
    with application.app_context():
        failure = engine.failures[("flaky", "reply_deadline")]
        assert (failure.count, failure.last_contract) == (4, "K-HRB-1")

    refused = _backoffice(tmp_path, db_url, plugins, "plugins", "reset-failures", "nosuch")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: no plugin named 'nosuch' is loaded or has failures counted"]
    reset = _backoffice(tmp_path, db_url, plugins, "plugins", "reset-failures", "flaky")
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.strip() == "reset 1 failure count(s), one per plugin and hook"
    with application.app_context():
        assert engine.failures == {} and engine.failure_count("flaky") == 0


def test_reset_failures_of_one_plugin_or_all(app, runner):
    store = current_engine().failure_store
    for plugin, hook in (("a", "reply_deadline"), ("a", "coverage"), ("b", "coverage")):
        store.record(plugin, hook, "-", "boom")
    result = runner.invoke(args=["plugins", "reset-failures", "a"])
    assert (result.exit_code, result.output) == (
        0, "reset 2 failure count(s), one per plugin and hook\n")
    assert list(store.counts()) == [("b", "coverage")]
    result = runner.invoke(args=["plugins", "reset-failures"])
    assert (result.exit_code, result.output) == (
        0, "reset 1 failure count(s), one per plugin and hook\n")
    assert store.counts() == {}


# -- the caller's transaction ------------------------------------------------------------

def test_a_failure_in_a_save_that_rolls_back_is_still_counted(world, db_url):
    contract = Contract.get_by_id(world.harbin_contract.id)
    with plugin_registered(BrokenCheck(), "broken_check") as engine:
        contract.plugins = '{"broken_check": {}}'
        with pytest.raises(RuleViolation) as info:
            records.save(world.users["hq"], contract)  # the check runs in the save's transaction
        assert info.value.code == "plugin_settings"
    assert Contract.get_by_id(contract.id).plugins == "{}", "the save was rolled back"
    failure = engine.failures[("broken_check", "check_settings")]
    assert (failure.count, failure.last_error) == (1, "RuntimeError: the check itself broke")
    # committed: a connection of another process's kind sees it
    other = open_database(db_url)
    try:
        assert other.execute_sql("SELECT count FROM plugin_failure WHERE plugin = "
                                 "'broken_check'").fetchone() == (1,)
    finally:
        other.close()


def test_a_failure_in_any_transaction_that_rolls_back_is_still_counted(app):
    engine = current_engine()
    with plugin_registered(Raising(), "raising"):
        with pytest.raises(LookupError), database.atomic():
            Office.insert(code="TMP", name="Gone with the rollback", city="Harbin",
                          province="Heilongjiang", latitude=45, longitude=126,
                          created_at=RECEIVED, updated_at=RECEIVED).execute()
            fail_once(engine)
            fail_once(engine)
            raise LookupError("the caller's own trouble")
        assert not Office.select().where(Office.code == "TMP").exists()
        assert engine.failure_count("raising") == 2
        fail_once(engine)  # outside a transaction: written at once
        assert PluginFailure.get(PluginFailure.plugin == "raising").count == 3


def test_the_end_of_a_request_or_command_waits_for_the_writer(app, make_app):
    """A failure counted in a transaction is stored when the app context ends, so the next
    process (or test) finds it and nothing arrives later."""
    other_app = make_app()
    with other_app.app_context():
        store = current_engine().failure_store
        with database.atomic():
            store.record("late", "coverage", "-", "boom")
            assert not store.flush(), "inside the transaction the row waits"
    assert store.flush(timeout=0), "the app context's end waited for the writer"
    assert PluginFailure.get(PluginFailure.plugin == "late").count == 1


def test_twenty_threads_at_once_lose_no_increment(app):
    store = current_engine().failure_store
    start = threading.Barrier(20)
    problems = []

    def count():
        try:
            start.wait()
            for _ in range(5):  # each in a transaction of its own
                store.record("busy", "reply_deadline", "K-1", "boom")
            with database.atomic():  # inside the caller's: through the writer
                for _ in range(5):
                    store.record("busy", "reply_deadline", "K-2", "boom")
        except Exception as exc:  # noqa: BLE001 - reported below
            problems.append(exc)
        finally:
            if not database.is_closed():
                database.close()
    threads = [threading.Thread(target=count) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert store.counts()[("busy", "reply_deadline")].count == 200


def test_what_no_database_keeps_is_stored_cleaned_and_cut(app):
    store = current_engine().failure_store
    store.record("odd", "coverage", "K" * 100, "a\x00b\udce9" + "x" * 1000)
    failure = store.counts()[("odd", "coverage")]
    assert failure.last_error.startswith("a b?x") and len(failure.last_error) == 500
    assert failure.last_contract == "K" * 60


def test_a_store_that_cannot_count_never_takes_a_decision_down(caplog):
    broken = RedisFailureStore("redis://127.0.0.1:1/0")  # nothing listens there
    engine = RuleEngine(entry_points=False, failure_store=broken).load()
    engine.register(Raising(), "raising")
    caplog.set_level(logging.WARNING, logger="backoffice.plugins")
    fail_once(engine)
    assert ("rule plugin raising failed in hook reply_deadline and the failure could not be "
            "counted (redis store)") in [r.getMessage() for r in caplog.records]


# -- Redis ---------------------------------------------------------------------------------

@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own on the real Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis not reachable at {REDIS_URL} ({exc}) and CI=true requires it")
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({exc})")
    prefix = f"backoffice-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    assert not list(client.scan_iter(match=f"{prefix}*"))
    client.close()


def test_redis_stores_of_two_processes_count_together(redis_prefix):
    one = RedisFailureStore(REDIS_URL, prefix=redis_prefix)
    two = RedisFailureStore(REDIS_URL, prefix=redis_prefix)
    one.record("flaky", "reply_deadline", "K-HRB-1", "RuntimeError: one")
    two.record("flaky", "reply_deadline", "K-CAN-1", "RuntimeError: two" + "x" * 1000)
    two.record("flaky", "coverage", "-", "boom")
    failure = one.counts()[("flaky", "reply_deadline")]
    assert (failure.count, failure.last_contract) == (2, "K-CAN-1")
    assert failure.last_error.startswith("RuntimeError: two") and len(failure.last_error) == 500
    assert failure.last_at.utcoffset() == dt.timedelta(0)
    assert one.redis.hget(one.key("flaky", "reply_deadline"), "count") == "2"
    assert RedisFailureStore(REDIS_URL, prefix=redis_prefix + "other:").counts() == {}
    assert two.reset("flaky") == 2 and one.counts() == {}


def test_redis_twenty_threads_at_once_lose_no_increment(redis_prefix):
    store = RedisFailureStore(REDIS_URL, prefix=redis_prefix)
    start = threading.Barrier(20)

    def count():
        start.wait()
        for _ in range(10):
            store.record("busy", "reply_deadline", "-", "boom")
    threads = [threading.Thread(target=count) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.counts()[("busy", "reply_deadline")].count == 200


def test_with_redis_url_the_apps_count_in_redis(app, make_app, redis_prefix):
    apps = [make_app(redis_url=REDIS_URL), make_app(redis_url=REDIS_URL)]
    engines = []
    for application in apps:
        with application.app_context():
            engine = current_engine()
        assert isinstance(engine.failure_store, RedisFailureStore)
        engine.failure_store.prefix = redis_prefix  # the test's keys, not a deployment's
        engine.register(Raising(), "raising")
        engines.append(engine)
    fail_once(engines[0])
    fail_once(engines[1])
    assert engines[0].failure_count("raising") == engines[1].failure_count("raising") == 2
    assert PluginFailure.select().count() == 0, "nothing in the database"

