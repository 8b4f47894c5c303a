"""Availability, computed by pure functions from plain values (no Flask, no database).

A facility's weekly hours are in its local time zone; everything returned is an aware UTC
interval, half-open [start, end). Days are walked in local time, so a DST day simply has
23 or 25 hours and an 08:00 opening stays at 08:00 local on both sides of the change.

Buffers: an existing reservation's busy interval already includes its own buffers. A new
reservation [s, e) with buffers (before, after) fits when [s - before, e + after) overlaps
no busy interval, which is the same rule the database's exclusion constraint enforces.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

UTC = timezone.utc
_DAY = timedelta(days=1)


class Interval(tuple):
    """[start, end) between two aware instants. A tuple underneath: thousands are made for a
    search, and tuples are created, sorted and compared in C (a frozen dataclass was the
    slowest part of find-a-time)."""

    __slots__ = ()

    def __new__(cls, start: datetime, end: datetime):
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("intervals need aware datetimes")
        return tuple.__new__(cls, (start, end))

    def __getnewargs__(self):
        return tuple(self)

    def __repr__(self):
        return f"Interval(start={self[0]!r}, end={self[1]!r})"

    start = property(itemgetter(0))
    end = property(itemgetter(1))

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


class WeeklyHours(NamedTuple):
    """One opening interval on a weekday (Monday = 0), from `valid_from` until a newer version.
    A named tuple: a search reads thousands, and tuples are built and hashed in C."""
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


def _span(start: datetime, end: datetime) -> Interval:
    """An Interval from instants already known to be aware (skips the check)."""
    return tuple.__new__(Interval, (start, end))


def merge(intervals) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined."""
    result: list[Interval] = []
    for iv in sorted(i for i in intervals if i[1] > i[0]):
        if result and iv[0] <= result[-1][1]:
            if iv[1] > result[-1][1]:
                result[-1] = _span(result[-1][0], iv[1])
        else:
            result.append(iv)
    return result


def subtract(intervals, removed) -> list[Interval]:
    """`intervals` minus every part covered by `removed` (both in any order), in one pass
    over the two sorted lists."""
    removed = merge(removed)
    result = []
    first = 0
    for start, end in merge(intervals):
        while first < len(removed) and removed[first][1] <= start:
            first += 1
        for cut_start, cut_end in removed[first:]:
            if cut_start >= end:
                break
            if cut_start > start:
                result.append(_span(start, cut_start))
            start = max(start, cut_end)
            if start >= end:
                break
        if start < end:
            result.append(_span(start, end))
    return result


def clip(intervals, window: Interval) -> list[Interval]:
    low, high = window
    return [_span(max(s, low), min(e, high)) for s, e in intervals if s < high and low < e]


@lru_cache(maxsize=65536)  # pure; a search over many facilities asks for the same days and hours again and again
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
    return _span(local_instant(day, start, tz), local_instant(end_day, end, tz))


def _weekly_lookup(hours: tuple[WeeklyHours, ...]):
    """day → [(start, end), ...] from the newest version of the hours valid on that day."""
    versions = sorted({h.valid_from for h in hours})
    spans: dict[tuple[date, int], list[tuple[time, time]]] = {}
    for h in hours:
        spans.setdefault((h.valid_from, h.weekday), []).append((h.start, h.end))

    def on(day: date) -> list[tuple[time, time]]:
        index = bisect_right(versions, day) - 1
        return spans.get((versions[index], day.weekday()), []) if index >= 0 else []

    return on


def opened_by_hours(tz_name: str, hours: tuple[WeeklyHours, ...], special: dict, window: Interval) -> list[Interval]:
    """When the weekly hours (or a date's special hours instead) open the facility within
    the window, before closures. Depends on nothing else, so a search computes it once for
    all facilities that share hours."""
    tz = ZoneInfo(tz_name)
    # Start a day early: yesterday's interval may run past midnight into the window.
    day = window.start.astimezone(tz).date() - timedelta(days=1)
    last = window.end.astimezone(tz).date()
    hours_on = _weekly_lookup(hours)
    opened = []
    while day <= last:
        spans = special.get(day)
        if spans is None:
            spans = hours_on(day)
        opened.extend(_local_interval(day, start, end, tz) for start, end in spans)
        day += timedelta(days=1)
    return clip(merge(opened), window)


