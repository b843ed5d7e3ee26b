"""Rule screens: term sets (each save a version, with its diff), contract rules, the
preview (and which contracts a version changes), the plugin registry, and who may open them."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from backoffice.db import database
from backoffice.hookspecs import Deadline, hookimpl
from backoffice.models import AuditEntry, Contract, TermSetVersion
from backoffice.terms import parse_sheet
from backoffice.testing import enable_plugin, plugin_registered
from tests.conftest import csrf_token
from tests.factories import publish

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/admin/rules/terms/", "/admin/rules/terms/new", "/admin/rules/terms/charter/edit",
         "/admin/rules/contracts/", "/admin/rules/preview/", "/admin/rules/plugins/"]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def terms_form(**changes) -> dict:
    data = {"name": "premium", "title": "Premium service terms", "reply_hours": "1",
            "bands": "100 4\n500 8\n* 16", "earliest_days": "5", "latest_days": "10",
            "warranty_months": "", "visits_per_year": "2", "note": "signed with key accounts"}
    return data | changes


def post_form(client, url, data):
    """Post ``data`` as the page's form would: with its CSRF token and, where the page
    carries one, the version of the record it showed (optimistic locking)."""
    page = client.get(url).get_data(as_text=True)
    hidden = {"csrf_token": csrf_token(page)}
    seen = re.search(r'name="seen_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="seen_version"',
                     page)
    if seen:
        hidden["seen_version"] = seen.group(1) or seen.group(2)
    return client.post(url, data={**hidden, **data}, follow_redirects=True)


@pytest.mark.parametrize("user, status", [("harbin_manager", 403), ("harbin_engineer", 403),
                                          ("viewer", 403), ("hq", 200), ("admin", 200)])
def test_only_admin_and_hq_open_the_rule_screens(client, auth, world, user, status):
    auth.login(user)
    for page in PAGES:
        assert client.get(page).status_code == status, page


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get("/admin/rules/plugins/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_publish_a_term_set_and_a_new_version_with_its_diff(client, auth, world):
    auth.login("hq")
    page = post_form(client, "/admin/rules/terms/new", terms_form())
    assert "Published premium v1." in text(page)
    page = post_form(client, "/admin/rules/terms/premium/edit",
                     terms_form(bands="100 3\n500 8\n* 16", note="3 h near the office"))
    body = text(page)
    assert "Published premium v2." in body
    assert "Changes since version 1" in body and "arrival.bands[0].hours" in body
    v2 = TermSetVersion.get(TermSetVersion.number == 2)
    assert (v2.published_by, v2.note) == ("hq", "3 h near the office")
    assert v2.terms().bands[0].hours == 3
    assert AuditEntry.select().where((AuditEntry.table == "term_set_version")
                                     & (AuditEntry.actor == "hq")).count() == 2
    assert "premium v2" in text(client.get("/admin/rules/terms/"))


@pytest.mark.parametrize("changes, message", [
    ({"bands": "100 4\n500 8"}, "arrival.bands[1] is the last band"),
    ({"bands": "100 4\nfar 8\n* 16"}, "Line 2: write up-to km and hours"),
    ({"earliest_days": "9", "latest_days": "3"}, "replacement needs 0 <= earliest_days"),
    ({"reply_hours": "0"}, "reply.hours must be above 0"),
    ({"note": ""}, "This field is required."),
])
def test_a_bad_term_set_edit_is_a_form_error_and_writes_nothing(client, auth, world, changes,
                                                                 message):
    auth.login("admin")
    page = post_form(client, "/admin/rules/terms/new", terms_form(**changes))
    assert page.status_code == 200
    body = text(page)
    assert message in body and "field-error" in body
    assert TermSetVersion.select().count() == 0


def test_saving_unchanged_terms_publishes_nothing(client, auth, world):
    publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    auth.login("hq")
    page = post_form(client, "/admin/rules/terms/premium/edit", terms_form(note="again"))
    assert "premium v1 already has exactly these terms" in text(page)
    assert TermSetVersion.select().count() == 1


def test_contract_rules_pin_a_version_and_plugins_errors_are_form_errors(client, auth, world):
    premium = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    auth.login("hq")
    url = f"/admin/rules/contracts/{world.harbin_contract.id}/"
    page = post_form(client, url, {"term_set_version": str(premium.id),
                                   "plugins": '{"nowhere": {}}'})
    assert "Plugin nowhere is not loaded" in text(page)
    assert Contract.get_by_id(world.harbin_contract.id).term_set_version_id is None
    page = post_form(client, url, {"term_set_version": str(premium.id), "plugins": ""})
    assert "Saved the rules of contract K-HRB-1." in text(page)
    contract = Contract.get_by_id(world.harbin_contract.id)
    assert (contract.term_set_version_id, contract.plugins) == (premium.id, "{}")
    assert "premium v1" in text(client.get("/admin/rules/contracts/"))


def test_moving_contracts_to_the_latest_version(client, auth, world):
    v1 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    for contract in (world.harbin_contract, world.guangzhou_contract):
        contract.term_set_version = v1
        contract.save()
    v2 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text().replace(
        "hours = 1\n", "hours = 0.5\n")))
    auth.login("hq")
    token = csrf_token(client.get("/admin/rules/terms/premium/").get_data(as_text=True))
    page = client.post("/admin/rules/terms/premium/move", follow_redirects=True,
                       data={"contracts": [str(world.harbin_contract.id)], "csrf_token": token})
    assert f"Moved K-HRB-1 to {v2}." in text(page)
    assert Contract.get_by_id(world.harbin_contract.id).term_set_version_id == v2.id
    assert Contract.get_by_id(world.guangzhou_contract.id).term_set_version_id == v1.id


def test_the_preview_form_equals_the_cli_preview(client, auth, world, runner):
    auth.login("hq")
    query = {"distance_km": "320", "received": "2026-11-26T09:00", "confirmed": "2026-11-27"}
    body = text(client.get("/admin/rules/preview/", query_string=query))
    cli = json.loads(runner.invoke(args=["terms", "preview", "--distance-km", "320",
                                         "--received", "2026-11-26T09:00", "--confirmed",
                                         "2026-11-27", "--json"]).output)
    for deadline in cli["deadlines"].values():
        assert deadline["decided_by"] in body
    assert cli["deadlines"]["arrival"]["due"] in body
    assert "2026-12-02 .. 2026-12-07" in body
    bad = text(client.get("/admin/rules/preview/", query_string={
        "distance_km": "320", "received": "yesterday"}))
    assert "'yesterday' is not a time like 2026-11-26T09:00." in bad


def test_the_preview_shows_which_contracts_a_new_version_changes(client, auth, world):
    v1 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.term_set_version = v1
    contract.save()
    v2 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text().replace(
        "{max_km = 500, hours = 8}", "{max_km = 500, hours = 6}")))
    auth.login("hq")
    body = text(client.get("/admin/rules/preview/", query_string={
        "distance_km": "320", "received": "2026-11-26T09:00", "version": str(v2.id)}))
    assert "premium v2: arrival band 100-500 km" in body
    assert '<tr class="changes">' in body and "K-HRB-1" in body
    assert "2026-11-26T17:00:00+08:00" in body and "2026-11-26T15:00:00+08:00" in body
    near = text(client.get("/admin/rules/preview/", query_string={
        "distance_km": "80", "received": "2026-11-26T09:00", "version": str(v2.id)}))
    assert '<tr class="same">' in near


class Raising:
    @hookimpl
    def arrival_deadline(self, received):
        raise RuntimeError("down")


def test_the_plugin_registry_counts_failures(client, auth, world):
    from backoffice.services.deadlines import compute_deadlines
    with plugin_registered(Raising(), "raising"):
        enable_plugin(world.harbin_contract, "raising")
        compute_deadlines("2026-11-26T09:00", 80, world.harbin_contract)
        compute_deadlines("2026-11-26T09:00", 80, world.harbin_contract)
        auth.login("admin")
        body = text(client.get("/admin/rules/plugins/"))
    assert 'id="plugin-raising"' in body and "K-HRB-1" in body
    assert '<td class="failures text-danger">2</td>' in body
    assert "RuntimeError: down" in body
    assert 'id="plugin-charter"' in body


def test_plugin_admin_views_join_the_menu(make_app, app, tmp_path, client):
    plugins = tmp_path / "with_views"
    plugins.mkdir()
    (plugins / "report.py").write_text(
        "from flask_admin import BaseView, expose\n"
        "from backoffice.hookspecs import hookimpl\n\n"
        "class Report(BaseView):\n"
        "    @expose('/')\n"
        "    def index(self):\n"
        "        return 'plugin report'\n\n"
        "@hookimpl\n"
        "def admin_views():\n"
        "    return [Report(name='Report', endpoint='plugin_report')]\n")
    database.close()
    other = make_app(plugins_dir=str(plugins))
    assert other.test_client().get("/admin/plugin_report/").get_data(as_text=True) == \
        "plugin report"


def test_a_plugin_with_its_deadline_shows_in_the_preview(client, auth, world):
    class Fast:
        @hookimpl
        def reply_deadline(self, received):
            return Deadline(received, "immediately")
    with plugin_registered(Fast(), "fast"):
        enable_plugin(world.guangzhou_contract, "fast")
        auth.login("hq")
        body = text(client.get("/admin/rules/preview/", query_string={
            "distance_km": "10", "received": "2026-11-26T09:00", "contract": "K-CAN-1"}))
    assert "fast: immediately" in body and "2026-11-26T09:00:00+08:00" in body


def test_stored_charter_stands_for_the_built_in_terms(client, auth, world):
    """Once rules/charter.toml is published, the index shows one charter row, and the
    contracts on the standard terms (pinned to none) count under it."""
    auth.login("hq")
    body = text(client.get("/admin/rules/terms/"))
    assert body.count('class="standard"') == 1
    publish(parse_sheet((ROOT / "rules" / "charter.toml").read_text(), "charter.toml"))
    body = text(client.get("/admin/rules/terms/"))
    assert 'class="standard"' not in body
    row = body[body.index('class="term-set"'):]
    row = row[:row.index("</tr>")]
    assert "built-in" in row
    assert "<td>2</td>" in row  # both contracts of the world are on the standard terms


# -- contract rules: search, pages, version filter, constant queries --------------------

def add_contracts(world, count, version=None):
    """``count`` more contracts K-ZZZ-000.. of the Guangzhou customer (after the world's)."""
    import datetime as dt

    from backoffice.db import acting_as
    with acting_as("tests"):
        for i in range(count):
            Contract.create(number=f"K-ZZZ-{i:03d}", customer=world.guangzhou_customer,
                            signed_on=dt.date(2025, 3, 1), term_set_version=version)


def listed(body: str) -> list[str]:
    """The contract numbers of a Contract rules page, in order."""
    import re
    return re.findall(r'<tr class="contract"><td>([^<]+)</td>', body)


def test_contract_rules_are_paged_by_page_size(app, client, auth, world):
    app.config["PAGE_SIZE"] = 5
    add_contracts(world, 12)  # 14 contracts: pages of 5, 5 and 4
    auth.login("hq")
    first = text(client.get("/admin/rules/contracts/"))
    assert listed(first) == ["K-CAN-1", "K-HRB-1", "K-ZZZ-000", "K-ZZZ-001", "K-ZZZ-002"]
    assert "14 records" in first and "page 1 of 3" in first
    assert listed(text(client.get("/admin/rules/contracts/?page=2")))[0] == "K-ZZZ-003"
    last = text(client.get("/admin/rules/contracts/?page=3"))
    assert listed(last) == [f"K-ZZZ-{i:03d}" for i in range(8, 12)]
    assert 'href="/admin/rules/contracts/?page=2"' in last  # "previous" from the last page
    assert listed(text(client.get("/admin/rules/contracts/?page=99"))) == listed(last)
    assert listed(text(client.get("/admin/rules/contracts/?page=x"))) == listed(first)


def test_contract_rules_search_reaches_a_contract_beyond_the_first_page(app, client, auth,
                                                                         world):
    app.config["PAGE_SIZE"] = 5
    add_contracts(world, 12)
    auth.login("hq")
    # the number's start, typed in lower case
    body = text(client.get("/admin/rules/contracts/", query_string={"q": " k-zzz-011 "}))
    assert listed(body) == ["K-ZZZ-011"]
    assert 'value="k-zzz-011"' in body  # the box keeps what was typed
    # a prefix: only numbers that start with it, paged with the search kept
    body = text(client.get("/admin/rules/contracts/", query_string={"q": "K-ZZZ-01"}))
    assert listed(body) == ["K-ZZZ-010", "K-ZZZ-011"]
    assert listed(text(client.get("/admin/rules/contracts/",
                                  query_string={"q": "ZZZ-011"}))) == []  # not "contains"
    # the customer's name or code, anywhere in it
    assert listed(text(client.get("/admin/rules/contracts/",
                                  query_string={"q": "Harbin Power"}))) == ["K-HRB-1"]
    body = text(client.get("/admin/rules/contracts/", query_string={"q": "c-can"}))
    assert len(listed(body)) == 5 and "13 records" in body and "page 1 of 3" in body
    page = text(client.get("/admin/rules/contracts/", query_string={"q": "c-can", "page": 3}))
    assert listed(page) == ["K-ZZZ-009", "K-ZZZ-010", "K-ZZZ-011"]
    assert "q=c-can" in page  # the pager keeps the search


def test_contract_rules_filter_by_version(client, auth, world):
    v1 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.term_set_version = v1
    contract.save()
    auth.login("hq")
    body = text(client.get("/admin/rules/contracts/", query_string={"version": str(v1.id)}))
    assert listed(body) == ["K-HRB-1"] and "premium v1" in body
    body = text(client.get("/admin/rules/contracts/", query_string={"version": "standard"}))
    assert listed(body) == ["K-CAN-1"] and "charter v1 (standard)" in body
    assert f'<option value="{v1.id}" selected>premium v1</option>' in text(client.get(
        "/admin/rules/contracts/", query_string={"version": str(v1.id)}))
    # with the search, and an unknown version shows every contract
    assert listed(text(client.get("/admin/rules/contracts/", query_string={
        "version": "standard", "q": "k-hrb"}))) == []
    assert listed(text(client.get("/admin/rules/contracts/", query_string={
        "version": "9999"}))) == ["K-CAN-1", "K-HRB-1"]


@pytest.fixture
def count_queries(monkeypatch):
    """``with count_queries() as n:`` ... ``n[0]`` is the number of SQL statements run."""
    import contextlib

    @contextlib.contextmanager
    def counting():
        db = database.obj
        original = db.execute_sql
        counter = [0]

        def execute_sql(sql, params=None, *args, **kwargs):
            counter[0] += 1
            return original(sql, params, *args, **kwargs)
        monkeypatch.setattr(db, "execute_sql", execute_sql)
        try:
            yield counter
        finally:
            monkeypatch.setattr(db, "execute_sql", original)
    return counting


def test_contract_rules_queries_do_not_grow_with_the_contracts(client, auth, world,
                                                               count_queries):
    v1 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    for contract in Contract.select():
        contract.term_set_version = v1
        contract.save()
    auth.login("hq")
    client.get("/admin/rules/contracts/")  # warm up (session, templates)
    with count_queries() as few:
        body = text(client.get("/admin/rules/contracts/"))
    assert len(listed(body)) == 2
    add_contracts(world, 20, version=v1)
    with count_queries() as many:
        body = text(client.get("/admin/rules/contracts/"))
    assert len(listed(body)) == 22 and body.count("premium v1") >= 22
    assert many[0] == few[0], (few[0], many[0])


def test_the_term_set_page_move_list_does_not_query_per_contract(client, auth, world,
                                                                 count_queries):
    v1 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    for contract in Contract.select():
        contract.term_set_version = v1
        contract.save()
    publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text().replace(
        "hours = 1\n", "hours = 0.5\n")))
    auth.login("hq")
    client.get("/admin/rules/terms/premium/")
    with count_queries() as few:
        client.get("/admin/rules/terms/premium/")
    add_contracts(world, 20, version=v1)
    with count_queries() as many:
        body = text(client.get("/admin/rules/terms/premium/"))
    assert "K-ZZZ-019 (premium v1)" in body
    assert many[0] == few[0], (few[0], many[0])


