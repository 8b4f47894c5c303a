"""Decisions and the day itself: approve, decline, return to handling, cancel, check in,
mark a no-show, complete. Each adds and flushes in the caller's unit of work."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from booking.accounts.models import User
from booking.notifications.services import withdraw
from booking.errors import Message, RuleViolation
from booking.reservations import rules
from booking.reservations.messages import status_message
from booking.reservations.models import Reservation, ReservationStatus
from booking.reservations.services.booking import enter_decision_state, expire_holds_of
from booking.facilities.availability import Interval
from booking.reservations.services.checks import (Candidate, busy, flush_or_conflict, lock, lock_facility,
                                                  raise_problems, refuse, require)
from booking.reservations.services.notify import tell
from booking.reservations.services.prices import decide_price, settle
from booking.reservations.services.queries import ActionInfo, cancellation_info, now_or

S = ReservationStatus


def decided(reservation: Reservation, status: ReservationStatus, user: User, now: datetime,
            internal_note: str | None) -> ReservationStatus:
    before = reservation.set_status(status)
    reservation.decided_dt = now
    reservation.decided_by = user
    if internal_note is not None and internal_note.strip():
        reservation.internal_note = internal_note.strip()
    settle(reservation)
    return before


def check_decidable(user: User, reservation: Reservation, now: datetime, allowed: tuple[ReservationStatus, ...],
                    wrong_status: str) -> None:
    require(rules.can_decide_reservation(user, reservation), "only_managers_decide")
    if reservation.held_for:
        refuse("held_for_agreement")
    if reservation.status not in allowed:
        refuse(wrong_status, status=status_message(reservation.status))
    if reservation.end_dt <= now:
        refuse("ended")


def approve(user: User, reservation: Reservation, *, internal_note: str | None = None,
            price_cents: int | None = None, price_reason: str | None = None,
            now: datetime | None = None) -> Reservation:
    """Confirm a pending request (records who decided and when). `price_cents` is the gross
    price the manager decided for a free-of-charge request (0: free), with its reason."""
    now = now_or(now)
    lock(reservation)
    check_decidable(user, reservation, now, (S.pending,), "approve_needs_pending")
    if price_cents is not None:
        decide_price(reservation, price_cents, price_reason, user)
    before = decided(reservation, S.confirmed, user, now, internal_note)
    tell("approved", [reservation], user, now=now, email="approved", before={"status": before})
    return reservation


def reject(user: User, reservation: Reservation, reason: str, *, internal_note: str | None = None,
           now: datetime | None = None) -> Reservation:
    """Decline a pending request. The reason is required and sent to the booker; the
    internal note is seen only by managers. The time is free again at once."""
    now = now_or(now)
    lock(reservation)
    check_decidable(user, reservation, now, (S.pending,), "reject_needs_pending")
    if not (reason or "").strip():
        raise RuleViolation(field_errors={"reason": [Message("reservation.reason_required")]})
    before = decided(reservation, S.rejected, user, now, internal_note)
    reservation.rejection_reason = reason.strip()
    tell("rejected", [reservation], user, now=now, email="rejected", before={"status": before},
         after={"reason": reservation.rejection_reason}, email_context={"reason": reservation.rejection_reason})
    return reservation


def return_to_handling(user: User, reservation: Reservation, *, internal_note: str | None = None,
                       now: datetime | None = None) -> Reservation:
    """Take a decision back: a confirmed or declined request is pending again, with a new deadline.

    A declined one occupies its time again, so it may now collide (409)."""
    now = now_or(now)
    facility = reservation.facility
    lock_facility(facility.id)
    lock(reservation)
    check_decidable(user, reservation, now, (S.confirmed, S.rejected), "return_needs_decided")
    expire_holds_of(facility.id, now)
    if reservation.status == S.rejected:  # its time may have been taken meanwhile
        blocked = Interval(reservation.blocked_start_dt, reservation.blocked_end_dt)
        candidate = Candidate(reservation.start_dt, reservation.end_dt)
        taken = rules.find_conflicts(candidate.start, candidate.end, blocked,
                                     busy(facility.id, blocked, now, exclude_ids=[reservation.id]))
        raise_problems(facility, [candidate], [taken])
    before = reservation.set_status(S.pending)
    reservation.rejection_reason = None
    if internal_note is not None and internal_note.strip():
        reservation.internal_note = internal_note.strip()
    enter_decision_state(reservation, now)
    flush_or_conflict(facility, [Candidate(reservation.start_dt, reservation.end_dt)])
    tell("returned", [reservation], user, now=now, email="returned", before={"status": before},
         after={"decision_deadline_dt": reservation.decision_deadline_dt})
    return reservation


def cancel_now(reservation: Reservation, user: User | None, now: datetime, *, reason: str,
               late_fee: bool = False) -> ReservationStatus:
    before = reservation.set_status(S.cancelled)
    reservation.cancelled_dt = now
    reservation.cancel_reason = reason or None
    reservation.late_cancellation_fee = late_fee
    settle(reservation, late_fee=late_fee, actor=user)
    return before


def cancel_checked(user: User, reservation: Reservation, now: datetime, reason: str) -> tuple[ActionInfo, object]:
    """Cancel if the person may now; returns what they may do and the status before."""
    info = cancellation_info(user, reservation, now=now)
    before = None
    if info.allowed:
        before = cancel_now(reservation, user, now, reason=(reason or "").strip(), late_fee=info.late_fee)
    return info, before


def cancel(user: User, reservation: Reservation, *, reason: str = "", now: datetime | None = None) -> Reservation:
    """Cancel: the organisation until the facility's deadline (after it, refused or with a
    late-cancellation fee, per facility); managers always. The time is free at once."""
    now = now_or(now)
    lock(reservation)
    require(rules.can_cancel_reservation(user, reservation), "only_members_cancel")
    info, before = cancel_checked(user, reservation, now, reason)
    if not info.allowed:
        raise RuleViolation(info.message)
    tell("cancelled", [reservation], user, now=now, email="cancelled" if before != S.held else None,
         before={"status": before},
         after={"reason": reservation.cancel_reason or "", "late_cancellation_fee": info.late_fee},
         email_context={"reason": reservation.cancel_reason, "late_fee": info.late_fee})
    return reservation


def check_in(user: User, reservation: Reservation, *, now: datetime | None = None) -> Reservation:
    """The booker arrived (from 30 minutes before the start until the end)."""
    now = now_or(now)
    lock(reservation)
    check_decidable(user, reservation, now, (S.confirmed,), "check_in_needs_confirmed")
    if reservation.checked_in_dt is not None:
        refuse("already_checked_in")
    if not rules.can_check_in_at(start=reservation.start_dt, end=reservation.end_dt, now=now):
        refuse("check_in_not_open")
    reservation.checked_in_dt = now
    tell("checked_in", [reservation], user, now=now, email="checked_in", after={"checked_in_dt": now},
         send_after=now + undo_window())
    return reservation


def mark_no_show(user: User, reservation: Reservation, *, now: datetime | None = None) -> Reservation:
    """Nobody came: after the start, a confirmed reservation not checked in."""
    now = now_or(now)
    lock(reservation)
    require(rules.can_decide_reservation(user, reservation), "only_managers_decide")
    if reservation.status != S.confirmed or reservation.checked_in_dt is not None:
        refuse("no_show_needs_confirmed")
    if reservation.start_dt > now:
        refuse("not_started")
    before = reservation.set_status(S.no_show)
    reservation.updated_dt = now  # when it was marked: the undo window counts from here
    tell("no_show", [reservation], user, now=now, email="no_show", before={"status": before},
         send_after=now + undo_window())
    return reservation


def undo_window() -> timedelta:
    """How long a check-in or a no-show can be taken back (DAY_ACTION_UNDO_MINUTES)."""
    return timedelta(minutes=current_app.config["DAY_ACTION_UNDO_MINUTES"])


def undo_until(reservation: Reservation) -> datetime | None:
    """Until when the reservation's check-in or no-show may be undone (None: nothing to undo)."""
    return rules.undo_until(status=reservation.status.value, checked_in_dt=reservation.checked_in_dt,
                            marked_dt=reservation.updated_dt, window=undo_window())


