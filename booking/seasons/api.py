"""JSON routes of seasonal rounds: the rounds (public to read once opened), applications
(members of the organisation, inside the window), the allocation (the round's managers run
it; organisations read their own result once published) and publishing."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, Field

from booking.accounts.models import Organisation
from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery
from booking.api.types import Day, Id, Instant, Text
from booking.errors import NotFound
from booking.extensions import db
from booking.facilities.models import Facility
from booking.unit_of_work import unit_of_work
from booking.seasons import rules, services
from booking.seasons.models import AgeGroup, Allocation, Application, Frequency, Round, RoundState

TAG = "Seasonal rounds"


class PriorityRules(BaseModel):
    actor_weights: dict[Literal["sme", "startup", "large_company", "third_sector", "research", "citizen_group",
                                "public_body"], int] = Field(
        default_factory=lambda: dict(rules.DEFAULT_PRIORITY_RULES["actor_weights"]),
        description="each actor type's base weight (1–10); higher is allocated first")
    youth_bonus: int = Field(rules.DEFAULT_PRIORITY_RULES["youth_bonus"], ge=0, le=10,
                             description="added for children's and youth activities")
    city_bonus: int = Field(rules.DEFAULT_PRIORITY_RULES["city_bonus"], ge=0, le=10,
                            description="added when the organisation is based in the city")
    continuity_bonus: int = Field(rules.DEFAULT_PRIORITY_RULES["continuity_bonus"], ge=0, le=10,
                                  description="added when it had time in the department's previous round")


class RoundIn(BaseModel):
    """A draft round (open it on its page); `department_id` null makes a city-wide round (admins)."""
    name: Text = Field(max_length=200)
    description: Text = Field("", max_length=5000)
    department_id: Id | None = None
    season_start: Day = Field(description="the season's first day")
    season_end: Day = Field(description=f"on or after `season_start`, at most {rules.MAX_SEASON_DAYS} days later")
    opens: Instant = Field(description="applications accepted from; before `closes`")
    closes: Instant = Field(description="the application deadline: after `opens`")
    facility_ids: list[Id] = Field(min_length=1, max_length=rules.MAX_FACILITIES,
                                   description="the department's facilities in the round")
    cap_hours_per_week: float | None = Field(None, gt=0, le=168, description="per organisation; null: no cap")
    priority_rules: PriorityRules | None = None
    open: bool = Field(False, description="open the round at once")


class FacilityRef(BaseModel):
    id: int
    name: str


class RoundOut(BaseModel):
    id: int
    name: str
    description: str
    department_id: int | None
    state: str
    season_start: date
    season_end: date
    opens: datetime
    closes: datetime
    cap_hours_per_week: float | None
    priority_rules: dict
    facilities: list[FacilityRef]
    figures: dict | None = Field(None, description="the round's managers: the solver's and the first-come "
                                                   "baseline's satisfied share, smallest organisation share, time")


class WishIn(BaseModel):
    purpose: Text = Field(min_length=1, max_length=200)
    age_group: Literal["children", "youth", "adults", "seniors", "mixed"] = "mixed"
    participants: int = Field(1, ge=1, le=100_000)
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    earliest: time = Field(description="earliest start, local time (HH:MM)")
    latest: time = Field(description="latest end, local time: after `earliest`, at least the duration later")
    duration_minutes: int = Field(ge=rules.MIN_DURATION, le=rules.MAX_DURATION)
    frequency: Literal["weekly", "biweekly"] = "weekly"
    facility_ids: list[Id] = Field(min_length=1, max_length=rules.MAX_RANKED,
                                   description="the round's facilities, first choice first")


class ApplicationIn(BaseModel):
    """The organisation's whole application: sending it again before the deadline replaces the wishes."""
    organisation_id: Id
    wishes: list[WishIn] = Field(min_length=1, max_length=rules.MAX_WISHES)
    based_in_city: bool = False
    note: Text = Field("", max_length=2000)


class WishOut(BaseModel):
    id: int
    purpose: str
    age_group: str
    participants: int
    weekday: int
    earliest: time
    latest: time
    duration_minutes: int
    frequency: str
    facility_ids: list[int]


class ApplicationOut(BaseModel):
    id: int
    round_id: int
    organisation_id: int
    state: str
    submitted: datetime
    based_in_city: bool
    wishes: list[WishOut]


