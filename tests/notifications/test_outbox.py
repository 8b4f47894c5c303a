"""Every e-mail goes through the outbox; the send-outbox job delivers it by SMTP when configured."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.database import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage, OutboxStatus
from booking.notifications.jobs import deliver_pending
from booking.notifications.services import MAX_ATTEMPTS, queue_email
from tests.notifications.conftest import free_port


@pytest.fixture
def queued(app, member):
    """A password-reset mail to the member, in the outbox."""
    message = queue_email(member.email, "Reset your Infrashare password", "password_reset", topic=f"user:{member.id}",
                          user=member, link="http://127.0.0.1:5000/password/reset/abc", minutes=60)
    db.session.commit()
    return message.id


def _message(message_id) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_queue_email_renders_the_text_and_html_parts(app, member, queued):
    message = _message(queued)
    assert message.status == OutboxStatus.queued and message.attempts == 0
    assert "Hello Mia Member," in message.text_body
    assert "http://127.0.0.1:5000/password/reset/abc" in message.text_body
    assert '<a href="http://127.0.0.1:5000/password/reset/abc">' in message.html_body


def test_a_template_without_an_html_part_gets_the_shared_layout(app, tmp_path, member):
    app.jinja_loader.searchpath.insert(0, str(tmp_path))
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "plain_only.txt").write_text("Hi {{ name }} & co,\n\nSee https://x.example/a?b=1&c=2.\n\n-- \nInfrashare")
    message = queue_email(member.email, "Plain", "plain_only", name="Mia", page="/reservations/3")
    assert message.text_body.startswith("Hi Mia & co,")
    html = message.html_body
    assert "<p>Hi Mia &amp; co,</p>" in html and "<title>Plain</title>" in html
    assert '<a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a>.' in html
    assert '<a href="http://127.0.0.1:5000/reservations/3"' in html  # the page to act on
    assert "-- " not in html  # the layout signs it


def test_a_queued_mail_is_undone_with_its_transaction(app, member):
    queue_email(member.email, "Never", "password_reset", user=member, link="x", minutes=1)
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage)) is None


def test_without_a_mail_server_messages_are_kept(runner, queued):
    result = runner.invoke(args=["jobs", "run", "send-outbox"])
    assert result.exit_code == 0, result.output
    assert "send-outbox: 0" in result.output
    message = _message(queued)
    assert (message.status, message.attempts) == (OutboxStatus.queued, 0)


def test_the_job_delivers_by_smtp_and_marks_the_message_sent(app, runner, smtp_server, member, queued):
    result = runner.invoke(args=["jobs", "run", "send-outbox"])
    assert result.exit_code == 0, result.output
    assert "send-outbox: 1" in result.output

    [mail] = smtp_server.messages
    assert mail["To"] == member.email
    assert mail["Subject"] == "Reset your Infrashare password"
    assert mail["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert "http://127.0.0.1:5000/password/reset/abc" in mail.get_body(("plain",)).get_content()
    assert '<a href="http://127.0.0.1:5000/password/reset/abc">' in mail.get_body(("html",)).get_content()

    message = _message(queued)
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.sent, 1, None)
    assert message.sent_dt is not None

    runner.invoke(args=["jobs", "run", "send-outbox"])  # running again sends nothing twice
    assert len(smtp_server.messages) == 1


def test_a_server_that_cannot_be_reached_leaves_the_message_queued(app, queued):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    assert deliver_pending() == 0
    message = _message(queued)
    assert (message.status, message.attempts) == (OutboxStatus.queued, 1)
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_dt > utcnow()

    deliver_pending()  # not due again yet
    assert _message(queued).attempts == 1


def test_a_refused_message_is_retried_later_then_given_up(app, smtp_server, queued):
    smtp_server.refuse = True
    for attempt in range(1, MAX_ATTEMPTS + 1):
        message = _message(queued)
        message.next_attempt_dt = utcnow()  # as if the back-off had passed
        db.session.commit()
        deliver_pending()
        message = _message(queued)
        assert message.attempts == attempt
        assert "Refused by the test server" in message.last_error
    assert message.status == OutboxStatus.failed
    assert smtp_server.messages == []


def test_a_message_claimed_by_another_process_is_left_alone(app, smtp_server, queued):
    message = _message(queued)
    message.status, message.next_attempt_dt = OutboxStatus.sending, utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert deliver_pending() == 0
    assert smtp_server.messages == []


def test_a_claim_abandoned_by_a_crashed_process_is_taken_over(app, smtp_server, queued):
    message = _message(queued)
    message.status, message.next_attempt_dt = OutboxStatus.sending, utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert deliver_pending() == 1
    assert _message(queued).status == OutboxStatus.sent


def test_a_password_reset_reaches_the_smtp_server(client, runner, smtp_server, member):
    client.post("/password/forgot", data={"email": member.email})
    runner.invoke(args=["jobs", "run", "send-outbox"])
    [mail] = smtp_server.messages
    assert mail["To"] == member.email
    assert "/password/reset/" in mail.get_body(("plain",)).get_content()
