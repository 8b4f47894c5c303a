"""`python -m bench --seasons` on a tiny round: it runs to the end, reports both allocators, and the
solver's proposal has no overlap and keeps the cap. How fast it is, is for the benchmark to say."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from bench import seasons
from booking.seasons.allocation import conflicts, solve

ROOT = Path(__file__).resolve().parents[2]


def test_the_seasons_benchmark_reports_the_solver_and_the_first_come_baseline(tmp_path):
    output = tmp_path / "seasons.json"
    command = [sys.executable, "-m", "bench", "--seasons", "--applications", "12", "--wishes", "30",
               "--halls", "4", "--time-limit", "2", "--folder", str(tmp_path), "--json", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    result = json.loads(output.read_text())
    assert result["wishes"] == 30 and result["organisations"] == 12 and result["candidates"] > 0
    for key in ("solver", "greedy"):
        figures = result[key]
        assert 0 <= figures["satisfied_share"] <= 1 and 0 <= figures["min_org_share"] <= 1, figures
        assert figures["seconds"] >= 0
    assert result["greedy"]["status"] == "greedy"
    assert result["solver"]["status"] in ("optimal", "feasible")
    assert result["solver"]["weighted_share"] >= result["greedy"]["weighted_share"]
    assert "| CP-SAT solver |" in done.stdout and "| first-come greedy |" in done.stdout


def test_the_generated_round_is_the_same_for_the_same_seed_and_its_proposal_holds():
    problem = seasons.generate(applications=12, wishes=30, halls=4, seed=7, time_limit_s=2)
    assert problem == seasons.generate(applications=12, wishes=30, halls=4, seed=7, time_limit_s=2)
    result = solve(problem)
    picked = [c for c in result.chosen.values() if c is not None]
    assert conflicts(problem, picked) == []
    organisation = {w.id: w.organisation_id for w in problem.wishes}
    used = defaultdict(float)
    for c in picked:
        used[organisation[c.wish_id]] += c.minutes_per_week
    assert max(used.values()) <= problem.cap_minutes_per_org
