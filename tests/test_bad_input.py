"""Bad input is a clear message and nothing changed, never a 500 (issue 7, items 6, 7 and 9).

What a probe of every admin form, list filter, id, ajax look-up and rule screen
found (``scripts/probe_bad_input.py``: 8,640 requests on SQLite, 8,080 on
PostgreSQL before the fix; 302 and 335 of them were 500s), turned into cases, on
both databases:

* ids of 2**63 and more, "１" (full-width: ``int()`` reads it as 1, and a delete
  by that id deleted row 1), " 1", "abc" in URLs, forms, row actions, relation
  pickers and ajax offsets: a 404, or "Not a valid choice";
* NaN, Infinity, sNaN and numbers beyond a column's digits in decimal fields; dates
  such as 9999-12-31 and 0001-01-01; control characters (NUL above all: a 500 on
  PostgreSQL) and text beyond its length: a form error naming the field, the same
  on both databases (the models' field checks, ``backoffice.models.core``);
* list filters on integer and date columns (the audit list's row filter): the
  filter is ignored with "Invalid Filter Value";
* a non-number ``seen_version``: "reload and apply your change again";
* a NUL anywhere in an address or a non-record form: a 400 that says so.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from backoffice.access import Operator
from backoffice.models import (
    AuditEntry,
    Contract,
    Customer,
    Office,
    Product,
    RuleViolation,
    Site,
    Staff,
    TermSet,
    Unit,
)
from backoffice.models.core import DATE_MAX, DATE_MIN, TEXT_MAX_LENGTH
from backoffice.services import records
from tests.conftest import csrf_token
from tests.test_admin_helpers import form_values, post

TOO_BIG = [str(2**63), str(2**64), "99999999999999999999999999"]
NOT_IDS = ["１", "٣", " 1", "1 ", "+1", "01", "1e3", "0x1", "1_0", "-1", "0", "abc"]
OPERATOR = Operator("tests")


def snapshot():
    """Every row of the tables a form may write, and the audit trail's length."""
    rows = {}
    for model in (Office, Staff, Customer, Site, Contract, Product, Unit):
        rows[model.__name__] = sorted(json.dumps(r, default=str, sort_keys=True)
                                      for r in model.select().dicts())
    return rows, AuditEntry.select().count()


# -- the models' field checks: every door, both databases -------------------------------

def _contract(world, **changes):
    contract = Contract.get_by_id(world.harbin_contract.id)
    for name, value in changes.items():
        setattr(contract, name, value)
    return contract


REFUSED = [
    # (model row, field, value, code)
    ("contract", "value", Decimal("NaN"), "not_finite"),
    ("contract", "value", Decimal("Infinity"), "not_finite"),
    ("contract", "value", Decimal("-Infinity"), "not_finite"),
    ("contract", "value", Decimal("sNaN"), "not_finite"),
    ("contract", "value", Decimal("1E+400"), "out_of_range"),
    ("contract", "value", Decimal(1000000000000), "out_of_range"),  # 13 digits of 12
    ("contract", "value", Decimal("0.001"), "too_precise"),
    ("contract", "value", Decimal("1E-400"), "too_precise"),
    ("contract", "value", float("inf"), "not_finite"),
    ("contract", "warranty_months", 2**31, "out_of_range"),  # PostgreSQL's integer
    ("contract", "warranty_months", "１２", "invalid"),
    ("contract", "signed_on", dt.date(9999, 12, 31), "out_of_range"),
    ("contract", "signed_on", dt.date(1, 1, 1), "out_of_range"),
    ("contract", "signed_on", dt.date(1899, 12, 31), "out_of_range"),
    ("contract", "signed_on", dt.date(2200, 1, 1), "out_of_range"),
    ("contract", "signed_on", "2026-13-01", "invalid"),
    ("contract", "notes", "a\x00b", "control_character"),
    ("contract", "notes", "a\x01b", "control_character"),
    ("contract", "notes", "a\x1b[31mred", "control_character"),
    ("contract", "notes", "a\x7fb", "control_character"),
    ("contract", "notes", "a\x85b", "control_character"),  # C1: NEL
    ("contract", "notes", "a\rb", "control_character"),  # a CR not before a newline
    ("contract", "notes", "a\ud800b", "control_character"),  # no encoding stores it
    ("contract", "notes", "x" * (TEXT_MAX_LENGTH + 1), "too_long"),
    ("contract", "number", "K-" + "9" * 29, "too_long"),  # varchar(30)
    ("contract", "number", "K\x00-1", "control_character"),
    ("contract", "customer", 2**31, "invalid"),
    ("site", "road_distance_km", Decimal("20000.1"), "out_of_range"),  # the model's bound
    ("site", "road_distance_km", Decimal(-1), "out_of_range"),
    ("site", "road_distance_km", Decimal("NaN"), "not_finite"),
    ("site", "latitude", Decimal("sNaN"), "not_finite"),
    ("unit", "accepted_on", dt.date(9999, 12, 31), "out_of_range"),  # before the rule engine
    ("unit", "installed_on", dt.date(1, 1, 1), "out_of_range"),
    ("product", "design_life_years", 2**63, "out_of_range"),
    ("staff", "name", "a\x00", "control_character"),
]

