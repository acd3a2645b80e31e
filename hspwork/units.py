"""Units of analysis: square and hex grids, street segments, the user's polygons, and counting
crimes and harm into them, overall or by period.

Every size is given in metres and converted to the CRS unit (so US-feet data works). Crimes that
cannot be placed in a unit (outside every polygon, or farther than ``max_distance_m`` from every
street segment) are counted by reason in a :class:`~hspwork.report.LoadReport`.
"""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from hspwork.crs import metres_to_crs_units, require_crs, to_metric, unit_to_metres
from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.report import LoadReport, RowLedger, attach_report, report_of  # noqa: F401 (examples)

PERIODS = ("week", "28D", "month", "quarter")
SHAPES = ("square", "hex")


def _area_geometry(area) -> tuple[BaseGeometry, object, bool]:
    """The study area as one geometry, its CRS, and whether it is a polygonal boundary."""
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        area = to_metric(area, "area")
        crs = require_crs(area, "area")
        geoms = np.asarray(
            area.geometry.values if isinstance(area, gpd.GeoDataFrame) else area.values
        )
        if len(geoms) == 0:
            raise HspworkError("area is empty: give a boundary polygon or a frame of crimes")
        polygonal = bool(np.isin(shapely.get_type_id(geoms), (3, 6)).all())
        return shapely.union_all(geoms), crs, polygonal
    raise HspworkError(
        f"area must be a GeoDataFrame or GeoSeries (a boundary or crimes), got {type(area).__name__}"
    )


def grid(area, cell_size_m: float, shape: str = "square") -> gpd.GeoDataFrame:
    """Square or hexagonal cells covering the study area.

    Parameters
    ----------
    area : GeoDataFrame or GeoSeries
        A boundary (polygons): cells touching it are kept, with or without crime. Any other
        geometry (e.g. the crimes themselves): cells cover its bounding box.
    cell_size_m : float
        Side of a square, or distance between the centres of neighbouring hexagons (the width
        across flats), in metres whatever the CRS unit.
    shape : {"square", "hex"}
        Cell shape. Squares are aligned to multiples of the cell size so grids of one size
        always line up.

    Returns
    -------
    GeoDataFrame
        ``unit_id`` (0..n-1), ``geometry``; ``attrs["cell_size_m"]`` and ``attrs["shape"]``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> boundary = gpd.GeoSeries([box(0, 0, 250, 120)], crs=27700)
    >>> g = grid(boundary, 100)
    >>> len(g), g.total_bounds.tolist()
    (6, [0.0, 0.0, 300.0, 200.0])
    >>> h = grid(boundary, 100, shape="hex")
    >>> round(float(h.area.iloc[0]), 1)  # sqrt(3)/2 * 100**2
    8660.3
    """
    if shape not in SHAPES:
        raise HspworkError(f"shape={shape!r} is not allowed; use one of {SHAPES}")
    size_m = float(cell_size_m)
    if not np.isfinite(size_m) or size_m <= 0:
        raise HspworkError(f"cell_size_m must be a positive number of metres, got {cell_size_m!r}")
    geom, crs, polygonal = _area_geometry(area)
    s = metres_to_crs_units(size_m, crs)
    minx, miny, maxx, maxy = geom.bounds
    if shape == "square":
        x0, y0 = np.floor(minx / s) * s, np.floor(miny / s) * s
        nx = max(1, int(np.ceil((maxx - x0) / s - 1e-9)))
        ny = max(1, int(np.ceil((maxy - y0) / s - 1e-9)))
        _check_count(nx * ny, size_m)
        xs = x0 + np.arange(nx) * s
        ys = y0 + np.arange(ny) * s
        gx, gy = np.meshgrid(xs, ys)
        gx, gy = gx.ravel(), gy.ravel()
        cells = shapely.box(gx, gy, gx + s, gy + s)
    else:
        # flat-top hexagons: centres s apart across flats; circumradius r = s / sqrt(3)
        r = s / np.sqrt(3.0)
        dx, dy = 1.5 * r, s
        nx = int(np.ceil((maxx - minx) / dx)) + 2
        ny = int(np.ceil((maxy - miny) / dy)) + 2
        _check_count(nx * ny, size_m)
        cols, rows = np.meshgrid(np.arange(nx), np.arange(ny))
        cols, rows = cols.ravel(), rows.ravel()
        cx = minx + cols * dx
        cy = miny + rows * dy + np.where(cols % 2 == 1, dy / 2.0, 0.0)
        ang = np.deg2rad(np.arange(6) * 60.0)
        ring_x = cx[:, None] + r * np.cos(ang)[None, :]
        ring_y = cy[:, None] + r * np.sin(ang)[None, :]
        # round so that neighbouring hexagons share vertices exactly (contiguity needs it)
        coords = np.round(np.stack([ring_x, ring_y], axis=-1), 6)
        cells = shapely.polygons(coords)
    if polygonal:
        keep = shapely.intersects(cells, geom) & ~shapely.touches(cells, geom)
    else:
        bbox = (
            shapely.box(minx, miny, maxx, maxy)
            if maxx > minx and maxy > miny
            else geom.buffer(s / 2)
        )
        keep = shapely.intersects(cells, bbox)
    cells = cells[keep]
    out = gpd.GeoDataFrame({"unit_id": np.arange(cells.size)}, geometry=cells, crs=crs)
    out.attrs["cell_size_m"] = size_m
    out.attrs["shape"] = shape
    return out


