"""The fault-ticket screens: the list (time left, filters, search, export), intake, the
ticket page and every step through it, office scoping and the engineer's own tickets."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import zoneinfo
from decimal import Decimal

import pytest

from backoffice.admin import tickets as screens
from backoffice.clock import stored
from backoffice.labels import TicketState
from backoffice.models import Site, Staff, Ticket, TicketPause, Unit
from backoffice.services import tickets
from backoffice.services.tickets import Report
from tests.factories import TESTS, make, make_staff, save
from tests.test_admin_helpers import post

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


# -- a few tickets ------------------------------------------------------------------------

def at_distance(site, km):
    site = Site.get_by_id(site.id)
    site.road_distance_km = Decimal(km)
    save(site)


def log(world, user="harbin_manager", *, ago=dt.timedelta(minutes=5), serial="SN-HRB-0001",
        km=320, summary="UPS alarm", at=None, **extra):
    """A ticket logged through the service, received ``ago`` before ``at`` (default now)."""
    site = world.harbin_site if serial.startswith("SN-HRB") else world.guangzhou_site
    at_distance(site, km)
    received = (at or dt.datetime.now(SHANGHAI).replace(microsecond=0)) - ago
    return tickets.open_ticket(world.users[user], Report(summary=summary, serial=serial,
                                                         received=received, **extra))


def fresh(ticket):
    return Ticket.get_by_id(ticket.id)


def dispatched(world, engineer="harbin_engineer", **kwargs):
    """A ticket replied to and dispatched to the engineer with that login name."""
    ticket = log(world, **kwargs)
    tickets.reply(TESTS, ticket, "on the way")
    tickets.dispatch(TESTS, ticket, Staff.get(Staff.username == engineer))
    return ticket


def text_of(response) -> str:
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", response.get_data(as_text=True)))


def list_numbers(response) -> list[str]:
    return re.findall(r'<td class="col-number"><a [^>]*>([^<]+)</a>', response.get_data(
        as_text=True))


def filter_arg(app, name: str) -> str:
    """The list's URL argument for the filter called ``name`` (``flt0_<index>``)."""
    view = next(v for v in app.extensions["backoffice_admin"]._views
                if getattr(v, "endpoint", None) == "ticket")
    for index, flt in enumerate(view._filters):
        if str(flt.name) == name:
            return f"flt0_{view.get_filter_arg(index, flt)}"
    raise LookupError(name)


def step(client, ticket_id, name, follow=True, **data):
    return post(client, f"/admin/ticket/step/{name}/?id={ticket_id}", data, follow=follow)


# -- the list -------------------------------------------------------------------------------

def test_time_left_reads_in_words_and_colour(client, auth, world, monkeypatch):
    now = dt.datetime.now(SHANGHAI).replace(microsecond=0)
    moment = stored(now)
    soon = log(world, at=now, ago=dt.timedelta(minutes=40))          # reply due in 1 h 20 min
    late = log(world, at=now, ago=dt.timedelta(hours=2, minutes=35))  # reply overdue 35 min
    replied = log(world, at=now, ago=dt.timedelta(hours=1))           # arrival due in 11 h
    tickets.reply(TESTS, replied, "coming")
    paused = log(world, at=now)
    tickets.pause(TESTS, paused, "no access to the site")
    monkeypatch.setattr(screens, "utcnow", lambda: moment)
    auth.login("harbin_manager")
    page = client.get("/admin/ticket/").get_data(as_text=True)

    def cell(ticket):
        row = re.search(rf"{ticket.number}</a></td>.*?</tr>", page, re.DOTALL).group(0)
        return re.search(r'<td class="col-time_left">(.*?)</td>', row, re.DOTALL).group(1)
    assert "due-soon" in cell(soon) and "Definite reply: 1 h 20 min left" in cell(soon)
    assert "due-overdue" in cell(late) and "Definite reply: overdue 35 min" in cell(late)
    assert "due-ok" in cell(replied) and "Engineer on site: 11 h 0 min left" in cell(replied)
    assert "Paused" in cell(paused) and "due-paused" in cell(paused)


