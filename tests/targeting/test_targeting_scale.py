"""Scale: default size rule and predictive accuracy against hand counts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import Point, box

from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.targeting.scale import compare_scales, default_scale, pai


def test_default_scale_rule():
    pts = gpd.GeoSeries([Point(0, 0), Point(12_000, 20_000)], crs=27700)
    s = default_scale(pts)
    # shorter side 12 km / 50 = 240 m -> 200 m; 60 x 100 cells
    assert s.cell_size_m == 200.0
    assert s.n_cells == 6000
    assert_allclose(s.neighbour_distance_m, 200 * np.sqrt(2))
    assert "200 m cells" in s.summary()
    small = default_scale(gpd.GeoSeries([Point(0, 0), Point(1700, 2500)], crs=27700))
    assert small.cell_size_m == 30.0  # 34 m -> 30 m
    with pytest.warns(HspworkWarning, match="over 100,000"):
        default_scale(gpd.GeoSeries([Point(0, 0), Point(5000, 400_000)], crs=27700))
    with pytest.raises(HspworkError, match="one point"):
        default_scale(gpd.GeoSeries([Point(1, 1), Point(1, 1)], crs=27700))


def test_default_scale_in_feet_reports_metres():
    ft = 1 / 0.30480060960121924
    pts = gpd.GeoSeries([Point(0, 0), Point(12_000 * ft, 20_000 * ft)], crs=2263)
    assert default_scale(pts).cell_size_m == 200.0


def test_pai_by_hand():
    assert pai(30, 100, 2, 100) == 15.0
    with pytest.raises(HspworkError, match=r"positive.*crimes_total=0, area_in=1, area_total=1"):
        pai(1, 0, 1, 1)


def test_compare_scales_by_hand():
    area = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=27700)
    # train: 10 crimes in cell (2, 2) of the 100 m grid, 4 in cell (7, 7), 1 in (0, 9)
    train = gpd.GeoDataFrame(
        {"harm": [1.0] * 15},
        geometry=[Point(250, 250)] * 10 + [Point(750, 750)] * 4 + [Point(50, 950)],
        crs=27700,
    )
    # test: 6 in (2, 2), 2 in (7, 7), 2 elsewhere
    test = gpd.GeoDataFrame(
        {"harm": [1.0] * 10},
        geometry=[Point(255, 245)] * 6 + [Point(760, 740)] * 2 + [Point(500, 50), Point(950, 50)],
        crs=27700,
    )
    t = compare_scales(train, test, area, [100, 500], area_share=0.02)
    r100 = t.iloc[0]
    # 100 m: 100 cells, 2 flagged (2% of area): train share 14/15, hit rate 8/10, PAI 0.8/0.02
    assert (r100["n_cells"], r100["hot_cells"]) == (100, 2)
    assert_allclose([r100["train_share"], r100["hit_rate"], r100["pai"]], [14 / 15, 0.8, 40.0])
    # 500 m: 4 cells, floor(0.08) -> at least 1 flagged: the SW quarter (10 train, 7 test)
    r500 = t.iloc[1]
    assert r500["hot_cells"] == 1
    assert_allclose([r500["area_share"], r500["hit_rate"], r500["pai"]], [0.25, 0.7, 2.8])
    assert t.attrs["best_cell_size_m"] == 100.0
    harm = compare_scales(train, test, area, [100], area_share=0.02, value="harm")
    assert_allclose(harm["pai"], [40.0])
    with pytest.raises(HspworkError, match="area_share must be between 0 and 1"):
        compare_scales(train, test, area, [100], area_share=2)
    with pytest.raises(SchemaError, match="no 'harm' column"):
        compare_scales(train.drop(columns="harm"), test, area, [100], value="harm")
