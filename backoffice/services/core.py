"""What every write service shares: one transaction, recorded against the acting user."""

from __future__ import annotations

import contextlib

from ..db import acting_as, database


@contextlib.contextmanager
def changing(user):
    """A transaction whose audit rows name ``user`` (a Staff or :data:`~backoffice.access.OPERATOR`)."""
    with acting_as(user), database.atomic():
        yield
