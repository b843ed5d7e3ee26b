"""API tokens: make one (its secret is shown once), revoke one, and know who a secret is.

The rule, for every door: a member of staff makes and revokes their own tokens;
someone else's only whoever may change that account (the access matrix on
``staff``: administrators). Making and revoking are audited (the audit row never
holds the hash). A token acts as its owner with their current role and office,
so a change of role or office applies to it at once, and a deactivated account's
tokens stop working with it.

The secret is ``bo_`` and 43 URL-safe characters (256 random bits); only its
SHA-256 is kept, so a copy of the database gives no working token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from ..access import Action, may, require
from ..clock import utcnow
from ..i18n import _
from ..models import ApiToken, RuleViolation, Staff
from .core import changing

#: every secret starts with it, so a leaked one is recognisable (secret scanners, logs)
PREFIX = "bo_"
#: a secret longer than this is no token of ours (and is not hashed)
SECRET_MAX = 200
#: ``last_used_at`` is written at most this often per token (not one write per request)
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just made and its secret: the only time the secret is known."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _require_own_or_manager(user, staff) -> None:
    if getattr(user, "id", None) is None or user.id != staff.id:
        require(user, Action.UPDATE, staff)


def create(user, name: str, staff: Staff | None = None) -> NewToken:
    """A new token for ``staff`` (default: ``user`` themselves) named ``name``."""
    if staff is None:
        if not isinstance(user, Staff):
            raise RuleViolation(_("Say whose token it is."), "staff", "required")
        staff = user
    _require_own_or_manager(user, staff)
    if not staff.active:
        raise RuleViolation(_("%(name)s cannot log in, so gets no API token.",
                              name=staff.username), "staff", "inactive")
    secret = PREFIX + secrets.token_urlsafe(32)
    with changing(user):
        token = ApiToken(staff=staff.id, name=name, token_hash=digest(secret))
        token.save()
    return NewToken(token, secret)


def revoke(user, token: ApiToken) -> ApiToken:
    """The token stops working at once, for good (it stays listed as revoked)."""
    _require_own_or_manager(user, Staff.get_by_id(token.staff_id))
    if token.revoked_at is not None:
        raise RuleViolation(_("This token was revoked already."), None, "unchanged")
    with changing(user):
        token.revoked_at = utcnow()
        token.save()
    return token


def tokens_of(user, staff: Staff | None = None):
    """The tokens ``user`` may manage, newest first: their own, or (for whoever may change
    accounts) everyone's, or ``staff``'s."""
    query = ApiToken.select(ApiToken, Staff).join(Staff).order_by(ApiToken.id.desc())
    if staff is not None:
        _require_own_or_manager(user, staff)
        return query.where(ApiToken.staff == staff.id)
    if may(user, Action.UPDATE, Staff):
        return query
    return query.where(ApiToken.staff == getattr(user, "id", None))


def token_for(user, token_id: int) -> ApiToken | None:
    """One of the tokens ``user`` may manage, or None."""
    return tokens_of(user).where(ApiToken.id == token_id).first()


def authenticate(secret: str | None) -> tuple[Staff, ApiToken] | None:
    """The active member of staff and the live token that ``secret`` is, or None.

    Not a change of business: ``last_used_at`` is written in one UPDATE, neither
    versioned nor audited, and at most once a minute per token.
    """
    if not secret or len(secret) > SECRET_MAX or not secret.startswith(PREFIX):
        return None
    token = ApiToken.get_or_none(ApiToken.token_hash == digest(secret))
    if token is None or token.revoked_at is not None:
        return None
    staff = Staff.get_or_none(Staff.id == token.staff_id)
    if staff is None or not staff.is_active:
        return None
    moment = utcnow()
    if token.last_used_at is None or moment - token.last_used_at >= TOUCH_EVERY:
        ApiToken.update(last_used_at=moment).where(ApiToken.id == token.id).execute()
        token.last_used_at = moment
    return staff, token
