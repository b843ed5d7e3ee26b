"""The ticket list's search and office-and-state filter read only their matches.

bench/bench_tickets.py found both growing with the table (issue 8, item 12): the
search, an OR of "number begins with", "the unit's serial begins with" and "the
customer's code or name", was answered by walking the list's order (``next_due``)
over every ticket and testing each, on SQLite and PostgreSQL alike; the filter "one
office, one state" walked all the office's tickets in deadline order looking for the
state. The search is now ``id IN (... UNION ...)`` of three index lookups
(:meth:`backoffice.admin.tickets.TicketView._search`), and migration 010 adds the
index ``ticket (office, state, next_due)`` and, on PostgreSQL, the number's
``varchar_pattern_ops`` index. Migration 012 puts every ticket still in hand first
(``IN_HAND``) and its indexes replace the office ones.

The database here: the demo (its ~720 tickets) and 20,000 tickets in bulk
(:func:`backoffice.demo.tickets.add_tickets`), none of them on one office's units, then
ANALYZE; the plans of the queries the list really runs (captured from requests through
the test client as the administrator) are read: ``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN (ANALYZE, FORMAT JSON)`` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json

from peewee import fn

from backoffice import demo
from backoffice.db import database, is_postgres
from backoffice.demo import tickets as demo_tickets
from backoffice.models import Customer, Office, Ticket, Unit
from tests.conftest import captured_sql

TODAY = dt.date(2026, 11, 28)
BULK = 20_000
QUIET = "SHA"  # the office whose units get no bulk tickets


def _build():
    demo.seed("development", today=TODAY)
    key = (Ticket.select(Ticket.unit).where(Ticket.unit.is_null(False)).group_by(Ticket.unit)
           .order_by(fn.COUNT(Ticket.id).desc(), Ticket.unit).limit(1).scalar())
    quiet = Office.get(Office.code == QUIET)
    skip = {key} | {u.id for u in Unit.select(Unit.id).where(Unit.customer.in_(
        Customer.select(Customer.id).where(Customer.office == quiet.id)))}
    demo_tickets.add_tickets(BULK, demo.insert_rows, demo_tickets.anchor_for(TODAY),
                             skip_units=skip)
    database.execute_sql("ANALYZE")
    number = Ticket.select(Ticket.number).where(Ticket.unit == key).order_by(Ticket.id).scalar()
    return Unit.get_by_id(key).serial, number


def _page_query(client, url: str):
    """The list's page query (not its capped count) that ``url`` runs on the ticket table."""
    seen, body = _statements(client, url)
    pages = [(sql, params) for sql, params in seen if sql.startswith('SELECT "t1"."id"')
             and "ORDER BY" in sql]
    assert len(pages) == 1, [sql for sql, _ in seen]
    return pages[0], body


def _sqlite_plan(sql, params) -> list[str]:
    return [row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


def _pg_nodes(sql, params) -> list[dict]:
    (plan,), = database.execute_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchall()
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


def _ticket_rows_read(nodes) -> int:
    """Rows of the ticket table a PostgreSQL plan read (returned plus removed by filter)."""
    return sum((n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)) * n.get(
        "Actual Loops", 1) for n in nodes if n.get("Relation Name") == "ticket")


def test_the_lists_plans_at_20000_tickets(app, client, auth):
    """The database is built once (its 20,000 tickets are most of the time); each check
    then reads its plans."""
    serial, number = _build()
    for check in (_search_and_office_state_filter_read_only_their_matches,
                  _an_office_with_few_open_tickets_pages_without_sorting_its_closed_ones,
                  _in_hand_first_is_read_in_order_from_its_index_and_the_manager_has_no_or):
        auth.login("admin", demo.PASSWORDS["admin"])
        check(app, client, auth, serial, number)
        auth.logout()


def _search_and_office_state_filter_read_only_their_matches(app, client, auth, serial,
                                                            number):
    view = next(v for v in app.extensions["backoffice_admin"]._views if v.endpoint == "ticket")
    args = {str(f.name): view.get_filter_arg(i, f) for i, f in enumerate(view._filters)}
    filtered = (f"/admin/ticket/?flt0_{args['Office code']}={QUIET}"
                f"&flt1_{args['State']}=dispatched")
    cases = {"number": f"/admin/ticket/?search={number}",
             "serial": f"/admin/ticket/?search={serial}", "filter": filtered}
    for name, url in cases.items():
        (sql, params), body = _page_query(client, url)
        if name != "filter":
            assert number in body, name
        if is_postgres():
            nodes = _pg_nodes(sql, params)
            assert not any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "ticket"
                           for n in nodes), (name, nodes)
            # the matches (a few) and their lookups, not the 20,000 tickets
            assert _ticket_rows_read(nodes) < 200, (name, _ticket_rows_read(nodes))
        else:
            plan = _sqlite_plan(sql, params)
            assert not any(step.startswith("SCAN t1") for step in plan), (name, plan)
            if name == "filter":  # a range of (office, state, IN_HAND, next_due), in order
                assert any("ticket_office_id_state_in_hand_next_due_id" in s for s in plan), plan
                assert not any("TEMP B-TREE FOR ORDER BY" in s for s in plan), plan
            else:  # each ticket found by its id
                assert any("INTEGER PRIMARY KEY" in s for s in plan), plan


