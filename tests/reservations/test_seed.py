"""The reservations part of the demo without facilities does nothing (tests/test_demo.py checks the whole demo)."""
from __future__ import annotations


from sqlalchemy import func, select

from booking.extensions import db
from booking.reservations.models import Reservation
from booking.seed import DEMO_DIR
from booking.seed import accounts as accounts_seed
from booking.seed import reservations as reservations_seed


def test_without_facilities_the_seed_does_nothing(app):
    accounts_seed.load(DEMO_DIR)
    assert reservations_seed.load(DEMO_DIR) == "no published facilities or members yet; nothing to seed"
    assert db.session.scalar(select(func.count(Reservation.id))) == 0
