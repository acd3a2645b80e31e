"""Location faults found and corrected, on a hand-made town whose every minute is known.

Thirty days; each day three officers work 09:00-15:00 UTC:

* PC1 (phone app, a ping a minute) is tasked to A at 10:00 and B at 13:00. At A the app
  places them 150 m west and 150 m north of the centre (the fault); at B, inside. Otherwise
  they wait at H1, far from every fence.
* PC4 (radio, a ping every 3 minutes) is tasked to C at 10:00 and G at 13:00. C lies in a dead
  spot: the radio's last ping is 100 m south of C at 09:57, the next at 10:18 from the same
  place. At G it is heard inside.
* PC3 (app) is tasked to E at 10:00 and F at 13:00 and never goes: all day at a station 200 m
  north of E (the station is as busy outside E's windows as inside them).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import Point, box

from hspwork.errors import HspworkError, SchemaError
from hspwork.fences import calibrate_gps
from hspwork.tracking import (
    CORRECTION_RULE,
    corrected_dwell,
    corrected_fences,
    dwell,
    offsets_between_sources,
    offsets_by_area,
    offsets_from_clusters,
    propose_catchments,
    silences_at_fences,
)

DAYS = pd.date_range("2025-06-02", periods=30, freq="D", tz="UTC")
BOXES = {
    "A": (0, 0),
    "B": (2000, 0),
    "C": (5000, 0),
    "G": (7000, 0),
    "E": (0, 5000),
    "F": (3000, 5000),
}
FENCES = gpd.GeoDataFrame(
    {"fence_id": list(BOXES), "buffer_m": 25.0, "beat_id": ["B3", "B1", "B2", "B2", "B4", "B4"]},
    geometry=[box(x, y, x + 100, y + 100) for x, y in BOXES.values()],
    crs=27700,
)
OFFSET = (-150.0, 150.0)  # where the app places PC1 at A, from A's centre (50, 50)
H1, H2, STATION = (1000.0, 3000.0), (6000.0, 3000.0), (50.0, 5300.0)
TASKS = [("A", "PC1", 10), ("B", "PC1", 13), ("C", "PC4", 10), ("G", "PC4", 13),
         ("E", "PC3", 10), ("F", "PC3", 13)]  # fmt: skip


def hm(day, h, m=0):
    return day + pd.Timedelta(hours=h, minutes=m)


def frame(rows, source):
    off, t, x, y = zip(*rows)
    df = pd.DataFrame({"officer": off, "time": pd.DatetimeIndex(t), "x": x, "y": y})
    df["source"] = source
    return df


def town(pass_bys: bool = True):
    app, radio = [], []
    for d, day in enumerate(DAYS):
        for k in range(361):  # PC1: a ping a minute, 09:00-15:00
            t = hm(day, 9, k)
            m = k - 60  # minutes after 10:00
            if 0 <= m <= 15:
                x, y = 50 + OFFSET[0], 50 + OFFSET[1]
            elif 240 <= m <= 255:
                x, y = 2050.0, 50.0
            else:
                x, y = H1
            if pass_bys and ((d == 0 and m in (120, 121)) or (d == 1 and m == 40)):
                x, y = 50 + OFFSET[0], 50 + OFFSET[1]  # pass-bys through the widened catchment
            app.append(("PC1", t, x, y))
            app.append(("PC3", t, *STATION))
        for k in range(0, 361, 3):  # PC4: a radio ping every 3 minutes
            t = hm(day, 9, k)
            m = k - 60
            if -3 < m < 18:
                continue  # the dead spot: silent from 09:57 to 10:18
            if m in (-3, 18):
                x, y = 5050.0, -100.0
            elif 240 <= m <= 255:
                x, y = 7050.0, 50.0
            else:
                x, y = H2
            radio.append(("PC4", t, x, y))
    p = pd.concat([frame(app, "app"), frame(radio, "radio")], ignore_index=True)
    p["crs"] = "EPSG:27700"
    return p


def windows():
    rows = []
    for d, day in enumerate(DAYS):
        for fid, officer, h in TASKS:
            start = hm(day, h)
            rows.append((f"{fid}{d:02d}", fid, officer, start - pd.Timedelta(minutes=30),
                         start + pd.Timedelta(minutes=60), 15.0))  # fmt: skip
    cols = ["tasking_id", "fence_id", "officer", "window_start", "window_end", "minutes"]
    return pd.DataFrame(rows, columns=cols)


@pytest.fixture(scope="module")
def found():
    pings = town()
    w = windows()
    clusters = offsets_from_clusters(pings, FENCES, w, area_column="beat_id")
    silences = silences_at_fences(pings, FENCES, w)
    proposals = propose_catchments(FENCES, clusters=clusters, silences=silences)
    return pings, w, clusters, silences, proposals


def test_lingering_outside_a_fence_is_an_offset_but_a_busy_station_is_not(found):
    _, _, clusters, _, _ = found
    c = clusters.set_index(["fence_id", "source"])
    a = c.loc[("A", "app")]
    assert_allclose([a["dx_m"], a["dy_m"]], OFFSET, atol=1e-9)
    assert_allclose(a["offset_m"], np.hypot(*OFFSET), atol=1e-9)
    assert a["area"] == "B3"
    assert a["taskings_with_data"] == 30 and a["taskings_lingering_outside"] == 30
    assert a["taskings_delivered_inside"] == 0 and a["strength"] == "strong"
    # 150 m west and north of A's edge lies 212 - 50 - 25 m outside its 25 m catchment
    assert a["outside_m"] > 100
    assert "212 m north-west of its centre" in a["evidence"]
    # B: the app places PC1 inside, every tasking seen delivered: no offset
    b = c.loc[("B", "app")]
    assert b["strength"] == "none" and b["taskings_delivered_inside"] == 30
    # E: PC3 sits at a station 200 m away all day, inside E's windows and out of them alike
    e = c.loc[("E", "app")]
    assert e["taskings_lingering_outside"] == 30 and e["strength"] == "weak"
    assert_allclose(e["lift"], 1.0, rtol=0.05)
    assert ("F", "app") not in c.index  # nobody within 400 m of F
    # per area and device: beat B3's app offset, from its one faulty fence
    areas = offsets_by_area(clusters)
    assert areas[["area", "source", "fences", "fence_ids"]].values.tolist() == [
        ["B3", "app", 1, "A"]
    ]
    assert_allclose(areas[["dx_m", "dy_m", "spread_m"]].iloc[0], [*OFFSET, 0.0], atol=1e-9)


def test_a_dead_spot_is_found_and_its_overhead_worked_by_hand(found):
    _, _, _, silences, _ = found
    s = silences.set_index(["fence_id", "source"])
    c = s.loc[("C", "radio")]
    assert c["taskings_with_data"] == 30 and c["taskings_heard_inside"] == 0
    assert c["taskings_silent"] == 30 and c["strength"] == "strong"
    assert_allclose(c["heard_inside_elsewhere"], 1.0)  # heard inside G every time
    assert_allclose(c["silent_margin_m"], 100.0)
    # E[X^2]/E[X] of 3-minute intervals is 3 minutes; plus 75 m of silent margin beyond the
    # 25 m catchment, both ways at 1.4 m/s
    assert_allclose(c["overhead_minutes"], 3.0 + 2 * 75 / 1.4 / 60, rtol=1e-9)
    assert s.loc[("G", "radio"), "strength"] == "none"
    # the app phones are heard, or lingered elsewhere: no dead spot for them
    assert (s.xs("app", level="source")["strength"].isin(["none", "weak"])).all()


def test_proposals_name_the_widening_and_the_silence(found):
    _, _, _, _, proposals = found
    p = proposals.set_index(["fence_id", "source"])
    assert list(p.index) == [("A", "app"), ("C", "radio")]  # weak evidence (E) proposes nothing
    a = p.loc[("A", "app")]
    assert (a["kind"], a["strength"], a["direction"]) == ("offset", "strong", "north-west")
    assert a["extra_m"] == 210.0 and a["note"] == "catchment +210 m"
    assert a["headline"] == "corrected"
    c = p.loc[("C", "radio")]
    assert (c["kind"], c["note"], c["headline"]) == ("silence", "radio silent at this spot",
                                                     "corrected")  # fmt: skip
    weak = propose_catchments(FENCES, clusters=found[2], min_strength="weak")
    assert ("E", "app") in set(zip(weak["fence_id"], weak["source"]))
    assert weak.set_index(["fence_id", "source"]).loc[("E", "app"), "headline"] == "measured"


def test_corrected_dwell_by_hand_and_the_pass_by_rule(found):
    pings, w, _, _, proposals = found
    raw = dwell(pings, FENCES, catchment=True)
    cor = corrected_dwell(pings, FENCES, proposals, w)
    v = cor.visits
    a = v[v["fence_id"] == "A"]
    # pings 10:00..10:15 at the offset place, half a minute either side: 16 minutes a day
    assert len(a) == 30 and (a["basis"] == "widened catchment").all()
    assert_allclose(a["minutes"], 16.0)
    assert (a["correction"] == "catchment +210 m").all()
    assert (a["start"] == [hm(day, 9, 59.5) for day in DAYS]).all()
    # the pass-bys: 12:00-12:01 on day 1 (outside every window of A) and a 1-minute pass in
    # day 2's window (shorter than min_minutes): both dropped
    assert cor.rule["correction"]["passes_dropped"] == 2
    loose = corrected_dwell(pings, FENCES, proposals, w, min_minutes=0.5)
    assert loose.rule["correction"]["passes_dropped"] == 1
    # the dead spot: 21 minutes of silence less the overhead, from overhead/2 after 09:57
    c = v[v["fence_id"] == "C"]
    overhead = 3.0 + 2 * 75 / 1.4 / 60
    assert len(c) == 30 and (c["basis"] == "bridged silence").all()
    assert_allclose(c["minutes"], 21.0 - overhead, rtol=1e-9)
    assert_allclose((c["start"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds() % 86400,
                    (9 * 60 + 57 + overhead / 2) * 60, atol=1e-3)  # fmt: skip
    assert cor.rule["correction"]["silences_bridged"] == 30
    # offsets only: nothing bridged, the same columns
    offs = corrected_dwell(pings, FENCES, proposals[proposals["kind"] == "offset"], w)
    assert offs.rule["correction"]["silences_bridged"] == 0
    assert list(offs.visits.columns) == list(v.columns)
    # clean fences and devices gain nothing: B and G exactly as measured; E and F nothing
    for fid in ("B", "G"):
        cols = ["officer", "start", "end", "minutes", "n_pings"]
        got = v.loc[v["fence_id"] == fid, cols].reset_index(drop=True)
        want = raw.visits.loc[raw.visits["fence_id"] == fid, cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
    assert not v["fence_id"].isin(["E", "F"]).any()
    # totals come from the runs, and each bridged visit is one run
    assert_allclose(cor.runs.groupby("visit_id")["minutes"].sum().to_numpy(), v["minutes"])
    pf = cor.per_fence().set_index("fence_id")
    assert_allclose(pf.loc["A", "patrol_minutes"], 30 * 16.0)
    assert "pass-bys" in cor.rule["correction"]["rule"]


def test_the_widening_applies_to_the_faulty_device_only(found):
    pings, w, _, _, proposals = found
    # a radio standing at the app's offset place during A's window is not credited to A
    t = hm(DAYS[3], 10, 0) + pd.to_timedelta(np.arange(0, 16, 3), unit="min")
    radio = pd.DataFrame({"officer": "PC1", "time": t, "x": 50 + OFFSET[0], "y": 50 + OFFSET[1],
                          "source": "radio", "crs": "EPSG:27700"})  # fmt: skip
    only = pd.concat([pings[pings["officer"] != "PC1"], radio], ignore_index=True)
    cor = corrected_dwell(only, FENCES, proposals, w)
    assert not (cor.visits["fence_id"] == "A").any()
    cf = corrected_fences(FENCES, proposals)
    row = cf[(cf["fence_id"] == "A") & (cf["source"] == "app")].iloc[0]
    assert row["correction"] == "catchment +210 m"
    # the corrected row is the fence joined with itself moved by the offset
    assert_allclose(row.geometry.bounds, (-150.0, 0.0, 100.0, 250.0))
    assert row.geometry.area == pytest.approx(2 * 100 * 100)


def test_known_points_give_the_offset_directly():
    # an officer stands in the middle of A for 20 minutes; the app says 150 m west, 150 north
    t = pd.date_range("2025-06-01 10:00", periods=20, freq="1min", tz="UTC")
    rng = np.random.default_rng(5)
    p = pd.DataFrame({"officer": "PC9", "time": t, "source": "app",
                      "x": 50 + OFFSET[0] + rng.normal(0, 5, 20),
                      "y": 50 + OFFSET[1] + rng.normal(0, 5, 20), "crs": "EPSG:27700"})  # fmt: skip
    sessions = gpd.GeoDataFrame({"officer": ["PC9"], "fence_id": ["A"], "start": [t[0]],
                                 "end": [t[-1]]}, geometry=[Point(50, 50)], crs=27700)  # fmt: skip
    cal = calibrate_gps(p, sessions, by=("source", "fence_id"))
    off = cal.offsets().iloc[0]
    assert off["strength"] == "strong" and off["n"] == 20
    assert_allclose([off["dx_m"], off["dy_m"]], OFFSET, atol=5.0)
    prop = propose_catchments(FENCES, known_points=cal.offsets())
    assert prop[["fence_id", "source", "strength"]].values.tolist() == [["A", "app", "strong"]]
    assert prop["basis"].iloc[0] == "known points"
    text = cal.summary()
    assert isinstance(text, str) and "systematic offset of 21" in text
    assert isinstance(cal.table(), pd.DataFrame)
    with pytest.warns(FutureWarning, match=r"use table\(percentiles=\.\.\.\)"):
        assert isinstance(cal.summary(percentiles=(50, 95)), pd.DataFrame)
    with pytest.raises(SchemaError, match="calibrated by source"):
        propose_catchments(FENCES, known_points=cal.offsets().drop(columns="source"))


def test_an_officers_app_and_radio_disagreeing():
    # PC7 carries both: the radio tells the truth, the app sits 150 m west and north in B3 only
    t = pd.date_range("2025-06-01 09:00", periods=120, freq="1min", tz="UTC")
    truth = np.where(np.arange(120) < 60, 50.0, 2050.0)  # an hour at A (B3), an hour at B (B1)
    in_b3 = truth < 1000
    app = pd.DataFrame({"officer": "PC7", "time": t + pd.Timedelta(seconds=10), "source": "app",
                        "x": truth + np.where(in_b3, OFFSET[0], 0.0),
                        "y": 50.0 + np.where(in_b3, OFFSET[1], 0.0)})  # fmt: skip
    radio = pd.DataFrame({"officer": "PC7", "time": t, "source": "radio", "x": truth, "y": 50.0})
    p = pd.concat([app, radio], ignore_index=True)
    p["crs"] = "EPSG:27700"
    beats = gpd.GeoDataFrame({"beat_id": ["B3", "B1"]},
                             geometry=[box(-500, -500, 1000, 500), box(1000, -500, 3000, 500)],
                             crs=27700)  # fmt: skip
    b = offsets_between_sources(p, areas=beats, area_column="beat_id").set_index("area")
    assert b.loc["B3", "pairs"] == 60 and b.loc["B3", "strength"] == "strong"
    assert_allclose([b.loc["B3", "dx_m"], b.loc["B3", "dy_m"]], OFFSET)
    assert b.loc["B1", "strength"] == "none"
    assert "app to the north-west" in b.loc["B3", "evidence"]
    # alone it cannot say which device is wrong: moderate, the headline stays measured
    prop = propose_catchments(FENCES, between_sources=b.reset_index(), area_column="beat_id")
    a = prop.set_index(["fence_id", "source"]).loc[("A", "app")]
    assert a["strength"] == "moderate" and a["headline"] == "measured"
    # with lingering outside A agreeing (weak on its own), one step stronger
    clusters = pd.DataFrame([{"fence_id": "A", "source": "app", "dx_m": -148.0, "dy_m": 152.0,
                              "strength": "weak", "evidence": "lingering"}])  # fmt: skip
    both = propose_catchments(FENCES, clusters=clusters, between_sources=b.reset_index(),
                              area_column="beat_id")  # fmt: skip
    assert both.set_index(["fence_id", "source"]).loc[("A", "app"), "strength"] == "strong"
    # nobody carries both: an empty table, not an error
    assert offsets_between_sources(p[p["source"] == "app"]).empty


def test_bad_inputs_are_named():
    pings = town(pass_bys=False)
    with pytest.raises(SchemaError, match=r"windows lack column\(s\) \['officer'\]"):
        offsets_from_clusters(pings, FENCES, windows().drop(columns="officer"))
    with pytest.raises(SchemaError, match="proposals lack"):
        corrected_dwell(pings, FENCES, pd.DataFrame({"fence_id": ["A"]}), windows())
    with pytest.raises(HspworkError, match="strength 'certain'"):
        corrected_fences(FENCES, propose_catchments(FENCES), min_strength="certain")
    with pytest.raises(SchemaError, match="area_column='beat'"):
        offsets_from_clusters(pings, FENCES, windows(), area_column="beat")
    assert "{min_minutes" in CORRECTION_RULE


def plan():
    w = windows()
    return pd.DataFrame({
        "tasking_id": w["tasking_id"], "fence_id": w["fence_id"],
        "date": w["window_start"].dt.strftime("%Y-%m-%d"),
        "shift": np.where(w["window_start"].dt.hour < 12, "early", "late"),
        "planned_start": w["window_start"] + pd.Timedelta(minutes=30), "minutes": 15.0,
        "team": "Crew 1", "officer": w["officer"],
    })  # fmt: skip


def test_compliance_measured_and_corrected_side_by_side_and_the_exceptions():
    from hspwork.tasking import CAUSES, compliance_table, correct_location_faults, exception_report

    pings = town()
    fc = correct_location_faults(plan(), pings, FENCES)
    bf = fc.by_fence().set_index("fence_id")
    # A: nothing measured, all 30 taskings delivered (16 minutes each, capped at 15)
    assert_allclose(bf.loc["A", ["compliance_measured", "compliance_corrected", "compliance"]],
                    [0.0, 1.0, 1.0])  # fmt: skip
    assert bf.loc["A", "figure"] == "corrected: catchment +210 m"
    assert bf.loc["A", "fault"] == "catchment +210 m" and bf.loc["A", "strength"] == "strong"
    assert_allclose(bf.loc["C", ["compliance_measured", "compliance"]], [0.0, 1.0])
    assert bf.loc["C", "figure"] == "corrected: radio silent at this spot"
    # clean and neglected hot spots keep their measured figure
    for fid, want in (("B", 1.0), ("G", 1.0), ("E", 0.0), ("F", 0.0)):
        assert_allclose(bf.loc[fid, ["compliance_measured", "compliance"]], [want, want])
        assert bf.loc[fid, "figure"] == "measured"
    head = compliance_table(fc.matched.assign(all="all"), by="all").iloc[0]
    assert_allclose(head["compliance"], 4 / 6)
    assert "corrected at A, C (strong evidence only)" in fc.summary()
    assert "pass-bys" in fc.summary()
    # the headline visits: corrected at A and C, as measured elsewhere
    hv = fc.dwell.visits
    assert set(hv.loc[hv["fence_id"] == "A", "basis"]) == {"widened catchment"}
    assert set(hv.loc[hv["fence_id"] == "C", "basis"]) == {"bridged silence"}
    pd.testing.assert_frame_equal(
        hv.loc[hv["fence_id"] == "B", ["officer", "start", "minutes"]].reset_index(drop=True),
        fc.raw.visits.loc[fc.raw.visits["fence_id"] == "B", ["officer", "start", "minutes"]]
        .reset_index(drop=True),
    )  # fmt: skip
    assert (hv["visit_id"] == np.arange(len(hv))).all()
    assert_allclose(fc.dwell.per_fence().set_index("fence_id").loc["A", "officer_minutes"],
                    30 * 16.0)  # fmt: skip
    # the evidence kept: no known points given, the app against the radio compared (nobody
    # carries both here, so no rows, but the table is there with its columns)
    assert isinstance(fc.evidence["known_points"], pd.DataFrame)
    assert fc.evidence["known_points"].empty
    assert {"officer", "source", "dx_m", "strength"} <= set(fc.evidence["between_sources"].columns)
    notes = fc.exception_notes()
    assert len(notes) == 2 and notes[0].startswith("A: location data fault suspected")
    # the exceptions of the measured plan: faults apart from missed patrols
    ex = exception_report(fc.matched_raw, pings, FENCES, faults=fc).set_index("tasking_id")
    assert (ex.loc["A00", "reason"], ex.loc["A00", "cause"]) == (
        "location data fault suspected (catchment +210 m)",
        "location data fault",
    )
    assert (ex.loc["C00", "reason"], ex.loc["C00", "cause"]) == (
        "location data fault suspected (radio silent at this spot)",
        "location data fault",
    )
    assert (ex.loc["E00", "reason"], ex.loc["E00", "cause"]) == (
        "device heard elsewhere: not at the spot",
        "missed patrol",
    )
    assert ex.loc["E00", "fault"] == "" and ex.loc["A00", "fault"] == "catchment +210 m"
    by_cause = ex["cause"].value_counts().to_dict()
    assert by_cause == {"location data fault": 60, "missed patrol": 60}
    # without the faults the same taskings read as missed patrols and no-data
    plain = exception_report(fc.matched_raw, pings, FENCES).set_index("tasking_id")
    assert plain.loc["A00", "reason"] == "device heard elsewhere: not at the spot"
    assert plain.loc["C00", "cause"] == "no data"
    assert set(plain["cause"]) <= set(CAUSES.values())
    # the headline plan has no exceptions left at A and C
    head_ex = exception_report(fc.matched, pings, FENCES, faults=fc)
    assert set(head_ex["fence_id"]) == {"E", "F"}


def test_one_week_of_taskings_with_the_corrections_and_the_figure_before_them():
    from hspwork.tasking import correct_location_faults, week_of_taskings

    pings = town()
    fc = correct_location_faults(plan(), pings, FENCES)
    week = week_of_taskings(
        fc, pings, FENCES, "2025-06-02", tz="UTC", key="a programme key for the tests"
    )
    assert week.dates == [f"2025-06-{d:02d}" for d in range(2, 9)]
    c = week.compliance.set_index("fence_id")
    # 7 days x 6 hot spots x 15 minutes planned; A and C corrected (15 each), B and G visited
    # (16 minutes, capped at 15), E and F never: 4 of 6 hot spots' minutes.
    assert_allclose(c["planned_minutes"], 7 * 15.0)
    assert_allclose(c.loc[["A", "B", "C", "G", "E", "F"], "delivered_minutes"],
                    [105, 105, 105, 105, 0, 0])  # fmt: skip
    assert_allclose(c.loc[["A", "B", "C", "G", "E", "F"], "delivered_minutes_raw"],
                    [0, 105, 0, 105, 0, 0])  # fmt: skip
    assert_allclose(week.share, 4 / 6)
    # the exceptions: E's and F's 14 taskings, officers as pseudonyms
    assert sorted(week.exceptions["fence_id"].unique()) == ["E", "F"]
    assert len(week.exceptions) == 14
    assert week.exceptions["officer"].str.match(r"^OFF-[0-9a-f]{8}$").all()
    assert (
        "14 exceptions (not done or partly done), 0 of them put down to location data faults"
        in week.summary()
    )
    # dosage: every fence, the week's visits only (A: 7 days of 16 corrected minutes)
    d = week.dosage.set_index("fence_id")
    assert sorted(d.index) == sorted(FENCES["fence_id"])
    assert_allclose(d.loc["A", ["visits", "officer_minutes"]], [7, 7 * 16.0])
    assert_allclose(d.loc[["E", "F"], "visits"], [0, 0])
    assert week.furthest_below(2)["hot spot"].tolist() == ["E", "F"]
