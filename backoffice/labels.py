"""Every fixed list of the back-office: its stored codes and their names for people.

A fixed list is a :class:`enum.StrEnum`: the member *is* the stored string
(``Role.HQ == "hq"``), so models, filters, plugins and the database agree on one
spelling. Its label for people comes from :func:`label` (translated at the
moment it is shown), and :func:`choices` gives the ``(code, label)`` pairs that
select boxes and list filters use. The integrators' reference
(``docs/hooks.md``) lists :data:`FIXED_LISTS` with their codes.

This module is on the ground floor: it imports nothing of the back-office but
:mod:`backoffice.i18n`, so models, the rule engine and the screens share it.
"""

from __future__ import annotations

from enum import StrEnum

from .i18n import _l


class Role(StrEnum):
    ADMIN = "admin"
    HQ = "hq"
    OFFICE_MANAGER = "office_manager"
    ENGINEER = "engineer"
    VIEWER = "viewer"


#: roles that see every office's records
NATIONWIDE_ROLES = frozenset({Role.ADMIN, Role.HQ})


class ContractStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class Industry(StrEnum):
    """The industries a customer can be in: a fixed list, so lists filter and count by it."""

    POWER = "power"
    TELECOM = "telecom"
    RAIL = "rail"
    WATER = "water"
    PETROCHEMICAL = "petrochemical"
    DATA_CENTRE = "data centre"
    HEALTHCARE = "healthcare"
    FINANCE = "finance"
    MANUFACTURING = "manufacturing"
    OTHER = "other"


class UnitStatus(StrEnum):
    ORDERED = "ordered"
    DELIVERED = "delivered"
    INSTALLED = "installed"
    IN_SERVICE = "in_service"
    UNDER_REPAIR = "under_repair"
    REPLACED = "replaced"
    RETIRED = "retired"


class Charge(StrEnum):
    """Who pays for a service."""

    FREE = "free"
    CHARGEABLE = "chargeable"
    NEGOTIATE = "negotiate"
    UNDETERMINED = "undetermined"


class Cause(StrEnum):
    """Root causes of a fault, as passed to the ``coverage`` hook."""

    QUALITY = "quality"
    CUSTOMER_USE = "customer_use"
    OTHER = "other"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"



# -- fault tickets -------------------------------------------------------------------

class TicketState(StrEnum):
    """Where a fault ticket stands: received -> replied -> dispatched -> on site ->
    restored -> closed; waiting (paused on the customer) and cancelled beside them."""

    RECEIVED = "received"
    REPLIED = "replied"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    RESTORED = "restored"
    CLOSED = "closed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class ReportChannel(StrEnum):
    """How a fault report reached the office or headquarters."""

    PHONE = "phone"
    VISIT = "visit"
    MAIL = "mail"
    WECOM = "wecom"
    API = "api"


class ProductState(StrEnum):
    """The product's state when the fault was reported."""

    DOWN = "down"
    DEGRADED = "degraded"
    WORKING = "working"


class RestoredBy(StrEnum):
    """How the product was made to run again."""

    REPAIR = "repair"
    SWAP = "swap"
    TEMPORARY = "temporary"


class Milestone(StrEnum):
    """The promises a ticket's deadlines stand for."""

    REPLY = "reply"
    ARRIVAL = "arrival"
    REPLACEMENT = "replacement"


# -- spare stock, replacements -------------------------------------------------------

class StockItemKind(StrEnum):
    """What an office keeps in stock (the charter: products, connectors, batteries,
    testing and maintenance equipment, tools)."""

    PRODUCT = "product"
    CONNECTOR = "connector"
    BATTERY = "battery"
    EQUIPMENT = "equipment"
    TOOL = "tool"


class StockMovementKind(StrEnum):
    """How a stock quantity moved: every movement is one of these."""

    RECEIVED = "received"
    ISSUED = "issued"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    RETURNED = "returned"


class ReplacementSource(StrEnum):
    """Where a replacement product comes from."""

    STOCK = "stock"
    FACTORY = "factory"


# -- notices (the clock watcher) ---------------------------------------------------------

