"""RIRR, WDD and WDQ against values worked out by hand and against a Poisson GLM."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose

from hspwork.errors import HspworkError
from hspwork.evaluation import rirr, wdd, wdq


def test_rirr_by_hand():
    # a, b, c, d = 120, 90, 100, 110: RIRR = 120*110 / (90*100) = 13200/9000
    r = rirr(120, 90, 100, 110)
    assert_allclose(r.rirr, 13200 / 9000, rtol=1e-12)
    assert_allclose(r.log_rirr, np.log(13200 / 9000), rtol=1e-12)
    se = np.sqrt(1 / 120 + 1 / 90 + 1 / 100 + 1 / 110)
    assert_allclose(r.se, se, rtol=1e-12)
    assert_allclose(r.ci, np.exp(np.log(13200 / 9000) + np.array([-1, 1]) * 1.959963985 * se))
    # a dispersion factor of 2.5 multiplies the variance, so the SE by sqrt(2.5)
    r2 = rirr(120, 90, 100, 110, dispersion=2.5)
    assert_allclose(r2.se, se * np.sqrt(2.5), rtol=1e-12)
    assert_allclose(r2.rirr, r.rirr)
    assert_allclose(r.percent_change, 100 * (9000 / 13200 - 1))


@pytest.mark.filterwarnings("ignore")  # the four-cell model is saturated
def test_rirr_equals_poisson_glm_interaction():
    a, b, c, d = 57, 41, 63, 66
    cells = pd.DataFrame({"y": [a, b, c, d], "treated": [1, 1, 0, 0], "post": [0, 1, 0, 1]})
    fit = smf.glm("y ~ treated * post", cells, family=sm.families.Poisson()).fit()
    beta = fit.params["treated:post"]
    r = rirr(a, b, c, d)
    # the GLM interaction is the ratio of ratios (b/a)/(d/c) = 1 / RIRR, same SE on the log scale
    assert_allclose(np.exp(-beta), r.rirr, rtol=1e-8)
    assert_allclose(fit.bse["treated:post"], r.se, rtol=1e-6)
    assert_allclose(fit.pvalues["treated:post"], r.p_value, rtol=1e-6)


def test_rirr_harm_weighted_counts_are_accepted():
    # harm days rather than crimes: same formula on the harm totals
    r = rirr(365.0 * 4 + 2 * 30, 365.0 * 2 + 2 * 30, 365.0 * 3 + 2 * 25, 365.0 * 3 + 2 * 26)
    assert_allclose(r.rirr, (1520 * 1147) / (790 * 1145))


def test_rirr_rejects_zero_counts():
    with pytest.raises(HspworkError, match=r"four positive counts.*\(10.0, 0.0, 5.0, 5.0\)"):
        rirr(10, 0, 5, 5)
    with pytest.raises(HspworkError, match="dispersion must be a positive number; received -1"):
        rirr(10, 5, 5, 5, dispersion=-1)


def test_wdd_by_hand_with_displacement_area():
    # T: 60 -> 40, C: 50 -> 55, D: 30 -> 25, DC: 20 -> 22
    r = wdd(treated=(60, 40), control=(50, 55), displaced=(30, 25), displaced_control=(20, 22))
    local = (40 - 60) - (55 - 50)  # -25
    disp = (25 - 30) - (22 - 20)  # -7
    assert r.local == local and r.displacement == disp
    assert r.estimate == local + disp
    var = 60 + 40 + 50 + 55 + 30 + 25 + 20 + 22
    assert_allclose(r.se, np.sqrt(var))
    assert_allclose(r.z, -32 / np.sqrt(var))
    assert_allclose(r.ci, (-32 - 1.959963985 * np.sqrt(var), -32 + 1.959963985 * np.sqrt(var)))


def test_wdd_harm_weighted_by_hand():
    # two crime types (violence with injury 365 days, criminal damage 2 days)
    t = ([4, 30], [2, 20])
    c = ([3, 25], [3, 26])
    w = [365, 2]
    r = wdd(treated=t, control=c, weights=w)
    est = 365 * ((2 - 4) - (3 - 3)) + 2 * ((20 - 30) - (26 - 25))
    var = 365**2 * (4 + 2 + 3 + 3) + 2**2 * (30 + 20 + 25 + 26)
    assert_allclose(r.estimate, est)
    assert_allclose(r.se, np.sqrt(var))
    # unweighted on the same arrays equals the sum over types
    u = wdd(treated=t, control=c)
    assert_allclose(u.estimate, (2 - 4 + 20 - 30) - (3 - 3 + 26 - 25))


def test_wdd_errors():
    with pytest.raises(HspworkError, match="give both displaced and displaced_control"):
        wdd(treated=(1, 2), control=(3, 4), displaced=(1, 1))
    with pytest.raises(HspworkError, match=r"weights must have one entry per crime type \(2\)"):
        wdd(treated=([1, 2], [2, 2]), control=([3, 4], [4, 4]), weights=[1, 2, 3])
    with pytest.raises(HspworkError, match="non-negative"):
        wdd(treated=(-1, 2), control=(3, 4))


@pytest.mark.parametrize(
    ("buffer", "label"),
    [
        ((80, 20), "diffusion of benefits larger than the direct effect"),  # q = 1.5
        ((80, 60), "diffusion of benefits"),  # q = 0.5
        ((80, 80), "no displacement or diffusion"),
        ((80, 100), "displacement, smaller than the direct effect"),  # q = -0.5
        ((80, 140), "displacement larger than the direct effect"),  # q = -1.5
    ],
)
def test_wdq_by_hand_and_labels(buffer, label):
    r = wdq(treated=(100, 60), buffer=buffer, control=(200, 200), replicates=500)
    success = 60 / 200 - 100 / 200
    buf = buffer[1] / 200 - buffer[0] / 200
    assert_allclose(r.success, success)
    assert_allclose(r.buffer, buf)
    assert_allclose(r.wdq, buf / success)
    assert r.label == label
    # total net effect: [Rb*(Ca/Cb) - Ra] + [Db*(Ca/Cb) - Da]
    assert_allclose(r.total_net_effect, (100 - 60) + (buffer[0] - buffer[1]))


def test_wdq_control_trend_enters_total_net_effect():
    # control doubled: expected treated after = 100*2 = 200, observed 150 -> 50 prevented;
    # buffer expected 80*2 = 160, observed 140 -> 20 prevented
    r = wdq(treated=(100, 150), buffer=(80, 140), control=(100, 200), replicates=200)
    assert_allclose(r.total_net_effect, 70.0)
    assert_allclose(r.success, 150 / 200 - 100 / 100)
    assert_allclose(r.buffer, 140 / 200 - 80 / 100)


def test_wdq_not_meaningful_without_success():
    r = wdq(treated=(50, 70), buffer=(30, 30), control=(100, 100), replicates=200)
    assert np.isnan(r.wdq)
    assert "not meaningful" in r.label


def test_wdq_bootstrap_interval_is_seeded_and_brackets_estimate():
    kw = dict(treated=(400, 250), buffer=(300, 240), control=(800, 800), replicates=3000)
    r1 = wdq(**kw, seed=3)
    r2 = wdq(**kw, seed=3)
    assert r1.ci == r2.ci
    assert r1.ci[0] < r1.wdq < r1.ci[1]
    # more overdispersion, wider interval
    r3 = wdq(**kw, seed=3, dispersion=4.0)
    assert (r3.ci[1] - r3.ci[0]) > (r1.ci[1] - r1.ci[0])
    # delta-method check of the bootstrap spread: the WDQ's SE from a first-order expansion
    rb, ra, db, da, cb, ca = 400, 250, 300, 240, 800, 800
    s, b = ra / ca - rb / cb, da / ca - db / cb
    grad_b = np.array([0, 0, -1 / cb, 1 / ca, db / cb**2, -da / ca**2])
    grad_s = np.array([-1 / cb, 1 / ca, 0, 0, rb / cb**2, -ra / ca**2])
    grad = grad_b / s - b / s**2 * grad_s
    se = np.sqrt(np.sum(grad**2 * np.array([rb, ra, db, da, cb, ca])))
    assert_allclose(r1.ci[1] - r1.ci[0], 2 * 1.96 * se, rtol=0.15)


def test_wdq_errors():
    with pytest.raises(HspworkError, match=r"control area needs counts above zero.*\(0.0, 5.0\)"):
        wdq(treated=(1, 2), buffer=(1, 1), control=(0, 5))


def test_wdd_published_example_wheeler_ratcliffe_2018():
    # Wheeler & Ratcliffe (2018, Crime Science 7:11) worked example: treated 207 -> 110,
    # control 308 -> 318, displacement area 178 -> 157, its control 150 -> 140; the paper
    # reports WDD -118, variance 1568, z -2.98 and a 95% interval of -196 to -40.
    r = wdd(
        treated=(207, 110), control=(308, 318), displaced=(178, 157), displaced_control=(150, 140)
    )
    assert r.estimate == -118
    assert_allclose(r.se**2, 1568)
    assert round(r.z, 2) == -2.98
    assert [round(v) for v in r.ci] == [-196, -40]
    assert r.local == -107 and r.displacement == -11


def test_wdq_harm_weights_by_hand_and_bootstrap_variance():
    # two crime types: violence with injury (365 days) and criminal damage (2 days)
    # counts large enough for the delta method to describe the quotient's spread
    t = ([400, 3000], [250, 2800])
    b = ([300, 2500], [240, 2400])
    c = ([800, 6000], [800, 6100])
    w = np.array([365.0, 2.0])
    r = wdq(treated=t, buffer=b, control=c, weights=w, replicates=4000, seed=2)
    tot = {k: (np.dot(v[0], w), np.dot(v[1], w)) for k, v in dict(t=t, b=b, c=c).items()}
    success = tot["t"][1] / tot["c"][1] - tot["t"][0] / tot["c"][0]
    buf = tot["b"][1] / tot["c"][1] - tot["b"][0] / tot["c"][0]
    assert_allclose(r.success, success)
    assert_allclose(r.wdq, buf / success)
    # the same totals treated as plain Poisson counts would understate the spread badly
    flat = wdq(treated=tot["t"], buffer=tot["b"], control=tot["c"], replicates=4000, seed=2)
    assert (r.ci[1] - r.ci[0]) > 3 * (flat.ci[1] - flat.ci[0])
    # delta method with Var(weighted total) = sum w^2 n for each of the six totals
    rb, ra, db, da, cb, ca = (
        tot["t"][0],
        tot["t"][1],
        tot["b"][0],
        tot["b"][1],
        tot["c"][0],
        tot["c"][1],
    )
    var = [np.dot(w**2, v) for v in (t[0], t[1], b[0], b[1], c[0], c[1])]
    grad_b = np.array([0, 0, -1 / cb, 1 / ca, db / cb**2, -da / ca**2])
    grad_s = np.array([-1 / cb, 1 / ca, 0, 0, rb / cb**2, -ra / ca**2])
    grad = grad_b / success - buf / success**2 * grad_s
    se = np.sqrt(np.sum(grad**2 * np.array(var)))
    assert_allclose(r.ci[1] - r.ci[0], 2 * 1.96 * se, rtol=0.2)


def test_counts_that_are_not_numbers_are_named():
    with pytest.raises(HspworkError, match=r"treated counts must be numbers.*\('a', 1\)"):
        wdd(treated=("a", 1), control=(1, 1))
    with pytest.raises(HspworkError, match=r"buffer counts must be numbers"):
        wdq(treated=(10, 5), buffer=("many", 5), control=(10, 10))


def test_wdd_time_weights_match_ptools_and_hand():
    # ptools' test "Time Weights" (Wheeler 2021): control 100 -> 50, treated 80 -> 20 with two
    # years before and one after: WDD -20, variance 115 (= 80/4 + 20 + 100/4 + 50)
    r = wdd(treated=(80, 20), control=(100, 50), time_weights=(2, 1))
    assert_allclose(r.estimate, -20.0, rtol=1e-12)
    assert_allclose(r.se, np.sqrt(115), rtol=1e-12)
    # per after-period scaling: (b/a, 1) equals (b, a) times a
    r2 = wdd(treated=(80, 20), control=(100, 50), time_weights=(62, 31))
    assert_allclose(r2.estimate * 31, r.estimate, rtol=1e-12)
    # with a displacement area and harm weights, by hand
    t, c, d, dc = ([6, 40], [2, 10]), ([4, 30], [2, 16]), ([3, 20], [1, 12]), ([2, 10], [1, 6])
    w = np.array([365.0, 2.0])
    r3 = wdd(t, c, d, dc, weights=w, time_weights=(2, 1))
    est = sum(
        w[k]
        * (
            (t[1][k] - t[0][k] / 2)
            - (c[1][k] - c[0][k] / 2)
            + (d[1][k] - d[0][k] / 2)
            - (dc[1][k] - dc[0][k] / 2)
        )
        for k in range(2)
    )
    var = sum(w[k] ** 2 * sum(x[0][k] / 4 + x[1][k] for x in (t, c, d, dc)) for k in range(2))
    assert_allclose(r3.estimate, est, rtol=1e-12)
    assert_allclose(r3.se**2, var, rtol=1e-12)
    with pytest.raises(
        HspworkError, match=r"time_weights must be positive lengths; received \(0, 1\)"
    ):
        wdd(treated=(1, 2), control=(3, 4), time_weights=(0, 1))


def test_bootstrap_and_simulation_counts_are_replicates_and_the_old_names_warn():
    from hspwork.evaluation import minimum_detectable_effect, power_simulation

    kw = dict(treated=(100, 60), buffer=(80, 60), control=(200, 200), seed=3)
    with pytest.warns(FutureWarning, match=r"wdq\(n_boot=\.\.\.\) is deprecated.*replicates"):
        old = wdq(**kw, n_boot=300)
    assert old.ci == wdq(**kw, replicates=300).ci
    with pytest.warns(FutureWarning, match="n_sims"):
        p = power_simulation(20, rate_per_year=5, irr=0.8, n_sims=200, seed=1)
    assert p.power == power_simulation(20, rate_per_year=5, irr=0.8, replicates=200, seed=1).power
    with pytest.warns(FutureWarning), pytest.raises(HspworkError, match="not both"):
        minimum_detectable_effect(20, rate_per_year=5, n_sims=100, replicates=300)
