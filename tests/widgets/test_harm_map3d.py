"""The 3D harm map without a browser: what it sends to deck.gl for each view."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import LineString, box

from hspwork.errors import HspworkError, SchemaError
from hspwork.widgets import HarmMap3D
from hspwork.widgets.harm_map3d import colour_classes, deck_view, drill_choices, harm_columns

X0, Y0 = 530000.0, 180000.0


@pytest.fixture
def units():
    # A 4 x 3 grid of 100 m cells; harm 0..11 (cell 0 has none).
    cells = [box(X0 + 100 * i, Y0 + 100 * j, X0 + 100 * (i + 1), Y0 + 100 * (j + 1))
             for j in range(3) for i in range(4)]  # fmt: skip
    return gpd.GeoDataFrame(
        {"unit_id": range(12), "harm": np.arange(12, dtype=float)}, geometry=cells, crs=27700
    )


def test_colour_classes_are_quintiles_of_cells_with_harm():
    v = np.r_[0.0, 0.0, np.arange(1.0, 11.0)]  # zeros are left out
    assert_allclose(colour_classes(v), np.quantile(np.arange(1.0, 11.0), [0.2, 0.4, 0.6, 0.8]))
    assert colour_classes([0, 0]).tolist() == [0, 0, 0, 0]


def test_columns_for_cells_with_harm_with_fixed_colours(units):
    cols = harm_columns(units)
    assert cols["n_units"] == 11 and cols["values"] == list(np.arange(1.0, 12.0))
    # Quintile limits of 1..11 are 3, 5, 7, 9: harm 1-3 is class 0, 10-11 class 4.
    assert cols["colours"][0] == [255, 255, 178, 255] and cols["colours"][-1] == [189, 0, 38, 255]
    ring = np.array(cols["polygons"][0])
    back = gpd.GeoSeries(gpd.points_from_xy(ring[:, 0], ring[:, 1]), crs=4326).to_crs(27700)
    assert_allclose([back.x.min(), back.y.min()], [X0 + 100, Y0], atol=0.05)
    # Drilled down: the same colour for the same harm, whatever is in view.
    top = harm_columns(units, within=box(X0 + 250, Y0 + 250, X0 + 350, Y0 + 300))
    assert top["values"] == [10.0, 11.0] and top["colours"] == cols["colours"][-2:]
    assert top["bounds"] == [X0 + 200, Y0 + 200, X0 + 400, Y0 + 300]
    assert top["labels"] == ["10: harm 10", "11: harm 11"]
    with pytest.raises(SchemaError, match=r"units has no column 'days' \(harm_column\)"):
        harm_columns(units, "days")


def test_street_segments_stand_on_a_band(units):
    seg = gpd.GeoDataFrame(
        {"unit_id": [0], "harm": [5.0]}, geometry=[LineString([(X0, Y0), (X0 + 100, Y0)])],
        crs=27700,
    )  # fmt: skip
    cols = harm_columns(seg, footprint_m=10)
    ring = np.array(cols["polygons"][0])
    back = gpd.GeoSeries(gpd.points_from_xy(ring[:, 0], ring[:, 1]), crs=4326).to_crs(27700)
    assert_allclose([back.y.min(), back.y.max()], [Y0 - 5, Y0 + 5], atol=0.05)


def test_deck_view_fits_by_hand():
    v = deck_view(box(X0, Y0, X0 + 2000, Y0 + 1000), 27700, width_px=1000, height_px=500)
    lat = v["latitude"]
    # deck.gl: 78,271.5 m per pixel at zoom 0 on the equator (512 px tiles); 2 km in 400 px.
    assert_allclose(v["zoom"], math.log2(400 * 78271.51696 * math.cos(math.radians(lat)) / 2000))
    ll = gpd.GeoSeries([box(X0, Y0, X0 + 2000, Y0 + 1000)], crs=27700).to_crs(4326).total_bounds
    assert_allclose([v["longitude"], lat], [(ll[0] + ll[2]) / 2, (ll[1] + ll[3]) / 2])


def test_drill_down_to_a_district_and_a_hot_spot(units):
    beats = gpd.GeoDataFrame(
        {"name": ["West", "East"]},
        geometry=[box(X0, Y0, X0 + 200, Y0 + 300), box(X0 + 200, Y0, X0 + 400, Y0 + 300)],
        crs=27700,
    )
    spots = gpd.GeoDataFrame(
        {"fence_id": ["HS1"], "name": ["Market"]},
        geometry=[box(X0 + 310, Y0 + 210, X0 + 390, Y0 + 290)], crs=27700,
    )  # fmt: skip
    m = HarmMap3D(units, areas=beats.to_crs(4326), hotspots=spots)
    assert list(m.choices) == [
        "Force area",
        "District: West",
        "District: East",
        "Hot spot: HS1 · Market",
    ]
    force = m.deck.columns
    assert force["n_units"] == 11
    assert_allclose(m.deck.elevation_scale, 0.25 * 400 / 11)  # tallest is a quarter of 400 m
    m.picker.value = "District: East"  # what the drop-down does
    assert m.deck.columns["values"] == [2.0, 3.0, 6.0, 7.0, 10.0, 11.0]
    m.show("Hot spot: HS1 · Market")
    assert m.deck.columns["values"] == [11.0] and m.picker.value == "Hot spot: HS1 · Market"
    assert m.deck.columns["colours"][0] == force["colours"][-1]
    assert len(m.deck.outlines) == 1 and len(m.deck.outlines[0]) == 5
    assert m.deck.caption.startswith("Hot spot: HS1 · Market: 1 units with harm, tallest 11")
    with pytest.raises(HspworkError, match=r"no view 'Hot spot: HS9'; views: Force area"):
        m.show("Hot spot: HS9")
    with pytest.raises(SchemaError, match=r"areas has no column 'name'"):
        drill_choices(beats.rename(columns={"name": "beat"}))
