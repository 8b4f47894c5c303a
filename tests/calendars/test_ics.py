"""The iCalendar writer on its own: escaping, folding, times, and that it says what the
icalendar library says when given the same events."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from booking.calendars.ics import (CalendarInfo, FeedEvent, escape_text, fold, icalendar_calendar, write_calendar,
                                   zoned)

UTC = timezone.utc
HELSINKI = ZoneInfo("Europe/Helsinki")
STAMP = datetime(2026, 11, 30, 12, tzinfo=UTC)


def event(number=1, start=None, **fields) -> FeedEvent:
    start = start or datetime(2027, 3, 21, 10, tzinfo=HELSINKI)
    values = dict(uid=f"reservation-{number}@infrashare.example", start=start, end=start + timedelta(hours=2),
                  tzid="Europe/Helsinki", summary="Board meeting – Riverside Hall", status="CONFIRMED", sequence=3,
                  stamp=STAMP, modified=STAMP, created=STAMP - timedelta(days=1),
                  description="Status: confirmed\nDetails: https://infrashare.example/reservations/1",
                  location="Riverside Hall, Rantatie 1", geo=(60.1699, 24.9384),
                  url="https://infrashare.example/reservations/1")
    values.update(fields)
    return FeedEvent(**values)


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


@pytest.mark.parametrize("raw, written", [
    ("plain words", "plain words"),
    ("a; b, c", "a\\; b\\, c"),
    ("back\\slash", "back\\\\slash"),
    ("two\nlines\r\nand\rthree", "two\\nlines\\nand\\nthree"),
    ("bell\x07 and\x00 nul", "bell and nul"),
])
def test_text_is_escaped(raw, written):
    assert escape_text(raw) == written


@pytest.mark.parametrize("text", ["x" * 200, "é" * 100, "–" * 60 + "a", "ab" + "€" * 40 + "c" * 80, "short"])
def test_lines_fold_at_75_octets_without_splitting_a_character(text):
    folded = fold(f"SUMMARY:{text}")
    for line in folded.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
        line.encode("utf-8").decode("utf-8")  # each line is whole characters
    assert unfold(folded) == f"SUMMARY:{text}"


def test_times_are_local_with_their_zone_except_in_the_repeated_hour():
    before = datetime(2027, 10, 30, 23, 59, tzinfo=UTC)      # 02:59 EEST
    first_pass = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)   # 03:30 EEST
    second_pass = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 03:30 EET, an hour later
    after = datetime(2027, 10, 31, 2, 0, tzinfo=UTC)         # 04:00 EET
    assert zoned("DTSTART", before, HELSINKI, "Europe/Helsinki") == "DTSTART;TZID=Europe/Helsinki:20271031T025900"
    assert zoned("DTSTART", first_pass, HELSINKI, "Europe/Helsinki") == "DTSTART:20271031T003000Z"
    assert zoned("DTSTART", second_pass, HELSINKI, "Europe/Helsinki") == "DTSTART:20271031T013000Z"
    assert zoned("DTSTART", after, HELSINKI, "Europe/Helsinki") == "DTSTART;TZID=Europe/Helsinki:20271031T040000"


def test_a_calendar_has_every_required_property_and_crlf_line_ends():
    body = write_calendar(CalendarInfo("Riverside Hall: busy times", refresh_minutes=60), [event()])
    text = body.decode("utf-8")

    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = unfold(text).split("\r\n")
    for expected in ("CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Riverside Hall: busy times",
                     "REFRESH-INTERVAL;VALUE=DURATION:PT60M", "BEGIN:VTIMEZONE", "TZID:Europe/Helsinki",
                     "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
                     "UID:reservation-1@infrashare.example", "DTSTAMP:20261130T120000Z",
                     "DTSTART;TZID=Europe/Helsinki:20270321T100000", "SEQUENCE:3", "STATUS:CONFIRMED",
                     "LAST-MODIFIED:20261130T120000Z", "GEO:60.169900;24.938400", "LOCATION:Riverside Hall\\, Rantatie 1"):
        assert expected in lines, expected


def test_no_events_no_timezones():
    text = write_calendar(CalendarInfo("Empty"), []).decode()
    assert "BEGIN:VTIMEZONE" not in text and "BEGIN:VEVENT" not in text


def test_one_vtimezone_per_zone_used():
    events = [event(1), event(2, start=datetime(2027, 5, 1, 9, tzinfo=ZoneInfo("America/New_York")),
                            tzid="America/New_York"), event(3)]
    calendar = icalendar.Calendar.from_ical(write_calendar(CalendarInfo("Two zones"), events))
    assert sorted(str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")) == ["America/New_York", "Europe/Helsinki"]


def _props(component) -> dict:
    return {name: component.decoded(name) for name in component if name not in ("GEO", "URL")} | {
        "GEO": tuple(round(float(v), 4) for v in (component["GEO"].latitude, component["GEO"].longitude)),
        "URL": str(component["URL"])}


def test_it_says_what_icalendar_says_about_the_same_events():
    events = [event(1, summary="Odd; text, with\nlines\\ and ümlauts – " + "long " * 30),
              event(2, start=datetime(2027, 10, 31, 2, tzinfo=UTC), status="CANCELLED", sequence=7),
              event(3, status="TENTATIVE", created=None)]
    ours = icalendar.Calendar.from_ical(write_calendar(CalendarInfo("Same"), events))
    theirs = icalendar.Calendar.from_ical(icalendar_calendar(CalendarInfo("Same"), events).to_ical())

    for mine, other in zip(ours.walk("VEVENT"), theirs.walk("VEVENT"), strict=True):
        mine_props, other_props = _props(mine), _props(other)
        for name in ("DTSTART", "DTEND"):  # the same instant, however written
            assert mine_props.pop(name) == other_props.pop(name)
        assert mine_props == other_props
    assert ours["X-WR-CALNAME"] == theirs["X-WR-CALNAME"]


def test_an_event_a_dst_change_falls_inside_is_written_in_utc():
    night = datetime(2027, 10, 30, 21, tzinfo=UTC)  # Sunday 00:00 EEST to 06:00 EET
    lines = unfold(write_calendar(CalendarInfo("Night"), [event(1, start=night, end=night + timedelta(hours=7))])
                   .decode()).split("\r\n")
    assert "DTSTART:20271030T210000Z" in lines and "DTEND:20271031T040000Z" in lines