def _check_count(n: int, size_m: float) -> None:
    if n > 20_000_000:
        raise HspworkError(
            f"a {size_m:g} m grid over this area would have about {n:,} cells; use a larger cell_size_m"
        )


def polygons(frame: gpd.GeoDataFrame, id_column: str | None = None) -> gpd.GeoDataFrame:
    """The user's own polygons (beats, estates, micro places) as units.

    Parameters
    ----------
    frame : GeoDataFrame
        Polygons; lon/lat is converted to the metric CRS policy.
    id_column : str, optional
        A column holding the user's identifiers, copied to ``unit_id`` (must be unique).
        Without it ``unit_id`` is 0..n-1.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"beat": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700)
    >>> polygons(f, "beat")["unit_id"].tolist()
    ['A', 'B']
    """
    frame = to_metric(frame, "polygons")
    types = shapely.get_type_id(np.asarray(frame.geometry.values))
    if not np.isin(types, (3, 6)).all():
        raise SchemaError("polygons must all be Polygon or MultiPolygon geometries")
    out = frame.copy()
    if id_column is not None:
        if id_column not in out.columns:
            raise SchemaError(f"no column {id_column!r}; columns are {list(out.columns)}")
        if out[id_column].duplicated().any():
            dup = out.loc[out[id_column].duplicated(), id_column].tolist()[:5]
            raise SchemaError(f"{id_column!r} must be unique; repeated: {dup}")
        ids = out[id_column].to_numpy()
    else:
        ids = np.arange(len(out))
    out = out.drop(columns=["unit_id"], errors="ignore")
    out.insert(0, "unit_id", ids)
    return out.reset_index(drop=True)


