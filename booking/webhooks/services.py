"""Webhook use cases: register, list, delete, resend; queue a delivery for every event a webhook
wants, in the transaction of the change (a subscriber to booking.events); and claim, send and
record deliveries for the `deliver-webhooks` job (booking/webhooks/jobs.py). Nothing here commits.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from booking import fetching
from booking.accounts.models import Organisation
from booking.agreements.models import PilotAgreement
from booking.database import utcnow
from booking.errors import Conflict, Message, NotFound, PermissionDenied, RuleViolation
from booking.events import Event, publish, subscribe
from booking.extensions import db, plain_rows
from booking.reservations.models import Reservation
from booking.webhooks import rules
from booking.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

MAX_URL_LENGTH = 2000
# session.info key: the webhooks that exist, read once per transaction by the event subscriber.
_ACTIVE = "webhooks_active"


# --- managing webhooks ---------------------------------------------------------------------------

def get_webhook(webhook_id: int) -> Webhook | None:
    return db.session.get(Webhook, webhook_id)


def webhooks_query(user, organisation_id: int | None = None):
    """The webhooks the user may manage, newest first: admins every one, members their organisations'."""
    stmt = select(Webhook).order_by(Webhook.id.desc())
    if not rules.can_register_webhook(user, None):
        stmt = stmt.where(Webhook.organisation_id.in_([m.organisation_id for m in user.memberships]))
    if organisation_id is not None:
        stmt = stmt.where(Webhook.organisation_id == organisation_id)
    return stmt


def check_url(url: str) -> str:
    """The address as it will be used, or RuleViolation on `url`: https (http only where
    FETCH_ALLOW_PRIVATE is on), no credentials, and not a loopback, private or link-local
    address. A name is resolved and checked again at every delivery."""
    url = (url or "").strip()

    def refuse(code, **params):
        raise RuleViolation(field_errors={"url": [Message(f"webhooks.{code}", **params)]})

    if len(url) > MAX_URL_LENGTH:
        refuse("url_too_long", limit=MAX_URL_LENGTH)
    try:
        target = fetching.parse_url(url)
    except fetching.FetchError as exc:
        refuse("url_invalid", reason=exc.reason)
    private = fetching.allow_private()
    if target.scheme != "https" and not private:
        refuse("https_required")
    if not private and _names_this_network(target.host):
        refuse("url_not_public")
    return url


def _names_this_network(host: str) -> bool:
    """A literal address that is not public, or a name every resolver keeps local."""
    if host.lower() == "localhost" or host.lower().endswith((".localhost", ".local", ".internal")):
        return True
    try:
        return not fetching.is_public(host)
    except ValueError:
        return False  # a name: resolved and checked when sending


def register_webhook(user, *, url: str, events: list[str], organisation_id: int | None = None,
                     description: str = "", now: datetime | None = None) -> Webhook:
    """A new webhook for an organisation's events (its members, admins) or the city's (admins)."""
    now = now or utcnow()
    if organisation_id is not None and (db.session.get(Organisation, organisation_id) is None
                                        or not rules.can_register_webhook(user, organisation_id)):
        raise NotFound(Message("webhooks.organisation_not_found"))   # another's exists no more than a missing one
    if not rules.can_register_webhook(user, organisation_id):
        raise PermissionDenied(Message("webhooks.not_allowed"))
    problems: dict[str, list[Message]] = {}
    try:
        url = check_url(url)
    except RuleViolation as exc:
        problems.update(exc.field_messages)
    chosen = list(dict.fromkeys(events or []))
    unknown = [e for e in chosen if e not in rules.EVENT_TYPES]
    if not chosen:
        problems["events"] = [Message("webhooks.events_required")]
    elif unknown:
        problems["events"] = [Message("webhooks.event_unknown", name=name) for name in unknown]
    if problems:
        raise RuleViolation(field_errors=problems)
    existing = db.session.scalar(select(func.count()).select_from(Webhook).where(
        Webhook.organisation_id.is_(None) if organisation_id is None else Webhook.organisation_id == organisation_id))
    if existing >= rules.MAX_WEBHOOKS:
        raise RuleViolation(Message("webhooks.too_many", limit=rules.MAX_WEBHOOKS))
    webhook = Webhook(organisation_id=organisation_id, url=url,
                      events=[e for e in rules.EVENT_TYPES if e in chosen], description=(description or "").strip(),
                      secret=rules.new_secret(), created_dt=now, created_by_id=user.id)
    db.session.add(webhook)
    db.session.flush()
    db.session.info.pop(_ACTIVE, None)
    publish(Event("webhook.created", webhook, actor=user,
                  after={"url": url, "events": webhook.events, "organisation_id": organisation_id}))
    return webhook


