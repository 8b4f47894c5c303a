"""The manager's pages: who may open them, and creating a facility through to publishing it."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from booking.accounts.models import Role
from booking.audit.models import AuditEvent
from booking.extensions import db
from booking.facilities.models import Closure, Facility, FacilityStatus

FACILITY_PAGES = ["", "/edit", "/hours", "/closures", "/special", "/rules", "/terms", "/questions", "/photos",
                  "/history"]


@pytest.fixture
def other_manager(create_user, create_department):
    return create_user(name="Olli Other", role=Role.facility_manager, departments=[create_department("Harbour")])


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("page", FACILITY_PAGES)
def test_anonymous_is_sent_to_log_in(client, facility, page):
    response = client.get(f"/manage/{facility.id}{page}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("page", FACILITY_PAGES)
def test_member_and_other_department_manager_are_refused(client, auth, facility, member, other_manager, page):
    """A facility one does not manage answers as a missing one (404): a draft is not revealed."""
    for user in (member, other_manager):
        auth.login(user)
        assert client.get(f"/manage/{facility.id}{page}").status_code == 404
        assert client.get(f"/manage/999999{page}").status_code == 404
        auth.logout()


@pytest.mark.parametrize("page", FACILITY_PAGES)
def test_own_manager_and_admin_may_open_every_page(client, auth, facility, manager, admin, page):
    for user in (manager, admin):
        auth.login(user)
        response = client.get(f"/manage/{facility.id}{page}")
        assert response.status_code == 200, text(response)
        assert "Riverside Hall" in text(response)
        auth.logout()


def test_other_departments_manager_cannot_change_anything(client, auth, facility, other_manager):
    auth.login(other_manager)
    posts = [("/status", {"status": "archived"}), ("/edit", {"name": "Mine now"}),
             ("/hours", {"valid_from": "2030-01-01", "day_0": "08:00-10:00"}),
             ("/closures", {"start_date": "2030-01-01", "reason": "No"}), ("/terms", {"text": "Mine"})]
    for path, data in posts:
        assert client.post(f"/manage/{facility.id}{path}", data=data).status_code == 404
    db.session.refresh(facility)
    assert facility.name == "Riverside Hall" and facility.status == FacilityStatus.published
    assert not facility.closures and not facility.terms


def test_unknown_facility_and_unknown_child_are_404(client, auth, facility, manager):
    auth.login(manager)
    assert client.get("/manage/99999").status_code == 404
    assert client.get(f"/manage/{facility.id}/questions/99999").status_code == 404
    assert client.post(f"/manage/{facility.id}/closures/99999/delete").status_code == 404
    assert client.post(f"/manage/{facility.id}/photos/99999/delete").status_code == 404


def test_my_facilities_lists_only_my_departments(client, auth, create_facility, facility, manager, other_manager,
                                                  admin, member):
    create_facility("Harbour Shed", department=other_manager.departments[0])
    auth.login(manager)
    page = text(client.get("/manage/"))
    assert "Riverside Hall" in page and "Harbour Shed" not in page
    assert "Manage facilities" in page
    auth.logout()
    auth.login(admin)
    page = text(client.get("/manage/"))
    assert "Riverside Hall" in page and "Harbour Shed" in page
    auth.logout()
    auth.login(member)
    assert client.get("/manage/").status_code == 403
    assert "Manage facilities" not in text(client.get("/"))


def test_manager_creates_sets_hours_adds_closure_and_publishes(client, auth, manager):
    auth.login(manager)
    department = manager.departments[0]
    response = client.post("/manage/new", data={
        "name": "Koivu Meeting Room", "department_id": department.id, "category": "meeting_room",
        "capacity": "12", "timezone": "Europe/Helsinki", "amenities": "Projector: 1\nWhiteboard",
        "accessibility": ["step_free_access", "induction_loop"], "address": "Koivukatu 3", "district": "Keskusta",
        "latitude": "62.24", "longitude": "25.75"})
    assert response.status_code == 302
    facility = db.session.scalar(db.select(Facility).where(Facility.name == "Koivu Meeting Room"))
    assert facility.slug == "koivu-meeting-room" and facility.status == FacilityStatus.draft
    assert {a.name: a.quantity for a in facility.amenities} == {"Projector": 1, "Whiteboard": 1}
    assert response.headers["Location"].endswith(f"/manage/{facility.id}/hours")

    # Publishing without hours is refused with a reason.
    response = client.post(f"/manage/{facility.id}/status", data={"status": "published"}, follow_redirects=True)
    assert "Add opening hours before publishing" in text(response)

    response = client.post(f"/manage/{facility.id}/hours", data={
        "valid_from": "2025-01-01", "day_0": "08:00-12:00, 13:00-20:00", "day_1": "08:00-20:00",
        "day_2": "", "day_3": "", "day_4": "08:00-16:00", "day_5": "10:00-14:00", "day_6": ""},
        follow_redirects=True)
    assert "The opening hours from 2025-01-01 are saved." in text(response)
    assert "08:00-12:00, 13:00-20:00" in text(response)

    response = client.post(f"/manage/{facility.id}/closures", data={
        "start_date": "2030-12-24", "end_date": "2030-12-26", "reason": "Christmas"}, follow_redirects=True)
    assert "The closure is added." in text(response) and "Christmas" in text(response)
    assert "Dec 24, 2030 – Dec 26, 2030" in text(response)  # whole days, the last one included
    closure = db.session.scalar(db.select(Closure).where(Closure.facility_id == facility.id))
    assert closure.start_dt == datetime(2030, 12, 23, 22, tzinfo=timezone.utc)
    assert closure.end_dt == datetime(2030, 12, 26, 22, tzinfo=timezone.utc)

    response = client.post(f"/manage/{facility.id}/status", data={"status": "published"}, follow_redirects=True)
    assert "Koivu Meeting Room is published" in text(response)
    listing = text(client.get("/manage/?status=published"))
    assert "Koivu Meeting Room" in listing and "Published" in listing

    history = text(client.get(f"/manage/{facility.id}/history"))
    for label in ("Created", "Opening hours set", "Closure added", "Published"):
        assert label in history
    assert manager.email in history


def test_create_form_shows_every_problem(client, auth, manager):
    auth.login(manager)
    response = client.post("/manage/new", data={
        "name": "", "department_id": manager.departments[0].id, "category": "lab", "capacity": "-1",
        "timezone": "Mars/Olympus", "latitude": "62.2", "amenities": "Projector: many"})
    page = text(response)
    assert response.status_code == 422
    assert "This field is required." in page  # name
    assert "Number must be at least 0." in page
    assert "the quantity after &#39;:&#39; must be a whole number" in page
    assert db.session.scalar(db.select(db.func.count(Facility.id))) == 0


def test_service_refusal_is_shown_on_the_form(client, auth, manager):
    auth.login(manager)
    response = client.post("/manage/new", data={
        "name": "Lab", "department_id": manager.departments[0].id, "category": "lab", "capacity": "3",
        "timezone": "Mars/Olympus", "latitude": "62.2"})
    page = text(response)
    assert response.status_code == 422
    assert "is not a time zone" in page
    assert "Give both the latitude and the longitude, or neither." in page


def test_manager_cannot_create_in_a_department_they_do_not_manage(client, auth, manager, other_manager):
    auth.login(manager)
    response = client.post("/manage/new", data={
        "name": "Sneaky", "department_id": other_manager.departments[0].id, "category": "lab", "capacity": "3",
        "timezone": "Europe/Helsinki"})
    assert response.status_code == 422
    assert "Not a valid choice" in text(response)


def test_edit_details_records_only_what_changed(client, auth, facility, manager):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/edit", data={
        "name": "Riverside Hall", "department_id": facility.department_id, "category": "venue", "capacity": "120",
        "timezone": "Europe/Helsinki", "district": "Keskusta", "amenities": "Stage: 1"}, follow_redirects=True)
    assert "The details are saved." in text(response)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "facility.updated"))
    assert event.before == {"capacity": 80, "amenities": {}}
    assert event.after == {"capacity": 120, "amenities": {"Stage": 1}}
    assert event.department_id == facility.department_id


def test_hours_form_refuses_bad_and_overlapping_intervals(client, auth, facility, manager):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/hours", data={
        "valid_from": "2031-01-01", "day_0": "8-12, 11:00-13:00", "day_1": "nine to five", "day_2": "25:00-26:00"})
    page = text(response)
    assert response.status_code == 422
    assert "is not an interval" in page  # Tuesday
    assert "is not a time of day" in page  # Wednesday
    assert "08:00-12:00 and 11:00-13:00 overlap." not in page  # form errors come first, service not called
    response = client.post(f"/manage/{facility.id}/hours", data={
        "valid_from": "2031-01-01", "day_0": "8-12, 11:00-13:00"})
    assert response.status_code == 422
    assert "08:00-12:00 and 11:00-13:00 overlap." in text(response)


def test_next_season_hours_are_a_new_version_and_can_be_removed(client, auth, facility, manager):
    auth.login(manager)
    client.post(f"/manage/{facility.id}/hours", data={"valid_from": "2040-06-01", "day_5": "10:00-22:00"})
    page = text(client.get(f"/manage/{facility.id}/hours"))
    assert "2040-06-01" in page and "Upcoming" in page and "In force" in page
    response = client.post(f"/manage/{facility.id}/hours/2040-06-01/delete", follow_redirects=True)
    assert "removed" in text(response)
    response = client.post(f"/manage/{facility.id}/hours/2000-01-01/delete", follow_redirects=True)
    assert "A published facility needs opening hours" in text(response)


def test_closure_of_part_of_a_day_and_removal(client, auth, facility, manager):
    auth.login(manager)
    client.post(f"/manage/{facility.id}/closures", data={
        "start_date": "2030-06-10", "start_time": "12:00", "end_time": "14:00", "reason": "Fire drill"})
    closure = facility.closures[0]
    assert (closure.start_dt, closure.end_dt) == (datetime(2030, 6, 10, 9, tzinfo=timezone.utc),
                                                  datetime(2030, 6, 10, 11, tzinfo=timezone.utc))
    assert "Jun 10, 2030 12:00\u202fPM–2:00\u202fPM" in text(client.get(f"/manage/{facility.id}/closures"))
    response = client.post(f"/manage/{facility.id}/closures", data={
        "start_date": "2030-06-10", "end_date": "2030-06-09", "start_time": "12:00", "reason": ""})
    page = text(response)
    assert response.status_code == 422
    assert "This field is required." in page  # reason, checked by the form
    response = client.post(f"/manage/{facility.id}/closures", data={
        "start_date": "2030-06-10", "end_date": "2030-06-09", "start_time": "12:00", "reason": "Oops"})
    page = text(response)
    assert "The last day is before the first day." in page
    assert "Give both times, or neither to close whole days." in page
    response = client.post(f"/manage/{facility.id}/closures/{closure.id}/delete", follow_redirects=True)
    assert "The closure is removed." in text(response)
    assert db.session.scalar(db.select(db.func.count(Closure.id))) == 0


def test_special_opening(client, auth, facility, manager):
    auth.login(manager)
    day = date.today().replace(year=date.today().year + 1).isoformat()
    response = client.post(f"/manage/{facility.id}/special", data={
        "date": day, "hours": "18:00-02:00", "reason": "Night of the Arts"}, follow_redirects=True)
    page = text(response)
    assert "Night of the Arts" in page and "18:00-02:00" in page
    response = client.post(f"/manage/{facility.id}/special/{day}/delete", follow_redirects=True)
    assert "The special opening hours are removed." in text(response)


def test_rules_form(client, auth, facility, manager):
    auth.login(manager)
    page = text(client.get(f"/manage/{facility.id}/rules"))
    assert '<input checked id="approval_policy-0"' in page
    data = {"slot_minutes": "25", "min_duration_minutes": "60", "max_duration_minutes": "30",
            "min_notice_minutes": "0", "max_advance_days": "90", "buffer_before_minutes": "15",
            "buffer_after_minutes": "15", "approval_policy": "conditional", "cancellation_deadline_hours": "24",
            "late_cancellation": "fee"}
    response = client.post(f"/manage/{facility.id}/rules", data=data)
    page = text(response)
    assert response.status_code == 422
    assert "The slot grid must divide a day evenly" in page
    assert "The maximum duration is shorter than the minimum." in page
    assert "Conditional approval needs actor types or a duration" in page
    data.update(slot_minutes="30", max_duration_minutes="86400", allow_multi_day="y",
                manual_actor_types=["large_company"], manual_above_minutes="480")
    response = client.post(f"/manage/{facility.id}/rules", data=data, follow_redirects=True)
    assert "The booking rules are saved." in text(response)
    rules = facility.rules
    db.session.refresh(rules)
    assert rules.allow_multi_day and rules.max_duration_minutes == 86400
    assert rules.manual_actor_types == ["large_company"] and rules.approval_policy.value == "conditional"


def test_terms_make_versions(client, auth, facility, manager):
    auth.login(manager)
    client.post(f"/manage/{facility.id}/terms", data={"text": "Leave the hall tidy."})
    response = client.post(f"/manage/{facility.id}/terms", data={"text": "Leave the hall tidy. No glitter."},
                           follow_redirects=True)
    assert "Version 2 of the terms is published." in text(response)
    response = client.post(f"/manage/{facility.id}/terms", data={"text": "Leave the hall tidy. No glitter."},
                           follow_redirects=True)
    assert "nothing was changed" in text(response)
    assert [t.version for t in facility.terms] == [1, 2]


def test_questions(client, auth, facility, manager):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/questions", data={"label": "Catering?", "kind": "choice",
                                                                      "choices": "Yes"})
    assert "A choice question needs at least two answers" in text(response)
    response = client.post(f"/manage/{facility.id}/questions", data={"label": "Will you serve food?",
                                                                      "kind": "yes_no", "required": "y"},
                           follow_redirects=True)
    assert "Will you serve food?" in text(response)
    question = facility.questions[0]
    response = client.post(f"/manage/{facility.id}/questions/{question.id}", data={
        "label": "Will you serve food or drinks?", "kind": "yes_no", "required": "y", "active": "y",
        "position": "2"}, follow_redirects=True)
    assert "Will you serve food or drinks?" in text(response)
    response = client.post(f"/manage/{facility.id}/questions/{question.id}/remove", follow_redirects=True)
    assert "No longer asked" in text(response)
    db.session.refresh(question)
    assert question.active is False


def test_status_buttons_archive_and_return_to_draft(client, auth, facility, manager):
    auth.login(manager)
    response = client.post(f"/manage/{facility.id}/status", data={"status": "archived"}, follow_redirects=True)
    assert "Riverside Hall is archived" in text(response)
    response = client.post(f"/manage/{facility.id}/status", data={"status": "draft"}, follow_redirects=True)
    assert "Riverside Hall is a draft again" in text(response)
    assert client.post(f"/manage/{facility.id}/status", data={"status": "gone"}).status_code == 400
