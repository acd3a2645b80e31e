"""The sample town: a boundary, an irregular grid-like street network, beats and LSOA cells.

Everything is in British National Grid (EPSG:27700) metres. The town is fictional
("Sampleton"); it is placed in open country in eastern England so that longitudes and
latitudes look like a real English town.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

TOWN_NAME = "Sampleton"
CENTRE = (518_000.0, 298_500.0)  # BNG easting/northing of the town centre (m)
HALF_WIDTH_M = 3_000.0  # the town is about 6 km east-west ...
HALF_HEIGHT_M = 2_500.0  # ... and 5 km north-south
LSOA_CELL_M = 1_000.0

_STEMS = [
    "Abbey", "Albert", "Alder", "Ash", "Beech", "Birch", "Bishop", "Brook", "Castle", "Cedar",
    "Chapel", "Cherry", "Church", "Clarence", "Cromwell", "Dean", "Elm", "Fairfield", "Fern",
    "George", "Glebe", "Grange", "Grove", "Hawthorn", "Hazel", "Heath", "Hill", "Holly",
    "Kings", "Laburnum", "Lime", "Linden", "Manor", "Maple", "Meadow", "Mill", "Nelson",
    "Oak", "Orchard", "Park", "Pine", "Priory", "Queens", "Rectory", "Regent", "Rose",
    "St John's", "St Mary's", "School", "Spring", "Stanley", "Sycamore", "Tower", "Victoria",
    "Vicarage", "Walnut", "Warwick", "Water", "Wellington", "West", "Willow", "Windsor",
    "York", "Yew", "Beacon", "Canal", "Chestnut", "Dover", "Forge", "Kent", "Lark", "Milton",
    "Norfolk", "Oxford", "Poplar", "Rowan", "Salisbury", "Tudor", "Union", "Wharf",
]  # fmt: skip
_SUFFIXES = ["Road", "Street", "Avenue", "Lane", "Close", "Way", "Gardens", "Drive", "Crescent"]
_MAIN_NAMES_X = ["Station Road", "Market Street", "Bridge Street"]  # north-south main roads
_MAIN_NAMES_Y = ["London Road", "High Street", "North Road"]  # east-west main roads
# beat names in seed order: the centre, then by bearing from north anticlockwise
_BEAT_NAMES = ["Town Centre", "Northfield", "Westwood", "Southbank", "Riverside", "Eastgate"]


@dataclass
class Town:
    """The town's geometry, as arrays and shapely objects (all EPSG:27700 metres)."""

    boundary: shapely.Polygon
    streets: pd.DataFrame  # street_id, name, kind, x0, y0, x1, y1, node0, node1, length_m
    street_geoms: np.ndarray  # LineString per street row
    nodes_xy: np.ndarray  # (n_nodes, 2) junction coordinates (the grid nodes)
    node_names: list[str]  # "A Road / B Street" for each node
    beats: pd.DataFrame  # beat_id, name
    beat_geoms: np.ndarray


def _grid_positions(half: float, centre_spacing: float, edge_spacing: float) -> np.ndarray:
    """Grid line offsets from the centre: close together in the centre, wider outside."""
    pos = [0.0]
    while pos[-1] < half + edge_spacing:
        d = pos[-1] / half
        pos.append(pos[-1] + centre_spacing + (edge_spacing - centre_spacing) * min(d, 1.2) ** 1.3)
    p = np.array(pos)
    return np.concatenate([-p[:0:-1], p])


def _boundary(rng: np.random.Generator) -> shapely.Polygon:
    theta = np.linspace(0.0, 2 * np.pi, 73)[:-1]
    ph = rng.uniform(0, 2 * np.pi, 3)
    wobble = 1 + 0.05 * np.sin(3 * theta + ph[0]) + 0.03 * np.sin(5 * theta + ph[1])
    wobble += 0.02 * np.sin(7 * theta + ph[2])
    x = CENTRE[0] + HALF_WIDTH_M * 1.02 * np.cos(theta) * wobble
    y = CENTRE[1] + HALF_HEIGHT_M * 1.02 * np.sin(theta) * wobble
    return shapely.Polygon(np.round(np.column_stack([x, y])))


