"""The demo city's facilities load through the CSV importer, and loading them again changes nothing."""
from __future__ import annotations

import pytest

from booking import seed
from booking.audit.models import AuditEvent
from booking.extensions import db
from booking.facilities.models import CATEGORIES, Closure, Facility, FacilityPhoto, FacilityStatus


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def demo(app):
    messages = []
    seed.load_all(echo=messages.append)
    return messages


def test_demo_facilities(demo):
    facilities = list(db.session.scalars(db.select(Facility)))
    assert len(facilities) >= 45
    assert {f.category for f in facilities} == set(CATEGORIES)
    assert len({f.district for f in facilities}) >= 6
    assert {f.department.name for f in facilities} == {
        "Culture and Leisure", "Sports and Recreation", "Urban Environment", "Education and Research",
        "Innovation and Business"}
    assert all(abs(f.latitude - 62.24) < 0.05 and abs(f.longitude - 25.75) < 0.08 for f in facilities)
    published = [f for f in facilities if f.status == FacilityStatus.published]
    assert len(published) >= 40 and all(f.opening_hours for f in published)
    rules = [f.rules for f in facilities]
    assert {r.approval_policy.value for r in rules} == {"automatic", "manual", "conditional"}
    assert any(r.allow_multi_day and r.max_duration_minutes == 86400 for r in rules)
    assert any(r.manual_actor_types == ["large_company"] and r.manual_above_minutes == 480 for r in rules)
    assert any(r.buffer_before_minutes and r.buffer_after_minutes for r in rules)
    venues = [f for f in facilities if f.category == "venue"]
    assert all(any(q.label == "Will you serve food?" for q in f.questions) for f in venues)
    assert sum(1 for f in facilities if f.terms) >= 5
    assert count(FacilityPhoto) >= 5
    reasons = set(db.session.scalars(db.select(Closure.reason)))
    assert {"Maintenance week: floor sanding", "Christmas Day"} <= reasons


def test_demo_loads_again_without_changes(demo):
    before = {model: count(model) for model in (Facility, Closure, FacilityPhoto, AuditEvent)}
    messages = []
    seed.load_all(echo=messages.append)
    assert any("0 new facilities, 0 updated" in m and "0 extras added" in m for m in messages)
    assert {model: count(model) for model in before} == before
