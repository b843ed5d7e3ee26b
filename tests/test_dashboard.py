"""The SLA dashboard: its figures equal counts taken straight from the tickets, office
scoping on the page, the tables, the CSV files and the map, both languages, bad input.

Tickets are made through the ticket services (intake, reply, arrival, pause, cancel,
replacements) at times in the past; the expected figures are counted here from every
ticket row read back, one by one, by the definitions in ``docs/headquarters.md``, and
compared with what the service's ``GROUP BY`` queries answer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import statistics
from decimal import Decimal

import pytest

from backoffice.clock import add_months, local, utcnow, zone
from backoffice.labels import Milestone, TicketState
from backoffice.models import (
    Contract,
    Customer,
    Replacement,
    RuleViolation,
    Site,
    Ticket,
    TicketPause,
    Unit,
)
from backoffice.models.tickets import OPEN_STATES
from backoffice.services import dashboard as service
from backoffice.services import replacements, tickets
from backoffice.services.dashboard import Risk, dashboard, risk
from backoffice.services.tickets import Report
from backoffice.terms import terms_from_dict
from tests.factories import TESTS, make, publish, save, terms_for
from tests.test_admin_helpers import post

H, M, D = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(days=1)
TABLES = ("state", "breaches", "met_rate", "bands", "late_offices", "late", "risk", "sites")


def ago(delta: dt.timedelta) -> dt.datetime:
    """A moment ``delta`` before now, in the center's zone, to the minute."""
    return (dt.datetime.now(zone()) - delta).replace(second=0, microsecond=0)


def at_distance(site, km):
    site = Site.get_by_id(site.id)
    site.road_distance_km = Decimal(km)
    save(site)


def log(world, where: str, received: dt.datetime, km=320, user=None):
    office = {"harbin": world.harbin_unit, "guangzhou": world.guangzhou_unit}[where]
    site = {"harbin": world.harbin_site, "guangzhou": world.guangzhou_site}[where]
    at_distance(site, km)
    return tickets.open_ticket(user or TESTS, Report(summary=f"fault {where}",
                                                     serial=office.serial, received=received))


@pytest.fixture
def book(world):
    """Tickets of both offices in every shape the figures tell apart."""
    made = {}
    # Harbin, open now
    made["late_reply"] = log(world, "harbin", ago(3 * H))              # reply missed, open
    made["fresh"] = log(world, "harbin", ago(30 * M))                  # on time, due soon
    made["warned"] = log(world, "harbin", ago(100 * M))                # 83 % gone: warned
    paused_late = log(world, "harbin", ago(150 * M))                   # due passed, paused
    tickets.pause(TESTS, paused_late, "customer asks to come later")
    made["paused_late"] = paused_late
    paused_early = log(world, "harbin", ago(20 * M))                   # paused in time
    tickets.pause(TESTS, paused_early, "no access to the site")
    made["paused_early"] = paused_early
    # paused 30 min after receipt, 2.5 h ago: its reply due has passed since, clock stopped
    paused_long = log(world, "harbin", ago(3 * H))
    tickets.pause(TESTS, paused_long, "waiting for the customer's parts")
    began = paused_long.received_at + 30 * M
    Ticket.update(paused_since=began).where(Ticket.id == paused_long.id).execute()
    TicketPause.update(started_at=began).where(TicketPause.ticket == paused_long.id).execute()
    made["paused_long"] = paused_long
    # Harbin, done: replied late, arrived in time (80 km: 6 h), restored, closed
    old = log(world, "harbin", ago(40 * D), km=80)
    received = local(old.received_at)
    tickets.reply(TESTS, old, "on our way", at=received + 3 * H)
    old = _dispatch(world, old)
    tickets.arrive(TESTS, old, at=received + 5 * H)
    tickets.restore(TESTS, old, "repair", at=received + 8 * H)
    tickets.close(TESTS, old)
    made["old"] = old
    # Harbin, on site: replied in time, arrived late (320 km: 12 h)
    late_arrival = log(world, "harbin", ago(5 * D))
    received = local(late_arrival.received_at)
    tickets.reply(TESTS, late_arrival, "on our way", at=received + 1 * H)
    late_arrival = _dispatch(world, late_arrival)
    tickets.arrive(TESTS, late_arrival, at=received + 30 * H)
    made["late_arrival"] = late_arrival
    for hours in (6, 8):  # two more on site at 320 km: median 8 h, mean 14.7 h
        other = log(world, "harbin", ago(4 * D))
        received = local(other.received_at)
        tickets.reply(TESTS, other, "on our way", at=received + 1 * H)
        tickets.arrive(TESTS, _dispatch(world, other), at=received + hours * H)
    # Harbin, cancelled before anything was done: counts nowhere
    cancelled = log(world, "harbin", ago(4 * H))
    tickets.cancel(TESTS, cancelled, "customer fixed it")
    made["cancelled"] = cancelled
    # Harbin: a replacement past its window (confirmed 20 days ago: latest day 10 days ago)
    made["replacement"] = replacements.confirm(TESTS, made["old"],
                                               confirmed_on=ago(20 * D).date())
    # Guangzhou: one open and breached, one replied in time, 800 km
    made["can_late"] = log(world, "guangzhou", ago(5 * H), km=800)
    can_ok = log(world, "guangzhou", ago(6 * H), km=800)
    tickets.reply(TESTS, can_ok, "on our way", at=local(can_ok.received_at) + 30 * M)
    made["can_ok"] = can_ok
    return made


