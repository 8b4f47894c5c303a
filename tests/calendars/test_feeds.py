"""Feeds with a real database: what each kind shows, tokens that stop working, HTTP caching."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from booking.accounts.models import Membership, Role
from booking.audit.models import AuditEvent
from booking.calendars import rules
from booking.calendars.models import CalendarFeed
from booking.extensions import db
from booking.facilities.models import FacilityStatus
from booking.reservations.models import HoldEnd, ReservationKind, ReservationStatus
from tests.fixtures.calendars import days_from_now

S = ReservationStatus


@pytest.fixture
def hall(create_facility, manager):
    return create_facility("Riverside Hall", slug="riverside-hall", department=manager.departments[0],
                           address="Rantatie 1", latitude=60.1699, longitude=24.9384)


@pytest.fixture
def colleague(create_user, booker):
    """Another member of the booker's organisation."""
    return create_user(name="Cai Colleague", organisation=booker.organisations[0])


def fetch(client, token, **headers):
    return client.get(f"/calendars/{token}.ics", headers=headers)


def events_of(response) -> dict[str, icalendar.Event]:
    assert response.status_code == 200, response.status_code
    return {str(e["uid"]): e for e in icalendar.Calendar.from_ical(response.data).walk("VEVENT")}


def uid(reservation, prefix="reservation"):
    return f"{prefix}-{reservation.id}@127.0.0.1"


# --- what each kind shows -------------------------------------------------------------------

def test_a_user_feed_has_what_they_booked_in_full(client, hall, booker, colleague, make_reservation, make_feed):
    mine = make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker,
                            title="Board meeting", attendees=12, sequence=2)
    make_reservation(hall, days_from_now(8), days_from_now(8) + timedelta(hours=1), user=colleague)
    _, token = make_feed(booker, "user")

    response = fetch(client, token)

    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_of(response)
    assert list(events) == [uid(mine)]
    event = events[uid(mine)]
    assert event.decoded("dtstart") == mine.start_dt and event.decoded("dtend") == mine.end_dt
    assert str(event["summary"]) == "Board meeting – Riverside Hall"
    assert str(event["location"]) == "Riverside Hall, Rantatie 1"
    assert (event["geo"].latitude, event["geo"].longitude) == (60.1699, 24.9384)
    assert str(event["status"]) == "CONFIRMED" and event.decoded("sequence") == 2
    assert str(event["url"]) == f"http://localhost/reservations/{mine.id}"
    assert event.decoded("last-modified") == mine.updated_dt.replace(microsecond=0)
    description = str(event["description"])
    assert "Status: confirmed" in description and "Booked by: Bea Booker" in description
    assert "Expected attendees: 12" in description
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["x-wr-calname"]) == "Bea Booker: reservations"
    assert str(calendar["method"]) == "PUBLISH"


def test_an_organisation_feed_has_every_member_s_reservations(client, hall, booker, colleague, create_user,
                                                              make_reservation, make_feed):
    mine = make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker)
    theirs = make_reservation(hall, days_from_now(8), days_from_now(8) + timedelta(hours=2), user=colleague)
    outsider = create_user()
    make_reservation(hall, days_from_now(9), days_from_now(9) + timedelta(hours=2), user=outsider)
    _, token = make_feed(booker, "organisation", booker.organisations[0].id)

    events = events_of(fetch(client, token))

    assert sorted(events) == sorted([uid(mine), uid(theirs)])
    assert f"Organisation: {booker.organisations[0].name}" in str(events[uid(theirs)]["description"])


def test_a_facility_feed_shows_busy_time_and_nothing_personal(client, hall, booker, create_user, make_reservation,
                                                              make_feed):
    booked = make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker,
                              title="Secret product launch", buffer_minutes=30, status="pending")
    visitor = create_user(name="Vic Visitor")
    _, token = make_feed(visitor, "facility", hall.id)

    response = fetch(client, token)

    events = events_of(response)
    event = events[uid(booked, "busy")]
    assert str(event["summary"]) == "Reserved" and str(event["status"]) == "TENTATIVE"
    assert event.decoded("dtstart") == booked.start_dt - timedelta(minutes=30)  # the time it blocks
    assert event.decoded("dtend") == booked.end_dt + timedelta(minutes=30)
    assert str(event["url"]) == "http://localhost/facilities/riverside-hall"
    text = response.get_data(as_text=True)
    for private in ("Secret product launch", "Bea Booker", booker.organisations[0].name, "reservation-",
                    "/reservations/", "DESCRIPTION"):
        assert private not in text
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_a_manager_feed_has_the_requests_and_reservations_of_their_facilities(
        client, hall, booker, manager, create_facility, create_department, make_reservation, make_feed):
    other_department = create_department("Libraries")
    library = create_facility("Main Library", department=other_department)
    pending = make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker,
                               status="pending")
    confirmed = make_reservation(hall, days_from_now(8), days_from_now(8) + timedelta(hours=2), user=booker)
    block = make_reservation(hall, days_from_now(9), days_from_now(9) + timedelta(hours=2), user=manager,
                             kind=ReservationKind.internal_block, title="Floor polishing")
    make_reservation(library, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker)
    _, every = make_feed(manager, "manager")
    _, parks = make_feed(manager, "manager", manager.departments[0].id)

    for token in (every, parks):
        events = events_of(fetch(client, token))
        assert sorted(events) == sorted([uid(pending), uid(confirmed), uid(block)])
    events = events_of(fetch(client, every))
    assert str(events[uid(pending)]["status"]) == "TENTATIVE"
    assert "Internal block" in str(events[uid(block)]["description"])


