"""Catalogue queries, when a result is free, and find-a-time, against a real database."""
from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.facilities import schedules, search, views
from booking.facilities.availability import (CLOSED, FREE_FROM, FREE_NOW, NO_FREE_TIME, Interval, availability,
                                             intersect, local_day_bounds, start_times)
from booking.facilities.models import Facility, FacilityStatus, OpeningHours
from booking.facilities.ruleset import RuleSet
from booking.facilities.schedules import availability_for
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus
from tests.facilities.helpers import add_closure, add_special, busy, local, next_monday  # noqa: F401  (busy is a fixture)

H = timedelta(hours=1)
# A fixed Tuesday noon: the functions take `now`, so these tests never depend on the clock.
NOW = local(2026, 12, 1, 12)
MONDAY = date(2026, 12, 7)
FRIDAY = date(2026, 12, 11)


def names(facilities):
    return [f.name for f in facilities]


def catalogue(**filters):
    return names(db.session.scalars(search.catalogue_select(search.CatalogueQuery(**filters))))


# --- filters and sorting ------------------------------------------------------------------

def test_the_catalogue_lists_only_published_facilities(create_facility):
    create_facility("Open Lab")
    create_facility("Draft Hall", status=FacilityStatus.draft)
    create_facility("Old Barn", status=FacilityStatus.archived)
    assert catalogue() == ["Open Lab"]


def test_the_catalogue_filters_by_category_department_district_and_capacity(create_facility, create_department):
    parks = create_department("Parks")
    create_facility("Riverside Park", category="outdoor_area", department=parks, district="Kallio", capacity=200)
    create_facility("Small Lab", category="lab", district="Kallio", capacity=6)
    create_facility("Big Lab", category="lab", district="Pasila", capacity=30)

    assert catalogue(category="lab") == ["Big Lab", "Small Lab"]
    assert catalogue(department_id=parks.id) == ["Riverside Park"]
    assert catalogue(district="Kallio") == ["Riverside Park", "Small Lab"]
    assert catalogue(min_capacity=20, category="lab") == ["Big Lab"]


def test_amenity_and_accessibility_filters_require_every_one_asked_for(create_facility):
    create_facility("Studio", amenities={"Projector": 1, "Whiteboard": 2}, accessibility=["lift"])
    create_facility("Hall", amenities={"Projector": 2}, accessibility=["lift", "induction_loop"])

    assert catalogue(amenities=["projector"]) == ["Hall", "Studio"]  # case does not matter
    assert catalogue(amenities=["Projector", "Whiteboard"]) == ["Studio"]
    assert catalogue(accessibility=["lift", "induction_loop"]) == ["Hall"]


def test_text_search_matches_part_of_the_name_and_treats_wildcards_as_text(create_facility):
    create_facility("Maker Space")
    create_facility("100% Recycled Workshop")
    assert catalogue(text="maker") == ["Maker Space"]
    assert catalogue(text="%") == ["100% Recycled Workshop"]
    assert catalogue(text="_") == []


def test_sorting_by_name_capacity_and_least_used_with_unmeasured_last(create_facility):
    create_facility("Alpha", capacity=50, recent_utilisation=0.8)
    create_facility("beta", capacity=10, recent_utilisation=None)
    create_facility("Gamma", capacity=30, recent_utilisation=0.1)

    assert catalogue(sort="name") == ["Alpha", "beta", "Gamma"]
    assert catalogue(sort="capacity") == ["beta", "Gamma", "Alpha"]
    assert catalogue(sort="capacity_desc") == ["Alpha", "Gamma", "beta"]
    assert catalogue(sort="least_used") == ["Gamma", "Alpha", "beta"]


def test_filter_options_come_from_published_facilities(create_facility, create_department):
    create_facility("Lab", district="Kallio", amenities={"Projector": 1}, department=create_department("Science"))
    create_facility("Draft", district="Secret", amenities={"Laser": 1}, status=FacilityStatus.draft,
                    department=create_department("Hidden"))
    options = search.filter_options()
    assert [d.name for d in options["departments"]] == ["Science"]
    assert options["districts"] == ["Kallio"]
    assert [a.name for a in options["amenities"]] == ["Projector"]


