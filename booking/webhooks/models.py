"""A webhook (where to send which events, and the secret that signs them) and its deliveries
(one per event: the exact body, and how each attempt went)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import Organisation, User
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db


class Webhook(db.Model):
    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose events it receives: an organisation's own reservations and agreements, or (NULL) the whole city's.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"),
                                                        index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)  # a subset of rules.EVENT_TYPES
    description: Mapped[str] = mapped_column(String(200), default="")
    # Signs each delivery (HMAC-SHA256); kept as is, since signing needs it, and shown once.
    secret: Mapped[str] = mapped_column(String(100))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __str__(self):
        return self.url


class DeliveryStatus(enum.Enum):
    pending = "pending"      # waiting for its (next) attempt
    sending = "sending"      # claimed by a job process (a lease: due again if that process died)
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"        # no 2xx within a day of attempts; can be sent again by hand


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_dt"),
        Index("ix_webhook_delivery_webhook_created", "webhook_id", "created_dt"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    # The event's id (the same in every webhook's delivery of it): receivers use it to ignore repeats.
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON sent (and signed)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, length=20), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    give_up_dt: Mapped[datetime] = mapped_column(UTCDateTime)  # no retry is planned after this
    last_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column()  # the receiver's HTTP status at the last attempt
    # Why the last attempt failed, as a coded Message (booking.fetching's reasons): shown in the reader's language.
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_params: Mapped[dict | None] = mapped_column(JSON)

    webhook: Mapped[Webhook] = relationship()
