"""Reservations and series, with the database's guarantee that active ones never overlap.

An active reservation (held, pending or confirmed) occupies its facility from
`blocked_start_dt` to `blocked_end_dt`: its own time widened by the facility's buffers at
the moment it was made. No two active reservations of one facility may have overlapping
blocked ranges. The services check that first (for a helpful message), but the database
has the last word: an exclusion constraint on PostgreSQL, triggers on SQLite. The exact
SQL is in the module constants below, which the Alembic migration copies.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (DDL, JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text, and_, event,
                        or_)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import Organisation, User
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db
from booking.facilities.models import Facility, FacilityTerms
from booking.pricing.models import PriceSnapshot



class ReservationStatus(enum.Enum):
    held = "held"                # tentative, while the person finishes the form; expires
    pending = "pending"          # awaiting a manager's decision
    confirmed = "confirmed"
    rejected = "rejected"
    cancelled = "cancelled"
    completed = "completed"
    no_show = "no_show"


class HoldEnd(enum.Enum):
    """Why a hold ended without becoming a reservation (the system's reason, never the person's words)."""
    expired = "expired"      # its time ran out
    released = "released"    # the person left the booking form
    replaced = "replaced"    # the person chose another time


class ReservationKind(enum.Enum):
    booking = "booking"                # an organisation's reservation
    internal_block = "internal_block"  # a manager's block (maintenance, city use), no organisation


# The statuses that occupy time. The SQL below spells the same list out.
ACTIVE_STATUSES = (ReservationStatus.held, ReservationStatus.pending, ReservationStatus.confirmed)

# Which status may follow which; services add the human checks (deadlines, reasons, roles).
TRANSITIONS: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    ReservationStatus.held: frozenset({ReservationStatus.pending, ReservationStatus.confirmed,
                                       ReservationStatus.cancelled}),
    ReservationStatus.pending: frozenset({ReservationStatus.confirmed, ReservationStatus.rejected,
                                          ReservationStatus.cancelled}),
    ReservationStatus.confirmed: frozenset({ReservationStatus.pending, ReservationStatus.cancelled,
                                            ReservationStatus.completed, ReservationStatus.no_show}),
    ReservationStatus.rejected: frozenset({ReservationStatus.pending}),
    ReservationStatus.cancelled: frozenset(),
    ReservationStatus.completed: frozenset(),
    # A no-show marked by mistake is taken back within the undo window (services: undo_no_show).
    ReservationStatus.no_show: frozenset({ReservationStatus.confirmed}),
}


class InvalidTransition(Exception):
    """A programming error: a service asked for a status change the table above forbids."""


class Series(db.Model):
    """A recurring reservation: one RRULE, its occurrences are ordinary reservations."""

    __tablename__ = "reservation_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"),
                                                        index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[ReservationKind] = mapped_column(str_enum(ReservationKind), default=ReservationKind.booking)
    # RFC 5545 RRULE, expanded in the facility's local time from the first occurrence.
    rrule: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    # Local dates the person chose to leave out when booking (ISO strings).
    skipped_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship()
    reservations: Mapped[list[Reservation]] = relationship(back_populates="series",
                                                           order_by="Reservation.start_dt")

    @property
    def active_reservations(self) -> list[Reservation]:
        return [r for r in self.reservations if r.is_active]

    @property
    def skipped(self) -> list[date]:
        return [date.fromisoformat(d) for d in self.skipped_dates or []]

    def __str__(self):
        return self.title


class Reservation(db.Model):
    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="valid_dates"),
        CheckConstraint("attendees >= 0", name="attendees_not_negative"),
        CheckConstraint("blocked_start_dt <= start_dt AND blocked_end_dt >= end_dt", name="blocked_contains_time"),
        CheckConstraint("(kind = 'internal_block' AND organisation_id IS NULL) OR "
                        "(kind = 'booking' AND organisation_id IS NOT NULL)", name="organisation_matches_kind"),
        Index("ix_reservation_facility_blocked", "facility_id", "blocked_start_dt", "blocked_end_dt"),
        Index("ix_reservation_organisation_start", "organisation_id", "start_dt"),
        Index("ix_reservation_status_deadline", "status", "decision_deadline_dt"),
        Index("ix_reservation_status_end", "status", "end_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReservationKind] = mapped_column(str_enum(ReservationKind), default=ReservationKind.booking)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    # The person who acted (booked, or blocked the time); kept as NULL if the account goes.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("reservation_series.id", ondelete="SET NULL"),
                                                  index=True)

    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    # start/end widened by the facility's buffers when made; what the overlap guarantee uses.
    blocked_start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_end_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    attendees: Mapped[int] = mapped_column(default=0)
    # Answers to the facility's extra questions, keyed by BookingQuestion id (as a string).
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    accepted_terms_id: Mapped[int | None] = mapped_column(ForeignKey("facility_terms.id", ondelete="RESTRICT"))
    accepted_terms_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    status: Mapped[ReservationStatus] = mapped_column(str_enum(ReservationStatus), default=ReservationStatus.held)
    requested_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hold_expires_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_deadline_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)   # sent to the booker
    internal_note: Mapped[str | None] = mapped_column(Text)      # seen only by managers
    cancelled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)  # the person's words
    # A hold that ended without becoming a reservation: lists leave such rows out.
    hold_end: Mapped[HoldEnd | None] = mapped_column(str_enum(HoldEnd, length=20))
    # Cancelled after the facility's deadline where it charges a fee (pricing reads this).
    late_cancellation_fee: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once when a pending request passes its decision deadline and is escalated.
    escalated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Pending because something larger holds it (e.g. "agreement:12", a pilot agreement not yet
    # signed): decided with that, never on its own, and left out of the managers' inbox.
    held_for: Mapped[str | None] = mapped_column(String(40))
    # When who booked and why was removed, RETENTION_MONTHS after the end (services/sweeps.anonymise_old).
    anonymised_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The price it keeps (booking/pricing): quoted when booked, never changed by a later tariff.
    price_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("price_snapshot.id", ondelete="RESTRICT"),
                                                          index=True)
    # Grows with every change a calendar should see (time, status): iCalendar's SEQUENCE.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    facility: Mapped[Facility] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    accepted_terms: Mapped[FacilityTerms | None] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="reservations")
    price: Mapped[PriceSnapshot | None] = relationship()

    @hybrid_property
    def is_active(self) -> bool:
        """Occupies time: held, pending or confirmed (works in queries too)."""
        return self.status in ACTIVE_STATUSES

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls):
        return cls.status.in_(ACTIVE_STATUSES)

    @hybrid_method
    def is_blocking(self, now: datetime) -> bool:
        """Active, and not a hold past its expiry (such a hold never blocks anyone)."""
        if self.status == ReservationStatus.held:
            return self.hold_expires_dt is not None and self.hold_expires_dt > now
        return self.is_active

    @is_blocking.expression
    @classmethod
    def _is_blocking_expression(cls, now: datetime):
        return or_(cls.status.in_((ReservationStatus.pending, ReservationStatus.confirmed)),
                   and_(cls.status == ReservationStatus.held, cls.hold_expires_dt > now))

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """A pending request whose decision deadline has passed."""
        return (self.status == ReservationStatus.pending and self.decision_deadline_dt is not None
                and self.decision_deadline_dt < now)

    @is_overdue.expression
    @classmethod
    def _is_overdue_expression(cls, now: datetime):
        return and_(cls.status == ReservationStatus.pending, cls.decision_deadline_dt < now)

    @property
    def is_internal_block(self) -> bool:
        return self.kind == ReservationKind.internal_block

    @property
    def department_id(self) -> int:
        """The facility's department (audit events are filed under it)."""
        return self.facility.department_id

    def set_status(self, new: ReservationStatus) -> ReservationStatus:
        """Move to `new` if the transition table allows it; returns the old status."""
        old = self.status
        if new not in TRANSITIONS[old]:
            raise InvalidTransition(f"reservation {self.id}: {old.value} → {new.value} is not a transition")
        self.status = new
        self.sequence = (self.sequence or 0) + 1
        return old

    def __str__(self):
        return self.title