def open_intervals(schedule: Schedule, window: Interval) -> list[Interval]:
    """When the facility is open within the window: weekly hours (or a date's special
    hours instead), minus closures."""
    opened = opened_by_hours(schedule.timezone, schedule.hours, schedule.special, window)
    return subtract(opened, schedule.closures) if schedule.closures else opened


def free_intervals(opened, busy, buffer_before: timedelta = timedelta(0),
                   buffer_after: timedelta = timedelta(0)) -> list[Interval]:
    """Open time in which a new reservation may lie, given the busy intervals and the new
    reservation's own buffers (a start must leave `buffer_before` after the previous busy
    end, an end must leave `buffer_after` before the next busy start)."""
    return subtract(opened, avoided(busy, buffer_before, buffer_after))


def avoided(busy, buffer_before: timedelta = timedelta(0), buffer_after: timedelta = timedelta(0)) -> list[Interval]:
    """The busy intervals widened by a new reservation's own buffers: the time its
    [start, end) must not overlap."""
    return [_span(start - buffer_after, end + buffer_before) for start, end in busy]


def overlaps_any(start: datetime, end: datetime, intervals) -> bool:
    return any(s < end and start < e for s, e in intervals)


def availability(schedule: Schedule, busy, window: Interval, buffer_before: timedelta = timedelta(0),
                 buffer_after: timedelta = timedelta(0)) -> Availability:
    opened = open_intervals(schedule, window)
    busy = merge(busy)
    return Availability(schedule.timezone, opened, clip(busy, window),
                        free_intervals(opened, busy, buffer_before, buffer_after))


def intersect(intervals, others) -> list[Interval]:
    """The parts of `intervals` that also lie in `others`."""
    others = merge(others)
    if len(others) == 1:
        return clip(merge(intervals), others[0])
    result = []
    for iv in merge(intervals):
        result.extend(clip(others, iv))
    return result


def measure(intervals) -> timedelta:
    return sum((iv.duration for iv in merge(intervals)), timedelta(0))


def day_windows(first: date, last: date, tz: str, start: time | None = None,
                end: time | None = None) -> list[Interval]:
    """Each local date from `first` to `last` (inclusive), limited to `start`–`end` of the day
    when given (an end at or before the start runs into the next day). Whole days join up,
    so a multi-day stay can cross midnight; limited days stay apart."""
    zone = ZoneInfo(tz)
    windows = []
    day = first
    while day <= last:
        windows.append(_local_interval(day, start or time(0), end or time(0), zone))
        day += timedelta(days=1)
    return merge(windows)


