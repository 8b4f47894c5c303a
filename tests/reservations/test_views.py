"""The booking pages, with a real database: choose → hold → details → review → confirmation,
series, the booker's lists, cancelling and changing, the calendar file, and who may see what.

These pages run on the real clock, so times are next week's (tests/facilities/helpers.py).
"""
from __future__ import annotations

import re
from datetime import time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from booking.accounts import services as accounts
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy, BookingQuestion, FacilityTerms, QuestionKind
from booking.formatting import local_time
from booking.reservations import services
from booking.reservations.models import Reservation, ReservationStatus, Series
from booking.unit_of_work import unit_of_work
from tests.facilities.helpers import at, next_monday
from tests.fixtures.reservations import HELSINKI

S = ReservationStatus
AROUND_THE_CLOCK = {d: [(time(0), time(0))] for d in range(7)}
DAY = 24 * 60


def text(response) -> str:
    return response.get_data(as_text=True)


def book(user, facility, start, end, *, title="Team meeting", organisation=None, **details):
    """A reservation made through the service on the real clock, as the pages do."""
    with unit_of_work():
        return services.create_reservation(user, facility, organisation or user.organisations[0], start, end,
                                           title=title, **details)


def slot_floor(moment, minutes=30):
    return moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)


def started_reservation(user, facility, **details):
    """A reservation of `facility` (open around the clock) that started at the last slot boundary."""
    start = slot_floor(utcnow())
    with unit_of_work():
        return services.create_reservation(user, facility, user.organisations[0], start, start + timedelta(hours=2),
                                           title=details.pop("title", "Started"), now=start - timedelta(hours=1),
                                           **details)


def error_links(page: str) -> list[str]:
    """The fields the error summary links to."""
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


@pytest.fixture
def day():
    return next_monday()


@pytest.fixture
def logged_in(auth, booker):
    auth.login(booker)
    return booker


def choose_url(facility, day, duration=120, **extra):
    params = "&".join(f"{k}={v}" for k, v in {"date": day.isoformat(), "duration": duration, **extra}.items())
    return f"/reservations/book/{facility.slug}?{params}"


def hold_via_page(client, facility, day, hour=10, duration=120):
    response = client.post(choose_url(facility, day, duration),
                           data={"start": at(day, hour).isoformat(), "duration": duration})
    assert response.status_code == 302, text(response)
    return response


# --- choose -----------------------------------------------------------------------------

def test_choose_offers_the_start_times_that_are_free(client, logged_in, facility, create_user, day):
    other = create_user()
    book(other, facility, at(day, 12), at(day, 14))

    page = text(client.get(choose_url(facility, day)))

    assert "Booking for" in page and logged_in.organisations[0].name in page
    assert "Free start times on Monday" in page
    assert ">10:00–12:00<" in page and ">14:00–16:00<" in page
    assert "11:00–13:00" not in page and "12:00–14:00" not in page  # taken
    assert "18:00–20:00" in page and "18:30–20:30" not in page      # closes at 20:00


def test_the_organisation_sees_how_much_of_its_quota_it_uses(client, logged_in, facility, day):
    facility.rules.max_active_per_organisation = 3
    db.session.commit()
    book(logged_in, facility, at(day, 10), at(day, 12))

    page = text(client.get(choose_url(facility, day)))

    assert f"{logged_in.organisations[0].name} has 1 of 3 active bookings allowed here." in page


def test_a_member_of_several_organisations_chooses_whom_to_book_for(client, logged_in, facility, create_organisation,
                                                                      day):
    other = create_organisation("Second Org")
    accounts.add_membership(logged_in, other)
    db.session.commit()

    page = text(client.get(choose_url(facility, day)))
    assert "Book for another organisation" in page and "Second Org" in page

    client.post("/organisation/switch", data={"organisation_id": other.id, "next": choose_url(facility, day)})
    assert "Booking for <strong>Second Org</strong>" in text(client.get(choose_url(facility, day)))
    hold_via_page(client, facility, day)
    assert db.session.scalar(db.select(Reservation)).organisation_id == other.id


