"""Logging in and out, throttling of repeated failures, the session cookie and safe redirects."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from booking.accounts.models import LoginFailure
from booking.database import utcnow
from booking.extensions import db
from tests.fixtures.accounts import PASSWORD


def _failures(key_prefix="email:"):
    return db.session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.key.startswith(key_prefix)))


def test_logging_in_and_out(client, auth, member):
    response = auth.login(member)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "You are logged in." in page
    assert "Log out" in page

    assert client.get("/profile").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert "You are logged out." in client.get(response.location).get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_the_email_is_matched_in_any_case(client, auth, member):
    assert auth.login(member.email.upper()).status_code == 302


@pytest.mark.parametrize("email,password", [("user-that-does-not-exist@example.com", PASSWORD),
                                            (None, "wrong-password-1")])
def test_a_wrong_address_or_password_gets_the_same_answer(client, auth, member, email, password):
    response = auth.login(email or member.email, password)
    assert response.status_code == 401
    assert "The e-mail address or password is wrong." in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_a_deactivated_user_cannot_log_in(client, auth, member):
    member.active = False
    db.session.commit()
    assert auth.login(member).status_code == 401


def test_a_deactivated_user_is_logged_out_on_their_next_request(client, auth, member):
    auth.login(member)
    member.active = False
    db.session.commit()
    assert client.get("/profile").status_code == 302


def test_an_empty_form_is_refused_with_field_messages(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert "Please correct the following" in response.get_data(as_text=True)


def test_repeated_failures_are_counted_in_the_database_and_throttle_logins(app, client, auth, member):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login(member, "wrong-password-1").status_code == 401
    assert _failures() == app.config["LOGIN_MAX_FAILURES"]

    response = auth.login(member)  # even the right password waits now
    assert response.status_code == 429
    assert "Too many failed attempts. Wait a few minutes, or reset your password." in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_the_throttle_lifts_when_the_window_has_passed(app, client, auth, member):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(member, "wrong-password-1")
    window = timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW"] + 1)
    db.session.execute(update(LoginFailure).values(created_dt=utcnow() - window))
    db.session.commit()
    assert auth.login(member).status_code == 302


def test_the_throttle_is_per_address_so_others_can_still_log_in(app, client, auth, member, create_user):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(member, "wrong-password-1")
    other = create_user("other@example.com")
    assert auth.login(other).status_code == 302


def test_many_failures_from_one_network_address_throttle_it(app, client, auth, member):
    for n in range(app.config["LOGIN_MAX_FAILURES"] * 4):
        auth.login(f"guess{n}@example.com", "wrong-password-1")
    assert auth.login(member).status_code == 429


def test_a_successful_login_clears_the_count(app, client, auth, member):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.login(member, "wrong-password-1")
    auth.login(member)
    assert _failures() == 0


def test_the_session_cookie_is_http_only_and_same_site_lax(client, auth, member):
    cookie = auth.login(member).headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only when SESSION_COOKIE_SECURE is set (behind HTTPS)


def test_login_returns_to_the_page_asked_for(client, auth, member):
    response = client.get("/profile")
    assert response.status_code == 302 and "/login?next=" in response.location
    assert "Please log in to see this page." in client.get(response.location).get_data(as_text=True)
    response = client.post("/login?next=/profile", data={"email": member.email, "password": PASSWORD})
    assert response.location == "/profile"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "http://evil.com/profile", "/\\evil.com",
                                    "\\\\evil.com", "/\t/evil.com", "javascript:alert(1)", "evil.com"])
def test_login_never_redirects_off_site(client, member, target):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.location == "/"


def test_logout_is_a_post_so_a_link_cannot_log_anyone_out(client, auth, member):
    auth.login(member)
    assert client.get("/logout").status_code == 405
    assert client.get("/profile").status_code == 200