class NoticeLevel(StrEnum):
    """How serious a notice is, least first: a milestone nears its due, is past it, and a
    breach has lasted (the escalation ladder's steps)."""

    WARNING = "warning"
    BREACH = "breach"
    ESCALATION = "escalation"


class NoticeRole(StrEnum):
    """Whom an escalation step names (the ``escalation_ladder`` hook's ``notify``)."""

    ENGINEER = "engineer"  # the ticket's assigned engineer
    OFFICE_MANAGER = "office_manager"  # the managers of the ticket's office
    HQ = "hq"  # headquarters' service department (every active HQ member of staff)
    HEAD_OF_SERVICE = "head_of_service"  # staff marked as headquarters' head of service


class DeliveryState(StrEnum):
    """Where a notice's sending through one channel stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; an administrator can retry it


class RobotKind(StrEnum):
    """Group chat robots that get notices."""

    WECOM = "wecom"
    DINGTALK = "dingtalk"


# keyed by list first: equal codes in two lists ("other") must keep their own labels
_LABELS: dict[type[StrEnum], dict[str, object]] = {
    Role: {
        Role.ADMIN: _l("Administrator"),
        Role.HQ: _l("Headquarters"),
        Role.OFFICE_MANAGER: _l("Office manager"),
        Role.ENGINEER: _l("Engineer"),
        Role.VIEWER: _l("Viewer"),
    },
    ContractStatus: {
        ContractStatus.DRAFT: _l("Draft"),
        ContractStatus.ACTIVE: _l("Active"),
        ContractStatus.COMPLETED: _l("Completed"),
        ContractStatus.TERMINATED: _l("Terminated"),
    },
    Industry: {
        Industry.POWER: _l("Power"),
        Industry.TELECOM: _l("Telecommunications"),
        Industry.RAIL: _l("Rail transit"),
        Industry.WATER: _l("Water"),
        Industry.PETROCHEMICAL: _l("Petrochemical"),
        Industry.DATA_CENTRE: _l("Data centre"),
        Industry.HEALTHCARE: _l("Healthcare"),
        Industry.FINANCE: _l("Finance"),
        Industry.MANUFACTURING: _l("Manufacturing"),
        Industry.OTHER: _l("Other"),
    },
    UnitStatus: {
        UnitStatus.ORDERED: _l("Ordered"),
        UnitStatus.DELIVERED: _l("Delivered"),
        UnitStatus.INSTALLED: _l("Installed"),
        UnitStatus.IN_SERVICE: _l("In service"),
        UnitStatus.UNDER_REPAIR: _l("Under repair"),
        UnitStatus.REPLACED: _l("Replaced"),
        UnitStatus.RETIRED: _l("Retired"),
    },
    Charge: {
        Charge.FREE: _l("Free of charge"),
        Charge.CHARGEABLE: _l("Chargeable"),
        Charge.NEGOTIATE: _l("To be negotiated"),
        Charge.UNDETERMINED: _l("Not determined yet"),
    },
    Cause: {
        Cause.QUALITY: _l("Product quality"),
        Cause.CUSTOMER_USE: _l("Customer's use"),
        Cause.OTHER: _l("Other cause"),
    },
    TicketState: {
        TicketState.RECEIVED: _l("Received, awaiting reply"),
        TicketState.REPLIED: _l("Replied"),
        TicketState.DISPATCHED: _l("Dispatched"),
        TicketState.ON_SITE: _l("On site"),
        TicketState.RESTORED: _l("Restored"),
        TicketState.CLOSED: _l("Closed"),
        TicketState.WAITING: _l("Waiting on the customer"),
        TicketState.CANCELLED: _l("Cancelled"),
    },
    ReportChannel: {
        ReportChannel.PHONE: _l("Phone"),
        ReportChannel.VISIT: _l("Visit"),
        ReportChannel.MAIL: _l("Mail"),
        ReportChannel.WECOM: _l("WeCom"),
        ReportChannel.API: _l("API"),
    },
    ProductState: {
        ProductState.DOWN: _l("Down"),
        ProductState.DEGRADED: _l("Degraded"),
        ProductState.WORKING: _l("Working"),
    },
    RestoredBy: {
        RestoredBy.REPAIR: _l("Repair"),
        RestoredBy.SWAP: _l("Swap from office stock"),
        RestoredBy.TEMPORARY: _l("Temporary unit"),
    },
    Milestone: {
        Milestone.REPLY: _l("Definite reply"),
        Milestone.ARRIVAL: _l("Engineer on site"),
        Milestone.REPLACEMENT: _l("Replacement on site"),
    },
    StockItemKind: {
        StockItemKind.PRODUCT: _l("Product (for swaps)"),
        StockItemKind.CONNECTOR: _l("Connector"),
        StockItemKind.BATTERY: _l("Battery"),
        StockItemKind.EQUIPMENT: _l("Testing and maintenance equipment"),
        StockItemKind.TOOL: _l("Tool"),
    },
    StockMovementKind: {
        StockMovementKind.RECEIVED: _l("Received into stock"),
        StockMovementKind.ISSUED: _l("Issued to a ticket"),
        StockMovementKind.TRANSFER_OUT: _l("Transferred out"),
        StockMovementKind.TRANSFER_IN: _l("Transferred in"),
        StockMovementKind.RETURNED: _l("Returned"),
    },
    ReplacementSource: {
        ReplacementSource.STOCK: _l("From office stock"),
        ReplacementSource.FACTORY: _l("From the factory"),
    },
    NoticeLevel: {
        NoticeLevel.WARNING: _l("Warning"),
        NoticeLevel.BREACH: _l("Breach"),
        NoticeLevel.ESCALATION: _l("Escalation"),
    },
    NoticeRole: {
        NoticeRole.ENGINEER: _l("Assigned engineer"),
        NoticeRole.OFFICE_MANAGER: _l("Office manager"),
        NoticeRole.HQ: _l("Headquarters service department"),
        NoticeRole.HEAD_OF_SERVICE: _l("Head of service"),
    },
    DeliveryState: {
        DeliveryState.PENDING: _l("Waiting to be sent"),
        DeliveryState.SENT: _l("Sent"),
        DeliveryState.FAILED: _l("Failed"),
    },
    RobotKind: {
        RobotKind.WECOM: _l("WeCom group robot"),
        RobotKind.DINGTALK: _l("DingTalk group robot"),
    },
    AuditAction: {
        AuditAction.CREATE: _l("Created"),
        AuditAction.UPDATE: _l("Changed"),
        AuditAction.DELETE: _l("Deleted"),
    },
}

#: each table's name for people (audit trail, "still used by" messages, home page)
TABLE_LABELS = {
    "office": _l("Office"), "staff": _l("Staff"), "customer": _l("Customer"),
    "site": _l("Site"), "contact": _l("Contact"), "contract": _l("Contract"),
    "product": _l("Product"), "unit": _l("Unit"), "term_set": _l("Term set"),
    "term_set_version": _l("Term set version"), "ticket": _l("Fault ticket"),
    "ticket_pause": _l("Ticket pause"),
    "calendar_day": _l("Calendar day"),
    "stock_item": _l("Stock item"), "stock_level": _l("Stock"),
    "stock_movement": _l("Stock movement"), "staff_leave": _l("Leave"),
    "replacement": _l("Replacement"),
    "group_robot": _l("Group robot"),
}

#: fields' names for people, wherever a field is shown outside its own screen (audit trail)
FIELD_LABELS = {
    "id": _l("ID"), "code": _l("Code"), "name": _l("Name"), "notes": _l("Notes"),
    "customer": _l("Customer"), "office": _l("Office"), "city": _l("City"),
    "province": _l("Province"), "address": _l("Address"), "phone": _l("Phone"),
    "email": _l("E-mail"), "title": _l("Title"), "latitude": _l("Latitude"),
    "longitude": _l("Longitude"), "road_distance_km": _l("Road distance (km)"),
    "industry": _l("Industry"), "number": _l("Contract number"), "signed_on": _l("Signed on"),
    "value": _l("Value"), "currency": _l("Currency"), "status": _l("Status"),
    "warranty_months": _l("Warranty months"), "term_set_version": _l("Term set version"),
    "plugins": _l("Plugins"), "serial": _l("Serial number"), "product": _l("Product"),
    "contract": _l("Contract"), "site": _l("Site"), "installed_on": _l("Installed on"),
    "accepted_on": _l("Accepted on"), "warranty_start": _l("Warranty start"),
    "warranty_end": _l("Warranty end"), "warranty_by_hand": _l("Warranty dates set by hand"),
    "model": _l("Model"), "grade": _l("Grade"), "design_life_years": _l("Design life (years)"),
    "username": _l("Login name"), "role": _l("Role"), "skills": _l("Skills"),
    "language": _l("Language"), "active": _l("Active"), "password_hash": _l("Password"),
    "session_epoch": _l("Sessions"), "data": _l("Terms"), "published_by": _l("Published by"),
    "note": _l("Note"), "term_set": _l("Term set"),
    "calendar": _l("Calendar"), "day": _l("Date"), "kind": _l("The day is"),
    "category": _l("Kind of item"), "item": _l("Stock item"), "quantity": _l("Quantity"),
    "movement": _l("Movement"), "balance": _l("Quantity after"),
    "other_office": _l("Other office"), "ticket": _l("Fault ticket"), "actor": _l("By"),
    "staff": _l("Staff"), "starts_on": _l("From"), "ends_on": _l("Until"),
    "reason": _l("Reason"), "faulty_unit": _l("Faulty unit"), "new_unit": _l("Replacement unit"),
    "confirmed_on": _l("Confirmed on"), "earliest": _l("Earliest day"),
    "latest": _l("Latest day"), "window_by": _l("Window decided by"),
    "source": _l("Comes from"), "stock_office": _l("Stock of office"),
    "shipped_on": _l("Shipped on"), "delivered_on": _l("Delivered on"),
    "webhook_url": _l("Webhook address"), "secret": _l("Signing secret"),
    "min_level": _l("Least serious notice sent"), "head_of_service": _l("Head of service"),
}

#: (table, field) -> the fixed list its stored values come from
VALUE_LISTS: dict[tuple[str, str], type[StrEnum]] = {
    ("unit", "status"): UnitStatus, ("contract", "status"): ContractStatus,
    ("staff", "role"): Role, ("customer", "industry"): Industry,
    ("stock_item", "category"): StockItemKind, ("stock_movement", "movement"): StockMovementKind,
    ("replacement", "source"): ReplacementSource, ("group_robot", "kind"): RobotKind,
    ("group_robot", "min_level"): NoticeLevel}

#: every fixed list by the name the docs and ``docs/hooks.md`` give it
FIXED_LISTS: dict[str, type[StrEnum]] = {
    "role": Role, "contract status": ContractStatus, "industry": Industry,
    "unit status": UnitStatus, "charge": Charge, "cause": Cause,
    "audit action": AuditAction, "ticket state": TicketState, "report channel": ReportChannel,
    "product state": ProductState, "restored by": RestoredBy, "milestone": Milestone,
    "stock item kind": StockItemKind, "stock movement": StockMovementKind,
    "replacement source": ReplacementSource, "notice level": NoticeLevel,
    "notice role": NoticeRole, "delivery state": DeliveryState, "robot kind": RobotKind,
}


def label(member, enum: type[StrEnum] | None = None) -> str:
    """The name for people of a fixed-list member, or of a stored code of ``enum``."""
    if enum is None:
        if not isinstance(member, StrEnum):
            return str(member)
        enum = type(member)
    return str(_LABELS[enum].get(member, member))


def lazy_label(member, enum: type[StrEnum] | None = None):
    """Like :func:`label`, translated when rendered (for class-level declarations)."""
    return _LABELS[enum or type(member)].get(member, member)


def choices(enum: type[StrEnum]) -> list[tuple[str, object]]:
    """``(code, lazy label)`` pairs in declaration order, for select boxes and filters."""
    return [(member.value, _LABELS[enum][member]) for member in enum]


def field_label(field: str) -> str:
    found = FIELD_LABELS.get(field)
    return str(found) if found is not None else field


def value_label(table: str, field: str, value: str) -> str | None:
    """The label of a stored fixed-list value of ``table.field``, or ``None``."""
    enum = VALUE_LISTS.get((table, field))
    if enum is None or value not in enum.__members__.values():
        return None
    return label(value, enum)


def table_label(table: str) -> str:
    label_ = TABLE_LABELS.get(table)
    return str(label_) if label_ is not None else table


def yes_no(value) -> str:
    return str(_l("Yes") if value else _l("No"))


def role_label(role: str) -> str:
    """A role's name for people (templates call it on ``current_user.role``)."""
    return label(role, Role)


