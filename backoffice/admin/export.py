"""Export (CSV, XLSX) for the admin's model screens: everything about it in one mixin.

A screen exports its list as narrowed (office scoping, search, filters, sort), in
the reader's language, and in a form that opens right in Excel, Chinese Windows
included:

* every cell, whatever its source (the row's own text, a related row's name such
  as an office, customer, site or contract, a choice's label, a column
  formatter's output), goes through :func:`cell`: characters a spreadsheet cannot
  hold are replaced with U+FFFD, text a spreadsheet would run as a formula gets
  a leading quote, and no stored value can make an export fail;
* CSV is UTF-8 with a byte-order mark (without it Excel reads the file as GBK
  and garbles the Chinese);
* XLSX keeps dates, times and numbers as real cells (they sort and sum), and its
  sheet is named after the list ("Units", "设备");
* booleans read Yes/No in the reader's language (是/否), not True/False;
* all or nothing: above ``EXPORT_MAX_ROWS`` rows (counted with a LIMIT, so the
  count stays cheap) the export is refused with a message on the list, never cut
  short silently.

Flask-Admin 2.2 builds an export in ``ModelView.export``, which calls
``_export_csv`` or ``_export_tablib``; both take the rows from ``_export_data``
(``get_list`` with the list's arguments and ``export_max_rows``) and each cell
from ``get_export_value``. This mixin uses the documented extension points where
they reach: ``column_type_formatters_export`` (booleans, fixed-list members),
``get_export_value`` (every cell, through :func:`cell`), ``get_export_name``,
``export_types`` and ``export_max_rows``, and ``export`` (the exposed view) for the
cap. Two private methods are still overridden, because no public hook reaches
what they do: ``_export_csv`` writes no byte-order mark, and ``_export_tablib``
turns every value into text (``csv_encode``) and leaves the sheet untitled
("Tablib Dataset"). Both overrides still read Flask-Admin's ``_export_data`` and
``_export_columns``, so sorting, narrowing and the columns stay Flask-Admin's.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import time
import zoneinfo
from decimal import Decimal
from enum import Enum, StrEnum
from typing import ClassVar

import tablib
from flask import (
    Response,
    current_app,
    flash,
    has_app_context,
    redirect,
    request,
    stream_with_context,
)
from flask_admin import expose
from flask_admin.model import typefmt
from flask_babel import format_decimal
from markupsafe import Markup
from werkzeug.utils import secure_filename

from ..i18n import _
from ..labels import label, yes_no

#: first characters that make a spreadsheet cell a formula (formula injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: what an XLSX cell (XML 1.0) cannot hold: control characters but tab, newline and
#: carriage return, lone surrogates, U+FFFE and U+FFFF
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: what stands in for such a character, so the reader sees that something was there
REPLACEMENT = "\ufffd"
#: Excel keeps 15 significant digits: a longer number is exported as text, digit for digit
EXACT_DIGITS = 15
#: Excel's first correct date (its calendar wrongly has a 1900-02-29): earlier dates are text
FIRST_DATE = dt.date(1900, 3, 1)
#: the byte-order mark that tells Excel a CSV file is UTF-8
BOM = "\ufeff"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _number(value):
    """A number a spreadsheet holds exactly, or None (then it is exported as text)."""
    if isinstance(value, int):
        return value if abs(value) < 10 ** EXACT_DIGITS else None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return value if abs(value) < 10 ** EXACT_DIGITS else None


def cell(value):
    """One exported value as a spreadsheet can hold it safely: a number, a date or text.

    Numbers, dates and times stay themselves (real cells in XLSX); a boolean reads
    Yes/No in the reader's language; anything else becomes text (a related row by
    its name, HTML from a formatter without its tags), with unwritable characters
    replaced and a leading quote where a spreadsheet would see a formula. Never raises.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float | Decimal):
        number = _number(value)
        if number is not None:
            return number
    elif isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # XLSX has no zones: the service center's wall clock
            value = value.astimezone(_zone()).replace(tzinfo=None)
        if value.date() >= FIRST_DATE:
            return value.replace(microsecond=0)
    elif isinstance(value, dt.date):
        if value >= FIRST_DATE:
            return value
    elif isinstance(value, dt.time):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, Markup):
        value = value.striptags()
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 -- a name that cannot be read: a mark, never a failed export
        text = REPLACEMENT
    return neutralise(UNWRITABLE.sub(REPLACEMENT, text))


