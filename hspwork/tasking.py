"""Tasking: capacity, daily schedules with journeys, tasking sheets, compliance and exceptions.

The flow for a hot spots programme (source documents: daily taskings, 15-minute patrols with
the journey time between them, exception reports when taskings were not performed, compliance
against a 90% target):

1. :func:`capacity` - how many places the officers on each shift can cover;
2. :func:`crime_profile` and :func:`schedule` - visits per place per day at times drawn from that
   place's crime profile, in random order, optionally "at least every k hours", with the journey
   between consecutive visits along the street network (:class:`StreetNetwork`);
3. :func:`write_tasking_sheets` - a CSV and a printable HTML page per shift;
4. :func:`match_visits`, :func:`compliance_table`, :func:`weekly_performance`,
   :func:`plot_weekly` - planned against delivered;
5. :func:`exception_report` - taskings not performed, and whether the device was silent then.

Every file written here shows officers as keyed-hash pseudonyms by default
(:mod:`hspwork.privacy`).
"""

from __future__ import annotations

import html
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from hspwork.crs import require_crs, to_metric, unit_to_metres
from hspwork.errors import CRSMismatchWarning, HspworkError, SchemaError
from hspwork.io.crs_column import ping_crs
from hspwork.privacy import pseudonymise_frame
from hspwork.targeting.profile import aoristic_weights
from hspwork.tracking.dosage import DEFAULT_SHIFTS
from hspwork.tracking.dwell import time_ns

#: Speeds in metres per second for journeys between visits.
SPEEDS_MPS = {"walking": 1.3, "cycling": 4.0, "driving": 8.0}
STATUSES = ("done", "partly", "not done")
PLAN_COLUMNS = ["tasking_id", "fence_id", "date", "shift", "planned_start", "minutes", "team"]


def _need(frame: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} lack column(s) {missing}; have {list(frame.columns)}")


def _speed(speed) -> float:
    if isinstance(speed, str):
        if speed not in SPEEDS_MPS:
            raise HspworkError(f"speed={speed!r}; allowed {sorted(SPEEDS_MPS)} or metres/second")
        return SPEEDS_MPS[speed]
    v = float(speed)
    if not v > 0:
        raise HspworkError(f"speed={speed!r} must be a positive number of metres per second")
    return v


# --------------------------------------------------------------------------- street network


class StreetNetwork:
    """Shortest journeys along street centrelines (scipy.sparse.csgraph Dijkstra).

    Every vertex of every line is a node; consecutive vertices are joined by an edge as long
    as the segment. Line ends that meet (to ``snap_m``) are the same node. A place is joined to
    the network at its nearest node, and the straight distance to that node is added.

    Parameters
    ----------
    streets : GeoDataFrame
        LineString/MultiLineString geometry in a projected CRS.
    snap_m : float
        Vertices closer than this are merged (digitising slack at junctions).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> s = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)]),
    ...                                LineString([(100, 0), (100, 100)])], crs=27700)
    >>> net = StreetNetwork(s)
    >>> net.distance_m([(0, 0)], [(100, 100)]).tolist()   # round the corner, not 141 m
    [[200.0]]
    """

    def __init__(self, streets: gpd.GeoDataFrame, snap_m: float = 0.5) -> None:
        crs = require_crs(streets, "streets")
        if not crs.is_projected:
            raise HspworkError("streets must be in a projected CRS; use hspwork.crs.to_metric")
        self.crs = crs
        self.unit_m = unit_to_metres(crs)
        geoms = streets.geometry.to_numpy()
        types = set(shapely.get_type_id(geoms).tolist())
        if not types <= {1, 5}:
            raise SchemaError("streets must be LineString or MultiLineString geometries")
        parts = shapely.get_parts(geoms)
        coords, which = shapely.get_coordinates(parts, return_index=True)
        snap = snap_m / self.unit_m
        key = np.round(coords / snap).astype(np.int64)
        _, first, node = np.unique(key, axis=0, return_index=True, return_inverse=True)
        node = node.ravel()
        self.node_xy = coords[first]
        same_line = which[1:] == which[:-1]
        u, v = node[:-1][same_line], node[1:][same_line]
        length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T) * self.unit_m
        self.graph = _min_symmetric(u, v, length, len(self.node_xy))
        self.tree = cKDTree(self.node_xy)

    def distance_m(self, xy_from, xy_to) -> np.ndarray:
        """Network distances in metres between points (rows: from, columns: to).

        Pairs in parts of the network that are not connected get the straight-line distance
        times 1.4 (a typical detour factor) rather than infinity.
        """
        a = np.asarray(xy_from, dtype=float).reshape(-1, 2)
        b = np.asarray(xy_to, dtype=float).reshape(-1, 2)
        da, na = self.tree.query(a)
        db, nb = self.tree.query(b)
        uniq, inv = np.unique(na, return_inverse=True)
        d = dijkstra(self.graph, directed=False, indices=uniq)[inv][:, nb]
        out = d + (da[:, None] + db[None, :]) * self.unit_m
        straight = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        straight = straight * self.unit_m
        return np.where(np.isfinite(d), out, 1.4 * straight)


def _min_symmetric(u, v, length, n):
    # a street drawn twice must not double its length: keep the shortest edge per node pair
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    df = pd.DataFrame({"a": lo, "b": hi, "w": length}).groupby(["a", "b"], sort=False)["w"].min()
    a = df.index.get_level_values(0).to_numpy()
    b = df.index.get_level_values(1).to_numpy()
    w = df.to_numpy()
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    return coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()


