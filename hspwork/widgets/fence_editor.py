"""The fence editor: an ipyleaflet map to draw, reshape, drag, delete and rename fences.

The widget holds no statistics. Its state lives in plain traits (``fences``, ``figures``,
``findings``, ``fence_set``) and every figure comes from :mod:`hspwork.fences` through
:mod:`hspwork.widgets.fence_state`, so a script, a test and an exported notebook reach the same
numbers. It works offline: no tile layer is added unless one is given, and the streets layer
serves as the base map.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import geopandas as gpd
import ipywidgets as w
import pandas as pd
import traitlets
from ipyleaflet import GeoJSON, GeomanDrawControl, Heatmap, LayersControl, Map, ScaleControl

from hspwork.crs import WGS84, align_crs
from hspwork.errors import HspworkError, SchemaError
from hspwork.fences import (
    FENCE_COLUMNS,
    ROLES,
    check_fences,
    commit_fences,
    current_fences,
    to_file,
    validate_fences,
)
from hspwork.report import report_of
from hspwork.widgets.fence_state import (
    _style,
    features_to_fences,
    fence_table,
    fences_to_features,
    keep_unchanged_geometry,
    map_view,
)

__all__ = ["FenceEditor"]

# Above this many crimes, "auto" draws a heat map: thousands of SVG markers make a map sluggish.
_MAX_POINTS = 5000

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
    harm_col : str
        Harm column of ``crimes``.
    checks : dict, optional
        Keyword arguments for :func:`hspwork.fences.validate_fences` (``max_radius_m``,
        ``gps_error_m``, ``min_spacing_m``).
    crimes_as : {"auto", "points", "heat"}
        Draw crimes as points or as a heat map; "auto" uses points up to
        5,000 crimes (a browser stays responsive) and a heat map above.
    basemap : ipyleaflet layer, optional
        A tile layer to put under everything. None (default) adds no tile layer, so nothing
        waits on the network.
    map_height : str
        CSS height of the map.

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
        The last thing the editor did, as shown under the table.

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

    def __init__(
        self,
        fences: gpd.GeoDataFrame,
        crimes: gpd.GeoDataFrame | None = None,
        streets: gpd.GeoDataFrame | None = None,
        gistar: gpd.GeoDataFrame | None = None,
        *,
        harm_col: str = "harm",
        checks: dict | None = None,
        crimes_as: str = "auto",
        basemap=None,
        map_height: str = "480px",
    ) -> None:
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
        self.harm_col = harm_col
        self.checks = dict(checks or {})
        self._undo: list[gpd.GeoDataFrame] = []
        self._pushing = False

        centre, zoom = map_view(live)
        layers = [] if basemap is None else [basemap]
        if streets is not None:
            layers.append(
                GeoJSON(
                    data=_geojson(streets, keep=("name",)),
                    style={"color": "#666", "weight": 2, "opacity": 0.8},
                    name="streets",
                )
            )
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
            layers.append(GeoJSON(data=data, name="Gi* hot and cold spots"))
        if self.crimes is not None and len(self.crimes):
            if crimes_as == "auto":
                crimes_as = "points" if len(self.crimes) <= _MAX_POINTS else "heat"
            if crimes_as == "heat":
                ll = self.crimes.to_crs(WGS84)
                weights = ll[harm_col].to_numpy() if harm_col in ll.columns else [1.0] * len(ll)
                locs = [
                    [y, x, float(v)]
                    for x, y, v in zip(ll.geometry.x, ll.geometry.y, weights, strict=True)
                ]
                layers.append(Heatmap(locations=locs, radius=12, name="crimes"))
            else:
                layers.append(
                    GeoJSON(
                        data=_geojson(self.crimes),
                        point_style={
                            "radius": 3,
                            "weight": 0,
                            "fillColor": "#222",
                            "fillOpacity": 0.7,
                        },
                        name="crimes",
                    )
                )
        self.map = Map(
            center=centre,
            zoom=zoom,
            layers=tuple(layers),
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
        self.draw.on_click(self._on_map_click)

        # Side panel: choose a fence, rename it, change its role, delete, undo, save.
        self._pick = w.Dropdown(description="Fence", layout=w.Layout(width="95%"))
        self._name = w.Text(description="Name", layout=w.Layout(width="95%"))
        self._role = w.Dropdown(
            description="Role", options=list(ROLES), layout=w.Layout(width="95%")
        )
        apply_btn = w.Button(description="Apply name/role", icon="check")
        delete_btn = w.Button(description="Delete", icon="trash", button_style="danger")
        undo_btn = w.Button(description="Undo", icon="undo")
        self._path = w.Text(
            description="File", value="fences.geojson", layout=w.Layout(width="95%")
        )
        save_btn = w.Button(description="Save file", icon="save")
        commit_btn = w.Button(
            description="Save version", icon="code-branch", button_style="primary"
        )
        self._table = w.HTML()
        self._findings = w.HTML()
        self._status = w.HTML()
        apply_btn.on_click(lambda _: self._apply_panel())
        delete_btn.on_click(lambda _: self.delete(self._pick.value) if self._pick.value else None)
        undo_btn.on_click(lambda _: self.undo())
        save_btn.on_click(lambda _: self.save(self._path.value))
        commit_btn.on_click(lambda _: self.commit())
        self._pick.observe(self._on_pick, names="value")
        panel = w.VBox(
            [
                self._table,
                self._pick,
                self._name,
                self._role,
                w.HBox([apply_btn, delete_btn, undo_btn]),
                self._path,
                w.HBox([save_btn, commit_btn]),
                self._status,
                self._findings,
            ],
            layout=w.Layout(width="42%", padding="0 0 0 8px"),
        )
        self.map.layout.width = "58%"
        super().__init__([self.map, panel], layout=w.Layout(width="100%"))
        self.fence_set = full
        self._refresh(live, push_to_map=False)
        self.message = f"{len(live)} fence(s) loaded"

    # -- state ------------------------------------------------------------------------------
    def _refresh(self, fences: gpd.GeoDataFrame, push_to_map: bool) -> None:
        findings = (
            validate_fences(fences, crimes=self.crimes, **self.checks)
            if len(fences)
            else _empty_findings()
        )
        figures = fence_table(fences, self.crimes, findings, harm_col=self.harm_col)
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
        options = [
            (f"{i} · {n}", i) for i, n in zip(fences["fence_id"], fences["name"], strict=True)
        ]
        current = self._pick.value
        self._pick.options = options
        if current in set(fences["fence_id"]):
            self._pick.value = current
        elif len(fences):
            self._pick.value = fences["fence_id"].iloc[0]
        self._render()

    def _change(self, fences: gpd.GeoDataFrame, what: str, push_to_map: bool = True) -> None:
        self._undo.append(self.fences)
        self.message = what
        self._refresh(fences, push_to_map)

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
        self._table.value = f'<div style="overflow-x:auto;font-size:12px">{table}</div>'
        items = "".join(
            f"<li><b>{html.escape(r.severity)}</b>: {html.escape(r.message)}</li>"
            for r in self.findings.itertuples()
        )
        self._findings.value = f"<ul>{items}</ul>" if items else "<p>No problems found.</p>"
        self._status.value = f"<i>{html.escape(self.message)}</i>"

    @traitlets.observe("message")
    def _on_message(self, change) -> None:
        self._status.value = f"<i>{html.escape(change['new'])}</i>"

    # -- events from the map ------------------------------------------------------------------
    def _on_map_data(self, change) -> None:
        if self._pushing:
            return
        self.apply_features(change["new"])

    def _on_map_click(self, *args, **content) -> None:
        props = (content.get("geo_json") or {}).get("properties") or {}
        fid = props.get("fence_id")
        if fid is not None and fid in set(self.fences["fence_id"]):
            self._pick.value = fid

    def _on_pick(self, change) -> None:
        fid = change["new"]
        if fid is None or fid not in set(self.fences["fence_id"]):
            return
        row = self.fences.set_index("fence_id").loc[fid]
        self._name.value = str(row["name"])
        self._role.value = str(row["role"])

    def _apply_panel(self) -> None:
        fid = self._pick.value
        if fid is None:
            return
        self.rename(fid, self._name.value)
        if self._role.value != self.fences.set_index("fence_id").loc[fid, "role"]:
            self.set_role(fid, self._role.value)

    # -- public actions -----------------------------------------------------------------------
    def apply_features(self, features: list[dict]) -> None:
        """Take the map's features as the new state (what a draw, drag or delete sends).

        Shapes that moved less than a centimetre keep their exact coordinates; newly drawn
        shapes get an id (``F1``...) and are sent back to the map carrying it.
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
        self._change(new, what, push_to_map=bool(drawn))

    def set_geometry(self, fence_id: str, geometry) -> None:
        """Replace one fence's outline (in the fences' CRS)."""
        f = self._copy_with(fence_id)
        f.loc[f["fence_id"] == fence_id, "geometry"] = gpd.GeoSeries([geometry], crs=f.crs).values
        self._change(check_fences(f), f"reshaped {fence_id}")

    def rename(self, fence_id: str, name: str) -> None:
        """Give a fence a new name."""
        if not str(name).strip():
            raise HspworkError(f"a fence needs a name; got {name!r} for fence {fence_id!r}")
        f = self._copy_with(fence_id)
        if f.loc[f["fence_id"] == fence_id, "name"].iloc[0] == name:
            return
        f.loc[f["fence_id"] == fence_id, "name"] = str(name)
        self._change(f, f"renamed {fence_id} to {name!r}")

    def set_role(self, fence_id: str, role: str) -> None:
        """Change a fence's role (treatment, control, catchment, other)."""
        if role not in ROLES:
            raise HspworkError(f"role {role!r} is not allowed; allowed: {', '.join(ROLES)}")
        f = self._copy_with(fence_id)
        f.loc[f["fence_id"] == fence_id, "role"] = role
        self._change(f, f"{fence_id} is now {role}")

    def delete(self, fence_id: str) -> None:
        """Remove a fence from the map (it is retired when the state is committed)."""
        f = self._copy_with(fence_id)
        self._change(f[f["fence_id"] != fence_id].reset_index(drop=True), f"deleted: {fence_id}")

    def undo(self) -> None:
        """Go back one change (map edits included)."""
        if not self._undo:
            self.message = "nothing to undo"
            return
        previous = self._undo.pop()
        self.message = "undone"
        self._refresh(previous, push_to_map=True)

    def commit(self, at=None, note: str = "edited in the fence editor") -> gpd.GeoDataFrame:
        """Record the current fences as new versions in ``fence_set`` (effective ``at``, default
        now) and return the set. Unchanged fences keep their version."""
        if at is None:
            # Full precision: two saves in the same second must still be in order.
            at = pd.Timestamp.now(tz="UTC")
        self.fence_set = commit_fences(self.fence_set, self.fences, at=at, note=note)
        n = int(self.fence_set["valid_to"].isna().sum())
        self.message = f"saved as versions: {len(self.fence_set)} version rows, {n} in force"
        return self.fence_set

    def save(self, path: str | os.PathLike, at=None, versions: bool = True) -> Path:
        """Commit and write the fence set (all versions, or only those in force) to a file;
        the suffix picks the format (.geojson, .gpkg, .kml, .csv)."""
        full = self.commit(at=at)
        out = to_file(full if versions else current_fences(full), path)
        self.message = f"saved {out}"
        return out

    def _copy_with(self, fence_id: str) -> gpd.GeoDataFrame:
        if fence_id not in set(self.fences["fence_id"]):
            raise HspworkError(
                f"no fence {fence_id!r} on the map; fences: {', '.join(self.fences['fence_id'])}"
            )
        return self.fences.copy()


def _empty_findings() -> pd.DataFrame:
    from hspwork.fences import FINDING_COLUMNS

    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "value" else "object") for c in FINDING_COLUMNS}
    )
