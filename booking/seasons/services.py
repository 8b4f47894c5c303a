"""Seasonal round use cases. Each adds and flushes in the caller's unit of work (never commits),
checks permission by a `can_*` rule, and records what happened with events.publish (the round's
history is its audit trail). Refusals raise RuleViolation (422), Conflict (409),
PermissionDenied (403) or NotFound (404) with coded messages (booking/seasons/messages.py).

Rounds
    create_round(user, data) / update_round(user, round, data) / open_round / close_round
    get_round(user, round_id) -> Round (404 for a draft one may not see)
    visible_rounds(user) -> [Round]; public_rounds() -> open rounds
Applications (members of the organisation, inside the window)
    save_application(user, round, organisation, data) -> Application (new or replacing its wishes)
    withdraw_application(user, application)
Allocation (the round's managers, after the deadline)
    build_problem(round) -> Built          # candidates per wish from the database
    allocate(user, round) -> Round         # solver + greedy baseline; locked allocations kept
    move_allocation / remove_allocation / set_locked; conflicts(round) -> [(id, id)]
    publish(user, round) -> Round          # one confirmed, priced series per allocation
    respond(user, application, accept)     # the organisation accepts or declines (declining cancels)
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.accounts.models import Organisation, User
from booking.database import utcnow
from booking.errors import Conflict, Message, NotFound, PermissionDenied, RuleViolation
from booking.events import Email, Event, publish as publish_event
from booking.extensions import db
from booking.facilities.availability import Interval, local_instant, merge, open_intervals
from booking.facilities.models import Facility
from booking.facilities.ruleset import RuleSet
from booking.facilities.schedules import busy_intervals, closures_in, schedule_for
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus, Series
from booking.reservations.services.checks import flush_or_conflict, lock_facility
from booking.reservations.services.checks import Candidate as ReservationCandidate
from booking.reservations.services.notify import tell
from booking.reservations.services.prices import price_new, settle
from booking.seasons import allocation as engine
from booking.seasons import messages  # noqa: F401  (registers the domain's wording)
from booking.seasons import rules
from booking.seasons.models import (AgeGroup, Allocation, AllocationSource, Application, ApplicationState,
                                    Frequency, Response, Round, RoundState, Wish, WishFacility)

S = ReservationStatus
DAY = 24 * 60


# --- plumbing ----------------------------------------------------------------------------------------

def now_or(now: datetime | None) -> datetime:
    return now or utcnow()


def _refuse(code: str, field: str | None = None, **params):
    if field:
        raise RuleViolation(field_errors={field: [Message(f"round.{code}", **params)]})
    raise RuleViolation(Message(f"round.{code}", **params))


def _require(allowed: bool, code: str = "not_allowed") -> None:
    if not allowed:
        raise PermissionDenied(Message(f"round.{code}"))


def _tell(action: str, round_: Round, actor, *, before=None, after=None, emails=()) -> None:
    publish_event(Event(f"round.{action}", round_, actor=actor, department_id=round_.department_id,
                        before=before, after={"state": round_.state, **(after or {})}, emails=list(emails)))
    db.session.flush()


# --- rounds ---------------------------------------------------------------------------------------------

@dataclass
class RoundInput:
    name: str
    season_start: date
    season_end: date
    opens_dt: datetime
    closes_dt: datetime
    facilities: list[Facility] = field(default_factory=list)
    department_id: int | None = None          # None: city-wide (admins)
    cap_minutes_per_week: int | None = None
    priority_rules: dict | None = None
    description: str = ""


def _check_round(data: RoundInput) -> None:
    errors: dict[str, list[Message]] = {}
    if not (data.name or "").strip():
        errors.setdefault("name", []).append(Message("round.name_required"))
    if data.season_end < data.season_start:
        errors.setdefault("season_end", []).append(Message("round.season_order"))
    elif (data.season_end - data.season_start).days > rules.MAX_SEASON_DAYS:
        errors.setdefault("season_end", []).append(Message("round.season_too_long"))
    if data.opens_dt.tzinfo is None or data.closes_dt.tzinfo is None:
        errors.setdefault("closes_dt", []).append(Message("round.naive_time"))
    elif data.closes_dt <= data.opens_dt:
        errors.setdefault("closes_dt", []).append(Message("round.window_order"))
    if data.cap_minutes_per_week is not None and not 0 < data.cap_minutes_per_week <= 7 * DAY:
        errors.setdefault("cap_hours_per_week", []).append(Message("round.cap_invalid"))
    if not data.facilities:
        errors.setdefault("facilities", []).append(Message("round.facilities_required"))
    elif len(data.facilities) > rules.MAX_FACILITIES:
        errors.setdefault("facilities", []).append(Message("round.too_many_facilities", max=rules.MAX_FACILITIES))
    elif data.department_id is not None and any(f.department_id != data.department_id for f in data.facilities):
        errors.setdefault("facilities", []).append(Message("round.facility_of_other_department"))
    if errors:
        raise RuleViolation(field_errors=errors)


def _fill_round(round_: Round, data: RoundInput) -> None:
    round_.name = data.name.strip()[:200]
    round_.description = (data.description or "").strip()
    round_.season_start, round_.season_end = data.season_start, data.season_end
    round_.opens_dt, round_.closes_dt = data.opens_dt, data.closes_dt
    round_.cap_minutes_per_week = data.cap_minutes_per_week
    round_.priority_rules = rules.merged_rules(data.priority_rules)
    round_.facilities = list(data.facilities)


def _round_values(round_: Round) -> dict:
    return {"name": round_.name, "season_start": round_.season_start, "season_end": round_.season_end,
            "opens_dt": round_.opens_dt, "closes_dt": round_.closes_dt,
            "cap_minutes_per_week": round_.cap_minutes_per_week, "priority_rules": round_.priority_rules,
            "facilities": [f.id for f in round_.facilities]}


def create_round(user: User, data: RoundInput, *, now: datetime | None = None) -> Round:
    _require(rules.can_create_round(user, data.department_id), "not_a_manager")
    _check_round(data)
    round_ = Round(department_id=data.department_id, created_by_id=user.id, state=RoundState.draft,
                   created_dt=now_or(now))
    _fill_round(round_, data)
    db.session.add(round_)
    db.session.flush()
    _tell("created", round_, user, after=_round_values(round_))
    return round_


def update_round(user: User, round_: Round, data: RoundInput, *, now: datetime | None = None) -> Round:
    _require(rules.can_manage_round(user, round_))
    if round_.state not in (RoundState.draft, RoundState.open):
        _refuse("not_editable", state=round_.state.value)
    data.department_id = round_.department_id
    _check_round(data)
    before = _round_values(round_)
    _fill_round(round_, data)
    _tell("updated", round_, user, before=before, after=_round_values(round_))
    return round_


def open_round(user: User, round_: Round, *, now: datetime | None = None) -> Round:
    """Draft → open: public, and applications are accepted from `opens_dt` to `closes_dt`."""
    _require(rules.can_manage_round(user, round_))
    if round_.state != RoundState.draft:
        _refuse("not_a_draft")
    round_.state = RoundState.open
    _tell("opened", round_, user, before={"state": RoundState.draft})
    return round_


def close_round(user: User, round_: Round, *, now: datetime | None = None) -> Round:
    """Open → closed, at the deadline or earlier by hand: no more applications."""
    _require(rules.can_manage_round(user, round_))
    if round_.state != RoundState.open:
        _refuse("not_open")
    round_.state = RoundState.closed
    _tell("closed", round_, user, before={"state": RoundState.open})
    return round_


def get_round(user: User | None, round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None or not rules.can_view_round(user, round_):
        raise NotFound(Message("round.not_found"))
    return round_


def visible_rounds(user: User | None) -> list[Round]:
    """Every round but other departments' drafts, newest season first."""
    found = db.session.scalars(select(Round).options(selectinload(Round.department), selectinload(Round.facilities))
                               .order_by(Round.season_start.desc(), Round.id.desc()))
    return [r for r in found if rules.can_view_round(user, r)]