def _places_xy(fences: gpd.GeoDataFrame) -> pd.DataFrame:
    _need(fences, ["fence_id"], "fences")
    one = fences.drop_duplicates("fence_id", keep="last")
    pts = shapely.point_on_surface(one.geometry.to_numpy())
    return pd.DataFrame(
        {"x": shapely.get_x(pts), "y": shapely.get_y(pts)}, index=one["fence_id"].astype(str)
    )


def travel_minutes(
    fences: gpd.GeoDataFrame, network: StreetNetwork | None = None, speed="walking"
) -> pd.DataFrame:
    """Journey minutes between every pair of places (fence point on surface to point).

    Without a network, straight-line distance times 1.4.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A", "B"]},
    ...     geometry=[box(0, 0, 10, 10), box(1300, 0, 1310, 10)], crs=27700)
    >>> round(float(travel_minutes(f, speed=1.4).loc["A", "B"]), 2)   # 1300 m x 1.4 at 1.4 m/s
    21.67
    """
    xy = _places_xy(fences)
    v = _speed(speed)
    pts = xy[["x", "y"]].to_numpy()
    if network is None:
        unit = unit_to_metres(require_crs(fences, "fences"))
        d = 1.4 * np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
        d = d * unit
    else:
        d = network.distance_m(pts, pts)
    return pd.DataFrame(d / v / 60.0, index=xy.index, columns=xy.index)


# --------------------------------------------------------------------------- capacity


