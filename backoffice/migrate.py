"""Schema migrations: ordered files in ``migrations/``, run by peewee-migrate.

peewee-migrate was chosen over hand-written playhouse.migrate scripts because it
generates each migration from the difference between the models and the last
migration (``backoffice db makemigration NAME``), records what ran in a
``migratehistory`` table, and its operations are playhouse.migrate's, which
work on SQLite and PostgreSQL alike.

The migrations ship inside the package as ``backoffice.migrations`` (setup.py
maps the top-level folder in), so an installed wheel finds them as well as a
checkout does.

Several instances may start at once and each run ``backoffice db upgrade``.
peewee-migrate reads what is done, then applies the rest: two of them would both
apply the first pending migration, and the second fails on a table that exists.
:func:`upgrade` therefore holds a lock from before it reads ``migratehistory``
until the last migration is committed: a PostgreSQL advisory lock, or on SQLite
an exclusive ``flock`` on a file beside the database. The second instance waits,
then finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import logging
from importlib import resources
from pathlib import Path

from peewee import InterfaceError, OperationalError, PostgresqlDatabase, SqliteDatabase
from peewee_migrate import Router

from .db import database
from .models import MODELS

MIGRATIONS_DIR = Path(resources.files("backoffice.migrations"))

#: the advisory lock every instance takes around its migrations: any fixed bigint,
#: the same everywhere ("backoffi" in ASCII)
LOCK_KEY = 0x6261636B6F666669

logger = logging.getLogger("backoffice.migrate")
logger.setLevel(logging.WARNING)


def router() -> Router:
    return Router(database.obj, migrate_dir=MIGRATIONS_DIR, logger=logger)


def upgrade() -> list[str]:
    """Apply every pending migration, under the migration lock; returns the names applied."""
    with migration_lock():
        return router().run() or []


def status() -> tuple[list[str], list[str]]:
    """(applied, pending) migration names."""
    r = router()
    return list(r.done), list(r.diff)


def make(name: str) -> str | None:
    """Write a migration for the difference between the models and the migrations."""
    return router().create(name, auto=MODELS)


# -- the lock -----------------------------------------------------------------

@contextlib.contextmanager
def migration_lock(db=None):
    """Hold the migration lock of ``db`` (default: the bound database) for the block.

    One holder at a time, across processes and machines; the others wait.
    """
    db = db if db is not None else database.obj
    if isinstance(db, PostgresqlDatabase):
        with _advisory_lock(db):
            yield
    elif isinstance(db, SqliteDatabase) and db.database not in ("", ":memory:"):
        with _file_lock(f"{db.database}-migrate.lock"):
            yield
    else:  # an in-memory database has no second process
        yield


@contextlib.contextmanager
def _advisory_lock(db):
    # A session lock: it outlives the migrations' own transactions, and ends with
    # the connection if this process dies. Taken on the connection that migrates.
    db.connect(reuse_if_open=True)
    got = db.execute_sql("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]
    if not got:
        logger.warning("another instance is migrating this database; waiting for it")
        db.execute_sql("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        yield
    finally:
        # a connection that broke has released the lock with its session
        with contextlib.suppress(InterfaceError, OperationalError):
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


@contextlib.contextmanager
def _file_lock(path: str):
    # Not the database file itself: closing any descriptor of it would drop
    # SQLite's own POSIX locks in this process.
    try:
        import fcntl
    except ImportError:  # not POSIX (Windows): no lock, start one instance at a time there
        fcntl = None
    if fcntl is None:
        yield
        return
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.warning("another process is migrating %s; waiting for it", path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
