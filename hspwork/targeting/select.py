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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from hspwork.crs import metres_to_crs_units, require_crs, unit_to_metres
from hspwork.errors import HspworkError, SchemaError
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

    def plot(self, ax=None, units: gpd.GeoDataFrame | None = None):
        """Map of chosen, next-best and cut places (static); returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 7))
        else:
            fig = ax.figure
        if units is not None:
            units.plot(ax=ax, color="#eeeeee", edgecolor="#dddddd", lw=0.2)
        colours = {"chosen": "#d7191c", "next best": "#fdae61", "cut": "#999999"}
        for status, colour in colours.items():
            part = self.places[self.places["status"] == status]
            if len(part):
                part.plot(ax=ax, color=colour, edgecolor="black", lw=0.3, label=status)
        chosen = self.chosen
        for _, r in chosen.iterrows():  # labels for the few chosen places only
            ax.annotate(str(r["place_id"]), (r["centre_x"], r["centre_y"]), fontsize=7, ha="center")
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
        ax.legend(handles, list(colours), loc="upper right")
        ax.set_title(
            f"Places: {len(chosen)} chosen of {len(self.places)} (capacity {self.capacity})"
        )
        ax.set_axis_off()
        return fig


def _circle(geom) -> tuple[float, float, float]:
    c = shapely.centroid(shapely.minimum_bounding_circle(geom))
    return float(c.x), float(c.y), float(shapely.minimum_bounding_radius(geom))


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
