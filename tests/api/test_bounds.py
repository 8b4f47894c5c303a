"""Inputs that once gave 500s (found by fuzzing, core issue): each now gets a 4xx that says why,
on SQLite and PostgreSQL alike."""
from __future__ import annotations

import pytest

DEEP = b"[" * 100_000 + b"]" * 100_000


def _booking(facility, booker, **changes):
    body = {"facility_id": facility.id, "start": "2030-03-05T10:00:00+02:00", "end": "2030-03-05T11:00:00+02:00",
            "title": "Fuzz", "attendees": 1, "organisation_id": booker.organisations[0].id}
    return {**body, **changes}


CASES = [
    # (method, url, body or form, who, expected status)
    ("GET", "/api/v1/facilities/99999999999999999999", None, None, 404),
    ("GET", "/api/v1/facilities/2147483648", None, None, 404),
    ("GET", "/api/v1/facilities/0", None, None, 404),
    ("GET", "/reservations/2147483648/confirmation", None, "booker", 404),
    ("GET", "/facilities?page=99999999999999999999", None, None, 422),
    ("GET", "/facilities?page=2147483647", None, None, 200),
    ("GET", "/api/v1/facilities?q=a%00b", None, None, 400),
    ("GET", "/facilities?q=a%00b", None, None, 400),
    ("POST", "/register", {"name": "a\x00b", "email": "x@example.com"}, None, 400),
    ("GET", "/api/v1/tokens?page=2736282580985646080", None, "booker", 422),
    ("GET", "/api/v1/facilities?min_capacity=99999999999999999999", None, None, 422),
    ("GET", "/api/v1/facilities?department=99999999999999999999", None, None, 422),
    ("POST", "/api/v1/reservations", "year 0001", "booker", 422),
    ("POST", "/api/v1/reservations", "year 9999", "booker", 422),
    ("POST", "/api/v1/reservations", "huge ids", "booker", 422),
    ("POST", "/api/v1/reservations", "NUL title", "booker", 422),
    ("POST", "/api/v1/reservations", DEEP, "booker", 400),
    ("POST", "/api/v1/reservations", b'{"title": "' + b"x" * 1_100_000 + b'"}', "booker", 413),
    ("POST", "/api/v1/reservations", b"", "booker", 400),
    ("PATCH", "/api/v1/me", b"", "booker", 400),
    ("PATCH", "/api/v1/me", b"[1]", "booker", 422),
    ("PATCH", "/api/v1/me", DEEP, "booker", 400),
]


@pytest.mark.parametrize("method, url, payload, who, status", CASES,
                         ids=[f"{c[0]} {c[1][:50]} {c[2] if isinstance(c[2], str) else ''}".strip() for c in CASES])
def test_out_of_range_input_is_a_4xx_never_a_500(client, auth, facility, booker, token_for,
                                                  method, url, payload, who, status):
    headers = {}
    if who and url.startswith("/api/"):
        headers = token_for(booker)
    elif who:
        auth.login(booker)
    kwargs = {}
    named = {"year 0001": {"start": "0001-01-01T00:00:00+02:00", "end": "0001-01-01T01:00:00+02:00"},
             "year 9999": {"start": "9999-12-31T22:00:00-02:00", "end": "9999-12-31T23:00:00-02:00"},
             "huge ids": {"facility_id": 2**31, "organisation_id": 99999999999999999999},
             "NUL title": {"title": "a\x00b"}}
    if isinstance(payload, str):
        kwargs["json"] = _booking(facility, booker, **named[payload])
    elif isinstance(payload, bytes):
        kwargs.update(data=payload, content_type="application/json")
    elif isinstance(payload, dict):
        kwargs["data"] = payload
    response = client.open(url, method=method, headers=headers, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if url.startswith("/api/") and status >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"]


def test_a_nul_byte_is_explained_on_a_page(client):
    response = client.get("/facilities?q=a%00b")
    assert "NUL character" in response.get_data(as_text=True)


def test_an_instant_out_of_range_says_which_years(client, facility, booker, token_for):
    response = client.post("/api/v1/reservations", headers=token_for(booker),
                           json=_booking(facility, booker, start="0001-01-01T00:00:00+02:00"))
    assert "between the years 1900 and 2999" in response.get_json()["detail"]


def test_an_oversized_capacity_is_refused_with_a_reason(app):
    from booking.facilities.services import MAX_CAPACITY, facility_problems

    problems = facility_problems({"name": "Stadium", "category": "meeting_room", "capacity": 10**20})
    assert [m.code for m in problems["capacity"]] == ["facilities.capacity_too_large"]
    assert facility_problems({"capacity": MAX_CAPACITY}).get("capacity") is None
