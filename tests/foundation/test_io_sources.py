"""Many files as one: lists, globs, folders, the police.uk archive layout, and repeats across
files, each counted by hand."""

import warnings

import numpy as np
import pandas as pd
import pytest

from hspwork.errors import HspworkError, SchemaError
from hspwork.io import read_crimes, read_pings
from hspwork.report import report_of

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)


def street_row(crime_id, month, lon, lat, crime_type="Burglary", where="On or near A"):
    outcome = "" if crime_type == "Anti-social behaviour" else "Under investigation"
    return f"{crime_id},{month},F,F,{lon},{lat},{where},E01,L1,{crime_type},{outcome},"


def asb(month, lon, lat, where="On or near Park"):
    return street_row("", month, lon, lat, "Anti-social behaviour", where)


def write(path, rows, header=HEADER):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


X = asb("2024-05", -1.901, 52.481)  # one ASB incident's row text
Y = asb("2024-05", -1.905, 52.485, "On or near Yard")
Z = asb("2024-06", -1.906, 52.486)


@pytest.fixture
def archive(tmp_path):
    """Two police.uk downloads unpacked side by side; May 2024 is in both.

    dl1/2024-05: a1, a2, X, X, Y        (X twice: two incidents at one anonymised point)
    dl1/2024-06: a4, Z
    dl2/2024-05: a1, a2, a3, X, X, X, Y (a later download: one more crime, one more X)
    plus an outcomes and a stop-and-search file, a hidden file and a packed zip.
    """
    may1 = [
        street_row("a1", "2024-05", -1.900, 52.480),
        street_row("a2", "2024-05", -1.910, 52.470, "Robbery"),
        X,
        X,
        Y,
    ]
    jun1 = [street_row("a4", "2024-06", -1.920, 52.460, "Drugs"), Z]
    may2 = [*may1[:2], street_row("a3", "2024-05", -1.930, 52.450), X, X, X, Y]
    root = tmp_path / "police_uk"
    write(root / "dl1" / "2024-05" / "2024-05-west-midlands-street.csv", may1)
    write(root / "dl1" / "2024-06" / "2024-06-west-midlands-street.csv", jun1)
    write(root / "dl2" / "2024-05" / "2024-05-west-midlands-street.csv", may2)
    write(
        root / "dl1" / "2024-05" / "2024-05-west-midlands-outcomes.csv",
        ["a1,2024-05,F,F,-1.9,52.48,On or near A,E01,L1,Unable to prosecute suspect"],
        header="Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Outcome type",
    )
    (root / "dl1" / "2024-06" / "2024-06-west-midlands-stop-and-search.csv").write_text(
        "Type,Date\nPerson search,2024-06-01T10:00:00+00:00\n"
    )
    (root / "dl1" / "2024-05" / ".~lock.2024-05-west-midlands-street.csv#").write_text("x")
    (root / "dl1" / "__MACOSX").mkdir()
    (root / "dl1" / "__MACOSX" / "._2024-05-west-midlands-street.csv").write_bytes(b"\x00\x05")
    (root / "2024-07.zip").write_bytes(b"PK\x03\x04")
    return root


def test_archive_folder_counts_by_hand(archive):
    with pytest.warns(UserWarning):
        crimes = read_crimes(archive)
    rep = report_of(crimes)
    # By hand: 14 rows read in three street files. dl2's a1, a2 are already read (2); of its
    # X, X, X the first two are dl1's pair and the third is new; its Y is dl1's Y (3).
    # Kept: dl1 5 + 2, dl2 a3 and the third X.
    assert (rep.rows_read, rep.rows_kept) == (14, 9)
    assert rep.dropped == {
        "duplicate Crime ID (already read from another file)": 2,
        "row without a Crime ID already read from another file": 3,
    }
    assert sorted(crimes["crime_id"].dropna()) == ["a1", "a2", "a3", "a4"]
    asb_rows = crimes[crimes["offence"] == "Anti-social behaviour"]
    at = asb_rows.groupby("Location").size().to_dict()
    assert at == {"On or near Park": 4, "On or near Yard": 1}  # X three times, Z once; Y once
    by_file = rep.by_file().set_index("source")
    names = [s.split("police_uk/")[1] for s in by_file.index]
    assert names == [
        "dl1/2024-05/2024-05-west-midlands-street.csv",
        "dl1/2024-06/2024-06-west-midlands-street.csv",
        "dl2/2024-05/2024-05-west-midlands-street.csv",
    ]
    assert by_file["rows_read"].tolist() == [5, 2, 7]
    assert by_file["rows_kept"].tolist() == [5, 2, 2]
    assert by_file["rows_dropped"].tolist() == [0, 0, 5]
    notes = " | ".join(rep.notes)
    assert "skipped" in notes and "1 police.uk outcomes file" in notes
    assert "1 police.uk stop-and-search file" in notes
    assert "2 hidden or __MACOSX files" in notes
    assert "1 zip file(s) left packed" in notes and "2024-07.zip" in notes
    assert "files overlap" in notes
    # dl1's second X repeats the first within its file: kept, and said so
    assert "1 rows without a Crime ID repeat another row of their file exactly" in notes


