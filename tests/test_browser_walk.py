"""A walk of every admin screen in a real browser, in English and in Chinese, at 1,400 px.

The demo (26 offices, 300 customers, 2,400 units: what a new user sees) is served
on SQLite by the app in a thread; Debian's chromium, driven by Playwright, opens
every model screen's list, details, create and edit pages and every custom page
(home, customer file, warranty look-up, the rules pages, my account, a refusal),
first in English, then in Chinese, and on each one checks:

* the navbar is one line: every item sits on the first row and the bar is no
  taller than one item (with its padding); "Log out" does not break in two;
* no raw id where a name belongs: details rows of a link field, the audit entry's
  changes and the customer file's timeline name records (``合同 272``, ``#123``);
* in Chinese, no English UI words (the word list of ``tests/test_i18n_screens.py``).

Each screen is saved as a PNG under the test's temporary folder (its path is
printed; ``pytest -s`` shows it), and also under ``/tmp/backoffice-walk/`` when
``BACKOFFICE_WALK_SCREENSHOTS`` is set, for an engineer to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from backoffice import create_app
from backoffice.db import database

# fixtures, used by name: the suite's one chromium (session-wide)
from tests.test_browser import TIMEOUT_MS, _QuietHandler
from tests.test_i18n_screens import ENGLISH_UI_WORDS, english_left, visible_text

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1400, 900
#: the folder an engineer looks in when BACKOFFICE_WALK_SCREENSHOTS is set
SHARED_FOLDER = Path("/tmp/backoffice-walk")
ENDPOINTS = ("office", "staff", "customer", "site", "contact", "contract", "product", "unit")
#: a link shown by its id: "合同 272", "Contract 272", "#123"
RAW_ID = re.compile(r"(?:合同|客户|现场|产品|设备|联系人|办事处|条款集版本|Contract|Customer|Site|"
                    r"Product|Unit|Contact|Office|Term set version)\s+#?\d+(?![\w-])|#\d+\b")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo on SQLite, served on a free port of 127.0.0.1 (one update made by a clerk,
    so the timeline has a change to read besides the demo's creations)."""
    from werkzeug.serving import make_server

    from backoffice import demo, migrate
    from backoffice.access import Operator
    from backoffice.models import Customer, Site, Unit, UnitStatus
    from backoffice.services import records
    folder = tmp_path_factory.mktemp("walk-db")
    (folder / "no-plugins").mkdir()
    app = create_app({"database_url": f"sqlite:///{folder / 'demo.db'}",
                      "secret_key": "walk-test-secret-0123456789",
                      "plugins_dir": str(folder / "no-plugins"),
                      "page_size": 20},  # a list's page is a page, not the runtime
                     instance_path=str(folder / "instance"))
    with app.app_context():
        database.connect(reuse_if_open=True)
        migrate.upgrade()
        result = demo.seed("development")
        unit = Unit.select().where(Unit.site.is_null(False)).order_by(Unit.id).first()
        other = Site.select().where((Site.customer == unit.customer_id)
                                    & (Site.id != unit.site_id)).first()
        unit = Unit.get_by_id(unit.id)
        unit.status = UnitStatus.UNDER_REPAIR
        if other is not None:
            unit.site = other
        records.save(Operator("walk"), unit, seen_version=unit.version)
        ids = _screen_ids(unit)
        ids["customer_code"] = Customer.get_by_id(unit.customer_id).code
        database.close()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="walk-server", daemon=True)
    thread.start()
    accounts = {role: (login, password) for role, login, password in result.accounts}
    yield app, f"http://127.0.0.1:{server.server_port}", ids, accounts
    server.shutdown()
    thread.join(timeout=10)


def _screen_ids(unit) -> dict:
    """The record each details/edit page opens: the changed unit and what it links."""
    from backoffice.models import AuditEntry, Contact, Contract, Customer, Staff, TermSet
    customer = Customer.get_by_id(unit.customer_id)
    change = (AuditEntry.select().where((AuditEntry.table == "unit")
                                        & (AuditEntry.action == "update"))
              .order_by(AuditEntry.id.desc()).get())
    return {
        "office": customer.office_id,
        "staff": Staff.select().where(Staff.office == customer.office_id).first().id,
        "customer": customer.id, "site": unit.site_id,
        "contact": Contact.select().where(Contact.customer == customer.id).first().id,
        "contract": unit.contract_id, "product": unit.product_id, "unit": unit.id,
        "audit": change.id, "serial": unit.serial,
        "contract_number": Contract.get_by_id(unit.contract_id).number,
        "term_set": TermSet.select().order_by(TermSet.name).first().name,
    }


