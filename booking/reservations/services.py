"""Reservation use cases. Each one is a transaction: it checks permission and every rule,
writes, records audit events, queues e-mails to the booker, and commits. When it refuses
it rolls back first and raises RuleViolation (422), Conflict (409), PermissionDenied (403)
or NotFound (404) with every reason, so nothing is ever half-written.

`user` is always who acts. Every function takes `now=None` (the current time; tests pass
their own). Times are aware datetimes; they are evaluated in the facility's time zone.

Queries (read only)
    get_reservation(reservation_id) -> Reservation | None
    get_series(series_id) -> Series | None
    visible_reservations(user, *, facility_id=None, statuses=None, from_dt=None, to_dt=None,
                         organisation_id=None) -> Select          # what the user may see, by start
    manager_inbox(user) -> Select                                  # pending, by decision deadline
    count_pending_for(user) -> int                                 # the inbox badge
    organisation_active_count(organisation_id, facility_id, *, now=None, exclude_ids=()) -> int
    bookable_start_times(facility, day, duration, *, now=None) -> list[datetime]
    check_booking(user, facility, organisation, start, end, *, attendees=0, now=None) -> BookingCheck
    cancellation_info(user, reservation, *, now=None) -> ActionInfo   # may it be cancelled, and why not
    change_info(user, reservation, *, now=None) -> ActionInfo         # may its time be changed
    violation_message(violation, tz, labels=None) -> str

Booking
    hold(user, facility, organisation, start, end, *, title="", attendees=0, now=None) -> Reservation
    submit(user, reservation, *, title, purpose="", attendees=0, answers=None, accept_terms=False,
           now=None) -> Reservation                                # held → pending | confirmed
    release_hold(user, reservation, *, now=None) -> None           # held → cancelled
    create_reservation(user, facility, organisation, start, end, *, title, purpose="", attendees=0,
                       answers=None, accept_terms=False, now=None) -> Reservation
    create_internal_block(user, facility, start, end, *, title, internal_note="", now=None) -> Reservation
    change_time(user, reservation, start, end, *, now=None) -> Reservation

Decisions and the day itself
    approve(user, reservation, *, internal_note=None, now=None) -> Reservation
    reject(user, reservation, reason, *, internal_note=None, now=None) -> Reservation
    return_to_handling(user, reservation, *, internal_note=None, now=None) -> Reservation
    cancel(user, reservation, *, reason="", now=None) -> Reservation
    check_in(user, reservation, *, now=None) -> Reservation
    mark_no_show(user, reservation, *, now=None) -> Reservation
    complete(reservation, *, user=None, now=None) -> Reservation

Series (an RRULE in the facility's local time; organisation=None makes internal blocks)
    preview_series(user, facility, organisation, start, end, rrule, *, attendees=0, now=None)
        -> SeriesPreview                                           # every occurrence and its problems
    create_series(user, facility, organisation, start, end, rrule, *, title, skip=(), purpose="",
                  attendees=0, answers=None, accept_terms=False, internal_note="", now=None) -> Series
    cancel_occurrences(user, reservation, scope, *, reason="", now=None) -> list[Reservation]
    change_occurrences(user, reservation, scope, start_time, end_time, *, now=None) -> list[Reservation]
        # scope: "one", "following" (this and following) or "all"
    approve_series(user, series, *, internal_note=None, now=None) -> list[Reservation]

Jobs (idempotent; registered in booking/jobs.py)
    expire_holds(now=None) -> int          # held past hold_expires_dt → cancelled
    complete_finished(now=None) -> int     # confirmed and ended → completed
    flag_overdue(now=None) -> int          # pending past its deadline → escalated once

An expired hold never blocks anyone: every booking transaction first cancels the
facility's expired holds, and the busy time shown by availability leaves them out.
"""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from booking.accounts.models import Organisation, Role, User
from booking.audit.services import record
from booking.database import utcnow
from booking.errors import Conflict, PermissionDenied, RuleViolation
from booking.extensions import db
from booking.facilities.availability import Interval, local_instant, open_intervals, start_times
from booking.facilities.models import Facility
from booking.facilities.schedules import availability_for, closures_in, register_busy_provider, schedule_for
from booking.notifications.services import queue_email
from booking.reservations import rules
from booking.reservations.models import (ACTIVE_STATUSES, PG_EXCLUSION_VIOLATION, SQLITE_OVERLAP_MESSAGE,
                                         HoldEnd, Reservation, ReservationKind, ReservationStatus, Series)
from booking.reservations.recurrence import Occurrence, RecurrenceError, expand
from booking.reservations.rules import Busy, RuleSet, Violation
from booking.site import local_time

S = ReservationStatus
SCOPES = ("one", "following", "all")

# --- messages ---------------------------------------------------------------------------

# How a status reads to people (views use these too).
STATUS_LABELS = {
    S.held: _l("on hold"),
    S.pending: _l("awaiting decision"),
    S.confirmed: _l("confirmed"),
    S.rejected: _l("declined"),
    S.cancelled: _l("cancelled"),
    S.completed: _l("completed"),
    S.no_show: _l("not shown up"),
}

# Violations that are taken time (409) rather than broken rules (422).
CONFLICT_CODES = ("conflict", "buffer_conflict", "taken_just_now")

VIOLATION_MESSAGES = {
    "naive_time": _l("Times must include a time zone offset."),
    "end_before_start": _l("The end must be after the start."),
    "closed": _l("The facility is closed from %(start)s to %(end)s."),
    "outside_opening_hours": _l("The time is outside the facility's opening hours."),
    "off_grid": _l("Start and end must be on the facility's time grid: every %(minutes)s from midnight."),
    "too_short": _l("A reservation here must last at least %(minutes)s."),
    "too_long": _l("A reservation here may last at most %(minutes)s."),
    "multi_day_not_allowed": _l("This facility cannot be booked for more than a day at a time."),
    "in_the_past": _l("The time has already passed."),
    "too_soon": _l("This facility must be booked at least %(minutes)s ahead; the earliest start is %(earliest)s."),
    "too_far_ahead": _l("This facility can be booked at most %(days)s days ahead."),
    "attendees_negative": _l("The number of attendees cannot be negative."),
    "over_capacity": _l("The facility holds at most %(capacity)s people."),
    "quota_reached": _l("Your organisation already has %(quota)s active reservations at this facility, "
                        "the most it may have at once."),
    "conflict": _l("Already reserved from %(start)s to %(end)s."),
    "buffer_conflict": _l("Too close to the reservation from %(start)s to %(end)s: the facility needs time "
                          "between reservations."),
    "answer_required": _l("Please answer: %(question)s"),
    "answer_invalid": _l("Choose one of the offered answers to: %(question)s"),
    "title_required": _l("Give the reservation a title."),
    "terms_not_accepted": _l("Accept the facility's terms of use to book it."),
    "facility_unavailable": _l("This facility is not open for booking."),
    "taken_just_now": _l("Someone reserved this time a moment ago. Choose another time."),
}

