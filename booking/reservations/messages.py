"""The reservation domain's wording: every code its services and rules return, in words.

Services raise errors and return results carrying `Message(code, **params)`; these texts
turn them into sentences in the reader's language (booking.formatting renders instants in
`tz`, `minutes` as a duration and nested messages).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.errors import Message
from booking.formatting import register
from booking.reservations.models import ReservationStatus as S

# How a status reads to people.
STATUS_LABELS = {
    S.held: _l("on hold"),
    S.pending: _l("awaiting decision"),
    S.confirmed: _l("confirmed"),
    S.rejected: _l("declined"),
    S.cancelled: _l("cancelled"),
    S.completed: _l("completed"),
    S.no_show: _l("not shown up"),
}

# Broken rules (reservations.rules.Violation codes).
VIOLATIONS = {
    "naive_time": _l("Times must include a time zone offset."),
    "end_before_start": _l("The end must be after the start."),
    "closed": _l("The facility is closed from %(start)s to %(end)s."),
    "outside_opening_hours": _l("The time is outside the facility's opening hours."),
    "off_grid": _l("Start and end must be on the facility's time grid: every %(minutes)s from midnight."),
    "too_short": _l("A reservation here must last at least %(minutes)s."),
    "too_long": _l("A reservation here may last at most %(minutes)s."),
    "multi_day_not_allowed": _l("This facility cannot be booked for more than a day at a time."),
    "in_the_past": _l("The time has already passed."),
    "too_soon": _l("This facility must be booked at least %(minutes)s ahead; the earliest start is %(earliest)s."),
    "too_far_ahead": _l("This facility can be booked at most %(days)s days ahead."),
    "attendees_too_few": _l("Say how many people will come: at least 1."),
    "over_capacity": _l("The facility holds at most %(capacity)s people."),
    "quota_reached": _l("Your organisation already has %(quota)s active reservations at this facility, "
                        "the most it may have at once."),
    "conflict": _l("Already reserved from %(start)s to %(end)s."),
    "buffer_conflict": _l("Too close to the reservation from %(start)s to %(end)s: the facility needs time "
                          "between reservations."),
    "answer_required": _l("Please answer: %(question)s"),
    "answer_invalid": _l("Choose one of the offered answers to: %(question)s"),
    "title_required": _l("Give the reservation a title."),
    "terms_not_accepted": _l("Accept the facility's terms of use to book it."),
    "facility_unavailable": _l("This facility is not open for booking."),
    "taken_just_now": _l("Someone reserved this time a moment ago. Choose another time."),
}

# Violations that are taken time (409) rather than broken rules (422).
CONFLICT_CODES = ("conflict", "buffer_conflict", "taken_just_now")

RECURRENCE = {
    "invalid": _l("The repeat rule is not a valid RRULE (for example FREQ=WEEKLY;COUNT=6)."),
    "frequency": _l("A series repeats daily, weekly, monthly or yearly."),
    "no_end": _l("A series needs an end: a number of times (COUNT) or an end date (UNTIL)."),
    "too_many": _l("A series may have at most %(limit)s occurrences."),
    "empty": _l("The repeat rule gives no dates."),
    "beyond_horizon": _l("The repeat rule gives no dates within the %(days)s days this facility can be booked "
                         "ahead."),
}

REFUSALS = {
    "not_a_member": _l("You can only book for an organisation you are a member of."),
    "only_managers_block": _l("Only the facility's managers can block its time."),
    "only_managers_decide": _l("Only the facility's managers can decide reservations."),
    "only_members_cancel": _l("Only the organisation's members and the facility's managers can cancel it."),
    "only_members_change": _l("Only the organisation's members and the facility's managers can change it."),
    "not_your_hold": _l("Only the person who chose this time can complete the booking."),
    "not_your_hold_release": _l("Only the person who chose this time can release it."),
    "hold_expired": _l("Your hold on this time expired and the time was released. Choose the time again."),
    "hold_done": _l("This booking was already completed or cancelled."),
    "held_for_agreement": _l("This time is held for a pilot agreement: it is confirmed when the agreement is "
                             "signed and released if the agreement ends, so it cannot be decided, changed or "
                             "cancelled on its own."),
    "nothing_to_cancel": _l("It is %(status)s, so there is nothing to cancel."),
    "ended": _l("It has already ended."),
    "started": _l("It has already started."),
    "not_changeable": _l("It is %(status)s; only pending and confirmed reservations can be changed."),
    "cancel_deadline_passed": _l("Free cancellation ended at %(deadline)s. To cancel now, contact the facility's "
                                 "department: %(contact)s."),
    "change_deadline_passed": _l("Changes were possible until %(deadline)s. To change it now, contact the "
                                 "facility's department: %(contact)s."),
    "approve_needs_pending": _l("Only a pending request can be approved; this one is %(status)s."),
    "reject_needs_pending": _l("Only a pending request can be declined; this one is %(status)s."),
    "return_needs_decided": _l("Only a confirmed or declined request can be returned to handling; this one is "
                               "%(status)s."),
    "check_in_needs_confirmed": _l("Only a confirmed reservation can be checked in; this one is %(status)s."),
    "reason_required": _l("Give a reason; it is sent to the booker."),
    "already_checked_in": _l("It is already checked in."),
    "check_in_not_open": _l("Check-in opens 30 minutes before the start."),
    "no_show_needs_confirmed": _l("Only a confirmed reservation nobody checked in to can be marked as not shown "
                                  "up."),
    "not_started": _l("It has not started yet."),
    "nothing_to_undo": _l("There is no check-in or no-show to undo."),
    "undo_window_passed": _l("It can no longer be undone: that was possible until %(until)s."),
    "complete_needs_ended": _l("Only a confirmed reservation that has ended can be completed."),
    "all_skipped": _l("Every date of the series is skipped: there is nothing to book."),
    "scope": _l("Choose this occurrence, this and following, or the whole series."),
    "series_nothing_to_cancel": _l("There is nothing left to cancel in this series."),
    "series_nothing_cancelled": _l("Nothing was cancelled."),
    "series_nothing_to_change": _l("There is nothing left to change in this series."),
    "series_nothing_pending": _l("No occurrence of this series is waiting for a decision."),
    "at": _l("%(start)s: %(reason)s"),
    "day_too_soon": _l("%(day)s is too soon: this facility must be booked at least %(minutes)s ahead. The first "
                       "day you can book is %(first)s."),
    "day_too_far": _l("%(day)s is too far ahead: this facility can be booked at most %(days)s days ahead, until "
                      "%(last)s."),
    "contact": _l("%(name)s (%(email)s)"),
}

# Subjects of the e-mails to bookers (and the overdue escalation), by event.
EMAIL_SUBJECTS = {
    "confirmed": _l("Reservation confirmed: %(facility)s"),
    "pending": _l("Request received, awaiting a decision: %(facility)s"),
    "approved": _l("Reservation approved: %(facility)s"),
    "rejected": _l("Reservation request declined: %(facility)s"),
    "returned": _l("Reservation back in handling: %(facility)s"),
    "cancelled": _l("Reservation cancelled: %(facility)s"),
    "changed": _l("Reservation changed: %(facility)s"),
    "checked_in": _l("Checked in: %(facility)s"),
    "no_show": _l("Marked as not shown up: %(facility)s"),
    "completed": _l("Thank you for using %(facility)s"),
    "overdue": _l("Overdue reservation request: %(facility)s"),
    "reminder": _l("Reminder: your reservation of %(facility)s"),
    "new_request": _l("New reservation request: %(facility)s"),
    "cancellation": _l("Confirmed reservation cancelled: %(facility)s"),
    "closure": _l("A closure of %(facility)s lands on reservations"),
    "deadline": _l("Reservation requests nearing their decision deadline"),
    "digest": _l("Your daily digest of new reservation requests"),
}

register({f"reservation.status.{status.value}": text for status, text in STATUS_LABELS.items()})
register({f"reservation.{code}": text for code, text in VIOLATIONS.items()})
register({f"recurrence.{code}": text for code, text in RECURRENCE.items()})
register({f"reservation.{code}": text for code, text in REFUSALS.items()})
register({f"reservation.email.{event}": text for event, text in EMAIL_SUBJECTS.items()})


def status_message(status: S) -> Message:
    return Message(f"reservation.status.{status.value}")


def contact_message(department) -> Message | str:
    """Whom to contact about a facility: its department, with the address where there is one."""
    if department.contact_email:
        return Message("reservation.contact", name=department.name, email=department.contact_email)
    return department.name
