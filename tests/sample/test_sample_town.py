"""The committed sample town: boundary, streets and beats fit together."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from numpy.testing import assert_allclose

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_sample_town_layers():
    boundary = gpd.read_file(SAMPLE / "boundary.geojson")
    streets = gpd.read_file(SAMPLE / "streets.geojson")
    beats = gpd.read_file(SAMPLE / "beats.geojson")
    for layer in (boundary, streets, beats):
        assert layer.crs.to_epsg() == 27700
    town = boundary.geometry.iloc[0]
    minx, miny, maxx, maxy = town.bounds
    assert 5500 <= maxx - minx <= 6800 and 4500 <= maxy - miny <= 5600  # about 6 x 5 km
    # beats cover the town without overlapping
    assert 4 <= len(beats) <= 8 and beats["beat_id"].is_unique
    assert_allclose(beats.area.sum(), town.area, rtol=1e-6)
    assert_allclose(shapely.union_all(beats.geometry.to_numpy()).area, town.area, rtol=1e-6)
    # streets: inside the town, unique ids, the three kinds, a few main roads
    assert streets["street_id"].is_unique
    assert set(streets["kind"]) == {"high street", "main road", "residential"}
    assert shapely.contains(town.buffer(1.0), streets.geometry.to_numpy()).all()
    lengths = streets.length.to_numpy()
    assert 40 <= lengths.min() and lengths.max() <= 250 and 90 <= np.median(lengths) <= 150
    assert streets.loc[streets["kind"] != "residential", "name"].nunique() >= 4
    assert (streets.geom_type == "LineString").all()
