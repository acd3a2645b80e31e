"""Catchments, displacement rings and GPS calibration against closed forms."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose
from shapely.geometry import Point, box

from hspwork.errors import CRSError, HspworkError, SchemaError
from hspwork.fences import calibrate_gps, catchments, make_fences, rayleigh_quantile, rings

T0 = "2024-01-01T00:00Z"


def disc_fence(r=100.0, buffer_m=0.0, centre=(0.0, 0.0)):
    g = Point(*centre).buffer(r, quad_segs=256)
    return make_fences(gpd.GeoDataFrame(geometry=[g], crs=27700), valid_from=T0, buffer_m=buffer_m)


def test_catchment_of_a_disc_is_a_wider_disc_and_core_is_untouched():
    f = disc_fence(100, buffer_m=200)  # document 002: widened by 200 m
    c = catchments(f)
    # Polygonised circles fall short of pi r² by under 0.01% at these segment counts.
    assert_allclose(c["area_m2"].iloc[0], math.pi * 300**2, rtol=2e-4)
    band = catchments(f, band_only=True)
    assert_allclose(band["area_m2"].iloc[0], math.pi * (300**2 - 100**2), rtol=2e-4)
    assert band.geometry.iloc[0].intersection(f.geometry.iloc[0]).area < 1e-6
    assert f.geometry.iloc[0].equals(disc_fence(100).geometry.iloc[0])
    assert_allclose(catchments(f, buffer_m=50)["area_m2"].iloc[0], math.pi * 150**2, rtol=2e-4)
    with pytest.raises(HspworkError, match=r"buffer_m must be metres >= 0"):
        catchments(f, buffer_m=-1)


def test_rings_of_a_disc_and_exclusion_of_other_fences():
    f = disc_fence(100)
    r = rings(f, edges_m=(0, 150, 300))
    assert r[["ring", "inner_m", "outer_m"]].values.tolist() == [[1, 0, 150], [2, 150, 300]]
    assert_allclose(
        r["area_m2"], [math.pi * (250**2 - 100**2), math.pi * (400**2 - 250**2)], rtol=5e-4
    )
    # A second fence 300 m east sits in the first fence's rings and must be cut out of them.
    two = pd.concat([f, disc_fence(50, centre=(300, 0)).assign(fence_id="east")], ignore_index=True)
    two = gpd.GeoDataFrame(two, crs=27700)
    r2 = rings(two, edges_m=(0, 150, 300))
    first = r2[r2.fence_id == "0"]
    east = two.geometry.iloc[1]
    inner, outer = Point(0, 0).buffer(250, quad_segs=256), Point(0, 0).buffer(400, quad_segs=256)
    ring1 = inner.difference(two.geometry.iloc[0])
    ring2 = outer.difference(inner)
    assert_allclose(
        first["area_m2"], [ring1.difference(east).area, ring2.difference(east).area], rtol=5e-4
    )
    # The east disc spans 250-350 m from the centre: it only touches ring 1 but eats into ring 2
    # by its whole area (pi 50² = 7854 m²).
    assert_allclose(first["area_m2"].iloc[0], r["area_m2"].iloc[0], rtol=1e-9)
    assert_allclose(r["area_m2"].iloc[1] - first["area_m2"].iloc[1], math.pi * 50**2, rtol=1e-3)
    kept = rings(two, edges_m=(0, 150, 300), exclude_fences=False)
    assert_allclose(kept[kept.fence_id == "0"]["area_m2"], r["area_m2"], rtol=1e-9)
    with pytest.raises(HspworkError, match=r"edges_m must be at least two increasing distances"):
        rings(f, edges_m=(150, 0))


def rayleigh_pings(sigmas, n_per=4000, seed=11):
    """Officers stand at known points; each source has circular normal error sigma."""
    rng = np.random.default_rng(seed)
    frames, sessions = [], []
    t0 = pd.Timestamp("2024-05-01 09:00", tz="UTC")
    for k, (source, sigma) in enumerate(sigmas.items()):
        officer = f"PC{k}"
        true = np.array([530000.0 + 1000 * k, 180000.0])
        times = t0 + pd.to_timedelta(np.arange(n_per), unit="s")
        err = rng.normal(0, sigma, size=(n_per, 2))
        frames.append(
            pd.DataFrame(
                {
                    "officer": officer,
                    "time": times,
                    "x": true[0] + err[:, 0],
                    "y": true[1] + err[:, 1],
                    "source": source,
                }
            )
        )
        sessions.append(
            {
                "officer": officer,
                "start": times[0],
                "end": times[-1],
                "x": true[0],
                "y": true[1],
                "area": "centre",
            }
        )
    pings = pd.concat(frames, ignore_index=True)
    # Pings outside any session: before the first one starts.
    extra = pings.iloc[:5].assign(time=t0 - pd.Timedelta("1h"))
    pings = pd.concat([pings, extra], ignore_index=True)
    pings["crs"] = "EPSG:27700"
    return pings, pd.DataFrame(sessions)


def test_rayleigh_quantile_closed_form():
    assert_allclose(rayleigh_quantile(1.0, 50), math.sqrt(2 * math.log(2)), rtol=1e-12)
    assert_allclose(
        rayleigh_quantile(30.0, [90, 95]), 30 * np.sqrt(-2 * np.log([0.1, 0.05])), rtol=1e-12
    )
    with pytest.raises(HspworkError, match=r"percentile must be between 0 and 100"):
        rayleigh_quantile(1.0, 100)


def test_calibration_recovers_known_error_distribution_per_source():
    sigmas = {"app": 8.0, "radio": 60.0}
    pings, sessions = rayleigh_pings(sigmas)
    cal = calibrate_gps(pings, sessions, by=("source", "area"))
    assert cal.report.rows_read == len(pings)
    assert cal.report.dropped == {"outside every calibration session": 5}
    assert len(cal.errors) == 8000
    s = cal.summary().set_index("source")
    for source, sigma in sigmas.items():
        # n = 4000: the sigma MLE has relative s.e. 1/sqrt(4n) = 0.8%; 4% is five s.e.
        assert_allclose(s.loc[source, "rayleigh_sigma_m"], sigma, rtol=0.04)
        assert_allclose(s.loc[source, "p95_m"], sigma * math.sqrt(-2 * math.log(0.05)), rtol=0.05)
        assert_allclose(s.loc[source, "p50_m"], sigma * math.sqrt(2 * math.log(2)), rtol=0.05)
        assert_allclose(s.loc[source, "mean_m"], sigma * math.sqrt(math.pi / 2), rtol=0.04)
    rec = cal.recommend_buffer(95).set_index("source")
    assert_allclose(
        rec.loc["radio", "buffer_m"],
        np.ceil(np.percentile(cal.errors.query("source == 'radio'")["error_m"], 95)),
    )
    assert rec["buffer_m"].map(float.is_integer).all()
    ray = cal.recommend_buffer(90, method="rayleigh").set_index("source")
    assert_allclose(
        ray.loc["radio", "buffer_m"],
        math.ceil(rayleigh_quantile(s.loc["radio", "rayleigh_sigma_m"], 90)),
    )
    assert isinstance(cal.plot(), Figure)


def test_calibration_errors_are_exact_for_hand_pings_and_sessions_in_lonlat():
    pings = pd.DataFrame(
        {
            "officer": ["A", "A", "B"],
            "time": pd.to_datetime(
                ["2024-05-01 10:00", "2024-05-01 10:01", "2024-05-01 10:00"], utc=True
            ),
            "x": [530003.0, 530000.0, 530100.0],
            "y": [180004.0, 179990.0, 180000.0],
            "source": "radio",
        }
    )
    pings["crs"] = "EPSG:27700"
    true = gpd.GeoSeries([Point(530000, 180000)], crs=27700).to_crs(4326)
    sessions = gpd.GeoDataFrame(
        {"officer": ["A"], "start": [pings.time[0]], "end": [pings.time[1]]},
        geometry=true,
        crs=4326,
    )
    cal = calibrate_gps(pings, sessions)
    assert_allclose(cal.errors["error_m"], [5.0, 10.0], atol=1e-3)
    assert cal.report.dropped == {"outside every calibration session": 1}


def test_calibration_errors_name_the_problem():
    pings, sessions = rayleigh_pings({"app": 5.0}, n_per=10)
    no_crs = pings.drop(columns="crs")
    with pytest.raises(CRSError, match=r"the pings have no CRS.*pass crs="):
        calibrate_gps(no_crs, sessions)
    with pytest.raises(SchemaError, match=r"sessions lacks end"):
        calibrate_gps(pings, sessions.drop(columns="end"))
    with pytest.raises(SchemaError, match=r"by names shift, found in neither pings nor sessions"):
        calibrate_gps(pings, sessions, by=("shift",))
    with pytest.raises(HspworkError, match=r"no ping fell inside a calibration session"):
        calibrate_gps(pings, sessions.assign(officer="nobody"))
    naive = sessions.assign(start=sessions["start"].dt.tz_localize(None))
    with pytest.raises(SchemaError, match=r"sessions.start must be tz-aware"):
        calibrate_gps(pings, naive)


def test_fence_square_validates_against_its_buffer():
    f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 40, 40)], crs=27700), valid_from=T0)
    from hspwork.fences import validate_fences

    assert validate_fences(f, gps_error_m=19).empty
    assert validate_fences(f, gps_error_m=21)["check"].tolist() == ["smaller_than_gps"]


def test_catchment_width_error_names_the_bad_value():
    f = disc_fence(100)
    with pytest.raises(HspworkError, match=r"buffer_m must be metres >= 0, got \[inf\]"):
        catchments(f, buffer_m=float("inf"))
    with pytest.raises(HspworkError, match=r"got \[-5.0\]"):
        catchments(f, buffer_m=-5)
