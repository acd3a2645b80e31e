"""The dwell kernels at their edges, called directly on inputs worked by hand or against shapely.

Each test sits where a plausible slip in :mod:`hspwork.tracking._kernels` shows: a point at a
vertex's height or on a square's edge (the half-open rule of ``dwell``), a ping at a version's
``valid_from`` and ``valid_to``, a source bit, a polygon across grid cells and a ping on the
last row and column or just outside the grid, a gap of exactly the limit, runs exactly
``merge_ns`` apart, ties in time, windows with pings at their ends. The arrays are laid out as
:mod:`hspwork.tracking.dwell` lays them out: flattened closed rings, CSR grids and pair lists,
int64 nanoseconds, source codes and bit masks. They are small, so ``make mutate`` runs them
first and they run as plain Python in seconds with ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.testing import assert_array_equal
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from hspwork.tracking import _kernels as K

LO = np.iinfo(np.int64).min
HI = np.iinfo(np.int64).max


def flat(geoms):
    """Rings as the kernels take them: (poly_ring_start, ring_start, cx, cy), rings closed."""
    prs, rs, xs, ys = [0], [0], [], []
    for g in geoms:
        parts = list(g.geoms) if isinstance(g, MultiPolygon) else [g]
        n = 0
        for part in parts:
            for ring in [part.exterior, *part.interiors]:
                c = list(ring.coords)
                xs += [p[0] for p in c]
                ys += [p[1] for p in c]
                rs.append(rs[-1] + len(c))
                n += 1
        prs.append(prs[-1] + n)
    return (
        np.array(prs, dtype=np.int64),
        np.array(rs, dtype=np.int64),
        np.array(xs, dtype=np.float64),
        np.array(ys, dtype=np.float64),
    )


def bounds(geoms):
    b = np.array([g.bounds for g in geoms], dtype=np.float64)
    return tuple(np.ascontiguousarray(b[:, k]) for k in range(4))


def i64(*v):
    return np.array(v, dtype=np.int64)


def f64(*v):
    return np.array(v, dtype=np.float64)


# ------------------------------------------------------------------------ point in polygon

QUAD = Polygon([(1, 1), (9, 2), (7, 8), (2, 6)])  # slanted edges, vertices at y 1, 2, 6, 8
DIAMOND = Polygon([(5, 0), (10, 5), (5, 10), (0, 5)])
HOLED = Polygon(box(0, 0, 10, 10).exterior.coords, [box(4, 4, 6, 6).exterior.coords])
MULTI = MultiPolygon([box(0.5, 0.5, 3.5, 3.5), Polygon([(5, 1), (9.5, 1.5), (7, 9)])])


def test_point_in_polygon_matches_shapely_off_the_boundary():
    # every point of a half-unit lattice (so on every vertex's y) that is not on a boundary
    shapes = [QUAD, DIAMOND, HOLED, MULTI]
    prs, rs, cx, cy = flat(shapes)
    g = np.arange(-1.0, 11.01, 0.5)
    px, py = (a.ravel() for a in np.meshgrid(g, g))
    for p, shape in enumerate(shapes):
        off = ~shapely.intersects_xy(shape.boundary, px, py)
        want = shapely.contains_xy(shape, px[off], py[off])
        got = [K._inside(a, b, p, prs, rs, cx, cy) for a, b in zip(px[off], py[off])]
        assert got == want.tolist(), shape.wkt
        assert want.any() and not want.all()


def test_points_at_a_vertex_height():
    # the diamond's side vertices are at y = 5 and its bottom and top at y = 0 and 10: the ray
    # from (2, 5) meets the east vertex (10, 5) once, counted by the half-open rule
    prs, rs, cx, cy = flat([DIAMOND])
    for x, y, want in [(2, 5, True), (8, 5, True), (-1, 5, False), (11, 5, False),
                       (2, 0, False), (2, 10, False), (5, 9.5, True), (5, 0.5, True)]:  # fmt: skip
        assert K._inside(float(x), float(y), 0, prs, rs, cx, cy) is want, (x, y)


def test_edges_of_a_square_are_half_open():
    # dwell rule 7: west and south edges (and the south-west corner) in, east and north out
    sq = box(40, 20, 50, 30)
    prs, rs, cx, cy = flat([box(0, 0, 1, 1), sq])  # the square is polygon 1
    cases = [((40, 25), True), ((45, 20), True), ((40, 20), True), ((50, 25), False),
             ((45, 30), False), ((50, 20), False), ((40, 30), False), ((45, 25), True)]  # fmt: skip
    for (x, y), want in cases:
        assert K._inside(float(x), float(y), 1, prs, rs, cx, cy) is want, (x, y)
    # polygon 0 does not hold them
    assert not K._inside(45.0, 25.0, 0, prs, rs, cx, cy)


def hit_args(geoms, vfrom, vto, smask):
    bx0, by0, bx1, by1 = bounds(geoms)
    prs, rs, cx, cy = flat(geoms)
    return (bx0, by0, bx1, by1, np.asarray(vfrom, np.int64), np.asarray(vto, np.int64),
            np.asarray(smask, np.int64), prs, rs, cx, cy)  # fmt: skip


def test_a_version_holds_pings_from_valid_from_to_before_valid_to():
    # dwell rule 6: valid_from <= t < valid_to
    args = hit_args([box(0, 0, 10, 10)], [1000], [2000], [-1])
    for t, want in [(999, False), (1000, True), (1999, True), (2000, False), (5000, False)]:
        assert K._hit(5.0, 5.0, t, 0, 0, *args) is want, t
    # open versions hold every time
    args = hit_args([box(0, 0, 10, 10)], [LO], [HI], [-1])
    assert K._hit(5.0, 5.0, LO, 0, 0, *args) and K._hit(5.0, 5.0, HI - 1, 0, 0, *args)


def test_a_source_mask_holds_only_its_sources():
    geoms = [box(0, 0, 10, 10)] * 3
    # polygon 0: sources 0 and 2 (0b101); 1: source 1 only (0b10); 2: every source (-1)
    args = hit_args(geoms, [LO] * 3, [HI] * 3, [0b101, 0b10, -1])
    want = {0: [True, False, True, False], 1: [False, True, False, False], 2: [True] * 4}
    for p, row in want.items():
        assert [K._hit(5.0, 5.0, 0, s, p, *args) for s in range(4)] == row, p
    assert K._hit(5.0, 5.0, 0, 61, 2, *args)


def test_the_bounding_box_check_keeps_the_west_and_south_edges():
    # a ping on the west or south edge is at the polygon's bx0 or by0 and is inside (rule 7)
    args = hit_args([box(100, 200, 110, 210)], [LO], [HI], [-1])
    assert K._hit(100.0, 205.0, 0, 0, 0, *args)
    assert K._hit(105.0, 200.0, 0, 0, 0, *args)
    assert not K._hit(99.0, 205.0, 0, 0, 0, *args)
    assert not K._hit(105.0, 199.0, 0, 0, 0, *args)
    assert not K._hit(111.0, 205.0, 0, 0, 0, *args)
    assert not K._hit(105.0, 211.0, 0, 0, 0, *args)


# ------------------------------------------------------------------------------- the grid


def test_build_grid_by_hand_with_boxes_clamped_to_the_grid():
    # grid from (10, 20), cells of 5, 3 x 2: columns [10,15) [15,20) [20,25), rows [20,25) [25,30)
    # cell c = row * 3 + column
    bx0 = np.array([11.0, 16.0, 5.0, 23.0, 10.0])
    by0 = np.array([21.0, 21.0, 26.0, 22.0, 20.0])
    bx1 = np.array([14.0, 24.0, 12.0, 40.0, 25.0])
    by1 = np.array([24.0, 29.0, 40.0, 23.0, 30.0])
    # p0 cell 0; p1 columns 1-2 rows 0-1: 1, 2, 4, 5; p2 (reaches west and north) column 0
    # row 1: 3; p3 (reaches east) column 2 row 0: 2; p4 (the grid's extent, east and north
    # edges at 25 and 30 clamp to the last column and row): every cell
    start, items = K.build_grid(bx0, by0, bx1, by1, 10.0, 20.0, 5.0, 3, 2)
    assert_array_equal(start, [0, 2, 4, 7, 9, 11, 13])
    assert_array_equal(items, [0, 4, 1, 4, 1, 3, 4, 2, 4, 1, 4, 1, 4])
    assert start.dtype == np.int64 and items.dtype == np.int32


def test_build_grid_with_no_polygon_in_the_last_cell():
    start, items = K.build_grid(f64(0.0), f64(0.0), f64(1.0), f64(1.0), 0.0, 0.0, 2.0, 2, 2)
    assert_array_equal(start, [0, 1, 1, 1, 1])
    assert_array_equal(items, [0])


# grid from (100, 200), cells of 10, 3 x 2: x [100, 130), y [200, 220)
GRID_POLYS = [
    box(100, 200, 112, 210),  # p0: across the cell edge at x = 110 and y = 210's row edge
    box(118, 205, 130, 220),  # p1: to the grid's east and north ends (last column and row)
    Polygon([(121, 201), (129, 201), (125, 209)]),  # p2: in cell (2, 0) only
]
# (ping, polygons holding it), worked by hand
GRID_PINGS = [
    ((0.0, 205.0), []),  # far west of the grid
    ((105.0, 205.0), [0]),
    ((99.9, 205.0), []),  # just west of the grid
    ((100.0, 200.0), [0]),  # the grid's origin: p0's south-west corner (rule 7)
    ((112.0, 205.0), []),  # p0's east edge
    ((125.0, 204.0), [2]),  # below p1; p2 spans x 122.5..127.5 at y 204
    ((125.0, 206.0), [1, 2]),  # p2 spans 123.5..126.5 at y 206
    ((130.0, 210.0), []),  # x = 100 + 3 * 10: just east of the grid, on p1's east edge
    ((129.9, 219.9), [1]),  # last column and row
    ((120.0, 220.0), []),  # y = 200 + 2 * 10: just north of the grid, on p1's north edge
    ((115.0, 0.0), []),  # far south
    ((1000.0, 205.0), []),  # far east
    ((115.0, 1000.0), []),  # far north
    ((115.0, 215.0), []),  # cell (1, 1): p0 ends at y 210, p1 starts at x 118
    ((119.0, 215.0), [1]),  # cell (1, 1)
]


def grid_args(geoms, gx0, gy0, cell, nx, ny, vfrom=None, vto=None, smask=None):
    n = len(geoms)
    bx0, by0, bx1, by1 = bounds(geoms)
    gstart, gitems = K.build_grid(bx0, by0, bx1, by1, gx0, gy0, cell, nx, ny)
    prs, rs, cx, cy = flat(geoms)
    vfrom = np.full(n, LO, np.int64) if vfrom is None else np.asarray(vfrom, np.int64)
    vto = np.full(n, HI, np.int64) if vto is None else np.asarray(vto, np.int64)
    smask = np.full(n, -1, np.int64) if smask is None else np.asarray(smask, np.int64)
    return (gx0, gy0, cell, nx, ny, gstart, gitems, bx0, by0, bx1, by1, vfrom, vto, smask,
            prs, rs, cx, cy)  # fmt: skip


def pings(xy, t=0, src=0):
    x = np.array([p[0] for p in xy], dtype=np.float64)
    y = np.array([p[1] for p in xy], dtype=np.float64)
    n = len(xy)
    return x, y, np.full(n, t, np.int64), np.full(n, src, np.int32)


def test_pip_count_and_fill_across_cells_and_at_the_grids_ends():
    args = grid_args(GRID_POLYS, 100.0, 200.0, 10.0, 3, 2)
    x, y, t, src = pings([p for p, _ in GRID_PINGS])
    counts = K.pip_count(x, y, t, src, *args)
    assert counts.tolist() == [len(w) for _, w in GRID_PINGS]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    ping, poly = K.pip_fill(x, y, t, src, offsets, *args)
    want = [(i, p) for i, (_, w) in enumerate(GRID_PINGS) for p in w]
    assert list(zip(ping.tolist(), poly.tolist())) == want
    assert ping.dtype == np.int64 and poly.dtype == np.int32
    # the interior ones agree with shapely
    for (px, py), w in GRID_PINGS:
        for p, g in enumerate(GRID_POLYS):
            if not shapely.intersects_xy(g.boundary, px, py):
                assert shapely.contains_xy(g, px, py) == (p in w)


def test_a_ping_outside_the_grid_is_looked_up_nowhere():
    # a polygon reaching past the grid (FenceIndex's grid covers every polygon, so there a
    # ping outside the grid is in no polygon): pings outside the grid are skipped, not looked
    # up in a clamped or wrapped cell
    geoms = [box(95, 195, 135, 225)]
    args = grid_args(geoms, 100.0, 200.0, 10.0, 3, 2)
    xy = [(99.5, 205.0), (105.0, 199.5), (130.0, 205.0), (130.5, 205.0), (105.0, 220.0),
          (105.0, 220.5), (99.5, 199.5), (130.0, 220.0), (105.0, 205.0)]  # fmt: skip
    x, y, t, src = pings(xy)
    assert K.pip_count(x, y, t, src, *args).tolist() == [0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_pip_count_with_versions_and_sources():
    # two versions of one square (valid [1000, 2000) for source 1 only, and from 2000 on for
    # every source), and a square for source 0 and 2 in another cell
    geoms = [box(0, 0, 10, 10), box(0, 0, 10, 10), box(10, 0, 20, 10)]
    args = grid_args(geoms, 0.0, 0.0, 10.0, 2, 1, vfrom=[1000, 2000, LO],
                     vto=[2000, HI, HI], smask=[0b10, -1, 0b101])  # fmt: skip
    x = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 15.0, 15.0, 15.0, 10.0])
    y = np.full(9, 5.0)
    t = i64(999, 1000, 1000, 1999, 2000, 0, 0, 0, 0)
    src = np.array([1, 1, 0, 1, 1, 0, 1, 2, 2], dtype=np.int32)
    want = [0, 1, 0, 1, 1, 1, 0, 1, 1]
    counts = K.pip_count(x, y, t, src, *args)
    assert counts.tolist() == want
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    ping, poly = K.pip_fill(x, y, t, src, offsets, *args)
    assert ping.tolist() == [1, 3, 4, 5, 7, 8]
    assert poly.tolist() == [0, 0, 1, 2, 2, 2]


# --------------------------------------------------------------------------- exit_fraction


def shapely_exit(p, q, poly):
    """Fraction of P->Q before its first meeting with the polygon's boundary (-1: none)."""
    line = LineString([p, q])
    meet = line.intersection(poly.boundary)
    if meet.is_empty:
        return -1.0
    pts = shapely.points(shapely.get_coordinates(meet))
    return min(line.project(pt) for pt in pts) / line.length


