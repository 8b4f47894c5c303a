"""Benchmark Infrashare on a synthetic city and read every figure against a limit measured in
the same run.

    python -m bench --size M                                  # SQLite file under instance/bench/
    python -m bench --size M --database-url postgresql://postgres@127.0.0.1:5432/bench
    python -m bench --size S,M,L                              # each size in its own database, growth
    python -m bench --quick                                   # S, short phases: under a minute
    python -m bench --growth s.json m.json l.json             # the growth table from saved runs
    python -m bench --seasons                                 # a seasonal round: CP-SAT against first-come

--seasons needs no database: it generates a round (300 applications, 900 wishes, 40 halls by
default; bench/seasons.py) and allocates it with the solver and the greedy baseline.

A city is generated once per database (size, seed and anchor week are stored in it) and
reused by later runs; --fresh generates it again. On PostgreSQL each size gets a database of
its own, named after the one given (bench → bench_s, bench_m, bench_l), created if missing.
Prints markdown tables and writes JSON (--json, default instance/bench/<size>-<database>.json).
Servers bind 127.0.0.1 only. Speed is measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import booking_load, city as city_module, measurements  # noqa: E402
from bench import pricing as _pricing  # noqa: E402,F401  (tariffs: most facilities charge)
from bench import stats as _stats  # noqa: E402,F401  (statistics rows and their rollups)
from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.facilities.models import Facility, FacilityStatus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
META_TABLE = "bench_meta"
GENERATOR_VERSION = "4"  # 3: the utilisation rollups of the last year; 4: tariffs


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


@dataclass
class Context:
    """What the measurements need: the app, a test client, the city and the week looked at."""
    app: object
    client: object
    city: city_module.City
    database_url: str
    monday: date
    zone: ZoneInfo
    hour_window: tuple[datetime, datetime]
    week_window: tuple[datetime, datetime]
    sample_id: int
    sample_slug: str

    def get(self, url: str):
        def fetch():
            response = self.client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
            return response
        return fetch


# --- databases ---------------------------------------------------------------------------------

def size_url(base: str | None, size: str, folder: Path) -> str:
    if not base:
        return f"sqlite:///{folder / f'bench-{size.lower()}.sqlite'}"
    url = make_url(base)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg", database=f"{url.database}_{size.lower()}")
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}):
                connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
        admin.dispose()
        return url.render_as_string(hide_password=False)
    return base


def prepared(size: str, seed: int, anchor: date, fresh: bool) -> tuple[city_module.City, float]:
    """The city in the current app's database: reused when it matches, else generated."""
    inspector = sa.inspect(db.engine)
    if not fresh and inspector.has_table(META_TABLE):
        row = db.session.execute(text(f"SELECT size, seed, anchor, version FROM {META_TABLE}")).first()
        if row and tuple(row) == (size, seed, anchor.isoformat(), GENERATOR_VERSION):
            return city_module.load_city(size, seed, anchor), 0.0
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {META_TABLE}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS bench_bare_insert")
    db.create_all()
    started = time.perf_counter()
    city = city_module.generate(size, seed, anchor)
    seconds = time.perf_counter() - started
    db.session.execute(text(f"CREATE TABLE {META_TABLE} (size VARCHAR(2), seed INTEGER, anchor VARCHAR(10), "
                            "version VARCHAR(10))"))
    db.session.execute(text(f"INSERT INTO {META_TABLE} VALUES (:s, :seed, :a, :v)"),
                       {"s": size, "seed": seed, "a": anchor.isoformat(), "v": GENERATOR_VERSION})
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return city, seconds


# --- one size ----------------------------------------------------------------------------------

def context_for(app, city, url) -> Context:
    zone = ZoneInfo(city_module.HELSINKI)
    monday = city.anchor + timedelta(days=7)
    tuesday_ten = datetime.combine(monday + timedelta(days=1), clock(10), zone).astimezone(timezone.utc)
    week_start = datetime.combine(monday, clock(0), zone).astimezone(timezone.utc)
    week_end = datetime.combine(monday + timedelta(days=7), clock(0), zone).astimezone(timezone.utc)
    sample = db.session.execute(select(Facility.id, Facility.slug).where(
        Facility.status == FacilityStatus.published).order_by(Facility.id)).first()
    return Context(app, app.test_client(), city, url, monday, zone, (tuesday_ten, tuesday_ten + timedelta(hours=1)),
                   (week_start, week_end), sample.id, sample.slug)


