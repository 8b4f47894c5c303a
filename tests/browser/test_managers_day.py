"""The manager's day in Chromium (issue 15): log in and land on the inbox, open the department
calendar (desktop and a 390×844 phone: the page never scrolls sideways, the grid scrolls in its
own box), decide a request from it, check a reservation in and undo it. The admin lands on the
city overview and reads the audit log. axe runs on every page visited."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from booking.database import utcnow
from booking.extensions import db
from booking.reservations.models import ReservationStatus
from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.reservations.test_views import slot_floor

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def day_of_parks(manager, create_facility, booker, make_reservation):
    parks = manager.departments[0]
    hall = create_facility("Riverside Hall", slug="riverside-hall", department=parks)
    field_ = create_facility("Sports Field", slug="sports-field", department=parks)
    booker.organisations[0].contact_phone = "+358 40 555 0101"
    start = slot_floor(utcnow())
    yoga = make_reservation(field_, start, start + timedelta(hours=2), user=booker, title="Morning yoga")
    # Tomorrow at 10 (tomorrow at this time ran past midnight late in the evening: two links).
    tomorrow = datetime.combine(utcnow().astimezone(HELSINKI).date() + timedelta(days=1), time(10), HELSINKI)
    choir = make_reservation(hall, tomorrow, tomorrow + timedelta(hours=2), user=booker, status="pending",
                             title="Choir practice", decision_deadline_dt=utcnow() + timedelta(hours=20))
    db.session.commit()
    return parks, yoga, choir


def test_a_manager_works_the_day_from_the_inbox_and_the_department_calendar(page, log_in, manager, day_of_parks,
                                                                          screenshot, check_a11y):
    parks, yoga, choir = day_of_parks
    log_in(page, manager)

    expect(page.get_by_role("heading", name="Inbox: requests waiting for a decision")).to_be_visible()
    page.get_by_role("link", name="Today in the department calendar").click()
    expect(page.get_by_role("heading", name="Calendar of Parks")).to_be_visible()
    board = page.get_by_role("table")
    expect(board.get_by_role("rowheader", name="Sports Field")).to_be_visible()
    expect(board).to_contain_text("Morning yoga")
    no_sideways_scroll(page)
    screenshot(page, "managers-day-department-day")

    page.get_by_role("link", name="Show the whole week").click()
    if choir.start_dt.astimezone(HELSINKI).weekday() == 0:   # tomorrow is next week
        page.get_by_role("link", name="Next week").click()
    expect(board).to_contain_text("Choir practice")
    expect(board.get_by_role("columnheader")).to_have_count(8)
    screenshot(page, "managers-day-department-week")

    # Decide the request from the calendar: the booker's contact and history are beside it.
    board.get_by_role("link", name=re.compile("Choir practice")).click()
    expect(page.get_by_role("heading", name="Request: Choir practice")).to_be_visible()
    booker_box = page.locator(".booker")
    expect(booker_box).to_contain_text("+358 40 555 0101")
    expect(booker_box).to_contain_text("No past bookings.")
    screenshot(page, "managers-day-decide")
    page.get_by_role("button", name="Approve this request").click()
    expect(page.get_by_role("status")).to_contain_text("Approved.")

    # Check the yoga group in, from today's department calendar, and undo it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Department calendar").click()
    page.get_by_role("link", name="Today").first.click()
    page.get_by_role("button", name=re.compile(r"^Check in\W+Morning yoga")).click()   # a link to confirm
    expect(page.get_by_role("heading", name="Check in Morning yoga?")).to_be_visible()
    expect(page.get_by_text("You can undo it for 15 minutes")).to_be_visible()
    screenshot(page, "managers-day-confirm-check-in")
    page.get_by_role("button", name="Yes, check in").click()

    expect(page.get_by_role("status")).to_contain_text("Checked in: Morning yoga. You can undo it until")
    expect(page.get_by_role("heading", name="Calendar of Parks")).to_be_visible()
    undo = page.get_by_role("button", name=re.compile(r"^Undo check-in\W+Morning yoga"))
    expect(undo).to_be_visible()
    screenshot(page, "managers-day-checked-in")
    db.session.refresh(yoga)
    assert yoga.checked_in_dt is not None
    undo.click()
    expect(page.get_by_role("status")).to_contain_text("The check-in is undone: Morning yoga.")
    expect(page.get_by_role("button", name=re.compile(r"^Check in\W+Morning yoga"))).to_be_visible()
    db.session.refresh(yoga)
    db.session.refresh(choir)
    assert yoga.checked_in_dt is None and choir.status == ReservationStatus.confirmed

    # On a phone the page keeps to the screen; the grid scrolls inside its own box.
    page.set_viewport_size(PHONE)
    for view in ("day", "week"):
        page.goto(f"/reservations/departments/{parks.id}/calendar?view={view}")
        expect(page.get_by_role("heading", name="Calendar of Parks")).to_be_visible()
        no_sideways_scroll(page)
        check_a11y(page)
        screenshot(page, f"managers-day-department-{view}-phone")
    page.goto(f"/reservations/{yoga.id}/check-in")
    no_sideways_scroll(page)
    screenshot(page, "managers-day-confirm-phone")


def test_an_admin_lands_on_the_city_overview_and_reads_the_audit_log(page, log_in, admin, manager, day_of_parks,
                                                                    create_department, screenshot):
    create_department("Culture")
    log_in(page, admin)

    expect(page.get_by_role("heading", name="City overview")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("^Parks"))
    expect(row).to_contain_text("1")
    screenshot(page, "managers-day-overview")
    row.get_by_role("link", name=re.compile("Today")).click()
    expect(page.get_by_role("heading", name="Calendar of Parks")).to_be_visible()
    expect(page.get_by_label("Department")).to_be_visible()   # admins choose any department

    page.goto("/admin/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    screenshot(page, "managers-day-audit-log")
    page.set_viewport_size(PHONE)
    page.goto("/admin/overview")
    no_sideways_scroll(page)
    screenshot(page, "managers-day-overview-phone")


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_department_calendar_in_finnish_and_swedish_on_a_phone(page, log_in, manager, day_of_parks, language,
                                                                  screenshot):
    parks, yoga, _choir = day_of_parks
    log_in(page, manager)
    page.locator("#language").select_option(language)
    page.locator("form[action='/language'] button").click()
    expect(page.locator("html")).to_have_attribute("lang", language)

    page.set_viewport_size(PHONE)
    for view in ("day", "week"):
        page.goto(f"/reservations/departments/{parks.id}/calendar?view={view}")
        no_sideways_scroll(page)
        screenshot(page, f"managers-day-department-{view}-phone-{language}")
    page.goto(f"/reservations/{yoga.id}/check-in")
    no_sideways_scroll(page)
    screenshot(page, f"managers-day-confirm-phone-{language}")
