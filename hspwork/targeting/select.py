"""Pick the hot spots the officers can actually cover.

1. Candidate units: those flagged hot (by default ``gi_bin >= 2``, i.e. Gi* hot at 95%, when
   the column exists; else every unit with a positive value).
2. Adjacent candidates (queen contiguity for cells, touching for segments) merge into places.
3. A place larger than ``max_radius_m`` (the radius of its smallest enclosing circle: can an
   officer standing at the centre see it?) is trimmed to its hottest compact core: starting
   from its hottest unit, neighbouring units join hottest first while the place still fits.
   The rest of the area splits into new candidates that are treated the same way. A single
   unit that does not fit is cut.
4. Places are ranked by ``column`` (harm or crimes); going down the list, a place whose centre
   is closer than ``min_spacing_m`` to one already kept is cut, so control places stay clean.
5. The first ``capacity`` survivors are chosen; the rest are the next best, in order, for when
   a chosen place drops out. Capacity comes from :func:`capacity`.

Field trials used places of at most 150 m radius (Peterborough, Op Savvy) with centres at least
500 m apart; document 000's question is "40 hot spots but resources for 20".

Equal values are taken in row order (units) and in the order their hottest units come (places),
so the same input always gives the same places. Centres exactly ``min_spacing_m`` apart are
allowed. The work is one compiled pass over the candidates: radii come from the smallest circle
enclosing the units' vertices (:mod:`hspwork.targeting._circle`), never from a geometry union,
so 13,000 candidates on a 260,000-cell grid take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from hspwork.crs import metres_to_crs_units, require_crs, unit_to_metres
from hspwork.errors import HspworkError, SchemaError
from hspwork.targeting._circle import circle_of
from hspwork.targeting._weights import geometry_array, neighbours


def capacity(
    officers: int,
    hours_per_shift: float,
    *,
    shifts_per_day: int = 1,
    visits_per_day: int = 3,
    minutes_per_visit: float = 15.0,
    share_of_time: float = 1.0,
) -> int:
    """How many places the available patrol time covers each day.

    ``floor(officers x hours_per_shift x 60 x shifts_per_day x share_of_time /
    (visits_per_day x minutes_per_visit))``; ``share_of_time`` is the part of a shift that can
    go to hot spot visits (travel, calls and breaks take the rest).

    Examples
    --------
    Peterborough-style: 3 visits of 15 minutes a day per place; 4 PCSOs with 2.5 hours each:

    >>> capacity(4, 2.5, visits_per_day=3, minutes_per_visit=15)
    13
    """
    for name, v in (("officers", officers), ("hours_per_shift", hours_per_shift),
                    ("shifts_per_day", shifts_per_day), ("visits_per_day", visits_per_day),
                    ("minutes_per_visit", minutes_per_visit)):  # fmt: skip
        if not np.isfinite(v) or v <= 0:
            raise HspworkError(f"{name} must be positive, got {v!r}")
    if not 0 < share_of_time <= 1:
        raise HspworkError(f"share_of_time must be in (0, 1], got {share_of_time!r}")
    minutes = officers * hours_per_shift * 60.0 * shifts_per_day * share_of_time
    return int(np.floor(minutes / (visits_per_day * minutes_per_visit) + 1e-9))


@dataclass
class Selection:
    """Result of :func:`select`.

    Attributes
    ----------
    places : GeoDataFrame
        One row per candidate place: ``place_id``, ``rank`` (by value), ``status``
        ("chosen", "next best" or "cut"), ``reason``, ``value`` (sum of the column), ``crimes``
        (when present), ``n_units``, ``unit_ids`` (list), ``radius_m``, ``centre_x``, ``centre_y``,
        ``geometry`` (the union of its units).
    capacity : int
    settings : dict
    """

    places: gpd.GeoDataFrame
    capacity: int
    settings: dict = field(default_factory=dict)

    @property
    def chosen(self) -> gpd.GeoDataFrame:
        return self.places[self.places["status"] == "chosen"]

    @property
    def next_best(self) -> gpd.GeoDataFrame:
        return self.places[self.places["status"] == "next best"]

    def summary(self) -> str:
        s = self.settings
        counts = self.places["status"].value_counts()
        total = self.places["value"].sum()
        chosen_value = self.chosen["value"].sum()
        return (
            f"{len(self.places)} candidate places from units flagged hot; capacity {self.capacity} "
            f"places a day. Chosen {counts.get('chosen', 0)} (holding {chosen_value:,.0f} of "
            f"{total:,.0f} {s['column']}), next best {counts.get('next best', 0)}, cut "
            f"{counts.get('cut', 0)} (radius over {s['max_radius_m']:g} m or centres under "
            f"{s['min_spacing_m']:g} m apart)."
        )

    def plot(self, ax=None, units: gpd.GeoDataFrame | None = None, *, label_size: float = 9):
        """Map of chosen, next-best and cut places (static); returns the Figure.

        With ``units`` the whole area is drawn beneath, each unit in its place's colour (a
        large grid as one image, so 260,000 cells draw in a second). Chosen places are
        outlined and labelled with their ``place_id`` just above them, in bold type with a white
        halo, legible on the darkest square and never hiding it.
        """
        import matplotlib.patheffects as pe
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection
        from matplotlib.colors import to_rgba

        from hspwork.targeting.plots import draw_units

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 7))
        else:
            fig = ax.figure
        colours = {"chosen": "#d7191c", "next best": "#fdae61", "cut": "#999999"}
        places = self.places
        if units is not None and "unit_id" in units.columns:
            rgba = np.tile(to_rgba("#eeeeee"), (len(units), 1))
            ids = pd.Index(units["unit_id"].to_numpy())
            for status in ("cut", "next best", "chosen"):  # chosen painted last, on top
                part = places[places["status"] == status]
                if len(part):
                    pos = ids.get_indexer([u for us in part["unit_ids"] for u in us])
                    rgba[pos[pos >= 0]] = to_rgba(colours[status])
            draw_units(units, rgba, ax)
        else:
            keys = places["status"].to_numpy()
            draw_units(places, np.array([to_rgba(colours.get(k, "#eeeeee")) for k in keys]), ax)
        chosen = self.chosen
        if len(chosen):
            rings = shapely.get_coordinates(
                shapely.get_exterior_ring(shapely.get_parts(geometry_array(chosen))),
                return_index=True,
            )
            coords, owner = rings
            lines = np.split(coords, np.searchsorted(owner, np.arange(1, owner.max() + 1)))
            ax.add_collection(LineCollection(lines, colors="black", linewidths=0.8))
        halo = [pe.withStroke(linewidth=3, foreground="white")]
        for pid, x, y in zip(chosen["place_id"], chosen["centre_x"], chosen["centre_y"]):
            # just above the place, so the label never hides the square it names
            ax.annotate(
                str(pid), (x, y), xytext=(0, 5), textcoords="offset points",
                fontsize=label_size, fontweight="bold", ha="center", va="bottom",
                color="black", path_effects=halo,
            )  # fmt: skip
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
        ax.legend(handles, list(colours), loc="upper right")
        ax.set_title(
            f"Places: {len(chosen)} chosen of {len(self.places)} (capacity {self.capacity})"
        )
        ax.set_axis_off()
        return fig


def select(
    units: gpd.GeoDataFrame,
    column: str = "harm",
    *,
    capacity: int,
    hot: str | np.ndarray | None = None,
    max_radius_m: float = 150.0,
    min_spacing_m: float = 500.0,
) -> Selection:
    """Rank, merge, trim and space hot units into places, and stop at capacity.

    Parameters
    ----------
    units : GeoDataFrame
        Units with ``unit_id`` and ``column`` (typically the output of ``gistar``).
    column : str
        What to rank by: ``"harm"`` or ``"crimes"``.
    capacity : int
        Places the resources cover (see :func:`capacity`).
    hot : str or boolean array, optional
        Which units are candidates: a boolean column name or mask. Default ``gi_bin >= 2``
        when ``gi_bin`` exists, else ``column > 0``.
    max_radius_m, min_spacing_m : float
        Largest radius of a place and smallest distance between chosen centres (metres).

    Returns
    -------
    Selection

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = [box(x, 0, x + 100, 100) for x in range(0, 2000, 100)]
    >>> harm = [0.0] * 20
    >>> harm[1], harm[2], harm[5], harm[12] = 400.0, 50.0, 300.0, 100.0
    >>> units = gpd.GeoDataFrame({"unit_id": range(20), "harm": harm}, geometry=cells, crs=27700)
    >>> sel = select(units, "harm", capacity=1)
    >>> sel.places[["place_id", "status", "value"]].values.tolist()
    [[1, 'chosen', 450.0], [2, 'cut', 300.0], [3, 'next best', 100.0]]
    """
    if column not in units.columns:
        raise SchemaError(f"units has no column {column!r}; it has {list(units.columns)}")
    if "unit_id" not in units.columns:
        raise SchemaError("units needs a unit_id column")
    if int(capacity) < 0:
        raise HspworkError(f"capacity must be >= 0, got {capacity!r}")
    crs = require_crs(units, "units")
    to_m = unit_to_metres(crs)
    max_r = metres_to_crs_units(float(max_radius_m), crs)
    min_d = metres_to_crs_units(float(min_spacing_m), crs)
    value = np.asarray(units[column], dtype="float64")
    if hot is None:
        mask = (np.asarray(units["gi_bin"]) >= 2) if "gi_bin" in units.columns else value > 0
    elif isinstance(hot, str):
        if hot not in units.columns:
            raise SchemaError(f"hot={hot!r} is not a column of units")
        mask = np.asarray(units[hot], dtype=bool)
    else:
        mask = np.asarray(hot, dtype=bool)
        if mask.shape != value.shape:
            raise HspworkError(f"hot mask has {mask.size} values for {value.size} units")
    cand = np.flatnonzero(mask)
    if cand.size == 0:
        raise HspworkError("no unit is flagged hot; nothing to select (check hot= or gi_bin)")
    sub = units.iloc[cand]
    w = neighbours(sub, "queen") if cand.size > 1 else sparse.csr_matrix((1, 1))
    _, label = connected_components(w, directed=False)
    comp_size = np.bincount(label)
    geoms = geometry_array(sub)
    vals = value[cand]
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    pt_ptr = np.searchsorted(owner, np.arange(cand.size + 1)).astype(np.int64)
    px, py = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    b = shapely.bounds(geoms)
    # hottest first; equal values in row order (a stable sort)
    order = np.argsort(-vals, kind="mergesort").astype(np.int64)
    w = w.tocsr()
    place_of, kind = _decompose(
        w.indptr.astype(np.int64), w.indices.astype(np.int64), order, vals, pt_ptr, px, py,
        b[:, 0].copy(), b[:, 1].copy(), b[:, 2].copy(), b[:, 3].copy(), float(max_r), _TOL,
    )  # fmt: skip
    n_places = kind.size
    by_place = np.argsort(place_of, kind="stable")
    starts = np.searchsorted(place_of[by_place], np.arange(n_places + 1))
    members = [by_place[starts[k] : starts[k + 1]] for k in range(n_places)]
    cx, cy, radius = _circles(by_place, starts, pt_ptr, px, py)
    comp = label[by_place[starts[:-1]]]
    first_of_area = np.zeros(n_places, dtype=bool)
    first_of_area[np.unique(comp, return_index=True)[1]] = True
    place_value = np.add.reduceat(vals[by_place], starts[:-1]) if n_places else np.zeros(0)
    notes = []
    for k in range(n_places):  # one short string per place
        size = int(comp_size[comp[k]])
        part = "" if first_of_area[k] else f"part of a hot area of {size} units; "
        if kind[k] == _CORE:
            notes.append(
                f"hottest {members[k].size} of a hot area of {size} units "
                f"(fits {max_radius_m:g} m); "
            )
        elif kind[k] == _CUT:
            notes.append(part + f"even its hottest unit is wider than {max_radius_m:g} m radius")
        else:
            notes.append(part)
    places = pd.DataFrame(
        {
            "status": np.where(kind == _CUT, "cut", ""),
            "reason": notes,
            "value": place_value,
            "n_units": np.diff(starts),
            "unit_ids": [sub["unit_id"].to_numpy()[m].tolist() for m in members],
            "radius_m": radius * to_m,
            "centre_x": cx,
            "centre_y": cy,
        }
    )
    if "crimes" in sub.columns:
        crimes = np.asarray(sub["crimes"])[by_place]
        places["crimes"] = np.add.reduceat(crimes, starts[:-1]).astype(np.int64) if n_places else []
    places["geometry"] = _unions(geoms, members)
    places = places.sort_values("value", ascending=False, kind="mergesort").reset_index(drop=True)
    places.insert(0, "place_id", np.arange(1, len(places) + 1))
    places.insert(1, "rank", np.arange(1, len(places) + 1))
    _space(places, int(capacity), min_d, to_m, float(min_spacing_m))
    out = gpd.GeoDataFrame(places, geometry="geometry", crs=units.crs)
    settings = {
        "column": column,
        "max_radius_m": float(max_radius_m),
        "min_spacing_m": float(min_spacing_m),
        "capacity": int(capacity),
        "candidates": int(cand.size),
        "hot_rule": hot
        if isinstance(hot, str)
        else (
            "gi_bin >= 2"
            if hot is None and "gi_bin" in units.columns
            else f"{column} > 0"
            if hot is None
            else "mask"
        ),
    }
    out.attrs["select"] = settings
    return Selection(places=out, capacity=int(capacity), settings=settings)


# A place fits when its radius is at most max_radius_m plus this (CRS units): squares whose
# corners lie exactly on the circle must not fail on rounding.
_TOL = 1e-9
_WHOLE, _CORE, _CUT = 0, 1, 2


@numba.njit(cache=True)
def _decompose(indptr, indices, order, vals, pt_ptr, px, py, x0, y0, x1, y1, max_r, tol):
    """Split hot areas into places that fit ``max_r``; returns each unit's place and each kind.

    Hot areas are handled from the hottest unit down. A unit not yet in a place lies in a hot
    area (the candidates still free and connected to it); when that area fits, it is one place
    (kind 0). Otherwise its hottest unit (this one, by the order) seeds a core that grows by the
    hottest neighbouring free unit that keeps it within ``max_r``, until none does (kind 1);
    the rest of the area stays free and is met again from its own hottest unit. A seed wider
    than ``max_r`` on its own is a place of its own, cut (kind 2). Taking areas hottest-first
    gives the same places as splitting each area and recursing on the pieces, because pieces
    never interact and a piece's hottest unit is the hottest free unit in it.
    """
    n = order.size
    removed = np.zeros(n, dtype=np.bool_)
    in_core = np.zeros(n, dtype=np.bool_)
    mark = np.zeros(n, dtype=np.int64)
    place = np.full(n, -1, dtype=np.int64)
    kind = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    piece = np.empty(n, dtype=np.int64)
    core = np.empty(n, dtype=np.int64)
    frontier = np.empty(n, dtype=np.int64)
    stamp = 0
    n_places = 0
    wide_limit = 2.0 * (max_r + tol)
    for s in order:
        if removed[s]:
            continue
        # Is the free area around s small enough to be one place? Walk it, but stop as soon as
        # its bounding box is wider than the circle's diameter (then the circle cannot fit it).
        stamp += 1
        mark[s] = stamp
        stack[0] = s
        top = 1
        m = 0
        lo_x, lo_y, hi_x, hi_y = x0[s], y0[s], x1[s], y1[s]
        wide = False
        while top > 0:
            top -= 1
            u = stack[top]
            piece[m] = u
            m += 1
            lo_x = min(lo_x, x0[u])
            lo_y = min(lo_y, y0[u])
            hi_x = max(hi_x, x1[u])
            hi_y = max(hi_y, y1[u])
            if hi_x - lo_x > wide_limit or hi_y - lo_y > wide_limit:
                wide = True
                break
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if not removed[v] and mark[v] != stamp:
                    mark[v] = stamp
                    stack[top] = v
                    top += 1
        if not wide:
            r = circle_of(piece[:m], pt_ptr, px, py)[2]
            if r <= max_r + tol:
                for t in range(m):
                    place[piece[t]] = n_places
                    removed[piece[t]] = True
                kind[n_places] = _WHOLE
                n_places += 1
                continue
        core[0] = s
        if circle_of(core[:1], pt_ptr, px, py)[2] > max_r + tol:
            place[s] = n_places
            removed[s] = True
            kind[n_places] = _CUT
            n_places += 1
            continue
        k = 1
        in_core[s] = True
        while True:
            stamp += 1
            nf = 0
            for t in range(k):
                u = core[t]
                for e in range(indptr[u], indptr[u + 1]):
                    v = indices[e]
                    if not removed[v] and not in_core[v] and mark[v] != stamp:
                        mark[v] = stamp
                        frontier[nf] = v
                        nf += 1
            if nf == 0:
                break
            # hottest first, equal values in row order (insertion sort: a handful of units)
            for a in range(1, nf):
                v = frontier[a]
                b = a - 1
                while b >= 0 and (
                    vals[frontier[b]] < vals[v]
                    or (vals[frontier[b]] == vals[v] and frontier[b] > v)
                ):
                    frontier[b + 1] = frontier[b]
                    b -= 1
                frontier[b + 1] = v
            added = False
            for a in range(nf):
                core[k] = frontier[a]
                if circle_of(core[: k + 1], pt_ptr, px, py)[2] <= max_r + tol:
                    in_core[frontier[a]] = True
                    k += 1
                    added = True
                    break
            if not added:
                break
        for t in range(k):
            place[core[t]] = n_places
            removed[core[t]] = True
            in_core[core[t]] = False
        kind[n_places] = _CORE
        n_places += 1
    return place, kind[:n_places].copy()


@numba.njit(cache=True)
def _circles(by_place, starts, pt_ptr, px, py):
    n = starts.size - 1
    cx = np.empty(n)
    cy = np.empty(n)
    r = np.empty(n)
    for k in range(n):
        cx[k], cy[k], r[k] = circle_of(by_place[starts[k] : starts[k + 1]], pt_ptr, px, py)
    return cx, cy, r


def _unions(geoms: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    """Each place's geometry: its unit alone, or the union of its units (vectorised by size)."""
    out = np.empty(len(members), dtype=object)
    sizes = np.array([m.size for m in members], dtype=np.int64)
    single = np.flatnonzero(sizes == 1)
    out[single] = geoms[[members[k][0] for k in single]]
    for size in np.unique(sizes[sizes > 1]):  # a few distinct sizes (places are small)
        ks = np.flatnonzero(sizes == size)
        block = np.stack([geoms[members[k]] for k in ks])
        out[ks] = shapely.union_all(block, axis=1)
    return out


