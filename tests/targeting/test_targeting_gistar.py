"""Gi*: z-values against hand-worked values and esda, inference against statsmodels and exact
permutation distributions."""

from __future__ import annotations

import itertools
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import box
from statsmodels.stats.multitest import multipletests

from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.targeting._inference import bh_adjust, confidence_bins
from hspwork.targeting._weights import neighbours
from hspwork.targeting.gistar import gistar
from tests.targeting._exact import monte_carlo_tolerance, tail_probabilities, two_sided_exact


def lattice_units(nrows: int, ncols: int, values, size: float = 100.0, crs=27700):
    """Cells in libpysal.lat2W order (row-major, row 0 at the bottom)."""
    x0 = np.tile(np.arange(ncols) * size, nrows)
    y0 = np.repeat(np.arange(nrows) * size, ncols)
    return gpd.GeoDataFrame(
        {"crimes": np.asarray(values, dtype=float)},
        geometry=shapely.box(x0, y0, x0 + size, y0 + size),
        crs=crs,
    )


def esda_z(y, w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(np.asarray(y, float), w, transform="B", star=True, permutations=0).Zs


def test_hand_worked_3x3_rook():
    # n = 9, mean 1, population variance 9 - 1 = 8 (s = 2*sqrt(2)).
    # centre: c = 5, sum 9 -> (9 - 5) / (s * sqrt((45 - 25) / 8)) = 2 / sqrt(5)
    # corner: c = 3, sum 0 -> (0 - 3) / (s * sqrt((27 - 9) / 8)) = -1 / sqrt(2)
    # edge:   c = 4, sum 9 -> (9 - 4) / (s * sqrt((36 - 16) / 8)) = sqrt(5) / 2
    units = lattice_units(3, 3, [0, 0, 0, 0, 9, 0, 0, 0, 0])
    out = gistar(units, "crimes", neighbours="rook", fdr=None)
    corner, edge = -1 / np.sqrt(2), np.sqrt(5) / 2
    expected = [corner, edge, corner, edge, 2 / np.sqrt(5), edge, corner, edge, corner]
    assert_allclose(out["gi_z"], expected, rtol=0, atol=1e-12)
    assert_allclose(
        out["gi_z"], esda_z(units.crimes, libpysal.weights.lat2W(3, 3, rook=True)), atol=1e-8
    )


def test_queen_neighbourhood_covering_everything_is_nan():
    # On a 3x3 queen grid the centre's neighbourhood is every unit: variance 0, z undefined.
    units = lattice_units(3, 3, [0, 0, 0, 0, 9, 0, 0, 0, 0])
    out = gistar(units, "crimes")
    assert np.isnan(out.loc[4, "gi_z"])
    assert out.loc[4, "gi_bin"] == 0
    assert np.isfinite(out.drop(index=4)["gi_z"]).all()


@pytest.mark.parametrize("rook", [False, True])
def test_equals_esda_on_lattice(rook):
    rng = np.random.default_rng(7)
    y = rng.poisson(2.0, 12 * 10)
    units = lattice_units(12, 10, y)
    out = gistar(units, "crimes", neighbours="rook" if rook else "queen")
    assert_allclose(out["gi_z"], esda_z(y, libpysal.weights.lat2W(12, 10, rook=rook)), atol=1e-8)


def test_equals_esda_in_feet_crs_and_shuffled_rows():
    # Row order and CRS unit must not matter: same cells, shuffled, in US survey feet.
    rng = np.random.default_rng(1)
    y = rng.poisson(1.5, 8 * 9)
    units = lattice_units(8, 9, y, size=500.0, crs=2263)
    perm = rng.permutation(len(units))
    shuffled = units.iloc[perm].reset_index(drop=True)
    out = gistar(shuffled, "crimes")
    ref = esda_z(y, libpysal.weights.lat2W(8, 9, rook=False))[perm]
    assert_allclose(out["gi_z"], ref, atol=1e-8)


def test_distance_band_and_knn_match_libpysal():
    rng = np.random.default_rng(3)
    y = rng.poisson(3.0, 7 * 7)
    units = lattice_units(7, 7, y)
    xy = np.column_stack(
        [shapely.get_x(units.centroid.values), shapely.get_y(units.centroid.values)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wd = libpysal.weights.DistanceBand(xy, threshold=230.0, binary=True, silence_warnings=True)
        wk = libpysal.weights.KNN(xy, k=5)
    assert_allclose(gistar(units, "crimes", neighbours=230.0)["gi_z"], esda_z(y, wd), atol=1e-8)
    # ties among equidistant cells may be broken differently: compare where the sets agree
    ours = neighbours(units, 5)
    ref = wk.sparse.tocsr()
    same = np.array([set(ours[i].indices) == set(ref[i].indices) for i in range(len(units))])
    assert same.sum() > 10
    assert_allclose(
        gistar(units, "crimes", neighbours=5)["gi_z"][same], esda_z(y, wk)[same], atol=1e-8
    )


def hexagons(nrows: int, ncols: int, r: float = 50.0):
    # pointy-top hexagons, offset rows
    polys = []
    h = np.sqrt(3) * r
    for i in range(nrows):
        for j in range(ncols):
            cx = j * h + (h / 2 if i % 2 else 0.0)
            cy = i * 1.5 * r
            ang = np.deg2rad(np.arange(6) * 60 + 30)
            ring = np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)])
            polys.append(shapely.Polygon(np.round(ring, 6)))  # shared vertices exactly equal
    return polys


