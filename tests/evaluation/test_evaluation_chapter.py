"""Chapter 4's assembly (hspwork.evaluation.chapter), each function against hand-worked values."""

import json
import warnings

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import Point, box

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation import (
    DesignChoice,
    cost_benefit,
    estimate_effect,
    randomisation_inference,
    rirr,
    staggered_effect,
)
from hspwork.evaluation import chapter as ch
from hspwork.evaluation.choice import DESIGNS

matplotlib.use("Agg")
import matplotlib.pyplot as plt

TZ = "Europe/London"


def outcomes_frame(tb=100, ta=80, cb=100, ca=100, hb=1000.0, ha=500.0, hcb=800.0, hca=800.0):
    return pd.DataFrame(
        {"group": ["treatment", "treatment", "control", "control"],
         "period": ["before", "after"] * 2, "crimes": [tb, ta, cb, ca],
         "harm": [hb, ha, hcb, hca]}
    )  # fmt: skip


def zone_table(rows: dict) -> pd.DataFrame:
    t = pd.DataFrame.from_dict(rows, orient="index", columns=["before", "after"])
    t["change"] = t["after"] - t["before"]
    t["percent_change"] = 100 * t["change"] / t["before"]
    return t


# ------------------------------------------------------------------------------ words


def test_p_text_and_change_text_at_their_boundaries():
    assert ch.p_text(0.001) == "p = 0.001"
    assert ch.p_text(0.000999) == "p < 0.001"
    assert ch.p_text(3e-12) == "p < 0.001"  # never scientific notation
    assert ch.p_text(0.0495) == "p = 0.050" and ch.p_text(None) == "p not available"
    assert ch.change_text(0.75) == "\u221225%"
    assert ch.change_text(1.2) == "+20%"
    assert ch.change_text(0.9996) == "0%"  # not "−0%"
    assert ch.change_text(1.0004, decimals=1) == "0.0%"


# ------------------------------------------------------------------------------ windows and design


def test_study_windows_by_hand_and_across_the_clock_change():
    times = pd.Series(pd.to_datetime(["2024-01-05 10:00", "2025-12-20 09:00"], utc=True))
    w = ch.study_windows(times, tz=TZ, programme_start="2025-09-01", programme_end="2025-11-30")
    assert (w.days, w.after.text, w.before.text) == (
        90, "1 Sep 2025 to 29 Nov 2025", "3 Jun 2025 to 31 Aug 2025"
    )  # fmt: skip
    assert w.periods == {
        "before": "3 Jun 2025 to 31 Aug 2025",
        "after": "1 Sep 2025 to 29 Nov 2025",
    }
    assert w.panel_start == pd.Timestamp("2024-09-02", tz=TZ)  # 52 weeks = 364 days before
    assert w.pair("before") == (pd.Timestamp("2025-06-02 23:00", tz="UTC"),
                                pd.Timestamp("2025-08-31 23:00", tz="UTC"))  # fmt: skip
    # a programme starting in GMT whose before-window begins in BST: local midnight, not 01:00
    w = ch.study_windows(times, tz=TZ, programme_start="2025-11-03", programme_end="2026-01-02")
    assert w.days == 60 and w.before.start == pd.Timestamp("2025-09-04", tz=TZ)
    assert w.before.start_utc == pd.Timestamp("2025-09-03 23:00", tz="UTC")
    # and a programme starting in BST whose before-window begins in GMT: 60 local days back
    w = ch.study_windows(times, tz=TZ, programme_start="2025-04-07", programme_end="2025-06-06")
    assert w.before.start == pd.Timestamp("2025-02-06", tz=TZ) and w.before.days == 60
    w = ch.study_windows(times, tz=TZ, programme_start="2025-09-01", panel_start="2025-01-06")
    assert w.panel_start == pd.Timestamp("2025-01-06", tz=TZ)
    assert w.after.end == pd.Timestamp("2025-12-21", tz=TZ)  # the day after the data end
    with pytest.raises(HspworkError, match=r"panel_start .* must be on or before"):
        ch.study_windows(times, tz=TZ, programme_start="2025-09-01", panel_start="2025-08-01")
    with pytest.raises(HspworkError, match="needs the programme's start date"):
        ch.study_windows(times, tz=TZ, programme_start=None)


def test_study_windows_take_the_fences_first_dated_start():
    times = pd.Series(pd.to_datetime(["2024-01-05 10:00", "2025-12-20 09:00"], utc=True))
    fences = pd.DataFrame({"valid_from": pd.to_datetime(
        ["1970-01-01 00:00", "2025-09-28 23:00", "2025-08-31 23:00"], utc=True)})  # fmt: skip
    w = ch.study_windows(times, tz=TZ, programme_start=None, fences=fences)
    assert w.after.start == pd.Timestamp("2025-09-01", tz=TZ)
    assert w.after.note.startswith("start: the fences' first start date")
    undated = fences.iloc[[0]]
    with pytest.raises(HspworkError, match="set programme_start"):
        ch.study_windows(times, tz=TZ, programme_start=None, fences=undated)


