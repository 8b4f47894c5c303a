"""Calendar feed use cases (create, revoke, make a new address), finding a feed by its token,
and the queries a feed and a reservation's own calendar file read.

Services add and flush; the boundary commits (booking.unit_of_work). Every change is
published as a domain event, which writes its audit event.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
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
    """Whether each feed's owner may still follow its target (a list shows the ones that stopped)."""
    return {f.id: _serves(f) is not None for f in feeds}


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


def feed_rows(feed: CalendarFeed, kind: Kind, now: datetime) -> list:
    """The reservations a feed shows, as rows of plain columns, in one query whatever their
    number: in its window, at most MAX_EVENTS, ended ones only while CANCELLED_KEPT lasts."""
    start, end = rules.window(now)
    R, F = Reservation, Facility
    columns = [R.id, R.status, R.start_dt, R.end_dt, R.blocked_start_dt, R.blocked_end_dt, R.sequence,
               R.updated_dt, R.requested_dt, F.id.label("facility_id"), F.name.label("facility_name"), F.slug,
               F.address, F.latitude, F.longitude, F.timezone]
    if not kind.public:  # a public feed never even reads titles, people or organisations
        columns += [R.title, R.attendees, R.kind.label("reservation_kind"),
                    Organisation.name.label("organisation_name"), User.name.label("booker_name")]
    stmt = select(*columns).select_from(R).join(F, F.id == R.facility_id)
    if not kind.public:
        stmt = stmt.outerjoin(Organisation, Organisation.id == R.organisation_id).outerjoin(User, User.id == R.user_id)
    shown = or_(R.status.in_(FEED_STATUSES),
                and_(R.status.in_(ENDED_STATUSES), R.hold_end.is_(None), R.updated_dt >= now - rules.CANCELLED_KEPT))
    stmt = (stmt.where(kind.selects(feed.owner, feed.target_id), R.start_dt < end, R.end_dt > start, shown)
            .order_by(R.start_dt, R.id).limit(rules.MAX_EVENTS))
    return db.session.execute(stmt).all()


def fetch_to_record(feed: CalendarFeed, digest: str, now: datetime) -> bool:
    """Whether this fetch changes the feed's row: its content changed, or the last fetch noted is
    older than FETCH_RECORDED_EVERY (a client polling every few minutes must not write each time)."""
    return feed.content_hash != digest or rules.fetch_due(feed.last_fetched_dt, now)


def record_fetch(feed: CalendarFeed, digest: str, now: datetime) -> None:
    if feed.content_hash != digest:
        feed.content_hash, feed.content_dt = digest, now
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
