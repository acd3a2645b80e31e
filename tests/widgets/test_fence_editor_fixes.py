"""Each fix of issue 14 in the editor's state logic, without a browser."""

from __future__ import annotations

import datetime

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import Point, Polygon, box, mapping

from hspwork.errors import HspworkError
from hspwork.fences import from_file, make_fences, to_file
from hspwork.widgets import (
    FenceEditor,
    apply_name_and_role,
    effective_start,
    fences_to_features,
    hand_on,
    harm_cells,
    label_points,
    outline_problems,
    same_fence_set,
)

T0 = "2024-01-01T00:00Z"
X0, Y0 = 530000.0, 180000.0


@pytest.fixture
def fences():
    return make_fences(
        gpd.GeoDataFrame(
            {"p": ["market", "station"]},
            geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 400, Y0, X0 + 480, Y0 + 80)],
            crs=27700,
        ),
        id_column="p",
        valid_from=T0,
    )


def test_name_and_role_in_one_step(fences):
    f, what = apply_name_and_role(fences, "market", "Market square", "control")
    assert f.loc[0, ["name", "role"]].tolist() == ["Market square", "control"]
    assert what == "market: name 'Market square', role control"
    with pytest.raises(HspworkError, match=r"role 'patrol' is not allowed"):
        apply_name_and_role(fences, "market", "Market square", "patrol")
    ed = FenceEditor(fences)
    # What the panel does: both boxes filled, then "Apply name/role" (the refresh after the
    # name used to reset the Role box before the role was read).
    ed._pick.value = "market"
    ed._name.value = "Market square"
    ed._role.value = "control"
    ed._apply_panel()
    assert ed.fences.loc[0, ["name", "role"]].tolist() == ["Market square", "control"]
    assert ed._role.value == "control" and len(ed._undo) == 1  # one change, one undo
    ed.undo()
    assert ed.fences.loc[0, ["name", "role"]].tolist() == ["market", "treatment"]


def test_save_goes_to_save_path_and_is_remembered(fences, tmp_path):
    target = tmp_path / "work" / "02_geofences" / "fences.geojson"
    target.parent.mkdir(parents=True)
    ed = FenceEditor(fences, save_path=target)
    assert ed._path.value == str(target) and ed.saved is None
    ed.set_role("station", "control")
    ed._safe(lambda: ed.save(ed._path.value))()  # the "Save file" button
    assert ed.saved_path == target and target.is_file()
    assert same_fence_set(from_file(target), ed.saved)
    with pytest.raises(HspworkError, match=r"no file to save to"):
        FenceEditor(fences).save()


def test_hand_on_writes_only_when_no_edited_set_is_there(fences, tmp_path):
    path = tmp_path / "fences.geojson"
    first = hand_on(fences, path)
    assert first.wrote and not first.edited and path.is_file()
    again = hand_on(fences, path)  # the chapter run twice: the same set, written again
    assert again.wrote and "wrote this chapter's fence set" in again.summary()
    ed = FenceEditor(fences, save_path=path)
    ed.set_name_and_role("market", "Market square", "control")
    ed.save()
    kept = hand_on(fences, ed)
    assert not kept.wrote and kept.edited and not kept.unsaved
    assert kept.summary().startswith(
        f"kept the edited fence set in {path.parent.name}/{path.name} (3 versions, 2 in force)"
    )
    assert set(from_file(path)["name"]) == {"market", "Market square", "station"}
    ed.delete("station")  # changed after saving: said so
    assert hand_on(fences, ed).unsaved and "not saved" in hand_on(fences, ed).summary()
    # An edit made by hand in a GIS is kept too; overwrite=True replaces it on purpose.
    to_file(fences.assign(role="control"), path)
    assert hand_on(fences, path).edited
    assert hand_on(fences, path, overwrite=True).wrote
    assert same_fence_set(from_file(path), fences)
    with pytest.raises(HspworkError, match=r"the editor was made without save_path"):
        hand_on(fences, FenceEditor(fences))


def test_hand_on_replaces_its_own_earlier_set_when_the_chapter_reruns(fences, tmp_path):
    # Chapter 2 run last week wrote its set; this week chapter 1 chose other places. The file
    # still holds exactly what the chapter wrote, so it is replaced, not kept as "edited".
    path = tmp_path / "fences.geojson"
    assert hand_on(fences, path).wrote
    renamed = fences.assign(name=[f"{n} (new)" for n in fences["name"]])
    rerun = hand_on(renamed, path)
    assert rerun.wrote and not rerun.edited
    assert set(from_file(path)["name"]) == set(renamed["name"])
    # Once the editor saves over it, the next run keeps the edit.
    ed = FenceEditor(renamed, save_path=path)
    ed.set_name_and_role(renamed["fence_id"].iloc[0], "edited by hand", "control")
    ed.save()
    assert hand_on(fences, path).edited