def efrac(p, q, poly_index, geoms):
    prs, rs, cx, cy = flat(geoms)
    return K.exit_fraction(float(p[0]), float(p[1]), float(q[0]), float(q[1]), poly_index,
                           prs, rs, cx, cy)  # fmt: skip


UNIT_CCW = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])  # edges: south, east, north, west (last)
UNIT_CW = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])  # edges: west, north, east, south (last)


def test_exit_fraction_through_each_edge_of_a_unit_square_both_ways_round():
    # direction (1, 0) against the east edge (0, +-1): cross product +-1
    for sq in (UNIT_CCW, UNIT_CW):
        geoms = [box(5, 5, 6, 6), sq, box(0.2, 0.2, 0.8, 0.8)]  # the square is polygon 1
        for p, q, want in [
            ((0.5, 0.5), (1.5, 0.5), 0.5),  # east
            ((0.5, 0.5), (-0.5, 0.5), 0.5),  # west
            ((0.5, 0.5), (0.5, -1.5), 0.25),  # south
            ((0.5, 0.5), (0.5, 1.5), 0.5),  # north
            ((0.25, 0.5), (2.25, 0.5), 0.375),  # east, 0.75 of 2
            ((0.5, 0.5), (0.5, 1.0), 1.0),  # Q on the north edge
            ((0.0, 0.5), (-1.0, 0.5), 0.0),  # P on the west edge (inside by rule 7), going out
            ((0.2, 0.5), (0.6, 0.5), -1.0),  # no edge: the east one is 2 lengths ahead
            ((0.3, 0.5), (0.7, 0.5), -1.0),  # 1.75 lengths ahead
        ]:
            assert efrac(p, q, 1, geoms) == want, (sq.wkt, p, q)
            assert shapely_exit(p, q, sq) == want


