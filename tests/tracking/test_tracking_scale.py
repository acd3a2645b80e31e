"""Dask dwell on day-partitioned Parquet gives exactly the in-memory answer."""

from __future__ import annotations

import dask.dataframe as dd
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from shapely.geometry import box

from hspwork.errors import CRSError
from hspwork.report import report_of
from hspwork.tracking import dwell
from hspwork.tracking.scale import dwell_dask

FENCES = gpd.GeoDataFrame(
    {"fence_id": ["A", "B"]}, geometry=[box(0, 0, 100, 100), box(300, 0, 400, 100)], crs=27700
)


def pings():
    rng = np.random.default_rng(11)
    frames = []
    # PC1 stands in A from 23:50 to 00:10 UTC: a visit across midnight (and the partition edge)
    t = pd.date_range("2025-06-02 23:30", "2025-06-03 00:30", freq="1min", tz="UTC")
    x = np.where((t >= "2025-06-02 23:50") & (t <= "2025-06-03 00:10"), 50.0, 200.0)
    frames.append(pd.DataFrame({"officer": "PC1", "time": t, "x": x, "y": 50.0, "source": "app"}))
    # three more officers wandering for two days, radio and app
    for k, src in enumerate(["app", "radio", "app"]):
        n = 1500
        step = rng.uniform(20, 200 if src == "radio" else 60, n)
        tt = pd.Timestamp("2025-06-02", tz="UTC") + pd.to_timedelta(np.cumsum(step), unit="s")
        frames.append(
            pd.DataFrame(
                {
                    "officer": f"PC{k + 2}",
                    "time": tt,
                    "x": rng.uniform(-50, 450, n),
                    "y": rng.uniform(-20, 120, n),
                    "source": src,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=3)
    df["crs"] = "EPSG:27700"
    return df


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_dask_parquet_by_day_matches_in_memory(tmp_path, client):
    df = pings()
    want = dwell(df, FENCES, interpolate=True)
    folder = tmp_path / "pings"
    df.assign(day=df["time"].dt.strftime("%Y-%m-%d")).to_parquet(folder, partition_cols=["day"])
    ddf = dd.read_parquet(folder).drop(columns="day")
    assert ddf.npartitions >= 2
    got = dwell_dask(ddf, FENCES, crs="EPSG:27700", interpolate=True)
    pd.testing.assert_frame_equal(got, want)
    for key in ("unobserved", "observed", "officer_minutes", "patrol_minutes"):
        assert got.attrs[key] == want.attrs[key]
    across = got[got["officer"] == "PC1"]
    # 20 minutes standing at x=50, plus 1/3 of each one-minute step to/from x=200 (edge x=100)
    assert len(across) == 1
    np.testing.assert_allclose(across["minutes"].iloc[0], 20 + 2 / 3, rtol=1e-12)
    assert across["start"].iloc[0].day == 2 and across["end"].iloc[0].day == 3
    assert report_of(got).rows_read == len(df)


def test_dask_requires_crs(client):
    ddf = dd.from_pandas(pings(), npartitions=2)
    with pytest.raises(CRSError, match="needs crs="):
        dwell_dask(ddf, FENCES, crs=None)
    got = dwell_dask(ddf, FENCES, crs=27700, max_gap=5)
    pd.testing.assert_frame_equal(got, dwell(pings(), FENCES, max_gap=5))


def test_dask_counts_unusable_rows_by_reason_like_in_memory(client):
    df = pings()
    df["officer"] = df["officer"].astype(object)
    df.loc[df.index[3], "x"] = np.nan
    df.loc[df.index[7], "officer"] = None
    want = dwell(df, FENCES, max_gap=5)
    assert report_of(want).dropped == {"no time or position": 1, "no officer": 1}
    got = dwell_dask(dd.from_pandas(df, npartitions=3), FENCES, crs=27700, max_gap=5)
    assert report_of(got).dropped == report_of(want).dropped
    assert report_of(got).rows_kept == len(df) - 2
    pd.testing.assert_frame_equal(got, want)
