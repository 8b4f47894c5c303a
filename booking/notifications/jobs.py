"""The e-mail delivery job: every step its own short unit of work, and the SMTP conversation
outside any transaction, so a slow mail server never holds a database lock."""
from __future__ import annotations

import smtplib

from flask import current_app

from booking.extensions import db
from booking.jobs import job
from booking.notifications.services import (claim, due_message_ids, record_failure, record_sent, send,
                                            unwritten_message_ids, write_later)
from booking.unit_of_work import unit_of_work


def write_pending(limit: int = 50) -> int:
    """Write the due messages queued to be written later, each in its own unit of work."""
    with unit_of_work():
        ids = unwritten_message_ids(limit)
    written = 0
    for message_id in ids:
        with unit_of_work():
            written += write_later(message_id)
    return written


def deliver_pending(limit: int = 50) -> int:
    """Write the messages queued to be written later; then send due messages when SMTP is
    configured, otherwise keep them for the outbox page.

    Each message is claimed with a conditional update, so two scheduler processes never
    send the same message twice. Returns the number sent."""
    write_pending(limit)
    if not current_app.config["MAIL_SERVER"]:
        return 0
    with unit_of_work():
        ids = due_message_ids(limit)
    sent = 0
    for message_id in ids:
        with unit_of_work():
            message = claim(message_id)
            if message is not None:  # everything sending reads, loaded now: no transaction during SMTP
                message.attachments
                db.session.expunge(message)
        if message is None:
            continue  # another process took it
        try:
            send(message)
        except (OSError, smtplib.SMTPException) as exc:
            with unit_of_work():
                record_failure(db.session.merge(message), f"{type(exc).__name__}: {exc}")
        else:
            with unit_of_work():
                record_sent(db.session.merge(message))
            sent += 1
    return sent


@job("send-outbox", 30, "Write queued e-mails and send them by SMTP (when MAIL_SERVER is set).")
def send_outbox():
    return deliver_pending()
