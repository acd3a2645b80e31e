"""Time each officer spent inside each fence, by one explicit rule, fast enough for a force.

See :func:`dwell` for the rule. The work is split into stages that other modules reuse:

* :func:`prepare_pings` checks the frame, converts times to UTC nanoseconds, puts coordinates
  into the fences' CRS and sorts by officer, time (ties by position, so row order never matters);
* :class:`FenceIndex` flattens polygons (all versions) into arrays with a coarse grid index;
* :func:`credited_runs` gives the runs of abutting credited time per officer and fence;
* :func:`visits_from_runs` merges runs into visits and counts patrol-minutes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from hspwork.crs import metres_to_crs_units, to_metric, unit_to_metres
from hspwork.errors import (
    CRSMismatchWarning,
    HspworkError,
    HspworkWarning,
    SchemaError,
)
from hspwork.io.crs_column import ping_crs
from hspwork.report import RowLedger, attach_report
from hspwork.tracking import _kernels as K

NS_PER_MINUTE = 60_000_000_000

#: Default largest gap (minutes) between two pings that still counts as observed, per source.
#: Phone apps and vehicle trackers report every 30-60 s, so 3 minutes allows a couple of missed
#: fixes; Airwave radios (``radio``, ``handheld``) report every 2-5 minutes, so 10 minutes.
DEFAULT_MAX_GAP_MINUTES: dict[str, float] = {
    "app": 3.0,
    "vehicle": 3.0,
    "radio": 10.0,
    "handheld": 10.0,
}


def to_minutes(value, name: str) -> float:
    """Minutes from a number (minutes), a ``Timedelta`` or a string like ``"3min"``."""
    if isinstance(value, bool):
        raise HspworkError(f"{name}={value!r}: give minutes as a number or a pandas Timedelta")
    if isinstance(value, int | float | np.integer | np.floating):
        minutes = float(value)
    else:
        try:
            minutes = pd.Timedelta(value).total_seconds() / 60.0
        except (TypeError, ValueError) as exc:
            raise HspworkError(
                f"{name}={value!r}: give minutes as a number, a pandas Timedelta or a string "
                "such as '3min'"
            ) from exc
    if not np.isfinite(minutes) or minutes < 0:
        raise HspworkError(f"{name}={value!r}: must be a finite, non-negative duration")
    return minutes


def max_gap_table(sources, max_gap) -> np.ndarray:
    """Max gap in ns for each source in ``sources`` (list of names), from ``max_gap``.

    ``max_gap`` is None (the per-source defaults), one duration for every source, or a dict
    source -> duration that overrides the defaults.
    """
    if max_gap is None or isinstance(max_gap, dict):
        table = dict(DEFAULT_MAX_GAP_MINUTES)
        for k, v in (max_gap or {}).items():
            table[str(k)] = to_minutes(v, f"max_gap[{k!r}]")
        missing = [s for s in sources if s not in table]
        if missing:
            raise SchemaError(
                f"no max_gap for source(s) {missing}; defaults exist for "
                f"{sorted(DEFAULT_MAX_GAP_MINUTES)}: pass max_gap=<minutes> or "
                "max_gap={source: minutes}"
            )
        minutes = [table[s] for s in sources]
    else:
        minutes = [to_minutes(max_gap, "max_gap")] * len(sources)
    ns = np.minimum(np.round(np.asarray(minutes, dtype=float) * NS_PER_MINUTE), 2.0**62)
    return ns.astype(np.int64)


def time_ns(series: pd.Series, name: str = "time") -> np.ndarray:
    """UTC nanoseconds since the epoch from a tz-aware datetime column (any time zone)."""
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        raise SchemaError(
            f"column {name!r} has dtype {series.dtype}; a tz-aware datetime is required "
            "(for example `pd.to_datetime(col).dt.tz_localize('Europe/London')` or utc=True)"
        )
    return pd.DatetimeIndex(series).as_unit("ns").asi8


@dataclass
class PreparedPings:
    """Pings as sorted arrays (officer code, UTC ns, x, y in the fences' CRS, source code)."""

    officers: np.ndarray  # names, code order (sorted)
    sources: list[str]
    off: np.ndarray
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    src: np.ndarray
    gap_ns_by_src: np.ndarray
    order: np.ndarray  # sorted position -> row position in the input (after invalid rows removed)
    report: object


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int32), np.asarray(uniques, dtype=object)