def test_spans_in_english_and_chinese(app):
    from flask_babel import force_locale
    with app.test_request_context():
        assert screens.span(dt.timedelta(days=1, hours=2, minutes=5)) == "1 d 2 h"
        assert screens.span(dt.timedelta(seconds=59)) == "0 min"
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert screens.span(dt.timedelta(days=1, hours=2, minutes=5)) == "1 天 2 小时"
        noon = dt.datetime(2026, 1, 1, 12)
        assert screens.left_or_overdue(noon, dt.datetime(2026, 1, 1, 10, 40)) == (
            "剩余 1 小时 20 分钟", "due-soon")
        assert screens.left_or_overdue(noon, dt.datetime(2026, 1, 1, 12, 35)) == (
            "已超时 35 分钟", "due-overdue")
        assert screens.left_or_overdue(noon, dt.datetime(2026, 1, 1, 9, 0))[1] == "due-ok"


def test_the_list_is_sorted_by_the_next_deadline_open_ones_first(client, auth, world):
    later = log(world, ago=dt.timedelta(minutes=1))
    sooner = log(world, ago=dt.timedelta(minutes=90))
    done = log(world, ago=dt.timedelta(hours=3))
    tickets.cancel(TESTS, done, "duplicate report")
    auth.login("harbin_manager")
    assert list_numbers(client.get("/admin/ticket/")) == [sooner.number, later.number,
                                                         done.number]
    # the reversed order keeps the tickets without a deadline at the other end
    assert list_numbers(client.get("/admin/ticket/?sort=2&desc=1")) == [
        done.number, later.number, sooner.number]


def test_every_ticket_still_in_hand_comes_before_the_closed_and_cancelled_ones(client, auth,
                                                                             world):
    """Open tickets by their next deadline, then those in hand without one (on site,
    waiting on the customer, restored), then the closed and cancelled ones; each group
    by id after the deadline, whichever was logged first."""
    closed = dispatched(world, ago=dt.timedelta(hours=5))
    for name, args in (("arrive", ()), ("restore", ("repair",)), ("close", ())):
        getattr(tickets, name)(TESTS, closed, *args)
    cancelled = log(world, ago=dt.timedelta(hours=4))
    tickets.cancel(TESTS, cancelled, "duplicate report")
    waiting = log(world, ago=dt.timedelta(hours=3))
    tickets.pause(TESTS, waiting, "no access to the site")
    on_site = dispatched(world, ago=dt.timedelta(hours=2))
    tickets.arrive(TESTS, on_site)
    restored = dispatched(world, ago=dt.timedelta(hours=2))
    tickets.arrive(TESTS, restored)
    tickets.restore(TESTS, restored, "swap")
    later = log(world, ago=dt.timedelta(minutes=1))
    sooner = log(world, ago=dt.timedelta(minutes=90))
    assert all(fresh(t).next_due is None for t in (closed, cancelled, waiting, on_site,
                                                   restored))
    in_order = [sooner, later, waiting, on_site, restored, closed, cancelled]
    auth.login("harbin_manager")
    assert list_numbers(client.get("/admin/ticket/")) == [t.number for t in in_order]
    # by the column "time left", and reversed: the mirror
    assert list_numbers(client.get("/admin/ticket/?sort=2")) == [t.number for t in in_order]
    assert list_numbers(client.get("/admin/ticket/?sort=2&desc=1")) == [
        t.number for t in reversed(in_order)]
    auth.logout()
    auth.login("hq")  # every office's list, the same order
    assert list_numbers(client.get("/admin/ticket/")) == [t.number for t in in_order]


def test_filters_state_office_overdue_due_soon_and_warranty(app, client, auth, world):
    late = log(world, ago=dt.timedelta(hours=3))                       # reply overdue
    soon = log(world, ago=dt.timedelta(minutes=30))                    # reply due in 1 h 30
    calm = log(world, ago=dt.timedelta(minutes=10))
    tickets.reply(TESTS, calm, "tomorrow")                             # arrival in ~12 h
    canton = log(world, "guangzhou_manager", serial="SN-CAN-0001")
    unknown_unit = tickets.open_ticket(world.users["harbin_manager"], Report(
        summary="no serial", customer_code="C-HRB-1"))                 # not in warranty
    auth.login("hq")

    def numbers(arg, value):
        return set(list_numbers(client.get(f"/admin/ticket/?{filter_arg(app, arg)}={value}")))
    assert numbers("State", "replied") == {calm.number}
    assert numbers("Office code", "can") == {canton.number}
    assert numbers("Office code", "HRB") == {late.number, soon.number, calm.number,
                                            unknown_unit.number}
    assert numbers("Overdue", "1") == {late.number}
    assert late.number not in numbers("Overdue", "0")
    assert numbers("Due within 2 h", "1") == {soon.number, canton.number, unknown_unit.number}
    assert numbers("In warranty", "0") == {unknown_unit.number}
    assert unknown_unit.number not in numbers("In warranty", "1")
    # a value the filter does not know is refused, not a 500 and not "everything"
    response = client.get(f"/admin/ticket/?{filter_arg(app, 'State')}=nonsense")
    assert response.status_code == 200 and "Invalid Filter Value" in response.get_data(
        as_text=True)


