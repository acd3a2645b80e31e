"""Assignment, design record, balance, dispersion and power against hand values and statsmodels."""

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.rates import power_poisson_ratio_2indep

from hspwork.errors import HspworkError, SchemaError
from hspwork.evaluation.design import (
    assign,
    balance_table,
    estimate_dispersion,
    minimum_detectable_effect,
    power_simulation,
)
from hspwork.report import report_of


@pytest.fixture
def spots():
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "unit_id": [f"S{i:03d}" for i in range(110)],
            "crimes": rng.poisson(20, 110),
            "area_m2": rng.uniform(5e3, 2e4, 110),
            "beat": np.repeat(list("ABCDE"), 22),
        }
    )


def test_simple_assignment_is_reproducible_and_complete(spots):
    a = assign(spots, method="simple", seed=2024)
    b = assign(spots, method="simple", seed=2024)
    c = assign(spots, method="simple", seed=2025)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table["treated"].equals(c.table["treated"])
    assert a.record.n_treated == 55 and a.record.n_control == 55  # Minneapolis: 55 of 110
    assert set(a.table["role"]) == {"treatment", "control"}
    assert a.table["unit_id"].tolist() == spots["unit_id"].tolist()


def test_block_assignment_on_existing_blocks(spots):
    a = assign(spots, method="block", block="beat", seed=1)
    per = a.table.groupby("block")["treated"].agg(["sum", "size"])
    assert (per["sum"] == 11).all() and (per["size"] == 22).all()
    assert a.record.n_blocks == 5 and a.record.block_column == "block"


def test_block_assignment_formed_on_volume_with_odd_blocks():
    f = pd.DataFrame({"unit_id": range(9), "crimes": [5, 50, 7, 40, 9, 30, 11, 20, 13]})
    a = assign(f, method="block", by="crimes", n_blocks=3, seed=7)
    # ranks 0-2 -> block 0 (5, 7, 9), 3-5 -> block 1 (11, 13, 20), 6-8 -> block 2 (30, 40, 50)
    blocks = dict(zip(f["crimes"], a.table["block"]))
    assert [blocks[v] for v in (5, 7, 9)] == [0, 0, 0]
    assert [blocks[v] for v in (11, 13, 20)] == [1, 1, 1]
    assert [blocks[v] for v in (30, 40, 50)] == [2, 2, 2]
    # 3 places at share 0.5: 1 or 2 treated in each block
    assert a.table.groupby("block")["treated"].sum().between(1, 2).all()
    # over many seeds each block treats 1.5 on average (floor 1, plus one half the time)
    sums = [
        assign(f, method="block", by="crimes", n_blocks=3, seed=s).table["treated"].sum()
        for s in range(400)
    ]
    assert_allclose(np.mean(sums), 4.5, atol=0.15)


def test_matched_pairs_on_volume_leave_odd_one_out():
    f = pd.DataFrame({"unit_id": list("abcdefg"), "crimes": [1, 9, 3, 7, 5, 11, 13]})
    a = assign(f, method="pairs", by="crimes", seed=5)
    t = a.table.set_index("unit_id")
    # pairs by rank: (1, 3), (5, 7), (9, 11); 13 is the odd one out
    assert t.loc["g", "role"] == "unassigned" and np.isnan(t.loc["g", "treated"])
    for x, y in [("a", "c"), ("e", "d"), ("b", "f")]:
        assert t.loc[x, "block"] == t.loc[y, "block"]
        assert t.loc[x, "treated"] + t.loc[y, "treated"] == 1
    assert a.record.n_unassigned == 1 and a.record.n_treated == 3


def test_design_record_exports_and_cites(spots, tmp_path):
    a = assign(spots, method="pairs", by="crimes", seed=99)
    path = tmp_path / "design.json"
    a.record.to_json(path)
    back = json.loads(path.read_text())
    assert back["seed"] == 99 and back["method"] == "pairs" and back["n_blocks"] == 55
    text = a.summary()
    assert "55 of 110 places" in text and "seed 99" in text and "matched pairs" in text
    import hashlib

    expect = hashlib.sha256("\n".join(sorted(spots["unit_id"])).encode()).hexdigest()
    assert back["ids_sha256"] == expect