def _check_undoable(user: User, reservation: Reservation, now: datetime) -> None:
    require(rules.can_decide_reservation(user, reservation), "only_managers_decide")
    until = undo_until(reservation)
    if until is None:
        refuse("nothing_to_undo")
    if now >= until:
        refuse("undo_window_passed", until=until, tz=reservation.facility.timezone)


def undo_day_action(user: User, reservation: Reservation, *, now: datetime | None = None) -> Reservation:
    """Take back a check-in or a no-show within the undo window: the reservation is confirmed and
    not checked in again, and the booker, not yet told, is never told. A no-show had freed the
    time, so taking it back may collide with a booking made meanwhile (409)."""
    now = now_or(now)
    facility = reservation.facility
    lock_facility(facility.id)
    lock(reservation)
    _check_undoable(user, reservation, now)
    withdraw(f"reservation:{reservation.id}", now=now)
    if reservation.status == S.no_show:  # its time was freed, and may have been taken meanwhile
        expire_holds_of(facility.id, now)
        blocked = Interval(reservation.blocked_start_dt, reservation.blocked_end_dt)
        candidate = Candidate(reservation.start_dt, reservation.end_dt)
        raise_problems(facility, [candidate], [rules.find_conflicts(
            candidate.start, candidate.end, blocked, busy(facility.id, blocked, now, exclude_ids=[reservation.id]))])
        reservation.set_status(S.confirmed)
        flush_or_conflict(facility, [Candidate(reservation.start_dt, reservation.end_dt)])
        tell("no_show_undone", [reservation], user, now=now, before={"status": S.no_show})
    else:
        before = reservation.checked_in_dt
        reservation.checked_in_dt = None
        tell("check_in_undone", [reservation], user, now=now, before={"checked_in_dt": before},
             after={"checked_in_dt": None})
    return reservation


def complete_now(reservation: Reservation, user: User | None, now: datetime) -> None:
    before = reservation.set_status(S.completed)
    tell("completed", [reservation], user, now=now, email="completed", before={"status": before})


def complete(reservation: Reservation, *, user: User | None = None, now: datetime | None = None) -> Reservation:
    """A confirmed reservation that has ended is completed (the job does this for all)."""
    now = now_or(now)
    lock(reservation)
    if user is not None:
        require(rules.can_decide_reservation(user, reservation), "only_managers_decide")
    if reservation.status != S.confirmed or reservation.end_dt > now:
        refuse("complete_needs_ended")
    complete_now(reservation, user, now)
    return reservation
