"""Byte-stable writers for the sample city.

The sample city must come out bit for bit the same each time it is generated, so nothing here
leans on library defaults that may change the bytes: numbers are formatted by us, GeoJSON is
written by hand, and Parquet files carry no pandas/version metadata in their schema.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import Transformer

# OSGB36 / British National Grid -> WGS84 with the published 7-parameter Helmert transformation
# (EPSG:1314, about 2 m accuracy). Pinned as an explicit pipeline so that a machine with the
# OSTN15 grid installed produces the same longitudes/latitudes as one without.
_BNG_TO_WGS84 = (
    "+proj=pipeline +step +inv +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 "
    "+y_0=-100000 +ellps=airy +step +proj=push +v_3 +step +proj=cart +ellps=airy "
    "+step +proj=helmert +x=446.448 +y=-125.157 +z=542.06 +rx=0.15 +ry=0.247 +rz=0.842 "
    "+s=-20.489 +convention=position_vector +step +inv +proj=cart +ellps=WGS84 "
    "+step +proj=pop +v_3 +step +proj=unitconvert +xy_in=rad +xy_out=deg"
)


def bng_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert BNG eastings/northings (m) to WGS84 longitude/latitude (degrees).

    Examples
    --------
    >>> lon, lat = bng_to_lonlat(np.array([530000.0]), np.array([180000.0]))
    >>> round(float(lon[0]), 3), round(float(lat[0]), 3)
    (-0.128, 51.504)
    """
    tr = Transformer.from_pipeline(_BNG_TO_WGS84)
    lon, lat = tr.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def fmt_float(values: np.ndarray, decimals: int) -> np.ndarray:
    """Format floats with a fixed number of decimals; NaN becomes an empty string.

    Examples
    --------
    >>> fmt_float(np.array([1.0, np.nan, -0.25]), 2).tolist()
    ['1.00', '', '-0.25']
    """
    values = np.asarray(values, dtype=float)
    out = np.char.mod(f"%.{decimals}f", np.where(np.isnan(values), 0.0, values)).astype(object)
    out[np.isnan(values)] = ""
    # "-0.00" and "0.00" must not both appear for the same number
    out[out == "-" + f"{0:.{decimals}f}"] = f"{0:.{decimals}f}"
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame of already-formatted values as UTF-8 CSV with ``\\n`` line ends."""
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write Parquet without pandas metadata (it names the pandas version) and with zstd."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1_000_000,
    )


def _round_coords(geom, decimals: int):
    coords = shapely.get_coordinates(geom)
    return shapely.set_coordinates(geom, np.round(coords, decimals))


def write_geojson(
    frame: pd.DataFrame, geometries, path: Path, *, name: str, decimals: int = 1
) -> None:
    """Write a GeoJSON FeatureCollection in EPSG:27700 with a named-CRS member.

    ``frame`` holds plain properties (str/int/float); ``geometries`` the shapely geometries.
    GDAL/pyogrio read the ``crs`` member, so the file opens as British National Grid.
    """
    features = []
    records = frame.to_dict(orient="records")
    for props, geom in zip(records, geometries, strict=True):
        g = shapely.geometry.mapping(_round_coords(geom, decimals))
        g = json.loads(json.dumps(g))  # tuples -> lists for a stable dump
        features.append({"type": "Feature", "properties": props, "geometry": g})
    doc = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": features,
    }
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")


def write_json(obj, path: Path) -> None:
    """Write JSON with sorted keys and two-space indents (stable bytes)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, ensure_ascii=False)
        fh.write("\n")


def sha256_file(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
