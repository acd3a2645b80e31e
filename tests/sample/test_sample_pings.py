"""The committed sample's officer pings: formats, intervals and every planted device fault."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from pyproj import Transformer

from hspwork.sample import load_truth

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TZ = "Europe/London"


@pytest.fixture(scope="module")
def truth():
    return load_truth(SAMPLE)


def _utc_from_local(app: pd.DataFrame) -> pd.Series:
    """Local naive text -> UTC, officer by officer, resolving the repeated October hour by
    order (pandas' ambiguous="infer" needs one monotonic series)."""
    naive = pd.to_datetime(app["recorded_at"], format="%Y-%m-%d %H:%M:%S")
    out = []
    for _, idx in app.groupby("collar_no", sort=False).groups.items():
        s = naive.loc[idx]
        out.append(s.dt.tz_localize(TZ, ambiguous="infer").dt.tz_convert("UTC"))
    return pd.concat(out).loc[app.index]


@pytest.fixture(scope="module")
def app():
    a = pd.read_parquet(SAMPLE / "pings_app.parquet")
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(
        a["longitude"].to_numpy(), a["latitude"].to_numpy()
    )
    a["x"], a["y"] = x, y
    a["t"] = _utc_from_local(a)
    return a


@pytest.fixture(scope="module")
def radio():
    r = pd.read_parquet(SAMPLE / "pings_radio.parquet")
    r["t"] = pd.to_datetime(r["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    return r


def test_sample_app_export_format(app, truth):
    assert list(app.columns[:7]) == [
        "collar_no", "recorded_at", "latitude", "longitude", "speed_kmh", "heading", "accuracy_m",
    ]  # fmt: skip
    assert app["collar_no"].str.fullmatch(r"\d{4}").all()
    assert app["recorded_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert_allclose(app["latitude"], app["latitude"].round(6), atol=0, rtol=0)
    assert (
        app["latitude"].between(52.5, 52.65).all() and app["longitude"].between(-0.35, -0.2).all()
    )
    assert set(app["collar_no"]) == set(truth["officers"]["app"])
    assert (app["speed_kmh"] >= 0).all() and app["heading"].dropna().between(0, 360).all()
    assert app["heading"].isna().any()  # stationary phones give no heading
    assert app["accuracy_m"].between(3, 80).all()


def test_sample_app_intervals_and_low_power_gaps(app, truth):
    low = truth["devices"]["low_power"]["collar_no"]
    gaps = app.sort_values(["collar_no", "t"]).groupby("collar_no")["t"].diff().dt.total_seconds()
    gaps = gaps.loc[app.sort_values(["collar_no", "t"]).index]
    collar = app.sort_values(["collar_no", "t"])["collar_no"]
    in_shift = gaps < 3 * 3600  # between shifts the phone is off
    normal = gaps[(collar != low) & in_shift]
    assert 30 <= normal.median() <= 60
    assert normal.max() <= 61  # no gaps while the app runs ...
    lp = gaps[(collar == low) & in_shift]
    assert (lp > 300).mean() > 0.03  # ... except on the phone in low-power mode
    assert lp.max() <= 1500 + 1


def test_sample_phone_left_running_through_the_repeated_hour(app, truth):
    lr = truth["devices"]["left_running"]
    p = app[app["collar_no"] == lr["collar_no"]]
    t0, t1 = pd.Timestamp(lr["shift_end_utc"]), pd.Timestamp(lr["until_utc"])
    after = p[(p["t"] > t0) & (p["t"] <= t1)]
    assert len(after) == lr["n_pings"]
    assert (t1 - t0) >= pd.Timedelta(hours=5)
    # stationary at the station, give or take GPS error
    d = np.hypot(after["x"] - lr["x"], after["y"] - lr["y"])
    assert np.median(d) < 30 and (d < 100).mean() > 0.99
    assert after["speed_kmh"].median() < 1.0
    # the naive local clock repeats 01:00-02:00 on 26 October: it steps back once
    naive = pd.to_datetime(after["recorded_at"])
    assert (naive.diff().dt.total_seconds() < 0).sum() == 1
    assert after["t"].is_monotonic_increasing
    rep = after["recorded_at"].str.startswith("2025-10-26 01:")
    assert 100 <= rep.sum() <= 260  # two hours of 30-60 s pings


def test_sample_radio_export_format_and_dead_spots(radio, truth):
    assert list(radio.columns[:5]) == ["issi", "collar_no", "timestamp", "easting", "northing"]
    assert radio["timestamp"].str.endswith("Z").all()
    assert set(radio["collar_no"]) == set(truth["officers"]["radio"])
    assert dict(zip(radio["collar_no"], radio["issi"])) == truth["officers"]["radio_issi"]
    r = radio.sort_values(["issi", "t"])
    gaps = r.groupby("issi")["t"].diff().dt.total_seconds()
    assert 120 <= gaps[gaps < 3600].median() <= 300
    for spot in truth["devices"]["dead_spots"]:
        d = np.hypot(radio["easting"] - spot["x"], radio["northing"] - spot["y"])
        assert (d < spot["radius_m"] - 60).sum() == 0  # noise of ~12 m cannot reach in


@pytest.fixture(scope="module")
def app_visits(truth):
    tv = pd.read_csv(SAMPLE / "truth_visits.csv", dtype={"collar_no": str})
    tv = tv[(tv["status"] == "delivered") & tv["collar_no"].isin(truth["officers"]["app"])]
    tv = tv[tv["collar_no"] != truth["devices"]["low_power"]["collar_no"]]
    tv["s"] = pd.to_datetime(tv["start"], utc=True)
    tv["e"] = pd.to_datetime(tv["end"], utc=True)
    return tv


def test_sample_app_pings_during_visits_and_the_offset_beat(app, app_visits, truth):
    spots = gpd.read_file(SAMPLE / "hotspots.geojson").set_index("fence_id")
    off_beat = truth["devices"]["offset_beat"]
    by_officer = dict(tuple(app.groupby("collar_no")))
    rows = []
    for v in app_visits.sample(400, random_state=0).itertuples():
        p = by_officer[v.collar_no]
        p = p[(p["t"] >= v.s) & (p["t"] <= v.e)]
        if len(p) < 3:
            continue
        geom = spots.loc[v.fence_id, "geometry"]
        c = geom.centroid
        rows.append(
            (
                spots.loc[v.fence_id, "beat_id"] == off_beat,
                float(np.median(np.hypot(p["x"] - c.x, p["y"] - c.y))),
                float(shapely.contains_xy(geom.buffer(20), p["x"], p["y"]).mean()),
                v.minutes,
                len(p),
            )
        )
    res = pd.DataFrame(rows, columns=["offset", "dist", "inside", "minutes", "n"])
    assert res["offset"].sum() >= 10 and (~res["offset"]).sum() >= 100
    ok, off = res[~res["offset"]], res[res["offset"]]
    assert ok["dist"].median() < 30 and ok["inside"].median() > 0.9
    assert off["dist"].median() == pytest.approx(truth["devices"]["offset_m"]["distance"], abs=40)
    assert off["inside"].median() < 0.1
    # 30-60 s pings: a visit of m minutes holds about m / 0.75 pings
    assert_allclose((ok["n"] / ok["minutes"]).median(), 60 / 45, rtol=0.15)


def test_sample_week_csv_is_the_parquet_week(app):
    wk = pd.read_csv(SAMPLE / "pings_app_week.csv", dtype={"collar_no": str})
    day = app["recorded_at"].str[:10]
    sub = app[(day >= "2025-10-20") & (day <= "2025-10-26")].reset_index(drop=True)
    assert len(wk) == len(sub) > 10_000
    assert (wk["collar_no"] == sub["collar_no"]).all()
    assert (wk["recorded_at"] == sub["recorded_at"]).all()
    for col in ("latitude", "longitude", "speed_kmh", "heading", "accuracy_m"):
        assert_allclose(wk[col], sub[col], atol=1e-9, err_msg=col)


def test_sample_activity_log(truth):
    log = pd.read_csv(SAMPLE / "activity_log.csv", dtype={"officer": str})
    assert list(log.columns) == ["officer", "time", "type", "x", "y"]
    assert set(log["type"]) == {"engagement", "stop", "problem-solving", "arrest"}
    assert log["type"].value_counts().sort_index().to_dict() == truth["devices"]["activity_counts"]
    officers = set(truth["officers"]["app"]) | set(truth["officers"]["radio"])
    assert set(log["officer"]) <= officers
    t = pd.to_datetime(log["time"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    assert t.min() >= pd.Timestamp("2025-09-01", tz=TZ)
    assert t.max() < pd.Timestamp("2025-11-30", tz=TZ)
    spots = gpd.read_file(SAMPLE / "hotspots.geojson")
    inside = {}
    for role in ("treatment", "control"):
        geom = shapely.union_all(spots.loc[spots["role"] == role, "geometry"].to_numpy())
        inside[role] = shapely.contains_xy(geom, log["x"], log["y"]).mean()
    # about 0.6 events per delivered visit happen in the visited (treated) fence; controls
    # see only officers passing through
    assert inside["treatment"] >= 0.6
    assert inside["control"] <= 0.02
