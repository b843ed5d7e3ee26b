"""The worker: timed and long work in a task queue (Huey), never in a request.

``backoffice worker`` runs Huey's consumer on this app's queue; ``backoffice up``
starts it beside the web server. The queue lives in a SQLite file in the instance
folder (``instance/worker.db``: no extra service to run), or in Redis when
``redis_url`` is set (then several workers on several machines share it). Huey,
rather than Celery or RQ: it has periodic tasks built in, runs with threads on
every OS, needs no broker for one machine, and has no dependencies.

The tasks (doors, like the admin's views: each parses its input and calls a
service):

* ``sla.watch``, every minute: for :data:`WATCH_SECONDS` it runs the clock
  watcher's pass and the outbox (:mod:`backoffice.services.sla`) every
  :data:`POLL_SECONDS` (``watch_poll_seconds``), so a breach notice is created within seconds of its due
  time, not at the next minute. Killing the worker at any point loses nothing and
  creates nothing twice (see the service); two workers at once are safe too.
* ``housekeeping.prune``, daily at 03:17: login attempts older than 30 days.
* ``whatif.run``, on demand: a what-if run of a term-set version over a large
  ticket history (:mod:`backoffice.services.whatif`), with its progress.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab

from .access import OPERATOR
from .db import acting_as
from .services import housekeeping, sla, whatif

logger = logging.getLogger("backoffice.worker")

#: how long one ``sla.watch`` task keeps watching (the next one starts at the next minute)
WATCH_SECONDS = 50
#: how often the watch looks for tickets whose check has come (an index read when none):
#: the default of the ``watch_poll_seconds`` setting
POLL_SECONDS = 5
#: how long SIGTERM waits for running tasks before the worker exits anyway
SHUTDOWN_SECONDS = 5
#: the worker's record of itself in the audit trail
WORKER = "worker"


class Worker:
    """The app's task queue and its tasks (``app.extensions["worker"]``)."""

    def __init__(self, app: Flask):
        self.app = app
        self._huey = None
        self.tasks: dict[str, object] = {}

    @property
    def huey(self):
        """The queue, made on first use (the web process opens it only to enqueue)."""
        if self._huey is None:
            self._huey = self._make_queue()
            self._register(self._huey)
        return self._huey

    @property
    def where(self) -> str:
        """Where the queue is kept, for people (no password shown)."""
        url = self.app.config["REDIS_URL"]
        if url:
            return "Redis " + url.split("@")[-1]
        return str(self._queue_file())

    def _queue_file(self) -> Path:
        return Path(self.app.config["WORKER_QUEUE"] or Path(self.app.instance_path)
                    / "worker.db")

    def _make_queue(self):
        url = self.app.config["REDIS_URL"]
        if url:
            return RedisHuey("backoffice", url=url, utc=True)
        path = self._queue_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("backoffice", filename=str(path), utc=True)

    def _register(self, huey) -> None:
        app = self.app

        @huey.periodic_task(crontab(minute="*"), name="sla.watch")
        def watch():
            with app.app_context():
                watch_for(WATCH_SECONDS, app.config["WATCH_POLL_SECONDS"])

        @huey.periodic_task(crontab(hour="3", minute="17"), name="housekeeping.prune")
        def prune():
            with app.app_context():
                removed = housekeeping.prune_login_attempts()
                logger.info("pruned %d old login attempt(s)", removed)

        @huey.task(name="whatif.run")
        def whatif_run(run_id: int):
            with app.app_context(), acting_as(OPERATOR):
                whatif.execute(run_id)

        self.tasks = {"sla.watch": watch, "housekeeping.prune": prune,
                      "whatif.run": whatif_run}

    def enqueue(self, name: str, *args):
        """Queue task ``name`` with ``args`` (the web process's way into the worker)."""
        self.huey  # noqa: B018 - makes the queue and registers the tasks on first use
        return self.tasks[name](*args)

    def consumer(self, threads: int = 2):
        """Huey's consumer for this queue, periodic tasks on. Ctrl+C (SIGINT) stops it at
        once: a pass cut short is rolled back and done again by the next worker, so nothing
        needs waiting for. SIGTERM (a service manager's stop) lets running tasks finish
        for up to :data:`SHUTDOWN_SECONDS`."""
        return self.huey.create_consumer(workers=threads, worker_type="thread", periodic=True,
                                         graceful_signal="TERM",
                                         shutdown_timeout=SHUTDOWN_SECONDS)


def watch_for(seconds: float, poll: float = POLL_SECONDS) -> None:
    """Run the pass and the outbox every ``poll`` seconds for ``seconds``. A backlog in the
    outbox (a breach told to many at once) is sent on until the next look is due, not
    one batch a look."""
    end = time.monotonic() + seconds
    while True:
        next_look = time.monotonic() + poll
        with acting_as(WORKER, fallback=True):
            made = sla.run_pass()
            batch = sla.deliver_due()
            sent, failed = batch.sent, batch.failed
            while batch.more and time.monotonic() < next_look:
                batch = sla.deliver_due()
                sent, failed = sent + batch.sent, failed + batch.failed
        if made.notices or sent or failed:
            logger.info("clock watcher: %d notice(s) created, %d sent, %d failed",
                        made.notices, sent, failed)
        if time.monotonic() >= end:
            return
        time.sleep(max(0.0, min(next_look, end) - time.monotonic()))


def init_app(app: Flask) -> None:
    app.extensions["worker"] = Worker(app)


__all__ = ["POLL_SECONDS", "WATCH_SECONDS", "Worker", "init_app", "watch_for"]
