"""How screens write times, dates and money, and the layout around them (issue 7, items 17, 21).

One clock: a time is stored in UTC and every screen shows it in the service
center's zone, to the minute, labelled where it could be misread; the same event
reads the same on the home page, the audit list and details, and the customer
file. Money carries its currency and thousands separators; date and time inputs
are the browser's pickers; an error page for a logged-in user keeps the menu.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest

from backoffice.models import AuditEntry, Office
from tests.test_admin_helpers import post

#: 2026-11-26 14:55:03.123456 UTC is 22:55 in Asia/Shanghai
STORED = dt.datetime(2026, 11, 26, 14, 55, 3, 123456)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def plain(body: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.fixture
def event(world):
    """One change of the Harbin customer, at a known time (newer than the world's)."""
    return AuditEntry.create(actor="clerk", table="customer", row_id=world.harbin_customer.id,
                             action="update", summary="Harbin Power Works",
                             office=world.harbin.id, customer=world.harbin_customer.id,
                             at=STORED + dt.timedelta(days=36500),
                             changes=json.dumps({"notes": ["", "called"]}))


def local(event) -> str:
    return (event.at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def utc(event) -> str:
    return event.at.strftime("%Y-%m-%d %H:%M")


# -- one clock -------------------------------------------------------------------------

def test_one_event_shows_one_local_time_on_every_screen(client, auth, world, event):
    auth.login("admin")
    screens = {
        "home": text(client.get("/admin/")),
        "audit list": text(client.get("/admin/audit/")),
        "audit details": text(client.get(f"/admin/audit/details/?id={event.id}")),
        "customer file": text(client.get(
            f"/admin/customer/details/?id={world.harbin_customer.id}")),
    }
    for name, body in screens.items():
        assert local(event) in body, name
        assert utc(event) not in body, name  # never the stored UTC time
        assert "UTC" not in plain(body), name
        assert not re.search(r"\d\d:\d\d:\d\d", plain(body)), name  # to the minute
    # labelled: a column header that names the zone, or the zone beside the time
    for name in ("home", "audit list", "customer file"):
        assert "When (Asia/Shanghai)" in plain(screens[name]), name
    assert f"{local(event)} (Asia/Shanghai)" in screens["audit details"]


def test_created_and_updated_are_local_to_the_minute_and_labelled(client, auth, world):
    Office.update(created_at=STORED, updated_at=STORED).where(
        Office.id == world.harbin.id).execute()
    auth.login("admin")
    body = text(client.get(f"/admin/office/details/?id={world.harbin.id}"))
    assert "2026-11-26 22:55 (Asia/Shanghai)" in body
    assert "14:55" not in plain(body) and "123456" not in plain(body)
    # the exact time stays in the page for machines
    assert 'datetime="2026-11-26T22:55:03.123456+08:00"' in body
    # the version is bookkeeping: not shown
    assert "<th>Version</th>" not in body.replace("\n", "") and ">Version<" not in body


def test_another_zone_is_named_as_configured(make_app, db_url, world):
    """The zone is the config's, and it is said: a Berlin center reads Berlin times."""
    from backoffice.db import database
    from tests.conftest import AuthActions
    app = make_app(timezone="Europe/Berlin")
    with app.app_context():
        database.connect(reuse_if_open=True)
        entry = AuditEntry.create(actor="clerk", table="office", row_id=world.harbin.id,
                                  action="update", summary="Harbin office",
                                  office=world.harbin.id, at=STORED + dt.timedelta(days=36500),
                                  changes=json.dumps({"phone": ["", "1"]}))
        client = app.test_client()
        AuthActions(client).login("admin")
        body = text(client.get("/admin/audit/"))
        assert "When (Europe/Berlin)" in plain(body)
        assert (entry.at + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M") in body


def test_the_audit_time_filter_takes_local_times(client, auth, world, event):
    auth.login("admin")
    listing = text(client.get("/admin/audit/"))
    # the filters of the "at" column say which zone they take
    assert "When (Asia/Shanghai)" in listing
    day = local(event)[:10]
    hour = int(local(event)[11:13])
    around = f"{day} {hour:02d}:00:00 to {day} {hour:02d}:59:59"  # local hour of the event
    utc_hour = (f"{utc(event)[:10]} {event.at.hour:02d}:00:00 to "
                f"{utc(event)[:10]} {event.at.hour:02d}:59:59")  # the same hour read as UTC
    admin = client.application.extensions["backoffice_admin"]
    audit = next(v for v in admin._views if getattr(v, "endpoint", None) == "audit")
    with client.application.test_request_context():
        index, flt = next((i, f) for i, f in enumerate(audit._filters)
                          if "Between" in type(f).__name__ and f.column is AuditEntry.at)
        arg = audit.get_filter_arg(index, flt)
    found = text(client.get(f"/admin/audit/?flt0_{arg}={around}"))
    assert "clerk" in found
    missed = text(client.get(f"/admin/audit/?flt0_{arg}={utc_hour}"))
    assert "clerk" not in plain(missed.split("model-list", 1)[-1])
    # the first and last representable days: a filter, never a 500
    edge = client.get(f"/admin/audit/?flt0_{arg}=0001-01-01 00:00:00 to 9999-12-31 23:59:59")
    assert edge.status_code == 200 and "clerk" in edge.get_data(as_text=True)


def test_the_deadline_preview_reads_local_times_and_takes_pickers(client, auth, world):
    auth.login("hq")
    body = text(client.get("/admin/rules/preview/", query_string={
        "distance_km": "320", "received": "2026-11-26T09:00", "confirmed": "2026-11-27"}))
    shown = plain(body)
    # reply within 2 h, arrival within 12 h (100-500 km), read as local times, labelled
    assert "2026-11-26 11:00 (Asia/Shanghai)" in shown
    assert "2026-11-26 21:00 (Asia/Shanghai)" in shown
    assert "T11:00:00+08:00" not in shown  # the ISO form only in the <time> element
    assert re.search(r'<input[^>]*name="received"[^>]*>', body).group(0).count(
        'type="datetime-local"') == 1
    assert 'type="date"' in re.search(r'<input[^>]*name="confirmed"[^>]*>', body).group(0)


@pytest.mark.parametrize(("url", "fields"), [
    ("/admin/contract/new/", ("signed_on",)),
    ("/admin/unit/new/", ("installed_on", "accepted_on", "warranty_start", "warranty_end")),
])
def test_date_inputs_are_the_browsers_date_pickers(client, auth, world, url, fields):
    auth.login("admin")
    body = text(client.get(url))
    for name in fields:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
        assert 'type="date"' in tag, tag
        assert 'data-role="datepicker"' not in tag  # not a second, script-made picker on top


def test_every_date_of_every_form_is_a_date_picker(app, client, auth, world):
    """Set once for every model screen (a screen added later gets it too)."""
    from peewee import DateField

    from backoffice.admin.base import ScopedModelView
    auth.login("admin")
    checked = 0
    for view in app.extensions["backoffice_admin"]._views:
        if not isinstance(view, ScopedModelView):
            continue
        dates = [n for n, f in view.model._meta.fields.items() if isinstance(f, DateField)]
        page = client.get(f"/admin/{view.endpoint}/new/")
        if not dates or page.status_code != 200:
            continue
        body = page.get_data(as_text=True)
        for name in dates:
            tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
            if tag:
                assert 'type="date"' in tag.group(0), (view.endpoint, tag.group(0))
                checked += 1
    assert checked >= 5  # the contract's and the unit's at least


def test_a_date_typed_in_the_picker_is_saved(client, auth, world):
    from tests.test_admin_helpers import submit
    auth.login("harbin_manager")
    page = submit(client, f"/admin/unit/edit/?id={world.harbin_unit.id}",
                  {"warranty_by_hand": "y", "warranty_start": "2025-03-01",
                   "warranty_end": "2027-02-28", "installed_on": ""})
    assert page.status_code == 200
    from backoffice.models import Unit
    unit = Unit.get_by_id(world.harbin_unit.id)
    assert unit.warranty_end == dt.date(2027, 2, 28) and unit.installed_on is None


# -- money -----------------------------------------------------------------------------

def test_contract_values_carry_currency_and_separators(client, auth, world):
    auth.login("admin")
    contract = world.harbin_contract  # value 100000
    english_list = text(client.get("/admin/contract/"))
    assert "CN¥100,000.00" in english_list
    assert "CN¥100,000.00" in text(client.get(f"/admin/contract/details/?id={contract.id}"))
    assert "CN¥100,000.00" in text(client.get(
        f"/admin/customer/details/?id={world.harbin_customer.id}"))
    post(client, "/language", {"language": "zh_Hans_CN", "next": "/admin/"})
    chinese_list = text(client.get("/admin/contract/"))
    assert "¥100,000.00" in chinese_list and "CN¥" not in chinese_list
    assert ">100000.00<" not in chinese_list.replace(" ", "")


def test_a_contract_in_another_currency_keeps_its_own(client, auth, world):
    from backoffice.models import Contract
    from tests.factories import make
    make(Contract, number="K-HRB-USD", customer=world.harbin_customer,
         signed_on=dt.date(2025, 1, 10), value=1234567, currency="USD")
    auth.login("admin")
    assert "$1,234,567.00" in text(client.get("/admin/contract/"))


# -- layout ----------------------------------------------------------------------------

def test_pages_use_the_full_width_and_our_stylesheet(client, auth, world):
    auth.login("admin")
    body = text(client.get("/admin/unit/"))
    assert 'class="container-fluid"' in body  # not boxed at 1,110 px
    assert "/static/backoffice.css" in body
    css = client.get("/static/backoffice.css")
    assert css.status_code == 200
    rules = css.get_data(as_text=True)
    for column in ("col-status", "col-signed_on", "col-code", "col-serial", "col-value"):
        assert f".{column}" in rules
    assert "white-space: nowrap" in rules


def test_a_refusal_keeps_the_menu_and_log_out(client, auth, world):
    auth.login("viewer")
    page = client.get("/admin/customer/new/")
    assert page.status_code == 403
    body = page.get_data(as_text=True)
    assert "Access denied" in body
    assert 'action="/logout"' in body and "Log out" in body  # log out stays
    assert 'class="navbar-nav' in body or "navbar-nav" in body  # the admin's menu
    assert 'href="/admin/customer/"' in body  # the menu's own links
    assert re.search(r'class="[^"]*active[^"]*dropdown', body)  # its section highlighted
    missing = client.get("/admin/customer/details/?id=999999")
    assert missing.status_code == 404 and 'action="/logout"' in missing.get_data(as_text=True)


def test_an_error_page_without_login_stays_plain(client, world):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    body = page.get_data(as_text=True)
    assert 'action="/logout"' not in body and "navbar-nav" not in body
    assert "Not found" in body
