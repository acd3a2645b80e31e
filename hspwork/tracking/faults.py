"""Location faults: systematic position offsets and radio silences, found and corrected.

College of Policing document 002 tells of a chief inspector standing in the middle of a hot
spot while the tracking system placed him 200 m away; the force widened the geofence by 200 m.
This module finds such faults in the data a force already has, says how strong the evidence
is, and corrects for them while keeping the measured figures beside the corrected ones:

* :func:`offsets_from_clusters` - where the officers tasked to a fence linger during their
  tasked windows: a spot outside the catchment, used window after window, is an offset;
* :func:`offsets_between_sources` - an officer's app and radio, seconds apart, disagreeing;
* :meth:`hspwork.fences.GpsCalibration.offsets` - known points (an officer standing in the
  middle of the hot spot);
* :func:`silences_at_fences` - a device never heard inside a fence it is tasked to, going
  silent around it during the tasked windows (a radio dead spot);
* :func:`propose_catchments` - per fence and kind of device, the correction the evidence
  supports, with its strength;
* :func:`corrected_fences` and :func:`corrected_dwell` - dwell with those corrections, under
  the pass-by rule :data:`CORRECTION_RULE`.

Windows (``windows=``) are the tasked windows of :func:`hspwork.tasking.tasking_windows`: one
row per tasking and eligible officer with ``fence_id``, ``officer``, ``window_start`` and
``window_end`` (when a visit may begin) and ``minutes`` (planned); an officer is expected at
the fence from ``window_start`` to ``window_end + minutes``. Evidence is measured against each
fence's latest version.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from hspwork.crs import to_metric, unit_to_metres
from hspwork.errors import HspworkError, SchemaError
from hspwork.fences.gps import compass
from hspwork.io.crs_column import ping_crs
from hspwork.tracking import _kernels as K
from hspwork.tracking.dwell import (
    NS_PER_MINUTE,
    DwellResult,
    PreparedPings,
    dwell,
    prepare_pings,
    renumbered,
    time_ns,
)

#: Evidence strengths, weakest first.
STRENGTHS = ("none", "weak", "moderate", "strong")
#: Walking patrol speed (m/s), used to cross the silent margin around a dead spot.
WALK_MPS = 1.4

#: The rule for corrected figures, in plain words (shown on the chapter page and the report).
CORRECTION_RULE = (
    "A catchment is widened, or a radio silence bridged, only at a hot spot with moderate or "
    "strong evidence of a location fault there, and only for the kind of device the evidence "
    "is about: every other hot spot and device keeps its catchment, so clean beats gain "
    "nothing. A visit credited through a widened catchment, or across a silence, counts only "
    "if it begins within a tasking window of that hot spot, by an officer of the tasked team, "
    "and lasts at least {min_minutes:g} minutes; other visits there (pass-bys) are dropped. "
    "The headline uses the corrected figure only where the evidence is strong; elsewhere it "
    "shows the measured figure, and the exceptions say that a location fault is suspected."
)


def _times(ratio: float) -> str:
    """A rate ratio in words: "3.2 times", "over 100 times"."""
    if not np.isfinite(ratio):
        return "not measurably"
    if ratio >= 100:
        return "over 100 times"
    return f"{ratio:.1f} times" if ratio < 10 else f"{ratio:.0f} times"


def _rank(strength: str) -> int:
    if strength not in STRENGTHS:
        raise HspworkError(f"strength {strength!r}; allowed {list(STRENGTHS)}")
    return STRENGTHS.index(strength)


# --------------------------------------------------------------------------- inputs


@dataclass
class _Fences:
    crs: object
    to_m: float
    ids: np.ndarray  # fence_id per fence (str)
    cx: np.ndarray
    cy: np.ndarray
    core: np.ndarray  # shapely geometries, the latest version of each fence
    catch: np.ndarray  # the core buffered by its catchment
    buffer_m: np.ndarray
    area: np.ndarray | None


def _fence_table(fences: gpd.GeoDataFrame, catchment, area_column: str | None) -> _Fences:
    if not isinstance(fences, gpd.GeoDataFrame) or "fence_id" not in fences.columns:
        raise SchemaError("fences must be a GeoDataFrame with a 'fence_id' column")
    f = to_metric(fences, "fences")
    if "source" in f.columns:  # corrected rows are not the place itself
        f = f[f["source"].isna()]
    f = f.assign(fence_id=f["fence_id"].astype(str)).drop_duplicates("fence_id", keep="last")
    f = f.sort_values("fence_id", kind="stable")
    to_m = unit_to_metres(f.crs)
    if catchment is True:
        if "buffer_m" not in f.columns:
            raise SchemaError("catchment=True needs a 'buffer_m' column in the fences")
        buf = f["buffer_m"].fillna(0.0).to_numpy(float)
    elif catchment is False or catchment is None:
        buf = np.zeros(len(f))
    else:
        buf = np.full(len(f), float(catchment))
    core = f.geometry.to_numpy()
    centre = shapely.centroid(core)
    if area_column is not None and area_column not in f.columns:
        raise SchemaError(f"area_column={area_column!r} is not a column of the fences")
    return _Fences(
        crs=f.crs,
        to_m=to_m,
        ids=f["fence_id"].to_numpy(dtype=object),
        cx=shapely.get_x(centre),
        cy=shapely.get_y(centre),
        core=core,
        catch=shapely.buffer(core, buf / to_m),
        buffer_m=buf,
        area=None if area_column is None else f[area_column].astype(str).to_numpy(dtype=object),
    )


@dataclass
class _Windows:
    fence: np.ndarray  # fence code
    officer: np.ndarray  # officer code in the prepared pings (-1: no pings)
    t0: np.ndarray  # presence window, UTC ns
    t1: np.ndarray
    start0: np.ndarray  # when a visit may begin
    start1: np.ndarray
    tasking: np.ndarray  # tasking code (one tasking, several eligible officers)


def _windows(windows: pd.DataFrame, pp: PreparedPings, ft: _Fences) -> _Windows:
    need = ["fence_id", "officer", "window_start", "window_end"]
    missing = [c for c in need if c not in windows.columns]
    if missing:
        raise SchemaError(
            f"windows lack column(s) {missing}; have {list(windows.columns)} (make them with "
            "hspwork.tasking.tasking_windows)"
        )
    w = windows.reset_index(drop=True)
    fence = pd.Index(ft.ids).get_indexer(w["fence_id"].astype(str))
    keep = fence >= 0  # windows at fences not given are not this call's business
    w, fence = w[keep].reset_index(drop=True), fence[keep]
    officer = pd.Index(pp.officers.astype(str)).get_indexer(w["officer"].astype(str))
    s0 = time_ns(w["window_start"], "window_start")
    s1 = time_ns(w["window_end"], "window_end")
    planned = w["minutes"].to_numpy(float) if "minutes" in w.columns else np.zeros(len(w))
    t1 = s1 + np.round(planned * NS_PER_MINUTE).astype(np.int64)
    key = w["tasking_id"].astype(str) if "tasking_id" in w.columns else pd.Series(w.index)
    tasking = pd.factorize(key)[0].astype(np.int64)
    return _Windows(fence.astype(np.int64), officer.astype(np.int64), s0, t1, s0, s1, tasking)


def _officer_starts(pp: PreparedPings) -> np.ndarray:
    return np.searchsorted(pp.off, np.arange(len(pp.officers) + 1)).astype(np.int64)


def _ping_minutes(pp: PreparedPings) -> np.ndarray:
    """Minutes each ping stands for: the observed time until the officer's next ping."""
    dt = np.diff(pp.t).astype(np.float64)
    same = pp.off[1:] == pp.off[:-1]
    lim = np.maximum(pp.gap_ns_by_src[pp.src[1:]], pp.gap_ns_by_src[pp.src[:-1]])
    out = np.zeros(len(pp.t))
    out[:-1] = np.where(same & (dt <= lim), dt, 0.0) / NS_PER_MINUTE
    return out


