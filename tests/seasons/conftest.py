"""A small sports office for round tests: a department with two halls open weekday evenings
(priced by a tariff), a manager, an association and a company, and a round whose window is
open now for an eight-week season that starts in a month."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.accounts.models import ActorType, Role
from booking.extensions import db
from booking.seasons import services as seasons
from booking.seasons.services import ApplicationInput, RoundInput, WishInput
from booking.unit_of_work import unit_of_work
from tests.reservations.conftest import _english  # noqa: F401  (the autouse fixture, shared)

HELSINKI = ZoneInfo("Europe/Helsinki")
EVENINGS = {day: [(time(16), time(22))] for day in range(5)}


def monday_in(days: int) -> date:
    day = datetime.now(HELSINKI).date() + timedelta(days=days)
    return day - timedelta(days=day.weekday())


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HELSINKI).astimezone(timezone.utc)


@dataclass
class Office:
    department: object
    manager: object
    other_manager: object
    admin: object
    hall: object
    gym: object
    association: object        # Youth FC ry, third sector
    coach: object              # its member
    company: object            # Fit Oy, sme
    trainer: object            # its member
    round: object
    season_start: date
    season_end: date


def tuesday_evening(facilities, purpose="Junior football", *, duration=90, earliest=time(17), latest=time(21),
                    weekday=1, participants=20, **fields) -> WishInput:
    return WishInput(purpose=purpose, weekday=weekday, earliest=earliest, latest=latest, duration_minutes=duration,
                     facility_ids=[f.id for f in facilities], participants=participants, **fields)


def apply(user, round_, organisation, *wishes, **fields):
    with unit_of_work():
        return seasons.save_application(user, round_, organisation, ApplicationInput(list(wishes), **fields))


@pytest.fixture
def office(app, create_user, create_department, create_facility, create_organisation, create_tariff) -> Office:
    sports = create_department("Sports")
    manager = create_user(name="Sam Sports", role=Role.facility_manager, departments=[sports])
    other = create_user(name="Cai Culture", role=Role.facility_manager, departments=[create_department("Culture")])
    admin = create_user(name="Ada Admin", role=Role.admin)
    hall = create_facility("East Hall", department=sports, hours=EVENINGS, capacity=40, category="sports_hall")
    gym = create_facility("West Gym", department=sports, hours=EVENINGS, capacity=25, category="sports_hall")
    create_tariff(hall)
    create_tariff(gym)
    association = create_organisation("Youth FC ry", ActorType.third_sector)
    company = create_organisation("Fit Oy", ActorType.sme)
    coach = create_user(name="Coach Kim", organisation=association)
    trainer = create_user(name="Trainer Tea", organisation=company)
    start = monday_in(35)
    end = start + timedelta(weeks=8) - timedelta(days=1)
    now = datetime.now(timezone.utc)
    with unit_of_work():
        round_ = seasons.create_round(manager, RoundInput(
            name="Autumn halls", season_start=start, season_end=end, opens_dt=now - timedelta(days=1),
            closes_dt=now + timedelta(days=7), facilities=[hall, gym], department_id=sports.id,
            cap_minutes_per_week=6 * 60))
        seasons.open_round(manager, round_)
    return Office(sports, manager, other, admin, hall, gym, association, coach, company, trainer, round_, start, end)


def after_deadline(office) -> datetime:
    return office.round.closes_dt + timedelta(hours=1)


@pytest.fixture
def allocated(office):
    """Both organisations applied; the round is allocated after its deadline."""
    apply(office.coach, office.round, office.association, tuesday_evening([office.hall, office.gym]))
    apply(office.trainer, office.round, office.company,
          tuesday_evening([office.hall], "Evening circuit", duration=60))
    with unit_of_work():
        seasons.allocate(office.manager, office.round, now=after_deadline(office))
    db.session.expire_all()
    return office
