"""Two people saving one record at once: the loser is told, never shown a 500.

On SQLite a deferred transaction reads first and asks for the write lock at its
first write; if the other save committed in between, SQLite answers "database
is locked" at once, busy timeout or not (15 of 50 pairs were a 500). Every
transaction now begins IMMEDIATE, so the second save waits its turn, then sees
the first one's version: "changed by someone else". A lock that outlasts the
busy timeout is a clear "busy, try again" (503), on either database.

The pair test runs over two real app processes on the test's database (SQLite
and PostgreSQL alike).
"""

from __future__ import annotations

import sqlite3
import threading
from decimal import Decimal

import pytest
from peewee import OperationalError

from backoffice.db import acting_as, database
from backoffice.models import Office
from tests.factories import PASSWORD
from tests.live_server import Browser, app_processes
from tests.test_admin_helpers import read_form

PAIRS = 50
STALE = "changed by someone else"
BUSY = "The database is busy"


@pytest.fixture
def servers(app, db_url, tmp_path):
    with app_processes(app, db_url, tmp_path) as started:
        yield started


def _office_path(app) -> str:
    from tests.test_security import _admin_view_url
    return _admin_view_url(app, "Office").replace("http://localhost", "")


def test_fifty_concurrent_save_pairs_over_two_processes(app, world, servers):
    with acting_as("tests"):
        offices = [Office.create(code=f"T{n:03d}", name=f"Office {n}", city="Harbin",
                                 province="Heilongjiang", latitude=Decimal("45.8"),
                                 longitude=Decimal("126.5")) for n in range(PAIRS)]
    path = _office_path(app)
    people = [Browser(servers[0].url), Browser(servers[1].url)]
    for person in people:
        assert person.login("admin", PASSWORD) == 302
    # both open every record's edit form before anyone saves
    forms = []
    for office in offices:
        edit = f"{path}/edit/?id={office.id}"
        pair = []
        for n, person in enumerate(people):
            status, _, page = person.get(edit)
            assert status == 200, (edit, status)
            values = read_form(page).values
            values["name"] = f"{office.name} by person {n}"
            pair.append((person, edit, values))
        forms.append(pair)

    barrier = threading.Barrier(2 * PAIRS)
    results: dict[tuple[int, int], tuple[int, str]] = {}

    def save(i, n):
        person, edit, values = forms[i][n]
        barrier.wait(timeout=120)
        status, _, body = person.post(edit, values, keep_cookies=False)
        results[(i, n)] = (status, body)

    threads = [threading.Thread(target=save, args=(i, n)) for i in range(PAIRS) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert len(results) == 2 * PAIRS
    errors = [(key, status) for key, (status, _) in results.items() if status >= 500
              and status != 503]
    assert not errors, f"{len(errors)} of {2 * PAIRS} saves were a server error: {errors[:5]}"
    for server in servers:
        assert "Traceback" not in server.errors(), server.errors()[-3000:]
    for i, office in enumerate(offices):
        statuses = [results[(i, n)][0] for n in (0, 1)]
        won = [n for n in (0, 1) if statuses[n] == 302]
        # the second save waits for the first (well within the busy timeout), so one wins
        assert len(won) == 1, (office.code, statuses)
        status, body = results[(i, 1 - won[0])]
        assert (status == 200 and STALE in body) or (status == 503 and BUSY in body), \
            (office.code, status, body[:500])
        stored = Office.get_by_id(office.id)
        assert stored.name == f"{office.name} by person {won[0]}"
        assert stored.version == office.version + 1


# -- the write lock and its timeout -------------------------------------------------

def test_a_sqlite_transaction_takes_the_write_lock_when_it_begins(app, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's lock types")
    other = sqlite3.connect(database.obj.database, timeout=0)
    try:
        with database.atomic():
            database.execute_sql("SELECT 1")  # a read only, yet the write lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


@pytest.fixture
def locked_office(app, db_url, world):
    """Another connection holds a write lock on the Harbin office for the test's duration,
    and this connection waits only a moment for it."""
    office = world.harbin
    if db_url.startswith("sqlite"):
        holder = sqlite3.connect(database.obj.database, timeout=0, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        database.execute_sql("PRAGMA busy_timeout = 100")
        yield office
        holder.execute("ROLLBACK")
        holder.close()
        return
    import psycopg2
    holder = psycopg2.connect(db_url)
    holder.cursor().execute('SELECT id FROM "office" WHERE id = %s FOR UPDATE', (office.id,))
    database.execute_sql("SET lock_timeout = '100ms'")
    yield office
    holder.rollback()
    holder.close()
    database.execute_sql("SET lock_timeout = 0")


def test_a_lock_timeout_is_recognised(locked_office):
    from backoffice.db import DatabaseBusy, busy_as_error, is_lock_timeout
    with pytest.raises(OperationalError) as caught, acting_as("tests"):
        locked_office.phone = "+86 451 1"
        locked_office.save()
    assert is_lock_timeout(caught.value)
    with pytest.raises(DatabaseBusy, match="busy"), busy_as_error(), acting_as("tests"):
        Office.get_by_id(locked_office.id).save()  # nothing changed: still takes the lock
    assert not is_lock_timeout(ValueError("database is locked"))
    assert not is_lock_timeout(OperationalError("no such table: x"))


def test_a_lock_timeout_in_a_request_is_a_503_page_not_a_500(make_app, locked_office, db_url):
    from backoffice.db import DatabaseBusy
    application = make_app()
    application.testing = False
    application.config["PROPAGATE_EXCEPTIONS"] = False

    @application.route("/test-write")
    def write():
        if db_url.startswith("sqlite"):
            database.execute_sql("PRAGMA busy_timeout = 100")
        else:
            database.execute_sql("SET lock_timeout = '100ms'")
        with acting_as("tests"):
            office = Office.get_by_id(locked_office.id)
            office.phone = "+86 451 2"
            office.save()
        return "saved"

    @application.route("/test-busy")
    def busy():
        raise DatabaseBusy()

    @application.route("/test-other-database-error")
    def other_error():
        database.execute_sql("SELECT * FROM no_such_table")

    c = application.test_client()
    response = c.get("/test-write")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert BUSY in page and "Traceback" not in page
    assert response.headers["Retry-After"]
    assert c.get("/test-busy").status_code == 503
    assert c.get("/test-busy", headers={"Accept": "application/json"}).get_json() == {
        "error": "The database is busy; nothing was saved. Please try again in a moment."}
    assert c.get("/test-other-database-error").status_code == 500
    assert Office.get_by_id(locked_office.id).phone != "+86 451 2"
