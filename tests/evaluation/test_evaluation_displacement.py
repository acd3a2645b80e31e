"""crime_panel and displacement on hand-made areas and crimes, counted by hand."""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import Point, box

from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.evaluation import (
    balance_table,
    crime_panel,
    displacement,
    place_table,
    ring_areas,
    wdd,
    wdq,
)
from hspwork.fences import make_fences
from hspwork.report import report_of

TS = "2025-09-01T00:00Z"


def fences():
    f = gpd.GeoDataFrame(
        {
            "fence_id": ["T1", "T2", "C1"],
            "role": ["treatment", "treatment", "control"],
            "block": [1, 2, 1],
        },
        geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100), box(3000, 0, 3100, 100)],
        crs=27700,
    )
    return make_fences(f, role="role", valid_from=TS)


def crimes(rows):
    """rows: (x, y, time, offence, harm)."""
    x, y, t, o, h = zip(*rows)
    return gpd.GeoDataFrame(
        {"occurred_from": pd.to_datetime(list(t), utc=True), "offence": list(o), "harm": list(h)},
        geometry=[Point(a, b) for a, b in zip(x, y)],
        crs=27700,
    )


def test_crime_panel_counts_by_hand():
    c = crimes(
        [
            (50, 50, "2025-08-20T10:00Z", "Robbery", 365.0),  # T1, period -2 (Aug 18-25)
            (60, 50, "2025-08-31T23:59Z", "Robbery", 365.0),  # T1, period -1
            (50, 50, "2025-09-01T00:00Z", "Criminal damage", 2.0),  # T1, period 0 (edge in post)
            (1050, 50, "2025-09-09T00:00Z", "Robbery", 365.0),  # T2, period 1
            (3050, 50, "2025-09-02T00:00Z", "Shoplifting", 1.0),  # C1, period 0
            (3050, 50, "2025-07-01T00:00Z", "Shoplifting", 1.0),  # before the window
            (5000, 50, "2025-09-02T00:00Z", "Shoplifting", 1.0),  # outside every area
        ]
    )
    p = crime_panel(c, fences(), start="2025-08-18T00:00Z", end="2025-09-15T00:00Z", trial_start=TS)
    assert sorted(p["period"].unique()) == [-2, -1, 0, 1]
    got = p.set_index(["fence_id", "period"])
    assert got.loc[("T1", -2), "crimes"] == 1 and got.loc[("T1", -1), "crimes"] == 1
    assert got.loc[("T1", 0), "crimes"] == 1 and got.loc[("T1", 0), "harm"] == 2.0
    assert got.loc[("T2", 1), "crimes"] == 1 and got.loc[("T2", 1), "harm"] == 365.0
    assert got.loc[("C1", 0), "crimes"] == 1 and got.loc[("C1", 0), "treated"] == 0
    assert p["crimes"].sum() == 5
    assert (got.xs(0, level="period")["post"] == 1).all()
    assert (got.xs(-1, level="period")["post"] == 0).all()
    assert got.loc[("T2", 0), "block"] == 2
    assert got.loc[("T1", 0), "period_start"] == pd.Timestamp(TS)
    rep = report_of(p)
    assert rep.dropped == {"outside the study window": 1, "outside every area": 1}
    assert rep.rows_kept == 5


def test_crime_panel_errors():
    c = crimes([(50, 50, "2025-08-20T10:00Z", "Robbery", 1.0)])
    with pytest.raises(HspworkError, match=r"start must carry a time zone.*'2025-08-18'"):
        crime_panel(c, fences(), start="2025-08-18", end="2025-09-15T00:00Z", trial_start=TS)
    with pytest.raises(SchemaError, match="roles found \\['other'\\]"):
        crime_panel(
            c,
            fences().assign(role="other"),
            start="2025-08-18T00:00Z",
            end="2025-09-15T00:00Z",
            trial_start=TS,
        )


def test_ring_areas_cut_out_fences_and_carry_roles():
    r = ring_areas(fences(), edges_m=(0, 50, 100))
    assert r["area_id"].tolist()[:2] == ["C1:ring1", "C1:ring2"]
    t1 = r[r["fence_id"] == "T1"].set_index("ring")
    # ring 1 of a 100 m square: (square grown by 50 m with round corners) minus the square
    assert_allclose(t1.loc[1, "area_m2"], 4 * 100 * 50 + np.pi * 50**2, rtol=2e-3)
    assert set(r["role"]) == {"treatment", "control"}


