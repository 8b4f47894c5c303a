"""A pilot in Chromium: an SME proposes it with a partner and a four-week block; the department
requests changes; it is resubmitted and approved; a change after the first signature voids it;
every party accepts, which books the block; the pilot runs, reports, and appears in the public
registry. A second journey answers a city challenge with two partners and is approved after the
challenge's deadline. A third proposes time at two facilities (rows added and removed without
JavaScript) and reads both, priced, on the agreement. Every page passes axe."""
from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from booking.accounts.models import ActorType
from tests.fixtures.agreements import CLAUSES, TEMPLATE_BODY

FIRST = date.today() + timedelta(days=14)
LAST = FIRST + timedelta(weeks=4)


def fill_proposal(page, title, partners, facility="Harbour Testbed", fill_dates=True):
    """The proposal form, complete, with a four-week block from FIRST to LAST (not yet saved)."""
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Twelve sensors measuring particulates.")
    if fill_dates:
        page.get_by_label("First day of the pilot").fill(FIRST.isoformat())
        page.get_by_label("Last day of the pilot").fill(LAST.isoformat())
    page.get_by_label("Partner organisations").select_option(label=[p.organisations[0].name for p in partners])
    page.get_by_label("Success criteria (KPIs)").fill("Data availability over 95 %")
    page.get_by_label("Facility", exact=True).select_option(label=facility)   # the one row shown at first
    page.get_by_label("Facility time from (date)").fill(FIRST.isoformat())
    page.get_by_label("from (time)").fill("10:00")
    page.get_by_label("until (date)").fill(LAST.isoformat())
    page.get_by_label("until (time)").fill("10:00")
    page.get_by_label("Insurer").fill("Vakuutus Oy")
    page.get_by_label("Policy number").fill("P-123")
    page.get_by_label("Insurance valid until").fill((LAST + timedelta(days=90)).isoformat())
    page.get_by_label("Removal and restoration of the site").fill("Removed within a week.")


def decide(city, detail, name, reason="", expected="Done", role="status"):
    city.goto(detail)
    if reason:
        city.locator(f"#reason-{name}").fill(reason)
    city.get_by_role("button", name={"approve": "Approve", "request_changes": "Request changes"}[name],
                     exact=True).click()
    expect(city.get_by_role(role)).to_contain_text(expected)


def harbour(create_facility, manager):
    return create_facility("Harbour Testbed", department=manager.departments[0], category="public_space",
                           rules={"allow_multi_day": True, "max_duration_minutes": None})


