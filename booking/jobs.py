"""Time-driven work. Each job is an idempotent service call, safe to run again or twice at once.

`flask --app app jobs` lists them, `flask --app app jobs run NAME` runs one now, and
`flask --app app scheduler` runs them all on their intervals in one leading process.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app
from flask_babel import force_locale

from booking.database import utcnow
from booking.extensions import db
from booking.facilities import calendar_sync
from booking.notifications.jobs import deliver_pending
from booking.agreements import services as agreements
from booking.reservations import services as reservations
from booking.stats import rollups as stats
from booking.unit_of_work import transactional


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object]
    seconds: int
    description: str


JOBS: dict[str, Job] = {}


def job(name: str, seconds: int, description: str):
    def decorator(func):
        JOBS[name] = Job(name, func, seconds, description)
        return func
    return decorator


@job("send-outbox", 30, "Send queued e-mails by SMTP (when MAIL_SERVER is set).")
def send_outbox():
    return deliver_pending()


def run(name: str):
    """Run one job in the current app context. Each job is its own boundary: one unit of work,
    or several where it talks to the outside world between them (e-mail delivery).

    A job answers no request, so whatever text it writes is in the default language unless
    it picks a person's own (as queue_email does).
    """
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return JOBS[name].func()


LEADER_LOCK_KEY = 726311  # any fixed number; every scheduler of one database asks for the same


def _leader_lock():
    """On PostgreSQL, hold an advisory lock for the process's life: only one scheduler leads.

    SQLite has one machine and one scheduler by construction. Returns the connection
    holding the lock (None on SQLite) or raises SystemExit when another process leads.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return None
    connection = engine.connect()
    got = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({LEADER_LOCK_KEY})").scalar()
    connection.commit()
    if not got:
        connection.close()
        raise SystemExit("another scheduler process already leads; this one exits")
    return connection


def _release(lock) -> None:
    """Give up leading. The lock belongs to the session, which outlives a pooled close()."""
    lock.exec_driver_sql(f"SELECT pg_advisory_unlock({LEADER_LOCK_KEY})")
    lock.commit()
    lock.close()


def run_scheduler(app, once: bool = False) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    with app.app_context():
        lock = _leader_lock()

    def wrapped(name):
        with app.app_context():
            try:
                run(name)
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                app.logger.exception("job %s failed", name)

    try:
        if once:
            for name in JOBS:
                wrapped(name)
            return
        scheduler = BlockingScheduler(timezone="UTC")
        for name, spec in JOBS.items():
            scheduler.add_job(wrapped, "interval", seconds=spec.seconds, args=[name], id=name,
                              max_instances=1, coalesce=True, next_run_time=utcnow())
        app.logger.info("scheduler started with %d jobs", len(JOBS))
        scheduler.start()
    finally:
        if lock is not None:
            _release(lock)


# --- reservations ----------------------------------------------------------------------


@job("expire-holds", 60, "Cancel reservation holds past their expiry, freeing their time.")
@transactional
def expire_holds():
    return reservations.expire_holds()


@job("complete-finished", 300, "Mark confirmed reservations that have ended as completed.")
@transactional
def complete_finished():
    return reservations.complete_finished()


@job("flag-overdue", 900, "Escalate pending requests past their decision deadline (once each).")
@transactional
def flag_overdue():
    return reservations.flag_overdue()


@job("remind-reservations", 900, "Remind bookers before each confirmed reservation (24 h or their choice), once each.")
@transactional
def remind_reservations():
    return reservations.send_reminders()


@job("warn-deadlines", 900, "Tell managers, once each, of requests less than a day from their decision deadline.")
@transactional
def warn_deadlines():
    return reservations.warn_deadlines()


@job("digest-requests", 3600, "Send the daily digest of new requests to managers who chose it (from 7:00).")
@transactional
def digest_requests():
    return reservations.send_request_digests()


# --- pilot agreements --------------------------------------------------------------------------


@job("flag-overdue-agreements", 3600, "Escalate pilot proposals past their decision deadline (once each).")
@transactional
def flag_overdue_agreements():
    return agreements.flag_overdue()


@job("remind-agreements", 3600 * 6,
     "Remind pilot parties, once each: outcome report due within a week, insurance expiring within 14 days "
     "or before the pilot ends, pilot ending within a week, site to be removed and restored after its last day.")
@transactional
def remind_agreements():
    return agreements.send_reminders()


# --- statistics --------------------------------------------------------------------------


@job("refresh-stale-stats", 60, "Recompute the utilisation of the days that changes since the last run touched.")
@transactional
def refresh_stale_stats():
    return stats.refresh_stale()


@job("refresh-stats", 24 * 3600, "Recompute the recent and coming days' utilisation rollups and store each "
                                 "facility's recent utilisation (pricing and the catalogue read it).")
@transactional
def refresh_stats():
    return stats.refresh_recent()


# --- facilities -------------------------------------------------------------------------


@job("refresh-closure-calendars", 6 * 3600,
     "Refresh the closures of facilities kept in sync with a calendar address (each in its own unit of work).")
def refresh_closure_calendars():
    return calendar_sync.refresh_all()
