"""What a request is checked against: the facility's rules, its hours and closures, the
organisation's quota and the time others hold; and the locks that make the check hold.

Every check runs in a fixed number of queries however many candidates (a series' occurrences)
there are, and a request out of range (an end in the year 9000) is refused before any
day-by-day work.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, bindparam, cast, event, literal_column, null, select, union_all
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.exc import IntegrityError

from booking.database import UTCDateTime
from booking.errors import Conflict, Message, PermissionDenied, RuleViolation
from booking.extensions import db, insert_new, plain_rows
from booking.facilities.availability import Interval, WeeklyHours, opened_by_hours
from booking.facilities.models import Closure, Facility, OpeningHours, SpecialOpening
from booking.facilities.ruleset import RuleSet
from booking.reservations import rules
from booking.reservations.messages import CONFLICT_CODES
from booking.reservations.models import PG_EXCLUSION_VIOLATION, SQLITE_OVERLAP_MESSAGE, Reservation, ReservationStatus
from booking.reservations.rules import Busy, Violation


@dataclass(frozen=True)
class Candidate:
    """A time someone wants: a new reservation, an occurrence, or a reservation's new time."""
    start: datetime
    end: datetime
    attendees: int = 1


def require(allowed: bool, code: str, **params) -> None:
    if not allowed:
        raise PermissionDenied(Message(f"reservation.{code}", **params))


def refuse(code: str, **params):
    raise RuleViolation(Message(f"reservation.{code}", **params))


def lock_facility(facility_id: int) -> None:
    """Serialise bookings of one facility, quota checks included.

    PostgreSQL: a row lock held until commit (taken once per transaction). SQLite: the unit
    of work began with BEGIN IMMEDIATE (booking.unit_of_work), so writers run one at a time.
    """
    if _locks() is not None and facility_id not in _locks():
        db.session.execute(select(Facility.id).where(Facility.id == facility_id).with_for_update())
        _locks().add(facility_id)


_FACILITY_TO_BOOK = select(Facility).where(Facility.id == bindparam("facility_id")).options(
    joinedload(Facility.rules), joinedload(Facility.questions), joinedload(Facility.terms))
_FACILITY_TO_BOOK_LOCKED = _FACILITY_TO_BOOK.with_for_update(of=Facility)


def facility_to_book(facility_id: int, *, lock: bool = True) -> Facility | None:
    """The facility with what every booking reads (its rules, questions and terms), locked as
    lock_facility locks it (unless `lock` is false: a preview), in one query."""
    locks = _locks() if lock else None
    facility = db.session.scalars(_FACILITY_TO_BOOK_LOCKED if locks is not None else _FACILITY_TO_BOOK,
                                  {"facility_id": facility_id}).unique().first()
    if facility is not None and locks is not None:
        locks.add(facility_id)
    return facility


_LOCKED = "locked_facilities"


