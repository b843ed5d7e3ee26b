"""In Chromium: a fault for a site 320 km away logged through the intake form, its deadlines
and reasons on the ticket page, and an engineer on a 390 px wide phone recording, one tap
each, the reply, the arrival, a wait on the customer and its end.

Debian's chromium driven by Playwright against the app on a real port (the fixtures of
``tests/test_browser.py``: a fresh SQLite database with the test world).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.db import database
from backoffice.models import Site, Ticket, Unit
from backoffice.services import tickets
from backoffice.services.tickets import Report
from tests.factories import TESTS, make
from tests.test_browser import (  # noqa: F401 -- the browser fixtures, shared
    TIMEOUT_MS,
    assert_no_browser_errors,
    live_server,
    log_in,
    page,
)

pytestmark = pytest.mark.browser

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PHONE = {"width": 390, "height": 844}
#: screenshots for an engineer to look at, when BACKOFFICE_TICKET_SCREENSHOTS names a folder
SHOTS = os.environ.get("BACKOFFICE_TICKET_SCREENSHOTS")


def shot(tab, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def far_unit(live_server):  # noqa: F811 -- the shared fixture, by name
    """A unit of the Harbin customer at a depot 320 km from the Harbin office by road."""
    live_server.bind()
    with live_server.app.app_context():
        database.connect(reuse_if_open=True)
        world = live_server.world
        site = make(Site, customer=world.harbin_customer, name="Daqing depot", city="Daqing",
                    road_distance_km=Decimal(320))
        unit = make(Unit, serial="SN-HRB-0320", product=world.product,
                    contract=world.harbin_contract, site=site,
                    installed_on=dt.date(2025, 2, 1), accepted_on=dt.date(2025, 2, 10))
        database.close()
    return unit


def scroll_width(tab) -> int:
    return tab.evaluate("document.documentElement.scrollWidth")


def test_log_a_fault_320_km_away_and_record_arrival_on_a_phone(
        page, browser, live_server, far_unit):  # noqa: F811 -- the shared fixtures, by name
    log_in(page, "harbin_manager", "/admin/ticket/intake/")
    assert "/admin/ticket/intake/" in page.url
    received = (dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=10)).replace(second=0,
                                                                             microsecond=0)
    # the serial look-up offers the unit from the beginning of its serial
    page.fill("#serial", "SN-HRB-03")
    page.locator("#serial-options option").first.wait_for(state="attached")
    assert page.eval_on_selector_all("#serial-options option", "els => els.map(e => e.value)"
                                     ) == ["SN-HRB-0320"]
    page.fill("#serial", "SN-HRB-0320")
    page.fill("#received", received.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#channel", "phone")
    page.fill("#reporter_name", "Wang Li")
    page.fill("#reporter_phone", "13900000001")
    page.fill("#summary", "UPS on bypass, alarm")
    page.select_option("#product_state", "degraded")
    shot(page, "1-intake")
    with page.expect_navigation():
        page.click("form.ticket-intake button[type=submit]")
    assert "/admin/ticket/details/" in page.url, page.inner_text("body")[:1000]

    reply = page.locator("tr.milestone-reply")
    arrival = page.locator("tr.milestone-arrival")
    due = "%Y-%m-%d %H:%M"
    assert reply.locator("td.due").inner_text() == (received + dt.timedelta(hours=2)).strftime(due)
    assert reply.locator("td.decided-by").inner_text() == "charter v1: reply within 2 h"
    assert arrival.locator("td.due").inner_text() == (
        received + dt.timedelta(hours=12)).strftime(due)
    assert arrival.locator("td.decided-by").inner_text() == (
        "charter v1: arrival band 100-500 km")
    assert "Due (Asia/Shanghai)" in page.inner_text("table.ticket-milestones thead")
    assert "320 km by road" in page.inner_text("#distance")
    assert page.locator("tr.recommendation[data-engineer='harbin_engineer']").count() == 1
    shot(page, "2-ticket")

    # the office replies and dispatches the engineer from the recommendation
    page.fill("#reply-text", "Engineer leaves now, on site by tonight")
    with page.expect_navigation():
        page.click("form.step-reply button[type=submit]")
    assert "Reply recorded" in page.inner_text("body")
    with page.expect_navigation():
        page.click("tr.recommendation[data-engineer='harbin_engineer'] button.dispatch-engineer")
    assert "dispatched to harbin_engineer" in page.inner_text("body")
    assert_no_browser_errors(page)
    live_server.bind()
    ticket = Ticket.get(Ticket.unit == far_unit.id)
    assert ticket.state == "dispatched"
    # and one in the engineer's hands before its reply (the steps assign at dispatch only;
    # a plugin or a later step may do it sooner): the reply is theirs to record
    with live_server.app.app_context():
        database.connect(reuse_if_open=True)
        early = tickets.open_ticket(TESTS, Report(summary="Battery alarm",
                                                  serial=live_server.world.harbin_unit.serial))
        Ticket.update(engineer=live_server.world.users["harbin_engineer"].id).where(
            Ticket.id == early.id).execute()
        database.close()

    # the engineer, on a phone 390 px wide
    phone = browser.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True,
                                has_touch=True, locale="en-US", base_url=live_server.url)
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        mobile = phone.new_page()
        log_in(mobile, "harbin_engineer", "/field/")
        assert "/field/" in mobile.url
        card = mobile.locator(f"article.field-card[data-ticket='{ticket.number}']")
        assert card.count() == 1
        assert "UPS on bypass, alarm" in card.inner_text()
        assert scroll_width(mobile) <= PHONE["width"]
        button = card.locator("form.step-arrive button")
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300  # a big tap target
        shot(mobile, "3-field-before")
        before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        with mobile.expect_navigation():
            button.tap()
        assert "/field/" in mobile.url
        assert "Arrival on site recorded" in mobile.inner_text("body")
        card = mobile.locator(f"article.field-card[data-ticket='{ticket.number}']")
        assert card.get_attribute("data-state") == "on_site"
        assert card.locator("form.step-restore button").count() == 3
        assert scroll_width(mobile) <= PHONE["width"]
        shot(mobile, "4-field-after")
        live_server.bind()
        arrived = Ticket.get_by_id(ticket.id)
        assert arrived.state == "on_site"
        assert before - dt.timedelta(seconds=1) <= arrived.arrived_at <= (
            dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1))

        # the customer cannot let them in: one tap stops the clock, one starts it again
        pause = card.locator("form.step-pause button", has_text="No access to the site")
        assert pause.bounding_box()["height"] >= 44
        with mobile.expect_navigation():
            pause.tap()
        assert "is waiting on the customer" in mobile.inner_text("body")
        card = mobile.locator(f"article.field-card[data-ticket='{ticket.number}']")
        assert card.get_attribute("data-state") == "waiting"
        assert card.locator("form.field-step").count() == 1  # resume, and nothing else
        with mobile.expect_navigation():
            card.locator("form.step-resume button").tap()
        card = mobile.locator(f"article.field-card[data-ticket='{ticket.number}']")
        assert card.get_attribute("data-state") == "on_site"
        live_server.bind()
        assert Ticket.get_by_id(ticket.id).pause_reason == ""
        assert scroll_width(mobile) <= PHONE["width"]

        # the reply of the ticket in their hands: the promise is written, one tap sends it
        reply = mobile.locator(f"article.field-card[data-ticket='{early.number}'] "
                               "form.step-reply")
        assert reply.locator("textarea").input_value().startswith(
            "Engineer harbin_engineer is on the way")
        shot(mobile, "5-field-reply")
        with mobile.expect_navigation():
            reply.locator("button").tap()
        assert "Reply recorded" in mobile.inner_text("body")
        live_server.bind()
        replied = Ticket.get_by_id(early.id)
        assert replied.state == "replied" and replied.reply_text.startswith("Engineer ")

        # in Chinese too, nothing wider than the phone
        with mobile.expect_navigation():
            mobile.click("button[data-language=zh_Hans_CN]")
        assert "我的未结工单" in mobile.inner_text("body")
        card = mobile.locator(f"article.field-card[data-ticket='{ticket.number}']")
        assert re.search(r"已到场", card.inner_text())
        assert "无法进入现场" in card.inner_text()
        assert scroll_width(mobile) <= PHONE["width"]
        shot(mobile, "6-field-chinese")
        assert_no_browser_errors(page)
    finally:
        phone.close()