RECURRENCE_MESSAGES = {
    "invalid": _l("The repeat rule is not a valid RRULE (for example FREQ=WEEKLY;COUNT=6)."),
    "frequency": _l("A series repeats daily, weekly, monthly or yearly."),
    "no_end": _l("A series needs an end: a number of times (COUNT) or an end date (UNTIL)."),
    "too_many": _l("A series may have at most %(limit)s occurrences."),
    "empty": _l("The repeat rule gives no dates."),
}

# Subjects are made lazily, so queue_email renders them in the recipient's language.
EMAIL_SUBJECTS = {
    "confirmed": lambda name: _l("Reservation confirmed: %(facility)s", facility=name),
    "pending": lambda name: _l("Request received, awaiting a decision: %(facility)s", facility=name),
    "approved": lambda name: _l("Reservation approved: %(facility)s", facility=name),
    "rejected": lambda name: _l("Reservation request declined: %(facility)s", facility=name),
    "returned": lambda name: _l("Reservation back in handling: %(facility)s", facility=name),
    "cancelled": lambda name: _l("Reservation cancelled: %(facility)s", facility=name),
    "changed": lambda name: _l("Reservation changed: %(facility)s", facility=name),
    "checked_in": lambda name: _l("Checked in: %(facility)s", facility=name),
    "no_show": lambda name: _l("Marked as not shown up: %(facility)s", facility=name),
    "completed": lambda name: _l("Thank you for using %(facility)s", facility=name),
    "overdue": lambda name: _l("Overdue reservation request: %(facility)s", facility=name),
}


def _duration_text(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60))
    if minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def violation_message(violation: Violation, tz: str, labels: dict[int, str] | None = None) -> str:
    """A broken rule in words, in the current locale, with times in the facility's zone."""
    params = {}
    for key, value in violation.params.items():
        if isinstance(value, datetime):
            value = local_time(value, tz)
        elif key == "minutes":
            value = _duration_text(value)
        params[key] = value
    if "question_id" in params:
        params["question"] = (labels or {}).get(params["question_id"], "")
    template = VIOLATION_MESSAGES.get(violation.code)
    return str(template) % params if template is not None else violation.code


# --- small helpers ----------------------------------------------------------------------

_emails_suppressed: ContextVar[bool] = ContextVar("reservation_emails_suppressed", default=False)


@contextmanager
def notifications_suppressed():
    """Make reservations without e-mailing anyone (the demo seed uses this)."""
    token = _emails_suppressed.set(True)
    try:
        yield
    finally:
        _emails_suppressed.reset(token)


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def _refuse(error: Exception) -> NoReturn:
    """Roll back what this use case wrote so far, then raise."""
    db.session.rollback()
    raise error


def _lock_facility(facility_id: int) -> None:
    """Serialise bookings of one facility, quota checks included.

    PostgreSQL: a row lock held until commit. SQLite: every writing transaction already
    began with BEGIN IMMEDIATE (booking.database), so writers run one at a time.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Facility.id).where(Facility.id == facility_id).with_for_update())


def _is_overlap_error(exc: IntegrityError) -> bool:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == PG_EXCLUSION_VIOLATION or SQLITE_OVERLAP_MESSAGE in str(orig)


def _audit(action: str, reservation: Reservation, actor, before: dict | None = None, **after):
    record(f"reservation.{action}", reservation, actor=actor, department_id=reservation.facility.department_id,
           before=before, after={"status": reservation.status, **after})


def _link(reservation: Reservation) -> str:
    return f"{current_app.config['BASE_URL']}/reservations/{reservation.id}"


def _notify(event: str, reservations: list[Reservation], **context) -> None:
    """Queue one e-mail to the booker about a reservation, or about a series' occurrences."""
    if _emails_suppressed.get() or not reservations:
        return
    first = reservations[0]
    if first.kind == ReservationKind.internal_block:
        return
    booker = first.user
    if booker is not None and booker.active:
        to, locale, name = booker.email, booker.locale, booker.name
    else:
        to, locale, name = first.organisation.contact_email, None, first.organisation.name
    if not to:
        return
    facility = first.facility
    queue_email(to, EMAIL_SUBJECTS[event](facility.name), f"reservation_{event}", locale=locale,
                topic=f"reservation:{first.id}", reservations=reservations, reservation=first, facility=facility,
                recipient_name=name, tz=facility.timezone, link=_link(first), **context)


def _iso(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).isoformat()


def _require(allowed: bool, message) -> None:
    if not allowed:
        _refuse(PermissionDenied(message))


def _lock(reservation: Reservation) -> None:
    """Re-read the reservation under a row lock, so two managers cannot decide it at once."""
    db.session.refresh(reservation, with_for_update=True)


def _status_text(reservation: Reservation) -> str:
    return str(STATUS_LABELS[reservation.status])


# --- what a request is checked against ----------------------------------------------------

@dataclass(frozen=True)
class _Candidate:
    """A time someone wants: a new reservation, an occurrence, or a reservation's new time."""
    start: datetime
    end: datetime
    attendees: int = 0


def _questions(facility: Facility) -> list[rules.Question]:
    return [rules.Question(q.id, q.kind.value, q.required, tuple(q.choices or ()))
            for q in facility.questions if q.active]


def _labels(facility: Facility) -> dict[int, str]:
    return {q.id: q.label for q in facility.questions}


def _busy(facility_id: int, window: Interval, now: datetime, exclude_ids=()) -> list[Busy]:
    stmt = select(Reservation.start_dt, Reservation.end_dt, Reservation.blocked_start_dt,
                  Reservation.blocked_end_dt).where(
        Reservation.facility_id == facility_id, Reservation.is_blocking(now),
        Reservation.blocked_start_dt < window.end, Reservation.blocked_end_dt > window.start)
    if exclude_ids:
        stmt = stmt.where(Reservation.id.not_in(list(exclude_ids)))
    return [Busy(*row) for row in db.session.execute(stmt)]


def organisation_active_count(organisation_id: int, facility_id: int, *, now: datetime | None = None,
                              exclude_ids=()) -> int:
    """Active reservations (not yet ended) the organisation holds at the facility: its quota use."""
    now = _now(now)
    stmt = select(func.count(Reservation.id)).where(
        Reservation.organisation_id == organisation_id, Reservation.facility_id == facility_id,
        Reservation.is_blocking(now), Reservation.end_dt > now)
    if exclude_ids:
        stmt = stmt.where(Reservation.id.not_in(list(exclude_ids)))
    return db.session.scalar(stmt) or 0


