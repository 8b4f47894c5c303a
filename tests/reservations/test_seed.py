"""The demo reservations: made through the services, varied, and loaded only once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from booking.database import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus as S
from booking.seed import DEMO_DIR
from booking.seed import accounts as accounts_seed
from booking.seed import facilities as facilities_seed
from booking.seed import reservations as reservations_seed
from tests.fixtures.reservations import OVERLAPPING_ACTIVE_PAIRS


def test_without_facilities_the_seed_does_nothing(app):
    accounts_seed.load(DEMO_DIR)
    assert reservations_seed.load(DEMO_DIR) == "no published facilities or members yet; nothing to seed"
    assert db.session.scalar(select(func.count(Reservation.id))) == 0


def test_demo_reservations(app):
    accounts_seed.load(DEMO_DIR)
    facilities_seed.load(DEMO_DIR)
    summary = reservations_seed.load(DEMO_DIR)
    assert "past reservations" in summary and "multi-week pilots" in summary
    everything = list(db.session.scalars(select(Reservation)))
    now = utcnow()

    statuses = {r.status for r in everything}
    assert {S.completed, S.confirmed, S.pending, S.cancelled} <= statuses
    assert any(r.end_dt < now - timedelta(weeks=8) for r in everything)        # months of history
    assert any(r.start_dt > now + timedelta(weeks=4) for r in everything)      # and weeks ahead
    assert any(r.is_overdue(now) for r in everything)
    assert sum(r.kind == ReservationKind.internal_block for r in everything) >= 2

    youth = [r for r in everything if r.series_id and r.organisation.name == reservations_seed.YOUTH]
    assert len(youth) >= 8 and len({r.start_dt.weekday() for r in youth}) == 1
    [pilot] = [r for r in everything if r.title == "Air-quality sensor pilot"]
    assert pilot.organisation.name == reservations_seed.SENSORS and pilot.facility.category == "public_space"
    assert pilot.end_dt - pilot.start_dt >= timedelta(weeks=4) - timedelta(hours=1)

    assert db.session.scalar(OVERLAPPING_ACTIVE_PAIRS) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0  # the demo e-mails nobody

    assert reservations_seed.load(DEMO_DIR) == "already seeded"
    assert db.session.scalar(select(func.count(Reservation.id))) == len(everything)


def test_demo_reservations_keep_prices_and_last_month_is_invoiced(app):
    from booking.pricing.models import BillingStatus, Invoice
    from booking.seed import invoices as invoices_seed
    from booking.seed import pricing as pricing_seed
    accounts_seed.load(DEMO_DIR)
    facilities_seed.load(DEMO_DIR)
    pricing_seed.load(DEMO_DIR)
    reservations_seed.load(DEMO_DIR)

    bookings = list(db.session.scalars(select(Reservation).where(Reservation.kind == ReservationKind.booking)))
    assert bookings and all(r.price is not None for r in bookings)
    completed = [r for r in bookings if r.status == S.completed]
    assert all(r.price.billing_status in (BillingStatus.billable, BillingStatus.invoiced) for r in completed)

    assert "invoices for" in invoices_seed.load(DEMO_DIR)
    invoices = list(db.session.scalars(select(Invoice)))
    assert invoices and sorted(i.number for i in invoices) == list(range(1, len(invoices) + 1))
    assert invoices_seed.load(DEMO_DIR) == "already invoiced"
