"""The public pages: catalogue, find a time, and the facility page with its calendars."""
from __future__ import annotations

from datetime import time, timedelta
from urllib.parse import parse_qs, urlsplit

from booking.accounts.models import Role
from booking.facilities.models import ApprovalPolicy, FacilityStatus, LateCancellation
from tests.facilities.helpers import add_closure, at, busy, next_monday, today  # noqa: F401  (busy is a fixture)


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the catalogue ------------------------------------------------------------------------

def test_anyone_sees_published_facilities_in_the_catalogue(client, create_facility):
    create_facility("Riverside Hall", category="venue", district="Kallio", capacity=80)
    create_facility("Secret Draft", status=FacilityStatus.draft)

    page = text(client.get("/facilities"))

    assert "Riverside Hall" in page
    assert "Secret Draft" not in page
    assert "1 facility" in page
    assert "Venue" in page and "Kallio" in page and "Up to 80 people" in page
    assert 'href="/facilities"' in page  # the navigation item


def test_catalogue_filters_from_the_query_string(client, create_facility):
    create_facility("Big Lab", category="lab", capacity=30, amenities={"Fume hood": 2}, accessibility=["lift"])
    create_facility("Small Lab", category="lab", capacity=4, accessibility=["lift"])
    create_facility("Hall", category="venue", capacity=100)

    page = text(client.get("/facilities?category=lab&size=10"))
    assert "Big Lab" in page and "Small Lab" not in page and "Hall" not in page

    page = text(client.get("/facilities?amenity=Fume+hood&accessibility=lift"))
    assert "Big Lab" in page and "Small Lab" not in page

    page = text(client.get("/facilities?q=small"))
    assert "Small Lab" in page and "Big Lab" not in page


def test_catalogue_cards_say_when_each_facility_is_free(client, create_facility, busy):
    create_facility("Always Closed", hours=None)
    full = create_facility("Fully Booked")
    busy.add(full, at(today(), 0) - timedelta(days=1), at(today(), 0) + timedelta(days=10))
    around_the_clock = {d: [(time(0), time(0))] for d in range(7)}
    create_facility("Open Around The Clock", hours=around_the_clock)

    page = text(client.get("/facilities"))

    assert "Closed in these days" in page
    assert "No free time in these days" in page
    assert "Free now" in page


def test_a_card_gives_the_first_free_time_of_a_searched_day(client, create_facility, busy):
    hall = create_facility("Hall")
    day = next_monday()
    busy.add(hall, at(day, 8), at(day, 14))

    page = text(client.get(f"/facilities?date={day.isoformat()}&time=09:00&duration=120"))

    assert "First free time" in page and "14:00" in page


def test_search_parameters_travel_into_the_facility_link(client, create_facility):
    create_facility("Hall", slug="hall")
    day = next_monday().isoformat()

    page = text(client.get(f"/facilities?date={day}&time=14:00&duration=180&size=20"))

    link = next(part for part in page.split('href="')[1:] if part.startswith("/facilities/hall"))
    params = parse_qs(urlsplit(link.split('"')[0].replace("&amp;", "&")).query)
    assert params == {"date": [day], "time": ["14:00"], "duration": ["180"], "size": ["20"]}


def test_catalogue_pages_keep_repeated_filters(client, create_facility):
    for number in range(25):
        create_facility(f"Room {number:02d}", amenities={"Projector": 1, "Sink": 1})

    page = text(client.get("/facilities?amenity=Projector&amenity=Sink"))

    assert "25 facilities" in page and "Page 1 of 2" in page
    assert "amenity=Projector&amp;amenity=Sink&amp;page=2" in page


def test_bad_catalogue_input_is_explained_not_a_crash(client, create_facility):
    create_facility("Hall")
    response = client.get("/facilities?size=-3&date=not-a-date")
    assert response.status_code == 422
    assert "Please correct the following" in text(response)


def test_least_used_sorting_is_offered(client, create_facility):
    create_facility("Busy Place", recent_utilisation=0.9)
    create_facility("Quiet Place", recent_utilisation=0.1)
    page = text(client.get("/facilities?sort=least_used"))
    assert page.index("Quiet Place") < page.index("Busy Place")


# --- find a time --------------------------------------------------------------------------

def test_find_a_time_starts_with_a_form_for_the_coming_days(client):
    page = text(client.get("/facilities/find"))
    assert "Find a time" in page
    assert f'value="{today().isoformat()}"' in page
    assert "facilities can take it" not in page


