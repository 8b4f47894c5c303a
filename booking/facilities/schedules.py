"""From stored facilities to the plain values the availability functions take, and the SQL
that decides most of a free-time search without them.

Busy time comes from domains above this one (reservations), which register a provider
here at import; the facilities domain never imports them. A provider may also give its busy
time as SQL (`sql=`), which lets a search over thousands of facilities be decided by the
database (`open_state`, `blocked`) instead of one Python computation per facility.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (ARRAY, Date, Integer, Select, String, Time, and_, any_, bindparam, case, cast, exists,
                        false, func, literal, literal_column, null, or_, select, true, union_all)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.sqltypes import NULLTYPE
from sqlalchemy.sql.visitors import InternalTraversal

from booking.database import UTCDateTime
from booking.extensions import db, plain_rows
from booking.facilities.availability import (Availability, Interval, Schedule, WeeklyHours, clip, free_intervals,
                                             merge, opened_by_hours, subtract)
from booking.facilities.models import BookingRules, Closure, Facility, OpeningHours, SpecialOpening
from booking.facilities.ruleset import RuleSet

# provider(facility_ids, window) → {facility_id: [busy intervals, buffers included]}
BusyProvider = Callable[[list[int], Interval], dict[int, list[Interval]]]
# sql(window) → a select of (facility_id, start_dt, end_dt): the same busy time, overlapping the window
BusySql = Callable[[Interval], Select]
_busy_providers: list[BusyProvider] = []
_busy_sql: dict[BusyProvider, BusySql] = {}


def register_busy_provider(provider: BusyProvider, *, sql: BusySql | None = None) -> BusyProvider:
    """Add a source of busy time. With `sql`, the same time as a select (facility_id,
    start_dt, end_dt) of the rows overlapping a window: searches then ask the database."""
    if provider not in _busy_providers:
        _busy_providers.append(provider)
    if sql is not None:
        _busy_sql[provider] = sql
    return provider


def busy_selects(window: Interval) -> list[Select] | None:
    """Every provider's busy time in the window as SQL, or None if one has no SQL form."""
    if any(provider not in _busy_sql for provider in _busy_providers):
        return None
    return [_busy_sql[provider](window) for provider in _busy_providers]


class InSelect(ColumnElement):
    """`column IN (select)`, written `column = ANY(ARRAY(select))` on PostgreSQL: it then
    reads the ids first and walks an index on `column` once per id, where for IN it hashes
    them and scans everything else the query matches (a week's active reservations of 1,500
    facilities: 8 ms instead of 19, the whole table's active rows read for 1,800)."""
    inherit_cache = True
    type = NULLTYPE  # a boolean, but typed as one SQLite would get "= 1" after it and lose the IN plan
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, ids: Select):
        self.column, self.ids = column, ids.scalar_subquery()


@compiles(InSelect)
def _in_select(element, compiler, **kw):
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(InSelect, "postgresql")
def _any_array(element, compiler, **kw):
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY({compiler.process(element.ids, **kw)}))"


def in_ids(column, ids: list[int]):
    """`column IN (ids)`; on PostgreSQL `column = ANY(:ids)`, one array parameter: the statement's
    text then stays the same whatever the number of ids, so the driver prepares it after a few
    runs and PostgreSQL stops planning it each time (3 ms for the UNION of
    schedule_parts_at_once, more than running it)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(ids), ARRAY(Integer)))
    return column.in_(list(ids))


def in_ids_param(column, name: str = "ids"):
    """in_ids for a statement built once: the ids are the parameter `name`, given at execution."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def _id_filter(column, facility_ids):
    """`column IN (...)` for a list of ids or for a select of ids (kept as a subquery, so
    thousands of facilities never become thousands of bound parameters)."""
    if isinstance(facility_ids, Select):
        return InSelect(column, facility_ids)
    return column.in_(list(facility_ids))


