"""Booking, holds, decisions, cancelling and changing, with a real database."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.accounts.models import ActorType, Role
from booking.audit.models import AuditEvent
from booking.errors import Conflict, PermissionDenied, RuleViolation
from booking.extensions import db
from booking.facilities.models import (ApprovalPolicy, BookingQuestion, FacilityStatus, FacilityTerms,
                                       LateCancellation, QuestionKind)
from booking.reservations import services
from booking.reservations.models import HoldEnd, Reservation, ReservationKind, ReservationStatus as S
from tests.fixtures.reservations import HELSINKI, NOW, local, written_outbox

TUESDAY_10, TUESDAY_12 = local(2030, 3, 5, 10), local(2030, 3, 5, 12)


def emails(to=None):
    return [m for m in written_outbox() if to is None or m.to == to]


def audit(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count_reservations():
    return db.session.scalar(select(func.count(Reservation.id)))


def set_rules(facility, **values):
    for name, value in values.items():
        setattr(facility.rules, name, value)
    db.session.commit()


# --- booking -------------------------------------------------------------------------------

def test_automatic_policy_confirms_and_emails_the_booker(facility, booker, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12, attendees=12, purpose="Planning day")

    assert reservation.status == S.confirmed
    assert (reservation.blocked_start_dt, reservation.blocked_end_dt) == (TUESDAY_10, TUESDAY_12)
    assert reservation.decided_dt == NOW and reservation.decided_by is None  # decided by the rules at once
    [message] = emails(booker.email)
    assert message.subject == "Reservation confirmed: Riverside Hall"
    assert "Team meeting" in message.text_body and "Riverside Hall" in message.text_body
    assert f"/reservations/{reservation.id}" in message.text_body
    [event] = audit("reservation.created")
    assert event.after["status"] == "confirmed" and event.actor_id == booker.id
    assert event.department_id == facility.department_id


def test_manual_policy_leaves_it_pending_with_a_deadline_the_email_states(facility, booker, reserve):
    set_rules(facility, approval_policy=ApprovalPolicy.manual)
    friday = datetime(2030, 3, 8, 12, 0, tzinfo=NOW.tzinfo)  # 14:00 in Helsinki
    reservation = reserve(booker, facility, local(2030, 3, 20, 10), local(2030, 3, 20, 12), now=friday)

    assert reservation.status == S.pending
    assert reservation.decision_deadline_dt == local(2030, 3, 13, 14)  # three working days: Wednesday
    assert reservation.requested_dt == friday and reservation.decided_dt is None
    [message] = emails(booker.email)
    assert "awaiting a decision" in message.subject
    assert "decides on it by Wed 13 Mar 2030 14:00" in message.text_body


def test_decision_deadline_uses_the_departments_days_and_never_passes_the_start(facility, booker, reserve):
    set_rules(facility, approval_policy=ApprovalPolicy.manual)
    facility.department.decision_days = 1
    db.session.commit()
    soon = reserve(booker, facility, local(2030, 3, 4, 14), local(2030, 3, 4, 15))
    later = reserve(booker, facility, local(2030, 3, 20, 10), local(2030, 3, 20, 11))
    assert soon.decision_deadline_dt == local(2030, 3, 4, 14)  # the start comes before Tuesday 09:00
    assert later.decision_deadline_dt == local(2030, 3, 5, 9)


@pytest.mark.parametrize("actor_type,hours,expected", [
    (ActorType.large_company, 1, S.pending),
    (ActorType.sme, 1, S.confirmed),
    (ActorType.sme, 5, S.pending),
])
def test_conditional_policy(facility, create_user, reserve, actor_type, hours, expected):
    set_rules(facility, approval_policy=ApprovalPolicy.conditional, manual_actor_types=["large_company"],
              manual_above_minutes=4 * 60)
    user = create_user(actor_type=actor_type)
    assert reserve(user, facility, TUESDAY_10, TUESDAY_10 + timedelta(hours=hours)).status == expected


def test_a_conflict_answers_with_the_conflicting_time(facility, booker, create_user, reserve):
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    other = create_user()
    with pytest.raises(Conflict) as refused:
        reserve(other, facility, local(2030, 3, 5, 11), local(2030, 3, 5, 13))
    assert refused.value.extra["conflicts"] == [{"start": "2030-03-05T10:00:00+02:00",
                                                 "end": "2030-03-05T12:00:00+02:00"}]
    assert "Already reserved from Tue 5 Mar 2030 10:00" in refused.value.all_reasons()[0]
    assert count_reservations() == 1


def test_buffers_are_stored_and_keep_reservations_apart(facility, booker, reserve):
    set_rules(facility, buffer_before_minutes=15, buffer_after_minutes=30)
    first = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    assert (first.blocked_start_dt, first.blocked_end_dt) == (local(2030, 3, 5, 9, 45), local(2030, 3, 5, 12, 30))
    with pytest.raises(Conflict) as refused:
        reserve(booker, facility, local(2030, 3, 5, 12, 30), local(2030, 3, 5, 13, 30))
    assert refused.value.extra["violations"][0]["code"] == "buffer_conflict"
    # 12:30 + 15 minutes of set-up before: 13:00 is the first start on the grid that fits.
    assert reserve(booker, facility, local(2030, 3, 5, 13), local(2030, 3, 5, 14)).status == S.confirmed


def test_every_broken_rule_at_once_and_nothing_written(facility, booker, reserve):
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, local(2030, 3, 5, 7, 10), local(2030, 3, 5, 7, 20), attendees=500, title=" ")
    codes = sorted(v["code"] for v in refused.value.extra["violations"])
    assert codes == ["off_grid", "outside_opening_hours", "over_capacity", "title_required", "too_short"]
    assert refused.value.field_errors["attendees"] == ["The facility holds at most 80 people."]
    assert count_reservations() == 0 and emails() == []


def test_terms_must_be_accepted_and_the_version_is_recorded(facility, booker, reserve):
    facility.terms.append(FacilityTerms(version=1, text="Old"))
    facility.terms.append(FacilityTerms(version=2, text="Leave it tidy."))
    db.session.commit()
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    assert refused.value.field_errors == {"accept_terms": ["Accept the facility's terms of use to book it."]}
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12, accept_terms=True)
    assert reservation.accepted_terms.version == 2 and reservation.accepted_terms_dt == NOW


def test_answers_to_the_facilitys_questions(facility, booker, reserve):
    food = BookingQuestion(label="Will you serve food?", kind=QuestionKind.yes_no, required=True)
    seating = BookingQuestion(label="Seating", kind=QuestionKind.choice, choices=["Rows", "Tables"])
    facility.questions.extend([food, seating])
    db.session.commit()
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, TUESDAY_10, TUESDAY_12, answers={str(seating.id): "Sofas"})
    assert refused.value.field_errors == {
        f"question_{food.id}": ["Please answer: Will you serve food?"],
        f"question_{seating.id}": ["Choose one of the offered answers to: Seating"]}
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12, answers={str(food.id): "no",
                                                                           str(seating.id): "Tables"})
    assert reservation.answers == {str(food.id): False, str(seating.id): "Tables"}


def test_organisation_quota_counts_active_reservations(facility, booker, create_user, reserve):
    set_rules(facility, max_active_per_organisation=2)
    reserve(booker, facility, local(2030, 3, 5, 8), local(2030, 3, 5, 9))
    second = reserve(booker, facility, local(2030, 3, 5, 9), local(2030, 3, 5, 10))
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, local(2030, 3, 5, 10), local(2030, 3, 5, 11))
    assert "already has 2 active reservations" in refused.value.all_reasons()[0]
    assert reserve(create_user(), facility, local(2030, 3, 5, 10), local(2030, 3, 5, 11))  # another organisation
    services.cancel(booker, second, now=NOW)
    assert reserve(booker, facility, local(2030, 3, 5, 12), local(2030, 3, 5, 13)).status == S.confirmed


def test_members_book_only_for_their_own_organisation(facility, booker, create_user, reserve):
    stranger = create_user()
    with pytest.raises(PermissionDenied):
        reserve(stranger, facility, TUESDAY_10, TUESDAY_12, organisation=booker.organisations[0])


def test_unpublished_facilities_cannot_be_booked(create_facility, booker, reserve):
    draft = create_facility(status=FacilityStatus.draft)
    with pytest.raises(RuleViolation, match="not open for booking"):
        reserve(booker, draft, TUESDAY_10, TUESDAY_12)


# --- holds ----------------------------------------------------------------------------------

def test_hold_then_submit(facility, booker):
    org = booker.organisations[0]
    held = services.hold(booker, facility, org, TUESDAY_10, TUESDAY_12, now=NOW)
    assert held.status == S.held and held.hold_expires_dt == NOW + timedelta(minutes=15)
    assert emails() == []  # nothing to tell anyone yet
    done = services.submit(booker, held, title="Board meeting", attendees=6, now=NOW + timedelta(minutes=5))
    assert done.status == S.confirmed and done.hold_expires_dt is None and done.title == "Board meeting"
    assert done.requested_dt == NOW + timedelta(minutes=5)
    assert [e.after["status"] for e in audit("reservation.submitted")] == ["confirmed"]


def test_a_hold_keeps_the_time_from_others(facility, booker, create_user, reserve):
    services.hold(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    with pytest.raises(Conflict):
        reserve(create_user(), facility, TUESDAY_10, TUESDAY_12, now=NOW + timedelta(minutes=14))


def test_expired_hold_never_blocks(facility, booker, create_user, reserve):
    held = services.hold(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    # No job has run; sixteen minutes later someone else books the same time.
    other = reserve(create_user(), facility, TUESDAY_10, TUESDAY_12, now=NOW + timedelta(minutes=16))
    assert other.status == S.confirmed
    db.session.refresh(held)
    assert held.status == S.cancelled and held.hold_end == HoldEnd.expired
    with pytest.raises(Conflict, match="hold on this time expired"):
        services.submit(booker, held, title="Too late", now=NOW + timedelta(minutes=17))


def test_a_booking_cancels_every_expired_hold_of_its_facility_not_only_those_in_its_way(facility, booker,
                                                                                         create_user, reserve):
    held = services.hold(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    later = NOW + timedelta(minutes=16)
    other = reserve(create_user(), facility, TUESDAY_10 + timedelta(days=1), TUESDAY_12 + timedelta(days=1), now=later)
    assert other.status == S.confirmed
    db.session.refresh(held)
    assert held.status == S.cancelled and held.hold_end == HoldEnd.expired and held.cancelled_dt == later


def test_expired_holds_are_looked_for_among_holds_not_among_the_facilitys_reservations(app):
    """Every booking asks for its facility's expired holds. With a city's statistics SQLite's
    planner took the facility's index for it and read every reservation the facility ever had;
    holds are few, so a status index must serve it. PostgreSQL planned the prepared statement
    again at every booking while the status was a parameter: it is written into the SQL."""
    from booking.reservations.services.checks import EXPIRED_HOLDS
    as_sent = EXPIRED_HOLDS.params(facility_id=1, now=NOW)
    sql = str(as_sent.compile(db.engine, compile_kwargs={"render_postcompile": True}))
    assert "status = 'held'" in sql and "facility_id + 0" in sql
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's plan follows its own statistics, which an empty test database lacks
    connection = db.session.connection()
    run = connection.exec_driver_sql
    run("ANALYZE")  # creates sqlite_stat1; then the statistics of the S city (200 facilities)
    run("DELETE FROM sqlite_stat1")
    stats = {"ix_reservation_facility_blocked": "42000 210 2 1", "ix_reservation_status_deadline": "42000 8400 3",
             "ix_reservation_status_end": "42000 8400 2"}
    try:
        for index, stat in stats.items():
            run("INSERT INTO sqlite_stat1 VALUES ('reservation', ?, ?)", (index, stat))
        run("ANALYZE sqlite_schema")  # load them
        plan = " ".join(row[-1] for row in run(f"EXPLAIN QUERY PLAN {sql}", (None,) * sql.count("?")))
    finally:
        run("DELETE FROM sqlite_stat1")
        run("ANALYZE sqlite_schema")
    assert "USING INDEX ix_reservation_status" in plan and "facility" not in plan, plan


def test_expired_hold_is_not_busy_time_for_availability(facility, booker):
    from booking.facilities.availability import Interval
    real_now = datetime.now(NOW.tzinfo)
    day = (real_now + timedelta(days=3)).astimezone(HELSINKI).date()
    start = local(day.year, day.month, day.day, 10)
    services.hold(booker, facility, booker.organisations[0], start, start + timedelta(hours=1),
                  now=real_now - timedelta(hours=1))
    window = Interval(start - timedelta(days=1), start + timedelta(days=1))
    assert services.busy_intervals([facility.id], window) == {}


def test_an_expired_hold_nobody_took_can_still_be_submitted(facility, booker):
    held = services.hold(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    done = services.submit(booker, held, title="Slow typist", now=NOW + timedelta(minutes=40))
    assert done.status == S.confirmed


def test_a_new_hold_releases_the_earlier_one(facility, booker):
    org = booker.organisations[0]
    first = services.hold(booker, facility, org, TUESDAY_10, TUESDAY_12, now=NOW)
    second = services.hold(booker, facility, org, local(2030, 3, 5, 14), local(2030, 3, 5, 15), now=NOW)
    db.session.refresh(first)
    assert first.status == S.cancelled and second.status == S.held
    services.release_hold(booker, second, now=NOW)
    assert second.status == S.cancelled and second.hold_end == HoldEnd.released


def test_a_new_hold_may_overlap_the_earlier_one_it_releases(facility, booker):
    """The earlier hold ends in the same unit of work, before the new time is checked."""
    org = booker.organisations[0]
    first = services.hold(booker, facility, org, TUESDAY_10, TUESDAY_12, now=NOW)
    second = services.hold(booker, facility, org, local(2030, 3, 5, 11), local(2030, 3, 5, 13), now=NOW)
    db.session.refresh(first)
    assert first.status == S.cancelled and second.status == S.held


def test_only_the_holder_submits(facility, booker, create_user):
    held = services.hold(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    with pytest.raises(PermissionDenied):
        services.submit(create_user(), held, title="Mine now", now=NOW)


# --- decisions ------------------------------------------------------------------------------

@pytest.fixture
def pending(facility, booker, reserve):
    set_rules(facility, approval_policy=ApprovalPolicy.manual)
    return reserve(booker, facility, TUESDAY_10, TUESDAY_12)


def test_approve(pending, manager, booker):
    later = NOW + timedelta(hours=3)
    services.approve(manager, pending, internal_note="Known group", now=later)
    assert pending.status == S.confirmed and pending.decided_by == manager and pending.decided_dt == later
    assert pending.decided_dt - pending.requested_dt == timedelta(hours=3)  # the lead time, for statistics
    assert pending.internal_note == "Known group"
    [event] = audit("reservation.approved")
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "confirmed"})
    assert emails(booker.email)[-1].subject == "Reservation approved: Riverside Hall"


def test_only_the_facilitys_managers_decide(pending, booker, create_user, create_department):
    other_manager = create_user(role=Role.facility_manager, departments=[create_department("Libraries")])
    for user in (booker, other_manager):
        with pytest.raises(PermissionDenied):
            services.approve(user, pending, now=NOW)
    assert pending.status == S.pending


def test_reject_needs_a_reason_which_is_sent_but_not_the_internal_note(pending, manager, booker, create_user,
                                                                      reserve):
    with pytest.raises(RuleViolation) as refused:
        services.reject(manager, pending, "  ", now=NOW)
    assert refused.value.field_errors == {"reason": ["Give a reason; it is sent to the booker."]}
    services.reject(manager, pending, "The hall is being painted.", internal_note="Ask Pekka", now=NOW)
    assert pending.status == S.rejected and pending.rejection_reason == "The hall is being painted."
    message = emails(booker.email)[-1]
    assert "declined" in message.subject
    assert "The hall is being painted." in message.text_body and "Pekka" not in message.text_body
    # The time is free again at once.
    assert reserve(create_user(), pending.facility, TUESDAY_10, TUESDAY_12).status == S.pending


def test_deciding_twice_is_refused(pending, manager):
    services.approve(manager, pending, now=NOW)
    with pytest.raises(RuleViolation, match="Only a pending request can be declined; this one is confirmed"):
        services.reject(manager, pending, "No", now=NOW)


def test_return_to_handling(pending, manager, booker):
    services.reject(manager, pending, "Mistake", now=NOW)
    services.return_to_handling(manager, pending, internal_note="Rejected by mistake", now=NOW + timedelta(hours=1))
    assert pending.status == S.pending and pending.decided_dt is None and pending.rejection_reason is None
    assert pending.decision_deadline_dt == local(2030, 3, 5, 10)  # capped by the start
    assert "back in handling" in emails(booker.email)[-1].subject
    services.approve(manager, pending, now=NOW + timedelta(hours=2))
    services.return_to_handling(manager, pending, now=NOW + timedelta(hours=3))
    assert pending.status == S.pending


def test_returning_a_declined_request_whose_time_was_taken_is_a_conflict(pending, manager, create_user, reserve):
    services.reject(manager, pending, "Double-check", now=NOW)
    reserve(create_user(), pending.facility, TUESDAY_10, TUESDAY_12)
    with pytest.raises(Conflict):
        services.return_to_handling(manager, pending, now=NOW)
    db.session.refresh(pending)
    assert pending.status == S.rejected


# --- cancelling -------------------------------------------------------------------------------

def test_cancel_before_the_deadline_frees_the_time(facility, booker, create_user, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    services.cancel(booker, reservation, reason="Plans changed", now=NOW)
    assert reservation.status == S.cancelled and not reservation.late_cancellation_fee
    assert "cancelled" in emails(booker.email)[-1].subject
    assert reserve(create_user(), facility, TUESDAY_10, TUESDAY_12).status == S.confirmed


def test_cancel_after_deadline_refused(facility, booker, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    late = TUESDAY_10 - timedelta(hours=23)
    info = services.cancellation_info(booker, reservation, now=late)
    assert not info.allowed and "Free cancellation ended at Mon 4 Mar 2030 10:00" in info.reason
    assert info.reason.endswith("contact the facility's department: Parks.")  # says whom to contact
    with pytest.raises(RuleViolation, match="Free cancellation ended"):
        services.cancel(booker, reservation, now=late)
    assert reservation.status == S.confirmed


def test_cancel_after_deadline_with_a_fee(facility, booker, reserve):
    set_rules(facility, late_cancellation=LateCancellation.fee)
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    services.cancel(booker, reservation, now=TUESDAY_10 - timedelta(hours=1))
    assert reservation.status == S.cancelled and reservation.late_cancellation_fee
    assert "late-cancellation fee applies" in emails(booker.email)[-1].text_body


def test_managers_may_always_cancel(facility, booker, manager, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    services.cancel(manager, reservation, reason="Water damage", now=TUESDAY_10 - timedelta(hours=1))
    assert reservation.status == S.cancelled and not reservation.late_cancellation_fee


def test_other_organisations_cannot_cancel(facility, booker, create_user, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    with pytest.raises(PermissionDenied):
        services.cancel(create_user(), reservation, now=NOW)


def test_a_colleague_in_the_organisation_may_cancel(facility, booker, create_user, reserve):
    from booking.accounts import services as accounts
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    colleague = create_user(organisation=None)
    accounts.add_membership(colleague, booker.organisations[0])
    db.session.commit()
    services.cancel(colleague, reservation, now=NOW)
    assert reservation.status == S.cancelled


# --- the day itself ---------------------------------------------------------------------------

def test_check_in_no_show_and_complete(facility, booker, manager, reserve):
    first = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    with pytest.raises(RuleViolation, match="Check-in opens 30 minutes before"):
        services.check_in(manager, first, now=TUESDAY_10 - timedelta(hours=1))
    services.check_in(manager, first, now=TUESDAY_10 - timedelta(minutes=10))
    assert first.checked_in_dt == TUESDAY_10 - timedelta(minutes=10)
    with pytest.raises(RuleViolation):
        services.mark_no_show(manager, first, now=TUESDAY_10 + timedelta(minutes=30))
    with pytest.raises(RuleViolation, match="has ended"):
        services.complete(first, now=TUESDAY_12 - timedelta(minutes=1))
    services.complete(first, now=TUESDAY_12)
    assert first.status == S.completed

    second = reserve(booker, facility, local(2030, 3, 6, 10), local(2030, 3, 6, 11))
    with pytest.raises(RuleViolation, match="not started"):
        services.mark_no_show(manager, second, now=local(2030, 3, 6, 9))
    services.mark_no_show(manager, second, now=local(2030, 3, 6, 10, 20))
    assert second.status == S.no_show
    assert [e.after["status"] for e in audit("reservation.no_show")] == ["no_show"]
    with pytest.raises(PermissionDenied):
        services.check_in(booker, reserve(booker, facility, local(2030, 3, 7, 10), local(2030, 3, 7, 11)),
                          now=local(2030, 3, 7, 10))


# --- changing the time -------------------------------------------------------------------------

def test_change_time_reruns_every_rule_and_conflict(facility, booker, create_user, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    reserve(create_user(), facility, local(2030, 3, 5, 14), local(2030, 3, 5, 16))
    with pytest.raises(Conflict):
        services.change_time(booker, reservation, local(2030, 3, 5, 13), local(2030, 3, 5, 15), now=NOW)
    with pytest.raises(RuleViolation):
        services.change_time(booker, reservation, local(2030, 3, 5, 19), local(2030, 3, 5, 21), now=NOW)
    db.session.refresh(reservation)
    assert reservation.start_dt == TUESDAY_10
    # Moving within its own old time is fine: it never conflicts with itself.
    services.change_time(booker, reservation, local(2030, 3, 5, 11), local(2030, 3, 5, 13), now=NOW)
    assert (reservation.start_dt, reservation.blocked_end_dt) == (local(2030, 3, 5, 11), local(2030, 3, 5, 13))
    assert reservation.status == S.confirmed
    assert "changed" in emails(booker.email)[-1].subject
    [event] = audit("reservation.changed")
    assert event.before["start"].startswith("2030-03-05T08:00")


def test_change_returns_to_pending_where_the_policy_needs(facility, booker, manager, reserve):
    set_rules(facility, approval_policy=ApprovalPolicy.conditional, manual_above_minutes=120)
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    assert reservation.status == S.confirmed
    services.change_time(booker, reservation, TUESDAY_10, local(2030, 3, 5, 13), now=NOW)
    assert reservation.status == S.pending and reservation.decision_deadline_dt is not None
    assert "waits for a manager's decision" in emails(booker.email)[-1].text_body
    services.approve(manager, reservation, now=NOW)
    # A manager's own change keeps it confirmed.
    services.change_time(manager, reservation, TUESDAY_10, local(2030, 3, 5, 14), now=NOW)
    assert reservation.status == S.confirmed


def test_change_after_the_deadline_is_refused_for_the_organisation(facility, booker, reserve):
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    with pytest.raises(RuleViolation, match="Changes were possible until"):
        services.change_time(booker, reservation, local(2030, 3, 5, 14), local(2030, 3, 5, 16),
                             now=TUESDAY_10 - timedelta(hours=2))


# --- internal blocks ---------------------------------------------------------------------------

def test_internal_blocks_occupy_time_without_an_organisation(facility, manager, booker, reserve):
    block = services.create_internal_block(manager, facility, local(2030, 3, 4, 9, 5), local(2030, 3, 5, 23, 55),
                                           title="Floor sanding", internal_note="Contractor X", now=NOW)
    assert block.kind == ReservationKind.internal_block and block.organisation_id is None
    assert block.status == S.confirmed and emails() == []
    assert audit("reservation.blocked")[0].actor_id == manager.id
    with pytest.raises(Conflict):
        reserve(booker, facility, TUESDAY_10, TUESDAY_12)


def test_members_cannot_block_time(facility, booker):
    with pytest.raises(PermissionDenied):
        services.create_internal_block(booker, facility, TUESDAY_10, TUESDAY_12, title="Mine", now=NOW)


# --- queries ---------------------------------------------------------------------------------

def test_bookable_start_times_leave_out_taken_and_early_times(facility, booker, reserve):
    set_rules(facility, min_notice_minutes=0)
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    starts = services.bookable_start_times(facility, TUESDAY_10.date(), timedelta(hours=2), now=NOW)
    local_hours = [s.astimezone(local(2030, 1, 1).tzinfo) for s in starts]
    assert TUESDAY_10 not in starts and local(2030, 3, 5, 8) in starts and local(2030, 3, 5, 12) in starts
    assert local(2030, 3, 5, 9) not in starts and local(2030, 3, 5, 18) in starts
    assert local(2030, 3, 5, 18, 30) not in starts and local_hours
    assert services.bookable_start_times(facility, TUESDAY_10.date(), timedelta(minutes=45), now=NOW) == []


def test_check_booking_says_what_would_happen(facility, booker, reserve):
    set_rules(facility, approval_policy=ApprovalPolicy.manual)
    check = services.check_booking(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    assert check.ok and check.status == S.pending and check.decision_deadline == TUESDAY_10
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    check = services.check_booking(booker, facility, booker.organisations[0], local(2030, 3, 5, 11),
                                   local(2030, 3, 5, 20, 30), now=NOW)
    assert not check.ok and check.conflicts == ["Already reserved from Tue 5 Mar 2030 10:00 to Tue 5 Mar 2030 12:00."]
    assert check.problems == ["The time is outside the facility's opening hours.",
                              "A reservation here may last at most 8 hours."]
    assert count_reservations() == 1


def test_visibility_and_the_manager_inbox(facility, booker, manager, admin, create_user, create_department,
                                          create_facility, reserve):
    set_rules(facility, approval_policy=ApprovalPolicy.manual)
    mine = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    other = create_user()
    theirs = reserve(other, facility, local(2030, 3, 6, 10), local(2030, 3, 6, 11))
    elsewhere = create_facility(department=create_department("Libraries"))
    reserve(other, elsewhere, TUESDAY_10, TUESDAY_12)

    def visible(user, **filters):
        return [r.id for r in db.session.scalars(services.visible_reservations(user, **filters))]

    assert visible(booker) == [mine.id]
    assert visible(manager) == [mine.id, theirs.id]
    assert len(visible(admin)) == 3
    assert visible(manager, statuses=["confirmed"]) == []
    assert visible(manager, from_dt=local(2030, 3, 6), to_dt=local(2030, 3, 7)) == [theirs.id]
    assert [r.id for r in db.session.scalars(services.manager_inbox(manager))] == [mine.id, theirs.id]
    assert services.count_pending_for(manager) == 2 and services.count_pending_for(booker) == 0


# --- the database's own guarantees ------------------------------------------------------------

def test_named_check_constraints(facility, booker, reserve):
    from sqlalchemy.exc import IntegrityError
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    for column, value in (("attendees", -1), ("organisation_id", None), ("blocked_end_dt", TUESDAY_10)):
        setattr(reservation, column, value)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


# --- the core issue's cases, by name ----------------------------------------------------------

def test_an_end_in_the_year_9000_is_refused_without_walking_its_days(facility, booker, reserve, monkeypatch):
    from booking.reservations.services import checks
    windows = []
    original = checks.surroundings
    monkeypatch.setattr(checks, "surroundings", lambda facility, window, *args: (windows.append(window),
                                                                                  original(facility, window, *args))[1])
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, TUESDAY_10, datetime(9000, 1, 1, tzinfo=NOW.tzinfo))
    assert refused.value.codes == ["reservation.too_long"]
    assert "may last at most 8 hours" in refused.value.all_reasons()[0]
    assert windows == []  # no opening hours were computed for the 7,000 years


def test_a_start_in_the_year_9999_or_0001_is_a_rule_violation(facility, booker, reserve):
    for start in (datetime(9999, 12, 31, 10, tzinfo=NOW.tzinfo), datetime(1, 1, 1, 10, tzinfo=NOW.tzinfo)):
        with pytest.raises(RuleViolation):
            reserve(booker, facility, start, start + timedelta(hours=1))


def test_nobody_coming_is_refused(facility, booker, reserve):
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, TUESDAY_10, TUESDAY_12, attendees=0)
    assert refused.value.field_errors == {"attendees": ["Say how many people will come: at least 1."]}


def test_a_duration_reads_the_same_everywhere(facility, booker, reserve):
    set_rules(facility, min_duration_minutes=90)
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, TUESDAY_10, local(2030, 3, 5, 11))
    assert "must last at least 1 hour 30 minutes" in refused.value.field_errors["end"][0]


def test_the_confirmation_after_the_free_cancellation_deadline_says_what_is_true(facility, booker, reserve):
    # Booked 20 hours before the start: the facility's 24-hour free cancellation has ended.
    reservation = reserve(booker, facility, TUESDAY_10, TUESDAY_12, now=TUESDAY_10 - timedelta(hours=20))
    [message] = emails(booker.email)
    assert "Free cancellation ended at Mon 4 Mar 2030 10:00" in message.text_body
    assert "contact the facility's department" in message.text_body
    assert "free of charge until" not in message.text_body
    assert services.cancellation_info(booker, reservation, now=TUESDAY_10 - timedelta(hours=19)).allowed is False


def test_the_confirmation_before_the_deadline_states_it(facility, booker, reserve):
    reserve(booker, facility, TUESDAY_10, TUESDAY_12)
    [message] = emails(booker.email)
    assert "free of charge until Mon 4 Mar 2030 10:00" in message.text_body


def test_check_booking_states_the_cancellation_terms(facility, booker):
    check = services.check_booking(booker, facility, booker.organisations[0], TUESDAY_10, TUESDAY_12, now=NOW)
    assert check.cancel_deadline == TUESDAY_10 - timedelta(hours=24) and check.late_cancellation == "refuse"
