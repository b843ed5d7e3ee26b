"""Who may see and change what: one module that every door and service asks.

Two questions, answered here and nowhere else:

* **visibility** — :func:`scoped` narrows any query to the rows a user may see:
  everything for headquarters and administrators (and a viewer who belongs to
  no office), else their office's rows (each model says how its rows belong to
  an office in ``office_filter()``) plus, for an engineer, the rows assigned to
  them (``assigned_filter()``: the tickets they were sent to, in any office);
* **change** — :func:`may` answers whether a role may do an action on a table
  (the matrix :data:`CHANGES`), and :func:`may_change` whether a user may do it
  to one record (role *and* visibility); :func:`require` raises
  :class:`AccessDenied` instead.

The admin's base view, the CLI's ``--as USER``, the API and the worker all call
these. The command line without ``--as`` and the worker act as
:data:`OPERATOR`, who may do everything (whoever runs them holds the database
already), and their changes are recorded against that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .i18n import _
from .labels import NATIONWIDE_ROLES, Role
from .models import RuleViolation


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: a contract's pinned term set and plugins (headquarters' business, not the office's)
    SET_RULES = "set_rules"
    #: publish a term-set version, preview and compare terms, see the plugin registry
    MANAGE_TERMS = "manage_terms"
    #: move a fault ticket through its states (reply, dispatch, arrival, pause, ...)
    WORK = "work"


_EDITORS = frozenset({Role.ADMIN, Role.HQ, Role.OFFICE_MANAGER})
_HQ = frozenset({Role.ADMIN, Role.HQ})
_ADMIN = frozenset({Role.ADMIN})
_FIELD = _EDITORS | {Role.ENGINEER}
_NOBODY: frozenset[str] = frozenset()


def _all(roles: frozenset) -> dict[Action, frozenset]:
    return {Action.CREATE: roles, Action.UPDATE: roles, Action.DELETE: roles}


#: table -> action -> the roles that may do it (inside what they may see)
CHANGES: dict[str, dict[Action, frozenset]] = {
    "office": _all(_ADMIN),
    "staff": _all(_ADMIN),
    "customer": _all(_EDITORS),
    "site": _all(_EDITORS),
    "contact": _all(_EDITORS),
    "contract": _all(_EDITORS) | {Action.SET_RULES: _HQ},
    "unit": _all(_EDITORS),
    "product": _all(_HQ),           # one catalogue for every office
    "term_set": _all(_HQ) | {Action.MANAGE_TERMS: _HQ},
    "term_set_version": {Action.CREATE: _HQ, Action.MANAGE_TERMS: _HQ},  # never edited
    "calendar_day": _all(_HQ),       # corrections of the business calendars
    # a ticket changes only through its transitions; an engineer works only their own
    "ticket": {Action.CREATE: _EDITORS, Action.WORK: _FIELD},
    "ticket_pause": {},
    # spare stock: one list of items (headquarters'); quantities move only through
    # movements: an office manager moves their office's stock, headquarters every office's;
    # issuing to a ticket and returning from it is ticket work
    "stock_item": _all(_HQ),
    "stock_level": {},
    "stock_movement": {Action.CREATE: _EDITORS, Action.WORK: _FIELD},
    "staff_leave": _all(_EDITORS),
    # confirmed by whoever works the ticket; shipped and delivered by the office or HQ
    "replacement": {Action.CREATE: _FIELD, Action.UPDATE: _EDITORS},
    # notices are the clock watcher's; people only read them (their own, marked read by
    # the inbox); a failed delivery is sent again by headquarters
    "notice": {},
    "delivery": {Action.UPDATE: _HQ},
    # an office's group robots are the office's to set up, a contract's are the contract's
    "group_robot": _all(_EDITORS),
    "audit_entry": {},               # nobody changes the audit trail
    "login_attempt": {},
}


class AccessDenied(RuleViolation):
    """The user may not do this (the API answers 403 with code ``forbidden``)."""

    def __init__(self, message: str | None = None, code: str = "forbidden"):
        super().__init__(message or _("You are not allowed to do this."), None, code)


@dataclass(frozen=True)
class Operator:
    """The command line and the worker: may do everything, recorded under ``name``."""

    name: str = "system"
    id: None = None
    role: str = Role.ADMIN
    office_id: None = None
    is_authenticated: bool = True
    is_active: bool = True

    @property
    def username(self) -> str:
        return self.name


OPERATOR = Operator()


def _table(target) -> str:
    model = target if isinstance(target, type) else type(target)
    return model._meta.table_name


def sees_all_offices(user) -> bool:
    """Nationwide roles, and read-only viewers who belong to no office."""
    return user.role in NATIONWIDE_ROLES or (user.role == Role.VIEWER and not user.office_id)


def _signed_in(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


# -- visibility ---------------------------------------------------------------------

#: the roles rows are assigned to: a ticket is dispatched to an engineer only
#: (``services.tickets.dispatch``), and what hangs on a ticket (its pauses, replacements)
#: follows it. Anyone else's own rows (their API tokens, their leave) are in their office.
ASSIGNED_ROLES = frozenset({Role.ENGINEER})


def _may_be_assigned(user) -> bool:
    return user.role in ASSIGNED_ROLES or not user.office_id


def scoped(query, model, user):
    """``query`` over ``model`` narrowed to the rows ``user`` may see.

    The rows assigned to the user are added (``OR``) for an engineer, or someone of no
    office, only: for an office manager or a viewer of an office they would add no row,
    and one condition on the office is what the office's indexes serve (an ``OR``
    cannot be: the office manager's ticket list read and sorted the office's tickets).
    """
    if not _signed_in(user):
        return query.where(False)
    if sees_all_offices(user):
        return query
    conditions = []
    if user.office_id:
        conditions.append(model.office_filter(user.office_id))
        if conditions[0] is None:  # a table shared by every office
            return query
    assigned = model.assigned_filter(user.id) if user.id and _may_be_assigned(user) else None
    if assigned is not None:
        conditions.append(assigned)
    if not conditions:
        return query.where(False)
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return query.where(condition)


def visible(model, user):
    """``model.select()`` narrowed to what ``user`` may see."""
    return scoped(model.select(), model, user)


def can_see(instance, user) -> bool:
    model = type(instance)
    pk = model._meta.primary_key
    return visible(model, user).where(pk == instance.get_id()).exists()


# -- change -------------------------------------------------------------------------

def may(user, action: Action | str, target) -> bool:
    """May ``user``'s role do ``action`` on ``target`` (a model class or a record)?"""
    if not _signed_in(user) or not getattr(user, "is_active", True):
        return False
    return user.role in CHANGES.get(_table(target), {}).get(Action(action), _NOBODY)


