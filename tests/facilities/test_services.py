"""Facility services: what they accept, every reason they refuse, and the audit trail they leave."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from booking.audit.models import AuditEvent
from booking.errors import RuleViolation
from booking.extensions import db
from booking.facilities import services
from booking.facilities.models import ApprovalPolicy, FacilityStatus, QuestionKind

UTC = timezone.utc
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def department(create_department):
    return create_department("Culture and Leisure")


@pytest.fixture
def draft(department):
    facility = services.create_facility(name="Koivu Hall", department_id=department.id, category="venue",
                                        capacity=50)
    db.session.commit()
    return facility


def events(action=None) -> list[AuditEvent]:
    stmt = db.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def refusal(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    return {**caught.value.field_errors, **({"": caught.value.reasons} if caught.value.reasons else {})}


# --- text forms ---------------------------------------------------------------------------

def test_parse_and_format_week_round_trip():
    text = "Mon-Fri 08:00-12:00,13:00-20:00; Sat 10:00-16:00; Sun 22:00-02:00"
    week = services.parse_week(text)
    assert week[0] == [(time(8), time(12)), (time(13), time(20))]
    assert week[5] == [(time(10), time(16))]
    assert week[6] == [(time(22), time(2))]
    assert services.format_week(week) == text


def test_parse_week_accepts_lists_whole_days_and_loose_times():
    week = services.parse_week("mon,wed 8-16; Sat-Sun 00:00-24:00")
    assert sorted(week) == [0, 2, 5, 6]
    assert week[2] == [(time(8), time(16))]
    assert week[5] == [(time(0), time(0))]
    assert services.format_week(week) == "Mon 08:00-16:00; Wed 08:00-16:00; Sat-Sun 00:00-24:00"


def test_parse_week_reports_every_problem():
    with pytest.raises(ValueError) as caught:
        services.parse_week("Mon 08:00-25:00; Funday 10-12; Fri-Mon 10-12; Tue 10-12; Tue 13-14; Wed")
    message = str(caught.value)
    assert "'25:00' is not a time of day." in message
    assert "'Funday' is not a weekday" in message
    assert "'Fri-Mon' runs backwards" in message
    assert "Tue is given twice." in message
    assert "names days but no hours" in message


def test_parse_amenities():
    assert services.parse_amenities("Projector:2; Wi-Fi\nChairs: 80") == {"Projector": 2, "Wi-Fi": 1, "Chairs": 80}
    with pytest.raises(ValueError, match="listed twice"):
        services.parse_amenities("Projector:1;projector:2")
    with pytest.raises(ValueError, match="must be a whole number"):
        services.parse_amenities("Projector:lots")


def test_slugify_handles_finnish_letters():
    assert services.slugify("Järvenranta Sauna & Pier") == "jarvenranta-sauna-pier"
    assert services.slugify("!!!") == "facility"


# --- facility details and status ---------------------------------------------------------

def test_create_facility_makes_a_draft_with_default_rules_and_an_audit_event(draft, department):
    assert draft.slug == "koivu-hall"
    assert draft.status == FacilityStatus.draft
    assert draft.timezone == "Europe/Helsinki"
    assert draft.rules.approval_policy == ApprovalPolicy.automatic
    [event] = events("facility.created")
    assert event.object_type == "Facility" and event.object_id == draft.id
    assert event.department_id == department.id
    assert event.after["name"] == "Koivu Hall" and event.after["slug"] == "koivu-hall"


def test_slugs_are_unique(draft, create_department):
    other = create_department("Sports and Recreation")
    twin = services.create_facility(name="Koivu Hall", department_id=other.id, category="venue")
    assert twin.slug == "koivu-hall-2"


def test_create_refuses_with_every_reason(department):
    problems = refusal(services.create_facility, name=" ", department_id=None, category="castle", capacity=-1,
                       timezone="Mars/Olympus", latitude=95.0, area_m2=-3, accessibility=["teleporter"],
                       amenities={"Projector": 0}, slug="Not A Slug")
    assert problems == {
        "name": ["Give the facility a name."],
        "department_id": ["Choose a department."],
        "category": ["Choose one of the categories: public_space, lab, recreational, venue, meeting_room, "
                     "workshop, sports, outdoor_area."],
        "capacity": ["The capacity is a number of people, 0 or more."],
        "area_m2": ["The area cannot be negative."],
        "longitude": ["Give both the latitude and the longitude, or neither."],
        "latitude": ["The latitude is between -90 and 90."],
        "timezone": ["'Mars/Olympus' is not a time zone; use a name like Europe/Helsinki."],
        "amenities": ["'Projector': the quantity must be at least 1."],
        "accessibility": ["Unknown accessibility features: teleporter. Known: step_free_access, accessible_toilet, "
                          "induction_loop, accessible_parking, lift, braille_signage, quiet_room."],
        "slug": ["A slug uses lower-case letters, digits and single hyphens."],
    }
    assert events("facility.created") == []


def test_names_are_unique_within_a_department(draft, department):
    problems = refusal(services.create_facility, name="koivu hall", department_id=department.id, category="venue")
    assert problems == {"name": ["This department already has a facility called 'koivu hall'."]}
    problems = refusal(services.create_facility, name="Other", department_id=department.id, category="venue",
                       slug="koivu-hall")
    assert problems == {"slug": ["Another facility already uses the slug 'koivu-hall'."]}


def test_update_records_only_the_changes(draft):
    changed = services.update_facility(draft, capacity=60, amenities={"Stage": 1}, accessibility=["lift"],
                                       description="Bright hall.")
    db.session.commit()
    assert changed
    [event] = events("facility.updated")
    assert event.before == {"capacity": 50, "description": "", "amenities": {}, "accessibility": []}
    assert event.after == {"capacity": 60, "description": "Bright hall.", "amenities": {"Stage": 1},
                           "accessibility": ["lift"]}
    assert services.update_facility(draft, capacity=60, amenities={"Stage": 1}) is False
    assert len(events("facility.updated")) == 1


def test_update_refuses_and_changes_nothing(draft):
    problems = refusal(services.update_facility, draft, name="", capacity=-5)
    assert set(problems) == {"name", "capacity"}
    db.session.refresh(draft)
    assert draft.name == "Koivu Hall" and draft.capacity == 50


def test_publish_needs_opening_hours(draft):
    problems = refusal(services.set_status, draft, FacilityStatus.published)
    assert problems == {"": ["Add opening hours before publishing: without them nobody can book Koivu Hall."]}
    services.set_opening_hours(draft, date(2025, 1, 1), {0: [(time(8), time(16))]})
    services.set_status(draft, "published")
    services.set_status(draft, "archived")
    services.set_status(draft, "draft")
    db.session.commit()
    assert [e.action for e in events()][-3:] == ["facility.published", "facility.archived", "facility.drafted"]
    assert events("facility.published")[0].before == {"status": "draft"}


# --- opening hours ----------------------------------------------------------------------

def test_opening_hours_versions(draft):
    services.set_opening_hours(draft, date(2025, 1, 1), {0: [(time(8), time(16))], 4: [(time(8), time(12))]})
    services.set_opening_hours(draft, date(2025, 6, 1), {5: [(time(10), time(22))]})
    db.session.commit()
    versions = services.hours_versions(draft)
    assert list(versions) == [date(2025, 1, 1), date(2025, 6, 1)]
    assert services.version_on(draft, date(2025, 5, 31)) == date(2025, 1, 1)
    assert services.version_on(draft, date(2025, 6, 1)) == date(2025, 6, 1)
    assert services.version_on(draft, date(2024, 12, 31)) is None
    # Setting the same date again replaces that version; the same hours change nothing.
    assert services.set_opening_hours(draft, date(2025, 1, 1), {0: [(time(9), time(17))]})
    assert not services.set_opening_hours(draft, date(2025, 1, 1), {0: [(time(9), time(17))]})
    db.session.commit()
    assert services.hours_versions(draft)[date(2025, 1, 1)] == {0: [(time(9), time(17))]}
    last = events("facility.hours_set")[-1]
    assert last.before == {"valid_from": "2025-01-01", "hours": "Mon 08:00-16:00; Fri 08:00-12:00"}
    assert last.after == {"valid_from": "2025-01-01", "hours": "Mon 09:00-17:00"}


def test_opening_hours_refusals(draft):
    problems = refusal(services.set_opening_hours, draft, date(2025, 1, 1),
                       {0: [(time(8), time(12)), (time(11), time(13))], 1: [(time(22), time(2)), (time(1), time(3))]})
    assert problems == {"day_0": ["08:00-12:00 and 11:00-13:00 overlap."]}
    problems = refusal(services.set_opening_hours, draft, None, {0: []})
    assert problems == {"valid_from": ["Give the date from which these hours apply."],
                        "hours": ["Give the hours of at least one day. For a long break, add a closure instead."]}


def test_last_hours_of_a_published_facility_cannot_be_removed(draft):
    services.set_opening_hours(draft, date(2025, 1, 1), {0: [(time(8), time(16))]})
    services.set_status(draft, "published")
    problems = refusal(services.delete_hours_version, draft, date(2025, 1, 1))
    assert "A published facility needs opening hours" in problems[""][0]


# --- closures and special openings --------------------------------------------------------

def test_whole_day_closure_on_a_dst_day_is_23_hours(draft):
    closure = services.add_closure(draft, start_date=date(2025, 3, 30), reason="Spring cleaning")
    assert closure.start_dt == datetime(2025, 3, 29, 22, tzinfo=UTC)
    assert closure.end_dt == datetime(2025, 3, 30, 21, tzinfo=UTC)
    db.session.commit()
    [event] = events("facility.closure_added")
    assert event.after == {"start": "2025-03-29T22:00:00+00:00", "end": "2025-03-30T21:00:00+00:00",
                           "reason": "Spring cleaning"}


def test_multi_day_and_interval_closures(draft):
    week = services.add_closure(draft, start_date=date(2025, 7, 7), end_date=date(2025, 7, 13),
                                reason="Maintenance week")
    assert (week.start_dt, week.end_dt) == (datetime(2025, 7, 6, 21, tzinfo=UTC), datetime(2025, 7, 13, 21, tzinfo=UTC))
    part = services.add_closure(draft, start_date=date(2025, 1, 10), start_time=time(12), end_time=time(14),
                                reason="Fire drill")
    assert (part.start_dt, part.end_dt) == (datetime(2025, 1, 10, 10, tzinfo=UTC), datetime(2025, 1, 10, 12, tzinfo=UTC))
    services.remove_closure(draft, part)
    db.session.commit()
    assert [c.reason for c in draft.closures] == ["Maintenance week"]
    assert events("facility.closure_removed")[0].before["reason"] == "Fire drill"


def test_closure_refusals(draft):
    problems = refusal(services.add_closure, draft, start_date=date(2025, 1, 10), end_date=date(2025, 1, 9),
                       start_time=time(12), reason=" ")
    assert problems == {"end_date": ["The last day is before the first day."],
                        "end_time": ["Give both times, or neither to close whole days."],
                        "reason": ["Say why the facility is closed, e.g. 'Floor maintenance'."]}
    problems = refusal(services.add_closure, draft, start_date=date(2025, 1, 10), start_time=time(14),
                       end_time=time(12), reason="Backwards")
    assert problems == {"end_time": ["The closure must end after it starts."]}


def test_special_opening_replaces_that_date(draft):
    services.set_special_opening(draft, date(2025, 8, 29), [(time(18), time(0))], "Night of the Arts")
    services.set_special_opening(draft, date(2025, 8, 29), [(time(17), time(23))], "Night of the Arts")
    db.session.commit()
    assert [(o.start_time, o.end_time) for o in draft.special_openings] == [(time(17), time(23))]
    assert events("facility.special_opening_set")[-1].before["hours"] == "18:00-24:00"
    problems = refusal(services.set_special_opening, draft, date(2025, 8, 30), [], "")
    assert problems == {"hours": ["Give the opening hours of that day, e.g. 10:00-14:00."],
                        "reason": ["Say why the hours are different, e.g. 'Night of the Arts'."]}
    services.remove_special_opening(draft, date(2025, 8, 29))
    assert draft.special_openings == []


def test_imported_closures_sync_by_uid(draft):
    first = [("a", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC), "Holiday"),
             ("b", datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 2, 2, tzinfo=UTC), "Works")]
    assert services.sync_imported_closures(draft, first, source="x.ics") == {
        "added": 2, "updated": 0, "removed": 0, "unchanged": 0}
    services.add_closure(draft, start_date=date(2025, 3, 1), reason="Entered by hand")
    second = [("a", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC), "Holiday"),
              ("c", datetime(2025, 4, 1, tzinfo=UTC), datetime(2025, 4, 2, tzinfo=UTC), "New")]
    assert services.sync_imported_closures(draft, second, source="x.ics") == {
        "added": 1, "updated": 0, "removed": 1, "unchanged": 1}
    db.session.commit()
    assert sorted(c.reason for c in draft.closures) == ["Entered by hand", "Holiday", "New"]


# --- rules, terms, questions --------------------------------------------------------------

def test_update_rules_and_audit(draft):
    assert services.update_rules(draft, slot_minutes=60, min_duration_minutes=120, buffer_after_minutes=30,
                                 approval_policy="conditional", manual_actor_types=["large_company"])
    db.session.commit()
    [event] = events("facility.rules_updated")
    assert event.before == {"slot_minutes": 30, "min_duration_minutes": 60, "buffer_after_minutes": 0,
                            "approval_policy": "automatic", "manual_actor_types": []}
    assert event.after["approval_policy"] == "conditional"
    assert not services.update_rules(draft, slot_minutes=60)


def test_rules_refusals_list_every_reason(draft):
    problems = refusal(services.update_rules, draft, slot_minutes=7, min_duration_minutes=0,
                       max_duration_minutes=2000, min_notice_minutes=-1, max_advance_days=0,
                       buffer_before_minutes=-5, buffer_after_minutes=5000, max_active_per_organisation=0,
                       approval_policy="conditional", manual_actor_types=["pirates"], manual_above_minutes=0,
                       cancellation_deadline_hours=-1, late_cancellation="never")
    assert problems == {
        "slot_minutes": ["The slot grid must divide a day evenly (e.g. 15, 30 or 60 minutes)."],
        "min_duration_minutes": ["The minimum duration is at least 1 minute."],
        "max_duration_minutes": ["Without multi-day bookings a booking lasts at most 24 hours (1440 minutes)."],
        "min_notice_minutes": ["The minimum notice is 0 minutes or more."],
        "max_advance_days": ["Bookings must be possible at least 1 day ahead."],
        "buffer_before_minutes": ["A buffer is 0 minutes or more."],
        "buffer_after_minutes": ["A buffer is at most 1440 minutes."],
        "max_active_per_organisation": ["The quota is at least 1 reservation; leave it empty for none."],
        "manual_above_minutes": ["The duration is at least 1 minute; leave it empty for none."],
        "cancellation_deadline_hours": ["The cancellation deadline is 0 hours or more."],
        "manual_actor_types": ["Unknown actor types: pirates."],
        "late_cancellation": ["Choose whether a late cancellation is charged or refused."],
    }
    problems = refusal(services.update_rules, draft, slot_minutes=30, min_duration_minutes=45,
                       max_duration_minutes=30, approval_policy="conditional", max_advance_days=9999)
    assert problems == {
        "min_duration_minutes": ["The minimum duration must be a whole number of slots (30 minutes each)."],
        "max_duration_minutes": ["The maximum duration is shorter than the minimum."],
        "max_advance_days": ["At most 1825 days ahead."],
        "approval_policy": ["Conditional approval needs actor types or a duration above which a manager decides."],
    }
    assert events("facility.rules_updated") == []


def test_multi_day_pilots_may_last_60_days(draft):
    assert services.update_rules(draft, allow_multi_day=True, max_duration_minutes=60 * 24 * 60)
    assert draft.rules.max_duration_minutes == 86400


def test_terms_are_versioned(draft):
    first = services.set_terms(draft, "Be kind.")
    assert first.version == 1
    assert services.set_terms(draft, " Be kind. ") is None
    second = services.set_terms(draft, "Be kind. Tidy up.")
    db.session.commit()
    assert second.version == 2 and draft.current_terms is second
    assert [t.text for t in draft.terms] == ["Be kind.", "Be kind. Tidy up."]
    assert [e.after for e in events("facility.terms_published")] == [{"version": 1}, {"version": 2}]
    assert refusal(services.set_terms, draft, "  ") == {"text": ["Write the terms of use."]}


def test_questions(draft):
    problems = refusal(services.add_question, draft, label="", kind="choice", choices=["Yes", "yes", "x" * 101])
    assert problems == {"label": ["Write the question."],
                        "choices": ["An answer is listed twice.", "An answer is longer than 100 characters."]}
    assert refusal(services.add_question, draft, label="Size?", kind="choice", choices=["Big"]) == {
        "choices": ["A choice question needs at least two answers to choose from."]}
    assert refusal(services.add_question, draft, label="Size?", kind="essay") == {
        "kind": ["Choose text, choice or yes/no."]}
    food = services.add_question(draft, label="Will you serve food?", kind=QuestionKind.yes_no, required=True,
                                 choices=["ignored"])
    size = services.add_question(draft, label="How many guests?", kind="choice", choices=["< 50", "50+"])
    assert (food.position, size.position) == (1, 2)
    assert food.choices == []
    assert services.update_question(size, kind="text")
    assert size.choices == []
    services.remove_question(food)
    db.session.commit()
    assert food.active is False
    assert [e.action for e in events()][-4:] == ["facility.question_added", "facility.question_added",
                                                 "facility.question_updated", "facility.question_updated"]