# --- what a result card says --------------------------------------------------------------

def test_cards_say_free_now_first_free_time_closed_or_no_free_time(create_facility, busy):
    open_now = create_facility("Open now")
    busy_now = create_facility("Busy now")
    busy.add(busy_now, local(2026, 12, 1, 8), local(2026, 12, 1, 15))
    shut = create_facility("Shut", hours=None)
    full = create_facility("Full")
    busy.add(full, local(2026, 11, 30), local(2026, 12, 10))

    states = search.free_states([open_now, busy_now, shut, full], NOW)

    assert states[open_now.id].state == FREE_NOW
    assert states[busy_now.id].state == FREE_FROM
    assert states[busy_now.id].start == local(2026, 12, 1, 15)
    assert states[shut.id].state == CLOSED
    assert states[full.id].state == NO_FREE_TIME


def test_a_card_honours_closures_and_minimum_notice(create_facility):
    closed_today = create_facility("Closed today")
    add_closure(closed_today, local(2026, 12, 1), local(2026, 12, 2))
    needs_notice = create_facility("Needs notice", rules={"min_notice_minutes": 48 * 60})

    states = search.free_states([closed_today, needs_notice], NOW)

    assert states[closed_today.id].start == local(2026, 12, 2, 8)
    assert states[needs_notice.id].state == FREE_FROM
    assert states[needs_notice.id].start == local(2026, 12, 3, 12)


def test_a_card_looks_from_the_searched_time_for_the_searched_duration(create_facility, busy):
    hall = create_facility("Hall")
    busy.add(hall, local(2026, 12, 3, 10), local(2026, 12, 3, 12))
    when = search.SearchTime(date=date(2026, 12, 3), time=time(9), duration=3 * H, size=10)

    state = search.free_states([hall], NOW, when)[hall.id]

    assert state.state == FREE_FROM and state.start == local(2026, 12, 3, 12)


def test_a_card_says_when_the_searched_duration_is_not_allowed(create_facility):
    short = create_facility("Short stays", rules={"max_duration_minutes": 120})
    when = search.SearchTime(duration=3 * H)
    assert search.free_states([short], NOW, when)[short.id].state == search.WRONG_DURATION


def test_search_time_round_trips_through_link_parameters_and_ignores_garbage():
    when = search.SearchTime(date=date(2026, 12, 3), time=time(14), duration=3 * H, size=20)
    assert search.SearchTime.from_args(when.params()) == when
    assert when.params() == {"date": "2026-12-03", "time": "14:00", "duration": 180, "size": 20}
    assert search.SearchTime.from_args({"date": "tomorrow", "time": "25:00", "duration": "-5", "size": "x"}) == \
        search.SearchTime()


# --- find a time --------------------------------------------------------------------------

def request(**overrides):
    values = {"first_day": MONDAY, "last_day": FRIDAY, "duration": 3 * H, "size": 20}
    return search.TimeRequest(**{**values, **overrides})


def test_find_a_time_returns_facilities_big_enough_and_free_for_the_duration(create_facility, busy):
    roomy = create_facility("Roomy", capacity=40)
    create_facility("Tiny", capacity=5)
    booked = create_facility("Booked all week", capacity=40)
    busy.add(booked, local(2026, 12, 7), local(2026, 12, 12))

    matches = search.find_time(request(), NOW)

    assert [m.facility.name for m in matches] == ["Roomy"]
    assert matches[0].facility.id == roomy.id
    assert matches[0].first_start == local(2026, 12, 7, 8)
    starts = matches[0].start_times(3 * H)
    # 08:00..17:00 every 30 minutes on each of five days.
    assert len(starts) == 5 * 19
    assert starts[-1] == local(2026, 12, 11, 17)


