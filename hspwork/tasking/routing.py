"""Optimised patrol routes: each team's visits in a shift reordered and retimed for least travel.

Source document 004 asks for "optimal journey times between 15-minute patrols". The time-order
plan (:func:`hspwork.tasking.route`) walks the visits in the order of their planned starts;
:func:`optimise_routes` finds the order, the officer and the start of every visit that make the
journeys shortest while keeping every rule of the plan: each visit and its minutes, its day,
its window, the shift, and the minimum gap between visits to one place.

The solvers are Google OR-Tools' routing library with a CP-SAT lower bound; why those, and how
the gap rule is written for them, is in :mod:`hspwork.tasking._solver`.

Unpredictability (Koper's random visits every two hours; Sacramento's random order of hot
spots each shift) comes from the windows: :func:`hspwork.tasking.schedule` draws each day's
planned starts at random, weighted by each place's crime profile, and with ``window_minutes``
the optimiser only reorders visits inside those windows, so the order changes from day to day
and with the seed, while the journeys are as short as the windows allow.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hspwork.crs import require_crs, unit_to_metres
from hspwork.errors import HspworkError, SchemaError
from hspwork.tasking import _solver
from hspwork.tasking._common import _local_to_utc, _need
from hspwork.tasking.network import StreetNetwork, _places_xy, _speed, travel_minutes
from hspwork.tracking.dosage import DEFAULT_SHIFTS
from hspwork.tracking.dwell import time_ns

_NEEDED = ["fence_id", "date", "shift", "planned_start", "minutes", "team"]
# columns of the time-order router that no longer describe an optimised plan
_STALE = ["moved_minutes", "after_shift_end", "travel_m"]
NS = 1_000_000_000


# --------------------------------------------------------------------------- plan -> numbers


def shift_bounds(
    plan: pd.DataFrame, shift_hours: Mapping[str, tuple[float, float]] | None = None,
    tz: str = "Europe/London",
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """UTC nanoseconds of the start and end of each row's shift (``date`` + ``shift``).

    A shift whose end hour is not after its start hour ends on the next day (a night shift).

    Examples
    --------
    >>> p = pd.DataFrame({"date": ["2025-07-01"], "shift": ["night"]})
    >>> a, b = shift_bounds(p)
    >>> [str(pd.Timestamp(x, tz="UTC")) for x in (a[0], b[0])]   # 23:00-07:00 BST
    ['2025-07-01 22:00:00+00:00', '2025-07-02 06:00:00+00:00']
    """
    hours = DEFAULT_SHIFTS if shift_hours is None else shift_hours
    unknown = sorted(set(plan["shift"].astype(str)) - set(hours))
    if unknown:
        raise SchemaError(
            f"plan names shift(s) {unknown} that shift_hours does not know; known: "
            f"{sorted(hours)}. Pass shift_hours={{name: (start hour, end hour)}}"
        )
    key = plan[["date", "shift"]].astype(str).drop_duplicates()
    day = pd.to_datetime(key["date"])
    h0 = key["shift"].map(lambda s: hours[s][0]).astype(float)
    h1 = key["shift"].map(lambda s: hours[s][1]).astype(float)
    length = ((h1 - h0) % 24).where(lambda x: x > 0, 24.0)
    start = _local_to_utc(day + pd.to_timedelta(h0, unit="h"), tz)
    end = _local_to_utc(day + pd.to_timedelta(h0 + length, unit="h"), tz)
    table = pd.DataFrame(
        {"a": pd.DatetimeIndex(start).as_unit("ns").asi8, "b": pd.DatetimeIndex(end).as_unit("ns").asi8},
        index=pd.MultiIndex.from_frame(key),
    )  # fmt: skip
    rows = pd.MultiIndex.from_frame(plan[["date", "shift"]].astype(str))
    got = table.reindex(rows)
    return got["a"].to_numpy(np.int64), got["b"].to_numpy(np.int64)


def _windows(p: pd.DataFrame, window_minutes, s0: np.ndarray, s1: np.ndarray):
    """Earliest and latest start (ns, inclusive) of each visit, and the rule that set it."""
    start = time_ns(p["planned_start"], "planned_start")
    dur = np.round(p["minutes"].to_numpy(float) * 60 * NS).astype(np.int64)
    lo, hi = s0.copy(), s1 - dur
    rule = np.full(len(p), "shift", dtype=object)
    if window_minutes is not None:
        w = float(window_minutes)
        if not np.isfinite(w) or w < 0:
            raise HspworkError(f"window_minutes={window_minutes!r}: give minutes >= 0 or None")
        lo = np.maximum(lo, start - round(w * 60 * NS))
        # half-open [start - w, start + w): the last whole second before start + w
        hi = np.minimum(hi, start + round(w * 60 * NS) - NS) if w > 0 else np.minimum(hi, start)
        rule[:] = f"±{w:g} minutes"
    if "window_start" in p.columns and "window_end" in p.columns:
        have = p["window_start"].notna().to_numpy() & p["window_end"].notna().to_numpy()
        ws = pd.DatetimeIndex(p["window_start"]).as_unit("ns").asi8
        we = pd.DatetimeIndex(p["window_end"]).as_unit("ns").asi8
        if not isinstance(p["window_start"].dtype, pd.DatetimeTZDtype) or not isinstance(
            p["window_end"].dtype, pd.DatetimeTZDtype
        ):
            raise SchemaError("window_start and window_end must be tz-aware datetimes (UTC)")
        lo = np.where(have, np.maximum(s0, ws), lo)
        hi = np.where(have, np.minimum(s1 - dur, we - NS), hi)
        rule[have] = "window columns"
    return lo, hi, rule, start, dur


def _depot_points(depot, teams: np.ndarray, crs) -> dict[str, np.ndarray] | None:
    if depot is None:
        return None

    def xy(d):
        if isinstance(d, shapely.Point):
            return np.array([d.x, d.y])
        arr = np.asarray(d, dtype=float).ravel()
        if arr.shape != (2,):
            raise HspworkError(f"depot={d!r}: give a shapely Point or (x, y) in the fences' CRS")
        return arr

    if isinstance(depot, Mapping):
        missing = sorted(set(teams) - set(depot))
        if missing:
            raise SchemaError(f"depot has no place for team(s) {missing}")
        return {t: xy(depot[t]) for t in set(teams)}
    one = xy(depot)
    return {t: one for t in set(teams)}


def _depot_minutes(points, fences, network, speed, places: pd.DataFrame) -> dict:
    """Team -> minutes from its depot to every place (the same both ways)."""
    if points is None:
        return {}
    v = _speed(speed)
    pts = places[["x", "y"]].to_numpy()
    out = {}
    for team, d in points.items():
        if network is None:
            unit = unit_to_metres(require_crs(fences, "fences"))
            m = 1.4 * np.hypot(pts[:, 0] - d[0], pts[:, 1] - d[1]) * unit
        else:
            m = network.distance_m([d], pts)[0]
        out[team] = m / v / 60.0
    return out


def _codes(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """One integer per distinct combination of ``cols`` (in order of first appearance)."""
    return frame[cols].astype(str).groupby(cols, sort=False, dropna=False).ngroup().to_numpy()


def _officers(officers, teams) -> dict[str, int]:
    if officers is None:
        return dict.fromkeys(teams, 1)
    if isinstance(officers, Mapping):
        missing = sorted(set(teams) - set(officers))
        if missing:
            raise SchemaError(f"officers has no number for team(s) {missing}")
        out = {t: officers[t] for t in teams}
    else:
        out = dict.fromkeys(teams, officers)
    bad = {t: k for t, k in out.items() if not (isinstance(k, int | np.integer) and k >= 1)}
    if bad:
        raise HspworkError(f"officers must be whole numbers >= 1; got {bad}")
    return {t: int(k) for t, k in out.items()}


def _gap_pairs(rows: np.ndarray, lo, hi, dur, gap, group) -> list[tuple[int, int, int, bool]]:
    """Gap constraints among one place's visits on one day (positions in ``rows``).

    Visits that are interchangeable (same team-shift, minutes and gap, windows in the same
    order) are chained in window order: any plan can swap their labels to match, so this loses
    nothing. A pair whose windows force the order gets the one-sided constraint; any other pair
    gets "at least the gap apart, either way round".
    """
    order = sorted(range(len(rows)), key=lambda k: (lo[k], hi[k]))
    out = []
    for x in range(len(order)):
        for y in range(x + 1, len(order)):
            a, b = order[x], order[y]
            g = max(gap[a], gap[b])
            if not g > 0:
                continue
            same = (group[a] == group[b]) & (dur[a] == dur[b]) & (gap[a] == gap[b])
            if same and hi[a] <= hi[b]:
                # chain only neighbours within the interchangeable set
                between = [
                    order[z]
                    for z in range(x + 1, y)
                    if group[order[z]] == group[a]
                    and dur[order[z]] == dur[a]
                    and gap[order[z]] == gap[a]
                ]
                if not between:
                    out.append((rows[a], rows[b], g, True))
                continue
            if hi[a] < lo[b]:
                out.append((rows[a], rows[b], g, True))
            else:
                out.append((rows[a], rows[b], g, False))
    return out


def _time_order(starts, dur, lo_s0, depot_min, travel, place, officers: int):
    """The time-order plan of one team-shift: visits by planned start, each to the officer who
    can begin it soonest (then the nearest, then the lowest number); a visit that cannot be
    reached by its planned start is moved later, as :func:`route` does.

    Returns route numbers (0-based), journey minutes and starts (ns), in the order given.
    """
    n = len(starts)
    free = [None] * officers  # (end ns, place) of each officer's last visit
    who = np.zeros(n, dtype=int)
    journey = np.zeros(n)
    begin = np.zeros(n, dtype=np.int64)
    for i in np.argsort(starts, kind="stable"):
        best = None
        for k in range(officers):
            if free[k] is None:
                t = 0.0 if depot_min is None else depot_min[place[i]]
                arrive = starts[i] if depot_min is None else lo_s0 + round(t * 60 * NS)
            else:
                t = travel[free[k][1], place[i]]
                arrive = free[k][0] + round(t * 60 * NS)
            key = (max(starts[i], arrive), t, k)
            if best is None or key < best:
                best = key
        s, t, k = best
        who[i], journey[i], begin[i] = k, t, s
        free[k] = (s + dur[i], place[i])
    return who, journey, begin


# --------------------------------------------------------------------------- optimise_routes


def optimise_routes(
    plan: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    network: StreetNetwork | None = None,
    *,
    speed="walking",
    depot=None,
    window_minutes: float | None = None,
    time_limit_s: float = 10,
    seed: int = 0,
    officers: int | Mapping[str, int] | None = None,
    shift_hours: Mapping[str, tuple[float, float]] | None = None,
    tz: str = "Europe/London",
) -> pd.DataFrame:
    """Reorder and retime each team's visits in a shift for the least travel.

    For every date, shift and team the visits are given an officer, an order and a start so
    that the journeys between them along ``network`` (straight line x 1.4 without one) take
    the fewest minutes, while keeping:

    - every visit and its ``minutes``, on its ``date``, with its team (so the visits per place
      per day are those planned);
    - each visit's start inside its window: the ``window_start``/``window_end`` columns
      (half-open, UTC) where a row has them, else ``planned_start`` ± ``window_minutes``
      (half-open, to the second), else the whole shift;
    - the shift (``shift_hours``, local clock in ``tz``): no visit starts before it or ends
      after it, depot journeys included;
    - when the plan has a ``min_gap_minutes`` column, at least that many minutes between the
      starts of any two visits to one place on one date (the larger of the two rows' values),
      whichever officers, teams or shifts make them.

    With no ``depot`` a route is an open path that starts at its first visit; with a depot
    (a point, or team -> point, in the fences' CRS) it starts and ends there within the shift.
    The search starts from the time-order plan when that keeps every rule, so the result is
    never worse than it; it stops early when the journeys meet the lower bound.

    Parameters
    ----------
    plan : DataFrame
        The tasking plan (``fence_id``, ``date``, ``shift``, ``planned_start`` UTC,
        ``minutes``, ``team``; optionally ``officer``, ``window_start``, ``window_end``,
        ``min_gap_minutes``).
    fences : GeoDataFrame
        The places (``fence_id``; journeys run between points on their surfaces).
    network : StreetNetwork, optional
        Streets for the journeys.
    speed : str or float
        ``"walking"``, ``"cycling"``, ``"driving"`` or metres per second.
    depot : Point, (x, y), dict or None
        Where routes start and end (per team with a dict).
    window_minutes : float, optional
        Window half-width around each planned start, for rows without window columns.
    time_limit_s : float
        Seconds of solver time for each date (shared by its teams and shifts in proportion
        to their visits). The search stops earlier at a proven optimum.
    seed : int
        Random seed of the CP-SAT searches (OR-Tools routing is deterministic).
    officers : int, dict or None
        Officers who patrol separately for each team (team -> number): each walks one route.
        None: one route per team (the team patrols together, as :func:`route` assumes), or,
        when the plan has an ``officer`` column, one route per officer with their own visits.
    shift_hours : dict
        Shift name -> (start hour, end hour), local (default
        :data:`hspwork.tracking.dosage.DEFAULT_SHIFTS`).
    tz : str
        The programme's time zone.

    Returns
    -------
    DataFrame
        The plan, sorted by date, shift, team, route and order, with ``route`` (1.. within the
        team and shift), ``order`` (1.. within the route), the new ``planned_start``,
        ``travel_from`` (the previous place, "depot", or missing for an open path's first
        visit), ``travel_minutes`` and ``travel_m`` (the journey to this visit),
        ``time_order_travel_minutes`` (its journey in the time-order plan), ``retimed_minutes``
        (new start minus planned start) and, with a depot, ``return_minutes`` and
        ``time_order_return_minutes`` (the journey back after a route's last visit).
        ``attrs["routing"]`` holds JSON-native totals: travel in time order and optimised, the
        lower bound and optimality gap, and one entry per routing problem.

    Raises
    ------
    HspworkError
        When some visits cannot be fitted: the error names them and what to change.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A", "B", "C"]}, crs=27700, geometry=[
    ...     box(0, 0, 10, 10), box(2000, 0, 2010, 10), box(1000, 0, 1010, 10)])
    >>> t = pd.Timestamp("2025-09-01 08:00", tz="UTC")
    >>> plan = pd.DataFrame({"fence_id": ["A", "B", "C"], "date": "2025-09-01",
    ...     "shift": "early", "planned_start": [t, t + pd.Timedelta("1h"), t + pd.Timedelta("2h")],
    ...     "minutes": 15.0, "team": "Crew 1"})
    >>> r = optimise_routes(plan, f, speed=1.4, time_limit_s=2)
    >>> r["fence_id"].tolist(), r.attrs["routing"]["travel_minutes_time_order"]
    (['A', 'C', 'B'], 50.0)
    >>> round(r.attrs["routing"]["travel_minutes"], 2), r.attrs["routing"]["optimality_gap"]
    (33.33, 0.0)
    """
    _need(plan, _NEEDED, "plan")
    if not float(time_limit_s) > 0:
        raise HspworkError(f"time_limit_s={time_limit_s!r}: give a positive number of seconds")
    p = plan.reset_index(drop=True).drop(columns=[c for c in _STALE if c in plan.columns])
    tm = travel_minutes(fences, network, speed)
    travel = tm.to_numpy(float)
    place = tm.index.get_indexer(p["fence_id"].astype(str))
    if (place < 0).any():
        raise SchemaError(
            f"plan names fence(s) not in fences: {sorted(set(p['fence_id'][place < 0]))[:5]}"
        )
    s0, s1 = shift_bounds(p, shift_hours, tz)
    lo, hi, rule, planned, dur = _windows(p, window_minutes, s0, s1)
    empty = lo > hi
    if empty.any():
        ids = p.get("tasking_id", pd.Series(p.index)).astype(str)[empty].tolist()
        raise HspworkError(
            f"{int(empty.sum())} visit(s) have no start that keeps both the window and the "
            f"shift (e.g. {ids[:5]}): check planned_start, window_start/window_end, "
            "window_minutes and shift_hours"
        )
    gap = (
        p["min_gap_minutes"].astype(float).fillna(0.0).to_numpy() * 60
        if "min_gap_minutes" in p.columns
        else np.zeros(len(p))
    )
    gap_s = np.ceil(gap - 1e-9).astype(np.int64)
    teams = p["team"].astype(str).to_numpy()
    per_officer = officers is None and "officer" in p.columns
    unit_cols = ["date", "shift", "team", *(["officer"] if per_officer else [])]
    group = _codes(p, unit_cols)
    n_groups = group.max() + 1 if len(p) else 0
    k_team = _officers(None if per_officer else officers, sorted(set(teams)))
    depots = _depot_minutes(
        _depot_points(depot, teams, fences.crs), fences, network, speed, _places_xy(fences)
    )
    # time order, one team-shift at a time
    base_route = np.zeros(len(p), dtype=int)
    base_travel = np.zeros(len(p))
    g_rows = [np.flatnonzero(group == g) for g in range(n_groups)]
    g_team = [teams[r[0]] for r in g_rows]
    g_k = [k_team[t] for t in g_team]
    for g, rows in enumerate(g_rows):
        who, journey, _ = _time_order(
            planned[rows], dur[rows], s0[rows[0]], depots.get(g_team[g]), travel, place[rows],
            g_k[g],
        )  # fmt: skip
        base_route[rows], base_travel[rows] = who, journey
    base_back = np.zeros(len(p))
    if depots:
        for g, rows in enumerate(g_rows):
            for k in range(g_k[g]):
                mine = rows[base_route[rows] == k]
                if len(mine):
                    last = mine[np.argmax(planned[mine])]
                    base_back[last] = depots[g_team[g]][place[last]]
    # gap pairs couple team-shifts of one date into one problem
    pairs: list[tuple[int, int, int, bool]] = []
    if (gap_s > 0).any():
        for _, idx in pd.Series(np.arange(len(p))).groupby(_codes(p, ["date", "fence_id"])):
            rows = idx.to_numpy()
            if len(rows) > 1:
                pairs += _gap_pairs(rows, lo[rows], hi[rows], dur[rows], gap_s[rows], group[rows])
    parent = list(range(n_groups))

    def root(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for a, b, _, _ in pairs:
        ra, rb = root(group[a]), root(group[b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    comp = np.array([root(g) for g in range(n_groups)], dtype=int)
    pair_comp = [comp[group[a]] for a, _, _, _ in pairs]

    new_start = planned.copy()
    new_route = np.zeros(len(p), dtype=int)
    new_order = np.zeros(len(p), dtype=int)
    prev_row = np.full(len(p), -1)
    problems = []
    dates = p["date"].astype(str).to_numpy()
    comps = sorted(set(comp.tolist()), key=lambda c: (dates[g_rows[c][0]], c))
    day_visits = (
        pd.Series([len(g_rows[g]) for g in range(n_groups)])
        .groupby([dates[g_rows[g][0]] for g in range(n_groups)])
        .sum()
    )
    team_shift = _codes(p, ["date", "shift", "team"])
    walked = []  # (team-shift, first start ns, rows in order) of every route
    for c in comps:
        gs = [g for g in range(n_groups) if comp[g] == c]
        rows = np.concatenate([g_rows[g] for g in gs])
        date = dates[rows[0]]
        budget = float(time_limit_s) * len(rows) / day_visits[date]
        local = {r: i for i, r in enumerate(rows)}
        pr, vehicles = _problem(
            rows, gs, g_rows, g_k, g_team, place, travel, dur, lo, hi, planned, s0, s1, depots,
            [(local[a], local[b], gg, o) for (a, b, gg, o), pc in zip(pairs, pair_comp) if pc == c],
        )  # fmt: skip
        initial = [[] for _ in vehicles]
        for v, (g, k) in enumerate(vehicles):
            mine = g_rows[g][base_route[g_rows[g]] == k]
            initial[v] = [local[r] for r in mine[np.argsort(planned[mine], kind="stable")]]
        sol = _solver.solve(pr, budget, seed=seed, initial=initial)
        if sol.dropped:
            raise _cannot_fit(p, rows[sol.dropped], g_k, gs, g_rows, speed)
        origin = int(s0[rows].min())
        for r in sol.routes:
            if r:
                first_ns = origin + int(sol.start_s[r[0]]) * NS
                walked.append((team_shift[rows[r[0]]], first_ns, rows[r]))
        new_start[rows] = origin + sol.start_s * NS
        before = float(base_travel[rows].sum() + base_back[rows].sum())
        problems.append(
            dict(
                date=date,
                groups=[{"shift": str(p["shift"].iloc[g_rows[g][0]]), "team": g_team[g],
                         "officers": int(g_k[g])} for g in gs],
                visits=len(rows),
                time_order_minutes=before,
                minutes=None,  # filled below from the float journeys
                bound_ms=int(sol.bound_ms),
                cost_ms=int(sol.cost_ms),
                proven_optimal=bool(sol.proven),
                found_by=sol.found_by,
                seconds=round(float(sol.seconds), 3),
                time_order_feasible=bool(sol.initial_feasible),
                _rows=rows,
            )
        )  # fmt: skip
    # routes numbered 1.. within each team and shift, by their first start
    walked.sort(key=lambda w: (w[0], w[1]))
    number = 0
    for k, (key, _, r) in enumerate(walked):
        number = 1 if k == 0 or walked[k - 1][0] != key else number + 1
        new_route[r] = number
        new_order[r] = np.arange(1, len(r) + 1)
        prev_row[r[1:]] = r[:-1]
    out = p.copy()
    first = prev_row < 0
    journey = np.where(first, 0.0, travel[place[np.maximum(prev_row, 0)], place])
    back = np.zeros(len(p))
    if depots:
        dep = np.array([depots[t][place[i]] for i, t in enumerate(teams)])
        journey = np.where(first, dep, journey)
        last = np.ones(len(p), dtype=bool)
        last[prev_row[prev_row >= 0]] = False
        back = np.where(last, dep, 0.0)
    out["planned_start"] = pd.to_datetime(new_start, utc=True)
    out["route"] = new_route
    out["order"] = new_order
    from_id = p["fence_id"].astype(object).to_numpy()[np.maximum(prev_row, 0)]
    out["travel_from"] = pd.Series(
        np.where(first, "depot" if depots else None, from_id), dtype=object
    )
    out["travel_minutes"] = journey
    out["travel_m"] = journey * 60.0 * _speed(speed)
    out["time_order_travel_minutes"] = base_travel
    out["retimed_minutes"] = (new_start - planned) / 60e9
    if depots:
        out["return_minutes"] = back
        out["time_order_return_minutes"] = base_back
    _self_check(out, p, lo, hi, s0, s1, dur, gap, travel, place, depots, teams, group)
    for pb in problems:
        rows = pb.pop("_rows")
        pb["minutes"] = float(journey[rows].sum() + back[rows].sum())
        # a proven optimum is its own bound (the ms-rounded costs would leave a crumb of gap)
        bound = pb["minutes"] if pb["proven_optimal"] else pb["bound_ms"] / 60000.0
        pb.pop("bound_ms")
        pb["lower_bound_minutes"] = min(bound, pb["minutes"])
        pb.pop("cost_ms")
    total_before = float(base_travel.sum() + base_back.sum())
    total_after = float(journey.sum() + back.sum())
    total_bound = float(sum(pb["lower_bound_minutes"] for pb in problems))
    out = out.sort_values(["date", "shift", "team", "route", "order"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["routing"] = {
        "solver": f"OR-Tools {_ortools_version()} routing (guided local search), CP-SAT bound",
        "speed_mps": float(_speed(speed)),
        "network": network is not None,
        "depot": bool(depots),
        "windows": sorted(set(rule.tolist())),
        "min_gap": bool((gap_s > 0).any()),
        "time_limit_s_per_date": float(time_limit_s),
        "travel_minutes_time_order": total_before,
        "travel_minutes": total_after,
        "travel_minutes_saved": total_before - total_after,
        "travel_minutes_lower_bound": total_bound,
        "optimality_gap": (total_after - total_bound) / total_after if total_after > 0 else 0.0,
        "time_order_feasible": all(pb["time_order_feasible"] for pb in problems),
        "seconds": float(sum(pb["seconds"] for pb in problems)),
        "problems": problems,
    }
    return out


def _ortools_version() -> str:
    import ortools

    return str(ortools.__version__)


def _problem(rows, gs, g_rows, g_k, g_team, place, travel, dur, lo, hi, planned, s0, s1, depots,
             pairs):  # fmt: skip
    """The solver's problem for the rows of some team-shifts (seconds from the first shift)."""
    origin = int(s0[rows].min())
    pl = place[rows]
    tmin = travel[np.ix_(pl, pl)]
    vehicles = [(g, k) for g in gs for k in range(g_k[g])]
    v_group = np.array([gs.index(g) for g, _ in vehicles])
    grp = np.concatenate([np.full(len(g_rows[g]), gs.index(g)) for g in gs])
    out_min = np.zeros((len(vehicles), len(rows)))
    for v, (g, _) in enumerate(vehicles):
        if depots:
            out_min[v] = depots[g_team[g]][pl]
    first = [g_rows[g][0] for g, _ in vehicles]

    def secs(minutes):
        return np.ceil(np.asarray(minutes) * 60 - 1e-6).astype(np.int64)

    def ms(minutes):
        return np.round(np.asarray(minutes) * 60000).astype(np.int64)

    lo_s = np.ceil((lo[rows] - origin) / NS - 1e-9).astype(np.int64)
    hi_s = np.floor((hi[rows] - origin) / NS + 1e-9).astype(np.int64)
    target = np.clip(np.round((planned[rows] - origin) / NS).astype(np.int64), lo_s, hi_s)
    pr = _solver.Problem(
        travel_s=secs(tmin),
        cost_ms=ms(tmin),
        dur_s=np.ceil(dur[rows] / NS - 1e-9).astype(np.int64),
        lo_s=lo_s,
        hi_s=hi_s,
        target_s=target,
        group=grp,
        v_group=v_group,
        v_start_s=np.array([(s0[r] - origin) // NS for r in first], dtype=np.int64),
        v_end_s=np.array([(s1[r] - origin) // NS for r in first], dtype=np.int64),
        out_s=secs(out_min),
        out_ms=ms(out_min),
        back_s=secs(out_min),
        back_ms=ms(out_min),
        gaps=pairs,
    )
    return pr, vehicles


def _cannot_fit(p, rows, g_k, gs, g_rows, speed) -> HspworkError:
    sub = p.iloc[rows]
    where = sorted(set(zip(sub["date"].astype(str), sub["shift"].astype(str),
                           sub["team"].astype(str))))  # fmt: skip
    ids = sub.get("tasking_id", pd.Series(sub.index)).astype(str).tolist()
    k = {g_k[g] for g in gs}
    return HspworkError(
        f"no routes keep all {sum(len(g_rows[g]) for g in gs)} visits of "
        f"{'; '.join(' '.join(w) for w in where[:3])}: {len(rows)} could not be fitted "
        f"(e.g. {ids[:5]}) with {sorted(k)} officer(s) per team at speed {speed!r} inside "
        "their windows, shifts and gaps. Give more officers (officers=), wider windows "
        "(window_minutes=) or fewer visits"
    )


def _self_check(out, p, lo, hi, s0, s1, dur, gap, travel, place, depots, teams, group) -> None:
    """Every rule, checked again on the result in real (not whole-second) time."""
    tol = NS // 1000  # a millisecond
    start = time_ns(out["planned_start"])
    bad = []
    if not np.array_equal(out["minutes"].to_numpy(float), p["minutes"].to_numpy(float)):
        bad.append("minutes changed")
    if ((start < lo - tol) | (start > hi + tol)).any():
        bad.append("a start outside its window or shift")
    for _, idx in pd.Series(np.arange(len(out))).groupby(
        _codes(out, ["date", "shift", "team", "route"])
    ):
        r = idx.to_numpy()[np.argsort(out["order"].to_numpy()[idx.to_numpy()])]
        s = start[r]
        need = s[:-1] + dur[r[:-1]] + np.round(travel[place[r[:-1]], place[r[1:]]] * 60 * NS)
        if (s[1:] < need - tol).any():
            bad.append("a journey longer than the time between visits")
        if depots:
            dm = depots[teams[r[0]]]
            if s[0] - np.round(dm[place[r[0]]] * 60 * NS) < s0[r[0]] - tol or (
                s[-1] + dur[r[-1]] + np.round(dm[place[r[-1]]] * 60 * NS) > s1[r[-1]] + tol
            ):
                bad.append("a depot journey outside the shift")
        if len(set(group[r])) != 1:
            bad.append("a route mixing team-shifts")
    if (gap > 0).any():
        for _, idx in pd.Series(np.arange(len(out))).groupby(_codes(out, ["date", "fence_id"])):
            r = idx.to_numpy()
            if len(r) > 1:
                d = np.abs(start[r][:, None] - start[r][None, :])
                need = np.maximum(gap[r][:, None], gap[r][None, :]) * NS
                np.fill_diagonal(d, np.iinfo(np.int64).max)
                if (d < need - tol).any():
                    bad.append("two visits to one place closer than the gap")
    if bad:
        raise HspworkError(f"optimised routes failed their own check: {sorted(set(bad))}")
