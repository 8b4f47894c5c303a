"""Two years of past reservations for the demo, so the statistics show seasons and a trend.

Sports halls are busiest in winter, outdoor sites in summer, everything quiets down in July;
weekday evenings fill first; use grows year by year. The reservations are the demo
organisations', within opening hours, clear of closures and of every other reservation
(buffers included). Mostly completed, some cancelled or no-shows; each keeps its price,
quoted by the facility's tariff: owed (billable, not invoiced) unless cancelled.

Thousands of rows would take minutes through the booking services, so they are computed
here and bulk-inserted (the rules the services check are kept by construction). Runs once:
an audit event marks it, and a second run does nothing. Deterministic (seeded random).
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from booking.accounts.models import Membership, Organisation, Role, User
from booking.audit.models import AuditEvent
from booking.audit.services import record
from booking.database import utcnow
from booking.extensions import db
from booking.facilities.availability import Interval, local_day_bounds, opened_by_hours, subtract
from booking.facilities.models import Facility, FacilityStatus
from booking.facilities.ruleset import RuleSet
from booking.facilities.schedules import closures_in, special_openings, weekly_hours
from booking.pricing.models import BillingStatus, ChargeKind, PriceSnapshot, Tariff
from booking.pricing.quote import quote
from booking.pricing.terms import terms_of
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus as S
from booking.seed.reservations import TITLES, _Seeder
from booking.unit_of_work import unit_of_work

MARKER = "reservation.demo_history_seeded"
DAYS = 730
# Expected reservations a day at a typical facility of the category, before season and trend.
BASE = {"sports": 0.8, "meeting_room": 0.3, "recreational": 0.3, "venue": 0.2, "workshop": 0.15, "lab": 0.12,
        "outdoor_area": 0.5, "public_space": 0.1}
# By month, January first.
WINTER = (2.2, 2.2, 1.9, 1.2, 0.5, 0.2, 0.1, 0.2, 1.0, 1.7, 2.0, 1.5)
SUMMER = (0.05, 0.05, 0.1, 0.35, 1.3, 2.2, 2.6, 2.2, 0.9, 0.3, 0.1, 0.05)
INDOORS = (1.1, 1.15, 1.1, 1.0, 0.9, 0.7, 0.35, 0.7, 1.15, 1.15, 1.1, 0.8)
SUMMER_SPORTS = ("beach", "turf", "pier", "campfire", "lawn", "garden")
WEEKDAY = (1.0, 1.0, 1.1, 1.0, 0.85, 0.7, 0.5)
TITLES_OUTDOORS = ["Summer event", "Club picnic", "Outdoor training", "Guided walk"]
ACTIVE = (S.held, S.pending, S.confirmed, S.completed, S.no_show)


def season_of(facility: Facility) -> tuple[float, ...]:
    if facility.category in ("outdoor_area", "public_space") or any(w in facility.slug for w in SUMMER_SPORTS):
        return SUMMER
    return WINTER if facility.category == "sports" else INDOORS


def load(demo_dir: Path) -> str:
    if db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == MARKER).limit(1)):
        return "already seeded"
    facilities = [f for f in db.session.scalars(select(Facility).where(Facility.status == FacilityStatus.published)
                                                .order_by(Facility.slug))
                  if RuleSet.of(f).slot < timedelta(days=1) and f.category in BASE]
    bookers = [tuple(row) for row in db.session.execute(
        select(User, Organisation).join(Membership, Membership.user_id == User.id).join(Organisation)
        .where(User.role == Role.member).order_by(User.email, Organisation.name))]
    if not facilities or not bookers:
        return "no published facilities or members yet; nothing to seed"
    with unit_of_work():
        made = _History(facilities, bookers).insert()
        record(MARKER, object_type="system", after=made)
    return ", ".join(f"{count} {what}" for what, count in made.items())


class _History:
    def __init__(self, facilities: list[Facility], bookers: list[tuple[User, Organisation]]):
        self.rng = random.Random(2024)
        self.now = utcnow()
        self.facilities = facilities
        self.bookers = bookers
        self.tariffs, self.terms = defaultdict(list), {}
        for tariff in db.session.scalars(select(Tariff).where(Tariff.superseded_dt.is_(None))
                                         .order_by(Tariff.valid_from)):
            self.tariffs[tariff.facility_id].append(tariff)

    def _tariff(self, facility: Facility, day: date) -> Tariff | None:
        valid = [t for t in self.tariffs[facility.id] if t.valid_from <= day]
        return valid[-1] if valid else None

    def insert(self) -> dict[str, int]:
        ids = [f.id for f in self.facilities]
        today = self.now.date()
        window = Interval(local_day_bounds(today - timedelta(days=DAYS), ZoneInfo("UTC")).start,
                          self.now - timedelta(hours=1))
        hours, special, closures = weekly_hours(ids), special_openings(ids, window), closures_in(ids, window)
        busy = defaultdict(_Busy)
        for fid, start, end in db.session.execute(
                select(Reservation.facility_id, Reservation.blocked_start_dt, Reservation.blocked_end_dt)
                .where(Reservation.facility_id.in_(ids), Reservation.status.in_(ACTIVE),
                       Reservation.blocked_end_dt > window.start - timedelta(days=1))):
            busy[fid].add(Interval(start, end))
        reservations, prices = [], []
        for facility in self.facilities:
            opened = opened_by_hours(facility.timezone, hours.get(facility.id, ()), special.get(facility.id, {}),
                                     window)
            opened = subtract(opened, closures.get(facility.id, []))
            self._facility(facility, opened, busy[facility.id], window, reservations, prices)
        if reservations:
            # Explicit snapshot ids (an executemany returns none), so each reservation names its own.
            first_id = (db.session.scalar(select(func.max(PriceSnapshot.id))) or 0) + 1
            for snapshot_id, (row, price) in enumerate(zip(reservations, prices), start=first_id):
                row["price_snapshot_id"] = price["id"] = snapshot_id
            db.session.execute(insert(PriceSnapshot.__table__), prices)
            if db.session.connection().dialect.name == "postgresql":
                db.session.execute(text("SELECT setval(pg_get_serial_sequence('price_snapshot', 'id'), "
                                        "(SELECT max(id) FROM price_snapshot))"))
            db.session.execute(insert(Reservation.__table__), reservations)
        for tariff in {t for ts in self.tariffs.values() for t in ts if t.locked_dt is None}:
            tariff.locked_dt = self.now
        made = defaultdict(int)
        for row in reservations:
            made[f"{row['status'].value.replace('_', '-')} past reservations"] += 1
        return dict(made)

    def _facility(self, facility: Facility, opened: list[Interval], busy: _Busy, window: Interval,
                  reservations: list, prices: list) -> None:
        rules, zone, rng = RuleSet.of(facility), ZoneInfo(facility.timezone), self.rng
        season, base = season_of(facility), BASE[facility.category]
        first = window.start.astimezone(zone).date()
        by_day = defaultdict(list)
        for interval in opened:
            by_day[interval.start.astimezone(zone).date()].append(interval)
        answers = _Seeder._answers(facility)
        titles = TITLES_OUTDOORS if season is SUMMER and facility.category != "sports" else TITLES.get(
            facility.category, ["Meeting"])
        for day in sorted(by_day):
            trend = 0.6 + 0.5 * (day - first).days / DAYS
            expected = base * season[day.month - 1] * WEEKDAY[day.weekday()] * trend
            attempts = int(expected) + (rng.random() < expected % 1)
            for _ in range(attempts):
                found = self._place(rules, zone, by_day[day], busy, day.weekday() < 5)
                if found is None:
                    continue
                start, end = found
                user, organisation = rng.choice(self.bookers)
                tariff = self._tariff(facility, day)
                if tariff is None:
                    continue
                # What pricing.services.quote_for does, with each tariff's terms read once.
                if tariff.id not in self.terms:
                    self.terms[tariff.id] = terms_of(tariff)
                found = quote(self.terms[tariff.id], start, end, facility.timezone, organisation.actor_type.value,
                              recent_utilisation=facility.recent_utilisation)
                blocked = rules.blocked(start, end)
                busy.add(blocked)
                roll = rng.random()
                status = S.cancelled if roll < 0.07 else S.no_show if roll < 0.1 else S.completed
                requested = start - timedelta(days=rng.randint(2, 30), hours=rng.randint(0, 10))
                void = status == S.cancelled
                prices.append({
                    "organisation_id": organisation.id, "facility_id": facility.id, "tariff_id": tariff.id,
                    "actor_type": organisation.actor_type, "start_dt": start, "end_dt": end,
                    "description": facility.name[:300], "lines": [line.to_json() for line in found.lines],
                    "prices_include_vat": found.prices_include_vat, "vat_rate": found.vat_rate,
                    "net_cents": found.net_cents, "vat_cents": found.vat_cents, "gross_cents": found.gross_cents,
                    "undiscounted_gross_cents": found.undiscounted_gross_cents, "deposit_cents": found.deposit_cents,
                    "currency": "EUR", "charge": ChargeKind.price, "late_fee_cents": None,
                    "billing_status": BillingStatus.void if void else BillingStatus.billable,
                    "billable_cents": 0 if void else found.gross_cents,
                    "subsidy_cents": 0 if void else max(0, found.undiscounted_gross_cents - found.gross_cents),
                    "free_of_charge_reason": None, "invoice_id": None, "created_dt": requested,
                    "updated_dt": requested})
                reservations.append({
                    "kind": ReservationKind.booking, "facility_id": facility.id, "organisation_id": organisation.id,
                    "user_id": user.id, "series_id": None, "start_dt": start, "end_dt": end,
                    "blocked_start_dt": blocked.start, "blocked_end_dt": blocked.end, "title": rng.choice(titles),
                    "purpose": "", "attendees": min(facility.capacity or 10, rng.randint(4, 30)), "answers": answers,
                    "status": status, "requested_dt": requested, "decided_dt": requested + timedelta(hours=2),
                    "cancelled_dt": start - timedelta(days=rng.randint(2, 5)) if void else None,
                    "cancel_reason": "Plans changed" if void else None,
                    "checked_in_dt": start if status == S.completed else None,
                    "late_cancellation_fee": False, "updated_dt": end, "sequence": 0})

    def _place(self, rules: RuleSet, zone: ZoneInfo, intervals: list[Interval], busy: _Busy,
               weekday: bool) -> tuple[datetime, datetime] | None:
        """A start on the slot grid of one of the day's open intervals, clear of `busy`; weekday
        bookings prefer the evening."""
        rng = self.rng
        length = max(rules.min_duration, timedelta(hours=rng.choice([1, 1, 2, 2, 3])))
        if rules.max_duration:
            length = min(length, rules.max_duration)
        length -= length % rules.slot
        if not length:
            return None
        starts = []
        for interval in intervals:
            start = interval.start
            while start + length <= interval.end:
                starts.append(start)
                start += rules.slot
        if weekday and rng.random() < 0.7:
            starts = [s for s in starts if s.astimezone(zone).hour >= 16] or starts
        rng.shuffle(starts)
        for start in starts[:6]:
            blocked = rules.blocked(start, start + length)
            if busy.free(blocked):
                return start, start + length
        return None


class _Busy:
    """A facility's blocked intervals, by UTC day (a long one is checked against every candidate)."""

    def __init__(self):
        self.days, self.long = defaultdict(list), []

    def add(self, blocked: Interval) -> None:
        if blocked.end - blocked.start > timedelta(hours=20):
            self.long.append(blocked)
        else:
            self.days[blocked.start.date()].append(blocked)

    def free(self, blocked: Interval) -> bool:
        day = blocked.start.date()
        near = self.long + [b for d in (-1, 0, 1) for b in self.days.get(day + timedelta(days=d), ())]
        return not any(b.start < blocked.end and blocked.start < b.end for b in near)
