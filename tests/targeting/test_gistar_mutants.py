"""Gi* and the permutation machinery at their edges, worked by hand or counted exactly.

Each test sits where a plausible slip in :mod:`hspwork.targeting.gistar` or
:mod:`hspwork.targeting._inference` shows: a column that is missing, text or NaN; two units;
values that are all the same; a neighbourhood that is every unit; the corner, edge and middle
of a rook or queen grid; a p-value exactly at 0.10, 0.05 or 0.01; BH where the step-up matters;
SplitMix64 against its published outputs; a draw that could pick the unit itself or never the
last unit; two neighbours drawn without replacement; ties, up to rounding, in both tails; a
unit without neighbours; permutations split into parts; screening at 99 and top-ups raised and
capped. Expected values come from hand arithmetic (in the comments), exact subset counts
(``tests/targeting/_exact.py``), scipy or statsmodels, or a plain-integer transcription of the
documented random stream. They are small enough to run without the JIT in seconds, so
``make mutate`` runs them first.
"""

from __future__ import annotations

import types
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse, stats
from shapely.geometry import Point
from statsmodels.stats.multitest import multipletests

import hspwork.targeting._inference as inf
from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.targeting._inference import (
    _crand_counts,
    _splitmix64,
    _stage_seed,
    _tail_count,
    bh_adjust,
    check_alternative,
    confidence_bins,
    normal_p,
    permutation_counts,
    permutation_inference,
    permutation_p,
)
from hspwork.targeting.gistar import _lattice_sums, _z_from_sums, gistar, gistar_z, values_of
from tests.targeting._exact import tail_probabilities

M64 = 2**64 - 1


def grid(nrows: int, ncols: int, values, size: float = 100.0) -> gpd.GeoDataFrame:
    """Square cells, row-major from the bottom left: unit ``r * ncols + c`` is row r, column c."""
    x0 = np.tile(np.arange(ncols) * size, nrows)
    y0 = np.repeat(np.arange(nrows) * size, ncols)
    return gpd.GeoDataFrame(
        {"crimes": np.asarray(values, dtype=float)},
        geometry=shapely.box(x0, y0, x0 + size, y0 + size),
        crs=27700,
    )


def csr(n: int, rows: dict[int, dict[int, float] | list[int]]) -> sparse.csr_matrix:
    """A weights matrix from {unit: [neighbours]} (weight 1) or {unit: {neighbour: weight}}."""
    m = np.zeros((n, n))
    for i, nb in rows.items():
        for j, v in nb.items() if isinstance(nb, dict) else ((j, 1.0) for j in nb):
            m[i, j] = v
    return sparse.csr_matrix(m)


# --------------------------------------------------------------------------- values_of


