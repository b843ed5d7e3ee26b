"""Shared rule-plugin failure counts (issue 9, item 7).

``plugin_failure``: one row per (plugin, hook), unique, with how often the plugin
failed there and the last error, contract and time (UTC). Every web process, the
worker and the command line add to the same rows (``INSERT ... ON CONFLICT DO
UPDATE SET count = count + 1``), so the plugin registry and ``backoffice plugins
list`` show one figure everywhere. Counts kept in a process's memory before this
migration are not carried over: they start at zero.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class PluginFailure(pw.Model):
        id = pw.AutoField()
        plugin = pw.CharField(max_length=100)
        hook = pw.CharField(max_length=60)
        count = pw.BigIntegerField(default=0)
        last_error = pw.CharField(default='', max_length=500)
        last_contract = pw.CharField(default='', max_length=60)
        last_at = pw.DateTimeField()

        class Meta:
            table_name = "plugin_failure"
            indexes = ((('plugin', 'hook'), True),)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo :func:`migrate`."""
    migrator.remove_model('plugin_failure')
