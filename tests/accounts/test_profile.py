"""The profile page: details, language, acting organisation and API tokens."""
import re

from sqlalchemy import select

from booking.accounts import services
from booking.accounts.models import ApiToken, MembershipRole
from booking.extensions import db


def test_the_profile_shows_the_person_and_their_organisations(client, auth, member):
    auth.login(member)
    page = client.get("/profile").get_data(as_text=True)
    assert member.email in page
    assert "Member" in page
    assert member.current_organisation.name in page
    assert "Change password" in page and "API tokens" in page


def test_updating_name_and_language(client, auth, member):
    auth.login(member)
    response = client.post("/profile", data={"name": "Mia Renamed", "locale": "sv"})
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert "Mia Renamed" in page
    assert '<html lang="sv"' in page
    db.session.refresh(member)
    assert (member.name, member.locale) == ("Mia Renamed", "sv")


def test_following_the_browser_again(client, auth, member):
    auth.login(member)
    client.post("/profile", data={"name": member.name, "locale": "fi"})
    client.post("/profile", data={"name": member.name, "locale": ""})
    page = client.get("/profile", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert '<html lang="sv"' in page


def test_an_empty_name_is_refused(client, auth, member):
    auth.login(member)
    response = client.post("/profile", data={"name": "", "locale": ""})
    assert response.status_code == 422
    assert "Please correct the following" in response.get_data(as_text=True)


def test_an_unknown_language_is_refused(client, auth, member):
    auth.login(member)
    assert client.post("/profile", data={"name": "Mia", "locale": "de"}).status_code == 422


def _with_second_organisation(user, create_organisation, name="Second Org"):
    services.add_membership(user, create_organisation(name), MembershipRole.member)
    db.session.commit()
    return user.memberships[-1].organisation


def test_one_organisation_shows_no_switcher(client, auth, member):
    auth.login(member)
    page = client.get("/").get_data(as_text=True)
    assert 'id="org-switch"' not in page
    assert member.current_organisation.name in page


def test_several_organisations_show_a_switcher(client, auth, member, create_organisation):
    second = _with_second_organisation(member, create_organisation)
    auth.login(member)
    page = client.get("/").get_data(as_text=True)
    assert 'id="org-switch"' in page
    assert "Acting for" in page
    assert f'<option value="{second.id}">Second Org</option>' in page
    assert f'value="{member.current_organisation_id}" selected' in page


def test_switching_the_acting_organisation(client, auth, member, create_organisation):
    first = member.current_organisation
    second = _with_second_organisation(member, create_organisation)
    auth.login(member)
    response = client.post("/organisation/switch", data={"organisation_id": second.id, "next": "/profile"})
    assert response.status_code == 302 and response.location == "/profile"
    assert "You now act for Second Org." in client.get("/profile").get_data(as_text=True)
    db.session.refresh(member)
    assert member.current_organisation_id == second.id != first.id


def test_only_an_own_organisation_can_be_chosen(client, auth, member, create_organisation):
    other = create_organisation("Not Mine Oy")
    before = member.current_organisation_id
    auth.login(member)
    for value in (other.id, "", "abc"):
        response = client.post("/organisation/switch", data={"organisation_id": value})
        assert response.status_code == 404
    assert "You are not a member of that organisation." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.current_organisation_id == before


def test_a_token_is_created_shown_once_and_revoked_on_the_profile_page(client, auth, member):
    auth.login(member)
    response = client.post("/profile/tokens", data={"name": "Booking script", "scopes": ["read", "book"], "expires_in_days": 90})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Copy the token now: it is shown only once." in page
    token = re.search(r'value="(ifs_[^"]+)"', page).group(1)
    assert db.session.scalar(select(ApiToken.token_hash)) != token  # only a hash is kept

    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).get_json()["email"] == member.email

    profile = client.get("/profile").get_data(as_text=True)
    assert "Booking script" in profile and token not in profile
    assert f"<code>{token[:8]}…</code>" in profile
    token_id = db.session.scalar(select(ApiToken.id))
    response = client.post(f"/profile/tokens/{token_id}/revoke")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "The token is revoked." in page and "Revoked" in page

    client.post("/logout")
    response = client.get("/api/v1/me", headers=bearer)
    assert response.status_code == 401


def test_a_token_needs_a_name(client, auth, member):
    auth.login(member)
    response = client.post("/profile/tokens", data={"name": ""})
    assert response.status_code == 422
    assert db.session.scalar(select(ApiToken)) is None


def test_nobody_revokes_another_persons_token(client, auth, member, create_user, token_for):
    other = create_user("other@example.com")
    headers = token_for(other)
    token_id = db.session.scalar(select(ApiToken.id))
    auth.login(member)
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 404
    client.post("/logout")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