def test_hexagons_match_libpysal_queen():
    rng = np.random.default_rng(11)
    polys = hexagons(6, 7)
    y = rng.poisson(2.0, len(polys))
    units = gpd.GeoDataFrame({"crimes": y}, geometry=polys, crs=27700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wq = libpysal.weights.Queen.from_dataframe(units, use_index=False)
    ours = neighbours(units, "queen")
    assert_allclose(ours.toarray(), wq.sparse.toarray())
    assert_allclose(gistar(units, "crimes")["gi_z"], esda_z(y, wq), atol=1e-8)
    # every hexagon neighbour shares an edge, so rook = queen
    assert_allclose(neighbours(units, "rook").toarray(), ours.toarray())


def test_bh_matches_statsmodels():
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.uniform(0, 0.01, 20), rng.uniform(0, 1, 200), [0.5, 0.5, 1.0]])
    assert_allclose(bh_adjust(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12)
    with_nan = p.copy()
    with_nan[3] = np.nan
    ref = multipletests(np.delete(p, 3), method="fdr_bh")[1]
    assert_allclose(np.delete(bh_adjust(with_nan), 3), ref, rtol=1e-12)
    assert np.isnan(bh_adjust(with_nan)[3])


def test_bins_and_adjusted_p_in_output():
    rng = np.random.default_rng(2)
    y = rng.poisson(1.0, 15 * 15).astype(float)
    y[100:104] += 12
    units = lattice_units(15, 15, y)
    out = gistar(units, "crimes", fdr=0.05, permutations=0)  # the normal approximation
    from scipy import stats

    z = out["gi_z"].to_numpy()
    assert_allclose(out["gi_p"], 2 * stats.norm.sf(np.abs(z)), rtol=1e-12)
    assert_allclose(out["gi_p_adj"], multipletests(out["gi_p"], method="fdr_bh")[1], rtol=1e-10)
    expected = np.sign(z) * np.select(
        [out.gi_p_adj < 0.01, out.gi_p_adj < 0.05, out.gi_p_adj < 0.10], [3, 2, 1], 0
    )
    assert (out["gi_bin"].to_numpy() == expected).all()
    assert (out["gi_bin"] == 3).sum() >= 1
    assert (out["gi_sig"] == (out["gi_p_adj"] < 0.05)).all()
    raw = gistar(units, "crimes", fdr=None, permutations=0)
    assert (raw["gi_bin"].abs() >= out["gi_bin"].abs()).all()  # FDR only ever lowers a bin
    assert_allclose(raw["gi_p"], out["gi_p"])  # ... and never the stored p
    assert confidence_bins(np.array([-4.0]), np.array([0.001]))[0] == -3


def test_one_sided_alternatives():
    units = lattice_units(3, 3, [0, 0, 0, 0, 9, 0, 0, 0, 0])
    z = gistar(units, "crimes", neighbours="rook")["gi_z"].to_numpy()
    from scipy import stats

    assert_allclose(
        gistar(units, "crimes", neighbours="rook", alternative="greater")["gi_p"], stats.norm.sf(z)
    )
    assert_allclose(
        gistar(units, "crimes", neighbours="rook", alternative="less")["gi_p"], stats.norm.cdf(z)
    )


def test_permutations_reproducible_by_seed():
    rng = np.random.default_rng(4)
    units = lattice_units(9, 9, rng.poisson(2.0, 81))
    # (the p-values themselves are checked against the exact distribution below)
    a = gistar(units, "crimes", permutations=199, seed=42)
    b = gistar(units, "crimes", permutations=199, seed=42)
    c = gistar(units, "crimes", permutations=199, seed=43)
    assert_allclose(a["gi_p_sim"], b["gi_p_sim"], rtol=0, atol=0)
    assert not np.allclose(a["gi_p_sim"], c["gi_p_sim"])
    assert_allclose(a["gi_p_adj"], multipletests(a["gi_p_sim"], method="fdr_bh")[1], rtol=1e-10)
    assert a.attrs["gistar"]["seed"] == 42


def test_permutation_p_against_the_exact_distribution_of_every_unit():
    # The same 9 x 9 map with a block of four raised by 6 (so some p-values are small).
    # Conditional randomisation draws each unit's k neighbours (3 at a
    # corner, 5 on an edge, 8 inside) as a random k-subset of the other 80 counts; Gi* depends
    # on the draw only through their sum, so the exact tails are shares of the C(80, k) subsets
    # (counted in integers by _exact). The two-sided pseudo p is
    # min(1, 2 min(#ge + 1, #le + 1) / (P + 1)): with P = 19,999 its Monte Carlo sd is at most
    # 2 sqrt(q (1 - q) / P) for a tail q; allowed 4 sd plus the +1 offset.
    rng = np.random.default_rng(4)
    y = rng.poisson(2.0, 81).astype(float)
    y[[30, 31, 39, 40]] += 6
    units = lattice_units(9, 9, y)
    perms = 19_999
    out = gistar(units, "crimes", permutations=perms, seed=42, fdr=None)
    p_sim = out["gi_p_sim"].to_numpy()
    w = neighbours(units, "queen").toarray().astype(bool)
    exact, q = two_sided_exact(y, w)
    tol = monte_carlo_tolerance(q, perms)
    assert (np.abs(p_sim - exact) <= tol).all(), np.abs(p_sim - exact).max()
    # the map holds units across the whole scale, not only p = 1
    assert exact.min() < 0.01 and np.median(exact) > 0.3
    # every p-value is on the grid 2 (c + 1) / (P + 1), or 1
    c = p_sim * (perms + 1) / 2
    assert_allclose(c[p_sim < 1], np.rint(c[p_sim < 1]), atol=1e-6)
    # the subset counting agrees with listing every draw for the corner unit 0 (neighbours
    # 1, 9, 10): C(80, 3) = 82,160 draws
    others = np.delete(y, 0)
    sums = others[np.array(list(itertools.combinations(range(80), 3)))].sum(axis=1)
    obs = y[[1, 9, 10]].sum()
    assert_allclose(
        tail_probabilities(others, 3, obs), [np.mean(sums >= obs), np.mean(sums <= obs)]
    )


def test_permutation_tail_matches_exact_distribution():
    # 1 x 6 strip, rook: the end cell has one neighbour, which conditional randomisation replaces
    # by one of the 5 other values with equal probability. Values 0, 1, 2, 3, 4, 5 at the ends
    # and inside: unit 0 (value 0) sees neighbour 1 (value 1); permuted neighbour is uniform on
    # {1, 2, 3, 4, 5}: P(lag >= 1) = 1, P(lag <= 1) = 1/5.
    # unit 5 (value 5) sees 4; other values {0..4}: P(lag >= 4) = 1/5, P(lag <= 4) = 1.
    units = lattice_units(1, 6, [0, 1, 2, 3, 4, 5])
    perms = 20_000
    kw = {"neighbours": "rook", "permutations": perms, "seed": 9, "fdr": None}  # fixed P
    greater = gistar(units, "crimes", alternative="greater", **kw)
    less = gistar(units, "crimes", alternative="less", **kw)
    p_ge = greater["gi_p_sim"].to_numpy() * (perms + 1) - 1
    p_le = less["gi_p_sim"].to_numpy() * (perms + 1) - 1
    se = np.sqrt(0.2 * 0.8 / perms)  # 0.0028
    assert_allclose(p_ge[[0, 5]] / perms, [1.0, 0.2], atol=4 * se)
    assert_allclose(p_le[[0, 5]] / perms, [0.2, 1.0], atol=4 * se)
    # unit 1 (value 1) has neighbours 0 and 2 (lag 2); a random pair from {0,2,3,4,5}: sums of
    # the 10 pairs are 2,3,4,5,5,6,7,7,8,9 -> P(lag >= 2) = 1, P(lag <= 2) = 1/10
    assert_allclose(p_le[1] / perms, 0.1, atol=4 * np.sqrt(0.09 / perms))


@pytest.mark.slow  # esda compiles its numba kernels on first use (tens of seconds)
@pytest.mark.xdist_group("esda_permutations")  # one worker pays the compile once
def test_permutation_p_close_to_esda():
    rng = np.random.default_rng(8)
    y = rng.poisson(2.0, 6 * 6).astype(float)
    y[14] = 12
    units = lattice_units(6, 6, y)
    perms = 9999
    ours = gistar(units, "crimes", permutations=perms, alternative="greater", seed=1, fdr=None)
    ge = np.rint(ours["gi_p_sim"].to_numpy() * (perms + 1) - 1)
    folded = (np.minimum(ge, perms - ge) + 1) / (perms + 1)  # esda's "directed" p_sim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(
            y,
            libpysal.weights.lat2W(6, 6, rook=False),
            transform="B",
            star=True,
            permutations=perms,
            seed=1,
            n_jobs=1,
        ).p_sim
    # Monte Carlo error of each: sd <= sqrt(0.25 / 9999) = 0.005; the difference of two < 0.03
    assert_allclose(folded, ref, atol=0.03)
    assert np.corrcoef(folded, ref)[0, 1] > 0.98


