"""Emerging hot spots at their edges, worked by hand: a share of significant steps exactly at
90%, a final run of exactly two steps, a unit hot for nine steps and cold in the last, the
shortest series Mann-Kendall accepts, a flat series, trend_alpha at a minimum p, a bin whose p is
exactly alpha, the limits of fdr and trend_alpha, the summary's and warnings' words, and what the
chart draws (how many units and places, their labels, the guide lines)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from scipy import sparse, stats

from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.targeting.emerging import (
    EmergingHotSpots,
    _mann_kendall_rows,
    classify,
    emerging_hotspots,
    mann_kendall,
    mann_kendall_min_p,
    mann_kendall_min_periods,
    space_time_gistar,
)


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


# --- The strip A-B-C (rook) of the module's docstring: A = 1, 0, 0; B = 0, 2, 0; C = 0, 0, 3.
# Whole cube: N = 9, mean 2/3, sd s = sqrt(10)/3; one time step. Every Gi* z by hand:
#   period 1: A (1 - 4/3) / (s sqrt(14/8)) = -2/sqrt(70) = -0.239; B (1 - 2) / (s 1.5) = -0.632;
#             C (0 - 4/3) / (s sqrt(14/8)) = -8/sqrt(70) = -0.956
#   period 2: A (3 - 8/3) / (5/3) = 0.2; B (3 - 4) / (s 1.5) = -0.632; C (2 - 8/3) / (5/3) = -0.4
#   period 3: A (2 - 8/3) / (5/3) = -0.4; B (5 - 4) / (s 1.5) = 0.632; C (5 - 8/3) / (5/3) = 1.4
STRIP = [[1, 0, 0], [0, 2, 0], [0, 0, 3]]
STRIP_Z = np.array(
    [
        [-2 / np.sqrt(70), 0.2, -0.4],
        [-2 / np.sqrt(10), -2 / np.sqrt(10), 2 / np.sqrt(10)],
        [-8 / np.sqrt(70), -0.4, 1.4],
    ]
)
# three periods are too few for any Mann-Kendall trend at 0.05 (five are needed): a warning
FEW = "with 3 periods no Mann-Kendall trend"


def strip(values, names=None):
    values = np.asarray(values, dtype=float)
    n, steps = values.shape
    names = names or [f"2024-{t + 1:02d}-01" for t in range(steps)]
    cube = gpd.GeoDataFrame(
        dict(zip(names, values.T)),
        geometry=[shapely.box(100 * i, 0, 100 * i + 100, 100) for i in range(n)],
        crs=27700,
    )
    cube.insert(0, "unit_id", np.arange(n))
    cube.attrs["periods"] = list(names)
    return cube


def run(cube, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HspworkWarning)
        return emerging_hotspots(cube, neighbours="rook", **kw)


def test_mann_kendall_of_a_flat_series_is_no_trend():
    # 4, 4, 4: every pair is tied, S = 0 and the variance 3*2*11/18 - 3*2*11/18 = 0: no trend,
    # z = 0 and p = 1 (not a division by zero)
    assert mann_kendall([4, 4, 4]) == (0.0, 0.0, 1.0)
    assert mann_kendall([4, 4, 4], continuity=False) == (0.0, 0.0, 1.0)
    zz, pp = _mann_kendall_rows(np.array([[4.0, 4, 4, 4], [0, 0, 0, 0]]))
    assert zz.tolist() == [0.0, 0.0] and pp.tolist() == [1.0, 1.0]


def test_vectorised_mann_kendall_without_the_continuity_correction():
    # 1, 3, 2: S = 1, var = 11/3, z = 1/sqrt(11/3) uncorrected; 3, 1, 2: S = -1, z = -1/sqrt(11/3)
    zz, pp = _mann_kendall_rows(np.array([[1.0, 3, 2], [3, 1, 2]]), continuity=False)
    assert_allclose(zz, [1 / np.sqrt(11 / 3), -1 / np.sqrt(11 / 3)], rtol=1e-14)
    assert_allclose(pp, 2 * stats.norm.sf(1 / np.sqrt(11 / 3)), rtol=1e-14)
    # corrected, |S| = 1 gives z = 0 exactly
    zz, pp = _mann_kendall_rows(np.array([[1.0, 3, 2], [3, 1, 2]]))
    assert zz.tolist() == [0.0, 0.0] and pp.tolist() == [1.0, 1.0]
    # tied series against scipy's Kendall tau (its asymptotic p has no continuity correction)
    rng = np.random.default_rng(5)
    rows = rng.integers(0, 4, (12, 9)).astype(float)
    zz, pp = _mann_kendall_rows(rows, continuity=False)
    t = np.arange(9)
    ref = [stats.kendalltau(t, r, method="asymptotic").pvalue for r in rows]
    assert_allclose(pp, ref, rtol=1e-9)


def test_trend_alpha_must_be_between_0_and_1(monkeypatch):
    from hspwork.targeting import emerging

    real = emerging.mann_kendall_min_p

    def guarded(n, continuity=True):
        # a wrong bound would search for ever (no p is below 0): fail fast instead
        assert n <= 50, "searched past 50 periods"
        return real(n, continuity)

    monkeypatch.setattr(emerging, "mann_kendall_min_p", guarded)
    for bad in (0, 0.0, -0.5, 1, 1.0):
        with pytest.raises(HspworkError) as err:
            mann_kendall_min_periods(bad)
        assert str(err.value) == f"trend_alpha must be between 0 and 1, got {bad!r}"
    assert mann_kendall_min_periods(0.999) == 3  # min p of 3 periods is 0.2963


def test_fewest_periods_when_trend_alpha_is_exactly_a_minimum_p():
    # 5 periods: S = 10, var = 5*4*15/18 = 300/18, z = 9/sqrt(300/18); p5 = 2 sf(z) = 0.0275.
    # A p equal to trend_alpha is not below it: 5 periods are then not enough, 6 are
    # (min p of 6 is 0.0085). One step above p5, 5 periods suffice.
    p5 = float(2 * stats.norm.sf(9 / np.sqrt(300 / 18.0)))
    assert mann_kendall_min_p(5) == p5
    assert mann_kendall_min_periods(p5) == 6
    assert mann_kendall_min_periods(np.nextafter(p5, 1)) == 5
    assert mann_kendall_min_periods(np.nextafter(p5, 0)) == 6


def test_space_time_gistar_default_is_one_time_step():
    # Esri's default neighbourhood time step is 1: C's last bin is 1.4 (see STRIP_Z); with two
    # steps it would be (5 - 4) / (s 1.5) = 0.632
    w = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    got = space_time_gistar(np.array(STRIP, float), w)
    assert_allclose(got, STRIP_Z, atol=1e-12)


def test_weak_but_significant_trends_at_a_loose_trend_alpha():
    # at trend_alpha = 0.5 a trend z of 0.8 (p = 2 sf(0.8) = 0.424) is significant: up for a
    # unit hot throughout is intensifying, down diminishing; a cold unit with an upward z is
    # fading (diminishing cold), with a downward z intensifying cold
    p = 2 * stats.norm.sf(0.8)
    b = np.array([[1] * 10, [1] * 10, [-1] * 10, [-1] * 10])
    got = classify(b, np.array([0.8, -0.8, 0.8, -0.8]), np.full(4, p), 0.5).tolist()
    assert got == [
        "intensifying hot spot",
        "diminishing hot spot",
        "diminishing cold spot",
        "intensifying cold spot",
    ]


def test_the_result_repr_hides_the_z_and_bin_tables():
    res = run(strip(STRIP), fdr=None)
    assert repr(res) == f"EmergingHotSpots(units={res.units!r}, settings={res.settings!r})"


def test_a_bin_at_exactly_alpha_is_not_significant_and_cold_steps_are_counted():
    cube = strip(STRIP)
    res = run(cube, fdr=None)
    assert_allclose(res.z.to_numpy(), STRIP_Z, atol=1e-12)
    # alpha = 0.5: |z| above isf(0.25) = 0.674 counts: C is cold in period 1 (-0.956) and hot
    # in period 3 (1.4); 0.632 is not enough. Hot in the last step and never before: new.
    res = run(cube, fdr=None, alpha=0.5)
    assert res.units["n_hot"].tolist() == [0, 0, 1]
    assert res.units["n_cold"].tolist() == [0, 0, 1]
    assert res.units["category"].tolist() == ["no pattern", "no pattern", "new hot spot"]
    # alpha exactly C's last p: "below alpha" fails, so C is not hot; one step up it is
    p = float(2 * stats.norm.sf(abs(res.z.iloc[2, 2])))
    assert_allclose(p, 2 * stats.norm.sf(1.4), rtol=1e-12)
    assert run(cube, fdr=None, alpha=p).units["n_hot"].tolist() == [0, 0, 0]
    assert run(cube, fdr=None, alpha=np.nextafter(p, 1)).units["n_hot"].tolist() == [0, 0, 1]


def test_summary_words():
    cube = strip(STRIP)
    res = run(cube, fdr=None, alpha=0.5)
    assert res.summary().splitlines() == [
        "3 units over 3 periods (2024-01-01 to 2024-03-01); Gi* with rook contiguity and the 1 "
        "period before, compared with the entire cube; a period counts as hot at 50% confidence"
        " (no correction for testing every unit).",
        "  new hot spot: 1 units",
        "  no pattern: 2 units",
        "Note: with 3 periods no Mann-Kendall trend can reach trend_alpha=0.05 (the smallest "
        "p-value 3 periods allow is 0.30); at least 5 are needed, so no place can be "
        "intensifying or diminishing",
    ]
    # FDR at 0.10 is 90% confidence; two time steps are "periods"; none: no time-step words
    first = run(cube, fdr=0.10, time_step=2).summary().splitlines()[0]
    assert first.endswith(
        "rook contiguity and the 2 periods before, compared with the entire cube; a period "
        "counts as hot at 90% confidence after the false discovery rate correction."
    )
    first = run(cube, time_step=0).summary().splitlines()[0]
    assert "Gi* with rook contiguity, compared with" in first and "before" not in first


def test_period_arguments_at_their_limits():
    cube = strip(STRIP)
    for bad in (0, 0.0, 1, 1.0, 1.5, -0.1):
        with pytest.raises(HspworkError) as err:
            emerging_hotspots(cube, neighbours="rook", fdr=bad)
        assert str(err.value) == f"fdr must be between 0 and 1 (or None), got {bad!r}"
    # just inside both ends: accepted
    assert run(cube, fdr=0.01).settings["fdr"] == 0.01
    assert run(cube, fdr=0.99).settings["fdr"] == 0.99
    # six missing columns: the message lists the first five
    wanted = [f"2030-{m:02d}-01" for m in range(1, 7)]
    with pytest.raises(SchemaError) as err:
        emerging_hotspots(cube, wanted)
    assert str(err.value) == (
        f"period columns not in cube: {wanted[:5]}; the cube has "
        "['unit_id', '2024-01-01', '2024-02-01', '2024-03-01', 'geometry']"
    )


def test_too_few_periods_says_how_many_are_gaps_only_when_there_are_gaps():
    with pytest.raises(HspworkError) as err:
        emerging_hotspots(strip([[1, 2], [3, 4]]))
    assert str(err.value) == "emerging hot spots need at least 3 periods with data, got 2"
    with pytest.warns(HspworkWarning), pytest.raises(HspworkError) as err:
        emerging_hotspots(strip([[1, 0, 2], [3, 0, 4]]))
    assert str(err.value) == (
        "emerging hot spots need at least 3 periods with data, got 2 (1 of 3 are gaps)"
    )


def test_each_warning_says_its_own_thing_and_points_at_the_caller():
    # five months: February empty everywhere (a gap), May half inside the study window; three
    # months are left, too few for a trend. Three warnings, each with its own text, each
    # reported at the analyst's line, not inside hspwork.
    cube = strip([[1, 0, 0, 2, 1], [0, 0, 2, 0, 1], [0, 0, 0, 3, 1]])
    cube.attrs["partial_periods"] = {"2024-05-01": 0.5}
    with pytest.warns(HspworkWarning) as caught:
        res = emerging_hotspots(cube, neighbours="rook")
    texts = [str(w.message) for w in caught]
    assert texts == [
        "1 of 5 periods have no record anywhere in the area (2024-02-01): gaps in the data, not "
        "periods without crime; left out, so no place is labelled from them",
        "1 of 5 periods reach outside the study window (2024-05-01: 50% inside): their counts "
        "are low because of the window, not the places; left out",
        "with 3 periods no Mann-Kendall trend can reach trend_alpha=0.05 (the smallest p-value "
        "3 periods allow is 0.30); at least 5 are needed, so no place can be intensifying or "
        "diminishing",
    ]
    assert res.notes == texts
    assert [w.filename for w in caught] == [__file__] * 3


def test_gap_names_six_in_full_then_and_so_many_more():
    def warned(n_gaps):
        names = [f"2024-{m:02d}-01" for m in range(1, n_gaps + 4)]
        values = np.zeros((3, n_gaps + 3))
        values[:, [0, -2, -1]] = [[1, 0, 0], [0, 2, 0], [0, 0, 3]]
        with pytest.warns(HspworkWarning) as caught:
            emerging_hotspots(strip(values, names), neighbours="rook")
        return str(caught[0].message)

    # gaps are the months 2..n+1: six are listed in full, of seven the first six and "1 more",
    # of nine "3 more"
    assert "(2024-02-01, 2024-03-01, 2024-04-01, 2024-05-01, 2024-06-01, 2024-07-01):" in warned(6)
    assert (
        "(2024-02-01, 2024-03-01, 2024-04-01, 2024-05-01, 2024-06-01, 2024-07-01 and 1 more):"
    ) in warned(7)
    assert "2024-07-01 and 3 more):" in warned(9)


def chart_result(n_hot):
    """A result of len(n_hot) units over 6 periods, all persistent hot spots, with unit ids
    100, 101, ... and unit k's z-series all k (so its mean z is k); fdr 0.10."""
    n = len(n_hot)
    periods = [f"2024-{m:02d}-01" for m in range(1, 7)]
    units = gpd.GeoDataFrame(
        {
            "unit_id": 100 + np.arange(n),
            "category": ["persistent hot spot"] * n,
            "n_hot": n_hot,
        },
        geometry=[shapely.box(100 * i, 0, 100 * i + 100, 100) for i in range(n)],
        crs=27700,
    )
    z = pd.DataFrame(np.repeat(np.arange(n, dtype=float)[:, None], 6, axis=1), columns=periods)
    return EmergingHotSpots(units, z, z.astype(int), {"fdr": 0.10, "alpha": 0.10})


def legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_chart_draws_the_six_most_often_hot_units_by_default():
    import matplotlib.pyplot as plt

    # seven hot-spot units, hot in 0..6 periods: the six most often hot are drawn, numbered
    res = chart_result([0, 1, 2, 3, 4, 5, 6])
    fig = res.plot()
    assert legend(fig) == [
        f"hot spot {k + 1}: persistent hot spot (hot in {6 - k} of 6)" for k in range(6)
    ]
    # the guide lines at +-1.645 (two-sided 0.10), visible
    guides = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == ":"]
    assert_allclose(
        sorted(ln.get_ydata()[0] for ln in guides), [-1.6448536269514722, 1.64485362695]
    )
    assert all(ln.get_linewidth() > 0 for ln in guides)
    plt.close(fig)


def test_chart_of_places_draws_eight_and_skips_places_outside_the_result():
    import matplotlib.pyplot as plt

    res = chart_result([1] * 12)
    # place 1 holds no unit of the result (it is skipped, the others still drawn); places 2..10
    # hold units 101..109 and 100: the best of each is its highest mean z. Eight places are
    # drawn: 1 (nothing) and 2..8.
    places = pd.DataFrame(
        {"place_id": range(1, 11), "unit_ids": [[999]] + [[100, 100 + k] for k in range(1, 10)]}
    )
    fig = res.plot(places=places)
    assert legend(fig) == [f"place {k}: persistent hot spot (hot in 1 of 6)" for k in range(2, 9)]
    # each place's line is its best unit's z (unit 100 + k - 1 has mean z k - 1)
    drawn = [ln.get_ydata()[0] for ln in fig.axes[0].lines if ln.get_linestyle() != ":"]
    assert drawn == [float(k - 1) for k in range(2, 9)]
    plt.close(fig)


