"""A facility manager creates a facility with opening hours and a closure, publishes it, and
finds it in the public catalogue; in Chromium."""
from datetime import date, timedelta

from playwright.sync_api import expect

from booking.accounts.models import Role


def test_manager_creates_and_publishes_a_facility(page, screenshot, log_in, create_user, create_department):
    department = create_department("Culture and Leisure")
    manager = create_user(name="Kalle Kulttuuri", role=Role.facility_manager, departments=[department])
    log_in(page, manager)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Manage facilities").click()
    expect(page.get_by_role("heading", name="My facilities", level=1)).to_be_visible()
    page.get_by_role("button", name="New facility").click()  # a link styled as a button

    page.get_by_label("Name", exact=False).first.fill("Koivu Community Hall")
    page.get_by_label("Category").select_option(label="Venue")
    page.get_by_label("Description · English").fill("A bright hall for meetings, courses and celebrations.")
    page.get_by_label("Capacity (people)").fill("60")
    page.get_by_label("Street address").fill("Koivukatu 3, Kuusilahti")
    page.get_by_label("District").fill("Koivumäki")
    page.get_by_label("Latitude").fill("62.2530")
    page.get_by_label("Longitude").fill("25.7300")
    page.get_by_label("Amenities and equipment").fill("Projector: 1\nChairs: 60")
    page.get_by_label("Step-free access").check()
    page.get_by_label("Induction loop").check()
    screenshot(page, "manage-new-facility")
    page.get_by_role("button", name="Create as draft").click()

    expect(page.get_by_role("status")).to_contain_text("The facility is saved as a draft.")
    expect(page.get_by_role("heading", name="Opening hours", level=1)).to_be_visible()
    page.get_by_label("Valid from").fill("2025-01-01")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday"):
        page.get_by_label(day).fill("08:00-20:00")
    page.get_by_label("Friday").fill("08:00-12:00, 13:00-18:00")
    page.get_by_label("Saturday").fill("10:00-16:00")
    page.get_by_role("button", name="Save these hours").click()
    expect(page.get_by_role("status")).to_contain_text("The opening hours from 2025-01-01 are saved.")
    expect(page.get_by_role("row", name="2025-01-01")).to_contain_text("08:00-12:00, 13:00-18:00")
    screenshot(page, "manage-opening-hours")

    sections = page.get_by_role("navigation", name="Sections of this facility")
    sections.get_by_role("link", name="Closures").click()
    first = date.today() + timedelta(days=30)
    page.get_by_label("First day").fill(first.isoformat())
    page.get_by_label("Last day").fill((first + timedelta(days=6)).isoformat())
    page.get_by_label("Reason").fill("Floor maintenance")
    page.get_by_role("button", name="Add the closure").click()
    expect(page.get_by_role("status")).to_contain_text("The closure is added.")
    expect(page.get_by_role("cell", name="Floor maintenance")).to_be_visible()
    screenshot(page, "manage-closures")

    sections.get_by_role("link", name="Overview").click()
    expect(page.get_by_text("Draft: only managers of Culture and Leisure and admins see it.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Koivu Community Hall is published")
    screenshot(page, "manage-published")

    sections.get_by_role("link", name="History").click()
    for label in ("Created", "Opening hours set", "Closure added", "Published"):
        expect(page.get_by_role("cell", name=label, exact=True)).to_be_visible()
    screenshot(page, "manage-history")

    page.get_by_role("link", name="My facilities").click()
    row = page.get_by_role("row", name="Koivu Community Hall")
    expect(row).to_contain_text("Published")

    # The public catalogue lists it now, for anyone.
    page.goto("/facilities")
    expect(page.get_by_role("link", name="Koivu Community Hall").first).to_be_visible()
    screenshot(page, "manage-in-catalogue")


def test_a_bad_csv_is_reported_line_by_line(page, screenshot, log_in, create_user, create_department, tmp_path):
    department = create_department("Culture and Leisure")
    manager = create_user(role=Role.facility_manager, departments=[department])
    log_in(page, manager)
    csv = tmp_path / "facilities.csv"
    csv.write_text("name,department,category,capacity\n"
                   "Good Room,Culture and Leisure,meeting_room,8\n"
                   "Bad Room,Culture and Leisure,castle,-1\n"
                   "Elsewhere,Sports and Recreation,sports,10\n", encoding="utf-8")
    page.goto("/manage/import")
    page.get_by_label("CSV file").set_input_files(str(csv))
    page.get_by_role("button", name="Import").click()
    report = page.get_by_role("region", name="Report")
    expect(report).to_contain_text("2 rows have problems; nothing was imported.")
    expect(report.get_by_role("row", name="3 Bad Room")).to_contain_text("category: Choose one of the categories")
    expect(report.get_by_role("row", name="4 Elsewhere")).to_contain_text("there is no department called")
    screenshot(page, "manage-import-report")


def test_manager_keeps_closures_in_sync_and_cancels_a_booking_a_closure_lands_on(
        page, screenshot, log_in, manager, facility, booker, reserve, local_server, allow_private):
    from tests.fixtures.reservations import hours, local

    reserve(booker, facility, *hours(local(2030, 3, 6, 10), 2), title="Board meeting")
    url = local_server.add("/closed.ics", (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:pipe@city\r\n"
        "DTSTAMP:20300101T000000Z\r\nDTSTART;VALUE=DATE:20300306\r\nSUMMARY:Burst pipe\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n").encode())
    log_in(page, manager)
    page.goto(f"/manage/{facility.id}/closures")
    page.get_by_label("The calendar's address (URL)").fill(url)
    page.get_by_role("button", name="Keep in sync").click(timeout=60_000)  # the first calendar starts the reader process
    expect(page.get_by_role("status").first).to_contain_text("The closures are now kept in sync with the calendar.")
    affected = page.locator("#affected")
    expect(affected).to_contain_text("Burst pipe")
    expect(affected).to_contain_text("Board meeting")
    expect(page.locator("#sync-outcome")).to_contain_text("Refreshed: 1 closures added")
    screenshot(page, "manage-closures-sync")

    affected.get_by_role("link", name="Cancel with a reason").click()
    page.get_by_label("Reason (optional)").fill("The hall is closed that day: a pipe burst. Sorry!")
    page.get_by_role("button", name="Cancel the reservation").click()
    expect(page.get_by_role("status").first).to_contain_text("The reservation is cancelled")
    expect(page.locator("#affected")).to_contain_text("No active reservation falls within a coming closure.")
