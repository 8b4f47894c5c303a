"""Calendar feed use cases (create, revoke, make a new address), finding a feed by its token,
and the queries a feed and a reservation's own calendar file read.

Services add and flush; the boundary commits (booking.unit_of_work). Every change is
published as a domain event, which writes its audit event.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import joinedload, selectinload

from booking.accounts.models import Organisation, User
from booking.calendars import kinds, rules
from booking.calendars import messages  # noqa: F401  (registers the domain's codes)
from booking.calendars.kinds import Kind
from booking.calendars.models import CalendarFeed, FeedKind
from booking.database import utcnow
from booking.errors import Message, NotFound, PermissionDenied, RuleViolation
from booking.events import Event, publish
from booking.extensions import db
from booking.facilities.models import Facility
from booking.reservations.models import Reservation, ReservationStatus

S = ReservationStatus
FEED_STATUSES = tuple(S(s) for s in rules.FEED_STATUSES)
ENDED_STATUSES = tuple(S(s) for s in rules.ENDED_STATUSES)
STILL_ON = tuple(S(s) for s in rules.STILL_ON)
# Changes whenever what a feed writes for the same data changes, so no client keeps an old copy.
FORMAT = "feed-1"


# --- managing feeds ------------------------------------------------------------------------

def kind_for(name: str) -> Kind:
    """The served kind called `name`, or a RuleViolation that says why not."""
    if name not in {k.value for k in FeedKind}:
        raise RuleViolation(field_errors={"kind": [Message("calendars.kind_unknown")]})
    kind = kinds.get(name)
    if kind is None:
        raise RuleViolation(field_errors={"kind": [Message("calendars.kind_unavailable")]})
    return kind


def _audit(action: str, feed: CalendarFeed, actor: User, **after) -> None:
    publish(Event(f"calendar_feed.{action}", feed, actor=actor,
                  after={"kind": feed.kind, "target_id": feed.target_id, "owner_id": feed.owner_id, **after}))


def create_feed(user: User, kind_name: str, target_id: int | None = None) -> tuple[CalendarFeed, str]:
    """A new feed and its token; only the token's hash is kept, so this is the one time it is seen."""
    kind = kind_for(kind_name)
    if target_id is None and kind.name == "user":
        target_id = user.id
    if target_id is None and not kind.target_optional:
        raise RuleViolation(field_errors={"target_id": [Message("calendars.target_required")]})
    if not kind.may_follow(user, target_id):
        raise NotFound(Message("calendars.target_not_found"))
    active = db.session.scalar(select(func.count()).select_from(CalendarFeed)
                               .where(CalendarFeed.owner_id == user.id, CalendarFeed.is_active))
    if active >= rules.MAX_FEEDS_PER_USER:
        raise RuleViolation(Message("calendars.too_many", limit=rules.MAX_FEEDS_PER_USER))
    token = rules.new_token()
    feed = CalendarFeed(kind=FeedKind(kind.name), target_id=target_id, owner=user, token_hash=rules.token_hash(token))
    db.session.add(feed)
    db.session.flush()
    _audit("created", feed, user)
    return feed, token


def revoke_feed(actor: User, feed: CalendarFeed, *, now: datetime | None = None) -> None:
    """Its address answers 404 from the moment this commits (nothing caches a feed's token)."""
    if feed.revoked_dt is None:
        feed.revoked_dt = now or utcnow()
        _audit("revoked", feed, actor)


def regenerate_feed(user: User, feed: CalendarFeed, *, now: datetime | None = None) -> str:
    """A new address for the same feed; the old one stops at once."""
    if not rules.can_regenerate_feed(user, feed):
        raise PermissionDenied(Message("calendars.not_allowed"))
    if feed.revoked_dt is not None:
        raise RuleViolation(Message("calendars.feed_revoked"))
    token = rules.new_token()
    feed.token_hash = rules.token_hash(token)
    feed.token_dt = now or utcnow()
    _audit("regenerated", feed, user)
    return token


def get_feed(feed_id: int) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, feed_id)


def feeds_query(user: User | None = None):
    """Feeds, newest first: the user's, or everyone's (for admins) when `user` is None."""
    stmt = select(CalendarFeed).options(joinedload(CalendarFeed.owner)).order_by(
        CalendarFeed.revoked_dt.is_not(None), CalendarFeed.created_dt.desc(), CalendarFeed.id.desc())
    return stmt if user is None else stmt.where(CalendarFeed.owner_id == user.id)


def still_allowed(feeds: list[CalendarFeed]) -> dict[int, bool]:
    """Whether each feed's owner may still follow its target (a list shows the ones that stopped);
    the targets of each kind are loaded first, in one query."""
    wanted: dict[str, set[int]] = {}
    for feed in feeds:
        if feed.target_id is not None:
            wanted.setdefault(feed.kind.value, set()).add(feed.target_id)
    loaded = [kind.load(sorted(ids)) for name, ids in wanted.items()
              if (kind := kinds.get(name)) is not None and kind.load is not None]
    allowed = {f.id: _serves(f) is not None for f in feeds}
    del loaded  # held until every feed was asked about
    return allowed


# --- serving a feed ------------------------------------------------------------------------

