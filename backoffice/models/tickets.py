"""Fault tickets: one fault report from receipt to closure, with its deadlines and pauses.

A ticket keeps what was decided at intake (who pays and why, the distance and
how it was obtained, the reply and arrival deadlines and what decided them) so
that the screens, the API and the clock watcher read the same figures later,
whatever the rules have become since. ``next_due`` is the earliest open
milestone's due time (``None`` while paused or when nothing is open), for the
lists; ``next_check`` is when the clock watcher next has a notice to send,
indexed: the worker reads only the tickets whose check has come.

The work itself (intake, every transition, pause and resume) is
:mod:`backoffice.services.tickets`; these models only hold it and check their
own rows.
"""

from __future__ import annotations

from peewee import (
    SQL,
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    NodeList,
    TextField,
)

from ..i18n import _
from ..labels import ProductState, ReportChannel, RestoredBy, TicketState
from .base import AuditedModel, RuleViolation
from .contracts import Contract
from .core import BaseModel
from .customers import Customer, Site
from .org import Office, Staff
from .products import Unit

#: states in which the clock runs for a ticket's milestones
OPEN_STATES = frozenset({TicketState.RECEIVED, TicketState.REPLIED, TicketState.DISPATCHED,
                         TicketState.ON_SITE, TicketState.WAITING})


class Ticket(AuditedModel):
    """A fault report and its handling; ``number`` reads ``HRB-20261201-0007``."""

    number = CharField(max_length=32, unique=True)
    office = ForeignKeyField(Office, backref="tickets", index=True, on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="tickets", index=True, on_delete="RESTRICT")
    site = ForeignKeyField(Site, backref="tickets", null=True, index=True, on_delete="RESTRICT")
    unit = ForeignKeyField(Unit, backref="tickets", null=True, index=True, on_delete="RESTRICT")
    contract = ForeignKeyField(Contract, backref="tickets", null=True, index=True,
                               on_delete="RESTRICT")
    #: when the office or HQ service department logged the report (stored UTC)
    received_at = DateTimeField(index=True)
    channel = CharField(max_length=10, default=ReportChannel.PHONE)
    reporter_name = CharField(max_length=60, default="")
    reporter_phone = CharField(max_length=40, default="")
    summary = CharField(max_length=200)
    description = TextField(default="")
    product_state = CharField(max_length=10, default=ProductState.DOWN)
    state = CharField(max_length=12, default=TicketState.RECEIVED, index=True)

    # what was decided at intake, with what decided it
    covered = BooleanField(default=False)
    charge = CharField(max_length=14, default="")
    coverage_by = CharField(max_length=200, default="")
    #: the charter's reasons as stored :class:`~backoffice.hookspecs.Reason` JSON ("" for a
    #: plugin's decision): screens show them in the reader's language
    coverage_why = TextField(default="")
    distance_km = DecimalField(max_digits=8, decimal_places=1, null=True)
    #: "road" (recorded on the site), "estimated" (great-circle x road factor) or "" (unknown)
    distance_how = CharField(max_length=10, default="")
    nearer_office = ForeignKeyField(Office, null=True, on_delete="SET NULL",
                                    backref="nearer_for")
    nearer_by_km = DecimalField(max_digits=8, decimal_places=1, null=True)

    # milestones: due (with its reason) and done
    reply_due = DateTimeField(null=True)
    reply_due_by = CharField(max_length=200, default="")
    reply_why = TextField(default="")
    replied_at = DateTimeField(null=True)
    reply_text = TextField(default="")
    replied_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL", backref="replies")
    arrival_due = DateTimeField(null=True)
    arrival_due_by = CharField(max_length=200, default="")
    arrival_why = TextField(default="")
    #: a deadline counted on a business calendar whose data for that year is missing
    estimated = BooleanField(default=False)
    dispatched_at = DateTimeField(null=True)
    engineer = ForeignKeyField(Staff, null=True, index=True, on_delete="SET NULL",
                               backref="tickets")
    dispatch_why = CharField(max_length=300, default="")
    planned_arrival = DateTimeField(null=True)
    arrived_at = DateTimeField(null=True)
    restored_at = DateTimeField(null=True)
    restored_how = CharField(max_length=10, default="")
    closed_at = DateTimeField(null=True)
    cancel_reason = CharField(max_length=300, default="")
    reopened = IntegerField(default=0)

    # the clock
    paused_since = DateTimeField(null=True)
    pause_reason = CharField(max_length=300, default="")
    #: working seconds spent waiting on the customer, every pause added up
    paused_seconds = IntegerField(default=0)
    #: the earliest open milestone's due time; None while paused or when none is open
    next_due = DateTimeField(null=True)
    #: when the clock watcher next has something to say (a warning, breach or escalation
    #: falls due); None while paused or closed. Indexed: a pass reads only the tickets
    #: whose check has come (:mod:`backoffice.services.sla`)
    next_check = DateTimeField(null=True, index=True)
    #: the moment up to which the watcher has sent this ticket's notices
    checked_until = DateTimeField(null=True)

    #: the watcher's bookkeeping is no change anybody made
    audit_ignored = AuditedModel.audit_ignored + ("next_check", "checked_until")

    class Meta:
        # the deadline filters (overdue, due within 2 h); the list's order is IN_HAND's
        # indexes, declared below the class. The number's LIKE-prefix index on PostgreSQL
        # is migration 010's (an operator class the models cannot declare)
        indexes = ((("next_due", "id"), False),)

    def validate(self):
        if not (self.summary or "").strip():
            raise RuleViolation(_("A fault report needs a summary."), "summary")
        self.summary = self.summary.strip()
        for name, enum in (("state", TicketState), ("channel", ReportChannel),
                           ("product_state", ProductState)):
            if getattr(self, name) not in enum.__members__.values():
                raise RuleViolation(_("Unknown %(field)s %(value)r.", field=name,
                                      value=getattr(self, name)), name)
        if self.restored_how and self.restored_how not in RestoredBy.__members__.values():
            raise RuleViolation(_("Unknown way of restoring %(value)r.",
                                  value=self.restored_how), "restored_how")

    @classmethod
    def office_filter(cls, office_id):
        return cls.office == office_id

    @classmethod
    def assigned_filter(cls, staff_id):
        return cls.engineer == staff_id

    def office_id_for_audit(self):
        return self.office_id

    def customer_id_for_audit(self):
        return self.customer_id

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def __str__(self):
        return self.number


