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
