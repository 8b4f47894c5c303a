"""Finding a facility: the catalogue's filters and sorting, when each result is free, find-a-time,
and the week and month calendars of a facility's page.

Every function here issues a fixed number of queries however many facilities it handles:
schedules come from `load_for_schedules` and `availability_for`, never one facility at a time.
"""
from __future__ import annotations

import json
import calendar
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from typing import NamedTuple

from sqlalchemy import Select, String, cast, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from booking.accounts.models import Department
from booking.extensions import db, plain_rows
from booking.facilities.availability import (CELL_CLOSED, CELL_FREE, CELL_PARTLY_FREE, Availability, FreeState,
                                             Interval, avoided, cell_state, clip, day_load, day_windows, first_fit,
                                             free_state, intersect, iter_start_times, local_day_bounds, local_instant,
                                             overlaps_any, subtract)
from booking.facilities.amenities import code_for
from booking.facilities.models import (Amenity, BookingRules, Facility, FacilityAccessibility, FacilityAmenity,
                                       FacilityStatus)
from booking.facilities.ruleset import DAY, TIMING_COLUMNS, RuleSet
from booking.facilities.schedules import (FREE, CHECK, Schedulable, availability_for, availability_of,
                                          free_time_state, load_for_schedules, ruleset_for, schedulable,
                                          schedulable_columns, schedule_parts)

# How many days ahead a result card looks for free time.
CARD_DAYS = 7
WRONG_DURATION = "wrong_duration"


# --- the catalogue ------------------------------------------------------------------------

@dataclass
class CatalogueQuery:
    text: str = ""
    category: str | None = None
    department_id: int | None = None
    district: str | None = None
    min_capacity: int | None = None
    amenities: list[str] = field(default_factory=list)
    accessibility: list[str] = field(default_factory=list)
    sort: str = "name"


def _filtered(stmt: Select, query: CatalogueQuery) -> Select:
    stmt = stmt.where(Facility.status == FacilityStatus.published)
    if query.text:
        # The name, or a translated text (stored as JSON, where non-ASCII letters are \u escapes).
        stmt = stmt.where(or_(Facility.name.icontains(query.text, autoescape=True),
                              cast(Facility.translations, String).icontains(json.dumps(query.text)[1:-1],
                                                                            autoescape=True)))
    if query.category:
        stmt = stmt.where(Facility.category == query.category)
    if query.department_id:
        stmt = stmt.where(Facility.department_id == query.department_id)
    if query.district:
        stmt = stmt.where(Facility.district == query.district)
    if query.min_capacity:
        stmt = stmt.where(Facility.capacity >= query.min_capacity)
    for name in query.amenities:  # every one asked for, by code (or by its name in the content language)
        stmt = stmt.where(exists().where(FacilityAmenity.facility_id == Facility.id,
                                         FacilityAmenity.amenity_id == Amenity.id,
                                         or_(Amenity.code == code_for(name), func.lower(Amenity.name) == name.lower())))
    for feature in query.accessibility:
        stmt = stmt.where(exists().where(FacilityAccessibility.facility_id == Facility.id,
                                         FacilityAccessibility.feature == feature))
    return stmt


SORTS = {
    "name": (func.lower(Facility.name), Facility.id),
    "capacity": (Facility.capacity, func.lower(Facility.name), Facility.id),
    "capacity_desc": (Facility.capacity.desc(), func.lower(Facility.name), Facility.id),
    # Never measured (NULL) last on both databases, whatever their NULL ordering.
    "least_used": (Facility.recent_utilisation.is_(None), Facility.recent_utilisation, func.lower(Facility.name),
                   Facility.id),
}


def catalogue_select(query: CatalogueQuery) -> Select:
    """Published facilities matching the query, sorted, with what a result card shows."""
    return (_filtered(select(Facility), query).order_by(*SORTS.get(query.sort, SORTS["name"]))
            .options(joinedload(Facility.department), selectinload(Facility.photos),
                     selectinload(Facility.accessibility)))


def catalogue_ids(query: CatalogueQuery) -> Select:
    return _filtered(select(Facility.id), query)


