"""JSON routes of the reservations domain: book (once or as a series), list, read, decide.

Times are ISO 8601 with an offset (naive ones are refused with 422) and are returned in
the facility's time zone. Errors are problem+json: 409 lists every conflicting time
(`conflicts`), 422 every broken rule (`errors`, and `violations` with stable codes).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

from booking.accounts.models import Organisation
from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, paginate
from booking.api.types import Count, Day, Id, Instant, Text
from booking.database import utcnow
from booking.errors import NotFound
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.rules import can_view_facility
from booking.pricing.api import PriceOut, price_out
from booking.reservations import rules, services
from booking.reservations.models import Reservation, ReservationStatus
from booking.unit_of_work import unit_of_work

TAG = "reservations"
BOOKING_ERRORS = (403, 404, 409, 422)


class ReservationIn(BaseModel):
    facility_id: Id
    start: Instant = Field(description="Start, ISO 8601 with offset; before `end`")
    end: Instant = Field(description="End (exclusive), ISO 8601 with offset: after `start`")
    title: Text = Field(max_length=200)
    attendees: Count = Field(1, description="Expected attendees: at least 1 for a booking")
    organisation_id: Id | None = Field(None, description="The organisation booking; required unless kind is "
                                                          "internal_block")
    kind: Literal["booking", "internal_block"] = Field(
        "booking", description="internal_block: a facility manager occupies time without an organisation")
    purpose: Text = Field("", max_length=5000)
    answers: dict[Annotated[Text, Field(max_length=20)], Annotated[Text, Field(max_length=2000)] | bool] = Field(
        default_factory=dict, max_length=100,
                                           description="Answers to the facility's questions, by question id")
    accept_terms: bool = Field(False, description="Accept the facility's current terms of use")
    free_of_charge_reason: Text = Field("", max_length=2000,
                                       description="Ask for free use, saying why: a manager then decides the price "
                                                   "(the request always waits for a decision)")
    recurrence: Text | None = Field(None, max_length=500,
                                   description="RFC 5545 RRULE applied in the facility's local time, e.g. "
                                               "FREQ=WEEKLY;COUNT=6 or FREQ=MONTHLY;BYDAY=2TU;UNTIL=20261231")
    skip: list[Day] = Field(default_factory=list, max_length=1000,
                            description="With `recurrence`: local dates of the series to leave out")
    internal_note: Text = Field("", max_length=5000, description="Internal blocks: a note for managers")

    @model_validator(mode="after")
    def _organisation_for_bookings(self):
        if self.kind == "booking" and self.organisation_id is None:
            raise ValueError("organisation_id is required for a booking")
        return self


class PreviewIn(ReservationIn):
    title: Text = Field("", max_length=200)
    recurrence: Text = Field(max_length=500, description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;COUNT=6")


class OccurrenceOut(BaseModel):
    id: int
    status: str
    start: datetime
    end: datetime


class ReservationOut(BaseModel):
    id: int
    kind: str
    status: str
    facility_id: int
    organisation_id: int | None
    series_id: int | None
    start: datetime
    end: datetime
    title: str
    purpose: str
    attendees: int
    answers: dict
    accepted_terms_id: int | None
    accepted_terms_at: datetime | None
    requested: datetime
    hold_expires: datetime | None
    decision_deadline: datetime | None
    is_overdue: bool
    decided: datetime | None
    rejection_reason: str | None
    cancel_reason: str | None
    late_cancellation_fee: bool
    checked_in: datetime | None
    internal_note: str | None = Field(None, description="Only for the facility's managers")
    price: PriceOut | None = Field(None, description="The price it keeps (its snapshot): lines, totals, what is "
                                                    "owed; none for internal blocks and facilities without a tariff")
    occurrences: list[OccurrenceOut] | None = Field(None, description="A new series: every booked occurrence")
    skipped: list[date] | None = Field(None, description="A new series: the dates left out")


class OccurrencePreviewOut(BaseModel):
    start: datetime
    end: datetime
    date: date
    ok: bool
    price_gross_cents: int | None = Field(None, description="What this date would cost the organisation, VAT "
                                                           "included (none without a tariff)")
    problems: list[str]
    conflicts: list[str]
    codes: list[str]


class SeriesPreviewOut(BaseModel):
    status: str = Field(description="What the bookable occurrences would become: confirmed or pending")
    decision_deadline: datetime | None
    occurrences: list[OccurrencePreviewOut]


class ReservationQuery(PageQuery):
    facility_id: Id | None = None
    organisation_id: Id | None = None
    status: list[ReservationStatus] = Field(default_factory=list, description="Repeat to allow several")
    from_: Instant | None = Field(None, alias="from", description="Only those ending after this; before `to`")
    to: Instant | None = Field(None, description="Only those starting before this; after `from`")

    @model_validator(mode="after")
    def _window(self):
        if self.from_ is not None and self.to is not None and self.to <= self.from_:
            raise ValueError("to must be after from")
        return self


class CancelIn(BaseModel):
    reason: Text = Field("", max_length=2000)
    scope: Literal["one", "following", "all"] = Field(
        "one", description="For a series: this occurrence, this and following, or all")


class ApproveIn(BaseModel):
    internal_note: Text | None = Field(None, max_length=5000)
    price_cents: int | None = Field(None, ge=0, le=100_000_000, description=(
        "Only for a request for free use (a free_of_charge_reason): the gross price decided (0: free)"))
    scope: Literal["one", "series"] = Field("one", description="series: every pending occurrence of its series")


class RejectIn(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000, description="Sent to the booker")
    internal_note: Text | None = Field(None, max_length=5000, description="Seen only by managers")


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return value.astimezone(zone) if value is not None else None


def reservation_out(reservation: Reservation, user, *, series_detail: bool = False) -> ReservationOut:
    zone = ZoneInfo(reservation.facility.timezone)
    series = reservation.series if series_detail else None
    return ReservationOut(
        id=reservation.id, kind=reservation.kind.value, status=reservation.status.value,
        facility_id=reservation.facility_id, organisation_id=reservation.organisation_id,
        series_id=reservation.series_id, start=_local(reservation.start_dt, zone), end=_local(reservation.end_dt, zone),
        title=reservation.title, purpose=reservation.purpose or "", attendees=reservation.attendees,
        answers=reservation.answers or {}, accepted_terms_id=reservation.accepted_terms_id,
        accepted_terms_at=_local(reservation.accepted_terms_dt, zone),
        requested=_local(reservation.requested_dt, zone), hold_expires=_local(reservation.hold_expires_dt, zone),
        decision_deadline=_local(reservation.decision_deadline_dt, zone),
        is_overdue=reservation.is_overdue(utcnow()), decided=_local(reservation.decided_dt, zone),
        rejection_reason=reservation.rejection_reason, cancel_reason=reservation.cancel_reason,
        late_cancellation_fee=reservation.late_cancellation_fee, checked_in=_local(reservation.checked_in_dt, zone),
        internal_note=reservation.internal_note if rules.can_decide_reservation(user, reservation) else None,
        occurrences=[OccurrenceOut(id=r.id, status=r.status.value, start=_local(r.start_dt, zone),
                                   end=_local(r.end_dt, zone)) for r in series.reservations] if series else None,
        skipped=series.skipped if series else None,
        price=price_out(reservation.price) if reservation.price is not None else None,
    )


def _facility(facility_id: int, user, *, lock: bool = True) -> Facility:
    """The facility to book, with what every booking reads (its rules, questions and terms), in
    one query that also takes the booking's lock on it (not for a preview)."""
    facility = services.facility_to_book(facility_id, lock=lock)
    if facility is None or not can_view_facility(user, facility):
        raise NotFound(f"No facility {facility_id}.")
    return facility


