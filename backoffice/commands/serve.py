"""How ``backoffice up`` serves: waitress, a production WSGI server, with a quiet access log.

Waitress rather than gunicorn: it is pure Python and runs on every operating
system (a regional office's Windows PC included), and it serves with threads in
the one process that ``backoffice up`` already is, so a console script starts it
without forking or a separate master process. Several instances behind a proxy
(docs/operations.md) may still run under any WSGI server.

The access log is one line per request on standard error (client, method, path,
status, milliseconds); static files are left out unless they fail, and control
characters in a path are escaped, so a request cannot forge a log line. A host
or port the server cannot listen on is one line and exit status 2; Ctrl+C
(SIGINT), and SIGTERM as a service manager sends it, stop the server cleanly
with exit status 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time

import click
from waitress import create_server
from werkzeug.wsgi import ClosingIterator

from ..i18n import _
from . import fail

#: worker threads: requests served at once (a back-office office, not a web shop)
THREADS = 8
#: the longest path the access log writes out
PATH_SHOWN = 200

access_logger = logging.getLogger("backoffice.access")


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class AccessLog:
    """WSGI middleware: one short line per request, written when its response is done."""

    def __init__(self, app, logger: logging.Logger = access_logger):
        self.app = app
        self.logger = logger

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = []

        def recording(line, headers, exc_info=None):
            status[:] = [line.split(" ", 1)[0]]
            return start_response(line, headers, exc_info)

        def done():
            self._write(environ, status[0] if status else "-", started)

        try:
            body = self.app(environ, recording)
        except BaseException:
            status[:] = ["500"]
            done()
            raise
        return ClosingIterator(body, [done])

    def _write(self, environ, status: str, started: float) -> None:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if "/static/" in path and status.isdigit() and int(status) < 400:
            return
        query = environ.get("QUERY_STRING", "")
        target = _printable(path + (f"?{query}" if query else ""))
        if len(target) > PATH_SHOWN:
            target = target[:PATH_SHOWN] + "..."
        self.logger.info("%s %s %s %s %d ms", environ.get("REMOTE_ADDR", "-"),
                         _printable(environ.get("REQUEST_METHOD", "-")), target, status,
                         round((time.perf_counter() - started) * 1000))


def _quiet_logging() -> None:
    """The access log on standard error, time first; waitress itself says only warnings."""
    if not access_logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        access_logger.addHandler(handler)
        access_logger.setLevel(logging.INFO)
        access_logger.propagate = False
    logging.getLogger("waitress").setLevel(logging.WARNING)


def _stop(signum, frame):
    raise KeyboardInterrupt  # waitress's loop stops on it, as on Ctrl+C


def serve(app, host: str, port: int, *, then=None) -> None:
    """Serve ``app`` on ``host``:``port`` until Ctrl+C; a refusal is one line and exit 2.
    ``then`` is called once the server has stopped, before the last line says so (``up``
    stops its worker there)."""
    _quiet_logging()
    try:
        server = create_server(
            AccessLog(app), host=host, port=port, threads=THREADS, ident="waitress",
            # with trusted_proxies set, the app's own ProxyFix reads X-Forwarded-*;
            # without, waitress drops those headers before the app sees them
            clear_untrusted_proxy_headers=not app.config.get("TRUSTED_PROXIES"))
    except (OSError, ValueError) as exc:  # a port in use, a host that does not resolve
        fail(_("cannot listen on %(host)s port %(port)s: %(problem)s", host=host, port=port,
               problem=getattr(exc, "strerror", None) or str(exc)))
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()  # returns on SIGINT: waitress catches KeyboardInterrupt and shuts down
    except KeyboardInterrupt:  # one that came between two turns of its loop
        server.task_dispatcher.shutdown()
    if then is not None:
        then()
    click.echo(_("back-office stopped"))
