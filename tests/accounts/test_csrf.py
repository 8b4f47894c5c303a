"""With CSRF protection on (as in production), a form posted without its token is refused."""
import re

import pytest

from tests.fixtures.accounts import PASSWORD


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_form_without_its_token_is_refused(client, member):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form has expired" in page
    assert "Go back, reload the page and send the form again." in page
    assert client.get("/profile").status_code == 302  # not logged in


def test_a_form_with_a_wrong_token_is_refused(client, member):
    client.get("/login")
    response = client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400


def test_a_form_with_its_token_works(client, member):
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_buttons_that_change_something_need_the_token_too(client, member):
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/logout").status_code == 400
    assert client.post("/language", data={"language": "fi"}).status_code == 400
    assert client.get("/profile").status_code == 200  # still logged in
    page = client.get("/profile").get_data(as_text=True)
    assert 'name="csrf_token"' in page  # the header's logout and language forms carry it
    assert client.post("/logout", data={"csrf_token": _csrf_token(page)}).status_code == 302


def test_the_api_uses_tokens_not_csrf(client, admin, token_for):
    response = client.post("/api/v1/tokens", json={"name": "script"}, headers=token_for(admin))
    assert response.status_code == 201


def test_a_browser_session_cannot_write_through_the_api(client, member):
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token})
    assert client.get("/api/v1/me").status_code == 200  # reading with the session is fine
    response = client.post("/api/v1/tokens", json={"name": "sneaky"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
