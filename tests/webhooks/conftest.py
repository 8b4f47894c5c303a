"""Webhook fixtures: a receiver on 127.0.0.1 (the test's own web server), registering a webhook
through the service, running the delivery job, and checking a signature the way the README
tells receivers to."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.unit_of_work import unit_of_work
from booking.webhooks import jobs, rules, services
from booking.webhooks.models import WebhookDelivery


@pytest.fixture
def receiver(local_server, allow_private):
    """An endpoint at /hook that answers 204 No Content; what it got is in `receiver.posts`."""
    local_server.add("/hook", status=204)
    return local_server


@pytest.fixture
def register(app, english):
    """register(user, url, events=every event, organisation=the user's first, or None city-wide)."""
    def make(user, url, *, events=rules.EVENT_TYPES, organisation="first", description=""):
        if organisation == "first":
            organisation = user.organisations[0]
        with unit_of_work():
            return services.register_webhook(user, url=url, events=list(events), description=description,
                                             organisation_id=organisation.id if organisation else None)
    return make


@pytest.fixture
def deliver(app):
    """Run the delivery job once, as the scheduler would; returns how many were delivered."""
    def run():
        delivered = jobs.deliver_due()
        db.session.expire_all()
        return delivered
    return run


def deliveries(webhook=None) -> list[WebhookDelivery]:
    db.session.expire_all()
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if webhook is not None:
        stmt = stmt.where(WebhookDelivery.webhook_id == webhook.id)
    return list(db.session.scalars(stmt))


def verified(secret: str, headers: dict, body: bytes) -> dict:
    """Check a delivery as the README's receiver does, and return its JSON."""
    stamp, signature = dict(part.split("=", 1) for part in headers["Infrashare-Signature"].split(",")).values()
    assert abs(time.time() - int(stamp)) < 300
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, signature)
    return json.loads(body)
