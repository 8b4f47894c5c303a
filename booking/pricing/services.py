"""Pricing use cases: tariffs, quotes, and the price a reservation keeps.

Services add and flush; the boundary (view, API route, CLI command, job) commits once with
`unit_of_work()`. Refusals are booking.errors with coded messages (booking/pricing/messages.py).
`now=None` means the current time; tests pass their own.

Tariffs (managers)
    tariff_versions(facility) -> list[Tariff]          # every row, by valid_from then version
    current_tariffs(facility) -> list[Tariff]          # the rows that price, by valid_from
    tariff_at(facility, instant) -> Tariff | None      # the one valid at the instant's local date
    current_tariffs_of(facilities) / tariffs_in_force(facilities, instant) / tariff_finder(facilities)
                                                       # the same for many facilities, in one query
    save_tariff(facility, data: TariffInput, *, tariff=None, actor=None, now=None) -> (Tariff, changed)
    delete_tariff(tariff, *, actor=None) -> None       # only one that never priced anything

What the reservations domain calls (in its own unit of work, with the reservation)
    quote_for(facility, who, start, end) -> Quote | None          # review step, series preview, API
    snapshot(facility, organisation, start, end, *, description="", now=None) -> PriceSnapshot | None
    replace_snapshot(old, facility, organisation, start, end, *, description=None, now=None)
        -> (PriceSnapshot | None, difference_cents)                # a changed time
    mark_billable(snapshot) / void(snapshot)                      # confirmed / rejected, cancelled in time
    late_fee_for(snapshot) -> int                                 # shown before a late cancellation
    charge_late_fee(snapshot, *, actor=None) -> int               # cancelled after the deadline
    request_free_of_charge(snapshot, reason) -> PriceSnapshot     # the organisation asks; a manager decides
    set_free_of_charge(snapshot, reason=None, *, price_cents, actor=None) -> PriceSnapshot
    prices_from(facilities, who=None, *, now=None) -> {facility_id: PriceFrom}   # "from €X/h" on cards

`quote_for` and `snapshot` return None where the facility has no tariff valid at the start:
such a booking has no price (and no snapshot).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from booking.accounts.models import ActorType, Organisation
from booking.audit.services import snapshot as plain_fields
from booking.content import clean_translations
from booking.database import utcnow
from booking.errors import Conflict, Message, RuleViolation
from booking.events import Event, publish
from booking.extensions import db
from booking.facilities.models import Facility
from booking.pricing import messages  # noqa: F401  (registers the codes' wording)
from booking.pricing.models import (ActorTypeRule, BillingStatus, ChargeKind, PriceSnapshot, RuleKind, Tariff,
                                    TariffBand, TariffUnit)
from booking.pricing.quote import (MAX_QUOTE_DAYS, PRICE_KINDS, PriceFrom, Quote, QuoteError, QuoteLine, late_fee,
                                   price_from, quote, split_gross)
from booking.pricing.terms import MAX_CENTS, TariffTerms, problems, terms_of

MAX_REASON_LENGTH = 2000
TARIFF_FIELDS = ("name", "valid_from", "unit", "base_price_cents", "prices_include_vat", "vat_rate",
                 "min_charge_cents", "deposit_cents", "long_booking_min_days", "long_booking_percent",
                 "underused_threshold", "underused_percent", "late_fee_percent", "late_fee_cents",
                 "invoice_each_reservation")


@dataclass(frozen=True)
class TariffInput:
    """What a manager enters: the terms, and the tariff's name, first day and invoicing."""
    name: str
    valid_from: date | None
    terms: TariffTerms
    invoice_each_reservation: bool = False
    # The name in the other languages: {"fi": {"name": …}, "sv": {…}} (booking.content).
    translations: dict | None = None


# --- tariffs ------------------------------------------------------------------------------

def tariff_versions(facility: Facility) -> list[Tariff]:
    stmt = (select(Tariff).where(Tariff.facility_id == facility.id)
            .order_by(Tariff.valid_from.desc(), Tariff.version.desc()))
    return list(db.session.scalars(stmt))


def current_tariffs(facility: Facility) -> list[Tariff]:
    return [t for t in tariff_versions(facility) if t.superseded_dt is None]


def current_tariffs_of(facilities) -> dict[int, list[Tariff]]:
    """current_tariffs of many facilities in one query (a facility without any is left out)."""
    stmt = (select(Tariff).where(Tariff.facility_id.in_([f.id for f in facilities] or [-1]),
                                 Tariff.superseded_dt.is_(None))
            .order_by(Tariff.valid_from.desc(), Tariff.version.desc()))
    found: dict[int, list[Tariff]] = {}
    for tariff in db.session.scalars(stmt):
        found.setdefault(tariff.facility_id, []).append(tariff)
    return found


