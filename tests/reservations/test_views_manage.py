"""The managers' pages, with a real database: the inbox and its badge, deciding a request
with the facility's week beside it, and a facility's day/week calendar with internal blocks,
check-in and no-show."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from booking.accounts.models import Role
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.reservations import services
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus
from tests.facilities.helpers import at, next_monday
from tests.reservations.test_views import AROUND_THE_CLOCK, book, error_links, started_reservation, text

S = ReservationStatus


@pytest.fixture
def day():
    return next_monday()


@pytest.fixture
def manual(facility):
    """The Parks department's hall, where a manager decides every request."""
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    return facility


@pytest.fixture
def request_(manual, booker, day):
    return book(booker, manual, at(day, 10), at(day, 12), title="Choir practice", purpose="Singing")


def overdue(reservation, hours=2):
    reservation.decision_deadline_dt = utcnow() - timedelta(hours=hours)
    db.session.commit()
    return reservation


# --- the inbox --------------------------------------------------------------------------

def test_the_inbox_lists_requests_by_deadline_and_flags_the_overdue(client, auth, manager, manual, booker, day):
    later = book(booker, manual, at(day, 14), at(day, 15), title="Later request")
    late = overdue(book(booker, manual, at(day + timedelta(days=1), 10), at(day + timedelta(days=1), 11),
                        title="Forgotten request"))
    auth.login(manager)

    page = text(client.get("/reservations/inbox"))

    assert page.index("Forgotten request") < page.index("Later request")
    assert "2 requests, the nearest deadline first." in page and "1 is overdue." in page
    rows = page.split("<tbody>", 1)[1].split("</tr>")
    assert "Overdue" in rows[0] and "Overdue" not in rows[1]
    assert f'href="/reservations/{late.id}/decide"' in rows[0] and f"/reservations/{later.id}/decide" in rows[1]
    assert "Facility calendars" in page and f'href="/reservations/calendar/{manual.slug}"' in page


def test_the_inbox_badge_counts_the_requests(client, auth, manager, request_):
    auth.login(manager)

    page = text(client.get("/"))

    assert re.search(r'href="/reservations/inbox"[^>]*>Inbox <span class="badge">1<', page)


def test_a_series_waits_in_the_inbox_as_one_line(client, auth, manager, manual, booker, day):
    services.create_series(booker, manual, booker.organisations[0], at(day, 10), at(day, 11), "FREQ=WEEKLY;COUNT=3",
                           title="Weekly choir")
    auth.login(manager)

    page = text(client.get("/reservations/inbox"))

    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr")
    assert rows == 1 and "Weekly choir" in page and "3 dates waiting" in page


def test_only_managers_open_the_inbox(client, auth, booker, create_user, create_department):
    auth.login(booker)
    assert client.get("/reservations/inbox").status_code == 403
    assert "Inbox" not in text(client.get("/"))


def test_a_manager_sees_only_their_departments_requests(client, auth, request_, create_user, create_department):
    other = create_user(role=Role.facility_manager, departments=[create_department("Culture")])
    auth.login(other)

    assert "Choir practice" not in text(client.get("/reservations/inbox"))
    # Another department's request answers exactly as a missing one: its existence is not revealed.
    for existing, missing in ((f"/reservations/{request_.id}", "/reservations/999999"),
                              (f"/reservations/{request_.id}/decide", "/reservations/999999/decide")):
        assert client.get(existing).status_code == client.get(missing).status_code == 404
    assert client.post(f"/reservations/{request_.id}/approve").status_code == 404
    assert client.post(f"/reservations/{request_.id}/reject", data={"reason": "No"}).status_code == 404


# --- deciding -----------------------------------------------------------------------------

def test_the_decision_page_shows_the_facility_s_week_around_the_request(client, auth, manager, request_, manual,
                                                                       create_user, day):
    neighbour = book(create_user(), manual, at(day + timedelta(days=2), 9), at(day + timedelta(days=2), 10),
                     title="Neighbouring booking")
    services.create_internal_block(manager, manual, at(day + timedelta(days=3), 8), at(day + timedelta(days=3), 9),
                                   title="Floor polishing")
    auth.login(manager)

    page = text(client.get(f"/reservations/{request_.id}/decide"))

    assert "Choir practice" in page and "Singing" in page and "Small or medium-sized enterprise" in page
    assert "This request:" in page
    assert neighbour.title in page and "Floor polishing" in page and "Internal block" in page
    assert "Approve this request" in page and "Decline this request" in page


