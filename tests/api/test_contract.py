"""The OpenAPI document says exactly what the API accepts (issue 14): a required body is
required, a date is a date, and the rules between fields are in the descriptions. Most checks
walk the document itself, so an operation added later is held to the same contract."""
from __future__ import annotations

import re

import pytest

DATE_FORMATS = {"date", "date-time"}
# A valid value for every date or date-time query parameter, by name (windows in order).
VALID = {"from": ("2030-03-01", "2030-03-04T10:00:00+02:00"), "to": ("2030-03-31", "2030-03-04T12:00:00+02:00"),
         "start": (None, "2030-03-04T10:00:00+02:00"), "end": (None, "2030-03-04T12:00:00+02:00"),
         "free_from": (None, "2030-03-04T10:00:00+02:00"), "free_to": (None, "2030-03-04T12:00:00+02:00")}
NOT_DATES = ["0.5", "0", "86400", "1e5", "-1"]


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def _url(path: str, facility) -> str:
    return re.sub(r"\{\w+\}", str(facility.id), path)


def _format(schema: dict) -> str | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("format") in DATE_FORMATS:
            return option["format"]
    return None


# --- required bodies ----------------------------------------------------------------------------

def test_an_operation_whose_body_is_required_refuses_none(client, document, facility, admin, token_for):
    """Before anything but the token (even before the id in the path is looked up): 400. An
    admin's token has every scope."""
    headers = token_for(admin)
    required = [(path, method) for path, method, op in _operations(document)
                if op.get("requestBody", {}).get("required")]
    assert ("/api/v1/me", "PATCH") in required
    for path, method in required:
        response = client.open(_url(path, facility), method=method, headers=headers)
        assert response.status_code == 400, f"{method} {path} took no body: {response.status_code}"
        assert response.mimetype == "application/problem+json"


def test_only_a_body_of_optional_fields_may_be_left_out(document):
    schemas = document["components"]["schemas"]
    optional = {}
    for path, method, op in _operations(document):
        body = op.get("requestBody")
        if body is not None and not body["required"]:
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            optional[f"{method} {path}"] = schemas[name].get("required", [])
    assert optional == {"POST /api/v1/reservations/{reservation_id}/cancel": [],
                        "POST /api/v1/reservations/{reservation_id}/approve": [],
                        "POST /api/v1/agreements/{agreement_id}/{transition}": [],
                        "POST /api/v1/rounds/{round_id}/allocate": []}


def test_patch_me_needs_something_to_change(client, booker, token_for):
    headers = token_for(booker)
    for body in (None, {}):
        response = client.patch("/api/v1/me", headers=headers, json=body)
        assert response.status_code in (400, 422), body
    response = client.patch("/api/v1/me", headers=headers, json={"locale": "fi"})
    assert response.status_code == 200
    assert response.get_json()["locale"] == "fi"


def test_the_document_says_patch_me_needs_a_field(document):
    schema = document["components"]["schemas"]["MeUpdate"]
    assert schema["minProperties"] == 1
    assert document["paths"]["/api/v1/me"]["patch"]["requestBody"]["required"] is True


def test_an_action_without_a_body_takes_its_defaults(client, facility, booker, reserve, token_for):
    from tests.fixtures.reservations import NOW, hours, local

    reservation = reserve(booker, facility, *hours(local(2030, 3, 5, 10), 1), now=NOW)
    response = client.post(f"/api/v1/reservations/{reservation.id}/cancel", headers=token_for(booker))
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"


# --- dates are dates -----------------------------------------------------------------------------

def test_every_date_in_a_query_is_documented_as_one(document):
    """Each parameter named like a time has a date or date-time format (so a client knows)."""
    for path, method, op in _operations(document):
        for param in op["parameters"]:
            if param["name"] in VALID:
                assert _format(param["schema"]), f"{method} {path} ?{param['name']} is not documented as a date"


def test_a_number_is_not_a_date_in_any_query(client, document, facility, booker, token_for):
    """`to=0.5` was read as half a second after 1970; every date or date-time parameter now
    refuses a number (422), whichever operation it belongs to."""
    headers = token_for(booker)
    checked = []
    for path, method, op in _operations(document):
        dates = {p["name"]: _format(p["schema"]) for p in op["parameters"]
                 if p["in"] == "query" and _format(p["schema"])}
        if method != "GET" or not dates:
            continue
        valid = {name: VALID[name][kind == "date-time"] for name, kind in dates.items()}
        assert client.get(_url(path, facility), query_string=valid, headers=headers).status_code == 200, path
        for name in dates:
            for number in NOT_DATES:
                response = client.get(_url(path, facility), query_string={**valid, name: number}, headers=headers)
                assert response.status_code == 422, f"GET {path}?{name}={number}: {response.status_code}"
                assert name in response.get_json()["detail"]
            checked.append(f"{path}?{name}")
    assert "/api/v1/stats/utilisation?to" in checked
    assert "/api/v1/reservations?to" in checked