ROWS = {"contract": lambda w: Contract.get_by_id(w.harbin_contract.id),
        "site": lambda w: Site.get_by_id(w.harbin_site.id),
        "unit": lambda w: Unit.get_by_id(w.harbin_unit.id),
        "product": lambda w: Product.get_by_id(w.product.id),
        "staff": lambda w: Staff.get_by_id(w.users["viewer"].id)}


def test_the_model_refuses_what_no_database_stores_alike(world):
    """Each case through the records service (every door's way in); a refusal writes
    nothing, so the cases share one world (and the list of what went wrong is the message)."""
    before = snapshot()
    wrong = []
    for row, field, value, code in REFUSED:
        record = ROWS[row](world)
        setattr(record, field, value)
        try:
            records.save(OPERATOR, record)
        except RuleViolation as refused:
            if (refused.code, refused.field) != (code, field) or not str(refused):
                wrong.append((row, field, value, refused.code, refused.field, str(refused)))
        else:
            wrong.append((row, field, value, "saved"))
    assert wrong == []
    assert snapshot() == before


FITS = [("value", Decimal("999999999999.99")), ("value", Decimal("1.500")), ("value", 0),
        ("signed_on", DATE_MIN), ("signed_on", DATE_MAX),
        ("notes", "two lines\r\nand a\ttab\nand a third"), ("notes", "x" * TEXT_MAX_LENGTH),
        ("notes", "中文备注 \u2028 emoji 🙂"), ("number", "K-" + "9" * 28)]


def test_what_fits_is_stored_and_reads_back_the_same(world):
    for field, value in FITS:
        record = _contract(world, **{field: value})
        records.save(OPERATOR, record)
        stored = getattr(Contract.get_by_id(record.id), field)
        assert stored == (value.upper() if field == "number" else value), field


MESSAGES = [
    ("value", Decimal("Infinity"), "Value must be a number, not NaN or infinity.",
     "金额 必须是数字，不能是 NaN 或无穷大。"),
    ("notes", "a\x00", ("Notes contains a control character (U+0000) at position 2; text "
                        "may hold tabs and line breaks, no other control characters."),
     "备注 的第 2 个字符是控制字符（U+0000）；文本中只能有制表符和换行，不能有其他控制字符。"),
    ("value", Decimal("0.001"), "Value takes at most 2 decimal places.", "金额 最多保留 2 位小数。"),
]


def test_the_messages_name_the_field_in_the_readers_language(app, world):
    for field, value, english, chinese in MESSAGES:
        for language, expected in (("en", english), ("zh-CN", chinese)):
            record = _contract(world, **{field: value})
            # a fresh app context each time: flask-babel keeps the locale in ``g``
            request = app.test_request_context(headers={"Accept-Language": language})
            with app.app_context(), request, pytest.raises(RuleViolation) as refused:
                records.save(OPERATOR, record)
            assert str(refused.value) == expected


# -- the admin's record forms ---------------------------------------------------------------

def _edit_url(world, endpoint):
    row = {"contract": world.harbin_contract, "unit": world.harbin_unit,
           "site": world.harbin_site, "office": world.harbin, "customer": world.harbin_customer,
           "product": world.product, "staff": world.users["viewer"],
           "contact": world.harbin_contact}[endpoint]
    return f"/admin/{endpoint}/edit/?id={row.id}"


