"""Closures imported from an iCalendar file or URL, and imported again without duplicates."""
from __future__ import annotations

import io
import threading
from datetime import date, datetime, timezone
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler

import pytest

from booking.errors import RuleViolation
from booking.extensions import db
from booking.facilities import importing
from booking.facilities.models import Closure

pytestmark = pytest.mark.usefixtures("english")
UTC = timezone.utc


@pytest.fixture
def app_config(app_config):
    """These tests serve calendars from this machine: let fetches reach it (off in production)."""
    return {**app_config, "FETCH_ALLOW_PRIVATE": True}


def calendar(*events: str) -> bytes:
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *events, "END:VCALENDAR"])
    return (body + "\r\n").encode()


def event(uid, start, end=None, summary="Closed", extra=()):
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z", start]
    if end:
        lines.append(end)
    return "\r\n".join([*lines, f"SUMMARY:{summary}", *extra, "END:VEVENT"])


WINTER = calendar(
    event("xmas@city", "DTSTART;VALUE=DATE:20251224", "DTEND;VALUE=DATE:20251227", "Christmas"),
    event("works@city", "DTSTART;TZID=Europe/Helsinki:20250310T120000", "DTEND;TZID=Europe/Helsinki:20250310T150000",
          "Pipe works"),
    event("utc@city", "DTSTART:20250401T060000Z", "DTEND:20250401T080000Z", "Inspection"),
    event("floating@city", "DTSTART:20250402T100000", "DURATION:PT2H", "Floating time"),
    event("gone@city", "DTSTART;VALUE=DATE:20250601", summary="Cancelled party", extra=["STATUS:CANCELLED"]),
)


def closures(facility) -> dict[str, tuple]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(Closure).where(Closure.facility_id == facility.id))
    return {c.external_uid: (c.start_dt, c.end_dt, c.reason) for c in rows}


def test_events_become_closures_in_local_time(facility):
    counts = importing.import_closures(facility, WINTER, source="winter.ics")
    db.session.commit()
    assert counts == {"added": 4, "updated": 0, "removed": 0, "unchanged": 0}
    assert closures(facility) == {
        # All-day events close whole local days; DTEND is the first day open again.
        "xmas@city": (datetime(2025, 12, 23, 22, tzinfo=UTC), datetime(2025, 12, 26, 22, tzinfo=UTC), "Christmas"),
        "works@city": (datetime(2025, 3, 10, 10, tzinfo=UTC), datetime(2025, 3, 10, 13, tzinfo=UTC), "Pipe works"),
        "utc@city": (datetime(2025, 4, 1, 6, tzinfo=UTC), datetime(2025, 4, 1, 8, tzinfo=UTC), "Inspection"),
        # A time without a zone is the facility's local time (summer time: UTC+3).
        "floating@city": (datetime(2025, 4, 2, 7, tzinfo=UTC), datetime(2025, 4, 2, 9, tzinfo=UTC), "Floating time"),
    }


def test_reimport_updates_by_uid_and_removes_vanished_events(facility):
    importing.import_closures(facility, WINTER, source="winter.ics")
    db.session.commit()
    again = importing.import_closures(facility, WINTER, source="winter.ics")
    assert again == {"added": 0, "updated": 0, "removed": 0, "unchanged": 4}
    changed = calendar(
        event("xmas@city", "DTSTART;VALUE=DATE:20251224", "DTEND;VALUE=DATE:20251228", "Christmas and more"),
        event("utc@city", "DTSTART:20250401T060000Z", "DTEND:20250401T080000Z", "Inspection"),
        event("new@city", "DTSTART;VALUE=DATE:20250704", summary="Summer break"),
    )
    counts = importing.import_closures(facility, changed, source="winter.ics")
    db.session.commit()
    assert counts == {"added": 1, "updated": 1, "removed": 2, "unchanged": 1}
    found = closures(facility)
    assert sorted(found) == ["new@city", "utc@city", "xmas@city"]
    assert found["xmas@city"][1:] == (datetime(2025, 12, 27, 22, tzinfo=UTC), "Christmas and more")
    assert found["new@city"][:2] == (datetime(2025, 7, 3, 21, tzinfo=UTC), datetime(2025, 7, 4, 21, tzinfo=UTC))


def test_closures_entered_by_hand_survive_a_reimport(facility):
    from booking.facilities import services

    services.add_closure(facility, start_date=date(2025, 5, 5), reason="Painting")
    importing.import_closures(facility, WINTER, source="winter.ics")
    importing.import_closures(facility, calendar(), source="winter.ics")
    db.session.commit()
    assert list(closures(facility).values())[0][2] == "Painting"
    assert len(closures(facility)) == 1


