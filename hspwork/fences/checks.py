"""Validation of fence sets, with findings an analyst can act on.

Defaults come from the field trials in REFERENCES.md: hot spots of at most 150 m radius
(Peterborough, Op Savvy) with centres at least 500 m apart to keep control spots clean; the
GPS check follows College of Policing document 002, where a radio 200 m off placed an officer
standing in a hot spot outside its fence.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hspwork.crs import metres_to_crs_units, require_crs, unit_to_metres
from hspwork.errors import HspworkError
from hspwork.fences.core import _max_radius_m, check_fences, count_inside

__all__ = ["FINDING_COLUMNS", "validate_fences"]

#: Columns of the findings frame.
FINDING_COLUMNS = ("fence_id", "check", "severity", "message", "value")

_ORDER = {"error": 0, "warning": 1, "info": 2}


def _label(fid: str, name: str) -> str:
    return f"Fence {fid!r}" if name == fid else f"Fence {fid!r} ({name})"


def validate_fences(
    fences: gpd.GeoDataFrame,
    crimes: gpd.GeoDataFrame | None = None,
    max_radius_m: float = 150.0,
    gps_error_m: float | None = None,
    min_spacing_m: float = 500.0,
    at=None,
) -> pd.DataFrame:
    """Check fences and return the findings as a tidy frame, one row per finding.

    Checks (``check`` column):

    * ``invalid``: geometry that is not valid (self-crossing outline, ...), with the reason
      and the fix (:func:`hspwork.fences.repair_fences`). Severity ``error``.
    * ``overlap``: two fences share area; ``value`` is the shared area in m².
    * ``too_big``: the smallest circle holding the fence has a radius above ``max_radius_m``
      (an officer cannot see the whole place from one spot); ``value`` is that radius in m.
    * ``smaller_than_gps``: the largest circle inside the fence is narrower than the GPS
      error, so an officer standing at its middle may be recorded outside; ``value`` is the
      inscribed radius in m. Only when ``gps_error_m`` is given.
    * ``no_crime``: no crime inside the fence (only when ``crimes`` is given); ``value`` 0.
    * ``too_close``: centres closer than ``min_spacing_m`` (catchment fences excluded);
      ``value`` is the distance in m.

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set.
    crimes : GeoDataFrame, optional
        Crime points for the ``no_crime`` check.
    max_radius_m, gps_error_m, min_spacing_m : float
        Thresholds in metres (also for a CRS measured in feet).
    at : time-like, optional
        Check the versions in force at this time; default the current versions.

    Returns
    -------
    DataFrame
        Columns ``fence_id``, ``check``, ``severity`` ("error", "warning"), ``message`` (names
        the fence and the figure) and ``value`` (float, metres or m²), errors first.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame({"place": ["A", "B"]},
    ...     geometry=[box(0, 0, 400, 100), box(300, 0, 400, 100)], crs=27700),
    ...     id_column="place", valid_from="2024-01-01T00:00Z")
    >>> v = validate_fences(f)
    >>> v[["fence_id", "check", "value"]].round(1).to_string(index=False)
    'fence_id     check   value\\n       A   too_big   206.2\\n       A   overlap 10000.0\\n       A too_close   150.0'
    >>> print(v["message"].iloc[0])
    Fence 'A' is 206 m from its middle to its furthest edge (smallest enclosing circle), more than the 150 m an officer can watch from one spot; split it or draw it tighter.
    """
    from hspwork.fences.versions import fences_at

    for label, v in (("max_radius_m", max_radius_m), ("min_spacing_m", min_spacing_m)):
        if not np.isfinite(v) or v <= 0:
            raise HspworkError(f"{label} must be a positive number of metres, got {v!r}")
    if gps_error_m is not None and (not np.isfinite(gps_error_m) or gps_error_m < 0):
        raise HspworkError(f"gps_error_m must be a number of metres >= 0, got {gps_error_m!r}")
    f = check_fences(fences)
    f = f[f["valid_to"].isna()].reset_index(drop=True) if at is None else fences_at(f, at)
    crs = require_crs(f)
    k = unit_to_metres(crs)
    geoms = f.geometry.to_numpy()
    ids = f["fence_id"].to_numpy()
    labels = [_label(i, n) for i, n in zip(ids, f["name"].to_numpy(), strict=True)]
    rows: list[tuple] = []

    valid = shapely.is_valid(geoms)
    for i in np.flatnonzero(~valid):
        reason = shapely.is_valid_reason(geoms[i])
        rows.append(
            (
                ids[i],
                "invalid",
                "error",
                f"{labels[i]} has an invalid outline ({reason}); "
                "hspwork.fences.repair_fences() can fix it, or redraw the fence.",
                np.nan,
            )
        )

    radius = _max_radius_m(f)
    for i in np.flatnonzero(radius > max_radius_m):
        rows.append(
            (
                ids[i],
                "too_big",
                "warning",
                f"{labels[i]} is {radius[i]:.0f} m from its middle to its furthest edge (smallest "
                f"enclosing circle), more than the {max_radius_m:g} m an officer can watch from one "
                "spot; split it or draw it tighter.",
                float(radius[i]),
            )
        )

    if len(f) > 1:
        # Overlap: only valid geometry can be intersected reliably.
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="intersects")
        keep = (a < b) & valid[a] & valid[b]
        a, b = a[keep], b[keep]
        shared = shapely.area(shapely.intersection(geoms[a], geoms[b])) * k * k
        for i, j, s in zip(a, b, shared, strict=True):
            if s > 0:
                rows.append(
                    (
                        ids[i],
                        "overlap",
                        "warning",
                        f"{labels[i]} overlaps {'f' + labels[j][1:]} by {s:,.0f} m²; a patrol there "
                        "would count for both.",
                        float(s),
                    )
                )

    if gps_error_m is not None:
        tol = metres_to_crs_units(0.1, crs)
        inner = shapely.length(shapely.maximum_inscribed_circle(geoms, tol)) * k
        for i in np.flatnonzero(inner < gps_error_m):
            rows.append(
                (
                    ids[i],
                    "smaller_than_gps",
                    "warning",
                    f"{labels[i]} is only {inner[i]:.0f} m from its middle to its nearest edge, less "
                    f"than the GPS error of {gps_error_m:g} m: an officer standing in the middle may "
                    "be recorded outside. Widen the catchment (buffer_m) or the fence.",
                    float(inner[i]),
                )
            )

    if crimes is not None:
        counts, _ = count_inside(f, crimes)
        for i in np.flatnonzero(counts == 0):
            rows.append(
                (
                    ids[i],
                    "no_crime",
                    "warning",
                    f"{labels[i]} has 0 of the {len(crimes):,} crimes given inside it; check it "
                    "is drawn where the crime is.",
                    0.0,
                )
            )

    spaced = f["role"].to_numpy() != "catchment"
    if spaced.sum() > 1:
        cent = shapely.centroid(geoms)
        idx = np.flatnonzero(spaced)
        tree = shapely.STRtree(cent[idx])
        a, b = tree.query(
            cent[idx], predicate="dwithin", distance=metres_to_crs_units(min_spacing_m, crs)
        )
        keep = a < b
        a, b = idx[a[keep]], idx[b[keep]]
        dist = shapely.distance(cent[a], cent[b]) * k
        for i, j, d in zip(a, b, dist, strict=True):
            if d < min_spacing_m:
                rows.append(
                    (
                        ids[i],
                        "too_close",
                        "warning",
                        f"{labels[i]} has its centre {d:.0f} m from the centre of {'f' + labels[j][1:]}, closer "
                        f"than the minimum spacing of {min_spacing_m:g} m; patrols and crime can "
                        "spill between them.",
                        float(d),
                    )
                )

    out = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    out["value"] = out["value"].astype("float64")
    if len(out):
        order = out["severity"].map(_ORDER).to_numpy()
        out = out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    return out
