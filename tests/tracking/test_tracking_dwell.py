"""Dwell against tracks whose true time in each fence is worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import MultiPolygon, Polygon, box

from hspwork.errors import CRSError, CRSMismatchWarning, HspworkError, SchemaError
from hspwork.report import report_of
from hspwork.tracking import FenceIndex, dwell, dwell_summary, unobserved_table

T0 = pd.Timestamp("2025-06-02 09:00", tz="UTC")


def make_pings(officer, times, xs, ys, source="app"):
    df = pd.DataFrame(
        {
            "officer": officer,
            "time": pd.DatetimeIndex(times),
            "x": np.asarray(xs, float),
            "y": np.asarray(ys, float),
            "source": source,
        }
    )
    df["crs"] = "EPSG:27700"
    return df


def cat(*frames):
    return pd.concat(frames, ignore_index=True)  # the crs column comes along


def square(fid="A", x0=0.0, y0=0.0, size=100.0, **cols):
    return gpd.GeoDataFrame(
        {"fence_id": [fid], **{k: [v] for k, v in cols.items()}},
        geometry=[box(x0, y0, x0 + size, y0 + size)],
        crs=27700,
    )


def walk(speed_mps=1.25, every_s=30, x_start=-80.0, n=12, officer="PC1", source="app", t0=T0):
    times = t0 + pd.to_timedelta(np.arange(n) * every_s, unit="s")
    xs = x_start + speed_mps * every_s * np.arange(n)
    return make_pings(officer, times, xs, np.full(n, 50.0), source)


def test_straight_walk_midpoint_and_interpolation_by_hand():
    # 1.25 m/s, a ping every 30 s = 37.5 m apart, starting at x = -80:
    # x = -80, -42.5, -5, 32.5, 70, 107.5, 145, ... Inside (0, 100): 32.5 and 70.
    p = walk()
    v = dwell(p, square())
    # midpoint: (-5 -> 32.5) half of 30 s, (32.5 -> 70) 30 s, (70 -> 107.5) half: 60 s.
    assert len(v) == 1
    assert_allclose(v["minutes"].iloc[0], 1.0, rtol=0, atol=1e-12)
    assert v["n_pings"].iloc[0] == 2
    assert v["start"].iloc[0] == T0 + pd.Timedelta(seconds=75)
    assert v["end"].iloc[0] == T0 + pd.Timedelta(seconds=135)
    # interpolation: true crossing 100 m at 1.25 m/s = 80 s.
    vi = dwell(p, square(), interpolate=True)
    assert_allclose(vi["minutes"].iloc[0], 80 / 60, rtol=0, atol=1e-9)
    assert vi["start"].iloc[0] == T0 + pd.Timedelta(seconds=64)  # x=0 reached at 80/1.25 s
    assert_allclose(vi["mean_speed_mps"].iloc[0], 1.25, rtol=1e-9)


def test_radio_ping_rate_is_observed_but_too_slow_for_app_limit():
    # a radio every 4 minutes, officer standing in the fence for 40 minutes
    times = T0 + pd.to_timedelta(np.arange(11) * 4, unit="min")
    p = make_pings("PC2", times, np.full(11, 50.0), np.full(11, 50.0), source="radio")
    v = dwell(p, square())
    assert_allclose(v["minutes"].to_numpy(), [40.0])
    assert v.attrs["unobserved"] == {"PC2": 0.0}
    # the same pings labelled "app" exceed its 3-minute limit: no data, no visit
    v_app = dwell(p.assign(source="app"), square())
    assert len(v_app) == 0
    assert_allclose(v_app.attrs["unobserved"]["PC2"], 40.0)
    # and max_gap is always overridable
    assert_allclose(dwell(p.assign(source="app"), square(), max_gap=5)["minutes"].sum(), 40.0)
    assert_allclose(dwell(p, square(), max_gap={"radio": "3min"})["minutes"].sum(), 0.0)


def test_dead_spot_is_unobserved_not_absent():
    # in the fence each minute 0..10, silent 20 minutes, then 30..40 each minute
    mins = np.r_[np.arange(11), np.arange(30, 41)]
    p = make_pings(
        "PC3", T0 + pd.to_timedelta(mins, unit="min"), np.full(22, 50.0), np.full(22, 50.0)
    )
    v = dwell(p, square())
    assert_allclose(v["minutes"].to_numpy(), [10.0, 10.0])
    assert v["n_pings"].tolist() == [11, 11]
    assert_allclose(v.attrs["unobserved"]["PC3"], 20.0)
    assert_allclose(v.attrs["observed"]["PC3"], 20.0)
    # merge_within longer than the dead spot joins the runs but does not credit the gap
    v2 = dwell(p, square(), merge_within=25)
    assert_allclose(v2["minutes"].to_numpy(), [20.0])
    assert v2["end"].iloc[0] - v2["start"].iloc[0] == pd.Timedelta(minutes=40)
    tab = unobserved_table(v)
    assert_allclose(tab["unobserved_share"], [0.5])


def test_merge_within_joins_short_excursions_only():
    # inside 0..5 min, outside pings at 6 and 7 (gap outside = 2 min between credited runs
    # after midpoint halves: credited ends at 5.5, restarts at 7.5 -> 2 minutes apart)
    xs = [50, 50, 50, 50, 50, 50, 300, 300, 50, 50, 50]
    mins = np.arange(11)
    p = make_pings("PC4", T0 + pd.to_timedelta(mins, unit="min"), xs, np.full(11, 50.0))
    assert len(dwell(p, square(), merge_within=2)) == 2  # separated by exactly 2: not < 2
    v = dwell(p, square(), merge_within=2.5)
    assert len(v) == 1
    assert_allclose(v["minutes"].iloc[0], 5.5 + 2.5)  # 0..5.5 and 7.5..10


def test_visit_across_october_clock_change():
    # 26 Oct 2025: 02:00 BST becomes 01:00 GMT. Pings each minute from 01:40 BST (00:40 UTC)
    # to 01:20 GMT (01:20 UTC): 40 real minutes, though the local clock moved -20 minutes.
    utc = pd.date_range("2025-10-26 00:40", "2025-10-26 01:20", freq="1min", tz="UTC")
    p = make_pings("PC5", utc, np.full(len(utc), 50.0), np.full(len(utc), 50.0))
    local = p.assign(time=p["time"].dt.tz_convert("Europe/London"))
    assert local["time"].iloc[0].hour == 1 and local["time"].iloc[-1].hour == 1
    v_utc = dwell(p, square())
    v_local = dwell(local, square())
    assert_allclose(v_utc["minutes"].to_numpy(), [40.0])
    pd.testing.assert_frame_equal(v_utc, v_local)


def test_overlapping_fences_credit_each_and_patrol_minutes():
    fences = pd.concat([square("A"), square("B", x0=50)], ignore_index=True)
    # standing at x=75 (inside both) for 10 minutes
    p1 = make_pings(
        "PC6", T0 + pd.to_timedelta(np.arange(11), unit="min"), np.full(11, 75.0), np.full(11, 50.0)
    )
    # a second officer in A only, overlapping the first for minutes 5..10 then alone to 15
    p2 = make_pings(
        "PC7",
        T0 + pd.to_timedelta(np.arange(5, 16), unit="min"),
        np.full(11, 25.0),
        np.full(11, 50.0),
    )
    v = dwell(cat(p1, p2), fences)
    got = v.groupby(["officer", "fence_id"])["minutes"].sum().to_dict()
    assert got == {("PC6", "A"): 10.0, ("PC6", "B"): 10.0, ("PC7", "A"): 10.0}
    s = dwell_summary(v).set_index("fence_id")
    assert_allclose(s.loc["A", "officer_minutes"], 20.0)
    assert_allclose(s.loc["A", "patrol_minutes"], 15.0)  # minutes 0..15 with someone there
    assert_allclose(s.loc["B", "patrol_minutes"], 10.0)
    assert s.loc["A", "visits"] == 2


def test_versioned_fence_uses_version_valid_at_ping_time():
    switch = T0 + pd.Timedelta(minutes=10)
    v1 = square("A", size=100, valid_from=pd.NaT, valid_to=switch, version=1)
    v2 = square("A", size=300, valid_from=switch, valid_to=pd.NaT, version=2)
    fences = pd.concat([v1, v2], ignore_index=True)
    for c in ("valid_from", "valid_to"):
        fences[c] = pd.to_datetime(fences[c], utc=True)
    # standing at (200, 50): outside v1, inside v2; pings every minute 0..20
    p = make_pings(
        "PC8",
        T0 + pd.to_timedelta(np.arange(21), unit="min"),
        np.full(21, 200.0),
        np.full(21, 50.0),
    )
    v = dwell(p, fences)
    # inside from minute 10 on: 10 full minutes, plus half of the 9->10 pair
    assert_allclose(v["minutes"].to_numpy(), [10.5])
    assert v["n_pings"].tolist() == [11]


def test_catchment_buffers():
    p = make_pings(
        "PC9", T0 + pd.to_timedelta(np.arange(6), unit="min"), np.full(6, 120.0), np.full(6, 50.0)
    )
    f = square("A", buffer_m=25.0)
    assert len(dwell(p, f)) == 0
    assert_allclose(dwell(p, f, catchment=True)["minutes"].sum(), 5.0)
    assert len(dwell(p, f, catchment=10.0)) == 0


def test_point_in_polygon_matches_shapely_with_holes_and_multipolygons():
    rng = np.random.default_rng(7)
    donut = Polygon(
        [(0, 0), (100, 0), (100, 100), (0, 100)], [[(30, 30), (70, 30), (70, 70), (30, 70)]]
    )
    star = Polygon(
        [
            (
                150 + 40 * np.cos(a) * (1 if k % 2 else 0.4),
                50 + 40 * np.sin(a) * (1 if k % 2 else 0.4),
            )
            for k, a in enumerate(np.linspace(0, 2 * np.pi, 14, endpoint=False))
        ]
    )
    multi = MultiPolygon([box(0, 150, 40, 190), box(60, 150, 100, 190)])
    geoms = [donut, star, multi]
    fences = gpd.GeoDataFrame({"fence_id": ["d", "s", "m"]}, geometry=geoms, crs=27700)
    idx = FenceIndex(fences)
    x = rng.uniform(-10, 200, 20000)
    y = rng.uniform(-10, 200, 20000)
    ping, poly = idx.contains(x, y, np.zeros(len(x), dtype=np.int64))
    got = np.zeros((len(x), 3), dtype=bool)
    got[ping, poly] = True
    want = np.column_stack([shapely.contains_xy(g, x, y) for g in geoms])
    assert (got == want).all()
    assert want.sum() > 2000  # the test exercises real insides


def test_errors_name_what_was_received():
    p = walk()
    with pytest.raises(SchemaError, match="tz-aware"):
        dwell(p.assign(time=p["time"].dt.tz_localize(None)), square())
    with pytest.raises(CRSError, match=r"pings have no CRS.*pass crs="):
        dwell(p.drop(columns="crs"), square())
    with pytest.raises(SchemaError, match=r"no max_gap for source\(s\) \['bodycam'\]"):
        dwell(p.assign(source="bodycam"), square())
    with pytest.raises(SchemaError, match=r"lack column\(s\) \['x'\]"):
        dwell(p.drop(columns="x"), square())
    with pytest.raises(HspworkError, match="max_gap='soon'"):
        dwell(p, square(), max_gap="soon")
    with pytest.raises(SchemaError, match="Polygon or MultiPolygon; found \\['Point'\\]"):
        dwell(p, gpd.GeoDataFrame({"fence_id": ["A"]}, geometry=[shapely.Point(0, 0)], crs=27700))


def test_crs_mismatch_converts_pings_with_warning():
    p = walk()
    f = square().to_crs(3857)
    with pytest.warns(CRSMismatchWarning, match="converted the pings"):
        v = dwell(p, f)
    assert_allclose(v["minutes"].sum(), 1.0, atol=1e-9)


def test_rows_without_position_are_counted():
    p = walk()
    p.loc[3, "x"] = np.nan
    p["officer"] = p["officer"].astype(object)
    p.loc[5, "officer"] = None
    v = dwell(p, square())
    rep = report_of(v)
    assert rep.dropped == {"no time or position": 1, "no officer": 1}
    assert rep.rows_read == len(p) and rep.rows_kept == len(p) - 2


def test_pings_before_every_fence_version_warn():
    from hspwork.errors import HspworkWarning

    p = walk()
    f = square(valid_from=pd.Timestamp("2030-01-01", tz="UTC"))
    with pytest.warns(HspworkWarning, match=r"12 of 12 pings are outside every fence version"):
        v = dwell(p, f)
    assert len(v) == 0


def test_simultaneous_pings_from_two_devices_do_not_depend_on_row_order():
    # the same instant and place from the app and the radio, between app pings 4 minutes apart
    t = T0 + pd.to_timedelta([0, 4, 4, 8], unit="min")
    p = make_pings("PC1", t, [50.0, 50, 50, 50], [50.0] * 4)
    p["source"] = ["app", "app", "radio", "app"]
    a = dwell(p, square())
    b = dwell(p.iloc[[0, 2, 1, 3]].reset_index(drop=True), square())
    pd.testing.assert_frame_equal(a, b)
    # pairs (app, app) exceed 3 min; pairs touching the radio ping use its 10-minute limit
    assert a.attrs["unobserved"] == b.attrs["unobserved"]


def test_edge_cases_gap_equal_to_max_gap_single_ping_zero_gap_and_boundaries():
    fences = pd.concat([square("A"), square("B", x0=100)], ignore_index=True)

    def at(mins, xs, ys=None):
        ys = np.full(len(mins), 50.0) if ys is None else ys
        return make_pings("PC1", T0 + pd.to_timedelta(np.asarray(mins, float), unit="min"), xs, ys)

    # a gap of exactly max_gap (3 min for an app) is observed: "g > max_gap" is unobserved
    v = dwell(at([0, 3], [50, 50]), fences)
    assert v[["fence_id", "minutes"]].to_dict("records") == [{"fence_id": "A", "minutes": 3.0}]
    assert v.attrs["unobserved"] == {"PC1": 0.0}
    v = dwell(at([0, 3 + 1e-6], [50, 50]), fences)
    assert len(v) == 0
    assert_allclose(v.attrs["unobserved"]["PC1"], 3 + 1e-6, rtol=1e-9)
    # a single ping: no pair, so no credited time and no visit; nothing observed either
    v = dwell(at([0], [50]), fences)
    assert len(v) == 0 and v.attrs["observed"] == {"PC1": 0.0}
    # a zero-length gap (two fixes at one instant, both inside) neither credits nor breaks a run
    v = dwell(at([0, 0, 1], [50, 60, 50]), fences)
    assert v[["minutes", "n_pings"]].to_dict("records") == [{"minutes": 1.0, "n_pings": 3}]
    # boundaries, half-open: west/south edges inside, east/north outside; a ping on the edge
    # shared by A and B belongs to B alone
    expect = {
        (0, 50): ["A"],
        (50, 0): ["A"],
        (0, 0): ["A"],
        (100, 50): ["B"],
        (50, 100): [],
        (200, 50): [],
        (100, 100): [],
    }
    for (x, y), fids in expect.items():
        v = dwell(at([0, 1], [x, x], np.array([y, y], float)), fences)
        assert v["fence_id"].tolist() == fids, (x, y)
        assert_allclose(v["minutes"].sum(), float(len(fids)))


def test_fences_without_a_fence_id_are_refused_naming_the_rows():
    # Was: a raw "ValueError: 'list' argument must have no negative elements" (a NaN id
    # factorised to -1), or a silent fence called "nan".
    p = walk()
    two = pd.concat([square("A"), square("B", x0=500.0)], ignore_index=True)
    for missing in (np.nan, None, ""):
        f = two.copy()
        f["fence_id"] = pd.array(["A", missing], dtype=object)
        with pytest.raises(HspworkError, match=r"1 fence\(s\) without a fence_id \(row 1\)"):
            dwell(p, f)
    f = two.copy()
    f["fence_id"] = pd.array(["A", None], dtype="str")
    with pytest.raises(HspworkError, match=r"without a fence_id \(row 1\)"):
        dwell(p, f)
