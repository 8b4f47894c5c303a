"""Closures from an iCalendar (.ics) file: read it, check each event, expand repeating ones.

A calendar comes from anyone's server, so reading it is bounded work:
- the file is at most MAX_BYTES (the caller counts while reading the upload or the download);
- each event is checked on its own: a broken DTSTART, DTEND or RRULE makes a problem with that
  event, reported to the manager, and the other events are still read;
- repeating events are expanded with recurring-ical-events inside the window (today to a year
  ahead), at most MAX_CLOSURES closures in all;
- the reading runs in a child process with a memory cap and a time cap per event and in all:
  one repeat rule can send dateutil looping to the year 9999 (BYSETPOS=5 on a daily rule,
  INTERVAL=0), and pure-Python work in the web worker could not be interrupted.
Pure: no Flask, no database. `read_calendar(data, timezone)` returns closures and problems.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar

from booking.errors import Message, RuleViolation
from booking.facilities.availability import UTC, local_instant

MAX_BYTES = 2 * 1024 * 1024
MAX_CLOSURES = 2000
WINDOW_DAYS = 366  # repeating events: from today to the same day next year
EVENT_SECONDS = 3.0
TOTAL_SECONDS = 10.0
MEMORY_HEADROOM_BYTES = 256 * 1024 * 1024
MAX_UID = 300
FREQUENCIES = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}


@dataclass(frozen=True)
class Problem:
    """An event left out, and why (`code` under facilities.calendar.event.)."""
    uid: str
    summary: str
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> Message:
        return Message(f"facilities.calendar.event.{self.code}", **self.params)


@dataclass
class Reading:
    closures: list[tuple[str, datetime, datetime, str]]  # (uid, start, end, summary), UTC
    problems: list[Problem]

    @property
    def problem_uids(self) -> set[str]:
        return {p.uid for p in self.problems}


def _refuse(code: str, **params):
    raise RuleViolation(Message(f"facilities.calendar.{code}", **params))


def read_calendar(data: bytes, timezone: str, *, today: date | None = None) -> Reading:
    """The closures the calendar's events make (all-day events close whole local days, times
    without a zone are local), each repeating one's occurrence with its own stable UID."""
    if len(data) > MAX_BYTES:
        _refuse("too_large", n=MAX_BYTES // 1024 // 1024)
    tz = ZoneInfo(timezone)
    today = today or datetime.now(tz).date()
    window = (local_instant(today, time(0), tz), local_instant(today + timedelta(days=WINDOW_DAYS), time(0), tz))
    reading = Reading([], [])
    first, deadline = 0, None
    while first is not None:
        first, deadline = _read_in_child(data, timezone, window, first, deadline, reading)
    reading.closures.sort(key=lambda c: (c[1], c[0]))
    return reading


# --- the parent's side: run the child, enforce the caps ------------------------------------

_context = None


def _process_context():
    """forkserver: children fork from a small clean process with this module loaded, so they start
    fast and never inherit the web worker's threads or database connections."""
    global _context
    if _context is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload([__name__])
        else:
            _context = multiprocessing.get_context("spawn")
    return _context


def _read_in_child(data: bytes, timezone: str, window, first: int, deadline: float | None,
                   reading: Reading) -> tuple[int | None, float]:
    """Read events from number `first` on into `reading`. Returns (None, deadline) when done, or the
    number to go on from when one event overran its time (it is then a problem; the child is stopped)."""
    context = _process_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, data, timezone, window, first, MAX_CLOSURES), daemon=True)
    child.start()  # the first start in a process also starts the fork server: not the calendar's time
    sender.close()
    deadline = deadline or clock.monotonic() + TOTAL_SECONDS
    current = None  # (number, uid, summary, started)
    try:
        while True:
            limit = deadline if current is None else min(deadline, current[3] + EVENT_SECONDS)
            if not receiver.poll(max(0.0, limit - clock.monotonic())):
                if current is None or clock.monotonic() >= deadline:
                    _refuse("too_slow")
                reading.problems.append(Problem(current[1], current[2], "too_slow"))
                return current[0] + 1, deadline
            try:
                message = receiver.recv()
            except EOFError:  # the child died: out of memory, most likely
                if current is None:
                    _refuse("not_ical")
                reading.problems.append(Problem(current[1], current[2], "unreadable"))
                return current[0] + 1, deadline
            kind = message[0]
            if kind == "invalid":
                _refuse("not_ical")
            elif kind == "start":
                current = (*message[1:], clock.monotonic())
            elif kind == "problem":
                reading.problems.append(Problem(current[1], current[2], message[1], message[2]))
                current = None
            elif kind == "closures":
                reading.closures.extend(message[1])
                if len(reading.closures) > MAX_CLOSURES:
                    _refuse("too_many", n=MAX_CLOSURES)
                current = None
            else:  # "end"
                return None, deadline
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()


# --- the child's side: parse, check, expand -------------------------------------------------

