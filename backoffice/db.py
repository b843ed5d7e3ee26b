"""The database: one proxy bound at start-up, a connection per request, and who is acting.

Models bind to :data:`database`; :func:`init_app` points it at SQLite or PostgreSQL
from ``DATABASE_URL``. Every write made on behalf of someone runs inside
:func:`acting_as` (the web request does it from the logged-in user, the CLI from
``--as``), so the audit trail always knows who.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",       # readers never wait for the writer
    "foreign_keys": 1,
    "busy_timeout": 10000,       # several processes (web, CLI, worker) share the file
    "synchronous": "normal",
    "cache_size": -32000,
}


def open_database(url: str):
    """Return a peewee database for ``url`` (not yet connected)."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return connect(url)


def bind(url: str):
    """Point :data:`database` at ``url``; returns the real database object."""
    db = open_database(url)
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def init_app(app) -> None:
    bind(app.config["DATABASE_URL"])

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not database.is_closed():
            database.close()


# -- who is acting -------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """Who a change is recorded against: a staff id (if any) and a display name."""
    name: str
    staff_id: int | None = None


SYSTEM = Actor("system")
_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("actor", default=None)
_fallback: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("fallback",
                                                                          default=None)


def current_actor() -> Actor:
    """An explicit :func:`acting_as`, else the logged-in user, else the process's fallback."""
    actor = _actor.get()
    if actor is not None:
        return actor
    from flask import has_request_context
    if has_request_context():
        from flask_login import current_user
        if current_user and current_user.is_authenticated:
            return Actor(current_user.username, current_user.id)
    return _fallback.get() or SYSTEM


@contextlib.contextmanager
def acting_as(actor, *, fallback: bool = False):
    """Record every change inside the block against ``actor`` (an Actor, a Staff or a name).

    With ``fallback=True`` the actor only applies where no user is logged in
    (the CLI sets itself so, and the development server may serve requests
    in the same thread).
    """
    if isinstance(actor, str):
        actor = Actor(actor)
    elif not isinstance(actor, Actor):
        actor = Actor(actor.username, actor.id)
    var = _fallback if fallback else _actor
    token = var.set(actor)
    try:
        yield actor
    finally:
        var.reset(token)
