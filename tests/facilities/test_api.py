"""The discovery API: /api/v1/facilities, one facility, and its availability."""
from __future__ import annotations

from datetime import time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from booking.facilities.models import FacilityStatus
from tests.facilities.helpers import add_closure, at, busy, next_monday  # noqa: F401  (busy is a fixture)


def test_the_list_is_public_paginated_and_published_only(client, create_facility):
    for number in range(3):
        create_facility(f"Room {number}")
    create_facility("Draft", status=FacilityStatus.draft)

    body = client.get("/api/v1/facilities?per_page=2").get_json()

    assert body["total"] == 3
    assert [f["name"] for f in body["items"]] == ["Room 0", "Room 1"]
    second = client.get("/api/v1/facilities?per_page=2&page=2").get_json()
    assert [f["name"] for f in second["items"]] == ["Room 2"]


def test_the_list_filters_like_the_catalogue(client, create_facility, create_department):
    science = create_department("Science")
    create_facility("Lab", category="lab", department=science, district="Kallio", capacity=12,
                    amenities={"Fume hood": 1}, accessibility=["lift"])
    create_facility("Hall", category="venue", district="Kallio", capacity=100)

    def names(query):
        return [f["name"] for f in client.get(f"/api/v1/facilities?{query}").get_json()["items"]]

    assert names("category=lab") == ["Lab"]
    assert names(f"department={science.id}") == ["Lab"]
    assert names("district=Kallio") == ["Hall", "Lab"]
    assert names("min_capacity=50") == ["Hall"]
    assert names("amenity=Fume%20hood&amenity=fume%20HOOD") == ["Lab"]
    assert names("accessibility=lift") == ["Lab"]


def test_a_facility_in_full(client, create_facility):
    facility = create_facility("Lab", slug="lab", capacity=12, amenities={"Microscope": 4},
                               accessibility=["step_free_access"], latitude=60.2, longitude=24.9)

    body = client.get(f"/api/v1/facilities/{facility.id}").get_json()

    assert body["name"] == "Lab" and body["slug"] == "lab" and body["capacity"] == 12
    assert body["amenities"] == [{"code": "microscope", "group": "other", "name": "Microscope", "quantity": 4}]
    assert body["accessibility"] == ["step_free_access"]
    assert body["timezone"] == "Europe/Helsinki"
    assert body["rules"]["slot_minutes"] == 30 and body["rules"]["approval_policy"] == "automatic"
    assert body["url"].endswith("/facilities/lab")


def test_drafts_are_404_except_for_their_managers(client, create_facility, manager, token_for, create_user):
    draft = create_facility("Draft", status=FacilityStatus.draft, department=manager.departments[0])

    assert client.get(f"/api/v1/facilities/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/facilities/{draft.id}", headers=token_for(create_user())).status_code == 404
    response = client.get(f"/api/v1/facilities/{draft.id}", headers=token_for(manager))
    assert response.status_code == 200 and response.get_json()["status"] == "draft"
    missing = client.get("/api/v1/facilities/999999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def iso(instant) -> str:
    return quote(instant.isoformat())


def test_availability_lists_open_busy_and_free_with_local_offsets(client, create_facility, busy):
    hall = create_facility("Hall", hours={d: [(time(9), time(17))] for d in range(7)},
                           rules={"buffer_before_minutes": 30})
    monday = next_monday()
    busy.add(hall, at(monday, 12), at(monday, 13))

    response = client.get(f"/api/v1/facilities/{hall.id}/availability?from={iso(at(monday, 0))}"
                          f"&to={iso(at(monday, 0) + timedelta(days=1))}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["timezone"] == "Europe/Helsinki"

    def span(start, end):  # local wall-clock times with the offset of that day
        zone = ZoneInfo("Europe/Helsinki")
        return {"start": at(monday, *start).astimezone(zone).isoformat(),
                "end": at(monday, *end).astimezone(zone).isoformat()}

    assert body["open"] == [span((9,), (17,))]
    assert body["open"][0]["start"].startswith(f"{monday}T09:00:00+0")
    assert body["busy"] == [span((12,), (13,))]
    assert body["free"] == [span((9,), (12,)), span((13, 30), (17,))]


def test_availability_refuses_naive_timestamps_and_long_windows(client, create_facility):
    hall = create_facility("Hall")
    url = f"/api/v1/facilities/{hall.id}/availability"

    naive = client.get(f"{url}?from=2030-01-07T00:00:00&to=2030-01-08T00:00:00")
    assert naive.status_code == 422 and naive.mimetype == "application/problem+json"
    assert "timezone" in naive.get_json()["detail"].lower()

    too_long = client.get(f"{url}?from=2030-01-01T00:00:00Z&to=2030-06-01T00:00:00Z")
    assert too_long.status_code == 422 and "62 days" in too_long.get_json()["detail"]

    backwards = client.get(f"{url}?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z")
    assert backwards.status_code == 422

    assert client.get(url).status_code == 422  # from and to are required

    ancient = client.get(f"{url}?from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z")
    assert ancient.status_code == 422


def test_an_unencoded_plus_in_the_offset_is_understood(client, create_facility):
    hall = create_facility("Hall")
    response = client.get(f"/api/v1/facilities/{hall.id}/availability"
                          "?from=2030-01-07T00:00:00+02:00&to=2030-01-08T00:00:00+02:00")
    assert response.status_code == 200
    assert response.get_json()["open"][0]["start"] == "2030-01-07T08:00:00+02:00"


def test_free_from_and_free_to_keep_facilities_with_some_free_time(client, create_facility, busy):
    monday = next_monday()
    create_facility("Free Hall")
    booked = create_facility("Booked Hall")
    busy.add(booked, at(monday, 0), at(monday, 0) + timedelta(days=1))
    closed = create_facility("Closed Hall")
    add_closure(closed, at(monday, 0), at(monday, 0) + timedelta(days=1))

    body = client.get(f"/api/v1/facilities?free_from={iso(at(monday, 10))}&free_to={iso(at(monday, 12))}").get_json()

    assert body["total"] == 1
    assert [f["name"] for f in body["items"]] == ["Free Hall"]


def test_free_from_needs_free_to(client):
    response = client.get("/api/v1/facilities?free_from=2030-01-07T00:00:00Z")
    assert response.status_code == 422
    assert "free_to" in response.get_json()["detail"]


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/facilities"]
    assert "get" in paths["/api/v1/facilities/{facility_id}"]
    availability = paths["/api/v1/facilities/{facility_id}/availability"]["get"]
    assert {p["name"] for p in availability["parameters"]} >= {"facility_id", "from", "to"}
    listed = {p["name"] for p in paths["/api/v1/facilities"]["get"]["parameters"]}
    assert {"category", "department", "district", "min_capacity", "amenity", "free_from", "free_to", "page",
            "per_page"} <= listed
