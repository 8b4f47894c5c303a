"""The facilities' scheduled jobs (gathered by booking/jobs.py)."""
from __future__ import annotations

from booking.facilities import calendar_sync
from booking.jobs import job


@job("refresh-closure-calendars", 6 * 3600,
     "Refresh the closures of facilities kept in sync with a calendar address (each in its own unit of work).")
def refresh_closure_calendars():
    return calendar_sync.refresh_all()