def _scenario():
    # T fences: before 20, after 10; T rings (50 m out): before 12, after 9;
    # C fence: before 16, after 16; C ring: before 8, after 10. Two offence types.
    rows = []

    def add(n, x, when, offence="Robbery", harm=365.0):
        rows.extend([(x, 50, when, offence, harm)] * n)

    add(15, 50, "2025-08-10T00:00Z")
    add(5, 1050, "2025-08-12T00:00Z", "Criminal damage", 2.0)
    add(8, 50, "2025-09-10T00:00Z")
    add(2, 1050, "2025-09-12T00:00Z", "Criminal damage", 2.0)
    add(12, 150, "2025-08-10T00:00Z", "Criminal damage", 2.0)
    add(9, 150, "2025-09-10T00:00Z", "Criminal damage", 2.0)
    add(16, 3050, "2025-08-10T00:00Z")
    add(16, 3050, "2025-09-10T00:00Z")
    add(8, 3150, "2025-08-10T00:00Z", "Criminal damage", 2.0)
    add(10, 3150, "2025-09-10T00:00Z", "Criminal damage", 2.0)
    add(3, 8000, "2025-09-10T00:00Z")  # far from everything
    return crimes(rows)


def test_displacement_by_hand():
    c = _scenario()
    before = ("2025-08-01T00:00Z", "2025-09-01T00:00Z")
    after = ("2025-09-01T00:00Z", "2025-10-02T00:00Z")
    d = displacement(c, fences(), before=before, after=after, edges_m=(0, 150), replicates=500)
    t = d.table
    assert t.loc["treated", ["before", "after"]].tolist() == [20, 10]
    assert t.loc["treated ring 1", ["before", "after"]].tolist() == [12, 9]
    assert t.loc["control", ["before", "after"]].tolist() == [16, 16]
    assert t.loc["control ring 1", ["before", "after"]].tolist() == [8, 10]
    ref = wdq(treated=(20, 10), buffer=(12, 9), control=(16, 16), replicates=500)
    assert_allclose(d.wdq[1].wdq, (9 / 16 - 12 / 16) / (10 / 16 - 20 / 16))
    assert d.wdq[1].ci == ref.ci
    assert_allclose(d.wdd.estimate, (10 - 20) - 0 + (9 - 12) - (10 - 8))
    assert_allclose(d.wdd.se, np.sqrt(20 + 10 + 16 + 16 + 12 + 9 + 8 + 10))
    assert d.load_report.dropped == {"outside every zone": 3}


def test_displacement_harm_weights_offences():
    c = _scenario()
    before = ("2025-08-01T00:00Z", "2025-09-01T00:00Z")
    after = ("2025-09-01T00:00Z", "2025-10-02T00:00Z")
    d = displacement(c, fences(), before=before, after=after, outcome="harm", replicates=300)
    assert d.table.loc["treated", "before"] == 15 * 365 + 5 * 2
    # WDD by type: [Criminal damage, Robbery] weighted [2, 365]
    ref = wdd(
        treated=([5, 15], [2, 8]),
        control=([0, 16], [0, 16]),
        displaced=([12, 0], [9, 0]),
        displaced_control=([8, 0], [10, 0]),
        weights=[2, 365],
    )
    assert_allclose(d.wdd.estimate, ref.estimate)
    assert_allclose(d.wdd.se, ref.se)
    q = wdq(
        treated=([5, 15], [2, 8]),
        buffer=([12, 0], [9, 0]),
        control=([0, 16], [0, 16]),
        weights=[2, 365],
        replicates=300,
    )
    assert_allclose(d.wdq[1].wdq, q.wdq)
    assert d.wdq[1].ci == q.ci


def test_displacement_unequal_windows_scale_the_wdd():
    # before: 62 days (1 Jul - 1 Sep), after: 31 days; the scenario's counts all fall in
    # August and September, so before counts are halved onto the after window's length
    d = displacement(
        _scenario(),
        fences(),
        before=("2025-07-01T00:00Z", "2025-09-01T00:00Z"),
        after=("2025-09-01T00:00Z", "2025-10-02T00:00Z"),
        edges_m=(0, 150),
        replicates=200,
    )
    est = (10 - 20 / 2) - (16 - 16 / 2) + (9 - 12 / 2) - (10 - 8 / 2)
    var = (20 + 16 + 12 + 8) / 4 + (10 + 16 + 9 + 10)
    assert_allclose(d.wdd.estimate, est, rtol=1e-12)
    assert_allclose(d.wdd.se, np.sqrt(var), rtol=1e-12)
    ref = wdd((20, 10), (16, 16), (12, 9), (8, 10), time_weights=(2, 1))
    assert_allclose(d.wdd.estimate, ref.estimate, rtol=1e-12)
    assert "WDD" in d.summary()
    with pytest.raises(HspworkError, match="outcome must be 'crimes' or 'harm'; received 'x'"):
        displacement(
            _scenario(),
            fences(),
            before=("2025-07-01T00:00Z", TS),
            after=(TS, "2025-10-01T00:00Z"),
            outcome="x",
        )


