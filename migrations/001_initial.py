"""Peewee migrations -- 001_initial.py.

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
from decimal import ROUND_HALF_EVEN, Decimal

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your migrations here."""
    
    @migrator.create_model
    class AuditEntry(pw.Model):
        id = pw.AutoField()
        at = pw.DateTimeField(index=True)
        actor = pw.CharField(max_length=60)
        actor_staff = pw.IntegerField(index=True, null=True)
        table = pw.CharField(max_length=40)
        row_id = pw.IntegerField()
        action = pw.CharField(max_length=10)
        summary = pw.CharField(default='', max_length=200)
        changes = pw.TextField(default='{}')
        office = pw.IntegerField(index=True, null=True)
        customer = pw.IntegerField(index=True, null=True)

        class Meta:
            table_name = "audit_entry"
            indexes = [(('table', 'row_id'), False)]

    @migrator.create_model
    class Office(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        code = pw.CharField(max_length=16, unique=True)
        name = pw.CharField(index=True, max_length=100)
        city = pw.CharField(index=True, max_length=50)
        province = pw.CharField(index=True, max_length=50)
        address = pw.CharField(default='', max_length=200)
        phone = pw.CharField(default='', max_length=40)
        latitude = pw.DecimalField(auto_round=False, decimal_places=6, max_digits=9, rounding=ROUND_HALF_EVEN)
        longitude = pw.DecimalField(auto_round=False, decimal_places=6, max_digits=9, rounding=ROUND_HALF_EVEN)

        class Meta:
            table_name = "office"

    @migrator.create_model
    class Customer(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        code = pw.CharField(max_length=20, unique=True)
        name = pw.CharField(index=True, max_length=120)
        industry = pw.CharField(default='', index=True, max_length=60)
        office = pw.ForeignKeyField(column_name='office_id', field='id', model=migrator.orm['office'], on_delete='RESTRICT')
        notes = pw.TextField(default='')

        class Meta:
            table_name = "customer"

    @migrator.create_model
    class Contact(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        customer = pw.ForeignKeyField(column_name='customer_id', field='id', model=migrator.orm['customer'], on_delete='CASCADE')
        name = pw.CharField(index=True, max_length=60)
        title = pw.CharField(default='', max_length=60)
        phone = pw.CharField(default='', max_length=40)
        email = pw.CharField(default='', max_length=120)
        notes = pw.TextField(default='')

        class Meta:
            table_name = "contact"

    @migrator.create_model
    class Contract(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        number = pw.CharField(max_length=30, unique=True)
        customer = pw.ForeignKeyField(column_name='customer_id', field='id', model=migrator.orm['customer'], on_delete='RESTRICT')
        signed_on = pw.DateField(index=True)
        value = pw.DecimalField(auto_round=False, decimal_places=2, default=Decimal('0'), max_digits=14, rounding=ROUND_HALF_EVEN)
        currency = pw.CharField(default='CNY', max_length=3)
        status = pw.CharField(default='active', index=True, max_length=12)
        warranty_months = pw.IntegerField(null=True)
        notes = pw.TextField(default='')

        class Meta:
            table_name = "contract"

    @migrator.create_model
    class LoginAttempt(pw.Model):
        id = pw.AutoField()
        at = pw.DateTimeField(index=True)
        username = pw.CharField(index=True, max_length=60)
        remote_addr = pw.CharField(index=True, max_length=64)
        success = pw.BooleanField(default=False)

        class Meta:
            table_name = "login_attempt"

    @migrator.create_model
    class Product(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        model = pw.CharField(max_length=40, unique=True)
        name = pw.CharField(index=True, max_length=120)
        grade = pw.CharField(index=True, max_length=20)
        design_life_years = pw.IntegerField(default=10)
        warranty_months = pw.IntegerField(default=24)
        notes = pw.TextField(default='')

        class Meta:
            table_name = "product"

    @migrator.create_model
    class Site(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        customer = pw.ForeignKeyField(column_name='customer_id', field='id', model=migrator.orm['customer'], on_delete='CASCADE')
        name = pw.CharField(index=True, max_length=120)
        address = pw.CharField(default='', max_length=200)
        city = pw.CharField(default='', index=True, max_length=50)
        province = pw.CharField(default='', max_length=50)
        latitude = pw.DecimalField(auto_round=False, decimal_places=6, max_digits=9, null=True, rounding=ROUND_HALF_EVEN)
        longitude = pw.DecimalField(auto_round=False, decimal_places=6, max_digits=9, null=True, rounding=ROUND_HALF_EVEN)
        road_distance_km = pw.DecimalField(auto_round=False, decimal_places=1, max_digits=8, null=True, rounding=ROUND_HALF_EVEN)

        class Meta:
            table_name = "site"

    @migrator.create_model
    class Staff(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        name = pw.CharField(index=True, max_length=60)
        username = pw.CharField(max_length=40, unique=True)
        password_hash = pw.CharField(default='', max_length=255)
        role = pw.CharField(default='engineer', index=True, max_length=20)
        office = pw.ForeignKeyField(column_name='office_id', field='id', model=migrator.orm['office'], null=True, on_delete='RESTRICT')
        skills = pw.CharField(default='', max_length=200)
        phone = pw.CharField(default='', max_length=40)
        email = pw.CharField(default='', max_length=120)
        language = pw.CharField(default='', max_length=12)
        active = pw.BooleanField(default=True, index=True)
        session_epoch = pw.IntegerField(default=0)

        class Meta:
            table_name = "staff"

    @migrator.create_model
    class Unit(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        serial = pw.CharField(max_length=40, unique=True)
        product = pw.ForeignKeyField(column_name='product_id', field='id', model=migrator.orm['product'], on_delete='RESTRICT')
        contract = pw.ForeignKeyField(column_name='contract_id', field='id', model=migrator.orm['contract'], on_delete='RESTRICT')
        customer = pw.ForeignKeyField(column_name='customer_id', field='id', model=migrator.orm['customer'], on_delete='RESTRICT')
        site = pw.ForeignKeyField(column_name='site_id', field='id', model=migrator.orm['site'], null=True, on_delete='RESTRICT')
        installed_on = pw.DateField(null=True)
        accepted_on = pw.DateField(index=True, null=True)
        warranty_start = pw.DateField(null=True)
        warranty_end = pw.DateField(index=True, null=True)
        warranty_by_hand = pw.BooleanField(default=False)
        status = pw.CharField(default='delivered', index=True, max_length=16)
        notes = pw.TextField(default='')

        class Meta:
            table_name = "unit"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your rollback migrations here."""
    
    migrator.remove_model('unit')

    migrator.remove_model('staff')

    migrator.remove_model('site')

    migrator.remove_model('product')

    migrator.remove_model('login_attempt')

    migrator.remove_model('contract')

    migrator.remove_model('contact')

    migrator.remove_model('customer')

    migrator.remove_model('office')

    migrator.remove_model('audit_entry')