def test_the_facility_page_carries_the_booking_form(client, logged_in, facility, day):
    page = text(client.get(f"/facilities/{facility.slug}?date={day.isoformat()}&duration=60"))

    assert 'id="starts-heading"' in page
    assert ">10:00–11:00<" in page
    assert f'action="/reservations/book/{facility.slug}?date={day.isoformat()}&amp;duration=60"' in page


def test_a_day_without_free_times_points_to_the_next_one(client, logged_in, create_facility, day):
    weekdays_only = create_facility("Office", hours={d: [(time(8), time(16))] for d in range(5)})
    saturday = day + timedelta(days=5)

    page = text(client.get(choose_url(weekdays_only, saturday)))

    assert "No free start times that day" in page
    assert f"date={(day + timedelta(days=7)).isoformat()}" in page  # the Monday after


def test_a_choice_made_before_logging_in_survives_the_login(client, facility, booker, day):
    page = text(client.get(choose_url(facility, day)))

    assert "Log in to book" in page
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(/login\?next=[^"]+)"', page)]
    chosen = next(link for link in links if "time%3D10:00" in link or "time%3D10%3A00" in link)
    target = parse_qs(urlsplit(chosen).query)["next"][0]
    assert target == f"/reservations/book/{facility.slug}?date={day.isoformat()}&duration=120&time=10:00"

    response = client.post(chosen, data={"email": booker.email, "password": "correct-horse-1"})
    assert response.status_code == 302 and response.headers["Location"] == target

    page = text(client.get(target))
    assert "You chose" in page and "Continue with 10:00–12:00" in page


def test_multi_day_facilities_take_a_start_and_an_end(client, logged_in, create_facility, day):
    venue = create_facility("Festival Field", hours=AROUND_THE_CLOCK,
                            rules={"allow_multi_day": True, "max_duration_minutes": 4 * DAY})

    page = text(client.get(choose_url(venue, day)))
    assert "Book several days" in page

    response = client.post(choose_url(venue, day), data={
        "multi_day": "1", "start_date": day.isoformat(), "start_time": "10:00",
        "end_date": (day + timedelta(days=2)).isoformat(), "end_time": "18:00"})

    assert response.status_code == 302
    held = db.session.scalar(db.select(Reservation))
    assert (held.start_dt, held.end_dt) == (at(day, 10), at(day + timedelta(days=2), 18))


# --- hold, details, review, confirmation -------------------------------------------------

@pytest.fixture
def facility_with_terms(facility):
    facility.terms.append(FacilityTerms(version=2, text="Leave the hall as you found it."))
    facility.questions.append(BookingQuestion(label="Will you serve food?", kind=QuestionKind.yes_no, required=True))
    db.session.commit()
    return facility


def test_booking_a_slot_step_by_step(client, logged_in, facility_with_terms, day):
    facility = facility_with_terms
    question = facility.questions[0]

    response = hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))
    assert reservation.status == S.held
    assert response.headers["Location"] == f"/reservations/{reservation.id}/details"

    page = text(client.get(response.headers["Location"]))
    assert "We keep this time for you until" in page
    assert "Cancel and release the slot" in page
    assert "Will you serve food?" in page

    response = client.post(f"/reservations/{reservation.id}/details", data={
        "title": "Board meeting", "purpose": "Plan the year", "attendees": "12", f"question_{question.id}": "no"})
    assert response.headers["Location"] == f"/reservations/{reservation.id}/review"

    page = text(client.get(f"/reservations/{reservation.id}/review"))
    assert "Board meeting" in page and "Plan the year" in page and "Will you serve food?" in page
    assert "Leave the hall as you found it." in page
    assert "I accept the terms (version 2)" in page
    assert "Your booking is confirmed as soon as you send it." in page

    response = client.post(f"/reservations/{reservation.id}/review", data={})
    assert response.status_code == 422
    assert error_links(text(response)) == ["accept_terms"]
    assert "Accept the facility&#39;s terms of use to book it." in text(response)

    response = client.post(f"/reservations/{reservation.id}/review", data={"accept_terms": "y"})
    assert response.headers["Location"] == f"/reservations/{reservation.id}/confirmation"
    db.session.refresh(reservation)
    assert reservation.status == S.confirmed
    assert reservation.title == "Board meeting" and reservation.attendees == 12
    assert reservation.answers == {str(question.id): False}
    assert reservation.accepted_terms.version == 2

    page = text(client.get(f"/reservations/{reservation.id}/confirmation"))
    assert "Your booking is confirmed" in page
    assert f'href="/reservations/{reservation.id}.ics"' in page

    # The browser's back button: the finished steps lead to the confirmation.
    assert client.get(f"/reservations/{reservation.id}/review").headers["Location"].endswith("/confirmation")