def prepare_pings(pings: pd.DataFrame, target_crs, max_gap=None, crs=None) -> PreparedPings:
    """Check and sort pings for the kernels (see module docstring).

    Rows with a missing time or position, or no officer, cannot be placed; they are counted in
    the returned report (reasons ``"no time or position"``, ``"no officer"``) rather than
    silently ignored.
    """
    need = {"officer", "time", "x", "y"}
    missing = sorted(need - set(pings.columns))
    if missing:
        raise SchemaError(
            f"pings lack column(s) {missing}; have {list(pings.columns)}; need "
            "officer, time, x, y (and source for per-source max_gap)"
        )
    src_crs = ping_crs(pings, crs)
    t = time_ns(pings["time"])
    x = pings["x"].to_numpy(dtype=np.float64)
    y = pings["y"].to_numpy(dtype=np.float64)
    if target_crs is not None and not src_crs.equals(CRS.from_user_input(target_crs)):
        target_crs = CRS.from_user_input(target_crs)
        warnings.warn(
            f"pings are in {src_crs.name} but fences are in {target_crs.name}; converted the "
            "pings to the fences' CRS",
            CRSMismatchWarning,
            stacklevel=3,
        )
        x, y = Transformer.from_crs(src_crs, target_crs, always_xy=True).transform(x, y)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    ledger = RowLedger(len(pings), "pings")
    no_pos = (t == np.iinfo(np.int64).min) | ~np.isfinite(x) | ~np.isfinite(y)
    no_officer = pings["officer"].isna().to_numpy()
    bad = no_pos | no_officer
    if bad.any():
        ledger.drop(no_pos, "no time or position")
        ledger.drop(no_officer, "no officer")
        keep = ~bad
        t, x, y = t[keep], x[keep], y[keep]
        officer_col = pings["officer"][keep]
        source_col = pings["source"][keep] if "source" in pings.columns else None
    else:
        officer_col = pings["officer"]
        source_col = pings["source"] if "source" in pings.columns else None
    off, officers = _codes(officer_col)
    if source_col is None:
        if max_gap is None or isinstance(max_gap, dict):
            raise SchemaError(
                "pings have no 'source' column, so the per-source max_gap defaults cannot "
                "apply: pass max_gap=<minutes>"
            )
        src = np.zeros(len(t), dtype=np.int32)
        sources = ["all"]
    else:
        src, uniq = _codes(source_col)
        sources = [str(s) for s in uniq]
        if (src < 0).any():  # missing source: its own label, so the defaults cannot apply
            src = np.where(src < 0, len(sources), src).astype(np.int32)
            sources.append("missing")
    gap_ns = max_gap_table(sources, max_gap)
    if K.is_sorted_pair(off, t):
        perm = np.arange(len(t), dtype=np.int64)
    else:
        perm = K.sort_officer_time(off, t, len(officers))
    perm = K.order_ties(perm, off, t, x, y, src)
    off, t, x, y, src = K.gather(
        perm, off, t, np.ascontiguousarray(x), np.ascontiguousarray(y), src
    )
    return PreparedPings(
        officers=officers,
        sources=sources,
        off=off,
        t=t,
        x=x,
        y=y,
        src=src,
        gap_ns_by_src=gap_ns,
        order=perm,
        report=ledger.report(),
    )


