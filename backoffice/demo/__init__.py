"""Demo data: 26 regional offices, their staff, ~300 customer files and 2,400 units.

:func:`build_plan` turns a seed and a date into plain data (no database), so the
same seed gives the same demo; :func:`seed` writes that plan in one transaction,
with a "create" audit entry per row as the user ``demo`` (what ``save()`` would
write, in bulk: see :func:`_bulk_create`), so the customer files' timelines are
filled. Dates are drawn relative to ``today`` (the day of seeding) so that the
demo always holds units in and out of warranty.

The raw material (real cities and coordinates, Chinese names and their pinyin,
the product catalogue, customer name patterns) is in :mod:`.data`; the plan in
:mod:`.plan`; this module writes it.

``seed`` is idempotent: once the demo offices exist it writes nothing more, except
units up to ``units`` (``backoffice demo --units N``, at most :data:`MAX_UNITS`),
which are added in bulk (see :func:`add_units`). Production refuses demo data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import random
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from peewee import fn
from werkzeug.security import generate_password_hash

from .. import models as m
from ..access import Operator
from ..clock import today as center_today
from ..clock import utcnow
from ..db import acting_as, database, is_postgres
from ..geo import great_circle_km
from ..i18n import _ as gettext  # this module uses _ as a throwaway name
from ..models import RuleViolation
from ..services import sla
from ..services.terms import publish
from ..services.units import warranty_dates
from ..terms import SheetError, parse_sheet
from .data import INDUSTRIES, KEY_STAFF, OFFICE_CODES, PASSWORDS
from .plan import DEFAULT_UNITS, SEED, Plan, _unit_dates, build_plan
from .tickets import Bulk, write_tickets

__all__ = ["DEFAULT_UNITS", "MAX_UNITS", "OFFICE_CODES", "PASSWORDS", "SEED", "DemoRefused",
           "Plan",
           "accounts", "add_units", "build_plan", "counts", "great_circle_km", "is_empty",
           "is_seeded", "seed"]

#: the most units the demo holds: benchmarks run at 1,000,000; beyond a few million a
#: run takes hours and its dates and 7-digit serials run out
MAX_UNITS = 5_000_000

#: the demo's term sheets are published by this operator
DEMO = Operator("demo")

#: the term sheets (rules/ in the repository), shipped inside the package (see setup.py)
RULES_DIR = Path(resources.files("backoffice.sheets"))


class DemoRefused(Exception):
    """The demo may not be written here (production, or a database holding other data)."""


def is_seeded() -> bool:
    """True once the 26 demo offices exist (a test world's two offices are not the demo)."""
    Office = m.Office
    return Office.select().where(Office.code.in_(OFFICE_CODES)).count() == len(OFFICE_CODES)


def is_empty() -> bool:
    """True when no office, staff member or customer exists yet."""
    return not any(model.select().exists() for model in (m.Office, m.Staff, m.Customer))


def _check_allowed(env: str) -> None:
    if env == "production":
        raise DemoRefused(gettext("demo data is not allowed when env = production"))


def _check_units(units) -> None:
    if units is None:
        return
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        raise DemoRefused(gettext("the demo holds 1 to %(max)s units, not %(units)s",
                                  max=f"{MAX_UNITS:,}", units=units))


@dataclass
class Result:
    created: bool
    units_added: int
    seconds: float
    counts: dict
    accounts: list


def counts() -> dict[str, int]:
    return {model._meta.table_name: model.select().count()
            for model in (m.Office, m.Staff, m.Customer, m.Site, m.Contact, m.Contract,
                          m.Product, m.Unit, m.Ticket, m.TicketPause, m.Replacement,
                          m.StockLevel, m.AuditEntry)}


def seed(env: str, units: int | None = None, today: dt.date | None = None,
         progress=None) -> Result:
    """Write the demo unless it is there; then add units in bulk up to ``units``.

    Everything is checked before anything is written: production, ``units``
    (1 to :data:`MAX_UNITS`), a database holding other records."""
    _check_allowed(env)
    _check_units(units)
    today = today or center_today()
    started = time.perf_counter()
    database.connect(reuse_if_open=True)
    created = False
    if not is_seeded():
        if not is_empty():
            raise DemoRefused(gettext("the database holds records that are not the demo's; "
                                      "the demo is only written to an empty database"))
        plan = build_plan(today, min(units or DEFAULT_UNITS, DEFAULT_UNITS))
        with database.atomic():  # the plan and its year of tickets, all or nothing
            write_plan(plan)
            write_tickets(Bulk(_bulk_create, insert_rows), today)
        # the clock watcher's first look at the open tickets: the inboxes and the outbox
        # hold the warnings and breaches of the demo's late tickets from the first minute
        sla.schedule_missing()
        sla.run_pass()
        created = True
    added = 0
    if units is not None:
        added = add_units(units, today, progress=progress)
    return Result(created, added, time.perf_counter() - started, counts(), accounts())


def accounts() -> list[tuple[str, str, str]]:
    """One (role, login, password) per role: the first named staff of each role."""
    seen, found = set(), []
    for _, login, role, *_ in KEY_STAFF:
        if role not in seen:
            seen.add(role)
            found.append((role, login, PASSWORDS[role]))
    return found


def insert_rows(model, fields: list, rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples of database values, in ``fields`` order) in few statements.

    A bulk path below peewee's query builder, which spends ~40 us of Python per
    value: SQLite gets the driver's ``executemany``, PostgreSQL a ``COPY ... FROM
    STDIN`` of the rows in text format (ten times faster than multi-row INSERTs).
    """
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    cursor = database.cursor()
    if is_postgres():
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_copy_text(v) for v in row))
            buffer.write("\n")
        buffer.seek(0)
        cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', buffer)
    else:
        marks = ", ".join("?" * len(fields))
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)


def _copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (text.replace("\\", "\\\\").replace("\t", "\\t")
                .replace("\n", "\\n").replace("\r", "\\r"))
    return text


def _db_rows(model, rows: list[dict]) -> tuple[list, list[tuple]]:
    """(fields, tuples) for ``rows``: every column but the id, defaults filled in."""
    fields = [f for f in model._meta.sorted_fields if f is not model._meta.primary_key]
    defaults = {}
    for f in fields:
        defaults[f.name] = f.default() if callable(f.default) else f.default
    return fields, [tuple(f.db_value(row.get(f.name, defaults[f.name])) for f in fields)
                    for row in rows]


def _bulk_create(model, rows: list[dict], *, office=None, customer=None) -> list[int]:
    """Insert ``rows`` and their "create" audit entries; returns the new ids in order.

    This writes what ``AuditedModel.save()`` would (the row, then an audit entry
    with every non-empty field, redacted fields masked), without the three to
    six queries per row that ``save()`` spends on validation: the plan is valid
    by construction (tests/test_demo.py checks it against the models' rules),
    and seeding 4,500 rows through ``save()`` took 15 s on SQLite. ``office`` and
    ``customer`` give the audit entry's office and customer file for a row.
    """
    pk = model._meta.primary_key
    before = model.select(fn.MAX(pk)).scalar() or 0
    insert_rows(model, *_db_rows(model, rows))
    ids = [i for (i,) in model.select(pk).where(pk > before).order_by(pk).tuples()]
    if len(ids) != len(rows):
        raise DemoRefused(gettext("someone else wrote to %(table)s during the seed",
                                  table=model._meta.table_name))
    entries = []
    for row_id, row in zip(ids, rows, strict=True):
        instance = model(**row)
        instance.__data__[pk.name] = row_id
        entries.append(instance.audit_row(
            "create", instance.creation_changes(),
            office=office(row_id, row) if office else None,
            customer=customer(row_id, row) if customer else None))
    insert_rows(m.AuditEntry, *_db_rows(m.AuditEntry, entries))
    return ids


def publish_term_sheets() -> dict[str, int]:
    """Publish the repository's term sheets (``rules/*.toml``); returns name -> version id.

    Through the terms service's ``publish`` (audited, versioned), so headquarters
    finds them in the admin; a sheet that does not load is left out. The sheets
    ship inside the package, so a wheel install has them too.
    """
    published = {}
    for path in sorted(RULES_DIR.glob("*.toml")) if RULES_DIR.is_dir() else ():
        try:
            terms = parse_sheet(path.read_text(encoding="utf-8"), str(path))
            version = publish(DEMO, terms, note=f"demo: loaded from rules/{path.name}")
        except (SheetError, RuleViolation, OSError):
            continue
        published[terms.name] = version.id
    return published


def write_plan(plan: Plan) -> None:
    """Write ``plan`` and its audit trail in one transaction, as the user ``demo``."""
    # one hash per role: hashing is deliberately slow, and every account of a role
    # shares its role's demo password anyway
    hashes = {role: generate_password_hash(pw, method=m.Staff.password_method)
              for role, pw in PASSWORDS.items()}
    products = {p["model"]: p for p in plan.products}
    with acting_as("demo"), database.atomic():
        ids = _bulk_create(m.Office, plan.offices, office=lambda i, row: i)
        offices = dict(zip((o["code"] for o in plan.offices), ids))

        rows = [{**row, "office": offices.get(row["office"]),
                 "password_hash": hashes[row["role"]], "session_epoch": 1}
                for row in plan.staff]
        _bulk_create(m.Staff, rows, office=lambda i, row: row["office"])

        ids = _bulk_create(m.Product, plan.products)
        product_ids = dict(zip(products, ids))
        product_rows = {pid: m.Product(id=pid, **row) for pid, row in zip(ids, plan.products)}

        rows = [{**row, "office": offices[row["office"]]} for row in plan.customers]
        ids = _bulk_create(m.Customer, rows, office=lambda i, row: row["office"],
                           customer=lambda i, row: i)
        customers = dict(zip((c["code"] for c in plan.customers), ids))
        office_of = {cid: row["office"] for cid, row in zip(ids, rows)}

        def office(i, row):
            return office_of[row["customer"]]

        def customer(i, row):
            return row["customer"]

        rows = [{**{k: v for k, v in row.items() if k != "key"},
                 "customer": customers[row["customer"]]} for row in plan.sites]
        ids = _bulk_create(m.Site, rows, office=office, customer=customer)
        sites = dict(zip((s["key"] for s in plan.sites), ids))

        rows = [{**row, "customer": customers[row["customer"]]} for row in plan.contacts]
        _bulk_create(m.Contact, rows, office=office, customer=customer)

        terms = publish_term_sheets()
        rows = [{**{k: row[k] for k in ("number", "signed_on", "status", "warranty_months",
                                       "value", "notes")},
                 "customer": customers[row["customer"]],
                 "term_set_version": terms.get(row["terms"])} for row in plan.contracts]
        ids = _bulk_create(m.Contract, rows, office=office, customer=customer)
        contracts = dict(zip((c["number"] for c in plan.contracts), ids))
        contract_customer = {cid: row["customer"] for cid, row in zip(ids, rows)}
        contract_rows = {cid: m.Contract(id=cid, **row) for cid, row in zip(ids, rows)}

        rows = []
        for row in plan.units:
            contract_id = contracts[row["contract"]]
            product_id = product_ids[row["product"]]
            # the warranty dates come from the rule engine, as for every unit saved
            start, end = warranty_dates(contract_rows[contract_id], m.Unit(**row),
                                        product_rows[product_id])
            rows.append({**row, "product": product_id,
                         "contract": contract_id, "customer": contract_customer[contract_id],
                         "site": sites[row["site"]] if row["site"] else None,
                         "warranty_start": start, "warranty_end": end,
                         "warranty_by_hand": False})
        _bulk_create(m.Unit, rows, office=office, customer=customer)


#: adding this many units or more rebuilds the unit table's indexes (see add_units)
REBUILD_INDEXES_FROM = 100_000


def _drop_for_bulk(model) -> list[str]:
    """Drop ``model``'s non-unique indexes (and on PostgreSQL its foreign keys).

    Returns the statements that create them again. On PostgreSQL a foreign key
    checks each inserted row with a trigger; added back at the end it checks all
    rows in one join (COPY twice as fast). SQLite cannot drop a foreign key, and
    checks them cheaply anyway.
    """
    table = model._meta.table_name
    if is_postgres():
        found = database.execute_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE%%'", (table,)).fetchall()
        foreign = database.execute_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'", (f'"{table}"',)).fetchall()
    else:
        found = database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", (table,)).fetchall()
        foreign = []
    for name, _ in found:
        database.execute_sql(f'DROP INDEX "{name}"')
    for name, _ in foreign:
        database.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return ([sql for _, sql in found]
            + [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
               for name, definition in foreign])


def add_units(target: int, today: dt.date | None = None, *, chunk: int = 20000,
              progress=None, seed: int = SEED) -> int:
    """Add units in bulk until the demo has ``target``; returns how many were added.

    This is the benchmark path (``--units 1000000``): rows go in with multi-row
    inserts (:func:`insert_rows`), one transaction per ``chunk`` rows, warranty
    dates computed here with the rule ``Unit.save()`` applies
    (:func:`~backoffice.services.warranty.standard_warranty_period` from the
    contract's or else the product's warranty months). It writes no audit rows on purpose:
    the audit trail records what people did, and a million synthetic rows would
    double the writes and the time while telling nobody anything. Below
    :data:`REBUILD_INDEXES_FROM` each chunk commits, so an interrupted run keeps
    its progress and a rerun completes it.

    From that many units on, everything runs in one transaction that drops the
    unit table's non-unique indexes (and PostgreSQL's foreign keys, see
    :func:`_drop_for_bulk`) first and builds them again at the end: one sort
    instead of a B-tree insert per row and index, 1.5x faster on SQLite and
    PostgreSQL. The unique serial index stays, so duplicates are still refused;
    an interrupted run rolls back whole, indexes included. Other connections wait
    for the unit table meanwhile (it is the benchmark database).
    """
    _check_units(target)
    Unit = m.Unit
    have = Unit.select().count()
    if have >= target:
        return 0
    today = today or center_today()
    rng = random.Random(seed + have)
    catalogue = {p.id: p for p in m.Product.select()}
    products = {p.id: (p.model, p.warranty_months) for p in catalogue.values()}
    by_model = {model: pid for pid, (model, _) in products.items()}
    sites: dict[int, list[int]] = {}
    for site in m.Site.select(m.Site.id, m.Site.customer):
        sites.setdefault(site.customer_id, []).append(site.id)
    contracts = list(m.Contract.select().where(m.Contract.status != "draft")
                     .order_by(m.Contract.id))
    if not contracts:
        raise DemoRefused(gettext("no signed contract to attach units to"))
    buys = {name: [by_model[p] for p in spec[3] if p in by_model]
            for name, spec in INDUSTRIES.items()}
    industry = dict(m.Customer.select(m.Customer.id, m.Customer.industry).tuples())
    # plain tuples: reading peewee fields a million times costs more than the insert
    signed = [(c, c.customer_id, c.signed_on,
               buys.get(industry.get(c.customer_id)) or list(products),
               sites.get(c.customer_id)) for c in contracts]
    start = (Unit.select(Unit.id).order_by(Unit.id.desc()).scalar() or 0) + 1
    now = utcnow().isoformat(" ")
    fields = [Unit.serial, Unit.product, Unit.contract, Unit.customer, Unit.site,
              Unit.installed_on, Unit.accepted_on, Unit.warranty_start, Unit.warranty_end,
              Unit.warranty_by_hand, Unit.status, Unit.notes, Unit.version, Unit.created_at,
              Unit.updated_at]
    periods: dict = {}
    def generate(n: int, first: int) -> list[tuple]:
        rows = []
        for i in range(n):
            contract, customer_id, signed_on, choices, customer_sites = (
                signed[rng.randrange(len(signed))])
            pid = rng.choice(choices)
            installed, accepted, status = _unit_dates(rng, signed_on, today)
            # the rule engine decides, once per contract, product and acceptance day (the
            # demo's units differ in nothing else a warranty rule could read)
            key = (contract.id, pid, accepted)
            period = periods.get(key)
            if period is None:
                period = periods[key] = warranty_dates(
                    contract, m.Unit(accepted_on=accepted, installed_on=installed),
                    catalogue[pid])
            rows.append((f"{products[pid][0]}-{signed_on:%y}{first + i:07d}", pid,
                         contract.id, customer_id,
                         rng.choice(customer_sites) if installed and customer_sites else None,
                         installed, accepted, period[0], period[1], False, status, "", 1,
                         now, now))
        return rows

    added, missing = 0, target - have
    rebuild = missing >= REBUILD_INDEXES_FROM
    with database.atomic() if rebuild else contextlib.nullcontext():
        dropped = _drop_for_bulk(Unit) if rebuild else []
        while added < missing:
            n = min(chunk, missing - added)
            rows = generate(n, start + added)
            with database.atomic():
                insert_rows(Unit, fields, rows)
            added += n
            if progress:
                progress(added, missing)
        for sql in dropped:
            database.execute_sql(sql)
    if is_postgres():
        # a freshly loaded table has no visibility map yet: until autovacuum comes by,
        # counts read the table instead of the index (20-37 ms at 1M, 3 ms after this)
        database.execute_sql("VACUUM ANALYZE unit")
    return added
