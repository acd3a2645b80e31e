"""The fence editor's state as plain functions: features <-> GeoDataFrame, table, map view.

Nothing here needs a browser or a widget; :class:`hspwork.widgets.FenceEditor` calls these and
the tests call them directly. Map features are GeoJSON in WGS84 longitude/latitude (what
Leaflet draws); fences stay in their metric CRS.
"""

from __future__ import annotations

import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from hspwork.crs import WGS84, to_metric, unit_to_metres
from hspwork.errors import SchemaError
from hspwork.fences import check_fences, fence_figures, validate_fences
from hspwork.report import RowLedger, attach_report

__all__ = [
    "ROLE_COLOURS",
    "features_to_fences",
    "fence_table",
    "fences_to_features",
    "keep_unchanged_geometry",
    "map_view",
    "new_fence_id",
]

#: Outline colour per role on the map.
ROLE_COLOURS = {
    "treatment": "#d62728",
    "control": "#1f77b4",
    "catchment": "#7f7f7f",
    "other": "#ff7f0e",
}


def _style(role: str) -> dict[str, Any]:
    colour = ROLE_COLOURS.get(role, "#ff7f0e")
    return {"color": colour, "fillColor": colour, "weight": 2, "opacity": 0.9, "fillOpacity": 0.15}


def fences_to_features(fences: gpd.GeoDataFrame) -> list[dict]:
    """The fences as GeoJSON features in WGS84 for the map's draw layer.

    Each feature carries ``fence_id``, ``name`` and ``role`` in its properties (Leaflet keeps
    properties through edits, which is how an edited shape is matched back to its fence) and a
    ``style`` coloured by role (:data:`ROLE_COLOURS`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530100, 180100)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> feat = fences_to_features(f)[0]
    >>> feat["properties"]["fence_id"], feat["geometry"]["type"]
    ('0', 'Polygon')
    """
    f = check_fences(fences)
    ll = f.to_crs(WGS84)
    out = []
    for fid, name, role, geom in zip(f["fence_id"], f["name"], f["role"], ll.geometry, strict=True):
        out.append(
            {
                "type": "Feature",
                "properties": {"fence_id": fid, "name": name, "role": role, "style": _style(role)},
                "geometry": mapping(geom),
            }
        )
    return out


def new_fence_id(existing, prefix: str = "F") -> str:
    """The next free id of the form ``F1``, ``F2``... not among ``existing``.

    Examples
    --------
    >>> new_fence_id(["F1", "F3", "12"])
    'F4'
    """
    taken = {str(e) for e in existing}
    nums = [int(m.group(1)) for e in taken if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", e))]
    n = max(nums, default=0) + 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def features_to_fences(
    features: list[dict], template: gpd.GeoDataFrame, valid_from=None
) -> gpd.GeoDataFrame:
    """Turn the map's features back into fences (one current version per fence).

    Parameters
    ----------
    features : list of dict
        GeoJSON features from the draw control (WGS84).
    template : GeoDataFrame
        The fences before the edit: gives the CRS and, for a feature whose ``fence_id`` it
        knows, the fence's other columns. A feature without a known ``fence_id`` is a new fence
        (``F1``, ``F2``...; role treatment, version 1).
    valid_from : time-like, optional
        Start given to new fences; default the template's latest ``valid_from``.

    Returns
    -------
    GeoDataFrame
        A fence set in the template's CRS. Features that are not polygons (a stray marker or
        line) are not fences: they are counted in ``attrs["load_report"]``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530100, 180100)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> feats = fences_to_features(f)
    >>> drawn = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
    ...     "coordinates": [[[-0.12, 51.5], [-0.119, 51.5], [-0.119, 51.501], [-0.12, 51.5]]]}}
    >>> back = features_to_fences(feats + [drawn], f)
    >>> back["fence_id"].tolist(), back.crs.to_epsg()
    (['0', 'F1'], 27700)
    """
    tpl = check_fences(template)
    ledger = RowLedger(len(features), "map features")
    geoms = np.array(
        [shape(f["geometry"]) if f.get("geometry") else None for f in features], dtype=object
    )
    if len(geoms):
        ledger.drop(shapely.is_missing(geoms) | shapely.is_empty(geoms), "no geometry")
        kinds = shapely.get_type_id(geoms)
        ledger.drop(~np.isin(kinds, (3, 6)), "not a polygon")
    known = tpl.drop_duplicates("fence_id", keep="last").set_index("fence_id")
    if valid_from is None:
        valid_from = tpl["valid_from"].max() if len(tpl) else pd.Timestamp.now(tz="UTC").floor("s")
    taken = set(tpl["fence_id"])
    seen: set[str] = set()
    rows = []
    for feat, geom, keep in zip(features, geoms, ledger.keep, strict=True):
        if not keep:
            continue
        props = feat.get("properties") or {}
        fid = props.get("fence_id")
        if fid is None or str(fid) in seen:
            # A shape drawn on the map, or a copy of one (a fence appears once).
            fid = new_fence_id(taken | seen)
        fid = str(fid)
        seen.add(fid)
        if fid in known.index:
            row = known.loc[fid].drop(labels="geometry").to_dict()
            row["name"] = str(props.get("name", row["name"]))
            row["role"] = str(props.get("role", row["role"]))
        else:
            row = {
                "name": str(props.get("name", fid)),
                "role": str(props.get("role", "treatment")),
                "valid_from": valid_from,
                "valid_to": pd.NaT,
                "version": 1,
                "buffer_m": 0.0,
                "notes": "drawn on the map",
            }
        row["fence_id"] = fid
        row["geometry"] = geom
        rows.append(row)
    cols = list(tpl.columns)
    if rows:
        ll = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
        out = ll.to_crs(tpl.crs)[cols]
        out = check_fences(gpd.GeoDataFrame(out, geometry="geometry", crs=tpl.crs), "map features")
    else:
        out = tpl.iloc[0:0].copy()
    attach_report(out, ledger.report())
    return out


def keep_unchanged_geometry(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, tolerance_m: float = 0.15
) -> gpd.GeoDataFrame:
    """Give back exact old coordinates to what the map did not really move.

    Leaflet writes longitude/latitude with 6 decimals (up to ~6 cm of rounding), so without
    this an untouched fence would look edited and its figures would flicker. A fence within
    ``tolerance_m`` of its old outline gets the old outline; in an edited fence, vertices within
    ``tolerance_m`` of an old vertex are snapped back to it (only the dragged ones move).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530100, 180100)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> trip = f.to_crs(4326).to_crs(27700)
    >>> bool(keep_unchanged_geometry(f, trip).geometry.iloc[0].equals_exact(f.geometry.iloc[0], 0))
    True
    """
    out = new.copy()
    if out.empty or old.empty:
        return out
    prev = old.drop_duplicates("fence_id", keep="last").set_index("fence_id").geometry
    match = out["fence_id"].isin(prev.index).to_numpy()
    if not match.any():
        return out
    a = out.geometry.to_numpy()[match]
    b = prev.loc[out.loc[match, "fence_id"]].to_numpy()
    tol = tolerance_m / unit_to_metres(old.crs)
    close = shapely.hausdorff_distance(a, b) <= tol
    # Edited fences: snap vertices that stayed put back onto the old ones.
    fixed = np.where(close, b, shapely.snap(a, b, tol))
    geoms = out.geometry.to_numpy().copy()
    geoms[np.flatnonzero(match)] = fixed
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))


