"""Closures kept in sync with a stored calendar address: the refresh job, a failed refresh that keeps
everything, a private address refused, and the reservations a closure lands on."""
from __future__ import annotations

import html

import pytest

from booking import jobs
from booking.extensions import db
from booking.facilities import importing
from booking.facilities.models import Closure
from tests.fixtures.reservations import hours, local

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def app_config(app_config):
    """The calendars are served from this machine: let fetches reach it (off in production)."""
    return {**app_config, "FETCH_ALLOW_PRIVATE": True}


def calendar(*events: tuple[str, str, str]) -> bytes:
    """Whole-day events (uid, first day YYYYMMDD, summary) in 2030, the fixed reservation year."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN"]
    for uid, day, summary in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20300101T000000Z", f"DTSTART;VALUE=DATE:{day}",
                  f"SUMMARY:{summary}", "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def closures(facility) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(Closure).where(Closure.facility_id == facility.id))
    return {c.external_uid or "entered": c.reason for c in rows}


def refresh() -> dict:
    return jobs.run("refresh-closure-calendars")


def page_text(client, facility) -> str:
    return html.unescape(client.get(f"/manage/{facility.id}/closures").get_data(as_text=True))


def test_a_stored_calendar_is_kept_in_sync_and_a_failed_refresh_keeps_every_closure(client, auth, manager, facility,
                                                                                     local_server):
    url = local_server.add("/closed.ics", calendar(("a@city", "20300401", "Painting"), ("b@city", "20300501", "May")))
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures/sync", data={"url": url}, follow_redirects=True)
    assert "The closures are now kept in sync with the calendar." in response.get_data(as_text=True)
    assert closures(facility) == {"a@city": "Painting", "b@city": "May"}
    assert facility.closure_calendar_url == url and facility.closure_calendar_ok

    # The calendar changes: the job updates one, removes one, adds one; nothing is duplicated.
    local_server.add("/closed.ics", calendar(("a@city", "20300402", "Painting, again"), ("c@city", "20300601", "Jun")))
    assert refresh() == {"refreshed": 1, "failed": 0}
    assert closures(facility) == {"a@city": "Painting, again", "c@city": "Jun"}
    assert "Refreshed: 1 closures added, 1 updated, 1 removed, 0 unchanged." in page_text(client, facility)

    # The server fails, then sends something that is not a calendar: recorded, shown, nothing deleted.
    local_server.add("/closed.ics", b"SECRET internal error", status=500)
    assert refresh() == {"refreshed": 0, "failed": 1}
    assert closures(facility) == {"a@city": "Painting, again", "c@city": "Jun"}
    assert facility.closure_calendar_ok is False
    page = page_text(client, facility)
    assert "(failed)" in page and "SECRET" not in page
    assert ("The refresh failed: The calendar server answered 500 Internal Server Error. No closure was changed."
            in page)
    assert "the last refresh failed" in client.get(f"/manage/{facility.id}").get_data(as_text=True)
    local_server.add("/closed.ics", b"<html>not a calendar</html>")
    refresh()
    assert closures(facility) == {"a@city": "Painting, again", "c@city": "Jun"}
    assert "The refresh failed: This is not an iCalendar (.ics) file." in page_text(client, facility)

    # Refresh now, once the calendar is back; then stop syncing: the closures stay.
    local_server.add("/closed.ics", calendar(("c@city", "20300601", "Jun")))
    response = client.post(f"/manage/{facility.id}/closures/sync/refresh", follow_redirects=True)
    assert "0 closures added, 0 updated, 1 removed, 1 unchanged" in response.get_data(as_text=True)
    client.post(f"/manage/{facility.id}/closures/sync/stop")
    assert closures(facility) == {"c@city": "Jun"}
    assert facility.closure_calendar_url is None and refresh() == {"refreshed": 0, "failed": 0}


def test_a_private_address_is_refused_by_default_without_sending_anything(app, client, auth, manager, facility,
                                                                          local_server):
    app.config["FETCH_ALLOW_PRIVATE"] = False
    url = local_server.add("/closed.ics", calendar(("a@city", "20300401", "Painting")))
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures/sync", data={"url": url})
    assert response.status_code == 422
    assert "the address is not on the public internet" in response.get_data(as_text=True)
    assert facility.closure_calendar_url is None
    facility.closure_calendar_url = url  # stored while private addresses were allowed: the job refuses it too
    db.session.commit()
    assert refresh() == {"refreshed": 0, "failed": 1}
    assert local_server.requests == [] and closures(facility) == {}
    assert "the address is not on the public internet" in page_text(client, facility)


def test_the_job_fetches_and_reads_before_its_unit_of_work(facility, local_server, in_unit_of_work):
    facility.closure_calendar_url = local_server.add("/closed.ics", calendar(("a@city", "20300401", "Painting")))
    db.session.commit()
    steps = in_unit_of_work(importing, "fetch_calendar", "read_calendar", "apply_calendar")
    refresh()
    assert steps == [("fetch_calendar", False), ("read_calendar", False), ("apply_calendar", True)]


def test_the_reservations_a_closure_lands_on_are_listed_to_contact_or_cancel(client, auth, manager, facility,
                                                                             booker, reserve):
    hit = reserve(booker, facility, *hours(local(2030, 3, 6, 10), 2), title="Board meeting")
    reserve(booker, facility, *hours(local(2030, 3, 7, 10), 2), title="Choir practice")
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures",
                           data={"start_date": "2030-03-06", "reason": "Burst pipe"}, follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "The closures land on 1 active reservation" in page
    affected = page.split('id="affected"', 1)[1].split("</section>", 1)[0]
    assert "Burst pipe" in affected and "Board meeting" in affected and "Choir practice" not in affected
    assert f"/reservations/{hit.id}/cancel?next=" in affected and booker.email in affected
