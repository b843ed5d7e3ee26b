"""The customer file page: the customer's record, its parts, and its timeline ("Recent changes")."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from backoffice.db import acting_as
from backoffice.models import AuditEntry, Customer, Unit
from tests.test_admin_helpers import submit


def file_page(client, customer) -> str:
    page = client.get(f"/admin/customer/details/?id={customer.id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def timeline_of(body: str) -> str:
    start = body.index("Recent changes")
    return body[start:]


def crafted(customer_id, office_id, summary, at=None):
    """An audit entry written straight into the table (as a buggy import or a crafted row would)."""
    return AuditEntry.create(actor="intruder", table="customer", row_id=customer_id,
                             action="update", summary=summary, office=office_id,
                             customer=customer_id, at=at or dt.datetime(2026, 1, 1, 4, 5),
                             changes=json.dumps({"name": ["Old name", "New name"]}))


def test_timeline_shows_who_when_what_and_the_changes(client, auth, world):
    auth.login("harbin_manager")
    submit(client, f"/admin/customer/edit/?id={world.harbin_customer.id}",
           {"name": "Harbin Power Works Ltd", "industry": "water"})
    body = file_page(client, world.harbin_customer)
    timeline = timeline_of(body)
    assert "file-timeline" in timeline
    entry = AuditEntry.select().where(AuditEntry.customer == world.harbin_customer.id,
                                      AuditEntry.action == "update").get()
    assert f'data-audit-id="{entry.id}"' in timeline
    assert "harbin_manager" in timeline  # who
    # what: the audit screen's labels (action, table, field), old -> new
    for text in ("Changed", "Customer", "Name", "Harbin Power Works", "Harbin Power Works Ltd",
                 "Industry", "Power", "Water"):
        assert text in timeline, text
    # when: in the center's time zone (UTC+8), not UTC
    local = entry.at.replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local.strftime("%Y-%m-%d %H:%M") in timeline
    # the site, contract and unit created by the world are the customer's too
    assert timeline.count("timeline-entry") >= 4 and "Created" in timeline and "Unit" in timeline


def test_timeline_shows_times_in_local_time(client, auth, world):
    crafted(world.harbin_customer.id, world.harbin.id, "at a known time",
            at=dt.datetime(2026, 1, 1, 20, 30))
    auth.login("admin")
    timeline = timeline_of(file_page(client, world.harbin_customer))
    assert "2026-01-02 04:30" in timeline and "2026-01-01 20:30" not in timeline


def test_timeline_never_shows_another_customer_or_office(client, auth, world):
    mine = crafted(world.harbin_customer.id, world.harbin.id, "harbin entry")
    # crafted: this customer's id, but recorded against Guangzhou
    foreign_office = crafted(world.harbin_customer.id, world.guangzhou.id, "smuggled entry")
    other = crafted(world.guangzhou_customer.id, world.guangzhou.id, "their entry")
    auth.login("harbin_manager")
    timeline = timeline_of(file_page(client, world.harbin_customer))
    assert f'data-audit-id="{mine.id}"' in timeline and "harbin entry" in timeline
    assert "smuggled entry" not in timeline and f'data-audit-id="{foreign_office.id}"' not in \
        timeline
    assert "their entry" not in timeline and f'data-audit-id="{other.id}"' not in timeline
    assert "Guangzhou Power Works" not in timeline
    # HQ sees every office: the Guangzhou-recorded entry of this customer, still not the other's
    auth.logout()
    auth.login("hq")
    timeline = timeline_of(file_page(client, world.harbin_customer))
    assert "smuggled entry" in timeline and "their entry" not in timeline


def test_timeline_holds_the_latest_twenty_in_one_query(client, auth, world):
    auth.login("admin")
    seen = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: seen.append(str(
        record.msg[0] if isinstance(record.msg, tuple) else record.msg))
    logger = logging.getLogger("peewee")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        file_page(client, world.harbin_customer)
        few = len(seen)
        base = dt.datetime(2099, 3, 1, 0, 0)  # newer than everything the world recorded
        for i in range(30):
            crafted(world.harbin_customer.id, world.harbin.id, f"entry {i:02d}",
                    at=base + dt.timedelta(minutes=i))
        seen.clear()
        body = file_page(client, world.harbin_customer)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    assert len(seen) == few, "\n".join(seen)  # no query per entry
    timeline = timeline_of(body)
    assert timeline.count("timeline-entry") == 20
    assert "entry 29" in timeline and "entry 10" in timeline and "entry 09" not in timeline
    assert timeline.index("entry 29") < timeline.index("entry 10")  # newest first


def test_link_to_the_full_audit_list_of_the_customer(client, auth, world):
    crafted(world.guangzhou_customer.id, None, "other customer's entry")
    auth.login("admin")
    body = file_page(client, world.harbin_customer)
    start = body.index('timeline-all" href="') + len('timeline-all" href="')
    url = body[start:body.index('"', start)].replace("&amp;", "&")
    assert url.startswith("/admin/audit/?flt0_")
    listing = client.get(url).get_data(as_text=True)
    assert "Harbin Power Works" in listing and "other customer&#39;s entry" not in listing \
        and "other customer's entry" not in listing
    assert "K-HRB-1" in listing and "K-CAN-1" not in listing


@pytest.mark.parametrize("role", ["harbin_engineer", "viewer"])
def test_read_only_roles_see_the_timeline(client, auth, world, role):
    auth.login(role)
    timeline = timeline_of(file_page(client, world.harbin_customer))
    assert "timeline-entry" in timeline and "timeline-all" in timeline


def test_unit_count_and_timeline_together(client, auth, world):
    """A customer without changes of its own says so."""
    with acting_as("tests"):
        lonely = Customer.create(code="C-HRB-9", name="Quiet Works", office=world.harbin)
    AuditEntry.delete().where(AuditEntry.customer == lonely.id).execute()
    auth.login("admin")
    timeline = timeline_of(file_page(client, lonely))
    assert "No changes yet." in timeline and "timeline-entry" not in timeline
    assert Unit.select().count() == 2
