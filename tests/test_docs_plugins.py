"""``docs/plugins.md`` is executed: its example plugins load (from ``plugins/`` and as an
installed distribution), its example tests pass, and it documents every hook."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

from backoffice import hookspecs
from backoffice.db import database
from backoffice.plugins import RuleEngine

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
TEXT = DOCS.read_text()
FILES = dict(re.findall(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", TEXT, re.DOTALL))
TESTS = re.findall(r"<!-- example-test -->\n```python\n(.*?)```", TEXT, re.DOTALL)
HOOKS = sorted(name for name in dir(hookspecs)
               if hasattr(getattr(hookspecs, name), "backoffice_spec"))


def write_examples(root: Path) -> None:
    for relative, source in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)


def test_the_docs_have_examples():
    assert {"plugins/vip_reply.py", "acme-rules/pyproject.toml", "acme-rules/acme_rules.py"} \
        <= set(FILES)
    assert len(TESTS) >= 2


def test_the_term_sheet_example_loads(runner, tmp_path):
    write_examples(tmp_path)
    result = runner.invoke(args=["terms", "load", str(tmp_path / "rules" / "gold.toml")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "stored gold v1 (published by system)"
    preview = runner.invoke(args=["terms", "preview", "--distance-km", "320", "--received",
                                  "2026-11-26T09:00", "--terms", "gold:1", "--json"])
    assert json.loads(preview.output)["deadlines"]["arrival"] == {
        "due": "2026-11-26T21:00:00+08:00", "decided_by": "gold v1: arrival band over 300 km"}


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_for_integrators(hook):
    section = TEXT.split(f"### `{hook}`\n", 1)
    assert len(section) == 2, f"docs/plugins.md has no section for hook {hook}"
    body = section[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    spec = getattr(hookspecs, hook)
    for arg in spec.__code__.co_varnames[:spec.__code__.co_argcount]:
        assert arg in body, f"{hook}: parameter {arg} is not in its docs section"


def test_the_example_plugin_loads_from_the_plugins_directory(tmp_path):
    write_examples(tmp_path)
    engine = RuleEngine(plugins_dir=tmp_path / "plugins", entry_points=False).load()
    assert engine.hooks_of("vip_reply") == ["check_settings", "reply_deadline"]
    assert engine.plugins["vip_reply"].version == "1.0"
    assert engine.check_settings("vip_reply", {"minutes": 500}) == [
        "vip_reply: minutes must be a whole number from 1 to 120"]


def test_the_plugins_list_shown_in_the_docs(app, make_app, tmp_path, monkeypatch):
    write_examples(tmp_path)
    monkeypatch.chdir(tmp_path)
    database.close()
    with_plugins = make_app(plugins_dir="plugins")
    with with_plugins.app_context():  # the CLI uses the innermost app
        result = with_plugins.test_cli_runner().invoke(args=["plugins", "list"])
    shown = re.search(r"```console\n\$ backoffice plugins list\n(.*?)\.\.\.\n```", TEXT,
                      re.DOTALL)
    assert result.output.startswith(shown.group(1)), result.output


def test_the_pip_package_example_is_loaded_by_its_entry_point(tmp_path, monkeypatch):
    """What ``pip install ./acme-rules`` installs: the module and a dist-info with the
    entry points the docs' pyproject.toml declares (built here without network or wheel)."""
    write_examples(tmp_path)
    project = tomllib.loads((tmp_path / "acme-rules" / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site"
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\n"
                                   f"Version: {project['version']}\n")
    entry_points = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
                           for group, eps in project["entry-points"].items())
    (info / "entry_points.txt").write_text(entry_points)
    (site / "acme_rules.py").write_text((tmp_path / "acme-rules" / "acme_rules.py").read_text())
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "acme_rules", raising=False)
    engine = RuleEngine().load()
    plugin = engine.plugins["acme_rules"]
    assert (plugin.source, plugin.location, plugin.version) == (
        "entry point", "acme-rules 1.0.0", "1.0.0")
    import datetime as dt

    from backoffice.terms import STANDARD
    window = engine.replacement_window(None, dt.date(2026, 11, 27), terms=STANDARD,
                                       enabled={"acme_rules": {}})
    assert (window.latest, window.decided_by) == (dt.date(2026, 11, 30),
                                                  "acme_rules: replacement within 3 days")


@pytest.mark.parametrize("index", range(len(TESTS)))
def test_the_docs_example_tests_pass(app, world, tmp_path, monkeypatch, index):
    write_examples(tmp_path)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    code = compile(TESTS[index], f"docs/plugins.md example test {index}", "exec")
    exec(code, namespace)  # noqa: S102 - the docs' own example, executed on purpose
    tests = [fn for name, fn in namespace.items() if name.startswith("test_")]
    assert tests
    fixtures = {"app": app, "world": world}
    for test in tests:
        test(**{name: fixtures[name] for name in test.__code__.co_varnames[
            :test.__code__.co_argcount]})
