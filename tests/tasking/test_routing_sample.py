"""The sample city's week of taskings, optimised, with every rule checked independently."""

from __future__ import annotations

import pytest

from benchmarks.bench_tasking import SAMPLE, sample_inputs
from hspwork.tasking import optimise_routes, travel_minutes
from tests.tasking.routecheck import violations

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SAMPLE / "tasking_plan.csv").exists(), reason="no sample city"),
]


def test_sample_week_keeps_every_rule_and_walks_less():
    plan, fences, network = sample_inputs(days=7)
    assert len(plan) == 7 * 60 and (plan["min_gap_minutes"] == 60).all()
    routed = optimise_routes(plan, fences, network, officers=4, time_limit_s=2)
    # every visit and its minutes, day, shift, team; windows (the shift), journeys, gaps
    assert violations(plan, routed, travel_minutes(fences, network)) == []
    assert routed["route"].between(1, 4).all()
    info = routed.attrs["routing"]
    assert info["time_order_feasible"]
    assert info["travel_minutes"] <= info["travel_minutes_time_order"]
    assert info["travel_minutes_lower_bound"] <= info["travel_minutes"]
    assert len(info["problems"]) == 7  # one a day: the gap ties the early and late crews
