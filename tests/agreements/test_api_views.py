"""The agreement API and pages: who sees what (404 for everyone else), transitions by name,
acceptance through the API, the public registry and challenges."""
from __future__ import annotations

from datetime import timedelta

from booking.accounts.models import Role
from datetime import date

from tests.fixtures.reservations import local

FIRST = date.today() + timedelta(days=14)   # the API acts at the real time
LAST = FIRST + timedelta(days=28)
BLOCK_START, BLOCK_END = local(FIRST.year, FIRST.month, FIRST.day, 10), local(LAST.year, LAST.month, LAST.day, 10)


def body(facility, organisation, partner_org, **overrides):
    values = {"organisation_id": organisation.id, "title": "Library robot", "start_date": FIRST.isoformat(),
              "end_date": LAST.isoformat(), "partner_ids": [partner_org.id], "description": "A robot guide.",
              "kpis": "Visitors helped", "insurer": "Vakuutus Oy", "insurance_policy": "P-1",
              "insurance_expiry_date": (LAST + timedelta(days=365)).isoformat(), "removal": "Taken away the same day.",
              "blocks": [{"facility_id": facility.id, "start": BLOCK_START.isoformat(), "end": BLOCK_END.isoformat()}]}
    values.update(overrides)
    return values


def test_api_journey_from_proposal_to_signature(client, token_for, lead, partner, manager, template, pilot_facility):
    lead_h, partner_h, city_h = token_for(lead), token_for(partner), token_for(manager)
    created = client.post("/api/v1/agreements", json=body(pilot_facility, lead.organisations[0],
                                                           partner.organisations[0], pilot_fee_cents=800_000,
                                                           fee_at_signing_cents=300_000), headers=lead_h)
    assert created.status_code == 201, created.json
    agreement = created.json
    assert agreement["fee_milestones"] == [{"what": "signing", "amount_cents": 300_000, "due": None},
                                           {"what": "report_accepted", "amount_cents": 500_000, "due": None}]
    assert agreement["status"] == "draft" and agreement["transitions"] == ["submit", "withdraw"]
    url = f"/api/v1/agreements/{agreement['id']}"
    # Nobody else sees a draft, not even the host department.
    assert client.get(url, headers=city_h).status_code == 404
    assert client.post(f"{url}/submit", json={}, headers=lead_h).json["status"] == "submitted"
    assert client.get(url, headers=city_h).status_code == 200
    refused = client.post(f"{url}/activate", json={}, headers=city_h)
    assert refused.status_code == 422 and refused.json["errors"][0]["code"] == "agreement.illegal_transition"
    assert client.post(f"{url}/fly", json={}, headers=city_h).status_code == 404
    assert client.post(f"{url}/approve", json={}, headers=lead_h).status_code == 403
    approved = client.post(f"{url}/approve", json={}, headers=city_h).json
    assert approved["status"] == "approved" and approved["document_sha256"]
    digest = approved["document_sha256"]
    stale = client.post(f"{url}/accept", json={"party": lead.organisations[0].id, "document_sha256": "0" * 64},
                        headers=lead_h)
    assert stale.status_code == 422
    for headers, party in ((lead_h, lead.organisations[0].id), (partner_h, partner.organisations[0].id),
                           (city_h, "city")):
        response = client.post(f"{url}/accept", json={"party": party, "document_sha256": digest}, headers=headers)
        assert response.status_code == 200, response.json
    signed = response.json
    assert signed["status"] == "signed" and signed["blocks"][0]["reservation_id"] is not None
    assert [a["party"] for a in signed["acceptances"]] == [lead.organisations[0].id, partner.organisations[0].id, "city"]
    signing, on_report = signed["fee_milestones"]
    assert signing["due"] == signed["acceptances"][-1]["accepted"] and on_report["due"] is None
    listed = client.get("/api/v1/agreements", headers=partner_h).json
    assert listed["total"] == 1


def test_strangers_get_404_on_pages_and_api(client, auth, token_for, make_agreement, create_user, create_department,
                                            template):
    agreement = make_agreement("submitted")
    stranger = create_user(name="Other SME")
    elsewhere = create_user(name="Culture Manager", role=Role.facility_manager,
                            departments=[create_department("Culture")])
    for person in (stranger, elsewhere):
        assert client.get(f"/api/v1/agreements/{agreement.id}", headers=token_for(person)).status_code == 404
        assert client.get("/api/v1/agreements", headers=token_for(person)).json["total"] == 0
        auth.login(person)
        assert client.get(f"/agreements/{agreement.id}").status_code == 404
        assert client.post(f"/agreements/{agreement.id}/approve").status_code == 404
        auth.logout()