def test_errors_name_what_was_given():
    units = lattice_units(3, 3, np.arange(9))
    with pytest.raises(SchemaError, match="no column 'harm'"):
        gistar(units, "harm")
    with pytest.raises(HspworkError, match="neighbours='bishop' is not understood"):
        gistar(units, "crimes", neighbours="bishop")
    with pytest.raises(HspworkError, match="alternative='up'"):
        gistar(units, "crimes", alternative="up")
    with pytest.raises(HspworkError, match="same value"):
        gistar(lattice_units(3, 3, np.ones(9)), "crimes")
    with pytest.raises(HspworkError, match="fdr must be between 0 and 1"):
        gistar(units, "crimes", fdr=5)
    bad = units.copy()
    bad.loc[0, "crimes"] = np.nan
    with pytest.raises(SchemaError, match="1 missing"):
        gistar(bad, "crimes")
    with pytest.raises(HspworkError, match="positive number of metres"):
        gistar(units, "crimes", neighbours=-5.0)


def test_street_segments_touching_are_neighbours():
    lines = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (200, 0)]),
             shapely.LineString([(100, 0), (100, 100)]), shapely.LineString([(500, 500), (600, 500)])]  # fmt: skip
    units = gpd.GeoDataFrame({"crimes": [3, 1, 0, 0]}, geometry=lines, crs=27700)
    w = neighbours(units, "queen").toarray()
    assert w.tolist() == [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    with pytest.warns(HspworkWarning, match="1 of 4 units have no neighbour"):
        out = gistar(units, "crimes")  # the far segment is an island
    # hand: n=4, mean 1, var (9+1)/4 - 1 = 1.5; unit 0: c=3, sum 4 -> 1/(sqrt(1.5)*sqrt(3/3))
    assert_allclose(out.loc[0, "gi_z"], 1 / np.sqrt(1.5), atol=1e-12)


def test_boxes_not_on_one_lattice_use_geometry():
    cells = [box(0, 0, 100, 100), box(100, 0, 200, 100), box(250, 0, 350, 100)]
    units = gpd.GeoDataFrame({"crimes": [1.0, 2.0, 5.0]}, geometry=cells, crs=27700)
    assert neighbours(units, "queen").toarray().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]