class FenceIndex:
    """Fence polygons (every version) as flat arrays, with a coarse grid for candidate lookup.

    Parameters
    ----------
    fences : GeoDataFrame
        ``fence_id`` and Polygon/MultiPolygon geometry; optional ``valid_from``/``valid_to``
        (tz-aware; NaT = open) for versioned sets.
    catchment : bool or float
        False: core fences. True: each fence buffered by its ``buffer_m`` column. A number:
        every fence buffered by that many metres (converted to the CRS's units).
    """

    def __init__(self, fences: gpd.GeoDataFrame, catchment: bool | float = False) -> None:
        if not isinstance(fences, gpd.GeoDataFrame):
            raise SchemaError(f"fences must be a GeoDataFrame, got {type(fences).__name__}")
        if "fence_id" not in fences.columns:
            raise SchemaError(f"fences lack 'fence_id'; have {list(fences.columns)}")
        ids = fences["fence_id"]
        no_id = (ids.isna() | (ids.astype(object).astype(str).str.strip() == "")).to_numpy()
        if no_id.any():
            rows = np.flatnonzero(no_id)
            shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
            raise HspworkError(
                f"fences has {len(rows)} fence(s) without a fence_id (row {shown}): a visit "
                "must name its fence. Give each a fence_id, or drop them "
                "(fences[fences['fence_id'].notna()])"
            )
        fences = to_metric(fences, "fences")
        self.crs = CRS.from_user_input(fences.crs)
        geoms = fences.geometry.to_numpy()
        kinds = set(shapely.get_type_id(geoms).tolist())
        if not kinds <= {3, 6}:
            names = sorted(
                {
                    g.geom_type
                    for g in geoms
                    if g is not None and g.geom_type not in ("Polygon", "MultiPolygon")
                }
            )
            raise SchemaError(f"fence geometries must be Polygon or MultiPolygon; found {names}")
        if catchment is True:
            if "buffer_m" not in fences.columns:
                raise SchemaError("catchment=True needs a 'buffer_m' column in the fences")
            dist = fences["buffer_m"].fillna(0.0).to_numpy(dtype=float)
            geoms = shapely.buffer(geoms, dist / unit_to_metres(self.crs))
        elif catchment is not False and catchment is not None:
            geoms = shapely.buffer(geoms, metres_to_crs_units(float(catchment), self.crs))
        fid_codes, self.fence_ids = pd.factorize(fences["fence_id"].astype(str), sort=True)
        self.fence_ids = np.asarray(self.fence_ids, dtype=object)
        self.poly_fence = fid_codes.astype(np.int32)
        n = len(geoms)
        lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
        self.vfrom = np.full(n, lo, dtype=np.int64)
        self.vto = np.full(n, hi, dtype=np.int64)
        if "valid_from" in fences.columns:
            v = time_ns(fences["valid_from"], "valid_from")
            self.vfrom = np.where(v == lo, lo, v)
        if "valid_to" in fences.columns:
            v = time_ns(fences["valid_to"], "valid_to")
            self.vto = np.where(v == lo, hi, v)
        parts, part_idx = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        ring_poly = part_idx[ring_part]
        self.cx = np.ascontiguousarray(coords[:, 0])
        self.cy = np.ascontiguousarray(coords[:, 1])
        self.ring_start = np.concatenate(
            [[0], np.cumsum(np.bincount(coord_ring, minlength=len(rings)))]
        ).astype(np.int64)
        self.poly_ring_start = np.concatenate(
            [[0], np.cumsum(np.bincount(ring_poly, minlength=n))]
        ).astype(np.int64)
        b = shapely.bounds(geoms)
        empty = ~np.isfinite(b).all(axis=1)
        b[empty] = [np.inf, np.inf, -np.inf, -np.inf]  # empty geometry: matches nothing
        self.bx0, self.by0, self.bx1, self.by1 = (np.ascontiguousarray(b[:, k]) for k in range(4))
        finite = ~empty
        if finite.any():
            gx0, gy0 = b[finite, 0].min(), b[finite, 1].min()
            gx1, gy1 = b[finite, 2].max(), b[finite, 3].max()
            sizes = np.maximum(b[finite, 2] - b[finite, 0], b[finite, 3] - b[finite, 1])
            extent = max(gx1 - gx0, gy1 - gy0, 1e-9)
            # cells about the size of a typical fence keep candidate lists short
            cell = max(float(np.median(sizes)), extent / 2048.0, 1e-9)
            nx = int((gx1 - gx0) / cell) + 1
            ny = int((gy1 - gy0) / cell) + 1
        else:
            gx0 = gy0 = 0.0
            cell = 1.0
            nx = ny = 1
        self.gx0, self.gy0, self.cell, self.nx, self.ny = float(gx0), float(gy0), cell, nx, ny
        self.gstart, self.gitems = K.build_grid(
            self.bx0, self.by0, self.bx1, self.by1, self.gx0, self.gy0, cell, nx, ny
        )

    @property
    def n_fences(self) -> int:
        return len(self.fence_ids)

    def _geo_args(self):
        return (self.gx0, self.gy0, self.cell, self.nx, self.ny, self.gstart, self.gitems,
                self.bx0, self.by0, self.bx1, self.by1, self.vfrom, self.vto,
                self.poly_ring_start, self.ring_start, self.cx, self.cy)  # fmt: skip

    def contains(self, x: np.ndarray, y: np.ndarray, t: np.ndarray):
        """(ping index, polygon index) for every polygon containing a ping at its time."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        t = np.ascontiguousarray(t, dtype=np.int64)
        counts = K.pip_count(x, y, t, *self._geo_args())
        offsets = np.zeros(len(x) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return K.pip_fill(x, y, t, offsets, *self._geo_args())


@dataclass
class Runs:
    """Runs of abutting credited time (one officer, one fence), as arrays in any order."""

    fence: np.ndarray
    officer: np.ndarray
    start: np.ndarray
    end: np.ndarray
    n: np.ndarray
    dist: np.ndarray


def credited_runs(pp: PreparedPings, index: FenceIndex, interpolate: bool) -> Runs:
    """Runs of credited time for prepared pings against a fence index (see :func:`dwell`)."""
    x = pp.x
    counts = K.pip_count(x, pp.y, pp.t, *index._geo_args())
    pair_start = np.zeros(len(x) + 1, dtype=np.int64)
    np.cumsum(counts, out=pair_start[1:])
    ping, poly = K.pip_fill(x, pp.y, pp.t, pair_start, *index._geo_args())
    fence = index.poly_fence[poly]
    f, o, s, e, n, d = K.credited_runs(
        pair_start, ping, fence, poly, pp.off, pp.t, pp.x, pp.y, pp.src, pp.gap_ns_by_src,
        bool(interpolate), index.n_fences, index.poly_ring_start, index.ring_start,
        index.cx, index.cy,
    )  # fmt: skip
    return Runs(fence=f, officer=o, start=s, end=e, n=n, dist=d)


def observed_by_officer(pp: PreparedPings) -> pd.DataFrame:
    """Observed and unobserved minutes per officer (gaps within / beyond max_gap)."""
    obs, unobs = K.observed_ns(pp.off, pp.t, pp.src, pp.gap_ns_by_src, len(pp.officers))
    return pd.DataFrame(
        {
            "officer": pp.officers,
            "observed_minutes": obs / NS_PER_MINUTE,
            "unobserved_minutes": unobs / NS_PER_MINUTE,
        }
    )


def visits_from_runs(
    runs: Runs,
    officers: np.ndarray,
    fence_ids: np.ndarray,
    merge_within,
    unit_m: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge credited runs into visits; also officer- and patrol-minutes per fence."""
    merge_ns = round(to_minutes(merge_within, "merge_within") * NS_PER_MINUTE)
    k = np.lexsort((runs.start, runs.officer, runs.fence))
    f, o, s, e = runs.fence[k], runs.officer[k], runs.start[k], runs.end[k]
    cnt, d = runs.n[k], runs.dist[k]
    vf, vo, vs, ve, vcred, vn, vd = K.merge_visits(f, o, s, e, cnt, d, np.int64(merge_ns))
    minutes = vcred / NS_PER_MINUTE
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(vcred > 0, vd * unit_m / (vcred / 1e9), np.nan)
    visits = pd.DataFrame(
        {
            "officer": pd.array(officers[vo], dtype=object),
            "fence_id": pd.array(fence_ids[vf], dtype=object),
            "start": pd.to_datetime(vs, utc=True, unit="ns"),
            "end": pd.to_datetime(ve, utc=True, unit="ns"),
            "minutes": minutes,
            "n_pings": vn.astype(np.int64),
            "mean_speed_mps": speed,
        }
    )
    visits = visits.sort_values(["officer", "start", "fence_id"], kind="stable")
    visits = visits.reset_index(drop=True)
    officer_ns = np.bincount(f, weights=(e - s).astype(np.float64), minlength=len(fence_ids))
    k = np.lexsort((s, f))
    patrol_ns = K.union_by_group(f[k], s[k], e[k], len(fence_ids))
    per_fence = pd.DataFrame(
        {
            "fence_id": fence_ids,
            "officer_minutes": officer_ns / NS_PER_MINUTE,
            "patrol_minutes": patrol_ns / NS_PER_MINUTE,
            "visits": np.bincount(vf, minlength=len(fence_ids)),
        }
    )
    return visits, per_fence


