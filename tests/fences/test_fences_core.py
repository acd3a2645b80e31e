"""Fence sets: construction, schema checks, validation findings, repair and figures."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import Point, Polygon, box

from hspwork.errors import CRSError, HspworkError, SchemaError
from hspwork.fences import (
    FINDING_COLUMNS,
    check_fences,
    current_fences,
    fence_figures,
    make_fences,
    repair_fences,
    validate_fences,
)

T0 = "2024-01-01T00:00Z"


def fences_of(*geoms, ids=None, crs=27700, **kw):
    ids = ids or [chr(ord("A") + i) for i in range(len(geoms))]
    places = gpd.GeoDataFrame({"place": ids}, geometry=list(geoms), crs=crs)
    return make_fences(places, id_column="place", valid_from=T0, **kw)


def test_make_fences_from_selection_keeps_ids_and_extra_columns():
    sel = gpd.GeoDataFrame(
        {"unit_id": [12, 40], "crimes": [9, 4], "label": ["Market St", "Bus station"]},
        geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)],
        crs=27700,
    )
    f = make_fences(sel, name_column="label", valid_from=T0, buffer_m=25, notes="wave 1")
    assert f.columns[:9].tolist() == [
        "fence_id",
        "name",
        "role",
        "valid_from",
        "valid_to",
        "version",
        "buffer_m",
        "notes",
        "geometry",
    ]
    assert f["fence_id"].tolist() == ["12", "40"]
    assert f["name"].tolist() == ["Market St", "Bus station"]
    assert f["crimes"].tolist() == [9, 4]
    assert (f["valid_from"] == pd.Timestamp(T0)).all() and f["valid_to"].isna().all()
    assert str(f["valid_from"].dtype) == "datetime64[ns, UTC]"
    assert f["version"].tolist() == [1, 1] and f["buffer_m"].tolist() == [25.0, 25.0]


def test_make_fences_converts_lonlat_to_metric():
    # A ~0.001 degree square in London becomes British National Grid metres.
    ll = box(-0.1280, 51.5070, -0.1266, 51.5079)
    f = make_fences(gpd.GeoDataFrame(geometry=[ll], crs=4326), valid_from=T0)
    assert f.crs.to_epsg() == 27700
    ref = gpd.GeoSeries([ll], crs=4326).to_crs(27700).area.iloc[0]
    assert_allclose(f.area.iloc[0], ref, rtol=1e-12)


def test_make_fences_role_column_and_bad_inputs():
    g = gpd.GeoDataFrame(
        {"arm": ["treatment", "control"]}, geometry=[box(0, 0, 9, 9), box(20, 0, 29, 9)], crs=27700
    )
    assert make_fences(g, role="arm", valid_from=T0)["role"].tolist() == ["treatment", "control"]
    with pytest.raises(SchemaError, match=r"role 'patrol' is neither a role"):
        make_fences(g, role="patrol", valid_from=T0)
    with pytest.raises(SchemaError, match=r"no column 'cell'"):
        make_fences(g, id_column="cell", valid_from=T0)
    with pytest.raises(SchemaError, match=r"without a time zone"):
        make_fences(g, valid_from="2024-01-01 00:00")
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700)
    with pytest.raises(SchemaError, match=r"is a Point; allowed geometry: Polygon or MultiPolygon"):
        make_fences(pts, valid_from=T0)
    with pytest.raises(CRSError, match=r"places has no CRS"):
        make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]), valid_from=T0)


def test_check_fences_rejects_broken_sets():
    f = fences_of(box(0, 0, 10, 10))
    with pytest.raises(SchemaError, match=r"lacks column\(s\) buffer_m"):
        check_fences(f.drop(columns="buffer_m"))
    two = pd.concat([f, f.assign(version=2)], ignore_index=True)
    with pytest.raises(SchemaError, match=r"fence 'A' has two versions in force at once"):
        check_fences(gpd.GeoDataFrame(two, crs=f.crs))
    bad = f.assign(valid_to=pd.Timestamp("2023-06-01", tz="UTC"))
    with pytest.raises(SchemaError, match=r"version 1 ends .* before or when it starts"):
        check_fences(bad)
    with pytest.raises(SchemaError, match=r"negative buffer_m"):
        check_fences(f.assign(buffer_m=-5.0))
    with pytest.raises(SchemaError, match=r"repeats \(fence_id, version\) for fence\(s\) A"):
        later = f.assign(valid_from=pd.Timestamp("2025-01-01", tz="UTC"))
        first = f.assign(valid_to=pd.Timestamp("2024-06-01", tz="UTC"))
        check_fences(gpd.GeoDataFrame(pd.concat([first, later]), crs=f.crs))


def test_validate_each_check_with_hand_figures():
    fences = fences_of(
        box(0, 0, 300, 200),  # A: too big, radius = half diagonal = sqrt(150²+100²)
        box(250, 0, 350, 100),  # B: overlaps A by 50 x 100 = 5000 m²
        box(5000, 0, 5040, 100),  # C: 40 m wide: inscribed radius 20 m < GPS 30 m
    )
    crimes = gpd.GeoDataFrame(geometry=[Point(10, 10), Point(300, 50)], crs=27700)
    v = validate_fences(fences, crimes=crimes, gps_error_m=30)
    assert v.columns.tolist() == list(FINDING_COLUMNS)
    got = {(r.fence_id, r.check): r.value for r in v.itertuples()}
    assert_allclose(got[("A", "too_big")], math.hypot(150, 100), rtol=1e-9)
    assert_allclose(got[("A", "overlap")], 5000.0, rtol=1e-12)
    assert_allclose(got[("C", "smaller_than_gps")], 20.0, atol=0.2)
    assert got[("C", "no_crime")] == 0.0
    # Centres: A (150, 100), B (300, 50): distance sqrt(150² + 50²) = 158.1 m < 500 m.
    assert_allclose(got[("A", "too_close")], math.hypot(150, 50), rtol=1e-9)
    assert ("B", "no_crime") not in got  # (300, 50) lies inside B
    assert set(got) == {
        ("A", "too_big"),
        ("A", "overlap"),
        ("A", "too_close"),
        ("C", "smaller_than_gps"),
        ("C", "no_crime"),
    }
    msg = dict(zip(zip(v.fence_id, v.check), v.message))
    assert "Fence 'A' is 180 m" in msg[("A", "too_big")] and "150 m" in msg[("A", "too_big")]
    assert "overlaps fence 'B' by 5,000 m²" in msg[("A", "overlap")]
    assert "20 m from its middle to its nearest edge" in msg[("C", "smaller_than_gps")]
    assert "GPS error of 30 m" in msg[("C", "smaller_than_gps")]
    assert "0 of the 2 crimes" in msg[("C", "no_crime")]
    assert (
        "centre 158 m from the centre of fence 'B', closer than the minimum spacing of 500 m"
        in msg[("A", "too_close")]
    )


def test_validate_invalid_geometry_is_an_error_first_and_repair_fixes_it():
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    f = fences_of(box(2000, 0, 2050, 50), bowtie, ids=["ok", "bow"])
    v = validate_fences(f)
    assert v.iloc[0]["check"] == "invalid" and v.iloc[0]["severity"] == "error"
    assert v.iloc[0]["fence_id"] == "bow"
    assert "Self-intersection" in v.iloc[0]["message"]
    assert "repair_fences()" in v.iloc[0]["message"]
    fixed = repair_fences(f)
    assert fixed.geometry.is_valid.all()
    # The bow tie is two triangles of 50 x 100 / 2 = 2500 m² each.
    assert_allclose(fixed.area.iloc[1], 5000.0, rtol=1e-12)
    assert fixed.loc[0, "geometry"].equals(f.loc[0, "geometry"])
    assert fixed["notes"].tolist() == ["", "geometry repaired with make_valid"]
    assert "invalid" not in set(validate_fences(fixed)["check"])


def test_repair_refuses_to_lose_a_fence():
    flat = Polygon([(0, 0), (10, 0), (20, 0), (0, 0)])
    f = fences_of(flat, ids=["flat"])
    with pytest.raises(HspworkError, match=r"fence 'flat' has no area left after repair"):
        repair_fences(f)


def test_validate_thresholds_are_metres_in_a_feet_crs():
    # EPSG:2263 is in US survey feet; a 100 m x 100 m fence is 328.08 ft wide.
    ft = 1 / 0.30480060960121924
    f = fences_of(box(1e6, 2e5, 1e6 + 100 * ft, 2e5 + 100 * ft), crs=2263)
    assert validate_fences(f, max_radius_m=80).empty  # radius 70.7 m
    v = validate_fences(f, max_radius_m=60)
    assert_allclose(v["value"].iloc[0], 50 * math.sqrt(2), rtol=1e-9)
    fig = fence_figures(f)
    assert_allclose(fig["area_m2"].iloc[0], 10000.0, rtol=1e-9)


def test_validate_rejects_bad_thresholds_and_respects_at():
    f = fences_of(box(0, 0, 10, 10))
    with pytest.raises(
        HspworkError, match=r"max_radius_m must be a positive number of metres, got -1"
    ):
        validate_fences(f, max_radius_m=-1)
    with pytest.raises(HspworkError, match=r"gps_error_m must be a number of metres >= 0"):
        validate_fences(f, gps_error_m=float("nan"))
    assert validate_fences(f, at="2023-01-01T00:00Z").empty  # nothing in force yet


def test_spacing_ignores_catchments():
    f = fences_of(box(0, 0, 50, 50), box(100, 0, 150, 50))
    assert "too_close" in set(validate_fences(f)["check"])
    f.loc[1, "role"] = "catchment"
    assert "too_close" not in set(validate_fences(f)["check"])


def test_fence_figures_counts_and_harm_against_brute_force():
    rng = np.random.default_rng(4)
    geoms = [box(0, 0, 100, 100), Point(300, 300).buffer(60), box(600, 0, 700, 50)]
    f = fences_of(*geoms)
    xy = rng.uniform(-50, 750, size=(3000, 2))
    harm = rng.choice([1.0, 2.0, 365.0], size=3000)
    crimes = gpd.GeoDataFrame(
        {"harm": harm}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700
    )
    fig = fence_figures(f, crimes)
    for i, g in enumerate(geoms):
        inside = np.array([g.covers(Point(p)) for p in xy])
        assert fig["crimes"].iloc[i] == inside.sum()
        assert_allclose(fig["harm"].iloc[i], harm[inside].sum(), rtol=1e-12)
    assert_allclose(fig["area_m2"], [10000.0, geoms[1].area, 5000.0], rtol=1e-12)
    assert_allclose(fig["max_radius_m"].iloc[0], 50 * math.sqrt(2), rtol=1e-9)
    assert_allclose(fig["max_radius_m"].iloc[1], 60.0, rtol=1e-3)
    no_harm = fence_figures(f, crimes.drop(columns="harm"))
    assert no_harm["harm"].isna().all()


def test_current_fences_keeps_only_versions_in_force():
    f = fences_of(box(0, 0, 10, 10), box(50, 0, 60, 10))
    f.loc[1, "valid_to"] = pd.Timestamp("2024-02-01", tz="UTC")
    assert current_fences(f)["fence_id"].tolist() == ["A"]


def test_fence_figures_refuse_crimes_without_a_harm_weight():
    # as the targeting counts do: a crime of unknown harm must not add 0 to a harm total
    f = fences_of(box(0, 0, 100, 100))
    crimes = gpd.GeoDataFrame(
        {"harm": [365.0, np.nan, -2.0]},
        geometry=[Point(10, 10), Point(20, 20), Point(30, 30)],
        crs=27700,
    )
    with pytest.raises(SchemaError, match=r"2 of 3 rows with a missing, infinite or negative"):
        fence_figures(f, crimes)
    assert fence_figures(f, crimes.drop(columns="harm"))["crimes"].tolist() == [3]
