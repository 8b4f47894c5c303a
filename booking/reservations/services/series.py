"""Series: an RRULE in the facility's local time, previewed occurrence by occurrence, booked
all at once (organisation=None makes internal blocks), and cancelled, changed or approved
for one occurrence, this and the following ones, or all."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.accounts.models import Organisation, User
from booking.errors import Message, RuleViolation
from booking.events import Event, publish
from booking.extensions import db
from booking.facilities.availability import local_instant
from booking.facilities.models import Facility
from booking.facilities.ruleset import MAX_BOOKING_LENGTH, RuleSet
from booking.reservations import rules
from booking.reservations.messages import CONFLICT_CODES
from booking.reservations.models import (ACTIVE_STATUSES, Reservation, ReservationKind, ReservationStatus,
                                         Series)
from booking.reservations.recurrence import Occurrence, RecurrenceError, expand
from booking.reservations.rules import Violation
from booking.reservations.services.booking import authorise, book, details, moved
from booking.reservations.services.checks import (Candidate, evaluate, lock, lock_facility, question_labels,
                                                  refuse, violation_message)
from booking.reservations.services.decisions import cancel, cancel_checked, check_decidable, decided
from booking.reservations.services.notify import tell
from booking.reservations.services.queries import decision_deadline_for, initial_status, now_or

S = ReservationStatus
SCOPES = ("one", "following", "all")


@dataclass
class OccurrencePreview:
    start: datetime
    end: datetime
    date: date                       # the local date (what `skip` refers to)
    problem_messages: list[Message] = field(default_factory=list)   # broken rules
    conflict_messages: list[Message] = field(default_factory=list)  # taken times
    violations: list[Violation] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [str(m) for m in self.problem_messages]

    @property
    def conflicts(self) -> list[str]:
        return [str(m) for m in self.conflict_messages]

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


def occurrences(facility: Facility, start: datetime, end: datetime, rrule: str, now: datetime) -> list[Occurrence]:
    """The rule's occurrences, expanded no further than a year past the facility's booking
    horizon (those past the horizon are shown, refused as too far ahead); a rule with none
    inside the horizon is refused as such."""
    if start.tzinfo is None or end.tzinfo is None:
        raise RuleViolation(field_errors={"end": [Message("reservation.naive_time")]})
    if end <= start:
        raise RuleViolation(field_errors={"end": [Message("reservation.end_before_start")]})
    ruleset = RuleSet.of(facility)
    horizon = now + ruleset.max_advance
    if end - start > MAX_BOOKING_LENGTH or not (now - timedelta(days=1) <= start <= horizon):
        # Far outside the bookable range: checked as a single request, without expanding.
        return [Occurrence(start, end, start.astimezone(ZoneInfo(facility.timezone)).date())]
    try:
        found = expand(rrule, start, end, facility.timezone, horizon=horizon + MAX_BOOKING_LENGTH)
        if found[0].start > horizon:
            raise RecurrenceError("beyond_horizon")
        return found
    except RecurrenceError as exc:
        params = dict(exc.params, days=ruleset.max_advance.days)
        raise RuleViolation(field_errors={"recurrence": [Message(f"recurrence.{exc.code}", **params)]}) from None


def preview_series(user: User, facility: Facility, organisation: Organisation | None, start: datetime,
                   end: datetime, rrule: str, *, attendees: int = 1, now: datetime | None = None) -> SeriesPreview:
    """Every occurrence of a series with its conflicts and broken rules (writes nothing),
    so the person can skip the ones that cannot be booked."""
    now = now_or(now)
    authorise(user, facility, organisation)
    found = occurrences(facility, start, end, rrule, now)
    candidates = [Candidate(o.start, o.end, attendees) for o in found]
    problems = evaluate(facility, candidates, now=now, organisation_id=organisation.id if organisation else None)
    labels = question_labels(facility)
    previews = [OccurrencePreview(
        o.start, o.end, o.local_date, violations=violations,
        problem_messages=[violation_message(v, facility, labels) for v in violations if v.code not in CONFLICT_CODES],
        conflict_messages=[violation_message(v, facility, labels) for v in violations if v.code in CONFLICT_CODES])
        for o, violations in zip(found, problems)]
    status = initial_status(facility, organisation, start, end)
    deadline = decision_deadline_for(facility, start, now) if status == S.pending else None
    return SeriesPreview(previews, status, deadline)


def create_series(user: User, facility: Facility, organisation: Organisation | None, start: datetime,
                  end: datetime, rrule: str, *, title: str, skip=(), purpose: str = "", attendees: int = 1,
                  answers: dict | None = None, accept_terms: bool = False, internal_note: str = "",
                  free_of_charge_reason: str = "", now: datetime | None = None) -> Series:
    """Book every occurrence except the `skip` dates (local dates), all in one unit of work:
    if any left breaks a rule or collides, nothing is booked and every problem is listed.
    organisation=None makes a series of internal blocks (managers)."""
    now = now_or(now)
    authorise(user, facility, organisation)
    skip = {d if isinstance(d, date) else date.fromisoformat(str(d)) for d in skip}
    found = occurrences(facility, start, end, rrule, now)
    kept = [o for o in found if o.local_date not in skip]
    if not kept:
        refuse("all_skipped")
    if organisation is None:
        values = {"title": title.strip()[:200], "internal_note": internal_note.strip() or None}
        general = rules.check_details(title=title, terms_required=False, accepted_terms=False)
    else:
        values, general = details(facility, title=title, purpose=purpose, attendees=attendees, answers=answers,
                                  accept_terms=accept_terms, now=now)
    series = Series(facility=facility, organisation=organisation, user=user, rrule=rrule.strip(),
                    title=values["title"], kind=(ReservationKind.internal_block if organisation is None
                                                 else ReservationKind.booking),
                    skipped_dates=sorted(o.local_date.isoformat() for o in found if o.local_date in skip))
    db.session.add(series)
    made = book(user, facility, organisation, [Candidate(o.start, o.end, attendees) for o in kept], now=now,
                values=values, general=general, series=series, status=S.confirmed if organisation is None else None,
                free_of_charge_reason=free_of_charge_reason)
    publish(Event("series.created", series, actor=user, department_id=facility.department_id,
                  after={"rrule": series.rrule, "occurrences": len(made), "skipped": series.skipped_dates}))
    tell("created", made, user, now=now, email=None if organisation is None else made[0].status.value,
         after=[{"start": r.start_dt, "end": r.end_dt, "series_id": series.id} for r in made])
    return series


def scope_targets(reservation: Reservation, scope: str, now: datetime, statuses) -> list[Reservation]:
    if scope not in SCOPES:
        refuse("scope")
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
    now = now_or(now)
    targets = scope_targets(reservation, scope, now, ACTIVE_STATUSES)
    if targets == [reservation]:
        return [cancel(user, reservation, reason=reason, now=now)]
    if not targets:
        refuse("series_nothing_to_cancel")
    lock_facility(reservation.facility_id)
    tz = reservation.facility.timezone
    refused, befores, late = [], [], False
    for target in targets:
        lock(target)
        info, before = cancel_checked(user, target, now, reason)
        befores.append({"status": before})
        late = late or info.late_fee
        if not info.allowed:
            refused.append(Message("reservation.at", start=target.start_dt, tz=tz, reason=info.message))
    if refused:
        raise RuleViolation(*refused, Message("reservation.series_nothing_cancelled"))
    reason = (reason or "").strip() or None
    tell("cancelled", targets, user, now=now, email="cancelled", before=befores,
         after=[{"reason": reason or "", "late_cancellation_fee": t.late_cancellation_fee} for t in targets],
         email_context={"reason": reason, "late_fee": late})
    return targets


def change_occurrences(user: User, reservation: Reservation, scope: str, start_time: time, end_time: time, *,
                       now: datetime | None = None) -> list[Reservation]:
    """New local start and end times for one occurrence, this and following, or the whole
    series, each on its own date (so the wall-clock time holds across DST). An end at or
    before the start ends the next day. All or nothing."""
    now = now_or(now)
    targets = scope_targets(reservation, scope, now, (S.pending, S.confirmed))
    targets = [t for t in targets if t.start_dt > now]
    if not targets:
        refuse("series_nothing_to_change")
    zone = ZoneInfo(reservation.facility.timezone)
    times = []
    for target in targets:
        day = target.start_dt.astimezone(zone).date()
        end_day = day if end_time > start_time else day + timedelta(days=1)
        times.append((local_instant(day, start_time, zone), local_instant(end_day, end_time, zone)))
    return moved(user, targets, times, now=now, per_occurrence=len(targets) > 1)


def approve_series(user: User, series: Series, *, internal_note: str | None = None,
                   now: datetime | None = None) -> list[Reservation]:
    """Approve every pending occurrence of a series (not yet ended) at once."""
    now = now_or(now)
    pending = [r for r in series.reservations if r.status == S.pending and r.end_dt > now]
    if not pending:
        refuse("series_nothing_pending")
    befores = []
    for reservation in pending:
        lock(reservation)
        check_decidable(user, reservation, now, (S.pending,), "approve_needs_pending")
        befores.append({"status": decided(reservation, S.confirmed, user, now, internal_note)})
    tell("approved", pending, user, now=now, email="approved", before=befores,
         after={"series_id": series.id})
    return pending
