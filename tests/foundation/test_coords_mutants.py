"""Coordinates at their edges: the ranges, the areas of use and the mixed-CRS paths.

Each case puts a position on an edge the loaders decide at (on it, half a unit inside, half a
unit outside), so that a limit moved by one or a comparison made strict changes an answer.
The expected metres are pyproj's own transformation of the same input.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from pyproj import CRS, Transformer

from hspwork import crs as crs_policy
from hspwork.errors import CRSError
from hspwork.io import coords
from hspwork.report import RowLedger

BNG = crs_policy.BNG
WGS84 = crs_policy.WGS84
UTM30N = CRS.from_epsg(32630)


def _parse(xs, ys, src: CRS) -> RowLedger:
    ledger = RowLedger(len(xs), "test")
    coords.parse_positions(
        pd.Series(xs, dtype=float),
        pd.Series(ys, dtype=float),
        np.zeros(len(xs), int),
        [src],
        ledger,
    )
    return ledger


def test_national_grid_extent_edges_are_inside_and_half_a_metre_beyond_is_out():
    # The generous British National Grid extent is -100 km .. 800 km east, -100 km .. 1,400 km
    # north: each edge itself is a position, half a metre past it is not.
    xs = [-100_000.0, -100_000.5, -50_000.0, 800_000.0, 800_000.5, 400_000.0, 400_000.0]
    ys = [500_000.0, 500_000.0, 500_000.0, 500_000.0, 500_000.0, -100_000.0, -100_000.5]
    xs += [400_000.0, 400_000.0, 400_000.0]
    ys += [1_400_000.0, 1_400_000.5, -50_000.0]
    ledger = _parse(xs, ys, BNG)
    assert ledger.keep.tolist() == [True, False, True, True, False, True, False, True, False, True]
    assert ledger.dropped == {coords.OUT_OF_RANGE: 4}


def test_longitude_latitude_range_edges():
    xs = [180.0, 180.5, -180.0, 10.0, 10.0, 200.0]
    ys = [0.0, 0.0, -90.0, 90.0, 90.5, 10.0]
    ledger = _parse(xs, ys, WGS84)
    assert ledger.keep.tolist() == [True, False, True, True, False, False]
    assert ledger.dropped == {coords.OUT_OF_RANGE: 3}


def test_greenwich_meridian_is_a_place_only_both_zero_is_not():
    # Longitude 0 at latitude 51.48 is the Royal Observatory; (0, 0) is a device placeholder.
    ledger = _parse([0.0, 0.0, -0.1], [51.48, 0.0, 0.0], WGS84)
    assert ledger.keep.tolist() == [True, False, True]
    assert ledger.dropped == {"zero coordinates (0, 0)": 1}


def test_an_infinite_coordinate_under_a_crs_without_a_range_check_is_out_of_range():
    ledger = _parse([np.inf, 500_000.0, 500_000.0], [5_000_000.0, -np.inf, 5_000_000.0], UTM30N)
    assert ledger.keep.tolist() == [False, False, True]
    assert ledger.dropped == {coords.OUT_OF_RANGE: 2}


def test_grid_columns_without_a_crs_are_refused_even_with_a_longitude_alone():
    cols = {"x": "Easting", "y": "Northing", "lon": "Longitude"}
    with pytest.raises(CRSError, match="'Easting'/'Northing' have no declared CRS"):
        coords.choose_columns(["Easting", "Northing", "Longitude"], cols, None, "a.csv")
    both = {**cols, "lat": "Latitude"}
    assert coords.choose_columns(list(both.values()), both, None, "a.csv")[:2] == (
        "Longitude",
        "Latitude",
    )


def _project(lon, lat, target):
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    ledger = RowLedger(len(lon), "test")
    px, py, out = coords.project(lon, lat, np.zeros(len(lon), int), [WGS84], target, ledger)
    return ledger, px, py, out


def test_area_of_use_of_a_utm_zone_widened_by_three_degrees():
    aou = UTM30N.area_of_use
    assert (aou.west, aou.south, aou.east, aou.north) == (-6.0, 0.0, 0.0, 84.0)
    # west edge -9, east edge 3, south edge -3, north edge 87.
    lon = [-9.0, -9.5, -8.5, 3.0, 3.5, 2.5, -3.0, -3.0, -3.0, -3.0, -3.0, -3.0, -20.0]
    lat = [50.0, 50.0, 50.0, 50.0, 50.0, 50.0, -3.0, -3.5, -2.5, 87.0, 87.5, 86.5, 50.0]
    ledger, px, py, out = _project(lon, lat, UTM30N)
    assert out.equals(UTM30N)
    expect = [True, False, True, True, False, True, True, False, True, True, False, True, False]
    assert ledger.keep.tolist() == expect
    reason = f"outside the area of {UTM30N.name}"
    assert ledger.dropped == {reason: 5}
    tr = Transformer.from_crs(WGS84, UTM30N, always_xy=True)
    ex, ey = tr.transform(np.array(lon)[expect], np.array(lat)[expect])
    assert_allclose(px[expect], ex, rtol=0, atol=1e-6)
    assert_allclose(py[expect], ey, rtol=0, atol=1e-6)
    assert np.isnan(px[~np.array(expect)]).all()


def test_area_of_use_reaching_the_pole_stops_at_latitude_89():
    ups_north = CRS.from_epsg(32661)
    assert ups_north.area_of_use.north == 90.0
    ledger, *_ = _project([10.0, 10.0, 10.0], [89.0, 89.5, 88.5], ups_north)
    assert ledger.keep.tolist() == [True, False, True]


def test_no_area_check_without_an_area_of_use_or_for_a_geographic_target():
    custom = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=100 +k=1 +x_0=0 +y_0=0 +ellps=WGS84")
    assert custom.area_of_use is None and custom.is_projected
    ledger, *_ = _project([-3.0, 2.0], [50.0, 60.0], custom)
    assert ledger.keep.all()
    ledger, px, py, _ = _project([10.0], [89.5], WGS84)
    assert ledger.keep.all()
    assert_allclose([px[0], py[0]], [10.0, 89.5])


def test_a_file_with_no_kept_rows_does_not_choose_the_metric_crs():
    # Paris in longitude/latitude, one grid row already dropped: the grid file has nothing
    # left, so the CRS is the policy's choice for Paris (UTM 31N), not the grid's.
    x = np.array([2.35, 2.36, 530_000.0])
    y = np.array([48.85, 48.86, 180_000.0])
    code = np.array([0, 0, 1])
    ledger = RowLedger(3, "test")
    ledger.drop(np.array([False, False, True]), "no location")
    px, py, out = coords.project(x, y, code, [WGS84, BNG], None, ledger)
    assert out.equals(CRS.from_epsg(32631))
    assert ledger.keep.tolist() == [True, True, False]
    ex, ey = Transformer.from_crs(WGS84, out, always_xy=True).transform(x[:2], y[:2])
    assert_allclose(px[:2], ex, atol=1e-6)
    assert_allclose(py[:2], ey, atol=1e-6)


def test_nothing_located_keeps_the_first_files_crs():
    ledger = RowLedger(2, "test")
    ledger.drop(np.array([True, True]), "no location")
    x = np.array([530_000.0, -1.0])
    y = np.array([180_000.0, 52.0])
    *_, out = coords.project(x, y, np.array([0, 1]), [BNG, WGS84], None, ledger)
    assert out.equals(BNG)
    empty = RowLedger(0, "test")
    *_, out = coords.project(np.array([]), np.array([]), np.array([], int), [], None, empty)
    assert out.equals(WGS84)


def test_mixed_files_each_projected_from_its_own_crs():
    # A grid file (Westminster, metres) and a longitude/latitude file (Manchester) together;
    # one lon/lat row already dropped stays dropped and unprojected.
    x = np.array([530_000.0, -2.24, -2.25, 531_000.0])
    y = np.array([180_000.0, 53.48, 53.49, 181_000.0])
    code = np.array([0, 1, 1, 0])
    ledger = RowLedger(4, "test")
    ledger.drop(np.array([False, False, True, False]), "no location")
    px, py, out = coords.project(x, y, code, [BNG, WGS84], None, ledger)
    assert out.equals(BNG)
    assert ledger.keep.tolist() == [True, True, False, True]
    ex, ey = Transformer.from_crs(WGS84, BNG, always_xy=True).transform(-2.24, 53.48)
    assert_allclose(px, [530_000.0, ex, np.nan, 531_000.0], atol=1e-6)
    assert_allclose(py, [180_000.0, ey, np.nan, 181_000.0], atol=1e-6)


def test_a_projection_that_fails_in_one_axis_only_is_out_of_range():
    x = np.array([400_000.0, 410_000.0])
    y = np.array([np.inf, 5_000_000.0])
    ledger = RowLedger(2, "test")
    coords.project(x, y, np.zeros(2, int), [UTM30N], None, ledger)
    assert ledger.keep.tolist() == [False, True]
    assert ledger.dropped == {coords.OUT_OF_RANGE: 1}


def test_an_area_in_another_metric_crs_is_projected_before_the_test():
    # A 200 m square round a point in British National Grid metres, given in UTM 30N metres.
    tr = Transformer.from_crs(BNG, UTM30N, always_xy=True)
    cx, cy = tr.transform(530_000.0, 180_000.0)
    square = shapely.box(cx - 100, cy - 100, cx + 100, cy + 100)
    area = gpd.GeoDataFrame(geometry=[square], crs=UTM30N)
    x = np.array([530_000.0, 530_500.0])
    y = np.array([180_000.0, 180_000.0])
    ledger = RowLedger(2, "test")
    coords.drop_outside(x, y, area, BNG, ledger, "outside the study area")
    assert ledger.keep.tolist() == [True, False]
    assert ledger.dropped == {"outside the study area": 1}
