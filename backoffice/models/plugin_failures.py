"""Rule-plugin failure counts, one figure for every process of a deployment.

The rule engine (:mod:`backoffice.plugins`) counts each failure of a plugin (it
raised, or answered nonsense) per plugin and hook, with the last error, the
last contract and when, through a :class:`FailureStore`:

* :class:`MemoryFailureStore`: this process only; an engine built by hand
  (``RuleEngine().load()``, a unit test's) has one.
* :class:`DatabaseFailureStore`: the table ``plugin_failure``, one row per
  (plugin, hook). The app's default, so every web process, the worker and the
  command line read and add to the same figures.
* :class:`RedisFailureStore`: a hash per (plugin, hook) when ``redis_url`` is set.

:func:`store_for` picks one from the app's settings (``create_app`` asks it).

**A failure is counted whatever becomes of the caller's transaction.** It did
happen: a plugin that breaks while a ticket is saved, and so makes the save fail
and roll back, must show in the count all the more. So the database store never
writes in the caller's transaction. Outside one, it adds the row at once in a
short transaction of its own. Inside one, the row goes to a writer thread with a
connection of its own: on PostgreSQL it is committed at once; on SQLite the
caller's transaction holds the database's write lock (every transaction begins
``IMMEDIATE``), so the writer's ``BEGIN IMMEDIATE`` waits for that transaction
to end, commit or rollback, and then writes. :meth:`FailureStore.flush` waits
for the writer (reading the counts, and the end of every app context, do), except
inside a transaction, where it could be waiting for itself; there the figures
read leave out the failures the same transaction is still holding back.

The increment is one statement, ``INSERT ... ON CONFLICT (plugin, hook) DO
UPDATE SET count = plugin_failure.count + 1, ...`` (``HINCRBY`` in Redis):
processes counting at the same moment lose no failure. On PostgreSQL that short
transaction commits without waiting for the disk (``synchronous_commit`` off for
it alone: a crash of the server may lose the last counts, nothing else; a broken
plugin asked for every ticket of a list page costs a round trip per failure, not
a disk flush). Counting must never take the caller down: a store that cannot
write (a database that is down, a table not migrated) raises, and the engine
logs it and goes on.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass

import redis
from peewee import EXCLUDED, BigIntegerField, CharField, DateTimeField, SqliteDatabase

from ..clock import utcnow
from ..db import database, is_lock_timeout, is_postgres
from .core import BaseModel

logger = logging.getLogger("backoffice.plugin_failures")

#: the longest last error kept (the log has the whole message and the traceback)
ERROR_MAX = 500
PLUGIN_MAX = 100
HOOK_MAX = 60
CONTRACT_MAX = 60
#: how long the writer keeps trying a row that finds the database locked (a SQLite
#: transaction that outlives the busy timeout) before it logs the row as lost
WRITER_PATIENCE_SECONDS = 120
#: how long a read waits for the writer
FLUSH_SECONDS = 30
#: Redis: how long a command may take before the engine logs it and goes on
REDIS_TIMEOUT_SECONDS = 2
REDIS_PREFIX = "backoffice:"


@dataclass
class Failure:
    """How often a plugin failed in a hook, and the last time's details (``last_at``:
    aware, UTC)."""

    count: int = 0
    last_error: str = ""
    last_contract: str = ""
    last_at: dt.datetime | None = None


class PluginFailure(BaseModel):
    """One plugin's failures in one hook, counted by every process of the deployment."""

    plugin = CharField(max_length=PLUGIN_MAX)
    hook = CharField(max_length=HOOK_MAX)
    count = BigIntegerField(default=0)
    last_error = CharField(max_length=ERROR_MAX, default="")
    last_contract = CharField(max_length=CONTRACT_MAX, default="")
    #: stored UTC
    last_at = DateTimeField()

    class Meta:
        table_name = "plugin_failure"
        indexes = ((("plugin", "hook"), True),)

    @classmethod
    def office_filter(cls, office_id):
        return None  # the rule engine's, shared by every office

    def as_failure(self) -> Failure:
        return Failure(self.count, self.last_error, self.last_contract,
                       self.last_at.replace(tzinfo=dt.UTC))


def _storable(text: str, limit: int) -> str:
    """``text`` cut to ``limit``, without what no database keeps (NUL and the other control
    characters but tab and newline, lone surrogates)."""
    text = str(text)[:limit].encode("utf-8", "replace").decode("utf-8")
    return "".join(c if c >= " " or c in "\t\n" else " " for c in text)


