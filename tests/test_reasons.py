"""Reasons in the reader's language (issue 7, item 18), and ``<html lang>`` on every page.

The charter's decisions carry ``why``, a :class:`~backoffice.hookspecs.Reason` (a code
with its numbers); the screens render it with :func:`backoffice.labels.reason_text` in
the reader's language, while ``decided_by`` (the API, the command line, the logs) stays
the plain English it always was. A plugin's own text is shown exactly as written. Term
set titles: the built-in charter's is translated, a title headquarters typed is not.
The registry's plugin sources are labels, not codes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import zoneinfo
from pathlib import Path

import flask_admin
import pytest
from flask_babel import force_locale

from backoffice.default_plugins import charter
from backoffice.hookspecs import Coverage, Deadline, Reason, hookimpl
from backoffice.labels import REASON_TEXTS, reason_text, source_label
from backoffice.terms import STANDARD, parse_sheet, title_label
from backoffice.testing import enable_plugin, plugin_registered
from tests.factories import publish
from tests.test_admin_helpers import post

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "backoffice" / "templates"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
RECEIVED = dt.datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
HAN = re.compile(r"[\u4e00-\u9fff]")

#: every English word of the charter's reasons (3 letters or more, placeholders left out)
ENGLISH_WORDS = sorted({word.lower() for text in REASON_TEXTS.values()
                        for word in re.findall(r"[A-Za-z]{3,}", re.sub(r"%\(\w+\)s", "", text))})


def english_words_in(text: str) -> list[str]:
    return [w for w in ENGLISH_WORDS if re.search(rf"\b{w}\b", text, re.IGNORECASE)]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def cells(body: str, css: str = "decided-by") -> list[str]:
    """The text of every ``<td class="decided-by">`` of a page, tags removed."""
    found = re.findall(rf'<td class="{css}"[^>]*>(.*?)</td>', body, re.DOTALL)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def chinese(client, auth, user: str):
    auth.login(user)
    post(client, "/language", {"language": "zh_Hans_CN"})


class Unit:
    """What the charter's warranty and coverage rules read of a unit."""

    def __init__(self, accepted_on=None, start=None, end=None):
        self.accepted_on, self.warranty_start, self.warranty_end = accepted_on, start, end


class Months:
    def __init__(self, months):
        self.warranty_months = months


def charter_decisions():
    """One charter answer per reason code, with the ``decided_by`` the API has always shown."""
    terms, premium = STANDARD, dataclasses.replace(STANDARD, name="premium", version=2,
                                                   warranty_months=36)
    accepted = Unit(dt.date(2025, 2, 10), dt.date(2025, 2, 10), dt.date(2027, 2, 9))
    on = dt.date(2028, 1, 1)
    return [
        (charter.reply_deadline(terms), "charter v1: reply within 2 h"),
        (charter.reply_deadline(dataclasses.replace(terms, reply_hours=0.5)),
         "charter v1: reply within 0.5 h"),
        (charter.arrival_deadline(80, terms), "charter v1: arrival band 0-100 km"),
        (charter.arrival_deadline(320, terms), "charter v1: arrival band 100-500 km"),
        (charter.arrival_deadline(800, terms), "charter v1: arrival band over 500 km"),
        (charter.replacement_window(dt.date(2026, 11, 27), terms),
         "charter v1: replacement 5-10 days after confirmation"),
        (charter.warranty_period(accepted, Months(24), Months(18), terms),
         "charter v1: 18 months from acceptance (contract)"),
        (charter.warranty_period(accepted, Months(24), Months(None), premium),
         "premium v2: 36 months from acceptance (term set)"),
        (charter.warranty_period(accepted, Months(24), None, terms),
         "charter v1: 24 months from acceptance (product)"),
        (charter.warranty_period(Unit(), Months(24), None, terms),
         "charter v1: warranty starts at acceptance"),
        (charter.coverage(accepted, dt.date(2026, 1, 1), None, terms),
         "charter v1: free service inside warranty"),
        (charter.coverage(accepted, on, "quality", terms),
         "charter v1: quality fault free also after warranty"),
        (charter.coverage(accepted, on, "customer_use", terms),
         "charter v1: customer-use fault: the parties negotiate"),
        (charter.coverage(accepted, on, None, terms),
         "charter v1: out of warranty: charge follows the root cause"),
        (charter.coverage(accepted, on, "other", terms),
         "charter v1: out of warranty, not a quality fault"),
        (charter.duty_staffing(terms), "charter v1: one engineer on duty"),
    ]


