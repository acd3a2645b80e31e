"""Fence sets: the frame every other part of hspwork reads fences from.

A fence set is a GeoDataFrame with one row per *version* of a fence (see docs/contracts.md):
``fence_id``, ``name``, ``role``, ``valid_from``, ``valid_to``, ``version``, ``buffer_m``,
``notes`` and a polygon ``geometry`` in a projected CRS measured in metres (or feet, with every
size still given in metres).
"""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hspwork.crs import require_crs, to_metric, unit_to_metres
from hspwork.errors import HspworkError, SchemaError

__all__ = [
    "FENCE_COLUMNS",
    "ROLES",
    "check_fences",
    "current_fences",
    "fence_figures",
    "make_fences",
    "repair_fences",
    "simplify_outlines",
]

#: The columns of a fence set, in order.
FENCE_COLUMNS = (
    "fence_id",
    "name",
    "role",
    "valid_from",
    "valid_to",
    "version",
    "buffer_m",
    "notes",
    "geometry",
)

#: The roles a fence may play.
ROLES = ("treatment", "control", "catchment", "other")


_ZONE_RE = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")


def _is_naive(value) -> bool:
    """True for a time written or held without a zone (missing values are not naive)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return False
    if isinstance(value, str):
        return _ZONE_RE.search(value.strip()) is None
    return getattr(value, "tzinfo", None) is None


def _as_utc(values, what: str) -> pd.Series:
    """Timestamps as ``datetime64[ns, UTC]``; naive times are refused (no guessing a zone)."""
    s = pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        if s.isna().all():
            return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
        try:
            s = pd.to_datetime(s, utc=False, format="ISO8601")
        except (TypeError, ValueError) as exc:
            # Times with different offsets (local summer and winter time on either side of a
            # clock change) each say which instant they are: read them as UTC, as long as none
            # lacks a zone. Only this fallback looks at values one by one.
            naive = s[s.map(_is_naive)]
            if len(naive):
                raise SchemaError(
                    f"{what} has times without a time zone (e.g. {naive.iloc[0]}); give them "
                    "with a zone, e.g. pd.Timestamp('2024-05-01 08:00', tz='UTC') or "
                    "'2024-05-01T08:00:00Z'"
                ) from exc
            try:
                s = pd.to_datetime(s, utc=True, format="ISO8601")
            except (TypeError, ValueError) as exc2:
                raise SchemaError(f"{what}: cannot read {s.iloc[0]!r} as a time ({exc2})") from exc2
        if not isinstance(s.dtype, pd.DatetimeTZDtype):
            if s.notna().any():
                raise SchemaError(
                    f"{what} has times without a time zone (e.g. {s.dropna().iloc[0]}); "
                    "give them with a zone, e.g. pd.Timestamp('2024-05-01 08:00', tz='UTC') "
                    "or '2024-05-01T08:00:00Z'"
                )
            s = s.dt.tz_localize("UTC")
    return s.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _as_str(values, default: str) -> pd.Series:
    s = pd.Series(values, dtype="object")
    s = s.where(s.notna(), default)
    return s.astype(str)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    kinds = shapely.get_type_id(geoms)
    return np.isin(kinds, (3, 6))  # Polygon, MultiPolygon


def check_fences(fences: gpd.GeoDataFrame, name: str = "fences") -> gpd.GeoDataFrame:
    """Check a fence set against the contract and return a tidy copy with the contract dtypes.

    Raises :class:`~hspwork.errors.SchemaError` naming what is wrong: a missing column, an
    unknown role, a geometry that is not a polygon, a repeated (fence_id, version), or a
    version whose ``valid_to`` is not after its ``valid_from``.

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set (for example from :func:`make_fences` or :func:`hspwork.fences.from_file`).
    name : str
        What to call the input in messages.

    Returns
    -------
    GeoDataFrame
        The columns of :data:`FENCE_COLUMNS` first, other columns after, index 0..n-1.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> f = make_fences(gpd.GeoDataFrame({"place": [7]}, geometry=[box(0, 0, 100, 100)],
    ...                 crs=27700), id_column="place", valid_from="2024-01-01T00:00Z")
    >>> check_fences(f.assign(role="patrol"))
    Traceback (most recent call last):
    ...
    hspwork.errors.SchemaError: fences has role 'patrol' (fence '7'); allowed roles: treatment, control, catchment, other
    """
    if not isinstance(fences, gpd.GeoDataFrame):
        raise SchemaError(f"{name} must be a GeoDataFrame, got {type(fences).__name__}")
    missing = [c for c in FENCE_COLUMNS if c not in fences.columns]
    if missing:
        raise SchemaError(
            f"{name} lacks column(s) {', '.join(missing)}; a fence set has "
            f"{', '.join(FENCE_COLUMNS)} (make one with hspwork.fences.make_fences)"
        )
    crs = require_crs(fences, name)
    if not crs.is_projected:
        fences = to_metric(fences, name)
    out = fences.copy()
    out = out.reset_index(drop=True)
    out["fence_id"] = _as_str(out["fence_id"], "")
    if (out["fence_id"] == "").any():
        raise SchemaError(
            f"{name} has {int((out['fence_id'] == '').sum())} fence(s) without a fence_id"
        )
    out["name"] = _as_str(out["name"], "")
    out["name"] = out["name"].where(out["name"] != "", out["fence_id"])
    out["role"] = _as_str(out["role"], "treatment")
    bad_role = ~out["role"].isin(ROLES)
    if bad_role.any():
        i = int(np.flatnonzero(bad_role.to_numpy())[0])
        raise SchemaError(
            f"{name} has role {out['role'].iloc[i]!r} (fence {out['fence_id'].iloc[i]!r}); "
            f"allowed roles: {', '.join(ROLES)}"
        )
    out["notes"] = _as_str(out["notes"], "")
    out["valid_from"] = _as_utc(out["valid_from"], f"{name}.valid_from").array
    out["valid_to"] = _as_utc(out["valid_to"], f"{name}.valid_to").array
    if out["valid_from"].isna().any():
        raise SchemaError(f"{name} has versions without valid_from: every version needs a start")
    bad_period = out["valid_to"].notna() & (out["valid_to"] <= out["valid_from"])
    if bad_period.any():
        i = int(np.flatnonzero(bad_period.to_numpy())[0])
        raise SchemaError(
            f"{name}: fence {out['fence_id'].iloc[i]!r} version {out['version'].iloc[i]} ends "
            f"({out['valid_to'].iloc[i]}) before or when it starts ({out['valid_from'].iloc[i]})"
        )
    try:
        out["version"] = pd.to_numeric(out["version"]).astype("int64")
        out["buffer_m"] = pd.to_numeric(out["buffer_m"]).astype("float64")
    except (TypeError, ValueError) as exc:
        raise SchemaError(
            f"{name}: version must be whole numbers and buffer_m numbers ({exc})"
        ) from exc
    if (out["buffer_m"] < 0).any():
        raise SchemaError(
            f"{name} has a negative buffer_m ({out['buffer_m'].min()} m); use 0 or more"
        )
    dup = out.duplicated(["fence_id", "version"], keep=False)
    if dup.any():
        ids = sorted(set(out.loc[dup, "fence_id"]))
        raise SchemaError(f"{name} repeats (fence_id, version) for fence(s) {', '.join(ids)}")
    geoms = out.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        ids = ", ".join(out.loc[empty, "fence_id"].tolist())
        raise SchemaError(f"{name}: fence(s) {ids} have no geometry")
    notpoly = ~_polygonal(geoms)
    if notpoly.any():
        i = int(np.flatnonzero(notpoly)[0])
        raise SchemaError(
            f"{name}: fence {out['fence_id'].iloc[i]!r} is a {geoms[i].geom_type}; "
            "allowed geometry: Polygon or MultiPolygon"
        )
    _check_overlapping_versions(out, name)
    cols = list(FENCE_COLUMNS) + [c for c in out.columns if c not in FENCE_COLUMNS]
    return gpd.GeoDataFrame(out[cols], geometry="geometry", crs=out.crs)


def _check_overlapping_versions(out: pd.DataFrame, name: str) -> None:
    """Two versions of one fence may not be in force at the same moment."""
    if len(out) < 2:
        return
    o = out.sort_values(["fence_id", "valid_from"])
    same = o["fence_id"].to_numpy()[1:] == o["fence_id"].to_numpy()[:-1]
    prev_to = o["valid_to"].to_numpy()[:-1]
    next_from = o["valid_from"].to_numpy()[1:]
    clash = same & (pd.isna(prev_to) | (prev_to > next_from))
    if clash.any():
        fid = o["fence_id"].to_numpy()[1:][clash][0]
        raise SchemaError(
            f"{name}: fence {fid!r} has two versions in force at once; each version must end "
            "(valid_to) before the next one starts (valid_from)"
        )


def _renamed(new_value, old_value, old: str, new: str, where: str):
    """The value of a renamed argument, warning when the old name was used."""
    if old_value is None:
        return new_value
    warnings.warn(
        f"{where}({old}=...) is deprecated; use {new}=... (the glossary's name)",
        FutureWarning,
        stacklevel=3,
    )
    if new_value is not None and new_value != old_value:
        raise HspworkError(f"{where}: give {new}= or {old}=, not both")
    return old_value


def simplify_outlines(geoms, tolerance_m: float = 0.01, crs=None) -> np.ndarray:
    """Outlines without redundant vertices: each corner is one vertex, straight sides have none.

    A union of grid or hex cells keeps a vertex wherever two cells met along a straight side,
    and float noise can leave two vertices millimetres apart at one corner; an editor then
    shows a handle for each. Vertices within ``tolerance_m`` of the line through their
    neighbours are dropped (Douglas-Peucker, topology preserved), and so are repeated ones.

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Polygons (or anything shapely simplifies).
    tolerance_m : float
        How far off a straight line a vertex may sit and still be dropped, in metres. The
        default, 1 cm, removes only vertices that change nothing a map can show.
    crs : pyproj CRS-like, optional
        CRS of the coordinates (for feet-based CRSs); default metres.

    Returns
    -------
    numpy.ndarray of geometries

    Examples
    --------
    >>> from shapely.geometry import box
    >>> import shapely
    >>> block = shapely.union_all([box(x, y, x + 50, y + 50) for x in (0, 50, 100) for y in (0, 50)])
    >>> int(shapely.get_num_coordinates(block))  # a vertex where each cell met the outline
    11
    >>> out = simplify_outlines([block])[0]
    >>> int(shapely.get_num_coordinates(out)), out.area == block.area  # 4 corners + closing
    (5, True)
    """
    tol = float(tolerance_m)
    if not np.isfinite(tol) or tol < 0:
        raise HspworkError(f"tolerance_m must be a number of metres >= 0, got {tolerance_m!r}")
    if crs is not None:
        tol = tol / unit_to_metres(crs)
    g = np.asarray(geoms, dtype=object)
    g = shapely.remove_repeated_points(g, tol)
    return shapely.simplify(g, tol, preserve_topology=True)


def make_fences(
    places: gpd.GeoDataFrame,
    id_column: str | None = None,
    name_column: str | None = None,
    role: str = "treatment",
    valid_from=None,
    buffer_m: float = 0.0,
    notes: str = "",
    *,
    simplify_m: float | None = 0.01,
    id_col: str | None = None,
    name_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Make a fence set (version 1 of each fence) from polygons, e.g. targeting's selection.

    Parameters
    ----------
    places : GeoDataFrame
        Polygons, one per place (grid or hex cells, user polygons). Longitude/latitude is
        converted to the metric CRS of :mod:`hspwork.crs`.
    id_column : str, optional
        Column holding each place's id; becomes ``fence_id`` (as text). Default: ``fence_id``,
        then ``unit_id``, then ``place_id`` when present, else the row number.
    name_column : str, optional
        Column with a name an officer uses; default the fence id.
    role : str or column name
        One of :data:`ROLES`, or the name of a column of ``places`` holding roles.
    valid_from : time-like, optional
        When the fences come into force (tz-aware or ISO text with a zone); default now (UTC,
        whole seconds).
    buffer_m : float
        GPS catchment width recorded for each fence, in metres.
    notes : str
        Free text stored on every fence.
    simplify_m : float or None
        Outlines go through :func:`simplify_outlines` with this tolerance (metres), so a fence
        made of units has one vertex per corner and none along its straight sides (a handle
        per corner in the fence editor). None keeps every vertex as given.
    id_col, name_col : str, optional
        Deprecated names of ``id_column`` and ``name_column`` (FutureWarning).

    Returns
    -------
    GeoDataFrame
        A fence set: see :data:`FENCE_COLUMNS`; other columns of ``places`` are kept after them.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"unit_id": [3, 9]},
    ...     geometry=[box(0, 0, 150, 150), box(1000, 0, 1150, 150)], crs=27700)
    >>> f = make_fences(cells, valid_from="2024-05-01T00:00Z")
    >>> f[["fence_id", "name", "role", "version"]].to_string(index=False)
    'fence_id name      role  version\\n       3    3 treatment        1\\n       9    9 treatment        1'
    """
    id_col = _renamed(id_column, id_col, "id_col", "id_column", "make_fences")
    name_col = _renamed(name_column, name_col, "name_col", "name_column", "make_fences")
    if not isinstance(places, gpd.GeoDataFrame):
        raise SchemaError(f"places must be a GeoDataFrame of polygons, got {type(places).__name__}")
    places = to_metric(places, "places")
    if id_col is None:
        id_col = next((c for c in ("fence_id", "unit_id", "place_id") if c in places.columns), None)
    elif id_col not in places.columns:
        raise SchemaError(
            f"places has no column {id_col!r} (id_column); columns: {', '.join(map(str, places.columns))}"
        )
    ids = places[id_col].astype(str).to_numpy() if id_col else np.arange(len(places)).astype(str)
    if name_col is not None and name_col not in places.columns:
        raise SchemaError(f"places has no column {name_col!r} (name_column)")
    names = places[name_col].astype(str).to_numpy() if name_col else ids
    if role in places.columns:
        roles = places[role].to_numpy()
    elif role in ROLES:
        roles = np.full(len(places), role, dtype=object)
    else:
        raise SchemaError(
            f"role {role!r} is neither a role ({', '.join(ROLES)}) nor a column of places"
        )
    if valid_from is None:
        valid_from = pd.Timestamp.now(tz="UTC").floor("s")
    start = _as_utc([valid_from], "valid_from").iloc[0]
    data = {
        "fence_id": ids,
        "name": names,
        "role": roles,
        "valid_from": pd.Series([start] * len(places), dtype="datetime64[ns, UTC]").array,
        "valid_to": pd.Series([pd.NaT] * len(places), dtype="datetime64[ns, UTC]").array,
        "version": np.ones(len(places), dtype="int64"),
        "buffer_m": np.full(len(places), float(buffer_m)),
        "notes": np.full(len(places), notes, dtype=object),
    }
    extra = places.drop(
        columns=[c for c in places.columns if c in data or c == places.geometry.name]
    )
    geoms = places.geometry.to_numpy()
    if simplify_m is not None:
        # Only polygons are simplified: anything else is refused by check_fences below, with
        # its own type in the message.
        poly = _polygonal(geoms) & ~shapely.is_missing(geoms)
        geoms = geoms.copy()
        geoms[poly] = simplify_outlines(geoms[poly], simplify_m, crs=places.crs)
    out = gpd.GeoDataFrame(
        {**data, **{c: extra[c].to_numpy() for c in extra.columns}},
        geometry=geoms,
        crs=places.crs,
    )
    out = out.rename_geometry("geometry") if out.geometry.name != "geometry" else out
    return check_fences(out, "places")