def test_chart_takes_units_and_axes_by_name_and_places_only_by_name():
    import matplotlib.pyplot as plt

    res = chart_result([3, 2])
    fig, ax = plt.subplots()
    assert res.plot(unit_ids=[101], ax=ax, labels={101: "the high street"}) is fig
    assert legend(fig) == ["the high street"]
    with pytest.raises(TypeError):
        res.plot([101], ax, None)
    plt.close("all")


def test_small_rates_give_the_same_z_as_counts():
    # Gi* z does not change when every value is scaled: rates a tenth of the strip's counts
    # (sd sqrt(10)/30, every denominator below 1) give STRIP_Z
    res = run(strip(np.array(STRIP) / 10), fdr=None)
    assert_allclose(res.z.to_numpy(), STRIP_Z, atol=1e-12)


def test_last_bin_is_the_confidence_level_of_the_final_period():
    # A strip of five, 1 everywhere, the middle unit 11 in the last period; no time step. Adding
    # 1 everywhere changes no z, so take the spike alone: N = 15, mean 10/15, sd 10 sqrt(14)/15.
    # A bin with the spike among its 3 units: (10 - 3 * 10/15) / (sd sqrt((45 - 9)/14)) =
    # 8 / 4 = 2.0, p = 0.0455: 95% (bin 2). The end units (2 bins, no spike) and every earlier
    # period are not significant (|z| = 2/sqrt(26) and 0.5 or less).
    values = np.ones((5, 3))
    values[2, 2] = 11
    res = run(strip(values), fdr=None, time_step=0)
    assert_allclose(res.z.to_numpy()[:, 2], [-2 / np.sqrt(26), 2, 2, 2, -2 / np.sqrt(26)])
    assert res.units["last_bin"].tolist() == [0, 2, 2, 2, 0]


