from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Numeric, String, Text,
                        Time, UniqueConstraint)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import Department
from booking.content import Translatable, current_language
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db
from booking.facilities.ruleset import DEFAULTS, default_minutes

# Categories a facility can have. Extend by adding a code here (and its label in forms).
CATEGORIES = ("public_space", "lab", "recreational", "venue", "meeting_room", "workshop", "sports", "outdoor_area")

# Accessibility features a facility can offer, by code.
ACCESSIBILITY_FEATURES = ("step_free_access", "accessible_toilet", "induction_loop", "accessible_parking",
                          "lift", "braille_signage", "quiet_room")

# Groups of the amenity vocabulary, in the order pages show them.
AMENITY_GROUPS = ("technology", "furniture", "kitchen", "workshop", "sports", "outdoor", "accessibility", "other")

class FacilityStatus(enum.Enum):
    draft = "draft"
    published = "published"
    archived = "archived"


class ApprovalPolicy(enum.Enum):
    automatic = "automatic"          # every request that passes the rules is confirmed
    manual = "manual"                # every request waits for a manager
    conditional = "conditional"      # manual for the listed actor types or above a duration


class LateCancellation(enum.Enum):
    fee = "fee"          # cancelling after the deadline is allowed; pricing charges a fee
    refuse = "refuse"    # cancelling after the deadline is refused


class QuestionKind(enum.Enum):
    text = "text"
    choice = "choice"
    yes_no = "yes_no"


