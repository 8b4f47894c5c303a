"""The reservations domain's part of a person's data export (booking.personal_data)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from booking import personal_data
from booking.extensions import db
from booking.reservations.models import Reservation


def _reservations(user) -> list[dict]:
    """Every reservation the person made, whatever became of it (holds that never became one left out)."""
    stmt = (select(Reservation).where(Reservation.user_id == user.id, Reservation.hold_end.is_(None))
            .options(selectinload(Reservation.facility), selectinload(Reservation.organisation),
                     selectinload(Reservation.accepted_terms))
            .order_by(Reservation.start_dt, Reservation.id))
    return [{"id": r.id, "facility": r.facility.name, "organisation": r.organisation.name if r.organisation else None,
             "start": r.start_dt, "end": r.end_dt, "status": r.status, "title": r.title, "purpose": r.purpose,
             "attendees": r.attendees, "answers": r.answers, "requested": r.requested_dt,
             "accepted_terms_version": r.accepted_terms.version if r.accepted_terms else None,
             "accepted_terms_at": r.accepted_terms_dt, "cancelled": r.cancelled_dt, "cancel_reason": r.cancel_reason,
             "checked_in": r.checked_in_dt}
            for r in db.session.scalars(stmt)]


def _erase(user) -> None:
    """The organisation keeps its reservations (and their prices and statistics); they no
    longer name who made them."""
    db.session.execute(update(Reservation).where(Reservation.user_id == user.id).values(user_id=None))


personal_data.register("reservations", _reservations, order=30)
personal_data.register_eraser("reservations", _erase)
