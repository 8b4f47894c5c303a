"""Tariffs, the price a reservation keeps (PriceSnapshot), and invoices.

Money is integer cents (EUR) and percentages are Decimal; both databases refuse a negative
amount through named CHECK constraints, and every link is a named foreign key. A tariff that
has priced a reservation is locked (`locked_dt`) and never edited again: a change makes a
new version with the same `valid_from` that replaces it for later quotes.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import ActorType, Organisation, User
from booking.content import Translatable
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db
from booking.facilities.models import Facility


class TariffUnit(enum.Enum):
    per_30_min = "per_30_min"
    per_hour = "per_hour"
    per_half_day = "per_half_day"
    per_day = "per_day"
    per_week = "per_week"
    per_booking = "per_booking"


class RuleKind(enum.Enum):
    percent = "percent"   # a percentage off the list price
    fixed = "fixed"       # this price per unit, whatever the band, no other discount
    free = "free"


class BillingStatus(enum.Enum):
    not_billable_yet = "not_billable_yet"  # quoted for a request or hold, not confirmed
    billable = "billable"                  # owed: confirmed, or cancelled late with a fee
    invoiced = "invoiced"
    void = "void"                          # nothing owed (rejected, cancelled in time, replaced)


class InvoiceKind(enum.Enum):
    invoice = "invoice"
    credit_note = "credit_note"


class ChargeKind(enum.Enum):
    price = "price"          # the reservation's price
    late_fee = "late_fee"    # the fee for cancelling after the deadline


# A percentage column: 0.00–999.99 (a band may add more than 100 %).
Percent = Numeric(5, 2)


class Tariff(Translatable, db.Model):
    __tablename__ = "tariff"
    # The name the city writes in every language (booking.content); the terms have no words.
    TRANSLATABLE = ("name",)
    __table_args__ = (
        CheckConstraint("base_price_cents >= 0", name="base_price_not_negative"),
        CheckConstraint("min_charge_cents >= 0", name="min_charge_not_negative"),
        CheckConstraint("deposit_cents >= 0", name="deposit_not_negative"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
        CheckConstraint("(long_booking_min_days IS NULL) = (long_booking_percent IS NULL)",
                        name="long_booking_complete"),
        CheckConstraint("long_booking_min_days IS NULL OR long_booking_min_days >= 1", name="long_booking_days_positive"),
        CheckConstraint("long_booking_percent IS NULL OR (long_booking_percent > 0 AND long_booking_percent <= 100)",
                        name="long_booking_percent_range"),
        CheckConstraint("(underused_threshold IS NULL) = (underused_percent IS NULL)", name="underused_complete"),
        CheckConstraint("underused_threshold IS NULL OR (underused_threshold > 0 AND underused_threshold <= 1)",
                        name="underused_threshold_range"),
        CheckConstraint("underused_percent IS NULL OR (underused_percent > 0 AND underused_percent <= 100)",
                        name="underused_percent_range"),
        CheckConstraint("late_fee_percent IS NULL OR late_fee_cents IS NULL", name="one_late_fee"),
        CheckConstraint("late_fee_percent IS NULL OR (late_fee_percent > 0 AND late_fee_percent <= 100)",
                        name="late_fee_percent_range"),
        CheckConstraint("late_fee_cents IS NULL OR late_fee_cents >= 0", name="late_fee_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("facility_id", "valid_from", "version", name="uq_tariff_facility_valid_version"),
        Index("ix_tariff_facility_valid", "facility_id", "valid_from"),
        # One version in force per first day, whoever saves at the same moment.
        Index("uq_tariff_current_version", "facility_id", "valid_from", unique=True,
              sqlite_where=text("superseded_dt IS NULL"), postgresql_where=text("superseded_dt IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="RESTRICT"))
    valid_from: Mapped[date] = mapped_column(Date)
    # 1, 2, … for the versions sharing a valid_from; only the newest one prices anything.
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[TariffUnit] = mapped_column(str_enum(TariffUnit))
    base_price_cents: Mapped[int]
    prices_include_vat: Mapped[bool] = mapped_column(Boolean, default=True)
    vat_rate: Mapped[Decimal] = mapped_column(Percent)
    min_charge_cents: Mapped[int] = mapped_column(default=0)
    deposit_cents: Mapped[int] = mapped_column(default=0)
    long_booking_min_days: Mapped[int | None]
    long_booking_percent: Mapped[Decimal | None] = mapped_column(Percent)
    underused_threshold: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    underused_percent: Mapped[Decimal | None] = mapped_column(Percent)
    late_fee_percent: Mapped[Decimal | None] = mapped_column(Percent)
    late_fee_cents: Mapped[int | None]
    # Invoice each reservation on its own instead of once a month per organisation.
    invoice_each_reservation: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a snapshot first used this tariff; from then on it is never changed in place.
    locked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a newer version with the same valid_from replaced it.
    superseded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    facility: Mapped[Facility] = relationship()
    updated_by: Mapped[User | None] = relationship()
    bands: Mapped[list[TariffBand]] = relationship(back_populates="tariff", cascade="all, delete-orphan",
                                                   order_by="(TariffBand.start_minute, TariffBand.id)")
    rules: Mapped[list[ActorTypeRule]] = relationship(back_populates="tariff", cascade="all, delete-orphan",
                                                      order_by="ActorTypeRule.actor_type")

    @hybrid_property
    def is_locked(self) -> bool:
        return self.locked_dt is not None

    @hybrid_property
    def is_current_version(self) -> bool:
        return self.superseded_dt is None

    @property
    def department_id(self) -> int:
        return self.facility.department_id

    def __str__(self):
        return self.name


class TariffBand(db.Model):
    """A time band: on these weekdays between these local times the price changes by `percent`
    (+20 for evenings, −30 for weekday mornings). Minutes after local midnight, end exclusive."""

    __tablename__ = "tariff_band"
    __table_args__ = (
        CheckConstraint("start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
                        name="valid_minutes"),
        CheckConstraint("percent >= -100 AND percent <= 500", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariff.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    weekdays: Mapped[list[int]] = mapped_column(JSON)  # Monday = 0
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))

    tariff: Mapped[Tariff] = relationship(back_populates="bands")


class ActorTypeRule(db.Model):
    """What one actor type pays: a percentage off, a fixed price per unit, or nothing."""

    __tablename__ = "actor_type_rule"
    __table_args__ = (
        UniqueConstraint("tariff_id", "actor_type", name="uq_actor_type_rule_tariff_actor"),
        CheckConstraint("(kind = 'percent' AND percent IS NOT NULL AND percent > 0 AND percent <= 100 "
                        "AND fixed_cents IS NULL) OR "
                        "(kind = 'fixed' AND fixed_cents IS NOT NULL AND fixed_cents >= 0 AND percent IS NULL) OR "
                        "(kind = 'free' AND percent IS NULL AND fixed_cents IS NULL)", name="value_matches_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariff.id", ondelete="CASCADE"))
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType))
    kind: Mapped[RuleKind] = mapped_column(str_enum(RuleKind))
    percent: Mapped[Decimal | None] = mapped_column(Percent)
    fixed_cents: Mapped[int | None]

    tariff: Mapped[Tariff] = relationship(back_populates="rules")


class PriceSnapshot(db.Model):
    """The price a reservation keeps: lines and totals as quoted, and what is owed.

    The reservations domain holds `price_snapshot_id`; a later tariff change never alters
    a snapshot. `billable_cents` is what is owed (gross, VAT included): the price, after a
    late cancellation the fee, 0 when void. `subsidy_cents` is what the city gave: the list
    value minus the price, 0 for a fee or a void snapshot.
    """

    __tablename__ = "price_snapshot"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="valid_dates"),
        CheckConstraint("net_cents >= 0 AND vat_cents >= 0 AND gross_cents >= 0 AND undiscounted_gross_cents >= 0 "
                        "AND deposit_cents >= 0 AND billable_cents >= 0 AND subsidy_cents >= 0",
                        name="amounts_not_negative"),
        CheckConstraint("gross_cents = net_cents + vat_cents", name="gross_is_net_plus_vat"),
        CheckConstraint("late_fee_cents IS NULL OR late_fee_cents >= 0", name="late_fee_not_negative"),
        CheckConstraint("(billing_status = 'invoiced') = (invoice_id IS NOT NULL)", name="invoiced_has_invoice"),
        CheckConstraint("billing_status != 'void' OR billable_cents = 0", name="void_owes_nothing"),
        CheckConstraint("(charge = 'late_fee') = (late_fee_cents IS NOT NULL)", name="late_fee_matches_charge"),
        CheckConstraint("currency = 'EUR'", name="currency_eur"),
        Index("ix_price_snapshot_billing", "billing_status", "start_dt"),
        Index("ix_price_snapshot_organisation_start", "organisation_id", "start_dt"),
        Index("ix_price_snapshot_facility_start", "facility_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="RESTRICT"))
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariff.id", ondelete="RESTRICT"), index=True)
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType))
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(String(300), default="")
    # The quote's itemised lines (booking.pricing.quote.QuoteLine.to_json), kept as quoted.
    lines: Mapped[list[dict]] = mapped_column(JSON)
    prices_include_vat: Mapped[bool] = mapped_column(Boolean)
    vat_rate: Mapped[Decimal] = mapped_column(Percent)
    net_cents: Mapped[int]
    vat_cents: Mapped[int]
    gross_cents: Mapped[int]
    undiscounted_gross_cents: Mapped[int]
    deposit_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    charge: Mapped[ChargeKind] = mapped_column(str_enum(ChargeKind), default=ChargeKind.price)
    late_fee_cents: Mapped[int | None]
    billing_status: Mapped[BillingStatus] = mapped_column(str_enum(BillingStatus),
                                                          default=BillingStatus.not_billable_yet)
    billable_cents: Mapped[int] = mapped_column(default=0)
    subsidy_cents: Mapped[int] = mapped_column(default=0)
    # Why the organisation asked for free use; the decided price is in the totals.
    free_of_charge_reason: Mapped[str | None] = mapped_column(Text)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    facility: Mapped[Facility] = relationship()
    tariff: Mapped[Tariff] = relationship()
    invoice: Mapped[Invoice | None] = relationship(foreign_keys=[invoice_id])

    @property
    def department_id(self) -> int:
        return self.facility.department_id

    @property
    def is_free(self) -> bool:
        return self.gross_cents == 0


def _totals_checks() -> tuple[CheckConstraint, CheckConstraint]:
    """An invoice's and an invoice line's totals: never negative, gross = net + VAT."""
    return (CheckConstraint("net_cents >= 0 AND vat_cents >= 0 AND gross_cents >= 0", name="amounts_not_negative"),
            CheckConstraint("gross_cents = net_cents + vat_cents", name="gross_is_net_plus_vat"))


class Invoice(db.Model):
    """An issued invoice or credit note: never edited; a correction is a credit note.

    Buyer and seller are copied at issue. Amounts are positive on both kinds; a credit
    note's amounts are owed back (the CSV export shows them negative).
    """

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("number > 0", name="number_positive"),
        *_totals_checks(),
        CheckConstraint("due_date >= issued_date", name="due_after_issue"),
        CheckConstraint("period_end >= period_start", name="valid_period"),
        CheckConstraint("(kind = 'credit_note') = (credits_invoice_id IS NOT NULL)", name="credit_note_credits"),
        CheckConstraint("currency = 'EUR'", name="currency_eur"),
        UniqueConstraint("number", name="uq_invoice_number"),
        UniqueConstraint("credits_invoice_id", name="uq_invoice_credits_invoice_id"),
        Index("ix_invoice_organisation_issued", "organisation_id", "issued_date"),
        Index("ix_invoice_issued", "issued_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind), default=InvoiceKind.invoice)
    # NO ACTION, not RESTRICT: SQLite checks RESTRICT row by row, so emptying the table in a
    # test would trip over a credit note; invoices are never deleted in the app either way.
    credits_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    credit_reason: Mapped[str | None] = mapped_column(Text)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    issued_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # the period's last day
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_business_id: Mapped[str | None] = mapped_column(String(9))
    buyer_address: Mapped[str] = mapped_column(Text, default="")
    seller_name: Mapped[str] = mapped_column(String(200))
    seller_business_id: Mapped[str] = mapped_column(String(20), default="")
    seller_address: Mapped[str] = mapped_column(Text, default="")
    seller_iban: Mapped[str] = mapped_column(String(40), default="")
    # The Finnish reference number (digits with its check digit) and the RF creditor reference.
    reference: Mapped[str] = mapped_column(String(20))
    rf_reference: Mapped[str] = mapped_column(String(25))
    net_cents: Mapped[int]
    vat_cents: Mapped[int]
    gross_cents: Mapped[int]
    # [{"rate": "25.50", "net_cents": …, "vat_cents": …, "gross_cents": …}, …] by rate.
    vat_breakdown: Mapped[list[dict]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", cascade="all, delete-orphan",
                                                    order_by="InvoiceLine.position")
    credits: Mapped[Invoice | None] = relationship(remote_side=[id], foreign_keys=[credits_invoice_id],
                                                   back_populates="credit_note")
    credit_note: Mapped[Invoice | None] = relationship(back_populates="credits", uselist=False,
                                                       foreign_keys=[credits_invoice_id])

    @hybrid_property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.credit_note

    @property
    def sign(self) -> int:
        """+1 for an invoice, −1 for a credit note (what the finance system books)."""
        return -1 if self.kind == InvoiceKind.credit_note else 1


class InvoiceLine(db.Model):
    """One reservation's charge on an invoice, copied from its snapshot at issue."""

    __tablename__ = "invoice_line"
    __table_args__ = (
        *_totals_checks(),
        UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int]
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("price_snapshot.id", ondelete="RESTRICT"), index=True)
    charge: Mapped[ChargeKind] = mapped_column(str_enum(ChargeKind))
    facility_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300), default="")
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    vat_rate: Mapped[Decimal] = mapped_column(Percent)
    net_cents: Mapped[int]
    vat_cents: Mapped[int]
    gross_cents: Mapped[int]
    subsidy_cents: Mapped[int] = mapped_column(default=0)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    snapshot: Mapped[PriceSnapshot] = relationship()


class InvoiceCounter(db.Model):
    """The next invoice number: one row, advanced by a conditional UPDATE in the issuing
    transaction, so numbers never repeat and never leave a gap (a rollback returns it)."""

    __tablename__ = "invoice_counter"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),
                      CheckConstraint("next_number > 0", name="next_number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    next_number: Mapped[int]
