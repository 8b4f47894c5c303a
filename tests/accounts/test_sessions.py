"""Sessions end for good: a copied cookie opens nothing after logging out, a new password,
"log out everywhere" or deactivation; the other browser's session ends, this one's stays."""
from __future__ import annotations

from booking.accounts.models import UserSession
from booking.extensions import db
from tests.fixtures.accounts import PASSWORD

NEW = "a-brand-new-passw0rd"


def _browser(app, user):
    """Another browser, logged in as the user; returns its test client."""
    other = app.test_client()
    assert other.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return other


def _copy(client, app):
    """A thief's client holding a copy of the client's cookies."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def test_a_copied_cookie_opens_nothing_after_logout(app, client, auth, member):
    auth.login(member)
    thief = _copy(client, app)
    assert thief.get("/profile").status_code == 200
    auth.logout()
    assert thief.get("/profile").status_code == 302          # sent to log in
    assert client.get("/profile").status_code == 302


def test_a_new_password_ends_every_other_session_but_keeps_this_one(app, client, auth, member):
    auth.login(member)
    other = _browser(app, member)
    thief = _copy(client, app)
    response = client.post("/profile/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200          # the browser that changed it
    assert other.get("/profile").status_code == 302
    # The copy of this browser's cookie is this session: it lives as long as the session does.
    assert thief.get("/profile").status_code == 200
    auth.logout()
    assert thief.get("/profile").status_code == 302


def test_log_out_everywhere_ends_every_session_listed_on_the_profile(app, client, auth, member):
    auth.login(member)
    other = _browser(app, member)
    page = client.get("/profile").get_data(as_text=True)
    assert "Where you are logged in" in page and page.count("(this browser)") == 1
    assert db.session.query(UserSession).filter_by(user_id=member.id, ended_dt=None).count() == 2
    response = client.post("/profile/sessions/end", follow_redirects=True)
    assert "You are logged out of all 2 sessions, this one included." in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302 and other.get("/profile").status_code == 302


def test_an_admin_deactivating_a_user_ends_their_sessions_and_reactivating_keeps_them_ended(
        app, client, auth, admin, member):
    user_browser = _browser(app, member)
    auth.login(admin)
    page = client.get(f"/admin/users?q={member.email}").get_data(as_text=True)
    assert member.name in page and f"Deactivate {member.name}" in page
    response = client.post(f"/admin/users/{member.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "is deactivated and logged out everywhere" in response.get_data(as_text=True)
    assert user_browser.get("/profile").status_code == 302
    assert user_browser.post("/login", data={"email": member.email, "password": PASSWORD}).status_code == 401
    client.post(f"/admin/users/{member.id}/active", data={"active": "1"})
    assert user_browser.get("/profile").status_code == 302      # the old session stays ended
    assert _browser(app, member).get("/profile").status_code == 200


def test_only_admins_manage_users_and_no_admin_deactivates_themselves(client, auth, admin, member):
    auth.login(member)
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}).status_code == 403
    auth.logout()
    auth.login(admin)
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "You cannot deactivate your own account" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 200


def test_a_cookie_from_before_sessions_were_kept_is_nobody(app, client, member):
    with client.session_transaction() as session:
        session["_user_id"] = str(member.id)        # the old format: the id alone
        session["_fresh"] = True
    assert client.get("/profile").status_code == 302
