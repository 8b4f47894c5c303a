"""The iCalendar (RFC 5545) writer: plain values in, bytes out. No Flask, no database.

Feeds can hold thousands of events, so this writes content lines directly instead of
building an object tree: each event is a handful of f-strings, text is escaped only when
it holds a character that needs it, and only long or non-ASCII lines are folded.
`icalendar_calendar` builds the same calendar with the `icalendar` library, for the
benchmark's comparison and for tests that check both say the same.

Times are written in the facility's zone (`DTSTART;TZID=Europe/Helsinki:20270301T100000`)
with a VTIMEZONE for each zone used (booking.calendars.timezones), so a client shows the
local time the facility keeps, across DST changes. Two cases are written in UTC instead,
which every client reads exactly: a time in the hour an autumn change repeats (see `zoned`),
and an event the change falls inside (see `event_times`).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from booking.calendars.timezones import vtimezone_lines, zone_changes

UTC = timezone.utc
CRLF = "\r\n"
STATUSES = ("TENTATIVE", "CONFIRMED", "CANCELLED")

_NEEDS_ESCAPE = re.compile(r"[\\;,\n\r\x00-\x08\x0b-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PARAM_UNSAFE = re.compile(r'[";:,\x00-\x1f\x7f]')


@dataclass(frozen=True, slots=True)
class CalendarInfo:
    name: str                     # X-WR-CALNAME, what a client calls the calendar
    prodid: str = "-//Infrashare//Infrashare calendar//EN"
    description: str = ""         # X-WR-CALDESC
    refresh_minutes: int | None = None  # REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL for feeds


@dataclass(slots=True)  # not frozen: a frozen dataclass costs 3x to make, and a feed makes 10,000
class FeedEvent:
    uid: str
    start: datetime               # aware
    end: datetime                 # aware
    tzid: str                     # the zone the times are shown in (the facility's)
    summary: str
    status: str                   # one of STATUSES
    sequence: int
    stamp: datetime               # DTSTAMP, aware
    modified: datetime            # LAST-MODIFIED, aware
    created: datetime | None = None
    description: str = ""
    location: str = ""
    geo: tuple[float, float] | None = None
    url: str = ""


# --- values ----------------------------------------------------------------------------------

def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped; other
    control characters, which the format does not allow, dropped."""
    if not _NEEDS_ESCAPE.search(value):
        return value
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param(value: str) -> str:
    """A parameter value, quoted where it holds ; : or , (quotes and controls cannot be said)."""
    if not _PARAM_UNSAFE.search(value):
        return value
    return '"' + re.sub(r'["\x00-\x1f\x7f]', "", value) + '"'


def utc_stamp(value: datetime) -> str:
    v = value.astimezone(UTC)
    return "%04d%02d%02dT%02d%02d%02dZ" % (v.year, v.month, v.day, v.hour, v.minute, v.second)


def _wall(v: datetime) -> str:
    return "%04d%02d%02dT%02d%02d%02d" % (v.year, v.month, v.day, v.hour, v.minute, v.second)


def zoned(name: str, value: datetime, zone: ZoneInfo, tzid: str) -> str:
    """`DTSTART;TZID=…:local`, or UTC inside the hour an autumn change repeats, whichever pass:
    RFC 5545 (3.3.5) reads a local time there as the first pass, ical.js (Thunderbird) as
    the second, and the second pass cannot be written as a local time at all."""
    local = value.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return f"{name}:{utc_stamp(value)}"
    return f"{name};TZID={tzid}:{_wall(local)}"


def event_times(start: datetime, end: datetime, zone: ZoneInfo, tzid: str) -> tuple[str, str]:
    """DTSTART and DTEND in the zone, or both in UTC when the offset changes between them: some
    clients add the duration in wall-clock time (recurring-ical-events does), which would move
    the end of a night that spans a DST change by an hour."""
    if start.astimezone(zone).utcoffset() != end.astimezone(zone).utcoffset():
        return f"DTSTART:{utc_stamp(start)}", f"DTEND:{utc_stamp(end)}"
    return zoned("DTSTART", start, zone, tzid), zoned("DTEND", end, zone, tzid)


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            cut -= 1
        parts.append(data[start:cut].decode("utf-8"))
        start, limit = cut, 74  # a continuation line starts with a space
    parts.append(data[start:].decode("utf-8"))
    return "\r\n ".join(parts)


# --- the calendar ----------------------------------------------------------------------------

# An event this far from every change of its zone's offset needs none of the checks above.
_NEAR_A_CHANGE = timedelta(days=1)


class _ZoneTimes:
    """DTSTART/DTEND lines in one zone: the exact checks (`event_times`) only for events near
    one of the zone's changes, found by bisecting them; every other event is two conversions."""

    def __init__(self, key: str, first_year: int, last_year: int):
        self.zone = ZoneInfo(key)
        self.tzid = param(key)
        self.changes = zone_changes(key, first_year, last_year)

    def lines(self, start: datetime, end: datetime) -> tuple[str, str]:
        i = bisect_left(self.changes, start - _NEAR_A_CHANGE)
        if i < len(self.changes) and self.changes[i] <= end + _NEAR_A_CHANGE:
            return event_times(start, end, self.zone, self.tzid)
        zone, tzid = self.zone, self.tzid
        return (f"DTSTART;TZID={tzid}:{_wall(start.astimezone(zone))}",
                f"DTEND;TZID={tzid}:{_wall(end.astimezone(zone))}")