def dwell(
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    max_gap=None,
    merge_within=2.0,
    interpolate: bool = False,
    catchment: bool | float = False,
    crs=None,
) -> pd.DataFrame:
    """Visits: each officer's time inside each fence, by an explicit gap rule.

    The rule (no published convention fixes it, so it is stated here and applied exactly):

    1. Per officer, pings are sorted by time (ties by x, then y, so the order of input rows
       never matters; times in any time zone are compared as UTC instants).
    2. For each pair of consecutive pings with gap ``g``:

       * ``g > max_gap``: the time is *unobserved*. It is credited to no fence and reported
         separately per officer ("no data" is not "not there").
       * both pings inside fence F: ``g`` is credited to F;
       * one ping inside F: ``g / 2`` is credited to F (midpoint rule). With
         ``interpolate=True`` the officer is taken to move at constant speed along the straight
         line between the pings, and the time until the first boundary crossing (from the
         inside ping) is credited instead (midpoint if the line crosses no edge).
    3. A visit is a maximal run of credited time for one officer in one fence; runs separated
       by less than ``merge_within`` merge into one visit. ``start``/``end`` span the run and
       ``minutes`` is the credited time within it (time outside between merged runs is not
       credited). A ping inside a fence with no credited time either side (isolated by gaps
       longer than ``max_gap``) makes no visit.
    4. Overlapping fences each receive the credit: a ping inside two fences counts for both, so
       summing minutes over fences can exceed an officer's observed time.
    5. ``max_gap`` depends on the source (:data:`DEFAULT_MAX_GAP_MINUTES`: app and vehicle
       3 min, radio and handheld 10 min); a pair of pings from different sources uses the
       larger of their two limits.
    6. Versioned fences: a ping counts against the version valid at its time
       (``valid_from <= time < valid_to``; NaT = open-ended). Time is credited to the
       ``fence_id``, whatever version each ping met.
    7. A ping exactly on a fence's edge follows the even-odd (crossing number) rule with
       half-open edges: on an axis-aligned square the west and south edges are inside, the
       east and north edges outside. Two fences that share an edge therefore never both claim
       a ping on it. A gap of exactly ``max_gap`` is observed; pings at the same instant
       (a zero-length gap) credit nothing between them and do not break a run.

    Parameters
    ----------
    pings : DataFrame
        ``officer``, ``time`` (tz-aware), ``x``, ``y`` and ``source``; CRS in the ``crs``
        column :func:`~hspwork.io.read_pings` adds (or ``crs=``; see
        :func:`hspwork.io.ping_crs`). Converted to the fences' CRS when different.
    fences : GeoDataFrame
        ``fence_id`` and polygon geometry; optional ``valid_from``, ``valid_to``, ``buffer_m``.
    max_gap : float, Timedelta, dict or None
        Minutes (or a Timedelta) for every source, a dict source -> minutes overriding the
        defaults, or None for the defaults.
    merge_within : float or Timedelta
        Minutes; default 2.
    interpolate : bool
        Boundary interpolation instead of the midpoint rule for one-inside pairs.
    catchment : bool or float
        Use GPS catchment buffers: True buffers each fence by its ``buffer_m``; a number buffers
        every fence by that many metres.
    crs : CRS-like, optional
        CRS of the pings when they have no ``crs`` column (must agree with it otherwise).

    Returns
    -------
    DataFrame
        One row per visit: ``officer``, ``fence_id``, ``start``, ``end`` (UTC), ``minutes``,
        ``n_pings`` (pings inside the fence during the visit), ``mean_speed_mps`` (distance
        moved during the credited time / credited time). ``attrs`` holds plain dicts:
        ``"unobserved"`` officer -> unobserved minutes, ``"observed"`` officer -> observed
        minutes, ``"officer_minutes"`` and ``"patrol_minutes"`` fence_id -> minutes
        (patrol-minutes: time with at least one officer present), ``"rule"`` the parameters,
        and ``"load_report"`` the rows that could not be used.

    Examples
    --------
    An officer walks east at 1 m/s along y = 50, pinging every minute, through a 100 m square:

    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> fences = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> t = pd.date_range("2025-06-01 10:00", periods=6, freq="1min", tz="UTC")
    >>> pings = pd.DataFrame({"officer": "PC1", "time": t, "x": [-90.0, -30, 30, 90, 150, 210],
    ...                       "y": 50.0, "source": "app", "crs": "EPSG:27700"})
    >>> v = dwell(pings, fences)
    >>> v[["fence_id", "minutes", "n_pings"]].to_dict("records")
    [{'fence_id': 'A', 'minutes': 2.0, 'n_pings': 2}]
    >>> float(dwell(pings, fences, interpolate=True)["minutes"].iloc[0])  # 100 m at 1 m/s
    1.6666666666666667
    """
    index = FenceIndex(fences, catchment=catchment)
    pp = prepare_pings(pings, index.crs, max_gap=max_gap, crs=crs)
    warn_outside_validity(pp.t, index)
    runs = credited_runs(pp, index, interpolate)
    visits, per_fence = visits_from_runs(
        runs, pp.officers, index.fence_ids, merge_within, unit_to_metres(index.crs)
    )
    obs = observed_by_officer(pp)
    return _attach(visits, per_fence, obs, pp, max_gap, merge_within, interpolate, catchment)


