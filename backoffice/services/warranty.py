"""Warranty: the dates a unit is covered, and the look-up by serial number."""

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
    """Fill the unit's warranty dates from its contract and acceptance, unless set by hand."""
    if unit.warranty_by_hand:
        return
    from ..models import Product
    product = Product.get_by_id(unit.product_id) if unit.product_id else None
    months = contract.warranty_months if contract.warranty_months is not None else (
        product.warranty_months if product else None)
    unit.warranty_start, unit.warranty_end = standard_warranty_period(unit.accepted_on, months)


@dataclass
class WarrantyStatus:
    unit: object
    on: dt.date
    covered: bool
    reason: str


def warranty_status(unit, on: dt.date) -> WarrantyStatus:
    """Is ``unit`` in warranty on ``on``?"""
    if unit.warranty_start is None or unit.warranty_end is None:
        return WarrantyStatus(unit, on, False, "not accepted yet: warranty has not started")
    if on < unit.warranty_start:
        return WarrantyStatus(unit, on, False, "before warranty start")
    if on > unit.warranty_end:
        return WarrantyStatus(unit, on, False, "warranty ended")
    return WarrantyStatus(unit, on, True, "in warranty")
