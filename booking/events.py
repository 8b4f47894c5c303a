"""One call per use case says what happened: `publish(Event(...))`.

It writes the audit event and queues the e-mails in the caller's transaction (so they
commit or roll back with the change), then tells every subscriber: the domains above
(webhooks, in-app notifications, calendar attachments) register one here instead of
being called by the use case, so a lower domain never imports a higher one.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from booking.audit.services import record
from booking.extensions import db
from booking.notifications.services import queue_email, write_held


@dataclass
class Email:
    """A message to queue: templates/emails/<template>.txt (and .html) in the reader's language."""
    to: str
    subject: Any  # a lazy string, rendered in `locale`
    template: str
    locale: str | None = None
    topic: str | None = None
    context: dict = field(default_factory=dict)
    user_id: int | None = None  # a person: also listed in the app, and their settings apply
    kind: str | None = None     # an optional kind (booking.notifications.kinds); None: always sent
    link: str | None = None     # the page to act on, a path here ("/reservations/12")
    send_after: datetime | None = None  # held back until then (a change that may still be undone)
    later: bool = False         # written by the delivery job (booking.notifications.later)

    @classmethod
    def to_person(cls, user, subject, template: str, **fields) -> "Email":
        """A message to a user account, in their language."""
        return cls(user.email, subject, template, locale=user.locale, user_id=user.id, **fields)


@dataclass
class Event:
    action: str                 # "reservation.approved", "facility.updated", …
    subject: Any                # the object it happened to
    actor: Any = None           # who did it (None: the system)
    before: dict | None = None
    after: dict | None = None
    department_id: int | None = None
    emails: list[Email] = field(default_factory=list)
    audited: bool = True


Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []
_quiet: ContextVar[bool] = ContextVar("notifications_suppressed", default=False)


def subscribe(subscriber: Subscriber) -> Subscriber:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


@contextmanager
def notifications_suppressed():
    """Change things without telling anyone (the demo seed): audit events are still written."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def notifying() -> bool:
    return not _quiet.get()


def publish(event: Event) -> Event:
    """What the event writes is flushed with the rest of the use case, once, not bit by bit
    before each query its subscribers make."""
    with db.session.no_autoflush:
        return _publish(event)


def _publish(event: Event) -> Event:
    if event.audited:
        record(event.action, event.subject, actor=event.actor, before=event.before, after=event.after,
               department_id=event.department_id)
    if notifying():
        for email in event.emails:
            queue_email(email.to, email.subject, email.template, locale=email.locale, topic=email.topic,
                        user_id=email.user_id, kind=email.kind, page=email.link, send_after=email.send_after,
                        later=email.later, held=True,
                        **email.context)
        for subscriber in _subscribers:
            subscriber(event)
        write_held()  # after the subscribers have attached their files
    return event
