"""A facility's booking rules as one plain value, read by discovery, booking and pricing (pure).

`RuleSet` is the only place the defaults live: the BookingRules model's column defaults,
the forms and the CSV importer read them from here. `RuleSet.of(facility)` turns a stored
facility (any object with `timezone`, `capacity` and an optional `rules` row) into one.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from booking.facilities.availability import Interval

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
# However a facility is set up, no booking is longer than this: every request's work is bounded.
MAX_BOOKING_LENGTH = timedelta(days=366)


@dataclass(frozen=True)
class RuleSet:
    timezone: str = "Europe/Helsinki"
    slot: timedelta = timedelta(minutes=30)
    min_duration: timedelta = timedelta(hours=1)
    max_duration: timedelta | None = timedelta(hours=8)
    min_notice: timedelta = timedelta(hours=24)
    max_advance: timedelta = timedelta(days=180)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    allow_multi_day: bool = False
    max_active_per_organisation: int | None = None
    capacity: int = 0  # 0: the facility states no capacity, so none is enforced
    approval_policy: str = "automatic"
    manual_actor_types: tuple[str, ...] = ()
    manual_above: timedelta | None = None
    cancellation_deadline: timedelta = timedelta(hours=24)
    late_cancellation: str = "refuse"

    @classmethod
    def of(cls, facility) -> RuleSet:
        stored = facility.rules
        own = {"timezone": facility.timezone, "capacity": facility.capacity or 0}
        if stored is None:
            return cls(**own)
        return cls(
            **own, **_timing(stored), max_active_per_organisation=stored.max_active_per_organisation,
            approval_policy=getattr(stored.approval_policy, "value", stored.approval_policy),
            manual_actor_types=tuple(stored.manual_actor_types or ()),
            manual_above=_minutes(stored.manual_above_minutes),
            cancellation_deadline=timedelta(hours=stored.cancellation_deadline_hours),
            late_cancellation=getattr(stored.late_cancellation, "value", stored.late_cancellation))

    @classmethod
    def timing_of(cls, timezone: str, stored) -> RuleSet:
        """Only the rules that decide when a booking may lie (TIMING_COLUMNS of a BookingRules
        row, or None), the others at their defaults: all a search over many facilities needs."""
        return cls(timezone=timezone) if stored is None else cls(timezone=timezone, **_timing(stored))

    # --- lengths ---------------------------------------------------------------------------

    @property
    def longest(self) -> timedelta:
        """The longest booking: the facility's maximum, a day unless multi-day, and the absolute cap."""
        longest = MAX_BOOKING_LENGTH if self.max_duration is None else min(self.max_duration, MAX_BOOKING_LENGTH)
        return longest if self.allow_multi_day else min(longest, DAY)

    def allows_duration(self, duration: timedelta) -> bool:
        return self.min_duration <= duration <= self.longest

    def wall_length(self, start: datetime, end: datetime) -> timedelta:
        """How long it looks on the local clock: a whole day is 24 hours even on a DST day."""
        zone = ZoneInfo(self.timezone)
        return end.astimezone(zone).replace(tzinfo=None) - start.astimezone(zone).replace(tzinfo=None)

    def is_multi_day(self, start: datetime, end: datetime) -> bool:
        """Longer than a day on the local clock. A 22:00–02:00 night event is not, and neither
        is midnight to midnight on the 25-hour day the clocks go back."""
        return self.wall_length(start, end) > DAY

    def too_long(self, start: datetime, end: datetime) -> bool:
        """Longer than the facility allows (checked before any day-by-day work)."""
        elapsed = end - start
        if elapsed > MAX_BOOKING_LENGTH or (self.max_duration is not None and elapsed > self.max_duration):
            return True
        return not self.allow_multi_day and self.is_multi_day(start, end)

    # --- when, and what it occupies --------------------------------------------------------

    def start_bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """The earliest and latest start a booking made at `now` may have."""
        return now + self.min_notice, now + self.max_advance

    def blocked(self, start: datetime, end: datetime) -> Interval:
        """The time a reservation occupies: its own, widened by the buffers."""
        return Interval(start - self.buffer_before, end + self.buffer_after)


DEFAULTS = RuleSet()

# The BookingRules columns that decide when and how long a booking may lie.
TIMING_COLUMNS = ("slot_minutes", "min_duration_minutes", "max_duration_minutes", "min_notice_minutes",
                  "max_advance_days", "buffer_before_minutes", "buffer_after_minutes", "allow_multi_day")


@lru_cache(maxsize=4096)  # a search reads the rules of thousands of facilities: few distinct values
def _minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def _timing(stored) -> dict:
    return {"slot": _minutes(stored.slot_minutes), "min_duration": _minutes(stored.min_duration_minutes),
            "max_duration": _minutes(stored.max_duration_minutes), "min_notice": _minutes(stored.min_notice_minutes),
            "max_advance": timedelta(days=stored.max_advance_days),
            "buffer_before": _minutes(stored.buffer_before_minutes),
            "buffer_after": _minutes(stored.buffer_after_minutes), "allow_multi_day": stored.allow_multi_day}


def default_minutes(value: timedelta | None) -> int | None:
    """A default duration as the whole minutes the BookingRules columns store."""
    return None if value is None else int(value / MINUTE)