def _dispatch(world, ticket):
    return tickets.dispatch(TESTS, Ticket.get_by_id(ticket.id), world.users["harbin_engineer"])


# -- the expected figures, ticket by ticket --------------------------------------------------

def expected(office_ids=None):
    """The dashboard's figures counted from every ticket and replacement row in Python."""
    now = utcnow()
    today = local(now).date()
    first = [add_months(today.replace(day=1), k) for k in range(-11, 2)]
    rows = [t for t in Ticket.select() if office_ids is None or t.office_id in office_ids]

    def month_of(day: dt.date):
        for index in range(12):
            if first[index] <= day < first[index + 1]:
                return index
        return None

    tallies = {(i, m): [0, 0] for i in range(12) for m in service.MILESTONES}
    breaches = {}
    for t in rows:
        if t.state == TicketState.CANCELLED:
            continue
        for milestone, due, done in ((Milestone.REPLY, t.reply_due, t.replied_at),
                                     (Milestone.ARRIVAL, t.arrival_due, t.arrived_at)):
            if due is None or due >= now:
                continue
            clock_stopped = t.paused_since or now
            if done is None and due >= clock_stopped:
                continue  # paused before its due: not decided
            index = month_of(local(due).date())
            if index is None:
                continue
            met = done is not None and done <= due
            tallies[(index, milestone)][0] += 1
            tallies[(index, milestone)][1] += met
            if index == 11 and not met:
                row = breaches.setdefault(t.office_id, dict.fromkeys(service.MILESTONES, 0))
                row[milestone] += 1
    late_waiting = {}
    for r in Replacement.select():
        if office_ids is not None and r.office_id not in office_ids:
            continue
        if r.latest > today or (r.delivered_on is None and r.latest == today):
            continue
        index = month_of(r.latest)
        if index is None:
            continue
        met = r.delivered_on is not None and r.delivered_on <= r.latest
        tallies[(index, Milestone.REPLACEMENT)][0] += 1
        tallies[(index, Milestone.REPLACEMENT)][1] += met
        if index == 11 and not met:
            row = breaches.setdefault(r.office_id, dict.fromkeys(service.MILESTONES, 0))
            row[Milestone.REPLACEMENT] += 1
        if r.delivered_on is None and r.latest < today:
            late_waiting[r.office_id] = late_waiting.get(r.office_id, 0) + 1
    start = dt.datetime.combine(first[0], dt.time(0), tzinfo=zone()).astimezone(dt.UTC)
    arrivals = {}
    for t in rows:
        if t.arrived_at is None or t.state == TicketState.CANCELLED:
            continue
        if not start.replace(tzinfo=None) <= t.received_at < now:
            continue
        km = t.distance_km
        band = -1 if km is None else 0 if km <= 100 else 1 if km <= 500 else 2
        hours = (t.arrived_at - t.received_at).total_seconds() / 3600
        arrivals.setdefault(band, []).append((hours, t.arrived_at <= t.arrival_due))
    open_rows = [t for t in rows if t.state in OPEN_STATES]
    return {
        "tallies": {k: tuple(v) for k, v in tallies.items()},
        "breaches": breaches,
        "open_by_state": {s: sum(t.state == s for t in open_rows) for s in service.OPEN_ORDER},
        "due_soon": sum(t.next_due is not None and now <= t.next_due <= now + 2 * H
                        for t in rows),
        "overdue": sum(t.next_due is not None and t.next_due < now for t in rows),
        "arrivals": arrivals,
        "late_waiting": late_waiting,
        "open": open_rows,
    }


