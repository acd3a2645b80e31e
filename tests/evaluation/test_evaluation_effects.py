"""estimate_effect, randomisation inference and event study against statsmodels and by hand."""

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation import estimate_effect, event_study, randomisation_inference, rirr
from hspwork.evaluation.effects import reassign

COLS = dict(outcome="crimes", treated="treated", post="post", unit="spot", period="week")


def make_panel(n_units=40, n_periods=6, irr=0.7, rate=5.0, alpha=0.3, seed=0, n_pre=3):
    rng = np.random.default_rng(seed)
    spot = np.repeat(np.arange(n_units), n_periods)
    week = np.tile(np.arange(n_periods), n_units)
    treated = (spot < n_units // 2).astype(int)
    post = (week >= n_pre).astype(int)
    unit_eff = rng.gamma(2.0, 0.5, n_units)[spot]  # mean 1, places differ
    period_eff = np.exp(0.1 * np.sin(week))
    mu = rate * unit_eff * period_eff * np.where(treated * post == 1, irr, 1.0)
    lam = rng.gamma(1 / alpha, alpha * mu) if alpha > 0 else mu  # NB: Var = mu + alpha mu²
    return pd.DataFrame(
        {"spot": spot, "week": week, "treated": treated, "post": post, "crimes": rng.poisson(lam)}
    )


def reference_fit(panel, family, **kw):
    # estimate_effect sets aside units with no crime in any period; the reference does the same
    panel = panel[panel.groupby("spot")["crimes"].transform("sum") > 0]
    return smf.glm("crimes ~ C(spot) + C(week) + treated:post", panel, family=family).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(panel["spot"], sort=True)[0]}, **kw
    )


def test_poisson_matches_hand_built_statsmodels_fit():
    panel = make_panel(seed=1)
    r = estimate_effect(panel, **COLS, model="poisson")
    ref = reference_fit(panel, sm.families.Poisson())
    assert_allclose(r.log_irr, ref.params["treated:post"], rtol=1e-7)
    assert_allclose(r.se, ref.bse["treated:post"], rtol=1e-6)
    assert_allclose(r.p_value, ref.pvalues["treated:post"], rtol=1e-5)
    lo, hi = np.exp(ref.conf_int().loc["treated:post"])
    assert_allclose(r.ci, (lo, hi), rtol=1e-6)
    assert r.n_units == 40 and r.n_periods == 6
    assert "IRR" in r.summary() and "clustered by unit" in r.summary()


def test_quasipoisson_point_estimate_equals_poisson_and_matches_reference():
    panel = make_panel(seed=2)
    q = estimate_effect(panel, **COLS, model="quasipoisson")
    p = estimate_effect(panel, **COLS, model="poisson")
    ref = reference_fit(panel, sm.families.Poisson(), scale="X2")
    assert_allclose(q.log_irr, p.log_irr, rtol=1e-8)
    assert_allclose(q.se, ref.bse["treated:post"], rtol=1e-6)


def test_negbin_uses_cameron_trivedi_alpha_and_matches_reference():
    panel = make_panel(seed=3, alpha=0.5)
    panel = panel[panel.groupby("spot")["crimes"].transform("sum") > 0]
    r = estimate_effect(panel, **COLS, model="negbin")
    pois = smf.glm(
        "crimes ~ C(spot) + C(week) + treated:post", panel, family=sm.families.Poisson()
    ).fit()
    y, mu = panel["crimes"].to_numpy(float), pois.fittedvalues.to_numpy()
    alpha = np.sum((y - mu) ** 2 - y) / np.sum(mu**2)  # auxiliary OLS without intercept
    assert_allclose(r.alpha, alpha, rtol=1e-6)
    ref = reference_fit(panel, sm.families.NegativeBinomial(alpha=alpha))
    # both fits stop at IRLS's default tolerance from different starts: agree to 1e-5
    assert_allclose(r.log_irr, ref.params["treated:post"], rtol=1e-5)
    assert_allclose(r.se, ref.bse["treated:post"], rtol=1e-5)


