"""Absorbed place and period effects against dummy-variable statsmodels fits and pyfixest."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import scipy.stats
import statsmodels.api as sm
from numpy.testing import assert_allclose

from hspwork.errors import DataDroppedWarning, HspworkError
from hspwork.evaluation import estimate_effect
from hspwork.evaluation.fixed_effects import FixedEffects, fit_fe_glm

COLS = dict(outcome="crimes", treated="treated", post="post", unit="spot", period="week")


def unbalanced_panel(n_units=35, n_periods=9, seed=0, drop_share=0.15, alpha=0.4):
    """Overdispersed counts with some place-weeks missing (the absorbed solver's hard case)."""
    rng = np.random.default_rng(seed)
    spot = np.repeat(np.arange(n_units), n_periods)
    week = np.tile(np.arange(n_periods), n_units)
    treated = (spot % 2 == 0).astype(int)
    post = (week >= n_periods // 2).astype(int)
    mu = 4 * rng.gamma(2, 0.5, n_units)[spot] * np.exp(0.2 * np.cos(week))
    mu *= np.where(treated * post == 1, 0.75, 1.0)
    y = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
    panel = pd.DataFrame(dict(spot=spot, week=week, treated=treated, post=post, crimes=y))
    panel = panel[rng.random(len(panel)) > drop_share]
    # a place with no crime at all is set aside by estimate_effect; leave none for the reference
    return panel[panel.groupby("spot")["crimes"].transform("sum") > 0].reset_index(drop=True)


def dense_fit(panel, family, **fit_kw):
    """The dummy-variable GLM that estimate_effect replaced, fitted tightly."""
    u = pd.get_dummies(panel["spot"]).to_numpy(float)[:, 1:]
    t = pd.get_dummies(panel["week"]).to_numpy(float)[:, 1:]
    d = (panel["treated"] * panel["post"]).to_numpy(float)[:, None]
    X = np.column_stack([np.ones(len(panel)), u, t, d])
    groups = pd.factorize(panel["spot"], sort=True)[0]
    return sm.GLM(panel["crimes"].to_numpy(float), X, family=family).fit(
        tol=1e-13, cov_type="cluster", cov_kwds={"groups": groups}, **fit_kw
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_poisson_on_unbalanced_panel_equals_dense_statsmodels(seed):
    panel = unbalanced_panel(seed=seed)
    r = estimate_effect(panel, **COLS, model="poisson")
    ref = dense_fit(panel, sm.families.Poisson())
    assert_allclose(r.log_irr, ref.params[-1], rtol=1e-9, atol=1e-12)
    assert_allclose(r.se, ref.bse[-1], rtol=1e-8)
    assert_allclose(r.fit.mu, ref.fittedvalues, rtol=1e-8)


@pytest.mark.parametrize("seed", [3, 4])
def test_negbin_on_unbalanced_panel_equals_dense_statsmodels(seed):
    panel = unbalanced_panel(seed=seed)
    r = estimate_effect(panel, **COLS, model="negbin")
    ref = dense_fit(panel, sm.families.NegativeBinomial(alpha=r.alpha))
    # both fits converged to 1e-9 on the linear predictor; the observed-Hessian bread of
    # statsmodels' cluster covariance is reproduced
    assert_allclose(r.log_irr, ref.params[-1], rtol=1e-7)
    assert_allclose(r.se, ref.bse[-1], rtol=1e-7)


@pytest.mark.parametrize("dense_cells", [4_000_000, 0])
def test_project_equals_weighted_least_squares_on_dummies(monkeypatch, dense_cells):
    # dense_cells 0 takes the sparse place x period table that large panels use
    import hspwork.evaluation.fixed_effects as fx

    monkeypatch.setattr(fx, "DENSE_CELLS", dense_cells)
    rng = np.random.default_rng(5)
    n_u, n_t = 7, 12  # fewer places than periods: the solver eliminates periods instead
    u = np.repeat(np.arange(n_u), n_t)
    t = np.tile(np.arange(n_t), n_u)
    keep = rng.random(u.size) > 0.2
    u, t = u[keep], t[keep]
    w = rng.uniform(0.2, 3.0, u.size)
    V = rng.normal(size=(u.size, 3))
    F = np.column_stack([pd.get_dummies(u).to_numpy(float), pd.get_dummies(t).to_numpy(float)])
    sw = np.sqrt(w)[:, None]
    coef = np.linalg.lstsq(F * sw, V * sw, rcond=None)[0]
    assert_allclose(FixedEffects(u, t).project(V, w), V - F @ coef, atol=1e-10)
    # the other elimination order (more places than periods) gives the same residuals
    assert_allclose(FixedEffects(t, u).project(V, w), V - F @ coef, atol=1e-10)


def test_fitted_effects_reproduce_the_linear_predictor():
    panel = unbalanced_panel(seed=6)
    r = estimate_effect(panel, **COLS, model="poisson")
    f = r.fit
    eta = f.unit_effects[f.fe.unit_codes] + f.period_effects[f.fe.period_codes] + f.X @ f.beta
    assert_allclose(np.exp(eta), f.mu, rtol=1e-10)
    assert f.period_effects[0] == 0.0


def test_pyfixest_fepois_agrees():
    pf = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(7)
    n_u, n_t = 400, 30
    u, t = np.repeat(np.arange(n_u), n_t), np.tile(np.arange(n_t), n_u)
    d = ((u < 200) & (t >= 15)).astype(int)
    y = rng.poisson(np.exp(rng.normal(0.5, 0.8, n_u))[u] * np.exp(0.1 * np.sin(t)) * 0.8**d)
    panel = pd.DataFrame(dict(spot=u, week=t, treated=(u < 200).astype(int), post=(t >= 15)))
    panel["post"] = panel["post"].astype(int)
    panel["crimes"] = y
    panel["d"] = d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        r = estimate_effect(panel, **COLS, model="poisson")
    kept = panel[panel.groupby("spot")["crimes"].transform("sum") > 0]
    # k_fixef="full" counts every absorbed effect in K, as the dummy-variable GLM does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's own pandas deprecation notices
        ref = pf.fepois(
            "crimes ~ d | spot + week",
            data=kept,
            vcov={"CRV1": "spot"},
            ssc=pf.ssc(k_adj=True, k_fixef="full", G_adj=True),
        )
    assert_allclose(r.log_irr, ref.coef()["d"], rtol=1e-7)
    assert_allclose(r.se, ref.se()["d"], rtol=1e-5)


def test_collinear_covariate_is_refused():
    panel = unbalanced_panel(seed=8)
    X = (panel["post"]).to_numpy(float)[:, None]  # a function of the period alone
    with pytest.raises(HspworkError, match="collinear with the place and period effects"):
        fit_fe_glm(
            panel["crimes"].to_numpy(float),
            X,
            pd.factorize(panel["spot"], sort=True)[0],
            pd.factorize(panel["week"], sort=True)[0],
        )


def test_family_and_interval_names_are_checked():
    panel = unbalanced_panel(seed=9)
    with pytest.raises(HspworkError, match=r"family must be one of .*received 'gamma'"):
        fit_fe_glm(np.ones(4), np.zeros((4, 0)), [0, 0, 1, 1], [0, 1, 0, 1], family="gamma")
    with pytest.raises(HspworkError, match=r"interval must be one of .*received 'hc3'"):
        estimate_effect(panel, **COLS, interval="hc3")


def dense_cr2(fit, groups):
    """CR2 and Bell–McCaffrey df written out with N x N matrices (Imbens & Kolesár 2016)."""
    y, mu, X = fit.y, fit.mu, fit.X
    w = mu / (1 + fit.alpha * mu)
    U = pd.get_dummies(fit.fe.unit_codes).to_numpy(float)
    T = pd.get_dummies(fit.fe.period_codes).to_numpy(float)[:, 1:]
    R = np.column_stack([T, X])
    # weighted within-place demeaning, with an explicit projection on the place dummies
    Wd = np.diag(w)
    R_dd = R - U @ np.linalg.solve(U.T @ Wd @ U, U.T @ Wd @ R)
    Xs = np.sqrt(w)[:, None] * R_dd
    es = np.sqrt(w) * (y - mu) / mu
    M = np.linalg.pinv(Xs.T @ Xs)
    H = Xs @ M @ Xs.T
    c = np.zeros(R.shape[1])
    c[-1] = 1.0
    n = len(y)
    var = 0.0
    G = np.zeros((n, groups.max() + 1))
    for g in range(groups.max() + 1):
        idx = np.flatnonzero(groups == g)
        A = np.real(scipy.linalg.sqrtm(np.linalg.pinv(np.eye(idx.size) - H[np.ix_(idx, idx)])))
        q = A @ Xs[idx] @ M @ c
        var += (q @ es[idx]) ** 2
        G[:, g] = (np.eye(n) - H)[:, idx] @ q
    lam = np.linalg.eigvalsh(G.T @ G)
    return np.sqrt(var), lam.sum() ** 2 / np.sum(lam**2)


@pytest.mark.parametrize(("seed", "alpha"), [(10, 0.0), (11, 0.5)])
def test_cr2_and_bell_mccaffrey_df_equal_the_dense_formulas(seed, alpha):
    panel = unbalanced_panel(n_units=16, n_periods=6, seed=seed)
    u = pd.factorize(panel["spot"], sort=True)[0]
    t = pd.factorize(panel["week"], sort=True)[0]
    d = (panel["treated"] * panel["post"]).to_numpy(float)[:, None]
    fam = "negbin" if alpha else "poisson"
    fit = fit_fe_glm(panel["crimes"].to_numpy(float), d, u, t, family=fam, alpha=alpha)
    se, df = fit.cr2()
    se_ref, df_ref = dense_cr2(fit, u)
    assert_allclose(se, se_ref, rtol=1e-8)
    assert_allclose(df, df_ref, rtol=1e-8)
    # the correction widens the CR1 variance without its ad hoc factor, and df < places
    cr0 = np.sqrt(fit.cov_cluster(u, correction=False)[0, 0])
    assert se > cr0 and 1 < df < 16


def test_cr2_interval_uses_t_with_bell_mccaffrey_df():
    panel = unbalanced_panel(seed=12)
    r = estimate_effect(panel, **COLS, model="poisson", interval="cr2")
    se, df = r.fit.cr2()
    crit = scipy.stats.t.ppf(0.975, df)
    assert r.df == df and r.se == se
    assert_allclose(np.log(r.ci), [r.log_irr - crit * se, r.log_irr + crit * se], rtol=1e-12)
    assert "CR2" in r.summary() and f"{df:.1f} degrees of freedom" in r.summary()
    assert r.to_frame()["interval"].iat[0] == "cr2"
