"""Dose-response and complier effect against statsmodels, explicit 2SLS algebra and by hand."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation import complier_effect, dose_response

matplotlib.use("Agg")
IV = dict(
    outcome="crimes", dose="minutes", assigned="assigned", post="post", unit="spot", period="week"
)


def trial(n_units=40, n_periods=6, seed=0, effect_per_hour=-0.1):
    """Assignment raises patrol in the after period; each patrol hour cuts crime."""
    rng = np.random.default_rng(seed)
    spot = np.repeat(np.arange(n_units), n_periods)
    week = np.tile(np.arange(n_periods), n_units)
    assigned = (spot % 2).astype(int)
    post = (week >= n_periods // 2).astype(int)
    risk = rng.gamma(3, 1 / 3, n_units)[spot]  # places differ in crime
    shock = rng.gamma(4, 1 / 4, len(spot))  # period-specific crime shocks
    minutes = rng.gamma(2, 15, len(spot)) + assigned * post * rng.uniform(90, 150, len(spot))
    mu = 5 * risk * shock * np.exp(effect_per_hour * minutes / 60)
    return pd.DataFrame(
        dict(
            spot=spot,
            week=week,
            assigned=assigned,
            post=post,
            minutes=minutes,
            crimes=rng.poisson(mu),
        )
    )


def test_two_period_complier_effect_is_ratio_of_differences():
    p = trial(n_units=50, n_periods=2, seed=1)
    p = p[p.groupby("spot")["crimes"].transform("sum") > 0]
    r = complier_effect(p, **IV, per_minutes=60)
    m = p.groupby(["assigned", "post"])[["crimes", "minutes"]].mean()
    did_y = (m.loc[(1, 1), "crimes"] - m.loc[(1, 0), "crimes"]) - (
        m.loc[(0, 1), "crimes"] - m.loc[(0, 0), "crimes"]
    )
    did_d = (m.loc[(1, 1), "minutes"] - m.loc[(1, 0), "minutes"]) - (
        m.loc[(0, 1), "minutes"] - m.loc[(0, 0), "minutes"]
    )
    assert_allclose(r.itt_change, did_y, rtol=1e-9)
    assert_allclose(r.first_stage, did_d, rtol=1e-9)
    assert_allclose(r.late_per_unit, did_y / (did_d / 60), rtol=1e-9)


def test_itt_and_first_stage_match_statsmodels_ols_cluster():
    p = trial(seed=12)
    p = p[p.groupby("spot")["crimes"].transform("sum") > 0].copy()
    p["z"] = p.assigned * p.post
    r = complier_effect(p, **IV, per_minutes=1)
    g = {"groups": p["spot"].to_numpy()}
    itt = smf.ols("crimes ~ C(spot) + C(week) + z", p).fit(cov_type="cluster", cov_kwds=g)
    fs = smf.ols("minutes ~ C(spot) + C(week) + z", p).fit(cov_type="cluster", cov_kwds=g)
    assert_allclose(r.itt_change, itt.params["z"], rtol=1e-8)
    assert_allclose(r.itt_se, itt.bse["z"], rtol=1e-6)
    assert_allclose(r.first_stage, fs.params["z"], rtol=1e-8)
    assert_allclose(r.first_stage_se, fs.bse["z"], rtol=1e-6)
    assert_allclose(r.first_stage_f, (fs.params["z"] / fs.bse["z"]) ** 2, rtol=1e-6)


def test_complier_effect_matches_full_2sls_matrix_algebra():
    p = trial(seed=3)
    p = p[p.groupby("spot")["crimes"].transform("sum") > 0].copy()
    r = complier_effect(p, **IV, per_minutes=60)
    # 2SLS written out with all the dummies: beta = (X'Pz X)^-1 X'Pz y
    D = pd.get_dummies(p[["spot", "week"]].astype(str), drop_first=True).to_numpy(float)
    F = np.column_stack([np.ones(len(p)), D])
    X = np.column_stack([F, p.minutes.to_numpy() / 60])
    Z = np.column_stack([F, (p.assigned * p.post).to_numpy(float)])
    y = p.crimes.to_numpy(float)
    Pz_X = Z @ np.linalg.solve(Z.T @ Z, Z.T @ X)
    A = np.linalg.inv(Pz_X.T @ X)
    beta = A @ (Pz_X.T @ y)
    u = y - X @ beta
    groups = pd.factorize(p.spot)[0]
    meat = np.zeros((X.shape[1], X.shape[1]))
    for gi in np.unique(groups):
        s = Pz_X[groups == gi].T @ u[groups == gi]
        meat += np.outer(s, s)
    G, n, k = groups.max() + 1, len(y), X.shape[1]
    V = G / (G - 1) * (n - 1) / (n - k) * A @ meat @ A.T
    assert_allclose(r.late_per_unit, beta[-1], rtol=1e-7)
    assert_allclose(r.late_se, np.sqrt(V[-1, -1]), rtol=1e-6)


def test_patrol_following_crime_biases_naive_estimate_but_not_complier_effect():
    """Linear truth: each patrol hour removes 0.3 crimes a week; patrol also chases crime."""
    rng = np.random.default_rng(4)
    n_units, n_periods, true_per_hour = 120, 8, -0.3
    spot = np.repeat(np.arange(n_units), n_periods)
    week = np.tile(np.arange(n_periods), n_units)
    assigned = (spot % 2).astype(int)
    post = (week >= 4).astype(int)
    base = 8 * rng.gamma(20, 1 / 20, n_units)[spot] * rng.gamma(16, 1 / 16, len(spot))
    minutes = (
        rng.gamma(2, 15, len(spot)) + assigned * post * rng.uniform(90, 150, len(spot)) + 10 * base
    )  # officers go where crime is
    mu = base + true_per_hour * minutes / 60
    assert mu.min() > 0  # the linear truth needs no clipping
    p = pd.DataFrame(
        dict(
            spot=spot,
            week=week,
            assigned=assigned,
            post=post,
            minutes=minutes,
            crimes=rng.poisson(mu),
        )
    )
    naive = smf.ols("crimes ~ C(spot) + C(week) + I(minutes / 60)", p).fit()
    # the naive within-place association has the wrong sign: patrol looks like it adds crime
    assert naive.params["I(minutes / 60)"] > 0
    r = complier_effect(p, **IV, per_minutes=60)
    assert r.late_ci[0] < true_per_hour < r.late_ci[1]
    assert r.late_per_unit < 0 and r.first_stage_f > 10
    assert "Intention to treat" in r.summary().splitlines()[0]


def test_dose_response_matches_statsmodels_with_lag():
    p = trial(seed=5)
    p = p[p.groupby("spot")["crimes"].transform("sum") > 0].copy()
    r = dose_response(p, outcome="crimes", dose="minutes", unit="spot", period="week", lag=1)
    p = p.sort_values(["spot", "week"])
    p["lag_h"] = p.groupby("spot")["minutes"].shift(1) / 60
    q = p.dropna(subset=["lag_h"])
    ref = smf.glm("crimes ~ C(spot) + C(week) + lag_h", q, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(q.spot)[0]}
    )
    assert_allclose(np.log(r.irr_per_unit), ref.params["lag_h"], rtol=1e-6)
    assert_allclose(np.log(r.ci[1] / r.irr_per_unit) / 1.959964, ref.bse["lag_h"], rtol=1e-5)
    assert r.load_report.dropped == {"no patrol data 1 period(s) earlier": p.spot.nunique()}
    assert r.bins["n"].sum() == len(q)
    assert "Patrol follows crime" in r.summary()
    fig = r.plot()
    assert isinstance(fig, matplotlib.figure.Figure)


def test_dose_errors():
    p = trial(seed=6)
    with pytest.raises(HspworkError, match="lag must be at least 1 period; received 0"):
        dose_response(p, outcome="crimes", dose="minutes", unit="spot", period="week", lag=0)
    flat = p.assign(minutes=10.0)
    with pytest.raises(HspworkError, match="first stage is zero"):
        complier_effect(flat, **IV)


def test_dose_response_lag_skips_no_period_when_a_quiet_week_is_set_aside():
    # Week 3 has no crime anywhere, so its rows are set aside (its period effect diverges);
    # its patrol still happened and is the lagged dose of week 4, not week 2's patrol.
    p = trial(seed=7)
    p = p[p.groupby("spot")["crimes"].transform("sum") > 0].copy()
    p.loc[p.week == 3, "crimes"] = 0
    p = p.sort_values(["spot", "week"])
    p["lag_h"] = p.groupby("spot")["minutes"].shift(1) / 60
    with pytest.warns(DataDroppedWarning, match="period with zero crimes in every unit"):
        r = dose_response(p, outcome="crimes", dose="minutes", unit="spot", period="week")
    q = p[(p.week != 3)].dropna(subset=["lag_h"])
    q = q[q.groupby("spot")["crimes"].transform("sum") > 0]
    ref = smf.glm("crimes ~ C(spot) + C(week) + lag_h", q, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(q.spot)[0]}
    )
    assert_allclose(np.log(r.irr_per_unit), ref.params["lag_h"], rtol=1e-6)
    assert r.bins["n"].sum() == len(q)


def test_dose_response_bins_must_be_positive():
    with pytest.raises(HspworkError, match=r"n_bins must be at least 1; received 0"):
        dose_response(
            trial(), outcome="crimes", dose="minutes", unit="spot", period="week", n_bins=0
        )


def test_complier_effect_refuses_patrol_minutes_that_are_not_numbers():
    p = trial(seed=2).astype({"minutes": object})
    p.loc[5, "minutes"] = "n/a"
    with pytest.raises(SchemaError, match=r"column 'minutes' must hold non-negative minutes"):
        complier_effect(p, **IV)
    p.loc[5, "minutes"] = -3.0
    with pytest.raises(SchemaError, match=r"non-negative minutes; received \[-3.0\]"):
        complier_effect(p, **IV)
