"""List filters shared by the domain screens."""

from __future__ import annotations

from flask_admin.contrib.peewee.filters import FilterEqual


class ByCode(FilterEqual):
    """Rows whose foreign key ``column`` points at the row whose ``code_field`` equals the
    typed value (upper-cased): a sub-select, not a join, so office scoping still applies
    and it composes with any join the list adds."""

    def __init__(self, column, name, code_field, **kwargs):
        super().__init__(column, name, **kwargs)
        self.code_field = code_field

    def apply(self, query, value):
        model = self.code_field.model
        ids = model.select(model._meta.primary_key).where(
            self.code_field == value.strip().upper())
        return query.where(self.column.in_(ids))
