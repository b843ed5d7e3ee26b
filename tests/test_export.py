"""CSV and XLSX export: scoped, capped, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from markupsafe import Markup
from peewee import CharField, ForeignKeyField, TextField

from backoffice.admin.base import ScopedModelView
from backoffice.admin.export import FORMULA_STARTS, UNWRITABLE, cell
from backoffice.db import acting_as
from backoffice.models import (
    Contract,
    Customer,
    Office,
    Product,
    Site,
    Staff,
    StockItem,
    Ticket,
    Unit,
)


def rows_of(page, kind):
    if kind == "csv":
        return list(csv.reader(io.StringIO(page.get_data().decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(page.get_data()))
    return [[c.value for c in row] for row in book.active.iter_rows()]


@pytest.fixture
def evil(world):
    with acting_as("tests"):
        for i, name in enumerate(("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\tTabbed", "\rReturn")):
            # inserted past the model's checks (they refuse a lone CR): an export holds
            # whatever is stored, however it got there
            Customer.insert(code=f"C-EVIL-{i}", name=name, office=world.harbin).execute()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_neutralises_formulas(client, auth, world, evil, kind):
    auth.login("admin")
    page = client.get(f"/admin/customer/export/{kind}/")
    assert page.status_code == 200
    rows = rows_of(page, kind)
    assert rows[0][:2] == ["Code", "Name"]
    names = [row[1] for row in rows[1:]]
    for name in names:
        if name.lstrip("'") != name:
            continue
        assert not name.startswith(("=", "+", "-", "@", "\t", "\r")), name
    assert "'=HYPERLINK(\"http://x\")" in names and "'+1+1" in names and "'@SUM(A1)" in names
    if kind == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(page.get_data()))
        assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_over_the_cap_is_refused(app, client, auth, world, evil, kind):
    app.config["EXPORT_MAX_ROWS"] = 3  # 8 customers match
    auth.login("admin")
    response = client.get(f"/admin/customer/export/{kind}/?search=C-EVIL")
    assert response.status_code == 302  # nothing downloaded
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert response.location.startswith("/admin/customer/?") and "search=C-EVIL" in \
        response.location  # back to the same list, its search kept
    page = client.get(response.location).get_data(as_text=True)
    assert "More than 3 rows match; an export holds at most 3: narrow the list with a " \
           "filter or a search." in page


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_at_the_cap_holds_every_row(app, client, auth, world, evil, kind):
    app.config["EXPORT_MAX_ROWS"] = 3
    auth.login("admin")
    # narrowed to exactly the cap: every row is exported
    page = client.get(f"/admin/customer/export/{kind}/?search=C-EVIL-1 C-EVIL")
    assert page.status_code == 200 and len(rows_of(page, kind)) == 1 + 1
    app.config["EXPORT_MAX_ROWS"] = 8  # all 8 customers, nothing cut
    page = client.get(f"/admin/customer/export/{kind}/")
    assert page.status_code == 200 and len(rows_of(page, kind)) == 1 + 8


def test_export_cap_counts_only_the_users_rows(app, client, auth, world, evil):
    """6 + 1 Harbin customers, 1 in Guangzhou: the cap counts what the user may export."""
    app.config["EXPORT_MAX_ROWS"] = 7
    auth.login("harbin_manager")
    assert client.get("/admin/customer/export/csv/").status_code == 200
    app.config["EXPORT_MAX_ROWS"] = 6
    assert client.get("/admin/customer/export/csv/").status_code == 302


def test_export_cap_count_stops_at_the_cap(app, client, auth, world, evil):
    """The count behind the refusal reads at most cap + 1 rows (a LIMIT inside the COUNT)."""
    import logging
    app.config["EXPORT_MAX_ROWS"] = 3
    auth.login("admin")
    seen = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: seen.append(str(record.msg[0] if isinstance(
        record.msg, tuple) else record.msg))
    logger = logging.getLogger("peewee")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        client.get("/admin/customer/export/csv/")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    counts = [sql for sql in seen if "COUNT(" in sql.upper() and '"customer"' in sql]
    # the LIMIT is inside the counted sub-select, not (only) on the outer COUNT
    assert counts and all("LIMIT" in sql.split('AS "_wrapped"')[0].upper()
                          for sql in counts), counts


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_is_scoped(client, auth, world, kind):
    auth.login("harbin_manager")
    rows = rows_of(client.get(f"/admin/unit/export/{kind}/"), kind)
    assert [row[0] for row in rows[1:]] == ["SN-HRB-0001"]


def test_export_follows_search_and_filters(client, auth, world):
    auth.login("admin")
    rows = rows_of(client.get("/admin/unit/export/csv/?search=SN-CAN"), "csv")
    assert [row[0] for row in rows[1:]] == ["SN-CAN-0001"]
    # foreign keys are exported as names, not ids
    assert "UPS-100 UPS 100 kVA" in rows[1] and "K-CAN-1" in rows[1]


# -- every cell, whatever its source -------------------------------------------------

#: the field that starts each related row's name (``str()``) in a foreign-key column
NAME_FIELDS = {Office: "name", Customer: "name", Site: "name", Contract: "number",
               Product: "model", Staff: "name", StockItem: "name", Ticket: "number",
               Unit: "serial"}
EVIL = '=HYPERLINK("http://x/{id}","y")'


@pytest.fixture
def rows_everywhere(world):
    """The world, plus a row for the screens whose tables it leaves empty."""
    from backoffice.models import CalendarDay
    from tests.factories import save
    save(CalendarDay(calendar="china-business", day=dt.date(2026, 10, 10), kind="working",
                     note="make-up working day"))
    from tests.test_stock import stock_and_replacement_rows
    stock_and_replacement_rows(world)
    return world


def export_views(app):
    return [view for view in app.extensions["backoffice_admin"]._views
            if isinstance(view, ScopedModelView) and view.can_export]


def related_columns(view):
    """(column, related model) of each exported foreign-key column."""
    fields = view.model._meta.fields
    return [(name, fields[name].rel_model) for name, _label in view._export_columns
            if isinstance(fields.get(name), ForeignKeyField)]


def text_columns(view):
    """Exported free-text columns (not codes of a fixed list such as a role or a status)."""
    fields, coded = view.model._meta.fields, view.column_choices or {}
    return [name for name, _label in view._export_columns
            if type(fields.get(name)) in (CharField, TextField) and name not in coded]


def rename(model, field, value):
    """Store ``value`` (formatted with the row's id) in every row, bypassing the model's checks:
    an export must hold whatever is stored, however it got there."""
    column = getattr(model, field)
    for pk in [row.get_id() for row in model.select(model._meta.primary_key)]:
        model.update({column: value.format(id=pk)}).where(
            model._meta.primary_key == pk).execute()


def is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def assert_no_live_formula(rows, kind, where):
    for row in rows:
        for value in row:
            if isinstance(value, str) and not (kind == "csv" and is_number(value)):
                assert not value.startswith(FORMULA_STARTS), (where, value)


def test_every_exporting_screen_is_covered(app):
    """Each exported foreign key's model has its name field here (a new screen must add it)."""
    views = export_views(app)
    assert {v.endpoint for v in views} >= {"office", "staff", "customer", "site", "contact",
                                           "contract", "product", "unit", "audit"}
    for view in views:
        for name, model in related_columns(view):
            assert model in NAME_FIELDS, (view.endpoint, name, model)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_related_names_are_neutralised_in_every_export(app, client, auth, rows_everywhere,
                                                         kind):
    """A site (office, customer, contract, product) named like a formula is text in every export."""
    for model, field in NAME_FIELDS.items():
        rename(model, field, EVIL)
    auth.login("admin")
    checked = []
    for view in export_views(app):
        page = client.get(f"/admin/{view.endpoint}/export/{kind}/")
        assert page.status_code == 200, view.endpoint
        rows = rows_of(page, kind)
        assert len(rows) > 1, view.endpoint
        assert_no_live_formula(rows, kind, view.endpoint)
        titles = rows[0]
        for name, _model in related_columns(view):
            index = titles.index(str(view.get_column_name(name)))
            cells = [row[index] for row in rows[1:] if row[index]]
            assert cells and all(c.startswith("'=HYPERLINK(") for c in cells), (view.endpoint,
                                                                                name, cells)
            checked.append(f"{view.endpoint}.{name}")
        if kind == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(page.get_data()))
            assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)
    assert {"customer.office", "staff.office", "site.customer", "contact.customer",
            "contract.customer", "unit.product", "unit.contract", "unit.customer",
            "unit.site"} <= set(checked)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_control_characters_never_break_an_export(app, client, auth, rows_everywhere, kind):
    """\\x01 and friends in any exported text (own or related): replaced, never a 500."""
    views = export_views(app)
    auth.login("admin")  # before its login name changes too
    for model, field in NAME_FIELDS.items():
        rename(model, field, "\x01=Name {id}\x0b")
    for view in views:
        for name in text_columns(view):
            rename(view.model, name, "\x01{id}\x1f")  # fits the shortest column (3)
    for view in views:
        page = client.get(f"/admin/{view.endpoint}/export/{kind}/")
        assert page.status_code == 200, view.endpoint
        rows = rows_of(page, kind)
        cells = [str(v) for row in rows[1:] for v in row if v is not None]
        assert not any(UNWRITABLE.search(c) for c in cells), view.endpoint
        assert any(c.startswith("\ufffd") for c in cells), view.endpoint
        assert_no_live_formula(rows, kind, view.endpoint)


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("\x01=1+1", "\ufffd=1+1"), ("-2", "'-2"), ("a\x00b", "a\ufffdb"),
    ("line\nbreak\ttab", "line\nbreak\ttab"), (None, ""), (True, "Yes"), (False, "No"),
    (-5, -5), (Decimal("-1.50"), Decimal("-1.50")), (10 ** 15, "1000000000000000"),
    (-(10 ** 16), "'-10000000000000000"), (float("nan"), "nan"),
    (Decimal("Infinity"), "Infinity"), (Decimal("-Infinity"), "'-Infinity"),
    (dt.date(2026, 12, 1), dt.date(2026, 12, 1)), (dt.date(1, 1, 1), "0001-01-01"),
    (dt.datetime(2026, 12, 1, 6, 5, 4, 321), dt.datetime(2026, 12, 1, 6, 5, 4)),
    (dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 14, 0)),
    (Markup('<a href="/x">=cmd</a>'), "'=cmd"),
])
def test_cell(app, value, expected):
    with app.test_request_context():
        got = cell(value)
    assert got == expected and type(got) is type(expected)


