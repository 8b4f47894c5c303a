"""The statistics' scheduled jobs (gathered by booking/jobs.py)."""
from __future__ import annotations

from booking.jobs import job
from booking.stats import rollups
from booking.unit_of_work import transactional


@job("refresh-stale-stats", 60, "Recompute the utilisation of the days that changes since the last run touched.")
@transactional
def refresh_stale_stats():
    return rollups.refresh_stale()


# Nightly, at a quiet local hour: the day just ended is complete by then.
@job("refresh-stats", cron="15 3 * * *",
     description="Recompute the recent and coming days' utilisation rollups and store each facility's recent "
                 "utilisation (pricing and the catalogue read it).")
@transactional
def refresh_stats():
    return rollups.refresh_recent()