def _evaluate(facility: Facility, candidates: list[_Candidate], *, now: datetime, organisation_id: int | None,
              exclude_ids=()) -> list[list[Violation]]:
    """Every broken rule and conflict of each candidate, in a fixed number of queries however many.

    Candidates are also checked against each other (occurrences of one series)."""
    if any(c.start.tzinfo is None or c.end.tzinfo is None for c in candidates):
        return [[Violation("naive_time", "start")] for _c in candidates]
    internal = organisation_id is None
    ruleset = RuleSet.of(facility)
    window = Interval(min(c.start for c in candidates) - timedelta(days=1),
                      max(c.end for c in candidates) + timedelta(days=1))
    opening: list[Interval] = []
    closures: list[Interval] = []
    base = 0
    if not internal:
        opening = open_intervals(schedule_for(facility, []), window)
        closures = closures_in([facility.id], window).get(facility.id, [])
        base = organisation_active_count(organisation_id, facility.id, now=now, exclude_ids=exclude_ids)
    busy = _busy(facility.id, Interval(window.start - ruleset.buffer_before, window.end + ruleset.buffer_after),
                 now, exclude_ids)
    placed: list[Busy] = []
    results = []
    for index, c in enumerate(candidates):
        found = rules.check_reservation(c.start, c.end, ruleset, opening=opening, closures=closures, now=now,
                                        attendees=c.attendees, organisation_active=base + index, internal=internal)
        if c.end > c.start:
            blocked = ruleset.blocked(c.start, c.end)
            found += rules.find_conflicts(c.start, c.end, blocked, busy + placed)
            placed.append(Busy(c.start, c.end, blocked.start, blocked.end))
        results.append(found)
    return results


def _raise_problems(facility: Facility, candidates: list[_Candidate], problems: list[list[Violation]], *,
                    general: list[Violation] = (), per_occurrence: bool = False) -> None:
    """Raise (after rolling back) with every problem found, if there is any.

    Conflict (409) when the only problems are taken times, RuleViolation (422) otherwise.
    The problem document lists `violations` (code, message, occurrence_start) and the
    `conflicts` (the other reservations' start and end in the facility's time zone).
    """
    tz, labels = facility.timezone, _labels(facility)
    reasons: list[str] = []
    field_errors: dict[str, list[str]] = {}
    items: list[dict] = []
    conflicts: list[dict] = []
    pairs = [(None, v) for v in general] + [(c, v) for c, found in zip(candidates, problems) for v in found]
    for candidate, violation in pairs:
        message = violation_message(violation, tz, labels)
        item = {"code": violation.code, "field": violation.field}
        if violation.code in CONFLICT_CODES and "start" in violation.params:
            conflicts.append({"start": _iso(violation.params["start"], tz), "end": _iso(violation.params["end"], tz)})
        if per_occurrence and candidate is not None:
            message = f"{local_time(candidate.start, tz)}: {message}"
            item["occurrence_start"] = _iso(candidate.start, tz)
            reasons.append(message)
        elif violation.field:
            field_errors.setdefault(violation.field, []).append(message)
        else:
            reasons.append(message)
        items.append({**item, "message": message})
    if not items:
        return
    only_conflicts = all(item["code"] in CONFLICT_CODES for item in items)
    error = Conflict if only_conflicts else RuleViolation
    _refuse(error(*reasons, field_errors=field_errors, extra={"violations": items, "conflicts": conflicts}))


def _flush_or_conflict(facility: Facility, candidates: list[_Candidate], now: datetime, exclude_ids=(), *,
                       per_occurrence: bool = False) -> None:
    """Write; if the database refuses an overlap (someone was quicker), answer 409 with their time."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        if not _is_overlap_error(exc):
            raise
        ruleset = RuleSet.of(facility)
        problems = []
        for c in candidates:
            blocked = ruleset.blocked(c.start, c.end)
            problems.append(rules.find_conflicts(c.start, c.end, blocked, _busy(facility.id, blocked, now, exclude_ids)))
        if not any(problems):
            problems[0] = [Violation("taken_just_now", "start")]
        _raise_problems(facility, candidates, problems, per_occurrence=per_occurrence)


def _expire(reservation: Reservation, now: datetime) -> None:
    reservation.set_status(S.cancelled)
    reservation.cancelled_dt = now
    reservation.hold_end = HoldEnd.expired
    _audit("hold_expired", reservation, None, before={"status": S.held})


def _expire_holds_of(facility_id: int, now: datetime, keep_id: int | None = None) -> None:
    """Cancel the facility's expired holds first, so they never block the booking that follows."""
    stmt = select(Reservation).where(Reservation.facility_id == facility_id, Reservation.status == S.held,
                                     Reservation.hold_expires_dt <= now).with_for_update()
    if keep_id is not None:
        stmt = stmt.where(Reservation.id != keep_id)
    for reservation in db.session.scalars(stmt):
        _expire(reservation, now)
    db.session.flush()


def _initial_status(facility: Facility, organisation: Organisation | None, start: datetime,
                    end: datetime) -> ReservationStatus:
    booking_rules = facility.rules
    if organisation is None or booking_rules is None:
        return S.confirmed
    manual = rules.needs_manual_approval(
        booking_rules.approval_policy, manual_actor_types=booking_rules.manual_actor_types,
        manual_above_minutes=booking_rules.manual_above_minutes, actor_type=organisation.actor_type,
        duration=end - start)
    return S.pending if manual else S.confirmed


def _enter_decision_state(reservation: Reservation, now: datetime) -> None:
    """Pending gets its decision deadline; an automatic confirmation is decided at once."""
    if reservation.status == S.pending:
        facility = reservation.facility
        deadline = rules.decision_deadline(now, facility.department.decision_days or 3, facility.timezone)
        # A decision after the start would be useless: the start is the latest deadline.
        reservation.decision_deadline_dt = min(deadline, reservation.start_dt)
        reservation.decided_dt = None
        reservation.decided_by = None
        reservation.escalated_dt = None
    elif reservation.status == S.confirmed:
        reservation.decision_deadline_dt = None
        reservation.decided_dt = now
        reservation.decided_by = None


def _details(facility: Facility, *, title: str, purpose: str, attendees: int, answers: dict | None,
             accept_terms: bool, now: datetime) -> tuple[dict, list[Violation]]:
    """The form's details as column values, and what is missing or wrong in them."""
    cleaned, found = rules.clean_answers(_questions(facility), answers)
    terms = facility.current_terms
    found += rules.check_details(title=title, terms_required=terms is not None, accepted_terms=accept_terms)
    values = {"title": (title or "").strip()[:200], "purpose": (purpose or "").strip(), "attendees": attendees,
              "answers": cleaned}
    if terms is not None and accept_terms:
        values.update(accepted_terms_id=terms.id, accepted_terms_dt=now)
    return values, found