def test_ended_reservations_stay_as_cancelled_for_a_while_and_holds_never_show(
        client, hall, booker, make_reservation, make_feed):
    start = days_from_now(7)
    cancelled = make_reservation(hall, start, start + timedelta(hours=1), user=booker, status="cancelled")
    declined = make_reservation(hall, start + timedelta(hours=2), start + timedelta(hours=3), user=booker,
                                status="rejected")
    long_ago = make_reservation(hall, start + timedelta(hours=4), start + timedelta(hours=5), user=booker,
                                status="cancelled")
    make_reservation(hall, start + timedelta(hours=6), start + timedelta(hours=7), user=booker, status="held")
    make_reservation(hall, start + timedelta(hours=8), start + timedelta(hours=9), user=booker, status="cancelled",
                     hold_end=HoldEnd.expired)
    db.session.execute(db.update(type(long_ago)).where(type(long_ago).id == long_ago.id)
                       .values(updated_dt=long_ago.updated_dt - rules.CANCELLED_KEPT - timedelta(hours=1)))
    db.session.commit()
    _, token = make_feed(booker, "user")

    events = events_of(fetch(client, token))

    assert sorted(events) == sorted([uid(cancelled), uid(declined)])
    assert {str(e["status"]) for e in events.values()} == {"CANCELLED"}
    assert {str(e["transp"]) for e in events.values()} == {"TRANSPARENT"}


def test_a_feed_covers_90_days_back_to_18_months_ahead(client, hall, booker, make_reservation, make_feed):
    inside = [make_reservation(hall, days_from_now(d), days_from_now(d) + timedelta(hours=1), user=booker,
                               status=status) for d, status in ((-89, "completed"), (0, "confirmed"), (540, "confirmed"))]
    for d in (-92, 560):
        make_reservation(hall, days_from_now(d), days_from_now(d) + timedelta(hours=1), user=booker)
    _, token = make_feed(booker, "user")

    assert sorted(events_of(fetch(client, token))) == sorted(uid(r) for r in inside)


def test_a_feed_has_at_most_max_events(client, hall, booker, make_reservation, make_feed, monkeypatch):
    made = [make_reservation(hall, days_from_now(d), days_from_now(d) + timedelta(hours=1), user=booker)
            for d in range(1, 6)]
    monkeypatch.setattr(rules, "MAX_EVENTS", 3)
    _, token = make_feed(booker, "user")

    assert sorted(events_of(fetch(client, token))) == sorted(uid(r) for r in made[:3])  # the nearest ones


# --- tokens that stop working ---------------------------------------------------------------

def test_only_a_hash_of_the_token_is_stored(hall, booker, make_feed):
    feed, token = make_feed(booker, "user")
    stored = db.session.scalars(select(CalendarFeed.token_hash)).all()
    assert stored == [rules.token_hash(token)] and token not in stored
    assert len(token) >= 22  # at least 128 bits in base64


@pytest.mark.parametrize("token", ["nope", "A" * 43, "%2e%2e%2fetc", "a" * 200])
def test_an_unknown_or_malformed_token_is_404(client, token):
    assert fetch(client, token).status_code == 404


def test_a_revoked_feed_answers_404_at_once(client, booker, make_feed):
    from booking.calendars import services
    feed, token = make_feed(booker, "user")
    assert fetch(client, token).status_code == 200

    services.revoke_feed(booker, feed)
    db.session.commit()

    assert fetch(client, token).status_code == 404


def test_a_new_address_stops_the_old_one(client, booker, make_feed):
    from booking.calendars import services
    feed, old = make_feed(booker, "user")
    new = services.regenerate_feed(booker, feed)
    db.session.commit()

    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200


def test_leaving_the_organisation_stops_its_feed(client, booker, colleague, make_feed):
    _, token = make_feed(colleague, "organisation", booker.organisations[0].id)
    assert fetch(client, token).status_code == 200

    db.session.execute(db.delete(Membership).where(Membership.user_id == colleague.id))
    db.session.commit()

    assert fetch(client, token).status_code == 404