# -- reasons and plugin sources, in the reader's language ----------------------------

class PluginSource(StrEnum):
    """Where a loaded rule plugin came from (``PluginInfo.source``, ``plugins list``)."""

    ENTRY_POINT = "entry point"
    PLUGINS_DIR = "plugins dir"
    DEFAULT = "default"
    TEST = "test"


_LABELS[PluginSource] = {
    PluginSource.ENTRY_POINT: _l("Installed distribution (entry point)"),
    PluginSource.PLUGINS_DIR: _l("Plugins directory"),
    PluginSource.DEFAULT: _l("Built-in default"),
    PluginSource.TEST: _l("Registered by a test"),
}


def source_label(source: str) -> str:
    """A plugin source's name for people (an unknown one as it is)."""
    return label(source, PluginSource)


def _reason_texts(_):
    """The charter's reasons by code, in English. ``_`` marks each text for the catalogue
    and returns it untranslated (the deferred translation of Python's gettext docs): the
    English is the charter's ``decided_by``, the translation is looked up when shown."""
    return {
        "reply_within": _("reply within %(hours)s h"),
        "arrival_band": _("arrival band %(lower)s-%(upper)s km"),
        "arrival_beyond": _("arrival band over %(lower)s km"),
        "replacement_days": _("replacement %(earliest)s-%(latest)s days after confirmation"),
        "warranty_contract_months": _("%(months)s months from acceptance (contract)"),
        "warranty_term_set_months": _("%(months)s months from acceptance (term set)"),
        "warranty_product_months": _("%(months)s months from acceptance (product)"),
        "warranty_at_acceptance": _("warranty starts at acceptance"),
        "free_in_warranty": _("free service inside warranty"),
        "quality_free_after_warranty": _("quality fault free also after warranty"),
        "customer_use_negotiated": _("customer-use fault: the parties negotiate"),
        "charge_after_root_cause": _("out of warranty: charge follows the root cause"),
        "chargeable_out_of_warranty": _("out of warranty, not a quality fault"),
        "one_engineer_on_duty": _("one engineer on duty"),
        # a reason with its terms: "charter v1: reply within 2 h"
        "": _("%(terms)s: %(reason)s"),
    }