def credited_time(
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    *,
    max_gap=None,
    interpolate: bool = False,
    catchment: bool | float = False,
    crs=None,
) -> pd.DataFrame:
    """The credited time behind :func:`dwell`, before runs are merged into visits.

    One row per run of abutting credited time of one officer in one fence (the same rule as
    ``dwell``; no ``merge_within``): ``officer``, ``fence_id``, ``start``, ``end``,
    ``minutes`` (= end - start), ``n_pings``. Patrol-minutes for any grouping (per day, per
    shift) are the length of the union of these runs across officers; see
    :func:`hspwork.tracking.dosage.patrol_minutes`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> fences = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> t = pd.date_range("2025-06-01 10:00", periods=3, freq="1min", tz="UTC")
    >>> pings = pd.DataFrame({"officer": "PC1", "time": t, "x": 50.0, "y": 50.0, "source": "app",
    ...                       "crs": "EPSG:27700"})
    >>> credited_time(pings, fences)[["fence_id", "minutes", "n_pings"]].to_dict("records")
    [{'fence_id': 'A', 'minutes': 2.0, 'n_pings': 3}]
    """
    index = FenceIndex(fences, catchment=catchment)
    pp = prepare_pings(pings, index.crs, max_gap=max_gap, crs=crs)
    warn_outside_validity(pp.t, index)
    r = credited_runs(pp, index, interpolate)
    out = pd.DataFrame(
        {
            "officer": pd.array(pp.officers[r.officer], dtype=object),
            "fence_id": pd.array(index.fence_ids[r.fence], dtype=object),
            "start": pd.to_datetime(r.start, utc=True, unit="ns"),
            "end": pd.to_datetime(r.end, utc=True, unit="ns"),
            "minutes": (r.end - r.start) / NS_PER_MINUTE,
            "n_pings": r.n,
        }
    )
    out = out.sort_values(["officer", "fence_id", "start"], kind="stable").reset_index(drop=True)
    out.attrs["fence_ids"] = list(index.fence_ids)
    return out


