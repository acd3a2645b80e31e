"""Quality flags find the device faults planted in the sample city."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import hspwork as H
from hspwork.tracking import flag_pings, quality_report

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
pytestmark = pytest.mark.skipif(
    not (SAMPLE / "ground_truth.json").exists(), reason="sample city not generated"
)


@pytest.fixture(scope="module")
def app_flags():
    g = json.loads((SAMPLE / "ground_truth.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = H.read_pings(
            SAMPLE / "pings_app.parquet", source="app", tz="Europe/London", to_crs=27700
        )
    left = g["devices"]["left_running"]
    end = pd.Timestamp(left["shift_end_utc"])
    # the left-running phone's late shift of 25 Oct: 14:00-22:00 UTC (15:00-23:00 BST)
    shifts = pd.DataFrame(
        {"officer": [left["collar_no"]], "start": [end - pd.Timedelta(hours=8)], "end": [end]}
    )
    day = app[
        (app["time"] >= end - pd.Timedelta(hours=8))
        & (app["time"] <= pd.Timestamp(left["until_utc"]))
    ]
    one = day[day["officer"] == left["collar_no"]].copy()
    one.attrs = app.attrs
    return g, app, flag_pings(one, shifts=shifts, stationary_m=50, stationary_hours=2)


def test_phone_left_running_is_stationary_and_off_shift(app_flags):
    g, _, f = app_flags
    left = g["devices"]["left_running"]
    after = f["time"] > pd.Timestamp(left["shift_end_utc"])
    assert after.sum() >= 0.9 * left["n_pings"]
    assert f.loc[after, "flag_off_shift"].all()
    assert not f.loc[~after, "flag_off_shift"].any()
    assert f.loc[after, "flag_stationary"].mean() >= 0.95


def test_low_power_phone_gaps(app_flags):
    g, app, _ = app_flags
    low = g["devices"]["low_power"]["collar_no"]
    sub = app[app["time"] < "2025-09-15"].copy()
    sub.attrs = app.attrs
    rep = quality_report(flag_pings(sub)).set_index("officer")
    rate = rep["flag_gap_before"] / rep["pings"]
    assert rate.idxmax() == low
    assert rate[low] > 3 * rate.drop(low).max()
