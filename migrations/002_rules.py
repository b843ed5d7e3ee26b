"""Peewee migrations -- 002_rules.py.

Some examples (model - class or model name)::

    > Model = migrator.orm['table_name']            # Return model in current state by name
    > Model = migrator.ModelClass                   # Return model in current state by name

    > migrator.sql(sql)                             # Run custom SQL
    > migrator.run(func, *args, **kwargs)           # Run python function with the given args
    > migrator.create_model(Model)                  # Create a model (could be used as decorator)
    > migrator.remove_model(model, cascade=True)    # Remove a model
    > migrator.add_fields(model, **fields)          # Add fields (allow_not_null=True skips default)
    > migrator.change_fields(model, **fields)       # Change fields
    > migrator.remove_fields(model, *field_names, cascade=True)
    > migrator.rename_field(model, old_field_name, new_field_name)
    > migrator.rename_table(model, new_table_name)
    > migrator.add_index(model, *col_names, unique=False)
    > migrator.add_not_null(model, *field_names)
    > migrator.add_default(model, field_name, default)
    > migrator.add_constraint(model, name, sql)
    > migrator.drop_index(model, *col_names)
    > migrator.drop_not_null(model, *field_names)
    > migrator.drop_constraints(model, *constraints)

"""

from contextlib import suppress
from decimal import ROUND_HALF_EVEN, Decimal  # noqa: F401 - the generator's field reprs may use them

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Term sets and their versions; a contract's pinned version and enabled plugins."""

    @migrator.create_model
    class TermSet(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        name = pw.CharField(max_length=40, unique=True)
        title = pw.CharField(default='', max_length=120)

        class Meta:
            table_name = "term_set"

    @migrator.create_model
    class TermSetVersion(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        term_set = pw.ForeignKeyField(column_name='term_set_id', field='id', model=migrator.orm['term_set'], on_delete='RESTRICT')
        number = pw.IntegerField()
        data = pw.TextField()
        published_by = pw.CharField(default='', max_length=60)
        note = pw.TextField(default='')

        class Meta:
            table_name = "term_set_version"
            indexes = [(('term_set', 'number'), True)]

    migrator.add_fields(
        'contract',

        term_set_version=pw.ForeignKeyField(column_name='term_set_version_id', field='id', model=migrator.orm['term_set_version'], null=True, on_delete='RESTRICT'),
        plugins=pw.TextField(default='{}'))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo :func:`migrate`."""

    migrator.remove_fields('contract', 'term_set_version', 'plugins')

    migrator.remove_model('term_set_version')

    migrator.remove_model('term_set')
