"""Selecting places within capacity: merging, trimming, spacing, reasons."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose

from hspwork.errors import HspworkError, SchemaError
from hspwork.targeting.select import capacity, select


def cells(nrows, ncols, size=100.0, crs=27700):
    x0 = np.tile(np.arange(ncols) * size, nrows)
    y0 = np.repeat(np.arange(nrows) * size, ncols)
    g = gpd.GeoDataFrame(
        {"unit_id": np.arange(nrows * ncols)},
        geometry=shapely.box(x0, y0, x0 + size, y0 + size),
        crs=crs,
    )
    g["harm"] = 0.0
    g["crimes"] = 0
    return g


def test_capacity_by_hand():
    # 5 officers x 4 h = 1200 min; 4 visits x 15 min = 60 min per place per day -> 20 places
    assert capacity(5, 4, visits_per_day=4, minutes_per_visit=15) == 20
    # 10 x 8 h x 60 x 0.5 = 2400 min / 45 = 53.3 -> 53
    assert capacity(10, 8, share_of_time=0.5) == 53
    assert capacity(2, 8, shifts_per_day=3, visits_per_day=2, minutes_per_visit=12) == 120
    with pytest.raises(HspworkError, match="officers must be positive, got 0"):
        capacity(0, 8)
    with pytest.raises(HspworkError, match="share_of_time must be in"):
        capacity(1, 8, share_of_time=1.5)


def test_forty_hot_spots_resources_for_twenty():
    # 40 isolated hot cells 600 m apart on a line of 100 m cells; harm 40, 39, ..., 1
    g = cells(1, 240)
    hot_ids = np.arange(0, 240, 6)
    g.loc[hot_ids, "harm"] = np.arange(40, 0, -1, dtype=float)
    g.loc[hot_ids, "crimes"] = 1
    sel = select(g, "harm", capacity=capacity(5, 4, visits_per_day=4, minutes_per_visit=15))
    assert len(sel.places) == 40
    assert len(sel.chosen) == 20 and len(sel.next_best) == 20
    assert sel.chosen["value"].min() > sel.next_best["value"].max()
    assert sel.next_best["reason"].str.contains("beyond capacity 20").all()
    assert sel.places["crimes"].sum() == 40
    assert "capacity 20" in sel.summary()


def test_adjacent_units_merge_and_large_blocks_are_trimmed():
    g = cells(5, 5)
    # a 3x3 block of hot cells (radius 212 m > 150 m) with the hottest corner at unit 6
    block = [6, 7, 8, 11, 12, 13, 16, 17, 18]
    g.loc[block, "harm"] = [50, 40, 5, 45, 30, 5, 5, 5, 5]
    sel = select(g, "harm", capacity=5)
    p = sel.places.iloc[0]
    # the hottest 2x2 corner (6, 7, 11, 12) is the largest core that fits: radius 141.4 m
    assert sorted(p["unit_ids"]) == [6, 7, 11, 12]
    assert_allclose(p["radius_m"], np.hypot(100, 100), rtol=1e-6)
    assert p["value"] == 165
    assert "hottest 4 of a hot area of 9 units" in p["reason"]
    assert p["status"] == "chosen"
    # the rest of the block becomes further candidates, every unit accounted for once ...
    ids = [u for ids in sel.places["unit_ids"] for u in ids]
    assert sorted(ids) == sorted(block)
    assert (sel.places["radius_m"] <= 150 + 1e-6).all()
    # ... all too close to the chosen core to be kept as separate places
    rest = sel.places.iloc[1:]
    assert (rest["status"] == "cut").all()
    assert rest["reason"].str.contains("a hot area of 9 units").all()
    assert rest["reason"].str.contains("from place 1").all()


def test_spacing_cuts_the_cooler_place_with_reason():
    g = cells(1, 20)
    g.loc[[0, 4, 10], "harm"] = [100.0, 80.0, 60.0]  # centres 400 m and 1000 m from unit 0
    sel = select(g, "harm", capacity=3)
    status = dict(zip(sel.places["value"], sel.places["status"]))
    assert status == {100.0: "chosen", 80.0: "cut", 60.0: "chosen"}
    cut = sel.places[sel.places["status"] == "cut"].iloc[0]
    assert "centre 400 m from place 1" in cut["reason"]
    assert "minimum spacing 500 m" in cut["reason"]


def test_single_unit_too_wide_is_cut():
    g = cells(1, 3, size=400.0)  # each cell has radius 283 m
    g.loc[[0], "harm"] = 10.0
    sel = select(g, "harm", capacity=1)
    assert sel.places.iloc[0]["status"] == "cut"
    assert "wider than 150 m radius" in sel.places.iloc[0]["reason"]


def test_metres_in_feet_crs():
    ft = 1 / 0.30480060960121924
    g = cells(1, 20, size=100.0 * ft, crs=2263)
    g.loc[[0, 4, 10], "harm"] = [100.0, 80.0, 60.0]
    sel = select(g, "harm", capacity=3)
    assert sel.places["status"].tolist() == ["chosen", "cut", "chosen"]
    assert_allclose(sel.places["radius_m"].iloc[0], np.hypot(50, 50), rtol=1e-6)


def test_gi_bin_default_and_errors_and_plot():
    g = cells(1, 10)
    g["gi_bin"] = [3, 0, 0, 0, 0, 0, 0, 2, 1, 0]
    g["harm"] = [5.0, 9, 9, 9, 9, 9, 9, 4, 100, 0]
    sel = select(g, "harm", capacity=5)
    assert sorted(int(u) for ids in sel.places["unit_ids"] for u in ids) == [0, 7]
    fig = sel.plot(units=g)
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(SchemaError, match="no column 'risk'"):
        select(g, "risk", capacity=1)
    with pytest.raises(HspworkError, match="no unit is flagged hot"):
        select(g, "harm", capacity=1, hot=np.zeros(10, bool))
