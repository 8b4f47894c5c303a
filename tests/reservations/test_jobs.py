"""Time-driven steps: each is idempotent, and runs from `flask jobs run NAME`."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from booking.audit.models import AuditEvent
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.notifications.models import OutboxMessage
from booking.reservations import services
from booking.reservations.models import HoldEnd, ReservationStatus as S
from tests.fixtures.reservations import HELSINKI, NOW, local

TUESDAY_10, TUESDAY_12 = local(2030, 3, 5, 10), local(2030, 3, 5, 12)


def actions(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def outbox():
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_expire_holds_is_idempotent(facility, booker):
    held = services.hold(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    assert services.expire_holds(now=NOW + timedelta(minutes=14)) == 0
    assert services.expire_holds(now=NOW + timedelta(minutes=15)) == 1
    assert services.expire_holds(now=NOW + timedelta(minutes=30)) == 0
    assert held.status == S.cancelled and held.hold_end == HoldEnd.expired
    [event] = actions("reservation.hold_expired")
    assert event.actor_label == "system" and event.before == {"status": "held"}


def test_complete_finished_is_idempotent(facility, booker, reserve):
    done = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    upcoming = reserve(booker, facility, local(2030, 3, 6, 10), local(2030, 3, 6, 12))
    assert services.complete_finished(now=TUESDAY_12) == 1
    assert services.complete_finished(now=TUESDAY_12 + timedelta(hours=1)) == 0
    assert (done.status, upcoming.status) == (S.completed, S.confirmed)
    assert len(actions("reservation.completed")) == 1
    assert outbox()[-1].subject == "Thank you for using Riverside Hall"


def test_flag_overdue_escalates_once_to_admins_and_the_department(facility, booker, admin, reserve):
    facility.rules.approval_policy = ApprovalPolicy.manual
    facility.department.contact_email = "parks@example.com"
    db.session.commit()
    request = reserve(booker, facility, local(2030, 3, 20, 10), local(2030, 3, 20, 12))
    deadline = request.decision_deadline_dt
    assert deadline == local(2030, 3, 7, 9)  # three working days after Monday 09:00
    assert services.flag_overdue(now=deadline) == 0  # due, not yet overdue
    before = len(outbox())
    assert services.flag_overdue(now=deadline + timedelta(minutes=1)) == 1
    assert request.escalated_dt == deadline + timedelta(minutes=1)
    assert request.is_overdue(deadline + timedelta(minutes=1))
    escalations = outbox()[before:]
    assert sorted(m.to for m in escalations) == sorted([admin.email, "parks@example.com"])
    assert "passed its decision deadline" in escalations[0].text_body
    # Running again (or later) changes nothing more.
    assert services.flag_overdue(now=deadline + timedelta(days=2)) == 0
    assert len(outbox()) == before + 2 and len(actions("reservation.escalated")) == 1


def test_decided_requests_are_never_escalated(facility, booker, manager, reserve):
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    request = reserve(booker, facility, local(2030, 3, 20, 10), local(2030, 3, 20, 12))
    services.approve(manager, request, now=NOW)
    assert services.flag_overdue(now=local(2030, 3, 19)) == 0


def test_jobs_are_listed_and_run_from_the_command_line(runner, facility, booker, reserve):
    listing = runner.invoke(args=["jobs"]).output
    for name in ("expire-holds", "complete-finished", "flag-overdue"):
        assert name in listing
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    # Booked ten days ago for the day after tomorrow: the decision is overdue by now.
    real_now = datetime.now(HELSINKI)
    day = (real_now + timedelta(days=2)).date()
    request = reserve(booker, facility, local(day.year, day.month, day.day, 10),
                      local(day.year, day.month, day.day, 12), now=real_now - timedelta(days=10))
    result = runner.invoke(args=["jobs", "run", "flag-overdue"])
    assert result.exit_code == 0 and result.output.strip() == "flag-overdue: 1"
    assert runner.invoke(args=["jobs", "run", "flag-overdue"]).output.strip() == "flag-overdue: 0"
    assert runner.invoke(args=["jobs", "run", "expire-holds"]).output.strip() == "expire-holds: 0"
    assert runner.invoke(args=["jobs", "run", "complete-finished"]).output.strip() == "complete-finished: 0"
    db.session.refresh(request)
    assert request.escalated_dt is not None
