"""Save and delete any record on someone's behalf: the admin's forms and the API's
generic resources come through here.

:func:`save` checks access (the role may, the stored row is visible, and after
the write the row is still the user's to see), lets the record's own service
derive what follows from other tables (a unit's customer and warranty, a
contract's plugins and units), and writes it with its audit row, all in one
transaction. :func:`delete` deletes a record with its cascading parts (each
audited) or refuses while restricted rows still point at it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..access import Action, check_kept, require
from ..i18n import _
from ..labels import table_label
from ..models import ConcurrentEditError, Contract, RuleViolation, Staff, Unit
from . import contracts, units, users
from .core import changing

#: model -> what to derive or check before its save (other tables, the rule engine)
BEFORE_SAVE: dict[type, Callable] = {Unit: units.derive, Contract: contracts.check_plugins,
                                     Staff: users.check_staff}
#: model -> what must hold before it is deleted
BEFORE_DELETE: dict[type, Callable] = {Staff: users.check_removable}
#: model -> what follows its update, inside the transaction (given the changes)
AFTER_UPDATE: dict[type, Callable] = {Contract: units.follow_contract}


def save(user, record, *, seen_version: int | None = None,
         parts: Callable[[], None] | None = None):
    """Create or update ``record`` (already filled in) as ``user``; returns it.

    ``seen_version`` is the version the user edited (optimistic locking): a row
    changed since is refused with code ``stale``. ``parts`` saves the rows a
    form carries with the record (Flask-Admin's inline models), in the same
    transaction, after the record has its id; they belong to the record, so the
    record's own access check covers them.
    """
    model = type(record)
    is_new = record.get_id() is None
    if is_new:
        require(user, Action.CREATE, model)
    else:
        stored = model.get_or_none(model._meta.primary_key == record.get_id())
        if stored is None:
            raise ConcurrentEditError(_("This record was deleted by someone else."),
                                      code="deleted")
        require(user, Action.UPDATE, stored)
    with changing(user):
        if seen_version is not None:
            record.version = seen_version
        record.check_fields()  # types, ranges, lengths: before anything queries with them
        before = BEFORE_SAVE.get(model)
        if before is not None:
            before(record)
        record.save(force_insert=is_new)
        if parts is not None:
            parts()
        check_kept(user, record)
        after = AFTER_UPDATE.get(model)
        if after is not None and not is_new:
            after(record, record.last_changes)
    return record


def delete(user, record) -> None:
    """Delete ``record`` and its cascading parts, or refuse (code ``in_use``)."""
    require(user, Action.DELETE, record)
    with changing(user):
        check = BEFORE_DELETE.get(type(record))
        if check is not None:
            check(record)
        _delete_with_parts(record)


def _delete_with_parts(instance) -> None:
    model = type(instance)
    for fk, related in model._meta.backrefs.items():
        dependents = related.select().where(fk == instance.get_id())
        if (fk.on_delete or "").upper() == "CASCADE":
            for part in dependents:
                _delete_with_parts(part)
        elif dependents.exists():
            raise RuleViolation(_("%(row)s is still used by %(n)d %(table)s record(s); "
                                  "remove or move those first.", row=str(instance),
                                  n=dependents.count(),
                                  table=table_label(related._meta.table_name)),
                                code="in_use")
    instance.delete_instance()
