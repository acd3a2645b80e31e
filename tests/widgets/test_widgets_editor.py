"""The fence editor without a browser: state functions, and the widget driven through its traits
exactly as the map would drive it (the draw control's ``data`` is what Leaflet sends back)."""

from __future__ import annotations

import copy
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from ipyleaflet import GeoJSON, TileLayer
from numpy.testing import assert_allclose
from shapely.geometry import LineString, Point, box, mapping

from hspwork.errors import HspworkError, SchemaError
from hspwork.fences import fence_figures, from_file, make_fences, validate_fences
from hspwork.report import report_of
from hspwork.widgets import (
    FenceEditor,
    features_to_fences,
    fence_table,
    fences_to_features,
    keep_unchanged_geometry,
    map_view,
    new_fence_id,
)

T0 = "2024-01-01T00:00Z"
X0, Y0 = 530000.0, 180000.0


@pytest.fixture
def fences():
    f = make_fences(
        gpd.GeoDataFrame(
            {"p": ["market", "station"], "n": ["Market", "Station"]},
            geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 1000, Y0, X0 + 1080, Y0 + 80)],
            crs=27700,
        ),
        id_column="p",
        name_column="n",
        valid_from=T0,
        buffer_m=30,
    )
    f.loc[1, "role"] = "control"
    return f


@pytest.fixture
def crimes():
    return gpd.GeoDataFrame(
        {"harm": [10.0, 365.0, 2.0]},
        geometry=[Point(X0 + 50, Y0 + 50), Point(X0 + 115, Y0 + 50), Point(X0 + 1040, Y0 + 40)],
        crs=27700,
    )


def leaflet_round(features):
    """What Leaflet's toGeoJSON sends back: coordinates with 6 decimals, extra properties."""
    out = copy.deepcopy(features)
    for f in out:
        geom = shapely.geometry.shape(f["geometry"])
        f["geometry"] = mapping(_round(geom))
        f["properties"]["style"] = {"color": "#d62728", "pane": "overlayPane"}
        f["properties"]["type"] = "polygon"
    return out


def _round(geom):
    return shapely.transform(geom, lambda c: np.round(c, 6))


def test_features_round_trip_keeps_ids_attributes_and_shape(fences):
    feats = fences_to_features(fences)
    assert [f["properties"]["fence_id"] for f in feats] == ["market", "station"]
    assert feats[1]["properties"]["style"]["color"] == "#1f77b4"  # control is blue
    back = features_to_fences(leaflet_round(feats), fences)
    cols = ["fence_id", "name", "role", "version", "buffer_m", "valid_from"]
    pd.testing.assert_frame_equal(back[cols], fences[cols])
    d = shapely.hausdorff_distance(back.geometry.to_numpy(), fences.geometry.to_numpy())
    assert (d < 0.1).all() and (d > 0).any()  # 6 decimals: centimetres, not zero
    exact = keep_unchanged_geometry(fences, back)
    assert exact.geometry.geom_equals_exact(fences.geometry, tolerance=0).all()


def test_new_and_stray_features(fences):
    feats = leaflet_round(fences_to_features(fences))
    drawn = {
        "type": "Feature",
        "properties": {"type": "rectangle"},
        "geometry": mapping(box(-0.12, 51.5, -0.119, 51.501)),
    }
    marker = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [-0.12, 51.5]},
    }
    copy_of_market = copy.deepcopy(feats[0])
    back = features_to_fences([*feats, drawn, marker, copy_of_market], fences)
    assert back["fence_id"].tolist() == ["market", "station", "F1", "F2"]
    new = back.iloc[2]
    assert (new["role"], new["version"], new["buffer_m"], new["name"]) == (
        "treatment",
        1,
        0.0,
        "F1",
    )
    assert new["valid_from"] == fences["valid_from"].max()
    assert report_of(back).dropped == {"not a polygon": 1}
    assert new_fence_id(["F1", "F2", "market"]) == "F3"


def test_keep_unchanged_snaps_only_untouched_vertices(fences):
    feats = fences_to_features(fences)
    ring = feats[0]["geometry"]["coordinates"][0]
    # Drag the north-east corner (lon/lat) by about 20 m east.
    moved = [list(c) for c in ring]
    ne = max(range(len(moved) - 1), key=lambda i: moved[i][0] + moved[i][1])
    moved[ne][0] += 0.0003
    if ne == 0:
        moved[-1] = moved[0]
    feats[0]["geometry"]["coordinates"] = [moved]
    back = keep_unchanged_geometry(fences, features_to_fences(leaflet_round(feats), fences))
    xs, ys = back.geometry.iloc[0].exterior.coords.xy
    for c in [(X0, Y0), (X0 + 100, Y0), (X0, Y0 + 100)]:
        assert min(math.dist(c, p) for p in zip(xs, ys, strict=True)) == 0.0
    corner = max(zip(xs, ys, strict=True), key=lambda p: p[0] + p[1])
    assert_allclose(
        corner[0] - (X0 + 100), 0.0003 * 111_320 * math.cos(math.radians(51.506)), rtol=0.02
    )
    assert back.geometry.iloc[1].equals_exact(fences.geometry.iloc[1], 0)


