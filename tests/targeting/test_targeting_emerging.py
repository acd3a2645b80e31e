"""Emerging hot spots: Mann-Kendall against scipy, a hand-built series for each of the 17
categories, and Gi* per step against the single-step function."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose
from scipy import stats

from hspwork.errors import HspworkError, SchemaError
from hspwork.targeting.emerging import (
    CATEGORIES,
    _mann_kendall_rows,
    classify,
    emerging_hotspots,
    mann_kendall,
)
from hspwork.targeting.gistar import gistar


def test_mann_kendall_against_kendalltau():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, 15).astype(float)  # many ties
        t = np.arange(x.size)
        n0 = x.size * (x.size - 1) / 2
        _, counts = np.unique(x, return_counts=True)
        n2 = (counts * (counts - 1) / 2).sum()
        tau = stats.kendalltau(t, x, method="asymptotic")
        s, z, p = mann_kendall(x, continuity=False)
        # S is tau-b's numerator: tau_b = S / sqrt(n0 * (n0 - n2)) (time has no ties)
        assert_allclose(s, tau.statistic * np.sqrt(n0 * (n0 - n2)), atol=1e-9)
        assert_allclose(p, tau.pvalue, rtol=1e-9)
    # hand: 1..5 increasing, S = 10, var = 5*4*15/18, continuity -> z = 9 / sqrt(50/3)
    s, z, p = mann_kendall([1, 2, 3, 4, 5])
    assert s == 10
    assert_allclose(z, 9 / np.sqrt(50 / 3), rtol=1e-12)
    assert_allclose(p, 2 * stats.norm.sf(9 / np.sqrt(50 / 3)), rtol=1e-12)


def test_vectorised_mann_kendall_matches_scalar():
    rng = np.random.default_rng(1)
    z = np.round(rng.normal(size=(40, 12)), 1)
    zz, pp = _mann_kendall_rows(z)
    ref = np.array([mann_kendall(row)[1:] for row in z])
    assert_allclose(zz, ref[:, 0], atol=1e-12)
    assert_allclose(pp, ref[:, 1], atol=1e-12)


HOT_SERIES = {
    "new": [0] * 9 + [3],
    "consecutive": [0] * 7 + [2, 2, 2],
    "intensifying": [2.0 + 0.2 * i for i in range(10)],
    "persistent": [2, 3] * 5,
    "diminishing": [3.8 - 0.2 * i for i in range(10)],
    "sporadic": [2, 0, 0, 2, 0, 2, 0, 0, 0, 2],
    "oscillating": [-2, 0, 2, 0, -2, 0, 0, 2, 0, 2],
    "historical": [2] * 9 + [0],
}


def test_every_category_from_hand_built_z_series():
    names, rows = [], []
    for kind, series in HOT_SERIES.items():
        names.append(f"{kind} hot spot")
        rows.append(series)
        names.append(f"{kind} cold spot")  # the mirror image: every z negated
        rows.append([-v for v in series])
    names += ["no pattern", "no pattern"]
    rows += [[0] * 10, [2] + [0] * 9]  # once hot long ago, never again
    z = np.array(rows, dtype=float)
    sig = np.where(np.abs(z) > 1.645, np.sign(z), 0).astype(int)
    trend_z, trend_p = _mann_kendall_rows(z)
    got = classify(sig, trend_z, trend_p, 0.05)
    assert got.tolist() == names
    assert set(names) == set(CATEGORIES)


def lattice_cube(nrows, ncols, steps, seed=0):
    x0 = np.tile(np.arange(ncols) * 100.0, nrows)
    y0 = np.repeat(np.arange(nrows) * 100.0, ncols)
    rng = np.random.default_rng(seed)
    data = {f"2024-{t + 1:02d}-01": rng.poisson(1.0, nrows * ncols) for t in range(steps)}
    cube = gpd.GeoDataFrame(data, geometry=shapely.box(x0, y0, x0 + 100, y0 + 100), crs=27700)
    cube.insert(0, "unit_id", np.arange(nrows * ncols))
    cube.attrs["periods"] = list(data)
    cube.attrs["period"] = "month"
    return cube


def test_cube_gistar_equals_single_step_and_result_shape():
    cube = lattice_cube(8, 8, 6, seed=3)
    # a unit flaring up in the final two months next to a quiet background
    for p in cube.attrs["periods"][-2:]:
        cube.loc[27, p] = 30
    res = emerging_hotspots(cube, fdr=False)
    for p in cube.attrs["periods"]:
        one = gistar(cube, p, fdr=None)
        assert_allclose(res.z[p], one["gi_z"], atol=1e-12)
        assert (res.bins[p] == one["gi_bin"]).all()
    assert res.units.loc[27, "category"] in {"consecutive hot spot", "new hot spot"}
    assert res.units.loc[27, "n_hot"] >= 2
    summ = res.summary()
    assert summ["category"].tolist() == list(CATEGORIES)
    assert summ["units"].sum() == 64
    assert res.units.attrs["emerging"]["period"] == "month"
    fig = res.plot([27])
    assert fig.axes[0].get_ylabel() == "Gi* z"
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_errors():
    cube = lattice_cube(3, 3, 2)
    with pytest.raises(HspworkError, match="at least 3 periods, got 2"):
        emerging_hotspots(cube)
    with pytest.raises(SchemaError, match=r"period columns not in cube.*the cube has \['unit_id'"):
        emerging_hotspots(cube, ["2030-01-01"])
    cube.attrs.clear()
    with pytest.raises(SchemaError, match="give periods="):
        emerging_hotspots(cube)
