"""Demo seasonal rounds of the Sports and Recreation department: the autumn round, with
applications from every kind of organisation, allocated by the solver and published (each
allocation a priced weekly series), and the spring round, open for applications now (the youth
association has already applied).

Everything goes through the round services with `now` set to when each step happened (the
autumn window in June, the allocation and publishing in August), so every rule holds. Runs
once: the rounds are looked up by name. Queues no e-mails (seeding tells nobody).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from booking.accounts.models import Department, Organisation, User
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import Facility
from booking.seasons import services
from booking.seasons.models import AgeGroup, Frequency, Round
from booking.seasons.services import ApplicationInput, RoundInput, WishInput
from booking.unit_of_work import unit_of_work

ZONE = ZoneInfo("Europe/Helsinki")
DEPARTMENT = "Sports and Recreation"
MANAGER = "sports.manager@example.com"
HALLS = ("sports-hall-court-a", "sports-hall-court-b", "koivumaki-gym-studio", "koivumaki-artificial-turf-field",
         "mantyla-ice-rink")
A, B, GYM, TURF, ICE = HALLS

# (member's e-mail, organisation, based in the city, [(purpose, age group, participants, weekday, earliest,
#  latest, minutes, frequency, ranked facilities)])
AUTUMN = [
    ("association@example.com", "Kuusilahti Youth Association ry", True, [
        ("Junior floorball", AgeGroup.youth, 24, 1, 17, 20, 90, Frequency.weekly, (A, B)),
        ("Girls' basketball", AgeGroup.youth, 16, 3, 17, 20, 90, Frequency.weekly, (A, B)),
        ("Children's football", AgeGroup.children, 30, 0, 16, 19, 60, Frequency.weekly, (TURF,)),
    ]),
    ("citizens@example.com", "Riverside Residents", True, [
        ("Residents' volleyball", AgeGroup.adults, 14, 1, 18, 21, 90, Frequency.weekly, (B, A)),
        ("Senior gym", AgeGroup.seniors, 15, 2, 10, 13, 60, Frequency.weekly, (GYM,)),
    ]),
    ("research@example.com", "Kuusilahti University of Applied Sciences", True, [
        ("Student sports evening", AgeGroup.adults, 35, 1, 17, 21, 120, Frequency.weekly, (A, B)),
        ("Physiotherapy students' practice", AgeGroup.adults, 18, 4, 12, 16, 90, Frequency.biweekly, (GYM, B)),
    ]),
    ("public@example.com", "Regional Health Authority", True, [
        ("Rehabilitation group", AgeGroup.seniors, 12, 3, 9, 12, 60, Frequency.weekly, (GYM,)),
    ]),
    ("sme@example.com", "Nordic Sensors Oy", True, [
        ("Staff floorball", AgeGroup.adults, 14, 1, 18, 21, 60, Frequency.weekly, (A, B)),
    ]),
    ("startup@example.com", "Kide Robotics Oy", True, [
        ("Team hockey", AgeGroup.adults, 20, 2, 19, 23, 60, Frequency.biweekly, (ICE,)),
    ]),
    ("large@example.com", "Suomi Telecom Oyj", False, [
        ("Company football", AgeGroup.adults, 22, 3, 17, 21, 120, Frequency.weekly, (TURF, A)),
        ("Company badminton", AgeGroup.adults, 12, 1, 17, 21, 120, Frequency.weekly, (B,)),
    ]),
]
SPRING = [
    ("association@example.com", "Kuusilahti Youth Association ry", True, [
        ("Junior floorball", AgeGroup.youth, 24, 1, 17, 20, 90, Frequency.weekly, (A, B)),
        ("Girls' basketball", AgeGroup.youth, 16, 3, 17, 20, 90, Frequency.weekly, (A, B)),
    ]),
]


def load(demo_dir: Path) -> str:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _load()


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _load() -> str:
    department = db.session.scalar(select(Department).where(Department.name == DEPARTMENT))
    manager = db.session.scalar(select(User).where(User.email == MANAGER))
    found = {f.slug: f for f in db.session.scalars(select(Facility).where(Facility.slug.in_(HALLS)))}
    if department is None or manager is None or len(found) < len(HALLS):
        return "no sports halls to allocate"
    today = utcnow().astimezone(ZONE).date()
    year = today.year if today.month >= 9 else today.year - 1
    autumn_name, spring_name = f"Sports halls, autumn {year}", f"Sports halls, spring {year + 1}"
    made = []
    if db.session.scalar(select(Round).where(Round.name == autumn_name)) is None:
        made.append(_autumn(autumn_name, year, department, manager, found))
    if db.session.scalar(select(Round).where(Round.name == spring_name)) is None:
        made.append(_spring(spring_name, year + 1, department, manager, found, today))
    db.session.commit()
    return "; ".join(made) if made else "already seeded"


def _apply(round_, plan, found, now) -> int:
    count = 0
    for email, organisation_name, based_in_city, wishes in plan:
        user = db.session.scalar(select(User).where(User.email == email))
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == organisation_name))
        if user is None or organisation is None:
            continue
        data = ApplicationInput([WishInput(purpose=p, age_group=age, participants=n, weekday=wd, earliest=time(e),
                                           latest=time(lt), duration_minutes=m, frequency=freq,
                                           facility_ids=[found[s].id for s in ranked])
                                 for p, age, n, wd, e, lt, m, freq, ranked in wishes], based_in_city=based_in_city)
        with unit_of_work():
            services.save_application(user, round_, organisation, data, now=now)
        now += timedelta(hours=3)
        count += 1
    return count


def _autumn(name, year, department, manager, found) -> str:
    start = _monday_on_or_after(date(year, 9, 1))
    opened = _at(date(year, 5, 15), 0)
    with unit_of_work():
        round_ = services.create_round(manager, RoundInput(
            name=name, season_start=start, season_end=date(year, 12, 20), opens_dt=opened,
            closes_dt=_at(date(year, 6, 30), 0) + timedelta(days=1), facilities=[found[s] for s in HALLS],
            department_id=department.id, cap_minutes_per_week=6 * 60,
            description="Weekly turns in the sports halls, the turf field and the ice rink for the autumn season."),
            now=opened)
        services.open_round(manager, round_, now=opened)
    applied = _apply(round_, AUTUMN, found, _at(date(year, 6, 2), 10))
    decided = _at(date(year, 8, 10), 9)
    with unit_of_work():
        services.allocate(manager, round_, now=decided, time_limit_s=10)
    with unit_of_work():
        services.publish(manager, round_, now=decided + timedelta(hours=2))
    series = sum(1 for a in round_.allocations if a.series_id)
    return f"{name}: {applied} applications, {series} series published"


def _spring(name, year, department, manager, found, today) -> str:
    start = _monday_on_or_after(date(year, 1, 8))
    opened = _at(today - timedelta(days=7), 0)
    with unit_of_work():
        round_ = services.create_round(manager, RoundInput(
            name=name, season_start=start, season_end=date(year, 5, 31), opens_dt=opened,
            closes_dt=_at(today + timedelta(days=21), 0), facilities=[found[s] for s in HALLS],
            department_id=department.id, cap_minutes_per_week=6 * 60,
            description="Apply for weekly turns for the spring season."), now=opened)
        services.open_round(manager, round_, now=opened)
    applied = _apply(round_, SPRING, found, _at(today - timedelta(days=2), 10))
    return f"{name}: open, {applied} application"
