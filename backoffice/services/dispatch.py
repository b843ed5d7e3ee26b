"""Whom to send to a ticket: a ranked list of engineers, each with the facts and a why.

For every active engineer the recommendation gathers, in a handful of queries
whatever the number of engineers:

* **distance**: from the engineer's office to the site: for the serving office the
  site's recorded road distance where there is one, else (and for every other
  office) the great-circle distance times ``road_factor`` (:mod:`backoffice.geo`);
  unknown (``math.inf``) when the site has neither;
* **reachable in time**: leaving *now* from their office and driving that distance
  at the configured average speed (``travel_speed_kmh``, 60 km/h by default) without
  stops, they would be on site before the ticket's arrival due (the stored due time:
  a paused ticket's moves on when it resumes). An unknown distance is not reachable;
  a ticket with no open arrival deadline makes everyone reachable;
* **open tickets** in hand (dispatched to them and not restored, closed or cancelled);
* **leave**: a :class:`~backoffice.models.StaffLeave` on a day from today to the
  arrival due day;
* **skills** against the product: the free-text skills name the product's model
  (``UPS-HP10``), its family (the model's leading letters: ``ups``, ``bat`` matches
  ``battery``) or every word of its grade (``data-centre``);
* **spare in stock**: the engineer's office holds at least one of the unit's product.

The order is the rule engine's ``dispatch_ranking`` (the charter: not on leave, then
reachable, then spare, then nearest, then fewer open tickets), asked with the
ticket's contract. Each :class:`Recommendation` carries a ``why`` in the reader's
language; :func:`send` dispatches one (the first by default) through
:func:`backoffice.services.tickets.dispatch`, which stores the engineer and the why
on the ticket.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from flask import current_app
from peewee import fn

from ..access import AccessDenied, can_see
from ..clock import local, now
from ..geo import great_circle_km, site_distance
from ..hookspecs import DispatchCandidate
from ..i18n import _
from ..labels import Role
from ..models import Contract, Office, Product, RuleViolation, Site, Staff, StaffLeave, Unit
from ..models.tickets import OPEN_STATES, Ticket
from ..plugins import current_engine
from . import stock, tickets

#: the ``why`` stored on a ticket is at most this long (``Ticket.dispatch_why``)
WHY_LENGTH = 300


@dataclass(frozen=True)
class Recommendation:
    """One engineer as the ranking placed them, with what it weighed and why."""

    #: 1 for the first proposed
    rank: int
    candidate: DispatchCandidate
    #: how the distance was obtained: ``"road"``, ``"estimated"`` or ``""`` (unknown)
    distance_how: str
    #: when they would be on site leaving now (center's zone), ``None`` when unknown
    can_arrive: dt.datetime | None
    #: the leave that takes them out, if any
    leave: StaffLeave | None
    why: str

    @property
    def engineer(self):
        return self.candidate.engineer

    @property
    def office(self):
        return self.candidate.office


def travel_speed_kmh() -> float:
    return float(current_app.config["TRAVEL_SPEED_KMH"])


def skills_match(skills: str, product) -> bool:
    """Do the free-text ``skills`` name ``product``'s model, family or grade?"""
    text = (skills or "").casefold()
    if not text or product is None:
        return False
    model = (product.model or "").casefold()
    if model and model in text:
        return True
    words = set(_WORD.findall(text))
    family = re.match(r"[^\W\d_]+", model)
    if family and len(family.group()) >= 2 and any(w.startswith(family.group()) for w in words):
        return True
    grade = _WORD.findall((product.grade or "").casefold())
    return bool(grade) and all(word in words for word in grade)


_WORD = re.compile(r"[^\W_]+")


def recommend(user, ticket, *, at: dt.datetime | None = None) -> list[Recommendation]:
    """The engineers to propose for ``ticket``, best first (the user must see the ticket)."""
    if not can_see(ticket, user):
        raise AccessDenied()
    at = at or now()
    facts = _facts(ticket, at)
    contract = Contract.get_or_none(Contract.id == ticket.contract_id) \
        if ticket.contract_id else None
    ranked = current_engine().dispatch_ranking(contract, ticket,
                                               [f.candidate for f in facts.values()])
    result = []
    for candidate in ranked:
        known = facts.get(getattr(candidate.engineer, "id", None))
        if known is None:  # a plugin's own invention: not an engineer we know
            continue
        rank = len(result) + 1
        result.append(Recommendation(rank, candidate, known.how, known.can_arrive, known.leave,
                                     _why(rank, len(ranked), candidate, known, ticket)))
    return result


def send(user, ticket, engineer=None, *, at: dt.datetime | None = None) -> Ticket:
    """Dispatch ``engineer`` (default: the first recommended) with the recommendation's
    why and planned arrival; an engineer on leave is refused (code ``on_leave``)."""
    ranked = recommend(user, ticket, at=at)
    if engineer is None:
        chosen = next(iter(ranked), None)
        if chosen is None:
            raise RuleViolation(_("No engineer can be proposed for this ticket."), "engineer",
                                "invalid")
    else:
        chosen = next((r for r in ranked if r.engineer.id == engineer.id), None)
    if chosen is None:
        return tickets.dispatch(user, ticket, engineer,
                                why=_("chosen by hand (not among the proposed engineers)"))
    if chosen.candidate.on_leave:
        raise RuleViolation(_("%(name)s is on leave; choose another engineer.",
                              name=chosen.engineer.name), "engineer", "on_leave")
    return tickets.dispatch(user, ticket, chosen.engineer, planned_arrival=chosen.can_arrive,
                            why=chosen.why)


