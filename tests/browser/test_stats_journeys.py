"""Statistics in Chromium: an admin opens the dashboard, filters one department, reads the
figures (chart, table, heatmap) and downloads the table as CSV; the numbers are the
fixture's hand-computed ones. Every page passes axe."""
from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from booking.stats import rollups
from booking.unit_of_work import unit_of_work

from tests.fixtures.reservations import hours, local


def test_an_admin_filters_a_department_and_downloads_the_csv(page, log_in, admin, facility, create_facility, booker,
                                                            reserve, screenshot):
    harbour = create_facility("Harbour Lab", department="Harbour")
    reserve(booker, facility, *hours(local(2030, 3, 5, 10), 2))
    reserve(booker, harbour, *hours(local(2030, 3, 6, 10), 3))
    with unit_of_work():  # what the nightly job does for the days it covers
        rollups.refresh(None, date(2030, 3, 1), date(2030, 3, 31))
    log_in(page, admin)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics").click()
    page.get_by_role("textbox", name="From", exact=True).fill("2030-03-01")
    page.get_by_role("textbox", name="To", exact=True).fill("2030-03-31")
    page.get_by_label("Interval", exact=True).select_option(label="Week")
    page.get_by_label("Group by").select_option(label="Facility")
    page.get_by_label("Department", exact=True).select_option(label="Parks")
    page.get_by_role("button", name="Show").click()

    # Riverside Hall alone: open 08–20 on 31 days = 372 h, of which 2 h booked.
    summary = page.locator("#summary")
    expect(summary.locator("[data-figure=open]")).to_have_text("372.0")
    expect(summary.locator("[data-figure=booked]")).to_have_text("2.0")
    expect(summary.locator("[data-figure=utilisation]")).to_have_text("0.5 %")
    rows = page.locator("#rows")
    expect(rows).to_contain_text("Riverside Hall")
    expect(rows).not_to_contain_text("Harbour Lab")
    expect(page.locator("#utilisation-chart")).to_be_visible()
    # Tuesday 10:00: March 2030 has 4 Tuesdays, one booked from 10 to 12 = 25 %.
    expect(page.locator("#heatmap tbody tr").nth(1).locator("td").nth(10)).to_have_text("25")
    screenshot(page, "stats-dashboard")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.splitlines()[0].startswith("period,group,label,open_hours,booked_hours")
    assert "Harbour Lab" not in text
    # The week of 4 March: 7 days × 12 h open, 2 h booked.
    assert "2030-03-04,%d,Riverside Hall,84.0,2.0,0.0,82.0,0.0238,1,1" % facility.id in text
