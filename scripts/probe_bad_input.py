"""Probe every admin form, list filter, id and ajax look-up with hostile values; list the 500s.

    .venv/bin/python scripts/probe_bad_input.py sqlite|postgres [ENDPOINT|custom]

Builds the app on a throw-away database (SQLite in a temporary directory, or a
PostgreSQL database on 127.0.0.1:5432 as user postgres, dropped at the end),
writes the tests' small world (tests/factories.py), logs in as the administrator
and sends: ids of 2**63 and more, full-width and padded ids into every details,
edit, delete and action URL; bad values into every list filter, the list's
arguments, the search box and the ajax look-ups; each field of every create and
edit form replaced by NaN, Infinity, huge numbers, dates of year 1 and 9999,
control characters and too-long text in turn; the rule screens and the login.
Prints each kind of 500 once with its count, the rows a non-canonical id deleted,
and which bad values were saved (then reads the record back). Not part of the
suite: tests/test_bad_input.py holds what it found. (Issue 7, items 6, 7 and 9.)
"""
from __future__ import annotations

import sys
import tempfile
import traceback
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backoffice import create_app
from backoffice.admin.base import ScopedModelView
from backoffice.db import database
from backoffice.models import Staff
from tests.conftest import _fresh_database, csrf_token
from tests.factories import make_world
from tests.test_admin_helpers import read_form

Staff.password_method = "pbkdf2:sha256:1000"

which = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
only = sys.argv[2] if len(sys.argv) > 2 else None
tmp = Path(tempfile.mkdtemp(prefix="probe-"))
(tmp / "noplugins").mkdir()
if which == "postgres":
    import psycopg2
    name = f"probe_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
else:
    url = f"sqlite:///{tmp / 'probe.db'}"

app = create_app({"database_url": url, "secret_key": "probe-secret-key-0123456789",
                  "plugins_dir": str(tmp / "noplugins")}, instance_path=str(tmp / "instance"))
app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=True)

BIG = ["9223372036854775808", "18446744073709551616", "-9223372036854775809",
       "99999999999999999999999999", "１", "٣", "1e3", "0x1", "-0", "abc", " 1", "1 "]
NUMS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "sNaN", "1e400", "-1e400", "1E-400",
        "99999999999999999999999999", "9223372036854775808", "-9223372036854775809",
        "１２", "1e20", "0.0000001", "123456789012345.67"]
DATES = ["9999-12-31", "0001-01-01", "1000-01-01", "2200-01-01", "1899-12-31", "2199-12-31",
         "1900-01-01"]
TEXTS = ["\x00", "a\x00b", "a\x01b", "a\x1bb", "a\x7fb", "line1\nline2", "tab\there",
         "a\r\nb", "\u2028", "x" * 300, "y" * 25000]
VERSIONS = ["abc", "9223372036854775808", "１", "-1", "", "1e3"]

failures: list[tuple] = []
accepted: list[tuple] = []
deleted_by: list[tuple] = []
counts = Counter()


def record_500(kind, what, exc_text):
    failures.append((kind, what, exc_text))


def call(client, kind, what, method, url, **kw):
    counts[kind] += 1
    try:
        resp = getattr(client, method)(url, **kw)
    except Exception as exc:  # noqa: BLE001
        tb = traceback.format_exc().strip().splitlines()
        record_500(kind, what, f"{type(exc).__name__}: {str(exc)[:150]} @ {tb[-3].strip()[:160]}")
        return None
    if resp.status_code >= 500:
        record_500(kind, what, f"status {resp.status_code}")
    return resp


def fresh():
    with app.app_context():
        _fresh_database(url)
        database.connect(reuse_if_open=True)
        w = make_world()
        database.close()
    return w


def login(client):
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    r = client.post("/login", data={"username": "admin", "password": "correct-horse-1",
                                    "csrf_token": token})
    assert r.status_code == 302, r.status_code


def token_of(client):
    return csrf_token(client.get("/admin/").get_data(as_text=True))


def views():
    admin = app.extensions["backoffice_admin"]
    return [v for v in admin._views if isinstance(v, ScopedModelView)]


WORLD_ROW = {"office": "harbin", "staff": None, "customer": "harbin_customer",
             "site": "harbin_site", "contact": "harbin_contact", "contract": "harbin_contract",
             "product": "product", "unit": "harbin_unit", "audit": None}
UNIQUE = {"code": "NEWCODE", "number": "K-NEW-1", "serial": "SN-NEW-1", "model": "NEWMODEL",
          "username": "newuser"}


def row_id(world, ep):
    if ep == "staff":
        return world.users["viewer"].id
    attr = WORLD_ROW.get(ep)
    return getattr(world, attr).id if attr else 1


