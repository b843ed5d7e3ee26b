"""In Chromium: every chart of the SLA dashboard and its map of China is drawn (no script
error, each canvas has pixels that are not blank), in English and in Chinese, at 1,400 px
wide and usable on a 390 px phone.

Debian's chromium driven by Playwright against the app on a real port (the fixtures of
``tests/test_browser.py``: a fresh SQLite database with the test world), with tickets of
both offices logged through the ticket services: some on time, one warned, some breached.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.clock import zone
from backoffice.db import database
from backoffice.models import Site
from backoffice.services import tickets
from backoffice.services.tickets import Report
from tests.factories import TESTS, save
from tests.test_browser import (  # noqa: F401 -- the browser fixtures, shared
    TIMEOUT_MS,
    assert_no_browser_errors,
    live_server,
    log_in,
    page,
)

pytestmark = pytest.mark.browser

WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
CHARTS = ("map", "state", "breaches", "met_rate", "bands", "late_offices")
#: screenshots for an engineer to look at, when BACKOFFICE_DASHBOARD_SCREENSHOTS names a folder
SHOTS = os.environ.get("BACKOFFICE_DASHBOARD_SCREENSHOTS")

#: per chart: its canvases' pixels that are neither transparent nor white
INKED = """element => Array.from(element.querySelectorAll('canvas')).reduce((sum, canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245)) inked++;
  }
  return sum + inked;
}, 0)"""
#: the map's regions as ECharts drew them (the South China Sea islands inset among them)
REGIONS = """element => echarts.getInstanceByDom(element).getModel().getComponent('geo')
  .coordinateSystem.regions.map(region => region.name)"""


def shot(tab, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def ago(delta: dt.timedelta) -> dt.datetime:
    return (dt.datetime.now(zone()) - delta).replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def book(live_server):  # noqa: F811 -- the shared fixture, by name
    """Open tickets at both offices: breached, warned and on time; one replied late."""
    live_server.bind()
    with live_server.app.app_context():
        database.connect(reuse_if_open=True)
        world = live_server.world
        for site in (world.harbin_site, world.guangzhou_site):
            row = Site.get_by_id(site.id)
            row.road_distance_km = Decimal(320)
            save(row)
        made = []
        for serial, minutes in (("SN-HRB-0001", 200), ("SN-HRB-0001", 100),
                                ("SN-HRB-0001", 20), ("SN-CAN-0001", 300),
                                ("SN-CAN-0001", 60)):
            made.append(tickets.open_ticket(TESTS, Report(
                summary="UPS alarm", serial=serial,
                received=ago(dt.timedelta(minutes=minutes)))))
        tickets.reply(TESTS, made[-1], "on our way")
        database.close()
    return made


def wait_for_charts(tab):
    for chart in CHARTS:
        tab.wait_for_selector(f"#chart-{chart}[data-rendered='1']", state="attached")


def check_charts(tab, wide: bool):
    wait_for_charts(tab)
    for chart in CHARTS:
        element = tab.locator(f"#chart-{chart}")
        assert element.locator("canvas").count() >= 1, chart
        assert element.evaluate(INKED) > 200, f"{chart}: the canvas is blank"
        box = element.bounding_box()
        assert box["height"] >= 200, chart
        if wide:
            assert box["width"] >= 400, chart
        else:
            assert 300 <= box["width"] <= PHONE["width"], chart
    regions = tab.locator("#chart-map").evaluate(REGIONS)
    assert "南海诸岛" in regions and "海南" in regions and "台湾" in regions
    assert len(regions) >= 35


def test_every_chart_is_drawn_in_english_and_in_chinese_at_1400_px(
        page, live_server, book):  # noqa: F811 -- the shared fixtures, by name
    page.set_viewport_size(WIDE)
    log_in(page, "hq", "/admin/dashboard/")
    assert "/admin/dashboard/" in page.url
    assert "SLA dashboard" in page.inner_text("h1")
    check_charts(page, wide=True)
    # the map holds every open ticket's site: both offices, and a breached one
    points = page.locator("#chart-map").evaluate(
        "element => echarts.getInstanceByDom(element).getOption().series"
        ".map(s => [s.name, s.data.length])")
    assert dict(points)["Offices"] == 2
    assert dict(points)["Breached"] >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE["width"]
    shot(page, "dashboard-en-1400")
    assert_no_browser_errors(page)

    with page.expect_navigation():
        page.click("button[data-language=zh_Hans_CN]")
    assert "服务时效看板" in page.inner_text("h1")
    check_charts(page, wide=True)
    names = page.locator("#chart-map").evaluate(
        "element => echarts.getInstanceByDom(element).getOption().series.map(s => s.name)")
    assert names == ["办事处", "按时", "预警", "已超时"]
    shot(page, "dashboard-zh-1400")
    assert_no_browser_errors(page)

    # headquarters narrows the page to one office
    page.select_option("#office", str(live_server.world.guangzhou.id))
    with page.expect_navigation():
        page.click("form.dash-office button[type=submit]")
    check_charts(page, wide=True)
    assert "HRB-" not in page.inner_text("body")
    assert_no_browser_errors(page)


def test_the_dashboard_is_usable_on_a_390_px_phone(browser, live_server, book):  # noqa: F811
    live_server.bind()
    for locale, language in (("en-US", "en"), ("zh-CN", "zh_Hans_CN")):
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                    has_touch=True, locale=locale, base_url=live_server.url)
        phone.set_default_timeout(TIMEOUT_MS)
        try:
            tab = phone.new_page()
            problems = []
            tab.on("pageerror", lambda exc, found=problems: found.append(str(exc)))
            tab.on("console", lambda msg, found=problems: found.append(msg.text)
                   if msg.type == "error" else None)
            log_in(tab, "harbin_manager", "/admin/dashboard/")  # the browser's language
            assert ("服务时效看板" if language == "zh_Hans_CN" else "SLA dashboard") in \
                tab.inner_text("h1")
            check_charts(tab, wide=False)
            assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            # the figures stay readable: the tiles and each table's first column are on screen
            for tile in ("open", "due_soon", "overdue"):
                box = tab.locator(f"#tile-{tile}").bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], tile
            table = tab.locator("#table-state")
            table.scroll_into_view_if_needed()
            assert table.locator("tbody tr").count() == 5
            assert "Guangzhou" not in tab.inner_text("body")
            shot(tab, f"dashboard-{language}-390")
            assert problems == [], problems
        finally:
            phone.close()
