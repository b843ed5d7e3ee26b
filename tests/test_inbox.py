"""What people see of the clock watcher: the bell, the inbox, the deliveries and the robots.

Notices are made as the watcher makes them (``services.sla.run_pass`` at a moment past
the ladder's steps) for tickets logged through the intake service; every screen is
read through the test client, as a browser would, with the CSRF token on every POST.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from backoffice.labels import DeliveryState, NoticeLevel
from backoffice.models import Delivery, GroupRobot, Notice, Staff
from backoffice.services import sla
from backoffice.services import tickets as ticket_service
from backoffice.services.tickets import Report
from tests.conftest import csrf_token
from tests.factories import make, save
from tests.test_admin_helpers import form_values, post, submit
from tests.test_i18n_screens import english_left, visible_text
from tests.test_tickets import SHANGHAI, open_for


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def plain(body: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def bell(page: str) -> int:
    found = re.search(r'class="badge[^"]*unread-count">([^<]*)<', page)
    assert found, "no bell on the page"
    return int(found.group(1).replace(",", ""))


def guangzhou_ticket(world):
    received = dt.datetime.now(SHANGHAI).replace(second=0, microsecond=0) - dt.timedelta(
        minutes=5)
    return ticket_service.open_ticket(world.users["guangzhou_manager"], Report(
        summary="Guangzhou rectifier alarm", serial="SN-CAN-0001", received=received))


def past_breach(*tickets_):
    """The watcher's pass just after the tickets' reply is due: warning and breach made."""
    moment = max(t.reply_due for t in tickets_) + dt.timedelta(minutes=1)
    sla.run_pass(at=moment)
    return moment


@pytest.fixture
def told(world):
    """A Harbin and a Guangzhou ticket, both past their reply's due time."""
    harbin, _received = open_for(world)
    guangzhou = guangzhou_ticket(world)
    past_breach(harbin, guangzhou)
    return harbin, guangzhou


def notices_of(user) -> list[Notice]:
    return list(Notice.select().where(Notice.staff == user.id).order_by(Notice.id))


# -- the bell and the inbox -----------------------------------------------------------------

def test_the_bell_counts_the_users_unread_notices_on_every_page(client, auth, world, told):
    manager = world.users["harbin_manager"]
    mine = notices_of(manager)
    # the charter: a warning to the engineer and the manager, a breach to the manager and HQ
    assert sorted(n.level for n in mine) == [NoticeLevel.BREACH, NoticeLevel.WARNING]
    auth.login("harbin_manager")
    for url in ("/admin/", "/admin/ticket/", "/admin/customer/"):
        assert bell(text(client.get(url))) == 2, url
    page = text(client.get("/admin/"))
    assert 'href="/admin/notices/"' in page
    auth.logout()
    auth.login("viewer")  # told nothing
    assert bell(text(client.get("/admin/"))) == 0


def test_the_bell_reads_at_most_its_cap_and_says_so(client, auth, world, told, monkeypatch):
    """An HQ account gathers every breach: the bell on every page counts at most
    BELL_CAP + 1 rows and shows "1+" when the cap is 1 and there are more."""
    from backoffice.admin import notices as notices_admin
    monkeypatch.setattr(notices_admin, "BELL_CAP", 1)
    auth.login("harbin_manager")  # two unread
    page = text(client.get("/admin/"))
    found = re.search(r'class="badge[^"]*unread-count">([^<]*)<', page)
    assert found.group(1) == "1+"
    assert "Notices: 1+ unread" in page
    Notice.update(read_at=dt.datetime(2026, 12, 1)).where(
        Notice.id == notices_of(world.users["harbin_manager"])[0].id).execute()
    assert bell(text(client.get("/admin/"))) == 1


