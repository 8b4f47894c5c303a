"""My reservations as a calendar in Chromium (issue 15), on a desktop and on a 390×844 phone:
the List / Calendar switch beside the tabs, a month grid with table headers, paging by month with
the keyboard, each reservation a link to its page. The page never scrolls sideways on the phone
(it shows the busy days as a list). axe runs on every page visited."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from booking.database import utcnow
from booking.extensions import db
from tests.browser.conftest import PHONE, no_sideways_scroll

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def bookings(create_facility, booker, make_reservation):
    hall = create_facility("Riverside Hall", slug="riverside-hall")
    # Tomorrow at 10: a start taken from the clock ran past midnight when the suite ran late in
    # the evening, and the talk then showed on two days.
    tomorrow = utcnow().astimezone(HELSINKI).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10), HELSINKI)
    talk = make_reservation(hall, start, start + timedelta(hours=2), user=booker, title="Neighbourhood talk")
    later = start + timedelta(days=35)  # next month (or the one after): reached with "Next month"
    choir = make_reservation(hall, later, later + timedelta(hours=1), user=booker, status="pending",
                             title="Choir practice")
    db.session.commit()
    return talk, choir


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_my_reservations_as_a_month_calendar(page, log_in, booker, bookings, screenshot, check_a11y, size):
    talk, choir = bookings
    if size == "phone":
        page.set_viewport_size(PHONE)
    log_in(page, booker)
    page.goto("/reservations")
    page.get_by_role("navigation", name="Show as").get_by_role("link", name="Calendar").click()
    expect(page).to_have_url(re.compile(r"view=calendar"))
    # The desktop shows the month as a grid; the phone as a list of the days that have reservations.
    grid = page.get_by_role("table") if size == "desktop" else page.locator(".my-days")
    month = page.get_by_role("heading", level=2)
    talk_day = talk.start_dt.astimezone(HELSINKI)
    if talk_day.month != utcnow().astimezone(HELSINKI).month:  # tomorrow is next month
        page.get_by_role("link", name="Next month").click()
    if size == "desktop":
        expect(grid.get_by_role("columnheader")).to_have_count(7)
    else:
        expect(page.get_by_role("table")).to_be_hidden()
        expect(grid.get_by_role("heading", level=3).first).to_contain_text(str(talk_day.day))
    expect(month).to_contain_text(str(talk_day.year))
    link = grid.get_by_role("link", name=re.compile("Neighbourhood talk"))
    expect(link).to_contain_text(f"{talk_day:%H:%M}–")
    expect(link.locator("xpath=..")).to_contain_text("confirmed")
    no_sideways_scroll(page)
    check_a11y(page)
    screenshot(page, f"my-calendar-{size}")

    # Keyboard: page on to the choir's month and open it.
    choir_day = choir.start_dt.astimezone(HELSINKI)
    steps = (choir_day.year * 12 + choir_day.month) - (talk_day.year * 12 + talk_day.month)
    for _ in range(steps):
        shown = month.inner_text()
        page.get_by_role("link", name="Next month").focus()
        page.keyboard.press("Enter")
        expect(month).not_to_have_text(shown)
    choir_link = grid.get_by_role("link", name=re.compile("Choir practice"))
    expect(choir_link.locator("xpath=..")).to_contain_text("awaiting decision")
    expect(month).to_contain_text(str(choir_day.year))
    no_sideways_scroll(page)
    choir_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/reservations/{choir.id}$"))

    # The switch back to the list keeps the tab.
    page.goto("/reservations?show=pending&view=calendar")
    page.get_by_role("navigation", name="Show as").get_by_role("link", name="List").click()
    expect(page).to_have_url(re.compile(r"show=pending$"))
    expect(page.locator(".res-entry")).to_contain_text("Choir practice")
