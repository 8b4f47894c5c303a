"""Pure feed rules: the time a feed covers, which reservations it shows and how, feed tokens,
and who may manage a feed. No Flask, no database."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from booking.accounts.rules import can_administer

# What a feed covers: recent history and the booking horizon ahead, and at most this many events.
DAYS_BEHIND = 90
DAYS_AHEAD = 548  # 18 months
MAX_EVENTS = 10_000
# A cancelled or declined reservation stays in feeds this long, as STATUS:CANCELLED, so every
# client that saw it removes it.
CANCELLED_KEPT = timedelta(days=30)
# Active feeds one person may have (each is polled by a client for as long as it lives).
MAX_FEEDS_PER_USER = 50
# Clients poll often; the last fetch is written at most this often, not on every poll.
FETCH_RECORDED_EVERY = timedelta(hours=1)
REFRESH_MINUTES = 60  # what the feed suggests to clients (REFRESH-INTERVAL)

# 32 random bytes: 256 bits, far above the 128 the issue asks for.
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")

# Reservation statuses as iCalendar STATUS values. Held and rejected/cancelled ones are
# handled by `shown_status`: a hold is not in feeds, and an ended one shows as CANCELLED.
ICS_STATUS = {"held": "TENTATIVE", "pending": "TENTATIVE", "confirmed": "CONFIRMED",
              "completed": "CONFIRMED", "no_show": "CONFIRMED", "cancelled": "CANCELLED", "rejected": "CANCELLED"}
FEED_STATUSES = ("pending", "confirmed", "completed", "no_show")  # shown while in the window
ENDED_STATUSES = ("cancelled", "rejected")                        # shown for CANCELLED_KEPT
# What a reservation's own .ics (download, e-mail attachment) lists of a series: what is still on.
STILL_ON = ("held", "pending", "confirmed", "completed")


def window(now: datetime) -> tuple[datetime, datetime]:
    """The span a feed covers: reservations ending after the first and starting before the second."""
    return now - timedelta(days=DAYS_BEHIND), now + timedelta(days=DAYS_AHEAD)


def shown_status(status: str, updated: datetime, now: datetime) -> str | None:
    """The STATUS a feed gives a reservation, or None when the feed leaves it out."""
    if status in FEED_STATUSES:
        return ICS_STATUS[status]
    if status in ENDED_STATUSES and updated >= now - CANCELLED_KEPT:
        return "CANCELLED"
    return None


def fetch_due(last_fetched: datetime | None, now: datetime) -> bool:
    return last_fetched is None or now - last_fetched >= FETCH_RECORDED_EVERY


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_token_shaped(token: str) -> bool:
    """A token as `new_token` makes them; anything else is refused before touching the database."""
    return bool(_TOKEN_SHAPE.match(token))


def token_matches(stored_hash: str, token: str) -> bool:
    """Compare in constant time (the row was found by its hash, this is the last word)."""
    return hmac.compare_digest(stored_hash.encode(), token_hash(token).encode())


def can_manage_feed(user, feed) -> bool:
    """See and revoke: the owner, and admins (who list and revoke any feed)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return feed.owner_id == user.id or can_administer(user)


def can_regenerate_feed(user, feed) -> bool:
    """A new address: only the owner, who is the one shown it."""
    return getattr(user, "is_authenticated", False) and feed.owner_id == user.id


def can_list_all_feeds(user) -> bool:
    return can_administer(user)
