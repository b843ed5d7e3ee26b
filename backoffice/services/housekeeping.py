"""Keeping the database small: what the worker prunes on its daily round."""

from __future__ import annotations

import datetime as dt

from ..clock import utcnow
from ..db import database
from ..models import LoginAttempt

#: login attempts are kept this long (the throttle needs minutes; an inquiry, weeks)
LOGIN_ATTEMPTS_KEPT = dt.timedelta(days=30)


def prune_login_attempts(older_than: dt.timedelta = LOGIN_ATTEMPTS_KEPT) -> int:
    """Delete login attempts older than ``older_than``; how many."""
    with database.atomic():
        return LoginAttempt.delete().where(LoginAttempt.at < utcnow() - older_than).execute()
