"""From stored facilities to the plain values the availability functions take.

Busy time comes from domains above this one (reservations), which register a provider
here at import; the facilities domain never imports them.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.facilities.availability import Interval, Schedule, WeeklyHours, availability
from booking.facilities.models import Closure, Facility

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


def load_for_schedules(facility_ids: Iterable[int]) -> list[Facility]:
    """Facilities with hours, special openings and rules loaded in a fixed number of queries."""
    stmt = (select(Facility).where(Facility.id.in_(list(facility_ids)))
            .options(selectinload(Facility.opening_hours), selectinload(Facility.special_openings),
                     selectinload(Facility.rules)))
    return list(db.session.scalars(stmt))


def closures_in(facility_ids: list[int], window: Interval) -> dict[int, list[Interval]]:
    rows = db.session.execute(select(Closure.facility_id, Closure.start_dt, Closure.end_dt).where(
        Closure.facility_id.in_(facility_ids), Closure.start_dt < window.end, Closure.end_dt > window.start))
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


def buffers(facility: Facility) -> tuple[timedelta, timedelta]:
    rules = facility.rules
    if rules is None:
        return timedelta(0), timedelta(0)
    return timedelta(minutes=rules.buffer_before_minutes), timedelta(minutes=rules.buffer_after_minutes)


def availability_for(facilities: list[Facility], window: Interval) -> dict[int, object]:
    """Availability of each facility in the window, in a number of queries that does not
    grow with the number of facilities (hours must already be loaded: load_for_schedules)."""
    ids = [f.id for f in facilities]
    # Busy intervals just outside the window still push buffers into it.
    margin = timedelta(days=1)
    wide = Interval(window.start - margin, window.end + margin)
    closures = closures_in(ids, wide)
    busy = busy_intervals(ids, wide)
    result = {}
    for facility in facilities:
        before, after = buffers(facility)
        result[facility.id] = availability(schedule_for(facility, closures.get(facility.id, [])),
                                           busy.get(facility.id, []), window, before, after)
    return result
