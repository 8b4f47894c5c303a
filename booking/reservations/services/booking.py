"""Booking: a hold while the person fills in the form, submitting it, booking in one step
(the API), a manager's internal block, and moving a reservation to a new time.

Every function adds and flushes in the caller's unit of work (booking.unit_of_work) and
raises RuleViolation (422), Conflict (409) or PermissionDenied (403) with every reason;
the boundary rolls everything back then, so nothing is half-written.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from booking.accounts.models import Organisation, User
from booking.errors import Conflict, Message, RuleViolation
from booking.extensions import db, plain_rows
from booking.facilities.models import Facility
from booking.facilities.ruleset import RuleSet
from booking.reservations import rules
from booking.reservations.models import HoldEnd, Reservation, ReservationKind, ReservationStatus, Series
from booking.reservations.rules import Violation
from booking.reservations.services.checks import (EXPIRED_HOLDS, Candidate, check, flush_or_conflict, lock,
                                                  lock_facility, questions, raise_problems, refuse, require)
from booking.reservations.services.notify import tell
from booking.reservations.services.prices import ask_free_of_charge, price_new, reprice, settle
from booking.reservations.services.queries import (change_info, decision_deadline_for, initial_status, now_or)

S = ReservationStatus


def expire(reservation: Reservation, now: datetime) -> None:
    """A hold past its expiry: cancelled, and its time free."""
    reservation.set_status(S.cancelled)
    reservation.cancelled_dt = now
    reservation.hold_end = HoldEnd.expired
    settle(reservation)
    tell("hold_expired", [reservation], None, now=now, before={"status": S.held})


def expire_holds_of(facility_id: int, now: datetime, keep_id: int | None = None,
                    found: list[int] | None = None) -> None:
    """Cancel the facility's expired holds before writing, so they never block the booking that
    follows: those the check `found` (checks.check), or else looked for now."""
    if found is None:
        found = plain_rows(EXPIRED_HOLDS, {"facility_id": facility_id, "now": now}).scalars()
    ids = [i for i in found if i != keep_id]
    if not ids:
        return
    for reservation in db.session.scalars(select(Reservation).where(Reservation.id.in_(ids)).with_for_update()):
        expire(reservation, now)
    db.session.flush()


def enter_decision_state(reservation: Reservation, now: datetime) -> None:
    """Pending gets its decision deadline; an automatic confirmation is decided at once."""
    if reservation.status == S.pending:
        reservation.decision_deadline_dt = decision_deadline_for(reservation.facility, reservation.start_dt, now)
        reservation.decided_dt = None
        reservation.decided_by = None
        reservation.escalated_dt = None
    elif reservation.status == S.confirmed:
        reservation.decision_deadline_dt = None
        reservation.decided_dt = now
        reservation.decided_by = None
    settle(reservation)


def details(facility: Facility, *, title: str, purpose: str, attendees: int, answers: dict | None,
            accept_terms: bool, now: datetime) -> tuple[dict, list[Violation]]:
    """The form's details as column values, and what is missing or wrong in them."""
    cleaned, found = rules.clean_answers(questions(facility), answers)
    terms = facility.current_terms
    found += rules.check_details(title=title, terms_required=terms is not None, accepted_terms=accept_terms)
    values = {"title": (title or "").strip()[:200], "purpose": (purpose or "").strip(), "attendees": attendees,
              "answers": cleaned}
    if terms is not None and accept_terms:
        values.update(accepted_terms_id=terms.id, accepted_terms_dt=now)
    return values, found


def authorise(user: User, facility: Facility, organisation: Organisation | None) -> None:
    if organisation is None:
        require(rules.can_block_facility(user, facility), "only_managers_block")
        return
    require(rules.can_book_for(user, organisation.id), "not_a_member")
    if not facility.is_published and not rules.can_block_facility(user, facility):
        refuse("facility_unavailable")


