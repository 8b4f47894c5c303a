"""A JSON body's integers, numbers and booleans must be JSON integers, numbers and booleans, as
the OpenAPI document says: "5" or "true" is refused with a 422 that names the field, while
dates and instants still arrive as ISO 8601 strings."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError

from booking.api.strictness import check_json_scalars
from booking.api.types import Count, Day, Id, Instant


class Line(BaseModel):
    quantity: Count
    paid: bool = False


class Body(BaseModel):
    facility_id: Id
    start: Instant
    day: Day | None = None
    hours: Literal[1, 24] = 24
    share: float | None = None
    amount: Decimal | None = None
    lines: list[Line] = []
    tags: dict[str, int] = {}


GOOD = {"facility_id": 5, "start": "2030-03-05T10:00:00+02:00", "day": "2030-03-05", "hours": 1, "share": 0.5,
        "amount": "12.50", "lines": [{"quantity": 2, "paid": True}], "tags": {"a": 1}}


def _refused(data) -> list[tuple]:
    with pytest.raises(ValidationError) as refused:
        check_json_scalars(Body, data)
    return [(e["loc"], e["msg"]) for e in refused.value.errors()]


def test_json_numbers_booleans_and_iso_strings_pass():
    check_json_scalars(Body, GOOD)
    body = Body.model_validate(GOOD)
    assert body.day == date(2030, 3, 5) and body.amount == Decimal("12.50")
    check_json_scalars(Body, {**GOOD, "day": None, "share": 1, "amount": 3})


@pytest.mark.parametrize("change, where, message", [
    ({"facility_id": "5"}, ("facility_id",), "must be an integer in JSON, not a string"),
    ({"facility_id": True}, ("facility_id",), "must be an integer in JSON, not a boolean"),
    ({"hours": "24"}, ("hours",), "must be an integer in JSON, not a string"),
    ({"share": "0.5"}, ("share",), "must be a number in JSON, not a string"),
    ({"lines": [{"quantity": "2"}]}, ("lines", 0, "quantity"), "must be an integer in JSON, not a string"),
    ({"lines": [{"quantity": 2, "paid": "true"}]}, ("lines", 0, "paid"), "must be true or false in JSON, not a string"),
    ({"lines": [{"quantity": 2, "paid": 1}]}, ("lines", 0, "paid"), "must be true or false in JSON, not a number"),
    ({"tags": {"a": "1"}}, ("tags", "a"), "must be an integer in JSON, not a string"),
], ids=["id-string", "id-boolean", "literal-string", "number-string", "nested", "boolean-string", "boolean-number",
        "mapping"])
def test_a_scalar_written_otherwise_is_refused_where_it_is(change, where, message):
    assert _refused({**GOOD, **change}) == [(where, message)]


def test_every_such_field_is_named_at_once():
    assert [loc for loc, _msg in _refused({**GOOD, "facility_id": "5", "share": "1"})] == [("facility_id",), ("share",)]


def test_the_api_refuses_a_number_in_a_string(client, admin, token_for):
    headers = token_for(admin)
    response = client.post("/api/v1/tokens", json={"name": "Script", "expires_in_days": "30"}, headers=headers)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["errors"] == [{"field": "expires_in_days", "message": "must be an integer in JSON, not a string"}]
    assert client.post("/api/v1/tokens", json={"name": "Script", "expires_in_days": 30},
                       headers=headers).status_code == 201


def test_the_api_refuses_a_boolean_in_a_string(client, manager, token_for):
    headers = token_for(manager)
    response = client.put("/api/v1/me/notification-settings", json={"request_digest": "true"}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "request_digest"
    assert client.put("/api/v1/me/notification-settings", json={"request_digest": True},
                      headers=headers).status_code == 200
