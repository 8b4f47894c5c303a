"""Logging in and out, throttling of repeated failures, the session cookie and safe redirects."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from booking.accounts import services
from booking.accounts.models import LoginFailure
from booking.database import utcnow
from booking.extensions import db
from tests.fixtures.accounts import PASSWORD


def _failures(key_prefix="account:"):
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
    for n in range(app.config["LOGIN_MAX_FAILURES"] * services.ADDRESS_FACTOR):
        auth.login(f"guess{n}@example.com", "wrong-password-1")
    assert auth.login(member).status_code == 429


def _client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_an_attack_never_locks_the_owner_out_of_a_browser_that_logged_in_before(app, member, caplog):
    owner = _client_at(app, "198.51.100.7")
    assert _login(owner, member.email).status_code == 302
    owner.post("/logout")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for n in range(limit * services.ACCOUNT_FACTOR + 5):     # guesses from many addresses
        _login(_client_at(app, f"203.0.113.{n % 50}"), member.email, "wrong-password-1")
    assert _login(_client_at(app, "192.0.2.99"), member.email).status_code == 429   # a new client waits
    assert _login(owner, member.email).status_code == 302                           # the owner's browser does not
    assert f"Login throttled after 20 failures: account:{member.email}" in caplog.text


def test_an_office_behind_one_address_keeps_logging_in_from_known_browsers(app, member, create_user):
    colleague = create_user("colleague@example.com")
    office = _client_at(app, "198.51.100.20")
    assert _login(office, colleague.email).status_code == 302
    office.post("/logout")
    for n in range(app.config["LOGIN_MAX_FAILURES"] * services.ADDRESS_FACTOR):   # one machine guesses
        _login(_client_at(app, "198.51.100.20"), f"guess{n}@example.com", "wrong-password-1")
    assert _login(_client_at(app, "198.51.100.20"), member.email).status_code == 429
    assert _login(office, colleague.email).status_code == 302


def test_each_failure_past_the_limit_doubles_the_wait(app, member):
    client = _client_at(app, "198.51.100.30")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        _login(client, member.email, "wrong-password-1")
    assert services.login_wait(member.email, "198.51.100.30") == pytest.approx(30, abs=2)

    def age(seconds):   # as if `seconds` had passed
        for failure in db.session.scalars(select(LoginFailure)):
            failure.created_dt -= timedelta(seconds=seconds)
        db.session.commit()

    age(31)
    assert _login(client, member.email, "wrong-password-1").status_code == 401      # allowed again, and wrong
    assert services.login_wait(member.email, "198.51.100.30") == pytest.approx(60, abs=2)
    age(31)
    assert _login(client, member.email).status_code == 429
    age(30)
    assert _login(client, member.email).status_code == 302


def test_admins_see_the_accounts_and_addresses_under_attack(app, client, auth, admin, member):
    for n in range(3):
        _login(_client_at(app, "203.0.113.9"), member.email, "wrong-password-1")
    auth.login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Failed logins" in page and member.email in page and "203.0.113.9" in page


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
