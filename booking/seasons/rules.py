"""Pure rules of seasonal rounds: who may do what, when applications are accepted, a wish's
priority from the round's rules, and the season's dates. No Flask, no session."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from booking.accounts.rules import can_act_for, can_administer, can_manage_department
from booking.seasons.models import AgeGroup, Frequency, RoundState

MAX_WISHES = 20              # per application
MAX_RANKED = 5               # facilities per wish
MAX_FACILITIES = 60          # per round
MAX_SEASON_DAYS = 366
MIN_DURATION, MAX_DURATION = 30, 8 * 60
# A slot free on fewer of the season's dates than this is not offered (closures and other bookings).
MIN_SHARE_OF_DATES = 0.8

DEFAULT_PRIORITY_RULES = {
    # Third-sector and citizen groups first, then public and research bodies, then companies.
    "actor_weights": {"third_sector": 3, "citizen_group": 3, "public_body": 2, "research": 2,
                      "sme": 1, "startup": 1, "large_company": 1},
    "youth_bonus": 2,        # children's and youth activities
    "city_bonus": 1,         # the organisation is based in the city
    "continuity_bonus": 1,   # it had time in the department's previous published round
}


# --- who may do what ---------------------------------------------------------------------------

def can_create_round(user, department_id: int | None) -> bool:
    """Managers open rounds for their departments; a city-wide round (no department) is the admin's."""
    return can_administer(user) if department_id is None else can_manage_department(user, department_id)


def can_manage_round(user, round_) -> bool:
    return can_create_round(user, round_.department_id)


def can_view_round(user, round_) -> bool:
    """A draft is its department's; an opened round is public (its rules, never who applied)."""
    return round_.state != RoundState.draft or can_manage_round(user, round_)


def can_apply(user, organisation_id: int | None) -> bool:
    return can_act_for(user, organisation_id)


def can_view_application(user, application) -> bool:
    return can_act_for(user, application.organisation_id) or can_manage_round(user, application.round)


# --- when ----------------------------------------------------------------------------------------

def window_open(round_, now: datetime) -> bool:
    return round_.state == RoundState.open and round_.opens_dt <= now < round_.closes_dt


def shown_state(round_, now: datetime) -> RoundState:
    """The state as people should read it: an open round past its deadline is closed."""
    if round_.state == RoundState.open and now >= round_.closes_dt:
        return RoundState.closed
    return round_.state


def may_allocate(round_, now: datetime) -> bool:
    """After the deadline (or once closed by hand), until published."""
    if round_.state in (RoundState.closed, RoundState.allocated):
        return True
    return round_.state == RoundState.open and now >= round_.closes_dt


# --- priority ---------------------------------------------------------------------------------------

def merged_rules(given: dict | None) -> dict:
    """The default priority rules with the round's own on top."""
    found = dict(DEFAULT_PRIORITY_RULES)
    found.update(given or {})
    return found


def rules_of(round_) -> dict:
    return merged_rules(round_.priority_rules)


def priority(rules: dict, *, actor_type: str, age_group: AgeGroup, based_in_city: bool, continuity: bool) -> int:
    """The wish's tier weight: the actor type's weight plus the bonuses it earns (at least 1)."""
    weight = int(rules.get("actor_weights", {}).get(actor_type, 1))
    if age_group in (AgeGroup.children, AgeGroup.youth):
        weight += int(rules.get("youth_bonus", 0))
    if based_in_city:
        weight += int(rules.get("city_bonus", 0))
    if continuity:
        weight += int(rules.get("continuity_bonus", 0))
    return max(1, weight)


# --- the season's weeks ----------------------------------------------------------------------------

def week_index(season_start: date, day: date) -> int:
    """Weeks since the Monday of the season's first week (0, 1, 2 …)."""
    first_monday = season_start - timedelta(days=season_start.weekday())
    return (day - first_monday).days // 7


def season_dates(season_start: date, season_end: date, weekday: int, parity: int | None = None) -> list[date]:
    """The season's dates on `weekday`; with a parity only the even (0) or odd (1) weeks."""
    first = season_start + timedelta(days=(weekday - season_start.weekday()) % 7)
    found = []
    day = first
    while day <= season_end:
        if parity is None or week_index(season_start, day) % 2 == parity:
            found.append(day)
        day += timedelta(days=7)
    return found


def parities(frequency: Frequency) -> tuple[int | None, ...]:
    return (None,) if frequency == Frequency.weekly else (0, 1)


def minutes_of(value: time) -> int:
    return value.hour * 60 + value.minute


def time_of(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def start_times(earliest: time, latest: time, duration: int) -> list[int]:
    """Start minutes of the day a wish accepts: every 30 minutes, every 15 in a narrow window."""
    first, last = minutes_of(earliest), minutes_of(latest) - duration
    step = 15 if last - first < 120 else 30
    return list(range(first, last + 1, step)) if last >= first else []


def wish_problems(*, weekday: int, earliest: time, latest: time, duration_minutes: int,
                  participants: int, facility_ids: list[int], round_facility_ids: set[int]) -> list[tuple[str, str]]:
    """(code, field) for everything wrong with one wish (empty when it can be allocated)."""
    found = []
    if not 0 <= weekday <= 6:
        found.append(("weekday", "weekday"))
    if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        found.append(("duration", "duration_minutes"))
    if latest <= earliest:
        found.append(("window_order", "latest"))
    elif minutes_of(latest) - minutes_of(earliest) < duration_minutes:
        found.append(("window_too_short", "latest"))
    if participants < 1:
        found.append(("participants", "participants"))
    if not facility_ids:
        found.append(("facility_required", "facilities"))
    elif len(facility_ids) > MAX_RANKED:
        found.append(("too_many_facilities", "facilities"))
    elif len(set(facility_ids)) != len(facility_ids):
        found.append(("facility_twice", "facilities"))
    elif not set(facility_ids) <= round_facility_ids:
        found.append(("facility_not_in_round", "facilities"))
    return found
