"""Every admin screen in Chinese: no English UI words left, only data values.

The admin (with Chinese chosen on the account) walks the main pages over the
``world`` fixture; the visible text of each page (tags, scripts and hidden
filter data stripped; tooltips and placeholders kept) minus the world's own
data values must not contain any of the English UI words below.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest

from backoffice.models import (
    AuditEntry,
    Contact,
    Contract,
    Customer,
    Office,
    Product,
    Site,
    Staff,
    Unit,
)
from tests.conftest import csrf_token
from tests.test_admin_helpers import post, submit

#: English words a Chinese screen must not show (whole words, case-sensitive)
ENGLISH_UI_WORDS = (
    "Status", "Active", "active", "Inactive", "True", "False", "true", "false", "Yes", "No",
    "create", "update", "delete", "Created", "Changed", "Deleted",
    "Customer", "customer", "Customers", "Contract", "contract", "Unit", "unit", "Units",
    "Site", "site", "Office", "office", "Staff", "staff", "Product", "product",
    "Warranty", "warranty", "List", "Save", "Cancel", "Edit", "Delete", "Details", "Search",
    "Filter", "Export", "Home", "Log out", "Serial number", "Version", "Id", "ID",
    "draft", "Draft", "in_service", "In service", "Term Set Version", "Term set version",
    "Plugins", "Please select", "Administrator", "admin_name", "Service back-office",
)
#: Flask-Admin's ajax picker says "select a model" (a data model): ours name the record
MISLEADING = ("请选择模型",)

MODELS = (Office, Staff, Customer, Site, Contact, Contract, Product, Unit)
ENDPOINTS = ("office", "staff", "customer", "site", "contact", "contract", "product", "unit")


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r'(?is)<div[^>]*class="d-none"[^>]*>.*?</div>', " ", page)  # filter JSON
    shown = re.findall(r'\s(?:title|placeholder|data-placeholder|aria-label)="([^"]*)"', page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(page + "\n" + "\n".join(shown))


def data_values() -> list[str]:
    """Every text value of the world's rows (and the audit's actor), longest first."""
    values = {"tests"}
    from backoffice.services.warranty import warranty_status
    for unit in Unit.select():  # "Decided by" on the warranty look-up: the rule's author's words
        values.add(warranty_status(unit, dt.date.today()).decided_by)
    for model in MODELS:
        for row in model.select():
            for name, value in row.__data__.items():
                if isinstance(value, str) and value and name not in (
                        "status", "role", "language", "plugins"):
                    values.add(value)
    return sorted(values, key=len, reverse=True)


def english_left(text: str, data: list[str]) -> list[str]:
    for value in data:
        text = text.replace(value, " ")
    found = [word for word in ENGLISH_UI_WORDS
             if re.search(rf"(?<![A-Za-z_]){re.escape(word)}(?![A-Za-z_])", text)]
    return found + [phrase for phrase in MISLEADING if phrase in text]


@pytest.fixture
def chinese_admin(client, auth, world):
    auth.login("admin")
    response = post(client, "/language", {"language": "zh_Hans_CN", "next": "/admin/"})
    assert response.status_code == 302
    return client


def admin_pages(world) -> list[str]:
    pages = ["/admin/"]
    rows = {"office": world.harbin, "staff": world.users["harbin_manager"],
            "customer": world.harbin_customer, "site": world.harbin_site,
            "contact": world.harbin_contact, "contract": world.harbin_contract,
            "product": world.product, "unit": world.harbin_unit}
    for endpoint in ENDPOINTS:
        row_id = rows[endpoint].id
        pages += [f"/admin/{endpoint}/", f"/admin/{endpoint}/details/?id={row_id}",
                  f"/admin/{endpoint}/new/", f"/admin/{endpoint}/edit/?id={row_id}"]
    audit_id = AuditEntry.select(AuditEntry.id).where(
        AuditEntry.table == "unit").order_by(AuditEntry.id).first().id
    pages += ["/admin/audit/", f"/admin/audit/details/?id={audit_id}",
              "/admin/warranty/", f"/admin/warranty/?serial={world.harbin_unit.serial}",
              "/admin/warranty/?serial=NO-SUCH-SERIAL",
              "/admin/rules/terms/", "/admin/rules/terms/new", "/admin/rules/contracts/",
              f"/admin/rules/contracts/{world.harbin_contract.id}/", "/admin/rules/preview/",
              "/admin/rules/plugins/", "/account"]
    return pages


def test_every_admin_screen_is_chinese(chinese_admin, world):
    data = data_values()
    problems = []
    for url in admin_pages(world):
        response = chinese_admin.get(url)
        assert response.status_code == 200, (url, response.status_code)
        text = visible_text(response.get_data(as_text=True))
        assert "退出登录" in text, url  # really in Chinese
        left = english_left(text, data)
        if left:
            problems.append(f"{url}: {', '.join(left)}")
    assert not problems, "English left on Chinese screens:\n" + "\n".join(problems)


def test_the_check_sees_english():
    """The word check itself: an English status or boolean is caught, data values are not."""
    data = ["Harbin Power Works"]
    assert english_left("状态 active · 是 · Harbin Power Works", data) == ["active"]
    assert english_left("有效 True", data) == ["True"]
    assert english_left("客户 Harbin Power Works", data) == []


def test_rule_violations_are_chinese_form_errors(chinese_admin, world):
    page = submit(chinese_admin, f"/admin/contract/edit/?id={world.harbin_contract.id}",
                  {"number": world.guangzhou_contract.number})
    text = page.get_data(as_text=True)
    assert f"合同编号 {world.guangzhou_contract.number} 已被使用。" in text
    assert "already used" not in text


def test_term_sheet_errors_are_chinese_and_on_their_field(chinese_admin, world):
    url = "/admin/rules/terms/new"
    form = {"name": "gold", "title": "", "reply_hours": "0", "bands": "100 4\n* 16",
            "earliest_days": "5", "latest_days": "10", "warranty_months": "",
            "visits_per_year": "1", "note": "试一下",
            "csrf_token": csrf_token(chinese_admin.get(url).get_data(as_text=True))}
    page = html.unescape(chinese_admin.post(url, data=form).get_data(as_text=True))
    message = "reply.hours 必须大于 0 且不超过 720，实际为 0"
    assert message in page and "must be above" not in page
    # still shown under its own field (the form finds the field from the key in the message)
    assert page.index('name="reply_hours"') < page.index(message) < page.index('name="bands"')


def test_cli_output_follows_the_default_language(make_app, app, world):
    chinese = make_app(default_language="zh_Hans_CN")
    runner = chinese.test_cli_runner()
    with chinese.app_context():
        result = runner.invoke(args=["terms", "diff", "nope", "1", "2"])
        listing = runner.invoke(args=["terms", "list"]).output
        preview = runner.invoke(args=["terms", "preview", "--distance-km", "120",
                                      "--received", "2026-11-26T09:00", "--json"]).output
    assert result.exit_code == 2
    assert "错误：没有名为 'nope' 的条款集" in result.output
    assert "（内置标准条款）：2 份合同" in listing
    data = json.loads(preview)  # machine-readable output stays as it is
    assert "deadlines" in data and all("decided_by" in d for d in data["deadlines"].values())
