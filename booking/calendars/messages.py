"""Wording of the calendars domain: its error codes, and the words feeds and calendar files use."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.formatting import register

register({
    "calendars.kind_unknown": _l("There is no calendar of that kind. Choose facility, organisation, user or manager."),
    "calendars.kind_unavailable": _l("Calendars of this kind are not available yet."),
    "calendars.target_required": _l("Say which one the calendar follows (target_id)."),
    "calendars.target_not_found": _l("There is nothing of that kind with this id that you may follow."),
    "calendars.feed_not_found": _l("There is no such calendar feed among yours."),
    "calendars.feed_revoked": _l("This calendar feed is revoked; create a new one instead."),
    "calendars.too_many": _l("You have %(limit)s active calendar feeds, the most one person may have. "
                             "Revoke one you no longer use."),
    "calendars.not_allowed": _l("Only the feed's owner can make a new address for it."),
})

# What each kind of feed is called in lists and what a client names the calendar.
KIND_LABELS = {
    "facility": _l("Facility, busy times only"),
    "organisation": _l("Organisation's reservations"),
    "user": _l("My reservations"),
    "manager": _l("Requests and reservations I manage"),
    "agreement": _l("Pilot agreement"),
}
CALENDAR_NAMES = {
    "facility": _l("%(name)s: busy times"),
    "organisation": _l("%(name)s: reservations"),
    "user": _l("%(name)s: reservations"),
    "manager": _l("%(name)s: requests and reservations"),
    "agreement": _l("%(name)s: pilot reservations"),
}
ALL_DEPARTMENTS = _l("All departments I manage")

# The words inside events.
BUSY = _l("Reserved")
STATUS_WORDS = {
    "held": _l("on hold"),
    "pending": _l("awaiting decision"),
    "confirmed": _l("confirmed"),
    "completed": _l("completed"),
    "no_show": _l("not shown up"),
    "cancelled": _l("cancelled"),
    "rejected": _l("declined"),
}
STATUS_LINE = _l("Status: %(status)s")
ORGANISATION_LINE = _l("Organisation: %(name)s")
BOOKER_LINE = _l("Booked by: %(name)s")
ATTENDEES_LINE = _l("Expected attendees: %(num)s")
INTERNAL_LINE = _l("Internal block (no organisation)")
DETAILS_LINE = _l("Details: %(link)s")