def busy_intervals(facility_ids: list[int] | Select, window: Interval) -> dict[int, list[Interval]]:
    """Busy time of many facilities at once (one query per provider, whatever their number).
    `facility_ids` may be a select of ids: providers with an SQL form then take it as a subquery."""
    result: dict[int, list[Interval]] = defaultdict(list)
    selects = busy_selects(window) if isinstance(facility_ids, Select) else None
    if selects is not None:
        for stmt in selects:
            for facility_id, start, end in db.session.execute(
                    stmt.where(_id_filter(stmt.selected_columns[0], facility_ids))):
                result[facility_id].append(Interval(start, end))
        return result
    ids = list(db.session.scalars(facility_ids)) if isinstance(facility_ids, Select) else list(facility_ids)
    for provider in _busy_providers:
        for facility_id, intervals in provider(ids, window).items():
            result[facility_id].extend(intervals)
    return result


def load_for_schedules(facility_ids: Iterable[int] | Select) -> list[Facility]:
    """Facilities with their booking rules, in one query however many there are
    (`facility_ids` is a list of ids or a select of ids). `availability_for` reads their hours
    itself, as plain rows: building thousands of ORM objects was most of a search's time."""
    return list(db.session.scalars(select(Facility).where(_id_filter(Facility.id, facility_ids))
                                   .options(joinedload(Facility.rules))))


# One span of a version as text, "weekday start end": built once, not per search.
_SPANS = (cast(OpeningHours.weekday, String) + " " + cast(OpeningHours.start_time, String) + " "
          + cast(OpeningHours.end_time, String))


def weekly_hours(facility_ids, window: Interval | None = None) -> dict[int, tuple[WeeklyHours, ...]]:
    """Each facility's weekly hours, sorted: every version, or with a `window` only those in
    force on some day around it. Facilities with the same hours share one tuple: a version
    comes from the database as one string, and a city's thousands of rows are a few hundred
    distinct schedules, each parsed once."""
    rows = db.session.execute(
        select(OpeningHours.facility_id, OpeningHours.valid_from, func.aggregate_strings(_SPANS, ","))
        .where(_id_filter(OpeningHours.facility_id, facility_ids))
        .group_by(OpeningHours.facility_id, OpeningHours.valid_from))
    return _hours_of(rows, window)


def _hours_of(rows, window: Interval | None) -> dict[int, tuple[WeeklyHours, ...]]:
    """weekly_hours from its rows (facility_id, valid_from, "weekday start end,…")."""
    versions: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for facility_id, valid_from, text in rows:
        versions[facility_id].append((valid_from, ",".join(sorted(text.split(",")))))
    shared: dict[tuple, tuple[WeeklyHours, ...]] = {}
    result = {}
    around = (window.start.date() - timedelta(days=2), window.end.date() + timedelta(days=1)) if window else None
    for facility_id, own in versions.items():
        key = tuple(sorted(own))
        if around is not None:
            key = _in_force(key, *around)
        hours = shared.get(key)
        if hours is None:
            hours = shared[key] = tuple(sorted(_weekly(valid_from, span) for valid_from, text in key
                                               for span in text.split(",")))
        result[facility_id] = hours
    return result


def _in_force(versions: tuple, first: date, last: date) -> tuple:
    """The versions (sorted by valid_from) that apply on some day from `first` to `last`: the
    local days a window touches in any time zone, and the day before them (its night may run
    into the window)."""
    if len(versions) == 1 and versions[0][0] <= first:
        return versions
    current = [n for n, (valid_from, _) in enumerate(versions) if valid_from <= first]
    start = current[-1] if current else 0
    return tuple(v for v in versions[start:] if v[0] <= last)


def _weekly(valid_from: date, span: str) -> WeeklyHours:
    weekday, start, end = span.split(" ")
    return WeeklyHours(valid_from, int(weekday), time.fromisoformat(start), time.fromisoformat(end))


def special_openings(facility_ids, window: Interval) -> dict[int, dict]:
    """facility → {date: ((start, end), ...)} for the dates around the window (any time zone)."""
    first, last = window.start.date() - timedelta(days=2), window.end.date() + timedelta(days=1)
    rows = db.session.execute(select(SpecialOpening.facility_id, SpecialOpening.date, SpecialOpening.start_time,
                                     SpecialOpening.end_time)
                              .where(_id_filter(SpecialOpening.facility_id, facility_ids),
                                     SpecialOpening.date.between(first, last))
                              .order_by(SpecialOpening.date, SpecialOpening.start_time)).all()
    return _special_of(rows)


