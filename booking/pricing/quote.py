"""The price of a booking: one pure function, `quote`, from a tariff's terms and the facts.

No Flask, no database: plain values in, a `Quote` out, so every rule is tested by itself.

How a price is made (the README says the same):
1. Units are counted in the facility's local time. `per_30_min` and `per_hour` are charged
   pro rata by the real minutes booked, so a 23- or 25-hour DST day costs 23 or 25 hours;
   `per_half_day` counts the local half days (00–12, 12–24) the booking touches, `per_day`
   the local days, `per_week` started weeks of local days, `per_booking` one.
2. A time band (evenings +20 %, weekday mornings −30 %) changes the unit price of the minutes
   inside it; a day-like unit takes the band in force when the unit's booked time starts.
   One unit line per band (and one for the standard price), in the order they first occur.
3. Discounts are taken from each unit line in turn: the actor type's percentage (or free),
   then the long-booking discount, then the underused discount, each on what remains. A
   fixed price for an actor type replaces the unit price of every band and takes no further
   discount. Each discount is one line: the sum of what it took from every unit line.
4. A minimum charge tops a non-zero price up to the minimum (free stays free).
5. VAT: prices entered without VAT get rate × net added; prices entered with VAT include
   rate / (100 + rate) of the gross, shown as "of which VAT".

Rounding: an amount is rounded once, half up, to whole cents where it is computed from
non-whole values: each segment of the booking with one price (a stretch of time in one band
within one local day, or one counted unit), each discount taken from such a segment, and the
VAT of the quote. A line is a sum of whole cents, so lines add up exactly, and a booking
split where the price changes costs exactly what it costs unsplit (before VAT; VAT added on
top is rounded once per quote, so two quotes may differ from one by a cent).
The undiscounted value is the same booking at the list price (bands and minimum charge, no
discount, no actor rule); the subsidy is that minus the price.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from booking.facilities.availability import local_instant
from booking.pricing.terms import HUNDRED, TIME_UNITS, ActorRule, Band, TariffTerms

UTC = timezone.utc
CURRENCY = "EUR"
MAX_QUOTE_DAYS = 366   # a quote walks the days it covers: bounded, checked first
STANDARD = None        # the band key of time outside every band


class QuoteError(ValueError):
    """Times a quote cannot be made for (a programming or input error: check before calling)."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def to_cents(value: Decimal) -> int:
    """The one rounding rule: half up, to whole cents."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote. `amount_cents` is signed (a discount is negative) and in the
    tariff's basis (with VAT if its prices include VAT). Kinds: unit, discount, minimum,
    adjustment (a manager's decided price), vat, deposit (refundable; not in the totals)."""
    kind: str
    code: str
    amount_cents: int
    quantity: Decimal | None = None
    unit_price_cents: Decimal | None = None
    percent: Decimal | None = None
    band: str | None = None
    included: bool = False  # a VAT line already included in the prices

    def to_json(self) -> dict:
        out = {"kind": self.kind, "code": self.code, "amount_cents": self.amount_cents}
        for key in ("quantity", "unit_price_cents", "percent"):
            value = getattr(self, key)
            if value is not None:
                out[key] = format(value.normalize(), "f")
        if self.band is not None:
            out["band"] = self.band
        if self.included:
            out["included"] = True
        return out

    @classmethod
    def from_json(cls, data: dict) -> QuoteLine:
        decimals = {k: Decimal(data[k]) for k in ("quantity", "unit_price_cents", "percent") if k in data}
        return cls(kind=data["kind"], code=data["code"], amount_cents=int(data["amount_cents"]),
                   band=data.get("band"), included=bool(data.get("included")), **decimals)


PRICE_KINDS = ("unit", "discount", "minimum", "adjustment")


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    net_cents: int
    vat_cents: int
    gross_cents: int
    undiscounted_gross_cents: int
    deposit_cents: int
    vat_rate: Decimal
    prices_include_vat: bool
    actor_type: str | None
    rule: str | None = None  # the actor rule's kind that applied
    currency: str = CURRENCY

    @property
    def subsidy_cents(self) -> int:
        return max(0, self.undiscounted_gross_cents - self.gross_cents)

    @property
    def price_lines(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.kind in PRICE_KINDS]

    @property
    def is_free(self) -> bool:
        return self.gross_cents == 0


# --- counting units ------------------------------------------------------------------------

