"""Units: grids, hexagons, street segments, user polygons, counting overall and by period."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import LineString, Point, box

from hspwork.errors import DataDroppedWarning, HspworkError, HspworkWarning, SchemaError
from hspwork.report import report_of
from hspwork.targeting._weights import neighbours
from hspwork.units import (
    assign,
    count,
    count_by_period,
    grid,
    polygons,
    street_segments,
)


def test_square_grid_covers_boundary_and_keeps_empty_cells():
    boundary = gpd.GeoSeries([shapely.Polygon([(0, 0), (450, 0), (450, 320), (0, 320)])], crs=27700)
    g = grid(boundary, 100)
    # 5 columns (0..500) x 4 rows (0..400): every cell overlaps the boundary
    assert len(g) == 20
    assert g["unit_id"].tolist() == list(range(20))
    assert_allclose(g.area, 10_000.0)
    assert g.attrs["cell_size_m"] == 100 and g.attrs["shape"] == "square"
    # cells only touching the boundary from outside are not kept
    g2 = grid(gpd.GeoSeries([box(0, 0, 400, 300)], crs=27700), 100)
    assert len(g2) == 12


def test_grid_excludes_cells_outside_an_l_shape():
    l_shape = shapely.Polygon([(0, 0), (300, 0), (300, 100), (100, 100), (100, 300), (0, 300)])
    g = grid(gpd.GeoSeries([l_shape], crs=27700), 100)
    assert len(g) == 5  # 3 along the bottom + 2 up the side


def test_grid_in_us_feet_uses_metres():
    boundary = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=2263)  # feet
    g = grid(boundary, 100.0)  # 100 m = 328.083 ft
    side_ft = 100.0 / 0.30480060960121924
    assert_allclose(np.sqrt(g.area.iloc[0]), side_ft, rtol=1e-9)
    assert len(g) == int(np.ceil(1000 / side_ft)) ** 2


def test_grid_from_crime_points_covers_their_extent():
    pts = gpd.GeoSeries([Point(10, 10), Point(390, 190)], crs=27700)
    g = grid(pts, 100)
    assert len(g) == 8
    assert g.total_bounds.tolist() == [0.0, 0.0, 400.0, 200.0]


def test_hex_grid_geometry_and_contiguity():
    g = grid(gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=27700), 100, shape="hex")
    assert_allclose(g.area, np.sqrt(3) / 2 * 100**2, rtol=1e-6)
    w = neighbours(g, "queen")
    card = np.diff(w.indptr)
    assert card.max() == 6
    # centres of neighbours are 100 m apart
    c = np.column_stack([g.centroid.x, g.centroid.y])
    i = int(np.argmax(card))
    d = np.hypot(*(c[w[i].indices] - c[i]).T)
    assert_allclose(d, 100.0, rtol=1e-6)
    # the grid covers the whole box
    assert g.union_all().contains(box(0, 0, 1000, 1000).buffer(-1))


def test_grid_errors():
    boundary = gpd.GeoSeries([box(0, 0, 10, 10)], crs=27700)
    with pytest.raises(HspworkError, match="shape='triangle' is not allowed"):
        grid(boundary, 5, shape="triangle")
    with pytest.raises(HspworkError, match="positive number of metres, got -1"):
        grid(boundary, -1)
    with pytest.raises(HspworkError, match="must be a GeoDataFrame or GeoSeries"):
        grid(box(0, 0, 1, 1), 1)


def test_street_segments_split_at_intersections_and_max_length():
    streets = gpd.GeoDataFrame(
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(300, -200), (300, 200)])], crs=27700
    )
    seg = street_segments(streets, max_length_m=250)
    # horizontal: 0-300 (2 x 150), 300-1000 (700 -> 3 x 233.3); vertical: 2 x 200
    assert sorted(seg["length_m"].round(1)) == [150.0, 150.0, 200.0, 200.0, 233.3, 233.3, 233.3]
    assert_allclose(seg["length_m"].sum(), 1400.0)
    assert (seg["length_m"] <= 250 + 1e-9).all()
    no_max = street_segments(streets, max_length_m=None)
    assert sorted(no_max["length_m"].round(1)) == [200.0, 200.0, 300.0, 700.0]


def test_street_broken_between_junctions_is_rejoined():
    # one street drawn as two lines meeting at x = 400 where nothing crosses, and a cross street
    streets = gpd.GeoSeries(
        [
            LineString([(0, 0), (400, 0)]),
            LineString([(400, 0), (900, 0)]),
            LineString([(600, -100), (600, 100)]),
        ],
        crs=27700,
    )
    seg = street_segments(streets, max_length_m=None)
    assert sorted(seg["length_m"].round(1)) == [100.0, 100.0, 300.0, 600.0]


def test_snapping_drops_far_crimes_with_reason():
    seg = street_segments(
        gpd.GeoSeries([LineString([(0, 0), (100, 0)])], crs=27700), max_length_m=None
    )
    crimes = gpd.GeoDataFrame(
        {"crime_id": ["a", "b", "c", "d"]},
        geometry=[Point(10, 5), Point(50, -29), Point(50, 31), None],
        crs=27700,
    )
    with pytest.warns(DataDroppedWarning, match="dropped 2"):
        placed = assign(crimes, seg, max_distance_m=30)
    assert placed["crime_id"].tolist() == ["a", "b"]
    assert_allclose(placed["snap_distance_m"], [5.0, 29.0])
    rep = report_of(placed)
    assert rep.rows_read == 4 and rep.rows_kept == 2
    assert rep.dropped == {"no location": 1, "farther than 30 m from every segment": 1}


def test_snapping_distance_is_metres_in_feet_crs():
    ft = 1 / 0.30480060960121924
    seg = gpd.GeoDataFrame({"unit_id": [7]}, geometry=[LineString([(0, 0), (1000, 0)])], crs=2263)
    crimes = gpd.GeoDataFrame(geometry=[Point(10, 25 * ft), Point(10, 35 * ft)], crs=2263)
    with pytest.warns(DataDroppedWarning):
        placed = assign(crimes, seg, max_distance_m=30)
    assert placed["unit_id"].tolist() == [7]
    assert_allclose(placed["snap_distance_m"], [25.0])


def test_count_crimes_and_harm_by_hand():
    g = grid(gpd.GeoSeries([box(0, 0, 200, 100)], crs=27700), 100)
    crimes = gpd.GeoDataFrame(
        {"harm": [365.0, 2.0, 1.0, 10.0]},
        geometry=[Point(10, 10), Point(20, 20), Point(150, 50), Point(500, 500)],
        crs=27700,
    )
    with pytest.warns(DataDroppedWarning, match="outside every unit: 1"):
        out = count(g, crimes)
    assert out["crimes"].tolist() == [2, 1]
    assert out["harm"].tolist() == [367.0, 1.0]
    assert report_of(out, "count_report").rows_read == 4
    assert out.attrs["count_report"]["dropped"] == {"outside every unit": 1}  # JSON form


def test_user_polygons_keep_ids():
    f = gpd.GeoDataFrame(
        {"beat": ["N1", "N2"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700
    )
    u = polygons(f, "beat")
    assert u["unit_id"].tolist() == ["N1", "N2"]
    dup = gpd.GeoDataFrame(
        {"beat": ["N1", "N1"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700
    )
    with pytest.raises(SchemaError, match="must be unique; repeated: \\['N1'\\]"):
        polygons(dup, "beat")
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700)
    with pytest.raises(SchemaError, match="Polygon"):
        polygons(pts)
    crimes = gpd.GeoDataFrame(geometry=[Point(1.5, 0.5)], crs=27700)
    assert count(u, crimes)["crimes"].tolist() == [0, 1]


def _crimes_at(times, xs):
    return gpd.GeoDataFrame(
        {
            "occurred_from": pd.to_datetime(times, utc=True, format="ISO8601"),
            "harm": np.arange(1.0, len(times) + 1),
        },
        geometry=[Point(x, 5) for x in xs],
        crs=27700,
    )


def test_count_by_period_month_week_quarter_28d():
    u = gpd.GeoDataFrame(
        {"unit_id": [0, 1]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700
    )
    times = ["2024-01-01 00:30", "2024-01-07 23:00", "2024-01-08 00:00", "2024-02-15", "2024-04-01"]
    c = _crimes_at(times, [1, 1, 15, 15, 1])
    m = count_by_period(u, c, "month")
    assert m.attrs["periods"] == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    assert m[m.attrs["periods"]].values.tolist() == [[2, 0, 0, 1], [1, 1, 0, 0]]
    q = count_by_period(u, c, "quarter")
    assert q.attrs["periods"] == ["2024-01-01", "2024-04-01"]
    assert q[q.attrs["periods"]].values.tolist() == [[2, 1], [2, 0]]
    w = count_by_period(u, c, "week")  # 2024-01-01 is a Monday
    assert w.attrs["periods"][:2] == ["2024-01-01", "2024-01-08"]
    assert w["2024-01-01"].tolist() == [2, 0] and w["2024-01-08"].tolist() == [0, 1]
    assert w[w.attrs["periods"]].to_numpy().sum() == 5
    d28 = count_by_period(u, c, "28D")
    assert d28.attrs["periods"][:3] == ["2024-01-01", "2024-01-29", "2024-02-26"]
    h = count_by_period(u, c, "month", value="harm")
    assert h[h.attrs["periods"]].values.tolist() == [[3.0, 0, 0, 5.0], [3.0, 4.0, 0, 0]]


def test_count_by_period_local_midnight_and_study_window():
    u = gpd.GeoDataFrame({"unit_id": [0]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST)
    c = _crimes_at(["2024-06-30 23:30", "2024-06-15 12:00", "2023-01-01"], [1, 1, 1])
    start = pd.Timestamp("2024-06-01", tz="Europe/London")
    with pytest.warns(DataDroppedWarning, match="outside the study period: 1"):
        m = count_by_period(u, c, "month", tz="Europe/London", start=start)
    assert m.attrs["periods"] == ["2024-06-01", "2024-07-01"]
    assert m[m.attrs["periods"]].values.tolist() == [[1, 1]]
    rep = report_of(m, "count_report")
    assert rep.rows_read == 3 and rep.rows_kept == 2
    with pytest.raises(HspworkError, match="period='fortnight' is not allowed"):
        count_by_period(u, c, "fortnight")


@pytest.mark.parametrize(("crime_unit", "bound_unit"), [("ns", "us"), ("us", "ns"), ("s", "ns")])
def test_count_by_period_mixed_time_units(crime_unit, bound_unit):
    # Loaders give crime times in ns while pd.Timestamp("...") is in us: the same instants
    # must count the same whatever unit each side carries.
    u = gpd.GeoDataFrame({"unit_id": [0]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    c = _crimes_at(["2024-06-15 12:00", "2024-07-02 08:00", "2023-01-01"], [1, 1, 1])
    c["occurred_from"] = c["occurred_from"].dt.as_unit(crime_unit)
    start = pd.Timestamp("2024-06-01", tz="Europe/London").as_unit(bound_unit)
    end = pd.Timestamp("2024-07-31", tz="Europe/London").as_unit(bound_unit)
    with pytest.warns(DataDroppedWarning, match="outside the study period: 1"):
        m = count_by_period(u, c, "month", tz="Europe/London", start=start, end=end)
    assert m[m.attrs["periods"]].values.tolist() == [[1, 1]]


def test_count_by_period_naive_bounds_refused():
    u = gpd.GeoDataFrame({"unit_id": [0]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    c = _crimes_at(["2024-06-15 12:00"], [1])
    with pytest.raises(SchemaError, match=r"end=.*has no time zone"):
        count_by_period(
            u,
            c,
            "month",
            start=pd.Timestamp("2024-06-01", tz="UTC"),
            end=pd.Timestamp("2024-07-01"),
        )


def test_scale_travels_from_grid_to_hot_spot_results():
    from hspwork.targeting import gistar

    g = grid(gpd.GeoSeries([box(0, 0, 500, 500)], crs=27700), 100, shape="hex")
    crimes = gpd.GeoDataFrame(geometry=[Point(250, 250)] * 5 + [Point(50, 50)], crs=27700)
    out = gistar(count(g, crimes), "crimes")
    assert out.attrs["cell_size_m"] == 100
    assert out.attrs["gistar"]["units_text"] == "100 m hexagonal cells"
    assert out.attrs["gistar"]["neighbours_text"] == "queen contiguity"


def test_count_by_period_names_the_gaps_in_the_data():
    # Three Julys of monthly data: every month between them has no record anywhere
    u = gpd.GeoDataFrame(
        {"unit_id": [0, 1]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700
    )
    c = _crimes_at(["2022-07-05", "2022-07-20", "2023-07-02", "2024-07-09"], [1, 15, 1, 1])
    with pytest.warns(HspworkWarning, match=r"2022-08-01, .* and 16 more: no record anywhere"):
        cube = count_by_period(u, c, "month", tz="UTC")
    assert len(cube.attrs["periods"]) == 25
    assert len(cube.attrs["empty_periods"]) == 22
    assert "2022-07-01" not in cube.attrs["empty_periods"]
    assert cube.attrs["empty_periods"][:2] == ["2022-08-01", "2022-09-01"]
    assert "22 of 25 periods have no record anywhere" in report_of(cube, "count_report").notes[-1]
    # a period with crime in one unit only is not a gap: the other unit's 0 is real
    assert cube["2023-07-01"].tolist() == [1, 0]
    # every value in attrs is plain JSON, so the cube saves as it is
    import json

    json.dumps(cube.attrs)
    assert cube.attrs["period_edges"][0] == "2022-07-01T00:00:00+00:00"


def test_lattice_placement_equals_the_spatial_index_on_edges_and_corners():
    # Points scattered at random, many exactly on cell edges and corners (integer eastings on
    # a 150 m grid), rows of the grid shuffled: arithmetic placement must equal GEOS's
    # "intersects, first unit in row order" answer for every point.
    from hspwork.targeting._weights import detect_lattice
    from hspwork.units import _place_by_tree, _place_on_lattice

    g = grid(gpd.GeoSeries([box(0, 0, 3000, 2100)], crs=27700), 150).sample(
        frac=1.0, random_state=3
    )
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-200, 3200, 3000), rng.integers(0, 21, 800) * 150.0])
    y = np.concatenate([rng.uniform(-200, 2300, 3000), rng.integers(0, 15, 800) * 150.0])
    x[:400] = np.round(x[:400] / 150) * 150  # on vertical edges
    pts = shapely.points(x, y)
    geoms = np.asarray(g.geometry.values)
    lat = detect_lattice(g)
    fast = _place_on_lattice(pts, geoms, lat)
    ref = _place_by_tree(pts, geoms)
    assert (fast == ref).all()
    assert (ref == -1).sum() > 100 and (fast >= 0).sum() > 3000  # outside and inside both met
    # and count() uses it: the totals match a count by the spatial index
    crimes = gpd.GeoDataFrame(geometry=pts, crs=27700)
    with pytest.warns(DataDroppedWarning, match="outside every unit"):
        out = count(g, crimes)
    expected = np.bincount(ref[ref >= 0], minlength=len(g))
    assert (out["crimes"].to_numpy() == expected).all()