def _an_office_with_few_open_tickets_pages_without_sorting_its_closed_ones(app, client, auth,
                                                                            serial, number):
    """The list's order ends with the id: an office whose open tickets do not fill the
    page reads its next tickets (no deadline) in id order from the index, instead of
    sorting all of them (PostgreSQL, before migration 010: every ticket read)."""
    view = next(v for v in app.extensions["backoffice_admin"]._views if v.endpoint == "ticket")
    office = next(view.get_filter_arg(i, f) for i, f in enumerate(view._filters)
                  if str(f.name) == "Office code")
    harbin = Office.get(Office.code == "HRB")
    open_ = Ticket.select().where((Ticket.office == harbin.id) & Ticket.next_due.is_null(False))
    assert open_.count() < 50 < Ticket.select().where(Ticket.office == harbin.id).count()
    (sql, params), body = _page_query(client, f"/admin/ticket/?flt0_{office}=HRB")
    assert body.count("HRB-") >= 50
    if is_postgres():
        nodes = _pg_nodes(sql, params)
        assert not any(n["Node Type"] in ("Sort", "Incremental Sort") and n.get(
            "Full-sort Groups", {}).get("Group Count", 0) + n.get(
            "Pre-sorted Groups", {}).get("Group Count", 0) > 2 for n in nodes), nodes
        assert _ticket_rows_read(nodes) < 200, _ticket_rows_read(nodes)
    else:
        plan = _sqlite_plan(sql, params)
        assert not any("TEMP B-TREE" in s for s in plan), plan


def _statements(client, url: str) -> tuple[list, str]:
    """Every statement ``url`` runs on the ticket table, and the page."""
    with captured_sql() as seen:
        page = client.get(url)
    assert page.status_code == 200, url
    return [(s, p) for s, p in seen if 'FROM "ticket" AS "t1"' in s], page.get_data(
        as_text=True)


def _in_hand_first_is_read_in_order_from_its_index_and_the_manager_has_no_or(
        app, client, auth, serial, number):
    """The list's order puts every ticket still in hand before the closed and cancelled
    ones (``IN_HAND``, then ``next_due``, then the id): migration 012's indexes on that
    very expression hand out page 1 in order on both databases, for every office's list,
    one office's (its manager, whose scope is the office alone: no ``OR`` with "assigned
    to me", which only engineers are) and one office's tickets of one state; without
    them the planner sorts the tickets (20,000 here) for every page."""
    view = next(v for v in app.extensions["backoffice_admin"]._views if v.endpoint == "ticket")
    args = {str(f.name): view.get_filter_arg(i, f) for i, f in enumerate(view._filters)}
    cases = {
        "every office": ("admin", "/admin/ticket/", "ticket_in_hand_next_due_id"),
        "the manager": ("liuhaitao", "/admin/ticket/", "ticket_office_id_in_hand_next_due_id"),
        "office + state": ("admin", (f"/admin/ticket/?flt0_{args['Office code']}=HRB"
                                     f"&flt1_{args['State']}=closed"),
                           "ticket_office_id_state_in_hand_next_due_id"),
    }
    for name, (who, url, index) in cases.items():
        auth.logout()
        auth.login(who, demo.PASSWORDS["admin" if who == "admin" else "office_manager"])
        statements, body = _statements(client, url)
        assert body.count('<td class="col-number">') == 50, name  # a full page
        (sql, params), = [(s, p) for s, p in statements if "ORDER BY" in s]
        assert "CASE WHEN" in sql, name
        if name == "the manager":
            assert all(" OR " not in s for s, _p in statements), statements
        if is_postgres():
            nodes = _pg_nodes(sql, params)
            assert not any(n["Node Type"] in ("Sort", "Incremental Sort", "BitmapOr")
                           for n in nodes), (name, nodes)
            assert any(n.get("Index Name") == index for n in nodes), (name, nodes)
            assert _ticket_rows_read(nodes) < 200, (name, _ticket_rows_read(nodes))
        else:
            plan = _sqlite_plan(sql, params)
            assert any(f"USING INDEX {index} " in s or s.endswith(f"USING INDEX {index}")
                       for s in plan), (name, plan)
            assert not any("TEMP B-TREE" in s or "MULTI-INDEX OR" in s for s in plan), (
                name, plan)