def _space(places: pd.DataFrame, capacity: int, min_d: float, to_m: float, min_spacing_m: float):
    """Keep places in rank order unless a kept centre is closer than ``min_d``; fill capacity."""
    n = len(places)
    xy = places[["centre_x", "centre_y"]].to_numpy(dtype=float)
    if n > 1 and min_d > 0:
        pairs = cKDTree(xy).query_pairs(min_d, output_type="ndarray")
    else:
        pairs = np.empty((0, 2), dtype=np.int64)
    d = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T) if len(pairs) else np.empty(0)
    close = d < min_d
    # each place looks back at the hotter places near it (rows are in rank order)
    later, earlier, dist = pairs[close].max(axis=1), pairs[close].min(axis=1), d[close]
    order = np.lexsort((earlier, later))
    ptr = np.searchsorted(later[order], np.arange(n + 1))
    cut_in = (places["status"] == "cut").to_numpy()
    state, nearest, gap = _greedy_spacing(cut_in, ptr, earlier[order], dist[order], capacity)
    status = places["status"].to_numpy(dtype=object).copy()
    reason = places["reason"].to_numpy(dtype=object).copy()
    ids = places["place_id"].to_numpy()
    n_kept = 0
    for i in range(n):  # one string per place
        if state[i] == 0:
            continue
        if state[i] == 1:
            status[i] = "cut"
            reason[i] += (
                f"centre {gap[i] * to_m:.0f} m from place {ids[nearest[i]]} (hotter); "
                f"minimum spacing {min_spacing_m:g} m"
            )
            continue
        n_kept += 1
        if state[i] == 2:
            status[i] = "chosen"
            reason[i] += f"rank {n_kept} of the places that fit, within capacity {capacity}"
        else:
            status[i] = "next best"
            reason[i] += f"fits but beyond capacity {capacity}; reserve {n_kept - capacity}"
    places["status"] = status
    places["reason"] = reason


@numba.njit(cache=True)
def _greedy_spacing(cut_in, ptr, earlier, dist, capacity):
    """State per place: 0 already cut, 1 cut for spacing, 2 chosen, 3 next best."""
    n = cut_in.size
    state = np.zeros(n, dtype=np.int64)
    nearest = np.full(n, -1, dtype=np.int64)
    gap = np.full(n, np.nan)
    kept = np.zeros(n, dtype=np.bool_)
    n_chosen = 0
    for i in range(n):
        if cut_in[i]:
            continue
        best = -1
        best_d = np.inf
        for e in range(ptr[i], ptr[i + 1]):
            j = earlier[e]
            if kept[j] and dist[e] < best_d:  # nearest kept place; ties: the hotter one
                best, best_d = j, dist[e]
        if best >= 0:
            state[i] = 1
            nearest[i] = best
            gap[i] = best_d
            continue
        kept[i] = True
        if n_chosen < capacity:
            n_chosen += 1
            state[i] = 2
        else:
            state[i] = 3
    return state, nearest, gap
