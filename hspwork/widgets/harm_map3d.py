"""An interactive 3D harm map for JupyterLab: a column of harm per cell, force area down to a hot spot.

Why this library
----------------
The map is an `anywidget <https://anywidget.dev>`_ whose front end is deck.gl, bundled by
esbuild into one ES module that ships inside hspwork (``hspwork/widgets/static/harm3d.js``,
built from ``js/harm3d`` with pinned versions). Both libraries the issue named were tried in
JupyterLab with every non-localhost request refused:

* **lonboard** (0.17) ships its JavaScript in the wheel, but that module starts with a
  top-level ``await`` that fetches ``parquet_wasm_bg.wasm`` from cdn.jsdelivr.net (lonboard
  sends every table as Parquet and decodes it in WebAssembly). Offline the fetch fails, the
  module never loads, and no canvas is drawn (seen in headless Chromium: the one blocked
  request was the wasm file).
* **pydeck** renders in Jupyter through ``@deck.gl/jupyter-widget`` loaded from a CDN by
  default; there is no offline bundle for JupyterLab 4.

So hspwork keeps deck.gl, the engine both use, and drops the two network dependencies: the
columns go to the browser as plain JSON (a force's cells are a few thousand, well within
what a comm message carries), no basemap or tiles are requested, and deck.gl's loaders
(which could fetch web workers) are never used. anywidget's own JavaScript comes inside its
wheel as a JupyterLab extension.

What it shows
-------------
Heights and colours are harm per unit (``harm_column``, e.g. from :func:`hspwork.units.count`);
the widget computes no statistic. Colours use fixed classes (quintiles of the force area's
cells with harm) so a colour means the same harm in every view; heights are rescaled so the
tallest column in view stands at a quarter of the view's width, and the caption gives the
scale. The drop-down drills down to one district (``areas``) or one hot spot (``hotspots``).
For the HTML pages use the static figure :func:`hspwork.targeting.plot_surface_3d`.
"""

from __future__ import annotations

import math
from pathlib import Path

import anywidget
import geopandas as gpd
import ipywidgets as w
import numpy as np
import shapely
import traitlets

from hspwork.crs import WGS84, to_metric, unit_to_metres
from hspwork.errors import HspworkError, SchemaError

__all__ = ["HarmMap3D", "colour_classes", "deck_view", "drill_choices", "harm_columns"]

_STATIC = Path(__file__).resolve().parent / "static"
FORCE_AREA = "Force area"

# YlOrRd, five classes (ColorBrewer), as RGBA for deck.gl.
_CLASS_COLOURS = (
    (255, 255, 178, 255),
    (254, 204, 92, 255),
    (253, 141, 60, 255),
    (240, 59, 32, 255),
    (189, 0, 38, 255),
)


def colour_classes(values, n_classes: int = 5) -> np.ndarray:
    """Upper class limits for the colours: quantiles of the positive values.

    Computed once over the force area, so a colour keeps its meaning when the map drills
    down. Returns ``n_classes - 1`` limits (a value above the last is in the top class).

    Examples
    --------
    >>> colour_classes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).round(6).tolist()
    [2.8, 4.6, 6.4, 8.2]
    """
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return np.zeros(n_classes - 1)
    return np.quantile(v, np.arange(1, n_classes) / n_classes)


def _footprints(units: gpd.GeoDataFrame, footprint_m: float) -> np.ndarray:
    geoms = units.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    lines = np.isin(kinds, (1, 2, 5))  # street segments stand on a band along the street
    if lines.any():
        geoms = geoms.copy()
        half = footprint_m / 2 / unit_to_metres(units.crs)
        geoms[lines] = shapely.buffer(geoms[lines], half, cap_style="flat")
    return geoms


