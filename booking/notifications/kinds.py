"""The optional messages a person can turn off on their profile. Every other message is
required (a password reset, a decision on one's own request) and always goes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# For the facility managers of a department.
MANAGER = {
    "new_request": _l("New requests in my departments"),
    "deadline": _l("Requests nearing their decision deadline"),
    "cancellation": _l("Cancellations of confirmed reservations in my departments"),
    "closure": _l("Closures that land on reservations in my departments"),
}
# For everyone who books.
BOOKER = {
    "receipts": _l("Receipts of my own bookings, changes and cancellations"),
    "reminder": _l("A reminder before each reservation"),
    "invoice": _l("Invoices issued to my organisations"),
}
OPTIONAL = {**MANAGER, **BOOKER}
REMINDER_HOURS = (1, 2, 6, 12, 24, 48, 72, 168)
DEFAULT_REMINDER_HOURS = 24
