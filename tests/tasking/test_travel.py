"""Travel saved per shift and route maps, checked against the routed plan."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose
from shapely.geometry import LineString, Point, box

from hspwork.errors import SchemaError
from hspwork.tasking import StreetNetwork, optimise_routes, schedule, travel_minutes
from hspwork.tasking.travel import plot_route_map, plot_travel_comparison, travel_comparison


@pytest.fixture(scope="module")
def week():
    xs = [0, 500, 1000, 1500, 2000, 2500]
    net = StreetNetwork(gpd.GeoDataFrame(geometry=[LineString([(x, 0) for x in xs])], crs=27700))
    f = gpd.GeoDataFrame(
        {"fence_id": [f"H{i}" for i in range(6)], "team": ["A", "A", "A", "B", "B", "B"]},
        geometry=[box(x - 20, -20, x + 20, 20) for x in xs],
        crs=27700,
    )
    plan = schedule(f, pd.date_range("2025-09-01", periods=3).date, teams="team", network=net,
                    seed=2)  # fmt: skip
    return optimise_routes(plan, f, net, officers=2, time_limit_s=0.5), f, net


def test_comparison_adds_up_to_the_routing_totals(week):
    r, _, _ = week
    c = travel_comparison(r)
    assert len(c) == 3 * 2 * 2  # dates x shifts x teams
    info = r.attrs["routing"]
    assert_allclose(c["time_order_minutes"].sum(), info["travel_minutes_time_order"])
    assert_allclose(c["optimised_minutes"].sum(), info["travel_minutes"])
    assert_allclose(c["saved_minutes"], c["time_order_minutes"] - c["optimised_minutes"])
    assert (c["visits"] == r.groupby(["date", "shift", "team"]).size().to_numpy()).all()
    fig = plot_travel_comparison(c)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert all(len(ax.lines) == 2 for ax in fig.axes)


def test_comparison_counts_depot_journeys_both_ways():
    f = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(590, -10, 610, 10)], crs=27700)
    net = StreetNetwork(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (600, 0)])], crs=27700))
    t = pd.Timestamp("2025-09-01 09:00", tz="UTC")
    plan = pd.DataFrame({"fence_id": ["A"], "date": "2025-09-01", "shift": "early",
                         "planned_start": [t], "minutes": 15.0, "team": "T"})  # fmt: skip
    r = optimise_routes(plan, f, net, speed=1.0, depot=Point(0, 0), time_limit_s=1)
    c = travel_comparison(r)
    assert_allclose(c[["time_order_minutes", "optimised_minutes"]].to_numpy(), [[20.0, 20.0]])


def test_route_map_draws_each_route_along_the_streets(week):
    r, f, net = week
    fig = plot_route_map(r, f, net, date="2025-09-01", shift="late", team="A")
    ax = fig.axes[0]
    g = r[(r["date"].astype(str) == "2025-09-01") & (r["shift"] == "late") & (r["team"] == "A")]
    legs = len(g) - g["route"].nunique()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == g["route"].nunique() and labels[0].startswith("route 1:")
    # one line per journey, plus the legend's handles and the scale bar
    assert len(ax.lines) >= legs + len(labels) + 1
    with pytest.raises(SchemaError, match="no visits for Z"):
        plot_route_map(r, f, net, date="2025-09-01", shift="late", team="Z")


def test_a_place_to_itself_is_no_journey():
    net = StreetNetwork(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)])], crs=27700))
    f = gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[box(40, 20, 60, 40)], crs=27700)
    # A's point is 30 m off the street: there and back would be 60 m, but staying is 0
    assert travel_minutes(f, net).loc["A", "A"] == 0.0
    assert net.distance_m([(50, 30)], [(50, 30)])[0, 0] == 0.0
