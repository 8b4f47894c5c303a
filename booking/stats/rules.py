"""The statistics maths, pure: plain values in, plain values out (no Flask, no database).

Definitions (the README's, followed exactly):
- open hours: opening hours minus closures and internal blocks, in the facility's local time
  (a DST day has 23 or 25 hours);
- booked hours: confirmed, checked-in and completed reservation time, clipped to the period
  and to open hours; pending time is counted apart, never mixed in;
- utilisation = booked / open: 0 without open hours, never above 100 %.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.accounts.models import Role
from booking.accounts.rules import can_manage_department
from booking.facilities.availability import Interval, local_day_bounds, merge, subtract

ZERO = timedelta(0)


@dataclass
class DayFigures:
    """One facility's local day, in whole minutes (the rollup row)."""
    day: date
    open_minutes: int = 0
    booked_minutes: int = 0
    pending_minutes: int = 0
    open_hours: list[int] = field(default_factory=lambda: [0] * 24)    # minutes per local hour
    booked_hours: list[int] = field(default_factory=lambda: [0] * 24)


def open_time(opened: list[Interval], closed: list[Interval]) -> list[Interval]:
    """Open hours: when the hours open the facility, minus closures and internal blocks."""
    return subtract(opened, closed) if closed else merge(opened)


def overlap(intervals, others) -> list[Interval]:
    """The parts of `intervals` that also lie in `others`, in one pass over both sorted lists
    (a year of one facility is thousands of intervals)."""
    a, b = merge(intervals), merge(others)
    result, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            result.append(Interval(start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def _minutes(intervals) -> int:
    return int(sum(((e - s) for s, e in intervals), ZERO).total_seconds() // 60)


def _per_local_hour(intervals: list[Interval], tz: ZoneInfo) -> list[int]:
    """Minutes of the intervals in each local hour of the day (on a 25-hour day the repeated
    hour counts twice; on a 23-hour day the skipped hour has none)."""
    seconds = [0.0] * 24
    for start, end in intervals:
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        if local_start.utcoffset() != local_end.utcoffset():
            _split_across_change(start, end, tz, seconds)
            continue
        # No clock change inside: walk the wall clock without asking the zone again.
        at, stop = local_start.replace(tzinfo=None), local_end.replace(tzinfo=None)
        while at < stop:
            following = min(stop, at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
            seconds[at.hour] += (following - at).total_seconds()
            at = following
    return [int(s // 60) for s in seconds]


def _split_across_change(start: datetime, end: datetime, tz: ZoneInfo, seconds: list[float]) -> None:
    """An interval over a DST change, an hour at a time in UTC (every local hour boundary is
    one in UTC too, for zones a whole or half hour from UTC)."""
    at = start
    while at < end:
        local = at.astimezone(tz)
        step = (60 - local.minute) * 60 - local.second
        following = min(end, at + timedelta(seconds=step))
        seconds[local.hour] += (following - at).total_seconds()
        at = following


def _by_day(intervals: list[Interval], days: list[Interval]) -> list[list[Interval]]:
    """The sorted, disjoint `intervals` cut into each of the consecutive `days`, in one pass."""
    result: list[list[Interval]] = [[] for _ in days]
    first = 0
    for index, (low, high) in enumerate(days):
        while first < len(intervals) and intervals[first][1] <= low:
            first += 1
        at = first
        while at < len(intervals) and intervals[at][0] < high:
            start, end = intervals[at]
            result[index].append(Interval(max(start, low), min(end, high)))
            at += 1
    return result


def day_bounds(tz_name: str, first: date, last: date) -> list[Interval]:
    """Each local day from `first` to `last` as an interval (23, 24 or 25 hours)."""
    tz, bounds, day = ZoneInfo(tz_name), [], first
    while day <= last:
        bounds.append(local_day_bounds(day, tz))
        day += timedelta(days=1)
    return bounds


def minutes_by_day(intervals: list[Interval], open_all: list[Interval], bounds: list[Interval]) -> list[int]:
    """Minutes of `intervals` within the open hours, in each day of `bounds`."""
    return [_minutes(own) for own in _by_day(overlap(intervals, open_all), bounds)]


def day_figures(tz_name: str, first: date, last: date, opened: list[Interval], closed: list[Interval],
                booked: list[Interval], pending: list[Interval]) -> list[DayFigures]:
    """Each local day from `first` to `last` of one facility: its open, booked and pending
    minutes, booked and pending clipped to the open hours (so booked never exceeds open)."""
    tz = ZoneInfo(tz_name)
    open_all = open_time(opened, closed)
    booked_all = overlap(booked, open_all) if booked and open_all else []
    pending_all = subtract(overlap(pending, open_all), booked_all) if pending and open_all else []
    bounds = day_bounds(tz_name, first, last)
    days = [first + timedelta(days=n) for n in range(len(bounds))]
    open_days, booked_days, pending_days = (_by_day(x, bounds) for x in (open_all, booked_all, pending_all))
    return [DayFigures(day, _minutes(own_open), _minutes(own_booked), _minutes(own_pending),
                       _per_local_hour(own_open, tz) if own_open else [0] * 24,
                       _per_local_hour(own_booked, tz) if own_booked else [0] * 24)
            for day, own_open, own_booked, own_pending in zip(days, open_days, booked_days, pending_days)]


def local_day(instant: datetime, tz_name: str) -> date:
    return instant.astimezone(ZoneInfo(tz_name)).date()


def utilisation(booked_minutes: int, open_minutes: int) -> float:
    """Booked / open: 0 without open hours, never above 1."""
    if open_minutes <= 0:
        return 0.0
    return min(1.0, max(0.0, booked_minutes / open_minutes))


def rate(part: int, whole: int) -> float | None:
    """A share, or None when there is nothing to share (shown as "–", not as 0 %)."""
    return part / whole if whole > 0 else None


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.5: the median, 0.9: the 90th percentile)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


# --- who may see what --------------------------------------------------------------------------

def can_view_stats(user) -> bool:
    """The dashboard: facility managers (their departments) and admins (the city)."""
    return bool(getattr(user, "is_authenticated", False) and user.role in (Role.admin, Role.facility_manager))


def department_scope(user) -> set[int] | None:
    """The departments a user's dashboard covers: None for the whole city (admins)."""
    if user.role == Role.admin:
        return None
    return set(user.department_ids)


def can_view_department_stats(user, department_id: int) -> bool:
    return can_manage_department(user, department_id)


def can_view_city_overview(user) -> bool:
    """The city overview (what matters today, department by department): admins."""
    return bool(getattr(user, "is_authenticated", False) and user.role == Role.admin)
