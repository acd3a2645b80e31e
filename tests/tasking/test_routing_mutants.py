"""Patrol routes at their edges, worked by hand: what the router builds for the solver and how it
reads the answer back.

OR-Tools with a wall-clock limit is not a fixed function of its input, so most tests here
stand in for the solver (``_solver.solve``) with a recorder that keeps the problem it was given
and returns routes written by hand. That pins down what :mod:`hspwork.tasking.routing` itself
computes: shift bounds, windows, journeys rounded to whole seconds, the time-order plan, the
gap rule's pairs, which teams share one problem, each problem's share of the time limit, the
route numbers, journeys, returns and totals read back, the self-check, and the errors an analyst
sees. They are small and need no dwell kernel, so ``make mutate`` runs them first.

The places: A, B and C on one straight street at 0, 600 and 1200 m; at 2 m/s that is 5 minutes
A-B and B-C and 10 minutes A-C. The early shift of 1 September 2025 is 07:00-15:00 BST, that is
06:00-14:00 UTC.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from shapely.geometry import LineString, Point, box

from hspwork.errors import HspworkError, SchemaError
from hspwork.tasking import StreetNetwork, _solver, optimise_routes
from hspwork.tasking.routing import (
    NS,
    _codes,
    _depot_minutes,
    _depot_points,
    _gap_pairs,
    _officers,
    _places_xy,
    _problem,
    _time_order,
    _windows,
    shift_bounds,
)

S0 = pd.Timestamp("2025-09-01 06:00", tz="UTC")  # early shift, 07:00 BST
S1 = pd.Timestamp("2025-09-01 14:00", tz="UTC")  # its end, 15:00 BST
MIN = 60 * NS  # nanoseconds in a minute
FENCES = gpd.GeoDataFrame(
    {"fence_id": ["A", "B", "C"]},
    geometry=[box(x - 5, -5, x + 5, 5) for x in (0, 600, 1200)],
    crs=27700,
)
STREET = StreetNetwork(
    gpd.GeoDataFrame(geometry=[LineString([(0, 0), (600, 0), (1200, 0)])], crs=27700)
)
SPEED = 2.0  # metres per second


def at(minutes: float) -> pd.Timestamp:
    return S0 + pd.Timedelta(minutes=minutes)


def plan_of(ids, starts_min, **cols) -> pd.DataFrame:
    """Visits of 15 minutes by Crew 1 in the early shift, ``starts_min`` after 06:00 UTC."""
    p = pd.DataFrame(
        {
            "tasking_id": [f"T{i}" for i in range(len(ids))],
            "fence_id": ids,
            "date": "2025-09-01",
            "shift": "early",
            "planned_start": [at(m) for m in starts_min],
            "minutes": 15.0,
            "team": "Crew 1",
        }
    )
    for k, v in cols.items():
        p[k] = v
    return p


def three_visits() -> pd.DataFrame:
    # C at 07:00 UTC, A at 08:00, B at 09:00: time order walks C -> A (10) -> B (5) = 15
    return plan_of(["C", "A", "B"], [60, 120, 180])


def answer(routes, starts, *, cost_ms=0, bound_ms=0, proven=True, dropped=(), seconds=0.25,
           initial_feasible=True, found_by="by hand"):  # fmt: skip
    return _solver.Solution(
        routes=[list(r) for r in routes],
        start_s=np.asarray(starts, dtype=np.int64),
        cost_ms=cost_ms,
        bound_ms=bound_ms,
        dropped=list(dropped),
        proven=proven,
        found_by=found_by,
        seconds=seconds,
        initial_feasible=initial_feasible,
    )


def as_planned(pr, initial):
    """The time-order routes at their planned starts (right when no visit had to move)."""
    return answer(initial, pr.target_s, found_by="time order")


class Recorder:
    """Stands in for the solver: keeps what it was asked and gives the answers it is told."""

    def __init__(self, *answers):
        self.answers = list(answers) or [as_planned]
        self.calls = []

    def __call__(self, pr, time_limit_s, *, seed=0, initial=None, feasible_only=False):
        self.calls.append({"pr": pr, "budget": time_limit_s, "seed": seed, "initial": initial})
        a = self.answers[min(len(self.calls), len(self.answers)) - 1]
        return a(pr, initial) if callable(a) else a


@pytest.fixture
def solver(monkeypatch):
    def install(*answers):
        rec = Recorder(*answers)
        monkeypatch.setattr(_solver, "solve", rec)
        return rec

    return install


def route_on_street(plan, **kw):
    return optimise_routes(plan, FENCES, STREET, speed=SPEED, **kw)


# --------------------------------------------------------------------------- shift bounds


def test_shift_bounds_follow_the_local_clock_in_summer_and_winter():
    p = pd.DataFrame(
        {"date": ["2025-12-01", "2025-07-01", "2025-12-01"], "shift": ["early", "late", "early"]}
    )
    a, b = shift_bounds(p)
    # early 07:00-15:00 GMT (= UTC) in December; late 15:00-23:00 BST = 14:00-22:00 UTC in July
    want_a = pd.to_datetime(["2025-12-01 07:00", "2025-07-01 14:00", "2025-12-01 07:00"], utc=True)
    want_b = pd.to_datetime(["2025-12-01 15:00", "2025-07-01 22:00", "2025-12-01 15:00"], utc=True)
    assert_array_equal(a, want_a.as_unit("ns").asi8)
    assert_array_equal(b, want_b.as_unit("ns").asi8)


def test_shift_of_equal_hours_lasts_a_day_and_a_night_shift_ends_next_morning():
    p = pd.DataFrame({"date": ["2025-12-01", "2025-12-01"], "shift": ["day", "night"]})
    a, b = shift_bounds(p, {"day": (6, 6), "night": (22, 6.5)}, tz="UTC")
    # (6 - 6) % 24 = 0: a whole day, not none; (6.5 - 22) % 24 = 8.5 hours
    assert_array_equal(
        a, pd.to_datetime(["2025-12-01 06:00", "2025-12-01 22:00"], utc=True).as_unit("ns").asi8
    )
    assert_array_equal(
        b, pd.to_datetime(["2025-12-02 06:00", "2025-12-02 06:30"], utc=True).as_unit("ns").asi8
    )


def test_unknown_shift_names_what_is_known():
    p = pd.DataFrame({"date": ["2025-12-01"] * 3, "shift": ["twilight", "dawn", "early"]})
    with pytest.raises(SchemaError) as e:
        shift_bounds(p, {"early": (7, 15), "late": (15, 23)})
    assert str(e.value) == (
        "plan names shift(s) ['dawn', 'twilight'] that shift_hours does not know; known: "
        "['early', 'late']. Pass shift_hours={name: (start hour, end hour)}"
    )


# --------------------------------------------------------------------------- windows


def windows_of(p, w=None):
    s0 = np.full(len(p), S0.value)
    s1 = np.full(len(p), S1.value)
    return _windows(p, w, s0, s1)


def test_without_a_window_a_visit_may_start_any_time_it_still_ends_in_the_shift():
    p = plan_of(["A", "B"], [120, 30], minutes=[15.0, 0.5])
    lo, hi, rule, start, dur = windows_of(p)
    assert_array_equal(lo, [S0.value] * 2)
    # 14:00 less 15 minutes, less 30 seconds
    assert_array_equal(hi, [S1.value - 15 * MIN, S1.value - 30 * NS])
    assert rule.tolist() == ["shift", "shift"]
    assert_array_equal(start, [at(120).value, at(30).value])
    assert_array_equal(dur, [900 * NS, 30 * NS])


def test_window_minutes_half_open_to_the_second_and_cut_by_the_shift():
    p = plan_of(["A", "A", "A"], [120, 10, 460])
    lo, hi, rule, _, _ = windows_of(p, 30)
    # 08:00 +- 30: 07:30 to 08:29:59; 06:10 - 30 is before 06:00; 13:40 + 30 is after 13:45
    assert_array_equal(lo, [at(90).value, S0.value, at(430).value])
    assert_array_equal(hi, [at(150).value - NS, at(40).value - NS, at(465).value])
    assert rule.tolist() == ["±30 minutes"] * 3
    lo, hi, rule, _, _ = windows_of(plan_of(["A"], [120]), 2.5)
    assert (lo[0], hi[0]) == (at(117.5).value, at(122.5).value - NS)
    assert rule.tolist() == ["±2.5 minutes"]


def test_window_of_no_minutes_pins_the_start_and_half_a_minute_is_29_seconds_later():
    p = plan_of(["A"], [120])
    lo, hi, _, _, _ = windows_of(p, 0)
    assert (lo[0], hi[0]) == (at(120).value, at(120).value)
    lo, hi, _, _, _ = windows_of(p, 0.5)
    assert (lo[0], hi[0]) == (at(120).value - 30 * NS, at(120).value + 29 * NS)
    lo, hi, _, _, _ = windows_of(p, -0.0)  # minus nothing is nothing
    assert lo[0] == hi[0] == at(120).value


@pytest.mark.parametrize("w", [-1, -0.01, float("nan"), float("inf")])
def test_window_minutes_must_be_finite_and_not_negative(w):
    with pytest.raises(HspworkError, match=r"window_minutes=.*: give minutes >= 0 or None"):
        windows_of(plan_of(["A"], [120]), w)


def test_window_columns_win_where_a_row_has_both_and_are_cut_by_the_shift():
    p = plan_of(["A", "B", "C"], [60, 120, 200])
    p["window_start"] = pd.to_datetime(
        [at(30) + pd.Timedelta(seconds=30), pd.NaT, at(-60)], utc=True
    )
    p["window_end"] = pd.to_datetime([at(40), pd.NaT, at(600)], utc=True)
    lo, hi, rule, _, _ = windows_of(p, 15)
    # row 0: 06:30:30 to 06:39:59, though planned at 07:00; row 1: 08:00 +- 15 (no columns);
    # row 2: the columns reach past both ends of the shift: 06:00 to 13:45
    assert_array_equal(lo, [at(30).value + 30 * NS, at(105).value, S0.value])
    assert_array_equal(hi, [at(40).value - NS, at(135).value - NS, S1.value - 15 * MIN])
    assert rule.tolist() == ["window columns", "±15 minutes", "window columns"]


def test_window_columns_only_when_both_are_given_and_both_tz_aware():
    p = plan_of(["A"], [60])
    # a window_start alone is not a window
    lo, hi, rule, _, _ = windows_of(p.assign(window_start=pd.to_datetime([at(30)], utc=True)))
    assert (lo[0], hi[0], rule[0]) == (S0.value, S1.value - 15 * MIN, "shift")
    naive_end = p.assign(
        window_start=pd.to_datetime([at(30)], utc=True), window_end=[pd.Timestamp("2025-09-01")]
    )
    with pytest.raises(SchemaError, match="must be tz-aware datetimes"):
        windows_of(naive_end)
    naive_start = p.assign(
        window_start=[pd.Timestamp("2025-09-01")], window_end=pd.to_datetime([at(30)], utc=True)
    )
    with pytest.raises(SchemaError, match="must be tz-aware datetimes"):
        windows_of(naive_start)


def test_a_row_with_a_window_start_but_no_end_keeps_the_other_rule():
    # both columns exist, but row 0 has only its start: it keeps +-15 minutes of 07:00 UTC
    p = plan_of(["A", "B"], [60, 120])
    p["window_start"] = pd.to_datetime([at(30), at(100)], utc=True)
    p["window_end"] = pd.to_datetime([pd.NaT, at(110)], utc=True)
    lo, hi, rule, _, _ = windows_of(p, 15)
    assert_array_equal(lo, [at(45).value, at(100).value])
    assert_array_equal(hi, [at(75).value - NS, at(110).value - NS])
    assert rule.tolist() == ["±15 minutes", "window columns"]


# --------------------------------------------------------------------------- depots, officers


def test_depot_points_one_for_all_or_one_per_team():
    teams = np.array(["Crew 1", "Crew 2", "Crew 1"])
    assert _depot_points(None, teams, 27700) is None
    one = _depot_points(Point(3, 4), teams, 27700)
    assert sorted(one) == ["Crew 1", "Crew 2"]
    assert_array_equal(one["Crew 2"], [3.0, 4.0])
    assert_array_equal(_depot_points([[5, 6]], teams, 27700)["Crew 1"], [5.0, 6.0])
    each = _depot_points({"Crew 1": (1, 2), "Crew 2": Point(7, 8), "Crew 9": (0, 0)}, teams, None)
    assert sorted(each) == ["Crew 1", "Crew 2"]
    assert_array_equal(each["Crew 1"], [1.0, 2.0])
    assert_array_equal(each["Crew 2"], [7.0, 8.0])


def test_depot_errors_name_the_team_or_the_value():
    teams = np.array(["Crew 1", "Crew 2", "Crew 3"], dtype=object)
    with pytest.raises(SchemaError) as e:
        _depot_points({"Crew 1": (0, 0)}, teams, None)
    assert str(e.value) == "depot has no place for team(s) ['Crew 2', 'Crew 3']"
    with pytest.raises(HspworkError) as e:
        _depot_points((1, 2, 3), teams, None)
    assert str(e.value) == "depot=(1, 2, 3): give a shapely Point or (x, y) in the fences' CRS"
    with pytest.raises(HspworkError, match="give a shapely Point"):
        _depot_points(7, teams, None)


def depot_fences() -> gpd.GeoDataFrame:
    """A at the origin and B 300 m east and 400 m north of it, 10 m squares."""
    return gpd.GeoDataFrame(
        {"fence_id": ["A", "B"]},
        geometry=[box(-5, -5, 5, 5), box(295, 395, 305, 405)],
        crs=27700,
    )


def test_depot_minutes_straight_line_in_metres_and_in_feet():
    f = depot_fences()
    got = _depot_minutes({"Crew 1": np.array([300.0, 0.0])}, f, None, 1.4, _places_xy(f))
    # A is 300 m from the depot, B 400 m; times 1.4 at 1.4 m/s: 300 s and 400 s
    assert_allclose(got["Crew 1"], [5.0, 400 / 60])
    feet = f.set_crs(2263, allow_override=True)
    got = _depot_minutes({"Crew 1": np.array([300.0, 0.0])}, feet, None, 1.4, _places_xy(feet))
    ft = 0.30480060960121924  # metres in a US survey foot
    assert_allclose(got["Crew 1"], [300 * ft / 60, 400 * ft / 60])
    assert _depot_minutes(None, f, None, 1.4, _places_xy(f)) == {}


def test_depot_minutes_along_the_street():
    got = _depot_minutes(
        {"Crew 1": np.array([-300.0, 0.0])}, FENCES, STREET, SPEED, _places_xy(FENCES)
    )
    # 300 m off the street's end, then 0, 600, 1200 m along it, at 2 m/s
    assert_allclose(got["Crew 1"], [2.5, 7.5, 12.5])


def test_officers_per_team():
    assert _officers(None, ["Crew 1", "Crew 2"]) == {"Crew 1": 1, "Crew 2": 1}
    assert _officers(3, ["Crew 1", "Crew 2"]) == {"Crew 1": 3, "Crew 2": 3}
    got = _officers({"Crew 1": np.int64(2), "Crew 2": 1, "Crew 9": 5}, ["Crew 1", "Crew 2"])
    assert got == {"Crew 1": 2, "Crew 2": 1} and type(got["Crew 1"]) is int
    with pytest.raises(SchemaError) as e:
        _officers({"Crew 1": 2}, ["Crew 1", "Crew 2", "Crew 3"])
    assert str(e.value) == "officers has no number for team(s) ['Crew 2', 'Crew 3']"
    with pytest.raises(HspworkError) as e:
        _officers({"Crew 1": 0, "Crew 2": 1}, ["Crew 1", "Crew 2"])
    assert str(e.value) == "officers must be whole numbers >= 1; got {'Crew 1': 0}"
    with pytest.raises(HspworkError, match="whole numbers"):
        _officers(1.5, ["Crew 1"])


def test_codes_number_combinations_in_order_of_first_appearance():
    f = pd.DataFrame({"date": ["b", "a", "b", "a"], "team": ["x", "x", "x", "y"]})
    assert _codes(f, ["date", "team"]).tolist() == [0, 1, 0, 2]
    # a missing officer is a code of its own, not a row left out
    g = pd.DataFrame({"officer": ["PC1", None, "PC1", np.nan]})
    assert _codes(g, ["officer"]).tolist() == [0, 1, 0, 1]


# --------------------------------------------------------------------------- the gap pairs


def pairs(lo, hi, *, dur=None, gap=None, group=None, rows=None):
    n = len(lo)
    return _gap_pairs(
        np.arange(10, 10 + n) if rows is None else np.asarray(rows),
        np.asarray(lo), np.asarray(hi),
        np.full(n, 900) if dur is None else np.asarray(dur),
        np.full(n, 60) if gap is None else np.asarray(gap),
        np.zeros(n, int) if group is None else np.asarray(group),
    )  # fmt: skip


def test_interchangeable_visits_are_chained_neighbour_to_neighbour_in_window_order():
    # window order is rows 10, 12, 11 (by earliest start): chained 10 -> 12 -> 11 only
    got = pairs([0, 100, 50], [1000, 1100, 1050])
    assert got == [(10, 12, 60, True), (12, 11, 60, True)]


def test_windows_tied_at_the_start_are_ordered_by_their_end():
    # both may start at 0; row 11's window closes first, so it comes first in the chain
    assert pairs([0, 0], [500, 300]) == [(11, 10, 60, True)]


def test_nested_windows_of_one_team_go_either_way_round_and_equal_ends_chain():
    # row 10's window (0-1000) holds row 11's (100-500): either may go first
    assert pairs([0, 100], [1000, 500]) == [(10, 11, 60, False)]
    assert pairs([0, 100], [500, 500]) == [(10, 11, 60, True)]


def test_visits_of_other_teams_are_ordered_only_when_their_windows_force_it():
    other = {"group": [0, 1]}
    assert pairs([0, 400], [399, 900], **other) == [(10, 11, 60, True)]
    # row 10 may start at 400, the moment row 11 may: the order is not forced
    assert pairs([0, 400], [400, 900], **other) == [(10, 11, 60, False)]


@pytest.mark.parametrize("differ", [{"group": [0, 1]}, {"dur": [900, 600]}, {"gap": [60, 90]}])
def test_visits_differing_in_team_minutes_or_gap_are_not_interchangeable(differ):
    g = max(differ.get("gap", [60]))
    assert pairs([0, 100], [1000, 1100], **differ) == [(10, 11, g, False)]


def test_a_visit_of_another_team_between_does_not_break_the_chain():
    got = pairs([0, 10, 20], [100, 110, 120], group=[0, 1, 0])
    assert got == [(10, 11, 60, False), (10, 12, 60, True), (11, 12, 60, False)]


def test_the_larger_gap_counts_and_no_gap_means_no_pair():
    assert pairs([0, 0], [500, 500], gap=[0, 120]) == [(10, 11, 120, False)]
    assert pairs([0, 0], [500, 500], gap=[0, 0]) == []
    assert pairs([0], [500]) == []


# --------------------------------------------------------------------------- time order


TRAVEL2 = np.array([[0.0, 10.0], [10.0, 0.0]])  # minutes between places 0 and 1


def test_time_order_moves_a_visit_that_cannot_be_reached_by_its_start():
    # visit 1 (place 0, 06:00) ends at 06:15; 10 minutes to place 1: 06:25, not 06:20
    starts = np.array([20 * MIN, 0, 25 * MIN])
    who, journey, begin = _time_order(
        starts, np.full(3, 15 * MIN), 0, None, TRAVEL2, np.array([1, 0, 0]), 1
    )
    assert who.tolist() == [0, 0, 0]
    assert journey.tolist() == [10.0, 0.0, 10.0]
    # then back to place 0 by 06:50, after its planned 06:25
    assert begin.tolist() == [25 * MIN, 0, 50 * MIN]
    # exactly reachable: planned at 06:25, begun at 06:25
    _, _, begin = _time_order(
        np.array([25 * MIN, 0]), np.full(2, 15 * MIN), 0, None, TRAVEL2, np.array([1, 0]), 1
    )
    assert begin.tolist() == [25 * MIN, 0]


def test_time_order_gives_each_visit_to_the_officer_who_begins_it_soonest_then_nearest():
    # places 0 (C), 1 (A), 2 (B): C-A 10, C-B 5, A-B 5 minutes; visits C 07:00, A 08:00, B 09:00
    travel = np.array([[0, 10, 5], [10, 0, 5], [5, 5, 0.0]])
    starts = np.array([60, 120, 180]) * MIN
    who, journey, begin = _time_order(
        starts, np.full(3, 15 * MIN), 0, None, travel, np.array([0, 1, 2]), 2
    )
    # A: officer 1 is fresh (no journey) where officer 0 would walk 10 minutes; B: both walk 5
    # and begin at 09:00, so the lower number takes it
    assert who.tolist() == [0, 1, 0]
    assert journey.tolist() == [0.0, 0.0, 5.0]
    assert begin.tolist() == starts.tolist()


def test_time_order_from_the_depot_leaves_at_the_shift_start():
    depot = np.array([5.0, 30.0])  # minutes from the depot to places 0 and 1
    starts = np.array([20 * MIN, 60 * MIN])
    who, journey, begin = _time_order(
        starts, np.full(2, 15 * MIN), 7 * MIN, depot, TRAVEL2, np.array([1, 0]), 2
    )
    # place 1 at 06:20 planned; from the depot (leaving 06:07) 30 minutes: 06:37. Place 0 at
    # 07:00: officer 0 from place 1 (free 06:52) 10 minutes, officer 1 from the depot 5: both in
    # time, officer 1 is nearer
    assert who.tolist() == [0, 1]
    assert journey.tolist() == [30.0, 5.0]
    assert begin.tolist() == [37 * MIN, 60 * MIN]


# --------------------------------------------------------------------------- the solver's problem


def test_problem_rounds_journeys_up_and_windows_inwards_to_whole_seconds():
    travel = np.array([[0.0, 10.5], [10.5, 0.0], [1 / 60 + 1e-12, 0.0]])[:2]
    rows = np.array([0, 1])
    origin = S0.value
    us = NS // 1_000_000  # a microsecond
    lo = np.array([origin + 90 * NS, origin + 100 * NS + us])
    hi = np.array([origin + 120 * NS, origin + 200 * NS - us])
    planned = np.array([origin + 60 * NS, origin + 500 * NS])
    dur = np.array([900 * NS, 90 * NS + us])
    s0 = np.array([origin, origin])
    s1 = np.array([origin + 8 * 3600 * NS] * 2)
    pr, vehicles = _problem(
        rows, [0], [rows], [2], ["Crew 1"], np.array([0, 1]), travel, dur, lo, hi, planned, s0,
        s1, {}, [(0, 1, 60, True)],
    )  # fmt: skip
    assert vehicles == [(0, 0), (0, 1)]
    # 10.5 minutes = 630 s exactly, 630000 ms
    assert_array_equal(pr.travel_s, [[0, 630], [630, 0]])
    assert_array_equal(pr.cost_ms, [[0, 630000], [630000, 0]])
    # a start at 90 s may be at 90 s; a microsecond after 100 s is 101 s; 200 s less one: 199
    assert_array_equal(pr.lo_s, [90, 101])
    assert_array_equal(pr.hi_s, [120, 199])
    # the planned starts, moved into the windows: 60 s up to 90 s, 500 s down to 199 s
    assert_array_equal(pr.target_s, [90, 199])
    assert_array_equal(pr.dur_s, [900, 91])
    assert_array_equal(pr.group, [0, 0])
    assert_array_equal(pr.v_group, [0, 0])
    assert_array_equal(pr.v_start_s, [0, 0])
    assert_array_equal(pr.v_end_s, [28800, 28800])
    assert_array_equal(pr.out_s, np.zeros((2, 2)))
    assert_array_equal(pr.back_ms, np.zeros((2, 2)))
    assert pr.gaps == [(0, 1, 60, True)]


def test_problem_journey_of_floating_noise_is_not_a_second_longer():
    # 600 m at 1.4 m/s times 1.4 is 10 minutes give or take a rounding crumb
    noisy = 1.4 * 600 / 1.4 / 60
    travel = np.array([[0.0, noisy, 10.0 + 1e-7], [noisy, 0.0, 0.0], [10.0 + 1e-7, 0.0, 0.0]])
    rows = np.arange(3)
    t = np.full(3, S0.value)
    pr, _ = _problem(
        rows, [0], [rows], [1], ["Crew 1"], rows, travel, np.zeros(3, np.int64), t, t, t, t,
        t + 8 * 3600 * NS, {}, [],
    )  # fmt: skip
    # 600.000006 s is a journey into the 601st second; 600 s and a crumb is 600 s
    assert pr.travel_s[0, 1] == 600 and pr.travel_s[0, 2] == 601


# --------------------------------------------------------------------------- read back


def test_three_visits_reordered_read_back_by_hand(solver):
    plan = three_visits()
    plan.index = [10, 11, 12]
    plan["moved_minutes"] = 0.0
    plan["after_shift_end"] = False
    plan["travel_m"] = -1.0
    # A at 07:00, B at 07:00 + 15 + 5 = 07:20, C at 07:20 + 15 + 5 = 07:40 (seconds from 06:00)
    rec = solver(answer([[1, 2, 0]], [6000, 3600, 4800], cost_ms=600000, bound_ms=450000,
                        proven=False, seconds=0.12345, found_by="OR-Tools routing"))  # fmt: skip
    got = route_on_street(plan, time_limit_s=4, seed=7)
    (call,) = rec.calls
    pr = call["pr"]
    assert call["budget"] == 4.0 and call["seed"] == 7
    # the time order: C, A, B for the one officer
    assert call["initial"] == [[0, 1, 2]]
    # local visits C, A, B: C-A 10, C-B 5, A-B 5 minutes
    assert_array_equal(pr.travel_s, [[0, 600, 300], [600, 0, 300], [300, 300, 0]])
    assert_array_equal(pr.cost_ms, [[0, 600000, 300000], [600000, 0, 300000], [300000] * 2 + [0]])
    assert_array_equal(pr.dur_s, [900] * 3)
    assert_array_equal(pr.lo_s, [0] * 3)
    assert_array_equal(pr.hi_s, [27900] * 3)  # 8 hours less 15 minutes
    assert_array_equal(pr.target_s, [3600, 7200, 10800])
    assert_array_equal(pr.v_start_s, [0])
    assert_array_equal(pr.v_end_s, [28800])
    assert pr.gaps == []

    assert got.index.tolist() == [0, 1, 2]
    assert got.columns.tolist() == [
        "tasking_id", "fence_id", "date", "shift", "planned_start", "minutes", "team", "route",
        "order", "travel_from", "travel_minutes", "travel_m", "time_order_travel_minutes",
        "retimed_minutes",
    ]  # fmt: skip
    assert got["tasking_id"].tolist() == ["T1", "T2", "T0"]
    assert got["planned_start"].tolist() == [at(60), at(80), at(100)]
    assert got["route"].tolist() == [1, 1, 1]
    assert got["order"].tolist() == [1, 2, 3]
    assert got["travel_from"].tolist() == [None, "A", "B"]
    assert_allclose(got["travel_minutes"], [0.0, 5.0, 5.0])
    assert_allclose(got["travel_m"], [0.0, 600.0, 600.0])  # 5 minutes at 2 m/s
    assert_allclose(got["time_order_travel_minutes"], [10.0, 5.0, 0.0])
    # A 08:00 -> 07:00, B 09:00 -> 07:20, C 07:00 -> 07:40
    assert_array_equal(got["retimed_minutes"], [-60.0, -100.0, 40.0])
    assert "moved_minutes" not in got and "after_shift_end" not in got
    assert "return_minutes" not in got and "time_order_return_minutes" not in got

    info = got.attrs["routing"]
    import ortools

    assert info["solver"] == (
        f"OR-Tools {ortools.__version__} routing (guided local search), CP-SAT bound"
    )
    assert info["speed_mps"] == 2.0 and info["network"] is True and info["depot"] is False
    assert info["windows"] == ["shift"] and info["min_gap"] is False
    assert info["time_limit_s_per_date"] == 4.0
    assert_allclose(
        [info["travel_minutes_time_order"], info["travel_minutes"], info["travel_minutes_saved"]],
        [15.0, 10.0, 5.0],
    )
    # the bound 450000 ms is 7.5 minutes: (10 - 7.5) / 10
    assert_allclose(info["travel_minutes_lower_bound"], 7.5)
    assert_allclose(info["optimality_gap"], 0.25)
    assert info["time_order_feasible"] is True
    assert info["seconds"] == 0.123
    (pb,) = info["problems"]
    assert pb == {
        "date": "2025-09-01",
        "groups": [{"shift": "early", "team": "Crew 1", "officers": 1}],
        "visits": 3,
        "time_order_minutes": pytest.approx(15.0),
        "minutes": pytest.approx(10.0),
        "proven_optimal": False,
        "found_by": "OR-Tools routing",
        "seconds": 0.123,
        "time_order_feasible": True,
        "lower_bound_minutes": pytest.approx(7.5),
    }


def test_the_default_seed_is_0_and_the_default_limit_10_seconds(solver):
    # the docstring's promise: the same plan, seed and limit give the same CP-SAT searches
    rec = solver()
    route_on_street(three_visits())
    assert (rec.calls[0]["seed"], rec.calls[0]["budget"]) == (0, 10.0)


@pytest.mark.parametrize(("bound_ms", "proven", "want"), [(450000, True, 10.0),
                                                          (900000, False, 10.0),
                                                          (540000, False, 9.0)])  # fmt: skip
def test_lower_bound_is_the_routes_when_proven_and_never_above_them(solver, bound_ms, proven, want):
    solver(answer([[1, 2, 0]], [6000, 3600, 4800], bound_ms=bound_ms, proven=proven,
                  initial_feasible=False))  # fmt: skip
    info = route_on_street(three_visits()).attrs["routing"]
    assert_allclose(info["problems"][0]["lower_bound_minutes"], want)
    assert_allclose(info["travel_minutes_lower_bound"], want)
    assert_allclose(info["optimality_gap"], (10.0 - want) / 10.0, atol=1e-12)
    assert info["time_order_feasible"] is False


def test_two_officers_routes_numbered_by_their_first_start(solver):
    # officer 1 walks A (06:30) then B (07:06:40, after 06:30 + 15 + 5); officer 0 has C at
    # 07:00: officer 1's route starts first, though its last visit is after C
    rec = solver(answer([[0], [1, 2]], [3600, 1800, 4000]))
    got = route_on_street(three_visits(), officers=2)
    pr = rec.calls[0]["pr"]
    assert_array_equal(pr.v_group, [0, 0])
    assert_array_equal(pr.group, [0, 0, 0])
    assert_array_equal(pr.v_start_s, [0, 0])
    # time order: C to officer 0; A to officer 1 (fresh, not 10 minutes away); B to officer 0
    assert rec.calls[0]["initial"] == [[0, 2], [1]]
    assert got["fence_id"].tolist() == ["A", "B", "C"]
    assert got["route"].tolist() == [1, 1, 2]
    assert got["order"].tolist() == [1, 2, 1]
    assert got["travel_from"].tolist() == [None, "A", None]
    assert_allclose(got["travel_minutes"], [0.0, 5.0, 0.0])
    assert_allclose(got["time_order_travel_minutes"], [0.0, 5.0, 0.0])
    assert got.attrs["routing"]["problems"][0]["groups"][0]["officers"] == 2


def test_time_order_kept_journeys_from_the_first_row_of_the_plan(solver):
    # the time order C (07:00), A (08:00), B (09:00) as the answer: A's journey is from C
    solver()
    got = route_on_street(three_visits())
    assert got["fence_id"].tolist() == ["C", "A", "B"]
    assert got["travel_from"].tolist() == [None, "C", "A"]
    assert_allclose(got["travel_minutes"], [0.0, 10.0, 5.0])
    assert_array_equal(got["retimed_minutes"], [0.0, 0.0, 0.0])


def test_route_numbers_start_again_for_each_team(solver):
    # Crew 1 walks one route; Crew 2's two officers one each, B (06:30) before C (07:00)
    plan = plan_of(["A", "C", "B"], [0, 60, 30])
    plan["team"] = ["Crew 1", "Crew 2", "Crew 2"]
    solver(as_planned, answer([[0], [1]], [3600, 1800]))
    got = route_on_street(plan, officers={"Crew 1": 1, "Crew 2": 2})
    assert got["fence_id"].tolist() == ["A", "B", "C"]
    assert got["route"].tolist() == [1, 1, 2]
    assert got["order"].tolist() == [1, 1, 1]


def test_under_a_minute_of_walking_still_has_its_optimality_gap(solver):
    # A to B at 20 m/s: 30 seconds, half a minute; a bound of 15000 ms is a quarter of a minute
    solver(answer([[0, 1]], [0, 930], bound_ms=15000, proven=False))
    got = optimise_routes(plan_of(["A", "B"], [0, 60]), FENCES, STREET, speed=20.0)
    info = got.attrs["routing"]
    assert_allclose(info["travel_minutes"], 0.5)
    assert_allclose(info["optimality_gap"], 0.5)


def test_depot_journeys_and_returns_read_back_by_hand(solver):
    # the depot is 300 m off the street's end: 2.5, 7.5 and 12.5 minutes to A, B and C.
    # One officer of three walks C (06:12:30), B (+ 15 + 5 = 06:32:30), A (06:52:30), home.
    rec = solver(answer([[0, 2, 1], [], []], [750, 3150, 1950]))
    got = route_on_street(three_visits(), officers=3, depot=Point(-300, 0))
    pr = rec.calls[0]["pr"]
    # out and back per officer, for local visits C, A, B
    assert_array_equal(pr.out_s, [[750, 150, 450]] * 3)
    assert_array_equal(pr.back_s, [[750, 150, 450]] * 3)
    assert_array_equal(pr.out_ms, [[750000, 150000, 450000]] * 3)
    assert_array_equal(pr.back_ms, [[750000, 150000, 450000]] * 3)
    # time order: C to officer 0 (from the depot, 12.5); A to officer 1 (2.5 from the depot, not
    # 10 from C); B to officer 0 (5 from C, as officer 1 from A; officer 2 has 7.5 from the depot)
    assert rec.calls[0]["initial"] == [[0, 2], [1], []]
    assert got["fence_id"].tolist() == ["C", "B", "A"]
    assert got["planned_start"].tolist() == [at(12.5), at(32.5), at(52.5)]
    assert got["travel_from"].tolist() == ["depot", "C", "B"]
    assert_allclose(got["travel_minutes"], [12.5, 5.0, 5.0])
    assert_allclose(got["return_minutes"], [0.0, 0.0, 2.5])
    assert_allclose(got["time_order_travel_minutes"], [12.5, 5.0, 2.5])
    # officer 0's last visit in time order is B, officer 1's is A
    assert_allclose(got["time_order_return_minutes"], [0.0, 7.5, 2.5])
    info = got.attrs["routing"]
    assert info["depot"] is True
    # 12.5 + 5 + 5 + 2.5 = 25 against 12.5 + 2.5 + 5 + 7.5 + 2.5 = 30
    assert_allclose(info["travel_minutes"], 25.0)
    assert_allclose(info["travel_minutes_time_order"], 30.0)
    assert_allclose(info["problems"][0]["minutes"], 25.0)
    assert_allclose(info["problems"][0]["time_order_minutes"], 30.0)


def test_each_problem_gets_its_share_of_the_time_limit_and_problems_come_by_date(solver):
    plan = plan_of(["A", "A", "B", "C"], [60, 60, 120, 60])
    plan["date"] = ["2025-09-02", "2025-09-01", "2025-09-01", "2025-09-01"]
    plan["team"] = ["Crew 1", "Crew 1", "Crew 1", "Crew 2"]
    plan.loc[0, "planned_start"] = at(24 * 60 + 60)
    rec = solver()
    got = route_on_street(plan, time_limit_s=3, seed=5)
    # 1 September: Crew 1 has 2 of its 3 visits, Crew 2 has 1; 2 September: all of one
    assert [c["budget"] for c in rec.calls] == [2.0, 1.0, 3.0]
    assert [c["seed"] for c in rec.calls] == [5, 5, 5]
    info = got.attrs["routing"]
    assert [(pb["date"], pb["groups"][0]["team"]) for pb in info["problems"]] == [
        ("2025-09-01", "Crew 1"), ("2025-09-01", "Crew 2"), ("2025-09-02", "Crew 1")
    ]  # fmt: skip
    assert got["route"].tolist() == [1, 1, 1, 1]  # numbered within each team and shift
    assert got["tasking_id"].tolist() == ["T1", "T2", "T3", "T0"]
    assert info["seconds"] == 0.75
    assert_allclose(info["travel_minutes"], 5.0)  # Crew 1 walks A -> B on the 1st


def test_an_officer_column_makes_one_route_per_officer_unless_officers_is_given(solver):
    plan = three_visits()
    plan["officer"] = ["PC1", "PC2", "PC1"]
    rec = solver()
    got = route_on_street(plan)
    # PC1's visits (C, B) and PC2's (A): two problems of one officer each, no gap between them
    assert [c["pr"].n for c in rec.calls] == [2, 1]
    assert [c["initial"] for c in rec.calls] == [[[0, 1]], [[0]]]
    assert_array_equal(rec.calls[0]["pr"].v_group, [0])
    assert got.groupby("officer")["route"].nunique().tolist() == [1, 1]
    assert_allclose(got.attrs["routing"]["travel_minutes"], 5.0)  # PC1: C -> B
    # officers=2: the column is not who walks; the team's two officers share its visits
    rec = solver()
    route_on_street(plan, officers=2)
    assert [c["pr"].n for c in rec.calls] == [3]
    assert_array_equal(rec.calls[0]["pr"].v_group, [0, 0])


def test_gap_pairs_tie_teams_into_one_problem_in_whole_seconds(solver):
    # Crew 1 and Crew 2 both visit A; a gap of 60.5 s is 61 whole seconds, one of 1 minute 60
    plan = plan_of(["A", "B", "A", "C"], [0, 60, 120, 60])
    plan["team"] = ["Crew 1", "Crew 1", "Crew 2", "Crew 2"]
    plan["min_gap_minutes"] = [60.5 / 60, 0.0, 1.0, np.nan]
    rec = solver()
    got = route_on_street(plan)
    (call,) = rec.calls
    pr = call["pr"]
    assert_array_equal(pr.v_group, [0, 1])
    assert_array_equal(pr.group, [0, 0, 1, 1])
    # the two A visits by different teams, windows the whole shift: either way round
    assert pr.gaps == [(0, 2, 61, False)]
    info = got.attrs["routing"]
    assert info["min_gap"] is True
    assert len(info["problems"]) == 1 and len(info["problems"][0]["groups"]) == 2


def test_gap_of_one_second_still_counts_and_missing_gaps_are_none(solver):
    plan = plan_of(["A", "A"], [0, 120], min_gap_minutes=1 / 60)
    plan["team"] = ["Crew 1", "Crew 2"]
    rec = solver()
    route_on_street(plan)
    assert rec.calls[0]["pr"].gaps == [(0, 1, 1, False)]
    rec = solver()
    got = route_on_street(plan.assign(min_gap_minutes=np.nan))
    assert [c["pr"].gaps for c in rec.calls] == [[], []]
    assert got.attrs["routing"]["min_gap"] is False


def test_a_team_tied_to_a_later_one_keeps_its_place_among_the_problems(solver):
    # Crew 1 and Crew 3 share A (a gap); Crew 2 is on its own: problems Crew 1 + 3, then Crew 2
    plan = plan_of(["A", "B", "A"], [0, 60, 120], min_gap_minutes=60.0)
    plan["team"] = ["Crew 1", "Crew 2", "Crew 3"]
    rec = solver()
    got = route_on_street(plan)
    teams = [[g["team"] for g in pb["groups"]] for pb in got.attrs["routing"]["problems"]]
    assert teams == [["Crew 1", "Crew 3"], ["Crew 2"]]
    assert [c["pr"].n for c in rec.calls] == [2, 1]


def test_gaps_chained_through_three_teams_make_one_problem(solver):
    # Crew 2 and Crew 3 share B, Crew 1 and Crew 3 share A: all three in one problem
    plan = plan_of(["B", "A", "B", "A"], [0, 0, 120, 150], min_gap_minutes=60.0)
    plan["team"] = ["Crew 2", "Crew 1", "Crew 3", "Crew 3"]
    rec = solver()
    got = route_on_street(plan)
    assert len(rec.calls) == 1
    (pb,) = got.attrs["routing"]["problems"]
    assert [g["team"] for g in pb["groups"]] == ["Crew 2", "Crew 1", "Crew 3"]
    # local visits: Crew 2's B, Crew 1's A, Crew 3's B and A
    assert rec.calls[0]["pr"].gaps == [(0, 2, 3600, False), (1, 3, 3600, False)]


def test_gap_couples_early_and_late_shifts_on_seconds_from_the_early_start(solver):
    # an early visit to A at 13:30 UTC and a late one at 14:10 UTC, 60 minutes apart at least
    plan = plan_of(["A", "A"], [450, 490], min_gap_minutes=60.0)
    plan["shift"] = ["early", "late"]
    plan["team"] = ["Crew 1", "Crew 2"]
    # the early visit moves to 13:05, 65 minutes before the late one
    rec = solver(answer([[0], [1]], [25500, 29400]))
    got = route_on_street(plan)
    pr = rec.calls[0]["pr"]
    # late is 14:00-22:00 UTC: 8 to 16 hours after 06:00
    assert_array_equal(pr.v_start_s, [0, 28800])
    assert_array_equal(pr.v_end_s, [28800, 57600])
    assert_array_equal(pr.lo_s, [0, 28800])
    assert_array_equal(pr.hi_s, [27900, 56700])
    assert pr.gaps == [(0, 1, 3600, True)]
    s = got.set_index("tasking_id")["planned_start"]
    assert s["T0"] == at(425) and s["T1"] == at(490)


def test_empty_plan_gives_an_empty_plan_and_no_travel(solver):
    got = route_on_street(three_visits().iloc[:0])
    assert len(got) == 0
    info = got.attrs["routing"]
    assert info["problems"] == [] and info["optimality_gap"] == 0.0


def test_a_visit_alone_has_no_journey_and_no_gap(solver):
    solver(answer([[0]], [7200]))
    got = route_on_street(plan_of(["B"], [120]))
    info = got.attrs["routing"]
    assert info["travel_minutes"] == 0.0 and info["optimality_gap"] == 0.0
    assert got["travel_from"].tolist() == [None]


# --------------------------------------------------------------------------- errors


def test_time_limit_must_be_positive(solver):
    solver()
    for bad in (0, -1):
        with pytest.raises(HspworkError, match=r"time_limit_s=.*: give a positive number"):
            route_on_street(three_visits(), time_limit_s=bad)
    assert len(route_on_street(three_visits(), time_limit_s=0.001)) == 3


def test_unknown_places_are_named(solver):
    with pytest.raises(SchemaError) as e:
        route_on_street(plan_of(["A", "Z", "Y", "Z"], [0, 30, 60, 90]))
    assert str(e.value) == "plan names fence(s) not in fences: ['Y', 'Z']"


def test_visits_without_a_possible_start_are_counted_and_named(solver):
    solver()
    plan = plan_of(["A"] * 7, [0] * 7)
    plan["window_start"] = pd.to_datetime([at(-120)] * 6 + [at(0)], utc=True)
    plan["window_end"] = pd.to_datetime([at(-60)] * 6 + [at(30)], utc=True)
    with pytest.raises(HspworkError) as e:
        route_on_street(plan)
    assert str(e.value) == (
        "6 visit(s) have no start that keeps both the window and the shift (e.g. ['T0', 'T1', "
        "'T2', 'T3', 'T4']): check planned_start, window_start/window_end, window_minutes and "
        "shift_hours"
    )
    with pytest.raises(HspworkError, match=r"1 visit\(s\) .*\(e\.g\. \['0'\]\)"):
        route_on_street(plan.drop(columns="tasking_id").iloc[[5, 6]])
    # a window of one instant (window_minutes=0) is a start, not none
    assert len(route_on_street(plan.iloc[[6]].drop(columns=["window_start", "window_end"]),
                               window_minutes=0)) == 1  # fmt: skip


def test_visits_that_could_not_be_fitted_are_named_with_what_to_change(solver):
    plan = plan_of(["A", "B", "C"], [60, 120, 180], minutes=15.0)
    solver(answer([[0, 2], []], [-1, -1, -1], dropped=[1]))
    with pytest.raises(HspworkError) as e:
        route_on_street(plan, officers=2)
    assert str(e.value) == (
        "no routes keep all 3 visits of 2025-09-01 early Crew 1: 1 could not be fitted "
        "(e.g. ['T1']) with [2] officer(s) per team at speed 2.0 inside their windows, shifts "
        "and gaps. Give more officers (officers=), wider windows (window_minutes=) or fewer visits"
    )


def test_not_fitted_across_four_teams_names_three_of_them_and_five_visits(solver):
    plan = plan_of(["A"] * 6, [0, 70, 140, 210, 280, 350], min_gap_minutes=60.0)
    plan["team"] = ["Crew 4", "Crew 3", "Crew 2", "Crew 1", "Crew 1", "Crew 2"]
    # one problem (the gaps at A tie the teams), its visits team by team: T0, T1, T2, T5, T3, T4
    solver(answer([[]] * 5, [-1] * 6, dropped=[0, 1, 2, 3, 4, 5]))
    with pytest.raises(HspworkError) as e:
        route_on_street(plan, officers={"Crew 1": 2, "Crew 2": 1, "Crew 3": 1, "Crew 4": 1})
    assert str(e.value) == (
        "no routes keep all 6 visits of 2025-09-01 early Crew 1; 2025-09-01 early Crew 2; "
        "2025-09-01 early Crew 3: 6 could not be fitted (e.g. ['T0', 'T1', 'T2', 'T5', 'T3']) "
        "with [1, 2] officer(s) per team at speed 2.0 inside their windows, shifts and gaps. "
        "Give more officers (officers=), wider windows (window_minutes=) or fewer visits"
    )


# --------------------------------------------------------------------------- the self-check


def check_fails(solver, plan, routes, starts, what, **kw):
    solver(answer(routes, starts))
    with pytest.raises(HspworkError) as e:
        route_on_street(plan, **kw)
    assert str(e.value) == f"optimised routes failed their own check: ['{what}']"


def test_self_check_start_exactly_at_either_end_of_its_window_passes(solver):
    plan = plan_of(["A", "B"], [0, 120])
    # A at 06:00 (the shift's first second), B at 13:45 (its last start); 7 h 45 m apart
    solver(answer([[0, 1]], [0, 27900]))
    got = route_on_street(plan)
    assert got["planned_start"].tolist() == [S0, S1 - pd.Timedelta(minutes=15)]


def test_self_check_start_a_second_out_of_its_window_fails(solver):
    check_fails(solver, plan_of(["A"], [0]), [[0]], [-1], "a start outside its window or shift")
    check_fails(solver, plan_of(["A"], [0]), [[0]], [27901], "a start outside its window or shift")


def test_self_check_allows_a_millisecond_of_rounding_and_no_more(solver):
    plan = plan_of(["A"], [0])
    plan["window_end"] = pd.to_datetime([at(30)], utc=True)
    plan["window_start"] = pd.to_datetime([at(10) + pd.Timedelta(milliseconds=1)], utc=True)
    solver(answer([[0]], [600]))  # 06:10:00, a millisecond before the window opens
    assert route_on_street(plan)["planned_start"].tolist() == [at(10)]
    plan["window_start"] += pd.Timedelta(nanoseconds=1)
    check_fails(solver, plan, [[0]], [600], "a start outside its window or shift")


def test_self_check_journeys_exactly_met_pass_and_a_second_short_fails(solver):
    # A 07:00, then 15 minutes there and 5 on the way: B at 07:20 exactly, then C at 07:40
    solver(answer([[1, 2, 0]], [6000, 3600, 4800]))
    assert len(route_on_street(three_visits())) == 3
    check_fails(solver, three_visits(), [[1, 2, 0]], [6000, 3600, 4799],
                "a journey longer than the time between visits")  # fmt: skip


def test_self_check_depot_journeys_inside_the_shift(solver):
    depot = {"depot": Point(-300, 0)}  # 2.5 minutes from A
    # leaves the depot at 06:00 exactly, or back at 14:00 exactly: fine
    solver(answer([[0]], [150]))
    assert len(route_on_street(plan_of(["A"], [0]), **depot)) == 1
    solver(answer([[0]], [28800 - 900 - 150]))
    assert len(route_on_street(plan_of(["A"], [0]), **depot)) == 1
    check_fails(solver, plan_of(["A"], [0]), [[0]], [149], "a depot journey outside the shift",
                **depot)  # fmt: skip
    check_fails(solver, plan_of(["A"], [0]), [[0]], [28800 - 900 - 149],
                "a depot journey outside the shift", **depot)  # fmt: skip


def test_self_check_depot_journeys_of_a_route_of_two_visits(solver):
    # C then A: out 12.5 minutes to C, back 2.5 minutes from A; A may start at 07:42:30 UTC at
    # the latest (14:00 less 15 and 2.5 minutes = 27750 s), C at 06:12:30 at the earliest
    plan, depot = plan_of(["C", "A"], [30, 400]), {"depot": Point(-300, 0)}
    solver(answer([[0, 1]], [750, 27750]))
    assert len(route_on_street(plan, **depot)) == 2
    what = "a depot journey outside the shift"
    check_fails(solver, plan, [[0, 1]], [749, 27750], what, **depot)
    check_fails(solver, plan, [[0, 1]], [750, 27751], what, **depot)


def test_self_check_route_mixing_two_officers_visits_fails(solver):
    # the gap at A puts PC1 and PC2 in one problem; the answer gives both visits to PC1
    plan = plan_of(["A", "A"], [0, 60], min_gap_minutes=60.0)
    plan["officer"] = ["PC1", "PC2"]
    check_fails(solver, plan, [[0, 1], []], [0, 3600], "a route mixing team-shifts")


def test_self_check_gap_exactly_kept_passes_and_a_second_short_fails(solver):
    plan = plan_of(["A", "A"], [0, 60], min_gap_minutes=[60.0, np.nan])
    plan["team"] = ["Crew 1", "Crew 2"]
    solver(answer([[0], [1]], [0, 3600]))
    assert len(route_on_street(plan)) == 2
    check_fails(solver, plan, [[0], [1]], [0, 3599], "two visits to one place closer than the gap")


def test_self_check_a_start_exactly_a_millisecond_past_its_last_passes(solver):
    # the window closes at 06:29:00.999, so its last start is 06:28:59.999; a start at 06:29:00
    # is exactly the millisecond of rounding past it and passes, a second later does not
    plan = plan_of(["A"], [20])
    plan["window_start"] = pd.to_datetime([at(10)], utc=True)
    plan["window_end"] = pd.to_datetime([at(29) + pd.Timedelta(milliseconds=999)], utc=True)
    solver(answer([[0]], [1740]))
    assert route_on_street(plan)["planned_start"].tolist() == [at(29)]
    check_fails(solver, plan, [[0]], [1741], "a start outside its window or shift")


def test_self_check_a_journey_a_millisecond_short_passes(solver):
    # A at 07:00 for 15 minutes and 1 ms, then 5 minutes to B: B may start at 07:20:00.001, and
    # 07:20:00 is the millisecond of rounding early, so it passes
    plan = three_visits()
    plan["minutes"] = [15.0, 15 + 1 / 60000, 15.0]
    solver(answer([[1, 2, 0]], [6000, 3600, 4800]))
    assert len(route_on_street(plan)) == 3
    check_fails(solver, plan, [[1, 2, 0]], [6000, 3600, 4799],
                "a journey longer than the time between visits")  # fmt: skip


def test_self_check_a_gap_a_millisecond_short_passes(solver):
    # a gap of 60 minutes and 1 ms; the two visits exactly 60 minutes apart are the millisecond
    # of rounding short, and pass
    plan = plan_of(["A", "A"], [0, 61], min_gap_minutes=[60 + 1 / 60000, np.nan])
    plan["team"] = ["Crew 1", "Crew 2"]
    solver(answer([[0], [1]], [0, 3601]))
    assert len(route_on_street(plan)) == 2
    solver(answer([[0], [1]], [0, 3600]))
    assert len(route_on_street(plan)) == 2


# --------------------------------------------------------------------------- the real solver


def test_real_solver_walks_the_street_end_to_end():
    # C, A, B planned; the one best order is end to end: A, B, C (or C, B, A), 10 minutes
    got = route_on_street(three_visits(), time_limit_s=2)
    assert got["fence_id"].tolist() in (["A", "B", "C"], ["C", "B", "A"])
    info = got.attrs["routing"]
    assert_allclose(info["travel_minutes"], 10.0)
    assert_allclose(info["travel_minutes_time_order"], 15.0)
    assert info["problems"][0]["proven_optimal"] and info["optimality_gap"] == 0.0


# --------------------------------------------------------------------------- more edges


def test_a_shift_of_half_an_hour_or_an_hour_is_not_a_whole_day():
    p = pd.DataFrame({"date": ["2025-12-01", "2025-12-01"], "shift": ["brief", "hour"]})
    a, b = shift_bounds(p, {"brief": (9, 9.5), "hour": (9, 10)}, tz="UTC")
    want = pd.to_datetime(["2025-12-01 09:30", "2025-12-01 10:00"], utc=True)
    assert_array_equal(b - a, [30 * MIN, 60 * MIN])
    assert_array_equal(b, want.as_unit("ns").asi8)


def test_a_chained_pair_does_not_end_the_search_for_later_pairs():
    # rows 10 and 11 are interchangeable (chained); row 12, another team's, opens at 500, after
    # both have closed, so each of them goes before it
    got = pairs([0, 10, 500], [100, 110, 900], group=[0, 0, 1])
    assert got == [(10, 11, 60, True), (10, 12, 60, True), (11, 12, 60, True)]


def test_the_plan_fences_and_network_may_be_named(solver):
    solver()
    got = optimise_routes(plan=three_visits(), fences=FENCES, network=STREET, speed=SPEED)
    assert got["fence_id"].tolist() == ["C", "A", "B"]


def test_route_numbers_count_within_a_team_when_another_teams_route_starts_between(solver):
    # Crew 2's two officers start A at 06:00 and C at 07:00; Crew 1 starts B at 06:30, between
    # them: Crew 2's routes are 1 and 2, Crew 1's is 1
    plan = plan_of(["A", "C", "B"], [0, 60, 30])
    plan["team"] = ["Crew 2", "Crew 2", "Crew 1"]
    solver(answer([[0], [1]], [0, 3600]), as_planned)
    got = route_on_street(plan, officers={"Crew 1": 1, "Crew 2": 2})
    routes = dict(zip(got["fence_id"], zip(got["team"], got["route"])))
    assert routes == {"A": ("Crew 2", 1), "C": ("Crew 2", 2), "B": ("Crew 1", 1)}


def test_self_check_a_journey_too_short_between_the_second_and_third_visits_fails(solver):
    # A 07:00, B 07:20 (exactly 15 + 5 minutes later), C a second before 07:40
    check_fails(solver, three_visits(), [[1, 2, 0]], [5999, 3600, 4800],
                "a journey longer than the time between visits")  # fmt: skip


def test_self_check_the_depot_return_counts_the_last_visits_own_minutes(solver):
    # C (15 minutes) then A (20 minutes), 2.5 minutes back to the depot: A may start at
    # 14:00 less 20 and 2.5 minutes, 27450 s after 06:00, and not a second later
    plan, depot = plan_of(["C", "A"], [30, 400]), {"depot": Point(-300, 0)}
    plan["minutes"] = [15.0, 20.0]
    solver(answer([[0, 1]], [750, 27450]))
    assert len(route_on_street(plan, **depot)) == 2
    check_fails(solver, plan, [[0, 1]], [750, 27451], "a depot journey outside the shift",
                **depot)  # fmt: skip


@pytest.mark.parametrize("gap_minutes", [60.0, 1 / 60])
def test_self_check_gaps_when_every_visit_has_one(solver, gap_minutes):
    # both visits carry the gap (none is missing); a second short of 60 minutes, or at the same
    # moment for a gap of one second, fails
    plan = plan_of(["A", "A"], [0, 60], min_gap_minutes=gap_minutes)
    plan["team"] = ["Crew 1", "Crew 2"]
    second = 3599 if gap_minutes == 60.0 else 0
    check_fails(
        solver, plan, [[0], [1]], [0, second], "two visits to one place closer than the gap"
    )


def test_a_pair_with_no_gap_does_not_end_the_search_for_pairs_with_one():
    # rows 10 and 11 have no gap between them; row 12's gap of 120 pairs it with both
    got = pairs([0, 10, 20], [100, 110, 120], gap=[0, 0, 120])
    assert got == [(10, 12, 120, False), (11, 12, 120, False)]


def test_depot_minutes_straight_line_from_a_depot_off_the_axis():
    f = depot_fences()
    # a depot 300 m north of A: A 300 m away, B sqrt(300^2 + 100^2) m; 1.4 x at 1.4 m/s
    got = _depot_minutes({"Crew 1": np.array([0.0, 300.0])}, f, None, 1.4, _places_xy(f))
    assert_allclose(got["Crew 1"], [300 / 60, np.hypot(300.0, 100.0) / 60])


def test_unknown_places_are_named_five_at_most(solver):
    with pytest.raises(SchemaError) as e:
        route_on_street(plan_of(list("UVWXYZ"), [0, 10, 20, 30, 40, 50]))
    assert str(e.value) == "plan names fence(s) not in fences: ['U', 'V', 'W', 'X', 'Y']"


def test_a_gap_of_one_second_is_a_gap_in_the_routing_notes(solver):
    plan = plan_of(["A", "A"], [0, 120], min_gap_minutes=1 / 60)
    plan["team"] = ["Crew 1", "Crew 2"]
    solver()
    assert route_on_street(plan).attrs["routing"]["min_gap"] is True


def test_self_check_a_depot_journey_a_millisecond_early_passes(solver):
    # the depot 300.002 m from A: 150.001 s at 2 m/s, so a start at 06:02:30 left the depot a
    # millisecond before the shift began: the millisecond of rounding allowed
    solver(answer([[0]], [150]))
    got = route_on_street(plan_of(["A"], [0]), depot=Point(-300.002, 0))
    assert got["planned_start"].tolist() == [at(2.5)]


def test_self_check_a_depot_return_a_millisecond_late_passes(solver):
    # back from A (150.001 s) after a start at 13:42:30: at 14:00:00.001, the millisecond of
    # rounding past the shift's end
    solver(answer([[0]], [28800 - 900 - 150]))
    got = route_on_street(plan_of(["A"], [0]), depot=Point(-300.002, 0))
    assert got["planned_start"].tolist() == [S1 - pd.Timedelta(minutes=17.5)]


def test_self_check_a_journey_after_a_longer_visit_counts_that_visits_minutes(solver):
    # A 07:00 (15 minutes), B 07:20 for 20 minutes, then 5 minutes to C: C may start at 07:45,
    # and a second earlier fails
    plan = three_visits()
    plan["minutes"] = [15.0, 15.0, 20.0]
    solver(answer([[1, 2, 0]], [6300, 3600, 4800]))
    assert len(route_on_street(plan)) == 3
    check_fails(solver, plan, [[1, 2, 0]], [6299, 3600, 4800],
                "a journey longer than the time between visits")  # fmt: skip
