"""Fixtures as in Flask's tutorial: ``app`` (fresh database), ``client``, ``runner``, ``auth``.

``app`` is built once per database in each test process and handed to every test as
it was built, on an emptied database (:class:`_Shared`); a test that changes the app
itself is marked ``own_app``. Every test that uses ``app`` runs twice: on SQLite and
on PostgreSQL (127.0.0.1:5432, user postgres, a database this suite creates and drops).
Without a reachable PostgreSQL the PostgreSQL half skips with the reason,
except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import uuid
from contextlib import contextmanager

import pytest

from backoffice import create_app
from backoffice.db import database, is_postgres
from backoffice.models import Staff
from backoffice.plugins import EXTENSION_KEY

# Hashing cost is not under test here; scrypt would make each fixture user cost ~80 ms.
Staff.password_method = "pbkdf2:sha256:1000"

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_reachable() -> str | None:
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=2).close()
    except OSError as exc:
        return f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} ({exc})"
    return None


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    problem = _pg_reachable()
    if problem:
        if IN_CI:
            pytest.fail(problem + " and CI=true requires the PostgreSQL tests")
        pytest.skip(problem)
    import psycopg2
    name = f"backoffice_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    # a test database needs no durability: a commit does not wait for the disk
    admin.cursor().execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    if not database.is_closed():
        database.close()
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


_migrated: set[str] = set()


def _fresh_database(url: str) -> None:
    """Migrate once per database, then empty every table before each test."""
    from backoffice import migrate
    from backoffice.models import MODELS
    database.connect(reuse_if_open=True)
    if url not in _migrated:
        migrate.upgrade()
        _migrated.add(url)
    present = set(database.get_tables())
    tables = [m._meta.table_name for m in MODELS if m._meta.table_name in present]
    extra = getattr(pytest, "_backoffice_extra_tables", [])
    tables += [t for t in extra if t in present]
    with database.atomic():
        if is_postgres():
            # DELETE, not TRUNCATE: a TRUNCATE of some 50 tables makes new files for each
            # and waits on them (about a second a test); with the foreign keys' triggers
            # off for this transaction (a superuser's session_replication_role) the order
            # does not matter. Then every table's own sequences start again at 1.
            database.execute_sql("SET LOCAL session_replication_role = replica")
            for table in tables:
                database.execute_sql(f'DELETE FROM "{table}"')
            database.execute_sql(
                "SELECT setval(s.oid, 1, false) FROM pg_class s "
                "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
                "JOIN pg_class t ON t.oid = d.refobjid "
                "WHERE s.relkind = 'S' AND t.relname = ANY(%s)", (tables,))
        else:
            database.execute_sql("PRAGMA defer_foreign_keys = ON")
            for table in tables:
                database.execute_sql(f'DELETE FROM "{table}"')
            if "sqlite_sequence" in present:
                database.execute_sql("DELETE FROM sqlite_sequence")
    database.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request):
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return request.getfixturevalue("sqlite_url")


def _build_app(db_url: str, folder, **settings):
    (folder / "no-plugins").mkdir(exist_ok=True)  # empty: no plugins, and no warning
    config = {"database_url": db_url, "secret_key": "test-secret-key-0123456789",
              "plugins_dir": str(folder / "no-plugins"), **settings}
    application = create_app(config, instance_path=str(folder / "instance"))
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def make_app(db_url, tmp_path):
    """Build an app on this test's database with extra settings."""
    return lambda **settings: _build_app(db_url, tmp_path, **settings)


class _Shared:
    """One app per database in each test process, as it was built, for every test.

    Building the app (its 200-odd routes, the admin's views, the API's schemas) costs
    more than most tests, so ``app`` builds it once and each test gets it back as it was:
    its configuration, its plugins (one a test registered and left is unregistered), the
    rule engine's terms read again, the task queue empty, the database bound to it.
    """

    def __init__(self, db_url: str, folder):
        self.app = _build_app(db_url, folder)
        self.engine = self.app.extensions[EXTENSION_KEY]
        self.db = database.obj
        self.config = dict(self.app.config)
        self.plugins = set(self.engine.plugins)

    def start(self):
        if database.obj is not self.db:  # another app (make_app) was bound since
            database.initialize(self.db)
        self.app.extensions["worker"].huey.flush()
        return self.app

    def finish(self):
        self.engine.failure_store.flush()  # before the next test empties the tables
        for name in set(self.engine.plugins) - self.plugins:
            self.engine.unregister(name)
        self.engine.forget_terms()
        self.app.config.clear()
        self.app.config.update(self.config)


_shared: dict[str, _Shared] = {}


@pytest.fixture
def app(request, db_url, tmp_path_factory):
    """The app on an empty database: the process's shared one (see :class:`_Shared`), or,
    for a test marked ``own_app``, one built for it alone."""
    if request.node.get_closest_marker("own_app"):
        shared = _Shared(db_url, tmp_path_factory.mktemp("app"))
    else:
        shared = _shared.get(db_url)
        if shared is None:
            shared = _shared[db_url] = _Shared(db_url, tmp_path_factory.mktemp("app"))
    application = shared.start()
    _fresh_database(db_url)
    try:
        with application.app_context():
            database.connect(reuse_if_open=True)
            yield application
            if not database.is_closed():
                database.close()
    finally:
        shared.finish()


@pytest.fixture
def backoffice_app(app):
    """The integrators' fixtures (``backoffice.testing``, loaded through its pytest11 entry
    point: ``register_plugin`` ...) run on this suite's app, SQLite and PostgreSQL alike."""
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    """Two offices far apart, with a customer file each (see tests/factories.py)."""
    from tests.factories import make_world
    return make_world()


@contextmanager
def captured_sql():
    """Every (sql, params) the database runs inside the block."""
    db, seen = database.obj, []
    original = db.execute_sql

    def spy(sql, params=None):
        seen.append((sql, params))
        return original(sql, params)

    db.execute_sql = spy
    try:
        yield seen
    finally:
        del db.execute_sql


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "correct-horse-1", follow=True,
              remote_addr: str | None = None):
        page = self.client.get("/login")
        token = csrf_token(page.get_data(as_text=True))
        environ = {"REMOTE_ADDR": remote_addr} if remote_addr else {}
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token},
                                follow_redirects=follow, environ_base=environ)

    def logout(self):
        page = self.client.get("/admin/")
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


# -- the browser: one Playwright and one Chromium for the whole session ---------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 15_000


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(reason + " (CI=true requires the browser tests)")
    pytest.skip(reason)


def _install_chromium() -> str | None:
    """Install Debian's chromium; returns why it could not be done, or None."""
    if os.geteuid() != 0:
        return f"{CHROMIUM} is missing and installing it with apt-get needs root"
    if not shutil.which("apt-get"):
        return f"{CHROMIUM} is missing and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    try:
        if subprocess.run(install, check=False, env=env, capture_output=True, timeout=900).returncode:
            subprocess.run(["apt-get", "update"], check=False, env=env, capture_output=True, timeout=300)
            done = subprocess.run(install, check=False, env=env, capture_output=True, text=True, timeout=900)
            if done.returncode:
                return f"apt-get install chromium failed: {done.stderr.strip()[-300:]}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"apt-get install chromium failed: {exc}"
    return None if os.path.exists(CHROMIUM) else f"{CHROMIUM} still missing after apt-get"


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        problem = _install_chromium()
        if problem:
            _unavailable(problem)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