FORM_CASES = [
    # (endpoint, field, value, text expected in the page)
    ("contract", "value", "NaN", "not NaN or infinity"),
    ("contract", "value", "Infinity", "not NaN or infinity"),
    ("contract", "value", "-Infinity", "not NaN or infinity"),
    ("contract", "value", "sNaN", "not NaN or infinity"),
    ("contract", "value", "1e400", "must be between"),
    ("contract", "value", "123456789012345.67", "must be between"),
    ("contract", "value", "0.001", "decimal places"),
    ("contract", "signed_on", "9999-12-31", "1900-01-01 and 2199-12-31"),
    ("contract", "signed_on", "0001-01-01", "1900-01-01 and 2199-12-31"),
    ("contract", "warranty_months", str(2**63), "must be between"),
    ("contract", "notes", "\x00", "control character (U+0000)"),
    ("contract", "notes", "a\x01b", "control character (U+0001)"),
    ("contract", "notes", "y" * (TEXT_MAX_LENGTH + 1), "too long"),
    ("contract", "number", "K-\x00", "control character"),
    ("contract", "customer", str(2**63), "This field is required"),  # an ajax picker
    ("contract", "customer", "１", "This field is required"),
    ("contract", "version", "abc", "reload the record"),
    ("contract", "version", "１", "reload the record"),
    ("contract", "version", str(2**63), "reload the record"),
    ("unit", "accepted_on", "9999-12-31", "1900-01-01 and 2199-12-31"),
    ("unit", "installed_on", "0001-01-01", "1900-01-01 and 2199-12-31"),
    ("unit", "contract", str(2**64), "This field is required"),
    ("unit", "contract", " 1", "This field is required"),
    ("unit", "product", "abc", "Not a valid choice"),  # a 500 on PostgreSQL
    ("unit", "product", "１", "Not a valid choice"),
    ("unit", "site", "abc", "Not a valid choice"),  # may be empty: was silently emptied
    ("unit", "site", str(2**63), "Not a valid choice"),
    ("site", "road_distance_km", "NaN", "not NaN or infinity"),
    ("site", "road_distance_km", "20000.5", "between 0 and 20000"),
    ("site", "road_distance_km", "1e400", "must be between"),
    ("site", "name", "\x00", "control character"),
    ("office", "latitude", "sNaN", "not NaN or infinity"),
    ("office", "code", "H\x00", "control character"),
    ("customer", "office", str(2**63), "Not a valid choice"),
    ("customer", "notes", "\x00", "control character"),
    ("product", "design_life_years", "99999999999999999999999999", "must be between"),
    ("staff", "office", str(2**63), "Not a valid choice"),
    ("staff", "office", "1e3", "Not a valid choice"),
    ("staff", "username", "a\x00b", "control character"),
    ("staff", "username", "ADMIN", "already exists"),  # names are one whatever their case
    ("contact", "email", "\x00@example.com", "control character"),
]


@pytest.mark.parametrize("endpoint", sorted({case[0] for case in FORM_CASES}))
def test_an_edit_form_says_what_is_wrong_and_changes_nothing(client, auth, world, endpoint):
    auth.login("admin")
    url = _edit_url(world, endpoint)
    before = snapshot()
    wrong = []
    for _endpoint, field, value, expected in (c for c in FORM_CASES if c[0] == endpoint):
        values = form_values(client, url)
        assert field in values, sorted(values)
        values[field] = value
        response = client.post(url, data=values)
        if response.status_code != 200 or expected not in response.get_data(as_text=True):
            wrong.append((field, value, response.status_code))
    assert wrong == []
    assert snapshot() == before
    assert client.get(url).status_code == 200  # and the record still opens


CREATE_CASES = [
    ("contract", {"number": "K-NEW-1", "value": "Infinity"}, "not NaN or infinity"),
    ("contract", {"number": "K-NEW-1", "signed_on": "9999-12-31"}, "2199-12-31"),
    ("unit", {"serial": "SN-NEW-1", "accepted_on": "9999-12-31"}, "2199-12-31"),
    ("staff", {"username": "Admin", "name": "Another admin"}, "already exists"),
    ("customer", {"code": "C-NEW-1", "name": "a\x00b"}, "control character"),
]