def check(figures, wanted):
    got = {(i, m): tuple(month.counts[m]) for i, month in enumerate(figures.months)
           for m in service.MILESTONES}
    assert got == wanted["tallies"]
    assert figures.breaches == wanted["breaches"]
    assert figures.open_by_state == wanted["open_by_state"]
    assert (figures.due_soon, figures.overdue) == (wanted["due_soon"], wanted["overdue"])
    bands = {(-1 if b.lower is None else i): b for i, b in enumerate(figures.bands)}
    for index, band in bands.items():
        times = wanted["arrivals"].get(index, [])
        assert band.arrivals == len(times)
        assert band.on_time == sum(kept for _h, kept in times)
        if times:
            hours = [h for h, _kept in times]
            assert band.median_hours == pytest.approx(statistics.median(hours), abs=1 / 60)
            assert band.mean_hours == pytest.approx(statistics.mean(hours), abs=1 / 60)
        else:
            assert band.median_hours is None and band.mean_hours is None
    assert {o: w for o, (w, _d) in figures.late_by_office.items() if w} == wanted["late_waiting"]
    assert sum(p.tickets for p in figures.sites) + figures.unplaced == len(wanted["open"])
    assert sum(sum(r.values()) for r in figures.risk_by_office.values()) == len(wanted["open"])


# -- the figures --------------------------------------------------------------------------------

def test_the_figures_equal_counts_taken_straight_from_the_tickets(world, book):
    figures = dashboard(TESTS)
    check(figures, expected())
    harbin, guangzhou = world.harbin.id, world.guangzhou.id
    # what the book was written to show, said plainly
    assert figures.open_by_state[TicketState.RECEIVED] == 4  # late_reply, fresh, warned, can_late
    assert figures.open_by_state[TicketState.WAITING] == 3
    assert figures.open_by_state[TicketState.ON_SITE] == 3
    # on time: fresh, both tickets paused before their due, the three on site (nothing is
    # due any more); breached: late_reply and paused_late
    assert figures.risk_by_office[harbin] == {Risk.ON_TIME: 6, Risk.WARNED: 1,
                                              Risk.BREACHED: 2}
    assert figures.risk_by_office[guangzhou] == {Risk.ON_TIME: 1, Risk.WARNED: 0,
                                                 Risk.BREACHED: 1}
    assert figures.due_soon == 2 and figures.overdue == 2  # fresh, warned; late_reply, can_late
    late = figures.late_listed
    assert [(r.ticket_number, r.days_late) for r in late] == [(book["old"].number, 10)]
    assert figures.late_by_office == {harbin: (1, 0)}
    middle = figures.bands[1]
    assert (middle.arrivals, middle.on_time) == (3, 2)
    assert middle.median_hours == pytest.approx(8, abs=1 / 60)
    assert middle.mean_hours == pytest.approx((30 + 6 + 8) / 3, abs=1 / 60)
    far = figures.bands[2]  # over 500 km: nothing arrived yet
    assert (far.lower, far.upper, far.hours_due, far.arrivals) == (500, None, 24, 0)
    assert [b.hours_due for b in figures.bands] == [6, 12, 24, None]


def test_this_months_breaches_by_office_and_milestone(world, book):
    figures = dashboard(TESTS)
    harbin = figures.breaches.get(world.harbin.id, {})
    this_month = local(utcnow()).date().replace(day=1)

    def due_this_month(ticket, field):
        return local(getattr(Ticket.get_by_id(ticket.id), field)).date() >= this_month
    # the late reply still open and the one paused after its due are breaches; the tickets
    # paused before their due (one of them past it since) and the cancelled one are not
    reply = sum(due_this_month(book[k], "reply_due") for k in ("late_reply", "paused_late"))
    arrival = int(due_this_month(book["late_arrival"], "arrival_due"))
    replacement = int(book["replacement"].latest >= this_month)
    assert harbin.get(Milestone.REPLY, 0) == reply
    assert harbin.get(Milestone.ARRIVAL, 0) == arrival
    assert harbin.get(Milestone.REPLACEMENT, 0) == replacement
    assert figures.breaches.get(world.guangzhou.id, {}).get(Milestone.REPLY, 0) == int(
        due_this_month(book["can_late"], "reply_due"))