def test_contract_rules_text_says_where_contracts_move(client, auth, world):
    auth.login("hq")
    body = text(client.get("/admin/rules/contracts/"))
    assert "only here" not in body
    assert "on its term set's page" in body


# -- preview: the contract is typed ------------------------------------------------------

PREVIEW = {"distance_km": "10", "received": "2026-11-26T09:00"}


def test_the_preview_takes_a_typed_contract_number(client, auth, world):
    auth.login("hq")
    form = text(client.get("/admin/rules/preview/"))
    assert '<select class="form-control" id="contract"' not in form
    assert 'id="contract" list="contract-numbers"' in form or (
        'list="contract-numbers"' in form and 'name="contract"' in form)
    assert '<option value="K-CAN-1">' in form  # suggested in the datalist
    body = text(client.get("/admin/rules/preview/", query_string={**PREVIEW,
                                                                  "contract": " k-can-1 "}))
    assert "Contract: K-CAN-1" in body and "charter v1: reply within 2 h" in body


def test_an_unknown_contract_in_the_preview_is_a_form_error(client, auth, world):
    auth.login("hq")
    response = client.get("/admin/rules/preview/", query_string={**PREVIEW,
                                                                 "contract": "k-none"})
    assert response.status_code == 200
    body = text(response)
    assert "No contract K-NONE." in body and "field-error" in body
    assert 'class="table table-bordered deadlines"' not in body  # no result for nothing