def local_date(facility: Facility, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(facility.timezone)).date()


def tariff_at(facility: Facility, instant: datetime) -> Tariff | None:
    """The tariff that prices a booking starting at `instant`: the newest valid_from on or
    before its local date (of the versions not replaced), with its bands and rules."""
    return db.session.scalars(_TARIFF_AT, {"facility_id": facility.id, "day": local_date(facility, instant)}
                              ).unique().first()


# Built once: every booking asks it. One query with the bands and rules a quote reads (a few
# rows each), not three.
_TARIFF_AT = (select(Tariff).where(Tariff.facility_id == bindparam("facility_id"), Tariff.superseded_dt.is_(None),
                                   Tariff.valid_from <= bindparam("day"))
              .order_by(Tariff.valid_from.desc()).limit(1)
              .options(joinedload(Tariff.bands), joinedload(Tariff.rules)))


def tariff_values(tariff: Tariff) -> dict:
    """The tariff as plain values: for the audit trail and to see whether an edit changes it."""
    values = plain_fields(tariff, TARIFF_FIELDS)
    values["translations"] = tariff.translations or {}
    values["bands"] = [{"label": b.label, "weekdays": sorted(b.weekdays), "start_minute": b.start_minute,
                        "end_minute": b.end_minute, "percent": str(b.percent)} for b in tariff.bands]
    values["rules"] = {r.actor_type.value: {"kind": r.kind.value, "percent": _str(r.percent),
                                            "fixed_cents": r.fixed_cents} for r in tariff.rules}
    return values


def _str(value) -> str | None:
    return None if value is None else str(value)


def _fill(tariff: Tariff, data: TariffInput) -> None:
    terms = data.terms
    tariff.name = data.name.strip()
    tariff.translations = clean_translations(data.translations, Tariff.TRANSLATABLE)
    tariff.valid_from = data.valid_from
    tariff.unit = TariffUnit(terms.unit)
    tariff.invoice_each_reservation = data.invoice_each_reservation
    for name in ("base_price_cents", "prices_include_vat", "vat_rate", "min_charge_cents", "deposit_cents",
                 "long_booking_min_days", "long_booking_percent", "underused_threshold", "underused_percent",
                 "late_fee_percent", "late_fee_cents"):
        setattr(tariff, name, getattr(terms, name))
    if tariff.id is not None:  # replaced rows go first: the new ones share their unique keys
        tariff.bands.clear()
        tariff.rules.clear()
        db.session.flush()
    tariff.bands = [TariffBand(label=b.label.strip(), weekdays=sorted(b.weekdays), start_minute=b.start_minute,
                               end_minute=b.end_minute, percent=b.percent)
                    for b in sorted(terms.bands, key=lambda b: (b.start_minute, min(b.weekdays, default=0)))]
    tariff.rules = [ActorTypeRule(actor_type=ActorType(actor_type), kind=RuleKind(rule.kind), percent=rule.percent,
                                  fixed_cents=rule.fixed_cents)
                    for actor_type, rule in sorted(data.terms.rules.items())]


def _normalised(values: dict) -> dict:
    """Values compared as the database would give them back (Decimal scale, sorted rows)."""
    out = dict(values)
    for key in ("vat_rate", "long_booking_percent", "underused_threshold", "underused_percent", "late_fee_percent"):
        if out.get(key) is not None:
            out[key] = str(float(out[key]))
    out["bands"] = sorted(({**b, "percent": str(float(b["percent"]))} for b in values["bands"]),
                          key=lambda b: (b["start_minute"], b["weekdays"]))
    out["rules"] = {k: {**r, "percent": None if r["percent"] is None else str(float(r["percent"]))}
                    for k, r in values["rules"].items()}
    return out


