"""From stored facilities to the plain values the availability functions take.

Busy time comes from domains above this one (reservations), which register a provider
here at import; the facilities domain never imports them.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Callable, Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from booking.extensions import db
from booking.facilities.availability import Availability, Interval, Schedule, WeeklyHours, availability
from booking.facilities.models import Closure, Facility, OpeningHours, SpecialOpening
from booking.facilities.ruleset import RuleSet

# provider(facility_ids, window) → {facility_id: [busy intervals, buffers included]}
BusyProvider = Callable[[list[int], Interval], dict[int, list[Interval]]]
_busy_providers: list[BusyProvider] = []


def register_busy_provider(provider: BusyProvider) -> BusyProvider:
    if provider not in _busy_providers:
        _busy_providers.append(provider)
    return provider


def busy_intervals(facility_ids: list[int], window: Interval) -> dict[int, list[Interval]]:
    """Busy time of many facilities at once (one query per provider, whatever their number)."""
    result: dict[int, list[Interval]] = defaultdict(list)
    for provider in _busy_providers:
        for facility_id, intervals in provider(list(facility_ids), window).items():
            result[facility_id].extend(intervals)
    return result


def _id_filter(column, facility_ids):
    """`column IN (...)` for a list of ids or for a select of ids (kept as a subquery, so
    thousands of facilities never become thousands of bound parameters)."""
    if isinstance(facility_ids, Select):
        return column.in_(facility_ids.scalar_subquery())
    return column.in_(list(facility_ids))


def load_for_schedules(facility_ids: Iterable[int] | Select) -> list[Facility]:
    """Facilities with their booking rules, in one query however many there are
    (`facility_ids` is a list of ids or a select of ids). `availability_for` reads their hours
    itself, as plain rows: building thousands of ORM objects was most of a search's time."""
    return list(db.session.scalars(select(Facility).where(_id_filter(Facility.id, facility_ids))
                                   .options(joinedload(Facility.rules))))


def weekly_hours(facility_ids: list[int]) -> dict[int, tuple[WeeklyHours, ...]]:
    rows = db.session.execute(select(OpeningHours.facility_id, OpeningHours.valid_from, OpeningHours.weekday,
                                     OpeningHours.start_time, OpeningHours.end_time)
                              .where(_id_filter(OpeningHours.facility_id, facility_ids))).all()
    result: dict[int, list[WeeklyHours]] = defaultdict(list)
    for facility_id, valid_from, weekday, start, end in rows:
        result[facility_id].append(WeeklyHours(valid_from, weekday, start, end))
    return {facility_id: tuple(hours) for facility_id, hours in result.items()}


def special_openings(facility_ids: list[int], window: Interval) -> dict[int, dict]:
    """facility → {date: ((start, end), ...)} for the dates around the window (any time zone)."""
    first, last = window.start.date() - timedelta(days=2), window.end.date() + timedelta(days=1)
    rows = db.session.execute(select(SpecialOpening.facility_id, SpecialOpening.date, SpecialOpening.start_time,
                                     SpecialOpening.end_time)
                              .where(_id_filter(SpecialOpening.facility_id, facility_ids),
                                     SpecialOpening.date.between(first, last))
                              .order_by(SpecialOpening.date, SpecialOpening.start_time)).all()
    result: dict[int, dict] = defaultdict(lambda: defaultdict(tuple))
    for facility_id, day, start, end in rows:
        result[facility_id][day] += ((start, end),)
    return result


def closures_in(facility_ids: list[int], window: Interval) -> dict[int, list[Interval]]:
    rows = db.session.execute(select(Closure.facility_id, Closure.start_dt, Closure.end_dt).where(
        Closure.facility_id.in_(facility_ids), Closure.start_dt < window.end, Closure.end_dt > window.start)).all()
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


def availability_for(facilities: list[Facility], window: Interval) -> dict[int, Availability]:
    """Availability of each facility in the window, in a number of queries that does not grow
    with the number of facilities: hours, special openings, closures, one per busy provider."""
    ids = [f.id for f in facilities]
    limits = {f.id: ruleset_for(f) for f in facilities}
    # Busy time just outside the window still matters when a new booking's buffers reach it.
    margin = max((max(x.buffer_before, x.buffer_after) for x in limits.values()), default=timedelta(0))
    hours = weekly_hours(ids)
    special = special_openings(ids, window)
    closures = closures_in(ids, window)
    busy = busy_intervals(ids, Interval(window.start - margin, window.end + margin))
    result = {}
    for facility in facilities:
        schedule = Schedule(facility.timezone, hours.get(facility.id, ()), dict(special.get(facility.id, {})),
                            tuple(closures.get(facility.id, ())))
        own = limits[facility.id]
        result[facility.id] = availability(schedule, busy.get(facility.id, []), window, own.buffer_before,
                                           own.buffer_after)
    return result
