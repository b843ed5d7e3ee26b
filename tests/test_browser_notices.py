"""In Chromium: the bell's unread count, the inbox, and marking read, at 1,400 px and on a
390 px wide phone, in English and in Chinese.

The app on a real port (the fixtures of ``tests/test_browser.py``: a fresh SQLite
database with the test world); the notices are made as the worker makes them, by the
clock watcher's pass at a moment just after the tickets' reply was due.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from backoffice.db import database
from backoffice.services import sla
from backoffice.services import tickets as ticket_service
from backoffice.services.tickets import Report
from tests.test_browser import (  # noqa: F401 -- the browser fixtures, shared
    TIMEOUT_MS,
    assert_no_browser_errors,
    live_server,
    log_in,
    page,
)
from tests.test_browser_walk import check_navbar
from tests.test_tickets import SHANGHAI

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
#: screenshots for an engineer to look at, when BACKOFFICE_NOTICE_SCREENSHOTS names a folder
SHOTS = os.environ.get("BACKOFFICE_NOTICE_SCREENSHOTS")


def shot(tab, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def told(live_server):  # noqa: F811 -- the shared fixture, by name
    """Two Harbin tickets and a Guangzhou one, their reply past due: the charter's warning
    and breach for each office's manager, the breach for headquarters."""
    live_server.bind()
    with live_server.app.app_context():
        database.connect(reuse_if_open=True)
        users = live_server.world.users
        received = dt.datetime.now(SHANGHAI).replace(second=0, microsecond=0) - dt.timedelta(
            minutes=5)
        made = [ticket_service.open_ticket(users[manager], Report(
            summary=summary, serial=serial, received=received))
            for manager, serial, summary in (
                ("harbin_manager", "SN-HRB-0001", "UPS alarm"),
                ("harbin_manager", "SN-HRB-0001", "Battery swelling"),
                ("guangzhou_manager", "SN-CAN-0001", "Rectifier fault"))]
        sla.run_pass(at=max(t.reply_due for t in made) + dt.timedelta(minutes=1))
        counts = {name: sla.unread_count(users[name]) for name in users}
        database.close()
    assert counts["harbin_manager"] == 4 and counts["hq"] == 3
    assert counts["guangzhou_manager"] == 2
    return made, counts


def bell_count(tab) -> int:
    return int(tab.locator("a.notices-bell .unread-count").inner_text().replace(",", ""))


def scroll_width(tab) -> int:
    return tab.evaluate("document.documentElement.scrollWidth")


def test_the_bell_the_inbox_and_marking_read_at_1400_px(browser, live_server,  # noqa: F811
                                                          told):
    made, counts = told
    context = browser.new_context(locale="en-US", base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(tab, "harbin_manager")
        bell = tab.locator("a.notices-bell")
        assert bell.is_visible()
        assert bell_count(tab) == counts["harbin_manager"] == 4
        assert bell.get_attribute("title") == "Notices: 4 unread"
        with tab.expect_navigation():
            bell.click()
        assert tab.url.endswith("/admin/notices/")
        shot(tab, "1-inbox")
        items = tab.locator("li.notice")
        assert items.count() == 4
        text = tab.inner_text("ul.notices")
        for ticket in made[:2]:
            assert ticket.number in text
        assert made[2].number not in text  # Guangzhou's: not a Harbin manager's business
        assert "Warning" in text and "Breach" in text
        assert "(Asia/Shanghai)" in text
        first = items.first
        assert "notice-unread" in first.get_attribute("class")
        with tab.expect_navigation():
            first.locator("form.mark-read button").click()
        assert "1 notice(s) marked read." in tab.inner_text("body")
        assert bell_count(tab) == 3
        assert "notice-read" in tab.locator("li.notice").first.get_attribute("class")
        assert tab.locator("li.notice-unread").count() == 3
        # the ticket link opens the ticket
        number = made[1].number
        with tab.expect_navigation():
            tab.locator("li.notice a.notice-ticket", has_text=number).first.click()
        assert "/admin/ticket/details/" in tab.url and number in tab.inner_text("body")
        assert bell_count(tab) == 3  # on every page
        tab.goto("/admin/notices/")
        with tab.expect_navigation():
            tab.click("form.mark-all-read button")
        assert bell_count(tab) == 0
        assert tab.locator("li.notice-unread").count() == 0
        assert tab.locator("form.mark-all-read").count() == 0
        shot(tab, "2-inbox-read")
        assert not errors, errors
    finally:
        context.close()


def test_on_a_390_px_phone_in_chinese(browser, live_server, told):  # noqa: F811
    made, counts = told
    phone = browser.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True,
                                has_touch=True, locale="zh-CN", base_url=live_server.url)
    phone.set_default_timeout(TIMEOUT_MS)
    tab = phone.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(tab, "guangzhou_manager")
        # the menu folds away on a phone; the bell is in it, with its count
        tab.locator("button.navbar-toggler").tap()
        bell = tab.locator("a.notices-bell")
        bell.wait_for(state="visible")
        assert bell_count(tab) == counts["guangzhou_manager"] == 2
        assert bell.get_attribute("title") == "通知：2 条未读"
        with tab.expect_navigation():
            bell.tap()
        assert tab.url.endswith("/admin/notices/")
        shot(tab, "3-phone-inbox")
        assert scroll_width(tab) <= PHONE["width"]
        text = tab.inner_text("ul.notices")
        assert made[2].number in text and made[0].number not in text
        assert "预警" in text and "超时" in text
        assert re.search(r"明确答复已于 .* 到期，尚未完成。", text)
        assert "共 2 条，2 条未读。" in tab.inner_text("body")
        button = tab.locator("li.notice-unread form.mark-read button").first
        assert button.inner_text() == "标为已读"
        box = button.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"]
        with tab.expect_navigation():
            button.tap()
        assert "已将 1 条通知标为已读。" in tab.inner_text("body")
        assert scroll_width(tab) <= PHONE["width"]
        tab.locator("button.navbar-toggler").tap()
        tab.locator("a.notices-bell").wait_for(state="visible")
        assert bell_count(tab) == 1
        shot(tab, "4-phone-read")
        assert not errors, errors
    finally:
        phone.close()


