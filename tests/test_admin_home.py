"""The home page counts only what the user's offices hold, and shows their latest changes."""

import datetime as dt
import re
from html import unescape

import pytest

from backoffice import clock
from backoffice.admin.base import ScopedModelView
from backoffice.admin.home import local_today
from backoffice.db import acting_as
from backoffice.models import Contract, ContractStatus, Staff, Unit, UnitStatus
from tests.conftest import captured_sql
from tests.factories import make


def _figures(html):
    return [int(v.replace(",", "")) for v in re.findall(r'class="h3 mb-0 figure">([\d,]+)\+?<',
                                                         html)]


def test_admin_sees_every_office(world, client, auth):
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    # offices, customers, active contracts, units in use, in warranty, ending soon, under repair
    assert _figures(html)[:4] == [2, 2, 2, 2]
    assert "all offices" in html


def test_office_manager_sees_own_office_only(world, client, auth):
    with acting_as("someone-in-guangzhou"):
        world.guangzhou_customer.notes = "visited"
        world.guangzhou_customer.save()
    auth.login("harbin_manager")
    html = client.get("/admin/").get_data(as_text=True)
    assert _figures(html)[:4] == [1, 1, 1, 1]
    assert "Harbin office" in html
    assert "someone-in-guangzhou" not in html  # another office's change
    assert "Harbin Power Works" in html  # the own office's latest changes


def test_warranty_counts_follow_the_stored_dates(world, client, auth):
    unit = world.harbin_unit
    unit.warranty_by_hand = True
    unit.warranty_start, unit.warranty_end = unit.warranty_start, unit.warranty_start
    unit.save()  # its warranty ended long ago
    auth.login("harbin_manager")
    figures = _figures(client.get("/admin/").get_data(as_text=True))
    assert figures[4] == 0  # in warranty today
    auth.logout()
    auth.login("guangzhou_manager")
    figures = _figures(client.get("/admin/").get_data(as_text=True))
    other = world.guangzhou_unit
    with client.application.test_request_context():
        today = local_today()
    assert figures[3] == 1
    assert figures[4] == int(other.warranty_start <= today <= other.warranty_end)


# -- tiles: each opens the list of exactly what it counts --------------------------------

TILE_RE = re.compile(r'<a class="card[^"]*tile" href="([^"]+)">\s*'
                     r'<div class="card-body[^"]*">(.*?)</div>', re.DOTALL)
FIGURE_RE = re.compile(r'class="h3 mb-0 figure">([^<]+)<')
LIST_COUNT_RE = re.compile(r'scoped-count">\s*(?:([\d,]+) records|more than ([\d,]+) records)')


def tiles(html):
    """(link, figure, phrase) of every tile: ("/admin/office/", "2", "2 offices")."""
    return [(unescape(link), FIGURE_RE.search(body).group(1),
             " ".join(re.sub(r"<[^>]+>", "", body).split()))
            for link, body in TILE_RE.findall(html)]


def list_count(html) -> str:
    exact, more = LIST_COUNT_RE.search(html).groups()
    return exact if exact else more + "+"


@pytest.fixture
def fleet(world):
    """Units on both sides of every tile's boundaries, in both offices (dates set by hand)."""
    today = clock.today()
    day = dt.timedelta(days=1)
    rows = [  # (office, status, warranty start, warranty end) relative to today, in days
        ("harbin", UnitStatus.IN_SERVICE, -100, 200),   # in warranty
        ("harbin", UnitStatus.IN_SERVICE, -300, 0),     # its last day: in warranty, ending
        ("harbin", UnitStatus.IN_SERVICE, -10, 90),     # ends on the 90th day: ending
        ("harbin", UnitStatus.IN_SERVICE, -500, 91),    # the 91st: not ending
        ("harbin", UnitStatus.IN_SERVICE, -800, -1),    # ended yesterday
        ("harbin", UnitStatus.IN_SERVICE, 1, 60),       # starts tomorrow: not in warranty
        ("harbin", UnitStatus.UNDER_REPAIR, -30, 30),   # under repair, in warranty, ending
        ("harbin", UnitStatus.RETIRED, -30, 30),        # not in use: in no unit tile
        ("harbin", UnitStatus.REPLACED, -30, 300),      # not in use either
        ("guangzhou", UnitStatus.IN_SERVICE, -30, 30),
        ("guangzhou", UnitStatus.UNDER_REPAIR, -30, 300),
    ]
    for n, (office, status, start, end) in enumerate(rows):
        make(Unit, serial=f"SN-FLEET-{n:03d}", product=world.product,
             contract=getattr(world, f"{office}_contract"), site=getattr(world, f"{office}_site"),
             status=status, installed_on=today + (start - 2) * day,
             accepted_on=today + (start - 1) * day, warranty_by_hand=True,
             warranty_start=today + start * day, warranty_end=today + end * day)
    make(Unit, serial="SN-FLEET-NEW", product=world.product, contract=world.harbin_contract,
         site=world.harbin_site, status=UnitStatus.INSTALLED,
         installed_on=today - day)  # not accepted: no warranty dates yet
    make(Contract, number="K-HRB-DRAFT", customer=world.harbin_customer, signed_on=today,
         status=ContractStatus.DRAFT)


