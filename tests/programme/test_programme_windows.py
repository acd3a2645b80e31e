"""Windows in local days: what a chapter keeps, and the refusal when nothing is left."""

from __future__ import annotations

import pandas as pd
import pytest

from hspwork.errors import HspworkError
from hspwork.harm import harm_by_offence
from hspwork.programme import Window


def test_keep_takes_local_days_and_refuses_an_empty_window():
    w = Window.from_dates("2025-03-30", "2025-03-31", tz="Europe/London")  # clocks go forward
    t = pd.to_datetime(
        [
            "2025-03-29 23:59:59",
            "2025-03-30 00:00:00",
            "2025-03-30 22:59:59",
            "2025-03-30 23:00:00",
        ],
        utc=True,
    )
    frame = pd.DataFrame({"occurred_from": t, "n": [1, 2, 3, 4]})
    # 30 March runs from 00:00 GMT to 23:00 UTC (midnight BST): the middle two rows.
    assert w.keep(frame, "occurred_from", what="crimes", fix="x")["n"].tolist() == [2, 3]
    with pytest.raises(
        HspworkError, match=r"no crimes in the window \(30 Mar 2025\); set targeting_start"
    ):
        w.keep(frame.iloc[[0, 3]], "occurred_from", what="crimes", fix="set targeting_start")


def test_harm_by_offence_by_hand():
    crimes = pd.DataFrame(
        {"offence": ["Robbery", "Shoplifting", "Shoplifting", "Burglary"],
         "harm": [365.0, 1.0, 1.0, 274.0]}
    )  # fmt: skip
    t = harm_by_offence(crimes)
    assert t.index.tolist() == ["Robbery", "Burglary", "Shoplifting"]
    assert t["crimes"].tolist() == [1, 1, 2]
    assert t["harm_days"].tolist() == [365.0, 274.0, 2.0]
    assert t["share_of_harm"].round(4).tolist() == [
        round(365 / 641, 4),
        round(274 / 641, 4),
        round(2 / 641, 4),
    ]