def book(user: User, facility: Facility, organisation: Organisation | None, candidates: list[Candidate], *,
         now: datetime, values: dict, general: list[Violation] = (), status: ReservationStatus | None = None,
         series: Series | None = None, free_of_charge_reason: str = "") -> list[Reservation]:
    """Check and insert new reservations under the facility's lock, each with its price; all
    or nothing. A request for free use always waits for a manager."""
    lock_facility(facility.id)
    checked = check(facility, candidates, now=now, organisation_id=organisation.id if organisation else None)
    raise_problems(facility, candidates, checked.problems, general=general, per_occurrence=series is not None)
    expire_holds_of(facility.id, now, found=checked.expired_holds)
    ruleset = RuleSet.of(facility)
    kind = ReservationKind.internal_block if organisation is None else ReservationKind.booking
    made = []
    for c in candidates:
        blocked = ruleset.blocked(c.start, c.end)
        reservation = Reservation(
            kind=kind, facility=facility, organisation=organisation, user=user,
            start_dt=c.start, end_dt=c.end, blocked_start_dt=blocked.start, blocked_end_dt=blocked.end,
            requested_dt=now, status=status or initial_status(facility, organisation, c.start, c.end,
                                                              free_of_charge=bool(free_of_charge_reason)),
            **values)
        set_committed_value(reservation, "series", series)  # not through the series' list: see below
        if reservation.status == S.held:
            reservation.hold_expires_dt = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
        enter_decision_state(reservation, now)
        price_new(reservation, now)  # before the INSERT, which then carries the price's id
        if free_of_charge_reason:
            ask_free_of_charge(reservation, free_of_charge_reason)
        settle(reservation)
        made.append(reservation)
    flush_or_conflict(facility, candidates, new=made)
    if series is not None:  # its occurrences, as if loaded (appending would insert them again)
        set_committed_value(series, "reservations", made)
    return made


def end_hold(reservation: Reservation, user: User | None, now: datetime, how: HoldEnd) -> None:
    """The person left the form or chose again: the hold ends and was never a reservation."""
    before = reservation.set_status(S.cancelled)
    reservation.cancelled_dt = now
    reservation.hold_end = how
    settle(reservation)
    tell(f"hold_{how.value}", [reservation], user, now=now, before={"status": before})


def hold(user: User, facility: Facility, organisation: Organisation, start: datetime, end: datetime, *,
         title: str = "", attendees: int = 1, now: datetime | None = None) -> Reservation:
    """Keep a time for HOLD_MINUTES while the person fills in the form.

    Checks the time's rules and conflicts (the details come at `submit`) and releases the
    user's earlier holds at this facility (they went back and chose another time)."""
    now = now_or(now)
    authorise(user, facility, organisation)
    lock_facility(facility.id)
    own = select(Reservation).where(Reservation.facility_id == facility.id, Reservation.user_id == user.id,
                                    Reservation.status == S.held)
    for earlier in db.session.scalars(own):
        end_hold(earlier, user, now, HoldEnd.replaced)
    [reservation] = book(user, facility, organisation, [Candidate(start, end, attendees)], now=now,
                         values={"title": title.strip()[:200], "attendees": attendees}, status=S.held)
    tell("held", [reservation], user, now=now,
         after={"start": start, "end": end, "hold_expires_dt": reservation.hold_expires_dt})
    return reservation


def submit(user: User, reservation: Reservation, *, title: str, purpose: str = "", attendees: int = 1,
           answers: dict | None = None, accept_terms: bool = False, free_of_charge_reason: str = "",
           now: datetime | None = None) -> Reservation:
    """Turn the user's hold into a request: pending or confirmed, per the approval policy
    (always pending when the organisation asks for free use, with its reason).

    A hold past its expiry can still be submitted while nobody has taken its time."""
    now = now_or(now)
    require(reservation.user_id == user.id and rules.can_book_for(user, reservation.organisation_id),
            "not_your_hold")
    facility = reservation.facility
    lock_facility(facility.id)
    lock(reservation)
    if reservation.status != S.held:
        if reservation.hold_end == HoldEnd.expired:
            raise Conflict(Message("reservation.hold_expired"))
        refuse("hold_done")
    values, general = details(facility, title=title, purpose=purpose, attendees=attendees, answers=answers,
                              accept_terms=accept_terms, now=now)
    candidate = Candidate(reservation.start_dt, reservation.end_dt, attendees)
    checked = check(facility, [candidate], now=now, organisation_id=reservation.organisation_id,
                    exclude_ids=[reservation.id])
    raise_problems(facility, [candidate], checked.problems, general=general)
    expire_holds_of(facility.id, now, keep_id=reservation.id, found=checked.expired_holds)
    for name, value in values.items():
        setattr(reservation, name, value)
    if free_of_charge_reason:
        ask_free_of_charge(reservation, free_of_charge_reason)
    reservation.set_status(initial_status(facility, reservation.organisation, reservation.start_dt,
                                          reservation.end_dt, free_of_charge=bool(free_of_charge_reason)))
    reservation.hold_expires_dt = None
    reservation.requested_dt = now
    enter_decision_state(reservation, now)
    tell("submitted", [reservation], user, now=now, email=reservation.status.value, before={"status": S.held},
         after={"decision_deadline_dt": reservation.decision_deadline_dt})
    return reservation


