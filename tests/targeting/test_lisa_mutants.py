"""Local Moran's I at its edges, worked by hand.

Each test sits where a plausible slip in :mod:`hspwork.targeting.lisa` shows: a unit without
neighbours, weights that are not 0/1, a unit exactly at the mean or with a lag of exactly 0
(the quadrant edges), a p-value exactly at the significance level, adjusted against raw
p-values, the bounds of ``fdr`` and ``permutations``, a rerun on its own output. The quadrant
and significance tests replace the permutation test by a stand-in returning chosen p-values, so
the rule that turns p-values into a cluster map is checked exactly; the permutations
themselves are checked in test_targeting_lisa.py and test_gistar_mutants.py.
"""

from __future__ import annotations

import importlib
import types
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose
from scipy import sparse
from statsmodels.stats.multitest import multipletests

from hspwork.errors import HspworkError, HspworkWarning
from hspwork.targeting.lisa import lisa, lisa_values, row_standardise

# the module, not the function hspwork.targeting re-exports under the same name
lisa_module = importlib.import_module("hspwork.targeting.lisa")


def strip(values) -> gpd.GeoDataFrame:
    """A row of 100 m squares: with rook neighbours unit i touches i - 1 and i + 1."""
    values = np.asarray(values, dtype=float)
    x0 = np.arange(values.size) * 100.0
    return gpd.GeoDataFrame(
        {"crimes": values}, geometry=shapely.box(x0, 0, x0 + 100, 100), crs=27700
    )


class FakeInference:
    """Stands in for permutation_inference: returns chosen p-values and records its call."""

    def __init__(self, p, note=""):
        self.p = np.asarray(p, dtype=float)
        self.note = note
        self.calls = []

    def __call__(self, y, w, lag, permutations, seed, alternative, fdr, sign=None, **kw):
        self.calls.append(dict(y=y, w=w.toarray(), lag=lag, permutations=permutations,
                               seed=seed, alternative=alternative, fdr=fdr, sign=sign, **kw))  # fmt: skip
        n = self.p.size
        return types.SimpleNamespace(
            p=self.p, permutations=np.full(n, 99), raised=0, note=self.note
        )


@pytest.fixture
def fake(monkeypatch):
    def plant(p, note=""):
        f = FakeInference(p, note)
        monkeypatch.setattr(lisa_module, "permutation_inference", f)
        return f

    return plant


# --------------------------------------------------------------------------- the weights


