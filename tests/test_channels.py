"""The notice channels with real parts: what arrives at a mail server and at the robots.

* **Mail**: a real SMTP server on 127.0.0.1 (aiosmtpd) collects every envelope; the app
  is built with ``mail_host``/``mail_port`` pointing at it (``make_app``). The watcher's
  pass and the outbox run as the worker runs them (``run_pass`` and ``deliver_due`` at
  a moment past the due time); the test reads what arrived: recipients, subject, the
  Message-ID (the delivery's message id) and the body in the recipient's language.
  STARTTLS with a login, on a self-signed certificate made with ``openssl``.
* **WeCom and DingTalk robots**: a local HTTP server (``http.server`` in a thread on
  127.0.0.1) stands in for both webhook endpoints; it records each request and
  answers as scripted. Checked: the JSON payload's shape, the
  ``X-Backoffice-Message-Id`` header, DingTalk's ``timestamp`` and ``sign`` (HMAC-SHA256
  recomputed here as DingTalk specifies); a robot refusing (``errcode`` != 0) or failing
  (HTTP 500) gets the delivery retried with the backoff, then ``failed``, listed in the
  admin, and the admin's "Send again" sends it once more with the same message id.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from backoffice.db import database
from backoffice.labels import DeliveryState, NoticeLevel
from backoffice.models import Delivery, GroupRobot, Notice, Staff
from backoffice.services import sla
from tests.conftest import _fresh_database, csrf_token
from tests.factories import make, save
from tests.test_tickets import open_for

controller_module = pytest.importorskip("aiosmtpd.controller")


# -- a real SMTP server ------------------------------------------------------------------------

class Collector:
    """aiosmtpd's handler: keeps every envelope it is given, parsed."""

    def __init__(self):
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.original_content or envelope.content,
                                  policy=email_policy)
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "mail": mail, "tls": session.ssl is not None,
                                  "login": getattr(session, "login_data", None)})
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(**options):
    collector = Collector()
    port = free_port()
    controller = controller_module.Controller(collector, hostname="127.0.0.1", port=port,
                                              **options)
    controller.start()
    collector.port, collector.controller = port, controller
    return collector


@pytest.fixture
def smtp():
    collector = start_smtp()
    yield collector
    collector.controller.stop()


@pytest.fixture
def app(make_app, db_url, smtp):
    """The suite's app, with its mail going to this test's SMTP server."""
    application = make_app(mail_host="127.0.0.1", mail_port=smtp.port,
                           mail_sender="backoffice@example.com",
                           public_url="https://service.example.com")
    _fresh_database(db_url)
    with application.app_context():
        database.connect(reuse_if_open=True)
        yield application
        if not database.is_closed():
            database.close()


def with_mail(world, languages=None):
    """Every member of staff with an address; ``languages`` by login name."""
    for staff in Staff.select():
        staff.email = f"{staff.username}@example.com"
        staff.language = (languages or {}).get(staff.username, "")
        save(staff, seen_version=staff.version)


def past_breach(ticket) -> dt.datetime:
    moment = ticket.reply_due + dt.timedelta(minutes=1)
    sla.run_pass(at=moment)
    return moment


