"""Every hook of the rule engine, documented where it is declared.

A rule plugin is a module (or any object) with functions named after these
hooks and marked with :data:`hookimpl`. The back-office asks the rule engine
for every decision through its typed facade (one method per hook on
:class:`backoffice.plugins.RuleEngine`, e.g. ``engine.reply_deadline(contract,
received)``), which:

* asks, for a contract's decisions, **the plugins the contract enables, in the
  order the contract lists them, then the defaults** (the charter, ``trylast``);
  a contract plugin's ``tryfirst``/``trylast``/wrapper markers are refused when
  it is registered, because the contract's own order decides;
* passes only the arguments an implementation names, plus ``settings``: *that*
  plugin's settings for *that* contract (a dict, ``{}`` when none);
* for a decision (``firstresult``), takes the first answer that is not ``None``
  and has the declared type; an implementation that raises or answers with the
  wrong type is logged (plugin, contract, hook, and the traceback), counted, and
  skipped, so the decision falls through to the next implementation and at last
  the charter (an answer that makes no sense counts too: a deadline before
  receipt, a replacement window opening before confirmation, fewer than 1 visit
  a year);
* for a collecting hook, concatenates every plugin's list, skipping the same way;
* fills in ``decided_by`` with the plugin's name when the plugin left it empty.

Each hook is declared once, with its answer type and sense check, by
:func:`decision` or :func:`collection` (:data:`DECLARATIONS` lists them).

**Reasons.** ``decided_by`` is plain text: what the API, the command line and
the logs show, exactly as written. A plugin writes its own (the engine prefixes
the plugin's name) and the screens show it as the author wrote it. The
charter's answers also carry ``why``, a :class:`Reason`: the rule's code and
its numbers, which the screens render in the reader's language
(:func:`backoffice.labels.reason_text`); its English rendering *is* the
charter's ``decided_by``. ``why`` is the defaults' vocabulary: the engine drops
it from another plugin's answer, so a screen never shows a plugin's decision in
the charter's words.

**Deadlines are durations or times.** A deadline hook answers
``Deadline(within=timedelta(hours=4))`` ("4 h after receipt", counted on the
clock of the contract's terms: elapsed time for the charter's ``24x7`` clock,
working time on a business calendar, paused time added) or, when the rule is
about the calendar itself, an absolute ``Deadline(due=aware_datetime)``. Prefer
a duration: the service that owns deadlines then applies calendars and pauses
for you.

Value objects (the return types) come first in this module, so a plugin needs
one import::

    from backoffice.hookspecs import Deadline, hookimpl

    @hookimpl
    def arrival_deadline(distance_km, settings):
        if distance_km <= settings.get("radius_km", 50):
            return Deadline(within=dt.timedelta(hours=4))
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
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pluggy

from .labels import Cause, Charge

PROJECT = "backoffice"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- value objects: what the hooks return -----------------------------------------

@dataclass(frozen=True)
class Reason:
    """Why the charter decided: a rule's code and its numbers, for people in their language.

    ``Reason("arrival_band", {"lower": 100, "upper": 500}, "charter v1")`` reads
    "charter v1: arrival band 100-500 km" in English and "charter v1 条款：100–500
    公里档到达时限" in Chinese (:func:`backoffice.labels.reason_text`; the codes and their
    texts are :data:`backoffice.labels.REASON_TEXTS`). The default plugins fill it
    next to ``decided_by``; a plugin leaves it out and writes ``decided_by`` (the
    engine drops a ``why`` from any other plugin's answer). Decisions compare
    without it: the same due time and ``decided_by`` are the same decision.
    """

    #: the rule, one of :data:`backoffice.labels.REASON_TEXTS` (``"reply_within"``, ...)
    code: str
    #: the rule's numbers as ``(name, value)`` pairs (a dict is accepted and kept as pairs)
    params: tuple[tuple[str, object], ...] = ()
    #: the label of the terms whose numbers decided (``"charter v1"``), ``""`` for none
    terms: str = ""

    def __post_init__(self):
        if not isinstance(self.code, str) or not self.code:
            raise TypeError(f"Reason.code must be a non-empty str, got {self.code!r}")
        if not isinstance(self.terms, str):
            raise TypeError(f"Reason.terms must be a str, got {self.terms!r}")
        params = self.params.items() if isinstance(self.params, dict) else self.params
        object.__setattr__(self, "params", tuple((str(k), v) for k, v in params))

    @property
    def values(self) -> dict[str, object]:
        """The parameters as a dict (what a text's ``%(name)s`` placeholders take)."""
        return dict(self.params)

    def as_json(self) -> str:
        """The reason as stored with a decision (a ticket keeps its deadlines' reasons)."""
        return json.dumps({"code": self.code, "params": [list(p) for p in self.params],
                           "terms": self.terms}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> Reason | None:
        """A stored reason back (``None`` for an empty or unreadable one)."""
        try:
            data = json.loads(text or "")
            return cls(data["code"], tuple(tuple(p) for p in data.get("params", ())),
                       data.get("terms", ""))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Deadline:
    """A due time, absolute (``due``, timezone-aware) or as a duration (``within``).

    Give exactly one. A duration is counted from receipt on the clock of the
    contract's terms by the service that owns deadlines (the charter's clock,
    ``24x7``, counts elapsed time; a business calendar counts working time, and a
    paused ticket's time is added later), so a plugin that says "4 h" stays right
    on every calendar. An absolute ``due`` is kept as given.
    """

    due: dt.datetime | None = None
    decided_by: str = ""
    within: dt.timedelta | None = None
    #: the charter's reason as a code (see :class:`Reason`); plugins leave it out
    why: Reason | None = field(default=None, compare=False)

    def __post_init__(self):
        if (self.due is None) == (self.within is None):
            raise TypeError("a Deadline needs exactly one of due= and within=")
        if self.due is not None and (not isinstance(self.due, dt.datetime)
                                     or self.due.tzinfo is None):
            raise TypeError(f"Deadline.due must be an aware datetime, got {self.due!r}")
        if self.within is not None and not isinstance(self.within, dt.timedelta):
            raise TypeError(f"Deadline.within must be a timedelta, got {self.within!r}")


@dataclass(frozen=True)
class Window:
    """A window of days, both ends included."""

    earliest: dt.date
    latest: dt.date
    decided_by: str = ""
    #: the charter's reason as a code (see :class:`Reason`); plugins leave it out
    why: Reason | None = field(default=None, compare=False)

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
    #: the charter's reason as a code (see :class:`Reason`); plugins leave it out
    why: Reason | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Coverage:
    """A coverage verdict: ``covered`` = in warranty; ``charge`` one of :class:`Charge`."""

    covered: bool
    charge: str
    reason: str
    decided_by: str = ""
    #: the charter's reason as a code (see :class:`Reason`); plugins leave it out
    why: Reason | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.charge not in Charge.__members__.values():
            raise ValueError(f"Coverage.charge must be one of {[c.value for c in Charge]}, "
                             f"got {self.charge!r}")


@dataclass(frozen=True)
class DispatchCandidate:
    """One engineer who could be sent to a ticket, with the facts a ranking weighs.

    The first four fields are positional (plugins written before the others keep
    working); the rest have defaults. The dispatch service fills every field.
    """

    #: the :class:`~backoffice.models.Staff` (an engineer)
    engineer: object
    #: the engineer's :class:`~backoffice.models.Office`
    office: object
    #: road km from that office to the site: the site's recorded road distance for the
    #: serving office, else great-circle km x ``road_factor`` (``math.inf``: unknown)
    distance_km: float
    #: the office holds the spare the ticket needs (the unit's product) in stock
    spare_in_stock: bool
    #: leaving now at the configured ``travel_speed_kmh``, on site before the arrival due
    reachable_in_time: bool = True
    #: open tickets the engineer has in hand (this one not counted)
    open_tickets: int = 0
    #: on leave on a day from today to the arrival due
    on_leave: bool = False
    #: the engineer's skills name the product's model, family or grade
    skills_match: bool = False


@dataclass(frozen=True)
class EscalationStep:
    """Tell ``notify`` (a role) when ``fraction`` of the time to ``deadline`` has passed,
    and ``after`` more once it is due.

    ``deadline`` is a milestone (``"reply"`` or ``"arrival"``); ``notify`` one of
    :class:`~backoffice.labels.NoticeRole`: ``"engineer"`` (the assigned one),
    ``"office_manager"`` (the ticket's office's managers), ``"hq"`` (headquarters'
    service department), ``"head_of_service"``. The step's level follows from its
    time: before the due (``fraction < 1``) a *warning*, at it a *breach*, ``after``
    it an *escalation*. The time to a deadline is counted on the terms' clock, from
    receipt, paused time left out.
    """

    deadline: str
    fraction: float
    notify: str
    #: how long after the due (a breach that has lasted); only with ``fraction`` 1
    after: dt.timedelta = dt.timedelta(0)

    def __post_init__(self):
        if not isinstance(self.fraction, (int, float)) or isinstance(self.fraction, bool) \
                or not 0 < self.fraction <= 1:
            raise ValueError(f"EscalationStep.fraction must be above 0 and at most 1, "
                             f"got {self.fraction!r}")
        if not isinstance(self.after, dt.timedelta) or self.after < dt.timedelta(0):
            raise ValueError(f"EscalationStep.after must be a timedelta of 0 or more, "
                             f"got {self.after!r}")
        if self.after and self.fraction != 1:
            raise ValueError("EscalationStep.after needs fraction 1 (it counts from the due)")

    @property
    def level(self) -> str:
        """``warning``, ``breach`` or ``escalation`` (:class:`~backoffice.labels.NoticeLevel`)."""
        if self.fraction < 1:
            return "warning"
        return "escalation" if self.after else "breach"


@dataclass(frozen=True)
class Staffing:
    people: int
    skills: tuple[str, ...] = ()
    decided_by: str = ""
    #: the charter's reason as a code (see :class:`Reason`); plugins leave it out
    why: Reason | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Channel:
    """Where a notice goes besides the recipients' inboxes: a channel of ``kind`` (one a
    :func:`notice_senders` sender knows: ``"mail"``, ``"wecom"``, ``"dingtalk"``, or a
    plugin's own) at ``address``, with the sender's ``options`` (JSON-able)."""

    kind: str
    address: str
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One notice as a sender gets it, already in the recipient's language.

    ``message_id`` is the same on every attempt to send this notice through this
    channel: a sender passes it on (the mail's ``Message-ID``, a header), so a receiver
    can tell a retry of a message it already has.
    """

    message_id: str
    subject: str
    #: plain text, several lines
    text: str
    #: the same as Markdown (the group robots' format)
    markdown: str
    #: ``warning``, ``breach`` or ``escalation``
    level: str
    #: the ticket's number (``HRB-20261201-0007``) and the link to its page
    ticket_number: str
    link: str


# -- how a hook is asked: one declaration per hook ---------------------------------

@dataclass(frozen=True)
class HookDecl:
    """What the rule engine's typed facade needs to know of a hook besides its signature.

    ``result`` is the type of the answer (of each item, for a collecting hook or
    a decision that answers a list: then ``item`` is the items' type); ``scope``
    says whom the engine asks: ``"contract"`` the contract's enabled plugins in
    its order, then the defaults; ``"global"`` every loaded plugin; ``"own"`` only
    the plugin whose settings are checked. ``sense`` returns a problem text for an
    answer of the right type that still makes no sense, else ``None``.
    """

    result: type
    collect: bool = False
    scope: str = "contract"
    item: type | None = None
    sense: Callable[[object, dict], str | None] | None = None


def decision(result: type, *, item: type | None = None, sense=None):
    """Declare a decision hook: ``firstresult``, its answer type and sense check."""
    def declare(function):
        function.backoffice_decl = HookDecl(result, False, "contract", item, sense)
        return hookspec(firstresult=True)(function)
    return declare


def collection(item: type, *, scope: str = "contract"):
    """Declare a collecting hook: every plugin's lists are joined."""
    def declare(function):
        function.backoffice_decl = HookDecl(item, True, scope)
        return hookspec(function)
    return declare


def _after_receipt(answer: Deadline, args: dict) -> str | None:
    if answer.within is not None and answer.within < dt.timedelta(0):
        return f"returned a negative duration ({answer.within})"
    if answer.due is not None and answer.due < args["received"]:
        return f"returned a deadline ({answer.due.isoformat()}) before receipt"
    return None


def _after_confirmation(answer: Window, args: dict) -> str | None:
    confirmed = args["confirmed"]
    if isinstance(confirmed, dt.datetime):
        confirmed = confirmed.date()
    if answer.earliest < confirmed:
        return f"returned a window starting ({answer.earliest}) before confirmation"
    return None


def _visits_in_a_year(answer: int, args: dict) -> str | None:
    return None if 1 <= answer <= 365 else f"returned {answer} visits a year"


# -- fault response: deadlines ---------------------------------------------------

@decision(Deadline, sense=_after_receipt)
def reply_deadline(received: dt.datetime, ticket, contract, terms, settings) -> Deadline | None:
    """When the definite reply to a fault report is due. First non-None result wins.

    :param received: when the office or HQ service department logged the report
        (aware datetime).
    :param ticket: the :class:`~backoffice.models.Ticket` being logged (its unit,
        site, distance and ``product_state`` are set; not saved yet), or ``None`` in
        a preview: decide by distance or product state from it.
    :param contract: the unit's contract, or ``None``.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Deadline`, or ``None`` for no opinion.

    The charter answers ``Deadline(within=terms.reply_hours)`` (2 h in the
    standard terms) with ``decided_by="charter v1: reply within 2 h"`` and
    ``why=Reason("reply_within", {"hours": 2}, "charter v1")``.

    Example: a contract promising a reply within 30 minutes::

        @hookimpl
        def reply_deadline():
            return Deadline(within=dt.timedelta(minutes=30), decided_by="reply in 30 min")
    """


@decision(Deadline, sense=_after_receipt)
def arrival_deadline(received: dt.datetime, distance_km: float, site, ticket, contract, terms,
                     settings) -> Deadline | None:
    """When an engineer must be on site. First non-None result wins.

    :param received: when the fault report was logged (aware datetime).
    :param ticket: the :class:`~backoffice.models.Ticket` being logged, or ``None``
        in a preview (see :func:`reply_deadline`).
    :param distance_km: road distance from the serving office to the site, in
        km (road distance where known, else great-circle distance x the
        configured ``road_factor``).
    :param site: the :class:`~backoffice.models.Site`, or ``None`` in a preview.
    :param contract: the unit's contract, or ``None``.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Deadline`, or ``None`` for no opinion.

    The charter answers a duration counted from receipt, by distance band
    (standard terms):
    ``d <= 100`` km: 6 h; ``100 < d <= 500`` km: 12 h; ``d > 500`` km: 24 h.
    The charter's text says "101 to 500 km" and "500 km or more", which leaves
    100-101 km unassigned and claims exactly 500 km twice. The back-office reads
    every band as closed above and open below: 100.01 km is in the 12 h band
    and exactly 500 km keeps the shorter, customer-friendlier 12 h promise.
    ``decided_by`` names the band: ``"charter v1: arrival band 100-500 km"``, and
    ``why`` gives it as a code, ``Reason("arrival_band", {"lower": 100, "upper": 500},
    "charter v1")`` (the last band: ``"arrival_beyond"`` with ``lower``).

    Example: 4 h within 50 km (see ``plugins/near_site_4h.py``)::

        @hookimpl
        def arrival_deadline(distance_km):
            if distance_km <= 50:
                return Deadline(within=dt.timedelta(hours=4))
    """


@decision(Window, sense=_after_confirmation)
def replacement_window(confirmed: dt.date, contract, terms, settings) -> Window | None:
    """When a replacement product of the same grade must be on site. First non-None wins.

    :param confirmed: the day the replacement was confirmed.
    :param contract: the unit's contract, or ``None``.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Window` (earliest and latest day, both included), or ``None``.

    The charter answers ``confirmed + 5`` days to ``confirmed + 10`` days, with
    ``why=Reason("replacement_days", {"earliest": 5, "latest": 10}, "charter v1")``.

    Example: a fixed 3-day window::

        @hookimpl
        def replacement_window(confirmed):
            return Window(confirmed + dt.timedelta(days=1), confirmed + dt.timedelta(days=3))
    """


# -- warranty and charge ---------------------------------------------------------

@decision(Period)
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
    last covered day is the day before the anniversary. ``why`` says which:
    ``Reason("warranty_contract_months", {"months": 24}, "charter v1")`` (or
    ``warranty_term_set_months``, ``warranty_product_months``), or
    ``"warranty_at_acceptance"`` before acceptance.

    Example: warranty from installation instead of acceptance::

        @hookimpl
        def warranty_period(unit, product):
            if unit.installed_on:
                return Period(unit.installed_on, unit.installed_on + dt.timedelta(days=730))
    """


@decision(Coverage)
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
    cause is ``undetermined`` until the root cause is found. ``why`` names the
    rule: ``"free_in_warranty"``, ``"quality_free_after_warranty"``,
    ``"customer_use_negotiated"``, ``"charge_after_root_cause"`` or
    ``"chargeable_out_of_warranty"``.

    Example: lifetime free service for one key account::

        @hookimpl
        def coverage(unit, on):
            return Coverage(True, Charge.FREE, "lifetime service agreement")
    """


# -- dispatch and escalation (used by the failure-response capability) -----------

@decision(list, item=DispatchCandidate)
def dispatch_ranking(ticket, candidates: list, contract, terms, settings) -> list | None:
    """The order in which to propose engineers for a ticket. First non-None result wins.

    :param ticket: the fault ticket being dispatched.
    :param candidates: :class:`DispatchCandidate` objects, one per active
        engineer (engineer, office, distance, spare in stock, reachable in time,
        open tickets, on leave, skills match), nearest office first.
    :param contract: the unit's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: the same candidates reordered (a ``list``; dropping some is
        allowed), or ``None``.

    The charter: engineers not on leave first, then those who can be on site
    before the arrival due, then those whose office holds the spare, then the
    nearest, then the one with fewer open tickets. An engineer on leave is
    kept, last, so the screens can say why they are not proposed.

    Example: always prefer a named engineer::

        @hookimpl
        def dispatch_ranking(candidates, settings):
            first = [c for c in candidates if c.engineer == settings.get("engineer")]
            return first + [c for c in candidates if c not in first]
    """


@decision(list, item=EscalationStep)
def escalation_ladder(ticket, contract, terms, settings) -> list | None:
    """Who is warned, and when, as a ticket nears or passes a deadline. First non-None wins.

    :param ticket: the fault ticket.
    :param contract: the unit's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a ``list`` of :class:`EscalationStep`, or ``None``.

    The charter, for the reply and for the arrival, with the terms' numbers
    (``[escalation]`` of a term sheet): a *warning* to the assigned engineer and the
    office manager at ``terms.warning_share`` (75 %) of the time, a *breach* to the
    office manager and headquarters' service department at the due time, and an
    *escalation* to headquarters' head of service when the breach is
    ``terms.head_after_hours`` (4 h) old. The clock watcher
    (:mod:`backoffice.services.sla`) sends each step once per recipient.

    Example: warn the office manager at half the arrival time, and nobody else::

        @hookimpl
        def escalation_ladder():
            return [EscalationStep("arrival", 0.5, "office_manager")]
    """


# -- liability, duty, visits (later capabilities) --------------------------------

@decision(list, item=str)
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


@decision(Staffing)
def duty_staffing(request, contract, terms, settings) -> Staffing | None:
    """What an on-duty request needs: how many people, with which skills. First non-None wins.

    :param request: the on-duty request (site, period, circumstances).
    :param contract: the customer's contract.
    :param terms: the :class:`~backoffice.terms.Terms` in force.
    :param settings: this plugin's settings for the contract.
    :returns: a :class:`Staffing`, or ``None``.

    The charter: one engineer, no particular skill (``why``: ``"one_engineer_on_duty"``).

    Example::

        @hookimpl
        def duty_staffing():
            return Staffing(2, ("high voltage",))
    """


@decision(int, sense=_visits_in_a_year)
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

@collection(Channel)
def notification_channels(ticket, milestone: str, level: str, contract, settings) -> list:
    """Extra channels a contract's notices are sent through. Every plugin's lists are joined.

    Asked by the clock watcher for each notice it creates (a warning, breach or
    escalation of one milestone of one ticket). The recipients' inboxes, their mail,
    and the group robots set up for the ticket's office and contract in the admin
    need no plugin; a channel returned here gets the notice once (unique per ticket,
    milestone, level and channel address), sent by the :func:`notice_senders` sender
    of its ``kind``.

    :param ticket: the :class:`~backoffice.models.Ticket`.
    :param milestone: ``"reply"`` or ``"arrival"``.
    :param level: ``"warning"``, ``"breach"`` or ``"escalation"``.
    :param contract: the ticket's contract, or ``None``.
    :param settings: this plugin's settings for the contract.
    :returns: a ``list`` of :class:`Channel` (``[]`` or ``None`` to add nothing).

    The charter adds none.

    Example: breaches to an SMS gateway (a sender of kind ``"sms"`` must exist)::

        @hookimpl
        def notification_channels(level, settings):
            if level != "warning":
                return [Channel("sms", settings["phone"])]
    """


@collection(object, scope="global")
def notice_senders() -> list:
    """The senders of notices, one per channel kind. Asked once of every plugin; lists joined.

    A sender is any object with ``kind`` (a ``str``) and
    ``send(channel, message, config)``: it sends :class:`Message` ``message`` to
    :class:`Channel` ``channel`` (``config``: the app's settings, e.g. ``MAIL_HOST``)
    and returns, or raises to have the delivery retried later with the same
    ``message.message_id`` (the exception's text is shown in the admin's failed
    deliveries). The built-in ``mail``, ``wecom`` and ``dingtalk`` senders are the
    default plugin ``backoffice.default_plugins.channels``; a plugin's sender of the
    same kind takes its place.

    :returns: a ``list`` of senders, or ``None``.

    Example::

        class Sms:
            kind = "sms"
            def send(self, channel, message, config):
                gateway.send(channel.address, message.subject)

        @hookimpl
        def notice_senders():
            return [Sms()]
    """


@collection(object, scope="global")
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


@collection(str, scope="own")
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


#: every hook's declaration, by name (read by the rule engine and the docs)
DECLARATIONS: dict[str, HookDecl] = {
    name: value.backoffice_decl for name, value in list(globals().items())
    if callable(value) and hasattr(value, "backoffice_decl")}

__all__ = ["Cause", "Channel", "Charge", "Coverage", "Deadline", "DispatchCandidate",
           "EscalationStep", "Message", "Period", "Reason", "Staffing", "Window", "hookimpl"]
