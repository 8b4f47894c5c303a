"""JSON routes: the caller's in-app notifications and what they want by e-mail."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, page_of
from booking.api.types import Id
from booking.errors import NotFound
from booking.extensions import db
from booking.notifications import kinds, services
from booking.notifications.models import Notification

Kind = Literal[tuple(kinds.OPTIONAL)]  # type: ignore[valid-type]


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_dt: datetime
    subject: str = Field(description="In the person's language when it was made")
    link: str | None = Field(description="The page to act on, a path on this site")
    read_dt: datetime | None


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="only the unread ones")


class Marked(BaseModel):
    marked: int
    unread: int


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_off: list[Kind] = Field([], max_length=len(kinds.OPTIONAL),
                                  description="Optional messages not e-mailed (still listed in the app); "
                                              "required ones always are")
    request_digest: bool = Field(False, description="Managers: new requests in one e-mail a day, not at once")
    reminder_hours: Literal[kinds.REMINDER_HOURS] = Field(  # type: ignore[valid-type]
        kinds.DEFAULT_REMINDER_HOURS, description="How long before a reservation its reminder comes")


@route("/notifications", summary="The caller's notifications, newest first", tag="notifications",
       query=NotificationQuery, response=Page[NotificationOut])
def list_notifications(query: NotificationQuery):
    stmt = services.notifications_of(api_user().id)
    if query.unread:
        stmt = stmt.where(Notification.read_dt.is_(None))
    return page_of(stmt, query, NotificationOut.model_validate)


@route("/notifications/read", "POST", summary="Mark all the caller's notifications read", tag="notifications",
       response=Marked)
def read_all():
    user = api_user()
    return Marked(marked=services.mark_read(user.id), unread=0)


@route("/notifications/<int:notification_id>/read", "POST", summary="Mark one notification read",
       tag="notifications", response=Marked, errors=(404,))
def read_one(notification_id: Id):
    user = api_user()
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound(f"No notification {notification_id}.")
    return Marked(marked=services.mark_read(user.id, notification_id), unread=services.unread_count(user.id))


def _settings(user_id: int) -> Settings:
    settings = services.settings_for(user_id)
    return Settings(email_off=sorted(settings.muted_kinds & set(kinds.OPTIONAL)),
                    request_digest=settings.request_digest, reminder_hours=settings.reminder_hours)


@route("/me/notification-settings", summary="Which optional messages the caller gets by e-mail",
       tag="notifications", response=Settings)
def get_settings():
    return _settings(api_user().id)


@route("/me/notification-settings", "PUT", summary="Choose which optional messages come by e-mail",
       tag="notifications", body=Settings, response=Settings)
def put_settings(body: Settings):
    user = api_user()
    services.save_settings(user.id, muted=set(body.email_off), request_digest=body.request_digest,
                           reminder_hours=body.reminder_hours)
    return _settings(user.id)
