# ruff: noqa: RUF012 -- Flask-Admin views are declared with class-level dicts, read and never mutated
"""What the clock watcher tells people, as the admin shows it (issue 9, item 4).

* **The bell** in the navbar (``admin/master.html``): the logged-in user's unread
  notices (:func:`backoffice.services.sla.unread_count`, one indexed count per
  page), linking to
* **the inbox** (:class:`InboxView`, every role): the user's own notices, newest
  first and paged, each with its level (colour and word), the ticket it is about,
  its line in the reader's language (:func:`~backoffice.services.sla.notice_text`)
  and when it came, in the center's zone; "mark read" per notice and "mark all
  read" are POSTs (CSRF) to :func:`~backoffice.services.sla.mark_read`, which
  touches only the user's own notices.
* **Deliveries** (:class:`DeliveryView`): the outbox, failed ones first shown
  (the list's state filter is "failed" until another is picked), read only, for
  headquarters and administrators (every office) and office managers (their
  office's tickets); a robot's key in its address is masked. Headquarters and
  administrators send failed ones again (the "Send again" action,
  :func:`~backoffice.services.sla.retry`).
* **Group robots** (:class:`GroupRobotView`): the WeCom and DingTalk robots of an
  office or a contract, saved through the records service like every model
  screen; the signing secret is written, never shown back (masked in the list).
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_login import current_user
from markupsafe import Markup
from wtforms import BooleanField, PasswordField, SelectField
from wtforms.validators import Length, Optional

from ..access import Action, may
from ..i18n import _, _l
from ..labels import (
    FIELD_LABELS,
    DeliveryState,
    Milestone,
    NoticeLevel,
    RobotKind,
    Role,
    choices,
    label,
)
from ..models import Contract, Delivery, GroupRobot, Notice, RuleViolation, Ticket
from ..services import sla
from .base import ScopedModelView, SecureView, parse_id, strict_id
from .formatting import lazy_zone_header, local_minute, number

#: notices per page of the inbox
PER_PAGE = 30
#: a level's colour (Bootstrap's badges); the word is always written too
LEVEL_BADGES = {NoticeLevel.WARNING: "badge-warning", NoticeLevel.BREACH: "badge-danger",
                NoticeLevel.ESCALATION: "badge-dark"}
#: query parameters of a webhook address that are its credential (WeCom's ``key``,
#: DingTalk's ``access_token``; a signed address's ``sign``)
SECRET_PARAMETERS = frozenset({"key", "access_token", "token", "secret", "sign"})
#: who reads the outbox and the robots (an office manager: their office's)
MANAGERS = (Role.ADMIN, Role.HQ, Role.OFFICE_MANAGER)
KIND_CHOICES = choices(RobotKind)
LEVEL_CHOICES = choices(NoticeLevel)
STATE_CHOICES = choices(DeliveryState)


def masked(secret: str) -> str:
    """A secret as a screen may show it: that there is one, and for a long one its first
    three and last two characters (enough to tell two apart, far too few to use)."""
    secret = secret or ""
    if not secret:
        return ""
    return f"{secret[:3]}••••{secret[-2:]}" if len(secret) >= 12 else "••••"


def masked_address(address: str) -> str:
    """A webhook address with its credential masked (``...send?key=abc••••89``); a mail
    address as it is."""
    address = address or ""
    base, mark, query = address.partition("?")
    if "://" not in base or not mark:
        return address
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        parts.append(f"{name}={masked(value)}" if equals and name.lower() in SECRET_PARAMETERS
                     else part)
    return f"{base}?{'&'.join(parts)}"


#: above it the bell says "99+": its count reads at most this many rows plus one
BELL_CAP = 99


def unread_notices() -> tuple[int, str]:
    """The bell's count for the logged-in member of staff (0 for anyone else), at most
    :data:`BELL_CAP` + 1, and the figure it shows ("99+" above the cap)."""
    if not getattr(current_user, "is_authenticated", False) or not getattr(
            current_user, "id", None):
        return 0, number(0)
    count = sla.unread_count(current_user, cap=BELL_CAP)
    return count, (number(count) if count <= BELL_CAP
                   else number(BELL_CAP) + "+")


# -- the inbox ------------------------------------------------------------------------------

def _row(notice) -> dict:
    _subject, line = sla.notice_text(notice)
    return {"id": notice.id, "level": notice.level, "level_label": label(notice.level, NoticeLevel),
            "badge": LEVEL_BADGES.get(notice.level, "badge-secondary"),
            "milestone": label(notice.milestone, Milestone), "ticket": notice.ticket,
            "line": line, "created_at": notice.created_at, "read": notice.read_at is not None}


class InboxView(SecureView):
    """The logged-in user's notices; every role has an inbox."""

    def _page(self) -> int:
        sent = request.args.get("page")
        return 1 if sent in (None, "") else parse_id(sent)

    @expose("/", methods=("GET",))
    def index(self):
        total = Notice.select().where(Notice.staff == current_user.id).count()
        pages = max(1, -(-total // PER_PAGE))
        page = min(self._page(), pages)
        rows = [_row(n) for n in sla.inbox(current_user, page=page, per_page=PER_PAGE)]
        return self.render("admin/inbox.html", rows=rows, page=page, pages=pages, total=total,
                           unread=sla.unread_count(current_user))

    def _back(self):
        page = strict_id(request.form.get("page", ""))
        return redirect(url_for(".index", page=page) if page and page > 1 else url_for(".index"))

    @expose("/read", methods=("POST",))
    def read(self):
        sent = request.form.getlist("id")
        ids = [strict_id(value) for value in sent]
        if not sent or None in ids:
            flash(_("Pick a notice to mark read."), "error")
            return self._back()
        marked = sla.mark_read(current_user, ids)
        if marked:
            flash(_("%(count)d notice(s) marked read.", count=marked), "success")
        else:  # already read, or not the user's: the same answer
            flash(_("Nothing to mark: the notice is read already or is not in your inbox."),
                  "info")
        return self._back()

    @expose("/read-all", methods=("POST",))
    def read_all(self):
        marked = sla.mark_read(current_user, None)
        flash(_("%(count)d notice(s) marked read.", count=marked), "success")
        return self._back()


# -- the outbox -----------------------------------------------------------------------------

class StateFilter(FilterEqual):
    """The delivery's state; "any" keeps every state (the list's default is "failed")."""

    ANY = "any"

    def validate(self, value):
        return value == self.ANY or value in DeliveryState.__members__.values()

    def apply(self, query, value):
        return query if value == self.ANY else query.where(self.column == value)

    def get_options(self, view):
        return [*STATE_CHOICES, (self.ANY, _l("Any state"))]  # lazy: in the reader's language


def _notice(model):
    """The delivery's notice with its ticket (loaded for the page in one query by render)."""
    return model.__rel__.get("notice") or model.notice


def _ticket_cell(view, context, model, name):
    ticket = _notice(model).ticket
    return Markup('<a href="{}">{}</a>').format(url_for("ticket.details_view", id=ticket.id),
                                                ticket.number)


def _level_cell(view, context, model, name):
    level = _notice(model).level
    return Markup('<span class="badge {}">{}</span>').format(
        LEVEL_BADGES.get(level, "badge-secondary"), label(level, NoticeLevel))


def _kind_cell(view, context, model, name):
    if model.kind == "mail":
        return _("E-mail")
    return label(model.kind, RobotKind) if model.kind in RobotKind.__members__.values() \
        else model.kind


def _state_cell(view, context, model, name):
    colour = {DeliveryState.FAILED: "badge-danger", DeliveryState.SENT: "badge-success"}.get(
        model.state, "badge-secondary")
    return Markup('<span class="badge {}">{}</span>').format(colour,
                                                             label(model.state, DeliveryState))


def _next_attempt_cell(view, context, model, name):
    # a sent or failed delivery has no next attempt (its stored time is the last lease)
    return local_minute(model.next_attempt_at) if model.state == DeliveryState.PENDING else ""


DELIVERY_LABELS = {
    "ticket": _l("Fault ticket"), "level": _l("Level"), "kind": _l("Sent through"),
    "address": _l("Sent to"), "state": _l("State"), "attempts": _l("Attempts"),
    "last_error": _l("Last error"), "message_id": _l("Message id"),
    "created_at": lazy_zone_header(_l("Created")),
    "next_attempt_at": lazy_zone_header(_l("Next attempt")),
    "sent_at": lazy_zone_header(_l("Sent")),
}


class DeliveryView(ScopedModelView):
    """Every sending of a notice through one channel; failed ones first shown."""

    list_template = "admin/delivery_list.html"
    read_roles = MANAGERS
    can_create = can_edit = can_delete = False
    can_export = False  # the list is for working through failures, not for reports
    column_list = ("ticket", "level", "kind", "address", "state", "attempts", "last_error",
                   "created_at", "next_attempt_at")
    # never the options: they hold a DingTalk robot's signing secret
    column_details_list = ("ticket", "level", "kind", "address", "state", "attempts",
                           "last_error", "message_id", "created_at", "next_attempt_at",
                           "sent_at")
    column_labels = DELIVERY_LABELS
    column_formatters = {"ticket": _ticket_cell, "level": _level_cell, "kind": _kind_cell,
                         "address": lambda v, c, m, n: masked_address(m.address),
                         "state": _state_cell, "next_attempt_at": _next_attempt_cell}
    column_formatters_detail = column_formatters
    column_filters = (StateFilter(Delivery.state, _l("State")),)
    named_filter_urls = True  # ?flt0_state_equals=any: every state
    column_sortable_list = ("created_at", "attempts")
    column_default_sort = ("id", True)

    #: the state the list shows until another is picked
    default_state = DeliveryState.FAILED

    def _get_list_filter_args(self):
        filters = super()._get_list_filter_args()
        if filters or any(arg.startswith("flt") for arg in request.args):
            return filters
        index = next(i for i, f in enumerate(self._filters) if isinstance(f, StateFilter))
        return [(index, str(self._filters[index].name), self.default_state.value)]

    def render(self, template, **kwargs):
        """The page's deliveries get their notice and ticket in one query, not one each."""
        rows = kwargs.get("data") or ([kwargs["model"]] if kwargs.get("model") else [])
        ids = {row.notice_id for row in rows}
        if ids:
            notices = {n.id: n for n in Notice.select(Notice, Ticket).join(Ticket)
                       .where(Notice.id.in_(list(ids)))}
            for row in rows:
                if row.notice_id in notices:
                    row.__rel__["notice"] = notices[row.notice_id]
        return super().render(template, **kwargs)

    def is_action_allowed(self, name):
        if name == "retry":
            return may(current_user, Action.UPDATE, Delivery)
        return super().is_action_allowed(name)

    @action("retry", _l("Send again"), _l("Send the selected failed deliveries again?"))
    def action_retry(self, ids):
        wanted = [parse_id(i) for i in ids]
        seen = [d.id for d in self.scoped_select().where(Delivery.id.in_(wanted))]
        try:
            count = sla.retry(current_user, seen)
        except RuleViolation as exc:
            flash(str(exc), "error")
            return
        if count:
            flash(_("%(count)d failed delivery(ies) queued to be sent again.", count=count),
                  "success")
        else:
            flash(_("Only failed deliveries can be sent again."), "info")


# -- group robots ----------------------------------------------------------------------------

ROBOT_LABELS = {**FIELD_LABELS, "name": _l("Name"), "kind": _l("Robot"),
                "webhook_url": _l("Webhook address"), "secret": _l("Signing secret"),
                "new_secret": _l("Signing secret"), "remove_secret": _l("Remove the secret"),
                "office": _l("Office"), "contract": _l("Contract"),
                "min_level": _l("Least serious notice sent"), "active": _l("Active"),
                "version": _l("Version"), "created_at": _l("Created"),
                "updated_at": _l("Updated")}


class GroupRobotView(ScopedModelView):
    """An office's or a contract's WeCom and DingTalk group robots."""

    read_roles = MANAGERS
    can_export = False  # the addresses are credentials
    column_list = ("name", "kind", "office", "contract", "min_level", "active", "webhook_url",
                   "secret")
    column_details_list = ("name", "kind", "office", "contract", "min_level", "active",
                           "webhook_url", "secret", "created_at", "updated_at")
    column_labels = ROBOT_LABELS
    column_choices = {"kind": KIND_CHOICES, "min_level": LEVEL_CHOICES}
    column_formatters = {"webhook_url": lambda v, c, m, n: masked_address(m.webhook_url),
                         "secret": lambda v, c, m, n: masked(m.secret) or _("none")}
    column_formatters_detail = column_formatters
    column_searchable_list = ("name",)
    search_placeholder_text = _l("Name")
    column_filters = (FilterEqual(GroupRobot.kind, _l("Robot"), options=KIND_CHOICES),
                      "active")
    column_sortable_list = ("name", "kind", "active")
    column_default_sort = "name"
    form_columns = ("name", "kind", "webhook_url", "office", "contract", "min_level", "active")
    form_overrides = {"kind": SelectField, "min_level": SelectField}
    form_args = {
        "kind": {"choices": KIND_CHOICES},
        "min_level": {"choices": LEVEL_CHOICES, "description": _l(
            "Warning: every notice; breach: breaches and escalations; escalation: only "
            "escalations.")},
        "webhook_url": {"description": _l(
            "As the group's robot settings show it: WeCom "
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..., DingTalk "
            "https://oapi.dingtalk.com/robot/send?access_token=...")},
        "office": {"description": _l("An office's robot gets its tickets' notices; leave "
                                     "empty for a contract's robot.")},
        "contract": {"description": _l("A contract's robot gets that contract's tickets' "
                                       "notices; leave empty for an office's robot.")},
    }
    form_ajax_refs = {"contract": {"fields": ("number",), "order_by": Contract.number,
                                   "placeholder": _l("Contract number")}}
    form_extra_fields = {
        # written, never shown back: the field is empty on every edit
        "new_secret": PasswordField(
            _l("Signing secret"), validators=[Optional(), Length(max=200)],
            render_kw={"autocomplete": "new-password"},
            description=_l("DingTalk, when the robot's security setting is to sign (加签): "
                           "the secret starting with SEC. Leave empty to keep the one saved.")),
        "remove_secret": BooleanField(_l("Remove the secret")),
    }

    def on_model_change(self, form, model, is_created):
        secret = (form.new_secret.data or "").strip()
        if secret:
            model.secret = secret
        elif form.remove_secret.data:
            model.secret = ""

    def on_form_prefill(self, form, id):  # Flask-Admin's names
        robot = self.get_one(id)
        if robot.secret:
            form.new_secret.description = _(
                "Saved: %(secret)s. Type a new one to replace it, or leave empty to keep it.",
                secret=masked(robot.secret))


def register(admin):
    category = _l("Fault tickets")
    admin.add_view(InboxView(name=_l("Notices"), category=category, endpoint="notices"))
    admin.add_view(DeliveryView(Delivery, name=_l("Deliveries"), category=category,
                                endpoint="delivery"))
    admin.add_view(GroupRobotView(GroupRobot, name=_l("Group robots"), category=category,
                                  endpoint="group_robot"))
    # the bell (admin/master.html) on every page
    admin.app.jinja_env.globals.update(unread_notices=unread_notices)


__all__ = ["DeliveryView", "GroupRobotView", "InboxView", "masked", "masked_address",
           "unread_notices"]
