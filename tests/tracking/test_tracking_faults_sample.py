"""The sample town's planted location faults, found and corrected, checked against its truth.

The pipeline is chapter 3's: both ping files read, flagged against the town boundary, the
duplicates and impossible jumps removed, dwell with the fences' 25 m catchments (chapter 2's
fence set), visits matched to the tasking plan with the crews as the team roster, a tasking
done at 80% of its planned minutes. The faults (data/sample/README.md): in beat B3 the phone
app places officers about 200 m off, and a radio dead spot covers HS23.

The truth is worked out here from truth_visits.csv and the plan alone, independently of the
library: per hot spot, the true minutes inside the fence of every planned visit, each capped
at its planned minutes, over the planned minutes.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import hspwork as H
from hspwork import fences as hf
from hspwork import tasking, tracking

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SAMPLE / "truth_visits.csv").exists(), reason="no sample town"),
]
TZ = "Europe/London"


@pytest.fixture(scope="module")
def chapter3():
    g = json.loads((SAMPLE / "ground_truth.json").read_text())
    start = pd.Timestamp("2025-09-01", tz=TZ).tz_convert("UTC")  # chapter 2's valid_from
    fences = hf.from_file(SAMPLE / "hotspots.geojson", valid_from=start)
    if (fences["buffer_m"] == 0).all():
        fences["buffer_m"] = 25.0  # chapter 2's default catchment
    parts = []
    for file, source in (("pings_app.parquet", "app"), ("pings_radio.parquet", "radio")):
        part = H.read_pings(SAMPLE / file, source=source, tz=TZ, crs="EPSG:27700", warn=False)
        parts.append(part.drop(columns=[c for c in ("issi",) if c in part.columns]))
    pings = pd.concat(parts, ignore_index=True)  # each carries its crs column
    boundary = gpd.read_file(SAMPLE / "boundary.geojson").to_crs(fences.crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", H.DataDroppedWarning)
        clean = tracking.remove_flagged(tracking.flag_pings(pings, area=boundary))
    plan = pd.read_csv(
        SAMPLE / "tasking_plan.csv",
        dtype={"tasking_id": str, "fence_id": str, "team": str, "date": str},
    )
    plan["planned_start"] = (
        pd.to_datetime(plan["planned_start"]).dt.tz_localize(TZ).dt.tz_convert("UTC")
    )
    plan["minutes"] = plan["minutes"].astype(float)
    roster = g["officers"]["crews"]
    fc = tasking.correct_location_faults(
        plan, clean, fences, team_roster=roster, done_share=0.8, area_column="beat_id"
    )
    return {"g": g, "fences": fences, "clean": clean, "plan": plan, "fc": fc, "roster": roster}


def truth_shares(plan: pd.DataFrame) -> tuple[pd.Series, float]:
    truth = pd.read_csv(SAMPLE / "truth_visits.csv", dtype={"tasking_id": str})
    t = plan[["tasking_id", "fence_id", "minutes"]].merge(
        truth[["tasking_id", "minutes"]].rename(columns={"minutes": "true"}), on="tasking_id"
    )
    assert len(t) == len(plan)  # every planned visit has its truth
    t["capped"] = np.minimum(t["true"], t["minutes"])
    per = t.groupby("fence_id")["capped"].sum() / t.groupby("fence_id")["minutes"].sum()
    return per, float(t["capped"].sum() / t["minutes"].sum())


def delivered_shares(matched: pd.DataFrame) -> tuple[pd.Series, float]:
    m = matched.assign(capped=np.minimum(matched["delivered_minutes"], matched["minutes"]))
    per = m.groupby("fence_id")["capped"].sum() / m.groupby("fence_id")["minutes"].sum()
    return per, float(m["capped"].sum() / m["minutes"].sum())


def test_every_hot_spot_within_5_points_of_the_truth_and_the_programme_within_3(chapter3):
    fc = chapter3["fc"]
    truth, truth_all = truth_shares(chapter3["plan"])
    got, got_all = delivered_shares(fc.matched)
    gap = (got - truth.reindex(got.index)) * 100
    assert gap.abs().max() <= 5.0, gap.round(1).to_dict()
    assert abs(got_all - truth_all) * 100 <= 3.0, (got_all, truth_all)
    # as measured, the faults cost B3's three hot spots nearly everything (the issue's figures)
    raw, raw_all = delivered_shares(fc.matched_raw)
    assert (raw[["HS11", "HS23", "HS26"]] < 0.05).all()
    assert (truth[["HS11", "HS23", "HS26"]] > 0.6).all()
    assert abs(raw_all - truth_all) * 100 > 8
    # the by-fence table says the same
    bf = fc.by_fence().set_index("fence_id")
    np.testing.assert_allclose(bf["compliance"], got.reindex(bf.index), atol=1e-12)
    np.testing.assert_allclose(bf["compliance_measured"], raw.reindex(bf.index), atol=1e-12)


def test_the_planted_faults_are_found_and_nothing_else_is_corrected(chapter3):
    fc, g = chapter3["fc"], chapter3["g"]
    p = fc.proposals.set_index(["fence_id", "source"])
    corrected = p[p["headline"] == "corrected"]
    assert set(corrected.index) == {("HS11", "app"), ("HS26", "app"), ("HS23", "radio")}
    assert (corrected["strength"] == "strong").all()
    planted = np.array([g["devices"]["offset_m"]["dx"], g["devices"]["offset_m"]["dy"]])
    for fid in ("HS11", "HS26"):
        r = p.loc[(fid, "app")]
        assert r["kind"] == "offset" and r["direction"] == "north-west"
        # where officers stand inside the fence is not known, so the offset is found to
        # within the fence's size (spots reach about 90 m from their centre)
        assert np.hypot(r["dx_m"] - planted[0], r["dy_m"] - planted[1]) < 50
    assert p.loc[("HS23", "radio"), "kind"] == "silence"
    assert g["devices"]["dead_spot_over_fence"] == "HS23"
    # clean beats gain nothing: every other hot spot's taskings exactly as measured
    other = ~fc.matched["fence_id"].isin(["HS11", "HS23", "HS26"])
    pd.testing.assert_frame_equal(
        fc.matched.loc[other, fc.matched_raw.columns].reset_index(drop=True),
        fc.matched_raw.loc[other].reset_index(drop=True),
    )
    assert set(fc.matched.loc[other, "figure"]) == {"measured"}


def test_delivered_taskings_no_longer_read_as_missed(chapter3):
    fc = chapter3["fc"]
    truth = pd.read_csv(SAMPLE / "truth_visits.csv", dtype={"tasking_id": str})
    true_minutes = fc.matched["tasking_id"].map(truth.set_index("tasking_id")["minutes"])
    b3 = fc.matched["fence_id"].isin(["HS11", "HS23", "HS26"])
    missed_raw = (fc.matched_raw["status"].astype(str) == "not done") & (true_minutes >= 12)
    missed = (fc.matched["status"].astype(str) == "not done") & (true_minutes >= 12)
    assert missed_raw[b3].sum() > 300  # as measured: most delivered visits there lost
    assert missed[b3].sum() <= 0.05 * missed_raw[b3].sum()
    # a week's exceptions on the measured figures: the faults read as faults
    week = pd.date_range("2025-10-20", periods=7).strftime("%Y-%m-%d")
    raw_week = fc.matched_raw[fc.matched_raw["date"].isin(week)]
    ex = tasking.exception_report(raw_week, chapter3["clean"], chapter3["fences"],
                                  team_roster=chapter3["roster"], faults=fc)  # fmt: skip
    at_b3 = ex[ex["fence_id"].isin(["HS11", "HS23", "HS26"])]
    delivered = at_b3["tasking_id"].map(truth.set_index("tasking_id")["status"]) == "delivered"
    faulty = at_b3.loc[delivered, "cause"] == "location data fault"
    assert faulty.mean() >= 0.8, at_b3.loc[delivered, "reason"].value_counts()
    assert {"location data fault suspected (catchment +200 m)",
            "location data fault suspected (radio silent at this spot)"} <= set(at_b3["reason"])  # fmt: skip
    # elsewhere the exceptions are missed patrols, no-data or early/late, never faults
    assert "location data fault" not in set(ex.loc[~ex.index.isin(at_b3.index), "cause"])