def test_find_a_time_honours_hours_closures_busy_time_and_buffers(create_facility, busy):
    hall = create_facility("Hall", hours={0: [(time(8), time(12)), (time(13), time(17))]},
                           rules={"buffer_before_minutes": 30, "buffer_after_minutes": 30})
    busy.add(hall, local(2026, 12, 7, 8), local(2026, 12, 7, 9))

    starts = search.find_time(request(), NOW)[0].start_times(3 * H)

    # Monday only; the morning fits from 09:30 (after the buffer) to 12:00 (closing); afternoon 13:00–17:00.
    assert starts == [local(2026, 12, 7, 13), local(2026, 12, 7, 13, 30), local(2026, 12, 7, 14)]

    add_closure(hall, local(2026, 12, 7, 12), local(2026, 12, 7, 18))
    assert search.find_time(request(), NOW) == []


def test_find_a_time_honours_the_duration_rules_notice_and_advance(create_facility):
    create_facility("Too short", rules={"max_duration_minutes": 120})
    create_facility("Too long", rules={"min_duration_minutes": 240})
    create_facility("Too late", rules={"max_advance_days": 3})
    create_facility("Far notice", rules={"min_notice_minutes": 8 * 24 * 60})
    ok = create_facility("Fine")

    matches = search.find_time(request(), NOW)

    assert [m.facility.name for m in matches] == ["Fine", "Far notice"]  # soonest first
    assert matches[0].facility.id == ok.id
    assert matches[1].first_start == local(2026, 12, 9, 12)  # now + 8 days, on the grid


def test_find_a_time_limits_the_time_of_day(create_facility):
    create_facility("Hall")
    match = search.find_time(request(earliest=time(10), latest=time(15)), NOW)[0]
    starts = match.start_times(3 * H)
    assert starts[:3] == [local(2026, 12, 7, 10), local(2026, 12, 7, 10, 30), local(2026, 12, 7, 11)]
    assert local(2026, 12, 7, 12, 30) not in starts  # would end at 15:30
    assert len(starts) == 5 * 5


def test_find_a_time_filters_by_category_and_district(create_facility):
    create_facility("Lab in Kallio", category="lab", district="Kallio")
    create_facility("Hall in Kallio", category="venue", district="Kallio")
    create_facility("Lab in Pasila", category="lab", district="Pasila")
    matches = search.find_time(request(category="lab", district="Kallio"), NOW)
    assert [m.facility.name for m in matches] == ["Lab in Kallio"]


def test_find_a_time_uses_special_openings(create_facility):
    hall = create_facility("Hall", hours=None)
    add_special(hall, date(2026, 12, 9), time(18), time(22))
    match = search.find_time(request(), NOW)[0]
    assert match.start_times(3 * H) == [local(2026, 12, 9, 18), local(2026, 12, 9, 18, 30), local(2026, 12, 9, 19)]


def test_find_a_time_for_weeks_needs_multi_day_bookings(create_facility):
    always = {d: [(time(0), time(0))] for d in range(7)}
    street = create_facility("Pilot street", hours=always, rules={"allow_multi_day": True, "slot_minutes": 24 * 60})
    hall = create_facility("Day hall", hours=always)
    for facility in (street, hall):  # no upper limit (None on insert would take the column default)
        facility.rules.max_duration_minutes = None
    db.session.commit()
    matches = search.find_time(request(first_day=date(2026, 12, 7), last_day=date(2026, 12, 27),
                                       duration=timedelta(weeks=2)), NOW)
    assert [m.facility.name for m in matches] == ["Pilot street"]
    assert matches[0].start_times(timedelta(weeks=2))[0] == local(2026, 12, 7)


def test_find_a_time_reads_dates_in_each_facilitys_own_time_zone(create_facility):
    create_facility("New York studio", timezone="America/New_York", hours={0: [(time(9), time(17))]})
    match = search.find_time(request(first_day=MONDAY, last_day=MONDAY), NOW)[0]
    assert match.first_start == local(2026, 12, 7, 9, tz="America/New_York")


