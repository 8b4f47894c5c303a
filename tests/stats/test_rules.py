"""The statistics maths against hand-computed cases (no database)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from booking.facilities.availability import Interval, WeeklyHours, opened_by_hours
from booking.stats.rules import day_figures, percentile, utilisation

HELSINKI = "Europe/Helsinki"
ALL_DAY = tuple(WeeklyHours(date(2000, 1, 1), d, time(0), time(0)) for d in range(7))
EIGHT_TO_EIGHT = tuple(WeeklyHours(date(2000, 1, 1), d, time(8), time(20)) for d in range(7))
EVENINGS = tuple(WeeklyHours(date(2000, 1, 1), d, time(22), time(2)) for d in range(7))  # runs past midnight


def at(day: date, hour: int, minute: int = 0, tz: str = HELSINKI) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz)).astimezone(timezone.utc)


def figures(hours, first, last=None, *, closed=(), booked=(), pending=(), tz=HELSINKI):
    last = last or first
    window = Interval(at(first, 0, tz=tz) - timedelta(days=1), at(last, 0, tz=tz) + timedelta(days=2))
    opened = opened_by_hours(tz, hours, {}, window)
    return day_figures(tz, first, last, opened, list(closed), list(booked), list(pending))


def test_a_spring_dst_day_has_23_open_hours_and_an_autumn_one_25():
    spring, autumn = date(2030, 3, 31), date(2030, 10, 27)
    [short] = figures(ALL_DAY, spring)
    [long] = figures(ALL_DAY, autumn)
    assert (short.open_minutes, long.open_minutes) == (23 * 60, 25 * 60)
    assert short.open_hours[3] == 0 and long.open_hours[3] == 120  # 03:00 skipped; 03:00 lived twice


def test_a_closure_inside_opening_hours_is_not_open_time():
    day = date(2030, 3, 5)
    [f] = figures(EIGHT_TO_EIGHT, day, closed=[Interval(at(day, 12), at(day, 14))],
                  booked=[Interval(at(day, 11), at(day, 13))])
    assert f.open_minutes == 10 * 60
    assert f.booked_minutes == 60  # the hour inside the closure is not booked open time


def test_a_reservation_over_midnight_counts_on_both_days_and_is_clipped_to_the_period():
    first = date(2030, 3, 5)
    booking = Interval(at(first, 23), at(first + timedelta(days=1), 1))
    both = figures(EVENINGS, first, first + timedelta(days=1), booked=[booking])
    # Day one: open 22–24 (and 00–02 from the evening before), booked 23–24.
    assert [(f.open_minutes, f.booked_minutes) for f in both] == [(240, 60), (240, 60)]
    [only_first] = figures(EVENINGS, first, booked=[booking])
    assert only_first.booked_minutes == 60


def test_time_outside_opening_hours_is_clipped_so_utilisation_never_passes_100_percent():
    day = date(2030, 3, 5)
    [f] = figures(EIGHT_TO_EIGHT, day, booked=[Interval(at(day, 6), at(day, 22))])
    assert (f.open_minutes, f.booked_minutes) == (720, 720)
    assert utilisation(f.booked_minutes, f.open_minutes) == 1.0
    assert utilisation(900, 720) == 1.0


def test_pending_time_is_counted_apart_from_booked_time():
    day = date(2030, 3, 5)
    [f] = figures(EIGHT_TO_EIGHT, day, booked=[Interval(at(day, 9), at(day, 10))],
                  pending=[Interval(at(day, 14), at(day, 16))])
    assert (f.booked_minutes, f.pending_minutes) == (60, 120)


def test_no_opening_hours_means_no_open_time_and_zero_utilisation():
    day = date(2030, 3, 5)
    [f] = figures((), day, booked=[Interval(at(day, 9), at(day, 10))])
    assert (f.open_minutes, f.booked_minutes) == (0, 0)
    assert utilisation(0, 0) == 0.0


def test_a_facility_in_another_time_zone_counts_its_own_local_hours():
    day = date(2030, 3, 5)
    [f] = figures(EIGHT_TO_EIGHT, day, booked=[Interval(at(day, 9, tz="America/New_York"),
                                                        at(day, 11, tz="America/New_York"))], tz="America/New_York")
    assert (f.open_minutes, f.booked_minutes) == (720, 120)
    assert f.booked_hours[9] == f.booked_hours[10] == 60 and sum(f.booked_hours) == 120


def test_percentiles_are_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([], 0.5) is None
