"""VTIMEZONEs from zoneinfo: the RRULE form for zones with a yearly rule, the RDATE form where
a rule cannot say it, and in both cases the offsets zoneinfo gives, read back by dateutil's
independent VTIMEZONE parser, at every hour around every change and every six hours between."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz as dateutil_tz

from booking.calendars.timezones import Change, parse_posix, transitions, vtimezone_lines, zone_rule

UTC = timezone.utc
THIS_YEAR = datetime.now(UTC).year
YEARS = (THIS_YEAR - 1, THIS_YEAR + 2)

ZONES = ["Europe/Helsinki", "Europe/London", "Europe/Dublin", "America/New_York", "America/Santiago",
         "Australia/Sydney", "Pacific/Chatham", "Asia/Kolkata", "Asia/Tokyo", "UTC", "America/Nuuk",
         "Africa/Casablanca", "Asia/Gaza"]


def test_helsinki_is_written_as_yearly_rules():
    lines = vtimezone_lines("Europe/Helsinki", *YEARS)
    assert lines[:2] == ("BEGIN:VTIMEZONE", "TZID:Europe/Helsinki")
    daylight = lines[lines.index("BEGIN:DAYLIGHT"):lines.index("END:DAYLIGHT")]
    standard = lines[lines.index("BEGIN:STANDARD"):lines.index("END:STANDARD")]
    # The onset is the wall-clock time before the change: 03:00 EET in March, 04:00 EEST in October.
    assert {"TZOFFSETFROM:+0200", "TZOFFSETTO:+0300", "DTSTART:19700329T030000",
            "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"} <= set(daylight)
    assert {"TZOFFSETFROM:+0300", "TZOFFSETTO:+0200", "DTSTART:19701025T040000",
            "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"} <= set(standard)
    assert not any(line.startswith("RDATE") for line in lines)


@pytest.mark.parametrize("text, expected", [
    ("EET-2EEST,M3.5.0/3,M10.5.0/4", ("EET", 7200, "EEST", 10800, Change(3, 5, 0, 10800), Change(10, 5, 0, 14400))),
    ("EST5EDT,M3.2.0,M11.1.0", ("EST", -18000, "EDT", -14400, Change(3, 2, 0, 7200), Change(11, 1, 0, 7200))),
    ("<+0545>-5:45", ("+0545", 20700, None, None, None, None)),
    ("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", None),  # a change at -1 o'clock: left to the RDATE form
    ("EET-2EEST,J60/0,J300/0", None),
    ("not a zone", None),
])
def test_posix_tz_strings(text, expected):
    rule = parse_posix(text)
    if expected is None:
        assert rule is None
    else:
        assert (rule.std_name, rule.std_offset, rule.dst_name, rule.dst_offset, rule.dst_start, rule.dst_end) == expected


def test_zone_rules_come_from_the_zoneinfo_files():
    assert zone_rule("Europe/Helsinki").dst_start == Change(3, 5, 0, 3 * 3600)
    assert zone_rule("Asia/Tokyo").dst_start is None


def _instants(zone: ZoneInfo):
    start, end = datetime(YEARS[0], 1, 1, tzinfo=UTC), datetime(YEARS[1] + 1, 1, 1, tzinfo=UTC)
    moment = start
    while moment < end:
        yield moment
        moment += timedelta(hours=6)
    for change, *_ in transitions(zone, start, end):
        for hours in range(-3, 4):
            yield change + timedelta(hours=hours)
        yield change - timedelta(seconds=1)


@pytest.mark.parametrize("key", ZONES)
def test_an_independent_parser_reads_zoneinfo_s_offsets_back(key):
    zone = ZoneInfo(key)
    # dateutil refuses X- properties; X-LIC-LOCATION only tells libical which zone it is.
    text = "\r\n".join(line for line in vtimezone_lines(key, *YEARS) if not line.startswith("X-")) + "\r\n"
    parsed = dateutil_tz.tzical(io.StringIO(text)).get(key)
    for moment in _instants(zone):
        # dateutil reads a zone's offsets at a wall-clock time: ask about the first pass of each.
        wall = moment.astimezone(zone)
        assert parsed.utcoffset(wall.replace(tzinfo=None, fold=0)) == zone.utcoffset(
            wall.replace(tzinfo=None, fold=0)), (key, moment)


def test_a_rule_that_does_not_hold_in_the_years_used_falls_back_to_dates():
    # Casablanca's footer says "+01 all year", but it changes around Ramadan every year.
    lines = vtimezone_lines("Africa/Casablanca", *YEARS)
    assert any(line.startswith("RDATE:") for line in lines)
    assert not any(line.startswith("RRULE:") for line in lines)
