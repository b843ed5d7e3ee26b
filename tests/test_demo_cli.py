"""``backoffice demo`` and ``backoffice up``: output, idempotence, bulk units, production."""

from __future__ import annotations

import pytest

from backoffice import demo
from backoffice.models import Office, Staff, Unit


def test_demo_and_up_are_listed_in_help(runner):
    output = runner.invoke(args=["--help"]).output
    assert "demo" in output and "up" in output


def test_demo_prints_counts_and_one_account_per_role(runner):
    result = runner.invoke(args=["demo", "--units", "500"])
    assert result.exit_code == 0, result.output
    assert "demo data written in" in result.output
    assert "office 26," in result.output and "unit 500," in result.output
    for role, username, password in demo.accounts():
        assert f"{username}" in result.output and password in result.output
        assert Staff.get(Staff.username == username).check_password(password)
    assert Unit.select().count() == 500

    again = runner.invoke(args=["demo", "--units", "500"])
    assert again.exit_code == 0, again.output
    assert "already present: nothing written" in again.output
    assert Unit.select().count() == 500

    more = runner.invoke(args=["demo", "--units", "1500"])
    assert more.exit_code == 0, more.output
    assert "1,000 units added in bulk" in more.output
    assert Unit.select().count() == 1500


@pytest.mark.parametrize("args", [["demo", "--units", "0"], ["demo", "--units", "many"]])
def test_demo_refuses_bad_unit_counts(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert Office.select().count() == 0


def test_production_refuses_demo_with_one_line(make_app, app):
    production = make_app(env="production")
    with production.app_context():  # the commands run in the current app context
        result = production.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: demo data is not allowed when env = production"]
    assert Office.select().count() == 0


def test_demo_leaves_a_database_with_other_records_alone(runner, world):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 2
    assert "not the demo's" in result.output
    assert Office.select().count() == 2


def test_up_migrates_seeds_an_empty_database_and_serves(runner, monkeypatch):
    served = {}

    def fake_serve(application, host, port, then=None):
        served.update(host=host, port=port, app=application, then=then)

    monkeypatch.setattr("backoffice.commands.serve.serve", fake_serve)
    # the worker beside the server is tests/test_up_serves.py's (real processes)
    result = runner.invoke(args=["up", "--port", "5099", "--no-worker"])
    assert result.exit_code == 0, result.output
    assert "migration(s) applied" in result.output
    assert "demo data written" in result.output
    for _, username, password in demo.accounts():
        assert username in result.output and password in result.output
    assert "http://127.0.0.1:5099/" in result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 5099
    assert served["app"] is runner.app and served["then"] is None
    assert Office.select().count() == 26

    # a second start seeds nothing and still prints the accounts
    again = runner.invoke(args=["up", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "demo data written" not in again.output and "wangjianguo" in again.output


def test_up_does_not_seed_a_database_in_use(runner, world):
    result = runner.invoke(args=["up", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "demo data" not in result.output and "demo accounts" not in result.output
    assert Office.select().count() == 2


def test_up_in_production_seeds_nothing(make_app, app):
    production = make_app(env="production")
    with production.app_context():
        result = production.test_cli_runner().invoke(args=["up", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "no demo data" in result.output
    assert Office.select().count() == 0


def test_readme_lists_the_accounts_the_demo_prints():
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for _, username, password in demo.accounts():
        assert f"| `{username}` | `{password}` |" in readme
    assert readme.count("bash scripts/") >= 2


def test_demo_counts_its_tickets_in_english_and_chinese(make_app, app):
    import re

    from backoffice.models import Replacement, StockLevel, Ticket, TicketPause

    result = app.test_cli_runner().invoke(args=["demo", "--units", "600"])
    assert result.exit_code == 0, result.output
    counts = {name: int(n.replace(",", "")) for name, n in re.findall(
        r"([a-z][a-z ]*?) ([\d,]+)(?:,|$)", result.output.splitlines()[1].strip())}
    assert counts["ticket"] == Ticket.select().count() > 100
    assert counts["ticket pause"] == TicketPause.select().count() > 0
    assert counts["replacement"] == Replacement.select().count() > 0
    assert counts["stock level"] == StockLevel.select().count() > 26
    assert counts["unit"] == 600  # tickets add no unit

    chinese = make_app(default_language="zh_Hans_CN")
    with chinese.app_context():
        again = chinese.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert f"工单 {Ticket.select().count():,}" in again.output
    assert "工单暂停" in again.output and "产品更换" in again.output and "库存条目" in again.output
