"""Loaders that never crash and never alter (issue 12 item 5): each hole found by probing, at
the boundary where it showed, with the outcome worked out by hand."""

import warnings

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from hspwork.errors import HspworkError, SchemaError
from hspwork.io import normalise_officer_ids, read_crimes, read_pings, read_table
from hspwork.report import report_of

STREET = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
FORCE = "crime_ref,offence,committed_from,committed_to,easting,northing\n"
OUTSIDE_GB = "outside Great Britain (longitude/latitude under the British National Grid policy)"


def street(crime_id, month="2024-05", lon="-1.900", lat="52.480"):
    return f"{crime_id},{month},F,F,{lon},{lat},On or near A,E01,L1,Burglary,,\n"


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_year_9999_costs_that_row_alone(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text(
        FORCE
        + "C1,Robbery,2025-03-01 10:00,,410000,290000\n"
        + "C2,Robbery,9999-12-31 00:00,,410000,290000\n"  # a placeholder start
        + "C3,Robbery,2025-03-01 10:00,9999-12-31 23:59,410000,290000\n"  # an open end
        + "C4,Robbery,1200-01-01 10:00,,410000,290000\n"
    )
    crimes = quiet(read_crimes, path, tz="Europe/London", crs=27700)
    assert crimes["crime_id"].tolist() == ["C1"]
    assert report_of(crimes).dropped == {"date/time out of range (before 1900 or from 2200)": 3}
    # the last day before the bound is a time, the bound is not
    edge = tmp_path / "edge.csv"
    edge.write_text(
        FORCE
        + "C1,Robbery,2199-12-31 23:59,,410000,290000\n"
        + "C2,Robbery,2200-01-01 00:00,,410000,290000\n"
    )
    crimes = quiet(read_crimes, edge, tz="UTC", crs=27700)
    assert crimes["crime_id"].tolist() == ["C1"]


def test_police_uk_month_9999_12_costs_that_row_alone(tmp_path):
    path = tmp_path / "street.csv"
    path.write_text(STREET + street("a1") + street("a2", month="9999-12") + street("a3"))
    crimes = quiet(read_crimes, path)
    assert crimes["crime_id"].tolist() == ["a1", "a3"]
    assert report_of(crimes).dropped == {"month out of range (before 1900 or from 2200)": 1}


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2025-07-01 10:00+01", "2025-07-01 09:00:00+00:00"),  # an hours-only offset
        ("2025-07-01T10:00:00+0100", "2025-07-01 09:00:00+00:00"),
        ("2025-07-01T10:00:00-05:00", "2025-07-01 15:00:00+00:00"),
        ("2025-07-01T09:00:00Z", "2025-07-01 09:00:00+00:00"),
        ("2025-07-01 10:00", "2025-07-01 09:00:00+00:00"),  # local BST, from tz=
    ],
)
def test_offsets_of_every_spelling_are_instants(tmp_path, text, utc):
    path = tmp_path / "force.csv"
    path.write_text(FORCE + f"C1,Robbery,{text},,410000,290000\n")
    crimes = read_crimes(path, tz="Europe/London", crs=27700)
    assert str(crimes["occurred_from"].iloc[0]) == utc


