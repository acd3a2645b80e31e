"""Spatial neighbours for targeting statistics, built without libpysal in the hot path.

Neighbours are returned as a binary :class:`scipy.sparse.csr_matrix` with a zero diagonal
(a unit is not its own neighbour here; Gi* adds the self weight itself). Four kinds:

* ``"queen"`` / ``"rook"``: units sharing a corner / an edge. Regular square grids (what
  :func:`hspwork.units.grid` makes) are detected from their bounds and handled by integer
  lattice arithmetic: no geometry predicates at all, so a million cells take well under a
  second. Other polygons (hexagons, the user's own areas) use a shapely STRtree; line units
  (street segments) are neighbours when they touch.
* a float: every unit whose centroid lies within that many **metres** (converted to the CRS
  unit, so US-feet data works).
* an int ``k``: the ``k`` nearest centroids (not made symmetric, as in libpysal's KNN), at most
  ``KNN_MAX`` (30): a larger int is refused as a probable distance missing its ``.0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from hspwork.crs import metres_to_crs_units, require_crs
from hspwork.errors import HspworkError

NeighbourSpec = str | int | float

_ALLOWED = "'queen', 'rook', a distance in metres (float) or a number of nearest neighbours (int)"

# Hot spot work uses a handful of nearest neighbours (8 mimics queen contiguity). An int much
# larger than this is almost always a distance typed without its decimal point: 150 means 150
# nearest units, 150.0 means 150 metres.
KNN_MAX = 30


@dataclass(frozen=True)
class Lattice:
    """Row/column position of each unit on a regular square grid."""

    row: np.ndarray
    col: np.ndarray
    nrows: int
    ncols: int
    cell_size: float  # in CRS units


def geometry_array(units: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """The geometries as a plain object array (shapely's vectorised functions run faster on it)."""
    geo = units.geometry if isinstance(units, gpd.GeoDataFrame) else units
    return np.asarray(geo.values, dtype=object)


def detect_lattice(units: gpd.GeoDataFrame | gpd.GeoSeries) -> Lattice | None:
    """Return the lattice positions when every unit is an axis-aligned square of one size.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoSeries([box(0, 0, 10, 10), box(10, 0, 20, 10), box(0, 10, 10, 20)], crs=27700)
    >>> lat = detect_lattice(g)
    >>> lat.row.tolist(), lat.col.tolist(), lat.cell_size
    ([0, 0, 1], [0, 1, 0], 10.0)
    """
    geoms = geometry_array(units)
    if len(geoms) == 0:
        return None
    types = shapely.get_type_id(geoms)
    if not np.all(types == 3):  # Polygon
        return None
    b = shapely.bounds(geoms)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    size = float(np.median(w))
    if size <= 0:
        return None
    tol = 1e-6 * size
    if np.abs(w - size).max() > tol or np.abs(h - size).max() > tol:
        return None
    # A square fills its bounding box exactly; anything else (a rotated square, a hexagon) does not.
    if np.abs(shapely.area(geoms) - size * size).max() > 1e-6 * size * size:
        return None
    fx = (b[:, 0] - b[:, 0].min()) / size
    fy = (b[:, 1] - b[:, 1].min()) / size
    col = np.rint(fx).astype(np.int64)
    row = np.rint(fy).astype(np.int64)
    if np.abs(fx - col).max() > 1e-6 or np.abs(fy - row).max() > 1e-6:
        return None  # squares of one size but not on one lattice
    nrows, ncols = int(row.max()) + 1, int(col.max()) + 1
    if nrows * ncols > 64 * row.size + 1_000_000:
        return None  # a sparse scatter of cells: the contiguity path is cheaper
    key = row * ncols + col
    if np.bincount(key, minlength=nrows * ncols).max() > 1:
        return None  # overlapping cells
    return Lattice(row, col, nrows, ncols, size)


def lattice_neighbours(lat: Lattice, rook: bool = False) -> sparse.csr_matrix:
    """Binary neighbour matrix of units on a lattice, by index arithmetic.

    Examples
    --------
    >>> lat = Lattice(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2, 2, 1.0)
    >>> lattice_neighbours(lat).toarray().astype(int).tolist()
    [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]
    >>> lattice_neighbours(lat, rook=True).toarray().astype(int).tolist()
    [[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]]
    """
    n = lat.row.size
    lookup = np.full((lat.nrows + 2, lat.ncols + 2), -1, dtype=np.int64)
    lookup[lat.row + 1, lat.col + 1] = np.arange(n)
    if rook:
        offsets = [(-1, 0), (0, -1), (0, 1), (1, 0)]
    else:
        offsets = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    rows, cols = [], []
    src = np.arange(n)
    for dr, dc in offsets:
        j = lookup[lat.row + 1 + dr, lat.col + 1 + dc]
        ok = j >= 0
        rows.append(src[ok])
        cols.append(j[ok])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    m = sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))
    m.sort_indices()
    return m


def _polygon_neighbours(geoms: np.ndarray, rook: bool) -> sparse.csr_matrix:
    n = len(geoms)
    tree = shapely.STRtree(geoms)
    # Candidate pairs whose geometries touch or overlap; tiny gaps from digitising are not bridged.
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    if rook and left.size:
        types = shapely.get_type_id(geoms)
        is_line = np.isin(types, (1, 2, 5))
        if not is_line.all():
            shared = shapely.intersection(geoms[left], geoms[right])
            # an edge is shared when the intersection has length (a point is only a corner)
            ok = shapely.length(shared) > 0
            ok |= shapely.area(shared) > 0
            left, right = left[ok], right[ok]
    m = sparse.csr_matrix((np.ones(left.size), (left, right)), shape=(n, n))
    m.data[:] = 1.0  # duplicate pairs collapse to one binary link
    m.sort_indices()
    return m


