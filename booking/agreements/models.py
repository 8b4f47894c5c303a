"""Pilot agreements and the city's challenges: tables, named constraints and state enums.

A PilotAgreement is proposed by a lead organisation (with partner organisations), reviewed
and decided by its host department, accepted on record by every party (Acceptance: who,
for which organisation, when, from where, which template version, the SHA-256 of the exact
document), and then its blocks (AgreementBlock) are booked as ordinary reservations. The
link is kept here, above reservations: the reservation table knows nothing of agreements.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import Department, Organisation, User
from booking.content import Translatable
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db
from booking.facilities.models import Facility
from booking.reservations.models import Reservation


class AgreementStatus(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    changes_requested = "changes_requested"
    approved = "approved"
    declined = "declined"          # not selected / refused, with the reason
    signed = "signed"
    active = "active"
    completed = "completed"
    terminated = "terminated"
    withdrawn = "withdrawn"


class Liability(enum.Enum):
    company = "company"            # the company answers for its equipment and activity
    shared = "shared"              # each party for its own part, as the addition says


class IPRights(enum.Enum):
    company = "company"            # IP stays with the company (the default of agile piloting)
    joint = "joint"                # results jointly owned, as the addition says


class Publicity(enum.Enum):
    open = "open"                  # results public, both may say they piloted together
    after_completion = "after_completion"
    by_consent = "by_consent"


class Recommendation(enum.Enum):
    approve = "approve"
    changes = "changes"
    decline = "decline"


challenge_facility = Table(
    "challenge_facility", db.metadata,
    Column("challenge_id", ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True),
)

agreement_partner = Table(
    "agreement_partner", db.metadata,
    Column("agreement_id", ForeignKey("pilot_agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True),
)


class AgreementTemplate(Translatable, db.Model):
    """Versioned terms with $placeholders. A version that was used is never edited: a change
    is a new version with the same name."""

    __tablename__ = "agreement_template"
    # Read in every language; the document the parties accept is rendered from `body`, the
    # content language's text, so every party signs the same text (booking.content).
    TRANSLATABLE = ("name", "body")
    __table_args__ = (UniqueConstraint("name", "version", name="name_version"),
                      CheckConstraint("version >= 1", name="version_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    body: Mapped[str] = mapped_column(Text)
    # The clause each structured option puts into the document: {"liability": {"company": "…"}, …}
    clauses: Mapped[dict] = mapped_column(JSON, default=dict)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    superseded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self):
        return f"{self.name} v{self.version}"


class Challenge(Translatable, db.Model):
    """A department's open call: the need, the sites offered, the period and the deadline."""

    __tablename__ = "challenge"
    TRANSLATABLE = ("title", "need", "offer")
    __table_args__ = (CheckConstraint("period_end_date >= period_start_date", name="valid_period"),
                      CheckConstraint("pilot_fee_cents IS NULL OR pilot_fee_cents >= 0", name="fee_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    need: Mapped[str] = mapped_column(Text)
    offer: Mapped[str] = mapped_column(Text, default="")      # space, data, contacts
    period_start_date: Mapped[date] = mapped_column(Date)
    period_end_date: Mapped[date] = mapped_column(Date)
    deadline_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # [{"name": "Impact on air quality", "weight": 40}, …] weights sum to 100.
    criteria: Mapped[list[dict]] = mapped_column(JSON, default=list)
    pilot_fee_cents: Mapped[int | None]
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship()
    facilities: Mapped[list[Facility]] = relationship(secondary=challenge_facility, order_by="Facility.name")
    proposals: Mapped[list[PilotAgreement]] = relationship(back_populates="challenge",
                                                           order_by="PilotAgreement.id")

    def is_open(self, now: datetime) -> bool:
        return now < self.deadline_dt

    def __str__(self):
        return self.title


class PilotAgreement(db.Model):
    __tablename__ = "pilot_agreement"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="valid_period"),
        CheckConstraint("pilot_fee_cents >= 0 AND fee_at_signing_cents >= 0 "
                        "AND fee_at_signing_cents <= pilot_fee_cents", name="fee_milestones"),
        CheckConstraint("insurance_coverage_cents IS NULL OR insurance_coverage_cents >= 0",
                        name="coverage_not_negative"),
        Index("ix_pilot_agreement_status_deadline", "status", "decision_deadline_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenge.id", ondelete="RESTRICT"), index=True)
    need: Mapped[str] = mapped_column(Text, default="")        # the need it answers, without a challenge
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    lead_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"),
                                                      index=True)
    host_department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    pilot_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_template.id", ondelete="RESTRICT"))
    status: Mapped[AgreementStatus] = mapped_column(str_enum(AgreementStatus), default=AgreementStatus.draft)

    kpis: Mapped[str] = mapped_column(Text, default="")
    data_collected: Mapped[str] = mapped_column(Text, default="")
    data_legal_basis: Mapped[str] = mapped_column(Text, default="")
    data_users: Mapped[str] = mapped_column(Text, default="")
    insurer: Mapped[str] = mapped_column(String(200), default="")
    insurance_policy: Mapped[str] = mapped_column(String(100), default="")
    insurance_coverage_cents: Mapped[int | None]
    insurance_expiry_date: Mapped[date | None] = mapped_column(Date)
    liability: Mapped[Liability] = mapped_column(str_enum(Liability), default=Liability.company)
    ip_rights: Mapped[IPRights] = mapped_column(str_enum(IPRights), default=IPRights.company)
    publicity: Mapped[Publicity] = mapped_column(str_enum(Publicity), default=Publicity.open)
    terms_addition: Mapped[str] = mapped_column(Text, default="")
    removal: Mapped[str] = mapped_column(Text, default="")      # removal and restoration of the site
    # When the city procures the pilot: the fee, part at signing, the rest when the report is accepted.
    pilot_fee_cents: Mapped[int] = mapped_column(default=0)
    fee_at_signing_cents: Mapped[int] = mapped_column(default=0)
    registry_consent: Mapped[bool] = mapped_column(Boolean, default=False)  # list it while active

    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_deadline_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")   # sent to the applicant
    lead_time_hours: Mapped[int | None]    # first submission → decision, for the portfolio
    signed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When each scheduled reminder went out (sent once): insurance expiring, pilot ending, site to restore.
    insurance_reminded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ending_reminded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restore_reminded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    challenge: Mapped[Challenge | None] = relationship(back_populates="proposals")
    lead_organisation: Mapped[Organisation] = relationship()
    partners: Mapped[list[Organisation]] = relationship(secondary=agreement_partner, order_by="Organisation.name")
    host_department: Mapped[Department] = relationship()
    pilot_manager: Mapped[User | None] = relationship(foreign_keys=[pilot_manager_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    template: Mapped[AgreementTemplate | None] = relationship()
    blocks: Mapped[list[AgreementBlock]] = relationship(back_populates="agreement", cascade="all, delete-orphan",
                                                        order_by="AgreementBlock.start_dt")
    acceptances: Mapped[list[Acceptance]] = relationship(back_populates="agreement", order_by="Acceptance.id")
    reviews: Mapped[list[Review]] = relationship(back_populates="agreement", order_by="Review.id")
    comments: Mapped[list[Comment]] = relationship(back_populates="agreement", order_by="Comment.id")
    report: Mapped[OutcomeReport | None] = relationship(back_populates="agreement")

    @property
    def organisations(self) -> list[Organisation]:
        """Every organisation party: the lead first, then the partners."""
        return [self.lead_organisation] + [p for p in self.partners if p.id != self.lead_organisation_id]

    @property
    def valid_acceptances(self) -> list[Acceptance]:
        return [a for a in self.acceptances if a.void_dt is None]

    @property
    def department_id(self) -> int | None:
        """The department whose managers see the agreement's audit events: the host, from the
        submission on (a draft is its organisations' alone; admins see every event)."""
        return None if self.status == AgreementStatus.draft else self.host_department_id

    def __str__(self):
        return self.title


class AgreementBlock(db.Model):
    """Time the pilot uses at a facility: booked as one reservation when the agreement is signed."""

    __tablename__ = "agreement_block"
    __table_args__ = (CheckConstraint("end_dt > start_dt", name="valid_dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("pilot_agreement.id", ondelete="CASCADE"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="RESTRICT"))
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id", ondelete="SET NULL"),
                                                       unique=True)

    agreement: Mapped[PilotAgreement] = relationship(back_populates="blocks")
    facility: Mapped[Facility] = relationship()
    reservation: Mapped[Reservation | None] = relationship()


class Acceptance(db.Model):
    """One party's acceptance of the exact document: void if the agreement changes afterwards."""

    __tablename__ = "agreement_acceptance"
    __table_args__ = (CheckConstraint("length(document_sha256) = 64", name="sha256_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("pilot_agreement.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The organisation the person accepted for; NULL: for the city (the host department).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    signer_name: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[int] = mapped_column(ForeignKey("agreement_template.id", ondelete="RESTRICT"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    accepted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    void_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agreement: Mapped[PilotAgreement] = relationship(back_populates="acceptances")
    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    template: Mapped[AgreementTemplate] = relationship()


class Review(db.Model):
    """A reviewer assigned from a department concerned; their recommendation and scores."""

    __tablename__ = "agreement_review"
    __table_args__ = (UniqueConstraint("agreement_id", "reviewer_id", name="one_per_reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("pilot_agreement.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    assigned_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recommendation: Mapped[Recommendation | None] = mapped_column(str_enum(Recommendation))
    # Scores 0–5 per challenge criterion, in the criteria's order.
    scores: Mapped[list[int]] = mapped_column(JSON, default=list)
    recommended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agreement: Mapped[PilotAgreement] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()


class Comment(db.Model):
    """The review thread on an agreement (reviewers, the department and the applicants)."""

    __tablename__ = "agreement_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("pilot_agreement.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement: Mapped[PilotAgreement] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class OutcomeReport(db.Model):
    __tablename__ = "outcome_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("pilot_agreement.id", ondelete="CASCADE"), unique=True)
    kpi_results: Mapped[str] = mapped_column(Text)
    worked: Mapped[str] = mapped_column(Text, default="")
    failed: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    scalable: Mapped[bool] = mapped_column(Boolean, default=False)
    stays: Mapped[bool] = mapped_column(Boolean, default=False)
    filed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    city_assessment: Mapped[str] = mapped_column(Text, default="")
    accepted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    agreement: Mapped[PilotAgreement] = relationship(back_populates="report")
