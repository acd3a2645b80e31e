"""optimise_routes against the optimum found by trying every order, and against time order."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import LineString, Point, box

from hspwork.errors import HspworkError, SchemaError
from hspwork.tasking import (
    StreetNetwork,
    optimise_routes,
    route,
    schedule,
    travel_minutes,
)
from tests.tasking.routecheck import (
    best_travel,
    random_instance,
    route_travel,
    shift_window,
    violations,
)

T0, _ = shift_window("2025-09-01", "early")  # 07:00 BST


def line_fences(xs, names=None):
    names = names or [chr(65 + i) for i in range(len(xs))]
    return gpd.GeoDataFrame(
        {"fence_id": names},
        geometry=[box(x - 5, -5, x + 5, 5) for x in xs],
        crs=27700,
    )


def straight_street(length):
    return StreetNetwork(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (length, 0)])], crs=27700))


def plan_of(ids, minutes_after_start, **cols):
    return pd.DataFrame(
        {
            "tasking_id": [f"T{i}" for i in range(len(ids))],
            "fence_id": ids,
            "date": "2025-09-01",
            "shift": "early",
            "planned_start": [T0 + pd.Timedelta(minutes=m) for m in minutes_after_start],
            "minutes": 15.0,
            "team": "Crew 1",
            **cols,
        }
    )


# --------------------------------------------------------------------------- exact optimum


@pytest.mark.parametrize(
    ("seed", "n", "windows", "gaps"),
    [(1, 6, False, False), (2, 7, True, False), (3, 8, True, True), (4, 8, False, True),
     (5, 7, True, True), (6, 8, True, True)],
)  # fmt: skip
def test_matches_the_best_of_every_order(seed, n, windows, gaps):
    plan, fences = random_instance(seed, n, windows=windows, gaps=gaps)
    tm = travel_minutes(fences)
    want = best_travel(plan, tm)
    assert want is not None, "the instance generator made an impossible plan"
    got = optimise_routes(plan, fences, time_limit_s=5, seed=seed)
    assert violations(plan, got, tm) == []
    # costs are whole milliseconds inside the solver: equal to a few ms over the whole route
    assert_allclose(route_travel(got), want, atol=0.01)
    info = got.attrs["routing"]
    assert info["problems"][0]["proven_optimal"] and info["optimality_gap"] == 0.0
    assert_allclose(info["travel_minutes"], want, atol=0.01)
    assert info["travel_minutes_lower_bound"] <= info["travel_minutes"] + 1e-9


@pytest.mark.parametrize(("seed", "gaps"), [(11, False), (33, True), (65, True), (74, True)])
def test_two_officers_match_the_best_split_and_orders(seed, gaps):
    # with gaps, two officers may visit one place: the gap then holds across their routes
    plan, fences = random_instance(seed, 6, windows=True, gaps=gaps)
    tm = travel_minutes(fences)
    want = best_travel(plan, tm, officers=2)
    assert want is not None
    if gaps:  # these seeds were chosen because the gap changes the optimum
        assert want > best_travel(plan.drop(columns="min_gap_minutes"), tm, officers=2) + 0.1
    got = optimise_routes(plan, fences, officers=2, time_limit_s=5)
    assert violations(plan, got, tm) == []
    assert_allclose(route_travel(got), want, atol=0.01)
    assert set(got["route"]) <= {1, 2}


def test_brute_force_reference_sees_a_wrong_order():
    # the reference itself can fail: a deliberately bad order breaks the journey rule
    plan, fences = random_instance(3, 8, windows=True, gaps=True)
    tm = travel_minutes(fences)
    got = optimise_routes(plan, fences, time_limit_s=5)
    worse = got.copy()
    worse.loc[[0, 1], "order"] = worse.loc[[1, 0], "order"].to_numpy()
    assert violations(plan, worse, tm)
    moved = got.copy()
    moved.loc[3, "planned_start"] -= pd.Timedelta(minutes=200)
    assert violations(plan, moved, tm)


# --------------------------------------------------------------------------- never worse


@pytest.mark.parametrize("seed", range(12))
def test_never_worse_than_time_order(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(4, 10))
    xy = rng.uniform(0, 1500, (n, 2))
    f = gpd.GeoDataFrame(
        {"fence_id": [f"F{i}" for i in range(n)], "team": rng.choice(["A", "B"], n)},
        geometry=[box(x, y, x + 30, y + 30) for x, y in xy],
        crs=27700,
    )
    plan = schedule(f, ["2025-09-01", "2025-09-02"], teams="team", seed=seed)
    timed = route(plan, f)
    # windows around planned starts, unless time order already pushed a visit out of its shift
    w = 90 if seed % 2 and not plan["after_shift_end"].any() else None
    got = optimise_routes(plan, f, time_limit_s=0.5, window_minutes=w)
    info = got.attrs["routing"]
    assert_allclose(info["travel_minutes_time_order"], timed["travel_minutes"].sum())
    assert_allclose(
        got["time_order_travel_minutes"].sum(), info["travel_minutes_time_order"], rtol=1e-12
    )
    for pb in info["problems"]:
        if pb["time_order_feasible"]:
            assert pb["minutes"] <= pb["time_order_minutes"] + 1e-6
        assert pb["lower_bound_minutes"] <= pb["minutes"] + 1e-9
    assert violations(plan, got, travel_minutes(f), window_minutes=w) == []


# --------------------------------------------------------------------------- the gap rule


def gap_plan(second_start_min):
    # A twice and B once, 60 m apart; A's visits are pinned (one-second windows): the first at
    # 08:00 (60 minutes after the shift starts), the second ``second_start_min`` after 07:00
    def pin(m):
        return T0 + pd.Timedelta(minutes=m)

    return plan_of(
        ["A", "A", "B"], [60, second_start_min, 100],
        window_start=pd.to_datetime([pin(60), pin(second_start_min), pd.NaT], utc=True),
        window_end=pd.to_datetime(
            [pin(60) + pd.Timedelta(seconds=1), pin(second_start_min) + pd.Timedelta(seconds=1),
             pd.NaT], utc=True),
        min_gap_minutes=[120.0, 120.0, 0.0],
    )  # fmt: skip


def test_gap_exactly_met_and_one_minute_short():
    f = line_fences([0, 60])
    net = straight_street(60)
    # the second visit to A at 10:00: exactly two hours after 08:00
    ok = optimise_routes(gap_plan(180), f, net, speed=1.0, time_limit_s=2)
    a = ok[ok["fence_id"] == "A"]["planned_start"].sort_values()
    assert a.iloc[1] - a.iloc[0] == pd.Timedelta(hours=2)
    assert violations(gap_plan(180), ok, travel_minutes(f, net, 1.0)) == []
    # at 09:59 it is one minute short of the gap: no routes keep it
    with pytest.raises(HspworkError, match="could not be fitted"):
        optimise_routes(gap_plan(179), f, net, speed=1.0, time_limit_s=2)
    # without the gap rule the same pins are fine
    free = gap_plan(179).drop(columns="min_gap_minutes")
    assert len(optimise_routes(free, f, net, speed=1.0, time_limit_s=2)) == 3


def test_gap_is_kept_between_teams_and_costs_travel():
    # Two teams in the same shift visit A; without the gap both would go at 07:00.
    f = line_fences([0, 1300, 2600])
    plan = plan_of(["A", "B", "A", "C"], [0, 30, 0, 30])
    plan["team"] = ["Crew 1", "Crew 1", "Crew 2", "Crew 2"]
    free = optimise_routes(plan, f, time_limit_s=2)
    s = free[free["fence_id"] == "A"]["planned_start"]
    assert abs(s.iloc[0] - s.iloc[1]) < pd.Timedelta(hours=2)
    plan["min_gap_minutes"] = 120.0
    kept = optimise_routes(plan, f, time_limit_s=2)
    s = kept[kept["fence_id"] == "A"]["planned_start"]
    assert abs(s.iloc[0] - s.iloc[1]) >= pd.Timedelta(hours=2)
    assert violations(plan, kept, travel_minutes(f)) == []
    # one problem for the two teams, since the gap ties them
    assert len(kept.attrs["routing"]["problems"]) == 1


def test_gap_either_way_round_when_windows_nest():
    # Crew 1 may visit A all shift; Crew 2 only 07:30-08:30. Sorted by window, Crew 1 comes
    # first, but the gap can only be kept the other way round: Crew 1 at 09:30 or later.
    f = line_fences([0, 500])
    plan = plan_of(["A", "A", "B"], [0, 30, 60], min_gap_minutes=120.0)
    plan["team"] = ["Crew 1", "Crew 2", "Crew 1"]
    plan["window_start"] = pd.to_datetime([pd.NaT, T0 + pd.Timedelta(minutes=30), pd.NaT], utc=True)
    plan["window_end"] = pd.to_datetime([pd.NaT, T0 + pd.Timedelta(minutes=90), pd.NaT], utc=True)
    got = optimise_routes(plan, f, time_limit_s=2)
    start = got.set_index("tasking_id")["planned_start"]
    assert start["T0"] - start["T1"] >= pd.Timedelta(hours=2)
    assert violations(plan, got, travel_minutes(f)) == []


def test_gap_between_shifts_of_one_day():
    f = line_fences([0, 100])
    s_late, _ = shift_window("2025-09-01", "late")
    plan = pd.DataFrame(
        {
            "tasking_id": ["E", "L"],
            "fence_id": ["A", "A"],
            "date": "2025-09-01",
            "shift": ["early", "late"],
            "planned_start": [s_late - pd.Timedelta(minutes=20), s_late + pd.Timedelta(minutes=5)],
            "minutes": 15.0,
            "team": ["Crew 1", "Crew 2"],
            "min_gap_minutes": 60.0,
        }
    )
    got = optimise_routes(plan, f, time_limit_s=2)
    s = got.set_index("tasking_id")["planned_start"]
    assert s["L"] - s["E"] >= pd.Timedelta(hours=1)
    assert violations(plan, got, travel_minutes(f)) == []


# --------------------------------------------------------------------------- by hand


def test_depot_journeys_by_hand():
    # depot at 0; A at 600 m, B at 1200 m along one street, 1 m/s: 10 and 20 minutes out
    f = line_fences([600, 1200])
    net = StreetNetwork(
        gpd.GeoDataFrame(geometry=[LineString([(0, 0), (600, 0), (1200, 0)])], crs=27700)
    )
    plan = plan_of(["B", "A"], [0, 60])
    got = optimise_routes(plan, f, net, speed=1.0, depot=Point(0, 0), time_limit_s=2)
    # depot -> A (10) -> B (10) -> depot (20) = 40, or depot -> B (20) -> A (10) -> depot (10)
    assert_allclose(route_travel(got), 40.0)
    assert got["travel_from"].iloc[0] == "depot"
    assert_allclose(got["travel_minutes"].iloc[0] + got["return_minutes"].sum(), 30.0)
    dm = {"Crew 1": {"A": 10.0, "B": 20.0}}
    assert violations(plan, got, travel_minutes(f, net, 1.0), depot_minutes=dm) == []
    # time order: depot -> B (20), B -> A (10), A -> depot (10)
    assert_allclose(got.attrs["routing"]["travel_minutes_time_order"], 40.0)


def test_officer_column_keeps_each_officers_visits():
    plan, fences = random_instance(21, 8, windows=False, gaps=False)
    plan["officer"] = ["PC1", "PC2"] * 4
    got = optimise_routes(plan, fences, time_limit_s=2)
    by_officer = got.groupby("officer")["route"].nunique()
    assert (by_officer == 1).all()
    assert (
        got.set_index("tasking_id")["officer"].loc[plan["tasking_id"]].tolist()
        == plan["officer"].tolist()
    )
    for _, g in got.groupby("officer"):
        assert g["order"].sort_values().tolist() == list(range(1, len(g) + 1))


def test_attrs_are_json_native():
    import json

    plan, fences = random_instance(3, 6, windows=True, gaps=True)
    got = optimise_routes(plan, fences, time_limit_s=2)
    text = json.dumps(got.attrs)
    assert json.loads(text)["routing"]["problems"][0]["visits"] == 6


def test_errors_name_the_problem():
    f = line_fences([0, 50])
    plan = plan_of(["A", "B"], [0, 10])
    with pytest.raises(SchemaError, match="lack column"):
        optimise_routes(plan.drop(columns="team"), f)
    with pytest.raises(SchemaError, match="not in fences"):
        optimise_routes(plan.assign(fence_id=["A", "Z"]), f)
    with pytest.raises(SchemaError, match="shift_hours does not know"):
        optimise_routes(plan.assign(shift="twilight"), f)
    with pytest.raises(HspworkError, match="officers must be whole numbers"):
        optimise_routes(plan, f, officers=0)
    # a window entirely outside the shift
    out = plan.assign(
        window_start=T0 - pd.Timedelta(hours=5), window_end=T0 - pd.Timedelta(hours=4)
    )
    with pytest.raises(HspworkError, match="no start that keeps both the window and the shift"):
        optimise_routes(out, f)
    # too many visits for one officer: 40 x 15 minutes in an 8-hour shift
    many = plan_of(["A", "B"] * 20, [0] * 40)
    with pytest.raises(HspworkError, match="could not be fitted"):
        optimise_routes(many, f, time_limit_s=1)