def test_values_of_names_a_missing_column_and_the_columns_there_are():
    units = gpd.GeoDataFrame({"crimes": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs=27700)
    with pytest.raises(SchemaError, match=r"no column 'harm'; it has \['crimes', 'geometry'\]"):
        values_of(units, "harm")


def test_values_of_refuses_text():
    units = gpd.GeoDataFrame({"crimes": ["a", "b"]}, geometry=[Point(0, 0), Point(1, 1)])
    with pytest.raises(SchemaError, match="column 'crimes' must be numeric, got"):
        values_of(units, "crimes")


def test_values_of_counts_missing_and_infinite_values():
    units = gpd.GeoDataFrame(
        {"crimes": [1.0, np.nan, np.inf, 2.0]}, geometry=[Point(i, 0) for i in range(4)]
    )
    with pytest.raises(SchemaError, match="column 'crimes' has 2 missing or infinite values"):
        values_of(units, "crimes")
    units["crimes"] = [1, 0, 3, 2]
    y = values_of(units, "crimes")
    assert y.dtype == np.float64 and y.tolist() == [1.0, 0.0, 3.0, 2.0]


# --------------------------------------------------------------------------- the z-value


def test_z_needs_two_units_and_two_is_enough():
    with pytest.raises(HspworkError, match="at least 2 units, got 1"):
        _z_from_sums(np.array([1.0]), np.array([1.0]), np.array([1.0]))
    # y = 0, 1, each alone: mean 0.5, s = 0.5, denominator 0.5 * sqrt(1 * (2 - 1) / 1) = 0.5,
    # z = (0 - 0.5) / 0.5 = -1 and (1 - 0.5) / 0.5 = 1 (a variance below 1, so a floor of 1
    # on it would show)
    z = _z_from_sums(np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    assert_allclose(z, [-1.0, 1.0], rtol=0, atol=1e-15)


@pytest.mark.parametrize("value", [2.0, 0.1, 0.3, 0.7])
def test_the_same_value_everywhere_is_refused(value):
    # 0.1 leaves mean(y^2) - mean^2 at -1.7e-18 by rounding, 0.3 and 0.7 at +1.4e-17 and
    # +1.7e-16: none of them is any variation
    w = csr(3, {0: [1], 1: [0, 2], 2: [1]})
    with pytest.raises(HspworkError, match="every unit has the same value"):
        gistar_z(np.full(3, value), w)


@pytest.mark.parametrize(("base", "steps"), [(1e8, 1), (3e8, 2)])
def test_variation_lost_to_rounding_is_refused_too(base, steps):
    # 1e8 and the next float up (1.5e-8 apart): mean(y^2) - mean^2 rounds to exactly 0; with
    # 3e8 and two steps up it rounds to -16. Either way no variation is left to divide by.
    y = np.array([base, base, base + steps * np.spacing(base)])
    w = csr(3, {0: [1], 1: [0, 2], 2: [1]})
    with pytest.raises(HspworkError, match="every unit has the same value"):
        gistar_z(y, w)


def test_gistar_z_on_a_path_by_hand():
    # path 0-1-2-3, y = 4, 0, 0, 0: n = 4, mean 1, variance 16/4 - 1 = 3, s = sqrt(3)
    # unit 0: {0, 1} sum 4, c = 2: (4 - 2) / (sqrt(3) * sqrt(2 * 2 / 3)) = 2 / 2 = 1
    # unit 1: {0, 1, 2} sum 4, c = 3: (4 - 3) / (sqrt(3) * sqrt(3 * 1 / 3)) = 1 / sqrt(3)
    # unit 2: {1, 2, 3} sum 0, c = 3: (0 - 3) / sqrt(3) = -sqrt(3)
    # unit 3: {2, 3} sum 0, c = 2: (0 - 2) / 2 = -1
    w = csr(4, {0: [1], 1: [0, 2], 2: [1, 3], 3: [2]})
    z = gistar_z(np.array([4.0, 0, 0, 0]), w)
    assert_allclose(z, [1.0, 1 / np.sqrt(3), -np.sqrt(3), -1.0], rtol=0, atol=1e-12)


def test_a_neighbourhood_of_every_unit_is_nan_even_with_rounding_in_the_sum():
    # every unit sees the other two: c = n, so the variance of the sum is 0. With 0.3, 0.6, 0.7
    # the sum less mean * 3 is -2.2e-16, not 0, so only the zero denominator makes it NaN
    w = csr(3, {0: [1, 2], 1: [0, 2], 2: [0, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = gistar_z(np.array([0.3, 0.6, 0.7]), w)
    assert np.isnan(z).all()


# --------------------------------------------------------------------------- lattice sums


def brute_force_sums(rows, cols, y, rook):
    s = np.zeros(len(y))
    c = np.zeros(len(y))
    for i in range(len(y)):
        for j in range(len(y)):
            dr, dc = abs(rows[i] - rows[j]), abs(cols[i] - cols[j])
            if (dr + dc <= 1) if rook else (max(dr, dc) <= 1):
                s[i] += y[j]
                c[i] += 1
    return s, c


@pytest.mark.parametrize("rook", [True, False])
def test_lattice_sums_of_a_4x3_grid_against_every_pair(rook):
    # 4 rows x 3 columns, unit r * 3 + c holds 2**(r * 3 + c), so a sum names its cells; the
    # units are listed in a shuffled order to check the indexing
    order = np.array([7, 0, 11, 3, 5, 9, 1, 10, 2, 8, 4, 6])
    rows, cols = order // 3, order % 3
    y = 2.0**order
    lat = types.SimpleNamespace(row=rows, col=cols, nrows=4, ncols=3)
    s, c = _lattice_sums(y, lat, rook=rook)
    es, ec = brute_force_sums(rows, cols, y, rook)
    assert_array_equal(s, es)
    assert_array_equal(c, ec)
    by_cell = dict(zip(order.tolist(), zip(s.tolist(), c.tolist(), strict=True), strict=True))
    if rook:
        # corner (0, 0): itself, (0, 1), (1, 0) = 2**0 + 2**1 + 2**3 = 11, c = 3
        # edge (1, 0): (0, 0), (1, 0), (1, 1), (2, 0) = 1 + 8 + 16 + 64 = 89, c = 4
        # middle (1, 1): (0, 1), (1, 0), (1, 1), (1, 2), (2, 1) = 2 + 8 + 16 + 32 + 128 = 186
        assert by_cell[0] == (11.0, 3.0)
        assert by_cell[3] == (89.0, 4.0)
        assert by_cell[4] == (186.0, 5.0)
        # top right corner (3, 2) = unit 11: itself, (3, 1) = unit 10 and (2, 2) = unit 8
        assert by_cell[11] == (2.0**11 + 2.0**10 + 2.0**8, 3.0)
    else:
        # corner (0, 0) with queen adds (1, 1): 11 + 16 = 27, c = 4
        # edge (1, 0): rows 0..2, columns 0..1 = 1 + 2 + 8 + 16 + 64 + 128 = 219, c = 6
        # middle (1, 1): rows 0..2, every column = 2**0 + ... + 2**8 = 511, c = 9
        assert by_cell[0] == (27.0, 4.0)
        assert by_cell[3] == (219.0, 6.0)
        assert by_cell[4] == (511.0, 9.0)


@pytest.mark.parametrize(("spec", "distance"), [("rook", 100.0), ("queen", 150.0)])
def test_lattice_shortcut_equals_the_sparse_matrix_path(spec, distance):
    # a rook neighbour's centroid is 100 m away, a diagonal one 141 m: the distance bands give
    # the same neighbours through the sparse-matrix path
    y = [3, 0, 1, 0, 7, 2, 0, 0, 5, 1, 0, 4]
    units = grid(4, 3, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no isolated-unit warning on a full grid
        lat = gistar(units, "crimes", neighbours=spec, permutations=0, fdr=None)
        dist = gistar(units, "crimes", neighbours=distance, permutations=0, fdr=None)
    assert_allclose(lat["gi_z"], dist["gi_z"], rtol=0, atol=1e-12)
    rows, cols = np.arange(12) // 3, np.arange(12) % 3
    s, c = brute_force_sums(rows, cols, np.asarray(y, float), spec == "rook")
    n, mean, sd = 12, np.mean(y), np.std(y)
    expected = (s - mean * c) / (sd * np.sqrt(c * (n - c) / (n - 1)))
    assert_allclose(lat["gi_z"], expected, rtol=0, atol=1e-12)


def test_isolated_units_are_warned_about_on_both_paths():
    # cells at x = 0, 100 and 400: the third touches nothing (a lattice with gaps)
    cells = [shapely.box(x, 0, x + 100, 100) for x in (0, 100, 400)]
    units = gpd.GeoDataFrame({"crimes": [1.0, 2.0, 6.0]}, geometry=cells, crs=27700)
    for spec in ("queen", 150.0):
        with pytest.warns(HspworkWarning) as rec:
            gistar(units, "crimes", neighbours=spec, permutations=0, fdr=None)
        assert len(rec) == 1
        assert f"1 of 3 units have no neighbour with neighbours={spec!r}" in str(rec[0].message)
        assert rec[0].filename == __file__  # stacklevel points at the caller
    with pytest.raises(HspworkError, match=r"no unit has a neighbour with neighbours=10\.0"):
        gistar(units, "crimes", neighbours=10.0, permutations=0)


# --------------------------------------------------------------------------- gistar's outputs


@pytest.mark.parametrize("fdr", [0, 0.0, 1, 1.0, -0.1, 1.5])
def test_fdr_outside_the_open_unit_interval_is_refused(fdr):
    units = grid(2, 2, [0, 1, 2, 3])
    with pytest.raises(HspworkError, match="fdr must be between 0 and 1"):
        gistar(units, "crimes", fdr=fdr, permutations=0)


def test_options_after_the_column_must_be_named():
    with pytest.raises(TypeError):
        gistar(grid(2, 3, [0, 1, 2, 3, 4, 5]), "crimes", "rook")


def test_alternative_is_checked():
    with pytest.raises(HspworkError, match=r"alternative='both' is not allowed; use one of"):
        check_alternative("both")
    with pytest.raises(HspworkError, match="alternative='up' is not allowed"):
        gistar(grid(2, 2, [0, 1, 2, 3]), "crimes", alternative="up", permutations=0)
    assert check_alternative("folded") == "folded"


def expected_bins(z, p):
    level = np.select([p < 0.01, p < 0.05, p < 0.10], [3, 2, 1], 0)
    return np.where(np.isnan(z), 0, np.sign(z) * level)


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_bins_and_sig_from_normal_p_with_and_without_fdr(alternative):
    # a 5 x 5 grid with a busy middle: gi_p from scipy's normal, gi_p_adj from statsmodels'
    # BH, the bins from the adjusted p with fdr and from the raw p without
    y = np.zeros(25)
    y[[6, 7, 8, 11, 12, 13, 16, 17, 18]] = [2, 3, 2, 3, 6, 3, 2, 3, 2]
    y[[0, 24]] = [4, 1]
    units = grid(5, 5, y)
    plain = gistar(units, "crimes", permutations=0, fdr=None, alternative=alternative)
    adj = gistar(units, "crimes", permutations=0, fdr=0.05, alternative=alternative)
    z = plain["gi_z"].to_numpy()
    assert_allclose(adj["gi_z"], z)
    if alternative == "greater":
        p = stats.norm.sf(z)
    else:
        p = 2 * stats.norm.sf(np.abs(z))
    ok = np.isfinite(z)
    assert_allclose(plain["gi_p"], p, rtol=1e-12)
    p_adj = np.full(25, np.nan)
    p_adj[ok] = multipletests(p[ok], method="fdr_bh")[1]
    assert_allclose(plain["gi_p_adj"], p_adj, rtol=1e-12)
    assert_array_equal(plain["gi_bin"], expected_bins(z, p))
    assert_array_equal(adj["gi_bin"], expected_bins(z, p_adj))
    assert not np.array_equal(expected_bins(z, p), expected_bins(z, p_adj))  # they differ here
    assert_array_equal(plain["gi_sig"], p < 0.05)
    assert_array_equal(adj["gi_sig"], p_adj < 0.05)
    assert (p < 0.05).sum() > (p_adj < 0.05).sum() > 0
    assert "gi_p_sim" not in plain.columns
    a = plain.attrs["gistar"]
    assert (a["permutations"], a["permutations_min"], a["permutations_max"]) == (0, 0, 0)
    assert a["fdr"] is None and a["seed"] is None and a["permutations_raised"] == 0
    assert adj.attrs["gistar"]["fdr"] == 0.05 and isinstance(adj.attrs["gistar"]["fdr"], float)


def test_sig_at_exactly_005_is_not_significant_without_fdr():
    # a 1 x 5 strip, y = 9, 0, 0, 0, 0, rook, folded, 19 permutations. Units 0, 2, 3 and 4
    # see only zeros and every draw of theirs sums to at least that, so ge = 19 and the folded
    # p is (min(19, 19 - 19) + 1) / 20 = 0.05 exactly: not p < 0.05; bin 1 (p < 0.10), signed
    # by z (unit 0 is above its mean, the others below).
    units = grid(1, 5, [9, 0, 0, 0, 0])
    out = gistar(
        units, "crimes", neighbours="rook", permutations=19, alternative="folded", fdr=None,
        seed=5,
    )  # fmt: skip
    sure = [0, 2, 3, 4]
    assert out.loc[sure, "gi_p_sim"].tolist() == [0.05] * 4
    assert not out.loc[sure, "gi_sig"].any()
    assert out.loc[sure, "gi_bin"].tolist() == [1, -1, -1, -1]
    a = out.attrs["gistar"]
    assert (a["permutations"], a["permutations_min"], a["permutations_max"]) == (19, 19, 19)
    assert (a["permutations_raised"], a["note"], a["seed"], a["fdr"]) == (0, "", 5, None)
    assert (a["alternative"], a["column"]) == ("folded", "crimes")


def test_permutations_use_the_rook_or_queen_neighbours_asked_for():
    # 2 x 3 grid, the 9 at unit 1 (bottom middle). Units 3 and 5 (top corners) touch it only
    # at a corner: with rook their neighbours are all 0, every draw sums to at least 0, so
    # p(greater) = (19 + 1) / 20 = 1 exactly. With queen they see the 9 and a draw reaches 9
    # only when it includes unit 1: 3 of the 5 others drawn, P = C(4, 2) / C(5, 3) = 0.6.
    units = grid(2, 3, [0, 9, 0, 0, 0, 0])
    rook = gistar(units, "crimes", neighbours="rook", permutations=19, alternative="greater",
                  fdr=None, seed=2)  # fmt: skip
    assert rook.loc[[3, 5], "gi_p_sim"].tolist() == [1.0, 1.0]
    queen = gistar(units, "crimes", neighbours="queen", permutations=399,
                   alternative="greater", fdr=None, seed=2)  # fmt: skip
    exact = tail_probabilities([0, 9, 0, 0, 0], 3, 9)[0]
    assert exact == pytest.approx(0.6)
    # 5 sd of a binomial share over 399 permutations is 0.12
    assert np.abs(queen.loc[[3, 5], "gi_p_sim"] - exact).max() < 0.12
    assert (queen.loc[[3, 5], "gi_p_sim"] < 0.85).all()


def test_gistar_warns_from_the_callers_line_when_a_cap_leaves_nothing_significant():
    # 6 x 6 queen grid, the 8 cells around unit 14 hold 5, the rest 0. Unit 14's observed lag
    # 40 needs all 8 fives among 8 draws from 35 others (1 in C(35, 8) = 23.5 million), so its
    # count is 0 and p = 1 / 100, the floor of 99 permutations; BH over 36 tests needs 0.05/36.
    # 36 / 0.05 = 720 permutations are asked for (with 719, BH would give exactly 0.05).
    y = np.zeros(36)
    y[[7, 8, 9, 13, 15, 19, 20, 21]] = 5
    units = grid(6, 6, y)
    with pytest.warns(HspworkWarning) as rec:
        out = gistar(units, "crimes", permutations=99, max_permutations=99,
                     alternative="greater", seed=1)  # fmt: skip
    # (without the JIT numpy's uint64 overflow warnings are recorded too: leave them out)
    rec = [r for r in rec if issubclass(r.category, HspworkWarning)]
    assert len(rec) == 1 and rec[0].filename == __file__
    text = str(rec[0].message)
    assert text.startswith("no unit reached significance at FDR 0.05: with 99 permutations")
    assert "smallest p-value possible is 0.01" in text and "at least 720 (or" in text
    assert out.loc[14, "gi_p_sim"] == 0.01
    assert not out["gi_sig"].any()
    a = out.attrs["gistar"]
    assert a["note"] == text and a["permutations_max"] == 99 and a["permutations_raised"] == 0


def test_a_rerun_drops_the_earlier_permutation_column():
    units = grid(2, 3, [0, 1, 2, 5, 0, 0])
    first = gistar(units, "crimes", neighbours="rook", permutations=9, fdr=None, seed=1)
    again = gistar(first, "crimes", permutations=0, fdr=None)
    assert "gi_p_sim" not in again.columns
    assert list(again.columns[-5:]) == ["gi_z", "gi_p", "gi_p_adj", "gi_bin", "gi_sig"]


# --------------------------------------------------------------------------- normal p, BH, bins


def test_normal_p_for_every_alternative_against_scipy():
    z = np.array([-2.5, -1.0, 0.0, 1.5, np.nan])
    sf, cdf = stats.norm.sf, stats.norm.cdf
    assert_allclose(normal_p(z, "greater"), sf(z), rtol=1e-12)
    assert_allclose(normal_p(z, "less"), cdf(z), rtol=1e-12)
    assert_allclose(normal_p(z, "folded"), sf(np.abs(z)), rtol=1e-12)
    two = normal_p(z, "two-sided")
    assert_allclose(two, 2 * sf(np.abs(z)), rtol=1e-12)
    assert two[2] == 1.0  # z = 0: 2 * 0.5, at the cap
    assert np.isnan(normal_p(z, "folded")[4]) and np.isnan(two[4])
    with pytest.raises(HspworkError):
        normal_p(z, "sideways")


def test_bh_against_statsmodels_with_ties_nan_and_a_step_up():
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan, 0.04, 0.001, 0.2, np.inf])
    ok = np.isfinite(p)
    expected = np.full(p.shape, np.nan)
    expected[ok] = multipletests(p[ok], method="fdr_bh")[1]
    assert_allclose(bh_adjust(p), expected, rtol=1e-12)
    # sorted 0.02, 0.03, 0.06: ratios 0.06, 0.045, 0.06; the step-up takes the smallest at this
    # rank or above: 0.045, 0.045, 0.06 (a running minimum from the front would give 0.06 first)
    assert_allclose(bh_adjust(np.array([0.06, 0.02, 0.03])), [0.06, 0.045, 0.045], rtol=1e-12)
    assert_allclose(
        bh_adjust(np.array([0.06, 0.02, 0.03])),
        multipletests([0.06, 0.02, 0.03], method="fdr_bh")[1],
        rtol=1e-12,
    )
    assert bh_adjust(np.array([0.3])).tolist() == [0.3]
    assert bh_adjust(np.array([])).tolist() == []
    assert np.isnan(bh_adjust(np.array([np.nan, np.nan]))).all()
    # statsmodels caps at 1 as well
    assert_allclose(bh_adjust(np.array([0.3, 1.5, 0.9])), [0.9, 1.0, 1.0])


def test_confidence_bins_exactly_at_each_threshold():
    p = np.array([0.10, 0.0999, 0.05, 0.0499, 0.01, 0.0099, 0.001, 0.001, 0.5, np.nan])
    z = np.array([2.0, -2.0, 2.0, -2.0, 2.0, -2.0, np.nan, 0.0, 3.0, 3.0])
    # p < 0.10 is 1, p < 0.05 is 2, p < 0.01 is 3; no sign (z NaN or 0) or no p is 0
    assert confidence_bins(z, p).tolist() == [0, -1, 1, -2, 2, -3, 0, 0, 0, 0]
    assert confidence_bins(z, p).dtype == np.int64


# --------------------------------------------------------------------------- SplitMix64


def splitmix64_reference(x: int) -> tuple[int, int]:
    """Vigna's splitmix64.c in Python integers: the new state and the output."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def run_splitmix(seed: int, k: int) -> list[int]:
    state, out = np.uint64(seed), []
    with np.errstate(over="ignore"):
        for _ in range(k):
            # np.uint64 each time: compiled, a Python int below 2**63 would be typed int64
            state, z = _splitmix64(np.uint64(state))
            out.append(int(z))
    return out


def test_splitmix64_gives_the_published_outputs():
    # Rosetta Code "Pseudo-random numbers/Splitmix64", seed 1234567, and the first outputs
    # from state 0 that xoshiro's seeding documents
    assert run_splitmix(1234567, 5) == [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    assert run_splitmix(0, 3) == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    for seed in (0, 1, 2**63 + 12345, M64):
        state = seed
        expected = []
        for _ in range(3):
            state, z = splitmix64_reference(state)
            expected.append(z)
        assert run_splitmix(seed, 3) == expected
    with np.errstate(over="ignore"):
        state, _ = _splitmix64(np.uint64(M64))
    assert int(state) == (M64 + 0x9E3779B97F4A7C15) & M64


def test_stage_seed_by_hand():
    for seed, stage in [(1, 1), (1, 1000), (2**64 - 5, 3), (0, 0)]:
        x = (seed + 0x9E3779B97F4A7C15 * stage) % 2**64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
        assert _stage_seed(seed, stage) == x ^ (x >> 27)
    # seed 0, stage 0: x = 0 all through
    assert _stage_seed(0, 0) == 0


# --------------------------------------------------------------------------- the kernel


def reference_counts(y, w, observed, n_perm, seed, which, parts=1, sign=None):
    """A plain-integer transcription of the documented draw, one count per unit and part.

    Unit i's part p starts from SplitMix64 of seed ^ ((i + 1) * 0xD1B54A32D192ED03) (xor
    p * 0x8CB92BA72F3D8DD7 for p > 0); each SplitMix64 output gives two 32-bit draws, high half
    first, mapped to 0..n-2 by (r * (n - 1)) >> 32, the unit itself skipped and repeats redrawn.
    """
    n = len(y)
    sign = np.ones(n) if sign is None else sign
    ge, le = [], []
    for i in which:
        for part in range(parts):
            a, b = w.indptr[i], w.indptr[i + 1]
            k = b - a
            if k == 0:
                ge.append(-1)
                le.append(-1)
                continue
            obs = observed[i] * sign[i]
            tol = 1e-10 * (abs(obs) + 1e-300)
            state = seed ^ (((i + 1) * 0xD1B54A32D192ED03) & M64)
            if part:
                state ^= (part * 0x8CB92BA72F3D8DD7) & M64
            state, _ = splitmix64_reference(state)
            words: list[int] = []
            n_here = n_perm // parts + (1 if part < n_perm % parts else 0)
            c_ge = c_le = 0
            for _ in range(n_here):
                s, picked = 0.0, []
                for t in range(k):
                    while True:
                        if not words:
                            state, r = splitmix64_reference(state)
                            words = [r >> 32, r & 0xFFFFFFFF]
                        j = (words.pop(0) * (n - 1)) >> 32
                        j += j >= i
                        if j not in picked:
                            break
                    picked.append(j)
                    s += w.data[a + t] * y[j]
                s *= sign[i]
                c_ge += s >= obs - tol
                c_le += s <= obs + tol
            ge.append(c_ge)
            le.append(c_le)
    return np.array(ge), np.array(le)


def kernel(y, w, observed, n_perm, seed, which, parts=1, sign=None):
    y = np.asarray(y, float)
    size = len(which) * parts
    ge, le = np.zeros(size, np.int64), np.zeros(size, np.int64)
    sign = np.ones(y.size) if sign is None else np.asarray(sign, float)
    with np.errstate(over="ignore"):
        _crand_counts(
            y, w.indptr.astype(np.int64), w.indices.astype(np.int64), w.data.astype(float),
            sign, np.asarray(observed, float), n_perm, np.uint64(seed),
            np.asarray(which, np.int64), parts, ge, le,
        )  # fmt: skip
    return ge, le


W5 = csr(5, {0: [1, 3], 1: {0: 0.5, 2: 0.5}, 2: [4], 3: [], 4: [0, 1, 2]})
Y5 = np.array([3.0, 0.0, 1.0, 7.0, 2.0])


@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 12345, 2**64 - 1])
def test_kernel_follows_the_documented_stream(parts, seed):
    obs = W5 @ Y5
    sign = np.array([1.0, -1.0, 2.0, 1.0, 0.5])
    which = [4, 0, 1, 2, 3]
    got = kernel(Y5, W5, obs, 23, seed, which, parts, sign)
    ref = reference_counts(Y5, W5, obs, 23, seed, which, parts, sign)
    assert_array_equal(got[0], ref[0])
    assert_array_equal(got[1], ref[1])


def test_kernel_units_without_neighbours_get_minus_one_and_the_next_unit_still_counts():
    # unit 3 has no neighbour; unit 2, after it in `which`, has one (unit 4, value 2) and
    # every draw from {3, 0, 1, 7} is compared with 2
    ge, le = kernel(Y5, W5, W5 @ Y5, 10, 1, [3, 2], parts=2)
    assert ge[:2].tolist() == [-1, -1] and le[:2].tolist() == [-1, -1]
    assert ge[2:].sum() + le[2:].sum() >= 10  # every draw is in at least one tail
    assert (ge[2:] >= 0).all() and ge[2:].sum() <= 10


def test_kernel_splits_the_permutations_over_parts_with_the_remainder_first():
    # unit 0's observed lag -1 is below every draw: each part counts all its permutations in
    # ge and none in le; 10 over 3 parts is 4, 3, 3
    ge, le = kernel(Y5, W5, np.full(5, -1.0), 10, 7, [0], parts=3)
    assert ge.tolist() == [4, 3, 3] and le.tolist() == [0, 0, 0]
    ge, le = kernel(Y5, W5, np.full(5, 1e9), 10, 7, [0], parts=1)
    assert ge.tolist() == [0] and le.tolist() == [10]


def test_kernel_two_units_always_draw_each_other():
    w = csr(2, {0: [1], 1: [0]})
    ge, le = kernel([1.0, 4.0], w, w @ np.array([1.0, 4.0]), 12, 3, [0, 1])
    assert ge.tolist() == [12, 12] and le.tolist() == [12, 12]


def test_a_lone_unit_has_no_one_to_draw_even_if_listed_as_its_own_neighbour():
    w = csr(1, {0: [0]})
    ge, le = permutation_counts(np.array([3.0]), w, np.array([3.0]), 10, seed=1)
    assert ge.tolist() == [-1] and le.tolist() == [-1]


def test_no_units_give_no_counts():
    ge, le = permutation_counts(np.zeros(0), csr(0, {}), np.zeros(0), 10, seed=1)
    assert ge.shape == le.shape == (0,)


def between(count, p_exact, perms, sds=5.0):
    """Whether a count is within ``sds`` binomial sd of ``p_exact * perms``."""
    sd = np.sqrt(perms * p_exact * (1 - p_exact))
    return abs(count - p_exact * perms) <= sds * sd + 1


def test_one_neighbour_of_three_units_is_drawn_uniformly_from_the_other_two():
    # directed ring 0 -> 1 -> 2 -> 0, y = 10, 0, 5, P = 400. Each unit's one neighbour is
    # drawn from the other two, never itself:
    #   unit 0: observed 0, draws 0 or 5: ge = 400, le = half (exact: 1/2)
    #   unit 1: observed 5, draws 10 or 5 (a tie, in both tails): ge = 400, le = half
    #   unit 2: observed 10, draws 10 (a tie) or 0: le = 400, ge = half
    # Drawing the unit itself (10 for unit 0, 0 for unit 1) or never the last unit (unit 2
    # for units 0 and 1) moves a 400 or a half to 0 or 400.
    y = np.array([10.0, 0.0, 5.0])
    w = csr(3, {0: [1], 1: [2], 2: [0]})
    P = 400
    ge, le = permutation_counts(y, w, w @ y, P, seed=11)
    assert ge[:2].tolist() == [P, P] and le[2] == P
    for i, count in [(0, le[0]), (1, le[1]), (2, ge[2])]:
        others = np.delete(y, i)
        p_ge, p_le = tail_probabilities(others, 1, (w @ y)[i])
        assert (p_ge, p_le)[i < 2] == 0.5
        assert between(count, 0.5, P)
    # sign -1 swaps the tails: the same draws, compared the other way
    g2, l2 = permutation_counts(y, w, w @ y, P, seed=11, sign=-np.ones(3))
    assert l2[:2].tolist() == [P, P] and g2[2] == P
    assert_array_equal(g2, le)
    assert_array_equal(l2, ge)


def test_two_neighbours_are_drawn_without_replacement():
    # unit 0 (value 100) has neighbours 1 and 3: observed 0 + 6 = 6. Pairs of {1, 2, 3} with
    # values 0, 0, 6 sum to 0, 6, 6: le = P exactly (no pair reaches 12 without drawing unit 3
    # twice, nor 100 without unit 0 itself), ge = 2/3 of P (exact subset count)
    y = np.array([100.0, 0.0, 0.0, 6.0])
    w = csr(4, {0: [1, 3], 1: [0], 2: [0], 3: [0]})
    P = 600
    ge, le = permutation_counts(y, w, w @ y, P, seed=4, which=np.array([0]))
    p_ge, p_le = tail_probabilities([0, 0, 6], 2, 6)
    assert (p_ge, p_le) == (pytest.approx(2 / 3), 1.0)
    assert le[0] == P
    assert between(ge[0], p_ge, P)
    assert ge[1:].tolist() == [0, 0, 0] and le[1:].tolist() == [0, 0, 0]  # not in `which`


def test_weighted_neighbours_use_their_own_row_weights():
    # row-standardised path 0-1-2-3 (as LISA uses): unit 1 weighs its two neighbours 0.5 each.
    # y = 0, 2, 4, 8; unit 1's observed lag (0 + 4) / 2 = 2 is the least mean of a pair of
    # {0, 4, 8} (means 2, 4, 6): ge = P, le = 1/3 of P (exact). A weight taken from the row
    # before (unit 0's 1.0) would make the second draw count double.
    y = np.array([0.0, 2.0, 4.0, 8.0])
    w = csr(4, {0: {1: 1.0}, 1: {0: 0.5, 2: 0.5}, 2: {1: 0.5, 3: 0.5}, 3: {2: 1.0}})
    P = 600
    ge, le = permutation_counts(y, w, w @ y, P, seed=9, which=np.array([1]))
    p_ge, p_le = tail_probabilities([0, 4, 8], 2, 4)  # sums: observed sum 4
    assert p_ge == 1.0 and p_le == pytest.approx(1 / 3)
    assert ge[1] == P
    assert between(le[1], p_le, P)


def test_sums_equal_up_to_rounding_are_ties_in_both_tails():
    # unit 0's one neighbour is drawn from 0.1 + 0.2 (= 0.30000000000000004) and 0.3: against
    # an observed 0.3 or 0.30000000000000004 both are ties, in both tails
    y = np.array([0.0, 0.1 + 0.2, 0.3])
    w = csr(3, {0: [1]})
    for observed in (0.3, 0.1 + 0.2):
        ge, le = permutation_counts(y, w, np.array([observed, 0, 0]), 50, seed=1, which=[0])
        assert (ge[0], le[0]) == (50, 50)


def test_a_draw_exactly_at_the_tolerance_is_still_a_tie():
    # observed 0: the tolerance is 1e-10 * (0 + 1e-300) = 1e-310. A draw of exactly 1e-310
    # is within it (s <= obs + tol): le counts every draw, as ge does
    t = 1e-10 * (0 + 1e-300)
    y = np.array([0.0, 0.0, t])
    w = csr(3, {0: [1]})
    ge, le = permutation_counts(y, w, np.zeros(3), 40, seed=3, which=[0])
    assert (ge[0], le[0]) == (40, 40)


def test_tiny_values_are_not_ties():
    # values of 1e-11: the tolerance is relative to the observed lag, so with an observed 0 a
    # draw of 1e-11 is above it, not a tie: ge = P, le = the draws of unit 1 (value 0), half
    y = np.array([0.0, 0.0, 1e-11])
    w = csr(3, {0: [1]})
    ge, le = permutation_counts(y, w, np.zeros(3), 200, seed=3, which=[0])
    assert ge[0] == 200
    assert between(le[0], 0.5, 200)


def test_permutation_counts_refuses_no_permutations_and_too_many_units():
    y = np.array([0.0, 1.0, 2.0])
    w = csr(3, {0: [1], 1: [2], 2: [0]})
    for bad in (0, -3):
        with pytest.raises(HspworkError, match=f"positive integer, got {bad}"):
            permutation_counts(y, w, w @ y, bad, seed=1)
    ge, le = permutation_counts(y, w, w @ y, 1, seed=1)  # one permutation is enough
    assert set(ge.tolist()) <= {0, 1} and (ge + le >= 1).all()
    with pytest.raises(HspworkError, match="up to 2\\*\\*32 units, got 4,294,967,296"):
        permutation_counts(types.SimpleNamespace(size=2**32), w, y, 10, seed=1)
    # one unit fewer passes the size check and reaches the next one
    with pytest.raises(HspworkError, match="positive integer"):
        permutation_counts(types.SimpleNamespace(size=2**32 - 1), w, y, 0, seed=1)


def test_permutation_counts_follow_the_stream_whatever_the_chunks():
    obs = W5 @ Y5
    ref = reference_counts(Y5, W5, obs, 17, 99, range(5))
    for chunk in (1, 2, 65_536):
        with np.errstate(over="ignore"):
            ge, le = permutation_counts(Y5, W5, obs, 17, seed=99, chunk=chunk)
        assert_array_equal(ge, ref[0])
        assert_array_equal(le, ref[1])
    # seeds are taken modulo 2**64: -1 is 2**64 - 1, 2**64 + 99 is 99
    ref = reference_counts(Y5, W5, obs, 17, M64, range(5))
    assert_array_equal(permutation_counts(Y5, W5, obs, 17, seed=-1)[0], ref[0])
    assert_array_equal(permutation_counts(Y5, W5, obs, 17, seed=2**64 + 99)[0],
                       reference_counts(Y5, W5, obs, 17, 99, range(5))[0])  # fmt: skip
    # no seed: some stream, with the unit without neighbours still -1
    ge, le = permutation_counts(Y5, W5, obs, 17, seed=None)
    assert ge[3] == le[3] == -1 and (ge[[0, 1, 2, 4]] >= 0).all()


class FakeKernel:
    """Stands in for _crand_counts: records each call and writes g[q] = q + 1, c[q] = 2 (q + 1)."""

    def __init__(self, none=()):
        self.calls = []
        self.none = set(none)

    def __call__(self, y, indptr, indices, wdata, sign, observed, n_perm, seed, which, parts,
                 ge, le):  # fmt: skip
        self.calls.append((n_perm, int(seed), which.tolist(), parts))
        for q in range(which.size * parts):
            ge[q] = q + 1
            le[q] = 2 * (q + 1)
            if int(which[q // parts]) in self.none and q % parts == parts - 1:
                ge[q] = -1


def ring(n):
    return csr(n, {i: [(i + 1) % n] for i in range(n)})


@pytest.mark.parametrize(
    ("units", "perms", "parts"),
    [(1, 100_000, 64), (1, 99_999, 1), (2, 100_000, 64), (5, 100_000, 51), (100, 10**6, 2),
     (128, 10**6, 2), (129, 10**6, 1), (300, 10**6, 1)],
)  # fmt: skip
def test_few_units_with_many_permutations_are_split_into_parts(monkeypatch, units, perms, parts):
    # parts = 256 // units, at most 64, from 100,000 permutations on, for fewer than 256 units
    fake = FakeKernel()
    monkeypatch.setattr(inf, "_crand_counts", fake)
    y = np.arange(300.0)
    ge, le = permutation_counts(y, ring(300), y, perms, seed=5, which=np.arange(units))
    assert [c[3] for c in fake.calls] == [parts]
    assert fake.calls[0][:3] == (perms, 5, list(range(units)))
    # unit u's parts are q = u * parts ... u * parts + parts - 1, each written q + 1
    expected = [sum(range(u * parts + 1, (u + 1) * parts + 1)) for u in range(units)]
    assert ge[:units].tolist() == expected
    assert le[:units].tolist() == [2 * e for e in expected]
    assert (ge[units:] == 0).all() and (le[units:] == 0).all()


def test_chunks_and_seeds_reach_the_kernel(monkeypatch):
    fake = FakeKernel(none={3})
    monkeypatch.setattr(inf, "_crand_counts", fake)
    y = np.arange(6.0)
    ge, le = permutation_counts(y, ring(6), y, 10, seed=-1, chunk=2, which=np.arange(5))
    # one part each: chunks of 2 units, the last one alone; the seed modulo 2**64
    assert fake.calls == [(10, M64, [0, 1], 1), (10, M64, [2, 3], 1), (10, M64, [4], 1)]
    # g[q] = q + 1 within each call; unit 3 flagged as having no neighbour gets -1 in both
    assert ge.tolist() == [1, 2, 1, -1, 1, 0] and le.tolist() == [2, 4, 2, -1, 2, 0]
    fake.calls.clear()
    permutation_counts(y, ring(6), y, 100_000, seed=2**64 + 3, chunk=130, which=np.arange(3))
    # 3 units: 64 parts, chunks of 130 // 64 = 2 units
    assert fake.calls == [(100_000, 3, [0, 1], 64), (100_000, 3, [2], 64)]
    fake.calls.clear()
    permutation_counts(y, ring(6), y, 100_000, seed=0, chunk=1, which=np.arange(2))
    assert [c[2] for c in fake.calls] == [[0], [1]]  # 1 // 64 is 0: still one unit a chunk
    fake.calls.clear()
    permutation_counts(y, ring(6), y, 10, seed=None, which=np.arange(6))
    assert 0 <= fake.calls[0][1] < 2**63 - 1


class FakeBar:
    def __init__(self):
        self.disable = []

    def __call__(self, iterable, desc, unit, disable):
        self.disable.append(disable)
        return iterable


@pytest.mark.parametrize(
    ("w", "perms", "shown"),
    [
        # work = units x permutations x max(1, neighbours per unit); a bar above 5e8
        (ring(3), 5 * 10**8, False),
        (ring(3), 5 * 10**8 + 1, True),
        (csr(3, {0: [1, 2], 1: [0, 2], 2: [0, 1]}), 250_000_000, False),
        (csr(3, {0: [1, 2], 1: [0, 2], 2: [0, 1]}), 250_000_001, True),
        (csr(3, {0: [1], 1: [0]}), 5 * 10**8, False),  # 2/3 of a neighbour a unit counts as 1
        (csr(3, {0: [1], 1: [0]}), 5 * 10**8 + 1, True),
    ],
)
def test_progress_bar_by_default_only_for_long_runs(monkeypatch, w, perms, shown):
    monkeypatch.setattr(inf, "_crand_counts", FakeKernel())
    bar = FakeBar()
    monkeypatch.setattr(inf, "tqdm", bar)
    y = np.arange(3.0)
    permutation_counts(y, w, y, perms, seed=1, which=np.array([0]))
    permutation_counts(y, w, y, 10, seed=1, progress=True)
    permutation_counts(y, w, y, 10**9, seed=1, progress=False, which=np.array([0]))
    assert bar.disable == [not shown, False, True]


# --------------------------------------------------------------------------- pseudo p-values


def test_permutation_p_for_every_alternative_by_hand():
    ge = np.array([0, 99, 60, 3, -1])
    le = np.array([99, 0, 60, 96, -1])
    # (count + 1) / 100
    assert_allclose(permutation_p(ge, le, 99, "greater"), [0.01, 1.0, 0.61, 0.04, np.nan])
    assert_allclose(permutation_p(ge, le, 99, "less"), [1.0, 0.01, 0.61, 0.97, np.nan])
    # twice the smaller tail, capped at 1: 0.02, 0.02, min(1, 1.22), 0.08
    assert_allclose(permutation_p(ge, le, 99, "two-sided"), [0.02, 0.02, 1.0, 0.08, np.nan])
    # the smaller of ge and P - ge, plus one: 1, 1, 40, 4 over 100
    assert_allclose(permutation_p(ge, le, 99, "folded"), [0.01, 0.01, 0.40, 0.04, np.nan])
    # permutations per unit: 1 / 10 and 1 / 1000
    p = permutation_p(np.array([0, 0]), np.array([9, 999]), np.array([9, 999]), "greater")
    assert_allclose(p, [0.1, 0.001])
    with pytest.raises(HspworkError):
        permutation_p(ge, le, 99, "up")


def test_tail_counts_by_hand():
    ge, le, perms = np.array([0, 99, 60, 3]), np.array([99, 0, 60, 96]), np.full(4, 99)
    assert _tail_count(ge, le, perms, "greater").tolist() == [0, 99, 60, 3]
    assert _tail_count(ge, le, perms, "less").tolist() == [99, 0, 60, 96]
    assert _tail_count(ge, le, perms, "two-sided").tolist() == [0, 0, 60, 3]
    assert _tail_count(ge, le, perms, "folded").tolist() == [0, 0, 39, 3]


# --------------------------------------------------------------------------- inference rounds


def extreme_map(n=60, extreme=(0,), low=False):
    """n units of value 0 on a ring: every draw sums to 0. Observed lags: 1e6 (or -1e6) at the
    extreme units (no draw reaches them: tail count 0), 0 elsewhere (every draw ties)."""
    y = np.zeros(n)
    obs = np.zeros(n)
    obs[list(extreme)] = -1e6 if low else 1e6
    return y, ring(n), obs


def test_without_fdr_every_unit_gets_exactly_the_permutations():
    y, w, obs = extreme_map(5)
    res = permutation_inference(y, w, obs, 999, 1, "greater", None)
    assert res.permutations.tolist() == [999] * 5
    assert res.raised == 0 and res.note == ""
    # extreme: (0 + 1) / 1000; the others: every draw ties, (999 + 1) / 1000
    assert_allclose(res.p, [0.001, 1, 1, 1, 1])


def test_screening_starts_at_999_permutations():
    y, w, obs = extreme_map(5, extreme=())
    # 998: no screening, every unit gets them all; 999: every unit ties in every draw, its
    # count after 99 is 99 > 9, so it stops there
    assert (
        permutation_inference(y, w, obs, 998, 1, "greater", 0.05).permutations.tolist() == [998] * 5
    )
    res = permutation_inference(y, w, obs, 999, 1, "greater", 0.05)
    assert res.permutations.tolist() == [99] * 5
    assert_allclose(res.p, 1.0)
    assert res.raised == 0 and res.note == ""


def test_top_ups_raise_the_extreme_unit_until_bh_can_pass_it():
    # 60 units, "greater", fdr 0.05. The far units stop at 99 (count 99); unit 0 (count 0)
    # goes on to 999: p = 1/1000, BH 60 * 0.001 = 0.06, not < 0.05. At most r = 1 unit could
    # pass, so the floor is brought to a quarter of 0.05 * 1 / 60: 4 * 60 / 0.05 - 1 = 4,799
    # permutations, p = 1/4800, BH 0.0125; the budget (60 * 999 // 2 = 29,970) allows 3,800.
    y, w, obs = extreme_map(60)
    res = permutation_inference(y, w, obs, 999, 1, "greater", 0.05)
    assert res.permutations.tolist() == [4799] + [99] * 59
    assert res.p[0] == pytest.approx(1 / 4800, rel=1e-12)
    assert_allclose(res.p[1:], 1.0)
    assert res.raised == 1 and res.note == ""
    # two-sided: the floor is 2 / (P + 1): 4 * 2 * 60 / 0.05 - 1 = 9,599 permutations
    res = permutation_inference(y, w, obs, 999, 1, "two-sided", 0.05)
    assert res.permutations.tolist() == [9599] + [99] * 59
    assert res.p[0] == pytest.approx(2 / 9600, rel=1e-12)
    # "less" with the extreme below: the same as "greater" above
    y, w, obs = extreme_map(60, low=True)
    res = permutation_inference(y, w, obs, 999, 1, "less", 0.05)
    assert res.permutations.tolist() == [4799] + [99] * 59


def test_max_permutations_caps_the_top_ups():
    y, w, obs = extreme_map(60)
    # capped at 2,000: p = 1/2001, BH 60/2001 = 0.030 < 0.05, so no note
    res = permutation_inference(y, w, obs, 999, 1, "greater", 0.05, max_permutations=2000)
    assert res.permutations.tolist() == [2000] + [99] * 59
    assert res.raised == 1 and res.note == ""
    assert res.p[0] == pytest.approx(1 / 2001, rel=1e-12)


def test_the_note_when_a_cap_leaves_nothing_able_to_pass():
    y, w, obs = extreme_map(60)
    # capped at 1,000: p = 1/1001, BH 60/1001 = 0.06. The floor 1/1001 prints as 0.001, fdr / n
    # = 0.05 / 60 = 0.00083, and 1 * 60 / 0.05 = 1,200 permutations are asked for: with
    # 1,199 the smallest p would be 1/1200 and BH 60/1200 = 0.05 exactly, which does not pass
    res = permutation_inference(y, w, obs, 999, 1, "greater", 0.05, max_permutations=1000)
    assert res.permutations[0] == 1000 and res.raised == 1
    assert res.note == (
        "no unit reached significance at FDR 0.05: with 1,000 permutations the smallest "
        "p-value possible is 0.001, and Benjamini-Hochberg over 60 tests needs at least one "
        "p-value below fdr / n = 0.00083. Raise max_permutations to at least 1,200 (or "
        "leave it None), or set fdr=None to read unadjusted p-values"
    )
    # and the advice holds: 1,199 is still short, 1,200 passes
    short = permutation_inference(y, w, obs, 999, 1, "greater", 0.05, max_permutations=1199)
    assert "at least 1,200" in short.note
    enough = permutation_inference(y, w, obs, 999, 1, "greater", 0.05, max_permutations=1200)
    assert enough.note == "" and enough.permutations[0] == 1200
    assert bh_adjust(enough.p)[0] < 0.05
    # a cap below the permutations asked for means no top-up: 999, floor 2/1000 two-sided,
    # 2 * 60 / 0.05 = 2,400
    res = permutation_inference(y, w, obs, 999, 1, "two-sided", 0.05, max_permutations=500)
    assert res.permutations[0] == 999 and res.raised == 0
    assert "with 999 permutations the smallest p-value possible is 0.002" in res.note
    assert "over 60 tests" in res.note and "at least 2,400 (or" in res.note


def test_units_without_neighbours_are_not_tests():
    # unit 3 has no neighbour: NaN, not screened on, not counted among the tests
    y = np.zeros(5)
    w = csr(5, {0: [1], 1: [2], 2: [0], 4: [0]})
    obs = np.array([1e6, 0, 0, 0, 0])
    res = permutation_inference(y, w, obs, 999, 1, "greater", 0.05)
    assert np.isnan(res.p[3])
    assert res.permutations[3] == 99
    # unit 0 alone near the floor of 4 tests: 1/1000 * 4 = 0.004 < 0.05, nothing to raise
    assert res.permutations.tolist() == [999, 99, 99, 99, 99]
    assert res.p[0] == pytest.approx(0.001)
    # no unit has a neighbour: nothing to test, nothing to say
    res = permutation_inference(y, csr(5, {}), obs, 999, 1, "greater", 0.05)
    assert np.isnan(res.p).all() and res.note == "" and res.raised == 0


class FakeCounts:
    """Stands in for permutation_counts: per call, counts from a table by (permutations, unit)."""

    def __init__(self, table):
        self.table = table  # {permutations: {unit: (ge, le)}}
        self.calls = []

    def __call__(self, y, w, observed_lag, permutations, seed, sign=None, progress=None,
                 which=None):  # fmt: skip
        which = np.arange(y.size) if which is None else np.asarray(which)
        self.calls.append((permutations, seed, which.tolist()))
        ge, le = np.zeros(y.size, np.int64), np.zeros(y.size, np.int64)
        for u in which:
            ge[u], le[u] = self.table[permutations][int(u)]
        return ge, le


@pytest.mark.parametrize(
    ("alternative", "first"),
    [
        ("greater", {0: (9, 90), 1: (10, 89)}),
        ("less", {0: (90, 9), 1: (89, 10)}),
        ("two-sided", {0: (9, 95), 1: (10, 95)}),
        ("folded", {0: (90, 9), 1: (89, 10)}),  # folded: min(ge, 99 - ge) = 9 and 10
    ],
)
def test_screening_goes_on_at_a_count_of_9_and_stops_at_10(monkeypatch, alternative, first):
    fake = FakeCounts({99: first, 900: {0: (90, 810)}})
    monkeypatch.setattr(inf, "permutation_counts", fake)
    y = np.zeros(2)
    res = permutation_inference(y, ring(2), y, 999, 7, alternative, 0.05)
    assert res.permutations.tolist() == [999, 99]
    assert fake.calls == [(99, 7, [0, 1]), (900, _stage_seed(7, 1000), [0])]
    # no seed: every round unseeded
    fake.calls.clear()
    permutation_inference(y, ring(2), y, 999, None, alternative, 0.05)
    assert fake.calls == [(99, None, [0, 1]), (900, None, [0])]


def test_a_round_of_top_ups_with_its_own_seed_then_a_stop(monkeypatch):
    # 100 units, "greater", fdr 0.05, 99 permutations (no screening). Units 0 and 1 count 1
    # in every call (near the floor: count <= 2); the others count 99 (p = 1).
    #   round 1: p = 2/100, BH over 100: 0.02 * 100 / 2 = 1; r = 2 could pass, so
    #            needed = 4 * 100 / (0.05 * 2) - 1 = 3,999: 3,900 more each, stage seed 1
    #   then: counts 2 of 3,999, p = 3/4000, BH 0.00075 * 100 / 2 = 0.0375 < 0.05: stop
    # budget: max(100 * 99 // 2, 3 * 4 * 100 / 0.05) = 24,000 >= 7,800
    table = {99: {u: (1 if u < 2 else 99, 0) for u in range(100)}, 3900: {0: (1, 0), 1: (1, 0)}}
    fake = FakeCounts(table)
    monkeypatch.setattr(inf, "permutation_counts", fake)
    y = np.zeros(100)
    res = permutation_inference(y, ring(100), y, 99, 3, "greater", 0.05)
    assert fake.calls == [(99, 3, list(range(100))), (3900, _stage_seed(3, 1), [0, 1])]
    assert res.permutations.tolist() == [3999, 3999] + [99] * 98
    assert_allclose(res.p[:2], 3 / 4000)
    assert res.raised == 2 and res.note == ""


def test_near_the_floor_means_a_count_of_2_or_less(monkeypatch):
    # 100 units, 99 permutations, "greater", fdr 0.05. Unit 0 counts 2 (near the floor), unit
    # 1 counts 3 (not), the rest 99. p = 3/100 and 4/100: BH of unit 0 is 3, so it is raised.
    # With unit 0 at 0, unit 1's BH is 0.04 * 100 / 2 = 2: r = 1, needed = 4 * 100 / 0.05 - 1
    # = 7,999. Then 3/8000 * 100 = 0.0375 < 0.05: stop. Unit 1 stays at 99.
    table = {99: {u: ({0: 2, 1: 3}.get(u, 99), 0) for u in range(100)}, 7900: {0: (0, 0)}}
    fake = FakeCounts(table)
    monkeypatch.setattr(inf, "permutation_counts", fake)
    y = np.zeros(100)
    res = permutation_inference(y, ring(100), y, 99, 3, "greater", 0.05)
    assert res.permutations[:2].tolist() == [7999, 99] and res.raised == 1
    assert fake.calls[1] == (7900, _stage_seed(3, 1), [0])


@pytest.mark.parametrize(("count", "noted"), [(0, True), (1, False)])
def test_the_note_only_when_the_smallest_p_is_at_the_floor(monkeypatch, count, noted):
    # capped at 99 permutations, 100 units: unit 0 at count 0 has p = 1/100, the floor, and BH
    # 1 (no unit significant): the note. At count 1, p = 2/100: twice the floor, no note (it
    # is the data, not the floor, that keeps it out).
    table = {99: {u: (count if u == 0 else 99, 0) for u in range(100)}}
    monkeypatch.setattr(inf, "permutation_counts", FakeCounts(table))
    y = np.zeros(100)
    res = permutation_inference(y, ring(100), y, 99, 3, "greater", 0.05, max_permutations=99)
    assert res.p[0] == (count + 1) / 100
    assert bool(res.note) is noted


def test_bh_exactly_at_fdr_is_not_significant_and_gets_the_note(monkeypatch):
    # 5 units capped at 99 permutations: unit 0 at count 0 has p = 1/100, BH 0.01 * 5 = 0.05,
    # which is not below fdr = 0.05: nothing is significant, and p is at the floor
    table = {99: {u: (0 if u == 0 else 99, 0) for u in range(5)}}
    monkeypatch.setattr(inf, "permutation_counts", FakeCounts(table))
    y = np.zeros(5)
    res = permutation_inference(y, ring(5), y, 99, 3, "greater", 0.05, max_permutations=99)
    assert bh_adjust(res.p)[0] == 0.05
    assert res.note.startswith("no unit reached significance at FDR 0.05")


def test_the_low_half_of_each_draw_is_used_whole():
    # 2,000,001 units, unit 0 with one neighbour, 2 permutations, seed 7050 (found by search
    # in the plain-integer reference: its second draw's 32 bits, 2358907709, are odd and land
    # at a boundary of (r * 2,000,000) >> 32, so dropping their lowest bit moves the draw).
    # By the reference the draws are units 1,056,961 and 1,098,453; y is each unit's number,
    # so against an observed 1,098,453 the first is below and the second a tie.
    n = 2_000_001
    y = np.arange(n, dtype=float)
    w = sparse.csr_matrix(([1.0], [1], [0] + [1] * n), shape=(n, n))
    obs = np.zeros(n)
    obs[0] = 1_098_453
    ge, le = permutation_counts(y, w, obs, 2, seed=7050, which=np.array([0]))
    assert (ge[0], le[0]) == (1, 2)
    ref = reference_counts(y, w, obs, 2, 7050, [0])
    assert (ref[0][0], ref[1][0]) == (1, 2)


# --------------------------------------------------------------------------- the long stream


def test_parts_add_up_to_the_permutations_asked_for():
    # one unit with 100,001 permutations is split into 64 parts (100,001 = 64 * 1562 + 33):
    # its observed lag is below every draw, so ge is every one of them and le none
    y = np.array([0.0, 1.0, 2.0])
    w = csr(3, {0: [1], 1: [2], 2: [0]})
    ge, le = permutation_counts(y, w, np.full(3, -1.0), 100_001, seed=1, which=np.array([0]))
    assert ge.tolist() == [100_001, 0, 0] and le.tolist() == [0, 0, 0]


def test_a_unit_whose_bh_is_exactly_fdr_could_not_pass_so_is_not_counted_in_r(monkeypatch):
    # 5 units, 199 permutations (no screening), "greater", fdr 0.05. Unit 0 counts 2 (near the
    # floor, p = 3/200), unit 1 counts 3 (p = 4/200), the rest 199 (p = 1). BH: unit 0 is
    # min(0.015 * 5, 0.02 * 5 / 2) = 0.05, not below fdr, so it is raised. With unit 0 at 0,
    # unit 1's BH is 0.02 * 5 / 2 = 0.05 exactly: it could not pass, so r = 1 and needed =
    # 4 * 5 / (0.05 * 1) - 1 = 399 (counting it, r = 2, would make 199: no top-up at all).
    table = {199: {u: ({0: 2, 1: 3}.get(u, 199), 0) for u in range(5)}, 200: {0: (0, 0)}}
    fake = FakeCounts(table)
    monkeypatch.setattr(inf, "permutation_counts", fake)
    y = np.zeros(5)
    res = permutation_inference(y, ring(5), y, 199, 3, "greater", 0.05)
    assert fake.calls == [(199, 3, list(range(5))), (200, _stage_seed(3, 1), [0])]
    assert res.permutations.tolist() == [399, 199, 199, 199, 199]
    assert_allclose(res.p[0], 3 / 400)


def test_the_note_prints_the_floor_of_the_permutations_run():
    # 3 units capped at 19 permutations: unit 0's observed lag (99) is above any lag a draw
    # can give (the values drawn are 0 and 3), so its count is 0 and p = 1 / (19 + 1) = 0.05,
    # the floor; BH over 3 tests needs one below 0.05 / 3. The note names that floor (1/18
    # would print 0.056) and advises floor(3 / 0.05) = 60 permutations.
    y = np.array([3.0, 0.0, 0.0])
    res = permutation_inference(
        y, ring(3), np.array([99.0, 0.0, 0.0]), 19, 3, "greater", 0.05, max_permutations=19
    )
    assert res.p[0] == 1 / 20
    assert "the smallest p-value possible is 0.05, and" in res.note
    assert "at least 60 " in res.note


def test_a_draw_exactly_at_the_tolerance_below_is_a_tie_in_the_upper_tail():
    # unit 0 draws one neighbour from units 1 and 2 (both 1.0): every draw sums to 1.0. The
    # observed lag 1.0000000001 less its tolerance, 1e-10 * 1.0000000001, is exactly 1.0 in
    # floating point, so each draw is a tie: ge counts it (s >= obs - tol), as le does
    y = np.array([0.0, 1.0, 1.0])
    obs = 1.0000000001
    assert obs - 1e-10 * (obs + 1e-300) == 1.0
    ge, le = permutation_counts(y, csr(3, {0: [1]}), np.array([obs, 0, 0]), 30, seed=5, which=[0])
    assert (ge[0], le[0]) == (30, 30)


def test_an_unseeded_run_draws_its_seed_from_the_whole_63_bit_range(monkeypatch):
    # seed=None: one seed drawn from 0 .. 2**63 - 2 (numpy's upper bound is exclusive); a fake
    # generator that returns the top of the range shows the bound, and the seed reaching the
    # kernel
    asked = []

    class TopOfRange:
        def integers(self, low, high):
            asked.append((low, high))
            return high - 1

    monkeypatch.setattr(inf.np.random, "default_rng", lambda: TopOfRange())
    fake = FakeKernel(none=set())
    monkeypatch.setattr(inf, "_crand_counts", fake)
    y = np.arange(4.0)
    permutation_counts(y, ring(4), y, 10, seed=None)
    assert asked == [(0, 2**63 - 1)]
    assert fake.calls[0][1] == 2**63 - 2


def test_the_result_is_read_only_and_options_after_fdr_are_named():
    y, w, obs = extreme_map(5)
    res = permutation_inference(y, w, obs, 99, 1, "greater", 0.05)
    with pytest.raises(AttributeError):
        res.note = "edited"
    with pytest.raises(TypeError):
        permutation_inference(y, w, obs, 99, 1, "greater", 0.05, np.ones(5))


def test_two_sided_top_ups_get_the_two_sided_budget():
    # 100 units, two-sided, fdr 0.05, 99 permutations (no screening). Unit 0 (count 0) has p =
    # 2/100, BH 2: r = 1 could pass, so needed = 4 * 2 * 100 / 0.05 - 1 = 15,999, that is
    # 15,900 more. The budget is max(100 * 99 // 2, 3 * 4 * 2 * 100 / 0.05) = 48,000: enough.
    # (A one-sided budget, 24,000, would be too; one of 12,000 would stop unit 0 at 12,099.)
    y, w, obs = extreme_map(100)
    res = permutation_inference(y, w, obs, 99, 1, "two-sided", 0.05)
    assert res.permutations.tolist() == [15999] + [99] * 99
    assert res.p[0] == pytest.approx(2 / 16000, rel=1e-12)