#: reason code -> its English text with ``%(name)s`` placeholders for the parameters
#: (``""``: how a reason is prefixed with its terms' label)
REASON_TEXTS: dict[str, str] = _reason_texts(lambda text: text)


def _reason_value(value) -> str:
    """A reason's parameter as the charter writes it: a float 2.0 as 2, 0.5 as 0.5."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def reason_words(why, translate: bool = True) -> str:
    """The text of a :class:`~backoffice.hookspecs.Reason` (anything with ``code``,
    ``params`` and ``terms``): in the reader's language, or with ``translate=False`` the
    plain English the charter's ``decided_by`` holds. ``KeyError`` for an unknown code."""
    def text(template: str) -> str:
        return str(_l(template)) if translate else template
    values = {name: _reason_value(value) for name, value in why.params}
    words = text(REASON_TEXTS[why.code]) % values
    if why.terms:
        words = text(REASON_TEXTS[""]) % {"terms": why.terms, "reason": words}
    return words


def reason_text(decision) -> str:
    """What decided ``decision`` (a Deadline, Window, Period, Coverage, Staffing or a
    service's copy of one), for the screens: the charter's reason (``why``) in the reader's
    language, else ``decided_by`` exactly as its plugin wrote it."""
    why = getattr(decision, "why", None)
    if why is not None and why.code in REASON_TEXTS and why.code:
        try:
            return reason_words(why)
        except (KeyError, TypeError, ValueError):  # a text and its parameters disagree
            pass
    return getattr(decision, "decided_by", "") or ""

# a fault ticket's replier, as the customer file's timeline names the linked person
FIELD_LABELS.setdefault("replied_by", _l("Replied by"))
