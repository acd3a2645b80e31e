"""Catchments for GPS error and rings for displacement analysis.

The core fence is never changed: a catchment is a separate polygon (the core widened by the
GPS error, as the force in College of Policing document 002 widened its geofence by 200 m),
so dwell can be counted on the core, on the catchment, or both.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hspwork.crs import metres_to_crs_units, require_crs, unit_to_metres
from hspwork.errors import HspworkError
from hspwork.fences.core import check_fences

__all__ = ["catchments", "rings"]


def catchments(
    fences: gpd.GeoDataFrame, buffer_m: float | None = None, band_only: bool = False
) -> gpd.GeoDataFrame:
    """The GPS catchment of each fence: the core widened by ``buffer_m`` metres.

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set (every row gets a catchment; pass current versions for the ones in force).
    buffer_m : float, optional
        Width in metres for every fence; default each fence's own ``buffer_m`` column.
    band_only : bool
        If True, return only the band around the core (catchment minus core).

    Returns
    -------
    GeoDataFrame
        ``fence_id``, ``version``, ``buffer_m``, ``area_m2`` and the catchment geometry, same
        CRS and row order as ``fences``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z", buffer_m=20)
    >>> c = catchments(f)
    >>> import math   # a 140 m square with corners rounded to 20 m radius; arcs are polygons
    >>> abs(float(c["area_m2"].iloc[0]) - (140**2 - (4 - math.pi) * 20**2)) < 3
    True
    """
    f = check_fences(fences)
    crs = require_crs(f)
    width = (
        f["buffer_m"].to_numpy(dtype="float64")
        if buffer_m is None
        else np.full(len(f), float(buffer_m))
    )
    bad = ~np.isfinite(width) | (width < 0)
    if bad.any():
        raise HspworkError(f"buffer_m must be metres >= 0, got {width[bad][:3].tolist()}")
    core = f.geometry.to_numpy()
    # quad_segs=16: a 200 m arc is then off the true circle by < 0.2 m.
    grown = shapely.buffer(core, width / unit_to_metres(crs), quad_segs=16)
    geom = shapely.difference(grown, core) if band_only else grown
    k = unit_to_metres(crs)
    return gpd.GeoDataFrame(
        {
            "fence_id": f["fence_id"].to_numpy(),
            "version": f["version"].to_numpy(),
            "buffer_m": width,
            "area_m2": shapely.area(geom) * k * k,
        },
        geometry=geom,
        crs=f.crs,
    )


def rings(
    fences: gpd.GeoDataFrame,
    edges_m=(0.0, 150.0, 300.0),
    exclude_fences: bool = True,
) -> gpd.GeoDataFrame:
    """Rings around each fence for displacement analysis (e.g. 0-150 m and 150-300 m).

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set (pass the versions in force for an evaluation period).
    edges_m : sequence of float
        Increasing distances from the fence edge in metres; ring *i* covers
        ``edges_m[i] < distance <= edges_m[i+1]``.
    exclude_fences : bool
        Remove every fence's core from every ring, so a ring never counts crime that happened
        inside another (treated or control) fence.

    Returns
    -------
    GeoDataFrame
        One row per fence and ring: ``fence_id``, ``version``, ``ring`` (1, 2, ...),
        ``inner_m``, ``outer_m``, ``area_m2`` and the ring geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from hspwork.fences import make_fences
    >>> disc = Point(0, 0).buffer(100, quad_segs=64)
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[disc], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> r = rings(f, edges_m=(0, 150, 300))
    >>> (r["area_m2"] / (3.14159265 * (250**2 - 100**2))).round(3).tolist()[0]   # first ring
    1.0
    """
    f = check_fences(fences)
    edges = np.asarray(edges_m, dtype="float64")
    if edges.ndim != 1 or len(edges) < 2 or (np.diff(edges) <= 0).any() or edges[0] < 0:
        raise HspworkError(
            f"edges_m must be at least two increasing distances >= 0 in metres, got {list(edges_m)}"
        )
    crs = require_crs(f)
    k = unit_to_metres(crs)
    core = f.geometry.to_numpy()
    grown = [
        core if e == 0 else shapely.buffer(core, metres_to_crs_units(e, crs), quad_segs=16)
        for e in edges
    ]
    blocked = shapely.union_all(core) if exclude_fences else None
    parts = []
    for i in range(len(edges) - 1):
        ring = shapely.difference(grown[i + 1], grown[i])
        if blocked is not None:
            ring = shapely.difference(ring, blocked)
        parts.append(
            pd.DataFrame(
                {
                    "fence_id": f["fence_id"].to_numpy(),
                    "version": f["version"].to_numpy(),
                    "ring": i + 1,
                    "inner_m": edges[i],
                    "outer_m": edges[i + 1],
                    "area_m2": shapely.area(ring) * k * k,
                    "geometry": ring,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).sort_values(
        ["fence_id", "version", "ring"], kind="stable"
    )
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=f.crs)