# -- opens right in Excel on Chinese Windows --------------------------------------------

def test_csv_starts_with_a_byte_order_mark(client, auth, world):
    auth.login("admin")
    page = client.get("/admin/customer/export/csv/")
    assert page.status_code == 200 and page.mimetype == "text/csv"
    assert page.get_data().startswith(b"\xef\xbb\xbf" + b"Code,Name")
    assert page.get_data().count(b"\xef\xbb\xbf") == 1
    assert "charset=utf-8" in page.headers["Content-Type"]


def chinese(user):
    Staff.update(language="zh_Hans_CN").where(Staff.id == user.id).execute()


@pytest.mark.parametrize("language, title", [("en", "Units"), ("zh_Hans_CN", "设备")])
def test_xlsx_sheet_is_named_after_the_list(client, auth, world, language, title):
    if language != "en":
        chinese(world.users["admin"])
    auth.login("admin")
    page = client.get("/admin/unit/export/xlsx/")
    assert page.status_code == 200
    assert page.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(page.get_data()))
    assert book.sheetnames == [title]


def test_xlsx_dates_and_numbers_are_real_cells(client, auth, world):
    auth.login("admin")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/admin/unit/export/xlsx/").get_data()))
    sheet = book.active
    titles = [c.value for c in sheet[1]]
    row = {t: c for t, c in zip(titles, sheet[2], strict=True)}
    accepted = row["Accepted on"]
    assert accepted.is_date and accepted.value.date() == world.harbin_unit.accepted_on
    assert row["Serial number"].data_type == "s"
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        "/admin/contract/export/xlsx/").get_data()))
    sheet = book.active
    titles = [c.value for c in sheet[1]]
    row = {t: c for t, c in zip(titles, sheet[2], strict=True)}
    assert row["Value"].data_type == "n" and row["Value"].value == 100000
    assert row["Signed on"].is_date
    book = openpyxl.load_workbook(io.BytesIO(client.get("/admin/audit/export/xlsx/").get_data()))
    sheet = book.active
    at = sheet.cell(row=2, column=1)
    assert at.is_date and isinstance(at.value, dt.datetime)
    assert sheet.cell(row=2, column=5).data_type == "n"  # the row id


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("language, yes, no", [("en", "Yes", "No"), ("zh_Hans_CN", "是", "否")])
def test_booleans_read_in_the_readers_language(client, auth, world, kind, language, yes, no):
    Staff.update(active=False).where(Staff.username == "viewer").execute()
    world.harbin_unit.warranty_by_hand = True
    world.harbin_unit.save()
    if language != "en":
        chinese(world.users["admin"])
    auth.login("admin")
    staff = rows_of(client.get(f"/admin/staff/export/{kind}/"), kind)
    active = [row[-1] for row in staff[1:]]
    assert sorted(set(active)) == sorted({yes, no})
    units = rows_of(client.get(f"/admin/unit/export/{kind}/"), kind)
    by_hand = {row[0]: row[-2] for row in units[1:]}
    assert by_hand == {"SN-HRB-0001": yes, "SN-CAN-0001": no}
