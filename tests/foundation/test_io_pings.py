"""read_pings: time zones across both UK clock changes, units, and row accounting."""

import numpy as np
import pandas as pd
import pytest

from hspwork.errors import DataDroppedWarning, HspworkError, SchemaError
from hspwork.io import ping_crs, read_pings
from hspwork.report import report_of


def _app(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "collar_no",
            "recorded_at",
            "latitude",
            "longitude",
            "speed_kmh",
            "heading",
            "accuracy_m",
        ],
    )


def test_october_change_repeated_hour_resolved_per_officer():
    # Officer 101 pings every 20 minutes through the night the clocks go back (26 Oct 2025);
    # officer 202's rows are interleaved to show that each device is ordered on its own.
    local = ["00:40", "01:00", "01:20", "01:40", "01:00", "01:20", "01:40", "02:00", "02:20"]
    rows = []
    for i, t in enumerate(local):
        rows.append(["101", f"2025-10-26 {t}:00", "52.48", "-1.90", "3.6", "90", "5"])
        if i < 3:
            rows.append(["202", f"2025-10-26 01:{30 + 10 * i}:00", "52.48", "-1.90", "0", "0", "5"])
    pings = read_pings(_app(rows), source="app", tz="Europe/London")
    a = pings[pings.officer == "101"]["time"]
    # By hand: 00:40 BST = 23:40 UTC, then every 20 minutes to 02:20 GMT = 02:20 UTC.
    expected = pd.date_range("2025-10-25 23:40", "2025-10-26 02:20", freq="20min", tz="UTC")
    assert list(a) == list(expected)
    assert (np.diff(a.to_numpy()).astype("timedelta64[m]").astype(int) == 20).all()
    np.testing.assert_allclose(pings["speed_mps"].iloc[0], 1.0)  # 3.6 km/h
    assert report_of(pings).rows_kept == 12


def test_march_change_gap_closed_and_skipped_hour_dropped():
    times = ["00:40", "00:50", "01:30", "02:00", "02:10"]  # 01:30 never happens on 30 Mar 2025
    rows = [["7", f"2025-03-30 {t}:00", "52.48", "-1.90", "", "", ""] for t in times]
    with pytest.warns(DataDroppedWarning, match="does not exist locally"):
        pings = read_pings(_app(rows), source="app", tz="Europe/London")
    utc = [str(t) for t in pings["time"]]
    assert utc == [
        "2025-03-30 00:40:00+00:00",
        "2025-03-30 00:50:00+00:00",
        "2025-03-30 01:00:00+00:00",  # 02:00 BST
        "2025-03-30 01:10:00+00:00",
    ]


def test_naive_times_refused_without_tz():
    rows = [["7", "2025-03-01 10:00:00", "52.48", "-1.90", "", "", ""]]
    with pytest.raises(SchemaError, match=r"no time zone.*tz='Europe/London'"):
        read_pings(_app(rows), source="app")


def test_radio_export_utc_text_and_eastings(tmp_path):
    path = tmp_path / "radio.csv"
    path.write_text(
        "issi,collar_no,timestamp,easting,northing\n"
        "900001,4127,2025-10-26T00:30:00Z,410000,290000\n"
        "900001,4127,2025-10-26T00:33:00Z,410010,290000\n"
        "900001,4127,2025-10-26T00:33:00Z,410010,290000\n"  # exact duplicate
        "900001,4127,not a time,410020,290000\n"
        "900001,,2025-10-26T00:36:00Z,410030,290000\n",
        encoding="utf-8",
    )
    with pytest.warns(DataDroppedWarning):
        pings = read_pings(path, source="radio", crs="EPSG:27700")
    rep = report_of(pings)
    assert (rep.rows_read, rep.rows_kept) == (5, 2)
    assert rep.dropped == {
        "no officer identifier": 1,
        "unreadable date/time": 1,
        "duplicate row": 1,
    }
    assert pings["officer"].tolist() == ["4127", "4127"]  # collar number, not the radio id
    assert "issi" not in pings.columns  # the radio id is an identifier too: left behind, noted
    assert ping_crs(pings).to_epsg() == 27700
    assert pings["crs"].dtype == "category" and list(pings["crs"].cat.categories) == ["EPSG:27700"]
    assert set(pings.columns[:5]) == {"officer", "time", "x", "y", "source"}


def test_separate_date_and_time_columns_day_first(tmp_path):
    path = tmp_path / "handheld.csv"
    path.write_text(
        "Officer,Date,Clock,Lat,Lon\nA,26/10/2025,12:00:00,52.48,-1.9\n", encoding="utf-8"
    )
    pings = read_pings(path, source="handheld", tz="Europe/London", columns={"Clock": "clock"})
    assert str(pings["time"].iloc[0]) == "2025-10-26 12:00:00+00:00"  # GMT after the change


def test_speed_without_unit_is_refused():
    raw = pd.DataFrame(
        {"officer": ["a"], "time": ["2025-01-01T00:00:00Z"], "x": [1.0], "y": [2.0], "speed": [3.0]}
    )
    with pytest.raises(SchemaError, match="speed_unit="):
        read_pings(raw, source="vehicle", crs=27700)
    pings = read_pings(raw, source="vehicle", crs=27700, speed_unit="mph")
    np.testing.assert_allclose(pings["speed_mps"], [3 * 0.44704])


