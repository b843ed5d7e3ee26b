"""Spare stock: receive, issue to a ticket, transfer between offices, return.

Every movement is one function; each writes, in one transaction, the office's new
quantity (:class:`~backoffice.models.StockLevel`, audited), the movement
(:class:`~backoffice.models.StockMovement`, audited) and, for a transfer, both
ends. A quantity never goes below zero: the office's row is locked before it is
read (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction
begins ``IMMEDIATE`` and so holds the database's write lock, see
:mod:`backoffice.db`), so two people issuing the last item at the same moment leave
zero and one of them is refused with code ``out_of_stock``; the schema's
``CHECK (quantity >= 0)`` is the last guard.

Who may: office managers move their own office's stock (receive, transfer out),
headquarters and administrators every office's (the access module's matrix,
``stock_movement``); issuing to a ticket and returning from it is ticket work,
open to the ticket's engineer too, from a stock their office holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from peewee import IntegrityError

from ..access import AccessDenied, Action, can_see, may, may_work, require
from ..db import current_actor, database, is_postgres
from ..i18n import _
from ..labels import StockItemKind, StockMovementKind
from ..models import Office, Product, RuleViolation, StockItem, StockLevel, StockMovement
from .core import changing

#: the most items one movement moves (a typing slip of 10000 is refused)
MAX_QUANTITY = 9999


# -- reading -------------------------------------------------------------------------------

def product_item(product, *, create: bool = False) -> StockItem | None:
    """The stock item that is ``product`` (category ``product``); with ``create``, made
    (audited, in the caller's transaction) when the catalogue has none yet."""
    if product is None:
        return None
    product_id = _id(product)
    item = StockItem.get_or_none(StockItem.product == product_id)
    if item is not None or not create:
        return item
    model = Product.get_by_id(product_id).model
    item = StockItem(category=StockItemKind.PRODUCT, name=model, product=product_id)
    try:
        with database.atomic():  # a savepoint: a racing creation of the same item
            item.save(force_insert=True)
    except IntegrityError:
        return StockItem.get(StockItem.product == product_id)
    return item


def quantity(office, item) -> int:
    """How many of ``item`` ``office`` holds (0 when it never held any)."""
    level = StockLevel.get_or_none((StockLevel.office == _id(office))
                                   & (StockLevel.item == _id(item)))
    return level.quantity if level else 0


def offices_holding(product, office_ids: Iterable[int] | None = None) -> set[int]:
    """The ids of the offices (of ``office_ids``, or all) holding at least one ``product``."""
    item = product_item(product)
    if item is None:
        return set()
    query = StockLevel.select(StockLevel.office).where(
        (StockLevel.item == item.id) & (StockLevel.quantity > 0))
    if office_ids is not None:
        query = query.where(StockLevel.office.in_(list(office_ids)))
    return {row.office_id for row in query}


# -- moving ----------------------------------------------------------------------------------

def receive(user, office, item, quantity: int, note: str = "") -> StockMovement:
    """``quantity`` of ``item`` arrive at ``office`` (from the factory, a supplier).

    ``item`` may be a catalogue :class:`~backoffice.models.Product`: its stock item is
    made the first time one is received."""
    _may_move(user, office)
    with changing(user):
        if isinstance(item, Product):  # its stock item follows from the catalogue
            item = product_item(item, create=True)
        return _apply(office, item, _count(quantity), StockMovementKind.RECEIVED, note=note)


def transfer(user, source, destination, item, quantity: int,
             note: str = "") -> tuple[StockMovement, StockMovement]:
    """Send ``quantity`` of ``item`` from ``source`` to ``destination``: two movements (out
    at the source, in at the destination) in one transaction. The source must be the
    user's to move; the destination may be any office."""
    _may_move(user, source)
    if _id(source) == _id(destination):
        raise RuleViolation(_("A transfer goes to another office."), "destination", "invalid")
    if Office.get_or_none(Office.id == _id(destination)) is None:
        raise RuleViolation(_("Choose the office to send to."), "destination", "invalid")
    count = _count(quantity)
    with changing(user):
        out = _apply(source, item, -count, StockMovementKind.TRANSFER_OUT,
                     other_office=destination, note=note)
        arrived = _apply(destination, item, count, StockMovementKind.TRANSFER_IN,
                         other_office=source, note=note)
    return out, arrived


def issue(user, office, item, ticket, quantity: int = 1, note: str = "") -> StockMovement:
    """Take ``quantity`` of ``item`` out of ``office``'s stock for ``ticket``; refused with
    code ``out_of_stock`` when the office holds fewer."""
    _may_work_with(user, office, ticket)
    with changing(user):
        return issue_within(office, item, ticket, _count(quantity), note)


def issue_within(office, item, ticket, quantity: int = 1, note: str = "") -> StockMovement:
    """:func:`issue` inside a caller's transaction whose access was checked (the
    replacement service issues the new unit's product this way)."""
    return _apply(office, item, -_count(quantity), StockMovementKind.ISSUED, ticket=ticket,
                  note=note)


def return_to_stock(user, office, item, ticket, quantity: int = 1,
                    note: str = "") -> StockMovement:
    """Put ``quantity`` of ``item`` back into ``office``'s stock from ``ticket`` (a spare
    taken along and not used, a tool brought back)."""
    _may_work_with(user, office, ticket)
    with changing(user):
        return _apply(office, item, _count(quantity), StockMovementKind.RETURNED,
                      ticket=ticket, note=note)


# -- inside the transaction ---------------------------------------------------------------------

def _apply(office, item, delta: int, movement: str, *, other_office=None, ticket=None,
           note: str = "") -> StockMovement:
    """Change the office's quantity by ``delta`` under the row's lock and record it."""
    office_id, item_id = _id(office), _id(item)
    if StockItem.get_or_none(StockItem.id == item_id) is None:
        raise RuleViolation(_("Choose a stock item."), "item", "invalid")
    level = _locked_level(office_id, item_id, create=delta > 0)
    have = level.quantity if level is not None else 0
    if have + delta < 0:
        item_name = str(StockItem.get_by_id(item_id))
        raise RuleViolation(
            _("%(office)s holds %(have)d of %(item)s: %(want)d cannot be taken out.",
              office=str(Office.get_by_id(office_id)), have=have, item=item_name,
              want=-delta), "quantity", "out_of_stock")
    level.quantity = have + delta
    level.save()  # audited; the version check cannot fail under the lock
    record = StockMovement(office=office_id, item=item_id, movement=movement, quantity=delta,
                           balance=level.quantity, other_office=_id(other_office),
                           ticket=_id(ticket), actor=current_actor().name[:60],
                           note=(note or "").strip()[:300])
    record.save(force_insert=True)
    return record


def _locked_level(office_id: int, item_id: int, *, create: bool) -> StockLevel | None:
    """The office's level of the item, locked until the transaction ends (created at zero
    first when ``create`` and there is none)."""
    def locked():
        query = StockLevel.select().where((StockLevel.office == office_id)
                                          & (StockLevel.item == item_id))
        return (query.for_update() if is_postgres() else query).get_or_none()
    level = locked()
    if level is None and create:
        try:
            with database.atomic():  # a savepoint: a concurrent first receipt may win
                StockLevel(office=office_id, item=item_id, quantity=0).save(force_insert=True)
        except IntegrityError:
            pass
        level = locked()
    return level


# -- checks ----------------------------------------------------------------------------------------

def _id(value):
    if value is None or isinstance(value, int):
        return value
    return value.get_id()


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise RuleViolation(_("A quantity is a whole number from 1 to %(most)d.",
                              most=MAX_QUANTITY), "quantity", "invalid")
    return value


def _office(office) -> Office:
    found = Office.get_or_none(Office.id == _id(office)) if office is not None else None
    if found is None:
        raise RuleViolation(_("Choose an office."), "office", "invalid")
    return found


def _may_move(user, office) -> None:
    require(user, Action.CREATE, StockMovement)
    if not can_see(_office(office), user):
        raise AccessDenied(_("You can only move your own office's stock."), "out_of_scope")


def _may_work_with(user, office, ticket) -> None:
    if ticket is None:
        raise RuleViolation(_("Say which ticket the item is for."), "ticket", "required")
    if not may(user, Action.WORK, StockMovement) or not may_work(user, ticket):
        raise AccessDenied()
    if not can_see(_office(office), user):
        raise AccessDenied(_("You can only move your own office's stock."), "out_of_scope")
