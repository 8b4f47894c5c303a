"""How reservation use cases say what happened: one domain event per reservation (audited),
with the booker's e-mail (one for a whole series) riding on the first."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from booking.accounts.models import Role, User
from booking.errors import Message
from booking.events import Email, Event, publish
from booking.extensions import db
from booking.facilities.ruleset import RuleSet
from booking.reservations.models import Reservation, ReservationKind


def _booker_email(event: str, reservations: list[Reservation], now: datetime, **context) -> Email | None:
    first = reservations[0]
    if first.kind == ReservationKind.internal_block:
        return None
    booker = first.user
    if booker is not None and booker.active:
        to, locale, name = booker.email, booker.locale, booker.name
    else:
        to, locale, name = first.organisation.contact_email, None, first.organisation.name
    if not to:
        return None
    facility = first.facility
    ruleset = RuleSet.of(facility)
    return Email(to, Message(f"reservation.email.{event}", facility=facility.name), f"reservation_{event}",
                 locale=locale, topic=f"reservation:{first.id}",
                 context={"reservations": reservations, "reservation": first, "facility": facility,
                          "recipient_name": name, "tz": facility.timezone, "now": now,
                          "cancel_deadline": first.start_dt - ruleset.cancellation_deadline, **context})


def tell(action: str, reservations: list[Reservation], actor, *, now: datetime, email: str | None = None,
         before: dict | list[dict] | None = None, after: dict | list[dict] | None = None,
         email_context: dict | None = None) -> None:
    """Publish `reservation.<action>` for each reservation; `email` names the booker's message.

    `before` and `after` are one state for all, or a list with one per reservation; the
    status is always part of `after`."""
    if not reservations:
        return
    mail = _booker_email(email, reservations, now, **(email_context or {})) if email else None
    befores = before if isinstance(before, list) else [before] * len(reservations)
    afters = after if isinstance(after, list) else [after or {}] * len(reservations)
    for index, (reservation, earlier, later) in enumerate(zip(reservations, befores, afters)):
        publish(Event(f"reservation.{action}", reservation, actor=actor,
                      department_id=reservation.facility.department_id, before=earlier,
                      after={"status": reservation.status, **later},
                      emails=[mail] if mail is not None and index == 0 else []))
    db.session.flush()


def escalation_emails(reservation: Reservation) -> list[Email]:
    """The overdue request, to the city's admins and the department's contact address."""
    admins = db.session.scalars(select(User).where(User.role == Role.admin, User.active.is_(True)))
    recipients = {admin.email: admin.locale for admin in admins}
    facility = reservation.facility
    if facility.department.contact_email:
        recipients.setdefault(facility.department.contact_email.lower(), None)
    return [Email(to, Message("reservation.email.overdue", facility=facility.name), "reservation_overdue",
                  locale=locale, topic=f"reservation:{reservation.id}",
                  context={"reservation": reservation, "reservations": [reservation], "facility": facility,
                           "tz": facility.timezone})
            for to, locale in recipients.items()]
