"""A department's facilities and what occupies them over a window: reservations, internal blocks
and closures (the department-wide calendar). Three queries however many facilities or bookings."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.facilities.models import Closure, Facility, FacilityStatus
from booking.reservations.models import Reservation, ReservationStatus

S = ReservationStatus
# What the calendar shows: what occupies time, and what happened (no cancelled or declined ones).
BOARD_STATUSES = (S.held, S.pending, S.confirmed, S.completed, S.no_show)


@dataclass(frozen=True)
class BoardItem:
    """One thing in a facility's row: a reservation (a booking or an internal block) or a closure."""
    start: datetime
    end: datetime
    reservation: Reservation | None = None
    closure: Closure | None = None

    @property
    def kind(self) -> str:
        if self.closure is not None:
            return "closure"
        return "block" if self.reservation.is_internal_block else "reservation"


def department_facilities(department_id: int) -> list[Facility]:
    """The department's facilities that are not archived, by name."""
    return list(db.session.scalars(select(Facility).where(
        Facility.department_id == department_id, Facility.status != FacilityStatus.archived)
        .order_by(Facility.name, Facility.id)))


def board(facilities: list[Facility], start: datetime, end: datetime, *, now: datetime) -> dict[int, list[BoardItem]]:
    """Per facility id, what overlaps `[start, end)`, by start: reservations of BOARD_STATUSES
    (a hold only while it blocks) and closures."""
    ids = [f.id for f in facilities]
    items: dict[int, list[BoardItem]] = defaultdict(list)
    if not ids:
        return items
    reservations = db.session.scalars(
        select(Reservation).where(Reservation.facility_id.in_(ids), Reservation.status.in_(BOARD_STATUSES),
                                  Reservation.start_dt < end, Reservation.end_dt > start)
        .options(selectinload(Reservation.organisation))
        .order_by(Reservation.start_dt, Reservation.id))
    for r in reservations:
        if r.status != S.held or r.is_blocking(now):
            items[r.facility_id].append(BoardItem(r.start_dt, r.end_dt, reservation=r))
    closures = db.session.scalars(select(Closure).where(Closure.facility_id.in_(ids), Closure.start_dt < end,
                                                        Closure.end_dt > start))
    for c in closures:
        items[c.facility_id].append(BoardItem(c.start_dt, c.end_dt, closure=c))
    for row in items.values():
        row.sort(key=lambda item: (item.start, item.end))
    return items
