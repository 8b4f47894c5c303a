"""Expanding RRULEs in the facility's local time (pure)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.reservations import recurrence
from booking.reservations.recurrence import MAX_OCCURRENCES, RecurrenceError, expand
from tests.fixtures.reservations import HELSINKI, local

TZ = "Europe/Helsinki"


def wall(occurrences):
    return [(o.start.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M"), o.end.astimezone(HELSINKI).strftime("%H:%M"))
            for o in occurrences]


def test_weekly_count():
    found = expand("FREQ=WEEKLY;COUNT=3", local(2030, 3, 5, 10), local(2030, 3, 5, 12), TZ)
    assert wall(found) == [("2030-03-05 10:00", "12:00"), ("2030-03-12 10:00", "12:00"), ("2030-03-19 10:00", "12:00")]
    assert [o.local_date for o in found] == [date(2030, 3, 5), date(2030, 3, 12), date(2030, 3, 19)]


def test_dst_spring_forward_series_keeps_wall_clock():
    # Helsinki moves to summer time on Sunday 31 March 2030: 10:00 local stays 10:00 local.
    found = expand("FREQ=WEEKLY;COUNT=3", local(2030, 3, 24, 10), local(2030, 3, 24, 12), TZ)
    assert wall(found) == [("2030-03-24 10:00", "12:00"), ("2030-03-31 10:00", "12:00"), ("2030-04-07 10:00", "12:00")]
    assert [o.start.hour for o in found] == [8, 7, 7]  # UTC moves instead
    assert all(o.end - o.start == timedelta(hours=2) for o in found)


def test_dst_autumn_series_keeps_wall_clock():
    found = expand("FREQ=WEEKLY;COUNT=2", local(2030, 10, 20, 18), local(2030, 10, 20, 20), TZ)
    assert wall(found) == [("2030-10-20 18:00", "20:00"), ("2030-10-27 18:00", "20:00")]
    assert [o.start.hour for o in found] == [15, 16]


def test_every_other_week_until_a_utc_instant():
    found = expand("FREQ=WEEKLY;INTERVAL=2;UNTIL=20300402T070000Z", local(2030, 3, 5, 10), local(2030, 3, 5, 11), TZ)
    # 2 April 10:00 local (EEST) is 07:00 UTC: included, UNTIL is inclusive.
    assert [o.local_date for o in found] == [date(2030, 3, 5), date(2030, 3, 19), date(2030, 4, 2)]


def test_until_a_date_includes_that_whole_local_day():
    found = expand("FREQ=WEEKLY;UNTIL=20300319", local(2030, 3, 5, 18), local(2030, 3, 5, 20), TZ)
    assert [o.local_date for o in found] == [date(2030, 3, 5), date(2030, 3, 12), date(2030, 3, 19)]


def test_monthly_second_tuesday():
    found = expand("RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=3", local(2030, 3, 4, 17), local(2030, 3, 4, 19), TZ)
    assert wall(found) == [("2030-03-12 17:00", "19:00"), ("2030-04-09 17:00", "19:00"), ("2030-05-14 17:00", "19:00")]


def test_a_series_crossing_midnight_keeps_its_length():
    found = expand("FREQ=DAILY;COUNT=2", local(2030, 3, 29, 23), local(2030, 3, 30, 5), TZ)
    # The second night loses an hour to DST: 23:00–05:00 local is five real hours.
    assert wall(found) == [("2030-03-29 23:00", "05:00"), ("2030-03-30 23:00", "05:00")]
    assert [o.end - o.start for o in found] == [timedelta(hours=6), timedelta(hours=5)]


@pytest.mark.parametrize("rule,code", [
    ("FREQ=WEEKLY", "no_end"),
    ("FREQ=HOURLY;COUNT=3", "frequency"),
    ("FREQ=WEEKLY;COUNT=0", "invalid"),
    ("FREQ=WEEKLY;COUNT=x", "invalid"),
    ("FREQ=WEEKLY;BYHOUR=9,12;COUNT=3", "invalid"),
    ("nonsense", "invalid"),
    ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "invalid"),
    ("FREQ=WEEKLY;UNTIL=2030-04-01", "invalid"),
    (f"FREQ=WEEKLY;COUNT={MAX_OCCURRENCES + 1}", "too_many"),
    ("FREQ=DAILY;UNTIL=20400101", "too_many"),
    ("FREQ=WEEKLY;UNTIL=20300601;COUNT=2", "invalid"),  # RFC 5545: one or the other
    ("FREQ=WEEKLY;UNTIL=20300101", "empty"),
])
def test_rules_we_cannot_use(rule, code):
    with pytest.raises(RecurrenceError) as refused:
        expand(rule, local(2030, 3, 5, 10), local(2030, 3, 5, 12), TZ)
    assert refused.value.code == code


def test_the_cap_is_allowed_exactly():
    assert len(expand(f"FREQ=WEEKLY;COUNT={MAX_OCCURRENCES}", local(2030, 3, 5, 10), local(2030, 3, 5, 11), TZ)) \
        == MAX_OCCURRENCES


# --- bounded work: rules that match nothing stop at the horizon --------------------------------

@pytest.mark.parametrize("rule", ["FREQ=DAILY;COUNT=2;BYSETPOS=5", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
                                  "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2;COUNT=2"])
def test_a_rule_that_matches_nothing_stops_at_the_horizon(rule, monkeypatch):
    periods = []
    original = recurrence._CountedPeriods._tick
    monkeypatch.setattr(recurrence._CountedPeriods, "_tick", lambda self: (periods.append(1), original(self)))
    start = local(2030, 3, 5, 10)

    with pytest.raises(RecurrenceError) as refused:
        expand(rule, start, start + timedelta(hours=2), TZ, horizon=start + timedelta(days=180))

    assert refused.value.code == "beyond_horizon"
    # dateutil alone walks every day until the year 9999 (about 2.9 million periods).
    assert len(periods) <= 190


def test_an_interval_of_zero_is_an_invalid_rule():
    with pytest.raises(RecurrenceError) as refused:
        expand("FREQ=WEEKLY;INTERVAL=0;COUNT=3", local(2030, 3, 5, 10), local(2030, 3, 5, 12), TZ)
    assert refused.value.code == "invalid"


def test_a_long_rule_is_cut_at_the_horizon_given():
    start = local(2030, 3, 5, 10)
    found = expand("FREQ=WEEKLY;COUNT=50", start, start + timedelta(hours=1), TZ, horizon=start + timedelta(days=20))
    assert len(found) == 3
