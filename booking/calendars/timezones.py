"""VTIMEZONE components built from the machine's zoneinfo, in the form clients keep right across years.

A zone's current rule comes from the POSIX TZ string at the end of its TZif file
("EET-2EEST,M3.5.0/3,M10.5.0/4" for Europe/Helsinki) and becomes one STANDARD and one
DAYLIGHT sub-component with a yearly RRULE, as Thunderbird, Outlook and Google write them.
The rule is checked against zoneinfo for every year the calendar uses; where it does not
hold there (a zone changing its rules, a rule an RRULE cannot say), the transitions of those
years are listed as RDATEs instead. Pure: no Flask, no database.
"""
from __future__ import annotations

import calendar
import importlib.resources
import os
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = timezone.utc
WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX counts from Sunday = 0
EPOCH_YEAR = 1970  # where RRULE-form sub-components start, as clients' own exports do

_NAME = r"(<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"([+-]?\d{1,3}(?::\d{2}){0,2})"
_POSIX = re.compile(rf"^{_NAME}{_OFFSET}(?:{_NAME}{_OFFSET}?(?:,([^,]+),([^,]+))?)?$")
_WEEK_RULE = re.compile(r"^M(\d{1,2})\.([1-5])\.([0-6])(?:/([+-]?\d{1,3}(?::\d{2}){0,2}))?$")


@dataclass(frozen=True)
class Change:
    """A yearly change of offset: on weekday `weekday` (0 = Sunday) of week `week` (5 = the last)
    of `month`, at `seconds` after local midnight in the offset before the change."""
    month: int
    week: int
    weekday: int
    seconds: int

    def local_onset(self, year: int) -> datetime:
        """The wall-clock time (in the offset before the change) it happens in `year`."""
        first_weekday, days = calendar.monthrange(year, self.month)  # Monday = 0
        first = (self.weekday - (first_weekday + 1) % 7) % 7 + 1  # first such weekday of the month
        day = first + 7 * (self.week - 1)
        while day > days:
            day -= 7
        return datetime(year, self.month, day) + timedelta(seconds=self.seconds)

    def rrule(self) -> str:
        week = -1 if self.week == 5 else self.week
        return f"FREQ=YEARLY;BYMONTH={self.month};BYDAY={week}{WEEKDAYS[self.weekday]}"


@dataclass(frozen=True)
class Rule:
    """A zone's rule as its TZif footer states it: offsets east of UTC, in seconds."""
    std_name: str
    std_offset: int
    dst_name: str | None = None
    dst_offset: int | None = None
    dst_start: Change | None = None  # standard → daylight
    dst_end: Change | None = None    # daylight → standard


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _change(text: str) -> Change | None:
    """An `Mm.w.d[/time]` rule whose time falls within its day; the other forms (`Jn`, `n`,
    times like -1 or 50 hours) are left to the RDATE form."""
    match = _WEEK_RULE.match(text)
    if not match:
        return None
    month, week, weekday, time = match.groups()
    seconds = _seconds(time) if time else 2 * 3600
    if not (1 <= int(month) <= 12 and 0 <= seconds < 24 * 3600):
        return None
    return Change(int(month), int(week), int(weekday), seconds)


def parse_posix(text: str) -> Rule | None:
    """A POSIX TZ string as a Rule, or None where it is not a form this module turns into RRULEs."""
    match = _POSIX.match(text.strip())
    if not match:
        return None
    std, std_off, dst, dst_off, start, end = match.groups()
    unquote = lambda name: name.strip("<>") if name else name  # noqa: E731
    std_offset = -_seconds(std_off)  # POSIX counts west of UTC
    if dst is None:
        return Rule(unquote(std), std_offset)
    dst_offset = -_seconds(dst_off) if dst_off else std_offset + 3600
    if start is None:
        return None  # daylight time named without a rule: a form nobody uses any more
    first, last = _change(start), _change(end)
    if first is None or last is None:
        return None
    return Rule(unquote(std), std_offset, unquote(dst), dst_offset, first, last)


def _tzif(key: str) -> bytes | None:
    """The zone's TZif file, where zoneinfo itself finds it (TZPATH, then the tzdata package)."""
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, *key.split("/"))
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                return handle.read()
    try:
        return importlib.resources.files("tzdata.zoneinfo").joinpath(*key.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


def zone_rule(key: str) -> Rule | None:
    """The rule in the footer of a version 2+ TZif file (None when there is none)."""
    data = _tzif(key)
    if not data or not data.startswith(b"TZif") or data[4:5] in (b"\0", b""):
        return None
    footer = data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", "replace")
    return parse_posix(footer) if footer else None


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int, int, str]]:
    """Every change of offset from `start` to `end` (aware): (instant in UTC, offset before,
    offset after, name after), offsets in seconds. Found by stepping six hours at a time and
    halving down to the second: no zone changes twice within six hours."""
    found = []
    step = timedelta(hours=6)
    moment = start.astimezone(UTC)
    offset = int(moment.astimezone(zone).utcoffset().total_seconds())
    while moment < end:
        following = min(moment + step, end)
        after = int(following.astimezone(zone).utcoffset().total_seconds())
        if after != offset:
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if int(middle.astimezone(zone).utcoffset().total_seconds()) == offset:
                    low = middle
                else:
                    high = middle
            found.append((high, offset, after, high.astimezone(zone).tzname() or ""))
            offset = after
        moment = following
    return found


