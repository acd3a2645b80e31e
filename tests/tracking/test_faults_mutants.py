"""Location faults at their edges, worked by hand on one or two 100 m squares.

Each test sits where a plausible slip in :mod:`hspwork.tracking.faults` shows: a strength exactly
at its threshold, a ping at the first and last instant of a tasked window, a silence exactly as
long as the bridge allows, an offset exactly as long as the catchment, a force whose map is in US
survey feet. The ping tables are a few dozen rows, so ``make mutate`` runs this file first.

The town: fence A is the square (0, 0)-(100, 100), centre (50, 50); fence B the square
(1000, 0)-(1100, 100), centre (1050, 50). PC1's phone app pings once a minute; PC4's radio
every 3 minutes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import box

from hspwork.errors import HspworkError, SchemaError
from hspwork.tracking import faults as F
from hspwork.tracking.dwell import prepare_pings

T0 = pd.Timestamp("2025-06-02 09:00", tz="UTC")
FT = 1 / 0.30480060960121924  # US survey feet per metre (EPSG:2263's unit)
HOME = (5000.0, 5000.0)  # where officers wait, far from every fence


def at(minutes) -> pd.Timestamp:
    """09:00 plus ``minutes`` (or plus a Timedelta, for edges to the nanosecond)."""
    return T0 + (minutes if isinstance(minutes, pd.Timedelta) else pd.Timedelta(minutes=minutes))


def fences(buffer_m: float = 10.0, scale: float = 1.0, crs=27700, **cols) -> gpd.GeoDataFrame:
    """Fences A and B (100 m squares 1 km apart), in metres or (scale=FT) in feet."""
    f = gpd.GeoDataFrame(
        {"fence_id": ["A", "B"], "buffer_m": buffer_m, **cols},
        geometry=[
            box(0, 0, 100 * scale, 100 * scale),
            box(1000 * scale, 0, 1100 * scale, 100 * scale),
        ],
        crs=crs,
    )
    return f


def pings(rows, scale: float = 1.0, crs: str = "EPSG:27700") -> pd.DataFrame:
    """Pings from (officer, minutes after 09:00, x, y, source)."""
    return pd.DataFrame(
        {
            "officer": [r[0] for r in rows],
            "time": [at(r[1]) for r in rows],
            "x": [r[2] * scale for r in rows],
            "y": [r[3] * scale for r in rows],
            "source": [r[4] for r in rows],
            "crs": crs,
        }
    )


def windows(*rows) -> pd.DataFrame:
    """Tasked windows from (tasking, fence, officer, start, end as minutes after 09:00, minutes)."""
    return pd.DataFrame(
        {
            "tasking_id": [r[0] for r in rows],
            "fence_id": [r[1] for r in rows],
            "officer": [r[2] for r in rows],
            "window_start": [at(r[3]) for r in rows],
            "window_end": [at(r[4]) for r in rows],
            "minutes": [float(r[5]) for r in rows],
        }
    )


# --------------------------------------------------------------------------- small helpers


def test_ratios_in_words_at_their_edges():
    assert F._times(np.nan) == "not measurably"
    assert F._times(np.inf) == "not measurably"
    assert F._times(100.0) == "over 100 times"
    assert F._times(99.4) == "99 times"
    assert F._times(10.0) == "10 times"
    assert F._times(9.96) == "10.0 times"  # one decimal below ten
    assert F._times(3.24) == "3.2 times"
    assert F._times(0.0) == "0.0 times"


def test_strengths_rank_weakest_first_and_unknown_ones_are_named():
    assert [F._rank(s) for s in ("none", "weak", "moderate", "strong")] == [0, 1, 2, 3]
    with pytest.raises(HspworkError, match=r"strength 'certain'; allowed \['none', 'weak'"):
        F._rank("certain")


def test_the_fence_table_takes_each_fences_latest_place_and_its_catchment():
    # A given twice (the later version is the square at the origin), B once, and a corrected
    # row for A's app that is not the place itself
    f = gpd.GeoDataFrame(
        {"fence_id": ["B", "A", "A", "A"], "buffer_m": [np.nan, 5.0, 10.0, 99.0],
         "source": [None, None, None, "app"], "beat": ["b1", "a0", "a1", "a2"]},
        geometry=[box(1000, 0, 1100, 100), box(500, 500, 600, 600), box(0, 0, 100, 100),
                  box(-300, 0, 100, 100)],
        crs=27700,
    )  # fmt: skip
    ft = F._fence_table(f, True, "beat")
    assert list(ft.ids) == ["A", "B"]  # sorted by fence_id
    assert_allclose(ft.cx, [50.0, 1050.0])
    assert_allclose(ft.cy, [50.0, 50.0])
    assert_allclose(ft.buffer_m, [10.0, 0.0])  # B's missing buffer is none
    assert list(ft.area) == ["a1", "b1"]
    # A's catchment: the square widened by 10 m, its corners rounded
    assert_allclose(ft.catch[0].bounds, (-10, -10, 110, 110))
    assert ft.catch[1].equals(ft.core[1])
    assert F._fence_table(f, False, None).buffer_m.tolist() == [0.0, 0.0]
    assert F._fence_table(f, None, None).buffer_m.tolist() == [0.0, 0.0]
    assert F._fence_table(f, 7.5, None).buffer_m.tolist() == [7.5, 7.5]
    assert F._fence_table(f, 7.5, None).area is None
    with pytest.raises(SchemaError, match="catchment=True needs a 'buffer_m' column"):
        F._fence_table(f.drop(columns="buffer_m"), True, None)
    with pytest.raises(SchemaError, match="must be a GeoDataFrame with a 'fence_id'"):
        F._fence_table(pd.DataFrame(f.drop(columns="geometry")), True, None)
    with pytest.raises(SchemaError, match="must be a GeoDataFrame with a 'fence_id'"):
        F._fence_table(f.drop(columns="fence_id"), True, None)


def test_a_catchment_in_metres_on_a_map_in_feet():
    # a 10 m catchment on a map in US survey feet is 10 x 3.2808... feet wide
    ft = F._fence_table(fences(scale=FT, crs=2263), True, None)
    assert ft.to_m == pytest.approx(0.30480060960121924)
    assert_allclose(ft.catch[0].bounds, np.array([-10, -10, 110, 110]) * FT)
    assert_allclose(ft.buffer_m, [10.0, 10.0])


def test_windows_keep_their_fences_officers_and_planned_minutes():
    p = pings([("PC1", 0, 0, 0, "app"), ("PC2", 0, 0, 0, "app")])
    pp = prepare_pings(p, 27700)
    ft = F._fence_table(fences(), True, None)
    w = windows(("T1", "B", "PC2", 10, 20, 15), ("T2", "Z", "PC1", 0, 5, 5),
                ("T2", "A", "PC9", 30, 40, 0), ("T3", "A", "PC1", 50, 55, 2.5))  # fmt: skip
    W = F._windows(w, pp, ft)
    # the window at fence Z (not given) is left out; PC9 has no pings (-1)
    assert W.fence.tolist() == [1, 0, 0]
    assert W.officer.tolist() == [1, -1, 0]
    ns = 60_000_000_000
    t0 = T0.value
    assert W.start0.tolist() == [t0 + 10 * ns, t0 + 30 * ns, t0 + 50 * ns]
    assert W.start1.tolist() == [t0 + 20 * ns, t0 + 40 * ns, t0 + 55 * ns]
    assert (W.t0 == W.start0).all()
    # present until the window's end plus the planned minutes
    assert W.t1.tolist() == [t0 + 35 * ns, t0 + 40 * ns, t0 + 57 * ns + 30 * 10**9]
    assert W.tasking.tolist() == [0, 1, 2]  # T1, T2, T3 (T2's dropped window does not count)
    # without planned minutes the presence ends with the window; without tasking ids each
    # window is its own tasking
    W2 = F._windows(w.drop(columns=["minutes", "tasking_id"]), pp, ft)
    assert (W2.t1 == W2.start1).all()
    assert W2.tasking.tolist() == [0, 1, 2]
    one = w.assign(tasking_id="T1")
    assert F._windows(one, pp, ft).tasking.tolist() == [0, 0, 0]
    with pytest.raises(SchemaError, match=r"windows lack column\(s\) \['window_end'\]"):
        F._windows(w.drop(columns="window_end"), pp, ft)


def test_each_ping_stands_for_the_minutes_until_the_officers_next_within_the_gap_rule():
    # PC1's app: 3 minutes (exactly its gap rule), then 3.5 (beyond it), then a radio ping 5
    # minutes on (the radio's 10-minute rule is the larger), then the last ping; PC2's one ping
    p = pings([("PC1", 0, 0, 0, "app"), ("PC1", 3, 0, 0, "app"), ("PC1", 6.5, 0, 0, "app"),
               ("PC1", 11.5, 0, 0, "radio"), ("PC2", 1, 0, 0, "app")])  # fmt: skip
    pp = prepare_pings(p, 27700)
    assert_allclose(F._ping_minutes(pp), [3.0, 0.0, 5.0, 0.0, 0.0])
    assert F._officer_starts(pp).tolist() == [0, 4, 5]


def test_a_missing_source_is_named_missing():
    p = pings([("PC1", 0, 0, 0, "app"), ("PC1", 1, 0, 0, None)])
    pp = prepare_pings(p, 27700, max_gap_minutes={"missing": 3})
    assert F._source_name(pp, 0) == "app"
    assert F._source_name(pp, 1) == "missing"


# --------------------------------------------------------------------------- clusters


def cluster_town(scale: float = 1.0, crs: str = "EPSG:27700", far: float = -150.0, at_a=None):
    """PC1's app, a ping a minute 09:30-11:30. Tasked to A 10:00-10:05 (15 minutes planned,
    so present until 10:20) the app places PC1 at (50 + far, 50), ``far`` m from A's centre
    (or at ``at_a(minute)``); tasked to B 11:00-11:05, inside B at its centre. Otherwise at
    HOME."""
    rows = []
    for m in range(30, 151):
        if 60 <= m < 80:
            x, y = (50.0 + far, 50.0) if at_a is None else at_a(m)
        elif 120 <= m < 140:
            x, y = 1050.0, 50.0
        else:
            x, y = HOME
        rows.append(("PC1", m, x, y, "app"))
    w = windows(("T1", "A", "PC1", 60, 65, 15), ("T2", "B", "PC1", 120, 125, 15))
    return pings(rows, scale, crs), w


@pytest.mark.parametrize("scale, crs", [(1.0, 27700), (FT, 2263)], ids=["metres", "feet"])
def test_lingering_150_m_west_of_a_fence_worked_by_hand(scale, crs):
    p, w = cluster_town(scale, f"EPSG:{crs}")
    c = F.offsets_from_clusters(p, fences(scale=scale, crs=crs), w).set_index("fence_id")
    a = c.loc["A"]
    assert a["source"] == "app"
    # the 20 pings 10:00-10:19 (the window is [10:00, 10:20)), each a minute, all at the place
    assert_allclose([a["dx_m"], a["dy_m"], a["offset_m"]], [-150.0, 0.0, 150.0], atol=1e-6)
    # 150 m from the centre is 100 m west of A's edge, 90 m beyond its 10 m catchment
    assert a["outside_m"] == pytest.approx(90.0, abs=1e-6)
    assert (a["taskings_with_data"], a["taskings_lingering_outside"],
            a["taskings_delivered_inside"]) == (1, 1, 0)  # fmt: skip
    # lift: 20 minutes there of 20 tasked at A, against (0 + 1) of the 20 tasked at B
    assert a["lift"] == pytest.approx((20 / 20) / (1 / 20))
    assert a["strength"] == "weak"  # one tasking only
    assert a["evidence"] == (
        "app: officers tasked to A lingered about 150 m west of its centre, outside the "
        "catchment, in 1 of 1 taskings (seen delivered inside in 0); the place is 20 times "
        "busier in its tasked windows than outside them"
    )
    b = c.loc["B"]
    assert_allclose([b["dx_m"], b["dy_m"], b["offset_m"], b["outside_m"]], 0.0, atol=1e-6)
    assert (b["taskings_with_data"], b["taskings_lingering_outside"],
            b["taskings_delivered_inside"]) == (1, 0, 1)  # fmt: skip
    assert b["lift"] == pytest.approx(20.0)
    assert b["strength"] == "none"
    assert b["evidence"] == (
        "app: no lingering outside B's catchment stands out (seen delivered inside in 1 of 1 "
        "taskings)"
    )
    assert list(c.columns) == ["source", "taskings_with_data", "taskings_lingering_outside",
                               "taskings_delivered_inside", "lift", "dx_m", "dy_m", "offset_m",
                               "outside_m", "strength", "evidence"]  # fmt: skip


def test_lingering_south_of_a_fence_on_a_map_in_feet():
    # the app places PC1 at (50, -100) m: 150 m south of A's centre, read in metres from feet
    p, w = cluster_town(FT, "EPSG:2263", at_a=lambda m: (50.0, -100.0))
    a = F.offsets_from_clusters(p, fences(scale=FT, crs=2263), w).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"], a["offset_m"]], [0.0, -150.0, 150.0], atol=1e-6)
    assert a["outside_m"] == pytest.approx(90.0, abs=1e-6)


def test_the_lingering_time_and_the_search_radius_at_their_edges():
    p, w = cluster_town()
    f = fences()
    # 20 minutes at the place is lingering with linger_minutes=20, not with 20.5; B's 20
    # minutes inside is seen delivered with 20, not with 20.5
    c = F.offsets_from_clusters(p, f, w, linger_minutes=20).set_index("fence_id")
    assert c.loc["A", "taskings_lingering_outside"] == 1
    assert c.loc["B", "taskings_delivered_inside"] == 1
    c = F.offsets_from_clusters(p, f, w, linger_minutes=20.5).set_index("fence_id")
    assert c.loc["A", "taskings_lingering_outside"] == 0
    assert c.loc["B", "taskings_delivered_inside"] == 0
    assert c.loc["A", "strength"] == "none"  # nobody lingered there
    # the place 150 m away is searched with a 150 m radius, not with 149
    assert "A" in set(F.offsets_from_clusters(p, f, w, search_radius_m=150)["fence_id"])
    assert "A" not in set(F.offsets_from_clusters(p, f, w, search_radius_m=149)["fence_id"])


def test_a_place_just_inside_the_cluster_radius_of_the_catchment_is_no_offset():
    # 70 m from the centre is 20 m west of the edge, 10 m beyond the catchment: within the 30 m
    # cluster radius, so none; with a 9 m cluster radius it is weak
    p, w = cluster_town(far=-70.0)
    c = F.offsets_from_clusters(p, fences(), w).set_index("fence_id")
    assert c.loc["A", "outside_m"] == pytest.approx(10.0, abs=1e-6)
    assert c.loc["A", "strength"] == "none"
    c = F.offsets_from_clusters(p, fences(), w, cluster_radius_m=9.0).set_index("fence_id")
    assert c.loc["A", "strength"] == "weak"


def test_the_place_is_the_time_weighted_mean_of_the_pings_near_the_densest_spot():
    # At A: 10 minutes at 150 m west, then 10 minutes 20 m further south (both within the 30 m
    # disc); the time-weighted mean is (-150, -10). A stray ping 200 m north stands for a
    # minute and is outside the disc.
    def at_a(m):
        return (-100.0, 50.0) if m < 70 else (-100.0, 30.0) if m < 79 else (50.0, 250.0)

    p, w = cluster_town(at_a=at_a)
    c = F.offsets_from_clusters(p, fences(), w).set_index("fence_id")
    # 10 pings at dy 0 and 9 at dy -20, a minute each: dy = -180 / 19
    assert_allclose([c.loc["A", "dx_m"], c.loc["A", "dy_m"]], [-150.0, -180 / 19], atol=1e-9)


# --------------------------------------------------------------------------- strengths


def cluster_row(n_out=20, n_in=4, n_data=80, lift=5.0, outside_m=31.0):
    return {"taskings_lingering_outside": n_out, "taskings_delivered_inside": n_in,
            "taskings_with_data": n_data, "lift": lift, "outside_m": outside_m}  # fmt: skip


def test_cluster_strengths_exactly_at_their_thresholds():
    s = F._cluster_strength
    # strong: 20 taskings, a quarter of 80, five times the 4 delivered, a lift of 5
    assert s(cluster_row(), 30.0) == "strong"
    assert s(cluster_row(n_out=19, n_data=76), 30.0) == "moderate"
    # 19 taskings fail only the count: a quarter of 76, over five times 3 delivered, lift 5
    assert s(cluster_row(n_out=19, n_in=3, n_data=76), 30.0) == "moderate"
    assert s(cluster_row(n_data=81), 30.0) == "moderate"  # 20 / 81 is under a quarter
    assert s(cluster_row(n_in=5), 30.0) == "moderate"  # 20 < 5 x 5
    assert s(cluster_row(lift=4.99), 30.0) == "moderate"
    # no data counted: the share is over one tasking
    assert s(cluster_row(n_data=0, n_in=0), 30.0) == "strong"
    # within the cluster radius of the catchment, or nobody lingering: none
    assert s(cluster_row(outside_m=30.0), 30.0) == "none"
    assert s(cluster_row(outside_m=30.01), 30.0) == "strong"
    assert s(cluster_row(n_out=0, n_in=0), 30.0) == "none"
    # moderate: 5 taskings, more than twice the delivered, lift 2
    m = dict(n_out=5, n_in=2, n_data=100, lift=2.0)
    assert s(cluster_row(**m), 30.0) == "moderate"
    assert s(cluster_row(**{**m, "n_in": 3}), 30.0) == "weak"  # 5 is not more than 6
    assert s(cluster_row(**{**m, "n_out": 4, "n_in": 0}), 30.0) == "weak"
    assert s(cluster_row(**{**m, "lift": 1.99}), 30.0) == "weak"
    assert s(cluster_row(**{**m, "n_in": 2.5}), 30.0) == "weak"  # exactly twice: not more
    # an unmeasurable lift counts as none
    assert s(cluster_row(lift=np.nan), 30.0) == "weak"
    assert s(cluster_row(lift=np.inf), 30.0) == "weak"


def test_cluster_words_for_no_offset_and_for_an_offset():
    r = {"fence_id": "A", "source": "radio", "strength": "none", "taskings_delivered_inside": 3,
         "taskings_with_data": 7}  # fmt: skip
    assert F._cluster_words(r) == (
        "radio: no lingering outside A's catchment stands out (seen delivered inside in 3 of 7 "
        "taskings)"
    )
    r.update(strength="weak", offset_m=212.2, dx_m=-150.0, dy_m=150.0,
             taskings_lingering_outside=5, lift=np.nan)  # fmt: skip
    assert F._cluster_words(r) == (
        "radio: officers tasked to A lingered about 212 m north-west of its centre, outside "
        "the catchment, in 5 of 7 taskings (seen delivered inside in 3); the place is not "
        "measurably busier in its tasked windows than outside them"
    )


def test_offsets_pooled_per_area_take_the_median_and_the_largest_spread():
    c = pd.DataFrame({
        "fence_id": ["C", "A", "B", "D", "E"], "source": "app",
        "area": ["B3", "B3", "B3", "B3", "B1"],
        "dx_m": [-100.0, -140.0, -160.0, 0.0, 30.0], "dy_m": [100.0, 140.0, 120.0, 0.0, 40.0],
        "strength": ["moderate", "strong", "strong", "weak", "moderate"],
    })  # fmt: skip
    a = F.offsets_by_area(c)
    # B1 first; B3 from A, B, C (D is weak): medians -140 and 120
    assert a[["area", "source", "fences", "direction", "fence_ids"]].values.tolist() == [
        ["B1", "app", 1, "north-east", "E"],
        ["B3", "app", 3, "north-west", "A, B, C"],
    ]
    b3 = a.iloc[1]
    assert_allclose([b3["dx_m"], b3["dy_m"], b3["offset_m"]], [-140.0, 120.0, np.hypot(140, 120)])
    # the spread: C is hypot(40, 20) from the median, A hypot(0, 20), B hypot(20, 0)
    assert b3["spread_m"] == pytest.approx(np.hypot(40, 20))
    assert a.iloc[0]["spread_m"] == 0.0 and a.iloc[0]["offset_m"] == 50.0
    assert F.offsets_by_area(c, min_strength="strong")["fences"].tolist() == [2]
    assert len(F.offsets_by_area(c, min_strength="weak")) == 2
    assert F.offsets_by_area(c, min_strength="weak").iloc[1]["fences"] == 4
    with pytest.raises(SchemaError, match="clusters have no 'area'"):
        F.offsets_by_area(c.drop(columns="area"))


def test_each_fences_area_is_carried_to_its_row():
    p, w = cluster_town()
    c = F.offsets_from_clusters(p, fences(beat=["b3", "b1"]), w, area_column="beat")
    assert c[["fence_id", "area"]].values.tolist() == [["A", "b3"], ["B", "b1"]]
    assert list(c.columns[:3]) == ["fence_id", "source", "area"]
    with pytest.raises(SchemaError, match="area_column='beat' is not a column of the fences"):
        F.offsets_from_clusters(p, fences(), w, area_column="beat")


def test_a_place_busy_whatever_the_tasking_has_a_lift_near_one():
    # PC1 stands at the same spot 150 m west of A in A's window and in B's (a canteen): 20
    # minutes there of 20 at A against (20 + 1) of 20 at B
    rows = [("PC1", m, -100.0 if 60 <= m < 80 or 120 <= m < 140 else HOME[0],
             50.0 if 60 <= m < 80 or 120 <= m < 140 else HOME[1], "app")
            for m in range(30, 151)]  # fmt: skip
    w = windows(("T1", "A", "PC1", 60, 65, 15), ("T2", "B", "PC1", 120, 125, 15))
    c = F.offsets_from_clusters(pings(rows), fences(), w).set_index("fence_id")
    assert c.loc["A", "lift"] == pytest.approx((20 / 20) / (21 / 20))
    assert "1.0 times busier" in c.loc["A", "evidence"]
    # only A's windows: no tasked time elsewhere, the lift cannot be measured
    c = F.offsets_from_clusters(pings(rows), fences(), w.iloc[:1]).set_index("fence_id")
    assert np.isnan(c.loc["A", "lift"])


def test_a_tasking_seen_delivered_by_a_team_mate_is_no_evidence():
    # T1 at A has two eligible officers: PC1's app 150 m west, PC2's app inside A for the
    # 20 minutes. The tasking was delivered: PC1's lingering outside does not count
    p, w = cluster_town()
    mate = pings([("PC2", m, 50.0, 50.0, "app") for m in range(60, 81)])
    w2 = pd.concat([w, windows(("T1", "A", "PC2", 60, 65, 15))], ignore_index=True)
    c = F.offsets_from_clusters(pd.concat([p, mate], ignore_index=True), fences(), w2)
    a = c.set_index("fence_id").loc["A"]
    assert (a["taskings_with_data"], a["taskings_delivered_inside"],
            a["taskings_lingering_outside"]) == (1, 1, 0)  # fmt: skip
    assert a["strength"] == "none"


# --------------------------------------------------------------------------- app and radio


def pairs_town(app_dx, app_dy=None, apart_s=10.0, freq="1min"):
    """PC7's radio at A's centre once a minute from 09:00; the app ``apart_s`` seconds after
    each radio ping, at the given east and north differences."""
    app_dy = np.zeros(len(app_dx)) if app_dy is None else np.asarray(app_dy, float)
    n = len(app_dx)
    t = pd.date_range(T0, periods=n, freq=freq)
    radio = pd.DataFrame({"officer": "PC7", "time": t, "x": 50.0, "y": 50.0, "source": "radio"})
    app = pd.DataFrame({"officer": "PC7", "time": t + pd.Timedelta(seconds=apart_s),
                        "x": 50.0 + np.asarray(app_dx, float), "y": 50.0 + app_dy,
                        "source": "app"})  # fmt: skip
    p = pd.concat([radio, app], ignore_index=True)
    p["crs"] = "EPSG:27700"
    return p


def test_app_and_radio_pairs_give_the_median_offset_and_its_robust_error():
    # five pairs, the app 20, 25, 30, 40, 60 m east: median 30, absolute deviations 10, 5, 0,
    # 10, 30 (median 10); north 0 throughout
    b = F.offsets_between_sources(pairs_town([20, 25, 30, 40, 60]), min_pairs=5)
    r = b.iloc[0]
    assert (r["officer"], r["area"], r["source"], r["reference"], r["pairs"]) == (
        "PC7",
        "all",
        "app",
        "radio",
        5,
    )
    assert (r["dx_m"], r["dy_m"], r["offset_m"]) == (30.0, 0.0, 30.0)
    assert r["se_m"] == pytest.approx(1.4826 * 10 / np.sqrt(5))
    # 4 x 6.63 = 26.5 <= 30: strong
    assert r["strength"] == "strong"
    assert r["evidence"] == (
        "app and radio of the same officer, seconds apart, 30 m apart (app to the east) over 5 "
        "pairs"
    )
    # the larger axis's deviation: north deviations 0, 0, 0, 20, 40 (median 0) do not raise it
    b = F.offsets_between_sources(pairs_town([20, 25, 30, 40, 60], [0, 0, 0, 20, 40]),
                                  min_pairs=5)  # fmt: skip
    assert b.iloc[0]["se_m"] == pytest.approx(1.4826 * 10 / np.sqrt(5))
    # north deviations larger than east ones set the error
    b = F.offsets_between_sources(pairs_town([30] * 5, [-40, -20, 0, 20, 40]), min_pairs=5)
    assert b.iloc[0]["se_m"] == pytest.approx(1.4826 * 20 / np.sqrt(5))
    assert b.iloc[0]["strength"] == "moderate"  # 4 x 13.3 = 53 > 30
    assert "over 5 pairs" in b.iloc[0]["evidence"]


def test_app_and_radio_strengths_at_their_edges():
    def strength(dx, **kw):
        return F.offsets_between_sources(pairs_town(dx), **kw)["strength"].tolist()

    assert strength([25.0] * 20) == ["strong"]  # 20 pairs, exactly 25 m, no scatter
    assert strength([25.0] * 19) == ["moderate"]  # one pair short of min_pairs
    assert strength([24.99] * 20) == ["none"]
    assert strength([25.0] * 5, min_pairs=6) == ["moderate"]
    assert strength([25.0] * 4, min_pairs=6) == ["weak"]
    assert strength([25.0] * 4, min_pairs=4) == ["strong"]
    assert strength([24.99] * 4) == ["none"]
    assert strength([-25.0] * 1) == ["weak"]


def test_app_and_radio_pairs_within_the_seconds_allowed_only():
    p = pairs_town([30.0] * 5, apart_s=30.0)
    assert F.offsets_between_sources(p, min_pairs=5)["pairs"].tolist() == [5]
    assert F.offsets_between_sources(p, max_apart_s=29.9).empty
    # an officer with only an app: no pairs; a table with no source column is refused
    assert F.offsets_between_sources(p[p["source"] == "app"]).empty
    assert list(F.offsets_between_sources(p[p["source"] == "app"]).columns) == [
        "officer", "area", "source", "reference", "pairs", "dx_m", "dy_m", "offset_m", "se_m",
        "strength", "evidence"]  # fmt: skip
    with pytest.raises(SchemaError, match=r"pings lack column\(s\) \['source'\]"):
        F.offsets_between_sources(p.drop(columns="source"))


def test_app_and_radio_offsets_on_a_map_in_feet_and_per_area():
    p = pairs_town([30.0] * 5)
    feet = p.assign(x=p["x"] * FT, y=p["y"] * FT, crs="EPSG:2263")
    b = F.offsets_between_sources(feet, min_pairs=5)
    assert b.iloc[0]["dx_m"] == pytest.approx(30.0)
    # north in feet: 40 m north, read in metres
    p = pairs_town([0.0] * 5, app_dy=[40.0] * 5)
    north = p.assign(x=p["x"] * FT, y=p["y"] * FT, crs="EPSG:2263")
    b = F.offsets_between_sources(north, min_pairs=5).iloc[0]
    assert (b["dx_m"], b["dy_m"]) == (pytest.approx(0.0, abs=1e-9), pytest.approx(40.0))
    # areas: the radio pings' places decide; the first two in the west half, the rest east
    t = pd.date_range(T0, periods=5, freq="1min")
    radio = pd.DataFrame({"officer": "PC7", "time": t, "x": [10.0, 10, 90, 90, 90], "y": 50.0,
                          "source": "radio"})  # fmt: skip
    app = radio.assign(time=t + pd.Timedelta(seconds=5), x=radio["x"] + 40.0, source="app")
    q = pd.concat([radio, app], ignore_index=True).assign(crs="EPSG:27700")
    halves = gpd.GeoDataFrame(
        {"beat": ["W", "E"]}, geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)], crs=27700
    )
    b = F.offsets_between_sources(q, areas=halves, area_column="beat", min_pairs=2)
    assert b[["area", "pairs", "dx_m", "strength"]].values.tolist() == [
        ["E", 3, 40.0, "strong"],
        ["W", 2, 40.0, "strong"],
    ]
    assert b.set_index("area").loc["W", "evidence"].endswith("over 2 pairs in W")
    with pytest.raises(SchemaError, match="areas= needs area_column="):
        F.offsets_between_sources(q, areas=halves)
    with pytest.raises(SchemaError, match="areas= needs area_column="):
        F.offsets_between_sources(q, areas=halves, area_column="beat_id")


# --------------------------------------------------------------------------- silences


def silence_town(buffer_m: float = 8.0, scale: float = 1.0, crs: int = 27700):
    """PC4's radio every 3 minutes 09:00-12:00, silent from 10:00 to 10:21 (no pings at
    10:03-10:18), the pings either side 50 m south of A's edge (50, -50); in B's window
    (11:00-11:05, 15 minutes planned) inside B; otherwise at HOME. Tasked to A 09:50-10:02 with
    18 minutes planned (present until 10:20)."""
    rows = []
    for m in range(0, 181, 3):
        if 60 < m < 81:
            continue
        if m in (60, 81):
            x, y = 50.0, -50.0
        elif 120 <= m < 140:
            x, y = 1050.0, 50.0
        else:
            x, y = HOME
        rows.append(("PC4", m, x, y, "radio"))
    w = windows(("T1", "A", "PC4", 50, 62, 18), ("T2", "B", "PC4", 120, 125, 15))
    return pings(rows, scale, f"EPSG:{crs}"), w, fences(buffer_m=buffer_m, scale=scale, crs=crs)


def test_the_usual_longest_interval_of_a_device_is_its_99th_percentile():
    # 19 intervals of 3 minutes and one of exactly 10 (the radio's gap rule, so it counts):
    # the 99th percentile is 3 + 0.81 x 7 = 8.67 minutes
    times = [3 * k for k in range(20)] + [57 + 10]
    pp = prepare_pings(pings([("PC4", m, 0, 0, "radio") for m in times]), 27700)
    assert F._silence_ns(pp)[0] == int(np.percentile([3] * 19 + [10], 99) * 60e9)
    assert F._silence_ns(pp)[0] == pytest.approx((3 + 0.81 * 7) * 60e9, abs=1)
    # with an interval of 11 minutes instead (beyond the rule) only 19 remain: too few, the
    # gap rule itself (10 minutes)
    pp = prepare_pings(pings([("PC4", m, 0, 0, "radio") for m in [*times[:-1], 68]]), 27700)
    assert F._silence_ns(pp)[0] == 10 * 60_000_000_000
    # 20 intervals of 3 minutes: 3 minutes; intervals between two officers or two devices
    # do not count
    pp = prepare_pings(pings([("PC4", 3 * k, 0, 0, "radio") for k in range(21)]), 27700)
    assert F._silence_ns(pp).tolist() == [3 * 60_000_000_000]
    two = [("PC4", 3 * k, 0, 0, "radio") for k in range(10)]
    two += [("PC5", 3 * k + 100, 0, 0, "radio") for k in range(11)]
    pp = prepare_pings(pings(two), 27700)
    assert F._silence_ns(pp).tolist() == [10 * 60_000_000_000]
    mixed = [("PC4", 3 * k, 0, 0, "radio" if k % 2 else "app") for k in range(42)]
    pp = prepare_pings(pings(mixed), 27700)
    assert F._silence_ns(pp).tolist() == [3 * 60_000_000_000, 10 * 60_000_000_000]


def test_the_overhead_of_a_silence_is_the_mean_square_over_the_mean_interval():
    # radio intervals 1, 3 and exactly 10 minutes (within the rule), then 11 (beyond it):
    # E[X^2] / E[X] = (1 + 9 + 100) / 3 / (14 / 3) = 110 / 14
    times = [0, 1, 4, 14, 25]
    pp = prepare_pings(pings([("PC4", m, 0, 0, "radio") for m in times]), 27700)
    assert_allclose(F._interval_factor_minutes(pp), [110 / 14, np.nan])
    # an app alongside: its own intervals (2 minutes); PC5's one ping adds none
    both = [("PC4", m, 0, 0, "radio") for m in times]
    both += [("PC1", m, 0, 0, "app") for m in (0, 2, 4)] + [("PC5", 0, 0, 0, "radio")]
    pp = prepare_pings(pings(both), 27700)
    assert_allclose(F._interval_factor_minutes(pp), [2.0, 110 / 14, np.nan])
    # an app every 30 seconds: E[X^2] / E[X] = 0.25 / 0.5 = half a minute
    pp = prepare_pings(pings([("PC1", m / 2, 0, 0, "app") for m in range(6)]), 27700)
    assert_allclose(F._interval_factor_minutes(pp), [0.5, np.nan])


def test_a_silence_beside_a_fence_worked_by_hand():
    p, w, f = silence_town()
    s = F.silences_at_fences(p, f, w).set_index("fence_id")
    a = s.loc["A"]
    assert a["source"] == "radio"
    assert (a["taskings_with_data"], a["taskings_heard_inside"], a["taskings_silent"]) == (1, 0, 1)
    assert a["heard_inside_elsewhere"] == 1.0  # heard inside B in its one tasking
    # lift: 21 silent minutes in A's window, against the 9 minutes of tasked time there
    # (09:51, 09:54, 09:57; 10:00 is followed by the silence), over (0 + 1) of B's 21
    assert a["lift"] == pytest.approx((21 / 9) / (1 / 21))
    assert a["silent_margin_m"] == pytest.approx(50.0)
    # 3-minute intervals: E[X^2]/E[X] = 3; 42 m beyond the 8 m catchment, both ways at 1.4 m/s
    assert a["overhead_minutes"] == pytest.approx(3.0 + 2 * 42 / 1.4 / 60)
    assert a["overhead_minutes"] == pytest.approx(4.0)
    assert a["strength"] == "weak"
    assert a["evidence"] == (
        "radio heard inside A's catchment in 0 of 1 taskings (elsewhere in 100%); silent "
        "around it in 1 taskings not seen delivered (49 times more often in its tasked "
        "windows than outside them)"
    )
    b = s.loc["B"]
    assert (b["taskings_with_data"], b["taskings_heard_inside"], b["taskings_silent"]) == (1, 1, 0)
    assert b["heard_inside_elsewhere"] == 0.0
    # the silence 951 m from B, outside B's windows: 0 minutes of 21 against (21 + 1) of 9
    assert b["lift"] == 0.0
    assert np.isnan(b["silent_margin_m"]) and b["overhead_minutes"] == 3.0
    assert b["strength"] == "none"
    assert list(s.columns) == ["source", "taskings_with_data", "taskings_heard_inside",
                               "taskings_silent", "heard_inside_elsewhere", "lift",
                               "silent_margin_m", "overhead_minutes", "strength",
                               "evidence"]  # fmt: skip


def test_a_silence_within_reach_and_a_margin_inside_the_catchment():
    p, w, f = silence_town()
    # the pings either side are exactly 50 m from A: within reach_m=50, not 49.9
    s = F.silences_at_fences(p, f, w, reach_m=50).set_index("fence_id")
    assert s.loc["A", "taskings_silent"] == 1
    assert s.loc["A", "lift"] == pytest.approx((21 / 9) / (1 / 21))
    assert np.isnan(s.loc["B", "lift"])  # 951 m from B: beyond reach
    s = F.silences_at_fences(p, f, w, reach_m=49.9).set_index("fence_id")
    assert s.loc["A", "taskings_silent"] == 0 and np.isnan(s.loc["A", "lift"])
    assert s.loc["A", "strength"] == "none"
    # a 60 m catchment holds the pings either side: no margin to cross, the device heard
    p, w, f = silence_town(buffer_m=60.0)
    s = F.silences_at_fences(p, f, w).set_index("fence_id")
    assert s.loc["A", "overhead_minutes"] == 3.0
    assert s.loc["A", "taskings_heard_inside"] == 1
    # the area of each fence is carried
    p, w, f = silence_town()
    s = F.silences_at_fences(p, f.assign(beat=["b3", "b1"]), w, area_column="beat")
    assert s[["fence_id", "area"]].values.tolist() == [["A", "b3"], ["B", "b1"]]
    assert list(s.columns[:3]) == ["fence_id", "source", "area"]


def test_a_silence_in_a_tasking_seen_delivered_is_not_counted():
    # PC2's app inside A for the whole of T1: the tasking was delivered
    p, w, f = silence_town()
    mate = pings([("PC2", m, 50.0, 50.0, "app") for m in range(50, 81)])
    w2 = pd.concat([w, windows(("T1", "A", "PC2", 50, 62, 18))], ignore_index=True)
    s = F.silences_at_fences(pd.concat([p, mate], ignore_index=True), f, w2)
    a = s.set_index(["fence_id", "source"]).loc[("A", "radio")]
    assert a["taskings_silent"] == 0 and a["taskings_with_data"] == 1


def silence_row(n_data=100, heard=5, silent=30, lift=5.0, heard_else=0.3):
    return {"taskings_with_data": n_data, "taskings_heard_inside": heard,
            "taskings_silent": silent, "lift": lift, "heard_inside_elsewhere": heard_else}  # fmt: skip


def test_silence_strengths_exactly_at_their_thresholds():
    s = F._silence_strength
    # strong: heard in 5% (5 of 100), silent in 30 (30%), lift 5, heard elsewhere 30%
    assert s(silence_row()) == "strong"
    assert s(silence_row(heard=6)) == "moderate"
    assert s(silence_row(n_data=67, heard=3, silent=20)) == "moderate"  # 20 / 67 < 30%
    assert s(silence_row(n_data=60, heard=3, silent=19)) == "moderate"  # 19 < 20 taskings
    assert s(silence_row(n_data=60, heard=3, silent=20)) == "strong"
    assert s(silence_row(lift=4.99)) == "moderate"
    assert s(silence_row(heard_else=0.29)) == "moderate"
    # moderate: heard in 20% (20 of 100), silent in 10 (10%), lift 2, elsewhere twice as often
    m = dict(heard=20, silent=10, lift=2.0, heard_else=0.4)
    assert s(silence_row(**m)) == "moderate"
    assert s(silence_row(**{**m, "heard": 21, "heard_else": 0.5})) == "weak"
    assert s(silence_row(**{**m, "n_data": 101, "heard": 0})) == "weak"  # 10 / 101 < 10%
    assert s(silence_row(**{**m, "n_data": 40, "heard": 0, "silent": 4})) == "weak"
    assert s(silence_row(**{**m, "n_data": 40, "heard": 0, "silent": 5})) == "moderate"
    assert s(silence_row(**{**m, "lift": 1.99, "heard_else": 0.5})) == "weak"
    assert s(silence_row(**{**m, "heard_else": 0.5})) == "moderate"
    assert s(silence_row(**{**m, "heard_else": 0.39})) == "none"  # 0.2 is not under 0.195
    # weak: silent once, heard inside less than half as often as elsewhere
    w = dict(n_data=10, heard=1, silent=1, lift=np.nan, heard_else=0.21)
    assert s(silence_row(**w)) == "weak"
    assert s(silence_row(**{**w, "heard_else": 0.2})) == "none"  # 0.1 is not under 0.1
    assert s(silence_row(**{**w, "silent": 0})) == "none"
    # no taskings with data: shares over one
    assert s(silence_row(n_data=0, heard=0, silent=0, heard_else=0.5)) == "none"
    assert s(silence_row(n_data=0, heard=0, silent=1, heard_else=0.5)) == "weak"
    assert s(silence_row(n_data=0, heard=0, silent=20, heard_else=0.5, lift=np.inf)) == (
        "weak")  # fmt: skip


# --------------------------------------------------------------------------- proposals


def evidence(**cols) -> pd.DataFrame:
    """One row per piece of evidence; every column a list."""
    return pd.DataFrame(cols)


def clusters_of(*rows) -> pd.DataFrame:
    """Cluster evidence from (fence, source, dx, dy, strength)."""
    return pd.DataFrame(
        [{"fence_id": r[0], "source": r[1], "dx_m": float(r[2]), "dy_m": float(r[3]),
          "strength": r[4], "evidence": f"lingering {r[0]} {r[1]}"} for r in rows],
        columns=["fence_id", "source", "dx_m", "dy_m", "strength", "evidence"],
    )  # fmt: skip


def known_of(*rows, **extra) -> pd.DataFrame:
    """Known-point offsets from (fence, source, dx, dy, strength)."""
    k = pd.DataFrame(
        [{"fence_id": r[0], "source": r[1], "dx_m": float(r[2]), "dy_m": float(r[3]),
          "strength": r[4], "offset_m": float(np.hypot(r[2], r[3])), "n": 12} for r in rows]
    )  # fmt: skip
    return k.assign(**extra)


def silences_of(*rows) -> pd.DataFrame:
    """Silence evidence from (fence, source, strength, overhead minutes)."""
    return pd.DataFrame(
        [{"fence_id": r[0], "source": r[1], "strength": r[2], "overhead_minutes": r[3],
          "evidence": f"silent {r[0]}"} for r in rows]
    )  # fmt: skip


def test_a_cluster_offset_proposes_the_widening_rounded_to_ten_metres():
    c = clusters_of(("A", "app", -200, 0, "strong"), ("B", "app", -300, 0, "none"),
                    ("A", "radio", 0, 124.9, "moderate"))  # fmt: skip
    p = F.propose_catchments(fences(), clusters=c)
    assert list(p.columns) == F.PROPOSAL_COLUMNS
    assert p[["fence_id", "source", "kind", "strength", "extra_m", "direction", "note",
              "headline"]].values.tolist() == [
        ["A", "app", "offset", "strong", 200.0, "west", "catchment +200 m", "corrected"],
        ["A", "radio", "offset", "moderate", 120.0, "north", "catchment +120 m", "measured"],
    ]  # fmt: skip
    a = p.iloc[0]
    assert (a["dx_m"], a["dy_m"]) == (-200.0, 0.0) and np.isnan(a["overhead_minutes"])
    assert (a["basis"], a["evidence"]) == ("clusters outside the fence", "lingering A app")
    # 215.1 m rounds to 220, 214.9 to 210
    assert F.propose_catchments(fences(), clusters=clusters_of(
        ("A", "app", -215.1, 0, "strong")))["extra_m"].tolist() == [220.0]  # fmt: skip
    assert F.propose_catchments(fences(), clusters=clusters_of(
        ("A", "app", -214.9, 0, "strong")))["extra_m"].tolist() == [210.0]  # fmt: skip


def test_an_offset_no_longer_than_the_catchment_needs_no_widening():
    # a 10 m catchment: an offset of exactly 10 m stays inside it, 10.01 m does not
    assert F.propose_catchments(
        fences(), clusters=clusters_of(("A", "app", -10, 0, "strong"))
    ).empty
    p = F.propose_catchments(fences(), clusters=clusters_of(("A", "app", -10.01, 0, "strong")))
    assert p["extra_m"].tolist() == [10.0]
    # without a catchment (catchment=False) any offset needs it; a fence not given has none
    p = F.propose_catchments(fences(), clusters=clusters_of(("A", "app", -5, 0, "strong")),
                             catchment=False)  # fmt: skip
    assert p["note"].tolist() == ["catchment +0 m"]
    p = F.propose_catchments(fences(), clusters=clusters_of(("Z", "app", -0.5, 0, "strong")))
    assert p["fence_id"].tolist() == ["Z"]
    assert F.propose_catchments(fences(), clusters=clusters_of(("Z", "app", 0, 0, "strong"))).empty


def test_an_offset_inside_one_fences_catchment_does_not_stop_the_next_fence():
    # A's 5 m offset stays inside its 10 m catchment; B's 200 m still needs widening
    c = clusters_of(("A", "app", -5, 0, "strong"), ("B", "app", -200, 0, "strong"))
    p = F.propose_catchments(fences(), clusters=c)
    assert p[["fence_id", "extra_m"]].values.tolist() == [["B", 200.0]]


def test_weak_evidence_is_proposed_only_when_asked_for():
    c = clusters_of(("A", "app", -200, 0, "weak"))
    assert F.propose_catchments(fences(), clusters=c).empty
    p = F.propose_catchments(fences(), clusters=c, min_strength="weak")
    assert p[["strength", "headline"]].values.tolist() == [["weak", "measured"]]
    m = clusters_of(("A", "app", -200, 0, "moderate"))
    assert len(F.propose_catchments(fences(), clusters=m)) == 1
    assert F.propose_catchments(fences(), clusters=m, min_strength="strong").empty
    assert F.propose_catchments(fences(), clusters=c.iloc[:0]).empty
    assert list(F.propose_catchments(fences()).columns) == F.PROPOSAL_COLUMNS


def test_known_points_come_first_and_agreeing_evidence_raises_the_strength():
    k = known_of(("A", "app", -150, 150, "moderate"))
    c = clusters_of(("A", "app", -148, 152, "weak"))
    p = F.propose_catchments(fences(), clusters=c, known_points=k).iloc[0]
    # the known points' offset; two kinds 2.8 m apart: moderate raised to strong
    assert (p["dx_m"], p["dy_m"], p["strength"]) == (-150.0, 150.0, "strong")
    assert p["basis"] == "known points; clusters outside the fence"
    assert p["evidence"] == "app at known points: 212 m north-west over 12 pings; lingering A app"
    assert p["headline"] == "corrected"
    # strong and agreeing stays strong
    k2 = known_of(("A", "app", -150, 150, "strong"))
    assert F.propose_catchments(fences(), clusters=c, known_points=k2)["strength"].tolist() == [
        "strong"]  # fmt: skip
    # exactly agree_m apart agree; a centimetre more do not
    k3 = known_of(("A", "app", -150, 0, "moderate"))
    c3 = clusters_of(("A", "app", -100, 0, "weak"))
    assert F.propose_catchments(fences(), clusters=c3, known_points=k3)["strength"].tolist() == [
        "strong"]  # fmt: skip
    c4 = clusters_of(("A", "app", -99.99, 0, "weak"))
    assert F.propose_catchments(fences(), clusters=c4, known_points=k3)["strength"].tolist() == [
        "moderate"]  # fmt: skip
    assert F.propose_catchments(fences(), clusters=c3, known_points=k3,
                                agree_m=49.9)["strength"].tolist() == ["moderate"]  # fmt: skip
    # one kind alone is not raised, however many rows
    two = pd.concat([c, c], ignore_index=True).assign(strength="moderate")
    assert F.propose_catchments(fences(), clusters=two)["strength"].tolist() == ["moderate"]


def test_the_offset_used_is_the_first_moderate_or_strong_kind():
    # weak known points and a moderate cluster: the cluster's offset
    k = known_of(("A", "app", -300, 0, "weak"))
    c = clusters_of(("A", "app", 0, -200, "moderate"))
    p = F.propose_catchments(fences(), clusters=c, known_points=k).iloc[0]
    assert (p["dx_m"], p["dy_m"], p["direction"], p["strength"]) == (0.0, -200.0, "south",
                                                                      "moderate")  # fmt: skip
    # both weak: the known points' offset, proposed only at min_strength="weak"
    c = c.assign(strength="weak")
    p = F.propose_catchments(fences(), clusters=c, known_points=k, min_strength="weak").iloc[0]
    assert (p["dx_m"], p["strength"]) == (-300.0, "weak")
    # known points with no strength are left out
    p = F.propose_catchments(fences(), known_points=k.assign(strength="none"))
    assert p.empty


def test_known_points_by_area_or_for_every_fence():
    f = fences(beat=["b3", "b1"])
    k = known_of(("?", "app", -150, 0, "strong")).drop(columns="fence_id").assign(beat="b1")
    p = F.propose_catchments(f, known_points=k, area_column="beat")
    assert p["fence_id"].tolist() == ["B"]
    # neither a fence nor an area: every fence
    p = F.propose_catchments(f, known_points=k.drop(columns="beat"), area_column="beat")
    assert p["fence_id"].tolist() == ["A", "B"]
    p = F.propose_catchments(f, known_points=k)  # no area column named
    assert p["fence_id"].tolist() == ["A", "B"]


def test_app_and_radio_disagreement_is_at_most_moderate_and_placed_by_area():
    b = pd.DataFrame({"officer": ["PC1", "PC2", "PC3", "PC4"], "area": ["b3", "b3", "b3", "b1"],
                      "source": "app", "reference": "radio",
                      "dx_m": [-100.0, -150.0, -160.0, 0.0], "dy_m": [0.0, 40.0, 0.0, 300.0],
                      "strength": ["strong", "moderate", "weak", "strong"]})  # fmt: skip
    f = fences(beat=["b3", "b1"])
    p = F.propose_catchments(f, between_sources=b, area_column="beat")
    # b3: PC1 and PC2 (PC3 is weak), medians -125 and 20; b1: PC4
    assert p[["fence_id", "strength", "dx_m", "dy_m", "basis", "headline"]].values.tolist() == [
        ["A", "moderate", -125.0, 20.0, "app and radio disagree", "measured"],
        ["B", "moderate", 0.0, 300.0, "app and radio disagree", "measured"],
    ]  # fmt: skip
    assert p["evidence"].tolist() == [
        "app and radio disagree by 127 m for 2 officer(s) in b3",
        "app and radio disagree by 300 m for 1 officer(s) in b1",
    ]
    # areas the fences do not name cannot be placed
    assert F.propose_catchments(fences(), between_sources=b).empty
    # an area that cannot be placed ("Central" sorts before "all") does not stop the others
    mixed = pd.concat([b.assign(area="Central"), b.assign(area="all")], ignore_index=True)
    assert F.propose_catchments(fences(), between_sources=mixed)["fence_id"].tolist() == [
        "A",
        "B",
    ]
    # "all" applies to every fence
    p = F.propose_catchments(fences(), between_sources=b.assign(area="all"))
    assert p["fence_id"].tolist() == ["A", "B"]
    # medians of PC1, PC2 and PC4: (-100, 40), 108 m
    assert p["evidence"].iloc[0] == "app and radio disagree by 108 m for 3 officer(s)"
    assert (p["dx_m"].iloc[0], p["dy_m"].iloc[0]) == (-100.0, 40.0)


def test_a_silence_is_proposed_where_no_offset_explains_it():
    s = silences_of(("A", "radio", "strong", 4.0), ("B", "radio", "moderate", 3.5),
                    ("B", "app", "none", 1.0), ("A", "app", "weak", 2.0))  # fmt: skip
    p = F.propose_catchments(fences(), silences=s)
    assert p[["fence_id", "source", "kind", "strength", "overhead_minutes", "note", "basis",
              "evidence", "headline", "direction"]].values.tolist() == [
        ["A", "radio", "silence", "strong", 4.0, "radio silent at this spot",
         "silent around the fence", "silent A", "corrected", ""],
        ["B", "radio", "silence", "moderate", 3.5, "radio silent at this spot",
         "silent around the fence", "silent B", "measured", ""],
    ]  # fmt: skip
    assert p[["dx_m", "dy_m", "extra_m"]].isna().all().all()
    # a moderate offset of the same fence and device explains the silence; a weak one does not
    c = clusters_of(("A", "radio", -200, 0, "moderate"), ("B", "radio", -200, 0, "weak"))
    p = F.propose_catchments(fences(), clusters=c, silences=s, min_strength="weak")
    assert p[["fence_id", "source", "kind"]].values.tolist() == [
        ["A", "app", "silence"], ["A", "radio", "offset"], ["B", "radio", "offset"],
        ["B", "radio", "silence"]]  # fmt: skip
    assert F.propose_catchments(fences(), silences=s.iloc[:0]).empty


# --------------------------------------------------------------------------- corrections


def proposal(fence="A", source="app", kind="offset", strength="strong", dx=-150.0, dy=0.0,
             overhead=np.nan, note="catchment +150 m") -> dict:  # fmt: skip
    return {"fence_id": fence, "source": source, "kind": kind, "strength": strength,
            "dx_m": dx, "dy_m": dy, "extra_m": np.nan, "direction": "", "overhead_minutes":
            overhead, "note": note, "basis": "", "evidence": "", "headline": ""}  # fmt: skip


def test_corrected_fences_move_by_the_offset_in_the_maps_units():
    f = fences(scale=FT, crs=2263)
    p = pd.DataFrame([proposal(), proposal("B", "radio", "silence", note="silent"),
                      proposal("B", "app", strength="weak", note="weak"),
                      proposal("Z", note="no such fence")])  # fmt: skip
    c = F.corrected_fences(f, p)
    assert c.index.equals(pd.RangeIndex(3))  # one row per fence or corrected fence
    assert c[["fence_id", "source", "correction"]].fillna("").values.tolist() == [
        ["A", "", ""],
        ["B", "", ""],
        ["A", "app", "catchment +150 m"],
    ]
    # A joined with itself 150 m west: (-150, 0)-(100, 100) m, in feet
    assert_allclose(c.geometry.iloc[2].bounds, np.array([-150, 0, 100, 100]) * FT)
    assert c.crs.to_epsg() == 2263
    # weak proposals at min_strength="weak"; corrected rows already there are not moved again
    c = F.corrected_fences(f, p, min_strength="weak")
    assert c["correction"].fillna("").tolist() == ["", "", "catchment +150 m", "weak"]
    again = F.corrected_fences(c, p)
    assert again[["fence_id", "source"]].fillna("").values.tolist() == [
        ["A", ""],
        ["B", ""],
        ["A", "app"],
        ["B", "app"],
        ["A", "app"],
    ]
    assert_allclose(again.geometry.iloc[4].bounds, np.array([-150, 0, 100, 100]) * FT)
    with pytest.raises(SchemaError, match=r"proposals lack \['kind'"):
        F.corrected_fences(f, p.drop(columns=["kind"]))
    # no proposal: the fences as they were
    assert F.corrected_fences(f, p.iloc[:0])["correction"].isna().all()


def offset_case(start, end, **kw):
    p, _ = cluster_town()
    w = windows(("T1", "A", "PC1", start, end, 15), ("T2", "B", "PC1", 120, 125, 15))
    return F.corrected_dwell(p, fences(), pd.DataFrame([proposal()]), w, **kw)


def test_a_visit_through_the_widened_catchment_by_hand():
    # the pings 10:00-10:19 at the offset place, half a minute either side: 09:59:30-10:19:30
    r = offset_case(50, 59.5)
    v = r.visits
    assert v[["visit_id", "officer", "fence_id", "minutes", "basis", "correction"]].values.tolist(
    ) == [[0, "PC1", "A", 20.0, "widened catchment", "catchment +150 m"],
          [1, "PC1", "B", 20.0, "measured", ""]]  # fmt: skip
    assert v["start"].iloc[0] == at(59.5)
    c = r.rule["correction"]
    assert (
        c["min_strength"],
        c["min_minutes"],
        c["fences_widened"],
        c["fences_bridged"],
        c["passes_dropped"],
        c["silences_bridged"],
    ) == ("moderate", 2.0, ["A"], [], 0, 0)
    assert "lasts at least 2 minutes" in c["rule"]
    assert r.runs["visit_id"].tolist() == [0, 1]


def test_the_pass_by_rule_at_the_window_edges_and_the_minimum_minutes():
    ns = pd.Timedelta(1, "ns")
    # the visit begins at 09:59:30: a window ending then, or starting then, holds it
    assert offset_case(59.5, 70).rule["correction"]["passes_dropped"] == 0
    late = offset_case(at(59.5) + ns - T0, 70)
    assert late.rule["correction"]["passes_dropped"] == 1
    assert late.visits["fence_id"].tolist() == ["B"]
    assert offset_case(50, at(59.5) - ns - T0).rule["correction"]["passes_dropped"] == 1
    # 20 minutes lasts min_minutes=20, not 20.01
    assert offset_case(50, 59.5, min_minutes=20).rule["correction"]["passes_dropped"] == 0
    r = offset_case(50, 59.5, min_minutes=20.01)
    assert r.rule["correction"]["passes_dropped"] == 1 and len(r.visits) == 1
    assert r.rule["correction"]["min_minutes"] == 20.01
    assert "lasts at least 20.01 minutes" in r.rule["correction"]["rule"]
    assert offset_case(50, 59.5, min_minutes=0).rule["correction"]["passes_dropped"] == 0
    with pytest.raises(HspworkError, match=r"min_minutes=-0\.5: must be >= 0"):
        offset_case(50, 59.5, min_minutes=-0.5)


def test_the_widening_is_for_the_faulty_device_only():
    # the radio proposal does not widen A for PC1's app: the app's visit to A is not made
    p, _ = cluster_town()
    w = windows(("T1", "A", "PC1", 50, 59.5, 15))
    r = F.corrected_dwell(p, fences(), pd.DataFrame([proposal(source="radio")]), w)
    assert r.visits["fence_id"].tolist() == ["B"]
    assert r.visits["basis"].tolist() == ["measured"]
    # a weak proposal is not applied at the default min_strength
    r = F.corrected_dwell(p, fences(), pd.DataFrame([proposal(strength="weak")]), w)
    assert r.visits["fence_id"].tolist() == ["B"] and r.rule["correction"]["fences_widened"] == []
    r = F.corrected_dwell(p, fences(), pd.DataFrame([proposal(strength="weak")]), w,
                          min_strength="weak")  # fmt: skip
    assert r.visits["fence_id"].tolist() == ["A", "B"]


def silence_case(start=50, end=62, extra_windows=(), **kw):
    p, _, f = silence_town()
    w = windows(("T1", "A", "PC4", start, end, 18), ("T2", "B", "PC4", 120, 125, 15),
                *extra_windows)  # fmt: skip
    prop = pd.DataFrame([proposal("A", "radio", "silence", overhead=4.0, note="radio silent")])
    return F.corrected_dwell(p, f, prop, w, **kw)


def test_a_silence_bridged_by_hand():
    # silent 10:00-10:21; 4 minutes of overhead, half each side: 10:02-10:19, 17 minutes
    r = silence_case()
    v = r.visits
    assert v[["visit_id", "officer", "fence_id", "minutes", "n_pings", "basis",
              "correction"]].values.tolist() == [
        [0, "PC4", "A", 17.0, 0, "bridged silence", "radio silent"],
        [1, "PC4", "B", 21.0, 7, "measured", ""]]  # fmt: skip
    assert (v["start"].iloc[0], v["end"].iloc[0]) == (at(62), at(79))
    assert np.isnan(v["mean_speed_mps"].iloc[0])
    assert r.runs[["visit_id", "fence_id", "minutes", "n_pings"]].values.tolist() == [
        [0, "A", 17.0, 0],
        [1, "B", 21.0, 7],
    ]
    c = r.rule["correction"]
    assert (c["fences_widened"], c["fences_bridged"], c["silences_bridged"]) == ([], ["A"], 1)
    # two windows of A both over the silence: still one visit
    two = silence_case(extra_windows=[("T3", "A", "PC4", 55, 62, 18)])
    assert two.rule["correction"]["silences_bridged"] == 1


def test_a_silence_is_bridged_within_its_limits_only():
    ns = pd.Timedelta(1, "ns")
    bridged = lambda r: r.rule["correction"]["silences_bridged"]  # noqa: E731
    # begins at 10:02: a window ending then, or starting then, holds it
    assert bridged(silence_case(start=62, end=70)) == 1
    assert bridged(silence_case(start=at(62) + ns - T0, end=70)) == 0
    assert bridged(silence_case(end=at(62) - ns - T0)) == 0
    # 21 minutes of silence: bridged with max_bridge_minutes=21, not 20.99
    assert bridged(silence_case(max_bridge_minutes=21)) == 1
    assert bridged(silence_case(max_bridge_minutes=20.99)) == 0
    # 17 minutes bridged lasts min_minutes=17, not 17.01
    assert bridged(silence_case(min_minutes=17)) == 1
    assert bridged(silence_case(min_minutes=17.01)) == 0
    # the pings either side are 50 m away: within reach_m=50, not 49.9
    assert bridged(silence_case(reach_m=50)) == 1
    assert bridged(silence_case(reach_m=49.9)) == 0
    # a silence proposal for the app does not bridge the radio
    p, w, f = silence_town()
    prop = pd.DataFrame([proposal("A", "app", "silence", overhead=4.0, note="app silent")])
    assert bridged(F.corrected_dwell(p, f, prop, w)) == 0


def test_a_silence_beside_a_measured_visit_there_is_not_bridged():
    # a 51 m catchment holds the pings either side: measured visits at A 09:58:30-10:00 and
    # 10:21-10:22:30. With no overhead the bridge 10:00-10:21 only touches them: bridged.
    # With an overhead of -1 minute it would run 09:59:30-10:21:30, over both: not bridged
    p, w, _ = silence_town()

    def run(overhead):
        prop = pd.DataFrame([proposal("A", "radio", "silence", overhead=overhead, note="s")])
        return F.corrected_dwell(p, fences(buffer_m=51.0), prop, w)

    r = run(0.0)
    assert r.rule["correction"]["silences_bridged"] == 1
    assert r.visits["basis"].tolist() == ["measured", "bridged silence", "measured", "measured"]
    assert r.visits["minutes"].tolist() == [1.5, 21.0, 1.5, 21.0]
    r = run(-1.0)
    assert r.rule["correction"]["silences_bridged"] == 0
    assert r.visits["basis"].tolist() == ["measured", "measured", "measured"]


# --------------------------------------------------------------------------- the defaults


def test_the_options_after_the_tables_are_named_not_placed():
    p, w = cluster_town()
    f = fences()
    with pytest.raises(TypeError, match="positional argument"):
        F.offsets_from_clusters(p, f, w, True)
    with pytest.raises(TypeError, match="positional argument"):
        F.silences_at_fences(p, f, w, True)
    with pytest.raises(TypeError, match="positional argument"):
        F.offsets_between_sources(p, "app")
    with pytest.raises(TypeError, match="positional argument"):
        F.propose_catchments(f, None)
    prop = pd.DataFrame([proposal()])
    with pytest.raises(TypeError, match="positional argument"):
        F.corrected_fences(f, prop, "moderate")
    with pytest.raises(TypeError, match="positional argument"):
        F.corrected_dwell(p, f, prop, w, True)


def linger_town(stay: int, mate_inside: int = 0):
    """cluster_town, but PC1's app at the place 150 m west of A for ``stay`` minutes only (then
    at HOME), and PC2, also eligible for T1, inside A for ``mate_inside`` minutes."""
    p, w = cluster_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    gone = (m >= 60 + stay) & (m < 80)
    p.loc[gone, ["x", "y"]] = HOME
    if mate_inside:
        mate = pings([("PC2", k, 50.0 if k < 60 + mate_inside else HOME[0],
                       50.0 if k < 60 + mate_inside else HOME[1], "app")
                      for k in range(60, 81)])  # fmt: skip
        p = pd.concat([p, mate], ignore_index=True)
        w = pd.concat([w, windows(("T1", "A", "PC2", 60, 65, 15))], ignore_index=True)
    return p, w


def test_the_default_lingering_time_is_five_minutes():
    f = fences()
    # five minutes at the place is lingering; four minutes inside by a team mate is not a
    # delivered tasking, five is
    p, w = linger_town(5)
    assert F.offsets_from_clusters(p, f, w).set_index("fence_id").loc[
        "A", "taskings_lingering_outside"] == 1  # fmt: skip
    p, w = linger_town(4)
    assert F.offsets_from_clusters(p, f, w).set_index("fence_id").loc[
        "A", "taskings_lingering_outside"] == 0  # fmt: skip
    p, w = linger_town(20, mate_inside=4)
    a = F.offsets_from_clusters(p, f, w).set_index("fence_id").loc["A"]
    assert (a["taskings_delivered_inside"], a["taskings_lingering_outside"]) == (0, 1)
    p, w = linger_town(20, mate_inside=5)
    a = F.offsets_from_clusters(p, f, w).set_index("fence_id").loc["A"]
    assert (a["taskings_delivered_inside"], a["taskings_lingering_outside"]) == (1, 0)


def test_the_default_search_and_cluster_radii():
    f = fences()
    # searched 400 m around the centre
    p, w = cluster_town(far=-400.0)
    assert "A" in set(F.offsets_from_clusters(p, f, w)["fence_id"])
    p, w = cluster_town(far=-400.5)
    assert "A" not in set(F.offsets_from_clusters(p, f, w)["fence_id"])
    # 90 m from the centre is 30 m beyond the catchment: within the 30 m cluster radius
    p, w = cluster_town(far=-90.0)
    assert F.offsets_from_clusters(p, f, w).set_index("fence_id").loc["A", "strength"] == "none"
    p, w = cluster_town(far=-90.5)
    assert F.offsets_from_clusters(p, f, w).set_index("fence_id").loc["A", "strength"] == "weak"


def test_the_place_is_the_mean_of_the_pings_in_the_densest_disc():
    # 19 minutes 150 m west of A's centre (cell (-150, -140) x (0, 10) of the 10 m grid) and
    # one minute at (-175, -25.5) from it (cell (-180, -170) x (-30, -20)). The densest disc
    # of 3 cells' radius is the first of the plateau, centred on the cell (-180, -170) x
    # (0, 10): both cells lie within it (3 cells away each), so the place is the mean of the
    # 20 minutes: (19 x -150 - 175) / 20 = -151.25 east, -25.5 / 20 = -1.275 north
    p, w = cluster_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[m == 79, ["x", "y"]] = (50.0 - 175.0, 50.0 - 25.5)
    a = F.offsets_from_clusters(p, fences(), w).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [-151.25, -1.275], atol=1e-9)


def test_a_spot_at_the_far_side_of_its_cell_is_still_the_place():
    # every ping 140.5 m west of A's centre, at the east edge of its cell (-150, -140): the
    # densest disc is centred 3 cells west, on (-175, 5), 34.5 m from the pings. The place is
    # still where the pings are (a distance from the disc's centre missed them, and the place
    # was then given as (-175, 5), where nobody stood)
    p, w = cluster_town(far=-140.5)
    a = F.offsets_from_clusters(p, fences(), w).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [-140.5, 0.0], atol=1e-9)
    assert a["outside_m"] == pytest.approx(140.5 - 50 - 10)
    assert a["taskings_lingering_outside"] == 1 and a["strength"] == "weak"


def test_the_default_pairing_and_agreement_distances():
    assert F.offsets_between_sources(pairs_town([30.0] * 5, apart_s=30.0), min_pairs=5)[
        "pairs"].tolist() == [5]  # fmt: skip
    # radio pings two minutes apart: an app 30.5 s after one is 89.5 s before the next
    far = pairs_town([30.0] * 5, apart_s=30.5, freq="2min")
    assert F.offsets_between_sources(far, min_pairs=5).empty
    k = known_of(("A", "app", -150, 0, "moderate"))
    at_50 = clusters_of(("A", "app", -100, 0, "weak"))
    beyond = clusters_of(("A", "app", -99.5, 0, "weak"))
    assert F.propose_catchments(fences(), clusters=at_50, known_points=k)["strength"].tolist() == [
        "strong"]  # fmt: skip
    assert F.propose_catchments(fences(), clusters=beyond, known_points=k)[
        "strength"].tolist() == ["moderate"]  # fmt: skip


def far_silence_town(before_y: float, after_y: float):
    """silence_town with the pings either side of the silence at (50, before_y) and
    (50, after_y): -before_y and -after_y metres south of A's edge."""
    p, w, f = silence_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[m == 60, "y"] = before_y
    p.loc[m == 81, "y"] = after_y
    return p, w, f


