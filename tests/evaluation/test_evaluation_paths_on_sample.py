"""Chapter 4's design paths on the committed sample: the chooser, matched comparisons, notes."""

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

import hspwork
from hspwork import evaluation as ev
from hspwork import fences as hf
from hspwork import units as hu
from hspwork.errors import HspworkError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TZ = "Europe/London"
pytestmark = pytest.mark.skipif(
    not (SAMPLE / "ground_truth.json").exists(), reason="sample city not generated"
)


@pytest.fixture(scope="module")
def sample():
    fences = hf.from_file(SAMPLE / "hotspots.geojson", valid_from="2025-09-01T00:00+01:00")
    crimes = hspwork.read_crimes(
        SAMPLE / "crimes_force.csv", tz=TZ, crs="EPSG:27700", harm="cambridge", warn=False
    )
    return fences, crimes


def test_committed_sample_reads_as_a_block_randomised_trial(sample):
    fences, _ = sample
    c = ev.choose_design(fences)
    assert c.design == "randomised" and "10 randomisation blocks" in c.reason
    assert c.evidence["start_periods"] == 1  # every fence came into force on 1 September


def test_matched_path_on_the_sample_covers_the_planted_effect(sample):
    fences, crimes = sample
    chosen = fences.assign(role=np.where(fences["role"] == "treatment", "treatment", "other"))
    assert ev.choose_design(chosen).design == "matched"
    grid = hu.grid(gpd.read_file(SAMPLE / "boundary.geojson"), cell_size_m=150)
    pool = ev.comparison_pool(chosen, grid)
    assert (pool["role"] == "treatment").sum() == 20 and (pool["source"] == "unit").sum() > 500
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = ev.crime_panel(crimes, pool, start=pd.Timestamp("2024-09-02", tz=TZ),
                               end=pd.Timestamp("2025-11-30", tz=TZ),
                               trial_start=pd.Timestamp("2025-09-01", tz=TZ))  # fmt: skip
        m = ev.match_controls(panel)
        r = m.evaluate()
    assert m.settings["n_matched"] >= 15
    assert m.balance["std_diff_after"].abs().max() < 0.25
    truth = json.loads((SAMPLE / "ground_truth.json").read_text())["effect"]
    planted = truth["treated_observed"] / truth["treated_counterfactual"]
    assert r.ci[0] < planted < r.ci[1] and r.interval == "cr2"


def test_comparison_pool_keeps_clear_units_and_named_controls():
    fences = gpd.GeoDataFrame(
        {"fence_id": ["HS1", "HS2", "HS1"], "role": ["treatment", "control", "treatment"],
         "version": [1, 1, 2]},
        geometry=[box(0, 0, 100, 100), box(2000, 0, 2100, 100), box(0, 0, 120, 100)], crs=27700,
    )  # fmt: skip
    units = gpd.GeoDataFrame(
        {"unit_id": [7, 8, 9]}, crs=27700,
        geometry=[box(260, 0, 300, 50), box(275, 0, 300, 50), LineString([(600, 0), (700, 0)])],
    )  # fmt: skip
    pool = ev.comparison_pool(fences, units, buffer_m=150)
    # unit 7 lies within 150 m of HS1 as redrawn (edge at x = 120; the first version ended at
    # 100, 160 m away), unit 8 just clear
    assert pool["fence_id"].tolist() == ["HS1", "HS2", "U8", "U9"]
    assert pool.loc[pool.fence_id == "U9"].geometry.iat[0].geom_type == "Polygon"
    with pytest.raises(HspworkError, match="no fence has role 'treatment'"):
        ev.comparison_pool(fences.assign(role="control"), units)


def test_harm_note_on_the_sample(sample):
    fences, crimes = sample
    treated = fences[fences["role"] == "treatment"].union_all()
    t = crimes["occurred_from"]
    window = (t >= pd.Timestamp("2025-09-01", tz=TZ)) & (t < pd.Timestamp("2025-11-30", tz=TZ))
    inside = crimes[window.to_numpy() & crimes.geometry.within(treated).to_numpy()]
    s = ev.harm_swing(inside)
    # the sample's heaviest offences are 365-day robbery and violence with injury
    assert s.table["harm_days_each"].iat[0] == 365
    assert s.grave_share_of_harm >= 0.5 and s.grave_share_of_crimes < 0.5
    assert "days each" in s.summary()
