"""JSON routes for prices: a facility's tariffs (managers), quotes (anyone), invoices.

A quote answers the same as the booking flow: the list price for anyone (with the
actor-type rules, so a visitor sees what each kind of organisation pays), an organisation's
own price for its members. Amounts are integer cents (EUR); percentages and VAT rates are
decimal strings.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from flask import current_app
from pydantic import AfterValidator, BaseModel, Field, model_validator
from sqlalchemy.orm import selectinload

from booking.accounts.models import Organisation
from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, page_of
from booking.api.types import Day, Id, Instant, Text
from booking.content import LANGUAGES
from booking.errors import NotFound, PermissionDenied
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.rules import can_view_facility
from booking.pricing import invoicing, services
from booking.pricing.forms import minute_of, time_of
from booking.pricing.models import Invoice, Tariff
from booking.pricing.quote import MAX_QUOTE_DAYS, Quote
from booking.pricing.rules import can_manage_tariffs, can_quote_for, can_view_invoice, can_view_invoices
from booking.pricing.services import TariffInput
from booking.pricing.terms import (ACTOR_TYPES, FIRST_VALID_FROM, LAST_VALID_FROM, MAX_BANDS, MAX_CENTS, UNITS,
                                   ActorRule, Band, TariffTerms)
from booking.unit_of_work import unit_of_work

Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
Percentage = Annotated[Decimal, Field(max_digits=6, decimal_places=3, ge=-100, le=500)]
# A rate as the database keeps it (two decimals), whether or not it was read back yet.
Rate = Annotated[Decimal, AfterValidator(lambda value: value.quantize(Decimal("0.01")))]
Unit = Literal[UNITS]  # type: ignore[valid-type]
ActorTypeName = Literal[ACTOR_TYPES]  # type: ignore[valid-type]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]


class TariffTexts(BaseModel):
    """A tariff's name in one language (empty: not written in it)."""
    name: Text = Field("", max_length=200)
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", description="local time, 17:00")]


class BandIn(BaseModel):
    label: Text = Field(max_length=80)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(max_length=7, description="Monday = 0; at least one")
    start: HHMM = Field(description="local time; before `end`")
    end: HHMM = Field(description="local time; after `start` (24:00: midnight). Bands of a tariff may not overlap")
    percent: Percentage = Field(description="+20 makes the band dearer, −30 cheaper")


class RuleIn(BaseModel):
    actor_type: ActorTypeName
    kind: Literal["percent", "fixed", "free"]
    percent: Percentage | None = Field(None, description="required with kind=percent: the discount")
    fixed_cents: Cents | None = Field(None, description="required with kind=fixed: the price per unit")


class TariffIn(BaseModel):
    """A tariff from `valid_from` on. PUT it again to change it: a tariff that has priced
    reservations is kept and the change becomes a new version with the same valid_from."""
    valid_from: Day
    name: Text = Field(max_length=200)
    unit: Unit
    base_price_cents: Cents
    prices_include_vat: bool
    vat_rate: Annotated[Decimal, Field(max_digits=5, decimal_places=2, ge=0, le=100)] | None = Field(
        None, description="percent; the configured default (25.5) when left out")
    min_charge_cents: Cents = 0
    deposit_cents: Cents = 0
    long_booking_min_days: Annotated[int, Field(ge=1, le=366)] | None = Field(
        None, description="with `long_booking_percent` (both or neither): bookings this many days or longer")
    long_booking_percent: Percentage | None = Field(None, description="the long-booking discount")
    underused_threshold: Annotated[Decimal, Field(max_digits=4, decimal_places=3, ge=0, le=1)] | None = Field(
        None, description="with `underused_percent` (both or neither): share of recent utilisation, above 0 and "
                          "at most 1, below which the underused discount applies")
    underused_percent: Percentage | None = Field(None, description="the underused discount")
    late_fee_percent: Percentage | None = Field(None, description="late-cancellation fee: this or `late_fee_cents`, "
                                                                  "not both")
    late_fee_cents: Cents | None = None
    invoice_each_reservation: bool = False
    bands: list[BandIn] = Field(default_factory=list, max_length=MAX_BANDS)
    rules: list[RuleIn] = Field(default_factory=list, max_length=len(ACTOR_TYPES))
    translations: dict[Language, TariffTexts] = Field(default_factory=dict, description=(
        "the name in the other languages, by language code; `name` is the city's content language's, "
        "and a language left out or empty has none (readers get the content language's)"))

    def tariff_input(self) -> TariffInput:
        rate = self.vat_rate if self.vat_rate is not None else current_app.config["VAT_RATE_DEFAULT"]
        terms = TariffTerms(
            unit=self.unit, base_price_cents=self.base_price_cents, vat_rate=Decimal(rate),
            prices_include_vat=self.prices_include_vat, min_charge_cents=self.min_charge_cents,
            deposit_cents=self.deposit_cents,
            bands=tuple(Band(b.label, frozenset(b.weekdays), minute_of(b.start), minute_of(b.end), b.percent)
                        for b in self.bands),
            rules={r.actor_type: ActorRule(r.kind, r.percent, r.fixed_cents) for r in self.rules},
            long_booking_min_days=self.long_booking_min_days, long_booking_percent=self.long_booking_percent,
            underused_threshold=self.underused_threshold, underused_percent=self.underused_percent,
            late_fee_percent=self.late_fee_percent, late_fee_cents=self.late_fee_cents)
        return TariffInput(self.name, self.valid_from, terms, self.invoice_each_reservation,
                           translations={language: texts.model_dump() for language, texts in self.translations.items()})