def test_exit_fraction_of_the_last_polygon_and_of_a_hole():
    geoms = [UNIT_CCW, box(0.2, 0.2, 0.8, 0.8), HOLED]  # the holed square is the last polygon
    # straight up from (1, 5): the hole's north edge's line (y = 6) is met at 0.1 of the way,
    # but west of the hole; the exterior's north edge at 0.5
    assert efrac((1, 5), (1, 15), 2, geoms) == 0.5
    assert efrac((2, 5), (5, 5), 2, geoms) == 2 / 3  # into the hole at x = 4
    assert efrac((1, 5), (1, 9), 2, geoms) == -1.0
    assert efrac((0.5, 0.5), (1.5, 0.5), 0, geoms) == 0.5
    assert math.isclose(efrac((0.5, 0.5), (1.5, 0.5), 1, geoms), 0.3, rel_tol=1e-12)


def test_exit_through_a_vertex_where_the_path_runs_on_along_an_edge():
    # leaving at vertex (2, 2) along the edge (2, 2)-(3, 3), which is parallel to the path and
    # skipped: the crossing is found only at the other edge's end, (2, 2) being the start of
    # (2, 2)->(0, 2) one way round and the end of (0, 2)->(2, 2) the other way
    pts = [(0, 0), (4, 0), (4, 3), (3, 3), (2, 2), (0, 2)]
    for ring in (pts, pts[::-1]):
        poly = Polygon(ring)
        assert poly.is_valid and poly.contains(shapely.Point(1, 1))
        got = efrac((1, 1), (2.5, 2.5), 0, [poly])
        assert math.isclose(got, 2 / 3, rel_tol=1e-12)
        assert math.isclose(shapely_exit((1, 1), (2.5, 2.5), poly), 2 / 3, rel_tol=1e-12)