def measure_size(size: str, url: str, args, folder: Path) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "UPLOAD_FOLDER": str(folder), "MAP_TILE_URL": "", "SCHEDULER_ENABLED": False})
    result = {"size": size, "database": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
              "machine": machine(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "seed": args.seed, "quick": args.quick}
    with app.app_context():
        city, generated = prepared(size, args.seed, city_module.anchor_week(), args.fresh)
        result["generated_seconds"] = round(generated, 1)
        result["counts"] = counts()
        ctx = context_for(app, city, url)
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        if args.gc_freeze:  # as gunicorn.conf.py does in each worker
            gc.collect()
            gc.freeze()
        rows = []
        for row in measurements.MEASUREMENTS:
            subject = measurements.timed(row.subject(ctx), args.runs, counter)
            floor = measurements.timed(row.floor(ctx), args.runs, counter) if row.floor else None
            ratio = subject.ms / floor.ms if floor and floor.ms else None
            rows.append({"name": row.name, "ms": round(subject.ms, 1), "cpu_ms": round(subject.cpu_ms, 1),
                         "queries": subject.queries, "floor": row.floor_name,
                         "floor_ms": round(floor.ms, 2) if floor else None,
                         "ratio": round(ratio, 2) if ratio else None,
                         "target": row.target.describe() if row.target else "",
                         "met": row.target.met(subject.ms, ratio) if row.target else None})
        event.remove(db.engine, "before_cursor_execute", counter)
        gc.unfreeze()
        result["counts"]["calendar feed events"] = measurements.feed_events.get(id(ctx))
        result["rows"] = rows
        db.session.remove()
        if not args.no_http:
            result["http"] = booking_load.measure(app, city, url, args, folder)
        with app.app_context():
            result["invariants"] = booking_load.invariants()
            db.session.remove()
        db.engine.dispose()
    return result


def counts() -> dict:
    from booking.reservations.models import Reservation
    from booking.accounts.models import Organisation
    return {"facilities": db.session.scalar(select(func.count()).select_from(Facility)),
            "reservations": db.session.scalar(select(func.count()).select_from(Reservation)),
            "organisations": db.session.scalar(select(func.count()).select_from(Organisation))}


def machine() -> dict:
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "load_average": [round(x, 1) for x in os.getloadavg()]}


# --- reports -----------------------------------------------------------------------------------

def _fmt(value, digits=0) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def table(result: dict) -> str:
    lines = [f"### {result['size']} on {result['database']}: {result['counts']['facilities']:,} facilities, "
             f"{result['counts']['reservations']:,} reservations; the calendar feed has "
             f"{result['counts'].get('calendar feed events') or 0:,} events",
             "",
             f"{result['machine']['cpus']} × {result['machine']['cpu']}, Python {result['machine']['python']}, "
             f"load average at start {result['machine']['load_average']}; medians of {result.get('runs', '')} runs.",
             "",
             "| measurement | ms | CPU ms | SQL | limit (same run) | limit ms | ratio | target | met |",
             "|---|---:|---:|---:|---|---:|---:|---|---|"]
    for row in result["rows"]:
        met = "" if row["met"] is None else ("yes" if row["met"] else "**no**")
        lines.append(f"| {row['name']} | {_fmt(row['ms'], 1)} | {_fmt(row['cpu_ms'], 1)} | {row['queries']} | "
                     f"{row['floor']} | {_fmt(row['floor_ms'], 1)} | {_fmt(row['ratio'], 1)} | {row['target']} | "
                     f"{met} |")
    http = result.get("http")
    if http:
        lines += ["", booking_load.table(http)]
    inv = result["invariants"]
    lines += ["", f"Invariants: {inv['overlapping_active_pairs']} overlapping active reservations."]
    return "\n".join(lines)


FIGURES = ["ms", "queries"]