def test_a_pending_request_says_who_decides_by_when(client, logged_in, facility, day):
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))
    client.post(f"/reservations/{reservation.id}/details", data={"title": "Choir", "attendees": "30"})

    assert "A manager decides on requests" not in text(client.get(f"/reservations/{reservation.id}/review"))
    assert "managers decide on requests like this one" in text(client.get(f"/reservations/{reservation.id}/review"))
    client.post(f"/reservations/{reservation.id}/review", data={})

    db.session.refresh(reservation)
    assert reservation.status == S.pending
    page = text(client.get(f"/reservations/{reservation.id}/confirmation"))
    deadline = local_time(reservation.decision_deadline_dt, facility.timezone, "EEEE d MMMM y HH:mm")
    assert f"A manager decides by {deadline}" in page


def test_details_errors_are_summarised_and_linked(client, logged_in, facility_with_terms, day):
    hold_via_page(client, facility_with_terms, day)
    reservation = db.session.scalar(db.select(Reservation))
    question = facility_with_terms.questions[0]

    response = client.post(f"/reservations/{reservation.id}/details", data={"title": "", "attendees": "-1"})

    assert response.status_code == 422
    assert error_links(text(response)) == ["title", "attendees", f"question_{question.id}"]
    assert "Please answer this question." in text(response)


def test_the_review_needs_the_details_first(client, logged_in, facility, day):
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))

    response = client.get(f"/reservations/{reservation.id}/review")

    assert response.headers["Location"] == f"/reservations/{reservation.id}/details"


def test_cancel_and_release_frees_the_slot(client, logged_in, facility, day):
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))

    response = client.post(f"/reservations/{reservation.id}/release")

    assert response.status_code == 302 and f"date={day.isoformat()}" in response.headers["Location"]
    db.session.refresh(reservation)
    assert reservation.status == S.cancelled
    page = text(client.get(response.headers["Location"]))
    assert ">10:00–12:00<" in page and "nothing was booked" in page


def test_a_taken_time_is_refused_with_the_reason_not_an_error_page(client, logged_in, facility, create_user, day):
    book(create_user(), facility, at(day, 11), at(day, 13))

    response = client.post(choose_url(facility, day), data={"start": at(day, 10).isoformat(), "duration": 120})

    assert response.status_code == 409
    assert "Already reserved from" in text(response) and "11:00" in text(response)
    assert 'id="starts-heading"' in text(response)


def test_an_expired_hold_says_so_and_offers_to_choose_again(client, logged_in, facility, day):
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))
    services.expire_holds(now=reservation.hold_expires_dt + timedelta(seconds=1))

    response = client.get(f"/reservations/{reservation.id}/details")

    assert response.status_code == 410
    assert "We kept it for 15 minutes" in text(response)
    again = f"/reservations/book/{facility.slug}?date={day.isoformat()}&amp;duration=120&amp;time=10:00"
    assert again in text(response)


def test_only_the_one_who_chose_fills_in_the_details(client, auth, facility, booker, create_user, day):
    auth.login(booker)
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))
    auth.logout()
    auth.login(create_user())

    assert client.get(f"/reservations/{reservation.id}/details").status_code == 404
    assert client.post(f"/reservations/{reservation.id}/release").status_code == 404


def test_booking_needs_a_login(client, facility, day):
    response = client.post(choose_url(facility, day), data={"start": at(day, 10).isoformat(), "duration": 120})

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- series -------------------------------------------------------------------------------

