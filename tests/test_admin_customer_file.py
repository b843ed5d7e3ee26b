"""The customer file page: the customer's record, its parts, and its timeline ("Recent changes")."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re

import pytest

from backoffice.db import acting_as
from backoffice.models import AuditEntry, Contract, Customer, Site, Unit
from tests.factories import make
from tests.test_admin_helpers import submit


def file_page(client, customer) -> str:
    page = client.get(f"/admin/customer/details/?id={customer.id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def timeline_of(body: str) -> str:
    start = body.index("Recent changes")
    return body[start:]


def queries_of(action) -> list[str]:
    """The SQL statements ``action`` runs (peewee's debug log)."""
    seen = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: seen.append(str(
        record.msg[0] if isinstance(record.msg, tuple) else record.msg))
    logger = logging.getLogger("peewee")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        action()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    return seen


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
    # no query per entry (these 30 link nothing, so the names cost nothing either)
    assert len(seen) <= few, "\n".join(seen)
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


# -- the file reads as a file: one readable line per change (issue 7, item 19) ------------

RAW_ID = re.compile(r"(?:Contract|Customer|Site|Product|Unit|Contact|Office|Term set version)"
                    r"\s+#?\d+(?![\w-])|#\d+")


def entry_rows(body: str) -> dict[int, str]:
    """Each timeline entry's visible text (tags stripped, spaces collapsed), by audit id."""
    rows = {}
    for match in re.finditer(r'<tr class="timeline-entry[^"]*" data-audit-id="(\d+)">(.*?)</tr>',
                             timeline_of(body), re.DOTALL):
        text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(2)))
        rows[int(match.group(1))] = " ".join(text.split())
    return rows


def created_entry(table, row_id):
    return AuditEntry.get((AuditEntry.table == table) & (AuditEntry.row_id == row_id)
                          & (AuditEntry.action == "create"))


def test_a_created_unit_is_one_line_naming_what_it_links(client, auth, world):
    auth.login("harbin_manager")
    rows = entry_rows(file_page(client, world.harbin_customer))
    line = rows[created_entry("unit", world.harbin_unit.id).id]
    # the linked records by their names, not their ids
    for words in ("Created Unit SN-HRB-0001", "Product UPS-100 UPS 100 kVA", "Contract K-HRB-1",
                  "Site Harbin plant", "Status"):
        assert words in line, (words, line)
    assert not RAW_ID.search(line), line
    # bookkeeping and defaults are not a change anyone reads
    for hidden in ("Version", "Updated", "Warranty dates set by hand", "Customer"):
        assert hidden not in line, (hidden, line)
    # every entry of the file reads the same way: no raw ids, no bookkeeping
    for text in rows.values():
        assert not RAW_ID.search(text) and "Version" not in text, text
    contract_line = rows[created_entry("contract", world.harbin_contract.id).id]
    assert "Contract K-HRB-1" in contract_line and "¥100,000.00" in contract_line


def test_a_change_reads_old_to_new_with_names(client, auth, world):
    with acting_as("tests"):
        other_site = Site.create(customer=world.harbin_customer, name="Harbin depot")
    auth.login("harbin_manager")
    submit(client, f"/admin/unit/edit/?id={world.harbin_unit.id}",
           {"site": str(other_site.id), "notes": "moved"})
    entry = (AuditEntry.select().where((AuditEntry.table == "unit")
                                       & (AuditEntry.action == "update"))
             .order_by(AuditEntry.id.desc()).get())
    assert entry.change_dict["site"] == [world.harbin_site.id, other_site.id]  # stored: ids
    line = entry_rows(file_page(client, world.harbin_customer))[entry.id]
    assert "Changed Unit SN-HRB-0001" in line
    assert "Site Harbin plant → Harbin depot" in line and "Notes — → moved" in line, line
    assert "Version" not in line and not RAW_ID.search(line)


def test_a_record_gone_since_is_not_shown_by_its_id(client, auth, world):
    gone = AuditEntry.create(actor="tests", table="unit", row_id=world.harbin_unit.id,
                             action="update", summary="SN-HRB-0001", office=world.harbin.id,
                             customer=world.harbin_customer.id,
                             at=dt.datetime(2099, 1, 1), changes=json.dumps(
                                 {"site": [987654, world.harbin_site.id], "version": [3, 4],
                                  "updated_at": ["2099-01-01T00:00:00", "2099-01-01T00:00:01"]}))
    auth.login("admin")
    line = entry_rows(file_page(client, world.harbin_customer))[gone.id]
    assert "Site (not available) → Harbin plant" in line, line
    assert "987654" not in line
    # the bookkeeping the entry holds besides (version 3 -> 4, updated_at) is left out
    assert "3 → 4" not in line and "updated" not in line.lower() and \
        "version" not in line.lower(), line