def test_the_preview_suggests_at_most_50_contracts(client, auth, world):
    add_contracts(world, 60)
    auth.login("hq")
    body = text(client.get("/admin/rules/preview/"))
    datalist = body[body.index('<datalist id="contract-numbers">'):]
    datalist = datalist[:datalist.index("</datalist>")]
    assert datalist.count("<option") == 50
    typed = text(client.get("/admin/rules/preview/", query_string={"contract": "k-zzz-05"}))
    typed = typed[typed.index('<datalist id="contract-numbers">'):]
    assert typed[:typed.index("</datalist>")].count("<option") == 10


# -- publish errors in the user's language --------------------------------------------

def test_publish_errors_are_chinese_in_chinese(app):
    from flask_babel import force_locale

    from backoffice.models import RuleViolation, TermSet
    premium = parse_sheet((ROOT / "rules" / "premium.toml").read_text())
    v1 = publish(premium)
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        with pytest.raises(RuleViolation) as same:
            publish(premium)
        assert "premium v1" in str(same.value)
        assert "already has exactly these terms" not in str(same.value)
        assert "没有" in str(same.value) or "相同" in str(same.value)
        v1.note = "rewritten"
        with pytest.raises(RuleViolation) as changed:
            v1.save()
        assert "cannot be changed" not in str(changed.value)
        assert "版本" in str(changed.value)
        faster = parse_sheet((ROOT / "rules" / "premium.toml").read_text().replace(
            "hours = 1\n", "hours = 0.5\n"))
        original = TermSet.latest
        TermSet.latest = lambda self: None  # another editor's v1 was not yet seen
        try:
            with pytest.raises(RuleViolation) as race:
                publish(faster)
        finally:
            TermSet.latest = original
        assert "at the same time" not in str(race.value)
        assert "premium" in str(race.value) and "同时" in str(race.value)
    assert TermSetVersion.select().count() == 1


