"""Closures imported from an iCalendar file or URL, and imported again without duplicates."""
from __future__ import annotations

import html
import io
import threading
from datetime import date, datetime, timedelta, timezone
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler

import pytest
from flask_babel import force_locale

from booking.errors import RuleViolation
from booking.extensions import db
from booking.facilities import ical, importing, services
from booking.facilities.models import Closure, Facility
from booking.unit_of_work import unit_of_work
from tests.facilities.helpers import local, today

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


# --- events that cannot be read, runaway rules, caps ---------------------------------------

def day(offset: int) -> str:
    """A local date `offset` days from today, as iCalendar writes it (repeats expand from today)."""
    return (today() + timedelta(days=offset)).strftime("%Y%m%d")


def left_out(reading) -> dict[str, str]:
    return {p.uid: p.code for p in reading.problems}


def broken_events() -> tuple[str, ...]:
    return (
        event("notadate@city", "DTSTART:notadate", summary="Broken start"),
        event("badend@city", f"DTSTART:{day(6)}T100000Z", "DTEND:2026-13-45", summary="Broken end"),
        event("nofreq@city", f"DTSTART:{day(7)}T100000Z", f"DTEND:{day(7)}T110000Z", "No FREQ",
              extra=["RRULE:COUNT=3"]),
        event("nostart@city", f"DTEND:{day(7)}T110000Z", summary="No start"),
    )


def good_events() -> tuple[str, ...]:
    return (
        event("inventory@city", f"DTSTART;VALUE=DATE:{day(5)}", summary="Inventory"),
        # An all-day start with a UTC UNTIL breaks RFC 5545, but its meaning is plain: read it.
        event("works@city", f"DTSTART;VALUE=DATE:{day(8)}", summary="Works week",
              extra=[f"RRULE:FREQ=DAILY;UNTIL={day(10)}T000000Z"]),
    )


def test_events_that_cannot_be_read_are_left_out_and_the_rest_imported():
    reading = importing.read_calendar(calendar(*broken_events(), *good_events()), "Europe/Helsinki")
    assert left_out(reading) == {"notadate@city": "bad_start", "badend@city": "bad_end", "nofreq@city": "no_freq",
                                 "nostart@city": "no_start"}
    assert [uid.split("#")[0] for uid, *_rest in reading.closures] == ["inventory@city"] + ["works@city"] * 3
    assert [start for uid, start, *_rest in reading.closures if uid.startswith("works")] == [
        local(*(today() + timedelta(days=n)).timetuple()[:3]) for n in (8, 9, 10)]