def warn_outside_validity(t: np.ndarray, index: FenceIndex) -> None:
    """Warn when pings fall before every fence version starts or after every one ends.

    The usual cause is a fence set made today (``valid_from`` defaults to now) used on last
    month's pings; dwell then rightly credits nothing to those pings.
    """
    if len(t) == 0 or len(index.vfrom) == 0:
        return
    first, last = index.vfrom.min(), index.vto.max()
    outside = int(((t < first) | (t >= last)).sum())
    if outside:
        span = pd.to_datetime([first, min(last, np.iinfo(np.int64).max - 1)], utc=True)
        warnings.warn(
            f"{outside:,} of {len(t):,} pings are outside every fence version's validity "
            f"(earliest valid_from {span[0]}, latest valid_to "
            f"{'open' if last == np.iinfo(np.int64).max else span[1]}); they count in no fence. "
            "If the fences were meant to apply then, set valid_from (e.g. "
            "read_fences(path, valid_from='2025-09-01T00:00Z')).",
            HspworkWarning,
            stacklevel=3,
        )


def _attach(visits, per_fence, obs, pp, max_gap, merge_within, interpolate, catchment):
    visits.attrs["unobserved"] = dict(zip(obs["officer"], obs["unobserved_minutes"].tolist()))
    visits.attrs["observed"] = dict(zip(obs["officer"], obs["observed_minutes"].tolist()))
    visits.attrs["officer_minutes"] = dict(
        zip(per_fence["fence_id"], per_fence["officer_minutes"].tolist())
    )
    visits.attrs["patrol_minutes"] = dict(
        zip(per_fence["fence_id"], per_fence["patrol_minutes"].tolist())
    )
    visits.attrs["rule"] = {
        "max_gap_minutes": dict(zip(pp.sources, (pp.gap_ns_by_src / NS_PER_MINUTE).tolist())),
        "merge_within_minutes": to_minutes(merge_within, "merge_within"),
        "interpolate": bool(interpolate),
        "catchment": catchment if not isinstance(catchment, np.floating) else float(catchment),
        "max_gap_argument": None if max_gap is None else str(max_gap),
    }
    attach_report(visits, pp.report)
    return visits


