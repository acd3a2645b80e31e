"""The fence editor in a real browser: JupyterLab serves a notebook, Chromium drags a vertex.

The kernel writes the editor's state (fences and figures) to a JSON file whenever the figures
change; the test drags the north-east corner of a fence outwards through Geoman's edit handles
and checks that the Python side sees the new outline and the new figures (a crime that was
outside the fence is now counted, with its harm).
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import shape

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = "/usr/bin/chromium"
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
    id_col="place", valid_from="2024-01-01T00:00Z")
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

ed.observe(dump, names="figures")
dump()
ed.draw.current_mode = "edit"
ed
"""


KERNEL_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout_s: float, what: str, step_s: float = 0.25):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def read_state(path: Path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free localhost port, isolated in tmp_path."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (make setup-browser)")
    state_path = tmp_path / "state.json"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"STATE_PATH = {str(state_path)!r}\n" + NOTEBOOK_CODE)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "editor.ipynb")
    port, token = free_port(), "hspwork-browser-test"
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "cfg"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[var] = str(tmp_path / sub)
    # No "get Jupyter news?" prompt over the map (and no fetching news).
    news = (
        tmp_path
        / "settings"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.jupyterlab-settings"
    )
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))
    log = (tmp_path / "lab.log").open("w")
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ip=127.0.0.1", f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={tmp_path}",
        "--ServerApp.open_browser=False", "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)

    def up():
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2
            ):
                return True
        except OSError:
            return proc.poll() is not None  # stop waiting if the server died

    try:
        wait_for(up, 60, "the JupyterLab server")
        assert proc.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
        yield {
            "url": f"http://127.0.0.1:{port}/lab/tree/editor.ipynb?token={token}&reset",
            "state": state_path,
            "log": tmp_path / "lab.log",
            "origin": f"http://127.0.0.1:{port}",
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_drag_a_vertex_and_python_sees_it(lab):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            # Nothing may come from the network: only the local server answers.
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(lab["origin"])
                    or route.request.url.startswith("data:")
                    else route.abort()
                ),
            )
            page.goto(lab["url"], timeout=60_000)
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000
            )
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            # Wait for the kernel, then run the cell (not awaiting the command's promise).
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            page.wait_for_selector(".leaflet-container", timeout=60_000)
            before = wait_for(lambda: read_state(lab["state"]), 60, "the kernel's first state file")
            handles = ".leaflet-marker-pane .marker-icon:not(.marker-icon-middle)"
            page.wait_for_function(
                f"() => document.querySelectorAll({handles!r}).length >= 4", timeout=30_000
            )
            page.locator(".leaflet-container").scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # let Leaflet settle after the scroll
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

            def moved():
                s = read_state(lab["state"])
                return (
                    s
                    if s and s["figures"][0]["area_m2"] > before["figures"][0]["area_m2"] + 1
                    else None
                )

            after = wait_for(moved, 30, "the kernel to see the dragged vertex")
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
            drawn = wait_for(
                lambda: (st := read_state(lab["state"])) and len(st["figures"]) == 2 and st,
                30,
                "the kernel to see the drawn rectangle",
            )
            page.screenshot(path=str(ARTIFACTS / "fence_editor_drawn.png"))
        finally:
            browser.close()

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