def test_fence_table_is_figures_plus_flags(fences, crimes):
    findings = validate_fences(fences, crimes=crimes, max_radius_m=60)
    t = fence_table(fences, crimes, findings)
    fig = fence_figures(fences, crimes)
    assert_allclose(t["area_m2"], fig["area_m2"])
    assert t["crimes"].tolist() == [1, 1] and t["harm"].tolist() == [10.0, 2.0]
    assert t["flags"].tolist() == ["too_big", ""]  # market: radius 70.7 m > 60 m; station 56.6 m


def test_map_view_zoom_by_hand(fences):
    (lat, lon), zoom = map_view(fences, width_px=800, height_px=800)
    # Wider than high: the width decides. 97,449 m/px at zoom 0 x 0.85 x 800 px / 1,080 m.
    expect = math.floor(math.log2(0.85 * 800 * 156543.03392 * math.cos(math.radians(lat)) / 1080))
    assert expect == 15
    assert zoom == expect
    ll = fences.to_crs(4326).total_bounds
    assert_allclose([lat, lon], [(ll[1] + ll[3]) / 2, (ll[0] + ll[2]) / 2])
    with pytest.raises(SchemaError, match=r"no fences to show"):
        map_view(fences.iloc[0:0])


def test_editor_layers_are_offline_and_complete(fences, crimes):
    streets = gpd.GeoDataFrame(
        {"name": ["High St"]},
        geometry=[LineString([(X0 - 100, Y0 + 50), (X0 + 1200, Y0 + 50)])],
        crs=27700,
    )
    gi = gpd.GeoDataFrame(
        {"gi_bin": [3, 0, -2]},
        geometry=[
            box(X0, Y0, X0 + 50, Y0 + 50),
            box(X0 + 50, Y0, X0 + 100, Y0 + 50),
            box(X0, Y0 + 50, X0 + 50, Y0 + 100),
        ],
        crs=27700,
    )
    ed = FenceEditor(fences, crimes=crimes, streets=streets, gistar=gi)
    assert not any(isinstance(layer, TileLayer) for layer in ed.map.layers)
    names = [layer.name for layer in ed.map.layers]
    assert names == [
        "Gi* hot and cold spots",
        "streets",
        "crimes",
        "selected fence",
        "fence labels",
    ]
    gi_layer = ed.map.layers[0]
    assert [f["properties"]["gi_bin"] for f in gi_layer.data["features"]] == [3, -2]  # 0 not drawn
    assert isinstance(ed.map.layers[2], GeoJSON) and len(ed.map.layers[2].data["features"]) == 3
    # Streets and crimes sit in panes under the fences and take no clicks.
    assert ed.map.layers[1].style["pane"] == "hspwork-streets"
    assert ed.map.layers[1].style["interactive"] is False
    assert ed.map.panes["hspwork-streets"]["zIndex"] < 400  # Leaflet's overlay pane: fences
    assert ed.map.layers[2].point_style["interactive"] is False
    heat = FenceEditor(fences, crimes=crimes, crimes_as="heat")
    assert heat.map.layers[0] is heat.harm_layer and heat.harm_layer.name == "harm map"
    assert sorted(f["properties"]["harm"] for f in heat.harm_layer.data["features"]) == [2, 10, 365]
    rng = np.random.default_rng(1)
    many = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(*rng.uniform(X0, X0 + 900, (2, 5001))), crs=27700
    )
    assert FenceEditor(fences, crimes=many).harm_layer is not None  # auto: > 5,000
    assert FenceEditor(fences, crimes=many.iloc[:5000]).harm_layer is None
    tiles = TileLayer(url="tiles/{z}/{x}/{y}.png")
    assert FenceEditor(fences, basemap=tiles).map.layers[0] is tiles


