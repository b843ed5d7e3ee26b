"""The ground of every model: the base class, rule violations and the stored clock.

Kept apart from :mod:`.base` (the audited model) so that the audit table, which
every audited save writes to, can be declared without an import cycle.
"""

from __future__ import annotations

from peewee import Model

from ..clock import utcnow
from ..db import database
from ..i18n import _


class RuleViolation(ValueError):
    """A business rule refused a change.

    ``field`` names the form field, if any; ``code`` is stable and machine-readable
    (the API returns it beside the translated message; a CLI line and a form error
    carry the same one).
    """

    def __init__(self, message: str, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.code = code


class ConcurrentEditError(RuleViolation):
    """The row changed (or went) since the editor loaded it."""

    def __init__(self, message: str, field: str | None = None, code: str = "stale"):
        super().__init__(message, field, code)


def stale_message() -> str:
    return _("This record was changed by someone else since you opened it; "
             "reload it and apply your change again.")


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False

    @classmethod
    def assigned_filter(cls, staff_id: int):
        """An expression keeping the rows assigned to ``staff_id`` (an engineer's own
        tickets, an on-duty roster), which they see beside their office's; ``None``:
        the table has no assignments."""
        return


def fk_id(instance: Model, name: str):
    """The raw id behind a foreign key without loading the related row."""
    return instance.__data__.get(name)


__all__ = ["BaseModel", "ConcurrentEditError", "RuleViolation", "fk_id", "stale_message",
           "utcnow"]