def test_approve_with_an_internal_note(client, auth, manager, request_):
    auth.login(manager)

    response = client.post(f"/reservations/{request_.id}/approve", data={"internal_note": "Regulars"})

    assert response.headers["Location"] == "/reservations/inbox"
    db.session.refresh(request_)
    assert request_.status == S.confirmed and request_.internal_note == "Regulars"
    assert request_.decided_by_id == manager.id
    assert "Approved. The booker is told by e-mail." in text(client.get("/reservations/inbox"))


def test_declining_needs_a_reason(client, auth, manager, request_):
    auth.login(manager)

    response = client.post(f"/reservations/{request_.id}/reject", data={"reason": " ", "internal_note": "Hm"})

    assert response.status_code == 422
    assert error_links(text(response)) == ["reject-reason"]
    assert "Give a reason; it is sent to the booker." in text(response)
    db.session.refresh(request_)
    assert request_.status == S.pending


def test_decline_sends_the_reason_and_keeps_the_note_internal(client, auth, manager, request_, booker):
    auth.login(manager)

    client.post(f"/reservations/{request_.id}/reject", data={"reason": "The hall is being painted.",
                                                             "internal_note": "Ask facilities about paint"})

    db.session.refresh(request_)
    assert request_.status == S.rejected
    assert request_.rejection_reason == "The hall is being painted."
    assert request_.internal_note == "Ask facilities about paint"
    auth.logout()
    auth.login(booker)
    page = text(client.get(f"/reservations/{request_.id}"))
    assert "The hall is being painted." in page and "Ask facilities about paint" not in page


def test_approve_a_whole_series_at_once(client, auth, manager, manual, booker, day):
    series = services.create_series(booker, manual, booker.organisations[0], at(day, 10), at(day, 11),
                                    "FREQ=WEEKLY;COUNT=3", title="Weekly choir")
    auth.login(manager)

    page = text(client.get(f"/reservations/{series.reservations[0].id}/decide"))
    assert "Approve the whole series (3 dates)" in page
    client.post(f"/reservations/{series.reservations[0].id}/approve", data={"scope": "series"})

    assert [r.status for r in series.reservations] == [S.confirmed] * 3
    assert "3 occurrences approved" in text(client.get("/reservations/inbox"))


def test_return_a_decision_to_handling(client, auth, manager, request_):
    auth.login(manager)
    client.post(f"/reservations/{request_.id}/approve", data={})

    page = text(client.get(f"/reservations/{request_.id}/decide"))
    assert "Take the decision back" in page
    response = client.post(f"/reservations/{request_.id}/return", data={"internal_note": "Wrong hall"})

    db.session.refresh(request_)
    assert request_.status == S.pending and request_.decision_deadline_dt is not None
    assert "back in handling" in text(client.get(response.headers["Location"]))


def test_deciding_twice_says_why_it_cannot(client, auth, manager, request_):
    auth.login(manager)
    client.post(f"/reservations/{request_.id}/approve", data={})

    response = client.post(f"/reservations/{request_.id}/reject", data={"reason": "Too late"})

    assert response.status_code == 422
    assert "Only a pending request can be declined; this one is confirmed." in text(response)


# --- the facility calendar -------------------------------------------------------------------

def test_the_calendar_lists_the_week_s_reservations_and_blocks(client, auth, manager, facility, booker, day):
    book(booker, facility, at(day, 10), at(day, 12), title="Choir practice")
    services.create_internal_block(manager, facility, at(day + timedelta(days=1), 7), at(day + timedelta(days=1), 9),
                                   title="Floor polishing")
    cancelled = book(booker, facility, at(day, 14), at(day, 15), title="Called off")
    services.cancel(booker, cancelled)
    auth.login(manager)

    page = text(client.get(f"/reservations/calendar/{facility.slug}?date={day.isoformat()}"))

    assert "Week of" in page and "Choir practice" in page and "Floor polishing" in page
    assert "Called off" not in page
    assert "Block time" in page

    page = text(client.get(f"/reservations/calendar/{facility.slug}?date={day.isoformat()}&view=day"))
    assert "Choir practice" in page and "Floor polishing" not in page


