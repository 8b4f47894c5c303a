"""Availability as pure functions: plain values in, UTC intervals out (no database, no Flask)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.facilities.ruleset import MAX_BOOKING_LENGTH, RuleSet
from booking.facilities.availability import (CELL_BUSY, CELL_CLOSED, CELL_FREE, CELL_OPEN, CELL_PARTLY_FREE,
                                             CLOSED, DAY_CLOSED, DAY_FULL, DAY_HALF_BOOKED, DAY_MOSTLY_BOOKED,
                                             DAY_MOSTLY_FREE, FREE_FROM, FREE_NOW, NO_FREE_TIME, Availability,
                                             Interval, Schedule, WeeklyHours, availability, cell_state, day_load,
                                             day_windows, first_fit, free_intervals, free_state, intersect,
                                             local_day_bounds, local_instant, merge, open_intervals, start_times,
                                             subtract)

UTC = timezone.utc
HELSINKI = "Europe/Helsinki"
NEW_YORK = "America/New_York"
SINCE = date(2000, 1, 1)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def every_day(start: time, end: time, since: date = SINCE) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(since, weekday, start, end) for weekday in range(7))


def day(tz: str, on: date) -> Interval:
    return local_day_bounds(on, ZoneInfo(tz))


def wall(instants, tz: str = HELSINKI) -> list[str]:
    return [i.astimezone(ZoneInfo(tz)).strftime("%H:%M") for i in instants]


# --- intervals ----------------------------------------------------------------------------

def test_an_interval_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        Interval(datetime(2026, 1, 1, 8), datetime(2026, 1, 1, 9))


def test_merge_joins_overlapping_and_touching_intervals_and_drops_empty_ones():
    a = Interval(utc(2026, 1, 1, 8), utc(2026, 1, 1, 10))
    b = Interval(utc(2026, 1, 1, 10), utc(2026, 1, 1, 11))
    c = Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 9, 30))
    empty = Interval(utc(2026, 1, 1, 12), utc(2026, 1, 1, 12))
    assert merge([b, empty, c, a]) == [Interval(utc(2026, 1, 1, 8), utc(2026, 1, 1, 11))]


def test_subtract_and_intersect_are_half_open():
    whole = [Interval(utc(2026, 1, 1, 8), utc(2026, 1, 1, 12))]
    cut = [Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10)), Interval(utc(2026, 1, 1, 11), utc(2026, 1, 1, 13))]
    assert subtract(whole, cut) == [Interval(utc(2026, 1, 1, 8), utc(2026, 1, 1, 9)),
                                    Interval(utc(2026, 1, 1, 10), utc(2026, 1, 1, 11))]
    assert intersect(whole, cut) == [Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10)),
                                     Interval(utc(2026, 1, 1, 11), utc(2026, 1, 1, 12))]


def test_a_wall_clock_time_skipped_by_the_spring_jump_moves_forward_by_the_gap():
    # Helsinki, 29 March 2026: 03:00 becomes 04:00, so 03:30 does not exist.
    assert local_instant(date(2026, 3, 29), time(3, 30), ZoneInfo(HELSINKI)) == local(HELSINKI, 2026, 3, 29, 4, 30)


# --- DST days in Europe/Helsinki ----------------------------------------------------------

def test_spring_dst_day_has_23_hours_and_opening_stays_at_8_local():
    # Last Sunday of March 2026: clocks go from +02:00 to +03:00.
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    saturday, sunday = day(HELSINKI, date(2026, 3, 28)), day(HELSINKI, date(2026, 3, 29))

    assert sunday.duration == timedelta(hours=23)
    assert saturday.duration == timedelta(hours=24)
    assert open_intervals(schedule, saturday) == [Interval(utc(2026, 3, 28, 6), utc(2026, 3, 28, 18))]
    assert open_intervals(schedule, sunday) == [Interval(utc(2026, 3, 29, 5), utc(2026, 3, 29, 17))]
    opened = open_intervals(schedule, sunday)[0]
    assert wall([opened.start, opened.end]) == ["08:00", "20:00"]


def test_autumn_dst_day_has_25_hours_and_opening_stays_at_8_local():
    # Last Sunday of October 2026: clocks go from +03:00 back to +02:00.
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    saturday, sunday = day(HELSINKI, date(2026, 10, 24)), day(HELSINKI, date(2026, 10, 25))

    assert sunday.duration == timedelta(hours=25)
    assert open_intervals(schedule, saturday) == [Interval(utc(2026, 10, 24, 5), utc(2026, 10, 24, 17))]
    assert open_intervals(schedule, sunday) == [Interval(utc(2026, 10, 25, 6), utc(2026, 10, 25, 18))]


def test_a_whole_day_opening_lasts_as_long_as_the_dst_day():
    schedule = Schedule(HELSINKI, every_day(time(0), time(0)))
    spring, autumn = day(HELSINKI, date(2026, 3, 29)), day(HELSINKI, date(2026, 10, 25))
    assert open_intervals(schedule, spring) == [spring]
    assert open_intervals(schedule, autumn) == [autumn]


def test_a_night_opening_across_the_dst_change_is_an_hour_shorter_or_longer():
    schedule = Schedule(HELSINKI, every_day(time(22), time(6)))
    spring_night = open_intervals(schedule, Interval(local(HELSINKI, 2026, 3, 28, 12), local(HELSINKI, 2026, 3, 29, 12)))
    autumn_night = open_intervals(schedule, Interval(local(HELSINKI, 2026, 10, 24, 12),
                                                     local(HELSINKI, 2026, 10, 25, 12)))
    assert [iv.duration for iv in spring_night] == [timedelta(hours=7)]
    assert [iv.duration for iv in autumn_night] == [timedelta(hours=9)]


def test_a_two_hour_slot_grid_stays_on_even_local_hours_on_the_spring_dst_day():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    free = open_intervals(schedule, day(HELSINKI, date(2026, 3, 29)))
    starts = start_times(free, H, 2 * H, HELSINKI)
    assert wall(starts) == ["08:00", "10:00", "12:00", "14:00", "16:00", "18:00"]


def test_the_slot_grid_over_a_dst_night_skips_missing_times_and_repeats_none():
    schedule = Schedule(HELSINKI, every_day(time(0), time(0)))
    spring = start_times(open_intervals(schedule, day(HELSINKI, date(2026, 3, 29))), H, H, HELSINKI)
    autumn = start_times(open_intervals(schedule, day(HELSINKI, date(2026, 10, 25))), H, H, HELSINKI)
    assert "03:00" not in wall(spring) and len(spring) == 23
    assert wall(autumn).count("03:00") == 1 and len(autumn) == 24
    assert autumn == sorted(autumn)


# --- across midnight and over several days ------------------------------------------------

def test_an_opening_across_midnight_belongs_to_the_day_it_starts_and_shows_in_the_next_day():
    friday_night = (WeeklyHours(SINCE, 4, time(22), time(2)),)
    schedule = Schedule(HELSINKI, friday_night)
    friday, saturday = day(HELSINKI, date(2026, 11, 27)), day(HELSINKI, date(2026, 11, 28))
    assert open_intervals(schedule, friday) == [Interval(local(HELSINKI, 2026, 11, 27, 22), saturday.start)]
    assert open_intervals(schedule, saturday) == [Interval(saturday.start, local(HELSINKI, 2026, 11, 28, 2))]


def test_a_multi_day_window_has_one_interval_per_opening_day():
    weekdays = tuple(WeeklyHours(SINCE, d, time(9), time(17)) for d in range(5))
    schedule = Schedule(HELSINKI, weekdays)
    week = Interval(local(HELSINKI, 2026, 11, 30), local(HELSINKI, 2026, 12, 7))
    opened = open_intervals(schedule, week)
    assert len(opened) == 5
    assert opened[0] == Interval(local(HELSINKI, 2026, 11, 30, 9), local(HELSINKI, 2026, 11, 30, 17))
    assert opened[-1].start == local(HELSINKI, 2026, 12, 4, 9)


def test_whole_days_join_into_one_interval_so_a_multi_day_stay_fits():
    schedule = Schedule(HELSINKI, every_day(time(0), time(0)))
    window = Interval(local(HELSINKI, 2026, 11, 30), local(HELSINKI, 2026, 12, 7))
    opened = open_intervals(schedule, window)
    assert opened == [window]
    starts = start_times(opened, timedelta(days=3), timedelta(days=1), HELSINKI)
    assert [s.astimezone(ZoneInfo(HELSINKI)).date() for s in starts] == [date(2026, 11, 30) + timedelta(days=i)
                                                                         for i in range(5)]


def test_the_window_cuts_intervals_at_its_edges():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    window = Interval(local(HELSINKI, 2026, 11, 30, 12), local(HELSINKI, 2026, 12, 1, 10))
    assert open_intervals(schedule, window) == [
        Interval(local(HELSINKI, 2026, 11, 30, 12), local(HELSINKI, 2026, 11, 30, 20)),
        Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 10))]


# --- buffers, closures, special openings, versions ----------------------------------------

def test_buffers_at_both_ends_keep_new_bookings_away_from_busy_time():
    opened = [Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 20))]
    busy = [Interval(local(HELSINKI, 2026, 12, 1, 10), local(HELSINKI, 2026, 12, 1, 12))]
    free = free_intervals(opened, busy, buffer_before=30 * M, buffer_after=15 * M)
    # A new booking must end 15 min (its after-buffer) before 10:00 and start 30 min after 12:00.
    assert free == [Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 9, 45)),
                    Interval(local(HELSINKI, 2026, 12, 1, 12, 30), local(HELSINKI, 2026, 12, 1, 20))]
    starts = start_times(free, H, 15 * M, HELSINKI)
    assert wall(starts)[:4] == ["08:00", "08:15", "08:30", "08:45"]
    assert "09:00" not in wall(starts)
    assert wall(starts)[4] == "12:30"


def test_busy_time_just_outside_the_window_still_pushes_its_buffer_in():
    schedule = Schedule(HELSINKI, every_day(time(0), time(0)))
    window = day(HELSINKI, date(2026, 12, 1))
    busy = [Interval(window.start - 2 * H, window.start)]
    found = availability(schedule, busy, window, buffer_before=H)
    assert found.busy == []
    assert found.free == [Interval(window.start + H, window.end)]


def test_a_closure_overlapping_opening_hours_removes_only_the_overlap():
    closure = Interval(local(HELSINKI, 2026, 12, 1, 18), local(HELSINKI, 2026, 12, 2, 10))
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)), closures=(closure,))
    window = Interval(local(HELSINKI, 2026, 12, 1), local(HELSINKI, 2026, 12, 3))
    assert open_intervals(schedule, window) == [
        Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 18)),
        Interval(local(HELSINKI, 2026, 12, 2, 10), local(HELSINKI, 2026, 12, 2, 20))]


def test_a_closure_inside_a_day_splits_it():
    closure = Interval(local(HELSINKI, 2026, 12, 1, 12), local(HELSINKI, 2026, 12, 1, 14))
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)), closures=(closure,))
    assert len(open_intervals(schedule, day(HELSINKI, date(2026, 12, 1)))) == 2


def test_special_openings_replace_the_weekly_hours_of_their_date():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)), special={
        date(2026, 12, 6): ((time(10), time(12)), (time(14), time(16))),  # Independence Day
        date(2026, 12, 24): (),  # closed on Christmas Eve
    })
    assert open_intervals(schedule, day(HELSINKI, date(2026, 12, 6))) == [
        Interval(local(HELSINKI, 2026, 12, 6, 10), local(HELSINKI, 2026, 12, 6, 12)),
        Interval(local(HELSINKI, 2026, 12, 6, 14), local(HELSINKI, 2026, 12, 6, 16))]
    assert open_intervals(schedule, day(HELSINKI, date(2026, 12, 24))) == []
    assert open_intervals(schedule, day(HELSINKI, date(2026, 12, 7)))[0].start == local(HELSINKI, 2026, 12, 7, 8)


def test_a_special_opening_can_open_a_day_without_weekly_hours():
    schedule = Schedule(HELSINKI, (), special={date(2026, 12, 5): ((time(9), time(13)),)})
    assert open_intervals(schedule, day(HELSINKI, date(2026, 12, 5))) == [
        Interval(local(HELSINKI, 2026, 12, 5, 9), local(HELSINKI, 2026, 12, 5, 13))]


def test_the_newest_version_of_weekly_hours_applies_from_its_valid_from_date():
    winter = tuple(WeeklyHours(date(2026, 1, 1), d, time(8), time(16)) for d in range(5))
    summer = (WeeklyHours(date(2026, 6, 1), 0, time(10), time(18)),)  # only Mondays from June
    schedule = Schedule(HELSINKI, winter + summer)
    assert open_intervals(schedule, day(HELSINKI, date(2026, 5, 29)))[0].start == local(HELSINKI, 2026, 5, 29, 8)
    assert open_intervals(schedule, day(HELSINKI, date(2026, 6, 1)))[0].start == local(HELSINKI, 2026, 6, 1, 10)
    assert open_intervals(schedule, day(HELSINKI, date(2026, 6, 2))) == []  # Tuesday: not in the new version
    assert open_intervals(schedule, day(HELSINKI, date(2025, 12, 31))) == []  # before any version


# --- another time zone --------------------------------------------------------------------

def test_a_facility_in_new_york_opens_at_9_local_across_its_own_dst_change():
    schedule = Schedule(NEW_YORK, every_day(time(9), time(17)))
    # US clocks change on 8 March 2026, three weeks before Helsinki's.
    before = open_intervals(schedule, day(NEW_YORK, date(2026, 3, 7)))
    after = open_intervals(schedule, day(NEW_YORK, date(2026, 3, 9)))
    assert before == [Interval(utc(2026, 3, 7, 14), utc(2026, 3, 7, 22))]
    assert after == [Interval(utc(2026, 3, 9, 13), utc(2026, 3, 9, 21))]
    assert wall(start_times(after, 4 * H, H, NEW_YORK), NEW_YORK) == ["09:00", "10:00", "11:00", "12:00", "13:00"]


def test_a_helsinki_window_catches_a_new_york_evening_of_the_previous_local_day():
    schedule = Schedule(NEW_YORK, every_day(time(17), time(23)))
    helsinki_morning = Interval(local(HELSINKI, 2026, 12, 2, 0), local(HELSINKI, 2026, 12, 2, 6))
    # 17:00–23:00 in New York on 1 Dec is 00:00–06:00 on 2 Dec in Helsinki.
    assert open_intervals(schedule, helsinki_morning) == [helsinki_morning]


# --- slot grid ----------------------------------------------------------------------------

def test_slot_grid_starts_are_aligned_to_local_midnight_and_fit_the_duration():
    free = [Interval(local(HELSINKI, 2026, 12, 1, 8, 10), local(HELSINKI, 2026, 12, 1, 12))]
    assert wall(start_times(free, H, 30 * M, HELSINKI)) == ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00"]


def test_slot_grid_honours_earliest_and_latest_inclusive():
    free = [Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 20))]
    starts = start_times(free, 2 * H, H, HELSINKI, earliest=local(HELSINKI, 2026, 12, 1, 9, 30),
                         latest=local(HELSINKI, 2026, 12, 1, 12))
    assert wall(starts) == ["10:00", "11:00", "12:00"]


def test_first_fit_is_none_when_no_free_interval_is_long_enough():
    free = [Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 9, 30)),
            Interval(local(HELSINKI, 2026, 12, 1, 10), local(HELSINKI, 2026, 12, 1, 13))]
    assert first_fit(free, 2 * H, 30 * M, HELSINKI) == local(HELSINKI, 2026, 12, 1, 10)
    assert first_fit(free, 4 * H, 30 * M, HELSINKI) is None


def test_a_grid_that_does_not_divide_a_day_restarts_at_midnight():
    free = [Interval(local(HELSINKI, 2026, 12, 1, 20), local(HELSINKI, 2026, 12, 2, 3))]
    assert wall(start_times(free, H, 90 * M, HELSINKI)) == ["21:00", "22:30", "00:00", "01:30"]


def wall_clock_grid(iv: Interval, slot: timedelta, tz: str) -> list[datetime]:
    """The grid by its definition, one local wall-clock time at a time: every whole number of
    slots after each local midnight that exists (its first occurrence if repeated) in `iv`."""
    zone, starts = ZoneInfo(tz), []
    day = iv.start.astimezone(zone).date() - timedelta(days=1)
    while datetime.combine(day, time(0), zone) < iv.end:
        after = timedelta(0)
        while after < timedelta(days=1):
            wall_time = datetime.combine(day, time(0)) + after
            instant = wall_time.replace(tzinfo=zone).astimezone(UTC)
            if instant.astimezone(zone).replace(tzinfo=None) == wall_time and iv.start <= instant < iv.end:
                starts.append(instant)
            after += slot
        day += timedelta(days=1)
    return sorted(starts)


@pytest.mark.parametrize("tz", [HELSINKI, NEW_YORK, "Australia/Lord_Howe", "America/Santiago", "UTC"])
def test_the_slot_grid_is_the_wall_clock_grid_on_every_kind_of_day(tz):
    # Lord Howe moves its clocks by half an hour; Santiago's spring jump skips midnight.
    for first in (date(2026, 3, 27), date(2026, 4, 3), date(2026, 9, 4), date(2026, 10, 23), date(2026, 11, 1),
                  date(2026, 12, 1)):
        for slot in (15 * M, 45 * M, 2 * H, 7 * H):
            start = local(tz, first.year, first.month, first.day, 5, 10)
            iv = Interval(start, start + timedelta(days=4, hours=3))
            assert start_times([iv], slot, slot, tz) == \
                [s for s in wall_clock_grid(iv, slot, tz) if s + slot <= iv.end], (tz, first, slot)


def test_day_windows_limit_each_day_to_the_asked_time_of_day():
    windows = day_windows(date(2026, 11, 30), date(2026, 12, 2), HELSINKI, time(9), time(15))
    assert windows[0] == Interval(local(HELSINKI, 2026, 11, 30, 9), local(HELSINKI, 2026, 11, 30, 15))
    assert len(windows) == 3
    whole = day_windows(date(2026, 11, 30), date(2026, 12, 2), HELSINKI)
    assert whole == [Interval(local(HELSINKI, 2026, 11, 30), local(HELSINKI, 2026, 12, 3))]


# --- booking limits and what a card says ---------------------------------------------------

def test_booking_limits_cap_durations_at_a_day_unless_multi_day_is_allowed():
    assert RuleSet(max_duration=None).longest == timedelta(days=1)
    # Multi-day facilities still have the absolute cap: every request's work is bounded.
    assert RuleSet(max_duration=None, allow_multi_day=True).longest == MAX_BOOKING_LENGTH
    limits = RuleSet(min_duration=H, max_duration=4 * H)
    assert limits.allows_duration(3 * H)
    assert not limits.allows_duration(30 * M)
    assert not limits.allows_duration(5 * H)


def test_booking_limits_bound_the_start_by_notice_and_advance():
    now = utc(2026, 12, 1, 10)
    assert RuleSet(min_notice=2 * H, max_advance=timedelta(days=30)).start_bounds(now) == (
        utc(2026, 12, 1, 12), utc(2026, 12, 31, 10))


def _found(schedule, busy, window):
    return availability(schedule, busy, window)


def test_free_state_says_free_now_when_free_at_this_moment_and_bookable_at_once():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    now = local(HELSINKI, 2026, 12, 1, 10, 5)
    window = Interval(now, now + timedelta(days=7))
    limits = RuleSet(min_notice=timedelta(0))
    assert free_state(_found(schedule, [], window), limits, now).state == FREE_NOW
    # The same place with a day's notice can first be booked tomorrow.
    later = free_state(_found(schedule, [], window), RuleSet(), now)
    assert later.state == FREE_FROM and later.start == local(HELSINKI, 2026, 12, 2, 10, 30)


def test_free_state_gives_the_first_free_time_after_busy_time():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    now = local(HELSINKI, 2026, 12, 1, 10)
    busy = [Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 14))]
    state = free_state(_found(schedule, busy, Interval(now, now + timedelta(days=7))),
                       RuleSet(min_notice=timedelta(0)), now)
    assert state == type(state)(FREE_FROM, local(HELSINKI, 2026, 12, 1, 14))


def test_free_state_says_closed_without_open_time_and_no_free_time_when_all_is_taken():
    now = local(HELSINKI, 2026, 12, 1, 10)
    window = Interval(now, now + timedelta(days=2))
    assert free_state(_found(Schedule(HELSINKI), [], window), RuleSet(), now).state == CLOSED
    full = _found(Schedule(HELSINKI, every_day(time(8), time(20))), [window], window)
    assert free_state(full, RuleSet(min_notice=timedelta(0)), now).state == NO_FREE_TIME


def test_free_state_from_a_searched_time_looks_for_the_searched_duration():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    now = local(HELSINKI, 2026, 12, 1, 10)
    busy = [Interval(local(HELSINKI, 2026, 12, 3, 11), local(HELSINKI, 2026, 12, 3, 12))]
    state = free_state(_found(schedule, busy, Interval(now, now + timedelta(days=7))),
                       RuleSet(min_notice=timedelta(0)), now, duration=3 * H,
                       earliest=local(HELSINKI, 2026, 12, 3, 9))
    assert state.start == local(HELSINKI, 2026, 12, 3, 12)


# --- calendar cells and days --------------------------------------------------------------

def test_cell_state_names_each_hour_in_words():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    busy = [Interval(local(HELSINKI, 2026, 12, 1, 10), local(HELSINKI, 2026, 12, 1, 11, 30))]
    found = availability(schedule, busy, day(HELSINKI, date(2026, 12, 1)), buffer_after=30 * M)

    def at(hour):
        return cell_state(found, Interval(local(HELSINKI, 2026, 12, 1, hour), local(HELSINKI, 2026, 12, 1, hour + 1)))

    assert at(7) == CELL_CLOSED
    assert at(8) == CELL_FREE
    assert at(9) == CELL_PARTLY_FREE  # 09:30–10:00 is the new booking's after-buffer
    assert at(10) == CELL_BUSY
    assert at(11) == CELL_PARTLY_FREE
    # Open but neither free nor busy: too close to a booking for a new one's buffers.
    squeezed = Availability(HELSINKI, found.open, [], [])
    assert cell_state(squeezed, Interval(local(HELSINKI, 2026, 12, 1, 9), local(HELSINKI, 2026, 12, 1, 10))) == CELL_OPEN


def test_day_load_labels_how_booked_a_day_is():
    schedule = Schedule(HELSINKI, every_day(time(8), time(20)))
    whole = day(HELSINKI, date(2026, 12, 1))

    def load(hours_busy):
        busy = [Interval(local(HELSINKI, 2026, 12, 1, 8), local(HELSINKI, 2026, 12, 1, 8 + hours_busy))]
        return day_load(availability(schedule, busy if hours_busy else [], whole), whole)[0]

    assert load(0) == DAY_MOSTLY_FREE
    assert load(6) == DAY_HALF_BOOKED
    assert load(10) == DAY_MOSTLY_BOOKED
    assert load(12) == DAY_FULL
    assert day_load(availability(Schedule(HELSINKI), [], whole), whole)[0] == DAY_CLOSED
