"""The CRS policy: analysis happens in a projected CRS measured in metres.

* Geometry with no CRS is an error that says how to declare one; hspwork never guesses.
* Longitude/latitude inside Great Britain goes to British National Grid (EPSG:27700), on the
  island of Ireland to Irish Transverse Mercator (EPSG:2157), elsewhere to the local UTM zone.
* Data already projected stays in its CRS. Every size a user gives is in metres, also when
  the CRS is measured in US survey feet: :func:`metres_to_crs_units` converts.
* When two inputs disagree, the second is converted to the first's CRS with a
  :class:`~hspwork.errors.CRSMismatchWarning` that names both.
"""

from __future__ import annotations

import warnings
from typing import TypeVar

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

from hspwork.errors import CRSError, CRSMismatchWarning

BNG = CRS.from_epsg(27700)
ITM = CRS.from_epsg(2157)
WGS84 = CRS.from_epsg(4326)

GeoT = TypeVar("GeoT", gpd.GeoDataFrame, gpd.GeoSeries)

_HOW_TO_DECLARE = (
    "Declare the CRS the coordinates are in, for example "
    "`frame.set_crs('EPSG:27700')` for British National Grid eastings/northings or "
    "`frame.set_crs('EPSG:4326')` for longitude/latitude (loaders take `crs=`)."
)


def require_crs(obj: gpd.GeoDataFrame | gpd.GeoSeries, name: str = "data") -> CRS:
    """Return the CRS of ``obj`` or raise :class:`CRSError` with the fix.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> require_crs(gpd.GeoSeries([Point(0, 0)], crs=27700)).to_epsg()
    27700
    """
    if obj.crs is None:
        raise CRSError(f"{name} has no CRS. {_HOW_TO_DECLARE}")
    return CRS.from_user_input(obj.crs)


def _in_gb(lon: float, lat: float) -> bool:
    return -8.75 <= lon <= 1.9 and 49.8 <= lat <= 60.95 and not _in_ireland(lon, lat)


def _in_ireland(lon: float, lat: float) -> bool:
    if not (-10.7 <= lon <= -5.4 and 51.3 <= lat <= 55.45):
        return False
    # Kintyre reaches into this box; it belongs to Great Britain.
    return not (lon > -5.85 and lat > 55.25)


def in_great_britain(lon, lat) -> np.ndarray:
    """Whether each longitude/latitude lies in Great Britain as the CRS policy draws it.

    The box -8.75..1.9 E, 49.8..60.95 N (the Isles of Scilly to Shetland), less the island of
    Ireland (Kintyre stays in). Under this policy British National Grid is used; a point outside
    it in a British file (a placeholder such as (0, 90) or a device's (179.9, -89.9)) is not a
    place in the force area.

    Examples
    --------
    >>> in_great_britain([-1.9, 179.9, -6.26, -1.9], [52.48, -89.9, 53.35, 90.0]).tolist()
    [True, False, False, False]
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    box = (lon >= -8.75) & (lon <= 1.9) & (lat >= 49.8) & (lat <= 60.95)
    ireland = (lon >= -10.7) & (lon <= -5.4) & (lat >= 51.3) & (lat <= 55.45)
    ireland &= ~((lon > -5.85) & (lat > 55.25))
    return box & ~ireland


def metric_crs_for_lonlat(lon: float, lat: float) -> CRS:
    """The projected metric CRS hspwork uses for a place given as longitude/latitude.

    Examples
    --------
    >>> metric_crs_for_lonlat(-1.25, 51.75).to_epsg()   # Oxford
    27700
    >>> metric_crs_for_lonlat(-6.26, 53.35).to_epsg()   # Dublin
    2157
    >>> metric_crs_for_lonlat(-74.0, 40.7).to_epsg()    # New York: UTM 18N
    32618
    """
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise CRSError("cannot choose a metric CRS: no finite longitude/latitude to place it")
    if _in_gb(lon, lat):
        return BNG
    if _in_ireland(lon, lat):
        return ITM
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def is_metric(crs: CRS) -> bool:
    """True when ``crs`` is projected (planar); its unit may still be feet."""
    return bool(crs.is_projected)


def unit_to_metres(crs: CRS) -> float:
    """How many metres one unit of the projected ``crs`` is (1.0 for metres).

    Examples
    --------
    >>> unit_to_metres(CRS.from_epsg(2263))  # New York Long Island, US survey feet
    0.30480060960121924
    """
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise CRSError(f"{crs.name} is not projected: sizes in metres need a projected CRS")
    return float(crs.axis_info[0].unit_conversion_factor)


def metres_to_crs_units(metres: float, crs: CRS) -> float:
    """Convert a size in metres to the units of ``crs``.

    Examples
    --------
    >>> round(metres_to_crs_units(100.0, CRS.from_epsg(2263)), 3)
    328.083
    """
    return float(metres) / unit_to_metres(crs)


def crs_units_to_metres(value, crs: CRS):
    """Convert lengths in the units of ``crs`` to metres (areas: apply twice)."""
    return value * unit_to_metres(crs)


def to_metric(obj: GeoT, name: str = "data") -> GeoT:
    """Return ``obj`` in a projected CRS, converting longitude/latitude by the policy above.

    Data already projected is returned unchanged (also when measured in feet).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> s = gpd.GeoSeries([Point(-0.1276, 51.5072)], crs=4326)
    >>> to_metric(s).crs.to_epsg()
    27700
    """
    crs = require_crs(obj, name)
    if crs.is_projected:
        return obj
    if len(obj) == 0:
        raise CRSError(f"{name} is empty and in {crs.name}: nothing to place a metric CRS on")
    geoms = obj.geometry if isinstance(obj, gpd.GeoDataFrame) else obj
    b = geoms.total_bounds
    target = metric_crs_for_lonlat((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
    return obj.to_crs(target)


def align_crs(
    reference: gpd.GeoDataFrame | gpd.GeoSeries, other: GeoT, names=("reference", "other")
) -> GeoT:
    """Return ``other`` in the CRS of ``reference``, warning when it had to be converted."""
    ref_crs = require_crs(reference, names[0])
    oth_crs = require_crs(other, names[1])
    if ref_crs.equals(oth_crs):
        return other
    warnings.warn(
        f"{names[1]} is in {oth_crs.name} ({oth_crs.to_string()}) but {names[0]} is in "
        f"{ref_crs.name} ({ref_crs.to_string()}); converted {names[1]} to match.",
        CRSMismatchWarning,
        stacklevel=3,
    )
    return other.to_crs(ref_crs)


def lonlat_to_metric(lon, lat, crs: CRS | str | int | None = None):
    """Project longitude/latitude arrays to metres without building Point objects.

    Parameters
    ----------
    lon, lat : array-like
        WGS84 degrees.
    crs : CRS-like, optional
        Target CRS; by default chosen from the median position by the policy above.

    Returns
    -------
    x, y : numpy.ndarray
    crs : pyproj.CRS

    Examples
    --------
    >>> x, y, crs = lonlat_to_metric([-0.1276], [51.5072])
    >>> crs.to_epsg(), round(float(x[0]), -2), round(float(y[0]), -2)
    (27700, 530000.0, 180400.0)
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if crs is None:
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            raise CRSError("no finite longitude/latitude to choose a metric CRS from")
        crs = metric_crs_for_lonlat(float(np.median(lon[ok])), float(np.median(lat[ok])))
    crs = CRS.from_user_input(crs)
    tr = Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.asarray(x), np.asarray(y), crs