def test_assign_errors(spots):
    with pytest.raises(HspworkError, match=r"method must be one of .*received 'cluster'"):
        assign(spots, method="cluster", seed=1)
    with pytest.raises(HspworkError, match="a pairs design needs block="):
        assign(spots, method="pairs", seed=1)
    with pytest.raises(SchemaError, match="candidates lack column 'volume'"):
        assign(spots, method="block", by="volume", seed=1)
    with pytest.raises(HspworkError, match="pair 0 has 22"):
        assign(spots, method="pairs", block="beat", seed=1)
    dup = pd.concat([spots, spots.iloc[:1]])
    with pytest.raises(SchemaError, match=r"must be unique.*\['S000'\]"):
        assign(dup, seed=1)


def test_balance_table_by_hand():
    f = pd.DataFrame(
        {
            "treated": [1, 1, 1, 0, 0, 0, np.nan],
            "crimes": [10, 12, 17, 9, 11, 10, 99],
            "area_m2": [100, 200, 300, 100, 200, 300, 5],
        }
    )
    b = balance_table(f, columns=["crimes", "area_m2"])
    mt, mc = 13.0, 10.0
    st, sc = np.std([10, 12, 17], ddof=1), np.std([9, 11, 10], ddof=1)  # sqrt(13), 1
    assert_allclose(b.loc["crimes", "std_diff"], (mt - mc) / np.sqrt((st**2 + sc**2) / 2))
    assert_allclose(b.loc["crimes", "variance_ratio"], 13.0)
    assert b.loc["crimes", "imbalanced"]
    assert b.loc["area_m2", "std_diff"] == 0 and not b.loc["area_m2", "imbalanced"]
    assert report_of(b).dropped == {"not assigned": 1}


def test_estimate_dispersion_by_hand():
    x = [3, 7, 0, 10, 5]
    assert_allclose(estimate_dispersion(x), np.var(x, ddof=1) / np.mean(x))
    with pytest.raises(HspworkError, match="received 1 values"):
        estimate_dispersion([4])


@pytest.mark.parametrize(("dispersion", "published"), [(1, 0.95), (3, 0.61)])
def test_power_matches_published_figures_and_statsmodels(dispersion, published):
    # REFERENCES: 50 vs 50 spots, 10 crimes a year, 20% cut -> ~0.95 (D=1), ~0.61 (D=3), the
    # one-sided test of power_poisson_ratio_2indep
    r = power_simulation(
        50,
        rate_per_year=10,
        irr=0.8,
        dispersion=dispersion,
        alternative="smaller",
        replicates=8000,
        seed=11,
    )
    sm_power = power_poisson_ratio_2indep(
        rate1=8,
        rate2=10,
        nobs1=50,
        nobs_ratio=1,
        exposure=1,
        value=1,
        dispersion=dispersion,
        alternative="smaller",
    ).power
    assert_allclose(r.analytic, sm_power, rtol=1e-12)
    assert_allclose(sm_power, published, atol=0.01)
    # simulation within 4 Monte Carlo SEs (about 0.01-0.02) of the analytic value
    assert abs(r.power - sm_power) < 4 * r.mc_se + 0.005


def test_power_two_sided_unequal_groups_and_exposure():
    r = power_simulation(
        30, 60, rate_per_year=6, irr=0.75, years=2, dispersion=2, replicates=8000, seed=4
    )
    sm_power = power_poisson_ratio_2indep(
        rate1=4.5,
        rate2=6,
        nobs1=30,
        nobs_ratio=2,
        exposure=2,
        value=1,
        dispersion=2,
        alternative="two-sided",
    ).power
    assert abs(r.power - sm_power) < 4 * r.mc_se + 0.005


def test_power_null_rejects_at_alpha():
    r = power_simulation(40, rate_per_year=8, irr=1.0, dispersion=2.5, replicates=10000, seed=2)
    assert abs(r.power - 0.05) < 0.01
    r2 = power_simulation(
        40, rate_per_year=8, irr=1.0, dispersion=2.5, design="prepost", replicates=10000, seed=2
    )
    assert abs(r2.power - 0.05) < 0.01


def test_prepost_power_is_lower_for_homogeneous_places():
    # with no differences between places, the before period only adds noise (var 2x)
    post = power_simulation(50, rate_per_year=10, irr=0.8, replicates=4000, seed=3)
    pre = power_simulation(50, rate_per_year=10, irr=0.8, design="prepost", replicates=4000, seed=3)
    assert pre.power < post.power
    # analytic check for prepost: Var(log RIRR) ~ (1/B_t + 1/A_t + 1/B_c + 1/A_c), normal test
    se = np.sqrt(1 / 500 + 1 / 400 + 1 / 500 + 1 / 500)
    from scipy import stats

    expect = stats.norm.sf(1.959964 - np.log(1 / 0.8) / se) + stats.norm.cdf(
        -1.959964 - np.log(1 / 0.8) / se
    )
    assert abs(pre.power - expect) < 4 * pre.mc_se + 0.01


