"""Capacity, schedules, journeys and tasking sheets, against values worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import LineString, box

from hspwork.errors import HspworkError, SchemaError
from hspwork.privacy import pseudonymise
from hspwork.tasking import (
    StreetNetwork,
    capacity,
    capacity_estimate,
    crime_profile,
    route,
    schedule,
    travel_minutes,
    write_tasking_sheets,
)

KEY = "test-programme-key-0123456789"


def fences3():
    return gpd.GeoDataFrame(
        {
            "fence_id": ["A", "B", "C"],
            "name": ["High St / Mill Ln", "Station Rd", "Park <Gate>"],
            "team": ["Crew 1", "Crew 1", "Crew 2"],
        },
        geometry=[box(-10, -10, 10, 10), box(990, -10, 1010, 10), box(990, 990, 1010, 1010)],
        crs=27700,
    )


def grid_streets():
    # an L of streets: (0,0)-(1000,0)-(1000,1000), plus a diagonal footpath missing on purpose
    return gpd.GeoDataFrame(
        geometry=[LineString([(0, 0), (500, 0), (1000, 0)]), LineString([(1000, 0), (1000, 1000)])],
        crs=27700,
    )


def test_capacity_by_hand():
    c = capacity_estimate(
        {"early": 3, "late": 5},
        shift_hours=8,
        visits_per_place={"early": 1, "late": 2},
        visit_minutes=15,
        travel_minutes=5,
        available_share=0.5,
    )
    # early: 3 x 480 x 0.5 = 720 min / 20 = 36 visits -> 36 places; late: 1200/20 = 60 -> 30
    assert c["visits_possible"].tolist() == [36, 60]
    assert c["places"].tolist() == [36, 30]
    with pytest.raises(HspworkError, match=r"available_share=1.5"):
        capacity_estimate(3, available_share=1.5)
    # the old call still works, with a warning, and gives the same table
    with pytest.warns(FutureWarning, match="capacity_estimate"):
        old = capacity({"early": 3, "late": 5}, shift_hours=8, visits_per_place={"early": 1,
                       "late": 2}, visit_minutes=15, travel_minutes=5, available_share=0.5)  # fmt: skip
    pd.testing.assert_frame_equal(old, c)


def test_network_distances_follow_streets():
    net = StreetNetwork(grid_streets())
    d = net.distance_m([(0, 0), (500, 30)], [(1000, 1000), (0, 0)])
    # (0,0) -> (1000,1000) along the L = 2000 m; (500,30) snaps to (500,0): 30 + 500
    assert_allclose(d, [[2000.0, 0.0], [30 + 500 + 1000, 530.0]])
    tm = travel_minutes(fences3(), net, speed=1.0)
    assert_allclose(tm.loc["A", "C"], 2000 / 60)  # A and C centres are on the network ends
    assert_allclose(tm.loc["A", "B"], 1000 / 60)
    with pytest.raises(HspworkError, match="speed='jogging'"):
        travel_minutes(fences3(), net, speed="jogging")


def test_schedule_counts_windows_and_seed():
    f = fences3()
    dates = pd.date_range("2025-09-01", periods=5).date
    plan = schedule(f, dates, seed=3)
    assert len(plan) == 3 * 5 * 3  # 1 early + 2 late per place per day
    local = plan["planned_start"].dt.tz_convert("Europe/London")
    h = local.dt.hour + local.dt.minute / 60
    early = plan["shift"] == "early"
    assert ((h[early] >= 7) & (h[early] + 0.25 <= 15)).all()
    assert ((h[~early] >= 15) & (h[~early] + 0.25 <= 23 + 1e-9)).all()
    # the two late visits of a place never overlap (one in each half of the shift)
    late = plan[~early].sort_values("planned_start").groupby(["date", "fence_id"])
    gaps = late["planned_start"].diff().dropna().dt.total_seconds() / 60
    assert (gaps >= 15).all()
    pd.testing.assert_frame_equal(plan, schedule(f, dates, seed=3))
    assert not plan.equals(schedule(f, dates, seed=4))
    assert plan["tasking_id"].is_unique


def test_schedule_follows_crime_profile():
    f = fences3().iloc[:1]
    t = pd.to_datetime(["2025-01-06 21:30"] * 50, utc=True)  # 21:30 GMT = 21:30 local
    crimes = gpd.GeoDataFrame(
        {"occurred_from": t, "occurred_to": t},
        geometry=gpd.points_from_xy([0] * 50, [0] * 50),
        crs=27700,
    )
    prof = crime_profile(crimes, f, prior=1.0)
    assert_allclose(prof.loc["A", 21], (50 + 1 / 24) / 51)
    plan = schedule(
        f,
        pd.date_range("2025-01-06", periods=60).date,
        visits_per_shift={"late": 1},
        profile=prof,
        seed=1,
    )
    hour = plan["planned_start"].dt.tz_convert("Europe/London").dt.hour
    # P(hour 21) = weight of 60 minutes at 0.98 among 480 minutes mostly at 1/1224 each
    p21 = 60 * prof.loc["A", 21] / (60 * prof.loc["A", 21] + 420 * prof.loc["A", 15])
    assert p21 > 0.95 and (hour == 21).mean() > 0.85


def test_min_every_hours_bounds_every_gap():
    f = fences3()
    plan = schedule(
        f,
        pd.date_range("2025-09-01", periods=10).date,
        visits_per_shift={"late": 1},
        min_every_hours=2,
        seed=5,
        teams={"A": "1", "B": "2", "C": "3"},
    )
    start = plan["planned_start"].dt.tz_convert("Europe/London")
    for (_, _), g in plan.assign(s=start).groupby(["date", "fence_id"]):
        s = g["s"].sort_values()
        first = s.iloc[0].hour * 60 + s.iloc[0].minute
        last = s.iloc[-1].hour * 60 + s.iloc[-1].minute
        assert first - 15 * 60 < 120 and 23 * 60 - last <= 120
        assert (s.diff().dropna() <= pd.Timedelta(hours=2)).all()
        assert (s.diff().dropna() >= pd.Timedelta(minutes=15)).all()
    with pytest.raises(HspworkError, match="shorter than one 15-minute visit"):
        schedule(f, ["2025-09-01"], min_every_hours=0.1)


def test_route_moves_visits_that_cannot_be_reached():
    f = fences3()
    t0 = pd.Timestamp("2025-09-01 08:00", tz="UTC")
    plan = pd.DataFrame(
        {
            "fence_id": ["A", "C"],
            "date": "2025-09-01",
            "shift": "early",
            "planned_start": [t0, t0 + pd.Timedelta(minutes=20)],
            "minutes": 15.0,
            "team": "Crew 1",
        }
    )
    r = route(plan, f, StreetNetwork(grid_streets()), speed=2.0)
    # A -> C: 2000 m at 2 m/s = 16.67 min; A ends 08:15, so C starts 08:31:40 not 08:20
    assert_allclose(r["travel_minutes"], [0.0, 2000 / 2 / 60])
    assert r["planned_start"].iloc[1] == t0 + pd.Timedelta(minutes=15) + pd.Timedelta(seconds=1000)
    assert_allclose(r["moved_minutes"], [0.0, 15 + 1000 / 60 - 20])
    assert r["order"].tolist() == [1, 2] and r["travel_from"].iloc[1] == "A"


def test_sheets_are_pseudonymised_csv_and_printable_html(tmp_path, monkeypatch):
    f = fences3()
    plan = schedule(f, ["2025-09-01"], teams="team", seed=2)
    plan["officer"] = np.where(plan["team"] == "Crew 1", "PC4127", "PC9001")
    out = write_tasking_sheets(plan, tmp_path, fences=f, key=KEY)
    assert sorted(out["shift"]) == ["early", "late"] and out["visits"].sum() == len(plan)
    for csv, page in zip(out["csv"], out["html"]):
        text = open(csv).read() + open(page).read()
        assert "PC4127" not in text and "PC9001" not in text
        assert pseudonymise(["PC4127"], key=KEY)[0] in text
        assert "Park &lt;Gate&gt;" in open(page).read()  # names are escaped in HTML
        assert "@media print" in open(page).read()
    early = pd.read_csv(out["csv"].iloc[0])
    assert len(early) == 3 and set(early["fence_id"]) == {"A", "B", "C"}
    monkeypatch.delenv("HSPWORK_PSEUDONYM_KEY", raising=False)
    with pytest.raises(HspworkError, match="HSPWORK_PSEUDONYM_KEY"):
        write_tasking_sheets(plan, tmp_path / "x")
    monkeypatch.setenv("HSPWORK_PSEUDONYM_KEY", KEY)
    again = write_tasking_sheets(plan, tmp_path / "env", fences=f)
    assert open(again["csv"].iloc[0]).read() == open(out["csv"].iloc[0]).read()
    with pytest.raises(SchemaError, match="lack column"):
        write_tasking_sheets(plan.drop(columns="team"), tmp_path)


def test_one_team_for_distant_places_overruns_its_shift():
    f = fences3()
    far = f.assign(
        geometry=[box(0, 0, 20, 20), box(20_000, 0, 20_020, 20), box(40_000, 0, 40_020, 20)]
    )
    plan = schedule(far, ["2025-09-01"], visits_per_shift={"early": 2}, seed=1)
    # 6 visits, journeys of ~20-40 km at walking pace (hours each): the shift cannot hold them
    assert plan["moved_minutes"].max() > 60
    assert (
        plan["after_shift_end"].any() and not plan.loc[plan["order"] == 1, "after_shift_end"].any()
    )
    ok = schedule(f, ["2025-09-01"], teams={"A": "1", "B": "2", "C": "3"}, seed=1)
    assert not ok["after_shift_end"].any() and (ok["moved_minutes"] == 0).all()


def test_crime_profile_spreads_windows_over_their_hours():
    # A burglary known only as 22:00-02:00 (four hours) puts a quarter in each of 22, 23, 0, 1,
    # not all of itself at the 00:00 midpoint; an exact 09:15 theft counts in 09.
    from shapely.geometry import Point, box

    f = gpd.GeoDataFrame({"fence_id": ["A", "B"]}, geometry=[box(0, 0, 10, 10), box(50, 0, 60, 10)],
                         crs=27700)  # fmt: skip
    t0 = pd.to_datetime(["2025-01-06 22:00", "2025-01-06 09:15", "2025-01-06 12:00"], utc=True)
    t1 = pd.to_datetime(["2025-01-07 02:00", "2025-01-06 09:15", "2025-01-06 12:00"], utc=True)
    c = gpd.GeoDataFrame({"occurred_from": t0, "occurred_to": t1},
                         geometry=[Point(5, 5), Point(5, 5), Point(500, 500)], crs=27700)  # fmt: skip
    p = crime_profile(c, f, tz="UTC", prior=0)
    want = np.zeros(24)
    want[[22, 23, 0, 1]] = 0.25 / 2
    want[9] = 1 / 2
    assert_allclose(p.loc["A", list(range(24))].to_numpy(float), want, atol=1e-12)
    assert p["crimes"].to_dict() == {"A": 2, "B": 0}
    # B has no crime: with the prior every hour is alike
    assert_allclose(crime_profile(c, f, tz="UTC", prior=1.0).loc["B", 0], 1 / 24)