# -- the charter's reasons: a code for the screens, the same English for the API ---------

def test_every_charter_reason_keeps_its_english_decided_by_and_has_a_code(app):
    decisions = charter_decisions()
    assert {d.why.code for d, _text in decisions} == set(REASON_TEXTS) - {""}
    for decision, english in decisions:
        assert decision.decided_by == english
        assert decision.why.terms == english.split(":")[0]
        with force_locale("en"):
            assert reason_text(decision) == english


def test_every_charter_reason_reads_in_chinese(app):
    for decision, english in charter_decisions():
        with force_locale("zh_Hans_CN"):
            chinese_text = reason_text(decision)
        label = english.split(":")[0]
        assert chinese_text.startswith(f"{label} 条款：") and HAN.search(chinese_text), chinese_text
        assert english_words_in(chinese_text) == [], (english, chinese_text)


def test_a_reason_renders_its_numbers(app):
    arrival = charter.arrival_deadline(320, STANDARD)
    assert arrival.why == Reason("arrival_band", {"lower": 100, "upper": 500}, "charter v1")
    assert arrival.why.values == {"lower": 100, "upper": 500}
    with force_locale("zh_Hans_CN"):
        assert reason_text(arrival) == "charter v1 条款：100–500 公里档到达时限"
        assert reason_text(charter.reply_deadline(STANDARD)) == "charter v1 条款：2 小时内答复"
    sheet = parse_sheet((ROOT / "rules" / "premium.toml").read_text(), version=3)
    with force_locale("zh_Hans_CN"):
        text_ = reason_text(charter.arrival_deadline(320, sheet))
    assert text_.startswith("premium v3 条款：100–500 公里档到达时限")


def test_decisions_compare_without_their_reason():
    plain = Deadline(within=dt.timedelta(hours=2), decided_by="charter v1: reply within 2 h")
    assert charter.reply_deadline(STANDARD) == plain  # why is not part of the decision
    with pytest.raises(TypeError):
        Reason("")


def test_a_text_without_reason_or_with_an_unknown_code_is_shown_as_written(app):
    with force_locale("zh_Hans_CN"):
        assert reason_text(Deadline(RECEIVED, "fast: immediately")) == "fast: immediately"
        unknown = Deadline(RECEIVED, "charter v1: something new", why=Reason("new_rule"))
        assert reason_text(unknown) == "charter v1: something new"
        wrong = Deadline(RECEIVED, "charter v1: reply", why=Reason("reply_within"))  # no hours
        assert reason_text(wrong) == "charter v1: reply"


# -- the engine: a plugin's reason is its text; the defaults keep theirs -----------------

class Coded:
    """A plugin that borrows the charter's reason code: the screens must still name it."""

    @hookimpl
    def reply_deadline(self, received):
        return Deadline(within=dt.timedelta(hours=1), decided_by="one hour",
                        why=Reason("reply_within", {"hours": 1}, "charter v1"))


def test_a_plugins_decision_keeps_its_own_text_and_no_charter_reason(app, world):
    from backoffice.plugins import current_engine
    from backoffice.services.deadlines import compute_deadlines
    with plugin_registered(Coded(), "coded"):
        enable_plugin(world.harbin_contract, "coded")
        result = compute_deadlines(RECEIVED, 320, world.harbin_contract)
        with force_locale("zh_Hans_CN"):
            assert result.reply.why is None
            assert reason_text(result.reply) == "coded: one hour"
            assert HAN.search(reason_text(result.arrival))  # the charter decided this one
        engine = current_engine()
        signed = engine._signed(Deadline(within=dt.timedelta(hours=2),
                                         why=Reason("reply_within", {"hours": 2})), "charter")
        assert (signed.decided_by, signed.why) == ("charter", Reason("reply_within",
                                                                     {"hours": 2}))


# -- the screens, in Chinese and English ---------------------------------------------------

PREVIEW = {"distance_km": "320", "received": "2026-11-26T09:00", "confirmed": "2026-11-27"}


