"""Figures for the people who run the day: each department's requests and today's reservations
(the admin's city overview), and an organisation's history with the city (the decision page).
Each is one grouped query however many departments, facilities or reservations there are."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from booking.extensions import db
from booking.facilities.models import Facility
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus

S = ReservationStatus
# What "today's reservations" counts: bookings that happen or happened, not requests or blocks.
TODAY_STATUSES = (S.confirmed, S.completed, S.no_show)


@dataclass(frozen=True)
class DepartmentFigures:
    waiting: int = 0        # requests waiting for a decision (not those a pilot agreement holds)
    overdue: int = 0        # of them, past their decision deadline
    today: int = 0          # bookings starting today (local day given by the caller)
    checked_in: int = 0     # of them, checked in
    no_shows: int = 0       # of them, marked as not shown up


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def department_figures(*, now: datetime, day_start: datetime, day_end: datetime) -> dict[int, DepartmentFigures]:
    """Per department id: requests waiting and overdue, and today's bookings (`[day_start, day_end)`)."""
    waiting = (Reservation.status == S.pending) & Reservation.held_for.is_(None)
    today = ((Reservation.kind == ReservationKind.booking) & Reservation.status.in_(TODAY_STATUSES)
             & (Reservation.start_dt >= day_start) & (Reservation.start_dt < day_end))
    stmt = (select(Facility.department_id, _sum(waiting), _sum(waiting & (Reservation.decision_deadline_dt < now)),
                   _sum(today), _sum(today & Reservation.checked_in_dt.is_not(None)),
                   _sum(today & (Reservation.status == S.no_show)))
            .join(Reservation.facility)
            .where(waiting | today)
            .group_by(Facility.department_id))
    return {row[0]: DepartmentFigures(*(int(v) for v in row[1:])) for row in db.session.execute(stmt)}


@dataclass(frozen=True)
class OrganisationHistory:
    """An organisation's bookings with the city before now (internal blocks never count)."""
    past: int = 0             # reservations that happened: completed, no-show, or confirmed and ended
    no_shows: int = 0
    cancelled: int = 0        # cancelled bookings (a released or expired hold is no cancellation)
    declined: int = 0
    last_start_dt: datetime | None = None   # the latest one that happened

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.past if self.past else None


def organisation_history(organisation_id: int, *, now: datetime) -> OrganisationHistory:
    """One query: the organisation's past bookings, no-shows, cancellations, declines and its last booking."""
    happened = (Reservation.status.in_((S.completed, S.no_show))
                | ((Reservation.status == S.confirmed) & (Reservation.end_dt <= now)))
    stmt = (select(_sum(happened), _sum(Reservation.status == S.no_show),
                   _sum((Reservation.status == S.cancelled) & Reservation.hold_end.is_(None)),
                   _sum(Reservation.status == S.rejected),
                   func.max(case((happened, Reservation.start_dt))))
            .where(Reservation.organisation_id == organisation_id,
                   Reservation.kind == ReservationKind.booking))
    past, no_shows, cancelled, declined, last = db.session.execute(stmt).one()
    return OrganisationHistory(int(past), int(no_shows), int(cancelled), int(declined), last)
