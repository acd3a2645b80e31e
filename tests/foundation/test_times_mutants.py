"""Gaps in the time parsing that mutation testing found: the one-by-one fallback, the range
limits, nanoseconds, the October hour and the message naming a time without a zone."""

from __future__ import annotations

import pandas as pd
import pytest

from hspwork.errors import SchemaError
from hspwork.io.times import ambiguous_as_dst, parse_times, to_datetime_safe, to_utc
from hspwork.report import RowLedger


def test_a_stray_zone_among_naive_times_falls_back_to_one_by_one():
    # pandas refuses the mix in one call; value by value the zoned one becomes naive UTC.
    got = to_datetime_safe(
        pd.Series(["2025-03-01 10:00", "2025-03-01 10:00+01:00"]), "ISO8601", utc=False
    )
    assert got.tolist() == [pd.Timestamp("2025-03-01 10:00"), pd.Timestamp("2025-03-01 09:00")]
    assert got.dt.tz is None


def test_the_first_instant_of_1900_is_kept_and_of_2200_is_not():
    t, _, out = parse_times(pd.Series(["1900-01-01 00:00:00", "2200-01-01 00:00:00"]))
    assert out.tolist() == [False, True]
    assert t[0] == pd.Timestamp("1900-01-01") and pd.isna(t[1])


def test_a_nanosecond_datetime_column_keeps_its_nanoseconds():
    values = pd.Series(pd.to_datetime(["2025-03-01 10:00:00.000000001"]))
    t, zoned, out = parse_times(values)
    assert t[0].nanosecond == 1 and zoned.tolist() == [False] and out.tolist() == [False]


def test_dayfirst_is_keyword_only():
    with pytest.raises(TypeError):
        parse_times(pd.Series(["01/03/2025"]), False)


@pytest.mark.parametrize(
    "clock",
    [
        ["2025-10-26 02:30", "2025-10-26 01:30"],  # 02:30 is not ambiguous: no pass is seen
        ["2025-10-26 01:30", "2025-10-26 01:30"],  # the same time twice has not gone back
    ],
)
def test_only_the_ambiguous_hour_going_backwards_is_winter_time(clock):
    flags = ambiguous_as_dst(pd.Series(pd.to_datetime(clock)), "Europe/London", None)
    assert flags.tolist() == [True, True]


def test_the_missing_zone_message_names_the_first_local_time():
    times = pd.Series(pd.to_datetime(["2025-03-01 10:00", "2025-03-02 11:00"]))
    with pytest.raises(SchemaError, match=r"\(e\.g\. 2025-03-01 10:00:00\)"):
        to_utc(times, None, RowLedger(2, "pings.csv"), "ping")