def _special_of(rows) -> dict[int, dict]:
    """special_openings from its rows (facility_id, date, start, end), sorted by date and start."""
    result: dict[int, dict] = defaultdict(lambda: defaultdict(tuple))
    for facility_id, day, start, end in rows:
        result[facility_id][day] += ((start, end),)
    return result


def closures_in(facility_ids, window: Interval) -> dict[int, list[Interval]]:
    rows = db.session.execute(select(Closure.facility_id, Closure.start_dt, Closure.end_dt).where(
        _id_filter(Closure.facility_id, facility_ids), Closure.start_dt < window.end,
        Closure.end_dt > window.start)).all()
    result: dict[int, list[Interval]] = defaultdict(list)
    for facility_id, start, end in rows:
        result[facility_id].append(Interval(start, end))
    return result


def schedule_for(facility: Facility, closures: list[Interval]) -> Schedule:
    special: dict = defaultdict(list)
    for opening in facility.special_openings:
        special[opening.date].append((opening.start_time, opening.end_time))
    return Schedule(
        timezone=facility.timezone,
        hours=tuple(WeeklyHours(h.valid_from, h.weekday, h.start_time, h.end_time) for h in facility.opening_hours),
        special={day: tuple(spans) for day, spans in special.items()},
        closures=tuple(closures),
    )


def ruleset_for(facility: Facility) -> RuleSet:
    """The facility's booking rules as one plain value (the defaults if it has none)."""
    return RuleSet.of(facility)


class Schedulable(NamedTuple):
    """What availability needs to know of a facility besides its hours: no ORM object."""
    id: int
    timezone: str
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


def availability_for(facilities: list[Facility], window: Interval) -> dict[int, Availability]:
    """Availability of each facility in the window, in a number of queries that does not grow
    with the number of facilities: hours, special openings, closures, one per busy provider."""
    items = []
    for facility in facilities:
        own = ruleset_for(facility)
        items.append(Schedulable(facility.id, facility.timezone, own.buffer_before, own.buffer_after))
    return availability_of(items, window)


class Parts(NamedTuple):
    """What decides a facility's availability in a window, before any arithmetic between them."""
    opened: list[Interval]    # by its hours and special openings alone: shared by every facility with the same
    closures: list[Interval]
    busy: list[Interval]      # existing bookings with their own buffers, unmerged


def schedule_parts(items: list[Schedulable], window: Interval, ids: Select | None = None) -> dict[int, Parts]:
    """Each facility's Parts in the window, in a number of queries that does not grow with the
    number of facilities (hours, special openings, closures, one per busy provider). `ids` (a
    select of the same facilities' ids) keeps thousands of ids out of the queries. Opening
    times are computed once per distinct schedule, and facilities that share it share the list."""
    if not items:
        return {}
    ids = ids if ids is not None else [item.id for item in items]
    # Busy time just outside the window still matters when a new booking's buffers reach it.
    margin = max(max(x.buffer_before, x.buffer_after) for x in items)
    hours = weekly_hours(ids, window)
    special = special_openings(ids, window)
    closures = closures_in(ids, window)
    busy = busy_intervals(ids, Interval(window.start - margin, window.end + margin))
    return _parts(items, window, hours, special, closures, busy)


