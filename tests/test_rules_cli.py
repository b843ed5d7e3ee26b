"""``backoffice plugins`` and ``backoffice terms``: output, exit codes, nothing written on error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backoffice.db import database
from backoffice.labels import Role
from backoffice.models import Contract, TermSetVersion
from tests.factories import make_staff

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@pytest.fixture
def shipped_runner(app, make_app):
    """A CLI runner whose app loads the shipped ``plugins/``, on the fresh test database."""
    database.close()
    application = make_app(plugins_dir=str(ROOT / "plugins"))
    with application.app_context():
        yield application.test_cli_runner()
    database.close()


def one_line_error(result, message):
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output


def test_plugins_list(shipped_runner, world):
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.plugins = '{"near_site_4h": {}}'
    contract.save()
    result = shipped_runner.invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("key_account 1.0  [plugins dir: ")
    assert "near_site_4h 1.0  [plugins dir: " in lines[3]
    assert lines[4] == "    hooks: arrival_deadline, check_settings"
    assert lines[5] == "    contracts: K-HRB-1"
    assert lines[6].startswith("charter ") and "[default: backoffice.default_plugins.charter]" \
        in lines[6]
    rows = json.loads(shipped_runner.invoke(args=["plugins", "list", "--json"]).output)
    assert [r["name"] for r in rows] == ["key_account", "near_site_4h", "charter", "channels"]
    assert rows[1]["contracts"] == ["K-HRB-1"] and rows[1]["failures"] == 0
    assert "reply_deadline" in rows[2]["hooks"]


def test_plugins_check(shipped_runner, world):
    result = shipped_runner.invoke(args=["plugins", "check"])
    assert result.exit_code == 0, result.output
    assert "ok: 4 plugin(s) loaded, 2 contract(s) checked" in result.output
    # settings written around the model's validation (e.g. by an old import) are caught
    Contract.update(plugins='{"near_site_4h": {"radius_km": "far"}, "gone": {}}').where(
        Contract.id == world.harbin_contract.id).execute()
    result = shipped_runner.invoke(args=["plugins", "check"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "contract K-HRB-1: near_site_4h: radius_km must be a number of km between 0 and 500",
        "contract K-HRB-1: Plugin gone is not loaded (see backoffice plugins list)."]


def test_terms_load_list_and_diff(runner, tmp_path):
    make_staff("hq.li", Role.HQ)
    result = runner.invoke(args=["terms", "load", str(RULES / "premium.toml"), "--as", "hq.li"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "stored premium v1 (published by hq.li)"
    faster = tmp_path / "premium.toml"
    faster.write_text((RULES / "premium.toml").read_text().replace("hours = 1\n", "hours = 0.5\n"))
    assert runner.invoke(args=["terms", "load", str(faster)]).exit_code == 0
    result = runner.invoke(args=["terms", "diff", "premium", "1", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["--- premium v1", "+++ premium v2",
                                          "reply.hours: 1 -> 0.5"]
    assert json.loads(runner.invoke(args=["terms", "diff", "premium", "1", "2", "--json"]
                                    ).output) == [{"key": "reply.hours", "old": 1, "new": 0.5}]
    listing = runner.invoke(args=["terms", "list"]).output
    assert "charter v1 (built-in standard terms): 0 contract(s)" in listing
    assert "premium v2" in listing


@pytest.mark.parametrize("args, message", [
    (["terms", "load", "{missing}"], "cannot read"),
    (["terms", "load", "{bad}"], "bad.toml: arrival.bands[2] is the last band"),
    (["terms", "diff", "nosuch", "1", "2"], "no term set named 'nosuch'"),
    (["terms", "preview", "--distance-km", "x", "--received", "2026-11-26T09:00"],
     "The distance must be a number of km, got 'x'."),
    (["terms", "preview", "--distance-km", "-1", "--received", "2026-11-26T09:00"],
     "The distance must be between 0 and 20000 km"),
    (["terms", "preview", "--distance-km", "10", "--received", "26/11/2026"],
     "'26/11/2026' is not a time like 2026-11-26T09:00."),
    (["terms", "preview", "--distance-km", "10", "--received", "2026-11-26T09:00",
      "--confirmed", "soon"], "'soon' is not a date like 2026-11-27."),
    (["terms", "preview", "--distance-km", "10", "--received", "2026-11-26T09:00",
      "--contract", "K-NONE"], "no contract numbered 'K-NONE'"),
    (["terms", "preview", "--distance-km", "10", "--received", "2026-11-26T09:00",
      "--terms", "premium"], "--terms must look like premium:2"),
])
def test_bad_arguments_are_one_line_and_exit_2(runner, tmp_path, args, message):
    bad = tmp_path / "bad.toml"
    bad.write_text((RULES / "charter.toml").read_text().replace("{hours = 24}",
                                                                "{max_km = 900, hours = 24}"))
    args = [a.format(missing=tmp_path / "missing.toml", bad=bad) for a in args]
    one_line_error(runner.invoke(args=args), message)
    assert TermSetVersion.select().count() == 0


def test_a_missing_option_is_a_usage_error(runner):
    result = runner.invoke(args=["terms", "preview", "--received", "2026-11-26T09:00"])
    assert result.exit_code == 2
    assert "Missing option '--distance-km'" in result.output


@pytest.mark.parametrize("distance, arrival, band", [
    ("80", "2026-11-26T15:00:00+08:00", "0-100 km"),
    ("320", "2026-11-26T21:00:00+08:00", "100-500 km"),
    ("800", "2026-11-27T09:00:00+08:00", "over 500 km"),
])
def test_preview_json(runner, distance, arrival, band):
    result = runner.invoke(args=["terms", "preview", "--distance-km", distance, "--received",
                                 "2026-11-26T09:00", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "contract": None, "term_set": "charter v1", "plugins": [],
        "deadlines": {
            "reply": {"due": "2026-11-26T11:00:00+08:00",
                      "decided_by": "charter v1: reply within 2 h"},
            "arrival": {"due": arrival, "decided_by": f"charter v1: arrival band {band}"}},
        "plugin_failures": []}


def test_preview_for_a_contract_with_replacement(shipped_runner, world):
    assert shipped_runner.invoke(args=["terms", "load", str(RULES / "premium.toml")]
                                 ).exit_code == 0
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.term_set_version = TermSetVersion.get()
    contract.plugins = '{"near_site_4h": {}}'
    contract.save()
    result = shipped_runner.invoke(args=[
        "terms", "preview", "--distance-km", "30", "--received", "2026-11-26T01:00:00Z",
        "--contract", "k-hrb-1", "--confirmed", "2026-11-27", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["contract"], data["term_set"], data["plugins"]) == (
        "K-HRB-1", "premium v1", ["near_site_4h"])
    deadlines = data["deadlines"]
    assert deadlines["reply"] == {"due": "2026-11-26T10:00:00+08:00",
                                  "decided_by": "premium v1: reply within 1 h"}
    assert deadlines["arrival"] == {
        "due": "2026-11-26T13:00:00+08:00",
        "decided_by": "near_site_4h: 4 h within 50 km in business hours"}
    assert deadlines["replacement"] == {
        "earliest": "2026-12-02", "latest": "2026-12-07",
        "decided_by": "premium v1: replacement 5-10 days after confirmation"}
    text = shipped_runner.invoke(args=["terms", "preview", "--distance-km", "600", "--received",
                                       "2026-11-26T09:00", "--terms", "premium:1"]).output
    assert text.splitlines()[0] == "contract: -   terms: premium v1   plugins: -"
    assert text.splitlines()[2].split() == ["arrival", "2026-11-27T01:00:00+08:00", "premium",
                                            "v1:", "arrival", "band", "over", "500", "km"]