def field_kinds(view):
    """form field name -> list of bad values to try"""
    from peewee import (
        BooleanField,
        CharField,
        DateField,
        DecimalField,
        ForeignKeyField,
        IntegerField,
        TextField,
    )
    out = {}
    for name, field in view.model._meta.fields.items():
        if isinstance(field, ForeignKeyField):
            out[name] = BIG + ["0", "-1"]
        elif isinstance(field, DecimalField):
            out[name] = NUMS
        elif isinstance(field, IntegerField) and not isinstance(field, BooleanField):
            out[name] = NUMS + BIG
        elif isinstance(field, DateField):
            out[name] = DATES
        elif isinstance(field, (CharField, TextField)):
            out[name] = TEXTS
    out["version"] = VERSIONS
    out["password"] = ["\x00\x00\x00\x00\x00\x00\x00\x00", "y" * 25000]
    return out


def probe_view(view):
    ep = view.endpoint
    world = fresh()
    client = app.test_client()
    login(client)
    base = f"/admin/{ep}"
    # list: filters
    for index, flt in enumerate(view._filters or ()):
        arg = view.get_filter_arg(index, flt)
        for value in BIG + NUMS[:8] + DATES + ["\x00", "a\x00"]:
            call(client, "filter", f"{ep} {flt.name}/{flt.operation()}={value!r}", "get",
                 f"{base}/", query_string={f"flt0_{arg}": value})
    for value in BIG + ["\x00"]:
        for arg in ("page", "sort", "page_size"):
            call(client, "list-arg", f"{ep} {arg}={value!r}", "get", f"{base}/",
                 query_string={arg: value})
    for value in ["\x00", "a\x00b", "%", "_", "x" * 5000]:
        call(client, "search", f"{ep} search={value!r}", "get", f"{base}/",
             query_string={"search": value})
    for arg in view.list_narrow_args:
        for value in BIG:
            call(client, "narrow", f"{ep} {arg}={value!r}", "get", f"{base}/",
                 query_string={arg: value})
    # ids
    for value in BIG + ["0", "-1", "\x00"]:
        for page in ("details", "edit"):
            call(client, "id", f"{ep} {page} id={value!r}", "get", f"{base}/{page}/",
                 query_string={"id": value})
        tok = token_of(client)
        call(client, "id", f"{ep} delete id={value!r}", "post", f"{base}/delete/",
             data={"id": value, "csrf_token": tok})
        call(client, "id", f"{ep} action rowid={value!r}", "post", f"{base}/action/",
             data={"action": "delete", "rowid": value, "csrf_token": tok})
        if ep in WORLD_ROW and ep != "audit" and client.get(f"{base}/details/?id={row_id(world, ep)}").status_code == 404:
            deleted_by.append((ep, value))
            world = fresh(); client = app.test_client(); login(client)
    # ajax
    for name in getattr(view, "_form_ajax_refs", {}) or {}:
        for value in BIG + ["-5"]:
            for arg in ("offset", "limit"):
                call(client, "ajax", f"{ep} ajax {name} {arg}={value!r}", "get",
                     f"{base}/ajax/lookup/", query_string={"name": name, "query": "",
                                                           arg: value})
        for value in ["\x00", "a\x00", "%", "x" * 5000]:
            call(client, "ajax", f"{ep} ajax {name} query={value!r}", "get",
                 f"{base}/ajax/lookup/", query_string={"name": name, "query": value})
    if ep == "audit" or ep not in WORLD_ROW:
        return
    # forms
    kinds = field_kinds(view)
    world = fresh(); client = app.test_client(); login(client)
    rid = row_id(world, ep)
    for mode in ("edit", "create"):
        edit_url = f"{base}/edit/?id={rid}"
        page = client.get(edit_url)
        if page.status_code != 200:
            print("cannot open", edit_url, page.status_code)
            return
        form = read_form(page.get_data(as_text=True))
        names = [n for n in form.values if n in kinds]
        for fname in names:
            for value in kinds[fname]:
                if mode == "create" and fname == "version":
                    continue
                page = client.get(edit_url)
                if page.status_code != 200:
                    record_500("form-after", f"{ep} edit page after previous save", page.status_code)
                    world = fresh(); client = app.test_client(); login(client)
                    rid = row_id(world, ep); edit_url = f"{base}/edit/?id={rid}"
                    page = client.get(edit_url)
                values = read_form(page.get_data(as_text=True)).values
                if mode == "create":
                    values.pop("version", None)
                    for k, v in UNIQUE.items():
                        if k in values:
                            values[k] = v
                    if ep in ("office", "product", "site", "contact"):
                        values["name"] = values.get("name", "") + " new"
                values[fname] = value
                target = f"{base}/new/" if mode == "create" else edit_url
                resp = call(client, f"form-{mode}", f"{ep}.{fname}={value[:40]!r}", "post",
                            target, data=values)
                if resp is not None and resp.status_code == 302:
                    accepted.append((mode, ep, fname, value[:40]))
                    for u in (edit_url, f"{base}/details/?id={rid}", f"{base}/",
                              f"{base}/export/csv/"):
                        call(client, "readback", f"{ep}.{fname}={value[:20]!r} then {u}", "get", u)
                    # does it read back?
                    world = fresh(); client = app.test_client(); login(client)
                    rid = row_id(world, ep); edit_url = f"{base}/edit/?id={rid}"
                elif resp is None:
                    world = fresh(); client = app.test_client(); login(client)
                    rid = row_id(world, ep); edit_url = f"{base}/edit/?id={rid}"


