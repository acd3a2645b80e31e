"""Edge cases of RIRR, WDD and WDQ: the limits of what each accepts, and the exact numbers.

These tests pin the boundaries a crime analyst can hit with real counts: a confidence level of
exactly 0 or 1, a count or dispersion of exactly 0 or 1, an after-period with no crime, unequal
before/after period lengths, a control area with a single crime, a quotient of exactly -1. They
also check the briefing lines word for word, that results cannot be changed after the fact,
which arguments must be named, and the WDQ bootstrap against a re-computation of the same
seeded draws (with the negative binomial set up as documented: p = 1/D, n = mean·p/(1 − p)).
"""

import dataclasses
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from hspwork.errors import HspworkError
from hspwork.evaluation import rirr, wdd, wdq
from hspwork.evaluation.measures import RIRRResult, WDDResult, WDQResult

# --- confidence level -------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 0.0, 1, 1.0, -0.5, 1.5])
def test_levels_outside_the_open_unit_interval_are_refused(level):
    with pytest.raises(HspworkError, match="level must be between 0 and 1"):
        rirr(120, 90, 100, 110, level=level)
    with pytest.raises(HspworkError, match="level must be between 0 and 1"):
        wdd(treated=(60, 40), control=(50, 50), level=level)


def test_a_fifty_percent_level_is_accepted():
    # z for a 50% interval is the 75th percentile of N(0, 1) = 0.6744897501960817
    zc = stats.norm.ppf(0.75)
    assert_allclose(zc, 0.6744897501960817, rtol=1e-12)
    r = rirr(120, 90, 100, 110, level=0.5)
    se = np.sqrt(1 / 120 + 1 / 90 + 1 / 100 + 1 / 110)
    log_r = np.log(120 * 110 / (90 * 100))
    assert_allclose(r.ci, np.exp(log_r + np.array([-1, 1]) * zc * se), rtol=1e-12)
    # WDD -20, variance 60 + 40 + 50 + 50 = 200
    w = wdd(treated=(60, 40), control=(50, 50), level=0.5)
    assert_allclose(w.ci, (-20 - zc * np.sqrt(200), -20 + zc * np.sqrt(200)), rtol=1e-12)


# --- RIRR -------------------------------------------------------------------------------------


def test_rirr_accepts_counts_of_one():
    # a = b = c = d = 1: RIRR = 1, log 0, SE = sqrt(1 + 1 + 1 + 1) = 2, z = 0, p = 1
    r = rirr(1, 1, 1, 1)
    assert r.rirr == 1.0 and r.log_rirr == 0.0
    assert_allclose(r.se, 2.0, rtol=1e-12)
    assert r.z == 0.0 and r.p_value == 1.0
    # a single crime in one cell: RIRR = (1*4)/(2*3) = 2/3, SE = sqrt(1 + 1/2 + 1/3 + 1/4)
    r = rirr(1, 2, 3, 4)
    assert_allclose(r.rirr, 2 / 3, rtol=1e-12)
    assert_allclose(r.se, np.sqrt(1 + 1 / 2 + 1 / 3 + 1 / 4), rtol=1e-12)
    # harm-weighted counts can be fractions of one
    r = rirr(0.5, 1, 1, 1)
    assert_allclose(r.rirr, 0.5, rtol=1e-12)
    assert_allclose(r.se, np.sqrt(2 + 1 + 1 + 1), rtol=1e-12)


@pytest.mark.parametrize("dispersion", [0, 0.0, -0.5, -1, np.inf, np.nan])
def test_rirr_refuses_dispersion_that_is_not_positive(dispersion):
    with pytest.raises(HspworkError, match="dispersion must be a positive number"):
        rirr(120, 90, 100, 110, dispersion=dispersion)


def test_rirr_small_dispersion_is_accepted():
    # D = 0.25 (underdispersed) halves the SE: sqrt(0.25) = 0.5
    se = np.sqrt(1 / 120 + 1 / 90 + 1 / 100 + 1 / 110)
    assert_allclose(rirr(120, 90, 100, 110, dispersion=0.25).se, 0.5 * se, rtol=1e-12)


