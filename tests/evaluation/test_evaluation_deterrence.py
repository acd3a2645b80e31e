"""residual_deterrence: windows by hand, the spline against statsmodels, and simulated programmes."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation import residual_deterrence
from hspwork.evaluation.deterrence import spline_basis

T0 = pd.Timestamp("2025-09-01", tz="UTC")


def programme(seed, *, peak=14.0, depth=0.5, n_fences=30, days=60, width=5.0):
    """Visits of 1-35 minutes at random times; in the 120 minutes after a visit ends (or until
    the next visit) crime runs at 1 − depth·exp(−½((m − peak)/width)²) times its usual rate,
    deepest after visits of ``peak`` minutes. depth 0: no deterrence."""
    rng = np.random.default_rng(seed)
    n_min = days * 1440
    hour = (np.arange(n_min) // 60) % 24
    profile = 1 + 0.5 * np.sin(2 * np.pi * (hour - 9) / 24)
    visits, crimes = [], []
    for f in range(n_fences):
        rate = rng.gamma(2.0, 0.1) / 60 * profile  # about 0.2 crimes an hour
        gaps = rng.exponential(220, 2000) + 20
        lengths = rng.uniform(1, 35, 2000)
        starts = np.cumsum(gaps + np.r_[0, lengths[:-1]])
        keep = starts + lengths < n_min
        starts, lengths = starts[keep], lengths[keep]
        ends = starts + lengths
        mult = np.ones(n_min)
        nxt = np.r_[starts[1:], n_min]
        for s, e, m, n in zip(starts, ends, lengths, nxt):
            mult[int(np.ceil(s)) : int(np.ceil(e))] = 0.3  # police present
            d = 1 - depth * np.exp(-0.5 * ((m - peak) / width) ** 2)
            mult[int(np.ceil(e)) : int(np.ceil(min(e + 120, n)))] = d
        k = rng.poisson(rate * mult)
        minute = np.repeat(np.arange(n_min), k)
        at = minute + rng.random(minute.size)
        crimes.append(pd.DataFrame({"fence_id": f"F{f:02d}", "minute": at}))
        visits.append(pd.DataFrame({"fence_id": f"F{f:02d}", "s": starts, "e": ends, "m": lengths}))
    v = pd.concat(visits, ignore_index=True)
    c = pd.concat(crimes, ignore_index=True)
    visits = pd.DataFrame(
        {
            "fence_id": v["fence_id"],
            "start": T0 + pd.to_timedelta(v["s"], unit="min"),
            "end": T0 + pd.to_timedelta(v["e"], unit="min"),
            "minutes": v["m"],
        }
    )
    crimes = pd.DataFrame(
        {"fence_id": c["fence_id"], "occurred_from": T0 + pd.to_timedelta(c["minute"], unit="min")}
    )
    return visits, crimes


def test_windows_are_cut_by_the_next_visit_and_counted_by_hand():
    t = lambda m: T0 + pd.Timedelta(minutes=m)  # noqa: E731
    visits = pd.DataFrame(
        {
            "fence_id": ["A", "A", "A", "B", "B"],
            "start": [t(0), t(100), t(110), t(0), t(5)],
            "end": [t(10), t(105), t(400), t(30), t(20)],
            "minutes": [10.0, 5.0, 290.0, 30.0, 15.0],
        }
    )
    # A: first window 10..100 (cut by the next start), second 105..110, third 400..520.
    # B: the 15-minute visit ends while the first is still there; the first's window 30..150
    crimes = pd.DataFrame(
        {
            "fence_id": ["A", "A", "A", "A", "B", "B", "B", None],
            "occurred_from": [t(10), t(99.9), t(100), t(519), t(25), t(31), t(151), t(50)],
        }
    )
    from hspwork.evaluation.deterrence import _windows

    w, fences, vled, cled = _windows(visits, crimes, 120.0)
    got = {(fences[f], int(r)): (e, n) for f, r, e, n in
           zip(w["fence"], w["row"], w["exposure_minutes"], w["crimes"])}  # fmt: skip
    assert got == {
        ("A", 0): (90.0, 2),  # 10 and 99.9 fall in [10, 100); 100 starts the next visit
        ("A", 1): (5.0, 0),  # [105, 110): cut by the visit starting at 110
        ("A", 2): (120.0, 1),  # [400, 520): 519 is in, and nothing after it
        ("B", 3): (120.0, 1),  # [30, 150): 31 is in; 25 was during the visits, 151 after
    }
    assert vled.report().dropped == {"another visit still at the place when it ended": 1}
    assert cled.report().dropped == {"no fence_id (not in a fence)": 1}


def spline_reference(visits, crimes, window=120.0):
    """The same model built the slow way: each window counted with a loop, then a
    statsmodels Poisson GLM with place and hour dummies and an exposure offset."""
    v = visits.sort_values(["fence_id", "start"]).reset_index(drop=True)
    rows = []
    for f, g in v.groupby("fence_id"):
        naive = crimes.loc[crimes.fence_id == f, "occurred_from"].dt.tz_convert(None)
        cs = naive.sort_values().to_numpy("datetime64[ns]")
        starts = g["start"].dt.tz_convert(None).to_numpy("datetime64[ns]")
        ends = g["end"].dt.tz_convert(None).to_numpy("datetime64[ns]")
        for i in range(len(g)):
            others = np.delete(np.arange(len(g)), i)
            if np.any((starts[others] < ends[i]) & (ends[others] > ends[i])):
                continue
            later = starts[starts >= ends[i]]
            stop = min(ends[i] + np.timedelta64(int(window * 60e9), "ns"), later.min()
                       if later.size else np.datetime64("2100-01-01T00:00:00", "ns"))  # fmt: skip
            expo = (stop - ends[i]) / np.timedelta64(1, "m")
            if expo <= 0:
                continue
            n = int(np.sum((cs >= ends[i]) & (cs < stop)))
            hour = pd.Timestamp(ends[i]).tz_localize("UTC").tz_convert("Europe/London").hour
            rows.append((f, hour, g["minutes"].iat[i], expo, n))
    d = pd.DataFrame(rows, columns=["f", "hour", "m", "expo", "n"])
    d = d[d.groupby("f")["n"].transform("sum") > 0]
    d = d[d.groupby("hour")["n"].transform("sum") > 0]
    return d


def test_model_equals_statsmodels_glm_on_windows_counted_by_loop():
    visits, crimes = programme(seed=3, n_fences=6, days=20)
    r = residual_deterrence(visits, crimes)
    d = spline_reference(visits, crimes)
    assert r.n_visits == len(d) and r.n_crimes == d["n"].sum()
    B = spline_basis(d["m"].to_numpy(), r.knots)
    X = np.column_stack(
        [B, pd.get_dummies(d["f"]).to_numpy(float),
         pd.get_dummies(d["hour"]).to_numpy(float)[:, 1:]]
    )  # fmt: skip
    groups = pd.factorize(d["f"])[0]
    ref = sm.GLM(
        d["n"].to_numpy(float), X, family=sm.families.Poisson(), offset=np.log(d["expo"] / 60)
    ).fit(tol=1e-13, cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    b, V = ref.params[:3], ref.cov_params()[:3, :3] * 6 / 5
    ref_m = r.reference_minutes
    Dm = spline_basis(r.curve["minutes"].to_numpy(), r.knots) - spline_basis(
        np.array([ref_m]), r.knots
    )
    assert_allclose(r.curve["relative_rate"], np.exp(Dm @ b), rtol=1e-7)
    se = np.sqrt(np.einsum("ij,jk,ik->i", Dm, V, Dm))
    assert_allclose(np.log(r.curve["ci_high"]), Dm @ b + 1.959963984540054 * se, rtol=1e-6,
                    atol=1e-9)  # fmt: skip


def test_spline_is_linear_beyond_the_outer_knots():
    knots = np.array([2.0, 8.0, 15.0, 30.0])
    x = np.array([30.0, 40.0, 50.0, 60.0])
    B = spline_basis(x, knots)
    assert_allclose(np.diff(B, n=2, axis=0), 0, atol=1e-9)
    x_in = np.array([3.0, 8.0, 13.0])  # inside, the cubic terms bend
    assert np.abs(np.diff(spline_basis(x_in, knots)[:, 1], n=2)).max() > 1e-3


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_simulated_deterrence_peaking_at_14_minutes_is_found(seed):
    visits, crimes = programme(seed=seed, peak=14.0, depth=0.5)
    r = residual_deterrence(visits, crimes)
    assert r.significant
    assert abs(r.optimum_minutes - 14) <= 3
    row = r.curve.set_index("minutes").loc[r.optimum_minutes]
    assert 0.35 < row["relative_rate"] < 0.75 and row["ci_high"] < 1
    assert "lowest after visits of about" in r.summary()


@pytest.mark.slow
def test_no_deterrence_claims_no_optimum():
    claims = 0
    for seed in range(20, 32):
        visits, crimes = programme(seed=seed, depth=0.0)
        r = residual_deterrence(visits, crimes)
        claims += r.optimum_minutes is not None
        assert (r.optimum_minutes is None) == (not r.significant)
    # at a 5% test, no more than one claim in twelve flat programmes
    assert claims <= 1
    assert "do not say how long visits should be" in r.summary() or r.significant


def test_inexact_crime_times_and_naive_times_are_handled():
    visits, crimes = programme(seed=4, n_fences=5, days=15)
    crimes["occurred_to"] = crimes["occurred_from"]
    crimes.loc[:9, "occurred_to"] = crimes.loc[:9, "occurred_from"] + pd.Timedelta(hours=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        r = residual_deterrence(visits, crimes)
    assert r.crime_report.dropped["time known only to a window"] == 10
    naive = visits.assign(start=visits["start"].dt.tz_localize(None))
    with pytest.raises(SchemaError, match="must carry a time zone"):
        residual_deterrence(naive, crimes)
    with pytest.raises(SchemaError, match=r"visits lack columns \['minutes'\]"):
        residual_deterrence(visits.drop(columns="minutes"), crimes)
    with pytest.raises(HspworkError, match="window_minutes must be positive"):
        residual_deterrence(visits, crimes, window_minutes=0)


def test_plot_and_table():
    import matplotlib

    visits, crimes = programme(seed=5, n_fences=8, days=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        r = residual_deterrence(visits, crimes)
    assert isinstance(r.plot(), matplotlib.figure.Figure)
    t = r.table()
    assert list(t.columns) == ["minutes", "relative_rate", "ci_low", "ci_high"]
    assert t["minutes"].is_monotonic_increasing
    assert_allclose(t.loc[t.minutes == r.reference_minutes, "relative_rate"], 1.0)


def test_optimum_needs_the_joint_test_as_well_as_the_interval():
    visits, crimes = programme(seed=11)
    r = residual_deterrence(visits, crimes)
    assert r.significant
    strict = residual_deterrence(visits, crimes, alpha=r.p_value / 10)
    # the curve still dips with its interval below 1, but the joint test is not passed
    assert strict.curve["ci_high"].min() < 1 and strict.p_value == r.p_value
    assert not strict.significant and strict.optimum_minutes is None
    assert "do not say how long visits should be" in strict.summary()