def _centroids(units: gpd.GeoDataFrame) -> np.ndarray:
    c = shapely.centroid(geometry_array(units))
    return np.column_stack([shapely.get_x(c), shapely.get_y(c)])


def neighbours(units: gpd.GeoDataFrame, spec: NeighbourSpec = "queen") -> sparse.csr_matrix:
    """Binary neighbour matrix (zero diagonal) of ``units`` for a neighbour specification.

    Parameters
    ----------
    units : GeoDataFrame
        Polygons or lines in a projected CRS.
    spec : {"queen", "rook"}, float or int
        Contiguity, a distance band in metres between centroids, or k nearest neighbours.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``n x n`` with 1.0 where unit ``j`` is a neighbour of unit ``i``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(x, 0, x + 100, 100) for x in (0, 100, 200)], crs=27700)
    >>> neighbours(g, "rook").toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    >>> neighbours(g, 150.0).sum(axis=1).A1.tolist()  # centroids 100 m apart
    [1.0, 2.0, 1.0]
    >>> neighbours(g, 1).toarray().astype(int).tolist()[2]
    [0, 1, 0]
    """
    crs = require_crs(units, "units")
    n = len(units)
    if n == 0:
        raise HspworkError("units is empty: there is nothing to find neighbours for")
    if isinstance(spec, bool):
        raise HspworkError(f"neighbours={spec!r} is not understood; use {_ALLOWED}")
    if isinstance(spec, str):
        key = spec.lower()
        if key not in ("queen", "rook"):
            raise HspworkError(f"neighbours={spec!r} is not understood; use {_ALLOWED}")
        lat = detect_lattice(units)
        if lat is not None:
            return lattice_neighbours(lat, rook=key == "rook")
        return _polygon_neighbours(geometry_array(units), rook=key == "rook")
    if isinstance(spec, int | np.integer):
        k = int(spec)
        if k > KNN_MAX:
            raise HspworkError(
                f"neighbours={k} (an int) asks for the {k} nearest units, far more than hot spot "
                f"analysis uses (1..{KNN_MAX}); did you mean {float(k)} metres? "
                f"Write neighbours={float(k)} for a distance in metres"
            )
        if k < 1 or k > n - 1:
            raise HspworkError(
                f"neighbours={k} nearest is not possible with {n} units; use 1..{n - 1}"
            )
        xy = _centroids(units)
        _, idx = cKDTree(xy).query(xy, k=k + 1)
        rows = np.repeat(np.arange(n), k + 1)
        cols = idx.ravel()
        keep = rows != cols
        # with ties the unit itself may not come first; keep exactly k others
        rows, cols = rows[keep], cols[keep]
        order = np.lexsort((np.arange(rows.size), rows))
        rows, cols = rows[order], cols[order]
        first = np.searchsorted(rows, np.arange(n))
        rank = np.arange(rows.size) - first[rows]
        keep = rank < k
        m = sparse.csr_matrix((np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(n, n))
        m.sort_indices()
        return m
    if isinstance(spec, float | np.floating):
        d_m = float(spec)
        if not np.isfinite(d_m) or d_m <= 0:
            raise HspworkError(
                f"neighbours distance must be a positive number of metres, got {spec!r}"
            )
        d = metres_to_crs_units(d_m, crs)
        xy = _centroids(units)
        pairs = cKDTree(xy).query_pairs(d * (1 + 1e-12), output_type="ndarray")
        r = np.concatenate([pairs[:, 0], pairs[:, 1]])
        c = np.concatenate([pairs[:, 1], pairs[:, 0]])
        m = sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))
        m.sort_indices()
        return m
    raise HspworkError(f"neighbours={spec!r} is not understood; use {_ALLOWED}")


def plain_spec(spec: NeighbourSpec) -> str | int | float:
    """The neighbour specification as a JSON-native value (for ``DataFrame.attrs``).

    Examples
    --------
    >>> plain_spec(np.float64(150.0)), plain_spec(np.int64(8)), plain_spec("queen")
    (150.0, 8, 'queen')
    """
    if isinstance(spec, str):
        return spec
    if isinstance(spec, int | np.integer):
        return int(spec)
    return float(spec)


def describe(spec: NeighbourSpec) -> str:
    """Words for a neighbour specification, for summaries and briefings."""
    if isinstance(spec, str):
        return f"{spec} contiguity"
    if isinstance(spec, int | np.integer):
        return f"{int(spec)} nearest neighbours"
    return f"centroids within {float(spec):g} m"


def describe_units(units: gpd.GeoDataFrame) -> str:
    """Words for the units of analysis (with the cell size when known), for briefings.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 150, 150)], crs=27700)
    >>> describe_units(g)
    '150 m square cells'
    """
    size = units.attrs.get("cell_size_m")
    shape = units.attrs.get("shape")
    if size is not None and shape is not None:
        return f"{float(size):g} m {'hexagonal' if shape == 'hex' else 'square'} cells"
    lat = detect_lattice(units)
    if lat is not None:
        from hspwork.crs import unit_to_metres

        return f"{lat.cell_size * unit_to_metres(require_crs(units, 'units')):g} m square cells"
    types = shapely.get_type_id(geometry_array(units))
    if np.isin(types, (1, 5)).all():
        return "street segments"
    return "polygons"
