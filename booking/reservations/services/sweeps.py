"""Time-driven sweeps (the scheduler's jobs, idempotent) and the busy time reservations
give the availability functions."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, exists, or_, select, update

from booking.database import utcnow
from booking.events import Event, publish
from booking.extensions import db
from booking.facilities.availability import Interval
from booking.facilities.schedules import register_busy_provider
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus, Series
from booking.reservations.services.booking import expire
from booking.reservations.services.decisions import complete_now
from booking.reservations.services.notify import escalation_emails
from booking.reservations.services.queries import now_or

S = ReservationStatus


def _sweep(condition, step) -> int:
    """Apply `step` to each reservation matching `condition` (rows another process is
    handling right now are skipped: it will finish them) and say how many. The job's
    unit of work commits."""
    found = list(db.session.scalars(select(Reservation).where(condition).with_for_update(skip_locked=True)))
    for reservation in found:
        step(reservation)
    db.session.flush()
    return len(found)


def expire_holds(now: datetime | None = None) -> int:
    """Holds past their expiry become cancelled (hold_end = expired). Returns how many."""
    now = now_or(now)
    return _sweep(and_(Reservation.status == S.held, Reservation.hold_expires_dt <= now),
                  lambda reservation: expire(reservation, now))


def complete_finished(now: datetime | None = None) -> int:
    """Confirmed reservations that have ended become completed. Returns how many."""
    now = now_or(now)
    return _sweep(and_(Reservation.status == S.confirmed, Reservation.end_dt <= now),
                  lambda reservation: complete_now(reservation, None, now))


def anonymise_old(months: int, now: datetime | None = None) -> int:
    """Bookings that ended more than `months` ago lose what says who booked and why: the person,
    title, purpose, answers, reasons and notes (and so does a series once all of it has). What
    statistics count stays: facility, organisation, times, status and price. One conditional
    update, so each is done once however often or in how many processes it runs; returns how many."""
    now = now_or(now)
    cutoff = now - relativedelta(months=months)
    done = db.session.execute(
        update(Reservation)
        .where(Reservation.kind == ReservationKind.booking, Reservation.end_dt < cutoff,
               Reservation.anonymised_dt.is_(None))
        .values(user_id=None, title="", purpose="", answers={}, rejection_reason=None, cancel_reason=None,
                internal_note=None, anonymised_dt=now, updated_dt=Reservation.updated_dt)
        .execution_options(synchronize_session=False)).rowcount
    occurrence = Reservation.series_id == Series.id
    db.session.execute(
        update(Series)
        .where(or_(Series.title != "", Series.user_id.is_not(None)), exists().where(occurrence),
               ~exists().where(occurrence, Reservation.anonymised_dt.is_(None)))
        .values(user_id=None, title="").execution_options(synchronize_session=False))
    return done


def _escalate(reservation: Reservation, now: datetime) -> None:
    reservation.escalated_dt = now
    publish(Event("reservation.escalated", reservation, department_id=reservation.facility.department_id,
                  after={"status": reservation.status, "decision_deadline_dt": reservation.decision_deadline_dt},
                  emails=escalation_emails(reservation)))


def flag_overdue(now: datetime | None = None) -> int:
    """Pending requests past their decision deadline are escalated once: marked, audited,
    and e-mailed to the admins and the department's contact. Returns how many."""
    now = now_or(now)
    return _sweep(and_(Reservation.is_overdue(now), Reservation.escalated_dt.is_(None)),
                  lambda reservation: _escalate(reservation, now))


def busy_select(window: Interval):
    """The same busy time as SQL (facility_id, start, end), so a search can let the database decide."""
    return select(Reservation.facility_id, Reservation.blocked_start_dt, Reservation.blocked_end_dt).where(
        Reservation.is_blocking(utcnow()), Reservation.blocked_start_dt < window.end,
        Reservation.blocked_end_dt > window.start)


def busy_intervals(facility_ids: list[int], window: Interval) -> dict[int, list[Interval]]:
    """Blocked time (buffers included) of active reservations, expired holds left out; one query."""
    if not facility_ids:
        return {}
    now = utcnow()
    rows = db.session.execute(
        select(Reservation.facility_id, Reservation.blocked_start_dt, Reservation.blocked_end_dt).where(
            Reservation.facility_id.in_(facility_ids), Reservation.is_blocking(now),
            Reservation.blocked_start_dt < window.end, Reservation.blocked_end_dt > window.start))
    result: dict[int, list[Interval]] = defaultdict(list)
    for facility_id, start, end in rows:
        result[facility_id].append(Interval(start, end))
    return dict(result)


register_busy_provider(busy_intervals, sql=busy_select)
