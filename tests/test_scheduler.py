"""The job process: jobs declared by their domains, one leading scheduler (a lease row, the same on
SQLite and PostgreSQL), every run recorded, a failure logged without stopping anything, the
`jobs` commands, and the in-process scheduler of `flask run` started once."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
import sqlalchemy as sa

from booking import create_app, jobs, scheduler
from booking.database import utcnow
from booking.extensions import db
from booking.scheduler import JobState, Outcome, SchedulerLease

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def failing_job(app):
    """A job that always fails, registered for one test."""
    def broken():
        raise RuntimeError("the printer is on fire")

    jobs.job("broken-test-job", 60, "Fails on purpose.")(broken)
    yield "broken-test-job"
    jobs.JOBS.pop("broken-test-job", None)


def state(name) -> JobState | None:
    db.session.expire_all()
    return db.session.get(JobState, name)


# --- declared by the domains ----------------------------------------------------------------------

def test_each_domain_declares_its_own_jobs_and_the_registry_gathers_them(app):
    where = {name: spec.func.__module__ for name, spec in jobs.JOBS.items()}
    assert where["expire-holds"] == "booking.reservations.jobs"
    assert where["remind-agreements"] == "booking.agreements.jobs"
    assert where["refresh-stats"] == "booking.stats.jobs"
    assert where["refresh-closure-calendars"] == "booking.facilities.jobs"
    assert where["deliver-webhooks"] == "booking.webhooks.jobs"
    assert where["send-outbox"] == "booking.notifications.jobs"
    assert [name for name, module in where.items() if module == "booking.jobs"] == []   # it only gathers


def test_the_nightly_statistics_run_at_a_local_time_not_an_interval(app):
    spec = jobs.JOBS["refresh-stats"]
    assert spec.cron and spec.seconds is None
    upcoming = spec.next_after(None, utcnow(), "Europe/Helsinki")
    local = upcoming.astimezone(ZoneInfo("Europe/Helsinki"))
    assert (local.hour, local.minute) == (3, 15)


def test_a_job_needs_exactly_one_schedule():
    with pytest.raises(ValueError):
        jobs.job("no-schedule")
    with pytest.raises(ValueError):
        jobs.job("both", 60, cron="* * * * *")


# --- the lease -------------------------------------------------------------------------------------

def test_one_scheduler_leads_until_its_lease_expires(app):
    now = utcnow()
    assert scheduler.acquire("a", now=now)
    assert not scheduler.acquire("b", now=now + timedelta(seconds=10))
    assert scheduler.acquire("a", now=now + timedelta(seconds=60))  # a renewal
    assert scheduler.current_lease(now + timedelta(seconds=61)).holder == "a"
    # A leader that stopped renewing is replaced once its lease has run out …
    later = now + timedelta(seconds=60 + scheduler.LEASE_SECONDS)
    assert scheduler.acquire("b", now=later)
    # … and cannot take it back while the new one renews.
    assert not scheduler.acquire("a", now=later + timedelta(seconds=1))
    assert scheduler.current_lease(later).holder == "b"


def test_releasing_the_lease_lets_the_next_scheduler_lead_at_once(app):
    now = utcnow()
    assert scheduler.acquire("a", now=now)
    scheduler.release("a", now=now)
    assert scheduler.current_lease(now) is None
    assert scheduler.acquire("b", now=now)
    scheduler.release("a", now=now)  # not a's any more: nothing happens
    assert scheduler.current_lease(now).holder == "b"


@pytest.mark.parametrize("row_exists", [False, True], ids=["first-lease", "expired-lease"])
def test_of_schedulers_starting_together_exactly_one_leads(app, row_exists):
    """Threads, each with its own connection, race for the lease: for the very first row (an
    insert) and for an expired one (a conditional update)."""
    for _round in range(3):
        db.session.execute(sa.delete(SchedulerLease))
        if row_exists:
            db.session.add(SchedulerLease(name=scheduler.LEASE_NAME, holder="gone", acquired_dt=utcnow(),
                                          expires_dt=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        barrier = threading.Barrier(4)
        won = []

        def contend(holder):
            with app.app_context():
                barrier.wait()
                if scheduler.acquire(holder):
                    won.append(holder)
                db.session.remove()

        threads = [threading.Thread(target=contend, args=(f"s{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1, won
        assert scheduler.current_lease().holder == won[0]


# --- running and recording -------------------------------------------------------------------------

def test_a_run_records_its_outcome_and_result(app):
    result = scheduler.run_recorded("expire-holds", "test-runner")
    recorded = state("expire-holds")
    assert result == 0
    assert recorded.last_outcome == Outcome.ok and recorded.last_result == "0"
    assert recorded.runs == 1 and recorded.failures == 0 and recorded.last_runner == "test-runner"
    assert recorded.last_end_dt >= recorded.last_start_dt


def test_a_failed_run_is_recorded_and_raised_to_the_caller(app, failing_job):
    with pytest.raises(RuntimeError):
        scheduler.run_recorded(failing_job, "test-runner")
    recorded = state(failing_job)
    assert recorded.last_outcome == Outcome.failed
    assert "RuntimeError: the printer is on fire" in recorded.last_error
    assert recorded.failures == 1


def test_the_leading_scheduler_logs_a_failed_run_and_carries_on(app, failing_job, caplog):
    runner = scheduler.Scheduler(app, background=True)
    with caplog.at_level(logging.ERROR):
        runner.run_job(failing_job)  # no exception escapes into APScheduler
        runner.run_job("expire-holds")
    assert "job broken-test-job failed" in caplog.text
    assert state(failing_job).last_outcome == Outcome.failed
    assert state("expire-holds").last_outcome == Outcome.ok
    assert scheduler.current_lease().holder == runner.holder
    db.session.commit()  # end this test's transaction: on SQLite it would block the scheduler's writes
    runner.stop()
    assert scheduler.current_lease() is None


def test_a_scheduler_that_does_not_lead_runs_nothing(app):
    assert scheduler.acquire("the-leader")
    standby = scheduler.Scheduler(app, background=True)
    standby.run_job("expire-holds")
    assert state("expire-holds") is None
    assert scheduler.current_lease().holder == "the-leader"


def test_the_scheduler_records_when_it_runs_each_job_next(app):
    runner = scheduler.Scheduler(app, background=True)
    runner.aps.start(paused=True)
    try:
        tz = app.config["DEFAULT_TIMEZONE"]
        for name, spec in jobs.JOBS.items():
            runner.aps.add_job(runner.run_job, spec.trigger(tz), args=[name], id=name)
        runner.run_job("refresh-stats")
        expected = runner.aps.get_job("refresh-stats").next_run_time
        assert state("refresh-stats").next_run_dt == expected
        db.session.commit()
    finally:
        runner.stop()


def test_scheduler_once_runs_every_job(runner, app):
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    for name in jobs.JOBS:
        assert f"{name}: ok" in result.output
        assert state(name).last_outcome == Outcome.ok
    assert scheduler.current_lease() is None  # given back


def test_scheduler_once_exits_while_another_leads(runner, app):
    assert scheduler.acquire("the-leader")
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code != 0
    assert "another scheduler process leads" in str(result.exception) + result.output
    assert state("expire-holds") is None


def test_scheduler_refuses_to_start_where_it_is_switched_off(runner, app):
    app.config["SCHEDULER_ENABLED"] = False
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 1 and "SCHEDULER_ENABLED is off" in result.output


# --- the jobs command ------------------------------------------------------------------------------

def test_jobs_lists_last_run_outcome_and_next_run(runner, app, failing_job):
    listing = runner.invoke(args=["jobs"]).output
    assert "Leading scheduler: none" in listing
    line = next(row for row in listing.splitlines() if row.startswith("expire-holds"))
    assert "every 60 s" in line and "never" in line and "when a scheduler starts" in line
    nightly = next(row for row in listing.splitlines() if row.startswith("refresh-stats "))
    assert "cron 15 3 * * *" in nightly and "03:15:00" in nightly

    assert runner.invoke(args=["jobs", "run", "expire-holds"]).output.strip() == "expire-holds: 0"
    failed = runner.invoke(args=["jobs", "run", failing_job])
    assert failed.exit_code == 1 and "the printer is on fire" in failed.output
    assert scheduler.acquire("scheduler:host:1:abc")

    listing = runner.invoke(args=["jobs"]).output
    assert "Leading scheduler: scheduler:host:1:abc" in listing
    line = next(row for row in listing.splitlines() if row.startswith("expire-holds"))
    assert " ok " in line and "never" not in line
    ran = state("expire-holds").last_start_dt
    assert (ran + timedelta(seconds=60)).astimezone(
        ZoneInfo(app.config["DEFAULT_TIMEZONE"])).strftime("%H:%M:%S") in line
    rows = listing.splitlines()
    broken = rows.index(next(row for row in rows if row.startswith(failing_job)))
    assert " failed " in rows[broken] and "RuntimeError: the printer is on fire" in rows[broken + 1]


# --- in the development server ----------------------------------------------------------------------

@pytest.mark.parametrize("params, reloader_child, debug, expected", [
    ({"reload": False}, False, False, True),    # flask run --no-reload
    ({"reload": None}, False, False, True),     # flask run: no reloader without --debug
    ({"reload": None}, False, True, False),     # flask --debug run: the watcher process
    ({"reload": None}, True, True, True),       # … and the serving process it starts
    ({"reload": True}, False, False, False),    # flask run --reload: the watcher
    ({"reload": True}, True, False, True),
])
def test_only_the_serving_process_of_flask_run_starts_the_scheduler(monkeypatch, params, reloader_child, debug,
                                                                     expected):
    monkeypatch.setenv("FLASK_DEBUG", "1" if debug else "0")
    if reloader_child:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    else:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert scheduler.serving_under_flask_run() is False  # not under any command
    with click.Context(click.Command("run"), info_name="run") as ctx:
        ctx.params.update(params)
        assert scheduler.serving_under_flask_run() is expected
    with click.Context(click.Command("jobs"), info_name="jobs"):
        assert scheduler.serving_under_flask_run() is False


def test_flask_run_with_the_reloader_starts_one_scheduler_that_runs_the_jobs(tmp_path):
    """The real `flask run --reload` with SCHEDULER_IN_PROCESS=1: the watcher starts no scheduler,
    the serving process starts one, which takes the lease and runs the jobs."""
    url = f"sqlite:///{tmp_path / 'dev.sqlite'}"
    with create_app({"SQLALCHEMY_DATABASE_URI": url}).app_context():
        db.create_all()
        db.engine.dispose()
    env = {**os.environ, "SECRET_KEY": "dev", "DATABASE_URL": url, "SCHEDULER_IN_PROCESS": "1", "MAIL_SERVER": ""}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run", "--reload", "--port", "0"],
                               cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               start_new_session=True)
    lines = []
    try:
        check = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with check.app_context():
            deadline = time.monotonic() + 60
            ran = []
            while time.monotonic() < deadline and not ran:
                db.session.expire_all()
                ran = [(job.name, job.last_runner) for job in db.session.scalars(
                    sa.select(JobState).where(JobState.last_outcome == Outcome.ok))]
                db.session.rollback()  # no open transaction: on SQLite it would keep the server from writing
                time.sleep(0.2)
            assert ran, "the in-process scheduler ran no job"
            holder = db.session.get(SchedulerLease, scheduler.LEASE_NAME).holder
            db.session.rollback()
            db.engine.dispose()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        lines = process.communicate(timeout=30)[1].splitlines()
    started = [line for line in lines if "Scheduler running in this process" in line]
    assert len(started) == 1, lines
    serving_pid = int(started[0].rsplit(" ", 1)[1])
    assert serving_pid != process.pid  # the reloader's child, not the watcher
    assert f":{serving_pid}:" in holder and all(f":{serving_pid}:" in runner for _name, runner in ran)
