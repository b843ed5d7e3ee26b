"""The charter's standard rules as a plugin: the fallback of every decision.

Numbers come from ``terms`` (the term set version a contract is pinned to, or
the standard terms), so a term sheet changes them without code; the logic here
is the charter's. Every answer's ``decided_by`` names the terms and the rule,
e.g. ``"charter v1: arrival band 100-500 km"``.
"""

from __future__ import annotations

import datetime as dt

from ..clock import add_months
from ..hookspecs import (
    Cause,
    Charge,
    Coverage,
    Deadline,
    EscalationStep,
    Period,
    Staffing,
    Window,
    hookimpl,
)
from ..i18n import _


def standard_warranty_period(accepted_on, months):
    """Warranty runs from acceptance for ``months``; the last covered day is the day before."""
    if accepted_on is None or months is None:
        return None, None
    return accepted_on, add_months(accepted_on, months) - dt.timedelta(days=1)


# Deadlines are durations from receipt: the service counts them on the terms' clock.

@hookimpl(trylast=True)
def reply_deadline(terms):
    return Deadline(within=dt.timedelta(hours=terms.reply_hours),
                    decided_by=f"{terms.label}: reply within {terms.reply_hours:g} h")


@hookimpl(trylast=True)
def arrival_deadline(distance_km, terms):
    # bands are closed above: exactly 100 km is the 6 h band, exactly 500 km the 12 h
    # band (the charter's "101-500" and "500 or more" overlap at 500; see the hookspec)
    band, name = terms.band_for(float(distance_km))
    return Deadline(within=dt.timedelta(hours=band.hours), decided_by=f"{terms.label}: {name}")


@hookimpl(trylast=True)
def replacement_window(confirmed, terms):
    if isinstance(confirmed, dt.datetime):
        confirmed = confirmed.date()
    first, last = terms.replacement_earliest_days, terms.replacement_latest_days
    return Window(confirmed + dt.timedelta(days=first), confirmed + dt.timedelta(days=last),
                  f"{terms.label}: replacement {first}-{last} days after confirmation")


@hookimpl(trylast=True)
def warranty_period(unit, product, contract, terms):
    if contract is not None and contract.warranty_months is not None:
        months, source = contract.warranty_months, "contract"
    elif terms.warranty_months is not None:
        months, source = terms.warranty_months, "term set"
    elif product is not None:
        months, source = product.warranty_months, "product"
    else:
        months, source = None, ""
    start, end = standard_warranty_period(unit.accepted_on, months)
    return Period(start, end, f"{terms.label}: {months} months from acceptance ({source})"
                  if start else f"{terms.label}: warranty starts at acceptance")


@hookimpl(trylast=True)
def coverage(unit, on, cause, terms):
    start, end = unit.warranty_start, unit.warranty_end
    if start is not None and end is not None and start <= on <= end:
        return Coverage(True, Charge.FREE, _("in warranty"),
                        f"{terms.label}: free service inside warranty")
    if start is None or end is None:
        reason = _("not accepted yet: warranty has not started")
    elif on < start:
        reason = _("before warranty start")
    else:
        reason = _("warranty ended")
    if cause == Cause.QUALITY:
        charge, rule = Charge.FREE, "quality fault free also after warranty"
    elif cause == Cause.CUSTOMER_USE:
        charge, rule = Charge.NEGOTIATE, "customer-use fault: the parties negotiate"
    elif cause is None:
        charge, rule = Charge.UNDETERMINED, "out of warranty: charge follows the root cause"
    else:
        charge, rule = Charge.CHARGEABLE, "out of warranty, not a quality fault"
    return Coverage(False, charge, reason, f"{terms.label}: {rule}")


@hookimpl(trylast=True)
def dispatch_ranking(candidates):
    return sorted(candidates, key=lambda c: (not c.spare_in_stock, c.distance_km))


@hookimpl(trylast=True)
def escalation_ladder():
    return [EscalationStep("reply", 0.75, "office_manager"),
            EscalationStep("arrival", 0.75, "office_manager"),
            EscalationStep("arrival", 1.0, "hq")]


@hookimpl(trylast=True)
def negotiation_steps():
    return ["root cause report", "proposal", "customer response", "agreement"]


@hookimpl(trylast=True)
def duty_staffing(terms):
    return Staffing(1, (), f"{terms.label}: one engineer on duty")


@hookimpl(trylast=True)
def visit_frequency(terms):
    return terms.visits_per_year


@hookimpl(trylast=True)
def notification_channels():
    return []  # the worker's own notice to the serving office needs no plugin

