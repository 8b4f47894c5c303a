"""The pricing API: tariffs for managers, quotes for anyone, invoices for their organisations."""
from __future__ import annotations

from datetime import date

import pytest

from booking.accounts.models import ActorType, Role
from booking.extensions import db
from booking.pricing import invoicing
from tests.fixtures.pricing import at

TARIFF = {"valid_from": "2020-01-01", "name": "Standard", "unit": "per_hour", "base_price_cents": 6000,
          "prices_include_vat": False,
          "bands": [{"label": "Evenings", "weekdays": [0, 1, 2, 3, 4], "start": "17:00", "end": "22:00",
                     "percent": 20}],
          "rules": [{"actor_type": "third_sector", "kind": "percent", "percent": "50"},
                    {"actor_type": "citizen_group", "kind": "free"}]}
WINDOW = {"start": "2030-03-05T15:00:00+02:00", "end": "2030-03-05T19:00:00+02:00"}


def test_a_manager_puts_and_gets_tariffs(client, facility, manager, token_for):
    headers = token_for(manager)
    created = client.put(f"/api/v1/facilities/{facility.id}/tariffs", json=TARIFF, headers=headers)
    assert created.status_code == 200, created.json
    body = created.json
    assert body["vat_rate"] == "25.50" and body["version"] == 1 and not body["locked"]  # the default rate
    assert body["bands"][0] == {"label": "Evenings", "weekdays": [0, 1, 2, 3, 4], "start": "17:00", "end": "22:00",
                                "percent": "20.00"}
    again = client.put(f"/api/v1/facilities/{facility.id}/tariffs", json=TARIFF, headers=headers)
    assert again.json["id"] == body["id"]  # idempotent
    listed = client.get(f"/api/v1/facilities/{facility.id}/tariffs", headers=headers)
    assert [t["id"] for t in listed.json] == [body["id"]]


def test_a_refused_tariff_lists_every_reason(client, facility, manager, token_for):
    bad = {**TARIFF, "name": "", "late_fee_percent": 10, "late_fee_cents": 100,
           "rules": [{"actor_type": "sme", "kind": "fixed"}]}
    response = client.put(f"/api/v1/facilities/{facility.id}/tariffs", json=bad, headers=token_for(manager))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert {e["code"] for e in response.json["errors"]} == {"pricing.name_required", "pricing.one_late_fee",
                                                            "pricing.rule_fixed_required"}
    assert client.put(f"/api/v1/facilities/{facility.id}/tariffs", json={**TARIFF, "base_price_cents": -1},
                      headers=token_for(manager)).status_code == 422


def test_only_managers_keep_tariffs(client, facility, member, token_for):
    assert client.get(f"/api/v1/facilities/{facility.id}/tariffs").status_code == 401
    assert client.get(f"/api/v1/facilities/{facility.id}/tariffs", headers=token_for(member)).status_code == 403
    assert client.put(f"/api/v1/facilities/{facility.id}/tariffs", json=TARIFF,
                      headers=token_for(member)).status_code == 403
    assert client.get("/api/v1/facilities/99999999999/tariffs", headers=token_for(member)).status_code == 404


def test_anyone_gets_the_list_price_and_the_rules(client, facility, create_tariff):
    create_tariff(facility)
    response = client.get(f"/api/v1/facilities/{facility.id}/quote", query_string=WINDOW)
    assert response.status_code == 200
    body = response.json
    assert body["priced"] and body["actor_type"] is None and body["gross_cents"] == 33132
    assert [line["kind"] for line in body["lines"]] == ["unit", "unit", "vat"]
    assert body["lines"][1]["band"] == "Evenings" and body["start"] == "2030-03-05T15:00:00+02:00"
    assert {r["actor_type"]: r["kind"] for r in body["rules"]} == {
        "third_sector": "percent", "citizen_group": "free", "startup": "percent"}


def test_a_member_gets_their_organisation_s_price_and_no_one_else_s(client, facility, create_tariff, create_user,
                                                                     create_organisation, token_for):
    create_tariff(facility)
    member = create_user(actor_type=ActorType.third_sector)
    organisation_id = member.organisations[0].id
    mine = client.get(f"/api/v1/facilities/{facility.id}/quote", headers=token_for(member),
                      query_string={**WINDOW, "organisation_id": organisation_id})
    assert mine.json["actor_type"] == "third_sector" and mine.json["gross_cents"] == 16566
    assert mine.json["subsidy_cents"] == 16566
    other = create_organisation()  # another organisation's price answers as a missing one
    assert client.get(f"/api/v1/facilities/{facility.id}/quote", headers=token_for(member),
                      query_string={**WINDOW, "organisation_id": other.id}).status_code == 404
    assert client.get(f"/api/v1/facilities/{facility.id}/quote",
                      query_string={**WINDOW, "organisation_id": organisation_id}).status_code == 404


@pytest.mark.parametrize("query", [
    {"start": "2030-03-05T15:00:00", "end": "2030-03-05T19:00:00+02:00"},
    {"start": "2030-03-05T19:00:00+02:00", "end": "2030-03-05T15:00:00+02:00"},
    {"start": "2030-03-05T15:00:00+02:00", "end": "2032-03-05T15:00:00+02:00"},
    {"start": "0001-01-01T00:00:00+00:00", "end": "0001-01-02T00:00:00+00:00"},
    {**WINDOW, "organisation_id": "99999999999999"},
])
def test_a_bad_quote_request_is_a_422(client, facility, create_tariff, query):
    create_tariff(facility)
    response = client.get(f"/api/v1/facilities/{facility.id}/quote", query_string=query)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_without_a_tariff_a_quote_says_so(client, facility):
    response = client.get(f"/api/v1/facilities/{facility.id}/quote", query_string=WINDOW)
    assert response.status_code == 200 and response.json["priced"] is False and response.json["lines"] == []


def test_invoices_for_their_organisation_and_admins(client, facility, create_tariff, create_snapshot,
                                                    create_user, create_organisation, token_for, admin):
    create_tariff(facility, bands=())
    member = create_user()
    create_snapshot(facility, member.organisations[0], at(2030, 3, 5, 10), at(2030, 3, 5, 12))
    create_snapshot(facility, create_organisation("Other Oy"), at(2030, 3, 5, 13), at(2030, 3, 5, 14))
    invoicing.issue_invoices(2030, 3, today=date(2030, 4, 2))
    db.session.commit()
    mine = client.get("/api/v1/invoices", headers=token_for(member)).json
    assert mine["total"] == 1 and mine["items"][0]["gross_cents"] == 15060
    invoice = mine["items"][0]
    assert invoice["lines"][0]["start"] == "2030-03-05T10:00:00+02:00" and invoice["vat_breakdown"][0]["rate"] == "25.50"
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=token_for(member)).status_code == 200
    others = client.get("/api/v1/invoices", headers=token_for(admin)).json
    assert others["total"] == 2
    other_id = next(i["id"] for i in others["items"] if i["id"] != invoice["id"])
    assert client.get(f"/api/v1/invoices/{other_id}", headers=token_for(member)).status_code == 404
    staff = create_user(role=Role.facility_manager, departments=[facility.department])
    assert client.get("/api/v1/invoices", headers=token_for(staff)).status_code == 403
