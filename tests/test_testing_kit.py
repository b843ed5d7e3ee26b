"""The integrators' testing kit works from a plugin's own repository, as docs/plugins.md says.

pytest's ``pytester`` writes the docs' example repository (``acme-reply/``: a plugin
module and its tests, no conftest.py) into a temporary directory and runs pytest there
in a subprocess, where ``backoffice.testing`` can only come from its ``pytest11`` entry
point. A second run adds the plugin as an installed distribution (a ``.dist-info`` with
its entry points on ``PYTHONPATH``, what ``pip install`` leaves), so ``register_plugin``
must replace the installed copy for a test and put it back. The other tests drive the
same helpers in this process, on the suite's ``app``.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

from backoffice.config import ConfigError
from backoffice.hookspecs import Deadline, hookimpl
from backoffice.plugins import current_engine
from backoffice.testing import (
    _test_app,
    decide,
    enable_plugin,
    make_contract,
    make_unit,
    plugin_registered,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
PREFIX = "acme-reply/"
#: the docs' example repository: relative path -> text
REPOSITORY = {path[len(PREFIX):]: text for path, text in re.findall(
    r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", DOCS, re.DOTALL) if path.startswith(PREFIX)}
RECEIVED = dt.datetime.fromisoformat("2026-11-26T09:00+08:00")


def write_repository(pytester) -> None:
    for relative, text in REPOSITORY.items():
        path = pytester.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def install(pytester, monkeypatch) -> None:
    """What ``pip install acme-reply`` leaves, on the pytest subprocess's ``PYTHONPATH``:
    the module and a dist-info with the entry points the example's pyproject.toml declares."""
    project = tomllib.loads(REPOSITORY["pyproject.toml"])["project"]
    site = pytester.path / "site-packages"
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\n"
                                   f"Version: {project['version']}\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
        for group, points in project["entry-points"].items()))
    (site / "acme_reply.py").write_text(REPOSITORY["src/acme_reply.py"], encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(site))


def test_the_entry_point_registers_the_kit_with_pytest():
    points = importlib.metadata.entry_points(group="pytest11")
    assert [(p.name, p.value) for p in points if p.value == "backoffice.testing"] == [
        ("backoffice", "backoffice.testing")]


def test_the_docs_show_an_outside_repository_without_conftest():
    assert {"pyproject.toml", "src/acme_reply.py", "tests/test_acme_reply.py",
            "tests/test_installed.py"} <= set(REPOSITORY)
    assert not any(Path(name).name == "conftest.py" for name in REPOSITORY)
    assert "backoffice.testing" not in REPOSITORY["tests/test_acme_reply.py"].split(
        "from backoffice.testing import")[0]  # no pytest_plugins line either


def test_a_plugin_repository_runs_its_tests_with_the_entry_point_fixtures(pytester):
    write_repository(pytester)
    result = pytester.runpytest_subprocess("tests/test_acme_reply.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_a_plugin_also_installed_as_a_distribution(pytester, monkeypatch):
    write_repository(pytester)
    install(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("tests", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)  # the working copy's tests and the installed one's


# -- the helpers, in this process --------------------------------------------------------------

class Released:
    """Stands for an installed release of plugin ``acme``."""

    @hookimpl
    def reply_deadline(self):
        return Deadline(within=dt.timedelta(hours=1), decided_by="released")


class WorkingCopy:
    @hookimpl
    def reply_deadline(self):
        return Deadline(within=dt.timedelta(minutes=5), decided_by="working copy")


class Misspelt:
    @hookimpl
    def reply_dedline(self):
        return None


def test_a_loaded_plugin_is_replaced_for_the_block_and_put_back(app):
    engine = current_engine()
    released = Released()
    engine.register(released, "acme", source="entry point", location="acme 1.0",
                    version="1.0")
    try:
        contract = make_contract()
        enable_plugin(contract, "acme")
        with plugin_registered(WorkingCopy(), "acme") as registered:
            assert registered is engine
            assert engine.plugins["acme"].source == "test"
            assert decide("reply_deadline", contract, received=RECEIVED).decided_by == \
                "acme: working copy"
        info = engine.plugins["acme"]
        assert (info.plugin, info.source, info.location, info.version) == (
            released, "entry point", "acme 1.0", "1.0")
        assert decide("reply_deadline", contract, received=RECEIVED).decided_by == \
            "acme: released"
        # a working copy that fails to register leaves the release in place too
        with pytest.raises(ConfigError, match="reply_dedline"), \
                plugin_registered(Misspelt(), "acme"):
            pass
        assert engine.plugins["acme"].plugin is released
    finally:
        engine.unregister("acme")


@pytest.fixture
def installed_acme(app):
    """A "released" acme loaded before ``register_plugin`` and checked after its teardown
    (fixtures are torn down in the reverse order of their set-up)."""
    engine = current_engine()
    released = Released()
    engine.register(released, "acme", source="entry point", location="acme 1.0")
    yield released
    assert engine.plugins["acme"].plugin is released, "register_plugin did not put it back"
    engine.unregister("acme")


def test_register_plugin_fixture_replaces_and_restores(installed_acme, register_plugin):
    engine = register_plugin(WorkingCopy(), "acme")
    assert engine.plugins["acme"].source == "test"
    assert engine.plugins["acme"].plugin is not installed_acme


def test_a_default_plugin_cannot_be_replaced(app):
    with pytest.raises(ValueError, match="'charter' is a default plugin"), \
            plugin_registered(WorkingCopy(), "charter"):
        pass
    assert current_engine().plugins["charter"].is_default


def test_the_helpers_need_an_app_context():
    with pytest.raises(RuntimeError, match="use the backoffice_app fixture"):
        decide("reply_deadline", None, received=RECEIVED)


def test_make_unit_makes_what_it_is_not_given(app):
    unit = make_unit()
    assert unit.customer_id == unit.contract.customer_id == unit.site.customer_id
    assert (unit.warranty_start, unit.warranty_end) == (dt.date(2025, 2, 10),
                                                        dt.date(2027, 2, 9))


def test_the_test_app_ignores_the_developers_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_PAGE_SIZE", "7")
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", "sqlite:////nonexistent/real.db")
    app = _test_app({"database_url": f"sqlite:///{tmp_path / 'x.db'}"}, tmp_path)
    assert app.config["PAGE_SIZE"] == 50
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'x.db'}"
    assert Path(app.config["PLUGINS_DIR"]).is_dir()


def test_in_this_suite_backoffice_app_is_the_app(app, backoffice_app, register_plugin):
    assert backoffice_app is app  # tests/conftest.py overrides it: SQLite and PostgreSQL
    engine = register_plugin(WorkingCopy(), "acme")
    assert engine is app.extensions["backoffice_rules"]
