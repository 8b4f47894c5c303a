"""The allocation engine of a seasonal round: which wish gets which weekly slot.

Pure: plain dataclasses in, plain dataclasses out; no Flask, no SQLAlchemy, no session.
The app (booking/seasons/services.py) turns a round into a `Problem`: for each wish it
generates `Candidate` weekly slots that are already open, big enough and free of existing
reservations and closures. This module chooses among them.

Times are minutes from Monday 00:00 in the facility's local time (0 … 10080); a block may
reach past the end of the week (Sunday late plus a buffer) and then wraps to Monday.

Hard constraints: at most one candidate per wish; no two chosen candidates of one facility
overlap (block intervals; two every-other-week slots of opposite parity do not clash, a
weekly slot clashes with both); per organisation the chosen minutes per week stay within
the round's cap (an every-other-week slot counts half); locked candidates are chosen,
excluded ones are not.

`greedy` is the first-come baseline: wishes in submitted order, each taking its first free
candidate by preference rank.

`solve` is the proposal, by CP-SAT: see its docstring for the objectives and determinism.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

WEEK_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Candidate:
    """One weekly slot a wish could get."""
    key: str                 # unique, stable (e.g. f"{wish_id}:{facility_id}:{weekday}:{start}")
    wish_id: int
    facility_id: int
    weekday: int             # 0 = Monday
    start: int               # minutes from Monday 00:00 local (the booked time)
    end: int
    block_start: int         # start/end widened by the facility's buffers (used for overlap)
    block_end: int
    parity: int | None       # None weekly; 0 / 1 every other week (even / odd weeks of the season)
    rank: int                # 0 = the wish's first-choice facility
    dates_free: int = 0
    dates_total: int = 0

    @property
    def half_minutes(self) -> int:
        """Booked time per week in half minutes (an every-other-week slot counts half)."""
        return (self.end - self.start) * (2 if self.parity is None else 1)

    @property
    def minutes_per_week(self) -> float:
        return self.half_minutes / 2


@dataclass(frozen=True)
class Wish:
    id: int
    organisation_id: int
    minutes_per_week: int    # duration (every other week counts half)
    priority: int            # tier weight from the round's rules, higher = more important (e.g. 1..4)
    submitted_order: int     # for the first-come greedy baseline


@dataclass(frozen=True)
class Problem:
    wishes: tuple[Wish, ...]
    candidates: tuple[Candidate, ...]
    cap_minutes_per_org: int | None          # hours-per-week cap of the round, in minutes
    locked: frozenset[str] = frozenset()      # candidate keys that must be chosen (manager-locked)
    excluded: frozenset[str] = frozenset()    # candidate keys that must not be chosen
    time_limit_s: float = 10.0
    # The share of objective (1), priority-weighted minutes, that fairness may cost: 0 keeps the
    # objectives strictly in order; 0.02 lets the solver give up to 2 % of them so that every
    # organisation gets a share (see `solve`).
    fairness_slack: float = 0.0


@dataclass(frozen=True)
class Reason:
    """Why a wish got nothing, or less than its first choice: a code and JSON-safe parameters.

    Codes: "no_candidate" (no slot was open, big enough and free at all),
    "taken" (every slot went to other wishes: params by_wish [ids], higher_priority bool),
    "cap_reached" (the organisation's hours-per-week cap: params organisation_id, cap_minutes),
    "shared_fairly" (a slot was free of higher priorities but went to another organisation so
    that every organisation gets a share: params by_wish [ids]),
    "lower_rank" (got a slot but not at a first-choice facility: params facility_id of the
    first choice, by_wish [ids] who hold it), "locked" (a manager locked the slot),
    "time_limit" (a free slot within the cap was left because the solver ran out of time).
    """
    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    chosen: dict[int, Candidate | None]      # wish id → chosen candidate or None
    reasons: dict[int, tuple[Reason, ...]]
    satisfied_share: float                    # allocated minutes / requested minutes (all wishes)
    min_org_share: float                      # smallest share of requested minutes any organisation got
    status: str                               # "optimal" | "feasible" | "greedy"
    solve_seconds: float


class AllocationError(ValueError):
    """The problem cannot be solved as given: locked candidates that cannot all hold (they
    overlap, two belong to one wish, one is also excluded) or a candidate of no wish."""

    def __init__(self, code: str, params: dict):
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


# --- overlap -----------------------------------------------------------------------------

def _pieces(c: Candidate) -> list[tuple[int, int]]:
    """The block as intervals inside one week [0, WEEK_MINUTES): a wrapping block splits in two."""
    start, end = c.block_start, c.block_end
    if end - start >= WEEK_MINUTES:
        return [(0, WEEK_MINUTES)]
    start_mod = start % WEEK_MINUTES
    end_mod = start_mod + (end - start)
    if end_mod <= WEEK_MINUTES:
        return [(start_mod, end_mod)]
    return [(start_mod, WEEK_MINUTES), (0, end_mod - WEEK_MINUTES)]


def _parities_clash(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def overlaps(a: Candidate, b: Candidate) -> bool:
    """Same facility, block intervals overlap (half-open), and the parities meet."""
    if a.facility_id != b.facility_id or not _parities_clash(a.parity, b.parity):
        return False
    return any(s1 < e2 and s2 < e1 for s1, e1 in _pieces(a) for s2, e2 in _pieces(b))


def conflicts(problem: Problem, chosen: Iterable[Candidate]) -> list[tuple[str, str]]:
    """Pairs of candidate keys that overlap (same facility, blocks overlap, parity compatible).

    For the manager's hand edits and for checking published allocations; each pair once,
    keys in (start, key) order, pairs sorted.
    """
    by_facility: dict[int, list[Candidate]] = defaultdict(list)
    for c in chosen:
        by_facility[c.facility_id].append(c)
    pairs = []
    for items in by_facility.values():
        items.sort(key=lambda c: (c.block_start, c.key))
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if overlaps(a, b):
                    pairs.append((a.key, b.key))
    return sorted(pairs)


# --- figures and reasons -----------------------------------------------------------------

def _requested_half_minutes(wish: Wish) -> int:
    return 2 * wish.minutes_per_week


def _shares(problem: Problem, chosen: dict[int, Candidate | None]) -> tuple[float, float]:
    requested = sum(_requested_half_minutes(w) for w in problem.wishes)
    allocated = sum(c.half_minutes for c in chosen.values() if c is not None)
    satisfied = allocated / requested if requested else 1.0
    org_shares = _org_shares(problem, chosen).values()
    return satisfied, (min(org_shares) if org_shares else 1.0)


def _org_shares(problem: Problem, chosen: dict[int, Candidate | None]) -> dict[int, float]:
    requested: dict[int, int] = defaultdict(int)
    got: dict[int, int] = defaultdict(int)
    for w in problem.wishes:
        requested[w.organisation_id] += _requested_half_minutes(w)
        c = chosen.get(w.id)
        if c is not None:
            got[w.organisation_id] += c.half_minutes
    return {o: (min(1.0, got[o] / r) if r else 1.0) for o, r in requested.items()}


def _explain(problem: Problem, chosen: dict[int, Candidate | None],
             fair: bool) -> dict[int, tuple[Reason, ...]]:
    """Reason codes per wish. `fair` is False for the first-come baseline, which never shares."""
    wishes = {w.id: w for w in problem.wishes}
    org_share = _org_shares(problem, chosen)
    by_wish: dict[int, list[Candidate]] = defaultdict(list)
    for c in problem.candidates:
        by_wish[c.wish_id].append(c)
    picked = [c for c in chosen.values() if c is not None]
    picked_by_facility: dict[int, list[Candidate]] = defaultdict(list)
    for c in picked:
        picked_by_facility[c.facility_id].append(c)
    org_used: dict[int, int] = defaultdict(int)
    for c in picked:
        org_used[wishes[c.wish_id].organisation_id] += c.half_minutes
    cap = problem.cap_minutes_per_org

    requested: dict[int, int] = defaultdict(int)
    for w in problem.wishes:
        requested[w.organisation_id] += _requested_half_minutes(w)

    def _fairer(taker: Wish, wish: Wish) -> bool:
        if taker.priority != wish.priority or taker.organisation_id == wish.organisation_id:
            return False
        held = chosen[taker.id]
        taker_without = org_share[taker.organisation_id] - held.half_minutes / requested[taker.organisation_id]
        wish_with = org_share[wish.organisation_id] + _requested_half_minutes(wish) / requested[wish.organisation_id]
        return taker_without < wish_with

    def blockers(c: Candidate) -> list[int]:
        return sorted({o.wish_id for o in picked_by_facility[c.facility_id]
                       if o.wish_id != c.wish_id and overlaps(c, o)})

    reasons: dict[int, tuple[Reason, ...]] = {}
    for wish in problem.wishes:
        got = chosen.get(wish.id)
        options = [c for c in by_wish[wish.id] if c.key not in problem.excluded]
        if got is not None:
            out = []
            if got.key in problem.locked:
                out.append(Reason("locked", {}))
            if got.rank > 0:
                firsts = sorted({c.facility_id for c in options if c.rank == 0})
                holders = sorted({b for c in options if c.rank == 0 for b in blockers(c)})
                out.append(Reason("lower_rank", {"facility_id": firsts[0] if firsts else None,
                                                 "by_wish": holders}))
            reasons[wish.id] = tuple(out)
            continue
        if not options:
            reasons[wish.id] = (Reason("no_candidate", {}),)
            continue
        free = [c for c in options if not blockers(c)]
        if free:
            used = org_used[wish.organisation_id]
            if cap is not None and all(used + c.half_minutes > 2 * cap for c in free):
                reasons[wish.id] = (Reason("cap_reached", {"organisation_id": wish.organisation_id,
                                                           "cap_minutes": cap}),)
            else:
                # A free slot within the cap left unused: only when the time limit stopped the
                # solver before it could add it.
                reasons[wish.id] = (Reason("time_limit", {}),)
            continue
        takers = sorted({b for c in options for b in blockers(c)})
        higher = all(wishes[t].priority > wish.priority for t in takers)
        taken = Reason("taken", {"by_wish": takers, "higher_priority": higher})
        if fair and any(_fairer(wishes[t], wish) for t in takers):
            # An equal priority of another organisation holds the slot, and without it that
            # organisation would fall below this one's share: fairness gave it to them.
            reasons[wish.id] = (Reason("shared_fairly", {"by_wish": takers}), taken)
        else:
            reasons[wish.id] = (taken,)
    return reasons


def _result(problem: Problem, chosen: dict[int, Candidate | None], status: str, started: float) -> Result:
    satisfied, min_share = _shares(problem, chosen)
    return Result(chosen=chosen, reasons=_explain(problem, chosen, status != "greedy"), satisfied_share=satisfied,
                  min_org_share=min_share, status=status, solve_seconds=time.perf_counter() - started)


def _check_locked(problem: Problem) -> list[Candidate]:
    wish_ids = {w.id for w in problem.wishes}
    unknown = sorted({c.key for c in problem.candidates if c.wish_id not in wish_ids})
    if unknown:
        raise AllocationError("unknown_wish", {"keys": unknown[:10]})
    if problem.locked & problem.excluded:
        raise AllocationError("locked_excluded", {"keys": sorted(problem.locked & problem.excluded)})
    locked = [c for c in problem.candidates if c.key in problem.locked]
    seen: dict[int, str] = {}
    for c in locked:
        if c.wish_id in seen:
            raise AllocationError("locked_same_wish", {"keys": sorted([seen[c.wish_id], c.key])})
        seen[c.wish_id] = c.key
    pairs = conflicts(problem, locked)
    if pairs:
        raise AllocationError("locked_overlap", {"pairs": [list(p) for p in pairs]})
    return locked


# --- the baseline ------------------------------------------------------------------------

def greedy(problem: Problem) -> Result:
    """First come, first served: wishes in submitted order, each taking its first candidate
    (by preference rank, then time) that is free and within the organisation's cap.
    Locked candidates are placed first; excluded ones are never taken."""
    started = time.perf_counter()
    wishes = {w.id: w for w in problem.wishes}
    chosen: dict[int, Candidate | None] = {w.id: None for w in problem.wishes}
    by_facility: dict[int, list[Candidate]] = defaultdict(list)
    org_used: dict[int, int] = defaultdict(int)
    cap2 = None if problem.cap_minutes_per_org is None else 2 * problem.cap_minutes_per_org

    def take(c: Candidate) -> None:
        chosen[c.wish_id] = c
        by_facility[c.facility_id].append(c)
        org_used[wishes[c.wish_id].organisation_id] += c.half_minutes

    for c in _check_locked(problem):
        take(c)
    by_wish: dict[int, list[Candidate]] = defaultdict(list)
    for c in problem.candidates:
        if c.key not in problem.excluded:
            by_wish[c.wish_id].append(c)
    for wish in sorted(problem.wishes, key=lambda w: (w.submitted_order, w.id)):
        if chosen[wish.id] is not None:
            continue
        for c in sorted(by_wish[wish.id], key=lambda c: (c.rank, c.start, c.facility_id, c.key)):
            if cap2 is not None and org_used[wish.organisation_id] + c.half_minutes > cap2:
                continue
            if any(overlaps(c, o) for o in by_facility[c.facility_id]):
                continue
            take(c)
            break
    return _result(problem, chosen, "greedy", started)


# --- the proposal ------------------------------------------------------------------------

FAIRNESS_SCALE = 10_000          # shares are compared in ten-thousandths
# Of the deterministic time still left, per stage: (1) is usually proved at once, (2) is the
# hard one, (2b) and (3) take what is left.
STAGE_SHARE = {"weighted": 0.5, "fairness": 0.7, "recover": 0.5, "rank": 1.0}


def _maximal_cliques(items: list[tuple[int, int, int]]) -> list[frozenset[int]]:
    """Maximal sets of mutually overlapping intervals (start, end, index), half-open, by a sweep:
    the active set just before an end, when something started since the last end."""
    events = sorted([(s, 1, i) for s, _e, i in items] + [(e, 0, i) for _s, e, i in items])
    active: set[int] = set()
    grown = False
    cliques = []
    for _t, kind, i in events:
        if kind == 1:
            active.add(i)
            grown = True
        else:
            if grown and len(active) > 1:
                cliques.append(frozenset(active))
            grown = False
            active.discard(i)
    return cliques


def _build_model(problem: Problem, usable: list[Candidate]):
    from ortools.sat.python import cp_model

    wishes = {w.id: w for w in problem.wishes}
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{i}") for i in range(len(usable))]
    for i, c in enumerate(usable):
        if c.key in problem.locked:
            model.Add(x[i] == 1)
    per_wish: dict[int, list[int]] = defaultdict(list)
    per_org: dict[int, list[int]] = defaultdict(list)
    per_facility: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(usable):
        per_wish[c.wish_id].append(i)
        per_org[wishes[c.wish_id].organisation_id].append(i)
        per_facility[c.facility_id].append(i)
    for idx in per_wish.values():
        if len(idx) > 1:
            model.AddAtMostOne(x[i] for i in idx)
    # No overlap per facility as clique constraints (the tightest linear form for intervals):
    # a weekly slot occupies both parities, an every-other-week slot only its own.
    for idx in per_facility.values():
        seen: set[frozenset[int]] = set()
        for parity in (0, 1):
            items = [(s, e, i) for i in idx if usable[i].parity in (None, parity)
                     for s, e in _pieces(usable[i])]
            for clique in _maximal_cliques(items):
                if clique not in seen:
                    seen.add(clique)
                    model.AddAtMostOne(x[i] for i in sorted(clique))
    if problem.cap_minutes_per_org is not None:
        for org, idx in per_org.items():
            # A manager's locks may go past the cap; the solver then adds nothing more there.
            locked_half = sum(usable[i].half_minutes for i in idx if usable[i].key in problem.locked)
            limit = max(2 * problem.cap_minutes_per_org, locked_half)
            model.Add(sum(usable[i].half_minutes * x[i] for i in idx) <= limit)
    weighted = sum(wishes[c.wish_id].priority * c.half_minutes * x[i] for i, c in enumerate(usable))
    # Fairness: z / SCALE is at most every organisation's share of its requested minutes
    # (organisations with no usable slot at all cannot take part, or z would always be 0).
    requested: dict[int, int] = defaultdict(int)
    for w in problem.wishes:
        requested[w.organisation_id] += _requested_half_minutes(w)
    z = model.NewIntVar(0, FAIRNESS_SCALE, "min_share")
    for org, idx in per_org.items():
        if requested[org]:
            model.Add(z * requested[org] <= FAIRNESS_SCALE * sum(usable[i].half_minutes * x[i] for i in idx))
    # Within fairness, then as few organisations left with nothing as possible: the smallest
    # share alone says nothing more once one organisation must go without.
    served = []
    for org, idx in sorted(per_org.items()):
        y = model.NewBoolVar(f"served{org}")
        model.Add(sum(x[i] for i in idx) >= y)
        served.append(y)
    fairness = z * (len(served) + 1) + sum(served)
    rank_cost = sum(c.rank * x[i] for i, c in enumerate(usable))
    return model, x, weighted, fairness, rank_cost


def solve(problem: Problem) -> Result:
    """The proposal, by CP-SAT (OR-Tools), with three objectives in strict order:
    (1) priority-weighted satisfied minutes, (2) the smallest share of its requested minutes
    any organisation gets, (3) preference rank (first choices preferred).

    With `problem.fairness_slack` above 0, stage (2) may give up that share of (1), and a stage
    (2b) then wins back as much of (1) as the fairness found allows, before (3).

    Sequential solves, not scaled weights: each stage optimises one objective with the
    previous ones fixed at the value found, so no weight can trade a minute of (1) for (2)
    however large the round, and each stage's number means what it says. Every stage is
    hinted with the solution before it, and stage (1) with the first-come baseline, so the
    proposal is never worse than `greedy` on (1).

    Deterministic: one worker, a fixed seed and a budget in deterministic time
    (`time_limit_s`, shared out over the stages), so the same input gives the same answer on
    any machine; a wall-clock limit (three times the budget and two seconds, for a loaded
    machine) is only a safety net. When the budget
    runs out the best allocation found is returned with status "feasible".
    Raises AllocationError when the locked candidates cannot all hold.
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    _check_locked(problem)
    baseline = greedy(problem)
    usable = [c for c in problem.candidates if c.key not in problem.excluded]
    if not usable:
        return _result(problem, {w.id: None for w in problem.wishes}, "optimal", started)
    model, x, weighted, fairness, rank_cost = _build_model(problem, usable)
    wishes = {w.id: w for w in problem.wishes}

    def value_of(picked: set[int]) -> int:
        return sum(wishes[usable[i].wish_id].priority * usable[i].half_minutes for i in picked)

    baseline_keys = {c.key for c in baseline.chosen.values() if c is not None}
    best = {i for i, c in enumerate(usable) if c.key in baseline_keys}
    budget = max(0.01, float(problem.time_limit_s))
    wall_deadline = started + 3 * budget + 2.0
    spent = 0.0
    all_optimal = True

    def run(stage: str, hint: set[int]) -> tuple[set[int], int] | None:
        nonlocal spent, all_optimal
        model.ClearHints()
        for i, var in enumerate(x):
            model.AddHint(var, 1 if i in hint else 0)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 20260901
        # The LP relaxation with the clique constraints is nearly tight: full linearisation
        # proves the optimum in a fraction of what search alone takes.
        solver.parameters.linearization_level = 2
        solver.parameters.max_deterministic_time = max(0.01, (budget - spent) * STAGE_SHARE[stage])
        solver.parameters.max_time_in_seconds = max(0.05, wall_deadline - time.perf_counter())
        status = solver.Solve(model)
        spent += solver.ResponseProto().deterministic_time
        if status != cp_model.OPTIMAL:
            all_optimal = False
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return {i for i, var in enumerate(x) if solver.Value(var)}, round(solver.ObjectiveValue())

    # (1) as many priority-weighted minutes as possible.
    model.Maximize(weighted)
    found = run("weighted", best)
    if found is not None and value_of(found[0]) >= value_of(best):
        best = found[0]
    slack = min(max(problem.fairness_slack, 0.0), 1.0)
    floor = value_of(best)
    model.Add(weighted >= (floor - int(floor * slack)))
    # (2) then the smallest organisation share as large as possible (then the fewest
    # organisations with nothing).
    model.Maximize(fairness)
    found = run("fairness", best)
    if found is not None:
        best = found[0]
        model.Add(fairness >= found[1])
    if slack:
        # (2b) with fairness held, win back as many of the weighted minutes given up as possible.
        model.Maximize(weighted)
        found = run("recover", best)
        if found is not None:
            best = found[0]
        model.Add(weighted >= value_of(best))
    # (3) then first choices.
    model.Minimize(rank_cost)
    found = run("rank", best)
    if found is not None:
        best = found[0]
    chosen: dict[int, Candidate | None] = {w.id: None for w in problem.wishes}
    for i in best:
        chosen[usable[i].wish_id] = usable[i]
    return _result(problem, chosen, "optimal" if all_optimal else "feasible", started)


# --- alternatives ------------------------------------------------------------------------

def _distance(c: Candidate, window: list[Candidate]) -> int:
    if not window:
        return 0
    # How far the slot reaches outside the span the wish asked for (0 inside it).
    lo = min(w.start for w in window)
    hi = max(w.end for w in window)
    return max(lo - c.start, c.end - hi, 0)


def alternatives(problem: Problem, result: Result, wish_id: int, extra: Iterable[Candidate],
                 limit: int = 3) -> list[Candidate]:
    """The nearest free slots for a wish, from `extra` candidates (other times or days the
    app generated): those overlapping no chosen candidate of another wish, nearest in time to
    the wish's own window (the span of its candidates in the problem) first, then by rank."""
    window = [c for c in problem.candidates if c.wish_id == wish_id]
    picked = [c for c in result.chosen.values() if c is not None and c.wish_id != wish_id]
    picked_by_facility: dict[int, list[Candidate]] = defaultdict(list)
    for c in picked:
        picked_by_facility[c.facility_id].append(c)
    own = result.chosen.get(wish_id)
    seen: set[tuple[int, int, int | None]] = set()
    free = []
    for c in extra:
        if c.key in problem.excluded or (own is not None and c.key == own.key):
            continue
        spot = (c.facility_id, c.start, c.parity)
        if spot in seen or any(overlaps(c, o) for o in picked_by_facility[c.facility_id]):
            continue
        seen.add(spot)
        free.append(c)
    free.sort(key=lambda c: (_distance(c, window), c.rank, c.start, c.facility_id, c.key))
    return free[:limit]
