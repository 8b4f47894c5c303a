"""Where people land after logging in, and the admin's city overview: each department's requests
waiting and overdue, today's reservations, pilot agreements waiting for the city, and jobs and
e-mails that fail."""
from __future__ import annotations

from datetime import timedelta

from booking.database import utcnow
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.notifications.models import OutboxMessage, OutboxStatus
from booking.reservations.services import figures
from booking.scheduler import JobState, Outcome
from tests.reservations.test_views import AROUND_THE_CLOCK, book, started_reservation, text
from tests.facilities.helpers import at, next_monday
from tests.fixtures.accounts import PASSWORD


# --- landing after login ----------------------------------------------------------------------

def test_a_manager_lands_on_the_inbox_an_admin_on_the_overview_and_a_member_on_the_front_page(
        client, auth, manager, admin, member):
    assert auth.login(manager).headers["Location"] == "/reservations/inbox"
    auth.logout()
    assert auth.login(admin).headers["Location"] == "/admin/overview"
    auth.logout()
    assert auth.login(member).headers["Location"] == "/"


def test_a_next_page_still_wins(client, manager, admin):
    for user in (manager, admin):
        response = client.post("/login?next=/facilities", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/facilities"
        client.post("/logout")


def test_visiting_the_login_page_when_logged_in_leads_to_ones_landing_page(client, auth, manager):
    auth.login(manager)
    assert client.get("/login").headers["Location"] == "/reservations/inbox"


# --- the city overview ------------------------------------------------------------------------

def test_only_admins_see_the_overview(client, auth, manager, member):
    assert client.get("/admin/overview").status_code == 302
    auth.login(manager)
    assert client.get("/admin/overview").status_code == 403
    auth.logout()
    auth.login(member)
    assert client.get("/admin/overview").status_code == 403


def test_department_figures_count_waiting_overdue_and_todays_bookings(app, manager, create_facility, create_department,
                                                                      booker):
    parks = manager.departments[0]
    hall = create_facility("Gym", department=parks, hours=AROUND_THE_CLOCK)
    culture_hall = create_facility("Stage", department=create_department("Culture"), hours=AROUND_THE_CLOCK)
    for facility in (hall, culture_hall):
        facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    day = next_monday() + timedelta(days=7)
    waiting = book(booker, hall, at(day, 10), at(day, 11), title="Waiting")
    late = book(booker, hall, at(day, 12), at(day, 13), title="Late")
    late.decision_deadline_dt = utcnow() - timedelta(hours=1)
    book(booker, culture_hall, at(day, 10), at(day, 11), title="Elsewhere")
    for facility in (hall, culture_hall):
        facility.rules.approval_policy = ApprovalPolicy.automatic
    db.session.commit()
    today = started_reservation(booker, hall, title="Today")
    today.checked_in_dt = utcnow()
    db.session.commit()

    now = utcnow()
    found = figures.department_figures(now=now, day_start=today.start_dt - timedelta(hours=1),
                                       day_end=today.start_dt + timedelta(hours=1))

    assert found[parks.id] == figures.DepartmentFigures(waiting=2, overdue=1, today=1, checked_in=1, no_shows=0)
    assert found[culture_hall.department_id] == figures.DepartmentFigures(waiting=1)
    assert waiting.status.value == "pending"


def test_the_overview_page_shows_each_department_and_the_machinery(client, auth, admin, manager, create_facility,
                                                                   booker):
    hall = create_facility("Gym", department=manager.departments[0], hours=AROUND_THE_CLOCK)
    hall.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    day = next_monday() + timedelta(days=7)
    late = book(booker, hall, at(day, 10), at(day, 11), title="Late")
    late.decision_deadline_dt = utcnow() - timedelta(hours=1)
    db.session.add(JobState(name="send-outbox", last_outcome=Outcome.failed, last_end_dt=utcnow(), failures=3,
                            last_error="SMTP refused"))
    db.session.add(OutboxMessage(to="x@example.com", subject="Hi", text_body="Hi", status=OutboxStatus.failed,
                                 attempts=5))
    db.session.commit()
    auth.login(admin)

    page = text(client.get("/admin/overview"))

    assert "City overview" in page and "Parks" in page
    row = page.split("Parks", 1)[1].split("</tr>", 1)[0]
    assert '<strong class="overdue-flag">1</strong>' in row
    assert "send-outbox" in page and "SMTP refused" in page
    assert "1 e-mail failed for good." in page
