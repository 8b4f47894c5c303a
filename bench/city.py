"""A synthetic city, generated deterministically from a seed and an anchor week.

Sizes (issue 13): S = 200 facilities and 20,000 reservations, M = 2,000 and 200,000, L =
10,000 and 1,000,000, the reservations spread over two years (one back, one ahead of the
anchor week). Facilities get varied weekly hours (some with next season's version entered
ahead), special openings, closures, rules, terms and questions; organisations of every
actor type with members; weekly series. Everything goes in by bulk insert (COPY on
PostgreSQL), so M takes seconds, not minutes.

Other domains add their own data with `register_generator(fn)`: fn(city, rng) runs after
the core city is in place (bench/pricing.py adds tariffs, bench/stats.py the rollups).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from bench.bulk import insert_rows, next_ids, reset_sequences
from booking.accounts.models import (ActorType, ApiToken, Department, Membership, Organisation, Role, User,
                                     department_manager, hash_token)
from booking.extensions import db
from booking.facilities.amenities import code_for, group_for
from booking.facilities.models import (ACCESSIBILITY_FEATURES, CATEGORIES, Amenity, BookingQuestion, BookingRules, Closure,
                                       Facility, FacilityAccessibility, FacilityAmenity, FacilityTerms, OpeningHours,
                                       SpecialOpening)
from booking.reservations.models import Reservation, Series

UTC = timezone.utc
HELSINKI = "Europe/Helsinki"
ZONES = [HELSINKI] * 19 + ["Europe/Stockholm"]  # a city near a border has a few in another zone


@dataclass(frozen=True)
class Size:
    facilities: int
    reservations: int


# XS is for the test that checks the benchmark runs to the end, not for figures.
SIZES = {"XS": Size(40, 4_000), "S": Size(200, 20_000), "M": Size(2_000, 200_000), "L": Size(10_000, 1_000_000)}
CLIENTS = 16  # load-test users, each in an organisation of their own
PASSWORD = "bench-password-1"

DISTRICTS = ["Kallio", "Pasila", "Vallila", "Kamppi", "Herttoniemi", "Malmi", "Vuosaari", "Munkkiniemi",
             "Lauttasaari", "Kontula", "Itäkeskus", "Oulunkylä"]
DEPARTMENTS = ["Culture", "Sports", "Education", "Urban Environment", "Youth Services", "Libraries", "Innovation"]
AMENITIES = ["Projector", "Whiteboard", "Sound system", "Kitchen", "Wi-Fi", "Stage", "Fume hood", "3D printer",
             "Piano", "Showers", "Parking"]
# Weekly patterns: [(weekdays, [(start, end), ...]), ...]; an end at or before the start runs past midnight.
PATTERNS = [
    [(range(5), [(time(8), time(20))]), (range(5, 7), [(time(10), time(16))])],
    [(range(7), [(time(0), time(0))])],
    [(range(5), [(time(8), time(12)), (time(13), time(17))])],
    [(range(7), [(time(17), time(23))])],
    [(range(6), [(time(7), time(22))])],
    [(range(4, 7), [(time(18), time(2))])],
    [(range(5), [(time(7, 30), time(21, 30))]), (range(5, 7), [(time(9), time(18))])],
    [(range(7), [(time(6), time(23))])],
    [(range(1, 6), [(time(12), time(20))])],
]
HOURS_SINCE = date(2020, 1, 1)


def anchor_week(tz: str = HELSINKI) -> date:
    """This week's Monday in the city's time zone: reservations lie a year either side of it."""
    today = datetime.now(ZoneInfo(tz)).date()
    return today - timedelta(days=today.weekday())


@dataclass
class City:
    size: str
    seed: int
    anchor: date
    facility_ids: list[int] = field(default_factory=list)
    client_tokens: list[str] = field(default_factory=list)
    client_organisations: list[int] = field(default_factory=list)


Generator = Callable[[City, random.Random], None]
_generators: list[Generator] = []


def register_generator(generator: Generator) -> Generator:
    """Another domain's data for the city (pricing: tariffs), run after the core city."""
    if generator not in _generators:
        _generators.append(generator)
    return generator


def client_token(seed: int, number: int) -> str:
    """The API token of load-test client `number` (derived, so a reused city needs no secrets file)."""
    return f"ifs_bench_{seed}_{number:02d}"


