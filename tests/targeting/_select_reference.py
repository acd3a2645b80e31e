"""The first, slow implementation of :func:`hspwork.targeting.select`, kept as a reference.

It unions the units' geometries for every radius test and re-splits a hot area after every
place it gives up, so it takes minutes at force scale; the tests compare the fast
implementation with it on small random grids. (It records a hot area whose hottest unit is
too wide as one cut place of the whole area; the fast version cuts that unit alone.)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from hspwork.crs import metres_to_crs_units, require_crs, unit_to_metres
from hspwork.targeting._weights import geometry_array, neighbours


def _circle(geom) -> tuple[float, float, float]:
    c = shapely.centroid(shapely.minimum_bounding_circle(geom))
    return float(c.x), float(c.y), float(shapely.minimum_bounding_radius(geom))


def reference_select(
    units: gpd.GeoDataFrame,
    column: str = "harm",
    *,
    capacity: int,
    hot: str | np.ndarray | None = None,
    max_radius_m: float = 150.0,
    min_spacing_m: float = 500.0,
) -> gpd.GeoDataFrame:
    """The places the first implementation made (a GeoDataFrame like ``Selection.places``)."""
    crs = require_crs(units, "units")
    to_m = unit_to_metres(crs)
    max_r = metres_to_crs_units(float(max_radius_m), crs)
    min_d = metres_to_crs_units(float(min_spacing_m), crs)
    value = np.asarray(units[column], dtype="float64")
    cand = np.flatnonzero(np.asarray(hot, dtype=bool))  # the tests always give a mask
    sub = units.iloc[cand]
    w = neighbours(sub, "queen") if cand.size > 1 else sparse.csr_matrix((1, 1))
    n_comp, label = connected_components(w, directed=False)
    geoms = geometry_array(sub)
    vals = value[cand]
    rows = []
    # Work list of hot areas: a component too wide for one place gives up its hottest core,
    # and what is left splits into new areas that compete on their own (so a long hot street
    # can yield several places, which the spacing rule then thins out).
    queue = [(np.flatnonzero(label == comp), 0) for comp in range(n_comp)]
    while queue:  # one iteration per candidate place (tens to hundreds)
        members, parent_size = queue.pop()
        note = f"part of a hot area of {parent_size} units; " if parent_size else ""
        geom = shapely.union_all(geoms[members])
        cx, cy, r = _circle(geom)
        if r > max_r + 1e-9:
            core, core_geom = _trim(members, geoms, vals, w, max_r)
            if core is None:
                rows.append(_row(sub, members, vals, geom, r * to_m, cx, cy, "cut",
                    note + f"even its hottest unit is wider than {max_radius_m:g} m radius"))  # fmt: skip
                rest = members[~np.isin(members, members[np.argmax(vals[members])])]
            else:
                rest = members[~np.isin(members, core)]
                size = parent_size or members.size
                note = (
                    f"hottest {core.size} of a hot area of {size} units (fits {max_radius_m:g} m); "
                )
                cx, cy, r = _circle(core_geom)
                rows.append(_row(sub, core, vals, core_geom, r * to_m, cx, cy, None, note))
            if rest.size:
                n_rest, rest_label = connected_components(w[rest][:, rest], directed=False)
                size = parent_size or members.size
                queue.extend((rest[rest_label == k], size) for k in range(n_rest))
            continue
        rows.append(_row(sub, members, vals, geom, r * to_m, cx, cy, None, note))
    places = pd.DataFrame(rows)
    places = places.sort_values("value", ascending=False, kind="mergesort").reset_index(drop=True)
    places.insert(0, "place_id", np.arange(1, len(places) + 1))
    places.insert(1, "rank", np.arange(1, len(places) + 1))
    kept_xy: list[tuple[float, float]] = []
    kept_ids: list[int] = []
    n_chosen = 0
    for i in range(len(places)):  # greedy over places in rank order
        if places.at[i, "status"] == "cut":
            continue
        xy = (places.at[i, "centre_x"], places.at[i, "centre_y"])
        if kept_xy:
            d, j = cKDTree(np.array(kept_xy)).query(xy)
            if d < min_d:
                places.at[i, "status"] = "cut"
                places.at[i, "reason"] += (
                    f"centre {d * to_m:.0f} m from place {kept_ids[j]} (hotter); "
                    f"minimum spacing {min_spacing_m:g} m"
                )
                continue
        kept_xy.append(xy)
        kept_ids.append(int(places.at[i, "place_id"]))
        if n_chosen < capacity:
            n_chosen += 1
            places.at[i, "status"] = "chosen"
            places.at[i, "reason"] += (
                f"rank {n_chosen} of the places that fit, within capacity {capacity}"
            )
        else:
            places.at[i, "status"] = "next best"
            places.at[i, "reason"] += (
                f"fits but beyond capacity {capacity}; reserve {len(kept_ids) - capacity}"
            )
    out = gpd.GeoDataFrame(places, geometry="geometry", crs=units.crs)
    return out


def _row(sub, members, vals, geom, radius_m, cx, cy, status, reason):
    row = {
        "status": status or "",
        "reason": reason,
        "value": float(vals[members].sum()),
        "n_units": int(members.size),
        "unit_ids": sub["unit_id"].to_numpy()[members].tolist(),
        "radius_m": float(radius_m),
        "centre_x": cx,
        "centre_y": cy,
        "geometry": geom,
    }
    if "crimes" in sub.columns:
        row["crimes"] = int(np.asarray(sub["crimes"])[members].sum())
    return row


def _trim(members, geoms, vals, w, max_r):
    """Grow the hottest compact core of a component that fits in ``max_r``."""
    order = members[np.argsort(-vals[members], kind="mergesort")]
    seed = order[0]
    if shapely.minimum_bounding_radius(geoms[seed]) > max_r + 1e-9:
        return None, None
    core = [seed]
    in_comp = set(members.tolist())
    grown = True
    while grown:  # each pass adds at most one unit; a component holds few units
        grown = False
        frontier = {int(j) for i in core for j in w[i].indices if int(j) in in_comp} - set(core)
        for j in sorted(frontier, key=lambda k: -vals[k]):
            trial = shapely.union_all(geoms[[*core, j]])
            if shapely.minimum_bounding_radius(trial) <= max_r + 1e-9:
                core.append(j)
                grown = True
                break
    core = np.array(core)
    return core, shapely.union_all(geoms[core])