def test_search_by_number_serial_and_customer(client, auth, world):
    own = log(world)
    by_site = tickets.open_ticket(world.users["hq"], Report(summary="site only",
                                                            customer_code="C-CAN-1"))
    auth.login("hq")

    def found(term):
        return set(list_numbers(client.get("/admin/ticket/", query_string={"search": term})))
    assert found(own.number) == {own.number}
    assert found(own.number[:8].lower()) >= {own.number}
    assert found("sn-hrb") == {own.number}
    assert found("C-CAN") == {by_site.number}
    assert found("Guangzhou Power") == {by_site.number}
    assert found("nothing-like-it") == set()


def test_export_holds_the_rows_with_their_time_left(client, auth, world):
    ticket = log(world)
    log(world, "guangzhou_manager", serial="SN-CAN-0001")
    auth.login("harbin_manager")
    response = client.get("/admin/ticket/export/csv/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Ticket number", "State", "Time left"]
    assert [r[0] for r in rows[1:]] == [ticket.number]  # scoped: no Guangzhou row
    assert rows[1][1] == "Received, awaiting reply" and "left" in rows[1][2]


def test_no_record_form_creates_or_edits_a_ticket(client, auth, world):
    ticket = log(world)
    auth.login("admin")
    assert client.get("/admin/ticket/new/").status_code == 403
    assert client.get(f"/admin/ticket/edit/?id={ticket.id}").status_code == 403
    assert post(client, "/admin/ticket/delete/", {"id": ticket.id}).status_code == 403
    assert Ticket.select().count() == 1


# -- intake -------------------------------------------------------------------------------------

def intake(client, **fields):
    values = {"serial": "", "customer_code": "", "site": "", "received": "",
              "channel": "phone", "reporter_name": "", "reporter_phone": "",
              "summary": "UPS alarm", "description": "", "product_state": "down", **fields}
    return post(client, "/admin/ticket/intake/", values)


def test_intake_logs_a_ticket_and_opens_its_page(client, auth, world):
    at_distance(world.harbin_site, 320)
    auth.login("harbin_manager")
    form = client.get("/admin/ticket/intake/").get_data(as_text=True)
    received = re.search(r'name="received"[^>]*value="([^"]+)"', form).group(1)
    assert re.search(r'max="' + re.escape(received), form)  # default now, never later
    day = (dt.datetime.now(SHANGHAI) - dt.timedelta(days=1)).date()
    response = intake(client, serial="sn-hrb-0001", received=f"{day}T09:30",
                      reporter_name="Mr Li", reporter_phone="13900000000",
                      channel="wecom", product_state="degraded", description="beeps")
    assert response.status_code == 302, text_of(response)[:2000]
    ticket = Ticket.get()
    assert response.headers["Location"].endswith(f"/admin/ticket/details/?id={ticket.id}")
    received = dt.datetime.combine(day, dt.time(1, 30))  # 09:30 in Shanghai, stored UTC
    assert ticket.received_at == received
    assert (ticket.channel, ticket.product_state, ticket.reporter_name) == (
        "wecom", "degraded", "Mr Li")
    assert ticket.reply_due == received + dt.timedelta(hours=2)
    assert ticket.arrival_due == received + dt.timedelta(hours=12)


def test_intake_by_customer_and_site(client, auth, world):
    auth.login("harbin_manager")
    sites = client.get("/admin/ticket/lookup/sites/?customer=c-hrb-1").get_json()
    assert {"id": str(world.harbin_site.id), "name": "Harbin plant"} in sites
    response = intake(client, customer_code="C-HRB-1", site=str(world.harbin_site.id))
    assert response.status_code == 302
    ticket = Ticket.get()
    assert (ticket.customer_id, ticket.site_id, ticket.unit_id) == (
        world.harbin_customer.id, world.harbin_site.id, None)


