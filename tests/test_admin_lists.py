"""Lists stay fast as tables grow: no query per row, a capped count, shallow OFFSETs, indexed search."""

from __future__ import annotations

import logging
import re

import pytest

from backoffice.db import acting_as, database, is_postgres
from backoffice.models import Contact, Unit
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


# -- row actions: made once per page (issue 7, item 15) ---------------------------------

DELETE_FORM_RE = re.compile(r'<form id="delete-form"[^>]*>(.*?)</form>', re.DOTALL)
DELETE_BUTTON_RE = re.compile(r'<button type="submit" form="delete-form" name="id" value="(\d+)"')


def _get_url_calls(client, url) -> int:
    from flask_admin.base import BaseView
    calls = []
    original = BaseView.get_url

    def counted(self, endpoint, **kwargs):
        calls.append(endpoint)
        return original(self, endpoint, **kwargs)

    BaseView.get_url = counted
    try:
        assert client.get(url).status_code == 200
    finally:
        BaseView.get_url = original
    return len(calls)


def test_row_actions_cost_the_same_for_any_number_of_rows(client, auth, world):
    """The view, edit and delete icons are made once per page: no url_for, macro or
    form per row (they were 36-37 % of a list page's CPU)."""
    auth.login("admin")
    client.get("/admin/unit/")  # the layout's menu and static URLs: drawn on the first page
    few = _get_url_calls(client, "/admin/unit/")  # 2 units
    add_units(world, 20)
    assert _get_url_calls(client, "/admin/unit/") == few


def test_one_delete_form_per_page_and_a_button_per_row(client, auth, world):
    auth.login("admin")
    add_units(world, 3)
    body = client.get("/admin/unit/").get_data(as_text=True)
    forms = DELETE_FORM_RE.findall(body)
    assert len(forms) == 1, "one delete form for the page"
    assert 'name="csrf_token"' in forms[0] and 'name="url"' in forms[0]
    assert 'class="icon" method="POST"' not in body, "no form per row"
    ids = {str(u.id) for u in Unit.select()}
    assert set(DELETE_BUTTON_RE.findall(body)) == ids
    for unit_id in ids:  # the view and edit links carry each row's id
        assert f"/admin/unit/details/?id={unit_id}&amp;url=" in body
        assert f"/admin/unit/edit/?id={unit_id}&amp;url=" in body


def test_a_row_button_deletes_through_the_page_form_with_csrf(client, auth, world):
    """What a browser sends for a row's delete button: the page form's fields (return
    URL, CSRF token) and the button's own name=value; without the token it is refused."""
    auth.login("admin")
    body = client.get("/admin/contact/").get_data(as_text=True)
    form = DELETE_FORM_RE.search(body).group(0)
    action = re.search(r'action="([^"]+)"', form).group(1)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    contact = world.harbin_contact
    assert str(contact.id) in DELETE_BUTTON_RE.findall(body)
    refused = client.post(action, data={"url": fields["url"], "id": contact.id})
    assert refused.status_code == 400  # CSRF kept on the delete POST
    answer = client.post(action, data={**fields, "id": contact.id})
    assert answer.status_code == 302
    assert answer.headers["Location"].split("?")[0].endswith("/admin/contact/")
    assert not Contact.select().where(Contact.id == contact.id).exists()


def test_read_only_roles_get_no_delete_form(client, auth, world):
    auth.login("viewer")
    body = client.get("/admin/unit/").get_data(as_text=True)
    assert "SN-HRB-0001" in body
    assert not DELETE_FORM_RE.search(body) and not DELETE_BUTTON_RE.search(body)
    assert "/admin/unit/details/?id=" in body and "/admin/unit/edit/" not in body


def test_extra_row_actions_still_render(app, client, auth, world):
    """Flask-Admin's extension point: a view's column_extra_row_actions (and any action
    that is not one of the three stock ones) render as Flask-Admin renders them."""
    from flask_admin.model.template import EndpointLinkRowAction, LinkRowAction
    view = view_of(app, "unit")
    view.column_extra_row_actions = [
        LinkRowAction("fa fa-star", "/elsewhere/{row_id}", title="Star"),
        EndpointLinkRowAction("fa fa-search", "unit.details_view", title="Look")]
    try:
        auth.login("admin")
        body = client.get("/admin/unit/").get_data(as_text=True)
    finally:
        del view.column_extra_row_actions
    unit = world.harbin_unit
    assert f'href="/elsewhere/{unit.id}" title="Star"' in body
    assert f'href="/admin/unit/details/?id={unit.id}" title="Look"' in body
    assert f'value="{unit.id}"' in body and "fa fa-trash" in body
