"""The fence editor's state as plain functions: features <-> GeoDataFrame, table, map view.

Nothing here needs a browser or a widget; :class:`hspwork.widgets.FenceEditor` calls these and
the tests call them directly. Map features are GeoJSON in WGS84 longitude/latitude (what
Leaflet draws); fences stay in their metric CRS.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from hspwork.crs import WGS84, to_metric, unit_to_metres
from hspwork.errors import HspworkError, SchemaError
from hspwork.fences import ROLES, check_fences, fence_figures, validate_fences
from hspwork.report import RowLedger, attach_report

__all__ = [
    "ROLE_COLOURS",
    "HandOn",
    "apply_name_and_role",
    "effective_start",
    "features_to_fences",
    "fence_bounds",
    "fence_table",
    "fences_to_features",
    "hand_on",
    "harm_cells",
    "keep_unchanged_geometry",
    "label_points",
    "map_view",
    "new_fence_id",
    "outline_problems",
    "same_fence_set",
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
    harm_column: str = "harm",
    *,
    harm_col: str | None = None,
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
    if harm_col is not None:
        warnings.warn(
            "fence_table(harm_col=...) is deprecated; use harm_column=... (the glossary's name)",
            FutureWarning,
            stacklevel=2,
        )
        harm_column = harm_col
    fig = fence_figures(fences, crimes, harm_column=harm_column).drop(
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
    fences: gpd.GeoDataFrame, width_px: int = 600, height_px: int = 450, margin: float = 0.85
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
    k = unit_to_metres(fences.crs)
    width_m = max(metric[2] - metric[0], 1.0) * k
    height_m = max(metric[3] - metric[1], 1.0) * k
    # Web Mercator: metres per pixel at zoom z = 156543.03392 cos(lat) / 2^z. Each side is fitted
    # on its own (a wide set of fences uses a wide map), with a 15% margin.
    res0 = 156543.03392 * math.cos(math.radians(lat))
    fit = min(margin * width_px * res0 / width_m, margin * height_px * res0 / height_m)
    zoom = math.floor(math.log2(fit))
    return (float(lat), float(lon)), int(min(max(zoom, 1), 19))


def apply_name_and_role(
    fences: gpd.GeoDataFrame, fence_id: str, name: str, role: str
) -> tuple[gpd.GeoDataFrame, str]:
    """Give one fence a name and a role in one step; returns the new fences and what changed.

    Both values are checked before either is applied, so a bad role leaves the name as it was.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 50, 50)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> g, what = apply_name_and_role(f, "0", "Market", "control")
    >>> g[["name", "role"]].values.tolist(), what
    ([['Market', 'control']], "0: name 'Market', role control")
    """
    ids = fences["fence_id"].astype(str)
    if fence_id not in set(ids):
        raise HspworkError(f"no fence {fence_id!r} on the map; fences: {', '.join(ids)}")
    name = str(name).strip()
    if not name:
        raise HspworkError(f"a fence needs a name; got {name!r} for fence {fence_id!r}")
    if role not in ROLES:
        raise HspworkError(f"role {role!r} is not allowed; allowed: {', '.join(ROLES)}")
    out = fences.copy()
    row = (ids == fence_id).to_numpy()
    old_name, old_role = out.loc[row, "name"].iloc[0], out.loc[row, "role"].iloc[0]
    changes = []
    if name != old_name:
        changes.append(f"name {name!r}")
    if role != old_role:
        changes.append(f"role {role}")
    out.loc[row, "name"] = name
    out.loc[row, "role"] = role
    return out, (f"{fence_id}: {', '.join(changes)}" if changes else "")


def outline_problems(fences: gpd.GeoDataFrame) -> dict[str, str]:
    """Fences whose outline is not a valid polygon, with the reason (e.g. a bow-tie's crossing).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Polygon, box
    >>> f = gpd.GeoDataFrame({"fence_id": ["ok", "bow"]}, crs=27700, geometry=[
    ...     box(0, 0, 9, 9), Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])])
    >>> outline_problems(f)
    {'bow': 'Self-intersection[5 5]'}
    """
    geoms = fences.geometry.to_numpy()
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    ids = fences["fence_id"].astype(str).to_numpy()
    return {ids[i]: shapely.is_valid_reason(geoms[i]) for i in bad}


def fence_bounds(fences: gpd.GeoDataFrame, fence_id: str) -> list[list[float]]:
    """[[south, west], [north, east]] of one fence, for the map.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["a"]}, geometry=[box(-0.12, 51.5, -0.11, 51.51)],
    ...                      crs=4326)
    >>> fence_bounds(f, "a")
    [[51.5, -0.12], [51.51, -0.11]]
    """
    one = fences[fences["fence_id"].astype(str) == fence_id]
    if one.empty:
        raise HspworkError(f"no fence {fence_id!r}")
    w, s, e, n = (float(v) for v in one.to_crs(WGS84).total_bounds)
    return [[s, w], [n, e]]


def label_points(fences: gpd.GeoDataFrame) -> list[tuple[str, str, float, float]]:
    """(fence_id, name, lat, lon) for each fence's label: a point inside the fence.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> f = gpd.GeoDataFrame({"fence_id": ["a"], "name": ["Market"]},
    ...                      geometry=[box(-0.12, 51.5, -0.11, 51.51)], crs=4326)
    >>> label_points(f)
    [('a', 'Market', 51.505, -0.115)]
    """
    metric = to_metric(fences, "fences")
    pts = gpd.GeoSeries(
        shapely.point_on_surface(metric.geometry.to_numpy()), crs=metric.crs
    ).to_crs(WGS84)
    return [
        (str(i), str(n), round(float(p.y), 6), round(float(p.x), 6))
        for i, n, p in zip(fences["fence_id"], fences["name"], pts, strict=True)
    ]


def effective_start(day, tz: str = "Europe/London") -> pd.Timestamp:
    """The UTC instant a version starts when given a local date: midnight local time.

    Examples
    --------
    >>> import datetime
    >>> str(effective_start(datetime.date(2025, 10, 1)))  # BST: midnight is 23:00 UTC
    '2025-09-30 23:00:00+00:00'
    >>> str(effective_start("2025-12-01"))
    '2025-12-01 00:00:00+00:00'
    """
    try:
        d = pd.Timestamp(day)
    except (TypeError, ValueError) as exc:
        raise HspworkError(f"cannot read {day!r} as a date; give e.g. '2025-10-01'") from exc
    if d.tzinfo is not None:
        return d.tz_convert("UTC")
    return d.normalize().tz_localize(tz).tz_convert("UTC")


def harm_cells(
    crimes: gpd.GeoDataFrame,
    harm_column: str = "harm",
    cell_size_m: float = 50.0,
) -> dict:
    """The harm map under the fences: harm per square cell as GeoJSON, coloured in fixed classes.

    Each cell with harm gets a fill colour from five classes (quintiles of the cells with harm,
    :func:`hspwork.widgets.harm_map3d.colour_classes`), fixed once here: the colours do not
    change with zoom, unlike a heat map that renormalises to what is in view. Harm is summed
    with :func:`hspwork.units.count` (crimes without ``harm_column`` count 1 each).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> c = gpd.GeoDataFrame({"harm": [365.0, 2.0, 1.0]},
    ...     geometry=[Point(530010, 180010), Point(530020, 180020), Point(530160, 180010)],
    ...     crs=27700)
    >>> g = harm_cells(c, cell_size_m=100)
    >>> [f["properties"]["harm"] for f in g["features"]]
    [367.0, 1.0]
    """
    from hspwork.units import count, grid
    from hspwork.widgets.harm_map3d import _CLASS_COLOURS, colour_classes

    pts = to_metric(crimes, "crimes")
    if harm_column in pts.columns:
        pts = pts.assign(harm=pts[harm_column])
    else:
        pts = pts.assign(harm=1.0)
    cells = count(grid(pts, cell_size_m), pts[["harm", pts.geometry.name]])
    cells = cells[cells["harm"] > 0]
    limits = colour_classes(cells["harm"])
    cls = np.searchsorted(limits, cells["harm"].to_numpy(), side="left")
    data = json.loads(cells[["harm", "geometry"]].to_crs(WGS84).to_json(drop_id=True))
    for feat, k in zip(data["features"], cls, strict=True):
        r, g, b, _ = _CLASS_COLOURS[min(int(k), len(_CLASS_COLOURS) - 1)]
        feat["properties"]["style"] = {"fillColor": f"#{r:02x}{g:02x}{b:02x}"}
    data["classes"] = [float(v) for v in limits]
    return data


def same_fence_set(
    a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, tolerance_m: float = 0.5, versions: bool = True
) -> bool:
    """True when two fence sets hold the same versions: ids, versions, names, roles, buffers,
    dates (to the second a file keeps) and outlines (each within ``tolerance_m``, which absorbs
    a GeoJSON round trip). ``versions=False`` compares the fences only, not their versions
    and dates.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530050, 180050)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> same_fence_set(f, f.to_crs(4326)), same_fence_set(f, f.assign(role="control"))
    (True, False)
    """
    a, b = check_fences(a), check_fences(b)
    if len(a) != len(b):
        return False
    key = ["fence_id", "version"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.to_crs(a.crs).sort_values(key).reset_index(drop=True)
    if not versions:
        key = ["fence_id"]
        a = a.sort_values(key).reset_index(drop=True)
        b = b.sort_values(key).reset_index(drop=True)
    for col in (
        ("fence_id", "version", "name", "role") if versions else ("fence_id", "name", "role")
    ):
        if not a[col].equals(b[col]):
            return False
    if versions:
        for col in ("valid_from", "valid_to"):
            same_missing = (a[col].isna() == b[col].isna()).all()
            gap = (a[col] - b[col]).abs().dropna()
            if not same_missing or (gap > pd.Timedelta(seconds=1)).any():
                return False
    if not np.allclose(a["buffer_m"], b["buffer_m"]):
        return False
    d = shapely.hausdorff_distance(a.geometry.to_numpy(), b.geometry.to_numpy())
    return bool((d * unit_to_metres(a.crs) <= tolerance_m).all())


class HandOn:
    """What :func:`hand_on` did: the file, whether it wrote it, and the set chapter 3 will read.

    Attributes
    ----------
    path : pathlib.Path
    wrote : bool
        True when the chapter's (unedited) set was written.
    edited : bool
        True when the file holds an edited set, kept as it was.
    fences : GeoDataFrame
        The fence set now in the file.
    unsaved : bool
        True when the editor has changes that were never saved.
    """

    def __init__(self, path, wrote, edited, fences, unsaved=False):
        self.path, self.wrote, self.edited = path, wrote, edited
        self.fences, self.unsaved = fences, unsaved

    def summary(self) -> str:
        n_live = int(self.fences["valid_to"].isna().sum())
        # The file as the work folder names it (02_geofences/fences.geojson): pages are handed
        # round, and the analyst's own folders stay off them.
        where = "/".join(Path(self.path).parts[-2:])
        if self.edited:
            text = (
                f"kept the edited fence set in {where} ({len(self.fences)} versions, "
                f"{n_live} in force): chapter 3 reads it"
            )
        else:
            text = f"wrote this chapter's fence set to {where} ({n_live} fences)"
        if self.unsaved:
            text += (
                "; NOTE: the editor has changes that were not saved (press Save in the editor, "
                "then run this cell again)"
            )
        return text

    def __repr__(self) -> str:
        return f"HandOn({self.summary()})"


def hand_on(fences: gpd.GeoDataFrame, editor_or_path, *, overwrite: bool = False) -> HandOn:
    """Write the chapter's fence set for chapter 3, unless an edited set is already there.

    The chapter's last cell calls this instead of writing the file itself, so fences edited
    in the fence editor (or by hand in a GIS) are never overwritten by the unedited ones.

    Parameters
    ----------
    fences : GeoDataFrame
        The chapter's fence set, as made or read before any edit.
    editor_or_path : FenceEditor or path-like
        The editor (its ``save_path`` is the file) or the file itself (e.g. the work folder's
        ``02_geofences/fences.geojson``).
    overwrite : bool
        Write the chapter's set even over an edited one.

    Returns
    -------
    HandOn
        ``summary()`` says which it did.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences, to_file
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530050, 180050)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "fences.geojson"
    >>> hand_on(f, path).wrote
    True
    >>> _ = to_file(f.assign(role="control"), path)  # edited elsewhere
    >>> r = hand_on(f, path)
    >>> r.wrote, r.edited, r.fences["role"].tolist()
    (False, True, ['control'])
    >>> f2 = f.assign(name="renamed")           # a re-run with other parameters, say
    >>> hand_on(f2, path, overwrite=True).wrote  # noqa: the analyst chose to replace the edit
    True
    >>> hand_on(f2.assign(name="third"), path).wrote   # unedited since: replaced
    True
    """
    from pathlib import Path

    from hspwork.fences import current_fences, from_file, to_file

    editor = None
    if hasattr(editor_or_path, "save_path") and hasattr(editor_or_path, "saved"):
        editor = editor_or_path
        if editor.save_path is None:
            raise HspworkError(
                "the editor was made without save_path, so there is no file to hand on; "
                "give FenceEditor(..., save_path=out_dir / 'fences.geojson') or pass the path"
            )
        path = Path(editor.save_path)
    else:
        path = Path(editor_or_path)
    fences = check_fences(fences)
    unsaved = False
    if editor is not None:
        last = editor.saved if editor.saved is not None else current_fences(fences)
        unsaved = not same_fence_set(
            current_fences(last), editor.fences, tolerance_m=0.01, versions=False
        )
    # The chapter records what it last wrote (a hash beside the file). A file that still holds
    # exactly that was not edited, so a re-run with new parameters replaces it; a file that
    # differs was edited (by the editor's Save or in a GIS) and is kept.
    stamp = path.with_name(f".{path.name}.handed-on")
    if path.exists() and not overwrite:
        ours = stamp.is_file() and stamp.read_text().strip() == _file_hash(path)
        if not ours:
            there = from_file(path)
            if not same_fence_set(there, fences):
                return HandOn(path, wrote=False, edited=True, fences=there, unsaved=unsaved)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file(fences, path)
    stamp.write_text(_file_hash(path) + "\n")
    return HandOn(path, wrote=True, edited=False, fences=fences, unsaved=unsaved)


def _file_hash(path) -> str:
    import hashlib
    from pathlib import Path

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