def schedule_parts_at_once(items: list[Schedulable], window: Interval) -> dict[int, Parts]:
    """schedule_parts of a few facilities (by id) in one query: hours, special openings,
    closures and busy time as one UNION ALL, where every busy provider has an SQL form (else
    schedule_parts). Four round trips were a quarter of a free-room search on PostgreSQL."""
    if not items:
        return {}
    ids = [item.id for item in items]
    margin = max(max(x.buffer_before, x.buffer_after) for x in items)
    busy_sql = busy_selects(Interval(window.start - margin, window.end + margin))
    if busy_sql is None:
        return schedule_parts(items, window)
    first, last = window.start.date() - timedelta(days=2), window.end.date() + timedelta(days=1)
    # The first select types the columns (and their result processing) for all of them.
    parts = [
        select(literal_column("0", Integer), OpeningHours.facility_id, OpeningHours.valid_from, cast(null(), Time),
               cast(null(), Time), func.aggregate_strings(_SPANS, ","), cast(null(), UTCDateTime),
               cast(null(), UTCDateTime))
        .where(in_ids(OpeningHours.facility_id, ids)).group_by(OpeningHours.facility_id, OpeningHours.valid_from),
        select(literal_column("1", Integer), SpecialOpening.facility_id, SpecialOpening.date,
               SpecialOpening.start_time, SpecialOpening.end_time, null(), null(), null())
        .where(in_ids(SpecialOpening.facility_id, ids), SpecialOpening.date.between(first, last)),
        select(literal_column("2", Integer), Closure.facility_id, null(), null(), null(), null(), Closure.start_dt,
               Closure.end_dt)
        .where(in_ids(Closure.facility_id, ids), Closure.start_dt < window.end, Closure.end_dt > window.start),
    ]
    for stmt in busy_sql:
        own = stmt.where(in_ids(stmt.selected_columns[0], ids)).subquery()
        parts.append(select(literal_column("3", Integer), own.c[0], null(), null(), null(), null(), own.c[1],
                            own.c[2]))
    hours, special, closures, busy = [], [], defaultdict(list), defaultdict(list)
    for kind, facility_id, day, start_time, end_time, spans, start, end in \
            plain_rows(union_all(*parts)):
        if kind == 0:
            hours.append((facility_id, day, spans))
        elif kind == 1:
            special.append((facility_id, day, start_time, end_time))
        else:
            (closures if kind == 2 else busy)[facility_id].append(Interval(start, end))
    special.sort(key=lambda row: (row[1], row[2], row[3]))
    return _parts(items, window, _hours_of(hours, window), _special_of(special), closures, busy)


def _parts(items: list[Schedulable], window: Interval, hours: dict, special: dict, closures: dict,
           busy: dict) -> dict[int, Parts]:
    opened_cache: dict[tuple, list[Interval]] = {}
    result = {}
    for item in items:
        own_hours, own_special = hours.get(item.id, ()), special.get(item.id)
        # weekly_hours shares one tuple among facilities with the same hours: its id is the key.
        key = (item.timezone, id(own_hours), tuple(sorted(own_special.items())) if own_special else ())
        opened = opened_cache.get(key)
        if opened is None:
            opened = opened_cache[key] = opened_by_hours(item.timezone, own_hours, own_special or {}, window)
        result[item.id] = Parts(opened, closures.get(item.id, []), busy.get(item.id, []))
    return result


def availability_of(items: list[Schedulable], window: Interval, ids: Select | None = None,
                    at_once: bool = False) -> dict[int, Availability]:
    """`availability_for` from plain values (`ids`: see schedule_parts; `at_once`: read in one
    query, see schedule_parts_at_once). Facilities with the same hours and nothing booked or
    closed share one Availability."""
    parts = schedule_parts_at_once(items, window) if at_once else schedule_parts(items, window, ids)
    clean: dict[int, Availability] = {}
    result = {}
    for item in items:
        opened, closures, busy = parts[item.id]
        if not busy and not closures:
            found = clean.get(id(opened))
            if found is None:
                found = clean[id(opened)] = Availability(item.timezone, opened, [], opened)
        else:
            opened = subtract(opened, closures) if closures else opened
            merged = merge(busy)
            found = Availability(item.timezone, opened, clip(merged, window),
                                 free_intervals(opened, merged, item.buffer_before, item.buffer_after))
        result[item.id] = found
    return result


# --- deciding a free-time search in SQL ----------------------------------------------------
# A facility has free time in a window when its hours open it there and nothing covers that
# time. The database answers "open in the window" by comparing wall-clock times, exact on days
# far from a DST change; a facility with a closure or busy time near the window, or open only
# on a day close to a DST change, is left for the exact Python computation.