def test_find_a_time_lists_facilities_and_start_times_that_link_to_booking(client, create_facility, busy):
    hall = create_facility("Hall", slug="hall", capacity=30, hours={0: [(time(9), time(13))]})
    create_facility("Cupboard", capacity=2)
    monday = next_monday()
    busy.add(hall, at(monday, 9), at(monday, 10))

    page = text(client.get(f"/facilities/find?date_from={monday}&date_to={monday + timedelta(days=4)}"
                           f"&duration=180&size=20"))

    assert "1 facility can take it" in page
    assert "Hall" in page and "Cupboard" not in page
    assert "10:00" in page  # the one start: 10:00–13:00
    assert f"/facilities/hall?date={monday}&amp;time=10:00&amp;duration=180&amp;size=20#booking" in page


def test_find_a_time_explains_bad_dates(client):
    monday = next_monday()
    response = client.get(f"/facilities/find?date_from={monday}&date_to={monday - timedelta(days=1)}&duration=60")
    assert response.status_code == 422
    assert "The last date cannot be before the first date." in text(response)

    response = client.get(f"/facilities/find?date_from={monday}&date_to={monday + timedelta(days=60)}&duration=60")
    assert "Search at most 31 days at a time." in text(response)


def test_far_off_dates_are_refused_with_a_message(client, create_facility):
    create_facility("Hall")
    for url in ("/facilities/find?date_from=9999-12-30&date_to=9999-12-31&duration=60",
                "/facilities?date=9999-12-31&time=10:00&duration=60"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert "Choose a date between" in text(response)


def test_find_a_time_says_when_nothing_fits(client, create_facility):
    create_facility("Hall", capacity=10)
    monday = next_monday()
    page = text(client.get(f"/facilities/find?date_from={monday}&date_to={monday}&duration=180&size=500"))
    assert "0 facilities can take it" in page
    assert "Try a shorter time" in page


# --- the facility page --------------------------------------------------------------------

def test_facility_page_shows_details_rules_and_location(client, create_facility):
    create_facility(
        "Riverside Hall", slug="riverside-hall", capacity=80, amenities={"Projector": 2},
        accessibility=["step_free_access"], house_rules="No confetti.", address="Rantatie 1",
        latitude=60.1699, longitude=24.9384, description="A bright hall by the river.",
        rules={"min_notice_minutes": 24 * 60, "max_advance_days": 90, "min_duration_minutes": 60,
               "max_duration_minutes": 240, "buffer_before_minutes": 15, "buffer_after_minutes": 30,
               "approval_policy": ApprovalPolicy.manual, "cancellation_deadline_hours": 48,
               "late_cancellation": LateCancellation.fee, "max_active_per_organisation": 3})

    page = text(client.get("/facilities/riverside-hall"))

    assert "A bright hall by the river." in page
    assert "Projector × 2" in page and "Step-free access" in page and "No confetti." in page
    assert "Book at least 1 day and at most 90 days ahead." in page
    assert "A booking lasts at least 1 hour and at most 4 hours." in page
    assert "15 minutes before and 30 minutes after each booking" in page
    assert "A manager approves each booking request." in page
    assert "Cancel free of charge until 2 days before the start; later, a fee applies." in page
    assert "An organisation can have 3 active bookings here at a time." in page
    assert "a weekly series for a whole season counts as one." in page
    assert "A booking lasts a day at most." in page
    # The map is an extra: the address and coordinates are always there as text.
    assert "Rantatie 1" in page and "60.16990, 24.93840" in page
    # Compact: name, key facts and the booking panel first, then the week; the rules after the calendars.
    assert page.index("<h1>") < page.index('class="key-facts"') < page.index('id="booking"') < page.index('id="week"')
    assert page.index('id="month"') < page.index("How booking works here")
    facts = page[page.index('class="key-facts"'):page.index('id="booking"')]
    assert "80 people" in facts and "Step-free access" in facts and "Rantatie 1" in facts


def test_a_draft_is_hidden_from_the_public_and_shown_to_its_managers(client, auth, create_facility, manager,
                                                                     create_user, create_department):
    create_facility("Draft Lab", slug="draft-lab", status=FacilityStatus.draft, department=manager.departments[0])
    assert client.get("/facilities/draft-lab").status_code == 404

    other = create_user(role=Role.facility_manager, departments=[create_department("Culture")])
    auth.login(other)
    assert client.get("/facilities/draft-lab").status_code == 404
    auth.logout()

    auth.login(manager)
    response = client.get("/facilities/draft-lab")
    assert response.status_code == 200
    assert "This facility is draft: only its managers see this page." in text(response)
    assert client.get("/facilities/no-such-place").status_code == 404


def test_week_view_labels_every_hour_in_words_and_pages_by_links(client, create_facility, busy):
    hall = create_facility("Hall", slug="hall", hours={d: [(time(9), time(12))] for d in range(5)})
    monday = next_monday()
    busy.add(hall, at(monday, 10), at(monday, 11))

    page = text(client.get(f"/facilities/hall?week={monday + timedelta(days=2)}"))

    assert f"Week of {monday.strftime('%A')} {monday.day}" in page
    week = page[page.index('<table class="week-view">'):page.index("</table>")]
    rows = week.split("<tr>")[2:]
    assert [row.split("</th>")[0].strip()[-5:] for row in rows] == ["09:00", "10:00", "11:00"]
    monday_cells = [row.split("<td")[1] for row in rows]
    assert "Free" in monday_cells[0] and "Busy" in monday_cells[1] and "Free" in monday_cells[2]
    saturday_cell = rows[0].split("<td")[6]
    assert "Closed" in saturday_cell
    assert f"week={monday + timedelta(days=7)}" in page and f"week={monday - timedelta(days=7)}" in page
    # A free cell links to booking that hour.
    assert f"date={monday}&amp;time=09:00" in monday_cells[0]


def test_week_view_says_when_the_facility_is_closed_all_week(client, create_facility):
    hall = create_facility("Hall", slug="hall")
    monday = next_monday()
    add_closure(hall, at(monday, 0), at(monday, 0) + timedelta(days=7))
    page = text(client.get(f"/facilities/hall?week={monday}"))
    assert "Closed all week" in page


def test_month_view_labels_each_day_by_how_booked_it_is(client, create_facility, busy):
    hall = create_facility("Hall", slug="hall", hours={d: [(time(8), time(20))] for d in range(6)})
    monday = next_monday(weeks=5)
    busy.add(hall, at(monday, 8), at(monday, 20))        # full
    busy.add(hall, at(monday + timedelta(days=1), 8), at(monday + timedelta(days=1), 14))  # half
    month = monday.strftime("%Y-%m")

    page = text(client.get(f"/facilities/hall?month={month}"))

    table = page[page.index('<table class="month-view">'):]
    table = table[:table.index("</table>")]
    assert monday.strftime("%B") in page
    assert "Full" in table and "Half booked" in table and "Mostly free" in table
    assert "Closed" in table  # Sundays
    assert f"month={(monday.replace(day=1) + timedelta(days=32)).strftime('%Y-%m')}" in page


def test_month_view_opens_on_a_month_with_bookable_days(client, create_facility):
    # Bookable only from 40 days ahead: the month shown is the one that day falls in.
    create_facility("Far Hall", slug="far-hall", rules={"min_notice_minutes": 40 * 24 * 60, "max_advance_days": 200})
    first = today() + timedelta(days=40)
    page = text(client.get("/facilities/far-hall"))
    month = page[page.index('<table class="month-view">'):]
    assert f"{first.strftime('%B')} {first.year}" in month[:month.index("</caption>")]

    # Closed for the whole of next month as well as the rest of this one: the month after.
    hall = create_facility("Seasonal Hall", slug="seasonal-hall")
    next_month = (today().replace(day=1) + timedelta(days=32)).replace(day=1)
    after = (next_month + timedelta(days=32)).replace(day=1)
    add_closure(hall, at(today(), 0), at(after, 0))
    page = text(client.get("/facilities/seasonal-hall"))
    caption = page[page.index('<table class="month-view">'):]
    assert f"{after.strftime('%B')} {after.year}" in caption[:caption.index("</caption>")]

    # A month asked for is shown as it is.
    page = text(client.get(f"/facilities/seasonal-hall?month={next_month.strftime('%Y-%m')}"))
    caption = page[page.index('<table class="month-view">'):]
    assert f"{next_month.strftime('%B')} {next_month.year}" in caption[:caption.index("</caption>")]


def test_search_pre_fills_the_facility_page_and_checks_the_time(client, create_facility, busy):
    hall = create_facility("Hall", slug="hall", capacity=30)
    monday = next_monday()
    busy.add(hall, at(monday, 14), at(monday, 16))

    page = text(client.get(f"/facilities/hall?date={monday}&time=10:00&duration=180&size=20"))
    assert "This time is free and can be booked." in page
    assert f"Week of {monday.strftime('%A')} {monday.day}" in page  # the searched week

    page = text(client.get(f"/facilities/hall?date={monday}&time=13:00&duration=180&size=40"))
    assert "This facility takes at most 30 people." in page
    assert "This time is not free" in page
    assert "Free start times nearby" in page and "16:00" in page


def test_the_login_link_brings_the_visitor_back_with_the_search(client, create_facility):
    create_facility("Hall", slug="hall")
    page = text(client.get("/facilities/hall?date=2030-01-07&time=10:00&duration=180"))
    assert "/login?next=/facilities/hall?date%3D2030-01-07%26time%3D10:00%26duration%3D180" in page


def test_nonsense_calendar_parameters_fall_back_to_this_week(client, create_facility):
    create_facility("Hall", slug="hall")
    for query in ("week=someday&month=13-2026&date=x&duration=abc", "week=9999-12-31&month=9999-12",
                  "date=9999-12-31&time=23:00&duration=20160", "month=2026-2&week=0001-01-01"):
        response = client.get(f"/facilities/hall?{query}")
        assert response.status_code == 200, query
        assert "Week of" in text(response)


def test_the_week_of_the_spring_clock_change_has_no_03_00_on_sunday(client, create_facility):
    create_facility("Night Club", slug="club", hours={d: [(time(0), time(0))] for d in range(7)})
    # Helsinki moves its clocks forward on Sunday 28 March 2027.
    page = text(client.get("/facilities/club?week=2027-03-22"))
    assert page.count("No such hour (clocks go forward)") == 1
    row = page[page.index('<th scope="row">03:00</th>'):]
    assert "No such hour" in row[:row.index("</tr>")].split("<td")[7]


def test_catalogue_shows_only_places_free_then_when_asked(client, create_facility, busy):
    hall = create_facility("Booked Hall", capacity=50)
    create_facility("Free Hall", capacity=50)
    monday = next_monday()
    busy.add(hall, at(monday, 8), at(monday, 20))

    page = text(client.get(f"/facilities?date={monday}&time=10:00&duration=120&free=y"))
    assert "1 facility" in page and "Free Hall" in page and "Booked Hall" not in page
    page = text(client.get(f"/facilities?date={monday}&time=10:00&duration=120"))
    assert "2 facilities" in page and "Booked Hall" in page
    # Without a date the box changes nothing.
    assert "2 facilities" in text(client.get("/facilities?free=y"))


def test_catalogue_names_the_filters_when_nothing_matches_and_offers_one_filter_relaxed(client, create_facility,
                                                                                         busy):
    hall = create_facility("Riverside Hall", category="venue", district="Kallio", capacity=30)
    monday = next_monday()
    busy.add(hall, at(monday, 8), at(monday, 20))

    page = text(client.get(f"/facilities?category=venue&district=Kallio&date={monday}&time=10:00&duration=180"
                           f"&size=60&free=y"))
    assert "0 facilities" in page
    said = page[page.index('class="nothing-matches"'):]
    said = said[:said.index("</div>")]
    assert "category: Venue" in said and "district: Kallio" in said and "for at least 60 people" in said
    assert "from 10:00" in said and "for 3 hours" in said and "free then" in said
    links = {label: href.replace("&amp;", "&") for href, label in
             __import__("re").findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', said)}
    nxt = monday + timedelta(days=1)
    assert any(label.startswith("the next day") and f"date={nxt}" in href for label, href in links.items())
    assert "size=30" in links["at least 30 people"]
    assert "category=" not in links["any category"] and "district=Kallio" in links["any category"]
    # Each link relaxes one filter and keeps the rest.
    for href in links.values():
        assert href.startswith("/facilities?") and href.endswith("#results")
    # Fewer people, the next day: the hall is there.
    fewer = client.get(f"/facilities?category=venue&district=Kallio&date={nxt}&time=10:00&duration=180"
                       f"&size=30&free=y")
    assert "Riverside Hall" in text(fewer)


def test_catalogue_map_is_off_without_tiles_and_beside_the_list_with_them(app, client, create_facility):
    create_facility("Riverside Hall", slug="riverside-hall", latitude=60.1699, longitude=24.9384)
    create_facility("Nowhere Room")
    page = text(client.get("/facilities"))
    assert "catalogue-map" not in page and "leaflet" not in page

    app.config["MAP_TILE_URL"] = "/static/tiles/{z}/{x}/{y}.png"
    page = text(client.get("/facilities"))
    assert 'id="catalogue-map"' in page and "js/catalogue.js" in page and "vendor/leaflet/leaflet.js" in page
    assert 'data-lat="60.1699" data-lng="24.9384" data-name="Riverside Hall"' in page
    assert page.count("data-lat=") == 1  # the room without coordinates has no marker