def test_two_period_poisson_fixed_effects_equals_group_total_ratio():
    # With unit effects and two periods, the Poisson MLE of the interaction is the log ratio of
    # post/pre group totals, i.e. 1/RIRR on the four group totals.
    panel = make_panel(n_periods=2, n_pre=1, seed=4)
    panel = panel[panel.groupby("spot")["crimes"].transform("sum") > 0]
    r = estimate_effect(panel, **COLS, model="poisson")
    g = panel.groupby(["treated", "post"])["crimes"].sum()
    ref = rirr(g[1, 0], g[1, 1], g[0, 0], g[0, 1])
    assert_allclose(r.irr, 1 / ref.rirr, rtol=1e-7)


def test_harm_outcome_is_accepted():
    panel = make_panel(seed=5)
    panel["harm"] = panel["crimes"] * 2.5  # one harm weight for all: same IRR as crimes
    h = estimate_effect(panel, **{**COLS, "outcome": "harm"}, model="quasipoisson")
    c = estimate_effect(panel, **COLS, model="quasipoisson")
    assert_allclose(h.irr, c.irr, rtol=1e-7)
    assert_allclose(h.se, c.se, rtol=1e-6)


def test_all_zero_units_and_missing_outcomes_are_counted():
    panel = make_panel(seed=6)
    panel.loc[panel.spot == 3, "crimes"] = 0
    panel.loc[0, "crimes"] = np.nan
    with pytest.warns(DataDroppedWarning, match=r"read 240 rows, kept 233.*zero crimes in every"):
        r = estimate_effect(panel, **COLS, model="poisson")
    rep = r.load_report
    assert rep.rows_read == 240 and rep.dropped == {
        "missing or non-numeric crimes": 1,
        "unit with zero crimes in every period": 6,
    }
    assert r.n_units == 39


def test_errors_name_what_was_received():
    panel = make_panel(seed=7)
    with pytest.raises(HspworkError, match=r"model must be one of .*received 'ols'"):
        estimate_effect(panel, **COLS, model="ols")
    with pytest.raises(SchemaError, match=r"lacks columns \['beat'\]"):
        estimate_effect(panel, **{**COLS, "unit": "beat"})
    bad = panel.assign(treated=panel.treated * 2)
    with pytest.raises(SchemaError, match=r"'treated' must be 0/1 or boolean; received \[2.0\]"):
        estimate_effect(bad, **COLS)


@pytest.mark.parametrize(("model", "n_rep"), [("poisson", 200), ("negbin", 200)])
def test_simulation_unbiased_and_covers(model, n_rep):
    """Known IRR 0.75 on overdispersed counts: mean log estimate within tolerance and 95%
    intervals covering at 95% within a binomial margin, for the Poisson and the default
    negative binomial model."""
    true = np.log(0.75)
    est, cover = np.empty(n_rep), np.empty(n_rep, bool)
    for i in range(n_rep):
        panel = make_panel(n_units=30, n_periods=4, n_pre=2, irr=0.75, alpha=0.3, seed=100 + i)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataDroppedWarning)  # an all-zero place, now and then
            r = estimate_effect(panel, **COLS, model=model)
        est[i] = r.log_irr
        cover[i] = r.ci[0] < 0.75 < r.ci[1]
    # bias: each estimate has SE about 0.1, so the Monte Carlo SE of the mean of 200 is
    # about 0.007; allow 0.025 on the log scale (3.5 Monte Carlo SEs)
    assert abs(est.mean() - true) < 0.025
    # coverage within a 99% binomial margin of 0.95: 0.95 ± 2.58·sqrt(.95·.05/n_rep)
    margin = 2.58 * np.sqrt(0.95 * 0.05 / n_rep)
    assert abs(cover.mean() - 0.95) < margin


def test_reassign_keeps_counts_within_blocks():
    rng = np.random.default_rng(0)
    blocks = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
    treated = np.array([1, 1, 0, 0, 1, 0, 0, 1, 0])
    draws = reassign(treated, blocks, 2000, rng)
    for b in np.unique(blocks):
        assert np.all(draws[:, blocks == b].sum(axis=1) == treated[blocks == b].sum())
    # each unit of block 0 is treated half the time, of block 1 a third
    assert_allclose(draws[:, blocks == 0].mean(axis=0), 0.5, atol=0.04)
    assert_allclose(draws[:, blocks == 1].mean(axis=0), 1 / 3, atol=0.04)


