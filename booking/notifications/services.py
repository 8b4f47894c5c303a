"""Queue e-mails in the caller's transaction; claim, send and record them for the delivery job
(booking/notifications/jobs.py), once, with retries. Nothing here commits."""
from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage, Message

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from booking.database import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 5
SENDING_LEASE = timedelta(minutes=10)
# session.info key: the messages queued in the session's current transaction.
_QUEUED = "outbox_queued"


def queue_email(to: str, subject: str, template: str, *, locale: str | None = None,
                topic: str | None = None, **context) -> OutboxMessage:
    """Render templates/emails/<template>.txt (and .html if present) into the outbox.

    Nothing is sent here: the message commits or rolls back with the caller's change.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context) if _exists(f"emails/{template}.html") else None
        subject = str(subject)
    message = OutboxMessage(to=to, subject=subject, text_body=text, html_body=html, topic=topic)
    db.session.add(message)
    db.session.info.setdefault(_QUEUED, []).append(message)
    return message


def queued_now(topic: str) -> list[OutboxMessage]:
    """The messages about `topic` queued in the current transaction: how a subscriber to a
    domain event finds the e-mails that event just queued, to attach a file to them."""
    return [m for m in db.session.info.get(_QUEUED, ()) if m.topic == topic]


def attach(message: OutboxMessage, filename: str, content_type: str, content: bytes) -> OutboxAttachment:
    """Send a file with a queued message (`content_type` may carry parameters, e.g. method=PUBLISH)."""
    attachment = OutboxAttachment(filename=filename, content_type=content_type, content=content)
    message.attachments.append(attachment)
    return attachment


@event.listens_for(Session, "after_transaction_end")
def _forget_queued(session, transaction):
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_QUEUED, None)


def _exists(template: str) -> bool:
    try:
        current_app.jinja_env.get_template(template)
    except TemplateNotFound:
        return False
    return True


def _smtp_send(message: OutboxMessage) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments:
        kind = Message()
        kind["Content-Type"] = attachment.content_type
        email.add_attachment(attachment.content, maintype=kind.get_content_maintype(),
                             subtype=kind.get_content_subtype(), filename=attachment.filename,
                             params=dict(kind.get_params()[1:]))
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)


def _due():
    return (or_(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.status == OutboxStatus.sending),
            OutboxMessage.next_attempt_dt <= utcnow())


def due_message_ids(limit: int) -> list[int]:
    return list(db.session.scalars(select(OutboxMessage.id).where(*_due()).order_by(OutboxMessage.id).limit(limit)))


def claim(message_id: int) -> OutboxMessage | None:
    """Take a due message for sending with a conditional update (None: another process has it).

    A claim is a lease: a message left in `sending` by a process that died is due again once
    SENDING_LEASE has passed."""
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, *_due())
        .values(status=OutboxStatus.sending, next_attempt_dt=utcnow() + SENDING_LEASE,
                attempts=OutboxMessage.attempts + 1)).rowcount
    return db.session.get(OutboxMessage, message_id) if claimed else None


def record_sent(message: OutboxMessage) -> None:
    message.status = OutboxStatus.sent
    message.sent_dt = utcnow()
    message.last_error = None


def record_failure(message: OutboxMessage, error: str) -> None:
    """Retry with back-off, or give up after MAX_ATTEMPTS (the admin's outbox page shows it)."""
    message.last_error = error[:1000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.failed
    else:
        message.status = OutboxStatus.queued
        message.next_attempt_dt = utcnow() + timedelta(minutes=2 ** message.attempts)


def send(message: OutboxMessage) -> None:
    """Hand the message to the SMTP server (raises OSError or SMTPException)."""
    _smtp_send(message)
