"""The 3D harm map in JupyterLab with the network cut off: deck.gl draws the columns."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

CODE = r"""
import geopandas as gpd
from pathlib import Path
import hspwork
from hspwork import units as hu
from hspwork.widgets import HarmMap3D
SAMPLE = Path(hspwork.__file__).resolve().parents[1] / "data" / "sample"
crimes = hspwork.read_crimes(SAMPLE / "crimes_force.csv", tz="Europe/London", crs="EPSG:27700",
                             harm="cambridge", warn=False)
boundary = gpd.read_file(SAMPLE / "boundary.geojson").to_crs(27700)
units = hu.count(hu.grid(boundary, 150), crimes)
beats = gpd.read_file(SAMPLE / "beats.geojson").to_crs(27700)
spots = gpd.read_file(SAMPLE / "hotspots.geojson").to_crs(27700)
m = HarmMap3D(units, areas=beats, hotspots=spots, height_px=520)
def dump(change=None):
    write_state({"frames": m.deck.frames, "caption": m.deck.caption,
                 "n": len(m.deck.columns["values"]), "choices": list(m.choices)})
m.deck.observe(dump, names=["frames", "caption"])
dump()
m
"""

BACKGROUND = np.array([0xF4, 0xF4, 0xF0])


def coloured_share(png: bytes) -> float:
    """Share of the canvas's pixels that are not the map's plain background."""
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255
    off = np.abs(img - BACKGROUND).max(axis=-1) > 24
    return float(off.mean())


def test_3d_map_draws_offline_and_drills_down(open_notebook):
    nb = open_notebook(CODE, viewport=(1300, 900))
    first = nb.wait_state(lambda s: s["frames"] > 0, 60, "deck.gl's first frame")
    canvas = nb.page.locator(".hspwork-harm3d canvas").first
    canvas.scroll_into_view_if_needed()
    nb.page.wait_for_timeout(800)
    force_share = coloured_share(canvas.screenshot())
    nb.shot("harm3d_force_area")
    # Drill down to one hot spot through the drop-down, as an analyst would.
    label = next(c for c in first["choices"] if c.startswith("Hot spot: HS01"))
    nb.page.locator(".widget-dropdown select").select_option(label)
    spot = nb.wait_state(lambda s: s["caption"].startswith(label), 30, "the hot spot view")
    nb.page.wait_for_function(
        "t => document.querySelector('.hspwork-harm3d-caption').textContent.startsWith(t)",
        arg=label,
        timeout=15_000,
    )
    nb.page.wait_for_timeout(1200)  # the camera flies for 600 ms
    spot_share = coloured_share(canvas.screenshot())
    nb.shot("harm3d_hot_spot")
    assert nb.blocked == [], nb.blocked
    assert not [c for c in nb.console if c.startswith("error")], nb.console
    assert first["n"] > 100 and 0 < spot["n"] < 20
    # Columns cover part of the canvas in both views (a blank canvas would give 0).
    assert force_share > 0.01, force_share
    assert spot_share > 0.02, spot_share
    print(f"coloured share of the canvas: force area {force_share:.3f}, hot spot {spot_share:.3f}")
