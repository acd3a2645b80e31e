"""Crime concentration on street segments in the committed sample, measured independently.

Each crime is joined to its nearest street segment with geopandas (not the generator's own
segment index), then segment shares are compared with Weisburd's published ranges
(REFERENCES.md): 25% of crime on 0.4-1.6% of segments, 50% on 2.1-6.0%. The library's
:mod:`hspwork.targeting.concentration` must give the same figures as the hand-written
helpers here.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hspwork.targeting.concentration import concentration, places_for_share, share_in_top

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def joined():
    streets = gpd.read_file(SAMPLE / "streets.geojson")
    crimes = pd.read_csv(SAMPLE / "crimes_force.csv")
    pts = gpd.GeoDataFrame(
        crimes, geometry=gpd.points_from_xy(crimes.easting, crimes.northing), crs=27700
    )
    j = gpd.sjoin_nearest(pts, streets[["street_id", "geometry"]], how="left", distance_col="d_m")
    j = j[~j.index.duplicated(keep="first")]  # equidistant ties at junctions: keep one
    return streets, j


def _share_of_segments(counts: np.ndarray, share_of_crime: float) -> float:
    """Smallest fraction of segments that together hold ``share_of_crime`` of all crime."""
    c = np.sort(counts)[::-1]
    cum = np.cumsum(c) / c.sum()
    return (np.searchsorted(cum, share_of_crime) + 1) / len(c)


def _share_in_top_segments(counts: np.ndarray, share_of_segments: float) -> float:
    """Share of crime on the hottest ``ceil(share_of_segments * N)`` segments."""
    c = np.sort(counts)[::-1]
    return c[: int(np.ceil(share_of_segments * len(c) - 1e-9))].sum() / c.sum()


def test_sample_share_of_segments_helper_by_hand():
    # 10 segments, 100 crimes: 40 on one segment -> 25% needs 1 of 10 segments, 50% needs 2,
    # 70% needs 3; the top 10% (one segment) hold 40%, the top 20% hold 60%
    counts = np.array([40, 20, 10, 10, 5, 5, 5, 5, 0, 0])
    for share, places in ((0.25, 0.1), (0.50, 0.2), (0.70, 0.3)):
        assert _share_of_segments(counts, share) == pytest.approx(places)
        assert places_for_share(counts, 100 * share) == pytest.approx(places, abs=1e-15)
    assert share_in_top(counts, 10) == pytest.approx(0.4, abs=1e-15)
    assert share_in_top(counts, 20) == pytest.approx(0.6, abs=1e-15)
    table = concentration(counts).table.set_index("measure")["value"]
    assert table["places holding 25%"] == pytest.approx(0.1, abs=1e-15)
    assert table["places holding 50%"] == pytest.approx(0.2, abs=1e-15)


def test_sample_crimes_lie_on_their_streets(joined):
    streets, j = joined
    assert len(streets) >= 2000 and len(streets) <= 4000
    assert j["d_m"].max() <= 10.0  # a few metres either side, rounded to 1 m
    assert j["d_m"].median() <= 3.0


@pytest.mark.parametrize(
    "period",
    [("2023-09-01", "2025-09-01"), ("2024-09-01", "2025-09-01"), ("2023-09-01", "2025-12-01")],
)
def test_sample_concentration_in_published_ranges(joined, period):
    streets, j = joined
    t = pd.to_datetime(j["committed_from"])
    sel = j[(t >= period[0]) & (t < period[1])]
    counts = sel["street_id"].value_counts().reindex(streets["street_id"], fill_value=0).to_numpy()
    assert counts.sum() == len(sel)
    s25, s50 = _share_of_segments(counts, 0.25), _share_of_segments(counts, 0.50)
    assert 0.004 <= s25 <= 0.016, s25
    assert 0.021 <= s50 <= 0.060, s50
    # "about 1% hold 25%, 5% hold 50%"
    top1, top5 = _share_in_top_segments(counts, 0.01), _share_in_top_segments(counts, 0.05)
    assert 0.20 <= top1 <= 0.35, top1
    assert 0.42 <= top5 <= 0.62, top5
    # the library's figures are the hand-computed ones
    c = concentration(counts)
    table = c.table.set_index("measure")["value"]
    assert_allclose(
        [table["places holding 25%"], table["places holding 50%"]], [s25, s50], rtol=1e-12
    )
    assert_allclose(
        [table["share in top 1% of places"], table["share in top 5% of places"]],
        [top1, top5],
        rtol=1e-12,
    )
    assert c.n_places == len(streets) and c.total == len(sel)
    # many segments with no crime at all
    assert (counts == 0).mean() >= 0.25
