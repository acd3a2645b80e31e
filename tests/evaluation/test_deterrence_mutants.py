"""Residual deterrence at its edges: the spline by hand, the windows at their boundaries, the
refusals, the smallest programme that can be modelled and the words of the summary.

These pin what an analyst asking "how long should officers stay?" can hit: a visit that ends as
the next begins, a crime known to exactly 15 minutes, a place with no crime after any visit,
exactly 20 windows or 10 crimes, a curve that only rises (no visit length is better than the
shortest), and the significance test at exactly its level.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.evaluation import residual_deterrence
from hspwork.evaluation.deterrence import DeterrenceResult, _p_words, _windows, spline_basis
from hspwork.report import LoadReport

T0 = pd.Timestamp("2025-09-01 10:00", tz="UTC")  # 11:00 in London (summer time)


def t(m):
    return T0 + pd.Timedelta(minutes=m)


def daily_visits(places, lengths_of, crimes_after):
    """Visit i at place p on its own day at 10:00 UTC, lasting lengths_of(p, i) minutes (so every
    window is a full 120 minutes and ends in the 11:00 hour in London); crimes_after(p, i) crimes
    5, 6, 7... minutes after it ends."""
    rows, crimes = [], []
    day = 0
    for p in places:
        for i in range(len(lengths_of(p))):
            m = float(lengths_of(p)[i])
            s = T0 + pd.Timedelta(days=day)
            e = s + pd.Timedelta(minutes=m)
            day += 1
            rows.append((p, s, e, m))
            crimes += [(p, e + pd.Timedelta(minutes=5 + k)) for k in range(crimes_after(p, i))]
    v = pd.DataFrame(rows, columns=["fence_id", "start", "end", "minutes"])
    c = pd.DataFrame(crimes, columns=["fence_id", "occurred_from"])
    return v, c


# --- the spline ---------------------------------------------------------------------------------


def test_spline_values_worked_by_hand_with_four_knots():
    # knots 0, 2, 4, 10; scale (10 - 0)^2 = 100; (x)+ = max(x, 0)
    # x = 6:  j=0: 6^3 - 2^3*(10-0)/(10-4) = 216 - 80/6 = 202.6667 -> 2.026667
    #         j=1: 4^3 - 2^3*(10-2)/6 = 64 - 64/6 = 53.3333 -> 0.533333
    # x = 12: j=0: 12^3 - 8^3*10/6 + 2^3*(4-0)/6 = 1728 - 853.333 + 5.333 = 880 -> 8.8
    #         j=1: 10^3 - 8^3*8/6 + 2^3*(4-2)/6 = 1000 - 682.667 + 2.667 = 320 -> 3.2
    # x = 1:  j=0: 1/100 = 0.01; j=1: (1-2)+ = 0.  x = 0.5: 0.125/100.  x = -1: both 0
    B = spline_basis(np.array([-1.0, 0.5, 1.0, 3.0, 6.0, 12.0]), np.array([0.0, 2.0, 4.0, 10.0]))
    want = [
        [-1.0, 0.0, 0.0],
        [0.5, 0.00125, 0.0],
        [1.0, 0.01, 0.0],
        [3.0, 0.27, 0.01],  # 27/100 and 1/100
        [6.0, 202.0 / 100 + 2 / 300, 0.53 + 1 / 300],
        [12.0, 8.8, 3.2],
    ]
    assert_allclose(B, want, rtol=1e-12, atol=1e-15)


def test_spline_scale_is_the_span_of_the_knots_not_their_sum():
    # knots 2, 4, 6: scale (6 - 2)^2 = 16. x = 5: (5-2)^3 - (5-4)^3*(6-2)/(6-4) = 27 - 2 = 25
    # -> 25/16 = 1.5625 (the sum of the end knots would divide by 64)
    B = spline_basis(np.array([5.0]), np.array([2.0, 4.0, 6.0]))
    assert_allclose(B, [[5.0, 1.5625]], rtol=1e-12)


def test_spline_with_exactly_three_knots_is_accepted_and_two_refused():
    # knots 0, 2, 4; scale 16; x = 3: 27 - 1*(4-0)/(4-2) = 25 -> 1.5625
    # x = 6: 216 - 64*4/2 + 8*2/2 = 96 -> 6; x = 12: 1728 - 2000 + 512 = 240 -> 15
    B = spline_basis(np.array([3.0, 6.0, 12.0]), np.array([0.0, 2.0, 4.0]))
    assert_allclose(B, [[3.0, 1.5625], [6.0, 6.0], [12.0, 15.0]], rtol=1e-12)
    with pytest.raises(HspworkError, match="at least 3 knots; received 2"):
        spline_basis(np.array([1.0]), np.array([0.0, 2.0]))


def test_p_words_switch_at_one_in_a_thousand():
    assert _p_words(0.001) == "p = 0.001"
    assert _p_words(0.00099) == "p < 0.001"
    assert _p_words(0.0234) == "p = 0.023"


# --- the windows --------------------------------------------------------------------------------


def test_window_boundaries_of_visits():
    visits = pd.DataFrame(
        {
            "fence_id": ["A", "A", "B", "B", "C", "D", "D", None],
            "start": [t(0), t(10), t(0), t(10), t(0), t(0), t(0), t(0)],
            "end": [t(10), t(20), t(30), t(30), t(0), t(5), t(6), t(5)],
            "minutes": [10.0, 10.0, 30.0, 20.0, 5.0, 0.0, 6.0, 5.0],
        }
    )
    crimes = pd.DataFrame(
        {
            "fence_id": ["A", "B", "B", "D"],
            "occurred_from": [t(25), t(30), t(149.99), t(7)],
        }
    )
    w, fences, vled, _ = _windows(visits, crimes, 120.0)
    got = {int(r): (e, n) for r, e, n in zip(w["row"], w["exposure_minutes"], w["crimes"])}
    # A: the first visit ends at 10 as the next starts at 10: no window. The second: 20..140.
    # B: both end at 30 (neither is still there when the other ends): two windows 30..150.
    # C ends as it starts; D's 0-minute visit has no positive minutes; D's other: 6..126.
    assert got == {1: (120.0, 1), 2: (120.0, 2), 3: (120.0, 2), 6: (120.0, 1)}
    assert vled.report().dropped == {
        "no fence_id": 1,
        "no positive minutes": 1,
        "ends before it starts": 1,
        "next visit began as it ended (no window)": 1,
    }
    assert list(fences) == ["A", "B", "D"]


def test_a_visit_that_ends_while_a_later_one_is_there_has_no_window():
    # at A: 0-10 and 5-30; the first ends at 10 while the second (from 5) is still there, so
    # only the second has a window (30..150). At B, listed first: 0-10 then 10:30-20, a window of
    # 30 seconds is still a window. C's visit has a start and no end.
    visits = pd.DataFrame(
        {
            "fence_id": ["B", "B", "A", "A", "C"],
            "start": [t(0), t(10.5), t(0), t(5), t(0)],
            "end": [t(10), t(20), t(10), t(30), pd.NaT],
            "minutes": [10.0, 9.5, 10.0, 25.0, 5.0],
        }
    )
    crimes = pd.DataFrame({"fence_id": ["A", "B"], "occurred_from": [t(31), t(10.25)]})
    w, fences, vled, _ = _windows(visits, crimes, 120.0)
    assert list(fences) == ["A", "B"]
    # place then start order: A's second visit (row 3), B's two (rows 0, 1)
    assert list(w.columns) == ["row", "fence", "end_ns", "minutes", "exposure_minutes", "crimes"]
    assert w["row"].tolist() == [3, 0, 1] and w["fence"].tolist() == [0, 1, 1]
    assert_allclose(w["exposure_minutes"], [120.0, 0.5, 120.0])
    assert w["crimes"].tolist() == [1, 1, 0]
    assert vled.report().dropped == {
        "no start or end time": 1,
        "another visit still at the place when it ended": 1,
    }


def test_a_place_with_no_crime_before_places_with_crime_still_counts_the_later_ones():
    # fence A (first in order) has no crime at all; B and C have one each after their visit
    visits = pd.DataFrame(
        {
            "fence_id": ["A", "B", "C"],
            "start": [t(0), t(0), t(0)],
            "end": [t(10), t(10), t(10)],
            "minutes": [10.0, 10.0, 10.0],
        }
    )
    crimes = pd.DataFrame({"fence_id": ["B", "C", "E"], "occurred_from": [t(20), t(129), t(20)]})
    w, _, _, cled = _windows(visits, crimes, 60.0)
    # 60-minute windows 10..70: C's crime at 129 is outside; E has no visits
    assert w["crimes"].tolist() == [0, 1, 0]
    assert w["exposure_minutes"].tolist() == [60.0, 60.0, 60.0]
    assert cled.report().dropped == {"fence with no visits": 1}


def test_crimes_known_to_exactly_fifteen_minutes_are_kept_and_longer_set_aside():
    visits = pd.DataFrame({"fence_id": ["A"], "start": [t(0)], "end": [t(10)], "minutes": [10.0]})
    crimes = pd.DataFrame(
        {
            "fence_id": ["A", "A", "A", "A"],
            "occurred_from": [t(20), t(30), t(40), t(50)],
            # spans 15, 15.5, 14.5 minutes and unknown (NaT: an exact time)
            "occurred_to": [t(35), t(45.5), t(54.5), pd.NaT],
        }
    )
    w, _, _, cled = _windows(visits, crimes, 120.0)
    assert cled.report().dropped == {"time known only to a window": 1}
    assert w["crimes"].tolist() == [3]


def test_a_crime_window_of_fifteen_minutes_and_ten_seconds_is_set_aside():
    visits = pd.DataFrame({"fence_id": ["A"], "start": [t(0)], "end": [t(10)], "minutes": [10.0]})
    crimes = pd.DataFrame(
        {
            "fence_id": ["A", "A"],
            "occurred_from": [t(20), t(30)],
            # 910 seconds, then 890: only the first is longer than 15 minutes
            "occurred_to": [t(20) + pd.Timedelta(seconds=910), t(30) + pd.Timedelta(seconds=890)],
        }
    )
    w, _, _, cled = _windows(visits, crimes, 120.0)
    assert cled.report().dropped == {"time known only to a window": 1}
    assert w["crimes"].tolist() == [1]


def test_crime_ends_written_in_summer_and_winter_offsets_are_read():
    # a force export across the clock change writes +01:00 and +00:00; both are 10 minutes long
    visits = pd.DataFrame({"fence_id": ["A"], "start": [t(0)], "end": [t(10)], "minutes": [10.0]})
    crimes = pd.DataFrame(
        {
            "fence_id": ["A", "A"],
            "occurred_from": [t(20), t(30)],
            "occurred_to": ["2025-09-01 11:30:00+01:00", "2025-09-01 10:40:00+00:00"],
        }
    )
    w, _, _, cled = _windows(visits, crimes, 120.0)
    assert cled.report().dropped == {}
    assert w["crimes"].tolist() == [2]


def test_times_without_a_zone_name_the_first_value_or_none():
    naive = pd.DataFrame(
        {"fence_id": ["A"], "start": [pd.Timestamp("2025-09-01")], "end": [t(5)], "minutes": [5.0]}
    )
    crimes = pd.DataFrame({"fence_id": ["A"], "occurred_from": [t(5)]})
    with pytest.raises(SchemaError, match=r"naive times like Timestamp\('2025-09-01 00:00:00'\)"):
        residual_deterrence(naive, crimes)
    two = pd.concat([naive, naive.assign(start=[pd.Timestamp("2025-09-02")])])
    with pytest.raises(SchemaError, match=r"naive times like Timestamp\('2025-09-01 00:00:00'\)"):
        residual_deterrence(two, crimes)
    empty = naive.iloc[:0].astype({"start": "datetime64[ns]"})
    with pytest.raises(SchemaError, match=r"visits' start must carry a time zone.*like None"):
        residual_deterrence(empty, crimes)


# --- refusals -----------------------------------------------------------------------------------


def test_inputs_and_options_are_checked_by_name():
    v, c = daily_visits(["A", "B"], lambda p: np.arange(1, 11), lambda p, i: 1)
    with pytest.raises(SchemaError, match="crimes must be a DataFrame; received list"):
        residual_deterrence(v, [])
    with pytest.raises(SchemaError, match="visits must be a DataFrame; received dict"):
        residual_deterrence({}, c)
    with pytest.raises(SchemaError, match=r"crimes lack columns \['occurred_from'\]"):
        residual_deterrence(v, c.drop(columns="occurred_from"))
    with pytest.raises(HspworkError, match="window_minutes must be positive; received 0"):
        residual_deterrence(v, c, window_minutes=0)
    with pytest.raises(TypeError):
        residual_deterrence(v, c, 60.0)  # the options are keyword-only
    # half a minute is a positive window: it passes the check, and is then too short for crime
    with pytest.raises(HspworkError, match=r"too few visits with a window \(0\)"):
        with pytest.warns(DataDroppedWarning, match="place with no crime after any visit: 20"):
            residual_deterrence(v, c, window_minutes=0.5)
    with pytest.raises(HspworkError, match="n_knots must be at least 3; received 2"):
        residual_deterrence(v, c, n_knots=2)
    for a in (0, 1):
        with pytest.raises(HspworkError, match=f"alpha must be between 0 and 1; received {a}"):
            residual_deterrence(v, c, alpha=a)


def test_smallest_programme_twenty_windows_and_ten_crimes():
    # places A and B, ten visits each of 1..10 minutes; one crime after each of A's visits
    lengths = lambda p: np.arange(1, 11)  # noqa: E731
    v, c = daily_visits(["A", "B"], lengths, lambda p, i: int(p == "A" or i == 0))
    # B has one crime (after its first visit): a place with exactly one crime is kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is dropped
        r = residual_deterrence(v, c, n_knots=3, alpha=0.999)
    assert (r.n_visits, r.n_crimes, r.n_places) == (20, 11, 2)
    assert r.exposure_hours == 40.0  # 20 windows of 120 minutes
    # lengths 1..10 twice: the 5% quantile at position 0.05*19 = 0.95 of 1,1,2,2,...: 1.0;
    # the 50% at 9.5: 5.5; the 95% at 18.05: 10.0. Reference 1.0, curve on 1, 2, ..., 10
    assert_allclose(r.knots, [1.0, 5.5, 10.0])
    assert r.reference_minutes == 1.0
    assert r.curve["minutes"].tolist() == [float(m) for m in range(1, 11)]
    assert r.curve["relative_rate"].iat[0] == 1.0 and r.window_minutes == 120.0
    # one visit fewer: 19 windows
    with pytest.raises(HspworkError, match=r"too few visits with a window \(19\)"):
        residual_deterrence(v.iloc[1:], c, n_knots=3)
    # nine crimes in twenty windows
    few = c[c["fence_id"] == "A"].iloc[1:]
    few = pd.concat([few, c[c["fence_id"] == "B"]])
    assert len(few) == 10
    with pytest.raises(HspworkError, match=r"or crimes in them \(9\)"):
        residual_deterrence(v, few.iloc[1:], n_knots=3)
    # exactly ten crimes (nine at A, one at B) are enough
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        assert residual_deterrence(v, few, n_knots=3, alpha=0.999).n_crimes == 10


def test_quiet_places_and_hours_are_set_aside_with_a_warning_naming_them():
    v, c = daily_visits(["A", "B", "C"], lambda p: np.arange(1, 11), lambda p, i: int(p != "C"))
    # one more visit at A ending at 02:10 UTC (03:10 in London) with nothing after it
    late = pd.DataFrame(
        {"fence_id": ["A"], "start": [t(-480)], "end": [t(-470)], "minutes": [10.0]}
    )
    v = pd.concat([v, late], ignore_index=True)
    with pytest.warns(DataDroppedWarning) as caught:
        r = residual_deterrence(v, c, n_knots=3)
    assert r.visit_report.dropped == {
        "place with no crime after any visit": 10,
        "hour of the day with no crime after any visit": 1,
    }
    assert r.n_places == 2 and r.n_visits == 20
    # the warning points at the analyst's call, not inside hspwork
    assert all(w.filename == __file__ for w in caught)


def test_knots_are_rounded_to_six_decimals_and_too_alike_refused():
    # lengths i + 0.1234567 for i = 1..20: the 5% quantile at position 0.95 is 2.0734567,
    # rounded to 2.073457; 35% at 6.65: 7.7734567 -> 7.773457; 65% at 12.35: 13.4734567
    # -> 13.473457; 95% at 18.05: 19.1734567 -> 19.173457
    v, c = daily_visits(["A", "B"], lambda p: np.arange(1, 21) + 0.1234567, lambda p, i: 1)
    r = residual_deterrence(v, c)
    assert r.knots.tolist() == [2.073457, 7.773457, 13.473457, 19.173457]
    # reference: 2.0734567 to one decimal, 2.1; the curve then runs 3, 4, ..., floor(19.17) = 19
    assert r.reference_minutes == 2.1
    assert r.curve["minutes"].tolist() == [2.1] + [float(m) for m in range(3, 20)]
    same = lambda p: np.r_[np.full(19, 10.0), 11.0]  # noqa: E731
    v2, c2 = daily_visits(["A", "B"], same, lambda p, i: 1)
    # 38 visits of 10 minutes and 2 of 11: the 5%, 35% and 65% quantiles are 10, the 95% at
    # position 0.95*39 = 37.05 is 10 + 0.05*(11 - 10) = 10.05: two distinct knots, one short
    with pytest.raises(HspworkError, match=r"too alike to fit a curve \(knots \[10.0, 10.05\]\)"):
        residual_deterrence(v2, c2)


def test_reference_at_a_whole_minute_is_not_repeated_and_a_narrow_spread_gives_one_point():
    # lengths 3, 3, 4, 4, ..., 12, 12: 5% quantile 3.0 (reference 3), 95% quantile 12.0
    v, c = daily_visits(["A", "B"], lambda p: np.arange(3, 13), lambda p, i: 1 + i % 2)
    r = residual_deterrence(v, c, n_knots=3)
    assert r.curve["minutes"].tolist() == [float(m) for m in range(3, 13)]
    # lengths 2.2..2.8 minutes: no whole minute between the 5% and 95% quantiles (2.2 and
    # 2.8), so the curve is the reference alone, at relative rate 1 with no interval
    narrow = lambda p: np.linspace(2.2, 2.8, 10)  # noqa: E731
    v, c = daily_visits(["A", "B"], narrow, lambda p, i: 1 + i % 2)
    r = residual_deterrence(v, c)
    assert r.curve.to_numpy().tolist() == [[2.2, 1.0, 1.0, 1.0]]
    assert not r.significant and r.optimum_minutes is None


# --- the decision ---------------------------------------------------------------------------------


def rising(i, p):
    """Crime after a visit rises with its length: (i + p) // 3 crimes after visit i at place p."""
    return (i + int(p[1])) // 3


