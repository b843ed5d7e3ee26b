"""User accounts: who may log in, with which role, office, password and language.

The same rules for every door (the admin's staff screen, ``backoffice users``,
the account page): a username is 1 to 40 characters without spaces and unique
whatever its case (``ADMIN`` and ``admin`` are one name); the last active
administrator can be neither deactivated, demoted nor deleted; a new password
ends the account's other sessions (``Staff.set_password``).
"""

from __future__ import annotations

from peewee import fn

from ..access import Action, require
from ..i18n import _
from ..labels import Role
from ..models import Office, RuleViolation, Staff
from .core import changing

USERNAME_MAX = 40


def check_username(username: str, staff_id: int | None = None) -> str:
    """The username as stored, or :class:`RuleViolation` (codes ``invalid``, ``taken``)."""
    username = (username or "").strip()
    if not username or len(username) > USERNAME_MAX or any(c.isspace() for c in username):
        raise RuleViolation(_("A username is 1 to 40 characters without spaces: %(name)r",
                              name=username), "username")
    clash = Staff.select(Staff.id).where(fn.LOWER(Staff.username) == username.lower())
    if staff_id is not None:
        clash = clash.where(Staff.id != staff_id)
    if clash.exists():
        raise RuleViolation(_("A user named %(name)r already exists.", name=username),
                            "username", "taken")
    return username


def _other_active_admins(staff_id) -> int:
    query = Staff.select().where((Staff.role == Role.ADMIN) & Staff.active)
    if staff_id is not None:
        query = query.where(Staff.id != staff_id)
    return query.count()


def check_staff(staff) -> None:
    """Before any save of a staff record: its username, and never the last administrator."""
    staff.username = check_username(staff.username, staff.get_id())
    if staff.get_id() is None:
        return
    stored = Staff.get_or_none(Staff.id == staff.get_id())
    was_admin = stored is not None and stored.role == Role.ADMIN and stored.active
    still_admin = staff.role == Role.ADMIN and staff.active
    if was_admin and not still_admin and _other_active_admins(staff.get_id()) == 0:
        raise RuleViolation(_("%(name)s is the last active administrator; make another "
                              "administrator first.", name=stored.username), "role",
                            "last_admin")


def check_removable(staff) -> None:
    """Before deleting a staff record: never the last active administrator."""
    if staff.role == Role.ADMIN and staff.active and _other_active_admins(staff.get_id()) == 0:
        raise RuleViolation(_("%(name)s is the last active administrator; make another "
                              "administrator first.", name=staff.username), None, "last_admin")


def create(user, username: str, *, role: str, password: str, office_code: str | None = None,
           name: str | None = None) -> Staff:
    """A new account (the password is checked and hashed; nothing is written on refusal)."""
    require(user, Action.CREATE, Staff)
    if role not in Role.__members__.values():
        raise RuleViolation(_("unknown role %(role)r; choose one of %(roles)s", role=role,
                              roles=", ".join(Role)), "role")
    office = None
    if office_code:
        office = Office.get_or_none(Office.code == office_code.strip().upper())
        if office is None:
            raise RuleViolation(_("no office with code %(code)r", code=office_code), "office",
                                "not_found")
    with changing(user):
        staff = Staff(username=check_username(username), name=(name or username).strip(),
                      role=role, office=office)
        staff.validate()
        staff.set_password(password)
        check_staff(staff)
        staff.save()
    return staff


def set_password(user, staff, password: str) -> Staff:
    """Set ``staff``'s password (their own, or an administrator's doing); other sessions end."""
    if user.id != staff.id:
        require(user, Action.UPDATE, staff)
    with changing(user):
        staff.set_password(password)
        staff.save()
    return staff


def set_active(user, staff, active: bool) -> Staff:
    """Let ``staff`` log in, or stop them (their open sessions end)."""
    require(user, Action.UPDATE, staff)
    with changing(user):
        staff.active = active
        check_staff(staff)
        staff.save()
    return staff


def set_language(staff, language: str) -> None:
    """A user's own language preference. Not a business change: no audit entry, and no
    version bump (it never makes someone's open edit of the account stale)."""
    Staff.update(language=language).where(Staff.id == staff.id).execute()
    staff.language = language


def by_username(username: str) -> Staff | None:
    return Staff.get_or_none(fn.LOWER(Staff.username) == (username or "").strip().lower())
