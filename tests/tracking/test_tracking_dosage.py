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
    for fid, minutes in v.per_fence().set_index("fence_id")["officer_minutes"].items():
        assert_allclose(total.get(fid, 0.0), minutes)
    s = patrol_minutes(runs, by="shift")
    assert set(s["shift"]) == {"early"}


# --------------------------------------------------------------- split at day and shift ends


def one_visit(start_local, end_local, tz="Europe/London", minutes=None, fence="A"):
    s = pd.Timestamp(start_local, tz=tz).tz_convert("UTC")
    e = pd.Timestamp(end_local, tz=tz).tz_convert("UTC")
    m = (e - s).total_seconds() / 60 if minutes is None else minutes
    return pd.DataFrame({"officer": ["a"], "fence_id": [fence], "start": [s], "end": [e],
                         "minutes": [m]})  # fmt: skip


def by_key(d, *cols):
    return {tuple(str(r[c]) for c in cols): r for _, r in d.iterrows()}


def test_a_visit_across_midnight_gives_each_day_its_minutes():
    d = by_key(dosage(one_visit("2025-06-01 23:50", "2025-06-02 00:10")), "date")
    assert_allclose(d[("2025-06-01",)]["minutes"], 10.0)
    assert_allclose(d[("2025-06-02",)]["minutes"], 10.0)
    assert_allclose(d[("2025-06-02",)]["patrol_minutes"], 10.0)
    # the visit is counted once, on the day it began
    assert d[("2025-06-01",)]["visits"] == 1 and d[("2025-06-02",)]["visits"] == 0
    assert_allclose(d[("2025-06-01",)]["mean_visit_minutes"], 20.0)
    # a visit whose credited minutes are less than its span (merged runs): shared in proportion
    d = by_key(dosage(one_visit("2025-06-01 23:50", "2025-06-02 00:20", minutes=15.0)), "date")
    assert_allclose([d[("2025-06-01",)]["minutes"], d[("2025-06-02",)]["minutes"]], [5.0, 10.0])


def test_a_visit_across_a_shift_change_gives_each_shift_its_minutes():
    # 14:50-15:10 local: 10 minutes early, 10 late; 22:55-23:05: 5 late, 5 night
    v = pd.concat([one_visit("2025-06-02 14:50", "2025-06-02 15:10"),
                   one_visit("2025-06-02 22:55", "2025-06-02 23:05")], ignore_index=True)  # fmt: skip
    d = by_key(dosage(v, by="shift"), "date", "shift")
    assert_allclose(d[("2025-06-02", "early")]["minutes"], 10.0)
    assert_allclose(d[("2025-06-02", "late")]["minutes"], 15.0)
    assert_allclose(d[("2025-06-02", "night")]["minutes"], 5.0)
    # the night shift from 23:00 belongs to the date it began, after midnight too
    d = by_key(dosage(one_visit("2025-06-02 23:50", "2025-06-03 00:30"), by="shift"), "date",
               "shift")  # fmt: skip
    assert list(d) == [("2025-06-02", "night")]
    assert_allclose(d[("2025-06-02", "night")]["minutes"], 40.0)
    # hours no shift covers are kept, under no shift name
    d = dosage(one_visit("2025-06-02 06:00", "2025-06-02 09:00"), by="shift",
               shift_hours={"early": (7, 15)})  # fmt: skip
    got = {(str(r["date"]), None if pd.isna(r["shift"]) else r["shift"]): r["minutes"]
           for _, r in d.iterrows()}  # fmt: skip
    assert set(got) == {("2025-06-02", None), ("2025-06-02", "early")}
    assert_allclose([got[("2025-06-02", None)], got[("2025-06-02", "early")]], [60.0, 120.0])


def test_local_days_are_23_and_25_hours_across_the_clock_changes():
    # from local midnight before the change to local midnight after it
    d = by_key(dosage(one_visit("2025-10-25 23:00", "2025-10-27 01:00")), "date")
    assert_allclose([d[(k,)]["minutes"] / 60 for k in ("2025-10-25", "2025-10-26",
                     "2025-10-27")], [1.0, 25.0, 1.0])  # fmt: skip
    d = by_key(dosage(one_visit("2025-03-29 23:00", "2025-03-31 01:00")), "date")
    assert_allclose([d[(k,)]["minutes"] / 60 for k in ("2025-03-29", "2025-03-30",
                     "2025-03-31")], [1.0, 23.0, 1.0])  # fmt: skip
    # the night shift of 25 October runs 23:00 to 07:00 local: 9 hours of real time
    d = by_key(dosage(one_visit("2025-10-25 23:00", "2025-10-26 07:00"), by="shift"), "date",
               "shift")  # fmt: skip
    assert_allclose(d[("2025-10-25", "night")]["minutes"], 9 * 60.0)


def test_dosage_splits_the_credited_runs_of_a_dwell_result_exactly():
    # PC1 in A from 22:50 to 23:10 UTC on 1 June = 23:50 to 00:10 London time
    p = track("PC1", "2025-06-01 22:50", 20, 50)
    r = dwell(p, FENCES)
    d = by_key(dosage(r), "fence_id", "date")
    assert_allclose(d[("A", "2025-06-01")]["minutes"], 10.0)
    assert_allclose(d[("A", "2025-06-02")]["minutes"], 10.0)
    # the same from the bare frame, and runs split alike by patrol_minutes
    d2 = by_key(dosage(r.visits), "fence_id", "date")
    assert_allclose(d2[("A", "2025-06-02")]["minutes"], 10.0)
    from hspwork.tracking import patrol_minutes

    pm = by_key(patrol_minutes(r.runs), "fence_id", "date")
    assert_allclose(pm[("A", "2025-06-01")]["patrol_minutes"], 10.0)
    assert_allclose(pm[("A", "2025-06-02")]["officer_minutes"], 10.0)


def test_old_shift_names_warn_and_bad_shift_hours_are_refused():
    v = one_visit("2025-06-02 14:50", "2025-06-02 15:10")
    with pytest.warns(FutureWarning, match=r"dosage\(shifts=\.\.\.\).*shift_hours"):
        old = dosage(v, by="shift", shifts={"day": (6, 18)})
    pd.testing.assert_frame_equal(old, dosage(v, by="shift", shift_hours={"day": (6, 18)}))
    with pytest.warns(FutureWarning, match=r"shift_of\(shifts="):
        shift_of(v["start"], shifts={"day": (6, 18)})
    with pytest.raises(SchemaError, match=r"shift_hours\['x'\] = \(7, 31\)"):
        dosage(v, by="shift", shift_hours={"x": (7, 31)})
    with pytest.raises(SchemaError, match="an interval ends before it starts"):
        dosage(v.assign(end=v["start"] - pd.Timedelta(minutes=1)))
