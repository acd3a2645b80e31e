"""choose_design's paths and reasons, and harm_swing's plain-words note, by hand."""

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hspwork.errors import HspworkError, SchemaError
from hspwork.evaluation import assign, choose_design, harm_swing


def places(n=8, blocks=True):
    f = pd.DataFrame(
        {"fence_id": [f"HS{k:02d}" for k in range(n)],
         "role": ["treatment", "control"] * (n // 2)}
    )  # fmt: skip
    if blocks:
        f["block"] = np.arange(n) // 4
    return f


def test_blocks_with_both_roles_read_as_randomised():
    c = choose_design(places())
    assert c.design == "randomised" and "2 randomisation blocks" in c.reason
    assert c.evidence == {"treated_places": 4, "control_places": 4, "blocks": 2}
    json.dumps(c.evidence)  # JSON-native
    # a block holding only treated places is not the mark of a random draw
    p = places()
    p.loc[p.block == 1, "role"] = "treatment"
    assert choose_design(p).design == "matched"


def test_design_record_reads_as_randomised():
    pool = pd.DataFrame({"fence_id": [f"P{k}" for k in range(10)], "crimes": range(10)})
    a = assign(pool, method="simple", id_column="fence_id", seed=3)
    table = a.table.assign(role=np.where(a.table["treated"] == 1, "treatment", "control"))
    c = choose_design(table, block_column="none", design_record=a.record)
    assert c.design == "randomised" and "seed 3" in c.reason
    assert c.evidence["design_record"]["method"] == "simple"


def test_starts_in_different_weeks_are_a_rollout_and_within_a_week_are_not():
    p = places()
    start = pd.Timestamp("2025-09-01", tz="UTC")
    p["valid_from"] = start
    # one treated place's fence came into force three days later: the same weekly period
    p.loc[2, "valid_from"] = start + pd.Timedelta(days=3)
    assert choose_design(p).design == "randomised"
    p.loc[2, "valid_from"] = start + pd.Timedelta(days=7)  # the next period: a second wave
    p.loc[4, "valid_from"] = start + pd.Timedelta(days=29)  # a third
    c = choose_design(p)
    assert c.design == "staggered" and c.evidence["start_periods"] == 3
    assert "3 waves (2, 1, 1 places) between 1 Sep 2025 and 30 Sep 2025" in c.reason
    assert c.starts.set_index("id").loc["HS02", "wave"] == 1
    # a fence redrawn later keeps its first version's date as the start
    later = p.iloc[[0]].assign(valid_from=start + pd.Timedelta(days=60))
    assert choose_design(pd.concat([p, later])).evidence["start_periods"] == 3


def test_no_controls_and_no_record_is_a_chosen_set():
    p = places(blocks=False)
    c = choose_design(p)
    assert c.design == "matched" and "regression to the mean" in c.reason
    assert "no record of a random draw" in c.reason
    only_t = p.assign(role="treatment")
    assert "no comparison places" in choose_design(only_t).reason
    assert choose_design(only_t).summary().startswith("Design found: a chosen set")


def test_choose_design_errors():
    with pytest.raises(HspworkError, match="no place has role 'treatment'"):
        choose_design(places().assign(role="control"))
    with pytest.raises(SchemaError, match=r"lack columns \['role'\]"):
        choose_design(places().drop(columns="role"))
    with pytest.raises(SchemaError, match="lack the start column 'begun'"):
        choose_design(places(), start_column="begun")


def test_harm_swing_by_hand():
    crimes = pd.DataFrame(
        {"offence": ["Shoplifting"] * 90 + ["Violence with injury"] * 6 + ["Robbery"] * 3
         + ["Rape"], "harm": [1.0] * 90 + [365.0] * 6 + [365.0] * 3 + [2555.0]}
    )  # fmt: skip
    s = harm_swing(crimes)
    total = 90 + 9 * 365 + 2555  # 5,930 days
    assert_allclose(s.harm_days, total)
    t = s.table.set_index("offence")
    assert t.index[0] == "Rape" and t.loc["Rape", "grave"]
    # rape alone is 43% of harm: the next heaviest kinds join until half is reached
    assert_allclose(t.loc["Rape", "share_of_harm"], 2555 / total)
    assert t.loc["Violence with injury", "grave"] and not t.loc["Shoplifting", "grave"]
    assert s.grave_crimes == 7 and not t.loc["Robbery", "grave"]  # equal weight, less harm
    assert_allclose(s.grave_share_of_crimes, 0.07)
    assert_allclose(s.one_offence_share, 2555 / total)
    text = s.summary()
    assert "rape: 1 (2,555 days each)" in text and "5,930 harm days" in text
    assert f"by {2555 / total:.1%}" in text and "by 1.00%" in text


def test_harm_swing_counts_rows_without_a_weight():
    crimes = pd.DataFrame({"offence": ["Robbery", "Drugs", None], "harm": [365.0, None, 2.0]})
    s = harm_swing(crimes)
    assert s.load_report.dropped == {"no harm weight": 1, "no offence": 1}
    with pytest.raises(HspworkError, match="no harm to describe"):
        harm_swing(pd.DataFrame({"offence": ["Anti-social behaviour"], "harm": [0.0]}))
    with pytest.raises(SchemaError, match=r"lack columns \['harm'\]"):
        harm_swing(crimes.drop(columns="harm"))