class BandOut(BaseModel):
    label: str
    weekdays: list[int]
    start: str
    end: str
    percent: Rate


class RuleOut(BaseModel):
    actor_type: str
    kind: str
    percent: Rate | None
    fixed_cents: int | None


class TariffOut(BaseModel):
    id: int
    facility_id: int
    valid_from: date
    version: int
    name: str
    unit: str
    base_price_cents: int
    prices_include_vat: bool
    vat_rate: Rate
    min_charge_cents: int
    deposit_cents: int
    long_booking_min_days: int | None
    long_booking_percent: Rate | None
    underused_threshold: Annotated[Decimal, AfterValidator(lambda value: value.quantize(Decimal("0.001")))] | None
    underused_percent: Rate | None
    late_fee_percent: Rate | None
    late_fee_cents: int | None
    invoice_each_reservation: bool
    locked: bool = Field(description="has priced reservations: a change makes a new version")
    superseded: bool = Field(description="replaced by a newer version; prices nothing new")
    bands: list[BandOut]
    rules: list[RuleOut]
    untranslated: list[str] = Field(description=(
        "the texts given in the city's content language because they have no translation into the "
        "response's language (Content-Language)"))
    translations: dict[str, TariffTexts] = Field(description=(
        "every language's texts, by language code (en, fi, sv); `name` is in the response's language"))


def _rules_out(tariff: Tariff) -> list[RuleOut]:
    return [RuleOut(actor_type=r.actor_type.value, kind=r.kind.value, percent=r.percent, fixed_cents=r.fixed_cents)
            for r in tariff.rules]


def tariff_out(tariff: Tariff) -> TariffOut:
    name = tariff.translated("name")
    return TariffOut(
        id=tariff.id, facility_id=tariff.facility_id, valid_from=tariff.valid_from, version=tariff.version,
        name=name.text, unit=tariff.unit.value, base_price_cents=tariff.base_price_cents,
        prices_include_vat=tariff.prices_include_vat, vat_rate=tariff.vat_rate,
        min_charge_cents=tariff.min_charge_cents, deposit_cents=tariff.deposit_cents,
        long_booking_min_days=tariff.long_booking_min_days, long_booking_percent=tariff.long_booking_percent,
        underused_threshold=tariff.underused_threshold, underused_percent=tariff.underused_percent,
        late_fee_percent=tariff.late_fee_percent, late_fee_cents=tariff.late_fee_cents,
        invoice_each_reservation=tariff.invoice_each_reservation, locked=tariff.locked_dt is not None,
        superseded=tariff.superseded_dt is not None,
        bands=[BandOut(label=b.label, weekdays=list(b.weekdays), start=time_of(b.start_minute),
                       end=time_of(b.end_minute), percent=b.percent) for b in tariff.bands],
        rules=_rules_out(tariff), untranslated=["name"] if name.missing else [],
        translations={language: TariffTexts(name=text) for language, text in tariff.texts("name").items()})


class QuoteQuery(BaseModel):
    start: Instant = Field(description="ISO 8601 with offset; before `end`")
    end: Instant = Field(description=(f"after `start`, at most {MAX_QUOTE_DAYS} days later, both between "
                                      f"{FIRST_VALID_FROM} and {LAST_VALID_FROM}"))
    organisation_id: Id | None = Field(None,
                                        description="your organisation: its own price (members only)")

    @model_validator(mode="after")
    def _window(self):
        if not (FIRST_VALID_FROM <= self.start.date() and self.end.date() <= LAST_VALID_FROM):
            raise ValueError(f"start and end: between {FIRST_VALID_FROM} and {LAST_VALID_FROM}")
        if self.end <= self.start:
            raise ValueError("the end must be after the start")
        if self.end - self.start > timedelta(days=MAX_QUOTE_DAYS):
            raise ValueError(f"at most {MAX_QUOTE_DAYS} days")
        return self


