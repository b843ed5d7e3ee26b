"""Warranty: whether a service on a day is covered, and who pays.

The decision is the rule engine's (hook ``coverage``); the charter's default
plugin gives the standard answer. The warranty *dates* a unit carries are
derived when it is saved (:func:`backoffice.services.units.derive`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..labels import Charge
from ..models import Contract
from ..plugins import current_engine


@dataclass
class WarrantyStatus:
    unit: object
    on: dt.date
    covered: bool
    reason: str
    charge: str = Charge.FREE
    decided_by: str = ""
    why: object = None  # the charter's Reason, for the screens (labels.reason_text)


def warranty_status(unit, on: dt.date, cause: str | None = None) -> WarrantyStatus:
    """Is ``unit`` in warranty on ``on``, and who pays (``cause``: the root cause if known)?"""
    contract = Contract.get_or_none(Contract.id == unit.contract_id) if unit.contract_id else None
    verdict = current_engine().coverage(contract, unit, on, cause)
    return WarrantyStatus(unit, on, verdict.covered, verdict.reason, verdict.charge,
                          verdict.decided_by, verdict.why)
