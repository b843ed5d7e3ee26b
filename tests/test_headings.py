"""One heading per admin page: every screen, in English and in Chinese.

A page's first heading is its page heading (Flask-Admin's title with the view's
name, or the page's own, more precise one in its place: "Rules of contract
K-HRB-1", the customer's name). No other heading on the page stands at its level
or above it, and none says the same thing again ("Warranty look-up" under
"Warranty look-up", "Rule plugins" under "Plugins").

The screens are every GET route of the admin (the app's URL map: a view added
later is walked too), each model view's on one of its rows (``?id=``), and the
pages that show more with arguments (a look-up's answer, a preview's result).
"""

from __future__ import annotations

import html
import re

import pytest

from backoffice.models import TermSet
from backoffice.terms import STANDARD
from tests.factories import publish
from tests.test_admin_helpers import post
from tests.test_stock import stock_and_replacement_rows

HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.DOTALL | re.IGNORECASE)
NAV = re.compile(r"<nav\b.*?</nav\s*>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
#: path arguments of admin routes, and where their values come from; None: not a page
ARGUMENTS = {
    "set_name": lambda world: TermSet.select(TermSet.name).order_by(TermSet.name).scalar(),
    "contract_id": lambda world: world.harbin_contract.id,
    "export_type": None,  # a file, not a page
    "table": None,  # a dashboard table's CSV file
    "step": None,  # a ticket's steps are POSTs
    "token_id": None,
}


def headings(page: str) -> list[tuple[int, str, str]]:
    """(level, text, visible text since the heading before) of each heading below the
    navbar, in page order."""
    body = NAV.sub("", page)
    found, start = [], 0

    def text(fragment):
        return " ".join(html.unescape(TAG.sub(" ", fragment)).split())
    for match in HEADING.finditer(body):
        found.append((int(match[1]), text(match[2]), text(body[start:match.start()])))
        start = match.end()
    return found


def heading_problems(page: str) -> list[str]:
    """What is wrong with a page's headings: none, a second page heading, the page heading
    said again (anywhere, or in other words right under it)."""
    found = headings(page)
    if not found:
        return ["no heading"]
    (level, title, _before), rest = found[0], found[1:]
    problems = [f"h{other} {text!r} beside the page heading h{level} {title!r}"
                for other, text, _before in rest if other <= level]
    key = title.casefold()
    for position, (other, text, before) in enumerate(rest):
        said = text.casefold()
        right_under = position == 0 and not before  # nothing between the two
        if said == key or (right_under and (said in key or key in said)):
            problems.append(f"h{other} {text!r} repeats the page heading {title!r}")
    return problems


def screens(app, world) -> list[str]:
    """Every admin page a GET reaches, as paths with their arguments filled in."""
    from flask import url_for

    from backoffice.admin.base import ScopedModelView
    admin = app.extensions["backoffice_admin"]
    model_views = {view.endpoint: view for view in admin._views
                   if isinstance(view, ScopedModelView)}
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not (
                    rule.rule.startswith("/admin/") or rule.rule == "/account"):
                continue
            if rule.endpoint.endswith(".static") or "lookup" in rule.rule or "ajax" in rule.rule:
                continue
            missing = [name for name in rule.arguments if name not in ARGUMENTS]
            assert not missing, f"{rule.rule}: give ARGUMENTS a value for {missing}"
            if any(ARGUMENTS[name] is None for name in rule.arguments):
                continue
            values = {name: ARGUMENTS[name](world) for name in rule.arguments}
            view = model_views.get(rule.endpoint.partition(".")[0])
            if view is not None:  # details, edit, a step's form: on the view's first row
                pk = view.model._meta.primary_key
                values["id"] = view.model.select(pk).order_by(pk).scalar()
            pages.append(url_for(rule.endpoint, **values))
    return sorted(set(pages)) + [
        f"/admin/warranty/?serial={world.harbin_unit.serial}",
        "/admin/warranty/?serial=NO-SUCH-SERIAL",
        ("/admin/rules/preview/?distance_km=320&received=2026-11-26T09%3A00"
         f"&confirmed=2026-11-27&contract={world.harbin_contract.number}"),
    ]


@pytest.mark.parametrize("language", ["en", "zh_Hans_CN"])
def test_every_admin_page_has_one_heading(app, client, auth, world, language):
    stock_and_replacement_rows(world)  # a row in every table: each details page has one
    publish(STANDARD)  # a term set, for its history and edit pages
    auth.login("admin")
    assert post(client, "/language", {"language": language, "next": "/admin/"}).status_code == 302
    problems = []
    pages = screens(app, world)
    checked = 0
    for path in pages:
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        if response.mimetype != "text/html" or response.status_code >= 300:
            continue
        checked += 1
        problems += [f"{path}: {problem}" for problem in heading_problems(
            response.get_data(as_text=True))]
    assert checked > 60, (checked, pages)  # the walk reached the screens
    assert not problems, "pages with more than one heading:\n" + "\n".join(problems)


def test_the_check_sees_doubled_headings():
    nav = '<nav><h4>not a heading of the page</h4></nav>'
    assert heading_problems(nav + '<h1 class="h4">Units</h1><h4>Sites</h4>') == []
    assert heading_problems(nav + "<h4>Home</h4><h1>Overview</h1>") == [
        "h1 'Overview' beside the page heading h4 'Home'"]
    assert heading_problems("<h4>Plugins</h4><h2>Rule plugins</h2>") == [
        "h2 'Rule plugins' beside the page heading h4 'Plugins'",
        "h2 'Rule plugins' repeats the page heading 'Plugins'"]
    assert heading_problems("<h1>保修查询</h1><h4>保修 查询</h4><h5>保修查询</h5>") == [
        "h5 '保修查询' repeats the page heading '保修查询'"]
    # in other words: only right under it (a section further down may share a word)
    assert heading_problems("<h1>客户</h1><h2>该客户的变更</h2>") == [
        "h2 '该客户的变更' repeats the page heading '客户'"]
    assert heading_problems("<h1>客户</h1><p>text</p><h2>该客户的变更</h2>") == []
    assert heading_problems("<p>no heading</p>") == ["no heading"]