def test_the_manager_is_told_which_events_were_left_out(client, auth, manager, facility):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures/import",
                           data={"file": (io.BytesIO(calendar(*broken_events(), *good_events())), "city.ics")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Calendar imported: 4 closures added, 0 updated, 0 removed, 0 unchanged." in page
    assert "Left out the event 'Broken start' (notadate@city): its start (DTSTART) is not a date or time." in page
    assert "Left out the event 'Broken end' (badend@city): its end (DTEND or DURATION) is not a date, time or " \
           "duration." in page
    assert "Left out the event 'No FREQ' (nofreq@city): its repeat rule (RRULE) has no FREQ." in page
    assert "Left out the event 'No start' (nostart@city): it has no start (DTSTART)." in page
    assert len(closures(facility)) == 4


def test_rdates_are_honoured():
    data = calendar(
        event("rdates@city", f"DTSTART:{day(3)}T080000Z", f"DTEND:{day(3)}T100000Z", "Audit",
              extra=["RRULE:FREQ=DAILY;COUNT=2", f"RDATE:{day(20)}T080000Z,{day(30)}T080000Z"]),
        event("only@city", f"DTSTART;VALUE=DATE:{day(40)}", summary="Stocktaking",
              extra=[f"RDATE;VALUE=DATE:{day(50)}"]),
    )
    reading = importing.read_calendar(data, "Europe/Helsinki")
    starts = [start for _uid, start, *_rest in reading.closures]
    first = datetime.combine(today(), datetime.min.time(), tzinfo=UTC)
    assert [(s - first).days for s in starts] == [3, 4, 20, 30, 39, 49]  # local midnight is the day before in UTC
    assert reading.problems == []


def test_an_event_without_a_summary_closes_as_closed(facility):
    bare = "\r\n".join(["BEGIN:VEVENT", "UID:bare@city", f"DTSTART;VALUE=DATE:{day(2)}", "RRULE:FREQ=DAILY;COUNT=2",
                        "END:VEVENT"])
    assert importing.import_closures(facility, calendar(bare), source="bare.ics")["added"] == 2
    assert {reason for _start, _end, reason in closures(facility).values()} == {"Closed"}


def test_each_occurrence_keeps_its_uid_so_importing_again_updates_it(facility):
    series = event("cleaning@city", f"DTSTART:{day(1)}T060000Z", f"DTEND:{day(1)}T080000Z", "Cleaning",
                   extra=["RRULE:FREQ=WEEKLY;COUNT=4"])
    assert importing.import_closures(facility, calendar(series), source="c.ics")["added"] == 4
    db.session.commit()
    assert importing.import_closures(facility, calendar(series), source="c.ics")["unchanged"] == 4
    moved = event("cleaning@city", f"DTSTART:{day(9)}T120000Z", f"DTEND:{day(9)}T130000Z", "Cleaning (moved)",
                  extra=[f"RECURRENCE-ID:{day(8)}T060000Z"])
    counts = importing.import_closures(facility, calendar(series, moved), source="c.ics")
    db.session.commit()
    assert counts == {"added": 0, "updated": 1, "removed": 0, "unchanged": 3}
    assert sorted(closures(facility)) == sorted(
        f"cleaning@city#{today() + timedelta(days=n)}T06:00:00+00:00" for n in (1, 8, 15, 22))
    skipped = event("cleaning@city", f"DTSTART:{day(1)}T060000Z", f"DTEND:{day(1)}T080000Z", "Cleaning",
                    extra=["RRULE:FREQ=WEEKLY;COUNT=4", f"EXDATE:{day(15)}T060000Z"])
    counts = importing.import_closures(facility, calendar(skipped, moved), source="c.ics")
    assert counts == {"added": 0, "updated": 0, "removed": 1, "unchanged": 3}


def test_an_event_that_breaks_later_keeps_its_closures(facility):
    series = event("cleaning@city", f"DTSTART:{day(1)}T060000Z", f"DTEND:{day(1)}T080000Z", "Cleaning",
                   extra=["RRULE:FREQ=WEEKLY;COUNT=3"])
    importing.import_closures(facility, calendar(series, good_events()[0]), source="c.ics")
    db.session.commit()
    broken = event("cleaning@city", f"DTSTART:{day(1)}T060000Z", f"DTEND:{day(1)}T080000Z", "Cleaning",
                   extra=["RRULE:COUNT=3"])
    counts = importing.import_closures(facility, calendar(broken), source="c.ics")
    db.session.commit()
    assert counts == {"added": 0, "updated": 0, "removed": 1, "unchanged": 0}  # only the vanished inventory
    assert len(closures(facility)) == 3


def test_runaway_rules_are_stopped_and_reported(monkeypatch):
    """Every second for a year (31 million occurrences), a position that never comes (dateutil
    searches to the year 9999) and a zero interval (dateutil loops forever): each is one event left
    out, in bounded time and memory, and the rest of the calendar is read."""
    monkeypatch.setattr(ical, "EVENT_SECONDS", 1.0)
    data = calendar(
        event("seconds@city", f"DTSTART:{day(1)}T100000Z", f"DTEND:{day(1)}T100001Z", extra=["RRULE:FREQ=SECONDLY"]),
        event("never@city", f"DTSTART:{day(1)}T100000Z", extra=["RRULE:FREQ=DAILY;COUNT=2;BYSETPOS=5"]),
        event("zero@city", f"DTSTART:{day(1)}T100000Z", extra=["RRULE:FREQ=DAILY;INTERVAL=0"]),
        event("impossible@city", f"DTSTART;VALUE=DATE:{day(1)}", extra=["RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"]),
        *good_events())
    reading = importing.read_calendar(data, "Europe/Helsinki")
    problems = left_out(reading)
    assert problems.pop("seconds@city") in ("too_many", "too_slow")
    assert problems == {"never@city": "too_slow", "zero@city": "bad_rule", "impossible@city": "too_slow"}
    assert len(reading.closures) == 4


def test_too_many_closures_refuse_the_calendar_and_keep_the_existing_ones(client, auth, manager, facility,
                                                                          monkeypatch):
    monkeypatch.setattr(ical, "MAX_CLOSURES", 5)
    importing.import_closures(facility, WINTER, source="winter.ics")
    db.session.commit()
    daily = event("daily@city", f"DTSTART;VALUE=DATE:{day(1)}", summary="Daily", extra=["RRULE:FREQ=DAILY"])
    reading = importing.read_calendar(calendar(daily, *good_events()), "Europe/Helsinki")
    assert left_out(reading) == {"daily@city": "too_many"}  # one series past the cap: that event is left out
    singles = calendar(*(event(f"s{n}@city", f"DTSTART;VALUE=DATE:{day(n)}") for n in range(1, 7)))
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures/import",
                           data={"file": (io.BytesIO(singles), "many.ics")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The calendar has more than 5 closures in the coming year; nothing was imported." in html.unescape(
        response.get_data(as_text=True))
    assert sorted(closures(facility)) == ["floating@city", "utc@city", "works@city", "xmas@city"]


def test_a_calendar_past_the_size_cap_is_refused(client, auth, manager, facility, local_server):
    importing.import_closures(facility, WINTER, source="winter.ics")
    db.session.commit()
    auth.login(manager)
    too_big = WINTER + b" " * (ical.MAX_BYTES - len(WINTER) + 1)
    response = client.post(f"/manage/{facility.id}/closures/import",
                           data={"file": (io.BytesIO(too_big), "big.ics")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "The calendar is larger than 2 MB." in response.get_data(as_text=True)
    url = local_server.endless("/big.ics", b"BEGIN:VEVENT\r\n" * 4096)
    response = client.post(f"/manage/{facility.id}/closures/import", data={"url": url})
    assert response.status_code == 422 and "The calendar is larger than 2 MB." in response.get_data(as_text=True)
    assert len(closures(facility)) == 4


def test_a_failed_import_keeps_the_existing_closures(client, auth, manager, facility):
    auth.login(manager)
    client.post(f"/manage/{facility.id}/closures/import", data={"file": (io.BytesIO(WINTER), "winter.ics")},
                content_type="multipart/form-data")
    before = closures(facility)
    response = client.post(f"/manage/{facility.id}/closures/import",
                           data={"file": (io.BytesIO(b"BEGIN:VCALENDAR\r\nnonsense"), "x.ics")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert closures(facility) == before and len(before) == 4


# --- fetching the calendar -----------------------------------------------------------------

def test_what_the_server_sent_is_never_shown(client, auth, manager, facility, local_server):
    auth.login(manager)
    url = local_server.add("/page", b"SECRET-FIRST-LINE of an internal page\r\nmore\r\n")
    page = client.post(f"/manage/{facility.id}/closures/import", data={"url": url}).get_data(as_text=True)
    assert "This is not an iCalendar (.ics) file." in page and "SECRET" not in page
    url = local_server.add("/error", b"SECRET-BODY", status=500, headers={"X-Secret": "SECRET-HEADER"})
    page = client.post(f"/manage/{facility.id}/closures/import", data={"url": url}).get_data(as_text=True)
    assert "The calendar server answered 500 Internal Server Error." in page and "SECRET" not in page


def test_addresses_off_the_public_internet_are_refused_by_default(app, client, auth, manager, facility,
                                                                  local_server):
    app.config["FETCH_ALLOW_PRIVATE"] = False
    auth.login(manager)
    for url in (local_server.add("/winter.ics", WINTER), "http://10.1.2.3/c.ics", "http://169.254.169.254/",
                f"http://[::1]:{local_server.port}/winter.ics"):
        response = client.post(f"/manage/{facility.id}/closures/import", data={"url": url})
        assert response.status_code == 422
        assert "The calendar could not be fetched: the address is not on the public internet." in \
               response.get_data(as_text=True)
    assert local_server.requests == [] and closures(facility) == {}


def test_the_calendar_is_fetched_and_read_before_the_unit_of_work(client, auth, manager, facility, calendar_server,
                                                                  in_unit_of_work):
    steps = in_unit_of_work(importing, "fetch_calendar", "read_calendar", "apply_calendar")
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/closures/import", data={"url": f"{calendar_server}/winter.ics"})
    assert response.status_code == 302
    assert steps == [("fetch_calendar", False), ("read_calendar", False), ("apply_calendar", True)]


def test_a_slow_calendar_server_does_not_hold_up_another_write(app, client, auth, manager, facility,
                                                              create_facility, local_server):
    """SQLite takes its write lock for the unit of work only, so while the import waits for the
    calendar, another user's write goes through (before, the import's later write then failed)."""
    asked, answer = threading.Event(), threading.Event()

    def slow(handler):
        asked.set()
        answer.wait(60)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(WINTER)))
        handler.end_headers()
        handler.wfile.write(WINTER)

    url = local_server.add("/slow.ics", slow)
    other_id = create_facility("Harbour Shed", department=manager.departments[0]).id
    page = f"/manage/{facility.id}/closures/import"
    auth.login(manager)
    db.session.commit()  # this thread holds no transaction while the others work
    done = {}

    def import_it():
        done["import"] = client.post(page, data={"url": url})

    def write():
        with app.app_context(), force_locale("en"):
            with unit_of_work():
                services.add_closure(db.session.get(Facility, other_id), start_date=date(2031, 1, 1), reason="Painting")
            done["write"] = True

    importer = threading.Thread(target=import_it)
    importer.start()
    try:
        assert asked.wait(60)
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(60)
        assert done.get("write") and importer.is_alive()  # written while the import was still waiting
    finally:
        answer.set()
        importer.join(60)
    assert done["import"].status_code == 302
    assert len(closures(facility)) == 4