def test_exit_fraction_matches_shapely_on_random_segments():
    rng = np.random.default_rng(17)
    shapes = [QUAD, HOLED, MULTI, DIAMOND]
    for k, shape in enumerate(shapes):
        n = 0
        while n < 40:
            p = rng.uniform(-1, 11, 2)
            if not shapely.contains_xy(shape, *p):
                continue
            q = p + rng.uniform(-8, 8, 2)
            want = shapely_exit(tuple(p), tuple(q), shape)
            got = efrac(p, q, k, shapes)
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (shape.wkt, p, q)
            n += 1


# ------------------------------------------------------------------------------ merge_visits


def test_merge_visits_by_hand():
    # sorted by fence, officer, start; merge_ns = 5
    fence = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1], dtype=np.int32)
    officer = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1], dtype=np.int32)
    start = i64(0, 5, 10, 24, 35, 46, 41, 50, 51)
    end = i64(10, 8, 20, 30, 40, 46, 50, 51, 51)
    count = i64(1, 2, 3, 4, 5, 6, 7, 8, 9)
    dist = np.array([1.0, 2, 4, 8, 16, 32, 64, 128, 256])
    # r1 nested in r0, r2 abuts r0 (0 ns apart), r3 4 ns after r2: one visit [0, 30] with credit
    # 10 + 3 + 10 + 6 = 29; r4 exactly 5 ns after r3: a new visit; r5 6 ns later with no credit:
    # left out; r6 another officer 1 ns later; r7 (1 ns of credit) another fence 0 ns later,
    # and r8 (none) abutting it joins it
    vf, vo, vs, ve, vc, vn, vd, rv = K.merge_visits(fence, officer, start, end, count, dist,
                                                    np.int64(5))  # fmt: skip
    assert vf.tolist() == [0, 0, 0, 1]
    assert vo.tolist() == [0, 0, 1, 1]
    assert vs.tolist() == [0, 35, 41, 50]
    assert ve.tolist() == [30, 40, 50, 51]
    assert vc.tolist() == [29, 5, 9, 1]
    assert vn.tolist() == [1 + 2 + 3 + 4, 5, 7, 8 + 9]
    assert vd.tolist() == [15.0, 16.0, 64.0, 384.0]
    assert rv.tolist() == [0, 0, 0, 0, 1, -1, 2, 3, 3]
    assert vf.dtype == np.int32 and vo.dtype == np.int32


