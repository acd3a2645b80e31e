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


def at(minutes: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minutes)


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


def cluster_town(scale: float = 1.0, crs: str = "EPSG:27700", far: float = -150.0):
    """PC1's app, a ping a minute 09:30-11:30. Tasked to A 10:00-10:05 (15 minutes planned,
    so present until 10:20) the app places PC1 at (50 + far, 50), ``far`` m from A's centre;
    tasked to B 11:00-11:05, inside B at its centre. Otherwise at HOME."""
    rows = []
    for m in range(30, 151):
        if 60 <= m < 80:
            x, y = 50.0 + far, 50.0
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
    rows = []
    for m in range(30, 151):
        if 60 <= m < 70:
            x, y = -100.0, 50.0
        elif 70 <= m < 79:
            x, y = -100.0, 30.0
        elif m == 79:
            x, y = 50.0, 250.0
        elif 120 <= m < 140:
            x, y = 1050.0, 50.0
        else:
            x, y = HOME
        rows.append(("PC1", m, x, y, "app"))
    w = windows(("T1", "A", "PC1", 60, 65, 15), ("T2", "B", "PC1", 120, 125, 15))
    c = F.offsets_from_clusters(pings(rows), fences(), w).set_index("fence_id")
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


def pairs_town(app_dx, app_dy=None, apart_s=10.0):
    """PC7's radio at A's centre once a minute from 09:00; the app ``apart_s`` seconds after
    each radio ping, at the given east and north differences."""
    app_dy = np.zeros(len(app_dx)) if app_dy is None else np.asarray(app_dy, float)
    n = len(app_dx)
    t = pd.date_range(T0, periods=n, freq="1min")
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