def test_the_default_reach_of_a_silence_is_two_kilometres():
    prop = pd.DataFrame([proposal("A", "radio", "silence", overhead=4.0, note="radio silent")])
    p, w, f = far_silence_town(-2000.0, -2000.0)
    assert F.silences_at_fences(p, f, w).set_index("fence_id").loc["A", "taskings_silent"] == 1
    assert F.corrected_dwell(p, f, prop, w).rule["correction"]["silences_bridged"] == 1
    p, w, f = far_silence_town(-2000.5, -2000.5)
    assert F.silences_at_fences(p, f, w).set_index("fence_id").loc["A", "taskings_silent"] == 0
    assert F.corrected_dwell(p, f, prop, w).rule["correction"]["silences_bridged"] == 0


def test_a_silence_needs_the_pings_on_both_sides_within_reach():
    # before it 50 m south of A, after it 3 km south: not a silence at A, and no lift measured
    for before, after in ((-50.0, -3000.0), (-3000.0, -50.0)):
        p, w, f = far_silence_town(before, after)
        a = F.silences_at_fences(p, f, w).set_index("fence_id").loc["A"]
        assert a["taskings_silent"] == 0 and np.isnan(a["lift"])
        assert np.isnan(a["silent_margin_m"]) and a["overhead_minutes"] == 3.0
        prop = pd.DataFrame([proposal("A", "radio", "silence", overhead=4.0, note="s")])
        assert F.corrected_dwell(p, f, prop, w).rule["correction"]["silences_bridged"] == 0


