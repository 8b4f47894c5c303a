"""From reservations to calendar events, in the reader's language.

A feed reads plain rows (`services.feed_rows`: a reservation's columns with its facility's,
never ORM objects, which cost far more than the text for 10,000 events); a reservation's own
file reads the objects. The words an event uses are rendered once per calendar (`Words`),
the facility's place once per facility, so an event costs a few string joins.

Series are written expanded: each occurrence is a reservation with its own id, status,
time and sequence, so it is its own VEVENT. An RRULE with EXDATEs and RECURRENCE-ID
overrides would say the same in fewer lines, but an occurrence moved, declined or cancelled
on its own is exactly where clients disagree, and a client that misreads one exception
shows a wrong time; expanded events leave nothing to interpret.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from booking.calendars import messages as m
from booking.calendars import rules
from booking.calendars.ics import CalendarInfo, FeedEvent

Link = Callable[[object], str]  # a reservation id (or a facility slug) → absolute URL


class Words:
    """The words of events, rendered once in the current language."""

    def __init__(self):
        self.busy = str(m.BUSY)
        self.status = {status: str(m.STATUS_LINE) % {"status": word} for status, word in m.STATUS_WORDS.items()}
        self.organisation = str(m.ORGANISATION_LINE)
        self.booker = str(m.BOOKER_LINE)
        self.attendees = str(m.ATTENDEES_LINE)
        self.internal = str(m.INTERNAL_LINE)
        self.details = str(m.DETAILS_LINE)

    def description(self, *, status: str, organisation: str | None, booker: str | None, attendees: int,
                    internal: bool, link: str) -> str:
        lines = [self.status[status]]
        if internal:
            lines.append(self.internal)
        elif organisation:
            lines.append(self.organisation % {"name": organisation})
        if booker:
            lines.append(self.booker % {"name": booker})
        if attendees:
            lines.append(self.attendees % {"num": attendees})
        lines.append(self.details % {"link": link})
        return "\n".join(lines)


@dataclass(frozen=True)
class Place:
    location: str
    geo: tuple[float, float] | None


def _place(name: str, address: str, latitude: float | None, longitude: float | None) -> Place:
    geo = (latitude, longitude) if latitude is not None and longitude is not None else None
    return Place(", ".join(p for p in (name, address) if p), geo)


def summary(title: str, facility_name: str) -> str:
    return f"{title} – {facility_name}"


def calendar_name(kind: str, target_name: str) -> str:
    return str(m.CALENDAR_NAMES[kind]) % {"name": target_name}


def feed_info(kind: str, target_name: str) -> CalendarInfo:
    return CalendarInfo(name=calendar_name(kind, target_name), refresh_minutes=rules.REFRESH_MINUTES)


def feed_events(rows: Iterable, *, public: bool, host: str, now: datetime, reservation_link: Link,
                facility_link: Link) -> list[FeedEvent]:
    """Events of a feed's rows (see `services.feed_rows` for their columns). A public feed
    shows only the blocked time, buffers included, as "Reserved" with the facility's place."""
    words = Words()
    places: dict[int, Place] = {}
    events = []
    for row in rows:
        status = row.status
        shown = rules.shown_status(status, row.updated_dt, now)
        if shown is None:
            continue
        place = places.get(row.facility_id)
        if place is None:
            place = places[row.facility_id] = _place(row.facility_name, row.address, row.latitude, row.longitude)
        if public:
            events.append(FeedEvent(
                uid=f"busy-{row.id}@{host}", start=row.blocked_start_dt, end=row.blocked_end_dt, tzid=row.timezone,
                summary=words.busy, status=shown, sequence=row.sequence, stamp=row.updated_dt,
                modified=row.updated_dt, location=place.location, geo=place.geo,
                url=facility_link(row.slug)))
            continue
        link = reservation_link(row.id)
        events.append(FeedEvent(
            uid=f"reservation-{row.id}@{host}", start=row.start_dt, end=row.end_dt, tzid=row.timezone,
            summary=summary(row.title, row.facility_name), status=shown, sequence=row.sequence,
            stamp=row.updated_dt, modified=row.updated_dt, created=row.requested_dt,
            description=words.description(status=status, organisation=row.organisation_name,
                                          booker=row.booker_name, attendees=row.attendees,
                                          internal=row.reservation_kind == "internal_block", link=link),
            location=place.location, geo=place.geo, url=link))
    return events


def file_events(reservations: Iterable, *, host: str, now: datetime, reservation_link: Link) -> list[FeedEvent]:
    """A reservation's own calendar file (a download, an e-mail attachment): every given
    reservation in full, whatever its status (a cancelled one says CANCELLED, so the
    client removes the event it has)."""
    words = Words()
    events = []
    for r in reservations:
        facility = r.facility
        place = _place(facility.name, facility.address, facility.latitude, facility.longitude)
        link = reservation_link(r.id)
        status = r.status.value
        events.append(FeedEvent(
            uid=f"reservation-{r.id}@{host}", start=r.start_dt, end=r.end_dt, tzid=facility.timezone,
            summary=summary(r.title, facility.name), status=rules.ICS_STATUS[status], sequence=r.sequence or 0,
            stamp=now, modified=r.updated_dt or now, created=r.requested_dt,
            description=words.description(status=status, organisation=r.organisation.name if r.organisation else None,
                                          booker=r.user.name if r.user else None, attendees=r.attendees or 0,
                                          internal=r.kind.value == "internal_block", link=link),
            location=place.location, geo=place.geo, url=link))
    return events


def file_info(reservation) -> CalendarInfo:
    return CalendarInfo(name=summary(reservation.title, reservation.facility.name))
