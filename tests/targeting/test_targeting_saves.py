"""Every frame the targeting functions return saves as it is: attrs hold plain JSON values."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from hspwork.targeting import emerging_hotspots, gistar, lisa, select
from hspwork.units import count, count_by_period, grid


def test_targeting_frames_round_trip_through_geoparquet_and_geojson(tmp_path):
    rng = np.random.default_rng(1)
    area = gpd.GeoSeries([box(0, 0, 2000, 1500)], crs=27700)
    n = 3000
    xy = rng.uniform([0, 0], [2000, 1500], (n, 2))
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 360, n), unit="D")
    crimes = gpd.GeoDataFrame(
        {"occurred_from": t, "harm": rng.gamma(1.0, 20.0, n)},
        geometry=shapely.points(xy),
        crs=27700,
    )
    units = count(grid(area, 100), crimes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too few periods for a trend: said, not an error
        cube = count_by_period(grid(area, 100), crimes, "quarter")
        trend = emerging_hotspots(cube)
    gi = gistar(units, "harm", seed=1, neighbours=np.float64(150.0))
    lm = lisa(units, "harm", seed=1, permutations=99)
    sel = select(gi, "harm", capacity=5, hot=(gi["harm"] > gi["harm"].quantile(0.9)).to_numpy())
    frames = {
        "units": units, "cube": cube, "gi": gi, "lisa": lm, "trend": trend.units,
        "places": sel.places,
    }  # fmt: skip
    for name, frame in frames.items():
        json.dumps(frame.attrs)  # plain values only
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        back = gpd.read_parquet(path)
        assert len(back) == len(frame)
        plain = frame.drop(columns=[c for c in ("unit_ids",) if c in frame.columns])
        plain.to_file(tmp_path / f"{name}.geojson", driver="GeoJSON")
    assert gi.attrs["gistar"]["neighbours"] == 150.0
    assert isinstance(gi.attrs["count_report"], dict)
