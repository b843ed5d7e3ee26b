"""Migrations bring an empty or older database to exactly the schema the models declare."""

import uuid

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

from backoffice import migrate
from backoffice.db import database, open_database
from backoffice.models import MODELS


def _schema(db):
    tables = {}
    for table in sorted(db.get_tables()):
        if table == "migratehistory":
            continue
        columns = {c.name: (c.data_type.lower().split("(")[0], c.null)
                   for c in db.get_columns(table)}
        indexes = {(tuple(i.columns), i.unique) for i in db.get_indexes(table)}
        fks = {(f.column, f.dest_table, f.dest_column) for f in db.get_foreign_keys(table)}
        tables[table] = {"columns": columns, "indexes": indexes, "foreign_keys": fks}
    return tables


@pytest.fixture
def scratch_url(db_url, tmp_path):
    """An empty database of the same kind as this test's, dropped afterwards."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'scratch-{uuid.uuid4().hex[:6]}.db'}"
        return
    import psycopg2
    name = f"backoffice_scratch_{uuid.uuid4().hex[:8]}"
    base = db_url.rsplit("/", 1)[0]
    conn = psycopg2.connect(base + "/postgres")
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    conn.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture
def declared_schema(scratch_url):
    """The schema ``create_tables`` makes from the models, in a database of the same kind."""
    db = open_database(scratch_url)
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)
        schema = _schema(db)
    db.close()
    return schema


def test_migrated_schema_equals_models(app, declared_schema):
    migrated = _schema(database)
    assert migrated.keys() == declared_schema.keys()
    for table in migrated:
        assert migrated[table] == declared_schema[table], table


def test_upgrade_from_older_database(app, scratch_url):
    """A database at the first migration is brought up to date by ``db upgrade``."""
    database.initialize(open_database(scratch_url))
    try:
        router = migrate.router()
        first = router.todo[0]
        router.run(first)
        applied, pending = migrate.status()
        assert applied == [first] and pending == router.todo[1:]
        assert pending, "there is more than one migration to apply"
        migrate.upgrade()
        applied, pending = migrate.status()
        assert pending == [] and applied == router.todo
        assert set(database.get_tables()) >= {m._meta.table_name for m in MODELS}
    finally:
        database.close()


def test_db_commands(runner):
    result = runner.invoke(args=["db", "status"])
    assert result.exit_code == 0, result.output
    assert "applied  001_initial" in result.output
    assert "0 pending" in result.output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "applied 0 migration(s)" in result.output


def test_postgres_is_really_postgres(app, db_url):
    expected = SqliteDatabase if db_url.startswith("sqlite") else PostgresqlDatabase
    assert isinstance(database.obj, expected)