def test_rirr_options_must_be_named_and_counts_may_be():
    with pytest.raises(TypeError):
        rirr(120, 90, 100, 110, 2.5)
    with pytest.raises(TypeError):
        rirr(120, 90, 100, 110, 2.5, 0.9)
    # the four counts can be given by name
    r = rirr(a=120, b=90, c=100, d=110, dispersion=2.5)
    assert_allclose(r.rirr, 13200 / 9000, rtol=1e-12)
    assert r.dispersion == 2.5


def test_rirr_p_value_is_two_sided_normal():
    r = rirr(57, 41, 63, 66)
    # z = ln(57*66 / (41*63)) / sqrt(1/57 + 1/41 + 1/63 + 1/66); two-sided p = P(chi2_1 > z^2)
    z = np.log(57 * 66 / (41 * 63)) / np.sqrt(1 / 57 + 1 / 41 + 1 / 63 + 1 / 66)
    assert_allclose(r.z, z, rtol=1e-12)
    assert_allclose(r.p_value, stats.chi2.sf(z**2, df=1), rtol=1e-9)


def test_rirr_summary_text():
    res = RIRRResult(
        rirr=1.25,
        log_rirr=float(np.log(1.25)),
        se=0.2,
        ci=(0.8, 1.9),
        z=1.1,
        p_value=0.0123,
        percent_change=-20.0,
        dispersion=2.5,
    )
    assert res.summary() == (
        "RIRR 1.250 (95% CI 0.800 to 1.900, p = 0.0123); treated places changed by -20.0% "
        "relative to controls (dispersion 2.5)"
    )
    # from a real computation: the interval on the ratio scale is asymmetric
    r = rirr(100, 80, 100, 100)
    lo, hi = r.ci
    assert f"(95% CI {lo:.3f} to {hi:.3f}, p = " in r.summary()
    assert f"{lo:.3f}" != f"{hi:.3f}"


# --- WDD --------------------------------------------------------------------------------------


def test_wdd_summary_text():
    res = WDDResult(
        estimate=-10.0,
        se=7.5,
        z=-1.33,
        ci=(-30.0, 5.5),
        p_value=0.18,
        local=-8.0,
        displacement=-2.0,
    )
    assert res.summary() == (
        "WDD -10.0 (SE 7.50, 95% CI -30.0 to +5.5, z = -1.33, p = 0.18); local -8.0, "
        "displacement area -2.0"
    )


def test_wdd_p_value_matches_scipy():
    # WDD = (40 - 60) - (55 - 50) = -25, variance 60 + 40 + 50 + 55 = 205
    r = wdd(treated=(60, 40), control=(50, 55))
    z = -25 / np.sqrt(205)
    assert_allclose(r.z, z, rtol=1e-12)
    assert_allclose(r.p_value, 2 * stats.norm.cdf(-abs(z)), rtol=1e-9)
    assert_allclose(r.p_value, stats.chi2.sf(z**2, df=1), rtol=1e-9)
    # a positive difference gives the same p-value
    assert_allclose(wdd(treated=(40, 60), control=(55, 50)).p_value, r.p_value, rtol=1e-12)


def test_wdd_unequal_periods_neither_of_length_one():
    # two periods before, three after: treated 80 -> 36, control 100 -> 45
    # estimate = (36/3 - 80/2) - (45/3 - 100/2) = (12 - 40) - (15 - 50) = -28 + 35 = 7
    # variance = 80/2**2 + 36/3**2 + 100/2**2 + 45/3**2 = 20 + 4 + 25 + 5 = 54
    r = wdd(treated=(80, 36), control=(100, 45), time_weights=(2, 3))
    assert_allclose(r.estimate, 7.0, rtol=1e-12)
    assert_allclose(r.se**2, 54.0, rtol=1e-12)
    assert_allclose(r.z, 7 / np.sqrt(54), rtol=1e-12)
    assert_allclose(r.p_value, stats.chi2.sf(49 / 54, df=1), rtol=1e-9)
    # with a displacement area 30 -> 27 and its control 20 -> 18 (same lengths):
    # displacement = (27/3 - 30/2) - (18/3 - 20/2) = (9 - 15) - (6 - 10) = -2
    # variance adds 30/4 + 27/9 + 20/4 + 18/9 = 7.5 + 3 + 5 + 2 = 17.5
    r = wdd((80, 36), (100, 45), (30, 27), (20, 18), time_weights=(2, 3))
    assert_allclose(r.displacement, -2.0, rtol=1e-12)
    assert_allclose(r.estimate, 5.0, rtol=1e-12)
    assert_allclose(r.se**2, 54.0 + 17.5, rtol=1e-12)