def test_the_old_fdr_bool_warning_points_at_the_caller():
    with pytest.warns(FutureWarning) as caught:
        warnings.simplefilter("ignore", HspworkWarning)  # the 3 periods' trend note
        emerging_hotspots(strip(STRIP), neighbours="rook", fdr=True)
    (old,) = [w for w in caught if issubclass(w.category, FutureWarning)]
    assert str(old.message) == "fdr=True is deprecated: fdr is a level (or None); write fdr=0.1"
    assert old.filename == __file__


def test_a_partial_period_not_analysed_is_not_mentioned():
    # count_by_period noted April as partial, but the analyst analyses January to March only:
    # nothing is left out and nothing is said (trend_alpha 0.3 is in reach of 3 periods, whose
    # smallest p is 0.2963)
    cube = strip([[1, 0, 0, 5], [0, 2, 0, 5], [0, 0, 3, 5]])
    cube.attrs["partial_periods"] = {"2024-04-01": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = emerging_hotspots(cube, cube.attrs["periods"][:3], neighbours="rook", trend_alpha=0.3)
    assert res.settings["partial"] == [] and res.notes == []
    assert res.settings["periods"] == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_defaults_of_the_trend_helpers_are_esris_005():
    # trend_alpha 0.05: five periods (min p 0.0275; four give 0.0894); a unit hot throughout
    # with a trend p just below 0.05 is intensifying, at 0.05 persistent
    assert mann_kendall_min_periods() == 5
    b = np.ones((2, 10), dtype=int)
    got = classify(b, np.array([2.0, 2.0]), np.array([0.0499, 0.05])).tolist()
    assert got == ["intensifying hot spot", "persistent hot spot"]


def test_space_time_gistar_counts_each_units_own_neighbours():
    # nearest neighbours need not be mutual: A -> B, B -> C, C -> B (B is the neighbour of two,
    # A of none). Each period alone against the whole cube (N = 9, mean 2/3, sd sqrt(10)/3):
    # every unit has 2 bins, sd sqrt((18 - 4) / 8) = sqrt(17.5)/3. Period 1: A + B = 1, so
    # (1 - 4/3) / (sqrt(17.5)/3) = -1/sqrt(17.5); B + C = 0: -4/sqrt(17.5); C + B = 0 too.
    w = sparse.csr_matrix(np.array([[0, 1, 0], [0, 0, 1], [0, 1, 0]], dtype=float))
    z = space_time_gistar(np.array(STRIP, float), w, 0)
    assert_allclose(z[:, 0], np.array([-1, -4, -4]) / np.sqrt(17.5), atol=1e-12)


def test_no_gi_star_when_a_neighbourhood_is_the_whole_area():
    # three units, each the neighbour of the other two, each period compared with itself: every
    # neighbourhood holds all N bins, N c - c^2 = 0, so no z (NaN), never an infinity from the
    # rounding of 0.3 + 0.8 + 0.7 against 3 times its mean
    w = sparse.csr_matrix(np.ones((3, 3)) - np.eye(3))
    y = np.array([[0.6, 0.3, 0.0], [0.0, 0.8, 0.9], [0.6, 0.7, 0.5]])
    assert np.isnan(space_time_gistar(y, w, 0, "individual time step")).all()


def test_options_after_the_periods_are_by_name_only():
    cube = strip(STRIP)
    res = run(cube=cube, periods=cube.attrs["periods"], fdr=None)
    assert_allclose(res.z.to_numpy(), STRIP_Z, atol=1e-12)
    with pytest.raises(TypeError):
        emerging_hotspots(cube, None, "rook")


def test_missing_columns_message_shows_the_first_twelve_of_the_cube():
    names = [f"2024-{m:02d}-01" for m in range(1, 13)] + ["2025-01-01"]
    cube = strip(np.ones((3, 13)), names)  # unit_id, 13 months, geometry: 15 columns
    with pytest.raises(SchemaError) as err:
        emerging_hotspots(cube, ["2030-01-01"])
    assert str(err.value) == (
        f"period columns not in cube: ['2030-01-01']; the cube has {['unit_id', *names[:11]]}"
    )


def test_a_cube_without_unit_ids_gets_them_first():
    cube = strip(STRIP).drop(columns="unit_id")
    res = run(cube, fdr=None)
    assert list(res.units.columns[:2]) == ["unit_id", "geometry"]
    assert res.units["unit_id"].tolist() == [0, 1, 2]


def test_chart_layout_as_the_briefings_show_it():
    # the briefing's figure: 10 x 4 inches; the periods upright (90 degrees) in 7 pt; the
    # guide lines 1 pt; the legend in 7 pt beside the axes (its top-left corner at 1.01, 1.0
    # of the axes), without a frame so it does not box in the words
    import matplotlib.pyplot as plt

    fig = chart_result([0, 1, 2]).plot()
    ax = fig.axes[0]
    assert_allclose(fig.get_size_inches(), [10.0, 4.0])
    guides = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    assert [ln.get_linewidth() for ln in guides] == [1.0, 1.0]
    ticks = ax.get_xticklabels()
    assert {t.get_rotation() for t in ticks} == {90.0} and {t.get_fontsize() for t in ticks} == {
        7.0
    }
    leg = ax.get_legend()
    assert {t.get_fontsize() for t in leg.get_texts()} == {7.0} and leg.get_frame_on() is False
    corner = leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert_allclose([corner.x0, corner.y0], [1.01, 1.0], atol=1e-9)
    plt.close(fig)