def dwell_summary(visits: pd.DataFrame) -> pd.DataFrame:
    """Per fence: visits, officer-minutes and patrol-minutes from a :func:`dwell` result.

    Examples
    --------
    >>> v = pd.DataFrame(columns=["officer", "fence_id", "minutes"])
    >>> v.attrs.update(officer_minutes={"A": 4.0}, patrol_minutes={"A": 3.0})
    >>> dwell_summary(v).to_dict("records")
    [{'fence_id': 'A', 'visits': 0, 'officer_minutes': 4.0, 'patrol_minutes': 3.0}]
    """
    om = visits.attrs.get("officer_minutes")
    pm = visits.attrs.get("patrol_minutes")
    if om is None or pm is None:
        raise HspworkError(
            "visits carry no officer/patrol minutes in attrs; pass the frame returned by dwell()"
        )
    out = pd.DataFrame({"fence_id": list(om), "officer_minutes": list(om.values())})
    out["patrol_minutes"] = out["fence_id"].map(pm)
    counts = visits.groupby("fence_id").size()
    out.insert(1, "visits", out["fence_id"].map(counts).fillna(0).astype(int))
    return out


def unobserved_table(visits: pd.DataFrame) -> pd.DataFrame:
    """Per officer: observed and unobserved minutes and the unobserved share."""
    ob = visits.attrs.get("observed", {})
    un = visits.attrs.get("unobserved", {})
    out = pd.DataFrame({"officer": list(ob), "observed_minutes": list(ob.values())})
    out["unobserved_minutes"] = out["officer"].map(un).astype(float)
    total = out["observed_minutes"] + out["unobserved_minutes"]
    out["unobserved_share"] = np.where(total > 0, out["unobserved_minutes"] / total, np.nan)
    return out