def release_hold(user: User, reservation: Reservation, *, now: datetime | None = None) -> None:
    """The person left the booking form: free the time at once."""
    now = now_or(now)
    require(reservation.user_id == user.id, "not_your_hold_release")
    lock(reservation)
    if reservation.status == S.held:
        end_hold(reservation, user, now, HoldEnd.released)


def create_reservation(user: User, facility: Facility, organisation: Organisation, start: datetime,
                       end: datetime, *, title: str, purpose: str = "", attendees: int = 1,
                       answers: dict | None = None, accept_terms: bool = False, free_of_charge_reason: str = "",
                       now: datetime | None = None) -> Reservation:
    """Book in one step (the API): every rule, the details and conflicts; pending or confirmed."""
    now = now_or(now)
    authorise(user, facility, organisation)
    values, general = details(facility, title=title, purpose=purpose, attendees=attendees, answers=answers,
                              accept_terms=accept_terms, now=now)
    [reservation] = book(user, facility, organisation, [Candidate(start, end, attendees)], now=now,
                         values=values, general=general, free_of_charge_reason=free_of_charge_reason)
    tell("created", [reservation], user, now=now, email=reservation.status.value,
         after={"start": start, "end": end, "decision_deadline_dt": reservation.decision_deadline_dt})
    return reservation


def create_internal_block(user: User, facility: Facility, start: datetime, end: datetime, *, title: str,
                          internal_note: str = "", now: datetime | None = None) -> Reservation:
    """A manager occupies time without an organisation (maintenance, city use).
    Only conflicts and a sensible time are checked: no opening hours, notice or quota."""
    now = now_or(now)
    authorise(user, facility, None)
    general = rules.check_details(title=title, terms_required=False, accepted_terms=False)
    [block] = book(user, facility, None, [Candidate(start, end)], now=now, general=general, status=S.confirmed,
                   values={"title": title.strip()[:200], "internal_note": internal_note.strip() or None})
    tell("blocked", [block], user, now=now, after={"start": start, "end": end, "title": block.title})
    return block


def moved(user: User, reservations: list[Reservation], times: list[tuple[datetime, datetime]], *,
          now: datetime, per_occurrence: bool) -> list[Reservation]:
    """Move reservations to new times: every rule again, and back to pending where the policy says."""
    facility = reservations[0].facility
    lock_facility(facility.id)
    for reservation in reservations:
        lock(reservation)
    denied = [(r, info) for r in reservations if not (info := change_info(user, r, now=now)).allowed]
    if denied:
        raise RuleViolation(*[Message("reservation.at", start=r.start_dt, tz=facility.timezone, reason=info.message)
                              if per_occurrence else info.message for r, info in denied])
    ids = [r.id for r in reservations]
    organisation = reservations[0].organisation
    candidates = [Candidate(start, end, r.attendees) for r, (start, end) in zip(reservations, times)]
    checked = check(facility, candidates, now=now, organisation_id=organisation.id if organisation else None,
                    exclude_ids=ids)
    raise_problems(facility, candidates, checked.problems, per_occurrence=per_occurrence)
    expire_holds_of(facility.id, now, found=checked.expired_holds)
    by_manager = rules.can_decide_reservation(user, reservations[0])
    ruleset = RuleSet.of(facility)
    befores = []
    for reservation, c in zip(reservations, candidates):
        befores.append({"status": reservation.status, "start": reservation.start_dt, "end": reservation.end_dt})
        blocked = ruleset.blocked(c.start, c.end)
        reservation.start_dt, reservation.end_dt = c.start, c.end
        reservation.blocked_start_dt, reservation.blocked_end_dt = blocked.start, blocked.end
        reservation.sequence = (reservation.sequence or 0) + 1
        if (not by_manager and reservation.status == S.confirmed
                and initial_status(facility, organisation, c.start, c.end) == S.pending):
            reservation.set_status(S.pending)
            reservation.requested_dt = now
            enter_decision_state(reservation, now)
    flush_or_conflict(facility, candidates)
    for reservation in reservations:
        reprice(reservation, now)
        settle(reservation)
    tell("changed", reservations, user, now=now, email="changed", before=befores,
         after=[{"start": r.start_dt, "end": r.end_dt} for r in reservations])
    return reservations


def change_time(user: User, reservation: Reservation, start: datetime, end: datetime, *,
                now: datetime | None = None) -> Reservation:
    """A new time for one reservation. Re-runs every rule and conflict check; a change by
    the organisation that the approval policy would send to a manager returns it to pending."""
    [changed] = moved(user, [reservation], [(start, end)], now=now_or(now), per_occurrence=False)
    return changed