def test_wdd_accepts_an_after_period_with_no_crime():
    # treated 5 -> 0, control 3 -> 3: WDD = (0 - 5) - (3 - 3) = -5, variance 5 + 0 + 3 + 3 = 11
    r = wdd(treated=(5, 0), control=(3, 3))
    assert r.estimate == -5.0
    assert_allclose(r.se**2, 11.0, rtol=1e-12)
    # and a control that had none before: (2 - 5) - (4 - 0) = -7, variance 5 + 2 + 0 + 4 = 11
    r = wdd(treated=(5, 2), control=(0, 4))
    assert r.estimate == -7.0
    assert_allclose(r.se**2, 11.0, rtol=1e-12)


@pytest.mark.parametrize("after", [-1, -0.5, -2])
def test_wdd_refuses_negative_after_counts(after):
    with pytest.raises(HspworkError, match="treated counts must be non-negative"):
        wdd(treated=(5, after), control=(3, 3))
    with pytest.raises(HspworkError, match="control counts must be non-negative"):
        wdd(treated=(5, 3), control=(3, after))


@pytest.mark.parametrize("pair", [(np.inf, 2), (2, np.inf), (np.nan, 2), (2, np.nan)])
def test_wdd_refuses_counts_that_are_not_finite_in_either_period(pair):
    with pytest.raises(HspworkError, match="treated counts must be finite"):
        wdd(treated=pair, control=(3, 3))
    with pytest.raises(HspworkError, match="buffer counts must be finite"):
        wdq(treated=(10, 5), buffer=pair, control=(10, 10))


@pytest.mark.parametrize("bad", [(1, 2, 3), 5, (1,), None])
def test_a_count_that_is_not_a_before_after_pair_is_named(bad):
    with pytest.raises(HspworkError, match=r"treated must be a \(before, after\) pair"):
        wdd(treated=bad, control=(3, 3))
    with pytest.raises(HspworkError, match=r"control must be a \(before, after\) pair"):
        wdq(treated=(10, 5), buffer=(4, 4), control=bad)


def test_wdd_refuses_all_zero_counts():
    with pytest.raises(HspworkError, match="all counts are zero"):
        wdd(treated=(0, 0), control=(0, 0))
    with pytest.raises(HspworkError, match="all counts are zero"):
        wdd(treated=(0, 0), control=(0, 0), displaced=(0, 0), displaced_control=(0, 0))
    # a single crime anywhere is enough: WDD = 0 - (1 - 0) = -1, variance 1
    r = wdd(treated=(0, 0), control=(0, 1))
    assert r.estimate == -1.0 and r.se == 1.0


def test_weights_error_names_the_number_of_rows_received():
    # a 3 x 2 table of weights for two crime types: three rows received
    with pytest.raises(HspworkError, match=r"one entry per crime type \(2\); received 3$"):
        wdd(treated=([1, 2], [2, 2]), control=([3, 4], [4, 4]), weights=np.ones((3, 2)))
    with pytest.raises(HspworkError, match=r"one entry per crime type \(2\); received 3$"):
        wdq(
            treated=([10, 20], [5, 10]),
            buffer=([4, 4], [4, 4]),
            control=([10, 10], [10, 10]),
            weights=np.ones((3, 2)),
        )


@pytest.mark.parametrize("time_weights", [5, None, ("a", 1), (1, "b"), (1, 2, 3), (1,), (None, 1)])
def test_time_weights_that_are_not_a_pair_of_numbers_are_refused(time_weights):
    with pytest.raises(HspworkError, match=r"time_weights must be a \(before, after\) pair"):
        wdd(treated=(60, 40), control=(50, 50), time_weights=time_weights)


@pytest.mark.parametrize("time_weights", [(1, 0), (1, -0.5), (1, -1), (0, 1), (-0.5, 1)])
def test_time_weights_must_be_positive(time_weights):
    with pytest.raises(HspworkError, match="time_weights must be positive lengths"):
        wdd(treated=(60, 40), control=(50, 50), time_weights=time_weights)


