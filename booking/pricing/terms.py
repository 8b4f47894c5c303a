"""A tariff's terms as plain values, and the check of every rule a tariff must keep.

`TariffTerms` is what the quote reads: built from a Tariff row by `terms_of`, from a form or
an API body by the views. `problems(...)` lists every reason a tariff is not valid, as coded
messages per field; it touches no database and no request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from booking.errors import Message

UNITS = ("per_30_min", "per_hour", "per_half_day", "per_day", "per_week", "per_booking")
TIME_UNITS = {"per_30_min": 30, "per_hour": 60}  # minutes in one unit; charged pro rata
RULE_KINDS = ("percent", "fixed", "free")
ACTOR_TYPES = ("sme", "startup", "large_company", "third_sector", "research", "citizen_group", "public_body")
# Actor types the EU de minimis ceiling applies to (undertakings).
COMPANY_TYPES = ("sme", "startup", "large_company")

MAX_CENTS = 10_000_000_00   # €10 million: no single price is larger
MAX_BANDS = 20
MAX_LONG_BOOKING_DAYS = 366
FIRST_VALID_FROM = date(2000, 1, 1)
LAST_VALID_FROM = date(2099, 12, 31)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Band:
    """On `weekdays` (Monday = 0) from `start_minute` to `end_minute` after local midnight
    (end exclusive, 1440 = midnight) the unit price changes by `percent`."""
    label: str
    weekdays: frozenset[int]
    start_minute: int
    end_minute: int
    percent: Decimal

    def covers(self, weekday: int, minute: int) -> bool:
        return weekday in self.weekdays and self.start_minute <= minute < self.end_minute


@dataclass(frozen=True)
class ActorRule:
    kind: str                      # percent | fixed | free
    percent: Decimal | None = None
    fixed_cents: int | None = None


@dataclass(frozen=True)
class TariffTerms:
    unit: str
    base_price_cents: int
    vat_rate: Decimal = Decimal("25.5")
    prices_include_vat: bool = True
    min_charge_cents: int = 0
    deposit_cents: int = 0
    bands: tuple[Band, ...] = ()
    rules: dict[str, ActorRule] = field(default_factory=dict)
    long_booking_min_days: int | None = None
    long_booking_percent: Decimal | None = None
    underused_threshold: Decimal | None = None
    underused_percent: Decimal | None = None
    late_fee_percent: Decimal | None = None
    late_fee_cents: int | None = None


def _value(v):
    return getattr(v, "value", v)


def terms_of(tariff) -> TariffTerms:
    """The terms of a Tariff row (or anything with the same attributes)."""
    return TariffTerms(
        unit=_value(tariff.unit), base_price_cents=tariff.base_price_cents, vat_rate=Decimal(tariff.vat_rate),
        prices_include_vat=tariff.prices_include_vat, min_charge_cents=tariff.min_charge_cents or 0,
        deposit_cents=tariff.deposit_cents or 0,
        bands=tuple(Band(b.label, frozenset(b.weekdays), b.start_minute, b.end_minute, Decimal(b.percent))
                    for b in tariff.bands),
        rules={_value(r.actor_type): ActorRule(_value(r.kind), None if r.percent is None else Decimal(r.percent),
                                               r.fixed_cents) for r in tariff.rules},
        long_booking_min_days=tariff.long_booking_min_days,
        long_booking_percent=_decimal(tariff.long_booking_percent),
        underused_threshold=_decimal(tariff.underused_threshold),
        underused_percent=_decimal(tariff.underused_percent),
        late_fee_percent=_decimal(tariff.late_fee_percent), late_fee_cents=tariff.late_fee_cents)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


# --- validation ---------------------------------------------------------------------------

def _percent_ok(value, low=Decimal(0), high=HUNDRED) -> bool:
    return value is not None and low < value <= high


def problems(terms: TariffTerms, *, name: str, valid_from: date | None) -> dict[str, list[Message]]:
    """Every reason the tariff is not valid, by field (empty when it is)."""
    found: dict[str, list[Message]] = {}

    def add(key: str, code: str, **params) -> None:
        found.setdefault(key, []).append(Message(code, **params))

    if not name.strip():
        add("name", "pricing.name_required")
    elif len(name) > 200:
        add("name", "pricing.name_too_long", max=200)
    if valid_from is None:
        add("valid_from", "pricing.valid_from_required")
    elif not FIRST_VALID_FROM <= valid_from <= LAST_VALID_FROM:
        add("valid_from", "pricing.valid_from_range", first=FIRST_VALID_FROM, last=LAST_VALID_FROM)
    if terms.unit not in UNITS:
        add("unit", "pricing.unknown_unit", unit=terms.unit)
    for key in ("base_price_cents", "min_charge_cents", "deposit_cents"):
        value = getattr(terms, key)
        if value is None or not 0 <= value <= MAX_CENTS:
            add(key, "pricing.amount_range", max_cents=MAX_CENTS)
    if terms.vat_rate is None or not Decimal(0) <= terms.vat_rate <= HUNDRED:
        add("vat_rate", "pricing.vat_rate_range")

    if (terms.long_booking_min_days is None) != (terms.long_booking_percent is None):
        add("long_booking_percent", "pricing.long_booking_incomplete")
    elif terms.long_booking_min_days is not None:
        if not 1 <= terms.long_booking_min_days <= MAX_LONG_BOOKING_DAYS:
            add("long_booking_min_days", "pricing.long_booking_days_range", max=MAX_LONG_BOOKING_DAYS)
        if not _percent_ok(terms.long_booking_percent):
            add("long_booking_percent", "pricing.percent_range")
    if (terms.underused_threshold is None) != (terms.underused_percent is None):
        add("underused_percent", "pricing.underused_incomplete")
    elif terms.underused_threshold is not None:
        if not Decimal(0) < terms.underused_threshold <= Decimal(1):
            add("underused_threshold", "pricing.underused_threshold_range")
        if not _percent_ok(terms.underused_percent):
            add("underused_percent", "pricing.percent_range")
    if terms.late_fee_percent is not None and terms.late_fee_cents is not None:
        add("late_fee_percent", "pricing.one_late_fee")
    elif terms.late_fee_percent is not None and not _percent_ok(terms.late_fee_percent):
        add("late_fee_percent", "pricing.percent_range")
    elif terms.late_fee_cents is not None and not 0 <= terms.late_fee_cents <= MAX_CENTS:
        add("late_fee_cents", "pricing.amount_range", max_cents=MAX_CENTS)

    _band_problems(terms.bands, add)
    for actor_type, rule in terms.rules.items():
        _rule_problems(actor_type, rule, add)
    return found


def _band_problems(bands: tuple[Band, ...], add) -> None:
    if len(bands) > MAX_BANDS:
        add("bands", "pricing.too_many_bands", max=MAX_BANDS)
        return
    for number, band in enumerate(bands, start=1):
        if not band.label.strip() or len(band.label) > 80:
            add("bands", "pricing.band_label_required", number=number)
        if not band.weekdays or not band.weekdays <= set(range(7)):
            add("bands", "pricing.band_weekdays_required", number=number)
        if not 0 <= band.start_minute < band.end_minute <= 1440:
            add("bands", "pricing.band_times", number=number)
        if band.percent is None or not Decimal(-100) <= band.percent <= Decimal(500):
            add("bands", "pricing.band_percent_range", number=number)
    for i, first in enumerate(bands):
        for second in bands[i + 1:]:
            if (first.weekdays & second.weekdays and first.start_minute < second.end_minute
                    and second.start_minute < first.end_minute):
                add("bands", "pricing.bands_overlap", first=first.label, second=second.label)


def _rule_problems(actor_type: str, rule: ActorRule, add) -> None:
    if actor_type not in ACTOR_TYPES:
        add("rules", "pricing.unknown_actor_type", actor_type=actor_type)
        return
    named = Message(f"actor_type.{actor_type}")  # the actor type in words
    if rule.kind == "percent":
        if not _percent_ok(rule.percent):
            add("rules", "pricing.rule_percent_range", actor_type=named)
    elif rule.kind == "fixed":
        if rule.fixed_cents is None or not 0 <= rule.fixed_cents <= MAX_CENTS:
            add("rules", "pricing.rule_fixed_required", actor_type=named)
    elif rule.kind != "free":
        add("rules", "pricing.unknown_rule_kind", kind=rule.kind)
