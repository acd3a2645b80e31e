"""Cost, crimes and harm prevented and benefit-cost ratio worked out by hand."""

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hspwork.errors import HspworkError, SchemaError
from hspwork.evaluation import cost_benefit, officer_hours, unit_costs


def test_shipped_table_has_references_figures_and_marks_checks():
    t = unit_costs().set_index("offence")
    # the three figures given in REFERENCES (Home Office 2018, 2015/16 prices)
    assert t.loc["Violence with injury", "unit_cost_gbp"] == 14050
    assert t.loc["Robbery", "unit_cost_gbp"] == 11320
    assert t.loc["Criminal damage", "unit_cost_gbp"] == 1350
    assert set(t.loc[t["from_references"] == "yes"].index) == {
        "Violence with injury",
        "Robbery",
        "Criminal damage",
    }
    # every other figure is marked as needing a check, and every row cites its source
    assert (t.loc[t["from_references"] == "no", "needs_check"] == "yes").all()
    assert t["source"].str.contains("Heeks").all()
    assert (t["price_year"] == "2015/16").all()


def test_officer_hours_by_hand():
    v = pd.DataFrame({"officer": ["a", "b", "a"], "minutes": [15.0, 30.0, 45.0]})
    assert officer_hours(v) == 1.5
    with pytest.raises(SchemaError, match="visits lack column 'minutes'"):
        officer_hours(v.rename(columns={"minutes": "mins"}))


def test_cost_benefit_by_hand_with_interval_and_uncosted():
    obs = pd.Series({"Violence with injury": 30, "Robbery": 10, "Drugs": 12})
    r = cost_benefit(
        obs,
        irr=0.75,
        irr_ci=(0.6, 0.9),
        officer_hours=500,
        hourly_cost_gbp=45.0,
        other_costs_gbp=2500.0,
        harm=pd.Series({"Violence with injury": 365, "Robbery": 365, "Drugs": 2}),
    )
    # prevented = obs * (1/irr - 1): 1/0.75 - 1 = 1/3
    assert_allclose(r.crimes_prevented[0], 52 / 3)
    assert_allclose(r.crimes_prevented[1], 52 * (1 / 0.9 - 1))  # low end from the IRR's top
    assert_allclose(r.crimes_prevented[2], 52 * (1 / 0.6 - 1))
    cost = 500 * 45 + 2500
    assert r.cost_gbp == cost
    assert_allclose(r.cost_per_crime_prevented, cost / (52 / 3))
    harm = (30 * 365 + 10 * 365 + 12 * 2) / 3
    assert_allclose(r.harm_days_prevented, harm)
    assert_allclose(r.harm_days_per_officer_hour, harm / 500)
    benefit = (30 * 14050 + 10 * 11320) / 3  # drugs not costed
    assert_allclose(r.benefit_gbp[0], benefit)
    assert_allclose(r.benefit_cost_ratio[0], benefit / cost)
    assert_allclose(r.benefit_gbp[2], (30 * 14050 + 10 * 11320) * (1 / 0.6 - 1))
    assert r.uncosted == ["Drugs"] and "Not costed: Drugs" in r.summary()


def test_cost_benefit_uses_shipped_harm_table():
    r = cost_benefit(pd.Series({"Robbery": 8}), irr=0.8, officer_hours=10, hourly_cost_gbp=40)
    assert_allclose(r.harm_days_prevented, 2 * 365)  # Cambridge: robbery 365 days


def test_cost_benefit_errors():
    obs = pd.Series({"Robbery": 8})
    with pytest.raises(HspworkError, match=r"irr_ci must bracket irr; received \(0.9, 1.1\)"):
        cost_benefit(obs, irr=0.8, irr_ci=(0.9, 1.1), officer_hours=10, hourly_cost_gbp=40)
    with pytest.raises(HspworkError, match="irr must be positive; received 0"):
        cost_benefit(obs, irr=0, officer_hours=10, hourly_cost_gbp=40)
    with pytest.raises(SchemaError, match=r"harm has no weight for offences \['Robbery'\]"):
        cost_benefit(
            obs, irr=0.8, officer_hours=10, hourly_cost_gbp=40, harm=pd.Series({"Drugs": 2})
        )


def test_cost_benefit_table_has_one_row_per_offence():
    obs = pd.Series({"Robbery": 8, "Drugs": 4})
    r = cost_benefit(obs, irr=0.8, officer_hours=10, hourly_cost_gbp=40)
    assert r.table["offence"].tolist() == ["Robbery", "Drugs"]
    assert_allclose(r.table["prevented"], [2.0, 1.0])
    assert_allclose(r.table["benefit_gbp"].iloc[0], 2 * 11320)
    assert r.table["benefit_gbp"].isna().iloc[1]  # uncosted, not zero