def test_offsets_mixed_with_naive_times(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text(
        FORCE
        + "C1,Robbery,2025-07-01 10:00+01,,410000,290000\n"
        + "C2,Robbery,2025-07-01 10:05,,410000,290000\n"
        + "C3,Robbery,2025-07-01T09:10:00Z,2025-07-01 10:20,410000,290000\n"
    )
    crimes = read_crimes(path, tz="Europe/London", crs=27700)
    assert [str(t) for t in crimes["occurred_from"]] == [
        "2025-07-01 09:00:00+00:00",
        "2025-07-01 09:05:00+00:00",
        "2025-07-01 09:10:00+00:00",
    ]
    assert str(crimes["occurred_to"].iloc[2]) == "2025-07-01 09:20:00+00:00"
    # without tz= the naive ones are refused by name, never a raw TypeError/ValueError
    with pytest.raises(SchemaError, match=r"no time zone \(e.g. 2025-07-01 10:05:00\)"):
        read_crimes(path, crs=27700)


def test_lonlat_outside_great_britain_dropped_with_its_reason(tmp_path):
    path = tmp_path / "street.csv"
    path.write_text(
        STREET
        + street("a1")
        + street("a2", lon="179.9", lat="-89.9")  # was kept at northing -15,535,360
        + street("a3", lat="90")  # the pole: a device's placeholder
        + street("a4", lon="-6.26", lat="53.35")  # Dublin: not Great Britain
        + street("a5", lon="-1.91", lat="52.49")
    )
    crimes = quiet(read_crimes, path)
    assert crimes.crs.to_epsg() == 27700
    assert crimes["crime_id"].tolist() == ["a1", "a5"]
    assert report_of(crimes).dropped == {OUTSIDE_GB: 3}
    assert crimes.geometry.y.min() > 0
    # the Isles of Scilly and Shetland are in
    edge = tmp_path / "edge.csv"
    edge.write_text(
        STREET + street("s1", lon="-6.32", lat="49.92") + street("z1", lon="-1.2", lat="60.4")
    )
    assert len(read_crimes(edge)) == 2


def test_pings_outside_great_britain_dropped_and_a_declared_boundary(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    raw = pd.DataFrame(
        {
            "officer": ["A"] * 4,
            "time": pd.date_range("2025-06-01 10:00", periods=4, freq="min", tz="UTC").astype(str),
            "longitude": ["-1.90", "179.9", "-1.90", "-1.95"],
            "latitude": ["52.48", "-89.9", "90", "52.48"],
        }
    )
    pings = quiet(read_pings, raw, source="app")
    assert report_of(pings).dropped == {OUTSIDE_GB: 2}
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(-1.90, 52.48)
    area = gpd.GeoDataFrame(geometry=[box(x - 100, y - 100, x + 100, y + 100)], crs=27700)
    pings = quiet(read_pings, raw, source="app", area=area)
    assert report_of(pings).dropped == {OUTSIDE_GB: 2, "outside the force area": 1}
    assert len(pings) == 1


def test_a_cut_short_last_line_is_dropped_not_altered(tmp_path):
    # The copy stopped inside the last row's longitude: -0.260790 became -0.260.
    path = tmp_path / "street.csv"
    path.write_text(STREET + street("a1", lon="-0.260790", lat="52.57") + "a2,2024-05,F,F,-0.260")
    crimes = quiet(read_crimes, path)
    assert crimes["crime_id"].tolist() == ["a1"]
    assert crimes["Longitude"].tolist() == ["-0.260790"]
    assert report_of(crimes).dropped == {"line with fewer fields than the header (cut short)": 1}
    # a full last line without a final line break is kept, with a note
    whole = tmp_path / "whole.csv"
    whole.write_text(STREET + street("a1") + street("a2").rstrip("\n"))
    crimes = read_crimes(whole)
    assert len(crimes) == 2
    assert any("does not end with a line break" in n for n in report_of(crimes).notes)


def test_lines_with_more_fields_and_blank_lines_are_counted(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text(
        FORCE
        + "C1,Robbery,2025-03-01 10:00,,410000,290000\n"
        + "   \n"  # only spaces: was not counted
        + "\t\n"
        + "C2,Robbery,2025-03-01 10:00,,410000,290000,extra\n"
        + "\n"  # an empty line is not a row
        + "C3,Robbery,2025-03-01 11:00,,410000,290000\n"
    )
    crimes = quiet(read_crimes, path, tz="UTC", crs=27700)
    rep = report_of(crimes)
    assert (rep.rows_read, rep.rows_kept) == (5, 2)
    assert rep.dropped == {
        "blank line (only spaces)": 2,
        "line with more fields than the header": 1,
    }


def test_mixed_encoding_is_decoded_line_by_line_and_noted(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        FORCE.encode()
        + b"C1,Robbery,2025-03-01 10:00,,410000,290000\n"
        + "C2,Robbery at Café Nero,2025-03-01 10:00,,410000,290000\n".encode()  # UTF-8
        + b"C3,Robbery at Caf\xe9 Rouge,2025-03-01 10:00,,410000,290000\n"  # one cp1252 byte
    )
    crimes = read_crimes(path, tz="UTC", crs=27700)
    assert crimes["offence"].tolist() == [
        "Robbery",
        "Robbery at Café Nero",
        "Robbery at Café Rouge",
    ]
    (note,) = report_of(crimes).notes
    assert "1 byte(s) on 1 line(s) (line 4) are not UTF-8 and were read as Windows-1252" in note
    # a whole cp1252 file reads as it always did, and says so
    whole = tmp_path / "cp1252.csv"
    whole.write_bytes((FORCE + "C1,Café £5,2025-03-01 10:00,,410000,290000\n").encode("cp1252"))
    crimes = read_crimes(whole, tz="UTC", crs=27700)
    assert crimes["offence"].tolist() == ["Café £5"]
    assert "2 byte(s) on 1 line(s) (line 2)" in report_of(crimes).notes[0]
    # bytes that neither encoding knows become U+FFFD, noted
    odd = tmp_path / "odd.csv"
    odd.write_bytes(FORCE.encode() + b"C1,Rob\x81bery,2025-03-01 10:00,,410000,290000\n")
    crimes = read_crimes(odd, tz="UTC", crs=27700)
    assert crimes["offence"].tolist() == ["Rob\ufffdbery"]
    assert any("neither UTF-8 nor Windows-1252" in n for n in report_of(crimes).notes)


def test_officer_ids_normalised_by_the_stated_rule(tmp_path):
    path = tmp_path / "pings.csv"
    path.write_text(
        "collar_no,recorded_at,easting,northing\n"
        "0003296,2025-06-01T10:00:00Z,410000,290000\n"
        "3296,2025-06-01T10:01:00Z,410010,290000\n"
        "3296.0,2025-06-01T10:02:00Z,410020,290000\n"
        "PC0007,2025-06-01T10:03:00Z,410030,290000\n"
        "0,2025-06-01T10:04:00Z,410040,290000\n"
        "000,2025-06-01T10:05:00Z,410050,290000\n"
    )
    pings = read_pings(path, source="radio", crs=27700)
    assert pings["officer"].tolist() == ["0", "0", "3296", "3296", "3296", "PC0007"]
    (note,) = report_of(pings).notes
    assert "digits lose leading zeros and a trailing .0" in note
    # rows rewritten: 0003296, 3296.0, 000; spellings joined: 0003296, 3296.0 -> 3296, 000 -> 0
    assert note.startswith("3 officer identifiers rewritten")
    assert "3 spellings joined another's" in note
    # numbers from a Parquet or spreadsheet column
    ids, _ = normalise_officer_ids(pd.Series(pd.array([3296, 41], dtype="int64")).astype(str))
    assert ids.tolist() == ["3296", "41"]
    same, none = normalise_officer_ids(pd.Series(["3296", "PC07"]))
    assert none is None and same.tolist() == ["3296", "PC07"]


def test_read_table_never_raises_raw_pandas_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(HspworkError, match="empty"):
        read_table(empty)
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n \n")
    with pytest.raises(HspworkError, match="no header row"):
        read_table(blank)
    quote = tmp_path / "quote.csv"
    quote.write_text('a,"b\n1,2\n')
    with pytest.raises(HspworkError, match="unclosed quote"):
        read_table(quote)
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('a,b\n1,"2\n')  # a value's quote never closed, at the end
    t = read_table(unclosed)
    assert len(t) == 0
    assert report_of(t).dropped == {"line with fewer fields than the header (cut short)": 1}
    with pytest.raises(HspworkError, match="is a folder"):
        read_table(tmp_path)


def test_repeated_header_names_do_not_hide_a_column(tmp_path):
    path = tmp_path / "pings.csv"
    path.write_text(
        "collar_no,collar_no,recorded_at,easting,northing\n"
        "4127,9001,2025-06-01T10:00:00Z,410000,290000\n"
    )
    t = read_table(path)
    assert t.columns.tolist() == ["collar_no", "collar_no.1", "recorded_at", "easting", "northing"]
    pings = read_pings(path, source="radio", crs=27700)
    assert pings["officer"].tolist() == ["4127"]


def test_infinite_and_huge_numbers_are_out_of_range(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text(
        FORCE
        + "C1,Robbery,2025-03-01 10:00,,410000,290000\n"
        + "C2,Robbery,2025-03-01 10:00,,inf,290000\n"
        + "C3,Robbery,2025-03-01 10:00,,1e400,290000\n"
        + 'C4,Robbery,2025-03-01 10:00,,"410,000",290000\n'  # a thousands separator
    )
    crimes = quiet(read_crimes, path, tz="UTC", crs=27700)
    assert crimes["crime_id"].tolist() == ["C1", "C4"]
    assert report_of(crimes).dropped == {"coordinates out of range": 2}
    np.testing.assert_array_equal(crimes.geometry.x, [410000.0, 410000.0])


def test_a_bare_inch_mark_is_not_taken_for_a_cut(tmp_path):
    # An odd number of quotes from an unquoted 12" in a value is not a file cut short.
    path = tmp_path / "inch.csv"
    path.write_text('a,b\n1,12" pipe\n2,3\n')
    t = read_table(path)
    assert t["b"].tolist() == ['12" pipe', "3"]
    assert report_of(t).dropped == {}
