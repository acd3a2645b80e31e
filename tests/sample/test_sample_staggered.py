"""The roll-out variant of the sample town: its waves, and chapter 4's roll-out path on it."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import hspwork
from hspwork import evaluation as ev
from hspwork import fences as hf
from hspwork.sample import load_truth
from hspwork.sample.__main__ import main

TZ = "Europe/London"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staggered")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["--out", str(folder), "--variant", "staggered"]) == 0
    return folder


@pytest.mark.slow
def test_waves_plan_and_files(city):
    truth = load_truth(city)
    waves = truth["rollout"]["waves"]
    assert [w["start_local"] for w in waves] == ["2025-09-01", "2025-09-29", "2025-10-27"]
    assert sorted(len(w["fence_ids"]) for w in waves) == [6, 7, 7]
    spots = pd.DataFrame(truth["spots"]).set_index("fence_id")
    assert "block" not in spots.columns
    # dealt in turn down the list ranked by pre-period crime (HS01 busiest), so waves are alike
    ranked = spots.index[spots["role"] == "treatment"].sort_values()
    wave_of = {f: w["wave"] for w in waves for f in w["fence_ids"]}
    assert [wave_of[f] for f in ranked] == [k % 3 for k in range(len(ranked))]
    plan = pd.read_csv(city / "tasking_plan.csv")
    first = plan.groupby("fence_id")["date"].min()
    for w in waves:  # taskings begin on each spot's own start day
        assert (first.loc[w["fence_ids"]] == w["start_local"]).all()
    hs = json.loads((city / "hotspots.geojson").read_text())
    props = pd.DataFrame([f["properties"] for f in hs["features"]])
    assert "block" not in props and {"start", "valid_from"} <= set(props.columns)
    assert (props.loc[props.role == "control", "start"] == "").all()
    e = truth["effect"]
    assert 0.7 < e["treated_observed"] / e["treated_counterfactual"] < 0.9


@pytest.mark.slow
def test_rollout_path_runs_end_to_end(city):
    fences = hf.from_file(city / "hotspots.geojson")
    choice = ev.choose_design(fences)
    assert choice.design == "staggered" and "3 waves (7, 7, 6 places)" in choice.reason
    crimes = hspwork.read_crimes(
        city / "crimes_force.csv", tz=TZ, crs="EPSG:27700", harm="cambridge", warn=False
    )
    start = pd.Timestamp("2025-09-01", tz=TZ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = ev.crime_panel(crimes, fences, start=pd.Timestamp("2024-09-02", tz=TZ),
                               end=pd.Timestamp("2025-11-30", tz=TZ), trial_start=start)  # fmt: skip
    panel["first_treated"] = panel["fence_id"].map(choice.first_treated(start))
    assert sorted(panel.groupby("fence_id")["first_treated"].first().dropna().unique()) == [0, 4, 8]
    r = ev.staggered_effect(panel, outcome="crimes", unit="fence_id", period="period",
                            first_treated="first_treated")  # fmt: skip
    e = load_truth(city)["effect"]
    realised = e["treated_observed"] / e["treated_counterfactual"]
    assert r.ci[0] < realised < r.ci[1] and r.ci[1] < 1
    assert r.n_cohorts == 3 and r.n_treated_units == 20
    assert np.isfinite(r.pretrend_p) and r.pretrend_p > 0.05