def delete_webhook(user, webhook: Webhook) -> None:
    """Gone with its delivery history; nothing more is sent to it."""
    if not rules.can_manage_webhook(user, webhook):
        raise NotFound(Message("webhooks.not_found"))
    publish(Event("webhook.deleted", webhook, actor=user,
                  before={"url": webhook.url, "events": webhook.events, "organisation_id": webhook.organisation_id}))
    db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    db.session.delete(webhook)
    db.session.flush()
    db.session.info.pop(_ACTIVE, None)


def deliveries_query(webhook: Webhook):
    return (select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.created_dt.desc(), WebhookDelivery.id.desc()))


def get_delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery | None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    return delivery if delivery is not None and delivery.webhook_id == webhook.id else None


def resend(user, delivery: WebhookDelivery, *, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again (delivered or not): due now, retried for another day. Same body and
    event id, so a receiver that has it already can tell."""
    now = now or utcnow()
    if not rules.can_manage_webhook(user, delivery.webhook):
        raise NotFound(Message("webhooks.not_found"))
    db.session.refresh(delivery, with_for_update=True)
    if delivery.status == DeliveryStatus.sending and delivery.next_attempt_dt and delivery.next_attempt_dt > now:
        raise Conflict(Message("webhooks.still_sending"))
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_dt = now
    delivery.give_up_dt = now + rules.RETRY_FOR
    db.session.flush()
    return delivery


# --- queueing: every event a webhook wants, in the transaction of the change ----------------------

_ACTIVE_HOOKS = select(Webhook.id, Webhook.organisation_id, Webhook.events)


def _active() -> list:
    """(id, organisation_id, events) of every webhook, read once per transaction."""
    found = db.session.info.get(_ACTIVE)
    if found is None:
        found = plain_rows(_ACTIVE_HOOKS).all()
        db.session.info[_ACTIVE] = found
    return found


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_active(session, transaction):
    if transaction.parent is None:
        session.info.pop(_ACTIVE, None)


def _value(status):
    return getattr(status, "value", status)


def on_event(event: Event) -> None:
    """Queue a delivery for every webhook that wants what this domain event is (a subscriber)."""
    subject = event.subject
    if not isinstance(subject, (Reservation, PilotAgreement)):
        return
    types = rules.webhook_events(event.action, _value(subject.status), _value((event.before or {}).get("status")))
    hooks = _active() if types else []
    if not hooks:
        return
    if isinstance(subject, Reservation):
        organisations = {subject.organisation_id} - {None}
    else:
        organisations = {o.id for o in subject.organisations}
    now = utcnow()
    for event_type in types:
        targets = [h for h in hooks if rules.wants(h.organisation_id, h.events, event_type, organisations)]
        if not targets:
            continue
        event_id = rules.new_event_id()
        body = json.dumps({"id": event_id, "type": event_type, "created": _instant(now),
                           "data": _data(subject, event)}, ensure_ascii=False)
        for hook in targets:
            db.session.add(WebhookDelivery(webhook_id=hook.id, event_id=event_id, event_type=event_type, body=body,
                                           status=DeliveryStatus.pending, attempts=0, created_dt=now,
                                           next_attempt_dt=now, give_up_dt=now + rules.RETRY_FOR))


def _instant(value: datetime, zone: str | None = None) -> str:
    return value.astimezone(ZoneInfo(zone) if zone else timezone.utc).isoformat(timespec="seconds")


def _data(subject, event: Event) -> dict:
    before = event.before or {}
    if isinstance(subject, Reservation):
        tz = subject.facility.timezone
        held = subject.held_for or ""
        data = {"id": subject.id, "kind": subject.kind.value, "status": subject.status.value,
                "facility_id": subject.facility_id, "facility": subject.facility.name, "timezone": tz,
                "organisation_id": subject.organisation_id, "series_id": subject.series_id,
                "agreement_id": int(held.split(":")[1]) if held.startswith("agreement:") else None,
                "start": _instant(subject.start_dt, tz), "end": _instant(subject.end_dt, tz), "title": subject.title}
        if isinstance(before.get("start"), datetime) and isinstance(before.get("end"), datetime):
            data["previous"] = {"start": _instant(before["start"], tz), "end": _instant(before["end"], tz)}
        return {"reservation": data}
    return {"agreement": {
        "id": subject.id, "title": subject.title, "status": subject.status.value,
        "previous_status": _value(before.get("status")), "lead_organisation_id": subject.lead_organisation_id,
        "organisation_ids": [o.id for o in subject.organisations], "host_department_id": subject.host_department_id,
        "start_date": _date(subject.start_date), "end_date": _date(subject.end_date)}}


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


subscribe(on_event)


# --- delivering (the job) ------------------------------------------------------------------------

@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery, as plain values: sent outside any transaction."""
    delivery_id: int
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes


@dataclass(frozen=True)
class Attempt:
    ok: bool
    response_status: int | None = None
    error: Message | None = None


def _due(now: datetime):
    return (or_(WebhookDelivery.status == DeliveryStatus.pending, WebhookDelivery.status == DeliveryStatus.sending),
            WebhookDelivery.next_attempt_dt <= now)


def due_delivery_ids(limit: int, *, now: datetime | None = None) -> list[int]:
    return list(db.session.scalars(select(WebhookDelivery.id).where(*_due(now or utcnow()))
                                   .order_by(WebhookDelivery.next_attempt_dt, WebhookDelivery.id).limit(limit)))


def claim(delivery_id: int, *, now: datetime | None = None) -> Outgoing | None:
    """Take a due delivery with a conditional update (None: another process has it, or it is
    not due). The claim is a lease: if the process dies, it is due again after SENDING_LEASE."""
    now = now or utcnow()
    taken = db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, *_due(now))
        .values(status=DeliveryStatus.sending, next_attempt_dt=now + rules.SENDING_LEASE,
                attempts=WebhookDelivery.attempts + 1, last_attempt_dt=now)
        .execution_options(synchronize_session=False)).rowcount
    if not taken:
        return None
    row = db.session.execute(select(WebhookDelivery.event_id, WebhookDelivery.event_type, WebhookDelivery.body,
                                    Webhook.url, Webhook.secret)
                             .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                             .where(WebhookDelivery.id == delivery_id)).one()
    return Outgoing(delivery_id, row.url, row.secret, row.event_id, row.event_type, row.body.encode())


