"""Quality flags on hand-built tracks where every flagged row is known."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import box

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.report import report_of
from hspwork.tracking.clean import FLAGS, flag_pings, quality_report, remove_flagged

T0 = pd.Timestamp("2025-06-02 08:00", tz="UTC")


def pings(rows):
    off, minute, x, y, src = zip(*rows)
    df = pd.DataFrame(
        {
            "officer": off,
            "time": T0 + pd.to_timedelta(minute, unit="min"),
            "x": np.asarray(x, float),
            "y": np.asarray(y, float),
            "source": src,
        }
    )
    df["crs"] = "EPSG:27700"
    return df


def test_each_flag_on_known_rows():
    rows = [
        ("PC1", 0, 0, 0, "app"),  # 0
        ("PC1", 1, 60, 0, "app"),  # 1
        ("PC1", 1, 60, 0, "app"),  # 2 duplicate of 1
        ("PC1", 2, 9000, 0, "app"),  # 3 spike: 8940 m in 60 s and back
        ("PC1", 3, 120, 0, "app"),  # 4
        ("PC1", 20, 130, 0, "app"),  # 5 after a 17-minute gap (app limit 3)
        ("PC1", 19, 125, 0, "app"),  # 6 received after row 5 but earlier: out of order
        ("PC2", 0, 500, 500, "radio"),  # 7..: PC2 parked for 3 hours, radio every 5 min
    ]
    rows += [("PC2", 5 * k, 500 + (k % 3), 500, "radio") for k in range(1, 37)]
    rows += [("PC2", 190, 50_000, 500, "radio")]  # far outside the area, off shift
    df = pings(rows)
    area = gpd.GeoDataFrame(geometry=[box(-1000, -1000, 20_000, 20_000)], crs=27700)
    shifts = pd.DataFrame(
        {
            "officer": ["PC1", "PC2", "PC2"],
            "start": [T0, T0, T0 + pd.Timedelta(hours=1)],
            "end": [
                T0 + pd.Timedelta(hours=8),
                T0 + pd.Timedelta(hours=2),
                T0 + pd.Timedelta(hours=3),
            ],
        }
    )
    f = flag_pings(df, area=area, shifts=shifts)
    assert list(np.flatnonzero(f["flag_duplicate"])) == [2]
    assert list(np.flatnonzero(f["flag_speed"])) == [3]
    assert list(np.flatnonzero(f["flag_out_of_order"])) == [6]
    # sorted by time PC1's 17-minute gap falls before row 6 (minute 19)
    assert list(np.flatnonzero(f["flag_gap_before"])) == [6]
    assert_allclose(f.loc[6, "gap_before_minutes"], 16.0)
    last = len(df) - 1
    assert list(np.flatnonzero(f["flag_outside_area"])) == [last]
    assert list(np.flatnonzero(f["flag_off_shift"])) == [last]  # overlapping shifts merged
    # PC2 within 25 m from minute 0 to 180 (3 h >= 2 h): rows 7..43 stationary
    assert list(np.flatnonzero(f["flag_stationary"])) == list(range(7, 44))
    assert_allclose(f.loc[3, "speed_in_mps"], 8940 / 60)
    rep = quality_report(f).set_index("officer")
    assert rep.loc["PC1", "pings"] == 7 and rep.loc["PC2", "pings"] == 38
    assert rep.loc["PC1", "flag_duplicate"] == 1
    assert rep.loc["PC2", "flag_stationary"] == 37
    assert_allclose(rep.loc["PC1", "gap_minutes"], 16.0)
    assert rep.loc["PC2", "gap_minutes"] == 0  # radio limit 10 min; the 10-min jump is allowed
    assert rep.loc["PC1", "any_flag"] == 3  # rows 2, 3, 6


def test_removal_is_chosen_and_counted():
    rows = [
        ("PC1", 0, 0, 0, "app"),
        ("PC1", 1, 0, 0, "app"),
        ("PC1", 1, 0, 0, "app"),
        ("PC1", 2, 5000, 0, "app"),
        ("PC1", 3, 0, 0, "app"),
    ]
    f = flag_pings(pings(rows))
    with pytest.warns(DataDroppedWarning, match=r"duplicate: 1, impossible speed: 1"):
        kept = remove_flagged(f, ["flag_duplicate", "flag_speed"])
    rep = report_of(kept)
    assert rep.rows_read == 5 and rep.rows_kept == 3
    # the user decides: without choosing flags nothing else goes
    kept2 = remove_flagged(f, ["flag_stationary"])
    assert len(kept2) == 5 and report_of(kept2).dropped == {}


def test_errors():
    df = pings([("PC1", 0, 0, 0, "app")])
    with pytest.raises(HspworkError, match=r"unknown flag\(s\) \['flag_bogus'\]"):
        remove_flagged(flag_pings(df), ["flag_bogus"])
    with pytest.raises(SchemaError, match="run flag_pings"):
        quality_report(df)
    with pytest.raises(SchemaError, match=r"shifts need columns"):
        flag_pings(df, shifts=pd.DataFrame({"officer": ["PC1"]}))
    assert set(FLAGS) <= set(flag_pings(df).columns)