@lru_cache(maxsize=256)
def zone_changes(key: str, first_year: int, last_year: int) -> tuple[datetime, ...]:
    """The instants (UTC) the zone's offset changes from `first_year` to the end of `last_year`."""
    start, end = datetime(first_year, 1, 1, tzinfo=UTC), datetime(last_year + 1, 1, 1, tzinfo=UTC)
    return tuple(moment for moment, *_ in transitions(ZoneInfo(key), start, end))


def _rule_transitions(rule: Rule, first_year: int, last_year: int) -> list[tuple[datetime, int, int]]:
    found = []
    for year in range(first_year, last_year + 1):
        for change, before, after in ((rule.dst_start, rule.std_offset, rule.dst_offset),
                                      (rule.dst_end, rule.dst_offset, rule.std_offset)):
            onset = change.local_onset(year) - timedelta(seconds=before)
            found.append((onset.replace(tzinfo=UTC), before, after))
    return sorted(found)


def _rule_holds(rule: Rule, zone: ZoneInfo, first_year: int, last_year: int) -> bool:
    """Whether the rule gives exactly zoneinfo's offsets in those years."""
    start, end = datetime(first_year, 1, 1, tzinfo=UTC), datetime(last_year + 1, 1, 1, tzinfo=UTC)
    actual = [(moment, before, after) for moment, before, after, _ in transitions(zone, start, end)]
    if rule.dst_start is None:
        return not actual and int(start.astimezone(zone).utcoffset().total_seconds()) == rule.std_offset
    return actual == _rule_transitions(rule, first_year, last_year)


def _offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _local(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def _part(kind: str, before: int, after: int, name: str, start: datetime, extra: str) -> list[str]:
    lines = [f"BEGIN:{kind}", f"TZOFFSETFROM:{_offset(before)}", f"TZOFFSETTO:{_offset(after)}"]
    if name:
        lines.append(f"TZNAME:{name}")
    lines.append(f"DTSTART:{_local(start)}")
    if extra:
        lines.append(extra)
    return lines + [f"END:{kind}"]


def _rrule_form(key: str, rule: Rule) -> list[str]:
    lines = ["BEGIN:VTIMEZONE", f"TZID:{key}", f"X-LIC-LOCATION:{key}"]
    if rule.dst_start is None:
        lines += _part("STANDARD", rule.std_offset, rule.std_offset, rule.std_name,
                       datetime(EPOCH_YEAR, 1, 1), "")
    else:
        lines += _part("DAYLIGHT", rule.std_offset, rule.dst_offset, rule.dst_name,
                       rule.dst_start.local_onset(EPOCH_YEAR), "RRULE:" + rule.dst_start.rrule())
        lines += _part("STANDARD", rule.dst_offset, rule.std_offset, rule.std_name,
                       rule.dst_end.local_onset(EPOCH_YEAR), "RRULE:" + rule.dst_end.rrule())
    return lines + ["END:VTIMEZONE"]


def _rdate_form(key: str, zone: ZoneInfo, first_year: int, last_year: int) -> list[str]:
    """The offset in force on 1 January of `first_year`, then each transition to the end of
    `last_year`, grouped by (offsets, name) with its onsets as RDATEs."""
    start, end = datetime(first_year, 1, 1, tzinfo=UTC), datetime(last_year + 1, 1, 1, tzinfo=UTC)
    initial = start.astimezone(zone)
    offset = int(initial.utcoffset().total_seconds())
    lines = ["BEGIN:VTIMEZONE", f"TZID:{key}", f"X-LIC-LOCATION:{key}"]
    lines += _part("STANDARD", offset, offset, initial.tzname() or "", datetime(first_year, 1, 1), "")
    groups: dict[tuple[str, int, int, str], list[datetime]] = {}
    for moment, before, after, name in transitions(zone, start, end):
        kind = "DAYLIGHT" if moment.astimezone(zone).dst() else "STANDARD"
        onset = (moment + timedelta(seconds=before)).replace(tzinfo=None)  # wall clock before the change
        groups.setdefault((kind, before, after, name), []).append(onset)
    for (kind, before, after, name), onsets in groups.items():
        rdates = ",".join(_local(o) for o in onsets[1:])
        lines += _part(kind, before, after, name, onsets[0], f"RDATE:{rdates}" if rdates else "")
    return lines + ["END:VTIMEZONE"]


@lru_cache(maxsize=256)
def vtimezone_lines(key: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """The VTIMEZONE of zone `key` for events from `first_year` to `last_year`, as unfolded
    content lines (all short ASCII)."""
    zone = ZoneInfo(key)  # refuses a key that is not a zone
    rule = zone_rule(key)
    if rule is not None and _rule_holds(rule, zone, first_year, last_year):
        return tuple(_rrule_form(key, rule))
    return tuple(_rdate_form(key, zone, first_year, last_year))
