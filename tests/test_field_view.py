"""The engineer's phone page (``/field/``): their own open tickets, one tap each for the
reply, the arrival (now) and the restoration, and nothing of anyone else's."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from backoffice.labels import TicketState
from backoffice.models import Ticket
from backoffice.services import tickets
from tests.factories import TESTS, make_staff
from tests.test_admin_helpers import post
from tests.test_admin_tickets import dispatched, fresh, log, text_of


def cards(response) -> dict[str, str]:
    """Ticket number -> its card's HTML."""
    page = response.get_data(as_text=True)
    return dict(re.findall(r'<article class="field-card" data-ticket="([^"]+)".*?>(.*?)</article>',
                           page, re.DOTALL))


def tap(client, ticket, step, **data):
    return post(client, f"/admin/ticket/step/{step}/?id={ticket.id}", {"back": "field", **data})


def utcnow():
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_an_engineer_sees_only_their_own_open_tickets(client, auth, world):
    colleague = make_staff("colleague", "engineer", world.harbin)
    mine = dispatched(world)
    waiting = dispatched(world)
    tickets.pause(TESTS, waiting, "no access to the site")
    theirs = dispatched(world, engineer="colleague")
    unassigned = log(world)
    done = dispatched(world)
    tickets.arrive(TESTS, done)
    tickets.restore(TESTS, done, "repair")
    assert colleague.id != world.users["harbin_engineer"].id
    auth.login("harbin_engineer")
    shown = cards(client.get("/field/"))
    assert set(shown) == {mine.number, waiting.number}
    assert theirs.number not in shown and unassigned.number not in shown
    assert done.number not in shown
    assert 'step-arrive' in shown[mine.number]
    assert "Paused" in shown[waiting.number] and "field-step" not in shown[waiting.number]


def test_one_tap_records_the_arrival_now(client, auth, world):
    ticket = dispatched(world)
    auth.login("harbin_engineer")
    before = utcnow().replace(microsecond=0)
    response = tap(client, ticket, "arrive")
    assert response.status_code == 302 and response.headers["Location"].endswith("/field/")
    after = fresh(ticket)
    assert after.state == TicketState.ON_SITE
    assert before <= after.arrived_at <= utcnow()
    page = client.get("/field/")
    assert "Arrival on site recorded" in text_of(page)
    assert re.findall(r'name="how" value="(\w+)"', cards(page)[ticket.number]) == [
        "repair", "swap", "temporary"]


def test_one_tap_records_the_restoration(client, auth, world):
    ticket = dispatched(world)
    tickets.arrive(TESTS, ticket)
    auth.login("harbin_engineer")
    tap(client, ticket, "restore", how="temporary")
    after = fresh(ticket)
    assert (after.state, after.restored_how) == (TicketState.RESTORED, "temporary")
    page = client.get("/field/")
    assert ticket.number not in cards(page)  # restored: no longer open in the field
    assert "Restoration recorded" in text_of(page)


def test_one_tap_records_the_reply_with_the_promise_written_for_them(client, auth, world):
    ticket = log(world)
    # a ticket in the engineer's hands before its reply (the service's steps only assign
    # at dispatch, after the reply; a plugin or a later step may do it sooner)
    Ticket.update(engineer=world.users["harbin_engineer"].id).where(
        Ticket.id == ticket.id).execute()
    auth.login("harbin_engineer")
    card = cards(client.get("/field/"))[ticket.number]
    promise = re.search(r'<textarea[^>]*name="text"[^>]*>([^<]*)</textarea>', card).group(1)
    assert promise.startswith("Engineer harbin_engineer is on the way and will be on site by ")
    tap(client, ticket, "reply", text=promise)
    after = fresh(ticket)
    assert after.state == TicketState.REPLIED and after.reply_text == promise
    assert after.replied_by_id == world.users["harbin_engineer"].id


def test_a_colleagues_ticket_is_refused_and_left_alone(client, auth, world):
    ticket = dispatched(world)
    make_staff("colleague", "engineer", world.harbin)
    auth.login("colleague")
    assert ticket.number not in cards(client.get("/field/"))
    response = tap(client, ticket, "arrive")
    assert response.headers["Location"].endswith("/field/")
    assert "Only the engineer assigned to" in text_of(client.get("/field/"))
    after = fresh(ticket)
    assert (after.state, after.arrived_at, after.version) == (TicketState.DISPATCHED, None,
                                                              ticket.version)


def test_another_offices_ticket_is_a_404_unless_it_is_assigned_to_you(client, auth, world):
    canton = dispatched(world, user="guangzhou_manager", serial="SN-CAN-0001")
    make_staff("harbin_two", "engineer", world.harbin)
    auth.login("harbin_two")  # a Harbin engineer: Guangzhou's ticket is not there at all
    assert tap(client, canton, "arrive").status_code == 404
    assert client.get(f"/admin/ticket/details/?id={canton.id}").status_code == 404
    assert fresh(canton).state == TicketState.DISPATCHED
    auth.logout()
    auth.login("harbin_engineer")  # sent to Guangzhou's site: it is theirs to work
    assert canton.number in cards(client.get("/field/"))
    tap(client, canton, "arrive")
    assert fresh(canton).state == TicketState.ON_SITE


@pytest.mark.parametrize("user", ["harbin_manager", "hq", "viewer"])
def test_the_field_page_is_for_engineers(client, auth, world, user):
    auth.login(user)
    assert client.get("/field/").status_code == 403


def test_without_login_the_field_page_asks_to_log_in(client, world):
    response = client.get("/field/")
    assert response.status_code == 302 and "/login?next=/field/" in response.headers["Location"]


def test_the_page_is_made_for_a_phone_in_both_languages(client, auth, world):
    dispatched(world)
    auth.login("harbin_engineer")
    page = client.get("/field/").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1.0"' in page
    assert "<table" not in page  # cards, not a wide table
    assert 'class="btn btn-primary btn-block field-tap"' in page
    assert post(client, "/language", {"language": "zh_Hans_CN", "next": "/field/"}
                ).status_code == 302
    text = text_of(client.get("/field/"))
    for words in ("我的未结工单", "我已到场（现在）", "客户", "现场", "退出登录"):
        assert words in text, words
    assert "My open tickets" not in text and "I am on site" not in text
