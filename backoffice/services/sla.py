"""The clock watcher: every warning, breach and escalation of a ticket's deadlines, once.

Three parts, each safe to run in several workers at once and to kill at any point:

1. :func:`schedule` gives a ticket its ``next_check``: the earliest moment one of the
   ``escalation_ladder`` hook's steps falls due for one of its open milestones (the
   charter: a warning at the terms' ``warning_share`` of the time, the breach at the due
   time, the escalation ``head_after_hours`` after it). Every transition of a ticket
   calls it (:mod:`backoffice.services.tickets`); a paused or finished ticket has none.
2. :func:`run_pass` reads only the tickets whose ``next_check`` has come (an index
   range: its cost follows the notices due, not the tickets ever logged), and for each
   creates the notices of the steps that fell due since its ``checked_until``, one per
   recipient, with their deliveries (the outbox), and moves ``next_check`` on, all in
   one transaction. The notice's unique key (ticket, milestone, level, recipient)
   makes a second creation impossible; PostgreSQL's ``FOR UPDATE SKIP LOCKED`` keeps
   two workers off each other's tickets, SQLite's write lock serialises them.
3. :func:`deliver_due` sends what the outbox holds: each delivery is first claimed (a
   lease: ``next_attempt_at`` moves :data:`LEASE` ahead, in its own transaction), then
   sent, then recorded. A worker killed after the send and before the record leaves
   the lease to run out; the delivery is then sent again **with the same message id**
   (the receiver sees the message twice, with one id: see docs/operations.md). A
   failure is retried with backoff (:data:`BACKOFF`); after the last one the delivery
   is ``failed``, shown in the admin, and :func:`retry` sends it again.

Who is told: the ladder's roles (:class:`~backoffice.labels.NoticeRole`) resolved to
active staff (the assigned engineer, the office's managers, headquarters' service
department, the heads of service), each getting the notice in their inbox and, with
an e-mail address, by mail; the group robots set up for the ticket's office or
contract (from their ``min_level`` up); and the channels a contract's plugins add
(the ``notification_channels`` hook). Texts are in the recipient's language (a
group's: the default language).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale

from ..access import Action, require
from ..clock import local, stored, utcnow
from ..db import database, is_postgres
from ..hookspecs import Channel, Message
from ..i18n import _, current_language
from ..labels import DeliveryState, Milestone, NoticeLevel, NoticeRole, Role, TicketState, label
from ..models import Contract, Customer, Delivery, GroupRobot, Notice, Office, Staff, Ticket
from ..plugins import current_engine
from .calendars import add_working_time, working_time_between

logger = logging.getLogger("backoffice.sla")

#: tickets one transaction of a pass handles
BATCH = 200
#: how long a delivery under way is left to its worker before another may take it (the
#: default of the ``notice_lease_seconds`` setting)
LEASE = dt.timedelta(minutes=5)
#: waits before the 2nd, 3rd, ... attempt; after the last, the delivery is ``failed``
BACKOFF = tuple(dt.timedelta(minutes=m) for m in (1, 2, 5, 15, 30, 60, 120))
#: the milestones the watcher knows: (due field, done field)
MILESTONES = {Milestone.REPLY: ("reply_due", "replied_at"),
              Milestone.ARRIVAL: ("arrival_due", "arrived_at")}
#: states whose clock is stopped or done: no check
_QUIET = frozenset({TicketState.WAITING, TicketState.RESTORED, TicketState.CLOSED,
                    TicketState.CANCELLED})
_RANK = {NoticeLevel.WARNING: 0, NoticeLevel.BREACH: 1, NoticeLevel.ESCALATION: 2}


@dataclass(frozen=True)
class Step:
    """One step of the ladder for one open milestone of a ticket: when, what, for whom."""

    milestone: str
    level: str
    role: str
    at: dt.datetime  # stored (naive UTC)
    due: dt.datetime  # stored (naive UTC)


# -- 1. schedule -------------------------------------------------------------------------

class _Rules:
    """The contract and its terms, read once per contract in a pass (or a transition); the
    ladder asked for each ticket (the hook is given the ticket: a plugin may decide by it)."""

    def __init__(self):
        self.engine = current_engine()
        self._cache: dict[int | None, tuple] = {}

    def load(self, tickets: list) -> None:
        """Read the contracts of ``tickets`` not read yet, in one query (a pass's batch)."""
        missing = {t.contract_id for t in tickets} - set(self._cache) - {None}
        for contract in Contract.select().where(Contract.id.in_(list(missing))):
            self._cache[contract.id] = (contract, self.engine.terms_for(contract))

    def terms_of(self, ticket) -> tuple:
        """``(contract, terms)`` of the ticket's contract."""
        key = ticket.contract_id
        if key not in self._cache:
            contract = Contract.get_or_none(Contract.id == key) if key else None
            self._cache[key] = (contract, self.engine.terms_for(contract))
        return self._cache[key]

    def of(self, ticket) -> tuple:
        """``(contract, terms, ladder)`` for the ticket."""
        contract, terms = self.terms_of(ticket)
        return contract, terms, self.engine.escalation_ladder(contract, ticket, terms=terms)


def steps(ticket, rules: _Rules | None = None) -> list[Step]:
    """Every ladder step of the ticket's open milestones, in time order."""
    if ticket.state in _QUIET:
        return []
    _contract, terms, ladder = (rules or _Rules()).of(ticket)
    received = local(ticket.received_at)
    paused = dt.timedelta(seconds=ticket.paused_seconds or 0)
    found, shares = [], {}  # shares: (milestone, fraction) -> its time, counted once
    for step in ladder:
        fields = MILESTONES.get(step.deadline)
        if fields is None:
            continue  # a milestone the watcher does not know (documented in the hook)
        due, done = (getattr(ticket, name) for name in fields)
        if due is None or done is not None:
            continue
        if step.fraction < 1:
            at = shares.get((step.deadline, step.fraction))
            if at is None:
                # the share of the time the milestone was given, counted on the terms' clock
                # from receipt, with the time paused so far added back
                given = working_time_between(received, local(due), terms.clock) - paused
                at, _estimated = add_working_time(
                    received, max(given, dt.timedelta(0)) * step.fraction + paused,
                    terms.clock)
                at = shares[step.deadline, step.fraction] = stored(at)
        else:
            at = due + step.after
        found.append(Step(step.deadline, step.level, step.notify, at, due))
    return sorted(found, key=lambda s: s.at)


def schedule(ticket, rules: _Rules | None = None) -> None:
    """Set ``ticket.next_check`` (not saved): its next step after ``checked_until``."""
    ticket.next_check = _next_check(steps(ticket, rules), ticket.checked_until)


def _next_check(found: list[Step], after: dt.datetime | None) -> dt.datetime | None:
    upcoming = [s.at for s in found if after is None or s.at > after]
    return min(upcoming) if upcoming else None


def schedule_missing(batch: int = 1000) -> int:
    """Give each open ticket that has never been checked its first check: tickets logged
    before the watcher existed (a database upgraded to migration 011) and tickets written
    in bulk (the demo). The worker does this when it starts; returns how many."""
    rules, scheduled, last = _Rules(), 0, 0
    while True:
        rows = list(Ticket.select().where(
            (Ticket.id > last) & Ticket.next_check.is_null() & Ticket.checked_until.is_null()
            & Ticket.state.not_in(list(_QUIET))).order_by(Ticket.id).limit(batch))
        if not rows:
            return scheduled
        with database.atomic():
            for ticket in rows:
                schedule(ticket, rules)
                if ticket.next_check is not None:
                    Ticket.update(next_check=ticket.next_check).where(
                        Ticket.id == ticket.id).execute()
                    scheduled += 1
        last = rows[-1].id


# -- 2. the pass ---------------------------------------------------------------------------

@dataclass
class PassResult:
    tickets: int = 0
    notices: int = 0
    deliveries: int = 0


def run_pass(at: dt.datetime | None = None, *, batch: int = BATCH) -> PassResult:
    """Create every notice that has fallen due by ``at`` (stored UTC; default now)."""
    moment = at or utcnow()
    result = PassResult()
    rules = _Rules()
    people = _People()
    while True:
        with database.atomic():
            query = (Ticket.select().where(Ticket.next_check <= moment)
                     .order_by(Ticket.next_check, Ticket.id).limit(batch))
            if is_postgres():
                query = query.for_update("FOR UPDATE SKIP LOCKED")
            tickets = list(query)
            if not tickets:
                return result
            notices, deliveries = _notices_for(tickets, moment, rules, people)
            _crash_point("pass_before_commit")
            result.tickets += len(tickets)
            result.notices += notices
            result.deliveries += deliveries
        _crash_point("pass_after_commit")
        if len(tickets) < batch:
            return result


class _People:
    """The staff each role names, looked up once per pass."""

    def __init__(self):
        self._office: dict[int, list] = {}
        self._hq: list | None = None
        self._heads: list | None = None
        self._staff: dict[int, Staff | None] = {}

    def named(self, role: str, ticket) -> list:
        active = Staff.active == True
        if role == NoticeRole.ENGINEER:
            if ticket.engineer_id is None:
                return []
            if ticket.engineer_id not in self._staff:
                self._staff[ticket.engineer_id] = Staff.get_or_none(
                    (Staff.id == ticket.engineer_id) & active)
            found = self._staff[ticket.engineer_id]
            return [found] if found else []
        if role == NoticeRole.OFFICE_MANAGER:
            if ticket.office_id not in self._office:
                self._office[ticket.office_id] = list(Staff.select().where(
                    (Staff.office == ticket.office_id) & (Staff.role == Role.OFFICE_MANAGER)
                    & active).order_by(Staff.id))
            return self._office[ticket.office_id]
        if role == NoticeRole.HQ:
            if self._hq is None:
                self._hq = list(Staff.select().where((Staff.role == Role.HQ) & active)
                                .order_by(Staff.id))
            return self._hq
        if role == NoticeRole.HEAD_OF_SERVICE:
            if self._heads is None:
                self._heads = list(Staff.select().where(
                    (Staff.head_of_service == True) & active).order_by(Staff.id))
            return self._heads
        return []  # a role the watcher does not know: nobody (documented in the hook)


def _notices_for(tickets: list, moment: dt.datetime, rules: _Rules, people: _People
                 ) -> tuple[int, int]:
    """The notices (and deliveries) of ``tickets`` up to ``moment``; moves their checks on."""
    wanted: dict[tuple, dict] = {}
    robots = _robots_for(tickets)
    rules.load(tickets)
    planned = {}  # each ticket's steps, worked out once: its notices, then its next check
    for ticket in tickets:
        after = ticket.checked_until
        planned[ticket.id] = found = steps(ticket, rules)
        for step in found:
            if step.at > moment or (after is not None and step.at <= after):
                continue
            for staff in people.named(step.role, ticket):
                key = (ticket.id, step.milestone, step.level, f"staff:{staff.id}")
                wanted.setdefault(key, {"ticket": ticket, "step": step, "staff": staff,
                                        "role": step.role, "channels": _mail_of(staff)})
            for channel in _group_channels(ticket, step, robots, rules):
                key = (ticket.id, step.milestone, step.level, _channel_key(channel))
                wanted.setdefault(key, {"ticket": ticket, "step": step, "staff": None,
                                        "role": "", "channels": [channel]})
    existing = set()
    if wanted:
        ids = [t.id for t in tickets]
        existing = set(Notice.select(Notice.ticket, Notice.milestone, Notice.level,
                                     Notice.recipient).where(Notice.ticket.in_(ids)).tuples())
    new = {key: value for key, value in wanted.items() if key not in existing}
    created_at = utcnow()
    if new:
        _insert(Notice, [{
            "ticket": key[0], "milestone": key[1], "level": key[2], "recipient": key[3],
            "staff": value["staff"].id if value["staff"] else None, "role": value["role"],
            "due_at": value["step"].due, "created_at": created_at}
            for key, value in new.items()])
    deliveries = []
    if new:
        ids = {key[0] for key in new}
        made = {(ticket, milestone, level, recipient): notice
                for notice, ticket, milestone, level, recipient in
                Notice.select(Notice.id, Notice.ticket, Notice.milestone, Notice.level,
                              Notice.recipient)
                .where(Notice.ticket.in_(list(ids)) & (Notice.created_at == created_at))
                .tuples()}
        for key, value in new.items():
            for channel in value["channels"]:
                deliveries.append({
                    "notice": made[key], "kind": channel.kind, "address": channel.address,
                    "options": json.dumps(channel.options, ensure_ascii=False)
                    if channel.options else "",
                    "message_id": _message_id(made[key], channel), "next_attempt_at": moment,
                    "created_at": created_at})
        _insert(Delivery, deliveries)
    for ticket in tickets:
        ticket.checked_until = moment
        ticket.next_check = _next_check(planned[ticket.id], moment)
    _move_checks(tickets, moment)
    return len(new), len(deliveries)


# A pass writes thousands of rows: peewee's query builder spends ~40 us of Python on each
# value, so the two writes below are plain SQL (the same on SQLite and PostgreSQL), built
# once per statement, with the fields' own conversions.

def _insert(model, rows: list[dict], per_statement: int = 500) -> None:
    """Insert ``rows`` (field name -> value, the same names in each) in multi-row INSERTs;
    the other fields get their defaults, as peewee's ``insert_many`` gives them."""
    if not rows:
        return
    given = set(rows[0])
    defaults = {f.name: f.default for f in model._meta.sorted_fields
                if f.name not in given and f.default is not None}
    if defaults:
        rows = [row | {name: value() if callable(value) else value
                       for name, value in defaults.items()} for row in rows]
    fields = [model._meta.fields[name] for name in rows[0]]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        database.execute_sql(
            f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES '
            + ", ".join([one] * len(chunk)),
            [f.db_value(row[f.name]) for row in chunk for f in fields])


def _move_checks(tickets: list, moment: dt.datetime, per_statement: int = 500) -> None:
    """Each ticket's ``next_check``, and ``checked_until`` = ``moment``: one UPDATE for
    ``per_statement`` tickets."""
    mark, until = database.param, Ticket.checked_until.db_value(moment)
    table, check = Ticket._meta.table_name, Ticket.next_check.column_name
    for start in range(0, len(tickets), per_statement):
        chunk = tickets[start:start + per_statement]
        cases = " ".join([f"WHEN {mark} THEN {mark}"] * len(chunk))
        database.execute_sql(
            f'UPDATE "{table}" SET "{check}" = CASE "id" {cases} ELSE "{check}" END, '
            f'"{Ticket.checked_until.column_name}" = {mark} '
            f'WHERE "id" IN ({", ".join([mark] * len(chunk))})',
            [*(value for t in chunk for value in (t.id, Ticket.next_check.db_value(t.next_check))),
             until, *(t.id for t in chunk)])


def _mail_of(staff) -> list[Channel]:
    return [Channel("mail", staff.email)] if (staff.email or "").strip() else []


def _robots_for(tickets: list) -> dict[str, list]:
    offices = {t.office_id for t in tickets}
    contracts = {t.contract_id for t in tickets if t.contract_id}
    where = GroupRobot.office.in_(list(offices))
    if contracts:
        where |= GroupRobot.contract.in_(list(contracts))
    found: dict[str, list] = {}
    for robot in GroupRobot.select().where((GroupRobot.active == True) & where):
        owner = f"office:{robot.office_id}" if robot.office_id else f"contract:{robot.contract_id}"
        found.setdefault(owner, []).append(robot)
    return found


def _group_channels(ticket, step: Step, robots: dict, rules: _Rules) -> list[Channel]:
    owners = [f"office:{ticket.office_id}"]
    if ticket.contract_id:
        owners.append(f"contract:{ticket.contract_id}")
    channels = [Channel(robot.kind, robot.webhook_url,
                        {"secret": robot.secret} if robot.secret else {})
                for owner in owners for robot in robots.get(owner, ())
                if _RANK[step.level] >= _RANK.get(robot.min_level, 1)]
    contract, _terms = rules.terms_of(ticket)
    channels += rules.engine.notification_channels(contract, ticket=ticket,
                                                   milestone=step.milestone, level=step.level)
    return channels


def _channel_key(channel: Channel) -> str:
    digest = hashlib.sha256(channel.address.encode()).hexdigest()[:24]
    return f"{channel.kind[:40]}:{digest}"


def _message_id(notice_id: int, channel: Channel) -> str:
    """Stable for the notice and the channel: every retry carries the same id."""
    digest = hashlib.sha256(f"{channel.kind}\n{channel.address}".encode()).hexdigest()[:12]
    return f"notice-{notice_id}-{channel.kind[:20]}-{digest}@backoffice"


# -- 3. the outbox --------------------------------------------------------------------------

@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    #: the call found as many due as its limit: more may be waiting
    more: bool = False


def deliver_due(at: dt.datetime | None = None, *, limit: int = 200,
                senders: dict | None = None) -> DeliveryResult:
    """Send every delivery whose attempt has come, as many as ``limit`` per call."""
    moment = at or utcnow()
    senders = current_engine().notice_senders() if senders is None else senders
    result = DeliveryResult()
    due = list(Delivery.select().where(
        (Delivery.state == DeliveryState.PENDING) & (Delivery.next_attempt_at <= moment))
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
    result.more = len(due) == limit
    rows = _Rows()  # the notices, tickets, ... the messages tell of, each read once
    rows.load(Notice, [d.notice_id for d in due])
    rows.load(Ticket, [rows.get(Notice, d.notice_id).ticket_id for d in due
                       if rows.get(Notice, d.notice_id)])
    for delivery in due:
        if not _claim(delivery, moment):
            continue  # another worker has it
        try:
            sender = senders.get(delivery.kind)
            if sender is None:
                raise LookupError(f"no sender for channel kind {delivery.kind!r}")
            message = compose(delivery, rows)
            sender.send(_channel_of(delivery), message, current_app.config)
        except Exception as exc:  # noqa: BLE001 - any failure of a channel is retried
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:1000]
            _failed(delivery, error, moment)
            result.failed += 1
            result.errors.append(error)
            continue
        _crash_point("after_send")
        with database.atomic():
            Delivery.update(state=DeliveryState.SENT, sent_at=utcnow(), last_error="").where(
                Delivery.id == delivery.id).execute()
        result.sent += 1
    return result


def _claim(delivery: Delivery, moment: dt.datetime) -> bool:
    """Take ``delivery`` (as read) for :data:`LEASE`, one attempt more; False if another
    worker has taken or changed it since it was read (its attempts counted the same)."""
    lease = dt.timedelta(seconds=current_app.config.get("NOTICE_LEASE_SECONDS",
                                                        LEASE.total_seconds()))
    with database.atomic():
        taken = Delivery.update(next_attempt_at=moment + lease,
                                attempts=Delivery.attempts + 1).where(
            (Delivery.id == delivery.id) & (Delivery.state == DeliveryState.PENDING)
            & (Delivery.next_attempt_at <= moment)
            & (Delivery.attempts == delivery.attempts)).execute()
    if taken:
        delivery.next_attempt_at, delivery.attempts = moment + lease, delivery.attempts + 1
    return bool(taken)


def _failed(delivery: Delivery, error: str, moment: dt.datetime) -> None:
    attempt = delivery.attempts  # already counted by the claim
    changes = {"last_error": error}
    if attempt > len(BACKOFF):
        changes["state"] = DeliveryState.FAILED
    else:
        changes["next_attempt_at"] = moment + BACKOFF[attempt - 1]
    logger.warning("notice delivery %s (%s) failed, attempt %d: %s", delivery.id,
                   delivery.kind, attempt, error)
    with database.atomic():
        Delivery.update(**changes).where(Delivery.id == delivery.id).execute()


def _channel_of(delivery: Delivery) -> Channel:
    try:
        options = json.loads(delivery.options) if delivery.options else {}
    except ValueError:
        options = {}
    return Channel(delivery.kind, delivery.address, options)


def retry(user, delivery_ids: Iterable[int]) -> int:
    """Send failed deliveries again now (an administrator's or HQ's hand); how many."""
    require(user, Action.UPDATE, Delivery)
    ids = [int(i) for i in delivery_ids]
    with database.atomic():
        return Delivery.update(state=DeliveryState.PENDING, next_attempt_at=utcnow(),
                               attempts=0).where(
            Delivery.id.in_(ids) & (Delivery.state == DeliveryState.FAILED)).execute()


# -- texts -----------------------------------------------------------------------------------

class _Rows:
    """Rows by id, each read once (one :func:`deliver_due` call's messages tell of a few
    tickets, offices and customers many times)."""

    def __init__(self):
        self._rows: dict[tuple, object] = {}

    def load(self, model, ids) -> None:
        """Read the rows of ``ids`` not read yet, in one query."""
        wanted = {i for i in ids if i is not None and (model, i) not in self._rows}
        for row in model.select().where(model.id.in_(list(wanted))) if wanted else ():
            self._rows[model, row.id] = row

    def get(self, model, key):
        if key is None:
            return None
        if (model, key) not in self._rows:
            self._rows[model, key] = model.get_or_none(model.id == key)
        return self._rows[model, key]


def compose(delivery: Delivery, rows: _Rows | None = None) -> Message:
    """The delivery's notice as a message, in the recipient's language."""
    rows = rows or _Rows()
    notice = rows.get(Notice, delivery.notice_id) or Notice.get_by_id(delivery.notice_id)
    staff = rows.get(Staff, notice.staff_id)
    language = (staff.language if staff and staff.language else None) or \
        current_app.config["DEFAULT_LANGUAGE"]
    with force_locale(language):
        return _message(notice, delivery.message_id, rows)


def notice_text(notice) -> tuple[str, str]:
    """``(subject, one line)`` of a notice in the current language (the inbox shows them)."""
    ticket = notice.ticket
    milestone = label(notice.milestone, Milestone)
    due = _shown(notice.due_at)
    if notice.level == NoticeLevel.WARNING:
        line = _("%(milestone)s is due at %(due)s.", milestone=milestone, due=due)
    elif notice.level == NoticeLevel.BREACH:
        line = _("%(milestone)s was due at %(due)s and is not done.", milestone=milestone,
                 due=due)
    else:
        line = _("%(milestone)s was due at %(due)s and is still not done: escalated.",
                 milestone=milestone, due=due)
    subject = f"[{label(notice.level, NoticeLevel)}] {ticket.number}: {ticket.summary}"
    return subject, line


def _message(notice, message_id: str, rows: _Rows) -> Message:
    ticket = notice.ticket = rows.get(Ticket, notice.ticket_id)
    subject, line = notice_text(notice)
    link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/admin/ticket/details/?id={ticket.id}"
    facts = [(_("Customer"), rows.get(Customer, ticket.customer_id).name),
             (_("Office"), rows.get(Office, ticket.office_id).name), (_("Fault"), ticket.summary)]
    if ticket.engineer_id:
        facts.append((_("Engineer"), rows.get(Staff, ticket.engineer_id).name))
    if notice.role:
        facts.append((_("You are told as"), label(notice.role, NoticeRole)))
    text = "\n".join([line, ""] + [f"{name}: {value}" for name, value in facts]
                     + ["", link, "", _("Message id: %(id)s", id=message_id)])
    markdown = "\n".join([f"**{subject}**", "", line, ""]
                         + [f"> {name}: {value}" for name, value in facts]
                         + ["", f"[{ticket.number}]({link})",
                            f"`{message_id}`"])
    return Message(message_id=message_id, subject=subject, text=text, markdown=markdown,
                   level=notice.level, ticket_number=ticket.number, link=link)


def _shown(value: dt.datetime) -> str:
    """``2026-12-01 14:00 (Asia/Shanghai)``, with the reader's parentheses."""
    moment = local(value)
    if current_language() == "zh_Hans_CN":
        return f"{moment:%Y-%m-%d %H:%M}（{moment.tzinfo.key}）"
    return f"{moment:%Y-%m-%d %H:%M} ({moment.tzinfo.key})"


# -- the inbox -------------------------------------------------------------------------------

def unread_count(user, *, cap: int | None = None) -> int:
    """How many of ``user``'s notices are unread; with ``cap``, at most ``cap + 1`` rows
    are read (the bell on every page says "99+", however many there are)."""
    query = Notice.select().where((Notice.staff == user.id) & Notice.read_at.is_null())
    return (query if cap is None else query.limit(cap + 1)).count()


def inbox(user, *, page: int = 1, per_page: int = 50) -> list:
    """A member of staff's notices, newest first."""
    return list(Notice.select(Notice, Ticket).join(Ticket).where(Notice.staff == user.id)
                .order_by(Notice.id.desc()).paginate(max(page, 1), per_page))


def mark_read(user, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notices read (all of them with ``None``); another's are untouched."""
    where = (Notice.staff == user.id) & Notice.read_at.is_null()
    if notice_ids is not None:
        where &= Notice.id.in_([int(i) for i in notice_ids])
    with database.atomic():
        return Notice.update(read_at=utcnow()).where(where).execute()


# -- testing ---------------------------------------------------------------------------------

def _crash_point(name: str) -> None:
    """Fault injection for the exactly-once tests: with ``BACKOFFICE_CRASH_AT=<name>`` the
    process kills itself (SIGKILL, nothing cleaned up) at that point of a pass or a
    delivery. Unset in every real deployment; the names are this module's calls."""
    if os.environ.get("BACKOFFICE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["BACKOFF", "LEASE", "DeliveryResult", "PassResult", "Step", "compose",
           "deliver_due", "inbox", "mark_read", "notice_text", "retry", "run_pass",
           "schedule", "schedule_missing", "steps", "unread_count"]
