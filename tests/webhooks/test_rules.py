"""The pure webhook rules: which domain event is which webhook event, who receives it, the
signature, and the back-off that retries for a day."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from booking.accounts.models import MembershipRole, Role
from booking.webhooks import rules

NOW = datetime(2030, 3, 4, 7, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("action, status, before, expected", [
    ("reservation.created", "pending", None, ["reservation.created"]),
    ("reservation.created", "confirmed", None, ["reservation.created", "reservation.confirmed"]),
    ("reservation.held", "held", None, []),                                     # a hold is not a reservation yet
    ("reservation.submitted", "confirmed", "held", ["reservation.created", "reservation.confirmed"]),
    ("reservation.submitted", "pending", "held", ["reservation.created"]),
    ("reservation.approved", "confirmed", "pending", ["reservation.confirmed"]),
    ("reservation.cancelled", "cancelled", "confirmed", ["reservation.cancelled"]),
    ("reservation.cancelled", "cancelled", "held", []),                         # a released hold
    ("reservation.hold_expired", "cancelled", "held", []),
    ("reservation.changed", "confirmed", "confirmed", ["reservation.changed"]),
    ("reservation.rejected", "rejected", "pending", []),
    ("agreement.submit", "in_review", "draft", ["agreement.state_changed"]),
    ("agreement.signed", "signed", "approved", ["agreement.state_changed"]),
    ("agreement.updated", "draft", None, []),
    ("agreement.commented", "in_review", None, []),
    ("facility.updated", None, None, []),
])
def test_which_domain_events_are_webhook_events(action, status, before, expected):
    assert rules.webhook_events(action, status, before) == expected


def test_an_organisation_receives_only_its_own_events_and_the_city_every_one():
    events = ["reservation.created"]
    assert rules.wants(7, events, "reservation.created", {7})
    assert not rules.wants(7, events, "reservation.created", {8})
    assert not rules.wants(7, events, "reservation.created", set())  # an internal block has no organisation
    assert rules.wants(None, events, "reservation.created", {8})
    assert rules.wants(None, events, "reservation.created", set())
    assert not rules.wants(None, events, "reservation.cancelled", {8})


def test_a_signature_verifies_only_the_same_body_time_and_secret():
    body = b'{"id":"evt_1"}'
    header = rules.signature_header("whsec_a", 1_900_000_000, body)
    assert header.startswith("t=1900000000,v1=")
    assert rules.verify("whsec_a", header, body, now=1_900_000_060)
    assert not rules.verify("whsec_b", header, body, now=1_900_000_060)
    assert not rules.verify("whsec_a", header, body + b" ", now=1_900_000_060)
    assert not rules.verify("whsec_a", header, body, now=1_900_000_000 + rules.TOLERANCE_SECONDS + 1)  # replayed
    forged = header.replace("t=1900000000", "t=1900000100")
    assert not rules.verify("whsec_a", forged, body, now=1_900_000_100)
    assert not rules.verify("whsec_a", "v1=abc", body, now=1_900_000_000)


def test_secrets_and_event_ids_are_random_and_long():
    assert len({rules.new_secret() for _ in range(50)}) == 50
    assert len(rules.new_secret()) > 40 and rules.new_event_id().startswith("evt_")


def test_retries_back_off_and_stop_after_a_day():
    give_up = NOW + rules.RETRY_FOR
    waits, at, attempts = [], NOW, 1
    while (following := rules.retry_at(attempts, at, give_up)) is not None:
        waits.append(following - at)
        at, attempts = following, attempts + 1
    assert waits[:4] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert max(waits) == timedelta(hours=1)
    assert at <= give_up and give_up - at < timedelta(hours=1)  # tried until the day was nearly over
    assert rules.retry_at(10_000, NOW, NOW + timedelta(days=3)) == NOW + timedelta(hours=1)


def _user(role=Role.member, organisations=()):
    memberships = [SimpleNamespace(organisation_id=o, role=MembershipRole.member) for o in organisations]
    return SimpleNamespace(is_authenticated=True, role=role, memberships=memberships)


def test_members_manage_their_organisations_webhooks_and_admins_every_one():
    member, admin = _user(organisations=[7]), _user(Role.admin)
    assert rules.can_register_webhook(member, 7)
    assert not rules.can_register_webhook(member, 8)
    assert not rules.can_register_webhook(member, None)  # city-wide
    assert not rules.can_register_webhook(_user(Role.facility_manager), None)
    assert rules.can_register_webhook(admin, None) and rules.can_register_webhook(admin, 8)
    assert not rules.can_manage_webhook(member, SimpleNamespace(organisation_id=8))
    assert not rules.can_register_webhook(SimpleNamespace(is_authenticated=False), 7)


def test_the_readme_shows_receivers_a_verification_that_works():
    """The few lines the README gives receivers, run as they are against our own signature."""
    import textwrap
    import time
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("    import hashlib, hmac, time\n")
    block = readme[start:readme.index("\n\n", start)]
    namespace = {}
    exec(textwrap.dedent(block), namespace)  # noqa: S102 - our own README
    body = b'{"id":"evt_1","type":"reservation.created"}'
    header = rules.signature_header("whsec_s", int(time.time()), body)
    assert namespace["verify"]("whsec_s", header, body)
    assert not namespace["verify"]("whsec_s", header, body.replace(b"created", b"cancelled"))
    assert not namespace["verify"]("whsec_other", header, body)
    stale = rules.signature_header("whsec_s", int(time.time()) - 3600, body)
    assert not namespace["verify"]("whsec_s", stale, body)
