"""How a force's column names are matched to the library's, and how cells become text and numbers.

Covers hspwork.io.columns: :func:`resolve` (the analyst's ``columns=`` first, then the first
alias in the library's order, a column never used twice, the error naming a mapped column that
is not in the file), :func:`text` and :func:`blank` on text, numeric and mixed columns,
:func:`numbers` (thousands separators, blanks, unreadable text, a Parquet float32 column) and
:func:`row_hash` (the same row of text gives the same hash whatever its column types or index).
Every expected value is worked out by hand from the few cells of each table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hspwork.errors import SchemaError
from hspwork.io.columns import (
    CRIME_ALIASES,
    PING_ALIASES,
    blank,
    norm,
    numbers,
    resolve,
    row_hash,
    text,
)

# ---- resolve ---------------------------------------------------------------------------------


def test_spellings_are_compared_lower_cased_with_underscores():
    assert norm("  Collar No. ") == "collar_no"
    assert norm("Date/Time (UTC)") == "date_time_utc"
    assert norm(12) == "12"


def test_a_forces_export_is_matched_by_alias():
    cols = ["Crime Ref", "Offence Type", "Date/Time", "Easting ", "NORTHING", "Beat"]
    got = resolve(cols, CRIME_ALIASES, None)
    assert got == {
        "crime_id": "Crime Ref",
        "offence": "Offence Type",
        "occurred": "Date/Time",
        "x": "Easting ",
        "y": "NORTHING",
    }
    # an empty mapping is no mapping
    assert resolve(cols, CRIME_ALIASES, {}) == got


def test_the_first_alias_in_the_librarys_order_wins_not_the_first_column():
    # crime_id's aliases run ... ref, urn, crime_no, crime_number, ..., id: URN comes first,
    # and once it is found the later aliases (Crime Number, ID) are not looked at.
    got = resolve(["ID", "Crime Number", "URN"], CRIME_ALIASES, None)
    assert got == {"crime_id": "URN"}
    # two spellings of one column: the first in the file is taken
    assert resolve(["Easting", "easting"], CRIME_ALIASES, None) == {"x": "Easting"}


def test_the_analysts_mapping_comes_first_and_its_column_is_not_used_again():
    # Ref is mapped to offence: crime_id's alias "ref" finds Ref but it is taken, so there is
    # no crime_id; offence is not looked up again (Crime Type stays unused); the aliases after
    # offence are still looked up (Date is occurred).
    cols = ["Ref", "Crime Type", "Date"]
    got = resolve(cols, CRIME_ALIASES, {"Ref": "offence"})
    assert got == {"offence": "Ref", "occurred": "Date"}
    # a mapped name wins over an alias spelling of the same thing
    got = resolve(["Crime ID", "My Ref"], CRIME_ALIASES, {"My Ref": "crime_id"})
    assert got == {"crime_id": "My Ref"}


def test_pings_columns_by_alias():
    cols = ["Collar Number", "GPS Time", "Lat", "Long", "Speed (km/h)", "Heading"]
    assert resolve(cols, PING_ALIASES, None) == {
        "officer": "Collar Number",
        "time": "GPS Time",
        "lon": "Long",
        "lat": "Lat",
        "speed_kmh": "Speed (km/h)",
        "heading_deg": "Heading",
    }


def test_a_mapped_column_that_is_not_in_the_file_is_named():
    with pytest.raises(SchemaError) as err:
        resolve(["a", "b"], CRIME_ALIASES, {"Crime": "crime_id"}, source="crimes.csv")
    assert str(err.value) == "columns= maps 'Crime', which is not in crimes.csv; found ['a', 'b']"
    with pytest.raises(SchemaError) as err:
        resolve(["a"], CRIME_ALIASES, {"a": "offence", "Crime": "crime_id"})
    assert str(err.value) == "columns= maps 'Crime', which is not in the file; found ['a']"


# ---- text and blank --------------------------------------------------------------------------


def test_an_absent_column_is_empty_text_on_the_frames_rows():
    frame = pd.DataFrame({"a": [1, 2, 3]}, index=[5, 6, 7])
    got = text(frame, None)
    assert got.tolist() == ["", "", ""]
    assert got.index.tolist() == [5, 6, 7]
    assert got.dtype == object


def test_text_strips_text_columns_and_writes_numbers_as_they_are():
    # an object column mixing text, a missing cell and a number (a spreadsheet's column)
    mixed = pd.DataFrame({"a": [" PC 41 ", None, 3]})
    assert text(mixed, "a").tolist() == ["PC 41", "", "3"]
    strings = pd.DataFrame({"a": pd.Series([" Burglary ", None], dtype="str")})
    assert text(strings, "a").tolist() == ["Burglary", ""]
    floats = pd.DataFrame({"a": [1.5, np.nan], "b": [3, 4]})
    assert text(floats, "a").tolist() == ["1.5", ""]
    assert text(floats, "b").tolist() == ["3", "4"]


def test_blank_cells():
    cells = pd.Series(["", "  ", "nan", "NaN", "x", None, "0"], dtype=object)
    assert blank(cells).tolist() == [True, True, True, True, False, True, False]
    assert blank(pd.Series([1.0, np.nan, 0.0])).tolist() == [False, True, False]
    # a Parquet column of whole numbers with a gap
    assert blank(pd.Series([1, None], dtype="Int64")).tolist() == [False, True]


# ---- numbers ---------------------------------------------------------------------------------


def test_numbers_from_text():
    got = numbers(pd.Series(["12", " 3.5 ", "", "-7"], index=[4, 5, 6, 7]))
    assert got.index.tolist() == [4, 5, 6, 7]
    assert got.dtype == float
    np.testing.assert_array_equal(got.to_numpy(), [12.0, 3.5, np.nan, -7.0])
    # unreadable text is NaN, the rest still read (thousands separators too)
    got = numbers(pd.Series(["1,000", "abc", None, "2"]))
    np.testing.assert_array_equal(got.to_numpy(), [1000.0, np.nan, np.nan, 2.0])


def test_clean_numbers_are_read_by_arrow_in_one_pass(monkeypatch):
    # A million eastings must not fall back to pandas' slow parser because of a thousands
    # separator or a blank cell: pandas' parser is made to fail, and the column still reads.
    def slow(*args, **kwargs):
        raise AssertionError("fell back to pandas")

    monkeypatch.setattr(pd, "to_numeric", slow)
    got = numbers(pd.Series(["410,000", "", "290000.5"]))
    np.testing.assert_array_equal(got.to_numpy(), [410000.0, np.nan, 290000.5])


def test_numeric_columns_keep_their_values():
    # a Parquet float32 column: 0.1 in float32 is 0.100000001490116..., not the text "0.1"
    got = numbers(pd.Series([0.1], dtype="float32"))
    assert got.tolist() == [float(np.float32(0.1))]
    assert got.tolist() != [0.1]
    assert numbers(pd.Series([True, False])).tolist() == [1.0, 0.0]


# ---- row_hash --------------------------------------------------------------------------------


def test_repeated_rows_share_a_hash_and_different_rows_do_not():
    frame = pd.DataFrame({"a": ["C1", "C2", "C1"], "b": ["x", "x", "x"]})
    h = row_hash(frame)
    assert h.dtype == np.uint64
    assert h[0] == h[2] and h[0] != h[1]
    one = row_hash(pd.DataFrame({"a": ["C1", "C2", "C1"]}))
    assert one[0] == one[2] and one[0] != one[1]
    assert (one != 0).all()


def test_a_table_without_columns_hashes_to_zeros():
    got = row_hash(pd.DataFrame(index=[0, 1, 2]))
    assert got.dtype == np.uint64
    assert got.tolist() == [0, 0, 0]


def test_a_row_hashes_by_its_text_whatever_its_types_and_index():
    as_text = row_hash(pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"]}))
    as_numbers = row_hash(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[10, 11]))
    assert as_numbers.tolist() == as_text.tolist()
    assert (
        row_hash(pd.DataFrame({"a": [1, 2]})).tolist()
        == row_hash(pd.DataFrame({"a": ["1", "2"]}, index=[7, 8])).tolist()
    )