def test_merge_within_zero_joins_abutting_runs_only():
    one = np.zeros(4, dtype=np.int32)
    start, end = i64(0, 10, 21, 22), i64(10, 21, 21, 30)
    # 0 ns apart joins, 1 ns apart does not; a zero-credit run abutting joins with no credit
    out = K.merge_visits(one, one, start, end, i64(1, 1, 1, 1), np.ones(4), np.int64(0))
    assert out[2].tolist() == [0, 22] and out[3].tolist() == [21, 30]
    assert out[4].tolist() == [21, 8] and out[7].tolist() == [0, 0, 0, 1]
    # runs exactly merge_ns apart stay apart, one ns closer they join
    start, end = i64(0, 17), i64(10, 20)
    assert K.merge_visits(one[:2], one[:2], start, end, i64(1, 1), np.ones(2),
                          np.int64(7))[2].tolist() == [0, 17]  # fmt: skip
    assert K.merge_visits(one[:2], one[:2], start, end, i64(1, 1), np.ones(2),
                          np.int64(8))[2].tolist() == [0]  # fmt: skip
    # a single run of 1 ns
    out = K.merge_visits(one[:1], one[:1], i64(3), i64(4), i64(1), np.ones(1), np.int64(0))
    assert out[4].tolist() == [1] and out[7].tolist() == [0]
    out = K.merge_visits(one[:1], one[:1], i64(3), i64(3), i64(1), np.ones(1), np.int64(0))
    assert out[4].tolist() == [] and out[7].tolist() == [-1]


# ---------------------------------------------------------------------------- union_by_group


def union_ref(group, start, end, n_groups):
    """Covered nanoseconds per group, counted one by one."""
    cover = [set() for _ in range(n_groups)]
    for g, s, e in zip(group, start, end):
        cover[g].update(range(s, e))
    return [len(c) for c in cover]


def test_union_by_group_overlapping_abutting_nested_and_apart():
    # group 0: [0,10] [5,8] nested [10,15] abutting [20,30] [25,40] overlapping: 15 + 20 = 35;
    # group 1 has none; group 2 one interval; group 3 two 1 ns apart: 5 + 1
    group = i64(0, 0, 0, 0, 0, 2, 3, 3)
    start = i64(0, 5, 10, 20, 25, 100, 0, 6)
    end = i64(10, 8, 15, 30, 40, 110, 5, 7)
    out = K.union_by_group(group, start, end, 4)
    assert out.tolist() == [35, 0, 10, 6] == union_ref(group, start, end, 4)
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = int(rng.integers(1, 12))
        group = np.sort(rng.integers(0, 3, m))
        s = rng.integers(0, 40, m)
        e = s + rng.integers(0, 10, m)
        k = np.lexsort((s, group))
        g, s, e = group[k].astype(np.int64), s[k].astype(np.int64), e[k].astype(np.int64)
        assert K.union_by_group(g, s, e, 3).tolist() == union_ref(g, s, e, 3)


# ------------------------------------------------------------------------------------ sorting


def test_is_sorted_pair():
    cases = [
        ([0, 0, 1, 1], [1, 2, 0, 0], True),  # equal rows are sorted
        ([0, 1, 2], [9, 0, 0], True),  # b may fall where a rises
        ([0, 0, 1], [2, 1, 0], False),
        ([1, 0], [0, 5], False),  # only the first pair is out of order
        ([0, 1], [0, 0], True),
        ([0, 2, 1], [0, 0, 0], False),  # only the last pair
        ([0, 1, 1, 1], [0, 5, 5, 4], False),
        ([5], [5], True),
        ([], [], True),
    ]
    for a, b, want in cases:
        got = K.is_sorted_pair(np.array(a, dtype=np.int32), np.array(b, dtype=np.int64))
        assert got is want, (a, b)


def test_order_ties_by_x_then_y_then_source_stably():
    # rows in scrambled order; perm sorts them by officer, time (stably, in row order)
    rows = [  # officer, time, x, y, source
        (0, 5, 3.0, 0.0, 0),
        (0, 5, 1.0, 9.0, 0),
        (1, 5, 9.0, 0.0, 0),
        (0, 5, 1.0, 2.0, 1),
        (0, 5, 1.0, 2.0, 0),
        (0, 4, 8.0, 0.0, 0),  # before the tie, with a larger x than any of it
        (0, 6, 0.5, 0.0, 0),  # after it, with a smaller x: not a tie, stays after
        (0, 7, 2.0, 1.0, 1),
        (0, 7, 2.0, 1.0, 1),  # exact duplicates keep their order
        (1, 5, 9.0, 0.0, 0),
        (1, 5, 2.0, 0.0, 0),
        (1, 8, 0.0, 0.0, 0),
        (1, 9, 5.0, 0.0, 0),
        (1, 9, 4.0, 0.0, 0),  # a tie at the very end
    ]
    off = np.array([r[0] for r in rows], dtype=np.int32)
    t = np.array([r[1] for r in rows], dtype=np.int64)
    x = np.array([r[2] for r in rows])
    y = np.array([r[3] for r in rows])
    src = np.array([r[4] for r in rows], dtype=np.int32)
    n = len(rows)
    perm = np.array(sorted(range(n), key=lambda r: rows[r][:2]), dtype=np.int64)
    want = sorted(range(n), key=lambda r: rows[r])  # Python's sort is stable
    assert K.order_ties(perm.copy(), off, t, x, y, src).tolist() == want
    assert want[:6] == [5, 4, 3, 1, 0, 6] and want[6:8] == [7, 8]


