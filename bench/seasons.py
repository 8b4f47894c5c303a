"""The seasonal round benchmark: a generated round allocated by the solver and by the
first-come baseline in the same run. Pure: `Problem` objects, no database.

    python -m bench --seasons                                   # 300 applications, 900 wishes, 40 halls
    python -m bench --seasons --applications 30 --wishes 90 --halls 4 --time-limit 2

The round looks like a city's sports halls in autumn: halls in districts, open on weekday
evenings (some from the afternoon) and at weekends, some with a 15-minute buffer; each
application (one organisation) holds one to five wishes, most on Monday–Thursday evenings,
60–120 minutes, a window from 30 minutes to two and a half hours wider than the duration, one
in six every other week, ranking one to three halls of its district; priority tiers 1–4 as a
round's rules would give (youth and third sector high). A small share of the slots is taken
out as if already booked. Same seed, same round.
"""
from __future__ import annotations

import dataclasses
import random
import time
from collections import defaultdict

from booking.seasons.allocation import (
    WEEK_MINUTES,
    Candidate,
    Problem,
    Wish,
    greedy,
    solve,
)

DAY = 24 * 60
STEP = 30            # start times every half hour inside a wish's window
SEASON_WEEKS = 36    # 1 Sep – 31 May less holiday weeks


def _opening(rng: random.Random) -> dict[int, tuple[int, int]]:
    """Weekday → (open, close) in minutes of the day."""
    weekday_open = rng.choice([16 * 60, 16 * 60, 8 * 60])  # schools' halls open after classes
    hours = {d: (weekday_open, 22 * 60) for d in range(5)}
    if rng.random() < 0.8:
        hours[5] = (9 * 60, 20 * 60)
        hours[6] = (10 * 60, 20 * 60)
    return hours


