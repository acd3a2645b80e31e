"""Emerging hot spots at their edges, worked by hand: a share of significant steps exactly at
90%, a final run of exactly two steps, a unit hot for nine steps and cold in the last, the
shortest series Mann-Kendall accepts."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

from hspwork.targeting.emerging import classify, mann_kendall


def categories(rows, trend_z=None, trend_p=None):
    b = np.array(rows, dtype=int)
    n = b.shape[0]
    tz = np.zeros(n) if trend_z is None else np.asarray(trend_z, float)
    tp = np.ones(n) if trend_p is None else np.asarray(trend_p, float)
    return classify(b, tz, tp, 0.05).tolist()


def test_hot_in_exactly_nine_of_ten_steps_including_the_last_is_persistent():
    # share 9/10 = 0.9 meets Esri's ">= 90%"; 8 of 10 does not (it is then sporadic: hot in
    # the last step, on and off before, never cold)
    assert categories([[0] + [1] * 9, [0, 0] + [1] * 8, [1, 0, 0] + [1] * 7]) == [
        "persistent hot spot",
        "consecutive hot spot",
        "sporadic hot spot",
    ]


def test_a_final_run_of_exactly_two_hot_steps_is_consecutive_and_one_is_new():
    assert categories([[0] * 8 + [1, 1], [0] * 9 + [1], [0] * 8 + [-1, -1]]) == [
        "consecutive hot spot",
        "new hot spot",
        "consecutive cold spot",
    ]


def test_hot_for_nine_steps_then_cold_is_a_new_cold_spot_not_historical():
    # hot in 9 of 10 but the last step is cold: not a historical hot spot; in the cold pass it
    # is cold in the last step and never before: new
    assert categories([[1] * 9 + [-1], [1] * 9 + [0]]) == ["new cold spot", "historical hot spot"]


def test_cold_only_in_the_last_step_does_not_make_a_hot_spot_oscillating():
    # hot, then cold only in the final step: the last step is not hot, so no hot category;
    # cold for the first time in the last step: new cold spot. Cold in the step before the
    # last, hot earlier and in the last: oscillating (hot in the last and never before would
    # be new, which comes first).
    assert categories([[1, 0, 1, 0, -1], [1, 0, 0, -1, 1]]) == [
        "new cold spot",
        "oscillating hot spot",
    ]


def test_trends_at_the_edge_of_trend_alpha():
    # hot in every step: p exactly 0.05 is not a trend, up or down (persistent); just below it
    # with z up
    # intensifying, z down diminishing
    rows = [[1] * 10] * 4
    assert categories(rows, [2.0, -2.0, 2.0, -2.0], [0.05, 0.05, 0.0499, 0.0499]) == [
        "persistent hot spot",
        "persistent hot spot",
        "intensifying hot spot",
        "diminishing hot spot",
    ]


def test_mann_kendall_on_three_values_and_on_two():
    # 1, 3, 2: S = sign(2) + sign(1) + sign(-1) = 1; var = 3*2*11/18 = 11/3; with the
    # continuity correction z = 0, without it z = 1/sqrt(11/3)
    s, z, p = mann_kendall([1, 3, 2])
    assert (s, z, p) == (1.0, 0.0, 1.0)
    s, z, p = mann_kendall([1, 3, 2], continuity=False)
    assert_allclose(z, 1 / np.sqrt(11 / 3), rtol=1e-14)
    assert_allclose(p, 2 * stats.norm.sf(1 / np.sqrt(11 / 3)), rtol=1e-14)
    # 3, 1, 2 falling: S = -1 -1 +1 = -1; z = (S + 1)/sd = 0 corrected, -1/sqrt(11/3) not
    assert mann_kendall([3, 1, 2])[1] == 0.0
    assert_allclose(mann_kendall([3, 1, 2], continuity=False)[1], -1 / np.sqrt(11 / 3))
    # two values (or three with one missing) are too few: no trend
    assert mann_kendall([1, 5]) == (0.0, 0.0, 1.0)
    assert mann_kendall([1, np.nan, 5]) == (0.0, 0.0, 1.0)