def _locks() -> set | None:
    """The facilities locked in the current transaction (None on SQLite: it locks the database)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return db.session.info.setdefault(_LOCKED, set())


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session, _transaction):
    """A lock ends with its transaction, and with a savepoint rolled back: forget them all."""
    session.info.pop(_LOCKED, None)


def lock(reservation: Reservation) -> None:
    """Re-read the reservation under a row lock, so two managers cannot decide it at once."""
    db.session.refresh(reservation, with_for_update=True)


def is_overlap_error(exc: IntegrityError) -> bool:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == PG_EXCLUSION_VIOLATION or SQLITE_OVERLAP_MESSAGE in str(orig)


def questions(facility: Facility) -> list[rules.Question]:
    return [rules.Question(q.id, q.kind.value, q.required, tuple(q.choices or ()))
            for q in facility.questions if q.active]


def question_labels(facility: Facility) -> dict[int, str]:
    return {q.id: q.label for q in facility.questions}


# What one booking reads of its facility, as plain rows: statements built once (every booking
# runs them) and read past the ORM's row handling, which costs more than the query itself.
_BUSY_COLUMNS = (Reservation.start_dt, Reservation.end_dt, Reservation.blocked_start_dt, Reservation.blocked_end_dt)
_BUSY_WHERE = (Reservation.facility_id == bindparam("facility_id"), Reservation.is_blocking(bindparam("now")),
               Reservation.blocked_start_dt < bindparam("busy_end"),
               Reservation.blocked_end_dt > bindparam("busy_start"))
_NOT_EXCLUDED = Reservation.id.not_in(bindparam("exclude", expanding=True))
_BUSY = select(*_BUSY_COLUMNS).where(*_BUSY_WHERE)
_BUSY_EXCLUDING = _BUSY.where(_NOT_EXCLUDED)


def busy(facility_id: int, window: Interval, now: datetime, exclude_ids=()) -> list[Busy]:
    stmt = _BUSY_EXCLUDING if exclude_ids else _BUSY
    return [Busy(*row) for row in plain_rows(stmt, {"facility_id": facility_id, "now": now, "busy_start": window.start,
                                                    "busy_end": window.end, "exclude": list(exclude_ids)})]


# The facility's holds past their expiry, not yet cancelled (a booking cancels them before it
# writes: they block no one, but their rows would still meet the database's overlap check).
# Holds are few, so a status index finds them at once. SQLite's planner cannot know that and,
# with a city's statistics, took the facility's index and read every reservation the facility
# ever had (under load a sixth of a booking's time at S); `facility_id + 0` keeps it off that
# index. The status is written into the SQL, so that PostgreSQL's plan of the prepared statement
# knows it asks for the rare 'held' (with a parameter it planned again at every booking).
_EXPIRED_HOLD_WHERE = (Reservation.facility_id + literal_column("0") == bindparam("facility_id"),
                       Reservation.status == bindparam("held", ReservationStatus.held, literal_execute=True),
                       Reservation.hold_expires_dt <= bindparam("now"))
EXPIRED_HOLDS = select(Reservation.id).where(*_EXPIRED_HOLD_WHERE)


def _surroundings(*excluded):
    """One UNION ALL of what a time is checked against: the facility's weekly hours, its special
    openings around the window, its closures in it, the busy time near it, and its expired holds
    (kind 0–4; an expired hold's id comes in the weekday column). One round trip instead of five;
    the first select types every column."""
    nothing = null()
    return union_all(
        select(literal_column("0", Integer), OpeningHours.valid_from, OpeningHours.weekday, OpeningHours.start_time,
               OpeningHours.end_time, cast(nothing, UTCDateTime), cast(nothing, UTCDateTime),
               cast(nothing, UTCDateTime), cast(nothing, UTCDateTime))
        .where(OpeningHours.facility_id == bindparam("facility_id")),
        select(literal_column("1", Integer), SpecialOpening.date, nothing, SpecialOpening.start_time,
               SpecialOpening.end_time, nothing, nothing, nothing, nothing)
        .where(SpecialOpening.facility_id == bindparam("facility_id"),
               SpecialOpening.date.between(bindparam("first"), bindparam("last"))),
        select(literal_column("2", Integer), nothing, nothing, nothing, nothing, Closure.start_dt, Closure.end_dt,
               nothing, nothing)
        .where(Closure.facility_id == bindparam("facility_id"), Closure.start_dt < bindparam("end"),
               Closure.end_dt > bindparam("start")),
        select(literal_column("3", Integer), nothing, nothing, nothing, nothing, *_BUSY_COLUMNS)
        .where(*_BUSY_WHERE, *excluded),
        select(literal_column("4", Integer), nothing, Reservation.id, nothing, nothing, nothing, nothing, nothing,
               nothing).where(*_EXPIRED_HOLD_WHERE, *excluded))


_SURROUNDINGS = _surroundings()
_SURROUNDINGS_EXCLUDING = _surroundings(_NOT_EXCLUDED)


class Surroundings(NamedTuple):
    opening: list[Interval]   # when the hours and special openings open the facility, before closures
    closures: list[Interval]
    taken: list[Busy]         # others' reservations near the window, with their buffers
    expired_holds: list[int]  # the facility's holds past their expiry, not yet cancelled


def surroundings(facility: Facility, window: Interval, busy_window: Interval, now: datetime,
                 exclude_ids=()) -> Surroundings:
    """What times in the window are checked against, in one query (see _surroundings)."""
    hours, special, closures, taken, expired = [], {}, [], [], []
    rows = plain_rows(_SURROUNDINGS_EXCLUDING if exclude_ids else _SURROUNDINGS, {
        "facility_id": facility.id, "first": window.start.date() - timedelta(days=2),
        "last": window.end.date() + timedelta(days=1), "start": window.start, "end": window.end, "now": now,
        "busy_start": busy_window.start, "busy_end": busy_window.end, "exclude": list(exclude_ids)})
    for kind, day, weekday, start_time, end_time, a, b, c, d in rows:
        if kind == 0:
            hours.append(WeeklyHours(day, weekday, start_time, end_time))
        elif kind == 1:
            special.setdefault(day, []).append((start_time, end_time))
        elif kind == 2:
            closures.append(Interval(a, b))
        elif kind == 3:
            taken.append(Busy(a, b, c, d))
        else:
            expired.append(weekday)
    special = {day: tuple(sorted(spans)) for day, spans in special.items()}
    return Surroundings(opened_by_hours(facility.timezone, tuple(sorted(hours)), special, window), closures, taken,
                        expired)


def organisation_quota_use(organisation_id: int, facility_id: int, *, now: datetime,
                           exclude_ids=()) -> rules.QuotaUse:
    """The organisation's active reservations (not yet ended) at the facility, as quota use:
    one each, a series as many as its busiest week has (rules.QuotaUse). One query."""
    stmt = select(Reservation.series_id, Reservation.start_dt, Facility.timezone).join(
        Facility, Facility.id == Reservation.facility_id).where(
        Reservation.organisation_id == organisation_id, Reservation.facility_id == facility_id,
        Reservation.is_blocking(now), Reservation.end_dt > now)
    if exclude_ids:
        stmt = stmt.where(Reservation.id.not_in(list(exclude_ids)))
    use = rules.QuotaUse()
    for series_id, start, timezone in db.session.execute(stmt):
        use.add(series_id, rules.QuotaUse.week_of(start, ZoneInfo(timezone)))
    return use


def organisation_active_count(organisation_id: int, facility_id: int, *, now: datetime, exclude_ids=()) -> int:
    """How much of the facility's quota the organisation uses: its active reservations there,
    a recurring series counted by its busiest week (a weekly series counts one)."""
    return organisation_quota_use(organisation_id, facility_id, now=now, exclude_ids=exclude_ids).total


def _series_of(candidates: list[Candidate], exclude_ids) -> object:
    """The quota key the candidates count under: the series whose dates are being moved, a new
    series (several candidates are always one series' dates), or None for one booking."""
    if exclude_ids:
        moved_series = set(db.session.scalars(select(Reservation.series_id).where(
            Reservation.id.in_(list(exclude_ids)))))
        if len(moved_series) == 1 and None not in moved_series:
            return moved_series.pop()
    return "new series" if len(candidates) > 1 else None


class Checked(NamedTuple):
    problems: list[list[Violation]]  # each candidate's broken rules and conflicts
    expired_holds: list[int] | None  # the facility's expired holds found on the way (None: not looked for)


def evaluate(facility: Facility, candidates: list[Candidate], *, now: datetime, organisation_id: int | None,
             exclude_ids=()) -> list[list[Violation]]:
    """Every broken rule and conflict of each candidate (see check)."""
    return check(facility, candidates, now=now, organisation_id=organisation_id, exclude_ids=exclude_ids).problems


def check(facility: Facility, candidates: list[Candidate], *, now: datetime, organisation_id: int | None,
          exclude_ids=()) -> Checked:
    """Every broken rule and conflict of each candidate, in a fixed number of queries however many,
    and the facility's expired holds the same query found (a booking cancels them before it writes).

    Candidates are also checked against each other (occurrences of one series), and only
    those that can be booked count against the organisation's quota: a date left out because
    the facility is closed uses none of it. A series counts toward the quota by its busiest
    week (rules.QuotaUse): a weekly series counts one, however many weeks it runs."""
    if any(c.start.tzinfo is None or c.end.tzinfo is None for c in candidates):
        return Checked([[Violation("naive_time", "start")] for _c in candidates], None)
    db.session.flush()  # the reads below see what the use case changed so far (a hold ended)
    internal = organisation_id is None
    ruleset = RuleSet.of(facility)
    in_range = [c.end > c.start and (internal or rules.in_checking_range(c.start, c.end, ruleset, now))
                for c in candidates]
    near = [c for c, ok in zip(candidates, in_range) if ok]
    opening: list[Interval] = []
    closures: list[Interval] = []
    taken: list[Busy] = []
    expired: list[int] | None = None
    use = rules.QuotaUse()
    series = None
    zone = ZoneInfo(facility.timezone)
    if near:
        window = Interval(min(c.start for c in near) - timedelta(days=1), max(c.end for c in near) + timedelta(days=1))
        near_window = Interval(window.start - ruleset.buffer_before, window.end + ruleset.buffer_after)
        if internal:  # a manager's block meets only others' time: no hours, no closures
            taken = busy(facility.id, near_window, now, exclude_ids)
        else:
            opening, closures, taken, expired = surroundings(facility, window, near_window, now, exclude_ids)
    if not internal and ruleset.max_active_per_organisation:  # without a quota, its use is not read
        use = organisation_quota_use(organisation_id, facility.id, now=now, exclude_ids=exclude_ids)
        series = _series_of(candidates, exclude_ids)
    placed: list[Busy] = []
    results = []
    for c, near_enough in zip(candidates, in_range):
        week = rules.QuotaUse.week_of(c.start, zone)
        found = rules.check_reservation(c.start, c.end, ruleset, opening=opening if near_enough else None,
                                        closures=closures, now=now, attendees=c.attendees,
                                        organisation_active=use.total,
                                        adds_to_quota=internal or use.would_add(series, week), internal=internal)
        if near_enough:
            blocked = ruleset.blocked(c.start, c.end)
            found += rules.find_conflicts(c.start, c.end, blocked, taken + placed)
            if not found:
                placed.append(Busy(c.start, c.end, blocked.start, blocked.end))
                if not internal:
                    use.add(series, week)
        results.append(found)
    return Checked(results, expired)


def violation_message(violation: Violation, facility: Facility, labels: dict[int, str] | None = None) -> Message:
    params = dict(violation.params, tz=facility.timezone)
    if "question_id" in params:
        params["question"] = (labels if labels is not None else question_labels(facility)).get(
            params["question_id"], "")
    return Message(f"reservation.{violation.code}", **params)


def raise_problems(facility: Facility, candidates: list[Candidate], problems: list[list[Violation]], *,
                   general: list[Violation] = (), per_occurrence: bool = False) -> None:
    """Raise with every problem found, if there is any.

    Conflict (409) when the only problems are taken times, RuleViolation (422) otherwise.
    The problem document lists `violations` (code, message, occurrence_start) and the
    `conflicts` (the other reservations' start and end in the facility's time zone).
    """
    zone_name, labels = facility.timezone, question_labels(facility)
    reasons: list[Message] = []
    field_errors: dict[str, list[Message]] = {}
    items: list[dict] = []
    conflicts: list[dict] = []
    pairs = [(None, v) for v in general] + [(c, v) for c, found in zip(candidates, problems) for v in found]
    for candidate, violation in pairs:
        message = violation_message(violation, facility, labels)
        item = {"code": violation.code, "field": violation.field}
        if violation.code in CONFLICT_CODES and "start" in violation.params:
            conflicts.append({"start": local_iso(violation.params["start"], zone_name),
                              "end": local_iso(violation.params["end"], zone_name)})
        if per_occurrence and candidate is not None:
            message = Message("reservation.at", start=candidate.start, tz=zone_name, reason=message)
            item["occurrence_start"] = local_iso(candidate.start, zone_name)
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
    raise error(*reasons, field_errors=field_errors, extra={"violations": items, "conflicts": conflicts})


def local_iso(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).isoformat()


def flush_or_conflict(facility: Facility, candidates: list[Candidate], new: list[Reservation] = ()) -> None:
    """Write, and insert the `new` reservations with their prices (prices.price_new); if the
    database refuses an overlap (someone was quicker), answer 409.

    Only a write that raced past the facility lock can get here; the boundary rolls back."""
    try:
        db.session.flush()
        insert_new([r.price for r in new if r.price is not None])
        insert_new(new)
    except IntegrityError as exc:
        if not is_overlap_error(exc):
            raise
        raise_problems(facility, candidates[:1], [[Violation("taken_just_now", "start")]])