def street_segments(
    streets: gpd.GeoDataFrame | gpd.GeoSeries, *, max_length_m: float | None = 250.0
) -> gpd.GeoDataFrame:
    """Street segments: the network split at every intersection, long pieces split evenly.

    Parameters
    ----------
    streets : GeoDataFrame or GeoSeries
        LineString / MultiLineString street centrelines.
    max_length_m : float or None
        Segments longer than this (metres) are cut into equal parts no longer than it.

    Returns
    -------
    GeoDataFrame
        ``unit_id``, ``length_m``, ``geometry`` (LineString).

    Notes
    -----
    Noding splits lines wherever they cross, which also splits a street passing over a bridge;
    remove such crossings from the network first if that matters.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> s = gpd.GeoSeries([LineString([(0, 0), (600, 0)]), LineString([(100, -50), (100, 50)])], crs=27700)
    >>> seg = street_segments(s, max_length_m=250)
    >>> sorted(seg["length_m"].round(1).tolist())
    [50.0, 50.0, 100.0, 250.0, 250.0]
    """
    crs = require_crs(streets, "streets")
    if not crs.is_projected:
        streets = to_metric(streets, "streets")
        crs = require_crs(streets, "streets")
    geoms = np.asarray(
        streets.geometry.values if isinstance(streets, gpd.GeoDataFrame) else streets.values
    )
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (1, 5)).all():
        raise SchemaError("streets must be LineString or MultiLineString geometries")
    # node at every crossing, then re-join pieces that meet end to end where no third street
    # joins (source data often breaks a street between junctions)
    noded = shapely.line_merge(shapely.node(shapely.union_all(geoms)))
    parts = shapely.get_parts(noded)
    parts = parts[shapely.length(parts) > 0]
    if max_length_m is not None:
        max_len = metres_to_crs_units(float(max_length_m), crs)
        lengths = shapely.length(parts)
        n_pieces = np.maximum(1, np.ceil(lengths / max_len - 1e-9).astype(int))
        long = np.flatnonzero(n_pieces > 1)
        pieces = [parts[n_pieces == 1]]
        for i in long:  # only over-long segments; a network has few
            k = n_pieces[i]
            cuts = np.linspace(0.0, 1.0, k + 1)
            pieces.append(
                np.array(
                    [
                        substring(parts[i], a, b, normalized=True)
                        for a, b in itertools.pairwise(cuts)
                    ],
                    dtype=object,
                )
            )
        parts = np.concatenate(pieces)
    length_m = shapely.length(parts) * unit_to_metres(crs)
    return gpd.GeoDataFrame(
        {"unit_id": np.arange(parts.size), "length_m": length_m}, geometry=parts, crs=crs
    )


def assign(
    crimes: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 30.0,
) -> gpd.GeoDataFrame:
    """Place each crime in a unit: the polygon containing it, or the nearest line within reach.

    Parameters
    ----------
    crimes : GeoDataFrame
        Point crimes (see docs/contracts.md); converted to the units' CRS if needed.
    units : GeoDataFrame
        Polygons (grid, hex, user) or lines (street segments) with ``unit_id``.
    max_distance_m : float
        For line units: crimes farther than this from every segment are dropped (metres).
        Point crimes on a boundary between polygons go to the first unit in row order.

    Returns
    -------
    GeoDataFrame
        The crimes that were placed, with ``unit_id`` (and ``snap_distance_m`` for lines);
        ``attrs["load_report"]`` counts the crimes dropped, by reason (in JSON form; read it
        with :func:`hspwork.report.report_of`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> seg = gpd.GeoDataFrame({"unit_id": [0]}, geometry=[LineString([(0, 0), (100, 0)])], crs=27700)
    >>> c = gpd.GeoDataFrame(geometry=[Point(50, 10), Point(50, 80)], crs=27700)
    >>> placed = assign(c, seg, max_distance_m=30)
    >>> placed["unit_id"].tolist(), report_of(placed).dropped
    ([0], {'farther than 30 m from every segment': 1})
    """
    out, report = _assign(crimes, units, max_distance_m=max_distance_m)
    report.warn(stacklevel=3)
    attach_report(out, report)
    return out


