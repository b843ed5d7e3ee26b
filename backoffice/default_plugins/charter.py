"""The charter's standard rules as a plugin: the fallback of every decision.

Numbers come from ``terms`` (the term set version a contract is pinned to, or
the standard terms), so a term sheet changes them without code; the logic here
is the charter's. Every answer's ``decided_by`` names the terms and the rule,
e.g. ``"charter v1: arrival band 100-500 km"``, and its ``why`` says the same as a
code with parameters (:class:`~backoffice.hookspecs.Reason`), which the screens show
in the reader's language; ``decided_by`` is that reason's English
(:func:`backoffice.labels.reason_words`), so the two never disagree.
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
    Reason,
    Staffing,
    Window,
    hookimpl,
)
from ..i18n import _
from ..labels import reason_words


def standard_warranty_period(accepted_on, months):
    """Warranty runs from acceptance for ``months``; the last covered day is the day before."""
    if accepted_on is None or months is None:
        return None, None
    return accepted_on, add_months(accepted_on, months) - dt.timedelta(days=1)


def _why(terms, code: str, **params) -> dict:
    """``decided_by`` and ``why`` of an answer: the rule ``code`` with its numbers."""
    why = Reason(code, params, terms.label)
    return {"decided_by": reason_words(why, translate=False), "why": why}


# Deadlines are durations from receipt: the service counts them on the terms' clock.

@hookimpl(trylast=True)
def reply_deadline(terms):
    return Deadline(within=dt.timedelta(hours=terms.reply_hours),
                    **_why(terms, "reply_within", hours=terms.reply_hours))


@hookimpl(trylast=True)
def arrival_deadline(distance_km, terms):
    # bands are closed above: exactly 100 km is the 6 h band, exactly 500 km the 12 h
    # band (the charter's "101-500" and "500 or more" overlap at 500; see the hookspec)
    band, _name = terms.band_for(float(distance_km))
    index = terms.bands.index(band)
    lower = terms.bands[index - 1].max_km if index else 0.0
    why = (_why(terms, "arrival_beyond", lower=lower) if band.max_km is None
           else _why(terms, "arrival_band", lower=lower, upper=band.max_km))
    return Deadline(within=dt.timedelta(hours=band.hours), **why)


@hookimpl(trylast=True)
def replacement_window(confirmed, terms):
    if isinstance(confirmed, dt.datetime):
        confirmed = confirmed.date()
    first, last = terms.replacement_earliest_days, terms.replacement_latest_days
    return Window(confirmed + dt.timedelta(days=first), confirmed + dt.timedelta(days=last),
                  **_why(terms, "replacement_days", earliest=first, latest=last))


@hookimpl(trylast=True)
def warranty_period(unit, product, contract, terms):
    if contract is not None and contract.warranty_months is not None:
        months, code = contract.warranty_months, "warranty_contract_months"
    elif terms.warranty_months is not None:
        months, code = terms.warranty_months, "warranty_term_set_months"
    elif product is not None:
        months, code = product.warranty_months, "warranty_product_months"
    else:
        months, code = None, ""
    start, end = standard_warranty_period(unit.accepted_on, months)
    return Period(start, end, **(_why(terms, code, months=months) if start
                                 else _why(terms, "warranty_at_acceptance")))


@hookimpl(trylast=True)
def coverage(unit, on, cause, terms):
    start, end = unit.warranty_start, unit.warranty_end
    if start is not None and end is not None and start <= on <= end:
        return Coverage(True, Charge.FREE, _("in warranty"), **_why(terms, "free_in_warranty"))
    if start is None or end is None:
        reason = _("not accepted yet: warranty has not started")
    elif on < start:
        reason = _("before warranty start")
    else:
        reason = _("warranty ended")
    if cause == Cause.QUALITY:
        charge, rule = Charge.FREE, "quality_free_after_warranty"
    elif cause == Cause.CUSTOMER_USE:
        charge, rule = Charge.NEGOTIATE, "customer_use_negotiated"
    elif cause is None:
        charge, rule = Charge.UNDETERMINED, "charge_after_root_cause"
    else:
        charge, rule = Charge.CHARGEABLE, "chargeable_out_of_warranty"
    return Coverage(False, charge, reason, **_why(terms, rule))


@hookimpl(trylast=True)
def dispatch_ranking(candidates):
    # present first, then in time, then with the spare, then nearest, then least busy
    return sorted(candidates, key=lambda c: (c.on_leave, not c.reachable_in_time,
                                             not c.spare_in_stock, c.distance_km,
                                             c.open_tickets))


@hookimpl(trylast=True)
def escalation_ladder(terms):
    # for each promise: warn the one who works it and the office, tell the office and HQ
    # at the breach, and the head of service once the breach has lasted
    lasted = dt.timedelta(hours=terms.head_after_hours)
    steps = []
    for milestone in ("reply", "arrival"):
        steps += [EscalationStep(milestone, terms.warning_share, "engineer"),
                  EscalationStep(milestone, terms.warning_share, "office_manager"),
                  EscalationStep(milestone, 1.0, "office_manager"),
                  EscalationStep(milestone, 1.0, "hq"),
                  EscalationStep(milestone, 1.0, "head_of_service", after=lasted)]
    return steps


@hookimpl(trylast=True)
def negotiation_steps():
    return ["root cause report", "proposal", "customer response", "agreement"]


@hookimpl(trylast=True)
def duty_staffing(terms):
    return Staffing(1, (), **_why(terms, "one_engineer_on_duty"))


@hookimpl(trylast=True)
def visit_frequency(terms):
    return terms.visits_per_year


@hookimpl(trylast=True)
def notification_channels():
    return []  # the worker's own notice to the serving office needs no plugin