def test_the_preview_in_chinese_shows_the_charters_reasons_in_chinese(client, auth, world):
    chinese(client, auth, "hq")
    body = text(client.get("/admin/rules/preview/", query_string=PREVIEW))
    assert cells(body) == ["charter v1 条款：2 小时内答复", "charter v1 条款：100–500 公里档到达时限",
                           "charter v1 条款：确认后 5–10 天内更换品到场"]
    assert english_words_in(" ".join(cells(body))) == []
    assert '<html lang="zh-Hans">' in body


def test_the_preview_in_english_shows_what_the_cli_shows(client, auth, world, runner):
    auth.login("hq")
    body = text(client.get("/admin/rules/preview/", query_string=PREVIEW))
    cli = json.loads(runner.invoke(args=[
        "terms", "preview", "--distance-km", "320", "--received", "2026-11-26T09:00",
        "--confirmed", "2026-11-27", "--json"]).output)
    assert cells(body) == [d["decided_by"] for d in cli["deadlines"].values()]


def test_the_preview_in_chinese_shows_a_plugins_text_as_written(client, auth, world):
    class Fast:
        @hookimpl
        def reply_deadline(self, received):
            return Deadline(received, "immediately, as agreed")
    with plugin_registered(Fast(), "fast"):
        enable_plugin(world.guangzhou_contract, "fast")
        chinese(client, auth, "hq")
        body = text(client.get("/admin/rules/preview/", query_string={
            "distance_km": "10", "received": "2026-11-26T09:00", "contract": "K-CAN-1"}))
    assert cells(body) == ["fast: immediately, as agreed", "charter v1 条款：0–100 公里档到达时限"]


def test_the_warranty_look_up_in_chinese(client, auth, world, register_plugin):
    chinese(client, auth, "harbin_engineer")
    inside = text(client.get("/admin/warranty/?serial=SN-HRB-0001&on=2026-01-01"))
    assert cells(inside) == ["charter v1 条款：保修期内免费服务"]
    after = text(client.get("/admin/warranty/?serial=SN-HRB-0001&on=2027-02-10"))
    assert cells(after) == ["charter v1 条款：已过保修期，是否收费取决于故障根因"]
    assert english_words_in(cells(inside)[0] + cells(after)[0]) == []
    assert '<html lang="zh-Hans">' in inside

    class Lifetime:
        @hookimpl
        def coverage(self, unit, on):
            return Coverage(True, "negotiate", "in warranty", "negotiated care for life")
    register_plugin(Lifetime(), "lifetime")
    enable_plugin(world.harbin_contract, "lifetime")
    body = text(client.get("/admin/warranty/?serial=SN-HRB-0001&on=2030-01-01"))
    assert cells(body) == ["lifetime: negotiated care for life"]


def test_the_warranty_look_up_in_english_shows_decided_by(client, auth, world):
    auth.login("harbin_engineer")
    body = text(client.get("/admin/warranty/?serial=SN-HRB-0001&on=2026-01-01"))
    assert cells(body) == ["charter v1: free service inside warranty"]
    assert '<html lang="en">' in body


