"""Staff absence: a member of staff on leave from one day until another (both included).

The dispatch recommendation reads it: an engineer on leave while a ticket needs them
is ranked last, with the leave's dates and reason (:mod:`backoffice.services.dispatch`).
"""

from __future__ import annotations

from peewee import CharField, DateField, ForeignKeyField

from ..i18n import _
from .base import AuditedModel, RuleViolation
from .org import Staff


class StaffLeave(AuditedModel):
    """One absence: who, from which day until which day (included), and why."""

    staff = ForeignKeyField(Staff, backref="leaves", index=True, on_delete="CASCADE")
    starts_on = DateField()
    ends_on = DateField(index=True)
    reason = CharField(max_length=200, default="")

    class Meta:
        indexes = ((("staff", "ends_on"), False),)

    def validate(self):
        if self.staff_id is None:
            raise RuleViolation(_("Say who is on leave."), "staff")
        if self.starts_on is None or self.ends_on is None:
            raise RuleViolation(_("A leave needs its first and last day."), "starts_on")
        if self.ends_on < self.starts_on:
            raise RuleViolation(_("A leave cannot end before it starts."), "ends_on")
        self.reason = (self.reason or "").strip()

    def covers(self, first, last=None) -> bool:
        """Does the leave overlap the days ``first`` to ``last`` (both included)?"""
        last = first if last is None else last
        return self.starts_on <= last and self.ends_on >= first

    @classmethod
    def office_filter(cls, office_id):
        return cls.staff.in_(Staff.select(Staff.id).where(Staff.office == office_id))

    @classmethod
    def assigned_filter(cls, staff_id):
        return cls.staff == staff_id  # one's own leave

    def office_id_for_audit(self):
        staff = Staff.get_or_none(Staff.id == self.staff_id)
        return staff.office_id if staff else None

    def __str__(self):
        return f"{self.staff} {self.starts_on}–{self.ends_on}"
