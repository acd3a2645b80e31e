"""Routed capacity on instances small enough to work out by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from shapely.geometry import LineString, box

from hspwork.errors import HspworkError, SchemaError
from hspwork.tasking import (
    Dosage,
    StreetNetwork,
    capacity,
    capacity_curve,
    plot_capacity_curve,
    travel_minutes,
)

DAY = {"day": (8, 16)}  # one 8-hour shift


def star(n, spoke_m):
    """n places at the ends of spokes from one hub: every journey is 2 x spoke_m."""
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ends = np.c_[spoke_m * np.cos(ang), spoke_m * np.sin(ang)]
    streets = gpd.GeoDataFrame(geometry=[LineString([(0, 0), tuple(e)]) for e in ends], crs=27700)
    fences = gpd.GeoDataFrame(
        {"fence_id": [f"S{i:02d}" for i in range(n)], "rank": np.arange(n, 0, -1)},
        geometry=[box(x - 5, y - 5, x + 5, y + 5) for x, y in ends],
        crs=27700,
    )
    return fences, StreetNetwork(streets)


def line(n, spacing_m):
    xs = np.arange(n) * spacing_m
    streets = gpd.GeoDataFrame(geometry=[LineString([(x, 0) for x in xs])], crs=27700)
    fences = gpd.GeoDataFrame(
        {"fence_id": [f"L{i:02d}" for i in range(n)], "rank": np.arange(n, 0, -1)},
        geometry=[box(x - 5, -5, x + 5, 5) for x in xs],
        crs=27700,
    )
    return fences, StreetNetwork(streets)


def check_proof(c, fences, net, shift_hours, speed=1.3):
    """The capacity's plan really gives each covered place its dosage (plain loops)."""
    d = c.dosage
    tm = travel_minutes(fences, net, speed)
    plan = c.plan
    assert sorted(set(plan["fence_id"])) == sorted(c.covered)
    assert (plan.groupby("fence_id").size() == d.visits_per_day).all()
    for fid, g in plan.groupby("fence_id"):
        s = np.sort(g["start_minute"].to_numpy())
        assert (np.diff(s) >= d.min_gap_minutes - 1e-9).all(), fid
    for (shift, _), g in plan.groupby(["shift", "route"]):
        h0, h1 = shift_hours[shift]
        g = g.sort_values("order")
        s, ids = g["start_minute"].to_numpy(), g["fence_id"].tolist()
        assert s[0] >= 60 * h0 and s[-1] + d.minutes <= 60 * (h1 if h1 > h0 else h1 + 24)
        for k in range(1, len(g)):
            assert s[k] >= s[k - 1] + d.minutes + tm.loc[ids[k - 1], ids[k]] - 1e-6


def test_star_of_twenty_minute_walks_covers_four_places():
    # every walk is 2 x 780 m at 1.3 m/s = 20 minutes. One officer, 480 minutes: k visits need
    # 15k + 20(k - 1) <= 480, so k <= 14 and 3 visits each allow 4 places; A B C D A B C D ...
    # takes 12 x 15 + 11 x 20 = 400 minutes, each place revisited every 140 >= 120 minutes
    f, net = star(10, 780)
    tm = travel_minutes(f, net)
    off = tm.to_numpy()[~np.eye(10, dtype=bool)]
    np.testing.assert_allclose(off, 20.0, atol=0.02)
    c = capacity(1, f, net, shift_hours=DAY, available_share=1.0, time_limit_s=3)
    assert c.places_covered == 4 and c.places_upper_bound == 4 and c.proven
    assert c.covered == ["S00", "S01", "S02", "S03"]
    assert c.places_without_travel == 10  # 480 / 45 = 10.7: the minutes alone mislead
    check_proof(c, f, net, DAY)
    # ranked by the rank column (1 first): the last four fences
    r = capacity(1, f, net, shift_hours=DAY, available_share=1.0, rank_column="rank",
                 time_limit_s=3)  # fmt: skip
    assert r.covered == ["S09", "S08", "S07", "S06"]
    t = r.table()
    assert t["covered"].sum() == 4 and t.loc[0, "fence_id"] == "S09" and t.loc[0, "visits"] == 3
    assert "exactly 4 of 10" in r.summary()


