"""Two instances that start at once migrate the database once: ``db upgrade`` takes a lock.

Each test runs the real ``backoffice db upgrade`` in subprocesses, on a fresh
SQLite file and on a fresh PostgreSQL database. The race is made tight on
purpose: every process imports and builds its app, then waits at a start line
(a file per process in a shared directory) just before :func:`migrate.upgrade`,
so that without the lock both read an empty ``migratehistory`` and both apply
the first migration.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from backoffice import migrate
from backoffice.db import open_database
from tests.conftest import IN_CI, PG_HOST, PG_PORT, PG_USER, _pg_reachable

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted(p.stem for p in (ROOT / "migrations").glob("[0-9][0-9][0-9]_*.py"))

#: ``backoffice db upgrade``, held at a start line until ``argv[2]`` processes are ready
UPGRADE_AT_THE_LINE = """
import sys, time
from pathlib import Path
from backoffice import cli, migrate

line, expected = Path(sys.argv[1]), int(sys.argv[2])
upgrade = migrate.upgrade

def at_the_line():
    (line / str(time.monotonic_ns())).touch()
    while len(list(line.iterdir())) < expected:
        time.sleep(0.001)
    return upgrade()

migrate.upgrade = at_the_line
sys.exit(cli.main(["db", "upgrade"]))
"""


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request, tmp_path):
    """An empty database nobody else uses."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    problem = _pg_reachable()
    if problem:  # as conftest's pg_url does
        if IN_CI:
            pytest.fail(problem + " and CI=true requires the PostgreSQL tests")
        pytest.skip(problem)
    import psycopg2
    base = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}"
    name = f"backoffice_lock_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(base + "/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _start_upgrade(url: str, cwd: Path, line: Path, processes: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    env.update(PYTHONPATH=str(ROOT), BACKOFFICE_DATABASE_URL=url, BACKOFFICE_SECRET_KEY="lock-test-secret-0123456",
               BACKOFFICE_PLUGINS_DIR=str(cwd / "no-plugins"))
    return subprocess.Popen([sys.executable, "-c", UPGRADE_AT_THE_LINE, str(line),
                             str(processes)], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _history(url: str) -> list[str]:
    db = open_database(url)
    try:
        return [name for (name,) in db.execute_sql(
            "SELECT name FROM migratehistory ORDER BY id").fetchall()]
    finally:
        db.close()


def test_two_upgrades_at_once_migrate_once(fresh_url, tmp_path):
    line = tmp_path / "start-line"
    line.mkdir()
    procs = [_start_upgrade(fresh_url, tmp_path, line, 2) for _ in range(2)]
    results = [(*p.communicate(timeout=120), p.returncode) for p in procs]
    for out, err, code in results:
        assert code == 0, err
    # one applied everything; the other waited, then found nothing left to do
    assert sorted(out for out, _, _ in results) == [
        "applied 0 migration(s)\n",
        f"applied {len(MIGRATIONS)} migration(s): {', '.join(MIGRATIONS)}\n"]
    assert _history(fresh_url) == MIGRATIONS  # each recorded once


def test_upgrade_waits_for_the_lock(fresh_url, tmp_path):
    """While another holds the lock, ``db upgrade`` says it waits, and migrates after."""
    line = tmp_path / "start-line"
    line.mkdir()
    holder = open_database(fresh_url)
    stderr: list[str] = []
    with migrate.migration_lock(holder):
        proc = _start_upgrade(fresh_url, tmp_path, line, 1)
        reader = threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        while not any("waiting" in s for s in stderr) and time.monotonic() < deadline:
            assert proc.poll() is None, "db upgrade did not wait for the lock"
            time.sleep(0.01)
        assert any("waiting" in s for s in stderr), "db upgrade never reached the lock"
        assert proc.poll() is None
        assert _history_or_none(fresh_url) in (None, [])
    holder.close()
    assert proc.wait(timeout=120) == 0, "".join(stderr)
    reader.join(timeout=10)
    assert _history(fresh_url) == MIGRATIONS


def _history_or_none(url: str) -> list[str] | None:
    """What ``migratehistory`` holds, or None while it does not exist yet."""
    db = open_database(url)
    try:
        return _history(url) if db.table_exists("migratehistory") else None
    finally:
        db.close()
