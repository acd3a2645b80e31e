"""Fence versions: commits, history, comparisons and version-at-time lookups."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from shapely.geometry import box

from hspwork.errors import HspworkError
from hspwork.fences import (
    commit_fences,
    compare_versions,
    epoch_of,
    fence_epochs,
    fence_history,
    fences_at,
    make_fences,
    versions_at,
)

T0 = pd.Timestamp("2024-01-01", tz="UTC")
T1 = pd.Timestamp("2024-02-01", tz="UTC")
T2 = pd.Timestamp("2024-03-01", tz="UTC")


@pytest.fixture
def history():
    """a: edited at T1 and again at T2; b: retired at T1; c: added at T2."""
    f = make_fences(
        gpd.GeoDataFrame(
            {"p": ["a", "b"], "n": ["Market", "Station"]},
            geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)],
            crs=27700,
        ),
        id_column="p",
        name_column="n",
        valid_from=T0,
    )
    cur = f[f.fence_id == "a"].assign(geometry=[box(0, 0, 100, 150)])
    f = commit_fences(f, cur, at=T1, note="widened north")
    cur = gpd.GeoDataFrame(
        {"fence_id": ["a", "c"], "name": ["Market", "Park"]},
        geometry=[box(30, 0, 130, 150), box(3000, 0, 3050, 50)],
        crs=27700,
    )
    return commit_fences(f, cur, at=T2)


def test_commit_makes_versions_with_effective_dates(history):
    h = history
    assert h[["fence_id", "version"]].values.tolist() == [
        ["a", 1],
        ["a", 2],
        ["a", 3],
        ["b", 1],
        ["c", 1],
    ]
    assert h["valid_from"].tolist() == [T0, T1, T2, T0, T2]
    assert h["valid_to"].iloc[:2].tolist() == [T1, T2] and pd.isna(h["valid_to"].iloc[2])
    assert h["valid_to"].iloc[3] == T1 and pd.isna(h["valid_to"].iloc[4])
    assert h["notes"].iloc[1] == "widened north"
    assert h["name"].tolist() == ["Market", "Market", "Market", "Station", "Park"]


def test_commit_tolerates_lonlat_drift_but_sees_a_real_move():
    # Central London; through WGS84 and back the corners drift by about a millimetre.
    f = make_fences(
        gpd.GeoDataFrame(geometry=[box(530000, 180000, 530100, 180100)], crs=27700), valid_from=T0
    )
    drifted = f.to_crs(4326).to_crs(27700)
    assert not drifted.geometry.iloc[0].equals_exact(f.geometry.iloc[0], 0)
    assert len(commit_fences(f, drifted, at=T1)) == 1
    moved = f.assign(geometry=f.translate(0.05, 0))  # 5 cm is a change
    assert len(commit_fences(f, moved, at=T1)) == 2


def test_commit_renames_without_touching_geometry(history):
    now = history[history.valid_to.isna()]
    assert len(commit_fences(history, now, at="2024-04-01T00:00Z")) == len(history)
    renamed = now.assign(name=["Market Square", "Park"])
    r = commit_fences(history, renamed, at="2024-04-01T00:00Z")
    assert r[r.fence_id == "a"]["version"].max() == 4
    new = r[(r.fence_id == "a") & (r.version == 4)].iloc[0]
    assert new["name"] == "Market Square" and new.geometry.equals(now.geometry.iloc[0])
    assert r[r.fence_id == "c"]["version"].max() == 1


def test_commit_refuses_a_change_before_the_version_it_ends(history):
    with pytest.raises(
        HspworkError,
        match=r"at=2024-02-15 00:00:00\+00:00 is not after the start of fence 'a' version 3",
    ):
        commit_fences(history, history[history.valid_to.isna()], at="2024-02-15T00:00Z")


def test_fences_at_boundaries(history):
    assert fences_at(history, T0 - pd.Timedelta("1ns")).empty
    at0 = fences_at(history, T0)
    assert at0[["fence_id", "version"]].values.tolist() == [["a", 1], ["b", 1]]
    at1 = fences_at(history, T1)  # valid_to is exclusive: b is gone, a is version 2
    assert at1[["fence_id", "version"]].values.tolist() == [["a", 2]]
    at2 = fences_at(history, "2030-01-01T00:00Z")
    assert at2[["fence_id", "version"]].values.tolist() == [["a", 3], ["c", 1]]


def test_versions_at_matches_a_brute_force_lookup(history):
    rng = np.random.default_rng(7)
    n = 600
    span = (T2 + pd.Timedelta("30D") - (T0 - pd.Timedelta("10D"))).value
    times = pd.to_datetime((T0 - pd.Timedelta("10D")).value + rng.integers(0, span, n), utc=True)
    # Include the exact edges.
    times = times.append(pd.DatetimeIndex([T0, T1, T2, T1 - pd.Timedelta("1ns")]))
    ids = rng.choice(["a", "b", "c", "zz"], size=len(times))
    got = versions_at(history, ids, times)
    expected = np.full(len(times), -1)
    rows = list(zip(history["fence_id"], history["valid_from"], history["valid_to"], strict=True))
    for i, (fid, t) in enumerate(zip(ids, times, strict=True)):
        for j, (rid, start, end) in enumerate(rows):
            if rid == fid and start <= t and (pd.isna(end) or t < end):
                expected[i] = j
    assert_array_equal(got, expected)
    assert (got[ids == "zz"] == -1).all()


def test_epochs_partition_time(history):
    ep = fence_epochs(history)
    assert ep["start"].tolist() == [T0, T1, T2]
    assert ep["end"].iloc[:2].tolist() == [T1, T2] and pd.isna(ep["end"].iloc[2])
    assert ep["rows"].tolist() == [[0, 3], [1], [2, 4]]
    t = pd.DatetimeIndex(
        [T0 - pd.Timedelta("1s"), T0, T1 - pd.Timedelta("1s"), T1, T2 + pd.Timedelta("900D")]
    )
    assert_array_equal(epoch_of(history, t), [-1, 0, 0, 1, 2])
    # Every fence in an epoch is the one versions_at picks for any time inside it.
    for e, rows in enumerate(ep["rows"]):
        t0 = ep["start"].iloc[e]
        ids = history["fence_id"].iloc[rows].to_numpy()
        assert_array_equal(versions_at(history, ids, [t0] * len(ids)), rows)


def test_versions_at_rejects_mismatched_input(history):
    with pytest.raises(HspworkError, match=r"fence_ids has 2 values but times has 1"):
        versions_at(history, ["a", "b"], [T0])
    with pytest.raises(HspworkError, match=r"times has 1 missing value"):
        versions_at(history, ["a"], [pd.NaT])


def test_history_and_compare_with_hand_figures(history):
    h = fence_history(history, "a")
    assert_allclose(h["area_m2"], [10000, 15000, 15000])
    assert_allclose(h["area_change_m2"], [np.nan, 5000, 0])
    # Centres: (50, 50) -> (50, 75) -> (80, 75).
    assert_allclose(h["centroid_shift_m"], [np.nan, 25, 30])
    c = compare_versions(history, "a", 1, 3)
    row = c.iloc[0]
    # v1 = [0,100]x[0,100]; v3 = [30,130]x[0,150]; shared [30,100]x[0,100] = 7000 m².
    assert_allclose(row["added_m2"], 15000 - 7000)
    assert_allclose(row["removed_m2"], 10000 - 7000)
    assert_allclose(row["changed_m2"], 8000 + 3000)
    assert_allclose(row["area_change_pct"], 50.0)
    assert_allclose(row["centroid_shift_m"], np.hypot(30, 25))
    assert_allclose(c.area.iloc[0], 11000)
    default = compare_versions(history, "a")
    assert (default["version_a"].iloc[0], default["version_b"].iloc[0]) == (2, 3)
    with pytest.raises(HspworkError, match=r"fence 'c' has only version 1: nothing to compare"):
        compare_versions(history, "c")
    with pytest.raises(HspworkError, match=r"fence 'a' has no version 9; versions: \[1, 2, 3\]"):
        compare_versions(history, "a", 1, 9)
    with pytest.raises(HspworkError, match=r"no fence 'q'; fences: a, b, c"):
        fence_history(history, "q")


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 40),  # days after the previous commit
            st.lists(st.sampled_from(["a", "b", "c"]), unique=True),  # fences kept
            st.integers(0, 2),  # which kept fence is widened
        ),
        min_size=1,
        max_size=6,
    )
)
def test_fences_at_replays_every_commit(steps):
    """After any sequence of commits, the fences in force at each commit's time are exactly
    what was committed then, and at any moment a fence has at most one version in force."""
    base = {k: box(1000 * i, 0, 1000 * i + 100, 100) for i, k in enumerate("abc")}
    f = make_fences(
        gpd.GeoDataFrame({"p": list(base)}, geometry=list(base.values()), crs=27700),
        id_column="p",
        valid_from=T0,
    )
    state, t, log = dict(base), T0, [(T0, dict(base))]
    for days, kept, widen in steps:
        t = t + pd.Timedelta(days=days)
        state = {k: state.get(k, base[k]) for k in kept}
        if kept:
            k = kept[widen % len(kept)]
            x0, y0, x1, y1 = state[k].bounds
            state[k] = box(x0, y0, x1 + 10, y1)
        cur = gpd.GeoDataFrame({"fence_id": list(state)}, geometry=list(state.values()), crs=27700)
        f = commit_fences(f, cur, at=t)
        log.append((t, dict(state)))
    for when, expected in log:
        got = fences_at(f, when)
        assert sorted(got["fence_id"]) == sorted(expected)
        for fid, geom in zip(got["fence_id"], got.geometry, strict=True):
            assert geom.equals(expected[fid])
        later = when + pd.Timedelta(hours=1)
        ids = np.array(sorted(expected))
        rows = versions_at(f, ids, [later] * len(ids))
        assert (rows >= 0).all() and list(f["fence_id"].iloc[rows]) == list(ids)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_saved_history_survives_a_failed_save_of_the_next_commit(tmp_path, history, suffix):
    # The week's commit is saved over last week's file. When that save fails, last week's
    # whole history is still there; when it succeeds, every version comes back.
    import hspwork.fences.formats as formats
    from hspwork.fences import from_file, to_file

    path = to_file(history, tmp_path / f"fences{suffix}")
    before = path.read_bytes()
    week = commit_fences(
        history,
        gpd.GeoDataFrame({"fence_id": ["c"]}, geometry=[box(3000, 0, 3080, 50)], crs=27700),
        at="2024-04-01T00:00Z",
    )

    def fail(*args, **kwargs):
        raise RuntimeError("interrupted")

    real = formats.pyogrio.write_dataframe
    formats.pyogrio.write_dataframe = fail
    try:
        with pytest.raises(RuntimeError, match="interrupted"):
            to_file(week, path)
    finally:
        formats.pyogrio.write_dataframe = real
    assert path.read_bytes() == before
    back = from_file(to_file(week, path))
    assert fence_history(back)[["fence_id", "version"]].values.tolist() == (
        fence_history(week)[["fence_id", "version"]].values.tolist()
    )
    assert len(back) == len(history) + 1