def test_names_cost_one_query_per_linked_table_not_per_entry(client, auth, world):
    """Twelve units on twelve contracts: their lines name twelve contracts with the
    same number of queries as the world's one unit on one contract."""
    auth.login("admin")
    few = len(queries_of(lambda: file_page(client, world.harbin_customer)))
    for i in range(2, 14):
        contract = make(Contract, number=f"K-HRB-{i}", customer=world.harbin_customer,
                        signed_on=dt.date(2025, 1, 10))
        make(Unit, serial=f"SN-HRB-{i:04d}", product=world.product, contract=contract,
             site=world.harbin_site)
    AuditEntry.delete().where(AuditEntry.table == "contract", AuditEntry.row_id != 
                              world.harbin_contract.id).execute()  # the page: 12 units + world
    seen = queries_of(lambda: file_page(client, world.harbin_customer))
    lines = " | ".join(entry_rows(file_page(client, world.harbin_customer)).values())
    for i in range(2, 14):
        assert f"Contract K-HRB-{i} " in lines
    # the file's own lists grew (contracts, units), the timeline's name look-ups did not
    names = [q for q in seen if '"contract"' in q and " IN " in q]
    assert len(names) == 1, "\n".join(names)
    assert len(seen) == few, "\n".join(seen)


def test_the_timeline_is_paged_newest_first(client, auth, world):
    base = dt.datetime(2099, 3, 1, 0, 0)
    for i in range(45):
        crafted(world.harbin_customer.id, world.harbin.id, f"entry {i:02d}",
                at=base + dt.timedelta(minutes=i))
    auth.login("admin")
    first = file_page(client, world.harbin_customer)
    assert timeline_of(first).count('class="timeline-entry') == 20
    assert "entry 44" in first and "entry 25" in first and "entry 24" not in first
    older = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', first)
    assert older, "no link to older changes"
    second = client.get(html.unescape(older.group(1))).get_data(as_text=True)
    assert "entry 24" in second and "entry 05" in second and "entry 44" not in second
    assert "entry 04" not in second
    assert re.search(r'<li class="page-item\s*">\s*<a class="page-link" rel="prev"', second)
    third = client.get(f"/admin/customer/details/?id={world.harbin_customer.id}"
                       "&changes_page=2").get_data(as_text=True)
    assert "entry 04" in third and "entry 00" in third and "K-HRB-1" in third
    # a page number that is not one: the first page, never an error
    for garbage in ("-1", "x", "99999999999999999999", "１"):
        page = client.get(f"/admin/customer/details/?id={world.harbin_customer.id}"
                          f"&changes_page={garbage}")
        assert page.status_code == 200 and "entry 44" in page.get_data(as_text=True)


def test_the_all_changes_button_is_a_visible_button(client, auth, world):
    auth.login("viewer")
    body = file_page(client, world.harbin_customer)
    button = re.search(r'<a class="([^"]*timeline-all[^"]*)"', body).group(1).split()
    assert "btn" in button and "btn-info" in button  # dark blue, white text (cerulean)
    assert not any(c in button for c in ("btn-outline-secondary", "btn-secondary", "btn-light"))


def test_a_record_without_a_name_of_its_own_is_named_by_its_table(client, auth, world):
    """A model that gives no name ("Thing #20", the default) is not shown by its id."""
    from backoffice.services import customer_file
    entry = AuditEntry.create(actor="tests", table="contact", row_id=world.harbin_contact.id,
                              action="update", summary="Contact #20", office=world.harbin.id,
                              customer=world.harbin_customer.id, at=dt.datetime(2099, 1, 1),
                              changes=json.dumps({"title": ["", "Engineer"]}))
    auth.login("admin")
    line = entry_rows(file_page(client, world.harbin_customer))[entry.id]
    assert "Changed Contact" in line and "Title — → Engineer" in line
    assert "#20" not in line, line
    details = client.get(f"/admin/audit/details/?id={entry.id}").get_data(as_text=True)
    assert "Contact #20" not in details
    assert customer_file.links_of("unit")["contract"] == "contract"


def test_a_created_record_of_an_unlisted_table_names_its_links_only(client, auth, world):
    """A table the timeline has no line for yet (a new kind of record) says what it
    links and its fixed-list values, never a dump of every field."""
    entry = AuditEntry.create(actor="tests", table="term_set_version", row_id=7,
                              action="create", summary="gold v7", office=world.harbin.id,
                              customer=world.harbin_customer.id, at=dt.datetime(2099, 1, 1),
                              changes=json.dumps({"term_set": [None, 424242], "number": [None, 7],
                                                  "data": [None, '{"reply": {"hours": 2}}'],
                                                  "note": [None, "a long note"]}))
    auth.login("admin")
    line = entry_rows(file_page(client, world.harbin_customer))[entry.id]
    assert "Created Term set version gold v7" in line and "Term set (not available)" in line
    assert "hours" not in line and "a long note" not in line and "Note" not in line