def trial_fences():
    return pd.DataFrame(
        {"fence_id": ["A", "B", "C", "D"], "role": ["treatment", "control"] * 2,
         "block": [1, 1, 2, 2]}
    )  # fmt: skip


def test_resolve_design_keeps_what_the_data_showed_under_an_override():
    c = ch.resolve_design(trial_fences())
    assert c.design == "randomised" and "found" not in c.evidence
    assert ch.design_words(c) == c.summary()
    m = ch.resolve_design(trial_fences(), "matched")
    assert (m.design, m.evidence["found"], m.evidence["override"]) == (
        "matched", "randomised", "matched"
    )  # fmt: skip
    words = ch.design_words(m)
    assert words.startswith("Design used: a chosen set of places")
    assert "The data alone show a randomised trial: The places come in 2 randomisation" in words
    assert ch.resolve_design(trial_fences(), "").design == "randomised"
    with pytest.raises(HspworkError, match="design_override must be one of"):
        ch.resolve_design(trial_fences(), "rct")
    chosen = trial_fences().assign(role="treatment").drop(columns="block")
    with pytest.raises(HspworkError, match="needs control places"):
        ch.resolve_design(chosen, "randomised")
    with pytest.raises(HspworkError, match="needs each treated fence's start"):
        ch.resolve_design(trial_fences(), "staggered")


def test_design_record_is_json_and_lists_the_waves():
    starts = pd.DataFrame(
        {"id": ["A", "C", "E"], "wave": [0, 1, 0],
         "start": pd.to_datetime(["2025-09-01", "2025-09-29", "2025-09-01"], utc=True)}
    )  # fmt: skip
    evidence = {"treated_places": np.int64(3), "first_start": pd.Timestamp("2025-09-01", tz="UTC"),
                "ratio": np.float64(np.nan)}  # fmt: skip
    c = DesignChoice("staggered", "Waves.", evidence, starts)
    r = ch.design_record(c, periods={"after": "x"}, method="imputation",
                         places={"treated": np.int64(3), "comparison": 2},
                         settings={"ring_m": np.float64(150.0)})  # fmt: skip
    assert json.loads(json.dumps(r)) == r
    assert r["waves"] == [
        {"wave": 0, "start": "2025-09-01", "places": ["A", "E"]},
        {"wave": 1, "start": "2025-09-29", "places": ["C"]},
    ]
    assert r["evidence"] == {"treated_places": 3, "first_start": "2025-09-01T00:00:00+00:00",
                             "ratio": None}  # fmt: skip
    assert (r["design"], r["found"], r["override"], r["method"]) == (
        "staggered", "staggered", None, "imputation"
    )  # fmt: skip
    assert r["places"] == {"treated": 3, "comparison": 2} and r["settings"] == {"ring_m": 150.0}
    # waves belong to a roll-out only
    assert ch.design_record(DesignChoice("matched", "", {}, starts), periods={}, method="m")[
        "waves"] == []  # fmt: skip


def test_registry_design_choices_match_the_library():
    from hspwork.programme.parameters import DESIGN_CHOICES, PARAMETERS

    assert DESIGN_CHOICES == DESIGNS
    assert PARAMETERS["design_override"].check("staggered") == "staggered"
    assert PARAMETERS["design_override"].check("") is None
    with pytest.raises(HspworkError, match="parameter design_override: got 'trial'"):
        PARAMETERS["design_override"].check("trial")


# ------------------------------------------------------------------------------ outcomes


def test_outcome_table_from_displacement_tables():
    crimes = zone_table({"treated": (100.0, 80.0), "control": (90.0, 91.0),
                         "treated ring 1": (50.0, 40.0), "control ring 1": (40.0, 40.0)})  # fmt: skip
    harm = zone_table({"treated": (900.5, 650.0), "control": (700.0, 720.25)})
    t = ch.outcome_table(crimes, harm)
    expected = pd.DataFrame(
        {"group": ["treatment", "treatment", "control", "control"],
         "period": ["before", "after", "before", "after"], "crimes": [100, 80, 90, 91],
         "harm": [900.5, 650.0, 700.0, 720.25]}
    )  # fmt: skip
    pd.testing.assert_frame_equal(t, expected)
    assert t["crimes"].dtype.kind == "i"
    assert list(ch.outcome_table(crimes).columns) == ["group", "period", "crimes"]
    with pytest.raises(SchemaError, match="lacks zones"):
        ch.outcome_table(crimes.drop(index="control"))


