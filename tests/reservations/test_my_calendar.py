"""The calendar view of "My reservations" (issue 15): a month grid of one's reservations, each on
the local days it covers in its facility's zone, with the List / Calendar switch beside the tabs.

The pure grid is tested without a database; the pages book through the service at NOW (March
2030), which is still ahead of the real clock, so everything here is "upcoming"."""
from __future__ import annotations

import re
from datetime import date, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from booking.reservations import month_grid
from booking.reservations import services
from booking.unit_of_work import unit_of_work
from tests.fixtures.reservations import local

AROUND_THE_CLOCK = {d: [(time(0), time(0))] for d in range(7)}
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def fake(id, start, end, tz="Europe/Helsinki"):
    return SimpleNamespace(id=id, start_dt=start, end_dt=end, facility=SimpleNamespace(timezone=tz))


def placed(weeks, day):
    found = [d for row in weeks for d in row if d and d.day == day]
    return [(p.reservation.id, p.start, p.end) for p in found[0].items]


def test_the_month_is_weeks_from_monday_padded_with_none():
    weeks = month_grid.month_weeks([], date(2030, 3, 1))  # 1 March 2030 is a Friday
    assert [d and d.day.day for d in weeks[0]] == [None, None, None, None, 1, 2, 3]
    assert all(len(row) == 7 for row in weeks)
    assert max(d.day for row in weeks for d in row if d) == date(2030, 3, 31)


def test_dst_days_keep_wall_clock_times_and_the_right_day():
    # Spring: 31 March 2030 has no 03:00 in Helsinki; 02:00–05:00 is two real hours.
    spring = fake(1, local(2030, 3, 31, 2), local(2030, 3, 31, 5))
    # Autumn: 27 October has two 03:00s (02:00–05:00 is four real hours); a booking to
    # midnight ends on its own day.
    autumn = fake(2, local(2030, 10, 27, 2), local(2030, 10, 27, 5))
    evening = fake(3, local(2030, 10, 27, 20), local(2030, 10, 28, 0))
    assert placed(month_grid.month_weeks([spring], date(2030, 3, 1)), date(2030, 3, 31)) == [(1, time(2), time(5))]
    assert (autumn.end_dt - autumn.start_dt).total_seconds() == 4 * 3600
    october = month_grid.month_weeks([evening, autumn], date(2030, 10, 1))
    assert placed(october, date(2030, 10, 27)) == [(2, time(2), time(5)), (3, time(20), time(0))]
    assert placed(october, date(2030, 10, 28)) == []


def test_a_night_booking_is_on_both_days_and_each_facility_uses_its_own_zone():
    night = fake(1, local(2030, 3, 5, 22), local(2030, 3, 6, 2))
    # 00:30 in Stockholm is 01:30 in Helsinki: the booker sees it on the 8th at 00:30.
    stockholm = fake(2, local(2030, 3, 8, 0, 30, tz=STOCKHOLM), local(2030, 3, 8, 1, 30, tz=STOCKHOLM),
                     tz="Europe/Stockholm")
    # Ends in April: shown in March up to the 31st only.
    spanning = fake(3, local(2030, 3, 31, 23), local(2030, 4, 1, 1))
    weeks = month_grid.month_weeks([spanning, stockholm, night], date(2030, 3, 1))
    assert placed(weeks, date(2030, 3, 5)) == [(1, time(22), None)]
    assert placed(weeks, date(2030, 3, 6)) == [(1, None, time(2))]
    assert placed(weeks, date(2030, 3, 8)) == [(2, time(0, 30), time(1, 30))]
    assert placed(weeks, date(2030, 3, 31)) == [(3, time(23), None)]
    assert month_grid.shift_month(date(2030, 12, 1), 1) == date(2031, 1, 1)
    assert month_grid.shift_month(date(2030, 1, 1), -1) == date(2029, 12, 1)