# --- the no-double-booking guarantee, in the database --------------------------------
# Copied verbatim by the Alembic migration; keep the status list equal to ACTIVE_STATUSES.

PG_BTREE_GIST_SQL = "CREATE EXTENSION IF NOT EXISTS btree_gist"

PG_NO_OVERLAP_SQL = (
    "ALTER TABLE reservation ADD CONSTRAINT reservation_no_overlap "
    "EXCLUDE USING gist (facility_id WITH =, tstzrange(blocked_start_dt, blocked_end_dt, '[)') WITH &&) "
    "WHERE (status IN ('held', 'pending', 'confirmed'))"
)

# SQLite stores instants as fixed-width UTC text, so comparing text compares time. A row
# being updated must not collide with itself (NEW.id is unknown before an insert).
_SQLITE_OVERLAP_CHECK = """
    SELECT RAISE(ABORT, 'reservation_overlap') WHERE EXISTS (
        SELECT 1 FROM reservation AS other
        WHERE other.facility_id = NEW.facility_id{not_self}
          AND other.status IN ('held', 'pending', 'confirmed')
          AND other.blocked_start_dt < NEW.blocked_end_dt
          AND NEW.blocked_start_dt < other.blocked_end_dt);
"""

SQLITE_NO_OVERLAP_INSERT_SQL = (
    "CREATE TRIGGER reservation_no_overlap_insert BEFORE INSERT ON reservation "
    "WHEN NEW.status IN ('held', 'pending', 'confirmed') "
    "BEGIN" + _SQLITE_OVERLAP_CHECK.format(not_self="") + "END"
)

SQLITE_NO_OVERLAP_UPDATE_SQL = (
    "CREATE TRIGGER reservation_no_overlap_update "
    "BEFORE UPDATE OF facility_id, blocked_start_dt, blocked_end_dt, status ON reservation "
    "WHEN NEW.status IN ('held', 'pending', 'confirmed') "
    "BEGIN" + _SQLITE_OVERLAP_CHECK.format(not_self=" AND other.id != NEW.id") + "END"
)

# The SQLite trigger's message and PostgreSQL's SQLSTATE for exclusion_violation.
SQLITE_OVERLAP_MESSAGE = "reservation_overlap"
PG_EXCLUSION_VIOLATION = "23P01"

event.listen(Reservation.__table__, "before_create", DDL(PG_BTREE_GIST_SQL).execute_if(dialect="postgresql"))
event.listen(Reservation.__table__, "after_create", DDL(PG_NO_OVERLAP_SQL).execute_if(dialect="postgresql"))
event.listen(Reservation.__table__, "after_create", DDL(SQLITE_NO_OVERLAP_INSERT_SQL).execute_if(dialect="sqlite"))
event.listen(Reservation.__table__, "after_create", DDL(SQLITE_NO_OVERLAP_UPDATE_SQL).execute_if(dialect="sqlite"))
