"""A manager is told of a new request by e-mail (received by a real SMTP server on 127.0.0.1),
follows the e-mail's link, logs in, lands on the request and decides; the booker is told in
the app and by e-mail. Every page passes axe."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.notifications.jobs import deliver_pending
from booking.reservations import services
from booking.reservations.models import ReservationStatus
from tests.facilities.helpers import at, next_monday
from tests.fixtures.accounts import PASSWORD
from tests.notifications.conftest import Inbox, start_server


@pytest.fixture
def mailbox(app, live_server):
    """A local SMTP server, and links in e-mails pointing at the live server."""
    inbox = Inbox()
    server = start_server(app, inbox)
    app.config["BASE_URL"] = live_server
    yield inbox
    server.stop()


def test_a_manager_decides_a_request_from_the_e_mail(page, live_server, mailbox, manager, booker, create_facility, log_in,
                                                     screenshot):
    hall = create_facility("Riverside Hall", slug="riverside-hall", department=manager.departments[0],
                           category="venue", capacity=80)
    hall.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    monday = next_monday()
    request = services.create_reservation(booker, hall, booker.organisations[0], at(monday, 10), at(monday, 12),
                                          title="Choir practice", purpose="Singing", accept_terms=True)
    db.session.commit()
    assert deliver_pending() == 2  # the booker's receipt and the manager's request

    [mail] = [m for m in mailbox.messages if m["To"] == manager.email]
    assert mail["Subject"] == "New reservation request: Riverside Hall"
    html = mail.get_body(("html",)).get_content()
    link = re.search(r'href="([^"]+/decide)"', html).group(1)
    assert link == f"{live_server}/reservations/{request.id}/decide"

    page.set_content(html)  # the e-mail as a mail client shows it
    screenshot(page, "notifications-email")
    page.goto(link)  # followed from the e-mail, not logged in yet
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("E-mail").fill(manager.email)
    page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Request: Choir practice")).to_be_visible()
    account = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Notifications"))
    expect(account).to_contain_text("1")
    screenshot(page, "notifications-decide")
    page.get_by_role("button", name="Approve this request").click()
    expect(page.get_by_role("status")).to_contain_text("Approved. The booker is told by e-mail.")
    db.session.refresh(request)
    assert request.status == ReservationStatus.confirmed

    assert deliver_pending() == 1
    approved = mailbox.messages[-1]
    assert (approved["To"], approved["Subject"]) == (booker.email, "Reservation approved: Riverside Hall")

    # The booker sees both messages in the app, and opening one marks it read.
    page.get_by_role("button", name="Log out").click()
    log_in(page, booker)
    notifications = page.get_by_role("link", name=re.compile("Notifications"))
    expect(notifications).to_contain_text("2")
    notifications.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    screenshot(page, "notifications-list")
    page.get_by_role("link", name="Reservation approved: Riverside Hall").click()
    expect(page.get_by_role("heading", name=re.compile("Choir practice"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Notifications"))).to_contain_text("1")

    # What comes by e-mail is the booker's choice, on the profile.
    page.goto("/profile")
    page.get_by_label("A reminder before each reservation").uncheck()
    page.get_by_label("Remind me before a reservation").select_option(label="2 days before")
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_role("status")).to_contain_text("Your notification settings are saved.")
    expect(page.get_by_label("A reminder before each reservation")).not_to_be_checked()
    screenshot(page, "notifications-settings")