def free_in_window(query: CatalogueQuery, window: Interval, page: int, per_page: int) -> tuple[list[int], int]:
    """The ids of one page of published facilities matching the query that have some free time
    in the window (open, not closed, not booked, buffers counted), sorted by name, and how many
    there are in all.

    The database decides almost every facility (schedules.free_time_state) in one query that
    returns ids, not objects; only those it cannot decide alone (a booking or closure near
    the window, a DST day) go through the exact availability computation."""
    with_rules = _filtered(select(Facility.timezone, func.max(BookingRules.buffer_before_minutes),
                                  func.max(BookingRules.buffer_after_minutes))
                           .outerjoin(BookingRules, BookingRules.facility_id == Facility.id), query)
    zones = plain_rows(with_rules.group_by(Facility.timezone)).all()
    if not zones:
        return [], 0
    margin = timedelta(minutes=max(max(before or 0, after or 0) for _, before, after in zones))
    state, params = free_time_state(window, [tz for tz, _, _ in zones], margin)
    rows = plain_rows(_filtered(select(*schedulable_columns(), state), query)
                 .outerjoin(BookingRules, BookingRules.facility_id == Facility.id)
                 .order_by(*SORTS["name"]), params).all()
    to_check = [schedulable(row[:4]) for row in rows if row[4] == CHECK]
    many = len(to_check) > 200
    exact = availability_of(to_check, window, ids=catalogue_ids(query) if many else None, at_once=not many)
    free = [row[0] for row in rows if row[4] == FREE or (row[4] == CHECK and exact[row[0]].free)]
    return free[(page - 1) * per_page:page * per_page], len(free)


def filter_options() -> dict:
    """Departments, districts and amenities that published facilities have (three queries)."""
    published = select(Facility.id).where(Facility.status == FacilityStatus.published)
    departments = db.session.scalars(select(Department).where(Department.id.in_(
        select(Facility.department_id).where(Facility.status == FacilityStatus.published))).order_by(Department.name))
    districts = published_districts()
    amenities = db.session.scalars(select(Amenity).where(Amenity.id.in_(
        select(FacilityAmenity.amenity_id).where(FacilityAmenity.facility_id.in_(published)))))
    return {"departments": list(departments), "districts": list(districts), "amenities": list(amenities)}


def published_districts() -> list[str]:
    return list(db.session.scalars(select(Facility.district).distinct().where(
        Facility.status == FacilityStatus.published, Facility.district != "").order_by(Facility.district)))


def cards(ids: list[int]) -> dict[int, Facility]:
    """Facilities with what a find-a-time result shows (their facts), in one query."""
    stmt = select(Facility).where(Facility.id.in_(ids)).options(joinedload(Facility.department))
    return {f.id: f for f in db.session.scalars(stmt)}


# --- when, carried from a search into a facility's page -----------------------------------

# Dates a link may carry: far enough for any booking, near enough that date arithmetic on a
# shown week or month never overflows.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2200, 12, 31)


def parse_date(value: str) -> date:
    """An ISO date within FIRST_DATE..LAST_DATE, else ValueError."""
    day = date.fromisoformat(value)
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError("date out of range")
    return day


