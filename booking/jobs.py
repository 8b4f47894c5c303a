"""Time-driven work, gathered: each domain declares its jobs beside its code, in
`booking/<domain>/jobs.py`, with the `job` decorator below; `gather()` imports them all.

Every job is an idempotent call that claims its work in the database (a conditional update or
a row lock), so running it again, or in two processes at once, never does a thing twice.
`flask --app app jobs` lists them, `flask --app app jobs run NAME` runs one now, and
`flask --app app scheduler` runs them all in the one leading process (booking/scheduler.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object]
    description: str
    seconds: int | None = None  # every so many seconds, from when the scheduler starts
    cron: str | None = None     # or at crontab times ("15 3 * * *"), in DEFAULT_TIMEZONE

    @property
    def schedule(self) -> str:
        return f"every {self.seconds} s" if self.seconds else f"cron {self.cron}"

    def trigger(self, timezone: str):
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone=ZoneInfo(timezone))
        return IntervalTrigger(seconds=self.seconds, timezone=ZoneInfo(timezone))

    def next_after(self, last_start: datetime | None, now: datetime, timezone: str) -> datetime | None:
        """When it is next due after a run that started at `last_start` (None: never run; an
        interval job then runs as soon as a scheduler starts)."""
        if self.cron:
            return self.trigger(timezone).get_next_fire_time(None, max(now, last_start or now))
        return None if last_start is None else last_start + timedelta(seconds=self.seconds)


JOBS: dict[str, Job] = {}


def job(name: str, seconds: int | None = None, description: str = "", *, cron: str | None = None):
    """Declare a job: `@job("expire-holds", 60, "…")` or `@job("refresh-stats", cron="15 3 * * *", description=…)`.

    The function takes no arguments and is its own boundary (one unit of work, or several
    where it talks to the outside world between them)."""
    if (seconds is None) == (cron is None):
        raise ValueError(f"job {name!r}: give either seconds or cron")

    def decorator(func):
        JOBS[name] = Job(name, func, description, seconds, cron)
        return func
    return decorator


def gather() -> dict[str, Job]:
    """Import every domain's jobs module (create_app does it once); returns the registry."""
    from booking import _domain_modules

    _domain_modules("jobs")
    return JOBS


def run(name: str):
    """Run one job now in the current app context, returning what it returns.

    A job answers no request, so whatever text it writes is in the default language unless
    it picks a person's own (as queue_email does).
    """
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return JOBS[name].func()
