"""The fence editor: an ipyleaflet map to draw, reshape, drag, delete and rename fences.

The widget holds no statistics. Its state lives in plain traits (``fences``, ``figures``,
``findings``, ``fence_set``) and every figure comes from :mod:`hspwork.fences` through
:mod:`hspwork.widgets.fence_state`, so a script, a test and an exported notebook reach the same
numbers. It works offline: no tile layer is added unless one is given, and the streets layer
serves as the base map.

Layers sit in their own panes, lowest first: the harm map, the streets, the crimes (none of
them takes a click), then the fences (the only layer that takes clicks), the highlight of the
selected fence and the labels (which let clicks through).
"""

from __future__ import annotations

import html
import json
import os
import warnings
from pathlib import Path

import geopandas as gpd
import ipywidgets as w
import pandas as pd
import traitlets
from ipyleaflet import (
    DivIcon,
    GeoJSON,
    GeomanDrawControl,
    LayerGroup,
    LayersControl,
    Map,
    Marker,
    ScaleControl,
)

from hspwork.crs import WGS84, align_crs
from hspwork.errors import HspworkError, SchemaError
from hspwork.fences import (
    FENCE_COLUMNS,
    ROLES,
    check_fences,
    commit_fences,
    current_fences,
    repair_fences,
    to_file,
    validate_fences,
)
from hspwork.report import report_of
from hspwork.widgets.fence_state import (
    _style,
    apply_name_and_role,
    effective_start,
    features_to_fences,
    fence_table,
    fences_to_features,
    harm_cells,
    keep_unchanged_geometry,
    label_points,
    map_view,
    outline_problems,
)

__all__ = ["FenceEditor"]

# Above this many crimes, "auto" draws the harm map: thousands of SVG markers make a map sluggish.
_MAX_POINTS = 5000

# Panes below Leaflet's overlay pane (400, where the fences are) let clicks through to the
# fences; the highlight sits just under the fences' own outline, the labels above them.
PANES = {
    "hspwork-harm": {"zIndex": 320, "pointerEvents": "none"},
    "hspwork-gistar": {"zIndex": 330, "pointerEvents": "none"},
    "hspwork-streets": {"zIndex": 340, "pointerEvents": "none"},
    "hspwork-crimes": {"zIndex": 350, "pointerEvents": "none"},
    "hspwork-selected": {"zIndex": 390, "pointerEvents": "none"},
}

_CSS = """<style>
.leaflet-div-icon:has(> .hspwork-fence-label) { pointer-events: none !important;
  background: none; border: none; }
.hspwork-fence-label { display: inline-block; transform: translate(-50%, -50%);
  font: 600 11px/1.1 sans-serif; color: #111; white-space: nowrap; pointer-events: none;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.hspwork-editor-status { font-size: 12px; min-height: 2.6em; padding: 2px 4px;
  background: #f6f6f6; border-left: 3px solid #888; }
</style>"""

# Gi* bins (-3..3, ArcGIS convention) as a diverging palette; 0 is not drawn.
_GI_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}


def _geojson(frame: gpd.GeoDataFrame, keep=()) -> dict:
    cols = [c for c in keep if c in frame.columns]
    return json.loads(frame[[*cols, frame.geometry.name]].to_crs(WGS84).to_json(drop_id=True))


