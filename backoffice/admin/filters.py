"""List filters shared by the domain screens, and the strict values every list filter takes.

Flask-Admin reads a filter's value with ``int()``, ``float()`` and ``strptime``:
"１" (full-width) is 1, "1e3" is a float, 2**64 an int no database column holds
(SQLite's driver raises), "２０２６-01-01" a date; and a NUL byte in a text filter
is a 500 on PostgreSQL. Every filter here refuses such a value in ``validate()``,
Flask-Admin's hook: the list then ignores that filter and says so
("Invalid Filter Value"), the same on both databases. :class:`StrictFilterConverter`
makes these filters for the columns a view names (``column_filters = ("row_id",)``).
"""

from __future__ import annotations

import datetime as dt
import math
import re

from flask_admin.contrib.peewee import filters as fa
from flask_admin.contrib.peewee.filters import FilterEqual

from ..models.core import BIG_INTEGER_RANGE, DATE_MAX, DATE_MIN

#: no filter value is longer (the longest text column holds 20,000; nobody types that
#: into a filter box, and a LIKE over a long pattern only costs)
VALUE_MAX_LENGTH = 200
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_NUMBER = re.compile(r"[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})([eE][+-]?[0-9]{1,3})?")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def plain_text(value) -> bool:
    """A text a filter may compare with: a string of at most :data:`VALUE_MAX_LENGTH`
    characters without control characters."""
    return (isinstance(value, str) and len(value) <= VALUE_MAX_LENGTH
            and not _CONTROL.search(value))


def strict_integer(value) -> int | None:
    """ASCII digits with an optional sign, within 64 bits (what every database compares
    with an integer column without an error); else ``None``."""
    if not isinstance(value, str) or not _INTEGER.fullmatch(value.strip()):
        return None
    number = int(value)
    low, high = BIG_INTEGER_RANGE
    return number if low <= number <= high else None


def strict_number(value) -> float | None:
    """A finite decimal number in ASCII (no NaN, no infinity, no "１"); else ``None``."""
    if not isinstance(value, str) or not _NUMBER.fullmatch(value.strip()):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) < 1e300 else None


def strict_date(value, pattern: str = "%Y-%m-%d"):
    """A date (or time) in ASCII within the models' dates (1900-01-01 to 2199-12-31)."""
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        parsed = dt.datetime.strptime(value.strip(), pattern)
    except ValueError:
        return None
    day = parsed.date()
    if not DATE_MIN <= day <= DATE_MAX:
        return None
    return day if pattern == "%Y-%m-%d" else parsed


# -- value mixins: each filter class below is Flask-Admin's own with one of these first --

class TextValue:
    def validate(self, value):
        return plain_text(value) and super().validate(value)


class IntegerValue:
    def validate(self, value):
        return plain_text(value) and strict_integer(value) is not None

    def clean(self, value):
        return strict_integer(value)


class IntegerListValue:
    def validate(self, value):
        items = [v for v in value.split(",") if v.strip()] if plain_text(value) else None
        return bool(items) and all(strict_integer(v) is not None for v in items)

    def clean(self, value):
        return [strict_integer(v) for v in value.split(",") if v.strip()]


class NumberValue:
    def validate(self, value):
        return plain_text(value) and strict_number(value) is not None

    def clean(self, value):
        return strict_number(value)


class NumberListValue:
    def validate(self, value):
        items = [v for v in value.split(",") if v.strip()] if plain_text(value) else None
        return bool(items) and all(strict_number(v) is not None for v in items)

    def clean(self, value):
        return [strict_number(v) for v in value.split(",") if v.strip()]


class DateValue:
    pattern = "%Y-%m-%d"

    def validate(self, value):
        return plain_text(value) and strict_date(value, self.pattern) is not None

    def clean(self, value):
        return strict_date(value, self.pattern)


class DateTimeValue(DateValue):
    pattern = "%Y-%m-%d %H:%M:%S"


class DateRangeValue:
    pattern = "%Y-%m-%d"

    def validate(self, value):
        if not plain_text(value):
            return False
        ends = [strict_date(v, self.pattern) for v in value.split(" to ")]
        return len(ends) == 2 and None not in ends and ends[0] <= ends[1]

    def clean(self, value):
        return [strict_date(v, self.pattern) for v in value.split(" to ")]


class DateTimeRangeValue(DateRangeValue):
    pattern = "%Y-%m-%d %H:%M:%S"


def _strict(value_mixin, *flask_admin_filters):
    """Flask-Admin's filter classes, each with ``value_mixin`` deciding its values."""
    return tuple(type(f"Strict{f.__name__}", (value_mixin, f), {}) for f in flask_admin_filters)


class StrictFilterConverter(fa.FilterConverter):
    """Flask-Admin's peewee filter converter with the strict filters above (in Flask-Admin's
    order, so a list's filter arguments stay what they were)."""

    strings = (*_strict(TextValue, fa.FilterLike, fa.FilterNotLike, fa.FilterEqual,
                        fa.FilterNotEqual), fa.FilterEmpty,
               *_strict(TextValue, fa.FilterInList, fa.FilterNotInList))
    int_filters = (*_strict(IntegerValue, fa.IntEqualFilter, fa.IntNotEqualFilter,
                            fa.IntGreaterFilter, fa.IntSmallerFilter), fa.FilterEmpty,
                   *_strict(IntegerListValue, fa.IntInListFilter, fa.IntNotInListFilter))
    float_filters = (*_strict(NumberValue, fa.FloatEqualFilter, fa.FloatNotEqualFilter,
                              fa.FloatGreaterFilter, fa.FloatSmallerFilter), fa.FilterEmpty,
                     *_strict(NumberListValue, fa.FloatInListFilter, fa.FloatNotInListFilter))
    date_filters = (*_strict(DateValue, fa.DateEqualFilter, fa.DateNotEqualFilter,
                             fa.DateGreaterFilter, fa.DateSmallerFilter),
                    *_strict(DateRangeValue, fa.DateBetweenFilter, fa.DateNotBetweenFilter),
                    fa.FilterEmpty)
    datetime_filters = (*_strict(DateTimeValue, fa.DateTimeEqualFilter,
                                 fa.DateTimeNotEqualFilter, fa.DateTimeGreaterFilter,
                                 fa.DateTimeSmallerFilter),
                        *_strict(DateTimeRangeValue, fa.DateTimeBetweenFilter,
                                 fa.DateTimeNotBetweenFilter),
                        fa.FilterEmpty)


class ByCode(FilterEqual):
    """Rows whose foreign key ``column`` points at the row whose ``code_field`` (unique)
    equals the typed value (upper-cased). The id is looked up first, not joined, so
    office scoping still applies and it composes with any join the list adds; and the
    list filters on ``column = id``, which its (column, order) index serves: a sub-select
    made PostgreSQL walk the order's index and discard the other parents' rows (250 ms
    for one customer's units at 1M units, 0.1 ms this way)."""

    def __init__(self, column, name, code_field, **kwargs):
        super().__init__(column, name, **kwargs)
        self.code_field = code_field

    def validate(self, value):
        return plain_text(value) and len(value.strip()) <= self.code_field.max_length

    def apply(self, query, value):
        model = self.code_field.model
        ids = [pk for (pk,) in model.select(model._meta.primary_key).where(
            self.code_field == value.strip().upper()).tuples()]
        return query.where(self.column.in_(ids))  # no such code: IN () is (0 = 1)