@pytest.mark.parametrize("fields, field, message", [
    ({"serial": "NO-SUCH"}, "serial", "No unit with serial number NO-SUCH."),
    ({"serial": "SN-CAN-0001"}, "serial", "No unit with serial number SN-CAN-0001."),
    ({}, "serial", "Give the unit's serial number, or the customer and site."),
    ({"customer_code": "NOPE"}, "customer_code", "No customer with code NOPE."),
    ({"serial": "SN-HRB-0001", "received": "2099-01-01T10:00"}, "received",
     "A fault cannot be received in the future."),
    ({"serial": "SN-HRB-0001", "summary": "   "}, "summary", "A fault report needs a summary."),
])
def test_intake_refusals_are_errors_on_their_field(client, auth, world, fields, field, message):
    auth.login("harbin_manager")
    response = intake(client, **fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = re.search(rf'id="{field}"[^>]*>.*?<div class="invalid-feedback d-block field-error">'
                      rf'([^<]+)</div>', page, re.DOTALL)
    assert error and html.unescape(error.group(1)) == message, text_of(response)[:1500]
    assert Ticket.select().count() == 0


def test_a_site_of_another_customer_is_refused_on_the_site(client, auth, world):
    auth.login("hq")
    response = intake(client, customer_code="C-HRB-1", site=str(world.guangzhou_site.id))
    assert "The site must belong to the customer." in text_of(response)
    assert Ticket.select().count() == 0


def test_serial_lookup_offers_only_the_users_units(client, auth, world):
    make(Unit, serial="SN-HRB-0002", product=world.product, contract=world.harbin_contract,
         site=world.harbin_site)
    auth.login("harbin_manager")
    found = client.get("/admin/ticket/lookup/serials/?q=sn-").get_json()
    assert [u["serial"] for u in found] == ["SN-HRB-0001", "SN-HRB-0002"]
    assert found[0]["label"] == "Harbin Power Works (C-HRB-1)"
    assert client.get("/admin/ticket/lookup/serials/?q=SN-CAN").get_json() == []
    assert client.get("/admin/ticket/lookup/sites/?customer=C-CAN-1").get_json() == [
        {"id": "", "name": "(site not known)"}]


@pytest.mark.parametrize("user", ["viewer", "harbin_engineer"])
def test_who_may_not_log_a_fault_gets_403(client, auth, world, user):
    auth.login(user)
    assert client.get("/admin/ticket/intake/").status_code == 403
    assert intake(client, serial="SN-HRB-0001").status_code == 403
    assert client.get("/admin/ticket/lookup/serials/?q=SN").status_code == 403
    assert Ticket.select().count() == 0
    assert "Log a fault" not in client.get("/admin/ticket/").get_data(as_text=True)


# -- the ticket page ------------------------------------------------------------------------------

def test_the_page_shows_deadlines_reasons_distance_payer_whom_to_send_and_stock(
        client, auth, world):
    from backoffice.services import stock
    stock.receive(TESTS, world.harbin, world.product, 2)
    ticket = log(world, ago=dt.timedelta(minutes=10))
    auth.login("harbin_manager")
    response = client.get(f"/admin/ticket/details/?id={ticket.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = text_of(response)
    received = ticket.received_at.replace(tzinfo=dt.UTC).astimezone(SHANGHAI)
    reply = re.search(r'milestone-reply">.*?</tr>', page, re.DOTALL).group(0)
    arrival = re.search(r'milestone-arrival">.*?</tr>', page, re.DOTALL).group(0)
    assert (received + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M") in reply
    assert "charter v1: reply within 2 h" in reply
    assert (received + dt.timedelta(hours=12)).strftime("%Y-%m-%d %H:%M") in arrival
    assert "charter v1: arrival band 100-500 km" in arrival
    assert "Due (Asia/Shanghai)" in text
    assert "320 km by road, as recorded on the site" in text
    assert "Free of charge" in text and "free service inside warranty" in text
    assert re.search(r'data-engineer="harbin_engineer"', page)  # whom to send
    assert "Harbin office holds 2 of UPS-100." in text
    assert "Logged" in text  # the history
    # the legal steps only: a received ticket is replied to, paused or cancelled
    forms = set(re.findall(r'class="ticket-step step-(\w+)"', page))
    assert forms == {"reply", "pause", "cancel"}


def test_a_replacement_is_a_milestone_met_or_missed_by_days(client, auth, world):
    """The replacement's row among the milestones: its window, what decided it, the
    delivery, and met or missed by how many days (open: days left or overdue)."""
    from backoffice.clock import today
    from backoffice.services import replacements
    ticket = dispatched(world)
    confirmed = today() - dt.timedelta(days=20)
    replacement = replacements.confirm(TESTS, ticket, confirmed_on=confirmed)
    auth.login("harbin_manager")

    def row():
        page = client.get(f"/admin/ticket/details/?id={ticket.id}").get_data(as_text=True)
        rows = re.findall(r'<tr class="milestone milestone-(\w+)">(.*?)</tr>', page, re.DOTALL)
        assert [name for name, _ in rows] == ["reply", "arrival", "replacement"]
        return html.unescape(re.sub(r"(?s)<[^>]+>", " ", rows[-1][1]))
    shown = row()
    assert "overdue 10 day(s)" in shown  # the window ended 10 days ago
    assert "charter v1: replacement 5-10 days after confirmation" in shown
    replacements.ship(TESTS, replacement, serial="SN-NEW-9",
                      shipped_on=confirmed + dt.timedelta(days=8))
    replacements.deliver(TESTS, replacement, delivered_on=confirmed + dt.timedelta(days=13))
    assert "missed by 3 day(s)" in row()
    from backoffice.models import Replacement
    Replacement.update(delivered_on=confirmed + dt.timedelta(days=7)).where(
        Replacement.id == replacement.id).execute()
    assert "met, 3 day(s) early" in row()
    Replacement.update(delivered_on=confirmed + dt.timedelta(days=10)).where(
        Replacement.id == replacement.id).execute()
    assert "met, on the window's last day" in row()


def test_every_step_through_the_page(client, auth, world):
    ticket = log(world)
    engineer = world.users["harbin_engineer"]
    auth.login("harbin_manager")
    page = text_of(step(client, ticket.id, "pause", reason="customer asks to come later"))
    assert "is waiting on the customer" in page
    assert fresh(ticket).state == TicketState.WAITING
    assert "customer asks to come later" in page  # the pause in the history
    step(client, ticket.id, "resume")
    assert fresh(ticket).state == TicketState.RECEIVED
    assert TicketPause.get().ended_at is not None
    step(client, ticket.id, "reply", text="engineer on site by 18:00")
    assert fresh(ticket).reply_text == "engineer on site by 18:00"
    page = step(client, ticket.id, "dispatch", engineer=str(engineer.id)).get_data(as_text=True)
    assert fresh(ticket).engineer_id == engineer.id and fresh(ticket).dispatch_why
    assert "dispatched to harbin_engineer" in html.unescape(page)
    step(client, ticket.id, "arrive")
    assert fresh(ticket).state == TicketState.ON_SITE and fresh(ticket).arrived_at
    step(client, ticket.id, "restore", how="swap")
    assert (fresh(ticket).state, fresh(ticket).restored_how) == (TicketState.RESTORED, "swap")
    step(client, ticket.id, "close")
    assert fresh(ticket).state == TicketState.CLOSED
    step(client, ticket.id, "reopen")
    assert (fresh(ticket).state, fresh(ticket).reopened) == (TicketState.REPLIED, 1)
    page = text_of(step(client, ticket.id, "cancel", reason="customer withdrew"))
    assert fresh(ticket).state == TicketState.CANCELLED
    assert "customer withdrew" in page
    # the history has them all, in words
    for words in ("Waiting on the customer: customer asks to come later", "Received",
                  "Replied", "Dispatched", "On site", "Restored", "Closed", "Cancelled"):
        assert words in page, words


def test_reopening_is_offered_within_the_services_window_only(client, auth, world):
    ticket = dispatched(world)
    for name, args in (("arrive", ()), ("restore", ("repair",)), ("close", ())):
        getattr(tickets, name)(TESTS, ticket, *args)
    auth.login("harbin_manager")

    def offered():
        page = client.get(f"/admin/ticket/details/?id={ticket.id}").get_data(as_text=True)
        return set(re.findall(r'class="ticket-step step-(\w+)"', page))
    assert offered() == {"reopen"}
    late = fresh(ticket).closed_at - dt.timedelta(days=tickets.REOPEN_DAYS + 1)
    Ticket.update(closed_at=late).where(Ticket.id == ticket.id).execute()
    assert offered() == set()  # too late: the service would refuse; log a new fault
    assert "cannot be reopened" in text_of(step(client, ticket.id, "reopen"))
    assert fresh(ticket).state == TicketState.CLOSED


def test_an_illegal_step_is_refused_with_the_services_message(client, auth, world):
    ticket = log(world)
    auth.login("harbin_manager")
    page = text_of(step(client, ticket.id, "arrive"))
    # the states by their names for people, not their stored codes
    assert "A ticket that is Received, awaiting reply cannot become On site." in page
    page = text_of(step(client, ticket.id, "reply", text="  "))
    assert "Say what was promised to the customer." in page
    page = text_of(step(client, ticket.id, "pause", reason=""))
    assert "Give the reason for waiting." in page
    assert fresh(ticket).state == TicketState.RECEIVED and fresh(ticket).version == ticket.version
    assert step(client, ticket.id, "teleport", follow=False).status_code == 404


def test_a_step_needs_the_csrf_token(client, auth, world):
    ticket = log(world)
    auth.login("harbin_manager")
    response = client.post(f"/admin/ticket/step/pause/?id={ticket.id}", data={"reason": "x"})
    assert response.status_code == 400
    assert fresh(ticket).state == TicketState.RECEIVED


# -- office scoping -------------------------------------------------------------------------------

def test_another_offices_ticket_is_a_404_on_every_path(client, auth, world):
    canton = dispatched(world, user="guangzhou_manager", serial="SN-CAN-0001")
    before = fresh(canton)
    auth.login("harbin_manager")
    assert canton.number not in client.get("/admin/ticket/").get_data(as_text=True)
    assert list_numbers(client.get("/admin/ticket/", query_string={"search": canton.number})
                        ) == []
    assert client.get(f"/admin/ticket/details/?id={canton.id}").status_code == 404
    for name, data in (("reply", {"text": "x"}), ("dispatch", {}), ("arrive", {}),
                       ("restore", {"how": "repair"}), ("close", {}), ("reopen", {}),
                       ("pause", {"reason": "x"}), ("resume", {}), ("cancel", {"reason": "x"})):
        assert step(client, canton.id, name, follow=False, **data).status_code == 404, name
    after = fresh(canton)
    assert (after.state, after.version) == (before.state, before.version)


def test_headquarters_work_every_offices_tickets(client, auth, world):
    canton = log(world, "guangzhou_manager", serial="SN-CAN-0001")
    auth.login("hq")
    assert client.get(f"/admin/ticket/details/?id={canton.id}").status_code == 200
    step(client, canton.id, "reply", text="calling back")
    assert fresh(canton).state == TicketState.REPLIED


def test_an_engineer_cannot_change_a_colleagues_ticket(client, auth, world):
    ticket = dispatched(world)
    make_staff("colleague", "engineer", world.harbin)
    auth.login("colleague")
    page = client.get(f"/admin/ticket/details/?id={ticket.id}").get_data(as_text=True)
    assert 'class="ticket-step' not in page  # no step offered on someone else's ticket
    response = step(client, ticket.id, "arrive")
    assert (f"Only the engineer assigned to {ticket.number}, the office and headquarters may "
            "work on it.") in text_of(response)
    after = fresh(ticket)
    assert (after.state, after.arrived_at, after.version) == (
        TicketState.DISPATCHED, None, fresh(ticket).version)
    assert after.version == Ticket.get_by_id(ticket.id).version
    auth.logout()
    auth.login("harbin_engineer")
    step(client, ticket.id, "arrive")
    assert fresh(ticket).state == TicketState.ON_SITE


def test_a_viewer_sees_the_page_without_steps_and_is_refused(client, auth, world):
    ticket = log(world)
    auth.login("viewer")
    page = client.get(f"/admin/ticket/details/?id={ticket.id}").get_data(as_text=True)
    assert 'class="ticket-step' not in page
    assert "Only the engineer assigned" in text_of(step(client, ticket.id, "reply", text="x"))
    assert fresh(ticket).state == TicketState.RECEIVED


# -- both languages -------------------------------------------------------------------------------

@pytest.fixture
def chinese_manager(client, auth, world):
    auth.login("harbin_manager")
    assert post(client, "/language", {"language": "zh_Hans_CN", "next": "/admin/"}
                ).status_code == 302
    return client


def test_the_ticket_screens_are_chinese(chinese_manager, world):
    from tests.test_i18n_screens import data_values, english_left, visible_text
    ticket = log(world, summary="UPS 告警")
    client = chinese_manager
    data = [*data_values(), ticket.number, "UPS 告警", "UPS-100", "SN-HRB-0001"]
    for url in ("/admin/ticket/", f"/admin/ticket/details/?id={ticket.id}",
                "/admin/ticket/intake/"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.get_data(as_text=True))
        assert "退出登录" in text
        assert english_left(text, data) == [], (url, english_left(text, data))
    page = visible_text(client.get(f"/admin/ticket/details/?id={ticket.id}").get_data(
        as_text=True))
    for words in ("明确答复", "工程师到场", "剩余", "公里"):
        assert words in page, words
