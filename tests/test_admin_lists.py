"""Lists stay fast as tables grow: no query per row, a capped count, shallow OFFSETs, indexed search."""

from __future__ import annotations

import logging

import pytest

from backoffice.db import acting_as, database, is_postgres
from backoffice.models import Unit
from tests.factories import make
from tests.test_admin_screens import view_of


class QueryLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql: list[str] = []

    def emit(self, record):
        message = record.msg[0] if isinstance(record.msg, tuple) else str(record.msg)
        self.sql.append(str(message))


@pytest.fixture
def queries():
    log = QueryLog()
    logger = logging.getLogger("peewee")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(log)
    yield log
    logger.removeHandler(log)
    logger.setLevel(old)


def add_units(world, count, prefix="SN-X"):
    with acting_as("tests"):
        for i in range(count):
            make(Unit, serial=f"{prefix}-{i:04d}", product=world.product,
                        contract=world.harbin_contract, site=world.harbin_site)


def test_no_query_per_row(client, auth, world, queries):
    auth.login("admin")
    queries.sql.clear()
    client.get("/admin/unit/")
    few = len(queries.sql)
    add_units(world, 20)
    queries.sql.clear()
    body = client.get("/admin/unit/").get_data(as_text=True)
    assert "SN-X-0019" in body and "K-HRB-1" in body and "Harbin plant" in body
    assert len(queries.sql) == few, "\n".join(queries.sql)


def test_count_is_capped_and_last_page_read_backwards(app, client, auth, world, queries):
    view = view_of(app, "unit")
    add_units(world, 9)  # 11 units: SN-CAN-0001, SN-HRB-0001, SN-X-0000..0008
    app.config["PAGE_SIZE"] = 2
    auth.login("admin")
    old_cap = view.count_cap
    view.count_cap = 5
    try:
        queries.sql.clear()
        body = client.get("/admin/unit/").get_data(as_text=True)
        assert "more than 5 records" in body
        counts = [s for s in queries.sql if "COUNT" in s.upper()]
        assert counts and all("LIMIT" in s.upper() for s in counts)
        last = client.get("/admin/unit/?page=-1").get_data(as_text=True)
        assert "SN-X-0007" in last and "SN-X-0008" in last and "SN-X-0006" not in last
        assert last.index("SN-X-0007") < last.index("SN-X-0008")  # shown in list order
        before_last = client.get("/admin/unit/?page=-2").get_data(as_text=True)
        assert "SN-X-0005" in before_last and "SN-X-0006" in before_last
        # deep pages are refused, not scanned
        view.max_page_depth = 1
        deep = client.get("/admin/unit/?page=4").get_data(as_text=True)
        assert "Only the first and last 1 pages" in deep
    finally:
        view.count_cap, view.max_page_depth = old_cap, 200
    # under the cap: an exact count, and the true last page
    body = client.get("/admin/unit/?page=-1").get_data(as_text=True)
    assert "11 records" in body and "page 6 of 6" in body and "SN-X-0008" in body


def test_serial_search_uses_an_index(client, auth, world):
    from backoffice.admin.base import ScopedModelView
    condition = ScopedModelView._prefix_match(Unit.serial, "SN-HRB")
    query = Unit.select(Unit.id).where(condition)
    sql, params = query.sql()
    if is_postgres():
        database.execute_sql("SET enable_seqscan = off")  # a tiny table: make the planner show
        plan = " ".join(r[0] for r in database.execute_sql("EXPLAIN " + sql, params))
        database.execute_sql("SET enable_seqscan = on")
        assert "unit_serial_pattern" in plan, plan
    else:
        plan = " ".join(str(r) for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "USING COVERING INDEX" in plan or "USING INDEX" in plan, plan
    assert [u.serial for u in Unit.select().where(condition)] == ["SN-HRB-0001"]


def test_default_sort_everywhere(app):
    from backoffice.admin.base import ScopedModelView
    for view in app.extensions["backoffice_admin"]._views:
        if isinstance(view, ScopedModelView):
            assert view.column_default_sort, view.endpoint
