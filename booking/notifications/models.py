from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Enum, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.database import UTCDateTime, utcnow
from booking.extensions import db


class OutboxStatus(enum.Enum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_next", "status", "next_attempt_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str | None] = mapped_column(Text)  # None: still to be written by the job
    html_body: Mapped[str | None] = mapped_column(Text)
    # How the delivery job writes a message queued with `later` (booking.notifications.later).
    recipe: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(Enum(OutboxStatus, native_enum=False, length=20),
                                                 default=OutboxStatus.queued)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the message is about, e.g. "reservation:12", for finding it again.
    topic: Mapped[str | None] = mapped_column(String(100), index=True)

    # Files sent with the message (a reservation's .ics), added by whoever queued it or by
    # an event subscriber in the same transaction (booking.notifications.services.attach).
    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id")


class OutboxAttachment(db.Model):
    __tablename__ = "outbox_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    # The full MIME type with its parameters: "text/calendar; method=PUBLISH; charset=utf-8".
    content_type: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")


class Notification(db.Model):
    """An in-app message: what an e-mail to a person said, listed on their notifications page."""
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    subject: Mapped[str] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))  # a path in this app, e.g. /reservations/12
    read_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    topic: Mapped[str | None] = mapped_column(String(100))


class NotificationSettings(db.Model):
    """What a person wants by e-mail (no row: the defaults)."""
    __tablename__ = "notification_settings"
    __table_args__ = (CheckConstraint("reminder_hours BETWEEN 1 AND 168", name="reminder_hours_range"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    # The optional kinds (booking.notifications.kinds.OPTIONAL) the person turned off, space separated.
    muted: Mapped[str] = mapped_column(String(500), default="")
    # New requests for a manager: at once (False) or in one daily digest (True).
    request_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_hours: Mapped[int] = mapped_column(default=24)

    @property
    def muted_kinds(self) -> set[str]:
        return set(self.muted.split())


class SentMarker(db.Model):
    """A row per thing told once (a reminder, a digest line): inserted before telling, so two job
    processes never tell the same thing twice (booking.notifications.services.claim_once)."""
    __tablename__ = "notification_sent"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