SURE, MAYBE, CLOSED = "sure", "maybe", "closed"


class _Day(NamedTuple):
    day: date
    clean: bool                 # no DST change within a day of it: wall-clock comparisons are exact
    start_before: time | None   # a span must start before this (None: any start)
    end_after: time | None      # a span ending the same day must end after this (None: any end)
    night_end_after: time | None  # a span running past midnight must end after this


def _threshold(limit: timedelta) -> time | None:
    """A time of day from a non-negative offset below a day (None below zero: no limit)."""
    if limit < timedelta(0):
        return None
    return (datetime.min + limit).time()


def window_days(window: Interval, tz_name: str) -> list[_Day]:
    """The local days whose hours may open the facility within the window, with the wall-clock
    limits a span of that day must meet to overlap it (see open_state)."""
    zone = ZoneInfo(tz_name)
    low = window.start.astimezone(zone).replace(tzinfo=None)
    high = window.end.astimezone(zone).replace(tzinfo=None)
    days = []
    day = low.date() - timedelta(days=1)
    while day <= high.date():
        midnight = datetime.combine(day, time(0))
        to_end, from_start = high - midnight, low - midnight
        if to_end > timedelta(0):
            offsets = {datetime.combine(day + timedelta(days=n), time(0), zone).utcoffset() for n in range(-1, 4)}
            days.append(_Day(
                day, len(offsets) == 1,
                _threshold(to_end) if to_end < timedelta(days=1) else None,
                time.max if from_start >= timedelta(days=1) else _threshold(from_start),
                _threshold(from_start - timedelta(days=1))))
        day += timedelta(days=1)
    return days


# The expressions below have a shape fixed by how many days and zones a window spans, and
# their dates and times as bound parameters: built once per shape, they cost nothing later.
_shapes: dict[tuple, tuple] = {}


def _span_meets(start, end, day: _Day, name: str):
    """SQL: the span (start, end) of `day` overlaps the window (an end at or before the
    start runs past midnight)."""
    conditions = []
    if day.start_before is not None:
        conditions.append(start < bindparam(f"{name}_sb", type_=Time))
    same_day = true() if day.end_after is None else end > bindparam(f"{name}_ea", type_=Time)
    overnight = true() if day.night_end_after is None else end > bindparam(f"{name}_na", type_=Time)
    if day.end_after is not None or day.night_end_after is not None:
        conditions.append(or_(and_(end > start, same_day), and_(end <= start, overnight)))
    return and_(true(), *conditions)


def _opens_on(zones: list[tuple[str, list[tuple[_Day, str]]]], exact: bool):
    """SQL: the facility's hours of one of its zone's days (its special opening, else the
    weekly version in force) have a span that overlaps the window; not `exact`: any span that
    day. One EXISTS per table whatever the zones and days: the zone is tested inside it, so the
    database walks one facility's few rows (an index probe) instead of every row per zone."""
    newer = aliased(OpeningHours)
    other_special = aliased(SpecialOpening)
    weekly, special = [], []
    for zone, days in zones:
        if not days:
            continue
        in_zone = Facility.timezone == bindparam(zone, type_=String)
        own_weekly, own_special = [], []
        for day, name in days:
            on = bindparam(f"{name}_day", type_=Date)
            # The row's own columns first: the lookups after them run only for a span that fits.
            own_weekly.append(and_(
                OpeningHours.weekday == bindparam(f"{name}_wd", type_=Integer), OpeningHours.valid_from <= on,
                _span_meets(OpeningHours.start_time, OpeningHours.end_time, day, name) if exact else true(),
                ~exists().where(newer.facility_id == OpeningHours.facility_id,
                                newer.valid_from > OpeningHours.valid_from, newer.valid_from <= on),
                ~exists().where(other_special.facility_id == OpeningHours.facility_id, other_special.date == on)))
            own_special.append(and_(SpecialOpening.date == on,
                                    _span_meets(SpecialOpening.start_time, SpecialOpening.end_time, day, name)
                                    if exact else true()))
        weekly.append(and_(in_zone, or_(*own_weekly)))
        special.append(and_(in_zone, or_(*own_special)))
    if not weekly:
        return false()
    return or_(exists().where(OpeningHours.facility_id == Facility.id, or_(*weekly)),
               exists().where(SpecialOpening.facility_id == Facility.id, or_(*special)))


