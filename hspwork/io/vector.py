"""Vector files: crimes as points, street networks, and the doors to the fence formats."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from hspwork import crs as crs_policy
from hspwork.errors import HspworkError
from hspwork.io._common import finish
from hspwork.io.table import read_text_table
from hspwork.report import RowLedger


def read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """A GeoParquet file or any vector file pyogrio reads, with a clear error when it cannot."""
    if not path.exists():
        raise HspworkError(f"{path} does not exist")
    if path.is_dir():
        raise HspworkError(f"{path} is a folder; give the path of one vector file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return gpd.read_parquet(path)
        return gpd.read_file(path, layer=layer)
    except Exception as err:  # pyogrio and pyarrow raise their own error classes
        raise HspworkError(f"{path} could not be read as a vector file: {err}") from err


def read_parquet_maybe_geo(path: Path):
    """GeoParquet as a GeoDataFrame; a plain Parquet table as text-like columns (TableRead)."""
    if not path.exists():
        raise HspworkError(f"{path} does not exist")
    try:
        return gpd.read_parquet(path)
    except (ValueError, KeyError):
        # A plain Parquet table (no "geo" metadata) is read like a CSV export.
        return read_text_table(path)
    except Exception as err:  # pyarrow raises several error classes for a bad file
        raise HspworkError(f"{path} could not be read as Parquet: {err}") from err


def read_fences(path: str | Path, **kwargs) -> gpd.GeoDataFrame:
    """Read a fence set from GeoJSON, GeoPackage, KML, CSV with WKT or any file pyogrio reads.

    A thin door to :func:`hspwork.fences.from_file`, which holds the format logic and takes the
    same keyword arguments (``crs``, ``id_col``, ``role``, ``valid_from``, ``layer``,
    ``format``). Rows dropped (no geometry, not a polygon, no fence id) are counted in
    ``attrs["load_report"]`` (:func:`hspwork.report.report_of`).
    """
    from hspwork.fences.formats import from_file

    return from_file(path, **kwargs)


def write_fences(fences: gpd.GeoDataFrame, path: str | Path, format: str | None = None) -> Path:
    """Write a fence set; the suffix picks GeoJSON (RFC 7946, WGS84), GeoPackage, KML or CSV.

    A thin door to :func:`hspwork.fences.to_file` (an atomic save: a failed write leaves the
    old file as it was).
    """
    from hspwork.fences.formats import to_file

    return to_file(fences, path, format=format)


def read_streets(
    path: str | Path | gpd.GeoDataFrame,
    *,
    layer: str | None = None,
    to_crs: CRS | str | int | None = None,
    warn: bool = True,
) -> gpd.GeoDataFrame:
    """Read a street network (centrelines) into metres, accounting for every row.

    Rows with no geometry, or with a geometry that is not a line, are dropped by reason.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> from hspwork.report import report_of
    >>> raw = gpd.GeoDataFrame({"name": ["High St", "a point"]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), Point(5, 5)], crs=27700)
    >>> streets = read_streets(raw, warn=False)
    >>> report_of(streets).summary()
    'table: read 2 rows, kept 1, dropped 1 (not a line: 1)'
    """
    if isinstance(path, gpd.GeoDataFrame):
        raw, source = path.reset_index(drop=True), "table"
    elif isinstance(path, pd.DataFrame):
        raise HspworkError("read_streets needs a GeoDataFrame of lines (or a vector file)")
    else:
        p = Path(path)
        raw, source = read_vector(p, layer), str(p)
    crs_policy.require_crs(raw, source)
    ledger = RowLedger(len(raw), source)
    geom = raw.geometry
    ledger.drop((geom.isna() | geom.is_empty).to_numpy(), "no geometry")
    ledger.drop(~geom.geom_type.isin(["LineString", "MultiLineString"]).to_numpy(), "not a line")
    out = raw.loc[ledger.keep].reset_index(drop=True)
    out.attrs = {}
    out = out.to_crs(to_crs) if to_crs is not None else crs_policy.to_metric(out, source)
    return finish(out, ledger, warn)
