"""The ground of every model: the base class, rule violations, field checks, the stored clock.

Kept apart from :mod:`.base` (the audited model) so that the audit table, which
every audited save writes to, can be declared without an import cycle.

Every field has a type, a range and a length, checked the same way on SQLite and
PostgreSQL before anything is written (:meth:`BaseModel.check_fields`, which every
audited save runs before the model's own ``validate()``): SQLite would store what
PostgreSQL refuses with an error, and PostgreSQL would store what Python cannot
read back. The bounds, and why:

* text (``CharField``, ``TextField``): no control character but tab, newline and a
  carriage return before a newline (PostgreSQL refuses NUL outright; the others
  break exports, terminals and the XLSX format); a ``CharField`` holds at most its
  ``max_length`` characters (PostgreSQL's ``varchar(n)`` limit, which SQLite does
  not enforce), a ``TextField`` at most :data:`TEXT_MAX_LENGTH` (20,000: pages
  of notes, well under the 32,767 characters an Excel cell holds, so every
  exported cell opens, and an audit entry with old and new value stays small);
* numbers: finite (no NaN or infinity, which a ``numeric`` column of PostgreSQL
  stores as NaN and SQLite cannot read back into a form); a ``DecimalField``
  within its ``max_digits`` and ``decimal_places`` (PostgreSQL's ``numeric(p, s)``
  refuses more integer digits and rounds away extra decimals; SQLite keeps both),
  an ``IntegerField`` within PostgreSQL's ``integer`` (-2**31 .. 2**31 - 1; SQLite's
  is 64-bit), a ``BigIntegerField`` within 64 bits;
* dates and times: from 1900-01-01 to 2199-12-31 (:data:`DATE_MIN`,
  :data:`DATE_MAX`). Python's ``date`` ends at 9999-12-31, so a date near it
  overflows as soon as a warranty (up to 600 months) or a deadline is added to it;
  before 1900 no date of this business exists, and Excel's dates start there
  (exports write real date cells). The deadline preview and the command line
  already refuse years outside 1900-2200 (``services/deadlines.py``).

A model narrows a field further with :attr:`BaseModel.field_bounds` (``{name:
(lowest, highest)}``, either end ``None`` for open); its ``validate()`` keeps the
rules that need more than one field or another table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import ClassVar

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    TimestampField,
)

from ..clock import utcnow
from ..db import database
from ..i18n import _
from ..labels import field_label

#: the most characters a ``TextField`` holds (a ``CharField`` holds its ``max_length``)
TEXT_MAX_LENGTH = 20_000
#: the first and last date (and day of a time) any field holds
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
#: PostgreSQL's ``integer`` (peewee's ``IntegerField``, ids and foreign keys included)
INTEGER_RANGE = (-(2**31), 2**31 - 1)
#: PostgreSQL's ``bigint`` and SQLite's integers
BIG_INTEGER_RANGE = (-(2**63), 2**63 - 1)

#: a character no text field holds: C0 and C1 controls but tab, newline and a carriage
#: return before a newline; DEL; and lone UTF-16 surrogates (no encoding can store them)
_FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"
                                  "|\r(?!\n)")
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


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
    #: ``{field name: (lowest, highest)}``: a number's or a date's own bounds, tighter than
    #: its type's (either end ``None``: the type's own); checked by :meth:`check_fields`
    field_bounds: ClassVar[dict[str, tuple]] = {}

    class Meta:
        database = database
        legacy_table_names = False

    def check_fields(self) -> None:
        """Every field's value fits its type, range and length, the same on SQLite and
        PostgreSQL, or :class:`RuleViolation` names the first that does not (codes
        ``too_long``, ``control_character``, ``not_finite``, ``too_precise``,
        ``out_of_range``, ``invalid``). Reads nothing from the database."""
        for name, field in self._meta.fields.items():
            value = self.__data__.get(name)
            if value is not None:
                check_field(field, value, self.field_bounds.get(name))

    @classmethod
    def assigned_filter(cls, staff_id: int):
        """An expression keeping the rows assigned to ``staff_id`` (an engineer's own
        tickets, an on-duty roster), which they see beside their office's; ``None``:
        the table has no assignments."""
        return


def check_field(field, value, bounds: tuple | None = None) -> None:
    """Refuse ``value`` for ``field`` unless it fits (see the module's notes)."""
    if isinstance(field, ForeignKeyField):
        _check_reference(field, value.get_id() if isinstance(value, Model) else value)
    elif isinstance(field, CharField | TextField):
        _check_text(field, value)
    elif isinstance(field, BooleanField):
        return
    elif isinstance(field, DecimalField):
        _check_decimal(field, value, bounds)
    elif isinstance(field, FloatField):
        _check_float(field, value, bounds)
    elif isinstance(field, TimestampField):
        _check_date(field, value, bounds)
    elif isinstance(field, IntegerField):
        _check_integer(field, value, bounds)
    elif isinstance(field, (DateField, DateTimeField)):
        _check_date(field, value, bounds)


def _label(field) -> str:
    return field_label(field.name)


def _out_of_range(field, low, high) -> RuleViolation:
    return RuleViolation(_("%(field)s must be between %(low)s and %(high)s.",
                           field=_label(field), low=low, high=high), field.name, "out_of_range")


def _not_finite(field) -> RuleViolation:
    return RuleViolation(_("%(field)s must be a number, not NaN or infinity.",
                           field=_label(field)), field.name, "not_finite")


def _invalid(field) -> RuleViolation:
    return RuleViolation(_("%(field)s: this value cannot be stored here.", field=_label(field)),
                         field.name, "invalid")


def _bounded(bounds, low, high):
    """The type's range ``(low, high)`` narrowed by a model's ``bounds``."""
    if bounds:
        low = low if bounds[0] is None else max(low, bounds[0])
        high = high if bounds[1] is None else min(high, bounds[1])
    return low, high


def _check_text(field, value) -> None:
    if not isinstance(value, str):
        return  # peewee writes str(value); a non-text value is the caller's own business
    limit = getattr(field, "max_length", None) or TEXT_MAX_LENGTH
    if len(value) > limit:
        raise RuleViolation(_("%(field)s is too long: at most %(max)d characters, not %(n)d.",
                              field=_label(field), max=limit, n=len(value)),
                            field.name, "too_long")
    found = _FORBIDDEN_CHARACTER.search(value)
    if found:
        raise RuleViolation(_("%(field)s contains a control character (U+%(code)04X) at "
                              "position %(at)d; text may hold tabs and line breaks, no other "
                              "control characters.", field=_label(field),
                              code=ord(found.group()[0]), at=found.start() + 1),
                            field.name, "control_character")


def _check_reference(field, value) -> None:
    """A foreign key holds an id its target's key can hold (a missing row is the
    database's own refusal, an integrity error)."""
    if value is None or not isinstance(field.rel_field, IntegerField):
        return
    try:
        _check_integer(field.rel_field, value, None)
    except RuleViolation:
        raise RuleViolation(_("%(field)s: there is no such record.", field=_label(field)),
                            field.name, "invalid") from None


def _check_integer(field, value, bounds) -> None:
    if isinstance(value, str):
        if not _ASCII_INTEGER.fullmatch(value):
            raise _invalid(field)
        value = int(value)
    elif isinstance(value, float | decimal.Decimal):
        finite = value.is_finite() if isinstance(value, decimal.Decimal) else math.isfinite(value)
        if not finite:
            raise _not_finite(field)
        if value != int(value):
            raise _invalid(field)
        value = int(value)
    elif not isinstance(value, int):
        return
    kind = BIG_INTEGER_RANGE if isinstance(field, BigIntegerField) else INTEGER_RANGE
    low, high = _bounded(bounds, *kind)
    if not low <= value <= high:
        raise _out_of_range(field, low, high)


def _as_decimal(field, value) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _invalid(field)
    try:
        return decimal.Decimal(str(value).strip() if isinstance(value, str) else repr(value)
                               if isinstance(value, float) else value)
    except decimal.InvalidOperation:
        raise _invalid(field) from None


def _decimal_places(number: decimal.Decimal) -> int:
    """How many digits ``number`` has after the point, trailing zeros aside (exactly: no
    context rounding, whatever the exponent)."""
    _sign, digits, exponent = number.as_tuple()
    digits = list(digits)
    while digits and digits[-1] == 0 and exponent < 0:
        digits.pop()
        exponent += 1
    return max(0, -exponent) if any(digits) else 0


def _check_decimal(field, value, bounds) -> None:
    number = _as_decimal(field, value)
    if not number.is_finite():
        raise _not_finite(field)
    places, digits = field.decimal_places, field.max_digits
    if places is not None and _decimal_places(number) > places:
        raise RuleViolation(_("%(field)s takes at most %(places)d decimal places.",
                              field=_label(field), places=places), field.name, "too_precise")
    if digits is not None:
        step = decimal.Decimal(1).scaleb(-(places or 0))
        largest = decimal.Decimal(10) ** (digits - (places or 0)) - step
        low, high = _bounded(bounds, -largest, largest)
    elif bounds:
        low, high = _bounded(bounds, decimal.Decimal("-Infinity"), decimal.Decimal("Infinity"))
    else:
        return
    if not low <= number <= high:  # exact comparisons, whatever the exponent
        raise _out_of_range(field, low, high)


def _check_float(field, value, bounds) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _invalid(field) from None
    if not math.isfinite(number):
        raise _not_finite(field)
    if bounds:
        low, high = _bounded(bounds, -math.inf, math.inf)
        if not low <= number <= high:
            raise _out_of_range(field, low, high)


def _check_date(field, value, bounds) -> None:
    if isinstance(value, str):
        try:
            value = (dt.datetime.fromisoformat(value) if isinstance(field, DateTimeField)
                     else dt.date.fromisoformat(value))
        except ValueError:
            raise _invalid(field) from None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        return  # a timestamp as a number, or an expression: peewee's business
    low, high = _bounded(bounds, DATE_MIN, DATE_MAX)
    if not low <= day <= high:
        raise _out_of_range(field, low.isoformat(), high.isoformat())


def fk_id(instance: Model, name: str):
    """The raw id behind a foreign key without loading the related row."""
    return instance.__data__.get(name)


__all__ = ["BIG_INTEGER_RANGE", "DATE_MAX", "DATE_MIN", "INTEGER_RANGE", "TEXT_MAX_LENGTH",
           "BaseModel", "ConcurrentEditError", "RuleViolation", "check_field", "fk_id",
           "stale_message", "utcnow"]
