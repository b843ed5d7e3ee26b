"""Spare stock, staff leave and replacements (issue 8, items 7 and 8).

* ``stock_item``: the national list of things kept in stock (a ``product`` item is
  one catalogue product); ``stock_level``: one office's quantity of one item, unique
  per (office, item), ``CHECK (quantity >= 0)``; ``stock_movement``: every change of a
  quantity, with the quantity after it (``CHECK (balance >= 0)``).
* ``staff_leave``: a member of staff away from one day until another.
* ``replacement``: a faulty unit replaced by a new one of the same grade, with the
  window from the ``replacement_window`` hook, shipped and delivered days.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class StockItem(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        category = pw.CharField(default='connector', index=True, max_length=16)
        name = pw.CharField(max_length=120)
        product = pw.ForeignKeyField(column_name='product_id', field='id', model=migrator.orm['product'], null=True, on_delete='RESTRICT', unique=True)
        notes = pw.TextField(default='')

        class Meta:
            table_name = "stock_item"
            indexes = ((('category', 'name'), True),)

    @migrator.create_model
    class StockLevel(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        office = pw.ForeignKeyField(column_name='office_id', field='id', model=migrator.orm['office'], on_delete='RESTRICT')
        item = pw.ForeignKeyField(column_name='item_id', field='id', model=migrator.orm['stock_item'], on_delete='RESTRICT')
        quantity = pw.IntegerField(default=0, constraints=[pw.Check('quantity >= 0')])

        class Meta:
            table_name = "stock_level"
            indexes = ((('office', 'item'), True),)

    @migrator.create_model
    class StockMovement(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        at = pw.DateTimeField(index=True)
        office = pw.ForeignKeyField(column_name='office_id', field='id', model=migrator.orm['office'], on_delete='RESTRICT')
        item = pw.ForeignKeyField(column_name='item_id', field='id', model=migrator.orm['stock_item'], on_delete='RESTRICT')
        movement = pw.CharField(max_length=12)
        quantity = pw.IntegerField()
        balance = pw.IntegerField(constraints=[pw.Check('balance >= 0')])
        other_office = pw.ForeignKeyField(column_name='other_office_id', field='id', model=migrator.orm['office'], null=True, on_delete='RESTRICT')
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], null=True, on_delete='RESTRICT')
        actor = pw.CharField(default='', max_length=60)
        note = pw.CharField(default='', max_length=300)

        class Meta:
            table_name = "stock_movement"
            indexes = ((('office', 'at'), False),)

    @migrator.create_model
    class StaffLeave(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        staff = pw.ForeignKeyField(column_name='staff_id', field='id', model=migrator.orm['staff'], on_delete='CASCADE')
        starts_on = pw.DateField()
        ends_on = pw.DateField(index=True)
        reason = pw.CharField(default='', max_length=200)

        class Meta:
            table_name = "staff_leave"
            indexes = ((('staff', 'ends_on'), False),)

    @migrator.create_model
    class Replacement(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        ticket = pw.ForeignKeyField(column_name='ticket_id', field='id', model=migrator.orm['ticket'], on_delete='RESTRICT')
        office = pw.ForeignKeyField(column_name='office_id', field='id', model=migrator.orm['office'], on_delete='RESTRICT')
        customer = pw.ForeignKeyField(column_name='customer_id', field='id', model=migrator.orm['customer'], on_delete='RESTRICT')
        faulty_unit = pw.ForeignKeyField(column_name='faulty_unit_id', field='id', model=migrator.orm['unit'], on_delete='RESTRICT')
        new_unit = pw.ForeignKeyField(column_name='new_unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='RESTRICT', unique=True)
        confirmed_on = pw.DateField()
        earliest = pw.DateField()
        latest = pw.DateField(index=True)
        window_by = pw.CharField(default='', max_length=200)
        source = pw.CharField(default='factory', max_length=10)
        stock_office = pw.ForeignKeyField(column_name='stock_office_id', field='id', model=migrator.orm['office'], null=True, on_delete='RESTRICT')
        shipped_on = pw.DateField(null=True)
        delivered_on = pw.DateField(null=True)
        notes = pw.TextField(default='')

        class Meta:
            table_name = "replacement"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo :func:`migrate`."""
    migrator.remove_model('replacement')
    migrator.remove_model('staff_leave')
    migrator.remove_model('stock_movement')
    migrator.remove_model('stock_level')
    migrator.remove_model('stock_item')
