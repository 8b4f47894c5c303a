"""Fill a database with N published facilities: varied hours, rules, closures, special openings
and busy time, for the benchmark runner (`python -m bench` calls it).

Busy time lives in a table of the benchmark's own (`bench_busy`) read by a registered busy
provider, one query per batch just as the reservations provider is: the benchmark measures
the discovery code without depending on how reservations are stored.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, text

from booking.accounts.models import Department
from booking.extensions import db
from booking.facilities.availability import Interval
from booking.facilities.models import (ACCESSIBILITY_FEATURES, CATEGORIES, BookingRules, Closure, Facility,
                                       FacilityAccessibility, FacilityAmenity, FacilityStatus, OpeningHours,
                                       SpecialOpening)
from booking.facilities.schedules import register_busy_provider

DISTRICTS = ["Kallio", "Pasila", "Vallila", "Kamppi", "Herttoniemi", "Malmi", "Vuosaari", "Munkkiniemi"]
DEPARTMENTS = ["Culture", "Sports", "Education", "Urban Environment", "Youth Services"]
AMENITIES = ["Projector", "Whiteboard", "Sound system", "Kitchen", "Wi-Fi", "Stage", "Fume hood", "3D printer"]
# Weekly patterns: (weekdays, [(start, end), ...]).
PATTERNS = [
    [(range(5), [(time(8), time(20))]), (range(5, 7), [(time(10), time(16))])],
    [(range(7), [(time(0), time(0))])],
    [(range(5), [(time(8), time(12)), (time(13), time(17))])],
    [(range(7), [(time(17), time(23))])],
    [(range(6), [(time(7), time(22))])],
    [(range(4, 7), [(time(18), time(2))])],
]
HOURS_SINCE = date(2020, 1, 1)
BUSY_TABLE = "bench_busy"


def bench_week(tz: str = "Europe/Helsinki") -> date:
    """Next week's Monday: the week every measurement looks at."""
    today = datetime.now(ZoneInfo(tz)).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=1)


def generate(count: int, seed: int = 1) -> None:
    """Insert `count` facilities (bulk inserts: a few seconds for thousands)."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    departments = []
    for name in DEPARTMENTS:
        department = Department(name=name)
        db.session.add(department)
        departments.append(department)
    db.session.flush()

    facility_rows = [{
        "slug": f"bench-{n:05d}", "name": f"{rng.choice(['Hall', 'Lab', 'Studio', 'Field', 'Room', 'Workshop'])} {n:05d}",
        "department_id": rng.choice(departments).id, "category": rng.choice(CATEGORIES),
        "description": "A facility generated for the benchmark.", "address": f"Benchmark street {n}",
        "district": rng.choice(DISTRICTS), "latitude": 60.1 + rng.random() / 10, "longitude": 24.8 + rng.random() / 5,
        "capacity": rng.choice([4, 8, 12, 20, 30, 50, 80, 150, 400]), "house_rules": "",
        "timezone": "Europe/Helsinki", "status": FacilityStatus.published, "created_dt": now, "updated_dt": now,
        "recent_utilisation": rng.choice([None, rng.random()]),
    } for n in range(count)]
    db.session.execute(insert(Facility), facility_rows)
    ids = list(db.session.scalars(text("SELECT id FROM facility ORDER BY id")))

    week = bench_week()
    zone = ZoneInfo("Europe/Helsinki")
    hours, rules, closures, special, amenities, access, busy = [], [], [], [], [], [], []
    for facility_id in ids:
        for weekdays, spans in rng.choice(PATTERNS):
            for weekday in weekdays:
                hours.extend({"facility_id": facility_id, "valid_from": HOURS_SINCE, "weekday": weekday,
                              "start_time": start, "end_time": end} for start, end in spans)
        if rng.random() < 0.1:  # next season's hours entered ahead
            hours.extend({"facility_id": facility_id, "valid_from": week + timedelta(days=3), "weekday": d,
                          "start_time": time(9), "end_time": time(15)} for d in range(5))
        rules.append({"facility_id": facility_id, "slot_minutes": rng.choice([15, 30, 60]),
                      "min_duration_minutes": rng.choice([30, 60]), "max_duration_minutes": rng.choice([240, 480, 720]),
                      "min_notice_minutes": rng.choice([0, 60, 24 * 60]), "max_advance_days": 180,
                      "buffer_before_minutes": rng.choice([0, 0, 15, 30]),
                      "buffer_after_minutes": rng.choice([0, 0, 15, 30]), "allow_multi_day": rng.random() < 0.1,
                      "manual_actor_types": [], "cancellation_deadline_hours": 24})
        if rng.random() < 0.2:
            day = week + timedelta(days=rng.randrange(7))
            start = datetime.combine(day, time(rng.randrange(8, 16)), zone)
            closures.append({"facility_id": facility_id, "start_dt": start, "end_dt": start + timedelta(hours=4),
                             "reason": "Maintenance", "created_dt": now})
        if rng.random() < 0.05:
            special.append({"facility_id": facility_id, "date": week + timedelta(days=5), "start_time": time(10),
                            "end_time": time(14), "reason": "Event"})
        amenities.extend({"facility_id": facility_id, "name": name, "quantity": rng.randrange(1, 4)}
                         for name in rng.sample(AMENITIES, 3))
        access.extend({"facility_id": facility_id, "feature": f} for f in rng.sample(ACCESSIBILITY_FEATURES, 2))
        for offset in range(7):  # about three bookings a day
            day = week + timedelta(days=offset)
            for hour in rng.sample(range(8, 20), 3):
                start = datetime.combine(day, time(hour), zone).astimezone(timezone.utc)
                busy.append({"facility_id": facility_id, "start_dt": start, "end_dt": start + timedelta(hours=1)})
    for model, rows in ((OpeningHours, hours), (BookingRules, rules), (Closure, closures), (SpecialOpening, special),
                        (FacilityAmenity, amenities), (FacilityAccessibility, access)):
        if rows:
            db.session.execute(insert(model), rows)
    db.session.execute(text(f"CREATE TABLE IF NOT EXISTS {BUSY_TABLE} (facility_id INTEGER, start_dt TIMESTAMP, "
                            "end_dt TIMESTAMP)"))
    db.session.execute(text(f"CREATE INDEX IF NOT EXISTS ix_{BUSY_TABLE} ON {BUSY_TABLE} (facility_id, start_dt)"))
    db.session.execute(text(f"INSERT INTO {BUSY_TABLE} VALUES (:facility_id, :start_dt, :end_dt)"),
                       [{**b, "start_dt": _stored(b["start_dt"]), "end_dt": _stored(b["end_dt"])} for b in busy])
    db.session.commit()


def _stored(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _parse(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(value + "+00:00")


def bench_busy(facility_ids: list[int], window: Interval) -> dict[int, list[Interval]]:
    """The benchmark's busy provider: one query for all facilities, like reservations'."""
    if not facility_ids:
        return {}
    rows = db.session.execute(text(
        f"SELECT facility_id, start_dt, end_dt FROM {BUSY_TABLE} WHERE facility_id IN :ids "
        "AND start_dt < :end AND end_dt > :start").bindparams(bindparam("ids", expanding=True)),
        {"ids": list(facility_ids), "start": _stored(window.start), "end": _stored(window.end)}).all()
    result: dict[int, list[Interval]] = defaultdict(list)
    for facility_id, start, end in rows:
        result[facility_id].append(Interval(_parse(start), _parse(end)))
    return result


def install_busy_provider() -> None:
    register_busy_provider(bench_busy)
