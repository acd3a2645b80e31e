"""The edges of the CRS policy's boxes and the small arithmetic, which mutation testing found
untested.

The boxes are those in :mod:`hspwork.crs`: Great Britain -8.75..1.9 E, 49.8..60.95 N, less the
island of Ireland -10.7..-5.4 E, 51.3..55.45 N, less Kintyre (east of -5.85 and north of 55.25).
For each edge there is a point on it, one 0.5 degrees inside and one 0.5 degrees outside, so a
changed comparison or a limit moved by one degree changes an answer. Each expected CRS is worked
from those numbers by hand; UTM zones are ``floor((lon + 180) / 6) % 60 + 1``.
"""

from __future__ import annotations

import inspect
import warnings

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Transformer
from shapely.geometry import Point

from hspwork import crs
from hspwork.errors import CRSError, CRSMismatchWarning

BNG, ITM = 27700, 2157

# (lon, lat, EPSG chosen, whether in_great_britain says True, what the point tests)
EDGES = [
    # Great Britain's box
    (-8.75, 58.0, BNG, True, "west edge, north of the Irish box"),
    (-8.25, 58.0, BNG, True, "just inside the west edge"),
    (-9.25, 58.0, 32629, False, "just outside the west edge: UTM 29N"),
    (1.9, 52.0, BNG, True, "east edge"),
    (1.4, 52.0, BNG, True, "just inside the east edge"),
    (2.4, 52.0, 32631, False, "just outside the east edge: UTM 31N"),
    (-5.0, 49.8, BNG, True, "south edge"),
    (-5.0, 50.3, BNG, True, "just inside the south edge"),
    (-5.0, 49.3, 32630, False, "just outside the south edge: UTM 30N"),
    (-1.2, 60.95, BNG, True, "north edge"),
    (-1.2, 60.45, BNG, True, "just inside the north edge (Shetland)"),
    (-1.2, 61.45, 32630, False, "just outside the north edge: UTM 30N"),
    # the island of Ireland's box (its west edge lies outside Great Britain's box)
    (-10.7, 53.0, ITM, False, "Ireland's west edge"),
    (-10.2, 53.0, ITM, False, "just inside Ireland's west edge"),
    (-11.2, 53.0, 32629, False, "just outside Ireland's west edge: UTM 29N"),
    (-5.4, 54.0, ITM, False, "Ireland's east edge"),
    (-5.9, 54.0, ITM, False, "just inside Ireland's east edge"),
    (-4.9, 54.0, BNG, True, "just outside Ireland's east edge"),
    (-8.0, 51.3, ITM, False, "Ireland's south edge"),
    (-8.0, 51.8, ITM, False, "just inside Ireland's south edge"),
    (-8.0, 50.8, BNG, True, "just outside Ireland's south edge, inside Great Britain's box"),
    (-6.0, 55.45, ITM, False, "Ireland's north edge"),
    (-6.0, 54.95, ITM, False, "just inside Ireland's north edge"),
    (-6.0, 55.95, BNG, True, "just outside Ireland's north edge"),
    # Kintyre, cut out of the Irish box
    (-5.85, 55.35, ITM, False, "Kintyre's west edge is Ireland"),
    (-5.6, 55.35, BNG, True, "inside Kintyre"),
    (-6.1, 55.35, ITM, False, "west of Kintyre's edge by 0.25 degrees"),
    (-5.6, 55.25, ITM, False, "Kintyre's south edge is Ireland"),
    (-5.6, 55.0, ITM, False, "south of Kintyre"),
    (-5.5, 54.5, ITM, False, "east of -5.85 but south of 55.25: Ireland, not Kintyre"),
    # UTM
    (180.0, 10.0, 32601, False, "the antimeridian is UTM zone 1, not 61"),
    (9.0, 0.0, 32632, False, "the equator is in the northern zones"),
    (9.0, -0.5, 32732, False, "just south of the equator"),
    (0.0, 40.0, 32631, False, "a zone's west edge belongs to it: (0 + 180) / 6 = 30, zone 31"),
    (-0.5, 40.0, 32630, False, "just west of it: floor(179.5 / 6) = 29, zone 30"),
    (177.0, -38.0, 32760, False, "the last zone: floor(357 / 6) = 59, zone 60"),
]


