"""Static maps of Gi* bins, LISA quadrants and any value per unit, and a 3D view of harm.

All return a matplotlib Figure (never ``plt.show()``), so they survive HTML export of a
notebook and can be saved into a briefing.

Fast at force scale: a regular square grid of more than ``RASTER_ABOVE`` cells is painted as
one image (``imshow``: one pixel a cell), never as hundreds of thousands of polygons; other
units go into a single matplotlib collection built straight from their coordinates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.patches import Patch

from hspwork.crs import require_crs, unit_to_metres
from hspwork.errors import SchemaError
from hspwork.targeting._weights import detect_lattice, geometry_array

# ArcGIS Pro's hot spot palette, cold (-3) to hot (+3)
GI_COLOURS = {
    -3: "#4575b5",
    -2: "#849eba",
    -1: "#c0ccbe",
    0: "#ffffbf",
    1: "#fab984",
    2: "#ed7551",
    3: "#d62f27",
}
GI_LABELS = {
    -3: "cold spot, 99%",
    -2: "cold spot, 95%",
    -1: "cold spot, 90%",
    0: "not significant",
    1: "hot spot, 90%",
    2: "hot spot, 95%",
    3: "hot spot, 99%",
}
LISA_COLOURS = {"HH": "#d7191c", "LH": "#abd9e9", "LL": "#2c7bb6", "HL": "#fdae61", "ns": "#eeeeee"}
LISA_LABELS = {
    "HH": "high-high cluster",
    "LH": "low-high outlier",
    "LL": "low-low cluster",
    "HL": "high-low outlier",
    "ns": "not significant",
}


def _axes(ax, figsize=(7, 7)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _need(units, column, hint):
    if column not in units.columns:
        raise SchemaError(f"units has no column {column!r}; run {hint} first")


# Above this many square cells on one lattice a map is painted as an image.
RASTER_ABOVE = 20_000


def _is_lines(units) -> bool:
    return bool(np.isin(shapely.get_type_id(geometry_array(units)), (1, 5)).all())


def draw_units(units: gpd.GeoDataFrame, rgba: np.ndarray, ax, *, edges: bool | None = None):
    """Paint each unit in its colour (``rgba``: n x 4) on ``ax``; returns what was drawn.

    A large regular grid becomes one image; lines become a LineCollection; other polygons a
    PolyCollection (white edges when there are few enough to see them).
    """
    from matplotlib.collections import LineCollection, PolyCollection

    rgba = np.asarray(rgba, dtype=float)
    geoms = geometry_array(units)
    n = len(geoms)
    if _is_lines(units):
        parts, idx = shapely.get_parts(geoms, return_index=True)
        coords, owner = shapely.get_coordinates(parts, return_index=True)
        segs = np.split(coords, np.searchsorted(owner, np.arange(1, len(parts))))
        art = LineCollection(segs, colors=rgba[idx], linewidths=2.0 if n < RASTER_ABOVE else 0.8)
        ax.add_collection(art)
        ax.autoscale_view()
        ax.set_aspect("equal")
        return art
    lat = detect_lattice(units) if n > RASTER_ABOVE else None
    if lat is not None:
        b = shapely.bounds(geoms)
        x0, y0 = b[:, 0].min(), b[:, 1].min()
        image = np.zeros((lat.nrows, lat.ncols, 4))
        image[lat.row, lat.col] = rgba
        art = ax.imshow(
            image,
            origin="lower",
            interpolation="nearest",
            extent=(x0, x0 + lat.ncols * lat.cell_size, y0, y0 + lat.nrows * lat.cell_size),
        )
        ax.set_aspect("equal")
        return art
    parts, idx = shapely.get_parts(geoms, return_index=True)
    rings = shapely.get_exterior_ring(parts)
    coords, owner = shapely.get_coordinates(rings, return_index=True)
    verts = np.split(coords, np.searchsorted(owner, np.arange(1, len(parts))))
    show_edges = n <= 5_000 if edges is None else edges
    art = PolyCollection(
        verts,
        facecolors=rgba[idx],
        edgecolors="white" if show_edges else "none",
        linewidths=0.2 if show_edges else 0.0,
        rasterized=n > RASTER_ABOVE,
    )
    ax.add_collection(art)
    ax.autoscale_view()
    ax.set_aspect("equal")
    return art


def _palette(keys: np.ndarray, colours: dict, default: str = "#eeeeee") -> np.ndarray:
    """RGBA per unit from a small colour table, without converting a string per unit."""
    keys = np.asarray(keys)
    table = {k: to_rgba(c) for k, c in colours.items()}
    out = np.tile(to_rgba(default), (keys.size, 1))
    for k, c in table.items():
        out[keys == k] = c
    return out


def plot_gistar(units: gpd.GeoDataFrame, ax=None, title: str | None = None):
    """Map of ``gi_bin`` in ArcGIS's colours; returns the Figure.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"gi_bin": [3, 0, -2]}, geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs=27700)
    >>> fig = plot_gistar(u)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
    ['hot spot, 99%', 'hot spot, 95%']
    """
    _need(units, "gi_bin", "hspwork.targeting.gistar")
    fig, ax = _axes(ax)
    bins = units["gi_bin"].to_numpy().astype(int).clip(-3, 3)
    draw_units(units, _palette(bins, GI_COLOURS), ax)
    handles = [Patch(color=GI_COLOURS[b], label=GI_LABELS[b]) for b in (3, 2, 1, 0, -1, -2, -3)]
    # Beside the map, not on it: a legend over the area hides the places it explains.
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
    )
    settings = units.attrs.get("gistar", {})
    ax.set_title(
        title
        or f"Gi* hot spots of {settings.get('column', '')} ({settings.get('neighbours_text', '')})"
    )
    ax.set_axis_off()
    return fig


def plot_lisa(units: gpd.GeoDataFrame, ax=None, title: str | None = None):
    """Map of ``lisa_quadrant`` (HH, LH, LL, HL, ns); returns the Figure.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"lisa_quadrant": ["HH", "ns", "LL"]}, geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs=27700)
    >>> fig = plot_lisa(u)
    >>> len(fig.axes[0].get_legend().get_texts())
    5
    """
    _need(units, "lisa_quadrant", "hspwork.targeting.lisa")
    fig, ax = _axes(ax)
    draw_units(units, _palette(units["lisa_quadrant"].to_numpy(), LISA_COLOURS), ax)
    handles = [Patch(color=c, label=LISA_LABELS[q]) for q, c in LISA_COLOURS.items()]
    # Beside the map, not on it: a legend over the area hides the places it explains.
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
    )
    settings = units.attrs.get("lisa", {})
    ax.set_title(title or f"Local Moran's I of {settings.get('column', '')}")
    ax.set_axis_off()
    return fig


def plot_units(
    units: gpd.GeoDataFrame,
    column: str,
    *,
    ax=None,
    cmap: str = "Reds",
    vmin: float = 0.0,
    vmax: float | None = None,
    quantile: float = 0.99,
    label: str | None = None,
    title: str | None = None,
    boundary=None,
):
    """A choropleth of ``column`` per unit (harm, crimes, a rate); returns the Figure.

    Parameters
    ----------
    units : GeoDataFrame
        Units with a numeric ``column``.
    column : str
        The value to colour by.
    ax : matplotlib Axes, optional
        Draw into this Axes (a panel of a larger figure).
    cmap : str
        A matplotlib colour map.
    vmin, vmax : float
        The colour scale; ``vmax`` defaults to the ``quantile`` (0.99) of the values, so one
        extreme unit does not wash out the rest (units above it take the top colour).
    label : str, optional
        The colour bar's label (default: the column name).
    title : str, optional
    boundary : GeoDataFrame or GeoSeries, optional
        An outline drawn on top (the force or study area).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"harm": [0.0, 365.0, 2.0]}, geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs=27700)
    >>> fig = plot_units(u, "harm", label="harm (days)", vmax=100)
    >>> fig.axes[1].get_ylabel()
    'harm (days)'
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    _need(units, column, "hspwork.units.count")
    fig, ax = _axes(ax)
    v = np.asarray(units[column], dtype=float)
    finite = v[np.isfinite(v)]
    if vmax is None:
        vmax = float(np.quantile(finite, quantile)) if finite.size else 1.0
    if not vmax > vmin:
        vmax = vmin + 1.0
    norm = Normalize(vmin=vmin, vmax=vmax, clip=True)
    colours = colormaps[cmap](norm(np.nan_to_num(v, nan=vmin)))
    colours[~np.isfinite(v)] = to_rgba_array("#dddddd")
    draw_units(units, colours, ax)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, label=label or column, extend="max")
    if boundary is not None:
        boundary.boundary.plot(ax=ax, color="black", linewidth=0.6)
    ax.set_title(title or f"{column} per unit")
    ax.set_axis_off()
    return fig


