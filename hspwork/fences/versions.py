"""Fence versions: every change makes a new version with effective dates.

A fence set holds every version of every fence. Version *v* of a fence is in force from its
``valid_from`` (inclusive) to its ``valid_to`` (exclusive; NaT = still in force). Tracking asks
which version stood at each ping's time: :func:`versions_at` answers for many pings at once,
and :func:`fence_epochs` / :func:`epoch_of` split time into spans over which no fence changed,
so point-in-polygon work can run once per span.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hspwork.crs import align_crs, require_crs, unit_to_metres
from hspwork.errors import HspworkError, SchemaError
from hspwork.fences.core import _area_m2, _as_utc, check_fences

__all__ = [
    "commit_fences",
    "compare_versions",
    "epoch_of",
    "fence_epochs",
    "fence_history",
    "fences_at",
    "versions_at",
]


def _ns(s: pd.Series) -> np.ndarray:
    """UTC times as int64 nanoseconds; NaT as the int64 minimum."""
    return np.asarray(s.dt.tz_convert("UTC").dt.as_unit("ns").array.asi8, dtype="int64")


def _times_ns(times) -> np.ndarray:
    if isinstance(times, pd.DatetimeIndex | pd.Series) and isinstance(
        times.dtype, pd.DatetimeTZDtype
    ):
        s = pd.Series(times)  # already tz-aware: no per-element conversion for a million pings
    else:
        s = _as_utc(pd.Series(np.atleast_1d(np.asarray(times, dtype=object))), "times")
    if s.isna().any():
        raise HspworkError(f"times has {int(s.isna().sum())} missing value(s); give every time")
    return _ns(s)


def _bounds_ns(f: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    start = _ns(f["valid_from"])
    end = _ns(f["valid_to"]).copy()
    end[f["valid_to"].isna().to_numpy()] = np.iinfo("int64").max
    return start, end


def fences_at(fences: gpd.GeoDataFrame, time) -> gpd.GeoDataFrame:
    """The fence versions in force at one time (``valid_from <= time < valid_to``).

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set with its history.
    time : time-like
        tz-aware time or ISO text with a zone.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> f2 = commit_fences(f, f.assign(geometry=[box(0, 0, 120, 100)]), at="2024-02-01T00:00Z")
    >>> fences_at(f2, "2024-01-15T00:00Z")["version"].tolist()
    [1]
    >>> fences_at(f2, "2024-02-01T00:00Z")["version"].tolist()
    [2]
    """
    f = check_fences(fences)
    t = _times_ns([time])[0]
    start, end = _bounds_ns(f)
    return f[(start <= t) & (t < end)].reset_index(drop=True)


def versions_at(fences: gpd.GeoDataFrame, fence_ids, times) -> np.ndarray:
    """Row positions in ``fences`` of the version of ``fence_ids[i]`` in force at ``times[i]``.

    Vectorised for many pings: one :func:`numpy.searchsorted` per fence, never a loop per
    ping. ``-1`` where the fence had no version in force (before it was drawn, after it was
    retired, or an unknown id).

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set.
    fence_ids : array-like of str
        One fence id per time.
    times : array-like of tz-aware times
        Same length as ``fence_ids``.

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> f2 = commit_fences(f, f.assign(geometry=[box(0, 0, 120, 100)]), at="2024-02-01T00:00Z")
    >>> t = pd.to_datetime(["2023-12-31", "2024-01-20", "2024-03-01"], utc=True)
    >>> versions_at(f2, ["0", "0", "0"], t).tolist()
    [-1, 0, 1]
    """
    f = check_fences(fences)
    ids = pd.Index(fence_ids).astype(str)
    t = _times_ns(times)
    if len(ids) != len(t):
        raise HspworkError(
            f"fence_ids has {len(ids)} values but times has {len(t)}; give one id per time"
        )
    out = np.full(len(t), -1, dtype="int64")
    start, end = _bounds_ns(f)
    fid = f["fence_id"].to_numpy().astype(str)
    uniq = pd.Index(np.unique(fid))
    code = uniq.get_indexer(ids)  # -1 for unknown ids, which keep -1
    # Group the pings by fence once; then one searchsorted per fence on its slice.
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(uniq) + 1))
    for c, one in enumerate(uniq):
        sel = order[bounds[c] : bounds[c + 1]]
        if len(sel) == 0:
            continue
        rows = np.flatnonzero(fid == one)
        rows = rows[np.argsort(start[rows], kind="stable")]
        k = np.searchsorted(start[rows], t[sel], side="right") - 1
        ok = k >= 0
        cand = rows[np.where(ok, k, 0)]
        ok &= t[sel] < end[cand]
        out[sel[ok]] = cand[ok]
    return out


def fence_epochs(fences: gpd.GeoDataFrame) -> pd.DataFrame:
    """Spans of time over which no fence changed, with the rows in force in each.

    Returns
    -------
    DataFrame
        ``epoch`` (0, 1, ...), ``start``, ``end`` (UTC; the last end is NaT), ``rows`` (list of
        row positions of ``fences`` in force throughout the span).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> f2 = commit_fences(f, f.assign(geometry=[box(0, 0, 120, 100)]), at="2024-02-01T00:00Z")
    >>> fence_epochs(f2)[["epoch", "rows"]].to_dict("records")
    [{'epoch': 0, 'rows': [0]}, {'epoch': 1, 'rows': [1]}]
    """
    f = check_fences(fences)
    start, end = _bounds_ns(f)
    big = np.iinfo("int64").max
    edges = np.unique(np.concatenate([start, end[end != big]]))
    rows = []
    for e, t0 in enumerate(edges):
        t1 = edges[e + 1] if e + 1 < len(edges) else big
        live = np.flatnonzero((start <= t0) & (t0 < end)).tolist()
        rows.append((e, t0, t1, live))
    out = pd.DataFrame(rows, columns=["epoch", "start", "end", "rows"])
    for c in ("start", "end"):
        v = out[c].to_numpy(dtype="int64")
        out[c] = pd.to_datetime(np.where(v == big, np.datetime64("NaT").view("int64"), v), utc=True)
    out["epoch"] = out["epoch"].astype("int64")
    return out


def epoch_of(fences: gpd.GeoDataFrame, times) -> np.ndarray:
    """The epoch (see :func:`fence_epochs`) of each time; -1 before the first fence.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> f2 = commit_fences(f, f.assign(geometry=[box(0, 0, 120, 100)]), at="2024-02-01T00:00Z")
    >>> epoch_of(f2, pd.to_datetime(["2023-06-01", "2024-01-05", "2025-01-01"], utc=True)).tolist()
    [-1, 0, 1]
    """
    ep = fence_epochs(fences)
    starts = _ns(ep["start"])
    return (np.searchsorted(starts, _times_ns(times), side="right") - 1).astype("int64")


def _same_geometry(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    # Normalised exact equality first; then a tolerance for coordinates that passed through
    # a lon/lat round trip in the editor.
    same = shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=tol)
    return same | (shapely.hausdorff_distance(a, b) <= tol)


def commit_fences(
    fences: gpd.GeoDataFrame,
    current: gpd.GeoDataFrame,
    at=None,
    note: str = "",
    tolerance_m: float = 0.01,
) -> gpd.GeoDataFrame:
    """Record an edited set of fences as new versions of the fence set.

    ``current`` is what the fences should look like from ``at`` on (e.g. the editor's state).
    Compared with the versions in force at ``at``:

    * a fence whose geometry, name, role or buffer changed ends its version at ``at`` and gets
      a new version starting at ``at``;
    * a fence missing from ``current`` is retired (its version ends at ``at``);
    * a new ``fence_id`` starts at version 1 (or after its last version if it was retired);
    * an unchanged fence is left alone.

    Parameters
    ----------
    fences : GeoDataFrame
        The fence set with its history.
    current : GeoDataFrame
        Columns ``fence_id`` and geometry, optionally ``name``, ``role``, ``buffer_m``,
        ``notes``; its CRS is converted to the set's with a warning if they differ.
    at : time-like, optional
        When the change takes effect; default now (UTC, whole seconds). Must be after the start
        of every version it ends.
    note : str
        Added to the notes of new versions.
    tolerance_m : float
        Geometry that moved less than this is unchanged (coordinates drift by millimetres when
        passing through longitude/latitude in the editor).

    Returns
    -------
    GeoDataFrame
        The whole fence set with the new versions, sorted by fence_id and version.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame({"p": ["a", "b"]},
    ...     geometry=[box(0, 0, 100, 100), box(900, 0, 1000, 100)], crs=27700),
    ...     id_column="p", valid_from="2024-01-01T00:00Z")
    >>> edited = f[f.fence_id == "a"].assign(geometry=[box(0, 0, 50, 100)])
    >>> g = commit_fences(f, edited, at="2024-03-01T00:00Z", note="trimmed")
    >>> g[["fence_id", "version"]].values.tolist(), g["valid_to"].isna().tolist()
    ([['a', 1], ['a', 2], ['b', 1]], [False, True, False])
    """
    f = check_fences(fences)
    if not isinstance(current, gpd.GeoDataFrame) or "fence_id" not in current.columns:
        raise SchemaError("current must be a GeoDataFrame with a fence_id column and geometry")
    cur = align_crs(f, current, ("fences", "current")).copy()
    cur["fence_id"] = cur["fence_id"].astype(str)
    if cur["fence_id"].duplicated().any():
        dups = sorted(set(cur.loc[cur["fence_id"].duplicated(), "fence_id"]))
        raise SchemaError(f"current repeats fence_id {', '.join(dups)}; each fence once")
    if at is None:
        at = pd.Timestamp.now(tz="UTC").floor("s")
    t = _as_utc([at], "at").iloc[0]
    live = f[f["valid_to"].isna()]
    late = live[live["valid_from"] >= t]
    if len(late):
        raise HspworkError(
            f"at={t} is not after the start of fence {late['fence_id'].iloc[0]!r} version "
            f"{late['version'].iloc[0]} ({late['valid_from'].iloc[0]}); a change must come later"
        )
    tol = tolerance_m / unit_to_metres(require_crs(f))
    live_by_id = live.set_index("fence_id")
    last_version = f.groupby("fence_id")["version"].max()
    out = f.copy()
    new_rows = []
    defaults = {"role": "treatment", "buffer_m": 0.0, "notes": ""}
    for _, row in cur.iterrows():  # one row per fence (tens), not per ping
        fid = row["fence_id"]
        old = live_by_id.loc[fid] if fid in live_by_id.index else None
        attrs = {}
        for col in ("name", "role", "buffer_m", "notes"):
            if col in cur.columns and pd.notna(row[col]):
                attrs[col] = row[col]
            elif old is not None:
                attrs[col] = old[col]
            else:
                attrs[col] = fid if col == "name" else defaults[col]
        geom = row.geometry
        if old is not None:
            same_geom = bool(_same_geometry(np.array([old.geometry]), np.array([geom]), tol)[0])
            same_attrs = all(str(attrs[c]) == str(old[c]) for c in ("name", "role", "buffer_m"))
            if same_geom and same_attrs:
                continue
            out.loc[(out["fence_id"] == fid) & out["valid_to"].isna(), "valid_to"] = t
            if same_geom:
                geom = old.geometry  # keep the exact coordinates
        version = int(last_version.get(fid, 0)) + 1
        notes = str(attrs["notes"])
        if note:
            notes = f"{notes}; {note}" if notes and notes != note else note
        new_rows.append(
            {
                "fence_id": fid,
                "name": str(attrs["name"]),
                "role": str(attrs["role"]),
                "valid_from": t,
                "valid_to": pd.NaT,
                "version": version,
                "buffer_m": float(attrs["buffer_m"]),
                "notes": notes,
                "geometry": geom,
            }
        )
    gone = set(live["fence_id"]) - set(cur["fence_id"])
    if gone:
        out.loc[out["fence_id"].isin(gone) & out["valid_to"].isna(), "valid_to"] = t
    if new_rows:
        add = gpd.GeoDataFrame(new_rows, geometry="geometry", crs=f.crs)
        add["valid_to"] = pd.Series(pd.NaT, index=add.index, dtype="datetime64[ns, UTC]")
        out = pd.concat([out, add], ignore_index=True)
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=f.crs)
    out = out.sort_values(["fence_id", "version"], kind="stable").reset_index(drop=True)
    return check_fences(out)


def fence_history(fences: gpd.GeoDataFrame, fence_id: str | None = None) -> pd.DataFrame:
    """The versions of each fence, oldest first, with area and how far the centre moved.

    Returns
    -------
    DataFrame
        ``fence_id``, ``version``, ``name``, ``role``, ``valid_from``, ``valid_to``,
        ``area_m2``, ``area_change_m2`` and ``centroid_shift_m`` (against the previous version;
        NaN for version 1), ``notes``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> f2 = commit_fences(f, f.assign(geometry=[box(0, 0, 120, 100)]), at="2024-02-01T00:00Z")
    >>> fence_history(f2)[["version", "area_m2", "area_change_m2", "centroid_shift_m"]].values.tolist()
    [[1.0, 10000.0, nan, nan], [2.0, 12000.0, 2000.0, 10.0]]
    """
    f = check_fences(fences)
    if fence_id is not None:
        if fence_id not in set(f["fence_id"]):
            raise HspworkError(
                f"no fence {fence_id!r}; fences: {', '.join(sorted(set(f['fence_id'])))}"
            )
        f = f[f["fence_id"] == fence_id]
    f = f.sort_values(["fence_id", "version"]).reset_index(drop=True)
    k = unit_to_metres(require_crs(f))
    area = _area_m2(f)
    cent = shapely.centroid(f.geometry.to_numpy())
    first = np.r_[True, f["fence_id"].to_numpy()[1:] != f["fence_id"].to_numpy()[:-1]]
    prev = np.r_[0, np.arange(len(f) - 1)]
    d_area = np.where(first, np.nan, area - area[prev])
    shift = np.where(first, np.nan, shapely.distance(cent, cent[prev]) * k)
    return pd.DataFrame(
        {
            "fence_id": f["fence_id"],
            "version": f["version"],
            "name": f["name"],
            "role": f["role"],
            "valid_from": f["valid_from"],
            "valid_to": f["valid_to"],
            "area_m2": area,
            "area_change_m2": d_area,
            "centroid_shift_m": shift,
            "notes": f["notes"],
        }
    )


def compare_versions(
    fences: gpd.GeoDataFrame, fence_id: str, a: int | None = None, b: int | None = None
) -> gpd.GeoDataFrame:
    """Compare two versions of a fence: area change, centre shift and the area that changed.

    Parameters
    ----------
    fences : GeoDataFrame
        The fence set.
    fence_id : str
        The fence.
    a, b : int, optional
        Version numbers; default the previous and the latest version.

    Returns
    -------
    GeoDataFrame
        One row: ``fence_id``, ``version_a``, ``version_b``, ``area_a_m2``, ``area_b_m2``,
        ``area_change_m2``, ``area_change_pct``, ``centroid_shift_m``, ``added_m2`` (in b, not
        a), ``removed_m2`` (in a, not b), ``changed_m2`` (symmetric difference) and the
        symmetric difference as geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> f2 = commit_fences(f, f.assign(geometry=[box(50, 0, 150, 100)]), at="2024-02-01T00:00Z")
    >>> c = compare_versions(f2, "0")
    >>> c[["area_change_m2", "centroid_shift_m", "added_m2", "removed_m2", "changed_m2"]].values.tolist()
    [[0.0, 50.0, 5000.0, 5000.0, 10000.0]]
    """
    f = check_fences(fences)
    mine = f[f["fence_id"] == str(fence_id)].sort_values("version")
    if mine.empty:
        raise HspworkError(
            f"no fence {fence_id!r}; fences: {', '.join(sorted(set(f['fence_id'])))}"
        )
    versions = mine["version"].tolist()
    if b is None:
        b = versions[-1]
    if a is None:
        if len(versions) < 2:
            raise HspworkError(
                f"fence {fence_id!r} has only version {versions[0]}: nothing to compare"
            )
        a = versions[versions.index(b) - 1] if versions.index(b) > 0 else versions[0]
    for v in (a, b):
        if v not in versions:
            raise HspworkError(f"fence {fence_id!r} has no version {v}; versions: {versions}")
    ga = mine.loc[mine["version"] == a, "geometry"].iloc[0]
    gb = mine.loc[mine["version"] == b, "geometry"].iloc[0]
    k = unit_to_metres(require_crs(f))
    k2 = k * k
    area_a, area_b = ga.area * k2, gb.area * k2
    sym = shapely.symmetric_difference(ga, gb)
    return gpd.GeoDataFrame(
        {
            "fence_id": [str(fence_id)],
            "version_a": [int(a)],
            "version_b": [int(b)],
            "area_a_m2": [area_a],
            "area_b_m2": [area_b],
            "area_change_m2": [area_b - area_a],
            "area_change_pct": [100.0 * (area_b - area_a) / area_a if area_a else np.nan],
            "centroid_shift_m": [ga.centroid.distance(gb.centroid) * k],
            "added_m2": [shapely.difference(gb, ga).area * k2],
            "removed_m2": [shapely.difference(ga, gb).area * k2],
            "changed_m2": [sym.area * k2],
        },
        geometry=[sym],
        crs=f.crs,
    )
