"""Warranty: the dates a unit is covered, and whether a service on a day is free.

Both decisions go through the rule engine (hooks ``warranty_period`` and
``coverage``); the charter's default plugin gives the standard answer.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def standard_warranty_period(accepted_on, months):
    """Warranty runs from acceptance for ``months``; the last covered day is the day before."""
    if accepted_on is None or months is None:
        return None, None
    return accepted_on, add_months(accepted_on, months) - dt.timedelta(days=1)


def apply_warranty_dates(unit, contract) -> None:
    """Fill the unit's warranty dates from the rule engine, unless set by hand."""
    if unit.warranty_by_hand:
        return
    from ..models import Product
    from ..plugins import current_engine
    product = Product.get_by_id(unit.product_id) if unit.product_id else None
    period = current_engine().call("warranty_period", contract=contract, unit=unit,
                                   product=product)
    unit.warranty_start, unit.warranty_end = period.start, period.end


@dataclass
class WarrantyStatus:
    unit: object
    on: dt.date
    covered: bool
    reason: str
    charge: str = "free"
    decided_by: str = ""


def warranty_status(unit, on: dt.date, cause: str | None = None) -> WarrantyStatus:
    """Is ``unit`` in warranty on ``on``, and who pays (``cause``: the root cause if known)?"""
    from ..models import Contract
    from ..plugins import current_engine
    contract = Contract.get_or_none(Contract.id == unit.contract_id) if unit.contract_id else None
    verdict = current_engine().call("coverage", contract=contract, unit=unit, on=on, cause=cause)
    return WarrantyStatus(unit, on, verdict.covered, verdict.reason, verdict.charge,
                          verdict.decided_by)