def test_outcome_summary_changes_by_hand():
    s = ch.outcome_summary(outcomes_frame(hb=0.0), labels={"control": "matched comparison places"})
    assert list(s.index) == ["treated places", "matched comparison places"]
    assert s.loc["treated places", "crimes before"] == 100
    assert s.loc["treated places", "crimes after"] == 80
    assert_allclose(s["crimes change"], [-0.2, 0.0], atol=1e-12)
    # no harm before: no change to state (missing), not inf
    assert np.isnan(s.loc["treated places", "harm (days) change"])
    assert_allclose(s.loc["matched comparison places", "harm (days) change"], 0.0)


def test_naive_change_and_rirr_of_by_hand():
    o = outcomes_frame(tb=200, ta=150)
    assert_allclose(ch.naive_change(o), -0.25)
    assert_allclose(ch.naive_change(o, group="control"), 0.0)
    r = ch.rirr_of(outcomes_frame(), dispersion=2.0)
    assert_allclose(r.rirr, 1.25, rtol=1e-12)  # (100 x 100) / (80 x 100)
    assert_allclose(r.se, np.sqrt(2.0 * (1 / 100 + 1 / 80 + 1 / 100 + 1 / 100)), rtol=1e-12)
    with pytest.raises(SchemaError, match="needs treatment and control rows"):
        ch.rirr_of(outcomes_frame().iloc[:2])
    with pytest.raises(HspworkError, match="no crimes in treatment places before"):
        ch.naive_change(outcomes_frame(tb=0))


def test_pre_period_dispersion_over_windows_by_hand():
    # 13 weeks before the start, windows of 4 weeks counted back from it: the oldest week
    # (period -13) is left out, so its 1000 crimes must not count. Window totals:
    # A: 10, 6, 2 (mean 6, variance 16, D 16/6); B: 4, 4, 4 (D 0). Weighted by the means,
    # (6 x 16/6 + 4 x 0) / 10 = 1.6. The weeks after the start never count.
    a = [1000, *[0, 1, 0, 1], *[3, 0, 3, 0], *[5, 0, 5, 0]]
    b = [0] + [1, 1, 1, 1] * 3
    panel = pd.DataFrame(
        {"fence_id": ["A"] * 13 + ["B"] * 13 + ["A", "B"], "period": list(range(-13, 0)) * 2 + [0, 0],
         "post": [0] * 26 + [1, 1], "crimes": a + b + [500, 0]}
    )  # fmt: skip
    d = ch.pre_period_dispersion(panel, window_days=28)
    assert_allclose(d.value, 1.6, rtol=1e-12)
    assert (d.windows, d.window_days, d.places) == (3, 28.0, 2)
    assert "between 3 windows of 28 days" in d.text and "Dispersion 1.60" in d.text


def test_pre_period_dispersion_falls_back_to_weeks_and_floors_at_one():
    # 4 weeks only, a 90-day programme: weekly counts, rescaled by 90/7.
    # A: 1, 3, 1, 3 (mean 2, variance 4/3, D 2/3 <= 1: kept as it is);
    # B: 0, 4, 0, 4 (mean 2, variance 16/3, D 8/3 -> 1 + (5/3)(90/7)). Equal means.
    panel = pd.DataFrame({"fence_id": ["A"] * 4 + ["B"] * 4, "period": [-4, -3, -2, -1] * 2,
                          "post": 0, "crimes": [1, 3, 1, 3, 0, 4, 0, 4]})  # fmt: skip
    d = ch.pre_period_dispersion(panel, window_days=90)
    assert_allclose(d.value, (2 / 3 + 1 + (5 / 3) * (90 / 7)) / 2, rtol=1e-12)
    assert d.windows == 4 and "weekly counts" in d.text
    flat = panel.assign(crimes=[2, 2, 2, 2, 3, 3, 3, 3])
    assert ch.pre_period_dispersion(flat, window_days=90).value == 1.0
    with pytest.raises(HspworkError, match="no place had any crimes"):
        ch.pre_period_dispersion(panel.assign(crimes=0), window_days=90)
    with pytest.raises(SchemaError, match="lacks columns"):
        ch.pre_period_dispersion(panel.drop(columns="post"), window_days=90)


def test_year_places_sums_the_year_before_only():
    t0 = pd.Timestamp("2025-08-31 23:00", tz="UTC")
    periods = [-60, -52, -1, 0, 1]
    panel = pd.DataFrame(
        {
            "fence_id": "A",
            "period": periods,
            "post": [0, 0, 0, 1, 1],
            "treated": 1,
            "period_start": [t0 + pd.Timedelta(weeks=k) for k in periods],
            "crimes": [50, 4, 3, 1, 2],
        }
    )
    places, days = ch.year_places(panel, None, trial_start=t0)
    assert int(places.loc["A", "pre_crimes"]) == 7 and int(places.loc["A", "post_crimes"]) == 3
    assert days == 7 * 2  # the two pre-period weeks inside the year, not the 52 between them
    with pytest.raises(HspworkError, match="must carry a time zone"):
        ch.year_places(panel, None, trial_start="2025-09-01")