# -- the facts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Facts:
    candidate: DispatchCandidate
    how: str
    can_arrive: dt.datetime | None
    deadline: dt.datetime | None
    leave: StaffLeave | None
    product: Product | None


def _facts(ticket, at: dt.datetime) -> dict[int, _Facts]:
    """Engineer id -> their facts, nearest office first."""
    engineers = list(Staff.select().where((Staff.role == Role.ENGINEER) & Staff.active
                                          & Staff.office.is_null(False)))
    if not engineers:
        return {}
    ids = [e.id for e in engineers]
    offices = {o.id: o for o in Office.select().where(
        Office.id.in_(sorted({e.office_id for e in engineers})))}
    site = Site.get_or_none(Site.id == ticket.site_id) if ticket.site_id else None
    unit = Unit.get_or_none(Unit.id == ticket.unit_id) if ticket.unit_id else None
    product = Product.get_or_none(Product.id == unit.product_id) if unit else None
    factor = float(current_app.config["ROAD_FACTOR"])
    speed = travel_speed_kmh()
    deadline = (local(ticket.arrival_due) if ticket.arrival_due is not None
                and ticket.arrived_at is None else None)
    first_day = at.date()
    last_day = max(first_day, deadline.date()) if deadline else first_day

    busy = dict(Ticket.select(Ticket.engineer, fn.COUNT(Ticket.id))
                .where(Ticket.engineer.in_(ids) & Ticket.state.in_(list(OPEN_STATES))
                       & (Ticket.id != ticket.id))
                .group_by(Ticket.engineer).tuples())
    leaves: dict[int, StaffLeave] = {}
    for leave in (StaffLeave.select().where(StaffLeave.staff.in_(ids)
                                            & (StaffLeave.starts_on <= last_day)
                                            & (StaffLeave.ends_on >= first_day))
                  .order_by(StaffLeave.starts_on)):
        leaves.setdefault(leave.staff_id, leave)
    holding = stock.offices_holding(product, offices) if product else set()

    distances = {office_id: _distance(ticket, site, office, factor)
                 for office_id, office in offices.items()}
    facts = {}
    for engineer in sorted(engineers, key=lambda e: (distances[e.office_id][0], e.name)):
        km, how = distances[engineer.office_id]
        can_arrive = at + dt.timedelta(hours=km / speed) if math.isfinite(km) else None
        reachable = deadline is None or (can_arrive is not None and can_arrive <= deadline)
        candidate = DispatchCandidate(
            engineer, offices[engineer.office_id], km, engineer.office_id in holding,
            reachable_in_time=reachable, open_tickets=int(busy.get(engineer.id, 0)),
            on_leave=engineer.id in leaves, skills_match=skills_match(engineer.skills, product))
        facts[engineer.id] = _Facts(candidate, how, can_arrive, deadline,
                                    leaves.get(engineer.id), product)
    return facts


def _distance(ticket, site, office, factor: float) -> tuple[float, str]:
    """Road km from ``office`` to the ticket's site and how it was obtained."""
    if office.id == ticket.office_id:
        found = site_distance(site, office, factor)
        return (found.km, found.how) if found else (math.inf, "")
    if site is None or site.latitude is None:
        return math.inf, ""
    km = great_circle_km(office.latitude, office.longitude, site.latitude, site.longitude)
    return round(km * factor, 1), "estimated"


# -- why -----------------------------------------------------------------------------------

def _when(value: dt.datetime) -> str:
    return value.strftime("%m-%d %H:%M")


def _why(rank: int, total: int, candidate: DispatchCandidate, facts: _Facts, ticket) -> str:
    """One line saying what the ranking weighed for this engineer, in the reader's language."""
    parts = [_("#%(rank)d of %(total)d: %(name)s (%(office)s)", rank=rank, total=total,
               name=candidate.engineer.name, office=str(candidate.office))]
    if facts.leave is not None:
        parts.append(_("on leave %(first)s to %(last)s", first=facts.leave.starts_on.isoformat(),
                       last=facts.leave.ends_on.isoformat())
                     + (f" ({facts.leave.reason})" if facts.leave.reason else ""))
    if math.isfinite(candidate.distance_km):
        km = f"{candidate.distance_km:.0f}"
        parts.append(_("%(km)s km by road", km=km) if facts.how == "road"
                     else _("%(km)s km (estimated)", km=km))
    else:
        parts.append(_("distance unknown"))
    speed = f"{travel_speed_kmh():g}"
    if facts.deadline is None:
        pass  # nothing to be in time for (arrived already, or no deadline)
    elif candidate.reachable_in_time:
        parts.append(_("on site by %(when)s at %(speed)s km/h, before the arrival due "
                       "%(due)s", when=_when(facts.can_arrive), speed=speed,
                       due=_when(facts.deadline)))
    elif facts.can_arrive is not None:
        parts.append(_("on site %(when)s at %(speed)s km/h, after the arrival due %(due)s",
                       when=_when(facts.can_arrive), speed=speed, due=_when(facts.deadline)))
    else:
        parts.append(_("cannot say whether on site before the arrival due %(due)s",
                       due=_when(facts.deadline)))
    if facts.product is not None:
        model = facts.product.model
        parts.append(_("spare %(model)s in stock", model=model) if candidate.spare_in_stock
                     else _("no spare %(model)s in stock", model=model))
        if candidate.skills_match:
            parts.append(_("skills match %(model)s", model=facts.product.model))
    parts.append(_("%(n)d open ticket(s)", n=candidate.open_tickets))
    return "; ".join(parts)[:WHY_LENGTH]
