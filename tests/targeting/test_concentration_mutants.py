"""Concentration at the edges mutation testing found unpinned: every figure worked by hand.

The ten places 10, 5, 3, 1, 1 and five zeros (20 crimes) are used throughout:

* Gini: sorted ascending the weights ``2 i - N - 1`` are -9, -7, ..., 9, so
  ``G = (1*1 + 3*1 + 5*3 + 7*5 + 9*10) / (10 * 20) = 144 / 200 = 0.72``;
* hottest first the cumulative shares are 0.50, 0.75, 0.90, 0.95, 1.00 and then 1.00.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
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

TEN = np.array([10, 5, 3, 1, 1, 0, 0, 0, 0, 0], dtype=float)


def test_gini_and_generalised_gini_by_hand():
    assert_allclose(gini(TEN), 0.72, rtol=1e-12)
    # More crimes than places: max(1, 10 / 20) = 1 leaves the Gini as it is.
    assert_allclose(generalised_gini(TEN), 0.72, rtol=1e-12)
    # Five crimes over ten places: 2 * (0.72 - 1) + 1 = 0.44.
    assert_allclose(generalised_gini(TEN, n_events=5), 0.44, rtol=1e-12)
    # Exactly as many crimes as places: the factor is 1, not 10 / 10 + anything.
    assert_allclose(generalised_gini(TEN, n_events=10), 0.72, rtol=1e-12)
    for bad in (0, -1):
        with pytest.raises(HspworkError, match="n_events must be positive"):
            generalised_gini(TEN, n_events=bad)


def test_shares_at_every_published_top_share():
    # ceil(p / 100 * 10) places: 1% -> 1, 5% -> 1, 10% -> 1, 20% -> 2, 100% -> 10.
    expected = {1: 0.5, 5: 0.5, 10: 0.5, 20: 0.75, 40: 0.95, 100: 1.0}
    for pct, share in expected.items():
        assert_allclose(share_in_top(TEN, pct), share, rtol=1e-12, err_msg=f"top {pct}%")
    # A tiny share still counts the hottest place.
    assert_allclose(share_in_top(TEN, 0.001), 0.5, rtol=1e-12)
    for bad in (0, -5, 100.5):
        with pytest.raises(HspworkError, match=r"pct_places must be in \(0, 100\]"):
            share_in_top(TEN, bad)


def test_places_for_share_at_its_edges():
    # cum 0.50, 0.75, 0.90, 0.95, 1.00: the first place reaching each share.
    expected = {25: 0.1, 50: 0.1, 60: 0.2, 75: 0.2, 90: 0.3, 96: 0.5, 100: 0.5}
    for pct, share in expected.items():
        assert_allclose(places_for_share(TEN, pct), share, rtol=1e-12, err_msg=f"{pct}%")
    for bad in (0, -1, 101):
        with pytest.raises(HspworkError, match=r"pct_crime must be in \(0, 100\]"):
            places_for_share(TEN, bad)


def test_lorenz_curve_by_hand():
    curve = lorenz(TEN)
    assert list(curve.columns) == ["share_places", "share_crime"]
    assert_allclose(curve["share_places"], np.arange(11) / 10, rtol=1e-12)
    assert_allclose(curve["share_crime"], [0, 0.5, 0.75, 0.9, 0.95, 1, 1, 1, 1, 1, 1], rtol=1e-12)


def test_bad_values_are_refused_with_counts():
    with pytest.raises(HspworkError, match="no places"):
        gini([])
    with pytest.raises(HspworkError, match=r"got 1 missing or infinite and 0 negative of 3$"):
        gini([1.0, np.nan, 2.0])
    with pytest.raises(HspworkError, match=r"got 1 missing or infinite and 0 negative of 3$"):
        gini([1.0, np.inf, 2.0])
    with pytest.raises(
        HspworkError, match=r"got 0 missing or infinite and 2 negative of 4 \(smallest -2\)"
    ):
        gini([1.0, -2.0, -1.0, 3.0])
    with pytest.raises(HspworkError, match="all places have zero"):
        gini([0.0, 0.0])
    # A single place with a little harm is concentration 0 and is not refused.
    assert gini([0.5]) == 0.0
    # A zero among positives is fine.
    assert_allclose(gini([0.0, 1.0]), 0.5, rtol=1e-12)


def test_table_and_summary_name_every_figure():
    c = concentration(TEN)
    assert c.n_places == 10
    assert c.total == 20.0
    assert c.column == "crimes"
    assert c.table["measure"].tolist() == [
        "share in top 1% of places",
        "share in top 5% of places",
        "share in top 10% of places",
        "share in top 20% of places",
        "places holding 25%",
        "places holding 50%",
    ]
    assert_allclose(c.table["value"], [0.5, 0.5, 0.5, 0.75, 0.1, 0.1], rtol=1e-12)
    assert c.summary().splitlines() == [
        "crimes: 20 over 10 places; Gini 0.720, generalised Gini 0.720.",
        "The top 1% of places hold 50.0%.",
        "The top 5% of places hold 50.0%.",
        "The top 10% of places hold 50.0%.",
        "The top 20% of places hold 75.0%.",
        "25% of crimes falls in 10.0% of places.",
        "50% of crimes falls in 10.0% of places.",
    ]


def test_harm_column_takes_the_number_of_crimes_from_the_crimes_column():
    units = pd.DataFrame({"crimes": [1, 1, 0, 0], "harm": [5.0, 5.0, 0.0, 0.0]})
    # Gini of harm 0, 0, 5, 5: (1*5 + 3*5) / (4 * 10) = 0.5; two crimes on four places:
    # G' = 2 * (0.5 - 1) + 1 = 0.
    c = concentration(units, "harm")
    assert_allclose(c.gini, 0.5, rtol=1e-12)
    assert_allclose(c.gini_generalised, 0.0, atol=1e-12)
    assert c.total == 10.0
    # An explicit count wins: one crime, factor 4: 4 * (0.5 - 1) + 1 = -1.
    assert_allclose(concentration(units, "harm", n_events=1).gini_generalised, -1.0, rtol=1e-12)
    # The crimes column itself: two crimes, G(1, 1, 0, 0) = 0.5, G' = 0 as well.
    assert_allclose(concentration(units, "crimes").gini_generalised, 0.0, atol=1e-12)
    # Without a crimes column, harm's own sum (10 > 4 places) leaves the Gini as it is.
    assert_allclose(concentration(units[["harm"]], "harm").gini_generalised, 0.5, rtol=1e-12)
    with pytest.raises(HspworkError, match=r"units has no column 'crime'; it has \['crimes'"):
        concentration(units, "crime")
    with pytest.raises(TypeError):
        concentration(TEN, "crimes", 5)  # n_events is keyword-only


def test_plot_draws_the_curve_and_the_line_of_equality_in_percent():
    c = concentration(TEN)
    fig = c.plot()
    try:
        assert tuple(fig.get_size_inches()) == (5.0, 5.0)
        ax = fig.axes[0]
        curve, equal = ax.get_lines()
        assert_allclose(curve.get_xdata(), np.arange(0, 101, 10), rtol=1e-12)
        assert_allclose(
            curve.get_ydata(), [0, 50, 75, 90, 95, 100, 100, 100, 100, 100, 100], rtol=1e-12
        )
        assert curve.get_label() == "crimes"
        assert curve.get_linewidth() == 2
        assert_allclose(equal.get_xdata(), [0, 100])
        assert_allclose(equal.get_ydata(), [0, 100])
        assert equal.get_label() == "equal spread"
        assert equal.get_linestyle() == "--"
        assert equal.get_linewidth() == 1
        assert ax.get_xlim() == (0.0, 100.0)
        assert ax.get_ylim() == (0.0, 100.0)
        assert ax.get_xlabel() == "% of places (hottest first)"
        assert ax.get_ylabel() == "% of crimes"
        assert ax.get_title() == "Gini 0.72 (generalised 0.72)"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["crimes", "equal spread"]
    finally:
        plt.close(fig)
    # On a given axes it draws there and returns that axes' figure.
    fig2, ax2 = plt.subplots(figsize=(3, 2))
    try:
        assert c.plot(ax=ax2) is fig2
        assert len(ax2.get_lines()) == 2
        assert tuple(fig2.get_size_inches()) == (3.0, 2.0)
    finally:
        plt.close(fig2)


def test_shares_on_a_thousand_equal_places_count_every_place():
    # 1,000 places with one crime each: the top 100% is all 1,000 places (share 1.0), the top
    # 50% is 500 (0.5); 100% of the crime needs all 1,000 places, 0.5% of it needs 5.
    flat = np.ones(1000)
    assert share_in_top(flat, 100) == 1.0
    assert share_in_top(flat, 50) == 0.5
    assert places_for_share(flat, 100) == 1.0
    assert places_for_share(flat, 0.5) == 0.005


def test_the_summary_object_does_not_print_its_tables():
    # A notebook cell showing the result prints the figures, not 10 rows of Lorenz curve.
    text = repr(concentration(TEN))
    assert "gini=0.72" in text
    assert "lorenz=" not in text and "table=" not in text