def save_tariff(facility: Facility, data: TariffInput, *, tariff: Tariff | None = None, actor=None,
                now: datetime | None = None) -> tuple[Tariff, bool]:
    """Create a tariff, or change one. A tariff that has priced a reservation is never changed:
    the change becomes a new version with the same valid_from, which replaces it from now on.
    Without `tariff`, the current tariff with the same valid_from (if any) is the one changed,
    so saving the same thing twice changes nothing. Returns (the tariff that now applies, changed)."""
    now = now or utcnow()
    found = problems(data.terms, name=data.name, valid_from=data.valid_from)
    if found:
        raise RuleViolation(field_errors=found)
    same_day = next((t for t in current_tariffs(facility) if t.valid_from == data.valid_from), None)
    if tariff is None:
        tariff = same_day
    elif tariff.facility_id != facility.id or tariff.superseded_dt is not None:
        raise Conflict(Message("pricing.tariff_replaced"))
    elif same_day is not None and same_day.id != tariff.id:
        raise Conflict(field_errors={"valid_from": [Message("pricing.valid_from_taken", date=data.valid_from)]})
    if tariff is None:
        created = Tariff(facility=facility, version=1, updated_by_id=getattr(actor, "id", None))
        _fill(created, data)
        db.session.add(created)
        db.session.flush()
        publish(Event("tariff.created", created, actor=actor, after=tariff_values(created),
                      department_id=facility.department_id))
        return created, True

    before = tariff_values(tariff)
    probe = Tariff()
    _fill(probe, data)
    after = tariff_values(probe)
    if _normalised(before) == _normalised(after):
        return tariff, False
    if tariff.locked_dt is None:
        _fill(tariff, data)
        tariff.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        publish(Event("tariff.updated", tariff, actor=actor, before=before, after=after,
                      department_id=facility.department_id))
        return tariff, True
    if data.valid_from != tariff.valid_from:
        raise RuleViolation(field_errors={"valid_from": [Message("pricing.locked_valid_from",
                                                                 date=tariff.valid_from)]})
    tariff.superseded_dt = now
    db.session.flush()  # out of the way of the one-current-version index before the new row
    newer = Tariff(facility=facility, version=tariff.version + 1, updated_by_id=getattr(actor, "id", None))
    _fill(newer, data)
    db.session.add(newer)
    db.session.flush()
    publish(Event("tariff.versioned", newer, actor=actor, before={**before, "version": tariff.version},
                  after={**after, "version": newer.version}, department_id=facility.department_id))
    return newer, True


def delete_tariff(tariff: Tariff, *, actor=None) -> None:
    """Remove a tariff that never priced a reservation (a locked one is kept for the record)."""
    if tariff.locked_dt is not None:
        raise Conflict(Message("pricing.tariff_locked"))
    publish(Event("tariff.deleted", tariff, actor=actor, before=tariff_values(tariff),
                  department_id=tariff.facility.department_id))
    db.session.delete(tariff)
    db.session.flush()


# --- quotes -------------------------------------------------------------------------------

def actor_type_of(who) -> str | None:
    """An Organisation, an ActorType, its value, or None (the list price) → the actor type's value."""
    if who is None:
        return None
    if isinstance(who, Organisation):
        return who.actor_type.value
    return ActorType(getattr(who, "value", who)).value


def quote_for(facility: Facility, who, start: datetime, end: datetime, *, tariff: Tariff | None = None) -> Quote | None:
    """The itemised price of [start, end) at `facility` for `who` (an Organisation, an actor
    type, or None for the list price), by the tariff valid at the start; None without a tariff.
    Uses the facility's stored recent utilisation for the underused discount."""
    tariff = tariff or tariff_at(facility, start)
    if tariff is None:
        return None
    try:
        return quote(terms_of(tariff), start, end, facility.timezone, actor_type_of(who),
                     recent_utilisation=facility.recent_utilisation)
    except QuoteError as exc:
        raise RuleViolation(Message(exc.code, days=MAX_QUOTE_DAYS)) from None


def _apply_quote(target: PriceSnapshot, found: Quote) -> None:
    target.lines = [line.to_json() for line in found.lines]
    target.prices_include_vat = found.prices_include_vat
    target.vat_rate = found.vat_rate
    target.net_cents, target.vat_cents, target.gross_cents = found.net_cents, found.vat_cents, found.gross_cents
    target.undiscounted_gross_cents = found.undiscounted_gross_cents
    target.deposit_cents = found.deposit_cents


def snapshot(facility: Facility, organisation: Organisation, start: datetime, end: datetime, *,
             description: str = "", now: datetime | None = None, add: bool = True) -> PriceSnapshot | None:
    """Price the booking now and keep the price: a PriceSnapshot (not billable yet) whose id
    the reservation stores, added to the session (written by its next flush, once the
    reservation's status has settled what is owed), or left for the caller to write (`add`
    False: a new booking writes it with its reservation, extensions.insert_new). Locks the
    tariff that priced it. None without a tariff."""
    tariff = tariff_at(facility, start)
    if tariff is None:
        return None
    found = quote_for(facility, organisation, start, end, tariff=tariff)
    if tariff.locked_dt is None:
        tariff.locked_dt = now or utcnow()
    kept = PriceSnapshot(organisation=organisation, facility=facility, tariff=tariff,
                         actor_type=organisation.actor_type, start_dt=start, end_dt=end,
                         description=description[:300], charge=ChargeKind.price,
                         billing_status=BillingStatus.not_billable_yet)
    _apply_quote(kept, found)
    _settle(kept)
    if add:
        db.session.add(kept)
    return kept