def test_far_apart_places_need_an_officer_each():
    # 100-minute walks: two places need at least one walk and 6 visits in 480 minutes:
    # k <= (480 + 100) / 115 = 5 visits per officer, so one officer covers one place
    f, net = star(4, 3900)  # 2 x 3900 m at 1.3 m/s = 100 minutes
    c1 = capacity(1, f, net, shift_hours=DAY, available_share=1.0, time_limit_s=3)
    assert (c1.places_covered, c1.places_upper_bound) == (1, 1)
    check_proof(c1, f, net, DAY)
    # two officers: each place alone is easy (A at 8:00, 10:00, 12:00), so at least two; the
    # bound (5 visits each, 10 >= 9) leaves room for a third, which needs the officers to
    # share a place, and the plan found must prove whatever it claims
    c2 = capacity(2, f, net, shift_hours=DAY, available_share=1.0, time_limit_s=3)
    assert 2 <= c2.places_covered <= c2.places_upper_bound == 3
    check_proof(c2, f, net, DAY)


def test_one_visit_a_day_along_a_street():
    # places every 780 m (10 minutes' walk): one officer fits 15m + 10(m - 1) <= 480, m = 19
    f, net = line(25, 780)
    one = Dosage(visits_per_day=1, minutes=15, min_gap_minutes=0)
    c = capacity(1, f, net, shift_hours=DAY, dosage=one, available_share=1.0, time_limit_s=5)
    assert c.places_covered == math.floor((480 + 10) / 25) == 19 and c.proven
    check_proof(c, f, net, DAY)
    assert c.travel_minutes == pytest.approx(18 * 10, abs=0.1)
    # half the shift for patrol: 15m + 10(m - 1) <= 240, m = 10
    half = capacity(1, f, net, shift_hours=DAY, dosage=one, time_limit_s=5)
    assert half.places_covered == 10


def test_curve_rises_with_officers_and_plots():
    f, net = line(25, 780)
    one = {"visits_per_day": 1, "minutes": 15, "min_gap_minutes": 0}
    curve = capacity_curve(f, net, officers=[0, 1, 2, 3], shift_hours=DAY, dosage=one,
                           available_share=1.0, time_limit_s=5)  # fmt: skip
    assert curve["places_covered"].tolist() == [0, 19, 25, 25]
    assert (curve["places_covered"] <= curve["places_upper_bound"]).all()
    assert curve["officers_total"].tolist() == [0, 1, 2, 3]
    assert curve.loc[1, "covered"].split(", ")[-1] == "L18"
    fig = plot_capacity_curve(curve, places_wanted=40)
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 4


def test_two_shifts_share_the_day():
    # early and late officer, 3 visits 2 h apart per place, 20-minute walks: each officer
    # fits 14 visits, 28 in all: at most 9 places; the gap is kept across the shift change
    f, net = star(12, 780)
    hours = {"early": (7, 15), "late": (15, 23)}
    c = capacity({"early": 1, "late": 1}, f, net, shift_hours=hours, available_share=1.0,
                 time_limit_s=4)  # fmt: skip
    assert c.places_upper_bound == 9
    assert 8 <= c.places_covered <= 9
    check_proof(c, f, net, hours)


def test_bad_input_is_named():
    f, net = line(3, 100)
    with pytest.raises(SchemaError, match="shift_hours knows"):
        capacity({"twilight": 2}, f, net)
    with pytest.raises(HspworkError, match="visits_per_day"):
        Dosage(visits_per_day=0)
    with pytest.raises(HspworkError, match="available_share"):
        capacity(1, f, net, available_share=0)
    with pytest.raises(SchemaError, match="no column 'score'"):
        capacity(1, f, net, rank_column="score")
    with pytest.raises(HspworkError, match="shift_hours="):
        capacity(1, f, net, shift_hours=8)
    empty = capacity(1, f, net, shift_hours={"short": (8, 8.2)}, time_limit_s=1)
    assert empty.places_covered == 0 and isinstance(empty.plan, pd.DataFrame)
