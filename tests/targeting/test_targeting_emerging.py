"""Emerging hot spots: Mann-Kendall against scipy, a hand-built series for each of the 17
categories, and Gi* per step against the single-step function."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.multitest import multipletests

from hspwork.errors import HspworkError, HspworkWarning, SchemaError
from hspwork.targeting._weights import neighbours
from hspwork.targeting.emerging import (
    CATEGORIES,
    _mann_kendall_rows,
    classify,
    emerging_hotspots,
    mann_kendall,
    mann_kendall_min_p,
    mann_kendall_min_periods,
)
from hspwork.targeting.gistar import gistar


def test_mann_kendall_against_kendalltau():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, 15).astype(float)  # many ties
        t = np.arange(x.size)
        n0 = x.size * (x.size - 1) / 2
        _, counts = np.unique(x, return_counts=True)
        n2 = (counts * (counts - 1) / 2).sum()
        tau = stats.kendalltau(t, x, method="asymptotic")
        s, z, p = mann_kendall(x, continuity=False)
        # S is tau-b's numerator: tau_b = S / sqrt(n0 * (n0 - n2)) (time has no ties)
        assert_allclose(s, tau.statistic * np.sqrt(n0 * (n0 - n2)), atol=1e-9)
        assert_allclose(p, tau.pvalue, rtol=1e-9)
    # hand: 1..5 increasing, S = 10, var = 5*4*15/18, continuity -> z = 9 / sqrt(50/3)
    s, z, p = mann_kendall([1, 2, 3, 4, 5])
    assert s == 10
    assert_allclose(z, 9 / np.sqrt(50 / 3), rtol=1e-12)
    assert_allclose(p, 2 * stats.norm.sf(9 / np.sqrt(50 / 3)), rtol=1e-12)


def test_vectorised_mann_kendall_matches_scalar():
    rng = np.random.default_rng(1)
    z = np.round(rng.normal(size=(40, 12)), 1)
    zz, pp = _mann_kendall_rows(z)
    ref = np.array([mann_kendall(row)[1:] for row in z])
    assert_allclose(zz, ref[:, 0], atol=1e-12)
    assert_allclose(pp, ref[:, 1], atol=1e-12)


HOT_SERIES = {
    "new": [0] * 9 + [3],
    "consecutive": [0] * 7 + [2, 2, 2],
    "intensifying": [2.0 + 0.2 * i for i in range(10)],
    "persistent": [2, 3] * 5,
    "diminishing": [3.8 - 0.2 * i for i in range(10)],
    "sporadic": [2, 0, 0, 2, 0, 2, 0, 0, 0, 2],
    "oscillating": [-2, 0, 2, 0, -2, 0, 0, 2, 0, 2],
    "historical": [2] * 9 + [0],
}


def test_every_category_from_hand_built_z_series():
    names, rows = [], []
    for kind, series in HOT_SERIES.items():
        names.append(f"{kind} hot spot")
        rows.append(series)
        names.append(f"{kind} cold spot")  # the mirror image: every z negated
        rows.append([-v for v in series])
    names += ["no pattern", "no pattern"]
    rows += [[0] * 10, [2] + [0] * 9]  # once hot long ago, never again
    z = np.array(rows, dtype=float)
    sig = np.where(np.abs(z) > 1.645, np.sign(z), 0).astype(int)
    trend_z, trend_p = _mann_kendall_rows(z)
    got = classify(sig, trend_z, trend_p, 0.05)
    assert got.tolist() == names
    assert set(names) == set(CATEGORIES)


def lattice_cube(nrows, ncols, steps, seed=0):
    x0 = np.tile(np.arange(ncols) * 100.0, nrows)
    y0 = np.repeat(np.arange(nrows) * 100.0, ncols)
    rng = np.random.default_rng(seed)
    data = {f"2024-{t + 1:02d}-01": rng.poisson(1.0, nrows * ncols) for t in range(steps)}
    cube = gpd.GeoDataFrame(data, geometry=shapely.box(x0, y0, x0 + 100, y0 + 100), crs=27700)
    cube.insert(0, "unit_id", np.arange(nrows * ncols))
    cube.attrs["periods"] = list(data)
    cube.attrs["period"] = "month"
    return cube


def test_cube_gistar_equals_single_step_and_result_shape():
    cube = lattice_cube(8, 8, 6, seed=3)
    # a unit flaring up in the final two months next to a quiet background
    for p in cube.attrs["periods"][-2:]:
        cube.loc[27, p] = 30
    res = emerging_hotspots(cube, fdr=None, time_step=0, global_window="individual time step")
    for p in cube.attrs["periods"]:
        one = gistar(cube, p, fdr=None, permutations=0)
        assert_allclose(res.z[p], one["gi_z"], atol=1e-12)
        assert (res.bins[p] == one["gi_bin"]).all()
    assert res.units.loc[27, "category"] in {"consecutive hot spot", "new hot spot"}
    assert res.units.loc[27, "n_hot"] >= 2
    table = res.table()
    assert table["category"].tolist() == list(CATEGORIES)
    assert table["units"].sum() == 64
    assert res.units.attrs["emerging"]["period"] == "month"
    text = res.summary()
    assert isinstance(text, str) and text.startswith("64 units over 6 months")
    assert "90% confidence (no correction" in text
    fig = res.plot([27])
    assert fig.axes[0].get_ylabel() == "Gi* z"
    import matplotlib.pyplot as plt

    plt.close(fig)


def strip_cube(values):
    """A rook strip A-B-C..., one row per unit, one column per period."""
    values = np.asarray(values, dtype=float)
    n, steps = values.shape
    names = [f"2024-{t + 1:02d}-01" for t in range(steps)]
    cube = gpd.GeoDataFrame(
        dict(zip(names, values.T)),
        geometry=[shapely.box(100 * i, 0, 100 * i + 100, 100) for i in range(n)],
        crs=27700,
    )
    cube.insert(0, "unit_id", np.arange(n))
    cube.attrs["periods"] = names
    return cube


def test_neighbourhood_time_step_by_hand():
    # A = 1, 0, 0; B = 0, 2, 0; C = 0, 0, 3 on a strip A-B-C.
    cube = strip_cube([[1, 0, 0], [0, 2, 0], [0, 0, 3]])
    res = emerging_hotspots(cube, neighbours="rook", fdr=None)  # Esri's defaults: k=1, cube
    z = res.z.to_numpy()
    # Entire cube: N = 9, mean 2/3, variance 14/9 - 4/9 = 10/9, s = sqrt(10)/3.
    # C, last period: bins B, C in periods 2 and 3 -> sum 5, c = 4:
    #   (5 - 8/3) / (s sqrt((36 - 16) / 8)) = (7/3) / (5/3) = 1.4
    # A, first period (no earlier period): bins A, B -> sum 1, c = 2:
    #   (1 - 4/3) / (s sqrt((18 - 4) / 8)) = -2 / sqrt(70)
    # B, second period: A, B, C in periods 1 and 2 -> sum 3, c = 6:
    #   (3 - 4) / (s sqrt((54 - 36) / 8)) = -2 / sqrt(10)
    assert_allclose(z[2, 2], 1.4, atol=1e-12)
    assert_allclose(z[0, 0], -2 / np.sqrt(70), atol=1e-12)
    assert_allclose(z[1, 1], -2 / np.sqrt(10), atol=1e-12)
    # Compared with the periods of the neighbourhood only (periods 2 and 3 for C's last bin):
    # N = 6, mean 5/6, variance 13/6 - 25/36 = 53/36; c = 4, sum 5:
    #   (5 - 10/3) / (sqrt(53)/6 * sqrt((24 - 16) / 5)) = 10 / sqrt(84.8)
    win = emerging_hotspots(
        cube, neighbours="rook", fdr=None, global_window="neighbourhood time step"
    )
    assert_allclose(win.z.to_numpy()[2, 2], 10 / np.sqrt(84.8), atol=1e-12)
    # Without the time step, each period alone: C's last bin is Gi* of [0, 0, 3] = 1/sqrt(2)
    alone = emerging_hotspots(
        cube, neighbours="rook", fdr=None, time_step=0, global_window="individual time step"
    )
    assert_allclose(alone.z.to_numpy()[2, 2], 1 / np.sqrt(2), atol=1e-12)
    assert res.settings["time_step"] == 1 and res.settings["global_window"] == "entire cube"


def _brute_force_space_time_gi(y, w, k, window):
    """Bin by bin, straight from the definition (a slow, independent reference)."""
    n, steps = y.shape
    z = np.full((n, steps), np.nan)
    for t in range(steps):
        first = max(0, t - k)
        if window == "entire cube":
            pop = y.ravel()
        elif window == "individual time step":
            pop = y[:, t]
        else:
            pop = y[:, first : t + 1].ravel()
        big_n, mean, sd = pop.size, pop.mean(), pop.std()
        for i in range(n):
            members = [i, *np.flatnonzero(w[i])]
            bins = [y[j, s] for j in members for s in range(first, t + 1)]
            c = len(bins)
            denom = sd * np.sqrt((big_n * c - c * c) / (big_n - 1))
            z[i, t] = (sum(bins) - mean * c) / denom
    return z


@pytest.mark.parametrize(
    "window", ["entire cube", "neighbourhood time step", "individual time step"]
)
@pytest.mark.parametrize("k", [0, 1, 2])
def test_space_time_gistar_matches_the_definition(k, window):
    cube = lattice_cube(5, 6, 5, seed=k + 11)
    y = cube[cube.attrs["periods"]].to_numpy(float)
    w = neighbours(cube, "queen").toarray()
    ref = _brute_force_space_time_gi(y, w, k, window)
    got = emerging_hotspots(cube, time_step=k, global_window=window, fdr=None).z.to_numpy()
    assert_allclose(got, ref, atol=1e-12)


def test_fdr_decides_which_units_get_a_category():
    # A 7 x 7 cube of Poisson(1) counts over 5 months, the centre unit at 12 in the last two.
    # Reference: Gi* z from the definition, two-sided normal p, Benjamini-Hochberg across the
    # 49 units of each month (statsmodels), significant at 0.10 in the direction of z. Every
    # category but "no pattern" needs a significant last step or >= 90% of steps significant,
    # so those are the units that must be categorised. On this cube the raw p < 0.10 rule
    # would also label 38, 39, 45 and 46; BH does not.
    cube = lattice_cube(7, 7, 5, seed=10)
    periods = cube.attrs["periods"]
    cube.loc[24, periods[-2:]] = 12
    y = cube[periods].to_numpy(float)
    w = neighbours(cube, "queen").toarray()
    z = _brute_force_space_time_gi(y, w, 1, "entire cube")
    p = 2 * stats.norm.sf(np.abs(z))
    p_bh = np.column_stack([multipletests(p[:, t], method="fdr_bh")[1] for t in range(5)])
    sig = np.sign(z) * (p_bh < 0.10)
    raw = np.sign(z) * (p < 0.10)

    def labelled(s):
        return set(np.flatnonzero((s[:, -1] != 0) | ((s != 0).mean(axis=1) >= 0.9)).tolist())

    block = {16, 17, 18, 23, 24, 25, 30, 31, 32}  # the centre and its 8 neighbours
    assert labelled(sig) == block
    assert labelled(raw) == block | {38, 39, 45, 46}  # the correction matters here
    res = emerging_hotspots(cube)  # fdr=0.10 by default
    assert res.settings["fdr"] == 0.10
    got = res.units["category"]
    assert set(np.flatnonzero(got != "no pattern").tolist()) == block
    assert_allclose(res.units["n_hot"], (sig > 0).sum(axis=1))
    assert_allclose(res.units["n_cold"], (sig < 0).sum(axis=1))
    off = emerging_hotspots(cube, fdr=None)  # raw p below alpha = 0.10
    assert set(np.flatnonzero(off.units["category"] != "no pattern").tolist()) == labelled(raw)
    assert_allclose(off.units["n_hot"], (raw > 0).sum(axis=1))


def test_gaps_in_the_data_are_named_and_never_labelled_from():
    # Monthly cube over three Julys: only the Julys have data, the 22 months between are gaps.
    # A 3 x 3 block around unit 24 (the centre of 7 x 7) is busy in every month with data.
    x0 = np.tile(np.arange(7) * 100.0, 7)
    y0 = np.repeat(np.arange(7) * 100.0, 7)
    months = pd.period_range("2022-07", "2024-07", freq="M").strftime("%Y-%m-01").tolist()
    rng = np.random.default_rng(4)
    data = {m: np.zeros(49) for m in months}
    block = [16, 17, 18, 23, 24, 25, 30, 31, 32]
    for m in ("2022-07-01", "2023-07-01", "2024-07-01"):
        data[m] = rng.poisson(1.0, 49).astype(float)
        data[m][block] = 10
    cube = gpd.GeoDataFrame(data, geometry=shapely.box(x0, y0, x0 + 100, y0 + 100), crs=27700)
    cube.attrs["periods"] = months
    with pytest.warns(HspworkWarning, match=r"22 of 25 periods have no record .*2022-08-01"):
        res = emerging_hotspots(cube, fdr=None, time_step=0, trend_alpha=0.05)
    assert res.settings["periods"] == ["2022-07-01", "2023-07-01", "2024-07-01"]
    assert len(res.settings["gaps"]) == 22
    assert list(res.z.columns) == res.settings["periods"]
    # hot in every period with data: persistent, not "sporadic" from the gaps
    assert res.units.loc[24, "category"] == "persistent hot spot"
    assert any("left out, so no place is labelled from them" in n for n in res.notes)
    # the same as a cube that never had the gap columns
    plain = cube[["2022-07-01", "2023-07-01", "2024-07-01", "geometry"]].copy()
    plain.attrs["periods"] = res.settings["periods"]
    with pytest.warns(HspworkWarning, match="no Mann-Kendall trend"):
        ref = emerging_hotspots(plain, fdr=None, time_step=0)
    assert_allclose(res.z.to_numpy(), ref.z.to_numpy(), atol=1e-12)
    assert (res.units["category"] == ref.units["category"]).all()
    # refusing instead
    with pytest.raises(HspworkError, match=r"22 of 25 periods have no record.*gaps='drop'"):
        emerging_hotspots(cube, gaps="raise")
    # the gaps count_by_period noted are used even if a column happens to hold data
    noted = plain.copy()
    noted.attrs["empty_periods"] = ["2023-07-01"]
    with pytest.raises(HspworkError, match="at least 3 periods with data, got 2"):
        emerging_hotspots(noted)


def test_too_few_periods_for_a_trend_says_so_and_gives_the_minimum():
    assert mann_kendall_min_periods(0.05) == 5
    # by hand: n = 4, S = 6, var = 4*3*13/18 = 26/3, z = 5 / sqrt(26/3), p = 0.0894
    assert_allclose(mann_kendall_min_p(4), 2 * stats.norm.sf(5 / np.sqrt(26 / 3)), rtol=1e-12)
    cube = lattice_cube(4, 4, 4, seed=2)
    with pytest.warns(HspworkWarning) as caught:
        res = emerging_hotspots(cube)
    text = str(caught[0].message)
    assert "with 4 periods no Mann-Kendall trend can reach trend_alpha=0.05" in text
    assert "smallest p-value 4 periods allow is 0.09" in text and "at least 5 are needed" in text
    assert res.notes == [text] and res.settings["trend_min_periods"] == 5
    assert "Note: with 4 periods" in res.summary()
    # at trend_alpha = 0.10, 4 periods are enough: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", HspworkWarning)
        emerging_hotspots(cube, trend_alpha=0.10)


def test_fdr_is_a_level_and_the_old_bool_still_works():
    cube = lattice_cube(6, 6, 6, seed=8)
    new = emerging_hotspots(cube, fdr=0.10)
    with pytest.warns(FutureWarning, match="write fdr=0.1"):
        old = emerging_hotspots(cube, fdr=True)
    assert_allclose(old.z.to_numpy(), new.z.to_numpy())
    assert (old.units["category"] == new.units["category"]).all()
    with pytest.warns(FutureWarning, match="write fdr=None"):
        off = emerging_hotspots(cube, fdr=False)
    assert off.settings["fdr"] is None
    with pytest.raises(HspworkError, match="fdr must be between 0 and 1"):
        emerging_hotspots(cube, fdr=5)
    import json

    json.dumps(new.units.attrs)  # plain values only


def test_plot_legend_names_places_not_cell_ids():
    import matplotlib.pyplot as plt

    cube = lattice_cube(8, 8, 6, seed=3)
    for p in cube.attrs["periods"]:
        cube.loc[[27, 28], p] = 25
    res = emerging_hotspots(cube)
    places = pd.DataFrame({"place_id": [3, 7], "unit_ids": [[27, 28], [5]]})
    fig = res.plot(places=places)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0].startswith("place 3: ") and "hot in" in texts[0]
    assert texts[1].startswith("place 7: ")
    plt.close(fig)
    fig = res.plot()  # no places: numbered hot spots, never raw ids
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts and all(t.startswith("hot spot ") for t in texts)
    plt.close(fig)


def test_errors():
    cube = lattice_cube(3, 3, 2)
    with pytest.raises(HspworkError, match="at least 3 periods with data, got 2"):
        emerging_hotspots(cube)
    with pytest.raises(SchemaError, match=r"period columns not in cube.*the cube has \['unit_id'"):
        emerging_hotspots(cube, ["2030-01-01"])
    with pytest.raises(HspworkError, match="global_window='cube' is not allowed"):
        emerging_hotspots(lattice_cube(3, 3, 5), global_window="cube")
    with pytest.raises(HspworkError, match="time_step must be 0 or a positive"):
        emerging_hotspots(lattice_cube(3, 3, 5), time_step=-1)
    cube.attrs.clear()
    with pytest.raises(SchemaError, match="give periods="):
        emerging_hotspots(cube)


def test_periods_reaching_outside_the_study_window_are_left_out():
    from hspwork.units import count_by_period

    # quarters from 1 Sep 2023 to 1 Sep 2024: the July-September quarters are partial
    # (Jul 2023: 30 of 92 days inside; Jul 2024: 62 of 92 days inside)
    rng = np.random.default_rng(2)
    x0 = np.tile(np.arange(6) * 100.0, 6)
    y0 = np.repeat(np.arange(6) * 100.0, 6)
    u = gpd.GeoDataFrame(
        {"unit_id": np.arange(36)}, geometry=shapely.box(x0, y0, x0 + 100, y0 + 100), crs=27700
    )
    days = rng.integers(0, 366, 4000)
    t = pd.Timestamp("2023-09-01", tz="Europe/London") + pd.to_timedelta(days, unit="D")
    pts = shapely.points(rng.uniform(0, 600, (4000, 2)))
    crimes = gpd.GeoDataFrame({"occurred_from": t.tz_convert("UTC")}, geometry=pts, crs=27700)
    start = pd.Timestamp("2023-09-01", tz="Europe/London")
    end = pd.Timestamp("2024-09-01", tz="Europe/London")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = count_by_period(u, crimes, "quarter", tz="Europe/London", start=start, end=end)
    assert cube.attrs["partial_periods"] == {"2023-07-01": 0.3261, "2024-07-01": 0.6739}
    with pytest.warns(HspworkWarning, match=r"2 of 5 periods reach outside the study window"):
        res = emerging_hotspots(cube, trend_alpha=0.10)
    assert res.settings["periods"] == ["2023-10-01", "2024-01-01", "2024-04-01"]
    assert res.settings["partial"] == ["2023-07-01", "2024-07-01"]
    with pytest.raises(HspworkError, match="on period boundaries"):
        emerging_hotspots(cube, gaps="raise")