def _organisation(body: ReservationIn) -> Organisation | None:
    if body.kind == "internal_block":
        return None
    organisation = db.session.get(Organisation, body.organisation_id)
    if organisation is None or not rules.can_book_for(api_user(), organisation.id):  # existence not revealed
        raise NotFound("You are not a member of an organisation with this id.")
    return organisation


def _visible(reservation_id: int) -> Reservation:
    """The reservation if the caller may see it; 404 otherwise (existence is not revealed)."""
    reservation = services.get_reservation(reservation_id)
    if reservation is None or not rules.can_view_reservation(api_user(), reservation):
        raise NotFound(f"No reservation {reservation_id}.")
    return reservation


@route("/reservations", "POST", summary="Book a facility, once or as a series", tag=TAG, body=ReservationIn,
       response=ReservationOut, status=201, errors=BOOKING_ERRORS, own_unit=True)
def reservation_create(body: ReservationIn):
    """Every rule of the facility is checked and every broken one is listed (422); a taken
    time answers 409 with the conflicting times. With `recurrence` a series is booked (all
    occurrences except `skip`, or none) and the response lists its `occurrences`. The status
    is `confirmed` or `pending` (a manager decides by `decision_deadline`)."""
    user = api_user()
    # Read before the unit of work, so that on SQLite the write lock is not held while the
    # facility with its rules is loaded (on PostgreSQL this is the same transaction, and the
    # facility's row lock is taken here). What the time meets is read under the lock.
    facility = _facility(body.facility_id, user)
    organisation = _organisation(body)
    with unit_of_work():
        if body.recurrence:
            series = services.create_series(
                user, facility, organisation, body.start, body.end, body.recurrence, title=body.title,
                skip=body.skip, purpose=body.purpose, attendees=body.attendees, answers=body.answers,
                accept_terms=body.accept_terms, free_of_charge_reason=body.free_of_charge_reason,
                internal_note=body.internal_note)
            return reservation_out(series.reservations[0], user, series_detail=True)
        if organisation is None:
            reservation = services.create_internal_block(user, facility, body.start, body.end, title=body.title,
                                                         internal_note=body.internal_note)
        else:
            reservation = services.create_reservation(
                user, facility, organisation, body.start, body.end, title=body.title, purpose=body.purpose,
                attendees=body.attendees, answers=body.answers, accept_terms=body.accept_terms,
                free_of_charge_reason=body.free_of_charge_reason)
        return reservation_out(reservation, user)