def test_randomisation_pairs_matches_exact_enumeration():
    # 5 matched pairs: 2^5 = 32 equally likely assignments; exact p by enumeration
    rng = np.random.default_rng(11)
    n_pairs = 5
    spot = np.repeat(np.arange(2 * n_pairs), 2)
    post = np.tile([0, 1], 2 * n_pairs)
    pair = spot // 2
    treated = (spot % 2 == 0).astype(int)
    crimes = rng.poisson(np.where((treated == 1) & (post == 1), 6, 12))
    panel = pd.DataFrame(
        dict(spot=spot, week=post, post=post, pair=pair, treated=treated, crimes=crimes)
    )
    pre = np.bincount(spot, weights=crimes * (1 - post))
    pst = np.bincount(spot, weights=crimes * post)

    def stat(t):
        t = np.asarray(t, float)
        return np.log(t @ pst / (t @ pre)) - np.log((1 - t) @ pst / ((1 - t) @ pre))

    obs = stat(treated[::2])
    # spot-level vector: treated[::2] picks each spot's value (two rows per spot)
    allstats = []
    for flips in itertools.product([0, 1], repeat=n_pairs):
        t = np.array([[1 - f, f] for f in flips]).ravel()
        allstats.append(stat(t))
    exact = np.mean(np.abs(allstats) >= abs(obs) - 1e-12)
    r = randomisation_inference(panel, **COLS, design="pairs", block="pair", n_perm=20000, seed=5)
    assert_allclose(r.statistic, obs, rtol=1e-10)
    assert_allclose(r.p_value, exact, atol=0.01)
    r2 = randomisation_inference(panel, **COLS, design="pairs", block="pair", n_perm=20000, seed=5)
    assert r2.p_value == r.p_value


def test_randomisation_null_p_values_are_roughly_uniform():
    ps = []
    for s in range(200):
        panel = make_panel(n_units=20, n_periods=2, n_pre=1, irr=1.0, alpha=0.2, seed=500 + s)
        ps.append(randomisation_inference(panel, **COLS, n_perm=199, seed=s).p_value)
    ps = np.array(ps)
    # rejection rate at 5% within a 99% binomial margin for 200 draws
    assert abs((ps <= 0.05).mean() - 0.05) < 2.58 * np.sqrt(0.05 * 0.95 / 200)


def test_randomisation_errors():
    panel = make_panel(seed=8)
    with pytest.raises(HspworkError, match="a block design needs block="):
        randomisation_inference(panel, **COLS, design="block")
    with pytest.raises(HspworkError, match="received 'cluster'"):
        randomisation_inference(panel, **COLS, design="cluster")


def test_event_study_matches_statsmodels_and_flags_pretrend():
    panel = make_panel(n_units=60, n_periods=6, irr=0.6, seed=9)
    es = event_study(panel, **COLS, model="poisson")
    t = es.table.set_index("period")
    assert t.loc[2, "reference"] and t.loc[2, "coef"] == 0
    # reference: the same model written as a formula with explicit dummies
    d = panel.copy()
    terms = []
    for k in [0, 1, 3, 4, 5]:
        d[f"e{k}"] = d.treated * (d.week == k)
        terms.append(f"e{k}")
    ref = smf.glm(
        "crimes ~ C(spot) + C(week) + " + " + ".join(terms), d, family=sm.families.Poisson()
    ).fit(cov_type="cluster", cov_kwds={"groups": d["spot"].to_numpy()})
    for k in [0, 1, 3, 4, 5]:
        assert_allclose(t.loc[k, "coef"], ref.params[f"e{k}"], rtol=1e-6, atol=1e-10)
        assert_allclose(t.loc[k, "se"], ref.bse[f"e{k}"], rtol=1e-5)
    assert_allclose(t.loc[2, "irr"], 1.0)
    # joint Wald test of the two pre-period coefficients, by hand from the reference
    b = ref.params[["e0", "e1"]].to_numpy()
    V = ref.cov_params().loc[["e0", "e1"], ["e0", "e1"]].to_numpy()
    assert_allclose(es.pretrend_chi2, b @ np.linalg.solve(V, b), rtol=1e-5)
    assert es.pretrend_df == 2
    assert (t.loc[[3, 4, 5], "irr"] < 0.8).all()
    # plant a pre-trend: treated places rising before the start
    bad = panel.copy()
    rng = np.random.default_rng(1)
    ramp = np.where(bad.treated == 1, np.exp(-0.5 * (2 - bad.week.clip(upper=2))), 1.0)
    bad["crimes"] = rng.poisson(8 * ramp)
    es_bad = event_study(bad, **COLS)
    assert es_bad.pretrend_p < 0.01
    assert "already diverging" in es_bad.summary()


