"""Requests reuse pooled connections (issue 7, item 15), with SQLite's settings kept.

A new connection per request cost about 1 ms on SQLite (its pragmas) and 3-6 ms on
PostgreSQL. The app's database is a playhouse.pool pooled database: ``close()`` at
the end of a request hands the connection back, the next request takes it.
"""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest

from backoffice.db import bind, database, is_sqlite, open_database
from backoffice.models import Office


@pytest.fixture
def new_connections(app, monkeypatch):
    """The connections the drivers open from now on (sqlite3 and psycopg2 alike)."""
    import psycopg2
    opened = []
    for module in (sqlite3, psycopg2):
        def counted(*args, _connect=module.connect, **kwargs):
            connection = _connect(*args, **kwargs)
            opened.append(connection)
            return connection
        monkeypatch.setattr(module, "connect", counted)
    return opened


def test_requests_reuse_one_connection(client, auth, world, new_connections):
    """Ten requests, in two threads one after the other (as a threaded server runs
    them; the tests' own app context is not theirs), open one connection."""
    auth.login("admin")
    statuses = []

    def five():
        statuses.extend(client.get("/admin/office/").status_code for _ in range(5))

    for _ in range(2):
        worker = threading.Thread(target=five)
        worker.start()
        worker.join()
    assert statuses == [200] * 10
    assert len(new_connections) == 1, f"{len(new_connections)} connections for 10 requests"


def test_close_hands_the_connection_back(app):
    database.close()
    database.connect()
    first = database.connection()
    database.close()
    database.connect()
    assert database.connection() is first
    database.close()


def test_a_reused_sqlite_connection_keeps_its_settings(app):
    if not is_sqlite():
        pytest.skip("SQLite's pragmas and lock type")
    for _ in range(2):  # a new connection, then the same one from the pool
        database.close()
        database.connect()
        pragma = {name: database.execute_sql(f"PRAGMA {name}").fetchone()[0]
                  for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}
        assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000,
                          "synchronous": 1}
        seen = []
        database.connection().set_trace_callback(seen.append)
        with database.atomic():
            Office.select().count()
        database.connection().set_trace_callback(None)
        assert seen[0] == "BEGIN IMMEDIATE", seen


def test_a_connection_handed_back_mid_transaction_is_rolled_back(app, world):
    database.close()
    database.connect()
    raw = database.connection()
    database.begin()
    Office.update(name="never committed").where(Office.id == world.harbin.id).execute()
    database.close()  # no commit: the pool rolls it back before anyone reuses it
    other = open_database(app.config["DATABASE_URL"])  # another connection: no lock left
    try:
        with other.bind_ctx([Office]), other.atomic():
            assert Office.get_by_id(world.harbin.id).name == "Harbin office"
            Office.update(phone="0451").where(Office.id == world.harbin.id).execute()
    finally:
        other.close()
    database.connect()
    assert database.connection() is raw
    assert Office.get_by_id(world.harbin.id).phone == "0451"


def test_binding_again_closes_the_idle_connections(app):
    url = app.config["DATABASE_URL"]
    old = database.obj
    database.close()
    database.connect()
    raw = database.connection()
    database.close()
    bind(url)
    try:
        assert database.obj is not old
        if is_sqlite():
            with pytest.raises(Exception, match="closed"):
                raw.execute("SELECT 1")
        else:
            assert raw.closed
    finally:
        database.connect(reuse_if_open=True)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_opens_its_own_connections(app):
    """A child process (a forking server's worker) never uses, nor closes, the parent's
    pooled connections: on PostgreSQL closing one ends the parent's session too."""
    database.close()
    database.connect()
    parent = database.connection()
    database.close()  # idle in the pool when the child is forked
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            database.connect()
            code = 0 if database.connection() is not parent else 3
            database.execute_sql("SELECT 1")
            database.obj.close_all()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child took the parent's connection"
    database.connect()
    assert database.connection() is parent
    assert database.execute_sql("SELECT 1").fetchone()[0] == 1  # the parent's still works