def test_place_table_totals_and_areas_by_hand():
    c = crimes(
        [
            (50, 50, "2025-08-20T10:00Z", "Robbery", 365.0),
            (60, 50, "2025-08-31T23:59Z", "Robbery", 365.0),
            (50, 50, "2025-09-01T00:00Z", "Criminal damage", 2.0),
            (3050, 50, "2025-09-02T00:00Z", "Shoplifting", 1.0),
        ]
    )
    f = fences()
    p = crime_panel(c, f, start="2025-08-18T00:00Z", end="2025-09-15T00:00Z", trial_start=TS)
    t = place_table(p, f)
    assert t.loc["T1", ["pre_crimes", "post_crimes"]].tolist() == [2, 1]
    assert t.loc["T1", ["pre_harm", "post_harm"]].tolist() == [730.0, 2.0]
    assert t.loc["C1", ["treated", "pre_crimes", "post_crimes"]].tolist() == [0, 0, 1]
    assert t.loc["T2", "block"] == 2
    assert_allclose(t["area_m2"], 100 * 100)
    b = balance_table(t, columns=["pre_crimes", "area_m2"])
    assert_allclose(b.loc["pre_crimes", "mean_treated"], 1.0)


def test_displacement_harm_counts_crimes_without_a_harm_weight():
    # Two robberies in the treated fence before have no harm weight: for a harm outcome they
    # are set aside and counted, not taken as 0 harm in the table and as average harm in the
    # quotient.
    c = _scenario()
    c.loc[[0, 1], "harm"] = np.nan
    before = ("2025-08-01T00:00Z", "2025-09-01T00:00Z")
    after = ("2025-09-01T00:00Z", "2025-10-02T00:00Z")
    d = displacement(
        c, fences(), before=before, after=after, edges_m=(0, 150), outcome="harm", replicates=200
    )
    assert d.load_report.dropped == {"no harm weight": 2, "outside every zone": 3}
    # treated before: 13 robberies (365) and 5 criminal damage (2) remain
    assert d.table.loc["treated", "before"] == 13 * 365 + 5 * 2
    clean = displacement(
        c.drop(index=[0, 1]),
        fences(),
        before=before,
        after=after,
        edges_m=(0, 150),
        outcome="harm",
        replicates=200,
    )
    assert_allclose(d.wdq[1].wdq, clean.wdq[1].wdq)
    assert_allclose(d.wdd.estimate, clean.wdd.estimate)
    # counting crimes, the missing harm does not matter
    n = displacement(c, fences(), before=before, after=after, edges_m=(0, 150), replicates=200)
    assert n.table.loc["treated", "before"] == 20


def test_crime_panel_notes_crimes_without_a_harm_weight():
    c = crimes(
        [
            (50, 50, "2025-09-02T10:00Z", "Robbery", 365.0),
            (50, 50, "2025-09-03T10:00Z", "Robbery", np.nan),
        ]
    )
    p = crime_panel(c, fences(), start=TS, end="2025-09-08T00:00Z", trial_start=TS)
    row = p[p["fence_id"] == "T1"].iloc[0]
    assert (row["crimes"], row["harm"]) == (2, 365.0)
    assert report_of(p).notes == ("1 crimes without a harm weight add 0 to harm",)


def test_crime_panel_warns_when_windows_are_longer_than_a_period():
    # police.uk crimes carry a whole month as their window; a weekly panel would put every
    # one in the week holding the 1st. The panel says so, naming how many.
    c = crimes([(50, 50, "2025-09-01T00:00Z", "Robbery", 365.0)] * 3)
    c["occurred_to"] = pd.Timestamp("2025-10-01T00:00Z")
    c.loc[2, "occurred_to"] = c.loc[2, "occurred_from"]  # an exact time
    with pytest.warns(HspworkWarning, match=r"2 of 3 crimes have a time window longer than"):
        p = crime_panel(c, fences(), start=TS, end="2025-10-01T00:00Z", trial_start=TS)
    assert "2 crimes with a window longer than a period" in report_of(p).notes[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", HspworkWarning)
        crime_panel(c, fences(), start=TS, end="2025-10-01T00:00Z", trial_start=TS, period_days=30)