@pytest.mark.parametrize("value", ["2030-03-01T00:00:00", "20300301", "2030-3-1", "9999-12-31", "0001-01-01"])
def test_a_day_is_an_iso_date_within_the_years(client, value):
    response = client.get("/api/v1/stats/utilisation", query_string={"from": value})
    assert response.status_code == 422


def _booking(facility, booker, **changes):
    return {"facility_id": facility.id, "organisation_id": booker.organisations[0].id, "title": "Meeting",
            "start": "2030-03-05T10:00:00+02:00", "end": "2030-03-05T11:00:00+02:00", **changes}


@pytest.mark.parametrize("field, value", [("start", 1893837600), ("start", 1893837600.5), ("end", "1893841200"),
                                          ("skip", [0]), ("skip", ["2030-03-05T00:00:00"])])
def test_a_number_is_not_a_date_in_a_body(client, facility, booker, token_for, field, value):
    body = _booking(facility, booker, **{field: value})
    if field == "skip":
        body["recurrence"] = "FREQ=WEEKLY;COUNT=2"
    response = client.post("/api/v1/reservations", headers=token_for(booker), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["detail"]


def test_a_tariff_starts_on_a_date(client, facility, manager, token_for):
    body = {"valid_from": 0, "name": "Standard", "unit": "per_hour", "base_price_cents": 6000,
            "prices_include_vat": True}
    response = client.put(f"/api/v1/facilities/{facility.id}/tariffs", headers=token_for(manager), json=body)
    assert response.status_code == 422
    assert "valid_from" in response.get_json()["detail"]


# --- rules between fields ----------------------------------------------------------------------

# (operation, field, what its description must name): every field a rule ties to another.
CROSS_FIELD = [
    ("GET /api/v1/stats/utilisation", "from", "`to`"),
    ("GET /api/v1/stats/utilisation", "to", "`from`"),
    ("GET /api/v1/reservations", "from", "`to`"),
    ("GET /api/v1/reservations", "to", "`from`"),
    ("GET /api/v1/facilities", "free_from", "`free_to`"),
    ("GET /api/v1/facilities", "free_to", "`free_from`"),
    ("GET /api/v1/facilities/{facility_id}/availability", "from", "`to`"),
    ("GET /api/v1/facilities/{facility_id}/availability", "to", "`from`"),
    ("GET /api/v1/facilities/{facility_id}/quote", "start", "`end`"),
    ("GET /api/v1/facilities/{facility_id}/quote", "end", "`start`"),
    ("ReservationIn", "start", "`end`"),
    ("ReservationIn", "end", "`start`"),
    ("ReservationIn", "organisation_id", "internal_block"),
    ("ReservationIn", "skip", "`recurrence`"),
    ("BlockIn", "start", "`end`"),
    ("BlockIn", "end", "`start`"),
    ("AgreementIn", "end_date", "`start_date`"),
    ("AgreementIn", "insurance_expiry_date", "`end_date`"),
    ("AgreementIn", "fee_at_signing_cents", "`pilot_fee_cents`"),
    ("ChallengeIn", "period_end_date", "`period_start_date`"),
    ("ChallengeIn", "criteria", "100"),
    ("TariffIn", "long_booking_min_days", "`long_booking_percent`"),
    ("TariffIn", "underused_threshold", "`underused_percent`"),
    ("TariffIn", "late_fee_percent", "`late_fee_cents`"),
    ("BandIn", "end", "`start`"),
    ("RuleIn", "percent", "kind=percent"),
    ("RuleIn", "fixed_cents", "kind=fixed"),
    ("ApproveIn", "price_cents", "free_of_charge_reason"),
]


def _description(document, where: str, name: str) -> str:
    if " " in where:
        method, path = where.split(" ", 1)
        [param] = [p for p in document["paths"][path][method.lower()]["parameters"] if p["name"] == name]
        return param.get("description", "")
    schemas = document["components"]["schemas"]
    schema = schemas.get(where) or schemas[f"{where}-Input"]
    return schema["properties"][name].get("description", "")


@pytest.mark.parametrize("where, name, names", CROSS_FIELD, ids=[f"{w} {n}" for w, n, _x in CROSS_FIELD])
def test_a_rule_between_fields_is_described(document, where, name, names):
    assert names in _description(document, where, name)


@pytest.mark.parametrize("url", [
    "/api/v1/reservations?from=2030-03-05T10:00:00%2B02:00&to=2030-03-05T09:00:00%2B02:00",
    "/api/v1/stats/utilisation?from=2030-03-05&to=2030-03-04",
    "/api/v1/facilities?free_from=2030-03-05T10:00:00%2B02:00",
])
def test_a_broken_rule_between_fields_is_a_422(client, booker, token_for, url):
    response = client.get(url, headers=token_for(booker))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