def test_a_curve_that_only_rises_has_no_optimum_even_with_a_tiny_p():
    places = [f"P{k}" for k in range(5)]
    v, c = daily_visits(places, lambda p: np.arange(20) + 1.5, lambda p, i: rising(i, p))
    r = residual_deterrence(v, c)
    assert r.p_value < 1e-100
    # the lowest point is the reference itself (2.4 minutes): relative rate 1, interval 1..1,
    # which does not lie below 1
    assert r.curve["minutes"].iat[0] == 2.4
    assert np.argmin(r.curve["relative_rate"]) == 0 and r.curve["ci_high"].iat[0] == 1.0
    assert not r.significant and r.optimum_minutes is None


def falling(seed, places=8):
    rng = np.random.default_rng(seed)
    lens = {f"P{k}": rng.uniform(1, 30, 40) for k in range(places)}
    n = {p: rng.poisson(3 * np.exp(-m / 15)) for p, m in lens.items()}
    return daily_visits(list(lens), lambda p: lens[p], lambda p, i: int(n[p][i]))


def test_the_joint_test_at_exactly_its_level_is_not_passed():
    v, c = falling(seed=0)
    r = residual_deterrence(v, c)
    assert r.significant and r.optimum_minutes is not None
    at = residual_deterrence(v, c, alpha=r.p_value)
    assert not at.significant and at.optimum_minutes is None
    # the lower bound of the interval, like the upper, is exp(est -/+ z*se): their logs
    # average to the estimate
    mid = (np.log(r.curve["ci_low"]) + np.log(r.curve["ci_high"])) / 2
    assert_allclose(mid, np.log(r.curve["relative_rate"]), atol=1e-9)
    assert (r.curve["ci_low"].iloc[1:] < r.curve["relative_rate"].iloc[1:]).all()