def test_a_weekly_series_is_previewed_with_the_clash_left_out(client, logged_in, facility, create_user, day):
    book(create_user(), facility, at(day + timedelta(weeks=2), 11), at(day + timedelta(weeks=2), 12))

    response = client.post(choose_url(facility, day), data={
        "start": at(day, 10).isoformat(), "duration": 120, "repeat": "weekly", "interval": "1", "count": "4"})
    assert response.status_code == 302 and "/series?" in response.headers["Location"]
    assert db.session.scalar(db.select(db.func.count(Reservation.id))) == 1  # nothing held yet

    page = text(client.get(response.headers["Location"]))
    assert "Weekly, 10:00–12:00" in page and "4 dates" in page
    assert "1 of them cannot be booked and is left out." in page
    checked = re.findall(r'name="skip" value="([^"]+)" checked', page)
    assert checked == [(day + timedelta(weeks=2)).isoformat()]
    assert "Clash:" in page and "Already reserved from" in page

    response = client.post(response.headers["Location"], data={
        "title": "Weekly training", "attendees": "10", "skip": checked})
    first = db.session.scalar(db.select(Reservation).where(Reservation.title == "Weekly training")
                              .order_by(Reservation.start_dt))
    assert response.headers["Location"] == f"/reservations/{first.id}/confirmation"
    series = db.session.scalar(db.select(Series))
    assert [r.start_dt for r in series.reservations] == [at(day + timedelta(weeks=w), 10) for w in (0, 1, 3)]
    assert series.skipped_dates == checked

    page = text(client.get(response.headers["Location"]))
    assert "3 dates booked" in page and "Left out:" in page


def test_booking_a_series_with_the_clash_kept_lists_every_reason(client, logged_in, facility, create_user, day):
    book(create_user(), facility, at(day + timedelta(weeks=1), 11), at(day + timedelta(weeks=1), 12))
    url = (f"/reservations/book/{facility.slug}/series?start={at(day, 10).isoformat()}"
           f"&end={at(day, 12).isoformat()}&repeat=weekly&count=3").replace("+", "%2B")

    response = client.post(url, data={"title": "Weekly training", "attendees": "10"})

    assert response.status_code == 409
    assert "Already reserved from" in text(response)
    assert db.session.scalar(db.select(db.func.count(Series.id))) == 0


def test_monthly_by_weekday_and_every_other_week(client, logged_in, facility, day):
    second_tuesday = next(day + timedelta(days=n) for n in range(60)
                          if (day + timedelta(days=n)).weekday() == 1 and 8 <= (day + timedelta(days=n)).day <= 14)

    response = client.post(choose_url(facility, second_tuesday), data={
        "start": at(second_tuesday, 10).isoformat(), "duration": 60, "repeat": "monthly", "count": "3"})
    page = text(client.get(response.headers["Location"]))
    dates = re.findall(r'name="skip" value="([^"]+)"', page)
    assert len(dates) == 3
    assert all(d[-2:] in {f"{n:02d}" for n in range(8, 15)} for d in dates)

    response = client.post(choose_url(facility, day), data={
        "start": at(day, 10).isoformat(), "duration": 60, "repeat": "weekly", "interval": "2",
        "until": (day + timedelta(weeks=4)).isoformat()})
    page = text(client.get(response.headers["Location"]))
    assert "Every 2 weeks" in page
    assert re.findall(r'name="skip" value="([^"]+)"', page) == [
        (day + timedelta(weeks=w)).isoformat() for w in (0, 2, 4)]


def test_a_repeat_needs_an_end(client, logged_in, facility, day):
    response = client.post(choose_url(facility, day), data={
        "start": at(day, 10).isoformat(), "duration": 120, "repeat": "weekly", "interval": "1"})

    assert response.status_code == 422
    assert error_links(text(response)) == ["repeat-count"]
    assert "Say how many times it repeats, or give a last date." in text(response)


# --- my reservations, the organisation's, the detail page ---------------------------------

@pytest.fixture
def weekly(logged_in, facility, day):
    return services.create_series(logged_in, facility, logged_in.organisations[0], at(day, 8), at(day, 9),
                                  "FREQ=WEEKLY;COUNT=4", title="Yoga")


def test_my_reservations_show_a_series_as_one_entry(client, logged_in, facility, weekly, day):
    single = book(logged_in, facility, at(day, 14), at(day, 16), title="Workshop")

    page = text(client.get("/reservations"))

    assert page.count('class="res-entry"') == 2
    assert "Yoga" in page and "Weekly, 4 dates" in page and "4 confirmed" in page
    assert "All dates of this series" in page
    assert "Workshop" in page and local_time(single.start_dt, facility.timezone, "EEE d MMM y") in page
    assert "Cancel the series" in page
    assert 'href="/reservations"' in page  # the navigation item


