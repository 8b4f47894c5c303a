"""A seasonal round in Chromium: a youth association applies for Tuesday evenings (and a second
wish added without JavaScript), the sports department's manager runs the allocator after the
deadline, reviews the weekly grid and publishes, and the association sees its season booked
with prices and accepts it. Every page passes axe."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from booking.accounts.models import ActorType, Role
from booking.extensions import db
from booking.seasons import services as seasons
from booking.seasons.models import RoundState
from booking.unit_of_work import unit_of_work
from tests.seasons.conftest import EVENINGS, monday_in


def test_an_association_gets_its_tuesday_evenings_for_the_season(page, log_in, create_user, create_department,
                                                                  create_facility, create_tariff, screenshot,
                                                                  new_context, live_server):
    sports = create_department("Sports")
    manager = create_user(name="Sam Sports", role=Role.facility_manager, departments=[sports])
    hall = create_facility("East Hall", department=sports, hours=EVENINGS, capacity=40, category="sports")
    gym = create_facility("West Gym", department=sports, hours=EVENINGS, capacity=25, category="sports")
    create_tariff(hall)
    create_tariff(gym)
    coach = create_user(name="Coach Kim", actor_type=ActorType.third_sector)
    other = create_user(name="Trainer Tea", actor_type=ActorType.sme)
    start = monday_in(35)
    now = datetime.now(timezone.utc)
    with unit_of_work():
        round_ = seasons.create_round(manager, seasons.RoundInput(
            name="Autumn halls", season_start=start, season_end=start + timedelta(weeks=8, days=-1),
            opens_dt=now - timedelta(days=1), closes_dt=now + timedelta(days=7), facilities=[hall, gym],
            department_id=sports.id, cap_minutes_per_week=6 * 60))
        seasons.open_round(manager, round_)
        # A company wants the same Tuesday evening at East Hall.
        seasons.save_application(other, round_, other.organisations[0], seasons.ApplicationInput([seasons.WishInput(
            purpose="Staff floorball", weekday=1, earliest=datetime.min.time().replace(hour=17),
            latest=datetime.min.time().replace(hour=19), duration_minutes=90, facility_ids=[hall.id])]))

    # The association finds the round and applies.
    log_in(page, coach)
    page.goto("/rounds")
    page.get_by_role("link", name="Autumn halls").click()
    expect(page.get_by_role("heading", name="How the time is allocated")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Apply for ")).click()
    page.locator("#wishes-0-purpose").fill("Junior football")
    page.locator("#wishes-0-age_group").select_option("youth")
    page.locator("#wishes-0-participants").fill("18")
    page.locator("#wishes-0-weekday").select_option(label="Tuesday")
    page.locator("#wishes-0-earliest").fill("17:00")
    page.locator("#wishes-0-latest").fill("21:00")
    page.locator("#wishes-0-duration").select_option("90")
    page.locator("#wishes-0-first").select_option(label="East Hall")
    page.locator("#wishes-0-second").select_option(label="West Gym")
    page.get_by_role("button", name="Add another wish").click()
    expect(page.get_by_role("group", name="Wish 2")).to_be_visible()
    expect(page.locator("#wishes-0-purpose")).to_have_value("Junior football")
    page.locator("#wishes-1-purpose").fill("Girls' futsal")
    page.locator("#wishes-1-weekday").select_option(label="Thursday")
    page.locator("#wishes-1-earliest").fill("18:00")
    page.locator("#wishes-1-latest").fill("21:00")
    page.locator("#wishes-1-duration").select_option("60")
    page.locator("#wishes-1-first").select_option(label="West Gym")
    page.get_by_label("Our organisation is based in the city").check()
    screenshot(page, "seasons-apply")
    page.get_by_role("button", name="Send the application").last.click()
    expect(page.get_by_role("status")).to_contain_text("Your application is saved")

    # The deadline passes; the manager allocates, looks at the grid and publishes.
    round_.closes_dt = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.commit()
    city = new_context(base_url=live_server).new_page()
    log_in(city, manager)
    city.goto(f"/rounds/{round_.id}/manage")
    city.get_by_role("button", name="Run the allocator").click()
    expect(city.get_by_role("status")).to_contain_text("The allocation is proposed")
    expect(city.get_by_role("heading", name="Weekly grid per facility")).to_be_visible()
    expect(city.get_by_role("table", name="Allocated times at East Hall by weekday and start time")).to_contain_text(
        "Junior football")
    screenshot(city, "seasons-manage-grid")
    city.get_by_role("button", name="Publish and book the season").click()
    expect(city.get_by_role("status")).to_contain_text("The round is published")
    db.session.commit()  # a fresh snapshot of what the browser did
    assert round_.state == RoundState.published

    # The association sees its season booked, with prices, and why the company's wish went elsewhere.
    page.goto("/rounds")
    page.get_by_role("table", name="Your organisations' applications, newest first").get_by_role(
        "link", name="Autumn halls").click()
    expect(page.get_by_text("You got East Hall on Tuesday")).to_be_visible()
    expect(page.get_by_text("Booked: 8 dates").first).to_contain_text("€")
    screenshot(page, "seasons-result")
    page.get_by_role("link", name="See the dates and prices").first.click()
    expect(page.get_by_text("€").first).to_be_visible()
    screenshot(page, "seasons-series")
    page.go_back()
    page.get_by_role("button", name="Accept the season").click()
    expect(page.get_by_role("status")).to_contain_text("your season is confirmed")
