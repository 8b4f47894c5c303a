"""Booking in Chromium: a single slot step by step, a weekly series with a clashing week left
out, a manager approving from the inbox, and the organisation cancelling. Every page passes axe
(checked automatically on each page visited, and again after the page changed)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from booking.extensions import db
from booking.facilities.models import ApprovalPolicy, BookingQuestion, FacilityTerms, QuestionKind
from booking.reservations import services
from booking.reservations.models import ReservationStatus
from tests.facilities.helpers import at, next_monday


@pytest.fixture
def hall(create_facility, manager):
    hall = create_facility("Riverside Hall", slug="riverside-hall", department=manager.departments[0],
                           category="venue", capacity=80, address="Rantatie 1")
    hall.terms.append(FacilityTerms(version=3, text="Leave the hall as you found it.\nNo confetti."))
    hall.questions.append(BookingQuestion(label="Will you serve food?", kind=QuestionKind.yes_no, required=True))
    db.session.commit()
    return hall


def test_a_member_books_a_single_slot(page, log_in, booker, hall, check_a11y, screenshot):
    monday = next_monday()
    log_in(page, booker)

    page.goto(f"/facilities/{hall.slug}")
    booking = page.locator("#booking")
    booking.get_by_label("Date", exact=True).fill(monday.isoformat())
    booking.get_by_label("Duration").select_option(label="2 hours")
    booking.get_by_role("button", name="Show free start times").click()
    expect(page.get_by_role("heading", name=re.compile("Free start times on Monday"))).to_be_visible()
    expect(booking).to_contain_text(f"Booking for {booker.organisations[0].name}")
    screenshot(page, "reservations-choose")
    booking.get_by_role("button", name="10:00–12:00").click()

    expect(page.get_by_role("heading", name="Tell us about your booking")).to_be_visible()
    expect(page.get_by_text("We keep this time for you until")).to_be_visible()
    page.get_by_role("button", name="Continue to review").click()  # nothing filled in: the summary says what
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Title")
    expect(summary).to_contain_text("Will you serve food?")
    check_a11y(page)
    screenshot(page, "reservations-details-errors")
    summary.get_by_role("link", name=re.compile("Title")).click()
    expect(page.get_by_label("Title")).to_be_focused()
    page.get_by_label("Title").fill("Neighbourhood meeting")
    page.get_by_label("Purpose").fill("Plan the spring clean-up.")
    page.get_by_label("Expected attendees").fill("25")
    page.get_by_role("radio", name="No").check()
    screenshot(page, "reservations-details")
    page.get_by_role("button", name="Continue to review").click()

    expect(page.get_by_role("heading", name="Review and send")).to_be_visible()
    expect(page.get_by_text("Leave the hall as you found it.")).to_be_visible()
    page.get_by_label("I accept the terms (version 3)").check()
    screenshot(page, "reservations-review")
    page.get_by_role("button", name="Confirm the booking").click()

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    expect(page.get_by_role("link", name="Add to your calendar (.ics file)")).to_be_visible()
    screenshot(page, "reservations-confirmed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My reservations").click()
    expect(page.locator(".res-entry")).to_contain_text("Neighbourhood meeting")
    screenshot(page, "reservations-mine")


def test_a_member_books_a_weekly_series_leaving_out_a_clashing_week(page, log_in, booker, hall, create_user,
                                                                   screenshot):
    monday = next_monday()
    clash = monday + timedelta(weeks=2)
    other = create_user()
    services.create_reservation(other, hall, other.organisations[0], at(clash, 11), at(clash, 12),
                                title="Someone else's", answers={str(hall.questions[0].id): "no"}, accept_terms=True)
    log_in(page, booker)

    page.goto(f"/reservations/book/{hall.slug}?date={monday.isoformat()}&duration=120")
    page.get_by_text("Repeat (optional)").click()
    page.get_by_label("Repeat", exact=True).select_option("weekly")
    page.get_by_label("Number of times").fill("4")
    screenshot(page, "reservations-series-choose")
    page.get_by_role("button", name="10:00–12:00").click()

    expect(page.get_by_role("heading", name="Book a series: Riverside Hall")).to_be_visible()
    expect(page.get_by_text("1 of them cannot be booked and is left out.")).to_be_visible()
    rows = page.locator(".occurrence-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("Already reserved from")
    expect(rows.nth(2).get_by_role("checkbox")).to_be_checked()
    expect(rows.nth(1).get_by_role("checkbox")).not_to_be_checked()
    page.get_by_label("Title").fill("Weekly choir")
    page.get_by_label("Expected attendees").fill("20")
    page.get_by_role("radio", name="No").check()
    page.get_by_label("I accept the terms (version 3)").check()
    screenshot(page, "reservations-series-preview")
    page.get_by_role("button", name="Book the series").click()

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    expect(page.get_by_role("heading", name="3 dates booked")).to_be_visible()
    screenshot(page, "reservations-series-confirmed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My reservations").click()
    entry = page.locator(".res-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Weekly, 3 dates")
    entry.get_by_text("All dates of this series").click()
    expect(entry.locator(".res-occurrences li")).to_have_count(3)
    screenshot(page, "reservations-mine-series")


def test_a_manager_approves_a_request_from_the_inbox(page, log_in, manager, booker, hall, screenshot):
    hall.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    monday = next_monday()
    request = services.create_reservation(booker, hall, booker.organisations[0], at(monday, 10), at(monday, 12),
                                          title="Choir practice", purpose="Singing for the spring concert",
                                          answers={str(hall.questions[0].id): "no"}, accept_terms=True)
    services.create_internal_block(manager, hall, at(monday + timedelta(days=1), 8), at(monday + timedelta(days=1), 9),
                                   title="Floor polishing")
    log_in(page, manager)

    inbox = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Inbox"))
    expect(inbox).to_contain_text("1")
    inbox.click()
    expect(page.get_by_role("heading", name="Inbox: requests waiting for a decision")).to_be_visible()
    screenshot(page, "reservations-inbox")
    page.get_by_role("button", name=re.compile(r"^Decide\W+Choir practice")).click()  # a link styled as a button

    expect(page.get_by_role("heading", name="Request: Choir practice")).to_be_visible()
    expect(page.locator(".agenda")).to_contain_text("Floor polishing")
    expect(page.locator(".agenda-highlight")).to_contain_text("This request:")
    page.get_by_role("button", name="Decline this request").click()  # without a reason
    expect(page.locator(".error-summary")).to_contain_text("Give a reason; it is sent to the booker.")
    screenshot(page, "reservations-decide-errors")
    page.get_by_label("Internal note (optional)").first.fill("Regular group, no issues.")
    screenshot(page, "reservations-decide")
    page.get_by_role("button", name="Approve this request").click()

    expect(page.get_by_role("status")).to_contain_text("Approved. The booker is told by e-mail.")
    expect(page.get_by_text("Nothing is waiting for a decision.")).to_be_visible()
    screenshot(page, "reservations-approved")
    db.session.refresh(request)
    assert request.status == ReservationStatus.confirmed

    # The facility's week, with a block added for maintenance.
    page.get_by_role("link", name="Riverside Hall").click()
    expect(page.get_by_role("heading", name="Calendar of Riverside Hall")).to_be_visible()
    page.get_by_role("link", name="Next week").click()
    expect(page.locator(".agenda")).to_contain_text("Choir practice")
    page.get_by_label("What is it").fill("Boiler maintenance")
    page.get_by_label("Start date").fill((monday + timedelta(days=2)).isoformat())
    page.get_by_label("Start time").fill("07:00")
    page.get_by_label("End time").fill("09:00")
    page.get_by_role("button", name="Block this time").click()
    expect(page.get_by_role("status")).to_contain_text("The time is blocked")
    expect(page.locator(".agenda")).to_contain_text("Boiler maintenance")
    screenshot(page, "reservations-facility-calendar")


def test_the_organisation_cancels_a_reservation(page, log_in, booker, hall, create_user, screenshot):
    colleague = create_user(name="Cole League", organisation=booker.organisations[0])
    monday = next_monday()
    reservation = services.create_reservation(booker, hall, booker.organisations[0], at(monday, 14), at(monday, 16),
                                              title="Board meeting", answers={str(hall.questions[0].id): "no"},
                                              accept_terms=True)
    log_in(page, colleague)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My reservations").click()
    page.get_by_role("link", name="See all of your organisation's reservations").click()
    entry = page.locator(".res-entry", has_text="Board meeting")
    expect(entry).to_contain_text(f"booked by {booker.name}")
    screenshot(page, "reservations-organisation")
    entry.get_by_role("button", name=re.compile(r"^Cancel\W+Board meeting")).click()  # a link styled as a button

    expect(page.get_by_role("heading", name="Cancel Board meeting")).to_be_visible()
    expect(page.get_by_text("Free cancellation until")).to_be_visible()
    page.get_by_label("Reason (optional)").fill("The board meets online instead.")
    screenshot(page, "reservations-cancel")
    page.get_by_role("button", name="Cancel the reservation").click()

    expect(page.get_by_role("status")).to_contain_text("The reservation is cancelled and its time is free again.")
    expect(page.get_by_role("heading", name=re.compile("Reservations of"))).to_be_visible()
    expect(page.get_by_text("Nothing here.")).to_be_visible()
    screenshot(page, "reservations-cancelled")
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.cancelled
