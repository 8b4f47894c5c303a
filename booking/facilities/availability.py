"""Availability, computed by pure functions from plain values (no Flask, no database).

A facility's weekly hours are in its local time zone; everything returned is an aware UTC
interval, half-open [start, end). Days are walked in local time, so a DST day simply has
23 or 25 hours and an 08:00 opening stays at 08:00 local on both sides of the change.

Buffers: an existing reservation's busy interval already includes its own buffers. A new
reservation [s, e) with buffers (before, after) fits when [s - before, e + after) overlaps
no busy interval, which is the same rule the database's exclusion constraint enforces.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("intervals need aware datetimes")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class WeeklyHours:
    """One opening interval on a weekday (Monday = 0), from `valid_from` until a newer version."""
    valid_from: date
    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Schedule:
    """Everything that decides when a facility is open."""
    timezone: str
    hours: tuple[WeeklyHours, ...] = ()
    # Dates whose hours are replaced: date → ((start, end), ...) in local time.
    special: dict[date, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    closures: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Availability:
    timezone: str
    open: list[Interval]
    busy: list[Interval]
    free: list[Interval]


def merge(intervals) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined."""
    result: list[Interval] = []
    for iv in sorted(i for i in intervals if i.end > i.start):
        if result and iv.start <= result[-1].end:
            if iv.end > result[-1].end:
                result[-1] = Interval(result[-1].start, iv.end)
        else:
            result.append(iv)
    return result


def subtract(intervals, removed) -> list[Interval]:
    """`intervals` minus every part covered by `removed` (both in any order)."""
    removed = merge(removed)
    result = []
    for iv in merge(intervals):
        start = iv.start
        for cut in removed:
            if cut.end <= start or cut.start >= iv.end:
                continue
            if cut.start > start:
                result.append(Interval(start, cut.start))
            start = max(start, cut.end)
            if start >= iv.end:
                break
        if start < iv.end:
            result.append(Interval(start, iv.end))
    return result


def clip(intervals, window: Interval) -> list[Interval]:
    return [Interval(max(i.start, window.start), min(i.end, window.end))
            for i in intervals if i.overlaps(window)]


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time. A time skipped by a DST jump moves
    forward by the gap (03:30 on Helsinki's spring-forward night → 04:30 local time)."""
    # zoneinfo reads a skipped time with the offset before the jump (fold=0), which is
    # exactly "forward by the gap"; a repeated autumn time means its first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def local_day_bounds(day: date, tz: ZoneInfo) -> Interval:
    """Local midnight to the next local midnight (23, 24 or 25 hours)."""
    return Interval(local_instant(day, time(0), tz), local_instant(day + timedelta(days=1), time(0), tz))


def _local_interval(day: date, start: time, end: time, tz: ZoneInfo) -> Interval:
    end_day = day if end > start else day + timedelta(days=1)
    return Interval(local_instant(day, start, tz), local_instant(end_day, end, tz))


def _hours_on(day: date, hours: tuple[WeeklyHours, ...]) -> list[tuple[time, time]]:
    versions = [h.valid_from for h in hours if h.valid_from <= day]
    if not versions:
        return []
    current = max(versions)
    return [(h.start, h.end) for h in hours if h.valid_from == current and h.weekday == day.weekday()]


def open_intervals(schedule: Schedule, window: Interval) -> list[Interval]:
    """When the facility is open within the window: weekly hours (or a date's special
    hours instead), minus closures."""
    tz = ZoneInfo(schedule.timezone)
    # Start a day early: yesterday's interval may run past midnight into the window.
    day = window.start.astimezone(tz).date() - timedelta(days=1)
    last = window.end.astimezone(tz).date()
    opened = []
    while day <= last:
        spans = schedule.special.get(day)
        if spans is None:
            spans = _hours_on(day, schedule.hours)
        opened.extend(_local_interval(day, start, end, tz) for start, end in spans)
        day += timedelta(days=1)
    return clip(subtract(merge(opened), schedule.closures), window)


def free_intervals(opened, busy, buffer_before: timedelta = timedelta(0),
                   buffer_after: timedelta = timedelta(0)) -> list[Interval]:
    """Open time in which a new reservation may lie, given the busy intervals and the new
    reservation's own buffers (a start must leave `buffer_before` after the previous busy
    end, an end must leave `buffer_after` before the next busy start)."""
    widened = [Interval(b.start - buffer_after, b.end + buffer_before) for b in busy]
    return subtract(opened, widened)


def availability(schedule: Schedule, busy, window: Interval, buffer_before: timedelta = timedelta(0),
                 buffer_after: timedelta = timedelta(0)) -> Availability:
    opened = open_intervals(schedule, window)
    busy_in_window = clip(merge(busy), window)
    return Availability(schedule.timezone, opened, busy_in_window,
                        free_intervals(opened, busy, buffer_before, buffer_after))


def start_times(free, duration: timedelta, slot: timedelta, tz: str, *, earliest: datetime | None = None,
                latest: datetime | None = None) -> list[datetime]:
    """Every start on the slot grid (aligned to local midnight) whose [start, start+duration)
    lies inside one free interval, between `earliest` and `latest` (inclusive)."""
    zone = ZoneInfo(tz)
    starts = []
    for iv in merge(free):
        if iv.duration < duration:
            continue
        local = iv.start.astimezone(zone)
        midnight = local_instant(local.date(), time(0), zone)
        offset = iv.start - midnight
        steps = -(-offset // slot)  # ceiling division on timedeltas
        candidate = midnight + steps * slot
        while candidate + duration <= iv.end:
            if (earliest is None or candidate >= earliest) and (latest is None or candidate <= latest):
                starts.append(candidate)
            candidate += slot
    return starts


def first_fit(free, duration: timedelta, slot: timedelta, tz: str, *, earliest: datetime | None = None,
              latest: datetime | None = None) -> datetime | None:
    """The first possible start, or None."""
    starts = start_times(free, duration, slot, tz, earliest=earliest, latest=latest)
    return starts[0] if starts else None
