"""Local Moran's I against esda and hand-worked values."""

from __future__ import annotations

import itertools
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose
from statsmodels.stats.multitest import multipletests

from hspwork.errors import HspworkError
from hspwork.targeting.lisa import lisa


def lattice_units(nrows, ncols, values, size=100.0):
    x0 = np.tile(np.arange(ncols) * size, nrows)
    y0 = np.repeat(np.arange(nrows) * size, ncols)
    return gpd.GeoDataFrame(
        {"crimes": np.asarray(values, float)},
        geometry=shapely.box(x0, y0, x0 + size, y0 + size),
        crs=27700,
    )


def esda_local(y, w, perms=0, seed=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.Moran_Local(
            np.asarray(y, float), w, transformation="r", permutations=perms, seed=seed, n_jobs=1
        )


def test_hand_worked_strip():
    # values 1, 1, 3, 3 on a rook strip: z = -1, -1, 1, 1; lags -1, 0, 0, 1;
    # I = (n - 1) z lag / sum z^2 = 3/4 z lag -> 0.75, 0, 0, 0.75
    units = lattice_units(1, 4, [1, 1, 3, 3])
    out = lisa(units, "crimes", neighbours="rook", permutations=9, seed=0)
    assert_allclose(out["lisa_i"], [0.75, 0, 0, 0.75], atol=1e-12)
    assert_allclose(out["lisa_lag"], [-1, 0, 0, 1], atol=1e-12)


@pytest.mark.parametrize("rook", [False, True])
def test_equals_esda_moran_local(rook):
    rng = np.random.default_rng(12)
    y = rng.poisson(2.0, 11 * 9).astype(float)
    y[40:45] += 9
    units = lattice_units(11, 9, y)
    w = libpysal.weights.lat2W(11, 9, rook=rook)
    ref = esda_local(y, w)
    out = lisa(
        units, "crimes", neighbours="rook" if rook else "queen", permutations=99, seed=3, fdr=None
    )
    assert_allclose(out["lisa_i"], ref.Is, atol=1e-8)
    # quadrants: esda q 1 HH, 2 LH, 3 LL, 4 HL (before significance)
    names = np.array(["", "HH", "LH", "LL", "HL"])[ref.q]
    sig = out["lisa_quadrant"] != "ns"
    assert sig.sum() > 0
    assert (out.loc[sig, "lisa_quadrant"].to_numpy() == names[sig.to_numpy()]).all()
    assert (out.loc[out.lisa_p_sim >= 0.05, "lisa_quadrant"] == "ns").all()


def test_quadrants_use_adjusted_p_and_reproducible():
    rng = np.random.default_rng(5)
    y = rng.poisson(1.0, 10 * 10).astype(float)
    y[[44, 45, 54, 55]] = 15
    units = lattice_units(10, 10, y)
    a = lisa(units, "crimes", permutations=199, seed=7)
    b = lisa(units, "crimes", permutations=199, seed=7)
    assert_allclose(a["lisa_p_sim"], b["lisa_p_sim"], rtol=0, atol=0)
    assert_allclose(a["lisa_p_adj"], multipletests(a["lisa_p_sim"], method="fdr_bh")[1], rtol=1e-10)
    assert ((a["lisa_quadrant"] != "ns") == (a["lisa_p_adj"] < 0.05)).all()
    assert set(a.loc[[44, 45, 54, 55], "lisa_quadrant"]) <= {"HH", "ns"}
    assert a.attrs["lisa"]["permutations"] == 199


def test_permutation_matches_exact_distribution():
    # strip 0..5, rook. Unit 0: z_0 < 0, one neighbour drawn uniformly from the other 5 values;
    # I_0 = c * z_0 * z_j, larger when z_j is smaller. Observed neighbour is value 1, so
    # P(I >= obs) = P(z_j <= z_1) = 1/5 (only value 1 itself among {1..5}).
    units = lattice_units(1, 6, [0, 1, 2, 3, 4, 5])
    perms = 20_000
    out = lisa(
        units,
        "crimes",
        neighbours="rook",
        permutations=perms,
        alternative="greater",
        seed=2,
        fdr=None,
    )
    ge = out["lisa_p_sim"].to_numpy() * (perms + 1) - 1
    assert_allclose(ge[0] / perms, 0.2, atol=4 * np.sqrt(0.16 / perms))


def test_permutation_matches_enumeration_with_ties():
    # Tied counts: enumerate every set of 3 values from the other 48 units for the corner cells
    # (C(48, 3) = 17,296 equally likely draws) and compare the exact P(I_rand >= I_obs).
    rng = np.random.default_rng(9)
    y = rng.poisson(2.0, 7 * 7).astype(float)
    y[[16, 17, 23, 24]] += 8
    units = lattice_units(7, 7, y)
    perms = 20_000
    out = lisa(units, "crimes", permutations=perms, alternative="greater", seed=5, fdr=None)
    ge = out["lisa_p_sim"].to_numpy() * (perms + 1) - 1
    z = (y - y.mean()) / y.std()
    combos = np.array(list(itertools.combinations(range(48), 3)))
    for corner, nbrs in [(0, [1, 7, 8]), (42, [35, 36, 43]), (48, [40, 41, 47])]:
        others = np.delete(z, corner)
        lag_obs = z[nbrs].mean()
        lags = others[combos].mean(axis=1)
        exact = np.mean(z[corner] * lags >= z[corner] * lag_obs - 1e-12)
        assert_allclose(ge[corner] / perms, exact, atol=4 * np.sqrt(0.25 / perms))


@pytest.mark.slow  # esda compiles its numba kernels on first use
@pytest.mark.xdist_group("esda_permutations")  # one worker pays the compile once
def test_permutation_p_close_to_esda():
    # continuous values: with many tied counts esda's float comparison drops ties at random
    # (see test_permutation_matches_enumeration_with_ties for the exact reference there)
    rng = np.random.default_rng(9)
    y = rng.gamma(2.0, 1.0, 7 * 7)
    y[[16, 17, 23, 24]] += 8
    units = lattice_units(7, 7, y)
    perms = 9999
    ours = lisa(units, "crimes", permutations=perms, alternative="greater", seed=4, fdr=None)
    ge = np.rint(ours["lisa_p_sim"].to_numpy() * (perms + 1) - 1)
    folded = (np.minimum(ge, perms - ge) + 1) / (perms + 1)
    ref = esda_local(y, libpysal.weights.lat2W(7, 7, rook=False), perms=perms, seed=4).p_sim
    assert_allclose(folded, ref, atol=0.03)


def test_errors():
    units = lattice_units(3, 3, np.arange(9))
    with pytest.raises(HspworkError, match="permutations must be >= 1, got 0"):
        lisa(units, "crimes", permutations=0)
    with pytest.raises(HspworkError, match="same value"):
        lisa(lattice_units(3, 3, np.ones(9)), "crimes")