def test_wdd_options_must_be_named():
    with pytest.raises(TypeError):
        wdd((60, 40), (50, 50), None, None, None, (2, 1))


# --- WDQ --------------------------------------------------------------------------------------


def test_wdq_summary_text():
    res = WDQResult(
        success=-0.2,
        buffer=-0.1,
        wdq=0.5,
        label="diffusion of benefits",
        ci=(0.1, 0.95),
        share_defined=1.0,
        total_net_effect=60.0,
    )
    assert res.summary() == (
        "WDQ 0.50 (bootstrap 95% CI 0.10 to 0.95): diffusion of benefits; success -0.200, "
        "buffer -0.100; total net effect +60.0"
    )


def test_wdq_no_change_relative_to_control_is_not_meaningful():
    # treated 100 -> 100, control 200 -> 200: success = 0.5 - 0.5 = 0 exactly
    r = wdq(treated=(100, 100), buffer=(80, 60), control=(200, 200), replicates=50)
    assert r.success == 0.0
    assert np.isnan(r.wdq)
    assert r.label == "no relative reduction in the treated area: WDQ is not meaningful"


def test_wdq_of_exactly_minus_one_is_displacement_smaller_than_the_effect():
    # success = 50/100 - 100/100 = -0.5; buffer = 100/100 - 50/100 = 0.5; WDQ = -1 exactly
    r = wdq(treated=(100, 50), buffer=(50, 100), control=(100, 100), replicates=50)
    assert r.wdq == -1.0
    assert r.label == "displacement, smaller than the direct effect"
    # total net effect: (100 - 50) + (50 - 100) = 0
    assert r.total_net_effect == 0.0


def test_wdq_accepts_a_control_with_one_crime_after():
    # treated 10 -> 1, buffer 5 -> 1, control 5 -> 1 (Ca/Cb = 0.2):
    # success = 1/1 - 10/5 = -1; buffer = 1/1 - 5/5 = 0; WDQ = 0
    # total net effect = (10*0.2 - 1) + (5*0.2 - 1) = 1 + 0 = 1
    r = wdq(treated=(10, 1), buffer=(5, 1), control=(5, 1), replicates=50)
    assert_allclose(r.success, -1.0, rtol=1e-12)
    assert r.buffer == 0.0 and r.wdq == 0.0
    assert r.label == "no displacement or diffusion"
    assert_allclose(r.total_net_effect, 1.0, rtol=1e-12)
    # a control of a fraction of one harm-weighted crime is above zero too
    r = wdq(treated=(10, 1), buffer=(5, 1), control=(5, 0.5), replicates=50)
    assert_allclose(r.success, 1 / 0.5 - 10 / 5, atol=1e-12)


@pytest.mark.parametrize("control", [(5, 0), (0, 5), (0, 0)])
def test_wdq_refuses_a_control_with_no_crime_in_a_period(control):
    with pytest.raises(HspworkError, match="control area needs counts above zero"):
        wdq(treated=(10, 5), buffer=(4, 4), control=control)


@pytest.mark.parametrize("dispersion", [0.5, 0.999, 0, -1, np.inf, np.nan])
def test_wdq_refuses_dispersion_below_one_or_not_finite(dispersion):
    with pytest.raises(HspworkError, match="dispersion must be at least 1"):
        wdq(treated=(100, 60), buffer=(80, 60), control=(200, 200), dispersion=dispersion)


def test_wdq_options_must_be_named():
    with pytest.raises(TypeError):
        wdq((100, 60), (80, 60), (200, 200), None)


