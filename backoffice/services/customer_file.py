"""The customer file: everything the back-office holds about one customer, as one user
may see it (its sites, contacts, contracts, units, and the timeline of its changes).

The timeline is the customer's audit entries, newest first, a page at a time
(:func:`timeline`), with the names of the records they link: an entry stores the
ids it links (a unit's ``contract``, ``site``, ``product``), and
:func:`linked_names` turns them into those records' names with one query per
linked table, whatever the number of entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, ForeignKeyField

from ..access import scoped, visible
from ..models import MODELS, AuditEntry, Contact, Contract, Site, Unit

#: a customer file lists at most this many units; the rest is one click away
FILE_UNITS_SHOWN = 200
#: the timeline shows this many changes a page, newest first
TIMELINE_SHOWN = 20
#: pages further back than this are in the audit trail (OFFSET stays shallow)
TIMELINE_MAX_PAGE = 500

#: table name -> model, for every table an audit entry can name
_TABLES = {model._meta.table_name: model for model in MODELS}


@dataclass
class CustomerFile:
    customer: object
    sites: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    units: list = field(default_factory=list)
    unit_count: int = 0
    units_shown: int = FILE_UNITS_SHOWN

    def as_template_dict(self) -> dict:
        return {"sites": self.sites, "contacts": self.contacts, "contracts": self.contracts,
                "units": self.units, "unit_count": self.unit_count,
                "units_shown": self.units_shown}


def customer_file(user, customer) -> CustomerFile:
    """The file of ``customer``, each list narrowed to what ``user`` may see."""
    units = scoped(Unit.select().where(Unit.customer == customer.id), Unit, user)
    return CustomerFile(
        customer,
        sites=list(scoped(customer.sites, Site, user).order_by(Site.name)),
        contacts=list(scoped(customer.contacts, Contact, user).order_by(Contact.name)),
        contracts=list(scoped(customer.contracts, Contract, user)
                       .order_by(Contract.signed_on.desc())),
        units=list(units.order_by(Unit.serial).limit(FILE_UNITS_SHOWN)),
        unit_count=units.count(),
    )


@dataclass
class Timeline:
    """One page of a customer's timeline."""

    entries: list
    #: ``(table, id) -> name`` of every record the entries link (see :func:`linked_names`)
    names: dict
    #: 0 for the newest entries
    page: int = 0
    per_page: int = TIMELINE_SHOWN
    #: whether older entries exist beyond this page
    has_older: bool = False

    @property
    def has_newer(self) -> bool:
        return self.page > 0


def timeline(user, customer, page: int = 0, per_page: int = TIMELINE_SHOWN) -> Timeline:
    """Page ``page`` (0: the newest) of the audit entries of ``customer`` that ``user`` may
    see, newest first, with the names of what they link."""
    page = min(max(int(page or 0), 0), TIMELINE_MAX_PAGE)
    rows = list(visible(AuditEntry, user)
                .where(AuditEntry.customer == customer.id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .offset(page * per_page or None).limit(per_page + 1))
    entries = rows[:per_page]
    return Timeline(entries, linked_names(user, entries), page, per_page,
                    has_older=len(rows) > per_page)


def model_of(table: str):
    """The model of an audited ``table`` name, or None."""
    return _TABLES.get(table)


def links_of(table: str) -> dict[str, str]:
    """The fields of ``table`` that link another record: ``{field: linked table}``."""
    model = _TABLES.get(table)
    if model is None:
        return {}
    return {name: f.rel_model._meta.table_name for name, f in model._meta.fields.items()
            if isinstance(f, ForeignKeyField)}


def _name_query(model, user, ids):
    """The rows of ``model`` with these ids that ``user`` may see, with the records their
    names may need (a version's term set) loaded by the same query."""
    query = visible(model, user)
    for fk in model._meta.fields.values():
        if isinstance(fk, ForeignKeyField) and not fk.null and fk.rel_model is not model:
            query = (query.select_extend(*fk.rel_model._meta.sorted_fields)
                     .switch(model).join(fk.rel_model, JOIN.LEFT_OUTER, on=fk))
    return query.where(model._meta.primary_key.in_(sorted(ids)))


def linked_names(user, entries) -> dict[tuple[str, int], str]:
    """``(table, id) -> name`` for every record the entries' changes link, among those
    ``user`` may see: one query per linked table. A record deleted since, or out of
    the user's sight, is simply absent (the screen says so)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        links = links_of(entry.table)
        if not links:
            continue
        for name, values in entry.change_dict.items():
            target = links.get(name)
            if target is None:
                continue
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, int) and not isinstance(value, bool):
                    wanted[target].add(value)
    names = {}
    for table, ids in wanted.items():
        model = _TABLES[table]
        for start in range(0, len(ids), 500):
            chunk = sorted(ids)[start:start + 500]
            for row in _name_query(model, user, chunk):
                names[(table, row.get_id())] = str(row)
    return names


__all__ = ["FILE_UNITS_SHOWN", "TIMELINE_SHOWN", "CustomerFile", "Timeline", "customer_file",
           "linked_names", "links_of", "model_of", "timeline"]