def fence_table(
    fences: gpd.GeoDataFrame,
    crimes: gpd.GeoDataFrame | None = None,
    findings: pd.DataFrame | None = None,
    harm_col: str = "harm",
) -> pd.DataFrame:
    """The editor's side table: live figures per fence and the checks each one fails.

    Columns are those of :func:`hspwork.fences.fence_figures` without the centroid, plus
    ``flags`` (the ``check`` names from ``findings`` for that fence, comma-separated, empty when
    the fence passes).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences, validate_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 400, 100)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> fence_table(f, findings=validate_fences(f))[["fence_id", "area_m2", "flags"]].values.tolist()
    [['0', 40000.0, 'too_big']]
    """
    fig = fence_figures(fences, crimes, harm_col=harm_col).drop(
        columns=["centroid_x", "centroid_y"]
    )
    if findings is None:
        findings = validate_fences(fences, crimes=crimes) if len(fences) else None
    if findings is not None and len(findings):
        flags = findings.groupby("fence_id", sort=False)["check"].agg(
            lambda s: ", ".join(dict.fromkeys(s))
        )
        fig["flags"] = fig["fence_id"].map(flags).fillna("")
    else:
        fig["flags"] = ""
    return fig


def map_view(
    fences: gpd.GeoDataFrame, width_px: int = 600, height_px: int = 450
) -> tuple[tuple[float, float], int]:
    """Centre (lat, lon) and the Web Mercator zoom that shows all fences in a map of this size.

    Computed here rather than with ``Map.fit_bounds`` so the view is right before the browser
    has drawn anything.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530200, 180200)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> centre, zoom = map_view(f)
    >>> [round(c, 3) for c in centre], zoom
    ([51.505, -0.127], 17)
    """
    if len(fences) == 0:
        raise SchemaError("no fences to show: give at least one fence")
    fences = to_metric(fences, "fences")
    b = fences.to_crs(WGS84).total_bounds  # lon0, lat0, lon1, lat1
    lat = (b[1] + b[3]) / 2
    lon = (b[0] + b[2]) / 2
    metric = fences.total_bounds
    extent_m = max(metric[2] - metric[0], metric[3] - metric[1], 1.0) * unit_to_metres(fences.crs)
    # Web Mercator: metres per pixel at zoom z = 156543.03392 cos(lat) / 2^z; keep a margin.
    room_px = 0.7 * min(width_px, height_px)
    zoom = math.floor(math.log2(room_px * 156543.03392 * math.cos(math.radians(lat)) / extent_m))
    return (float(lat), float(lon)), int(min(max(zoom, 1), 19))
