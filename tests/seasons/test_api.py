"""The rounds API: a manager creates and opens a round, a member applies, the manager
allocates after the deadline and publishes, the organisation reads its result."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from booking.extensions import db
from booking.seasons.models import Round, RoundState
from tests.seasons.conftest import apply, tuesday_evening


def _iso(value: datetime) -> str:
    return value.isoformat()


def test_a_manager_creates_and_opens_a_round_and_the_public_reads_it(client, office, token_for):
    now = datetime.now(timezone.utc)
    body = {"name": "Spring halls", "season_start": (office.season_end + timedelta(days=1)).isoformat(),
            "season_end": (office.season_end + timedelta(days=60)).isoformat(), "opens": _iso(now),
            "closes": _iso(now + timedelta(days=10)), "facility_ids": [office.hall.id], "cap_hours_per_week": 4,
            "department_id": office.department.id, "open": True}
    response = client.post("/api/v1/rounds", json=body, headers=token_for(office.manager))
    assert response.status_code == 201, response.json
    made = response.json
    assert made["state"] == "open" and made["cap_hours_per_week"] == 4
    assert made["priority_rules"]["actor_weights"]["third_sector"] == 3
    public = client.get(f"/api/v1/rounds/{made['id']}")
    assert public.status_code == 200 and public.json["figures"] is None
    assert {r["name"] for r in client.get("/api/v1/rounds").json["items"]} == {"Spring halls", "Autumn halls"}


def test_a_member_cannot_create_a_round_and_a_manager_not_for_another_department(client, office, token_for):
    now = datetime.now(timezone.utc)
    body = {"name": "Mine", "season_start": "2031-01-01", "season_end": "2031-02-01", "opens": _iso(now),
            "closes": _iso(now + timedelta(days=1)), "facility_ids": [office.hall.id],
            "department_id": office.department.id}
    assert client.post("/api/v1/rounds", json=body, headers=token_for(office.coach)).status_code == 403
    assert client.post("/api/v1/rounds", json=body, headers=token_for(office.other_manager)).status_code == 403
    assert client.post("/api/v1/rounds", json={**body, "department_id": None},
                       headers=token_for(office.manager)).status_code == 403


def test_apply_allocate_publish_and_read_the_result(client, office, token_for):
    wish = {"purpose": "Junior football", "age_group": "youth", "participants": 18, "weekday": 1,
            "earliest": "17:00", "latest": "21:00", "duration_minutes": 90, "facility_ids": [office.hall.id]}
    response = client.post(f"/api/v1/rounds/{office.round.id}/applications",
                           json={"organisation_id": office.association.id, "wishes": [wish]},
                           headers=token_for(office.coach))
    assert response.status_code == 201, response.json
    assert response.json["wishes"][0]["facility_ids"] == [office.hall.id]
    # Someone else's organisation: as if it did not exist.
    refused = client.post(f"/api/v1/rounds/{office.round.id}/applications",
                          json={"organisation_id": office.association.id, "wishes": [wish]},
                          headers=token_for(office.trainer))
    assert refused.status_code == 404
    early = client.post(f"/api/v1/rounds/{office.round.id}/allocate", headers=token_for(office.manager))
    assert early.status_code == 422
    office.round.closes_dt = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.commit()
    allocated = client.post(f"/api/v1/rounds/{office.round.id}/allocate", json={"time_limit_s": 5},
                            headers=token_for(office.manager))
    assert allocated.status_code == 200, allocated.json
    [result] = allocated.json["results"]
    assert result["facility_id"] == office.hall.id and result["weekday"] == 1
    assert allocated.json["figures"]["greedy"]["satisfied_share"] == 1.0
    # Before publishing the organisation sees no result yet.
    assert client.get(f"/api/v1/rounds/{office.round.id}/allocation",
                      headers=token_for(office.coach)).json["results"] == []
    published = client.post(f"/api/v1/rounds/{office.round.id}/publish", headers=token_for(office.manager))
    assert published.status_code == 200, published.json
    assert published.json["state"] == "published"
    mine = client.get(f"/api/v1/rounds/{office.round.id}/allocation", headers=token_for(office.coach)).json
    assert mine["results"][0]["series_id"] is not None
    assert client.get(f"/api/v1/rounds/{office.round.id}/allocation",
                      headers=token_for(office.trainer)).json["results"] == []
    series = client.get(f"/api/v1/reservations?organisation_id={office.association.id}&per_page=50",
                        headers=token_for(office.coach)).json
    assert series["total"] == 8 and all(r["price"] for r in series["items"])


def test_a_draft_round_is_not_found_by_others(client, office, token_for):
    office.round.state = RoundState.draft
    db.session.commit()
    assert client.get(f"/api/v1/rounds/{office.round.id}").status_code == 404
    assert client.get(f"/api/v1/rounds/{office.round.id}", headers=token_for(office.coach)).status_code == 404
    assert client.get(f"/api/v1/rounds/{office.round.id}", headers=token_for(office.manager)).status_code == 200
    assert db.session.get(Round, office.round.id) is not None


def test_publishing_needs_the_manage_scope_and_the_department(client, office, token_for):
    apply(office.coach, office.round, office.association, tuesday_evening([office.hall]))
    response = client.post(f"/api/v1/rounds/{office.round.id}/publish", headers=token_for(office.other_manager))
    assert response.status_code == 403
    response = client.post(f"/api/v1/rounds/{office.round.id}/publish", headers=token_for(office.coach))
    assert response.status_code == 403


def test_the_solver_holds_no_write_lock_on_the_api_or_the_page(client, auth, office, token_for, monkeypatch):
    """Slow work happens outside the write transaction: the allocator's solve runs before the
    unit of work that stores its answer, through the API and the page alike."""
    from booking.seasons import allocation as engine
    from booking.unit_of_work import writing

    inside = []
    solve = engine.solve

    def watched(problem):
        inside.append(writing.get())
        return solve(problem)

    monkeypatch.setattr(engine, "solve", watched)
    apply(office.coach, office.round, office.association, tuesday_evening([office.hall]))
    office.round.closes_dt = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.commit()
    assert client.post(f"/api/v1/rounds/{office.round.id}/allocate", headers=token_for(office.manager)).status_code == 200
    auth.login(office.manager)
    assert client.post(f"/rounds/{office.round.id}/allocate").status_code == 302
    assert inside == [False, False]
