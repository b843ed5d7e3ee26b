"""What-if runs (issue 9, item 6): a count of a term set's past tickets under one of its
versions, with its progress, so that a large history is counted in the worker.

* ``what_if_run``: the term set and version asked about, ``since`` (tickets received on or
  after that day, or all), who asked, the state (queued, running, done, failed), ``done``
  of ``total`` tickets, the result as JSON or the error, when it was created, started and
  finished. Deleting a term set or version deletes its runs (they are only answers).
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class WhatIfRun(pw.Model):
        id = pw.AutoField()
        term_set = pw.ForeignKeyField(column_name='term_set_id', field='id', model=migrator.orm['term_set'], on_delete='CASCADE', index=True)
        version = pw.ForeignKeyField(column_name='version_id', field='id', model=migrator.orm['term_set_version'], on_delete='CASCADE', index=True)
        since = pw.DateField(null=True)
        requested_by = pw.CharField(default='', max_length=60)
        state = pw.CharField(default='queued', max_length=10)
        done = pw.IntegerField(default=0)
        total = pw.IntegerField(default=0)
        result = pw.TextField(default='')
        error = pw.TextField(default='')
        created_at = pw.DateTimeField()
        started_at = pw.DateTimeField(null=True)
        finished_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "what_if_run"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo :func:`migrate`."""
    migrator.remove_model('what_if_run')
