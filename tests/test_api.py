"""The JSON API: tokens, scoping and roles as in the admin, every step of a ticket, JSON errors.

Every test runs on SQLite and PostgreSQL (the ``app`` fixture). Requests carry
``Authorization: Bearer <token>``; CSRF protection stays on in these apps (the
API's blueprints are exempt from it, the admin's forms are not).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from backoffice.access import AccessDenied
from backoffice.models import ApiToken, AuditEntry, Staff, Ticket
from backoffice.services import tickets as ticket_service
from backoffice.services import tokens
from backoffice.services.tickets import Report
from tests.conftest import csrf_token
from tests.factories import TESTS, make_staff

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
STEPS = ("reply", "dispatch", "arrive", "restore", "close", "reopen", "cancel", "pause",
         "resume")


def token_of(staff) -> str:
    return tokens.create(staff, "tests", staff).secret


def bearer(staff_or_secret) -> dict:
    secret = staff_or_secret if isinstance(staff_or_secret, str) else token_of(staff_or_secret)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def as_user(client, world):
    """``as_user("harbin_manager").post(url, json=...)``: the test client with that user's
    (or that Staff's) token."""
    class Caller:
        def __init__(self, headers):
            self.headers = headers

        def __getattr__(self, method):
            def call(url, **kwargs):
                return getattr(client, method)(url, headers={**self.headers,
                                                             **kwargs.pop("headers", {})},
                                               **kwargs)
            return call
    made = {}

    def caller(who):
        staff = world.users[who] if isinstance(who, str) else who
        if staff.id not in made:
            made[staff.id] = Caller(bearer(staff))
        return made[staff.id]
    return caller


def opened(world):
    """A ticket logged through the service (not the API) for Harbin's unit."""
    return ticket_service.open_ticket(world.users["harbin_manager"],
                                      Report(summary="UPS alarm", serial="SN-HRB-0001"))


# -- open, read, list, move -------------------------------------------------------------------

def test_a_call_centre_opens_a_ticket_and_reads_it_back(as_user, world):
    received = (dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=10)).replace(microsecond=0)
    response = as_user("harbin_manager").post("/api/v1/tickets", json={
        "serial": "sn-hrb-0001", "received": received.isoformat(), "channel": "phone",
        "reporter_name": "Wang Wei", "reporter_phone": "13800000001",
        "summary": "UPS on bypass", "description": "alarm 0x31", "product_state": "degraded"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    ticket = Ticket.get_by_id(body["id"])
    assert response.headers["Location"].endswith(f"/api/v1/tickets/{ticket.id}")
    assert body["number"] == ticket.number and body["number"].startswith("HRB-")
    assert body["state"] == "received" and body["channel"] == "phone"
    assert body["unit"] == {"serial": "SN-HRB-0001", "product": "UPS-100"}
    assert body["office"]["code"] == "HRB" and body["customer"]["code"] == "C-HRB-1"
    assert body["coverage"]["covered"] is True and body["coverage"]["charge"] == "free"
    reply = body["milestones"][0]
    assert reply["milestone"] == "reply" and reply["decided_by"] == ticket.reply_due_by
    assert dt.datetime.fromisoformat(reply["due"]) == received + dt.timedelta(hours=2)
    assert dt.datetime.fromisoformat(body["received_at"]) == received
    assert body["received_at"].endswith("+08:00")  # the service center's zone
    assert (ticket.reporter_name, ticket.product_state) == ("Wang Wei", "degraded")
    read = as_user("harbin_manager").get(f"/api/v1/tickets/{ticket.id}")
    assert read.status_code == 200 and read.get_json() == body


def test_by_customer_and_site_when_the_serial_is_unknown(as_user, world):
    response = as_user("harbin_manager").post("/api/v1/tickets", json={
        "customer_code": "c-hrb-1", "site_id": world.harbin_site.id, "summary": "no power"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["unit"] is None and body["site"]["id"] == world.harbin_site.id
    assert body["channel"] == "api"  # the API's default


def test_a_ticket_moves_through_every_state(as_user, world):
    manager, engineer = as_user("harbin_manager"), as_user("harbin_engineer")
    ticket = opened(world)
    url = f"/api/v1/tickets/{ticket.id}"

    def step(who, name, **body):
        response = who.post(f"{url}/{name}", json=body)
        assert response.status_code == 200, (name, response.get_json())
        return response.get_json()
    assert step(manager, "reply", text="engineer on the way")["state"] == "replied"
    body = step(manager, "pause", reason="customer asks to come later")
    assert body["state"] == "waiting" and body["pause"]["reason"].startswith("customer")
    assert step(manager, "resume")["state"] == "replied"
    body = step(manager, "dispatch", engineer="harbin_engineer", why="nearest")
    assert body["dispatch"]["engineer"] == "harbin_engineer" and body["state"] == "dispatched"
    assert step(engineer, "arrive")["arrived_at"] is not None
    body = step(engineer, "restore", how="swap")
    assert body["restored"]["how"] == "swap" and body["state"] == "restored"
    assert step(manager, "close")["state"] == "closed"
    body = step(manager, "reopen")
    assert body["state"] == "replied" and body["reopened"] == 1
    body = step(manager, "cancel", reason="duplicate report")
    assert body["state"] == "cancelled" and body["cancel_reason"] == "duplicate report"
    stored = Ticket.get_by_id(ticket.id)
    assert (stored.state, stored.reply_text, stored.restored_how) == ("cancelled",
                                                                      "engineer on the way", "")
    assert [m["met"] for m in body["milestones"]] == [True, True]


def test_a_replacement_is_among_the_milestones_met_or_missed(as_user, world):
    """A late replacement is a missed milestone like any other: in the read and the list,
    with its window, met or missed, and by how much (whole days)."""
    from backoffice.clock import today
    from backoffice.services import replacements
    ticket = opened(world)
    confirmed = today() - dt.timedelta(days=20)
    late = replacements.confirm(TESTS, ticket, confirmed_on=confirmed)
    replacements.ship(TESTS, late, serial="SN-NEW-7", shipped_on=confirmed + dt.timedelta(days=8))
    replacements.deliver(TESTS, late, delivered_on=confirmed + dt.timedelta(days=13))
    manager = as_user("harbin_manager")
    body = manager.get(f"/api/v1/tickets/{ticket.id}").get_json()
    assert [m["milestone"] for m in body["milestones"]] == ["reply", "arrival", "replacement"]
    assert [m["window"] for m in body["milestones"][:2]] == [None, None]
    replacement = body["milestones"][2]
    latest = confirmed + dt.timedelta(days=10)
    assert replacement["window"] == {"earliest": str(confirmed + dt.timedelta(days=5)),
                                     "latest": str(latest)}
    assert dt.datetime.fromisoformat(replacement["due"]) == dt.datetime.combine(
        latest, dt.time(0), tzinfo=SHANGHAI)
    assert dt.datetime.fromisoformat(replacement["done"]).date() == latest + dt.timedelta(days=3)
    assert replacement["met"] is False and replacement["margin_seconds"] == -3 * 86400
    assert replacement["decided_by"] == "charter v1: replacement 5-10 days after confirmation"
    assert replacement["explanation"] == replacement["decided_by"]
    listed = manager.get("/api/v1/tickets").get_json()["items"]
    assert [m["milestone"] for m in listed[0]["milestones"]] == [
        "reply", "arrival", "replacement"]
    assert listed[0]["milestones"][2] == replacement


def test_the_list_filters_pages_and_is_scoped(as_user, world):
    mine = [opened(world) for _ in range(3)]
    ticket_service.open_ticket(world.users["guangzhou_manager"],
                               Report(summary="alarm", serial="SN-CAN-0001"))
    ticket_service.reply(world.users["harbin_manager"], mine[0], "coming")
    manager = as_user("harbin_manager")
    listed = manager.get("/api/v1/tickets").get_json()
    assert [t["id"] for t in listed["items"]] == [t.id for t in reversed(mine)]
    assert listed["next_cursor"] is None
    first = manager.get("/api/v1/tickets?limit=2").get_json()
    assert [t["id"] for t in first["items"]] == [mine[2].id, mine[1].id]
    second = manager.get(f"/api/v1/tickets?limit=2&cursor={first['next_cursor']}").get_json()
    assert [t["id"] for t in second["items"]] == [mine[0].id] and second["next_cursor"] is None
    exactly = manager.get("/api/v1/tickets?limit=3").get_json()
    assert len(exactly["items"]) == 3 and exactly["next_cursor"] is None  # no empty last page
    replied = manager.get("/api/v1/tickets?state=replied").get_json()["items"]
    assert [t["id"] for t in replied] == [mine[0].id]
    both = manager.get("/api/v1/tickets?state=replied&state=received").get_json()["items"]
    assert len(both) == 3
    assert manager.get("/api/v1/tickets?office=CAN").get_json()["items"] == []
    hq = as_user("hq").get("/api/v1/tickets?office=can").get_json()["items"]
    assert [t["office"]["code"] for t in hq] == ["CAN"]
    by_number = manager.get(f"/api/v1/tickets?number={mine[1].number.lower()}").get_json()
    assert [t["id"] for t in by_number["items"]] == [mine[1].id]


def test_due_before_lists_the_tickets_whose_next_deadline_comes_first(as_user, world):
    ticket = opened(world)
    due = ticket.next_due.replace(tzinfo=dt.UTC)
    manager = as_user("harbin_manager")
    after = (due + dt.timedelta(minutes=1)).isoformat()
    before = (due - dt.timedelta(minutes=1)).isoformat()
    assert [t["id"] for t in manager.get("/api/v1/tickets", query_string={
        "due_before": after}).get_json()["items"]] == [ticket.id]
    assert manager.get("/api/v1/tickets", query_string={
        "due_before": before}).get_json()["items"] == []


def test_a_unit_and_its_warranty_on_a_day(as_user, world):
    caller = as_user("harbin_engineer")
    unit = caller.get("/api/v1/units/sn-hrb-0001")
    assert unit.status_code == 200
    body = unit.get_json()
    assert body["product"]["model"] == "UPS-100" and body["customer"]["code"] == "C-HRB-1"
    assert body["warranty_start"] == "2025-02-10" and body["warranty_end"] == "2027-02-09"
    inside = caller.get("/api/v1/units/SN-HRB-0001/warranty?on=2026-06-01").get_json()
    assert inside["covered"] is True and inside["charge"] == "free"
    assert inside["decided_by"].startswith("charter") and inside["explanation"]
    after = caller.get("/api/v1/units/SN-HRB-0001/warranty?on=2028-01-01").get_json()
    assert after["covered"] is False and after["on"] == "2028-01-01"
    assert caller.get("/api/v1/units/SN-CAN-0001").status_code == 404  # another office's
    assert caller.get("/api/v1/units/SN-CAN-0001/warranty").status_code == 404


def test_me_says_who_the_token_acts_as(client, world):
    secret = tokens.create(world.users["harbin_engineer"], "field app").secret
    body = client.get("/api/v1/me", headers=bearer(secret)).get_json()
    assert body == {"username": "harbin_engineer", "name": "harbin_engineer",
                    "role": "engineer", "office": "HRB", "token": "field app"}


# -- authentication ---------------------------------------------------------------------------

def test_a_session_cookie_alone_is_refused(client, auth, world):
    assert auth.login("harbin_manager").status_code == 200
    assert client.get("/admin/").status_code == 200  # the browser is logged in
    for response in (client.get("/api/v1/tickets"),
                     client.post("/api/v1/tickets", json={"serial": "SN-HRB-0001",
                                                          "summary": "x"})):
        assert response.status_code == 401
        assert response.get_json()["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert Ticket.select().count() == 0


def test_the_cookie_never_decides_who_acts(client, auth, world):
    """Logged in to the admin as headquarters, with an office manager's token: the token
    decides (Guangzhou's unit stays out of reach)."""
    auth.login("hq")
    response = client.post("/api/v1/tickets", headers=bearer(world.users["harbin_manager"]),
                           json={"serial": "SN-CAN-0001", "summary": "x"})
    assert response.status_code == 422 and response.get_json()["code"] == "not_found"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic YWRtaW46eA==",
                                    "Bearer bo_not-a-token", "Bearer not-even-prefixed",
                                    "Bearer " + "x" * 500])
def test_no_or_a_wrong_token_is_a_401(client, world, header):
    response = client.get("/api/v1/tickets", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.get_json()["code"] in ("unauthenticated", "invalid_token")


def test_a_revoked_token_is_refused(client, world):
    manager = world.users["harbin_manager"]
    made = tokens.create(manager, "crm")
    assert client.get("/api/v1/tickets", headers=bearer(made.secret)).status_code == 200
    tokens.revoke(manager, made.token)
    response = client.get("/api/v1/tickets", headers=bearer(made.secret))
    assert response.status_code == 401 and response.get_json()["code"] == "invalid_token"


def test_a_deactivated_accounts_token_is_refused(client, world):
    from backoffice.services import users
    secret = token_of(world.users["harbin_engineer"])
    users.set_active(TESTS, Staff.get_by_id(world.users["harbin_engineer"].id), False)
    assert client.get("/api/v1/tickets", headers=bearer(secret)).status_code == 401


def test_csrf_stays_on_for_the_admin_and_off_for_the_api(app, client, auth, world):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    auth.login("admin")
    refused = client.post("/admin/api_tokens/new", data={"name": "no csrf token"})
    assert refused.status_code == 400 and ApiToken.select().count() == 0
    response = client.post("/api/v1/tickets", headers=bearer(world.users["harbin_manager"]),
                           json={"serial": "SN-HRB-0001", "summary": "x"})
    assert response.status_code == 201  # no CSRF token, and none needed


def test_the_last_use_is_recorded(client, world):
    made = tokens.create(world.users["harbin_manager"], "crm")
    assert made.token.last_used_at is None
    client.get("/api/v1/tickets", headers=bearer(made.secret))
    assert ApiToken.get_by_id(made.token.id).last_used_at is not None


# -- scoping and roles --------------------------------------------------------------------------

BODIES = {"reply": {"text": "x"}, "dispatch": {"engineer": "harbin_engineer"},
          "restore": {"how": "repair"}, "cancel": {"reason": "x"}, "pause": {"reason": "x"}}


@pytest.mark.parametrize("route", ["read", *STEPS])
def test_another_offices_ticket_is_a_404_through_every_route(as_user, world, route):
    ticket = opened(world)
    url = f"/api/v1/tickets/{ticket.id}"
    caller = as_user("guangzhou_manager")
    response = caller.get(url) if route == "read" else \
        caller.post(f"{url}/{route}", json=BODIES.get(route, {}))
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
    missing = caller.get("/api/v1/tickets/999999") if route == "read" else \
        caller.post(f"/api/v1/tickets/999999/{route}", json=BODIES.get(route, {}))
    assert missing.get_json() == response.get_json() | {
        "message": missing.get_json()["message"]}  # the same answer as a missing ticket
    assert Ticket.get_by_id(ticket.id).version == ticket.version


def test_another_offices_tickets_are_not_listed(as_user, world):
    opened(world)
    assert as_user("guangzhou_manager").get("/api/v1/tickets").get_json()["items"] == []


def test_an_engineer_cannot_move_a_colleagues_ticket(as_user, world):
    ticket = opened(world)
    manager = world.users["harbin_manager"]
    ticket_service.reply(manager, ticket, "coming")
    ticket_service.dispatch(manager, ticket, world.users["harbin_engineer"])
    colleague = as_user(make_staff("colleague", "engineer", world.harbin))
    response = colleague.post(f"/api/v1/tickets/{ticket.id}/arrive", json={})
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == "forbidden" and ticket.number in body["message"]
    assert colleague.get(f"/api/v1/tickets/{ticket.id}").status_code == 200  # reading is fine
    assert as_user("harbin_engineer").post(f"/api/v1/tickets/{ticket.id}/arrive",
                                           json={}).status_code == 200


def test_a_viewer_reads_but_cannot_open(as_user, world):
    response = as_user("viewer").post("/api/v1/tickets", json={"serial": "SN-HRB-0001",
                                                               "summary": "x"})
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"
    assert as_user("viewer").get("/api/v1/tickets").status_code == 200


# -- errors: JSON, stable codes, field names -------------------------------------------------

def test_a_missing_or_unknown_field_is_named(as_user, world):
    response = as_user("harbin_manager").post("/api/v1/tickets", json={
        "serial": "SN-HRB-0001", "sumary": "typo"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid" and set(body["errors"]) == {"summary", "sumary"}
    assert all(isinstance(m, str) for m in body["errors"]["summary"])


def test_an_unknown_serial_is_named(as_user, world):
    response = as_user("harbin_manager").post("/api/v1/tickets", json={
        "serial": "SN-NOPE", "summary": "x"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "not_found" and "SN-NOPE" in body["errors"]["serial"][0]
    assert body["message"] == body["errors"]["serial"][0]


def test_a_future_receipt_is_named(as_user, world):
    future = (dt.datetime.now(SHANGHAI) + dt.timedelta(hours=2)).isoformat()
    response = as_user("harbin_manager").post("/api/v1/tickets", json={
        "serial": "SN-HRB-0001", "summary": "x", "received": future})
    assert response.status_code == 422
    assert response.get_json()["code"] == "in_future"
    assert list(response.get_json()["errors"]) == ["received"]


def test_a_services_field_is_named_as_the_route_names_it(as_user, world):
    ticket = opened(world)
    response = as_user("harbin_manager").post(f"/api/v1/tickets/{ticket.id}/reply",
                                              json={"text": "   "})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "required" and list(body["errors"]) == ["text"]  # not reply_text
    response = as_user("harbin_manager").post(f"/api/v1/tickets/{ticket.id}/dispatch",
                                              json={"engineer": "nobody"})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["engineer"]


def test_an_illegal_step_is_a_409(as_user, world):
    ticket = opened(world)
    response = as_user("harbin_manager").post(f"/api/v1/tickets/{ticket.id}/close")
    assert response.status_code == 409
    assert response.get_json()["code"] == "illegal_transition"
    assert "state" in response.get_json()["errors"]


def test_a_reply_is_no_reopening_and_a_reopening_no_reply(as_user, world):
    """Both lead to "replied": each only from its own state."""
    manager = as_user("harbin_manager")
    fresh = opened(world)
    response = manager.post(f"/api/v1/tickets/{fresh.id}/reopen")
    assert response.status_code == 409 and response.get_json()["code"] == "illegal_transition"
    closed = opened(world)
    user = world.users["harbin_manager"]
    ticket_service.reply(user, closed, "coming")
    ticket_service.dispatch(user, closed, world.users["harbin_engineer"])
    ticket_service.arrive(user, closed)
    ticket_service.restore(user, closed, "repair")
    ticket_service.close(user, closed)
    response = manager.post(f"/api/v1/tickets/{closed.id}/reply", json={"text": "again"})
    assert response.status_code == 409 and response.get_json()["code"] == "illegal_transition"
    assert Ticket.get_by_id(fresh.id).state == "received"
    assert Ticket.get_by_id(closed.id).state == "closed"


def test_a_stale_version_is_a_409(as_user, world):
    ticket = opened(world)
    manager = as_user("harbin_manager")
    url = f"/api/v1/tickets/{ticket.id}"
    seen = manager.get(url).get_json()["version"]
    assert manager.post(f"{url}/reply", json={"text": "a", "version": seen}).status_code == 200
    response = manager.post(f"{url}/pause", json={"reason": "x", "version": seen})
    assert response.status_code == 409 and response.get_json()["code"] == "stale"
    assert Ticket.get_by_id(ticket.id).state == "replied"


@pytest.mark.parametrize("body, field", [
    ({"serial": "SN-HRB-0001", "summary": "x" * 201}, "summary"),
    ({"serial": "SN\x00", "summary": "x"}, "serial"),
    ({"serial": "\ud800", "summary": "x"}, "serial"),
    ({"customer_code": "C-HRB-1", "site_id": 2**40, "summary": "x"}, "site_id"),
    ({"customer_code": "C-HRB-1", "site_id": "1", "summary": "x"}, "site_id"),
    ({"serial": "SN-HRB-0001", "summary": "x", "received": "yesterday"}, "received"),
    ({"serial": "SN-HRB-0001", "summary": "x", "received": "0001-01-01T00:00:00+14:00"},
     "received"),
    ({"serial": "SN-HRB-0001", "summary": "x", "channel": "fax"}, "channel"),
    ({"serial": 17, "summary": "x"}, "serial"),
])
def test_what_the_database_cannot_hold_is_a_422_naming_the_field(as_user, world, body, field):
    response = as_user("harbin_manager").post("/api/v1/tickets", json=body)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [field]


def test_a_body_that_is_not_json_is_a_400(as_user, world):
    response = as_user("harbin_manager").post("/api/v1/tickets", data="{not json",
                                              content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_request"
    assert list(response.get_json()["errors"]) == ["body"]
    listed = as_user("harbin_manager").post("/api/v1/tickets", json=["a", "list"])
    assert listed.status_code == 422 and list(listed.get_json()["errors"]) == ["body"]


@pytest.mark.parametrize("method, url, status", [
    ("get", "/api/v1/nowhere", 404), ("get", "/api/v1/tickets/0", 404),
    ("get", "/api/v1/tickets/99999999999", 404), ("get", "/api/v1/tickets/abc", 404),
    ("delete", "/api/v1/tickets", 405), ("put", "/api/v1/tickets/1/reply", 405),
    ("get", "/api/v1/tickets?limit=0", 422), ("get", "/api/v1/tickets?cursor=x1", 422),
    ("get", "/api/v1/tickets?state=lost", 422), ("get", "/api/v1/tickets?due_before=soon", 422),
    ("get", "/api/v1/units/SN-HRB-0001/warranty?on=2026-13-01", 422),
])
def test_every_error_is_json_never_a_page(as_user, world, method, url, status):
    response = getattr(as_user("harbin_manager"), method)(url)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "message", "errors"} and body["message"]
    if status == 405:
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]


def test_messages_follow_the_token_owners_language(client, world):
    from backoffice.services import users
    manager = Staff.get_by_id(world.users["harbin_manager"].id)
    users.set_language(manager, "zh_Hans_CN")
    response = client.get("/api/v1/tickets/424242", headers=bearer(manager))
    assert response.get_json()["code"] == "not_found"  # the code never changes
    assert "424242" in response.get_json()["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.get_json()["message"])
    ticket = client.get(f"/api/v1/tickets/{opened(world).id}", headers=bearer(manager))
    reply = ticket.get_json()["milestones"][0]
    assert reply["decided_by"] == "charter v1: reply within 2 h"  # as stored, in any language
    assert "2 小时" in reply["explanation"]  # what decided it, in the reader's language


def test_explanations_in_english(as_user, world):
    body = as_user("harbin_manager").get(f"/api/v1/tickets/{opened(world).id}").get_json()
    assert [m["explanation"] for m in body["milestones"]] == [
        "charter v1: reply within 2 h", "charter v1: arrival band 0-100 km"]
    assert body["coverage"]["explanation"] == "charter v1: free service inside warranty"


# -- tokens: the service and the screen ---------------------------------------------------------

def test_only_the_hash_is_stored_and_the_secret_is_shown_once(world):
    manager = world.users["harbin_manager"]
    made = tokens.create(manager, " crm ")
    assert made.secret.startswith("bo_") and len(made.secret) == 46
    row = ApiToken.get_by_id(made.token.id)
    assert row.name == "crm" and row.token_hash == tokens.digest(made.secret)
    assert made.secret not in row.token_hash
    audit = AuditEntry.get((AuditEntry.table == "api_token") & (AuditEntry.action == "create"))
    assert made.secret not in audit.changes and row.token_hash not in audit.changes
    assert audit.actor == "harbin_manager" and audit.office == world.harbin.id
    assert tokens.authenticate(made.secret)[0].id == manager.id


def test_who_may_make_and_revoke_whose_token(world):
    manager, engineer = world.users["harbin_manager"], world.users["harbin_engineer"]
    with pytest.raises(AccessDenied):
        tokens.create(manager, "on behalf", engineer)  # a manager does not manage accounts
    made = tokens.create(world.users["admin"], "for the engineer", engineer)
    assert made.token.staff_id == engineer.id
    with pytest.raises(AccessDenied):
        tokens.revoke(manager, made.token)
    assert tokens.tokens_of(manager).count() == 0
    assert [t.id for t in tokens.tokens_of(engineer)] == [made.token.id]
    tokens.revoke(engineer, made.token)  # their own
    entry = AuditEntry.get((AuditEntry.table == "api_token") & (AuditEntry.action == "update"))
    assert entry.actor == "harbin_engineer" and "revoked_at" in entry.changes
    with pytest.raises(Exception) as info:
        tokens.revoke(world.users["admin"], ApiToken.get_by_id(made.token.id))
    assert info.value.code == "unchanged"


def test_the_screen_shows_the_secret_once_and_revokes(client, auth, world):
    auth.login("harbin_engineer")
    page = client.get("/admin/api_tokens/")
    assert page.status_code == 200 and "username" not in page.get_data(as_text=True)
    made = client.post("/admin/api_tokens/new", data={
        "name": "field app", "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert made.status_code == 201
    html = made.get_data(as_text=True)
    token = ApiToken.get(ApiToken.name == "field app")
    secret = html.split('class="api-token-value">', 1)[1].split("<", 1)[0]
    assert tokens.digest(secret) == token.token_hash
    assert made.headers["Cache-Control"] == "no-store"
    again = client.get("/admin/api_tokens/").get_data(as_text=True)
    assert secret not in again and "field app" in again
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    revoked = client.post(f"/admin/api_tokens/{token.id}/revoke",
                          data={"csrf_token": csrf_token(again)}, follow_redirects=True)
    assert revoked.status_code == 200
    assert ApiToken.get_by_id(token.id).revoked_at is not None
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_the_screen_refuses_someone_elses_token_and_lets_an_admin_make_one(client, auth,
                                                                             world):
    theirs = tokens.create(world.users["harbin_manager"], "crm").token
    auth.login("harbin_engineer")
    page = client.get("/admin/api_tokens/").get_data(as_text=True)
    assert "crm" not in page
    response = client.post(f"/admin/api_tokens/{theirs.id}/revoke",
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404
    assert ApiToken.get_by_id(theirs.id).revoked_at is None
    auth.logout()
    auth.login("admin")
    page = client.get("/admin/api_tokens/").get_data(as_text=True)
    assert "crm" in page and "harbin_manager" in page
    made = client.post("/admin/api_tokens/new", data={
        "name": "erp", "username": "harbin_engineer", "csrf_token": csrf_token(page)})
    assert made.status_code == 201
    assert ApiToken.get(ApiToken.name == "erp").staff_id == world.users["harbin_engineer"].id


# -- the document and the docs ------------------------------------------------------------------

def test_the_openapi_document_describes_every_route_and_the_token(client, world):
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    assert {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/units/{serial}",
            "/api/v1/units/{serial}/warranty", "/api/v1/me"} <= set(paths)
    assert {f"/api/v1/tickets/{{ticket_id}}/{step}" for step in STEPS} <= set(paths)
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearer": []}]
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert error["code"]["type"] == "string" and "errors" in error
    report = spec["components"]["schemas"]["Report"]
    assert report["properties"]["summary"]["maxLength"] == 200
    assert "summary" in report["required"]


def test_flask_smorests_command_group_is_not_added(app):
    assert "openapi" not in app.cli.commands  # the document is served; no extra command


def test_the_interactive_docs_load_nothing_from_elsewhere(app, client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert '"validatorUrl": null' in html
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f"/static/vendor/swagger-ui/{name}" in html
        asset = client.get(f"/static/vendor/swagger-ui/{name}")
        assert asset.status_code == 200 and len(asset.data) > 10_000
        asset.close()
    licence = client.get("/static/vendor/swagger-ui/LICENSE")
    assert b"Apache License" in licence.data
    licence.close()