def growth(results: list[dict]) -> str:
    sizes = [r["size"] for r in results]
    head = " | ".join(f"{s} ms" for s in sizes) + " | " + " | ".join(f"{s} SQL" for s in sizes)
    lines = [f"### Growth from {' to '.join(sizes)} ({results[0]['database']})", "",
             f"| measurement | {head} | {sizes[-1]}/{sizes[0]} time |",
             "|---|" + "---:|" * (2 * len(sizes) + 1)]
    for n, row in enumerate(results[0]["rows"]):
        values = [r["rows"][n] for r in results]
        ratio = values[-1]["ms"] / values[0]["ms"] if values[0]["ms"] else 0
        lines.append(f"| {row['name']} | " + " | ".join(_fmt(v["ms"], 1) for v in values) + " | "
                     + " | ".join(str(v["queries"]) for v in values) + f" | {ratio:.1f}× |")
    https = [r.get("http") for r in results]
    if all(https):
        for label, key in (("bookings/s", "per_second"), ("booking p95 ms", "p95_ms")):
            lines.append(f"| {label} | " + " | ".join(_fmt(h["app"][key], 1) for h in https) + " | "
                         + " | ".join("" for _ in https) + " | |")
        lines.append("| worker RSS MiB (max) | " + " | ".join(_fmt(h["rss"]["app_max_mib"], 0) for h in https)
                     + " | " + " | ".join("" for _ in https) + " | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="M", help="S, M or L (XS: only to check it runs), or several: S,M,L")
    parser.add_argument("--database-url", default=None, help="default: SQLite files under --folder")
    parser.add_argument("--folder", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--runs", type=int, default=None, help="default 7 (--quick: 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=None, help="length of each HTTP load phase: 20 (--quick: 3)")
    parser.add_argument("--rounds", type=int, default=None, help="race rounds: 20 (--quick: 5)")
    parser.add_argument("--clients", type=int, default=city_module.CLIENTS)
    parser.add_argument("--quick", action="store_true",
                        help="S, 3 runs, 3 s phases, 5 race rounds (unless given)")
    parser.add_argument("--fresh", action="store_true", help="generate the city again")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn phases")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false")
    parser.add_argument("--json", default=None, help="where to write the results (one size)")
    parser.add_argument("--growth", nargs="+", metavar="JSON", help="print the growth table of saved runs")
    parser.add_argument("--seasons", action="store_true", help="only the seasonal round allocation (no database)")
    parser.add_argument("--applications", type=int, default=300, help="--seasons: applications (one per organisation)")
    parser.add_argument("--wishes", type=int, default=900, help="--seasons: wishes over all applications")
    parser.add_argument("--halls", type=int, default=40, help="--seasons: halls in the round")
    parser.add_argument("--cap-hours", type=int, default=8, help="--seasons: hours per week per organisation")
    parser.add_argument("--time-limit", type=float, default=10.0,
                        help="--seasons: the solver's budget in seconds (deterministic time)")
    args = parser.parse_args(argv)
    if args.growth:
        print(growth([json.loads(Path(p).read_text()) for p in args.growth]))
        return
    if args.seasons:
        from bench import seasons
        result = seasons.measure(args.applications, args.wishes, args.halls, args.seed, args.cap_hours,
                                 args.time_limit)
        result["machine"] = machine()
        folder = Path(args.folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = Path(args.json) if args.json else folder / "seasons.json"
        path.write_text(json.dumps(result, indent=2, default=str))
        print(seasons.table(result))
        print(f"\n(JSON: {path})\n", flush=True)
        return
    if args.quick:
        args.size = "S" if args.size == "M" else args.size
    for name, usual, quick in (("runs", 7, 3), ("seconds", 20, 3), ("rounds", 20, 5)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else usual)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for size in [s.strip().upper() for s in args.size.split(",")]:
        url = size_url(args.database_url, size, folder)
        result = measure_size(size, url, args, folder)
        result["runs"] = args.runs
        results.append(result)
        path = Path(args.json) if args.json and len(args.size.split(",")) == 1 else \
            folder / f"{size.lower()}-{result['database'].lower()}.json"
        path.write_text(json.dumps(result, indent=2, default=str))
        print(table(result))
        print(f"\n(JSON: {path})\n", flush=True)
    if len(results) > 1:
        print(growth(results))


if __name__ == "__main__":
    main()