def test_a_list_a_glob_and_the_folder_read_the_same(archive):
    files = sorted(p for p in archive.rglob("*-street.csv") if "__MACOSX" not in p.parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_folder = read_crimes(archive)
        from_list = read_crimes(files)
        from_glob = read_crimes(str(archive / "*" / "*" / "*-street.csv"))
    for other in (from_list, from_glob):
        pd.testing.assert_frame_equal(other, from_folder)
        assert report_of(other).rows_read == 14 and report_of(other).rows_kept == 9
    # a single file reads as before: no parts
    one = read_crimes(files[0])
    assert report_of(one).parts == () and len(one) == 5


def test_the_whole_row_repeat_rule_is_kept_per_file(tmp_path):
    # Without overlap, every ASB repeat stays: the same X three times in one file is three
    # incidents.
    path = write(tmp_path / "2024-05-f-street.csv", [X, X, X, Y])
    crimes = read_crimes(path)
    assert len(crimes) == 4 and report_of(crimes).dropped == {}


def test_force_export_pair_of_identical_rows_without_ids_keeps_exactly_one(tmp_path):
    # No reference column: a row identical in every column to an earlier one is a repeat
    # listing. Two copies give one crime, three give one (not zero: the first stays).
    head = "offence,committed_from,easting,northing"
    row = "Robbery,2025-03-03 10:00,410000,290000"
    other = "Robbery,2025-03-03 10:05,410000,290000"
    pair = write(tmp_path / "pair.csv", [row, row, other], header=head)
    with pytest.warns(UserWarning):
        crimes = read_crimes(pair, tz="Europe/London", crs=27700)
    assert len(crimes) == 2
    assert report_of(crimes).dropped == {"duplicate row": 1}
    triple = write(tmp_path / "triple.csv", [row, row, row], header=head)
    with pytest.warns(UserWarning):
        crimes = read_crimes(triple, tz="Europe/London", crs=27700)
    assert len(crimes) == 1
    assert report_of(crimes).dropped == {"duplicate row": 2}
    # the same row in two exports (an overlap) is counted once, at its first file
    again = write(tmp_path / "again.csv", [row], header=head)
    with pytest.warns(UserWarning):
        both = read_crimes([pair, again], tz="Europe/London", crs=27700)
    assert len(both) == 2
    assert report_of(both).dropped == {
        "duplicate row": 1,
        "duplicate row (already read from another file)": 1,
    }


def test_force_exports_with_different_layouts_read_as_one(tmp_path):
    # One year's export in grid references, the next in longitude/latitude with other
    # column names: both end in British National Grid, the grid points unchanged.
    a = write(
        tmp_path / "2024.csv",
        ["C1,Robbery,2024-03-03 10:00,410000,290000", "C2,Drugs,2024-04-03 10:00,410100,290100"],
        header="crime_ref,offence,committed_from,easting,northing",
    )
    b = write(
        tmp_path / "2025.csv",
        ["R9,Robbery,2025-03-03 10:00,-1.85,52.5", "C2,Drugs,2024-04-03 10:00,-1.85,52.5"],
        header="Reference,Crime Type,Date,Longitude,Latitude",
    )
    with pytest.warns(UserWarning):
        crimes = read_crimes([a, b], tz="Europe/London", crs=27700)
    assert crimes.crs.to_epsg() == 27700
    assert crimes["crime_id"].tolist() == ["C1", "C2", "R9"]
    assert (crimes.geometry.x.iloc[0], crimes.geometry.y.iloc[0]) == (410000.0, 290000.0)
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(-1.85, 52.5)
    np.testing.assert_allclose([crimes.geometry.x.iloc[2], crimes.geometry.y.iloc[2]], [x, y])
    assert report_of(crimes).dropped == {
        "duplicate crime reference (already read from another file)": 1
    }


def test_files_of_different_kinds_are_refused(tmp_path, archive):
    force = write(
        tmp_path / "force.csv",
        ["C1,Robbery,2024-03-03 10:00,410000,290000"],
        header="crime_ref,offence,committed_from,easting,northing",
    )
    street = next(archive.rglob("*-street.csv"))
    with pytest.raises(SchemaError, match=r"different kinds \(police.uk: .*; export: .*force.csv"):
        read_crimes([street, force], tz="UTC", crs=27700)


def test_what_cannot_be_read_is_named(tmp_path):
    with pytest.raises(HspworkError, match=r"matches no file"):
        read_crimes(str(tmp_path / "*" / "*-street.csv"))
    with pytest.raises(HspworkError, match=r"does not exist"):
        read_crimes(tmp_path / "nowhere")
    only_outcomes = tmp_path / "dl"
    write(only_outcomes / "2024-05" / "2024-05-f-outcomes.csv", ["x"], header="Crime ID")
    with pytest.raises(HspworkError, match=r"nothing to read in .*1 police.uk outcomes file"):
        read_crimes(only_outcomes)
    with pytest.raises(HspworkError, match=r"no input given"):
        read_crimes([])
    with pytest.raises(HspworkError, match=r"cannot read int"):
        read_crimes(7)


def test_pings_from_several_files_one_report_per_file(tmp_path):
    head = "collar_no,recorded_at,easting,northing"
    day1 = write(
        tmp_path / "pings" / "2025-06-01.csv",
        ["101,2025-06-01T10:00:00Z,410000,290000", "101,2025-06-01T10:01:00Z,410010,290000"],
        header=head,
    )
    write(
        tmp_path / "pings" / "2025-06-02.csv",
        [
            "101,2025-06-01T10:01:00Z,410010,290000",  # the last ping of day 1, exported again
            "0101,2025-06-02T09:00:00Z,410020,290000",  # the same officer, leading zero
            ",2025-06-02T09:01:00Z,410030,290000",
        ],
        header=head,
    )
    with pytest.warns(UserWarning):
        pings = read_pings(tmp_path / "pings", source="radio", crs=27700)
    rep = report_of(pings)
    assert (rep.rows_read, rep.rows_kept) == (5, 3)
    assert rep.dropped == {
        "no officer identifier": 1,
        "duplicate row (already read from another file)": 1,
    }
    assert pings["officer"].tolist() == ["101", "101", "101"]
    assert [p.rows_kept for p in rep.parts] == [2, 1]
    assert rep.parts[0].source == str(day1)