def _authorise_booking(user: User, facility: Facility, organisation: Organisation | None) -> None:
    if organisation is None:
        _require(rules.can_block_facility(user, facility), _("Only the facility's managers can block its time."))
        return
    _require(rules.can_book_for(user, organisation.id),
             _("You can only book for an organisation you are a member of."))
    if not facility.is_published and not rules.can_block_facility(user, facility):
        _refuse(RuleViolation(str(VIOLATION_MESSAGES["facility_unavailable"])))


def _book(user: User, facility: Facility, organisation: Organisation | None, candidates: list[_Candidate], *,
          now: datetime, details: dict, general: list[Violation] = (), status: ReservationStatus | None = None,
          series: Series | None = None) -> list[Reservation]:
    """Check and insert new reservations under the facility's lock; all or nothing."""
    _lock_facility(facility.id)
    _expire_holds_of(facility.id, now)
    problems = _evaluate(facility, candidates, now=now, organisation_id=organisation.id if organisation else None)
    _raise_problems(facility, candidates, problems, general=general, per_occurrence=series is not None)
    ruleset = RuleSet.of(facility)
    kind = ReservationKind.internal_block if organisation is None else ReservationKind.booking
    made = []
    for c in candidates:
        blocked = ruleset.blocked(c.start, c.end)
        reservation = Reservation(
            kind=kind, facility=facility, organisation=organisation, user=user, series=series,
            start_dt=c.start, end_dt=c.end, blocked_start_dt=blocked.start, blocked_end_dt=blocked.end,
            requested_dt=now, status=status or _initial_status(facility, organisation, c.start, c.end), **details)
        db.session.add(reservation)
        if reservation.status == S.held:
            reservation.hold_expires_dt = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
        _enter_decision_state(reservation, now)
        made.append(reservation)
    _flush_or_conflict(facility, candidates, now, per_occurrence=series is not None)
    return made


# --- queries --------------------------------------------------------------------------

def get_reservation(reservation_id: int) -> Reservation | None:
    return db.session.get(Reservation, reservation_id)


def get_series(series_id: int) -> Series | None:
    return db.session.get(Series, series_id)