def test_find_a_time_lists_the_soonest_first(create_facility, busy):
    later = create_facility("A later")
    busy.add(later, local(2026, 12, 7), local(2026, 12, 8))
    create_facility("B sooner")
    assert [m.facility.name for m in search.find_time(request(), NOW)] == ["B sooner", "A later"]


def test_runs_group_consecutive_starts():
    starts = [local(2026, 12, 7, 8), local(2026, 12, 7, 8, 30), local(2026, 12, 7, 9), local(2026, 12, 7, 13)]
    assert search.group_runs(starts, timedelta(minutes=30)) == [
        (local(2026, 12, 7, 8), local(2026, 12, 7, 9)), (local(2026, 12, 7, 13), local(2026, 12, 7, 13))]


# --- find a time equals the full computation, one facility at a time -------------------------

def test_weekly_hours_are_read_whole_and_shared_by_facilities_with_the_same_hours(create_facility):
    hours = {0: [(time(8), time(12)), (time(13), time(17))], 5: [(time(22), time(2))]}
    one, two = create_facility("One", hours=hours), create_facility("Two", hours=hours)
    other = create_facility("Other", hours={0: [(time(8), time(12))]})
    db.session.add(OpeningHours(facility=other, valid_from=date(2026, 12, 9), weekday=1, start_time=time(9, 15),
                                end_time=time(0)))
    db.session.commit()

    found = schedules.weekly_hours([one.id, two.id, other.id])

    assert found[one.id] is found[two.id]
    assert [(h.weekday, h.start, h.end) for h in found[one.id]] == \
        [(0, time(8), time(12)), (0, time(13), time(17)), (5, time(22), time(2))]
    assert [(h.valid_from, h.weekday, h.start, h.end) for h in found[other.id]] == \
        [(date(2000, 1, 1), 0, time(8), time(12)), (date(2026, 12, 9), 1, time(9, 15), time(0))]
    # Around a window, only the versions in force then.
    before = Interval(local(2026, 12, 1), local(2026, 12, 3))
    assert [h.valid_from for h in schedules.weekly_hours([other.id], before)[other.id]] == [date(2000, 1, 1)]
    after = Interval(local(2026, 12, 20), local(2026, 12, 21))
    assert [h.valid_from for h in schedules.weekly_hours([other.id], after)[other.id]] == [date(2026, 12, 9)]


def full_find_time(request: search.TimeRequest, now: datetime) -> list[tuple[int, list[datetime]]]:
    """What find_time must give, the slow way: each published facility on its own, its hours
    read through the ORM (every version, every special opening), all its starts, soonest first."""
    found = []
    for facility in db.session.scalars(select(Facility).where(Facility.status == FacilityStatus.published)):
        limits = RuleSet.of(facility)
        if (request.size and facility.capacity < request.size) or not limits.allows_duration(request.duration):
            continue
        zone = ZoneInfo(facility.timezone)
        window = Interval(local_day_bounds(request.first_day, zone).start,
                          local_day_bounds(request.last_day, zone).end)
        margin = max(limits.buffer_before, limits.buffer_after)
        busy = schedules.busy_intervals([facility.id], Interval(window.start - margin, window.end + margin))
        schedule = schedules.schedule_for(facility, schedules.closures_in([facility.id], window)[facility.id])
        own = availability(schedule, busy[facility.id], window, limits.buffer_before, limits.buffer_after)
        earliest, latest = limits.start_bounds(now)
        starts = start_times(intersect(own.free, request.windows(facility.timezone)), request.duration, limits.slot,
                             facility.timezone, earliest=earliest, latest=latest)
        if starts:
            found.append(((starts[0], facility.name.lower(), facility.id), starts))
    return [(key[2], starts) for key, starts in sorted(found)]


