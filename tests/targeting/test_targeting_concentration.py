"""Concentration measures against hand values and independent formulas."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hspwork.errors import HspworkError
from hspwork.targeting.concentration import (
    concentration,
    generalised_gini,
    gini,
    lorenz,
    places_for_share,
    share_in_top,
)


def gini_mean_difference(x):
    # independent definition: mean absolute difference over all ordered pairs / (2 * mean)
    x = np.asarray(x, float)
    return np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean())


def test_gini_hand_and_mean_difference():
    assert_allclose(gini([0, 0, 0, 10]), 0.75, atol=1e-15)
    assert_allclose(gini([5, 5, 5, 5]), 0.0, atol=1e-15)
    rng = np.random.default_rng(0)
    x = rng.negative_binomial(1, 0.3, 500)
    assert_allclose(gini(x), gini_mean_difference(x), rtol=1e-12)


def test_generalised_gini_bernasco_steenbeek():
    # N = 100 places, n = 10 crimes one per place: G = 0.9, G' = max(1, 10) * (0.9 - 1) + 1 = 0
    assert_allclose(gini([1] * 10 + [0] * 90), 0.9)
    assert_allclose(generalised_gini([1] * 10 + [0] * 90), 0.0, atol=1e-12)
    # all 10 in one place of 100: G = 0.99, G' = 10 * (0.99 - 1) + 1 = 0.9
    assert_allclose(generalised_gini([10] + [0] * 99), 0.9, atol=1e-12)
    # more crimes than places: G' = G
    x = [50, 30, 20, 0]
    assert_allclose(generalised_gini(x), gini(x))
    # harm with an explicit number of crimes
    assert_allclose(generalised_gini([365.0] + [0.0] * 9, n_events=1), 10 * (0.9 - 1) + 1)


def test_top_shares_and_places_for_share():
    x = np.r_[np.full(5, 20.0), np.full(95, 0.0)]  # 5% of places hold all crime
    assert share_in_top(x, 5) == 1.0
    assert share_in_top(x, 1) == 0.2
    assert places_for_share(x, 50) == 0.03  # three of the 20s make 60%
    assert places_for_share(x, 100) == 0.05
    curve = lorenz(x)
    assert curve.iloc[0].tolist() == [0.0, 0.0] and curve.iloc[-1].tolist() == [1.0, 1.0]
    assert np.all(np.diff(curve["share_crime"]) >= 0)


def test_top_share_rounds_the_number_of_places_up():
    # 10 places holding 5, 3, 1, 1 and six zeros (10 crimes): the top 1, 2, 3, 4 places hold
    # 50%, 80%, 90%, 100%. "The top 15%" is 1.5 places, counted as ceil(1.5) = 2: 80%, not the
    # 50% of one place; 25% is ceil(2.5) = 3 places: 90%; 1% is ceil(0.1) = 1 place: 50%.
    # 30% of 10 is 3 places although 0.3 * 10 is 3.0000000000000004 in floating point.
    x = [5, 3, 1, 1, 0, 0, 0, 0, 0, 0]
    assert_allclose(share_in_top(x, 15), 0.8, rtol=1e-15)
    assert_allclose(share_in_top(x, 11), 0.8, rtol=1e-15)
    assert_allclose(share_in_top(x, 25), 0.9, rtol=1e-15)
    assert_allclose(share_in_top(x, 1), 0.5, rtol=1e-15)
    assert_allclose(share_in_top(x, 10), 0.5, rtol=1e-15)
    assert_allclose(share_in_top(x, 30), 0.9, rtol=1e-15)
    assert_allclose(share_in_top(x, 100), 1.0, rtol=1e-15)
    # the summary table says the same: top 1%, 5%, 10% are one place each, 20% two
    table = concentration(np.asarray(x)).table.set_index("measure")["value"]
    assert_allclose(
        table[[f"share in top {p:g}% of places" for p in (1, 5, 10, 20)]].to_numpy(),
        [0.5, 0.5, 0.5, 0.8],
        rtol=1e-15,
    )


def test_concentration_result_uses_crimes_for_harm():
    units = pd.DataFrame({"crimes": [2, 0, 0, 0], "harm": [730.0, 0.0, 0.0, 0.0]})
    c = concentration(units, "harm")
    # N = 4 places, n = 2 crimes: factor 2; G = 0.75 -> G' = 2 * (0.75 - 1) + 1 = 0.5
    assert_allclose(c.gini_generalised, 0.5)
    assert "Gini 0.750" in c.summary()
    fig = c.plot()
    assert fig.axes[0].get_xlabel().startswith("% of places")
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_errors():
    with pytest.raises(
        HspworkError,
        match=r"non-negative.*got 0 missing or infinite and 1 "
        r"negative of 2 \(smallest -1\)",
    ):
        gini([1, -1])
    with pytest.raises(HspworkError, match="got 1 missing or infinite and 0 negative of 3"):
        gini([1, np.nan, 2])
    with pytest.raises(HspworkError, match="zero"):
        gini([0, 0])
    with pytest.raises(HspworkError, match="pct_places must be in"):
        share_in_top([1, 2], 0)
    with pytest.raises(HspworkError, match="no column 'harm'"):
        concentration(pd.DataFrame({"crimes": [1]}), "harm")