def test_permutation_memory_is_flat_in_permutations():
    # esda keeps n x permutations simulated values; the streamed kernel keeps two counts per unit
    import tracemalloc

    rng = np.random.default_rng(6)
    units = lattice_units(50, 50, rng.poisson(1.0, 2500))
    gistar(units, "crimes", permutations=9, seed=0)  # compile outside the measurement
    peaks = []
    for perms in (9, 1999):
        tracemalloc.start()
        gistar(units, "crimes", permutations=perms, seed=0)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # 2500 units x 1999 draws x 8 bytes would be 40 MB; allow well under 1 MB of growth
    assert peaks[1] - peaks[0] < 1_000_000


def test_rerun_leaves_no_stale_columns():
    units = lattice_units(4, 4, np.arange(16))
    first = gistar(units, "crimes", permutations=19, seed=1)
    again = gistar(first, "crimes", permutations=0)
    assert "gi_p_sim" not in again.columns
    assert list(again.columns).count("gi_z") == 1
    assert (
        first.attrs["gistar"]["permutations"] == 19 and again.attrs["gistar"]["permutations"] == 0
    )


def test_large_int_neighbours_is_refused_as_a_probable_distance():
    # 150 (an int) would silently mean the 150 nearest cells of 169: a near-global "hot spot".
    from hspwork.targeting.emerging import emerging_hotspots
    from hspwork.targeting.lisa import lisa

    rng = np.random.default_rng(3)
    units = lattice_units(13, 13, rng.poisson(2.0, 169))
    msg = r"neighbours=150 \(an int\).*did you mean 150\.0 metres\?.*neighbours=150\.0"
    with pytest.raises(HspworkError, match=msg):
        gistar(units, "crimes", neighbours=150)
    with pytest.raises(HspworkError, match=msg):
        neighbours(units, np.int64(150))
    with pytest.raises(HspworkError, match=msg):
        lisa(units, "crimes", neighbours=150, permutations=9, seed=0)
    cube = units.assign(a=units.crimes, b=units.crimes[::-1].to_numpy(), c=units.crimes)
    with pytest.raises(HspworkError, match=msg):
        emerging_hotspots(cube, ["a", "b", "c"], neighbours=150)
    # the distance works: 100 m cells, 150 m reaches edge (100 m) and diagonal (141 m) cells
    w = neighbours(units, 150.0)
    assert w.sum(axis=1).A1[84] == 8  # centre cell: 4 edges + 4 diagonals within 150 m
    # 30 nearest is still allowed, 31 is not
    assert (neighbours(units, 30).sum(axis=1).A1 == 30).all()
    with pytest.raises(HspworkError, match=r"did you mean 31\.0 metres"):
        neighbours(units, 31)