def test_a_create_form_says_what_is_wrong_and_writes_nothing(client, auth, world):
    auth.login("admin")
    before = snapshot()
    for endpoint, changes, expected in CREATE_CASES:
        values = form_values(client, _edit_url(world, endpoint))
        values.pop("version", None)
        values.update(changes)
        response = client.post(f"/admin/{endpoint}/new/", data=values)
        assert response.status_code == 200, (endpoint, changes, response.status_code)
        assert expected in response.get_data(as_text=True), (endpoint, changes)
    assert snapshot() == before


def test_a_user_name_differing_only_by_case_is_refused_in_the_staff_form(client, auth, world):
    auth.login("admin")
    values = form_values(client, "/admin/staff/new/")
    values.update(name="Second admin", username="ADMIN", role="admin", password="long-enough-1")
    response = client.post("/admin/staff/new/", data=values)
    assert response.status_code == 200
    assert "A user named &#39;ADMIN&#39; already exists." in response.get_data(as_text=True)
    assert [s.username for s in Staff.select().where(Staff.role == "admin")] == ["admin"]


# -- ids from outside ------------------------------------------------------------------------

def test_an_id_that_cannot_exist_is_a_404(client, auth, world):
    auth.login("admin")
    answers = {(page, value): client.get(f"/admin/contract/{page}/",
                                         query_string={"id": value}).status_code
               for page in ("details", "edit") for value in TOO_BIG + NOT_IDS}
    assert {key: code for key, code in answers.items() if code != 404} == {}


def test_a_delete_by_a_look_alike_id_deletes_nothing(client, auth, world):
    """``int("１")`` is 1: the delete of id "１" deleted row 1 (and the last administrator's
    deactivation by "id=１" went through the same door)."""
    auth.login("admin")
    assert world.harbin_contact.id == 1
    before = snapshot()
    for value in ["１", "٣", " 1", "1 ", "+1", "01", str(2**64)]:
        assert post(client, "/admin/contact/delete/", {"id": value}).status_code == 404, value
        assert post(client, "/admin/contact/action/", {"action": "delete",
                                                       "rowid": value}).status_code == 404, value
    assert snapshot() == before


def test_the_action_ids_are_parsed_strictly_too(client, auth, world):
    auth.login("admin")
    staff = world.users["viewer"]
    response = post(client, "/admin/staff/action/", {"action": "delete",
                                                     "rowid": [str(staff.id), "１"]})
    assert response.status_code == 404
    assert Staff.get_or_none(Staff.id == staff.id) is not None


def test_a_number_in_a_path_is_ascii_and_64_bits(client, auth, world):
    auth.login("admin")
    for number in (2**63, 2**64, "１", "٣"):
        assert client.get(f"/admin/rules/contracts/{number}/").status_code == 404, number
    assert client.get(f"/admin/rules/contracts/{world.harbin_contract.id}/").status_code == 200


def test_a_list_narrowed_to_a_parent_that_cannot_exist_is_a_404(client, auth, world):
    auth.login("admin")
    for value in [*TOO_BIG, "１", "abc"]:
        assert client.get("/admin/unit/", query_string={"customer": value}).status_code == 404


# -- list filters --------------------------------------------------------------------------

def _filter_arg(app, endpoint, name, operation="equals"):
    admin = app.extensions["backoffice_admin"]
    view = next(v for v in admin._views if getattr(v, "endpoint", None) == endpoint)
    for index, flt in enumerate(view._filters):
        if str(flt.name) == name and str(flt.operation()) == operation:
            return "flt0_" + view.get_filter_arg(index, flt)
    raise LookupError((endpoint, name, operation))


FILTER_CASES = [
    ("audit", "Row", "equals", str(2**63)),  # an int filter: OverflowError on SQLite
    ("audit", "Row", "equals", str(2**64)),
    ("audit", "Row", "equals", "１"),
    ("audit", "Row", "greater than", "1e3"),
    ("audit", "Row", "in list", f"1,{2**63}"),
    ("audit", "Row", "equals", "NaN"),
    ("unit", "Warranty end", "equals", "２０２６-01-01"),
    ("unit", "Warranty end", "greater than", "0001-01-01"),
    ("unit", "Warranty end", "between", "2026-01-01 to 9999-12-31"),
    ("unit", "Days until warranty end", "at most", str(2**63)),
    ("unit", "Customer code", "equals", "C-HRB-1\x01"),
    ("office", "City", "contains", "Har\x1bbin"),
]