class QuoteLineOut(BaseModel):
    kind: str = Field(description="unit, discount, minimum, adjustment, vat or deposit")
    code: str = Field(description="the unit, or what the discount is: actor_type, free, long_booking, underused")
    amount_cents: int = Field(description="signed; in the tariff's basis (with VAT if its prices include VAT)")
    quantity: Decimal | None = None
    unit_price_cents: Decimal | None = None
    percent: Decimal | None = None
    band: str | None = None
    included: bool = Field(False, description="a VAT line already included in the prices")


class QuoteOut(BaseModel):
    facility_id: int
    start: datetime
    end: datetime
    timezone: str
    priced: bool = Field(description="false when the facility has no tariff then (no price)")
    tariff_id: int | None = None
    organisation_id: int | None = None
    actor_type: str | None = Field(None, description="whose price this is (null: the list price)")
    currency: str = "EUR"
    prices_include_vat: bool | None = None
    vat_rate: Decimal | None = None
    lines: list[QuoteLineOut] = Field(default_factory=list)
    net_cents: int = 0
    vat_cents: int = 0
    gross_cents: int = 0
    undiscounted_gross_cents: int = 0
    subsidy_cents: int = 0
    deposit_cents: int = 0
    rules: list[RuleOut] = Field(default_factory=list, description="what each actor type pays under this tariff")


def quote_out(found: Quote) -> dict:
    """A quote's lines and totals (also what a reservation's `price` should carry)."""
    return {"lines": [QuoteLineOut(**line.__dict__) for line in found.lines], "net_cents": found.net_cents,
            "vat_cents": found.vat_cents, "gross_cents": found.gross_cents,
            "undiscounted_gross_cents": found.undiscounted_gross_cents, "subsidy_cents": found.subsidy_cents,
            "deposit_cents": found.deposit_cents, "prices_include_vat": found.prices_include_vat,
            "vat_rate": found.vat_rate, "actor_type": found.actor_type}


class PriceOut(BaseModel):
    """The price a reservation keeps (its snapshot): for the reservations API's `price`."""
    snapshot_id: int
    tariff_id: int
    actor_type: str
    currency: str
    prices_include_vat: bool
    vat_rate: Rate
    lines: list[QuoteLineOut]
    net_cents: int
    vat_cents: int
    gross_cents: int
    undiscounted_gross_cents: int
    subsidy_cents: int
    deposit_cents: int
    billing_status: str = Field(description="not_billable_yet, billable, invoiced or void")
    billable_cents: int = Field(description="what is owed: the price, after a late cancellation the fee, 0 if void")
    late_fee_cents: int | None
    free_of_charge_reason: str | None
    invoice_id: int | None


def price_out(snapshot) -> PriceOut:
    found = services.quote_of(snapshot)
    return PriceOut(snapshot_id=snapshot.id, tariff_id=snapshot.tariff_id, currency=snapshot.currency,
                    billing_status=snapshot.billing_status.value, billable_cents=snapshot.billable_cents,
                    late_fee_cents=snapshot.late_fee_cents, free_of_charge_reason=snapshot.free_of_charge_reason,
                    invoice_id=snapshot.invoice_id, **{**quote_out(found), "subsidy_cents": snapshot.subsidy_cents,
                                                       "actor_type": snapshot.actor_type.value})


def _facility(facility_id: int) -> Facility:
    facility = db.session.get(Facility, facility_id)
    if facility is None or not can_view_facility(api_user(), facility):
        raise NotFound("No published facility has this id.")
    return facility


def _managed(facility_id: int) -> Facility:
    facility = _facility(facility_id)
    if not can_manage_tariffs(api_user(), facility):
        raise PermissionDenied("Only the facility's managers keep its tariffs.")
    return facility


@route("/facilities/<int:facility_id>/tariffs", summary="A facility's tariffs, every version", tag="pricing",
       response=list[TariffOut], errors=(403, 404))
def list_tariffs(facility_id: int):
    """Newest first. For the facility's managers (and admins)."""
    return [tariff_out(t) for t in services.tariff_versions(_managed(facility_id))]


@route("/facilities/<int:facility_id>/tariffs", "PUT", scope="manage", summary="Set the tariff valid from a date", tag="pricing",
       body=TariffIn, response=TariffOut, errors=(403, 404, 409))
def put_tariff(facility_id: int, body: TariffIn):
    """Creates the tariff starting on `valid_from`, or changes the one that starts then (a
    tariff that has priced reservations gets a new version instead). Idempotent: the same
    body twice changes nothing. 422 lists every reason a tariff is refused."""
    facility = _managed(facility_id)
    with unit_of_work():
        tariff, _changed = services.save_tariff(facility, body.tariff_input(), actor=api_user())
    return tariff_out(tariff)


