"""Read-only questions about reservations: what someone may see, the inbox, the start times
a form offers, what a request would become, and whether a reservation may be cancelled or
changed now (and if not, why)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from booking.accounts.models import Organisation, Role, User
from booking.database import utcnow
from booking.errors import Message
from booking.extensions import db
from booking.facilities.availability import Interval, local_instant, start_times
from booking.facilities.models import Closure, Facility
from booking.facilities.ruleset import RuleSet
from booking.facilities.schedules import availability_for
from booking.reservations import rules
from booking.reservations.messages import CONFLICT_CODES, contact_message, status_message
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus, Series
from booking.reservations.services.checks import Candidate, evaluate, violation_message
from booking.reservations.services.checks import organisation_active_count as _active_count

S = ReservationStatus


def now_or(now: datetime | None) -> datetime:
    return now or utcnow()


def get_reservation(reservation_id: int) -> Reservation | None:
    return db.session.get(Reservation, reservation_id)


def get_series(series_id: int) -> Series | None:
    return db.session.get(Series, series_id)


def open_hold(user_id: int, facility_id: int | None = None) -> Reservation | None:
    """The user's latest hold still being made (at one facility, or anywhere): the booking
    they have started and not yet sent. One query; None for most people most of the time."""
    stmt = (select(Reservation).where(Reservation.user_id == user_id, Reservation.status == S.held)
            .options(selectinload(Reservation.facility)).order_by(Reservation.id.desc()).limit(1))
    if facility_id is not None:
        stmt = stmt.where(Reservation.facility_id == facility_id)
    return db.session.scalar(stmt)


def organisation_active_count(organisation_id: int, facility_id: int, *, now: datetime | None = None,
                              exclude_ids=()) -> int:
    """Active reservations (not yet ended) the organisation holds at the facility: its quota use."""
    return _active_count(organisation_id, facility_id, now=now_or(now), exclude_ids=exclude_ids)


def visible_reservations(user: User, *, facility_id: int | None = None, statuses=None,
                         from_dt: datetime | None = None, to_dt: datetime | None = None,
                         organisation_id: int | None = None) -> Select:
    """Reservations the user may see, by start time: their organisations' and their own;
    a manager's departments' too; everything for an admin. Filters narrow it down;
    `from_dt`/`to_dt` keep those overlapping that time."""
    stmt = (select(Reservation).join(Reservation.facility)
            .options(selectinload(Reservation.facility).selectinload(Facility.rules),
                     selectinload(Reservation.organisation))
            .order_by(Reservation.start_dt, Reservation.id))
    if user.role != Role.admin:
        seen = [Reservation.user_id == user.id]
        organisation_ids = [m.organisation_id for m in user.memberships]
        if organisation_ids:
            seen.append(Reservation.organisation_id.in_(organisation_ids))
        if user.role == Role.facility_manager and user.department_ids:
            seen.append(Facility.department_id.in_(user.department_ids))
        stmt = stmt.where(or_(*seen))
    if facility_id is not None:
        stmt = stmt.where(Reservation.facility_id == facility_id)
    if organisation_id is not None:
        stmt = stmt.where(Reservation.organisation_id == organisation_id)
    if statuses:
        stmt = stmt.where(Reservation.status.in_([S(s) for s in statuses]))
    if from_dt is not None:
        stmt = stmt.where(Reservation.end_dt > from_dt)
    if to_dt is not None:
        stmt = stmt.where(Reservation.start_dt < to_dt)
    return stmt


def manager_inbox(user: User) -> Select:
    """Pending requests the user may decide, the nearest decision deadline first."""
    stmt = (select(Reservation).join(Reservation.facility)
            .where(Reservation.status == S.pending, Reservation.held_for.is_(None))
            .options(selectinload(Reservation.facility), selectinload(Reservation.organisation),
                     selectinload(Reservation.series))
            .order_by(Reservation.decision_deadline_dt, Reservation.start_dt, Reservation.id))
    if user.role != Role.admin:
        stmt = stmt.where(Facility.department_id.in_(user.department_ids or [-1]))
    return stmt


def count_pending_for(user: User) -> int:
    """How many requests wait for this manager (the navigation badge); 0 for others."""
    if user.role not in (Role.admin, Role.facility_manager):
        return 0
    return db.session.scalar(select(func.count()).select_from(manager_inbox(user).order_by(None).subquery())) or 0


def count_overdue_for(user: User, *, now: datetime | None = None) -> int:
    """How many of those are past their decision deadline (counted in SQL, not from a page)."""
    stmt = manager_inbox(user).order_by(None).where(Reservation.is_overdue(now_or(now)))
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def bookable_start_times(facility: Facility, day: date, duration: timedelta, *,
                         now: datetime | None = None) -> list[datetime]:
    """The starts on `day` (local) at which a reservation of `duration` passes the time
    rules and is free: what the booking form offers as buttons."""
    now = now_or(now)
    ruleset = RuleSet.of(facility)
    if not ruleset.allows_duration(duration) or duration % ruleset.slot:
        return []
    zone = ZoneInfo(facility.timezone)
    day_start, next_day = local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)
    earliest, latest = ruleset.start_bounds(now)
    if day_start > latest or next_day <= earliest:
        return []
    found = availability_for([facility], Interval(day_start, next_day + duration))[facility.id]
    return start_times(found.free, duration, ruleset.slot, facility.timezone, earliest=max(earliest, day_start),
                       latest=min(latest, next_day - timedelta(microseconds=1)))


@dataclass
class BookingCheck:
    """What would happen to a request: its problems, the status it would get, and the
    cancellation terms that would apply."""
    problem_messages: list[Message]
    conflict_messages: list[Message]
    status: ReservationStatus
    decision_deadline: datetime | None = None
    cancel_deadline: datetime | None = None   # free cancellation until then
    late_cancellation: str = "refuse"         # after it: "refuse" or "fee"

    @property
    def problems(self) -> list[str]:
        return [str(m) for m in self.problem_messages]

    @property
    def conflicts(self) -> list[str]:
        return [str(m) for m in self.conflict_messages]

    @property
    def ok(self) -> bool:
        return not self.problem_messages and not self.conflict_messages

    @property
    def cancellation_ended(self) -> bool:
        """Booked now, it could not be cancelled free of charge any more."""
        return self.cancel_deadline is not None and self.cancel_deadline <= utcnow()


def initial_status(facility: Facility, organisation: Organisation | None, start: datetime,
                   end: datetime, *, free_of_charge: bool = False) -> ReservationStatus:
    if organisation is None:
        return S.confirmed
    if free_of_charge:
        return S.pending  # free use is always a manager's decision
    if facility.rules is None:
        return S.confirmed
    manual = rules.needs_manager(RuleSet.of(facility), organisation.actor_type, end - start)
    return S.pending if manual else S.confirmed


def decision_deadline_for(facility: Facility, start: datetime, now: datetime) -> datetime:
    """N working days after the request (the department's), never after the start."""
    return min(rules.decision_deadline(now, facility.department.decision_days or 3, facility.timezone), start)


def check_booking(user: User, facility: Facility, organisation: Organisation | None, start: datetime,
                  end: datetime, *, attendees: int = 1, now: datetime | None = None) -> BookingCheck:
    """The rule check before submitting (writes nothing)."""
    now = now_or(now)
    [found] = evaluate(facility, [Candidate(start, end, attendees)], now=now,
                       organisation_id=organisation.id if organisation else None)
    status = initial_status(facility, organisation, start, end) if end > start else S.confirmed
    ruleset = RuleSet.of(facility)
    return BookingCheck(
        problem_messages=[violation_message(v, facility) for v in found if v.code not in CONFLICT_CODES],
        conflict_messages=[violation_message(v, facility) for v in found if v.code in CONFLICT_CODES],
        status=status, decision_deadline=decision_deadline_for(facility, start, now) if status == S.pending else None,
        cancel_deadline=rules.cancellation_deadline(start, ruleset.cancellation_deadline),
        late_cancellation=ruleset.late_cancellation)


@dataclass(frozen=True)
class ActionInfo:
    """Whether the user may do something to a reservation now; if not, why and what instead."""
    allowed: bool
    message: Message | None = None
    late_fee: bool = False
    deadline: datetime | None = None

    @property
    def reason(self) -> str | None:
        """Why not, in words (in the current language)."""
        return None if self.message is None else str(self.message)


def cancellation_info(user: User, reservation: Reservation, *, now: datetime | None = None) -> ActionInfo:
    now = now_or(now)
    if not rules.can_cancel_reservation(user, reservation):
        return ActionInfo(False, Message("reservation.only_members_cancel"))
    if reservation.held_for:
        return ActionInfo(False, Message("reservation.held_for_agreement"))
    if not reservation.is_active:
        return ActionInfo(False, Message("reservation.nothing_to_cancel", status=status_message(reservation.status)))
    if reservation.end_dt <= now:
        return ActionInfo(False, Message("reservation.ended"))
    ruleset = RuleSet.of(reservation.facility)
    check = rules.check_cancellation(
        status=reservation.status, start=reservation.start_dt, end=reservation.end_dt, now=now,
        deadline_hours=ruleset.cancellation_deadline, late_policy=ruleset.late_cancellation,
        by_manager=rules.can_decide_reservation(user, reservation))
    if check.allowed:
        return ActionInfo(True, late_fee=check.late_fee, deadline=check.deadline)
    return ActionInfo(False, Message("reservation.cancel_deadline_passed", deadline=check.deadline,
                                     tz=reservation.facility.timezone,
                                     contact=contact_message(reservation.facility.department)),
                      deadline=check.deadline)


def change_info(user: User, reservation: Reservation, *, now: datetime | None = None) -> ActionInfo:
    now = now_or(now)
    if not rules.can_change_reservation(user, reservation):
        return ActionInfo(False, Message("reservation.only_members_change"))
    if reservation.held_for:
        return ActionInfo(False, Message("reservation.held_for_agreement"))
    if reservation.status not in (S.pending, S.confirmed):
        return ActionInfo(False, Message("reservation.not_changeable", status=status_message(reservation.status)))
    if reservation.start_dt <= now:
        return ActionInfo(False, Message("reservation.started"))
    if rules.can_decide_reservation(user, reservation) or reservation.status != S.confirmed:
        return ActionInfo(True)
    deadline = rules.cancellation_deadline(reservation.start_dt, RuleSet.of(reservation.facility).cancellation_deadline)
    if now <= deadline:
        return ActionInfo(True, deadline=deadline)
    return ActionInfo(False, Message("reservation.change_deadline_passed", deadline=deadline,
                                     tz=reservation.facility.timezone,
                                     contact=contact_message(reservation.facility.department)), deadline=deadline)


def reservations_in_closures(facility: Facility, closure_ids=None, *, now: datetime | None = None
                             ) -> list[tuple[Closure, list[Reservation]]]:
    """The bookings a closure lands on: pending or confirmed, not yet ended, overlapping a closure of
    the facility that has not ended (or of those `closure_ids`), by closure start. A manager's own
    blocks are left out: nobody needs telling about them."""
    now = now_or(now)
    stmt = (select(Closure, Reservation)
            .join(Reservation, and_(Reservation.facility_id == Closure.facility_id,
                                    Reservation.start_dt < Closure.end_dt, Reservation.end_dt > Closure.start_dt))
            .where(Closure.facility_id == facility.id, Closure.end_dt > now, Reservation.end_dt > now,
                   Reservation.status.in_((S.pending, S.confirmed)), Reservation.kind == ReservationKind.booking)
            .options(selectinload(Reservation.organisation), selectinload(Reservation.user))
            .order_by(Closure.start_dt, Closure.id, Reservation.start_dt, Reservation.id))
    if closure_ids is not None:
        stmt = stmt.where(Closure.id.in_(list(closure_ids)))
    found: dict[int, tuple[Closure, list[Reservation]]] = {}
    for closure, reservation in db.session.execute(stmt):
        found.setdefault(closure.id, (closure, []))[1].append(reservation)
    return list(found.values())


def count_in_closures(facility: Facility, closures) -> int:
    """How many bookings the closures land on (each counted once)."""
    ids = [c.id for c in closures if c.id is not None]
    return len({r.id for _closure, found in reservations_in_closures(facility, ids) for r in found}) if ids else 0