# ------------------------------------------------------------------------------ checks


def test_balance_check_at_the_threshold_and_its_words():
    b = pd.DataFrame(
        {"std_diff": [0.1, -0.1000001, np.nan]}, index=["pre_crimes", "pre_harm", "area_m2"]
    )
    n = ch.balance_check(b, comparison="matched comparison places")
    assert n.caution == (
        "In the year before the start, treated and matched comparison places differed in harm "
        "(standardised difference beyond ±0.1)."
    )
    assert n.text.startswith("NOTE: before the programme, treated and matched comparison places")
    ok = ch.balance_check(b.iloc[:1])
    assert ok.caution is None and "alike before the start on every measure" in ok.text
    three = ch.balance_check(pd.DataFrame({"std_diff": [1.0, 1.0, -1.0]},
                                          index=["pre_crimes", "pre_harm", "area_m2"]))  # fmt: skip
    assert "differed in crimes, harm and area" in three.caution


def test_balance_view_says_yes_or_no():
    b = pd.DataFrame(
        {"mean_treated": [10.0, 5.0], "mean_control": [8.0, 5.0], "sd_treated": [2.0, 1.0],
         "sd_control": [2.0, 1.0], "std_diff": [1.0, 0.0], "variance_ratio": [1.0, 1.0],
         "imbalanced": [True, False]}, index=["pre_crimes", "area_m2"]
    )  # fmt: skip
    v = ch.balance_view(b)
    assert list(v.index) == ["crimes, year before", "area (m²)"]
    assert v["alike (within ±0.1)?"].tolist() == ["no", "yes"]
    assert not any(pd.api.types.is_bool_dtype(v[c]) for c in v.columns)


def test_match_balance_view_names_each_feature():
    b = pd.DataFrame(
        {"mean_treated": [2.0, 0.1], "mean_pool": [0.5, 0.0], "std_diff_before": [1.8, 0.4],
         "mean_matched": [1.9, 0.1], "std_diff_after": [0.1, 0.0],
         "variance_ratio_after": [1.1, 0.9]},
        index=pd.Index(["crimes_level", "harm_trend"], name="feature"),
    )  # fmt: skip
    v = ch.match_balance_view(b)
    assert list(v.index) == ["crimes: level before the start (log of weekly mean)",
                             "harm: trend before the start (share changed over the period)"]  # fmt: skip
    assert v["difference after matching (SD)"].tolist() == [0.1, 0.0]


def test_pretrend_check_cases():
    assert ch.pretrend_check(0.05, 4).caution is None  # p at alpha: not rejected
    n = ch.pretrend_check(0.0004, 4, randomised=True)
    assert "p < 0.001" in n.caution and "randomisation test" in n.text
    assert "randomisation" not in ch.pretrend_check(0.01, 4).text
    assert (
        ch.pretrend_check(0.5, 0).text == "No weeks before the start to check the trends against."
    )


def test_mde_words_rounds_for_people():
    text = ch.mde_words({"irr": 0.766, "percent_reduction": 23.4}, n_treated=9, n_control=9,
                        rate_per_year=79.4, dispersion=1.04, days=92,
                        comparison="matched comparison places")  # fmt: skip
    assert text == (
        "9 treated and 9 matched comparison places, 79 crimes a year each on average, "
        "dispersion 1.0: over 92 days the programme could detect a fall of 23% or more "
        "(IRR 0.77) with 80% power."
    )


# ------------------------------------------------------------------------------ estimates


