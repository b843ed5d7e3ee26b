"""The home page's figures: what a person's offices hold today, counted through office scoping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..models import AuditEntry, Contract, ContractStatus, Customer, Office, Unit, UnitStatus
from ..scoping import visible

#: how far ahead "warranty ends soon" looks
ENDING_SOON_DAYS = 90


@dataclass
class Overview:
    offices: int
    customers: int
    active_contracts: int
    units: int
    in_warranty: int
    ending_soon: int
    under_repair: int
    recent: list = field(default_factory=list)


def overview(user, today: dt.date, recent: int = 10) -> Overview:
    """Counts over the rows ``user`` may see; ``recent`` latest audit entries among them.

    The warranty counts read the dates stored on each unit, which the rule
    engine decided when the unit was saved; nothing is re-decided here.
    """
    units = visible(Unit, user)
    in_service = units.where(Unit.status.not_in([UnitStatus.RETIRED, UnitStatus.REPLACED]))
    covered = in_service.where((Unit.warranty_start <= today) & (Unit.warranty_end >= today))
    return Overview(
        offices=visible(Office, user).count(),
        customers=visible(Customer, user).count(),
        active_contracts=visible(Contract, user).where(
            Contract.status == ContractStatus.ACTIVE).count(),
        units=in_service.count(),
        in_warranty=covered.count(),
        ending_soon=covered.where(
            Unit.warranty_end <= today + dt.timedelta(days=ENDING_SOON_DAYS)).count(),
        under_repair=units.where(Unit.status == UnitStatus.UNDER_REPAIR).count(),
        recent=list(visible(AuditEntry, user).order_by(AuditEntry.id.desc()).limit(recent)),
    )