def test_the_organisation_sees_everyone_s_reservations(client, auth, facility, booker, create_user, day):
    colleague = create_user(name="Cole League", organisation=booker.organisations[0])
    book(colleague, facility, at(day, 10), at(day, 11), title="Colleague's meeting")
    auth.login(booker)

    assert "Colleague&#39;s meeting" not in text(client.get("/reservations"))
    page = text(client.get("/reservations/organisation"))
    assert "Colleague&#39;s meeting" in page and "booked by Cole League" in page


def test_past_and_cancelled_are_listed_apart(client, logged_in, facility, day):
    cancelled = book(logged_in, facility, at(day, 10), at(day, 11), title="Called off")
    services.cancel(logged_in, cancelled)
    hold_via_page(client, facility, day, hour=14)
    client.post(f"/reservations/{db.session.scalar(db.select(Reservation.id).where(Reservation.status == S.held))}"
                "/release")

    assert "Called off" not in text(client.get("/reservations"))
    assert "Called off" not in text(client.get("/reservations?show=past"))
    page = text(client.get("/reservations?show=cancelled"))
    assert "Called off" in page and page.count('class="res-entry"') == 1  # the released hold is no reservation


def test_a_cancel_reason_that_reads_like_a_system_word_keeps_the_reservation_listed(client, logged_in, facility,
                                                                                   day):
    # The system's reasons for ending a hold used to be sentinel strings in cancel_reason.
    for word in ("released", "hold expired", "replaced by a new hold"):
        reservation = book(logged_in, facility, at(day, 10), at(day, 11), title=f"Called off: {word}")
        services.cancel(logged_in, reservation, reason=word)

    page = text(client.get("/reservations?show=cancelled"))
    assert page.count('class="res-entry"') == 3


def test_the_detail_page_says_what_can_be_done(client, logged_in, facility_with_terms, day):
    facility = facility_with_terms
    question = facility.questions[0]
    reservation = book(logged_in, facility, at(day, 10), at(day, 12), title="Board meeting", attendees=5,
                       answers={str(question.id): "yes"}, accept_terms=True)

    page = text(client.get(f"/reservations/{reservation.id}"))

    assert "Board meeting" in page and "Will you serve food?" in page and "Yes" in page
    assert "Version 2 accepted on" in page
    assert "Cancel…" in page and "Change the time…" in page and "Free cancellation until" in page


def test_too_late_to_cancel_says_why_and_whom_to_contact(client, logged_in, create_facility, create_department):
    department = create_department("Sports", contact_email="sports@city.example")
    hall = create_facility("Gym", department=department, hours=AROUND_THE_CLOCK)
    reservation = started_reservation(logged_in, hall)

    page = text(client.get("/reservations"))
    assert "Cannot be cancelled:" in page and "Free cancellation ended at" in page
    assert "Sports (sports@city.example)" in page

    page = text(client.get(f"/reservations/{reservation.id}/cancel"))
    assert "This cannot be cancelled:" in page and "Cancel the reservation" not in page
    response = client.post(f"/reservations/{reservation.id}/cancel", data={"reason": "Ill"})
    assert response.status_code == 422 and "Free cancellation ended at" in text(response)
    db.session.refresh(reservation)
    assert reservation.status == S.confirmed


def test_cancel_one_reservation(client, logged_in, facility, day):
    reservation = book(logged_in, facility, at(day, 10), at(day, 12))

    page = text(client.get(f"/reservations/{reservation.id}/cancel"))
    assert "What to cancel" not in page  # no series, no choice
    response = client.post(f"/reservations/{reservation.id}/cancel?next=/reservations",
                           data={"reason": "Plans changed", "next": "/reservations"})

    assert response.headers["Location"] == "/reservations"
    db.session.refresh(reservation)
    assert reservation.status == S.cancelled and reservation.cancel_reason == "Plans changed"
    assert "its time is free again" in text(client.get("/reservations"))