def harm_columns(
    units: gpd.GeoDataFrame,
    harm_column: str = "harm",
    *,
    within=None,
    classes=None,
    footprint_m: float = 10.0,
    id_column: str = "unit_id",
) -> dict:
    """The columns to draw: one outline (WGS84 ring), value, colour and label per unit with harm.

    Parameters
    ----------
    units : GeoDataFrame
        Units with a harm value (grid or hex cells, or street segments, which stand on a band
        ``footprint_m`` wide).
    harm_column : str
        Column of ``units`` giving each column's height.
    within : shapely geometry, optional
        Keep only the units that intersect it (in the units' CRS): a district or a hot spot.
    classes : array-like, optional
        Colour class limits (:func:`colour_classes`); default computed from these units.
    footprint_m : float
        Width of the band a street segment's column stands on, in metres.
    id_column : str
        Column naming each unit in the tooltip.

    Returns
    -------
    dict
        ``polygons`` (lists of [lon, lat]), ``values``, ``colours`` (RGBA), ``labels``,
        ``n_units`` (units with harm kept), ``max_value`` and ``bounds`` (of the units kept,
        in the units' CRS; None when none is kept).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"unit_id": [0, 1, 2], "harm": [0.0, 365.0, 2.0]},
    ...     geometry=[box(530000 + 100 * i, 180000, 530100 + 100 * i, 180100) for i in range(3)],
    ...     crs=27700)
    >>> c = harm_columns(u)
    >>> c["values"], c["n_units"], len(c["polygons"][0])
    ([365.0, 2.0], 2, 5)
    """
    if harm_column not in units.columns:
        raise SchemaError(
            f"units has no column {harm_column!r} (harm_column); columns: "
            f"{', '.join(map(str, units.columns))}; count harm into units with hspwork.units.count"
        )
    units = to_metric(units, "units")
    v = np.asarray(units[harm_column], dtype="float64")
    if classes is None:
        classes = colour_classes(v)
    keep = np.isfinite(v) & (v > 0)
    geoms = _footprints(units, footprint_m)
    if within is not None:
        keep &= shapely.intersects(geoms, within)
    idx = np.flatnonzero(keep)
    shown = gpd.GeoSeries(geoms[idx], crs=units.crs).to_crs(WGS84).to_numpy()
    cls = np.searchsorted(np.asarray(classes, dtype="float64"), v[idx], side="left")
    ids = units[id_column].astype(str).to_numpy() if id_column in units.columns else idx.astype(str)
    polygons, values, colours, labels = [], [], [], []
    for k, g in enumerate(shown):
        # One column per polygon part; holes do not matter for a column of a cell.
        for part in shapely.get_parts(g):
            if part.geom_type != "Polygon":
                continue
            ring = np.round(np.asarray(part.exterior.coords)[:, :2], 7).tolist()
            polygons.append(ring)
            values.append(float(v[idx[k]]))
            colours.append(list(_CLASS_COLOURS[min(int(cls[k]), len(_CLASS_COLOURS) - 1)]))
            labels.append(f"{ids[idx[k]]}: harm {v[idx[k]]:,.0f}")
    return {
        "polygons": polygons,
        "values": values,
        "colours": colours,
        "labels": labels,
        "n_units": len(idx),
        "max_value": float(v[idx].max()) if len(idx) else 0.0,
        "bounds": shapely.total_bounds(geoms[idx]).tolist() if len(idx) else None,
    }


