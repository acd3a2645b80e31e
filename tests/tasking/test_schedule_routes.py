"""Schedules with gaps and windows, and optimised routes that stay unpredictable day to day."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hspwork.errors import HspworkError
from hspwork.tasking import crime_profile, optimise_routes, schedule, travel_minutes
from tests.tasking.routecheck import shift_window, violations

WEEK = pd.date_range("2025-09-01", periods=7).date


def six_places():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 900, (6, 2))
    return gpd.GeoDataFrame(
        {"fence_id": [f"F{i}" for i in range(6)], "team": ["North"] * 3 + ["South"] * 3},
        geometry=[box(x, y, x + 40, y + 40) for x, y in xy],
        crs=27700,
    )


def test_old_shifts_keyword_warns_and_means_shift_hours():
    f = six_places()
    hours = {"early": (6, 14), "late": (14, 22)}
    with pytest.warns(FutureWarning, match="shift_hours"):
        old = schedule(f, WEEK[:2], shifts=hours, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = schedule(f, WEEK[:2], shift_hours=hours, seed=1)
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(HspworkError, match="shift_hours only"):
        schedule(f, WEEK[:2], shifts=hours, shift_hours=hours)


@pytest.mark.parametrize("every", [None, 3.0])
def test_min_gap_holds_within_and_across_shifts(every):
    f = six_places()
    plan = schedule(
        f, WEEK, visits_per_shift={"early": 1, "late": 2}, min_gap_minutes=120,
        min_every_hours=every, seed=4,
    )  # fmt: skip
    assert (plan["min_gap_minutes"] == 120).all()
    # the drawn starts (before any move for a journey) are what the gap is drawn on
    start = plan["planned_start"] - pd.to_timedelta(plan["moved_minutes"], unit="min")
    for _, s in start.groupby([plan["date"], plan["fence_id"]]):
        s = s.sort_values()
        assert (s.diff().dropna() >= pd.Timedelta(minutes=120)).all()
    # an early visit just before 15:00 would put a late one just after it: never within 2 h
    early = plan["shift"] == "early"
    assert early.any() and (~early).any()
    with pytest.raises(HspworkError, match="leaves no room"):
        schedule(f, WEEK[:1], visits_per_shift={"late": 4}, min_gap_minutes=200)


def test_windows_surround_the_drawn_start_inside_the_shift():
    f = six_places()
    plan = schedule(f, WEEK[:3], window_minutes=45, seed=2)
    drawn = plan["planned_start"] - pd.to_timedelta(plan["moved_minutes"], unit="min")
    assert (plan["window_start"] <= drawn).all() and (drawn < plan["window_end"]).all()
    width = plan["window_end"] - plan["window_start"]
    assert (width <= pd.Timedelta(minutes=90)).all()
    for (d, sh), g in plan.groupby(["date", "shift"]):
        s0, s1 = shift_window(str(d), sh)
        assert (g["window_start"] >= s0).all() and (g["window_end"] <= s1).all()
    inside = (drawn - plan["window_start"] == pd.Timedelta(minutes=45)) & (
        plan["window_end"] - drawn == pd.Timedelta(minutes=45)
    )
    assert inside.mean() > 0.5  # most windows are not cut by a shift edge


def orders(routed):
    return {
        tuple(map(str, key)): tuple(g.sort_values(["route", "order"])["fence_id"])
        for key, g in routed.groupby(["date", "shift", "team"])
    }


def test_optimised_orders_differ_day_to_day_and_keep_every_rule():
    f = six_places()
    plan = schedule(f, WEEK, teams="team", min_gap_minutes=120, window_minutes=45, seed=11)
    routed = optimise_routes(plan, f, officers=2, time_limit_s=1, seed=11)
    assert violations(plan, routed, travel_minutes(f)) == []
    seq = orders(routed)
    for team in ("North", "South"):
        for shift in ("early", "late"):
            days = [seq[(str(d), shift, team)] for d in WEEK]
            # three places have six orders; a week of random windows uses several of them
            assert len(set(days)) >= 3, (team, shift, days)
    # another seed, another week of orders
    other = optimise_routes(
        schedule(f, WEEK, teams="team", min_gap_minutes=120, window_minutes=45, seed=12),
        f, officers=2, time_limit_s=1,
    )  # fmt: skip
    assert sum(orders(other)[k] != v for k, v in seq.items()) >= len(seq) // 2
    # without windows the least-travel path is the same every day (walked one way or the
    # other, whichever suits the planned times): predictable
    fixed = optimise_routes(schedule(f, WEEK, teams="team", seed=11), f, time_limit_s=1)
    for team in ("North", "South"):
        paths = {orders(fixed)[(str(d), "early", team)] for d in WEEK}
        assert len({min(p, p[::-1]) for p in paths}) == 1
    # the optimiser still saves travel on the random plan
    info = routed.attrs["routing"]
    assert info["travel_minutes"] <= info["travel_minutes_time_order"] + 1e-9


def test_windows_weighted_by_the_crime_profile_survive_optimisation():
    # all of F0's crime at 21:00-22:00 local: its late visits stay near then
    f = six_places()
    t = pd.to_datetime(["2025-01-06 21:30"] * 40, utc=True)
    c = f.iloc[0].geometry.centroid
    crimes = gpd.GeoDataFrame(
        {"occurred_from": t, "occurred_to": t},
        geometry=gpd.points_from_xy([c.x] * 40, [c.y] * 40),
        crs=27700,
    )
    prof = crime_profile(crimes, f, prior=0.01)
    plan = schedule(f, WEEK, visits_per_shift={"late": 1}, profile=prof, window_minutes=30,
                    teams="team", seed=3)  # fmt: skip
    routed = optimise_routes(plan, f, time_limit_s=1)
    assert violations(plan, routed, travel_minutes(f)) == []
    f0 = routed[routed["fence_id"] == "F0"]["planned_start"].dt.tz_convert("Europe/London")
    hour = f0.dt.hour + f0.dt.minute / 60
    assert ((hour >= 20.5) & (hour < 22.5)).all()