def test_a_silence_in_a_tasking_seen_delivered_four_or_five_minutes():
    # PC2's app inside A for 4 minutes of T1 does not make it delivered; 5 minutes does
    p, w, f = silence_town()
    w2 = pd.concat([w, windows(("T1", "A", "PC2", 50, 62, 18))], ignore_index=True)
    for inside, silent in ((4, 1), (5, 0)):
        mate = pings([("PC2", m, 50.0 if m < 50 + inside else HOME[0],
                       50.0 if m < 50 + inside else HOME[1], "app") for m in range(50, 81)])  # fmt: skip
        s = F.silences_at_fences(pd.concat([p, mate], ignore_index=True), f, w2)
        assert s.set_index(["fence_id", "source"]).loc[("A", "radio"), "taskings_silent"] == silent


def test_a_minute_of_tasked_time_elsewhere_is_enough_for_a_lift():
    # B's window holds one ping, a minute of tasked time elsewhere: the lift is
    # (20 / 20) / ((0 + 1) / 1) = 1
    p, _ = cluster_town()
    w = windows(("T1", "A", "PC1", 60, 65, 15), ("T2", "B", "PC1", 120, 121, 0))
    c = F.offsets_from_clusters(p, fences(), w).set_index("fence_id")
    assert c.loc["A", "lift"] == pytest.approx(1.0)