class ReasonOut(BaseModel):
    code: str
    params: dict


class AlternativeOut(BaseModel):
    facility_id: int
    weekday: int
    start: time
    end: time


class ResultOut(BaseModel):
    wish_id: int
    organisation_id: int
    purpose: str
    allocation_id: int | None
    facility_id: int | None
    weekday: int | None
    start: time | None
    end: time | None
    parity: int | None = Field(description="null weekly; 0 / 1 every other week (even / odd weeks of the season)")
    locked: bool
    source: str | None
    dates_free: int | None
    series_id: int | None = Field(description="the booked series once published")
    reasons: list[ReasonOut] = Field(description="codes: no_candidate, taken, cap_reached, shared_fairly, "
                                                 "lower_rank, locked, time_limit, moved_by_manager")
    alternatives: list[AlternativeOut]


class AllocationOut(BaseModel):
    round_id: int
    state: str
    figures: dict | None
    conflicts: list[list[int]] = Field(description="pairs of allocation ids that overlap (managers)")
    left_out: list[dict] = Field(description="dates publishing left out: allocation_id, date, code")
    results: list[ResultOut]


class AllocateIn(BaseModel):
    time_limit_s: float = Field(10.0, gt=0, le=60, description="the solver's time limit in seconds")


# --- conversions ------------------------------------------------------------------------------------

def round_out(round_: Round, user) -> RoundOut:
    manager = rules.can_manage_round(user, round_)
    return RoundOut(
        id=round_.id, name=round_.name, description=round_.description, department_id=round_.department_id,
        state=round_.state.value, season_start=round_.season_start, season_end=round_.season_end,
        opens=round_.opens_dt, closes=round_.closes_dt,
        cap_hours_per_week=round_.cap_minutes_per_week / 60 if round_.cap_minutes_per_week else None,
        priority_rules=rules.rules_of(round_), facilities=[FacilityRef(id=f.id, name=f.name) for f in round_.facilities],
        figures=(round_.figures or None) if manager else None)


def application_out(application: Application) -> ApplicationOut:
    return ApplicationOut(
        id=application.id, round_id=application.round_id, organisation_id=application.organisation_id,
        state=application.state.value, submitted=application.submitted_dt, based_in_city=application.based_in_city,
        wishes=[WishOut(id=w.id, purpose=w.purpose, age_group=w.age_group.value, participants=w.participants,
                        weekday=w.weekday, earliest=w.earliest, latest=w.latest, duration_minutes=w.duration_minutes,
                        frequency=w.frequency.value, facility_ids=[r.facility_id for r in w.facilities])
                for w in application.wishes])


def result_out(wish, allocation: Allocation | None) -> ResultOut:
    a = allocation
    return ResultOut(
        wish_id=wish.id, organisation_id=wish.application.organisation_id, purpose=wish.purpose,
        allocation_id=a.id if a else None, facility_id=a.facility_id if a else None, weekday=a.weekday if a else None,
        start=a.start_time if a else None, end=a.end_time if a else None, parity=a.parity if a else None,
        locked=bool(a and a.locked), source=a.source.value if a else None, dates_free=a.dates_free if a else None,
        series_id=a.series_id if a else None,
        reasons=[ReasonOut(code=r.get("code", ""), params=r.get("params") or {}) for r in wish.reasons or []],
        alternatives=[AlternativeOut(facility_id=x["facility_id"], weekday=x["weekday"],
                                     start=rules.time_of(x["start"]), end=rules.time_of(x["end"]))
                      for x in wish.alternatives or []])


def allocation_out(round_: Round, user) -> AllocationOut:
    manager = rules.can_manage_round(user, round_)
    results = []
    for application in services.active_applications(round_):
        if not manager and not (round_.state == RoundState.published
                                and rules.can_apply(user, application.organisation_id)):
            continue
        results += [result_out(w, w.allocation) for w in application.wishes]
    return AllocationOut(
        round_id=round_.id, state=round_.state.value, figures=(round_.figures or None) if manager else None,
        conflicts=[list(p) for p in services.conflicts(round_)] if manager else [],
        left_out=[x for x in round_.left_out or [] if manager or x["allocation_id"] in
                  {r.allocation_id for r in results}],
        results=results)


