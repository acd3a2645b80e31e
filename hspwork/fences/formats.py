"""Fence sets to and from the files tracking systems read.

* GeoJSON (``.geojson``, ``.json``): RFC 7946, i.e. WGS84 longitude/latitude with exterior rings
  counter-clockwise and holes clockwise (written by GDAL's ``RFC7946=YES``).
* GeoPackage (``.gpkg``): the fence set as it is, in its own CRS.
* KML (``.kml``): WGS84, the fence name as the placemark name, other columns as extended data.
* CSV (``.csv``): one row per version with the outline as WKT in WGS84 longitude/latitude in a
  ``wkt`` column (the form most tracking systems import).

Times are written as ISO 8601 in UTC. Reading converts back to a metric CRS
(:func:`hspwork.crs.to_metric`, or ``crs=``) and fills columns a file lacks with stated defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from hspwork.compat import UNSET, renamed
from hspwork.crs import WGS84, to_metric
from hspwork.errors import HspworkError, SchemaError
from hspwork.fences.core import FENCE_COLUMNS, _as_utc, _polygonal, check_fences
from hspwork.io.table import charge_lines, read_text_table
from hspwork.report import RowLedger, attach_report
from hspwork.safe import atomic_write

__all__ = ["FORMATS", "from_file", "to_file"]

#: File suffix -> format name.
FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".kml": "kml", ".csv": "csv"}


#: Start given to fences read from a file that carries no dates: they are taken as always in
#: force (a start before any ping), rather than from the moment of loading.
UNDATED_FENCES_FROM = pd.Timestamp("1970-01-01", tz="UTC")


def _format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in set(FORMATS.values()):
            raise HspworkError(
                f"format {fmt!r} is not known; allowed: {', '.join(sorted(set(FORMATS.values())))}"
            )
        return fmt
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise HspworkError(
            f"cannot tell the format of {path.name!r} from its suffix {suffix!r}; allowed suffixes: "
            f"{', '.join(FORMATS)} (or pass format=)"
        )
    return FORMATS[suffix]


def _iso(s: pd.Series) -> pd.Series:
    text = s.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # Plain None for NaT so that GeoJSON gets null and CSV an empty cell.
    return text.astype(object).where(s.notna(), None)


def to_file(fences: gpd.GeoDataFrame, path: str | os.PathLike, format: str | None = None) -> Path:
    """Write a fence set for a tracking system or for the next notebook.

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set (all versions are written; pass :func:`hspwork.fences.current_fences` for
        only those in force).
    path : path-like
        The file; its suffix picks the format (see :data:`FORMATS`). An existing file is
        replaced whole, and only once the new one is complete (a failed write leaves it as it
        was; see :func:`hspwork.safe.atomic_write`).
    format : {"geojson", "gpkg", "kml", "csv"}, optional
        Overrides the suffix.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530100, 180100)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = from_file(to_file(f, d + "/fences.geojson"))
    >>> back.crs.to_epsg(), round(float(back.area.iloc[0]))
    (27700, 10000)
    """
    f = check_fences(fences)
    path = Path(path)
    fmt = _format(path, format)
    out = f.copy()
    out.attrs = {}  # the writers need nothing from attrs
    if fmt != "gpkg":
        out = out.to_crs(WGS84)
    if fmt in ("geojson", "kml", "csv"):
        for c in ("valid_from", "valid_to"):
            out[c] = _iso(out[c])
    # Written beside the target and renamed onto it only when complete: a failed write leaves
    # the old file as it was.
    with atomic_write(path) as tmp:
        if fmt == "geojson":
            pyogrio.write_dataframe(
                out, tmp, driver="GeoJSON", layer=path.stem, layer_options={"RFC7946": "YES"}
            )
        elif fmt == "gpkg":
            pyogrio.write_dataframe(out, tmp, driver="GPKG", layer="fences", **_gpkg_options(out))
        elif fmt == "kml":
            pyogrio.write_dataframe(out, tmp, driver="LIBKML", layer="fences")
        else:
            table = pd.DataFrame(out.drop(columns="geometry"))
            table["wkt"] = shapely.to_wkt(out.geometry.to_numpy(), rounding_precision=8)
            table.to_csv(tmp, index=False)
    return path


def _gpkg_options(out: gpd.GeoDataFrame) -> dict:
    """GeoPackage options that keep a fence set as it is.

    * GDAL names the feature-id column ``fid``; a fence set with its own ``fid`` column (a
      layer exported from QGIS) would fail to write, so the id column takes another name.
    * A set mixing Polygons and MultiPolygons would be promoted to MultiPolygons throughout;
      the layer is declared generic instead, so each Polygon comes back a Polygon.
    """
    opts: dict = {}
    lower = {str(c).lower() for c in out.columns}
    if "fid" in lower:
        name = next(
            n for n in ("gpkg_fid", *(f"gpkg_fid_{i}" for i in range(1, 99))) if n not in lower
        )
        opts["layer_options"] = {"FID": name}
    kinds = set(shapely.get_type_id(out.geometry.to_numpy()).tolist())
    if len(kinds) > 1:
        opts["promote_to_multi"] = False
        opts["geometry_type"] = "Unknown"
    return opts


def _read_raw(path: Path, fmt: str, layer: str | None) -> tuple[gpd.GeoDataFrame, np.ndarray, list]:
    """The file's rows, the lines that were not rows (CSV: blank, cut short) and notes."""
    if fmt == "csv":
        # The loaders' CSV reader: encoding fallback, unusable lines counted, never a raw
        # pandas error.
        got = read_text_table(path)
        table = got.frame
        wkt_col = next((c for c in table.columns if c.lower() in ("wkt", "geometry", "geom")), None)
        if wkt_col is None:
            raise SchemaError(
                f"{path.name} has no WKT column (wkt, geometry or geom); columns: {', '.join(table.columns)}"
            )
        text = (
            table.pop(wkt_col).astype(object).where(lambda t: t.astype(str).str.strip() != "", None)
        )
        try:
            geoms = shapely.from_wkt(text.to_numpy(dtype=object), on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise SchemaError(
                f"{path.name}: column {wkt_col!r} holds text that is not WKT ({exc})"
            ) from exc
        table = table.astype(object).replace("", None)
        return gpd.GeoDataFrame(table, geometry=geoms, crs=WGS84), got.bad, list(got.notes)
    kw = {"layer": layer} if layer else {}
    # Times come as text and are read by _as_utc: GDAL would take a time without a zone as
    # UTC when others in the column have one, which hides a local time an hour out.
    try:
        raw = gpd.read_file(path, engine="pyogrio", datetime_as_string=True, **kw)
    except Exception as exc:  # pyogrio raises its own error classes for a bad file
        raise HspworkError(f"{path.name} could not be read as {fmt}: {exc}") from exc
    return raw, np.full(len(raw), "", dtype=object), []


def from_file(
    path: str | os.PathLike,
    crs=None,
    id_column: str | None = None,
    role: str = "treatment",
    valid_from=None,
    layer: str | None = None,
    format: str | None = None,
    *,
    id_col=UNSET,
) -> gpd.GeoDataFrame:
    """Read a fence set from GeoJSON, GeoPackage, KML or CSV-with-WKT.

    Files written by :func:`to_file` come back whole. Files from elsewhere need only polygons:
    a missing ``fence_id`` is taken from ``id_column``, else a ``name``/``Name`` column, else the
    row number; missing ``role`` is ``role``; missing ``valid_from`` is ``valid_from`` (default
    :data:`UNDATED_FENCES_FROM`, 1970-01-01 UTC: an undated file is taken as always in force, so
    last month's pings count against it; noted in the report); ``version`` 1, ``buffer_m`` 0
    and empty ``notes`` otherwise.

    Rows without geometry, whose geometry is not a polygon, or with a blank ``fence_id``, and a
    CSV's lines that are not rows (blank, cut short), are dropped, counted by reason in
    ``frame.attrs["load_report"]`` (:func:`hspwork.report.report_of`) and announced with a
    :class:`~hspwork.errors.DataDroppedWarning`.

    Parameters
    ----------
    path : path-like
        The file.
    crs : CRS-like, optional
        Metric CRS to return; default chosen by :func:`hspwork.crs.to_metric` (British National
        Grid in Great Britain). A CSV's WKT is read as WGS84 longitude/latitude.
    id_column : str, optional
        Column holding the fence id when there is no ``fence_id`` (``id_col`` is its
        deprecated name).
    role, valid_from :
        Defaults for files that lack them.
    layer : str, optional
        Layer of a GeoPackage or KML holding more than one.
    format : str, optional
        Overrides the suffix.

    Returns
    -------
    GeoDataFrame
        A checked fence set.
    """
    id_column = renamed("from_file", "id_col", id_col, "id_column", id_column, None)
    path = Path(path)
    if not path.exists():
        raise HspworkError(f"no file {str(path)!r}")
    fmt = _format(path, format)
    raw, bad, notes = _read_raw(path, fmt, layer)
    # KML and other systems capitalise column names; match the contract's case-insensitively.
    lower = {c.lower(): c for c in raw.columns}
    rename = {lower[c]: c for c in FENCE_COLUMNS if c in lower and lower[c] != c}
    raw = raw.rename(columns=rename)
    ledger = RowLedger(len(raw), str(path))
    charge_lines(bad, ledger)
    for n in notes:
        ledger.note(n)
    geoms = raw.geometry.to_numpy()
    ledger.drop(shapely.is_missing(geoms) | shapely.is_empty(geoms), "no geometry")
    ledger.drop(~_polygonal(geoms), "not a polygon")
    if "fence_id" in raw.columns:
        ids = raw["fence_id"]
        ledger.drop(
            (ids.isna() | (ids.astype(object).astype(str).str.strip() == "")).to_numpy(),
            "no fence_id",
        )
    keep = ledger.keep
    if not keep.any():
        raise HspworkError(
            f"{path.name} holds no polygon to make a fence of ({ledger.report().summary()})"
        )
    f = raw[keep].reset_index(drop=True)
    if "fence_id" not in f.columns:
        if id_column is not None:
            if id_column not in f.columns:
                raise SchemaError(
                    f"{path.name} has no column {id_column!r}; columns: {', '.join(map(str, f.columns))}"
                )
            f["fence_id"] = f[id_column].astype(str)
        elif "name" in f.columns:
            f["fence_id"] = f["name"].astype(str)
            ledger.note("fence_id taken from the name column")
        else:
            f["fence_id"] = np.arange(len(f)).astype(str)
            ledger.note("fence_id taken from the row number")
    if "name" not in f.columns:
        f["name"] = f["fence_id"]
    if "role" not in f.columns:
        f["role"] = role
    if "valid_from" not in f.columns or f["valid_from"].isna().all():
        if valid_from is None:
            # A file with no dates (a force's existing geofences, a hand-drawn layer) is taken
            # as always in force, so pings from before today are counted against it; a fence
            # set made today with make_fences starts now instead.
            valid_from = UNDATED_FENCES_FROM
            ledger.note(
                f"valid_from not in the file; fences taken as in force since "
                f"{valid_from.date()} (pass valid_from= to start them later)"
            )
        f["valid_from"] = _as_utc([valid_from], "valid_from").iloc[0]
    if "valid_to" not in f.columns:
        f["valid_to"] = pd.NaT
    if "version" not in f.columns:
        f["version"] = 1
    if "buffer_m" not in f.columns:
        f["buffer_m"] = 0.0
    if "notes" not in f.columns:
        f["notes"] = ""
    for c in ("valid_from", "valid_to"):
        f[c] = _as_utc(f[c], f"{path.name}.{c}").array
    f = gpd.GeoDataFrame(f, geometry=f.geometry.name, crs=raw.crs)
    if f.geometry.name != "geometry":
        f = f.rename_geometry("geometry")
    f = f.to_crs(crs) if crs is not None else to_metric(f, path.name)
    out = check_fences(f, path.name)
    report = ledger.report()
    attach_report(out, report)
    report.warn(stacklevel=3)
    return out
