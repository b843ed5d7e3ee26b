"""The demo's fault tickets: a year of them in every state, with spare stock and replacements.

:func:`write_tickets` runs right after the demo's plan is written (same transaction,
as the user ``demo``) and gives the screens something to show on the first run:

* **a year of history**: tickets received over the last 365 days on the demo's
  installed units (a few on a customer's site with the unit unknown), each closed
  or cancelled, some reopened and closed again, some paused once or twice on the
  way (with their :class:`~backoffice.models.TicketPause` rows), some whose reply or
  arrival came late (a missed milestone);
* **the open work of today**: tickets received in the last days standing in every
  state (received, replied, dispatched, on site, restored, waiting, reopened;
  a few cancelled), some of them overdue (the next deadline has passed), the
  Harbin office holding one of each and its demo engineer ``zhaoming`` the
  dispatched ones;
* **live tickets**: a handful received in the last two hours, logged through the
  intake service itself (:func:`backoffice.services.tickets.open_ticket`, two
  also replied through :func:`~backoffice.services.tickets.reply`), so their
  reply is due soon;
* **spare stock** at every office (every catalogue product the office's customers
  use, connectors, batteries, test equipment and tools) with its movements: the
  opening stock, restocking, a few transfers, and an item issued to each ticket
  restored by a swap;
* **replacements**: confirmed through :func:`backoffice.services.replacements.confirm`
  (one of them past its window: a late replacement), and shipped and delivered ones
  written in bulk between units the demo's plan already holds (a later unit of the
  same product on the same contract and site stands in for the new one; a delivered
  replacement's faulty unit is one the plan marks replaced). No unit is added or
  changed: the demo's unit counts are the plan's, and ``--units`` tops them up;
* a few engineers on **leave**, so the dispatch recommendation ranks them last.

The history is written in bulk (the intake service spends ~15 queries a ticket) but
decided as the service decides: the distance and the nearer office
(:func:`backoffice.geo.site_distance`, the service's own helpers), who pays
(``engine.coverage``), the reply and arrival deadlines from the rule engine's
facade counted on the terms' clock (:func:`backoffice.services.deadlines.resolve_estimated`),
each pause moving the open deadlines by its working time as
:func:`~backoffice.services.tickets.resume` does, ``next_due`` as the service sets
it, and numbers as the service gives them (office code, local date, sequence in
order of receipt, ``TicketCounter`` rows left at the last number of each office
and day, so the next intake continues the sequence). Every row gets its "create"
audit entry, as the rest of the demo (:func:`backoffice.demo._bulk_create`).

Randomness comes from the demo's seed, and the times are counted back from one
moment (:func:`anchor_for`: now, or 18:00 of the ``today`` a test gives), so a seed
and a moment always give the same tickets.

:func:`add_tickets` is the benchmarks' path: tickets in bulk up to a total, on the
demo's units, decided the same way, without audit rows (as
:func:`backoffice.demo.add_units`).

This module does not import its own package (which imports it): the seed hands it
the package's bulk writers as a :class:`Bulk`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from peewee import EXCLUDED

from .. import models as m
from ..access import Operator
from ..clock import ALWAYS_ON, local, now, stored, zone
from ..db import acting_as, database, is_postgres
from ..geo import site_distance
from ..i18n import _
from ..labels import (
    ProductState,
    ReplacementSource,
    ReportChannel,
    RestoredBy,
    Role,
    StockItemKind,
    StockMovementKind,
    TicketState,
    UnitStatus,
)
from ..plugins import current_engine
from ..services import calendars, replacements
from ..services import tickets as service
from ..services.deadlines import resolve_estimated
from ..services.dispatch import travel_speed_kmh
from .data import chinese_name, mobile
from .plan import SEED

__all__ = ["Bulk", "add_tickets", "anchor_for", "plan_tickets", "write_tickets"]

#: the demo's tickets are written (and the live ones logged) by this operator
DEMO = Operator("demo")

M, H, D = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)

#: faults a year per installed unit (power equipment in the field: one in three)
FAULTS_PER_UNIT = 0.3
#: the open tickets of today: (state, how many, how many of them overdue)
OPEN_TICKETS = [
    (TicketState.RECEIVED, 9, 3),
    (TicketState.REPLIED, 9, 0),
    (TicketState.DISPATCHED, 9, 3),
    (TicketState.ON_SITE, 7, 0),
    (TicketState.RESTORED, 8, 0),
    (TicketState.WAITING, 7, 0),
    ("reopened", 3, 0),
    (TicketState.CANCELLED, 3, 0),
]
#: tickets logged through the intake service, received this many minutes before the moment
LIVE_MINUTES = (8, 25, 47, 66, 84, 105)
#: replacements: delivered and shipped ones (bulk, from the plan's units), confirmed ones
#: through the service, of which the first has been waiting past its window
DELIVERED, SHIPPED, CONFIRMED = 6, 3, 3
#: the office whose staff the README names, and its engineer: one ticket in every state
HOME_OFFICE, HOME_ENGINEER = "HRB", "zhaoming"

ELIGIBLE = (UnitStatus.IN_SERVICE, UnitStatus.UNDER_REPAIR, UnitStatus.INSTALLED)
CHANNELS = [(ReportChannel.PHONE, 58), (ReportChannel.WECOM, 20), (ReportChannel.MAIL, 8),
            (ReportChannel.VISIT, 5), (ReportChannel.API, 9)]
STATES = [(ProductState.DOWN, 45), (ProductState.DEGRADED, 40), (ProductState.WORKING, 15)]

#: fault summaries by the product model's family (its leading letters)
FAULTS = {
    "UPS": ["UPS告警：已转旁路运行", "逆变器故障，输出中断", "整流模块过温告警", "风扇故障告警",
            "电池自检失败", "并机系统环流告警", "输出电压异常波动"],
    "BAT": ["电池组单体电压偏低", "电池壳体鼓胀", "BMS通信中断", "放电时间明显缩短",
            "电池温度过高告警"],
    "REC": ["整流模块故障告警", "监控单元黑屏", "直流输出电压偏低", "交流输入缺相告警"],
    "HVDC": ["绝缘监察告警", "直流母线电压波动", "整流模块频繁重启"],
    "DCS": ["直流系统接地告警", "充电模块故障", "合闸母线电压异常"],
    "INV": ["逆变器报直流过压", "并网失败，反复重启", "功率模块过温降额"],
    "STS": ["静态开关切换异常", "STS过热告警", "两路电源同步失败"],
    "EPS": ["应急电源无法启动", "月度自检失败", "蓄电池充电异常"],
}
GENERAL_FAULTS = ["设备告警，需现场检查", "运行中有异常噪声", "远程监控通信中断"]
REPLY = "已答复客户：工程师{engineer}将于{due}前到达现场。"
WHY = "{office}工程师，距现场约 {km} km，在手工单少"
PAUSES = ["客户要求改约上门时间", "机房暂不具备进入条件", "等待客户自备备件到货",
          "客户停产检修期间暂停"]
SITE_PAUSES = ["现场无人配合，无法进入机房", "客户临时停电检修，待恢复后再处理"]
CANCELS = ["客户自行排除故障", "误报：设备运行正常", "重复报修，已并入另一工单", "客户取消报修"]
DESCRIPTIONS = ["客户值班人员电话报修，告警代码已记录。", "监控平台推送告警，客户确认现场异常。",
                "客户邮件报修，附现场照片。", ""]

#: what offices keep besides the products (the charter: connectors, batteries, testing and
#: maintenance equipment, tools): (kind, name, lowest and highest opening quantity)
STOCK = [
    (StockItemKind.CONNECTOR, "电池连接线 35mm²", 6, 24),
    (StockItemKind.CONNECTOR, "输出端子排", 4, 12),
    (StockItemKind.CONNECTOR, "RS485 通信接口卡", 2, 8),
    (StockItemKind.CONNECTOR, "并机信号线缆", 2, 6),
    (StockItemKind.BATTERY, "12V 100Ah 阀控铅酸蓄电池", 4, 32),
    (StockItemKind.BATTERY, "12V 65Ah 阀控铅酸蓄电池", 4, 24),
    (StockItemKind.BATTERY, "2V 200Ah 单体蓄电池", 0, 24),
    (StockItemKind.BATTERY, "磷酸铁锂电池模块 51.2V 100Ah", 0, 4),
    (StockItemKind.EQUIPMENT, "蓄电池内阻测试仪", 1, 2),
    (StockItemKind.EQUIPMENT, "电能质量分析仪", 1, 1),
    (StockItemKind.EQUIPMENT, "红外热像仪", 0, 1),
    (StockItemKind.EQUIPMENT, "蓄电池放电负载箱", 0, 1),
    (StockItemKind.TOOL, "绝缘工具套装", 2, 5),
    (StockItemKind.TOOL, "数字万用表", 2, 6),
    (StockItemKind.TOOL, "钳形电流表", 1, 4),
    (StockItemKind.TOOL, "力矩扳手套装", 1, 3),
]
OPENING, RESTOCK, TRANSFER = "期初库存", "补货入库", "调拨：支援邻近办事处"
ISSUE_SWAP, ISSUE_REPLACEMENT = "现场更换使用", "更换品出库"
LEAVE_REASONS = ["年假", "培训", "病假"]


@dataclass(frozen=True)
class Bulk:
    """The demo's bulk writers, handed in by :func:`backoffice.demo.seed`:
    ``create(model, rows, office=, customer=) -> ids`` (rows and their "create" audit
    entries) and ``insert(model, fields, tuples)`` (rows alone)."""

    create: Callable
    insert: Callable


def anchor_for(today: dt.date | None) -> dt.datetime:
    """The moment the demo's tickets are counted back from: now (aware, in the center's
    zone), or 18:00 of ``today`` when that day is over already (a test's fixed date)."""
    moment = now()
    if today is None or today >= moment.date():
        return moment
    return dt.datetime.combine(today, dt.time(18, 0), tzinfo=zone())


# -- what the tickets are about ---------------------------------------------------------------

@dataclass
class World:
    """The demo's rows a ticket refers to, read once."""

    offices: dict
    customers: dict
    sites: dict
    sites_of: dict
    contracts: dict
    products: dict
    units: list
    engineers: dict  # office id -> active engineers, by id
    managers: dict  # office id -> the office manager's id

    @classmethod
    def read(cls) -> World:
        sites, sites_of = {}, {}
        for site in m.Site.select().order_by(m.Site.id):
            sites[site.id] = site
            sites_of.setdefault(site.customer_id, []).append(site.id)
        engineers, managers = {}, {}
        for person in (m.Staff.select().where(m.Staff.active & m.Staff.office.is_null(False))
                       .order_by(m.Staff.id)):
            if person.role == Role.ENGINEER:
                engineers.setdefault(person.office_id, []).append(person)
            elif person.role == Role.OFFICE_MANAGER:
                managers.setdefault(person.office_id, person.id)
        return cls(
            offices={o.id: o for o in m.Office.select().order_by(m.Office.id)},
            customers={c.id: c for c in m.Customer.select().order_by(m.Customer.id)},
            sites=sites, sites_of=sites_of,
            contracts={c.id: c for c in m.Contract.select().order_by(m.Contract.id)},
            products={p.id: p for p in m.Product.select().order_by(m.Product.id)},
            units=list(m.Unit.select().order_by(m.Unit.id)),
            engineers=engineers, managers=managers)

    def office_of(self, code: str):
        return next((o for o in self.offices.values() if o.code == code), None)


class Decider:
    """What the intake service decides for a fault, without saving: the ticket as the
    hooks see it, with its distance, nearer office, coverage and deadlines."""

    def __init__(self, world: World):
        self.world = world
        self.engine = current_engine()
        self.factor = float(current_app.config["ROAD_FACTOR"])
        self.corrections: dict[str, object] = {}
        self.nearer: dict[tuple, tuple] = {}

    def clock_of(self, contract) -> str:
        return getattr(self.engine.terms_for(contract), "clock", ALWAYS_ON)

    def ticket(self, received: dt.datetime, unit, customer, site, **report) -> m.Ticket:
        """``received`` aware; ``report``: summary, channel, reporter_name, reporter_phone,
        description, product_state (as :class:`backoffice.services.tickets.Report`)."""
        world, engine = self.world, self.engine
        received = received.astimezone(engine.tz).replace(second=0, microsecond=0)
        contract = world.contracts.get(unit.contract_id) if unit is not None else None
        office = world.offices[customer.office_id]
        terms = engine.terms_for(contract)
        distance = site_distance(site, office, self.factor)
        key = (site.id if site is not None else None, office.id)
        if key not in self.nearer:  # the same for every fault at the site
            self.nearer[key] = service._nearer_office(site, office, distance, self.factor)
        nearer, nearer_by = self.nearer[key]
        ticket = m.Ticket(
            office=office, customer=customer, site=site, unit=unit, contract=contract,
            received_at=stored(received),
            distance_km=Decimal(str(round(distance.km, 1))) if distance else None,
            distance_how=distance.how if distance else "", nearer_office=nearer,
            nearer_by_km=nearer_by, **report)
        km = distance.km if distance is not None else service._UNKNOWN_DISTANCE_KM
        coverage = engine.coverage(contract, unit, received.date()) if unit else None
        clock = getattr(terms, "clock", ALWAYS_ON)
        if clock not in self.corrections:  # one reading of headquarters' corrections
            self.corrections[clock] = calendars.for_clock(clock)
        corrections = self.corrections[clock]
        reply, reply_estimated = resolve_estimated(
            engine.reply_deadline(contract, received, ticket=ticket, terms=terms),
            received, terms, engine.tz, corrections)
        arrival, arrival_estimated = resolve_estimated(
            engine.arrival_deadline(contract, received, km, site=site, ticket=ticket,
                                    terms=terms), received, terms, engine.tz, corrections)
        ticket.covered = bool(coverage and coverage.covered)
        ticket.charge = coverage.charge if coverage else ""
        ticket.coverage_by = (coverage.decided_by if coverage else
                              _("no unit known: who pays is decided once the unit is"))[:200]
        ticket.coverage_why = service._why(coverage)
        ticket.reply_due, ticket.reply_due_by = stored(reply.due), reply.decided_by[:200]
        ticket.reply_why = service._why(reply)
        ticket.arrival_due = stored(arrival.due)
        ticket.arrival_due_by = service._arrival_reason(arrival, distance)
        ticket.arrival_why = service._why(arrival) if distance is not None else ""
        ticket.estimated = reply_estimated or arrival_estimated
        ticket.next_due = service._next_due(ticket)
        return ticket


# -- what happens to a ticket ---------------------------------------------------------------

@dataclass
class Shape:
    """How one ticket's story goes."""

    late_reply: bool = False
    late_arrival: bool = False
    pauses: int = 0  # 1: before dispatch (the customer asks to come later); 2: also on site
    cancel: str | None = None  # the state it is cancelled in
    reopen: bool = False
    restored_how: str = RestoredBy.REPAIR
    #: days from restoration to closing (None: hours to three days)
    close_after_days: float | None = None


def _between(rng: random.Random, low: dt.timedelta, high: dt.timedelta) -> dt.timedelta:
    return low + (high - low) * rng.random()


def story(rng: random.Random, d_reply: dt.timedelta, d_arrival: dt.timedelta,
          shape: Shape) -> list[tuple[dt.timedelta, str]]:
    """The ticket's steps as ``(time after receipt, step)``, in order; ``d_reply`` and
    ``d_arrival`` are its deadlines' distances from receipt."""
    if shape.cancel == TicketState.RECEIVED:
        return [(_between(rng, 10 * M, 20 * H), "cancel")]
    if shape.late_reply:
        t = d_reply + _between(rng, 5 * M, 150 * M)
    else:
        t = d_reply * (0.08 + 0.77 * rng.random())
    events = [(t, "reply")]
    paused = dt.timedelta(0)
    if shape.pauses >= 1:
        start = t + _between(rng, 5 * M, 90 * M)
        t = start + _between(rng, 2 * H, 2 * D)
        events += [(start, "pause"), (t, "resume")]
        paused += t - start
    if shape.cancel == TicketState.REPLIED:
        return [*events, (t + _between(rng, 20 * M, 20 * H), "cancel")]
    t += _between(rng, 5 * M, 60 * M)
    events.append((t, "dispatch"))
    if shape.pauses >= 2:
        start = t + _between(rng, 30 * M, 4 * H)
        t = start + _between(rng, 1 * H, 1 * D)
        events += [(start, "pause"), (t, "resume")]
        paused += t - start
    if shape.cancel == TicketState.DISPATCHED:
        return [*events, (t + _between(rng, 20 * M, 6 * H), "cancel")]
    due = d_arrival + paused  # on the charter's clock, a pause moves it by its length
    if shape.late_arrival:
        t = max(due, t + 20 * M) + _between(rng, 15 * M, 10 * H)
    elif due > t + 25 * M:
        t = _between(rng, t + 20 * M, due - 5 * M)
    else:  # no time left after a late reply: late after all
        t += _between(rng, 20 * M, 60 * M)
    events.append((t, "arrive"))
    t += _between(rng, 30 * M, 8 * H)
    events.append((t, "restore"))
    if shape.close_after_days is not None:
        t += shape.close_after_days * D
    else:
        t += _between(rng, 3 * H, 3 * D)
    events.append((t, "close"))
    if shape.reopen:
        t += _between(rng, 1 * D, 20 * D)
        events.append((t, "reopen"))
        for step, low, high in (("dispatch", 1 * H, 12 * H), ("arrive", 1 * H, 8 * H),
                                ("restore", 1 * H, 6 * H), ("close", 4 * H, 2 * D)):
            t += _between(rng, low, high)
            events.append((t, step))
    return events


_AFTER = {"reply": TicketState.REPLIED, "dispatch": TicketState.DISPATCHED,
          "pause": TicketState.WAITING, "arrive": TicketState.ON_SITE,
          "restore": TicketState.RESTORED, "close": TicketState.CLOSED,
          "reopen": "reopened", "cancel": TicketState.CANCELLED}


def cut_for(rng: random.Random, events, target: str,
            overdue_after: dt.timedelta | None = None) -> dt.timedelta | None:
    """A time after receipt at which the ticket stands in ``target`` (``"reopened"``: in
    replied after a reopening), after ``overdue_after`` where that fits; None if never."""
    steps = [(dt.timedelta(0), TicketState.RECEIVED), *((t, _AFTER.get(s)) for t, s in events)]
    for i, (t, state) in enumerate(steps):
        if state != target:
            continue
        end = steps[i + 1][0] if i + 1 < len(steps) else t + 2 * D
        if overdue_after is not None and overdue_after + 5 * M < end:
            t = max(t, overdue_after + 5 * M)
        return _between(rng, t + M, end - M) if end - t > 2 * M else None
    return None


@dataclass
class People:
    """Who works the ticket: the office manager who replies, the engineer sent."""

    manager: int | None
    engineer: object | None  # a Staff


def apply(ticket: m.Ticket, clock: str, events, until: dt.timedelta, rng: random.Random,
          people: People, shape: Shape, speed: float) -> list[dict]:
    """Run the steps up to ``until`` after receipt on ``ticket`` as the service's
    transitions would; returns its pauses (TicketPause rows without the ticket)."""
    received = ticket.received_at.replace(tzinfo=dt.UTC)
    pauses: list[dict] = []
    for offset, step in events:
        if offset > until:
            break
        at = (received + offset).replace(microsecond=0)
        if step == "reply":
            ticket.state, ticket.replied_at = TicketState.REPLIED, stored(at)
            who = people.engineer.name if people.engineer is not None else "值班"
            ticket.reply_text = REPLY.format(
                engineer=who, due=f"{local(ticket.arrival_due):%m月%d日 %H:%M}")
            ticket.replied_by = people.manager
        elif step == "dispatch":
            ticket.state, ticket.dispatched_at = TicketState.DISPATCHED, stored(at)
            if people.engineer is not None:
                ticket.engineer = people.engineer.id
            km = float(ticket.distance_km) if ticket.distance_km is not None else 300.0
            ticket.planned_arrival = stored(at + dt.timedelta(hours=km / speed) + 15 * M)
            office = ticket.office
            ticket.dispatch_why = WHY.format(office=office.name, km=f"{km:.0f}")[:300]
        elif step == "pause":
            reasons = PAUSES if ticket.state == TicketState.REPLIED else SITE_PAUSES
            reason = rng.choice(reasons)
            pauses.append({"started_at": stored(at), "reason": reason,
                           "resumes_to": ticket.state, "ended_at": None, "seconds": 0})
            ticket.state, ticket.paused_since = TicketState.WAITING, stored(at)
            ticket.pause_reason = reason
        elif step == "resume":
            _resume(ticket, pauses[-1], at, clock)
        elif step == "arrive":
            ticket.state, ticket.arrived_at = TicketState.ON_SITE, stored(at)
        elif step == "restore":
            ticket.state, ticket.restored_at = TicketState.RESTORED, stored(at)
            ticket.restored_how = shape.restored_how
        elif step == "close":
            ticket.state, ticket.closed_at = TicketState.CLOSED, stored(at)
        elif step == "reopen":
            ticket.state = TicketState.REPLIED
            ticket.closed_at = ticket.restored_at = None
            ticket.restored_how = ""
            ticket.reopened += 1
        elif step == "cancel":
            if ticket.state == TicketState.WAITING:
                _resume(ticket, pauses[-1], at, clock)
            ticket.state, ticket.cancel_reason = TicketState.CANCELLED, rng.choice(CANCELS)
    ticket.next_due = service._next_due(ticket)
    return pauses


def _resume(ticket: m.Ticket, pause: dict, at: dt.datetime, clock: str) -> None:
    """:func:`backoffice.services.tickets.resume`: every open deadline moves on by the
    paused working time."""
    paused = calendars.working_time_between(local(ticket.paused_since), local(at), clock)
    for due, done in (("reply_due", "replied_at"), ("arrival_due", "arrived_at")):
        value = getattr(ticket, due)
        if value is not None and getattr(ticket, done) is None:
            moved = calendars.add_working_time(local(value), paused, clock)[0]
            setattr(ticket, due, stored(moved))
    seconds = int(paused.total_seconds())
    ticket.paused_seconds += seconds
    ticket.state = pause["resumes_to"]
    ticket.paused_since, ticket.pause_reason = None, ""
    pause["ended_at"], pause["seconds"] = stored(at), seconds


# -- the plan ------------------------------------------------------------------------------------

@dataclass
class Planned:
    ticket: m.Ticket
    pauses: list[dict] = field(default_factory=list)
    #: "delivered" / "shipped" (bulk) or "confirmed" (through the service)
    replacement: str | None = None
    #: the unit that stands in for the new one (delivered, shipped)
    new_unit: object | None = None
    confirmed_on: dt.date | None = None
    shipped_on: dt.date | None = None
    delivered_on: dt.date | None = None
    #: the office whose stock the new unit came from (None: the factory)
    stock_office: int | None = None


@dataclass
class TicketPlan:
    tickets: list[Planned]
    anchor: dt.datetime


def _report(rng: random.Random, world: World, unit) -> dict:
    """A fault report as a caller gives it: what is wrong, by which channel, who calls."""
    model = world.products[unit.product_id].model if unit is not None else ""
    name, _login = chinese_name(rng, set())
    return {"summary": rng.choice(FAULTS.get(model.split("-")[0], GENERAL_FAULTS)),
            "channel": rng.choices(*zip(*CHANNELS, strict=True))[0],
            "reporter_name": name, "reporter_phone": mobile(rng),
            "description": rng.choice(DESCRIPTIONS),
            "product_state": rng.choices(*zip(*STATES, strict=True))[0]}


class Planner:
    def __init__(self, world: World, anchor: dt.datetime, rng: random.Random):
        self.world, self.anchor, self.rng = world, anchor, rng
        self.decide = Decider(world)
        self.speed = travel_speed_kmh()
        self.home = world.office_of(HOME_OFFICE)

    # the pieces of one ticket

    def report(self, unit) -> dict:
        return _report(self.rng, self.world, unit)

    def people(self, office_id: int, engineer: str | None = None) -> People:
        crew = self.world.engineers.get(office_id, [])
        chosen = next((e for e in crew if e.username == engineer), None) if engineer else None
        return People(self.world.managers.get(office_id),
                      chosen or (self.rng.choice(crew) if crew else None))

    def subject(self, unit):
        customer = self.world.customers[unit.customer_id]
        return unit, customer, self.world.sites.get(unit.site_id)

    def build(self, received: dt.datetime, unit, customer, site, shape: Shape, report: dict,
              people: People, target=None, overdue: bool = False, settle: bool = True
              ) -> Planned | None:
        """The ticket received at ``received`` (or, with ``target``, at the moment that
        leaves it in that state now), with its story applied up to now. ``settle``: a
        story not over by now is moved back until it is (the year's history)."""
        decide, rng = self.decide, self.rng
        ticket = decide.ticket(received, unit, customer, site, **report)
        d_reply = ticket.reply_due - ticket.received_at
        d_arrival = ticket.arrival_due - ticket.received_at
        events = story(rng, d_reply, d_arrival, shape)
        if target is not None:
            after = None
            if overdue:
                after = d_reply if target == TicketState.RECEIVED else d_arrival
            x = cut_for(rng, events, target, after)
            if x is None:
                return None
            received = self.anchor - x
            ticket = decide.ticket(received, unit, customer, site, **report)
        else:
            x = self.anchor - received
            if settle and events and events[-1][0] >= x:  # not over yet: it happened earlier
                received = self.anchor - events[-1][0] - _between(rng, 1 * H, 1 * D)
                ticket = decide.ticket(received, unit, customer, site, **report)
                x = self.anchor - received
        clock = decide.clock_of(ticket.contract)
        pauses = apply(ticket, clock, events, x, rng, people, shape, self.speed)
        return Planned(ticket, pauses)

    def history_shape(self) -> Shape:
        rng = self.rng
        roll = rng.random()
        shape = Shape(late_reply=rng.random() < 0.08, late_arrival=rng.random() < 0.12,
                      restored_how=rng.choices((RestoredBy.REPAIR, RestoredBy.SWAP,
                                                RestoredBy.TEMPORARY), (70, 20, 10))[0])
        pause_roll = rng.random()
        shape.pauses = 2 if pause_roll < 0.02 else 1 if pause_roll < 0.12 else 0
        if roll < 0.06:
            shape.cancel = rng.choice((TicketState.RECEIVED, TicketState.REPLIED,
                                       TicketState.DISPATCHED))
        elif roll < 0.09:
            shape.reopen = True
        return shape

    # the plan

    def plan(self) -> TicketPlan:
        world, rng, anchor = self.world, self.rng, self.anchor
        start = anchor - 365 * D
        eligible = [u for u in world.units if u.status in ELIGIBLE and u.installed_on
                    and u.customer_id in world.customers]
        pairs = self.replacement_pairs()
        reserved = {u.id for pair in pairs.values() for unit, new in pair for u in (unit, new)}
        pool = [u for u in eligible if u.id not in reserved]
        planned: list[Planned] = []

        # the year's history, closed or cancelled by now
        for _n in range(round(FAULTS_PER_UNIT * len(pool))):
            unit = rng.choice(pool)
            first = dt.datetime.combine(unit.installed_on + D, dt.time(8), tzinfo=zone())
            low = max(start, first)
            high = anchor - 3 * D
            if low >= high:
                continue
            received = low + (high - low) * rng.random()
            unit, customer, site = self.subject(unit)
            if rng.random() < 0.03:  # the caller did not know the serial
                unit, site = None, world.sites.get(rng.choice(world.sites_of[customer.id]))
            report = self.report(unit)
            item = self.build(received, unit, customer, site, self.history_shape(), report,
                              self.people(customer.office_id))
            if item is not None:
                planned.append(item)

        # today's open work: the home office gets one of each first
        busy = [u for u in pool if u.status == UnitStatus.UNDER_REPAIR]
        rest = [u for u in pool if u.status != UnitStatus.UNDER_REPAIR]
        home_units = [u for u in pool if self.home is not None
                      and world.customers[u.customer_id].office_id == self.home.id]
        for target, count, overdue in OPEN_TICKETS:
            for n in range(count):
                home = n == 0 and home_units
                unit = (rng.choice(home_units) if home else
                        rng.choice(busy) if busy and rng.random() < 0.5 else rng.choice(rest))
                engineer = HOME_ENGINEER if home else None
                item = self.open_one(unit, target, overdue=n < overdue, engineer=engineer)
                if item is not None:
                    planned.append(item)

        # replacements: their tickets, and what happened to them
        for kind, pair in pairs.items():
            for k, (unit, new) in enumerate(pair):
                item = self.replaced(kind, unit, new, late=k == 0)
                if item is not None:
                    planned.append(item)
        candidates = [u for u in rest if u.site_id and u.status == UnitStatus.IN_SERVICE]
        for k in range(min(CONFIRMED, len(candidates))):
            unit = candidates[rng.randrange(len(candidates))]
            candidates.remove(unit)
            item = self.confirmed(unit, late=k == 0)
            if item is not None:
                planned.append(item)
        return TicketPlan(planned, anchor)

    def open_one(self, unit, target: str, *, overdue: bool = False,
                 engineer: str | None = None) -> Planned | None:
        rng = self.rng
        shape = Shape(late_reply=overdue and target == TicketState.RECEIVED,
                      late_arrival=overdue and target == TicketState.DISPATCHED,
                      restored_how=rng.choice((RestoredBy.REPAIR, RestoredBy.REPAIR,
                                               RestoredBy.SWAP, RestoredBy.TEMPORARY)),
                      reopen=target == "reopened",
                      close_after_days=2 + 2 * rng.random())
        if target == TicketState.WAITING:
            shape.pauses = rng.choice((1, 2))
        elif target == TicketState.CANCELLED:
            shape.cancel = rng.choice((TicketState.RECEIVED, TicketState.REPLIED))
        elif target == TicketState.REPLIED and rng.random() < 0.3:
            shape.late_reply = True  # replied, but late: a missed milestone
        if target == "reopened":
            shape.close_after_days = None
        unit, customer, site = self.subject(unit)
        people = self.people(customer.office_id, engineer)
        for _attempt in range(4):
            item = self.build(self.anchor - D, unit, customer, site, shape, self.report(unit),
                              people, target=target, overdue=overdue)
            if item is not None and item.ticket.received_at < stored(self.anchor):
                return item
        return None

    def replacement_pairs(self) -> dict[str, list[tuple]]:
        """Units of the plan that tell a replacement's story: ``delivered``: a unit the
        plan marks replaced and a later unit of the same product on its contract and
        site, installed within the year; ``shipped``: a unit in service and an ordered
        or delivered one of the same product on its contract (not installed yet)."""
        world, day = self.world, self.anchor.date()
        by_contract: dict[int, list] = {}
        for unit in world.units:
            by_contract.setdefault(unit.contract_id, []).append(unit)
        delivered, shipped, used = [], [], set()
        for unit in world.units:
            if unit.site_id is None or unit.accepted_on is None or unit.id in used:
                continue
            same = [u for u in by_contract[unit.contract_id] if u.id != unit.id
                    and u.product_id == unit.product_id and u.id not in used]
            if unit.status == UnitStatus.REPLACED and len(delivered) < DELIVERED:
                new = next((u for u in same if u.site_id == unit.site_id
                            and u.status == UnitStatus.IN_SERVICE and u.installed_on
                            and day - dt.timedelta(days=330) <= u.installed_on
                            <= day - dt.timedelta(days=20)
                            and u.installed_on - unit.accepted_on > dt.timedelta(days=30)),
                           None)
                if new is not None:
                    delivered.append((unit, new))
                    used |= {unit.id, new.id}
            elif unit.status == UnitStatus.IN_SERVICE and len(shipped) < SHIPPED:
                new = next((u for u in same if u.status in (UnitStatus.ORDERED,
                                                            UnitStatus.DELIVERED)), None)
                if new is not None:
                    shipped.append((unit, new))
                    used |= {unit.id, new.id}
        return {"delivered": delivered, "shipped": shipped}

    def replaced(self, kind: str, unit, new, *, late: bool = False) -> Planned | None:
        """The ticket on ``unit`` whose replacement ``new`` was delivered (closed after the
        delivery; ``late``: after its window) or has shipped (restored with a temporary
        unit meanwhile)."""
        rng, today = self.rng, self.anchor.date()
        if kind == "delivered":
            delivered = new.installed_on
            confirm_day = delivered - dt.timedelta(days=rng.randint(12, 14) if late
                                                   else rng.randint(5, 8))
            close_days = (delivered - confirm_day).days + 1 + 2 * rng.random()
        else:
            delivered, confirm_day = None, today - dt.timedelta(days=rng.randint(3, 6))
            close_days = 30.0  # not yet: after the delivery
        received = dt.datetime.combine(confirm_day - dt.timedelta(days=1),
                                       dt.time(rng.randint(8, 15), rng.randrange(60)),
                                       tzinfo=zone())
        shape = Shape(restored_how=RestoredBy.TEMPORARY, close_after_days=close_days)
        unit, customer, site = self.subject(unit)
        item = self.build(received, unit, customer, site, shape, self.report(unit),
                          self.people(customer.office_id), settle=False)
        if item is None or item.ticket.arrived_at is None:
            return None
        confirmed = max(local(item.ticket.arrived_at).date(), confirm_day)
        shipped = min(confirmed + dt.timedelta(days=rng.randint(1, 2)), delivered or today)
        if shipped < confirmed or (delivered is not None and (
                item.ticket.state != TicketState.CLOSED
                or local(item.ticket.closed_at).date() < delivered)):
            return None
        item.replacement, item.new_unit = kind, new
        item.confirmed_on, item.shipped_on, item.delivered_on = confirmed, shipped, delivered
        if rng.random() < 0.5:
            item.stock_office = customer.office_id
        return item

    def confirmed(self, unit, *, late: bool) -> Planned | None:
        """An open ticket (restored with a temporary unit) whose replacement the service
        confirms on the day of restoration; the ``late`` one was restored 13 days ago and
        its replacement has not shipped."""
        rng = self.rng
        days = 14 if late else rng.randint(2, 4)
        received = self.anchor - days * D - _between(rng, 1 * H, 6 * H)
        shape = Shape(restored_how=RestoredBy.TEMPORARY, close_after_days=40.0)
        unit, customer, site = self.subject(unit)
        item = self.build(received, unit, customer, site, shape, self.report(unit),
                          self.people(customer.office_id), settle=False)
        if item is None or item.ticket.state != TicketState.RESTORED:
            return None
        item.replacement = "confirmed"
        item.confirmed_on = local(item.ticket.restored_at).date()
        return item


def plan_tickets(world: World, anchor: dt.datetime, seed: int = SEED) -> TicketPlan:
    """The demo's tickets for ``world`` as of ``anchor`` (unsaved, unnumbered):
    the same world, moment and seed always give the same tickets."""
    rng = random.Random(seed * 7 + 11)
    engine = current_engine()
    with engine.recording():
        return Planner(world, anchor, rng).plan()


# -- numbers ---------------------------------------------------------------------------------

def number(tickets: list[m.Ticket], counters: dict[tuple[str, str], int],
           offices: dict) -> None:
    """Give ``tickets`` their numbers in order of receipt, continuing ``counters``
    (``(office code, YYYYMMDD) -> last``, updated), as the intake service does."""
    for ticket in sorted(tickets, key=lambda t: (t.received_at, t.customer_id)):
        code = offices[ticket.office_id].code
        day = local(ticket.received_at).strftime("%Y%m%d")
        last = counters[code, day] = counters.get((code, day), 0) + 1
        ticket.number = f"{code}-{day}-{last:04d}"


def _row(ticket: m.Ticket) -> dict:
    return {k: v for k, v in ticket.__data__.items() if k != "id"}


# -- writing ---------------------------------------------------------------------------------

def write_tickets(bulk: Bulk, today: dt.date | None = None, seed: int = SEED) -> int:
    """Write the demo's tickets, stock, replacements and leave into the seeded demo, as the
    user ``demo``, in one transaction; returns the number of tickets. Writes nothing when
    a ticket exists already."""
    if m.Ticket.select().exists():
        return 0
    anchor = anchor_for(today)
    with acting_as("demo"), database.atomic():
        world = World.read()
        plan = plan_tickets(world, anchor, seed)
        tickets = [p.ticket for p in plan.tickets]
        counters: dict[tuple[str, str], int] = {}
        number(tickets, counters, world.offices)
        ordered = sorted(plan.tickets, key=lambda p: (p.ticket.received_at, p.ticket.number))
        ids = bulk.create(m.Ticket, [_row(p.ticket) for p in ordered],
                          office=lambda i, row: row["office"],
                          customer=lambda i, row: row["customer"])
        for item, ticket_id in zip(ordered, ids, strict=True):
            item.ticket.id = ticket_id
        of_ticket = {t.id: (t.office_id, t.customer_id) for t in tickets}
        bulk.create(m.TicketPause, [{**pause, "ticket": item.ticket.id} for item in ordered
                                    for pause in item.pauses],
                    office=lambda i, row: of_ticket[row["ticket"]][0],
                    customer=lambda i, row: of_ticket[row["ticket"]][1])
        bulk.insert(m.TicketCounter, [m.TicketCounter.office_code, m.TicketCounter.day,
                                      m.TicketCounter.last],
                    [(code, day, last) for (code, day), last in sorted(counters.items())])
        rng = random.Random(seed * 7 + 13)
        write_stock(bulk, world, ordered, anchor, rng)
        write_replacements(bulk, world, ordered)
        write_leave(bulk, world, anchor, rng)
        log_live(world, anchor, rng, {t.unit_id for t in tickets if t.is_open})
    return m.Ticket.select().count()


def write_stock(bulk: Bulk, world: World, planned: list[Planned], anchor: dt.datetime,
                rng: random.Random) -> None:
    """Stock items, every office's levels and the movements that led to them: the opening
    stock, an item issued to every ticket restored by a swap and to every replacement
    from stock, a few transfers, and a restocking wherever a quantity would go below 0."""
    products = list(world.products.values())
    items = [{"category": StockItemKind.PRODUCT, "name": p.model, "product": p.id,
              "notes": p.name} for p in products]
    items += [{"category": kind, "name": name, "notes": ""} for kind, name, *_ in STOCK]
    ids = bulk.create(m.StockItem, items)
    # the rows themselves, not their ids: a level's and a movement's audit summary names
    # the item (one query a row otherwise)
    item_rows = [m.StockItem(id=i, **row) for i, row in zip(ids, items, strict=True)]
    product_item = dict(zip((p.id for p in products), item_rows[:len(products)], strict=True))
    other_items = item_rows[len(products):]
    used: dict[int, set[int]] = {}  # office -> the products its customers' units are
    for unit in world.units:
        customer = world.customers.get(unit.customer_id)
        if customer is not None:
            used.setdefault(customer.office_id, set()).add(unit.product_id)
    moves: list[dict] = []  # "delta": the change; sorted in time below

    def move(at, office, item, delta, kind, *, other=None, ticket=None, note=""):
        moves.append({"at": stored(at) if at.tzinfo else at, "office": office, "item": item,
                      "delta": delta, "movement": kind, "other_office": other,
                      "ticket": ticket, "note": note})

    opening = anchor - 340 * D
    for office in world.offices.values():
        at = opening + _between(rng, 0 * H, 10 * D)
        for product_id in sorted(used.get(office.id, ())):
            quantity = rng.choice((0, 1, 1, 2, 2, 3))
            if quantity:
                move(at, office.id, product_item[product_id], quantity,
                     StockMovementKind.RECEIVED, note=OPENING)
        for (_kind, _name, low, high), item_id in zip(STOCK, other_items, strict=True):
            quantity = rng.randint(low, high)
            if quantity:
                move(at, office.id, item_id, quantity, StockMovementKind.RECEIVED,
                     note=OPENING)
    for item in planned:
        ticket = item.ticket
        if ticket.unit_id is not None and ticket.restored_how == RestoredBy.SWAP \
                and ticket.restored_at is not None:
            move(ticket.restored_at, ticket.office_id, product_item[ticket.unit.product_id],
                 -1, StockMovementKind.ISSUED, ticket=ticket.id, note=ISSUE_SWAP)
        if item.stock_office is not None:
            at = dt.datetime.combine(item.shipped_on, dt.time(10), tzinfo=zone())
            move(at, item.stock_office, product_item[ticket.unit.product_id], -1,
                 StockMovementKind.ISSUED, ticket=ticket.id, note=ISSUE_REPLACEMENT)
    offices = list(world.offices.values())
    for _n in range(min(4, len(offices) - 1)):  # batteries lent to a neighbour
        source, destination = rng.sample(offices, 2)
        at = anchor - _between(rng, 10 * D, 200 * D)
        move(at, source.id, other_items[4], -2, StockMovementKind.TRANSFER_OUT,
             other=destination.id, note=TRANSFER)
        move(at, destination.id, other_items[4], 2, StockMovementKind.TRANSFER_IN,
             other=source.id, note=TRANSFER)
    balance: dict[tuple[int, object], int] = {}
    rows = []
    for row in sorted(moves, key=lambda r: (r["at"], r["office"], r["item"].id, -r["delta"])):
        key = (row["office"], row["item"])
        have = balance.get(key, 0)
        if have + row["delta"] < 0:  # the office restocked the day before
            have += 2 - row["delta"] - have
            rows.append({**row, "at": row["at"] - D, "delta": have - balance.get(key, 0),
                         "movement": StockMovementKind.RECEIVED, "other_office": None,
                         "ticket": None, "note": RESTOCK, "balance": have})
        have += row["delta"]
        balance[key] = have
        rows.append({**row, "balance": have})
    levels = sorted(balance.items(), key=lambda kv: (kv[0][0], kv[0][1].id))
    bulk.create(m.StockLevel, [{"office": office, "item": item, "quantity": quantity}
                               for (office, item), quantity in levels],
                office=lambda i, row: row["office"])
    customer_of = {p.ticket.id: p.ticket.customer_id for p in planned}
    bulk.create(m.StockMovement,
                [{"at": r["at"], "office": r["office"], "item": r["item"],
                  "movement": r["movement"], "quantity": r["delta"], "balance": r["balance"],
                  "other_office": r["other_office"], "ticket": r["ticket"], "actor": "demo",
                  "note": r["note"]} for r in rows],
                office=lambda i, row: row["office"],
                customer=lambda i, row: customer_of.get(row["ticket"]))


def write_replacements(bulk: Bulk, world: World, planned: list[Planned]) -> None:
    """The shipped and delivered replacements in bulk (their window from the rule engine,
    as the service asks it), then the confirmed ones through the replacements service."""
    engine = current_engine()
    rows = []
    for item in planned:
        if item.replacement not in ("delivered", "shipped"):
            continue
        ticket = item.ticket
        window = engine.replacement_window(world.contracts.get(ticket.unit.contract_id),
                                           item.confirmed_on)
        rows.append({"ticket": ticket.id, "office": ticket.office_id,
                     "customer": ticket.customer_id, "faulty_unit": ticket.unit_id,
                     "new_unit": item.new_unit.id, "confirmed_on": item.confirmed_on,
                     "earliest": window.earliest, "latest": window.latest,
                     "window_by": (window.decided_by or "")[:200],
                     "source": (ReplacementSource.STOCK if item.stock_office is not None
                                else ReplacementSource.FACTORY),
                     "stock_office": item.stock_office, "shipped_on": item.shipped_on,
                     "delivered_on": item.delivered_on, "notes": ""})
    bulk.create(m.Replacement, rows, office=lambda i, row: row["office"],
                customer=lambda i, row: row["customer"])
    for item in planned:
        if item.replacement == "confirmed":
            replacements.confirm(DEMO, m.Ticket.get_by_id(item.ticket.id),
                                 source=ReplacementSource.FACTORY,
                                 confirmed_on=item.confirmed_on)


def write_leave(bulk: Bulk, world: World, anchor: dt.datetime, rng: random.Random) -> None:
    """Three engineers away (one of them today), never the home office's demo engineer."""
    crew = [e for office in sorted(world.engineers) for e in world.engineers[office]
            if e.username != HOME_ENGINEER]
    office_of = {e.id: e.office_id for e in crew}
    rows = []
    for k, person in enumerate(rng.sample(crew, min(3, len(crew)))):
        first = anchor.date() + dt.timedelta(days=(-2, 5, -30)[k])
        rows.append({"staff": person.id, "starts_on": first,
                     "ends_on": first + dt.timedelta(days=(6, 4, 9)[k]),
                     "reason": LEAVE_REASONS[k]})
    bulk.create(m.StaffLeave, rows, office=lambda i, row: office_of[row["staff"]])


def log_live(world: World, anchor: dt.datetime, rng: random.Random, busy: set) -> None:
    """A handful of faults received in the last two hours, logged through the intake
    service (the first two also replied through it): their reply is due soon."""
    units_of: dict[int, list] = {}
    for unit in world.units:
        customer = world.customers.get(unit.customer_id)
        if (unit.status == UnitStatus.IN_SERVICE and unit.site_id and unit.id not in busy
                and customer is not None):
            units_of.setdefault(customer.office_id, []).append(unit)
    offices = sorted(world.offices.values(), key=lambda o: (o.code != HOME_OFFICE, o.id))
    picked = offices[:1] + rng.sample(offices[1:], min(len(offices) - 1,
                                                       len(LIVE_MINUTES) - 1))
    for k, (office, minutes) in enumerate(zip(picked, LIVE_MINUTES, strict=False)):
        units = units_of.get(office.id)
        if not units:
            continue
        unit = rng.choice(units)
        ticket = service.open_ticket(DEMO, service.Report(
            serial=unit.serial, received=anchor - minutes * M, **_report(rng, world, unit)))
        if k < 2:
            due = f"{local(ticket.arrival_due):%m月%d日 %H:%M}"
            service.reply(DEMO, ticket, REPLY.format(engineer="值班", due=due),
                          at=anchor - (minutes // 3) * M)


# -- benchmarks: tickets in bulk -----------------------------------------------------------------

def add_tickets(target: int, insert: Callable, anchor: dt.datetime | None = None, *,
                seed: int = SEED, skip_units=(), chunk: int = 20000, progress=None) -> int:
    """Add tickets in bulk until there are ``target``; returns how many were added.

    The benchmarks' path (as :func:`backoffice.demo.add_units` is for units): tickets
    received over the year before ``anchor`` on the demo's installed units (not those in
    ``skip_units``), each decided as :class:`Decider` decides and its story applied up to
    ``anchor`` (so the last days' tickets are open, the rest closed or cancelled),
    numbered after the ``TicketCounter`` rows, which are kept in step. No pauses,
    replacements or audit rows: a million synthetic rows tell nobody anything.
    ``insert`` is :func:`backoffice.demo.insert_rows`. Each chunk is one transaction.
    """
    have = m.Ticket.select().count()
    if have >= target:
        return 0
    anchor = anchor or now()
    rng = random.Random(seed * 7 + 17 + have)
    world = World.read()
    skip = set(skip_units)
    pool = [u for u in world.units if u.status in ELIGIBLE and u.installed_on
            and u.id not in skip and u.customer_id in world.customers]
    if not pool:
        return 0
    planner = Planner(world, anchor, rng)
    start = anchor - 365 * D
    counters = {(c.office_code, c.day): c.last for c in m.TicketCounter.select()}
    fields = [f for f in m.Ticket._meta.sorted_fields if f is not m.Ticket._meta.primary_key]
    moment = stored(now())
    added, missing = 0, target - have
    engine = current_engine()
    while added < missing:
        batch = []
        with engine.recording():
            while len(batch) < min(chunk, missing - added):
                unit = pool[rng.randrange(len(pool))]
                first = dt.datetime.combine(unit.installed_on + D, dt.time(8), tzinfo=zone())
                low = max(start, first)
                if low >= anchor - H:
                    continue
                received = low + (anchor - H - low) * rng.random()
                shape = Shape(late_reply=rng.random() < 0.08,
                              late_arrival=rng.random() < 0.12,
                              cancel=TicketState.RECEIVED if rng.random() < 0.03 else None,
                              restored_how=RestoredBy.REPAIR)
                unit, customer, site = planner.subject(unit)
                ticket = planner.decide.ticket(received, unit, customer, site,
                                               **planner.report(unit))
                events = story(rng, ticket.reply_due - ticket.received_at,
                               ticket.arrival_due - ticket.received_at, shape)
                apply(ticket, planner.decide.clock_of(ticket.contract), events,
                      anchor - received, rng,
                      planner.people(customer.office_id), shape, planner.speed)
                ticket.created_at = ticket.updated_at = moment
                batch.append(ticket)
        before = dict(counters)
        number(batch, counters, world.offices)
        touched = {key: last for key, last in counters.items() if before.get(key) != last}
        rows = [tuple(f.db_value(ticket.__data__.get(f.name, _default(f))) for f in fields)
                for ticket in batch]
        with database.atomic():
            insert(m.Ticket, fields, rows)
            _keep_counters(touched)
        added += len(batch)
        if progress:
            progress(added, missing)
    if is_postgres():
        database.execute_sql("VACUUM ANALYZE ticket")
    return added


def _default(f):
    return f.default() if callable(f.default) else f.default


def _keep_counters(touched: dict) -> None:
    """The counters of the days ``touched`` (``(office code, day) -> last``) left at their
    new last numbers: one upsert per thousand days."""
    Counter = m.TicketCounter
    rows = [{"office_code": code, "day": day, "last": last}
            for (code, day), last in sorted(touched.items())]
    for first in range(0, len(rows), 1000):
        (Counter.insert_many(rows[first:first + 1000])
         .on_conflict(conflict_target=[Counter.office_code, Counter.day],
                      update={Counter.last: EXCLUDED.last}).execute())
