"""The reservation e-mails carry the reservation as an .ics: the calendars domain attaches it
to the e-mails a reservation event queued, through an event subscriber. These tests publish
the events themselves, as the reservation services do."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from booking.events import Email, Event, publish
from booking.extensions import db
from booking.notifications.models import OutboxAttachment, OutboxMessage
from booking.notifications.jobs import deliver_pending
from booking.reservations.models import ReservationStatus
from booking.unit_of_work import unit_of_work
from tests.fixtures.calendars import days_from_now
from tests.notifications.conftest import smtp_server  # noqa: F401  (a real SMTP server on 127.0.0.1)

S = ReservationStatus


@pytest.fixture
def hall(create_facility, manager):
    return create_facility("Riverside Hall", department=manager.departments[0], address="Rantatie 1")


@pytest.fixture
def booked(hall, booker, make_reservation):
    return make_reservation(hall, days_from_now(5), days_from_now(5) + timedelta(hours=2), user=booker,
                            title="Board meeting", sequence=1)


def email(reservation, template="reservation_approved", reservations=None, topic=None) -> Email:
    reservations = reservations or [reservation]
    return Email(reservation.user.email, "About your reservation", template, locale=reservation.user.locale,
                 topic=topic or f"reservation:{reservation.id}",
                 context={"reservations": reservations, "reservation": reservation, "facility": reservation.facility,
                          "recipient_name": reservation.user.name, "tz": reservation.facility.timezone,
                          "link": f"http://127.0.0.1:5000/reservations/{reservation.id}"})


def happened(action, reservation, change=lambda: None, **email_args) -> None:
    """What a reservation use case does: change, then publish with its e-mail, in one unit of work."""
    with force_locale("en"), unit_of_work():
        change()
        publish(Event(action, reservation, actor=reservation.user, department_id=reservation.facility.department_id,
                      emails=[email(reservation, **email_args)]))


def attached_calendars() -> list[icalendar.Calendar]:
    rows = db.session.scalars(select(OutboxAttachment).order_by(OutboxAttachment.id)).all()
    assert all(a.content_type == "text/calendar; method=PUBLISH; charset=utf-8" for a in rows)
    return [icalendar.Calendar.from_ical(a.content) for a in rows]


def only_event(calendar) -> icalendar.Event:
    [event] = calendar.walk("VEVENT")
    return event


def test_confirmation_change_and_cancellation_update_one_event(booked):
    def move():
        for name in ("start_dt", "end_dt", "blocked_start_dt", "blocked_end_dt"):
            setattr(booked, name, getattr(booked, name) + timedelta(hours=1))
        booked.sequence += 1  # the reservation services bump it on every change of time or status

    happened("reservation.created", booked)
    happened("reservation.changed", booked, move, template="reservation_changed")
    happened("reservation.cancelled", booked, lambda: booked.set_status(S.cancelled), template="reservation_cancelled")

    calendars = attached_calendars()
    assert len(calendars) == 3
    assert {str(c["method"]) for c in calendars} == {"PUBLISH"}
    events = [only_event(c) for c in calendars]
    assert {str(e["uid"]) for e in events} == {f"reservation-{booked.id}@127.0.0.1"}
    assert [e.decoded("sequence") for e in events] == [1, 2, 3]
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert events[1].decoded("dtstart") == booked.start_dt
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert [a.filename for a in message.attachments] == [f"reservation-{booked.id}.ics"]


@pytest.mark.parametrize("action", ["reservation.submitted", "reservation.approved"])
def test_a_request_and_its_approval_carry_the_file(booked, action):
    happened(action, booked)
    assert len(attached_calendars()) == 1


@pytest.mark.parametrize("action", ["reservation.rejected", "reservation.checked_in", "facility.updated"])
def test_other_events_carry_none(booked, action):
    happened(action, booked)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert attached_calendars() == []


def test_an_e_mail_about_something_else_gets_nothing(booked):
    happened("reservation.approved", booked, topic="newsletter:1")
    assert attached_calendars() == []


def test_a_series_e_mail_has_every_occurrence_it_is_about(hall, booker, dst_series):
    made = dst_series(hall, booker)
    occurrences = [r for r in made.reservations if r.status != S.cancelled]
    happened("reservation.created", occurrences[0], reservations=occurrences)

    [calendar] = attached_calendars()
    assert len(calendar.walk("VEVENT")) == len(occurrences)


def test_nothing_is_attached_when_the_use_case_fails(booked):
    with pytest.raises(RuntimeError), force_locale("en"), unit_of_work():
        publish(Event("reservation.approved", booked, actor=booked.user, emails=[email(booked)]))
        raise RuntimeError("the second half of the use case failed")
    assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_file_is_sent_with_the_e_mail(booked, smtp_server):  # noqa: F811
    happened("reservation.approved", booked)

    assert deliver_pending() == 1

    [received] = smtp_server.messages
    [part] = [p for p in received.iter_attachments()]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == f"reservation-{booked.id}.ics"
    assert str(only_event(icalendar.Calendar.from_ical(part.get_content()))["uid"]) == f"reservation-{booked.id}@127.0.0.1"
    assert "Board meeting" in received.get_body(("plain",)).get_content()