@pytest.fixture
def hall(create_facility):
    return create_facility("Night Hall", slug="night-hall", hours=AROUND_THE_CLOCK)


@pytest.fixture
def logged_in(auth, booker):
    auth.login(booker)
    return booker


def cells(page: str) -> dict[int, str]:
    """Day number → the text of its cell, for the days of the month."""
    found = re.findall(r'<td[^>]*>\s*<span class="day-number">(\d+)<(.*?)</td>', page, re.S)
    return {int(number): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rest)) for number, rest in found}


def test_my_reservations_as_a_month(client, logged_in, hall, reserve, create_user):
    meeting = reserve(logged_in, hall, local(2030, 3, 12, 10), local(2030, 3, 12, 12), title="Spring meeting")
    reserve(logged_in, hall, local(2030, 3, 31, 2), local(2030, 3, 31, 5), title="DST night")
    called_off = reserve(logged_in, hall, local(2030, 3, 14, 10), local(2030, 3, 14, 11), title="Called off")
    with unit_of_work():
        services.cancel(logged_in, called_off)
    stranger = create_user()
    reserve(stranger, hall, local(2030, 3, 13, 10), local(2030, 3, 13, 11), title="Not mine")

    page = client.get("/reservations?view=calendar&month=2030-03").get_data(as_text=True)
    assert "<caption" in page and "March 2030" in page
    assert page.count('<th scope="col">') == 7
    days = cells(page)
    assert set(days) == set(range(1, 32))
    assert "10:00–12:00" in days[12] and "Spring meeting" in days[12] and "confirmed" in days[12]
    assert f'href="/reservations/{meeting.id}"' in page
    assert "02:00–05:00" in days[31] and "DST night" in days[31]
    assert "Called off" not in page and "Not mine" not in page
    # The switch keeps the tab; the tabs keep the view and the month; months page on.
    assert 'href="/reservations?view=calendar" aria-current="page">Calendar</a>' in page
    assert 'href="/reservations">List</a>' in page
    assert 'href="/reservations?show=cancelled&amp;view=calendar&amp;month=2030-03"' in page
    assert 'href="/reservations?view=calendar&amp;month=2030-02" rel="prev"' in page
    assert 'href="/reservations?view=calendar&amp;month=2030-04" rel="next"' in page

    cancelled = client.get("/reservations?show=cancelled&view=calendar&month=2030-03").get_data(as_text=True)
    assert "Called off" in cells(cancelled)[14] and "Spring meeting" not in cancelled
    assert 'href="/reservations?show=cancelled">List</a>' in cancelled

    empty = client.get("/reservations?view=calendar&month=2030-04").get_data(as_text=True)
    assert "Spring meeting" not in empty and "April 2030" in empty


def test_a_bad_month_shows_this_month_and_the_list_is_unchanged(client, logged_in, hall, reserve):
    reserve(logged_in, hall, local(2030, 3, 12, 10), local(2030, 3, 12, 12), title="Spring meeting")
    for bad in ("nonsense", "2030-13", "0001-01", ""):
        assert client.get(f"/reservations?view=calendar&month={bad}").status_code == 200
    listed = client.get("/reservations").get_data(as_text=True)
    assert 'class="res-entry-title"' in listed and "Spring meeting" in listed
    assert 'aria-current="page">List</a>' in listed
    assert '>Past reservations</a>' in listed


def test_the_organisation_calendar_says_who_booked(client, logged_in, hall, reserve, create_user):
    colleague = create_user(name="Col League", organisation=logged_in.organisations[0])
    reserve(colleague, hall, local(2030, 3, 20, 9), local(2030, 3, 20, 10), title="Colleague's meeting")
    page = client.get("/reservations/organisation?view=calendar&month=2030-03").get_data(as_text=True)
    assert "Colleague&#39;s meeting" in cells(page)[20] and "booked by Col League" in page
    assert "Colleague&#39;s meeting" not in client.get("/reservations?view=calendar&month=2030-03").get_data(as_text=True)