def test_windows_at_fences_not_given_find_nothing():
    p, w = cluster_town()
    elsewhere = w.assign(fence_id="Z")
    c = F.offsets_from_clusters(p, fences(), elsewhere)
    assert c.empty and "lift" in c.columns
    s = F.silences_at_fences(p, fences(), elsewhere)
    assert s.empty and "overhead_minutes" in s.columns


def test_two_spots_62_m_apart_share_the_disc_of_the_cell_between_them():
    # 11 minutes 150 m west of A's centre (cell 25 of the 10 m grid from -400 m) and 9 minutes
    # 88 m west (cell 31): the cell between, 28, lies 3 cells (the 30 m disc) from both, the
    # one disc that holds all 20 minutes. The place: (11 x -150 + 9 x -88) / 20 = -122.1
    p, w = cluster_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[(m >= 71) & (m < 80), "x"] = 50.0 - 88.0
    a = F.offsets_from_clusters(p, fences(), w).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [-122.1, 0.0], atol=1e-9)
    # on a 20 m grid (a disc of 1.5 cells) the spots share no disc: the place is the larger
    a = F.offsets_from_clusters(p, fences(), w, cell_m=20.0).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [-150.0, 0.0], atol=1e-9)


def test_at_the_place_means_within_the_cluster_radius_of_it():
    # 10 minutes 150 m west of A's centre and 10 minutes 90 m west: one disc holds both, the
    # place is their mean, 120 m west, and each spot lies exactly 30 m from it: all 20 minutes
    # linger at the place
    p, w = cluster_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[(m >= 70) & (m < 80), "x"] = 50.0 - 90.0
    a = F.offsets_from_clusters(p, fences(), w, linger_minutes=20).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [-120.0, 0.0], atol=1e-9)
    assert a["taskings_lingering_outside"] == 1


