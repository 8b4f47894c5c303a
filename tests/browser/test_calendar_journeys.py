"""Calendar feeds in Chromium: a member subscribes from their profile, copies the feed's
address with the copy button, the feed has their booking; they revoke it and the address
answers 404. Every page passes axe (checked automatically)."""
from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

import icalendar
import pytest
from playwright.sync_api import expect

from booking.extensions import db
from tests.fixtures.calendars import days_from_now


def get(url: str) -> tuple[int, bytes]:
    db.session.commit()  # the test holds no transaction while the server answers
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.fixture
def booked(create_facility, manager, booker, make_reservation):
    hall = create_facility("Riverside Hall", slug="riverside-hall", department=manager.departments[0],
                           address="Rantatie 1")
    start = days_from_now(3)
    return make_reservation(hall, start, start + timedelta(hours=2), user=booker, title="Neighbourhood meeting")


def test_a_member_subscribes_copies_the_address_and_revokes_it(page, log_in, live_server, booker, booked,
                                                                screenshot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    log_in(page, booker)

    page.goto("/profile")
    subscription = page.get_by_role("region", name="Calendar subscription")
    expect(subscription).to_contain_text("Your reservations in your calendar app")
    screenshot(page, "calendars-profile")
    subscription.get_by_role("button", name="Subscribe in your calendar app").click()

    expect(page.get_by_role("heading", name="Your calendar feed is ready")).to_be_visible()
    address = page.get_by_label("Feed address")
    url = address.input_value()
    assert url.startswith(f"{live_server}/calendars/") and url.endswith(".ics")
    expect(page.get_by_role("link", name="Open in your calendar app (webcal)")).to_have_attribute(
        "href", "webcal://" + url.split("://", 1)[1])
    page.get_by_role("button", name="Copy the address").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == url
    screenshot(page, "calendars-feed-created")

    status, body = get(copied)
    assert status == 200
    [event] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["summary"]) == "Neighbourhood meeting – Riverside Hall"
    assert event.decoded("dtstart") == booked.start_dt

    page.get_by_role("link", name="Your calendar feeds").click()
    expect(page.get_by_role("heading", name="Calendar feeds", exact=True)).to_be_visible()
    row = page.get_by_role("row", name="My reservations: Bea Booker")
    expect(row).to_contain_text("Active")
    screenshot(page, "calendars-feeds")
    row.get_by_role("button", name="Revoke").click()

    expect(page.get_by_text("The feed is revoked")).to_be_visible()
    expect(page.get_by_role("row", name="My reservations: Bea Booker")).to_contain_text("Revoked")
    screenshot(page, "calendars-feed-revoked")
    assert get(copied)[0] == 404


def test_without_javascript_the_address_is_a_plain_link(browser, live_server, booker, log_in):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, booker)
        page.goto("/calendars")
        page.get_by_label("Calendar to follow").select_option(label="My reservations")
        page.get_by_role("button", name="Create the feed").click()
        expect(page.get_by_role("heading", name="Your calendar feed is ready")).to_be_visible()
        expect(page.get_by_role("button", name="Copy the address")).to_be_hidden()
        expect(page.get_by_role("link", name="The feed itself (.ics)")).to_have_attribute(
            "href", page.get_by_label("Feed address").input_value())
    finally:
        context.close()
