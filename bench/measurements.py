"""What the benchmark measures in-process, each next to the limit it is read against.

A measurement is a small function returning what to time (a callable), and a row in
MEASUREMENTS naming it, its limit (a raw SQL floor from bench/floors.py, or None) and its
target. Adding one is a function plus a row:

    def my_page(ctx):
        return ctx.get("/my/page")

    MEASUREMENTS.append(Row("my page", my_page, floor=floors.my_floor, target=QueriesConstant()))

Each is timed as the median of `runs` runs after a warm-up, in wall-clock and CPU time
(the CPU time of this process: the app's Python work, plus SQLite's, which runs in it).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable
from urllib.parse import quote

from flask_babel import force_locale
from sqlalchemy import select

from bench import floors
from booking.accounts.models import Role, User
from booking.calendars import feeds, links, services as calendars
from booking.calendars.ics import icalendar_calendar
from booking.database import utcnow
from booking.extensions import db
from booking.facilities import search
from booking.unit_of_work import unit_of_work


@dataclass(frozen=True)
class Target:
    """What a row must reach: a ratio to its floor and/or an absolute time."""
    max_ratio: float | None = None
    max_ms: float | None = None

    def describe(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"≤ {self.max_ratio:g}× floor")
        if self.max_ms is not None:
            parts.append(f"≤ {self.max_ms:g} ms")
        return ", ".join(parts)

    def met(self, ms: float, ratio: float | None) -> bool:
        if self.max_ratio is not None and (ratio is None or ratio > self.max_ratio):
            return False
        return self.max_ms is None or ms <= self.max_ms


@dataclass(frozen=True)
class Row:
    name: str
    subject: Callable                       # ctx → a callable to time
    floor: Callable | None = None           # ctx → a callable to time: the limit
    floor_name: str = ""
    target: Target | None = None


class Timed:
    def __init__(self, ms: float, cpu_ms: float, queries: int, result):
        self.ms, self.cpu_ms, self.queries, self.result = ms, cpu_ms, queries, result


def timed(fn, runs: int, counter) -> Timed:
    fn()  # warm-up: imports, template compilation, caches
    wall, cpu, result = [], [], None
    for _ in range(runs):
        counter.count = 0
        db.session.expire_all()  # read from the database each run, as a request would
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return Timed(statistics.median(wall), statistics.median(cpu), counter.count, result)


# --- the subjects ---------------------------------------------------------------------------

def _free_url(ctx, start, end) -> str:
    return f"/api/v1/facilities?free_from={quote(start.isoformat())}&free_to={quote(end.isoformat())}"


def free_room_search(ctx):
    return ctx.get(_free_url(ctx, *ctx.hour_window))


def free_room_week(ctx):
    return ctx.get(_free_url(ctx, *ctx.week_window))


def find_time_service(ctx):
    request = search.TimeRequest(first_day=ctx.monday, last_day=ctx.monday + timedelta(days=6),
                                 duration=timedelta(hours=2), size=10)
    return lambda: search.find_time(request, utcnow())


def find_time_page(ctx):
    sunday = ctx.monday + timedelta(days=6)
    return ctx.get(f"/facilities/find?date_from={ctx.monday}&date_to={sunday}&duration=120&size=10")


def catalogue_page(ctx):
    return ctx.get("/facilities")


def catalogue_searched(ctx):
    return ctx.get(f"/facilities?date={ctx.monday + timedelta(days=1)}&time=10:00&duration=120&size=10"
                   "&sort=least_used")


def week_view(ctx):
    return ctx.get(f"/facilities/{ctx.sample_slug}?week={ctx.monday}")


def availability_api(ctx):
    start, _ = ctx.week_window
    end = start + timedelta(days=7)
    return ctx.get(f"/api/v1/facilities/{ctx.sample_id}/availability?from={quote(start.isoformat())}"
                   f"&to={quote(end.isoformat())}")


_feeds: dict[int, str] = {}
feed_events: dict[int, int] = {}  # how many events the measured feed has, per context


def _manager_feed_token(ctx) -> str:
    """The city's biggest feed: the first manager's, over every department they manage (the
    feed's window holds up to calendars.rules.MAX_EVENTS reservations). Made once per context."""
    if id(ctx) not in _feeds:
        manager = db.session.scalar(select(User).where(User.role == Role.facility_manager).order_by(User.id))
        with ctx.app.test_request_context(), unit_of_work():
            _feed, token = calendars.create_feed(manager, "manager")
        _feeds[id(ctx)] = token
    return _feeds[id(ctx)]


def calendar_feed(ctx):
    return ctx.get(f"/calendars/{_manager_feed_token(ctx)}.ics")


def calendar_feed_prebuilt(ctx):
    """The limit: the icalendar library serialising the same events, already built in memory."""
    token, now = _manager_feed_token(ctx), utcnow()
    with ctx.app.test_request_context(base_url="http://127.0.0.1:5000/"), force_locale("en"):
        feed, kind = calendars.feed_for_token(token)
        info = feeds.feed_info(kind.name, calendars.target_name(feed, kind))
        events = feeds.feed_events(calendars.feed_rows(feed, kind, now), public=kind.public, host=links.host(),
                                   now=now, reservation_link=links.reservation_link(),
                                   facility_link=links.facility_link())
    feed_events[id(ctx)] = len(events)
    return lambda: icalendar_calendar(info, events).to_ical()


MEASUREMENTS: list[Row] = [
    Row("free-room search: API, one hour, first page and total", free_room_search, floors.free_room_hour,
        "raw SQL: free facilities that hour", Target(max_ratio=3)),
    Row("free-room search: API, a whole week", free_room_week, floors.free_room_week,
        "raw SQL: open that week, nothing booked"),
    Row("find-a-time service: 2 h for 10 people, Mon–Sun, all facilities", find_time_service, floors.find_time,
        "raw SQL: big enough, open that week, nothing booked"),
    Row("find-a-time page: first 20 with start times", find_time_page, floors.find_time,
        "raw SQL: big enough, open that week, nothing booked", Target(max_ms=100)),
    Row("catalogue page: 20 cards with free state", catalogue_page, floors.catalogue,
        "raw SQL: the page's rows and the total"),
    Row("catalogue searched: date, time, duration, size", catalogue_searched, floors.catalogue,
        "raw SQL: the page's rows and the total"),
    Row("facility page: week and month views", week_view, floors.facility_week,
        "raw SQL: the facility's hours, closures and bookings"),
    Row("availability API: one facility, 7 days", availability_api, floors.facility_week,
        "raw SQL: the facility's hours, closures and bookings"),
    Row("calendar feed: a manager's feed over HTTP (up to 10,000 events)", calendar_feed, calendar_feed_prebuilt,
        "icalendar serialising the same events, pre-built", Target(max_ratio=1)),
]
