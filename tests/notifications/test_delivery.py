"""The SMTP settings: STARTTLS with a login, or TLS from the start (MAIL_USE_SSL), against a
real server on 127.0.0.1 whose certificate the client checks; the admin's resend button."""
from __future__ import annotations

from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from booking.audit.models import AuditEvent
from booking.extensions import db
from booking.notifications.jobs import deliver_pending
from booking.notifications.models import OutboxMessage, OutboxStatus
from booking.notifications.services import queue_email
from tests.notifications.conftest import Inbox, start_server


def _queue(member):
    message = queue_email(member.email, "Reset", "password_reset", user=member, link="http://x/reset", minutes=5)
    db.session.commit()
    return message.id


def test_starttls_and_a_login_before_sending(app, certificate, member):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password) if isinstance(auth_data, LoginPassword) else None)
        return AuthResult(success=auth_data == LoginPassword(b"mailer", b"s3cret"))

    inbox = Inbox()
    server = start_server(app, inbox, tls_context=certificate, require_starttls=True, authenticator=authenticator,
                          auth_required=True)
    try:
        app.config.update(MAIL_USE_TLS=True, MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret")
        _queue(member)
        assert deliver_pending() == 1
    finally:
        server.stop()
    [mail] = inbox.messages
    assert mail["To"] == member.email
    assert logins and logins[0][1:] == (b"mailer", b"s3cret")


def test_tls_from_the_start_with_mail_use_ssl(app, certificate, member):
    inbox = Inbox()
    server = start_server(app, inbox, ssl_context=certificate)
    try:
        app.config.update(MAIL_USE_SSL=True)
        _queue(member)
        assert deliver_pending() == 1
    finally:
        server.stop()
    assert [m["To"] for m in inbox.messages] == [member.email]


def test_a_certificate_the_client_does_not_trust_is_a_failure_that_is_retried(app, certificate, member, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent.pem")
    inbox = Inbox()
    server = start_server(app, inbox, ssl_context=certificate)
    try:
        app.config.update(MAIL_USE_SSL=True)
        message_id = _queue(member)
        assert deliver_pending() == 0
    finally:
        server.stop()
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert message.status == OutboxStatus.queued and message.attempts == 1
    assert "CERTIFICATE_VERIFY_FAILED" in message.last_error and inbox.messages == []


def test_an_admin_sends_a_failed_message_again(client, auth, admin, member):
    message_id = _queue(member)
    message = db.session.get(OutboxMessage, message_id)
    message.status, message.attempts, message.last_error = OutboxStatus.failed, 5, "554 refused"
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "Send again" in page and "554 refused" in page

    response = client.post(f"/admin/outbox/{message_id}/resend")
    assert response.status_code == 302
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert (message.status, message.attempts) == (OutboxStatus.queued, 0)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox_message.resent"))
    assert event.actor_id == admin.id


def test_only_admins_resend(client, auth, member):
    message_id = _queue(member)
    auth.login(member)
    assert client.post(f"/admin/outbox/{message_id}/resend").status_code == 403
