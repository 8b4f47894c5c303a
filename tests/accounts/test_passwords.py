"""Password reset by an e-mailed link, and changing the password on the profile page."""
import re
import time

from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from booking.audit.models import AuditEvent
from booking.extensions import db
from booking.notifications.models import OutboxMessage, OutboxStatus
from tests.facilities.helpers import count_queries
from tests.fixtures.accounts import PASSWORD

NEW_PASSWORD = "a-brand-new-passw0rd"
SENT = "We have sent a message to that address. If an account uses it, the message has a link to set a new password"


def _ask_for_reset(client, email):
    return client.post("/password/forgot", data={"email": email})


def _reset_link(to):
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == to))
    return re.search(r"http://\S+(/password/reset/\S+)", message.text_body).group(1)


def _set_password(client, link, password=NEW_PASSWORD):
    return client.post(link, data={"password": password, "confirm": password})


def test_a_reset_link_is_e_mailed_through_the_outbox(client, member):
    response = _ask_for_reset(client, member.email.upper())
    assert response.status_code == 302
    assert SENT in client.get(response.location).get_data(as_text=True)

    message = db.session.scalar(select(OutboxMessage))
    assert message.to == member.email
    assert message.subject == "Reset your Infrashare password"
    assert message.status == OutboxStatus.queued
    assert f"Hello {member.name}," in message.text_body
    assert "It works once, for 60 minutes" in message.text_body
    assert 'href="http://127.0.0.1:5000/password/reset/' in message.html_body


def test_the_link_sets_a_new_password_once(client, auth, member):
    _ask_for_reset(client, member.email)
    link = _reset_link(member.email)

    assert "Set a new password" in client.get(link).get_data(as_text=True)
    response = _set_password(client, link)
    assert response.status_code == 302
    assert "Your password is changed. Log in with the new one." in client.get(response.location).get_data(as_text=True)
    assert auth.login(member, PASSWORD).status_code == 401
    assert auth.login(member, NEW_PASSWORD).status_code == 302
    auth.logout()

    response = client.get(link)  # the same link again
    assert response.status_code == 302
    assert ("This link has expired or was already used. Ask for a new one."
            in client.get(response.location).get_data(as_text=True))
    assert _set_password(client, link, "yet-another-passw0rd").status_code == 302
    assert auth.login(member, "yet-another-passw0rd").status_code == 401


def test_the_link_expires(app, client, member, monkeypatch):
    _ask_for_reset(client, member.email)
    link = _reset_link(member.email)
    later = int(time.time()) + app.config["PASSWORD_RESET_MAX_AGE"] + 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)

    response = client.get(link)
    assert response.status_code == 302
    assert "This link has expired" in client.get(response.location).get_data(as_text=True)


def test_a_forged_link_does_nothing(client, member):
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 302 and response.location == "/password/forgot"


def _answer(client, email):
    """The answer a person sees: the redirect, then the page it leads to (tokens and nonces blanked)."""
    response = _ask_for_reset(client, email)
    page = client.get(response.location).get_data(as_text=True)
    return (response.status_code, response.location,
            re.sub(r'((?:csrf_token|csrf-token)"[^>]*?(?:value|content)="|nonce=")[^"]*', r"\1…", page))


def test_an_unknown_address_gets_the_same_answer_and_a_link_to_register(client, member):
    known = _answer(client, member.email)
    unknown = _answer(client, "nobody@example.com")

    assert known == unknown
    assert known[:2] == (302, "/login") and SENT in known[2]
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "nobody@example.com"))
    assert mail.subject == "No Infrashare account uses this address"
    assert "no account uses it" in mail.text_body
    link = re.search(r"http://127\.0\.0\.1:5000(/register/\S+)", mail.text_body).group(1)
    assert "Your address nobody@example.com is confirmed." in client.get(link).get_data(as_text=True)


def test_known_unknown_and_deactivated_addresses_cost_the_same(client, create_user):
    """Counted, never timed: the same SQL statements, one audit event and one queued message."""
    def count(model):
        return db.session.scalar(select(func.count()).select_from(model))

    create_user("known1@example.com")
    gone = create_user("gone11@example.com")
    gone.active = False
    db.session.commit()
    _ask_for_reset(client, "warm-up@example.com")
    _ask_for_reset(client, "known1@example.com")

    measured = {}
    for email in ("known1@example.com", "other1@example.com", "gone11@example.com"):
        outbox, audit = count(OutboxMessage), count(AuditEvent)
        with count_queries() as queries:
            assert _ask_for_reset(client, email).status_code == 302
        measured[email] = (queries.statements, count(OutboxMessage) - outbox, count(AuditEvent) - audit)
    first, *others = measured.values()
    assert first[1:] == (1, 1)
    assert all(other == first for other in others)


def test_a_deactivated_account_gets_no_link_but_is_told_why(client, member):
    member.active = False
    db.session.commit()
    _ask_for_reset(client, member.email)
    mail = db.session.scalar(select(OutboxMessage))
    assert mail.to == member.email and "deactivated" in mail.text_body
    assert "/password/reset/" not in mail.text_body


def test_a_reset_lifts_the_login_throttle(app, client, auth, member):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(member, "wrong-password-1")
    _ask_for_reset(client, member.email)
    _set_password(client, _reset_link(member.email))
    assert auth.login(member, NEW_PASSWORD).status_code == 302


def test_the_reset_mail_is_in_the_users_language(client, member):
    member.locale = "fi"
    db.session.commit()
    _ask_for_reset(client, member.email)
    # Whatever the catalogue translates by now, the mail renders in that locale with its link.
    assert "/password/reset/" in db.session.scalar(select(OutboxMessage.text_body))


def test_changing_the_password(client, auth, member):
    auth.login(member)
    response = client.post("/profile/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Your password is changed." in client.get(response.location).get_data(as_text=True)
    auth.logout()
    assert auth.login(member, PASSWORD).status_code == 401
    assert auth.login(member, NEW_PASSWORD).status_code == 302


def test_changing_the_password_needs_the_current_one(client, auth, member):
    auth.login(member)
    response = client.post("/profile/password", data={"current": "not-my-password-1", "password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert "This is not your current password." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.check_password(PASSWORD)


def test_a_weak_or_mistyped_new_password_is_refused(client, auth, member):
    auth.login(member)
    response = client.post("/profile/password", data={"current": PASSWORD, "password": "weak",
                                                      "confirm": "different"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use at least 10 characters" in page
    assert "The passwords do not match." in page