def test_each_devices_intervals_are_held_to_its_own_gap_rule():
    # PC1's app pings once (the first ping of all); PC4's radio every 5 minutes, 20 intervals
    # within the radio's 10-minute rule (beyond the app's 3): the radio's usual longest is 5
    rows = [("PC1", 0, 0, 0, "app")] + [("PC4", 5 * k, 0, 0, "radio") for k in range(21)]
    pp = prepare_pings(pings(rows), 27700)
    assert F._silence_ns(pp).tolist() == [3 * 60_000_000_000, 5 * 60_000_000_000]


def test_a_silence_on_a_map_in_feet():
    # the pings either side 50 m from A: within reach_m=50 whatever the map's unit
    p, w, f = silence_town(scale=FT, crs=2263)
    s = F.silences_at_fences(p, f, w, reach_m=50).set_index("fence_id")
    assert s.loc["A", "taskings_silent"] == 1
    assert s.loc["A", "silent_margin_m"] == pytest.approx(50.0)
    assert s.loc["A", "overhead_minutes"] == pytest.approx(4.0)
    prop = pd.DataFrame([proposal("A", "radio", "silence", overhead=4.0, note="radio silent")])
    r = F.corrected_dwell(p, f, prop, w, reach_m=50)
    assert r.rule["correction"]["silences_bridged"] == 1