def public_rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).where(Round.state == RoundState.open, Round.closes_dt > utcnow())
                                   .options(selectinload(Round.facilities), selectinload(Round.department))
                                   .order_by(Round.closes_dt, Round.id)))


def managed_rounds(user: User) -> list[Round]:
    return [r for r in db.session.scalars(select(Round).order_by(Round.season_start.desc(), Round.id.desc()))
            if rules.can_manage_round(user, r)]


# --- applications ------------------------------------------------------------------------------------------

@dataclass
class WishInput:
    purpose: str
    weekday: int
    earliest: time
    latest: time
    duration_minutes: int
    facility_ids: list[int]                   # ranked: the first is the first choice
    participants: int = 1
    age_group: AgeGroup = AgeGroup.mixed
    frequency: Frequency = Frequency.weekly


@dataclass
class ApplicationInput:
    wishes: list[WishInput]
    based_in_city: bool = False
    note: str = ""


def get_application(user: User, application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not rules.can_view_application(user, application):
        raise NotFound(Message("round.application_not_found"))
    return application


def application_of(round_: Round, organisation_id: int) -> Application | None:
    return db.session.scalar(select(Application).where(Application.round_id == round_.id,
                                                       Application.organisation_id == organisation_id))


def _check_wishes(round_: Round, data: ApplicationInput) -> None:
    if not data.wishes:
        _refuse("wish_required", "wishes")
    if len(data.wishes) > rules.MAX_WISHES:
        _refuse("too_many_wishes", "wishes", max=rules.MAX_WISHES)
    in_round = {f.id for f in round_.facilities}
    errors: dict[str, list[Message]] = {}
    for n, wish in enumerate(data.wishes):
        if not (wish.purpose or "").strip():
            errors.setdefault(f"wishes.{n}.purpose", []).append(Message("round.wish.purpose"))
        for code, name in rules.wish_problems(
                weekday=wish.weekday, earliest=wish.earliest, latest=wish.latest,
                duration_minutes=wish.duration_minutes, participants=wish.participants,
                facility_ids=list(wish.facility_ids), round_facility_ids=in_round):
            errors.setdefault(f"wishes.{n}.{name}", []).append(
                Message(f"round.wish.{code}", number=n + 1, min=rules.MIN_DURATION, max=rules.MAX_DURATION,
                        ranked=rules.MAX_RANKED))
    if errors:
        raise RuleViolation(field_errors=errors)


def save_application(user: User, round_: Round, organisation: Organisation, data: ApplicationInput, *,
                     now: datetime | None = None) -> Application:
    """Apply, or change the application, until the deadline: the wishes are replaced as sent."""
    now = now_or(now)
    if not rules.can_view_round(user, round_):
        raise NotFound(Message("round.not_found"))
    _require(rules.can_apply(user, organisation.id), "not_a_member")
    if not rules.window_open(round_, now):
        _refuse("window_closed")
    _check_wishes(round_, data)
    application = application_of(round_, organisation.id)
    action = "application_updated"
    if application is None:
        application = Application(round=round_, organisation=organisation, submitted_dt=now)
        db.session.add(application)
        action = "applied"
    elif application.state == ApplicationState.withdrawn:
        application.submitted_dt = now
        action = "applied"
    application.state = ApplicationState.submitted
    application.submitted_by_id = user.id
    application.updated_dt = now
    application.based_in_city = bool(data.based_in_city)
    application.note = (data.note or "").strip()[:2000]
    application.wishes.clear()
    db.session.flush()
    for n, w in enumerate(data.wishes):
        wish = Wish(position=n, purpose=w.purpose.strip()[:200], age_group=w.age_group,
                    participants=w.participants, weekday=w.weekday, earliest=w.earliest, latest=w.latest,
                    duration_minutes=w.duration_minutes, frequency=w.frequency)
        wish.facilities = [WishFacility(facility_id=fid, rank=rank) for rank, fid in enumerate(w.facility_ids)]
        application.wishes.append(wish)
    db.session.flush()
    publish_event(Event(f"round.{action}", application, actor=user, department_id=round_.department_id,
                        after={"round_id": round_.id, "organisation_id": organisation.id,
                               "wishes": len(data.wishes)}))
    db.session.flush()
    return application


def withdraw_application(user: User, application: Application, *, now: datetime | None = None) -> Application:
    now = now_or(now)
    _require(rules.can_apply(user, application.organisation_id), "not_a_member")
    if not rules.window_open(application.round, now):
        _refuse("window_closed")
    application.state = ApplicationState.withdrawn
    application.updated_dt = now
    publish_event(Event("round.application_withdrawn", application, actor=user,
                        department_id=application.round.department_id, after={"round_id": application.round_id}))
    db.session.flush()
    return application


def applications_of(user: User) -> list[Application]:
    """The user's organisations' applications, newest round first."""
    ids = [m.organisation_id for m in user.memberships]
    if not ids:
        return []
    return list(db.session.scalars(select(Application).where(Application.organisation_id.in_(ids))
                                   .options(selectinload(Application.round), selectinload(Application.wishes),
                                            selectinload(Application.organisation))
                                   .order_by(Application.id.desc())))


# --- from the database to the allocator's Problem -----------------------------------------------------------

@dataclass
class FacilityCalendar:
    """A facility's season as plain values: open time (hours minus closures) and busy time."""
    facility: Facility
    zone: ZoneInfo
    ruleset: RuleSet
    opened: list[Interval]
    opened_starts: list[datetime]
    busy: list[Interval]
    busy_starts: list[datetime]

    def is_open(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self.opened_starts, start) - 1
        return i >= 0 and self.opened[i].end >= end

    def is_busy(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self.busy_starts, end)
        return any(b.end > start for b in self.busy[max(0, i - 50):i])

    def slot_on(self, day: date, start: int, end: int) -> tuple[datetime, datetime]:
        return (local_instant(day, rules.time_of(start), self.zone),
                local_instant(day, rules.time_of(end), self.zone))

    def date_state(self, day: date, start: int, end: int, *, exclude=()) -> str | None:
        """None when the slot is free on the day, else why not ("closed" or "busy")."""
        first, last = self.slot_on(day, start, end)
        if not self.is_open(first, last):
            return "closed"
        blocked = self.ruleset.blocked(first, last)
        if self.is_busy(blocked.start, blocked.end):
            return "busy"
        return None


def calendars_for(round_: Round, facilities: list[Facility]) -> dict[int, FacilityCalendar]:
    """Each facility's open and busy time over the season (one query each for closures and busy time)."""
    if not facilities:
        return {}
    zone0 = ZoneInfo(facilities[0].timezone)
    window = Interval(local_instant(round_.season_start - timedelta(days=1), time(0), zone0),
                      local_instant(round_.season_end + timedelta(days=2), time(0), zone0))
    ids = [f.id for f in facilities]
    closures = closures_in(ids, window)
    busy = busy_intervals(ids, window)
    found = {}
    for facility in facilities:
        opened = open_intervals(schedule_for(facility, closures.get(facility.id, [])), window)
        taken = merge(sorted(busy.get(facility.id, [])))
        found[facility.id] = FacilityCalendar(facility, ZoneInfo(facility.timezone), RuleSet.of(facility), opened,
                                              [i.start for i in opened], taken, [i.start for i in taken])
    return found


@dataclass
class Built:
    problem: engine.Problem
    wishes: dict[int, Wish]
    extra: list[engine.Candidate]              # nearby slots outside the wishes' windows, for alternatives
    skipped: dict[int, dict[str, int]]         # wish id → {"closed": n, "busy": n, "capacity": n}


def candidate_key(wish_id: int, facility_id: int, weekday: int, start: int, parity: int | None) -> str:
    return f"{wish_id}:{facility_id}:{weekday}:{start}:{'w' if parity is None else parity}"


def _slot(round_: Round, cal: FacilityCalendar, wish: Wish, rank: int, weekday: int, start: int,
          parity: int | None, key: str | None = None) -> tuple[engine.Candidate | None, str | None]:
    """The candidate for a weekly slot, or None and why (closed or busy on too many dates)."""
    end = start + wish.duration_minutes
    days = rules.season_dates(round_.season_start, round_.season_end, weekday, parity)
    if not days:
        return None, "closed"
    states = [cal.date_state(d, start, end) for d in days]
    free = sum(1 for s in states if s is None)
    if free < rules.MIN_SHARE_OF_DATES * len(days):
        return None, "closed" if states.count("closed") >= states.count("busy") else "busy"
    before = int(cal.ruleset.buffer_before.total_seconds() // 60)
    after = int(cal.ruleset.buffer_after.total_seconds() // 60)
    base = weekday * DAY
    return engine.Candidate(
        key=key or candidate_key(wish.id, cal.facility.id, weekday, start, parity), wish_id=wish.id,
        facility_id=cal.facility.id, weekday=weekday, start=base + start, end=base + end,
        block_start=base + start - before, block_end=base + end + after, parity=parity, rank=rank,
        dates_free=free, dates_total=len(days)), None


def _continuing(round_: Round, organisation_ids: set[int]) -> set[int]:
    """Organisations that had time in the department's previous published round."""
    previous = db.session.scalar(select(Round).where(Round.department_id == round_.department_id,
                                                     Round.state == RoundState.published,
                                                     Round.season_start < round_.season_start, Round.id != round_.id)
                                 .order_by(Round.season_start.desc()).limit(1))
    if previous is None:
        return set()
    rows = db.session.scalars(select(Application.organisation_id).join(Wish).join(Allocation).where(
        Application.round_id == previous.id, Application.response.is_distinct_from(Response.declined)))
    return set(rows) & organisation_ids


def active_applications(round_: Round) -> list[Application]:
    return list(db.session.scalars(
        select(Application).where(Application.round_id == round_.id, Application.state == ApplicationState.submitted)
        .options(selectinload(Application.organisation),
                 selectinload(Application.wishes).selectinload(Wish.facilities).selectinload(WishFacility.facility),
                 selectinload(Application.wishes).selectinload(Wish.allocation))
        .order_by(Application.submitted_dt, Application.id)))


def build_problem(round_: Round, *, extras: bool = True, time_limit_s: float = 10.0) -> Built:
    """Every wish's candidate slots: each ranked facility × start times in its window, where the
    facility is open, holds the participants and is free on at least MIN_SHARE_OF_DATES of the
    season's dates (closures and existing reservations count against `dates_free`)."""
    applications = active_applications(round_)
    cals = calendars_for(round_, list(round_.facilities))
    found = rules.rules_of(round_)
    continuing = _continuing(round_, {a.organisation_id for a in applications})
    wishes, problem_wishes, candidates, extra = {}, [], [], []
    skipped: dict[int, dict[str, int]] = {}
    order = 0
    for application in applications:
        for wish in application.wishes:
            wishes[wish.id] = wish
            prio = rules.priority(found, actor_type=application.organisation.actor_type.value,
                                  age_group=wish.age_group, based_in_city=application.based_in_city,
                                  continuity=application.organisation_id in continuing)
            problem_wishes.append(engine.Wish(wish.id, application.organisation_id, wish.minutes_per_week, prio,
                                              order))
            order += 1
            counts: dict[str, int] = defaultdict(int)
            starts = rules.start_times(wish.earliest, wish.latest, wish.duration_minutes)
            for ranked in wish.facilities:
                cal = cals.get(ranked.facility_id)
                if cal is None:
                    continue
                if cal.facility.capacity and wish.participants > cal.facility.capacity:
                    counts["capacity"] += 1
                    continue
                for parity in rules.parities(wish.frequency):
                    for start in starts:
                        candidate, why = _slot(round_, cal, wish, ranked.rank, wish.weekday, start, parity)
                        if candidate is None:
                            counts[why] += 1
                        else:
                            candidates.append(candidate)
            skipped[wish.id] = dict(counts)
    locked, excluded = set(), set()
    keys = {c.key for c in candidates}
    for allocation in round_.allocations:
        if allocation.locked and allocation.wish_id in wishes:
            candidate = allocation_candidate(round_, allocation, cals)
            if candidate.key not in keys:
                candidates.append(candidate)
                keys.add(candidate.key)
            locked.add(candidate.key)
    if extras:
        extra = _extra_candidates(round_, wishes, cals, keys)
    problem = engine.Problem(tuple(problem_wishes), tuple(candidates), round_.cap_minutes_per_week,
                             locked=frozenset(locked), excluded=frozenset(excluded), time_limit_s=time_limit_s)
    return Built(problem, wishes, extra, skipped)


def _extra_candidates(round_: Round, wishes: dict[int, Wish], cals, keys: set[str]) -> list[engine.Candidate]:
    """Slots near each wish's window (two hours either side, the day before and after) at its
    ranked facilities, for the nearest alternatives offered when it gets nothing."""
    found = []
    for wish in wishes.values():
        earliest = max(6 * 60, rules.minutes_of(wish.earliest) - 120)
        latest = min(23 * 60, rules.minutes_of(wish.latest) + 120)
        for ranked in wish.facilities[:2]:
            cal = cals.get(ranked.facility_id)
            if cal is None or (cal.facility.capacity and wish.participants > cal.facility.capacity):
                continue
            for weekday in (wish.weekday, (wish.weekday - 1) % 7, (wish.weekday + 1) % 7):
                for start in range(earliest, latest - wish.duration_minutes + 1, 60):
                    parity = rules.parities(wish.frequency)[0]
                    key = candidate_key(wish.id, ranked.facility_id, weekday, start, parity)
                    if key in keys:
                        continue
                    candidate, _why = _slot(round_, cal, wish, ranked.rank, weekday, start, parity, key="alt:" + key)
                    if candidate is not None:
                        found.append(candidate)
    return found


def allocation_candidate(round_: Round, allocation: Allocation, cals=None) -> engine.Candidate:
    """An allocation as the allocator's Candidate (for locks and conflict checks)."""
    facility = allocation.facility
    ruleset = cals[facility.id].ruleset if cals and facility.id in cals else RuleSet.of(facility)
    before = int(ruleset.buffer_before.total_seconds() // 60)
    after = int(ruleset.buffer_after.total_seconds() // 60)
    start = allocation.weekday * DAY + rules.minutes_of(allocation.start_time)
    end = allocation.weekday * DAY + rules.minutes_of(allocation.end_time)
    rank = next((r.rank for r in allocation.wish.facilities if r.facility_id == facility.id), rules.MAX_RANKED)
    return engine.Candidate(
        key=candidate_key(allocation.wish_id, facility.id, allocation.weekday,
                          rules.minutes_of(allocation.start_time), allocation.parity),
        wish_id=allocation.wish_id, facility_id=facility.id, weekday=allocation.weekday, start=start, end=end,
        block_start=start - before, block_end=end + after, parity=allocation.parity, rank=rank,
        dates_free=allocation.dates_free, dates_total=allocation.dates_total)


def _reasons(found) -> list[dict]:
    return [{"code": r.code, "params": dict(r.params)} for r in found]


def _figures(result: engine.Result) -> dict:
    return {"satisfied_share": round(result.satisfied_share, 4), "min_org_share": round(result.min_org_share, 4),
            "status": result.status, "solve_seconds": round(result.solve_seconds, 3)}


@dataclass
class Proposal:
    """The solver's and the baseline's answers for a round as it was read (see `propose`)."""
    built: Built
    result: engine.Result
    baseline: engine.Result


def _check_allocatable(user: User, round_: Round, now: datetime) -> None:
    _require(rules.can_manage_round(user, round_))
    if not rules.may_allocate(round_, now):
        _refuse("not_closed" if round_.state in (RoundState.draft, RoundState.open) else "already_published")


def propose(user: User, round_: Round, *, now: datetime | None = None, time_limit_s: float = 10.0) -> Proposal:
    """Read the round and run the solver and the baseline, writing nothing: a page calls it
    before its unit of work, so the solver's seconds never hold the database's write lock."""
    now = now_or(now)
    _check_allocatable(user, round_, now)
    built = build_problem(round_, time_limit_s=time_limit_s)
    try:
        return Proposal(built, engine.solve(built.problem), engine.greedy(built.problem))
    except engine.AllocationError:
        _refuse("locked_conflict")


def allocate(user: User, round_: Round, *, now: datetime | None = None, time_limit_s: float = 10.0,
             proposal: Proposal | None = None) -> Round:
    """Store an allocation for the whole round (the solver's), with the first-come baseline's
    figures beside it; locked allocations stay as they are, the rest is replaced. Without a
    `proposal` (or with one made before the locks changed) the solver runs here."""
    now = now_or(now)
    _check_allocatable(user, round_, now)
    locked_now = {allocation_candidate(round_, a).key for a in round_.allocations if a.locked}
    if proposal is None or set(proposal.built.problem.locked) != locked_now:
        proposal = propose(user, round_, now=now, time_limit_s=time_limit_s)
    built, result, baseline = proposal.built, proposal.result, proposal.baseline
    kept = {a.wish_id for a in round_.allocations if a.locked and a.wish_id in built.wishes}
    for allocation in list(round_.allocations):
        if allocation.wish_id not in kept:
            round_.allocations.remove(allocation)
            db.session.delete(allocation)
    db.session.flush()
    for wish_id, wish in built.wishes.items():
        wish.reasons = _reasons(result.reasons.get(wish_id, ()))
        wish.skipped = built.skipped.get(wish_id, {})
        wish.alternatives = []
        chosen = result.chosen.get(wish_id)
        if chosen is None:
            wish.alternatives = [{"facility_id": c.facility_id, "weekday": c.weekday, "start": c.start % DAY,
                                  "end": c.end % DAY, "parity": c.parity}
                                 for c in engine.alternatives(built.problem, result, wish_id,
                                                               [x for x in built.extra if x.wish_id == wish_id])]
            continue
        if wish_id in kept:
            continue
        round_.allocations.append(Allocation(  # through the relationship: a wish read earlier sees it
            wish=wish, facility_id=chosen.facility_id, weekday=chosen.weekday,
            start_time=rules.time_of(chosen.start % DAY), end_time=rules.time_of(chosen.end % DAY),
            parity=chosen.parity, source=AllocationSource.solver, explanation=wish.reasons,
            dates_free=chosen.dates_free, dates_total=chosen.dates_total, created_dt=now))
    before = round_.state
    round_.state = RoundState.allocated
    round_.allocated_dt = now
    round_.figures = {"solver": _figures(result), "greedy": _figures(baseline),
                      "wishes": len(built.wishes), "candidates": len(built.problem.candidates)}
    db.session.flush()
    _tell("allocated", round_, user, before={"state": before},
          after={"figures": round_.figures, "allocations": len(round_.allocations), "locked": len(kept)})
    return round_


# --- the manager's hand ------------------------------------------------------------------------------

def _editable(user: User, allocation: Allocation) -> Round:
    round_ = allocation.round
    _require(rules.can_manage_round(user, round_))
    if round_.state != RoundState.allocated:
        _refuse("not_allocated")
    return round_


def conflicts(round_: Round) -> list[tuple[int, int]]:
    """Pairs of allocation ids that overlap (same facility, buffers included, parity compatible)."""
    by_key = {}
    items = []
    for allocation in round_.allocations:
        candidate = allocation_candidate(round_, allocation)
        by_key[candidate.key] = allocation.id
        items.append(candidate)
    return [(by_key[a], by_key[b]) for a, b in engine.conflicts(engine.Problem((), tuple(items), None), items)]


def _slot_dates(round_: Round, allocation: Allocation) -> tuple[int, int]:
    cal = calendars_for(round_, [allocation.facility])[allocation.facility_id]
    start, end = rules.minutes_of(allocation.start_time), rules.minutes_of(allocation.end_time)
    days = rules.season_dates(round_.season_start, round_.season_end, allocation.weekday, allocation.parity)
    return sum(1 for d in days if cal.date_state(d, start, end) is None), len(days)


def move_allocation(user: User, allocation: Allocation, *, facility: Facility, weekday: int, start_time: time,
                    parity: int | None = None, now: datetime | None = None) -> list[tuple[int, int]]:
    """Move an allocation by hand (kept for its wish's duration); returns the round's conflicts
    now, which the manager sees at once (publishing refuses while any remain)."""
    round_ = _editable(user, allocation)
    if facility not in round_.facilities:
        _refuse("facility_not_in_round", "facility_id")
    if not 0 <= weekday <= 6:
        _refuse("wish.weekday", "weekday", number=1)
    start = rules.minutes_of(start_time)
    end = start + allocation.wish.duration_minutes
    if end > DAY:
        _refuse("ends_after_midnight", "start_time")
    if allocation.wish.frequency == Frequency.weekly:
        parity = None
    elif parity not in (0, 1):
        parity = allocation.parity if allocation.parity is not None else 0
    before = {"facility_id": allocation.facility_id, "weekday": allocation.weekday,
              "start_time": allocation.start_time.isoformat(), "parity": allocation.parity}
    allocation.facility = facility
    allocation.weekday, allocation.start_time, allocation.end_time = weekday, start_time, rules.time_of(end)
    allocation.parity = parity
    allocation.source = AllocationSource.manual
    allocation.explanation = [{"code": "moved_by_manager", "params": {}}]
    db.session.flush()
    allocation.dates_free, allocation.dates_total = _slot_dates(round_, allocation)
    found = conflicts(round_)
    publish_event(Event("round.allocation_moved", round_, actor=user, department_id=round_.department_id,
                        before=before, after={"allocation_id": allocation.id, "facility_id": facility.id,
                                              "weekday": weekday, "start_time": start_time.isoformat(),
                                              "parity": parity, "conflicts": found}))
    db.session.flush()
    return found


def remove_allocation(user: User, allocation: Allocation, *, now: datetime | None = None) -> None:
    round_ = _editable(user, allocation)
    wish = allocation.wish
    wish.reasons = [{"code": "removed_by_manager", "params": {}}]
    round_.allocations.remove(allocation)
    db.session.delete(allocation)
    publish_event(Event("round.allocation_removed", round_, actor=user, department_id=round_.department_id,
                        after={"wish_id": wish.id}))
    db.session.flush()


def set_locked(user: User, allocation: Allocation, locked: bool, *, now: datetime | None = None) -> Allocation:
    """A locked allocation stays as it is when the allocator runs again."""
    round_ = _editable(user, allocation)
    allocation.locked = bool(locked)
    publish_event(Event("round.allocation_locked" if locked else "round.allocation_unlocked", round_, actor=user,
                        department_id=round_.department_id, after={"allocation_id": allocation.id}))
    db.session.flush()
    return allocation


def allocation_by_id(user: User, allocation_id: int) -> Allocation:
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or not rules.can_manage_round(user, allocation.round):
        raise NotFound(Message("round.not_found"))
    return allocation


# --- publishing ----------------------------------------------------------------------------------------

def _booker(application: Application) -> User | None:
    """Who the series is booked by: the member who applied, while still a member."""
    person = application.submitted_by
    if person is not None and person.active and rules.can_apply(person, application.organisation_id):
        return person
    return None


def _recipients(organisation: Organisation) -> list[tuple[str, str | None, int | None]]:
    members = [m.user for m in organisation.memberships if m.user.active]
    if members:
        return [(u.email, u.locale, u.id) for u in members]
    return [(organisation.contact_email, None, None)] if organisation.contact_email else []


def publish(user: User, round_: Round, *, now: datetime | None = None) -> Round:
    """Book one confirmed series per allocation for its organisation (priced by pricing, each
    occurrence with its price snapshot), leaving out the dates blocked on the day (listed in
    `round.left_out`), and tell every applicant in their language. All in the caller's unit of
    work: one refusal (a conflict the database finds) books nothing."""
    now = now_or(now)
    _require(rules.can_manage_round(user, round_))
    if round_.state != RoundState.allocated:
        _refuse("not_allocated")
    clashes = conflicts(round_)
    if clashes:
        raise Conflict(*[Message("round.conflict", first=a, second=b) for a, b in clashes],
                       extra={"conflicts": [list(pair) for pair in clashes]})
    left_out = []
    facilities = sorted({a.facility for a in round_.allocations}, key=lambda f: f.id)
    for facility in facilities:
        lock_facility(facility.id)
    cals = calendars_for(round_, facilities)
    for allocation in sorted(round_.allocations, key=lambda a: (a.facility_id, a.weekday, a.start_time)):
        application = allocation.wish.application
        facility, cal = allocation.facility, cals[allocation.facility_id]
        start, end = rules.minutes_of(allocation.start_time), rules.minutes_of(allocation.end_time)
        days = rules.season_dates(round_.season_start, round_.season_end, allocation.weekday, allocation.parity)
        kept, skipped = [], []
        for day in days:
            why = cal.date_state(day, start, end)
            if why is None and cal.slot_on(day, start, end)[0] <= now:
                why = "past"
            if why is None:
                kept.append(day)
            else:
                skipped.append(day)
                left_out.append({"allocation_id": allocation.id, "date": day.isoformat(), "code": why})
        if not kept:
            continue
        booker = _booker(application)
        interval = 1 if allocation.parity is None else 2
        title = f"{allocation.wish.purpose} ({round_.name})"[:200]
        series = Series(facility=facility, organisation=application.organisation, user=booker,
                        kind=ReservationKind.booking, title=title,
                        rrule=f"FREQ=WEEKLY;INTERVAL={interval};UNTIL={round_.season_end:%Y%m%d}T235959",
                        skipped_dates=[d.isoformat() for d in skipped])
        db.session.add(series)
        made, wanted = [], []
        for day in kept:
            first, last = cal.slot_on(day, start, end)
            blocked = cal.ruleset.blocked(first, last)
            reservation = Reservation(
                kind=ReservationKind.booking, facility=facility, organisation=application.organisation,
                user=booker, series=series, start_dt=first, end_dt=last, blocked_start_dt=blocked.start,
                blocked_end_dt=blocked.end, requested_dt=now, status=S.confirmed, decided_dt=now,
                title=title, purpose=allocation.wish.purpose, attendees=allocation.wish.participants, answers={},
                held_for=None)
            db.session.add(reservation)
            made.append(reservation)
            wanted.append(ReservationCandidate(first, last, allocation.wish.participants))
        flush_or_conflict(facility, wanted)
        for reservation in made:
            price_new(reservation, now)
            settle(reservation)
        allocation.series = series
        tell("created", made, user, now=now, after={"round_id": round_.id, "allocation_id": allocation.id})
    before = round_.state
    round_.state = RoundState.published
    round_.published_dt = now
    round_.left_out = left_out
    db.session.flush()
    emails = []
    for application in active_applications(round_):
        got = [w.allocation for w in application.wishes if w.allocation is not None]
        for to, locale, user_id in _recipients(application.organisation):
            emails.append(Email(to, Message("round.email.published", name=round_.name), "season_published",
                                locale=locale, topic=f"round:{round_.id}", user_id=user_id,
                                link=f"/rounds/{round_.id}/application",
                                context={"round": round_, "application": application, "allocations": got}))
    _tell("published", round_, user, before={"state": before},
          after={"series": [a.series_id for a in round_.allocations if a.series_id], "left_out": len(left_out)},
          emails=emails)
    return round_


def respond(user: User, application: Application, accept: bool, *, now: datetime | None = None) -> Application:
    """The organisation accepts its season, or declines it: declining cancels its series' coming dates."""
    now = now_or(now)
    _require(rules.can_apply(user, application.organisation_id), "not_a_member")
    if application.round.state != RoundState.published:
        _refuse("not_published")
    if application.response is not None:
        _refuse("already_answered")
    application.response = Response.accepted if accept else Response.declined
    application.response_dt = now
    cancelled = []
    if not accept:
        for wish in application.wishes:
            series = wish.allocation.series if wish.allocation is not None else None
            if series is None:
                continue
            for reservation in series.reservations:
                if reservation.is_active and reservation.start_dt > now:
                    reservation.set_status(S.cancelled)
                    reservation.cancelled_dt = now
                    reservation.cancel_reason = "declined"
                    settle(reservation)
                    cancelled.append(reservation)
        if cancelled:
            tell("cancelled", cancelled, user, now=now, before={"status": S.confirmed},
                 after={"reason": "declined", "round_id": application.round_id})
    publish_event(Event(f"round.result_{application.response.value}", application, actor=user,
                        department_id=application.round.department_id,
                        after={"round_id": application.round_id, "cancelled": len(cancelled)}))
    db.session.flush()
    return application


def allocations_of(application: Application) -> list[Allocation]:
    return [w.allocation for w in application.wishes if w.allocation is not None]


def series_prices(allocation: Allocation) -> tuple[int, int]:
    """(dates booked, total gross cents) of a published allocation's series."""
    if allocation.series is None:
        return 0, 0
    active = [r for r in allocation.series.reservations if r.is_active or r.status == S.completed]
    return len(active), sum(r.price.gross_cents for r in active if r.price is not None)
