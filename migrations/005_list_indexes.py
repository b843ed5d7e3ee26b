"""Indexes that serve each list in its own order, narrowed or filtered (issue 7, item 14).

A list narrowed to one parent and shown in its default order (one customer's
units by serial, a contract's units, one office's customers by code, a
customer's timeline newest first, ...) used to find its rows in one of two bad
ways: walk the order's index and discard every row of the other parents (on
PostgreSQL, 200,000 rows for one customer's units at 1M units: 95 ms), or read
all the parent's rows and sort them (SQLite: 8-18 ms for one customer's units).
An index on (parent, order column) hands out exactly the page's rows in order.

Each index is declared in its model's ``Meta.indexes`` too;
``tests/test_query_plans.py`` reads the plans of every list that uses them.
"""

import peewee as pw
from peewee_migrate import Migrator

#: (table, columns...) in the models' field names
INDEXES = (
    ("unit", "customer", "serial"),
    ("unit", "contract", "serial"),
    ("unit", "product", "serial"),
    ("unit", "status", "serial"),
    ("contract", "customer", "signed_on"),
    ("contract", "status", "signed_on"),
    ("customer", "office", "code"),
    ("customer", "industry", "code"),
    ("site", "customer", "name"),
    ("site", "city", "name"),
    ("site", "province", "name"),
    ("contact", "customer", "name"),
    ("audit_entry", "customer", "at"),
    ("audit_entry", "office", "at"),
    ("audit_entry", "table", "at"),
    ("audit_entry", "action", "at"),
)


#: the audit trail's (table, row_id), as migration 001 named it, becomes (row_id, table):
#: it also serves the filter on a row id alone, while (table, at) serves the table's
OLD_AUDIT_INDEX = "auditentry_table_row_id"


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.sql(f'DROP INDEX IF EXISTS "{OLD_AUDIT_INDEX}"')
    meta = migrator.orm["audit_entry"]._meta  # what drop_index would do, under the old name
    meta.indexes = [(cols, unique) for cols, unique in meta.indexes
                    if tuple(cols) != ("table", "row_id")]
    migrator.add_index("audit_entry", "row_id", "table")
    for table, *columns in INDEXES:
        migrator.add_index(table, *columns)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    for table, *columns in reversed(INDEXES):
        migrator.drop_index(table, *columns)
    migrator.drop_index("audit_entry", "row_id", "table")
    migrator.add_index("audit_entry", "table", "row_id")
