"""The city's front door on a desktop and on a 390×844 phone: the header folds into a menu,
no page scrolls sideways, and a resident searches from the front page, finds a place and books."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_sideways_scroll


def test_on_a_phone_the_header_folds_into_a_menu_that_works_by_keyboard(page, member, log_in, screenshot):
    page.set_viewport_size(PHONE)
    log_in(page, member)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    facilities = nav.get_by_role("link", name="Facilities")
    expect(facilities).to_be_hidden()
    header_height = page.locator(".site-header").bounding_box()["height"]
    assert header_height < 844 / 8, f"the folded header is {header_height} px high"
    screenshot(page, "front-phone-header-closed")

    # Keyboard: tab from the skip link and the brand to the menu switch, space opens it.
    menu = page.get_by_role("checkbox", name="Menu")
    menu.focus()
    page.keyboard.press("Space")
    expect(facilities).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, "front-phone-header-open")
    facilities.click()
    expect(page.get_by_role("heading", name="Facilities", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Facilities")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 800])
def test_on_a_desktop_the_header_shows_everything(page, member, log_in, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, member)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Facilities")).to_be_visible()
    expect(page.locator(".menu-button")).to_be_hidden()


# --- a resident's journey: from the front page's search to a booking -----------------------

LANGUAGES = ["en", "fi", "sv"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": PHONE}


@pytest.fixture
def app_config(app_config):
    # Tiles from this server (any image will do): the catalogue's map appears with its markers.
    return {**app_config, "MAP_TILE_URL": "/static/vendor/leaflet/images/layers.png?{z}/{x}/{y}"}


@pytest.fixture
def town(create_facility):
    from booking.extensions import db

    hall = create_facility("Riverside Hall", slug="riverside-hall", category="venue", district="Kallio", capacity=80,
                           address="Rantatie 1", latitude=60.1699, longitude=24.9384,
                           accessibility=["step_free_access"], description="A bright hall by the river.")
    lab = create_facility("Harbour Lab", slug="harbour-lab", category="lab", capacity=12,
                          latitude=60.1620, longitude=24.9550)
    create_facility("Tiny Room", category="meeting_room", capacity=4, latitude=60.17, longitude=24.94)
    hall.recent_utilisation, lab.recent_utilisation = 0.04, 0.5
    db.session.commit()
    return hall


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_resident_searches_from_the_front_page_sees_the_map_opens_a_place_and_books(
        page, booker, town, log_in, screenshot, lang, size):
    from booking.extensions import db
    from tests.facilities.helpers import next_monday

    page.set_viewport_size(VIEWPORTS[size])
    log_in(page, booker)
    booker.locale = lang
    db.session.commit()
    monday = next_monday()
    tag = f"{lang}-{size}"

    # The front page: the city, the search first, the often-free places.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    search = page.locator("form.front-search")
    expect(search).to_be_visible()
    expect(page.locator(".city-name")).to_have_text("Kuusilahti")
    expect(page.locator(".front-underused")).to_contain_text("Riverside Hall")
    no_sideways_scroll(page)
    screenshot(page, f"front-page-{tag}")

    search.locator("#q").fill("hall")
    search.locator("#date").fill(monday.isoformat())
    search.locator("#time").fill("10:00")
    search.locator("#duration").select_option("120")
    search.locator("#size").fill("20")
    expect(search.locator("#free")).to_be_checked()
    search.locator("button[type=submit]").click()

    # The results: the hall with its first free time, and on the map.
    cards = page.locator(".facility-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Riverside Hall")
    expect(cards.first.locator(".free-state")).to_contain_text("10:00")
    expect(page.locator("#catalogue-map")).to_be_visible()
    expect(page.locator("#catalogue-map .leaflet-marker-icon")).to_have_count(1)
    no_sideways_scroll(page)
    screenshot(page, f"front-results-{tag}")

    # The facility page: compact, the searched time chosen in the booking panel near the top.
    cards.first.get_by_role("link", name="Riverside Hall").click()
    expect(page.get_by_role("heading", name="Riverside Hall", level=1)).to_be_visible()
    expect(page.locator(".search-check .check-ok")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, f"front-facility-{tag}")
    page.locator(".chosen-start button[type=submit]").click()

    # Details, review, confirmed.
    expect(page).to_have_url(re.compile(r"/reservations/\d+/details"))
    screenshot(page, f"front-details-{tag}")
    page.locator("#title").fill("Neighbourhood meeting")
    page.locator("#attendees").fill("20")
    page.locator("form.details-form button[type=submit], main form:has(#title) button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/reservations/\d+/review"))
    no_sideways_scroll(page)
    page.locator("form.send-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/reservations/\d+/confirmation"))
    expect(page.locator("main")).to_contain_text("Riverside Hall")
    no_sideways_scroll(page)
    screenshot(page, f"front-booked-{tag}")


# --- the booker's day: a hold in progress, the way back, the tabs -----------------------------

@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_booking_in_progress_stays_in_view_and_my_reservations_has_tabs(page, booker, town, log_in, screenshot,
                                                                         size):
    from tests.facilities.helpers import next_monday

    page.set_viewport_size(VIEWPORTS[size])
    log_in(page, booker)
    monday = next_monday()
    page.goto(f"/facilities/riverside-hall?date={monday}&time=10:00&duration=120")
    page.locator(".chosen-start button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/reservations/\d+/details"))
    details_url = page.url

    # Wandering off: every page says the booking is not finished, and how long the time is kept.
    page.goto("/facilities")
    banner = page.locator(".hold-banner")
    expect(banner).to_contain_text("Your booking is not finished")
    expect(banner).to_contain_text("Riverside Hall")
    expect(banner).to_contain_text(re.compile(r"for 1[45] more minutes"))
    no_sideways_scroll(page)
    screenshot(page, f"front-hold-banner-{size}")

    # Back at the facility: the held time is offered to continue with, not shown as taken.
    page.goto(f"/facilities/riverside-hall?date={monday}&time=10:00&duration=120")
    expect(page.locator(".own-hold")).to_contain_text("You are holding")
    expect(page.locator(".chosen-start")).to_contain_text("10:00–12:00")
    expect(page.locator(".hold-banner")).to_have_count(0)  # the booking panel says it here
    no_sideways_scroll(page)
    screenshot(page, f"front-own-hold-{size}")
    page.locator(".own-hold-check").get_by_role("link", name="Finish the booking").click()
    expect(page).to_have_url(details_url)
    expect(page.locator(".hold-banner")).to_have_count(0)

    # My reservations: tabs as links.
    page.goto("/reservations")
    tabs = page.get_by_role("navigation", name="Which reservations")
    for name in ("Upcoming", "Waiting for a decision", "Past reservations", "Cancelled and declined"):
        expect(tabs.get_by_role("link", name=name, exact=True)).to_be_visible()
    tabs.get_by_role("link", name="Cancelled and declined").click()
    expect(page).to_have_url(re.compile(r"show=cancelled"))
    expect(tabs.get_by_role("link", name="Cancelled and declined")).to_have_attribute("aria-current", "page")
    no_sideways_scroll(page)
    screenshot(page, f"front-my-reservations-{size}")
