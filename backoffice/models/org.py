"""Organisation: the regional service offices and their staff (who are also the users)."""

from __future__ import annotations

from flask_login import UserMixin
from peewee import (
    BooleanField,
    CharField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
)
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import database, is_postgres
from ..i18n import _
from ..labels import Role
from .base import AuditedModel, RuleViolation


class Office(AuditedModel):
    """A regional marketing & service office."""

    code = CharField(max_length=16, unique=True)
    name = CharField(max_length=100, index=True)
    city = CharField(max_length=50, index=True)
    province = CharField(max_length=50, index=True)
    address = CharField(max_length=200, default="")
    phone = CharField(max_length=40, default="")
    latitude = DecimalField(max_digits=9, decimal_places=6)
    longitude = DecimalField(max_digits=9, decimal_places=6)

    def validate(self):
        if self.latitude is None or self.longitude is None:
            raise RuleViolation(_("An office needs its latitude and longitude."), "latitude")
        self.check_coordinates()

    @classmethod
    def office_filter(cls, office_id):
        return cls.id == office_id

    def office_id_for_audit(self):
        return self.get_id()

    def __str__(self):
        return self.name


class Staff(UserMixin, AuditedModel):
    """A member of staff; with a username and password they can log in."""

    name = CharField(max_length=60, index=True)
    username = CharField(max_length=40, unique=True)
    password_hash = CharField(max_length=255, default="")
    role = CharField(max_length=20, index=True, default=Role.ENGINEER)
    office = ForeignKeyField(Office, backref="staff", null=True, index=True,
                             on_delete="RESTRICT")
    skills = CharField(max_length=200, default="")
    phone = CharField(max_length=40, default="")
    email = CharField(max_length=120, default="")
    language = CharField(max_length=12, default="")  # empty: follow the browser
    active = BooleanField(default=True, index=True)
    #: headquarters' head of service: gets the escalation of a breach that has lasted
    head_of_service = BooleanField(default=False)
    #: the session generation: every session carries the value it logged in with and
    #: ends when it moves on (logout, deactivation, new password; see :meth:`save`)
    session_epoch = IntegerField(default=0)

    audit_redacted = ("password_hash",)
    #: werkzeug hashing method; the test suite picks a cheaper one
    password_method = "scrypt"

    def set_password(self, password: str) -> None:
        if len(password) < 8:
            raise RuleViolation(_("A password needs at least 8 characters."), "password")
        self.password_hash = generate_password_hash(password, method=self.password_method)
        self.session_epoch = (self.session_epoch or 0) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # Flask-Login
    @property
    def is_active(self):
        return bool(self.active)

    def get_id(self):
        return self.__data__.get("id")

    def end_sessions(self) -> None:
        """End every session of this account (logging out does it): the generation moves
        on in one UPDATE, neither versioned nor audited, for a session is no business change."""
        Staff.update(session_epoch=Staff.session_epoch + 1).where(
            Staff.id == self.get_id()).execute()

    def save(self, force_insert=False, only=None):
        """A new password or a deactivation ends every session of the account, whichever
        door saves it. The generation is read again under the row's write lock, so a
        save from a form loaded before a logout never puts the old generation back."""
        with database.atomic():
            if self.get_id() is not None and not force_insert:
                query = (Staff.select(Staff.session_epoch, Staff.password_hash, Staff.active)
                         .where(Staff.id == self.get_id()))
                stored = (query.for_update() if is_postgres() else query).first()
                if stored is not None:
                    ends = (stored.password_hash != self.password_hash
                            or (stored.active and not self.active))
                    self.session_epoch = stored.session_epoch + (1 if ends else 0)
            return super().save(force_insert=force_insert, only=only)

    def validate(self):
        if self.role not in Role.__members__.values():
            raise RuleViolation(_("Unknown role %(role)s.", role=self.role), "role")
        if self.role in (Role.OFFICE_MANAGER, Role.ENGINEER) and not self.office_id:
            raise RuleViolation(_("Office managers and engineers belong to an office."), "office")

    @classmethod
    def office_filter(cls, office_id):
        return cls.office == office_id

    def office_id_for_audit(self):
        return self.office_id

    def __str__(self):
        return self.name