#: pages no menu entry leads to: a record's, a narrowed list, a form with its input
def _pages_with_arguments(ids) -> list[tuple[str, str]]:
    return [
        ("audit-of-customer", f"/admin/audit/?flt0_customer_code_equals={ids['customer_code']}"),
        ("warranty-result", f"/admin/warranty/?serial={ids['serial']}"),
        ("terms-history", f"/admin/rules/terms/{ids['term_set']}/"),
        ("terms-edit", f"/admin/rules/terms/{ids['term_set']}/edit"),
        ("terms-new", "/admin/rules/terms/new"),
        ("contract-rules-edit", f"/admin/rules/contracts/{ids['contract']}/"),
        ("preview-result", ("/admin/rules/preview/?distance_km=320&received=2026-11-26T09%3A00"
                            f"&confirmed=2026-11-27&contract={ids['contract_number']}")),
        ("account", "/account"),
    ]


def _may(view, name: str) -> bool:
    """A view's ``can_*`` as declared: a fixed False, or the access matrix (which lets the
    administrator who walks do everything)."""
    declared = getattr(type(view), name, True)
    return declared if isinstance(declared, bool) else True


def screens(app, ids) -> list[tuple[str, str, str | None]]:
    """(name, path, menu path) of every admin screen, in menu order: every view the admin
    holds (a view added later is walked too: the walk keeps those its user's menu links),
    each model view's list, details, create and edit pages (on the walk's records, else
    the first row), then the pages with arguments (menu path None: always walked)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    from backoffice.admin.base import ScopedModelView
    admin = app.extensions["backoffice_admin"]
    pages = []
    with app.test_request_context():
        database.connect(reuse_if_open=True)
        for view in admin._views:
            if view is admin.index_view:
                pages.append(("home", url_for("admin.index"), None))
                continue
            endpoint = view.endpoint
            if not isinstance(view, ScopedModelView):
                try:
                    index = url_for(f"{endpoint}.index")
                except BuildError:  # a menu entry served elsewhere (my account)
                    continue
                pages.append((endpoint, index, index))
                continue
            index = url_for(f"{endpoint}.index_view")
            pages.append((f"{endpoint}-list", index, index))
            pk = view.model._meta.primary_key
            row = ids.get(endpoint) or view.model.select(pk).order_by(pk).scalar()
            if row is not None and _may(view, "can_view_details"):
                pages.append((f"{endpoint}-details",
                              url_for(f"{endpoint}.details_view", id=row), index))
            if _may(view, "can_create"):
                pages.append((f"{endpoint}-create", url_for(f"{endpoint}.create_view"), index))
            if row is not None and _may(view, "can_edit"):
                pages.append((f"{endpoint}-edit", url_for(f"{endpoint}.edit_view", id=row),
                              index))
        database.close()
    seen = {path for _name, path, _menu in pages}
    return pages + [(n, p, None) for n, p in _pages_with_arguments(ids) if p not in seen]


def _link_labels(app, language: str) -> set[str]:
    """The labels of every field that links a record, as the screens show them."""
    import flask_babel
    from peewee import ForeignKeyField

    from backoffice.labels import field_label
    admin = app.extensions["backoffice_admin"]
    labels = set()
    with app.test_request_context(), flask_babel.force_locale(language):
        for view in admin._views:
            model = getattr(view, "model", None)
            if model is None:
                continue
            for name, field in model._meta.fields.items():
                if isinstance(field, ForeignKeyField):
                    labels.add(str(view.get_column_name(name)).strip())
                    labels.add(field_label(name))
    return labels


def _data_with_english(app) -> list[str]:
    """The demo's stored texts that contain one of the English UI words (a customer
    named "Power Site Ltd" is data, not an untranslated screen), longest first."""
    from backoffice.models import MODELS
    pattern = phrase_pattern(catalogue_phrases())

    def texts(value):  # a JSON column's strings too (a term sheet's title)
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            for item in value:
                yield from texts(item)
        elif isinstance(value, str):
            yield value

    from backoffice.models import AuditEntry, LoginAttempt
    found = set()
    with app.app_context():
        database.connect(reuse_if_open=True)
        for model in MODELS:
            if model in (AuditEntry, LoginAttempt):  # codes and copies of the rows' own texts
                continue
            for row in model.select().tuples().iterator():
                for value in (text for column in row for text in texts(column)):
                    # a stored code ("in_service", "draft") is not data: shown, it is a
                    # label left untranslated
                    if CODE.fullmatch(value) or not value.isascii() or not value.strip():
                        continue
                    if english_left(value, []) or pattern.search(value):
                        found.add(value)
        database.close()
    return sorted(found, key=len, reverse=True)


#: a stored code: lower-case letters, digits and underscores
CODE = re.compile(r"[a-z][a-z0-9_ ]*")


def catalogue_phrases() -> list[str]:
    """Our own English messages, as a Chinese screen must not show them: each message's
    literal parts (between its placeholders) that hold a word of three letters or more
    and that its translation does not keep as it is ("API" stays "API")."""
    from babel.messages.pofile import read_po
    po = Path(__file__).resolve().parent.parent / "backoffice" / "translations" / \
        "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    phrases = set()
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated = " ".join(s for s in strings if s)
        for msgid in ids:
            if not msgid or not translated:
                continue
            for part in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", msgid):
                part = part.strip(" .,:;·()[]'\"-–—…\n")
                if re.search(r"[A-Za-z]{3,}", part) and part not in translated:
                    phrases.add(part)
    return sorted(phrases, key=len, reverse=True)


def phrase_pattern(phrases: list[str]) -> re.Pattern:
    """One pattern for all the phrases, longest first, each as whole words."""
    return re.compile(r"(?<![A-Za-z_])(?:" + "|".join(map(re.escape, phrases))
                      + r")(?![A-Za-z_])")


def catalogue_left(text: str, data: list[str], pattern: re.Pattern) -> list[str]:
    """The catalogue's English phrases a (Chinese) page's text still shows."""
    for value in data:
        text = text.replace(value, " ")
    return sorted({found.group(0) for found in pattern.finditer(text)})


NAVBAR_JS = """() => {
  const nav = document.querySelector('nav.navbar');
  const item = nav.querySelector('.navbar-nav > li > a.nav-link');
  const parts = [...nav.querySelectorAll(
      '.navbar-brand, .navbar-nav > li, .current-user, .language-switcher, .logout')]
    .filter(e => e.offsetParent !== null)
    .map(e => { const r = e.getBoundingClientRect();
                return {text: e.innerText.trim().slice(0, 30), top: r.top, bottom: r.bottom}; });
  const out = nav.querySelector('.logout');
  const style = out ? getComputedStyle(out) : null;
  return {nav: nav.getBoundingClientRect().height, item: item.getBoundingClientRect().height,
          parts: parts,
          logout: out ? {height: out.getBoundingClientRect().height,
                         line: parseFloat(style.lineHeight), pad: parseFloat(style.paddingTop)
                               + parseFloat(style.paddingBottom)} : null};
}"""

LINK_ROWS_JS = """() => [...document.querySelectorAll(
    'table.searchable > tbody > tr, table.searchable > tr, table.audit-changes tr')]
  .map(tr => [...tr.children].map(td => td.innerText.trim()))"""

CONTRAST_JS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  let bg = el, back = null;
  while (bg) { const c = rgb(getComputedStyle(bg).backgroundColor);
    if (c.length < 4 || c[3] > 0) { back = c; break; } bg = bg.parentElement; }
  back = back || [255, 255, 255];
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(back);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def check_navbar(page, name) -> list[str]:
    m = page.evaluate(NAVBAR_JS)
    problems = []
    tops = [p["top"] for p in m["parts"]]
    if m["nav"] > m["item"] * 1.6:
        problems.append(f"{name}: navbar {m['nav']:.0f} px tall, an item is {m['item']:.0f} px")
    first_row_bottom = min(p["bottom"] for p in m["parts"])
    below = [p["text"] for p in m["parts"] if p["top"] >= first_row_bottom - 2]
    if below or max(tops) - min(tops) > m["item"] / 2:
        problems.append(f"{name}: navbar wraps: {below or m['parts']}")
    out = m["logout"]
    if out and out["height"] > out["line"] * 1.5 + out["pad"] + 2:
        problems.append(f"{name}: 'Log out' breaks in two ({out['height']:.0f} px)")
    return problems


#: list columns that hold short values (a code, a status, a date, an amount): one line each
SHORT_COLUMNS = ("code", "number", "serial", "status", "role", "industry", "action", "table",
                 "signed_on", "accepted_on", "installed_on", "warranty_end", "warranty_start",
                 "at", "value", "phone", "contract")
WRAPPED_JS = """(columns) => {
  const wrapped = [];
  for (const column of columns) {
    for (const td of document.querySelectorAll('table.model-list td.col-' + column)) {
      const range = document.createRange(); range.selectNodeContents(td);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                              .map(r => Math.round(r.top)));
      if (tops.size > 1) wrapped.push(column + ': ' + td.innerText.trim());
    }
  }
  return wrapped.slice(0, 5);
}"""


def check_columns(page, name) -> list[str]:
    return [f"{name}: a short column wraps ({cell})"
            for cell in page.evaluate(WRAPPED_JS, list(SHORT_COLUMNS))]


LABELS_JS = """() => [...document.querySelectorAll(
    '.file-timeline .timeline-part > .text-muted, table.audit-changes td:first-child, ' +
    'table.searchable td:first-child')].map(e => e.innerText.trim())"""
#: a field's name where its label belongs ("replied_by")
FIELD_NAME = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")


def check_names(page, name, link_labels) -> list[str]:
    problems = [f"{name}: a field shown by its name {label!r}"
                for label in page.evaluate(LABELS_JS) if FIELD_NAME.fullmatch(label)]
    for cells in page.evaluate(LINK_ROWS_JS):
        if len(cells) >= 2 and cells[0] in link_labels and any(
                re.fullmatch(r"#?\d+", value) for value in cells[1:]):
            problems.append(f"{name}: raw id in {cells}")
    for selector in ("table.file-timeline", "table.searchable", "table.audit-changes",
                     "table.recent-changes"):
        for box in page.locator(selector).all():
            found = RAW_ID.search(box.inner_text())
            if found:
                problems.append(f"{name}: raw id {found.group(0)!r} in {selector}")
    return problems


class Walker:
    def __init__(self, chromium, base_url, folder: Path, shared: Path | None):
        self.browser, self.base_url, self.folder, self.shared = chromium, base_url, folder, shared
        self.problems: list[str] = []
        self.count = 0

    def context(self, locale: str):
        context = self.browser.new_context(locale=locale, base_url=self.base_url,
                                           viewport={"width": WIDTH, "height": HEIGHT})
        context.set_default_timeout(TIMEOUT_MS)
        return context

    def log_in(self, page, login, password):
        page.goto("/login")
        page.fill("#username", login)
        page.fill("#password", password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, page.inner_text("body")[:300]

    def shoot(self, page, language: str, name: str):
        self.count += 1
        path = self.folder / f"{language}-{self.count:03d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if self.shared is not None:
            shutil.copy(path, self.shared / path.name)


def test_walk_every_screen_in_both_languages(browser, demo_server, tmp_path_factory):
    app, base_url, ids, accounts = demo_server
    folder = tmp_path_factory.mktemp("walk-screenshots")
    shared = None
    if os.environ.get("BACKOFFICE_WALK_SCREENSHOTS"):
        shared = SHARED_FOLDER
        shutil.rmtree(shared, ignore_errors=True)
        shared.mkdir(parents=True)
    print(f"\nwalk screenshots: {folder}" + (f" and {shared}" if shared else ""))
    walker = Walker(browser, base_url, folder, shared)
    data = _data_with_english(app)
    phrases = phrase_pattern(catalogue_phrases())
    pages = screens(app, ids)
    started = time.perf_counter()

    context = walker.context("en-US")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    walker.log_in(page, *accounts["admin"])
    # the screens of the menu the administrator has (a view they may not open is not one)
    menu = set(page.eval_on_selector_all("nav.navbar .navbar-nav a[href]",
                                         "links => links.map(a => a.getAttribute('href'))"))
    pages = [(name, path) for name, path, section in pages if section is None or section in menu]
    names = {name for name, _path in pages}
    for needed in ("home", "customer-details", "warranty", "rules_terms", "rules_preview",
                   "account", *(f"{e}-{kind}" for e in ENDPOINTS
                                 for kind in ("list", "details", "create", "edit"))):
        assert needed in names, needed
    for language in ("en", "zh_Hans_CN"):
        if language != "en":
            page.goto("/admin/")
            page.click(f"button[data-language={language}]")
            page.wait_for_load_state()
        labels = _link_labels(app, language)
        for name, path in pages:
            page.goto(path)
            where = f"{language} {name} ({path})"
            assert page.locator("nav.navbar").count() == 1, where
            walker.shoot(page, language, name)
            walker.problems += check_navbar(page, where)
            walker.problems += check_names(page, where, labels)
            walker.problems += check_columns(page, where)
            if language == "zh_Hans_CN":
                assert "退出登录" in page.inner_text("nav"), where
                # identifiers in <code> (a term's key, a hook's name) are not prose
                shown = visible_text(re.sub(r"(?s)<code\b.*?</code>", " ", page.content()))
                left = english_left(shown, data) + catalogue_left(shown, data, phrases)
                if left:
                    walker.problems.append(f"{where}: English left: {', '.join(left)}")
            if name == "customer-details":
                ratio = page.evaluate(CONTRAST_JS, "a.timeline-all")
                if ratio is None or ratio < 4.5:
                    walker.problems.append(f"{where}: 'all changes' contrast {ratio}")
    context.close()
    assert not errors, errors

    # a refusal (a viewer opens "create"): inside the layout, menu and log out kept
    for language, locale in (("en", "en-US"), ("zh_Hans_CN", "zh-CN")):
        context = walker.context(locale)
        page = context.new_page()
        walker.log_in(page, *accounts["viewer"])
        switch = page.locator(f"button[data-language={language}]")
        if switch.count():  # the switch offers the other language only
            switch.click()
            page.wait_for_load_state()
        response = page.goto("/admin/customer/new/")
        assert response.status == 403
        where = f"{language} refusal"
        walker.shoot(page, language, "refusal-403")
        if page.locator("nav.navbar .navbar-nav a.nav-link").count() < 3 or not page.locator(
                "form[action='/logout'] button").is_visible():
            walker.problems.append(f"{where}: the refusal page has no menu or no 'Log out'")
        else:
            walker.problems += check_navbar(page, where)
        if language == "zh_Hans_CN":
            left = english_left(visible_text(page.content()), data)
            if left:
                walker.problems.append(f"{where}: English left: {', '.join(left)}")
        context.close()

    elapsed = time.perf_counter() - started
    print(f"walked {walker.count} screens in {elapsed:.1f} s")
    assert walker.count == 2 * len(pages) + 2
    assert not walker.problems, "\n".join(walker.problems)


def test_the_walks_checks_see_what_they_look_for(browser, demo_server):
    """The checks themselves: a wrapped navbar, a raw id, an English word are caught."""
    _app, base_url, ids, accounts = demo_server
    context = browser.new_context(base_url=base_url, viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page = context.new_page()
        Walker(browser, base_url, Path("."), None).log_in(page, *accounts["admin"])
        page.goto(f"/admin/customer/details/?id={ids['customer']}")
        assert check_navbar(page, "x") == [] and check_names(page, "x", {"Site"}) == []
        # the navbar squeezed until it wraps, a timeline line with an id, a details row
        page.evaluate("""() => {
            document.querySelector('nav.navbar').style.width = '360px';  // wraps in either language
            document.querySelector('.timeline-line').innerText = 'Created Contract 272';
            const row = document.querySelector('table.searchable tr');
            row.children[0].innerText = 'Site'; row.children[1].innerText = '150';
        }""")
        problems = check_navbar(page, "x")
        assert any("wraps" in p or "tall" in p for p in problems), problems
        names = check_names(page, "x", {"Site"})
        assert any("'Contract 272'" in p for p in names), names
        page.evaluate("""() => { document.querySelector('table.searchable td').innerText =
                                 'replied_by'; }""")
        assert any("'replied_by'" in p for p in check_names(page, "x", set()))
        # a status column squeezed to one character a line (运/行/中)
        page.goto("/admin/unit/")
        assert check_columns(page, "x") == []
        page.evaluate("""() => { for (const td of document.querySelectorAll('td.col-status'))
                                   { td.style.whiteSpace = 'normal'; td.style.width = '1px';
                                     td.style.maxWidth = '1px'; } }""")
        assert any("short column wraps" in p for p in check_columns(page, "x"))
        assert any("['Site', '150']" in p for p in names), names
        assert english_left("状态 Log out", []) == ["Log out"]
        assert "Log out" in ENGLISH_UI_WORDS
    finally:
        context.close()
