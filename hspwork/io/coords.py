"""Coordinates from text to metres, dropping what cannot be a place with its reason.

A file gives easting/northing in a declared CRS, or longitude/latitude. Each file may differ
(one year's export in grid references, the next in longitude/latitude); the rows of all files
are checked together and projected to one metric CRS:

* blank, non-numeric and (0, 0) positions are dropped by reason;
* positions outside their CRS's range (longitude beyond ±180, a northing beyond the National
  Grid) are "coordinates out of range";
* under the CRS policy's Great Britain rule (longitude/latitude data whose middle lies in Great
  Britain, or ``to_crs`` British National Grid), a longitude/latitude outside Great Britain
  (:func:`hspwork.crs.in_great_britain`) is "outside Great Britain" — latitude 90 and
  (179.9, -89.9) among British rows are device placeholders, not places in the force area;
  under another metric CRS, a position far outside that CRS's area of use is dropped the same
  way;
* a declared boundary (``area=``) drops what lies outside it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from hspwork import crs as crs_policy
from hspwork.errors import CRSError, SchemaError
from hspwork.io.columns import blank, numbers
from hspwork.report import RowLedger

# A generous extent of the British National Grid's valid area, metres.
BNG_EXTENT = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)
OUTSIDE_GB = "outside Great Britain (longitude/latitude under the British National Grid policy)"
OUT_OF_RANGE = "coordinates out of range"


def choose_columns(
    columns: list[str], cols: dict[str, str], crs: CRS | None, source: str
) -> tuple[str, str, CRS]:
    """Which pair of columns a file's positions come from, and their CRS.

    Grid columns need a declared CRS; without one, longitude/latitude (which say what they are)
    are used when the file has them too.
    """
    use_ll = "lon" in cols and "lat" in cols
    use_xy = "x" in cols and "y" in cols and (crs is not None or not use_ll)
    if not (use_xy or use_ll):
        raise SchemaError(
            f"{source}: no location columns (easting/northing or longitude/latitude); "
            f"found {columns}. Map yours with columns={{'Your X': 'x', 'Your Y': 'y'}}"
        )
    if use_xy and crs is None:
        raise CRSError(
            f"{source}: coordinates in columns {cols['x']!r}/{cols['y']!r} have no declared "
            "CRS. Pass crs='EPSG:27700' for British National Grid eastings/northings (or the "
            "EPSG code of your export)."
        )
    if use_xy:
        return cols["x"], cols["y"], CRS.from_user_input(crs)
    return cols["lon"], cols["lat"], crs_policy.WGS84


def parse_positions(
    vx_raw: pd.Series, vy_raw: pd.Series, src_code: np.ndarray, srcs: list[CRS], ledger: RowLedger
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from the position columns; unusable rows dropped by reason."""
    vx, vy = numbers(vx_raw), numbers(vy_raw)
    ledger.drop((blank(vx_raw) | blank(vy_raw)).to_numpy(), "no location")
    ledger.drop((vx.isna() | vy.isna()).to_numpy(), "non-numeric coordinates")
    ledger.drop(((vx == 0) & (vy == 0)).to_numpy(), "zero coordinates (0, 0)")
    x = vx.to_numpy(dtype=float)
    y = vy.to_numpy(dtype=float)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    for code, src in enumerate(srcs):
        rows = src_code == code
        if src.is_geographic:
            bad |= rows & ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
        elif src.equals(crs_policy.BNG):
            x0, y0, x1, y1 = BNG_EXTENT
            bad |= rows & ~((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    ledger.drop(bad, OUT_OF_RANGE)
    return x, y


def _area_check(lon: np.ndarray, lat: np.ndarray, target: CRS) -> tuple[np.ndarray, str]:
    """Rows (lon/lat) that cannot be places in ``target``, and the reason to give."""
    if target.equals(crs_policy.BNG):
        return ~crs_policy.in_great_britain(lon, lat), OUTSIDE_GB
    aou = target.area_of_use
    if aou is None or not target.is_projected:
        return np.zeros(len(lon), dtype=bool), ""
    # A zone's own band is narrow (6 degrees for UTM); a city across its edge is still fine.
    m = 3.0
    inside = (lon >= aou.west - m) & (lon <= aou.east + m) & (lat >= aou.south - m)
    inside &= lat <= min(aou.north + m, 89.0)
    return ~inside, f"outside the area of {target.name}"


def project(
    x: np.ndarray,
    y: np.ndarray,
    src_code: np.ndarray,
    srcs: list[CRS],
    target_crs: CRS | None,
    ledger: RowLedger,
) -> tuple[np.ndarray, np.ndarray, CRS]:
    """Project every kept row to one metric CRS: ``target_crs``, else the first file's grid
    CRS, else the CRS policy's choice for the longitudes/latitudes' middle."""
    keep = ledger.keep
    used = [c for c in range(len(srcs)) if (keep & (src_code == c)).any()]
    if target_crs is not None:
        target = CRS.from_user_input(target_crs)
    elif any(srcs[c].is_projected for c in used):
        target = next(srcs[c] for c in used if srcs[c].is_projected)
    elif used:
        k = keep & np.isin(src_code, used)
        target = crs_policy.metric_crs_for_lonlat(float(np.median(x[k])), float(np.median(y[k])))
    else:
        # Nothing located: no place to choose a metric CRS from; the empty result stays in
        # the files' own CRS.
        return x, y, srcs[0] if srcs else crs_policy.WGS84
    for c in used:
        if srcs[c].is_geographic:
            outside, reason = _area_check(x, y, target)
            ledger.drop(outside & (src_code == c), reason)
    px = np.full(len(x), np.nan)
    py = np.full(len(y), np.nan)
    for c in used:
        rows = ledger.keep & (src_code == c)
        if srcs[c].equals(target):
            px[rows], py[rows] = x[rows], y[rows]
        else:
            tr = Transformer.from_crs(srcs[c], target, always_xy=True)
            px[rows], py[rows] = tr.transform(x[rows], y[rows])
    ledger.drop(ledger.keep & ~(np.isfinite(px) & np.isfinite(py)), OUT_OF_RANGE)
    return px, py, target


def drop_outside(x, y, area, crs, ledger: RowLedger, reason: str) -> None:
    """Drop kept rows whose point lies outside ``area`` (a polygon frame or geometry)."""
    if area is None:
        return
    import shapely

    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        area = crs_policy.to_metric(area, "area")
        if not CRS.from_user_input(area.crs).equals(crs):
            area = area.to_crs(crs)
        geom = shapely.union_all(np.asarray(area.geometry))
    else:
        geom = area
    inside = np.zeros(len(x), dtype=bool)
    k = ledger.keep
    inside[k] = shapely.contains_xy(geom, x[k], y[k])
    ledger.drop(~inside, reason)