def test_cancel_this_and_the_following_occurrences(client, logged_in, weekly):
    third = weekly.reservations[2]

    page = text(client.get(f"/reservations/{third.id}/cancel"))
    assert "The whole series" in page and "This one and the following ones" in page
    client.post(f"/reservations/{third.id}/cancel", data={"scope": "following"})

    assert [r.status for r in weekly.reservations] == [S.confirmed, S.confirmed, S.cancelled, S.cancelled]
    assert "2 reservations are cancelled" in text(client.get("/reservations"))


def test_change_the_time(client, logged_in, facility, create_user, day):
    reservation = book(logged_in, facility, at(day, 10), at(day, 12))
    book(create_user(), facility, at(day, 15), at(day, 16))

    response = client.post(f"/reservations/{reservation.id}/change",
                           data={"date": day.isoformat(), "start_time": "14:00", "end_time": "16:00"})
    assert response.status_code == 409 and "Already reserved from" in text(response)

    response = client.post(f"/reservations/{reservation.id}/change",
                           data={"date": day.isoformat(), "start_time": "12:00", "end_time": "14:30"})
    assert response.status_code == 302
    db.session.refresh(reservation)
    assert (reservation.start_dt, reservation.end_dt) == (at(day, 12), at(day, 14, 30))
    assert "The new time is saved." in text(client.get(response.headers["Location"]))


def test_a_change_may_need_a_decision_again(client, logged_in, facility, day):
    reservation = book(logged_in, facility, at(day, 10), at(day, 11))
    facility.rules.approval_policy = ApprovalPolicy.conditional
    facility.rules.manual_above_minutes = 120
    db.session.commit()

    client.post(f"/reservations/{reservation.id}/change",
                data={"date": day.isoformat(), "start_time": "10:00", "end_time": "14:00"})

    db.session.refresh(reservation)
    assert reservation.status == S.pending
    assert "It needs a manager&#39;s approval again" in text(client.get(f"/reservations/{reservation.id}"))


def test_change_every_following_occurrence_keeps_each_date(client, logged_in, weekly, day):
    second = weekly.reservations[1]

    client.post(f"/reservations/{second.id}/change", data={
        "scope": "following", "date": (day + timedelta(weeks=1)).isoformat(), "start_time": "09:00",
        "end_time": "10:30"})

    assert [r.start_dt for r in weekly.reservations] == [at(day, 8)] + [
        at(day + timedelta(weeks=w), 9) for w in (1, 2, 3)]


# --- the calendar file ------------------------------------------------------------------------

def test_the_calendar_file(client, logged_in, facility, day):
    facility.address = "Rantatie 1"
    reservation = book(logged_in, facility, at(day, 10), at(day, 12), title="Board meeting")

    response = client.get(f"/reservations/{reservation.id}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert f'filename="reservation-{reservation.id}.ics"' in response.headers["Content-Disposition"]
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtstart") == at(day, 10) and event.decoded("dtend") == at(day, 12)
    assert str(event["summary"]) == "Board meeting – Riverside Hall"
    assert str(event["location"]) == "Riverside Hall, Rantatie 1"
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["uid"]).startswith(f"reservation-{reservation.id}@")


def test_the_calendar_file_of_a_series_has_every_date(client, logged_in, weekly):
    response = client.get(f"/reservations/{weekly.reservations[0].id}.ics")

    assert len(Calendar.from_ical(response.data).walk("VEVENT")) == 4


# --- who sees what --------------------------------------------------------------------------

def test_another_organisation_s_reservation_is_not_found(client, auth, facility, booker, create_user, day):
    reservation = book(booker, facility, at(day, 10), at(day, 12))
    auth.login(create_user())

    for path in ("", ".ics", "/cancel", "/change", "/confirmation"):
        assert client.get(f"/reservations/{reservation.id}{path}").status_code == 404, path
    assert client.post(f"/reservations/{reservation.id}/cancel").status_code == 404
    assert "Team meeting" not in text(client.get("/reservations/organisation"))


def test_lists_need_a_login_and_an_organisation(client, auth, manager):
    assert client.get("/reservations").headers["Location"].startswith("/login")
    auth.login(manager)
    assert client.get("/reservations/organisation").status_code == 403


def test_members_see_my_reservations_but_no_inbox(client, logged_in):
    page = text(client.get("/"))

    assert "My reservations" in page and "Inbox" not in page


# --- the core issue's booking-flow defects, by name ------------------------------------------------