def test_unchanged_terms_are_refused_in_chinese_on_the_screen(client, auth, world):
    from tests.test_admin_helpers import post as post_raw
    publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    auth.login("hq")
    assert post_raw(client, "/language", {"language": "zh_Hans_CN",
                                          "next": "/admin/"}).status_code == 302
    body = text(post_form(client, "/admin/rules/terms/premium/edit", terms_form(note="again")))
    assert "premium v1" in body and "already has exactly these terms" not in body
    assert "field-error" in body


def test_a_sets_page_moves_only_its_own_contracts(client, auth, world):
    """premium's page lists the contracts on premium's older versions, not the contracts
    on other sets; a forged id of another set's contract is refused and nothing moves."""
    v1 = publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text()))
    world.harbin_contract.term_set_version = v1
    world.harbin_contract.save()
    publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text().replace(
        "hours = 1\n", "hours = 0.5\n")))
    auth.login("hq")
    body = text(client.get("/admin/rules/terms/premium/"))
    assert "K-HRB-1 (premium v1)" in body
    assert "K-CAN-1" not in body  # on the standard terms: moved under Contract rules
    token = csrf_token(client.get("/admin/rules/terms/premium/").get_data(as_text=True))
    page = client.post("/admin/rules/terms/premium/move", follow_redirects=True,
                       data={"contracts": [str(world.guangzhou_contract.id)],
                             "csrf_token": token})
    assert "Choose the contracts to move." in text(page)
    assert Contract.get_by_id(world.guangzhou_contract.id).term_set_version_id is None
