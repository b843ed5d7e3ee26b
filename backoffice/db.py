"""The database: one proxy bound at start-up, a pooled connection per request, and who is acting.

Models bind to :data:`database`; :func:`init_app` points it at SQLite or PostgreSQL
from ``DATABASE_URL``, through a connection pool (:func:`bind`): each request
takes a connection at its start and hands it back at its end, and the next
request, in any thread, reuses it (a new connection costs about 1 ms on SQLite,
its pragmas included, and 3-6 ms on PostgreSQL). Every write made on behalf of someone runs inside
:func:`acting_as` (the web request does it from the logged-in user, the CLI from
``--as``), so the audit trail always knows who.

SQLite is used the way a multi-user web app must: WAL (readers never wait for
the writer), a busy timeout, and ``BEGIN IMMEDIATE`` for every transaction. A
deferred transaction starts as a reader and asks for the write lock at its
first write; if another connection committed in between, SQLite cannot let it
wait (its snapshot is stale) and answers "database is locked" at once, whatever
the busy timeout. An immediate transaction takes the write lock at ``BEGIN``
and so waits its turn (up to :data:`BUSY_TIMEOUT_SECONDS`), then reads fresh
rows: the loser of two concurrent saves sees the winner's version and gets the
"changed by someone else" message. A lock that is still held after the wait
(SQLite) or a lock timeout, deadlock or serialisation failure (PostgreSQL) is
:func:`is_lock_timeout`; callers turn it into :class:`DatabaseBusy`, whose
message asks the user to try again (:mod:`backoffice.security` does so for any
request that lets one escape: a 503 page, never a 500).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sqlite3
import weakref
from dataclasses import dataclass

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

from .i18n import _

database = DatabaseProxy()

#: how long a write waits for another connection's write lock before giving up
BUSY_TIMEOUT_SECONDS = 10

SQLITE_PRAGMAS = {
    "journal_mode": "wal",       # readers never wait for the writer
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,  # processes (web, CLI, worker) share the file
    "synchronous": "normal",
    "cache_size": -32000,
}


#: a process keeps at most this many connections (one per request served at once)
POOL_SIZE = 32
#: a pooled connection older than this many seconds is closed instead of reused
POOL_RECYCLE_SECONDS = 600
#: the pools this process made; a forked child forgets them (see _forget_pools)
_pools: weakref.WeakSet = weakref.WeakSet()


def open_database(url: str, *, pool: bool = False):
    """Return a peewee database for ``url`` (not yet connected).

    ``pool`` (or a ``+pool`` scheme in the URL): playhouse.pool's pooled database,
    through playhouse.db_url's ``sqlite+pool://`` / ``postgresql+pool://`` schemes.
    Its ``close()`` hands the connection back to the pool, open, with its pragmas;
    ``connect()`` takes an idle one (checked first: PostgreSQL answers ``SELECT 1``,
    a broken one is dropped) or opens a new one. A connection handed back inside a
    transaction is rolled back. An in-memory SQLite database is never pooled (each
    connection would be another database).
    """
    if url.startswith(("postgres://", "postgres+pool://")):
        url = "postgresql" + url[len("postgres"):]
    scheme, _, rest = url.partition("://")
    base = scheme.removesuffix("+pool")
    pool = (pool or scheme.endswith("+pool")) and ":memory:" not in rest
    options: dict = {}
    if base == "sqlite":
        # lock_type: every transaction (atomic(), nested or not) begins IMMEDIATE;
        # the busy timeout is the pragma's (the pool takes ``timeout`` for itself)
        options = {"pragmas": SQLITE_PRAGMAS, "lock_type": "IMMEDIATE"}
        if pool:  # a connection may serve another thread's request next
            options["check_same_thread"] = False
        else:
            options["timeout"] = BUSY_TIMEOUT_SECONDS
    if pool:
        # ``timeout``: how long a request waits for a free connection when all are taken
        options.update(max_connections=POOL_SIZE, stale_timeout=POOL_RECYCLE_SECONDS,
                       timeout=BUSY_TIMEOUT_SECONDS)
    db = connect(f"{base}{'+pool' if pool else ''}://{rest}", **options)
    if pool:
        _pools.add(db)
    return db


def bind(url: str, *, pool: bool = True):
    """Point :data:`database` at ``url`` (pooled); returns the real database object.

    The idle connections of a pool bound before are closed (a process serving
    requests binds once; the tests and some commands bind again).
    """
    previous = database.obj
    db = open_database(url, pool=pool)
    database.initialize(db)
    if previous is not None and previous in _pools:
        previous.close_idle()
    return db


def _forget_pools():
    """In a forked child: drop the parent's connections without closing them (closing
    would end the parent's sessions too); the child opens its own."""
    for db in list(_pools):
        db.dispose()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


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
            database.close()  # back to the pool


# -- a busy database -------------------------------------------------------------

#: PostgreSQL SQLSTATEs that mean "another transaction held the row; try again":
#: lock_not_available (lock_timeout, NOWAIT), serialization_failure, deadlock_detected
_PG_RETRY_CODES = {"55P03", "40001", "40P01"}
#: SQLite's words for a lock still held when the busy timeout ran out
_SQLITE_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")


def busy_message() -> str:
    return _("The database is busy; nothing was saved. Please try again in a moment.")


class DatabaseBusy(RuntimeError):
    """A write gave up waiting for another one's lock; ``str()`` is the message for the user.

    Like a rule violation it is the user's to read (it says what happened and
    what to do), but it is no business rule: the same change may succeed a
    moment later.
    """

    field = None

    def __init__(self, message: str | None = None):
        super().__init__(message or busy_message())


def is_lock_timeout(exc: BaseException | None) -> bool:
    """Is ``exc`` (or what it wraps) a lock wait that ran out, a deadlock or a
    serialisation failure, i.e. a write worth trying again?"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DatabaseBusy):
            return True
        if isinstance(exc, sqlite3.OperationalError):
            text = str(exc).lower()
            return any(words in text for words in _SQLITE_BUSY_WORDS)
        if getattr(exc, "pgcode", None) in _PG_RETRY_CODES:
            return True
        # peewee re-raises the driver's exception as its own, the original as args[0]
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or exc.__cause__ or exc.__context__
    return False


@contextlib.contextmanager
def busy_as_error():
    """Turn a lock timeout inside the block into :class:`DatabaseBusy` (others pass through)."""
    try:
        yield
    except DatabaseBusy:
        raise
    except Exception as exc:
        if is_lock_timeout(exc):
            raise DatabaseBusy() from exc
        raise


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