def _zone():
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return zoneinfo.ZoneInfo(name or "Asia/Shanghai")


def _yes_no(view, value, name):
    return yes_no(value)


def _member(view, value, name):
    """A fixed-list member by its label; another enum by its name (as Flask-Admin does)."""
    if isinstance(value, StrEnum):
        try:
            return label(value)
        except KeyError:
            pass
    return value.name


class _Echo:
    """The file-like object ``csv.writer`` needs: each written line is returned, not kept."""

    def write(self, value):
        return value


class ExportMixin:
    """CSV and XLSX export of a scoped model view (mixed in before ``ModelView``)."""

    can_export = True
    export_types = ("csv", "xlsx")
    column_export_exclude_list = ("version",)
    # booleans read 是/否 and fixed-list members their label, in the reader's language
    column_type_formatters_export: ClassVar[dict] = {
        **typefmt.EXPORT_FORMATTERS, bool: _yes_no, Enum: _member}

    @property
    def export_max_rows(self):
        return current_app.config.get("EXPORT_MAX_ROWS", 50000) if has_app_context() else 50000

    @expose("/export/<export_type>/")
    def export(self, export_type):
        """Export the list as it is narrowed, or refuse (nothing downloaded) above the cap."""
        if self.can_export and export_type in self.export_types:
            cap = self.export_max_rows
            args = self._get_list_extra_args()
            query, _joins = self._narrowed_query(args.search, args.filters)
            # stops counting at cap + 1: SELECT COUNT(1) FROM (... LIMIT cap + 1)
            if query.order_by().limit(cap + 1).count() > cap:
                flash(_("More than %(max)s rows match; an export holds at most %(max)s: "
                        "narrow the list with a filter or a search.",
                        max=format_decimal(cap)), "warning")
                return redirect(self.get_url(".index_view", **request.args.to_dict(flat=False)))
        return super().export(export_type)

    def get_export_value(self, model, name):
        return cell(super().get_export_value(model, name))

    def get_export_name(self, export_type="csv"):
        # the menu name may be translated; file names stay ASCII
        return f"{self.endpoint}_{time.strftime('%Y-%m-%d_%H-%M-%S')}.{export_type}"

    def export_sheet_title(self) -> str:
        """The XLSX sheet's name: the list's name in the reader's language."""
        return str(self.name or self.endpoint)

    def _export_headers(self) -> list:
        return [cell(column_label) for _name, column_label in self._export_columns]

    def _export_rows(self):
        """The narrowed rows, read now; each row's cells are made as they are written."""
        _count, rows = self._export_data()
        names = [name for name, _label in self._export_columns]
        return ([self.get_export_value(row, name) for name in names] for row in rows)

    def _attachment(self, export_type):
        return {"Content-Disposition":
                f"attachment;filename={secure_filename(self.get_export_name(export_type))}"}

    def _export_csv(self, return_url):
        """Flask-Admin's streamed CSV, with a byte-order mark first (UTF-8 for Excel)."""
        rows = self._export_rows()
        writer = csv.writer(_Echo())

        def generate():
            yield BOM + writer.writerow(self._export_headers())
            for row in rows:
                yield writer.writerow(row)

        return Response(stream_with_context(generate()), headers=self._attachment("csv"),
                        mimetype="text/csv")

    def _export_tablib(self, export_type, return_url):
        """XLSX with typed cells and a named sheet; any other tablib format as Flask-Admin does."""
        if export_type != "xlsx":
            return super()._export_tablib(export_type, return_url)
        sheet = tablib.Dataset(headers=self._export_headers(), title=self.export_sheet_title())
        for row in self._export_rows():
            sheet.append(row)
        return Response(sheet.export("xlsx"), headers=self._attachment("xlsx"),
                        mimetype=XLSX_MIMETYPE)
