"""The seasons domain's wording: every code its services and the allocator return, in words,
and the explanation of a wish's result as sentences."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.errors import Message
from booking.formatting import register, render
from booking.seasons.models import AgeGroup, ApplicationState, Frequency, Response, RoundState

STATE_LABELS = {
    RoundState.draft: _l("draft"), RoundState.open: _l("open for applications"),
    RoundState.closed: _l("closed, waiting for the allocation"), RoundState.allocated: _l("allocation proposed"),
    RoundState.published: _l("published"),
}
AGE_LABELS = {AgeGroup.children: _l("children (under 13)"), AgeGroup.youth: _l("youth (13–19)"),
              AgeGroup.adults: _l("adults"), AgeGroup.seniors: _l("seniors"), AgeGroup.mixed: _l("all ages")}
FREQUENCY_LABELS = {Frequency.weekly: _l("every week"), Frequency.biweekly: _l("every other week")}
PARITY_LABELS = {None: _l("every week"), 0: _l("even weeks of the season"), 1: _l("odd weeks of the season")}
APPLICATION_LABELS = {ApplicationState.submitted: _l("submitted"), ApplicationState.withdrawn: _l("withdrawn")}
RESPONSE_LABELS = {Response.accepted: _l("accepted"), Response.declined: _l("declined")}
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]
ACTOR_LABELS = {"third_sector": _l("third-sector organisations"), "citizen_group": _l("citizen groups"),
                "public_body": _l("public bodies"), "research": _l("research institutions"),
                "sme": _l("SMEs"), "startup": _l("startups"), "large_company": _l("large companies")}

register({
    "round.not_found": _l("No such round."),
    "round.application_not_found": _l("No such application."),
    "round.not_allowed": _l("You may not do this with this round."),
    "round.not_a_manager": _l("Only the department's managers open its rounds; a city-wide round is the admins'."),
    "round.not_a_member": _l("You can act only for organisations you are a member of."),
    "round.name_required": _l("Give the round a name."),
    "round.season_order": _l("The season must end on or after its first day."),
    "round.season_too_long": _l("A season lasts at most a year."),
    "round.naive_time": _l("Give the time with its time zone."),
    "round.window_order": _l("Applications must close after they open."),
    "round.cap_invalid": _l("The cap is a positive number of hours per week."),
    "round.facilities_required": _l("Choose the facilities in the round."),
    "round.too_many_facilities": _l("A round holds at most %(max)s facilities."),
    "round.facility_of_other_department": _l("Choose the department's own facilities."),
    "round.not_editable": _l("The round cannot be changed any more."),
    "round.not_a_draft": _l("Only a draft round is opened."),
    "round.not_open": _l("The round is not open."),
    "round.window_closed": _l("The round does not take applications now."),
    "round.not_closed": _l("The allocation runs after the application deadline."),
    "round.already_published": _l("The round is already published."),
    "round.not_allocated": _l("Run the allocation first; a published round is no longer changed."),
    "round.not_published": _l("The round's result is not published yet."),
    "round.already_answered": _l("Your organisation has already answered."),
    "round.facility_not_in_round": _l("Choose one of the round's facilities."),
    "round.ends_after_midnight": _l("The time must end by midnight."),
    "round.locked_conflict": _l("Locked allocations overlap: unlock or move one, then run the allocation again."),
    "round.conflict": _l("Allocations %(first)s and %(second)s overlap: move or remove one before publishing."),
    "round.wish_required": _l("Add at least one wish."),
    "round.too_many_wishes": _l("An application holds at most %(max)s wishes."),
    "round.wish.purpose": _l("Wish %(number)s: say what the time is for."),
    "round.wish.weekday": _l("Wish %(number)s: choose a weekday."),
    "round.wish.duration": _l("Wish %(number)s: the duration is from %(min)s to %(max)s minutes."),
    "round.wish.window_order": _l("Wish %(number)s: the latest end must be after the earliest start."),
    "round.wish.window_too_short": _l("Wish %(number)s: the time window is shorter than the duration."),
    "round.wish.participants": _l("Wish %(number)s: give the number of participants."),
    "round.wish.facility_required": _l("Wish %(number)s: choose at least one facility."),
    "round.wish.too_many_facilities": _l("Wish %(number)s: rank at most %(ranked)s facilities."),
    "round.wish.facility_twice": _l("Wish %(number)s: each facility is ranked once."),
    "round.wish.facility_not_in_round": _l("Wish %(number)s: choose the round's facilities."),
    "round.email.published": _l("Seasonal round result: %(name)s"),
    # The allocator's reasons, as the applicant reads them.
    "round.reason.no_candidate": _l("None of the facilities you ranked is open and free at that time on enough of "
                                    "the season's dates."),
    "round.reason.taken": _l("Every time that fits your wish was given to other groups' wishes."),
    "round.reason.taken_higher": _l("Every time that fits your wish was given to wishes with a higher priority "
                                    "under the round's rules."),
    "round.reason.cap_reached": _l("Your organisation reached the round's cap of %(hours)s hours a week."),
    "round.reason.shared_fairly": _l("The time was shared so that every organisation gets part of what it asked "
                                     "for."),
    "round.reason.lower_rank": _l("Your first choice %(facility)s was taken at that time, so you got a facility "
                                  "you ranked lower."),
    "round.reason.locked": _l("The department's manager fixed this time."),
    "round.reason.time_limit": _l("The allocation ran out of time before it could place this wish; the manager "
                                  "can place it by hand."),
    "round.reason.moved_by_manager": _l("The department's manager placed this time by hand."),
    "round.reason.removed_by_manager": _l("The department's manager removed this time by hand."),
    "round.reason.other": _l("The allocation could not give this wish a time."),
    "round.reason.granted": _l("You got your first choice."),
})
register({f"round.state.{state.value}": label for state, label in STATE_LABELS.items()})


def explain(reasons: list[dict], facility_names: dict[int, str], *, granted: bool) -> list[str]:
    """A wish's reasons (codes and parameters) as sentences in the reader's language."""
    sentences = []
    for reason in reasons or []:
        code, params = reason.get("code", "other"), reason.get("params") or {}
        facility = facility_names.get(params.get("facility_id"), "")
        if code == "taken" and params.get("higher_priority"):
            code = "taken_higher"
        if code == "cap_reached":
            sentences.append(render(Message("round.reason.cap_reached",
                                            hours=_hours(params.get("cap_minutes") or params.get("cap") or 0))))
            continue
        known = code in {"no_candidate", "taken", "taken_higher", "shared_fairly", "lower_rank", "locked",
                         "time_limit", "moved_by_manager", "removed_by_manager"}
        sentences.append(render(Message(f"round.reason.{code if known else 'other'}", facility=facility)))
    if not sentences and granted:
        sentences.append(render(Message("round.reason.granted")))
    return list(dict.fromkeys(sentences))


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def weekday_name(weekday: int) -> str:
    return str(WEEKDAYS[weekday])


def minutes_label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parity_label(parity: int | None) -> str:
    return str(PARITY_LABELS.get(parity, ""))


def init_app(app) -> None:
    """Words the round's pages and e-mails use (e-mails are rendered outside requests too)."""
    app.jinja_env.globals.update(season_weekday=weekday_name, season_parity=parity_label,
                                 season_minutes=minutes_label)