def test_units_without_neighbours_are_warned_about():
    # An island: a cell 1 km from the rest of a 3x3 grid. Its Gi* has c = 1, so
    # z = (y - mean) / s, its own standardised value (worked below), and a warning says so.
    grid = lattice_units(3, 3, [1, 0, 2, 0, 1, 0, 3, 0, 1])
    island = gpd.GeoDataFrame({"crimes": [9.0]}, geometry=[box(1300, 1300, 1400, 1400)], crs=27700)
    units = gpd.GeoDataFrame(pd.concat([grid, island], ignore_index=True), crs=27700)
    y = units["crimes"].to_numpy()
    with pytest.warns(
        HspworkWarning,
        match=r"1 of 10 units have no neighbour with "
        r"neighbours='queen'.*own standardised value",
    ):
        out = gistar(units, "crimes")
    assert_allclose(out.loc[9, "gi_z"], (9 - y.mean()) / y.std(), rtol=1e-12)
    with pytest.warns(HspworkWarning, match="1 of 10 units have no neighbour"):
        gistar(units, "crimes", neighbours=150.0)
    # a full lattice has no island: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gistar(grid, "crimes", fdr=None)


def test_default_permutations_reach_fdr_on_a_large_map():
    # 60 x 60 cells, one busy block: the permutation floor of 999 (0.002 two-sided) is above
    # what BH needs over 3,600 tests, so the units near the floor get more permutations
    rng = np.random.default_rng(12)
    y = rng.poisson(1.0, 3600).astype(float)
    block = [r * 60 + c for r in range(28, 32) for c in range(28, 32)]
    y[block] += 6
    units = lattice_units(60, 60, y)
    out = gistar(units, "crimes", seed=5)
    settings = out.attrs["gistar"]
    assert settings["permutations"] == 999 and settings["permutations_max"] > 999
    assert out.loc[block, "gi_sig"].mean() > 0.5 and (out.loc[block, "gi_bin"] > 0).all()
    # the same with 999 and no more: nothing significant, and the warning gives the fix
    with pytest.warns(HspworkWarning, match="Raise max_permutations to at least 144,000"):
        capped = gistar(units, "crimes", seed=5, max_permutations=999)
    assert not capped["gi_sig"].any()
    # GeoDa's folded pseudo p-value: one tail, not doubled
    folded = gistar(units, "crimes", seed=5, alternative="folded", fdr=None, permutations=199)
    ge = np.rint(folded["gi_p_sim"] * 200 - 1)
    assert (ge <= 99).all()


def test_gistar_and_lisa_share_the_permutations_default():
    import inspect

    from hspwork.targeting.lisa import lisa

    g = inspect.signature(gistar).parameters["permutations"].default
    m = inspect.signature(lisa).parameters["permutations"].default
    assert g == m == 999
