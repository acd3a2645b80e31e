"""Invariants of dwell that hold for any track (hypothesis)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from shapely.geometry import box

from hspwork.tracking import dwell

T0 = pd.Timestamp("2025-10-25 22:00", tz="UTC")  # tracks run across the October clock change
FENCES = gpd.GeoDataFrame(
    {"fence_id": ["A", "B", "C"]},
    geometry=[box(0, 0, 100, 100), box(60, 60, 180, 160), box(250, 0, 300, 50)],
    crs=27700,
)
FAR = gpd.GeoDataFrame(
    {"fence_id": ["Z"]}, geometry=[box(1e5, 1e5, 1e5 + 100, 1e5 + 100)], crs=27700
)

track = st.lists(
    st.tuples(
        st.sampled_from(["PC1", "PC2", "PC3"]),
        st.integers(0, 6 * 3600),  # seconds after T0
        st.floats(-50, 320, allow_nan=False),
        st.floats(-50, 200, allow_nan=False),
        st.sampled_from(["app", "radio"]),
    ),
    min_size=1,
    max_size=60,
)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame(rows):
    off, sec, x, y, src = zip(*rows)
    df = pd.DataFrame(
        {"officer": off, "time": T0 + pd.to_timedelta(sec, unit="s"), "x": x, "y": y, "source": src}
    )
    df["crs"] = "EPSG:27700"
    return df


def canon(v):
    return v.sort_values(["officer", "fence_id", "start"]).reset_index(drop=True)


@SETTINGS
@given(track, st.randoms(use_true_random=False), st.booleans())
def test_row_order_does_not_matter(rows, rnd, interp):
    df = frame(rows)
    shuffled = df.sample(frac=1.0, random_state=rnd.randint(0, 2**31)).reset_index(drop=True)
    a = dwell(df, FENCES, interpolate=interp)
    b = dwell(shuffled, FENCES, interpolate=interp)
    pd.testing.assert_frame_equal(canon(a), canon(b))
    assert a.attrs["unobserved"] == b.attrs["unobserved"]
    assert a.attrs["patrol_minutes"] == b.attrs["patrol_minutes"]


@SETTINGS
@given(track, st.booleans())
def test_credited_time_never_exceeds_observed_time(rows, interp):
    v = dwell(frame(rows), FENCES, interpolate=interp)
    for (off, fid), minutes in v.groupby(["officer", "fence_id"])["minutes"].sum().items():
        assert minutes <= v.attrs["observed"][off] + 1e-9, (off, fid)
    # fences A and C do not overlap: their sum is bounded by observed time too
    ac = v[v["fence_id"].isin(["A", "C"])].groupby("officer")["minutes"].sum()
    for off, minutes in ac.items():
        assert minutes <= v.attrs["observed"][off] + 1e-9
    for fid, pm in v.attrs["patrol_minutes"].items():
        assert pm <= v.attrs["officer_minutes"][fid] + 1e-9
        if pm > 0:
            assert pm <= max(v.attrs["observed"].values()) * 3 + 1e-9


@SETTINGS
@given(track, st.booleans())
def test_far_away_fence_changes_nothing(rows, interp):
    df = frame(rows)
    a = dwell(df, FENCES, interpolate=interp)
    b = dwell(df, pd.concat([FENCES, FAR], ignore_index=True), interpolate=interp)
    pd.testing.assert_frame_equal(a, b)
    assert b.attrs["patrol_minutes"]["Z"] == 0.0


@SETTINGS
@given(track, st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata"]))
def test_time_zone_representation_changes_nothing(rows, tz):
    df = frame(rows)
    local = df.assign(time=df["time"].dt.tz_convert(tz))
    a = dwell(df, FENCES)
    b = dwell(local, FENCES)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["unobserved"] == b.attrs["unobserved"]


@SETTINGS
@given(track)
def test_minutes_add_up_to_credited_intervals(rows):
    v = dwell(frame(rows), FENCES)
    per_fence = v.groupby("fence_id")["minutes"].sum()
    for fid, total in v.attrs["officer_minutes"].items():
        assert_allclose(per_fence.get(fid, 0.0), total, atol=1e-9)
    assert (v["end"] >= v["start"]).all()
    assert ((v["end"] - v["start"]).dt.total_seconds() / 60 >= v["minutes"] - 1e-9).all()


def oracle_minutes(df, fences, max_gap_min):
    """The documented rule written out pair by pair with shapely: minutes per (officer, fence).

    Coordinates here never lie on a fence edge, so shapely's strict "contains" agrees with any
    boundary convention.
    """
    import shapely

    out = {}
    d = df.assign(_t=pd.DatetimeIndex(df["time"]).as_unit("ns").asi8)
    for off, g in d.sort_values(["officer", "_t", "x", "y", "source"]).groupby("officer"):
        t = g["_t"].to_numpy()
        lim = g["source"].map(max_gap_min).to_numpy() * 60e9
        for _, fence in fences.iterrows():  # a handful of fences, tens of pings: a plain oracle
            inside = shapely.contains_xy(fence.geometry, g["x"].to_numpy(), g["y"].to_numpy())
            total = 0
            for k in range(len(t) - 1):
                gap = int(t[k + 1] - t[k])
                if gap > max(lim[k], lim[k + 1]):
                    continue  # unobserved
                if inside[k] and inside[k + 1]:
                    total += gap
                elif inside[k] or inside[k + 1]:
                    total += gap // 2
            if total:
                out[(off, fence["fence_id"])] = total / 60e9
    return out


off_edge_track = st.lists(
    st.tuples(
        st.sampled_from(["PC1", "PC2"]),
        st.integers(0, 3 * 3600),
        st.integers(-50, 320).map(lambda v: v + 0.5),  # fence edges are whole metres
        st.integers(-50, 200).map(lambda v: v + 0.5),
        st.sampled_from(["app", "radio"]),
    ),
    min_size=1,
    max_size=60,
)


@SETTINGS
@given(off_edge_track, st.sampled_from([0.0, 2.0, 30.0]))
def test_total_minutes_equal_a_pair_by_pair_oracle(rows, merge_within):
    df = frame(rows)
    v = dwell(df, FENCES, merge_within=merge_within)
    got = v.groupby(["officer", "fence_id"])["minutes"].sum().to_dict()
    want = oracle_minutes(df, FENCES, {"app": 3.0, "radio": 10.0})
    assert set(got) == set(want)
    for key, minutes in want.items():
        assert_allclose(got[key], minutes, rtol=0, atol=1e-9)
