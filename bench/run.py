"""Time the discovery paths over one week with N facilities and print a markdown table.

    python -m bench                      # 2,000 facilities in a fresh SQLite file
    python -m bench --facilities 500 --runs 7
    python bench/run.py --database-url postgresql://postgres@127.0.0.1:5432/bench   (an empty database)

Each figure is the median of `--runs` runs after one warm-up run. Speed is measured here,
never asserted in tests.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select  # noqa: E402

from bench.generate import bench_week, generate, install_busy_provider  # noqa: E402
from booking import create_app  # noqa: E402
from booking.database import utcnow  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.facilities import search  # noqa: E402
from booking.facilities.availability import local_instant  # noqa: E402
from booking.facilities.models import Facility  # noqa: E402


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def measure(fn, runs: int, counter: QueryCounter) -> tuple[float, int, object]:
    """(median milliseconds, SQL statements of one run, the last result)."""
    fn()  # warm-up: imports, template compilation, caches
    times = []
    result = None
    for _ in range(runs):
        counter.count = 0
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), counter.count, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facilities", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temporary folder")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="infrashare-bench-")
    url = args.database_url or f"sqlite:///{os.path.join(folder, 'bench.sqlite')}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "UPLOAD_FOLDER": folder, "MAP_TILE_URL": ""})
    install_busy_provider()
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        if not db.session.scalar(select(func.count()).select_from(Facility)):
            generate(args.facilities, args.seed)
        generated = time.perf_counter() - started
        total = db.session.scalar(select(func.count()).select_from(Facility))
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        rows = run_all(app, args.runs, counter, total)
        db.session.remove()
    print_report(rows, total, args, generated, url)


def run_all(app, runs: int, counter: QueryCounter, total: int) -> list[tuple]:
    monday = bench_week()
    friday = monday + timedelta(days=4)
    sunday = monday + timedelta(days=6)
    week_request = search.TimeRequest(first_day=monday, last_day=sunday, duration=timedelta(hours=2), size=10)
    client = app.test_client()
    first = db.session.scalar(select(Facility).order_by(Facility.id))
    start = local_instant(monday, __import__("datetime").time(0), __import__("zoneinfo").ZoneInfo(first.timezone))
    window = f"from={quote(start.isoformat())}&to={quote((start + timedelta(days=7)).isoformat())}"
    free = f"free_from={quote(start.isoformat())}&free_to={quote((start + timedelta(days=7)).isoformat())}"

    def service():
        db.session.expire_all()  # read from the database each run, as a request would
        return search.find_time(week_request, utcnow())

    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response
        return fetch

    rows = []
    ms, queries, matches = measure(service, runs, counter)
    rows.append(("find-a-time, service: 2 h for 10 people, Mon–Sun", ms, queries, f"{len(matches)} facilities fit"))
    tracemalloc.start()
    service()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pages = [
        ("find-a-time page (GET /facilities/find, first 20 with start times)",
         f"/facilities/find?date_from={monday}&date_to={sunday}&duration=120&size=10"),
        ("find-a-time page, weekdays 09–17, 3 h, 20 people",
         f"/facilities/find?date_from={monday}&date_to={friday}&duration=180&size=20&earliest=09:00&latest=17:00"),
        ("catalogue page (20 cards with free state)", "/facilities"),
        ("catalogue searched (date, time, duration, size)",
         f"/facilities?date={monday}&time=10:00&duration=120&size=10&sort=least_used"),
        ("facility page (week + month view)", f"/facilities/{first.slug}?week={monday}"),
        ("API availability of one facility, 7 days", f"/api/v1/facilities/{first.id}/availability?{window}"),
        ("API list with free_from/free_to, 7 days", f"/api/v1/facilities?{free}&per_page=50"),
    ]
    for label, url in pages:
        ms, queries, _ = measure(get(url), runs, counter)
        rows.append((label, ms, queries, ""))
    rows.append(("peak Python memory of one find-a-time (tracemalloc)", None, None, f"{peak / 2**20:.1f} MiB"))
    rows.append(("process peak RSS (getrusage)", None, None,
                 f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"))
    return rows


def print_report(rows, total: int, args, generated: float, url: str) -> None:
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"### Discovery benchmark: {total:,} facilities, one week ({database})\n")
    print(f"Median of {args.runs} runs after a warm-up; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; data generated in {generated:.1f} s (`python -m bench`).\n")
    print("| measurement | median ms | SQL queries | result |")
    print("|---|---:|---:|---|")
    for label, ms, queries, result in rows:
        print(f"| {label} | {'' if ms is None else f'{ms:.0f}'} | {'' if queries is None else queries} | {result} |")


if __name__ == "__main__":
    main()