class FenceEditor(w.HBox):
    """Draw and edit fences on a map, with live figures and checks beside it.

    Parameters
    ----------
    fences : GeoDataFrame
        A fence set (:func:`hspwork.fences.make_fences`, :func:`hspwork.fences.from_file`); the
        versions in force are edited, the history is kept in ``fence_set``.
    crimes : GeoDataFrame, optional
        Crime points, shown on the map and counted per fence (``harm_col`` summed).
    streets : GeoDataFrame, optional
        Street lines; drawn underneath as the base map.
    gistar : GeoDataFrame, optional
        Polygons with a ``gi_bin`` column (targeting's Gi* result), shaded by bin.
    harm_column : str
        Harm column of ``crimes``.
    checks : dict, optional
        Keyword arguments for :func:`hspwork.fences.validate_fences` (``max_radius_m``,
        ``gps_error_m``, ``min_spacing_m``).
    crimes_as : {"auto", "points", "heat"}
        Draw crimes as points or as a harm map (harm per ``harm_cell_m`` cell in fixed colour
        classes, :func:`hspwork.widgets.harm_cells`, with an on/off switch); "auto" uses points
        up to 5,000 crimes (a browser stays responsive) and the harm map above.
    basemap : ipyleaflet layer, optional
        A tile layer to put under everything. None (default) adds no tile layer, so nothing
        waits on the network.
    map_height : str
        CSS height of the map (and of the panel beside it).
    save_path : path-like, optional
        Where "Save file" writes the fence set, e.g. the work folder's
        ``02_geofences/fences.geojson`` (what chapter 3 reads).
    tz : str
        Time zone of the effective date picked for new versions.
    harm_cell_m : float
        Cell size of the harm map, in metres.
    harm_col : str, optional
        Deprecated name of ``harm_column`` (FutureWarning).

    Attributes
    ----------
    fences : GeoDataFrame
        The fences as they are now on the map (one row per fence, metric CRS).
    figures : DataFrame
        :func:`hspwork.widgets.fence_table` of ``fences``: area, maximum radius, crimes,
        harm and flags per fence.
    findings : DataFrame
        :func:`hspwork.fences.validate_fences` of ``fences``.
    fence_set : GeoDataFrame
        The versioned set; :meth:`commit` adds the current state as new versions.
    message : str
        The last thing the editor did, as shown at the top of the panel.
    saved : GeoDataFrame or None
        The fence set as last written by :meth:`save` (None until then).
    saved_path : pathlib.Path or None
        Where it was written.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from hspwork.fences import make_fences
    >>> f = make_fences(gpd.GeoDataFrame(geometry=[box(530000, 180000, 530100, 180100)],
    ...                 crs=27700), valid_from="2024-01-01T00:00Z")
    >>> ed = FenceEditor(f)
    >>> ed.rename("0", "Market square")
    >>> ed.figures[["fence_id", "name", "area_m2"]].values.tolist()
    [['0', 'Market square', 10000.0]]
    >>> ed.undo()
    >>> ed.fences["name"].tolist()
    ['0']
    """

    fences = traitlets.Instance(gpd.GeoDataFrame)
    figures = traitlets.Instance(pd.DataFrame)
    findings = traitlets.Instance(pd.DataFrame)
    fence_set = traitlets.Instance(gpd.GeoDataFrame)
    message = traitlets.Unicode("")
    saved = traitlets.Instance(gpd.GeoDataFrame, allow_none=True)
    saved_path = traitlets.Instance(Path, allow_none=True)
    selected = traitlets.Unicode(None, allow_none=True)

    def __init__(
        self,
        fences: gpd.GeoDataFrame,
        crimes: gpd.GeoDataFrame | None = None,
        streets: gpd.GeoDataFrame | None = None,
        gistar: gpd.GeoDataFrame | None = None,
        *,
        harm_column: str = "harm",
        checks: dict | None = None,
        crimes_as: str = "auto",
        basemap=None,
        map_height: str = "560px",
        save_path: str | os.PathLike | None = None,
        tz: str = "Europe/London",
        harm_cell_m: float = 50.0,
        harm_col: str | None = None,
    ) -> None:
        if harm_col is not None:
            warnings.warn(
                "FenceEditor(harm_col=...) is deprecated; use harm_column=... (the glossary's "
                "name)",
                FutureWarning,
                stacklevel=2,
            )
            harm_column = harm_col
        if not isinstance(fences, gpd.GeoDataFrame) or not set(FENCE_COLUMNS) <= set(
            fences.columns
        ):
            raise SchemaError(
                "FenceEditor needs a fence set (columns "
                f"{', '.join(FENCE_COLUMNS)}); make one with hspwork.fences.make_fences(polygons)"
            )
        if crimes_as not in ("auto", "points", "heat"):
            raise HspworkError(f"crimes_as must be 'auto', 'points' or 'heat', got {crimes_as!r}")
        full = check_fences(fences)
        live = current_fences(full)
        if live.empty:
            raise HspworkError("the fence set has no fence in force (every valid_to is set)")
        self.crimes = None if crimes is None else align_crs(live, crimes, ("fences", "crimes"))
        self.harm_column = harm_column
        self.checks = dict(checks or {})
        self.save_path = None if save_path is None else Path(save_path)
        self.tz = tz
        self._undo: list[gpd.GeoDataFrame] = []
        self._pushing = False
        self._fitted = False
        self._labels_key = None

        centre, zoom = map_view(live)
        layers = [] if basemap is None else [basemap]
        self.harm_layer = None
        if self.crimes is not None and len(self.crimes):
            if crimes_as == "auto":
                crimes_as = "points" if len(self.crimes) <= _MAX_POINTS else "heat"
            if crimes_as == "heat":
                self.harm_layer = GeoJSON(
                    data=harm_cells(self.crimes, harm_column, harm_cell_m),
                    style={"pane": "hspwork-harm", "interactive": False, "weight": 0,
                           "fillOpacity": 0.45},
                    name="harm map",
                )  # fmt: skip
                layers.append(self.harm_layer)
        if gistar is not None:
            if "gi_bin" not in gistar.columns:
                raise SchemaError("gistar needs a gi_bin column (targeting's Gi* result)")
            shown = gistar[gistar["gi_bin"] != 0]
            data = _geojson(shown, keep=("gi_bin",))
            for feat in data["features"]:
                colour = _GI_COLOURS.get(int(feat["properties"]["gi_bin"]), "#cccccc")
                feat["properties"]["style"] = {
                    "color": colour,
                    "fillColor": colour,
                    "weight": 0,
                    "fillOpacity": 0.45,
                }
            layers.append(
                GeoJSON(
                    data=data, style={"pane": "hspwork-gistar", "interactive": False},
                    name="Gi* hot and cold spots",
                )
            )  # fmt: skip
        if streets is not None:
            layers.append(
                GeoJSON(
                    data=_geojson(streets, keep=("name",)),
                    style={"color": "#666", "weight": 2, "opacity": 0.8,
                           "pane": "hspwork-streets", "interactive": False},
                    name="streets",
                )
            )  # fmt: skip
        if crimes_as == "points" and self.crimes is not None and len(self.crimes):
            layers.append(
                GeoJSON(
                    data=_geojson(self.crimes),
                    point_style={"radius": 3, "weight": 0, "fillColor": "#222",
                                 "fillOpacity": 0.7, "pane": "hspwork-crimes",
                                 "interactive": False},
                    name="crimes",
                )
            )  # fmt: skip
        self._highlight = GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            style={"color": "#ffd400", "weight": 9, "opacity": 0.9, "fill": False,
                   "pane": "hspwork-selected", "interactive": False},
            name="selected fence",
        )  # fmt: skip
        self._labels = LayerGroup(name="fence labels")
        layers += [self._highlight, self._labels]
        self.map = Map(
            center=centre,
            zoom=zoom,
            layers=tuple(layers),
            panes=PANES,
            scroll_wheel_zoom=True,
            max_zoom=21,
            layout=w.Layout(height=map_height, width="100%"),
        )
        self.draw = GeomanDrawControl(
            polygon={"pathOptions": _style("treatment")},
            rectangle={"pathOptions": _style("treatment")},
            polyline={},
            circlemarker={},
            marker={},
            circle={},
            edit=True,
            drag=True,
            remove=True,
            cut=False,
            rotate=False,
            data=fences_to_features(live),
        )
        self.map.add(self.draw)
        self.map.add(LayersControl(position="topright"))
        self.map.add(ScaleControl(position="bottomleft", imperial=False))
        self.draw.observe(self._on_map_data, names="data")
        self.map.on_interaction(self._on_map_interaction)
        # The browser reports the map's size once drawn: fit the fences to the real size.
        self.map.observe(self._fit_first_view, names="pixel_bounds")

        # Side panel: what happened (always in view), the controls, then the table and the
        # findings in boxes that scroll; the panel is as high as the map and never grows.
        self._status = w.HTML(layout=w.Layout(width="98%"))
        self._pick = w.Dropdown(description="Fence", layout=w.Layout(width="95%"))
        self._name = w.Text(description="Name", layout=w.Layout(width="95%"))
        self._role = w.Dropdown(
            description="Role", options=list(ROLES), layout=w.Layout(width="95%")
        )
        apply_btn = w.Button(description="Apply name/role", icon="check")
        delete_btn = w.Button(description="Delete", icon="trash", button_style="danger")
        undo_btn = w.Button(description="Undo", icon="undo")
        self._repair_btn = w.Button(
            description="Repair", icon="wrench", button_style="warning", disabled=True,
            tooltip="Mend self-crossing outlines (shapely make_valid)",
        )  # fmt: skip
        self._harm_switch = w.Checkbox(
            value=True, description="Harm map", indent=False,
            disabled=self.harm_layer is None, layout=w.Layout(width="auto"),
        )  # fmt: skip
        self._effective = w.DatePicker(
            description="Effective", layout=w.Layout(width="95%"),
            tooltip=f"Local date ({tz}) new versions start; empty: now",
        )  # fmt: skip
        self._path = w.Text(
            description="File",
            value=str(self.save_path) if self.save_path is not None else "fences.geojson",
            layout=w.Layout(width="95%"),
        )
        save_btn = w.Button(description="Save file", icon="save")
        commit_btn = w.Button(
            description="Save version", icon="code-branch", button_style="primary"
        )
        self._table = w.HTML()
        self._findings = w.HTML()
        apply_btn.on_click(self._safe(self._apply_panel))
        delete_btn.on_click(
            self._safe(lambda: self.delete(self._pick.value) if self._pick.value else None)
        )
        undo_btn.on_click(self._safe(self.undo))
        self._repair_btn.on_click(self._safe(self.repair))
        save_btn.on_click(self._safe(lambda: self.save(self._path.value)))
        commit_btn.on_click(self._safe(self.commit))
        self._harm_switch.observe(self._on_harm_switch, names="value")
        self._pick.observe(self._on_pick, names="value")
        scroll = {"overflow": "auto", "min_height": "0", "width": "98%"}
        panel = w.VBox(
            [
                w.HTML(_CSS),
                self._status,
                self._pick,
                self._name,
                self._role,
                w.HBox([apply_btn, delete_btn, undo_btn]),
                w.HBox([self._repair_btn, self._harm_switch]),
                self._effective,
                self._path,
                w.HBox([save_btn, commit_btn]),
                w.Box([self._table], layout=w.Layout(flex="2 1 0px", **scroll)),
                w.Box([self._findings], layout=w.Layout(flex="1 1 0px", **scroll)),
            ],
            layout=w.Layout(
                width="42%", height=map_height, padding="0 0 0 8px", overflow="hidden",
                flex_flow="column", display="flex",
            ),
        )  # fmt: skip
        panel.add_class("hspwork-editor-panel")
        self._status.add_class("hspwork-editor-status")
        self.map.layout.width = "58%"
        super().__init__([self.map, panel], layout=w.Layout(width="100%"))
        self.fence_set = full
        self._refresh(live, push_to_map=False)
        self.message = f"{len(live)} fence(s) loaded"

    def _safe(self, action):
        """A button's action: an error an analyst can act on becomes the message."""

        def run(_=None):
            try:
                action()
            except HspworkError as exc:
                self.message = f"not done: {exc}"

        return run

    # -- state ------------------------------------------------------------------------------
    def _refresh(self, fences: gpd.GeoDataFrame, push_to_map: bool) -> None:
        findings = (
            validate_fences(fences, crimes=self.crimes, **self.checks)
            if len(fences)
            else _empty_findings()
        )
        figures = fence_table(fences, self.crimes, findings, harm_column=self.harm_column)
        # figures last: whoever observes it sees fences and findings already in step.
        self.fences = fences
        self.findings = findings
        self.figures = figures
        if push_to_map:
            self._pushing = True
            try:
                self.draw.data = fences_to_features(fences)
            finally:
                self._pushing = False
        self._draw_labels(fences)
        self._repair_btn.disabled = not outline_problems(fences)
        options = [
            (f"{i} · {n}", i) for i, n in zip(fences["fence_id"], fences["name"], strict=True)
        ]
        current = self._pick.value
        self._quiet_pick = True
        try:
            self._pick.options = options
            if current in set(fences["fence_id"]):
                self._pick.value = current
            elif len(fences):
                self._pick.value = fences["fence_id"].iloc[0]
        finally:
            self._quiet_pick = False
        self._show_selected(self._pick.value, zoom=False)
        self._render()

    def _draw_labels(self, fences: gpd.GeoDataFrame) -> None:
        points = label_points(fences) if len(fences) else []
        if points == self._labels_key:
            return
        self._labels_key = points
        self._labels.layers = tuple(
            Marker(
                location=(lat, lon),
                icon=DivIcon(
                    html=f'<span class="hspwork-fence-label">{html.escape(name)}</span>',
                    icon_size=[0, 0],
                ),
                draggable=False,
                keyboard=False,
                title=f"{fid} · {name}",
            )
            for fid, name, lat, lon in points
        )

    def _change(self, fences: gpd.GeoDataFrame, what: str, push_to_map: bool = True) -> None:
        self._undo.append(self.fences)
        self._refresh(fences, push_to_map)
        # After the refresh: whoever watches the message sees the fences it speaks of.
        self.message = what

    def _render(self) -> None:
        t = self.figures.copy()
        shown = pd.DataFrame(
            {
                "fence": t["fence_id"],
                "name": t["name"],
                "role": t["role"],
                "area m²": t["area_m2"].map("{:,.0f}".format),
                "max radius m": t["max_radius_m"].map("{:,.0f}".format),
            }
        )
        if "crimes" in t.columns:
            shown["crimes"] = t["crimes"]
            shown["harm"] = t["harm"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        shown["flags"] = t["flags"]
        table = shown.to_html(index=False, classes="hspwork-fences", border=0)
        self._table.value = f'<div style="font-size:12px">{table}</div>'
        items = "".join(
            f"<li><b>{html.escape(r.severity)}</b>: {html.escape(r.message)}</li>"
            for r in self.findings.itertuples()
        )
        self._findings.value = (
            f'<ul class="hspwork-findings" style="font-size:12px;padding-left:1.2em">{items}</ul>'
            if items
            else '<p class="hspwork-findings">No problems found.</p>'
        )
        self._status.value = f"<i>{html.escape(self.message)}</i>"

    @traitlets.observe("message")
    def _on_message(self, change) -> None:
        self._status.value = f"<i>{html.escape(change['new'])}</i>"

    def _map_size_px(self) -> tuple[int, int]:
        pb = self.map.pixel_bounds
        if pb and len(pb) == 2:
            width, height = pb[1][0] - pb[0][0], pb[1][1] - pb[0][1]
            if width > 50 and height > 50:
                return int(width), int(height)
        return 700, 480

    def _fit_first_view(self, change) -> None:
        if self._fitted or not change["new"]:
            return
        self._fitted = True
        centre, zoom = map_view(self.fences, *self._map_size_px())
        self.map.center, self.map.zoom = centre, zoom

    def _show_selected(self, fence_id, zoom: bool) -> None:
        if fence_id is None or fence_id not in set(self.fences["fence_id"]):
            self._highlight.data = {"type": "FeatureCollection", "features": []}
            self.selected = None
            return
        one = self.fences[self.fences["fence_id"] == fence_id]
        self._highlight.data = _geojson(one, keep=("fence_id",))
        self.selected = fence_id
        if zoom:
            # Frame the fence with room around it: a corner is easy to grab at this scale.
            centre, z = map_view(one, *self._map_size_px(), margin=0.5)
            self.map.center, self.map.zoom = centre, min(z, 19)

    def _on_harm_switch(self, change) -> None:
        if self.harm_layer is not None:
            self.harm_layer.visible = bool(change["new"])

    # -- events from the map ------------------------------------------------------------------
    def _on_map_data(self, change) -> None:
        if self._pushing:
            return
        self.apply_features(change["new"])

    def _on_map_interaction(self, **event) -> None:
        if event.get("type") != "click" or self.draw.current_mode not in (None, ""):
            return
        lat, lon = event.get("coordinates", (None, None))
        if lat is None:
            return
        hit = self.fence_at(lat, lon)
        if hit is not None:
            self.select(hit, zoom=False)

    def _on_pick(self, change) -> None:
        fid = change["new"]
        if fid is None or fid not in set(self.fences["fence_id"]):
            return
        row = self.fences.set_index("fence_id").loc[fid]
        self._name.value = str(row["name"])
        self._role.value = str(row["role"])
        if not getattr(self, "_quiet_pick", False):
            self._show_selected(fid, zoom=not getattr(self, "_no_zoom", False))

    def _apply_panel(self) -> None:
        fid = self._pick.value
        if fid is None:
            return
        # Read both boxes before anything changes: a refresh resets them from the fences.
        self.set_name_and_role(fid, self._name.value, self._role.value)

    # -- public actions -----------------------------------------------------------------------
    def fence_at(self, lat: float, lon: float) -> str | None:
        """The fence under a point given in latitude/longitude (the smallest, if they overlap)."""
        pt = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=WGS84).to_crs(self.fences.crs)
        inside = self.fences[self.fences.geometry.covers(pt.iloc[0])]
        if inside.empty:
            return None
        return str(inside.loc[inside.area.idxmin(), "fence_id"])

    def select(self, fence_id: str, zoom: bool = True) -> None:
        """Select a fence as the list does: highlight it and (by default) zoom to it."""
        self._copy_with(fence_id)
        self._no_zoom = not zoom
        try:
            if self._pick.value == fence_id:
                self._show_selected(fence_id, zoom=zoom)
            else:
                self._pick.value = fence_id
        finally:
            self._no_zoom = False

    def apply_features(self, features: list[dict]) -> None:
        """Take the map's features as the new state (what a draw, drag or delete sends).

        Shapes that moved less than a centimetre keep their exact coordinates; newly drawn
        shapes get an id (``F1``...) and are sent back to the map carrying it. An outline that
        crosses itself is shown and flagged, and cannot be saved until it is repaired
        (:meth:`repair`) or undone.
        """
        new = features_to_fences(features, self.fences)
        new = keep_unchanged_geometry(self.fences, new)
        # shapes that are not fences (a marker, a line) are left out and the user is told
        dropped = report_of(new).dropped
        left_out = (
            "not a fence, left out: " + ", ".join(f"{k}: {v}" for k, v in dropped.items())
            if dropped
            else ""
        )
        before = set(self.fences["fence_id"])
        drawn = [f for f in features if (f.get("properties") or {}).get("fence_id") is None]
        same = (
            list(new["fence_id"]) == list(self.fences["fence_id"])
            and new.geometry.geom_equals_exact(self.fences.geometry, tolerance=0).all()
        )
        if same:
            if drawn:  # only stray shapes were drawn: take them off the map, keep the fences
                self.message = left_out or self.message
                self._refresh(self.fences, push_to_map=True)
            return
        added = [i for i in new["fence_id"] if i not in before]
        removed = sorted(before - set(new["fence_id"]))
        what = "edited on the map"
        if added:
            what = f"drawn: {', '.join(added)}"
        elif removed:
            what = f"deleted: {', '.join(removed)}"
        if left_out:
            what += f"; {left_out}"
        problems = outline_problems(new)
        if problems:
            what += "; " + _invalid_text(problems)
        self._change(new, what, push_to_map=bool(drawn))

    def set_geometry(self, fence_id: str, geometry) -> None:
        """Replace one fence's outline (in the fences' CRS)."""
        f = self._copy_with(fence_id)
        f.loc[f["fence_id"] == fence_id, "geometry"] = gpd.GeoSeries([geometry], crs=f.crs).values
        f = check_fences(f)
        problems = outline_problems(f)
        self._change(
            f, f"reshaped {fence_id}" + (f"; {_invalid_text(problems)}" if problems else "")
        )

    def set_name_and_role(self, fence_id: str, name: str, role: str) -> None:
        """Give a fence a name and a role in one change (one undo step)."""
        self._copy_with(fence_id)
        f, what = apply_name_and_role(self.fences, fence_id, name, role)
        if what:
            self._change(f, what, push_to_map=True)
        else:
            self.message = f"{fence_id}: nothing to change"

    def rename(self, fence_id: str, name: str) -> None:
        """Give a fence a new name."""
        role = self._copy_with(fence_id).set_index("fence_id").loc[fence_id, "role"]
        self.set_name_and_role(fence_id, name, role)

    def set_role(self, fence_id: str, role: str) -> None:
        """Change a fence's role (treatment, control, catchment, other)."""
        name = self._copy_with(fence_id).set_index("fence_id").loc[fence_id, "name"]
        self.set_name_and_role(fence_id, name, role)

    def delete(self, fence_id: str) -> None:
        """Remove a fence from the map (it is retired when the state is committed)."""
        f = self._copy_with(fence_id)
        self._change(f[f["fence_id"] != fence_id].reset_index(drop=True), f"deleted: {fence_id}")

    def repair(self) -> None:
        """Mend every outline that crosses itself (:func:`hspwork.fences.repair_fences`)."""
        problems = outline_problems(self.fences)
        if not problems:
            self.message = "every outline is valid: nothing to repair"
            return
        fixed = repair_fences(self.fences)
        self._change(fixed, f"repaired: {', '.join(problems)} (outline made valid)")

    def undo(self) -> None:
        """Go back one change (map edits included)."""
        if not self._undo:
            self.message = "nothing to undo"
            return
        previous = self._undo.pop()
        self.message = "undone"
        self._refresh(previous, push_to_map=True)

    def commit(self, at=None, note: str = "edited in the fence editor") -> gpd.GeoDataFrame:
        """Record the current fences as new versions in ``fence_set`` and return the set.

        New versions start ``at``; default the date in the "Effective" picker (midnight,
        local time ``tz``), else now. Unchanged fences keep their version. An outline that
        crosses itself is refused (HspworkError naming the fence): repair it or undo first.
        """
        problems = outline_problems(self.fences)
        if problems:
            raise HspworkError(f"not saved: {_invalid_text(problems)}")
        if at is None and self._effective.value is not None:
            at = effective_start(self._effective.value, self.tz)
        if at is None:
            # Full precision: two saves in the same second must still be in order.
            at = pd.Timestamp.now(tz="UTC")
        self.fence_set = commit_fences(self.fence_set, self.fences, at=at, note=note)
        n = int(self.fence_set["valid_to"].isna().sum())
        start = pd.Timestamp(at).tz_convert(self.tz).strftime("%Y-%m-%d %H:%M")
        self.message = (
            f"saved as versions from {start} ({self.tz}): {len(self.fence_set)} version rows, "
            f"{n} in force"
        )
        return self.fence_set

    def save(self, path: str | os.PathLike | None = None, at=None, versions: bool = True) -> Path:
        """Commit and write the fence set (all versions, or only those in force) to ``path``
        (default ``save_path``); the suffix picks the format (.geojson, .gpkg, .kml, .csv)."""
        if path is None or str(path).strip() == "":
            path = self.save_path
        if path is None:
            raise HspworkError(
                "no file to save to: give a path, or make the editor with save_path="
            )
        full = self.commit(at=at)
        out = to_file(full if versions else current_fences(full), path)
        self.saved = full.copy()
        self.saved_path = Path(out)
        self.message = f"saved {out}"
        return out

    def _copy_with(self, fence_id: str) -> gpd.GeoDataFrame:
        if fence_id not in set(self.fences["fence_id"]):
            raise HspworkError(
                f"no fence {fence_id!r} on the map; fences: {', '.join(self.fences['fence_id'])}"
            )
        return self.fences.copy()


def _invalid_text(problems: dict[str, str]) -> str:
    parts = ", ".join(f"{fid} ({why})" for fid, why in problems.items())
    return (
        f"invalid outline: {parts} crosses itself or is broken; press Repair, or Undo, "
        "before saving"
    )


def _empty_findings() -> pd.DataFrame:
    from hspwork.fences import FINDING_COLUMNS

    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "value" else "object") for c in FINDING_COLUMNS}
    )