def may_change(user, record, action: Action | str) -> bool:
    """``may`` for this very record: the role allows it and the user can see the record
    (a record not saved yet is checked after it is written: see :func:`check_kept`)."""
    if not may(user, action, record):
        return False
    return record.get_id() is None or can_see(record, user)


def require(user, action: Action | str, target) -> None:
    """Raise :class:`AccessDenied` unless :func:`may_change` (a record) or :func:`may`
    (a model class) allows it."""
    allowed = (may(user, action, target) if isinstance(target, type)
               else may_change(user, target, action))
    if not allowed:
        raise AccessDenied()


def may_work(user, ticket) -> bool:
    """May ``user`` move ``ticket`` on: the role may, the ticket is visible, and an
    engineer only when the ticket is assigned to them."""
    if not may_change(user, ticket, Action.WORK):
        return False
    return user.role != Role.ENGINEER or ticket.engineer_id == user.id


def require_work(user, ticket) -> None:
    if not may_work(user, ticket):
        raise AccessDenied(_("Only the engineer assigned to %(ticket)s, the office and "
                             "headquarters may work on it.", ticket=ticket.number))


def check_kept(user, record) -> None:
    """After a write, inside its transaction: the record must still be the user's to see,
    or the change is refused (an office manager cannot move a record to another office)."""
    if not can_see(record, user):
        raise AccessDenied(_("You can only keep records in your own office."), "out_of_scope")


def may_read_screen(user, roles) -> bool:
    """A screen open to ``roles`` (the admin asks, for menus and custom pages)."""
    return _signed_in(user) and getattr(user, "is_active", True) and user.role in roles
