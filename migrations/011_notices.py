"""The clock watcher (issue 9): notices, their outbox, group robots, a ticket's next check.

* ``ticket.next_check`` (indexed): when the watcher next has a notice to send for the
  ticket; ``ticket.checked_until``: the moment up to which it has sent them. The open
  tickets of an upgraded database get their first check when the worker starts
  (:func:`backoffice.services.sla.schedule_missing`).
* ``staff.head_of_service``: who gets the escalation of a breach that has lasted.
* ``notice``: one warning, breach or escalation of one milestone of a ticket for one
  recipient, unique per (ticket, milestone, level, recipient): the exactly-once key.
* ``delivery``: the outbox, one sending of a notice through one channel, with a
  message id kept across retries, and its attempts.
* ``group_robot``: a WeCom or DingTalk group robot of an office or of a contract.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "ticket",
        next_check=pw.DateTimeField(null=True, index=True),
        checked_until=pw.DateTimeField(null=True))
    migrator.add_fields("staff", head_of_service=pw.BooleanField(default=False))

    @migrator.create_model
    class Notice(pw.Model):
        id = pw.AutoField()
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='CASCADE', index=True)
        milestone = pw.CharField(max_length=12)
        level = pw.CharField(max_length=12)
        recipient = pw.CharField(max_length=80)
        staff = pw.ForeignKeyField(column_name='staff_id', field='id', model=migrator.orm['staff'], null=True, on_delete='CASCADE')
        role = pw.CharField(default='', max_length=20)
        due_at = pw.DateTimeField()
        created_at = pw.DateTimeField()
        read_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "notice"
            indexes = ((('ticket', 'milestone', 'level', 'recipient'), True),
                       (('staff', 'id'), False), (('staff', 'read_at'), False))

    @migrator.create_model
    class Delivery(pw.Model):
        id = pw.AutoField()
        notice = pw.ForeignKeyField(column_name='notice_id', field='id', model=migrator.orm['notice'], on_delete='CASCADE', index=True)
        kind = pw.CharField(max_length=20)
        address = pw.TextField()
        options = pw.TextField(default='')
        message_id = pw.CharField(max_length=120, unique=True)
        state = pw.CharField(default='pending', max_length=10)
        attempts = pw.IntegerField(default=0)
        next_attempt_at = pw.DateTimeField()
        last_error = pw.TextField(default='')
        sent_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "delivery"
            indexes = ((('state', 'next_attempt_at'), False),)

    @migrator.create_model
    class GroupRobot(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        name = pw.CharField(max_length=100)
        kind = pw.CharField(default='wecom', max_length=10)
        webhook_url = pw.CharField(max_length=500)
        secret = pw.CharField(default='', max_length=200)
        office = pw.ForeignKeyField(column_name='office_id', field='id', model=migrator.orm['office'], null=True, on_delete='CASCADE', index=True)
        contract = pw.ForeignKeyField(column_name='contract_id', field='id', model=migrator.orm['contract'], null=True, on_delete='CASCADE', index=True)
        min_level = pw.CharField(default='breach', max_length=12)
        active = pw.BooleanField(default=True)

        class Meta:
            table_name = "group_robot"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo :func:`migrate`."""
    migrator.remove_model('group_robot')
    migrator.remove_model('delivery')
    migrator.remove_model('notice')
    migrator.remove_fields('staff', 'head_of_service')
    migrator.remove_fields('ticket', 'next_check', 'checked_until')