def test_a_ticket_received_before_the_look_back_is_not_read(world, book):
    """The documented limit: milestones are read through the receipt index, from
    ``LOOKBACK`` before the first month; a ticket received earlier (due in the window
    only after months of waiting on the customer) is left out."""
    figures = dashboard(TESTS)
    total = sum(m.total.due for m in figures.months)
    old = Ticket.get_by_id(book["old"].id)
    start = dt.datetime.combine(figures.months[0].first_day, dt.time(0), tzinfo=zone())
    before = (start - service.LOOKBACK - D).astimezone(dt.UTC).replace(tzinfo=None)
    Ticket.update(received_at=before).where(Ticket.id == old.id).execute()
    figures = dashboard(TESTS)
    assert sum(m.total.due for m in figures.months) == total - 2  # its reply and arrival
    assert sum(b.arrivals for b in figures.bands) == 3  # the three at 320 km


def test_the_median_of_a_histogram():
    assert service._median([(1, 1), (3, 2), (10, 1)], 4) == 3
    assert service._median([(1, 1), (2, 1)], 2) == 1.5
    assert service._median([(5, 3)], 3) == 5
    assert service._median([(1, 2), (9, 1)], 3) == 1


def test_risk_on_the_terms_clock():
    received = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    due = received + 4 * H
    assert risk(received, due, received + 2 * H, share=0.75) == Risk.ON_TIME
    assert risk(received, due, received + 3 * H, share=0.75) == Risk.WARNED
    assert risk(received, due, received + 179 * M, share=0.75) == Risk.ON_TIME
    assert risk(received, due, due, share=0.75) == Risk.WARNED
    assert risk(received, due, due + M, share=0.75) == Risk.BREACHED
    assert risk(received, due, received + 2 * H, share=0.5) == Risk.WARNED
    # a pause of 2 h moved the due time on: 3 h of 4 are gone only at 5 h after receipt
    moved = due + 2 * H
    assert risk(received, moved, received + 4 * H, share=0.75, paused=2 * H) == Risk.ON_TIME
    assert risk(received, moved, received + 5 * H, share=0.75, paused=2 * H) == Risk.WARNED
    assert service.warning_time(received, moved, share=0.75, paused=2 * H) == received + 5 * H
    # on a business calendar only working time counts: Friday 17:00 + 2 working hours is
    # Monday 10:00 (Friday until 17:30, Monday from 08:30); 75 % of it, 1.5 h, is gone at
    # Monday 09:30, not over the weekend
    shanghai = zone()
    friday = dt.datetime(2026, 11, 27, 17, 0, tzinfo=shanghai)
    monday = dt.datetime(2026, 11, 30, 10, 0, tzinfo=shanghai)
    sunday = dt.datetime(2026, 11, 29, 12, 0, tzinfo=shanghai)
    assert risk(friday, monday, sunday, share=0.75, clock="china-business") == Risk.ON_TIME
    assert risk(friday, monday, monday - 35 * M, share=0.75,
                clock="china-business") == Risk.ON_TIME
    assert risk(friday, monday, monday - 30 * M, share=0.75,
                clock="china-business") == Risk.WARNED
    assert service.warning_time(friday, monday, share=0.75, clock="china-business") == (
        monday - 30 * M)


def test_a_contracts_warning_share_decides_its_tickets_risk(world, book):
    standard = terms_for(None)
    sheet = standard.as_dict() | {"escalation": {"warning_share": 0.2}}
    version = publish(terms_from_dict(sheet))
    contract = Contract.get_by_id(world.harbin_contract.id)
    contract.term_set_version = version.id
    save(contract)
    figures = dashboard(TESTS)
    # at a share of 20 %: "fresh" (25 % of its time gone) and paused_long (stopped at 25 %)
    # are warned; paused_early was stopped with 17 % gone: still on time
    assert figures.risk_by_office[world.harbin.id] == {Risk.ON_TIME: 4, Risk.WARNED: 3,
                                                       Risk.BREACHED: 2}
    assert figures.risk_by_office[world.guangzhou.id][Risk.WARNED] == 0  # its own terms


