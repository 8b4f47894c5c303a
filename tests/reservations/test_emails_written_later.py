"""A reservation's e-mails are queued in the booking's transaction as a recipe and written by
the delivery job (booking.notifications.later): the booking does not render them, the job
writes the same text, HTML and calendar file, and what cannot be written fails clearly."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from http import HTTPStatus

import icalendar
import pytest
from flask_babel import lazy_gettext
from sqlalchemy import delete, select

from booking.extensions import db
from booking.notifications import later, services as notification_services
from booking.notifications import jobs
from booking.notifications.jobs import deliver_pending, write_pending
from booking.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus
from booking.reservations.models import Reservation
from booking.unit_of_work import unit_of_work
from tests.fixtures.reservations import local
from tests.notifications.conftest import smtp_server  # noqa: F401  (a real SMTP server on 127.0.0.1)

TUESDAY_10, TUESDAY_12 = local(2030, 3, 5, 10), local(2030, 3, 5, 12)


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_booking_queues_a_recipe_and_the_job_writes_it(facility, booker, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12, title="Board meeting")

    [message] = outbox()
    assert message.subject == "Reservation confirmed: Riverside Hall"  # decided by the event, now
    assert message.text_body is None and message.html_body is None
    assert message.recipe["template"] == "reservation_confirmed" and message.recipe["locale"] == "en"
    assert message.recipe["context"]["reservation"] == {"$obj": "Reservation", "id": reservation.id}
    assert message.recipe["attachments"] == [["calendar", {"reservations": {"$objs": "Reservation",
                                                                             "ids": [reservation.id]}}]]
    assert db.session.scalars(select(OutboxAttachment)).all() == []
    assert message.id not in notification_services.due_message_ids(10)  # not sent before it is written

    assert write_pending() == 1
    db.session.expire_all()
    [message] = outbox()
    assert message.recipe is None
    assert "Board meeting" in message.text_body and "Riverside Hall" in message.text_body
    assert "Tue 5 Mar 2030 10:00" in message.text_body
    assert f"/reservations/{reservation.id}" in message.text_body
    assert "Board meeting" in message.html_body
    [attachment] = message.attachments
    assert attachment.filename == f"reservation-{reservation.id}.ics"
    [event] = icalendar.Calendar.from_ical(attachment.content).walk("VEVENT")
    assert event.decoded("dtstart") == TUESDAY_10
    assert message.id in notification_services.due_message_ids(10)
    assert write_pending() == 0  # nothing left to write


def test_what_the_job_writes_is_what_writing_at_once_gives(facility, booker, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    [message] = outbox()
    recipe = message.recipe
    context = later.decode(recipe["context"])
    with unit_of_work():
        at_once = notification_services.write(recipe["template"], "en", recipe["kind"], recipe["page"],
                                              message.subject, context)
    write_pending()
    db.session.expire_all()
    assert (message.text_body, message.html_body) == at_once
    assert context["reservation"] is db.session.get(Reservation, reservation.id)


def test_the_job_describes_the_reservation_as_it_is_when_it_writes(facility, booker, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12, title="Board meeting")
    reservation.title = "Board meeting, moved to the annex"
    db.session.commit()
    write_pending()
    [message] = outbox()
    assert "moved to the annex" in message.text_body


def test_a_message_whose_reservation_is_gone_fails_with_the_reason_and_the_rest_are_written(
        facility, booker, reserve):
    first = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    reserve(booker, facility, local(2030, 3, 6, 10), local(2030, 3, 6, 12))
    db.session.execute(delete(Reservation).where(Reservation.id == first.id))
    db.session.commit()

    assert write_pending() == 1
    db.session.expire_all()
    gone, written = outbox()
    assert gone.status == OutboxStatus.failed and gone.text_body is None
    assert gone.last_error == f"Could not be written: Reservation {first.id} no longer exists"
    assert written.status == OutboxStatus.queued and written.text_body
    assert write_pending() == 0  # a failed message is not tried again by itself


def test_a_message_that_fails_to_be_written_is_tried_again_later(facility, booker, reserve, monkeypatch):
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)

    def broken(message):
        raise RuntimeError("template error")
    monkeypatch.setattr(notification_services, "_text_and_html", broken)
    assert write_pending() == 0
    db.session.expire_all()
    [message] = outbox()
    assert message.status == OutboxStatus.queued and message.attempts == 1
    assert message.last_error == "Could not be written: RuntimeError: template error"
    assert message.next_attempt_dt > datetime.now(timezone.utc)  # backs off like a failed delivery
    assert message.text_body is None and message.recipe is not None


def test_no_transaction_is_open_while_the_mail_server_is_talked_to(facility, booker, reserve, smtp_server,  # noqa: F811
                                                                      monkeypatch):
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    seen = []

    def send(message):
        read = (message.text_body[:5], [a.filename for a in message.attachments])  # as SMTP sending reads it
        seen.append((db.session().in_transaction(), *read))
    monkeypatch.setattr(jobs, "send", send)
    assert deliver_pending() == 1
    [(open_transaction, text, files)] = seen
    assert not open_transaction and text == "Hello" and files[0].endswith(".ics")


def test_two_job_processes_write_a_message_once(facility, booker, reserve, monkeypatch):
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    [message] = outbox()
    written = notification_services._text_and_html

    def meanwhile_written_by_another_process(message):
        result = written(message)
        db.session.execute(db.update(OutboxMessage).values(text_body="Written by the other process"))
        return result
    monkeypatch.setattr(notification_services, "_text_and_html", meanwhile_written_by_another_process)
    with unit_of_work():
        assert notification_services.write_later(message.id) == 0  # the conditional update found it written
    db.session.expire_all()
    assert message.text_body == "Written by the other process"
    assert db.session.scalars(select(OutboxAttachment)).all() == []  # the other process added its own


def test_a_message_held_back_is_written_only_when_due(facility, booker, reserve, manager):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    write_pending()
    with unit_of_work():
        message = notification_services.queue_email(
            booker.email, "Checked in", "reservation_confirmed", later=True,
            send_after=datetime.now(timezone.utc) + timedelta(minutes=15), reservation=reservation,
            reservations=[reservation], facility=facility, recipient_name=booker.name, tz=facility.timezone,
            now=datetime.now(timezone.utc), cancel_deadline=reservation.start_dt)
    assert write_pending() == 0
    db.session.refresh(message)
    assert message.text_body is None


def test_the_e_mail_arrives_written_with_its_calendar_file(facility, booker, reserve, smtp_server):  # noqa: F811
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12, title="Board meeting")
    assert deliver_pending() == 1  # written, then sent, in one run of the job
    [received] = smtp_server.messages
    assert "Board meeting" in received.get_body(("plain",)).get_content()
    [ics] = list(received.iter_attachments())
    assert ics.get_filename() == f"reservation-{reservation.id}.ics"


def test_the_outbox_page_shows_a_message_still_to_be_written_as_it_would_read(client, auth, admin, facility, booker, reserve):
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    auth.login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "The e-mail job writes this message's text in a moment" in page
    assert "Team meeting" in page  # as it would read now (no job runs under a bare `flask run`)


# --- the recipe's context ------------------------------------------------------------------------

def test_the_context_keeps_times_dates_and_objects(facility, booker):
    context = {"when": datetime(2030, 3, 5, 8, tzinfo=timezone.utc), "day": date(2030, 3, 5),
               "deadline": timedelta(hours=24), "facility": facility, "facilities": [facility],
               "names": ["a", 1, None, True], "nested": {"count": 2}}
    kept = later.encode(context)
    assert kept["facility"] == {"$obj": "Facility", "id": facility.id}
    assert later.decode(kept) == context


@pytest.mark.parametrize("value", [lazy_gettext("Hello"), object(), {"$obj": "x"}, OutboxStatus.queued,
                                   HTTPStatus.OK])
def test_what_a_recipe_cannot_keep_is_written_at_once(value, facility, booker, reserve):
    with pytest.raises(later.CannotKeep):
        later.encode({"value": value})
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    with unit_of_work():
        message = notification_services.queue_email(
            booker.email, "Hello", "reservation_confirmed", later=True, reservation=reservation,
            reservations=[reservation], facility=facility, recipient_name=booker.name, tz=facility.timezone,
            now=datetime.now(timezone.utc), cancel_deadline=reservation.start_dt, value=value)
    assert message.recipe is None and "Riverside Hall" in message.text_body