def test_the_week_grid_says_why_a_free_hour_cannot_be_booked(client, create_facility):
    facility = create_facility(hours=AROUND_THE_CLOCK, rules={"min_notice_minutes": 2 * DAY, "max_advance_days": 7})
    page = text(client.get(f"/facilities/{facility.slug}?week={next_monday(weeks=0).isoformat()}"))
    assert "Free, too soon to book" in page
    later = text(client.get(f"/facilities/{facility.slug}?week={next_monday(weeks=2).isoformat()}"))
    assert "Free, not bookable yet" in later and ">Free<span" not in later


def test_a_date_beyond_the_horizon_is_explained_not_replaced(client, logged_in, create_facility):
    facility = create_facility(rules={"max_advance_days": 90})
    far = next_monday(weeks=30)

    page = text(client.get(f"/reservations/book/{facility.slug}?date={far.isoformat()}&duration=60"))

    assert "is too far ahead: this facility can be booked at most 90 days ahead" in page
    assert f'value="{far.isoformat()}"' in page  # the asked date stays, nothing is pre-selected
    assert 'name="start"' not in page


def test_a_date_inside_the_notice_period_is_explained(client, logged_in, create_facility):
    facility = create_facility(rules={"min_notice_minutes": 3 * DAY})
    tomorrow = utcnow().astimezone(HELSINKI).date() + timedelta(days=1)

    page = text(client.get(f"/reservations/book/{facility.slug}?date={tomorrow.isoformat()}&duration=60"))

    assert "is too soon: this facility must be booked at least 3 days ahead" in page
    assert 'name="start"' not in page


def test_the_review_states_the_cancellation_terms(client, logged_in, facility, day):
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))
    client.post(f"/reservations/{reservation.id}/details", data={"title": "Choir", "attendees": "30"})

    page = text(client.get(f"/reservations/{reservation.id}/review"))

    assert "You can cancel it free of charge until" in page


def test_the_review_warns_when_free_cancellation_has_already_ended(client, logged_in, create_facility):
    facility = create_facility(hours=AROUND_THE_CLOCK, rules={"cancellation_deadline_hours": 72})
    start = slot_floor(utcnow()) + timedelta(hours=5)
    with unit_of_work():
        held = services.hold(logged_in, facility, logged_in.organisations[0], start, start + timedelta(hours=1))
    client.post(f"/reservations/{held.id}/details", data={"title": "Choir", "attendees": "3"})

    page = text(client.get(f"/reservations/{held.id}/review"))

    assert "Free cancellation has already ended for this time" in page
    assert "it can no longer be cancelled here" in page


def test_an_overdue_decision_is_said_to_be_overdue(client, logged_in, facility, day):
    facility.rules.approval_policy = ApprovalPolicy.manual
    reservation = book(logged_in, facility, at(day, 10), at(day, 12))
    reservation.decision_deadline_dt = utcnow() - timedelta(hours=1)
    db.session.commit()

    page = text(client.get(f"/reservations/{reservation.id}"))
    listed = text(client.get("/reservations"))

    assert "A manager decides by" not in page and "A manager should have decided by" in page
    assert "Overdue" in listed and "A manager decides by" not in listed


def test_the_details_step_refuses_a_blank_title_and_nobody_coming(client, logged_in, facility, day):
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))

    response = client.post(f"/reservations/{reservation.id}/details", data={"title": "   ", "attendees": "0"})

    assert response.status_code == 422
    assert error_links(text(response)) == ["title", "attendees"]
    response = client.post(f"/reservations/{reservation.id}/details", data={"title": "Big party", "attendees": "81"})
    assert response.status_code == 422 and "the facility holds 80" in text(response)


# --- the booker's day: a hold in progress stays in view ----------------------------------

