"""The solvers behind patrol routes and routed capacity: OR-Tools routing, bounded by CP-SAT.

A :class:`Problem` is a set of visits (a place's journey matrix, minutes on the spot, the
window in which each may start) and officers (vehicles, each with a shift and, optionally, a
depot). :func:`solve` finds routes for every visit with the least journey time, and a lower
bound on that least time, so every answer carries its optimality gap.

Why these solvers
-----------------
- **OR-Tools routing** (Google's vehicle routing library) is the main path. Time windows are
  bounds on its time *dimension*, and any further linear constraint can be put on the dimension's
  variables; the minimum gap between two visits to one place (start of one at least ``gap``
  after the start of the other, even when different officers or shifts make them) is such a
  constraint. PyVRP solves plain VRPTW very well but cannot tie the times of two clients
  together, so it cannot keep a dosage rule's gaps.
- **CP-SAT** (in the same package) gives the lower bound: the problem without its clocks (each
  team's officers walk open paths through all its visits, arcs no window allows removed) is
  solved as circuits, usually to proven optimality in milliseconds. When that bound does not
  meet the routes, the whole problem, clocks and gaps included, is handed to CP-SAT with the
  routes as a hint; on small instances it proves the optimum.
- Times are then chosen, for the routes found, as close as the constraints allow to each
  visit's preferred start (its planned start), again with CP-SAT (a small linear problem).

Units: times are integer seconds from an origin, journeys rounded *up* (a plan that fits in
whole seconds fits in real time); costs are integer milliseconds of journey. Both solvers run
on one thread (the machines this runs on are shared), with ``seed`` for CP-SAT.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.sat.python import cp_model

#: Cost of leaving a visit out: far above any day's journeys (ms), so every visit is kept
#: whenever the solver can keep it, and a left-out visit means the constraints cannot hold.
DROP_PENALTY_MS = 10**13


@dataclass
class Problem:
    """Visits and officers in integer seconds (times) and milliseconds (journey costs).

    ``n`` visits, ``V`` vehicles (officers). ``group[i]`` is the team-shift a visit belongs to
    (its vehicles are those with ``v_group == group[i]``), or -1 when any vehicle may make it.
    ``out_s[v, i]`` is the journey from vehicle ``v``'s depot to visit ``i`` and ``back_s[v, i]``
    the journey back (zeros: an open path that starts at its first visit). ``gaps`` holds
    ``(a, b, gap_s, ordered)``: with ``ordered`` visit ``b`` starts at least ``gap_s`` after ``a``,
    otherwise the two starts are at least ``gap_s`` apart either way round.
    """

    travel_s: np.ndarray
    cost_ms: np.ndarray
    dur_s: np.ndarray
    lo_s: np.ndarray
    hi_s: np.ndarray
    target_s: np.ndarray
    group: np.ndarray
    v_group: np.ndarray
    v_start_s: np.ndarray
    v_end_s: np.ndarray
    out_s: np.ndarray
    out_ms: np.ndarray
    back_s: np.ndarray
    back_ms: np.ndarray
    busy_s: np.ndarray | None = None
    gaps: list[tuple[int, int, int, bool]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.dur_s)

    @property
    def n_vehicles(self) -> int:
        return len(self.v_start_s)


@dataclass
class Solution:
    """Routes (visit indices per vehicle, in order), starts in seconds, cost and bound in ms."""

    routes: list[list[int]]
    start_s: np.ndarray
    cost_ms: int
    bound_ms: int
    dropped: list[int]
    proven: bool
    found_by: str
    seconds: float
    initial_feasible: bool = False


def route_cost_ms(pr: Problem, routes: list[list[int]]) -> int:
    """Journey cost of routes (depot legs included)."""
    total = 0
    for v, r in enumerate(routes):
        if not r:
            continue
        total += int(pr.out_ms[v, r[0]] + pr.back_ms[v, r[-1]])
        total += int(pr.cost_ms[r[:-1], r[1:]].sum())
    return total


def _possible_arcs(pr: Problem) -> np.ndarray:
    """i -> j is possible when j can start after i at its earliest plus the journey."""
    return pr.lo_s[:, None] + pr.dur_s[:, None] + pr.travel_s <= pr.hi_s[None, :]


# --------------------------------------------------------------------------- OR-Tools routing


def _routing(
    pr: Problem, seconds: float, stop_ms: int | None, initial: list[list[int]] | None,
    feasible_only: bool,
) -> tuple[list[list[int]], list[int]]:  # fmt: skip
    n, nv = pr.n, pr.n_vehicles
    starts = [n + v for v in range(nv)]
    ends = [n + nv + v for v in range(nv)]
    man = pywrapcp.RoutingIndexManager(n + 2 * nv, nv, starts, ends)
    model = pywrapcp.RoutingModel(man)
    size = n + 2 * nv
    transit = np.zeros((size, size), dtype=np.int64)
    cost = np.zeros((size, size), dtype=np.int64)
    transit[:n, :n] = pr.dur_s[:, None] + pr.travel_s
    cost[:n, :n] = pr.cost_ms
    transit[n : n + nv, :n] = pr.out_s
    cost[n : n + nv, :n] = pr.out_ms
    transit[:n, n + nv :] = pr.dur_s[:, None] + pr.back_s.T
    cost[:n, n + nv :] = pr.back_ms.T
    np.fill_diagonal(transit[:n, :n], 0)
    np.fill_diagonal(cost[:n, :n], 0)
    t_idx = model.RegisterTransitMatrix(transit.tolist())
    c_idx = model.RegisterTransitMatrix(cost.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(c_idx)
    horizon = int(max(pr.v_end_s.max(), pr.hi_s.max() if n else 0)) + 1
    model.AddDimension(t_idx, horizon, horizon, False, "time")
    clock = model.GetDimensionOrDie("time")
    if pr.busy_s is not None:
        # patrol time (on the spot and walking, not waiting) within each officer's share
        model.AddDimensionWithVehicleCapacity(t_idx, 0, [int(b) for b in pr.busy_s], True, "busy")
    for v in range(nv):
        for idx in (model.Start(v), model.End(v)):
            clock.CumulVar(idx).SetRange(int(pr.v_start_s[v]), int(pr.v_end_s[v]))
    several = len(np.unique(pr.v_group)) > 1
    for i in range(n):
        idx = man.NodeToIndex(i)
        clock.CumulVar(idx).SetRange(int(pr.lo_s[i]), int(pr.hi_s[i]))
        model.AddDisjunction([idx], DROP_PENALTY_MS)
        if several and pr.group[i] >= 0:
            allowed = np.flatnonzero(pr.v_group == pr.group[i]).tolist()
            # SetAllowedVehiclesForIndex does not take Python lists in OR-Tools 9.15; the
            # vehicle variable's domain says the same (-1: left out)
            model.VehicleVar(idx).SetValues([-1, *allowed])
    solver = model.solver()
    for a, b, gap, ordered in pr.gaps:
        ca, cb = clock.CumulVar(man.NodeToIndex(a)), clock.CumulVar(man.NodeToIndex(b))
        if ordered:
            solver.Add(cb >= ca + gap)
        else:
            solver.Add(solver.Max(cb - ca, ca - cb) >= gap)

    prm = pywrapcp.DefaultRoutingSearchParameters()
    prm.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    prm.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    prm.time_limit.FromMilliseconds(max(20, int(seconds * 1000)))

    def at_solution():
        value = model.CostVar().Value()
        # stop at the lower bound (nothing better exists) or, for a capacity question, at the
        # first routes that keep every visit
        if (stop_ms is not None and value <= stop_ms) or (
            feasible_only and value < DROP_PENALTY_MS
        ):
            solver.FinishCurrentSearch()

    model.AddAtSolutionCallback(at_solution)
    model.CloseModelWithParameters(prm)
    start = None
    if initial is not None:
        start = model.ReadAssignmentFromRoutes(
            [[man.NodeToIndex(i) for i in r] for r in initial], True
        )
    sol = (
        model.SolveFromAssignmentWithParameters(start, prm)
        if start is not None
        else model.SolveWithParameters(prm)
    )
    if sol is None:
        return [[] for _ in range(nv)], list(range(n))
    routes = []
    for v in range(nv):
        r, idx = [], sol.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(idx):
            r.append(man.IndexToNode(idx))
            idx = sol.Value(model.NextVar(idx))
        routes.append(r)
    kept = {i for r in routes for i in r}
    return routes, [i for i in range(n) if i not in kept]


# --------------------------------------------------------------------------- CP-SAT


def _cp_solver(seconds: float, seed: int) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = max(0.01, float(seconds))
    s.parameters.num_workers = 1
    s.parameters.random_seed = int(seed) % (2**31)
    return s


def _group_vehicles(pr: Problem, g: int) -> np.ndarray:
    return np.flatnonzero(pr.v_group == g)


def _circuits(m: cp_model.CpModel, pr: Problem, g: int, possible: np.ndarray, s=None):
    """Open paths of group ``g``'s officers through its visits, as one multiple circuit.

    Returns the arcs ``(i, j, literal)`` (visit indices; -1 is the depot) and the cost terms.
    With ``s`` (start-time variables) the arcs also carry the clocks.
    """
    vis = np.flatnonzero(pr.group == g)
    veh = _group_vehicles(pr, g)
    v0 = int(veh[0])
    start, end = int(pr.v_start_s[v0]), int(pr.v_end_s[v0])
    arcs, terms, leave = [], [], []
    circuit = []
    for a, i in enumerate(vis):
        x = m.new_bool_var("")
        y = m.new_bool_var("")
        circuit += [(0, a + 1, x), (a + 1, 0, y)]
        arcs += [(-1, int(i), x), (int(i), -1, y)]
        terms += [int(pr.out_ms[v0, i]) * x, int(pr.back_ms[v0, i]) * y]
        leave.append(x)
        if s is not None:
            m.add(s[i] >= start + int(pr.out_s[v0, i])).only_enforce_if(x)
            m.add(s[i] + int(pr.dur_s[i] + pr.back_s[v0, i]) <= end).only_enforce_if(y)
        for b, j in enumerate(vis):
            if i == j or not possible[i, j]:
                continue
            lit = m.new_bool_var("")
            circuit.append((a + 1, b + 1, lit))
            arcs.append((int(i), int(j), lit))
            terms.append(int(pr.cost_ms[i, j]) * lit)
            if s is not None:
                m.add(s[j] >= s[i] + int(pr.dur_s[i] + pr.travel_s[i, j])).only_enforce_if(lit)
    m.add_multiple_circuit(circuit)
    m.add(sum(leave) <= len(veh))
    return arcs, terms


def _paths_bound(pr: Problem, seconds: float, seed: int) -> tuple[int, bool]:
    """Lower bound: the least journeys with the clocks taken away (each group on its own)."""
    possible = _possible_arcs(pr)
    groups = [g for g in np.unique(pr.group) if g >= 0]
    total, proven = 0, True
    for g in groups:
        m = cp_model.CpModel()
        _, terms = _circuits(m, pr, int(g), possible)
        m.minimize(sum(terms))
        solver = _cp_solver(seconds / max(1, len(groups)), seed)
        status = solver.solve(m)
        if status == cp_model.INFEASIBLE:
            # no open paths at all: the routing step will say which visits cannot be kept
            return 0, False
        proven &= status == cp_model.OPTIMAL
        total += max(0, math.floor(solver.best_objective_bound + 1e-6))
    return total, proven


def _add_gaps(m: cp_model.CpModel, pr: Problem, s) -> None:
    for a, b, gap, ordered in pr.gaps:
        if ordered:
            m.add(s[b] >= s[a] + gap)
        else:
            first = m.new_bool_var("")
            m.add(s[b] >= s[a] + gap).only_enforce_if(first)
            m.add(s[a] >= s[b] + gap).only_enforce_if(~first)


def _full_cpsat(
    pr: Problem, hint: list[list[int]], hint_s: np.ndarray | None, seconds: float, seed: int
) -> tuple[list[list[int]] | None, int, bool]:
    """The whole problem (clocks, windows, gaps) as circuits: routes, bound, proven optimal."""
    possible = _possible_arcs(pr)
    m = cp_model.CpModel()
    s = [m.new_int_var(int(pr.lo_s[i]), int(pr.hi_s[i]), "") for i in range(pr.n)]
    groups = [int(g) for g in np.unique(pr.group)]
    arcs, terms = [], []
    for g in groups:
        a, t = _circuits(m, pr, g, possible, s)
        arcs += a
        terms += t
    _add_gaps(m, pr, s)
    m.minimize(sum(terms))
    used = set()
    for r in hint:
        if r:
            used |= {(-1, r[0]), (r[-1], -1), *itertools.pairwise(r)}
    for i, j, lit in arcs:
        m.add_hint(lit, (i, j) in used)
    if hint_s is not None:
        for i in range(pr.n):
            m.add_hint(s[i], int(hint_s[i]))
    solver = _cp_solver(seconds, seed)
    status = solver.solve(m)
    bound = max(0, math.floor(solver.best_objective_bound + 1e-6))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, bound, False
    succ = {i: j for i, j, lit in arcs if solver.value(lit)}
    routes: list[list[int]] = [[] for _ in range(pr.n_vehicles)]
    for g in groups:
        firsts = [j for i, j, lit in arcs if i == -1 and solver.value(lit) and pr.group[j] == g]
        for v, first in zip(_group_vehicles(pr, g), firsts):
            r, cur = [], first
            while cur != -1:
                r.append(int(cur))
                cur = succ[cur]
            routes[int(v)] = r
    return routes, bound, status == cp_model.OPTIMAL


def retime(pr: Problem, routes: list[list[int]], seed: int = 0, seconds: float = 10.0):
    """Start times for fixed routes, as close as the constraints allow to ``target_s``.

    Returns the starts (seconds; -1 for visits on no route) or None when the routes cannot
    keep every window, shift and gap.
    """
    m = cp_model.CpModel()
    s = [m.new_int_var(int(pr.lo_s[i]), int(pr.hi_s[i]), "") for i in range(pr.n)]
    for v, r in enumerate(routes):
        if not r:
            continue
        m.add(s[r[0]] >= int(pr.v_start_s[v] + pr.out_s[v, r[0]]))
        last = r[-1]
        m.add(s[last] + int(pr.dur_s[last] + pr.back_s[v, last]) <= int(pr.v_end_s[v]))
        for i, j in itertools.pairwise(r):
            m.add(s[j] >= s[i] + int(pr.dur_s[i] + pr.travel_s[i, j]))
    if pr.busy_s is not None:
        for v, r in enumerate(routes):
            if r and _busy_s(pr, v, r) > pr.busy_s[v]:
                return None
    _add_gaps(m, pr, s)
    on_route = sorted(i for r in routes for i in r)
    dev = []
    for i in on_route:
        d = m.new_int_var(0, int(pr.hi_s.max() - pr.lo_s.min()) + abs(int(pr.target_s[i])) + 1, "")
        m.add_abs_equality(d, s[i] - int(pr.target_s[i]))
        dev.append(d)
    m.minimize(sum(dev))
    solver = _cp_solver(seconds, seed)
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out = np.full(pr.n, -1, dtype=np.int64)
    out[on_route] = [solver.value(s[i]) for i in on_route]
    return out


def _busy_s(pr: Problem, v: int, r: list[int]) -> int:
    return int(
        pr.out_s[v, r[0]]
        + pr.dur_s[r].sum()
        + pr.travel_s[r[:-1], r[1:]].sum()
        + pr.back_s[v, r[-1]]
    )


# --------------------------------------------------------------------------- orchestration


def solve(
    pr: Problem,
    time_limit_s: float,
    *,
    seed: int = 0,
    initial: list[list[int]] | None = None,
    feasible_only: bool = False,
) -> Solution:
    """Routes for every visit with the least journey time, and a lower bound on it.

    ``initial`` (routes per vehicle, e.g. the time-order plan) starts the search when it keeps
    every constraint, so the answer is never worse than it. With ``feasible_only`` the search
    stops at the first routes that keep every visit (the capacity question) and no bound is
    computed. Visits the solver could not fit are listed in ``dropped``.
    """
    t0 = time.perf_counter()
    deadline = t0 + max(0.05, float(time_limit_s))
    reserve = 0.1 * float(time_limit_s)  # for the model building and timing that follow
    left = lambda: max(0.0, deadline - time.perf_counter())  # noqa: E731
    empty = [[] for _ in range(pr.n_vehicles)]
    if pr.n == 0:
        return Solution(empty, np.zeros(0, np.int64), 0, 0, [], True, "empty", 0.0, True)
    # the starting routes must keep every rule (with some start times) to bound the answer
    init_ok = initial is not None and retime(pr, initial, seed) is not None
    if not init_ok:
        initial = None
    bound, proven = (0, False) if feasible_only else _paths_bound(pr, 0.4 * left(), seed)
    stop = None if feasible_only else bound
    routes, dropped = _routing(pr, 0.6 * left(), stop, initial, feasible_only)
    found_by = "OR-Tools routing"
    cost = route_cost_ms(pr, routes) if not dropped else None
    if initial is not None and (cost is None or route_cost_ms(pr, initial) < cost):
        routes, dropped, cost, found_by = initial, [], route_cost_ms(pr, initial), "time order"
    if cost is not None and cost <= bound:
        proven = True
    elif cost is not None and not feasible_only and pr.busy_s is None and left() > reserve + 0.05:
        # the clock-free bound is not met: let CP-SAT work on the whole problem
        better, b2, optimal = _full_cpsat(pr, routes, None, left() - reserve, seed)
        bound = max(bound, b2)
        if better is not None and route_cost_ms(pr, better) < cost:
            routes, cost, found_by = better, route_cost_ms(pr, better), "CP-SAT"
        proven = optimal or cost <= bound
        if optimal:
            bound = cost
    else:
        proven = False
    starts = retime(pr, routes, seed) if not dropped else None
    if starts is None and not dropped:
        # cannot happen for routes the solvers found; said loudly rather than hidden
        dropped = sorted(i for r in routes for i in r)
    return Solution(
        routes=routes,
        start_s=starts if starts is not None else np.full(pr.n, -1, dtype=np.int64),
        cost_ms=int(cost) if cost is not None else -1,
        bound_ms=int(min(bound, cost)) if cost is not None else int(bound),
        dropped=dropped,
        proven=bool(proven),
        found_by=found_by,
        seconds=time.perf_counter() - t0,
        initial_feasible=init_ok,
    )
