"""Pure feed rules: the window, which reservations a feed shows and how, tokens, permissions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from booking.accounts.models import Role
from booking.calendars import rules
from booking.calendars.forms import parse_follow

NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


def test_the_window_runs_from_90_days_back_to_18_months_ahead():
    start, end = rules.window(NOW)
    assert start == NOW - timedelta(days=90)
    assert end == NOW + timedelta(days=548)


@pytest.mark.parametrize("status, age_days, shown", [
    ("pending", 0, "TENTATIVE"), ("confirmed", 400, "CONFIRMED"), ("completed", 80, "CONFIRMED"),
    ("no_show", 1, "CONFIRMED"), ("cancelled", 29, "CANCELLED"), ("rejected", 1, "CANCELLED"),
    ("cancelled", 31, None), ("held", 0, None),
])
def test_what_a_feed_shows(status, age_days, shown):
    assert rules.shown_status(status, NOW - timedelta(days=age_days), NOW) == shown


def test_tokens_are_long_random_and_stored_as_a_hash():
    tokens = {rules.new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert rules.is_token_shaped(token) and len(token) == 43  # 32 bytes = 256 bits
    assert rules.token_hash(token) != token and len(rules.token_hash(token)) == 64
    assert rules.token_matches(rules.token_hash(token), token)
    assert not rules.token_matches(rules.token_hash(token), token[:-1] + ("A" if token[-1] != "A" else "B"))


@pytest.mark.parametrize("token", ["", "short", "x" * 44, "a" * 42 + "/", "../../etc/passwd" + "a" * 27])
def test_anything_else_is_not_a_token(token):
    assert not rules.is_token_shaped(token)


def test_fetches_are_noted_at_most_hourly():
    assert rules.fetch_due(None, NOW)
    assert not rules.fetch_due(NOW - timedelta(minutes=59), NOW)
    assert rules.fetch_due(NOW - timedelta(hours=1), NOW)


def _user(uid, role=Role.member):
    return SimpleNamespace(id=uid, role=role, is_authenticated=True)


def test_who_may_manage_a_feed():
    feed = SimpleNamespace(owner_id=1)
    owner, other, admin = _user(1), _user(2), _user(3, Role.admin)
    assert rules.can_manage_feed(owner, feed) and rules.can_regenerate_feed(owner, feed)
    assert not rules.can_manage_feed(other, feed)
    assert rules.can_manage_feed(admin, feed) and not rules.can_regenerate_feed(admin, feed)
    assert rules.can_list_all_feeds(admin) and not rules.can_list_all_feeds(owner)


@pytest.mark.parametrize("value, parsed", [
    ("facility:12", ("facility", 12)), ("manager:", ("manager", None)), ("user:1", ("user", 1)),
    ("facility:99999999999", None), ("facility:0", None), ("Facility:1", None), ("facility", None), ("", None),
])
def test_follow_values(value, parsed):
    assert parse_follow(value) == parsed
