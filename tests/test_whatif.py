"""What-if before publishing terms (issue 9, item 6): past tickets counted met, missed or open
under the terms they had and under another version, per office; runs with progress; the
command line and the admin's form and run page.

The history, by hand (every ticket 320 km from its office: the 100-500 km band; the set
``regional`` v1 has the charter's numbers, 2 h reply and 12 h arrival there, v2 has 1 h
and 8 h; R is each ticket's receipt):

=====  ======  =================================  =================  ==================
office ticket  what happened                      now (v1)           under v2
=====  ======  =================================  =================  ==================
HRB    t1      reply R+30 min, on site R+10 h     met, met           met, missed
HRB    t2      reply R+1 h 30, on site R+7 h      met, met           missed, met
HRB    t3      R 20 h ago, reply R+3 h, not there missed, missed     missed, missed
CAN    t4      R 90 min ago, nothing yet          open, open         missed, open
CAN    t5      reply R+30 min, waited R+1 h to    met, met (due      met, met (due
               R+6 h, on site R+12 h 30           R+17 h)            R+13 h, not 8 h)
CAN    t6      cancelled before any reply         (not counted)      (not counted)
=====  ======  =================================  =================  ==================

``other``: a ticket of a contract on the standard terms, which only the charter's what-if
counts; ``old``: a Harbin ticket of five days ago, met and met, which ``since`` leaves out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from dataclasses import replace
from decimal import Decimal

import pytest

from backoffice.access import AccessDenied
from backoffice.db import database
from backoffice.hookspecs import Deadline, hookimpl
from backoffice.labels import Role
from backoffice.models import (
    Contract,
    RuleViolation,
    RunState,
    Site,
    Staff,
    Unit,
    WhatIfRun,
)
from backoffice.services import tickets, whatif
from backoffice.services.tickets import Report
from backoffice.terms import STANDARD
from backoffice.testing import enable_plugin, plugin_registered
from tests.conftest import csrf_token
from tests.factories import TESTS, make, make_staff, publish, save

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HQ = TESTS  # the operator: may do everything

V1 = replace(STANDARD, name="regional", title="Regional terms")
V2 = replace(V1, reply_hours=1.0, bands=(STANDARD.bands[0], replace(STANDARD.bands[1], hours=8),
                                           STANDARD.bands[2]))


def counts(met=0, missed=0, open=0):
    return {"met": met, "missed": missed, "open": open}


@pytest.fixture
def history(world, monkeypatch):
    """The tickets of the table above, logged and worked through the ticket services."""
    v1, v2 = publish(V1, "signed"), publish(V2, "faster")
    for contract in (world.harbin_contract, world.guangzhou_contract):
        contract = Contract.get_by_id(contract.id)
        contract.term_set_version = v1.id
        save(contract)
    for site in (world.harbin_site, world.guangzhou_site):
        site = Site.get_by_id(site.id)
        site.road_distance_km = Decimal(320)
        save(site)
    other_contract = make(Contract, number="K-HRB-2", customer=world.harbin_customer,
                          signed_on=dt.date(2025, 3, 1), value=Decimal(1000))
    make(Unit, serial="SN-HRB-0002", product=world.product, contract=other_contract,
         site=world.harbin_site, installed_on=dt.date(2025, 3, 2))
    canton_engineer = make_staff("canton_engineer", Role.ENGINEER, world.guangzhou)
    harbin = (world.users["harbin_manager"], world.users["harbin_engineer"], "SN-HRB-0001")
    canton = (world.users["guangzhou_manager"], canton_engineer, "SN-CAN-0001")
    start = dt.datetime.now(SHANGHAI).replace(second=0, microsecond=0)
    hours = dt.timedelta(hours=1)

    def log(who, ago, serial=None):
        manager, _engineer, own_serial = who
        received = start - ago
        ticket = tickets.open_ticket(manager, Report(summary="UPS alarm",
                                                     serial=serial or own_serial,
                                                     received=received))
        return ticket, received

    def work(who, ticket, received, reply=None, arrive=None):
        manager, engineer, _serial = who
        if reply is not None:
            tickets.reply(manager, ticket, "on our way", at=received + reply)
        if arrive is not None:
            tickets.dispatch(manager, ticket, engineer)
            tickets.arrive(engineer, ticket, at=received + arrive)
        return ticket

    t1 = work(harbin, *log(harbin, 20 * hours), reply=hours / 2, arrive=10 * hours)
    t2 = work(harbin, *log(harbin, 20 * hours), reply=1.5 * hours, arrive=7 * hours)
    t3 = work(harbin, *log(harbin, 20 * hours), reply=3 * hours)
    t4, _ = log(canton, 1.5 * hours)
    t5, received5 = log(canton, 20 * hours)
    work(canton, t5, received5, reply=hours / 2)
    moment = [received5 + hours]  # the pause, an hour after receipt, for five hours
    monkeypatch.setattr(tickets, "now", lambda: moment[0])
    tickets.pause(canton[0], t5, "the customer's site is closed")
    moment[0] = received5 + 6 * hours
    tickets.resume(canton[0], t5)
    monkeypatch.undo()
    work(canton, t5, received5, arrive=12.5 * hours)
    t6, _ = log(canton, 3 * hours)
    tickets.cancel(canton[0], t6, "reported twice")
    other = work(harbin, *log(harbin, 20 * hours, "SN-HRB-0002"), reply=hours / 2,
                 arrive=5 * hours)
    old = work(harbin, *log(harbin, 5 * 24 * hours), reply=hours / 2, arrive=5 * hours)
    return {"v1": v1, "v2": v2, "t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6,
            "other": other, "old": old, "start": start}


HARBIN = {"tickets": 4,  # t1, t2, t3 and old
          "reply": {"now": counts(met=3, missed=1), "under": counts(met=2, missed=2)},
          "arrival": {"now": counts(met=3, missed=1), "under": counts(met=2, missed=2)}}
CANTON = {"tickets": 3,  # t4, t5 and the cancelled t6
          "reply": {"now": counts(met=1, open=1), "under": counts(met=1, missed=1)},
          "arrival": {"now": counts(met=1, open=1), "under": counts(met=1, open=1)}}


def office(result, code):
    rows = [row for row in result["offices"] if row["office"] == code]
    assert len(rows) == 1, result["offices"]
    return {key: rows[0][key] for key in ("tickets", "reply", "arrival")}


def test_the_stored_dues_are_the_ones_the_table_assumes(history):
    hour = dt.timedelta(hours=1)
    t5 = history["t5"]
    assert t5.paused_seconds == 5 * 3600
    assert t5.arrival_due - t5.received_at == 17 * hour, "12 h and the 5 h pause"
    assert history["t1"].arrival_due - history["t1"].received_at == 12 * hour


def test_counts_per_office_now_and_under_the_new_version(history):
    result = whatif.compute(HQ, "regional", 2)
    assert office(result, "HRB") == HARBIN
    assert office(result, "CAN") == CANTON
    assert result["total"]["tickets"] == result["tickets"] == 7
    assert result["total"]["reply"] == {"now": counts(met=4, missed=1, open=1),
                                        "under": counts(met=3, missed=3)}
    assert result["total"]["arrival"] == {"now": counts(met=4, missed=1, open=1),
                                          "under": counts(met=3, missed=2, open=1)}
    assert (result["label"], result["term_set"], result["version"]) == ("regional v2",
                                                                        "regional", 2)
    assert result["skipped"] == result["plugin_failures"] == 0


def test_the_version_they_had_changes_nothing(history):
    result = whatif.compute(HQ, "regional", 1)
    for row in [*result["offices"], result["total"]]:
        for milestone in ("reply", "arrival"):
            assert row[milestone]["now"] == row[milestone]["under"], row


def test_since_leaves_older_tickets_out(history):
    since = (history["start"] - dt.timedelta(days=2)).date()
    result = whatif.compute(HQ, "regional", 2, since.isoformat())
    assert result["since"] == since.isoformat()
    harbin = office(result, "HRB")
    assert harbin["tickets"] == 3
    assert harbin["reply"] == {"now": counts(met=2, missed=1), "under": counts(met=1, missed=2)}
    assert office(result, "CAN") == CANTON
    later = whatif.compute(HQ, "regional", 2, history["start"].date() + dt.timedelta(days=1))
    assert later["tickets"] == 0 and later["offices"] == []


def test_the_charter_counts_the_contracts_on_the_standard_terms(history):
    charter = STANDARD.as_dict() | {"reply": {"hours": 0.25}}  # 15 minutes: t "other" misses
    from backoffice.terms import terms_from_dict
    publish(terms_from_dict(charter))  # stored as charter v2, after v1 = the standard terms
    result = whatif.compute(HQ, "charter", 2)
    assert result["tickets"] == 1  # only "other": the others are on regional
    assert office(result, "HRB")["reply"] == {"now": counts(met=1), "under": counts(missed=1)}
    assert office(result, "HRB")["arrival"] == {"now": counts(met=1), "under": counts(met=1)}


def test_a_contracts_plugin_still_decides_under_the_new_version(history):
    class Quarter:
        @hookimpl
        def reply_deadline(self, received):
            return Deadline(within=dt.timedelta(minutes=15), decided_by="quarter")
    with plugin_registered(Quarter(), "quarter"):
        enable_plugin(Contract.get_by_id(history["t1"].contract_id), "quarter")
        result = whatif.compute(HQ, "regional", 2)
    # every Harbin reply took 30 min or more: all missed under the plugin of its contract;
    # Guangzhou's contract does not enable it, so v2 decides there as before
    assert office(result, "HRB")["reply"]["under"] == counts(missed=4)
    assert office(result, "CAN")["reply"] == CANTON["reply"]


def test_a_pause_counts_on_the_versions_clock_for_the_milestones_still_open(history):
    """t5's reply came before its pause: its due is not moved; its arrival's is."""
    counter = whatif._Counter(history["v2"].terms(), whatif.utcnow())
    t5 = history["t5"]
    dues = counter.dues_under(t5, Contract.get_by_id(t5.contract_id), None,
                              [(t5.received_at + dt.timedelta(hours=1),
                                t5.received_at + dt.timedelta(hours=6))])
    assert dues["reply"] - t5.received_at == dt.timedelta(hours=1)
    assert dues["arrival"] - t5.received_at == dt.timedelta(hours=13)


def test_without_pause_rows_the_paused_time_moves_the_dues_it_moved(history):
    """Tickets imported in bulk may carry paused_seconds without pause rows: a due their own
    terms moved on is moved on under the version too (t5's arrival, not its reply)."""
    from backoffice.models import TicketPause
    before = whatif.compute(HQ, "regional", 2)
    TicketPause.delete().where(TicketPause.ticket == history["t5"].id).execute()
    after = whatif.compute(HQ, "regional", 2)
    assert office(after, "CAN") == office(before, "CAN") == CANTON


def test_a_waiting_ticket_is_open_until_its_due_had_passed_when_it_paused(history,
                                                                         monkeypatch):
    t4 = history["t4"]
    paused_at = tickets.local(t4.received_at) + dt.timedelta(minutes=30)
    monkeypatch.setattr(tickets, "now", lambda: paused_at)
    tickets.pause(Staff.get(Staff.username == "guangzhou_manager"), t4, "customer away")
    monkeypatch.undo()
    canton = office(whatif.compute(HQ, "regional", 2), "CAN")
    # it waits since 30 min after receipt: the clock stopped before the 1 h reply of v2 was
    # due, so that reply is still open, an hour after it would have been due unpaused
    assert canton["reply"] == {"now": counts(met=1, open=1), "under": counts(met=1, open=1)}
    assert canton["arrival"] == CANTON["arrival"]


def test_only_headquarters_and_administrators_may_ask(history, world):
    for user in ("harbin_manager", "harbin_engineer", "viewer"):
        with pytest.raises(AccessDenied):
            whatif.start(world.users[user], "regional", 2)
        with pytest.raises(AccessDenied):
            whatif.compute(world.users[user], "regional", 2)
    assert WhatIfRun.select().count() == 0
    assert whatif.start(world.users["hq"], "regional", 2).requested_by == "hq"


@pytest.mark.parametrize("term_set, version, since, field, code", [
    ("nope", 2, None, "term_set", "not_found"),
    ("", 2, None, "term_set", "not_found"),
    ("regional", 3, None, "version", "not_found"),
    ("regional", "99999999999999999999", None, "version", "not_found"),
    ("regional", "two", None, "version", "invalid"),
    ("regional", "２", None, "version", "invalid"),
    ("regional", 2, "9999-99-99", "since", "invalid"),
    ("regional", 2, "2026-02-30", "since", "invalid"),
    ("regional", 2, "2200-01-01", "since", "out_of_range"),
])
def test_a_bad_question_is_refused_with_its_field_and_writes_nothing(history, term_set,
                                                                    version, since, field,
                                                                    code):
    with pytest.raises(RuleViolation) as info:
        whatif.start(HQ, term_set, version, since)
    assert (info.value.field, info.value.code) == (field, code)
    assert WhatIfRun.select().count() == 0


def test_a_version_of_another_set_is_refused(history):
    from backoffice.models import TermSet
    publish(replace(V1, name="other"))
    with pytest.raises(RuleViolation) as info:
        whatif.start(HQ, TermSet.get(TermSet.name == "other"), history["v2"])
    assert info.value.code == "not_found"


# -- runs ------------------------------------------------------------------------------------

def test_a_run_counts_chunk_by_chunk_with_its_progress(history):
    run = whatif.start(HQ, "regional", 2)
    assert (run.state, run.done, run.total) == (RunState.QUEUED, 0, 7)
    seen = []

    def progress(done, total):
        stored = WhatIfRun.get_by_id(run.id)  # written, and committed, before the next chunk
        seen.append((done, total, stored.done, stored.total, stored.state))
    finished = whatif.execute(run.id, chunk_size=3, progress=progress)
    assert seen == [(3, 7, 3, 7, "running"), (6, 7, 6, 7, "running"),
                    (7, 7, 7, 7, "running")]
    assert (finished.state, finished.done, finished.total) == (RunState.DONE, 7, 7)
    assert finished.started_at is not None and finished.finished_at >= finished.started_at
    assert finished.counts() == whatif.compute(HQ, "regional", 2) | {
        "as_of": finished.counts()["as_of"]}
    assert whatif.execute(run.id).state == RunState.DONE, "a finished run is not counted again"


def test_a_chunk_never_reads_more_than_its_size(history, monkeypatch):
    sizes = []
    real = whatif._Counter.chunk
    monkeypatch.setattr(whatif._Counter, "chunk",
                        lambda self, rows: sizes.append(len(rows)) or real(self, rows))
    whatif.compute(HQ, "regional", 2, chunk_size=2)
    assert sizes == [2, 2, 2, 1]


def test_a_failing_run_says_why(history):
    run = whatif.start(HQ, "regional", 2)
    # the version's stored sheet broken behind the service's back: the count fails
    database.execute_sql(f"UPDATE term_set_version SET data = '{{' WHERE id = {history['v2'].id}")
    failed = whatif.execute(run.id)
    assert failed.state == RunState.FAILED and failed.finished_at is not None
    assert "regional v2 cannot be read" in failed.error and failed.result == ""


def test_small_histories_run_at_once_large_ones_go_to_the_worker(history, monkeypatch):
    queued = []
    run = whatif.run_now_or_queue(whatif.start(HQ, "regional", 2), enqueue=queued.append)
    assert run.state == RunState.DONE and queued == []
    monkeypatch.setattr(whatif, "INLINE_LIMIT", 6)
    large = whatif.start(HQ, "regional", 2)
    assert whatif.run_now_or_queue(large, enqueue=queued.append).state == RunState.QUEUED
    assert queued == [large.id]
    assert WhatIfRun.get_by_id(large.id).state == RunState.QUEUED
    assert whatif.run_now_or_queue(large).state == RunState.QUEUED, "no worker: it waits"
    assert whatif.execute(large.id).state == RunState.DONE


# -- the command line --------------------------------------------------------------------------

def one_line_error(result, message, code=2):
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_the_command_prints_a_table_per_office_and_the_totals(history, runner):
    result = runner.invoke(args=["terms", "whatif", "--term-set", "regional", "--version", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("What-if regional v2: 7 ticket(s) of regional's contracts, "
                               "as of ") and lines[0].endswith("(Asia/Shanghai)")
    table = [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]
    assert table[0] == ["office", "milestone", "tickets", "met now", "missed now", "open now",
                        "met under v2", "missed under v2", "open under v2"]
    assert table[1:] == [
        ["CAN", "Definite reply", "3", "1", "0", "1", "1", "1", "0"],
        ["Engineer on site", "1", "0", "1", "1", "0", "1"],
        ["HRB", "Definite reply", "4", "3", "1", "0", "2", "2", "0"],
        ["Engineer on site", "3", "1", "0", "2", "2", "0"],
        ["total", "Definite reply", "7", "4", "1", "1", "3", "3", "0"],
        ["Engineer on site", "4", "1", "1", "3", "2", "1"]]
    assert WhatIfRun.get().requested_by == "system"  # the operator (cli:<login> when run
    # as the backoffice command); --as records the user:
    result = runner.invoke(args=["terms", "whatif", "--term-set", "regional", "--version", "2",
                                 "--as", "hq"])
    assert result.exit_code == 0 and WhatIfRun.select().order_by(WhatIfRun.id.desc()).get(
    ).requested_by == "hq"


def test_the_command_in_json_and_with_since(history, runner):
    since = (history["start"] - dt.timedelta(days=2)).date().isoformat()
    result = runner.invoke(args=["terms", "whatif", "--term-set", "regional", "--version", "2",
                                 "--since", since, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["since"] == since and data["tickets"] == 6
    assert office(data, "CAN") == CANTON
    assert dt.datetime.fromisoformat(data["as_of"]).utcoffset() == dt.timedelta(hours=8)


def test_the_command_in_chinese(history, make_app):
    chinese = make_app(default_language="zh_Hans_CN")
    with chinese.app_context():
        result = chinese.test_cli_runner().invoke(args=[
            "terms", "whatif", "--term-set", "regional", "--version", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("假设按 regional v2")
    assert "办事处" in lines[1] and "按 v2 达成" in lines[1]
    assert "合计" in lines[-2]


@pytest.mark.parametrize("args, message", [
    (["--term-set", "nope", "--version", "1"], "No term set named 'nope'."),
    (["--term-set", "regional", "--version", "9"], "Term set regional has no version 9."),
    (["--term-set", "regional", "--version", "99999999999999999999"],
     "Term set regional has no version 99999999999999999999."),
    (["--term-set", "regional", "--version", "x"], "A version is a whole number"),
    (["--term-set", "regional", "--version", "2", "--since", "9999-99-99"],
     "'9999-99-99' is not a date like 2026-11-27."),
    (["--term-set", "regional", "--version", "2", "--since", "0001-01-01"],
     "outside the years 1900 to 2200"),
    (["--term-set", "regional", "--version", "2", "--since", "2200-01-01"], "since"),
    (["--term-set", "regional", "--version", "2", "--as", "harbin_manager"],
     "You are not allowed to do this."),
    (["--term-set", "regional"], "Missing option '--version'"),
    (["--term-set", "a\x00b", "--version", "2"], "U+0000"),
])
def test_bad_input_is_one_line_and_exit_2(history, runner, args, message):
    result = runner.invoke(args=["terms", "whatif", *args])
    one_line_error(result, message)
    assert WhatIfRun.select().count() == 0


def test_a_failed_count_exits_1(history, runner):
    database.execute_sql("UPDATE term_set_version SET data = '{\"name\": 1}' "
                         f"WHERE id = {history['v2'].id}")
    result = runner.invoke(args=["terms", "whatif", "--term-set", "regional", "--version", "2"])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output


# -- the admin ----------------------------------------------------------------------------------

def page(response) -> str:
    import html
    return html.unescape(response.get_data(as_text=True))


def post_whatif(client, data):
    body = client.get("/admin/rules/terms/regional/").get_data(as_text=True)
    return client.post("/admin/rules/terms/regional/whatif",
                       data={"csrf_token": csrf_token(body), **data})


def test_the_term_set_page_starts_a_run_and_shows_its_result(history, client, auth):
    auth.login("hq")
    body = page(client.get("/admin/rules/terms/regional/"))
    assert 'class="whatif-form"' in body and "What-if before moving contracts" in body
    response = post_whatif(client, {"version": str(history["v2"].id), "since": ""})
    assert response.status_code == 302
    run = WhatIfRun.get()
    assert response.headers["Location"].endswith(f"/admin/rules/terms/regional/whatif?run={run.id}")
    assert run.state == RunState.DONE and run.requested_by == "hq"
    shown = page(client.get(response.headers["Location"]))
    assert 'http-equiv="refresh"' not in shown, "a finished run stops refreshing"
    rows = re.findall(r'<tr class="office"[^>]*>(.*?)</tr>', shown, re.DOTALL)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL) for row in rows]
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in row] for row in cells]
    assert cells[0][:3] == ["CAN", "Guangzhou office", "3"]
    assert cells[0][3:] == ["1", "0", "1", "1", "1", "0", "1", "0", "1", "1", "0", "1"]
    assert cells[1][:3] == ["HRB", "Harbin office", "4"]
    assert "(Asia/Shanghai)" in shown
    history_page = page(client.get("/admin/rules/terms/regional/"))
    assert f"/admin/rules/terms/regional/whatif?run={run.id}" in history_page


def test_the_run_page_refreshes_while_it_runs_and_shows_progress(history, client, auth,
                                                                 monkeypatch):
    monkeypatch.setattr(whatif, "INLINE_LIMIT", 3)  # 7 tickets: for the worker
    auth.login("admin")
    response = post_whatif(client, {"version": str(history["v2"].id)})
    run = WhatIfRun.get()
    assert run.state == RunState.QUEUED
    assert client.application.extensions["worker"].huey.pending_count() == 1, "queued"
    shown = page(client.get(response.headers["Location"]))
    assert 'http-equiv="refresh"' in shown and "0 of 7" in shown
    WhatIfRun.update(state=RunState.RUNNING, done=4000, total=12345).execute()
    shown = page(client.get(response.headers["Location"]))
    assert "4,000 of 12,345" in shown and 'http-equiv="refresh"' in shown
    chinese = page(client.get(response.headers["Location"],
                              headers={"Accept-Language": "zh-CN"}))
    assert "4,000" in chinese and "12,345" in chinese and "假设" in chinese


def test_a_large_run_is_counted_by_the_workers_task(history, app, client, auth, monkeypatch):
    monkeypatch.setattr(whatif, "INLINE_LIMIT", 3)
    app.extensions["worker"].huey.immediate = True  # Huey runs each task as it is queued
    auth.login("hq")
    post_whatif(client, {"version": str(history["v2"].id)})
    run = WhatIfRun.get()
    assert (run.state, run.done, run.total) == (RunState.DONE, 7, 7)
    assert office(run.counts(), "CAN") == CANTON


@pytest.mark.parametrize("data, message", [
    ({"version": "999999"}, "Not a valid choice"),
    ({"version": "abc"}, "Not a valid choice"),
    ({"since": "9999-99-99"}, "is not a date like"),
    ({"since": "2200-01-01"}, "2199-12-31"),
])
def test_a_bad_form_is_a_form_error(history, client, auth, data, message):
    auth.login("hq")
    response = post_whatif(client, {"version": str(history["v2"].id)} | data)
    assert response.status_code == 200
    assert message in page(response)
    assert WhatIfRun.select().count() == 0


@pytest.mark.parametrize("user", ["harbin_manager", "harbin_engineer", "viewer"])
def test_an_office_is_refused_the_form_and_the_run_page(history, client, auth, user):
    run = whatif.run_now_or_queue(whatif.start(HQ, "regional", 2))
    auth.login(user)
    assert client.get("/admin/rules/terms/regional/").status_code == 403
    assert client.post("/admin/rules/terms/regional/whatif",
                       data={"version": str(history["v2"].id)}).status_code in (400, 403)
    assert client.get(f"/admin/rules/terms/regional/whatif?run={run.id}").status_code == 403
    assert WhatIfRun.select().count() == 1


def test_a_run_of_another_set_or_unknown_is_not_found(history, client, auth):
    run = whatif.run_now_or_queue(whatif.start(HQ, "regional", 2))
    publish(replace(V1, name="other"))
    auth.login("hq")
    assert client.get(f"/admin/rules/terms/other/whatif?run={run.id}").status_code == 404
    for garbage in ("99999999999999999999", "abc", "１", "-1", ""):
        assert client.get("/admin/rules/terms/regional/whatif",
                          query_string={"run": garbage}).status_code == 404, garbage
    assert client.get("/admin/rules/terms/nope/whatif").status_code == 404
    assert client.get("/admin/rules/terms/regional/whatif").status_code == 200
