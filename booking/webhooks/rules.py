"""Pure webhook rules: the events there are and which domain event is which, the signature, the
retry back-off, and who may manage a webhook. No Flask, no database."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from booking.accounts.rules import can_act_for, can_administer

RESERVATION_CREATED = "reservation.created"
RESERVATION_CONFIRMED = "reservation.confirmed"
RESERVATION_CANCELLED = "reservation.cancelled"
RESERVATION_CHANGED = "reservation.changed"
AGREEMENT_STATE_CHANGED = "agreement.state_changed"
EVENT_TYPES = (RESERVATION_CREATED, RESERVATION_CONFIRMED, RESERVATION_CANCELLED, RESERVATION_CHANGED,
               AGREEMENT_STATE_CHANGED)

MAX_WEBHOOKS = 20           # per organisation, and city-wide
RETRY_FOR = timedelta(days=1)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
SENDING_LEASE = timedelta(minutes=5)  # a claimed delivery whose process died is due again after this
TOLERANCE_SECONDS = 300     # what the README suggests receivers accept between the timestamp and their clock

SIGNATURE_HEADER = "Infrashare-Signature"
EVENT_HEADER = "Infrashare-Event"
EVENT_ID_HEADER = "Infrashare-Event-Id"


def webhook_events(action: str, status: str | None, before_status: str | None) -> list[str]:
    """The webhook events a domain event is (most are none). `status` is the subject's status after
    it, `before_status` the one before (None when the event did not change or give it).

    A hold is not a reservation yet: it is created when submitted, and its release or expiry
    is no cancellation. A new reservation confirmed at once is both created and confirmed."""
    if action in ("reservation.created", "reservation.submitted"):
        return [RESERVATION_CREATED] + ([RESERVATION_CONFIRMED] if status == "confirmed" else [])
    if action == "reservation.approved":
        return [RESERVATION_CONFIRMED]
    if action == "reservation.cancelled" and before_status != "held":
        return [RESERVATION_CANCELLED]
    if action == "reservation.changed":
        return [RESERVATION_CHANGED]
    if action.startswith("agreement.") and before_status is not None and before_status != status:
        return [AGREEMENT_STATE_CHANGED]
    return []


def wants(webhook_organisation_id: int | None, webhook_events_: list[str], event_type: str,
          organisation_ids: set[int]) -> bool:
    """Whether a webhook receives an event about things of these organisations: a city-wide one
    receives every event it asked for, an organisation's only those about itself."""
    if event_type not in webhook_events_:
        return False
    return webhook_organisation_id is None or webhook_organisation_id in organisation_ids


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of "<timestamp>." followed by the body, keyed with the secret, in hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does (the README shows the same in a few lines): the timestamp is recent
    and one v1 signature matches, compared in constant time."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v.strip()) for k, v in parts if k.strip() == "v1")


def retry_at(attempts: int, now: datetime, give_up: datetime) -> datetime | None:
    """When to try again after `attempts` failed ones: 1, 2, 4 … minutes, at most an hour apart;
    None once that would be past `give_up` (a day after the event, or after a manual resend)."""
    wait = min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 10), LONGEST_WAIT)
    return now + wait if now + wait <= give_up else None


def can_register_webhook(user, organisation_id: int | None) -> bool:
    """An organisation's members for its events; admins for any organisation and city-wide (None)."""
    if can_administer(user):
        return True
    return organisation_id is not None and can_act_for(user, organisation_id)


def can_manage_webhook(user, webhook) -> bool:
    """See, delete and resend: who could register it. Another organisation's webhook is never shown."""
    return can_register_webhook(user, webhook.organisation_id)