def current_fences(fences: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The versions still in force (``valid_to`` is NaT), index 0..n-1.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 9, 9)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> len(current_fences(f))
    1
    """
    f = check_fences(fences)
    return f[f["valid_to"].isna()].reset_index(drop=True)


def repair_fences(fences: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Repair invalid fence geometry with :func:`shapely.make_valid`, keeping polygonal parts.

    Valid fences are returned unchanged; each repaired fence gets a note saying so. A fence
    whose repair leaves no area (e.g. a polygon collapsed to a line) raises an error naming it,
    since dropping it silently would lose a fence.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Polygon
    >>> bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[bowtie], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> fixed = repair_fences(f)
    >>> bool(fixed.geometry.is_valid.all()), round(float(fixed.area.iloc[0]))
    (True, 5000)
    """
    f = check_fences(fences)
    geoms = f.geometry.to_numpy()
    bad = ~shapely.is_valid(geoms)
    if not bad.any():
        return f
    fixed = shapely.make_valid(geoms[bad])
    # make_valid may return a collection mixing polygons and lines; keep only the area.
    parts = [shapely.get_parts(g) for g in fixed]
    polys = []
    for fid, p in zip(f.loc[bad, "fence_id"], parts, strict=True):
        keep = p[_polygonal(p)] if len(p) else p
        if len(keep) == 0 or shapely.area(shapely.union_all(keep)) == 0:
            raise HspworkError(
                f"fence {fid!r} has no area left after repair (its outline collapses to a line "
                "or point); redraw it"
            )
        polys.append(shapely.union_all(keep))
    out = f.copy()
    out.loc[bad, "geometry"] = gpd.GeoSeries(polys, index=out.index[bad], crs=f.crs)
    note = "geometry repaired with make_valid"
    out.loc[bad, "notes"] = [f"{n}; {note}" if n else note for n in out.loc[bad, "notes"]]
    return out


