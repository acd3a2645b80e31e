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

from hspwork.errors import HspworkError, HspworkWarning
from hspwork.targeting.lisa import lisa
from tests.targeting._exact import monte_carlo_tolerance, two_sided_exact


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
    # (the p-values themselves are checked against the exact distribution below)
    a = lisa(units, "crimes", permutations=199, seed=7)
    b = lisa(units, "crimes", permutations=199, seed=7)
    assert_allclose(a["lisa_p_sim"], b["lisa_p_sim"], rtol=0, atol=0)
    assert_allclose(a["lisa_p_adj"], multipletests(a["lisa_p_sim"], method="fdr_bh")[1], rtol=1e-10)
    assert ((a["lisa_quadrant"] != "ns") == (a["lisa_p_adj"] < 0.05)).all()
    assert set(a.loc[[44, 45, 54, 55], "lisa_quadrant"]) <= {"HH", "ns"}
    assert a.attrs["lisa"]["permutations"] == 199


def test_permutation_p_against_the_exact_distribution_of_every_unit():
    # The map above. A unit's k neighbours are a random k-subset of the other 99 counts; the
    # permuted I_i = c z_i mean(z_J) is monotone in the subset's sum (increasing when z_i > 0,
    # decreasing when z_i < 0), so the two tails are the exact shares of subsets with sums at
    # or above / at or below the observed one (counted in integers by _exact), whichever
    # direction z_i has. The default two-sided pseudo p is
    # min(1, 2 min(#ge + 1, #le + 1) / (P + 1)); at P = 19,999 each is within 4 Monte Carlo sd
    # (2 sqrt(q (1 - q) / P) for the smaller tail q) plus the +1 offset of the exact value.
    rng = np.random.default_rng(5)
    y = rng.poisson(1.0, 10 * 10).astype(float)
    y[[44, 45, 54, 55]] = 15
    units = lattice_units(10, 10, y)
    perms = 19_999
    out = lisa(units, "crimes", permutations=perms, seed=7, fdr=None)
    p_sim = out["lisa_p_sim"].to_numpy()
    w = libpysal.weights.lat2W(10, 10, rook=False).full()[0].astype(bool)
    exact, q = two_sided_exact(y, w)
    tol = monte_carlo_tolerance(q, perms)
    assert (np.abs(p_sim - exact) <= tol).all(), np.abs(p_sim - exact).max()
    assert exact.min() < 0.01 and np.median(exact) > 0.3  # the whole scale is exercised
    c = p_sim * (perms + 1) / 2  # on the grid 2 (c + 1) / (P + 1), or 1
    assert_allclose(c[p_sim < 1], np.rint(c[p_sim < 1]), atol=1e-6)


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
    # the library's own folded option is the same pseudo p-value
    direct = lisa(units, "crimes", permutations=perms, alternative="folded", seed=4, fdr=None)
    assert_allclose(direct["lisa_p_sim"], folded, atol=0.03)
    assert_allclose(direct["lisa_p_sim"], ref, atol=0.03)


def test_errors():
    units = lattice_units(3, 3, np.arange(9))
    with pytest.raises(HspworkError, match="permutations must be >= 1, got 0"):
        lisa(units, "crimes", permutations=0)
    with pytest.raises(HspworkError, match="same value"):
        lisa(lattice_units(3, 3, np.ones(9)), "crimes")


