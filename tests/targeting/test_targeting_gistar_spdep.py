"""Gi* against R's spdep, an implementation independent of ours and of esda.

``spdep::localG(x, nb2listw(include.self(nb), style = "B"))`` is Gi* with binary weights and
the unit itself in its neighbourhood. R builds its own neighbours here (from the cell centres,
with ``dnearneigh`` and ``knearneigh``), so both the neighbour sets and the statistic are
checked. Debian ships spdep (``apt-get install r-base-core r-cran-spdep``; ``make test``
installs it); without ``Rscript`` these tests are skipped.
"""

from __future__ import annotations

import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose

from hspwork.targeting.gistar import gistar

RSCRIPT = shutil.which("Rscript")
pytestmark = pytest.mark.skipif(RSCRIPT is None, reason="Rscript (r-base-core) is not installed")

# Reads x, y, value from a CSV; writes spdep's Gi* for the neighbour rule given on the command
# line: a distance band in metres between centres ("d:<metres>") or k nearest ("k:<k>").
R_SCRIPT = r"""
suppressPackageStartupMessages(library(spdep))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
xy <- cbind(d$x, d$y)
rule <- strsplit(args[3], ":")[[1]]
if (rule[1] == "d") {
  nb <- dnearneigh(xy, 0, as.numeric(rule[2]))
} else {
  nb <- knn2nb(knearneigh(xy, k = as.integer(rule[2])), sym = FALSE)
}
g <- localG(d$value, nb2listw(include.self(nb), style = "B"))
write.csv(data.frame(z = as.numeric(g)), args[2], row.names = FALSE)
"""


def spdep_gistar(units: gpd.GeoDataFrame, column: str, rule: str, tmp_path) -> np.ndarray:
    c = units.geometry.centroid
    src = tmp_path / "in.csv"
    out = tmp_path / "out.csv"
    script = tmp_path / "gistar.R"
    script.write_text(R_SCRIPT)
    pd.DataFrame({"x": c.x, "y": c.y, "value": units[column]}).to_csv(src, index=False)
    subprocess.run(
        [RSCRIPT, "--vanilla", str(script), str(src), str(out), rule],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return pd.read_csv(out)["z"].to_numpy()


def grid_units(nrows: int, ncols: int, size: float, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0 = np.tile(np.arange(ncols) * size, nrows)
    y0 = np.repeat(np.arange(nrows) * size, ncols)
    y = rng.poisson(rng.gamma(0.7, 3.0, nrows * ncols)).astype(float)
    y[(nrows // 2) * ncols + ncols // 3] += 40  # one busy corner
    return gpd.GeoDataFrame(
        {"crimes": y, "harm": y * rng.gamma(1.0, 40.0, y.size)},
        geometry=shapely.box(x0, y0, x0 + size, y0 + size),
        crs=27700,
    )


@pytest.mark.parametrize(
    ("neighbours", "rule"),
    # queen on 150 m cells = centres within 150 * sqrt(2) m; rook = within 150 m
    [("queen", "d:213"), ("rook", "d:151"), (300.0, "d:300.0001")],
)
def test_gi_z_equals_spdep_localG(neighbours, rule, tmp_path):
    units = grid_units(17, 23, 150.0, seed=11)
    for column in ("crimes", "harm"):
        ours = gistar(units, column, neighbours=neighbours, permutations=0, fdr=None)["gi_z"]
        ref = spdep_gistar(units, column, rule, tmp_path)
        assert np.isfinite(ref).all()
        assert_allclose(ours.to_numpy(), ref, rtol=0, atol=1e-8)


def test_gi_z_equals_spdep_localG_knn_on_scattered_units(tmp_path):
    # k nearest neighbours, not symmetric (knn2nb(sym = FALSE)), on small squares scattered
    # at random (distinct distances, so no ties in the nearest-neighbour order)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 3000, 300), rng.uniform(0, 2000, 300)
    units = gpd.GeoDataFrame(
        {"crimes": rng.poisson(2.0, 300).astype(float)},
        geometry=shapely.box(x - 5, y - 5, x + 5, y + 5),
        crs=27700,
    )
    ours = gistar(units, "crimes", neighbours=6, permutations=0, fdr=None)["gi_z"]
    ref = spdep_gistar(units, "crimes", "k:6", tmp_path)
    assert_allclose(ours.to_numpy(), ref, rtol=0, atol=1e-8)
