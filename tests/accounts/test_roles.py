"""What each role sees: navigation, the audit log and the outbox; anonymous visitors log in first."""
import re

import pytest

from booking.audit.services import record
from booking.extensions import db
from booking.notifications.services import queue_email

AUDIT, OUTBOX, PROFILE = 'href="/admin/audit"', 'href="/admin/outbox"', 'href="/profile"'


def _nav(page: str) -> str:
    return re.search(r"<header.*?</header>", page, re.S).group(0)


def test_anonymous_visitors_see_log_in_and_register(client):
    nav = _nav(client.get("/").get_data(as_text=True))
    assert "Log in" in nav and 'href="/register"' in nav
    assert AUDIT not in nav and OUTBOX not in nav and PROFILE not in nav and "Log out" not in nav


@pytest.mark.parametrize("who,sees,hidden", [
    ("member", [PROFILE], [AUDIT, OUTBOX]),
    ("manager", [PROFILE, AUDIT], [OUTBOX]),
    ("admin", [PROFILE, AUDIT, OUTBOX], []),
])
def test_each_role_sees_its_navigation(request, client, auth, who, sees, hidden):
    auth.login(request.getfixturevalue(who))
    nav = _nav(client.get("/").get_data(as_text=True))
    assert "Log out" in nav and "Log in" not in nav
    for link in sees:
        assert link in nav
    for link in hidden:
        assert link not in nav


@pytest.mark.parametrize("path", ["/profile", "/admin/audit", "/admin/outbox"])
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.fixture
def events(app, manager, create_department):
    """One event in the manager's department (Parks), one in another, one in none."""
    parks = manager.departments[0]
    libraries = create_department("Libraries")
    record("facility.updated", object_type="Facility", object_id=1, department_id=parks.id,
           after={"name": "Central Park stage"})
    record("facility.updated", object_type="Facility", object_id=2, department_id=libraries.id,
           after={"name": "Main library hall"})
    db.session.commit()


def test_an_admin_sees_every_event(client, auth, admin, events):
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Central Park stage" in page and "Main library hall" in page
    assert "user.created" in page  # account events, which belong to no department


def test_a_manager_sees_only_their_departments_events(client, auth, manager, events):
    auth.login(manager)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You see the events of your departments." in page
    assert "Central Park stage" in page
    assert "Main library hall" not in page
    assert "user.created" not in page
    assert "1 event" in page


def test_a_member_may_not_see_the_audit_log(client, auth, member, events):
    auth.login(member)
    response = client.get("/admin/audit")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Not allowed" in page
    assert "Central Park stage" not in page


def test_the_audit_log_filters(client, auth, admin, events):
    auth.login(admin)
    page = client.get("/admin/audit?action=facility.&object_type=Facility").get_data(as_text=True)
    assert "2 events" in page and "user.created" not in page
    page = client.get(f"/admin/audit?actor={admin.email}").get_data(as_text=True)
    assert "No events match these filters." in page  # the admin did none of these
    page = client.get("/admin/audit?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    assert "No events match these filters." in page
    assert client.get("/admin/audit?from=not-a-date&page=-3").status_code == 200


def test_the_audit_log_pages(client, auth, admin):
    for n in range(55):
        record("test.event", object_type="Thing", object_id=n)
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/audit?action=test.").get_data(as_text=True)
    assert "55 events" in page and "Page 1 of 2" in page
    page = client.get("/admin/audit?action=test.&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page and page.count("<code>test.event</code>") == 5


@pytest.fixture
def message(app, member):
    queue_email(member.email, "Your booking", "password_reset", user=member, link="http://x/y", minutes=60)
    db.session.commit()


def test_only_an_admin_sees_the_outbox(client, auth, admin, manager, member, message):
    for user in (member, manager):
        auth.login(user)
        assert client.get("/admin/outbox").status_code == 403
        auth.logout()
    auth.login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Your booking" in page and member.email in page
    assert "No mail server is configured (MAIL_SERVER), so e-mails are kept here instead of being sent." in page


def test_the_outbox_filters_by_status(client, auth, admin, message):
    auth.login(admin)
    assert "Your booking" in client.get("/admin/outbox?status=queued").get_data(as_text=True)
    assert "The outbox is empty." in client.get("/admin/outbox?status=sent").get_data(as_text=True)
    assert "Your booking" in client.get("/admin/outbox?status=nonsense").get_data(as_text=True)