def plot_surface_3d(
    units: gpd.GeoDataFrame,
    column: str = "harm",
    *,
    max_bars: int = 5000,
    elev: float = 35.0,
    azim: float = -60.0,
    cmap: str = "YlOrRd",
):
    """A static 3D bar view of ``column`` across the area (one bar per unit with a value).

    Bars stand on unit centroids; their footprint is the cell size on a regular grid, else
    the median unit width. Above ``max_bars`` units with a value, only the highest are drawn
    (the title says so). Axes are in metres from the area's south-west corner.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"harm": [0.0, 365.0, 2.0, 10.0]},
    ...                      geometry=[box(x, y, x + 100, y + 100) for y in (0, 100) for x in (0, 100)], crs=27700)
    >>> fig = plot_surface_3d(u, "harm")
    >>> fig.axes[0].get_zlabel()
    'harm'
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps

    _need(units, column, "hspwork.units.count")
    to_m = unit_to_metres(require_crs(units, "units"))
    v = np.asarray(units[column], dtype=float)
    geoms = geometry_array(units)
    lat = detect_lattice(units)
    if lat is not None:
        size = lat.cell_size * to_m
    else:
        b = shapely.bounds(geoms)
        size = float(np.median(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))) * to_m
    c = shapely.centroid(geoms)
    x = shapely.get_x(c) * to_m
    y = shapely.get_y(c) * to_m
    x0, y0 = x.min() - size / 2, y.min() - size / 2
    keep = np.flatnonzero(v > 0)
    note = ""
    if keep.size > max_bars:
        keep = keep[np.argsort(-v[keep], kind="mergesort")[:max_bars]]
        note = f" (highest {max_bars:,} of {int((v > 0).sum()):,} units)"
    fig = plt.figure(figsize=(9, 7))
    ax = fig.add_subplot(projection="3d")
    if keep.size:
        vmax = v[keep].max()
        colours = colormaps[cmap](v[keep] / vmax if vmax > 0 else v[keep])
        ax.bar3d(
            x[keep] - x0 - size * 0.45, y[keep] - y0 - size * 0.45, np.zeros(keep.size),
            size * 0.9, size * 0.9, v[keep], color=colours, shade=True,
        )  # fmt: skip
    ax.set_xlabel("east (m)")
    ax.set_ylabel("north (m)")
    ax.set_zlabel(column)
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(f"{column} across the area{note}")
    return fig
