"""match_controls: features by hand, matching rules, and regression to the mean by simulation."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hspwork.errors import HspworkError, SchemaError
from hspwork.evaluation import REGRESSION_TO_THE_MEAN, match_controls

HARM = np.array([0, 10, 1, 2, 2, 274, 365, 365, 182, 2555], float)
MIX = np.array([0.2, 0.2, 0.15, 0.1, 0.1, 0.06, 0.12, 0.03, 0.02, 0.002])
MIX = MIX / MIX.sum()
COLS = dict(unit="place", period="week")


def town(seed, irr=1.0, n=400, weeks=52, top=20):
    """400 places over three years: each has its own level and good and bad years. The 20
    with most crime in the year before the start are patrolled in the third year, where
    their crime is multiplied by ``irr``."""
    rng = np.random.default_rng(seed)
    level = rng.gamma(1.5, 0.4 / 1.5, n)  # about 21 crimes a year
    luck = rng.gamma(6, 1 / 6, (n, 3))  # a place's year-to-year swings (sd 0.4)
    n_t = 3 * weeks
    u, t = np.repeat(np.arange(n), n_t), np.tile(np.arange(n_t), n)
    year = t // weeks
    cf = rng.poisson(level[u] * luck[u, year] * np.exp(0.15 * np.sin(2 * np.pi * t / 52)))
    post = (year == 2).astype(int)
    chosen = np.argsort(-cf.reshape(n, n_t)[:, weeks : 2 * weeks].sum(1), kind="stable")[:top]
    treated = np.isin(np.arange(n), chosen).astype(int)
    row = np.repeat(np.arange(cf.size), cf)
    offence = rng.choice(HARM.size, size=row.size, p=MIX)
    keep = rng.random(row.size) < np.where((treated[u][row] == 1) & (post[row] == 1), irr, 1.0)
    return pd.DataFrame(
        dict(
            place=u, week=t, year=year, post=post, treated=treated[u],
            crimes=np.bincount(row[keep], minlength=cf.size),
            harm=np.bincount(row[keep], weights=HARM[offence[keep]], minlength=cf.size),
        )
    )  # fmt: skip


def naive_before_after(panel):
    t = panel[panel.treated == 1]
    return t.loc[t.post == 1, "crimes"].sum() / t.loc[(t.post == 0) & (t.year == 1), "crimes"].sum()


@pytest.mark.slow
@pytest.mark.parametrize("irr", [1.0, 0.8])
def test_hottest_20_of_400_naive_falls_matched_recovers_truth(irr):
    """The naive before/after at the 20 hottest places shows a large fall from regression to
    the mean alone; the matched evaluation recovers the truth, with or without an effect."""
    n_rep = 40
    naive, est, cover, matched = (np.empty(n_rep) for _ in range(4))
    for i in range(n_rep):
        panel = town(seed=500 + i, irr=irr)
        naive[i] = naive_before_after(panel)
        m = match_controls(panel, **COLS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = m.evaluate(outcome="crimes")
        est[i], cover[i] = r.irr, r.ci[0] < irr < r.ci[1]
        matched[i] = m.settings["n_matched"]
    assert naive.mean() < irr * 0.8  # a fall of 20% or more beyond any true effect
    assert abs(est.mean() - irr) < 0.05
    assert cover.mean() >= 0.85
    assert matched.mean() >= 10  # most chosen places find a comparison


def test_features_by_hand():
    # two pre-periods and one after: level = log(1 + mean), trend = slope/(mean + 1) x periods
    panel = pd.DataFrame(
        {"place": ["A", "A", "A", "B", "B", "B"], "week": [0, 1, 2] * 2, "post": [0, 0, 1] * 2,
         "treated": [1, 1, 1, 0, 0, 0], "crimes": [2, 6, 1, 3, 3, 9]}
    )  # fmt: skip
    m = match_controls(panel, **COLS, outcomes=("crimes",), caliper=100)
    f = m.features
    assert_allclose(f.loc["A", "crimes_level"], np.log1p(4.0))
    assert_allclose(f.loc["A", "crimes_trend"], 4.0 / 5.0 * 2)  # slope 4 a period
    assert_allclose(f.loc["B", "crimes_trend"], 0.0)
    assert list(m.pairs[["treated_unit", "control_unit"]].iloc[0]) == ["A", "B"]
    assert set(m.panel["place"]) == {"A", "B"} and m.panel["match"].nunique() == 1


def test_nearest_comparison_wins_and_caliper_leaves_the_unmatched_out():
    # steady weekly counts (no trend), so only the level separates the places
    levels = {"T1": 10.0, "T2": 40.0, "C1": 10.5, "C2": 14.0, "C3": 9.0, "C4": 12.0}
    rows = []
    for p, lv in levels.items():
        for w in range(10):
            rows.append((p, w, int(w >= 8), int(p.startswith("T")), lv))
    panel = pd.DataFrame(rows, columns=["place", "week", "post", "treated", "crimes"])
    m = match_controls(panel, **COLS, outcomes=("crimes",), caliper=0.6)
    assert m.unmatched == ["T2"]  # four times busier than any untreated place
    assert m.pairs["treated_unit"].tolist() == ["T1"]
    # the chosen comparison is the nearest in Mahalanobis distance among those in the caliper
    f = m.features
    z = (f - f.mean()) / f.std(ddof=1).replace(0.0, 1.0)  # a feature with no spread: unscaled
    inv = np.linalg.pinv(np.cov(z.to_numpy(), rowvar=False))
    d = {c: float((z.loc["T1"] - z.loc[c]) @ inv @ (z.loc["T1"] - z.loc[c])) for c in
         ["C1", "C2", "C3", "C4"] if (abs(z.loc["T1"] - z.loc[c]) <= 0.6).all()}  # fmt: skip
    assert m.pairs["control_unit"].iat[0] == min(d, key=d.get) == "C1"
    assert "no comparison close enough (T2)" in m.summary()


def test_without_replacement_and_ratio():
    panel = town(seed=7, n=120, top=6)
    m = match_controls(panel, **COLS, ratio=2, caliper=3.0)
    assert not m.pairs["control_unit"].duplicated().any()
    assert (m.pairs.groupby("treated_unit").size() == 2).all()
    assert len(m.pairs) == 2 * m.settings["n_matched"]


def test_balance_improves_and_uses_one_denominator():
    panel = town(seed=8)
    m = match_controls(panel, **COLS)
    b = m.balance
    assert (b["std_diff_after"].abs() < b["std_diff_before"].abs()).all()
    # by hand for one feature: the spread before matching is the denominator both times
    f = m.features
    t_all = f.loc[panel.groupby("place")["treated"].first().astype(bool), "crimes_level"]
    pool = f.drop(index=t_all.index)["crimes_level"]
    denom = np.sqrt((t_all.std() ** 2 + pool.std() ** 2) / 2)
    tm = f.loc[m.pairs["treated_unit"].unique(), "crimes_level"].mean()
    cm = f.loc[m.pairs["control_unit"], "crimes_level"].mean()
    assert_allclose(b.loc["crimes_level", "std_diff_after"], (tm - cm) / denom, rtol=1e-12)
    assert_allclose(b.loc["crimes_level", "std_diff_before"], (t_all.mean() - pool.mean()) / denom)


def test_errors():
    panel = town(seed=9, n=60, top=5)
    with pytest.raises(SchemaError, match=r"lacks columns \['spot'\]"):
        match_controls(panel, unit="spot", period="week")
    with pytest.raises(HspworkError, match="ratio must be at least 1"):
        match_controls(panel, **COLS, ratio=0)
    bad = panel.copy()
    bad.loc[bad.index[:3], "treated"] = 1 - bad.loc[bad.index[:3], "treated"]
    with pytest.raises(SchemaError, match="must be constant within each 'place'"):
        match_controls(bad, **COLS)
    tight = match_controls(panel, **COLS, caliper=1e-6)
    with pytest.raises(HspworkError, match="no chosen place has a comparison"):
        tight.evaluate()


def test_regression_to_the_mean_words():
    text = REGRESSION_TO_THE_MEAN
    assert "regression to the mean" in text and "looked the same beforehand" in text
    assert len(text.split()) < 160  # a paragraph a chief inspector reads in a minute


@pytest.mark.slow  # a statsmodels fit with every interaction as the reference: seconds, kept out of make test-fast
def test_adjusted_evaluation_equals_statsmodels_with_post_by_feature_terms():
    import statsmodels.api as sm

    panel = town(seed=10, n=150, top=8)
    m = match_controls(panel, **COLS, caliper=2.0)
    sub = m.panel[m.panel.groupby("place")["crimes"].transform("sum") > 0]
    F = m.features.loc[sub["place"]].to_numpy()
    F = (F - F.mean(0)) / F.std(0)
    post = sub["post"].to_numpy()
    X = np.column_stack(
        [np.ones(len(sub)), pd.get_dummies(sub["place"]).to_numpy(float)[:, 1:],
         pd.get_dummies(sub["week"]).to_numpy(float)[:, 1:], F * post[:, None],
         (sub["treated"] * sub["post"]).to_numpy(float)]
    )  # fmt: skip
    ref = sm.GLM(sub["crimes"].to_numpy(float), X, family=sm.families.Poisson()).fit(
        tol=1e-13, cov_type="cluster", cov_kwds={"groups": pd.factorize(sub["place"])[0]}
    )
    r = m.evaluate(interval="cluster")
    assert_allclose(r.log_irr, ref.params[-1], rtol=1e-8)
    assert_allclose(r.se, ref.bse[-1], rtol=1e-7)
    from hspwork.evaluation import estimate_effect

    plain = m.evaluate(adjust=False, interval="cluster")
    direct = estimate_effect(m.panel, outcome="crimes", treated="treated", post="post", **COLS,
                             model="poisson")  # fmt: skip
    assert plain.log_irr == direct.log_irr and plain.log_irr != r.log_irr