class FailureStore:
    """Where the engine counts failures: :meth:`record` one, :meth:`counts` all."""

    #: what the registry says about where the figures live
    where = "memory"

    def record(self, plugin: str, hook: str, contract_label: str, message: str) -> None:
        raise NotImplementedError

    def counts(self) -> dict[tuple[str, str], Failure]:
        """Every (plugin, hook) with a failure counted."""
        raise NotImplementedError

    def reset(self, plugin: str | None = None) -> int:
        """Forget the counts of ``plugin`` (of every plugin: ``None``); returns how many
        (plugin, hook) figures were removed."""
        raise NotImplementedError

    def flush(self, timeout: float = FLUSH_SECONDS) -> bool:
        """Wait until every failure recorded so far is stored; False if it could not be."""
        return True


class MemoryFailureStore(FailureStore):
    """This process's counts, in a dict."""

    where = "memory"

    def __init__(self):
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], Failure] = {}

    def record(self, plugin, hook, contract_label, message):
        with self._lock:
            failure = self._failures.setdefault((plugin, hook), Failure())
            failure.count += 1
            failure.last_error, failure.last_contract = message[:ERROR_MAX], contract_label
            failure.last_at = dt.datetime.now(dt.UTC)

    def counts(self):
        with self._lock:
            return {key: Failure(f.count, f.last_error, f.last_contract, f.last_at)
                    for key, f in self._failures.items()}

    def reset(self, plugin=None):
        with self._lock:
            gone = [key for key in self._failures if plugin is None or key[0] == plugin]
            for key in gone:
                del self._failures[key]
            return len(gone)


# -- the database ------------------------------------------------------------------------

#: every database store of this process (flushed at exit, forgotten by a forked child)
_stores: weakref.WeakSet = weakref.WeakSet()


class DatabaseFailureStore(FailureStore):
    """The counts in ``plugin_failure``, written outside the caller's transaction (see the
    module's notes)."""

    where = "database"

    def __init__(self):
        self._start_over()
        _stores.add(self)

    def _start_over(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[dict] = deque()
        self._writer: threading.Thread | None = None

    def record(self, plugin, hook, contract_label, message):
        row = {"plugin": _storable(plugin, PLUGIN_MAX), "hook": _storable(hook, HOOK_MAX),
               "last_contract": _storable(contract_label, CONTRACT_MAX),
               "last_error": _storable(message, ERROR_MAX), "last_at": utcnow()}
        if not database.in_transaction():
            self._write(row)
        elif _in_memory():  # another connection would be another database: the caller's
            self._write(row)  # transaction it is, and a rollback takes the count with it
        else:
            self._hand_to_writer(row)

    @staticmethod
    def _write(row: dict) -> None:
        """Add one failure in a transaction of its own, on this thread's connection (a
        writer's, or a caller's that is in no transaction)."""
        closed = database.is_closed()
        try:
            with database.atomic():
                if is_postgres():  # a count need not wait for the disk (a crash may lose
                    database.execute_sql("SET LOCAL synchronous_commit TO OFF")  # the last)
                (PluginFailure.insert(count=1, **row)
                 .on_conflict(conflict_target=[PluginFailure.plugin, PluginFailure.hook],
                              update={PluginFailure.count: PluginFailure.count + 1,
                                      PluginFailure.last_error: EXCLUDED.last_error,
                                      PluginFailure.last_contract: EXCLUDED.last_contract,
                                      PluginFailure.last_at: EXCLUDED.last_at})
                 .execute())
        finally:
            if closed and not database.is_closed():
                database.close()  # as it was found: a pooled connection goes back

    def _hand_to_writer(self, row: dict) -> None:
        with self._lock:
            self._queue.append(row)
            if self._writer is None:
                self._writer = threading.Thread(target=self._drain, daemon=True,
                                                name="plugin-failure-writer")
                self._writer.start()

    def _drain(self) -> None:
        """The writer: one row at a time, each in its own transaction, until none is left."""
        while True:
            with self._lock:
                if not self._queue:
                    self._writer = None
                    self._changed.notify_all()
                    return
                row = self._queue[0]
            self._write_patiently(row)
            with self._lock:
                self._queue.popleft()
                self._changed.notify_all()

    def _write_patiently(self, row: dict) -> None:
        give_up = time.monotonic() + WRITER_PATIENCE_SECONDS
        while True:
            try:
                self._write(row)
                return
            except Exception as exc:  # noqa: BLE001 - the writer must go on with the next
                if is_lock_timeout(exc) and time.monotonic() < give_up:
                    time.sleep(0.05)
                    continue
                logger.error("plugin failure not counted (%s in %s, %s): %s: %s",
                             row["plugin"], row["hook"], row["last_error"][:100],
                             type(exc).__name__, exc)
                return

    def flush(self, timeout=FLUSH_SECONDS):
        if database.in_transaction():
            with self._lock:  # the writer may be waiting for this very transaction
                return not self._queue
        with self._lock:
            return self._changed.wait_for(lambda: not self._queue, timeout)

    def counts(self):
        self.flush()
        closed = database.is_closed()
        try:
            rows = list(PluginFailure.select().order_by(PluginFailure.plugin,
                                                        PluginFailure.hook))
        finally:
            if closed and not database.is_closed():
                database.close()
        return {(row.plugin, row.hook): row.as_failure() for row in rows}

    def reset(self, plugin=None):
        self.flush()
        query = PluginFailure.delete()
        if plugin is not None:
            query = query.where(PluginFailure.plugin == plugin)
        closed = database.is_closed()
        try:
            with database.atomic():
                return query.execute()
        finally:
            if closed and not database.is_closed():
                database.close()


def _in_memory() -> bool:
    db = database.obj
    return isinstance(db, SqliteDatabase) and db.database in ("", ":memory:")


@atexit.register
def _flush_at_exit() -> None:
    """A command that counted a failure in its last transaction exits after the writer."""
    for store in list(_stores):
        store.flush(timeout=5)


def _forget_writers() -> None:
    """In a forked child: the parent's writer thread and its rows are the parent's."""
    for store in list(_stores):
        store._start_over()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_writers)