def test_editor_sees_a_map_edit_and_undoes_it(fences, crimes):
    ed = FenceEditor(fences, crimes=crimes)
    assert ed.figures["crimes"].tolist() == [1, 1]
    seen = []
    ed.observe(lambda c: seen.append(c["new"]["crimes"].tolist()), names="figures")
    # What the browser sends after the market's east side is dragged 20 m east.
    wider = fences.copy()
    wider.loc[0, "geometry"] = box(X0, Y0, X0 + 120, Y0 + 100)
    ed.draw.data = leaflet_round(fences_to_features(wider))
    assert_allclose(ed.fences.area.iloc[0], 12000, rtol=1e-4)
    assert ed.figures["crimes"].tolist() == [2, 1] and ed.figures["harm"].tolist() == [375.0, 2.0]
    assert seen == [[2, 1]] and ed.message == "edited on the map"
    # The same data again (an echo) changes nothing.
    ed.draw.data = leaflet_round(fences_to_features(wider))
    assert seen == [[2, 1]]
    ed.undo()
    assert ed.fences.geometry.geom_equals_exact(fences.geometry, tolerance=0).all()
    assert ed.figures["crimes"].tolist() == [1, 1] and ed.message == "undone"
    assert ed.draw.data[0]["properties"]["fence_id"] == "market"
    ed.undo()
    assert ed.message == "nothing to undo"


def test_editor_draw_delete_rename_and_commit(fences, crimes, tmp_path):
    ed = FenceEditor(fences, crimes=crimes, checks={"max_radius_m": 60})
    drawn = {
        "type": "Feature",
        "properties": {"type": "polygon"},
        "geometry": mapping(box(-0.10, 51.51, -0.0995, 51.5103)),
    }
    ed.draw.data = [*leaflet_round(fences_to_features(fences)), drawn]
    assert ed.fences["fence_id"].tolist() == ["market", "station", "F1"]
    assert ed.message == "drawn: F1"
    # The map gets the id back so the next edit of the shape is matched to F1.
    assert [f["properties"]["fence_id"] for f in ed.draw.data] == ["market", "station", "F1"]
    assert "no_crime" in ed.findings.query("fence_id == 'F1'")["check"].tolist()
    assert "F1" in ed._table.value and "no_crime" in ed._table.value
    ed.rename("F1", "Bus stop")
    ed.set_role("station", "treatment")
    ed.delete("market")
    assert ed.fences[["fence_id", "name", "role"]].values.tolist() == [
        ["station", "Station", "treatment"],
        ["F1", "Bus stop", "treatment"],
    ]
    with pytest.raises(HspworkError, match=r"no fence 'market' on the map; fences: station, F1"):
        ed.rename("market", "x")
    with pytest.raises(HspworkError, match=r"role 'patrol' is not allowed"):
        ed.set_role("F1", "patrol")
    with pytest.raises(HspworkError, match=r"a fence needs a name"):
        ed.rename("F1", "  ")
    path = ed.save(tmp_path / "fences.gpkg", at="2024-03-01T00:00Z")
    back = from_file(path)
    live = back[back.valid_to.isna()].sort_values("fence_id")
    assert live[["fence_id", "version", "name", "role"]].values.tolist() == [
        ["F1", 1, "Bus stop", "treatment"],
        ["station", 2, "Station", "treatment"],
    ]
    market = back[back.fence_id == "market"]
    assert market["valid_to"].tolist() == [pd.Timestamp("2024-03-01", tz="UTC")]  # retired
    assert len(ed.fence_set) == 4  # market v1, station v1 and v2, F1 v1


def test_editor_refuses_what_it_cannot_edit(fences):
    with pytest.raises(SchemaError, match=r"FenceEditor needs a fence set"):
        FenceEditor(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=27700))
    with pytest.raises(
        HspworkError, match=r"crimes_as must be 'auto', 'points' or 'heat', got 'dots'"
    ):
        FenceEditor(fences, crimes_as="dots")
    retired = fences.assign(valid_to=pd.Timestamp("2024-02-01", tz="UTC"))
    with pytest.raises(HspworkError, match=r"no fence in force"):
        FenceEditor(retired)


def test_editor_commits_quick_successive_edits_as_versions(fences):
    ed = FenceEditor(fences)
    for width in (110, 120, 130):
        ed.set_geometry("market", box(X0, Y0, X0 + width, Y0 + 100))
        ed.commit()
    hist = ed.fence_set[ed.fence_set.fence_id == "market"]
    assert hist["version"].tolist() == [1, 2, 3, 4]
    assert_allclose(hist.area, [10000, 11000, 12000, 13000])
    assert hist["valid_from"].is_monotonic_increasing and hist["valid_to"].isna().sum() == 1


def test_editor_says_when_a_drawn_shape_is_not_a_fence(fences):
    # Geoman can also draw markers and lines: they are not fences. The editor says so,
    # takes them off the map, and leaves the fences and the undo history as they were.
    ed = FenceEditor(fences)
    marker = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [-0.12, 51.5]},
    }
    ed.draw.data = [*leaflet_round(fences_to_features(fences)), marker]
    assert ed.message == "not a fence, left out: not a polygon: 1"
    assert ed.fences["fence_id"].tolist() == ["market", "station"]
    assert len(ed.draw.data) == 2
    ed.undo()
    assert ed.message == "nothing to undo"
