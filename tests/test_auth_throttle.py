"""The login throttle holds under concurrency: 40 parallel tries through two app processes.

Each try is its own browser (session and CSRF token), half of them on each of
two real app processes that share the test's database (SQLite and
PostgreSQL). Counting first and recording afterwards let nearly all 40 see
"below the limit" and have their password checked; now at most
``login_max_failures`` passwords are looked at and the rest are refused (429)
without it, and then the right password is refused too.
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.security import generate_password_hash

from backoffice.db import acting_as
from backoffice.models import LoginAttempt, Role, Staff
from tests.factories import PASSWORD
from tests.live_server import Browser, app_processes

PARALLEL = 40


@pytest.fixture
def servers(app, db_url, tmp_path):
    """Two app processes on this test's database, with the test app's settings."""
    with app_processes(app, db_url, tmp_path, trusted_proxies=1) as started:
        yield started


@pytest.fixture
def target(app, world):
    """An account hashed the way production hashes (scrypt), so a check costs what it costs."""
    with acting_as("tests"):
        staff = Staff(name="Target", username="target", role=Role.HQ)
        staff.set_password(PASSWORD)
        staff.password_hash = generate_password_hash(PASSWORD, method="scrypt")
        staff.save()
    return staff


def _parallel_logins(servers, attempts):
    """Post every ``(username, password, address)`` at the same moment; the statuses."""
    from tests.conftest import csrf_token
    browsers = []
    for n, (username, password, address) in enumerate(attempts):
        browser = Browser(servers[n % 2].url, headers={"X-Forwarded-For": address})
        _, _, page = browser.get("/login")
        browsers.append((browser, {"username": username, "password": password,
                                   "csrf_token": csrf_token(page)}))
    barrier = threading.Barrier(len(browsers))
    statuses = [None] * len(browsers)

    def attempt(n):
        browser, form = browsers[n]
        barrier.wait(timeout=60)
        statuses[n] = browser.post("/login", form)[0]

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return statuses


def _assert_no_server_errors(servers):
    for server in servers:
        assert "Traceback" not in server.errors(), server.errors()


def test_parallel_tries_for_one_username_check_at_most_the_limit(app, servers, target):
    """40 wrong passwords for one account, each from its own address."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = _parallel_logins(servers, [("target", f"wrong-guess-{n}", f"198.51.100.{n + 1}")
                                          for n in range(PARALLEL)])
    checked = statuses.count(401)  # "Wrong username or password": the password was looked at
    assert checked <= limit, f"{checked} passwords checked with a limit of {limit}: {statuses}"
    assert sorted(set(statuses)) == [401, 429], statuses
    assert LoginAttempt.select().where(~LoginAttempt.success).count() == PARALLEL
    # the limit is reached: the right password, from yet another address, is refused
    browser = Browser(servers[1].url, headers={"X-Forwarded-For": "198.51.100.200"})
    assert browser.login("target", PASSWORD) == 429
    assert browser.get("/admin/")[0] == 302  # still anonymous: sent to the login page
    _assert_no_server_errors(servers)


def test_parallel_tries_from_one_address_check_at_most_the_limit(app, servers, target):
    """40 guesses for 40 user names from one address."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = _parallel_logins(servers, [(f"guess{n}", "wrong-guess", "203.0.113.9")
                                          for n in range(PARALLEL)])
    checked = statuses.count(401)
    assert checked <= limit, f"{checked} passwords checked with a limit of {limit}: {statuses}"
    browser = Browser(servers[0].url, headers={"X-Forwarded-For": "203.0.113.9"})
    assert browser.login("target", PASSWORD) == 429
    # another address is not affected
    other = Browser(servers[0].url, headers={"X-Forwarded-For": "203.0.113.10"})
    assert other.login("target", PASSWORD) == 302
    _assert_no_server_errors(servers)