def build_town(rng: np.random.Generator) -> Town:
    """Build the town from a random generator (all randomness comes from ``rng``).

    Examples
    --------
    >>> town = build_town(np.random.default_rng(1))
    >>> 2000 <= len(town.streets) <= 4000, len(town.beats)
    (True, 6)
    """
    cx, cy = CENTRE
    boundary = _boundary(rng)
    gx = _grid_positions(HALF_WIDTH_M * 1.1, 95.0, 175.0)
    gy = _grid_positions(HALF_HEIGHT_M * 1.1, 95.0, 175.0)
    nx, ny = len(gx), len(gy)
    X, Y = np.meshgrid(cx + gx, cy + gy, indexing="ij")  # node (i, j) -> X[i, j]
    # a gentle large-scale warp and a small per-junction jitter make the grid irregular
    ph = rng.uniform(0, 2 * np.pi, 4)
    Xw = X + 45 * np.sin((Y - cy) / 700 + ph[0]) + 20 * np.sin((X - cx) / 350 + ph[1])
    Yw = Y + 45 * np.sin((X - cx) / 900 + ph[2]) + 20 * np.sin((Y - cy) / 420 + ph[3])
    Xw = Xw + rng.normal(0, 10, X.shape)
    Yw = Yw + rng.normal(0, 10, Y.shape)
    nodes_xy = np.round(np.column_stack([Xw.ravel(), Yw.ravel()]), 1)
    inside = shapely.contains_xy(boundary, nodes_xy[:, 0], nodes_xy[:, 1])

    i_c, j_c = int(np.argmin(np.abs(gx))), int(np.argmin(np.abs(gy)))
    main_i = {i_c - 12: 0, i_c: 1, i_c + 11: 2}  # north-south main roads, by grid column
    main_j = {j_c - 10: 0, j_c: 1, j_c + 9: 2}  # east-west main roads, by grid row

    # every grid line gets one street name; main roads get their well-known names
    names = [f"{s} {x}" for s in _STEMS for x in _SUFFIXES]
    order = rng.permutation(len(names))
    col_names = [names[order[k]] for k in range(nx)]
    row_names = [names[order[nx + k]] for k in range(ny)]
    for i, k in main_i.items():
        col_names[i] = _MAIN_NAMES_X[k]
    for j, k in main_j.items():
        row_names[j] = _MAIN_NAMES_Y[k]

    idx = np.arange(nx * ny).reshape(nx, ny)
    # east-west edges (i,j)-(i+1,j) run along row j; north-south edges (i,j)-(i,j+1) along column i
    ew_a, ew_b = idx[:-1, :].ravel(), idx[1:, :].ravel()
    ew_line = np.broadcast_to(np.arange(ny), (nx - 1, ny)).ravel()
    ew_col = np.broadcast_to(np.arange(nx - 1)[:, None], (nx - 1, ny)).ravel()
    ns_a, ns_b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    ns_line = np.broadcast_to(np.arange(nx)[:, None], (nx, ny - 1)).ravel()
    ns_row = np.broadcast_to(np.arange(ny - 1), (nx, ny - 1)).ravel()

    a = np.concatenate([ew_a, ns_a])
    b = np.concatenate([ew_b, ns_b])
    is_ew = np.concatenate([np.ones(len(ew_a), bool), np.zeros(len(ns_a), bool)])
    line = np.concatenate([ew_line, ns_line])
    along = np.concatenate([ew_col, ns_row])
    name = np.where(
        is_ew,
        np.array(row_names, dtype=object)[np.where(is_ew, line, 0)],
        np.array(col_names, dtype=object)[np.where(is_ew, 0, line)],
    )
    main = np.where(
        is_ew, np.isin(line, list(main_j)), np.isin(line, list(main_i))
    )  # main roads are never removed below
    # the high street: the central east-west and north-south roads near the centre
    high = (is_ew & (line == j_c) & (np.abs(along - i_c) <= 5)) | (
        ~is_ew & (line == i_c) & (np.abs(along - j_c) <= 4)
    )
    keep = inside[a] & inside[b] & (main | (rng.random(len(a)) > 0.12))
    kind = np.where(high, "high street", np.where(main, "main road", "residential"))

    a, b, name, kind = a[keep], b[keep], name[keep], kind[keep]
    # stable order: west to east, south to north by the segment midpoint
    mid = (nodes_xy[a] + nodes_xy[b]) / 2
    order = np.lexsort((mid[:, 1], mid[:, 0]))
    a, b, name, kind, mid = a[order], b[order], name[order], kind[order], mid[order]
    geoms = shapely.linestrings(np.stack([nodes_xy[a], nodes_xy[b]], axis=1))
    streets = pd.DataFrame(
        {
            "street_id": [f"S{k:04d}" for k in range(1, len(a) + 1)],
            "name": name,
            "kind": kind,
            "node0": a,
            "node1": b,
            "x0": nodes_xy[a, 0],
            "y0": nodes_xy[a, 1],
            "x1": nodes_xy[b, 0],
            "y1": nodes_xy[b, 1],
            "length_m": shapely.length(geoms),
        }
    )

    node_names = [
        f"{row_names[k % ny]} / {col_names[k // ny]}" for k in range(nx * ny)
    ]  # node k = (i, j) with k = i * ny + j

    beats, beat_geoms = _beats(rng, boundary)
    return Town(
        boundary=boundary,
        streets=streets,
        street_geoms=geoms,
        nodes_xy=nodes_xy,
        node_names=node_names,
        beats=beats,
        beat_geoms=beat_geoms,
    )


