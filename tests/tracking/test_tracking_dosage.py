"""Dosage tables, visit lengths, drive-throughs and activity joins, checked by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose
from shapely.geometry import box

from hspwork.errors import SchemaError
from hspwork.tracking import dwell
from hspwork.tracking.dosage import (
    activity_summary,
    dosage,
    flag_drive_throughs,
    join_activities,
    plot_visit_lengths,
    shift_of,
    visit_length_distribution,
)

FENCES = gpd.GeoDataFrame(
    {"fence_id": ["A", "B"]}, geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)], crs=27700
)


def track(officer, start, minutes, x, y=50.0, every_s=60, source="app"):
    n = int(minutes * 60 / every_s) + 1
    t = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(np.arange(n) * every_s, unit="s")
    xs = np.broadcast_to(np.asarray(x, float), (n,)) if np.ndim(x) == 0 else np.asarray(x, float)
    df = pd.DataFrame({"officer": officer, "time": t, "x": xs, "y": y, "source": source})
    df["crs"] = "EPSG:27700"
    return df


def cat(*f):
    return pd.concat(f, ignore_index=True)  # the crs column comes along


def test_dosage_per_day_and_shift_from_dwell():
    p = cat(
        track("PC1", "2025-06-02 08:00", 12, 50),  # 09:00 BST early, A, 12 min
        track("PC2", "2025-06-02 15:00", 5, 50),  # 16:00 BST late, A, 5 min
        track("PC1", "2025-06-02 22:30", 20, 1050),  # 23:30 BST night of 2 June, B, 20 min
        track("PC1", "2025-06-03 23:10", 14, 50),  # 00:10 BST 4 June: night shift of 3 June
    )
    v = dwell(p, FENCES)
    d = dosage(v).set_index(["fence_id", "date"])
    day2, day4 = pd.Timestamp("2025-06-02").date(), pd.Timestamp("2025-06-04").date()
    assert_allclose(d.loc[("A", day2), "minutes"], 17.0)
    assert d.loc[("A", day2), "visits"] == 2 and d.loc[("A", day2), "officers"] == 2
    assert d.loc[("A", day2), "in_koper_band"] == 1
    assert_allclose(d.loc[("A", day4), "minutes"], 14.0)
    s = dosage(v, by="shift").set_index(["fence_id", "date", "shift"])
    assert_allclose(s.loc[("A", day2, "early"), "minutes"], 12.0)
    assert_allclose(s.loc[("A", day2, "late"), "minutes"], 5.0)
    assert_allclose(s.loc[("B", day2, "night"), "minutes"], 20.0)
    assert_allclose(s.loc[("A", pd.Timestamp("2025-06-03").date(), "night"), "minutes"], 14.0)
    with pytest.raises(SchemaError, match="by='week'"):
        dosage(v, by="week")


def test_shift_of_wraps_midnight_in_local_time():
    t = pd.Series(
        pd.to_datetime(["2025-01-10 06:59", "2025-01-10 07:00", "2025-01-10 23:00"], utc=True)
    )  # GMT in January: local = UTC
    got = shift_of(t)
    assert got["shift"].tolist() == ["night", "early", "night"]
    assert [str(d) for d in got["date"]] == ["2025-01-09", "2025-01-10", "2025-01-10"]


def test_visit_lengths_against_koper_band():
    v = pd.DataFrame({"minutes": [0.5, 3, 9.99, 10, 12, 15, 15.01, 45]})
    d = visit_length_distribution(v)
    assert d["visits"].sum() == 8
    assert_allclose(d.attrs["share_in_band"], 3 / 8)
    assert_allclose(d.attrs["share_shorter"], 3 / 8)
    assert_allclose(d.attrs["share_longer"], 2 / 8)
    assert d.loc[d["in_band"], "visits"].sum() == 2  # the [10, 15) bin; 15 falls in [15, 20)
    fig = plot_visit_lengths(v)
    assert isinstance(fig, Figure) and "38%" in fig.axes[0].get_title()


def test_drive_through_by_speed():
    # a car at 10 m/s through A (pings every 5 s) and a walker standing still
    xs = np.arange(-25, 130, 50.0)  # -25, 25, 75, 125: boundaries crossed mid-step
    car = track("PC1", "2025-06-02 08:00", (len(xs) - 1) * 5 / 60, xs, every_s=5)
    walker = track("PC2", "2025-06-02 08:00", 12, 50)
    v = flag_drive_throughs(dwell(cat(car, walker), FENCES, interpolate=True))
    by = v.set_index("officer")
    assert bool(by.loc["PC1", "drive_through"]) and not bool(by.loc["PC2", "drive_through"])
    assert_allclose(by.loc["PC1", "mean_speed_mps"], 10.0, rtol=1e-9)
    assert_allclose(by.loc["PC1", "minutes"], 10 / 60, rtol=1e-9)  # 100 m at 10 m/s


def test_activities_joined_to_fences_and_visits():
    p = track("PC1", "2025-06-02 08:00", 12, 50)
    v = dwell(p, FENCES)
    acts = pd.DataFrame(
        {
            "officer": ["PC1", "PC1", "PC2", "PC1"],
            "time": pd.to_datetime(
                ["2025-06-02 08:05", "2025-06-02 09:00", "2025-06-02 08:05", "2025-06-02 08:06"],
                utc=True,
            ),
            "x": [40.0, 40.0, 1050.0, 5000.0],
            "y": [40.0, 40.0, 50.0, 50.0],
            "activity": ["stop", "arrest", "engagement", "stop"],
        }
    )
    acts["crs"] = "EPSG:27700"
    j = join_activities(acts, FENCES, v)
    assert len(j) == 4
    assert j["fence_id"].tolist()[:3] == ["A", "A", "B"] and pd.isna(j["fence_id"].iloc[3])
    assert j["visit"].tolist()[:3] == [0, pd.NA, pd.NA] or (
        j["visit"].iloc[0] == 0 and j["visit"].iloc[1:].isna().all()
    )
    s = activity_summary(j).set_index("fence_id")
    assert s.loc["A", "stop"] == 1 and s.loc["A", "arrest"] == 1 and s.loc["B", "engagement"] == 1


def test_patrol_minutes_per_day_are_the_union_of_officers():
    from hspwork.tracking import credited_time, patrol_minutes

    p = cat(
        track("PC1", "2025-06-02 08:00", 10, 50),  # A 08:00-08:10
        track("PC2", "2025-06-02 08:05", 10, 60),  # A 08:05-08:15: 5 minutes together
        track("PC2", "2025-06-03 08:00", 6, 50),  # A next day alone
        track("PC3", "2025-06-02 08:00", 4, 1050, source="radio"),  # B, a radio
    )
    runs = credited_time(p, FENCES)
    d = patrol_minutes(runs).set_index(["fence_id", "date"])
    day2, day3 = pd.Timestamp("2025-06-02").date(), pd.Timestamp("2025-06-03").date()
    assert_allclose(d.loc[("A", day3), ["officer_minutes", "patrol_minutes"]], [6.0, 6.0])
    assert d.loc[("A", day2), "officers"] == 2
    assert_allclose(d.loc[("A", day2), ["officer_minutes", "patrol_minutes"]], [20.0, 15.0])
    assert_allclose(d.loc[("B", day2), ["officer_minutes", "patrol_minutes"]], [4.0, 4.0])
    # the patrol minutes always agree with dwell's whole-period figure when summed per fence
    v = dwell(p, FENCES)
    total = d.groupby(level="fence_id")["officer_minutes"].sum()
    for fid, minutes in v.attrs["officer_minutes"].items():
        assert_allclose(total.get(fid, 0.0), minutes)
    s = patrol_minutes(runs, by="shift")
    assert set(s["shift"]) == {"early"}