def test_order_ties_when_the_first_rows_tie():
    # every row at one officer and time, the first two out of order
    off, t = np.zeros(2, np.int32), i64(5, 5)
    x, y, src = np.array([2.0, 1.0]), np.zeros(2), np.zeros(2, np.int32)
    assert K.order_ties(i64(0, 1), off, t, x, y, src).tolist() == [1, 0]
    # a tie at the start followed by a row of its own
    off, t = np.zeros(3, np.int32), i64(5, 5, 6)
    x, y, src = np.array([2.0, 1.0, 0.0]), np.zeros(3), np.zeros(3, np.int32)
    assert K.order_ties(i64(0, 1, 2), off, t, x, y, src).tolist() == [1, 0, 2]


def test_after_compares_x_then_y_then_source():
    x = np.array([1.0, 2.0, 1.0, 1.0, 1.0])
    y = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    src = np.array([0, 0, 0, 1, 0], dtype=np.int32)
    assert K._after(1, 0, x, y, src) and not K._after(0, 1, x, y, src)
    assert K._after(2, 0, x, y, src) and not K._after(0, 2, x, y, src)
    assert K._after(3, 0, x, y, src) and not K._after(0, 3, x, y, src)
    assert not K._after(0, 4, x, y, src) and not K._after(4, 0, x, y, src)


def test_sort_officer_time_is_a_stable_sort_by_officer_then_time():
    # officer 1 and 4 have no rows; 0 has three (unsorted, one tie); 2 one; 3 two reversed
    off = np.array([3, 0, 2, 0, 3, 0, 5, 5], dtype=np.int32)
    t = i64(9, 30, 1, 10, 2, 10, 7, 7)
    want = sorted(range(len(off)), key=lambda r: (off[r], t[r]))
    assert want == [3, 5, 1, 2, 4, 0, 6, 7]
    assert K.sort_officer_time(off, t, 6).tolist() == want
    assert K.sort_officer_time(off, t, 7).tolist() == want  # an officer code with no rows last


def test_gather():
    perm = i64(2, 0, 3, 1)
    off = np.array([10, 11, 12, 13], dtype=np.int32)
    t = i64(100, 101, 102, 103)
    x = np.array([0.5, 1.5, 2.5, 3.5])
    y = np.array([-1.0, -2.0, -3.0, -4.0])
    src = np.array([7, 8, 9, 6], dtype=np.int32)
    o2, t2, x2, y2, s2 = K.gather(perm, off, t, x, y, src)
    assert o2.tolist() == [12, 10, 13, 11] and o2.dtype == np.int32
    assert t2.tolist() == [102, 100, 103, 101] and t2.dtype == np.int64
    assert x2.tolist() == [2.5, 0.5, 3.5, 1.5] and y2.tolist() == [-3.0, -1.0, -4.0, -2.0]
    assert s2.tolist() == [9, 7, 6, 8] and s2.dtype == np.int32


# ---------------------------------------------------------------------------- credited_runs


def pair_lists(inside):
    """pair_start, pair_ping, pair_fence, pair_poly from, per ping, [(fence, polygon), ...]."""
    pair_start = np.concatenate([[0], np.cumsum([len(v) for v in inside])]).astype(np.int64)
    ping = [i for i, v in enumerate(inside) for _ in v]
    fence = [f for v in inside for f, _ in v]
    poly = [p for v in inside for _, p in v]
    return (pair_start, np.array(ping, np.int64), np.array(fence, np.int32),
            np.array(poly, np.int32))  # fmt: skip


def runs(inside, off, t, x, y, src, gap, interpolate, n_fences, geoms):
    prs, rs, cx, cy = flat(geoms)
    out = K.credited_runs(*pair_lists(inside), np.asarray(off, np.int32), i64(*t),
                          np.asarray(x, float), np.asarray(y, float), np.asarray(src, np.int32),
                          i64(*gap), interpolate, n_fences, prs, rs, cx, cy)  # fmt: skip
    assert out[0].dtype == np.int32 and out[1].dtype == np.int32
    rows = [tuple(v.item() for v in r) for r in zip(*out)]
    return sorted(rows, key=lambda r: (r[1], r[0], r[2]))  # runs come in any order


F0, F1a, F1b = box(0, 0, 10, 10), box(20, 0, 30, 10), box(20, 0, 35, 10)


