"""The committed sample's trial: design, planted effect, compliance and the clock change,
checked from the files themselves against ground_truth.json."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from numpy.testing import assert_allclose

from hspwork.sample import load_truth

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TZ = "Europe/London"


@pytest.fixture(scope="module")
def truth():
    return load_truth(SAMPLE / "ground_truth.json")


@pytest.fixture(scope="module")
def spots():
    return gpd.read_file(SAMPLE / "hotspots.geojson")


@pytest.fixture(scope="module")
def crimes():
    c = pd.read_csv(SAMPLE / "crimes_force.csv")
    c["t"] = pd.to_datetime(c["committed_from"])
    return c


def _rows(name: str) -> int:
    path = SAMPLE / name
    if name.endswith(".parquet"):
        return pq.ParquetFile(path).metadata.num_rows
    if name.endswith(".geojson"):
        return len(gpd.read_file(path))
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def test_sample_row_counts_match_ground_truth(truth):
    assert set(truth["rows"]) >= {"crimes_force.csv", "pings_app.parquet", "truth_visits.csv"}
    for name, n in truth["rows"].items():
        assert _rows(name) == n, name


def test_sample_crime_volume_per_year(crimes):
    per_year = len(crimes) / (821 / 365.25)  # 2023-09-01 .. 2025-11-30 is 821 days
    assert 15_000 <= per_year <= 25_000


def test_sample_design_block_randomised(truth, spots):
    assert spots.crs.to_epsg() == 27700
    assert list(spots["fence_id"]) == [f"HS{k:02d}" for k in range(1, 41)]
    assert (spots["role"] == "treatment").sum() == 20
    assert (spots["role"] == "control").sum() == 20
    per_block = spots.groupby("block")["role"].value_counts().unstack()
    assert len(per_block) == 10
    assert (per_block["treatment"] == 2).all() and (per_block["control"] == 2).all()
    t_roles = {s["fence_id"]: (s["role"], s["block"]) for s in truth["spots"]}
    assert t_roles == dict(zip(spots["fence_id"], zip(spots["role"], spots["block"])))
    # blocks follow pre-period crime: the fence ids are in descending order of it
    pre = [s["pre_period_crimes"] for s in truth["spots"]]
    assert pre == sorted(pre, reverse=True)


def test_sample_spots_are_compact_and_apart(spots):
    c = spots.geometry.centroid
    radius = [shapely.hausdorff_distance(g, p) for g, p in zip(spots.geometry, c)]
    assert max(radius) <= 150.0
    d = np.hypot(c.x.values[:, None] - c.x.values, c.y.values[:, None] - c.y.values)
    np.fill_diagonal(d, np.inf)
    assert d.min() >= 500.0


def test_sample_pre_period_counts_recomputed(truth, spots, crimes):
    pre = crimes[crimes["t"] < "2025-09-01"]
    for s, geom in zip(truth["spots"], spots.geometry):
        n = int(shapely.contains_xy(geom, pre["easting"], pre["northing"]).sum())
        # a from-to window may start before the trial but belong to it: allow a couple
        assert abs(n - s["pre_period_crimes"]) <= 2, s["fence_id"]


def test_sample_planted_effect_in_the_files(truth, spots, crimes):
    eff = truth["effect"]
    assert (eff["irr_treated"], eff["irr_ring"], eff["ring_m"]) == (0.8, 0.9, 150.0)
    trial = crimes[(crimes["t"] >= "2025-09-01") & (crimes["t"] < "2025-11-30")]
    for s, geom in zip(truth["spots"], spots.geometry):
        n = int(shapely.contains_xy(geom, trial["easting"], trial["northing"]).sum())
        assert abs(n - s["trial_crimes_observed"]) <= 2, s["fence_id"]
        if s["role"] == "control":
            assert s["trial_crimes_observed"] == s["trial_crimes_counterfactual"]
    # realised thinning close to the planted ratios (binomial sd about 0.016 and 0.013)
    assert_allclose(eff["treated_observed"] / eff["treated_counterfactual"], 0.8, atol=0.05)
    assert_allclose(eff["ring_observed"] / eff["ring_counterfactual"], 0.9, atol=0.05)
    assert eff["control_observed"] == eff["control_counterfactual"]


def test_sample_effect_visible_as_rirr(spots, crimes):
    """RIRR = (a d) / (b c) with the two previous autumns as 'before' (Wilson 2022)."""
    autumn = crimes["t"].dt.month.isin([9, 10, 11]) & ~(
        (crimes["t"].dt.month == 11) & (crimes["t"].dt.day == 30)
    )
    year = crimes["t"].dt.year
    inside = {}
    for role in ("treatment", "control"):
        geom = shapely.union_all(spots.loc[spots["role"] == role, "geometry"].to_numpy())
        inside[role] = shapely.contains_xy(geom, crimes["easting"], crimes["northing"])
    a = (inside["treatment"] & autumn & (year < 2025)).sum()
    b = (inside["treatment"] & autumn & (year == 2025)).sum()
    c = (inside["control"] & autumn & (year < 2025)).sum()
    d = (inside["control"] & autumn & (year == 2025)).sum()
    rirr = (a * d) / (b * c)
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    # planted: 1 / 0.8 = 1.25; the data must favour treatment beyond noise
    assert np.log(rirr) - 1.96 * se > 0
    assert abs(np.log(rirr) - np.log(1.25)) < 3 * se


@pytest.fixture(scope="module")
def visits():
    plan = pd.read_csv(SAMPLE / "tasking_plan.csv", dtype={"date": str})
    tv = pd.read_csv(SAMPLE / "truth_visits.csv", dtype={"collar_no": str})
    return plan.merge(tv, on=["tasking_id", "fence_id"], how="outer", validate="1:1")


def test_sample_plan_is_three_visits_a_day(visits, spots):
    treated = set(spots.loc[spots["role"] == "treatment", "fence_id"])
    assert set(visits["fence_id"]) == treated
    per_day = visits.groupby(["fence_id", "date"]).size()
    assert (per_day == 3).all() and len(per_day) == 20 * 90
    assert (visits["minutes_x"] == 15).all()
    assert visits["date"].min() == "2025-09-01" and visits["date"].max() == "2025-11-29"


def test_sample_compliance_from_truth_visits(visits, truth):
    delivered = visits["status"] == "delivered"
    ratio = visits["minutes_y"].sum() / visits["minutes_x"].sum()
    share = delivered.mean()
    assert 0.60 <= ratio <= 0.80
    assert 0.60 <= share <= 0.80
    assert_allclose(ratio, truth["compliance"]["minutes_ratio"], atol=1e-4)
    assert_allclose(share, truth["compliance"]["share_delivered"], atol=1e-4)
    assert (visits.loc[~delivered, "minutes_y"] == 0).all()
    assert visits.loc[~delivered, "start"].isna().all()
    # some visits are cut short, most are near the plan
    m = visits.loc[delivered, "minutes_y"]
    assert 0.1 <= (m < 10).mean() <= 0.4
    assert 10 <= m.median() <= 18


def test_sample_visits_follow_the_local_clock_across_the_change(visits):
    """Planned starts are local time; true starts are UTC. Converting one to the other must
    give small lateness on both sides of 26 October 2025 (BST = UTC+1, then GMT = UTC)."""
    d = visits[visits["status"] == "delivered"].copy()
    planned = pd.to_datetime(d["planned_start"]).dt.tz_localize(TZ).dt.tz_convert("UTC")
    start = pd.to_datetime(d["start"], utc=True)
    late_min = (start - planned).dt.total_seconds() / 60
    before = d["date"] < "2025-10-26"
    for part in (before, ~before):
        assert part.sum() > 500
        assert -30 <= late_min[part].median() <= 15
        assert late_min[part].between(-60, 90).mean() > 0.97
    # the same local 08:00 visit is at 07:00Z in BST and 08:00Z in GMT
    early = pd.to_datetime(d["planned_start"]).dt.strftime("%H:%M") == "08:00"
    utc_hours = planned[early].dt.hour
    assert set(utc_hours[before[early]]) == {7}
    assert set(utc_hours[~before[early]]) == {8}


def test_sample_visits_do_not_overlap_per_officer(visits):
    d = visits[visits["status"] == "delivered"].copy()
    d["s"] = pd.to_datetime(d["start"], utc=True)
    d["e"] = pd.to_datetime(d["end"], utc=True)
    d = d.sort_values(["collar_no", "s"])
    same = d["collar_no"].eq(d["collar_no"].shift())
    assert (d["s"][same] >= d["e"].shift()[same]).all()
    assert_allclose((d["e"] - d["s"]).dt.total_seconds() / 60, d["minutes_y"], atol=0.006)


def test_sample_trial_dates_span_the_clock_change(truth):
    d = truth["dates"]
    assert (d["trial_start"], d["trial_end"], d["trial_days"]) == ("2025-09-01", "2025-11-29", 90)
    start, end = pd.Timestamp(d["trial_start"]), pd.Timestamp(d["trial_end"])
    assert (end - start).days + 1 == 90
    change = pd.Timestamp(d["clock_change"])
    assert start < change < end
    # 26 Oct 2025 really is the day British Summer Time ends
    before = pd.Timestamp("2025-10-26 00:30", tz=TZ).utcoffset()
    after = pd.Timestamp("2025-10-26 03:00", tz=TZ).utcoffset()
    assert (before, after) == (pd.Timedelta(hours=1), pd.Timedelta(0))