@dataclass(frozen=True)
class SearchTime:
    """The date, time, duration and size of a search."""
    date: date | None = None
    time: time | None = None
    duration: timedelta | None = None
    size: int | None = None

    @classmethod
    def from_args(cls, args) -> SearchTime:
        """From a query string, ignoring what does not parse (a shared link must not break)."""
        def parse(name, convert):
            try:
                return convert(args.get(name, "")) if args.get(name) else None
            except ValueError:
                return None

        minutes = parse("duration", int)
        size = parse("size", int)
        return cls(date=parse("date", parse_date), time=parse("time", time.fromisoformat),
                   duration=timedelta(minutes=minutes) if minutes and 0 < minutes <= 60 * 24 * 366 else None,
                   size=size if size and size > 0 else None)

    def params(self) -> dict:
        """Query parameters for links that carry the search on."""
        values = {"date": self.date.isoformat() if self.date else None,
                  "time": self.time.strftime("%H:%M") if self.time else None,
                  "duration": int(self.duration.total_seconds() // 60) if self.duration else None,
                  "size": self.size}
        return {k: v for k, v in values.items() if v is not None}

    def start(self, tz: str) -> datetime | None:
        """The searched instant in the facility's time zone (the day's start without a time)."""
        if self.date is None:
            return None
        return local_instant(self.date, self.time or time(0), ZoneInfo(tz))

    def __bool__(self):
        return bool(self.params())


def within(found: Availability, window: Interval) -> Availability:
    return Availability(found.timezone, clip(found.open, window), clip(found.busy, window), clip(found.free, window))


def free_states(facilities: list[Facility], now: datetime, when: SearchTime = SearchTime(),
                days: int = CARD_DAYS) -> dict[int, FreeState]:
    """What each result card says about free time: over the next `days` days, or from the
    searched date and time, for the searched duration. One batch for all the cards."""
    if not facilities:
        return {}
    facilities = load_for_schedules([f.id for f in facilities])
    starts = {f.id: max(when.start(f.timezone) or now, now) for f in facilities}
    window = Interval(min(starts.values()), max(starts.values()) + timedelta(days=days))
    found = availability_for(facilities, window)
    states = {}
    for facility in facilities:
        limits = ruleset_for(facility)
        if when.duration and not limits.allows_duration(when.duration):
            states[facility.id] = FreeState(WRONG_DURATION)
            continue
        start = starts[facility.id]
        own = within(found[facility.id], Interval(start, start + timedelta(days=days)))
        states[facility.id] = free_state(own, limits, now, when.duration,
                                         earliest=start if when.date else None)
    return states


# --- find a time --------------------------------------------------------------------------

@dataclass(frozen=True)
class TimeRequest:
    """'I need 3 hours for 20 people between Monday and Friday' (dates in each facility's
    local time; `earliest`/`latest` limit the time of day)."""
    first_day: date
    last_day: date
    duration: timedelta
    size: int | None = None
    earliest: time | None = None
    latest: time | None = None
    category: str | None = None
    district: str | None = None

    def windows(self, tz: str) -> list[Interval]:
        """Where a booking may lie: each day's allowed hours; a booking of a day or more
        starts after `earliest` on some day and ends by `latest` on a later one."""
        if self.duration >= DAY:
            first = day_windows(self.first_day, self.first_day, tz, self.earliest, None)[0]
            last = day_windows(self.last_day, self.last_day, tz, None, self.latest)[0]
            return [Interval(first.start, last.end)]
        return day_windows(self.first_day, self.last_day, tz, self.earliest, self.latest)


class FacilityRow(NamedTuple):
    """What a match needs to say about a facility; the page loads objects for the ones it shows."""
    id: int
    name: str
    slug: str
    timezone: str


@dataclass
class Match:
    """A facility that can take the request, and where in its free time a booking may lie."""
    facility: FacilityRow
    first_start: datetime
    open_fit: list[Interval]  # the request's hours of the days, where the facility is open (shared)
    taken: list[Interval]     # its closures, and its bookings widened by its buffers
    earliest: datetime
    latest: datetime
    slot: timedelta

    @property
    def fit(self) -> list[Interval]:
        """Where a booking may lie: computed only for the matches a page shows."""
        return subtract(self.open_fit, self.taken) if self.taken else self.open_fit

    def start_times(self, duration: timedelta) -> list[datetime]:
        return list(iter_start_times(self.fit, duration, self.slot, self.facility.timezone,
                                     earliest=self.earliest, latest=self.latest))


_Timing = namedtuple("_Timing", TIMING_COLUMNS)  # a row's timing columns, as RuleSet.timing_of reads them


def rulesets(ids: Select) -> list[tuple[FacilityRow, RuleSet]]:
    """The facilities of a select of ids as rows with the rules that decide when a booking may
    lie (RuleSet.timing_of), in one query and without ORM objects; facilities with the same
    such rules share one RuleSet."""
    rows = plain_rows(
        select(Facility.id, Facility.name, Facility.slug, Facility.timezone, BookingRules.id,
               *[getattr(BookingRules, c) for c in TIMING_COLUMNS])
        .outerjoin(BookingRules, BookingRules.facility_id == Facility.id)
        .where(Facility.id.in_(ids.scalar_subquery()))).all()
    cache: dict[tuple, RuleSet] = {}
    result = []
    for facility_id, name, slug, tz, rules_id, *timing in rows:
        key = (tz, rules_id is None, *timing)
        limits = cache.get(key)
        if limits is None:
            stored = None if rules_id is None else _Timing(*timing)
            limits = cache[key] = RuleSet.timing_of(tz, stored)
        result.append((FacilityRow(facility_id, name, slug, tz), limits))
    return result


def find_time(request: TimeRequest, now: datetime) -> list[Match]:
    """Published facilities that can take the request, soonest first: big enough, allowing
    the duration, open, free (buffers included) and bookable by notice and advance."""
    ids = select(Facility.id).where(Facility.status == FacilityStatus.published)
    if request.size:
        ids = ids.where(Facility.capacity >= request.size)
    if request.category:
        ids = ids.where(Facility.category == request.category)
    if request.district:
        ids = ids.where(Facility.district == request.district)
    candidates = [(row, limits) for row, limits in rulesets(ids) if limits.allows_duration(request.duration)]
    if not candidates:
        return []
    zones = {row.timezone for row, _ in candidates}
    bounds = [local_day_bounds(day, ZoneInfo(tz)) for tz in zones for day in (request.first_day, request.last_day)]
    window = Interval(min(b.start for b in bounds), max(b.end for b in bounds))
    parts = schedule_parts([Schedulable(row.id, row.timezone, limits.buffer_before, limits.buffer_after)
                            for row, limits in candidates], window, ids=ids if len(candidates) > 200 else None)
    windows = {tz: request.windows(tz) for tz in zones}
    # Each facility's first start is the one its hours alone give (computed once for all
    # facilities with the same hours, grid and notice), unless a closure or booking covers it;
    # only then is its own free time worked out. Bookings only take time away, so that start
    # is the first of the free time too.
    open_fits: dict[int, list[Interval]] = {}
    firsts: dict[tuple, datetime | None] = {}
    matches = []
    for row, limits in candidates:
        opened, closures, busy = parts[row.id]
        open_fit = open_fits.get(id(opened))
        if open_fit is None:
            open_fit = open_fits[id(opened)] = intersect(opened, windows[row.timezone])
        earliest, latest = limits.start_bounds(now)
        key = (id(open_fit), limits.slot, earliest, latest)
        if key in firsts:
            first = firsts[key]
        else:
            first = firsts[key] = first_fit(open_fit, request.duration, limits.slot, row.timezone,
                                             earliest=earliest, latest=latest)
        if first is None:
            continue
        taken = closures + avoided(busy, limits.buffer_before, limits.buffer_after) if busy else closures
        if taken and overlaps_any(first, first + request.duration, taken):
            first = first_fit(subtract(open_fit, taken), request.duration, limits.slot, row.timezone,
                              earliest=earliest, latest=latest)
        if first is not None:
            matches.append(Match(row, first, open_fit, taken, earliest, latest, limits.slot))
    matches.sort(key=lambda m: (m.first_start, m.facility.name.lower(), m.facility.id))
    return matches


def group_runs(starts: list, slot: timedelta, key=None) -> list[tuple]:
    """Consecutive starts one slot apart as (first, last) runs: '08:00 to 17:00'. `key` gives
    the instant of each item (the items themselves by default)."""
    runs: list[tuple] = []
    previous = None
    for item in starts:
        at = key(item) if key else item
        if runs and at - previous == slot:
            runs[-1] = (runs[-1][0], item)
        else:
            runs.append((item, item))
        previous = at
    return runs


# --- the facility page's calendars --------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    start: datetime
    state: str


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def calendar_window(monday: date, first_of_month: date, tz: str) -> Interval:
    """One window covering the shown week and month, so the page needs one computation."""
    zone = ZoneInfo(tz)
    last_of_month = first_of_month.replace(day=calendar.monthrange(first_of_month.year, first_of_month.month)[1])
    first = min(monday, first_of_month)
    last = max(monday + timedelta(days=6), last_of_month)
    return Interval(local_day_bounds(first, zone).start, local_day_bounds(last, zone).end)


PAST, SKIPPED = "past", "skipped"
# Free, but no booking may start then: inside the notice period, or past the booking horizon.
TOO_SOON, NOT_YET = "too_soon", "not_yet"


def week_rows(found: Availability, monday: date, tz: str, now: datetime,
              rules: RuleSet | None = None) -> list[tuple[time, list[Cell]]]:
    """Hour rows × seven days, from the week's first opening hour to its last (all 24 hours
    if it is open around the clock, none if it is closed all week). Each hour is a wall-clock
    hour: on the spring DST day 03:00 does not exist ("skipped"), in autumn it lasts two.
    Hours already over are "past"; with the facility's `rules`, a free hour in which no
    booking may start is "too_soon" (inside the notice period) or "not_yet" (past the horizon)."""
    earliest, latest = rules.start_bounds(now) if rules else (None, None)
    zone = ZoneInfo(tz)
    days = [monday + timedelta(days=i) for i in range(7)]
    rows = []
    for hour in range(24):
        cells = []
        for day in days:
            start = local_instant(day, time(hour), zone)
            end = local_instant(day + timedelta(days=1), time(0), zone) if hour == 23 else \
                local_instant(day, time(hour + 1), zone)
            state = cell_state(found, Interval(start, end))
            if start == end:
                state = SKIPPED
            elif end <= now and state != CELL_CLOSED:
                state = PAST
            elif rules and state in (CELL_FREE, CELL_PARTLY_FREE) and end <= earliest:
                state = TOO_SOON
            elif rules and state in (CELL_FREE, CELL_PARTLY_FREE) and start > latest:
                state = NOT_YET
            cells.append(Cell(start, state))
        rows.append((time(hour), cells))
    shown = [i for i, (_, cells) in enumerate(rows) if any(c.state not in (CELL_CLOSED, SKIPPED) for c in cells)]
    return rows[shown[0]:shown[-1] + 1] if shown else []


@dataclass(frozen=True)
class MonthDay:
    day: date
    label: str
    booked: float


def month_weeks(found: Availability, first_of_month: date, tz: str, today: date) -> list[list[MonthDay | None]]:
    """The month as weeks (Monday first) of days labelled by how booked they are (days before
    `today` are "past"); None pads the first and last week."""
    zone = ZoneInfo(tz)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first_of_month.year, first_of_month.month):
        row = []
        for day in week:
            if day.month != first_of_month.month:
                row.append(None)
                continue
            label, booked = day_load(found, local_day_bounds(day, zone))
            row.append(MonthDay(day, PAST if day < today else label, booked))
        weeks.append(row)
    return weeks
