"""The ticket list puts every ticket still in hand before the closed and cancelled ones.

The list's order was ``next_due ASC NULLS LAST, id`` (migration 010): an open ticket
without a next deadline (on site, waiting on the customer, restored and not closed
yet) has ``next_due`` NULL and was listed among the closed and cancelled tickets, by
id, thousands of rows down. The order is now ``IN_HAND, next_due, id``
(:data:`backoffice.admin.tickets.IN_HAND`):

    CASE WHEN state IN ('closed', 'cancelled') THEN 2
         WHEN next_due IS NULL THEN 1 ELSE 0 END

0: open with a next deadline (by it), 1: in hand without one (by id), 2: closed or
cancelled (by id). Indexes on that expression keep the list's pages index ranges read
in order, as migration 010's did for the old order, on SQLite (3.9 and later) and
PostgreSQL alike; SQLite uses one only for the very same expression, so the list writes
it with the same literals.

* ``ticket (IN_HAND, next_due, id)``: the list of every office (headquarters);
* ``ticket (office, IN_HAND, next_due, id)`` replaces ``(office, next_due, id)``: one
  office's list (its staff, or the office filter);
* ``ticket (office, state, IN_HAND, next_due, id)`` replaces ``(office, state,
  next_due, id)``: one office's tickets of one state;
* ``ticket (next_due, id)`` stays, for the filters on the deadline (overdue, due within
  2 h) and the clock watcher.
"""

import peewee as pw
from peewee_migrate import Migrator

IN_HAND = ("CASE WHEN state IN ('closed', 'cancelled') THEN 2 "
           "WHEN next_due IS NULL THEN 1 ELSE 0 END")
#: name -> the columns before the expression (the expression, next_due and id follow)
INDEXES = {"ticket_in_hand_next_due_id": (),
           "ticket_office_id_in_hand_next_due_id": ("office_id",),
           "ticket_office_id_state_in_hand_next_due_id": ("office_id", "state")}
#: the indexes of migration 010 these replace
REPLACED = (("office", "next_due", "id"), ("office", "state", "next_due", "id"))


def _create(name: str, leading: tuple[str, ...]) -> str:
    columns = ", ".join([*(f'"{c}"' for c in leading), f"({IN_HAND})", '"next_due"', '"id"'])
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON "ticket" ({columns})'


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    for columns in REPLACED:
        migrator.drop_index("ticket", *columns)
    for name, leading in INDEXES.items():
        migrator.sql(_create(name, leading))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    for name in INDEXES:
        migrator.sql(f'DROP INDEX IF EXISTS "{name}"')
    for columns in REPLACED:
        migrator.add_index("ticket", *columns)