def test_the_cli_preview_json_is_english_whatever_the_default_language(make_app, db_url):
    from tests.conftest import _fresh_database
    app = make_app(default_language="zh_Hans_CN")
    _fresh_database(db_url)
    result = app.test_cli_runner().invoke(args=[
        "terms", "preview", "--distance-km", "320", "--received", "2026-11-26T09:00",
        "--confirmed", "2026-11-27", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "contract": None, "term_set": "charter v1", "plugins": [],
        "deadlines": {
            "reply": {"due": "2026-11-26T11:00:00+08:00",
                      "decided_by": "charter v1: reply within 2 h"},
            "arrival": {"due": "2026-11-26T21:00:00+08:00",
                        "decided_by": "charter v1: arrival band 100-500 km"},
            "replacement": {"earliest": "2026-12-02", "latest": "2026-12-07",
                            "decided_by": "charter v1: replacement 5-10 days after "
                                          "confirmation"}},
        "plugin_failures": []}


# -- term set titles and plugin sources ---------------------------------------------------

def test_the_built_in_title_is_translated_and_typed_titles_are_not(client, auth, world):
    chinese(client, auth, "hq")
    body = text(client.get("/admin/rules/terms/"))
    assert "标准服务条款" in body and "Standard charter terms" not in body
    publish(parse_sheet((ROOT / "rules" / "charter.toml").read_text(), "charter.toml"))
    publish(parse_sheet((ROOT / "rules" / "premium.toml").read_text(), "premium.toml"))
    body = text(client.get("/admin/rules/terms/"))
    assert "标准服务条款" in body and "Standard charter terms" not in body
    premium = parse_sheet((ROOT / "rules" / "premium.toml").read_text()).title
    assert premium in body  # typed by headquarters: as typed
    history = text(client.get("/admin/rules/terms/charter/"))
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", history, re.DOTALL).group(1)
    assert "标准服务条款" in heading and "Standard charter terms" not in heading
    # the sheet's data (its diff, the edit form) shows the stored value, as stored
    assert '<td class="new">Standard charter terms</td>' in history
    with force_locale("en"):
        assert title_label("Standard charter terms") == "Standard charter terms"
        assert title_label("标准服务条款") == "标准服务条款"


def test_the_registry_shows_sources_in_the_readers_language(world, make_app, tmp_path):
    from backoffice.db import database
    from tests.conftest import AuthActions
    plugins = tmp_path / "with_plugin"
    plugins.mkdir()
    (plugins / "quiet.py").write_text("from backoffice.hookspecs import hookimpl\n\n"
                                      "@hookimpl\ndef visit_frequency():\n    return 2\n")
    database.close()
    other = make_app(plugins_dir=str(plugins))

    class Checked:
        @hookimpl
        def check_settings(self, settings):
            return []
    with other.app_context(), plugin_registered(Checked(), "checked"):
        client = other.test_client()
        chinese(client, AuthActions(client), "admin")
        body = text(client.get("/admin/rules/plugins/"))
        with force_locale("en"):
            assert source_label("plugins dir") == "Plugins directory"
            assert source_label("entry point") == "Installed distribution (entry point)"
            assert source_label("elsewhere") == "elsewhere"
    sources = re.findall(r'<tr class="plugin" id="plugin-(\w+)">\s*<td>\w+</td><td>([^<]*)<',
                         body)
    assert dict(sources) == {"quiet": "插件目录", "checked": "由测试注册",
                             "charter": "内置默认插件", "channels": "内置默认插件"}


# -- <html lang> on every page ---------------------------------------------------------------

def test_every_template_with_an_html_tag_names_the_language():
    tags = {path.relative_to(TEMPLATES).as_posix(): re.findall(r"<html[^>]*>", path.read_text())
            for path in TEMPLATES.rglob("*.html")}
    with_html = {name: found for name, found in tags.items() if found}
    assert set(with_html) >= {"layout.html", "admin/base.html"}
    for name, found in with_html.items():
        assert found == ['<html lang="{{ current_language_tag }}">'], name


def test_the_admin_base_is_flask_admins_with_only_the_language_added():
    """A Flask-Admin upgrade that changes its base template fails here: copy it again."""
    theirs = (Path(flask_admin.__file__).parent / "templates" / "bootstrap4" / "admin"
              / "base.html").read_text()
    ours = (TEMPLATES / "admin" / "base.html").read_text()
    ours = re.sub(r"\A\{#-.*?-#\}\n", "", ours, flags=re.DOTALL)
    assert ours == theirs.replace("<html>", '<html lang="{{ current_language_tag }}">', 1)


@pytest.mark.parametrize("language, tag", [("zh-CN", "zh-Hans"), ("en", "en")])
def test_every_kind_of_page_has_html_lang(client, auth, world, language, tag):
    headers = {"Accept-Language": language}
    expected = f'<html lang="{tag}">'
    assert expected in text(client.get("/login", headers=headers))  # login (layout.html)
    assert expected in text(client.get("/no-such-page", headers=headers))  # error page
    auth.login("viewer")
    if language.startswith("zh"):
        post(client, "/language", {"language": "zh_Hans_CN"})
    for url in ("/admin/", "/admin/unit/", "/admin/warranty/", "/admin/customer/",
                "/admin/rules/terms/"):  # home, Flask-Admin lists, our screens, a 403
        page = client.get(url, headers=headers)
        assert expected in text(page), (url, page.status_code)