def replace_snapshot(old: PriceSnapshot | None, facility: Facility, organisation: Organisation, start: datetime,
                     end: datetime, *, description: str | None = None,
                     now: datetime | None = None) -> tuple[PriceSnapshot | None, int]:
    """A changed time is priced again: a new snapshot, the old one void. Returns the new one
    and the difference in gross cents (positive: it costs more)."""
    new = snapshot(facility, organisation, start, end,
                   description=description if description is not None else (old.description if old else ""), now=now)
    before = old.gross_cents if old else 0
    if old is not None:
        if new is not None and old.billing_status == BillingStatus.billable:
            mark_billable(new)
        void(old)
    return new, (new.gross_cents if new else 0) - before


# --- what is owed ----------------------------------------------------------------------------

def _settle(target: PriceSnapshot) -> None:
    """billable_cents and subsidy_cents from the status and the charge."""
    if target.billing_status == BillingStatus.void:
        target.billable_cents, target.subsidy_cents = 0, 0
    elif target.charge == ChargeKind.late_fee:
        target.billable_cents, target.subsidy_cents = target.late_fee_cents, 0
    else:
        target.billable_cents = target.gross_cents
        target.subsidy_cents = max(0, target.undiscounted_gross_cents - target.gross_cents)


def _not_invoiced(target: PriceSnapshot) -> None:
    if target.billing_status == BillingStatus.invoiced:
        raise Conflict(Message("pricing.already_invoiced", invoice_id=target.invoice_id))


def mark_billable(target: PriceSnapshot) -> PriceSnapshot:
    """The reservation is confirmed: its price is owed (and will be invoiced). An invoiced
    snapshot stays as it is."""
    if target.billing_status != BillingStatus.invoiced:
        target.billing_status = BillingStatus.billable
        _settle(target)
        db.session.flush()
    return target


def mark_not_billable_yet(target: PriceSnapshot) -> PriceSnapshot:
    """The reservation waits for a decision again (returned to handling)."""
    _not_invoiced(target)
    target.billing_status = BillingStatus.not_billable_yet
    target.charge, target.late_fee_cents = ChargeKind.price, None
    _settle(target)
    db.session.flush()
    return target


def void(target: PriceSnapshot) -> PriceSnapshot:
    """Nothing is owed: rejected, cancelled before the deadline, a hold that lapsed, replaced.
    An invoiced snapshot is refused (credit the invoice first)."""
    _not_invoiced(target)
    target.billing_status = BillingStatus.void
    _settle(target)
    db.session.flush()
    return target


def late_fee_for(target: PriceSnapshot) -> int:
    """The fee (gross cents) cancelling now after the deadline costs, by the locked tariff."""
    return late_fee(terms_of(target.tariff), target.gross_cents)


def charge_late_fee(target: PriceSnapshot, *, actor=None) -> int:
    """Cancelled after the deadline where the facility charges a fee: the fee is owed instead
    of the price (none owed and the snapshot void when the tariff names no fee). Returns the fee."""
    _not_invoiced(target)
    fee = late_fee_for(target)
    before = {"billing_status": target.billing_status.value, "billable_cents": target.billable_cents}
    if fee == 0:
        target.billing_status = BillingStatus.void
    else:
        target.charge, target.late_fee_cents = ChargeKind.late_fee, fee
        target.billing_status = BillingStatus.billable
    _settle(target)
    db.session.flush()
    publish(Event("price.late_fee", target, actor=actor, before=before,
                  after={"billing_status": target.billing_status.value, "billable_cents": target.billable_cents,
                         "late_fee_cents": fee}, department_id=target.facility.department_id))
    return fee


def _reason_problems(reason: str) -> dict[str, list[Message]]:
    if not reason:
        return {"reason": [Message("pricing.reason_required")]}
    if len(reason) > MAX_REASON_LENGTH:
        return {"reason": [Message("pricing.reason_too_long", max=MAX_REASON_LENGTH)]}
    return {}


def request_free_of_charge(target: PriceSnapshot, reason: str) -> PriceSnapshot:
    """The organisation asks for free use, with its reason (kept with the price). The price
    stays as quoted until a manager decides (set_free_of_charge); such a request always
    waits for a manager."""
    _not_invoiced(target)
    reason = (reason or "").strip()
    found = _reason_problems(reason)
    if found:
        raise RuleViolation(field_errors=found)
    target.free_of_charge_reason = reason
    db.session.flush()
    return target


