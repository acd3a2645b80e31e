"""Independent checks for routed plans: every rule, and the optimum by trying every order.

Written from the rules in ``optimise_routes``' docstring with plain loops over floats, sharing
no code with the solver: windows, shifts and gaps are worked out again here from the plan
before routing.
"""

from __future__ import annotations

from itertools import pairwise, permutations

import numpy as np
import pandas as pd

SHIFTS = {"early": (7, 15), "late": (15, 23), "night": (23, 7)}
TOL_S = 1e-3


def shift_window(date: str, shift: str, tz: str = "Europe/London", shifts=SHIFTS):
    """UTC start and end of a shift, from the local clock."""
    h0, h1 = shifts[shift]
    length = (h1 - h0) % 24 or 24
    day = pd.Timestamp(date)
    start = (day + pd.Timedelta(hours=h0)).tz_localize(tz).tz_convert("UTC")
    end = (day + pd.Timedelta(hours=h0 + length)).tz_localize(tz).tz_convert("UTC")
    return start, end


def start_windows(before: pd.DataFrame, window_minutes=None, tz="Europe/London", shifts=SHIFTS):
    """tasking_id -> (earliest start, latest start) in UTC epoch seconds, and the shift end."""
    out = {}
    for _, r in before.iterrows():
        s0, s1 = shift_window(str(r["date"]), str(r["shift"]), tz, shifts)
        lo, hi = s0.timestamp(), s1.timestamp() - 60 * r["minutes"]
        if (
            "window_start" in before.columns
            and pd.notna(r["window_start"])
            and pd.notna(r["window_end"])
        ):
            lo = max(lo, r["window_start"].timestamp())
            hi = min(hi, r["window_end"].timestamp() - 1)  # half-open, to the second
        elif window_minutes is not None:
            p = r["planned_start"].timestamp()
            lo = max(lo, p - 60 * window_minutes)
            hi = min(hi, p + 60 * window_minutes - 1)
        out[r["tasking_id"]] = (lo, hi, s0.timestamp(), s1.timestamp())
    return out


def violations(
    before: pd.DataFrame,
    after: pd.DataFrame,
    travel: pd.DataFrame,
    *,
    window_minutes=None,
    depot_minutes: dict | None = None,
    tz="Europe/London",
    shifts=SHIFTS,
) -> list[str]:
    """Every broken rule of ``after`` (routed from ``before``), as sentences; [] when none."""
    bad = []
    b = before.set_index("tasking_id")
    a = after.set_index("tasking_id")
    if sorted(b.index) != sorted(a.index) or not a.index.is_unique:
        return ["the taskings are not the same set, once each"]
    for col in ("fence_id", "date", "shift", "team", "minutes"):
        if not (b[col].astype(str) == a.loc[b.index, col].astype(str)).all():
            bad.append(f"{col} changed")
    win = start_windows(before, window_minutes, tz, shifts)
    for tid, r in a.iterrows():
        lo, hi, s0, s1 = win[tid]
        s = r["planned_start"].timestamp()
        if s < lo - TOL_S or s > hi + TOL_S:
            bad.append(f"{tid} starts outside its window")
    for key, g in after.groupby(["date", "shift", "team", "route"]):
        g = g.sort_values("order")
        if g["order"].tolist() != list(range(1, len(g) + 1)):
            bad.append(f"{key}: orders are not 1..n")
        s = [t.timestamp() for t in g["planned_start"]]
        ids = g["fence_id"].astype(str).tolist()
        mins = g["minutes"].tolist()
        tids = g["tasking_id"].tolist()
        for k in range(1, len(g)):
            j = travel.loc[ids[k - 1], ids[k]]
            if s[k] < s[k - 1] + 60 * (mins[k - 1] + j) - TOL_S:
                bad.append(f"{key}: no time for the journey to {tids[k]}")
            if (
                abs(g["travel_minutes"].iloc[k] - j) > 1e-9
                or g["travel_from"].iloc[k] != ids[k - 1]
            ):
                bad.append(f"{key}: journey to {tids[k]} misreported")
        first = g["travel_minutes"].iloc[0]
        if depot_minutes is None:
            if first != 0 or pd.notna(g["travel_from"].iloc[0]):
                bad.append(f"{key}: an open path's first visit has a journey")
        else:
            team = key[2]
            out_m = depot_minutes[team][ids[0]]
            back_m = depot_minutes[team][ids[-1]]
            _, _, s0, s1 = win[tids[0]]
            if s[0] - 60 * out_m < s0 - TOL_S:
                bad.append(f"{key}: leaves the depot before the shift")
            if s[-1] + 60 * (mins[-1] + back_m) > s1 + TOL_S:
                bad.append(f"{key}: back at the depot after the shift")
    if "min_gap_minutes" in before.columns:
        gap = b["min_gap_minutes"].fillna(0)
        for _, g in after.groupby(["date", "fence_id"]):
            tids = g["tasking_id"].tolist()
            s = [t.timestamp() for t in g["planned_start"]]
            for x in range(len(g)):
                for y in range(x + 1, len(g)):
                    need = 60 * max(gap[tids[x]], gap[tids[y]])
                    if abs(s[x] - s[y]) < need - TOL_S:
                        bad.append(f"{tids[x]} and {tids[y]} closer than the gap")
    return bad