def find_city(rng: random.Random, create_facility, first_day: date, count: int = 30) -> None:
    """Facilities in two zones with varied hours (night spans, a version superseded before the
    days searched, a new one from within them), special openings, closures, busy time
    (reservations), and varied grids, lengths, notice, horizons and buffers."""
    spans = [(time(8), time(20)), (time(22), time(2)), (time(0), time(0)), (time(9, 15), time(11, 45)),
             (time(13), time(17)), (time(6), time(9)), (time(17), time(23, 30))]
    for n in range(count):
        tz = rng.choice(ZONES)
        hours = {day: rng.sample(spans, rng.randint(1, 2)) for day in rng.sample(range(7), rng.randint(1, 7))}
        facility = create_facility(
            f"Place {n:02d}", timezone=tz, capacity=rng.choice([5, 20, 60]), hours=hours, hours_from=date(2020, 1, 1),
            rules={"slot_minutes": rng.choice([15, 30, 60, 90]), "min_duration_minutes": rng.choice([30, 60]),
                   "max_duration_minutes": rng.choice([120, 240, None]), "allow_multi_day": rng.random() < 0.3,
                   "min_notice_minutes": rng.choice([0, 60, 24 * 60, 4 * 24 * 60]),
                   "max_advance_days": rng.choice([4, 6, 365]), "buffer_before_minutes": rng.choice([0, 15, 60]),
                   "buffer_after_minutes": rng.choice([0, 30])})
        for since in [date(2025, 1, 1)] * (rng.random() < 0.3) + \
                [first_day + timedelta(days=rng.randint(-1, 3))] * (rng.random() < 0.4):
            for day in rng.sample(range(7), 4):
                db.session.add(OpeningHours(facility=facility, valid_from=since, weekday=day,
                                            start_time=rng.choice(spans)[0], end_time=rng.choice(spans)[1]))
        for _ in range(rng.randint(0, 2)):
            add_special(facility, first_day + timedelta(days=rng.randint(-1, 7)), *rng.choice(spans))
        day_start = datetime.combine(first_day, time(0), ZoneInfo(tz)).astimezone(timezone.utc)
        for _ in range(rng.randint(0, 1)):
            start = day_start + timedelta(minutes=30 * rng.randint(-10, 300))
            add_closure(facility, start, start + timedelta(minutes=30 * rng.randint(1, 40)))
        end = day_start - timedelta(hours=5)
        for _ in range(rng.randint(0, 6)):  # one after another: active reservations never overlap
            start = end + timedelta(minutes=15 * rng.randint(0, 120))
            end = start + timedelta(minutes=15 * rng.randint(1, 16))
            db.session.add(Reservation(kind=ReservationKind.internal_block, facility=facility, start_dt=start,
                                       end_dt=end, blocked_start_dt=start, blocked_end_dt=end, title="Busy",
                                       status=rng.choice([ReservationStatus.confirmed, ReservationStatus.cancelled])))
            db.session.flush()
        db.session.commit()


@pytest.mark.parametrize("seed", range(4))
def test_find_a_time_equals_the_full_computation(seed, create_facility):
    rng = random.Random(seed)
    first_day = rng.choice(AROUND).date() - timedelta(days=rng.randint(0, 3))  # weeks with a DST change, and not
    find_city(rng, create_facility, first_day)
    now = datetime.combine(first_day, time(9, 10), timezone.utc) - timedelta(days=rng.randint(0, 3))
    for _ in range(6):
        earliest = rng.choice([None, time(7), time(9, 30)])
        request = search.TimeRequest(
            first_day=first_day, last_day=first_day + timedelta(days=rng.choice([0, 2, 6])),
            duration=rng.choice([timedelta(minutes=30), H, 2 * H, 3 * H, timedelta(days=2)]),
            size=rng.choice([None, 10, 50]), earliest=earliest,
            latest=rng.choice([None, time(18)] if earliest else [None, time(12), time(18)]))
        matches = search.find_time(request, now)
        assert [(m.facility.id, m.first_start, m.start_times(request.duration)) for m in matches] == \
            [(facility_id, starts[0], starts) for facility_id, starts in full_find_time(request, now)], (seed, request)