# --- the summary and the chart --------------------------------------------------------------------


def result(optimum, *, significant=True, p=0.0004):
    curve = pd.DataFrame(
        {
            "minutes": [3.0, 10.0, 15.0],
            "relative_rate": [1.0, 0.6, 0.8],
            "ci_low": [1.0, 0.45, 0.7],
            "ci_high": [1.0, 0.8, 0.95],
        }
    )
    rep = LoadReport("x", rows_read=0, rows_kept=0)
    return DeterrenceResult(curve, optimum, significant, p, 3.0, 120.0, 1234, 56, 7, 4321.4,
                            rep, rep)  # fmt: skip


def test_repr_shows_the_figures_and_leaves_out_the_reports_and_knots():
    # in a notebook the result's repr is one readable line, not two ledgers and an array
    text = repr(result(12.0))
    assert "optimum_minutes=12.0" in text and "n_visits=" in text
    for hidden in ("visit_report", "crime_report", "knots"):
        assert hidden not in text


def test_summary_words_for_an_optimum_inside_and_at_the_edge():
    head = "56 crimes in the 120 minutes after 1,234 visits at 7 places (4,321 hours watched).\n"
    # 10 minutes: 1 - 0.6 = 40% lower; interval 1 - 0.8 = 20% to 1 - 0.45 = 55%
    assert result(10.0).summary() == head + (
        "Crime in the 120 minutes after a visit was lowest after visits of about 10 minutes: "
        "40% lower than after visits of 3 minutes (95% interval 20% to 55% lower; test of any "
        "difference p < 0.001)."
    )
    # 15 minutes is the longest on the curve: 20% lower (5% to 30%), p = 0.020
    edge = result(15.0, p=0.02).summary()
    assert edge == head + (
        "Crime in the 120 minutes after a visit was lowest after visits of about 15 minutes: "
        "20% lower than after visits of 3 minutes (95% interval 5% to 30% lower; test of any "
        "difference p = 0.020). That is the longest visit length with enough visits to judge: "
        "longer visits might do better still, but these data cannot tell."
    )
    flat = result(None, significant=False, p=0.4321).summary()
    assert flat == head + (
        "No visit length was followed by clearly less crime than the shortest visits (about 3 "
        "minutes; test of any difference p = 0.43), so these data do not say how long visits "
        "should be. Keep the programme's planned length."
    )
    assert result(10.0).table().equals(result(10.0).curve)


def test_chart_draws_the_curve_the_line_of_no_change_and_the_optimum():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = result(10.0).plot()
    ax = fig.axes[0]
    assert tuple(fig.get_size_inches()) == (7.0, 4.0)
    curve, one, best = ax.lines
    assert curve.get_linewidth() == 2 and list(curve.get_ydata()) == [1.0, 0.6, 0.8]
    assert list(one.get_ydata()) == [1.0, 1.0] and one.get_linewidth() == 1
    assert list(best.get_xdata()) == [10.0, 10.0] and best.get_linewidth() == 1
    assert best.get_linestyle() == "--"
    assert ax.collections[0].get_alpha() == 0.6
    legend = ax.get_legend()
    assert [x.get_text() for x in legend.get_texts()] == [
        "95% interval",
        "crime after the visit, relative",
        "lowest after 10-minute visits",
    ]
    assert legend.get_texts()[0].get_fontsize() == 8 and not legend.get_frame_on()
    plt.close(fig)
    # no optimum: no vertical line; drawn on the analyst's own axes
    own_fig, own_ax = plt.subplots()
    assert result(None, significant=False).plot(ax=own_ax) is own_fig
    assert len(own_ax.lines) == 2
    plt.close(own_fig)
