"""Schema migrations: ordered files in ``migrations/``, run by peewee-migrate.

peewee-migrate was chosen over hand-written playhouse.migrate scripts because it
generates each migration from the difference between the models and the last
migration (``backoffice db makemigration NAME``), records what ran in a
``migratehistory`` table, and its operations are playhouse.migrate's, which
work on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from pathlib import Path

from peewee_migrate import Router

from .db import database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def router() -> Router:
    logger = logging.getLogger("backoffice.migrate")
    logger.setLevel(logging.WARNING)
    return Router(database.obj, migrate_dir=MIGRATIONS_DIR, logger=logger)


def upgrade() -> list[str]:
    """Apply every pending migration; returns the names applied."""
    return router().run() or []


def status() -> tuple[list[str], list[str]]:
    """(applied, pending) migration names."""
    r = router()
    return list(r.done), list(r.diff)


def make(name: str) -> str | None:
    """Write a migration for the difference between the models and the migrations."""
    from .models import MODELS
    return router().create(name, auto=MODELS)
