"""Queue e-mails (and their in-app notifications) in the caller's transaction; claim, send and
record them for the delivery job (booking/notifications/jobs.py), once, with retries; people's
settings; sent-markers for things told once. Nothing here commits."""
from __future__ import annotations

import re
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage, Message

from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape
from sqlalchemy import bindparam, case, delete, event, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from booking.audit.services import record
from booking.database import utcnow
from booking.extensions import db, insert_new, plain_rows
from booking.notifications import later as recipes
from booking.notifications.kinds import DEFAULT_REMINDER_HOURS, OPTIONAL, REMINDER_HOURS
from booking.notifications.models import (Notification, NotificationSettings, OutboxAttachment, OutboxMessage,
                                          OutboxStatus, SentMarker)

MAX_ATTEMPTS = 5
SENDING_LEASE = timedelta(minutes=10)
# session.info keys: the messages queued in the session's current transaction, and those of
# them still to be written (write_held).
_QUEUED = "outbox_queued"
_HELD = "outbox_held"
# The in-app notice of a person's e-mail: written at once as one row (every booking writes one).
_NEW_NOTIFICATION = insert(Notification.__table__)


def queue_email(to: str, subject: str, template: str, *, locale: str | None = None,
                topic: str | None = None, user_id: int | None = None, kind: str | None = None,
                page: str | None = None, send_after: datetime | None = None, later: bool = False,
                held: bool = False, **context) -> OutboxMessage | None:
    """Render templates/emails/<template>.txt and its HTML part into the outbox.

    The HTML part is templates/emails/<template>.html if present, else the text in the shared
    layout (emails/layout.html). `page` (a path here, e.g. /reservations/12) is the page to act
    on. For a person (`user_id`) the message is also listed in the app, and an optional `kind`
    (booking.notifications.kinds) is e-mailed only if they have not turned it off (None: not
    e-mailed). Nothing is sent here: the message commits or rolls back with the caller's change.

    `send_after` holds the message back until then (e-mail and in-app alike), so a change that
    may still be undone is told only once it sticks; `withdraw` takes such a message back.
    With `later` the delivery job writes the text from the context's objects as they are then
    (booking.notifications.later); the subject and the in-app notice are written now.
    A `held` message is written by `write_held` (a domain event's, once its subscribers
    have attached their files), with one plain INSERT: every booking queues one.
    """
    settings = settings_for(user_id) if user_id is not None else None
    e_mail = kind not in OPTIONAL or settings is None or wants_email(settings, kind)
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    # City-written texts (facility names …) in the recipient's language too, not the API caller's.
    api_language = g.pop("content_language", None)
    try:
        with force_locale(locale):
            subject = str(subject)
        if user_id is not None:
            db.session.connection().execute(_NEW_NOTIFICATION, {
                "user_id": user_id, "subject": subject[:300], "link": page, "topic": topic,
                "created_dt": send_after or utcnow()})
        if not e_mail:
            return None
        recipe = _recipe(template, locale, kind, page, context) if later else None
        text, html = (None, None) if recipe else write(template, locale, kind, page, subject, context)
    finally:
        if api_language is not None:
            g.content_language = api_language
    message = OutboxMessage(to=to, subject=subject, text_body=text, html_body=html, recipe=recipe, topic=topic,
                            next_attempt_dt=send_after or utcnow())
    db.session.info.setdefault(_QUEUED, []).append(message)
    if held:
        db.session.info.setdefault(_HELD, []).append(message)
    else:
        db.session.add(message)
    return message


def write_held() -> None:
    """Write the messages queued with `held`; the session's flush writes their attachments."""
    insert_new(db.session.info.pop(_HELD, []))


def _recipe(template: str, locale: str, kind: str | None, page: str | None, context: dict) -> dict | None:
    try:
        return {"template": template, "locale": locale, "kind": kind, "page": page,
                "context": recipes.encode(context), "attachments": []}
    except recipes.CannotKeep:
        return None


def write(template: str, locale: str, kind: str | None, page: str | None, subject: str,
          context: dict) -> tuple[str, str]:
    """The text and HTML parts of an e-mail, in `locale`."""
    base = current_app.config["BASE_URL"].rstrip("/")
    with force_locale(locale):
        text = render_template(f"emails/{template}.txt", **context)
        if kind in OPTIONAL:  # say why it came and how to stop it, before the signature
            body, signature, name = text.rpartition("\n-- \n")
            settings_url = f"{base}/profile#notifications"
            why = _("You can choose which e-mails you get on your profile: %(url)s", url=settings_url)
            text = f"{body}\n{why}\n{signature}{name}" if signature else f"{text}\n\n{why}\n"
        if _exists(f"emails/{template}.html"):
            html = render_template(f"emails/{template}.html", **{"subject": subject, **context})
        else:
            html = render_template("emails/layout.html", paragraphs=html_paragraphs(text), subject=subject,
                                   link=f"{base}{page}" if page else None)
    return text, html