def best_travel(before: pd.DataFrame, travel: pd.DataFrame, *, window_minutes=None,
                officers: int = 1) -> float | None:  # fmt: skip
    """The least journey minutes over every split among officers and every order (one
    team-shift); None when no order keeps the rules.

    For one officer each order is timed as early as possible (every rule only asks a visit to
    come late enough, so that is exact). For several officers this handles no gaps between
    routes (the tests give none).
    """
    rows = before.reset_index(drop=True)
    win = start_windows(rows, window_minutes)
    n = len(rows)
    place = rows["fence_id"].astype(str).tolist()
    dur = (60 * rows["minutes"]).tolist()
    lo = [win[t][0] for t in rows["tasking_id"]]
    hi = [win[t][1] for t in rows["tasking_id"]]
    gap = (
        (60 * rows["min_gap_minutes"].fillna(0)).tolist()
        if "min_gap_minutes" in rows.columns
        else [0.0] * n
    )
    t = travel.loc[place, place].to_numpy()

    def path(seq):
        cost, starts, prev = 0.0, {}, None
        for i in seq:
            s = lo[i]
            if prev is not None:
                s = max(s, starts[prev] + dur[prev] + 60 * t[prev, i])
                cost += t[prev, i]
            for j, sj in starts.items():
                if place[j] == place[i]:
                    s = max(s, sj + max(gap[i], gap[j]))
            if s > hi[i]:
                return None
            starts[i], prev = s, i
        return cost

    def best_path(items):
        best = None
        for seq in permutations(items):
            c = path(seq)
            if c is not None and (best is None or c < best):
                best = c
        return best

    if officers == 1:
        return best_path(range(n))
    assert officers == 2
    best = None
    for mask in range(2 ** (n - 1)):  # visit n-1 always with officer 2: halves the symmetry
        one = [i for i in range(n) if mask >> i & 1]
        two = [i for i in range(n) if not mask >> i & 1]
        for s1 in permutations(one):
            for s2 in permutations(two):
                cost = sum(t[a, b] for r in (s1, s2) for a, b in pairwise(r))
                if (best is None or cost < best) and _two_routes_fit(
                    s1, s2, lo, hi, dur, t, place, gap
                ):
                    best = cost
    return best


def _two_routes_fit(s1, s2, lo, hi, dur, t, place, gap) -> bool:
    """Whether two fixed routes have start times keeping windows, journeys and gaps.

    The rules are difference constraints s_j - s_i >= c; a gap between visits on different
    routes is either way round, so both choices are tried. Feasible when the constraint graph
    has no positive cycle (Bellman-Ford on longest paths from a time origin).
    """
    n = len(lo)
    fixed = []  # (i, j, c): s_j >= s_i + c; node n is the origin at time 0
    for i in range(n):
        fixed += [(n, i, lo[i]), (i, n, -hi[i])]
    for r in (s1, s2):
        fixed += [(a, b, dur[a] + 60 * t[a, b]) for a, b in pairwise(r)]
    route_of = {i: 0 for i in s1} | {i: 1 for i in s2}
    pos = {i: k for r in (s1, s2) for k, i in enumerate(r)}
    either = []
    for a in range(n):
        for b in range(a + 1, n):
            g = max(gap[a], gap[b])
            if place[a] != place[b] or g <= 0:
                continue
            if route_of[a] == route_of[b]:
                x, y = (a, b) if pos[a] < pos[b] else (b, a)
                fixed.append((x, y, g))
            else:
                either.append((a, b, g))
    for choice in range(2 ** len(either)):
        edges = fixed + [
            (a, b, g) if choice >> k & 1 else (b, a, g) for k, (a, b, g) in enumerate(either)
        ]
        dist = [-np.inf] * n + [0.0]
        for _ in range(n + 1):
            for i, j, c in edges:
                if dist[i] + c > dist[j] + 1e-9:
                    dist[j] = dist[i] + c
        if all(dist[i] + c <= dist[j] + 1e-6 for i, j, c in edges):
            return True
    return False


def route_travel(after: pd.DataFrame) -> float:
    return float(
        after["travel_minutes"].sum() + after.get("return_minutes", 0 * after["minutes"]).sum()
    )


def random_instance(seed: int, n_visits: int, *, windows: bool, gaps: bool):
    """A small team-shift: places within 1.5 km, some visited twice, random windows."""
    import geopandas as gpd
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    n_places = max(2, n_visits - rng.integers(1, 3))
    xy = rng.uniform(0, 1500, (n_places, 2))
    fences = gpd.GeoDataFrame(
        {"fence_id": [f"P{i}" for i in range(n_places)]},
        geometry=[box(x - 10, y - 10, x + 10, y + 10) for x, y in xy],
        crs=27700,
    )
    which = np.r_[np.arange(n_places), rng.integers(0, n_places, n_visits - n_places)]
    rng.shuffle(which)
    s0, _ = shift_window("2025-09-01", "early")
    start = s0 + pd.to_timedelta(rng.integers(0, 7 * 60, n_visits), unit="min")
    plan = pd.DataFrame(
        {
            "tasking_id": [f"T{i}" for i in range(n_visits)],
            "fence_id": [f"P{i}" for i in which],
            "date": "2025-09-01",
            "shift": "early",
            "planned_start": start,
            "minutes": 15.0,
            "team": "Crew 1",
        }
    )
    if windows:
        half = rng.random(n_visits) < 0.6
        ws = plan["planned_start"] - pd.to_timedelta(rng.integers(0, 90, n_visits), unit="min")
        we = plan["planned_start"] + pd.to_timedelta(rng.integers(20, 120, n_visits), unit="min")
        plan["window_start"] = ws.where(half)
        plan["window_end"] = we.where(half)
    if gaps:
        plan["min_gap_minutes"] = 90.0
    return plan, fences
