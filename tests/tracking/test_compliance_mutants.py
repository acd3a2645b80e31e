"""Compliance at its edges, worked by hand: matching, the tables, the weekly figure, the
exception report with and without location faults, and the side-by-side correction.

Each test sits where a plausible slip in :mod:`hspwork.tasking.compliance` shows: a status
exactly at its threshold, a window edge to the nanosecond, a tie, a Sunday's week, a ping at
the first and last instant of a planned window, a fault for another device. They are small and
need no dwell kernel, so ``make mutate`` runs them first.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import box

from hspwork.errors import CRSMismatchWarning, HspworkError
from hspwork.tasking import (
    CAUSES,
    compliance_table,
    exception_report,
    match_visits,
    plot_weekly,
    tasking_windows,
    weekly_performance,
)
from hspwork.tasking.compliance import FaultCorrection, _headline_dwell
from hspwork.tracking.dwell import DwellResult

T = pd.Timestamp("2025-09-01 08:00", tz="UTC")  # a Monday
FENCES = gpd.GeoDataFrame(
    {"fence_id": ["A", "B"]}, geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)], crs=27700
)
FT = 1 / 0.30480060960121924  # US survey feet per metre (EPSG:2263's unit)


def mins(k: float) -> pd.Timedelta:
    return pd.Timedelta(minutes=k)


def plan(n: int = 1, **cols) -> pd.DataFrame:
    """``n`` taskings at fence A, an hour apart from T, 15 minutes each, team Crew 1."""
    p = pd.DataFrame(
        {
            "tasking_id": [f"T{i + 1}" for i in range(n)],
            "fence_id": "A",
            "date": "2025-09-01",
            "shift": "early",
            "planned_start": [T + mins(60 * i) for i in range(n)],
            "minutes": 15.0,
            "team": "Crew 1",
        }
    )
    for k, v in cols.items():
        p[k] = v
    return p


def visits(*rows) -> pd.DataFrame:
    """Delivered visits from (officer, fence, start as minutes after T, minutes)."""
    return pd.DataFrame(
        {
            "officer": [r[0] for r in rows],
            "fence_id": [r[1] for r in rows],
            "start": [T + (r[2] if isinstance(r[2], pd.Timedelta) else mins(r[2])) for r in rows],
            "minutes": [float(r[3]) for r in rows],
        },
        columns=["officer", "fence_id", "start", "minutes"],
    )


def status(p, v, **kw) -> list[str]:
    return match_visits(p, v, **kw)["status"].astype(str).tolist()


# --------------------------------------------------------------------------- match_visits


def test_done_and_partly_exactly_at_their_thresholds():
    # 0.8 x 15 = 12 minutes is done, 11.5 is not; 2 minutes is partly, 1.99 is a pass
    for minutes, want in ((12.0, "done"), (11.5, "partly"), (2.0, "partly"), (1.99, "not done")):
        assert status(plan(), visits(("PC1", "A", 0, minutes))) == [want], minutes
    # within the rounding tolerance of a billionth of a minute is still done
    assert status(plan(), visits(("PC1", "A", 0, 12.0 - 1e-9))) == ["done"]
    # the thresholds follow their arguments
    assert status(plan(), visits(("PC1", "A", 0, 10.5)), done_share=0.7) == ["done"]
    assert status(plan(), visits(("PC1", "A", 0, 10.4)), done_share=0.7) == ["partly"]
    assert status(plan(), visits(("PC1", "A", 0, 4.99)), partly_minutes=5) == ["not done"]
    assert status(plan(), visits(("PC1", "A", 0, 5.0)), partly_minutes=5) == ["partly"]
    assert status(plan(), visits(("PC1", "A", 0, 15.0)), done_share=1) == ["done"]
    assert status(plan(), visits(("PC1", "A", 0, 14.9)), done_share=1) == ["partly"]


@pytest.mark.parametrize("share", [0, -0.5, 1.01])
def test_done_share_outside_its_range_is_refused(share):
    with pytest.raises(HspworkError, match=rf"done_share={share}: must be in \(0, 1\]"):
        match_visits(plan(), visits(("PC1", "A", 0, 15)), done_share=share)


@pytest.mark.parametrize("name", ["before_minutes", "after_minutes"])
@pytest.mark.parametrize("value", [-1.0, np.nan, np.inf])
def test_windows_that_are_not_finite_minutes_are_refused(name, value):
    with pytest.raises(HspworkError, match=rf"{name}={value!r}: must be a finite number"):
        match_visits(plan(), visits(("PC1", "A", 0, 15)), **{name: value})


def test_window_edges_to_the_nanosecond():
    ns = pd.Timedelta(1, "ns")
    p = plan()
    # exactly 60 minutes late and exactly 30 early count; a nanosecond more does not
    assert status(p, visits(("PC1", "A", mins(60), 15))) == ["done"]
    assert status(p, visits(("PC1", "A", mins(60) + ns, 15))) == ["not done"]
    assert status(p, visits(("PC1", "A", -mins(30), 15))) == ["done"]
    assert status(p, visits(("PC1", "A", -mins(30) - ns, 15))) == ["not done"]
    # windows of zero minutes: only a visit starting at the planned start
    zero = {"before_minutes": 0, "after_minutes": 0}
    assert status(p, visits(("PC1", "A", 0, 15)), **zero) == ["done"]
    assert status(p, visits(("PC1", "A", mins(1), 15)), **zero) == ["not done"]
    # the early window is its own: 40 minutes early counts with before_minutes=45
    assert status(p, visits(("PC1", "A", -40, 15)), before_minutes=45) == ["done"]
    assert status(p, visits(("PC1", "A", 50, 15)), after_minutes=45) == ["not done"]


def test_nearest_plan_wins_and_a_visit_counts_once():
    # plans at 08:00 and 09:00; a visit at 08:40 is 40 late for the first, 20 early for the
    # second: the second's. One at 08:20 is the first's. Each visit counts for one plan only.
    p = plan(2)
    m = match_visits(p, visits(("PC1", "A", 40, 15), ("PC1", "A", 20, 4)))
    assert m["status"].astype(str).tolist() == ["partly", "done"]
    assert m["delivered_minutes"].tolist() == [4.0, 15.0]
    assert m["delivered_visits"].tolist() == [1, 1]
    assert m["delivered_minutes"].sum() == 19.0


def test_delivered_by_most_minutes_and_first_arrival():
    v = visits(("PC1", "A", 10, 3), ("PC2", "A", 2, 10), ("PC1", "A", 1, 1))
    m = match_visits(plan(), v).iloc[0]
    assert m["delivered_by"] == "PC2"  # 10 minutes against PC1's 3 + 1
    assert m["first_arrival"] == T + mins(1)
    assert m["delivered_visits"] == 3 and m["delivered_minutes"] == 14.0
    assert m["status"] == "done"
    out = match_visits(plan(), v)
    assert out["delivered_visits"].dtype == np.int64
    assert list(out.columns[:7]) == list(plan().columns)


def test_fence_ids_match_as_text_and_other_fences_do_not_count():
    p = plan(fence_id=7)
    v = visits(("PC1", "7", 0, 15))
    assert status(p, v) == ["done"]
    assert status(plan(), visits(("PC1", "B", 0, 15))) == ["not done"]


def test_named_officer_team_and_anyone():
    p = plan(3, officer=["PC1", None, "PC3"])
    v = visits(("PC2", "A", 0, 15), ("PC2", "A", 60, 15), ("PC3", "A", 120, 15))
    # no roster: a named officer only, anyone for the unnamed
    assert status(p, v) == ["not done", "done", "done"]
    # with a roster, the unnamed tasking needs a team member and a named officer must be one
    assert status(p, v, team_roster={"Crew 1": ["PC2"]}) == ["not done", "done", "not done"]
    assert status(p, v, team_roster={"Crew 1": ["PC1", "PC3"]}) == [
        "not done",
        "not done",
        "done",
    ]
    # an officer in two teams counts for either
    p2 = plan(2, team=["Crew 1", "Crew 2"])
    v2 = visits(("PC2", "A", 0, 15), ("PC2", "A", 60, 15))
    roster = {"Crew 1": ["PC2"], "Crew 2": ["PC9", "PC2"]}
    assert status(p2, v2, team_roster=roster) == ["done", "done"]
    frame = pd.DataFrame({"team": ["Crew 2", "Crew 2"], "officer": ["PC2", "PC2"]})
    assert status(p2, v2, team_roster=frame) == ["not done", "done"]


def test_plans_starting_together_go_to_the_one_listed_first():
    # Crew 2 and Crew 1 both tasked at A at 08:00, PC2 in both teams: the one visit is the
    # first-listed plan's, whichever order the roster names the teams in
    # arriving 5 minutes late or 5 early; with no roster (anyone) too
    p = plan(2, team=["Crew 2", "Crew 1"], planned_start=[T, T])
    for start in (5, -5):
        v = visits(("PC2", "A", start, 15))
        for roster in (
            {"Crew 1": ["PC2"], "Crew 2": ["PC2"]},
            {"Crew 2": ["PC2"], "Crew 1": ["PC2"]},
            None,
        ):
            assert status(p, v, team_roster=roster) == ["done", "not done"], (start, roster)
    v = visits(("PC2", "A", 5, 15))
    assert status(p.iloc[::-1], v, team_roster={"Crew 2": ["PC2"], "Crew 1": ["PC2"]}) == [
        "done",
        "not done",
    ]


# --------------------------------------------------------------------------- compliance_table


def matched(statuses, delivered, **cols) -> pd.DataFrame:
    n = len(statuses)
    m = plan(n)
    m["status"] = statuses
    m["delivered_minutes"] = [float(d) for d in delivered]
    for k, v in cols.items():
        m[k] = v
    return m


def test_compliance_shares_by_hand():
    m = matched(["done", "partly", "not done", "not done"], [20, 6, 1, 0], fence_id="A")
    t = compliance_table(m).iloc[0]
    assert (t["planned"], t["done"], t["partly"], t["not_done"]) == (4, 1, 1, 2)
    assert_allclose(t["planned_minutes"], 60.0)
    assert_allclose(t["delivered_minutes"], 15 + 6 + 1 + 0)  # the 20 capped at 15
    assert_allclose(t["compliance"], 22 / 60)
    assert_allclose(t["taskings_done_share"], 1 / 4)
    assert_allclose(t["delivered_share"], 2 / 4)
    one = compliance_table(matched(["not done", "done", "partly"], [0, 15, 3])).iloc[0]
    assert (one["done"], one["partly"], one["not_done"]) == (1, 1, 1)
    out = compliance_table(m)
    assert {out[c].dtype for c in ("done", "partly", "not_done")} == {np.dtype(np.int64)}


def test_meeting_the_target_exactly_meets_it():
    m = matched(["partly"], [13.5])  # 13.5 / 15 = 0.9
    assert bool(compliance_table(m, target_compliance=0.9)["meets_target"].iloc[0])
    assert not compliance_table(m, target_compliance=0.91)["meets_target"].iloc[0]
    assert bool(compliance_table(matched(["done"], [15]), target_compliance=1)["meets_target"][0])


@pytest.mark.parametrize("bad", [0, 1.5, -0.2, "ninety", None])
def test_a_target_outside_zero_to_one_is_refused(bad):
    with pytest.raises(HspworkError, match=r"give a share in \(0, 1\], e\.g\. 0\.9"):
        compliance_table(matched(["done"], [15]), target_compliance=bad)


def test_groups_sorted_and_missing_keys_kept():
    m = matched(["done", "not done", "done"], [15, 0, 15], fence_id=["B", "A", "B"])
    m["team"] = ["Crew 2", None, "Crew 2"]
    t = compliance_table(m)
    assert t["fence_id"].tolist() == ["A", "B"]
    assert t["planned"].tolist() == [1, 2]
    by_team = compliance_table(m, "team")
    assert len(by_team) == 2 and by_team["team"].isna().sum() == 1
    both = compliance_table(m, ["fence_id", "team"])
    assert both[["fence_id", "planned"]].values.tolist() == [["A", 1], ["B", 2]]


def test_by_officer_uses_the_plan_then_who_delivered():
    m = matched(["done", "not done", "partly"], [15, 0, 5])
    m["delivered_by"] = ["PC2", None, "PC3"]
    # no officer in the plan: who delivered, "unassigned" for nobody
    t = compliance_table(m, "officer").set_index("officer")
    assert t["planned"].to_dict() == {"PC2": 1, "PC3": 1, "unassigned": 1}
    # an officer column that is all missing is no plan of officers either
    t2 = compliance_table(m.assign(officer=None), "officer")
    assert t2["officer"].tolist() == ["PC2", "PC3", "unassigned"]
    # a plan naming officers wins over who delivered; its gaps are "unassigned"
    named = m.assign(officer=["PC1", "PC1", None])
    t3 = compliance_table(named, "officer").set_index("officer")
    assert t3["planned"].to_dict() == {"PC1": 2, "unassigned": 1}


def test_weeks_begin_on_monday():
    # Sunday 7 September belongs to the week of Monday 1 September; Monday 8 starts the next
    m = matched(["done", "not done", "done"], [15, 0, 15])
    m["date"] = ["2025-09-01", "2025-09-07", "2025-09-08"]
    w = weekly_performance(m, 0.5)
    assert [str(d) for d in w["week"]] == ["2025-09-01", "2025-09-08"]
    assert w["planned"].tolist() == [2, 1]
    assert_allclose(w["compliance"], [0.5, 1.0])
    assert w["meets_target"].tolist() == [True, True]
    assert (w["target_compliance"] == 0.5).all()


def test_the_weekly_figure_in_percent_with_its_target():
    m = matched(["done", "partly", "done"], [15, 6, 15])
    m["date"] = ["2025-09-01", "2025-09-02", "2025-09-08"]
    w = weekly_performance(m, 0.75)
    fig = plot_weekly(w)
    # the briefing's figure: a wide strip, the target a thin red line
    assert tuple(fig.get_size_inches()) == (8.0, 3.5)
    ax = fig.axes[0]
    assert not ax.get_legend().get_frame_on()
    compliance, done, target = ax.lines
    assert target.get_linewidth() == 1 and target.get_color() == "tab:red"
    assert_allclose(compliance.get_ydata(), [100 * 21 / 30, 100.0])
    assert_allclose(done.get_ydata(), [50.0, 100.0])
    assert_allclose(target.get_ydata(), [75.0, 75.0])
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "target 75%"
    assert ax.get_ylim() == (0.0, 105.0)
    # the target given wins over the table's; a table without one draws none
    ax = plot_weekly(w, 0.9).axes[0]
    assert_allclose(ax.lines[2].get_ydata(), [90.0, 90.0])
    assert len(plot_weekly(w.drop(columns="target_compliance")).axes[0].lines) == 2
    one_week = weekly_performance(m.iloc[:2], 0.6)
    assert_allclose(plot_weekly(one_week).axes[0].lines[2].get_ydata(), [60.0, 60.0])


# --------------------------------------------------------------------------- tasking_windows


def test_windows_per_eligible_officer_in_time_order():
    p = plan(3, officer=[None, "PC7", None])
    p["planned_start"] = [T + mins(60), T, T + mins(60)]
    p["tasking_id"] = ["T2", "T1", "T0"]
    w = tasking_windows(p, before_minutes=10, after_minutes=20,
                        team_roster={"Crew 1": ["PC2", "PC1", "PC2"]})  # fmt: skip
    assert w[["tasking_id", "officer"]].values.tolist() == [
        ["T1", "PC7"], ["T0", "PC1"], ["T0", "PC2"], ["T2", "PC1"], ["T2", "PC2"],
    ]  # fmt: skip
    assert (w.loc[w["tasking_id"] == "T1", "window_start"] == T - mins(10)).all()
    assert (w.loc[w["tasking_id"] == "T1", "window_end"] == T + mins(20)).all()
    assert (w["minutes"] == 15.0).all() and w["fence_id"].eq("A").all()
    # the columns an analyst reads, and nothing carried over from the roster's own index
    columns = ["tasking_id", "fence_id", "officer", "window_start", "window_end", "minutes"]
    assert list(w.columns) == columns
    # no roster: the named officer, and anyone of `officers` for the rest
    w2 = tasking_windows(p, officers=["PC5"])
    assert sorted(map(tuple, w2[["tasking_id", "officer"]].values.tolist())) == [
        ("T0", "PC5"), ("T1", "PC7"), ("T2", "PC5"),
    ]  # fmt: skip
    # a plan indexed by its tasking ids (kept as a column too) gives the same windows
    indexed = p.set_index("tasking_id", drop=False)
    pd.testing.assert_frame_equal(tasking_windows(indexed, officers=["PC5"]), w2)
    # a roster frame says the same as the dict
    frame = pd.DataFrame({"officer": ["PC1", "PC2"], "team": ["Crew 1", "Crew 1"]})
    pd.testing.assert_frame_equal(
        tasking_windows(p, before_minutes=10, after_minutes=20, team_roster=frame), w
    )


# --------------------------------------------------------------------------- exception_report


def pings(*rows, crs="EPSG:27700") -> pd.DataFrame:
    """Pings from (officer, minutes after T, x, y[, source])."""
    out = pd.DataFrame(
        {
            "officer": [r[0] for r in rows],
            "time": [T + (r[1] if isinstance(r[1], pd.Timedelta) else mins(r[1])) for r in rows],
            "x": [float(r[2]) for r in rows],
            "y": [float(r[3]) for r in rows],
        }
    )
    if rows and len(rows[0]) > 4:
        out["source"] = [r[4] for r in rows]
    out["crs"] = crs
    return out


def test_the_planned_window_includes_its_first_and_last_instant():
    ns = pd.Timedelta(1, "ns")
    m = matched(["not done"], [0], officer="PC1")
    for at, heard in ((0, True), (15, True), (-ns, False), (mins(15) + ns, False)):
        ex = exception_report(m, pings(("PC1", at, 50, 50)), FENCES).iloc[0]
        assert bool(ex["device_silent"]) is (not heard), at
        assert ex["pings_in_window"] == int(heard)
    # a margin widens it both ways
    early = pings(("PC1", -4, 50, 50), ("PC1", 19, 50, 50))
    assert exception_report(m, early, FENCES)["pings_in_window"].iloc[0] == 0
    assert exception_report(m, early, FENCES, margin_minutes=5)["pings_in_window"].iloc[0] == 2
    # to the nanosecond: 5 minutes before the start and after the end are in, 1 ns more is not
    edges = pings(("PC1", -mins(5), 50, 50), ("PC1", mins(20), 50, 50),
                  ("PC1", -mins(5) - ns, 50, 50), ("PC1", mins(20) + ns, 50, 50))  # fmt: skip
    assert exception_report(m, edges, FENCES, margin_minutes=5)["pings_in_window"].iloc[0] == 2


def test_who_is_expected_and_who_was_heard():
    m = matched(["not done", "partly", "not done"], [0, 3, 0])
    m["delivered_by"] = [None, "PC9", None]
    m["team"] = ["Crew 1", "Crew 9", "Crew 8"]
    p = pings(("PC1", 1, 150, 50), ("PC2", 2, 120, 50), ("PC9", 65, 400, 50))
    ex = exception_report(m, p, FENCES, team_roster={"Crew 1": ["PC1", "PC2", "PC3"]})
    first, second, third = (ex.iloc[i] for i in range(3))
    # Crew 1: three expected, two heard (closest 20 m from A's edge), one silent
    assert (first["officers_expected"], first["officers_heard"], first["officers_silent"]) == (
        3,
        2,
        1,
    )
    assert first["pings_in_window"] == 2 and not first["device_silent"]
    assert_allclose(first["closest_m"], 20.0)
    assert first["reason"] == "device heard elsewhere: not at the spot"
    assert first["cause"] == "missed patrol"
    # no roster for Crew 9: the officer who part-delivered is expected, heard 300 m away
    assert (second["officers_expected"], second["officers_heard"]) == (1, 1)
    assert_allclose(second["closest_m"], 300.0)
    assert second["reason"] == "visited outside the planned window (device elsewhere during it)"
    assert second["cause"] == "outside the window"
    # nobody known
    assert third["officers_expected"] == 0 and not third["device_silent"]
    assert third["pings_in_window"] == 0 and third["officers_heard"] == 0
    assert third["reason"] == "no officer known for this tasking"
    assert third["cause"] == "no officer known"
    assert np.isnan(third["closest_m"])
    # part-delivered, and heard half a metre outside the fence during the window: elsewhere
    near = exception_report(m.iloc[[1]], pings(("PC9", 65, 100.5, 50)), FENCES).iloc[0]
    assert_allclose(near["closest_m"], 0.5)
    assert near["reason"] == "visited outside the planned window (device elsewhere during it)"
    # part-delivered and heard at the spot during the window: there, but too briefly
    there = exception_report(m.iloc[[1]], pings(("PC9", 65, 50, 50)), FENCES).iloc[0]
    assert there["reason"] == "device heard at the spot but too briefly"
    # partly done taskings can be left out
    quiet = exception_report(m, p, FENCES, include_partly=False)
    assert quiet["tasking_id"].tolist() == ["T1", "T3"]
    assert set(CAUSES.values()) >= set(ex["cause"])


def test_an_officer_column_with_nobody_named_falls_back_to_the_team():
    m = matched(["not done"], [0], officer=[None])
    ex = exception_report(m, pings(("PC2", 5, 150, 50)), FENCES, team_roster={"Crew 1": ["PC2"]})
    assert (ex["officers_expected"][0], ex["officers_heard"][0]) == (1, 1)
    assert_allclose(ex["closest_m"], [50.0])


def test_heard_at_the_spot_and_nothing_to_report():
    m = matched(["not done"], [0], officer="PC1")
    ex = exception_report(m, pings(("PC1", 5, 50, 50), ("PC1", 6, 300, 50)), FENCES).iloc[0]
    assert ex["closest_m"] == 0.0 and ex["pings_in_window"] == 2
    assert ex["reason"] == "device heard at the spot but too briefly"
    # half a metre outside is not at the spot
    off = exception_report(m, pings(("PC1", 5, 100.5, 50)), FENCES).iloc[0]
    assert_allclose(off["closest_m"], 0.5)
    assert off["reason"] == "device heard elsewhere: not at the spot"
    none = exception_report(matched(["done"], [15], officer="PC1"), pings(("PC1", 5, 0, 0)), FENCES)
    assert none.empty and {"reason", "cause", "closest_m"} <= set(none.columns)


def test_the_exception_columns_and_the_warning_at_the_callers_line():
    m = matched(["not done"], [0], officer="PC1")
    m.index = [7]  # the plan's own index is not carried into the report
    ex = exception_report(m, pings(("PC1", 5, 50, 50)), FENCES)
    assert list(ex.columns) == [
        *m.columns, "officers_expected", "officers_heard", "pings_in_window", "closest_m",
        "fault", "officers_silent", "device_silent", "reason", "cause",
    ]  # fmt: skip
    assert list(ex.index) == [0]
    # delivered visits indexed by officer (kept as a column too) match the same
    v = visits(("PC1", "A", 0, 15), ("PC2", "A", 3, 4))
    pd.testing.assert_frame_equal(
        match_visits(plan(), v.set_index("officer", drop=False)), match_visits(plan(), v)
    )
    p = pings(("PC1", 5, -1.0, 53.0), crs="EPSG:4326")
    with pytest.warns(CRSMismatchWarning, match="converted the pings") as caught:
        exception_report(m, p, FENCES)
    assert caught[0].filename == __file__


def test_an_open_start_version_before_a_later_one():
    # A's first version has no start (NaT); the wide one begins at 08:30. At 08:00 the narrow
    # square is in force (a ping at x = 400 is 300 m off), at 09:00 the wide one (inside).
    fences = gpd.GeoDataFrame(
        {"fence_id": ["A", "A"], "valid_from": pd.to_datetime([T + mins(30), pd.NaT], utc=True)},
        geometry=[box(0, 0, 500, 100), box(0, 0, 100, 100)],
        crs=27700,
    )
    m = matched(["not done", "not done"], [0, 0], officer="PC1")
    p = pings(("PC1", 1, 400, 50), ("PC1", 61, 400, 50))
    ex = exception_report(m, p, fences)
    assert_allclose(ex["closest_m"], [300.0, 0.0])
    # a fence with only a later version is measured against it before it began, too
    later = fences.iloc[[0]]
    assert_allclose(exception_report(m, p, later)["closest_m"], [0.0, 0.0])


FAULT_COLS = ["fence_id", "source", "kind", "note", "dx_m", "dy_m", "strength"]


def faults(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=FAULT_COLS)


OFFSET = ("A", "app", "offset", "catchment +200 m", 200.0, 0.0, "strong")
SILENCE = ("A", "radio", "silence", "radio silent at this spot", 0.0, 0.0, "moderate")


def test_an_offset_device_judged_against_its_widened_catchment():
    m = matched(["not done"], [0], officer="PC1")
    # 150 m east of A's edge: inside A moved 200 m east, so a location fault, not a miss
    p = pings(("PC1", 5, 250, 50, "app"))
    ex = exception_report(m, p, FENCES, faults=faults(OFFSET)).iloc[0]
    assert ex["closest_m"] == 0.0 and ex["fault"] == "catchment +200 m"
    assert ex["reason"] == "location data fault suspected (catchment +200 m)"
    assert ex["cause"] == "location data fault"
    # 100 m beyond the widened catchment: still a miss, measured to the widened edge
    far = exception_report(m, pings(("PC1", 5, 400, 50, "app")), FENCES, faults=faults(OFFSET))
    assert_allclose(far["closest_m"], [100.0])
    assert far["reason"].iloc[0] == "device heard elsewhere: not at the spot"
    # the fence's own catchment widens it further: 20 m beyond, with a 25 m buffer inside
    buffered = FENCES.assign(buffer_m=[25.0, 0.0])
    near = exception_report(m, pings(("PC1", 5, 320, 50, "app")), buffered, faults=faults(OFFSET))
    assert near["closest_m"].iloc[0] == 0.0
    plain = exception_report(m, pings(("PC1", 5, 320, 50, "app")), FENCES, faults=faults(OFFSET))
    assert_allclose(plain["closest_m"], [20.0])
    # a fence with no catchment given is widened by nothing: half a metre inside is inside
    unknown = FENCES.assign(buffer_m=[np.nan, 0.0])
    edge = pings(("PC1", 5, 299.5, 50, "app"))
    assert exception_report(m, edge, unknown, faults=faults(OFFSET))["closest_m"].iloc[0] == 0.0
    beyond = pings(("PC1", 5, 300.5, 50, "app"))
    assert_allclose(exception_report(m, beyond, unknown, faults=faults(OFFSET))["closest_m"], [0.5])


def test_only_the_faulty_device_is_widened():
    m = matched(["not done"], [0], officer="PC1")
    # the app ping 100 m beyond the widened catchment, the radio 150 m from A itself
    p = pings(("PC1", 5, 400, 50, "app"), ("PC1", 6, 250, 50, "radio"))
    ex = exception_report(m, p, FENCES, faults=faults(OFFSET)).iloc[0]
    assert_allclose(ex["closest_m"], 100.0)
    # an officer carrying only a radio gets no widening and no fault
    radio = pings(("PC1", 5, 250, 50, "radio"))
    ex = exception_report(m, radio, FENCES, faults=faults(OFFSET)).iloc[0]
    assert_allclose(ex["closest_m"], 150.0)
    assert ex["fault"] == ""
    # weak evidence is no known fault; a fault at another fence is not this one's
    weak = faults((*OFFSET[:-1], "weak"))
    assert exception_report(m, p, FENCES, faults=weak)["fault"].iloc[0] == ""
    other = faults(("B", *OFFSET[1:]))
    assert_allclose(exception_report(m, p, FENCES, faults=other)["closest_m"], [150.0])


def test_the_widening_is_in_metres_in_a_crs_of_feet():
    fences = gpd.GeoDataFrame(
        {"fence_id": ["A"], "buffer_m": [25.0]},
        geometry=[box(1e6, 2e5, 1e6 + 100 * FT, 2e5 + 100 * FT)],
        crs=2263,
    )
    m = matched(["not done"], [0], officer="PC1")
    p = pings(("PC1", 5, 1e6 + 320 * FT, 2e5 + 50 * FT, "app"), crs="EPSG:2263")
    assert exception_report(m, p, fences, faults=faults(OFFSET))["closest_m"].iloc[0] == 0.0
    # an offset to the north, in metres too: 150 m north of A is inside it moved 200 m north
    north = faults(("A", "app", "offset", "catchment +200 m", 0.0, 200.0, "strong"))
    up = pings(("PC1", 5, 1e6 + 50 * FT, 2e5 + 250 * FT, "app"), crs="EPSG:2263")
    assert exception_report(m, up, fences.assign(buffer_m=0.0), faults=north)["closest_m"][0] == 0
    up2 = pings(("PC1", 5, 1e6 + 50 * FT, 2e5 + 310 * FT, "app"), crs="EPSG:2263")
    assert_allclose(
        exception_report(m, up2, fences.assign(buffer_m=0.0), faults=north)["closest_m"],
        [10.0],
        rtol=1e-6,
    )
    p2 = pings(("PC1", 5, 1e6 + 345 * FT, 2e5 + 50 * FT, "app"), crs="EPSG:2263")
    assert_allclose(
        exception_report(m, p2, fences, faults=faults(OFFSET))["closest_m"], [20.0], rtol=1e-6
    )


def test_a_silent_radio_at_a_dead_spot():
    m = matched(["not done", "not done", "not done"], [0, 0, 0], officer="PC1")
    p = pings(
        ("PC1", 65, 400, 50, "radio"), ("PC1", 125, 50, 50, "radio"), ("PC1", 300, 0, 0, "radio")
    )
    # heard half a metre outside the fence: not at the spot, so the dead spot is suspected
    half = exception_report(m.iloc[[1]], pings(("PC1", 65, 100.5, 50, "radio")), FENCES,
                            faults=faults(SILENCE))  # fmt: skip
    assert half["reason"].iloc[0] == "location data fault suspected (radio silent at this spot)"
    ex = exception_report(m, p, FENCES, faults=faults(SILENCE))
    # T1 silent, T2 heard 300 m off, T3 heard at the spot too briefly
    assert ex["reason"].tolist() == [
        "location data fault suspected (radio silent at this spot)",
        "location data fault suspected (radio silent at this spot)",
        "device heard at the spot but too briefly",
    ]
    assert ex["cause"].tolist() == ["location data fault", "location data fault", "missed patrol"]
    assert (ex["fault"] == "radio silent at this spot").all()
    # nobody expected: no device to suspect
    nobody = matched(["not done"], [0])
    ex = exception_report(nobody, p, FENCES, faults=faults(SILENCE)).iloc[0]
    assert ex["reason"] == "no officer known for this tasking"


def test_a_corrected_figure_keeps_its_reason_and_says_so():
    m = matched(["not done", "not done"], [0, 0], officer="PC1")
    m["figure"] = ["corrected: catchment +200 m", "measured"]
    m["fence_id"] = ["A", "A"]
    p = pings(("PC1", 5, 400, 50, "app"), ("PC1", 65, 250, 50, "app"))
    ex = exception_report(m, p, FENCES, faults=faults(OFFSET))
    assert ex["reason"].tolist() == [
        "device heard elsewhere: not at the spot (location corrected: catchment +200 m)",
        "location data fault suspected (catchment +200 m)",
    ]
    assert ex["cause"].tolist() == ["missed patrol", "location data fault"]
    # at a corrected hot spot, an officer whose device has no fault there: no correction noted
    radio = pings(("PC1", 5, 400, 50, "radio"))
    ex = exception_report(m.iloc[[0]], radio, FENCES, faults=faults(OFFSET)).iloc[0]
    assert ex["reason"] == "device heard elsewhere: not at the spot" and ex["fault"] == ""


def test_an_officer_with_two_faulty_devices_gets_the_first_listed_fault():
    m = matched(["not done"], [0], officer="PC1")
    p = pings(("PC1", 5, 250, 50, "app"), ("PC1", 6, 600, 50, "radio"))
    ex = exception_report(m, p, FENCES, faults=faults(OFFSET, SILENCE)).iloc[0]
    assert ex["fault"] == "catchment +200 m"
    assert ex["reason"] == "location data fault suspected (catchment +200 m)"


def test_a_fault_for_one_of_the_team_marks_the_tasking():
    m = matched(["not done"], [0])
    p = pings(("PC1", 5, 250, 50, "app"), ("PC2", 5, 600, 50, "radio"))
    ex = exception_report(m, p, FENCES, faults=faults(OFFSET),
                          team_roster={"Crew 1": ["PC2", "PC1"]}).iloc[0]  # fmt: skip
    assert ex["fault"] == "catchment +200 m" and ex["closest_m"] == 0.0
    assert ex["cause"] == "location data fault"


# --------------------------------------------------------------------------- FaultCorrection


PROPOSALS = pd.DataFrame(
    {
        "fence_id": ["A", "A", "B", "C"],
        "source": ["app", "radio", "app", "app"],
        "kind": ["offset", "silence", "offset", "offset"],
        "note": ["catchment +100 m", "radio silent at this spot", "catchment +50 m", "x"],
        "strength": ["moderate", "strong", "moderate", "weak"],
        "evidence": ["4 clusters", "6 silences", "2 clusters", "1 cluster"],
        "headline": ["measured", "corrected", "measured", "measured"],
    }
)


def correction() -> FaultCorrection:
    raw = matched(["not done", "done", "done"], [0, 20, 15], fence_id=["A", "B", "C"])
    cor = matched(["done", "done", "done"], [15, 20, 15], fence_id=["A", "B", "C"])
    head = cor.copy()
    head["figure"] = ["corrected: radio silent at this spot", "measured", "measured"]
    return FaultCorrection(
        proposals=PROPOSALS, evidence={}, raw=None, corrected=None, matched_raw=raw,
        matched_corrected=cor.assign(delivered_minutes=[10.0, 20, 15]), matched=head,
        dwell=None, rule="the rule.",
    )  # fmt: skip


def test_by_fence_side_by_side():
    bf = correction().by_fence().set_index("fence_id")
    assert_allclose(bf["compliance_measured"], [0.0, 1.0, 1.0])
    assert_allclose(bf["compliance_corrected"], [10 / 15, 1.0, 1.0])
    assert_allclose(bf["compliance"], [1.0, 1.0, 1.0])
    assert bf["figure"].tolist() == ["corrected: radio silent at this spot", "measured", "measured"]
    # the strongest proposal of moderate or more per hot spot; C's weak one is none
    assert bf["fault"].tolist() == ["radio silent at this spot", "catchment +50 m", ""]
    assert bf["strength"].tolist() == ["strong", "moderate", ""]
    assert bf["evidence"].tolist() == ["6 silences", "2 clusters", ""]
    assert bf["planned"].tolist() == [1, 1, 1]


def test_exception_notes_and_summary_in_words():
    fc = correction()
    assert fc.exception_notes() == [
        "A: location data fault suspected (radio silent at this spot): 6 silences; "
        "the corrected figure is shown.",
        "B: location data fault suspected (catchment +50 m): 2 clusters; the measured figure "
        "is shown until the evidence is strong; test on the ground.",
    ]
    # measured 30 of 45 (B's 20 capped at 15), corrected 40 of 45, headline 45 of 45
    assert fc.summary() == (
        "planned minutes delivered: 67% as measured, 89% with location faults corrected; the "
        "headline shows 100%, corrected at A (strong evidence only).\nthe rule."
    )
    none = FaultCorrection(**{**fc.__dict__, "proposals": PROPOSALS.assign(headline="measured")})
    assert "corrected at no hot spot (strong evidence only)" in none.summary()
    with pytest.raises(AttributeError):
        fc.matched = fc.matched_raw  # frozen: the headline cannot be swapped afterwards
    # a result is itself only: compared by identity and usable as a key, as tables are not
    assert fc == fc and fc != correction() and {fc: 1}[fc] == 1


def result(rows, basis: str | None = None) -> DwellResult:
    """A dwell result from (visit_id, officer, fence, start minutes, minutes)."""
    v = pd.DataFrame(
        {
            "visit_id": [r[0] for r in rows],
            "officer": [r[1] for r in rows],
            "fence_id": [r[2] for r in rows],
            "start": [T + mins(r[3]) for r in rows],
            "end": [T + mins(r[3] + r[4]) for r in rows],
            "minutes": [float(r[4]) for r in rows],
            "n_pings": 2,
            "mean_speed_mps": 0.5,
        }
    )
    if basis is not None:
        v["basis"], v["correction"] = basis, "catchment +100 m"
    runs = v[["visit_id", "officer", "fence_id", "start", "end", "minutes", "n_pings"]].copy()
    officers = pd.DataFrame({"officer": ["PC1"], "observed_minutes": [60.0],
                             "unobserved_minutes": [0.0]})  # fmt: skip
    return DwellResult(v, runs, officers, ("A", "B"), {"max_gap_minutes": {"app": 5}})


def test_headline_visits_corrected_at_strong_hot_spots_only():
    cor = result([(0, "PC1", "A", 0, 15), (1, "PC1", "A", 30, 5), (2, "PC1", "B", 10, 9)],
                 basis="widened catchment")  # fmt: skip
    # the measured B visits numbered 0 and 2, so ids that were not moved past the corrected
    # ones (0 and 1) would collide
    raw = result([(0, "PC1", "B", 10, 7), (1, "PC1", "A", 0, 4), (2, "PC1", "B", 50, 3)])
    head = _headline_dwell(raw, cor, {"A"})
    v = head.visits
    # in the officer's time order: A 08:00 (corrected), B 08:10 (measured), A 08:30, B 08:50
    assert v["visit_id"].tolist() == [0, 1, 2, 3]
    assert v["fence_id"].tolist() == ["A", "B", "A", "B"]
    assert v["minutes"].tolist() == [15.0, 7.0, 5.0, 3.0]
    assert v["basis"].tolist() == ["widened catchment", "measured", "widened catchment", "measured"]
    assert v["correction"].tolist() == ["catchment +100 m", "", "catchment +100 m", ""]
    # each run stays with its own visit
    runs = head.runs.merge(v[["visit_id", "start", "minutes"]], on="visit_id", suffixes=("", "_v"))
    assert len(runs) == 4 and (runs["start"] == runs["start_v"]).all()
    assert (runs["minutes"] == runs["minutes_v"]).all()
    assert head.rule["headline_corrected_at"] == ["A"]
    # nothing strong: the measured visits, as they were
    plain = _headline_dwell(raw, cor, set())
    assert plain.visits["minutes"].tolist() == [4.0, 7.0, 3.0]
    assert plain.visits["fence_id"].tolist() == ["A", "B", "B"]
    assert plain.visits["visit_id"].tolist() == [0, 1, 2]


def test_options_are_keyword_only():
    p, v = plan(), visits(("PC1", "A", 0, 15))
    with pytest.raises(TypeError):
        match_visits(p, v, 30.0)
    with pytest.raises(TypeError):
        tasking_windows(p, 30.0)
    m = matched(["not done"], [0], officer="PC1")
    with pytest.raises(TypeError):
        exception_report(m, pings(("PC1", 5, 50, 50)), FENCES, None)
    with pytest.raises(TypeError):
        compliance_table(m, "fence_id", 0.9, 0.5)
    with pytest.raises(TypeError):
        weekly_performance(m, 0.9, 0.5)
    from hspwork.tasking import correct_location_faults

    with pytest.raises(TypeError):
        correct_location_faults(p, pings(("PC1", 5, 50, 50)), FENCES, None)
    with pytest.raises(TypeError):
        plot_weekly(weekly_performance(m), 0.9, 0.5)


def test_correction_measures_in_the_fences_catchment_by_default():
    # PC1's app pings a minute apart for 20 minutes, 20 m east of A: outside the square,
    # inside its 30 m catchment. By default the catchment counts, as the programme's fences
    # are drawn to be widened (tracking.dwell's catchment=True).
    from hspwork.tasking import correct_location_faults

    fences = FENCES.iloc[[0]].assign(buffer_m=30.0)
    t = [T + mins(k) for k in range(21)]
    p = pd.DataFrame({"officer": "PC1", "time": t, "x": 120.0, "y": 50.0, "source": "app"})
    p["crs"] = "EPSG:27700"
    fc = correct_location_faults(plan(officer="PC1"), p, fences, max_gap_minutes=5)
    assert fc.matched_raw["status"].astype(str).tolist() == ["done"]
    assert_allclose(fc.matched_raw["delivered_minutes"], [20.0])
    none = correct_location_faults(plan(officer="PC1"), p, fences, catchment=False,
                                   max_gap_minutes=5)  # fmt: skip
    assert none.matched_raw["status"].astype(str).tolist() == ["not done"]
    # and visits may begin up to 60 minutes late by default: 61 is too late
    late = p.assign(time=p["time"] + mins(61))
    fc = correct_location_faults(plan(officer="PC1"), late, fences, max_gap_minutes=5)
    assert fc.matched_raw["status"].astype(str).tolist() == ["not done"]
    assert len(fc.raw.visits) == 1
    # and up to 30 minutes early: exactly 30 counts, 31 does not
    for early, want in ((30, "done"), (31, "not done")):
        fc = correct_location_faults(plan(officer="PC1"), p.assign(time=p["time"] - mins(early)),
                                     fences, max_gap_minutes=5)  # fmt: skip
        assert fc.matched_raw["status"].astype(str).tolist() == [want], early


def test_the_correction_merges_visits_less_than_two_minutes_apart_by_default():
    # inside the catchment at minutes 0-5 and 8-20, 400 m off at 6 and 7. Time is credited to
    # the midpoints between pings: visits 08:00-08:05:30 and 08:07:30-08:20, 2 minutes apart,
    # which is not less than the default 2: two visits, 5.5 and 12.5 minutes. Allowing 2.5
    # minutes joins them into one of 18 (the 2 minutes away are not credited).
    from hspwork.tasking import correct_location_faults

    fences = FENCES.iloc[[0]].assign(buffer_m=30.0)
    ks = range(21)
    p = pd.DataFrame({"officer": "PC1", "time": [T + mins(k) for k in ks],
                      "x": [400.0 if k in (6, 7) else 120.0 for k in ks], "y": 50.0,
                      "source": "app", "crs": "EPSG:27700"})  # fmt: skip
    fc = correct_location_faults(plan(officer="PC1"), p, fences, max_gap_minutes=5)
    assert fc.raw.visits["minutes"].tolist() == [5.5, 12.5]
    assert fc.raw.visits["end"].iloc[0] == T + mins(5.5)
    assert "lasts at least 2 minutes" in fc.rule  # pass-bys under 2 minutes are dropped
    joined = correct_location_faults(plan(officer="PC1"), p, fences, max_gap_minutes=5,
                                     merge_within_minutes=2.5)  # fmt: skip
    assert joined.raw.visits["minutes"].tolist() == [18.0]
    # away at minute 6 only: visits 08:00-08:05:30 and 08:06:30-08:20, 1 minute apart, which
    # is less than 2: one visit of 19 minutes
    once = p.assign(x=[400.0 if k == 6 else 120.0 for k in ks])
    fc = correct_location_faults(plan(officer="PC1"), once, fences, max_gap_minutes=5)
    assert fc.raw.visits["minutes"].tolist() == [19.0]


def test_reports_are_written_into_new_folders(tmp_path):
    from hspwork.tasking import write_report

    m = matched(["not done"], [0], officer="PC1")
    path = write_report(m, tmp_path / "week 1" / "exceptions" / "report.csv", key="k" * 32)
    assert path.exists() and "PC1" not in path.read_text()
    assert pd.read_csv(path).columns.tolist() == m.columns.tolist()  # no index column
    with pytest.raises(TypeError):
        write_report(m, tmp_path / "r.csv", ("officer",))
