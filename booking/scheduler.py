"""The job process: APScheduler runs every gathered job (booking/jobs.py), but only in the
process that holds the lease.

The lease is one row (`scheduler_lease`: holder and expiry) taken and renewed with a conditional
update, so it works the same on SQLite and PostgreSQL and across machines: a second scheduler
stands by and takes over once the leader stops renewing. Each run is recorded in `job_state`
(last start and end, outcome, result or error, next run), which `flask --app app jobs` lists.
A failed run is logged and recorded; the scheduler goes on.

For development, SCHEDULER_IN_PROCESS=1 makes `flask run` start the scheduler inside the
serving process (only there: not in the reloader's watcher, and once per process).
"""
from __future__ import annotations

import atexit
import enum
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta

import click
from flask import current_app
from sqlalchemy import String, Text, case, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from booking import jobs
from booking.database import UTCDateTime, str_enum, utcnow
from booking.extensions import db
from booking.unit_of_work import unit_of_work

LEASE_NAME = "scheduler"
LEASE_SECONDS = 90  # a leader that stops renewing is replaced after this long
RENEW_SECONDS = 30


class SchedulerLease(db.Model):
    """Who leads: the holder may run jobs until `expires_dt`, and renews before then."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_dt: Mapped[datetime] = mapped_column(UTCDateTime)


class Outcome(enum.Enum):
    running = "running"
    ok = "ok"
    failed = "failed"


class JobState(db.Model):
    """A job's last run (by the scheduler or `jobs run`) and when the scheduler runs it next."""

    __tablename__ = "job_state"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, length=10))
    last_result: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_runner: Mapped[str | None] = mapped_column(String(200))
    next_run_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)


# --- the lease ----------------------------------------------------------------------------------

def new_holder(kind: str = "scheduler") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def acquire(holder: str, *, now: datetime | None = None, seconds: int = LEASE_SECONDS) -> bool:
    """Take the lease if it is free or expired, or renew it if `holder` has it. True: `holder`
    leads until now + seconds. One conditional update, so of two contenders exactly one wins."""
    now = now or utcnow()
    try:
        with unit_of_work():
            taken = db.session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME,
                       or_(SchedulerLease.holder == holder, SchedulerLease.expires_dt <= now))
                .values(holder=holder, expires_dt=now + timedelta(seconds=seconds),
                        acquired_dt=_acquired_since(holder, now))
                .execution_options(synchronize_session=False)).rowcount
            if not taken and db.session.get(SchedulerLease, LEASE_NAME) is None:
                db.session.add(SchedulerLease(name=LEASE_NAME, holder=holder, acquired_dt=now,
                                              expires_dt=now + timedelta(seconds=seconds)))
                db.session.flush()
                taken = 1
    except IntegrityError:  # another process inserted the first row at the same moment
        return False
    return bool(taken)


def _acquired_since(holder: str, now: datetime):
    """A renewal keeps when the holder first took the lease; a take-over starts it now."""
    return case((SchedulerLease.holder == holder, SchedulerLease.acquired_dt), else_=literal(now, UTCDateTime()))


def release(holder: str, *, now: datetime | None = None) -> None:
    """Give up leading at once (the next scheduler need not wait for the expiry)."""
    with unit_of_work():
        db.session.execute(update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME,
                                                        SchedulerLease.holder == holder)
                           .values(expires_dt=now or utcnow()).execution_options(synchronize_session=False))


def current_lease(now: datetime | None = None) -> SchedulerLease | None:
    """The lease while someone holds it (None: no scheduler leads)."""
    lease = db.session.get(SchedulerLease, LEASE_NAME, populate_existing=True)
    return lease if lease is not None and lease.expires_dt > (now or utcnow()) else None


# --- running and recording ------------------------------------------------------------------------

def _state(name: str) -> JobState:
    state = db.session.get(JobState, name, with_for_update=True)
    if state is None:
        state = JobState(name=name, runs=0, failures=0)
        db.session.add(state)
    return state


def _write_state(name: str, change) -> None:
    """Apply `change(state)` in its own unit of work (retried once if two runners insert the row at once)."""
    for attempt in (1, 2):
        try:
            with unit_of_work():
                change(_state(name))
            return
        except IntegrityError:
            if attempt == 2:
                raise


def run_recorded(name: str, runner: str, *, next_run: datetime | None = None):
    """Run one job now and record its start, outcome and result (or error); re-raises its error.
    `next_run`: when the scheduler runs it next (a run from the command line leaves it as it was)."""
    started = utcnow()

    def start(state: JobState):
        state.last_start_dt, state.last_end_dt, state.last_outcome = started, None, Outcome.running
        state.last_runner = runner[:200]
        if next_run is not None:
            state.next_run_dt = next_run

    _write_state(name, start)
    try:
        result = jobs.run(name)
    except Exception as exc:
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"

        def failed(state: JobState):
            state.last_end_dt, state.last_outcome, state.last_error = utcnow(), Outcome.failed, error[:4000]
            state.last_result = None
            state.runs, state.failures = (state.runs or 0) + 1, (state.failures or 0) + 1

        _write_state(name, failed)
        raise

    def done(state: JobState):
        state.last_end_dt, state.last_outcome, state.last_error = utcnow(), Outcome.ok, None
        state.last_result = str(result)[:500]
        state.runs = (state.runs or 0) + 1

    _write_state(name, done)
    return result


