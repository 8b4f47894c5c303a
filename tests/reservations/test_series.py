"""Recurring series: preview, booking with skipped dates, changing and cancelling occurrences."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from booking.errors import Conflict, RuleViolation
from booking.extensions import db
from booking.facilities.models import ApprovalPolicy
from booking.notifications.models import OutboxMessage
from booking.reservations import services
from booking.unit_of_work import unit_of_work
from booking.reservations.models import Reservation, ReservationStatus as S
from tests.fixtures.reservations import HELSINKI, NOW, local, written_outbox

WEEKLY_6 = "FREQ=WEEKLY;COUNT=6"
TUE_18, TUE_20 = local(2030, 3, 12, 18), local(2030, 3, 12, 20)


def local_wall(reservations):
    return [r.start_dt.astimezone(HELSINKI).strftime("%m-%d %H:%M") for r in reservations]


@pytest.fixture
def series_of(facility, booker):
    def make(rule=WEEKLY_6, *, user=booker, start=TUE_18, end=TUE_20, **kwargs):
        kwargs.setdefault("title", "Youth evening")
        with unit_of_work():
            return services.create_series(user, facility, user.organisations[0] if user.organisations else None,
                                          start, end, rule, now=NOW, **kwargs)
    return make


def test_preview_lists_every_occurrence_with_its_conflicts(facility, booker, create_user, reserve):
    taken = reserve(create_user(), facility, local(2030, 3, 26, 19), local(2030, 3, 26, 20))
    preview = services.preview_series(booker, facility, booker.organisations[0], TUE_18, TUE_20, WEEKLY_6, now=NOW)
    assert [o.date for o in preview.occurrences] == [date(2030, 3, 12) + timedelta(weeks=n) for n in range(6)]
    assert [o.ok for o in preview.occurrences] == [True, True, False, True, True, True]
    blocked = preview.occurrences[2]
    assert blocked.conflicts == ["Already reserved from Tue 26 Mar 2030 19:00 to Tue 26 Mar 2030 20:00."]
    assert blocked.problems == [] and preview.status == S.confirmed
    assert len(preview.bookable) == 5
    assert db.session.scalar(select(func.count(Reservation.id))) == 1 and taken  # nothing written


def test_preview_reports_broken_rules_per_occurrence(facility, booker, reserve):
    # Quota 4 with 3 bookings held: a series twice a week counts two (its busiest week has two
    # dates), so each Tuesday fits and each Thursday is one too many.
    facility.rules.max_active_per_organisation = 4
    db.session.commit()
    for day in (4, 5, 6):
        reserve(booker, facility, local(2030, 3, 20 + day, 10), local(2030, 3, 20 + day, 11))
    preview = services.preview_series(booker, facility, booker.organisations[0], TUE_18, TUE_20,
                                      "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6", now=NOW)
    assert [o.ok for o in preview.occurrences] == [True, False] * 3
    assert "already has 4 active reservations" in preview.occurrences[1].problems[0]


def test_the_8_week_tuesday_series_at_a_quota_5_hall_books_all_8(facility, booker, series_of):
    # Issue 16: a weekly series counts as one booking toward the quota, however many weeks.
    facility.rules.max_active_per_organisation = 5
    db.session.commit()
    series = series_of("FREQ=WEEKLY;COUNT=8")
    assert len(series.reservations) == 8
    assert services.organisation_active_count(booker.organisations[0].id, facility.id, now=NOW) == 1


def test_a_weekly_series_counts_one_and_the_quota_still_bounds_the_rest(facility, booker, reserve, series_of):
    facility.rules.max_active_per_organisation = 2
    db.session.commit()
    series_of("FREQ=WEEKLY;COUNT=8")
    reserve(booker, facility, local(2030, 3, 13, 10), local(2030, 3, 13, 11))  # the second of two
    with pytest.raises(RuleViolation) as refused:
        reserve(booker, facility, local(2030, 3, 14, 10), local(2030, 3, 14, 11))
    assert "already has 2 active reservations" in refused.value.all_reasons()[0]
    with pytest.raises(RuleViolation):
        series_of("FREQ=WEEKLY;COUNT=4", start=local(2030, 3, 15, 10), end=local(2030, 3, 15, 11))


def test_moving_one_date_of_a_weekly_series_at_a_full_quota_is_allowed(facility, booker, reserve, series_of):
    facility.rules.max_active_per_organisation = 2
    db.session.commit()
    series = series_of("FREQ=WEEKLY;COUNT=4")
    reserve(booker, facility, local(2030, 3, 13, 10), local(2030, 3, 13, 11))
    third = series.reservations[2]
    with unit_of_work():
        services.change_time(booker, third, third.start_dt - timedelta(hours=1),
                                         third.end_dt - timedelta(hours=1), now=NOW)
    assert third.start_dt == local(2030, 3, 26, 17)


def test_weekly_series_with_one_conflicting_week_skipped(facility, booker, create_user, reserve, series_of):
    reserve(create_user(), facility, local(2030, 3, 26, 19), local(2030, 3, 26, 20))
    with pytest.raises(Conflict) as refused:
        series_of()
    assert refused.value.all_reasons() == ["Tue 26 Mar 2030 18:00: Already reserved from Tue 26 Mar 2030 19:00 to "
                                           "Tue 26 Mar 2030 20:00."]
    assert refused.value.extra["violations"][0]["occurrence_start"] == "2030-03-26T18:00:00+02:00"
    assert db.session.scalar(select(func.count(Reservation.id))) == 1  # all or nothing

    series = series_of(skip=[date(2030, 3, 26)])
    assert len(series.reservations) == 5 and series.skipped == [date(2030, 3, 26)]
    assert all(r.series_id == series.id and r.status == S.confirmed for r in series.reservations)
    [message] = written_outbox(OutboxMessage.to == booker.email)
    assert "5 times:" in message.text_body  # one e-mail for the whole series
    # The dates left out are listed as well as the booked ones.
    left_out = message.text_body.split("Left out, not booked:")[1]
    assert left_out.splitlines()[1].strip() == "- Tue 26 Mar 2030"
    assert message.html_body is None or "Left out, not booked" in message.html_body


def test_dst_spring_forward_series_keeps_wall_clock_when_booked(facility, series_of):
    series = series_of("FREQ=WEEKLY;COUNT=3", start=local(2030, 3, 24, 10), end=local(2030, 3, 24, 12))
    assert local_wall(series.reservations) == ["03-24 10:00", "03-31 10:00", "04-07 10:00"]


def test_an_invalid_rule_is_a_field_error(facility, booker, series_of):
    with pytest.raises(RuleViolation) as refused:
        series_of("FREQ=WEEKLY")
    assert refused.value.field_errors == {
        "recurrence": ["A series needs an end: a number of times (COUNT) or an end date (UNTIL)."]}


def test_skipping_everything_books_nothing(series_of):
    with pytest.raises(RuleViolation, match="nothing to book"):
        series_of("FREQ=WEEKLY;COUNT=1", skip=["2030-03-12"])


def test_monthly_by_weekday(series_of):
    series = series_of("FREQ=MONTHLY;BYDAY=2TU;COUNT=3")
    assert local_wall(series.reservations) == ["03-12 18:00", "04-09 18:00", "05-14 18:00"]


def test_cancel_one_following_or_all(series_of, booker, facility, create_user, reserve):
    series = series_of()
    first, second, third, *rest = series.reservations
    assert services.cancel_occurrences(booker, second, "one", now=NOW) == [second]
    cancelled = services.cancel_occurrences(booker, rest[0], "following", reason="Season ends", now=NOW)
    assert cancelled == rest and all(r.status == S.cancelled and r.cancel_reason == "Season ends" for r in rest)
    assert [r.status for r in series.reservations[:3]] == [S.confirmed, S.cancelled, S.confirmed]
    services.cancel_occurrences(booker, third, "all", now=NOW)
    assert {r.status for r in series.reservations} == {S.cancelled}
    # Cancelled time is free at once.
    assert reserve(create_user(), facility, TUE_18, TUE_20).status == S.confirmed


def test_cancelling_a_series_refuses_all_when_one_is_past_its_deadline(series_of, booker):
    series = series_of()
    the_day_before = TUE_18 - timedelta(hours=20)
    with pytest.raises(RuleViolation) as refused, unit_of_work():
        services.cancel_occurrences(booker, series.reservations[0], "all", now=the_day_before)
    assert refused.value.all_reasons()[0].startswith("Tue 12 Mar 2030 18:00: Free cancellation ended")
    assert refused.value.all_reasons()[-1] == "Nothing was cancelled."
    assert {r.status for r in series.reservations} == {S.confirmed}
    # "This and following" from the next week is still possible.
    services.cancel_occurrences(booker, series.reservations[1], "following", now=the_day_before)
    assert [r.status for r in series.reservations] == [S.confirmed] + [S.cancelled] * 5


def test_change_this_and_following_keeps_wall_clock_across_dst(series_of, booker):
    series = series_of(start=local(2030, 3, 19, 18), end=local(2030, 3, 19, 20))
    changed = services.change_occurrences(booker, series.reservations[1], "following", time(17), time(19), now=NOW)
    assert len(changed) == 5
    assert local_wall(series.reservations) == ["03-19 18:00", "03-26 17:00", "04-02 17:00", "04-09 17:00",
                                               "04-16 17:00", "04-23 17:00"]
    assert all(r.end_dt - r.start_dt == timedelta(hours=2) for r in series.reservations)


def test_changing_a_series_is_all_or_nothing(series_of, booker, facility, create_user, reserve):
    series = series_of()
    reserve(create_user(), facility, local(2030, 4, 2, 16), local(2030, 4, 2, 17))
    with pytest.raises(Conflict) as refused:
        services.change_occurrences(booker, series.reservations[0], "all", time(16), time(18), now=NOW)
    assert refused.value.all_reasons()[0].startswith("Tue 2 Apr 2030 16:00: Already reserved")
    db.session.expire_all()
    assert local_wall(series.reservations)[0] == "03-12 18:00"


def test_change_one_occurrence(series_of, booker):
    series = series_of()
    [changed] = services.change_occurrences(booker, series.reservations[2], "one", time(17), time(19), now=NOW)
    assert local_wall(series.reservations)[1:4] == ["03-19 18:00", "03-26 17:00", "04-02 18:00"]
    assert changed.series_id == series.id


def test_manager_approves_a_whole_series(facility, series_of, manager, booker):
    facility.rules.approval_policy = ApprovalPolicy.manual
    db.session.commit()
    series = series_of()
    assert {r.status for r in series.reservations} == {S.pending}
    approved = services.approve_series(manager, series, now=NOW)
    assert len(approved) == 6 and {r.status for r in series.reservations} == {S.confirmed}
    assert all(r.decided_by == manager for r in approved)
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == booker.email))]
    assert subjects == ["Request received, awaiting a decision: Riverside Hall", "Reservation approved: Riverside Hall"]
    with pytest.raises(RuleViolation, match="No occurrence"):
        services.approve_series(manager, series, now=NOW)


def test_internal_block_series_by_a_manager(facility, manager, booker, reserve):
    series = services.create_series(manager, facility, None, local(2030, 3, 11, 6), local(2030, 3, 11, 9),
                                    "FREQ=WEEKLY;COUNT=4", title="Cleaning", now=NOW)
    assert len(series.reservations) == 4 and all(r.organisation_id is None for r in series.reservations)
    with pytest.raises(Conflict):
        reserve(booker, facility, local(2030, 3, 18, 8), local(2030, 3, 18, 9))


def test_a_closed_date_left_out_uses_none_of_the_quota(facility, booker, series_of):
    # A hall allows 5 active bookings per organisation; the weekly series from 12 March has
    # its 19 March date closed. The series counts one toward the quota whatever it leaves out.
    set_quota = facility.rules
    set_quota.max_active_per_organisation = 5
    db.session.commit()
    from tests.facilities.helpers import add_closure
    add_closure(facility, local(2030, 3, 19, 0), local(2030, 3, 20, 0))

    preview = services.preview_series(booker, facility, booker.organisations[0], TUE_18, TUE_20, WEEKLY_6, now=NOW)

    assert [o.ok for o in preview.occurrences] == [True, False, True, True, True, True]
    assert [v.code for v in preview.occurrences[1].violations] == ["closed"]
    series = series_of(skip=[date(2030, 3, 19)])
    assert len(series.reservations) == 5