def local_due(ticket) -> str:
    return (ticket.reply_due + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def test_mail_reaches_each_recipient_in_their_language(app, world, smtp):
    with_mail(world, {"harbin_manager": "zh_Hans_CN", "hq": "en"})
    ticket, _received = open_for(world)
    moment = past_breach(ticket)
    result = sla.deliver_due(at=moment)
    deliveries = list(Delivery.select().order_by(Delivery.id))
    assert result.sent == len(deliveries) == len(smtp.messages) == 3, result.errors
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    by_id = {m["mail"]["Message-ID"].strip("<>"): m for m in smtp.messages}
    assert set(by_id) == {d.message_id for d in deliveries}  # one Message-ID per delivery
    for delivery in deliveries:
        notice = Notice.get_by_id(delivery.notice_id)
        staff = Staff.get_by_id(notice.staff_id)
        arrived = by_id[delivery.message_id]
        mail = arrived["mail"]
        assert arrived["to"] == [staff.email] == [delivery.address]
        assert mail["To"] == staff.email and mail["From"] == "backoffice@example.com"
        assert arrived["from"] == "backoffice@example.com"
        assert mail["X-Backoffice-Ticket"] == ticket.number
        body = mail.get_content()
        assert f"https://service.example.com/admin/ticket/details/?id={ticket.id}" in body
        assert body.rstrip().endswith(delivery.message_id)
        if staff.username == "harbin_manager":  # Chinese
            level = {NoticeLevel.WARNING: "预警", NoticeLevel.BREACH: "超时"}[notice.level]
            assert mail["Subject"] == f"[{level}] {ticket.number}: UPS alarm"
            assert f"消息编号：{delivery.message_id}" in body
            if notice.level == NoticeLevel.BREACH:
                assert f"明确答复已于 {local_due(ticket)}（Asia/Shanghai） 到期，尚未完成。" in body
            assert "Definite reply" not in body and "Customer:" not in body
        else:  # English
            assert staff.username == "hq" and notice.level == NoticeLevel.BREACH
            assert mail["Subject"] == f"[Breach] {ticket.number}: UPS alarm"
            assert (f"Definite reply was due at {local_due(ticket)} (Asia/Shanghai) and is "
                    "not done.") in body
            assert "Customer: Harbin Power Works" in body
            assert f"Message id: {delivery.message_id}" in body
    # a second run sends nothing more: each notice arrived once
    assert sla.deliver_due(at=moment + dt.timedelta(hours=1)).sent == 0
    assert len(smtp.messages) == 3


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 (openssl), trusted by this test's clients."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return key, cert


def test_mail_over_starttls_with_a_login(make_app, app, world, certificate, monkeypatch):
    import ssl

    from aiosmtpd.smtp import AuthResult
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (
            b"notices", b"s3cret-pass"))

    secure = start_smtp(tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_require_tls=True)
    try:
        # the client trusts the test's certificate as it would a real CA's
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with_mail(world)
        ticket, _received = open_for(world)
        moment = past_breach(ticket)
        tls_app = make_app(mail_host="127.0.0.1", mail_port=secure.port,
                           mail_security="starttls", mail_username="notices",
                           mail_password="s3cret-pass", mail_sender="backoffice@example.com")
        with tls_app.app_context():
            database.connect(reuse_if_open=True)
            result = sla.deliver_due(at=moment)
        assert result.sent == 3 == len(secure.messages), result.errors
        assert all(m["tls"] for m in secure.messages)
        assert logins and set(logins) == {(b"notices", b"s3cret-pass")}
    finally:
        secure.controller.stop()


# -- robots: a local HTTP server for WeCom and DingTalk ---------------------------------------------

class RobotServer:
    """Records every POST; answers each with the next scripted (status, JSON) or OK."""

    OK = (200, {"errcode": 0, "errmsg": "ok"})

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                with robot.lock:
                    robot.requests.append({
                        "path": parts.path, "query": parts.query,
                        "args": parse_qs(parts.query), "headers": dict(self.headers),
                        "json": json.loads(body), "at": time.time()})
                    status, answer = robot.answers.pop(0) if robot.answers else robot.OK
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def to(self, path) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def robots():
    server = RobotServer()
    yield server
    server.stop()


WECOM = "/cgi-bin/webhook/send"
DINGTALK = "/robot/send"
SECRET = "SECf3a9d1e8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"


def set_up_robots(world, robots):
    """A WeCom robot for the Harbin office (every notice) and a signing DingTalk robot
    for the Harbin contract (breaches and escalations)."""
    wecom = make(GroupRobot, name="HRB duty group", kind="wecom", office=world.harbin,
                 webhook_url=f"{robots.url}{WECOM}?key=wecom-key-0123456789",
                 min_level="warning")
    dingtalk = make(GroupRobot, name="K-HRB-1 customer group", kind="dingtalk",
                    contract=world.harbin_contract, secret=SECRET, min_level="breach",
                    webhook_url=f"{robots.url}{DINGTALK}?access_token=ding-token-0123456789")
    return wecom, dingtalk


