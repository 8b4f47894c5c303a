"""Prices where people decide, in Chromium: an association sees its discounted price before
booking and a company the full price; a late cancellation states its fee before it is made
and records it."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from booking.accounts.models import ActorType
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import LateCancellation
from booking.pricing.models import BillingStatus
from booking.reservations import services
from booking.unit_of_work import unit_of_work
from tests.facilities.helpers import next_monday


@pytest.fixture
def priced_hall(create_facility, create_tariff, manager):
    hall = create_facility("Riverside Hall", slug="riverside-hall", department=manager.departments[0],
                           category="venue", capacity=80, hours={day: [(time(0), time(0))] for day in range(7)})
    hall.rules.late_cancellation = LateCancellation.fee
    db.session.commit()
    create_tariff(hall, late_fee_percent=50)  # €60/h + VAT, evenings +20 %, third sector −50 %
    return hall


def book_to_review(page, hall, day):
    page.goto(f"/facilities/{hall.slug}?date={day.isoformat()}&duration=120#booking")
    page.locator("#booking").get_by_role("button", name="10:00–12:00").click()
    page.get_by_label("Title").fill("Spring meeting")
    page.get_by_label("Expected attendees").fill("20")
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review and send")).to_be_visible()


def test_an_association_sees_its_discount_and_a_company_the_full_price(page, log_in, create_user, priced_hall,
                                                                      screenshot):
    association = create_user(name="Aino Association", actor_type=ActorType.third_sector)
    company = create_user(name="Sami SME", actor_type=ActorType.sme)
    day = next_monday()

    log_in(page, association)
    page.goto(f"/facilities/{priced_hall.slug}")
    expect(page.locator("#price")).to_contain_text(re.compile(r"From €37\.65 per hour for"))
    screenshot(page, "price-facility-association")
    book_to_review(page, priced_hall, day)
    price = page.locator(".reservation-price")
    expect(price).to_contain_text("Discount for Association or other third-sector organisation −50 %")
    expect(price).to_contain_text("€75.30")  # 2 h × €60 −50 %, VAT 25.5 % added
    screenshot(page, "price-review-association")
    page.get_by_role("button", name="Confirm the booking").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, company)
    page.goto("/facilities")
    expect(page.locator(".card-fact").first).to_contain_text("From €75.30 per hour")
    book_to_review(page, priced_hall, day + timedelta(days=1))
    expect(page.locator(".reservation-price")).to_contain_text("€150.60")
    expect(page.locator(".reservation-price")).not_to_contain_text("Discount")
    screenshot(page, "price-review-company")


def test_a_late_cancellation_states_its_fee_and_records_it(page, log_in, booker, priced_hall, screenshot):
    # Booked three days ahead; now it starts in 30 hours, past the facility's 48-hour deadline.
    priced_hall.rules.cancellation_deadline_hours = 48
    db.session.commit()
    start = (utcnow() + timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    with unit_of_work():
        reservation = services.create_reservation(booker, priced_hall, booker.organisations[0], start,
                                                  start + timedelta(hours=1), title="Choir practice",
                                                  now=start - timedelta(days=3))
    log_in(page, booker)

    page.goto(f"/reservations/{reservation.id}/cancel")
    fee = page.locator(".flash-info")
    expect(fee).to_contain_text(re.compile(r"cancelling now costs a fee of €\d+\.\d\d"))
    screenshot(page, "price-late-cancel")
    page.get_by_role("button", name="Cancel the reservation").click()
    expect(page.get_by_text("a cancellation fee applies")).to_be_visible()

    page.goto(f"/reservations/{reservation.id}")
    expect(page.locator(".reservation-price")).to_contain_text("Owed: the late-cancellation fee")
    screenshot(page, "price-late-cancel-recorded")
    db.session.expire_all()
    assert reservation.price.billing_status == BillingStatus.billable and reservation.price.late_fee_cents > 0