def test_the_find_a_time_page_shows_the_full_computations_results_in_order(client, create_facility, monkeypatch):
    monday = next_monday(weeks=2)
    find_city(random.Random(7), create_facility, monday, count=45)
    now = datetime.combine(monday, time(9, 10), timezone.utc) - timedelta(days=3)
    monkeypatch.setattr(views, "utcnow", lambda: now)
    request = search.TimeRequest(first_day=monday, last_day=monday + timedelta(days=4), duration=2 * H, size=10)
    expected = full_find_time(request, now)
    assert len(expected) > views.PER_PAGE  # two pages

    shown = []
    for page in (1, 2):
        html = client.get(f"/facilities/find?date_from={monday}&date_to={request.last_day}&duration=120&size=10"
                          f"&page={page}").get_data(as_text=True)
        assert f"{len(expected)} facilities can take it" in html
        # Each result's heading links to its first start: /facilities/<slug>?date=…&time=…
        shown += re.findall(r'<h3><a href="/facilities/([\w-]+)\?date=([\d-]+)&amp;time=([\d:]+)&amp;', html)
    slugs = {f.id: f.slug for f in db.session.scalars(select(Facility))}
    zones = {f.id: ZoneInfo(f.timezone) for f in db.session.scalars(select(Facility))}
    assert shown == [(slugs[facility_id], str(starts[0].astimezone(zones[facility_id]).date()),
                      starts[0].astimezone(zones[facility_id]).strftime("%H:%M")) for facility_id, starts in expected]


# --- the free-room search decided in SQL equals the exact answer ------------------------------

ZONES = ["Europe/Helsinki", "America/New_York"]
# Days around DST changes in both zones, and ordinary ones.
AROUND = [datetime(2030, 3, 30, 20), datetime(2030, 3, 10, 5), datetime(2030, 10, 26, 22), datetime(2030, 11, 3, 4),
          datetime(2030, 6, 12, 9), datetime(2030, 1, 15, 23)]


@pytest.fixture(params=["sql", "python"])
def reservations_busy(request, app):
    """Reservations' busy time with its SQL form (as the reservations domain registers it), or
    only the Python provider (every open facility then goes through the exact computation)."""
    from booking.reservations.services import sweeps
    if request.param == "python":
        schedules._busy_sql.pop(sweeps.busy_intervals, None)
    yield request.param
    schedules.register_busy_provider(sweeps.busy_intervals, sql=sweeps.busy_select)


def random_city(rng: random.Random, create_facility) -> list:
    facilities = []
    for n in range(10):
        spans = [(time(8), time(20)), (time(22), time(2)), (time(0), time(0)), (time(2), time(4)),
                 (time(3), time(3, 30)), (time(9, 15), time(11, 45)), (time(23), time(0))]
        hours = {day: rng.sample(spans, rng.randint(0, 2)) for day in rng.sample(range(7), rng.randint(1, 7))}
        facility = create_facility(f"Place {n}", timezone=rng.choice(ZONES), hours=hours,
                                   hours_from=date(2029, 1, 1),
                                   rules={"buffer_before_minutes": rng.choice([0, 15, 60]),
                                          "buffer_after_minutes": rng.choice([0, 30])})
        if rng.random() < 0.4:  # a new version of the hours
            since = rng.choice(AROUND).date() + timedelta(days=rng.randint(-2, 2))
            for day in rng.sample(range(7), 3):
                start, end = rng.choice(spans)
                db.session.add(OpeningHours(facility=facility, valid_from=since, weekday=day, start_time=start,
                                            end_time=end))
        for _ in range(rng.randint(0, 2)):
            add_special(facility, rng.choice(AROUND).date() + timedelta(days=rng.randint(-1, 1)),
                        *rng.choice(spans[:2] + spans[3:]))
        for _ in range(rng.randint(0, 2)):
            start = rng.choice(AROUND).replace(tzinfo=timezone.utc) + timedelta(minutes=15 * rng.randint(-40, 40))
            add_closure(facility, start, start + timedelta(minutes=15 * rng.randint(1, 30)))
        for _ in range(rng.randint(0, 4)):
            start = rng.choice(AROUND).replace(tzinfo=timezone.utc) + timedelta(minutes=15 * rng.randint(-40, 40))
            end = start + timedelta(minutes=15 * rng.randint(1, 12))
            db.session.add(Reservation(kind=ReservationKind.internal_block, facility=facility, start_dt=start,
                                       end_dt=end, blocked_start_dt=start, blocked_end_dt=end, title="Busy",
                                       status=rng.choice([ReservationStatus.confirmed, ReservationStatus.cancelled])))
            db.session.flush()
        db.session.commit()
        facilities.append(facility)
    return facilities