@dataclass
class _Tasked:
    """Pings of the tasked officers during their tasked windows: one entry per window and ping.

    ``delivered`` says, per tasking, whether some device of an eligible officer lingered
    ``linger_minutes`` or more inside the catchment: such a tasking was seen delivered, so
    devices elsewhere then (other team members) are no evidence of a fault.
    """

    win: np.ndarray
    idx: np.ndarray
    fence: np.ndarray
    src: np.ndarray
    off: np.ndarray
    weight: np.ndarray
    inside: np.ndarray
    delivered: np.ndarray
    has_data: dict  # source code -> per window, whether it had a ping of that source
    ping_weight: np.ndarray  # minutes per ping of the prepared pings

    def rate_ratio(self, minutes, in_f, f: int, s: int, officers) -> float:
        """How many times busier something (a place, silences) is in fence ``f``'s tasked
        windows than outside them, per minute of tasked time of the ``officers`` concerned
        (their devices of source ``s``).

        ``minutes`` and ``in_f`` give, per item (a ping at the place, a silence), its length
        and whether it fell in a tasked window of ``f`` for the same officer. One minute is
        added outside, so that nothing outside gives a large but finite ratio.
        """
        mine = (self.src == s) & np.isin(self.off, officers)
        u = np.unique(self.idx[mine])
        in_u = np.isin(u, self.idx[(self.fence == f) & (self.src == s)])
        inside_time = float(self.ping_weight[u[in_u]].sum())
        outside_time = float(self.ping_weight[u[~in_u]].sum())
        if inside_time <= 0 or outside_time <= 0:
            return np.nan
        a = float(minutes[in_f].sum())
        b = float(minutes[~in_f].sum()) + 1.0
        return (a / inside_time) / (b / outside_time)


def _tasked(pp: PreparedPings, ft: _Fences, w: _Windows, linger_minutes: float) -> _Tasked:
    i0, i1 = K.window_ranges(_officer_starts(pp), pp.t, w.officer, w.t0, w.t1)
    lens = i1 - i0
    win = np.repeat(np.arange(len(lens)), lens)
    first = np.repeat(np.cumsum(lens) - lens, lens)
    idx = np.repeat(i0, lens) + (np.arange(int(lens.sum())) - first)
    fence = w.fence[win]
    inside = np.zeros(len(idx), dtype=bool)
    order = np.argsort(fence, kind="stable")
    bounds = np.searchsorted(fence[order], np.arange(len(ft.ids) + 1))
    for f in range(len(ft.ids)):  # one vectorised test per fence
        sel = order[bounds[f] : bounds[f + 1]]
        inside[sel] = shapely.contains_xy(ft.catch[f], pp.x[idx[sel]], pp.y[idx[sel]])
    ping_weight = _ping_minutes(pp)
    weight = ping_weight[idx]
    linger_in = np.bincount(win, weights=weight * inside, minlength=len(w.fence))
    delivered = np.zeros(int(w.tasking.max()) + 1 if len(w.tasking) else 0, dtype=bool)
    delivered[w.tasking[linger_in >= linger_minutes]] = True
    src = pp.src[idx]
    has = {}
    for s in np.unique(src):
        h = np.zeros(len(w.fence), dtype=bool)
        h[win[src == s]] = True
        has[int(s)] = h
    return _Tasked(win, idx, fence, src, pp.off[idx], weight, inside, delivered, has,
                   ping_weight)  # fmt: skip


def _count(w: _Windows, flag: np.ndarray) -> int:
    """Taskings with at least one window (eligible officer) where ``flag`` holds."""
    return len(np.unique(w.tasking[flag]))


def _source_name(pp: PreparedPings, s: int) -> str:
    return pp.sources[s] if s < len(pp.sources) else "missing"


# --------------------------------------------------------------------------- offsets