def _replay_bootstrap(counts, weights, dispersion, replicates, level, seed):
    """The documented WDQ bootstrap, worked out again from the same seeded generator."""
    counts = np.asarray(counts, dtype=float).reshape(6, -1)  # rb ra db da cb ca x types
    k = counts.shape[1]
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    if dispersion == 1:
        redrawn = rng.poisson(counts, size=(replicates, 6, k)).astype(float)
    else:
        # negative binomial with mean m and variance D*m: p = 1/D, n = m*p/(1 - p)
        p = 1.0 / dispersion
        n = np.maximum(counts, 1e-12) * p / (1 - p)
        redrawn = rng.negative_binomial(n, p, size=(replicates, 6, k)).astype(float)
    rb, ra, db, da, cb, ca = (redrawn @ w).T
    keep = (cb > 0) & (ca > 0)  # draws with a control count of zero are set aside
    success = ra[keep] / ca[keep] - rb[keep] / cb[keep]
    buffer = da[keep] / ca[keep] - db[keep] / cb[keep]
    defined = success < 0
    share = defined.sum() / replicates
    if defined.sum() < 10:
        return share, (np.nan, np.nan), defined.sum()
    q = buffer[defined] / success[defined]
    lo, hi = np.quantile(q, [(1 - level) / 2, (1 + level) / 2])
    return share, (lo, hi), defined.sum()


@pytest.mark.parametrize("dispersion", [1.0, 2.5])
@pytest.mark.parametrize("level", [0.95, 0.8])
def test_wdq_bootstrap_matches_a_replay_with_small_control_counts(dispersion, level):
    # a control of 2 -> 2 is often redrawn as 0 (Poisson: e^-2 = 13.5% of draws per period),
    # and treated 3 -> 1 often ties the control's rate (success exactly 0)
    kw = dict(treated=(3, 1), buffer=(2, 2), control=(2, 2))
    counts = [3, 1, 2, 2, 2, 2]
    r = wdq(**kw, dispersion=dispersion, replicates=1500, level=level, seed=11)
    share, ci, n_defined = _replay_bootstrap(counts, None, dispersion, 1500, level, 11)
    assert n_defined >= 10
    assert 0 < r.share_defined < 1
    assert_allclose(r.share_defined, share, rtol=1e-12)
    assert_allclose(r.ci, ci, rtol=1e-9)
    assert np.all(np.isfinite(r.ci))


@pytest.mark.parametrize("dispersion", [1.0, 3.0])
def test_wdq_bootstrap_matches_a_replay_with_harm_weights(dispersion):
    t = ([40, 30], [25, 28])
    b = ([30, 25], [24, 24])
    c = ([80, 60], [80, 61])
    w = [365.0, 2.0]
    counts = [t[0], t[1], b[0], b[1], c[0], c[1]]
    r = wdq(t, b, c, weights=w, dispersion=dispersion, replicates=800, seed=4)
    share, ci, _ = _replay_bootstrap(counts, w, dispersion, 800, 0.95, 4)
    assert 0 <= r.share_defined <= 1
    assert_allclose(r.share_defined, share, rtol=1e-12)
    assert_allclose(r.ci, ci, rtol=1e-9)


def test_wdq_bootstrap_does_not_divide_by_a_zero_control_draw():
    # control 1 -> 1: about e^-1 = 37% of draws have a zero control count in each period;
    # those draws are set aside rather than divided by, so no division warning appears
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = wdq(treated=(3, 1), buffer=(2, 2), control=(1, 1), replicates=1000, seed=2)
        r2 = wdq(
            treated=(3, 1), buffer=(2, 2), control=(1, 1), replicates=1000, seed=2, dispersion=2
        )
    assert 0 < r.share_defined < 1 and 0 < r2.share_defined < 1


def test_wdq_share_defined_is_a_share_of_the_draws():
    # success -0.9 with large counts: every one of the draws has success < 0
    r = wdq(treated=(1000, 100), buffer=(100, 100), control=(1000, 1000), replicates=40)
    assert r.share_defined == 1.0
    # no reduction at all (treated rises 100 -> 300 against a flat control): no draw defined
    r = wdq(treated=(100, 300), buffer=(100, 100), control=(1000, 1000), replicates=40)
    assert r.share_defined == 0.0
    assert np.isnan(r.ci[0]) and np.isnan(r.ci[1])