# -- Redis ---------------------------------------------------------------------------------

class RedisFailureStore(FailureStore):
    """The counts in Redis: a hash ``{prefix}plugin_failure:{plugin}:{hook}`` each (fields
    ``count``, by ``HINCRBY``, ``plugin``, ``hook``, ``last_error``, ``last_contract``,
    ``last_at``), and the set ``{prefix}plugin_failures`` of those keys. Redis knows no
    transaction of the caller's: every failure is written as it happens."""

    where = "redis"

    def __init__(self, url: str | None = None, *, prefix: str = REDIS_PREFIX, client=None):
        self.redis = client if client is not None else redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self.prefix = prefix

    @property
    def index(self) -> str:
        return f"{self.prefix}plugin_failures"

    def key(self, plugin: str, hook: str) -> str:
        return f"{self.prefix}plugin_failure:{plugin}:{hook}"  # a hook's name has no colon

    def record(self, plugin, hook, contract_label, message):
        plugin, hook = _storable(plugin, PLUGIN_MAX), _storable(hook, HOOK_MAX)
        key = self.key(plugin, hook)
        pipe = self.redis.pipeline()  # MULTI ... EXEC: all of it or none
        pipe.hincrby(key, "count", 1)
        pipe.hset(key, mapping={"plugin": plugin, "hook": hook,
                                "last_error": _storable(message, ERROR_MAX),
                                "last_contract": _storable(contract_label, CONTRACT_MAX),
                                "last_at": dt.datetime.now(dt.UTC).isoformat()})
        pipe.sadd(self.index, key)
        pipe.execute()

    def _hashes(self) -> list[tuple[str, dict]]:
        keys = sorted(self.redis.smembers(self.index))
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        return [(key, fields) for key, fields in zip(keys, pipe.execute(), strict=True)
                if fields.get("count")]

    def counts(self):
        found = {}
        for _key, fields in self._hashes():
            at = fields.get("last_at")
            found[(fields.get("plugin", ""), fields.get("hook", ""))] = Failure(
                int(fields["count"]), fields.get("last_error", ""),
                fields.get("last_contract", ""), dt.datetime.fromisoformat(at) if at else None)
        return found

    def reset(self, plugin=None):
        gone = [key for key, fields in self._hashes()
                if plugin is None or fields.get("plugin") == plugin]
        if gone:
            pipe = self.redis.pipeline()
            pipe.delete(*gone)
            pipe.srem(self.index, *gone)
            pipe.execute()
        return len(gone)


def store_for(config) -> FailureStore:
    """The app's store: Redis when ``REDIS_URL`` is set, else the database."""
    url = config.get("REDIS_URL") or ""
    return RedisFailureStore(url) if url else DatabaseFailureStore()