def probe_custom():
    world = fresh()
    client = app.test_client()
    login(client)
    for received in ["9999-12-31T23:59", "0001-01-01T00:00", "2026-01-01T00:00\x00",
                     "NaN", "2026-13-01T00:00"]:
        call(client, "preview", f"received={received!r}", "get", "/admin/rules/preview/",
             query_string={"received": received, "distance_km": "10"})
    for d in NUMS:
        call(client, "preview", f"distance={d!r}", "get", "/admin/rules/preview/",
             query_string={"received": "2026-01-01T09:00", "distance_km": d})
    for c in DATES + ["\x00"]:
        call(client, "preview", f"confirmed={c!r}", "get", "/admin/rules/preview/",
             query_string={"received": "2026-01-01T09:00", "distance_km": "10", "confirmed": c})
    for v in BIG:
        call(client, "preview", f"version={v!r}", "get", "/admin/rules/preview/",
             query_string={"received": "2026-01-01T09:00", "distance_km": "10", "version": v})
    call(client, "preview", "contract NUL", "get", "/admin/rules/preview/",
         query_string={"received": "2026-01-01T09:00", "distance_km": "10", "contract": "\x00"})
    for on in DATES + ["\x00"]:
        call(client, "warranty", f"on={on!r}", "get", "/admin/warranty/",
             query_string={"serial": "SN-HRB-0001", "on": on})
    call(client, "warranty", "serial NUL", "get", "/admin/warranty/",
         query_string={"serial": "\x00"})
    for v in BIG:
        call(client, "rules", f"contract id {v}", "get", f"/admin/rules/contracts/{v}/")
        call(client, "rules", f"contracts page={v}", "get", "/admin/rules/contracts/",
             query_string={"page": v, "version": v})
    call(client, "rules", "contracts q NUL", "get", "/admin/rules/contracts/",
         query_string={"q": "\x00"})
    cid = world.harbin_contract.id
    for sv in VERSIONS:
        page = client.get(f"/admin/rules/contracts/{cid}/")
        tok = csrf_token(page.get_data(as_text=True))
        call(client, "rules", f"seen_version={sv!r}", "post", f"/admin/rules/contracts/{cid}/",
             data={"csrf_token": tok, "term_set_version": "", "plugins": "{}",
                   "seen_version": sv})
    for pl in ['{"a\\u0000": {}}', '{"x": {"y": NaN}}', "\x00"]:
        page = client.get(f"/admin/rules/contracts/{cid}/")
        tok = csrf_token(page.get_data(as_text=True))
        call(client, "rules", f"plugins={pl!r}", "post", f"/admin/rules/contracts/{cid}/",
             data={"csrf_token": tok, "term_set_version": "", "plugins": pl,
                   "seen_version": "1"})
    # term sets: a new set, every field bad in turn
    page = client.get("/admin/rules/terms/new")
    if page.status_code == 200:
        good = {"name": "probe", "title": "Probe", "reply_hours": "2", "bands": "100 6\n* 24",
                "earliest_days": "5", "latest_days": "10", "warranty_months": "",
                "visits_per_year": "1", "note": "probe"}
        for fname in good:
            for value in NUMS[:10] + ["\x01", "x" * 5000] + DATES[:2]:
                tok = csrf_token(client.get("/admin/rules/terms/new").get_data(as_text=True))
                call(client, "terms", f"{fname}={value[:20]!r}", "post", "/admin/rules/terms/new",
                     data={**good, fname: value, "csrf_token": tok})
    # login
    for u in ["\x00", "a\x00", "x" * 5000]:
        c2 = app.test_client()
        page = c2.get("/login")
        tok = csrf_token(page.get_data(as_text=True))
        call(c2, "login", f"username={u[:10]!r}", "post", "/login",
             data={"username": u, "password": "whatever1", "csrf_token": tok})
    for nxt in ["\x00", "/admin/\x00"]:
        call(client, "misc", f"next={nxt!r}", "get", "/login", query_string={"next": nxt})
    call(client, "misc", "lang NUL", "post", "/language",
         data={"language": "\x00", "csrf_token": token_of(client)})


if __name__ == "__main__":
    for view in views():
        if only and view.endpoint != only:
            continue
        probe_view(view)
    if not only or only == "custom":
        probe_custom()
    print(f"== {which}: requests {sum(counts.values())} {dict(counts)}")
    print(f"== 500s: {len(failures)}")
    grouped = Counter((k, e) for k, _w, e in failures)
    seen = set()
    for kind, what, exc in failures:
        key = (kind, exc)
        if key in seen:
            continue
        seen.add(key)
        print(f"[{kind}] x{grouped[key]} e.g. {what}\n      {exc}")
    print(f"== rows deleted through a non-canonical id: {deleted_by}")
    print(f"== accepted (saved) bad values: {len(accepted)}")
    by = {}
    for mode, ep, f, v in accepted:
        by.setdefault((ep, f), set()).add(v)
    for (ep, f), vs in by.items():
        print(f"   {ep}.{f}: {sorted(vs)}")
    if which == "postgres":
        database.close()
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
