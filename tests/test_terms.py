"""Term sheets: validation, the shipped sheets, versions, diffs and pinned contracts."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from backoffice.models import Contract, RuleViolation, TermSet, TermSetVersion
from backoffice.services.deadlines import compute_deadlines, impact_of
from backoffice.terms import STANDARD, Change, SheetError, diff, parse_sheet, to_toml
from tests.factories import publish, terms_for

RULES = Path(__file__).resolve().parent.parent / "rules"

GOOD = """
name = "gold"
[reply]
hours = 1.5
[arrival]
bands = [{max_km = 50, hours = 3}, {hours = 10}]
[replacement]
earliest_days = 2
latest_days = 4
"""


def test_the_shipped_charter_sheet_is_the_built_in_standard():
    assert tomllib.loads((RULES / "charter.toml").read_text()) == STANDARD.as_dict()
    assert parse_sheet((RULES / "charter.toml").read_text()) == STANDARD


def test_the_premium_sheet():
    premium = parse_sheet((RULES / "premium.toml").read_text())
    assert premium.reply_hours == 1
    assert [b.hours for b in premium.bands] == [4, 8, 16]
    assert [b.max_km for b in premium.bands] == [100, 500, None]


def test_a_good_sheet_round_trips_through_toml():
    terms = parse_sheet(GOOD, "gold.toml")
    assert terms.label == "gold v1"
    assert terms.band_for(50)[1] == "arrival band 0-50 km"
    assert terms.band_for(50.5)[1] == "arrival band over 50 km"
    assert parse_sheet(to_toml(terms.as_dict())) == terms


@pytest.mark.parametrize("change, message", [
    (("[reply]\nhours = 1.5", "[reply]\nhours = \"soon\""),
     "x.toml: reply.hours must be a number, got 'soon'"),
    (("[reply]\nhours = 1.5", "[reply]\nhours = 0"), "x.toml: reply.hours must be above 0"),
    (("[reply]\nhours = 1.5", "[reply]\nhour = 1"), "x.toml: unknown key 'reply.hour'"),
    (("[reply]\nhours = 1.5", "[reply]"), "x.toml: reply.hours is required"),
    (("{hours = 10}", "{max_km = 900, hours = 10}"),
     "x.toml: arrival.bands[1] is the last band and must have no max_km"),
    (("{max_km = 50, hours = 3}", "{hours = 3}"), "x.toml: arrival.bands[0].max_km is required"),
    (("{max_km = 50, hours = 3}, {hours = 10}",
      "{max_km = 50, hours = 3}, {max_km = 40, hours = 5}, {hours = 10}"),
     "x.toml: arrival.bands[1].max_km must be above 50"),
    (("{max_km = 50, hours = 3}", "{max_km = 50, hrs = 3}"),
     "x.toml: unknown key arrival.bands[0].hrs"),
    (("bands = [{max_km = 50, hours = 3}, {hours = 10}]", "bands = []"),
     "x.toml: arrival.bands needs at least one band"),
    (("latest_days = 4", "latest_days = 1"),
     "x.toml: replacement needs 0 <= earliest_days <= latest_days <= 365, got 2..1"),
    (("earliest_days = 2", "earliest_days = 2.5"),
     "x.toml: replacement.earliest_days must be an integer"),
    (('name = "gold"', 'name = "gold star"'), "x.toml: name must be letters, digits"),
    (('name = "gold"', 'nam = "gold"'), "x.toml: unknown key 'nam'"),
    (("[reply]", "[reply"), "x.toml: not valid TOML"),
])
def test_a_malformed_sheet_names_the_file_and_key(change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(SheetError) as info:
        parse_sheet(GOOD.replace(old, new, 1), "x.toml")
    assert str(info.value).startswith(message)


def test_diff_names_each_changed_key():
    charter = STANDARD.as_dict()
    premium = tomllib.loads((RULES / "premium.toml").read_text())
    changes = {c.key: (c.old, c.new) for c in diff(charter, premium)}
    assert changes["reply.hours"] == (2, 1)
    assert changes["arrival.bands[0].hours"] == (6, 4)
    assert changes["name"] == ("charter", "premium")
    assert "arrival.bands[0].max_km" not in changes
    assert diff(charter, charter) == []
    assert diff({"a": 1}, {"b": 2}) == [Change("a", 1, None), Change("b", None, 2)]


def test_publishing_versions(app):
    v1 = publish(parse_sheet(GOOD), by="hq.li")
    v2 = publish(parse_sheet(GOOD.replace("hours = 1.5", "hours = 1")), "faster reply", by="hq.li")
    assert (str(v1), str(v2)) == ("gold v1", "gold v2")
    assert (v2.published_by, v2.note) == ("hq.li", "faster reply")
    assert v2.created_at is not None
    assert [(c.key, c.old, c.new) for c in v2.changes()] == [("reply.hours", 1.5, 1)]
    assert TermSet.get(TermSet.name == "gold").latest().id == v2.id
    with pytest.raises(RuleViolation, match="gold v2 already has exactly these terms"):
        publish(v2.terms())
    assert TermSetVersion.select().count() == 2


def test_a_published_version_cannot_be_edited(app):
    version = publish(parse_sheet(GOOD))
    version.data = version.data.replace("1.5", "9")
    with pytest.raises(RuleViolation, match="cannot be changed"):
        version.save()
    assert TermSetVersion.get_by_id(version.id).terms().reply_hours == 1.5


def test_a_contract_pinned_to_v1_keeps_v1_after_v2(app, world):
    v1 = publish(parse_sheet(GOOD))
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.term_set_version = v1
    contract.save()
    before = compute_deadlines("2026-11-26T09:00", 320, contract)
    v2 = publish(parse_sheet(GOOD.replace("{hours = 10}", "{hours = 5}")))
    contract = Contract.get_by_id(contract.id)
    after = compute_deadlines("2026-11-26T09:00", 320, contract)
    assert terms_for(contract).label == "gold v1"
    assert after.arrival == before.arrival
    assert after.arrival.decided_by == "gold v1: arrival band over 50 km"
    impacts = impact_of(v2, "2026-11-26T09:00", 320)
    assert [(i.contract.number, i.pinned, i.changes) for i in impacts] == [
        ("K-HRB-1", "gold v1", True)]
    assert impacts[0].under_new.arrival.due.hour == 14
    assert impact_of(v2, "2026-11-26T09:00", 20)[0].changes is False


def test_unpinned_contracts_use_the_standard_terms(app, world):
    assert terms_for(world.guangzhou_contract) is STANDARD
    result = compute_deadlines(dt.datetime(2026, 11, 26, 9, 0), 500, world.guangzhou_contract)
    assert result.as_json()["term_set"] == "charter v1"
    charter_v2 = publish(parse_sheet((RULES / "charter.toml").read_text().replace(
        "hours = 2", "hours = 3")))
    assert str(charter_v2) == "charter v2", "v1 is the built-in standard"
    assert TermSetVersion.get(TermSetVersion.number == 1).terms() == STANDARD
    impacts = impact_of(charter_v2, "2026-11-26T09:00", 80)
    assert {(i.contract.number, i.changes) for i in impacts} == {("K-HRB-1", True),
                                                               ("K-CAN-1", True)}
