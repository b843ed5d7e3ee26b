"""The engineer's phone page (``/field/``): their own open tickets and their milestones,
one tap for each step the ticket's transitions allow them (the reply, the arrival (now),
the restoration, waiting on the customer and resuming), and nothing of anyone else's."""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser

import pytest

from backoffice.clock import today
from backoffice.labels import TicketState
from backoffice.models import Ticket, TicketPause
from backoffice.services import replacements, tickets
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


class _Steps(HTMLParser):
    """A card's step forms as a browser holds them: per step, its action, what it sends
    untouched (hidden inputs, a textarea's text) and its buttons (name, value, words)."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._form = self._textarea = self._button = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        found = re.search(r"\bstep-(\w+)", a.get("class") or "")
        if tag == "form" and found:
            self._form = self.forms[found.group(1)] = {"action": html.unescape(a["action"]),
                                                       "data": {}, "buttons": []}
        elif self._form is None:
            return
        elif tag == "input" and a.get("type") == "hidden":
            self._form["data"][a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("name"):
            raise AssertionError(f"a field to type before the tap: {a}")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form["data"][a["name"]] = ""
        elif tag == "button":
            self._button = [a.get("name"), a.get("value"), ""]
            self._form["buttons"].append(self._button)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        if self._textarea:
            self._form["data"][self._textarea] += data
        elif self._button is not None:
            self._button[2] += data.strip()


def steps_on(card: str) -> dict[str, dict]:
    """Step name -> its form, as the card offers it."""
    reader = _Steps()
    reader.feed(card)
    return reader.forms


def one_tap(client, card: str, step: str, button: int = 0):
    """Tap the step's ``button`` (the n-th), sending only what the page holds."""
    form = steps_on(card)[step]
    name, value, _words = form["buttons"][button]
    data = {**form["data"], **({name: value} if name else {})}
    return client.post(form["action"], data=data)


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
    assert set(steps_on(shown[mine.number])) == {"arrive", "pause"}
    assert "Paused" in shown[waiting.number]
    assert set(steps_on(shown[waiting.number])) == {"resume"}  # nothing else while it waits


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


def in_hands_before_reply(world):
    """A received ticket already assigned to Harbin's engineer (the service assigns at
    dispatch only: a plugin or a later step may do it sooner)."""
    ticket = log(world)
    Ticket.update(engineer=world.users["harbin_engineer"].id).where(
        Ticket.id == ticket.id).execute()
    return fresh(ticket)


def test_the_phone_offers_exactly_the_engineers_legal_steps_one_tap_each(client, auth,
                                                                         world):
    """In each state, the card offers the steps the transitions allow the engineer and no
    other, and each is one tap: its buttons send what the page holds, nothing to type."""
    received = in_hands_before_reply(world)
    on_the_way = dispatched(world)
    on_site = dispatched(world)
    tickets.arrive(TESTS, on_site)
    waiting = dispatched(world)
    tickets.pause(TESTS, waiting, "customer asks to come later")
    auth.login("harbin_engineer")
    shown = cards(client.get("/field/"))
    expected = {received: {"reply", "pause"}, on_the_way: {"arrive", "pause"},
                on_site: {"restore", "pause"}, waiting: {"resume"}}
    for ticket, steps in expected.items():
        offered = steps_on(shown[ticket.number])
        assert set(offered) == steps, (ticket.state, set(offered))
        assert all(form["buttons"] for form in offered.values())
    words = [w for _n, _v, w in steps_on(shown[on_site.number])["pause"]["buttons"]]
    assert words == ["The customer asks to come later", "No access to the site",
                     "Waiting for the customer's parts"]
    # each of them, tapped once, moves its ticket on
    moves = ((received, "reply", 0, TicketState.REPLIED),
             (on_the_way, "arrive", 0, TicketState.ON_SITE),
             (on_site, "restore", 1, TicketState.RESTORED),
             (waiting, "resume", 0, TicketState.DISPATCHED))
    for ticket, step, button, state in moves:
        response = one_tap(client, shown[ticket.number], step, button)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/field/"), step
        assert fresh(ticket).state == state, (step, fresh(ticket).state)
    assert fresh(on_site).restored_how == "swap"


def test_one_tap_stops_the_clock_for_the_customer_and_one_starts_it(client, auth, world):
    ticket = dispatched(world)
    auth.login("harbin_engineer")
    card = cards(client.get("/field/"))[ticket.number]
    one_tap(client, card, "pause", button=1)  # no access to the site
    after = fresh(ticket)
    assert (after.state, after.pause_reason) == (TicketState.WAITING, "No access to the site")
    page = client.get("/field/")
    assert "is waiting on the customer: the clock is stopped" in text_of(page)
    card = cards(page)[ticket.number]
    assert set(steps_on(card)) == {"resume"}
    one_tap(client, card, "resume")
    after = fresh(ticket)
    assert after.state == TicketState.DISPATCHED and after.paused_since is None
    assert TicketPause.get(TicketPause.ticket == ticket.id).ended_at is not None


def test_the_card_shows_the_milestones_a_replacement_with_them(client, auth, world):
    ticket = dispatched(world)
    confirmed = today() - dt.timedelta(days=12)
    replacements.confirm(TESTS, ticket, confirmed_on=confirmed)  # due 10 days after
    auth.login("harbin_engineer")
    card = cards(client.get("/field/"))[ticket.number]
    labels = re.findall(r"<dt>([^<]+)</dt>", card)
    assert labels[-3:] == ["Definite reply", "Engineer on site", "Replacement on site"]
    replacement = re.search(r'milestone-replacement">(.*?)</dd>', card, re.DOTALL).group(1)
    assert "overdue 2 day(s)" in replacement and "due-overdue" in replacement
    reply = re.search(r'milestone-reply">(.*?)</dd>', card, re.DOTALL).group(1)
    assert "met, " in reply and "due-met" in reply


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
    for words in ("我的未结工单", "我已到场（现在）", "客户", "现场", "退出登录", "无法进入现场",
                  "明确答复"):
        assert words in text, words
    assert "My open tickets" not in text and "I am on site" not in text
    assert "No access to the site" not in text