def test_a_device_without_intervals_has_no_overhead_and_no_warning():
    import warnings

    # the vehicle pings once: no interval, no factor, and no "mean of empty slice" warning
    rows = [("PC4", m, 0, 0, "radio") for m in (0, 3, 6)] + [("PC2", 0, 0, 0, "vehicle")]
    pp = prepare_pings(pings(rows), 27700)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = F._interval_factor_minutes(pp)
    assert_allclose(got, [3.0, np.nan, np.nan])


def test_heard_inside_elsewhere_is_a_share_of_the_taskings_elsewhere():
    # a second tasking at B, 12:30-12:40, with the radio at HOME: heard inside B in 1 of the 2
    # taskings elsewhere than A
    p, w, f = silence_town()
    w = pd.concat([w, windows(("T3", "B", "PC4", 150, 155, 5))], ignore_index=True)
    s = F.silences_at_fences(p, f, w).set_index("fence_id")
    assert s.loc["A", "heard_inside_elsewhere"] == 0.5
    assert s.loc["B", "taskings_with_data"] == 2 and s.loc["B", "taskings_heard_inside"] == 1


def test_the_busier_place_is_measured_within_the_cluster_radius_in_feet_too():
    # on a map in feet: 10 minutes 150 m west of A's centre and 10 minutes 130 m west, the
    # place between them, 10 m from each: all 20 minutes are at the place (the 30 m radius is
    # 98 feet), so the lift is (20 / 20) / (1 / 20) = 20
    p, w = cluster_town(FT, "EPSG:2263")
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[(m >= 70) & (m < 80), "x"] = (50.0 - 130.0) * FT
    a = F.offsets_from_clusters(p, fences(scale=FT, crs=2263), w).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [-140.0, 0.0], atol=1e-6)
    assert a["lift"] == pytest.approx(20.0)
    assert a["taskings_lingering_outside"] == 1


