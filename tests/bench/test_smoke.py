"""`python -m bench --quick --size XS` runs to the end on the test database's kind and its invariants
hold. Only that: how fast anything is, is for the benchmark to say, never for a test."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("gunicorn")


@pytest.fixture
def bench_database(tmp_path):
    """A URL for the benchmark: a new SQLite file, or a new PostgreSQL database (dropped after)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"infrashare_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(base).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_xs" WITH (FORCE)')
    admin.dispose()


def test_the_quick_benchmark_completes_with_every_figure_and_no_overlap(tmp_path, bench_database):
    output = tmp_path / "s.json"
    # The shortest phases that still measure something: the test asks only that it all runs.
    command = [sys.executable, "-m", "bench", "--quick", "--size", "XS", "--clients", "4", "--runs", "1", "--seconds", "1",
               "--rounds", "3", "--folder", str(tmp_path), "--json", str(output)]
    if bench_database:
        command += ["--database-url", bench_database]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    result = json.loads(output.read_text())
    assert result["size"] == "XS" and result["counts"]["facilities"] == 40
    assert result["counts"]["reservations"] > 3_000
    for row in result["rows"]:
        assert row["ms"] > 0 and row["cpu_ms"] >= 0 and row["queries"] > 0, row
        if row["floor"]:
            assert row["floor_ms"] > 0 and row["ratio"] > 0, row
    http = result["http"]
    assert http["bare"]["created"] > 0
    assert http["app"]["created"] > 0 and set(http["app"]["statuses"]) == {"201"}, http["app"]
    assert http["app"]["p95_ms"] > 0 and http["rss"]["app_max_mib"] > 0 and http["share_of_ceiling"] > 0
    race = http["race"]
    assert race["rounds"] == 3 and race["one_winner_rounds"] == race["rounds"], race
    assert set(race["statuses"]) <= {201, 409}
    assert result["invariants"]["overlapping_active_pairs"] == 0
    assert "| free-room search" in done.stdout  # the markdown table was printed
