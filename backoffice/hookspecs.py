"""Every hook of the rule engine, documented where it is declared.

A rule plugin is a module (or any object) with functions named after these
hooks and marked with :data:`hookimpl`. The back-office asks the rule engine
for every decision; the engine calls the hooks through one typed wrapper
(:meth:`backoffice.plugins.RuleEngine.call`) which:

* asks, for a contract's decisions, **the plugins the contract enables, in the
  order the contract lists them, then the defaults** (the charter, ``trylast``);
* passes only the arguments an implementation names, plus ``settings``: *that*
  plugin's settings for *that* contract (a dict, ``{}`` when none);
* for a ``firstresult`` hook, takes the first answer that is not ``None`` and
  has the declared type; an implementation that raises or answers with the
  wrong type is logged (plugin, contract, hook), counted, and skipped, so the
  decision falls through to the next implementation and at last the charter
  (an answer that makes no sense counts too: a deadline before receipt, a
  replacement window opening before confirmation, fewer than 1 visit a year);
* for a collecting hook, concatenates every plugin's list, skipping the same way;
* fills in ``decided_by`` with the plugin's name when the plugin left it empty.

Value objects (the return types) are defined at the end of this module, so a
plugin needs one import::

    from backoffice.hookspecs import Deadline, hookimpl

    @hookimpl
    def arrival_deadline(received, distance_km, settings):
        if distance_km <= settings.get("radius_km", 50):
            return Deadline(received + dt.timedelta(hours=4))
        return None  # no opinion: the next plugin, at last the charter, decides

Parameters shared by most hooks:

``contract``
    the :class:`~backoffice.models.Contract` the decision is for, or ``None``
    (a preview with no contract: then only the defaults answer).
``terms``
    the :class:`~backoffice.terms.Terms` in force for the contract: the term
    set version it is pinned to, or the standard charter terms. Plugins change
    *logic*; term sheets change *numbers*; ``terms.label`` ("charter v1")
    names the numbers in a ``decided_by``.
``settings``
    this plugin's settings for this contract (``Contract.plugins[name]``).

Times are timezone-aware ``datetime`` objects in the service center's time zone
(``TIMEZONE``, default Asia/Shanghai); dates are ``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pluggy
from flask_admin import BaseView

PROJECT = "backoffice"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- fault response: deadlines ---------------------------------------------------

@hookspec(firstresult=True)
def reply_deadline(received: dt.datetime, contract, terms, settings) -> Deadline | None:
    """When the definite reply to a fault report is due. First non-None result wins.

    :param received: when the office or HQ service department logged the report
        (aware datetime).
    :param contract: the unit's contract, or ``None``.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Deadline`, or ``None`` for no opinion.

    The charter answers ``received + terms.reply_hours`` (2 h in the standard
    terms) with ``decided_by="charter v1: reply within 2 h"``.

    Example: a contract promising a reply within 30 minutes::

        @hookimpl
        def reply_deadline(received):
            return Deadline(received + dt.timedelta(minutes=30), "reply in 30 min")
    """


@hookspec(firstresult=True)
def arrival_deadline(received: dt.datetime, distance_km: float, site, contract, terms,
                     settings) -> Deadline | None:
    """When an engineer must be on site. First non-None result wins.

    :param received: when the fault report was logged (aware datetime).
    :param distance_km: road distance from the serving office to the site, in
        km (road distance where known, else great-circle distance x the
        configured ``road_factor``).
    :param site: the :class:`~backoffice.models.Site`, or ``None`` in a preview.
    :param contract: the unit's contract, or ``None``.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Deadline`, or ``None`` for no opinion.

    The charter counts from receipt, by distance band (standard terms):
    ``d <= 100`` km: 6 h; ``100 < d <= 500`` km: 12 h; ``d > 500`` km: 24 h.
    The charter's text says "101 to 500 km" and "500 km or more", which leaves
    100-101 km unassigned and claims exactly 500 km twice. The back-office reads
    every band as closed above and open below: 100.01 km is in the 12 h band
    and exactly 500 km keeps the shorter, customer-friendlier 12 h promise.
    ``decided_by`` names the band: ``"charter v1: arrival band 100-500 km"``.

    Example: 4 h within 50 km (see ``plugins/near_site_4h.py``)::

        @hookimpl
        def arrival_deadline(received, distance_km):
            if distance_km <= 50:
                return Deadline(received + dt.timedelta(hours=4))
    """


@hookspec(firstresult=True)
def replacement_window(confirmed: dt.date, contract, terms, settings) -> Window | None:
    """When a replacement product of the same grade must be on site. First non-None wins.

    :param confirmed: the day the replacement was confirmed.
    :param contract: the unit's contract, or ``None``.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Window` (earliest and latest day, both included), or ``None``.

    The charter answers ``confirmed + 5`` days to ``confirmed + 10`` days.

    Example: a fixed 3-day window::

        @hookimpl
        def replacement_window(confirmed):
            return Window(confirmed + dt.timedelta(days=1), confirmed + dt.timedelta(days=3))
    """


# -- warranty and charge ---------------------------------------------------------

@hookspec(firstresult=True)
def warranty_period(unit, product, contract, terms, settings) -> Period | None:
    """The first and last day a unit is in warranty. First non-None result wins.

    Not asked when the unit's dates were set by hand (``unit.warranty_by_hand``).

    :param unit: the :class:`~backoffice.models.Unit` (``accepted_on`` may be ``None``).
    :param product: the unit's :class:`~backoffice.models.Product`, or ``None``.
    :param contract: the unit's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Period` (``start``/``end`` may both be ``None``: not
        accepted yet), or ``None`` for no opinion.

    The charter: from acceptance for the contract's ``warranty_months``, else
    the term set's ``warranty.months``, else the product's standard months; the
    last covered day is the day before the anniversary.

    Example: warranty from installation instead of acceptance::

        @hookimpl
        def warranty_period(unit, product):
            if unit.installed_on:
                return Period(unit.installed_on, unit.installed_on + dt.timedelta(days=730))
    """


@hookspec(firstresult=True)
def coverage(unit, on: dt.date, cause: str | None, contract, terms, settings) -> Coverage | None:
    """Whether a service on ``unit`` on day ``on`` is covered, and who pays. First non-None wins.

    :param unit: the :class:`~backoffice.models.Unit`, with its warranty dates.
    :param on: the day of the fault or service.
    :param cause: the root cause when known: ``"quality"`` (the product's
        quality), ``"customer_use"`` (the customer's use), ``"other"``, or
        ``None`` (not known yet).
    :param contract: the unit's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Coverage`, or ``None`` for no opinion.

    The charter: inside warranty the service is free whatever the cause; after
    warranty a quality fault is still repaired or replaced free, a fault of the
    customer's use is negotiated, another cause is chargeable, and an unknown
    cause is ``undetermined`` until the root cause is found.

    Example: lifetime free service for one key account::

        @hookimpl
        def coverage(unit, on):
            return Coverage(True, Charge.FREE, "lifetime service agreement")
    """


# -- dispatch and escalation (used by the failure-response capability) -----------

@hookspec(firstresult=True)
def dispatch_ranking(ticket, candidates: list, contract, terms, settings) -> list | None:
    """The order in which to propose engineers for a ticket. First non-None result wins.

    :param ticket: the fault ticket being dispatched.
    :param candidates: :class:`DispatchCandidate` objects (engineer, office,
        distance, spare in stock), in the charter's order.
    :param contract: the unit's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: the same candidates reordered (a ``list``; dropping some is
        allowed), or ``None``.

    The charter: nearest office with the spare in stock first, then nearest.

    Example: always prefer a named engineer::

        @hookimpl
        def dispatch_ranking(candidates, settings):
            first = [c for c in candidates if c.engineer == settings.get("engineer")]
            return first + [c for c in candidates if c not in first]
    """


@hookspec(firstresult=True)
def escalation_ladder(ticket, contract, terms, settings) -> list | None:
    """Who is warned, and when, as a ticket nears or passes a deadline. First non-None wins.

    :param ticket: the fault ticket.
    :param contract: the unit's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a ``list`` of :class:`EscalationStep`, or ``None``.

    The charter: the office manager at 75 % of the arrival time, HQ service
    department at the breach.

    Example::

        @hookimpl
        def escalation_ladder():
            return [EscalationStep("arrival", 0.5, "office_manager")]
    """


# -- liability, duty, visits (later capabilities) --------------------------------

@hookspec(firstresult=True)
def negotiation_steps(ticket, cause: str | None, contract, terms, settings) -> list | None:
    """The steps of a liability negotiation for a ticket. First non-None result wins.

    :param ticket: the fault ticket whose liability is negotiated.
    :param cause: the root cause found (see :func:`coverage`).
    :param contract: the unit's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a ``list`` of ``str`` step names, in order, or ``None``.

    The charter: ``["root cause report", "proposal", "customer response",
    "agreement"]``; each step is recorded with who and when.

    Example::

        @hookimpl
        def negotiation_steps():
            return ["root cause report", "agreement"]
    """


@hookspec(firstresult=True)
def duty_staffing(request, contract, terms, settings) -> Staffing | None:
    """What an on-duty request needs: how many people, with which skills. First non-None wins.

    :param request: the on-duty request (site, period, circumstances).
    :param contract: the customer's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Staffing`, or ``None``.

    The charter: one engineer, no particular skill.

    Example::

        @hookimpl
        def duty_staffing():
            return Staffing(2, ("high voltage",))
    """


@hookspec(firstresult=True)
def visit_frequency(customer, contract, terms, settings) -> int | None:
    """How many return visits a year a customer is planned. First non-None result wins.

    :param customer: the :class:`~backoffice.models.Customer`.
    :param contract: the contract the plan is made for, or ``None``.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: visits per year (``int``, at least 1), or ``None``.

    The charter: ``terms.visits_per_year`` (1 in the standard terms).

    Example::

        @hookimpl
        def visit_frequency():
            return 4
    """


# -- collections -------------------------------------------------------------------

@hookspec
def notification_channels(contract, settings) -> list:
    """Extra channels a contract's notices are sent through. Every plugin's lists are joined.

    :param contract: the contract whose notice is being sent, or ``None``.
    :param settings: this plugin's settings for the contract.
    :returns: a ``list`` of :class:`Channel` (``[]`` or ``None`` to add nothing).

    The charter adds none (the worker's notice to the serving office needs no plugin).

    Example::

        @hookimpl
        def notification_channels(settings):
            return [Channel("sms", settings["phone"])]
    """


@hookspec
def admin_views() -> list:
    """Extra Flask-Admin views. Asked once at start-up of every loaded plugin; lists joined.

    Not per contract: a view a plugin adds is in the menu for everyone who may
    open it (use ``backoffice.admin.base.SecureView`` to restrict it).

    :returns: a ``list`` of Flask-Admin view instances, or ``None``.

    Example::

        @hookimpl
        def admin_views():
            return [MyReport(name="My report", endpoint="my_report", category="Rules")]
    """


@hookspec
def check_settings(settings: dict) -> list:
    """Problems in this plugin's settings for a contract. Asked only of the plugin concerned.

    Called when a contract that enables the plugin is saved (the admin shows each
    problem as a form error) and by ``backoffice plugins check``.

    :param settings: the settings the contract gives the plugin.
    :returns: a ``list`` of ``str``, one per problem; ``[]`` or ``None`` when all is well.

    Example::

        @hookimpl
        def check_settings(settings):
            if not isinstance(settings.get("radius_km", 50), (int, float)):
                return ["radius_km must be a number"]
            return []
    """


# -- value objects: what the hooks return -----------------------------------------

@dataclass(frozen=True)
class Deadline:
    """A due time. ``due`` must be timezone-aware."""

    due: dt.datetime
    decided_by: str = ""

    def __post_init__(self):
        if not isinstance(self.due, dt.datetime) or self.due.tzinfo is None:
            raise TypeError(f"Deadline.due must be an aware datetime, got {self.due!r}")


@dataclass(frozen=True)
class Window:
    """A window of days, both ends included."""

    earliest: dt.date
    latest: dt.date
    decided_by: str = ""

    def __post_init__(self):
        if not (isinstance(self.earliest, dt.date) and isinstance(self.latest, dt.date)):
            raise TypeError("Window.earliest and Window.latest must be dates")
        if self.latest < self.earliest:
            raise ValueError(f"Window ends ({self.latest}) before it starts ({self.earliest})")


@dataclass(frozen=True)
class Period:
    """A warranty period: first and last covered day (both ``None``: not started)."""

    start: dt.date | None
    end: dt.date | None
    decided_by: str = ""


class Charge:
    """Who pays for a service."""

    FREE = "free"
    CHARGEABLE = "chargeable"
    NEGOTIATE = "negotiate"
    UNDETERMINED = "undetermined"
    ALL = (FREE, CHARGEABLE, NEGOTIATE, UNDETERMINED)


class Cause:
    """Root causes of a fault, as passed to :func:`coverage`."""

    QUALITY = "quality"
    CUSTOMER_USE = "customer_use"
    OTHER = "other"
    ALL = (QUALITY, CUSTOMER_USE, OTHER)


@dataclass(frozen=True)
class Coverage:
    """A coverage verdict: ``covered`` = in warranty; ``charge`` one of :class:`Charge`."""

    covered: bool
    charge: str
    reason: str
    decided_by: str = ""

    def __post_init__(self):
        if self.charge not in Charge.ALL:
            raise ValueError(f"Coverage.charge must be one of {Charge.ALL}, got {self.charge!r}")


@dataclass(frozen=True)
class DispatchCandidate:
    engineer: object
    office: object
    distance_km: float
    spare_in_stock: bool


@dataclass(frozen=True)
class EscalationStep:
    """Warn ``notify`` (a role) when ``fraction`` of the time to ``deadline`` has passed."""

    deadline: str
    fraction: float
    notify: str


@dataclass(frozen=True)
class Staffing:
    people: int
    skills: tuple[str, ...] = ()
    decided_by: str = ""


@dataclass(frozen=True)
class Channel:
    kind: str
    address: str
    options: dict = field(default_factory=dict)


#: the type each hook's result must have (a collecting hook: each item's type);
#: the typed wrapper checks it, and the docs test checks every hook is listed.
RESULT_TYPES: dict[str, type] = {
    "reply_deadline": Deadline,
    "arrival_deadline": Deadline,
    "replacement_window": Window,
    "warranty_period": Period,
    "coverage": Coverage,
    "dispatch_ranking": list,
    "escalation_ladder": list,
    "negotiation_steps": list,
    "duty_staffing": Staffing,
    "visit_frequency": int,
    "notification_channels": Channel,
    "admin_views": BaseView,
    "check_settings": str,
}

#: hooks that are not about one contract: every loaded plugin is asked
GLOBAL_HOOKS = ("admin_views",)
#: hooks asked only of the plugin whose settings they check
OWN_PLUGIN_HOOKS = ("check_settings",)
