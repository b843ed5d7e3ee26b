"""The worker as a real process: killed at any point of a pass or a delivery and started
again, it loses no notice and sends none twice; two workers at once create none twice.

Each test runs ``backoffice worker`` (Huey's consumer) in a subprocess on the test's
database, with a real SMTP server on 127.0.0.1 (aiosmtpd) counting what arrives. The
kill is a real SIGKILL at a named point (``BACKOFFICE_CRASH_AT``, see
``backoffice.services.sla._crash_point``): nothing is cleaned up, as when a machine
loses power.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest

from backoffice.labels import DeliveryState
from backoffice.models import Delivery, Notice, Staff, Ticket
from backoffice.services import tickets
from backoffice.services.tickets import Report
from tests.factories import save
from tests.test_channels import start_smtp
from tests.test_tickets import SHANGHAI, at_distance

#: every wait in these tests ends by this many seconds (a worker that hangs fails the test)
PATIENCE = 90


@pytest.fixture
def smtp():
    """The channels' real SMTP server (tests/test_channels.py), this test's own."""
    collector = start_smtp()
    yield collector
    collector.controller.stop()


def _message_ids(smtp) -> list[str]:
    with smtp.lock:
        return [message["mail"]["Message-ID"] for message in smtp.messages]


def _late_tickets(world, count: int) -> list[Ticket]:
    """``count`` tickets received 3 h ago: each reply's warning and breach are due now
    (the manager gets both, HQ the breach); the arrival's are hours away."""
    for key in ("harbin_manager", "hq"):
        staff = Staff.get_by_id(world.users[key].id)
        staff.email = f"{key}@example.com"
        save(staff)
    at_distance(world, 320)
    received = dt.datetime.now(SHANGHAI).replace(microsecond=0) - dt.timedelta(hours=3)
    return [tickets.open_ticket(world.users["harbin_manager"],
                                Report(summary=f"alarm {n}", serial="SN-HRB-0001",
                                       received=received)) for n in range(count)]


def _worker(db_url, tmp_path, smtp, crash_at: str | None = None, name: str = "worker"):
    env = dict(os.environ, BACKOFFICE_DATABASE_URL=db_url,
               BACKOFFICE_WORKER_QUEUE=str(tmp_path / f"{name}-queue.db"),
               BACKOFFICE_MAIL_HOST="127.0.0.1", BACKOFFICE_MAIL_PORT=str(smtp.port),
               BACKOFFICE_NOTICE_LEASE_SECONDS="2",
               BACKOFFICE_WATCH_POLL_SECONDS="1", BACKOFFICE_SECRET_KEY="x" * 32,
               BACKOFFICE_PLUGINS_DIR=str(tmp_path / "no-plugins"))
    env.pop("BACKOFFICE_CONFIG", None)
    env.pop("BACKOFFICE_CRASH_AT", None)
    if crash_at:
        env["BACKOFFICE_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, "-m", "backoffice", "worker", "--threads", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait(condition, what: str):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting for {what}")


def _sent() -> int:
    return Delivery.select().where(Delivery.state == DeliveryState.SENT).count()


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.stdout.read().decode(errors="replace")


def _killed(process) -> str:
    try:
        process.wait(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the worker did not reach its crash point")
    output = process.stdout.read().decode(errors="replace")
    assert process.returncode == -signal.SIGKILL, output
    return output


def _exactly_once(smtp, notices: int) -> None:
    """Every notice created once, each delivery sent, and one Message-ID per delivery at
    the mail server (a retry after a kill may repeat a message, never under a new id)."""
    assert Notice.select().count() == notices
    deliveries = list(Delivery.select())
    assert len(deliveries) == notices  # one mail each: both recipients have an address
    assert all(d.state == DeliveryState.SENT for d in deliveries)
    assert set(_message_ids(smtp)) == {f"<{d.message_id}>" for d in deliveries}


@pytest.mark.parametrize("crash_at", ["pass_before_commit", "pass_after_commit",
                                      "after_send"])
def test_a_worker_killed_and_restarted_loses_nothing_and_doubles_nothing(
        world, db_url, tmp_path, smtp, crash_at):
    if db_url.startswith("postgres") and crash_at != "after_send":
        pytest.skip("the pass's kills are the same on both databases: SQLite runs them")
    _late_tickets(world, 2)
    expected = 2 * 3  # per ticket: the manager's warning and breach, HQ's breach
    output = _killed(_worker(db_url, tmp_path, smtp, crash_at))
    if crash_at == "pass_before_commit":
        assert Notice.select().count() == 0, output  # the pass died with its transaction
    elif crash_at == "pass_after_commit":
        assert Notice.select().count() == expected and _message_ids(smtp) == []
    else:
        # sent (by one thread of the worker, or both), and it died before writing it down
        assert 1 <= len(_message_ids(smtp)) <= 2 and _sent() == 0
    interrupted = len(_message_ids(smtp)) if crash_at == "after_send" else 0
    again = _worker(db_url, tmp_path, smtp)
    try:
        _wait(lambda: _sent() == expected, "every delivery sent after the restart")
    finally:
        output = _stop(again)
    _exactly_once(smtp, expected)
    # an interrupted one went out twice, under its one message id; nothing else did
    assert len(_message_ids(smtp)) == expected + interrupted, output


def test_two_workers_at_once_create_and_send_each_notice_once(world, db_url, tmp_path, smtp):
    _late_tickets(world, 12)
    expected = 12 * 3
    workers = [_worker(db_url, tmp_path, smtp, name=f"w{n}") for n in range(2)]
    try:
        _wait(lambda: _sent() == expected, "both workers done")
        time.sleep(1)  # a second pass of either finds nothing left to do
    finally:
        outputs = [_stop(process) for process in workers]
    _exactly_once(smtp, expected)
    assert len(_message_ids(smtp)) == expected, outputs
