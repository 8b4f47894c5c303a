"""A visitor filters the catalogue, finds a free slot with find-a-time, opens the facility and
reads its rules and week view; the search survives logging in. Every page passes axe."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.facilities.helpers import at, busy, next_monday  # noqa: F401  (busy is a fixture)


@pytest.fixture
def app_config(app_config):
    # A tile source on this server that does not exist: the map must give way to the text.
    return {**app_config, "MAP_TILE_URL": "/static/no-such-tiles/{z}/{x}/{y}.png"}


@pytest.fixture
def places(create_facility, busy):
    hall = create_facility("Riverside Hall", slug="riverside-hall", category="venue", district="Kallio", capacity=80,
                           amenities={"Projector": 2}, accessibility=["step_free_access"], address="Rantatie 1",
                           latitude=60.1699, longitude=24.9384, description="A bright hall by the river.",
                           house_rules="No confetti.", rules={"min_notice_minutes": 24 * 60, "buffer_before_minutes": 30})
    create_facility("Maker Lab", category="lab", district="Pasila", capacity=12, amenities={"Projector": 1})
    create_facility("Tiny Room", category="meeting_room", capacity=4)
    create_facility("Hidden Draft", status="draft")
    monday = next_monday()
    busy.add(hall, at(monday, 8), at(monday, 10, 30))
    return hall


def test_a_visitor_filters_finds_a_time_opens_the_facility_and_keeps_the_search_through_login(
        page, places, member, check_a11y, screenshot):
    monday = next_monday()

    # The catalogue, then filters.
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Facilities").click()
    expect(page.get_by_role("heading", name="Facilities", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="3 facilities")).to_be_visible()
    expect(page.get_by_text("Hidden Draft")).to_have_count(0)
    check_a11y(page)
    screenshot(page, "discovery-catalogue")

    page.get_by_label("Category").select_option(label="Venue")
    page.get_by_label("People").fill("20")
    page.get_by_text("Amenities and accessibility").click()
    page.get_by_label("Projector").check()
    page.get_by_role("button", name="Show facilities").click()
    expect(page.get_by_role("heading", name="1 facility", exact=True)).to_be_visible()
    card = page.locator(".facility-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Riverside Hall")
    expect(card.locator(".free-state")).to_have_text(re.compile(r"First free time|Free now"))
    check_a11y(page)
    screenshot(page, "discovery-catalogue-filtered")

    # Find a time: 3 hours for 20 people next week, Monday to Friday.
    page.get_by_role("link", name=re.compile("Find a time:")).click()
    page.get_by_label("For how long").select_option("180")
    page.get_by_label("People").fill("20")
    page.get_by_label("From date").fill(monday.isoformat())
    page.get_by_label("To date").fill((monday + timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Find free places").click()
    expect(page.get_by_role("heading", name="1 facility can take it")).to_be_visible()
    match = page.locator(".match")
    expect(match).to_contain_text("Riverside Hall")
    # Busy until 10:30, and 30 minutes kept free before a new booking: Monday's first start is 11:00.
    first_day = match.locator(".start-days > li").first
    expect(first_day).to_contain_text("11:00")
    check_a11y(page)
    screenshot(page, "discovery-find-a-time")
    first_day.get_by_role("link", name="11:00", exact=True).click()

    # The facility page, pre-filled from the search, with rules before any calendar.
    expect(page).to_have_url(re.compile(rf"/facilities/riverside-hall\?date={monday}&time=11:00&duration=180&size=20"))
    expect(page.get_by_role("heading", name="Riverside Hall", level=1)).to_be_visible()
    expect(page.get_by_text("This time is free and can be booked.")).to_be_visible()
    rules = page.locator(".booking-rules")
    expect(rules).to_contain_text("Book at least 1 day")
    expect(rules).to_contain_text("A booking that meets these rules is confirmed at once.")
    week = page.get_by_role("table", name=re.compile("Week of"))
    expect(week).to_be_visible()
    monday_header = week.get_by_role("columnheader").nth(1)
    expect(monday_header).to_contain_text(str(monday.day))
    # Words in every cell: 08:00 and 09:00 booked on Monday, 11:00 free.
    rows = week.locator("tbody tr")
    expect(rows.filter(has_text="09:00").locator("td").first).to_have_text("Busy")
    expect(rows.filter(has_text="11:00").locator("td").first).to_contain_text("Free")
    # No tiles could load: no map box, but the address and coordinates as text.
    expect(page.locator("#facility-map")).to_be_hidden()
    expect(page.get_by_text("60.16990, 24.93840")).to_be_visible()
    expect(page.locator(".location").get_by_text("Rantatie 1")).to_be_visible()
    check_a11y(page)
    screenshot(page, "discovery-facility")

    # The week pages forward with a link (no JavaScript needed), and the month has words too.
    page.get_by_role("link", name="Next week").click()
    next_monday_day = monday + timedelta(days=7)
    expect(page.get_by_role("table", name=re.compile("Week of")).get_by_role("columnheader").nth(1)).to_contain_text(
        str(next_monday_day.day))
    expect(page.locator(".month-view")).to_contain_text(re.compile("Mostly free|Past|Closed|Half booked|Full"))
    check_a11y(page)
    page.go_back()

    # Logging in keeps the search.
    searched_url = page.url
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in", exact=True).click()
    page.get_by_label("E-mail").fill(member.email)
    page.get_by_label("Password").fill("correct-horse-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(searched_url.split("#")[0])
    expect(page.get_by_text("This time is free and can be booked.")).to_be_visible()
    check_a11y(page)


def test_the_facility_page_and_catalogue_work_without_javascript(browser, live_server, places, screenshot):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    monday = next_monday()
    page.goto(f"/facilities/find?date_from={monday}&date_to={monday + timedelta(days=2)}&duration=120&size=20")
    expect(page.get_by_role("heading", name="1 facility can take it")).to_be_visible()
    page.get_by_role("link", name="Riverside Hall").first.click()
    expect(page.get_by_role("heading", name="Riverside Hall", level=1)).to_be_visible()
    page.get_by_role("link", name="Next month").click()
    expect(page.locator(".month-view caption")).to_be_visible()
    screenshot(page, "discovery-facility-no-js")
    context.close()


def test_with_a_working_tile_source_the_map_appears(page, places, app, check_a11y):
    # Any image this server serves stands in for a tile.
    app.config["MAP_TILE_URL"] = "/static/vendor/leaflet/images/layers.png?{z}/{x}/{y}"
    page.goto("/facilities/riverside-hall")
    expect(page.locator("#facility-map")).to_be_visible()
    expect(page.locator("#facility-map .leaflet-marker-icon")).to_have_count(1)
    check_a11y(page)