def _day_params(day: _Day, name: str) -> dict:
    values = {f"{name}_day": day.day, f"{name}_wd": day.day.weekday()}
    for suffix, value in (("sb", day.start_before), ("ea", day.end_after), ("na", day.night_end_after)):
        if value is not None:
            values[f"{name}_{suffix}"] = value
    return values


def open_conditions(window: Interval, timezones: Iterable[str]) -> tuple:
    """SQL (sure, maybe, params): the facility's hours surely open it within the window; only
    a day near a DST change might (closures not counted). Execute with `params`."""
    zones = [(tz_name, window_days(window, tz_name)) for tz_name in sorted(timezones)]
    shape = tuple(tuple((d.clean, d.start_before is None, d.end_after is None, d.night_end_after is None)
                        for d in days) for _, days in zones)
    params = {}
    for z, (tz_name, days) in enumerate(zones):
        params[f"z{z}"] = tz_name
        for i, day in enumerate(days):
            params.update(_day_params(day, f"z{z}d{i}"))
    if shape not in _shapes:
        named = [(f"z{z}", [(d, f"z{z}d{i}") for i, d in enumerate(days)]) for z, (_, days) in enumerate(zones)]
        _shapes[shape] = (_opens_on([(zone, [(d, n) for d, n in days if d.clean]) for zone, days in named], True),
                          _opens_on([(zone, [(d, n) for d, n in days if not d.clean]) for zone, days in named], False))
    return (*_shapes[shape], params)


FREE, CHECK, NOT_FREE = "free", "check", "no"


def free_time_state(window: Interval, timezones: Iterable[str], margin: timedelta) -> tuple:
    """SQL CASE and its params: FREE when the database alone knows the facility has free time
    in the window (surely open, nothing near), NOT_FREE when it is surely closed, CHECK when
    only the exact computation can tell (a closure or busy time near the window, a DST day)."""
    sure, maybe, params = open_conditions(window, timezones)
    covered = blocked(window, margin)
    if covered is None:  # busy time the database cannot see: check whatever may be open
        return case((or_(sure, maybe), CHECK), else_=NOT_FREE), params
    # Nested, so that each condition appears (and is evaluated) once.
    return case((sure, case((covered, CHECK), else_=FREE)), (maybe, CHECK), else_=NOT_FREE), params


def blocked(window: Interval, margin: timedelta):
    """SQL: a closure overlaps the window, or busy time comes within `margin` of it (the largest
    buffer a new booking keeps). None when some busy provider has no SQL form (unknown)."""
    selects = busy_selects(Interval(window.start - margin, window.end + margin))
    if selects is None:
        return None
    # Correlated inside each select, so the database walks one facility's rows by its index. One
    # EXISTS over a UNION ALL: PostgreSQL cannot turn it into a scan of every active reservation
    # in the window hashed by facility (which it prefers for a plain EXISTS, and which is slower).
    closures = select(Closure.facility_id, Closure.start_dt, Closure.end_dt).where(
        Closure.facility_id == Facility.id, Closure.start_dt < window.end, Closure.end_dt > window.start)
    busy = [stmt.where(stmt.selected_columns[0] == Facility.id) for stmt in selects]
    return union_all(closures, *busy).exists()


def schedulable_columns():
    """Columns for a Schedulable row: id, time zone and the buffers in minutes (0 without rules)."""
    return (Facility.id, Facility.timezone, func.coalesce(BookingRules.buffer_before_minutes, 0),
            func.coalesce(BookingRules.buffer_after_minutes, 0))


def schedulable(row) -> Schedulable:
    facility_id, tz_name, before, after = row
    return Schedulable(facility_id, tz_name, timedelta(minutes=before), timedelta(minutes=after))
