"""staggered_effect: by hand, against Wooldridge's saturated Poisson GLM, and by simulation."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation import estimate_effect, staggered_effect
from hspwork.evaluation.staggered import _influence

COLS = dict(outcome="crimes", unit="place", period="week", first_treated="start")


def rollout(seed, slope=0.035, n_never=10, per=20, starts=(13, 26, 39), n_weeks=52, rate=3.0):
    """Places starting in three waves; the effect deepens week by week after each start:
    ratio exp(−slope·(e + 1)) in the e-th week since the place's start."""
    rng = np.random.default_rng(seed)
    n = n_never + per * len(starts)
    u, t = np.repeat(np.arange(n), n_weeks), np.tile(np.arange(n_weeks), n)
    first = np.concatenate([np.full(n_never, -1)] + [np.full(per, s) for s in starts])
    start = first[u]
    on = (start >= 0) & (t >= start)
    ratio = np.where(on, np.exp(-slope * (np.where(on, t - start, 0) + 1)), 1.0)
    mu0 = rate * rng.gamma(2, 0.5, n)[u] * np.exp(0.2 * np.sin(2 * np.pi * t / 52))
    y = rng.poisson(rng.gamma(5.0, 0.2 * mu0 * ratio))  # overdispersed (alpha 0.2)
    panel = pd.DataFrame(dict(place=u, week=t, start=start, crimes=y))
    panel["on"], panel["one"] = on.astype(int), 1
    return panel, (mu0 * ratio)[on], mu0[on], on


def small_rollout(seed=4):
    rng = np.random.default_rng(seed)
    n_u, n_t = 30, 8
    u, t = np.repeat(np.arange(n_u), n_t), np.tile(np.arange(n_t), n_u)
    start = np.array([-1] * 10 + [3] * 10 + [5] * 10)[u]
    on = (start >= 0) & (t >= start)
    y = rng.poisson(4 * np.exp(rng.normal(0, 0.5, n_u))[u] * np.where(on, 0.7, 1.0))
    return pd.DataFrame(dict(place=u, week=t, start=start, crimes=y)), on


def test_hand_worked_two_place_panel():
    # N never treated: 2, 5, 6. A starts in week 2: 3, 1, then 2 observed. The untreated 2 x 2
    # block gives A's level as 4/7 of N's, and week 2's level is N's 6, so A's counterfactual
    # in week 2 is 6 x 4/7 = 24/7 and the rate ratio 2 / (24/7) = 7/12.
    panel = pd.DataFrame(
        {"place": ["N"] * 3 + ["A"] * 3, "week": [0, 1, 2] * 2, "start": [-1] * 3 + [2] * 3,
         "crimes": [2, 5, 6, 3, 1, 2]}
    )  # fmt: skip
    for control in ("never", "not-yet"):
        r = staggered_effect(panel, **COLS, control=control, pre_periods=0)
        assert_allclose(r.irr, 7 / 12, rtol=1e-10)
        assert_allclose(r.counterfactual, 24 / 7, rtol=1e-10)
        assert r.observed == 2 and r.n_treated_units == 1 and r.n_cohorts == 1
        row = r.by_event_time.set_index("event_time").loc[0]
        assert_allclose(row["irr"], 7 / 12, rtol=1e-10)
        assert row["place_periods"] == 1


def saturated_reference(panel, on):
    """Wooldridge's extended Poisson TWFE: place and week dummies and one dummy per treated
    place-week, fitted by statsmodels; its place and week effects impute the counterfactual."""
    u = pd.factorize(panel["place"], sort=True)[0]
    t = pd.factorize(panel["week"], sort=True)[0]
    U = pd.get_dummies(u).to_numpy(float)
    T = pd.get_dummies(t).to_numpy(float)[:, 1:]
    cells = np.flatnonzero(on)
    D = np.zeros((len(panel), cells.size))
    D[cells, np.arange(cells.size)] = 1.0
    X = np.column_stack([U, T, D])
    fit = sm.GLM(panel["crimes"].to_numpy(float), X, family=sm.families.Poisson()).fit(
        tol=1e-13, cov_type="cluster", cov_kwds={"groups": u, "use_correction": False}
    )
    k = U.shape[1] + T.shape[1]
    mu0 = np.exp(X[:, :k] @ fit.params[:k])
    return fit, X, k, mu0, u


