"""What a list page draws once and reuses (issue 7, item 15: a list page's CPU) is still
what each request would draw: the menu per role, language and highlighted view, and
any view that decides by itself; static URLs per script root; the filter menu per
language; the related rows of a page through the SQL built once per size."""

from __future__ import annotations

import re

import pytest
from flask_admin import BaseView, expose

from backoffice.admin.base import ScopedModelView
from backoffice.models import Contract, Customer
from tests.test_admin_helpers import post

MENU = re.compile(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul', re.DOTALL)


def menu(client, path="/admin/unit/", **kwargs) -> str:
    page = client.get(path, **kwargs)
    assert page.status_code == 200, (path, page.status_code)
    return MENU.search(page.get_data(as_text=True)).group(1)


def active(html: str) -> list[str]:
    """The highlighted links of a menu."""
    return re.findall(r'<a class="[^"]*\bactive\b[^"]*" href="([^"]+)"', html)


def test_the_menu_is_each_roles_in_each_language(client, auth, world):
    auth.login("admin")
    admins = menu(client)
    assert 'href="/admin/rules/terms/"' in admins and 'href="/field/"' not in admins
    assert menu(client) == admins  # drawn once, the same
    assert active(admins) == ["/admin/unit/"]
    assert active(menu(client, "/admin/customer/")) == ["/admin/customer/"]
    post(client, "/language", {"language": "zh_Hans_CN", "next": "/admin/"})
    assert "条款集" in menu(client) and "Term sets" not in menu(client)
    auth.logout()
    auth.login("harbin_engineer")
    engineers = menu(client)
    assert 'href="/admin/rules/terms/"' not in engineers and 'href="/field/"' in engineers
    assert "Term sets" not in engineers  # an engineer's own language: English


@pytest.mark.own_app  # adds a view
def test_a_view_that_decides_by_itself_is_asked_on_every_request(app, client, auth, world):
    shown = [True]

    class Report(BaseView):
        def is_accessible(self):
            return shown[0]

        @expose("/")
        def index(self):
            return "report"

    app.extensions["backoffice_admin"].add_view(Report(name="Night report", endpoint="report"))
    auth.login("admin")
    assert "Night report" in menu(client)
    shown[0] = False
    assert "Night report" not in menu(client)


def test_static_urls_follow_the_script_root(client, auth, world):
    auth.login("admin")
    plain = client.get("/admin/unit/").get_data(as_text=True)
    assert 'src="/admin/static/vendor/jquery.min.js?v=3.5.1"' in plain
    behind = client.get("/admin/unit/", base_url="http://localhost/office")
    assert behind.status_code == 200
    body = behind.get_data(as_text=True)
    assert 'src="/office/admin/static/vendor/jquery.min.js?v=3.5.1"' in body
    assert 'href="/office/admin/unit/export/csv/"' in body  # as the page's own links
    # the version argument is escaped as {{ }} would
    assert "/admin/static/admin/js/helpers.js?v=1.0.0" in plain


def test_the_filter_menu_speaks_the_readers_language(client, auth, world):
    auth.login("admin")
    english = client.get("/admin/unit/").get_data(as_text=True)
    assert '"Customer code"' in english
    post(client, "/language", {"language": "zh_Hans_CN", "next": "/admin/"})
    chinese = client.get("/admin/unit/").get_data(as_text=True)
    assert '"Customer code"' not in chinese and "客户代码" in chinese


def test_related_rows_are_exactly_those_asked_for(app, world):
    view = next(v for v in app.extensions["backoffice_admin"]._views if v.endpoint == "unit")
    field = view.model.contract
    contracts = sorted(c.id for c in Contract.select())
    for ids in (contracts[:1], contracts[:2], contracts, [contracts[0], 2 ** 40]):
        found = {row.id: row for row in ScopedModelView._related_rows(field, ids)}
        assert sorted(found) == sorted(i for i in ids if i in contracts)
        for row in found.values():
            assert row.__data__ == Contract.get_by_id(row.id).__data__
    customers = [c.id for c in Customer.select()]
    names = {row.id: row.name for row in ScopedModelView._related_rows(view.model.customer,
                                                                       customers)}
    assert names == {c.id: c.name for c in Customer.select()}
