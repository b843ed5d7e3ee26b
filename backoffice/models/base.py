"""Base models: every editable table is versioned (optimistic locking) and audited.

``save()`` and ``delete_instance()`` write the change and its audit row in one
transaction. An update carries the version the editor saw; if the row moved on
in the meantime, :class:`ConcurrentEditError` is raised and nothing is written.
Bulk ``Model.update()`` / ``Model.delete()`` queries bypass this on purpose;
code that uses them writes its own audit rows (:meth:`AuditedModel.audit_row`)
in the same transaction, as the services do. A model validates only its own
row: every field's type, range and length (:meth:`BaseModel.check_fields`, see
:mod:`.core`), then its own rules (:meth:`AuditedModel.validate`); rules that
read other tables or ask the rule engine live in :mod:`backoffice.services`,
which every door calls (and which check the fields first, before they query
with them).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json

from peewee import (
    SQL,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
)

from ..db import current_actor, database, is_postgres
from ..i18n import _
from .audit import AuditEntry
from .core import BaseModel, ConcurrentEditError, RuleViolation, fk_id, stale_message, utcnow


def _plain(value):
    """A JSON-friendly form of a field value for the audit trail."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Model):
        return value.get_id()
    return value


class AuditedModel(BaseModel):
    """An editable table: ``version`` for optimistic locking, every change audited."""

    version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    #: fields whose values never appear in the audit trail
    audit_redacted: tuple[str, ...] = ()
    #: fields not worth an audit entry of their own
    audit_ignored = ("version", "created_at", "updated_at")

    # -- hooks for subclasses ---------------------------------------------------

    def validate(self) -> None:
        """Raise :class:`RuleViolation` when the row breaks a business rule."""

    @classmethod
    def office_filter(cls, office_id: int):
        """An expression keeping only the rows that ``office_id``'s staff may see.

        ``None`` means the table is shared by all offices (the product catalogue).
        Every office-scoped query in the back-office goes through this method
        (see :mod:`backoffice.scoping`).
        """
        raise NotImplementedError(f"{cls.__name__} declares no office scope")

    def taken(self, field) -> bool:
        """Does another row already hold this row's value of the unique ``field``?

        Checked before writing so a duplicate is a clear form error, not an
        IntegrityError (the unique index still guards against a race).
        """
        cls = type(self)
        clash = cls.select(cls._meta.primary_key).where(field == getattr(self, field.name))
        if self.get_id() is not None:
            clash = clash.where(cls._meta.primary_key != self.get_id())
        return clash.exists()

    def check_coordinates(self) -> None:
        """Latitude and longitude: both or neither, and on the globe."""
        if (self.latitude is None) != (self.longitude is None):
            raise RuleViolation(_("Give both latitude and longitude, or neither."), "latitude")
        if self.latitude is not None and not -90 <= float(self.latitude) <= 90:
            raise RuleViolation(_("Latitude must be between -90 and 90."), "latitude")
        if self.longitude is not None and not -180 <= float(self.longitude) <= 180:
            raise RuleViolation(_("Longitude must be between -180 and 180."), "longitude")

    def office_id_for_audit(self) -> int | None:
        """The office whose staff may read this row's audit entries."""
        return None

    def customer_id_for_audit(self) -> int | None:
        """The customer file whose timeline shows this row's audit entries."""
        return None

    def __str__(self) -> str:
        return f"{type(self).__name__} #{self.get_id()}"

    # -- persistence ------------------------------------------------------------

    def _values(self) -> dict:
        return {name: _plain(self.__data__.get(name)) for name in self._meta.fields}

    def save(self, force_insert=False, only=None):
        with database.atomic():
            self.check_fields()  # types, ranges and lengths first: validate() may query
            self.validate()
            self.updated_at = utcnow()
            if self.get_id() is None or force_insert:
                self.version = self.version or 1
                result = super().save(force_insert=force_insert)
                self._audit("create", self.creation_changes())
                return result
            return self._update_checked()

    def _update_checked(self):
        cls = type(self)
        pk = cls._meta.primary_key
        query = cls.select().where(pk == self.get_id())
        if is_postgres():  # SQLite has one writer at a time anyway
            query = query.for_update()
        old = query.get_or_none()
        if old is None:
            raise ConcurrentEditError(_("This record was deleted by someone else."))
        seen = self.version
        if old.version != seen:
            raise ConcurrentEditError(stale_message())
        before, after = old._values(), self._values()
        changes = {k: [before[k], after[k]] for k in after
                   if k not in self.audit_ignored and before.get(k) != after[k]}
        if not changes:
            self.last_changes = {}
            return 0
        self.version = seen + 1
        data = {cls._meta.fields[k]: v for k, v in self.__data__.items()
                if k != pk.name}
        updated = cls.update(data).where((pk == self.get_id()) & (cls.version == seen)).execute()
        if updated != 1:
            self.version = seen
            raise ConcurrentEditError(stale_message())
        self._dirty.clear()
        self._audit("update", changes)
        #: what the last save changed, ``{field: [old, new]}`` (services derive from it)
        self.last_changes = changes
        return updated

    def delete_instance(self, recursive=False, delete_nullable=False):
        with database.atomic():
            values = {k: [v, None] for k, v in self._values().items() if v is not None}
            self._audit("delete", values)
            return super().delete_instance(recursive=recursive, delete_nullable=delete_nullable)

    def creation_changes(self) -> dict:
        """The audit changes of a new row: every field that has a value."""
        pk = self._meta.primary_key.name
        return {k: [None, v] for k, v in self._values().items() if v is not None and k != pk}

    def audit_row(self, action: str, changes: dict, *, office=None, customer=None) -> dict:
        """The audit entry for ``action`` on this row, as a dict ready to insert.

        ``office`` and ``customer`` default to the row's own (bulk writers that
        already know them pass them, to save a query per row).
        """
        changes = dict(changes)
        for key in self.audit_redacted:
            if key in changes:
                changes[key] = ["***" if v is not None else None for v in changes[key]]
        actor = current_actor()
        return {
            "at": utcnow(),
            "actor": actor.name,
            "actor_staff": actor.staff_id,
            "table": self._meta.table_name,
            "row_id": self.get_id(),
            "action": action,
            "summary": str(self)[:200],
            "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
            "office": self.office_id_for_audit() if office is None else office,
            "customer": self.customer_id_for_audit() if customer is None else customer,
        }

    def _audit(self, action: str, changes: dict) -> None:
        AuditEntry.insert(self.audit_row(action, changes)).execute()


__all__ = ["AuditedModel", "BaseModel", "ConcurrentEditError", "ForeignKeyField",
           "RuleViolation", "fk_id", "stale_message", "utcnow"]