@pytest.mark.slow  # a saturated statsmodels fit as the reference: seconds, kept out of make test-fast
def test_not_yet_equals_wooldridge_saturated_poisson_and_its_delta_method():
    panel, on = small_rollout()
    fit, X, k, mu0, u = saturated_reference(panel, on)
    y = panel["crimes"].to_numpy(float)
    r = staggered_effect(panel, **COLS, control="not-yet", pre_periods=0)
    assert_allclose(r.irr, y[on].sum() / mu0[on].sum(), rtol=1e-9)
    e = (panel["week"] - panel["start"]).to_numpy()
    for ev, row in r.by_event_time.set_index("event_time").iterrows():
        m = on & (e == ev)
        assert_allclose(row["irr"], y[m].sum() / mu0[m].sum(), rtol=1e-9)
    # the imputation step's share of the variance: the delta method on statsmodels'
    # cluster-robust covariance of the saturated model (its treated-cell scores are zero)
    S = mu0[on].sum()
    grad = np.zeros(X.shape[1])
    grad[:k] = -(X[on, :k] * mu0[on, None]).sum(0) / S
    ref_var = grad @ fit.cov_params() @ grad
    t = panel["week"].to_numpy()
    untreated = ~on
    infl = _influence(y, mu0, u, t, untreated, untreated, [on], 30, 8)
    assert_allclose(np.sum(infl[:, 0] ** 2), ref_var, rtol=1e-7)
    # the reported error adds the treated place-periods' own noise around their event-time
    # ratio (Borusyak, Jaravel & Spiess's conservative choice), place by place
    ratio_e = pd.Series(y[on]).groupby(e[on]).sum() / pd.Series(mu0[on]).groupby(e[on]).sum()
    dev = np.where(on, y - ratio_e.reindex(e).fillna(0).to_numpy() * mu0, 0.0)
    psi = np.bincount(u, weights=dev, minlength=30) / y[on].sum() - infl[:, 0]
    assert_allclose(r.se, np.sqrt(30 / 29 * np.sum(psi**2)), rtol=1e-7)
    assert r.se > np.sqrt(ref_var * 30 / 29)


def test_never_control_equals_two_step_by_hand():
    panel, on = small_rollout(seed=5)
    y = panel["crimes"].to_numpy(float)
    never = panel["start"] < 0
    ref = sm.GLM(
        y[never],
        np.column_stack(
            [
                pd.get_dummies(panel.loc[never, "place"]).to_numpy(float),
                pd.get_dummies(panel.loc[never, "week"]).to_numpy(float)[:, 1:],
            ]
        ),
        family=sm.families.Poisson(),
    ).fit(tol=1e-13)
    gamma = np.r_[0.0, ref.params[10:]]  # week effects from the never-treated places only
    week = panel["week"].to_numpy()
    pre = ~never & ~on
    num = pd.Series(y[pre]).groupby(panel.loc[pre, "place"].to_numpy()).sum()
    den = pd.Series(np.exp(gamma[week[pre]])).groupby(panel.loc[pre, "place"].to_numpy()).sum()
    level = np.log(num / den)  # each started place's level from its own weeks before
    mu0 = np.exp(level.reindex(panel["place"]).to_numpy() + gamma[week])
    r = staggered_effect(panel, **COLS, control="never", pre_periods=0)
    assert_allclose(r.irr, y[on].sum() / mu0[on].sum(), rtol=1e-9)
    r2 = staggered_effect(panel, **COLS, control="not-yet", pre_periods=0)
    assert abs(r2.irr - r.irr) > 1e-4  # the later wave's weeks before add comparisons


@pytest.mark.slow
def test_simulated_rollouts_twfe_biased_imputation_unbiased_and_covers():
    """Three waves of 20 places and 10 never treated over 52 weeks; the effect deepens by
    3.5% a week after each start (true ratio about 0.62 over treated place-weeks). Two-way
    fixed effects reads about 0.80; the imputation estimate must be within 0.05 of the
    truth on average and its 95% interval cover the truth in at least 85% of replicates."""
    n_rep = 200
    truth, twfe = np.empty(n_rep), np.empty(n_rep)
    est = {c: np.empty(n_rep) for c in ("never", "not-yet")}
    cover = {c: np.empty(n_rep, bool) for c in ("never", "not-yet")}
    for i in range(n_rep):
        panel, mu1, mu0, _ = rollout(seed=300 + i)
        truth[i] = mu1.sum() / mu0.sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataDroppedWarning)  # a quiet place, now and then
            twfe[i] = estimate_effect(
                panel, outcome="crimes", treated="on", post="one", unit="place",
                period="week", model="poisson",
            ).irr  # fmt: skip
            for c in est:
                r = staggered_effect(panel, **COLS, control=c)
                est[c][i] = r.irr
                cover[c][i] = r.ci[0] < truth[i] < r.ci[1]
    assert 0.58 < truth.mean() < 0.66
    assert np.mean(twfe - truth) > 0.12  # the forbidden comparisons: towards no effect
    for c in est:
        assert abs(np.mean(est[c] - truth)) < 0.05, c
        assert cover[c].mean() >= 0.85, (c, cover[c].mean())


