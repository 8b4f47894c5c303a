"""How reservation use cases say what happened: one domain event per reservation (audited),
with the booker's e-mail (one for a whole series) and the managers' (a new request, a
confirmed reservation cancelled) riding on the first."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from booking.accounts.models import Role, User
from booking.content import InReadersLanguage
from booking.errors import Message
from booking.events import Email, Event, publish
from booking.extensions import db
from booking.facilities.ruleset import RuleSet
from booking.reservations.models import Reservation, ReservationKind, ReservationStatus

# Decisions on one's own request always go; the rest is optional when the booker did it (or
# nobody did: the rules, a job), and required when someone else did.
DECISIONS = frozenset({"approved", "rejected", "returned", "no_show"})


def _booker_email(event: str, reservations: list[Reservation], now: datetime, actor=None,
                  send_after: datetime | None = None, **context) -> Email | None:
    first = reservations[0]
    if first.kind == ReservationKind.internal_block:
        return None
    booker = first.user
    if booker is not None and booker.active:
        to, locale, name, user_id = booker.email, booker.locale, booker.name, booker.id
    else:
        to, locale, name, user_id = first.organisation.contact_email, None, first.organisation.name, None
    if not to:
        return None
    by_someone_else = getattr(actor, "id", None) not in (None, user_id)
    facility = first.facility
    ruleset = RuleSet.of(facility)
    return Email(to, Message(f"reservation.email.{event}", facility=InReadersLanguage(facility, "name")), f"reservation_{event}",
                 locale=locale, topic=f"reservation:{first.id}", user_id=user_id,
                 kind=None if event in DECISIONS or by_someone_else else "receipts",
                 link=f"/reservations/{first.id}", send_after=send_after, later=True,
                 context={"reservations": reservations, "reservation": first, "facility": facility,
                          "recipient_name": name, "tz": facility.timezone, "now": now,
                          "cancel_deadline": first.start_dt - ruleset.cancellation_deadline, **context})


def department_managers(facility, *, but=None) -> list[User]:
    """The active managers of the facility's department (except `but`, who acted)."""
    return [m for m in facility.department.managers
            if m.active and m.role == Role.facility_manager and m.id != getattr(but, "id", None)]


def manager_emails(event: str, kind: str, reservations: list[Reservation], actor=None, *, link: str,
                   **context) -> list[Email]:
    """One message to each manager of the department about `reservations` (of one facility)."""
    if not reservations:
        return []
    first = reservations[0]
    facility = first.facility
    return [Email.to_person(manager, Message(f"reservation.email.{event}", facility=InReadersLanguage(facility, "name")),
                            f"manager_{event}", topic=f"request:{first.id}", kind=kind, link=link, later=True,
                            context={"reservations": reservations, "reservation": first, "facility": facility,
                                     "recipient_name": manager.name, "tz": facility.timezone, **context})
            for manager in department_managers(facility, but=actor)]


def _manager_emails(action: str, reservations: list[Reservation], actor, befores: list) -> list[Email]:
    first = reservations[0]
    if first.kind == ReservationKind.internal_block:
        return []
    if action in ("created", "submitted", "changed") and first.status == ReservationStatus.pending \
            and first.held_for is None:   # a changed time that needs approval is a request to decide again
        return manager_emails("new_request", "new_request", reservations, actor,
                              link=f"/reservations/{first.id}/decide", changed=action == "changed")
    if action == "cancelled":
        confirmed = [r for r, before in zip(reservations, befores)
                     if (before or {}).get("status") == ReservationStatus.confirmed]
        return manager_emails("cancellation", "cancellation", confirmed, actor,
                              link=f"/reservations/{confirmed[0].id}" if confirmed else "")
    return []


def tell(action: str, reservations: list[Reservation], actor, *, now: datetime, email: str | None = None,
         before: dict | list[dict] | None = None, after: dict | list[dict] | None = None,
         email_context: dict | None = None, send_after: datetime | None = None) -> None:
    """Publish `reservation.<action>` for each reservation; `email` names the booker's message,
    held back until `send_after` if given (a change that may still be undone).

    `before` and `after` are one state for all, or a list with one per reservation; the
    status is always part of `after`."""
    if not reservations:
        return
    mail = (_booker_email(email, reservations, now, actor, send_after, **(email_context or {}))
            if email else None)
    befores = before if isinstance(before, list) else [before] * len(reservations)
    afters = after if isinstance(after, list) else [after or {}] * len(reservations)
    first_emails = ([mail] if mail is not None else []) + _manager_emails(action, reservations, actor, befores)
    for index, (reservation, earlier, later) in enumerate(zip(reservations, befores, afters)):
        publish(Event(f"reservation.{action}", reservation, actor=actor,
                      department_id=reservation.facility.department_id, before=earlier,
                      after={"status": reservation.status, **later},
                      emails=first_emails if index == 0 else []))
    db.session.flush()


def escalation_emails(reservation: Reservation) -> list[Email]:
    """The overdue request, to the city's admins and the department's contact address."""
    admins = db.session.scalars(select(User).where(User.role == Role.admin, User.active.is_(True)))
    recipients = {admin.email: admin.locale for admin in admins}
    facility = reservation.facility
    if facility.department.contact_email:
        recipients.setdefault(facility.department.contact_email.lower(), None)
    return [Email(to, Message("reservation.email.overdue", facility=InReadersLanguage(facility, "name")), "reservation_overdue",
                  locale=locale, topic=f"reservation:{reservation.id}",
                  context={"reservation": reservation, "reservations": [reservation], "facility": facility,
                           "tz": facility.timezone})
            for to, locale in recipients.items()]