def _assign(crimes, units, *, max_distance_m) -> tuple[gpd.GeoDataFrame, LoadReport]:
    """:func:`assign` without the warning (callers warn once, at their own level)."""
    from hspwork.crs import align_crs

    if "unit_id" not in units.columns:
        raise SchemaError("units needs a unit_id column (make units with hspwork.units)")
    crimes = align_crs(units, crimes, names=("units", "crimes"))
    crs = require_crs(units, "units")
    pts = np.asarray(crimes.geometry.values)
    ugeoms = np.asarray(units.geometry.values)
    ledger = RowLedger(len(crimes), "crimes placed in units")
    missing = shapely.is_missing(pts) | shapely.is_empty(pts)
    ledger.drop(missing, "no location")
    idx = np.full(len(crimes), -1, dtype=np.int64)
    dist = np.full(len(crimes), np.nan)
    ok = np.flatnonzero(~missing)
    line_units = np.isin(shapely.get_type_id(ugeoms), (1, 5)).all()
    if line_units:
        tree = shapely.STRtree(ugeoms)
        reach = metres_to_crs_units(float(max_distance_m), crs)
        src, dst = tree.query_nearest(
            pts[ok], max_distance=reach, return_distance=False, all_matches=False
        )
        idx[ok[src]] = dst
        dist[ok[src]] = shapely.distance(pts[ok[src]], ugeoms[dst]) * unit_to_metres(crs)
        ledger.drop(idx < 0, f"farther than {float(max_distance_m):g} m from every segment")
    else:
        idx[ok] = _place_in_polygons(pts[ok], units, ugeoms)
        ledger.drop(idx < 0, "outside every unit")
    keep = ledger.keep
    out = crimes.loc[keep].copy()
    out["unit_id"] = units["unit_id"].to_numpy()[idx[keep]]
    if line_units:
        out["snap_distance_m"] = dist[keep]
    return out, ledger.report()


def _place_in_polygons(pts: np.ndarray, units: gpd.GeoDataFrame, ugeoms: np.ndarray) -> np.ndarray:
    """Row position of the unit holding each point (-1: none); on a shared edge, the first.

    A regular square grid is indexed by arithmetic (a million crimes in well under a second);
    points within a hair of a cell edge are checked against the cells on both sides, so the
    answer is the geometric one. Other polygons use a spatial index.
    """
    from hspwork.targeting._weights import detect_lattice

    lat = detect_lattice(units) if pts.size > 1000 else None
    if lat is not None and (shapely.get_type_id(pts) == 0).all():
        return _place_on_lattice(pts, ugeoms, lat)
    return _place_by_tree(pts, ugeoms)


def _place_by_tree(pts: np.ndarray, ugeoms: np.ndarray) -> np.ndarray:
    out = np.full(pts.size, -1, dtype=np.int64)
    src, dst = shapely.STRtree(ugeoms).query(pts, predicate="intersects")
    # first unit in row order for points on shared boundaries
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    first = np.r_[True, src[1:] != src[:-1]]
    out[src[first]] = dst[first]
    return out


def _place_on_lattice(pts: np.ndarray, ugeoms: np.ndarray, lat) -> np.ndarray:
    b = shapely.bounds(ugeoms)
    x0, y0, size = b[:, 0].min(), b[:, 1].min(), lat.cell_size
    lookup = np.full((lat.nrows, lat.ncols), -1, dtype=np.int64)
    lookup[lat.row, lat.col] = np.arange(lat.row.size)
    fx = (shapely.get_x(pts) - x0) / size
    fy = (shapely.get_y(pts) - y0) / size
    eps = 1e-9
    c_lo, c_hi = np.floor(fx - eps).astype(np.int64), np.floor(fx + eps).astype(np.int64)
    r_lo, r_hi = np.floor(fy - eps).astype(np.int64), np.floor(fy + eps).astype(np.int64)

    def at(r, c):
        inside = (r >= 0) & (r < lat.nrows) & (c >= 0) & (c < lat.ncols)
        pos = np.full(r.size, -1, dtype=np.int64)
        pos[inside] = lookup[r[inside], c[inside]]
        return pos

    out = at(r_hi, c_hi)
    edge = np.flatnonzero((c_lo != c_hi) | (r_lo != r_hi))
    if edge.size:  # on (or within a hair of) an edge: the first cell that really holds it
        best = np.full(edge.size, np.iinfo(np.int64).max)
        for r in (r_lo[edge], r_hi[edge]):
            for c in (c_lo[edge], c_hi[edge]):
                pos = at(r, c)
                ok = pos >= 0
                ok[ok] = shapely.intersects(ugeoms[pos[ok]], pts[edge][ok])
                best = np.where(ok & (pos < best), pos, best)
        out[edge] = np.where(best == np.iinfo(np.int64).max, -1, best)
    return out