def test_a_manager_who_no_longer_manages_the_department_loses_its_feeds(client, manager, make_feed):
    _, department_feed = make_feed(manager, "manager", manager.departments[0].id)
    _, every = make_feed(manager, "manager")

    manager.departments.clear()
    manager.role = Role.member
    db.session.commit()

    assert fetch(client, department_feed).status_code == 404
    assert fetch(client, every).status_code == 404


def test_a_feed_of_a_facility_that_is_no_longer_public_stops(client, hall, booker, make_feed):
    _, token = make_feed(booker, "facility", hall.id)
    hall.status = FacilityStatus.archived
    db.session.commit()

    assert fetch(client, token).status_code == 404


def test_a_deactivated_owner_s_feeds_stop(client, booker, make_feed):
    _, token = make_feed(booker, "user")
    booker.active = False
    db.session.commit()

    assert fetch(client, token).status_code == 404


# --- HTTP ------------------------------------------------------------------------------------

def test_conditional_get_answers_304_until_the_feed_changes(client, hall, booker, make_reservation, make_feed):
    reservation = make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=1), user=booker)
    _, token = make_feed(booker, "user")

    first = fetch(client, token)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert fetch(client, token, **{"If-None-Match": etag}).status_code == 304
    assert fetch(client, token, **{"If-Modified-Since": last_modified}).status_code == 304
    assert fetch(client, token).headers["ETag"] == etag  # the same bytes every time

    reservation.title = "Renamed"
    reservation.sequence += 1
    db.session.commit()

    changed = fetch(client, token, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Renamed" in changed.get_data(as_text=True)


def test_a_client_with_the_current_content_gets_a_304_without_the_feed_being_made(
        client, hall, booker, make_reservation, make_feed, monkeypatch):
    from booking.calendars import feeds
    make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=1), user=booker)
    _, token = make_feed(booker, "user")
    etag = fetch(client, token).headers["ETag"]

    def not_again(*args, **kwargs):
        raise AssertionError("the feed was made again")

    monkeypatch.setattr(feeds, "feed_events", not_again)
    answer = fetch(client, token, **{"If-None-Match": etag})
    assert answer.status_code == 304 and answer.headers["ETag"] == etag
    assert answer.headers["Cache-Control"] == "private, no-cache"


def test_a_renamed_facility_changes_the_feed(client, hall, booker, make_reservation, make_feed):
    make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=1), user=booker)
    _, token = make_feed(booker, "facility", hall.id)
    etag = fetch(client, token).headers["ETag"]

    hall.name = "Riverside Hall (renovated)"
    db.session.commit()

    answer = fetch(client, token, **{"If-None-Match": etag})
    assert answer.status_code == 200 and "Riverside Hall (renovated)" in answer.get_data(as_text=True)


def test_the_last_fetch_is_noted_at_most_hourly(client, booker, make_feed):
    feed, token = make_feed(booker, "user")
    fetch(client, token)
    db.session.refresh(feed)
    first = feed.last_fetched_dt
    assert first is not None

    fetch(client, token)
    db.session.refresh(feed)
    assert feed.last_fetched_dt == first


# --- creating feeds --------------------------------------------------------------------------

def test_no_one_follows_what_they_may_not_see(app, hall, booker, create_user, create_facility, manager, english):
    from booking.calendars import services
    from booking.errors import NotFound, RuleViolation
    outsider = create_user()
    draft = create_facility("Draft Room", status=FacilityStatus.draft, department=manager.departments[0])

    for kind, target in (("organisation", booker.organisations[0].id), ("user", booker.id), ("facility", draft.id),
                         ("manager", manager.departments[0].id), ("manager", None), ("facility", 999),
                         ("agreement", 1)):
        with pytest.raises(NotFound) as refused:
            services.create_feed(outsider, kind, target)
        assert refused.value.codes == ["calendars.target_not_found"], (kind, target)
    with pytest.raises(RuleViolation) as refused:
        services.create_feed(outsider, "facility")
    assert refused.value.codes == ["calendars.target_required"]
    assert services.create_feed(manager, "facility", draft.id)  # its managers see a draft


def test_one_person_has_a_bounded_number_of_feeds(app, booker, make_feed, monkeypatch, english):
    from booking.calendars import services
    from booking.errors import RuleViolation
    monkeypatch.setattr(rules, "MAX_FEEDS_PER_USER", 2)
    make_feed(booker, "user")
    feed, _ = make_feed(booker, "user")
    with pytest.raises(RuleViolation):
        services.create_feed(booker, "user")
    services.revoke_feed(booker, feed)
    assert services.create_feed(booker, "user")


def test_making_revoking_and_renewing_feeds_is_audited(booker, make_feed, english):
    from booking.calendars import services
    feed, _ = make_feed(booker, "user")
    services.regenerate_feed(booker, feed)
    services.revoke_feed(booker, feed)
    db.session.commit()

    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "CalendarFeed")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["calendar_feed.created", "calendar_feed.regenerated", "calendar_feed.revoked"]
