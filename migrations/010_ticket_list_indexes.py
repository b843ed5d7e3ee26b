"""Indexes for the ticket list at a million tickets (issue 8, item 12: bench/bench_tickets.py).

The list's order is ``next_due ASC NULLS LAST, id``: open tickets by their next
deadline, then every ticket with none (closed, cancelled, restored, waiting) by id.

* ``ticket (next_due, id)`` replaces ``ticket (next_due)``, ``(office, next_due, id)``
  replaces ``(office, next_due)``: on PostgreSQL an index without the id handed out the
  tickets without a deadline as one group to be sorted by id, so a page that reached
  them (an office with fewer than 50 open tickets) read and sorted all of them (the
  Harbin manager's page 1: 340 ms at 1M tickets, reading 966,000 rows; 2.5 ms with the
  id in the index). SQLite's indexes end with the rowid anyway.
* ``ticket (office, state, next_due, id)`` replaces ``(office, state)``: the filter "one
  office, one state" in the list's order is a range of it, read in order. With
  (office, state) the page read all the office's tickets of that state and sorted them
  (Harbin's closed ones at 1M tickets on SQLite: 35,000 rows, 41 ms; 0.2 ms now); it
  also answers everything (office, state) did (its prefix).
* PostgreSQL only, ``ticket_number_pattern``: ``number varchar_pattern_ops``, so the
  search by a number's beginning (``LIKE 'HRB-20261128%'``) is an index range under
  any collation, as ``unit_serial_pattern`` (migration 003) is for serials. UNIQUE
  like the number itself, so the schema still reads "number: unique"; the models
  cannot declare an operator class, and SQLite's range on the unique index needs none.
"""

import peewee as pw
from peewee_migrate import Migrator

PATTERN = "ticket_number_pattern"
#: (old columns, new columns) of the ticket table's indexes
REPLACED = ((("next_due",), ("next_due", "id")),
            (("office", "next_due"), ("office", "next_due", "id")),
            (("office", "state"), ("office", "state", "next_due", "id")))


def _postgres(database) -> bool:
    return isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase)


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    for old, new in REPLACED:
        migrator.drop_index("ticket", *old)
        migrator.add_index("ticket", *new)
    if _postgres(database):
        migrator.sql(f'CREATE UNIQUE INDEX IF NOT EXISTS "{PATTERN}" ON "ticket" '
                     '("number" varchar_pattern_ops)')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    if _postgres(database):
        migrator.sql(f'DROP INDEX IF EXISTS "{PATTERN}"')
    for old, new in reversed(REPLACED):
        migrator.drop_index("ticket", *new)
        migrator.add_index("ticket", *old)