def test_the_inbox_lists_the_users_notices_newest_first(client, auth, world, told):
    harbin, guangzhou = told
    auth.login("harbin_manager")
    page = text(client.get("/admin/notices/"))
    items = re.findall(r'data-notice-id="(\d+)"', page)
    mine = notices_of(world.users["harbin_manager"])
    assert [int(i) for i in items] == sorted((n.id for n in mine), reverse=True)
    words = plain(page)
    assert harbin.number in words and guangzhou.number not in words
    assert f'href="/admin/ticket/details/?id={harbin.id}"' in page
    assert "Warning" in words and "Breach" in words
    assert "badge-warning" in page and "badge-danger" in page  # the colour, with the word
    due = (harbin.reply_due + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"Definite reply was due at {due} (Asia/Shanghai) and is not done." in words
    assert f"Definite reply is due at {due} (Asia/Shanghai)." in words
    created = (mine[0].created_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert f"{created} (Asia/Shanghai)" in words  # when it came, labelled
    assert "2 unread of 2." in words


def test_a_harbin_manager_sees_no_guangzhou_notice_and_hq_sees_both(client, auth, world, told):
    harbin, guangzhou = told
    auth.login("guangzhou_manager")
    words = plain(text(client.get("/admin/notices/")))
    assert guangzhou.number in words and harbin.number not in words
    auth.logout()
    auth.login("hq")
    words = plain(text(client.get("/admin/notices/")))
    assert guangzhou.number in words and harbin.number in words


def test_mark_read_one_then_all(client, auth, world, told):
    manager = world.users["harbin_manager"]
    first, second = notices_of(manager)
    auth.login("harbin_manager")
    answer = post(client, "/admin/notices/read", {"id": str(first.id)}, follow=True)
    page = text(answer)
    assert "1 notice(s) marked read." in plain(page)
    assert bell(page) == 1
    assert Notice.get_by_id(first.id).read_at is not None
    assert Notice.get_by_id(second.id).read_at is None
    assert f'data-notice-id="{first.id}"' in page  # still listed, as read
    assert re.search(rf'notice-read"\s+data-notice-id="{first.id}"', page)
    page = text(post(client, "/admin/notices/read-all", {}, follow=True))
    assert bell(page) == 0
    assert sla.unread_count(manager) == 0


def test_another_users_notice_is_neither_shown_nor_markable(client, auth, world, told):
    hq_notice = notices_of(world.users["hq"])[0]
    auth.login("harbin_manager")
    assert f'data-notice-id="{hq_notice.id}"' not in text(client.get("/admin/notices/"))
    page = text(post(client, "/admin/notices/read", {"id": str(hq_notice.id)}, follow=True))
    assert "is not in your inbox" in plain(page)
    assert Notice.get_by_id(hq_notice.id).read_at is None
    post(client, "/admin/notices/read-all", {})
    assert Notice.get_by_id(hq_notice.id).read_at is None
    assert sla.unread_count(world.users["hq"]) == len(notices_of(world.users["hq"]))


@pytest.mark.parametrize("sent", [{"id": "abc"}, {"id": "１"}, {"id": str(2**64)}, {}])
def test_a_garbled_id_is_a_message_never_a_500(client, auth, world, told, sent):
    auth.login("harbin_manager")
    page = text(post(client, "/admin/notices/read", sent, follow=True))
    assert "Pick a notice to mark read." in plain(page)
    assert sla.unread_count(world.users["harbin_manager"]) == 2


def test_mark_read_needs_the_csrf_token(client, auth, world, told):
    notice = notices_of(world.users["harbin_manager"])[0]
    auth.login("harbin_manager")
    assert client.post("/admin/notices/read", data={"id": str(notice.id)}).status_code == 400
    assert client.post("/admin/notices/read-all").status_code == 400
    assert client.get("/admin/notices/read").status_code == 405
    assert Notice.get_by_id(notice.id).read_at is None


def test_the_inbox_needs_a_login(client, world):
    answer = client.get("/admin/notices/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_inbox_pages(client, auth, world):
    manager = world.users["harbin_manager"]
    from backoffice.admin.notices import PER_PAGE
    made = []
    for _n in range(PER_PAGE // 2 + 1):  # two notices per ticket: more than a page
        ticket, _received = open_for(world)
        made.append(ticket)
    past_breach(*made)
    count = len(notices_of(manager))
    assert count > PER_PAGE
    auth.login("harbin_manager")
    first = text(client.get("/admin/notices/"))
    second = text(client.get("/admin/notices/?page=2"))
    ids = [int(i) for i in re.findall(r'data-notice-id="(\d+)"', first + second)]
    assert ids == sorted((n.id for n in notices_of(manager)), reverse=True)
    assert len(re.findall(r'data-notice-id="', first)) == PER_PAGE
    assert "Page 2 of 2" in plain(second)
    assert text(client.get("/admin/notices/?page=99")).count('data-notice-id="') == \
        count - PER_PAGE  # past the last page: the last page
    assert client.get("/admin/notices/?page=abc").status_code == 404
    # marking read from page 2 comes back to page 2
    notice = ids[-1]
    answer = post(client, "/admin/notices/read", {"id": str(notice), "page": "2"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("?page=2")


def test_the_inbox_in_chinese(client, auth, world, told):
    harbin, _guangzhou = told
    manager = Staff.get_by_id(world.users["harbin_manager"].id)
    manager.language = "zh_Hans_CN"
    save(manager, seen_version=manager.version)
    auth.login("harbin_manager")
    page = client.get("/admin/notices/").get_data(as_text=True)
    words = plain(html.unescape(page))
    assert "预警" in words and "超时" in words
    assert "明确答复已于" in words and "到期，尚未完成。" in words
    due = (harbin.reply_due + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert due in words
    left = english_left(visible_text(page), [harbin.number, harbin.summary, manager.name,
                                             "harbin_manager"])
    assert not left, left


# -- deliveries -------------------------------------------------------------------------------

class Refusing:
    """A sender that always fails (a channel whose server is down)."""

    def __init__(self, kind):
        self.kind = kind

    def send(self, channel, message, config):
        raise ConnectionRefusedError("the server is down")


def failed_deliveries(moment, kinds=("mail",)):
    """Every delivery of ``kinds`` failed to its last attempt (the backoff walked through)."""
    senders = {kind: Refusing(kind) for kind in kinds}
    at = moment
    for _attempt in range(len(sla.BACKOFF) + 1):
        sla.deliver_due(at=at, senders=senders)
        at += max(sla.BACKOFF) + sla.LEASE
    return list(Delivery.select().where(Delivery.state == DeliveryState.FAILED))


@pytest.fixture
def failed(world):
    """Mail to every member of staff, a WeCom robot per office; everything failed."""
    for staff in Staff.select():
        staff.email = f"{staff.username}@example.com"
        save(staff, seen_version=staff.version)
    for office in (world.harbin, world.guangzhou):
        make(GroupRobot, name=f"{office.code} duty group", kind="wecom",
             webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY-{office.code}-0123456789",
             office=office, min_level="warning")
    harbin, _received = open_for(world)
    guangzhou = guangzhou_ticket(world)
    moment = past_breach(harbin, guangzhou)
    rows = failed_deliveries(moment, kinds=("mail", "wecom"))
    assert rows and len(rows) == Delivery.select().count()
    return harbin, guangzhou, rows


def test_failed_deliveries_are_listed_with_their_error_and_masked_keys(client, auth, world,
                                                                        failed):
    harbin, guangzhou, rows = failed
    auth.login("hq")
    page = text(client.get("/admin/delivery/"))
    words = plain(page)
    assert harbin.number in words and guangzhou.number in words
    assert "ConnectionRefusedError: the server is down" in words
    assert "hq@example.com" in words
    assert "KEY-HRB-0123456789" not in page and "HRB-0123" not in page
    assert "key=KEY••••89" in page
    assert "Failed" in words and f">{len(sla.BACKOFF) + 1}<" in page.replace(" ", "")
    # the list's default is the failed ones: a sent delivery is not on it until asked for
    sent = rows[0]
    Delivery.update(state=DeliveryState.SENT).where(Delivery.id == sent.id).execute()
    listed = re.findall(r'name="rowid"[^>]*value="(\d+)"', text(client.get("/admin/delivery/")))
    assert str(sent.id) not in listed and len(listed) == len(rows) - 1
    every = text(client.get("/admin/delivery/?flt0_state_equals=any"))
    assert str(sent.id) in re.findall(r'name="rowid"[^>]*value="(\d+)"', every)
    only_sent = text(client.get("/admin/delivery/?flt0_state_equals=sent"))
    assert re.findall(r'name="rowid"[^>]*value="(\d+)"', only_sent) == [str(sent.id)]
    details = text(client.get(f"/admin/delivery/details/?id={rows[-1].id}"))
    assert rows[-1].message_id in details
    assert "0123456789" not in details


def test_an_office_manager_sees_their_offices_deliveries_and_cannot_retry(client, auth, world,
                                                                           failed):
    harbin, guangzhou, rows = failed
    auth.login("harbin_manager")
    page = text(client.get("/admin/delivery/"))
    words = plain(page)
    assert harbin.number in words and guangzhou.number not in words
    assert "KEY-CAN" not in page
    theirs = [d for d in rows if d.notice.ticket_id == guangzhou.id]
    assert client.get(f"/admin/delivery/details/?id={theirs[0].id}").status_code == 404
    mine = [d for d in rows if d.notice.ticket_id == harbin.id]
    answer = post(client, "/admin/delivery/action/", {"action": "retry",
                                                      "rowid": str(mine[0].id)})
    assert answer.status_code == 403
    assert Delivery.get_by_id(mine[0].id).state == DeliveryState.FAILED
    assert "modelActions.execute('retry')" not in page
    auth.logout()
    auth.login("harbin_engineer")
    assert client.get("/admin/delivery/").status_code == 403
    assert client.get("/admin/group_robot/").status_code == 403


def test_hq_sends_failed_deliveries_again(client, auth, world, failed):
    _harbin, _guangzhou, rows = failed
    auth.login("hq")
    assert "modelActions.execute('retry')" in text(client.get("/admin/delivery/"))
    chosen = rows[:2]
    answer = client.post("/admin/delivery/action/", data={
        "csrf_token": csrf_token(client.get("/admin/delivery/").get_data(as_text=True)),
        "action": "retry", "rowid": [str(d.id) for d in chosen]}, follow_redirects=True)
    assert "2 failed delivery(ies) queued to be sent again." in plain(text(answer))
    for delivery in chosen:
        again = Delivery.get_by_id(delivery.id)
        assert (again.state, again.attempts) == (DeliveryState.PENDING, 0)
        assert again.message_id == delivery.message_id
    assert Delivery.get_by_id(rows[2].id).state == DeliveryState.FAILED
    # a garbled row id is refused like every action's (a 404), nothing sent again
    assert post(client, "/admin/delivery/action/", {"action": "retry",
                                                    "rowid": "１"}).status_code == 404


# -- group robots -------------------------------------------------------------------------------

def robot_form(office, **extra):
    return {"name": "Duty group", "kind": "dingtalk",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=TOKEN-0123456789",
            "office": str(office.id), "min_level": "warning", "active": "y", **extra}


def test_an_office_manager_sets_up_their_offices_robot_with_a_write_only_secret(
        client, auth, world):
    auth.login("harbin_manager")
    secret = "SEC0123456789abcdef0123456789abcdef"
    answer = submit(client, "/admin/group_robot/new/",
                    robot_form(world.harbin, new_secret=secret), follow=True)
    assert answer.status_code == 200
    robot = GroupRobot.get(GroupRobot.name == "Duty group")
    assert (robot.secret, robot.office_id, robot.kind) == (secret, world.harbin.id, "dingtalk")
    listing = text(client.get("/admin/group_robot/"))
    assert secret not in listing and "TOKEN-0123456789" not in listing
    assert "SEC••••ef" in listing and "access_token=TOK••••89" in listing
    edit = client.get(f"/admin/group_robot/edit/?id={robot.id}").get_data(as_text=True)
    assert secret not in edit  # write-only
    assert "SEC••••ef" in html.unescape(edit)
    # an edit that leaves the secret empty keeps it; removing it removes it
    submit(client, f"/admin/group_robot/edit/?id={robot.id}", {"name": "Duty group HRB"})
    robot = GroupRobot.get_by_id(robot.id)
    assert (robot.name, robot.secret) == ("Duty group HRB", secret)
    submit(client, f"/admin/group_robot/edit/?id={robot.id}", {"remove_secret": "y"})
    assert GroupRobot.get_by_id(robot.id).secret == ""


def test_a_robot_for_another_office_or_for_nobody_is_a_form_error(client, auth, world):
    auth.login("harbin_manager")
    page = text(submit(client, "/admin/group_robot/new/", robot_form(world.guangzhou)))
    assert "Not a valid choice" in page
    page = text(submit(client, "/admin/group_robot/new/", {**robot_form(world.harbin),
                                                           "office": "__None"}))
    assert "A robot serves either one office or one contract." in page
    page = text(submit(client, "/admin/group_robot/new/",
                       robot_form(world.harbin, webhook_url="ftp://example.com/x")))
    assert "The webhook address starts with https://." in page
    assert GroupRobot.select().count() == 0


def test_a_manager_sees_only_their_offices_robots(client, auth, world):
    for office in (world.harbin, world.guangzhou):
        make(GroupRobot, name=f"{office.code} robot", kind="wecom",
             webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
             office=office)
    make(GroupRobot, name="K-CAN-1 robot", kind="wecom",
         webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
         contract=world.guangzhou_contract)
    auth.login("harbin_manager")
    words = plain(text(client.get("/admin/group_robot/")))
    assert "HRB robot" in words and "CAN robot" not in words and "K-CAN-1 robot" not in words
    other = GroupRobot.get(GroupRobot.name == "K-CAN-1 robot")
    assert client.get(f"/admin/group_robot/edit/?id={other.id}").status_code == 404


# -- the head of service ------------------------------------------------------------------------

def test_an_administrator_marks_the_head_of_service(client, auth, world):
    hq = world.users["hq"]
    auth.login("admin")
    assert 'name="head_of_service"' in client.get(f"/admin/staff/edit/?id={hq.id}").get_data(
        as_text=True)
    submit(client, f"/admin/staff/edit/?id={hq.id}", {"head_of_service": "y"})
    assert Staff.get_by_id(hq.id).head_of_service is True
    assert "head_of_service" in form_values(client, f"/admin/staff/edit/?id={hq.id}")
    submit(client, f"/admin/staff/edit/?id={hq.id}", {"head_of_service": None})
    assert Staff.get_by_id(hq.id).head_of_service is False


def test_the_notice_screens_in_chinese(client, auth, world, failed):
    harbin, guangzhou, rows = failed
    robot = GroupRobot.select().order_by(GroupRobot.id).first()
    hq = Staff.get_by_id(world.users["hq"].id)
    hq.language = "zh_Hans_CN"
    save(hq, seen_version=hq.version)
    auth.login("hq")
    data = sorted({harbin.number, harbin.summary, guangzhou.number, guangzhou.summary,
                   hq.name, *(s.name for s in Staff.select()), *(s.email for s in Staff.select()),
                   *(d.address for d in rows), *(d.message_id for d in rows), robot.name,
                   world.harbin.name, world.guangzhou.name,
                   "ConnectionRefusedError: the server is down"}, key=len, reverse=True)
    for url in ("/admin/notices/", "/admin/delivery/", f"/admin/delivery/details/?id={rows[0].id}",
                "/admin/group_robot/", "/admin/group_robot/new/",
                f"/admin/group_robot/edit/?id={robot.id}",
                f"/admin/group_robot/details/?id={robot.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        shown = visible_text(page.get_data(as_text=True))
        left = english_left(shown, data)
        assert not left, (url, left)
    page = text(client.get("/admin/delivery/"))
    assert "失败" in page and "企业微信群机器人" in page and "重新发送" in page


def test_a_robots_credentials_stay_out_of_the_audit_trail(world):
    from backoffice.models import AuditEntry
    key = "693a91f6-7a0e-4c15-bd2e-00000000aa11"
    robot = make(GroupRobot, name="Harbin duty group", kind="dingtalk",
                 webhook_url=f"https://oapi.dingtalk.com/robot/send?access_token={key}",
                 secret="SEC0123456789abcdef", office=world.harbin)
    robot.secret = "SECfedcba9876543210"
    save(robot)
    trail = " ".join(entry.changes for entry in AuditEntry.select().where(
        (AuditEntry.table == "group_robot") & (AuditEntry.row_id == robot.id)))
    assert trail  # created and changed: both recorded
    for secret in (key, "SEC0123456789abcdef", "SECfedcba9876543210"):
        assert secret not in trail
