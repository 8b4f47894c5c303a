"""Recurring series: an RFC 5545 RRULE expanded in the facility's local time (pure).

The rule runs on the local wall clock, so a weekly 10:00–12:00 stays 10:00–12:00 local on
both sides of a DST change (its UTC time moves by the hour instead). Series are bounded:
a rule needs COUNT or UNTIL, may give at most MAX_OCCURRENCES occurrences, and is expanded
only up to a horizon (the facility's booking horizon).

Bounded work: dateutil searches period after period until the year 9999 for a rule that
matches nothing (`FREQ=DAILY;BYSETPOS=5`, `BYMONTH=2;BYMONTHDAY=30`; dateutil issues
#1393 and #1441), and its UNTIL is only checked when a date matches. So the expansion
counts the periods dateutil walks (one call of its day-set builder each) and stops at
the horizon, whatever the rule.
"""
from __future__ import annotations

import copy
import types
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import dateutil.rrule
from dateutil.rrule import rrule, rrulestr

from booking.facilities.availability import local_instant

MAX_OCCURRENCES = 104
MAX_INTERVAL = 99
LONGEST_HORIZON = timedelta(days=6 * 366)  # no facility books further ahead than five years
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Parts that would put several occurrences on one day, or move the start we were given.
_REFUSED_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART")


class RecurrenceError(ValueError):
    """A rule we cannot use; `code` says why (for a translated message), `params` the values."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(f"{code} {params}" if params else code)


@dataclass(frozen=True)
class Occurrence:
    start: datetime  # aware UTC
    end: datetime
    local_date: date  # the local date it starts on (what "skip" refers to)


def _parts(rule: str) -> dict[str, str]:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:"):]
    parts = {}
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        key, sep, value = chunk.partition("=")
        if not sep or not value:
            raise RecurrenceError("invalid")
        parts[key.strip().upper()] = value.strip().upper()
    return parts


def _local_until(value: str, zone: ZoneInfo) -> datetime:
    """UNTIL as a naive local datetime (what the local-time expansion compares with).

    A date means the whole of that local day; a time ending in Z is UTC; one without is local.
    """
    try:
        if len(value) == 8:
            return datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59))
        if value.endswith("Z"):
            instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            return instant.astimezone(zone).replace(tzinfo=None)
        return datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError:
        raise RecurrenceError("invalid") from None


class _PastHorizon(Exception):
    pass


class _CountedPeriods(dateutil.rrule._iterinfo):
    """dateutil's per-period helper, counting the periods; past the rule's budget it stops."""

    def __init__(self, rule):
        super().__init__(rule)
        self._left = rule.period_budget

    def _tick(self):
        self._left -= 1
        if self._left < 0:
            raise _PastHorizon

    def ydayset(self, *args):
        self._tick()
        return super().ydayset(*args)

    def mdayset(self, *args):
        self._tick()
        return super().mdayset(*args)

    def wdayset(self, *args):
        self._tick()
        return super().wdayset(*args)

    def ddayset(self, *args):
        self._tick()
        return super().ddayset(*args)


class _BoundedRule(rrule):
    """An rrule whose iteration walks at most `period_budget` periods (dateutil's own
    iteration, with the counting helper in place of its own)."""
    period_budget = 0
    _iter = types.FunctionType(rrule._iter.__code__, {**vars(dateutil.rrule), "_iterinfo": _CountedPeriods},
                               "_iter", rrule._iter.__defaults__, rrule._iter.__closure__)


_PERIOD = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1), "MONTHLY": timedelta(days=28),
           "YEARLY": timedelta(days=365)}


def _bounded(recurrence: rrule, freq: str, interval: int, first: datetime, horizon: datetime) -> rrule:
    bounded = copy.copy(recurrence)
    bounded.__class__ = _BoundedRule
    bounded.period_budget = (horizon - first) // (_PERIOD[freq] * interval) + 2
    return bounded


def validate(rule: str) -> dict[str, str]:
    """The rule's parts if it is one we can expand; RecurrenceError otherwise."""
    parts = _parts(rule)
    if parts.get("FREQ") not in FREQUENCIES:
        raise RecurrenceError("frequency")
    if any(p in parts for p in _REFUSED_PARTS):
        raise RecurrenceError("invalid")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise RecurrenceError("no_end")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("invalid")  # RFC 5545: never both
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or int(parts["COUNT"]) < 1:
            raise RecurrenceError("invalid")
        if int(parts["COUNT"]) > MAX_OCCURRENCES:
            raise RecurrenceError("too_many", limit=MAX_OCCURRENCES)
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and 1 <= int(parts["INTERVAL"]) <= MAX_INTERVAL):
        raise RecurrenceError("invalid")
    return parts


def expand(rule: str, start: datetime, end: datetime, tz: str, *, horizon: datetime | None = None,
           limit: int = MAX_OCCURRENCES) -> list[Occurrence]:
    """Every occurrence of `rule` for a first reservation [start, end), in local wall-clock
    time, starting no later than `horizon` (an aware instant; by default LONGEST_HORIZON after the start).

    The first occurrence is the first the rule gives from `start` (for FREQ=MONTHLY;BYDAY=2TU
    that is the next second Tuesday). Raises RecurrenceError for a rule we cannot use, and
    with code "beyond_horizon" for one that gives nothing before the horizon.
    """
    parts = validate(rule)
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).replace(tzinfo=None)
    last = (horizon or start + LONGEST_HORIZON).astimezone(zone).replace(tzinfo=None)
    length = end.astimezone(zone).replace(tzinfo=None) - first  # wall-clock length
    own_until = _local_until(parts.pop("UNTIL"), zone) if "UNTIL" in parts else None
    if own_until is not None and own_until < first:
        raise RecurrenceError("empty")
    until = min(own_until, last) if own_until is not None else last
    starts: list[datetime] = []
    try:
        recurrence = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=first)
        bounded = _bounded(recurrence, parts["FREQ"], int(parts.get("INTERVAL", 1)), first, last)
        for found in islice(iter(bounded), limit + 1):
            if found > until:
                break
            starts.append(found)
    except _PastHorizon:
        pass
    except (ValueError, TypeError, OverflowError):
        raise RecurrenceError("invalid") from None
    if len(starts) > limit:
        raise RecurrenceError("too_many", limit=limit)
    if not starts:
        raise RecurrenceError("beyond_horizon")
    return [Occurrence(local_instant(s.date(), s.time(), zone), _wall_end(s, length, zone), s.date())
            for s in starts]


def _wall_end(local_start: datetime, length: timedelta, zone: ZoneInfo) -> datetime:
    local_end = local_start + length
    return local_instant(local_end.date(), local_end.time(), zone)
