"""The pilot agreements' scheduled jobs (gathered by booking/jobs.py)."""
from __future__ import annotations

from booking.agreements import services
from booking.jobs import job
from booking.unit_of_work import transactional


@job("flag-overdue-agreements", 3600, "Escalate pilot proposals past their decision deadline (once each).")
@transactional
def flag_overdue_agreements():
    return services.flag_overdue()


@job("remind-agreements", 3600 * 6,
     "Remind pilot parties, once each: outcome report due within a week, insurance expiring within 14 days "
     "or before the pilot ends, pilot ending within a week, site to be removed and restored after its last day.")
@transactional
def remind_agreements():
    return services.send_reminders()
