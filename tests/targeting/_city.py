"""A synthetic city of 27,000 cells with planted High-High clusters, for LISA and Gi* tests.

180 x 150 cells of 100 m. Background counts are Poisson with a gamma-mixed rate (mean 1,
overdispersed as real crime counts are). Six clusters, discs of radius 4 to 7 cells, have
their rate raised: cells within a cluster's disc form its core. Fixed seed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

NROWS, NCOLS, SIZE_M = 150, 180, 100.0
CLUSTERS = (  # (row, col, radius in cells, rate multiplier)
    (30, 40, 6, 4.0),
    (40, 140, 5, 5.0),
    (75, 90, 7, 3.5),
    (110, 30, 4, 6.0),
    (120, 150, 5, 4.0),
    (100, 100, 4, 5.0),
)


def city(seed: int = 27_000) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The city's cells (``unit_id``, ``crimes``) and a mask of the clusters' core cells."""
    rng = np.random.default_rng(seed)
    row = np.repeat(np.arange(NROWS), NCOLS)
    col = np.tile(np.arange(NCOLS), NROWS)
    rate = rng.gamma(2.0, 0.5, row.size)  # mean 1
    core = np.zeros(row.size, dtype=bool)
    for r0, c0, radius, mult in CLUSTERS:
        inside = (row - r0) ** 2 + (col - c0) ** 2 <= radius**2
        rate[inside] *= mult
        core |= inside
    x0, y0 = col * SIZE_M, row * SIZE_M
    units = gpd.GeoDataFrame(
        {"unit_id": np.arange(row.size), "crimes": rng.poisson(rate)},
        geometry=shapely.box(x0, y0, x0 + SIZE_M, y0 + SIZE_M),
        crs=27700,
    )
    return units, core
