"""Office scoping, in one place.

An office manager of Harbin never sees or changes a Guangzhou row. Every query
that serves a person (admin lists, details, edit, delete, export, ajax look-ups,
relation pickers, and every later screen and API) narrows its rows with
:func:`scoped`; each model says how its rows belong to an office in
``office_filter()``.
"""

from __future__ import annotations


def scoped(query, model, user):
    """``query`` over ``model`` narrowed to the rows ``user`` may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return query.where(False)
    if user.sees_all_offices:
        return query
    if not user.office_id:
        return query.where(False)
    condition = model.office_filter(user.office_id)
    return query if condition is None else query.where(condition)


def visible(model, user):
    """``model.select()`` narrowed to what ``user`` may see."""
    return scoped(model.select(), model, user)


def can_see(instance, user) -> bool:
    model = type(instance)
    pk = model._meta.primary_key
    return visible(model, user).where(pk == instance.get_id()).exists()