def offsets_from_clusters(
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    windows: pd.DataFrame,
    *,
    catchment: bool | float = True,
    search_radius_m: float = 400.0,
    cluster_radius_m: float = 30.0,
    cell_m: float = 10.0,
    linger_minutes: float = 5.0,
    area_column: str | None = None,
    max_gap_minutes=None,
    crs=None,
) -> pd.DataFrame:
    """Where tasked officers linger around each fence during its tasked windows, per device.

    For each fence and source (app, radio, ...), the pings of the tasked officers during the
    tasked windows within ``search_radius_m`` of the fence's centre are weighted by the time
    each stands for (until the next ping, within the gap rule). The place where that time is
    densest (a ``cluster_radius_m`` disc) is where officers stood; it is given as an offset
    from the fence's centre (``dx_m`` east, ``dy_m`` north), taking officers to stand near the
    middle, as patrols are asked to. Then, counted in taskings:

    * ``taskings_delivered_inside`` - some device of an eligible officer lingered
      ``linger_minutes`` or more inside the catchment (seen delivered);
    * ``taskings_lingering_outside`` - not seen delivered, and an officer's device of this
      source lingered ``linger_minutes`` or more at the place found, when it lies outside;
    * ``lift`` - how many times busier that place is (the minutes there of the devices seen
      there, per minute of their tasked time) in this fence's tasked windows than outside
      them: about 1 for a
      station or canteen, busy whatever the tasking; far above 1 for a fault, which belongs
      to its fence.

    Strength of the evidence of a position offset (:data:`STRENGTHS`):

    * none - the place lies inside the catchment (or within ``cluster_radius_m`` of it);
    * strong - it lies outside; devices lingered there in 20 or more taskings, a quarter or
      more of those with data, five times as many as were seen delivered inside, with a lift
      of 5 or more;
    * moderate - 5 or more taskings, more than twice as many as seen delivered, lift 2 or
      more;
    * weak - anything less.

    Returns
    -------
    DataFrame
        One row per fence and source with data: ``fence_id``, ``source`` (and ``area``),
        ``taskings_with_data``, ``taskings_lingering_outside``, ``taskings_delivered_inside``,
        ``lift``, ``dx_m``, ``dy_m``, ``offset_m``, ``outside_m`` (from the place to
        the catchment), ``strength`` and ``evidence``.
    """
    from scipy.spatial import cKDTree

    ft = _fence_table(fences, catchment, area_column)
    pp = prepare_pings(pings, ft.crs, max_gap_minutes=max_gap_minutes, crs=crs)
    w = _windows(windows, pp, ft)
    T = _tasked(pp, ft, w, linger_minutes)
    k = ft.to_m
    dx = (pp.x[T.idx] - ft.cx[T.fence]) * k
    dy = (pp.y[T.idx] - ft.cy[T.fence]) * k
    near = np.flatnonzero(np.hypot(dx, dy) <= search_radius_m)
    n_cells = int(np.ceil(search_radius_m / cell_m))
    edges = np.arange(-n_cells, n_cells + 1) * cell_m
    r_cells = cluster_radius_m / cell_m
    gy, gx = np.mgrid[-int(r_cells) : int(r_cells) + 1, -int(r_cells) : int(r_cells) + 1]
    disc = (np.hypot(gx, gy) <= r_cells).astype(float)
    trees = {}
    for s in np.unique(T.src):  # every tasked ping of a source, for the elsewhere check
        of_s = np.flatnonzero(T.src == s)
        trees[int(s)] = (of_s, cKDTree(np.column_stack([pp.x[T.idx[of_s]], pp.y[T.idx[of_s]]])))
    open_win = ~T.delivered[w.tasking]
    n_src = len(pp.sources) + 1
    group = T.fence[near] * n_src + T.src[near]
    rows = []
    for g in np.unique(group):  # one pass per fence and kind of device, not per ping
        sel = near[group == g]
        f, s = int(g // n_src), int(g % n_src)
        h, _, _ = np.histogram2d(dx[sel], dy[sel], bins=[edges, edges], weights=T.weight[sel])
        dense = ndimage.convolve(h, disc, mode="constant")
        i, j = np.unravel_index(int(np.argmax(dense)), dense.shape)
        px, py = edges[i] + cell_m / 2, edges[j] + cell_m / 2
        # the pings counted in that cell's disc (their cells within r_cells of it, as in the
        # histogram): a distance from the cell's centre could miss a spot at its disc's edge
        ci = np.minimum(np.searchsorted(edges, dx[sel], side="right") - 1, len(edges) - 2)
        cj = np.minimum(np.searchsorted(edges, dy[sel], side="right") - 1, len(edges) - 2)
        close = np.hypot(ci - i, cj - j) <= r_cells
        if T.weight[sel][close].sum() > 0:  # the time-weighted mean of the pings there
            px = float(np.average(dx[sel][close], weights=T.weight[sel][close]))
            py = float(np.average(dy[sel][close], weights=T.weight[sel][close]))
        peak = shapely.Point(ft.cx[f] + px / k, ft.cy[f] + py / k)
        outside_m = float(shapely.distance(ft.catch[f], peak)) * k
        at_peak = np.hypot(dx[sel] - px, dy[sel] - py) <= cluster_radius_m
        linger = np.bincount(T.win[sel], weights=T.weight[sel] * at_peak, minlength=len(w.fence))
        here = w.fence == f
        data = T.has_data[s] & here
        n_data = _count(w, data)
        n_in = _count(w, data & ~open_win)
        n_out = _count(w, (linger >= linger_minutes) & open_win) if outside_m > 0 else 0
        # is the place particular to this fence? How much busier it is in this fence's
        # tasked windows than outside them (a station is as busy either way)
        of_s, tree = trees[s]
        hit = np.unique(T.idx[of_s[tree.query_ball_point([peak.x, peak.y], cluster_radius_m / k)]])
        in_f = np.isin(hit, T.idx[(T.fence == f) & (T.src == s)])
        lift = T.rate_ratio(T.ping_weight[hit], in_f, f, s, np.unique(pp.off[hit]))
        row = {
            "fence_id": ft.ids[f],
            "source": _source_name(pp, s),
            "taskings_with_data": n_data,
            "taskings_lingering_outside": n_out,
            "taskings_delivered_inside": n_in,
            "lift": float(lift),
            "dx_m": px,
            "dy_m": py,
            "offset_m": float(np.hypot(px, py)),
            "outside_m": outside_m,
        }
        row["strength"] = _cluster_strength(row, cluster_radius_m)
        if ft.area is not None:
            row["area"] = ft.area[f]
        row["evidence"] = _cluster_words(row)
        rows.append(row)
    cols = ["fence_id", "source", *(["area"] if ft.area is not None else []),
            "taskings_with_data", "taskings_lingering_outside", "taskings_delivered_inside",
            "lift", "dx_m", "dy_m", "offset_m", "outside_m", "strength", "evidence"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def offsets_by_area(clusters: pd.DataFrame, min_strength: str = "moderate") -> pd.DataFrame:
    """The offsets of :func:`offsets_from_clusters` pooled per area and kind of device.

    Per ``area`` and ``source``, over the fences whose evidence is ``min_strength`` or more:
    how many, their median offset (``dx_m``, ``dy_m``, ``offset_m``, ``direction``), the
    largest distance of a fence's offset from that median (``spread_m``: small when one
    fault covers the area), and the fences.

    Examples
    --------
    >>> c = pd.DataFrame({"fence_id": ["A", "B", "C"], "source": "app", "area": "B3",
    ...     "dx_m": [-140.0, -144.0, 0.0], "dy_m": [113.0, 137.0, 0.0],
    ...     "strength": ["strong", "strong", "none"]})
    >>> offsets_by_area(c)[["area", "source", "fences", "offset_m", "direction"]].round(0).values.tolist()
    [['B3', 'app', 2, 189.0, 'north-west']]
    """
    cols = ["area", "source", "fences", "dx_m", "dy_m", "offset_m", "direction", "spread_m",
            "fence_ids"]  # fmt: skip
    if "area" not in clusters.columns:
        raise SchemaError("clusters have no 'area': call offsets_from_clusters(area_column=...)")
    use = clusters[clusters["strength"].map(_rank) >= _rank(min_strength)]
    rows = []
    for (area, source), g in use.groupby(["area", "source"], sort=True):
        dx, dy = float(g["dx_m"].median()), float(g["dy_m"].median())
        spread = float(np.hypot(g["dx_m"] - dx, g["dy_m"] - dy).max())
        rows.append((area, source, len(g), dx, dy, float(np.hypot(dx, dy)), compass(dx, dy),
                     spread, ", ".join(sorted(g["fence_id"].astype(str)))))  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _cluster_strength(r: dict, radius_m: float) -> str:
    n_out, n_in, n_data = (r["taskings_lingering_outside"], r["taskings_delivered_inside"],
                           r["taskings_with_data"])  # fmt: skip
    if r["outside_m"] <= radius_m or n_out == 0:
        return "none"
    here = n_out / max(n_data, 1)
    lift = r["lift"] if np.isfinite(r["lift"]) else 0.0
    if n_out >= 20 and here >= 0.25 and n_out >= 5 * n_in and lift >= 5:
        return "strong"
    if n_out >= 5 and n_out > 2 * n_in and lift >= 2:
        return "moderate"
    return "weak"


def _cluster_words(r: dict) -> str:
    if r["strength"] == "none":
        return (
            f"{r['source']}: no lingering outside {r['fence_id']}'s catchment stands out "
            f"(seen delivered inside in {r['taskings_delivered_inside']} of "
            f"{r['taskings_with_data']} taskings)"
        )
    return (
        f"{r['source']}: officers tasked to {r['fence_id']} lingered about "
        f"{r['offset_m']:.0f} m {compass(r['dx_m'], r['dy_m'])} of its centre, outside the "
        f"catchment, in {r['taskings_lingering_outside']} of {r['taskings_with_data']} "
        f"taskings (seen delivered inside in {r['taskings_delivered_inside']}); the place is "
        f"{_times(r['lift'])} busier in its tasked windows than outside them"
    )


def offsets_between_sources(
    pings: pd.DataFrame,
    *,
    suspect: str = "app",
    reference: str = "radio",
    max_apart_s: float = 30.0,
    areas: gpd.GeoDataFrame | None = None,
    area_column: str | None = None,
    min_pairs: int = 20,
    crs=None,
) -> pd.DataFrame:
    """How far an officer's ``suspect`` device sits from their ``reference`` device.

    Each ``suspect`` ping is paired with the same officer's nearest ``reference`` ping no more
    than ``max_apart_s`` seconds away; per officer (and area, by the reference ping's position
    in ``areas``), the median east and north differences estimate the offset, with a robust
    standard error (1.4826 x MAD / sqrt(n), the larger axis). Strength: strong with
    ``min_pairs`` pairs or more, an offset of 25 m or more (beyond ordinary GPS scatter) and at
    least 4 standard errors; moderate with 5 pairs or more and 25 m; weak with 25 m on fewer
    pairs; none below 25 m. Which device is wrong the pairs cannot say: the reference is the
    one the force trusts.

    Returns
    -------
    DataFrame
        ``officer``, ``area`` ("all" without ``areas``), ``source`` (the suspect),
        ``reference``, ``pairs``, ``dx_m``, ``dy_m``, ``offset_m``, ``se_m``, ``strength``,
        ``evidence``; empty when no officer carries both devices.

    Examples
    --------
    An officer's app, 10 s after each radio ping, sits 200 m west of it:

    >>> t = pd.date_range("2025-06-01 10:00", periods=30, freq="1min", tz="UTC")
    >>> radio = pd.DataFrame({"officer": "PC1", "time": t, "x": 0.0, "y": 0.0,
    ...                       "source": "radio", "crs": "EPSG:27700"})
    >>> app = radio.assign(time=t + pd.Timedelta(seconds=10), x=-200.0, source="app")
    >>> p = pd.concat([radio, app], ignore_index=True)
    >>> b = offsets_between_sources(p)
    >>> b[["officer", "pairs", "dx_m", "offset_m", "strength"]].values.tolist()
    [['PC1', 30, -200.0, 200.0, 'strong']]
    """
    cols = ["officer", "area", "source", "reference", "pairs", "dx_m", "dy_m", "offset_m",
            "se_m", "strength", "evidence"]  # fmt: skip
    need = [c for c in ("officer", "time", "x", "y", "source") if c not in pings.columns]
    if need:
        raise SchemaError(f"pings lack column(s) {need}; have {list(pings.columns)}")
    p_crs = ping_crs(pings, crs)
    k = unit_to_metres(p_crs)
    src = pings["source"].astype(str)
    a = pings.loc[src == suspect, ["officer", "time", "x", "y"]].copy()
    b = pings.loc[src == reference, ["officer", "time", "x", "y"]].copy()
    for frame in (a, b):
        frame["officer"] = frame["officer"].astype(str)
        frame["time"] = frame["time"].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    common = set(a["officer"]) & set(b["officer"])
    if not common:
        return pd.DataFrame(columns=cols)
    a, b = a[a["officer"].isin(common)], b[b["officer"].isin(common)]
    m = pd.merge_asof(
        a.sort_values("time"), b.sort_values("time").rename(columns={"x": "rx", "y": "ry"}),
        on="time", by="officer", direction="nearest",
        tolerance=pd.Timedelta(seconds=max_apart_s),
    ).dropna(subset=["rx"])  # fmt: skip
    m["dx"] = (m["x"] - m["rx"]) * k
    m["dy"] = (m["y"] - m["ry"]) * k
    m["area"] = "all"
    if areas is not None:
        if area_column is None or area_column not in areas.columns:
            raise SchemaError("areas= needs area_column=, the column naming each area")
        ar = areas.to_crs(p_crs)
        for name, geom in zip(ar[area_column].astype(str), ar.geometry):  # a few areas
            hit = shapely.contains_xy(geom, m["rx"].to_numpy(float), m["ry"].to_numpy(float))
            m.loc[hit, "area"] = name
    rows = []
    for (officer, area), g in m.groupby(["officer", "area"], sort=True):
        n = len(g)
        dx, dy = float(g["dx"].median()), float(g["dy"].median())
        mad = max(float((g["dx"] - dx).abs().median()), float((g["dy"] - dy).abs().median()))
        se = 1.4826 * mad / np.sqrt(n)
        off = float(np.hypot(dx, dy))
        if n >= min_pairs and off >= 25.0 and off >= 4 * se:
            strength = "strong"
        elif n >= 5 and off >= 25.0:
            strength = "moderate"
        elif off >= 25.0:
            strength = "weak"
        else:
            strength = "none"
        where = f" in {area}" if area != "all" else ""
        words = (
            f"{suspect} and {reference} of the same officer, seconds apart, {off:.0f} m apart "
            f"({suspect} to the {compass(dx, dy)}) over {n} pairs{where}"
        )
        rows.append((officer, area, suspect, reference, n, dx, dy, off, se, strength, words))
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- silences


def _silence_ns(pp: PreparedPings) -> np.ndarray:
    """Per source, the gap that counts as a silence: its longest usual interval.

    The 99th percentile of the source's intervals within the gap rule (a radio pinging every
    2-5 minutes: about 5 minutes), never more than the gap rule itself.
    """
    dt = np.diff(pp.t)
    ok = (pp.off[1:] == pp.off[:-1]) & (pp.src[1:] == pp.src[:-1])
    ok &= dt <= pp.gap_ns_by_src[pp.src[:-1]]
    out = pp.gap_ns_by_src.copy()
    for s in range(len(pp.sources)):  # a handful of sources
        x = dt[ok & (pp.src[:-1] == s)]
        if len(x) >= 20:
            out[s] = min(int(np.percentile(x, 99)), int(pp.gap_ns_by_src[s]))
    return out


def _gaps_in_windows(pp: PreparedPings, w: _Windows):
    """Silences (see :func:`_silence_ns`) of one device overlapping tasked windows:
    (window, index of the ping before the silence)."""
    gw, gk = K.window_gaps(_officer_starts(pp), pp.t, pp.src, _silence_ns(pp), w.officer,
                           w.t0, w.t1)  # fmt: skip
    same = pp.src[gk] == pp.src[gk + 1]
    return gw[same], gk[same]


def _bracket_m(pp: PreparedPings, ft: _Fences, f: np.ndarray, gk: np.ndarray):
    """Distances (m) from fences ``f`` to the pings either side of silences ``gk``."""
    d0 = shapely.distance(ft.core[f], shapely.points(pp.x[gk], pp.y[gk])) * ft.to_m
    d1 = shapely.distance(ft.core[f], shapely.points(pp.x[gk + 1], pp.y[gk + 1])) * ft.to_m
    return d0, d1


def _silent_gaps(pp: PreparedPings, ft: _Fences, w: _Windows, reach_m: float):
    """Silences overlapping tasked windows with the pings either side within ``reach_m`` of
    the window's fence: (window, index of the ping before, nearer of the two distances)."""
    gw, gk = _gaps_in_windows(pp, w)
    d0, d1 = _bracket_m(pp, ft, w.fence[gw], gk)
    near = (d0 <= reach_m) & (d1 <= reach_m)
    return gw[near], gk[near], np.minimum(d0, d1)[near]


def _interval_factor_minutes(pp: PreparedPings) -> np.ndarray:
    """Per source, E[X^2] / E[X] of its observed ping intervals X (minutes).

    By renewal theory the last ping before an officer goes silent came on average
    E[X^2] / (2 E[X]) before, and the first after comes as long after: this is their sum.
    """
    dt = np.diff(pp.t).astype(np.float64) / NS_PER_MINUTE
    ok = (pp.off[1:] == pp.off[:-1]) & (pp.src[1:] == pp.src[:-1])
    ok &= dt * NS_PER_MINUTE <= pp.gap_ns_by_src[pp.src[:-1]]
    out = np.full(len(pp.sources) + 1, np.nan)
    for s in range(len(pp.sources)):  # a handful of sources
        x = dt[ok & (pp.src[:-1] == s)]
        if len(x) and x.mean() > 0:
            out[s] = float((x**2).mean() / x.mean())
    return out


def silences_at_fences(
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    windows: pd.DataFrame,
    *,
    catchment: bool | float = True,
    reach_m: float = 2000.0,
    linger_minutes: float = 5.0,
    area_column: str | None = None,
    max_gap_minutes=None,
    crs=None,
) -> pd.DataFrame:
    """Devices never heard inside a fence they are tasked to, going silent around it.

    Per fence and source, over the taskings whose eligible officers' devices of that source
    sent pings during the tasked window: in how many a ping of that source came from inside
    the catchment (``taskings_heard_inside``); and in how many, not seen delivered by any
    device (none lingered ``linger_minutes`` inside), the device went silent - a gap longer
    than its usual longest interval (the 99th percentile of its intervals, at most the gap
    rule) with the pings either side within ``reach_m`` of the fence (``taskings_silent``).
    Beside them: ``heard_inside_elsewhere``, the share of that source's taskings with data at
    the other fences in which it was heard inside; and ``lift``, how many times more the
    device is silent near the fence (minutes of silence per minute of its tasked time) in
    this fence's tasked windows than outside them (about 1 when the silences belong to
    somewhere else nearby).

    Strength of the evidence of a dead spot (:data:`STRENGTHS`):

    * strong - heard inside in at most 5% of the taskings; silent in 20 or more and 30% or
      more of them, with a lift of 5 or more; and the same kind of device heard inside 30% or
      more of the taskings elsewhere (it is the place, not the device);
    * moderate - heard inside in at most 20%; silent in 5 or more and 10% or more, lift 2 or
      more; heard inside elsewhere at least twice as often;
    * weak - silent at least once and heard inside less than half as often as elsewhere;
    * none otherwise.

    ``overhead_minutes`` is what :func:`corrected_dwell` takes off a bridged silence: the mean
    time from the last ping before it to entering the catchment and from leaving to the next
    ping (E[X^2] / E[X] of the source's ping intervals X, by renewal theory), plus crossing
    the silent margin (``silent_margin_m``: the 10th percentile of how close the device came
    before going silent, less the catchment) both ways at walking pace.

    Returns
    -------
    DataFrame
        ``fence_id``, ``source`` (and ``area``), ``taskings_with_data``,
        ``taskings_heard_inside``, ``taskings_silent``, ``heard_inside_elsewhere``, ``lift``,
        ``silent_margin_m``, ``overhead_minutes``, ``strength``,
        ``evidence``.
    """
    ft = _fence_table(fences, catchment, area_column)
    pp = prepare_pings(pings, ft.crs, max_gap_minutes=max_gap_minutes, crs=crs)
    w = _windows(windows, pp, ft)
    T = _tasked(pp, ft, w, linger_minutes)
    all_w, all_k = _gaps_in_windows(pp, w)
    d0, d1 = _bracket_m(pp, ft, w.fence[all_w], all_k)
    near = (d0 <= reach_m) & (d1 <= reach_m)
    gw, gk, dmin = all_w[near], all_k[near], np.minimum(d0, d1)[near]
    factor = _interval_factor_minutes(pp)
    open_win = ~T.delivered[w.tasking]
    heard_win = {}
    for s in T.has_data:
        h = np.zeros(len(w.fence), dtype=bool)
        h[T.win[(T.src == s) & T.inside]] = True
        heard_win[s] = h
    rows = []
    for s, has in T.has_data.items():
        silent_win = np.zeros(len(w.fence), dtype=bool)
        of_s = pp.src[gk] == s
        silent_win[gw[of_s]] = True
        silent_win &= open_win
        every = np.unique(all_k[pp.src[all_k] == s])  # each silence of this device once
        data_f = np.bincount(w.fence[has], minlength=len(ft.ids))
        for f in np.flatnonzero(data_f):  # fences where this device has data
            here = w.fence == f
            n_data = _count(w, has & here)
            n_heard = _count(w, heard_win[s] & here)
            n_silent = _count(w, silent_win & here)
            n_other = max(_count(w, has & ~here), 1)
            heard_else = _count(w, heard_win[s] & ~here) / n_other
            # is the silence particular to this fence? How much more often the device is
            # silent near it in its tasked windows than outside them
            e0, e1 = _bracket_m(pp, ft, np.full(len(every), f), every)
            near_f = every[(e0 <= reach_m) & (e1 <= reach_m)]
            in_f = np.isin(near_f, all_k[w.fence[all_w] == f])
            length = (pp.t[near_f + 1] - pp.t[near_f]) / NS_PER_MINUTE
            who = np.unique(pp.off[near_f])
            lift = T.rate_ratio(length, in_f, f, s, who) if len(near_f) else np.nan
            gsel = of_s & (w.fence[gw] == f)
            margin = float(np.percentile(dmin[gsel], 10)) if gsel.any() else np.nan
            cross = 2 * max(margin - ft.buffer_m[f], 0.0) / WALK_MPS / 60 if gsel.any() else 0
            row = {
                "fence_id": ft.ids[f],
                "source": _source_name(pp, s),
                "taskings_with_data": n_data,
                "taskings_heard_inside": n_heard,
                "taskings_silent": n_silent,
                "heard_inside_elsewhere": heard_else,
                "lift": float(lift),
                "silent_margin_m": margin,
                "overhead_minutes": float(factor[s] + cross),
            }
            row["strength"] = _silence_strength(row)
            if ft.area is not None:
                row["area"] = ft.area[f]
            row["evidence"] = (
                f"{row['source']} heard inside {row['fence_id']}'s catchment in {n_heard} of "
                f"{n_data} taskings (elsewhere in {heard_else:.0%}); silent around it in "
                f"{n_silent} taskings not seen delivered ({_times(lift)} more often in its "
                "tasked windows than outside them)"
            )
            rows.append(row)
    cols = ["fence_id", "source", *(["area"] if ft.area is not None else []),
            "taskings_with_data", "taskings_heard_inside", "taskings_silent",
            "heard_inside_elsewhere", "lift", "silent_margin_m", "overhead_minutes",
            "strength", "evidence"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["fence_id", "source"], kind="stable").reset_index(drop=True)


def _silence_strength(r: dict) -> str:
    n_data = max(r["taskings_with_data"], 1)
    heard = r["taskings_heard_inside"] / n_data
    n_silent = r["taskings_silent"]
    silent = n_silent / n_data
    heard_else = r["heard_inside_elsewhere"]
    lift = r["lift"] if np.isfinite(r["lift"]) else 0.0
    if heard <= 0.05 and n_silent >= 20 and silent >= 0.3 and lift >= 5 and heard_else >= 0.3:
        return "strong"
    if heard <= 0.2 and n_silent >= 5 and silent >= 0.1 and lift >= 2 and heard_else >= 2 * heard:
        return "moderate"
    if n_silent >= 1 and heard < heard_else / 2:
        return "weak"
    return "none"


# --------------------------------------------------------------------------- proposals

PROPOSAL_COLUMNS = ["fence_id", "source", "kind", "strength", "dx_m", "dy_m", "extra_m",
                    "direction", "overhead_minutes", "note", "basis", "evidence",
                    "headline"]  # fmt: skip


def _known_point_rows(known: pd.DataFrame, ft: _Fences, area_column) -> list[dict]:
    """Calibration offsets (GpsCalibration.offsets) as evidence per fence and source."""
    if "source" not in known.columns:
        raise SchemaError("known_points must be calibrated by source (calibrate_gps(by=...))")
    rows = []
    for r in known.to_dict("records"):
        if "fence_id" in known.columns:
            hit = ft.ids == str(r["fence_id"])
        elif area_column is not None and area_column in known.columns:
            hit = ft.area == str(r[area_column])
        else:
            hit = np.ones(len(ft.ids), dtype=bool)
        for f in np.flatnonzero(hit):
            rows.append({
                "fence_id": ft.ids[f], "source": str(r["source"]), "dx_m": r["dx_m"],
                "dy_m": r["dy_m"], "strength": r["strength"], "basis": "known points",
                "evidence": f"{r['source']} at known points: {r['offset_m']:.0f} m "
                            f"{compass(r['dx_m'], r['dy_m'])} over {r['n']} pings",
            })  # fmt: skip
    return rows


def _between_rows(between: pd.DataFrame, ft: _Fences) -> list[dict]:
    """App-radio disagreement pooled per area and suspect source, as evidence per fence."""
    rows = []
    usable = between[between["strength"].isin(["moderate", "strong"])]
    for (area, source), g in usable.groupby(["area", "source"]):
        if area == "all":
            hit = np.ones(len(ft.ids), dtype=bool)
        elif ft.area is not None:
            hit = ft.area == str(area)
        else:
            continue  # areas without the fences' area column cannot be placed
        dx, dy = float(g["dx_m"].median()), float(g["dy_m"].median())
        strength = "moderate"  # the pairs cannot say which device is wrong
        words = (f"{source} and {g['reference'].iloc[0]} disagree by {np.hypot(dx, dy):.0f} m "
                 f"for {len(g)} officer(s)" + (f" in {area}" if area != "all" else ""))  # fmt: skip
        for f in np.flatnonzero(hit):
            rows.append({"fence_id": ft.ids[f], "source": source, "dx_m": dx, "dy_m": dy,
                         "strength": strength, "basis": "app and radio disagree",
                         "evidence": words})  # fmt: skip
    return rows


def propose_catchments(
    fences: gpd.GeoDataFrame,
    *,
    clusters: pd.DataFrame | None = None,
    silences: pd.DataFrame | None = None,
    between_sources: pd.DataFrame | None = None,
    known_points: pd.DataFrame | None = None,
    area_column: str | None = None,
    catchment: bool | float = True,
    agree_m: float = 50.0,
    min_strength: str = "moderate",
) -> pd.DataFrame:
    """The correction each fence's evidence supports, per kind of device, and its strength.

    Offsets (a catchment widened towards where the devices place officers, "catchment
    +200 m") come from known points (:meth:`~hspwork.fences.GpsCalibration.offsets`),
    clusters outside the fence (:func:`offsets_from_clusters`) and app-radio disagreement
    (:func:`offsets_between_sources`, pooled per area). The offset used is the known points'
    when they are moderate or strong, else the clusters', else the disagreement's. The
    strength is the strongest single piece of evidence; disagreement alone is at most
    moderate (it cannot say which device is wrong), and two different kinds of evidence that
    agree within ``agree_m`` raise it one step. An offset that stays inside the catchment
    needs no widening and is left out.

    Silences (:func:`silences_at_fences`, "radio silent at this spot") are proposed where
    there is no moderate or strong offset for the same fence and device, which would explain
    the missing pings better.

    Returns
    -------
    DataFrame
        One row per fence and source with evidence of ``min_strength`` or more: ``fence_id``,
        ``source``, ``kind`` ("offset" or "silence"), ``strength``, ``dx_m``, ``dy_m``,
        ``extra_m`` (the widening, to 10 m), ``direction``, ``overhead_minutes`` (silences),
        ``note`` (the words for exceptions, e.g. "catchment +200 m"), ``basis``,
        ``evidence`` and ``headline`` ("corrected" where the evidence is strong, else
        "measured": the rule of :data:`CORRECTION_RULE`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A"], "buffer_m": [25.0]},
    ...                      geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> clusters = pd.DataFrame([{"fence_id": "A", "source": "app", "dx_m": -140.0,
    ...     "dy_m": 143.0, "strength": "strong", "evidence": "lingering outside"}])
    >>> p = propose_catchments(f, clusters=clusters)
    >>> p[["fence_id", "source", "note", "direction", "headline"]].values.tolist()
    [['A', 'app', 'catchment +200 m', 'north-west', 'corrected']]
    """
    ft = _fence_table(fences, catchment, area_column)
    ev = []
    if clusters is not None and len(clusters):
        c = clusters[clusters["strength"] != "none"]
        ev += [{**r, "basis": "clusters outside the fence"} for r in
               c[["fence_id", "source", "dx_m", "dy_m", "strength", "evidence"]].to_dict(
                   "records")]  # fmt: skip
    if known_points is not None and len(known_points):
        ev += [r for r in _known_point_rows(known_points, ft, area_column)
               if r["strength"] != "none"]  # fmt: skip
    if between_sources is not None and len(between_sources):
        ev += _between_rows(between_sources, ft)
    order = {"known points": 0, "clusters outside the fence": 1, "app and radio disagree": 2}
    buf = dict(zip(ft.ids, ft.buffer_m))
    rows = []
    offsets_done = set()
    if ev:
        e = pd.DataFrame(ev)
        e["_o"] = e["basis"].map(order)
        e["_r"] = e["strength"].map(_rank)
        for (fid, source), g in e.groupby(["fence_id", "source"], sort=True):
            g = g.sort_values("_o", kind="stable")
            best = g[g["_r"] >= _rank("moderate")]
            pick = (best if len(best) else g).iloc[0]
            rank = int(g["_r"].max())
            kinds = g.drop_duplicates("basis")
            if len(kinds) >= 2:  # independent kinds of evidence that agree raise it a step
                d = np.hypot(kinds["dx_m"] - pick["dx_m"], kinds["dy_m"] - pick["dy_m"])
                if (d <= agree_m).sum() >= 2:
                    rank = min(rank + 1, _rank("strong"))
            off = float(np.hypot(pick["dx_m"], pick["dy_m"]))
            if off <= buf.get(fid, 0.0):
                continue  # still inside the catchment: nothing to widen
            extra = float(np.round(off / 10.0) * 10.0)
            strength = STRENGTHS[rank]
            rows.append({
                "fence_id": fid, "source": source, "kind": "offset", "strength": strength,
                "dx_m": float(pick["dx_m"]), "dy_m": float(pick["dy_m"]), "extra_m": extra,
                "direction": compass(pick["dx_m"], pick["dy_m"]), "overhead_minutes": np.nan,
                "note": f"catchment +{extra:.0f} m", "basis": "; ".join(kinds["basis"]),
                "evidence": "; ".join(g["evidence"]),
                "headline": "corrected" if strength == "strong" else "measured",
            })  # fmt: skip
            if rank >= _rank("moderate"):
                offsets_done.add((fid, source))
    if silences is not None and len(silences):
        s = silences[silences["strength"] != "none"]
        for r in s.to_dict("records"):
            if (r["fence_id"], r["source"]) in offsets_done:
                continue
            rows.append({
                "fence_id": r["fence_id"], "source": r["source"], "kind": "silence",
                "strength": r["strength"], "dx_m": np.nan, "dy_m": np.nan, "extra_m": np.nan,
                "direction": "", "overhead_minutes": float(r["overhead_minutes"]),
                "note": f"{r['source']} silent at this spot", "basis": "silent around the fence",
                "evidence": r["evidence"],
                "headline": "corrected" if r["strength"] == "strong" else "measured",
            })  # fmt: skip
    out = pd.DataFrame(rows, columns=PROPOSAL_COLUMNS)
    out = out[out["strength"].map(_rank) >= _rank(min_strength)]
    return out.sort_values(["fence_id", "source"], kind="stable").reset_index(drop=True)


def _applied(proposals: pd.DataFrame, min_strength: str) -> pd.DataFrame:
    missing = [c for c in PROPOSAL_COLUMNS if c not in proposals.columns]
    if missing:
        raise SchemaError(f"proposals lack {missing}: pass the frame of propose_catchments")
    return proposals[proposals["strength"].map(_rank) >= _rank(min_strength)]


def corrected_fences(
    fences: gpd.GeoDataFrame, proposals: pd.DataFrame, *, min_strength: str = "moderate"
) -> gpd.GeoDataFrame:
    """The fences with a corrected row per offset proposal of ``min_strength`` or more.

    Each corrected row is the fence (every version) joined with itself moved by the offset:
    with ``catchment=True`` in :func:`~hspwork.tracking.dwell` it becomes the catchment
    widened towards where the devices place officers. It carries the proposal's ``source``,
    so it applies to that kind of device only (other devices keep the fence as it was), and
    its ``correction`` note.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A"], "buffer_m": [25.0]},
    ...                      geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> p = pd.DataFrame([{"fence_id": "A", "source": "app", "kind": "offset",
    ...     "strength": "strong", "dx_m": -200.0, "dy_m": 0.0, "extra_m": 200.0,
    ...     "direction": "west", "overhead_minutes": np.nan, "note": "catchment +200 m",
    ...     "basis": "", "evidence": "", "headline": "corrected"}])
    >>> c = corrected_fences(f, p)
    >>> c[["fence_id", "source", "correction"]].fillna("").values.tolist()
    [['A', '', ''], ['A', 'app', 'catchment +200 m']]
    >>> [round(v) for v in c.geometry.iloc[1].bounds]
    [-200, 0, 100, 100]
    """
    f = to_metric(fences, "fences")
    base = f.copy()
    if "source" not in base.columns:
        base["source"] = None
    base["correction"] = None
    use = _applied(proposals, min_strength)
    use = use[use["kind"] == "offset"]
    k = unit_to_metres(f.crs)
    extra = []
    for r in use.to_dict("records"):  # one per corrected fence and device
        rows = base[(base["fence_id"].astype(str) == str(r["fence_id"])) & base["source"].isna()]
        if rows.empty:
            continue
        moved = shapely.transform(rows.geometry.to_numpy(),
                                  lambda xy, d=(r["dx_m"] / k, r["dy_m"] / k): xy + d)  # fmt: skip
        rows = rows.copy()
        rows["geometry"] = shapely.union(rows.geometry.to_numpy(), moved)
        rows["source"] = r["source"]
        rows["correction"] = r["note"]
        extra.append(rows)
    out = pd.concat([base, *extra], ignore_index=True) if extra else base
    return gpd.GeoDataFrame(out, geometry="geometry", crs=f.crs)


def corrected_dwell(
    pings: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    proposals: pd.DataFrame,
    windows: pd.DataFrame,
    *,
    catchment: bool | float = True,
    min_strength: str = "moderate",
    min_minutes: float = 2.0,
    max_bridge_minutes: float = 45.0,
    reach_m: float = 2000.0,
    max_gap_minutes=None,
    merge_within_minutes=2.0,
    crs=None,
) -> DwellResult:
    """Dwell with the proposed corrections, under the pass-by rule (:data:`CORRECTION_RULE`).

    * Offsets: fences with an offset proposal of ``min_strength`` or more get their catchment
      widened towards the offset, for that kind of device only (:func:`corrected_fences`).
    * Silences: at fences with a silence proposal, a silence of that device overlapping a
      tasked window (pings either side within ``reach_m``, no longer than
      ``max_bridge_minutes``) is credited as a visit from ``overhead_minutes / 2`` after the
      last ping to ``overhead_minutes / 2`` before the next.
    * The pass-by rule: a visit through a widened catchment (by an officer carrying the
      corrected device), or across a silence, counts only if it begins within a tasking
      window of that fence for that officer and lasts ``min_minutes`` or more; other such
      visits are dropped and counted in ``rule["correction"]``. Every other visit is as
      :func:`~hspwork.tracking.dwell` measures it.

    Returns
    -------
    DwellResult
        Its ``visits`` gain ``basis`` ("measured", "widened catchment" or "bridged silence")
        and ``correction`` (the proposal's note, or empty).
    """
    if min_minutes < 0:
        raise HspworkError(f"min_minutes={min_minutes!r}: must be >= 0")
    use = _applied(proposals, min_strength)
    cf = corrected_fences(fences, proposals, min_strength=min_strength)
    r = dwell(pings, cf, catchment=catchment, max_gap_minutes=max_gap_minutes,
              merge_within_minutes=merge_within_minutes, crs=crs)  # fmt: skip
    v = r.visits.copy()
    v["basis"] = "measured"
    v["correction"] = ""
    carried = pings[["officer", "source"]].astype(str).drop_duplicates()
    offs = use[use["kind"] == "offset"][["fence_id", "source", "note"]].astype(str)
    hit = v[["visit_id", "officer", "fence_id"]].astype({"officer": str, "fence_id": str})
    hit = hit.merge(carried, on="officer").merge(offs, on=["fence_id", "source"])
    hit = hit.drop_duplicates("visit_id")
    widened = v["visit_id"].isin(hit["visit_id"]).to_numpy()
    v.loc[widened, "basis"] = "widened catchment"
    v.loc[widened, "correction"] = v.loc[widened, "visit_id"].map(hit.set_index("visit_id")["note"])
    wv = _window_frame(windows)
    ok = _starts_in_window(v[widened], wv) & (v.loc[widened, "minutes"] >= min_minutes)
    keep = np.ones(len(v), dtype=bool)
    keep[np.flatnonzero(widened)[~ok]] = False
    dropped_passes = int((~ok).sum())
    v = v[keep]
    runs = r.runs[r.runs["visit_id"].isin(v["visit_id"])]
    sil = use[use["kind"] == "silence"]
    bridged, b_runs = _bridge(pings, fences, sil, windows, v, catchment, reach_m,
                              max_bridge_minutes, min_minutes, max_gap_minutes, crs)  # fmt: skip
    if len(bridged):
        visits = pd.concat([v, bridged], ignore_index=True)
        runs = pd.concat([runs, b_runs], ignore_index=True)
    else:
        visits = v.reset_index(drop=True)
    visits, runs = renumbered(visits, runs)
    rule = dict(r.rule)
    rule["correction"] = {
        "min_strength": min_strength,
        "min_minutes": float(min_minutes),
        "fences_widened": sorted(set(offs["fence_id"])),
        "fences_bridged": sorted(set(sil["fence_id"].astype(str))),
        "passes_dropped": dropped_passes,
        "silences_bridged": len(bridged),
        "rule": CORRECTION_RULE.format(min_minutes=min_minutes),
    }
    return DwellResult(visits, runs, r.officers, r.fence_ids, rule, r.report)


def _window_frame(windows: pd.DataFrame) -> pd.DataFrame:
    wv = windows[["fence_id", "officer", "window_start", "window_end"]].copy()
    wv["fence_id"] = wv["fence_id"].astype(str)
    wv["officer"] = wv["officer"].astype(str)
    return wv


def _starts_in_window(v: pd.DataFrame, wv: pd.DataFrame) -> np.ndarray:
    """Whether each visit begins within a window of its fence for its officer."""
    if len(v) == 0:
        return np.zeros(0, dtype=bool)
    q = pd.DataFrame({"_row": np.arange(len(v)), "fence_id": v["fence_id"].astype(str).to_numpy(),
                      "officer": v["officer"].astype(str).to_numpy(),
                      "start": v["start"].to_numpy()})  # fmt: skip
    m = q.merge(wv, on=["fence_id", "officer"])
    inside = (m["start"] >= m["window_start"]) & (m["start"] <= m["window_end"])
    out = np.zeros(len(v), dtype=bool)
    out[m.loc[inside, "_row"].to_numpy()] = True
    return out


def _bridge(pings, fences, sil, windows, measured, catchment, reach_m, max_bridge_minutes,
            min_minutes, max_gap_minutes, crs):  # fmt: skip
    """Visits across silences at fences with a silence proposal (see corrected_dwell)."""
    v_cols = ["visit_id", "officer", "fence_id", "start", "end", "minutes", "n_pings",
              "mean_speed_mps", "basis", "correction"]  # fmt: skip
    r_cols = ["visit_id", "officer", "fence_id", "start", "end", "minutes", "n_pings"]
    empty = (pd.DataFrame(columns=v_cols), pd.DataFrame(columns=r_cols))
    if sil.empty:
        return empty
    ft = _fence_table(fences, catchment, None)
    pp = prepare_pings(pings, ft.crs, max_gap_minutes=max_gap_minutes, crs=crs)
    w = _windows(windows, pp, ft)
    gw, gk, _ = _silent_gaps(pp, ft, w, reach_m)
    fid = ft.ids[w.fence[gw]]
    src = np.asarray([*pp.sources, "missing"], dtype=object)[pp.src[gk]]
    key = pd.MultiIndex.from_arrays([fid, src])
    plan = sil.set_index(["fence_id", "source"])
    at = plan.index.get_indexer(key)
    ok = at >= 0
    gw, gk, at = gw[ok], gk[ok], at[ok]
    half = plan["overhead_minutes"].to_numpy(float)[at] * NS_PER_MINUTE / 2
    s = pp.t[gk] + np.round(half).astype(np.int64)
    e = pp.t[gk + 1] - np.round(half).astype(np.int64)
    gap = (pp.t[gk + 1] - pp.t[gk]) / NS_PER_MINUTE
    good = (gap <= max_bridge_minutes) & ((e - s) / NS_PER_MINUTE >= min_minutes)
    good &= (s >= w.start0[gw]) & (s <= w.start1[gw])  # begins within the tasking window
    gw, gk, at, s, e = gw[good], gk[good], at[good], s[good], e[good]
    b = pd.DataFrame({
        "officer": pd.array(pp.officers[pp.off[gk]], dtype=object),
        "fence_id": pd.array(ft.ids[w.fence[gw]], dtype=object), "_k": gk,
        "start": pd.to_datetime(s, utc=True, unit="ns"),
        "end": pd.to_datetime(e, utc=True, unit="ns"),
        "minutes": (e - s) / NS_PER_MINUTE, "n_pings": np.zeros(len(gk), dtype=np.int64),
        "mean_speed_mps": np.nan, "basis": "bridged silence",
        "correction": plan["note"].to_numpy(object)[at],
    })  # fmt: skip
    b = b.drop_duplicates(["_k", "fence_id"])  # one silence, one visit, whatever the windows
    if len(measured):  # a silence beside a measured visit of the same officer there: no bridge
        m = measured[["officer", "fence_id", "start", "end"]].astype({"officer": str,
                                                                       "fence_id": str})  # fmt: skip
        q = (
            b.reset_index()
            .astype({"officer": str, "fence_id": str})
            .merge(m, on=["officer", "fence_id"], suffixes=("", "_m"))
        )
        clash = q[(q["start"] < q["end_m"]) & (q["end"] > q["start_m"])]["index"]
        b = b[~b.index.isin(clash)]
    b = b.drop(columns="_k").reset_index(drop=True)
    b.insert(0, "visit_id", -1 - np.arange(len(b), dtype=np.int64))  # renumbered by caller
    runs = b[r_cols].copy()
    return b[v_cols], runs
