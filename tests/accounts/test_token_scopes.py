"""API tokens have scopes (never more than their owner), an optional expiry and a last use."""
from __future__ import annotations

from datetime import timedelta

import pytest

from booking.accounts import services
from booking.accounts.models import ApiToken
from booking.errors import PermissionDenied
from booking.extensions import db
from booking.unit_of_work import unit_of_work


def _token(user, scopes, **kwargs):
    with unit_of_work():
        row, token = services.issue_api_token(user, "t", scopes, **kwargs)
    return row, {"Authorization": f"Bearer {token}"}


def test_a_read_token_reads_but_cannot_change_anything(client, member):
    _row, headers = _token(member, ["read"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.patch("/api/v1/me", headers=headers, json={"name": "New"})
    assert response.status_code == 403 and "'book' scope" in response.get_json()["detail"]


def test_a_token_never_has_more_than_its_owner(member, manager):
    for user, too_much in ((member, ["manage"]), (member, ["admin"]), (manager, ["admin"])):
        with pytest.raises(PermissionDenied):
            with unit_of_work():
                services.issue_api_token(user, "t", too_much)
    row, _ = _token(manager, None)
    assert row.scopes == "read book manage"


def test_managers_decisions_need_the_manage_scope(client, manager, member):
    _row, headers = _token(manager, ["read", "book"])
    response = client.post("/api/v1/reservations/1/approve", headers=headers, json={})
    assert response.status_code == 403 and "'manage' scope" in response.get_json()["detail"]


def test_token_management_needs_an_admin_token_and_cannot_widen_it(client, admin, member):
    _row, member_headers = _token(member, None)
    assert client.post("/api/v1/tokens", headers=member_headers, json={"name": "x"}).status_code == 403
    _row, narrow = _token(admin, ["read", "admin"])
    response = client.post("/api/v1/tokens", headers=narrow, json={"name": "wider", "scopes": ["read", "book"]})
    assert response.status_code == 403 and "book" in response.get_json()["detail"]
    response = client.post("/api/v1/tokens", headers=narrow, json={"name": "same", "expires_in_days": 30})
    assert response.status_code == 201 and response.get_json()["scopes"] == "read admin"
    assert response.get_json()["expires_dt"] is not None


def test_an_expired_token_is_refused_and_use_is_noted(client, member):
    row, headers = _token(member, ["read"], expires_days=1)
    assert row.last_used_dt is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.expire_all()
    used = db.session.get(ApiToken, row.id)
    assert used.last_used_dt is not None
    used.expires_dt = used.created_dt - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and "expired" in response.get_json()["detail"]


def test_the_profile_offers_only_the_owners_scopes_and_shows_expiry_and_last_use(client, auth, member):
    auth.login(member)
    page = client.get("/profile").get_data(as_text=True)
    assert 'value="book"' in page and 'value="manage"' not in page
    response = client.post("/profile/tokens", data={"name": "x", "scopes": ["manage"], "expires_in_days": 30})
    assert response.status_code == 422
    assert client.post("/profile/tokens", data={"name": "y", "scopes": [], "expires_in_days": 30}).status_code == 422
    assert client.post("/profile/tokens", data={"name": "z", "scopes": ["read"], "expires_in_days": 30}).status_code == 200
    page = client.get("/profile").get_data(as_text=True)
    assert "Last used" in page and "Expires" in page and "never" in page
