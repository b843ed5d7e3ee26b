"""The built-in notice senders: mail over SMTP, WeCom and DingTalk group robots.

A default plugin like the charter (``notice_senders``, asked once): a plugin that
returns a sender of the same ``kind`` takes its place. Each ``send`` returns when the
other side has accepted the message and raises otherwise; the clock watcher
(:func:`backoffice.services.sla.deliver_due`) retries with backoff and shows the
error in the admin.

* **mail**: one message per recipient over SMTP (``mail_host``, ``mail_port``,
  ``mail_security`` none / starttls / ssl, ``mail_username`` and ``mail_password``,
  ``mail_sender``), plain text, ``Message-ID`` the delivery's message id. With no
  ``mail_host`` the message is written to the log (``backoffice.notices``) instead.
* **wecom**: 企业微信群机器人. ``POST`` of ``{"msgtype": "markdown", "markdown":
  {"content": ...}}`` to the robot's webhook address; the robot answers
  ``{"errcode": 0, "errmsg": "ok"}``, anything else is a failure.
* **dingtalk**: 钉钉自定义机器人. ``POST`` of ``{"msgtype": "markdown", "markdown":
  {"title": ..., "text": ...}}``; with a signing secret (``SEC...``) the address gets
  ``&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "timestamp\\nsecret"
  keyed with the secret>``, as DingTalk's documentation specifies. It answers
  ``{"errcode": 0, ...}``.

Both robots get the message id in the ``X-Backoffice-Message-Id`` header and as
the message's last line, so a retry of a message the group already has can be told.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate

from ..hookspecs import hookimpl

logger = logging.getLogger("backoffice.notices")

#: seconds a robot's web server may take to answer
ROBOT_TIMEOUT_SECONDS = 10


class MailSender:
    kind = "mail"

    def send(self, channel, message, config) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = config["MAIL_SENDER"]
        mail["To"] = channel.address
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{message.message_id}>"
        mail["X-Backoffice-Ticket"] = message.ticket_number
        mail.set_content(message.text)
        host = config["MAIL_HOST"]
        if not host:  # one line per mail: the demo's first pass alone sends hundreds
            logger.info("mail (no mail_host set, not sent) to %s: %s <%s>", channel.address,
                        message.subject, message.message_id)
            return
        port, timeout = config["MAIL_PORT"], config["MAIL_TIMEOUT_SECONDS"]
        security = config["MAIL_SECURITY"]
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(mail)


def _post_json(url: str, payload: dict, message_id: str) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "X-Backoffice-Message-Id": message_id})
    try:
        with urllib.request.urlopen(request, timeout=ROBOT_TIMEOUT_SECONDS) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"the robot answered HTTP {exc.code}") from None
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        raise RuntimeError(f"the robot answered with no JSON: {body[:200]!r}") from None
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        raise RuntimeError(f"the robot refused the message: {str(answer)[:300]}")
    return answer


class WeComRobot:
    kind = "wecom"

    def send(self, channel, message, config) -> None:
        _post_json(channel.address, {"msgtype": "markdown",
                                     "markdown": {"content": message.markdown}},
                   message.message_id)


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign``: base64 of HMAC-SHA256 over ``"<timestamp>\\n<secret>"``."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkRobot:
    kind = "dingtalk"

    def send(self, channel, message, config) -> None:
        url = channel.address
        secret = (channel.options or {}).get("secret", "")
        if secret:
            timestamp = int(time.time() * 1000)
            sign = urllib.parse.quote_plus(dingtalk_signature(secret, timestamp))
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
        _post_json(url, {"msgtype": "markdown",
                         "markdown": {"title": message.subject, "text": message.markdown}},
                   message.message_id)


@hookimpl(trylast=True)
def notice_senders():
    return [MailSender(), WeComRobot(), DingTalkRobot()]
