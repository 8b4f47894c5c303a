"""The notifications domain's part of a person's data export (booking.personal_data)."""
from __future__ import annotations

from sqlalchemy import delete, func, select

from booking import personal_data
from booking.extensions import db
from booking.notifications.models import Notification, NotificationSettings, OutboxMessage, OutboxStatus


def _notifications(user) -> dict:
    settings = db.session.get(NotificationSettings, user.id)
    listed = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id.desc()).limit(10_000))
    return {"settings": None if settings is None else {"muted": settings.muted, "daily_digest": settings.request_digest,
                                                      "reminder_hours": settings.reminder_hours},
            "messages": [{"at": n.created_dt, "subject": n.subject, "link": n.link, "read": n.read_dt}
                         for n in listed]}


def _erase(user) -> None:
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(NotificationSettings).where(NotificationSettings.user_id == user.id))
    # E-mails to the person not sent yet (and their recipes, which name them) are not sent now.
    db.session.execute(delete(OutboxMessage).where(
        func.lower(OutboxMessage.to) == user.email.lower(),
        OutboxMessage.status.in_((OutboxStatus.queued, OutboxStatus.failed))))


personal_data.register("notifications", _notifications, order=20)
personal_data.register_eraser("notifications", _erase)
