"""``backoffice up`` serves like a product (issue 7, item 23): waitress, not Flask's
development server; a quiet access log; Ctrl+C stops it with exit status 0; a host or
port it cannot listen on is one line and exit status 2."""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from backoffice import create_app
from backoffice.commands.serve import AccessLog, serve

BACKOFFICE = Path(sys.executable).parent / "backoffice"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(tmp_path) -> dict:
    (tmp_path / "no-plugins").mkdir(exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "PYTHONPATH", "LANG")}
    return {**keep, "BACKOFFICE_DATABASE_URL": f"sqlite:///{tmp_path / 'up.db'}",
            "BACKOFFICE_PLUGINS_DIR": str(tmp_path / "no-plugins"),
            "BACKOFFICE_SECRET_KEY": "up-test-secret-0123456789", "PYTHONUNBUFFERED": "1"}


#: runs the command with SIGINT at its default, as in a terminal (a shell's background
#: job, CI's included, hands its children SIGINT ignored, and exec keeps that)
WITH_DEFAULT_SIGINT = [sys.executable, "-c", ("import os, signal, sys; "
                                              "signal.signal(signal.SIGINT, signal.SIG_DFL); "
                                              "os.execv(sys.argv[1], sys.argv[1:])")]


def wait_for(url: str, process, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"backoffice up ended with {process.returncode} before serving")
        try:
            return urllib.request.urlopen(url, timeout=5)
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {seconds} s")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_up_serves_with_waitress_and_stops_cleanly(tmp_path, stop):
    port = free_port()
    log = tmp_path / "up.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([*WITH_DEFAULT_SIGINT, str(BACKOFFICE), "up", "--port",
                                    str(port)], cwd=tmp_path, env=environment(tmp_path),
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        page = wait_for(f"http://127.0.0.1:{port}/login", process)
        assert page.status == 200
        assert page.headers["Server"] == "waitress"
        static = urllib.request.urlopen(
            f"http://127.0.0.1:{port}/admin/static/admin/js/helpers.js", timeout=5)
        assert static.status == 200
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page", timeout=5)
        assert missing.value.code == 404
        time.sleep(0.3)  # the access line is written when the response is done
        started = time.monotonic()
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 6
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert "development server" not in output.lower()
    assert "WARNING" not in output and "Traceback" not in output
    assert f"back-office: http://127.0.0.1:{port}/" in output
    lines = output.splitlines()
    assert any(line.endswith(" ms") and " 127.0.0.1 GET /login 200 " in line for line in lines)
    assert any(" GET /no-such-page 404 " in line for line in lines)
    assert not any("helpers.js" in line for line in lines), "static files stay out of the log"
    assert lines[-1] == "back-office stopped"


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([str(BACKOFFICE), "up", "--port", str(port)], cwd=tmp_path,
                                env=environment(tmp_path), capture_output=True, text=True,
                                timeout=120, check=False)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ") and str(port) in result.stderr


@pytest.mark.parametrize("host", ["256.1.1.1", "no-such-host.invalid"])
def test_a_bad_host_is_one_line_and_exit_2(tmp_path, host):
    result = subprocess.run([str(BACKOFFICE), "up", "--host", host, "--port", str(free_port())],
                            cwd=tmp_path, env=environment(tmp_path), capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")


# -- the serving lines themselves, whatever ``up`` checked before them ------------------------

@pytest.fixture
def bare_app(tmp_path):
    return create_app({"database_url": f"sqlite:///{tmp_path / 'x.db'}",
                       "secret_key": "serve-test-secret-0123456789",
                       "plugins_dir": str(tmp_path / "none")},
                      instance_path=str(tmp_path / "instance"))


def test_serve_refuses_a_port_in_use_in_one_line(bare_app, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            serve(bare_app, "127.0.0.1", port)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == f"error: cannot listen on 127.0.0.1 port {port}: Address already in use\n"


def test_serve_refuses_a_host_that_does_not_resolve(bare_app, capsys):
    with pytest.raises(SystemExit) as info:
        serve(bare_app, "256.1.1.1", free_port())
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot listen on 256.1.1.1 port ") and err.count("\n") == 1


def _logged(app_status: str, path: str, query: str = "") -> str:
    stream = io.StringIO()
    logger = logging.getLogger(f"test.access.{id(stream)}")
    logger.addHandler(logging.StreamHandler(stream))
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def app(environ, start_response):
        start_response(app_status, [("Content-Type", "text/plain")])
        return [b"x"]
    middleware = AccessLog(app, logger)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
               "SCRIPT_NAME": "", "REMOTE_ADDR": "10.1.2.3"}
    body = middleware(environ, lambda status, headers, exc_info=None: None)
    assert b"".join(body) == b"x"
    body.close()
    return stream.getvalue()


def test_the_access_log_is_one_line_a_request_and_cannot_be_forged():
    line = _logged("200 OK", "/admin/unit/", "page=2")
    assert line.startswith("10.1.2.3 GET /admin/unit/?page=2 200 ") and line.endswith(" ms\n")
    forged = _logged("404 NOT FOUND", "/x\n12:00:00 10.0.0.1 GET /admin/ 200 1 ms")
    assert forged.count("\n") == 1 and "\\n12:00:00" in forged
    assert len(_logged("200 OK", "/" + "a" * 500)) < 260


def test_the_access_log_leaves_out_static_files_unless_they_fail():
    assert _logged("200 OK", "/admin/static/admin/js/helpers.js") == ""
    assert _logged("304 NOT MODIFIED", "/static/vendor/x.js") == ""
    assert " 404 " in _logged("404 NOT FOUND", "/admin/static/missing.js")
