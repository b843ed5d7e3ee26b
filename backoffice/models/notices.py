"""Notices: what the clock watcher tells people about a ticket's deadlines, and its outbox.

A :class:`Notice` is one warning, breach or escalation of one milestone of one ticket
for one recipient: a member of staff (it is then in their inbox in the app) or a
group channel (a WeCom or DingTalk group robot, or a channel a plugin adds). The
unique key (ticket, milestone, level, recipient) makes a second notice of the same
thing impossible, whatever the number of workers or restarts
(:mod:`backoffice.services.sla` creates them in the transaction that moves the
ticket's ``next_check`` on).

A :class:`Delivery` is one sending of a notice through one channel (a mail to a
member of staff, a post to a group robot): the outbox. It keeps its
``message_id`` from the first attempt to the last, so a receiver that sees a retry
of a message it already has can tell (the mail's ``Message-ID``, the robots'
``X-Backoffice-Message-Id`` header and the message's last line).

A :class:`GroupRobot` is a group chat's robot that gets the notices of an office's
tickets, or of one contract's tickets.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ..clock import utcnow
from ..i18n import _
from ..labels import DeliveryState, NoticeLevel, RobotKind
from .base import AuditedModel, RuleViolation
from .contracts import Contract
from .core import BaseModel
from .org import Office, Staff
from .tickets import Ticket


class Notice(BaseModel):
    """One warning, breach or escalation of one milestone of a ticket, for one recipient."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="notices", index=True, on_delete="CASCADE")
    #: ``reply``, ``arrival`` (a :class:`~backoffice.labels.Milestone`)
    milestone = CharField(max_length=12)
    #: ``warning``, ``breach`` or ``escalation`` (:class:`~backoffice.labels.NoticeLevel`)
    level = CharField(max_length=12)
    #: ``staff:<id>`` or ``<channel kind>:<digest of its address>``: part of the unique key
    recipient = CharField(max_length=80)
    #: the member of staff whose inbox holds it (None for a group channel)
    staff = ForeignKeyField(Staff, backref="notices", null=True, on_delete="CASCADE")
    #: the role that made them a recipient (``office_manager``, ``hq``, ...; "" for groups)
    role = CharField(max_length=20, default="")
    #: the milestone's due time when the notice was created (stored UTC)
    due_at = DateTimeField()
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("ticket", "milestone", "level", "recipient"), True),
                   # the inbox: one person's notices, newest first; the unread count
                   (("staff", "id"), False), (("staff", "read_at"), False))

    @classmethod
    def office_filter(cls, office_id):
        return cls.ticket.in_(Ticket.select(Ticket.id).where(Ticket.office == office_id))


class Delivery(BaseModel):
    """One sending of a notice through one channel, with its attempts (the outbox)."""

    id = AutoField()
    notice = ForeignKeyField(Notice, backref="deliveries", index=True, on_delete="CASCADE")
    #: ``mail``, ``wecom``, ``dingtalk`` or a plugin's channel kind
    kind = CharField(max_length=20)
    #: where to: a mail address, a robot's webhook address
    address = TextField()
    #: the robot's signing secret or other options of a plugin's channel, as JSON
    options = TextField(default="")
    #: the same on every attempt: a receiver can tell a retry of a message it already has
    message_id = CharField(max_length=120, unique=True)
    state = CharField(max_length=10, default=DeliveryState.PENDING)
    attempts = IntegerField(default=0)
    #: when the next attempt may start (also the lease of an attempt under way)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = TextField(default="")
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("state", "next_attempt_at"), False),)

    @classmethod
    def office_filter(cls, office_id):
        return cls.notice.in_(Notice.select(Notice.id).join(Ticket)
                              .where(Ticket.office == office_id))


class GroupRobot(AuditedModel):
    """A group chat robot (WeCom or DingTalk) that gets an office's or a contract's notices."""

    #: credentials: the secret, and the webhook address, which holds the robot's key
    audit_redacted = ("secret", "webhook_url")

    name = CharField(max_length=100)
    kind = CharField(max_length=10, default=RobotKind.WECOM)
    #: the robot's webhook address, as the group's settings show it
    webhook_url = CharField(max_length=500)
    #: DingTalk's signing secret (``SEC...``), when the robot is set to sign; unused by WeCom
    secret = CharField(max_length=200, default="")
    office = ForeignKeyField(Office, backref="robots", null=True, index=True,
                             on_delete="CASCADE")
    contract = ForeignKeyField(Contract, backref="robots", null=True, index=True,
                               on_delete="CASCADE")
    #: the least serious notice the group gets (``warning``: all of them)
    min_level = CharField(max_length=12, default=NoticeLevel.BREACH)
    active = BooleanField(default=True)

    def validate(self):
        if self.kind not in RobotKind.__members__.values():
            raise RuleViolation(_("Unknown robot kind %(value)r.", value=self.kind), "kind")
        if self.min_level not in NoticeLevel.__members__.values():
            raise RuleViolation(_("Unknown notice level %(value)r.", value=self.min_level),
                                "min_level")
        url = (self.webhook_url or "").strip()
        if not url.startswith(("https://", "http://")):
            raise RuleViolation(_("The webhook address starts with https://."), "webhook_url")
        self.webhook_url = url
        if (self.office_id is None) == (self.contract_id is None):
            raise RuleViolation(_("A robot serves either one office or one contract."),
                                "office")

    @classmethod
    def office_filter(cls, office_id):
        return (cls.office == office_id) | cls.contract.in_(
            Contract.select(Contract.id).where(Contract.office_filter(office_id)))

    def office_id_for_audit(self):
        if self.office_id:
            return self.office_id
        contract = Contract.get_or_none(Contract.id == self.contract_id)
        return contract.customer.office_id if contract else None

    def __str__(self):
        return self.name