def test_rows_are_divided_by_their_sums_and_a_unit_without_neighbours_stays_zero():
    # row 0: weights 2 and 2 -> 1/2 each; row 1: one weight of 4 -> 1; row 2: none -> zeros
    # (and no division by zero on the way)
    w = sparse.csr_matrix(np.array([[0, 2, 2], [4, 0, 0], [0, 0, 0.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = row_standardise(w).toarray()
    assert_allclose(got, [[0, 0.5, 0.5], [1, 0, 0], [0, 0, 0]], rtol=0, atol=0)


def test_values_on_a_strip_of_five_by_hand():
    # y = 0, 2, 1, 2, 0 on a rook strip: mean 1, population variance (1+1+0+1+1)/5 = 0.8,
    # sd = sqrt(0.8) = a. z = -1/a, 1/a, 0, 1/a, -1/a; sum z^2 = 4 / 0.8 = 5.
    # lags: z1 = 1/a; (z0 + z2)/2 = -0.5/a; (z1 + z3)/2 = 1/a; -0.5/a; 1/a.
    # I = (n - 1) z lag / sum z^2 = 4/5 z lag: -0.8/0.8 = -1, 0.8 * -0.5 / 0.8 = -0.5, 0, -0.5, -1
    a = np.sqrt(0.8)
    w = sparse.csr_matrix(np.diag(np.ones(4), 1) + np.diag(np.ones(4), -1))
    i, z, lag = lisa_values(np.array([0.0, 2, 1, 2, 0]), w)
    assert_allclose(z, np.array([-1, 1, 0, 1, -1]) / a, rtol=1e-14, atol=1e-15)
    assert_allclose(lag, np.array([1, -0.5, 1, -0.5, 1]) / a, rtol=1e-14)
    assert_allclose(i, [-1, -0.5, 0, -0.5, -1], rtol=1e-14, atol=1e-15)


def test_a_sd_of_exactly_one_is_fine_and_none_is_refused():
    # 0, 2: mean 1, sd 1 (a floor or refusal at sd 1 would show); z = -1, 1, lags 1, -1,
    # I = 1 * z * lag / 2 = -0.5 each
    w = sparse.csr_matrix(np.array([[0, 1], [1, 0.0]]))
    i, _, _ = lisa_values(np.array([0.0, 2.0]), w)
    assert_allclose(i, [-0.5, -0.5], rtol=1e-15)
    with pytest.raises(HspworkError, match="every unit has the same value"):
        lisa_values(np.array([3.0, 3.0]), w)


# --------------------------------------------------------------------------- quadrants


def test_quadrants_at_a_value_exactly_at_the_mean_and_a_lag_exactly_zero(fake):
    # Strip 0, 1, 2 (rook): z = -b, 0, b; lags z1 = 0, (z0 + z2)/2 = 0, z1 = 0, all exactly 0.
    # A lag of 0 is "low" and a value at the mean is "low": LL, LL, HL.
    fake([0.001] * 3)
    out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=None)
    assert out["lisa_lag"].tolist() == [0.0, 0.0, 0.0]
    assert out["lisa_z"].iloc[1] == 0.0
    assert out["lisa_quadrant"].tolist() == ["LL", "LL", "HL"]
    # Strip 0, 2, 1, 2, 0: the middle unit is at the mean (z = 0) with high neighbours: LH.
    # The ends are low with a high neighbour (LH), units 1 and 3 high with low lags (HL).
    fake([0.001] * 5)
    out = lisa(strip([0, 2, 1, 2, 0]), "crimes", neighbours="rook", fdr=None)
    assert out["lisa_quadrant"].tolist() == ["LH", "HL", "LH", "HL", "LH"]
    # and a plain HH/LL map: 3, 3, 0, 0 -> z = 1, 1, -1, -1, lags 1, 0, 0, -1... unit 1's
    # lag is (z0 + z2)/2 = 0: HL; unit 2's is (z1 + z3)/2 = 0: LL
    fake([0.001] * 4)
    out = lisa(strip([3, 3, 0, 0]), "crimes", neighbours="rook", fdr=None)
    assert out["lisa_quadrant"].tolist() == ["HH", "HL", "LL", "LL"]


def test_a_low_unit_beside_a_slightly_high_one_is_lh_whatever_the_size_of_its_lag(fake):
    # Strip 0, 1, 1, 2, 2: mean 1.2, sd sqrt(0.56); unit 2 has z = -0.2/0.748 = -0.267 and lag
    # (z1 + z3)/2 = (-0.267 + 1.069)/2 = 0.401, under 1 but high: LH. Units 0, 1 are LL, 3, 4 HH.
    fake([0.001] * 5)
    out = lisa(strip([0, 1, 1, 2, 2]), "crimes", neighbours="rook", fdr=None)
    assert_allclose(out["lisa_lag"].iloc[2], (-0.2 + 0.8) / 2 / np.sqrt(0.56), rtol=1e-12)
    assert out["lisa_quadrant"].tolist() == ["LL", "LL", "LH", "HH", "HH"]


def test_the_options_are_keyword_only(fake):
    fake([0.001] * 3)
    with pytest.raises(TypeError):
        lisa(strip([0, 1, 2]), "crimes", "rook")


def test_a_p_value_exactly_at_the_level_is_not_significant(fake):
    # Without FDR the level is 0.05: p = 0.05 is not below it, 0.0499 is. The quadrants
    # before significance are LL, LL, HL (as above).
    fake([0.05, 0.0499, 0.0499])
    out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=None)
    assert out["lisa_quadrant"].tolist() == ["ns", "LL", "HL"]
    assert out["lisa_p_sim"].tolist() == [0.05, 0.0499, 0.0499]


def test_fdr_uses_the_adjusted_p_values_at_its_own_level(fake):
    # p = 0.01, 0.04, 0.04 over 3 units: BH = min over ranks >= k of 3 p / rank:
    # 0.04 * 3/3 = 0.04, 0.04 * 3/2 = 0.06 -> 0.04; 0.01 * 3 = 0.03 -> adjusted 0.03, 0.04, 0.04
    # (statsmodels agrees below). At fdr 0.04: 0.03 passes, 0.04 is exactly at it and does
    # not. At fdr 0.05 all three pass; without FDR all three pass on their raw p.
    p = [0.01, 0.04, 0.04]
    adj = multipletests(p, method="fdr_bh")[1]
    assert_allclose(adj, [0.03, 0.04, 0.04], rtol=1e-12)
    fake(p)
    out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=0.04)
    assert_allclose(out["lisa_p_adj"], adj, rtol=1e-12)
    assert out["lisa_quadrant"].tolist() == ["LL", "ns", "ns"]
    fake(p)
    out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=0.05)
    assert out["lisa_quadrant"].tolist() == ["LL", "LL", "HL"]
    # raw p below 0.05 but adjusted above it: significant only without FDR
    # p = 0.02, 0.04, 0.9: BH 0.06, 0.06, 0.9
    fake([0.02, 0.04, 0.9])
    out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=0.05)
    assert_allclose(out["lisa_p_adj"], [0.06, 0.06, 0.9], rtol=1e-12)
    assert out["lisa_quadrant"].tolist() == ["ns", "ns", "ns"]
    fake([0.02, 0.04, 0.9])
    out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=None)
    assert out["lisa_quadrant"].tolist() == ["LL", "LL", "ns"]
    assert_allclose(out["lisa_p_adj"], [0.06, 0.06, 0.9], rtol=1e-12)  # reported either way