def test_a_place_inside_the_fence_is_no_lingering_outside():
    # no catchment: 4 minutes just inside A's west edge (x = 10) and 4 minutes just outside it
    # (x = -2); the place is their mean, x = 4, inside A. Not seen delivered (4 minutes
    # inside, under 5), and 8 minutes at the place, but the place is inside: no lingering
    # outside
    p, w = cluster_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[(m >= 60) & (m < 64), "x"] = 10.0
    p.loc[(m >= 64) & (m < 68), "x"] = -2.0
    p.loc[(m >= 68) & (m < 80), ["x", "y"]] = HOME
    a = F.offsets_from_clusters(p, fences(), w, catchment=False).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"], a["outside_m"]], [-46.0, 0.0, 0.0], atol=1e-9)
    assert (a["taskings_delivered_inside"], a["taskings_lingering_outside"]) == (0, 0)
    assert a["strength"] == "none"


def test_no_visits_begin_in_no_window():
    # the pass-by rule's check on an empty set of visits: an empty mask, not one of length 1
    wv = F._window_frame(windows(("T1", "A", "PC1", 60, 65, 15)))
    none = pd.DataFrame({"fence_id": [], "officer": [], "start": pd.to_datetime([], utc=True)})
    got = F._starts_in_window(none, wv)
    assert got.dtype == bool and got.shape == (0,)