def test_credited_runs_by_hand_midpoint_rule():
    # fence 0 = polygon 0; fence 1 = polygons 1 and 2 (two versions, both holding pings 7, 8);
    # limits: source 0 100 ns, source 1 1000 ns
    inside = [[], [(0, 0)], [(0, 0)], [], [(0, 0)], [(0, 0)], [(0, 0)],
              [(1, 1), (1, 2)], [(1, 1), (1, 2)], [(0, 0)], [], [(1, 1)]]  # fmt: skip
    off = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    t = [1, 10, 30, 37, 300, 400, 601, 610, 620, 0, 500, 700]
    x = [-5, 5, 6, 15, 5, 5, 5, 25, 26, 5, 15, 25]
    y = [5, 5, 5, 5, 5, 6, 8, 5, 5, 5, 5, 5]
    src = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    got = runs(inside, off, t, x, y, src, (100, 1000), False, 2, [F0, F1a, F1b])
    h = 0.5 * math.sqrt(20**2 + 3**2)  # half the step (5, 8) -> (25, 5)
    want = [
        # ping 1: 9 ns from ping 0 outside: 9 // 2 = 4 back (10 - 4 = 6), half of 10 m;
        # to ping 2 inside: 20 ns and 1 m; ping 2 to ping 3 outside: 7 // 2 = 3 ns, 4.5 m
        (0, 0, 6, 33, 2, 5.0 + 1.0 + 4.5),
        # ping 4 after 263 ns unobserved; to ping 5 exactly 100 ns (observed), 1 m; ping 5 to
        # ping 6 201 ns, unobserved
        (0, 0, 300, 400, 2, 1.0),
        # ping 6 inside after an unobserved gap from ping 5 (also inside): a new run; 9 ns to
        # ping 7 in fence 1: 4 ns each side
        (0, 0, 601, 605, 1, h),
        # pings 7 and 8 in both versions of fence 1: counted once; ping 8 is officer 0's last
        (1, 0, 606, 620, 2, h + 1.0),
        # officer 1: ping 9 (source 1) to ping 10 (source 0) 500 ns, within the larger limit
        (0, 1, 0, 250, 1, 5.0),
        # ping 11 after 200 ns (both source 0): unobserved; the last ping: no credit either side
        (1, 1, 700, 700, 1, 0.0),
    ]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g[:5] == w[:5]
        assert math.isclose(g[5], w[5], rel_tol=1e-12)


def test_credited_runs_first_ping_inside_and_a_single_officer():
    # ping 0 inside, ping 1 outside 3 ns later: 1 ns credited after ping 0, none before it
    # (there is no ping before it: the last ping is not one)
    got = runs([[(0, 0)], []], [0, 0], [0, 3], [5, 15], [5, 5], [0, 0], (100,), False, 1, [F0])
    assert got == [(0, 0, 0, 1, 1, 5.0)]
    # the other way round: 1 ns before ping 1
    got = runs([[], [(0, 0)]], [0, 0], [0, 3], [15, 5], [5, 5], [0, 0], (100,), False, 1, [F0])
    assert got == [(0, 0, 2, 3, 1, 5.0)]
    # a fence index past the first: fence 1 only
    got = runs([[(1, 0)], [(1, 0)]], [0, 0], [0, 3], [5, 6], [5, 5], [0, 0], (100,), False, 2,
               [F0])  # fmt: skip
    assert got == [(1, 0, 0, 3, 2, 1.0)]


def test_credited_runs_two_officers_in_one_fence():
    # officer 0 in fence 0 at 0 and 10 ns; officer 1 in fence 0 at 10 and 20 ns: two runs, the
    # second officer's not joined to the first's although it starts where that one ends
    inside = [[(0, 0)], [(0, 0)], [(0, 0)], [(0, 0)]]
    got = runs(inside, [0, 0, 1, 1], [0, 10, 10, 20], [1, 2, 3, 4], [5, 5, 5, 5], [0] * 4,
               (100,), False, 1, [F0])  # fmt: skip
    assert got == [(0, 0, 0, 10, 2, 1.0), (0, 1, 10, 20, 2, 1.0)]


def test_credited_runs_interpolated_at_the_crossing():
    # fence 0 = the square (0,0)-(10,10); source 0 limit 1000 ns; steps along y = 5 and x = 7
    inside = [[(0, 0)], [], [(0, 0)], [], [(0, 0)], []]
    t = [0, 100, 207, 300, 400, 500]
    x = [4, 14, 7, 7, 0, -10]
    y = [5, 5, 5, 12, 5, 5]
    got = runs(inside, [0] * 6, t, x, y, [0] * 6, (1000,), True, 1, [F0])
    want = [
        # ping 0 at x = 4, out at x = 10 of 14: 0.6 of 100 ns, 6 m
        (0, 0, 0, 60, 1, 6.0),
        # ping 2 at x = 7 back to x = 14: out at 3/7 of 107 ns, round(45.86) = 46, 3 m; on to
        # (7, 12): out at y = 10, 5/7 of 93 ns, round(66.43) = 66, 5 m
        (0, 0, 207 - 46, 207 + 66, 1, 8.0),
        # ping 4 on the west edge (inside): its segments leave at once, 0 ns and 0 m each side
        (0, 0, 400, 400, 1, 0.0),
    ]
    assert len(got) == 3
    for g, w in zip(got, want):
        assert g[:5] == w[:5] and math.isclose(g[5], w[5], rel_tol=1e-12), (g, w)
    # the same pings by the midpoint rule: 50, 107 // 2 = 53 and 93 // 2 = 46, 100 // 2 each;
    # half of each step: 5; 3.5 + 3.5; half of (7, 7) and of 10
    got = runs(inside, [0] * 6, t, x, y, [0] * 6, (1000,), False, 1, [F0])
    d4 = 0.5 * math.hypot(7, 7) + 5.0
    want = [(0, 0, 0, 50, 1, 5.0), (0, 0, 154, 253, 1, 7.0), (0, 0, 350, 450, 1, d4)]
    for g, w in zip(got, want):
        assert g[:5] == w[:5] and math.isclose(g[5], w[5], rel_tol=1e-12), (g, w)


def test_interpolation_with_no_crossing_falls_back_to_the_midpoint():
    # ping 1 is inside the square but not in the fence (say its version had ended): the line
    # crosses no edge, so the midpoint rule applies: 10 // 2 ns and half of 1 m
    got = runs([[(0, 0)], []], [0, 0], [0, 10], [5, 6], [5, 5], [0, 0], (100,), True, 1, [F0])
    assert got == [(0, 0, 0, 5, 1, 0.5)]


