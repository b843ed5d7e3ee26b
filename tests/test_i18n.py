"""Two languages: the catalogue is complete, and each request gets the right language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from backoffice.i18n import browser_language
from backoffice.models import AuditEntry, Staff
from tests.conftest import csrf_token
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "backoffice" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2)}
FIX = ("run the extraction in babel.cfg's header, translate the new entries in "
       "backoffice/translations/zh_Hans_CN/LC_MESSAGES/messages.po and compile")


def extracted_messages() -> dict[str, str]:
    """Every msgid in the package's Python and templates, with where it was found."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def load_po():
    with open(CATALOGUE / "messages.po", "rb") as fh:
        return read_po(fh, locale="zh_Hans_CN")


PLACEHOLDER = re.compile(r"%\(\w+\)[sdrf]")


def test_extraction_finds_messages_in_python_and_templates():
    found = extracted_messages()
    assert "Wrong username or password." in found  # auth.py
    assert "Log out" in found  # templates/admin/master.html
    assert "Audit trail" in found or "Customers" in found  # admin screens


def test_every_message_has_a_chinese_translation():
    catalogue = load_po()
    missing = []
    for msgid, where in sorted(extracted_messages().items(), key=lambda kv: kv[1]):
        entry = catalogue.get(msgid)
        string = entry.string if entry else None
        if isinstance(string, tuple):
            string = string[0]
        if not string or "fuzzy" in entry.flags:
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} message(s) without a Chinese translation ({FIX}):\n" \
        + "\n".join(missing)


def test_translations_keep_placeholders_and_are_chinese():
    problems = []
    for entry in load_po():
        if not entry.id or not entry.string:
            continue
        msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
        string = entry.string if isinstance(entry.string, str) else entry.string[0]
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(string)):
            problems.append(f"placeholders differ: {msgid!r} -> {string!r}")
        if not re.search(r"[\u4e00-\u9fff]", string):
            problems.append(f"not Chinese: {msgid!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def _key(value):
    """A plural entry's forms as a tuple (read_po gives tuples, read_mo lists)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogue_matches_the_po_file():
    po = {_key(m.id): _key(m.string) for m in load_po()
          if m.id and m.string and "fuzzy" not in m.flags}
    with open(CATALOGUE / "messages.mo", "rb") as fh:
        mo = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    assert mo == po, "messages.mo is stale: pybabel compile -d backoffice/translations"


# -- choosing the language --------------------------------------------------------

@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans_CN"),
    ("zh", "zh_Hans_CN"),
    ("zh-Hans", "zh_Hans_CN"),
    ("zh-Hans-CN", "zh_Hans_CN"),
    ("zh_CN", "zh_Hans_CN"),
    ("zh-TW", "zh_Hans_CN"),
    ("en-US,en;q=0.9", "en"),
    ("fr-FR,zh;q=0.5", "zh_Hans_CN"),
    ("en;q=0.4,zh-CN;q=0.8", "zh_Hans_CN"),
    ("de-DE,fr;q=0.7", None),
    ("", None),
])
def test_browser_language(header, expected):
    with Flask(__name__).test_request_context(headers={"Accept-Language": header} if header else {}):
        assert browser_language() == expected


def _login_page(client, **headers):
    return client.get("/login", headers=headers).get_data(as_text=True)


def test_login_page_follows_the_browser(client):
    assert "用户名" in _login_page(client, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "Username" in _login_page(client, **{"Accept-Language": "en-GB"})
    assert "Username" in _login_page(client, **{"Accept-Language": "fr"})  # default: en


def test_default_language_applies_when_the_browser_says_nothing_useful(make_app, app):
    chinese = make_app(default_language="zh_Hans_CN").test_client()
    assert "用户名" in _login_page(chinese, **{"Accept-Language": "fr"})
    assert "Username" in _login_page(chinese, **{"Accept-Language": "en"})


def test_switch_on_the_login_page_is_kept_in_the_session(client):
    page = _login_page(client, **{"Accept-Language": "en"})
    response = client.post("/language", data={"language": "zh_Hans_CN", "next": "/login",
                                              "csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "用户名" in _login_page(client, **{"Accept-Language": "en"})


def test_switch_needs_csrf_and_a_known_language(client):
    page = _login_page(client)
    assert client.post("/language", data={"language": "zh_Hans_CN"}).status_code == 400
    response = client.post("/language", data={"language": "klingon",
                                              "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert "Unknown language." in response.get_data(as_text=True)
    assert "Username" in _login_page(client)


def test_switch_when_logged_in_is_saved_on_the_account_not_audited(client, auth, world):
    auth.login("harbin_manager")
    page = client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log out" in page
    response = client.post("/language", data={"language": "zh_Hans_CN", "next": "/admin/",
                                              "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    staff = Staff.get(Staff.username == "harbin_manager")
    assert staff.language == "zh_Hans_CN"
    # a preference is not a business change: no "changed Staff" entry in the trail
    assert not AuditEntry.select().where((AuditEntry.table == "staff")
                                         & (AuditEntry.row_id == staff.id)
                                         & (AuditEntry.action == "update")).exists()
    page = client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "退出登录" in page  # our catalogue
    assert "首页" in page  # Flask-Admin's catalogue ("Home")
    assert 'lang="zh-Hans"' in page or "办事处经理" in page


def test_users_language_follows_them_to_a_new_browser(app, world):
    staff = world.users["viewer"]
    from backoffice.db import acting_as
    with acting_as("tests"):
        staff.language = "zh_Hans_CN"
        staff.save()
    client = app.test_client()
    token = csrf_token(_login_page(client, **{"Accept-Language": "en"}))
    client.post("/login", data={"username": "viewer", "password": PASSWORD,
                                "csrf_token": token})
    page = client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "退出登录" in page


def test_choosing_follow_the_browser_clears_the_choice(client, auth, world):
    auth.login("hq")
    page = client.get("/admin/").get_data(as_text=True)
    client.post("/language", data={"language": "zh_Hans_CN", "csrf_token": csrf_token(page)})
    client.post("/language", data={"language": "", "csrf_token": csrf_token(page)})
    assert Staff.get(Staff.username == "hq").language == ""
    page = client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log out" in page


def test_messages_from_code_follow_the_language(client, world):
    page = _login_page(client, **{"Accept-Language": "zh-CN"})
    response = client.post("/login", data={"username": "admin", "password": "wrong-pass",
                                           "csrf_token": csrf_token(page)},
                           headers={"Accept-Language": "zh-CN"})
    assert "用户名或密码错误。" in response.get_data(as_text=True)


def test_error_pages_are_translated(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "zh"})
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)


def test_outside_a_request_the_default_language_applies(make_app, app):
    from backoffice.i18n import _
    assert _("Wrong username or password.") == "Wrong username or password."
    chinese = make_app(default_language="zh_Hans_CN")
    with chinese.app_context():
        assert _("Wrong username or password.") == "用户名或密码错误。"
