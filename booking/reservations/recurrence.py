"""Recurring series: an RFC 5545 RRULE expanded in the facility's local time (pure).

The rule runs on the local wall clock, so a weekly 10:00–12:00 stays 10:00–12:00 local on
both sides of a DST change (its UTC time moves by the hour instead). Series are bounded:
a rule needs COUNT or UNTIL and may give at most MAX_OCCURRENCES occurrences.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from booking.facilities.availability import local_instant

MAX_OCCURRENCES = 104
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
    return parts


def expand(rule: str, start: datetime, end: datetime, tz: str, limit: int = MAX_OCCURRENCES) -> list[Occurrence]:
    """Every occurrence of `rule` for a first reservation [start, end), in local wall-clock time.

    The first occurrence is the first the rule gives from `start` (for FREQ=MONTHLY;BYDAY=2TU
    that is the next second Tuesday). Raises RecurrenceError for a rule we cannot use.
    """
    parts = validate(rule)
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).replace(tzinfo=None)
    length = end.astimezone(zone).replace(tzinfo=None) - first  # wall-clock length
    until = _local_until(parts.pop("UNTIL"), zone) if "UNTIL" in parts else None
    try:
        recurrence = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=first)
        if until is not None:
            recurrence = recurrence.replace(until=until)
        starts = list(islice(iter(recurrence), limit + 1))
    except (ValueError, TypeError):
        raise RecurrenceError("invalid") from None
    if len(starts) > limit:
        raise RecurrenceError("too_many", limit=limit)
    if not starts:
        raise RecurrenceError("empty")
    return [Occurrence(local_instant(s.date(), s.time(), zone), _wall_end(s, length, zone), s.date())
            for s in starts]


def _wall_end(local_start: datetime, length: timedelta, zone: ZoneInfo) -> datetime:
    local_end = local_start + length
    return local_instant(local_end.date(), local_end.time(), zone)
