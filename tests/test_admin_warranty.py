"""The warranty look-up: serial (+ date) -> unit, customer, warranty dates, in or out."""

from __future__ import annotations

import datetime as dt


def test_in_warranty(client, auth, world):
    auth.login("harbin_engineer")
    body = client.get("/admin/warranty/?serial=sn-hrb-0001&on=2026-01-01").get_data(as_text=True)
    assert "warranty-in" in body and "In warranty" in body
    for text in ("SN-HRB-0001", "Harbin Power Works", "2025-02-10", "2027-02-09", "UPS-100"):
        assert text in body


def test_out_of_warranty_after_the_end(client, auth, world):
    auth.login("harbin_engineer")
    body = client.get("/admin/warranty/?serial=SN-HRB-0001&on=2027-02-10").get_data(as_text=True)
    assert "warranty-out" in body and "warranty ended" in body


def test_out_of_warranty_before_acceptance(client, auth, world):
    auth.login("harbin_engineer")
    body = client.get("/admin/warranty/?serial=SN-HRB-0001&on=2025-01-01").get_data(as_text=True)
    assert "warranty-out" in body and "before warranty start" in body


def test_date_defaults_to_today(client, auth, world):
    auth.login("admin")
    body = client.get("/admin/warranty/?serial=SN-HRB-0001").get_data(as_text=True)
    assert dt.date.today().isoformat() in body


def test_unknown_serial_says_so(client, auth, world):
    auth.login("admin")
    page = client.get("/admin/warranty/?serial=NO-SUCH-1")
    assert page.status_code == 200
    assert "No unit with serial number NO-SUCH-1" in page.get_data(as_text=True)


def test_bad_date_is_a_form_error(client, auth, world):
    auth.login("admin")
    page = client.get("/admin/warranty/?serial=SN-HRB-0001&on=31-31-2025")
    assert page.status_code == 200
    assert "Not a valid date value" in page.get_data(as_text=True)