def test_a_hold_in_progress_shows_a_banner_with_the_time_left_on_every_page(client, logged_in, facility, day):
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))

    page = text(client.get("/facilities"))
    banner = page[page.index('class="hold-banner"'):]
    banner = banner[:banner.index("</aside>")]
    assert "Your booking is not finished" in banner and facility.name in banner and "10:00–12:00" in banner
    assert re.search(r"for 1[45] more minutes", banner)
    assert f'href="/reservations/{reservation.id}/details"' in banner

    # Not on the step that shows the hold itself; after the details, the link goes to the review.
    assert "hold-banner" not in text(client.get(f"/reservations/{reservation.id}/details"))
    client.post(f"/reservations/{reservation.id}/details", data={"title": "Board meeting", "attendees": "5"})
    assert f'href="/reservations/{reservation.id}/review"' in text(client.get("/"))

    # Sent: no banner any more.
    client.post(f"/reservations/{reservation.id}/review", data={})
    db.session.expire_all()
    assert db.session.get(Reservation, reservation.id).status != S.held
    assert "hold-banner" not in text(client.get("/"))


def test_a_released_hold_leaves_no_banner(client, logged_in, facility, day):
    hold_via_page(client, facility, day)
    reservation = db.session.scalar(db.select(Reservation))
    client.post(f"/reservations/{reservation.id}/release", data={})
    assert "hold-banner" not in text(client.get("/"))


def test_going_back_to_choose_keeps_ones_own_held_time(client, auth, logged_in, facility, day, create_user):
    hold_via_page(client, facility, day)  # 10:00–12:00
    reservation = db.session.scalar(db.select(Reservation))

    # Back at the choose step ("Choose another time" comes back with the time asked for).
    page = text(client.get(choose_url(facility, day, time="10:00")))
    assert "hold-banner" not in page  # the panel itself says it
    assert "You are holding" in page and f'href="/reservations/{reservation.id}/details"' in page
    assert ">10:00–12:00<" in page  # its own start is offered, not shown as taken
    assert "is not free for this duration" not in page
    assert "Continue with 10:00–12:00" in page
    # The facility page says the searched time is held by them, not that it is taken.
    page = text(client.get(f"/facilities/{facility.slug}?date={day}&time=10:00&duration=120"))
    assert "This time is not free" not in page and "own-hold-check" in page

    # Choosing it again keeps the same time held (the earlier hold gives way to the new one).
    hold_via_page(client, facility, day)
    held = db.session.scalars(db.select(Reservation).where(Reservation.status == S.held)).all()
    assert [(r.start_dt, r.end_dt) for r in held] == [(at(day, 10), at(day, 12))]

    # Someone else never sees another person's hold as theirs: to them the time is taken.
    auth.logout()
    auth.login(create_user())
    page = text(client.get(choose_url(facility, day)))
    assert "You are holding" not in page and "hold-banner" not in page
    assert ">10:00–12:00<" not in page and ">12:00–14:00<" in page


def test_my_reservations_has_tabs_for_upcoming_pending_past_and_cancelled(client, logged_in, facility, day,
                                                                            create_user):
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    waiting = book(logged_in, facility, at(day, 10), at(day, 11), title="Waiting one")
    assert waiting.status == S.pending
    facility.rules.approval_policy = ApprovalPolicy.automatic
    db.session.commit()
    book(logged_in, facility, at(day, 12), at(day, 13), title="Confirmed one")
    called_off = book(logged_in, facility, at(day, 14), at(day, 15), title="Called off")
    services.cancel(logged_in, called_off)
    db.session.commit()
    start = at(utcnow().astimezone(HELSINKI).date() - timedelta(days=2), 10)  # open then, whatever the hour now
    with unit_of_work():
        services.create_reservation(logged_in, facility, logged_in.organisations[0], start, start + timedelta(hours=1),
                                    title="Over already", now=start - timedelta(hours=1))

    def titles(show):
        page = text(client.get("/reservations" + (f"?show={show}" if show else "")))
        return set(re.findall(r'class="res-entry-title"><a href="[^"]+">([^<]+)</a>', page)), page

    upcoming, page = titles(None)
    assert upcoming == {"Waiting one", "Confirmed one"}
    for show, label in (("pending", "Waiting for a decision"), ("past", "Past reservations"),
                        ("cancelled", "Cancelled and declined")):
        assert f'href="/reservations?show={show}">{label}</a>' in page
    assert titles("pending")[0] == {"Waiting one"}
    assert titles("past")[0] == {"Over already"}
    assert titles("cancelled")[0] == {"Called off"}
    assert 'aria-current="page">Waiting for a decision' in titles("pending")[1]
    assert titles("nonsense")[0] == upcoming  # an unknown tab is the first one
