"""Prices in Chromium: a manager sets a tariff with an evening band and an actor-type discount
through the pages; an admin issues a month's invoices and opens one. Every page passes axe."""
from __future__ import annotations

from playwright.sync_api import expect

from booking.accounts.models import ActorType
from tests.fixtures.pricing import at


def test_a_manager_sets_a_tariff_with_a_band_and_an_actor_type_discount(page, log_in, manager, facility, screenshot):
    log_in(page, manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Prices").click()
    expect(page.get_by_role("row", name="Riverside Hall")).to_contain_text("no tariff: no price")
    page.get_by_role("link", name="Riverside Hall").click()
    expect(page.get_by_text("No tariff is in force today")).to_be_visible()
    page.get_by_role("button", name="New tariff").click()  # a link styled as a button

    tariff = page.get_by_role("group", name="Tariff", exact=True)
    tariff.get_by_label("Name · English").fill("Standard")
    tariff.get_by_label("Valid from").fill("2024-01-01")
    page.get_by_label("Base price (€)").fill("60")
    page.get_by_label("include VAT", exact=True).check()
    expect(page.get_by_label("VAT rate (%)")).to_have_value("25.50")
    band = page.get_by_role("group", name="Time band 1")
    band.get_by_label("Name").fill("Evenings")
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        band.get_by_label(day).check()
    band.get_by_label("From").fill("17:00")
    band.get_by_label("Until").fill("22:00")
    band.get_by_label("Price change (%)").fill("20")
    association = page.get_by_role("group", name="Association or other third-sector organisation")
    association.get_by_label("Rule").select_option(label="Percentage off")
    association.get_by_label("Discount (%)").fill("50")
    page.get_by_role("group", name="Citizen group").get_by_label("Rule").select_option(label="Free of charge")
    screenshot(page, "pricing-tariff-form")
    page.get_by_role("button", name="Save the tariff").click()

    expect(page.get_by_role("status")).to_contain_text("The tariff from 2024-01-01 is saved.")
    summary = page.get_by_role("region", name="In force today: Standard")
    expect(summary).to_contain_text("€60.00 per hour. Prices include VAT 25.5 %.")
    expect(summary).to_contain_text("Evenings: Mon, Tue, Wed, Thu, Fri 17:00–22:00 +20 %")
    expect(summary).to_contain_text("Association or other third-sector organisation: −50 %")
    expect(summary).to_contain_text("Citizen group: free of charge")
    screenshot(page, "pricing-tariffs")


def test_an_admin_issues_the_month_s_invoices_and_opens_one(page, log_in, admin, facility, create_tariff,
                                                            create_snapshot, create_organisation, screenshot):
    create_tariff(facility)
    sensors = create_organisation("Nordic Sensors Oy", ActorType.sme, business_id="2345671-3",
                                  address="Sensorikatu 4, 40100 Kuusilahti")
    youth = create_organisation("Kuusilahti Youth Association ry", ActorType.third_sector)
    create_snapshot(facility, sensors, at(2030, 3, 5, 10), at(2030, 3, 5, 12), description="Sensor pilot kick-off")
    create_snapshot(facility, sensors, at(2030, 3, 12, 17), at(2030, 3, 12, 19), description="Demo evening")
    create_snapshot(facility, youth, at(2030, 3, 8, 18), at(2030, 3, 8, 21), description="Youth night")
    log_in(page, admin)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()
    page.get_by_role("textbox", name="Month").fill("2030-03")
    page.get_by_role("button", name="Issue invoices").click()
    expect(page.get_by_role("status")).to_contain_text("2 invoices issued for 2030-03.")
    expect(page.get_by_role("row", name="Nordic Sensors Oy")).to_contain_text("€331.32")
    screenshot(page, "pricing-invoices")

    page.get_by_role("row", name="Nordic Sensors Oy").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Invoice 2", level=1)).to_be_visible()
    invoice = page.locator("article.invoice")
    for text in ("Nordic Sensors Oy", "2345671-3", "Sensor pilot kick-off", "Demo evening", "RF", "To pay",
                 "€331.32"):
        expect(invoice).to_contain_text(text)
    screenshot(page, "pricing-invoice")
