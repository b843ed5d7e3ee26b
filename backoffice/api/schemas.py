"""The API's schemas (marshmallow): what each route accepts and returns.

flask-smorest parses every request with these and draws the OpenAPI document
from them, so the document is the code. The fields here refuse, with a message
in the reader's language, what the database could not hold: text with a NUL
character or a lone surrogate (PostgreSQL refuses both), text longer than its
column, integers outside PostgreSQL's ``integer``, and times that cannot be
expressed in UTC. Whether a value makes sense (a serial that exists, a time in
the future, a step the ticket cannot take) is the services' to say.

Times: an ISO 8601 moment with an offset (``2026-12-01T09:30:00+08:00``) is
taken as written; without one it is the service center's local time (Asia/Shanghai
by default). Every time in an answer carries the service center's offset.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

import marshmallow as ma
from marshmallow import ValidationError, validate

from ..clock import zone
from ..i18n import _, _l
from ..labels import Charge, Milestone, ProductState, ReportChannel, RestoredBy, Role, TicketState

#: PostgreSQL's ``integer`` (ids, versions)
INT_MAX = 2**31 - 1

#: the messages marshmallow gives for a field, in the reader's language
_FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field may not be null."),
    "validator_failed": _l("Invalid value."),
}


def _messages(**more):
    return {**_FIELD_MESSAGES, **more}


class Length(validate.Length):
    """marshmallow's ``Length`` (the document shows minLength and maxLength), translated."""

    def _format_error(self, value, message):
        if self.min and self.max:
            return _("Give %(min)d to %(max)d characters.", min=self.min, max=self.max)
        if self.max is not None:
            return _("Give at most %(max)d characters.", max=self.max)
        return _("Give at least %(min)d characters.", min=self.min)


class Range(validate.Range):
    """marshmallow's ``Range`` (the document shows minimum and maximum), translated."""

    def _format_error(self, value, message):
        return _("Give a number from %(min)s to %(max)s.", min=self.min, max=self.max)


class OneOf(validate.OneOf):
    """marshmallow's ``OneOf`` (the document shows the enum), translated."""

    def _format_error(self, value):
        return _("Give one of: %(choices)s.", choices=", ".join(map(str, self.choices)))


def _storable(value: str) -> None:
    if "\x00" in value:
        raise ValidationError(_("Text may not contain the NUL character."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(_("Text must be valid Unicode (no lone surrogates).")) from exc


def _cursor(value: str) -> None:
    if not re.fullmatch(r"[0-9]{1,10}", value) or int(value) > INT_MAX:
        raise ValidationError(_("Give the next_cursor of the previous page."))


class Text(ma.fields.String):
    """A string the database can store, at most ``max_length`` characters."""

    default_error_messages = _messages(invalid=_l("Give text (a JSON string)."),
                                       invalid_utf8=_l("Text must be valid UTF-8."))

    def __init__(self, max_length: int, *, min_length: int = 0, **kwargs):
        validators = [Length(min=min_length or None, max=max_length), _storable]
        if "validate" in kwargs:
            validators.append(kwargs.pop("validate"))
        super().__init__(validate=validators, **kwargs)


class Choice(ma.fields.String):
    """One of the stored codes of a fixed list (an enum in the document)."""

    default_error_messages = _messages(invalid=_l("Give text (a JSON string)."))

    def __init__(self, enum, **kwargs):
        super().__init__(validate=OneOf([member.value for member in enum]), **kwargs)


class Id(ma.fields.Integer):
    """A whole number that fits the database's ``integer``: 1 and up."""

    default_error_messages = _messages(invalid=_l("Give a whole number."))

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        super().__init__(validate=Range(min=1, max=INT_MAX), **kwargs)


class Moment(ma.fields.DateTime):
    """An ISO 8601 date and time; without an offset, the service center's local time.

    Loads as an aware time in the service center's zone; dumps an aware time as
    ISO 8601 with its offset.
    """

    default_error_messages = _messages(
        invalid=_l("Give a date and time in ISO 8601, e.g. 2026-12-01T09:30:00+08:00."),
        invalid_awareness=_l("Give a date and time in ISO 8601, e.g. "
                             "2026-12-01T09:30:00+08:00."),
        format=_l("Give a date and time in ISO 8601, e.g. 2026-12-01T09:30:00+08:00."))

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        here = zone()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=here)
        try:  # it must be storable (UTC) and showable (the center's zone)
            return moment.astimezone(dt.UTC).astimezone(here)
        except (OverflowError, ValueError) as exc:
            raise ValidationError(_("That date and time is out of range.")) from exc


class Day(ma.fields.Date):
    """An ISO 8601 date (``2026-12-01``)."""

    default_error_messages = _messages(
        invalid=_l("Give a date in ISO 8601, e.g. 2026-12-01."),
        format=_l("Give a date in ISO 8601, e.g. 2026-12-01."))

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)


class Schema(ma.Schema):
    """Unknown fields are refused by name (a misspelt field is never silently ignored)."""

    error_messages: ClassVar = {"unknown": _l("Unknown field."),
                                "type": _l("Send a JSON object.")}

    class Meta:
        unknown = ma.RAISE


