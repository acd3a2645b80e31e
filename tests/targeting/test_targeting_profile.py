"""Place profiles: aoristic apportioning against minute-by-minute counting."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import Point, box

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.targeting.profile import aoristic_weights, place_profile


def brute_force(start, end, tz):
    # walk each window minute by real minute, each placed in the local hour it fell in
    out = np.zeros((len(start), 168))
    for i, (s, e) in enumerate(zip(start, end)):
        minutes = pd.date_range(s, e, freq="min", inclusive="left") + pd.Timedelta(seconds=30)
        if len(minutes) == 0:
            ls = s.tz_convert(tz)
            out[i, ls.day_of_week * 24 + ls.hour] = 1.0
            continue
        local = minutes.tz_convert(tz)
        b = local.day_of_week * 24 + local.hour
        out[i] = np.bincount(b, minlength=168) / len(minutes)
    return out


@pytest.mark.parametrize("tz", ["UTC", "Europe/London"])
def test_aoristic_matches_minute_counting(tz):
    rng = np.random.default_rng(0)
    base = pd.Timestamp("2024-03-25", tz="UTC")  # two weeks around the spring clock change
    start = base + pd.to_timedelta(rng.integers(0, 14 * 24 * 60, 40), unit="min")
    length = pd.to_timedelta(rng.integers(0, 3 * 24 * 60, 40), unit="min")
    length = length.where(np.arange(40) % 5 != 0, pd.Timedelta(0))  # some exact times
    end = start + length
    w = aoristic_weights(pd.Series(start), pd.Series(end), tz=tz)
    assert_allclose(w, brute_force(start, end, tz), atol=1e-9)
    assert_allclose(w.sum(axis=1), 1.0)


def test_aoristic_across_both_clock_changes_by_hand():
    # London, spring 2024: 01:00 GMT becomes 02:00 BST on Sunday 31 March. 00:00-02:00 UTC is
    # two real hours: 00:00-01:00 local (Sun 00) and 02:00-03:00 BST (Sun 02); Sun 01 never was.
    sun = 6 * 24
    s = pd.Series(pd.to_datetime(["2024-03-31 00:00", "2024-10-27 00:00"], utc=True))
    e = pd.Series(pd.to_datetime(["2024-03-31 02:00", "2024-10-27 02:00"], utc=True))
    w = aoristic_weights(s, e, tz="Europe/London")
    assert_allclose(w[0, [sun, sun + 1, sun + 2]], [0.5, 0.0, 0.5], atol=1e-12)
    # autumn: 02:00 BST becomes 01:00 GMT on 27 October. 00:00-02:00 UTC is 01:00-02:00 BST
    # then 01:00-02:00 GMT: the 01 hour happened twice and holds the whole window.
    assert_allclose(w[1, sun + 1], 1.0, atol=1e-12)
    # a window from 01:40 BST to 01:10 GMT (40 real minutes, the clock went back) is a window,
    # not an exact time: all of it in the 01 hour
    s2 = pd.Series(pd.to_datetime(["2024-10-27 00:40"], utc=True))  # 01:40 BST
    e2 = pd.Series(pd.to_datetime(["2024-10-27 01:10"], utc=True))  # 01:10 GMT
    assert_allclose(aoristic_weights(s2, e2, tz="Europe/London")[0, sun + 1], 1.0)
    # a window ending exactly at the spring change: 00:15-01:00 UTC, all in Sun 00
    s3 = pd.Series(pd.to_datetime(["2024-03-31 00:15"], utc=True))
    e3 = pd.Series(pd.to_datetime(["2024-03-31 01:00"], utc=True))
    assert_allclose(aoristic_weights(s3, e3, tz="Europe/London")[0, sun], 1.0)


def test_windows_longer_than_a_week_and_missing_ends():
    s = pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-03 05:20"], utc=True))
    e = pd.Series([pd.Timestamp("2024-01-15 00:00", tz="UTC"), pd.NaT])
    w = aoristic_weights(s, e)
    assert_allclose(w[0], 1 / 168)  # exactly two weeks: every hour alike
    assert w[1, 2 * 24 + 5] == 1.0  # Wednesday 05:xx, exact


def test_place_profile_harm_offence_mix_and_monthly():
    t = pd.to_datetime(
        ["2024-01-01 22:00", "2024-01-06 22:30", "2024-03-03 09:00", "2024-03-05 09:00"], utc=True
    )
    c = gpd.GeoDataFrame(
        {
            "occurred_from": t,
            "occurred_to": t,
            "offence": ["Robbery", "Robbery", "Shoplifting", "Robbery"],
            "harm": [365.0, 365.0, 1.0, 365.0],
        },
        geometry=[Point(1, 1), Point(2, 2), Point(3, 3), Point(500, 500)],
        crs=27700,
    )
    p = place_profile(
        c, gpd.GeoSeries([box(0, 0, 10, 10)], crs=27700), value="harm", name="Market Sq"
    )
    assert p.n_crimes == 3
    assert p.heat.loc["Mon", 22] == 365.0 and p.heat.loc["Sun", 9] == 1.0
    assert p.monthly.tolist() == [730.0, 0.0, 1.0]  # February kept at zero
    assert p.offence_mix["offence"].tolist() == ["Robbery", "Shoplifting"]
    assert_allclose(p.offence_mix["share"], [730 / 731, 1 / 731])
    assert p.offence_mix["crimes"].tolist() == [2, 1]
    assert "Market Sq: 3 crimes; peak Mon 22:00-23:00" in p.summary()
    # a buffer brings in the far crime
    assert place_profile(c, box(0, 0, 10, 10), buffer_m=800).n_crimes == 4
    fig = p.plot()
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(SchemaError, match="lacks \\['harm'\\]"):
        place_profile(c.drop(columns="harm"), value="harm")
    with pytest.raises(HspworkError, match="value='risk'"):
        place_profile(c, value="risk")


def test_missing_harm_weight_is_refused_not_counted_as_zero():
    # One crime of three has no weight: summing it as 0 would understate the place's harm.
    from hspwork.units import count, count_by_period

    t = pd.to_datetime(["2024-01-01 22:00", "2024-01-02 10:00", "2024-02-03 09:00"], utc=True)
    c = gpd.GeoDataFrame(
        {"occurred_from": t, "offence": ["Robbery"] * 3, "harm": [365.0, np.nan, 365.0]},
        geometry=[Point(1, 1), Point(2, 2), Point(3, 3)],
        crs=27700,
    )
    u = gpd.GeoDataFrame({"unit_id": [0]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    msg = r"1 of 3 rows with a missing, infinite or negative harm weight.*harm_default"
    with pytest.raises(SchemaError, match=msg):
        place_profile(c, value="harm")
    with pytest.raises(SchemaError, match=msg):
        count(u, c)
    with pytest.raises(SchemaError, match=msg):
        count_by_period(u, c, "month", value="harm")
    # with every weight present the totals are the hand sums
    full = c.assign(harm=[365.0, 1.0, 365.0])
    assert count(u, full)["harm"].tolist() == [731.0]
    assert place_profile(full, value="harm").monthly.tolist() == [366.0, 365.0]


def _crimes(starts, ends):
    return gpd.GeoDataFrame(
        {
            "occurred_from": pd.to_datetime(starts, utc=True),
            "occurred_to": pd.to_datetime(ends, utc=True),
            "offence": "Burglary",
        },
        geometry=[Point(1, 1)] * len(starts),
        crs=27700,
    )


def test_month_only_police_uk_data_makes_no_clock_claims():
    import matplotlib.pyplot as plt

    from hspwork.io import read_crimes
    from tests.conftest import SAMPLE

    with pytest.warns(DataDroppedWarning, match="no location"):
        crimes = read_crimes(SAMPLE / "crimes_police_uk.csv", tz="Europe/London", harm="cambridge")
    p = place_profile(crimes, value="harm", tz="Europe/London", name="town")
    assert p.heat is None and p.weekday is None
    text = p.summary()
    assert "peak" not in text and "busiest day" not in text and ":00" not in text
    assert "police.uk records give the month only" in p.when_note
    assert p.when_note in text
    assert p.monthly.sum() > 0  # the month is known, so the monthly trend stays
    fig = p.plot()
    assert len(fig.axes) == 2  # offence mix and monthly trend; no hour or day panel
    assert "No hour-of-day or day-of-week profile" in fig._suptitle.get_text()
    plt.close(fig)


def test_force_export_with_short_windows_keeps_the_hours():
    from hspwork.io import read_crimes
    from tests.conftest import SAMPLE

    crimes = read_crimes(
        SAMPLE / "crimes_force.csv", tz="Europe/London", crs="EPSG:27700", harm="cambridge"
    )
    p = place_profile(crimes.head(3000), tz="Europe/London")
    assert p.heat is not None and p.when_note == ""
    assert_allclose(p.heat.to_numpy().sum(), 3000)
    assert "peak" in p.summary()


def test_windows_of_days_keep_the_weekday_but_not_the_hour():
    # 2 of 3 crimes known only to a two-day window (Mon 00:00 - Wed 00:00): no hours (1 of 3
    # short is under half), but the weekday profile uses all three
    c = _crimes(
        ["2024-01-01 00:00", "2024-01-08 00:00", "2024-01-13 10:00"],
        ["2024-01-03 00:00", "2024-01-10 00:00", "2024-01-13 10:00"],
    )
    p = place_profile(c, tz="UTC")
    assert p.heat is None
    assert p.weekday.to_dict() == {
        "Mon": 1.0, "Tue": 1.0, "Wed": 0.0, "Thu": 0.0, "Fri": 0.0, "Sat": 1.0, "Sun": 0.0
    }  # fmt: skip
    assert "No hour-of-day profile: 2 of 3 crimes" in p.when_note
    assert "the day-of-week bars use them all" in p.when_note
    assert "busiest day Mon" in p.summary() and "peak" not in p.summary()
    fig = p.plot()
    assert fig.axes[0].get_title().endswith("by day of the week (aoristic)")
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_long_windows_are_left_out_of_the_hours_when_most_are_short():
    # Mon 10:00 exact, Tue 14:00 exact, and a 3-day window: hours from the two exact ones only
    c = _crimes(
        ["2024-01-01 10:00", "2024-01-02 14:00", "2024-01-03 00:00"],
        ["2024-01-01 10:00", "2024-01-02 14:00", "2024-01-06 00:00"],
    )
    p = place_profile(c, tz="UTC")
    assert p.heat.to_numpy().sum() == 2.0
    assert p.heat.loc["Mon", 10] == 1.0 and p.heat.loc["Tue", 14] == 1.0
    # the weekday bars take the 3-day window too: a third each to Wed, Thu, Fri
    assert_allclose(p.weekday[["Wed", "Thu", "Fri"]], [1 / 3] * 3)
    assert "leaves out 1 of 3 crimes known only to a window of a day or more" in p.when_note
    assert p.settings["crimes_in_hours"] == 2 and p.settings["crimes_in_weekdays"] == 3