def visible_reservations(user: User, *, facility_id: int | None = None, statuses=None,
                         from_dt: datetime | None = None, to_dt: datetime | None = None,
                         organisation_id: int | None = None) -> Select:
    """Reservations the user may see, by start time: their organisations' and their own;
    a manager's departments' too; everything for an admin. Filters narrow it down;
    `from_dt`/`to_dt` keep those overlapping that time."""
    stmt = (select(Reservation).join(Reservation.facility)
            .options(selectinload(Reservation.facility), selectinload(Reservation.organisation))
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
    stmt = (select(Reservation).join(Reservation.facility).where(Reservation.status == S.pending)
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


def bookable_start_times(facility: Facility, day: date, duration: timedelta, *,
                         now: datetime | None = None) -> list[datetime]:
    """The starts on `day` (local) at which a reservation of `duration` passes the time
    rules and is free: what the booking form offers as buttons."""
    now = _now(now)
    ruleset = RuleSet.of(facility)
    minutes = duration.total_seconds() / 60
    if (minutes < ruleset.min_duration_minutes or minutes % ruleset.slot_minutes
            or (ruleset.max_duration_minutes is not None and minutes > ruleset.max_duration_minutes)):
        return []
    zone = ZoneInfo(facility.timezone)
    day_start, next_day = local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)
    found = availability_for([facility], Interval(day_start, next_day + duration))[facility.id]
    latest = min(now + timedelta(days=ruleset.max_advance_days), next_day - timedelta(microseconds=1))
    return start_times(found.free, duration, timedelta(minutes=ruleset.slot_minutes), facility.timezone,
                       earliest=max(now + timedelta(minutes=ruleset.min_notice_minutes), day_start), latest=latest)


@dataclass
class BookingCheck:
    """What would happen to a request: its problems in words, and the status it would get."""
    problems: list[str]
    conflicts: list[str]
    status: ReservationStatus
    decision_deadline: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.conflicts


def check_booking(user: User, facility: Facility, organisation: Organisation | None, start: datetime,
                  end: datetime, *, attendees: int = 0, now: datetime | None = None) -> BookingCheck:
    """The rule check before submitting (writes nothing)."""
    now = _now(now)
    [found] = _evaluate(facility, [_Candidate(start, end, attendees)], now=now,
                        organisation_id=organisation.id if organisation else None)
    tz, labels = facility.timezone, _labels(facility)
    status = _initial_status(facility, organisation, start, end) if end > start else S.confirmed
    deadline = None
    if status == S.pending:
        deadline = min(rules.decision_deadline(now, facility.department.decision_days or 3, tz), start)
    return BookingCheck(
        problems=[violation_message(v, tz, labels) for v in found if v.code not in CONFLICT_CODES],
        conflicts=[violation_message(v, tz, labels) for v in found if v.code in CONFLICT_CODES],
        status=status, decision_deadline=deadline)


@dataclass(frozen=True)
class ActionInfo:
    """Whether the user may do something to a reservation now; if not, why and what instead."""
    allowed: bool
    reason: str | None = None
    late_fee: bool = False
    deadline: datetime | None = None


def _contact(facility: Facility) -> str:
    department = facility.department
    return f"{department.name} ({department.contact_email})" if department.contact_email else department.name


def cancellation_info(user: User, reservation: Reservation, *, now: datetime | None = None) -> ActionInfo:
    now = _now(now)
    if not rules.can_cancel_reservation(user, reservation):
        return ActionInfo(False, _("Only the organisation's members and the facility's managers can cancel it."))
    if not reservation.is_active:
        return ActionInfo(False, _("It is %(status)s, so there is nothing to cancel.",
                                   status=_status_text(reservation)))
    if reservation.end_dt <= now:
        return ActionInfo(False, _("It has already ended."))
    booking_rules = reservation.facility.rules
    check = rules.check_cancellation(
        status=reservation.status, start=reservation.start_dt, end=reservation.end_dt, now=now,
        deadline_hours=booking_rules.cancellation_deadline_hours if booking_rules else 24,
        late_policy=booking_rules.late_cancellation if booking_rules else "refuse",
        by_manager=rules.can_decide_reservation(user, reservation))
    if check.allowed:
        return ActionInfo(True, late_fee=check.late_fee, deadline=check.deadline)
    return ActionInfo(False, _("Free cancellation ended at %(deadline)s. To cancel now, contact the facility's department: "
                               "%(contact)s.",
                               deadline=local_time(check.deadline, reservation.facility.timezone),
                               contact=_contact(reservation.facility)), deadline=check.deadline)


def change_info(user: User, reservation: Reservation, *, now: datetime | None = None) -> ActionInfo:
    now = _now(now)
    if not rules.can_change_reservation(user, reservation):
        return ActionInfo(False, _("Only the organisation's members and the facility's managers can change it."))
    if reservation.status not in (S.pending, S.confirmed):
        return ActionInfo(False, _("It is %(status)s; only pending and confirmed reservations can be changed.",
                                   status=_status_text(reservation)))
    if reservation.start_dt <= now:
        return ActionInfo(False, _("It has already started."))
    if rules.can_decide_reservation(user, reservation) or reservation.status != S.confirmed:
        return ActionInfo(True)
    booking_rules = reservation.facility.rules
    deadline = rules.cancellation_deadline(reservation.start_dt,
                                           booking_rules.cancellation_deadline_hours if booking_rules else 24)
    if now <= deadline:
        return ActionInfo(True, deadline=deadline)
    return ActionInfo(False, _("Changes were possible until %(deadline)s. To change it now, contact the facility's "
                               "department: %(contact)s.",
                               deadline=local_time(deadline, reservation.facility.timezone),
                               contact=_contact(reservation.facility)), deadline=deadline)


# --- booking ----------------------------------------------------------------------------

def hold(user: User, facility: Facility, organisation: Organisation, start: datetime, end: datetime, *,
         title: str = "", attendees: int = 0, now: datetime | None = None) -> Reservation:
    """Keep a time for HOLD_MINUTES while the person fills in the form.

    Checks the time's rules and conflicts (the details come at `submit`) and releases the
    user's earlier holds at this facility (they went back and chose another time)."""
    now = _now(now)
    _authorise_booking(user, facility, organisation)
    _lock_facility(facility.id)
    own = select(Reservation).where(Reservation.facility_id == facility.id, Reservation.user_id == user.id,
                                    Reservation.status == S.held)
    for earlier in db.session.scalars(own):
        _cancel_now(earlier, user, now, reason="", hold_end=HoldEnd.replaced)
    [reservation] = _book(user, facility, organisation, [_Candidate(start, end, attendees)], now=now,
                          details={"title": title.strip()[:200], "attendees": attendees}, status=S.held)
    _audit("held", reservation, user, start=start, end=end, hold_expires_dt=reservation.hold_expires_dt)
    db.session.commit()
    return reservation


def submit(user: User, reservation: Reservation, *, title: str, purpose: str = "", attendees: int = 0,
           answers: dict | None = None, accept_terms: bool = False, now: datetime | None = None) -> Reservation:
    """Turn the user's hold into a request: pending or confirmed, per the approval policy.

    A hold past its expiry can still be submitted while nobody has taken its time."""
    now = _now(now)
    _require(reservation.user_id == user.id and rules.can_book_for(user, reservation.organisation_id),
             _("Only the person who chose this time can complete the booking."))
    facility = reservation.facility
    _lock_facility(facility.id)
    _lock(reservation)
    if reservation.status != S.held:
        if reservation.hold_end == HoldEnd.expired:
            _refuse(Conflict(_("Your hold on this time expired and the time was released. Choose the time again.")))
        _refuse(RuleViolation(_("This booking was already completed or cancelled.")))
    _expire_holds_of(facility.id, now, keep_id=reservation.id)
    details, general = _details(facility, title=title, purpose=purpose, attendees=attendees, answers=answers,
                                accept_terms=accept_terms, now=now)
    candidate = _Candidate(reservation.start_dt, reservation.end_dt, attendees)
    problems = _evaluate(facility, [candidate], now=now, organisation_id=reservation.organisation_id,
                         exclude_ids=[reservation.id])
    _raise_problems(facility, [candidate], problems, general=general)
    for name, value in details.items():
        setattr(reservation, name, value)
    reservation.set_status(_initial_status(facility, reservation.organisation, reservation.start_dt,
                                           reservation.end_dt))
    reservation.hold_expires_dt = None
    reservation.requested_dt = now
    _enter_decision_state(reservation, now)
    _audit("submitted", reservation, user, before={"status": S.held},
           decision_deadline_dt=reservation.decision_deadline_dt)
    _notify(reservation.status.value, [reservation])
    db.session.commit()
    return reservation


def release_hold(user: User, reservation: Reservation, *, now: datetime | None = None) -> None:
    """The person left the booking form: free the time at once."""
    now = _now(now)
    _require(reservation.user_id == user.id, _("Only the person who chose this time can release it."))
    _lock(reservation)
    if reservation.status == S.held:
        _cancel_now(reservation, user, now, reason="", hold_end=HoldEnd.released)
    db.session.commit()


def create_reservation(user: User, facility: Facility, organisation: Organisation, start: datetime,
                       end: datetime, *, title: str, purpose: str = "", attendees: int = 0,
                       answers: dict | None = None, accept_terms: bool = False,
                       now: datetime | None = None) -> Reservation:
    """Book in one step (the API): every rule, the details and conflicts; pending or confirmed."""
    now = _now(now)
    _authorise_booking(user, facility, organisation)
    details, general = _details(facility, title=title, purpose=purpose, attendees=attendees, answers=answers,
                                accept_terms=accept_terms, now=now)
    [reservation] = _book(user, facility, organisation, [_Candidate(start, end, attendees)], now=now,
                          details=details, general=general)
    _audit("created", reservation, user, start=start, end=end, decision_deadline_dt=reservation.decision_deadline_dt)
    _notify(reservation.status.value, [reservation])
    db.session.commit()
    return reservation


def create_internal_block(user: User, facility: Facility, start: datetime, end: datetime, *, title: str,
                          internal_note: str = "", now: datetime | None = None) -> Reservation:
    """A manager occupies time without an organisation (maintenance, city use).
    Only conflicts and a sensible time are checked: no opening hours, notice or quota."""
    now = _now(now)
    _authorise_booking(user, facility, None)
    general = rules.check_details(title=title, terms_required=False, accepted_terms=False)
    [block] = _book(user, facility, None, [_Candidate(start, end)], now=now, general=general, status=S.confirmed,
                    details={"title": title.strip()[:200], "internal_note": internal_note.strip() or None})
    _audit("blocked", block, user, start=start, end=end, title=block.title)
    db.session.commit()
    return block


def _moved(user: User, reservations: list[Reservation], times: list[tuple[datetime, datetime]], *,
           now: datetime, per_occurrence: bool) -> list[Reservation]:
    """Move reservations to new times: every rule again, and back to pending where the policy says."""
    facility = reservations[0].facility
    _lock_facility(facility.id)
    for reservation in reservations:
        _lock(reservation)
    refusals = [(r, change_info(user, r, now=now)) for r in reservations]
    denied = [(r, info) for r, info in refusals if not info.allowed]
    if denied:
        tz = facility.timezone
        _refuse(RuleViolation(*[f"{local_time(r.start_dt, tz)}: {info.reason}" if per_occurrence else info.reason
                                for r, info in denied]))
    _expire_holds_of(facility.id, now)
    ids = [r.id for r in reservations]
    organisation = reservations[0].organisation
    candidates = [_Candidate(start, end, r.attendees) for r, (start, end) in zip(reservations, times)]
    problems = _evaluate(facility, candidates, now=now, organisation_id=organisation.id if organisation else None,
                         exclude_ids=ids)
    _raise_problems(facility, candidates, problems, per_occurrence=per_occurrence)
    by_manager = rules.can_decide_reservation(user, reservations[0])
    ruleset = RuleSet.of(facility)
    for reservation, c in zip(reservations, candidates):
        before = {"status": reservation.status, "start": reservation.start_dt, "end": reservation.end_dt}
        blocked = ruleset.blocked(c.start, c.end)
        reservation.start_dt, reservation.end_dt = c.start, c.end
        reservation.blocked_start_dt, reservation.blocked_end_dt = blocked.start, blocked.end
        if (not by_manager and reservation.status == S.confirmed
                and _initial_status(facility, organisation, c.start, c.end) == S.pending):
            reservation.set_status(S.pending)
            reservation.requested_dt = now
            _enter_decision_state(reservation, now)
        _audit("changed", reservation, user, before=before, start=c.start, end=c.end)
    _flush_or_conflict(facility, candidates, now, exclude_ids=ids, per_occurrence=per_occurrence)
    _notify("changed", reservations)
    db.session.commit()
    return reservations


def change_time(user: User, reservation: Reservation, start: datetime, end: datetime, *,
                now: datetime | None = None) -> Reservation:
    """A new time for one reservation. Re-runs every rule and conflict check; a change by
    the organisation that the approval policy would send to a manager returns it to pending."""
    [changed] = _moved(user, [reservation], [(start, end)], now=_now(now), per_occurrence=False)
    return changed


# --- decisions and the day itself ----------------------------------------------------------

def _decided(reservation: Reservation, status: ReservationStatus, user: User, now: datetime,
             internal_note: str | None) -> ReservationStatus:
    before = reservation.set_status(status)
    reservation.decided_dt = now
    reservation.decided_by = user
    if internal_note is not None and internal_note.strip():
        reservation.internal_note = internal_note.strip()
    return before


def _check_decidable(user: User, reservation: Reservation, now: datetime, allowed: tuple[ReservationStatus, ...],
                     wrong_status) -> None:
    _require(rules.can_decide_reservation(user, reservation),
             _("Only the facility's managers can decide reservations."))
    if reservation.status not in allowed:
        _refuse(RuleViolation(wrong_status % {"status": _status_text(reservation)}))
    if reservation.end_dt <= now:
        _refuse(RuleViolation(_("It has already ended.")))


def approve(user: User, reservation: Reservation, *, internal_note: str | None = None,
            now: datetime | None = None) -> Reservation:
    """Confirm a pending request (records who decided and when)."""
    now = _now(now)
    _lock(reservation)
    _check_decidable(user, reservation, now, (S.pending,), _l("Only a pending request can be approved; "
                                                                  "this one is %(status)s."))
    before = _decided(reservation, S.confirmed, user, now, internal_note)
    _audit("approved", reservation, user, before={"status": before})
    _notify("approved", [reservation])
    db.session.commit()
    return reservation


def reject(user: User, reservation: Reservation, reason: str, *, internal_note: str | None = None,
           now: datetime | None = None) -> Reservation:
    """Decline a pending request. The reason is required and sent to the booker; the
    internal note is seen only by managers. The time is free again at once."""
    now = _now(now)
    _lock(reservation)
    _check_decidable(user, reservation, now, (S.pending,), _l("Only a pending request can be declined; "
                                                                  "this one is %(status)s."))
    if not (reason or "").strip():
        _refuse(RuleViolation(field_errors={"reason": [_("Give a reason; it is sent to the booker.")]}))
    before = _decided(reservation, S.rejected, user, now, internal_note)
    reservation.rejection_reason = reason.strip()
    _audit("rejected", reservation, user, before={"status": before}, reason=reservation.rejection_reason)
    _notify("rejected", [reservation], reason=reservation.rejection_reason)
    db.session.commit()
    return reservation


def return_to_handling(user: User, reservation: Reservation, *, internal_note: str | None = None,
                       now: datetime | None = None) -> Reservation:
    """Take a decision back: a confirmed or declined request is pending again, with a new deadline.

    A declined one occupies its time again, so it may now collide (409)."""
    now = _now(now)
    facility = reservation.facility
    _lock_facility(facility.id)
    _lock(reservation)
    _check_decidable(user, reservation, now, (S.confirmed, S.rejected),
                     _l("Only a confirmed or declined request can be returned to handling; this one is %(status)s."))
    _expire_holds_of(facility.id, now)
    before = reservation.set_status(S.pending)
    reservation.rejection_reason = None
    if internal_note is not None and internal_note.strip():
        reservation.internal_note = internal_note.strip()
    _enter_decision_state(reservation, now)
    _audit("returned", reservation, user, before={"status": before}, decision_deadline_dt=reservation.decision_deadline_dt)
    _flush_or_conflict(facility, [_Candidate(reservation.start_dt, reservation.end_dt)], now,
                       exclude_ids=[reservation.id])
    _notify("returned", [reservation])
    db.session.commit()
    return reservation


def _cancel_now(reservation: Reservation, user: User | None, now: datetime, *, reason: str,
                late_fee: bool = False, hold_end: HoldEnd | None = None) -> ReservationStatus:
    before = reservation.set_status(S.cancelled)
    reservation.cancelled_dt = now
    reservation.cancel_reason = reason or None
    reservation.hold_end = hold_end
    reservation.late_cancellation_fee = late_fee
    _audit("cancelled", reservation, user, before={"status": before}, reason=reason, late_cancellation_fee=late_fee)
    return before


def _cancel_checked(user: User, reservation: Reservation, now: datetime, reason: str) -> ActionInfo:
    info = cancellation_info(user, reservation, now=now)
    if info.allowed:
        _cancel_now(reservation, user, now, reason=(reason or "").strip(), late_fee=info.late_fee)
    return info


def cancel(user: User, reservation: Reservation, *, reason: str = "", now: datetime | None = None) -> Reservation:
    """Cancel: the organisation until the facility's deadline (after it, refused or with a
    late-cancellation fee, per facility); managers always. The time is free at once."""
    now = _now(now)
    _lock(reservation)
    _require(rules.can_cancel_reservation(user, reservation),
             _("Only the organisation's members and the facility's managers can cancel it."))
    before = reservation.status
    info = _cancel_checked(user, reservation, now, reason)
    if not info.allowed:
        _refuse(RuleViolation(info.reason))
    if before != S.held:
        _notify("cancelled", [reservation], reason=reservation.cancel_reason, late_fee=info.late_fee)
    db.session.commit()
    return reservation


def check_in(user: User, reservation: Reservation, *, now: datetime | None = None) -> Reservation:
    """The booker arrived (from 30 minutes before the start until the end)."""
    now = _now(now)
    _lock(reservation)
    _check_decidable(user, reservation, now, (S.confirmed,),
                     _l("Only a confirmed reservation can be checked in; this one is %(status)s."))
    if reservation.checked_in_dt is not None:
        _refuse(RuleViolation(_("It is already checked in.")))
    if not rules.can_check_in_at(start=reservation.start_dt, end=reservation.end_dt, now=now):
        _refuse(RuleViolation(_("Check-in opens 30 minutes before the start.")))
    reservation.checked_in_dt = now
    _audit("checked_in", reservation, user, checked_in_dt=now)
    _notify("checked_in", [reservation])
    db.session.commit()
    return reservation


def mark_no_show(user: User, reservation: Reservation, *, now: datetime | None = None) -> Reservation:
    """Nobody came: after the start, a confirmed reservation not checked in."""
    now = _now(now)
    _lock(reservation)
    _require(rules.can_decide_reservation(user, reservation),
             _("Only the facility's managers can decide reservations."))
    if reservation.status != S.confirmed or reservation.checked_in_dt is not None:
        _refuse(RuleViolation(_("Only a confirmed reservation nobody checked in to can be marked as not shown up.")))
    if reservation.start_dt > now:
        _refuse(RuleViolation(_("It has not started yet.")))
    before = reservation.set_status(S.no_show)
    _audit("no_show", reservation, user, before={"status": before})
    _notify("no_show", [reservation])
    db.session.commit()
    return reservation


def _complete_now(reservation: Reservation, user: User | None) -> None:
    before = reservation.set_status(S.completed)
    _audit("completed", reservation, user, before={"status": before})
    _notify("completed", [reservation])


def complete(reservation: Reservation, *, user: User | None = None, now: datetime | None = None) -> Reservation:
    """A confirmed reservation that has ended is completed (the job does this for all)."""
    now = _now(now)
    _lock(reservation)
    if user is not None:
        _require(rules.can_decide_reservation(user, reservation),
                 _("Only the facility's managers can decide reservations."))
    if reservation.status != S.confirmed or reservation.end_dt > now:
        _refuse(RuleViolation(_("Only a confirmed reservation that has ended can be completed.")))
    _complete_now(reservation, user)
    db.session.commit()
    return reservation


# --- series -------------------------------------------------------------------------------

@dataclass
class OccurrencePreview:
    start: datetime
    end: datetime
    date: date                       # the local date (what `skip` refers to)
    problems: list[str] = field(default_factory=list)   # broken rules, in words
    conflicts: list[str] = field(default_factory=list)  # taken times, in words
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass
class SeriesPreview:
    occurrences: list[OccurrencePreview]
    status: ReservationStatus          # what the bookable occurrences would become
    decision_deadline: datetime | None = None

    @property
    def bookable(self) -> list[OccurrencePreview]:
        return [o for o in self.occurrences if o.ok]


def _occurrences(facility: Facility, start: datetime, end: datetime, rrule: str) -> list[Occurrence]:
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        _refuse(RuleViolation(field_errors={"end": [str(VIOLATION_MESSAGES["end_before_start"] if end <= start
                                                        else VIOLATION_MESSAGES["naive_time"])]}))
    try:
        return expand(rrule, start, end, facility.timezone)
    except RecurrenceError as exc:
        message = str(RECURRENCE_MESSAGES[exc.code]) % exc.params
        _refuse(RuleViolation(field_errors={"recurrence": [message]}))


def preview_series(user: User, facility: Facility, organisation: Organisation | None, start: datetime,
                   end: datetime, rrule: str, *, attendees: int = 0, now: datetime | None = None) -> SeriesPreview:
    """Every occurrence of a series with its conflicts and broken rules (writes nothing),
    so the person can skip the ones that cannot be booked."""
    now = _now(now)
    _authorise_booking(user, facility, organisation)
    occurrences = _occurrences(facility, start, end, rrule)
    candidates = [_Candidate(o.start, o.end, attendees) for o in occurrences]
    problems = _evaluate(facility, candidates, now=now, organisation_id=organisation.id if organisation else None)
    tz, labels = facility.timezone, _labels(facility)
    previews = [OccurrencePreview(
        o.start, o.end, o.local_date, violations=found,
        problems=[violation_message(v, tz, labels) for v in found if v.code not in CONFLICT_CODES],
        conflicts=[violation_message(v, tz, labels) for v in found if v.code in CONFLICT_CODES])
        for o, found in zip(occurrences, problems)]
    status = _initial_status(facility, organisation, start, end)
    deadline = None
    if status == S.pending:
        deadline = rules.decision_deadline(now, facility.department.decision_days or 3, tz)
    return SeriesPreview(previews, status, deadline)


def create_series(user: User, facility: Facility, organisation: Organisation | None, start: datetime,
                  end: datetime, rrule: str, *, title: str, skip=(), purpose: str = "", attendees: int = 0,
                  answers: dict | None = None, accept_terms: bool = False, internal_note: str = "",
                  now: datetime | None = None) -> Series:
    """Book every occurrence except the `skip` dates (local dates), all in one transaction:
    if any left breaks a rule or collides, nothing is booked and every problem is listed.
    organisation=None makes a series of internal blocks (managers)."""
    now = _now(now)
    _authorise_booking(user, facility, organisation)
    skip = {d if isinstance(d, date) else date.fromisoformat(str(d)) for d in skip}
    occurrences = _occurrences(facility, start, end, rrule)
    kept = [o for o in occurrences if o.local_date not in skip]
    if not kept:
        _refuse(RuleViolation(_("Every date of the series is skipped: there is nothing to book.")))
    if organisation is None:
        details = {"title": title.strip()[:200], "internal_note": internal_note.strip() or None}
        general = rules.check_details(title=title, terms_required=False, accepted_terms=False)
    else:
        details, general = _details(facility, title=title, purpose=purpose, attendees=attendees, answers=answers,
                                    accept_terms=accept_terms, now=now)
    series = Series(facility=facility, organisation=organisation, user=user, rrule=rrule.strip(),
                    title=details["title"], kind=(ReservationKind.internal_block if organisation is None
                                                  else ReservationKind.booking),
                    skipped_dates=sorted(o.local_date.isoformat() for o in occurrences if o.local_date in skip))
    db.session.add(series)
    made = _book(user, facility, organisation, [_Candidate(o.start, o.end, attendees) for o in kept], now=now,
                 details=details, general=general, series=series,
                 status=S.confirmed if organisation is None else None)
    record("series.created", series, actor=user, department_id=facility.department_id,
           after={"rrule": series.rrule, "occurrences": len(made), "skipped": series.skipped_dates})
    for reservation in made:
        _audit("created", reservation, user, start=reservation.start_dt, end=reservation.end_dt, series_id=series.id)
    _notify(made[0].status.value, made)
    db.session.commit()
    return series


def _scope_targets(reservation: Reservation, scope: str, now: datetime, statuses) -> list[Reservation]:
    if scope not in SCOPES:
        _refuse(RuleViolation(_("Choose this occurrence, this and following, or the whole series.")))
    if scope == "one" or reservation.series is None:
        return [reservation]
    chosen = [r for r in reservation.series.reservations if r.status in statuses and r.end_dt > now]
    if scope == "following":
        chosen = [r for r in chosen if r.start_dt >= reservation.start_dt]
    return chosen


def cancel_occurrences(user: User, reservation: Reservation, scope: str, *, reason: str = "",
                       now: datetime | None = None) -> list[Reservation]:
    """Cancel one occurrence, this and the following ones, or the whole series (those not
    yet ended). If any of them can no longer be cancelled, nothing is, and the reasons say which."""
    now = _now(now)
    targets = _scope_targets(reservation, scope, now, ACTIVE_STATUSES)
    if targets == [reservation]:
        return [cancel(user, reservation, reason=reason, now=now)]
    if not targets:
        _refuse(RuleViolation(_("There is nothing left to cancel in this series.")))
    _lock_facility(reservation.facility_id)
    tz = reservation.facility.timezone
    refused = []
    for target in targets:
        _lock(target)
        info = _cancel_checked(user, target, now, reason)
        if not info.allowed:
            refused.append(f"{local_time(target.start_dt, tz)}: {info.reason}")
    if refused:
        _refuse(RuleViolation(*refused, _("Nothing was cancelled.")))
    _notify("cancelled", targets, reason=(reason or "").strip() or None,
            late_fee=any(t.late_cancellation_fee for t in targets))
    db.session.commit()
    return targets


def change_occurrences(user: User, reservation: Reservation, scope: str, start_time: time, end_time: time, *,
                       now: datetime | None = None) -> list[Reservation]:
    """New local start and end times for one occurrence, this and following, or the whole
    series, each on its own date (so the wall-clock time holds across DST). An end at or
    before the start ends the next day. All or nothing."""
    now = _now(now)
    targets = _scope_targets(reservation, scope, now, (S.pending, S.confirmed))
    targets = [t for t in targets if t.start_dt > now]
    if not targets:
        _refuse(RuleViolation(_("There is nothing left to change in this series.")))
    zone = ZoneInfo(reservation.facility.timezone)
    times = []
    for target in targets:
        day = target.start_dt.astimezone(zone).date()
        end_day = day if end_time > start_time else day + timedelta(days=1)
        times.append((local_instant(day, start_time, zone), local_instant(end_day, end_time, zone)))
    return _moved(user, targets, times, now=now, per_occurrence=len(targets) > 1)


def approve_series(user: User, series: Series, *, internal_note: str | None = None,
                   now: datetime | None = None) -> list[Reservation]:
    """Approve every pending occurrence of a series (not yet ended) at once."""
    now = _now(now)
    pending = [r for r in series.reservations if r.status == S.pending and r.end_dt > now]
    if not pending:
        _refuse(RuleViolation(_("No occurrence of this series is waiting for a decision.")))
    for reservation in pending:
        _lock(reservation)
        _check_decidable(user, reservation, now, (S.pending,),
                         _l("Only a pending request can be approved; this one is %(status)s."))
        before = _decided(reservation, S.confirmed, user, now, internal_note)
        _audit("approved", reservation, user, before={"status": before}, series_id=series.id)
    _notify("approved", pending)
    db.session.commit()
    return pending


# --- jobs ----------------------------------------------------------------------------------

def _sweep(condition, step) -> int:
    """Apply `step` to each reservation matching `condition` (rows another process is
    handling right now are skipped: it will finish them), commit, and say how many."""
    found = list(db.session.scalars(select(Reservation).where(condition).with_for_update(skip_locked=True)))
    for reservation in found:
        step(reservation)
    db.session.commit()
    return len(found)


def expire_holds(now: datetime | None = None) -> int:
    """Holds past their expiry become cancelled ("hold expired"). Returns how many."""
    now = _now(now)
    return _sweep(and_(Reservation.status == S.held, Reservation.hold_expires_dt <= now),
                  lambda reservation: _expire(reservation, now))


def complete_finished(now: datetime | None = None) -> int:
    """Confirmed reservations that have ended become completed. Returns how many."""
    now = _now(now)
    return _sweep(and_(Reservation.status == S.confirmed, Reservation.end_dt <= now),
                  lambda reservation: _complete_now(reservation, None))


def _escalation_recipients(facility: Facility) -> dict[str, str | None]:
    """The city's admins and the department's contact address: e-mail → locale."""
    admins = db.session.scalars(select(User).where(User.role == Role.admin, User.active.is_(True)))
    recipients = {admin.email: admin.locale for admin in admins}
    if facility.department.contact_email:
        recipients.setdefault(facility.department.contact_email.lower(), None)
    return recipients


def _escalate(reservation: Reservation, now: datetime) -> None:
    reservation.escalated_dt = now
    _audit("escalated", reservation, None, decision_deadline_dt=reservation.decision_deadline_dt)
    if _emails_suppressed.get():
        return
    facility = reservation.facility
    for to, locale in _escalation_recipients(facility).items():
        queue_email(to, EMAIL_SUBJECTS["overdue"](facility.name), "reservation_overdue", locale=locale,
                    topic=f"reservation:{reservation.id}", reservation=reservation, reservations=[reservation],
                    facility=facility, tz=facility.timezone, link=_link(reservation))


def flag_overdue(now: datetime | None = None) -> int:
    """Pending requests past their decision deadline are escalated once: marked, audited,
    and e-mailed to the admins and the department's contact. Returns how many."""
    now = _now(now)
    return _sweep(and_(Reservation.is_overdue(now), Reservation.escalated_dt.is_(None)),
                  lambda reservation: _escalate(reservation, now))


# --- busy time for availability -------------------------------------------------------------

@register_busy_provider
def busy_intervals(facility_ids: list[int], window: Interval) -> dict[int, list[Interval]]:
    """Blocked time (buffers included) of active reservations, expired holds left out; one query."""
    if not facility_ids:
        return {}
    now = utcnow()
    rows = db.session.execute(
        select(Reservation.facility_id, Reservation.blocked_start_dt, Reservation.blocked_end_dt).where(
            Reservation.facility_id.in_(facility_ids), Reservation.is_blocking(now),
            Reservation.blocked_start_dt < window.end, Reservation.blocked_end_dt > window.start))
    result: dict[int, list[Interval]] = defaultdict(list)
    for facility_id, start, end in rows:
        result[facility_id].append(Interval(start, end))
    return dict(result)
