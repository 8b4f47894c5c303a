"""Reservation use cases. Each adds and flushes in the caller's unit of work
(booking.unit_of_work) — it never commits or rolls back — checks permission and every rule,
and says what happened with one domain event per reservation (booking.events: the audit
event, the booker's e-mail, subscribers). When it refuses it raises RuleViolation (422),
Conflict (409), PermissionDenied (403) or NotFound (404) with every reason as coded
messages (booking/reservations/messages.py), and the boundary rolls everything back.

`user` is always who acts. Every function takes `now=None` (the current time; tests pass
their own). Times are aware datetimes, evaluated in the facility's time zone.

Queries (queries.py, read only)
    get_reservation(reservation_id) -> Reservation | None
    get_series(series_id) -> Series | None
    visible_reservations(user, *, facility_id=None, statuses=None, from_dt=None, to_dt=None,
                         organisation_id=None) -> Select          # what the user may see, by start
    manager_inbox(user) -> Select                                  # pending, by decision deadline
    count_pending_for(user) -> int, count_overdue_for(user) -> int # the inbox badge and its overdue part
    organisation_active_count(organisation_id, facility_id, *, now=None, exclude_ids=()) -> int
    bookable_start_times(facility, day, duration, *, now=None) -> list[datetime]
    check_booking(user, facility, organisation, start, end, *, attendees=1, now=None) -> BookingCheck
    cancellation_info(user, reservation, *, now=None) -> ActionInfo   # may it be cancelled, and why not
    change_info(user, reservation, *, now=None) -> ActionInfo         # may its time be changed
    reservations_in_closures(facility, closure_ids=None, *, now=None) -> [(Closure, [Reservation])]
    count_in_closures(facility, closures) -> int                      # bookings the closures land on

Booking (booking.py)
    facility_to_book(facility_id, *, lock=True) -> Facility | None  # with rules, questions, terms; locked
    hold(user, facility, organisation, start, end, *, title="", attendees=1, now=None) -> Reservation
    submit(user, reservation, *, title, purpose="", attendees=1, answers=None, accept_terms=False,
           now=None) -> Reservation                                # held → pending | confirmed
    release_hold(user, reservation, *, now=None) -> None           # held → cancelled (hold_end=released)
    create_reservation(user, facility, organisation, start, end, *, title, purpose="", attendees=1,
                       answers=None, accept_terms=False, now=None) -> Reservation
    create_internal_block(user, facility, start, end, *, title, internal_note="", now=None) -> Reservation
    change_time(user, reservation, start, end, *, now=None) -> Reservation

Decisions and the day itself (decisions.py)
    approve(user, reservation, *, internal_note=None, now=None) -> Reservation
    reject(user, reservation, reason, *, internal_note=None, now=None) -> Reservation
    return_to_handling(user, reservation, *, internal_note=None, now=None) -> Reservation
    cancel(user, reservation, *, reason="", now=None) -> Reservation
    check_in(user, reservation, *, now=None) -> Reservation
    mark_no_show(user, reservation, *, now=None) -> Reservation
        # check-in and no-show tell the booker only once the undo window (DAY_ACTION_UNDO_MINUTES) has passed
    undo_day_action(user, reservation, *, now=None) -> Reservation   # take a check-in or no-show back in time
    undo_until(reservation) -> datetime | None                        # until when it may be taken back
    complete(reservation, *, user=None, now=None) -> Reservation

Series (series.py; an RRULE in the facility's local time; organisation=None makes internal blocks)
    preview_series(user, facility, organisation, start, end, rrule, *, attendees=1, now=None)
        -> SeriesPreview                                           # every occurrence and its problems
    create_series(user, facility, organisation, start, end, rrule, *, title, skip=(), purpose="",
                  attendees=1, answers=None, accept_terms=False, internal_note="", now=None) -> Series
    cancel_occurrences(user, reservation, scope, *, reason="", now=None) -> list[Reservation]
    change_occurrences(user, reservation, scope, start_time, end_time, *, now=None) -> list[Reservation]
        # scope: "one", "following" (this and following) or "all"
    approve_series(user, series, *, internal_note=None, now=None) -> list[Reservation]

Prices (prices.py; through booking/pricing: quoted when booked, owed once confirmed, void when
declined or cancelled in time, the late fee after the deadline, priced again on a new time)
    quote_occurrences(facility, organisation, occurrences) -> list[Quote | None]   # a series' prices

Sweeps (sweeps.py; the scheduler's jobs, idempotent)
    expire_holds(now=None) -> int          # held past hold_expires_dt → cancelled
    complete_finished(now=None) -> int     # confirmed and ended → completed
    flag_overdue(now=None) -> int          # pending past its deadline → escalated once
    anonymise_old(months, now=None) -> int # ended over `months` ago → who booked and why removed, once

Figures (figures.py; one grouped query each)
    department_figures(*, now, day_start, day_end) -> {department_id: DepartmentFigures}  # the city overview
    organisation_history(organisation_id, *, now) -> OrganisationHistory   # past bookings, no-shows, …

Told by the clock, once each (alerts.py): send_reminders, warn_deadlines, send_request_digests
(now=None) -> int; a closure landing on bookings tells the department's managers.

An expired hold never blocks anyone: every booking first cancels the facility's expired
holds, and the busy time shown by availability leaves them out.
"""
from booking.reservations import messages  # noqa: F401  (registers the domain's wording)
from booking.reservations.services.alerts import send_reminders, send_request_digests, warn_deadlines
from booking.reservations.services.booking import (change_time, create_internal_block, create_reservation, hold,
                                                   release_hold, submit)
