"""No double booking, ever: several OS processes race for the same time, on SQLite and
PostgreSQL alike, and the database refuses an overlap even when the services are bypassed."""
from __future__ import annotations

import multiprocessing
import queue
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking.accounts.models import Membership, Organisation, User
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import ReservationStatus
from tests.fixtures.reservations import NOW, OVERLAPPING_ACTIVE_PAIRS, local
from tests.reservations.racing import CONFLICT, WON, raw_insert, race

WORKERS = 8
ROUNDS_PER_KIND = 3

def racers(count: int) -> list[User]:
    """Users of different organisations (made directly: password hashing would only slow this down)."""
    users = []
    for n in range(count):
        organisation = Organisation(name=f"Racing Team {n}", actor_type="sme")
        user = User(email=f"racer{n}@example.com", name=f"Racer {n}", password_hash="-")
        db.session.add_all([organisation, user, Membership(user=user, organisation=organisation)])
        users.append(user)
    db.session.commit()
    return users


def same_slot(_worker, day):
    start = local(2030, 3, 5 + day, 10)
    return "service", start, start + timedelta(hours=2)


def staggered(worker, day):
    # Starts 5 minutes apart, two hours long: every pair overlaps, so only one can stand.
    start = local(2030, 4, 1 + day, 10) + timedelta(minutes=5 * worker)
    return "service", start, start + timedelta(hours=2)


def staggered_raw(worker, day):
    # No service and no Python check: only the exclusion constraint / trigger decides.
    start = local(2030, 5, 1 + day, 9) + timedelta(minutes=7 * worker)
    return "raw", start, start + timedelta(hours=1)


ROUNDS = [kind for kind in (same_slot, staggered, staggered_raw) for _ in range(ROUNDS_PER_KIND)]


def run_race(database_url, facility):
    """WORKERS processes (each its own app and connection) race through ROUNDS together.
    Returns each round's outcomes."""
    ids = [u.id for u in racers(WORKERS)]
    facility_id = facility.id
    db.session.commit()
    db.session.close()  # the test's own session must not hold the SQLite write lock
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    processes = [context.Process(target=race, args=(
        database_url, facility_id, user_id, [kind(w, day) for day, kind in enumerate(ROUNDS)], barrier, results, NOW))
        for w, user_id in enumerate(ids)]
    for process in processes:
        process.start()
    outcomes = defaultdict(list)
    try:
        for _ in range(WORKERS * len(ROUNDS)):
            number, _user, outcome = results.get(timeout=180)
            outcomes[number].append(outcome)
    except queue.Empty:
        pytest.fail(f"the workers did not all report: {dict(outcomes)}")
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    return outcomes


def test_racing_processes_never_double_book(database_url, create_facility, manager):
    """Each round all workers ask at once: for the same slot, for pairwise-overlapping slots,
    and with raw inserts that bypass the services. Exactly one wins every round."""
    facility = create_facility(department=manager.departments[0], rules={"slot_minutes": 5})
    outcomes = run_race(database_url, facility)
    assert len(outcomes) == len(ROUNDS)
    for number, found in sorted(outcomes.items()):
        assert Counter(found) == {WON: 1, CONFLICT: WORKERS - 1}, f"round {number} ({ROUNDS[number].__name__}): {found}"
    assert db.session.scalar(OVERLAPPING_ACTIVE_PAIRS) == 0
    assert db.session.scalar(text("SELECT count(*) FROM reservation WHERE status = 'confirmed'")) == len(ROUNDS)


# --- the database refuses overlaps on its own ----------------------------------------------

@pytest.fixture
def booked(facility, booker, reserve):
    return reserve(booker, facility, local(2030, 3, 5, 10), local(2030, 3, 5, 12))


def refused_as_overlap(statement):
    with pytest.raises(IntegrityError) as refused:
        statement()
        db.session.flush()
    db.session.rollback()
    assert services.is_overlap_error(refused.value)
    return refused.value


def test_inserting_an_overlapping_row_with_sql_is_refused(booked, booker, is_postgres):
    organisation_id, user_id, facility_id = booker.organisations[0].id, booker.id, booked.facility_id
    error = refused_as_overlap(lambda: raw_insert(facility_id, organisation_id, user_id,
                                                  local(2030, 3, 5, 11), local(2030, 3, 5, 13)))
    if is_postgres:
        assert error.orig.sqlstate == "23P01" and "reservation_no_overlap" in str(error.orig)
    else:
        assert "reservation_overlap" in str(error.orig)


def test_updating_a_row_into_an_overlap_with_sql_is_refused(booked, booker):
    organisation_id, user_id, facility_id = booker.organisations[0].id, booker.id, booked.facility_id
    raw_insert(facility_id, organisation_id, user_id, local(2030, 3, 5, 12), local(2030, 3, 5, 13))  # touching: fine
    db.session.commit()
    refused_as_overlap(lambda: db.session.execute(text(
        "UPDATE reservation SET blocked_start_dt = :start WHERE title = 'Raw'"),
        {"start": db.session.scalar(text("SELECT blocked_start_dt FROM reservation WHERE id = :id"),
                                    {"id": booked.id})}))


def test_inactive_rows_never_collide(booked, booker, reserve):
    services.cancel(booker, booked, now=NOW)
    again = reserve(booker, booked.facility, local(2030, 3, 5, 10), local(2030, 3, 5, 12))
    assert again.status == ReservationStatus.confirmed
    # Reactivating the cancelled one would now overlap: refused by the database.
    refused_as_overlap(lambda: db.session.execute(
        text("UPDATE reservation SET status = 'confirmed' WHERE id = :id"), {"id": booked.id}))


def test_the_guarantee_is_installed_under_its_name(app, is_postgres):
    if is_postgres:
        found = db.session.scalar(text("SELECT conname FROM pg_constraint WHERE conname = 'reservation_no_overlap'"))
        assert found == "reservation_no_overlap"
    else:
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        assert {"reservation_no_overlap_insert", "reservation_no_overlap_update"} <= names
