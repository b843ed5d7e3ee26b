"""CSV and XLSX export: scoped, capped, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from backoffice.db import acting_as
from backoffice.models import Customer


def rows_of(page, kind):
    if kind == "csv":
        return list(csv.reader(io.StringIO(page.get_data(as_text=True))))
    book = openpyxl.load_workbook(io.BytesIO(page.get_data()))
    return [[c.value for c in row] for row in book.active.iter_rows()]


@pytest.fixture
def evil(world):
    with acting_as("tests"):
        for i, name in enumerate(("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\tTabbed", "\rReturn")):
            Customer.create(code=f"C-EVIL-{i}", name=name, office=world.harbin)


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
def test_export_is_capped(app, client, auth, world, evil, kind):
    app.config["EXPORT_MAX_ROWS"] = 3
    auth.login("admin")
    assert len(rows_of(client.get(f"/admin/customer/export/{kind}/"), kind)) == 1 + 3


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