def _grid(iv: Interval, slot: timedelta, zone: ZoneInfo):
    """Instants in `iv` whose local wall-clock time is a whole number of slots after local
    midnight. The grid restarts every midnight, so a two-hour grid gives 08:00 and 10:00
    on a DST day too; wall-clock times skipped by the spring jump are not starts, and in
    the repeated autumn hour only the first occurrence is."""
    wall = iv.start.astimezone(zone).replace(tzinfo=None)
    midnight = datetime.combine(wall.date(), time(0))
    step = -(-(wall - midnight) // slot)  # ceiling division on timedeltas
    while True:
        # A day whose two midnights have the same UTC offset has no DST change: its wall
        # clock is that offset from UTC, and each start is one addition (a week of starts
        # for a page of results is thousands of them).
        offset = midnight.replace(tzinfo=zone).utcoffset()
        next_midnight = midnight + _DAY
        regular = next_midnight.replace(tzinfo=zone).utcoffset() == offset
        midnight_utc = (midnight - offset).replace(tzinfo=UTC)
        after = step * slot
        while after < _DAY:
            if regular:
                instant, exists = midnight_utc + after, True
            else:
                candidate = midnight + after
                instant = candidate.replace(tzinfo=zone).astimezone(UTC)
                exists = instant.astimezone(zone).replace(tzinfo=None) == candidate
            if instant >= iv.end:
                return
            if exists and instant >= iv.start:
                yield instant
            after += slot
        midnight, step = next_midnight, 0


def iter_start_times(free, duration: timedelta, slot: timedelta, tz: str, *, earliest: datetime | None = None,
                     latest: datetime | None = None):
    """Every start on the slot grid whose [start, start+duration) lies inside one free
    interval, between `earliest` and `latest` (inclusive), in order."""
    zone = ZoneInfo(tz)
    for start, end in merge(free):
        start = max(start, earliest) if earliest else start
        end = min(end, latest + duration) if latest else end
        if end - start < duration:
            continue
        for candidate in _grid(_span(start, end - duration + timedelta(microseconds=1)), slot, zone):
            yield candidate


def start_times(free, duration: timedelta, slot: timedelta, tz: str, *, earliest: datetime | None = None,
                latest: datetime | None = None) -> list[datetime]:
    return list(iter_start_times(free, duration, slot, tz, earliest=earliest, latest=latest))


def first_fit(free, duration: timedelta, slot: timedelta, tz: str, *, earliest: datetime | None = None,
              latest: datetime | None = None) -> datetime | None:
    """The first possible start, or None."""
    return next(iter_start_times(free, duration, slot, tz, earliest=earliest, latest=latest), None)


# What a result card says about when a facility is free.
FREE_NOW = "free_now"
FREE_FROM = "free_from"
CLOSED = "closed"
NO_FREE_TIME = "no_free_time"


@dataclass(frozen=True)
class FreeState:
    state: str
    start: datetime | None = None


def free_state(found: Availability, limits, now: datetime, duration: timedelta | None = None,
               earliest: datetime | None = None) -> FreeState:
    """When the facility can next be booked within the computed window (`limits`: its RuleSet).

    "Free now" means free at this moment for the whole duration and bookable within one
    slot (so not for a facility that needs a day's notice); otherwise the first bookable
    start after `earliest`. A window with no open time at all is "closed".
    """
    if not found.open:
        return FreeState(CLOSED)
    duration = duration or limits.min_duration
    notice, advance = limits.start_bounds(now)
    lower = max(notice, earliest) if earliest else notice
    start = first_fit(found.free, duration, limits.slot, found.timezone, earliest=lower, latest=advance)
    if start is None:
        return FreeState(NO_FREE_TIME)
    free_at_once = any(iv.start <= now and now + duration <= iv.end for iv in found.free)
    if earliest is None and free_at_once and start <= now + limits.slot:
        return FreeState(FREE_NOW, start)
    return FreeState(FREE_FROM, start)


# What a calendar cell says: open but not bookable (e.g. set-up time around a booking) is "open".
CELL_CLOSED, CELL_FREE, CELL_PARTLY_FREE, CELL_BUSY, CELL_OPEN = "closed", "free", "partly_free", "busy", "open"


def cell_state(found: Availability, cell: Interval) -> str:
    if cell.duration <= timedelta(0) or not any(iv.overlaps(cell) for iv in found.open):
        return CELL_CLOSED
    opened = measure(clip(found.open, cell))
    free = measure(clip(found.free, cell))
    busy = measure(clip(found.busy, cell))
    if free and free >= opened:
        return CELL_FREE
    if free:
        return CELL_PARTLY_FREE
    return CELL_BUSY if busy else CELL_OPEN


# How booked a day is, by the share of its open time that is not free.
DAY_CLOSED, DAY_MOSTLY_FREE, DAY_HALF_BOOKED, DAY_MOSTLY_BOOKED, DAY_FULL = (
    "closed", "mostly_free", "half_booked", "mostly_booked", "full")


def day_load(found: Availability, day: Interval) -> tuple[str, float]:
    """The day's label and its booked share (0..1) of open time."""
    opened = measure(clip(found.open, day))
    if not opened:
        return DAY_CLOSED, 0.0
    booked = 1 - measure(clip(found.free, day)) / opened
    if booked >= 1:
        return DAY_FULL, 1.0
    if booked < 1 / 3:
        return DAY_MOSTLY_FREE, booked
    if booked < 2 / 3:
        return DAY_HALF_BOOKED, booked
    return DAY_MOSTLY_BOOKED, booked
