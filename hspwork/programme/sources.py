"""Where a programme's data are: path specs resolved, and a boundary drawn when none is given.

A source is given as a file, a folder, a glob (``exports/2025-*/*-street.csv``) or a list of
them, relative to the programme's data folder. :func:`resolve` turns it into the paths the
readers take, and refuses a path that does not exist, naming it.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for month in ("2025-01", "2025-02"):
...     _ = (folder / f"{month}-street.csv").write_text("x")
>>> [p.name for p in resolve(folder, "*-street.csv")]
['2025-01-street.csv', '2025-02-street.csv']
>>> resolve(folder, "crimes.csv")
Traceback (most recent call last):
...
hspwork.errors.HspworkError: crimes.csv not found in ... (it holds 2025-01-street.csv, 2025-02-street.csv)
"""

from __future__ import annotations

import glob
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from hspwork.errors import HspworkError

__all__ = ["BOUNDARY_RULE", "data_boundary", "read_boundary", "resolve", "resolve_one"]

_GLOB = set("*?[")


def _nearby(folder: Path) -> str:
    try:
        names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return "the folder does not exist"
    if not names:
        return "it is empty"
    more = f", ... ({len(names)} in all)" if len(names) > 8 else ""
    return "it holds " + ", ".join(names[:8]) + more


def resolve(data_dir: str | Path, spec: str | list[str] | None) -> list[Path]:
    """The paths a source spec names: files and folders as given, globs expanded and sorted.

    Parameters
    ----------
    data_dir : str or Path
        Folder that relative paths are read from.
    spec : str, list of str or None
        A path, a folder, a glob, or a list of them; None or "" gives an empty list.

    Raises
    ------
    HspworkError
        When a path does not exist or a glob matches nothing (naming it and what the folder
        holds).
    """
    if spec is None or spec == "":
        return []
    items = [spec] if isinstance(spec, str) else list(spec)
    base = Path(data_dir)
    out: list[Path] = []
    for item in items:
        path = Path(item).expanduser()
        full = path if path.is_absolute() else base / path
        if _GLOB & set(str(item)):
            found = sorted(Path(p) for p in glob.glob(str(full), recursive=True))
            if not found:
                raise HspworkError(f"{item} matches no file in {base} ({_nearby(full.parent)})")
            out += found
        elif full.exists():
            out.append(full)
        else:
            where = full.parent if full.parent.exists() else base
            raise HspworkError(f"{item} not found in {where} ({_nearby(where)})")
    return out


def resolve_one(data_dir: str | Path, spec: str | list[str] | None) -> Path | list[Path] | None:
    """Like :func:`resolve`, but one path comes back as itself (what the readers take).

    Examples
    --------
    >>> resolve_one(".", None) is None
    True
    """
    paths = resolve(data_dir, spec)
    if not paths:
        return None
    return (
        paths[0] if len(paths) == 1 and isinstance(spec, str) and not (_GLOB & set(spec)) else paths
    )


#: How :func:`data_boundary` draws the area the data cover, in words for the pages.
BOUNDARY_RULE = (
    "the area the crimes cover: the concave hull of their locations (shapely, ratio {ratio}), "
    "widened by {margin_m:.0f} m"
)


def data_boundary(
    crimes: gpd.GeoDataFrame, *, ratio: float = 0.1, margin_m: float = 250.0
) -> tuple[gpd.GeoDataFrame, str]:
    """A boundary for data that came without one: the area the crimes cover.

    The concave hull of the distinct crime locations (police.uk snaps crimes to a few
    thousand anonymised points, so this stays quick at force scale), widened by ``margin_m`` so
    cells at the edge are whole.

    Parameters
    ----------
    crimes : GeoDataFrame
        Crime points in a projected CRS (metres).
    ratio : float
        shapely's concave-hull ratio (0: tightest, 1: the convex hull).
    margin_m : float
        Widening, metres.

    Returns
    -------
    (GeoDataFrame, str)
        One polygon in the crimes' CRS, and the sentence saying how it was drawn.

    Examples
    --------
    >>> x, y = np.meshgrid(np.arange(0, 1001, 100), np.arange(0, 1001, 100))
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x.ravel(), y.ravel()), crs=27700)
    >>> area, how = data_boundary(pts, margin_m=100)
    >>> round(float(area.area.iloc[0]) / 1e6, 2)   # 1 km square widened by 100 m, round corners
    1.43
    >>> how
    'the area the crimes cover: the concave hull of their locations (shapely, ratio 0.1), widened by 100 m'
    """
    from hspwork.crs import metres_to_crs_units, require_crs

    crs = require_crs(crimes, "crimes")
    if not crs.is_projected:
        raise HspworkError("crimes must be in a projected CRS to draw a boundary (metres)")
    xy = shapely.get_coordinates(crimes.geometry.to_numpy())
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) < 3:
        raise HspworkError(
            f"{len(xy)} crime location(s) cannot outline an area; give boundary_path"
        )
    unique = np.unique(np.round(xy, 0), axis=0)
    hull = shapely.concave_hull(shapely.multipoints(unique), ratio=ratio)
    margin = metres_to_crs_units(margin_m, crs)
    area = shapely.buffer(hull, margin)
    if not shapely.is_valid(area) or shapely.is_empty(area):
        area = shapely.buffer(shapely.convex_hull(shapely.multipoints(unique)), margin)
    how = BOUNDARY_RULE.format(ratio=ratio, margin_m=margin_m)
    return gpd.GeoDataFrame({"name": ["data extent"]}, geometry=[area], crs=crs), how


def read_boundary(
    data_dir: str | Path, spec: str | list[str] | None, crimes: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, str]:
    """The programme's area: its boundary file in the crimes' CRS, or the area the crimes cover.

    Returns
    -------
    (GeoDataFrame, str)
        The polygons, and where they came from in words (for the page).

    Examples
    --------
    >>> x, y = np.meshgrid(np.arange(0, 1001, 100), np.arange(0, 1001, 100))
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x.ravel(), y.ravel()), crs=27700)
    >>> area, how = read_boundary(".", None, pts)
    >>> how.startswith("the area the crimes cover")
    True
    """
    paths = resolve(data_dir, spec)
    if not paths:
        return data_boundary(crimes)
    parts = [gpd.read_file(p) for p in paths]
    for path, part in zip(paths, parts):
        if part.crs is None:
            raise HspworkError(
                f"boundary {path} has no CRS; save it with one (GeoJSON is WGS84 by definition)"
            )
    area = gpd.GeoDataFrame(
        geometry=[g for part in parts for g in part.to_crs(crimes.crs).geometry], crs=crimes.crs
    )
    return area, f"the boundary file {', '.join(p.name for p in paths)}"
