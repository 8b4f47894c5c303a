"""Queue e-mails in the caller's transaction; claim, send and record them for the delivery job
(booking/notifications/jobs.py), once, with retries. Nothing here commits."""
from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import or_, select, update

from booking.database import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 5
SENDING_LEASE = timedelta(minutes=10)


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
    return message


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
