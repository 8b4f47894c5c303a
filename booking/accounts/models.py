from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table,
                        Text, UniqueConstraint)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from booking.content import Translatable
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db


class ActorType(enum.Enum):
    sme = "sme"
    startup = "startup"
    large_company = "large_company"
    third_sector = "third_sector"
    research = "research"
    citizen_group = "citizen_group"
    public_body = "public_body"


class Role(enum.Enum):
    member = "member"
    facility_manager = "facility_manager"
    admin = "admin"


class MembershipRole(enum.Enum):
    owner = "owner"
    member = "member"



department_manager = Table(
    "department_manager",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
)


class Department(Translatable, db.Model):
    __tablename__ = "department"
    TRANSLATABLE = ("name", "description")
    __table_args__ = (CheckConstraint("decision_days > 0", name="positive_decision_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # Working days a manager has to decide a pending request.
    decision_days: Mapped[int] = mapped_column(default=3)

    managers: Mapped[list[User]] = relationship(secondary=department_manager, back_populates="departments")

    def __str__(self):
        return self.name


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType))
    business_id: Mapped[str | None] = mapped_column(String(9), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation",
                                                         cascade="all, delete-orphan")

    def __str__(self):
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "user"
    # Unique regardless of case: e-mails are stored lower-cased, and the database makes sure.
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.member)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The organisation the user currently acts for; one of their memberships.
    current_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")
    departments: Mapped[list[Department]] = relationship(secondary=department_manager, back_populates="managers")
    current_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[current_organisation_id])

    # The session this request belongs to (not a column): set at login and by the loader.
    session_token = None

    def get_id(self) -> str:
        """What the session and remember cookies carry: the user and their session's token,
        so that ending the session (logout, a new password) makes a copied cookie worthless."""
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    @hybrid_property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @hybrid_property
    def is_manager(self) -> bool:
        return self.role == Role.facility_manager

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.admin, Role.facility_manager)

    @property
    def organisations(self) -> list[Organisation]:
        return [m.organisation for m in self.memberships]

    @property
    def department_ids(self) -> set[int]:
        return {d.id for d in self.departments}

    def __str__(self):
        return self.name


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", name="uq_membership_user_organisation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[MembershipRole] = mapped_column(str_enum(MembershipRole), default=MembershipRole.member)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What it may do, space-separated (booking.accounts.rules.SCOPES); never more than its owner.
    scopes: Mapped[str] = mapped_column(String(100), default="read book", server_default="read book")
    expires_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @hybrid_property
    def is_active(self) -> bool:
        return self.revoked_dt is None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class LoginFailure(db.Model):
    """A failed login, counted in the database so every web worker sees the same count."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_dt", "key", "created_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(320))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(db.Model):
    """One logged-in browser: its cookie carries the token whose hash is kept here. Logging
    out ends it; a new password, "log out everywhere" and deactivation end the others too."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()