def robot_deliveries(kind) -> list[Delivery]:
    return list(Delivery.select().where(Delivery.kind == kind).order_by(Delivery.id))


def test_wecom_and_dingtalk_get_markdown_with_the_message_id_and_a_valid_signature(
        app, world, robots):
    set_up_robots(world, robots)
    ticket, _received = open_for(world)
    moment = past_breach(ticket)
    before = time.time()
    result = sla.deliver_due(at=moment)
    assert not result.errors, result.errors

    wecom = robot_deliveries("wecom")
    assert len(wecom) == 2 == len(robots.to(WECOM))  # the warning and the breach
    for request in robots.to(WECOM):
        assert request["args"] == {"key": ["wecom-key-0123456789"]}
        payload = request["json"]
        assert set(payload) == {"msgtype", "markdown"} and payload["msgtype"] == "markdown"
        assert set(payload["markdown"]) == {"content"}
        content = payload["markdown"]["content"]
        message_id = request["headers"]["X-Backoffice-Message-Id"]
        assert message_id in {d.message_id for d in wecom}
        assert content.splitlines()[-1] == f"`{message_id}`"  # the last line
        assert f"[{ticket.number}](https://" in content or f"[{ticket.number}](http://" in content
        assert request["headers"]["Content-Type"].startswith("application/json")
    contents = " ".join(r["json"]["markdown"]["content"] for r in robots.to(WECOM))
    assert f"**[Warning] {ticket.number}: UPS alarm**" in contents
    assert f"**[Breach] {ticket.number}: UPS alarm**" in contents

    (ding,) = robot_deliveries("dingtalk")
    (request,) = robots.to(DINGTALK)
    assert request["headers"]["X-Backoffice-Message-Id"] == ding.message_id
    payload = request["json"]
    assert payload["msgtype"] == "markdown" and set(payload["markdown"]) == {"title", "text"}
    assert payload["markdown"]["title"] == f"[Breach] {ticket.number}: UPS alarm"
    assert payload["markdown"]["text"].splitlines()[-1] == f"`{ding.message_id}`"
    # the signature, recomputed as DingTalk's documentation says: the timestamp in ms,
    # sign = urlencode(base64(HMAC-SHA256(key=secret, "timestamp\nsecret")))
    args = request["args"]
    assert set(args) == {"access_token", "timestamp", "sign"}
    assert args["access_token"] == ["ding-token-0123456789"]
    timestamp = int(args["timestamp"][0])
    assert before * 1000 - 1000 <= timestamp <= request["at"] * 1000 + 1000
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert args["sign"] == [expected]
    raw_sign = re.search(r"(?:^|&)sign=([^&]*)", request["query"]).group(1)
    assert "+" not in raw_sign and "/" not in raw_sign and "=" not in raw_sign  # URL-encoded
    assert sla.deliver_due(at=moment + dt.timedelta(hours=1)).sent == 0
    assert len(robots.requests) == 3