def set_free_of_charge(target: PriceSnapshot, reason: str | None = None, *, price_cents: int,
                       actor=None) -> PriceSnapshot:
    """A manager decides a free-of-charge request: at the quoted price, at another price, or
    free (0). `price_cents` is the decided gross; the reason (default: the one the
    organisation gave) is kept, and the difference is an "adjustment" line, so the lines
    still add up and the subsidy shows it. Ask `subsidy.would_exceed_ceiling(organisation,
    snapshot.undiscounted_gross_cents - price_cents)` first to warn the manager."""
    _not_invoiced(target)
    reason = (reason if reason is not None else target.free_of_charge_reason or "").strip()
    found = _reason_problems(reason)
    if price_cents is None or not 0 <= price_cents <= MAX_CENTS:
        found["price_cents"] = [Message("pricing.amount_range", max_cents=MAX_CENTS)]
    if found:
        raise RuleViolation(field_errors=found)
    before = {"gross_cents": target.gross_cents, "free_of_charge_reason": target.free_of_charge_reason}
    lines = [QuoteLine.from_json(line) for line in target.lines if line["kind"] != "adjustment"]
    quoted = sum(line.amount_cents for line in lines if line.kind in PRICE_KINDS)
    net, vat = split_gross(price_cents, target.vat_rate)
    basis = price_cents if target.prices_include_vat else net
    adjusted = []
    for line in lines:
        if line.kind == "vat":
            if basis != quoted:
                adjusted.append(QuoteLine("adjustment", "decided_price", basis - quoted))
            line = QuoteLine("vat", "vat", vat, percent=target.vat_rate, included=target.prices_include_vat)
        adjusted.append(line)
    target.lines = [line.to_json() for line in adjusted]
    target.net_cents, target.vat_cents, target.gross_cents = net, vat, price_cents
    target.free_of_charge_reason = reason
    _settle(target)
    db.session.flush()
    publish(Event("price.decided", target, actor=actor, before=before,
                  after={"gross_cents": price_cents, "free_of_charge_reason": reason},
                  department_id=target.facility.department_id))
    return target


def prices_from(facilities, who=None, *, now: datetime | None = None) -> dict[int, PriceFrom]:
    """"From €X/h for your organisation" for catalogue cards: the lowest unit price `who`
    pays at each facility under the tariff in force (facilities without one are left out).
    One query for the whole page of facilities."""
    in_force = tariffs_in_force(facilities, now or utcnow(), *TARIFF_TERMS)
    actor_type = actor_type_of(who)
    return {fid: price_from(terms_of(tariff), actor_type) for fid, tariff in in_force.items()}


# Loader options for tariffs that will be quoted (terms_of reads their bands and rules).
TARIFF_TERMS = (selectinload(Tariff.bands), selectinload(Tariff.rules))


def tariffs_in_force(facilities, instant: datetime, *options) -> dict[int, Tariff]:
    """tariff_at for many facilities in one query (`options`: loader options for the tariffs);
    facilities without one are left out."""
    find = tariff_finder(facilities, *options)
    return {f.id: tariff for f in facilities if (tariff := find(f, instant)) is not None}


def tariff_finder(facilities, *options) -> Callable[[Facility, datetime], Tariff | None]:
    """tariff_at(facility, instant) for any of these facilities, answered without a query: their
    current tariffs are read at once (`options`: loader options for them)."""
    stmt = (select(Tariff).where(Tariff.facility_id.in_({f.id for f in facilities} or {-1}),
                                 Tariff.superseded_dt.is_(None))
            .options(*options).order_by(Tariff.valid_from.desc()))
    by_facility: dict[int, list[Tariff]] = {}
    for tariff in db.session.scalars(stmt):
        by_facility.setdefault(tariff.facility_id, []).append(tariff)

    def find(facility: Facility, instant: datetime) -> Tariff | None:
        day = local_date(facility, instant)
        return next((t for t in by_facility.get(facility.id, ()) if t.valid_from <= day), None)
    return find


def quote_of(target: PriceSnapshot) -> Quote:
    """A snapshot read back as a Quote (the same shape pages and the API show)."""
    return Quote(lines=tuple(QuoteLine.from_json(line) for line in target.lines), net_cents=target.net_cents,
                 vat_cents=target.vat_cents, gross_cents=target.gross_cents,
                 undiscounted_gross_cents=target.undiscounted_gross_cents, deposit_cents=target.deposit_cents,
                 vat_rate=target.vat_rate, prices_include_vat=target.prices_include_vat,
                 actor_type=target.actor_type.value)
