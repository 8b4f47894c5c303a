"""Demo reservations: three months of history, the coming weeks, requests waiting for a
decision (some overdue), a weekly series for the youth association, a four-week pilot for
Nordic Sensors on a public space, and managers' internal blocks.

Everything goes through the reservation services (with `now` set to when each booking was
made), so every rule holds. It runs once: an audit event marks the demo as seeded, and a
second run does nothing. Without published facilities it does nothing either. No e-mails
are queued while seeding.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from booking.accounts.models import Membership, Organisation, Role, User
from booking.audit.models import AuditEvent
from booking.audit.services import record
from booking.database import utcnow
from booking.errors import DomainError
from booking.events import notifications_suppressed
from booking.extensions import db
from booking.facilities.availability import local_instant
from booking.facilities.models import ApprovalPolicy, Facility, FacilityStatus
from booking.facilities.ruleset import RuleSet
from booking.reservations import services
from booking.reservations.models import ReservationStatus as S
from booking.unit_of_work import unit_of_work

MARKER = "reservation.demo_seeded"
YOUTH = "Kuusilahti Youth Association ry"
SENSORS = "Nordic Sensors Oy"
PILOT_SPACES = ("kavelykatu-pilot-zone", "satama-harbour-quay-testbed")
YOUTH_HALLS = ("jarvenranta-youth-centre-hall", "mantyla-community-house")
# (facility, title, days from today, (from, to) local hours)
BLOCKS = (("sports-hall-court-a", "Floor maintenance", 3, (7, 12)),
          ("kauppatori-market-square", "City festival set-up", 10, (6, 14)),
          ("innovation-hub-pitch-room", "City council workshop", 5, (9, 12)))
TITLES = {
    "meeting_room": ["Team planning", "Board meeting", "Customer workshop", "Study circle"],
    "venue": ["Members' evening", "Product launch", "Public talk", "Seminar"],
    "sports": ["Floorball practice", "Company sports evening", "Junior training"],
    "recreational": ["Club evening", "Band rehearsal", "Sauna evening"],
    "workshop": ["Prototype build", "Repair café", "Maker club"],
    "lab": ["Test campaign", "Course practical", "Measurement session"],
}


def load(demo_dir: Path) -> str:
    # No browser asks: texts are in the default language.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _load()


def _load() -> str:
    if db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == MARKER).limit(1)):
        return "already seeded"
    facilities = list(db.session.scalars(select(Facility).where(Facility.status == FacilityStatus.published)
                                         .order_by(Facility.slug)))
    bookers = list(db.session.execute(select(User, Organisation).join(Membership, Membership.user_id == User.id)
                                      .join(Organisation).where(User.role == Role.member)
                                      .order_by(User.email, Organisation.name)))
    if not facilities or not bookers:
        return "no published facilities or members yet; nothing to seed"
    seeder = _Seeder(facilities, [tuple(row) for row in bookers])
    with notifications_suppressed():
        seeder.history(weeks=12)
        seeder.upcoming(weeks=8)
        seeder.waiting_for_decisions()
        seeder.youth_series()
        seeder.sensor_pilot()
        seeder.internal_blocks()
    with unit_of_work():
        record(MARKER, object_type="system", after=dict(seeder.made))
    return ", ".join(f"{count} {what}" for what, count in seeder.made.items()) or "nothing could be booked"


def _attempt(use_case, *args, **kwargs):
    """Run one use case in its own unit of work; None if the rules refuse it (the demo moves on)."""
    try:
        with unit_of_work():
            return use_case(*args, **kwargs)
    except DomainError:
        return None


class _Seeder:
    def __init__(self, facilities: list[Facility], bookers: list[tuple[User, Organisation]]):
        self.rng = random.Random(2026)
        self.now = utcnow()
        self.facilities = facilities
        self.bookers = bookers
        # Ordinary bookings go to facilities booked by the hour, not to the pilot testbeds.
        self.hourly = [f for f in facilities if RuleSet.of(f).slot < timedelta(days=1) and f.category in TITLES]
        self.made: dict[str, int] = {}

    def count(self, what: str, number: int = 1) -> None:
        self.made[what] = self.made.get(what, 0) + number

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _answers(facility: Facility) -> dict:
        answers = {}
        for question in facility.questions:
            if question.active:
                answers[str(question.id)] = {"yes_no": "no", "choice": (question.choices or [""])[0]}.get(
                    question.kind.value, "Our trained team lead supervises; induction done last year.")
        return answers

    @staticmethod
    def _duration(facility: Facility, hours: int) -> timedelta:
        ruleset = RuleSet.of(facility)
        length = max(ruleset.min_duration, timedelta(hours=hours))
        if ruleset.max_duration:
            length = min(length, ruleset.max_duration)
        return length - length % ruleset.slot

    def _manager(self, facility: Facility) -> User | None:
        managers = facility.department.managers
        if managers:
            return managers[0]
        return db.session.scalar(select(User).where(User.role == Role.admin).limit(1))

    def _first(self, slugs) -> Facility | None:
        """The first of these facilities that the demo has."""
        return next((f for slug in slugs for f in self.facilities if f.slug == slug), None)

    def _booker(self, name: str | None = None) -> tuple[User, Organisation] | None:
        if name is None:
            return self.rng.choice(self.bookers)
        return next(((u, o) for u, o in self.bookers if o.name == name), None)

    def book(self, facility: Facility, day: date, hours: int, booked_at: datetime, who=None):
        """One reservation on `day` at a free start the rules allow, or None."""
        user, organisation = who or self._booker()
        duration = self._duration(facility, hours)
        starts = services.bookable_start_times(facility, day, duration, now=booked_at)
        if not starts:
            return None
        start = self.rng.choice(starts)
        return _attempt(services.create_reservation,
                        user, facility, organisation, start, start + duration, now=booked_at, accept_terms=True,
                        title=self.rng.choice(TITLES.get(facility.category, ["Meeting"])),
                        answers=self._answers(facility), attendees=min(facility.capacity or 10, self.rng.randint(4, 30)))

    @staticmethod
    def _booked_before(facility: Facility, day: date, days_ahead: int) -> datetime:
        """When a booking for `day` was made: `days_ahead` before it, within the notice and advance rules."""
        ruleset = RuleSet.of(facility)
        day_start = local_instant(day, time(0), ZoneInfo(facility.timezone))
        lead = max(timedelta(days=days_ahead), ruleset.min_notice + timedelta(days=1))
        return day_start - min(lead, ruleset.max_advance - timedelta(days=1))

    def _decide(self, reservation, at: datetime, approve: bool = True) -> None:
        manager = self._manager(reservation.facility)
        if reservation.status != S.pending or manager is None or at >= reservation.end_dt:
            return
        if approve:
            _attempt(services.approve, manager, reservation, now=at)
        else:
            _attempt(services.reject, manager, reservation, "The facility is reserved for a city event that day.",
                     now=at)

    def _today(self, facility: Facility) -> date:
        return self.now.astimezone(ZoneInfo(facility.timezone)).date()

    # --- the parts of the demo ------------------------------------------------------------

    def history(self, weeks: int) -> None:
        """Past reservations: decided, then mostly completed, some no-shows and cancellations."""
        for week in range(weeks, 0, -1):
            for _ in range(6):
                facility = self.rng.choice(self.hourly)
                day = self._today(facility) - timedelta(weeks=week) + timedelta(days=self.rng.randint(0, 6))
                reservation = self.book(facility, day, self.rng.choice([1, 2, 3]),
                                        self._booked_before(facility, day, self.rng.randint(3, 20)))
                if reservation is None:
                    continue
                self._decide(reservation, reservation.requested_dt + timedelta(hours=self.rng.randint(2, 40)),
                             approve=self.rng.random() > 0.15)
                roll = self.rng.random()
                if reservation.status == S.confirmed and roll < 0.1:
                    _attempt(services.cancel, reservation.user, reservation, reason="Plans changed",
                             now=reservation.requested_dt + timedelta(hours=1))
                elif reservation.status == S.confirmed and roll < 0.15:
                    _attempt(services.mark_no_show, self._manager(facility), reservation,
                             now=reservation.start_dt + timedelta(minutes=30))
                elif reservation.status == S.confirmed:
                    _attempt(services.complete, reservation, now=reservation.end_dt)
                self.count("past reservations")

    def upcoming(self, weeks: int) -> None:
        """The coming weeks, booked over the last few days."""
        for _ in range(weeks * 5):
            facility = self.rng.choice(self.hourly)
            day = self._today(facility) + timedelta(days=self.rng.randint(1, weeks * 7))
            booked_at = self.now - timedelta(days=self.rng.randint(0, 4), hours=self.rng.randint(0, 8))
            reservation = self.book(facility, day, self.rng.choice([1, 2, 3]), booked_at)
            if reservation is None:
                continue
            if self.rng.random() < 0.5:
                self._decide(reservation, min(self.now, booked_at + timedelta(hours=5)))
            self.count("upcoming reservations")

    def waiting_for_decisions(self) -> None:
        """Requests at manual-approval facilities; the older ones have passed their deadline."""
        manual = [f for f in self.hourly if f.rules and f.rules.approval_policy == ApprovalPolicy.manual]
        for number, facility in enumerate(manual * 2):
            overdue = number < len(manual)
            booked_at = self.now - timedelta(days=9 if overdue else 1)
            day = self._today(facility) + timedelta(days=self.rng.randint(6, 30))
            reservation = self.book(facility, day, 3, self._latest(booked_at, facility, day))
            if reservation is not None and reservation.status == S.pending:
                self.count("overdue requests" if reservation.is_overdue(self.now) else "pending requests")

    def _latest(self, booked_at: datetime, facility: Facility, day: date) -> datetime:
        # Never booked later than the notice rule allows for that day.
        return min(booked_at, self._booked_before(facility, day, 0))

    def youth_series(self) -> None:
        """Tuesday evenings for the youth association, with weeks that cannot be booked skipped."""
        who = self._booker(YOUTH)
        facility = self._first(YOUTH_HALLS)
        if who is None or facility is None:
            return
        zone = ZoneInfo(facility.timezone)
        day = self._today(facility) + timedelta(days=2)
        day += timedelta(days=(1 - day.weekday()) % 7)  # the next Tuesday
        start, end = local_instant(day, time(17), zone), local_instant(day, time(19), zone)
        rule = "FREQ=WEEKLY;COUNT=12"
        try:
            preview = services.preview_series(who[0], facility, who[1], start, end, rule)
        except DomainError:
            return
        skip = [o.date for o in preview.occurrences if not o.ok]
        series = _attempt(services.create_series, who[0], facility, who[1], start, end, rule, skip=skip,
                          title="Youth club evening", attendees=25, accept_terms=True,
                          answers=self._answers(facility))
        if series is None:
            return
        self.count("series occurrences", len(series.reservations))

    def sensor_pilot(self) -> None:
        """Four weeks of air-quality sensors on a public space, approved by its manager."""
        who = self._booker(SENSORS)
        facility = self._first(PILOT_SPACES)
        if who is None or facility is None:
            return
        zone = ZoneInfo(facility.timezone)
        first = self._today(facility) + RuleSet.of(facility).min_notice + timedelta(days=7)
        for offset in range(0, 60, 7):
            day = first + timedelta(days=offset)
            start, end = local_instant(day, time(0), zone), local_instant(day + timedelta(weeks=4), time(0), zone)
            if not services.check_booking(who[0], facility, who[1], start, end).ok:
                continue
            pilot = _attempt(services.create_reservation,
                             who[0], facility, who[1], start, end, title="Air-quality sensor pilot", attendees=3,
                             purpose="Twelve street-level sensors measuring particulates and noise.",
                             accept_terms=True, answers=self._answers(facility))
            if pilot is None:
                continue
            self._decide(pilot, self.now)
            self.count("multi-week pilots")
            return

    def internal_blocks(self) -> None:
        """Maintenance and city use, entered by the facilities' managers."""
        for slug, title, days, hours in BLOCKS:
            facility = self._first([slug])
            manager = self._manager(facility) if facility else None
            if manager is None:
                continue
            zone = ZoneInfo(facility.timezone)
            day = self._today(facility) + timedelta(days=days)
            if _attempt(services.create_internal_block, manager, facility,
                        local_instant(day, time(hours[0]), zone), local_instant(day, time(hours[1]), zone),
                        title=title, internal_note="Entered by the demo seed.") is None:
                continue
            self.count("internal blocks")
