"""From a proposal to a signed, booked, reported pilot, through the services."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from booking.agreements import services
from booking.agreements.models import Acceptance, AgreementStatus as A
from booking.errors import Conflict, DomainError, PermissionDenied, RuleViolation
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations.models import Reservation, ReservationStatus
from booking.unit_of_work import unit_of_work
from tests.fixtures.agreements import BLOCK_END, BLOCK_START, agreement_input
from tests.fixtures.reservations import NOW, OVERLAPPING_ACTIVE_PAIRS

LATER = NOW + timedelta(days=2)


def run(fn, *args, **kwargs):
    with unit_of_work():
        return fn(*args, **kwargs)


def accept_all(agreement, *people, now=LATER):
    """Each person accepts for every party they may still accept for."""
    for person in people:
        for party in services.pending_parties(agreement):
            if party in services.rules.parties_for(person, agreement):
                run(services.accept, person, agreement, party, document_sha256=services.document(agreement)[1],
                    remote_addr="192.0.2.1", now=now)


def test_a_proposal_is_reviewed_signed_booked_and_reported(make_agreement, lead, partner, manager, template,
                                                           create_tariff, pilot_facility):
    create_tariff(pilot_facility, unit="per_day", base_price_cents=10000, bands=())
    agreement = make_agreement("submitted")
    assert agreement.status == A.submitted and agreement.decision_deadline_dt is not None
    with pytest.raises(RuleViolation) as refused:
        run(services.transition, manager, agreement, "request_changes", now=NOW)
    assert refused.value.codes == ["agreement.reason_required"]
    run(services.transition, manager, agreement, "request_changes", reason="Add the noise KPI.", now=NOW)
    assert agreement.status == A.changes_requested and agreement.decision_reason == "Add the noise KPI."
    run(services.transition, lead, agreement, "submit", now=NOW)
    run(services.transition, manager, agreement, "approve", now=NOW + timedelta(days=1))
    assert agreement.status == A.approved and agreement.template == template
    [quoted] = services.block_prices(agreement)
    assert quoted.gross_cents > 0 and "Harbour Testbed" in services.document(agreement)[0]

    accept_all(agreement, lead, partner)
    assert agreement.status == A.approved and services.pending_parties(agreement) == [None]
    accept_all(agreement, manager)
    assert agreement.status == A.signed
    [block] = agreement.blocks
    reservation = block.reservation
    assert reservation.status == ReservationStatus.confirmed
    assert (reservation.start_dt, reservation.organisation) == (BLOCK_START, lead.organisations[0])
    assert reservation.price is not None and reservation.price.gross_cents == services.block_prices(agreement)[0].gross_cents
    acceptances = agreement.valid_acceptances
    assert {a.organisation_id for a in acceptances} == {lead.organisations[0].id, partner.organisations[0].id, None}
    assert {a.document_sha256 for a in acceptances} == {services.document(agreement)[1]}
    assert all(a.template_id == template.id and a.remote_addr == "192.0.2.1" for a in acceptances)

    run(services.transition, manager, agreement, "activate", now=BLOCK_START)
    with pytest.raises(RuleViolation):
        run(services.accept_report, manager, agreement, now=BLOCK_START)
    run(services.file_report, lead, agreement, kpi_results="97 % availability", lessons="Mount higher.",
        scalable=True, now=BLOCK_START + timedelta(days=20))
    run(services.accept_report, manager, agreement, assessment="Useful data.", now=BLOCK_START + timedelta(days=30))
    assert agreement.status == A.completed
    assert db.session.scalars(services.registry()).all() == [agreement]
    subjects = db.session.scalars(select(OutboxMessage.subject)).all()
    assert any("pilot proposal" in s for s in subjects) and any("signed" in s for s in subjects)


def test_a_change_after_one_signature_voids_it_and_returns_to_review(make_agreement, lead, partner, template):
    agreement = make_agreement("approved")
    accept_all(agreement, lead)
    assert len(agreement.valid_acceptances) == 1
    run(services.update_agreement, lead, agreement, agreement_input(agreement.blocks[0].facility,
                                                                    partners=agreement.partners, title="Air sensors v2"),
        now=LATER)
    assert agreement.status == A.submitted and agreement.valid_acceptances == []
    assert db.session.scalar(select(func.count(Acceptance.id)).where(Acceptance.void_dt.is_not(None))) == 1


def test_an_outdated_document_is_not_accepted(make_agreement, lead, template):
    agreement = make_agreement("approved")
    with pytest.raises(RuleViolation) as refused:
        run(services.accept, lead, agreement, lead.organisations[0].id, document_sha256="0" * 64, now=LATER)
    assert refused.value.codes == ["agreement.document_changed"]


def test_if_the_block_cannot_be_held_the_approval_writes_nothing(make_agreement, manager, template,
                                                                   create_user, reserve, pilot_facility):
    agreement = make_agreement("submitted")
    someone = create_user(name="Other Booker")
    reserve(someone, pilot_facility, BLOCK_START + timedelta(days=10), BLOCK_START + timedelta(days=10, hours=2))
    with pytest.raises(Conflict) as refused:
        run(services.transition, manager, agreement, "approve", now=LATER)
    assert refused.value.codes == ["agreement.block_unavailable"]
    db.session.expire_all()
    assert agreement.status == A.submitted and agreement.template is None
    assert db.session.scalar(select(func.count(Reservation.id))) == 1
    assert agreement.blocks[0].reservation is None
    assert db.session.execute(OVERLAPPING_ACTIVE_PAIRS).scalar() == 0


def test_approval_holds_the_time_and_signing_confirms_the_same_reservation(
        make_agreement, lead, partner, manager, template, create_user, reserve, pilot_facility):
    from booking.reservations import services as reservations
    agreement = make_agreement("approved")
    held = agreement.blocks[0].reservation
    assert held.status == ReservationStatus.pending and held.held_for == f"agreement:{agreement.id}"
    assert held.decision_deadline_dt is None and held.organisation == lead.organisations[0]
    assert held not in db.session.scalars(reservations.manager_inbox(manager)).all()   # decided with the agreement
    for attempt in (lambda: reservations.approve(manager, held, now=LATER),
                    lambda: reservations.cancel(lead, held, now=LATER)):
        with pytest.raises(RuleViolation) as refused:
            with unit_of_work():
                attempt()
        assert refused.value.codes == ["reservation.held_for_agreement"]
    assert not reservations.change_info(lead, held, now=LATER).allowed
    someone = create_user(name="Other Booker")
    with pytest.raises(Conflict):   # nobody else takes the held time
        reserve(someone, pilot_facility, BLOCK_START + timedelta(days=3), BLOCK_START + timedelta(days=3, hours=1),
                now=LATER)
    accept_all(agreement, lead, partner, manager)
    assert agreement.status == A.signed and agreement.blocks[0].reservation is held
    assert held.status == ReservationStatus.confirmed and held.held_for is None and held.decided_by == manager
    assert db.session.scalar(select(func.count(Reservation.id))) == 1


@pytest.mark.parametrize("ending", ["withdraw", "decline"])
def test_ending_unsigned_releases_the_held_time(make_agreement, lead, manager, template, ending):
    agreement = make_agreement("approved")
    held = agreement.blocks[0].reservation
    if ending == "decline":   # a change after approval sends it back to review; the host declines it
        run(services.update_agreement, lead, agreement, agreement_input(
            agreement.blocks[0].facility, partners=agreement.partners, title="Air sensors v2"), now=LATER)
        assert agreement.blocks[0].reservation is held and held.status == ReservationStatus.pending
    actor = lead if ending == "withdraw" else manager
    run(services.transition, actor, agreement, ending, reason="No longer needed.", now=LATER)
    assert held.status == ReservationStatus.cancelled and held.held_for is None
    assert held.price is None or held.price.billing_status.value == "void"


def test_a_changed_block_releases_its_hold_and_the_new_one_is_held_at_approval(
        make_agreement, lead, partner, manager, template, pilot_facility):
    agreement = make_agreement("approved")
    old = agreement.blocks[0].reservation
    later_start = BLOCK_START + timedelta(days=7)
    run(services.update_agreement, lead, agreement, agreement_input(
        pilot_facility, partners=agreement.partners, start=later_start, end=BLOCK_END), now=LATER)
    assert old.status == ReservationStatus.cancelled and agreement.blocks[0].reservation is None
    run(services.transition, manager, agreement, "approve", now=LATER)
    new = agreement.blocks[0].reservation
    assert new.start_dt == later_start and new.held_for == f"agreement:{agreement.id}"
    accept_all(agreement, lead, partner, manager)
    assert new.status == ReservationStatus.confirmed
    assert db.session.execute(OVERLAPPING_ACTIVE_PAIRS).scalar() == 0


def test_terminating_cancels_the_reservations_not_yet_started(make_agreement, lead, partner, manager, template):
    agreement = make_agreement("approved")
    accept_all(agreement, lead, partner, manager)
    run(services.transition, manager, agreement, "terminate", reason="Permit withdrawn.", now=LATER)
    assert agreement.status == A.terminated
    assert agreement.blocks[0].reservation.status == ReservationStatus.cancelled


def test_only_the_right_people_act(make_agreement, lead, create_user, create_department, template):
    from booking.accounts.models import Role
    agreement = make_agreement("submitted")
    stranger = create_user(name="Other SME")
    elsewhere = create_user(name="Culture Manager", role=Role.facility_manager, departments=[create_department("Culture")])
    for person in (stranger, elsewhere):
        assert not services.rules.can_view_agreement(person, agreement)
        with pytest.raises(PermissionDenied):
            run(services.transition, person, agreement, "approve", now=LATER)
    with pytest.raises(PermissionDenied):
        run(services.transition, lead, agreement, "approve", now=LATER)
    with pytest.raises(RuleViolation) as refused:
        run(services.transition, lead, agreement, "submit", now=LATER)
    assert refused.value.codes == ["agreement.illegal_transition"]


def test_overdue_proposals_are_escalated_once_and_reports_reminded_once(make_agreement, lead, partner, manager,
                                                                       template, admin):
    agreement = make_agreement("submitted")
    late = agreement.decision_deadline_dt + timedelta(hours=1)
    assert run(services.flag_overdue, late) == 1 and run(services.flag_overdue, late) == 0
    assert agreement.escalated_dt == late
    run(services.transition, manager, agreement, "approve", now=late)
    accept_all(agreement, lead, partner, manager, now=late)
    run(services.transition, manager, agreement, "activate", now=BLOCK_START)
    near_end = BLOCK_START + timedelta(days=25)
    assert run(services.remind_reports, near_end) == 1 and run(services.remind_reports, near_end) == 0
    subjects = db.session.scalars(select(OutboxMessage.subject)).all()
    assert any("past its deadline" in s for s in subjects) and any("Outcome report due" in s for s in subjects)


def test_the_parties_follow_the_pilot_s_reservations_in_a_calendar_feed(make_agreement, lead, partner, manager,
                                                                       template, create_user):
    from booking.calendars import services as calendars
    agreement = make_agreement("approved")
    accept_all(agreement, lead, partner, manager)
    feed, _token = run(calendars.create_feed, partner, "agreement", agreement.id)
    kind = calendars.kind_for("agreement")
    assert [r.id for r in calendars.feed_rows(feed, kind, LATER)] == [agreement.blocks[0].reservation_id]
    with pytest.raises(DomainError):
        run(calendars.create_feed, create_user(name="Outsider"), "agreement", agreement.id)


def test_blocks_are_at_the_host_department_s_facilities(lead, create_facility, manager, create_department):
    elsewhere = create_facility("Culture Stage", department=create_department("Culture"),
                                rules={"allow_multi_day": True, "max_duration_minutes": None})
    own = create_facility("Harbour", department=manager.departments[0])
    data = agreement_input(own)
    data.blocks.append(services.BlockInput(elsewhere, BLOCK_START, BLOCK_START + timedelta(days=2)))
    with pytest.raises(RuleViolation) as refused:
        run(services.create_agreement, lead, lead.organisations[0], data, now=NOW)
    assert refused.value.codes == ["agreement.block_other_department"]


def test_each_reminder_is_sent_once_and_only_while_it_applies(make_agreement, lead, partner, manager, template):
    from datetime import date
    running = make_agreement("approved")
    accept_all(running, lead, partner, manager)
    waiting = make_agreement("submitted", title="Noise sensors")    # same dates, never signed: never reminded
    none = {"report_due": 0, "insurance_expiring": 0, "ending": 0, "restore_site": 0}
    assert run(services.send_reminders, LATER) == none

    # The insurance now ends before the pilot does (set directly: a signed agreement is not edited).
    running.insurance_expiry_date = date(2030, 4, 20)
    waiting.insurance_expiry_date = date(2030, 4, 20)
    db.session.commit()
    assert run(services.send_reminders, LATER) == none | {"insurance_expiring": 1}
    assert run(services.send_reminders, LATER) == none

    run(services.transition, manager, running, "activate", now=BLOCK_START)
    near_end = BLOCK_START + timedelta(days=25)
    assert run(services.send_reminders, near_end) == none | {"report_due": 1, "ending": 1}
    assert run(services.send_reminders, near_end) == none
    after_end = BLOCK_START + timedelta(days=31)
    assert run(services.send_reminders, after_end) == none | {"restore_site": 1}
    assert run(services.send_reminders, after_end + timedelta(days=5)) == none

    assert (waiting.insurance_reminded_dt, waiting.ending_reminded_dt, waiting.restore_reminded_dt) == (None,) * 3
    sent = db.session.execute(select(OutboxMessage.to, OutboxMessage.subject)).all()
    restore = {to for to, subject in sent if subject.startswith("Pilot ended, site to be removed")}
    assert restore == {lead.email, manager.email}
    assert any(s.startswith("Insurance expiring") for _, s in sent) and any(s.startswith("Pilot ending") for _, s in sent)
    body = db.session.scalar(select(OutboxMessage.text_body).where(OutboxMessage.subject.startswith("Pilot ended")))
    assert "mounts restored" in body


def test_the_pilot_fee_s_milestones_are_released_by_signing_and_by_accepting_the_report(
        make_agreement, lead, partner, manager, template):
    M = services.rules.FeeMilestone
    running = make_agreement("approved", pilot_fee_cents=800_000, fee_at_signing_cents=300_000)
    ended = make_agreement("approved", title="Noise sensors", pilot_fee_cents=100_000, fee_at_signing_cents=40_000,
                           start=BLOCK_START + timedelta(days=60), end=BLOCK_END + timedelta(days=60),
                           start_date=date(2030, 5, 31), end_date=date(2030, 6, 30))
    make_agreement("submitted", title="Not signed", pilot_fee_cents=50_000)
    assert services.fee_milestones(running) == [M("signing", 300_000, None), M("report_accepted", 500_000, None)]
    assert services.fee_totals() == services.FeeTotals(0, 0)   # nothing signed yet

    accept_all(running, lead, partner, manager)
    accept_all(ended, lead, partner, manager)
    assert services.fee_milestones(running) == [M("signing", 300_000, LATER), M("report_accepted", 500_000, None)]
    assert services.fee_totals() == services.FeeTotals(committed_cents=900_000, released_cents=340_000)

    run(services.transition, manager, ended, "terminate", reason="Permit withdrawn.", now=LATER)
    assert services.fee_totals() == services.FeeTotals(committed_cents=840_000, released_cents=340_000)

    run(services.transition, manager, running, "activate", now=BLOCK_START)
    run(services.file_report, lead, running, kpi_results="97 %", now=BLOCK_START + timedelta(days=20))
    accepted = BLOCK_START + timedelta(days=30)
    run(services.accept_report, manager, running, assessment="Useful.", now=accepted)
    assert services.fee_milestones(running) == [M("signing", 300_000, LATER), M("report_accepted", 500_000, accepted)]
    assert services.fee_totals() == services.FeeTotals(committed_cents=840_000, released_cents=840_000)


def test_errors_about_one_block_name_it(lead, create_facility, manager, pilot_facility):
    data = agreement_input(pilot_facility)
    data.blocks.append(services.BlockInput(pilot_facility, BLOCK_START, BLOCK_START))
    with pytest.raises(RuleViolation) as refused:
        run(services.create_agreement, lead, lead.organisations[0], data, now=NOW)
    assert list(refused.value.field_messages) == ["blocks.1.end"]
    assert refused.value.codes == ["agreement.block_order"]


def test_agreement_events_reach_the_in_app_notifications_of_the_people_told(make_agreement, manager, lead, template):
    from booking.notifications.models import Notification
    agreement = make_agreement("submitted")
    [note] = db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).all()
    assert note.link == f"/agreements/{agreement.id}" and agreement.title in note.subject
    run(services.transition, manager, agreement, "request_changes", reason="Add the noise KPI.", now=LATER)
    assert db.session.scalars(select(Notification).where(Notification.user_id == lead.id)).all()