def test_a_manager_blocks_time(client, auth, manager, facility, booker, day):
    book(booker, facility, at(day, 10), at(day, 12), title="Choir practice")
    auth.login(manager)
    url = f"/reservations/calendar/{facility.slug}/blocks"

    response = client.post(url, data={"title": "Maintenance", "start_date": day.isoformat(), "start_time": "11:00",
                                      "end_time": "13:00"})
    assert response.status_code == 409 and "Already reserved from" in text(response)

    response = client.post(url, data={"title": "", "start_date": day.isoformat(), "end_time": "13:00"})
    assert response.status_code == 422 and error_links(text(response)) == ["block-title", "block-start-time"]

    response = client.post(url, data={"title": "Maintenance", "start_date": day.isoformat(), "start_time": "06:00",
                                      "end_time": "09:00", "internal_note": "Boiler"})
    assert response.status_code == 302
    block = db.session.scalar(db.select(Reservation).where(Reservation.kind == ReservationKind.internal_block))
    assert (block.start_dt, block.end_dt, block.internal_note) == (at(day, 6), at(day, 9), "Boiler")
    assert "The time is blocked" in text(client.get(response.headers["Location"]))


def test_members_and_other_departments_cannot_open_a_calendar(client, auth, facility, booker, create_user,
                                                              create_department):
    auth.login(booker)
    assert client.get(f"/reservations/calendar/{facility.slug}").status_code == 403
    auth.logout()
    auth.login(create_user(role=Role.facility_manager, departments=[create_department("Culture")]))
    assert client.get(f"/reservations/calendar/{facility.slug}").status_code == 403
    assert client.post(f"/reservations/calendar/{facility.slug}/blocks", data={}).status_code == 403


def test_check_in_and_no_show_on_the_day(client, auth, manager, create_facility, booker):
    hall = create_facility("Gym", department=manager.departments[0], hours=AROUND_THE_CLOCK)
    arrived = started_reservation(booker, hall, title="Arrived")
    auth.login(manager)
    calendar = f"/reservations/calendar/{hall.slug}?view=day"

    page = text(client.get(calendar))
    assert "Check in" in page and "No-show" in page

    response = client.post(f"/reservations/{arrived.id}/check-in", data={"next": calendar, "confirm": "1"})
    assert response.headers["Location"] == calendar
    page = text(client.get(calendar))
    assert "Checked in: Arrived." in page and "checked in" in page
    db.session.refresh(arrived)
    assert arrived.checked_in_dt is not None

    response = client.post(f"/reservations/{arrived.id}/no-show", data={"next": calendar, "confirm": "1"})
    assert "Only a confirmed reservation nobody checked in to" in text(client.get(response.headers["Location"]))


def test_mark_a_no_show(client, auth, manager, create_facility, booker):
    hall = create_facility("Gym", department=manager.departments[0], hours=AROUND_THE_CLOCK)
    missing = started_reservation(booker, hall, title="Missing")
    auth.login(manager)

    client.post(f"/reservations/{missing.id}/no-show", data={"confirm": "1"})

    db.session.refresh(missing)
    assert missing.status == S.no_show


def test_the_inbox_pages_past_its_first_hundred_and_counts_every_overdue_one(client, auth, manager, manual, booker,
                                                                               day, monkeypatch):
    from booking.reservations import manage
    monkeypatch.setattr(manage, "INBOX_PAGE", 2)  # the real page holds 100; the rule is the same
    made = [book(booker, manual, at(day, hour), at(day, hour + 1), title=f"Request {hour}") for hour in range(9, 14)]
    for reservation in made[:4]:
        overdue(reservation, hours=10 - made.index(reservation))
    auth.login(manager)

    first = text(client.get("/reservations/inbox"))
    last = text(client.get("/reservations/inbox?page=3"))

    assert "5 requests, the nearest deadline first." in first and "4 are overdue." in first
    assert first.count("/decide") == 2 and last.count("/decide") == 1 and "Request 13" in last
