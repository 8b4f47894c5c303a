"""The catalogue, find-a-time, the facility page and the facilities API send as many SQL
statements for 25 facilities as for 5: nothing is loaded one facility at a time."""
from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from urllib.parse import quote

import pytest

from booking.extensions import db
from booking.facilities.models import FacilityPhoto
from tests.facilities.helpers import add_closure, add_special, at, busy, count_queries, next_monday  # noqa: F401


def populate(create_facility, busy, first: int, count: int) -> None:
    """`count` facilities, each with hours, amenities, accessibility, a photo, a closure, a
    special opening and busy time, so every relation a page shows has rows to load."""
    monday = next_monday()
    for number in range(first, first + count):
        facility = create_facility(f"Place {number:02d}", slug=f"place-{number:02d}", amenities={"Projector": 1, "Sink": 2},
                                   accessibility=["lift", "induction_loop"], district=f"District {number % 3}")
        db.session.add(FacilityPhoto(facility=facility, storage_key=f"photos/{uuid.uuid4().hex}.jpg",
                                     content_type="image/jpeg", width=800, height=600, alt_text="Inside"))
        db.session.commit()
        add_closure(facility, at(monday, 12), at(monday, 13))
        add_special(facility, monday + timedelta(days=2), time(10), time(14))
        busy.add(facility, at(monday, 9), at(monday, 10))


def queries_for(client, url: str) -> int:
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return queries.count


def _urls(monday: date) -> dict[str, str]:
    window = f"free_from={quote(at(monday, 8).isoformat())}&free_to={quote(at(monday, 18).isoformat())}"
    return {
        "catalogue": "/facilities",
        "catalogue searched": f"/facilities?date={monday}&time=09:00&duration=120&size=2&amenity=Projector",
        "find a time": f"/facilities/find?date_from={monday}&date_to={monday + timedelta(days=4)}&duration=120",
        "week view": f"/facilities/place-00?week={monday}&date={monday}&time=10:00&duration=60",
        "api list": "/api/v1/facilities?per_page=50",
        "api free": f"/api/v1/facilities?{window}",
    }


@pytest.mark.parametrize("page", list(_urls(date(2030, 1, 7))))
def test_query_count_does_not_grow_with_the_number_of_facilities(page, client, create_facility, busy):
    monday = next_monday()
    url = _urls(monday)[page]

    populate(create_facility, busy, 0, 5)
    few = queries_for(client, url)

    populate(create_facility, busy, 5, 20)
    many = queries_for(client, url)

    assert few == many, f"{page}: {few} queries for 5 facilities, {many} for 25"