#: the ticket list's first order key: 0 an open ticket with a next deadline, 1 one still
#: in hand without one (on site, waiting on the customer, restored, not closed yet), 2
#: closed or cancelled. Then ``next_due`` (ranks 0 and 1 are all with and all without
#: one, so the NULLs' place never matters) and the id. The literals are written out:
#: SQLite uses an index on an expression only for the very same expression, and a bound
#: parameter is not the same (migration 012).
IN_HAND = Case(None, ((Ticket.state.in_(SQL("('closed', 'cancelled')")), SQL("2")),
                      (Ticket.next_due.is_null(), SQL("1"))), SQL("0"))

# the list's pages as index ranges read in order (migration 012): every office's
# (headquarters), one office's (its staff, or the office filter), one office's of one
# state (the filter). PostgreSQL wants an expression in an index in parentheses.
for _name, _leading in (("ticket_in_hand_next_due_id", ()),
                        ("ticket_office_id_in_hand_next_due_id", (Ticket.office,)),
                        ("ticket_office_id_state_in_hand_next_due_id",
                         (Ticket.office, Ticket.state))):
    Ticket.add_index(Ticket.index(*_leading, NodeList((IN_HAND,), parens=True),
                                  Ticket.next_due, Ticket.id, name=_name))
del _name, _leading


class TicketPause(AuditedModel):
    """One stretch of time a ticket waited on the customer: why, who, from and until."""

    ticket = ForeignKeyField(Ticket, backref="pauses", index=True, on_delete="CASCADE")
    started_at = DateTimeField()
    ended_at = DateTimeField(null=True)
    reason = CharField(max_length=300)
    #: the state the ticket was in before the pause (it returns there on resume)
    resumes_to = CharField(max_length=12, default=TicketState.RECEIVED)
    #: working seconds this pause lasted (set on resume)
    seconds = IntegerField(default=0)

    @classmethod
    def office_filter(cls, office_id):
        return cls.ticket.in_(Ticket.select(Ticket.id).where(Ticket.office == office_id))

    @classmethod
    def assigned_filter(cls, staff_id):
        return cls.ticket.in_(Ticket.select(Ticket.id).where(Ticket.engineer == staff_id))

    def office_id_for_audit(self):
        ticket = Ticket.get_or_none(Ticket.id == self.ticket_id)
        return ticket.office_id if ticket else None

    def customer_id_for_audit(self):
        ticket = Ticket.get_or_none(Ticket.id == self.ticket_id)
        return ticket.customer_id if ticket else None


class TicketCounter(BaseModel):
    """The last sequence number given out per office and day (readable ticket numbers
    that stay unique when several offices log faults at the same moment)."""

    office_code = CharField(max_length=16)
    day = CharField(max_length=8)  # YYYYMMDD in the service center's zone
    last = IntegerField(default=0)

    class Meta:
        indexes = ((("office_code", "day"), True),)

    @classmethod
    def office_filter(cls, office_id):
        return None
