"""The fence editor in a real browser: JupyterLab serves a notebook, Chromium drags a vertex.

The kernel writes the editor's state (fences and figures) to a JSON file whenever the figures
change; the test drags the north-east corner of a fence outwards through Geoman's edit handles
and checks that the Python side sees the new outline and the new figures (a crime that was
outside the fence is now counted, with its harm).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import shape

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# The fence: a 100 m square in central London (British National Grid). Crime 1 is inside;
# crime 2 is 15 m outside the north-east corner, diagonally.
NOTEBOOK_CODE = r"""
import json, pathlib
import geopandas as gpd
from shapely.geometry import LineString, Point, box
from hspwork.fences import make_fences
from hspwork.widgets import FenceEditor

fences = make_fences(
    gpd.GeoDataFrame({"place": ["market"]}, geometry=[box(530000, 180000, 530100, 180100)], crs=27700),
    "place", valid_from="2024-01-01T00:00Z")
crimes = gpd.GeoDataFrame({"harm": [10.0, 365.0]},
    geometry=[Point(530050, 180050), Point(530115, 180115)], crs=27700)
streets = gpd.GeoDataFrame({"name": ["High St", "Mill Lane"]},
    geometry=[LineString([(529900, 180050), (530250, 180050)]),
              LineString([(530050, 179900), (530050, 180250)])], crs=27700)
ed = FenceEditor(fences, crimes=crimes, streets=streets, map_height="600px")
OUT = pathlib.Path(STATE_PATH)

def dump(change=None):
    state = {"fences": json.loads(ed.fences[["fence_id", "geometry"]].to_json()),
             "figures": ed.figures.to_dict("records"),
             "zoom": ed.map.zoom, "message": ed.message}
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, default=str))
    tmp.replace(OUT)

ed.observe(dump, names=["figures", "message"])
dump()
ed.draw.current_mode = "edit"
ed
"""


def test_drag_a_vertex_and_python_sees_it(open_notebook):
    nb = open_notebook(
        NOTEBOOK_CODE.replace("OUT = pathlib.Path(STATE_PATH)", "OUT = pathlib.Path(STATE_PATH)"),
        viewport=(1400, 1100),
    )
    page = nb.page
    if True:
        try:
            page.wait_for_selector(".leaflet-container", timeout=60_000)
            before = nb.wait_state(timeout_s=90, what="the kernel's first state file")
            handles = ".leaflet-marker-pane .marker-icon:not(.marker-icon-middle)"
            page.wait_for_function(
                f"() => document.querySelectorAll({handles!r}).length >= 4", timeout=30_000
            )
            page.locator(".leaflet-container").scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # let Leaflet settle after the scroll
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "fence_editor_before.png"))
            boxes = [m.bounding_box() for m in page.query_selector_all(handles)]
            # North-east corner: largest x - y on screen.
            ne = max(boxes, key=lambda b: (b["x"] + b["width"] / 2) - (b["y"] + b["height"] / 2))
            x0, y0 = ne["x"] + ne["width"] / 2, ne["y"] + ne["height"] / 2
            dx_px, dy_px = 60.0, -60.0
            page.mouse.move(x0, y0)
            page.mouse.down()
            for k in range(1, 11):
                page.mouse.move(x0 + dx_px * k / 10, y0 + dy_px * k / 10)
            page.mouse.up()

            after = nb.wait_state(
                lambda s: (
                    s["figures"][0]["area_m2"] > before["figures"][0]["area_m2"] + 1
                    and s["message"] == "edited on the map"
                ),
                30,
                "the kernel to see the dragged vertex",
            )
            page.wait_for_function(
                "() => document.querySelector('.hspwork-fences').innerText.includes('375')",
                timeout=15_000,
            )  # the side table shows the new harm
            page.screenshot(path=str(ARTIFACTS / "fence_editor_after.png"))

            # Draw a new fence with Geoman's rectangle tool, below and right of the south-east
            # corner, further than Geoman's 20 px snapping distance from the fence.
            boxes = [m.bounding_box() for m in page.query_selector_all(handles)]
            se = max(boxes, key=lambda b: b["x"] + b["y"])
            sx, sy = se["x"] + se["width"] / 2, se["y"] + se["height"] / 2
            corners = [(sx + 40, sy + 20), (sx + 110, sy + 80)]
            mb = page.locator(".leaflet-container").bounding_box()
            for cx, cy in corners:
                assert (
                    mb["x"] < cx < mb["x"] + mb["width"] and mb["y"] < cy < mb["y"] + mb["height"]
                )
            page.click(".leaflet-pm-toolbar .leaflet-pm-icon-rectangle")
            page.mouse.move(*corners[0])
            page.mouse.click(*corners[0])
            for k in range(1, 6):
                page.mouse.move(corners[0][0] + 70 * k / 5, corners[0][1] + 60 * k / 5)
            page.mouse.click(*corners[1])
            drawn = nb.wait_state(
                lambda st: len(st["figures"]) == 2 and st["message"] == "drawn: F1",
                30,
                "the kernel to see the drawn rectangle",
            )
            page.screenshot(path=str(ARTIFACTS / "fence_editor_drawn.png"))
        finally:
            pass

    # The Python side has the new outline: the north-east corner moved by the drag.
    zoom = after["zoom"]
    lat = 51.506  # the fence's latitude; Web Mercator metres per pixel at this zoom
    m_per_px = 156543.03392 * math.cos(math.radians(lat)) / 2**zoom
    poly = shape(after["fences"]["features"][0]["geometry"])
    xs, ys = poly.exterior.coords.xy
    corner = max(zip(xs, ys, strict=True), key=lambda p: p[0] + p[1])
    assert_allclose(corner[0] - 530100, dx_px * m_per_px, atol=4 * m_per_px)
    assert_allclose(corner[1] - 180100, -dy_px * m_per_px, atol=4 * m_per_px)
    # The other corners did not move.
    for c in [(530000, 180000), (530100, 180000), (530000, 180100)]:
        assert min(math.dist(c, p) for p in zip(xs, ys, strict=True)) < 1e-6
    # And the figures follow the geometry: area, and the crime 15 m off the corner is now in.
    fig = after["figures"][0]
    assert_allclose(fig["area_m2"], shapely.area(poly), rtol=1e-9)
    assert before["figures"][0]["crimes"] == 1 and before["figures"][0]["harm"] == 10.0
    assert fig["crimes"] == 2 and fig["harm"] == 375.0
    assert fig["fence_id"] == "market"
    assert after["message"] == "edited on the map"

    # The drawn rectangle is a new fence: 70 x 60 px on screen, no crime inside, flagged so.
    new = drawn["figures"][1]
    assert new["fence_id"] == "F1" and new["role"] == "treatment"
    assert_allclose(new["area_m2"], 70 * 60 * m_per_px**2, rtol=0.08)
    assert new["crimes"] == 0 and new["flags"] == "no_crime"
    # The edited fence is as it was, but now flagged: the new fence's centre is within 500 m.
    assert drawn["figures"][0] == {**fig, "flags": "too_close"}
    assert drawn["message"] == "drawn: F1"
