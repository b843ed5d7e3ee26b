"""Business calendars: headquarters' corrections of a calendar, day by day (issue 8, item 4).

One row says what one day is on one calendar (working or off), whatever the
``holidays`` package says; unique per (calendar, day).
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class CalendarDay(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        calendar = pw.CharField(max_length=40)
        day = pw.DateField()
        kind = pw.CharField(max_length=10)
        note = pw.CharField(default='', max_length=200)

        class Meta:
            table_name = "calendar_day"
            indexes = [(('calendar', 'day'), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo :func:`migrate`."""
    migrator.remove_model('calendar_day')
