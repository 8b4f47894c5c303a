"""What managers and bookers are told by the clock (the scheduler's jobs) and when a closure
lands on bookings. Each thing is told once: a sent-marker row is claimed in the same unit of
work as the message it causes (booking.notifications.services.claim_once), so running a job
again, or in two processes at once, never tells anyone twice.

    send_reminders(now=None) -> int          # bookers: before each confirmed reservation
    warn_deadlines(now=None) -> int          # managers: pending requests nearing their deadline
    send_request_digests(now=None) -> int    # managers who chose a daily digest of new requests
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.accounts.models import Role, User
from booking.errors import Message
from booking.events import Email, Event, publish, subscribe
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.ruleset import RuleSet
from booking.notifications.kinds import REMINDER_HOURS
from booking.notifications.services import claim_once, settings_for
from booking.reservations import rules
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus
from booking.reservations.services.notify import department_managers, manager_emails
from booking.reservations.services.queries import now_or, reservations_in_closures

S = ReservationStatus
DEADLINE_WARNING = timedelta(hours=24)  # how long before its decision deadline a request is "near"
DIGEST_HOUR = 7                         # local time (DEFAULT_TIMEZONE) from which the day's digest goes
DIGEST_LOOKBACK = timedelta(days=7)     # a digest lists requests made at most this long ago


def send_reminders(now: datetime | None = None) -> int:
    """Remind each booker of a confirmed reservation their chosen hours before it starts (24 by
    default), unless it was booked after that point. Returns how many were sent."""
    now = now_or(now)
    found = db.session.scalars(
        select(Reservation).where(Reservation.status == S.confirmed, Reservation.kind == ReservationKind.booking,
                                  Reservation.user_id.is_not(None), Reservation.start_dt > now,
                                  Reservation.start_dt <= now + timedelta(hours=max(REMINDER_HOURS)))
        .options(selectinload(Reservation.user), selectinload(Reservation.facility))
        .order_by(Reservation.start_dt, Reservation.id))
    sent = 0
    for reservation in found:
        booker = reservation.user
        remind_at = reservation.start_dt - timedelta(hours=settings_for(booker.id).reminder_hours)
        if not booker.active or now < remind_at or reservation.requested_dt >= remind_at:
            continue
        if not claim_once(f"reminder:{reservation.id}:{reservation.start_dt.isoformat()}"):
            continue  # told already, or another process is telling now
        facility = reservation.facility
        publish(Event("reservation.reminded", reservation, audited=False, department_id=facility.department_id,
                      emails=[Email.to_person(
                          booker, Message("reservation.email.reminder", facility=facility.name),
                          "reservation_reminder", topic=f"reminder:{reservation.id}", kind="reminder",
                          link=f"/reservations/{reservation.id}",
                          context={"reservations": [reservation], "reservation": reservation, "facility": facility,
                                   "recipient_name": booker.name, "tz": facility.timezone, "now": now,
                                   "check_in_opens": reservation.start_dt - rules.CHECK_IN_EARLY,
                                   "cancel_deadline": reservation.start_dt - RuleSet.of(facility).cancellation_deadline})]))
        sent += 1
    db.session.flush()
    return sent


def _inbox_requests(condition) -> list[Reservation]:
    return list(db.session.scalars(
        select(Reservation).where(Reservation.status == S.pending, Reservation.held_for.is_(None),
                                  Reservation.kind == ReservationKind.booking, condition)
        .options(selectinload(Reservation.facility).selectinload(Facility.department),
                 selectinload(Reservation.organisation))
        .order_by(Reservation.decision_deadline_dt, Reservation.start_dt, Reservation.id)))


def _by_manager(reservations: list[Reservation]) -> dict[User, list[Reservation]]:
    grouped: dict[User, list[Reservation]] = defaultdict(list)
    for reservation in reservations:
        for manager in department_managers(reservation.facility):
            grouped[manager].append(reservation)
    return grouped


def _list_email(manager: User, event: str, kind: str | None, reservations: list[Reservation], link: str) -> Email:
    email = Email.to_person(manager, Message(f"reservation.email.{event}"), f"manager_{event}",
                            topic=f"manager:{manager.id}", kind=kind, link=link,
                            context={"reservations": reservations, "recipient_name": manager.name})
    if event == "digest":
        email.user_id = None  # each request was listed in the app when it came
    return email


def warn_deadlines(now: datetime | None = None) -> int:
    """Tell the managers of each pending request once when its decision deadline is less than
    DEADLINE_WARNING away: one message per manager listing theirs. Returns how many requests."""
    now = now_or(now)
    near = [r for r in _inbox_requests(Reservation.decision_deadline_dt.between(now, now + DEADLINE_WARNING))
            if claim_once(f"deadline:{r.id}:{r.decision_deadline_dt.isoformat()}")]
    emails = [_list_email(manager, "deadline", "deadline", mine, "/reservations/inbox")
              for manager, mine in _by_manager(near).items()]
    if emails:
        publish(Event("reservation.deadlines_near", None, audited=False, emails=emails))
    return len(near)


def send_request_digests(now: datetime | None = None) -> int:
    """Once a day (from DIGEST_HOUR, city time) send each manager who chose a digest the pending
    requests made since their last one. Returns how many digests were sent."""
    now = now_or(now)
    local = now.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    if local.hour < DIGEST_HOUR:
        return 0
    managers = [m for m in db.session.scalars(select(User).where(User.role == Role.facility_manager,
                                                                 User.active.is_(True)))
                if wants_digest(m.id)]
    if not managers:
        return 0
    recent = _inbox_requests(Reservation.requested_dt >= now - DIGEST_LOOKBACK)
    sent = 0
    for manager in managers:
        mine = [r for r in recent if r.facility.department_id in manager.department_ids]
        if not mine or not claim_once(f"digest:{manager.id}:{local.date().isoformat()}"):
            continue
        mine = [r for r in mine if claim_once(f"digest:{manager.id}:{r.id}")]
        if mine:
            publish(Event("reservation.digest", None, audited=False,
                          emails=[_list_email(manager, "digest", None, mine, "/reservations/inbox")]))
            sent += 1
    db.session.flush()
    return sent


def wants_digest(user_id: int) -> bool:
    settings = settings_for(user_id)
    return settings.request_digest and "new_request" not in settings.muted_kinds


@subscribe
def tell_of_closures(event: Event) -> None:
    """A closure added or imported that lands on pending or confirmed bookings: the department's
    managers (but the one who added it) are told of each booking once."""
    if event.action not in ("facility.closure_added", "facility.closures_imported"):
        return
    facility = event.subject
    db.session.flush()
    conflicts = [(closure, hit) for closure, found in reservations_in_closures(facility)
                 if (hit := [r for r in found if claim_once(f"closure:{closure.id}:{r.id}")])]
    if not conflicts:
        return
    reservations = [r for _closure, found in conflicts for r in found]
    publish(Event("reservation.closure_conflicts", facility, audited=False, emails=manager_emails(
        "closure", "closure", reservations, event.actor, link=f"/manage/{facility.id}/closures",
        conflicts=conflicts)))