@pytest.mark.parametrize("user", ["admin", "harbin_manager"])
def test_each_tile_opens_the_list_of_what_it_counts(client, auth, world, fleet, user):
    auth.login(user)
    shown = tiles(client.get("/admin/").get_data(as_text=True))
    assert len(shown) == 7
    links = [link for link, _figure, _caption in shown]
    assert len(set(links)) == 7  # no two tiles open the same list
    for link, figure, caption in shown:
        page = client.get(link)
        assert page.status_code == 200, link
        assert list_count(page.get_data(as_text=True)) == figure, (caption, link)
    # the fleet makes every unit tile differ from the others (no filter can be skipped)
    if user == "harbin_manager":
        figures = [int(figure) for _link, figure, _phrase in shown]
        assert figures == [1, 1, 1, 1 + 7 + 1, int(_covered(world.harbin_unit)) + 5,
                           int(_ending(world.harbin_unit)) + 3, 1]


def _covered(unit):
    today = clock.today()
    return unit.warranty_start <= today <= unit.warranty_end


def _ending(unit):
    return _covered(unit) and unit.warranty_end <= clock.today() + dt.timedelta(days=90)


def test_tiles_above_the_cap_read_like_the_lists(client, auth, world, fleet, monkeypatch):
    """Above the cap a tile says "2+", and the list it opens says "more than 2 records"."""
    monkeypatch.setattr(ScopedModelView, "count_cap", 2)
    auth.login("admin")
    shown = tiles(client.get("/admin/").get_data(as_text=True))
    assert {figure for _link, figure, _caption in shown} >= {"2", "2+"}
    for link, figure, caption in shown:
        assert list_count(client.get(link).get_data(as_text=True)) == figure, caption


def test_home_counts_stop_at_the_cap(client, auth, world, fleet):
    """Every COUNT the home page runs reads at most cap + 1 rows: flat at a million units."""
    auth.login("admin")
    with captured_sql() as seen:
        assert client.get("/admin/").status_code == 200
    counts = [sql for sql, _params in seen if "COUNT(" in sql.upper()]
    assert len(counts) == 8, counts  # seven tiles and the bell
    for sql in counts:
        inner = sql.upper().split('AS "_WRAPPED"')[0]
        assert "LIMIT" in inner, sql


def phrases(client):
    return [phrase for _link, _figure, phrase in tiles(client.get("/admin/").get_data(
        as_text=True))]


def test_tile_phrases_agree_with_their_number(client, auth, world, fleet, monkeypatch):
    today = clock.today()
    # the only unit under repair is the fleet's Harbin one
    Unit.update(status=UnitStatus.IN_SERVICE).where(Unit.serial == "SN-FLEET-010").execute()
    auth.login("harbin_manager")  # one office, one customer, one active contract
    ending = int(_ending(world.harbin_unit)) + 3
    assert phrases(client) == [
        "1 office", "1 customer", "1 active contract", "9 units in use",
        f"{int(_covered(world.harbin_unit)) + 5} units in warranty today",
        f"{ending} warranties end within 90 days", "1 unit under repair"]
    auth.logout()
    Unit.update(status=UnitStatus.RETIRED).where(Unit.warranty_end >= today).execute()
    used = Unit.select().where(Unit.status.not_in([UnitStatus.RETIRED, UnitStatus.REPLACED]))
    auth.login("admin")
    assert phrases(client) == [
        "2 offices", "2 customers", "2 active contracts", f"{used.count()} units in use",
        "0 units in warranty today", "0 warranties end within 90 days", "0 units under repair"]
    monkeypatch.setattr(ScopedModelView, "count_cap", 1)  # "1+" is more than one
    assert phrases(client)[:2] == ["1+ offices", "1+ customers"]
    Staff.update(language="zh_Hans_CN").where(Staff.username == "admin").execute()
    assert phrases(client) == [
        "1+ 个办事处", "1+ 家客户", "1+ 份有效合同", "1+ 台在用设备", "0 台设备今日在保",
        "0 台设备 90 天内保修到期", "0 台设备维修中"]


def test_one_heading(client, auth, world):
    auth.login("admin")
    html = client.get("/admin/").get_data(as_text=True)
    body = html[html.index("</nav>"):]
    assert re.findall(r"<h[1-4][ >]", body.split('class="row overview"')[0]) == ["<h1 "]
    assert ">Overview" in body and "Home\n" not in body.split("Overview")[0]


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc", "3661"])
def test_days_until_warranty_end_takes_only_a_sensible_number(client, auth, world, value):
    auth.login("admin")
    link = next(link for link, _f, phrase in tiles(client.get("/admin/").get_data(as_text=True))
                if "within 90 days" in phrase)
    page = client.get(link.replace("=90", f"={value}"))
    assert page.status_code == 200  # the filter is ignored, never a 500
    assert list_count(page.get_data(as_text=True)) == str(int(_covered(world.harbin_unit))
                                                          + int(_covered(world.guangzhou_unit)))
