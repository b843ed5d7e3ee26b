"""Peewee migrations -- 003_admin.py.

The admin's serial-number search is "exact or starts with", on the upper-cased
serial. SQLite answers it with a range on the unique index (bytewise order). In
PostgreSQL a plain index serves LIKE 'PREFIX%' only under the C collation, so a
``varchar_pattern_ops`` index is added there (PostgreSQL only: the models cannot
declare an operator class, and SQLite has no use for it). It is UNIQUE like the
serial itself, so the schema still reads as "serial: unique" to introspection.
"""

import peewee as pw
from peewee_migrate import Migrator

INDEX = "unit_serial_pattern"


def _postgres(database) -> bool:
    return isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase)


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """A LIKE-prefix index on unit.serial for PostgreSQL."""
    if _postgres(database):
        migrator.sql(f'CREATE UNIQUE INDEX IF NOT EXISTS "{INDEX}" ON "unit" ("serial" varchar_pattern_ops)')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    if _postgres(database):
        migrator.sql(f'DROP INDEX IF EXISTS "{INDEX}"')