@route("/reservations/preview", "POST", summary="Preview a series: every occurrence with its problems", tag=TAG,
       body=PreviewIn, response=SeriesPreviewOut, errors=(403, 404))
def reservation_preview(body: PreviewIn):
    """Nothing is booked. Each occurrence says whether it can be booked and, if not, which
    rules it breaks and which times it collides with; skip those when booking."""
    user = api_user()
    facility = _facility(body.facility_id, user, lock=False)
    preview = services.preview_series(user, facility, _organisation(body), body.start, body.end, body.recurrence,
                                      attendees=body.attendees)
    zone = ZoneInfo(facility.timezone)
    prices = services.quote_occurrences(facility, _organisation(body), preview.occurrences)
    return SeriesPreviewOut(
        status=preview.status.value, decision_deadline=_local(preview.decision_deadline, zone),
        occurrences=[OccurrencePreviewOut(start=_local(o.start, zone), end=_local(o.end, zone), date=o.date, ok=o.ok,
                                          price_gross_cents=price.gross_cents if price else None,
                                          problems=[str(p) for p in o.problems],
                                          conflicts=[str(c) for c in o.conflicts],
                                          codes=[v.code for v in o.violations])
                     for o, price in zip(preview.occurrences, prices)])


@route("/reservations", summary="Reservations the caller may see", tag=TAG, query=ReservationQuery,
       response=Page[ReservationOut])
def reservation_list(query: ReservationQuery):
    """Members see their organisations' reservations, managers also their departments',
    admins all. Filters: facility, organisation, status (repeatable), and a time window."""
    user = api_user()
    stmt = services.visible_reservations(user, facility_id=query.facility_id, organisation_id=query.organisation_id,
                                         statuses=query.status, from_dt=query.from_, to_dt=query.to)
    items, total = paginate(stmt, query.page, query.per_page)
    return Page[ReservationOut](items=[reservation_out(r, user) for r in items], total=total, page=query.page,
                                per_page=query.per_page)


