"""The free-room search's page, read as plain rows (api.facilities_out), says exactly what
facility_out says of the same facilities: every field, in every language, with and without
rules, photos, amenities and translations."""
from __future__ import annotations

import uuid
from decimal import Decimal
from urllib.parse import quote

import pytest
from flask import g
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from booking.accounts.models import Department
from booking.extensions import db
from booking.facilities import api
from booking.facilities.models import Amenity, BookingRules, Facility, FacilityPhoto
from tests.facilities.helpers import at, next_monday


def _varied(create_facility) -> list[Facility]:
    culture = Department(name="Culture", translations={"fi": {"name": "Kulttuuri"}})
    db.session.add(culture)
    db.session.commit()
    full = create_facility(
        "Workshop", slug="workshop", department=culture, amenities={"Projector": 2, "Sink": 1, "Piano": 1},
        accessibility=["lift", "induction_loop", "step_free_access"], latitude=60.17, longitude=24.94,
        area_m2=Decimal("120.5"), description="Tools", house_rules="Sweep", accessibility_notes="Ramp at the back",
        address="Main street 1", translations={"fi": {"name": "Paja", "description": "Työkalut"},
                                               "sv": {"house_rules": "Sopa"}},
        rules={"max_duration_minutes": None, "buffer_before_minutes": 15, "allow_multi_day": True,
               "max_active_per_organisation": 3})
    for position, alt in ((1, "Second"), (0, "First"), (2, "Third")):
        db.session.add(FacilityPhoto(facility=full, storage_key=f"photos/{uuid.uuid4().hex}.jpg",
                                     content_type="image/jpeg", width=800 + position, height=600, alt_text=alt,
                                     position=position))
    db.session.scalar(select(Amenity).where(Amenity.name == "Projector")).translations = {"fi": {"name": "Projektori"}}
    bare = create_facility("Bare", slug="bare", amenities={}, latitude=None, area_m2=None)
    db.session.delete(db.session.scalar(select(BookingRules).where(BookingRules.facility_id == bare.id)))
    plain = create_facility("Corner Ärrä", slug="corner-arra", district="Kallio", capacity=0)
    db.session.commit()
    return [plain, full, bare]


@pytest.mark.parametrize("language", ["en", "fi", "sv"])
def test_rows_give_the_same_output_as_the_orm_serializer(app, create_facility, language):
    ids = [f.id for f in _varied(create_facility)]
    with app.test_request_context():
        g.content_language = language
        db.session.expire_all()
        loaded = {f.id: f for f in db.session.scalars(select(Facility).where(Facility.id.in_(ids)).options(
            joinedload(Facility.department), joinedload(Facility.rules), selectinload(Facility.amenities),
            selectinload(Facility.accessibility), selectinload(Facility.photos)))}
        expected = [api.facility_out(loaded[i]).model_dump(mode="json") for i in ids]

        assert api.facilities_out(ids) == expected
        assert api.facilities_out([]) == []
    assert [len(item["photos"]) for item in expected] == [0, 3, 0]
    assert expected[2]["rules"] is None


@pytest.mark.parametrize("language", ["en", "fi"])
def test_each_free_room_result_is_the_facility_as_the_api_shows_it(client, create_facility, language):
    facilities = _varied(create_facility)
    monday = next_monday()
    window = f"free_from={quote(at(monday, 10).isoformat())}&free_to={quote(at(monday, 11).isoformat())}"

    response = client.get(f"/api/v1/facilities?{window}&lang={language}")

    items = response.get_json()["items"]
    assert [item["id"] for item in items] == [f.id for f in sorted(facilities, key=lambda f: f.name.lower())]
    for item in items:
        alone = client.get(f"/api/v1/facilities/{item['id']}?lang={language}")
        assert item == alone.get_json()
    assert response.headers["Content-Language"] == language
