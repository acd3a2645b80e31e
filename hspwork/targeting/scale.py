"""Choosing the scale: a default cell size and neighbourhood from the data, and a comparison of
candidate sizes by predictive accuracy.

* Default size, in the spirit of R's sfhotspot: about 50 cells along the shorter side of the
  crimes' bounding box, rounded to a round number of metres (10 m steps below 100 m, 100 m steps
  above); Gi* neighbours within ``cell size x sqrt(2)`` (the 8 surrounding squares); a warning
  above 100,000 cells.
* Predictive accuracy (Chainey et al.'s PAI): ``PAI = (n / N) / (a / A)``, the share of crimes
  caught over the share of area flagged; the hit rate ``n / N``. Hot spots are drawn from one
  period and scored on the next, so a scale that merely describes the past does not win.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from hspwork.crs import require_crs, to_metric, unit_to_metres
from hspwork.errors import HspworkError, HspworkWarning, SchemaError

MAX_CELLS = 100_000


@dataclass(frozen=True)
class Scale:
    """A chosen scale, with the words to state it in a briefing."""

    cell_size_m: float
    neighbour_distance_m: float
    n_cells: int
    rule: str

    def summary(self) -> str:
        return (
            f"{self.cell_size_m:g} m cells ({self.n_cells:,} over the area); Gi* neighbours within "
            f"{self.neighbour_distance_m:.0f} m. Rule: {self.rule}"
        )


def _round_size(size_m: float) -> float:
    if size_m >= 100:
        return float(max(100.0, np.round(size_m / 100.0) * 100.0))
    return float(max(10.0, np.round(size_m / 10.0) * 10.0))


def default_scale(crimes: gpd.GeoDataFrame | gpd.GeoSeries, cells_on_short_side: int = 50) -> Scale:
    """Default cell size and Gi* neighbourhood for the crimes' extent.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoSeries([Point(0, 0), Point(8000, 5000)], crs=27700)
    >>> s = default_scale(pts)
    >>> s.cell_size_m, round(float(s.neighbour_distance_m), 1), s.n_cells
    (100.0, 141.4, 4000)
    """
    crimes = to_metric(crimes, "crimes")
    crs = require_crs(crimes, "crimes")
    b = np.asarray(crimes.total_bounds, dtype=float) * unit_to_metres(crs)
    if not np.all(np.isfinite(b)):
        raise HspworkError("crimes have no usable locations to size a grid from")
    w, h = b[2] - b[0], b[3] - b[1]
    short = min(w, h) if min(w, h) > 0 else max(w, h)
    if short <= 0:
        raise HspworkError("all crimes are at one point: there is no extent to size a grid from")
    size = _round_size(short / cells_on_short_side)
    n_cells = int(np.ceil(w / size) * np.ceil(h / size))
    if n_cells > MAX_CELLS:
        warnings.warn(
            f"a {size:g} m grid over this extent has {n_cells:,} cells (over {MAX_CELLS:,}); "
            "consider a larger cell size or a smaller area",
            HspworkWarning,
            stacklevel=2,
        )
    return Scale(
        cell_size_m=size,
        neighbour_distance_m=float(size * np.sqrt(2.0)),
        n_cells=n_cells,
        rule=(
            f"about {cells_on_short_side} cells along the shorter side of the crimes' extent "
            f"({short:,.0f} m), rounded; neighbours within cell size x sqrt(2) (as sfhotspot)"
        ),
    )


def pai(crimes_in: float, crimes_total: float, area_in: float, area_total: float) -> float:
    """Predictive accuracy index: share of crimes caught over share of area flagged.

    Examples
    --------
    >>> pai(30, 100, 2.0, 100.0)   # 30% of crime in 2% of the area
    15.0
    """
    if crimes_total <= 0 or area_total <= 0 or area_in <= 0:
        raise HspworkError(
            "pai needs positive totals and a positive flagged area; got crimes_total="
            f"{crimes_total!r}, area_in={area_in!r}, area_total={area_total!r}"
        )
    return float((crimes_in / crimes_total) / (area_in / area_total))


def compare_scales(
    train: gpd.GeoDataFrame,
    test: gpd.GeoDataFrame,
    area,
    cell_sizes_m,
    *,
    area_share: float = 0.05,
    shape: str = "square",
    value: str = "crimes",
) -> pd.DataFrame:
    """Score candidate cell sizes: flag the hottest cells of ``train``, count ``test`` in them.

    Parameters
    ----------
    train, test : GeoDataFrame
        Crimes of one period (to find hot spots) and of the next (to score them).
    area : GeoDataFrame or GeoSeries
        Study boundary for the grids.
    cell_sizes_m : iterable of float
        Candidate sizes in metres.
    area_share : float
        Share of the area flagged hot at every size (the hottest cells by ``train``), so that
        sizes are compared on equal area.
    shape : {"square", "hex"}
    value : {"crimes", "harm"}
        Rank and score by counts or harm.

    Returns
    -------
    DataFrame
        One row per size: ``cell_size_m``, ``n_cells``, ``hot_cells``, ``area_share`` (achieved),
        ``train_share`` (share of train caught), ``hit_rate`` (share of test caught), ``pai``.
        ``attrs["best_cell_size_m"]`` is the size with the highest PAI on ``test``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> area = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=27700)
    >>> hot = [Point(420 + i, 430 + i) for i in range(20)]
    >>> far = [Point(50 + 40 * i, 900) for i in range(20)]
    >>> train = gpd.GeoDataFrame(geometry=hot + far, crs=27700)
    >>> test = gpd.GeoDataFrame(geometry=hot[:10] + far[:10], crs=27700)
    >>> t = compare_scales(train, test, area, [100, 250], area_share=0.02)
    >>> t[["cell_size_m", "hot_cells", "hit_rate", "pai"]].values.tolist()
    [[100.0, 2.0, 0.65, 32.5], [250.0, 1.0, 0.5, 8.0]]

    At 100 m the two flagged cells (2% of the area) are the cluster's cell and the far cell
    holding x = 210, 250, 290: they catch 10 + 3 of the 20 test crimes, so PAI = 0.65 / 0.02.
    """
    from hspwork.units import count, grid

    if not 0 < area_share < 1:
        raise HspworkError(f"area_share must be between 0 and 1, got {area_share!r}")
    if value not in ("crimes", "harm"):
        raise HspworkError(f"value={value!r} is not allowed; use 'crimes' or 'harm'")
    for name, frame in (("train", train), ("test", test)):
        if value == "harm" and "harm" not in frame.columns:
            raise SchemaError(f"{name} has no 'harm' column; give harm weights when reading crimes")
    rows = []
    for size in cell_sizes_m:
        g = grid(area, float(size), shape=shape)
        with warnings.catch_warnings():
            # crimes outside the boundary are outside at every scale: the count is not news here
            warnings.simplefilter("ignore")
            tr = count(g, train)[value].to_numpy(dtype=float)
            te = count(g, test)[value].to_numpy(dtype=float)
        cell_area = g.area.to_numpy()
        total_area = cell_area.sum()
        order = np.argsort(-tr, kind="mergesort")
        n_hot = max(1, int(np.floor(area_share * len(g) + 1e-9)))
        hot = order[:n_hot]
        hot = hot[tr[hot] > 0]
        a_in = cell_area[hot].sum()
        hit = te[hot].sum() / te.sum() if te.sum() > 0 else np.nan
        rows.append(
            {
                "cell_size_m": float(size),
                "n_cells": len(g),
                "hot_cells": int(hot.size),
                "area_share": a_in / total_area,
                "train_share": tr[hot].sum() / tr.sum() if tr.sum() > 0 else np.nan,
                "hit_rate": hit,
                "pai": hit / (a_in / total_area) if a_in > 0 and np.isfinite(hit) else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["best_cell_size_m"] = (
        float(out.loc[out["pai"].idxmax(), "cell_size_m"]) if out["pai"].notna().any() else None
    )
    out.attrs["area_share"] = float(area_share)
    out.attrs["value"] = value
    return out