def harm_values(crimes: pd.DataFrame) -> np.ndarray:
    """The ``harm`` column as float64, refusing missing or negative weights.

    A crime without a weight would otherwise add nothing to a harm total without anyone
    knowing; the loaders give every crime a weight (``read_crimes(harm=..., harm_default=...)``).

    Examples
    --------
    >>> harm_values(pd.DataFrame({"harm": [2.0, 365.0]})).tolist()
    [2.0, 365.0]
    """
    h = np.asarray(crimes["harm"], dtype="float64")
    bad = ~np.isfinite(h) | (h < 0)
    if bad.any():
        raise SchemaError(
            f"crimes has {int(bad.sum()):,} of {h.size:,} rows with a missing, infinite or "
            "negative harm weight; every crime needs a weight in days >= 0 (give "
            "read_crimes(..., harm_default=<days>) or fill the column)"
        )
    return h


def count(
    units: gpd.GeoDataFrame,
    crimes: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 30.0,
) -> gpd.GeoDataFrame:
    """Count crimes (and sum harm, when ``crimes`` has a ``harm`` column) into units.

    Parameters
    ----------
    units : GeoDataFrame
        Units with ``unit_id``.
    crimes : GeoDataFrame
        Point crimes; a ``harm`` column (days) is summed when present.
    max_distance_m : float
        Snapping reach for street segments (see :func:`assign`).

    Returns
    -------
    GeoDataFrame
        A copy of ``units`` with ``crimes`` (int) and ``harm`` (float, when available); units
        without crime have 0. ``attrs["count_report"]`` is the report of placing, in JSON form
        (``hspwork.report.report_of(frame, "count_report")`` reads it back).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> u = gpd.GeoDataFrame({"unit_id": [0, 1]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> c = gpd.GeoDataFrame({"harm": [2.0, 365.0, 1.0]}, geometry=[Point(1, 1), Point(2, 2), Point(50, 50)], crs=27700)
    >>> out = count(u, c)
    >>> out["crimes"].tolist(), out["harm"].tolist(), report_of(out, "count_report").rows_dropped
    ([2, 0], [367.0, 0.0], 1)
    """
    placed, report = _assign(crimes, units, max_distance_m=max_distance_m)
    report.warn(stacklevel=3)
    pos = _positions(units, placed["unit_id"].to_numpy())
    out = units.copy()
    out["crimes"] = np.bincount(pos, minlength=len(units)).astype(np.int64)
    if "harm" in placed.columns:
        out["harm"] = np.bincount(pos, weights=harm_values(placed), minlength=len(units))
    out.attrs = dict(units.attrs)
    attach_report(out, report, "count_report")
    return out


def _positions(units: gpd.GeoDataFrame, unit_ids: np.ndarray) -> np.ndarray:
    """Row positions in ``units`` of the given unit ids."""
    ids = pd.Index(units["unit_id"].to_numpy())
    pos = ids.get_indexer(unit_ids)
    if (pos < 0).any():
        raise SchemaError("some unit ids are not in units")
    return pos