def _area_m2(fences: gpd.GeoDataFrame) -> np.ndarray:
    k = unit_to_metres(require_crs(fences))
    return shapely.area(fences.geometry.to_numpy()) * k * k


def _max_radius_m(fences: gpd.GeoDataFrame) -> np.ndarray:
    k = unit_to_metres(require_crs(fences))
    return shapely.minimum_bounding_radius(fences.geometry.to_numpy()) * k


def count_inside(
    fences: gpd.GeoDataFrame, points: gpd.GeoDataFrame, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points (and summed weights) inside or on the edge of each fence, vectorised.

    Returns two arrays aligned with ``fences``: counts (int) and weight sums (float; zeros
    when ``weights`` is None). Points without a location are ignored.
    """
    from hspwork.crs import align_crs

    pts = align_crs(fences, points, ("fences", "crimes"))
    geoms = pts.geometry.to_numpy() if isinstance(pts, gpd.GeoDataFrame) else pts.to_numpy()
    w = np.ones(len(geoms)) if weights is None else np.asarray(weights, dtype="float64")
    # The tree holds the few fences; the many points are queried in one bulk call (missing
    # and empty points match nothing).
    tree = shapely.STRtree(fences.geometry.to_numpy())
    pi, fi = tree.query(geoms, predicate="covered_by")
    n = len(fences)
    counts = np.bincount(fi, minlength=n)
    sums = np.bincount(fi, weights=np.nan_to_num(w[pi]), minlength=n) if len(pi) else np.zeros(n)
    return counts.astype("int64"), sums.astype("float64")


def fence_figures(
    fences: gpd.GeoDataFrame,
    crimes: gpd.GeoDataFrame | None = None,
    harm_column: str = "harm",
    *,
    harm_col: str | None = None,
) -> pd.DataFrame:
    """Figures per fence: area, maximum radius, and crimes and harm inside.

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set (all rows are measured; pass :func:`current_fences` for those in force).
    crimes : GeoDataFrame, optional
        Crime points; ``harm_column`` is summed when present.
    harm_column : str
        Column of harm weights (days) in ``crimes``.
    harm_col : str, optional
        Deprecated name of ``harm_column`` (FutureWarning).

    Returns
    -------
    DataFrame
        ``fence_id``, ``version``, ``name``, ``role``, ``area_m2``, ``max_radius_m`` (radius of
        the smallest circle holding the fence: how far an officer at the best spot must see),
        ``centroid_x``, ``centroid_y`` (CRS units), and with crimes ``crimes`` (int) and
        ``harm`` (float, NaN when the crimes carry no harm).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(0, 0, 60, 80)], crs=27700),
    ...                 valid_from="2024-01-01T00:00Z")
    >>> crimes = gpd.GeoDataFrame({"harm": [10.0, 2.0, 5.0]},
    ...     geometry=[Point(1, 1), Point(30, 40), Point(500, 500)], crs=27700)
    >>> fence_figures(f, crimes)[["area_m2", "max_radius_m", "crimes", "harm"]].to_dict("records")
    [{'area_m2': 4800.0, 'max_radius_m': 50.0, 'crimes': 2, 'harm': 12.0}]
    """
    # harm_column has a default, so the old name simply wins when it is given.
    harm_col = (
        harm_column
        if harm_col is None
        else _renamed(None, harm_col, "harm_col", "harm_column", "fence_figures")
    )
    f = check_fences(fences)
    cent = shapely.centroid(f.geometry.to_numpy())
    out = pd.DataFrame(
        {
            "fence_id": f["fence_id"].to_numpy(),
            "version": f["version"].to_numpy(),
            "name": f["name"].to_numpy(),
            "role": f["role"].to_numpy(),
            "area_m2": _area_m2(f),
            "max_radius_m": _max_radius_m(f),
            "centroid_x": shapely.get_x(cent),
            "centroid_y": shapely.get_y(cent),
        }
    )
    if crimes is not None:
        has_harm = harm_col in crimes.columns
        w = None
        if has_harm:
            from hspwork.units import harm_values  # the same rule as the targeting counts

            w = harm_values(crimes[[harm_col]].rename(columns={harm_col: "harm"}))
        counts, harm = count_inside(f, crimes, w)
        out["crimes"] = counts
        out["harm"] = harm if has_harm else np.nan
    return out