def deck_view(
    geometry, crs, width_px: int = 900, height_px: int = 560, pitch: float = 50.0
) -> dict:
    """A deck.gl view (longitude, latitude, zoom, pitch, bearing) that frames ``geometry``.

    deck.gl draws 512-pixel tiles, so its zoom is one less than Leaflet's for the same scale.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> v = deck_view(box(530000, 180000, 531000, 181000), 27700, 800, 800)
    >>> round(v["longitude"], 3), round(v["latitude"], 3), round(v["zoom"], 2), v["pitch"]
    (-0.121, 51.508, 14.93, 50.0)

    By hand: 1,000 m in 0.8 x 800 px at latitude 51.508 gives
    log2(640 x 78,271.5 x cos 51.508° / 1,000) = log2(31,183) = 14.93.
    """
    s = gpd.GeoSeries([geometry], crs=crs)
    s = to_metric(gpd.GeoDataFrame(geometry=s), "area").geometry
    minx, miny, maxx, maxy = s.total_bounds
    extent_m = max(maxx - minx, maxy - miny, 1.0) * unit_to_metres(s.crs)
    lon0, lat0, lon1, lat1 = s.to_crs(WGS84).total_bounds
    lon, lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    room_px = 0.8 * min(width_px, height_px)
    zoom = math.log2(room_px * 78271.51696 * math.cos(math.radians(lat)) / extent_m)
    return {
        "longitude": float(lon),
        "latitude": float(lat),
        "zoom": float(min(max(zoom, 1.0), 20.0)),
        "pitch": float(pitch),
        "bearing": -15.0,
        "maxPitch": 85,
    }


def drill_choices(
    areas: gpd.GeoDataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    *,
    area_name_column: str = "name",
    crs=None,
) -> dict:
    """The views the map can drill down to: the force area, each district, each hot spot.

    Returns an ordered dict of label -> geometry (in ``crs``; None for the force area).
    Hot spots are labelled by ``fence_id`` and ``name`` when they are a fence set.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> beats = gpd.GeoDataFrame({"name": ["North", "South"]},
    ...     geometry=[box(0, 50, 100, 100), box(0, 0, 100, 50)], crs=27700)
    >>> list(drill_choices(beats))
    ['Force area', 'District: North', 'District: South']
    """
    out: dict = {FORCE_AREA: None}
    if areas is not None:
        if area_name_column not in areas.columns:
            raise SchemaError(
                f"areas has no column {area_name_column!r} (area_name_column); columns: "
                f"{', '.join(map(str, areas.columns))}"
            )
        a = areas.to_crs(crs) if crs is not None else areas
        for name, g in zip(a[area_name_column].astype(str), a.geometry, strict=True):
            out[f"District: {name}"] = g
    if hotspots is not None:
        h = hotspots.to_crs(crs) if crs is not None else hotspots
        ids = h["fence_id"] if "fence_id" in h.columns else h.index.astype(str)
        names = h["name"] if "name" in h.columns else ids
        for i, n, g in zip(ids.astype(str), names.astype(str), h.geometry, strict=True):
            out[f"Hot spot: {i}" + (f" · {n}" if n != i else "")] = g
    return out


def _outline_paths(geometry) -> list:
    if geometry is None:
        return []
    g = gpd.GeoSeries([geometry.boundary]).set_crs(WGS84).iloc[0]
    return [np.round(np.asarray(p.coords)[:, :2], 7).tolist() for p in shapely.get_parts(g)]


class _Deck3D(anywidget.AnyWidget):
    """The front end: deck.gl columns, drawn from the traits below."""

    _esm = _STATIC / "harm3d.js"
    columns = traitlets.Dict().tag(sync=True)
    outlines = traitlets.List().tag(sync=True)
    view = traitlets.Dict().tag(sync=True)
    elevation_scale = traitlets.Float(1.0).tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    height_px = traitlets.Int(560).tag(sync=True)
    generation = traitlets.Int(0).tag(sync=True)
    #: Set by the browser once deck.gl has drawn a frame.
    frames = traitlets.Int(0).tag(sync=True)