@pytest.mark.parametrize(("lon", "lat", "epsg", "in_gb", "why"), EDGES)
def test_metric_crs_at_the_edges_of_the_boxes(lon, lat, epsg, in_gb, why):
    assert crs.metric_crs_for_lonlat(lon, lat).to_epsg() == epsg, why


@pytest.mark.parametrize(("lon", "lat", "epsg", "in_gb", "why"), EDGES)
def test_in_great_britain_at_the_edges_of_the_boxes(lon, lat, epsg, in_gb, why):
    assert crs.in_great_britain([lon], [lat]).tolist() == [in_gb], why


@pytest.mark.parametrize(("lon", "lat"), [(np.nan, 52.0), (-1.0, np.inf)])
def test_one_missing_coordinate_is_refused(lon, lat):
    with pytest.raises(CRSError, match="no finite longitude/latitude"):
        crs.metric_crs_for_lonlat(lon, lat)


@pytest.mark.parametrize(
    ("points", "epsg"),
    [
        # Middle (-3.0, 53.0) is Wales; twice its longitude, (-6.0, 53.0), would be Ireland.
        ([(-3.5, 52.5), (-2.5, 53.5)], BNG),
        # Middle (-6.0, 53.0) is Ireland; two thirds of it, (-4.0, 53.0), would be Wales.
        ([(-6.5, 53.0), (-5.5, 53.0)], ITM),
    ],
)
def test_to_metric_places_the_crs_on_the_middle_of_the_bounds(points, epsg):
    s = gpd.GeoSeries([Point(p) for p in points], crs=4326)
    assert crs.to_metric(s).crs.to_epsg() == epsg


def test_crs_units_to_metres_multiplies_by_the_unit():
    # EPSG:2263 is in US survey feet: 1200 / 3937 metres each.
    np.testing.assert_allclose(
        crs.crs_units_to_metres(100.0, CRS.from_epsg(2263)), 100.0 * 1200 / 3937, rtol=1e-12
    )


def test_align_crs_names_the_reference_without_a_crs():
    bare = gpd.GeoSeries([Point(0, 0)])
    other = gpd.GeoSeries([Point(0, 0)], crs=27700)
    with pytest.raises(CRSError, match=r"^fences has no CRS"):
        crs.align_crs(bare, other, names=("fences", "pings"))


def _library_call(reference, other):
    """Stands for a library function that aligns its second input to its first."""
    return crs.align_crs(reference, other, names=("fences", "pings"))


def test_the_mismatch_warning_points_at_the_callers_line():
    ref = gpd.GeoSeries([Point(530000, 180000)], crs=27700)
    other = gpd.GeoSeries([Point(-0.1276, 51.5072)], crs=4326)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        _library_call(ref, other)
    (w,) = [c for c in caught if issubclass(c.category, CRSMismatchWarning)]
    assert (w.filename, w.lineno) == (__file__, line)
    assert str(w.message).startswith("pings is in WGS 84")
    assert str(w.message).endswith("converted pings to match.")


def test_lonlat_to_metric_keeps_a_crs_it_is_given():
    x, y, out = crs.lonlat_to_metric([-0.1276], [51.5072], crs=32630)
    assert out.to_epsg() == 32630  # not the policy's British National Grid
    want = Transformer.from_crs(4326, 32630, always_xy=True).transform(-0.1276, 51.5072)
    np.testing.assert_allclose([x[0], y[0]], want, atol=1e-6)


def test_lonlat_to_metric_places_the_crs_on_rows_with_both_coordinates():
    # The third row has no latitude; were it counted, the median latitude would be NaN.
    _, _, out = crs.lonlat_to_metric([-0.13, -0.13, 150.0], [51.5, 51.5, np.nan])
    assert out.to_epsg() == BNG


def test_align_crs_names_the_other_input_without_a_crs():
    ref = gpd.GeoSeries([Point(0, 0)], crs=27700)
    with pytest.raises(CRSError, match=r"^pings has no CRS"):
        crs.align_crs(ref, gpd.GeoSeries([Point(0, 0)]), names=("fences", "pings"))


def test_to_metric_refuses_an_empty_lonlat_input():
    with pytest.raises(CRSError, match=r"^places is empty and in WGS 84"):
        crs.to_metric(gpd.GeoSeries([], crs=4326), name="places")
