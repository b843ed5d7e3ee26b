"""Term sets: named families of contract terms, each edit a new numbered version.

A version never changes once written: headquarters' edit publishes the next
number with who and when, and a contract stays pinned to the version it names
until someone moves it (see ``Contract.term_set_version``).
"""

from __future__ import annotations

import json

from peewee import CharField, ForeignKeyField, IntegerField, TextField

from ..i18n import _
from ..terms import SheetError, Terms, diff, terms_from_dict, to_toml
from .base import AuditedModel, RuleViolation


class TermSet(AuditedModel):
    """A contract family's terms ("charter", "premium"); its content lives in versions."""

    name = CharField(max_length=40, unique=True)
    title = CharField(max_length=120, default="")

    @classmethod
    def office_filter(cls, office_id):
        return None  # headquarters' terms apply to every office

    def latest(self) -> TermSetVersion | None:
        return (TermSetVersion.select().where(TermSetVersion.term_set == self)
                .order_by(TermSetVersion.number.desc()).first())

    def __str__(self):
        return self.name


class TermSetVersion(AuditedModel):
    """One published version of a term set: the sheet's data, who published it and why."""

    term_set = ForeignKeyField(TermSet, backref="versions", index=True, on_delete="RESTRICT")
    number = IntegerField()
    #: the sheet's data as JSON (see :meth:`backoffice.terms.Terms.as_dict`)
    data = TextField()
    published_by = CharField(max_length=60, default="")
    note = TextField(default="")

    class Meta:
        indexes = ((("term_set", "number"), True),)

    @classmethod
    def office_filter(cls, office_id):
        return None

    def values(self) -> dict:
        return json.loads(self.data)

    def terms(self) -> Terms:
        return terms_from_dict(self.values(), str(self), self.number)

    def toml(self) -> str:
        return to_toml(self.values())

    def previous(self) -> TermSetVersion | None:
        return (TermSetVersion.select()
                .where((TermSetVersion.term_set == self.term_set_id)
                       & (TermSetVersion.number < self.number))
                .order_by(TermSetVersion.number.desc()).first())

    def changes(self):
        """What changed since the previous version (everything, for version 1)."""
        before = self.previous()
        return diff(before.values() if before else {}, self.values())

    def save(self, *args, **kwargs):
        if self.get_id() is not None and self._dirty - {"version", "updated_at"}:
            raise RuleViolation(_("A published term-set version cannot be changed; "
                                  "publish a new version instead."))
        return super().save(*args, **kwargs)

    def __str__(self):
        if not self.term_set_id:
            return f"? v{self.number}"
        # the set loaded with the version (a join) or once, then cached: no query per call
        name = self.term_set.name
        return f"{name} v{self.number}"


__all__ = ["SheetError", "TermSet", "TermSetVersion"]
