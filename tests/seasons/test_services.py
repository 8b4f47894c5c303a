"""Round use cases on a real database: apply until the deadline, allocate, move by hand,
publish into priced series, accept or decline, and who may do each (by name)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from booking.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from booking.extensions import db
from booking.reservations.models import Reservation, ReservationStatus
from booking.seasons import rules, services as seasons
from booking.seasons.models import Application, ApplicationState, Response, RoundState
from booking.unit_of_work import unit_of_work
from tests.seasons.conftest import HELSINKI, after_deadline, apply, local, tuesday_evening


def test_a_member_applies_with_ranked_wishes_and_edits_until_the_deadline(office):
    application = apply(office.coach, office.round, office.association,
                        tuesday_evening([office.hall, office.gym]), based_in_city=True)
    assert [(w.facility_id, w.rank) for w in application.wishes[0].facilities] == [(office.hall.id, 0),
                                                                                   (office.gym.id, 1)]
    again = apply(office.coach, office.round, office.association,
                  tuesday_evening([office.gym], "Girls' futsal"), tuesday_evening([office.hall], weekday=3))
    assert again.id == application.id
    assert [w.purpose for w in again.wishes] == ["Girls' futsal", "Junior football"]


def test_applying_after_the_deadline_is_refused(office):
    with pytest.raises(RuleViolation) as caught, unit_of_work():
        seasons.save_application(office.coach, office.round, office.association,
                                 seasons.ApplicationInput([tuesday_evening([office.hall])]),
                                 now=after_deadline(office))
    assert caught.value.codes == ["round.window_closed"]


def test_a_wish_needs_a_window_as_long_as_its_duration_and_the_rounds_facilities(office, create_facility):
    elsewhere = create_facility("Elsewhere", department=office.department)
    with pytest.raises(RuleViolation) as caught, unit_of_work():
        seasons.save_application(office.coach, office.round, office.association, seasons.ApplicationInput([
            tuesday_evening([office.hall], earliest=time(18), latest=time(19)),
            tuesday_evening([elsewhere])]))
    assert set(caught.value.codes) == {"round.wish.window_too_short", "round.wish.facility_not_in_round"}


def test_only_members_apply_for_their_organisation(office):
    with pytest.raises(PermissionDenied), unit_of_work():
        seasons.save_application(office.trainer, office.round, office.association,
                                 seasons.ApplicationInput([tuesday_evening([office.hall])]))


def test_withdrawn_applications_are_left_out_of_the_allocation(office):
    application = apply(office.coach, office.round, office.association, tuesday_evening([office.hall]))
    with unit_of_work():
        seasons.withdraw_application(office.coach, application)
    assert application.state == ApplicationState.withdrawn
    assert seasons.build_problem(office.round).problem.wishes == ()


def test_candidates_lie_inside_opening_hours_and_skip_busy_dates(office, create_user):
    apply(office.coach, office.round, office.association, tuesday_evening([office.hall], latest=time(23)))
    built = seasons.build_problem(office.round, extras=False)
    starts = {c.start - 1440 for c in built.problem.candidates}
    assert starts and min(starts) == 17 * 60 and max(starts) == 20 * 60 + 30  # ends by 22:00 closing
    assert all(c.dates_total == 8 for c in built.problem.candidates)
    [wish] = built.wishes.values()
    assert built.skipped[wish.id]["closed"] > 0  # 21:00–22:30 and later run past closing


def test_capacity_leaves_out_a_facility_too_small(office):
    apply(office.coach, office.round, office.association, tuesday_evening([office.gym, office.hall], participants=30))
    built = seasons.build_problem(office.round, extras=False)
    assert {c.facility_id for c in built.problem.candidates} == {office.hall.id}


def test_allocating_needs_the_deadline_and_a_manager_of_the_department(office):
    apply(office.coach, office.round, office.association, tuesday_evening([office.hall]))
    with pytest.raises(RuleViolation) as caught, unit_of_work():
        seasons.allocate(office.manager, office.round)
    assert caught.value.codes == ["round.not_closed"]
    with pytest.raises(PermissionDenied), unit_of_work():
        seasons.allocate(office.other_manager, office.round, now=after_deadline(office))
    with pytest.raises(PermissionDenied), unit_of_work():
        seasons.allocate(office.coach, office.round, now=after_deadline(office))


def test_allocation_gives_each_wish_a_slot_and_keeps_both_figures(allocated):
    round_ = allocated.round
    assert round_.state == RoundState.allocated
    assert len(round_.allocations) == 2
    assert seasons.conflicts(round_) == []
    assert set(round_.figures) >= {"solver", "greedy"}
    assert round_.figures["solver"]["satisfied_share"] == 1.0
    for allocation in round_.allocations:
        assert allocation.weekday == 1
        assert time(17) <= allocation.start_time and allocation.end_time <= time(21)


def test_a_manual_move_onto_another_allocation_shows_the_conflict_and_blocks_publishing(allocated):
    first, second = allocated.round.allocations
    with unit_of_work():
        found = seasons.move_allocation(allocated.manager, second, facility=first.facility, weekday=first.weekday,
                                        start_time=first.start_time)
    assert [set(pair) for pair in found] == [{first.id, second.id}]
    with pytest.raises(Conflict), unit_of_work():
        seasons.publish(allocated.manager, allocated.round)
    assert db.session.scalar(sa.select(sa.func.count(Reservation.id))) == 0


def test_a_locked_allocation_stays_when_the_allocator_runs_again(allocated):
    allocation = allocated.round.allocations[0]
    with unit_of_work():
        seasons.move_allocation(allocated.manager, allocation, facility=allocated.gym, weekday=1,
                                start_time=time(19))
        seasons.set_locked(allocated.manager, allocation, True)
    wish_id = allocation.wish_id
    with unit_of_work():
        seasons.allocate(allocated.manager, allocated.round, now=after_deadline(allocated))
    kept = next(a for a in allocated.round.allocations if a.wish_id == wish_id)
    assert (kept.facility_id, kept.start_time, kept.locked) == (allocated.gym.id, time(19), True)
    assert seasons.conflicts(allocated.round) == []


def test_publishing_books_one_priced_confirmed_series_per_allocation_without_overlaps(allocated):
    with unit_of_work():
        seasons.publish(allocated.manager, allocated.round)
    round_ = allocated.round
    assert round_.state == RoundState.published
    booked = list(db.session.scalars(sa.select(Reservation).order_by(Reservation.start_dt)))
    assert len(booked) == 16  # two wishes × eight Tuesdays
    assert all(r.status == ReservationStatus.confirmed and r.price is not None for r in booked)
    for allocation in round_.allocations:
        series = allocation.series
        assert series.organisation_id == allocation.wish.application.organisation_id
        assert len(series.reservations) == 8
    by_facility = {}
    for r in booked:
        for other in by_facility.get(r.facility_id, []):
            assert not (r.blocked_start_dt < other.blocked_end_dt and other.blocked_start_dt < r.blocked_end_dt)
        by_facility.setdefault(r.facility_id, []).append(r)
    for r in booked:  # all inside opening hours (16–22 Helsinki time)
        wall, end = r.start_dt.astimezone(HELSINKI), r.end_dt.astimezone(HELSINKI)
        assert wall.weekday() == 1 and time(16) <= wall.time() and end.time() <= time(22)
    outbox = db.session.execute(sa.text("SELECT count(*) FROM outbox_message")).scalar()
    assert outbox >= 2  # every applicant told


def test_publishing_leaves_out_a_date_blocked_by_a_closure_and_lists_it(allocated):
    from booking.facilities.models import Closure
    allocation = allocated.round.allocations[0]
    day = allocated.season_start + timedelta(days=7 + allocation.weekday)
    db.session.add(Closure(facility_id=allocation.facility_id, start_dt=local(day, 0),
                           end_dt=local(day + timedelta(days=1), 0), reason="Floor works"))
    db.session.commit()
    with unit_of_work():
        seasons.publish(allocated.manager, allocated.round)
    assert {"allocation_id": allocation.id, "date": day.isoformat(), "code": "closed"} in allocated.round.left_out
    assert len(allocation.series.reservations) == 7


def test_publishing_is_all_or_nothing(allocated, monkeypatch):
    calls = []
    real = seasons.price_new

    def fail_on_the_second_series(reservation, now):
        calls.append(reservation.series)
        if len({id(s) for s in calls}) > 1:
            raise RuntimeError("the pricing service fell over")
        real(reservation, now)

    monkeypatch.setattr(seasons, "price_new", fail_on_the_second_series)
    with pytest.raises(RuntimeError), unit_of_work():
        seasons.publish(allocated.manager, allocated.round)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Reservation.id))) == 0
    assert allocated.round.state == RoundState.allocated


def test_declining_the_result_cancels_the_series(allocated):
    with unit_of_work():
        seasons.publish(allocated.manager, allocated.round)
    application = db.session.scalar(sa.select(Application).where(
        Application.organisation_id == allocated.company.id))
    with pytest.raises(PermissionDenied), unit_of_work():
        seasons.respond(allocated.coach, application, False)
    with unit_of_work():
        seasons.respond(allocated.trainer, application, False)
    assert application.response == Response.declined
    [allocation] = seasons.allocations_of(application)
    assert {r.status for r in allocation.series.reservations} == {ReservationStatus.cancelled}


def test_a_draft_round_is_hidden_from_others_and_city_wide_rounds_are_the_admins(office):
    office.round.state = RoundState.draft
    db.session.commit()
    with pytest.raises(NotFound):
        seasons.get_round(office.coach, office.round.id)
    with pytest.raises(NotFound):
        seasons.get_round(office.other_manager, office.round.id)
    assert seasons.get_round(office.admin, office.round.id) is office.round
    assert rules.can_create_round(office.admin, None)
    assert not rules.can_create_round(office.manager, None)
    assert rules.can_create_round(office.manager, office.department.id)