def test_the_permutation_test_gets_row_standardised_weights_and_the_settings(fake):
    # strip 0, 1, 2: rows 0 and 2 have one neighbour (weight 1), row 1 two (1/2 each)
    f = fake([0.5] * 3)
    lisa(strip([0, 1, 2]), "crimes", neighbours="rook", permutations=1, seed=4, fdr=0.2,
         alternative="greater", max_permutations=500, progress=False)  # fmt: skip
    (call,) = f.calls
    assert_allclose(call["w"], [[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]], rtol=0)
    b = 1 / np.sqrt(2 / 3)  # sd of 0, 1, 2 is sqrt(2/3)
    assert_allclose(call["y"], [-b, 0, b], rtol=1e-14)
    assert_allclose(call["sign"], [-b, 0, b], rtol=1e-14)
    assert_allclose(call["lag"], [0, 0, 0], atol=1e-15)
    assert (call["permutations"], call["seed"], call["alternative"], call["fdr"]) == (
        1, 4, "greater", 0.2,
    )  # fmt: skip
    assert call["max_permutations"] == 500 and call["progress"] is False


# --------------------------------------------------------------------------- the call


def test_one_permutation_is_enough_to_run_and_zero_is_refused():
    units = strip([0, 1, 2, 5])
    out = lisa(units, "crimes", neighbours="rook", permutations=1, seed=1, fdr=None)
    assert out.attrs["lisa"]["permutations"] == 1
    with pytest.raises(HspworkError, match="permutations must be >= 1, got 0"):
        lisa(units, "crimes", neighbours="rook", permutations=0)


@pytest.mark.parametrize("fdr", [0, 1, 1.5, -0.1])
def test_fdr_outside_zero_to_one_is_refused(fdr):
    with pytest.raises(HspworkError, match=f"fdr must be between 0 and 1 \\(or None\\), got {fdr}"):
        lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=fdr)


@pytest.mark.parametrize("fdr", [0.01, 0.5, 0.99, None])
def test_fdr_inside_zero_to_one_or_none_is_accepted(fake, fdr):
    fake([0.5] * 3)
    out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook", fdr=fdr)
    assert out.attrs["lisa"]["fdr"] == fdr


def test_a_note_from_the_permutations_is_warned_from_the_callers_line(fake):
    fake([0.5] * 3, note="the floor is too high")
    with pytest.warns(HspworkWarning, match="the floor is too high") as caught:
        out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook")
    assert caught[0].filename == __file__
    assert out.attrs["lisa"]["note"] == "the floor is too high"
    # no note: no warning at all
    fake([0.5] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lisa(strip([0, 1, 2]), "crimes", neighbours="rook")
    assert out.attrs["lisa"]["note"] == ""


def test_settings_and_a_rerun_on_its_own_output(fake):
    units = strip([0, 1, 2])
    units.attrs["force"] = "West Midlands"
    fake([0.001] * 3)
    out = lisa(units, "crimes", neighbours="rook", seed=3, fdr=None)
    s = out.attrs["lisa"]
    assert out.attrs["force"] == "West Midlands"
    assert s["seed"] == 3 and s["fdr"] is None and s["permutations"] == 999
    assert s["column"] == "crimes" and s["alternative"] == "two-sided"
    assert (s["permutations_min"], s["permutations_max"], s["permutations_raised"]) == (99, 99, 0)
    assert "lisa" not in units.attrs  # the caller's frame is left alone
    fake([0.001] * 3)
    again = lisa(out, "crimes", neighbours="rook", fdr=0.05)
    assert again.attrs["lisa"]["seed"] is None and again.attrs["lisa"]["fdr"] == 0.05
    cols = list(again.columns)
    assert cols == ["crimes", "geometry", "lisa_i", "lisa_z", "lisa_lag", "lisa_p_sim",
                    "lisa_p_adj", "lisa_quadrant"]  # fmt: skip
    assert again["lisa_quadrant"].tolist() == ["LL", "LL", "HL"]
