"""The /api/v1 skeleton: bearer tokens, problem+json for every error, pagination, the caller's profile."""
import pytest
from sqlalchemy import select

from booking.accounts import services
from booking.accounts.models import ApiToken, MembershipRole
from booking.extensions import db

PROBLEM = "application/problem+json"


def _is_problem(response, status):
    body = response.get_json()
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_me_returns_the_caller_and_their_organisations(client, member, create_organisation, token_for):
    second = create_organisation("Second Org")
    services.add_membership(member, second, MembershipRole.member)
    db.session.commit()

    response = client.get("/api/v1/me", headers=token_for(member))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["id"] == member.id
    assert (body["email"], body["name"], body["role"]) == (member.email, "Mia Member", "member")
    assert body["current_organisation_id"] == member.memberships[0].organisation_id
    assert [(o["name"], o["actor_type"], o["role"]) for o in body["organisations"]] == [
        (member.memberships[0].organisation.name, "sme", "owner"), ("Second Org", "sme", "member")]


def test_me_lists_a_managers_departments(client, manager, token_for):
    body = client.get("/api/v1/me", headers=token_for(manager)).get_json()
    assert body["role"] == "facility_manager"
    assert body["departments"] == ["Parks"]
    assert body["organisations"] == []


def test_without_a_token_the_answer_is_401(client):
    response = client.get("/api/v1/me")
    body = _is_problem(response, 401)
    assert "Authorization: Bearer" in body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer ifs_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "ifs_token"])
def test_a_bad_token_is_401(client, member, header):
    _is_problem(client.get("/api/v1/me", headers={"Authorization": header}), 401)


def test_a_revoked_token_is_401(client, member, token_for):
    headers = token_for(member)
    services.revoke_api_token(member, db.session.scalar(select(ApiToken.id)))
    db.session.commit()
    _is_problem(client.get("/api/v1/me", headers=headers), 401)


def test_a_deactivated_users_token_is_401(client, member, token_for):
    headers = token_for(member)
    member.active = False
    db.session.commit()
    _is_problem(client.get("/api/v1/me", headers=headers), 401)


def test_a_public_route_needs_no_token_and_ignores_a_bad_one(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer nonsense"}).status_code == 200


def test_an_unknown_route_is_a_404_problem(client):
    _is_problem(client.get("/api/v1/no-such-thing"), 404)


def test_a_wrong_method_is_a_405_problem_that_names_the_allowed_ones(client, member, token_for):
    response = client.delete("/api/v1/me", headers=token_for(member))
    _is_problem(response, 405)
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("data,content_type", [("{not json", "application/json"), ("name=x", "text/plain"),
                                                ("", "application/json")])
def test_a_body_that_is_not_json_is_a_400_problem(client, member, token_for, data, content_type):
    response = client.post("/api/v1/reservations", data=data, content_type=content_type, headers=token_for(member))
    body = _is_problem(response, 400)
    assert body["detail"] == "The request body must be a JSON object."


def test_invalid_input_is_a_422_problem_listing_every_field(client, member, token_for):
    response = client.patch("/api/v1/me", json={"name": "", "locale": "de", "colour": "red"},
                            headers=token_for(member))
    body = _is_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"name", "locale", "colour"}
    assert "locale" in body["detail"]


def test_a_json_value_that_is_not_an_object_is_a_422_problem(client, member, token_for):
    _is_problem(client.post("/api/v1/reservations", json=["a"], headers=token_for(member)), 422)


def test_invalid_query_parameters_are_a_422_problem(client, member, token_for):
    body = _is_problem(client.get("/api/v1/tokens?per_page=0&page=x", headers=token_for(member)), 422)
    assert {e["field"] for e in body["errors"]} == {"page", "per_page"}


def test_a_domain_error_is_a_problem_and_rolls_back(client, admin, create_user, token_for):
    other = create_user("other@example.com")
    token_for(other)
    other_token = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == other.id))
    body = _is_problem(client.delete(f"/api/v1/tokens/{other_token}", headers=token_for(admin)), 404)
    assert body["errors"] == [{"code": "accounts.no_such_token", "message": "There is no such token among yours."}]


def test_updating_the_callers_profile(client, member, token_for):
    headers = token_for(member)
    body = client.patch("/api/v1/me", json={"locale": "fi"}, headers=headers).get_json()
    assert (body["name"], body["locale"]) == ("Mia Member", "fi")
    body = client.patch("/api/v1/me", json={"name": "Mia M."}, headers=headers).get_json()
    assert (body["name"], body["locale"]) == ("Mia M.", "fi")
    body = client.patch("/api/v1/me", json={"locale": None}, headers=headers).get_json()
    assert body["locale"] is None


def test_tokens_are_created_listed_and_revoked_through_the_api(client, admin, token_for):
    """Token management through the API needs an admin-scope token (or the profile page)."""
    headers = token_for(admin)
    response = client.post("/api/v1/tokens", json={"name": "Integration", "scopes": ["read"]}, headers=headers)
    assert response.status_code == 201
    created = response.get_json()
    assert created["token"].startswith(created["prefix"]) and created["revoked_dt"] is None
    assert created["created_dt"].endswith(("Z", "+00:00"))  # ISO 8601 with offset
    assert created["scopes"] == "read" and created["expires_dt"] is None
    new_headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=new_headers).status_code == 200

    listing = client.get("/api/v1/tokens", headers=headers).get_json()
    assert listing["total"] == 2
    assert [t["name"] for t in listing["items"]] == ["Integration", "test"]
    assert all("token" not in t for t in listing["items"])

    response = client.delete(f"/api/v1/tokens/{created['id']}", headers=headers)
    assert response.status_code == 204 and response.data == b""
    _is_problem(client.get("/api/v1/me", headers=new_headers), 401)
    assert client.get("/api/v1/tokens", headers=headers).get_json()["items"][0]["revoked_dt"] is not None


def test_lists_are_paginated(client, member, token_for):
    headers = token_for(member)
    for n in range(4):
        services.create_api_token(member, f"token {n}")
    db.session.commit()
    page = client.get("/api/v1/tokens?per_page=2&page=3", headers=headers).get_json()
    assert page["total"] == 5
    assert (page["page"], page["per_page"]) == (3, 2)
    assert [t["name"] for t in page["items"]] == ["test"]  # the oldest, alone on the last page
    assert client.get("/api/v1/tokens?page=9", headers=headers).get_json()["items"] == []


def test_a_browser_session_may_read(client, auth, member):
    auth.login(member)
    assert client.get("/api/v1/me").get_json()["email"] == member.email