def test_event_study_plot_returns_figure():
    import matplotlib

    matplotlib.use("Agg")
    es = event_study(make_panel(seed=10), **COLS)
    fig = es.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes[0].collections) >= 1
    with pytest.raises(HspworkError, match="reference period 99 is not in the panel"):
        event_study(make_panel(seed=10), **COLS, reference=99)


def test_all_zero_period_is_set_aside_and_estimate_unchanged():
    panel = make_panel(seed=21)
    panel = panel[panel.groupby("spot")["crimes"].transform("sum") > 0]
    base = estimate_effect(panel, **COLS, model="poisson")
    extra = panel[panel.week == 0].assign(week=-1, crimes=0)  # a week with no crime at all
    with pytest.warns(DataDroppedWarning, match="period with zero crimes in every unit"):
        r = estimate_effect(pd.concat([extra, panel]), **COLS, model="poisson")
    assert_allclose(r.irr, base.irr, rtol=1e-10)
    assert r.load_report.dropped == {"period with zero crimes in every unit": len(extra)}


def test_panel_beyond_a_dense_design_fits_with_absorbed_effects():
    # 3,000 places x 30 weeks: dummy columns would need 90,000 x 3,030 cells (2.2 GB), which
    # the dense design refused; absorbed effects fit it and recover the planted ratio
    panel = make_panel(n_units=3000, n_periods=30, n_pre=15, irr=0.8, alpha=0.0, seed=41)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        r = estimate_effect(panel, **COLS, model="poisson")
    assert r.n_units > 2990 and r.n_periods == 30
    assert r.ci[0] < 0.8 < r.ci[1] and r.ci[1] / r.ci[0] < 1.1


def test_randomisation_takes_the_design_record():
    from hspwork.evaluation import assign

    rng = np.random.default_rng(31)
    places = pd.DataFrame({"spot": range(20), "pre": rng.poisson(30, 20)})
    a = assign(places, method="pairs", by="pre", id_column="spot", seed=4)
    panel = make_panel(n_units=20, n_periods=4, n_pre=2, seed=32).drop(columns="treated")
    panel = panel.merge(a.table[["spot", "treated", "block"]], on="spot")
    panel["treated"] = panel["treated"].astype(int)
    by_record = randomisation_inference(panel, **COLS, design=a.record, n_perm=300, seed=2)
    by_name = randomisation_inference(
        panel, **COLS, design="pairs", block="block", n_perm=300, seed=2
    )
    assert by_record.design == "pairs"
    assert by_record.p_value == by_name.p_value
    assert_allclose(by_record.distribution, by_name.distribution)


def test_randomisation_counts_rows_without_a_place_or_period():
    # Two rows lose their place id and one its week: they are set aside and counted, and the
    # result equals the test on the panel without them (same seed, same draws).
    panel = make_panel(n_units=20, n_periods=4, n_pre=2, seed=21).astype({"spot": float})
    broken = panel.copy()
    broken.loc[[3, 17], "spot"] = np.nan
    broken.loc[30, "week"] = np.nan
    with pytest.warns(DataDroppedWarning, match=r"no unit/period: 3"):
        r = randomisation_inference(broken, **COLS, n_perm=299, seed=4)
    clean = randomisation_inference(broken.dropna(), **COLS, n_perm=299, seed=4)
    assert_allclose(r.statistic, clean.statistic, rtol=1e-12)
    assert r.p_value == clean.p_value
    # a place whose outcome is zero throughout stays in the re-assignment (it was randomised)
    quiet = panel.copy()
    quiet.loc[quiet.spot == 0, "crimes"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataDroppedWarning)
        q = randomisation_inference(quiet, **COLS, n_perm=99, seed=1)
    t = quiet.groupby("treated").apply(
        lambda g: np.log(g.loc[g.post == 1, "crimes"].sum() / g.loc[g.post == 0, "crimes"].sum()),
        include_groups=False,
    )
    assert_allclose(q.statistic, t[1] - t[0], rtol=1e-12)
