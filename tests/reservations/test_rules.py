"""The pure reservation rules: no database, no request."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from booking.accounts.models import MembershipRole, Role
from booking.facilities.availability import Interval, Schedule, WeeklyHours, open_intervals
from booking.reservations import rules
from booking.facilities.ruleset import RuleSet
from booking.reservations.rules import Busy, Question, Violation, check_reservation
from tests.fixtures.reservations import NOW, local

EVERY_DAY_8_TO_20 = tuple(WeeklyHours(date(2000, 1, 1), day, time(8), time(20)) for day in range(7))
ALWAYS_OPEN = tuple(WeeklyHours(date(2000, 1, 1), day, time(0), time(0)) for day in range(7))
RULES = RuleSet(slot=timedelta(minutes=30), min_duration=timedelta(minutes=60), max_duration=timedelta(minutes=4 * 60), min_notice=timedelta(minutes=60),
                max_advance=timedelta(days=90), capacity=20, max_active_per_organisation=3)


def opening(start, end, hours=EVERY_DAY_8_TO_20, tz="Europe/Helsinki"):
    window = Interval(start - timedelta(days=1), end + timedelta(days=1))
    return open_intervals(Schedule(tz, hours), window)


def check(start, end, ruleset=RULES, *, hours=EVERY_DAY_8_TO_20, closures=(), now=NOW, **kwargs):
    return check_reservation(start, end, ruleset, opening=opening(start, end, hours, ruleset.timezone),
                             closures=list(closures), now=now, **kwargs)


def codes(violations):
    return sorted(v.code for v in violations)


def test_a_good_request_breaks_nothing():
    assert check(local(2030, 3, 5, 10), local(2030, 3, 5, 12), attendees=10) == []


def test_every_broken_rule_is_returned_not_just_the_first():
    # 07:45–07:50 tomorrow: before opening, off the grid, too short; and 30 people in a room for 20.
    found = check(local(2030, 3, 5, 7, 45), local(2030, 3, 5, 7, 50), attendees=30, organisation_active=3)
    assert codes(found) == ["off_grid", "outside_opening_hours", "over_capacity", "quota_reached", "too_short"]


def test_end_before_start_is_the_only_reason_given():
    assert codes(check(local(2030, 3, 5, 12), local(2030, 3, 5, 10))) == ["end_before_start"]


def test_naive_times_are_refused():
    found = check_reservation(datetime(2030, 3, 5, 10), datetime(2030, 3, 5, 12), RULES, opening=[], closures=[],
                              now=NOW)
    assert codes(found) == ["naive_time"]


@pytest.mark.parametrize("start,end,expected", [
    ((2030, 3, 5, 7), (2030, 3, 5, 9), ["outside_opening_hours"]),     # starts before opening
    ((2030, 3, 5, 19), (2030, 3, 5, 21), ["outside_opening_hours"]),   # ends after closing
    ((2030, 3, 5, 8), (2030, 3, 5, 12), []),                            # exactly at opening
    ((2030, 3, 5, 16), (2030, 3, 5, 20), []),                           # until closing time
])
def test_within_opening_hours(start, end, expected):
    assert codes(check(local(*start), local(*end))) == expected


def test_a_closure_has_its_own_reason_with_its_times():
    closure = Interval(local(2030, 3, 5, 11), local(2030, 3, 5, 15))
    [found] = check(local(2030, 3, 5, 10), local(2030, 3, 5, 12), closures=[closure])
    assert found.code == "closed" and found.params == {"start": closure.start, "end": closure.end}


def test_slot_grid_is_local_wall_clock():
    assert codes(check(local(2030, 3, 5, 10, 15), local(2030, 3, 5, 11, 15))) == ["off_grid"]
    hourly = RuleSet(slot=timedelta(minutes=60), min_notice=timedelta(minutes=0), max_duration=None)
    assert check(local(2030, 3, 5, 10), local(2030, 3, 5, 12), hourly) == []
    assert codes(check(local(2030, 3, 5, 10, 30), local(2030, 3, 5, 11, 30), hourly)) == ["off_grid"]


def test_two_hour_grid_on_the_spring_forward_day_stays_on_the_wall_clock():
    # Sunday 31 March 2030, Helsinki jumps 03:00 → 04:00: 08:00–10:00 local is still on the grid.
    grid = RuleSet(slot=timedelta(minutes=120), min_notice=timedelta(minutes=0), max_duration=None)
    assert check(local(2030, 3, 31, 8), local(2030, 3, 31, 10), grid) == []
    assert codes(check(local(2030, 3, 31, 9), local(2030, 3, 31, 11), grid)) == ["off_grid"]


def test_dst_autumn_night_only_the_first_repeated_hour_is_a_start():
    always = RuleSet(slot=timedelta(minutes=60), min_duration=timedelta(minutes=60), max_duration=None, min_notice=timedelta(minutes=0),
                     max_advance=timedelta(days=365))
    first_three = local(2030, 10, 27, 3)              # 03:00 EEST, the first time round
    second_three = first_three + timedelta(hours=1)   # 03:00 EET, the repeat
    assert check(first_three, first_three + timedelta(hours=1), always, hours=ALWAYS_OPEN) == []
    assert codes(check(second_three, second_three + timedelta(hours=1), always, hours=ALWAYS_OPEN)) == ["off_grid"]


def test_dst_day_durations_are_real_hours():
    # 01:00–05:00 local on the spring-forward night is only three real hours.
    short = RuleSet(slot=timedelta(minutes=60), min_duration=timedelta(minutes=4 * 60), max_duration=None, min_notice=timedelta(minutes=0))
    assert codes(check(local(2030, 3, 31, 1), local(2030, 3, 31, 5), short, hours=ALWAYS_OPEN)) == ["too_short"]


def test_duration_limits():
    assert codes(check(local(2030, 3, 5, 10), local(2030, 3, 5, 10, 30))) == ["too_short"]
    assert codes(check(local(2030, 3, 5, 10), local(2030, 3, 5, 14, 30))) == ["too_long"]


def test_notice_and_advance():
    assert codes(check(NOW + timedelta(minutes=30), NOW + timedelta(minutes=90))) == ["too_soon"]
    assert codes(check(local(2030, 3, 4, 8), local(2030, 3, 4, 9))) == ["in_the_past"]
    far = local(2030, 6, 10, 10)  # more than 90 days after NOW
    assert codes(check(far, far + timedelta(hours=1))) == ["too_far_ahead"]


def test_capacity_zero_means_unstated():
    assert check(local(2030, 3, 5, 10), local(2030, 3, 5, 11), RuleSet(capacity=0, min_notice=timedelta(minutes=0)),
                 attendees=500) == []


def test_organisation_quota():
    assert check(local(2030, 3, 5, 10), local(2030, 3, 5, 11), organisation_active=2) == []
    assert codes(check(local(2030, 3, 5, 10), local(2030, 3, 5, 11), organisation_active=3)) == ["quota_reached"]


PILOT = RuleSet(slot=timedelta(minutes=60), min_duration=timedelta(minutes=60), max_duration=None, min_notice=timedelta(minutes=0),
                max_advance=timedelta(days=365), allow_multi_day=True)


def test_multi_day_pilot_on_an_always_open_space():
    assert check(local(2030, 4, 1, 8), local(2030, 4, 29, 8), PILOT, hours=ALWAYS_OPEN) == []


def test_multi_day_pilot_keeps_closed_nights_but_starts_and_ends_in_opening_hours():
    assert check(local(2030, 4, 1, 9), local(2030, 4, 12, 17), PILOT) == []
    assert codes(check(local(2030, 4, 1, 6), local(2030, 4, 12, 17), PILOT)) == ["outside_opening_hours"]


def test_multi_day_pilot_across_the_dst_change():
    assert check(local(2030, 3, 25, 9), local(2030, 4, 5, 17), PILOT) == []


def test_multi_day_needs_the_facility_to_allow_it():
    single = RuleSet(slot=timedelta(minutes=60), max_duration=None, min_notice=timedelta(minutes=0))
    assert codes(check(local(2030, 4, 1, 8), local(2030, 4, 3, 8), single, hours=ALWAYS_OPEN)) == [
        "multi_day_not_allowed"]
    # A night event that crosses midnight is not multi-day.
    assert check(local(2030, 4, 1, 22), local(2030, 4, 2, 2), single, hours=ALWAYS_OPEN) == []


def test_a_closure_inside_a_multi_day_pilot_is_reported():
    closure = Interval(local(2030, 4, 5, 0), local(2030, 4, 6, 0))
    assert codes(check(local(2030, 4, 1, 8), local(2030, 4, 10, 8), PILOT, hours=ALWAYS_OPEN,
                       closures=[closure])) == ["closed"]


def test_internal_blocks_skip_the_booking_rules():
    assert check(local(2030, 3, 4, 9, 7), local(2030, 3, 4, 23, 11), internal=True, organisation_active=99) == []
    assert codes(check(local(2030, 3, 1, 9), local(2030, 3, 1, 10), internal=True)) == ["in_the_past"]


# --- conflicts and buffers ---------------------------------------------------------------

def busy(start, end, before=timedelta(0), after=timedelta(0)):
    return Busy(start, end, start - before, end + after)


def test_overlap_is_a_conflict_touching_is_not():
    other = busy(local(2030, 3, 5, 10), local(2030, 3, 5, 12))
    start, end = local(2030, 3, 5, 11), local(2030, 3, 5, 13)
    [found] = rules.find_conflicts(start, end, Interval(start, end), [other])
    assert found.code == "conflict" and found.params["start"] == other.start
    start, end = local(2030, 3, 5, 12), local(2030, 3, 5, 13)
    assert rules.find_conflicts(start, end, Interval(start, end), [other]) == []


def test_buffers_at_both_ends():
    cleaning = RuleSet(buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=30))
    other = busy(local(2030, 3, 5, 10), local(2030, 3, 5, 12), after=timedelta(minutes=30))
    start, end = local(2030, 3, 5, 12, 15), local(2030, 3, 5, 13)
    [found] = rules.find_conflicts(start, end, cleaning.blocked(start, end), [other])
    assert found.code == "buffer_conflict"
    start = local(2030, 3, 5, 12, 45)
    assert rules.find_conflicts(start, end, cleaning.blocked(start, end), [other]) == []
    # Our own buffer after must clear the next one's start.
    later = busy(local(2030, 3, 5, 14), local(2030, 3, 5, 15))
    start, end = local(2030, 3, 5, 12, 45), local(2030, 3, 5, 13, 45)
    assert codes(rules.find_conflicts(start, end, cleaning.blocked(start, end), [later])) == ["buffer_conflict"]


# --- details -----------------------------------------------------------------------------

QUESTIONS = [Question(1, "yes_no", required=True), Question(2, "choice", choices=("Tables", "Rows")),
             Question(3, "text")]


def test_answers_are_normalised_and_unknown_ones_dropped():
    cleaned, found = rules.clean_answers(QUESTIONS, {"1": "yes", 2: "Rows", "3": "  Coffee  ", "99": "x"})
    assert found == [] and cleaned == {"1": True, "2": "Rows", "3": "Coffee"}


def test_missing_and_invalid_answers():
    cleaned, found = rules.clean_answers(QUESTIONS, {"1": "", "2": "Sofas"})
    assert [(v.code, v.field) for v in found] == [("answer_required", "question_1"), ("answer_invalid", "question_2")]


def test_title_and_terms():
    assert codes(rules.check_details(title=" ", terms_required=True, accepted_terms=False)) == [
        "terms_not_accepted", "title_required"]
    assert rules.check_details(title="Meetup", terms_required=True, accepted_terms=True) == []


# --- decisions -----------------------------------------------------------------------------

@pytest.mark.parametrize("policy,actor,minutes,expected", [
    ("automatic", "sme", 600, False),
    ("manual", "sme", 30, True),
    ("conditional", "large_company", 60, True),   # a listed actor type
    ("conditional", "sme", 60, False),
    ("conditional", "sme", 181, True),            # above the duration limit
    ("conditional", "sme", 180, False),
])
def test_approval_policy(policy, actor, minutes, expected):
    assert rules.needs_manual_approval(policy, manual_actor_types=["large_company"], manual_above_minutes=180,
                                       actor_type=actor, duration=timedelta(minutes=minutes)) is expected


def test_decision_deadline_from_a_friday_skips_the_weekend():
    friday_2pm = local(2030, 3, 8, 14)
    assert rules.decision_deadline(friday_2pm, 3, "Europe/Helsinki") == local(2030, 3, 13, 14)  # Wednesday


def test_decision_deadline_from_a_saturday_counts_from_monday():
    assert rules.decision_deadline(local(2030, 3, 9, 10), 1, "Europe/Helsinki") == local(2030, 3, 11, 10)


def test_decision_deadline_across_dst_keeps_local_time():
    thursday = local(2030, 3, 28, 9)
    assert rules.decision_deadline(thursday, 3, "Europe/Helsinki") == local(2030, 4, 2, 9)  # Tuesday, summer time


def test_decision_deadline_in_the_facility_time_zone():
    # 23:30 UTC on Friday is already Saturday in Helsinki: the first working day is Monday.
    late_friday = datetime(2030, 3, 8, 23, 30, tzinfo=NOW.tzinfo)
    assert rules.decision_deadline(late_friday, 1, "Europe/Helsinki") == local(2030, 3, 11, 1, 30)
    assert rules.decision_deadline(late_friday, 1, "America/New_York") == datetime(2030, 3, 11, 22, 30,
                                                                                   tzinfo=NOW.tzinfo)


# --- cancellation ----------------------------------------------------------------------------

START, END = local(2030, 3, 10, 10), local(2030, 3, 10, 12)


def cancel_check(now, *, status="confirmed", policy="refuse", by_manager=False):
    return rules.check_cancellation(status=status, start=START, end=END, now=now, deadline_hours=24,
                                    late_policy=policy, by_manager=by_manager)


def test_cancel_before_the_deadline_is_free():
    assert cancel_check(START - timedelta(hours=25)) == rules.CancellationCheck(True, False, START - timedelta(hours=24))


def test_cancel_after_deadline_refused_or_with_fee():
    late = START - timedelta(hours=2)
    assert not cancel_check(late).allowed
    assert cancel_check(late, policy="fee").late_fee
    assert cancel_check(late, by_manager=True) == rules.CancellationCheck(True)


def test_pending_requests_can_always_be_withdrawn_until_they_end():
    assert cancel_check(START + timedelta(hours=1), status="pending").allowed
    assert not cancel_check(END, status="pending").allowed
    assert not cancel_check(START - timedelta(days=5), status="cancelled").allowed


def test_check_in_window():
    assert rules.can_check_in_at(start=START, end=END, now=START - timedelta(minutes=30))
    assert not rules.can_check_in_at(start=START, end=END, now=START - timedelta(minutes=31))
    assert not rules.can_check_in_at(start=START, end=END, now=END)


# --- permissions --------------------------------------------------------------------------------

def person(role=Role.member, organisations=(), departments=(), user_id=1):
    return SimpleNamespace(id=user_id, is_authenticated=True, role=role, department_ids=set(departments),
                           memberships=[SimpleNamespace(organisation_id=o, role=MembershipRole.member)
                                        for o in organisations])


def reservation(organisation_id=10, department_id=5, user_id=99, kind="booking"):
    return SimpleNamespace(organisation_id=organisation_id, user_id=user_id, kind=SimpleNamespace(value=kind),
                           facility=SimpleNamespace(department_id=department_id))


def test_an_organisation_never_sees_another_organisations_reservation():
    assert rules.can_view_reservation(person(organisations=[10]), reservation())
    assert not rules.can_view_reservation(person(organisations=[11]), reservation())
    assert not rules.can_view_reservation(SimpleNamespace(is_authenticated=False), reservation())


def test_managers_decide_in_their_departments_admins_everywhere():
    assert rules.can_decide_reservation(person(Role.facility_manager, departments=[5]), reservation())
    assert not rules.can_decide_reservation(person(Role.facility_manager, departments=[6]), reservation())
    assert not rules.can_decide_reservation(person(organisations=[10]), reservation())
    assert rules.can_decide_reservation(person(Role.admin), reservation())


def test_who_may_cancel():
    assert rules.can_cancel_reservation(person(organisations=[10]), reservation())
    assert not rules.can_cancel_reservation(person(organisations=[11]), reservation())
    assert not rules.can_cancel_reservation(person(organisations=[10]), reservation(None, kind="internal_block"))
    assert rules.can_cancel_reservation(person(Role.facility_manager, departments=[5]),
                                        reservation(None, kind="internal_block"))


def test_can_book_only_for_own_organisation():
    assert rules.can_book_for(person(organisations=[10]), 10)
    assert not rules.can_book_for(person(organisations=[10]), 11)
    assert not rules.can_book_for(person(organisations=[10]), None)


def test_violations_compare_by_code_and_field():
    assert Violation("closed", "start", {"start": 1}) == Violation("closed", "start", {"start": 2})


# --- the core issue's cases, by name ----------------------------------------------------------

def test_a_whole_local_day_on_the_25_hour_autumn_day_is_one_day():
    # Helsinki turns its clocks back on Sunday 27 October 2030: midnight to midnight is 25 hours.
    day_rules = RuleSet(slot=timedelta(hours=1), min_notice=timedelta(0), max_duration=None,
                        max_advance=timedelta(days=365))
    start, end = local(2030, 10, 27, 0), local(2030, 10, 28, 0)
    assert end - start == timedelta(hours=25)
    assert check(start, end, day_rules, hours=ALWAYS_OPEN) == []
    # One more hour is more than a day, whatever the clock did.
    assert codes(check(start, local(2030, 10, 28, 1), day_rules, hours=ALWAYS_OPEN)) == ["multi_day_not_allowed"]


def test_an_end_in_the_year_9000_is_refused_alone_without_looking_at_opening_hours():
    start = local(2030, 3, 5, 10)
    found = check_reservation(start, datetime(9000, 1, 1, tzinfo=start.tzinfo), RULES, opening=None, closures=[],
                              now=NOW)
    assert codes(found) == ["too_long"]


def test_a_request_far_away_is_not_in_checking_range():
    assert rules.in_checking_range(local(2030, 3, 5, 10), local(2030, 3, 5, 12), RULES, NOW)
    assert not rules.in_checking_range(local(2030, 3, 5, 10), datetime(9000, 1, 1, tzinfo=NOW.tzinfo), RULES, NOW)
    assert not rules.in_checking_range(datetime(1, 1, 2, tzinfo=NOW.tzinfo), local(2030, 3, 5, 12), RULES, NOW)
    assert not rules.in_checking_range(local(2031, 3, 5, 10), local(2031, 3, 5, 12), RULES, NOW)  # > 90 days


def test_nobody_coming_is_not_a_booking():
    assert codes(check(local(2030, 3, 5, 10), local(2030, 3, 5, 12), attendees=0)) == ["attendees_too_few"]


def test_quota_use_counts_a_series_by_its_busiest_week():
    from booking.reservations.rules import QuotaUse
    use = QuotaUse()
    use.add(None, (2030, 10))
    for week in range(10, 18):                   # weekly for eight weeks: one
        assert use.would_add("club", (2030, week)) == (week == 10)
        use.add("club", (2030, week))
    assert use.total == 2
    use.add("choir", (2030, 10))                 # twice a week: two
    assert use.would_add("choir", (2030, 10)) and not use.would_add("choir", (2030, 11))
    use.add("choir", (2030, 10))
    assert use.total == 4
    assert use.would_add(None, (2030, 12))       # a booking on its own always counts


def test_a_series_date_that_adds_nothing_passes_a_full_quota():
    assert check(local(2030, 3, 5, 10), local(2030, 3, 5, 11), organisation_active=3, adds_to_quota=False) == []