def test_on_a_390_px_phone_in_english(browser, live_server, told):  # noqa: F811
    made, _counts = told
    phone = browser.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True,
                                has_touch=True, locale="en-US", base_url=live_server.url)
    phone.set_default_timeout(TIMEOUT_MS)
    tab = phone.new_page()
    try:
        log_in(tab, "hq", "/admin/notices/")
        assert tab.url.endswith("/admin/notices/")
        assert scroll_width(tab) <= PHONE["width"]
        text = tab.inner_text("ul.notices")
        assert all(t.number in text for t in made)  # headquarters is told of every office's
        assert tab.locator("li.notice-unread").count() == 3
        with tab.expect_navigation():
            tab.locator("form.mark-all-read button").tap()
        assert "3 notice(s) marked read." in tab.inner_text("body")
        tab.locator("button.navbar-toggler").tap()
        tab.locator("a.notices-bell").wait_for(state="visible")
        assert bell_count(tab) == 0
        assert scroll_width(tab) <= PHONE["width"]
    finally:
        phone.close()


def test_the_navbar_stays_one_line_with_the_bell(browser, live_server, told):  # noqa: F811
    """At 1,400 px, in both languages (the test world's logins are long names: "hq" is
    the length of a real name, as the demo's; tests/test_browser_walk.py walks those)."""
    context = browser.new_context(locale="en-US", base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        log_in(tab, "hq")
        for language in ("en", "zh_Hans_CN"):
            if language != "en":
                tab.click(f"button[data-language={language}]")
                tab.wait_for_load_state()
            for path in ("/admin/", "/admin/notices/", "/admin/delivery/", "/admin/ticket/"):
                tab.goto(path)
                assert tab.locator("a.notices-bell").is_visible(), path
                problems = check_navbar(tab, f"{language} {path}")
                assert not problems, problems
            shot(tab, f"5-navbar-{language}")
    finally:
        context.close()


def test_someone_told_nothing_sees_0_and_an_empty_inbox_in_chinese(
        page, live_server, told):  # noqa: F811 -- the shared fixtures, by name
    log_in(page, "viewer")
    assert bell_count(page) == 0  # told nothing: the bell says 0, not nothing
    page.click("button[data-language=zh_Hans_CN]")
    page.wait_for_load_state()
    page.goto("/admin/notices/")
    assert "暂无通知" in page.inner_text("body")
    assert page.locator("a.notices-bell").get_attribute("title") == "通知：0 条未读"
    assert_no_browser_errors(page)