@pytest.mark.slow  # esda compiles its numba kernels on first use; 27,000 cells x 999 twice
@pytest.mark.xdist_group("esda_permutations")  # one worker pays the compile once
def test_city_clusters_esda_sees_are_found_at_defaults_under_fdr():
    # 27,000 cells with six planted High-High clusters (tests/targeting/_city.py)
    from tests.targeting._city import CLUSTERS, NCOLS, NROWS, city

    units, core = city()
    row, col = np.divmod(np.arange(len(units)), NCOLS)
    rim = np.zeros(len(units), dtype=bool)  # the cores and one cell around them
    for r0, c0, radius, _ in CLUSTERS:
        rim |= (row - r0) ** 2 + (col - c0) ** 2 <= (radius + 1.5) ** 2
    w = libpysal.weights.lat2W(NROWS, NCOLS, rook=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(
            units["crimes"].to_numpy(float), w, transformation="r", permutations=999,
            seed=1, n_jobs=1, keep_simulations=False,
        )  # fmt: skip
    esda_hh = (ref.p_sim < 0.05) & (ref.q == 1)
    ours = lisa(units, "crimes", seed=1)  # the defaults: 999 permutations, FDR 0.05
    hh = (ours["lisa_quadrant"] == "HH").to_numpy()
    for r0, c0, radius, _ in CLUSTERS:
        disc = (row - r0) ** 2 + (col - c0) ** 2 <= radius**2
        assert esda_hh[disc].mean() > 0.5  # what a GeoDa/esda user sees at p < 0.05 ...
        assert hh[disc].mean() > 0.1  # ... every cluster is found here too, under FDR
        assert (hh[disc] & esda_hh[disc]).sum() == hh[disc].sum()  # inside what esda shows
    assert hh[core].mean() > 0.15 and esda_hh[core].mean() > 0.6
    # FDR keeps false clusters out: esda's unadjusted map has scattered cells far from any
    # cluster, ours (almost) none
    assert (esda_hh & ~rim).sum() > 100
    assert (hh & ~rim).sum() <= max(2, 0.05 * hh.sum())
    settings = ours.attrs["lisa"]
    assert settings["permutations"] == 999 and settings["permutations_max"] > 9_999
    assert 0 < settings["permutations_raised"] < 0.05 * len(units)
    # the same units with 999 permutations only (the old behaviour) can flag nothing: the
    # warning says why and what to do
    with pytest.warns(HspworkWarning, match=r"smallest p-value possible is 0\.002.*fdr / n"):
        capped = lisa(units, "crimes", seed=1, max_permutations=999)
    assert (capped["lisa_quadrant"] == "ns").all()
    # GeoDa's own map: folded pseudo p-values, p < 0.05, no FDR
    geoda = lisa(units, "crimes", seed=1, alternative="folded", fdr=None)
    assert ((geoda["lisa_quadrant"] == "HH").to_numpy() == esda_hh).mean() > 0.99


def test_floor_warning_names_the_fix():
    rng = np.random.default_rng(3)
    y = rng.poisson(1.0, 40 * 40).astype(float)
    y[[820, 821, 860, 861]] += 12
    units = lattice_units(40, 40, y)
    with pytest.warns(HspworkWarning) as caught:
        out = lisa(units, "crimes", permutations=99, max_permutations=99, seed=1)
    text = str(caught[0].message)
    # 2 / (99 + 1) = 0.02; BH over 1,600 tests needs 0.05 / 1600 = 3.1e-05;
    # the fix: at least 2 * 1600 / 0.05 = 64,000 permutations (with 63,999 the smallest p is
    # 2 / 64,000 and BH gives it 1600 * 2 / 64,000 = 0.05 exactly, which does not pass)
    assert "smallest p-value possible is 0.02" in text
    assert "fdr / n = 3.1e-05" in text
    assert "Raise max_permutations to at least 64,000" in text
    assert out.attrs["lisa"]["note"] == text
    assert out.attrs["lisa"]["permutations_max"] == 99
    # without the cap the same map finds the planted block
    found = lisa(units, "crimes", permutations=99, seed=1)
    assert set(found.loc[[820, 821, 860, 861], "lisa_quadrant"]) == {"HH"}
    assert found.attrs["lisa"]["note"] == ""


def test_raised_p_value_pools_every_permutation():
    # A 1 x 2001 rook strip. The end unit 0 has one neighbour, unit 1, which holds the single
    # largest value; unit 0 is also large (z > 0). Conditional randomisation draws unit 0's
    # neighbour uniformly from the 2000 others, so P(I >= I_obs) = P(draw the maximum) =
    # 1/2000 exactly: below 999 permutations' floor (0.001), so it is raised.
    y = np.zeros(2001)
    y[0], y[1] = 50.0, 100.0
    y[2:] = np.random.default_rng(2).uniform(0, 10, 1999)
    units = lattice_units(1, 2001, y)
    out = lisa(units, "crimes", neighbours="rook", alternative="greater", seed=3)
    perms = out.attrs["lisa"]["permutations_max"]
    assert perms > 100_000  # 4 * 2001 / (0.05 * K) with K units near the floor
    p = out.loc[0, "lisa_p_sim"]
    exact = 1 / 2000
    assert abs(p - exact) < 4 * np.sqrt(exact / perms)
    # resolved, but 1/2000 is not small enough for BH over 2001 tests: more permutations
    # sharpen a p-value, they never make it significant
    assert out.loc[0, "lisa_p_adj"] > 0.05 and out.loc[0, "lisa_quadrant"] == "ns"


def test_raised_p_values_stay_valid_under_the_null():
    # No spatial pattern at all: over many units the raised p-values must not pile up below
    # small levels (P(p <= a) <= a), and BH at 5% must (almost) never flag anything.
    share, flagged = [], 0
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        units = lattice_units(40, 40, rng.gamma(1.0, 1.0, 1600))
        out = lisa(units, "crimes", permutations=199, seed=seed)
        p = out["lisa_p_sim"].to_numpy()
        share.append([(p <= a).mean() for a in (0.002, 0.01, 0.05)])
        flagged += int((out["lisa_quadrant"] != "ns").sum())
    share = np.array(share).mean(axis=0)
    n = 6 * 1600
    for got, a in zip(share, (0.002, 0.01, 0.05)):
        assert got <= a + 3 * np.sqrt(a / n)
    assert flagged <= 3


def test_screening_stops_clearly_null_units_at_99_and_keeps_the_rest_at_999():
    rng = np.random.default_rng(21)
    y = rng.poisson(1.0, 50 * 50).astype(float)
    y[[1225, 1226, 1275, 1276]] += 10
    units = lattice_units(50, 50, y)
    out = lisa(units, "crimes", seed=4)  # defaults: 999 permutations, FDR 5%
    ref = lisa(units, "crimes", seed=4, fdr=None)  # exactly 999 for every unit
    s = out.attrs["lisa"]
    assert s["permutations_min"] == 99 and s["permutations_max"] >= 999
    p, q = out["lisa_p_sim"].to_numpy(), ref["lisa_p_sim"].to_numpy()
    # a unit screened out had a one-sided count above 9 of 99: two-sided p above 0.2 ...
    counts = np.rint(p * 100 / 2 - 1)
    stopped = np.isclose(p * 100, np.round(p * 100)) & (p > 0.2)
    assert stopped.mean() > 0.5 and (counts[stopped] >= 10).all()
    # ... and with 999 permutations its p-value is also far from significance
    assert np.nanmin(q[stopped]) > 0.08
    # units kept on agree with the fixed-999 run within Monte Carlo error (4 sd of the
    # difference of two independent two-sided estimates)
    kept = ~stopped & (q < 0.5)
    t = q[kept] / 2
    assert (np.abs(p[kept] - q[kept]) <= 4 * np.sqrt(2) * 2 * np.sqrt(t * (1 - t) / 999)).all()
    assert ((out["lisa_quadrant"] != "ns") == (out["lisa_p_adj"] < 0.05)).all()
