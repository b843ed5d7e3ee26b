"""The home page's figures: what a person's offices hold today, counted through office scoping.

Every login lands on the home page, so its cost must not grow with the data:
each figure is a *capped count*, ``SELECT COUNT(1) FROM (SELECT 1 ... LIMIT cap +
1)``, which reads at most ``cap + 1`` rows (index entries where an index serves
the condition), and above the cap the page says "10,000+". The admin list counts
the same way with the same cap, so a tile and the list it opens agree, below
the cap and above it.

Counters kept up to date in the same transaction as each change were the other
way, and were not taken: three figures depend on today's date (in warranty,
ending within 90 days) and would need a nightly rebuild besides; every write
path, the demo's bulk load included, would have to maintain them; and a tile
would then show an exact figure that the list it opens cannot confirm.

The conditions behind the unit figures (:func:`in_use`, :func:`in_warranty`,
:func:`warranty_ends_within`) are the ones the units list filters by, so each
tile opens the list narrowed to exactly what it counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..access import visible
from ..models import AuditEntry, Contract, ContractStatus, Customer, Office, Unit, UnitStatus

#: how far ahead "warranty ends soon" looks
ENDING_SOON_DAYS = 90
#: a figure stops counting here (the admin list's ``count_cap``); above it: "10,000+"
COUNT_CAP = 10_000
#: the statuses of a unit no longer in use
OUT_OF_USE = (UnitStatus.RETIRED, UnitStatus.REPLACED)


def in_use():
    """Units in use: neither retired nor replaced."""
    return Unit.status.not_in(OUT_OF_USE)


def in_warranty(today: dt.date):
    """Units whose stored warranty covers ``today`` (its first and last day included)."""
    return (Unit.warranty_start <= today) & (Unit.warranty_end >= today)


def warranty_ends_within(today: dt.date, days: int):
    """Units whose warranty ends between ``today`` and ``days`` days later, both included."""
    return Unit.warranty_end.between(today, today + dt.timedelta(days=days))


@dataclass(frozen=True)
class Count:
    """A figure counted up to a cap: exact, or ``capped`` (then more than ``value``)."""

    value: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"

    @property
    def n(self) -> int:
        """The number a plural agrees with: "10,000+ units" is more than 10,000."""
        return self.value + 1 if self.capped else self.value


def capped_count(query, cap: int = COUNT_CAP) -> Count:
    """The rows of ``query``, counted up to ``cap``: reads at most ``cap + 1`` of them."""
    counted = query.order_by().limit(cap + 1).count()
    return Count(cap, True) if counted > cap else Count(counted)


@dataclass
class Overview:
    offices: Count
    customers: Count
    active_contracts: Count
    units: Count
    in_warranty: Count
    ending_soon: Count
    under_repair: Count
    recent: list = field(default_factory=list)


def overview(user, today: dt.date, recent: int = 10, cap: int = COUNT_CAP) -> Overview:
    """Counts over the rows ``user`` may see; ``recent`` latest audit entries among them.

    The warranty counts read the dates stored on each unit, which the rule
    engine decided when the unit was saved; nothing is re-decided here.
    """
    units = visible(Unit, user)
    used = units.where(in_use())
    covered = used.where(in_warranty(today))
    return Overview(
        offices=capped_count(visible(Office, user), cap),
        customers=capped_count(visible(Customer, user), cap),
        active_contracts=capped_count(visible(Contract, user).where(
            Contract.status == ContractStatus.ACTIVE), cap),
        units=capped_count(used, cap),
        in_warranty=capped_count(covered, cap),
        ending_soon=capped_count(covered.where(
            warranty_ends_within(today, ENDING_SOON_DAYS)), cap),
        under_repair=capped_count(units.where(Unit.status == UnitStatus.UNDER_REPAIR), cap),
        recent=list(visible(AuditEntry, user).order_by(AuditEntry.id.desc()).limit(recent)),
    )
