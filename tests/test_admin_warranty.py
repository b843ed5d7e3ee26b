"""The warranty look-up: serial (+ date) -> unit, customer, warranty dates, in or out."""

from __future__ import annotations

import datetime as dt
import zoneinfo


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
    # the service center's today (Asia/Shanghai), not the server's: they differ 16:00-24:00 UTC
    assert dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date().isoformat() in body


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


def verdict(body: str) -> tuple[str, str]:
    """The look-up's "Who pays" and "Decided by" cells."""
    def cell(css):
        start = body.index(f'class="{css}"')
        start = body.index(">", start) + 1
        return body[start:body.index("</td>", start)].replace("<code>", "").replace(
            "</code>", "").strip()
    return cell("warranty-charge"), cell("decided-by")


def test_in_warranty_shows_who_pays_and_what_decided(client, auth, world):
    auth.login("harbin_engineer")
    body = client.get("/admin/warranty/?serial=SN-HRB-0001&on=2026-01-01").get_data(as_text=True)
    assert "Who pays" in body and "Decided by" in body
    assert verdict(body) == ("Free of charge", "charter v1: free service inside warranty")
    assert 'data-charge="free"' in body


def test_out_of_warranty_shows_who_pays_and_what_decided(client, auth, world):
    auth.login("harbin_engineer")
    body = client.get("/admin/warranty/?serial=SN-HRB-0001&on=2027-02-10").get_data(as_text=True)
    assert verdict(body) == ("Depends on the root cause of the fault",
                             "charter v1: out of warranty: charge follows the root cause")


def test_a_contract_plugin_decides_and_says_so(client, auth, world, register_plugin):
    from backoffice.hookspecs import Charge, Coverage, hookimpl
    from backoffice.testing import enable_plugin

    class Lifetime:
        @hookimpl
        def coverage(self, unit, on):
            return Coverage(True, Charge.NEGOTIATE, "in warranty", "lifetime: negotiated care")
    register_plugin(Lifetime(), "lifetime")
    enable_plugin(world.harbin_contract, "lifetime")
    auth.login("harbin_engineer")
    body = client.get("/admin/warranty/?serial=SN-HRB-0001&on=2030-01-01").get_data(as_text=True)
    assert "warranty-in" in body
    assert verdict(body) == ("The parties negotiate", "lifetime: negotiated care")


def test_verdict_labels_are_chinese(client, auth, world):
    from tests.test_admin_helpers import post
    auth.login("harbin_engineer")
    post(client, "/language", {"language": "zh_Hans_CN"})
    body = client.get("/admin/warranty/?serial=SN-HRB-0001&on=2026-01-01").get_data(as_text=True)
    assert "Who pays" not in body and "Decided by" not in body
    assert verdict(body)[0] == "免费"