@route("/facilities/<int:facility_id>/quote", summary="The itemised price of a booking", tag="pricing",
       auth="optional", query=QuoteQuery, response=QuoteOut, errors=(404,))
def facility_quote(facility_id: int, query: QuoteQuery):
    """The price the booking flow would show: the list price, or with `organisation_id` that
    organisation's price (its members and staff only). Lists the tariff's actor-type rules."""
    facility = _facility(facility_id)
    organisation = None
    if query.organisation_id is not None:
        organisation = db.session.get(Organisation, query.organisation_id)
        if organisation is None or not can_quote_for(api_user(), query.organisation_id):
            # Another organisation's price answers as a missing one: its existence is not revealed.
            raise NotFound("You are not a member of an organisation with this id.")
    zone = ZoneInfo(facility.timezone)
    base = {"facility_id": facility.id, "start": query.start.astimezone(zone), "end": query.end.astimezone(zone),
            "timezone": facility.timezone, "organisation_id": query.organisation_id}
    tariff = services.tariff_at(facility, query.start)
    if tariff is None:
        return QuoteOut(priced=False, **base)
    found = services.quote_for(facility, organisation, query.start, query.end, tariff=tariff)
    return QuoteOut(priced=True, tariff_id=tariff.id, rules=_rules_out(tariff), **base, **quote_out(found))


class VatRateOut(BaseModel):
    rate: str
    net_cents: int
    vat_cents: int
    gross_cents: int


class InvoiceLineOut(BaseModel):
    snapshot_id: int
    charge: str = Field(description="price or late_fee")
    facility_name: str
    description: str
    start: datetime
    end: datetime
    vat_rate: Rate
    net_cents: int
    vat_cents: int
    gross_cents: int
    subsidy_cents: int


class InvoiceOut(BaseModel):
    id: int
    number: int
    kind: str = Field(description="invoice or credit_note (a credit note's amounts are owed back)")
    credits_number: int | None
    organisation_id: int
    buyer_name: str
    buyer_business_id: str | None
    issued_date: date
    due_date: date
    period_start: date
    period_end: date
    reference: str
    rf_reference: str
    currency: str
    net_cents: int
    vat_cents: int
    gross_cents: int
    vat_breakdown: list[VatRateOut]
    lines: list[InvoiceLineOut]


def invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(
        id=invoice.id, number=invoice.number, kind=invoice.kind.value,
        credits_number=invoice.credits.number if invoice.credits else None, organisation_id=invoice.organisation_id,
        buyer_name=invoice.buyer_name, buyer_business_id=invoice.buyer_business_id, issued_date=invoice.issued_date,
        due_date=invoice.due_date, period_start=invoice.period_start, period_end=invoice.period_end,
        reference=invoice.reference, rf_reference=invoice.rf_reference, currency=invoice.currency,
        net_cents=invoice.net_cents, vat_cents=invoice.vat_cents, gross_cents=invoice.gross_cents,
        vat_breakdown=[VatRateOut(**rate) for rate in invoice.vat_breakdown],
        lines=[InvoiceLineOut(snapshot_id=line.snapshot_id, charge=line.charge.value,
                              facility_name=line.facility_name, description=line.description,
                              start=line.start_dt.astimezone(ZoneInfo(line.timezone)),
                              end=line.end_dt.astimezone(ZoneInfo(line.timezone)), vat_rate=line.vat_rate,
                              net_cents=line.net_cents, vat_cents=line.vat_cents, gross_cents=line.gross_cents,
                              subsidy_cents=line.subsidy_cents) for line in invoice.lines])


class InvoiceQuery(PageQuery):
    organisation_id: Id | None = Field(None, description="only this organisation's")


@route("/invoices", summary="Invoices and credit notes you may see", tag="pricing", query=InvoiceQuery,
       response=Page[InvoiceOut], errors=(403,))
def list_invoices(query: InvoiceQuery):
    """Your organisations' invoices (admins: every one), newest first."""
    user = api_user()
    if not can_view_invoices(user):
        raise PermissionDenied("Invoices are for organisations' members and admins.")
    stmt = invoicing.visible_invoices(user, organisation_id=query.organisation_id).options(selectinload(Invoice.lines))
    return page_of(stmt, query, invoice_out)


@route("/invoices/<int:invoice_id>", summary="One invoice or credit note", tag="pricing", response=InvoiceOut,
       errors=(404,))
def get_invoice(invoice_id: int):
    invoice = db.session.get(Invoice, invoice_id)
    # Another organisation's invoice is not found, rather than forbidden: its number is private too.
    if invoice is None or not can_view_invoice(api_user(), invoice):
        raise NotFound("No invoice of yours has this id.")
    return invoice_out(invoice)