def test_a_bow_tie_is_flagged_refused_and_repaired(fences):
    ed = FenceEditor(fences)
    bow = Polygon([(-0.10, 51.50), (-0.099, 51.501), (-0.099, 51.50), (-0.10, 51.501)])
    drawn = {"type": "Feature", "properties": {"type": "polygon"}, "geometry": mapping(bow)}
    ed.draw.data = [*fences_to_features(fences), drawn]
    assert list(outline_problems(ed.fences)) == ["F1"]
    assert "invalid outline: F1 (Self-intersection" in ed.message
    assert not ed._repair_btn.disabled
    with pytest.raises(HspworkError, match=r"not saved: invalid outline: F1"):
        ed.commit(at="2024-02-01T00:00Z")
    assert len(ed.fence_set) == 2  # nothing committed
    ed._safe(ed.commit)()  # the button says so instead of raising
    assert ed.message.startswith("not done: not saved: invalid outline: F1")
    ed.repair()
    assert ed.message == "repaired: F1 (outline made valid)" and ed._repair_btn.disabled
    full = ed.commit(at="2024-02-01T00:00Z")
    f1 = full[full["fence_id"] == "F1"].geometry.iloc[0]
    assert f1.is_valid and f1.geom_type == "MultiPolygon"
    # Two triangles meeting at the crossing: half the square the four corners span.
    square = gpd.GeoSeries([box(-0.10, 51.50, -0.099, 51.501)], crs=4326).to_crs(27700).area[0]
    assert_allclose(f1.area, square / 2, rtol=1e-3)


def test_layers_sit_under_the_fences_and_let_clicks_through(fences):
    streets = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(X0 - 100, Y0 + 50), (X0 + 600, Y0 + 50)])], crs=27700
    )
    ed = FenceEditor(fences, streets=streets)
    pane = ed.map.layers[0].style["pane"]
    assert ed.map.panes[pane] == {"zIndex": 340, "pointerEvents": "none"}
    # A click on the street inside the station selects the station, and highlights it.
    lon, lat = gpd.GeoSeries([Point(X0 + 440, Y0 + 50)], crs=27700).to_crs(4326).iloc[0].coords[0]
    ed._on_map_interaction(type="click", coordinates=[lat, lon])
    assert ed.selected == "station" and ed._pick.value == "station"
    assert ed._highlight.data["features"][0]["properties"]["fence_id"] == "station"
    assert ed.fence_at(lat + 0.01, lon) is None


def test_first_view_fits_the_map_size_the_browser_reports(fences):
    ed = FenceEditor(fences)
    ed.map.set_trait("pixel_bounds", [[0, 0], [800, 560]])
    # 480 m wide in 0.85 x 800 px at 51.5 N: log2(680 x 97,477 / 480) = 17.1 -> zoom 17.
    assert ed.map.zoom == 17
    ed.map.set_trait("pixel_bounds", [[0, 0], [300, 200]])
    assert ed.map.zoom == 17  # only the first view is fitted; after that the analyst decides


def test_selecting_zooms_to_the_fence(fences):
    ed = FenceEditor(fences)
    ed.map.set_trait("pixel_bounds", [[0, 0], [800, 560]])
    ed._pick.value = "station"  # what the list does
    # 80 m in 0.5 x 560 px: log2(280 x 97,477 / 80) = 18.4 -> zoom 18, centred on the station.
    assert ed.map.zoom == 18
    c = gpd.GeoSeries([Point(ed.map.center[1], ed.map.center[0])], crs=4326).to_crs(27700)[0]
    assert_allclose([c.x, c.y], [X0 + 440, Y0 + 40], atol=0.5)
    ed.select("market", zoom=False)
    assert ed.map.zoom == 18 and ed.selected == "market"


def test_labels_follow_the_fences(fences):
    ed = FenceEditor(fences)
    names = [m.title for m in ed._labels.layers]
    assert names == ["market · market", "station · station"]
    ed.rename("market", "Market <square>")
    assert "Market &lt;square&gt;" in ed._labels.layers[0].icon.html  # escaped
    (_, _, lat, lon), _ = label_points(ed.fences)
    p = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(27700)[0]
    assert ed.fences.geometry[0].contains(p)


def test_harm_map_classes_are_fixed_and_it_can_be_switched_off(fences):
    crimes = gpd.GeoDataFrame(
        {"harm": [365.0, 2.0, 1.0, 10.0, 40.0, 5.0]},
        geometry=[Point(X0 + 10 + 60 * i, Y0 + 10) for i in range(6)],
        crs=27700,
    )
    data = harm_cells(crimes, cell_size_m=50)
    # quintiles of 1, 2, 5, 10, 40, 365 (numpy's linear rule): 2, 5, 10, 40 at 0.2..0.8
    assert_allclose(data["classes"], [2.0, 5.0, 10.0, 40.0])
    fill = {
        f["properties"]["harm"]: f["properties"]["style"]["fillColor"] for f in data["features"]
    }
    assert fill[1.0] == fill[2.0] == "#ffffb2" and fill[365.0] == "#bd0026"
    ed = FenceEditor(fences, crimes=crimes, crimes_as="heat")
    assert ed.harm_layer.visible
    ed._harm_switch.value = False
    assert not ed.harm_layer.visible
    assert FenceEditor(fences, crimes=crimes)._harm_switch.disabled  # points: no harm map


def test_effective_date_sets_new_versions(fences):
    assert effective_start(datetime.date(2025, 10, 1)) == pd.Timestamp("2025-09-30 23:00Z")
    assert effective_start("2025-12-01", tz="UTC") == pd.Timestamp("2025-12-01 00:00Z")
    ed = FenceEditor(fences)
    ed.set_role("market", "control")
    ed._effective.value = datetime.date(2025, 10, 1)
    full = ed.commit()
    v2 = full[(full["fence_id"] == "market") & (full["version"] == 2)]
    assert v2["valid_from"].tolist() == [pd.Timestamp("2025-09-30 23:00Z")]
    assert "from 2025-10-01 00:00 (Europe/London)" in ed.message
    with pytest.raises(HspworkError, match=r"cannot read 'soon' as a date"):
        effective_start("soon")
