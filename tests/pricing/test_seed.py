"""The demo city's tariffs: every demo facility is priced, and seeding again changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from booking.extensions import db
from booking.facilities.models import Facility
from booking.pricing import services
from booking.pricing.models import Tariff
from booking.seed import DEMO_DIR, accounts, facilities, pricing
from tests.fixtures.pricing import at


def test_every_demo_facility_gets_a_tariff_once(app, english):
    accounts.load(DEMO_DIR)
    facilities.load(DEMO_DIR)
    assert pricing.load(DEMO_DIR).startswith("49 new")
    assert pricing.load(DEMO_DIR) == "0 new tariffs"
    assert db.session.scalar(select(func.count(Tariff.id))) == db.session.scalar(select(func.count(Facility.id)))
    hall = db.session.scalar(select(Facility).where(Facility.slug == "satama-culture-house-great-hall"))
    tariff = services.tariff_at(hall, at(2030, 3, 5, 10))
    assert [b.label for b in tariff.bands] == ["Weekends", "Weekday evenings"]
    assert {r.actor_type.value: r.kind.value for r in tariff.rules} == {
        "third_sector": "percent", "citizen_group": "free", "startup": "percent", "research": "percent",
        "public_body": "fixed"}
    # €80/h with VAT; a Tuesday evening hour +20 %; an association pays half.
    evening = services.quote_for(hall, "third_sector", at(2030, 3, 5, 18), at(2030, 3, 5, 20))
    assert evening.gross_cents == 9600 and evening.undiscounted_gross_cents == 19200
    assert services.quote_for(hall, "large_company", at(2030, 3, 5, 10), at(2030, 3, 5, 12)).gross_cents == 16000
