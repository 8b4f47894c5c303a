"""The feed pages (create, list, revoke, renew, admin list), the subscribe buttons on other pages,
and a reservation's own .ics."""
from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from booking.calendars.models import CalendarFeed
from booking.extensions import db
from tests.fixtures.calendars import days_from_now


@pytest.fixture
def hall(create_facility, manager):
    return create_facility("Riverside Hall", slug="riverside-hall", department=manager.departments[0],
                           address="Rantatie 1")


def feed_url(page: str) -> str:
    return re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page).group(1)


def test_a_member_creates_a_feed_sees_its_address_once_and_revokes_it(client, auth, booker, hall,
                                                                       make_reservation):
    make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker, title="Planning day")
    auth.login(booker)

    page = client.get("/calendars").get_data(as_text=True)
    assert f'value="user:{booker.id}"' in page and f'value="organisation:{booker.organisations[0].id}"' in page

    response = client.post("/calendars", data={"follow": f"user:{booker.id}"})
    assert response.status_code == 200
    created = response.get_data(as_text=True)
    url = feed_url(created)
    assert url.startswith("http://localhost/calendars/") and url.endswith(".ics")
    assert f'href="webcal://{url.split("://")[1]}"' in created
    assert "js/calendars.js" in created and "<script>" not in created  # no inline script

    feed_path = url.removeprefix("http://localhost")
    assert "Planning day" in client.get(feed_path).get_data(as_text=True)
    listing = client.get("/calendars").get_data(as_text=True)
    assert "My reservations: Bea Booker" in listing and url not in listing  # shown once only

    feed = db.session.scalar(select(CalendarFeed))
    response = client.post(f"/calendars/{feed.id}/revoke")
    assert response.status_code == 302
    assert client.get(feed_path).status_code == 404
    assert "Revoked" in client.get("/calendars").get_data(as_text=True)


def test_a_new_address_replaces_the_old_one(client, auth, booker):
    auth.login(booker)
    old = feed_url(client.post("/calendars", data={"follow": "user:"}).get_data(as_text=True))
    feed = db.session.scalar(select(CalendarFeed))

    new = feed_url(client.post(f"/calendars/{feed.id}/regenerate").get_data(as_text=True))

    assert new != old
    assert client.get(old.removeprefix("http://localhost")).status_code == 404
    assert client.get(new.removeprefix("http://localhost")).status_code == 200


def test_following_what_one_may_not_is_refused_with_a_message(client, auth, booker, create_user):
    outsider = create_user()
    auth.login(outsider)

    response = client.post("/calendars", data={"follow": f"organisation:{booker.organisations[0].id}"},
                           follow_redirects=True)
    assert "There is nothing of that kind with this id that you may follow." in response.get_data(as_text=True)
    response = client.post("/calendars", data={"follow": "nonsense"}, follow_redirects=True)
    assert "There is no calendar of that kind" in response.get_data(as_text=True)
    assert db.session.scalar(select(CalendarFeed)) is None


def test_someone_else_s_feed_cannot_be_touched(client, auth, booker, create_user, make_feed):
    feed, _ = make_feed(booker, "user")
    auth.login(create_user())

    assert client.post(f"/calendars/{feed.id}/revoke").status_code == 404
    assert client.post(f"/calendars/{feed.id}/regenerate").status_code == 404
    assert client.post("/calendars/99999999999/revoke").status_code == 404


def test_admins_list_and_revoke_every_feed_but_cannot_take_its_address(client, auth, admin, booker, make_feed):
    feed, token = make_feed(booker, "user")
    auth.login(admin)

    page = client.get("/calendars/all").get_data(as_text=True)
    assert booker.email in page and "My reservations: Bea Booker" in page
    refused = client.post(f"/calendars/{feed.id}/regenerate", follow_redirects=True)
    assert "Only the feed&#39;s owner can make a new address for it." in refused.get_data(as_text=True)
    client.post(f"/calendars/{feed.id}/revoke", data={"next": "/calendars/all"})
    assert client.get(f"/calendars/{token}.ics").status_code == 404


def test_only_admins_see_every_feed(client, auth, booker):
    auth.login(booker)
    assert client.get("/calendars/all").status_code == 403
    assert "Every user&#39;s feeds" not in client.get("/calendars").get_data(as_text=True)


def test_pages_offer_a_subscription(client, auth, booker, manager, hall):
    assert "Log in to subscribe" in client.get("/facilities/riverside-hall").get_data(as_text=True)
    auth.login(booker)
    for path, value in (("/profile", f"user:{booker.id}"), ("/facilities/riverside-hall", f"facility:{hall.id}"),
                        ("/reservations/organisation", f"organisation:{booker.organisations[0].id}")):
        page = client.get(path).get_data(as_text=True)
        assert f'name="follow" value="{value}"' in page, path
    auth.logout()
    auth.login(manager)
    page = client.get("/reservations/inbox").get_data(as_text=True)
    assert 'value="manager:"' in page and f'value="manager:{manager.departments[0].id}"' in page


def test_subscribing_from_the_facility_page(client, auth, booker, hall):
    auth.login(booker)
    response = client.post("/calendars", data={"follow": f"facility:{hall.id}",
                                               "next": "/facilities/riverside-hall"})
    assert "Riverside Hall: busy times" in response.get_data(as_text=True)


# --- a reservation's own file -------------------------------------------------------------------

def test_a_reservation_s_file_is_correct_icalendar(client, auth, booker, hall, make_reservation):
    pending = make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker,
                               status="pending", sequence=4)
    auth.login(booker)

    response = client.get(f"/reservations/{pending.id}.ics")

    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.data)
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
    [event] = calendar.walk("VEVENT")
    assert str(event["status"]) == "TENTATIVE" and event.decoded("sequence") == 4
    assert str(event["uid"]) == f"reservation-{pending.id}@127.0.0.1"


def test_a_series_file_lists_the_occurrences_still_on(client, auth, booker, hall, dst_series):
    made = dst_series(hall, booker)
    auth.login(booker)

    calendar = icalendar.Calendar.from_ical(client.get(f"/reservations/{made.reservations[0].id}.ics").data)

    still_on = [r for r in made.reservations if r.status.value != "cancelled"]
    assert [str(e["uid"]) for e in calendar.walk("VEVENT")] == [f"reservation-{r.id}@127.0.0.1" for r in still_on]


def test_a_reservation_s_file_is_for_those_who_may_see_it(client, auth, booker, hall, create_user,
                                                          make_reservation):
    reservation = make_reservation(hall, days_from_now(7), days_from_now(7) + timedelta(hours=2), user=booker)
    assert client.get(f"/reservations/{reservation.id}.ics").status_code == 302  # log in first
    auth.login(create_user())
    assert client.get(f"/reservations/{reservation.id}.ics").status_code == 404
    assert client.get("/reservations/99999999999999.ics").status_code == 404
