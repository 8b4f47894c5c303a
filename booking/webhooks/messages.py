"""Wording of the webhooks domain: its error codes and the names of its events and statuses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.formatting import register

register({
    "webhooks.not_found": _l("There is no such webhook among yours."),
    "webhooks.delivery_not_found": _l("There is no such delivery of this webhook."),
    "webhooks.not_allowed": _l("Only members of the organisation can manage its webhooks, and only admins "
                               "city-wide ones."),
    "webhooks.organisation_not_found": _l("There is no such organisation."),
    "webhooks.events_required": _l("Choose at least one event."),
    "webhooks.event_unknown": _l("There is no event called %(name)s."),
    "webhooks.https_required": _l("The address must begin with https://."),
    "webhooks.url_not_public": _l("The address is not on the public internet."),
    "webhooks.url_invalid": _l("It is not a web address we can send to: %(reason)s."),
    "webhooks.url_too_long": _l("The address may be at most %(limit)s characters long."),
    "webhooks.too_many": _l("There are already %(limit)s webhooks here, the most allowed. Delete one you no "
                            "longer use."),
    "webhooks.delivery_failed": _l("Not delivered: %(reason)s."),
    "webhooks.still_sending": _l("This delivery is being sent right now; try again in a moment."),
})

EVENT_LABELS = {
    "reservation.created": _l("Reservation created"),
    "reservation.confirmed": _l("Reservation confirmed"),
    "reservation.cancelled": _l("Reservation cancelled"),
    "reservation.changed": _l("Reservation changed"),
    "agreement.state_changed": _l("Pilot agreement's state changed"),
}
STATUS_LABELS = {
    "pending": _l("Waiting"),
    "sending": _l("Sending"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
}