_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]")


def html_paragraphs(text: str) -> list[Markup]:
    """A text part as HTML paragraphs (escaped, addresses made links), without its signature."""
    body = text.rpartition("\n-- \n")[0] or text
    paragraphs = []
    for block in re.split(r"\n\s*\n", body.strip()):
        if block.strip():
            linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', str(escape(block.strip())))
            paragraphs.append(Markup("<p>" + linked.replace("\n", "<br>\n") + "</p>"))
    return paragraphs


# --- what people want ----------------------------------------------------------------------

def settings_for(user_id: int) -> NotificationSettings:
    """The person's settings (the defaults, unsaved, when they never chose), to read: the
    session's own if it holds them, else from one plain row (every e-mail to a person asks)."""
    held = db.session.identity_map.get(identity_key(NotificationSettings, user_id))
    if held is not None:
        return held
    row = plain_rows(_SETTINGS, {"user_id": user_id}).first()
    if row is None:
        return NotificationSettings(user_id=user_id, muted="", request_digest=False,
                                    reminder_hours=DEFAULT_REMINDER_HOURS)
    return NotificationSettings(user_id=user_id, muted=row.muted, request_digest=row.request_digest,
                                reminder_hours=row.reminder_hours)


_SETTINGS = select(NotificationSettings.muted, NotificationSettings.request_digest,
                   NotificationSettings.reminder_hours).where(NotificationSettings.user_id == bindparam("user_id"))


def wants_email(settings: NotificationSettings, kind: str) -> bool:
    if kind in settings.muted_kinds:
        return False
    return not (kind == "new_request" and settings.request_digest)  # those come in the daily digest


def save_settings(user_id: int, *, muted: set[str], request_digest: bool, reminder_hours: int) -> NotificationSettings:
    settings = db.session.get(NotificationSettings, user_id)
    if settings is None:
        settings = NotificationSettings(user_id=user_id)
        db.session.add(settings)
    before = {"muted": settings.muted, "request_digest": settings.request_digest,
              "reminder_hours": settings.reminder_hours}
    settings.muted = " ".join(sorted(k for k in muted if k in OPTIONAL))
    settings.request_digest = bool(request_digest)
    settings.reminder_hours = reminder_hours if reminder_hours in REMINDER_HOURS else DEFAULT_REMINDER_HOURS
    after = {"muted": settings.muted, "request_digest": settings.request_digest,
             "reminder_hours": settings.reminder_hours}
    if before != after:
        record("user.notification_settings_updated", object_type="User", object_id=user_id, before=before,
               after=after)
    db.session.flush()
    return settings


def claim_once(key: str) -> bool:
    """True the first time `key` is claimed, in any process: a conditional insert of a sent-marker
    (another transaction holding the same key makes this wait for it, then answer False)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(SentMarker).values(key=key[:200], created_dt=utcnow()).on_conflict_do_nothing(
        index_elements=["key"]).returning(SentMarker.key)
    return db.session.execute(statement).scalar() is not None


# --- in-app notifications ---------------------------------------------------------------------

def notifications_of(user_id: int):
    """The person's notifications, newest first: those held back (`send_after`) only once their time came."""
    return select(Notification).where(Notification.user_id == user_id, Notification.created_dt <= utcnow()
                                      ).order_by(Notification.id.desc())


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_dt.is_(None), Notification.created_dt <= utcnow())) or 0


