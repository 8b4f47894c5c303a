"""The reservation e-mails carry the reservation as an .ics attachment.

A subscriber to domain events (booking.events.subscribe): the reservations domain publishes
what happened and queues its e-mails; this module, above it, adds the calendar file to
those e-mails, so reservations never know calendars exist. The contract it relies on:

- `event.action` is one of ATTACHED_ACTIONS;
- each e-mail about a reservation has `topic="reservation:<id>"` and is queued by `publish`
  in the same transaction, before subscribers run (notifications.services.queued_now finds it);
- the reservations the e-mail is about are `email.context["reservations"]` when given
  (a series' occurrences), else `event.subject` (a Reservation, a Series, or a list of them).

The attachment is METHOD:PUBLISH with the reservation's UID and SEQUENCE, so a calendar that
imported an earlier one updates the event (or removes it: STATUS:CANCELLED) instead of
adding a second one. It is in the recipient's language.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from booking.calendars import feeds, links
from booking.calendars.ics import write_calendar
from booking.database import utcnow
from booking.events import Event, subscribe
from booking.notifications.later import attachment_maker
from booking.notifications.services import attach, attach_later, queued_now
from booking.reservations.models import Reservation, Series

ATTACHED_ACTIONS = frozenset({"reservation.created", "reservation.submitted", "reservation.approved",
                              "reservation.changed", "reservation.cancelled"})
CONTENT_TYPE = "text/calendar; method=PUBLISH; charset=utf-8"


def _reservations(subject) -> list[Reservation]:
    if isinstance(subject, Reservation):
        return [subject]
    if isinstance(subject, Series):
        return list(subject.reservations)
    if isinstance(subject, (list, tuple)):
        return [r for item in subject for r in _reservations(item)]
    return []


def calendar_file(reservations: list[Reservation], *, locale: str | None = None) -> bytes:
    """The reservations as one calendar file, in `locale` (the site's default when None)."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        events = feeds.file_events(reservations, host=links.host(), now=utcnow(),
                                   reservation_link=links.reservation_link())
        return write_calendar(feeds.file_info(reservations[0]), events)


@subscribe
def attach_calendar(event: Event) -> None:
    if event.action not in ATTACHED_ACTIONS:
        return
    for email in event.emails:
        if not (email.topic or "").startswith("reservation:"):
            continue
        reservations = list(email.context.get("reservations") or _reservations(event.subject))
        if not reservations:
            continue
        filename = f"reservation-{reservations[0].id}.ics"
        for message in queued_now(email.topic):
            if message.to != email.to:
                continue
            if message.recipe is not None:  # written by the job: the file too
                attach_later(message, "calendar", reservations=reservations)
            elif not any(a.filename == filename for a in message.attachments):
                attach(message, filename, CONTENT_TYPE, calendar_file(reservations, locale=email.locale))


@attachment_maker("calendar")
def _calendar_later(arguments: dict, locale: str) -> tuple[str, str, bytes]:
    reservations = arguments["reservations"]
    return f"reservation-{reservations[0].id}.ics", CONTENT_TYPE, calendar_file(reservations, locale=locale)
