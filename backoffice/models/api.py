"""API tokens: how a call centre's or an integrator's program acts as one member of staff.

A token belongs to one :class:`~backoffice.models.Staff` and acts with exactly
their role and offices. Only the SHA-256 hash of its secret is stored: the
secret is shown once, when the token is made, and can never be read again.
A revoked token stays (with when it was revoked) so the audit trail and the
token list still say what it was; it never authenticates again. Making and
revoking tokens is :mod:`backoffice.services.tokens`.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField

from ..i18n import _
from .base import AuditedModel, RuleViolation
from .org import Staff

#: the longest name a token may be given ("call centre CRM", "ERP nightly sync")
NAME_MAX = 60


class ApiToken(AuditedModel):
    """One API token of one member of staff: its name, its secret's hash, when it was last used."""

    staff = ForeignKeyField(Staff, backref="api_tokens", index=True, on_delete="CASCADE")
    name = CharField(max_length=NAME_MAX)
    #: hex SHA-256 of the secret (the secret itself is never stored)
    token_hash = CharField(max_length=64, unique=True)
    #: the last request it authenticated (stored UTC; refreshed at most once a minute)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)

    audit_redacted = ("token_hash",)
    audit_ignored = (*AuditedModel.audit_ignored, "last_used_at")

    def validate(self):
        name = (self.name or "").strip()
        if not name or len(name) > NAME_MAX:
            raise RuleViolation(_("Name the token in 1 to %(n)d characters.", n=NAME_MAX),
                                "name")
        self.name = name

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def office_filter(cls, office_id):
        return cls.staff.in_(Staff.select(Staff.id).where(Staff.office == office_id))

    @classmethod
    def assigned_filter(cls, staff_id):
        return cls.staff == staff_id

    def office_id_for_audit(self):
        return Staff.select(Staff.office).where(Staff.id == self.staff_id).scalar()

    def __str__(self):
        return self.name