def mark_read(user_id: int, notification_id: int | None = None, *, now: datetime | None = None) -> int:
    """Mark one of the person's notifications (or all of them) read; how many changed."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_dt.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return db.session.execute(statement.values(read_dt=now or utcnow())).rowcount


def withdraw(topic: str, *, now: datetime | None = None) -> int:
    """Take back the messages about `topic` that are held back and not yet due (a change undone
    within its undo window): the e-mails never sent, the in-app notifications never shown.
    How many e-mails were withdrawn."""
    now = now or utcnow()
    held = select(OutboxMessage.id).where(
        OutboxMessage.topic == topic, OutboxMessage.status == OutboxStatus.queued, OutboxMessage.attempts == 0,
        OutboxMessage.next_attempt_dt > now)
    db.session.execute(delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(held)))
    withdrawn = db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(held))).rowcount
    db.session.execute(delete(Notification).where(Notification.topic == topic, Notification.created_dt > now))
    return withdrawn


def outbox_counts(*, now: datetime) -> dict[str, int]:
    """How the outbox stands, in one query: messages that failed for good, and queued ones that
    are late (due over 10 minutes ago and still not sent: the sending job may be down)."""
    late = (OutboxMessage.status == OutboxStatus.queued) & (OutboxMessage.next_attempt_dt < now - timedelta(minutes=10))
    retrying = (OutboxMessage.status == OutboxStatus.queued) & (OutboxMessage.attempts > 0)
    failed, late_count, retrying_count = db.session.execute(select(
        *(func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
          for condition in (OutboxMessage.status == OutboxStatus.failed, late, retrying)))).one()
    return {"failed": int(failed), "late": int(late_count), "retrying": int(retrying_count)}


def resend(message: OutboxMessage, *, actor=None) -> None:
    """Queue a message again at once, with a fresh count of attempts (an admin asked)."""
    before = {"status": message.status, "attempts": message.attempts}
    message.status, message.attempts, message.next_attempt_dt = OutboxStatus.queued, 0, utcnow()
    record("outbox_message.resent", message, actor=actor, before=before, after={"status": message.status})
    db.session.flush()


def queued_now(topic: str) -> list[OutboxMessage]:
    """The messages about `topic` queued in the current transaction: how a subscriber to a
    domain event finds the e-mails that event just queued, to attach a file to them."""
    return [m for m in db.session.info.get(_QUEUED, ()) if m.topic == topic]


def attach(message: OutboxMessage, filename: str, content_type: str, content: bytes) -> OutboxAttachment:
    """Send a file with a queued message (`content_type` may carry parameters, e.g. method=PUBLISH)."""
    attachment = OutboxAttachment(filename=filename, content_type=content_type, content=content)
    message.attachments.append(attachment)
    return attachment


def attach_later(message: OutboxMessage, maker: str, **arguments) -> None:
    """Send a file with a message the job writes later: `maker` (registered with
    booking.notifications.later.attachment_maker) makes it then, from `arguments`."""
    if any(name == maker for name, _ in message.recipe["attachments"]):
        return
    message.recipe = {**message.recipe,
                      "attachments": [*message.recipe["attachments"], [maker, recipes.encode(arguments)]]}


def unwritten_message_ids(limit: int) -> list[int]:
    """Due messages the job is still to write (queued with `later`)."""
    return list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.text_body.is_(None), OutboxMessage.status == OutboxStatus.queued,
        OutboxMessage.next_attempt_dt <= utcnow()).order_by(OutboxMessage.id).limit(limit)))


def _text_and_html(message: OutboxMessage) -> tuple[str, str]:
    recipe = message.recipe
    return write(recipe["template"], recipe["locale"], recipe["kind"], recipe["page"], message.subject,
                 recipes.decode(recipe["context"]))


def preview(message: OutboxMessage) -> str | None:
    """The text a message still to be written would have now (None if it cannot be written)."""
    try:
        return _text_and_html(message)[0]
    except Exception:  # noqa: BLE001  (the page shows the rest; the job records why)
        return None


def write_later(message_id: int) -> int:
    """Write a message queued with `later` from its recipe (booking.notifications.later): the
    text is rendered before anything is written, and a conditional update keeps two job
    processes from writing it twice. A message whose subject was deleted meanwhile fails with
    the reason; any other error is retried like a failed delivery (then fails, on the Outbox
    page). Returns 1 if this call wrote it."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.text_body is not None or not message.recipe:
        return 0
    try:
        text, html = _text_and_html(message)
        files = [recipes.make_attachment(name, arguments, message.recipe["locale"])
                 for name, arguments in message.recipe["attachments"]]
    except recipes.Gone as exc:
        message.status, message.last_error = OutboxStatus.failed, f"Could not be written: {exc}"[:1000]
        return 0
    except Exception as exc:  # noqa: BLE001  (a message that cannot be written must not stop the others)
        current_app.logger.exception("outbox message %s could not be written", message_id)
        message.attempts += 1
        record_failure(message, f"Could not be written: {type(exc).__name__}: {exc}")
        return 0
    done = db.session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.text_body.is_(None))
        .values(text_body=text, html_body=html, recipe=None).execution_options(synchronize_session=False)).rowcount
    for filename, content_type, content in files if done else ():
        db.session.add(OutboxAttachment(message_id=message_id, filename=filename, content_type=content_type,
                                        content=content))
    return done


@event.listens_for(Session, "after_transaction_end")
def _forget_queued(session, transaction):
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_QUEUED, None)
        session.info.pop(_HELD, None)


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
    context = ssl.create_default_context()
    if cfg["MAIL_USE_SSL"]:
        connection = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30, context=context)
    else:
        connection = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30)
    with connection as smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=context)
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)


def _due():
    return (or_(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.status == OutboxStatus.sending),
            OutboxMessage.next_attempt_dt <= utcnow(), OutboxMessage.text_body.is_not(None))


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