def _serves(feed: CalendarFeed) -> Kind | None:
    kind = kinds.get(feed.kind.value)
    if feed.revoked_dt is not None or kind is None or not feed.owner.active:
        return None
    return kind if kind.may_follow(feed.owner, feed.target_id) else None


def feed_for_token(token: str) -> tuple[CalendarFeed, Kind] | None:
    """The live feed a token opens, or None: unknown, revoked, or its owner no longer has the
    scope it was made for (left the organisation, no longer manages the department)."""
    if not rules.is_token_shaped(token):
        return None
    feed = db.session.scalar(select(CalendarFeed).options(
        joinedload(CalendarFeed.owner).selectinload(User.memberships),
        joinedload(CalendarFeed.owner).selectinload(User.departments))
        .where(CalendarFeed.token_hash == rules.token_hash(token)))
    if feed is None or not rules.token_matches(feed.token_hash, token):
        return None
    kind = _serves(feed)
    return (feed, kind) if kind is not None else None


def target_name(feed: CalendarFeed, kind: Kind) -> str:
    return kinds.target_names([feed]).get((kind.name, feed.target_id), "")


def _shown(feed: CalendarFeed, kind: Kind, now: datetime) -> list:
    """Which reservations a feed shows: its kind's selection, in its window, ended ones only
    while CANCELLED_KEPT lasts (held ones never; a hold that ended was never shown)."""
    start, end = rules.window(now)
    R = Reservation
    return [kind.selects(feed.owner, feed.target_id), R.start_dt < end, R.end_dt > start,
            or_(R.status.in_(FEED_STATUSES),
                and_(R.status.in_(ENDED_STATUSES), R.hold_end.is_(None), R.updated_dt >= now - rules.CANCELLED_KEPT))]


def feed_rows(feed: CalendarFeed, kind: Kind, now: datetime) -> list:
    """The reservations a feed shows, as rows of plain columns (statuses and kinds as their
    string values), in one query whatever their number, at most MAX_EVENTS, nearest first."""
    R, F = Reservation, Facility
    columns = [R.id, type_coerce(R.status, String).label("status"), R.start_dt, R.end_dt, R.blocked_start_dt,
               R.blocked_end_dt, R.sequence, R.updated_dt, R.requested_dt, F.id.label("facility_id"),
               F.name.label("facility_name"), F.slug, F.address, F.latitude, F.longitude, F.timezone]
    if not kind.public:  # a public feed never even reads titles, people or organisations
        columns += [R.title, R.attendees, type_coerce(R.kind, String).label("reservation_kind"),
                    Organisation.name.label("organisation_name"), User.name.label("booker_name")]
    stmt = select(*columns).select_from(R).join(F, F.id == R.facility_id)
    if not kind.public:
        stmt = stmt.outerjoin(Organisation, Organisation.id == R.organisation_id).outerjoin(User, User.id == R.user_id)
    stmt = stmt.where(*_shown(feed, kind, now)).order_by(R.start_dt, R.id).limit(rules.MAX_EVENTS)
    return db.session.execute(stmt).all()


def feed_key(feed: CalendarFeed, kind: Kind, now: datetime, *, locale: str, base: str) -> str:
    """A fingerprint of what the feed would be made from, in one small query: how many
    reservations, their and their facilities' latest change, the day (the window moves),
    the language and address. The same key means the same content, so a client that has it
    gets a 304 without the feed being made. (An organisation or a person renamed shows at
    the next change or the next day.)"""
    R, F = Reservation, Facility
    count, changed, facility_changed = db.session.execute(
        select(func.count(), func.max(R.updated_dt), func.max(F.updated_dt)).select_from(R)
        .join(F, F.id == R.facility_id).where(*_shown(feed, kind, now))).one()
    parts = (FORMAT, kind.name, feed.target_id, count, changed, facility_changed, now.date(), locale, base)
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def fetch_to_record(feed: CalendarFeed, digest: str | None, key: str, now: datetime) -> bool:
    """Whether this fetch changes the feed's row: its content or key changed, or the last fetch
    noted is older than FETCH_RECORDED_EVERY (a client polling every few minutes must not write
    each time). `digest` is None when the content was not made (a 304 from the key)."""
    changed = digest is not None and (feed.content_hash != digest or feed.content_key != key)
    return changed or rules.fetch_due(feed.last_fetched_dt, now)


def record_fetch(feed: CalendarFeed, digest: str | None, key: str, now: datetime) -> None:
    if digest is not None:
        if feed.content_hash != digest:
            feed.content_hash, feed.content_dt = digest, now
        feed.content_key = key
    feed.last_fetched_dt = now


# --- a reservation's own calendar file -------------------------------------------------------

def file_reservations(reservation: Reservation) -> list[Reservation]:
    """What a reservation's .ics lists: the reservation, or every occurrence of its series still on."""
    if reservation.series_id is None:
        return [reservation]
    occurrences = db.session.scalars(
        select(Reservation).options(selectinload(Reservation.facility), selectinload(Reservation.organisation),
                                    selectinload(Reservation.user))
        .where(Reservation.series_id == reservation.series_id, Reservation.status.in_(STILL_ON))
        .order_by(Reservation.start_dt)).all()
    return list(occurrences) or [reservation]