def capacity(
    officers: dict[str, int] | int,
    *,
    shift_hours: float = 8.0,
    visits_per_place: dict[str, int] | int = 1,
    visit_minutes: float = 15.0,
    travel_minutes: float = 10.0,
    available_share: float = 0.5,
) -> pd.DataFrame:
    """How many places the officers on each shift can cover.

    Each officer has ``shift_hours x 60 x available_share`` minutes for hot spot patrol (the rest
    goes to calls, briefings, custody, meal breaks). Each visit costs ``visit_minutes`` plus one
    journey of ``travel_minutes`` (for example the median of :func:`travel_minutes` to the
    nearest other place). Places = floor(officers x minutes available /
    (visits per place x (visit + journey))).

    Examples
    --------
    >>> capacity({"early": 4, "late": 4}, visits_per_place={"early": 1, "late": 2},
    ...          travel_minutes=9, available_share=0.5)[["shift", "visits_possible", "places"]]
       shift  visits_possible  places
    0  early               40      40
    1   late               40      20
    """
    if isinstance(officers, int):
        officers = {"shift": officers}
    if not 0 < available_share <= 1:
        raise HspworkError(f"available_share={available_share}: must be in (0, 1]")
    rows = []
    for shift, n in officers.items():
        per = visits_per_place[shift] if isinstance(visits_per_place, dict) else visits_per_place
        if per < 1:
            raise HspworkError(f"visits_per_place for {shift!r} is {per}; need at least 1")
        minutes = n * shift_hours * 60.0 * available_share
        cost = visit_minutes + travel_minutes
        visits = math.floor(minutes / cost + 1e-9)
        rows.append((shift, n, minutes, cost, visits, visits // per))
    return pd.DataFrame(
        rows,
        columns=["shift", "officers", "minutes_available", "minutes_per_visit", "visits_possible",
                 "places"],
    )  # fmt: skip


# --------------------------------------------------------------------------- schedules


def crime_profile(
    crimes: gpd.GeoDataFrame,
    fences: gpd.GeoDataFrame,
    tz: str = "Europe/London",
    prior: float = 1.0,
) -> pd.DataFrame:
    """Share of each place's crime by local hour of day (rows: fence_id, columns 0..23).

    A crime known only as a from-to window is spread over the hours it spans (aoristic, as
    :func:`hspwork.targeting.aoristic_weights`). ``prior`` crimes are
    spread evenly over the 24 hours of every place (so no hour is ruled out by a small count).
    The ``crimes`` column holds the raw count.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    >>> t = pd.to_datetime(["2025-01-06 22:10", "2025-01-06 22:50"], utc=True)
    >>> c = gpd.GeoDataFrame({"occurred_from": t, "occurred_to": t},
    ...                      geometry=[Point(5, 5), Point(5, 5)], crs=27700)
    >>> p = crime_profile(c, f, prior=0)
    >>> float(p.loc["A", 22]), int(p.loc["A", "crimes"])
    (1.0, 2)
    """
    _need(crimes, ["occurred_from"], "crimes")
    pts = crimes.geometry.to_crs(fences.crs) if crimes.crs != fences.crs else crimes.geometry
    one = fences.drop_duplicates("fence_id", keep="last").reset_index(drop=True)
    tree = shapely.STRtree(one.geometry.to_numpy())
    ci, fi = tree.query(pts.to_numpy(), predicate="within")
    # hour-of-day shares of each window (aoristic: real minutes in local hours), only for the
    # crimes inside some place, so a force's crimes never make an n x 168 array
    inner, pos = np.unique(ci, return_inverse=True)
    sub = crimes.iloc[inner]
    end = sub["occurred_to"] if "occurred_to" in sub.columns else sub["occurred_from"]
    w_day = aoristic_weights(sub["occurred_from"], end, tz=tz).reshape(-1, 7, 24).sum(axis=1)
    counts = np.zeros((len(one), 24))
    np.add.at(counts, fi, w_day[pos])
    total = counts.sum(axis=1)
    share = (counts + prior / 24.0) / np.maximum(total + prior, 1e-12)[:, None]
    out = pd.DataFrame(share, index=one["fence_id"].astype(str), columns=list(range(24)))
    out["crimes"] = np.rint(total).astype(int)  # each crime's shares sum to 1
    return out


def _local_minute_weights(profile_row: np.ndarray, start_h: float, n_minutes: int) -> np.ndarray:
    minutes = np.arange(n_minutes)
    hour = ((start_h * 60 + minutes) // 60).astype(int) % 24
    return profile_row[hour]


def _sample_in(rng, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One minute per row from ``weights`` (rows: places) restricted to [lo, hi)."""
    m = np.arange(weights.shape[1])
    w = np.where((m[None, :] >= lo[:, None]) & (m[None, :] < hi[:, None]), weights, 0.0)
    tot = w.sum(axis=1)
    # an empty range (or all-zero weights) falls back to its first minute
    cdf = np.cumsum(w, axis=1) / np.where(tot > 0, tot, 1.0)[:, None]
    u = rng.random(len(lo))
    pick = (cdf < u[:, None]).sum(axis=1)
    return np.where(tot > 0, np.minimum(pick, weights.shape[1] - 1), lo)


def schedule(
    fences: gpd.GeoDataFrame,
    dates,
    *,
    visits_per_shift: dict[str, int] | None = None,
    shifts: dict[str, tuple[float, float]] | None = None,
    minutes: float = 15.0,
    profile: pd.DataFrame | None = None,
    min_every_hours: float | None = None,
    teams: dict[str, str] | str | None = None,
    network: StreetNetwork | None = None,
    speed="walking",
    tz: str = "Europe/London",
    seed: int = 0,
) -> pd.DataFrame:
    """A tasking plan: visits per place per day at random times matched to its crime profile.

    For every date, shift and place, visit start times are drawn at random, minute by minute,
    in proportion to the place's crime share in that local hour (``profile``, from
    :func:`crime_profile`; uniform when None). With ``visits_per_shift`` the shift is cut into
    that many equal parts and one visit drawn in each, so visits spread out and never overlap.
    With ``min_every_hours=k`` visits are drawn one after another instead: the first within k
    hours of the shift start, each next one after the previous visit ends and within k hours
    of its start, until the shift end is within k hours: no gap between visits to a place
    exceeds k hours. The order of places is therefore random and differs every day.

    With ``teams`` each team's visits in a shift are put in time order and the journey from
    each place to the next is timed along ``network`` at ``speed`` (straight line x 1.4
    without a network); a visit that could not be reached in time is moved later, and the
    move is reported in ``moved_minutes``.

    Parameters
    ----------
    fences : GeoDataFrame
        The places (``fence_id``; the latest version of each is used for journeys).
    dates : iterable of dates
        Local dates of the plan.
    visits_per_shift : dict
        Shift name -> visits per place (default ``{"early": 1, "late": 2}``).
    shifts : dict
        Shift name -> (start hour, end hour) local (default :data:`DEFAULT_SHIFTS`).
    minutes : float
        Planned length of each visit.
    teams : dict, str or None
        fence_id -> team, the name of a column of ``fences``, or None (one team "Team 1").
    seed : int
        Random seed; the same seed gives the same plan.

    Returns
    -------
    DataFrame
        The tasking plan of ``docs/contracts.md`` (``tasking_id``, ``fence_id``, ``date``,
        ``shift``, ``planned_start`` UTC, ``minutes``, ``team``) plus ``order`` (within team and
        shift), ``travel_from``, ``travel_m``, ``travel_minutes``, ``moved_minutes`` and
        ``after_shift_end`` (the visit, moved for its journey, would end after the shift).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A", "B"]},
    ...     geometry=[box(0, 0, 50, 50), box(500, 0, 550, 50)], crs=27700)
    >>> plan = schedule(f, ["2025-09-01"], seed=1)
    >>> plan.groupby("shift").size().to_dict()
    {'early': 2, 'late': 4}
    """
    visits_per_shift = {"early": 1, "late": 2} if visits_per_shift is None else visits_per_shift
    shifts = DEFAULT_SHIFTS if shifts is None else shifts
    unknown = [s for s in visits_per_shift if s not in shifts]
    if unknown:
        raise HspworkError(f"visits_per_shift names shift(s) {unknown}; known: {sorted(shifts)}")
    if min_every_hours is not None and min_every_hours * 60 < minutes:
        raise HspworkError(
            f"min_every_hours={min_every_hours} is shorter than one {minutes:g}-minute visit"
        )
    places = _places_xy(fences)
    ids = places.index.to_numpy()
    if profile is None:
        prof = np.ones((len(ids), 24)) / 24.0
    else:
        missing = sorted(set(ids) - set(profile.index.astype(str)))
        if missing:
            raise SchemaError(f"profile has no row for fence(s) {missing[:5]}")
        prof = profile.loc[ids, list(range(24))].to_numpy(float)
    team_of = _teams(fences, ids, teams)
    rng = np.random.default_rng(seed)
    rows = []
    for date in pd.to_datetime(pd.Series(list(dates))).dt.date:
        for shift, n_visits in visits_per_shift.items():
            h0, h1 = shifts[shift]
            length = round(((h1 - h0) % 24 or 24) * 60)
            weights = np.stack([_local_minute_weights(p, h0, length) for p in prof])
            starts = _draw_starts(rng, weights, n_visits, length, minutes, min_every_hours)
            origin = pd.Timestamp(date).tz_localize(None) + pd.Timedelta(hours=h0)
            for k, col in enumerate(starts.T):
                ok = col >= 0
                local = origin + pd.to_timedelta(col[ok], unit="min")
                rows.append(pd.DataFrame({
                    "fence_id": ids[ok], "date": date, "shift": shift, "local": local,
                    "minutes": float(minutes), "team": team_of[ok], "visit_in_shift": k + 1,
                    "end_local": origin + pd.Timedelta(minutes=length),
                }))  # fmt: skip
    plan = pd.concat(rows, ignore_index=True)
    plan["planned_start"] = _local_to_utc(plan["local"], tz)
    shift_end = _local_to_utc(plan["end_local"], tz)
    plan = plan.drop(columns=["local", "end_local"])
    plan["_row"] = np.arange(len(plan))
    plan = plan.sort_values(["date", "shift", "team", "planned_start"])
    plan = route(plan.reset_index(drop=True), fences, network=network, speed=speed)
    # a visit moved later for the journey may no longer fit in the shift: say so
    end = plan["planned_start"] + pd.to_timedelta(plan["minutes"], unit="min")
    plan["after_shift_end"] = (end > shift_end.loc[plan["_row"]].to_numpy()).to_numpy()
    plan = plan.drop(columns="_row")
    plan.insert(0, "tasking_id", [f"T{i + 1:05d}" for i in range(len(plan))])
    return plan


def _local_to_utc(local: pd.Series, tz: str) -> pd.Series:
    """Naive local clock times to UTC; in the repeated October hour, the first (summer) one."""
    out = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    amb = out.isna() & local.notna()
    if amb.any():
        out[amb] = local[amb].dt.tz_localize(tz, ambiguous=True)
    return out.dt.tz_convert("UTC")


def _teams(fences, ids, teams) -> np.ndarray:
    if teams is None:
        return np.full(len(ids), "Team 1", dtype=object)
    if isinstance(teams, str):
        if teams not in fences.columns:
            raise SchemaError(f"fences have no column {teams!r} for teams")
        m = fences.drop_duplicates("fence_id", keep="last").set_index(
            fences["fence_id"].astype(str).drop_duplicates(keep="last")
        )[teams]
        return m.reindex(ids).to_numpy(object)
    missing = [i for i in ids if i not in teams]
    if missing:
        raise SchemaError(f"teams has no team for fence(s) {missing[:5]}")
    return np.array([teams[i] for i in ids], dtype=object)


def _draw_starts(rng, weights, n_visits, length, minutes, every_h):
    """Start minutes (places x visits; -1 = none) within a shift of ``length`` minutes."""
    n = weights.shape[0]
    dur = math.ceil(minutes)
    if every_h is None:
        width = length / n_visits
        if width < dur:
            raise HspworkError(
                f"{n_visits} visits of {minutes:g} minutes do not fit in a {length}-minute shift"
            )
        cols = []
        for k in range(n_visits):
            lo = np.full(n, math.ceil(k * width))
            hi = np.full(n, math.floor((k + 1) * width) - dur + 1)
            cols.append(_sample_in(rng, weights, lo, hi))
        return np.column_stack(cols)
    k = round(every_h * 60)
    cols = []
    lo = np.zeros(n, dtype=int)
    hi = np.full(n, min(k, length - dur + 1))
    active = np.ones(n, dtype=bool)
    while active.any():
        s = _sample_in(rng, weights, lo, hi)
        cols.append(np.where(active, s, -1))
        # the next visit starts after this one ends and within k minutes of its start
        lo = s + dur
        hi = np.minimum(s + k, length - dur) + 1
        active &= (s + k < length) & (lo < hi)
    return np.column_stack(cols)


def route(
    plan: pd.DataFrame, fences: gpd.GeoDataFrame, network: StreetNetwork | None = None,
    speed="walking",
) -> pd.DataFrame:  # fmt: skip
    """Put each team's visits in a shift in time order and time the journeys between them.

    Adds ``order``, ``travel_from``, ``travel_m``, ``travel_minutes`` and ``moved_minutes``
    (a visit that cannot be reached by its planned start is moved to the earliest arrival).
    """
    _need(plan, ["fence_id", "date", "shift", "planned_start", "minutes", "team"], "plan")
    tm = travel_minutes(fences, network, speed)
    v = _speed(speed)
    p = plan.sort_values(["date", "shift", "team", "planned_start"], kind="stable").copy()
    grp = p.groupby(["date", "shift", "team"], sort=False)
    p["order"] = grp.cumcount() + 1
    p["travel_from"] = grp["fence_id"].shift()
    first = p["travel_from"].isna()
    ids = tm.index
    a = ids.get_indexer(p["travel_from"].fillna(p["fence_id"]).astype(str))
    b = ids.get_indexer(p["fence_id"].astype(str))
    if (b < 0).any():
        raise SchemaError(
            f"plan names fence(s) not in fences: {sorted(set(p['fence_id'][b < 0]))[:5]}"
        )
    minutes = np.where(first, 0.0, tm.to_numpy()[a, b])
    p["travel_minutes"] = minutes
    p["travel_m"] = minutes * 60.0 * v
    # one pass per position in the shift (a handful), vectorised over all team-shifts
    start = time_ns(p["planned_start"]).astype(np.int64)
    dur = (p["minutes"].to_numpy(float) * 60e9).astype(np.int64)
    trav = (minutes * 60e9).astype(np.int64)
    order = p["order"].to_numpy()
    moved = np.zeros(len(p), dtype=np.int64)
    pos = np.arange(len(p))
    for k in range(2, int(order.max()) + 1 if len(p) else 0):
        cur = pos[order == k]
        prev = cur - 1
        earliest = start[prev] + dur[prev] + trav[cur]
        late = earliest > start[cur]
        moved[cur[late]] = earliest[late] - start[cur[late]]
        start[cur[late]] = earliest[late]
    p["planned_start"] = pd.to_datetime(start, utc=True)
    p["moved_minutes"] = moved / 60e9
    return p.reset_index(drop=True)


# --------------------------------------------------------------------------- tasking sheets

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 1.5em; color: #111; }
h1 { font-size: 1.3em; margin-bottom: 0.2em; } p.meta { color: #444; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
th, td { border: 1px solid #999; padding: 4px 8px; text-align: left; }
th { background: #e8e8e8; } td.tick { width: 3em; }
@media print { body { margin: 0.5cm; } h2 { page-break-before: always; } h2.first { page-break-before: avoid; } }
"""


def write_tasking_sheets(
    plan: pd.DataFrame,
    out_dir: str | Path,
    *,
    fences: gpd.GeoDataFrame | None = None,
    tz: str = "Europe/London",
    pseudonymise: bool = True,
    key: str | bytes | None = None,
) -> pd.DataFrame:
    """Write a CSV and a printable HTML tasking sheet per date and shift.

    Times are shown in local clock time. Officers (if the plan names them) are shown as
    keyed-hash pseudonyms unless ``pseudonymise=False``. Place names come from ``fences``
    (``name`` column) when given.

    Returns
    -------
    DataFrame
        ``date``, ``shift``, ``visits``, ``csv``, ``html`` (paths written).
    """
    _need(plan, PLAN_COLUMNS, "plan")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = plan.copy()
    if pseudonymise and "officer" in p.columns:
        p = pseudonymise_frame(p, ["officer"], key=key)
    local = p["planned_start"].dt.tz_convert(tz)
    p["start_local"] = local.dt.strftime("%H:%M")
    p["end_local"] = (local + pd.to_timedelta(p["minutes"], unit="min")).dt.strftime("%H:%M")
    if fences is not None and "name" in fences.columns:
        names = fences.drop_duplicates("fence_id", keep="last").set_index("fence_id")["name"]
        p["place"] = p["fence_id"].map(names).fillna(p["fence_id"])
    else:
        p["place"] = p["fence_id"]
    cols = ["tasking_id", "team", *(["officer"] if "officer" in p.columns else []),
            "start_local", "end_local", "fence_id", "place", "minutes"]  # fmt: skip
    if "travel_minutes" in p.columns:
        cols += ["travel_from", "travel_minutes"]
    written = []
    for (date, shift), g in p.groupby(["date", "shift"], sort=True):
        g = g.sort_values(["team", "planned_start"])
        stem = f"tasking_{date}_{shift}"
        csv_path = out / f"{stem}.csv"
        sheet = g[cols].copy()
        if "travel_minutes" in sheet.columns:
            sheet["travel_minutes"] = sheet["travel_minutes"].round(1)
        sheet.to_csv(csv_path, index=False)
        html_path = out / f"{stem}.html"
        html_path.write_text(_sheet_html(sheet, str(date), str(shift)), encoding="utf-8")
        written.append((date, shift, len(g), str(csv_path), str(html_path)))
    return pd.DataFrame(written, columns=["date", "shift", "visits", "csv", "html"])


def _sheet_html(sheet: pd.DataFrame, date: str, shift: str) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Tasking {esc(date)} {esc(shift)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Hot spot tasking: {esc(date)}, {esc(shift)} shift</h1>",
        f"<p class='meta'>{len(sheet)} visits. Times are local. Tick each visit when done; "
        "record why if it was not.</p>",
    ]
    heads = {"tasking_id": "Ref", "team": "Team", "officer": "Officer", "start_local": "Start",
             "end_local": "End", "fence_id": "Spot", "place": "Place", "minutes": "Minutes",
             "travel_from": "From", "travel_minutes": "Journey (min)"}  # fmt: skip
    for i, (team, g) in enumerate(sheet.groupby("team", sort=True)):
        cls = " class='first'" if i == 0 else ""
        parts.append(f"<h2{cls}>{esc(str(team))}</h2><table><thead><tr>")
        parts += [f"<th>{esc(heads.get(c, c))}</th>" for c in g.columns if c != "team"]
        parts.append("<th>Done</th></tr></thead><tbody>")
        for _, r in g.iterrows():  # one row per planned visit on a printed page
            cells = "".join(
                f"<td>{esc('' if pd.isna(r[c]) else str(r[c]))}</td>"
                for c in g.columns
                if c != "team"
            )
            parts.append(f"<tr>{cells}<td class='tick'>&#9744;</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)


# --------------------------------------------------------------------------- compliance


def match_visits(
    plan: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    before_minutes: float = 30.0,
    after_minutes: float = 60.0,
    done_share: float = 0.8,
    partly_minutes: float = 2.0,
    team_members: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Match planned visits with delivered ones: done, partly done or not done.

    Each delivered visit (a :func:`~hspwork.tracking.dwell` row) is given to one planned visit:
    of the plans it is eligible for at the same fence, the one whose planned start is nearest
    to the visit's start, provided the visit started no more than ``before_minutes`` before the
    planned start nor more than ``after_minutes`` after it (ties go to the earlier plan).
    Eligible: with an ``officer`` in the plan only that officer; with ``team_members``
    (team -> officers) only the planned team's officers; otherwise anyone. A planned visit is **done**
    when its delivered minutes reach ``done_share`` of the planned minutes, **partly** when they
    reach ``partly_minutes`` (less is a pass, not a visit), and **not done** otherwise.

    Returns
    -------
    DataFrame
        The plan with ``delivered_minutes``, ``delivered_visits``, ``delivered_by`` (the officer
        with most minutes), ``first_arrival`` and ``status``.
    """
    _need(plan, PLAN_COLUMNS, "plan")
    _need(visits, ["officer", "fence_id", "start", "minutes"], "visits")
    if not 0 < done_share <= 1:
        raise HspworkError(f"done_share={done_share}: must be in (0, 1]")
    for name, val in (("before_minutes", before_minutes), ("after_minutes", after_minutes)):
        if not np.isfinite(val) or val < 0:
            raise HspworkError(f"{name}={val!r}: must be a finite number of minutes >= 0")
    p = plan.reset_index(drop=True).copy()
    p["_plan"] = np.arange(len(p))
    v = visits[["officer", "fence_id", "start", "minutes"]].reset_index(drop=True).copy()
    v["_visit"] = np.arange(len(v))
    v["fence_id"] = v["fence_id"].astype(str)
    p["fence_id"] = p["fence_id"].astype(str)
    v["_t"] = time_ns(v["start"], "start")
    p["_t"] = time_ns(p["planned_start"], "planned_start")
    # Who may deliver each planned visit, as one key: its named officer, else (with
    # team_members) its team's members, else anyone. Eligibility is applied before choosing the
    # nearest plan, so a visit is never lost to a nearer plan it could not count for.
    pkey = np.full(len(p), "*", dtype=object)
    if team_members is not None:
        member = {(str(t), str(o)) for t, offs in team_members.items() for o in offs}
        pkey = ("t:" + p["team"].astype(str)).to_numpy(dtype=object)
    if "officer" in p.columns:
        named = p["officer"].notna().to_numpy()
        okey = ("o:" + p["officer"].astype(str)).to_numpy(dtype=object)
        if team_members is not None:  # a named officer must also be in the planned team
            in_team = np.array(
                [(str(t), str(o)) in member for t, o in zip(p["team"], p["officer"])], dtype=bool
            )  # one check per planned visit, not per ping
            okey = np.where(in_team, okey, "none")
        pkey = np.where(named, okey, pkey)
    p["_key"] = pkey
    # each delivered visit carries every key it satisfies
    cand = [v.assign(_key="*"), v.assign(_key="o:" + v["officer"].astype(str))]
    if team_members is not None:
        tm = pd.DataFrame(
            [(str(o), f"t:{t}") for t, offs in team_members.items() for o in offs],
            columns=["_o", "_key"],
        ).drop_duplicates()
        cand.append(v.assign(_o=v["officer"].astype(str)).merge(tm, on="_o").drop(columns="_o"))
    left = pd.concat(cand, ignore_index=True).sort_values("_t", kind="stable")
    right = p[["_plan", "fence_id", "_key", "_t"]].rename(columns={"_t": "_tp"})
    right = right.sort_values("_tp", kind="stable")
    # the nearest eligible plan on each side, each within its own window: a plan that started
    # up to after_minutes earlier, or one starting up to before_minutes later
    asof = {"left_on": "_t", "right_on": "_tp", "by": ["fence_id", "_key"]}
    sides = [
        pd.merge_asof(left, right, direction=d, tolerance=round(tol * 60e9), **asof)
        for d, tol in (("backward", after_minutes), ("forward", before_minutes))
    ]
    m = pd.concat(sides, ignore_index=True)
    m = m[m["_plan"].notna()].copy()
    m["_gap"] = (m["_t"] - m["_tp"]).abs()
    # one plan per delivered visit: the nearest start; a tie goes to the earlier plan
    m = m.sort_values(["_visit", "_gap", "_tp"], kind="stable").drop_duplicates("_visit")
    m["_plan"] = m["_plan"].astype(np.int64)
    per = m.groupby("_plan").agg(delivered_minutes=("minutes", "sum"),
                                 delivered_visits=("minutes", "size"),
                                 first_arrival=("start", "min"))  # fmt: skip
    by = (
        m.groupby(["_plan", "officer"])["minutes"].sum().reset_index()
        .sort_values(["_plan", "minutes"], ascending=[True, False])
        .drop_duplicates("_plan").set_index("_plan")["officer"]
    )  # fmt: skip
    out = p.drop(columns=["_t"]).join(per, on="_plan")
    out["delivered_minutes"] = out["delivered_minutes"].fillna(0.0)
    out["delivered_visits"] = out["delivered_visits"].fillna(0).astype(np.int64)
    out["delivered_by"] = out["_plan"].map(by)
    need = done_share * out["minutes"].to_numpy(float)
    got = out["delivered_minutes"].to_numpy(float)
    out["status"] = np.select([got >= need - 1e-9, got >= partly_minutes], ["done", "partly"],
                              "not done")  # fmt: skip
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES))
    return out.drop(columns="_plan")


def compliance_table(
    matched: pd.DataFrame, by: str | list[str] = "fence_id", target: float = 0.9
) -> pd.DataFrame:
    """Compliance by place, day, shift, team or officer against a target.

    ``compliance`` = done / planned; ``delivered_share`` = (done + partly) / planned;
    ``minutes_ratio`` = delivered minutes (capped at the plan per visit) / planned minutes.
    ``by="officer"`` uses the plan's ``officer`` when present, else the officer who delivered
    (visits nobody delivered are grouped as "unassigned"); ``by="week"`` groups by ISO week.

    Examples
    --------
    >>> m = pd.DataFrame({"fence_id": ["A", "A", "B"], "minutes": [15.0, 15, 15],
    ...     "delivered_minutes": [15.0, 4, 0], "status": ["done", "partly", "not done"]})
    >>> compliance_table(m)[["fence_id", "planned", "done", "compliance", "meets_target"]]
      fence_id  planned  done  compliance  meets_target
    0        A        2     1         0.5         False
    1        B        1     0         0.0         False
    """
    _need(matched, ["minutes", "delivered_minutes", "status"], "matched plan")
    keys = [by] if isinstance(by, str) else list(by)
    m = matched.copy()
    if "officer" in keys:
        if "officer" not in m.columns or m["officer"].isna().all():
            m["officer"] = m.get("delivered_by", pd.Series(index=m.index, dtype=object))
        m["officer"] = m["officer"].astype(object).where(m["officer"].notna(), "unassigned")
    if "week" in keys:
        d = pd.to_datetime(m["date"].astype(str))
        m["week"] = (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).dt.date
    _need(m, keys, "matched plan")
    st = m["status"].astype(str)
    m["_done"] = st == "done"
    m["_partly"] = st == "partly"
    m["_not"] = st == "not done"
    m["_cap"] = np.minimum(m["delivered_minutes"], m["minutes"])
    out = m.groupby(keys, sort=True, dropna=False).agg(
        planned=("status", "size"), done=("_done", "sum"), partly=("_partly", "sum"),
        not_done=("_not", "sum"), planned_minutes=("minutes", "sum"),
        delivered_minutes=("_cap", "sum"),
    )  # fmt: skip
    out["compliance"] = out["done"] / out["planned"]
    out["delivered_share"] = (out["done"] + out["partly"]) / out["planned"]
    out["minutes_ratio"] = out["delivered_minutes"] / out["planned_minutes"]
    out["target"] = target
    out["meets_target"] = out["compliance"] >= target
    for c in ("done", "partly", "not_done"):
        out[c] = out[c].astype(np.int64)
    return out.reset_index()


def weekly_performance(matched: pd.DataFrame, target: float = 0.9) -> pd.DataFrame:
    """The weekly performance table: one row per week (starting Monday), all places."""
    return compliance_table(matched, by="week", target=target)


def plot_weekly(weekly: pd.DataFrame, target: float | None = None) -> Figure:
    """Weekly compliance (done) and delivered share against the target; returns the Figure."""
    _need(weekly, ["week", "compliance", "delivered_share"], "weekly table")
    target = float(weekly["target"].iloc[0]) if target is None and "target" in weekly else target
    fig = Figure(figsize=(8, 3.5))
    ax = fig.subplots()
    x = pd.to_datetime(weekly["week"].astype(str))
    ax.plot(x, 100 * weekly["compliance"], marker="o", label="done")
    ax.plot(x, 100 * weekly["delivered_share"], marker="s", ls="--", label="done or partly")
    if target is not None:
        ax.axhline(100 * target, color="tab:red", lw=1, label=f"target {target:.0%}")
    ax.set(ylim=(0, 105), ylabel="% of planned visits", xlabel="week beginning",
           title="Hot spot patrol compliance by week")  # fmt: skip
    ax.legend(frameon=False, loc="lower left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- exceptions


def _fence_at(fences: gpd.GeoDataFrame, fence_id: pd.Series, when: pd.Series) -> np.ndarray:
    """Geometry of each ``fence_id`` as it stood at ``when`` (the latest version begun by then).

    Without ``valid_from`` (or before a fence's first version) the last row of that fence is
    used; a fence not in ``fences`` gives None.
    """
    fid = fences["fence_id"].astype(str).to_numpy()
    geoms = fences.geometry.to_numpy()
    last = dict(zip(fid, geoms))  # later rows overwrite: the last version
    out = np.array([last.get(str(f)) for f in fence_id], dtype=object)  # one per exception
    if "valid_from" not in fences.columns or len(fence_id) == 0:
        return out
    vf = time_ns(fences["valid_from"], "valid_from")
    versions = pd.DataFrame({"fence_id": fid, "_vf": vf, "_g": np.arange(len(fid))})
    versions = versions[vf != np.iinfo(np.int64).min].sort_values("_vf", kind="stable")
    # an open start (NaT) is the earliest possible version
    open_start = pd.DataFrame({"fence_id": fid, "_vf": np.iinfo(np.int64).min + 1,
                               "_g": np.arange(len(fid))})[vf == np.iinfo(np.int64).min]  # fmt: skip
    versions = pd.concat([open_start, versions], ignore_index=True).sort_values(
        "_vf", kind="stable"
    )
    q = pd.DataFrame(
        {"fence_id": fence_id.astype(str).to_numpy(), "_t": time_ns(when, "planned_start"),
         "_row": np.arange(len(fence_id))}
    ).sort_values("_t", kind="stable")  # fmt: skip
    m = pd.merge_asof(q, versions, left_on="_t", right_on="_vf", by="fence_id")
    hit = m["_g"].notna().to_numpy()
    out[m["_row"].to_numpy()[hit]] = geoms[m["_g"].to_numpy()[hit].astype(np.int64)]
    return out


def exception_report(
    matched: pd.DataFrame,
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    team_members: dict[str, list[str]] | None = None,
    margin_minutes: float = 0.0,
    include_partly: bool = True,
    crs=None,
) -> pd.DataFrame:
    """Taskings not performed, and whether the officers' devices were silent at the time.

    For each planned visit that was not done (and, with ``include_partly``, partly done), the
    officers expected are the plan's ``officer`` if named, else the team's members
    (``team_members``), else the officer who partly delivered it. Their pings in the planned
    window (``planned_start - margin`` to ``planned_start + minutes + margin``) are counted:

    * ``device_silent`` - no expected officer's device sent any ping in the window, so the
      tracking data cannot say whether the visit happened ("no data" is not "not there");
      ``officers_silent`` counts the expected officers whose devices were silent (with a
      team, some may be silent while others were heard elsewhere);
    * ``pings_in_window`` and ``closest_m`` - how many pings, and the closest any came to the
      fence (metres, whatever the CRS unit), when the devices were heard.

    The pings' CRS comes from their ``crs`` column (or ``crs=``; :func:`hspwork.io.ping_crs`), as for
    :func:`~hspwork.tracking.dwell`; pings in another CRS than the fences are converted. With
    versioned fences the distance is to the version in force at the planned start.

    Returns
    -------
    DataFrame
        One row per exception: the plan columns, ``status``, ``delivered_minutes``,
        ``officers_expected``, ``officers_heard``, ``officers_silent``, ``pings_in_window``,
        ``closest_m``,
        ``device_silent``, and ``reason`` in words.
    """
    _need(matched, [*PLAN_COLUMNS, "status", "delivered_minutes"], "matched plan")
    _need(pings, ["officer", "time", "x", "y"], "pings")
    keep = {"not done", "partly"} if include_partly else {"not done"}
    ex = matched[matched["status"].astype(str).isin(keep)].reset_index(drop=True).copy()
    ex["_row"] = np.arange(len(ex))
    expected = []
    for i, r in enumerate(ex.itertuples(index=False)):  # one row per exception, not per ping
        offs: list[str] = []
        if "officer" in ex.columns and pd.notna(getattr(r, "officer", None)):
            offs = [str(r.officer)]
        elif team_members is not None and r.team in team_members:
            offs = [str(o) for o in team_members[r.team]]
        elif "delivered_by" in ex.columns and pd.notna(r.delivered_by):
            offs = [str(r.delivered_by)]
        expected += [(i, o) for o in offs]
    pairs = pd.DataFrame(expected, columns=["_row", "officer"])
    lo = time_ns(ex["planned_start"]) - int(margin_minutes * 60e9)
    hi = time_ns(ex["planned_start"]) + (ex["minutes"].to_numpy(float) * 60e9).astype(np.int64)
    hi = hi + int(margin_minutes * 60e9)
    fences = to_metric(fences, "fences")
    p_crs = ping_crs(pings, crs)
    x = pings["x"].to_numpy(float)
    y = pings["y"].to_numpy(float)
    if not p_crs.equals(CRS.from_user_input(fences.crs)):
        warnings.warn(
            f"pings are in {p_crs.name} but fences are in {fences.crs.name}; converted the "
            "pings to the fences' CRS",
            CRSMismatchWarning,
            stacklevel=2,
        )
        x, y = Transformer.from_crs(p_crs, fences.crs, always_xy=True).transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    to_m = unit_to_metres(fences.crs)
    t = time_ns(pings["time"])
    off = pings["officer"].astype(str).to_numpy()
    order = np.lexsort((t, off))
    t, off = t[order], off[order]
    x, y = x[order], y[order]
    # per officer, searchsorted gives the window's ping range; closest distance on those pings
    names, first = np.unique(off, return_index=True)
    last = np.r_[first[1:], len(off)]
    where = dict(zip(names, zip(first, last)))
    row_geom = _fence_at(fences, ex["fence_id"], ex["planned_start"])
    n_pings = np.zeros(len(pairs), dtype=np.int64)
    closest = np.full(len(pairs), np.inf)
    for k, (row, o) in enumerate(zip(pairs["_row"], pairs["officer"])):  # exceptions x officers
        if o not in where:
            continue
        a, b = where[o]
        i0 = a + np.searchsorted(t[a:b], lo[row], side="left")
        i1 = a + np.searchsorted(t[a:b], hi[row], side="right")
        n_pings[k] = i1 - i0
        if i1 > i0:
            g = row_geom[row]
            if g is not None:
                d = shapely.distance(g, shapely.points(x[i0:i1], y[i0:i1])).min()
                closest[k] = float(d) * to_m
    pairs["pings"] = n_pings
    pairs["closest"] = closest
    pairs["heard"] = pairs["pings"] > 0
    agg = pairs.groupby("_row").agg(
        officers_expected=("officer", "size"), officers_heard=("heard", "sum"),
        pings_in_window=("pings", "sum"), closest_m=("closest", "min"),
    )  # fmt: skip
    ex = ex.join(agg, on="_row")
    ex["officers_expected"] = ex["officers_expected"].fillna(0).astype(np.int64)
    ex["officers_heard"] = ex["officers_heard"].fillna(0).astype(np.int64)
    ex["pings_in_window"] = ex["pings_in_window"].fillna(0).astype(np.int64)
    ex["closest_m"] = ex["closest_m"].replace(np.inf, np.nan)
    ex["officers_silent"] = ex["officers_expected"] - ex["officers_heard"]
    ex["device_silent"] = (ex["pings_in_window"] == 0) & (ex["officers_expected"] > 0)
    # A part-delivered tasking whose devices were away during the window was visited at
    # another time (the matched visit fell in the early/late allowance), not skipped.
    partly = ex["status"].astype(str) == "partly"
    ex["reason"] = np.select(
        [ex["officers_expected"] == 0, ex["device_silent"],
         partly & (ex["closest_m"] > 0), ex["closest_m"] > 0],
        ["no officer known for this tasking",
         "device silent during the planned window: attendance cannot be judged",
         "visited outside the planned window (device elsewhere during it)",
         "device heard elsewhere: not at the spot"],
        "device heard at the spot but too briefly",
    )  # fmt: skip
    return ex.drop(columns="_row")


def write_report(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    columns=("officer", "delivered_by"),
    pseudonymise: bool = True,
    key: str | bytes | None = None,
) -> Path:
    """Write a report (compliance table, exception report) to CSV, officers pseudonymised."""
    out = pseudonymise_frame(frame, list(columns), key=key) if pseudonymise else frame
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    return path