def test_a_pilot_from_proposal_to_the_public_registry(page, log_in, create_user, manager, create_facility, screenshot,
                                                      new_context, live_server):
    from booking.agreements import services
    from booking.unit_of_work import unit_of_work

    harbour(create_facility, manager)
    with unit_of_work():
        services.save_template(None, "Pilot agreement", TEMPLATE_BODY, CLAUSES)
    lead = create_user(name="Sanna SME", actor_type=ActorType.sme)
    partner = create_user(name="Rami Research", actor_type=ActorType.research)

    # The lead works in `page` (every page checked by axe); the city and the partner each in their own browser.
    city, research = (new_context(base_url=live_server).new_page() for _ in range(2))
    log_in(page, lead)
    log_in(city, manager)
    log_in(research, partner)

    def accept_as(tab):
        tab.goto(detail)
        tab.get_by_label("I have read the agreement").check()
        tab.get_by_role("button", name="Accept the agreement").click()
        expect(tab.get_by_role("status")).to_contain_text("Accepted.")

    page.goto("/agreements/new")
    fill_proposal(page, "Street-level air sensors", [partner])
    screenshot(page, "agreement-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    detail = page.url
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("submitted")

    decide(city, detail, "request_changes", "Add the noise KPI.")
    page.goto(detail)
    expect(page.get_by_role("note")).to_contain_text("Add the noise KPI.")
    page.get_by_role("button", name="Change the agreement…").click()
    page.get_by_label("Success criteria (KPIs)").fill("Data availability over 95 %; noise under 55 dB")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("submitted")

    decide(city, detail, "approve")
    # Approval holds the four weeks for the pilot until every party has signed.
    expect(city.get_by_role("link", name="held for this agreement until it is signed")).to_be_visible()
    accept_as(page)
    # A change after a signature voids it: the agreement goes back to review.
    page.goto(detail)
    page.get_by_role("button", name="Change the agreement…").click()
    expect(page.get_by_role("note")).to_contain_text("voids every signature")
    page.get_by_label("Description").fill("Twelve sensors measuring particulates and noise.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The signatures given so far are void")
    decide(city, detail, "approve")
    accept_as(page)
    accept_as(research)
    city.goto(detail)
    city.get_by_label("I have read the agreement").check()
    city.get_by_role("button", name="Accept the agreement").click()
    expect(city.get_by_role("status")).to_contain_text("The pilot is signed and its facility time booked.")
    city.get_by_role("button", name="Start the pilot").click()

    page.goto(detail)
    expect(page.get_by_role("link", name="booked (confirmed)")).to_be_visible()
    screenshot(page, "agreement-signed")
    page.get_by_label("Results against each KPI").fill("97 % availability; noise peaks at the ferry.")
    page.get_by_label("Lessons for the city").fill("Mount the sensors higher.")
    page.get_by_label("It could scale to other cities").check()
    page.get_by_role("button", name="File the outcome report").click()
    expect(page.get_by_role("status")).to_contain_text("The outcome report is filed.")
    city.goto(detail)
    city.get_by_label("The city's assessment").fill("Useful data for the air-quality plan.")
    city.get_by_role("button", name="Accept the report and complete the pilot").click()
    expect(city.get_by_role("status")).to_contain_text("appears in the public registry")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pilots").click()
    pilot = page.get_by_role("article", name="Street-level air sensors")
    expect(pilot).to_contain_text(lead.organisations[0].name)
    expect(pilot).to_contain_text("Mount the sensors higher.")
    expect(pilot).not_to_contain_text("Sanna SME")   # organisations, never people
    screenshot(page, "pilot-registry")


def test_an_sme_answers_a_challenge_with_two_partners_approved_after_the_deadline(
        page, log_in, create_user, manager, create_facility, screenshot, new_context, live_server):
    from sqlalchemy import update

    from booking.agreements import services
    from booking.agreements.models import Challenge
    from booking.database import utcnow
    from booking.extensions import db
    from booking.unit_of_work import unit_of_work

    facility = harbour(create_facility, manager)
    with unit_of_work():
        services.save_template(None, "Pilot agreement", TEMPLATE_BODY, CLAUSES)
        challenge = services.create_challenge(manager, manager.departments[0], services.ChallengeInput(
            title="Cleaner harbour air", need="Measure particulates at the ferry terminal.",
            period_start_date=FIRST, period_end_date=LAST, deadline_dt=utcnow() + timedelta(days=7),
            criteria=[{"name": "Impact on air quality", "weight": 60}, {"name": "Cost", "weight": 40}],
            facilities=[facility]))
    lead = create_user(name="Sanna SME", actor_type=ActorType.sme)
    partners = [create_user(name="Rami Research", actor_type=ActorType.research),
                create_user(name="Tiina Third Sector", actor_type=ActorType.third_sector)]
    city = new_context(base_url=live_server).new_page()
    log_in(page, lead)
    log_in(city, manager)

    page.goto(f"/challenges/{challenge.id}")
    page.get_by_role("button", name="Answer with a proposal").click()   # a link styled as a button
    expect(page.get_by_text("Answers the challenge “Cleaner harbour air”.")).to_be_visible()
    fill_proposal(page, "Ferry terminal air sensors", partners, fill_dates=False)   # the challenge's period
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    detail = page.url
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("submitted")
    for partner in partners:
        expect(page.get_by_text(partner.organisations[0].name).first).to_be_visible()

    decide(city, detail, "approve", expected="Proposals are selected after the challenge's deadline.", role="alert")
    # Time passes in the test by a direct database update: the challenge's deadline moves into
    # the past after the proposal was submitted, so the department may now select it.
    db.session.execute(update(Challenge).where(Challenge.id == challenge.id)
                       .values(deadline_dt=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    decide(city, detail, "approve")

    city.goto(f"/challenges/{challenge.id}")
    expect(city.get_by_text("Closed", exact=True)).to_be_visible()
    row = city.get_by_role("row", name="Ferry terminal air sensors")
    expect(row).to_contain_text("approved")
    screenshot(city, "challenge-decided")


def test_an_sme_proposes_a_pilot_with_time_at_two_facilities(page, log_in, create_user, manager, create_facility,
                                                              create_tariff, screenshot):
    harbour_ = harbour(create_facility, manager)
    library = create_facility("Library Lab", department=manager.departments[0],
                              rules={"allow_multi_day": True, "max_duration_minutes": None})
    create_tariff(harbour_, unit="per_day", base_price_cents=10000, bands=())
    create_tariff(library, unit="per_hour", base_price_cents=2000, prices_include_vat=True, bands=())
    lead = create_user(name="Sanna SME", actor_type=ActorType.sme)
    partner = create_user(name="Rami Research", actor_type=ActorType.research)
    log_in(page, lead)

    page.goto("/agreements/new")
    fill_proposal(page, "Sensors at the harbour and the library", [partner])
    page.get_by_label("Pilot fee paid by the city (€)").fill("8000")
    page.get_by_label("of which paid at signing (€)").fill("3000")
    # Rows are added by a submit that shows the form again, with what was typed kept.
    page.get_by_role("button", name="Add another facility time").click()
    expect(page.get_by_label("Title")).to_have_value("Sensors at the harbour and the library")
    second = page.get_by_role("group", name="Facility time 2")
    expect(second.get_by_label("Facility", exact=True)).to_be_focused()
    page.get_by_role("button", name="Add another facility time").click()
    expect(page.get_by_role("group", name="Facility time 3")).to_be_visible()
    page.get_by_role("button", name="Remove facility time 3").click()
    expect(page.get_by_role("group", name="Facility time 3")).to_have_count(0)

    # An incomplete second row is refused in its row, and the first row keeps its values.
    second.get_by_label("Facility", exact=True).select_option(label="Library Lab")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Facility time 2, Facility time from (date): Give the date.")
    expect(second.get_by_label("from (time)")).to_have_attribute("aria-invalid", "true")
    first = page.get_by_role("group", name="Facility time 1")
    expect(first.get_by_label("until (date)")).to_have_value(LAST.isoformat())
    screenshot(page, "agreement-form-two-blocks-error")
    second.get_by_label("Facility time from (date)").fill((FIRST + timedelta(days=7)).isoformat())
    second.get_by_label("from (time)").fill("09:00")
    second.get_by_label("until (date)").fill((FIRST + timedelta(days=7)).isoformat())
    second.get_by_label("until (time)").fill("15:00")
    screenshot(page, "agreement-form-two-blocks")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")

    blocks = page.get_by_role("table", name="The facility time the pilot uses")
    expect(blocks.get_by_role("row", name="Harbour Testbed")).to_contain_text("€")
    expect(blocks.get_by_role("row", name="Library Lab")).to_contain_text("€120.00")   # six hours at €20
    fee = page.get_by_role("table", name="The pilot fee's milestones")
    expect(fee.get_by_role("row", name="At signing")).to_contain_text("€3,000.00")
    expect(fee.get_by_role("row", name="On accepting the outcome report")).to_contain_text("€5,000.00")
    expect(fee.get_by_role("row", name="On accepting the outcome report")).to_contain_text("not yet")
    screenshot(page, "agreement-two-blocks")

    # The edit page shows every row.
    page.get_by_role("button", name="Change the agreement…").click()
    expect(page.get_by_role("group", name="Facility time 2").get_by_label("Facility", exact=True)).to_have_value(
        str(library.id))
    expect(page.get_by_role("group", name="Facility time 1").get_by_label("Facility", exact=True)).to_have_value(
        str(harbour_.id))