def test_recurring_events_are_expanded_with_exceptions():
    data = calendar(
        event("weekly@city", "DTSTART;TZID=Europe/Helsinki:20250106T080000",
              "DTEND;TZID=Europe/Helsinki:20250106T100000", "Cleaning",
              extra=["RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE;TZID=Europe/Helsinki:20250113T080000"]),
        event("weekly@city", "DTSTART;TZID=Europe/Helsinki:20250121T080000",
              "DTEND;TZID=Europe/Helsinki:20250121T090000", "Cleaning (moved)",
              extra=["RECURRENCE-ID;TZID=Europe/Helsinki:20250120T080000"]),
        event("weekly@city", "DTSTART;TZID=Europe/Helsinki:20250127T080000", summary="x",
              extra=["RECURRENCE-ID;TZID=Europe/Helsinki:20250127T080000", "STATUS:CANCELLED"]),
        event("yearly@city", "DTSTART;VALUE=DATE:20241206", summary="Independence Day", extra=["RRULE:FREQ=YEARLY"]),
    )
    events = importing.closures_from_calendar(data, "Europe/Helsinki", today=date(2025, 1, 1))
    weekly = [(start, end, summary) for uid, start, end, summary in events if uid.startswith("weekly")]
    assert weekly == [
        (datetime(2025, 1, 6, 6, tzinfo=UTC), datetime(2025, 1, 6, 8, tzinfo=UTC), "Cleaning"),
        (datetime(2025, 1, 21, 6, tzinfo=UTC), datetime(2025, 1, 21, 7, tzinfo=UTC), "Cleaning (moved)"),
        (datetime(2025, 2, 3, 6, tzinfo=UTC), datetime(2025, 2, 3, 8, tzinfo=UTC), "Cleaning"),
    ]
    yearly = [start for uid, start, end, summary in events if uid.startswith("yearly")]
    # Expanded from today to a year ahead.
    assert yearly == [datetime(2025, 12, 5, 22, tzinfo=UTC)]
    assert len({uid for uid, *_rest in events}) == len(events)


def test_not_a_calendar_is_refused(facility):
    with pytest.raises(RuleViolation) as refused:
        importing.import_closures(facility, b"this is not a calendar", source="x.ics")
    assert refused.value.field_errors["file"][0].startswith("This is not an iCalendar (.ics) file")


# --- from a URL --------------------------------------------------------------------------

@pytest.fixture
def calendar_server(tmp_path):
    """A web server on 127.0.0.1 serving tmp_path (the sandbox has no internet)."""
    (tmp_path / "winter.ics").write_bytes(WINTER)
    server = HTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_fetch_calendar_from_a_url(calendar_server):
    assert importing.fetch_calendar(f"{calendar_server}/winter.ics") == WINTER
    with pytest.raises(RuleViolation) as refused:
        importing.fetch_calendar(f"{calendar_server}/missing.ics")
    # The standard phrase for the status, not the server's own words.
    assert refused.value.field_errors["url"] == ["The calendar server answered 404 Not Found."]
    with pytest.raises(RuleViolation) as refused:
        importing.fetch_calendar("file:///etc/passwd")
    assert refused.value.field_errors["url"] == ["The address must start with http:// or https://."]
    with pytest.raises(RuleViolation) as refused:
        importing.fetch_calendar("http://127.0.0.1:1/nothing.ics", timeout=2)
    assert refused.value.field_errors["url"][0].startswith("The calendar could not be fetched")


def test_manager_imports_from_a_url_and_a_file(client, auth, manager, facility, calendar_server):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures/import", data={"url": f"{calendar_server}/winter.ics"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Calendar imported: 4 closures added, 0 updated, 0 removed, 0 unchanged." in page
    page = client.get(f"/manage/{facility.id}/closures?all=1").get_data(as_text=True)  # the 2025 ones are past
    assert "Christmas" in page and "Imported calendar" in page
    response = client.post(f"/manage/{facility.id}/closures/import",
                           data={"file": (io.BytesIO(WINTER), "winter.ics")}, content_type="multipart/form-data",
                           follow_redirects=True)
    assert "0 closures added, 0 updated, 0 removed, 4 unchanged" in response.get_data(as_text=True)
    assert len(closures(facility)) == 4


def test_import_form_errors(client, auth, manager, facility, calendar_server):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures/import", data={})
    assert response.status_code == 422
    assert "Choose a file or give an address." in response.get_data(as_text=True)
    response = client.post(f"/manage/{facility.id}/closures/import", data={"url": f"{calendar_server}/nope.ics"})
    assert response.status_code == 422
    assert "The calendar server answered 404" in response.get_data(as_text=True)
    response = client.post(f"/manage/{facility.id}/closures/import",
                           data={"file": (io.BytesIO(b"garbage"), "x.ics")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This is not an iCalendar (.ics) file" in response.get_data(as_text=True)
    assert closures(facility) == {}
