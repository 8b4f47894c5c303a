"""A manager writes a facility's texts in English, Finnish and Swedish side by side, and the
public page shows each language to its reader (a missing translation marked); in Chromium."""
from playwright.sync_api import expect

from booking.accounts.models import Role


def test_manager_writes_three_languages_and_each_reader_sees_theirs(page, screenshot, log_in, create_user,
                                                                     create_department, create_facility,
                                                                     check_a11y):
    department = create_department("Culture and Leisure")
    manager = create_user(name="Kalle Kulttuuri", role=Role.facility_manager, departments=[department])
    facility = create_facility("Riverside Hall", slug="riverside-hall", department=department, category="venue",
                               description="A bright hall by the river.", house_rules="No smoking.",
                               amenities={"Projector": 1, "Chairs": 60})
    log_in(page, manager)

    page.goto(f"/manage/{facility.id}/edit")
    names = page.get_by_role("group", name="Name", exact=True)
    expect(names.get_by_label("Name · English")).to_have_value("Riverside Hall")
    names.get_by_label("Name · Suomi").fill("Rantasali")
    names.get_by_label("Name · Svenska").fill("Strandsalen")
    page.get_by_label("Description · Suomi").fill("Valoisa sali joen rannalla.")
    page.get_by_label("Description · Svenska").fill("En ljus sal vid ån.")
    page.get_by_label("House rules · Suomi").fill("Tupakointi kielletty.")
    # The Swedish house rules are left out: Swedish readers get the English ones, marked.
    screenshot(page, "content-side-by-side")
    check_a11y(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The details are saved.")

    for locale, heading, description in (("fi", "Rantasali", "Valoisa sali joen rannalla."),
                                         ("sv", "Strandsalen", "En ljus sal vid ån."),
                                         ("en", "Riverside Hall", "A bright hall by the river.")):
        choose_language(page, locale)
        page.goto("/facilities/riverside-hall")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_text(description)).to_be_visible()
        screenshot(page, f"content-facility-{locale}")
    # Swedish: the house rules fall back to English, marked as such.
    choose_language(page, "sv")
    page.goto("/facilities/riverside-hall")
    rules = page.locator('.prose[lang="en"]', has_text="No smoking.")
    expect(rules).to_be_visible()
    check_a11y(page)


def choose_language(page, locale: str) -> None:
    page.goto("/")
    page.locator("#language").select_option(locale)
    page.locator("form:has(#language) button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", locale)
