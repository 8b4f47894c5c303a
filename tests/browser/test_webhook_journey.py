"""Webhooks in Chromium: a member finds webhooks on their profile, registers one for their
organisation at a receiver on 127.0.0.1, copies the signing secret, and after a booking sees
the delivery in the history; the receiver checks the signature. Every page passes axe."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from booking.extensions import db
from booking.webhooks import jobs
from tests.fixtures.reservations import hours, local
from tests.webhooks.conftest import verified


@pytest.fixture
def receiver(local_server, allow_private):
    local_server.add("/hook", status=204)
    return local_server


def test_a_member_registers_a_webhook_and_follows_its_deliveries(page, log_in, live_server, booker, facility,
                                                                  reserve, receiver, screenshot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    log_in(page, booker)
    page.goto("/profile")
    page.get_by_role("link", name="Your webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.get_by_text("You have no webhooks yet.")).to_be_visible()

    page.get_by_label("Address (https://…)").fill(receiver.url("/hook"))
    page.get_by_label("Reservation changed").uncheck()
    page.get_by_label("Description (optional)").fill("Door access system")
    screenshot(page, "webhooks-register")
    page.get_by_role("button", name="Register the webhook").click()

    expect(page.get_by_role("heading", name="Your webhook is registered")).to_be_visible()
    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Copy the secret").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshot(page, "webhooks-created")

    reserve(booker, facility, *hours(local(2030, 3, 5, 10), 2))
    db.session.commit()
    assert jobs.deliver_due() == 2
    db.session.commit()

    page.get_by_role("link", name="The webhook and its deliveries").click()
    history = page.get_by_role("region", name="Deliveries")
    expect(history.get_by_role("row")).to_have_count(3)  # the header and two deliveries
    expect(history).to_contain_text("Reservation confirmed")
    expect(history).to_contain_text("Delivered")
    expect(history).to_contain_text("204")
    screenshot(page, "webhooks-deliveries")
    bodies = [verified(secret, headers, body) for _path, headers, body in receiver.posts]
    assert [b["type"] for b in bodies] == ["reservation.created", "reservation.confirmed"]

    page.get_by_role("button", name="Send again").first.click()
    expect(page.get_by_text("Sent again: the receiver accepted it.")).to_be_visible()
    assert len(receiver.posts) == 3
