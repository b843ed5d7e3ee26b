"""``backoffice worker``: the clock watcher and the other timed work (see backoffice/worker.py)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from ..i18n import _
from ..services import sla
from . import Command


@click.command("worker", cls=Command,
               help="Run the task queue's worker: the clock watcher every minute, the "
                    "outbox, what-if runs, daily pruning (Ctrl+C stops it).")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 16),
              help="Tasks run at once.")
@with_appcontext
def worker(threads):
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                            datefmt="%H:%M:%S")
    logging.getLogger("huey").setLevel(logging.WARNING)
    queue = current_app.extensions["worker"]
    scheduled = sla.schedule_missing()
    if scheduled:
        click.echo(_("clock watcher: %(count)d open ticket(s) scheduled for their first check",
                     count=scheduled))
    click.echo(_("worker: %(threads)d thread(s), queue in %(where)s (Ctrl+C stops it)",
                 threads=threads, where=queue.where))
    consumer = queue.consumer(threads)
    queue.enqueue("sla.watch")  # the first watch now, not at the next full minute
    consumer.run()
    click.echo(_("worker stopped"))


COMMANDS = [worker]
