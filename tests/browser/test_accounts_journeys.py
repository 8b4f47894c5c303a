"""A person registers (the address, the e-mailed link, the form), logs out and in, and sees the navigation of their role; in Chromium."""
import re

import pytest
from playwright.sync_api import expect

from booking.accounts import services
from booking.accounts.models import Role
from booking.notifications.jobs import deliver_pending
from tests.browser.conftest import leave_the_app
from tests.fixtures.accounts import PASSWORD
from tests.notifications.conftest import Inbox, start_server

ROLE_LINKS = ["Audit log", "Outbox"]


def password_field(page):
    # By accessible name: the label's text also holds the required marker "*".
    return page.get_by_role("textbox", name="Password", exact=True)


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


@pytest.fixture
def mailbox(app, live_server):
    """A local SMTP server, and links in e-mails pointing at the live server."""
    inbox = Inbox()
    server = start_server(app, inbox)
    app.config["BASE_URL"] = live_server
    yield inbox
    server.stop()


def show_email(page, html):
    """The e-mail as a mail client shows it (a blank page: the site's CSP is no mail client's)."""
    leave_the_app(page)
    page.goto("about:blank")
    page.set_content(html)


def _delivered(mailbox, to):
    """Send what the outbox holds (the job's work) and return the newest message to `to`."""
    deliver_pending()
    return [m for m in mailbox.messages if m["To"] == to][-1]


def test_register_log_out_and_log_in_again(page, live_server, mailbox, screenshot):
    page.goto("/")
    main_nav(page).get_by_role("button", name="Register").click()  # a link styled as a button

    page.get_by_label("E-mail").fill("Riikka@Koekeittio.example")
    screenshot(page, "register-address")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your inbox", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("We have sent a message to Riikka@Koekeittio.example.")
    screenshot(page, "register-sent")

    mail = _delivered(mailbox, "riikka@koekeittio.example")
    assert mail["Subject"] == "Continue your registration to Infrashare"
    html = mail.get_body(("html",)).get_content()
    link = re.search(r'href="([^"]+/register/[^"]+)"', html).group(1)
    assert link.startswith(live_server)
    show_email(page, html)
    screenshot(page, "register-email")
    page.goto(link)

    expect(page.get_by_label("E-mail")).to_have_value("riikka@koekeittio.example")
    page.get_by_label("Your name").fill("Riikka Rinne")
    password_field(page).fill("pilot-kitchen-42")
    page.get_by_label("Repeat password").fill("pilot-kitchen-42")
    page.get_by_label("Organisation name").fill("Koekeittiö Oy")
    page.get_by_label("Type of organisation").select_option(label="Startup")
    page.get_by_label("Business ID (Y-tunnus)").fill("")
    page.get_by_label("Address").fill("Satamakatu 3, Helsinki")
    screenshot(page, "register-filled")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("status")).to_contain_text("Welcome, Riikka Rinne. Your account and Koekeittiö Oy are ready.")
    expect(main_nav(page)).to_contain_text("Koekeittiö Oy")
    expect(main_nav(page).get_by_role("link", name="Profile")).to_be_visible()
    for name in ROLE_LINKS:
        expect(main_nav(page).get_by_role("link", name=name)).to_have_count(0)
    screenshot(page, "register-done")

    main_nav(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    expect(main_nav(page).get_by_role("link", name="Profile")).to_have_count(0)
    screenshot(page, "logged-out")

    page.goto(link)  # the link again: used, it opens nothing
    expect(page.get_by_role("alert")).to_contain_text("This registration link was already used")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("E-mail").fill("RIIKKA@koekeittio.example")  # e-mail addresses ignore case
    password_field(page).fill("pilot-kitchen-42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_have_text("You are logged in.")
    expect(main_nav(page)).to_contain_text("Koekeittiö Oy")
    main_nav(page).get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
    expect(page.get_by_text("riikka@koekeittio.example")).to_be_visible()
    screenshot(page, "logged-in-again")


def test_registering_a_known_address_sends_it_the_way_to_log_in(page, live_server, mailbox, member, screenshot):
    page.goto("/register")
    page.get_by_label("E-mail").fill(member.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your inbox", level=1)).to_be_visible()

    mail = _delivered(mailbox, member.email)
    assert mail["Subject"] == "You already have an Infrashare account"
    show_email(page, mail.get_body(("html",)).get_content())
    screenshot(page, "register-known-email")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail").fill(member.email)
    password_field(page).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_have_text("You are logged in.")


def test_registration_lists_every_problem(page, screenshot):
    page.goto(f"/register/{services.make_registration_token('riikka@koekeittio.example')}")
    page.get_by_label("Your name").fill("Riikka Rinne")
    password_field(page).fill("pilot-kitchen-42")
    page.get_by_label("Repeat password").fill("pilot-kitchen-43")
    page.get_by_label("Business ID (Y-tunnus)").fill("1234567-2")
    page.get_by_role("button", name="Create account").click()

    summary = page.get_by_role("alert").filter(has_text="Please correct the following")
    expect(summary).to_contain_text("The passwords do not match.")
    expect(summary).to_contain_text("Not a valid Finnish business ID.")
    expect(summary).to_contain_text("Organisation name")
    expect(page.get_by_label("Repeat password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "register-errors")


@pytest.mark.parametrize("role, shown, hidden", [
    (Role.member, [], ["Audit log", "Outbox", "Departments"]),
    (Role.facility_manager, ["Audit log"], ["Outbox", "Departments"]),
    (Role.admin, ["Audit log", "Outbox", "Departments"], []),
], ids=["member", "facility-manager", "admin"])
def test_each_role_sees_its_navigation(page, create_user, create_department, log_in, screenshot,
                                       role, shown, hidden):
    departments = [create_department("Parks")] if role == Role.facility_manager else []
    user = create_user(name="Noa Navigator", role=role, departments=departments)

    log_in(page, user)
    nav = main_nav(page)
    expect(nav.get_by_role("link", name="Profile")).to_be_visible()
    for name in hidden:
        expect(nav.get_by_role("link", name=name)).to_have_count(0)
    screenshot(page, f"nav-{role.value.replace('_', '-')}")
    for name in shown:  # each page the role's links lead to opens (and passes the axe check)
        nav.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
        expect(main_nav(page).get_by_role("link", name=name)).to_have_attribute("aria-current", "page")
        screenshot(page, f"nav-{role.value.replace('_', '-')}-{name.lower().replace(' ', '-')}")


def test_wrong_password_shows_the_error(page, member, screenshot):
    page.goto("/login")
    page.get_by_label("E-mail").fill(member.email)
    password_field(page).fill("not-my-password-1")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text("The e-mail address or password is wrong.")
    expect(page.get_by_label("E-mail")).to_have_value(member.email)
    expect(main_nav(page).get_by_role("link", name="Log in")).to_be_visible()
    screenshot(page, "login-failed")


def test_skip_link_is_first_and_moves_focus_to_the_content(page, screenshot):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    screenshot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")  # and the next stop is inside the content, not back in the header
    expect(page.get_by_role("main").locator(":focus")).to_have_count(1)