class HarmMap3D(w.VBox):
    """Harm per unit as extruded columns, for the force area or one district or hot spot.

    Parameters
    ----------
    units : GeoDataFrame
        Units with a harm value per unit (:func:`hspwork.units.count`).
    areas : GeoDataFrame, optional
        Districts (beats, wards, neighbourhoods) with a name column to drill down to.
    hotspots : GeoDataFrame, optional
        Hot spots or fences to drill down to (labelled by ``fence_id`` and ``name``).
    harm_column : str
        The column of ``units`` to raise.
    area_name_column : str
        The column of ``areas`` naming each district.
    height_px : int
        Height of the map in pixels.

    Attributes
    ----------
    choices : dict
        Label -> geometry of every view in the drop-down.
    deck : widget
        The map itself (traits ``columns``, ``view``, ``caption``...).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"unit_id": [0, 1], "harm": [365.0, 2.0]},
    ...     geometry=[box(530000, 180000, 530100, 180100), box(530100, 180000, 530200, 180100)],
    ...     crs=27700)
    >>> m = HarmMap3D(u, hotspots=gpd.GeoDataFrame({"fence_id": ["A"]},
    ...     geometry=[box(530010, 180010, 530090, 180090)], crs=27700))
    >>> m.show("Hot spot: A")
    >>> m.deck.columns["values"], m.deck.caption.startswith("Hot spot: A: 1 units with harm")
    ([365.0], True)
    """

    def __init__(
        self,
        units: gpd.GeoDataFrame,
        areas: gpd.GeoDataFrame | None = None,
        hotspots: gpd.GeoDataFrame | None = None,
        *,
        harm_column: str = "harm",
        area_name_column: str = "name",
        height_px: int = 560,
    ) -> None:
        if not isinstance(units, gpd.GeoDataFrame) or len(units) == 0:
            raise SchemaError("HarmMap3D needs units (a GeoDataFrame from hspwork.units.count)")
        self.units = to_metric(units, "units")
        self.harm_column = harm_column
        values = np.asarray(self.units.get(harm_column, np.nan), dtype="float64")
        self.classes = colour_classes(values)
        self.choices = drill_choices(
            areas, hotspots, area_name_column=area_name_column, crs=self.units.crs
        )
        self.deck = _Deck3D(height_px=int(height_px))
        self.picker = w.Dropdown(
            options=list(self.choices), value=FORCE_AREA, description="Show",
            layout=w.Layout(width="420px"),
        )  # fmt: skip
        self.picker.observe(lambda c: self.show(c["new"]), names="value")
        super().__init__([self.picker, self.deck], layout=w.Layout(width="100%"))
        self.show(FORCE_AREA)

    def show(self, choice: str) -> None:
        """Drill down to one view (a label of :attr:`choices`)."""
        if choice not in self.choices:
            raise HspworkError(
                f"no view {choice!r}; views: {', '.join(list(self.choices)[:8])}"
                + (" ..." if len(self.choices) > 8 else "")
            )
        within = self.choices[choice]
        cols = harm_columns(self.units, self.harm_column, within=within, classes=self.classes)
        # Frame the columns shown and the area asked for (a hot spot's cells overhang it).
        frame = shapely.box(*self.units.total_bounds) if within is None else within
        if cols["bounds"] is not None:
            frame = shapely.union(frame, shapely.box(*cols["bounds"]))
        view = deck_view(frame, self.units.crs, height_px=self.deck.height_px)
        b = shapely.bounds(frame)
        width_m = max(b[2] - b[0], b[3] - b[1], 1.0) * unit_to_metres(self.units.crs)
        # The tallest column in view stands a quarter of the view's width high.
        scale = 0.25 * width_m / cols["max_value"] if cols["max_value"] > 0 else 1.0
        self.deck.columns = cols
        self.deck.outlines = _outline_paths(
            None
            if within is None
            else gpd.GeoSeries([within], crs=self.units.crs).to_crs(WGS84).iloc[0]
        )
        self.deck.elevation_scale = scale
        self.deck.view = view
        self.deck.generation += 1
        self.deck.caption = (
            f"{choice}: {cols['n_units']:,} units with harm, tallest {cols['max_value']:,.0f} "
            f"harm days; height {scale:.3g} m per harm day; colours fixed for the force area"
        )
        if self.picker.value != choice:
            self.picker.value = choice
