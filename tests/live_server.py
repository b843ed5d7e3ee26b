"""Real app processes on one database, and a small browser, for the concurrency tests.

A test client runs in the test's own process, where one interpreter and one
connection per thread hide what goes wrong when several app processes (gunicorn
workers, several hosts) share a database. :func:`start` runs the app in a
separate Python process with werkzeug's threaded server on 127.0.0.1, built from
the same settings as the test's app; :class:`Browser` talks to it over HTTP and
keeps its session cookie.

Run as a module (``python -m tests.live_server CONFIG_JSON INSTANCE_PATH``) it
serves until killed and prints its port on the first line of stdout.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()

    def errors(self) -> str:
        """What the server logged on stderr (tracebacks of 500s land here)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start(config: dict, instance_path: str | Path, log: Path) -> Server:
    """Start one app process for ``config`` (a settings mapping); returns once it listens."""
    with open(log, "wb") as stderr:  # the child keeps its own copy of the file
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.live_server", json.dumps(config), str(instance_path)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = process.stdout.readline()
    if not line.strip().isdigit():
        process.kill()
        raise RuntimeError(f"the app process did not start: {line!r}\n{log.read_text()}")
    return Server(process, int(line), log)


@contextlib.contextmanager
def app_processes(app, db_url: str, tmp_path: Path, count: int = 2, **settings):
    """``count`` app processes on ``db_url`` with the test app's secret (and ``settings``),
    stopped when the block ends."""
    config = {"database_url": db_url, "secret_key": app.config["SECRET_KEY"],
              "plugins_dir": str(tmp_path / "no-plugins"), **settings}
    started = []
    try:
        for n in range(count):
            started.append(start(config, tmp_path / "instance", tmp_path / f"server{n}.log"))
        yield started
    finally:
        for server in started:
            server.stop()


class Browser:
    """One user's browser: cookies (the session), plain HTTP/1.1, no redirects followed."""

    def __init__(self, base_url: str, headers: dict | None = None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self.headers = dict(headers or {})
        self._lock = threading.Lock()

    def request(self, method: str, path: str, form: dict | list | None = None,
                headers: dict | None = None, keep_cookies: bool = True):
        """``(status, headers, body text)`` of one request."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            sent = {**self.headers, **(headers or {})}
            with self._lock:
                if self.cookies:
                    sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form, doseq=True)
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            if keep_cookies:
                self._keep(response.headers.get_all("Set-Cookie") or [])
            return response.status, response.headers, text
        finally:
            conn.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, form, **kwargs):
        return self.request("POST", path, form=form, **kwargs)

    def _keep(self, set_cookies):
        with self._lock:
            for header in set_cookies:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                expired = "expires=thu, 01 jan 1970" in header.lower() or "max-age=0" in \
                    header.lower()
                if expired or not value:
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value

    def login(self, username: str, password: str):
        """Log in through the form (token first); returns the POST's status."""
        from tests.conftest import csrf_token
        _, _, page = self.get("/login")
        status, _, _ = self.post("/login", {"username": username, "password": password,
                                            "csrf_token": csrf_token(page)})
        return status


def _serve(config_json: str, instance_path: str) -> None:
    from werkzeug.serving import make_server

    from backoffice import create_app
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log
    app = create_app(json.loads(config_json), instance_path=instance_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
