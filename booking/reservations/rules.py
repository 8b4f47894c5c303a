"""Pure reservation rules: what a request may be, how it is decided, and who may do what.

Nothing here touches Flask or the database. Functions take plain values (or read
attributes of the objects they are given) and return plain values, so every rule is
tested on its own. A broken rule is a `Violation` with a stable `code` and the values
its message needs; `services.violation_message` turns it into translated text.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.accounts.rules import can_act_for, can_manage_department
from booking.facilities.availability import Interval, local_instant, merge
from booking.facilities.ruleset import DAY, MAX_BOOKING_LENGTH, RuleSet

# How long before the start a manager may check a reservation in.
CHECK_IN_EARLY = timedelta(minutes=30)


@dataclass(frozen=True)
class Violation:
    """One broken rule. `field` names the form/API field it belongs to, if any."""
    code: str
    field: str | None = None
    params: dict = dataclass_field(default_factory=dict, compare=False)


# --- the rule check -----------------------------------------------------------------

def minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def _on_grid(instant: datetime, slot: timedelta, zone: ZoneInfo, *, first_occurrence: bool = True) -> bool:
    """Whether the local wall-clock time is a whole number of slots after local midnight,
    the grid availability.start_times offers. In the hour an autumn DST change repeats,
    only its first occurrence is on the grid for a start."""
    local = instant.astimezone(zone)
    wall = local.replace(tzinfo=None)
    since_midnight = wall - datetime.combine(wall.date(), time(0))
    if first_occurrence and local.fold:
        return False
    return since_midnight % slot == timedelta(0)


def _opening_violations(start, end, rules: RuleSet, opening, closures) -> list[Violation]:
    found = [Violation("closed", "start", {"start": c.start, "end": c.end})
             for c in closures if c.overlaps(Interval(start, end))]
    request = Interval(start, end)
    if rules.is_multi_day(start, end):
        # A multi-day pilot keeps the place overnight: it must start and end while the
        # facility is open, but the closed nights in between are part of it.
        starts_open = any(iv.start <= start < iv.end for iv in opening)
        ends_open = any(iv.start < end <= iv.end for iv in opening)
        fits = starts_open and ends_open
    else:
        fits = any(iv.contains(request) for iv in opening)
    if not fits:
        found.append(Violation("outside_opening_hours", "start"))
    return found


def in_checking_range(start: datetime, end: datetime, rules: RuleSet, now: datetime) -> bool:
    """Whether a request is near enough to look up its opening hours and closures. One far
    in the past or the future is refused for that anyway, without walking its days."""
    return start >= now - DAY and start <= now + rules.max_advance and end - start <= MAX_BOOKING_LENGTH


def check_reservation(start: datetime, end: datetime, rules: RuleSet, *, opening: list[Interval] | None,
                      closures: list[Interval], now: datetime, attendees: int = 1,
                      organisation_active: int = 0, adds_to_quota: bool = True,
                      internal: bool = False) -> list[Violation]:
    """Every rule the requested time breaks (an empty list when it may be booked).

    `opening` is when the facility is open around the request (weekly hours or a date's
    special hours, closures NOT removed), or None when it was not looked up because the
    request is out of range (`in_checking_range`); `closures` the closures that may
    touch it, so that a closure gets its own reason. `organisation_active` is how much of the
    facility's quota the organisation already uses (`QuotaUse`), and `adds_to_quota` whether
    this booking would use more of it (a weekly series' later dates do not). Internal blocks
    (`internal=True`) only need a sensible time: managers may block any time.
    Conflicts with other reservations are checked separately (`find_conflicts`).
    """
    if start.tzinfo is None or end.tzinfo is None:
        return [Violation("naive_time", "start")]
    if end <= start:
        return [Violation("end_before_start", "end")]
    if internal:
        return [Violation("in_the_past", "end")] if end <= now else []

    if end - start > MAX_BOOKING_LENGTH:
        # Alone and at once: an end in the year 9000 must not lead to any day-by-day work.
        return [Violation("too_long", "end", {"minutes": minutes(rules.longest)})]

    found: list[Violation] = []
    zone = ZoneInfo(rules.timezone)
    if opening is not None:
        found += _opening_violations(start, end, rules, merge(opening), closures)
    if not (_on_grid(start, rules.slot, zone) and _on_grid(end, rules.slot, zone, first_occurrence=False)):
        found.append(Violation("off_grid", "start", {"minutes": minutes(rules.slot)}))
    if end - start < rules.min_duration:
        found.append(Violation("too_short", "end", {"minutes": minutes(rules.min_duration)}))
    if rules.max_duration is not None and end - start > rules.max_duration:
        found.append(Violation("too_long", "end", {"minutes": minutes(rules.max_duration)}))
    if rules.is_multi_day(start, end) and not rules.allow_multi_day:
        found.append(Violation("multi_day_not_allowed", "end"))
    if start < now:
        found.append(Violation("in_the_past", "start"))
    elif start < now + rules.min_notice:
        found.append(Violation("too_soon", "start", {"minutes": minutes(rules.min_notice),
                                                      "earliest": now + rules.min_notice}))
    if start > now + rules.max_advance:
        found.append(Violation("too_far_ahead", "start", {"days": rules.max_advance.days}))
    if attendees < 1:
        found.append(Violation("attendees_too_few", "attendees"))
    elif rules.capacity and attendees > rules.capacity:
        found.append(Violation("over_capacity", "attendees", {"capacity": rules.capacity}))
    quota = rules.max_active_per_organisation
    if quota is not None and adds_to_quota and organisation_active >= quota:
        found.append(Violation("quota_reached", None, {"quota": quota}))
    return found


# --- the quota --------------------------------------------------------------------------

@dataclass
class QuotaUse:
    """How much of a facility's per-organisation quota (`max_active_per_organisation`) the
    organisation's active bookings there use.

    The rule: a booking on its own counts one; a recurring series counts as many as it has
    dates in its busiest week (Monday to Sunday, the facility's local time). So a weekly series
    for a whole season counts one, like the one allocation it is: a hall allowing 5 active
    bookings lets an association book every Tuesday of the autumn and still 4 more; a series
    twice a week counts two, a daily one up to seven, so a quota still bounds how much of the
    facility one organisation holds each week.
    """
    singles: int = 0
    series_weeks: dict = dataclass_field(default_factory=dict)  # series key → {(iso year, week): dates}

    @staticmethod
    def week_of(start: datetime, zone: ZoneInfo) -> tuple[int, int]:
        iso = start.astimezone(zone).isocalendar()
        return iso[0], iso[1]

    @property
    def total(self) -> int:
        return self.singles + sum(max(weeks.values()) for weeks in self.series_weeks.values() if weeks)

    def would_add(self, series, week: tuple[int, int]) -> bool:
        """Whether one more booking (of `series`, a key, or None for one on its own) in that
        week uses more of the quota."""
        if series is None:
            return True
        weeks = self.series_weeks.get(series, {})
        return weeks.get(week, 0) + 1 > max(weeks.values(), default=0)

    def add(self, series, week: tuple[int, int]) -> None:
        if series is None:
            self.singles += 1
        else:
            weeks = self.series_weeks.setdefault(series, {})
            weeks[week] = weeks.get(week, 0) + 1


@dataclass(frozen=True)
class Busy:
    """An existing active reservation: its own time and the time it blocks."""
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime


def find_conflicts(start: datetime, end: datetime, blocked: Interval, busy: list[Busy]) -> list[Violation]:
    """The existing reservations the new one collides with, each as a violation.

    `conflict` when the times themselves overlap; `buffer_conflict` when only the
    buffers (set-up, cleaning time) do.
    """
    found = []
    for other in sorted(busy, key=lambda b: b.start):
        if not blocked.overlaps(Interval(other.blocked_start, other.blocked_end)):
            continue
        code = "conflict" if Interval(start, end).overlaps(Interval(other.start, other.end)) else "buffer_conflict"
        found.append(Violation(code, "start", {"start": other.start, "end": other.end}))
    return found


# --- the booking form's details -----------------------------------------------------

@dataclass(frozen=True)
class Question:
    id: int
    kind: str  # "text", "choice" or "yes_no"
    required: bool = False
    choices: tuple[str, ...] = ()


_YES = {True, "yes", "true", "1", "on"}
_NO = {False, "no", "false", "0", "off"}


def clean_answers(questions: list[Question], answers: dict | None) -> tuple[dict[str, object], list[Violation]]:
    """Answers keyed by question id (string), normalised, and what is missing or invalid.

    Answers to questions the facility does not ask are dropped.
    """
    answers = {str(k): v for k, v in (answers or {}).items()}
    cleaned: dict[str, object] = {}
    found = []
    for q in questions:
        raw = answers.get(str(q.id))
        value = raw.strip() if isinstance(raw, str) else raw
        field_name = f"question_{q.id}"
        if value in (None, ""):
            if q.required:
                found.append(Violation("answer_required", field_name, {"question_id": q.id}))
            continue
        if q.kind == "yes_no":
            key = value.lower() if isinstance(value, str) else value
            if key in _YES:
                cleaned[str(q.id)] = True
            elif key in _NO:
                cleaned[str(q.id)] = False
            else:
                found.append(Violation("answer_invalid", field_name, {"question_id": q.id}))
        elif q.kind == "choice":
            if value in q.choices:
                cleaned[str(q.id)] = value
            else:
                found.append(Violation("answer_invalid", field_name, {"question_id": q.id}))
        else:
            cleaned[str(q.id)] = str(value)[:2000]
    return cleaned, found


def check_details(*, title: str, terms_required: bool, accepted_terms: bool) -> list[Violation]:
    """What the booker must give besides the time and the answers."""
    found = []
    if not (title or "").strip():
        found.append(Violation("title_required", "title"))
    if terms_required and not accepted_terms:
        found.append(Violation("terms_not_accepted", "accept_terms"))
    return found


# --- decisions ------------------------------------------------------------------------

def needs_manual_approval(policy, *, manual_actor_types, manual_above_minutes: int | None,
                          actor_type, duration: timedelta) -> bool:
    """Whether the facility's approval policy sends this request to a manager."""
    policy = getattr(policy, "value", policy)
    if policy == "automatic":
        return False
    if policy == "manual":
        return True
    actor = getattr(actor_type, "value", actor_type)
    if actor in (manual_actor_types or ()):
        return True
    return manual_above_minutes is not None and duration > timedelta(minutes=manual_above_minutes)


def needs_manager(rules: RuleSet, actor_type, duration: timedelta) -> bool:
    """The facility's approval policy applied to a request of this actor type and length."""
    return needs_manual_approval(
        rules.approval_policy, manual_actor_types=rules.manual_actor_types, actor_type=actor_type,
        manual_above_minutes=None if rules.manual_above is None else minutes(rules.manual_above), duration=duration)


def add_working_days(day: date, days: int) -> date:
    """The date `days` working days (Monday–Friday) after `day`. Public holidays count as working days."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def decision_deadline(requested: datetime, working_days: int, tz: str) -> datetime:
    """N working days after the request, at the same local wall-clock time.

    A request on Friday at 14:00 with 3 days is due on Wednesday at 14:00; one made on
    Saturday is due on Wednesday too (Monday is its first working day).
    """
    zone = ZoneInfo(tz)
    local = requested.astimezone(zone)
    return local_instant(add_working_days(local.date(), working_days), local.time().replace(tzinfo=None), zone)


@dataclass(frozen=True)
class CancellationCheck:
    allowed: bool
    late_fee: bool = False
    deadline: datetime | None = None  # the free-cancellation deadline, where one applies


def cancellation_deadline(start: datetime, hours: int | timedelta) -> datetime:
    """Free cancellation ends this long before the start."""
    return start - (hours if isinstance(hours, timedelta) else timedelta(hours=hours))


def check_cancellation(*, status: str, start: datetime, end: datetime, now: datetime, deadline_hours: int,
                       late_policy, by_manager: bool) -> CancellationCheck:
    """May it be cancelled now, and does a late-cancellation fee apply?

    Managers may always cancel (before it ends). An organisation may withdraw a request
    that is not yet confirmed at any time; a confirmed one until the facility's deadline,
    after which the facility either refuses or charges a fee.
    """
    status = getattr(status, "value", status)
    if status not in ("held", "pending", "confirmed") or end <= now:
        return CancellationCheck(False)
    if by_manager or status != "confirmed":
        return CancellationCheck(True)
    deadline = cancellation_deadline(start, deadline_hours)
    if now <= deadline:
        return CancellationCheck(True, deadline=deadline)
    if getattr(late_policy, "value", late_policy) == "fee":
        return CancellationCheck(True, late_fee=True, deadline=deadline)
    return CancellationCheck(False, deadline=deadline)


def can_check_in_at(*, start: datetime, end: datetime, now: datetime) -> bool:
    return start - CHECK_IN_EARLY <= now < end


def undo_until(*, status: str, checked_in_dt: datetime | None, marked_dt: datetime | None,
               window: timedelta) -> datetime | None:
    """Until when a check-in or a no-show may be taken back (None: there is nothing to undo).

    A check-in counts from `checked_in_dt`; a no-show from when it was marked (`marked_dt`).
    The booker is told only once this has passed."""
    if status == "confirmed" and checked_in_dt is not None:
        return checked_in_dt + window
    if status == "no_show" and marked_dt is not None:
        return marked_dt + window
    return None


# --- who may do what -------------------------------------------------------------------

def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_book_for(user, organisation_id: int | None) -> bool:
    """Members book for their own organisations."""
    return can_act_for(user, organisation_id)


def can_block_facility(user, facility) -> bool:
    """Managers create internal blocks (maintenance, city use) in their departments."""
    return can_manage_department(user, facility.department_id)


def can_view_inbox(user) -> bool:
    """Facility managers and admins decide requests (the service scopes them to departments)."""
    return _authenticated(user) and user.is_staff


def can_decide_reservation(user, reservation) -> bool:
    """Approve, reject, return to handling, check in, mark a no-show: the facility's managers."""
    return can_manage_department(user, reservation.facility.department_id)


def can_view_reservation(user, reservation) -> bool:
    """The organisation's members, the booker, the facility's managers and admins."""
    if not _authenticated(user):
        return False
    if can_decide_reservation(user, reservation) or reservation.user_id == user.id:
        return True
    return reservation.organisation_id is not None and can_act_for(user, reservation.organisation_id)


def can_cancel_reservation(user, reservation) -> bool:
    """Who may ask to cancel (the deadline is a rule, checked by `check_cancellation`)."""
    if not _authenticated(user):
        return False
    if can_decide_reservation(user, reservation):
        return True
    if reservation.kind.value == "internal_block":
        return False
    return reservation.user_id == user.id or can_act_for(user, reservation.organisation_id)


def can_change_reservation(user, reservation) -> bool:
    """Change the time: the same people who may cancel it."""
    return can_cancel_reservation(user, reservation)
