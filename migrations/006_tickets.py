"""Fault tickets: the ticket, its pauses, and the per-office daily number counter."""

from decimal import ROUND_HALF_EVEN

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class Ticket(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        number = pw.CharField(max_length=32, unique=True)
        office = pw.ForeignKeyField(column_name='office_id', field='id', model=migrator.orm['office'], on_delete='RESTRICT')
        customer = pw.ForeignKeyField(column_name='customer_id', field='id', model=migrator.orm['customer'], on_delete='RESTRICT')
        site = pw.ForeignKeyField(column_name='site_id', field='id', model=migrator.orm['site'], null=True, on_delete='RESTRICT')
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='RESTRICT')
        contract = pw.ForeignKeyField(column_name='contract_id', field='id', model=migrator.orm['contract'], null=True, on_delete='RESTRICT')
        received_at = pw.DateTimeField(index=True)
        channel = pw.CharField(default='phone', max_length=10)
        reporter_name = pw.CharField(default='', max_length=60)
        reporter_phone = pw.CharField(default='', max_length=40)
        summary = pw.CharField(max_length=200)
        description = pw.TextField(default='')
        product_state = pw.CharField(default='down', max_length=10)
        state = pw.CharField(default='received', index=True, max_length=12)
        covered = pw.BooleanField(default=False)
        charge = pw.CharField(default='', max_length=14)
        coverage_by = pw.CharField(default='', max_length=200)
        coverage_why = pw.TextField(default='')
        distance_km = pw.DecimalField(auto_round=False, decimal_places=1, max_digits=8, null=True, rounding=ROUND_HALF_EVEN)
        distance_how = pw.CharField(default='', max_length=10)
        nearer_office = pw.ForeignKeyField(column_name='nearer_office_id', field='id', model=migrator.orm['office'], null=True, on_delete='SET NULL')
        nearer_by_km = pw.DecimalField(auto_round=False, decimal_places=1, max_digits=8, null=True, rounding=ROUND_HALF_EVEN)
        reply_due = pw.DateTimeField(null=True)
        reply_due_by = pw.CharField(default='', max_length=200)
        reply_why = pw.TextField(default='')
        replied_at = pw.DateTimeField(null=True)
        reply_text = pw.TextField(default='')
        replied_by = pw.ForeignKeyField(column_name='replied_by_id', field='id', model=migrator.orm['staff'], null=True, on_delete='SET NULL')
        arrival_due = pw.DateTimeField(null=True)
        arrival_due_by = pw.CharField(default='', max_length=200)
        arrival_why = pw.TextField(default='')
        estimated = pw.BooleanField(default=False)
        dispatched_at = pw.DateTimeField(null=True)
        engineer = pw.ForeignKeyField(column_name='engineer_id', field='id', model=migrator.orm['staff'], null=True, on_delete='SET NULL')
        dispatch_why = pw.CharField(default='', max_length=300)
        planned_arrival = pw.DateTimeField(null=True)
        arrived_at = pw.DateTimeField(null=True)
        restored_at = pw.DateTimeField(null=True)
        restored_how = pw.CharField(default='', max_length=10)
        closed_at = pw.DateTimeField(null=True)
        cancel_reason = pw.CharField(default='', max_length=300)
        reopened = pw.IntegerField(default=0)
        paused_since = pw.DateTimeField(null=True)
        pause_reason = pw.CharField(default='', max_length=300)
        paused_seconds = pw.IntegerField(default=0)
        next_due = pw.DateTimeField(index=True, null=True)

        class Meta:
            table_name = "ticket"
            indexes = [(('office', 'state'), False), (('office', 'next_due'), False)]

    @migrator.create_model
    class TicketCounter(pw.Model):
        id = pw.AutoField()
        office_code = pw.CharField(max_length=16)
        day = pw.CharField(max_length=8)
        last = pw.IntegerField(default=0)

        class Meta:
            table_name = "ticket_counter"
            indexes = [(('office_code', 'day'), True)]

    @migrator.create_model
    class TicketPause(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='CASCADE')
        started_at = pw.DateTimeField()
        ended_at = pw.DateTimeField(null=True)
        reason = pw.CharField(max_length=300)
        resumes_to = pw.CharField(default='received', max_length=12)
        seconds = pw.IntegerField(default=0)

        class Meta:
            table_name = "ticket_pause"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("ticket_counter")
    migrator.remove_model("ticket_pause")
    migrator.remove_model("ticket")