class _Lines:
    """Escaped, folded property lines, each distinct one made once (a facility's place, a
    series' summary and a status line repeat across thousands of events)."""

    def __init__(self):
        self._made: dict[tuple[str, str], str] = {}

    def text(self, name: str, value: str) -> str:
        key = (name, value)
        line = self._made.get(key)
        if line is None:
            line = self._made[key] = fold(f"{name}:{escape_text(value)}")
        return line


def _event_lines(event: FeedEvent, times: _ZoneTimes, text: _Lines) -> list[str]:
    stamp = utc_stamp(event.stamp)
    modified = stamp if event.modified == event.stamp else utc_stamp(event.modified)
    dtstart, dtend = times.lines(event.start, event.end)
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{stamp}", dtstart, dtend,
             text.text("SUMMARY", event.summary), f"STATUS:{event.status}", f"SEQUENCE:{event.sequence}",
             f"LAST-MODIFIED:{modified}",
             # A cancelled event no longer takes the time in free/busy views.
             "TRANSP:TRANSPARENT" if event.status == "CANCELLED" else "TRANSP:OPAQUE"]
    if event.created is not None:
        lines.append(f"CREATED:{utc_stamp(event.created)}")
    if event.location:
        lines.append(text.text("LOCATION", event.location))
    if event.geo is not None:
        lines.append("GEO:%.6f;%.6f" % event.geo)
    if event.description:
        lines.append(fold(f"DESCRIPTION:{escape_text(event.description)}"))
    if event.url:
        lines.append(fold(f"URL;VALUE=URI:{event.url}"))
    lines.append("END:VEVENT")
    return lines


def _year_span(events: list[FeedEvent]) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for event in events:
        first, last = spans.get(event.tzid, (event.start.year, event.end.year))
        spans[event.tzid] = (min(first, event.start.year - 1), max(last, event.end.year + 1))
    return spans


def write_calendar(info: CalendarInfo, events: Iterable[FeedEvent]) -> bytes:
    """A whole VCALENDAR (METHOD:PUBLISH), CRLF line ends, UTF-8."""
    events = list(events)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{escape_text(info.prodid)}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", fold(f"X-WR-CALNAME:{escape_text(info.name)}"), fold(f"NAME:{escape_text(info.name)}")]
    if info.description:
        lines.append(fold(f"X-WR-CALDESC:{escape_text(info.description)}"))
    if info.refresh_minutes:
        lines += [f"REFRESH-INTERVAL;VALUE=DURATION:PT{info.refresh_minutes}M",
                  f"X-PUBLISHED-TTL:PT{info.refresh_minutes}M"]
    zones: dict[str, _ZoneTimes] = {}
    for tzid, (first, last) in sorted(_year_span(events).items()):
        zones[tzid] = _ZoneTimes(tzid, first, last)
        lines.extend(vtimezone_lines(tzid, first, last))
    text = _Lines()
    for event in events:
        lines.extend(_event_lines(event, zones[event.tzid], text))
    lines.append("END:VCALENDAR")
    return (CRLF.join(lines) + CRLF).encode("utf-8")


def icalendar_calendar(info: CalendarInfo, events: Iterable[FeedEvent]):
    """The same calendar as an `icalendar.Calendar`, built with that library (the benchmark
    times its `to_ical()` against `write_calendar`; tests compare what the two say)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    for name, value in (("version", "2.0"), ("prodid", info.prodid), ("calscale", "GREGORIAN"),
                        ("method", "PUBLISH"), ("x-wr-calname", info.name), ("name", info.name)):
        calendar.add(name, value)
    if info.description:
        calendar.add("x-wr-caldesc", info.description)
    events = list(events)
    for tzid, (first, last) in sorted(_year_span(events).items()):
        text = CRLF.join(["BEGIN:VCALENDAR", *vtimezone_lines(tzid, first, last), "END:VCALENDAR"])
        calendar.add_component(Calendar.from_ical(text).walk("VTIMEZONE")[0])
    zones = {tzid: ZoneInfo(tzid) for tzid in {e.tzid for e in events}}
    for e in events:
        item = Event()
        item.add("uid", e.uid)
        item.add("dtstamp", e.stamp.astimezone(UTC))
        item.add("dtstart", e.start.astimezone(zones[e.tzid]))
        item.add("dtend", e.end.astimezone(zones[e.tzid]))
        item.add("summary", e.summary)
        item.add("status", e.status)
        item.add("sequence", e.sequence)
        item.add("last-modified", e.modified.astimezone(UTC))
        item.add("transp", "TRANSPARENT" if e.status == "CANCELLED" else "OPAQUE")
        if e.created is not None:
            item.add("created", e.created.astimezone(UTC))
        if e.location:
            item.add("location", e.location)
        if e.geo is not None:
            item.add("geo", e.geo)
        if e.description:
            item.add("description", e.description)
        if e.url:
            item.add("url", e.url)
        calendar.add_component(item)
    return calendar
