"""The CRS policy: metres always, never a guessed CRS."""

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS
from shapely.geometry import Point

from hspwork import crs
from hspwork.errors import CRSError, CRSMismatchWarning


def test_gb_lonlat_goes_to_british_national_grid():
    s = gpd.GeoSeries([Point(-1.8904, 52.4862)], crs=4326)  # Birmingham
    out = crs.to_metric(s)
    assert out.crs.to_epsg() == 27700
    # Reference value from pyproj directly (independent of the policy code path).
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(-1.8904, 52.4862)
    np.testing.assert_allclose([out.x.iloc[0], out.y.iloc[0]], [x, y], atol=1e-6)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (-3.19, 55.95, 27700),
        (-5.93, 54.6, 2157),
        (2.35, 48.85, 32631),
        (151.2, -33.87, 32756),
        (-5.7, 55.4, 27700),
    ],
)
def test_metric_crs_choice(lon, lat, epsg):
    assert crs.metric_crs_for_lonlat(lon, lat).to_epsg() == epsg


def test_projected_data_stays_and_us_feet_sizes_in_metres():
    ny = gpd.GeoSeries([Point(1_000_000, 200_000)], crs=2263)  # NAD83 / New York Long Island (ftUS)
    assert crs.to_metric(ny).crs.to_epsg() == 2263
    # 100 m in US survey feet: 100 / 0.3048006096 = 328.0833333
    np.testing.assert_allclose(crs.metres_to_crs_units(100.0, ny.crs), 328.0833333, rtol=1e-9)
    buffered = ny.buffer(crs.metres_to_crs_units(100.0, ny.crs))
    area_m2 = buffered.area.iloc[0] * crs.unit_to_metres(ny.crs) ** 2
    np.testing.assert_allclose(area_m2, np.pi * 100**2, rtol=2e-3)  # polygonal circle


def test_naive_geometry_is_an_error_with_the_fix():
    with pytest.raises(CRSError, match=r"has no CRS.*set_crs\('EPSG:27700'\)"):
        crs.to_metric(gpd.GeoSeries([Point(0, 0)]), "fences")


def test_mismatch_converted_with_a_warning_naming_both():
    a = gpd.GeoSeries([Point(410000, 290000)], crs=27700)
    b = gpd.GeoSeries([Point(-1.9, 52.48)], crs=4326)
    with pytest.warns(CRSMismatchWarning, match=r"crimes is in WGS 84.*fences is in OSGB36"):
        out = crs.align_crs(a, b, names=("fences", "crimes"))
    assert CRS.from_user_input(out.crs).equals(CRS.from_epsg(27700))


def test_geographic_crs_has_no_metre_size():
    with pytest.raises(CRSError, match="not projected"):
        crs.metres_to_crs_units(10.0, CRS.from_epsg(4326))


def test_great_britain_rule_at_its_edges():
    from hspwork.crs import in_great_britain

    places = {
        "Isles of Scilly": (-6.32, 49.92, True),
        "Shetland": (-1.2, 60.4, True),
        "Kintyre (reaches into the Ireland box)": (-5.6, 55.4, True),
        "Lowestoft": (1.75, 52.48, True),
        "Belfast": (-5.93, 54.6, False),
        "Jersey": (-2.1, 49.2, False),
        "Calais": (1.86, 50.95, True),  # inside the box: the rule is a box, not a coastline
        "a device at (179.9, -89.9)": (179.9, -89.9, False),
        "latitude 90": (-1.9, 90.0, False),
    }
    lon, lat, want = zip(*places.values(), strict=True)
    got = in_great_britain(lon, lat).tolist()
    assert dict(zip(places, got, strict=True)) == dict(zip(places, want, strict=True))