# -- office scoping ---------------------------------------------------------------------------

def test_an_office_manager_counts_their_office_only(world, book):
    manager = world.users["harbin_manager"]
    figures = dashboard(manager)
    check(figures, expected({world.harbin.id}))
    assert [o.code for o in figures.offices] == ["HRB"]
    assert set(figures.risk_by_office) == {world.harbin.id}
    assert all(p.office_code == "HRB" for p in figures.sites)
    with pytest.raises(RuleViolation) as info:
        dashboard(manager, world.guangzhou.id)
    assert info.value.code == "not_found"
    # headquarters narrows to one office and sees exactly that office's
    only = dashboard(world.users["hq"], world.guangzhou.id)
    check(only, expected({world.guangzhou.id}))
    assert [o.code for o in only.offices] == ["CAN"] and only.office.id == world.guangzhou.id


GUANGZHOU_WORDS = ("Guangzhou", "CAN-", "C-CAN-1", "SN-CAN")


def page_json(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>',
                      html, re.DOTALL)
    assert match, "no figures for the charts in the page"
    return json.loads(match.group(1))


def test_a_harbin_manager_sees_no_guangzhou_ticket_on_the_page_tables_map_or_files(
        client, auth, world, book):
    auth.login("harbin_manager")
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for word in GUANGZHOU_WORDS:
        assert word not in html, word
    assert book["late_reply"].number in html and "Harbin plant" in html
    data = page_json(html)
    assert [p["name"] for p in data["map"]["offices"]["points"]] == ["Harbin office"]
    points = [p for risk_ in data["map"]["risks"] for p in risk_["points"]]
    assert {p["office"] for p in points} == {"HRB"}
    assert all(n.startswith("HRB-") for p in points for n in p["numbers"])
    assert 'id="office"' not in html  # no office picker: their own office only
    for table in TABLES:
        text = client.get(f"/admin/dashboard/export/{table}.csv").get_data(as_text=True)
        for word in GUANGZHOU_WORDS:
            assert word not in text, (table, word)
    # another office's id: a message, and their own figures
    html = client.get(f"/admin/dashboard/?office={world.guangzhou.id}").get_data(as_text=True)
    assert "No office among those you can see has that id." in html
    assert "Guangzhou" not in html and book["late_reply"].number in html


def test_headquarters_sees_every_office_and_may_pick_one(client, auth, world, book):
    auth.login("hq")
    html = client.get("/admin/dashboard/").get_data(as_text=True)
    assert book["can_late"].number in html and book["late_reply"].number in html
    assert 'id="office"' in html
    data = page_json(html)
    assert {p["name"] for p in data["map"]["offices"]["points"]} == {"Harbin office",
                                                                    "Guangzhou office"}
    html = client.get(f"/admin/dashboard/?office={world.guangzhou.id}").get_data(as_text=True)
    assert book["can_late"].number in html and book["late_reply"].number not in html
    assert "HRB-" not in html
    text = client.get(f"/admin/dashboard/export/sites.csv?office={world.guangzhou.id}"
                      ).get_data(as_text=True)
    assert book["can_late"].number in text and "HRB-" not in text
    # the tiles open the ticket list narrowed to exactly what they count, the office too
    links = dict(re.findall(r'id="tile-(due_soon|overdue)" href="([^"]+)"', html))
    listed = client.get(links["overdue"].replace("&amp;", "&")).get_data(as_text=True)
    assert book["can_late"].number in listed and book["late_reply"].number not in listed


def test_an_engineer_sees_their_office(client, auth, world, book):
    auth.login("harbin_engineer")
    html = client.get("/admin/dashboard/").get_data(as_text=True)
    assert book["late_reply"].number in html and "Guangzhou" not in html


# -- the page -----------------------------------------------------------------------------------

