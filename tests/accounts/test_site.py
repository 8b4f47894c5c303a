"""Site-wide pages: the front page, the language choice, and error pages in the site's layout."""
import pytest

from booking.accounts.models import User
from booking.extensions import db
from tests.fixtures.accounts import PASSWORD


def _lang(page: str) -> str:
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_front_page_says_what_infrashare_is(client):
    page = client.get("/").get_data(as_text=True)
    assert "Use the city" in page
    assert "Labs, halls, public spaces, sports and recreational sites for companies" in page


def test_the_language_follows_the_browser(client):
    assert _lang(client.get("/").get_data(as_text=True)) == "en"
    assert _lang(client.get("/", headers={"Accept-Language": "sv-FI,sv;q=0.9"}).get_data(as_text=True)) == "sv"
    assert _lang(client.get("/", headers={"Accept-Language": "fi"}).get_data(as_text=True)) == "fi"
    assert _lang(client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)) == "en"


@pytest.mark.parametrize("code", ["fi", "sv", "en"])
def test_choosing_a_language_wins_over_the_browser(client, code):
    response = client.post("/language", data={"language": code, "next": "/register"})
    assert response.status_code == 302 and response.location == "/register"
    page = client.get("/register", headers={"Accept-Language": "de, sv;q=0.5" if code != "sv" else "fi"})
    assert _lang(page.get_data(as_text=True)) == code
    assert f'<option value="{code}" lang="{code}" selected>' in page.get_data(as_text=True)


def test_an_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "xx"})
    assert _lang(client.get("/").get_data(as_text=True)) == "en"


def test_a_logged_in_users_choice_is_remembered_on_their_account(client, auth, member):
    auth.login(member)
    client.post("/language", data={"language": "fi"})
    assert db.session.get(User, member.id).locale == "fi"
    client.post("/logout")
    fresh = client.application.test_client()  # another browser, without the session's choice
    fresh.post("/login", data={"email": member.email, "password": PASSWORD})
    assert _lang(fresh.get("/").get_data(as_text=True)) == "fi"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com"])
def test_the_language_form_never_redirects_off_site(client, target):
    response = client.post("/language", data={"language": "fi", "next": target})
    assert response.location == "/"


def _in_layout(page: str) -> bool:
    return '<html lang="' in page and 'class="site-header"' in page and "Go to the front page" in page


def test_a_missing_page_is_a_404_in_the_site_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert _in_layout(page)
    assert "Page not found" in page
    assert "There is nothing at this address." in page


def test_a_forbidden_page_is_a_403_in_the_site_layout(client, auth, member):
    auth.login(member)
    response = client.get("/admin/outbox")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert _in_layout(page)
    assert "You do not have permission to do this." in page


def test_a_wrong_method_is_a_405_in_the_site_layout(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert _in_layout(response.get_data(as_text=True))


@pytest.fixture
def failing_app(app):
    def boom():
        db.session.add(User(email="half@example.com", name="Half", password_hash="x"))
        db.session.flush()
        raise RuntimeError("bug")

    app.add_url_rule("/boom", "boom", boom, methods=["GET", "POST"])
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    return app


def test_a_bug_is_a_500_in_the_site_layout_and_nothing_is_saved(failing_app):
    response = failing_app.test_client().post("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert _in_layout(page)
    assert "Something went wrong on our side and nothing was saved." in page
    assert "bug" not in page.split("<main", 1)[1]  # no internals shown
    assert db.session.query(User).count() == 0


def test_a_bug_in_the_api_is_a_500_problem(failing_app):
    response = failing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Internal Server Error"


def test_pages_carry_security_headers(client):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
