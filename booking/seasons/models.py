"""Seasonal application rounds: tables, named constraints and state enums.

A Round is opened by a department (or city-wide by an admin) for a season: the facilities in
it, the application window, the priority rules and a cap of hours per week per organisation.
Organisations send one Application each, holding Wishes (a weekday, a time window, a
duration, weekly or every other week, facilities ranked by preference: WishFacility). The
allocator's proposal is a set of Allocations (one per wish at most), which managers adjust
and publish: each becomes a recurring series of reservations (`series_id`). The history is
the audit trail (events.publish), as for every domain.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Date, ForeignKey, String, Table, Text, Time,
                        UniqueConstraint)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import Department, Organisation, User
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db
from booking.facilities.models import Facility
from booking.reservations.models import Series


class RoundState(enum.Enum):
    draft = "draft"              # being prepared; only its department sees it
    open = "open"                # published: applications accepted inside the window
    closed = "closed"            # the deadline passed (or closed by hand): waiting for the allocation
    allocated = "allocated"      # a proposal exists; managers review it
    published = "published"      # series booked, applicants told


class Frequency(enum.Enum):
    weekly = "weekly"
    biweekly = "biweekly"        # every other week


class AgeGroup(enum.Enum):
    children = "children"        # under 13
    youth = "youth"              # 13–19
    adults = "adults"
    seniors = "seniors"
    mixed = "mixed"


class ApplicationState(enum.Enum):
    submitted = "submitted"
    withdrawn = "withdrawn"


class Response(enum.Enum):
    accepted = "accepted"
    declined = "declined"


class AllocationSource(enum.Enum):
    solver = "solver"
    manual = "manual"


round_facility = Table(
    "round_facility", db.metadata,
    Column("round_id", ForeignKey("season_round.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", ForeignKey("facility.id", ondelete="RESTRICT"), primary_key=True),
)


class Round(db.Model):
    __tablename__ = "season_round"
    __table_args__ = (
        CheckConstraint("season_end >= season_start", name="valid_season"),
        CheckConstraint("closes_dt > opens_dt", name="valid_window"),
        CheckConstraint("cap_minutes_per_week IS NULL OR cap_minutes_per_week > 0", name="cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a city-wide round (the admin's), across departments.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    season_start: Mapped[date] = mapped_column(Date)
    season_end: Mapped[date] = mapped_column(Date)
    opens_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    cap_minutes_per_week: Mapped[int | None]
    # {"actor_weights": {"third_sector": 3, …}, "youth_bonus": 2, "city_bonus": 1, "continuity_bonus": 1}
    priority_rules: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[RoundState] = mapped_column(str_enum(RoundState), default=RoundState.draft, index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    allocated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last run's figures: the solver's and the first-come baseline's, side by side.
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    # What publishing left out: [{"allocation_id", "date", "code"}]
    left_out: Mapped[list] = mapped_column(JSON, default=list)

    department: Mapped[Department | None] = relationship()
    facilities: Mapped[list[Facility]] = relationship(secondary=round_facility, order_by="Facility.name")
    applications: Mapped[list[Application]] = relationship(back_populates="round", order_by="Application.id",
                                                           cascade="all, delete-orphan")
    allocations: Mapped[list[Allocation]] = relationship(back_populates="round", order_by="Allocation.id",
                                                         cascade="all, delete-orphan")

    def __str__(self):
        return self.name


class Application(db.Model):
    __tablename__ = "season_application"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id", name="one_per_organisation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("season_round.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    submitted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[ApplicationState] = mapped_column(str_enum(ApplicationState), default=ApplicationState.submitted)
    based_in_city: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[Response | None] = mapped_column(str_enum(Response))
    response_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(back_populates="applications")
    organisation: Mapped[Organisation] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    wishes: Mapped[list[Wish]] = relationship(back_populates="application", order_by="Wish.position",
                                              cascade="all, delete-orphan")

    @hybrid_property
    def is_active(self) -> bool:
        return self.state == ApplicationState.submitted

    def __str__(self):
        return f"{self.organisation.name}: {self.round.name}"


class Wish(db.Model):
    __tablename__ = "season_wish"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("latest > earliest", name="valid_window"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="valid_weekday"),
        CheckConstraint("participants >= 1", name="participants_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("season_application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    purpose: Mapped[str] = mapped_column(String(200))
    age_group: Mapped[AgeGroup] = mapped_column(str_enum(AgeGroup), default=AgeGroup.mixed)
    participants: Mapped[int] = mapped_column(default=1)
    weekday: Mapped[int]  # Monday = 0
    earliest: Mapped[time] = mapped_column(Time)   # the earliest start, local time
    latest: Mapped[time] = mapped_column(Time)     # the latest end, local time
    duration_minutes: Mapped[int]
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency), default=Frequency.weekly)
    # The allocator's word on this wish: [{"code", "params"}] (empty: first choice granted).
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    # Nearest free slots offered when it got nothing: [{"facility_id", "weekday", "start", "end"}] (minutes).
    alternatives: Mapped[list] = mapped_column(JSON, default=list)
    # Why candidate slots were left out before allocating: {"closed": n, "busy": n, "capacity": n}.
    skipped: Mapped[dict] = mapped_column(JSON, default=dict)

    application: Mapped[Application] = relationship(back_populates="wishes")
    facilities: Mapped[list[WishFacility]] = relationship(back_populates="wish", order_by="WishFacility.rank",
                                                          cascade="all, delete-orphan")
    allocation: Mapped[Allocation | None] = relationship(back_populates="wish", uselist=False,
                                                         cascade="all, delete-orphan")

    @property
    def minutes_per_week(self) -> int:
        return self.duration_minutes if self.frequency == Frequency.weekly else self.duration_minutes // 2

    def __str__(self):
        return self.purpose


class WishFacility(db.Model):
    __tablename__ = "season_wish_facility"
    __table_args__ = (UniqueConstraint("wish_id", "rank", name="unique_rank"),
                      CheckConstraint("rank >= 0", name="rank_not_negative"))

    wish_id: Mapped[int] = mapped_column(ForeignKey("season_wish.id", ondelete="CASCADE"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="RESTRICT"), primary_key=True)
    rank: Mapped[int]  # 0 = first choice

    wish: Mapped[Wish] = relationship(back_populates="facilities")
    facility: Mapped[Facility] = relationship()


class Allocation(db.Model):
    __tablename__ = "season_allocation"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="valid_times"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="valid_weekday"),
        CheckConstraint("parity IS NULL OR parity IN (0, 1)", name="valid_parity"),
        UniqueConstraint("wish_id", name="one_per_wish"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("season_round.id", ondelete="CASCADE"), index=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("season_wish.id", ondelete="CASCADE"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="RESTRICT"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    parity: Mapped[int | None]  # None weekly; 0 / 1 every other week (even / odd weeks of the season)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[AllocationSource] = mapped_column(str_enum(AllocationSource), default=AllocationSource.solver)
    # Why this slot: [{"code", "params"}] (e.g. lower_rank: the first choice was taken by wish 12).
    explanation: Mapped[list] = mapped_column(JSON, default=list)
    # The dates in the season it gets, and of how many.
    dates_free: Mapped[int] = mapped_column(default=0)
    dates_total: Mapped[int] = mapped_column(default=0)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("reservation_series.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="allocations")
    wish: Mapped[Wish] = relationship(back_populates="allocation")
    facility: Mapped[Facility] = relationship()
    series: Mapped[Series | None] = relationship()