def _local_dates(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    """The local dates [start, end) touches."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _at_minute(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return local_instant(day + timedelta(days=minute // 1440), time(minute % 1440 // 60, minute % 60), zone)


def _minutes(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / 60


def _band_at(bands: tuple[Band, ...], instant: datetime, zone: ZoneInfo) -> int | None:
    local = instant.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return next((i for i, band in enumerate(bands) if band.covers(local.weekday(), minute)), STANDARD)


def _time_segments(terms: TariffTerms, start: datetime, end: datetime, zone: ZoneInfo) -> list:
    """[(band key, real minutes), …]: the stretches of one price, each within one local day, in time order."""
    found: list[tuple[int | None, Decimal]] = []
    for day in _local_dates(start, end, zone):
        seg_start = max(start, _at_minute(day, 0, zone))
        seg_end = min(end, _at_minute(day, 1440, zone))
        if seg_end <= seg_start:
            continue
        pieces = []
        for i, band in enumerate(terms.bands):
            if day.weekday() not in band.weekdays:
                continue
            low = max(seg_start, _at_minute(day, band.start_minute, zone))
            high = min(seg_end, _at_minute(day, band.end_minute, zone))
            if low < high:
                pieces.append((low, high, i))
        cursor = seg_start
        for low, high, i in sorted(pieces):
            if cursor < low:
                found.append((STANDARD, _minutes(cursor, low)))
            found.append((i, _minutes(low, high)))
            cursor = max(cursor, high)
        if cursor < seg_end:
            found.append((STANDARD, _minutes(cursor, seg_end)))
    return found


def _unit_starts(unit: str, start: datetime, end: datetime, zone: ZoneInfo, days: list[date]) -> list[datetime]:
    """Where each counted unit's booked time starts (for its band)."""
    if unit == "per_booking":
        return [start]
    if unit == "per_day":
        return [max(start, _at_minute(day, 0, zone)) for day in days]
    if unit == "per_week":
        return [max(start, _at_minute(days[0] + timedelta(days=7 * k), 0, zone)) for k in range((len(days) + 6) // 7)]
    starts = []  # per_half_day
    for day in days:
        for low, high in ((0, 720), (720, 1440)):
            half_start, half_end = _at_minute(day, low, zone), _at_minute(day, high, zone)
            if half_start < end and start < half_end:
                starts.append(max(start, half_start))
    return starts


def _segments(terms: TariffTerms, start: datetime, end: datetime, zone: ZoneInfo,
              days: list[date]) -> list[tuple[int | None, Decimal]]:
    """[(band key, units), …] in time order: for time units each stretch of one price
    (pro rata), for counted units each unit."""
    if terms.unit in TIME_UNITS:
        per_unit = Decimal(TIME_UNITS[terms.unit])
        return [(key, minutes / per_unit) for key, minutes in _time_segments(terms, start, end, zone)]
    return [(_band_at(terms.bands, unit_start, zone), Decimal(1))
            for unit_start in _unit_starts(terms.unit, start, end, zone, days)]


# --- the quote ---------------------------------------------------------------------------

def _list_unit_price(terms: TariffTerms, key: int | None) -> Decimal:
    base = Decimal(terms.base_price_cents)
    if key is STANDARD:
        return base
    return base * (HUNDRED + terms.bands[key].percent) / HUNDRED


def _vat(amount: int, terms: TariffTerms) -> tuple[int, int, int]:
    """(net, vat, gross) of a price-lines total in the tariff's basis."""
    rate = terms.vat_rate
    if terms.prices_include_vat:
        vat = to_cents(amount * rate / (HUNDRED + rate))
        return amount - vat, vat, amount
    vat = to_cents(amount * rate / HUNDRED)
    return amount, vat, amount + vat


def _with_minimum(amount: int, terms: TariffTerms) -> int:
    return terms.min_charge_cents if 0 < amount < terms.min_charge_cents else amount


def check_times(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise QuoteError("pricing.naive_time")
    if end <= start:
        raise QuoteError("pricing.end_before_start")
    if end - start > timedelta(days=MAX_QUOTE_DAYS):
        raise QuoteError("pricing.too_long")


def quote(terms: TariffTerms, start: datetime, end: datetime, tz: str, actor_type: str | None = None, *,
          recent_utilisation: float | Decimal | None = None) -> Quote:
    """The itemised price of [start, end) at a facility in time zone `tz`, for an actor type
    (None: the list price), with the facility's stored recent utilisation (0..1) for the
    underused discount. Amounts are whole cents, rounded once, half up (module docstring)."""
    check_times(start, end)
    # Aware datetimes of one zone subtract as wall clocks; UTC ones as real time.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    zone = ZoneInfo(tz)
    days = _local_dates(start, end, zone)
    segments = _segments(terms, start, end, zone, days)
    rule: ActorRule | None = terms.rules.get(actor_type) if actor_type else None
    fixed = rule is not None and rule.kind == "fixed"

    # Each segment is priced and discounted on its own (one rounding each); lines add them up.
    list_amounts = [to_cents(quantity * _list_unit_price(terms, key)) for key, quantity in segments]
    remaining = [to_cents(quantity * Decimal(rule.fixed_cents)) if fixed else amount
                 for (key, quantity), amount in zip(segments, list_amounts)]
    lines: list[QuoteLine] = []
    for key in dict.fromkeys(key for key, _quantity in segments):
        band = None if key is STANDARD else terms.bands[key]
        mine = [i for i, (k, _q) in enumerate(segments) if k == key]
        quantity = sum(segments[i][1] for i in mine)
        price = Decimal(rule.fixed_cents) if fixed else _list_unit_price(terms, key)
        lines.append(QuoteLine("unit", terms.unit, sum(remaining[i] for i in mine), quantity=_tidy(quantity),
                               unit_price_cents=_tidy(price), percent=None if band is None or fixed else band.percent,
                               band=band.label if band else None))

    for code, percent in _discounts(terms, rule, len(days), recent_utilisation):
        taken = [to_cents(amount * percent / HUNDRED) for amount in remaining]
        remaining = [amount - cut for amount, cut in zip(remaining, taken)]
        lines.append(QuoteLine("discount", code, -sum(taken), percent=percent))

    subtotal = sum(remaining)
    charged = _with_minimum(subtotal, terms)
    if charged != subtotal:
        lines.append(QuoteLine("minimum", "minimum_charge", charged - subtotal))
    net, vat, gross = _vat(charged, terms)
    lines.append(QuoteLine("vat", "vat", vat, percent=terms.vat_rate, included=terms.prices_include_vat))
    if terms.deposit_cents:
        lines.append(QuoteLine("deposit", "deposit", terms.deposit_cents))
    undiscounted = _vat(_with_minimum(sum(list_amounts), terms), terms)[2]
    return Quote(lines=tuple(lines), net_cents=net, vat_cents=vat, gross_cents=gross,
                 undiscounted_gross_cents=undiscounted, deposit_cents=terms.deposit_cents,
                 vat_rate=terms.vat_rate, prices_include_vat=terms.prices_include_vat, actor_type=actor_type,
                 rule=rule.kind if rule else None)


def _tidy(value: Decimal) -> Decimal:
    """A quantity or unit price kept to 4 decimals for reading (the amount uses the exact one)."""
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()


def _discounts(terms: TariffTerms, rule: ActorRule | None, days: int, utilisation) -> list[tuple[str, Decimal]]:
    """The discounts in the order they are taken, as (code, percent)."""
    if rule and rule.kind == "free":
        return [("free", HUNDRED)]
    if rule and rule.kind == "fixed":
        return []
    found = []
    if rule and rule.kind == "percent":
        found.append(("actor_type", rule.percent))
    if terms.long_booking_min_days is not None and days >= terms.long_booking_min_days:
        found.append(("long_booking", terms.long_booking_percent))
    if (terms.underused_threshold is not None and utilisation is not None
            and Decimal(str(utilisation)) < terms.underused_threshold):
        found.append(("underused", terms.underused_percent))
    return found


# --- around a quote ------------------------------------------------------------------------

@dataclass(frozen=True)
class SeriesQuote:
    """A recurring booking: each occurrence priced on its own, and the total."""
    quotes: tuple[Quote, ...]
    net_cents: int = field(init=False)
    vat_cents: int = field(init=False)
    gross_cents: int = field(init=False)
    undiscounted_gross_cents: int = field(init=False)

    def __post_init__(self):
        for name in ("net_cents", "vat_cents", "gross_cents", "undiscounted_gross_cents"):
            object.__setattr__(self, name, sum(getattr(q, name) for q in self.quotes))

    @property
    def subsidy_cents(self) -> int:
        return sum(q.subsidy_cents for q in self.quotes)


def quote_series(terms: TariffTerms, occurrences, tz: str, actor_type: str | None = None, *,
                 recent_utilisation=None) -> SeriesQuote:
    """Each (start, end) priced as its own booking; the series costs their sum."""
    return SeriesQuote(tuple(quote(terms, start, end, tz, actor_type, recent_utilisation=recent_utilisation)
                             for start, end in occurrences))


def late_fee(terms: TariffTerms, price_gross_cents: int) -> int:
    """The fee for cancelling after the deadline: a percentage of the price, or a fixed fee
    that never exceeds the price (a cancellation never costs more than keeping the booking).
    0 when the tariff names no fee."""
    if terms.late_fee_percent is not None:
        return to_cents(price_gross_cents * terms.late_fee_percent / HUNDRED)
    if terms.late_fee_cents is not None:
        return min(terms.late_fee_cents, price_gross_cents)
    return 0


def split_gross(gross_cents: int, vat_rate: Decimal) -> tuple[int, int]:
    """(net, vat) of an amount that includes VAT at `vat_rate` percent (one rounding)."""
    vat = to_cents(gross_cents * Decimal(vat_rate) / (HUNDRED + Decimal(vat_rate)))
    return gross_cents - vat, vat


@dataclass(frozen=True)
class PriceFrom:
    """The lowest unit price an actor type pays (for "from €X/h" on cards), in cents."""
    unit: str
    net_cents: int
    gross_cents: int
    rule: str | None


def price_from(terms: TariffTerms, actor_type: str | None = None) -> PriceFrom:
    rule = terms.rules.get(actor_type) if actor_type else None
    if rule and rule.kind == "free":
        lowest = Decimal(0)
    elif rule and rule.kind == "fixed":
        lowest = Decimal(rule.fixed_cents)
    else:
        keys = [STANDARD] + list(range(len(terms.bands)))
        lowest = min(_list_unit_price(terms, key) for key in keys)
        if rule:
            lowest = lowest * (HUNDRED - rule.percent) / HUNDRED
    net, _vat_cents, gross = _vat(to_cents(lowest), terms)
    return PriceFrom(terms.unit, net, gross, rule.kind if rule else None)
