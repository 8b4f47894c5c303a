"""Calendar feeds: a secret URL per feed, which a calendar client polls.

Only a SHA-256 of the feed's token is stored (the URL is shown once, like an API token);
`kind` and `target_id` say what the feed shows, and the owner's current rights decide on
every fetch whether it still may (booking.calendars.kinds).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import User
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db


class FeedKind(enum.Enum):
    facility = "facility"          # a facility's busy time, no names (public)
    organisation = "organisation"  # an organisation's reservations in full
    user = "user"                  # what one person booked
    manager = "manager"            # requests and reservations of the facilities a manager keeps
    agreement = "agreement"        # a pilot agreement's reservations (served once that domain registers it)


class CalendarFeed(db.Model):
    __tablename__ = "calendar_feed"
    __table_args__ = (
        CheckConstraint("kind = 'manager' OR target_id IS NOT NULL", name="target_given"),
        Index("ix_calendar_feed_kind_target", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind] = mapped_column(str_enum(FeedKind, length=20))
    # The facility, organisation, user, department (manager; NULL: all the owner manages) or agreement.
    target_id: Mapped[int | None] = mapped_column()
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the current token was made (regenerating replaces it).
    token_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fetched_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A hash of what the feed last served and since when: the ETag and Last-Modified, exact
    # even when the change is one no reservation's updated_dt shows (a lost scope, a rename).
    content_hash: Mapped[str | None] = mapped_column(String(64))
    content_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the content was made from (services.feed_key): while it is the same, a client that
    # has the content gets a 304 without the feed being made again.
    content_key: Mapped[str | None] = mapped_column(String(64))

    owner: Mapped[User] = relationship()

    @hybrid_property
    def is_active(self) -> bool:
        return self.revoked_dt is None

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls):
        return cls.revoked_dt.is_(None)

    def __str__(self):
        return f"{self.kind.value} feed {self.id}"