def test_pings_on_the_search_squares_north_edge_belong_to_its_last_row_of_cells():
    # 15 minutes 365 m north of A's centre (row 76 of the 10 m grid from -400 m) and 5 minutes
    # exactly 400 m north, on the square's edge: in its last row, 79, not a row beyond it. The
    # first cell whose 30 m disc holds both is (38, 77), and both lie within 3 cells of it, so
    # the place is their mean: (15 x 365 + 5 x 400) / 20 = 373.75 m north
    p, w = cluster_town(at_a=lambda m: (50.0, 50.0 + (365.0 if m < 75 else 400.0)))
    a = F.offsets_from_clusters(p, fences(), w).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [0.0, 373.75], atol=1e-9)


def test_a_source_left_blank_is_named_missing():
    p, w = cluster_town()
    p["source"] = None
    c = F.offsets_from_clusters(p, fences(), w, max_gap_minutes=3.0)
    assert c["source"].tolist() == ["missing", "missing"]


def test_officers_numbered_in_the_export_come_back_as_text():
    p = pairs_town([30.0] * 5)
    p["officer"] = 1234
    b = F.offsets_between_sources(p, min_pairs=5)
    assert b["officer"].tolist() == ["1234"] and b["pairs"].tolist() == [5]


def test_the_default_merge_of_visits_is_two_minutes():
    assert offset_case(50, 59.5).rule["merge_within_minutes"] == 2.0


def test_pings_near_a_fence_with_no_tracked_time_make_no_cluster():
    # in A's window the app pinged only at 10:00 and 10:10, more than its 3-minute gap rule
    # apart, so no time is tracked near A: no lingering, strength none, and no error
    p, w = cluster_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p = p[~((m > 55) & (m < 86)) | m.isin([60, 70])]
    a = F.offsets_from_clusters(p, fences(), w).set_index("fence_id").loc["A"]
    assert (a["taskings_with_data"], a["taskings_lingering_outside"]) == (1, 0)
    assert a["strength"] == "none" and np.isnan(a["lift"])
    assert a["evidence"] == (
        "app: no lingering outside A's catchment stands out (seen delivered inside in 0 of 1 "
        "taskings)"
    )


def test_the_silent_margin_is_the_tenth_percentile_of_the_distances():
    # two silences at A: the pings either side 50 m south of its edge (10:00-10:21) and 100 m
    # south (12:00-12:21). The margin is their 10th percentile, 50 + 0.1 x 50 = 55 m; the
    # overhead 3 minutes of interval and the walk across 55 - 8 m and back at 1.4 m/s
    p, w, f = silence_town()  # its pings end at 12:00; the second silence follows it
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[m == 180, ["x", "y"]] = [50.0, -100.0]
    after = [
        ("PC4", k, *((50.0, -100.0) if k == 201 else HOME), "radio") for k in range(201, 241, 3)
    ]
    p = pd.concat([p, pings(after)], ignore_index=True)
    w = pd.concat([w, windows(("T3", "A", "PC4", 170, 182, 18))], ignore_index=True)
    a = F.silences_at_fences(p, f, w).set_index("fence_id").loc["A"]
    assert a["taskings_silent"] == 2
    assert a["silent_margin_m"] == pytest.approx(55.0)
    assert a["overhead_minutes"] == pytest.approx(3.0 + 2 * 47 / 1.4 / 60)


def test_each_pings_minutes_are_held_to_the_gap_rule_of_its_own_pair():
    # PC1's radio at 10:00, then its app at 10:05 and 10:10: radio to app, 5 minutes, within the
    # larger of their rules (the radio's 10); app to app, 5 minutes, beyond the app's 3
    pp = prepare_pings(pings([("PC1", 0, 0, 0, "radio"), ("PC1", 5, 0, 0, "app"),
                              ("PC1", 10, 0, 0, "app")]), 27700)  # fmt: skip
    assert F._ping_minutes(pp).tolist() == [5.0, 0.0, 0.0]


def test_a_place_half_a_metre_outside_the_catchment_is_outside():
    # 60.5 m west of A's centre: 10.5 m west of its edge, half a metre beyond its 10 m catchment
    p, w = cluster_town(far=-60.5)
    a = F.offsets_from_clusters(p, fences(), w).set_index("fence_id").loc["A"]
    assert a["outside_m"] == pytest.approx(0.5, abs=1e-6)
    assert a["taskings_lingering_outside"] == 1


def test_two_weak_kinds_of_evidence_that_agree_make_a_moderate_one():
    k = known_of(("A", "app", -150, 0, "weak"))
    c = clusters_of(("A", "app", -140, 0, "weak"))
    got = F.propose_catchments(fences(), clusters=c, known_points=k)
    assert got["strength"].tolist() == ["moderate"]


def test_a_proposal_for_a_fence_not_on_the_map_does_not_stop_the_next_moving_north_in_feet():
    # Z is not among the fences; A's offset, 150 m north, is still applied, in feet
    f = fences(scale=FT, crs=2263)
    p = pd.DataFrame([proposal("Z", note="no such fence"), proposal("A", dx=0.0, dy=150.0)])
    c = F.corrected_fences(f, p)
    assert c["correction"].fillna("").tolist() == ["", "", "catchment +150 m"]
    assert_allclose(c.geometry.iloc[2].bounds, np.array([0, 0, 100, 250]) * FT)


def test_pings_on_the_search_squares_east_edge_belong_to_its_last_column_of_cells():
    # the north-edge case turned a quarter: 15 minutes 365 m east, 5 minutes exactly 400 m east
    p, w = cluster_town(at_a=lambda m: (50.0 + (365.0 if m < 75 else 400.0), 50.0))
    a = F.offsets_from_clusters(p, fences(), w).set_index("fence_id").loc["A"]
    assert_allclose([a["dx_m"], a["dy_m"]], [373.75, 0.0], atol=1e-9)


def test_only_the_time_at_the_place_counts_as_lingering():
    # 11 minutes 150 m west of A's centre and 9 minutes 88 m west share no disc on a 20 m grid:
    # the place is the larger spot, where PC1 lingered 11 minutes, short of 15; the 9 minutes
    # at the other spot are not at the place
    p, w = cluster_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[(m >= 71) & (m < 80), "x"] = 50.0 - 88.0
    a = F.offsets_from_clusters(p, fences(), w, cell_m=20.0, linger_minutes=15).loc[0]
    assert (a["fence_id"], a["dx_m"], a["taskings_lingering_outside"]) == ("A", -150.0, 0)


def test_the_default_longest_silence_bridged_is_45_minutes():
    import inspect

    assert inspect.signature(F.corrected_dwell).parameters["max_bridge_minutes"].default == 45.0


def test_a_silence_is_bracketed_by_the_same_device_whatever_pinged_before_it():
    # PC4's app pings at 09:59, just before the radio's last ping ahead of its silence, and at
    # 10:22, just after its first ping after it: the radio is still silent at A once, and the
    # app's pings on either side do not make the radio's silence the app's
    p, w, f = silence_town()
    app = pings([("PC4", 59, 50.0, -50.0, "app"), ("PC4", 82, 50.0, -50.0, "app")])
    p = pd.concat([p, app], ignore_index=True)
    s = F.silences_at_fences(p, f, w).set_index(["fence_id", "source"])
    assert s.loc[("A", "radio"), "taskings_silent"] == 1
    assert s.loc[("A", "app"), "taskings_silent"] == 0


def test_a_switch_from_radio_to_app_is_not_a_silence():
    # PC4's radio pings until 10:00 and its app from 10:21: 21 minutes between two devices'
    # pings is no silence of either
    p, w, f = silence_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[m >= 81, "source"] = "app"
    s = F.silences_at_fences(p, f, w).set_index(["fence_id", "source"])
    assert s.loc[("A", "radio"), "taskings_silent"] == 0


def test_the_margin_is_the_nearer_of_the_pings_either_side():
    # the ping before the silence 206 m from A (at (300, -50)), the one after 50 m (at (50, -50)):
    # the margin is 50 m, and the walk across 50 - 8 m and back makes the overhead 4 minutes
    p, w, f = silence_town()
    m = p["time"].sub(T0).dt.total_seconds().div(60)
    p.loc[m == 60, "x"] = 300.0
    a = F.silences_at_fences(p, f, w).set_index("fence_id").loc["A"]
    assert a["silent_margin_m"] == pytest.approx(50.0)
    assert a["overhead_minutes"] == pytest.approx(4.0)


def test_windows_indexed_by_their_own_column_are_read():
    # an analyst's windows indexed by tasking_id and keeping the column too
    p, w, f = silence_town()
    w = w.set_index("tasking_id", drop=False)
    assert F.silences_at_fences(p, f, w).set_index("fence_id").loc["A", "taskings_silent"] == 1


def test_an_app_radio_offset_between_three_and_four_errors_is_not_strong():
    # the app 0, 15, 30, 45 and 60 m east: median 30, absolute deviations 30, 15, 0, 15, 30
    # (median 15), se = 1.4826 x 15 / sqrt(5) = 9.95 m; 30 m is 3.0 errors, under 4: moderate
    b = F.offsets_between_sources(pairs_town([0, 15, 30, 45, 60]), min_pairs=5).iloc[0]
    assert b["se_m"] == pytest.approx(1.4826 * 15 / np.sqrt(5))
    assert (b["offset_m"], b["strength"]) == (30.0, "moderate")
