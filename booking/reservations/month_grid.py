"""A month of one's reservations as weeks of days (the calendar view of "My reservations").

Pure: reservations in, weeks out. Each reservation is placed on every local day it covers in its
own facility's time zone, so a booking in Helsinki and one in Stockholm land on the days their
bookers see on the facility pages, and the DST days (23 or 25 hours) need nothing special.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Placed:
    """A reservation on one day: `start`/`end` are the local wall-clock times on that day
    (None where it began on an earlier day or goes on to a later one)."""
    reservation: object
    start: time | None
    end: time | None


@dataclass
class CalendarDay:
    day: date
    items: list[Placed] = field(default_factory=list)


def month_start(value: date) -> date:
    return value.replace(day=1)


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def query_window(first: date) -> tuple[datetime, datetime]:
    """UTC instants wide enough for the month in any zone (a day each side covers ±14 hours)."""
    last = shift_month(first, 1)
    return (datetime.combine(first - timedelta(days=1), time(0), timezone.utc),
            datetime.combine(last + timedelta(days=1), time(0), timezone.utc))


def _local_days(start: datetime, end: datetime, tz: str) -> list[tuple[date, time | None, time | None]]:
    """The local days [start, end) touches, each with its start and end time on that day
    (an end at midnight belongs to the day before: 20:00–00:00)."""
    zone = ZoneInfo(tz)
    first, last = start.astimezone(zone), end.astimezone(zone)
    to_midnight = last.time() == time(0) and last.date() > first.date()
    final_day = last.date() - timedelta(days=1) if to_midnight else last.date()
    days, day = [], first.date()
    while day <= final_day:
        days.append((day, first.time() if day == first.date() else None,
                     last.time() if day == final_day else None))
        day += timedelta(days=1)
    return days


def month_weeks(reservations, first: date) -> list[list[CalendarDay | None]]:
    """Weeks (Monday first) of the month starting `first`; None pads the first and last week.
    Each reservation needs `start_dt`, `end_dt` (aware) and `facility.timezone`."""
    days: dict[date, CalendarDay] = {}
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        row = []
        for day in week:
            row.append(days.setdefault(day, CalendarDay(day)) if day.month == first.month else None)
        weeks.append(row)
    for reservation in sorted(reservations, key=lambda r: (r.start_dt, r.id)):
        for day, start, end in _local_days(reservation.start_dt, reservation.end_dt, reservation.facility.timezone):
            if day in days:
                days[day].items.append(Placed(reservation, start, end))
    return weeks