@route("/reservations/<int:reservation_id>", summary="One reservation", tag=TAG, response=ReservationOut)
def reservation_detail(reservation_id: int):
    reservation = _visible(reservation_id)
    return reservation_out(reservation, api_user(), series_detail=reservation.series_id is not None)


@route("/reservations/<int:reservation_id>/cancel", "POST", summary="Cancel a reservation (or series occurrences)",
       tag=TAG, body=CancelIn, body_required=False, response=ReservationOut, errors=(403, 422))
def reservation_cancel(reservation_id: int, body: CancelIn):
    """Until the facility's cancellation deadline; after it the facility either refuses
    (422, saying whom to contact) or sets `late_cancellation_fee`. The body is optional
    (without one: this occurrence, no reason)."""
    reservation = _visible(reservation_id)
    services.cancel_occurrences(api_user(), reservation, body.scope, reason=body.reason)
    return reservation_out(reservation, api_user())


@route("/reservations/<int:reservation_id>/approve", "POST", scope="manage", summary="Approve a pending request", tag=TAG,
       body=ApproveIn, body_required=False, response=ReservationOut, errors=(403, 422))
def reservation_approve(reservation_id: int, body: ApproveIn):
    """Facility managers. `scope: series` approves every pending occurrence of its series.
    The body is optional (without one: this request, at its quoted price)."""
    reservation = _visible(reservation_id)
    if body.scope == "series" and reservation.series is not None:
        services.approve_series(api_user(), reservation.series, internal_note=body.internal_note)
    else:
        services.approve(api_user(), reservation, internal_note=body.internal_note, price_cents=body.price_cents)
    return reservation_out(reservation, api_user())


@route("/reservations/<int:reservation_id>/reject", "POST", scope="manage", summary="Decline a pending request", tag=TAG,
       body=RejectIn, response=ReservationOut, errors=(403, 422))
def reservation_reject(reservation_id: int, body: RejectIn):
    """Facility managers. The reason is sent to the booker; the internal note is not."""
    reservation = _visible(reservation_id)
    services.reject(api_user(), reservation, body.reason, internal_note=body.internal_note)
    return reservation_out(reservation, api_user())


@route("/reservations/<int:reservation_id>/check-in", "POST", scope="manage", summary="Check a reservation in", tag=TAG,
       response=ReservationOut, errors=(403, 422))
def reservation_check_in(reservation_id: int):
    """Facility managers, from 30 minutes before the start until the end. The booker is told once
    the undo window (`DAY_ACTION_UNDO_MINUTES`, 15 by default) has passed."""
    reservation = _visible(reservation_id)
    services.check_in(api_user(), reservation)
    return reservation_out(reservation, api_user())


@route("/reservations/<int:reservation_id>/no-show", "POST", scope="manage", summary="Mark a reservation as not shown up", tag=TAG,
       response=ReservationOut, errors=(403, 422))
def reservation_no_show(reservation_id: int):
    """Facility managers, after the start, when nobody checked in. The booker is told once the undo
    window has passed."""
    reservation = _visible(reservation_id)
    services.mark_no_show(api_user(), reservation)
    return reservation_out(reservation, api_user())


@route("/reservations/<int:reservation_id>/undo", "POST", scope="manage",
       summary="Undo a check-in or a no-show within the undo window", tag=TAG, response=ReservationOut,
       errors=(403, 409, 422))
def reservation_undo(reservation_id: int):
    """Facility managers, within `DAY_ACTION_UNDO_MINUTES` (15 by default) of the check-in or the
    no-show: the reservation is confirmed and not checked in again, and the booker is never told.
    Undoing a no-show is refused (409) when its freed time was booked meanwhile."""
    reservation = _visible(reservation_id)
    services.undo_day_action(api_user(), reservation)
    return reservation_out(reservation, api_user())