def send(outgoing: Outgoing, *, timestamp: int | None = None) -> Attempt:
    """POST the signed body (network; call it outside any unit of work). Never raises for what
    the receiver or the network did: that is the attempt's outcome."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"Content-Type": "application/json",
               rules.SIGNATURE_HEADER: rules.signature_header(outgoing.secret, timestamp, outgoing.body),
               rules.EVENT_HEADER: outgoing.event_type, rules.EVENT_ID_HEADER: outgoing.event_id}
    try:
        status = fetching.post(outgoing.url, outgoing.body, headers)
    except fetching.FetchError as exc:
        return Attempt(False, exc.http_status, exc.reason)
    return Attempt(True, status)


def record_attempt(delivery_id: int, attempt: Attempt, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Delivered, or the next try with back-off, or failed once a day of tries is over."""
    now = now or utcnow()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # its webhook was deleted meanwhile
        return None
    delivery.response_status = attempt.response_status
    if attempt.ok:
        delivery.status, delivery.delivered_dt, delivery.next_attempt_dt = DeliveryStatus.delivered, now, None
        delivery.error_code = delivery.error_params = None
    else:
        delivery.error_code = attempt.error.code if attempt.error else None
        delivery.error_params = dict(attempt.error.params) if attempt.error else None
        # Counted from when the attempt began, so a slow receiver does not stretch the schedule.
        delivery.next_attempt_dt = rules.retry_at(delivery.attempts, delivery.last_attempt_dt or now,
                                                  delivery.give_up_dt)
        delivery.status = DeliveryStatus.pending if delivery.next_attempt_dt else DeliveryStatus.failed
    db.session.flush()
    return delivery


def error_of(delivery: WebhookDelivery) -> Message | None:
    """Why the last attempt failed, to be worded in the reader's language."""
    if not delivery.error_code:
        return None
    return Message("webhooks.delivery_failed", reason=Message(delivery.error_code, **(delivery.error_params or {})))