def period_starts(
    times: pd.Series, period: str, *, tz: str = "Europe/London", start=None, end=None
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Period boundaries covering ``times`` and each time's period number.

    Periods start on Mondays (week), on the first of the month (month), on the first of
    January/April/July/October (quarter), or every 28 days from ``start`` (28D; default: the
    first crime's local date). Boundaries are local midnights in ``tz``.

    Returns
    -------
    edges : DatetimeIndex
        ``n_periods + 1`` boundaries (tz-aware, UTC).
    which : ndarray of int
        Period number of each time (-1 if outside ``start``..``end``).

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2024-01-03", "2024-02-29", "2024-03-01"], utc=True))
    >>> edges, which = period_starts(t, "month")
    >>> [str(e.tz_convert("Europe/London").date()) for e in edges], which.tolist()
    (['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01'], [0, 1, 2])
    >>> str(edges[-1])  # local midnight on 1 April is 23:00 UTC the day before (BST)
    '2024-03-31 23:00:00+00:00'
    """
    if period not in PERIODS:
        raise HspworkError(f"period={period!r} is not allowed; use one of {PERIODS}")
    t = pd.DatetimeIndex(times)
    if t.tz is None:
        raise SchemaError("times must be tz-aware (UTC); localise them first")
    local = t.tz_convert(tz)
    for name, bound in (("start", start), ("end", end)):
        if bound is not None and pd.Timestamp(bound).tzinfo is None:
            raise SchemaError(
                f"{name}={bound!r} has no time zone; give it one, e.g. "
                f"pd.Timestamp('2025-01-01', tz='Europe/London')"
            )
    lo = pd.Timestamp(start).tz_convert(tz) if start is not None else local.min()
    hi = pd.Timestamp(end).tz_convert(tz) if end is not None else local.max()
    lo_day = lo.normalize()
    if period == "week":
        first = lo_day - pd.Timedelta(days=lo_day.weekday())
        edges = pd.date_range(first, hi + pd.Timedelta(days=7), freq="7D")
    elif period == "28D":
        first = lo_day
        edges = pd.date_range(first, hi + pd.Timedelta(days=28), freq="28D")
    elif period == "month":
        first = lo_day.replace(day=1)
        edges = pd.date_range(first, hi + pd.offsets.MonthBegin(1), freq="MS")
    else:
        q_month = 3 * ((lo_day.month - 1) // 3) + 1
        first = lo_day.replace(month=q_month, day=1)
        edges = pd.date_range(
            first, hi + pd.offsets.QuarterBegin(1, startingMonth=1), freq="QS-JAN"
        )
    edges = edges[: int(np.searchsorted(edges, hi, side="right")) + 1]
    # Compare in one unit: pandas builds Timestamps in microseconds, crime times are in ns.
    which = np.searchsorted(edges.as_unit("ns").asi8, local.as_unit("ns").asi8, side="right") - 1
    which[(which < 0) | (which >= len(edges) - 1)] = -1
    return edges.tz_convert("UTC"), which


def count_by_period(
    units: gpd.GeoDataFrame,
    crimes: gpd.GeoDataFrame,
    period: str = "month",
    *,
    value: str = "crimes",
    time_column: str = "occurred_from",
    tz: str = "Europe/London",
    start=None,
    end=None,
    max_distance_m: float = 30.0,
) -> gpd.GeoDataFrame:
    """Counts (or harm) per unit and period: the space-time cube for emerging hot spots.

    Parameters
    ----------
    units, crimes : GeoDataFrame
        As for :func:`count`.
    period : {"week", "28D", "month", "quarter"}
        Length of a time step.
    value : {"crimes", "harm"}
        Count crimes or sum their harm.
    time_column : str
        The crime time used to place it in a period (start of its window by default).
    tz : str
        Time zone whose midnights bound the periods (e.g. "Europe/London").
    start, end : tz-aware timestamps, optional
        Study period; crimes outside it are counted as dropped.

    Returns
    -------
    GeoDataFrame
        ``units`` with one column per period, named by the local date the period starts
        (``"2024-01-01"``), zero-filled; ``attrs["periods"]`` lists those column names,
        ``attrs["period_edges"]`` the UTC boundaries (ISO 8601 text), ``attrs["period"]`` and
        ``attrs["value"]`` the settings, ``attrs["empty_periods"]`` the periods with no record
        anywhere in the area (gaps in the data: a :class:`~hspwork.errors.HspworkWarning` names
        them), ``attrs["partial_periods"]`` the periods reaching outside ``start``..``end``
        (name -> share of the period inside), ``attrs["count_report"]`` the crimes dropped by
        reason (``hspwork.report.report_of(cube, "count_report")``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> u = gpd.GeoDataFrame({"unit_id": [0, 1]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> t = pd.to_datetime(["2024-01-05", "2024-02-20", "2024-03-02"], utc=True)
    >>> c = gpd.GeoDataFrame({"occurred_from": t}, geometry=[Point(1, 1), Point(15, 5), Point(2, 2)], crs=27700)
    >>> cube = count_by_period(u, c, "month")
    >>> cube[cube.attrs["periods"]].values.tolist()
    [[1, 0, 1], [0, 1, 0]]
    """
    if value not in ("crimes", "harm"):
        raise HspworkError(f"value={value!r} is not allowed; use 'crimes' or 'harm'")
    for col in (time_column,) + (("harm",) if value == "harm" else ()):
        if col not in crimes.columns:
            raise SchemaError(f"crimes has no column {col!r}; columns are {list(crimes.columns)}")
    placed, first = _assign(crimes, units, max_distance_m=max_distance_m)
    edges, which = period_starts(placed[time_column], period, tz=tz, start=start, end=end)
    ledger = RowLedger(len(placed), "crimes placed in periods")
    ledger.drop(which < 0, "outside the study period")
    keep = ledger.keep
    pos = _positions(units, placed["unit_id"].to_numpy()[keep])
    n_p = len(edges) - 1
    flat = pos * n_p + which[keep]
    if value == "crimes":
        cube = (
            np.bincount(flat, minlength=len(units) * n_p).reshape(len(units), n_p).astype(np.int64)
        )
    else:
        w = harm_values(placed)[keep]
        cube = np.bincount(flat, weights=w, minlength=len(units) * n_p).reshape(len(units), n_p)
    names = [str(e.date()) for e in edges[:-1].tz_convert(tz)]
    # A period without a single record anywhere in the area is a gap in the data (a month not
    # downloaded, an export that stopped), not a period without crime.
    records = np.bincount(which[keep], minlength=n_p)
    empty = [names[k] for k in np.flatnonzero(records == 0)]
    # A period reaching outside the study window holds only part of a period's crime: its
    # low counts are the window's doing, not the place's.
    partial = {}
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) if end is not None else None
    for k in range(n_p):
        a, b = edges[k], edges[k + 1]
        inside_a = max(a, lo) if lo is not None else a
        inside_b = min(b, hi) if hi is not None else b
        share = max((inside_b - inside_a) / (b - a), 0.0)
        if share < 1.0 - 1e-9:
            partial[names[k]] = round(float(share), 4)
    out = units.copy()
    out = pd.concat([out, pd.DataFrame(cube, columns=names, index=out.index)], axis=1)
    out = gpd.GeoDataFrame(out, geometry=units.geometry.name, crs=units.crs)
    second = ledger.report()
    dropped = dict(first.dropped)
    for k, v in second.dropped.items():
        dropped[k] = dropped.get(k, 0) + v
    notes = tuple(first.notes) + tuple(second.notes)
    if empty:
        notes += (
            f"{len(empty)} of {n_p} periods have no record anywhere in the area "
            f"({_list_periods(empty)}): gaps in the data, not periods without crime",
        )
    if partial:
        notes += (
            "periods only partly inside the study window: "
            + ", ".join(f"{k} ({v:.0%} inside)" for k, v in partial.items()),
        )
    report = LoadReport(
        "crimes counted by period", first.rows_read, second.rows_kept, dropped, notes
    )
    out.attrs = dict(units.attrs)
    out.attrs.update(
        periods=names,
        period_edges=[e.isoformat() for e in edges],
        period=period,
        value=value,
        empty_periods=empty,
        partial_periods=partial,
        count_report=report.to_dict(),
    )
    report.warn(stacklevel=3)
    if empty:
        warnings.warn(
            f"{_list_periods(empty)}: no record anywhere in the area in {len(empty)} of {n_p} "
            f"{period} periods. These are gaps in the data (a download missing?), not "
            "periods without crime; emerging_hotspots leaves them out and says so "
            "(cube.attrs['empty_periods'] lists them)",
            HspworkWarning,
            stacklevel=2,
        )
    return out


def _list_periods(names: list[str], most: int = 6) -> str:
    """'2024-02-01, 2024-03-01' or the first few and how many more."""
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"