def _round(round_id: int) -> Round:
    return services.get_round(api_user(), round_id)


# --- routes --------------------------------------------------------------------------------------------

@route("/rounds", summary="Seasonal application rounds", tag=TAG, auth="optional", query=PageQuery,
       response=Page[RoundOut])
def round_list(query: PageQuery):
    """Every opened round (open, closed, allocated, published) and, for its department's
    managers, the drafts; newest season first."""
    user = api_user()
    found = services.visible_rounds(user)
    first = (query.page - 1) * query.per_page
    return Page(items=[round_out(r, user) for r in found[first:first + query.per_page]], total=len(found),
                page=query.page, per_page=query.per_page)


@route("/rounds", "POST", scope="manage", summary="Create a round (managers of its department; city-wide: admins)",
       tag=TAG, body=RoundIn, response=RoundOut, status=201, errors=(403, 404, 422))
def round_create(body: RoundIn):
    user = api_user()
    facilities = [db.session.get(Facility, fid) for fid in dict.fromkeys(body.facility_ids)]
    if any(f is None for f in facilities):
        raise NotFound()
    round_ = services.create_round(user, services.RoundInput(
        name=body.name, description=body.description, department_id=body.department_id,
        season_start=body.season_start, season_end=body.season_end, opens_dt=body.opens, closes_dt=body.closes,
        facilities=facilities,
        cap_minutes_per_week=round(body.cap_hours_per_week * 60) if body.cap_hours_per_week else None,
        priority_rules=body.priority_rules.model_dump() if body.priority_rules else None))
    if body.open:
        services.open_round(user, round_)
    return round_out(round_, user)


@route("/rounds/<int:round_id>", summary="One round and its rules", tag=TAG, auth="optional", response=RoundOut,
       errors=(404,))
def round_detail(round_id: int):
    return round_out(_round(round_id), api_user())


@route("/rounds/<int:round_id>/applications", "POST", summary="Apply, or replace the application, until the deadline",
       tag=TAG, body=ApplicationIn, response=ApplicationOut, status=201, errors=(403, 404, 422))
def round_apply(round_id: int, body: ApplicationIn):
    user = api_user()
    round_ = _round(round_id)
    organisation = db.session.get(Organisation, body.organisation_id)
    if organisation is None or not rules.can_apply(user, organisation.id):  # existence not revealed
        raise NotFound("You are not a member of an organisation with this id.")
    application = services.save_application(user, round_, organisation, services.ApplicationInput(
        wishes=[services.WishInput(purpose=w.purpose, weekday=w.weekday, earliest=w.earliest, latest=w.latest,
                                   duration_minutes=w.duration_minutes, facility_ids=list(w.facility_ids),
                                   participants=w.participants, age_group=AgeGroup(w.age_group),
                                   frequency=Frequency(w.frequency)) for w in body.wishes],
        based_in_city=body.based_in_city, note=body.note))
    return application_out(application)


@route("/rounds/<int:round_id>/allocate", "POST", scope="manage",
       summary="Run the allocator (after the deadline); locked allocations stay", tag=TAG, body=AllocateIn,
       body_required=False, response=AllocationOut, errors=(403, 404, 422), own_unit=True)
def round_allocate(round_id: int, body: AllocateIn):
    user = api_user()
    round_ = _round(round_id)
    # The solver runs before the unit of work, as on the page: its seconds hold no write lock.
    proposal = services.propose(user, round_, time_limit_s=body.time_limit_s)
    with unit_of_work():
        services.allocate(user, round_, time_limit_s=body.time_limit_s, proposal=proposal)
        return allocation_out(round_, user)


@route("/rounds/<int:round_id>/allocation", summary="The round's allocation and each wish's explanation", tag=TAG,
       response=AllocationOut, errors=(404,))
def round_allocation(round_id: int):
    """Managers of the round see every wish; an organisation sees its own once published."""
    return allocation_out(_round(round_id), api_user())


@route("/rounds/<int:round_id>/publish", "POST", scope="manage",
       summary="Publish: one priced series per allocation, applicants told", tag=TAG, response=AllocationOut,
       errors=(403, 404, 409, 422))
def round_publish(round_id: int):
    user = api_user()
    round_ = _round(round_id)
    services.publish(user, round_)
    return allocation_out(round_, user)
