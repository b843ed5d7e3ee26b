"""In a real browser: Debian's chromium driven by Playwright against the app on a real port.

The app runs in a background thread (werkzeug ``make_server``) on a fresh SQLite
database holding the test world. Chromium comes from apt, never from a
Playwright download: when ``/usr/bin/chromium`` is missing and we are root it is
installed with apt-get; otherwise the tests skip with the reason (fail under CI=true).
"""

from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler

from backoffice import create_app
from backoffice.db import database
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# Chromium, its flags and the session's one browser live in tests/conftest.py: one
# Playwright instance per session (a second one in the same thread fails).
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, IN_CI, TIMEOUT_MS  # noqa: F401


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class LiveServer:
    def __init__(self, app, url: str, world):
        self.app, self.url, self.world = app, url, world

    def bind(self):
        """Point the shared database proxy back at this server's database."""
        from backoffice.db import bind
        bind(self.app.config["DATABASE_URL"])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from werkzeug.serving import make_server

    from backoffice import migrate
    from tests.factories import make_world
    folder = tmp_path_factory.mktemp("browser")
    app = create_app({"database_url": f"sqlite:///{folder / 'browser.db'}",
                      "secret_key": "browser-test-secret-0123456789",
                      "plugins_dir": str(folder / "no-plugins")},
                     instance_path=str(folder / "instance"))
    with app.app_context():
        database.connect(reuse_if_open=True)
        migrate.upgrade()
        world = make_world()
        database.close()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}", world)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) with English as the browser's language."""
    live_server.bind()
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []

    def on_console(msg):
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(msg.text)  # script errors and Content-Security-Policy refusals

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", on_response)
    page.problems = problems
    yield page
    context.close()


def log_in(page, username: str, start: str = "/admin/"):
    page.goto(start)
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("body")[:500]


def assert_no_browser_errors(page):
    """No script errors and nothing blocked by the Content-Security-Policy."""
    assert not page.problems, page.problems


def test_find_open_edit_customer_and_see_its_audit_row(page, live_server):
    from backoffice.models import AuditEntry, Customer
    customer = live_server.world.harbin_customer
    log_in(page, "admin", start="/admin/customer/")
    assert page.url.endswith("/admin/customer/")

    # find the customer by name with the list's search box
    page.fill("input[name=search]", "Harbin Power")
    page.press("input[name=search]", "Enter")
    page.wait_for_url(re.compile(r"search="))
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1
    assert "Harbin Power Works" in rows.first.inner_text()
    assert "Guangzhou" not in page.locator("table.model-list").inner_text()

    # open its file (the details page): sites, contacts, contracts, units in one place
    rows.first.locator("a[href*='/admin/customer/details/']").first.click()
    page.wait_for_url(re.compile(r"/admin/customer/details/"))
    body = page.inner_text("body")
    for expected in ("Harbin Power Works", "Harbin plant", "Contact Harbin", "K-HRB-1",
                     "SN-HRB-0001"):
        assert expected in body

    # edit a field
    page.locator("a[href*='/admin/customer/edit/']").first.click()
    page.wait_for_url(re.compile(r"/admin/customer/edit/"))
    page.fill("input[name=name]", "Harbin Power Works Ltd")
    page.locator("form.admin-form input[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/edit/" not in page.url, page.inner_text("body")[:800]
    assert "Harbin Power Works Ltd" in page.inner_text("body")
    live_server.bind()
    assert Customer.get_by_id(customer.id).name == "Harbin Power Works Ltd"

    # the change shows in the customer's file ...
    page.goto(f"/admin/customer/details/?id={customer.id}")
    assert "Harbin Power Works Ltd" in page.inner_text("body")

    # ... and in the audit trail, with who, what and the old and new values
    entry = (AuditEntry.select().where((AuditEntry.table == "customer")
                                       & (AuditEntry.row_id == customer.id)
                                       & (AuditEntry.action == "update"))
             .order_by(AuditEntry.id.desc()).get())
    assert entry.actor == "admin"
    assert entry.change_dict["name"] == ["Harbin Power Works", "Harbin Power Works Ltd"]
    page.goto("/admin/audit/")
    row = page.locator("table.model-list tbody tr", has_text="Harbin Power Works Ltd")
    assert row.count() >= 1
    assert "admin" in row.first.inner_text()
    row.first.locator("a[href*='/admin/audit/details/']").first.click()
    page.wait_for_url(re.compile(r"/admin/audit/details/"))
    details = page.inner_text("body")
    assert "Harbin Power Works" in details and "Harbin Power Works Ltd" in details
    assert_no_browser_errors(page)


def test_language_switch_shows_chinese(page, live_server):
    log_in(page, "hq")
    assert "Log out" in page.inner_text("nav")
    page.click("button[data-language=zh_Hans_CN]")
    page.wait_for_load_state()
    nav = page.inner_text("nav")
    assert "退出登录" in nav  # our catalogue
    assert "首页" in nav  # Flask-Admin's own catalogue ("Home")
    assert "总部" in nav  # the role, translated
    page.goto("/admin/customer/")
    assert "客户" in page.inner_text("body")
    assert_no_browser_errors(page)
    page.click("form[action='/logout'] button")
    page.wait_for_url(re.compile(r"/login"))
    # the choice is the account's: a new browser that asks for English still gets Chinese
    other = page.context.browser.new_context(locale="en-US", base_url=live_server.url)
    try:
        fresh = other.new_page()
        log_in(fresh, "hq")
        assert "退出登录" in fresh.inner_text("nav")
    finally:
        other.close()


def test_login_page_in_chinese_for_a_chinese_browser(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/login")
        assert "用户名" in page.inner_text("form[action='/login']")
        page.fill("#username", "viewer")
        page.fill("#password", "wrong-password")
        page.click("form[action='/login'] button[type=submit]")
        assert "用户名或密码错误。" in page.inner_text("body")
    finally:
        context.close()
