"""GET|POST /api/v1/feeds, DELETE /api/v1/feeds/{id} and POST /api/v1/feeds/{id}/regenerate."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from tests.fixtures.calendars import days_from_now


@pytest.fixture
def hall(create_facility, manager):
    return create_facility("Riverside Hall", slug="riverside-hall", department=manager.departments[0])


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_create_fetch_list_and_revoke_a_feed(client, token_for, booker, hall, make_reservation):
    booked = make_reservation(hall, days_from_now(3), days_from_now(3) + timedelta(hours=1), user=booker)
    headers = token_for(booker)

    response = client.post("/api/v1/feeds", json={"kind": "organisation", "target_id": booker.organisations[0].id},
                           headers=headers)

    assert response.status_code == 201
    created = response.get_json()
    assert created["kind"] == "organisation" and created["url"].endswith(".ics")
    assert created["webcal_url"] == "webcal://" + created["url"].split("://")[1]
    feed = client.get(path_of(created["url"]))
    [event] = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert str(event["uid"]) == f"reservation-{booked.id}@127.0.0.1"

    listed = client.get("/api/v1/feeds", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    assert "url" not in listed["items"][0]  # the address is shown once

    assert client.delete(f"/api/v1/feeds/{created['id']}", headers=headers).status_code == 204
    assert client.get(path_of(created["url"])).status_code == 404
    assert client.get("/api/v1/feeds", headers=headers).get_json()["items"][0]["revoked_dt"] is not None


def test_a_user_feed_defaults_to_the_caller_and_a_manager_feed_to_every_department(client, token_for, booker,
                                                                                   manager):
    mine = client.post("/api/v1/feeds", json={"kind": "user"}, headers=token_for(booker)).get_json()
    assert mine["target_id"] == booker.id
    every = client.post("/api/v1/feeds", json={"kind": "manager"}, headers=token_for(manager))
    assert every.status_code == 201 and every.get_json()["target_id"] is None


def test_regenerating_gives_a_new_address(client, token_for, booker):
    headers = token_for(booker)
    created = client.post("/api/v1/feeds", json={"kind": "user"}, headers=headers).get_json()

    renewed = client.post(f"/api/v1/feeds/{created['id']}/regenerate", headers=headers)

    assert renewed.status_code == 200 and renewed.get_json()["url"] != created["url"]
    assert client.get(path_of(created["url"])).status_code == 404
    assert client.get(path_of(renewed.get_json()["url"])).status_code == 200


@pytest.mark.parametrize("body, status, code", [
    ({"kind": "agreement", "target_id": 1}, 404, "calendars.target_not_found"),
    ({"kind": "facility"}, 422, "calendars.target_required"),
    ({"kind": "organisation", "target_id": 424242}, 404, "calendars.target_not_found"),
    ({"kind": "weather", "target_id": 1}, 422, None),
    ({"kind": "facility", "target_id": 2**31}, 422, None),
    ({"kind": "user", "extra": 1}, 422, None),
])
def test_bad_requests_are_problems(client, token_for, booker, body, status, code):
    response = client.post("/api/v1/feeds", json=body, headers=token_for(booker))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    if code:
        assert code in [e.get("code") for e in response.get_json()["errors"]]


def test_other_people_s_feeds_are_not_found_but_admins_list_and_revoke_them(client, token_for, booker, admin,
                                                                            create_user):
    created = client.post("/api/v1/feeds", json={"kind": "user"}, headers=token_for(booker)).get_json()
    stranger = token_for(create_user())

    assert client.delete(f"/api/v1/feeds/{created['id']}", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/feeds/{created['id']}/regenerate", headers=stranger).status_code == 404
    assert client.get("/api/v1/feeds?all=true", headers=stranger).status_code == 403
    assert client.get("/api/v1/feeds", headers=stranger).get_json()["total"] == 0

    as_admin = token_for(admin)
    assert client.get("/api/v1/feeds?all=true", headers=as_admin).get_json()["total"] == 1
    assert client.post(f"/api/v1/feeds/{created['id']}/regenerate", headers=as_admin).status_code == 403
    assert client.delete(f"/api/v1/feeds/{created['id']}", headers=as_admin).status_code == 204
    assert client.get(path_of(created["url"])).status_code == 404


def test_feeds_need_a_token(client):
    assert client.get("/api/v1/feeds").status_code == 401
    assert client.post("/api/v1/feeds", json={"kind": "user"}).status_code == 401


def test_the_feed_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/feeds"]) == {"get", "post"}
    assert set(paths["/api/v1/feeds/{feed_id}"]) == {"delete"}
    created = paths["/api/v1/feeds"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/CreatedFeed"}
