"""API tokens (issue 8, item 9): a member of staff's tokens for the JSON API, stored hashed.

One row per token: whose it is, its name, the SHA-256 of its secret (unique: the
look-up of every API request), when it was last used and when it was revoked.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class ApiToken(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        staff = pw.ForeignKeyField(column_name='staff_id', field='id', model=migrator.orm['staff'], on_delete='CASCADE')
        name = pw.CharField(max_length=60)
        token_hash = pw.CharField(max_length=64, unique=True)
        last_used_at = pw.DateTimeField(null=True)
        revoked_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "api_token"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo :func:`migrate`."""
    migrator.remove_model('api_token')