def test_unknown_source_and_missing_columns():
    raw = pd.DataFrame({"who": ["a"], "t": ["2025-01-01T00:00:00Z"]})
    with pytest.raises(HspworkError, match="source='gps' is not one of"):
        read_pings(raw, source="gps")
    with pytest.raises(SchemaError, match=r"lacks columns for: officer.*Found: \['who', 't'\]"):
        read_pings(raw, source="app")


def test_output_sorted_and_order_independent():
    rows = [["1", f"2025-06-01 10:{m:02d}:00", "52.48", "-1.90", "", "", ""] for m in range(10)]
    a = read_pings(_app(rows), source="app", tz="Europe/London")
    b = read_pings(_app(rows[::-1]), source="app", tz="Europe/London")
    pd.testing.assert_frame_equal(a, b)


def test_corrupt_parquet_is_a_clear_error(tmp_path):
    from hspwork.io import read_crimes

    bad = tmp_path / "pings.parquet"
    bad.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(HspworkError, match="could not be read as Parquet"):
        read_pings(bad, source="app", tz="UTC")
    with pytest.raises(HspworkError, match="could not be read as Parquet"):
        read_crimes(bad, tz="UTC")


def _mixed(times):
    n = len(times)
    return pd.DataFrame(
        {"officer": ["A"] * n, "time": times, "easting": ["410000"] * n, "northing": ["290000"] * n}
    )


@pytest.mark.parametrize(
    "times",
    [
        # most rows carry an offset, one does not (and is local summer time, BST = UTC+1)
        ["2025-07-01T10:00:00+01:00", "2025-07-01T10:05:00+01:00", "2025-07-01 10:10:00"],
        # most rows are local clock time, one carries an offset
        ["2025-07-01T10:00:00+01:00", "2025-07-01 10:05:00", "2025-07-01 10:10:00"],
        # UTC written with Z beside local clock times
        ["2025-07-01T09:00:00Z", "2025-07-01 10:05:00", "2025-07-01T09:10:00Z"],
    ],
)
def test_zoned_and_local_times_in_one_column(times):
    # A zoned time is that instant; a time without a zone is local clock time in tz=. Both
    # orders of mixture give 09:00, 09:05, 09:10 UTC.
    pings = read_pings(_mixed(times), source="app", crs=27700, tz="Europe/London", warn=False)
    assert [str(t) for t in pings["time"]] == [
        "2025-07-01 09:00:00+00:00",
        "2025-07-01 09:05:00+00:00",
        "2025-07-01 09:10:00+00:00",
    ]
    assert report_of(pings).dropped == {}


def test_local_times_among_zoned_ones_still_need_tz():
    times = ["2025-07-01T10:00:00+01:00", "2025-07-01T10:05:00+01:00", "2025-07-01 10:10:00"]
    with pytest.raises(SchemaError, match=r"no time zone \(e.g. 2025-07-01 10:10:00\).*tz="):
        read_pings(_mixed(times), source="app", crs=27700)
    # all zoned: no tz= needed
    zoned = ["2025-07-01T10:00:00+01:00", "2025-07-01T09:05:00Z"]
    pings = read_pings(_mixed(zoned), source="app", crs=27700, warn=False)
    assert [str(t) for t in pings["time"]] == [
        "2025-07-01 09:00:00+00:00",
        "2025-07-01 09:05:00+00:00",
    ]


def test_ping_times_carry_the_contract_dtype(tmp_path):
    # docs/contracts.md: time is datetime64[ns, UTC], from text and from a Parquet column
    text = _mixed(["2025-07-01 10:00:00", "2025-07-01 10:05:00"])
    typed = text.assign(time=pd.to_datetime(text["time"]).dt.tz_localize("Europe/London"))
    typed["time"] = typed["time"].dt.as_unit("us")
    path = tmp_path / "typed.parquet"
    typed.to_parquet(path)
    for raw in (text, path):
        pings = read_pings(raw, source="app", crs=27700, tz="Europe/London", warn=False)
        assert str(pings["time"].dtype) == "datetime64[ns, UTC]"
        assert str(pings["time"].iloc[0]) == "2025-07-01 09:00:00+00:00"


def test_other_identifier_columns_stay_behind_with_a_note(tmp_path):
    # An Airwave export with the radio's ISSI and the collar number twice (pandas reads the
    # second header as collar_no.1): only `officer` carries an identifier on.
    path = tmp_path / "airwave.csv"
    path.write_text(
        "collar_no,time,easting,northing,ISSI,collar_no,talkgroup\n"
        "3296,2025-01-01T10:00:00Z,530000,180000,2321079,3296,TG1\n"
        "3296,2025-01-01T10:02:00Z,530010,180000,2321079,3296,TG1\n",
        encoding="utf-8",
    )
    pings = read_pings(path, source="radio", crs="EPSG:27700")
    assert pings.columns.tolist() == ["officer", "time", "x", "y", "source", "crs", "talkgroup"]
    assert pings["officer"].tolist() == ["3296", "3296"]
    notes = report_of(pings).notes
    assert any("ISSI, collar_no.1 left out" in n for n in notes), notes