def test_wdq_interval_needs_ten_defined_draws():
    kw = dict(treated=(1000, 100), buffer=(100, 100), control=(1000, 1000))
    # ten draws, all with success < 0: enough for an interval
    r = wdq(**kw, replicates=10)
    assert r.share_defined == 1.0
    assert np.all(np.isfinite(r.ci)) and r.ci[0] <= r.ci[1]
    share, ci, _ = _replay_bootstrap([1000, 100, 100, 100, 1000, 1000], None, 1, 10, 0.95, 0)
    assert share == 1.0
    assert_allclose(r.ci, ci, rtol=1e-9)
    # nine draws: too few, no interval
    r = wdq(**kw, replicates=9)
    assert r.share_defined == 1.0
    assert np.isnan(r.ci[0]) and np.isnan(r.ci[1])


def test_wdq_interval_uses_equal_tails():
    # the 95% interval runs from the 2.5th to the 97.5th percentile of the defined draws, so
    # about 2.5% of the replayed quotients fall below it and 2.5% above
    kw = dict(treated=(400, 250), buffer=(300, 240), control=(800, 800))
    r = wdq(**kw, replicates=2000, seed=7)
    rng = np.random.default_rng(7)
    rb, ra, db, da, cb, ca = (
        rng.poisson(np.array([400, 250, 300, 240, 800, 800.0])[:, None], size=(2000, 6, 1))
        .astype(float)
        .sum(axis=2)
        .T
    )
    q = (da / ca - db / cb) / (ra / ca - rb / cb)
    assert_allclose(np.mean(q < r.ci[0]), 0.025, atol=0.002)
    assert_allclose(np.mean(q > r.ci[1]), 0.025, atol=0.002)
    # an 80% interval: 10% each side
    r80 = wdq(**kw, replicates=2000, seed=7, level=0.8)
    assert_allclose(np.mean(q < r80.ci[0]), 0.10, atol=0.002)
    assert_allclose(np.mean(q > r80.ci[1]), 0.10, atol=0.002)


def test_wdq_overdispersion_widens_the_interval_by_the_root_of_the_dispersion():
    # variance D times the Poisson variance: the delta-method SE grows by sqrt(D), so the
    # interval for D = 4 is about twice as wide as the Poisson one (4000 draws each)
    kw = dict(treated=(4000, 2500), buffer=(3000, 2400), control=(8000, 8000), replicates=4000)
    for seed in (0, 5):
        poisson = wdq(**kw, seed=seed)
        nb = wdq(**kw, seed=seed, dispersion=4.0)
        ratio = (nb.ci[1] - nb.ci[0]) / (poisson.ci[1] - poisson.ci[0])
        assert_allclose(ratio, 2.0, rtol=0.1)
        # the same means, so the interval stays centred on the estimate
        assert nb.ci[0] < nb.wdq < nb.ci[1]


def test_wdq_buffer_with_no_crime_has_a_zero_interval():
    # a buffer with no crime in either period is redrawn as zero every time, so every defined
    # quotient is 0 / success = 0 and the interval is (0, 0), Poisson or overdispersed
    kw = dict(treated=(100, 60), buffer=(0, 0), control=(200, 200), replicates=300)
    for dispersion in (1.0, 1.5, 4.0):
        r = wdq(**kw, dispersion=dispersion, seed=1)
        assert r.wdq == 0.0
        assert r.ci == (0.0, 0.0)
    # with harm weights over two types, one type never seen in the buffer
    r = wdq(
        treated=([100, 50], [60, 40]),
        buffer=([0, 0], [0, 0]),
        control=([200, 100], [200, 100]),
        weights=[365, 2],
        dispersion=2.0,
        replicates=300,
    )
    assert r.ci == (0.0, 0.0)


# --- results are fixed once computed ----------------------------------------------------------


def test_results_cannot_be_changed_after_the_fact():
    r = rirr(120, 90, 100, 110)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.rirr = 2.0
    w = wdd(treated=(60, 40), control=(50, 50))
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.estimate = 0.0
    q = wdq(treated=(100, 60), buffer=(80, 60), control=(200, 200), replicates=50)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.wdq = 0.0


def test_wdq_of_exactly_one_is_diffusion_not_larger_than_the_effect():
    # success = 50/100 - 100/100 = -0.5; buffer = 50/100 - 100/100 = -0.5; WDQ = +1 exactly:
    # the buffer improved as much as the treated area, no more.
    r = wdq(treated=(100, 50), buffer=(100, 50), control=(100, 100), replicates=50)
    assert r.wdq == 1.0
    assert r.label == "diffusion of benefits"