def test_pages_show_the_agreement_and_the_registry(client, auth, make_agreement, lead, manager, template):
    agreement = make_agreement("approved")
    auth.login(lead)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Street-level air sensors" in page and "Accept the agreement" in page and "SHA-256" in page
    assert client.get("/agreements/new").status_code == 200
    assert client.get(f"/agreements/{agreement.id}/document").status_code == 200
    auth.logout()
    assert "No pilots in the registry yet." in client.get("/pilots").get_data(as_text=True)
    assert client.get("/api/v1/pilots").json["total"] == 0
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/pilots", "/api/v1/agreements", "/api/v1/challenges"} <= set(paths) or \
        {"/pilots", "/agreements", "/challenges"} <= set(paths)


def test_a_manager_publishes_a_challenge_and_the_public_reads_it(client, token_for, manager, pilot_facility):
    response = client.post("/api/v1/challenges", headers=token_for(manager), json={
        "department_id": manager.departments[0].id, "title": "Cleaner air at the harbour", "need": "Measure dust.",
        "facility_ids": [pilot_facility.id], "period_start_date": "2031-04-01", "period_end_date": "2031-06-30",
        "deadline": "2031-03-01T16:00:00+02:00", "criteria": [{"name": "Impact", "weight": 60},
                                                              {"name": "Cost", "weight": 30}]})
    assert response.status_code == 422 and response.json["errors"][0]["code"] == "challenge.weights_sum"
    response = client.post("/api/v1/challenges", headers=token_for(manager), json={
        "department_id": manager.departments[0].id, "title": "Cleaner air at the harbour", "need": "Measure dust.",
        "facility_ids": [pilot_facility.id], "period_start_date": "2031-04-01", "period_end_date": "2031-06-30",
        "deadline": "2031-03-01T16:00:00+02:00", "criteria": [{"name": "Impact", "weight": 60},
                                                              {"name": "Cost", "weight": 40}]})
    assert response.status_code == 201, response.json
    assert client.get("/api/v1/challenges").json["items"][0]["open"] is True
    page = client.get(f"/challenges/{response.json['id']}").get_data(as_text=True)
    assert "Cleaner air at the harbour" in page and "Impact (60 %)" in page


def test_admins_see_the_portfolio_with_the_decision_lead_time(client, auth, make_agreement, manager, admin, template):
    from booking.agreements import services
    from booking.unit_of_work import unit_of_work
    from tests.fixtures.reservations import NOW
    make_agreement("approved")                                   # decided a day after submission
    declined = make_agreement("submitted", title="Noise sensors")
    make_agreement("submitted", title="Still waiting")           # not decided: not counted
    with unit_of_work():
        services.transition(manager, declined, "decline", reason="Not this year.", now=NOW + timedelta(days=3))
    assert services.decision_lead_time() == services.LeadTime(decided=2, median_minutes=48 * 60)
    auth.login(admin)
    page = client.get("/agreements").get_data(as_text=True)
    assert "Decision lead time: median 2 days from submission to decision (2 decided proposals)." in page


def test_api_errors_about_a_block_name_it(client, token_for, lead, partner, pilot_facility, create_facility,
                                          create_department):
    elsewhere = create_facility("Culture Stage", department=create_department("Culture"))
    blocks = [{"facility_id": pilot_facility.id, "start": BLOCK_START.isoformat(), "end": BLOCK_END.isoformat()},
              {"facility_id": elsewhere.id, "start": BLOCK_START.isoformat(), "end": BLOCK_END.isoformat()}]
    refused = client.post("/api/v1/agreements", json=body(pilot_facility, lead.organisations[0],
                                                           partner.organisations[0], blocks=blocks),
                          headers=token_for(lead))
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json["errors"]] == [("blocks.1.facility_id",
                                                                          "agreement.block_other_department")]


def test_the_agreement_page_shows_the_fee_milestones_and_the_portfolio_the_fees(client, auth, make_agreement, lead,
                                                                               partner, manager, admin, template):
    from booking.agreements import services
    from booking.unit_of_work import unit_of_work
    from tests.fixtures.reservations import NOW
    agreement = make_agreement("approved", pilot_fee_cents=800_000, fee_at_signing_cents=300_000)
    for person, party in ((lead, lead.organisations[0].id), (partner, partner.organisations[0].id), (manager, None)):
        with unit_of_work():
            services.accept(person, agreement, party, document_sha256=services.document(agreement)[1],
                            now=NOW + timedelta(days=2))
    auth.login(lead)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    signing = page[page.index("At signing"):page.index("On accepting the outcome report")]
    assert "€3,000.00" in signing and "2030" in signing      # released when the last party signed
    on_report = page[page.index("On accepting the outcome report"):page.index("Total")]
    assert "€5,000.00" in on_report and "not yet" in on_report
    assert "€8,000.00" in page[page.index("Total"):]
    auth.logout()
    auth.login(admin)
    page = client.get("/agreements").get_data(as_text=True)
    assert ("Pilot fees committed by the city (signed pilots): €8,000.00, of which released for payment so far: "
            "€3,000.00.") in page