def generate(size: str, seed: int = 1, anchor: date | None = None) -> City:
    """Fill an empty schema with the city of that size; returns what the runner needs of it."""
    rng = random.Random(seed)
    city = City(size, seed, anchor or anchor_week())
    spec = SIZES[size]
    now = datetime.now(UTC)
    departments = _departments(rng)
    organisations = _organisations(rng, city, spec, now)
    _users(rng, city, organisations, departments, spec, now)
    _facilities(rng, city, spec, departments, now)
    _reservations(rng, city, spec, organisations, now)
    for generator in _generators:
        generator(city, rng)
    tables = [t.__table__ for t in (Department, Organisation, User, Membership, ApiToken, Facility, OpeningHours,
                                    SpecialOpening, Closure, BookingRules, Amenity, FacilityAmenity, FacilityAccessibility,
                                    FacilityTerms, BookingQuestion, Series, Reservation)]
    reset_sequences(tables)
    db.session.commit()
    return city


def load_city(size: str, seed: int, anchor: date) -> City:
    """The city already in the database (generated earlier with the same size, seed and anchor)."""
    city = City(size, seed, anchor)
    city.facility_ids = list(db.session.scalars(select(Facility.id).order_by(Facility.id)))
    city.client_tokens = [client_token(seed, n) for n in range(CLIENTS)]
    city.client_organisations = list(db.session.scalars(
        select(Organisation.id).where(Organisation.name.like("Load client %")).order_by(Organisation.name)))
    return city


def _departments(rng: random.Random) -> list[int]:
    ids = next_ids(Department.__table__, len(DEPARTMENTS))
    insert_rows(Department.__table__, [{"id": i, "name": name, "description": f"{name} department", "translations": {},
                                        "contact_email": f"{name.split()[0].lower()}@city.invalid",
                                        "decision_days": rng.choice([2, 3, 5])}
                                       for i, name in zip(ids, DEPARTMENTS)])
    return list(ids)