class Facility(Translatable, db.Model):
    __tablename__ = "facility"
    TRANSLATABLE = ("name", "description", "house_rules", "accessibility_notes")
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("area_m2 IS NULL OR area_m2 >= 0", name="area_not_negative"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
        Index("ix_facility_status_category", "status", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    district: Mapped[str] = mapped_column(String(100), default="", index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(default=0)
    area_m2: Mapped[float | None] = mapped_column(Numeric(10, 1))
    house_rules: Mapped[str] = mapped_column(Text, default="")
    # Free text beside the accessibility features: the entrance, distances, what to ask for.
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    status: Mapped[FacilityStatus] = mapped_column(str_enum(FacilityStatus), default=FacilityStatus.draft)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Share of bookable hours booked over the last 28 days (0..1), stored nightly by the
    # stats job; pricing and "least used" sorting read it and never call stats.
    recent_utilisation: Mapped[float | None] = mapped_column(Float)
    # A calendar the facility's closures are kept in sync with (the refresh job reads it every few
    # hours); the last attempt's time, whether it worked, and its outcome as a coded message
    # ({"code", "params"}, see booking.facilities.calendar_sync), shown on the closures page.
    closure_calendar_url: Mapped[str | None] = mapped_column(String(2000))
    closure_calendar_refreshed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_calendar_ok: Mapped[bool | None] = mapped_column(Boolean)
    closure_calendar_outcome: Mapped[dict | None] = mapped_column(JSON)

    department: Mapped[Department] = relationship()
    amenities: Mapped[list[FacilityAmenity]] = relationship(back_populates="facility", cascade="all, delete-orphan",
                                                            order_by="FacilityAmenity.amenity_id")
    accessibility: Mapped[list[FacilityAccessibility]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="FacilityAccessibility.feature")
    photos: Mapped[list[FacilityPhoto]] = relationship(back_populates="facility", cascade="all, delete-orphan",
                                                       order_by="FacilityPhoto.position")
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="facility", cascade="all, delete-orphan",
        order_by="(OpeningHours.valid_from, OpeningHours.weekday, OpeningHours.start_time)")
    special_openings: Mapped[list[SpecialOpening]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="SpecialOpening.date")
    closures: Mapped[list[Closure]] = relationship(back_populates="facility", cascade="all, delete-orphan",
                                                   order_by="Closure.start_dt")
    rules: Mapped[BookingRules] = relationship(back_populates="facility", cascade="all, delete-orphan",
                                               uselist=False)
    terms: Mapped[list[FacilityTerms]] = relationship(back_populates="facility", cascade="all, delete-orphan",
                                                      order_by="FacilityTerms.version")
    questions: Mapped[list[BookingQuestion]] = relationship(back_populates="facility", cascade="all, delete-orphan",
                                                            order_by="BookingQuestion.position")

    @hybrid_property
    def is_published(self) -> bool:
        return self.status == FacilityStatus.published

    @property
    def current_terms(self) -> FacilityTerms | None:
        return self.terms[-1] if self.terms else None

    def __str__(self):
        return self.name


class Amenity(Translatable, db.Model):
    """One entry of the city's amenity vocabulary ('Projector'), in a group, named in every language.

    `name` is the name in the content language; facilities point at the entry, so a name is
    written and translated once."""

    __tablename__ = "amenity"
    TRANSLATABLE = ("name",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    group: Mapped[str] = mapped_column(String(20), default="other")
    name: Mapped[str] = mapped_column(String(100))

    def __str__(self):
        return self.name


class FacilityAmenity(db.Model):
    """An amenity a facility has, with how many there are (e.g. 'Projector', 2)."""

    __tablename__ = "facility_amenity"
    __table_args__ = (UniqueConstraint("facility_id", "amenity_id", name="uq_facility_amenity_amenity"),
                      CheckConstraint("quantity >= 1", name="quantity_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    amenity_id: Mapped[int] = mapped_column(ForeignKey("amenity.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)

    facility: Mapped[Facility] = relationship(back_populates="amenities")
    # Always wanted with the row (its name), so loaded in the same query.
    amenity: Mapped[Amenity] = relationship(lazy="joined", innerjoin=True)

    @property
    def name(self) -> str:
        return self.amenity.name

    @property
    def code(self) -> str:
        return self.amenity.code

    def translated(self, field: str = "name", language: str | None = None):
        return self.amenity.translated(field, language)

    def t(self, field: str = "name", language: str | None = None) -> str:
        return self.amenity.t(field, language)


class FacilityAccessibility(db.Model):
    __tablename__ = "facility_accessibility"
    __table_args__ = (UniqueConstraint("facility_id", "feature", name="uq_facility_accessibility_feature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    feature: Mapped[str] = mapped_column(String(40))

    facility: Mapped[Facility] = relationship(back_populates="accessibility")


class FacilityPhoto(db.Model):
    __tablename__ = "facility_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    alt_text: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship(back_populates="photos")


class OpeningHours(db.Model):
    """One opening interval on a weekday, in the facility's local time.

    Rows sharing a `valid_from` form one version of the weekly schedule; on a given date the
    version with the latest `valid_from` on or before it applies, so next season's hours can
    be entered ahead. An `end_time` at or before `start_time` ends on the next day
    (22:00–02:00; 00:00–00:00 is the whole day).
    """

    __tablename__ = "opening_hours"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
                      Index("ix_opening_hours_facility_valid", "facility_id", "valid_from"))

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    weekday: Mapped[int]  # Monday = 0
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    facility: Mapped[Facility] = relationship(back_populates="opening_hours")


class SpecialOpening(db.Model):
    """Opening hours for one date that replace the weekly ones (e.g. a public holiday event)."""

    __tablename__ = "special_opening"
    __table_args__ = (Index("ix_special_opening_facility_date", "facility_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    reason: Mapped[str] = mapped_column(String(300), default="")

    facility: Mapped[Facility] = relationship(back_populates="special_openings")


class Closure(db.Model):
    """Time the facility is closed: a whole day, part of a day, or weeks, entered or imported.

    `external_uid` is the iCal UID of an imported event, so re-importing updates instead of
    duplicating.
    """

    __tablename__ = "closure"
    __table_args__ = (CheckConstraint("end_dt > start_dt", name="valid_dates"),
                      UniqueConstraint("facility_id", "external_uid", name="uq_closure_facility_uid"),
                      Index("ix_closure_facility_time", "facility_id", "start_dt", "end_dt"))

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300), default="")
    external_uid: Mapped[str | None] = mapped_column(String(300))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship(back_populates="closures")


class BookingRules(db.Model):
    """How a facility may be booked. Durations in minutes; one row per facility.

    The defaults are booking.facilities.ruleset.DEFAULTS; code reads the rules through
    `RuleSet.of(facility)`, never these columns directly."""

    __tablename__ = "booking_rules"
    __table_args__ = (
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
        CheckConstraint("min_duration_minutes > 0", name="min_duration_positive"),
        CheckConstraint("max_duration_minutes IS NULL OR max_duration_minutes >= min_duration_minutes",
                        name="max_duration_not_below_min"),
        CheckConstraint("min_notice_minutes >= 0 AND buffer_before_minutes >= 0 AND buffer_after_minutes >= 0",
                        name="non_negative_margins"),
        CheckConstraint("max_advance_days > 0", name="max_advance_positive"),
        CheckConstraint("max_active_per_organisation IS NULL OR max_active_per_organisation > 0",
                        name="quota_positive"),
        CheckConstraint("cancellation_deadline_hours >= 0", name="cancellation_deadline_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), unique=True)
    slot_minutes: Mapped[int] = mapped_column(default=default_minutes(DEFAULTS.slot))
    min_duration_minutes: Mapped[int] = mapped_column(default=default_minutes(DEFAULTS.min_duration))
    max_duration_minutes: Mapped[int | None] = mapped_column(default=default_minutes(DEFAULTS.max_duration))
    min_notice_minutes: Mapped[int] = mapped_column(default=default_minutes(DEFAULTS.min_notice))
    max_advance_days: Mapped[int] = mapped_column(default=DEFAULTS.max_advance.days)
    buffer_before_minutes: Mapped[int] = mapped_column(default=default_minutes(DEFAULTS.buffer_before))
    buffer_after_minutes: Mapped[int] = mapped_column(default=default_minutes(DEFAULTS.buffer_after))
    allow_multi_day: Mapped[bool] = mapped_column(Boolean, default=DEFAULTS.allow_multi_day)
    max_active_per_organisation: Mapped[int | None] = mapped_column(default=None)
    approval_policy: Mapped[ApprovalPolicy] = mapped_column(str_enum(ApprovalPolicy), default=ApprovalPolicy.automatic)
    # With the conditional policy: these actor types, or requests longer than this, need a manager.
    manual_actor_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    manual_above_minutes: Mapped[int | None] = mapped_column(default=None)
    cancellation_deadline_hours: Mapped[int] = mapped_column(
        default=int(DEFAULTS.cancellation_deadline.total_seconds() // 3600))
    late_cancellation: Mapped[LateCancellation] = mapped_column(str_enum(LateCancellation), default=LateCancellation.refuse)

    facility: Mapped[Facility] = relationship(back_populates="rules")


class FacilityTerms(Translatable, db.Model):
    """A version of the terms of use a booker accepts. New text makes a new version."""

    __tablename__ = "facility_terms"
    TRANSLATABLE = ("text",)
    __table_args__ = (UniqueConstraint("facility_id", "version", name="uq_facility_terms_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship(back_populates="terms")


class BookingQuestion(Translatable, db.Model):
    """An extra question the booking form asks, e.g. 'Will you serve food?'."""

    __tablename__ = "booking_question"
    # `choices` translates as text, one answer a line in the order of `choices` (the answer
    # kept is always the content language's, so it means the same in every language).
    TRANSLATABLE = ("label", "choices")

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind), default=QuestionKind.text)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    facility: Mapped[Facility] = relationship(back_populates="questions")

    def choice_labels(self, language: str | None = None) -> list[str]:
        """The answers to choose from as shown in `language` (default: the reader's), in the
        order of `choices`; the content language's where there is no full translation."""
        written = ((self.translations or {}).get(language or current_language()) or {}).get("choices") or ""
        lines = [line.strip() for line in written.splitlines() if line.strip()]
        return lines if len(lines) == len(self.choices or []) else list(self.choices or [])