def test_credit_rounds_a_crossing_to_the_nearest_nanosecond():
    # _credit directly: inside ping 0 at x = 9, ping 1 at x = 10.75 outside: out at 1/1.75 of
    # the way; 3 ns * 4/7 = 1.71 -> 2; the midpoint rule gives 3 // 2 = 1
    prs, rs, cx, cy = flat([F0])
    t, x, y, src = i64(0, 3), np.array([9.0, 10.75]), np.array([5.0, 5.0]), np.zeros(2, np.int32)
    gap = i64(10)
    c, d = K._credit(0, 1, False, 0, True, t, x, y, src, gap, prs, rs, cx, cy)
    assert c == 2 and math.isclose(d, 1.0)
    c, d = K._credit(0, 1, False, 0, False, t, x, y, src, gap, prs, rs, cx, cy)
    assert c == 1 and d == 0.875
    c, d = K._credit(1, 0, True, 0, False, t, x, y, src, gap, prs, rs, cx, cy)
    assert c == 3 and d == 1.75
    # a gap over the limit: nothing
    c, d = K._credit(0, 1, True, 0, False, t, x, y, src, i64(2), prs, rs, cx, cy)
    assert c == 0 and d == 0.0


# ---------------------------------------------------------------------------- observed time


def test_observed_ns_per_officer_and_source():
    # limits: source 0 100 ns, source 1 1000 ns; a pair uses the larger of its two
    off = np.array([0, 0, 0, 0, 0, 1, 1, 2], dtype=np.int32)
    t = i64(0, 100, 201, 1201, 1701, 50, 2050, 7)
    src = np.array([0, 0, 0, 1, 0, 1, 1, 0], dtype=np.int32)
    # officer 0: 100 (at the limit: observed), 101 (over), 1000 (0 then 1), 500 (1 then 0);
    # officer 1: 2000 over 1000; officer 2 one ping; officer 3 none
    obs, unobs = K.observed_ns(off, t, src, i64(100, 1000), 4)
    assert obs.tolist() == [1600, 0, 0, 0]
    assert unobs.tolist() == [101, 2000, 0, 0]
    obs, unobs = K.observed_ns(off[:2], t[:2], src[:2], i64(100, 1000), 1)
    assert obs.tolist() == [100] and unobs.tolist() == [0]


# ------------------------------------------------------------------------- tasked windows


def test_window_ranges_with_pings_at_the_ends():
    # officer 0: pings at 10, 20, 30; officer 1 none; officer 2: 5, 15, 25, 35
    off_start = i64(0, 3, 3, 7)
    t = i64(10, 20, 30, 5, 15, 25, 35)
    w_off = i64(-1, 0, 2, 1, 2, 0, 0)
    w_t0 = i64(0, 10, 15, 0, 0, 11, 31)
    w_t1 = i64(100, 30, 35, 100, 100, 12, 40)
    i0, i1 = K.window_ranges(off_start, t, w_off, w_t0, w_t1)
    assert i0[0] == i1[0]  # officer -1: an empty range
    # [10, 30): the pings at 10 and 20, not 30; [15, 35): 15 and 25
    assert i0[1:].tolist() == [0, 4, 3, 3, 1, 3]
    assert i1[1:].tolist() == [2, 6, 3, 7, 1, 3]


def test_window_gaps_at_the_limit_and_at_the_windows_ends():
    # officer 0: pings at 0, 100, 250, 260, 500 of sources 0, 0, 0, 1, 1; officer 1 at 1000
    # and 1300 (source 0). Limits 100 and 150: unobserved gaps k = 1 (100->250, 150 > 100),
    # k = 3 (260->500, 240 > 150) and k = 5 (300 > 100); k = 0 is exactly 100: observed
    # officer 2 at 2000, 2010, 2130, 2400 of sources 0, 0, 1, 1: 120 ns from source 0 to 1 is
    # within 150 (observed), 270 is not (k = 9)
    off_start = i64(0, 5, 7, 11)
    t = i64(0, 100, 250, 260, 500, 1000, 1300, 2000, 2010, 2130, 2400)
    src = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1], dtype=np.int32)
    windows = [
        (0, 100, 250, [1]),  # the gap starting at t0
        (0, 250, 260, []),  # gap 1 ends at t0, gap 3 starts at t1
        (0, 249, 261, [1, 3]),
        (-1, 0, 5000, []),
        (1, 0, 2000, [5]),
        (0, 0, 1, []),  # gap 0 is at the limit
        (0, 400, 450, [3]),  # inside a gap
        (0, 0, 2000, [1, 3]),  # not the pair (4, 5) across officers
        (2, 2000, 3000, [9]),
    ]
    w_off = i64(*[w[0] for w in windows])
    w_t0 = i64(*[w[1] for w in windows])
    w_t1 = i64(*[w[2] for w in windows])
    gw, gk = K.window_gaps(off_start, t, src, i64(100, 150), w_off, w_t0, w_t1)
    want = [(w, k) for w, win in enumerate(windows) for k in win[3]]
    assert list(zip(gw.tolist(), gk.tolist())) == want
    assert gw.dtype == np.int64 and gk.dtype == np.int64