def _organisations(rng: random.Random, city: City, spec: Size, now: datetime) -> list[tuple[int, str]]:
    """(id, actor type) of every organisation: each actor type, in proportion to the city's size."""
    per_type = max(3, spec.facilities // 20)
    kinds = [kind for kind in ActorType for _ in range(per_type)]
    ids = next_ids(Organisation.__table__, len(kinds) + CLIENTS)
    rows = [{"id": i, "name": f"{kind.value.replace('_', ' ').title()} {n:05d}", "actor_type": kind.value,
             "address": f"Business street {n}", "contact_email": f"org{n}@example.invalid", "created_dt": now}
            for n, (i, kind) in enumerate(zip(ids, kinds))]
    clients = ids[len(kinds):]
    rows += [{"id": i, "name": f"Load client {n:02d}", "actor_type": ActorType.sme.value, "address": "",
              "contact_email": f"client{n}@example.invalid", "created_dt": now} for n, i in enumerate(clients)]
    insert_rows(Organisation.__table__, rows)
    city.client_organisations = list(clients)
    return [(i, kind.value) for i, kind in zip(ids, kinds)]


def _users(rng: random.Random, city: City, organisations, departments, spec: Size, now: datetime) -> None:
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    members = [(org_id, n) for org_id, _ in organisations for n in range(rng.randint(1, 3))]
    clients = city.client_organisations
    total = len(members) + len(departments) + 1 + len(clients)
    ids = iter(next_ids(User.__table__, total))
    users, memberships, managers, tokens = [], [], [], []

    def user(email, name, role, organisation=None):
        user_id = next(ids)
        users.append({"id": user_id, "email": email, "name": name, "password_hash": password_hash, "role": role,
                      "active": True, "locale": rng.choice([None, "fi", "sv", "en"]), "created_dt": now,
                      "current_organisation_id": organisation})
        if organisation is not None:
            memberships.append({"user_id": user_id, "organisation_id": organisation, "role": "owner",
                                "created_dt": now})
        return user_id

    user("admin@city.invalid", "City Admin", Role.admin.value)
    for n, department in enumerate(departments):
        managers.append({"user_id": user(f"manager{n}@city.invalid", f"Manager {n}", Role.facility_manager.value),
                         "department_id": department})
    for number, (org_id, n) in enumerate(members):
        user(f"member{number:06d}@example.invalid", f"Member {number}", Role.member.value, org_id)
    for n, org_id in enumerate(clients):
        user_id = user(f"client{n:02d}@bench.invalid", f"Load client {n}", Role.member.value, org_id)
        token = client_token(city.seed, n)
        tokens.append({"user_id": user_id, "name": "bench", "token_hash": hash_token(token), "prefix": token[:8],
                       "created_dt": now})
        city.client_tokens.append(token)
    membership_ids = next_ids(Membership.__table__, len(memberships))
    token_ids = next_ids(ApiToken.__table__, len(tokens))
    insert_rows(User.__table__, users)
    insert_rows(Membership.__table__, [{"id": i, **m} for i, m in zip(membership_ids, memberships)])
    insert_rows(department_manager, managers)
    insert_rows(ApiToken.__table__, [{"id": i, **t} for i, t in zip(token_ids, tokens)])


def _amenity_vocabulary() -> dict[str, int]:
    """The AMENITIES in the amenity vocabulary (added where missing), by name."""
    existing = {a.name: a.id for a in db.session.scalars(select(Amenity))}
    missing = [name for name in AMENITIES if name not in existing]
    rows = [{"id": i, "code": code_for(name), "group": group_for(name), "name": name, "translations": {}}
            for i, name in zip(next_ids(Amenity.__table__, len(missing)), missing)]
    insert_rows(Amenity.__table__, rows)
    return existing | {row["name"]: row["id"] for row in rows}


def _facilities(rng: random.Random, city: City, spec: Size, departments: list[int], now: datetime) -> None:
    ids = list(next_ids(Facility.__table__, spec.facilities))
    city.facility_ids = ids
    anchor = city.anchor
    facilities, hours, rules, closures, special, amenities, access, terms, questions = ([] for _ in range(9))
    amenity_ids = _amenity_vocabulary()
    for n, facility_id in enumerate(ids):
        kind = rng.choice(["Hall", "Lab", "Studio", "Field", "Room", "Workshop", "Gym", "Stage", "Garden"])
        zone = rng.choice(ZONES)
        facilities.append({
            "id": facility_id, "slug": f"bench-{n:05d}", "name": f"{kind} {rng.choice(DISTRICTS)} {n:05d}",
            "department_id": rng.choice(departments), "category": rng.choice(CATEGORIES),
            "description": "A facility of the benchmark city.", "address": f"Benchmark street {n}",
            "district": rng.choice(DISTRICTS), "latitude": 60.1 + rng.random() / 10,
            "longitude": 24.8 + rng.random() / 5, "capacity": rng.choice([4, 8, 12, 20, 30, 50, 80, 150, 400]),
            "house_rules": "", "accessibility_notes": "", "translations": {}, "timezone": zone, "status": rng.choices(["published", "draft", "archived"],
                                                                       [94, 4, 2])[0],
            "created_dt": now, "updated_dt": now, "recent_utilisation": rng.choice([None, rng.random()])})
        for weekdays, spans in rng.choice(PATTERNS):
            hours.extend({"facility_id": facility_id, "valid_from": HOURS_SINCE, "weekday": day,
                          "start_time": start, "end_time": end} for day in weekdays for start, end in spans)
        if rng.random() < 0.15:  # a new season's hours, from a date within the two years
            since = anchor + timedelta(days=rng.randrange(-300, 300))
            for weekdays, spans in rng.choice(PATTERNS):
                hours.extend({"facility_id": facility_id, "valid_from": since, "weekday": day,
                              "start_time": start, "end_time": end} for day in weekdays for start, end in spans)
        policy = rng.choices(["automatic", "manual", "conditional"], [75, 10, 15])[0]
        rules.append({"facility_id": facility_id, "slot_minutes": rng.choice([15, 30, 60]),
                      "min_duration_minutes": rng.choice([30, 60]),
                      "max_duration_minutes": rng.choice([240, 480, 720]),
                      "min_notice_minutes": rng.choice([0, 60, 24 * 60]), "max_advance_days": rng.choice([90, 180, 365]),
                      "buffer_before_minutes": rng.choice([0, 0, 15, 30]),
                      "buffer_after_minutes": rng.choice([0, 0, 15, 30]), "allow_multi_day": rng.random() < 0.05,
                      "max_active_per_organisation": rng.choice([None, None, None, 10]),
                      "approval_policy": policy,
                      "manual_actor_types": ["large_company", "research"] if policy == "conditional" else [],
                      "manual_above_minutes": None, "cancellation_deadline_hours": rng.choice([24, 48, 72]),
                      "late_cancellation": rng.choice(["refuse", "fee"])})
        for _ in range(rng.choice([0, 1, 1, 2, 4])):  # maintenance breaks and holidays over the two years
            day = anchor + timedelta(days=rng.randrange(-365, 365))
            start = datetime.combine(day, time(rng.randrange(6, 16)), ZoneInfo(zone))
            closures.append({"facility_id": facility_id, "start_dt": start.astimezone(UTC),
                             "end_dt": (start + timedelta(hours=rng.choice([2, 4, 24, 72]))).astimezone(UTC),
                             "reason": "Maintenance", "external_uid": None, "created_dt": now})
        for _ in range(rng.choice([0, 0, 1, 2])):
            special.append({"facility_id": facility_id, "date": anchor + timedelta(days=rng.randrange(-365, 365)),
                            "start_time": time(rng.choice([10, 12])), "end_time": time(rng.choice([14, 16])),
                            "reason": "Event"})
        amenities.extend({"facility_id": facility_id, "amenity_id": amenity_ids[name], "quantity": rng.randrange(1, 4)}
                         for name in rng.sample(AMENITIES, rng.randrange(1, 5)))
        access.extend({"facility_id": facility_id, "feature": f}
                      for f in rng.sample(ACCESSIBILITY_FEATURES, rng.randrange(0, 4)))
        if rng.random() < 0.2:
            terms.append({"facility_id": facility_id, "version": 1, "text": "Leave the place as you found it.", "translations": {},
                          "created_dt": now})
        if rng.random() < 0.15:
            questions.append({"facility_id": facility_id, "label": "Will you serve food?", "kind": "yes_no",
                              "choices": [], "required": True, "position": 0, "active": True,
                              "translations": {}})
    insert_rows(Facility.__table__, facilities)
    for model, rows in ((OpeningHours, hours), (BookingRules, rules), (Closure, closures),
                        (SpecialOpening, special), (FacilityAmenity, amenities), (FacilityAccessibility, access),
                        (FacilityTerms, terms), (BookingQuestion, questions)):
        insert_rows(model.__table__, [{"id": i, **row} for i, row in zip(next_ids(model.__table__, len(rows)), rows)])


def _reservations(rng: random.Random, city: City, spec: Size, organisations, now: datetime) -> None:
    """About spec.reservations reservations, a year either side of the anchor, one a day at most
    per facility (so none overlap, whatever the buffers); a tenth of them in weekly series."""
    facility_rows = db.session.execute(select(Facility.id, Facility.timezone, BookingRules.buffer_before_minutes,
                                              BookingRules.buffer_after_minutes)
                                       .join(BookingRules, BookingRules.facility_id == Facility.id)).all()
    per_facility = spec.reservations // len(facility_rows)
    first_day = city.anchor - timedelta(days=365)
    org_users = dict(db.session.execute(select(Membership.organisation_id, Membership.user_id)).all())
    series_rows, reservation_rows = [], []
    series_ids = iter(next_ids(Series.__table__, len(facility_rows)))
    for facility_id, zone_name, before, after in facility_rows:
        zone = ZoneInfo(zone_name)
        days = rng.sample(range(730), per_facility)
        series_days: set[int] = set()
        series_id = None
        if rng.random() < 0.3:  # a weekly series: every week on one weekday for 10 to 30 weeks
            series_id = next(series_ids)
            organisation, _kind = rng.choice(organisations)
            start_day = rng.randrange(0, 700)
            series_days = {start_day + 7 * k for k in range(rng.randint(10, 30)) if start_day + 7 * k < 730}
            days = sorted(series_days | set(days[:per_facility - len(series_days)]))
            series_rows.append({"id": series_id, "facility_id": facility_id, "organisation_id": organisation,
                                "user_id": org_users.get(organisation), "kind": "booking",
                                "rrule": f"FREQ=WEEKLY;COUNT={len(series_days)}", "title": "Weekly practice",
                                "skipped_dates": [], "created_dt": now})
            series_org = organisation
        for offset in days:
            day = first_day + timedelta(days=offset)
            start = datetime.combine(day, time(rng.randrange(8, 18), rng.choice([0, 30])), zone).astimezone(UTC)
            end = start + timedelta(minutes=rng.choice([60, 90, 120, 180]))
            in_series = offset in series_days
            organisation = series_org if in_series else rng.choice(organisations)[0]
            past = end < now
            status = (rng.choices(["completed", "cancelled", "no_show"], [85, 10, 5]) if past else
                      rng.choices(["confirmed", "pending", "cancelled"], [85, 8, 7]))[0]
            reservation_rows.append({
                "kind": "booking", "facility_id": facility_id, "organisation_id": organisation,
                "user_id": org_users.get(organisation), "series_id": series_id if in_series else None,
                "start_dt": start, "end_dt": end, "blocked_start_dt": start - timedelta(minutes=before),
                "blocked_end_dt": end + timedelta(minutes=after), "title": "Weekly practice" if in_series else "Meeting",
                "purpose": "", "attendees": rng.randint(1, 20), "answers": {}, "status": status,
                "requested_dt": start - timedelta(days=rng.randint(1, 60)),
                "decision_deadline_dt": start - timedelta(days=1) if status == "pending" else None,
                "decided_dt": None if status == "pending" else start - timedelta(days=1),
                "cancelled_dt": start - timedelta(hours=30) if status == "cancelled" else None,
                "late_cancellation_fee": False, "updated_dt": now, "sequence": 0})
    insert_rows(Series.__table__, series_rows)
    insert_rows(Reservation.__table__, [{"id": i, **row} for i, row in
                                        zip(next_ids(Reservation.__table__, len(reservation_rows)), reservation_rows)])