def test_a_filter_value_that_cannot_be_compared_is_ignored_with_a_message(app, client, auth,
                                                                          world):
    auth.login("admin")
    wrong = []
    for endpoint, name, operation, value in FILTER_CASES:
        response = client.get(f"/admin/{endpoint}/", query_string={
            _filter_arg(app, endpoint, name, operation): value})
        if response.status_code != 200 or "Invalid Filter Value" not in response.get_data(
                as_text=True):
            wrong.append((endpoint, name, operation, value, response.status_code))
    assert wrong == []


def test_a_good_filter_value_still_filters(app, client, auth, world):
    auth.login("admin")
    row = AuditEntry.select().where(AuditEntry.table == "contract").first()
    body = client.get("/admin/audit/", query_string={
        _filter_arg(app, "audit", "Row"): str(row.row_id)}).get_data(as_text=True)
    assert "Invalid Filter Value" not in body
    assert str(row.summary) in body


# -- ajax look-ups -------------------------------------------------------------------------

AJAX_ARGS = [{"offset": str(2**63)}, {"offset": str(2**64)}, {"offset": "-5"}, {"offset": "１"},
             {"limit": str(2**63)}, {"limit": "-1"}, {"query": "\x01"}, {"query": "x" * 5000},
             {"query": "%"}, {"query": "_"}]


def test_an_ajax_look_up_answers_a_list_whatever_its_arguments(client, auth, world):
    auth.login("admin")
    for args in AJAX_ARGS:
        response = client.get("/admin/unit/ajax/lookup/", query_string={
            "name": "contract", "query": "", **args})
        assert response.status_code == 200, args
        assert isinstance(response.get_json(), list), args
    found = client.get("/admin/unit/ajax/lookup/", query_string={
        "name": "contract", "query": "K-HRB"}).get_json()
    assert [label for _id, label in found] == ["K-HRB-1"]


# -- NUL anywhere else ---------------------------------------------------------------------

NUL_URLS = ["/admin/customer/?search=%00", "/admin/unit/ajax/lookup/?name=contract&query=%00",
            "/admin/rules/preview/?received=2026-01-01T09:00&distance_km=1&contract=%00",
            "/admin/warranty/?serial=%00", "/admin/rules/contracts/?q=%00",
            "/admin/office/?flt0_0=%00", "/login?next=/admin/%00", "/admin/unit/?%00=1"]


def test_a_nul_in_an_address_is_a_400_that_says_so(client, auth, world):
    auth.login("admin")
    for url in NUL_URLS:
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL character" in response.get_data(as_text=True), url


def test_a_nul_in_the_login_form_is_a_400_and_counts_nothing(client, world):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "admin\x00", "password": "x" * 8,
                                           "csrf_token": token})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


# -- the rule screens' numbers -------------------------------------------------------------

def test_the_deadline_preview_refuses_a_distance_that_is_not_a_number(client, auth, world):
    auth.login("admin")
    for distance in ["sNaN", "NaN", "Infinity", "-Infinity", "1e400"]:
        response = client.get("/admin/rules/preview/", query_string={
            "received": "2026-01-01T09:00", "distance_km": distance})
        assert response.status_code == 200, distance
        body = response.get_data(as_text=True)
        assert "Not a valid decimal value" in body or "Number must be between" in body, distance


def test_the_deadline_preview_refuses_a_date_out_of_its_years(client, auth, world):
    auth.login("admin")
    for received in ["9999-12-31T23:59", "0001-01-01T00:00"]:
        response = client.get("/admin/rules/preview/", query_string={
            "received": received, "distance_km": "10"})
        assert response.status_code == 200, received


def test_a_term_set_refuses_hours_that_are_not_a_number(client, auth, world):
    auth.login("admin")
    for hours in ["sNaN", "NaN", "Infinity"]:
        values = {"name": "probe", "title": "Probe", "reply_hours": hours,
                  "bands": "100 6\n* 24", "earliest_days": "5", "latest_days": "10",
                  "warranty_months": "", "visits_per_year": "1", "note": "probe"}
        response = post(client, "/admin/rules/terms/new", values)
        assert response.status_code == 200, hours
        assert "Not a valid decimal value" in response.get_data(as_text=True), hours
    assert TermSet.select().count() == 0