# -- requests ---------------------------------------------------------------------------

class ReportSchema(Schema):
    """A fault report: the unit's serial, or the customer's code (and a site of theirs)."""

    serial = Text(40, metadata={"description": "The unit's serial number (or give "
                                               "customer_code)."})
    customer_code = Text(20, metadata={"description": "The customer's code, when the "
                                                      "serial is unknown."})
    site_id = Id(metadata={"description": "One of the customer's sites (with customer_code)."})
    received = Moment(metadata={"description": "When the report was received; default now. "
                                               "Never in the future, at most a year ago."})
    channel = Choice(ReportChannel, load_default=ReportChannel.API.value,
                     metadata={"description": "How the report came in; default api."})
    reporter_name = Text(60, load_default="")
    reporter_phone = Text(40, load_default="")
    summary = Text(200, min_length=1, required=True)
    description = Text(4000, load_default="")
    product_state = Choice(ProductState, load_default=ProductState.DOWN.value)


class StepSchema(Schema):
    """Every step may carry the ticket's ``version`` as last read: if the ticket has
    changed since, the step is refused (409, code ``stale``) instead of applied."""

    version = Id(metadata={"description": "The ticket's version you last read (optional)."})


class ReplySchema(StepSchema):
    text = Text(4000, min_length=1, required=True,
                metadata={"description": "The definite reply: what was promised."})
    at = Moment(metadata={"description": "When it was given; default now."})


class DispatchSchema(StepSchema):
    engineer = Text(40, min_length=1, required=True,
                    metadata={"description": "The engineer's username."})
    planned_arrival = Moment()
    why = Text(300, load_default="", metadata={"description": "Why this engineer."})


class ArriveSchema(StepSchema):
    at = Moment(metadata={"description": "When the engineer arrived; default now."})


class RestoreSchema(StepSchema):
    how = Choice(RestoredBy, required=True)
    at = Moment(metadata={"description": "When the product ran again; default now."})


class ReasonSchema(StepSchema):
    reason = Text(300, min_length=1, required=True)


class TicketQuerySchema(Schema):
    state = ma.fields.List(Choice(TicketState),
                           metadata={"description": "Only these states (repeat the "
                                                    "parameter for several)."})
    office = Text(16, metadata={"description": "Only this office's tickets (its code)."})
    number = Text(32, metadata={"description": "Only the ticket with this number."})
    due_before = Moment(metadata={"description": "Only tickets whose next deadline is "
                                                 "before this time."})
    limit = ma.fields.Integer(load_default=50, validate=Range(min=1, max=200),
                              error_messages=_messages(invalid=_l("Give a whole number.")))
    cursor = Text(10, validate=_cursor, metadata={
        "description": "The next_cursor of the previous page.", "pattern": "^[0-9]{1,10}$"})

    class Meta(Schema.Meta):
        unknown = ma.EXCLUDE  # a query string may carry a cache-buster


class WarrantyQuerySchema(Schema):
    on = Day(metadata={"description": "The day of the service; default today."})

    class Meta(Schema.Meta):
        unknown = ma.EXCLUDE


# -- answers ----------------------------------------------------------------------------

