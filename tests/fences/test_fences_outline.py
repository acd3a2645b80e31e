"""Fences made from units have one vertex per corner; the glossary's column names, old ones warn."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import Point, Polygon, box

from hspwork.errors import HspworkError
from hspwork.fences import fence_figures, make_fences, simplify_outlines
from hspwork.units import grid

T0 = "2024-01-01T00:00Z"


def _cells(coords, size=50.0):
    return [box(x * size, y * size, (x + 1) * size, (y + 1) * size) for x, y in coords]


def test_a_block_of_cells_has_its_four_corners_only():
    # 3 x 2 cells: the union keeps a vertex where each inner cell edge meets the outline
    # (2 on each long side, 1 on each short side): 4 corners + 6 = 10 vertices.
    block = shapely.union_all(_cells([(x, y) for x in range(3) for y in range(2)]))
    assert shapely.get_num_coordinates(block) == 11
    f = make_fences(gpd.GeoDataFrame(geometry=[block], crs=27700), valid_from=T0)
    g = f.geometry.iloc[0]
    assert shapely.get_num_coordinates(g) == 5  # 4 corners and the closing point
    assert sorted(set(g.exterior.coords)) == [(0, 0), (0, 100), (150, 0), (150, 100)]
    assert g.area == block.area == 15_000.0


def test_an_l_shape_keeps_its_inner_corner():
    cells = _cells([(0, 0), (1, 0), (2, 0), (0, 1), (0, 2)])
    f = make_fences(gpd.GeoDataFrame(geometry=[shapely.union_all(cells)], crs=27700), valid_from=T0)
    ring = list(f.geometry.iloc[0].exterior.coords)[:-1]
    # Worked by hand: the L's six corners, nothing else.
    assert sorted(ring) == [(0, 0), (0, 150), (50, 50), (50, 150), (150, 0), (150, 50)]


def test_hex_unions_keep_every_real_corner():
    h = grid(gpd.GeoSeries([box(0, 0, 400, 400)], crs=27700), 100, shape="hex")
    cent = shapely.centroid(h.geometry.to_numpy())
    # Two hexagons sharing a side: 6 + 6 - 2 = 10 corners, none collinear.
    d = shapely.distance(cent[:, None], cent[None, :])
    i, j = np.argwhere(np.isclose(d, 100.0))[0]
    pair = shapely.union_all(h.geometry.to_numpy()[[i, j]])
    out = simplify_outlines([pair])[0]
    assert shapely.get_num_coordinates(out) == 11
    assert_allclose(out.area, pair.area, rtol=1e-12)


def test_float_noise_at_a_corner_becomes_one_vertex():
    # A corner written twice, 2 mm apart, and a vertex 3 mm off a straight side.
    noisy = Polygon([(0, 0), (50, 0.003), (100, 0), (100, 100), (0.002, 100), (0, 100)])
    out = simplify_outlines([noisy])[0]
    assert shapely.get_num_coordinates(out) == 5
    assert shapely.hausdorff_distance(out, box(0, 0, 100, 100)) < 0.01
    # A real bend (5 m) stays at the default tolerance of 1 cm.
    bent = Polygon([(0, 0), (50, 5), (100, 0), (100, 100), (0, 100)])
    assert shapely.get_num_coordinates(simplify_outlines([bent])[0]) == 6
    with pytest.raises(HspworkError, match=r"tolerance_m must be a number of metres >= 0, got -1"):
        simplify_outlines([bent], -1)


def test_simplify_can_be_switched_off_and_works_in_feet():
    block = shapely.union_all(_cells([(0, 0), (1, 0)]))
    kept = make_fences(
        gpd.GeoDataFrame(geometry=[block], crs=27700), valid_from=T0, simplify_m=None
    )
    assert shapely.get_num_coordinates(kept.geometry.iloc[0]) == 7
    # EPSG:2263 is in US feet: 1 cm is 0.0328 ft, so a 0.02 ft (6 mm) kink goes, 0.05 ft stays.
    kink = Polygon([(0, 0), (50, 0.02), (100, 0), (100, 100), (0, 100)])
    assert shapely.get_num_coordinates(simplify_outlines([kink], 0.01, crs=2263)[0]) == 5
    assert shapely.get_num_coordinates(simplify_outlines([kink], 0.001, crs=2263)[0]) == 6


def test_old_column_argument_names_warn_and_still_work():
    places = gpd.GeoDataFrame(
        {"place": ["a"], "label": ["Market"]}, geometry=[box(0, 0, 50, 50)], crs=27700
    )
    new = make_fences(places, id_column="place", name_column="label", valid_from=T0)
    with pytest.warns(
        FutureWarning, match=r"make_fences\(id_col=\.\.\.\) is deprecated; use id_column"
    ):
        old = make_fences(places, id_col="place", name_column="label", valid_from=T0)
    with pytest.warns(FutureWarning, match=r"use name_column"):
        old2 = make_fences(places, id_column="place", name_col="label", valid_from=T0)
    assert (
        old[["fence_id", "name"]].values.tolist()
        == [["a", "Market"]]
        == new[["fence_id", "name"]].values.tolist()
        == old2[["fence_id", "name"]].values.tolist()
    )
    with (
        pytest.raises(HspworkError, match=r"give id_column= or id_col=, not both"),
        pytest.warns(FutureWarning),
    ):
        make_fences(places, id_column="place", id_col="label", valid_from=T0)
    crimes = gpd.GeoDataFrame({"days": [3.0, 4.0]}, geometry=[Point(1, 1), Point(9, 9)], crs=27700)
    with pytest.warns(FutureWarning, match=r"fence_figures\(harm_col=\.\.\.\) is deprecated"):
        a = fence_figures(new, crimes, harm_col="days")
    b = fence_figures(new, crimes, harm_column="days")
    assert a["harm"].tolist() == b["harm"].tolist() == [7.0]


def test_from_file_takes_id_column_and_warns_on_its_old_name(tmp_path):
    from hspwork.fences import from_file

    path = tmp_path / "f.geojson"
    gpd.GeoDataFrame(
        {"ref": ["A1", "B2"]}, geometry=[box(0, 0, 100, 100), box(500, 0, 600, 100)], crs=27700
    ).to_file(path)
    assert from_file(path, id_column="ref")["fence_id"].tolist() == ["A1", "B2"]
    with pytest.warns(FutureWarning, match=r"from_file\(id_col=\.\.\.\) is deprecated"):
        assert from_file(path, id_col="ref")["fence_id"].tolist() == ["A1", "B2"]
