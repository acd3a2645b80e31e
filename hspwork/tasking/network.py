"""Journeys between hot spots: shortest paths along the street network, or straight lines."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from hspwork.crs import require_crs, unit_to_metres
from hspwork.errors import HspworkError, SchemaError
from hspwork.tasking._common import _need

#: Speeds in metres per second for journeys between visits.
SPEEDS_MPS = {"walking": 1.3, "cycling": 4.0, "driving": 8.0}


def _speed(speed) -> float:
    if isinstance(speed, str):
        if speed not in SPEEDS_MPS:
            raise HspworkError(f"speed={speed!r}; allowed {sorted(SPEEDS_MPS)} or metres/second")
        return SPEEDS_MPS[speed]
    v = float(speed)
    if not v > 0:
        raise HspworkError(f"speed={speed!r} must be a positive number of metres per second")
    return v


# --------------------------------------------------------------------------- street network


class StreetNetwork:
    """Shortest journeys along street centrelines (scipy.sparse.csgraph Dijkstra).

    Every vertex of every line is a node; consecutive vertices are joined by an edge as long
    as the segment. Line ends that meet (to ``snap_m``) are the same node. A place is joined to
    the network at its nearest node, and the straight distance to that node is added.

    Parameters
    ----------
    streets : GeoDataFrame
        LineString/MultiLineString geometry in a projected CRS.
    snap_m : float
        Vertices closer than this are merged (digitising slack at junctions).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> s = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)]),
    ...                                LineString([(100, 0), (100, 100)])], crs=27700)
    >>> net = StreetNetwork(s)
    >>> net.distance_m([(0, 0)], [(100, 100)]).tolist()   # round the corner, not 141 m
    [[200.0]]
    """

    def __init__(self, streets: gpd.GeoDataFrame, snap_m: float = 0.5) -> None:
        crs = require_crs(streets, "streets")
        if not crs.is_projected:
            raise HspworkError("streets must be in a projected CRS; use hspwork.crs.to_metric")
        self.crs = crs
        self.unit_m = unit_to_metres(crs)
        geoms = streets.geometry.to_numpy()
        types = set(shapely.get_type_id(geoms).tolist())
        if not types <= {1, 5}:
            raise SchemaError("streets must be LineString or MultiLineString geometries")
        parts = shapely.get_parts(geoms)
        coords, which = shapely.get_coordinates(parts, return_index=True)
        snap = snap_m / self.unit_m
        key = np.round(coords / snap).astype(np.int64)
        _, first, node = np.unique(key, axis=0, return_index=True, return_inverse=True)
        node = node.ravel()
        self.node_xy = coords[first]
        same_line = which[1:] == which[:-1]
        u, v = node[:-1][same_line], node[1:][same_line]
        length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T) * self.unit_m
        self.graph = _min_symmetric(u, v, length, len(self.node_xy))
        self.tree = cKDTree(self.node_xy)

    def distance_m(self, xy_from, xy_to) -> np.ndarray:
        """Network distances in metres between points (rows: from, columns: to).

        Pairs in parts of the network that are not connected get the straight-line distance
        times 1.4 (a typical detour factor) rather than infinity.
        """
        a = np.asarray(xy_from, dtype=float).reshape(-1, 2)
        b = np.asarray(xy_to, dtype=float).reshape(-1, 2)
        da, na = self.tree.query(a)
        db, nb = self.tree.query(b)
        uniq, inv = np.unique(na, return_inverse=True)
        d = dijkstra(self.graph, directed=False, indices=uniq)[inv][:, nb]
        out = d + (da[:, None] + db[None, :]) * self.unit_m
        straight = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        straight = straight * self.unit_m
        out = np.where(np.isfinite(d), out, 1.4 * straight)
        # a point to itself is no journey (not there and back to its nearest node)
        return np.where(straight == 0, 0.0, out)

    def paths_xy(self, xy_from, xy_to) -> list[np.ndarray]:
        """The street path of each journey ``xy_from[k] -> xy_to[k]``, as (m, 2) coordinates.

        The path runs from the start point to its nearest node, along the shortest streets,
        and on to the end point; a journey between unconnected parts is a straight line.
        For maps: the lengths are those of :meth:`distance_m`.

        Examples
        --------
        >>> from shapely.geometry import LineString
        >>> s = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0), (100, 100)])], crs=27700)
        >>> StreetNetwork(s).paths_xy([(0, 0)], [(100, 100)])[0].tolist()
        [[0.0, 0.0], [0.0, 0.0], [100.0, 0.0], [100.0, 100.0], [100.0, 100.0]]
        """
        a = np.asarray(xy_from, dtype=float).reshape(-1, 2)
        b = np.asarray(xy_to, dtype=float).reshape(-1, 2)
        _, na = self.tree.query(a)
        _, nb = self.tree.query(b)
        uniq, inv = np.unique(na, return_inverse=True)
        _, pred = dijkstra(self.graph, directed=False, indices=uniq, return_predecessors=True)
        out = []
        for k in range(len(a)):
            row, node, nodes = pred[inv[k]], nb[k], []
            while node >= 0 and node != na[k]:
                nodes.append(node)
                node = row[node]
            if node < 0:  # not connected: the straight line
                out.append(np.vstack([a[k], b[k]]))
                continue
            nodes.append(na[k])
            out.append(np.vstack([a[k], self.node_xy[nodes[::-1]], b[k]]))
        return out


def _min_symmetric(u, v, length, n):
    # a street drawn twice must not double its length: keep the shortest edge per node pair
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    df = pd.DataFrame({"a": lo, "b": hi, "w": length}).groupby(["a", "b"], sort=False)["w"].min()
    a = df.index.get_level_values(0).to_numpy()
    b = df.index.get_level_values(1).to_numpy()
    w = df.to_numpy()
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    return coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()


def _places_xy(fences: gpd.GeoDataFrame) -> pd.DataFrame:
    _need(fences, ["fence_id"], "fences")
    one = fences.drop_duplicates("fence_id", keep="last")
    pts = shapely.point_on_surface(one.geometry.to_numpy())
    return pd.DataFrame(
        {"x": shapely.get_x(pts), "y": shapely.get_y(pts)}, index=one["fence_id"].astype(str)
    )


def travel_minutes(
    fences: gpd.GeoDataFrame, network: StreetNetwork | None = None, speed="walking"
) -> pd.DataFrame:
    """Journey minutes between every pair of places (fence point on surface to point).

    Without a network, straight-line distance times 1.4.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["A", "B"]},
    ...     geometry=[box(0, 0, 10, 10), box(1300, 0, 1310, 10)], crs=27700)
    >>> round(float(travel_minutes(f, speed=1.4).loc["A", "B"]), 2)   # 1300 m x 1.4 at 1.4 m/s
    21.67
    """
    xy = _places_xy(fences)
    v = _speed(speed)
    pts = xy[["x", "y"]].to_numpy()
    if network is None:
        unit = unit_to_metres(require_crs(fences, "fences"))
        d = 1.4 * np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
        d = d * unit
    else:
        d = network.distance_m(pts, pts)
    return pd.DataFrame(d / v / 60.0, index=xy.index, columns=xy.index)