class OfficeRef(Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class CustomerRef(Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class SiteRef(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class UnitRef(Schema):
    serial = ma.fields.String()
    product = ma.fields.String(metadata={"description": "The product's model."})


class CoverageOut(Schema):
    covered = ma.fields.Boolean(metadata={"description": "In warranty on the day received."})
    charge = ma.fields.String(metadata={"description": "Who pays: " + ", ".join(Charge) +
                                        " (empty: no unit known)."})
    decided_by = ma.fields.String()
    explanation = ma.fields.String(metadata={"description": "What decided it, in the "
                                                            "reader's language."})


class DistanceOut(Schema):
    km = ma.fields.Float(allow_none=True)
    how = ma.fields.String(metadata={"description": "road (recorded), estimated (great "
                                                    "circle x road factor) or empty (unknown)."})


class NearerOfficeOut(Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    by_km = ma.fields.Float()


class WindowOut(Schema):
    earliest = ma.fields.Date(metadata={"description": "The first day it may be on site."})
    latest = ma.fields.Date(metadata={"description": "The last day it may be on site."})


class MilestoneOut(Schema):
    """A promise of the ticket: the reply, the arrival, and each replacement's delivery
    (its ``due`` and ``done`` are then the start of the window's latest day and of the
    delivery day, in the center's zone, so ``margin_seconds`` is whole days)."""

    milestone = ma.fields.String(metadata={"description": " or ".join(Milestone)})
    due = ma.fields.DateTime(allow_none=True)
    decided_by = ma.fields.String(metadata={"description": "The rule that set the due time, "
                                                           "as stored."})
    explanation = ma.fields.String(metadata={"description": "What decided it, in the "
                                                            "reader's language."})
    done = ma.fields.DateTime(allow_none=True)
    met = ma.fields.Boolean(allow_none=True)
    margin_seconds = ma.fields.Integer(allow_none=True, metadata={
        "description": "How much earlier than due it was kept (negative: how late)."})
    window = ma.fields.Nested(WindowOut, allow_none=True, metadata={
        "description": "A replacement's window, both days included (null for the reply "
                       "and the arrival)."})


class ReplyOut(Schema):
    text = ma.fields.String()
    at = ma.fields.DateTime()
    by = ma.fields.String(allow_none=True, metadata={"description": "Username."})


class DispatchOut(Schema):
    engineer = ma.fields.String(allow_none=True, metadata={"description": "Username."})
    engineer_name = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime(allow_none=True)
    planned_arrival = ma.fields.DateTime(allow_none=True)
    why = ma.fields.String()


class RestoredOut(Schema):
    at = ma.fields.DateTime()
    how = ma.fields.String(metadata={"description": ", ".join(RestoredBy)})


class PauseOut(Schema):
    since = ma.fields.DateTime()
    reason = ma.fields.String()


class TicketSchema(Schema):
    id = ma.fields.Integer()
    number = ma.fields.String(metadata={"example": "HRB-20261201-0007"})
    version = ma.fields.Integer()
    state = ma.fields.String(metadata={"description": ", ".join(TicketState)})
    office = ma.fields.Nested(OfficeRef)
    customer = ma.fields.Nested(CustomerRef)
    site = ma.fields.Nested(SiteRef, allow_none=True)
    unit = ma.fields.Nested(UnitRef, allow_none=True)
    contract = ma.fields.String(allow_none=True, metadata={"description": "Its number."})
    received_at = ma.fields.DateTime()
    channel = ma.fields.String()
    reporter_name = ma.fields.String()
    reporter_phone = ma.fields.String()
    summary = ma.fields.String()
    description = ma.fields.String()
    product_state = ma.fields.String()
    coverage = ma.fields.Nested(CoverageOut)
    distance = ma.fields.Nested(DistanceOut)
    nearer_office = ma.fields.Nested(NearerOfficeOut, allow_none=True)
    milestones = ma.fields.List(ma.fields.Nested(MilestoneOut))
    estimated = ma.fields.Boolean(metadata={"description": "A deadline was counted on a "
                                                           "calendar year without data."})
    next_due = ma.fields.DateTime(allow_none=True)
    reply = ma.fields.Nested(ReplyOut, allow_none=True)
    dispatch = ma.fields.Nested(DispatchOut, allow_none=True)
    arrived_at = ma.fields.DateTime(allow_none=True)
    restored = ma.fields.Nested(RestoredOut, allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    cancel_reason = ma.fields.String()
    reopened = ma.fields.Integer()
    pause = ma.fields.Nested(PauseOut, allow_none=True)
    paused_seconds = ma.fields.Integer()


class TicketPageSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(TicketSchema))
    next_cursor = ma.fields.String(allow_none=True, metadata={
        "description": "Pass it as cursor for the next page; null on the last page."})


class ProductOut(Schema):
    model = ma.fields.String()
    name = ma.fields.String()
    grade = ma.fields.String()


class UnitSchema(Schema):
    serial = ma.fields.String()
    status = ma.fields.String()
    product = ma.fields.Nested(ProductOut)
    customer = ma.fields.Nested(CustomerRef)
    site = ma.fields.Nested(SiteRef, allow_none=True)
    contract = ma.fields.String(allow_none=True)
    office = ma.fields.Nested(OfficeRef)
    installed_on = ma.fields.Date(allow_none=True)
    accepted_on = ma.fields.Date(allow_none=True)
    warranty_start = ma.fields.Date(allow_none=True)
    warranty_end = ma.fields.Date(allow_none=True)


class WarrantySchema(Schema):
    serial = ma.fields.String()
    on = ma.fields.Date()
    covered = ma.fields.Boolean()
    charge = ma.fields.String(metadata={"description": "Who pays: " + ", ".join(Charge)})
    reason = ma.fields.String(metadata={"description": "The verdict in short (in warranty, "
                                                       "warranty ended, ...), as the rule "
                                                       "words it."})
    decided_by = ma.fields.String(metadata={"description": "The rule that decided it, as "
                                                           "its term set or plugin wrote it."})
    explanation = ma.fields.String(metadata={"description": "What decided it, in the "
                                                            "reader's language."})


class MeSchema(Schema):
    username = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String(metadata={"description": ", ".join(Role)})
    office = ma.fields.String(allow_none=True, metadata={"description": "Its code."})
    token = ma.fields.String(metadata={"description": "The name of the token in use."})


class ErrorSchema(Schema):
    """Every refusal: a stable code, the message in the reader's language, and the
    request's fields with what is wrong with each."""

    code = ma.fields.String(required=True, metadata={"example": "not_found"})
    message = ma.fields.String(required=True)
    errors = ma.fields.Dict(keys=ma.fields.String(),
                            values=ma.fields.List(ma.fields.String()),
                            metadata={"example": {"serial": ["No unit with serial number SN-X."]}})
