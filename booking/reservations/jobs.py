"""The reservations domain's scheduled jobs (gathered by booking/jobs.py). Each claims its
reservations with a conditional update, so a second run finds nothing left to do."""
from __future__ import annotations

from flask import current_app

from booking.jobs import job
from booking.reservations import services
from booking.unit_of_work import transactional


@job("expire-holds", 60, "Cancel reservation holds past their expiry, freeing their time.")
@transactional
def expire_holds():
    return services.expire_holds()


@job("complete-finished", 300, "Mark confirmed reservations that have ended as completed.")
@transactional
def complete_finished():
    return services.complete_finished()


@job("flag-overdue", 900, "Escalate pending requests past their decision deadline (once each).")
@transactional
def flag_overdue():
    return services.flag_overdue()


@job("anonymise-old-reservations", cron="45 3 * * *",
     description="Remove who booked and why (person, title, purpose, answers, reasons, notes) from bookings that "
                 "ended more than RETENTION_MONTHS ago; statistics keep what they count.")
@transactional
def anonymise_old_reservations():
    return services.anonymise_old(current_app.config["RETENTION_MONTHS"])


@job("remind-reservations", 900, "Remind bookers before each confirmed reservation (24 h or their choice), once each.")
@transactional
def remind_reservations():
    return services.send_reminders()


@job("warn-deadlines", 900, "Tell managers, once each, of requests less than a day from their decision deadline.")
@transactional
def warn_deadlines():
    return services.warn_deadlines()


@job("digest-requests", 3600, "Send the daily digest of new requests to managers who chose it (from 7:00).")
@transactional
def digest_requests():
    return services.send_request_digests()