def _beats(rng: np.random.Generator, boundary: shapely.Polygon):
    cx, cy = CENTRE
    angles = np.deg2rad(90 + 72 * np.arange(5) + rng.uniform(-12, 12, 5))
    seeds = [(cx + rng.uniform(-100, 100), cy + rng.uniform(-100, 100))]
    seeds += [(cx + 1900 * np.cos(t), cy + 1600 * np.sin(t)) for t in angles]
    pts = shapely.multipoints(np.array(seeds))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=boundary.buffer(3000)))
    geoms = []
    for sx, sy in seeds:  # match each Voronoi cell to its seed, in seed order
        cell = next(c for c in cells if c.contains(shapely.Point(sx, sy)))
        geoms.append(shapely.intersection(cell, boundary))
    beats = pd.DataFrame({"beat_id": [f"B{k}" for k in range(1, 7)], "name": _BEAT_NAMES})
    return beats, np.array(geoms, dtype=object)


def lsoa_of(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fictional LSOA code and name for points: 1 km cells over the town, numbered west to east.

    Examples
    --------
    >>> code, name = lsoa_of(np.array([CENTRE[0]]), np.array([CENTRE[1]]))
    >>> code[0], name[0]
    ('E01990028', 'Sampleton 028D')
    """
    x0 = CENTRE[0] - HALF_WIDTH_M * 1.2
    y0 = CENTRE[1] - HALF_HEIGHT_M * 1.2
    ncols = int(np.ceil(HALF_WIDTH_M * 2.4 / LSOA_CELL_M))
    ci = np.floor((np.asarray(x) - x0) / LSOA_CELL_M).astype(int)
    cj = np.floor((np.asarray(y) - y0) / LSOA_CELL_M).astype(int)
    k = cj * ncols + ci + 1
    letters = np.array(list("ABCDE"))[k % 5]
    code = np.char.add("E0199", np.char.zfill(k.astype(str), 4))
    name = np.char.add(np.char.add(f"{TOWN_NAME} ", np.char.zfill(k.astype(str), 3)), letters)
    return code.astype(object), name.astype(object)