def generate(applications: int = 300, wishes: int = 900, halls: int = 40, seed: int = 1,
             cap_hours: int | None = 8, time_limit_s: float = 10.0) -> Problem:
    rng = random.Random(seed)
    districts = max(1, halls // 8)
    hall_district = {h: h % districts for h in range(1, halls + 1)}
    hall_hours = {h: _opening(rng) for h in hall_district}
    hall_buffer = {h: rng.choice([0, 0, 15]) for h in hall_district}
    hall_capacity = {h: rng.choice([30, 60, 120, 250]) for h in hall_district}
    by_district = defaultdict(list)
    for h, d in hall_district.items():
        by_district[d].append(h)

    # Every application gets at least one wish; the rest are spread at random.
    counts = [1] * applications
    for _ in range(max(0, wishes - applications)):
        counts[rng.randrange(applications)] += 1
    counts = [min(c, 5) for c in counts]
    while sum(counts) < wishes and any(c < 5 for c in counts):
        counts[rng.choice([i for i, c in enumerate(counts) if c < 5])] += 1

    wish_list: list[Wish] = []
    candidates: list[Candidate] = []
    wish_id = 0
    for application in range(applications):
        organisation = application + 1
        district = rng.randrange(districts)
        tier = rng.choices([1, 2, 3, 4], weights=[3, 4, 2, 1])[0]
        for _ in range(counts[application]):
            wish_id += 1
            weekday = rng.choices(range(7), weights=[5, 6, 6, 5, 3, 2, 2])[0]
            duration = rng.choice([60, 90, 90, 120])
            earliest = (rng.choice([10, 12, 14]) if weekday >= 5 else rng.choice([16, 17, 17, 18, 18, 19])) * 60
            latest = earliest + duration + rng.choice([30, 60, 90, 150])
            biweekly = rng.random() < 1 / 6
            participants = rng.choice([12, 20, 25, 40, 80])
            ranked = rng.sample(by_district[district], k=min(len(by_district[district]), rng.randint(1, 3)))
            wish_list.append(Wish(id=wish_id, organisation_id=organisation,
                                  minutes_per_week=duration // 2 if biweekly else duration,
                                  priority=tier, submitted_order=rng.randrange(10 * wishes)))
            for rank, hall in enumerate(ranked):
                if hall_capacity[hall] < participants or weekday not in hall_hours[hall]:
                    continue
                opens, closes = hall_hours[hall][weekday]
                buffer = hall_buffer[hall]
                for start in range(max(earliest, opens), min(latest, closes) - duration + 1, STEP):
                    if rng.random() < 0.05:  # already booked on too many of the season's dates
                        continue
                    begin = weekday * DAY + start
                    for parity in ((0, 1) if biweekly else (None,)):
                        free = SEASON_WEEKS - rng.choice([0, 0, 0, 1, 2])
                        candidates.append(Candidate(
                            key=f"{wish_id}:{hall}:{weekday}:{start}:{'w' if parity is None else parity}",
                            wish_id=wish_id, facility_id=hall, weekday=weekday, start=begin,
                            end=begin + duration, block_start=max(0, begin - buffer),
                            block_end=min(WEEK_MINUTES, begin + duration + buffer), parity=parity, rank=rank,
                            dates_free=free, dates_total=SEASON_WEEKS))
    # submitted_order as a permutation: the order applications came in
    order = sorted(wish_list, key=lambda w: (w.submitted_order, w.id))
    wish_list = [Wish(w.id, w.organisation_id, w.minutes_per_week, w.priority, n)
                 for n, w in enumerate(sorted(order, key=lambda w: w.id))]
    return Problem(wishes=tuple(wish_list), candidates=tuple(candidates),
                   cap_minutes_per_org=None if cap_hours is None else cap_hours * 60, time_limit_s=time_limit_s)


FAIRNESS_SLACK = 0.02  # the third row: fairness may cost up to 2 % of the priority-weighted hours


def _min_share_possible(problem: Problem, result) -> float:
    """The smallest share among organisations that had at least one slot to get."""
    wishes = {w.id: w for w in problem.wishes}
    possible = {wishes[c.wish_id].organisation_id for c in problem.candidates}
    requested, got = defaultdict(int), defaultdict(int)
    for w in problem.wishes:
        requested[w.organisation_id] += w.minutes_per_week
        c = result.chosen.get(w.id)
        if c is not None:
            got[w.organisation_id] += c.minutes_per_week
    shares = [got[o] / requested[o] for o in possible if requested[o]]
    return min(shares, default=1.0)


def _figures(result, seconds: float, problem: Problem) -> dict:
    chosen = [c for c in result.chosen.values() if c is not None]
    weighted_total = sum(w.priority * 2 * w.minutes_per_week for w in problem.wishes)
    wishes = {w.id: w for w in problem.wishes}
    weighted = sum(wishes[c.wish_id].priority * c.half_minutes for c in chosen)
    return {"seconds": round(seconds, 2), "status": result.status,
            "satisfied_share": round(result.satisfied_share, 4),
            "weighted_share": round(weighted / weighted_total, 4) if weighted_total else 1.0,
            "min_org_share": round(result.min_org_share, 4),
            "min_share_possible": round(_min_share_possible(problem, result), 4),
            "organisations_without": _organisations_without(problem, result),
            "wishes_allocated": len(chosen),
            "first_choice": sum(1 for c in chosen if c.rank == 0)}


def _organisations_without(problem: Problem, result) -> int:
    got = defaultdict(int)
    for w in problem.wishes:
        got[w.organisation_id] += result.chosen.get(w.id) is not None
    return sum(1 for v in got.values() if v == 0)


def measure(applications: int = 300, wishes: int = 900, halls: int = 40, seed: int = 1,
            cap_hours: int | None = 8, time_limit_s: float = 10.0) -> dict:
    started = time.perf_counter()
    problem = generate(applications, wishes, halls, seed, cap_hours, time_limit_s)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    baseline = greedy(problem)
    greedy_seconds = time.perf_counter() - started
    started = time.perf_counter()
    proposal = solve(problem)
    solve_seconds = time.perf_counter() - started
    started = time.perf_counter()
    slack = dataclasses.replace(problem, fairness_slack=FAIRNESS_SLACK)
    shared = solve(slack)
    shared_seconds = time.perf_counter() - started
    return {"applications": applications, "wishes": len(problem.wishes), "halls": halls, "seed": seed,
            "organisations": len({w.organisation_id for w in problem.wishes}),
            "candidates": len(problem.candidates), "cap_hours": cap_hours, "time_limit_s": time_limit_s,
            "requested_hours": round(sum(w.minutes_per_week for w in problem.wishes) / 60, 1),
            "generated_seconds": round(generated, 2),
            "solver": _figures(proposal, solve_seconds, problem),
            "solver_slack": {**_figures(shared, shared_seconds, problem), "fairness_slack": FAIRNESS_SLACK},
            "greedy": _figures(baseline, greedy_seconds, problem)}


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def table(result: dict) -> str:
    title = (f"### Seasonal round: {result['applications']} applications ({result['organisations']} "
             f"organisations), {result['wishes']} wishes, {result['halls']} halls, {result['candidates']:,} "
             f"candidate slots, seed {result['seed']}")
    setting = (f"{result['requested_hours']:,} hours a week requested; cap {result['cap_hours']} h a week per "
               f"organisation; solver budget {result['time_limit_s']:g} s (deterministic time).")
    head = ("| allocator | seconds | status | satisfied share of requested hours | priority-weighted share | "
            "smallest organisation share (all; with a possible slot) | organisations with nothing | "
            "wishes allocated | at first choice |")
    lines = [title, "", setting, "", head, "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    slack = f"CP-SAT, fairness may cost {100 * FAIRNESS_SLACK:g} %"
    for label, key in (("CP-SAT solver", "solver"), (slack, "solver_slack"), ("first-come greedy", "greedy")):
        f = result[key]
        lines.append(f"| {label} | {f['seconds']:.2f} | {f['status']} | {_pct(f['satisfied_share'])} | "
                     f"{_pct(f['weighted_share'])} | {_pct(f['min_org_share'])}; {_pct(f['min_share_possible'])} | "
                     f"{f['organisations_without']} | {f['wishes_allocated']} | {f['first_choice']} |")
    return "\n".join(lines)
