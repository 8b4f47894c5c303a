"""Queue e-mails in the caller's transaction; deliver them later, once, with retries."""
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


def deliver_pending(limit: int = 50) -> int:
    """Send due messages when SMTP is configured; otherwise keep them for the outbox page.

    Each message is claimed with a conditional update, so two scheduler processes never
    send the same message twice. A claim is a lease: a message left in `sending` by a
    process that died is due again once SENDING_LEASE has passed. Returns the number sent.
    """
    if not current_app.config["MAIL_SERVER"]:
        return 0
    due = (or_(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.status == OutboxStatus.sending),
           OutboxMessage.next_attempt_dt <= utcnow())
    ids = db.session.scalars(select(OutboxMessage.id).where(*due).order_by(OutboxMessage.id).limit(limit)).all()
    db.session.commit()
    sent = 0
    for message_id in ids:
        claimed = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, *due)
            .values(status=OutboxStatus.sending, next_attempt_dt=utcnow() + SENDING_LEASE,
                    attempts=OutboxMessage.attempts + 1)).rowcount
        db.session.commit()
        if not claimed:
            continue  # another process took it
        message = db.session.get(OutboxMessage, message_id)
        try:
            _smtp_send(message)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
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
