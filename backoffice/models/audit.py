"""The audit trail, and the login attempts that throttling counts.

Neither table is audited itself, and neither uses foreign keys: an audit entry
must outlive the row, the customer and the staff member it names.
"""

from __future__ import annotations

import json

from peewee import AutoField, BooleanField, CharField, DateTimeField, IntegerField, TextField

from .core import BaseModel, utcnow


class AuditEntry(BaseModel):
    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    actor = CharField(max_length=60)
    actor_staff = IntegerField(null=True, index=True)
    table = CharField(max_length=40)
    row_id = IntegerField()
    action = CharField(max_length=10)  # create / update / delete
    summary = CharField(max_length=200, default="")
    changes = TextField(default="{}")  # {"field": [old, new]}
    office = IntegerField(null=True, index=True)
    customer = IntegerField(null=True, index=True)

    class Meta:
        # a record's history (row id first: also the filter on a row id alone); newest
        # first: a customer's timeline, an office's trail, the trail filtered to one
        # table or one action (issue 7, item 14)
        indexes = ((("row_id", "table"), False), (("customer", "at"), False),
                   (("office", "at"), False), (("table", "at"), False),
                   (("action", "at"), False))

    @classmethod
    def office_filter(cls, office_id):
        return cls.office == office_id

    @property
    def change_dict(self) -> dict:
        return json.loads(self.changes or "{}")

    def __str__(self):
        return f"{self.action} {self.table} #{self.row_id}"


class LoginAttempt(BaseModel):
    """One login try; the throttle counts recent failures per username and per address."""

    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    username = CharField(max_length=60, index=True)
    remote_addr = CharField(max_length=64, index=True)
    success = BooleanField(default=False)
