"""Admins list departments and set each one's decision deadline, contact and description."""
import pytest
from sqlalchemy import select

from booking.accounts.models import Department
from booking.audit.models import AuditEvent
from booking.extensions import db


def _department(name="Parks"):
    db.session.expire_all()
    return db.session.scalar(select(Department).where(Department.name == name))


def _events():
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "department.updated")))


def test_admin_sees_departments_with_managers_deadline_and_contact(client, auth, admin, manager):
    _department().contact_email = "parks@city.example"
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/departments").get_data(as_text=True)
    assert '<th scope="col">Decision days</th>' in page
    assert "Parks" in page and "Max Manager" in page and "parks@city.example" in page
    assert f'href="/admin/departments/{_department().id}"' in page
    assert 'href="/admin/departments"' in page  # the navigation item


def test_admin_changes_the_decision_deadline_and_it_is_audited(client, auth, admin, manager):
    department = _department()
    auth.login(admin)
    form = client.get(f"/admin/departments/{department.id}").get_data(as_text=True)
    assert "Working days a manager has to decide a request" in form and 'value="3"' in form

    response = client.post(f"/admin/departments/{department.id}", data={
        "description": "Parks and green areas", "contact_email": "Parks@City.example", "decision_days": "5"},
        follow_redirects=True)
    assert response.status_code == 200 and "Parks is saved." in response.get_data(as_text=True)
    department = _department()
    assert (department.decision_days, department.contact_email, department.description) == (
        5, "parks@city.example", "Parks and green areas")
    [event] = _events()
    assert (event.actor_id, event.object_id, event.department_id) == (admin.id, department.id, department.id)
    assert event.before == {"description": "", "contact_email": None, "decision_days": 3}
    assert event.after == {"description": "Parks and green areas", "contact_email": "parks@city.example",
                           "decision_days": 5}


@pytest.mark.parametrize("data,messages", [
    ({"decision_days": "0", "contact_email": "not-an-email"},
     ["Give a whole number of working days from 1 to 30.", "Not a valid e-mail address"]),
    ({"decision_days": "31", "contact_email": ""}, ["Give a whole number of working days from 1 to 30."]),
    ({"decision_days": "", "contact_email": ""}, ["Give the number of working days."]),
])
def test_invalid_values_show_every_message_and_change_nothing(client, auth, admin, manager, data, messages):
    department = _department()
    auth.login(admin)
    response = client.post(f"/admin/departments/{department.id}", data={"description": "Changed", **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please correct the following" in page
    for message in messages:
        assert message in page
    department = _department()
    assert (department.decision_days, department.description) == (3, "")
    assert _events() == []


@pytest.mark.parametrize("who", ["member", "manager"])
def test_members_and_managers_may_not_see_or_edit_departments(request, client, auth, manager, who):
    department_id = _department().id
    auth.login(request.getfixturevalue(who))
    assert 'href="/admin/departments"' not in client.get("/").get_data(as_text=True)
    assert client.get("/admin/departments").status_code == 403
    assert client.get(f"/admin/departments/{department_id}").status_code == 403
    assert client.post(f"/admin/departments/{department_id}", data={"decision_days": "9"}).status_code == 403
    assert _department().decision_days == 3


def test_an_unknown_department_is_not_found(client, auth, admin):
    auth.login(admin)
    assert client.get("/admin/departments/999999").status_code == 404


@pytest.mark.parametrize("path", ["/admin/departments", "/admin/departments/1"])
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