def test_a_failing_robot_is_retried_with_backoff_then_failed_listed_and_sent_again(
        app, world, robots, client, auth):
    set_up_robots(world, robots)
    GroupRobot.update(active=False).where(GroupRobot.kind == "wecom").execute()
    ticket, _received = open_for(world)
    moment = past_breach(ticket)
    (delivery,) = robot_deliveries("dingtalk")
    # 1st attempt: the robot refuses (a wrong signature, say); 2nd: its server fails
    robots.answers = [(200, {"errcode": 310000, "errmsg": "sign not match"}),
                      (500, {"errcode": -1, "errmsg": "system busy"})]
    assert sla.deliver_due(at=moment).failed == 1
    first = Delivery.get_by_id(delivery.id)
    assert (first.state, first.attempts) == (DeliveryState.PENDING, 1)
    assert first.next_attempt_at == moment + sla.BACKOFF[0]
    assert "sign not match" in first.last_error and "310000" in first.last_error
    # not before its time
    assert sla.deliver_due(at=moment + sla.BACKOFF[0] - dt.timedelta(seconds=1)).failed == 0
    assert len(robots.requests) == 1
    at = first.next_attempt_at
    assert sla.deliver_due(at=at).failed == 1
    second = Delivery.get_by_id(delivery.id)
    assert (second.state, second.attempts) == (DeliveryState.PENDING, 2)
    assert second.next_attempt_at == at + sla.BACKOFF[1]
    assert "HTTP 500" in second.last_error
    # the rest of the attempts all refused: after the last one the delivery has failed
    robots.answers = [(200, {"errcode": 300001, "errmsg": "token is not exist"})] * 20
    at = second.next_attempt_at
    for attempt in range(3, len(sla.BACKOFF) + 2):
        assert sla.deliver_due(at=at).failed == 1, attempt
        row = Delivery.get_by_id(delivery.id)
        assert row.attempts == attempt
        if attempt <= len(sla.BACKOFF):
            assert row.state == DeliveryState.PENDING
            assert row.next_attempt_at == at + sla.BACKOFF[attempt - 1]
            at = row.next_attempt_at
    failed = Delivery.get_by_id(delivery.id)
    assert failed.state == DeliveryState.FAILED
    assert "token is not exist" in failed.last_error
    assert sla.deliver_due(at=at + dt.timedelta(days=1)).failed == 0  # never again by itself
    sent_ids = {r["headers"]["X-Backoffice-Message-Id"] for r in robots.requests}
    assert sent_ids == {delivery.message_id}
    assert len(robots.requests) == len(sla.BACKOFF) + 1

    # headquarters sees it in the failed deliveries, with the error, the key masked
    auth.login("hq")
    page = html.unescape(client.get("/admin/delivery/").get_data(as_text=True))
    row = re.search(rf'value="{delivery.id}".*?</tr>', page, re.DOTALL).group(0)
    assert "token is not exist" in row and ticket.number in row
    assert "ding-token-0123456789" not in page and "access_token=din••••89" in row
    assert f">{len(sla.BACKOFF) + 1}<" in row.replace(" ", "")
    # ... and sends it again: the same message id, once, and it is sent
    robots.answers = []
    token = csrf_token(page)
    answer = client.post("/admin/delivery/action/", data={
        "csrf_token": token, "action": "retry", "rowid": str(delivery.id)})
    assert answer.status_code == 302
    assert Delivery.get_by_id(delivery.id).state == DeliveryState.PENDING
    assert sla.deliver_due(at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                           + dt.timedelta(seconds=1)).sent == 1
    again = robots.requests[-1]
    assert again["headers"]["X-Backoffice-Message-Id"] == delivery.message_id
    assert again["json"]["markdown"]["text"].splitlines()[-1] == f"`{delivery.message_id}`"
    done = Delivery.get_by_id(delivery.id)
    assert (done.state, done.last_error) == (DeliveryState.SENT, "")
    assert len(robots.requests) == len(sla.BACKOFF) + 2
    listed = client.get("/admin/delivery/").get_data(as_text=True)
    assert f'value="{delivery.id}"' not in listed  # no longer among the failed


def test_the_robots_language_is_the_default_one(make_app, db_url, robots):
    """A group has no language of its own: the notices come in the configured default."""
    chinese = make_app(default_language="zh_Hans_CN")
    _fresh_database(db_url)
    with chinese.app_context():
        database.connect(reuse_if_open=True)
        from tests.factories import make_world
        world = make_world()
        set_up_robots(world, robots)
        ticket, _received = open_for(world)
        sla.deliver_due(at=past_breach(ticket))
        (request,) = robots.to(DINGTALK)
        assert request["json"]["markdown"]["title"] == f"[超时] {ticket.number}: UPS alarm"
        assert "已于" in request["json"]["markdown"]["text"]
        database.close()
