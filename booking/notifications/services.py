"""Queue e-mails in the caller's transaction; deliver them later, once, with retries."""
from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from booking.database import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 5


def queue_email(to: str, subject: str, template: str, *, locale: str | None = None,
                topic: str | None = None, **context) -> OutboxMessage:
    """Render templates/emails/<template>.txt (and .html if present) into the outbox.

    Nothing is sent here: the message commits or rolls back with the caller's change.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = render_template(f"emails/{template}.txt", **context)
        try:
            html = render_template(f"emails/{template}.html", **context)
        except Exception as exc:  # noqa: BLE001 - an HTML part is optional
            if type(exc).__name__ != "TemplateNotFound":
                raise
            html = None
        subject = str(subject)
    message = OutboxMessage(to=to, subject=subject, text_body=text, html_body=html, topic=topic)
    db.session.add(message)
    return message


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


def deliver_pending(limit: int = 50) -> int:
    """Send queued messages when SMTP is configured; otherwise keep them for the outbox page.

    Each message is claimed with a conditional update, so two scheduler processes never
    send the same message twice. Returns the number sent.
    """
    if not current_app.config["MAIL_SERVER"]:
        return 0
    now = utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.next_attempt_dt <= now)
        .order_by(OutboxMessage.id).limit(limit)).all()
    db.session.commit()
    sent = 0
    for message_id in ids:
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.queued)
            .values(status=OutboxStatus.sending)).rowcount
        db.session.commit()
        if not claimed:
            continue
        message = db.session.get(OutboxMessage, message_id)
        message.attempts += 1
        try:
            _smtp_send(message)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = str(exc)[:1000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.failed
            else:
                message.status = OutboxStatus.queued
                message.next_attempt_dt = utcnow() + timedelta(minutes=2 ** message.attempts)
        else:
            message.status = OutboxStatus.sent
            message.sent_dt = utcnow()
            message.last_error = None
            sent += 1
        db.session.commit()
    return sent