@pytest.mark.parametrize("seed", range(6))
def test_the_sql_decided_free_search_equals_the_exact_computation(seed, create_facility, reservations_busy):
    rng = random.Random(seed)
    facilities = random_city(rng, create_facility)
    for _ in range(8):
        start = rng.choice(AROUND).replace(tzinfo=timezone.utc) + timedelta(minutes=15 * rng.randint(-48, 48))
        window = Interval(start, start + timedelta(minutes=15 * rng.choice([1, 2, 4, 8, 24, 96, 300])))
        exact = availability_for(facilities, window)
        expected = sorted((f for f in facilities if exact[f.id].free), key=lambda f: (f.name.lower(), f.id))
        ids, total = search.free_in_window(search.CatalogueQuery(), window, 1, 100)
        assert ids == [f.id for f in expected], (seed, window)
        assert total == len(expected)
        page, same_total = search.free_in_window(search.CatalogueQuery(), window, 2, 3)
        assert page == [f.id for f in expected][3:6] and same_total == total


def test_the_sql_decided_free_search_reads_the_hours_version_in_force_each_day(create_facility, reservations_busy):
    """Tuesday 8 December 2026: the version of the hours in force that day (or the day before,
    for a span running past midnight) decides, unless a special opening replaces it."""
    def version(facility, since, hours):
        for weekday, spans in hours.items():
            for start, end in spans:
                db.session.add(OpeningHours(facility=facility, valid_from=since, weekday=weekday, start_time=start,
                                            end_time=end))

    tuesday = {1: [(time(8), time(20))]}
    facilities = {name: create_facility(name, hours=hours) for name, hours in [
        ("Open", tuesday), ("Closed by a new version", tuesday), ("Opened by a new version", {0: [(time(8), time(12))]}),
        ("Closed from later on", tuesday), ("Special opening instead", tuesday),
        ("Night from Monday", {0: [(time(22), time(2))]}), ("Night ended by Tuesday's version", {0: [(time(22), time(2))]})]}
    version(facilities["Closed by a new version"], date(2026, 12, 1), {0: [(time(8), time(12))]})
    version(facilities["Opened by a new version"], date(2026, 12, 8), tuesday)
    version(facilities["Closed from later on"], date(2026, 12, 9), {0: [(time(8), time(12))]})
    add_special(facilities["Special opening instead"], date(2026, 12, 8), time(14), time(16))
    version(facilities["Night from Monday"], date(2026, 12, 8), {0: [(time(8), time(12))]})  # Monday's still runs
    version(facilities["Night ended by Tuesday's version"], date(2026, 12, 7), {0: [(time(22), time(23))]})
    db.session.commit()

    def free(start, end):
        window = Interval(start, end)
        exact = availability_for(list(facilities.values()), window)
        ids, total = search.free_in_window(search.CatalogueQuery(), window, 1, 100)
        found = sorted(name for name, f in facilities.items() if f.id in ids)
        assert found == sorted(name for name, f in facilities.items() if exact[f.id].free) and total == len(ids)
        return found

    assert free(local(2026, 12, 8, 10), local(2026, 12, 8, 11)) == [
        "Closed from later on", "Open", "Opened by a new version"]
    assert free(local(2026, 12, 8, 1), local(2026, 12, 8, 2)) == ["Night from Monday"]