from booking.reservations.services.checks import facility_to_book, is_overlap_error
from booking.reservations.services.decisions import (approve, cancel, check_in, complete, mark_no_show, reject,
                                                     return_to_handling, undo_day_action, undo_until, undo_window)
from booking.reservations.services.figures import (DepartmentFigures, OrganisationHistory, department_figures,
                                                   organisation_history)
from booking.reservations.services.prices import quote_occurrences
from booking.reservations.services.queries import (ActionInfo, BookingCheck, bookable_start_times,
                                                   cancellation_info, change_info, check_booking, count_overdue_for,
                                                   count_pending_for, get_reservation, get_series, manager_inbox,
                                                   open_hold,
                                                   organisation_active_count, reservations_in_closures,
                                                   visible_reservations, count_in_closures)
from booking.reservations.services.series import (SCOPES, OccurrencePreview, SeriesPreview, approve_series,
                                                  cancel_occurrences, change_occurrences, create_series,
                                                  preview_series)
from booking.reservations.services.sweeps import (anonymise_old, busy_intervals, complete_finished, expire_holds,
                                                  flag_overdue)

__all__ = [
    "ActionInfo", "BookingCheck", "DepartmentFigures", "OrganisationHistory", "department_figures",
    "organisation_history", "OccurrencePreview", "SCOPES", "SeriesPreview", "anonymise_old", "approve",
    "approve_series",
    "bookable_start_times", "busy_intervals", "cancel", "cancel_occurrences", "cancellation_info",
    "change_info", "change_occurrences", "change_time", "check_booking", "check_in", "complete",
    "complete_finished", "count_in_closures", "count_overdue_for", "count_pending_for", "create_internal_block", "create_reservation",
    "create_series", "expire_holds", "facility_to_book", "flag_overdue", "get_reservation", "get_series", "hold", "is_overlap_error",
    "manager_inbox", "mark_no_show", "open_hold", "organisation_active_count", "preview_series", "quote_occurrences", "reject", "release_hold",
    "reservations_in_closures", "return_to_handling", "send_reminders", "send_request_digests", "submit",
    "undo_day_action", "undo_until", "undo_window", "visible_reservations", "warn_deadlines",
]
