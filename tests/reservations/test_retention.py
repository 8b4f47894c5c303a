"""Retention: a booking that ended more than RETENTION_MONTHS ago loses who made it and why, once,
while statistics keep every figure they count (the anonymise-old-reservations job)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking import jobs
from booking.database import utcnow
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation
from booking.stats import rollups
from booking.stats.models import UtilisationBooker, UtilisationDay
from booking.unit_of_work import unit_of_work
from tests.fixtures.reservations import HELSINKI, NOW, hours, local

TWO_YEARS_LATER = local(2032, 3, 6, 0)  # 24 months after 6 March 2030, 00:00


def statistics() -> list[tuple]:
    """Every daily figure and organisation share, recomputed from the reservations as they are now."""
    with unit_of_work():
        rollups.rebuild()
    d = UtilisationDay
    days = db.session.execute(select(d.facility_id, d.day, d.open_minutes, d.booked_minutes, d.pending_minutes,
                                     d.reservations, d.completed, d.no_shows, d.cancellations, d.revenue_cents,
                                     d.subsidy_cents).order_by(d.facility_id, d.day)).all()
    shares = db.session.execute(select(UtilisationBooker.day, UtilisationBooker.organisation_id)
                                .order_by(UtilisationBooker.day, UtilisationBooker.organisation_id)).all()
    return [tuple(row) for row in days + shares]


def test_old_bookings_lose_who_and_why_and_statistics_stay(app, english, facility, booker, manager, reserve):
    old = reserve(booker, facility, *hours(local(2030, 3, 5, 10), 2), title="Anna's birthday", purpose="Party",
                  attendees=12)
    recent = reserve(booker, facility, *hours(local(2030, 3, 6, 10), 2), title="Board meeting")
    with unit_of_work():
        cancelled = services.create_reservation(booker, facility, booker.organisations[0],
                                                *hours(local(2030, 3, 5, 14), 1), title="Cancelled", now=NOW)
        services.cancel(booker, cancelled, reason="Anna is ill", now=NOW)
    with unit_of_work():
        block = services.create_internal_block(manager, facility, *hours(local(2030, 3, 5, 16), 1),
                                               title="Floor polishing", internal_note="Contractor Oy", now=NOW)
    before = statistics()

    with unit_of_work():
        assert services.anonymise_old(24, now=TWO_YEARS_LATER) == 2
    db.session.expire_all()
    for gone in (old, cancelled):
        assert gone.user_id is None and gone.title == "" and gone.purpose == "" and gone.answers == {}
        assert gone.cancel_reason is None and gone.anonymised_dt == TWO_YEARS_LATER
        assert gone.organisation_id == booker.organisations[0].id  # organisations are not people
    assert old.attendees == 12 and old.status.value == "confirmed"
    assert recent.title == "Board meeting" and recent.user_id == booker.id and recent.anonymised_dt is None
    assert block.title == "Floor polishing" and block.internal_note == "Contractor Oy"  # the city's own record
    assert statistics() == before
    assert any(row[8] for row in before if len(row) > 2)  # the cancellation is counted, before and after

    with unit_of_work():
        assert services.anonymise_old(24, now=TWO_YEARS_LATER) == 0  # each once


def test_a_series_loses_its_title_once_every_occurrence_has(app, english, facility, booker):
    with unit_of_work():
        series = services.create_series(booker, facility, booker.organisations[0], *hours(local(2030, 3, 5, 10), 1),
                                        "FREQ=WEEKLY;COUNT=3", title="Choir practice", now=NOW)
    with unit_of_work():
        services.anonymise_old(24, now=local(2032, 3, 13, 0))  # the first two occurrences only
    db.session.expire_all()
    assert series.title == "Choir practice" and series.user_id == booker.id
    with unit_of_work():
        services.anonymise_old(24, now=local(2032, 3, 20, 0))
    db.session.expire_all()
    assert series.title == "" and series.user_id is None
    assert all(r.anonymised_dt for r in db.session.scalars(select(Reservation).where(Reservation.series_id == series.id)))


def test_the_job_reads_the_retention_period_from_the_settings(app, english, facility, booker, reserve):
    booked_then = utcnow() - timedelta(days=100)  # a booking made and held a hundred days ago
    start = booked_then.astimezone(HELSINKI).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    booked = reserve(booker, facility, *hours(start, 2), now=booked_then)
    app.config["RETENTION_MONTHS"] = 24
    assert jobs.run("anonymise-old-reservations") == 0
    app.config["RETENTION_MONTHS"] = 2
    assert jobs.run("anonymise-old-reservations") == 1
    db.session.expire_all()
    assert booked.anonymised_dt is not None and booked.title == ""
    assert jobs.JOBS["anonymise-old-reservations"].cron == "45 3 * * *"
