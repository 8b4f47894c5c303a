"""UtilisationStat: the daily rollups the statistics are summed from.

One `utilisation_day` row per facility and local day holds that day's figures in minutes
and counts, with the open and booked minutes of each local hour for the weekday × hour
heatmap. One `utilisation_booker` row per facility, day and booking organisation holds its
share, so actor types and distinct organisations are summed in SQL too. Both are derived
data: `services.refresh` recomputes any facility's days from the source rows.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from booking.accounts.models import ActorType
from booking.database import str_enum
from booking.extensions import db

HOURS = range(24)


def open_hour(hour: int) -> str:
    return f"open_h{hour:02}"


def booked_hour(hour: int) -> str:
    return f"booked_h{hour:02}"


class _Figures:
    """The figures a day row and a month row share (a month row sums the days of one weekday)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # Monday = 0, for the heatmap
    open_minutes: Mapped[int] = mapped_column(default=0)
    booked_minutes: Mapped[int] = mapped_column(default=0)
    pending_minutes: Mapped[int] = mapped_column(default=0)
    reservations: Mapped[int] = mapped_column(default=0)   # confirmed, completed or no-show
    completed: Mapped[int] = mapped_column(default=0)
    no_shows: Mapped[int] = mapped_column(default=0)
    cancellations: Mapped[int] = mapped_column(default=0)
    revenue_cents: Mapped[int] = mapped_column(default=0)  # owed or invoiced, VAT included
    subsidy_cents: Mapped[int] = mapped_column(default=0)


def _checks(max_open: int) -> tuple:
    return (
        CheckConstraint("open_minutes >= 0 AND booked_minutes >= 0 AND pending_minutes >= 0",
                        name="minutes_not_negative"),
        CheckConstraint("booked_minutes <= open_minutes", name="booked_within_open"),
        CheckConstraint(f"open_minutes <= {max_open}", name="open_within_its_days"),
        CheckConstraint("reservations >= 0 AND cancellations >= 0 AND no_shows >= 0 AND completed >= 0 "
                        "AND revenue_cents >= 0 AND subsidy_cents >= 0", name="counts_not_negative"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
    )


class UtilisationDay(_Figures, db.Model):
    """A facility's figures for one local day. Minutes are whole minutes of the local day;
    counts are of reservations starting that day; money is of prices starting that day.

    No index on the day alone: queries walk (facility_id, day) from each facility, which
    beats a day index over a long period (measured on SQLite: half the time for a year)."""

    __tablename__ = "utilisation_day"
    __table_args__ = (UniqueConstraint("facility_id", "day", name="uq_utilisation_day_facility_day"),
                      *_checks(25 * 60))

    day: Mapped[date] = mapped_column(Date)


class UtilisationMonth(_Figures, db.Model):
    """The days of one month and weekday of a facility, summed (from utilisation_day, by
    `rollups.refresh`): a year is 84 rows per facility instead of 365, so whole months are
    summed from here and only the period's partial months from the days."""

    __tablename__ = "utilisation_month"
    __table_args__ = (UniqueConstraint("facility_id", "day", "weekday", name="uq_utilisation_month"),
                      *_checks(5 * 25 * 60))

    day: Mapped[date] = mapped_column(Date)  # the month's first day


# The heatmap's columns: open and booked minutes of each local hour (0–23) of the day.
for _model in (UtilisationDay, UtilisationMonth):
    for _hour in HOURS:
        setattr(_model, open_hour(_hour), db.Column(Integer, nullable=False, default=0))
        setattr(_model, booked_hour(_hour), db.Column(Integer, nullable=False, default=0))


# What a month row sums from the day rows.
FIGURES = ["open_minutes", "booked_minutes", "pending_minutes", "reservations", "completed", "no_shows",
           "cancellations", "revenue_cents", "subsidy_cents"] + [name for hour in HOURS
                                                                  for name in (open_hour(hour), booked_hour(hour))]


class UtilisationBooker(db.Model):
    """One organisation's share of a facility's day (never shown per organisation: summed
    by actor type, or counted as distinct organisations)."""

    __tablename__ = "utilisation_booker"
    __table_args__ = (
        UniqueConstraint("facility_id", "day", "organisation_id", name="uq_utilisation_booker"),
        CheckConstraint("booked_minutes >= 0 AND reservations >= 0 AND revenue_cents >= 0 AND subsidy_cents >= 0",
                        name="figures_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType))
    booked_minutes: Mapped[int] = mapped_column(default=0)
    reservations: Mapped[int] = mapped_column(default=0)
    revenue_cents: Mapped[int] = mapped_column(default=0)
    subsidy_cents: Mapped[int] = mapped_column(default=0)


class UtilisationStale(db.Model):
    """Days whose rollups a change made stale: written in the changing transaction (one small
    insert), recomputed by `rollups.refresh_stale` before statistics are read and by the
    scheduler every minute, so a booking never waits for the statistics. No day span
    (NULL) means every stored day of the facility (its hours or closures changed)."""

    __tablename__ = "utilisation_stale"
    __table_args__ = (CheckConstraint("(first_day IS NULL) = (last_day IS NULL) AND "
                                      "(first_day IS NULL OR first_day <= last_day)", name="valid_span"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