def test_effect_that_grows_is_seen_by_event_time():
    panel, _, _, _on = rollout(seed=7, slope=0.05, n_never=30)
    r = staggered_effect(panel, **COLS)
    e = r.by_event_time.set_index("event_time")
    # week 0 about exp(−0.05) = 0.95, week 20 about exp(−1.05) = 0.35
    assert 0.8 < e.loc[0, "irr"] < 1.1 and 0.25 < e.loc[20, "irr"] < 0.45
    assert (e.loc[[-4, -3, -2, -1], "ci_low"] < 1).all() and r.pretrend_df == 4
    assert r.pretrend_p > 0.01


def test_planted_pre_trend_is_flagged():
    panel, on = small_rollout(seed=8)
    rng = np.random.default_rng(9)
    e = (panel["week"] - panel["start"]).to_numpy()
    started = (panel["start"] >= 0).to_numpy()
    # started places climb in the weeks before their start (they were chosen as they rose)
    ramp = np.where(started & (e < 0), np.exp(0.35 * np.clip(e + 3, 0, None)), 1.0)
    panel["crimes"] = rng.poisson(6 * ramp * np.where(on, 0.7, 1.0))
    r = staggered_effect(panel, **COLS, control="not-yet", pre_periods=3)
    assert r.pretrend_p < 0.01
    assert "already moving differently" in r.summary()


def test_rows_that_cannot_be_imputed_are_counted():
    panel, _ = small_rollout(seed=10)
    # place 25 treated from the first week: nothing to impute its counterfactual from
    panel.loc[panel.place == 25, "start"] = 0
    # the last week has no untreated comparison once every place has started
    last = panel.week == 7
    panel.loc[panel.start < 0, "start"] = 7
    with pytest.warns(DataDroppedWarning, match="no untreated"):
        r = staggered_effect(panel, **COLS, control="not-yet")
    assert r.load_report.dropped == {
        "place with no untreated period to impute from": 8,
        "period with no untreated comparison place": int(last.sum()) - 1,
    }
    assert r.load_report.rows_read == 240


def test_periods_as_times_and_missing_start():
    panel, _on = small_rollout(seed=11)
    weeks = pd.Timestamp("2025-01-06", tz="Europe/London") + pd.to_timedelta(
        7 * panel["week"], unit="D"
    )
    start = pd.Timestamp("2025-01-06", tz="Europe/London") + pd.to_timedelta(
        7 * panel["start"].where(panel["start"] >= 0), unit="D"
    )  # NaT for never treated
    by_time = panel.assign(week=weeks, start=start)
    a = staggered_effect(by_time, **COLS)
    b = staggered_effect(panel, **COLS)
    assert_allclose(a.irr, b.irr, rtol=1e-12)
    assert_allclose(a.se, b.se, rtol=1e-12)


def test_errors_name_what_was_received():
    panel, _ = small_rollout(seed=12)
    with pytest.raises(SchemaError, match=r"lacks columns \['first'\]"):
        staggered_effect(panel, **{**COLS, "first_treated": "first"})
    with pytest.raises(HspworkError, match=r"control must be one of .*received 'all'"):
        staggered_effect(panel, **COLS, control="all")
    with pytest.raises(HspworkError, match=r"received 'negbin'"):
        staggered_effect(panel, **COLS, model="negbin")
    bad = panel.copy()
    bad.loc[3, "start"] = 5
    with pytest.raises(SchemaError, match="must be constant within each 'place'"):
        staggered_effect(bad, **COLS)
    everyone = panel.assign(start=np.where(panel.start < 0, 6, panel.start))
    with pytest.raises(HspworkError, match="use control='not-yet'"):
        staggered_effect(everyone, **COLS, control="never")
    with pytest.raises(HspworkError, match="no place-period is treated"):
        staggered_effect(panel.assign(start=-1), **COLS)


def test_summary_table_and_plot():
    import matplotlib

    panel, _ = small_rollout(seed=13)
    r = staggered_effect(panel, **COLS)
    text = r.summary()
    assert isinstance(text, str) and "Borusyak, Jaravel & Spiess" in text
    assert f"{r.irr:.3f}" in text and "30 places x 8 periods" in text
    t = r.table()
    assert t.loc[0, "estimate"] == "all treated place-periods" and pd.isna(t.loc[0, "event_time"])
    assert_allclose(t.loc[0, "irr"], r.irr)
    assert list(t["event_time"].dropna()) == list(r.by_event_time["event_time"])
    assert {"ci_low", "ci_high", "observed", "counterfactual", "method"} <= set(t.columns)
    fig = r.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
