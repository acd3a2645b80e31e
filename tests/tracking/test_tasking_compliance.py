"""Planned against delivered visits, compliance tables and exception reports, by hand."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose
from shapely.geometry import box

from hspwork.errors import CRSError, CRSMismatchWarning, HspworkError, SchemaError
from hspwork.privacy import pseudonymise
from hspwork.tasking import (
    compliance_table,
    exception_report,
    match_visits,
    plot_weekly,
    tasking_windows,
    weekly_performance,
    write_report,
)

T = pd.Timestamp("2025-09-01 08:00", tz="UTC")
FENCES = gpd.GeoDataFrame(
    {"fence_id": ["A", "B"]}, geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)], crs=27700
)


def mins(k):
    return pd.Timedelta(minutes=k)


def plan():
    return pd.DataFrame(
        {
            "tasking_id": ["T1", "T2", "T3", "T4", "T5"],
            "fence_id": ["A", "A", "B", "B", "A"],
            "date": ["2025-09-01", "2025-09-01", "2025-09-01", "2025-09-01", "2025-09-08"],
            "shift": ["early", "late", "early", "late", "early"],
            "planned_start": [
                T,
                T + mins(480),
                T + mins(60),
                T + mins(540),
                T + pd.Timedelta(days=7),
            ],
            "minutes": 15.0,
            "team": ["Crew 1", "Crew 1", "Crew 2", "Crew 2", "Crew 1"],
        }
    )


def visits():
    # T1: 10 + 3 min (two visits); T3: a 20-minute visit 40 minutes early (outside the
    # 30-minute window) and a 1-minute pass 40 minutes late; T4: nothing; T5: 14 minutes
    # starting 50 minutes late
    return pd.DataFrame(
        {
            "officer": ["PC1", "PC1", "PC2", "PC2", "PC1"],
            "fence_id": ["A", "A", "B", "B", "A"],
            "start": [
                T + mins(5),
                T + mins(20),
                T + mins(20),
                T + mins(100),
                T + pd.Timedelta(days=7) + mins(50),
            ],
            "minutes": [10.0, 3.0, 20.0, 1.0, 14.0],
        }
    )


def test_match_statuses_by_hand():
    v = visits()
    v.loc[1, "start"] = T + mins(480 + 2)  # the 3-minute visit belongs to T2 instead
    v.loc[1, "minutes"] = 4.0
    m = match_visits(plan(), v).set_index("tasking_id")
    # T1: 10 minutes: partly (>= 2, < 12); T2: 4 minutes partly; T3: visit 40 min early is
    # outside the 30-minute window, and the 1-minute one 40 min late is a pass (< 2 min)
    assert m.loc["T1", "status"] == "partly" and m.loc["T1", "delivered_minutes"] == 10.0
    assert m.loc["T2", "status"] == "partly" and m.loc["T2", "delivered_minutes"] == 4.0
    assert m.loc["T3", "status"] == "not done" and m.loc["T3", "delivered_minutes"] == 1.0
    assert m.loc["T4", "status"] == "not done" and m.loc["T4", "delivered_visits"] == 0
    assert m.loc["T5", "status"] == "done" and m.loc["T5", "delivered_by"] == "PC1"
    assert not [c for c in m.columns if c.startswith("_")]  # no working columns left behind
    m2 = match_visits(plan(), v, done_share=0.6).set_index("tasking_id")  # 10 >= 9
    assert m2.loc["T1", "status"] == "done"
    # a team restriction removes visits by officers of other teams
    roster = {"Crew 1": ["PC2"], "Crew 2": ["PC2"]}
    m3 = match_visits(plan(), v, team_roster=roster)
    assert (m3.set_index("tasking_id").loc[["T1", "T2", "T5"], "status"] == "not done").all()
    # the roster as a frame (officer, team) says the same; the old name still works
    frame = pd.DataFrame({"officer": ["PC2", "PC2"], "team": ["Crew 1", "Crew 2"]})
    pd.testing.assert_frame_equal(match_visits(plan(), v, team_roster=frame), m3)
    with pytest.warns(FutureWarning, match=r"match_visits\(team_members=\.\.\.\).*team_roster"):
        pd.testing.assert_frame_equal(match_visits(plan(), v, team_members=roster), m3)


def test_two_short_visits_add_up_to_done():
    v = visits()
    v.loc[1, "minutes"] = 3.0  # T1 gets 10 + 3 = 13 >= 12
    m = match_visits(plan(), v).set_index("tasking_id")
    assert m.loc["T1", "status"] == "done" and m.loc["T1", "delivered_visits"] == 2
    assert_allclose(m.loc["T1", "delivered_minutes"], 13.0)


def test_compliance_tables_and_weekly():
    v = visits()
    v.loc[1, "minutes"] = 3.0
    m = match_visits(plan(), v)
    by_team = compliance_table(m, "team", target_compliance=0.9).set_index("team")
    # compliance is minutes delivered / planned, capped at the plan per tasking (glossary):
    # Crew 1 (T1 13, T2 0, T5 14 minutes of 3 x 15) -> 27 / 45; Crew 2 (T3's 1-minute pass)
    assert_allclose(by_team.loc["Crew 1", "compliance"], 27 / 45)
    assert_allclose(by_team.loc["Crew 2", "compliance"], 1 / 30)
    # taskings done / planned: Crew 1: T1 done, T2 not done, T5 done -> 2/3; Crew 2: none
    assert_allclose(by_team.loc["Crew 1", "taskings_done_share"], 2 / 3)
    assert_allclose(by_team.loc["Crew 2", "taskings_done_share"], 0.0)
    assert not by_team["meets_target"].any()
    assert (by_team["target_compliance"] == 0.9).all()
    assert "minutes_ratio" not in by_team.columns and "target" not in by_team.columns
    # a long stay is capped at the plan: 40 minutes on T5 count 15 of 15
    long = m.copy()
    long.loc[long["tasking_id"] == "T5", "delivered_minutes"] = 40.0
    t5 = compliance_table(long[long["tasking_id"] == "T5"], "team").iloc[0]
    assert_allclose(t5["compliance"], 1.0)
    assert bool(t5["meets_target"])
    by_officer = compliance_table(m, "officer").set_index("officer")
    assert by_officer.loc["unassigned", "planned"] == 2  # T2 and T4: nobody came
    assert by_officer.loc["PC2", "planned"] == 1 and by_officer.loc["PC2", "done"] == 0
    assert by_officer.loc["PC1", "done"] == 2
    assert set(compliance_table(m, ["date", "shift"])["shift"]) == {"early", "late"}
    w = weekly_performance(m)
    assert [str(d) for d in w["week"]] == ["2025-09-01", "2025-09-08"]
    assert_allclose(w["compliance"], [14 / 60, 14 / 15])
    assert_allclose(w["taskings_done_share"], [1 / 4, 1.0])
    fig = plot_weekly(w)
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 3
    with pytest.raises(SchemaError, match=r"lack column\(s\) \['nope'\]"):
        compliance_table(m, "nope")
    with pytest.raises(HspworkError, match=r"target_compliance=90: give a share in \(0, 1\]"):
        compliance_table(m, target_compliance=90)


def test_old_target_names_warn_and_still_work():
    m = match_visits(plan(), visits())
    with pytest.warns(FutureWarning, match=r"compliance_table\(target=\.\.\.\).*target_compliance"):
        old = compliance_table(m, "team", target=0.5)
    pd.testing.assert_frame_equal(old, compliance_table(m, "team", target_compliance=0.5))
    with pytest.warns(FutureWarning, match=r"weekly_performance\(target="):
        w = weekly_performance(m, target=0.5)
    assert (w["target_compliance"] == 0.5).all()
    with pytest.warns(FutureWarning, match=r"plot_weekly\(target="):
        plot_weekly(w, target=0.5)
    with pytest.raises(HspworkError, match="not both"), pytest.warns(FutureWarning):
        compliance_table(m, target_compliance=0.8, target=0.5)


def test_exception_report_silent_versus_elsewhere(tmp_path):
    m = match_visits(plan(), visits().iloc[[0, 1, 4]])  # T1, T5 done
    m["officer"] = ["PC1", "PC1", "PC2", "PC3", "PC1"]
    t2 = T + mins(480)
    pings = pd.DataFrame(
        {
            # PC1 heard during T2's window 300 m east of A's edge (x = 400)
            "officer": ["PC1", "PC1", "PC2", "PC2", "PC3"],
            "time": [t2 + mins(1), t2 + mins(9), T + mins(30), T + mins(95), T + mins(600)],
            "x": [400.0, 500.0, 0.0, 0.0, 1050.0],
            "y": [50.0, 50.0, 500.0, 500.0, 50.0],
        }
    )
    with pytest.raises(CRSError, match="pings have no CRS"):
        exception_report(m, pings, FENCES)
    pings["crs"] = "EPSG:27700"
    ex = exception_report(m, pings, FENCES).set_index("tasking_id")
    assert sorted(ex.index) == ["T2", "T3", "T4"]
    assert not ex.loc["T2", "device_silent"] and ex.loc["T2", "pings_in_window"] == 2
    assert_allclose(ex.loc["T2", "closest_m"], 300.0)
    assert ex.loc["T2", "reason"] == "device heard elsewhere: not at the spot"
    # Had T2 been part-delivered (a short visit matched from outside the window), the device
    # being elsewhere during the window means it was visited at another time, not skipped.
    m_partly = m.copy()
    m_partly.loc[m_partly["tasking_id"] == "T2", ["status", "delivered_minutes"]] = ["partly", 6.0]
    ex_partly = exception_report(m_partly, pings, FENCES).set_index("tasking_id")
    assert (
        ex_partly.loc["T2", "reason"]
        == "visited outside the planned window (device elsewhere during it)"
    )
    assert ex_partly.loc["T3", "reason"].startswith("device silent")
    # PC2's pings are at 08:30 and 09:35, outside T3's window 09:00-09:15: silent
    assert ex.loc["T3", "device_silent"] and ex.loc["T3", "officers_silent"] == 1
    assert ex.loc["T3", "reason"].startswith("device silent")
    assert ex.loc["T4", "device_silent"]  # PC3's one ping is at 18:00, T4 is 17:00-17:15
    path = write_report(
        ex.reset_index(), tmp_path / "exceptions.csv", key="test-programme-key-0123456789"
    )
    text = path.read_text()
    assert (
        "PC1" not in text and pseudonymise(["PC1"], key="test-programme-key-0123456789")[0] in text
    )


def test_visit_goes_to_the_nearest_plan_it_is_eligible_for():
    # Two officers each planned at fence A, 20 minutes apart. PC2 arrives 8 minutes after
    # PC1's planned start, 12 minutes before their own: the visit is PC2's, not lost to PC1's.
    p = plan().iloc[[0, 1]].reset_index(drop=True)
    p["planned_start"] = [T, T + mins(20)]
    p["officer"] = ["PC1", "PC2"]
    v = pd.DataFrame(
        {"officer": ["PC2"], "fence_id": ["A"], "start": [T + mins(8)], "minutes": [15.0]}
    )
    m = match_visits(p, v).set_index("tasking_id")
    assert m.loc["T1", "status"] == "not done" and m.loc["T1", "delivered_minutes"] == 0.0
    assert m.loc["T2", "status"] == "done" and m.loc["T2", "delivered_by"] == "PC2"
    # the same with teams: PC2 is in Crew 2, planned 20 minutes after Crew 1 at A
    p2 = p.drop(columns="officer").assign(team=["Crew 1", "Crew 2"])
    m2 = match_visits(p2, v, team_roster={"Crew 1": ["PC1"], "Crew 2": ["PC2"]})
    assert m2.set_index("tasking_id")["status"].astype(str).to_dict() == {
        "T1": "not done",
        "T2": "done",
    }
    # A named officer outside the planned team cannot deliver it
    p3 = p.assign(team=["Crew 1", "Crew 1"])
    m3 = match_visits(p3, v, team_roster={"Crew 1": ["PC1"], "Crew 2": ["PC2"]})
    assert (m3["status"].astype(str) == "not done").all()


def test_asymmetric_window_uses_the_plan_whose_window_holds_the_visit():
    # Window: up to 30 minutes early, 60 late. A visit at 10:40 is 35 minutes early for the
    # 11:15 plan (outside) but 50 minutes late for the 09:50 plan (inside): it is the 09:50's,
    # though 11:15 is nearer.
    p = plan().iloc[[0, 1]].reset_index(drop=True)
    day = pd.Timestamp("2025-09-01", tz="UTC")
    p["planned_start"] = [day + pd.Timedelta("09:50:00"), day + pd.Timedelta("11:15:00")]
    v = pd.DataFrame(
        {
            "officer": ["PC1"],
            "fence_id": ["A"],
            "start": [day + pd.Timedelta("10:40:00")],
            "minutes": [15.0],
        }
    )
    m = match_visits(p, v).set_index("tasking_id")
    assert m.loc["T1", "status"] == "done" and m.loc["T1", "delivered_minutes"] == 15.0
    assert m.loc["T2", "status"] == "not done"
    # a tie (equal distance either side, both windows) goes to the earlier plan
    v2 = v.assign(start=[day + pd.Timedelta("10:30:00")], minutes=[15.0])
    p2 = p.assign(planned_start=[day + pd.Timedelta("10:00:00"), day + pd.Timedelta("11:00:00")])
    m2 = match_visits(p2, v2).set_index("tasking_id")
    assert m2.loc["T1", "status"] == "done" and m2.loc["T2", "status"] == "not done"
    # no visits at all: everything not done
    assert (match_visits(p, v.iloc[:0])["status"].astype(str) == "not done").all()
    with pytest.raises(HspworkError, match=r"before_minutes=-5: must be a finite number"):
        match_visits(p, v, before_minutes=-5)


def test_exception_report_distance_is_metres_whatever_the_crs():
    # The same layout as above, but everything in US survey feet (EPSG:2263): PC1 heard 300 m
    # east of A's edge must read 300 m, not 984 (feet). Then pings in lon/lat against fences
    # in feet: converted, with a warning, and still 300 m.
    m = match_visits(plan(), visits().iloc[[0, 1, 4]])
    m["officer"] = ["PC1", "PC1", "PC2", "PC3", "PC1"]
    ft = 1 / 0.30480060960121924
    fences_ft = gpd.GeoDataFrame(
        {"fence_id": ["A", "B"]},
        geometry=[box(0, 0, 100 * ft, 100 * ft), box(1000 * ft, 0, 1100 * ft, 100 * ft)],
        crs=2263,
    )
    fences_ft = fences_ft.set_geometry(fences_ft.translate(1e6, 2e5)).set_crs(
        2263, allow_override=True
    )
    t2 = T + mins(480)
    pings = pd.DataFrame(
        {"officer": ["PC1"], "time": [t2 + mins(1)], "x": [1e6 + 400 * ft], "y": [2e5 + 50 * ft]}
    )
    pings["crs"] = "EPSG:2263"
    ex = exception_report(m, pings, fences_ft).set_index("tasking_id")
    assert_allclose(ex.loc["T2", "closest_m"], 300.0, rtol=1e-9)
    ll = gpd.GeoSeries(gpd.points_from_xy(pings.x, pings.y), crs=2263).to_crs(4326)
    pings_ll = pings.assign(x=ll.x.to_numpy(), y=ll.y.to_numpy())
    pings_ll["crs"] = "EPSG:4326"
    with pytest.warns(CRSMismatchWarning, match="converted the pings to the fences' CRS"):
        ex2 = exception_report(m, pings_ll, fences_ft).set_index("tasking_id")
    assert_allclose(ex2.loc["T2", "closest_m"], 300.0, rtol=1e-6)


def test_exception_report_measures_against_the_fence_version_of_the_day():
    # Fence A was widened to 500 m on 1 September 08:30; T2 (16:00) is judged against the wide
    # version, so PC1 at x = 400 was inside it (0 m), not 300 m from the old square.
    m = match_visits(plan(), visits().iloc[[0, 1, 4]])
    m["officer"] = ["PC1", "PC1", "PC2", "PC3", "PC1"]
    switch = T + mins(30)
    fences = gpd.GeoDataFrame(
        {
            "fence_id": ["A", "A", "B"],
            "valid_from": pd.to_datetime([pd.NaT, switch, pd.NaT], utc=True),
            "valid_to": pd.to_datetime([switch, pd.NaT, pd.NaT], utc=True),
        },
        geometry=[box(0, 0, 100, 100), box(0, 0, 500, 100), box(1000, 0, 1100, 100)],
        crs=27700,
    )
    t2 = T + mins(480)
    pings = pd.DataFrame({"officer": ["PC1"], "time": [t2 + mins(1)], "x": [400.0], "y": [50.0]})
    pings["crs"] = "EPSG:27700"
    ex = exception_report(m, pings, fences).set_index("tasking_id")
    assert_allclose(ex.loc["T2", "closest_m"], 0.0, atol=1e-12)
    assert ex.loc["T2", "reason"] == "device heard at the spot but too briefly"
    # listed in the other order the answer is the same (the version is chosen by time)
    ex2 = exception_report(m, pings, fences.iloc[[1, 0, 2]]).set_index("tasking_id")
    assert_allclose(ex2.loc["T2", "closest_m"], 0.0, atol=1e-12)
    # before the widening, the narrow square: a planned visit at 08:00 is judged against it
    early = m.set_index("tasking_id").loc[["T2"]].reset_index()
    early["planned_start"] = T
    early["status"] = "not done"
    p_early = pings.assign(time=[T + mins(5)])
    ex3 = exception_report(early, p_early, fences)
    assert_allclose(ex3["closest_m"].iloc[0], 300.0)


def test_tasking_windows_list_each_eligible_officer():
    p = plan()
    w = tasking_windows(p, team_roster={"Crew 1": ["PC1", "PC3"], "Crew 2": ["PC2"]})
    assert len(w) == 3 * 2 + 2 * 1  # Crew 1's three taskings x 2 officers, Crew 2's two x 1
    t1 = w[w["tasking_id"] == "T1"]
    assert t1["officer"].tolist() == ["PC1", "PC3"]
    assert (t1["window_start"] == T - mins(30)).all() and (t1["window_end"] == T + mins(60)).all()
    assert (t1["minutes"] == 15.0).all()
    # a named officer is the only one eligible; a wider window as asked
    named = p.assign(officer=["PC9", None, None, None, None])
    w2 = tasking_windows(
        named, before_minutes=10, after_minutes=20, team_roster={"Crew 1": ["PC1"]}
    )
    assert w2.loc[w2["tasking_id"] == "T1", "officer"].tolist() == ["PC9"]
    assert (w2["window_start"] == w2["window_end"] - mins(30)).all()
    none = tasking_windows(p)  # nobody known for any tasking: no window, typed columns
    assert none.empty and str(none["window_start"].dtype).startswith("datetime64")
    anyone = tasking_windows(p, officers=["PC1", "PC2", "PC1"])
    assert len(anyone) == 5 * 2 and set(anyone["officer"]) == {"PC1", "PC2"}


def test_late_and_early_windows_at_their_edges():
    # Lateness is the visit's start minus the planned start. With the defaults (up to 60
    # minutes late, 30 early) a full 15-minute visit starting 59 minutes after T1's start is
    # T1's (done); one starting 61 minutes after T3's start is outside every window (T3 not
    # done, nothing delivered). Exactly 60 late is still inside. On the early side: 29 minutes
    # early counts, 31 does not. Each plan is alone at its fence and day, so no other plan
    # can take the visit.
    p = plan().iloc[[0, 2]].reset_index(drop=True)  # T1 at A 08:00, T3 at B 09:00
    late = pd.DataFrame(
        {
            "officer": ["PC1", "PC2"],
            "fence_id": ["A", "B"],
            "start": [T + mins(59), T + mins(60 + 61)],
            "minutes": [15.0, 15.0],
        }
    )
    m = match_visits(p, late).set_index("tasking_id")
    assert m.loc["T1", "status"] == "done" and m.loc["T1", "delivered_minutes"] == 15.0
    assert m.loc["T1", "first_arrival"] == T + mins(59)
    assert m.loc["T3", "status"] == "not done" and m.loc["T3", "delivered_visits"] == 0
    assert m.loc["T3", "delivered_minutes"] == 0.0
    at_edge = late.assign(start=[T + mins(60), T + mins(60 + 60)])
    assert (match_visits(p, at_edge)["status"].astype(str) == "done").all()
    early = late.assign(start=[T - mins(29), T + mins(60 - 31)])
    m = match_visits(p, early).set_index("tasking_id")
    assert m.loc["T1", "status"] == "done" and m.loc["T3", "status"] == "not done"
    # the window follows its arguments: 61 minutes late counts when 61 are allowed
    m = match_visits(p, late, after_minutes=61).set_index("tasking_id")
    assert m.loc["T3", "status"] == "done"
