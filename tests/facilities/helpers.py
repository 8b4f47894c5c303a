"""Helpers for the discovery tests: local times, closures, and busy time as the reservations
domain would report it (through the busy-provider hook, so these tests need no reservations)."""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from booking.extensions import db
from booking.facilities import schedules
from booking.facilities.availability import Interval
from booking.facilities.models import Closure, SpecialOpening

HELSINKI = "Europe/Helsinki"


def local(*args, tz: str = HELSINKI) -> datetime:
    """An aware UTC instant from a local wall-clock time."""
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def today(tz: str = HELSINKI) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def next_monday(tz: str = HELSINKI, weeks: int = 1) -> date:
    """The Monday `weeks` weeks ahead (1 = next week), far enough for default notice."""
    day = today(tz)
    return day - timedelta(days=day.weekday()) + timedelta(weeks=weeks)


def at(day: date, hour: int, minute: int = 0, tz: str = HELSINKI) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def add_closure(facility, start: datetime, end: datetime, reason: str = "Maintenance") -> Closure:
    closure = Closure(facility=facility, start_dt=start, end_dt=end, reason=reason)
    db.session.add(closure)
    db.session.commit()
    return closure


def add_special(facility, day: date, start: time, end: time, reason: str = "Event") -> SpecialOpening:
    opening = SpecialOpening(facility=facility, date=day, start_time=start, end_time=end, reason=reason)
    db.session.add(opening)
    db.session.commit()
    return opening


class Busy:
    def __init__(self):
        self.intervals: dict[int, list[Interval]] = defaultdict(list)
        self.calls = 0

    def add(self, facility, start: datetime, end: datetime) -> None:
        self.intervals[facility.id].append(Interval(start, end))

    def __call__(self, facility_ids, window):
        self.calls += 1  # one call per batch, like one query
        return {i: [iv for iv in self.intervals[i] if iv.overlaps(window)] for i in facility_ids if i in self.intervals}


@pytest.fixture
def busy():
    """busy.add(facility, start, end): busy time (buffers included) of a facility."""
    provider = Busy()
    schedules.register_busy_provider(provider)
    yield provider
    schedules._busy_providers.remove(provider)


@contextmanager
def count_queries():
    """with count_queries() as queries: ... → queries.count statements sent to the database."""
    class Counter:
        count = 0
        statements: list[str] = []

    counter = Counter()
    counter.statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        counter.count += 1
        counter.statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