class _EventProblem(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def _cap_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + MEMORY_HEADROOM_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard < 0 else min(limit, hard), hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time caps still hold


def _child(conn, data: bytes, timezone: str, window, first: int, max_closures: int) -> None:
    _cap_memory()
    try:
        calendar = x_wr_timezone.to_standard(Calendar.from_ical(data))
        if calendar.name != "VCALENDAR":
            raise ValueError("not a calendar")
    except Exception:  # noqa: BLE001 - any failure to parse untrusted bytes means "not a calendar"
        conn.send(("invalid",))
        return
    tz = ZoneInfo(timezone)
    for number, (uid, components) in enumerate(_events_by_uid(calendar)):
        if number < first:
            continue
        conn.send(("start", number, uid, _summary(components)))
        try:
            closures = _closures(uid, components, tz, window, max_closures)
        except _EventProblem as problem:
            conn.send(("problem", problem.code, problem.params))
        except Exception:  # noqa: BLE001 - MemoryError included: one event, not the calendar, is bad
            conn.send(("problem", "unreadable", {}))
        else:
            conn.send(("closures", closures))
    conn.send(("end",))


def _clean(text: str, limit: int) -> str:
    return text.replace("\x00", "").strip()[:limit]


def _uid(component) -> str:
    uid = _clean(str(component.get("UID") or ""), 10_000)
    if not uid:  # without a UID, the event's own content is the best identity we have
        uid = "sha1:" + hashlib.sha1(component.to_ical()).hexdigest()
    return uid


def _summary(components) -> str:
    return _clean(str(components[0].get("SUMMARY", "")), 300)


def _events_by_uid(calendar) -> list[tuple[str, list]]:
    """Each event with its changed occurrences (same UID), in the order of the file."""
    groups: dict[str, list] = {}
    for component in calendar.walk("VEVENT"):
        groups.setdefault(_uid(component), []).append(component)
    return list(groups.items())


def _check(component) -> None:
    """Refuse an event whose dates or rule cannot be read, before the expansion tries them."""
    if "DTSTART" not in component:
        raise _EventProblem("no_start")
    if not isinstance(_value(component, "DTSTART", "bad_start"), date):
        raise _EventProblem("bad_start")
    if "DTEND" in component and not isinstance(_value(component, "DTEND", "bad_end"), date):
        raise _EventProblem("bad_end")
    if "DTEND" not in component and "DURATION" in component:
        if not isinstance(_value(component, "DURATION", "bad_end"), timedelta):
            raise _EventProblem("bad_end")
    broken = {name for name, _error in getattr(component, "errors", ())}
    if "RRULE" in broken:
        raise _EventProblem("bad_rule")
    if broken & {"RDATE", "EXDATE", "RECURRENCE-ID"}:
        raise _EventProblem("bad_dates")
    for rule in _all(component.get("RRULE")):
        if not rule.get("FREQ"):
            raise _EventProblem("no_freq")
        if str(rule["FREQ"][0]).upper() not in FREQUENCIES or any(i < 1 for i in rule.get("INTERVAL", [])):
            raise _EventProblem("bad_rule")
    for name in ("RDATE", "EXDATE"):
        for value in _all(component.get(name)):
            try:
                value.dts  # noqa: B018 - reading them is the check
            except Exception:  # noqa: BLE001
                raise _EventProblem("bad_dates") from None


def _value(component, name: str, code: str):
    try:
        return component.get(name).dt
    except Exception:  # noqa: BLE001 - icalendar keeps an unreadable value as a broken property
        raise _EventProblem(code) from None


def _all(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _instant(value, tz: ZoneInfo) -> datetime:
    """A DTSTART-like value as a UTC instant: a date is local midnight, a floating time is local."""
    if not isinstance(value, datetime):
        return local_instant(value, time(0), tz)
    if value.tzinfo is None:
        return local_instant(value.date(), value.time(), tz)
    return value.astimezone(UTC)


def _end(component):
    start = component.get("DTSTART").dt
    if "DTEND" in component:
        return component.get("DTEND").dt
    if "DURATION" in component:
        return start + component.get("DURATION").dt
    return start + timedelta(days=1) if not isinstance(start, datetime) else start


def _cancelled(component) -> bool:
    return str(component.get("STATUS", "")).upper() == "CANCELLED"


def _key(uid: str) -> str:
    return uid if len(uid) <= MAX_UID else "sha1:" + hashlib.sha1(uid.encode()).hexdigest()


def _closures(uid: str, components: list, tz: ZoneInfo, window, max_closures: int) -> list[tuple]:
    for component in components:
        _check(component)
    summary = _summary(components)
    repeating = any(name in c for c in components for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    if not repeating:  # a single event, kept whatever its date (the same UID twice: the last wins)
        event = components[-1]
        start, end = _instant(event.get("DTSTART").dt, tz), _instant(_end(event), tz)
        return [] if _cancelled(event) or end <= start else [(_key(uid), start, end, summary)]
    return _occurrences(uid, components, tz, window, max_closures)


def _occurrences(uid: str, components: list, tz: ZoneInfo, window, max_closures: int) -> list[tuple]:
    """Each occurrence in the window; its UID is the event's plus the occurrence's RECURRENCE-ID,
    so a moved occurrence keeps its UID and importing again updates it."""
    calendar = Calendar()
    for component in components:
        calendar.add_component(component)
    window_start, window_end = window
    summary = _summary(components)
    found = []
    try:
        for occurrence in recurring_ical_events.of(calendar).after(window_start):
            start = _instant(occurrence.get("DTSTART").dt, tz)
            if start >= window_end:
                break
            end = _instant(_end(occurrence), tz)
            if _cancelled(occurrence) or end <= start:
                continue
            if len(found) == max_closures:
                raise _EventProblem("too_many", n=max_closures)
            recurrence = occurrence.get("RECURRENCE-ID")
            key = f"{uid}#{_instant(recurrence.dt, tz).isoformat() if recurrence else start.isoformat()}"
            found.append((_key(key), start, end, _clean(str(occurrence.get("SUMMARY", "")), 300) or summary))
    except _EventProblem:
        raise
    except Exception:  # noqa: BLE001 - the library found the rule impossible to follow
        raise _EventProblem("bad_rule") from None
    return found
