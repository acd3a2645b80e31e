"""Staggered roll-outs worked by hand: three places over five weeks, the rows set aside and why,
the first treated period against the panel's periods, the refusals at their limits, and the
words, table and chart an analyst takes into a briefing.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation import staggered_effect
from hspwork.evaluation.staggered import StaggeredResult, _first_positions
from hspwork.report import LoadReport

COLS = dict(outcome="crimes", unit="place", period="week", first_treated="start")


def three_places(a=(2, 4, 3, 4, 5), n=(4, 6, 5, 10, 8), m=(2, 3, 5, 6, 4), start=3):
    """N and M never patrolled; A patrolled from week ``start``."""
    return pd.DataFrame(
        {
            "place": ["N"] * 5 + ["M"] * 5 + ["A"] * 5,
            "week": list(range(5)) * 3,
            "start": [-1] * 10 + [start] * 5,
            "crimes": [*n, *m, *a],
        }
    )


def test_three_places_by_hand_with_never_treated_comparisons():
    # Week effects from N and M alone: their weekly totals 6, 9, 10, 16, 12. A's level from its
    # weeks 0-2 given those: 2 + 4 + 3 = 9 crimes against 6 + 9 + 10 = 25, so A's expected
    # crime is 9/25 of the weekly total: week 3, 16 x 9/25 = 5.76; week 4, 12 x 9/25 = 4.32.
    # Observed 4 and 5: IRR 9 / 10.08 = 0.892857; by week since start 4/5.76, 5/4.32.
    r = staggered_effect(three_places(), **COLS, pre_periods=0)
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)
    assert_allclose([r.observed, r.counterfactual], [9.0, 10.08], rtol=1e-10)
    assert_allclose(r.percent_change, 100 * (9 / 10.08 - 1), rtol=1e-10)
    e = r.by_event_time
    assert e["event_time"].tolist() == [0, 1]
    assert_allclose(e["irr"], [4 / 5.76, 5 / 4.32], rtol=1e-10)
    assert_allclose(e["counterfactual"], [5.76, 4.32], rtol=1e-10)
    assert e["observed"].tolist() == [4.0, 5.0]
    assert e["places"].tolist() == [1, 1] and e["place_periods"].tolist() == [1, 1]
    assert (r.n_units, r.n_periods, r.n_treated_units, r.n_cohorts) == (3, 5, 1, 1)
    assert r.pretrend_df == 0 and np.isnan(r.pretrend_chi2) and np.isnan(r.pretrend_p)
    # the interval is exp(log irr -/+ z*se), the p-value two-sided from log irr / se
    z = 1.959963984540054
    assert_allclose(r.ci, np.exp(np.log(r.irr) + np.array([-z, z]) * r.se), rtol=1e-10)
    from scipy import stats

    assert_allclose(r.p_value, 2 * stats.norm.sf(abs(np.log(r.irr) / r.se)), rtol=1e-10)
    assert_allclose(e["ci_low"], np.exp(np.log(e["irr"]) - z * e["se"]), rtol=1e-10)
    assert_allclose(e["ci_high"], np.exp(np.log(e["irr"]) + z * e["se"]), rtol=1e-10)
    assert r.se > 0


def test_lead_ratios_before_the_start_by_hand():
    # pre_periods = 2: leads for A's weeks 1 and 2 (event times -2, -1). With them A's level
    # rests on week 0 alone: 2 crimes against N + M's 6, so A expects 1/3 of each week's total.
    # Week 1: 4 observed against 9/3 = 3, ratio 4/3; week 2: 3 against 10/3, ratio 0.9.
    r = staggered_effect(three_places(), **COLS, pre_periods=2)
    pre = r.by_event_time.iloc[:2]
    assert pre["event_time"].tolist() == [-2, -1]
    assert_allclose(pre["irr"], [4 / 3, 0.9], rtol=1e-6)
    assert_allclose(pre["counterfactual"], [3.0, 10 / 3], rtol=1e-6)
    assert pre["observed"].tolist() == [4.0, 3.0]
    assert pre["places"].tolist() == [1, 1] and pre["place_periods"].tolist() == [1, 1]
    assert r.pretrend_df == 2
    # the effect itself does not depend on the leads
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)


def test_first_treated_periods_against_the_panels_periods():
    big = np.iinfo(np.int64).max // 4
    weeks = pd.Index([0, 1, 2, 3])
    # missing and -1: never; 2: position 2; 5 (after the last week): never; -3: before the
    # first week, position 0; 1.5 falls between weeks and counts from week 2
    got = _first_positions(np.array([np.nan, -1, 2, 5, -3, 3, 1.5]), weeks)
    assert got.tolist() == [big, big, 2, big, 0, 3, 2]
    assert _first_positions(np.array([np.nan, np.nan]), weeks).tolist() == [big, big]
    days = pd.Index(pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"]))
    t = np.array([pd.Timestamp("2025-01-13"), pd.NaT, pd.Timestamp("2025-01-20")], dtype=object)
    assert _first_positions(t, days).tolist() == [1, big, 2]
    with pytest.raises(
        SchemaError, match=r"received \['week 2'\] against periods like \[0, 1, 2\]"
    ):
        _first_positions(np.array(["week 2"], dtype=object), weeks)


def test_a_start_in_the_last_week_and_one_after_it():
    # A starts in week 4, the last: one treated week, 12 x 9/... with A's level from weeks 0-3
    # (2+4+3+4 = 13 against 6+9+10+16 = 41): expected 12 x 13/41, observed 5
    r = staggered_effect(three_places(start=4), **COLS, pre_periods=0)
    assert_allclose(r.irr, 5 / (12 * 13 / 41), rtol=1e-10)
    with pytest.raises(HspworkError, match="no place-period is treated"):
        staggered_effect(three_places(start=5), **COLS, pre_periods=0)


def test_rows_with_nothing_to_learn_from_are_set_aside_by_reason():
    panel = pd.concat(
        [
            three_places(),
            # B: patrolled from week 3 too, but no crime in its weeks before
            pd.DataFrame({"place": "B", "week": range(5), "start": 3, "crimes": [0, 0, 0, 2, 1]}),
            # C: patrolled from week 0, nothing before to impute from
            pd.DataFrame({"place": "C", "week": range(5), "start": 0, "crimes": [1] * 5}),
        ],
        ignore_index=True,
    )
    with pytest.warns(DataDroppedWarning) as caught:
        r = staggered_effect(panel, **COLS, pre_periods=0)
    assert r.load_report.dropped == {
        "place with no untreated period to impute from": 5,
        "place with zero crimes before": 5,
    }
    assert all(w.filename == __file__ for w in caught)
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)
    assert (r.n_units, r.n_treated_units) == (3, 1)
    # a week when the comparison places had no crime says nothing about that week
    quiet = three_places(n=(4, 6, 5, 0, 8), m=(2, 3, 5, 0, 4))
    with pytest.warns(DataDroppedWarning):
        q = staggered_effect(quiet, **COLS, pre_periods=0)
    assert q.load_report.dropped == {"period with zero crimes in controls": 3}
    # left: week 4 only, 12 x 9/25 = 4.32 expected, 5 observed
    assert_allclose(q.irr, 5 / 4.32, rtol=1e-10)
    assert q.n_periods == 4


def test_a_panel_with_nothing_dropped_gives_no_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = staggered_effect(three_places(), **COLS, pre_periods=0)
    assert r.load_report.dropped == {}


def test_refusals_at_their_limits():
    p = three_places()
    with pytest.raises(SchemaError, match="panel must be a pandas DataFrame; received dict"):
        staggered_effect({}, **COLS)
    with pytest.raises(HspworkError, match="pre_periods must be 0 or more; received -1"):
        staggered_effect(p, **COLS, pre_periods=-1)
    with pytest.raises(HspworkError, match="level must be between 0 and 1"):
        staggered_effect(p, **COLS, level=1.0)
    two = p[p["week"] >= 3]
    one = p[p["week"] == 3]
    with pytest.raises(HspworkError, match="at least two periods; received 1"):
        staggered_effect(one, **COLS)
    # weeks 3 and 4 only: A starts in week 3, the first of the two, so it has no week before
    # and nothing can be imputed
    with pytest.raises(HspworkError, match="no treated place-period can be imputed"):
        with pytest.warns(DataDroppedWarning):
            staggered_effect(two, **COLS)
    r = staggered_effect(p.assign(start=p["start"].where(p["start"] > 0)), **COLS, pre_periods=0)
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)  # missing start: never patrolled
    r = staggered_effect(p, **COLS, pre_periods=0, model="quasipoisson")
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)
    assert r.model == "quasipoisson"


def result(**kw):
    by = pd.DataFrame(
        {
            "event_time": [-1, 0, 1],
            "irr": [1.1, 0.8, 0.7],
            "ci_low": [0.9, 0.6, 0.5],
            "ci_high": [1.3, 1.05, 0.95],
            "se": [0.1, 0.12, 0.15],
            "observed": [11.0, 40.0, 35.0],
            "counterfactual": [10.0, 50.0, 50.0],
            "places": [3, 3, 2],
            "place_periods": [3, 5, 5],
        }
    )
    base = dict(
        irr=0.75, ci=(0.6, 0.94), se=0.11, p_value=0.0123, by_event_time=by, pretrend_chi2=0.5,
        pretrend_df=1, pretrend_p=0.05, control="never", model="poisson", outcome="crimes",
        level=0.9, n_units=12, n_periods=20, n_treated_units=5, n_cohorts=2, observed=1234.0,
        counterfactual=1645.3, load_report=LoadReport("p", rows_read=240, rows_kept=240),
    )  # fmt: skip
    return StaggeredResult(**{**base, **kw})


def test_summary_words():
    s = result().summary().split("\n")
    assert s[0] == (
        "crimes: 1,234 observed against 1,645 expected without the programme in treated "
        "place-periods: IRR 0.750 (90% CI 0.600 to 0.940, p = 0.0123), a -25.0% change."
    )
    assert s[1] == (
        "Staggered roll-out: 5 places starting in 2 different periods, compared with places "
        "never patrolled (imputation estimator of Borusyak, Jaravel & Spiess, poisson; errors "
        "clustered by place); 12 places x 20 periods."
    )
    # p = 0.05 exactly: not a sign of diverging trends
    assert s[2] == (
        "no sign that started places were already diverging before their start (p = 0.05)."
    )
    assert s[3] == "p: read 240 rows, kept 240"
    low = result(pretrend_p=0.0499, control="not-yet").summary().split("\n")
    assert low[2] == (
        "started places were already moving differently before their start (p = 0.050): read "
        "the effect with care."
    )
    assert "compared with places never patrolled or not yet started" in low[1]
    assert result(pretrend_df=0).summary().split("\n")[2] == "no pre-period to check trends."


def test_table_rows_and_names():
    t = result().table()
    assert t["estimate"].tolist() == [
        "all treated place-periods",
        "1 period(s) before the start",
        "period 0 since the start",
        "period 1 since the start",
    ]
    assert t["event_time"].tolist()[1:] == [-1, 0, 1] and pd.isna(t["event_time"].iat[0])
    first = t.iloc[0]
    assert (first["irr"], first["ci_low"], first["ci_high"], first["se"]) == (0.75, 0.6, 0.94, 0.11)
    assert (first["p_value"], first["observed"], first["counterfactual"]) == (0.0123, 1234, 1645.3)
    # places: the treated places; place-periods: the treated ones only (5 + 5, not the lead's 3)
    assert first["places"] == 5 and first["place_periods"] == 10
    assert set(t["method"]) == {"imputation (Borusyak, Jaravel & Spiess), never controls"}
    assert set(t["outcome"]) == {"crimes"}


def test_chart_marks_the_start_and_colours_the_weeks_before():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = result().plot()
    ax = fig.axes[0]
    assert tuple(fig.get_size_inches()) == (8.0, 4.0)
    assert ax.get_yscale() == "log"
    one, start = ax.lines
    assert list(one.get_ydata()) == [1.0, 1.0] and one.get_linewidth() == 1
    assert list(start.get_xdata()) == [-0.5, -0.5] and start.get_linestyle() == "--"
    assert start.get_linewidth() == 1
    bars, dots = ax.collections
    assert list(bars.get_linewidths()) == [1.5]
    blue, red = matplotlib.colors.to_rgba("#5b7fa3"), matplotlib.colors.to_rgba("#c0504d")
    assert [tuple(c) for c in dots.get_facecolors()] == [blue, red, red]
    assert dots.get_zorder() == 3
    assert ax.get_title() == "crimes: IRR 0.75 (0.60 to 0.94) by time since start"
    assert ax.title.get_fontsize() == 9
    plt.close(fig)
    own_fig, own_ax = plt.subplots()
    assert result().plot(ax=own_ax) is own_fig
    plt.close(own_fig)


def test_a_place_left_with_no_crime_before_once_a_quiet_week_goes_is_dropped_next_round():
    # B starts in week 4; its only crime before is in week 3, when N and M had none. The first
    # round sets week 3 aside (no crime in the comparison places), which leaves B with no crime
    # before its start: the second round sets B aside too.
    panel = pd.concat(
        [
            three_places(n=(4, 6, 5, 0, 8), m=(2, 3, 5, 0, 4)),
            pd.DataFrame({"place": "B", "week": range(5), "start": 4, "crimes": [0, 0, 0, 2, 1]}),
        ],
        ignore_index=True,
    )
    with pytest.warns(DataDroppedWarning):
        r = staggered_effect(panel, **COLS, pre_periods=0)
    assert r.load_report.dropped == {
        "period with zero crimes in controls": 4,
        "place with zero crimes before": 4,
    }
    assert_allclose(r.irr, 5 / 4.32, rtol=1e-10)


def test_lead_errors_and_joint_test_equal_statsmodels_cluster_robust_fit():
    import statsmodels.api as sm
    from scipy import stats

    rng = np.random.default_rng(21)
    n_u, n_t = 24, 9
    u, t = np.repeat(np.arange(n_u), n_t), np.tile(np.arange(n_t), n_u)
    start = np.array([-1] * 8 + [5] * 8 + [7] * 8)[u]
    on = (start >= 0) & (t >= start)
    y = rng.poisson(5 * np.exp(rng.normal(0, 0.4, n_u))[u] * np.where(on, 0.7, 1.0))
    panel = pd.DataFrame(dict(place=u, week=t, start=start, crimes=y))
    r = staggered_effect(panel, **COLS, control="not-yet", pre_periods=2)
    # the reference: Poisson GLM on the untreated place-weeks with place and week dummies and
    # one dummy per lead (weeks -2 and -1 before a start), errors clustered by place x G/(G-1)
    keep = ~on
    e = t - start
    X = np.column_stack(
        [
            ((start >= 0) & (e == -2))[keep],
            ((start >= 0) & (e == -1))[keep],
            pd.get_dummies(u[keep]).to_numpy(float),
            pd.get_dummies(t[keep]).to_numpy(float)[:, 1:],
        ]
    ).astype(float)
    ref = sm.GLM(y[keep].astype(float), X, family=sm.families.Poisson()).fit(
        tol=1e-13, cov_type="cluster", cov_kwds={"groups": u[keep], "use_correction": False}
    )
    b = ref.params[:2]
    V = ref.cov_params()[:2, :2] * n_u / (n_u - 1)
    pre = r.by_event_time.iloc[:2]
    assert pre["event_time"].tolist() == [-2, -1]
    assert_allclose(pre["irr"], np.exp(b), rtol=1e-6)
    assert_allclose(pre["se"], np.sqrt(np.diag(V)), rtol=1e-5)
    z = 1.959963984540054
    assert_allclose(pre["ci_low"], np.exp(b - z * np.sqrt(np.diag(V))), rtol=1e-5)
    assert_allclose(pre["ci_high"], np.exp(b + z * np.sqrt(np.diag(V))), rtol=1e-5)
    chi2 = b @ np.linalg.solve(V, b)
    assert_allclose(r.pretrend_chi2, chi2, rtol=1e-5)
    assert_allclose(r.pretrend_p, stats.chi2.sf(chi2, 2), rtol=1e-5)
    assert r.pretrend_df == 2
    # each lead: the started places' weeks at that distance before their start (16 places)
    assert pre["places"].tolist() == [16, 16] and pre["place_periods"].tolist() == [16, 16]


def exact_panel():
    """N with 4 crimes every week; A with 2, 2 before its start in week 2, then 1, 1."""
    return pd.DataFrame(
        {
            "place": ["N"] * 4 + ["A"] * 4,
            "week": [0, 1, 2, 3] * 2,
            "start": [-1] * 4 + [2] * 4,
            "crimes": [4, 4, 4, 4, 2, 2, 1, 1],
        }
    )


def test_a_panel_the_model_fits_exactly_has_no_error_and_no_p_value():
    # N: 4 crimes every week; A: 2, 2 before its start in week 2, then 1, 1. A's level is
    # 4/8 = 1/2 of N's, so it expects 2 a week after its start: IRR 2/4 = 0.5. Every row is
    # fitted exactly, so there is no error to cluster: se 0, and no p-value to give
    panel = exact_panel()
    r = staggered_effect(panel, **COLS, pre_periods=0)
    assert r.irr == 0.5 and r.se == 0.0 and r.ci == (0.5, 0.5)
    assert np.isnan(r.p_value)


def test_harm_in_other_units_gives_the_same_errors():
    # the effect and its error do not depend on the unit of a harm-weighted outcome: harm in
    # hundredths (every event time's total below 1) gives the same ratios and errors as crimes
    rng = np.random.default_rng(31)
    n_u, n_t = 12, 6
    u, t = np.repeat(np.arange(n_u), n_t), np.tile(np.arange(n_t), n_u)
    start = np.array([-1] * 6 + [3] * 3 + [4] * 3)[u]
    y = rng.poisson(3.0, n_u * n_t)
    y[(start >= 0) & (t >= start)] = rng.poisson(0.4, int(((start >= 0) & (t >= start)).sum()))
    panel = pd.DataFrame(dict(place=u, week=t, start=start, crimes=y))
    a = staggered_effect(panel, **COLS, pre_periods=0)
    small = panel.assign(crimes=panel["crimes"] / 100)
    assert small.loc[(start >= 0) & (t >= start), "crimes"].sum() < 1
    b = staggered_effect(small, **COLS, pre_periods=0, model="quasipoisson")
    assert_allclose([b.irr, b.se], [a.irr, a.se], rtol=1e-8)
    assert_allclose(b.by_event_time["se"], a.by_event_time["se"], rtol=1e-8)


def test_a_week_with_no_crime_after_the_start_has_a_ratio_of_zero():
    # A's week 3 has no crime against 5.76 expected: a ratio of 0, not infinity; week 4, 5 against
    # 4.32; overall 5 against 10.08
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no log of zero on the way
        r = staggered_effect(three_places(a=(2, 4, 3, 0, 5)), **COLS, pre_periods=0)
    assert_allclose(r.irr, 5 / 10.08, rtol=1e-10)
    assert_allclose(r.by_event_time["irr"], [0.0, 5 / 4.32], rtol=1e-10)


def test_a_start_missing_in_some_weeks_of_a_place_is_not_constant():
    p = three_places()
    p.loc[(p["place"] == "A") & (p["week"] == 2), "start"] = np.nan
    with pytest.raises(SchemaError, match=r"'start' must be constant within each 'place'; it "
                                          r"varies for \['A'\]$"):  # fmt: skip
        staggered_effect(p, **COLS)


def test_the_places_whose_start_varies_are_named_five_at_most():
    # seven places: P0..P5 change their start in week 4, Q keeps its own
    rows = []
    for name in ["P0", "P1", "P2", "P3", "P4", "P5", "Q"]:
        for week in range(5):
            start = 3 if name == "Q" or week < 4 else 2
            rows.append({"place": name, "week": week, "start": start, "crimes": 3})
    with pytest.raises(SchemaError) as e:
        staggered_effect(pd.DataFrame(rows), **COLS)
    assert str(e.value).endswith("it varies for ['P0', 'P1', 'P2', 'P3', 'P4']")


def test_options_are_keyword_only_and_the_repr_leaves_out_the_report():
    with pytest.raises(TypeError):
        staggered_effect(three_places(), "crimes", "place", "week", "start")
    text = repr(staggered_effect(three_places(), **COLS, pre_periods=0))
    assert text.startswith("StaggeredResult(irr=0.89") and "load_report" not in text


def test_one_lead_before_the_start_by_hand():
    # pre_periods = 1: a lead for A's week 2 alone. A's level from weeks 0-1: 2 + 4 = 6 against
    # N + M's 6 + 9 = 15, so week 2 expects 10 x 6/15 = 4 and saw 3: a ratio of 0.75
    r = staggered_effect(three_places(), **COLS, pre_periods=1)
    pre = r.by_event_time.iloc[:1]
    assert pre["event_time"].tolist() == [-1] and r.pretrend_df == 1
    assert_allclose(pre["irr"], [0.75], rtol=1e-6)
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)


def test_first_treated_values_unlike_the_periods_are_named_five_at_most():
    # weeks are numbers; the six places' starts are words: the first five are named
    p = pd.concat([three_places(), three_places().assign(place=lambda d: d["place"] + "2")])
    p["start"] = "week of " + p["place"]
    with pytest.raises(SchemaError) as e:
        staggered_effect(p, **COLS)
    assert str(e.value).endswith(
        "received ['week of A', 'week of A2', 'week of M', 'week of M2', 'week of N'] "
        "against periods like [0, 1, 2]"
    )


def test_rows_in_any_order_give_the_same_answer():
    # a force's export is not sorted by week: the weeks are still read in their order
    p = three_places().sample(frac=1.0, random_state=3)
    assert p["week"].iloc[0] != 0
    r = staggered_effect(p, **COLS, pre_periods=1)
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)
    assert r.by_event_time["event_time"].tolist() == [-1, 0, 1]
    assert_allclose(r.by_event_time["irr"].iloc[0], 0.75, rtol=1e-6)


def test_leads_asked_for_but_the_week_before_the_start_set_aside():
    # no crime in N and M in week 2, so week 2 (A's lead -1) has no comparison and goes; A's
    # weeks 0-1 are leads -3 and -2, outside pre_periods = 1: no lead is left to test
    p = three_places(n=(4, 6, 0, 10, 8), m=(2, 3, 0, 6, 4))
    with pytest.warns(DataDroppedWarning):
        r = staggered_effect(p, **COLS, pre_periods=1)
    assert r.pretrend_df == 0 and np.isnan(r.pretrend_chi2) and np.isnan(r.pretrend_p)
    assert r.by_event_time["event_time"].tolist() == [0, 1]


def _staggered_panel():
    """Three never-patrolled places and three starting in weeks 2, 3 and 4, six weeks."""
    rng = np.random.default_rng(7)
    starts = dict(N=-1, M=-1, L=-1, A=2, B=3, C=4)
    rows = [
        (q, w, s, int(rng.poisson(6 + w + 2 * i)))
        for i, (q, s) in enumerate(starts.items())
        for w in range(6)
    ]
    return pd.DataFrame(rows, columns=["place", "week", "start", "crimes"])


def _imputed_by_glm(p, weight, control):
    """Imputed crime of the treated rows from a statsmodels Poisson fit with place weights.

    The period effects come from the comparison rows (never-patrolled places, or with
    'not-yet' every untreated row) fitted with ``weight`` per place; a started place's level
    under 'never' is the weighted Poisson MLE given those period effects.
    """
    import statsmodels.api as sm

    w = p["place"].map(weight)
    started = p["start"] >= 0
    untreated = ~(started & (p["week"] >= p["start"]))
    fit_rows = untreated & (~started if control == "never" else True)
    d = p[fit_rows]
    x = pd.get_dummies(d["place"], prefix="place", dtype=float).join(
        pd.get_dummies(d["week"], prefix="w", drop_first=True, dtype=float)
    )
    f = sm.GLM(d["crimes"], x, family=sm.families.Poisson(), freq_weights=w[fit_rows])
    params = f.fit(tol=1e-14, maxiter=200).params
    gamma = {0: 0.0, **{int(c[2:]): v for c, v in params.items() if c.startswith("w_")}}
    alpha = {c[6:]: v for c, v in params.items() if c.startswith("place_")}
    for q, g in p[untreated & started].groupby("place"):
        if q not in alpha:  # 'never': the place's level given the period effects
            eg = np.exp(g["week"].map(gamma))
            alpha[q] = np.log((w[g.index] * g["crimes"]).sum() / (w[g.index] * eg).sum())
    return np.exp(p["place"].map(alpha) + p["week"].map(gamma)).where(~untreated, 0.0)


@pytest.mark.parametrize("control", ["never", "not-yet"])
def test_standard_errors_from_the_derivative_of_the_estimate_by_place(control):
    # An independent reference for the influence of each place: weight one place's
    # comparison rows by 1 +/- 1e-4 in a statsmodels Poisson fit and difference the log of the
    # imputed total (the influence through the fitted effects). The direct part is the treated
    # rows' deviation from their event time's ratio over the observed total (Borusyak, Jaravel
    # and Spiess's residuals from group means); se = sqrt(n/(n-1) sum of squares)
    p = _staggered_panel()
    r = staggered_effect(p, **COLS, pre_periods=0, control=control)
    places, eps = list(dict.fromkeys(p["place"])), 1e-4
    mu = _imputed_by_glm(p, dict.fromkeys(places, 1.0), control)
    shifted = {
        (q, sign): _imputed_by_glm(p, {o: 1.0 + sign * eps * (o == q) for o in places}, control)
        for q in places
        for sign in (1, -1)
    }
    ev = np.where(p["start"] >= 0, p["week"] - p["start"], -1)
    treated = ev >= 0
    ratio = {e: p["crimes"][ev == e].sum() / mu[ev == e].sum() for e in range(4)}
    dev = np.where(treated, p["crimes"] - pd.Series(ev).map(ratio) * mu, 0.0)
    sets = {"all": treated, **{e: ev == e for e in range(4)}}
    expected = {}
    for name, s in sets.items():
        psi = []
        for q in places:
            d_log = np.log(shifted[q, 1][s].sum()) - np.log(shifted[q, -1][s].sum())
            direct = dev[s & (p["place"] == q).to_numpy()].sum() / p["crimes"][s].sum()
            psi.append(direct - d_log / (2 * eps))
        expected[name] = np.sqrt(6 / 5 * np.sum(np.square(psi)))
    assert_allclose(r.irr, p["crimes"][treated].sum() / mu[treated].sum(), rtol=1e-9)
    assert_allclose(r.se, expected["all"], rtol=1e-6)
    e = r.by_event_time.set_index("event_time")
    assert e.index.tolist() == [0, 1, 2, 3]
    assert_allclose(e["se"], [expected[k] for k in range(4)], rtol=1e-6)


UNTESTED = (
    "the periods before each start could not be checked (too few places or periods before the "
    "starts, or an exact fit), so parallel trends are untested"
)


def test_an_exact_fit_has_no_pre_period_test_rather_than_one_of_rounding_noise():
    # the exactly fitted panel above with one lead: A's week 1 is 2 against 2 expected, a ratio
    # of 1 with no error at all, so the chi-squared would be 0/0 in rounding
    panel = exact_panel()
    r = staggered_effect(panel, **COLS, pre_periods=1)
    assert r.pretrend_df == 1 and np.isnan(r.pretrend_chi2) and np.isnan(r.pretrend_p)
    assert_allclose(r.by_event_time["irr"].iloc[0], 1.0, rtol=1e-9)
    assert UNTESTED in r.summary()


def test_leads_covering_every_week_before_the_start_are_not_tested():
    # A starts in week 3 and pre_periods = 3 makes leads of weeks 0, 1 and 2: with A's level
    # they cannot be told apart, so there is no test (and no error either)
    r = staggered_effect(three_places(), **COLS, pre_periods=3)
    assert r.pretrend_df == 3 and np.isnan(r.pretrend_chi2) and np.isnan(r.pretrend_p)
    assert r.by_event_time["event_time"].tolist() == [0, 1]
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)
    assert UNTESTED in r.summary()


def test_more_leads_than_the_places_can_test_are_not_tested():
    # three places give a clustered covariance of rank 2 at most; three leads cannot be tested
    # jointly, though each has a ratio
    p = pd.DataFrame(
        {
            "place": ["N"] * 6 + ["M"] * 6 + ["A"] * 6,
            "week": list(range(6)) * 3,
            "start": [-1] * 12 + [4] * 6,
            "crimes": [4, 6, 5, 10, 8, 7, 2, 3, 5, 6, 4, 5, 2, 4, 3, 5, 4, 5],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = staggered_effect(p, **COLS, pre_periods=3)
    assert r.pretrend_df == 3 and np.isnan(r.pretrend_chi2) and np.isnan(r.pretrend_p)
    assert r.by_event_time["event_time"].tolist() == [-3, -2, -1, 0, 1]


def test_a_place_with_one_week_before_its_start_and_no_crime_in_it_is_set_aside():
    # B starts in week 1: its one week before has no crime, so it has no level to impute from
    panel = pd.concat(
        [
            three_places(),
            pd.DataFrame({"place": "B", "week": range(5), "start": 1, "crimes": [0, 2, 1, 3, 2]}),
        ],
        ignore_index=True,
    )
    with pytest.warns(DataDroppedWarning):
        r = staggered_effect(panel, **COLS, pre_periods=0)
    assert r.load_report.dropped == {"place with zero crimes before": 5}
    assert_allclose(r.irr, 9 / 10.08, rtol=1e-10)


def test_a_week_with_one_comparison_place_and_no_crime_there_is_set_aside():
    # M has no row for week 3 and N had no crime that week: week 3 (N's row and A's) goes, and
    # A is judged on week 4 alone: 12 x 9/25 = 4.32 expected, 5 observed
    panel = three_places(n=(4, 6, 5, 0, 8))
    panel = panel[~((panel["place"] == "M") & (panel["week"] == 3))]
    with pytest.warns(DataDroppedWarning):
        r = staggered_effect(panel, **COLS, pre_periods=0)
    assert r.load_report.dropped == {"period with zero crimes in controls": 2}
    assert_allclose(r.irr, 5 / 4.32, rtol=1e-10)
