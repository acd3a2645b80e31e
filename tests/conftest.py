"""Shared test set-up: off-screen figures, the repository importable, compiled kernels warm.

The compiled (numba) kernels are cached on disk. On a fresh checkout each pytest-xdist worker
would compile them on first use at the same time, which made the first tracking and targeting
tests take a minute or more each; the controller compiles them once, before the workers start,
and the workers load them from the cache.
"""

import os
import shutil
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # figures are drawn to files, never to a screen

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
os.environ.setdefault("HSPWORK_PSEUDONYM_KEY", "hspwork-test-suite-key")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Debian's Chromium, driven by Playwright through ``executable_path`` (no browser download).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per test process, shared by every browser test.

    Playwright's synchronous API runs one event loop per process, so a second
    ``sync_playwright()`` in the same worker fails: every browser test takes this fixture.
    """
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make setup-browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def warm_up_kernels() -> None:
    """Run every compiled kernel once on a tiny input, so its machine code is cached."""
    import numpy as np
    import pandas as pd
    import shapely

    from hspwork.io import set_ping_crs
    from hspwork.tracking import dwell, flag_pings, remove_flagged

    times = pd.date_range("2025-06-02 09:00", periods=40, freq="30s", tz="UTC")
    pings = pd.DataFrame(
        {
            "officer": np.repeat(["PC1", "PC2"], 20),
            "time": np.concatenate([times[:20], times[20:]]),
            "x": np.tile(np.linspace(-50.0, 150.0, 20), 2),
            "y": np.full(40, 50.0),
            "source": "app",
        }
    )
    pings = set_ping_crs(pings, "EPSG:27700")
    import geopandas as gpd

    from hspwork.fences import make_fences

    fences = make_fences(
        gpd.GeoDataFrame(
            {"place": ["A", "B"]},
            geometry=[shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100)],
            crs=27700,
        ),
        id_column="place",
        valid_from="2025-01-01T00:00Z",
    )
    clean = remove_flagged(flag_pings(pings))
    for interpolate in (False, True):
        dwell(clean, fences, interpolate=interpolate, catchment=True)
    from hspwork.targeting import gistar, lisa
    from hspwork.units import grid

    units = grid(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 500, 500)], crs=27700), 100)
    units["harm"] = np.arange(len(units), dtype=float) % 7
    gistar(units, "harm", permutations=99, seed=0, progress=False)
    lisa(units, "harm", permutations=99, seed=0, progress=False)


def pytest_sessionstart(session):
    # xdist workers carry ``workerinput``; only the controller (or a plain run) warms up.
    if hasattr(session.config, "workerinput") or os.environ.get("HSPWORK_SKIP_WARMUP"):
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm_up_kernels()