def test_every_chart_has_its_table_and_its_file(client, auth, world, book):
    auth.login("hq")
    html = client.get("/admin/dashboard/").get_data(as_text=True)
    data = page_json(html)
    for chart in data["charts"]:
        assert f'id="chart-{chart["id"]}"' in html
        assert f'id="table-{chart["id"]}"' in html
    assert 'id="chart-map"' in html and 'id="table-risk"' in html and 'id="table-sites"' in html
    assert data["locale"] == "EN"
    for table in TABLES:
        response = client.get(f"/admin/dashboard/export/{table}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.get_data(as_text=True)
        assert text.startswith("\ufeff")
        assert f"sla-dashboard_{table}_" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/dashboard/export/state.csv").get_data(as_text=True)[1:])))
    assert rows[0] == ["State", "Open tickets"]
    assert rows[-1] == ["Total", str(dashboard(TESTS).open_total)]
    month = list(csv.reader(io.StringIO(
        client.get("/admin/dashboard/export/met_rate.csv").get_data(as_text=True)[1:])))
    assert month[0][:4] == ["Month", "Definite reply: met", "Definite reply: due",
                            "Definite reply: met rate"]
    assert len(month) == 13


def test_an_exported_cell_never_becomes_a_formula(client, auth, world, book):
    site = make(Site, customer=world.harbin_customer, name="=HYPERLINK(\"http://x\")",
                city="Harbin", latitude=Decimal("45.7"), longitude=Decimal("126.6"))
    make(Unit, serial="SN-HRB-0002", product=world.product, contract=world.harbin_contract,
         site=site, installed_on=dt.date(2025, 2, 1), accepted_on=dt.date(2025, 2, 10))
    tickets.open_ticket(TESTS, Report(summary="x", serial="SN-HRB-0002"))
    auth.login("hq")
    text = client.get("/admin/dashboard/export/sites.csv").get_data(as_text=True)
    names = [row[0] for row in csv.reader(io.StringIO(text[1:]))]
    assert "'=HYPERLINK(\"http://x\")" in names and "=HYPERLINK(\"http://x\")" not in names


def test_the_page_in_chinese(client, auth, world, book):
    auth.login("hq")
    post(client, "/language", {"language": "zh_Hans_CN", "next": "/admin/dashboard/"})
    html = client.get("/admin/dashboard/").get_data(as_text=True)
    for words in ("服务时效看板", "各状态未结工单", "各月达成率", "各距离档到场时间",
                  "未结工单地图", "下载 CSV", "全部办事处", "按时", "预警", "已超时"):
        assert words in html, words
    data = page_json(html)
    assert data["locale"] == "ZH"
    assert [r["name"] for r in data["map"]["risks"]] == ["按时", "预警", "已超时"]
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/dashboard/export/state.csv").get_data(as_text=True)[1:])))
    assert rows[0] == ["状态", "未结工单"]


def test_an_empty_database_draws_empty_charts(client, auth, world):
    auth.login("hq")
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    data = page_json(response.get_data(as_text=True))
    assert all(chart["empty"] for chart in data["charts"])


@pytest.mark.parametrize("office", ["abc", "１", "0", "-1", "99999999999999999999",
                                    "9223372036854775807", "1%00", " 1"])
def test_a_bad_office_is_a_message_never_a_500(client, auth, world, office):
    auth.login("hq")
    response = client.get("/admin/dashboard/", query_string={"office": office})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "dash-refused" in html
    export = client.get("/admin/dashboard/export/state.csv", query_string={"office": office})
    assert export.status_code in (302, 400)


def test_an_unknown_table_is_a_404(client, auth, world):
    auth.login("hq")
    assert client.get("/admin/dashboard/export/nope.csv").status_code == 404


def test_the_dashboard_needs_a_login(client, world):
    response = client.get("/admin/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_says_which_customer_site_is_not_on_the_map(client, auth, world):
    site = Site.get_by_id(world.harbin_site.id)
    site.latitude = site.longitude = None
    save(site)
    tickets.open_ticket(TESTS, Report(summary="x", serial="SN-HRB-0001"))
    figures = dashboard(TESTS)
    assert figures.unplaced == 1 and figures.sites == []
    auth.login("hq")
    assert "Open tickets not on the map (their site has no coordinates): 1" in client.get(
        "/admin/dashboard/").get_data(as_text=True)
    assert Customer.select().count() == 2
