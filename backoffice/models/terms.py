"""Term sets: named families of contract terms, each edit a new numbered version.

A version never changes once written: headquarters' edit publishes the next
number with who and when, and a contract stays pinned to the version it names
until someone moves it (see ``Contract.term_set_version``).
"""

from __future__ import annotations

import json

from peewee import CharField, ForeignKeyField, IntegerField, IntegrityError, TextField

from ..db import current_actor, database
from ..i18n import _
from ..terms import STANDARD, SheetError, Terms, diff, terms_from_dict, to_toml
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


def publish(terms: Terms, note: str = "") -> TermSetVersion:
    """Store ``terms`` as the next version of the term set it names (created if new).

    Returns the new version; raises :class:`RuleViolation` when the content is
    the same as the latest version's (nothing to publish) or another editor
    published the same number first.
    """
    data = terms.as_dict()
    try:
        with database.atomic():
            term_set = TermSet.get_or_none(TermSet.name == terms.name)
            if term_set is None:
                term_set = TermSet(name=terms.name, title=terms.title)
                term_set.save()
            elif term_set.title != terms.title:
                term_set.title = terms.title
                term_set.save()
            latest = term_set.latest()
            if latest is None and terms.name == STANDARD.name and diff(STANDARD.as_dict(), data):
                # "charter v1" always means the built-in standard terms that unpinned
                # contracts use, so a changed charter starts at v2
                latest = TermSetVersion(term_set=term_set, number=1,
                                        data=json.dumps(STANDARD.as_dict()),
                                        published_by=current_actor().name,
                                        note="the standard charter terms")
                latest.save()
            if latest is not None and not diff(latest.values(), data):
                raise RuleViolation(_("%(version)s already has exactly these terms; "
                                      "nothing to publish.", version=str(latest)))
            version = TermSetVersion(term_set=term_set,
                                     number=(latest.number + 1) if latest else 1,
                                     data=json.dumps(data, ensure_ascii=False),
                                     published_by=current_actor().name, note=note.strip())
            version.save()
            return version
    except IntegrityError:
        raise RuleViolation(_("Someone published a version of %(name)s at the same "
                              "time; reload and try again.", name=terms.name)) from None


def terms_for(contract) -> Terms:
    """The terms in force for ``contract`` (``None``: the standard charter terms)."""
    version_id = contract.term_set_version_id if contract is not None else None
    if version_id is None:
        return STANDARD
    return TermSetVersion.get_by_id(version_id).terms()


__all__ = ["SheetError", "TermSet", "TermSetVersion", "publish", "terms_for"]