def job_states() -> dict[str, JobState]:
    return {s.name: s for s in db.session.scalars(db.select(JobState))}


def next_run(spec: jobs.Job, state: JobState | None, now: datetime) -> datetime | None:
    """When the job runs next: as the scheduler recorded it, else as its schedule says (None: an
    interval job never run yet, which runs as soon as a scheduler starts)."""
    if state is not None and state.next_run_dt is not None:
        return state.next_run_dt
    return spec.next_after(state.last_start_dt if state else None, now, current_app.config["DEFAULT_TIMEZONE"])


# --- the scheduler ------------------------------------------------------------------------------

class Scheduler:
    """APScheduler with every job; a job runs only while this process holds the lease."""

    def __init__(self, app, *, background: bool = False):
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.app = app
        self.holder = new_holder()
        self.leading = False
        self.aps = (BackgroundScheduler if background else BlockingScheduler)(timezone="UTC")

    def keep_lease(self) -> bool:
        with self.app.app_context():
            try:
                leading = acquire(self.holder)
            except Exception:  # noqa: BLE001 - a database hiccup: try again at the next renewal
                self.app.logger.exception("renewing the scheduler lease failed")
                leading = False
            if leading and not self.leading:
                self.app.logger.info("scheduler %s leads", self.holder)
            elif self.leading and not leading:
                self.app.logger.warning("scheduler %s lost the lead; standing by", self.holder)
            elif not leading and not self.leading:
                lease = current_lease()
                self.app.logger.info("scheduler %s stands by: %s leads", self.holder,
                                     lease.holder if lease else "another scheduler")
        self.leading = leading
        return leading

    def run_job(self, name: str) -> None:
        """One run, as APScheduler calls it: only when still leading (renewed first), and a
        failure is logged and recorded, never raised into the scheduler."""
        if not self.keep_lease():
            return
        with self.app.app_context():
            scheduled = self.aps.get_job(name)
            try:
                run_recorded(name, self.holder, next_run=scheduled.next_run_time if scheduled else None)
            except Exception:  # noqa: BLE001 - one failing run must not stop the others
                self.app.logger.exception("job %s failed", name)

    def start(self) -> None:
        tz = self.app.config["DEFAULT_TIMEZONE"]
        self.keep_lease()
        self.aps.add_job(self.keep_lease, "interval", seconds=RENEW_SECONDS, id="_lease", max_instances=1,
                         coalesce=True)
        for name, spec in jobs.JOBS.items():
            first = {"next_run_time": utcnow()} if spec.seconds else {}  # interval jobs run at once
            self.aps.add_job(self.run_job, spec.trigger(tz), args=[name], id=name, max_instances=1,
                             coalesce=True, misfire_grace_time=None, **first)
        self.app.logger.info("scheduler started with %d jobs", len(jobs.JOBS))
        self.aps.start()

    def stop(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)
        with self.app.app_context():
            release(self.holder)


def run_once(app) -> dict[str, str]:
    """Every job once, now, if no other scheduler leads (SystemExit otherwise). Outcomes by name."""
    holder = new_holder("once")
    with app.app_context():
        if not acquire(holder):
            raise SystemExit("another scheduler process leads; this one exits")
        outcomes = {}
        try:
            for name in jobs.JOBS:
                try:
                    run_recorded(name, holder)
                    outcomes[name] = Outcome.ok.value
                except Exception:  # noqa: BLE001 - logged; the other jobs still run
                    app.logger.exception("job %s failed", name)
                    outcomes[name] = Outcome.failed.value
        finally:
            release(holder)
    return outcomes


def run_forever(app) -> None:
    scheduler = Scheduler(app)
    try:
        scheduler.start()  # blocks until interrupted
    finally:
        scheduler.stop()


# --- in the development server ----------------------------------------------------------------

_in_process: Scheduler | None = None
_in_process_lock = threading.Lock()


def serving_under_flask_run() -> bool:
    """Whether this process is the one `flask run` serves requests from: not a CLI command, not
    gunicorn, and not the reloader's watcher process (which starts the serving one)."""
    from flask.cli import get_debug_flag
    from werkzeug.serving import is_running_from_reloader

    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name != "run":
        return False
    reload = ctx.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload or is_running_from_reloader()


def start_in_process(app) -> Scheduler | None:
    """Start the scheduler in a background thread of this process, once (None: already running)."""
    global _in_process
    with _in_process_lock:
        if _in_process is not None:
            return None
        _in_process = Scheduler(app, background=True)
        _in_process.start()
        atexit.register(_in_process.stop)
    click.echo(f" * Scheduler running in this process (SCHEDULER_IN_PROCESS), pid {os.getpid()}", err=True)
    return _in_process