def test_mde_agrees_with_analytic_inversion():
    m = minimum_detectable_effect(50, rate_per_year=10, dispersion=3, replicates=3000, seed=1)
    assert_allclose(m["irr"], m["analytic_irr"], atol=0.015)
    assert_allclose(
        power_poisson_ratio_2indep(
            rate1=10 * m["analytic_irr"],
            rate2=10,
            nobs1=50,
            value=1,
            dispersion=3,
            alternative="two-sided",
        ).power,
        0.8,
        atol=1e-6,
    )


def test_power_errors():
    with pytest.raises(HspworkError, match=r"dispersion must be at least 1; received 0\.5"):
        power_simulation(10, rate_per_year=5, irr=0.8, dispersion=0.5)
    with pytest.raises(HspworkError, match="received 1 treated"):
        power_simulation(1, rate_per_year=5, irr=0.8)


def test_dispersion_rescaled_to_trial_period_matches_negative_binomial():
    # NB with alpha 0.2 over two years at mean 40 a place: D = 1 + 0.2*40 = 9; a quarter of
    # that period has mean 10 and D = 1 + 0.2*10 = 3
    rng = np.random.default_rng(0)
    lam = rng.gamma(1 / 0.2, 0.2 * 40, 200_000)
    two_years = rng.poisson(lam)
    assert_allclose(estimate_dispersion(two_years), 9.0, rtol=0.03)
    assert_allclose(estimate_dispersion(two_years, period_ratio=0.25), 3.0, rtol=0.03)
    quarter = rng.poisson(rng.gamma(1 / 0.2, 0.2 * 10, 200_000))
    assert_allclose(estimate_dispersion(quarter), 3.0, rtol=0.03)


def test_assignment_applies_roles_to_fences():
    import geopandas as gpd
    from shapely.geometry import box

    from hspwork.fences import make_fences

    places = gpd.GeoDataFrame(
        {"fence_id": ["a", "b", "c", "d", "e"], "crimes": [10, 9, 5, 4, 1]},
        geometry=[box(i * 1000, 0, i * 1000 + 100, 100) for i in range(5)],
        crs=27700,
    )
    a = assign(places, method="pairs", by="crimes", id_column="fence_id", seed=8)
    withroles = a.apply(places)
    t = a.table.set_index("fence_id")
    assert withroles.set_index("fence_id")["role"].to_dict() == {
        k: ("other" if r == "unassigned" else r) for k, r in t["role"].items()
    }
    assert (withroles["role"] == "other").sum() == 1  # the odd one out
    f = make_fences(withroles, id_column="fence_id", role="role", valid_from="2025-09-01T00:00Z")
    assert sorted(f["role"].unique()) == ["control", "other", "treatment"]
    with pytest.raises(SchemaError, match="places lack the id column 'fence_id'"):
        a.apply(places.rename(columns={"fence_id": "id"}))


def test_balance_table_constant_groups_with_different_means_are_imbalanced():
    # every treated place is 150 m across and every control 100 m: no spread within either
    # group, yet the groups differ completely, which must be flagged (not reported as 0)
    f = pd.DataFrame({"treated": [1, 1, 0, 0], "width_m": [150, 150, 100, 100]})
    b = balance_table(f, columns=["width_m"])
    assert b.loc["width_m", "std_diff"] == np.inf and b.loc["width_m", "imbalanced"]
    f["width_m"] = [100, 100, 150, 150]
    assert balance_table(f, columns=["width_m"]).loc["width_m", "std_diff"] == -np.inf
    # equal constants: no difference at all
    f["width_m"] = 120
    b = balance_table(f, columns=["width_m"])
    assert b.loc["width_m", "std_diff"] == 0 and not b.loc["width_m", "imbalanced"]


def test_power_arguments_outside_their_range_are_named():
    with pytest.raises(HspworkError, match=r"alpha must be between 0 and 1.*received 5"):
        power_simulation(10, rate_per_year=1, irr=0.8, alpha=5)
    with pytest.raises(HspworkError, match=r"replicates must be at least 1; received 0"):
        power_simulation(10, rate_per_year=1, irr=0.8, replicates=0)
