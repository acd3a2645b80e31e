"""Gaps in read_crimes that mutation testing found: what each error names, which columns come
back in which order, the notes a report carries, and the counts of repeats, each on a table of
a few rows worked out by hand."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from hspwork.errors import SchemaError
from hspwork.io import read_crimes
from hspwork.report import report_of

STREET_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
REPEAT_NOTE = (
    "rows without a Crime ID repeat another row of their file exactly; police.uk lists "
    "anti-social behaviour so (no ID, a month, an anonymised point), so they were kept"
)
OVERLAP_NOTE = (
    "files overlap (the same month downloaded twice, or two downloads unpacked side by side): "
    "a record listed in more than one file is counted once, at its first file"
)
MONTH_NOTE = "police.uk months read as whole-month windows in Europe/London"


def street(*rows):
    """A police.uk table; each row is (Crime ID, Crime type, longitude, Location)."""
    return pd.DataFrame(
        [
            [cid, "2024-05", "F", "F", lon, "52.48", where, "E01", "L1", kind, "", ""]
            for cid, kind, lon, where in rows
        ],
        columns=STREET_COLUMNS,
    )


ASB = ("", "Anti-social behaviour", "-1.901", "On or near Park")
ASB_ELSEWHERE = ("", "Anti-social behaviour", "-1.905", "On or near Yard")


def export(**columns):
    return pd.DataFrame({k: list(v) for k, v in columns.items()})


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ---- files of different kinds ----------------------------------------------------------------


def test_files_of_two_kinds_are_named_three_at_a_time():
    # Four police.uk tables then three exports: each kind lists its first three names, and
    # "..." only when there are more than three (4 > 3 yes, 3 > 3 no).
    tables = [street(("a1", "Burglary", "-1.9", "On or near A"))] * 4 + [
        export(
            offence=["Robbery"], date=["2025-03-01 10:00"], easting=["410000"], northing=["290000"]
        )
    ] * 3
    with pytest.raises(SchemaError) as err:
        read_crimes(tables, tz="UTC", crs=27700)
    assert (
        "different kinds (police.uk: table 1, table 2, table 3 ...; "
        "export: table 5, table 6, table 7); read police.uk files" in str(err.value)
    )


def test_a_police_uk_table_of_only_its_five_defining_columns_is_police_uk():
    # Crime ID, Month, Longitude, Latitude, Crime type and nothing else: still police.uk (a
    # month read as the whole month), not an export lacking a "when" column.
    raw = pd.DataFrame(
        {
            "Crime ID": ["a1"],
            "Month": ["2024-01"],
            "Longitude": ["-1.9"],
            "Latitude": ["52.48"],
            "Crime type": ["Burglary"],
        }
    )
    crimes = read_crimes(raw)
    # January is GMT: the window is 1 January 00:00 UTC to 1 February 00:00 UTC.
    assert str(crimes["occurred_from"].iloc[0]) == "2024-01-01 00:00:00+00:00"
    assert str(crimes["occurred_to"].iloc[0]) == "2024-02-01 00:00:00+00:00"
    assert list(crimes.columns) == [
        "crime_id", "offence", "occurred_from", "occurred_to", "Longitude", "Latitude", "geometry"
    ]  # fmt: skip


def test_options_after_the_path_must_be_named():
    raw = export(offence=["Robbery"], date=["2025-03-01 10:00"], easting=["1"], northing=["1"])
    with pytest.raises(TypeError):
        read_crimes(raw, {"offence": "offence"})


# ---- what an export lacks is named -------------------------------------------------------------


WHEN = "when (a timestamp column such as 'Date' or a window 'Committed From'/'Committed To')"
WHERE = "where (easting/northing or longitude/latitude)"


def lacks(raw, **kwargs):
    with pytest.raises(SchemaError) as err:
        read_crimes(raw, tz="UTC", crs=27700, **kwargs)
    text = str(err.value)
    assert text.startswith("table lacks columns for: ")
    return text.split("lacks columns for: ")[1].split(". Found: ")[0]


def test_an_export_without_a_time_column_is_told_so():
    raw = export(offence=["Robbery"], easting=["410000"], northing=["290000"])
    assert lacks(raw) == WHEN


def test_an_export_without_a_location_is_told_so_not_a_later_error():
    raw = export(offence=["Robbery"], date=["2025-03-01 10:00"])
    assert lacks(raw) == WHERE


@pytest.mark.parametrize(
    "where", [{"Longitude": ["-1.9"], "Latitude": ["52.5"]}, {"Easting": ["1"], "Northing": ["1"]}]
)
def test_an_export_with_only_a_location_lacks_the_offence_and_the_time_only(where):
    assert lacks(pd.DataFrame(where)) == f"offence (e.g. 'Offence', 'Crime type'); {WHEN}"


# ---- exports: columns, windows, repeats --------------------------------------------------------


def test_an_export_returns_the_contract_columns_then_its_own_then_the_point():
    raw = export(
        Beat=["B1"],
        **{"Crime Ref": ["A1"], "Offence": ["Robbery"], "Committed From": ["2025-03-01 10:00"]},
        Easting=["410000"],
        Northing=["290000"],
    )
    crimes = read_crimes(raw, tz="UTC", crs=27700, harm="cambridge")
    # harm goes in fifth place, after the window; the export's own Beat follows, as it was.
    assert list(crimes.columns) == [
        "crime_id", "offence", "occurred_from", "occurred_to", "harm", "Beat", "geometry"
    ]  # fmt: skip
    assert crimes["Beat"].tolist() == ["B1"]


def test_an_export_with_only_an_end_time_reads_each_as_that_instant():
    raw = export(
        offence=["Robbery", "Drugs"],
        committed_to=["2025-03-01 10:00", ""],
        easting=["410000", "410100"],
        northing=["290000", "290100"],
    )
    crimes = quiet(read_crimes, raw, tz="UTC", crs=27700)
    assert report_of(crimes).dropped == {"no date/time": 1}
    assert str(crimes["occurred_from"].iloc[0]) == "2025-03-01 10:00:00+00:00"
    assert str(crimes["occurred_to"].iloc[0]) == "2025-03-01 10:00:00+00:00"


def test_a_window_known_at_its_end_only_is_kept_as_that_instant():
    # committed_from blank, committed_to known: not an unreadable start.
    raw = export(
        offence=["Robbery"],
        committed_from=[""],
        committed_to=["2025-03-01 10:00"],
        easting=["410000"],
        northing=["290000"],
    )
    crimes = read_crimes(raw, tz="UTC", crs=27700)
    assert len(crimes) == 1
    assert str(crimes["occurred_from"].iloc[0]) == "2025-03-01 10:00:00+00:00"


def test_crimes_without_a_reference_in_a_reference_column_are_not_repeats_of_each_other():
    # Two different crimes, both with the reference left blank, and a real repeat of C1:
    # 4 read, 1 duplicate crime reference, 3 kept (the blanks have no crime_id).
    raw = export(
        crime_ref=["C1", "", "", "C1"],
        offence=["Robbery", "Drugs", "Theft", "Robbery"],
        date=["2025-03-01 10:00"] * 4,
        easting=["410000", "410100", "410200", "410000"],
        northing=["290000"] * 4,
    )
    crimes = quiet(read_crimes, raw, tz="UTC", crs=27700)
    assert report_of(crimes).dropped == {"duplicate crime reference": 1}
    assert crimes["offence"].tolist() == ["Robbery", "Drugs", "Theft"]
    assert crimes["crime_id"].isna().tolist() == [False, True, True]


def test_the_same_cells_under_two_layouts_are_two_rows_and_under_one_layout_one():
    # The repeat rule for exports without references compares rows of one layout: the same
    # values under other column names are another export's row, not a repeat.
    values = {"offence": ["Robbery"], "t": ["2025-03-01 10:00"], "e": ["410000"], "n": ["290000"]}
    a = pd.DataFrame(values).set_axis(["offence", "date", "easting", "northing"], axis=1)
    b = pd.DataFrame(values).set_axis(["Offence", "Date", "Easting", "Northing"], axis=1)
    crimes = quiet(read_crimes, [a, b], tz="UTC", crs=27700)
    assert len(crimes) == 2 and report_of(crimes).dropped == {}
    crimes = quiet(read_crimes, [a, a.copy()], tz="UTC", crs=27700)
    assert len(crimes) == 1
    assert report_of(crimes).dropped == {"duplicate row (already read from another file)": 1}


def test_an_export_of_longitude_latitude_goes_to_the_national_grid():
    raw = export(offence=["Robbery"], date=["2025-03-01 10:00"], lon=["-1.85"], lat=["52.5"])
    crimes = read_crimes(raw, tz="UTC")
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(-1.85, 52.5)
    assert crimes.crs.to_epsg() == 27700
    assert crimes.geometry.x.iloc[0] == pytest.approx(x, abs=1e-6)
    assert crimes.geometry.y.iloc[0] == pytest.approx(y, abs=1e-6)


def test_an_export_carries_no_notes_of_its_own():
    raw = export(offence=["Robbery"], date=["2025-03-01 10:00"], easting=["1"], northing=["1"])
    assert report_of(read_crimes(raw, tz="UTC", crs=27700)).notes == ()


# ---- vector files --------------------------------------------------------------------------


def test_a_polygon_stands_by_its_representative_point_and_the_note_counts_it():
    # A 10 m by 20 m rectangle, a point and a row without a geometry. The rectangle's
    # representative point is its middle (410005, 290010); the point stays; the empty row is
    # "no location". The note counts one non-point geometry (not the missing one).
    frame = gpd.GeoDataFrame(
        {"offence": ["Robbery", "Drugs", "Theft"], "occurred": ["2025-01-01 10:00Z"] * 3},
        geometry=[box(410000, 290000, 410010, 290020), Point(410100, 290100), None],
        crs=27700,
    )
    crimes = quiet(read_crimes, frame)
    rep = report_of(crimes)
    assert rep.dropped == {"no location": 1}
    assert rep.notes == ("table: 1 non-point geometries replaced by a representative point",)
    assert list(zip(crimes.geometry.x, crimes.geometry.y, strict=True)) == [
        (410005.0, 290010.0),
        (410100.0, 290100.0),
    ]


def test_points_alone_need_no_note():
    frame = gpd.GeoDataFrame(
        {"offence": ["Robbery", "Drugs"], "occurred": ["2025-01-01 10:00Z"] * 2},
        geometry=[Point(410100, 290100), None],
        crs=27700,
    )
    assert report_of(quiet(read_crimes, frame)).notes == ()


# ---- police.uk repeats ---------------------------------------------------------------------


def test_repeated_anti_social_behaviour_rows_are_counted_in_a_note():
    # Three ASB rows, two of them the same row: one repeat. Two crimes with different IDs but
    # otherwise the same row are not counted (they have IDs), nor is the other ASB row.
    raw = street(
        ("a1", "Burglary", "-1.9", "On or near A"),
        ("a2", "Burglary", "-1.9", "On or near A"),
        ASB,
        ASB,
        ASB_ELSEWHERE,
    )
    crimes = read_crimes(raw)
    assert len(crimes) == 5
    assert report_of(crimes).notes == (f"1 {REPEAT_NOTE}", MONTH_NOTE)


def test_anti_social_behaviour_rows_all_different_need_no_note():
    crimes = read_crimes(street(ASB, ASB_ELSEWHERE, ("a1", "Burglary", "-1.9", "On or near A")))
    assert report_of(crimes).notes == (MONTH_NOTE,)


def test_an_overlap_of_anti_social_behaviour_is_noted_only_when_rows_were_dropped():
    # The same ASB row in two downloads: the second is the first's; the other ASB row is new.
    crimes = quiet(read_crimes, [street(ASB), street(ASB, ASB_ELSEWHERE)])
    rep = report_of(crimes)
    assert rep.dropped == {"row without a Crime ID already read from another file": 1}
    assert OVERLAP_NOTE in rep.notes
    crimes = read_crimes([street(ASB), street(ASB_ELSEWHERE)])
    assert OVERLAP_NOTE not in report_of(crimes).notes and len(crimes) == 2


def test_a_rows_key_is_its_text_hash_tagged_with_a_stable_digest_of_its_layout():
    # the tag is the first 8 bytes (little-endian) of BLAKE2b over the names joined by the
    # unit separator, the same in every process; the key is the row hash XOR the tag
    import hashlib

    import numpy as np

    from hspwork.io.columns import row_hash
    from hspwork.io.crimes import _row_keys

    raw = pd.DataFrame({"Offence": ["Burglary", "Theft"], "Date": ["2025-01", "2025-02"]})
    digest = hashlib.blake2b(b"Offence\x1fDate", digest_size=8).digest()
    tag = np.uint64(int.from_bytes(digest, "little"))
    got = _row_keys(raw, ["Offence", "Date"])
    assert got.tolist() == (row_hash(raw) ^ tag).tolist()
    # another order of the same columns is another layout
    assert (
        _row_keys(raw[["Date", "Offence"]], ["Date", "Offence"]).tolist()
        != (row_hash(raw[["Date", "Offence"]]) ^ tag).tolist()
    )
