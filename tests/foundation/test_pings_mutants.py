"""Gaps in read_pings that mutation testing found: speed units, the columns that come back and
in which order, the CRS a saved file carries, the notes a report carries, and the officer
identifier rule's note, each on a table of a few rows worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from hspwork.errors import CRSError, SchemaError
from hspwork.io import normalise_officer_ids, read_pings
from hspwork.report import report_of


def pings(n=1, **extra):
    """A radio export in British National Grid with ``n`` rows a minute apart, UTC times."""
    base = {
        "collar_no": ["4127"] * n,
        "timestamp": [f"2025-06-01T10:0{i}:00Z" for i in range(n)],
        "easting": [str(410000 + 10 * i) for i in range(n)],
        "northing": ["290000"] * n,
    }
    return pd.DataFrame({**base, **{k: list(v) for k, v in extra.items()}})


def read(raw, **kwargs):
    kwargs.setdefault("source", "radio")
    kwargs.setdefault("crs", 27700)
    return read_pings(raw, **kwargs)


# ---- speed, heading and accuracy -------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "unit", "value", "mps"),
    [
        ("speed", "mps", "2.5", 2.5),  # metres a second as they are
        ("speed", "kmh", "36", 10.0),  # 36 km/h = 36 000 m / 3 600 s = 10 m/s
        ("speed", "mph", "10", 4.4704),  # 10 x 1 609.344 m / 3 600 s = 4.4704 m/s
        ("speed_mph", None, "10", 4.4704),
        ("speed_kmh", None, "36", 10.0),
        ("speed_mps", None, "2.5", 2.5),
    ],
)
def test_speed_in_any_unit_becomes_metres_a_second(column, unit, value, mps):
    got = read(pings(**{column: [value]}), speed_unit=unit)
    assert got["speed_mps"].iloc[0] == pytest.approx(mps, rel=1e-12)


def test_a_speed_column_beside_one_with_a_unit_needs_no_unit():
    # speed_kmh says its unit, so the bare "speed" column needs none: 36 km/h is 10 m/s.
    got = read(pings(speed_kmh=["36"], speed=["99"]))
    assert got["speed_mps"].iloc[0] == pytest.approx(10.0)


def test_an_unknown_speed_unit_is_named():
    with pytest.raises(
        SchemaError, match=r"^speed_unit='knots' is not one of \['mps', 'kmh', 'mph'\]$"
    ):
        read(pings(speed=["3"]), speed_unit="knots")


def test_heading_and_accuracy_come_back_as_numbers_in_their_place():
    got = read(pings(heading=["90"], accuracy=["5.5"], talkgroup=["TG1"], speed_kmh=["36"]))
    assert got.columns.tolist() == [
        "officer", "time", "x", "y", "source", "crs", "speed_mps", "heading_deg", "accuracy_m",
        "talkgroup",
    ]  # fmt: skip
    assert (got["heading_deg"].iloc[0], got["accuracy_m"].iloc[0]) == (90.0, 5.5)


def test_options_after_the_path_must_be_named():
    with pytest.raises(TypeError):
        read_pings(pings(), "radio")


# ---- what an export lacks is named -------------------------------------------------------------


@pytest.mark.parametrize(
    "where", [{"longitude": ["-1.9"], "latitude": ["52.5"]}, {"easting": ["1"], "northing": ["1"]}]
)
def test_an_export_with_only_a_location_lacks_the_officer_and_the_time_only(where):
    with pytest.raises(SchemaError) as err:
        read(pd.DataFrame(where))
    assert str(err.value).startswith(
        "table lacks columns for: officer (e.g. 'Collar No'); time (e.g. 'Timestamp', or "
        "'Date' and 'Time'). Found: "
    )


# ---- files -----------------------------------------------------------------------------------


def test_a_ping_export_named_like_a_police_uk_outcomes_file_is_still_read(tmp_path):
    # The police.uk archive's outcomes files are skipped by read_crimes only.
    path = tmp_path / "2025-06-radio-outcomes.csv"
    pings(2).to_csv(path, index=False)
    assert len(read(path)) == 2


def test_a_ping_export_with_another_suffix_is_read_as_text(tmp_path):
    path = tmp_path / "radio.log"
    pings(2).to_csv(path, index=False)
    assert len(read(path)) == 2


def test_what_a_folder_skipped_and_a_file_lacked_are_noted(tmp_path):
    # A folder with one export, without a final line break, and a read-me beside it.
    folder = tmp_path / "pings"
    folder.mkdir()
    (folder / "day.csv").write_text(pings(2).to_csv(index=False).rstrip("\n"))
    (folder / "readme.txt").write_text("radio pings")
    notes = report_of(read(folder)).notes
    assert notes == (
        "skipped 1 .txt file",
        "day.csv does not end with a line break: its last line may have been cut short (it "
        "has every field and was kept; check it against the source)",
    )


# ---- the CRS a saved file carries ------------------------------------------------------------


def test_a_saved_crs_column_says_what_x_and_y_are_in():
    # Irish Grid (EPSG:2157) eastings saved from read_pings: read in that CRS without crs=,
    # and with crs= when it agrees.
    raw = pings(2).rename(columns={"easting": "x", "northing": "y"}).assign(crs="EPSG:2157")
    for got in (read(raw, crs=None), read(raw, crs="EPSG:2157")):
        assert got["crs"].tolist() == ["EPSG:2157", "EPSG:2157"]
        assert got["x"].tolist() == [410000.0, 410010.0]


def test_a_blank_crs_column_leaves_the_crs_to_the_caller():
    raw = pings(1).assign(crs=[" "])
    assert read(raw)["crs"].tolist() == ["EPSG:27700"]
    with pytest.raises(CRSError, match="no declared CRS"):
        read(raw, crs=None)


def test_a_crs_column_of_two_crss_or_of_no_crs_is_refused_by_name():
    two = pings(2).assign(crs=["EPSG:27700", "EPSG:2157"])
    with pytest.raises(
        CRSError, match=r"^table: its crs column holds 2 CRSs \(EPSG:27700, EPSG:2157\); save"
    ):
        read(two, crs=None)
    with pytest.raises(
        CRSError, match=r"^table: its crs column holds 'Mars grid', which is not a CRS$"
    ):
        read(pings(1).assign(crs=["Mars grid"]), crs=None)


# ---- officer identifiers ---------------------------------------------------------------------


def test_the_officer_note_shows_the_first_two_spellings_and_what_each_became():
    # Four spellings: 007, 0041, 41.0, PC1; by the rule 7, 41, 41, PC1, so three are left and
    # 4 - 3 = 1 joined another. Rows rewritten: 007 twice, 0041, 41.0 = 4. The note shows the
    # first two spellings rewritten, each with what it became.
    ids, note = normalise_officer_ids(pd.Series(["007", "0041", "41.0", "PC1", "007"]))
    assert ids.tolist() == ["7", "41", "41", "PC1", "7"]
    assert note == (
        "4 officer identifiers rewritten by the rule 'digits lose leading zeros and a trailing "
        ".0' ('007' became '7' and '0041' became '41'); 1 spellings joined another's"
    )


def test_an_identifier_that_is_not_text_is_left_as_it_is():
    # A number in an object column is not text the rule can read: only "0041" changes.
    ids, _ = normalise_officer_ids(pd.Series([3296, "0041"], dtype=object))
    assert ids.tolist() == [3296, "41"]