def small_trial(seed=1, effect=0.7):
    rng = np.random.default_rng(seed)
    n, T = 20, 12
    u, t = np.repeat(np.arange(n), T), np.tile(np.arange(T) - 6, n)
    treated = (u % 2 == 0).astype(int)
    post = (t >= 0).astype(int)
    mu = 5 * np.exp(rng.normal(0, 0.3, n))[u] * np.where(treated * post == 1, effect, 1.0)
    y = rng.poisson(mu)
    return pd.DataFrame({"fence_id": u, "period": t, "treated": treated, "post": post,
                         "block": u // 4, "crimes": y, "harm": y * 3.0})  # fmt: skip


def test_effect_words_read_every_result_the_same_way():
    p = small_trial()
    e = estimate_effect(p, outcome="crimes", treated="treated", post="post", unit="fence_id",
                        period="period", model="poisson", interval="cr2")  # fmt: skip
    text = ch.effect_words(e, against="x")
    assert text.startswith(
        f"Crimes in treated places: {ch.change_text(e.irr)} against x (IRR {e.irr:.2f}"
    )
    assert f"95% interval {e.ci[0]:.2f} to {e.ci[1]:.2f}" in text and "e-" not in text
    r = rirr(100, 80, 100, 100)  # RIRR 1.25: read as an IRR of 0.8
    text = ch.effect_words(r)
    lo, hi = 1 / r.ci[1], 1 / r.ci[0]
    assert (
        "by the RIRR read on the IRR scale: \u221220% against" in text
        and f"(IRR 0.80, 95% interval {lo:.2f} to {hi:.2f}" in text
    )
    assert "the interval includes no change" in text
    from types import SimpleNamespace as NS

    up = ch.effect_words(NS(irr=1.3, ci=(1.1, 1.5), p_value=0.01, outcome="harm"))
    assert up.startswith("Harm (days) in treated places: +30%") and "a rise that chance" in up


def test_naive_words_beside_the_matched_estimate():
    from types import SimpleNamespace as NS

    o = outcomes_frame(tb=400, ta=300)
    text = ch.naive_words(o, NS(irr=0.9, ci=(0.8, 1.02)), periods={"before": "b", "after": "a"})
    assert "went from 400 (b) to 300 (a), \u221225%" in text
    assert text.endswith("the rest of the fall would have come anyway.")
    # a matched effect larger than the raw fall: no "rest of the fall"
    assert ch.naive_words(o, NS(irr=0.6, ci=(0.5, 0.7)), periods={}).endswith("\u221230%).")


def test_displacement_words_by_hand():
    t = zone_table({"treated": (100.0, 80.0), "control": (100.0, 100.0),
                    "treated ring 1": (50.0, 60.0), "control ring 1": (40.0, 40.0)})  # fmt: skip
    text = ch.displacement_words(t, ring_m=150)
    assert "changed by +20% relative to the rings round control places" in text
    assert "(displacement)" in text
    t.loc["treated ring 1", "after"] = 45.0  # (45/50) / (40/40) = 0.9
    assert "changed by \u221210%" in ch.displacement_words(t, ring_m=150)
    t.loc["control ring 1", "after"] = 50.0  # (45/50) / (50/40) = 0.72
    assert "changed by \u221228%" in ch.displacement_words(t, ring_m=150)
    # treated places that did not fall relative to the comparison: nothing to displace
    up = t.copy()
    up.loc["treated", "after"] = 120.0
    text = ch.displacement_words(up, ring_m=150, comparison="matched comparison places")
    assert "relative to the rings round matched comparison places. Crime did not fall" in text
    assert "fell there too" not in text and "nothing about displacement here" in text
    t.loc["control ring 1", "before"] = 0.0
    assert ch.displacement_words(t, ring_m=150).startswith("Too few crimes to compare the 150 m")


def test_displacement_view_names_the_zones():
    t = zone_table({"treated": (100.0, 80.0), "control": (100.0, 100.0),
                    "treated ring 1": (50.0, 60.0), "control ring 1": (40.0, 40.0)})  # fmt: skip
    v = ch.displacement_view(t, ring_m=150, comparison="matched comparison places")
    assert list(v.index) == ["treated places", "matched comparison places",
                             "150 m ring round treated places",
                             "150 m ring round matched comparison places"]  # fmt: skip
    assert_allclose(v["change %"], [-0.2, 0.0, 0.2, 0.0])
    assert t["percent_change"].tolist()[0] == -20.0  # the table itself is left as it was


def test_say_wraps_between_words(capsys):
    ch.say("a" * 5 + " " + "b" * 5 + "\n" + "c" * 12, width=8)
    assert capsys.readouterr().out == "aaaaa\nbbbbb\ncccccccccccc\n"


def test_wdq_words():
    from types import SimpleNamespace as NS

    assert ch.wdq_words(NS(wdq=-0.25, ci=(-0.9, 0.3), label="displacement, smaller")) == (
        "Weighted displacement quotient \u22120.25 (bootstrap 95% interval \u22120.90 to 0.30): "
        "displacement, smaller."
    )


def test_headline_reads_the_first_row_with_an_irr():
    e = pd.DataFrame([
        {"method": "randomisation inference (block)", "outcome": "crimes", "irr": np.nan,
         "ci_low": np.nan, "ci_high": np.nan, "p_value": 0.01},
        {"method": "negbin GLM", "outcome": "crimes", "irr": 0.76, "ci_low": 0.64, "ci_high": 0.89,
         "p_value": 0.003}])  # fmt: skip
    assert ch.headline(e, against="what the controls predict") == (
        "In plain words (negbin GLM): crime in treated places changed by \u221224% against what "
        "the controls predict (95% interval \u221236% to \u221211%); the whole interval lies below "
        "no change: a fall that chance alone is unlikely to explain."
    )
    with pytest.raises(HspworkError, match="no estimate with an IRR"):
        ch.headline(e.iloc[:1])


# ------------------------------------------------------------------------------ work-folder tables


def test_effects_table_rows_from_every_kind_of_result():
    p = small_trial()
    args = dict(treated="treated", post="post", unit="fence_id", period="period", interval="cr2")
    e = estimate_effect(p, outcome="crimes", model="poisson", **args)
    h = estimate_effect(p, outcome="harm", model="quasipoisson", **args)
    ri = randomisation_inference(p, outcome="crimes", treated="treated", post="post",
                                 unit="fence_id", period="period", design="block",
                                 block="block", n_perm=99, seed=1)  # fmt: skip
    r = rirr(100, 80, 100, 100, dispersion=1.5)
    t = ch.effects_table([("model", e), ("harm model", h)], rirr=r, randomisation=ri,
                         randomisation_design="block")  # fmt: skip
    assert list(t.columns) == list(ch.EFFECT_COLUMNS)
    assert t["method"].tolist() == ["model", "harm model", "RIRR (reciprocal: IRR scale)",
                                    "randomisation inference (block)"]  # fmt: skip
    row = t.iloc[0]
    assert_allclose([row["irr"], row["ci_low"], row["ci_high"], row["p_value"], row["df"]],
                    [e.irr, e.ci[0], e.ci[1], e.p_value, e.df], rtol=1e-12)  # fmt: skip
    assert row["interval"] == "cr2" and row["n_units"] == 20
    # the RIRR turned round: irr 1/1.25, and the interval's ends swap
    z = 1.959963984540054
    se = np.sqrt(1.5 * (1 / 100 + 1 / 80 + 1 / 100 + 1 / 100))
    assert_allclose(t.loc[2, ["irr", "ci_low", "ci_high"]].to_numpy(float),
                    [0.8, np.exp(-np.log(1.25) - z * se), np.exp(-np.log(1.25) + z * se)],
                    rtol=1e-9)  # fmt: skip
    assert_allclose(t.loc[2, "log_irr"], -np.log(1.25), rtol=1e-12)
    assert np.isnan(t.loc[3, "irr"]) and t.loc[3, "p_value"] == ri.p_value


def test_effects_table_reads_a_rollout():
    rng = np.random.default_rng(3)
    place, week = np.repeat(np.arange(30), 12), np.tile(np.arange(12), 30)
    start = np.where(place < 10, -1, np.where(place < 20, 4, 8))
    on = (start >= 0) & (week >= start)
    panel = pd.DataFrame({"fence_id": place, "period": week, "first_treated": start,
                          "crimes": rng.poisson(np.where(on, 2.4, 3.0))})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        s = staggered_effect(panel, outcome="crimes", unit="fence_id", period="period",
                             first_treated="first_treated", control="not-yet")  # fmt: skip
    t = ch.effects_table([("imputation", s)])
    assert_allclose(t.loc[0, ["irr", "ci_low", "ci_high", "se"]].to_numpy(float),
                    [s.irr, s.ci[0], s.ci[1], s.se], rtol=1e-12)  # fmt: skip
    assert_allclose(t.loc[0, "log_irr"], np.log(s.irr), rtol=1e-12)
    assert t.loc[0, "n_units"] == 30 and t.loc[0, "outcome"] == "crimes"
    with pytest.raises(SchemaError, match="cannot read an estimate"):
        ch.effects_table([("x", object())])


def test_cost_table_and_words_by_hand():
    # 40 robberies and 80 criminal damage observed, IRR 0.8 (0.7 to 0.9): prevented
    # 120 x (1/0.8 - 1) = 30 (120 x (1/0.9 - 1) = 13.33 to 120 x (1/0.7 - 1) = 51.43);
    # 1,000 hours at £40 = £40,000; benefit 10 x 11,320 + 20 x 1,350 = £140,200.
    v = cost_benefit(pd.Series({"Robbery": 40, "Criminal damage": 80}), irr=0.8, irr_ci=(0.7, 0.9),
                     officer_hours=1000, hourly_cost_gbp=40,
                     harm=pd.Series({"Robbery": 365.0, "Criminal damage": 2.0}))  # fmt: skip
    row = ch.cost_table(v).iloc[0]
    assert_allclose(
        row[["officer_hours", "cost_gbp", "crimes_prevented", "crimes_prevented_low",
             "crimes_prevented_high", "cost_per_crime_prevented_gbp", "harm_days_prevented",
             "harm_days_per_officer_hour", "benefit_gbp", "benefit_cost_ratio"]].to_numpy(float),
        [1000, 40000, 30, 120 * (1 / 0.9 - 1), 120 * (1 / 0.7 - 1), 40000 / 30,
         10 * 365 + 20 * 2, 3.69, 140200, 140200 / 40000], rtol=1e-12,
    )  # fmt: skip
    text = ch.cost_words(v, hourly_cost_gbp=40)
    assert text.startswith(
        "1,000 officer-hours at £40 an hour (officer_hour_cost_gbp) cost £40,000."
    )
    assert "prevented an estimated 30 crimes (95% interval 13 to 51): £1,333 per crime" in text
    worse = cost_benefit(pd.Series({"Robbery": 40}), irr=1.25, irr_ci=(1.0, 1.5),
                         officer_hours=100, hourly_cost_gbp=40)  # fmt: skip
    assert "prevented no crime (\u22128" in ch.cost_words(worse, hourly_cost_gbp=40).replace(
        "-", "\u2212"
    )


# ------------------------------------------------------------------------------ design helpers


def test_with_first_treated_numbers_periods_from_the_trial_start():
    starts = pd.DataFrame({"id": ["A", "B", "C"], "wave": [0, 1, 2], "start": pd.to_datetime(
        ["2025-09-01 00:00", "2025-09-29 00:00", "2025-10-27 00:00"], utc=True)})  # fmt: skip
    c = DesignChoice("staggered", "", {}, starts)
    panel = pd.DataFrame({"fence_id": ["A", "B", "C", "D"], "period": 0})
    t0 = pd.Timestamp("2025-08-31 23:00", tz="UTC")  # local midnight of 1 Sep (BST)
    out = ch.with_first_treated(panel, c, t0)
    # C starts 56 days and an hour after t0 (the clocks went back): still week 8
    assert out["first_treated"].tolist() == [0, 4, 8, -1]
    assert "first_treated" not in panel.columns
    with pytest.raises(HspworkError, match="time zone"):
        ch.with_first_treated(panel, c, "2025-09-01")


def pool_and_match():
    pool = gpd.GeoDataFrame(
        {"fence_id": ["HS1", "HS2", "U1", "U2", "U3"],
         "role": ["treatment", "treatment", "control", "control", "control"],
         "source": ["fence", "fence", "unit", "unit", "unit"]},
        geometry=[box(100 * k, 0, 100 * k + 50, 50) for k in range(5)], crs=27700,
    )  # fmt: skip
    from types import SimpleNamespace as NS

    pairs = pd.DataFrame({"treated_unit": ["HS2", "HS1", "HS1"], "control_unit": ["U3", "U1", "U2"],
                          "distance": [0.1, 0.2, 0.3], "match": [0, 1, 1]})  # fmt: skip
    return pool, NS(pairs=pairs)


def test_matched_places_is_a_fence_set_of_the_matched_places():
    from hspwork.fences import check_fences

    pool, m = pool_and_match()
    f = ch.matched_places(pool, m, valid_from="2025-09-01T00:00Z")
    check_fences(f)
    got = dict(zip(f["fence_id"], zip(f["role"], f["match"])))
    assert got == {"HS1": ("treatment", 1), "HS2": ("treatment", 0), "U1": ("control", 1),
                   "U2": ("control", 1), "U3": ("control", 0)}  # fmt: skip
    assert (f["valid_from"] == pd.Timestamp("2025-09-01", tz="UTC")).all()
    m.pairs = m.pairs.iloc[:1]
    assert sorted(ch.matched_places(pool, m, valid_from="2025-09-01T00:00Z")["fence_id"]) == [
        "HS2", "U3"]  # fmt: skip
    m.pairs = m.pairs.iloc[:0]
    with pytest.raises(HspworkError, match="no chosen place was matched"):
        ch.matched_places(pool, m, valid_from="2025-09-01T00:00Z")


def areas_and_crimes():
    areas = gpd.GeoDataFrame({"fence_id": ["A", "B"]},
                             geometry=[box(0, 0, 10, 10), box(5, 0, 30, 10)], crs=27700)  # fmt: skip
    when = pd.to_datetime(["2025-09-01 00:00", "2025-09-10 00:00", "2025-09-20 00:00", "2025-10-01 00:00",
                           "2025-09-05 00:00"], utc=True)  # fmt: skip
    crimes = gpd.GeoDataFrame(
        {"offence": ["Robbery", "Robbery", "Burglary", "Robbery", "Theft"], "occurred_from": when},
        geometry=[Point(2, 5), Point(25, 5), Point(25, 5), Point(2, 5), Point(7, 5)], crs=27700,
    )  # fmt: skip
    return areas, crimes


def test_tag_places_first_area_wins_and_outside_is_missing():
    areas, crimes = areas_and_crimes()
    crimes.loc[len(crimes)] = ["Theft", pd.Timestamp("2025-09-05", tz="UTC"), Point(99, 99)]
    tagged = ch.tag_places(crimes, areas)
    # (7, 5) is inside both A and B: A comes first
    assert tagged["fence_id"].tolist()[:5] == ["A", "B", "B", "A", "A"]
    assert pd.isna(tagged["fence_id"].iloc[5]) and "fence_id" not in crimes.columns
    # forty nested areas, all holding the point: the spatial index returns them in its own
    # order, and the first in the areas' order must still win
    nested = gpd.GeoDataFrame(
        {"fence_id": [f"N{k:02d}" for k in range(40)]},
        crs=27700,
        geometry=[box(-k - 1, -k - 1, k + 1, k + 1) for k in range(40)][::-1],
    )
    point = gpd.GeoDataFrame({"offence": ["x"]}, geometry=[Point(0, 0)], crs=27700)
    assert ch.tag_places(point, nested)["fence_id"].tolist() == ["N00"]


def test_offences_inside_counts_the_half_open_window_from_each_start():
    areas, crimes = areas_and_crimes()
    kw = dict(start="2025-09-01T00:00Z", end="2025-10-01T00:00Z")
    # the crime at the window's end (1 Oct 00:00) is outside; the one at its start inside
    assert ch.offences_inside(crimes, areas, **kw).to_dict() == {"Robbery": 2, "Burglary": 1,
                                                                  "Theft": 1}  # fmt: skip
    # B started on 15 Sep: its robbery of 10 Sep does not count
    got = ch.offences_inside(
        crimes, areas, **kw, starts={"B": pd.Timestamp("2025-09-15", tz="UTC")}
    )
    assert got.to_dict() == {"Burglary": 1, "Robbery": 1, "Theft": 1}
    with pytest.raises(HspworkError, match="time zone"):
        ch.offences_inside(crimes, areas, start="2025-09-01", end="2025-10-01")


def test_top_rows_says_how_many_are_shown():
    head, note = ch.top_rows(pd.DataFrame({"a": range(11)}), 10, file="matches.csv")
    assert len(head) == 10 and note == "showing 10 of 11 rows (all of them are in matches.csv)"
    head, note = ch.top_rows(pd.DataFrame({"a": range(10)}), 10)
    assert len(head) == 10 and note == "all 10 rows"


def test_plain_log_axis_and_the_week_by_week_figure():
    from types import SimpleNamespace as NS

    def draw():
        fig, ax = plt.subplots()
        ax.scatter([-2, -1, 0, 1], [1.1, 0.95, 0.6, 0.35])
        ax.set_yscale("log")
        return fig

    fig = ch.week_by_week_figure(NS(plot=draw), title="T", xlabel="weeks", ylabel="ratio (log)")
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and all("10^" not in s and "$" not in s for s in labels)
    assert set(labels) <= {"0.1", "0.2", "0.3", "0.5", "0.7", "1", "1.5", "2", "3", "5", "10"}
    assert ax.get_title() == "T" and ax.get_xlabel() == "weeks" and ax.get_ylabel() == "ratio (log)"
    assert ax.get_legend().get_title().get_text() == "95% intervals"
    plt.close(fig)


def test_waves_pairs_effects_cost_and_swing_views():
    starts = pd.DataFrame({"id": ["B", "A", "C"], "wave": [0, 0, 1], "start": pd.to_datetime(
        ["2025-08-31 23:00", "2025-08-31 23:00", "2025-09-28 23:00"], utc=True)})  # fmt: skip
    w = ch.waves_table(DesignChoice("staggered", "", {}, starts), tz=TZ)
    assert w.to_dict("records") == [
        {"wave": 1, "first day": "1 Sep 2025", "places": 2, "fences": "A, B"},
        {"wave": 2, "first day": "29 Sep 2025", "places": 1, "fences": "C"},
    ]
    _, m = pool_and_match()
    assert ch.pairs_view(m.pairs)["chosen place"].tolist() == ["HS2", "HS1", "HS1"]
    swing = pd.DataFrame({"offence": ["Rape", "Shoplifting"], "crimes": [1, 9],
                          "harm_days_each": [2555.0, 1.0], "harm_days": [2555.0, 9.0],
                          "share_of_crimes": [0.1, 0.9], "share_of_harm": [0.996, 0.004],
                          "grave": [True, False]})  # fmt: skip
    v = ch.swing_view(swing)
    assert v["among the gravest"].tolist() == ["yes", ""]
    assert not any(pd.api.types.is_bool_dtype(v[c]) for c in v.columns)


def test_method_names_and_matching_words():
    assert ch.method_names("matched", "poisson")[0].startswith("poisson GLM on matched places")
    with pytest.raises(HspworkError, match="design must be one of"):
        ch.method_names("trial", "negbin")
    from types import SimpleNamespace as NS

    ids = [f"P{k:02d}" for k in range(11)]
    summary = "9 of 20 matched.\n11 chosen places had no comparison close enough (P00, ...) and are left out."
    text = ch.matching_words(NS(summary=lambda: summary, unmatched=ids, settings={"caliper": 1.5}))
    assert "(P00, ...)" not in text and ", ".join(ids) in text
    assert "widen match_caliper_sd in the programme file (now 1.5 standard deviations)" in text
    assert ch.matching_words(NS(summary=lambda: "all", unmatched=[], settings={})) == "all"
