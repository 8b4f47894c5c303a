"""TEMPORARY stand-in for the solver helper's module (branch `solver`): the agreed interface
with a first-come greedy, so the app layer can be built and tested. Replaced on merge."""
from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Candidate:
    key: str
    wish_id: int
    facility_id: int
    weekday: int
    start: int
    end: int
    block_start: int
    block_end: int
    parity: int | None
    rank: int
    dates_free: int = 0
    dates_total: int = 0


@dataclass(frozen=True)
class Wish:
    id: int
    organisation_id: int
    minutes_per_week: int
    priority: int
    submitted_order: int


@dataclass(frozen=True)
class Problem:
    wishes: tuple[Wish, ...]
    candidates: tuple[Candidate, ...]
    cap_minutes_per_org: int | None
    locked: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    time_limit_s: float = 10.0


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict


@dataclass(frozen=True)
class Result:
    chosen: dict[int, Candidate | None]
    reasons: dict[int, tuple[Reason, ...]]
    satisfied_share: float
    min_org_share: float
    status: str
    solve_seconds: float


def _clash(a: Candidate, b: Candidate) -> bool:
    if a.facility_id != b.facility_id:
        return False
    if a.parity is not None and b.parity is not None and a.parity != b.parity:
        return False
    return a.block_start < b.block_end and b.block_start < a.block_end


def _result(problem: Problem, chosen: dict, reasons: dict, status: str, started: float) -> Result:
    wishes = {w.id: w for w in problem.wishes}
    asked = sum(w.minutes_per_week for w in problem.wishes) or 1
    got = sum(wishes[i].minutes_per_week for i, c in chosen.items() if c is not None)
    per_org: dict[int, list[int]] = {}
    for w in problem.wishes:
        entry = per_org.setdefault(w.organisation_id, [0, 0])
        entry[0] += w.minutes_per_week
        if chosen.get(w.id) is not None:
            entry[1] += w.minutes_per_week
    shares = [g / a for a, g in per_org.values() if a]
    return Result(chosen, reasons, got / asked, min(shares) if shares else 1.0, status,
                  _time.perf_counter() - started)


def greedy(problem: Problem) -> Result:
    started = _time.perf_counter()
    by_wish: dict[int, list[Candidate]] = {}
    for c in problem.candidates:
        if c.key not in problem.excluded:
            by_wish.setdefault(c.wish_id, []).append(c)
    chosen: dict[int, Candidate | None] = {w.id: None for w in problem.wishes}
    reasons: dict[int, tuple[Reason, ...]] = {}
    used: dict[int, int] = {}
    wishes = {w.id: w for w in problem.wishes}
    for c in problem.candidates:
        if c.key in problem.locked:
            chosen[c.wish_id] = c
            w = wishes[c.wish_id]
            used[w.organisation_id] = used.get(w.organisation_id, 0) + w.minutes_per_week
    for w in sorted(problem.wishes, key=lambda w: w.submitted_order):
        if chosen[w.id] is not None:
            continue
        options = sorted(by_wish.get(w.id, []), key=lambda c: (c.rank, c.start))
        if not options:
            reasons[w.id] = (Reason("no_candidate", {}),)
            continue
        if problem.cap_minutes_per_org is not None and \
                used.get(w.organisation_id, 0) + w.minutes_per_week > problem.cap_minutes_per_org:
            reasons[w.id] = (Reason("cap_reached", {"cap_minutes": problem.cap_minutes_per_org}),)
            continue
        taken_by = None
        for c in options:
            other = next((o for o in chosen.values() if o is not None and _clash(o, c)), None)
            if other is None:
                chosen[w.id] = c
                used[w.organisation_id] = used.get(w.organisation_id, 0) + w.minutes_per_week
                if c.rank > 0:
                    reasons[w.id] = (Reason("lower_rank", {"rank": c.rank}),)
                break
            taken_by = taken_by or other
        else:
            reasons[w.id] = (Reason("taken", {"by_wish": taken_by.wish_id, "facility_id": taken_by.facility_id,
                                              "higher_priority": wishes[taken_by.wish_id].priority > w.priority}),)
    return _result(problem, chosen, reasons, "greedy", started)


def solve(problem: Problem) -> Result:
    ordered = Problem(tuple(sorted(problem.wishes, key=lambda w: (-w.priority, w.submitted_order))),
                      problem.candidates, problem.cap_minutes_per_org, problem.locked, problem.excluded)
    order = {w.id: n for n, w in enumerate(ordered.wishes)}
    ordered = Problem(tuple(Wish(w.id, w.organisation_id, w.minutes_per_week, w.priority, order[w.id])
                            for w in ordered.wishes), problem.candidates, problem.cap_minutes_per_org,
                      problem.locked, problem.excluded)
    found = greedy(ordered)
    return Result(found.chosen, found.reasons, found.satisfied_share, found.min_org_share, "feasible",
                  found.solve_seconds)


def alternatives(problem: Problem, result: Result, wish_id: int, extra: Iterable[Candidate],
                 limit: int = 3) -> list[Candidate]:
    chosen = [c for c in result.chosen.values() if c is not None]
    free = [c for c in extra if c.wish_id == wish_id and not any(_clash(c, o) for o in chosen)]
    return free[:limit]


def conflicts(problem: Problem, chosen: Iterable[Candidate]) -> list[tuple[str, str]]:
    items = list(chosen)
    return [(a.key, b.key) for i, a in enumerate(items) for b in items[i + 1:] if _clash(a, b)]
