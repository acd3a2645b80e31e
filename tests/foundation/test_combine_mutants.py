"""Reading several files as one (hspwork.io.combine), worked by hand on a few rows: which reader
each kind of input goes to, each file's unreadable lines and notes, and the rules for a record
listed twice (the first usable listing kept, a repeat in the same file told apart from one in
another file, a row without an identifier kept as often as the one file that lists it most)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from hspwork.errors import HspworkError
from hspwork.io.combine import (
    OTHER_FILE,
    Loaded,
    charge_unreadable_lines,
    file_index,
    first_listing,
    group_notes,
    load_source,
    repeats_from_other_files,
)
from hspwork.io.sources import Source
from hspwork.io.table import BLANK_LINE, SHORT_LINE
from hspwork.report import RowLedger

OVERLAP_NOTE = (
    "files overlap (the same month downloaded twice, or two downloads unpacked side by side): "
    "a record listed in more than one file is counted once, at its first file"
)
DUP = "duplicate row"
DUP_OTHER = "duplicate row (already read from another file)"


def points(n=2):
    return gpd.GeoDataFrame(
        {"ref": [f"c{i}" for i in range(n)]},
        geometry=[Point(410000 + i, 290000) for i in range(n)],
        crs=27700,
    )


def path_source(path):
    return Source(str(path), path)


# ---- which reader each input goes to ----------------------------------------------------------


def test_a_frame_is_taken_as_it_is_with_a_fresh_index():
    frame = pd.DataFrame({"ref": ["c1", "c2"]}, index=[7, 3])
    got = load_source(Source("table", frame=frame))
    assert got.name == "table"
    assert got.raw.index.tolist() == [0, 1]  # reset: the ledger counts rows 0..n-1
    assert got.raw["ref"].tolist() == ["c1", "c2"]
    assert got.bad.tolist() == ["", ""]  # a frame has no unreadable lines
    assert got.notes == []
    assert got.geo is False


def test_a_geodataframe_given_directly_is_geo():
    got = load_source(Source("table", frame=points()))
    assert got.geo is True
    assert isinstance(got.raw, gpd.GeoDataFrame)
    assert got.bad.tolist() == ["", ""]


def test_a_csv_keeps_its_unreadable_lines_and_its_notes(tmp_path):
    # Two data rows, a blank line and a line cut short, and no final line break: the frame has
    # the two rows and one empty row per unusable line, lined up with ``bad``.
    path = tmp_path / "export.csv"
    path.write_text("ref,offence\nc1,Robbery\n   \nc2\nc3,Burglary", encoding="utf-8")
    got = load_source(path_source(path))
    assert got.geo is False
    assert got.raw["ref"].tolist() == ["c1", "c3", "", ""]
    assert got.bad.tolist() == ["", "", BLANK_LINE, SHORT_LINE]
    assert got.notes == [
        "export.csv does not end with a line break: its last line may have been cut short "
        "(it has every field and was kept; check it against the source)"
    ]


@pytest.mark.parametrize("suffix", [".txt", ".TSV", ".tsv"])
def test_txt_and_tsv_are_read_as_text_tables(tmp_path, suffix):
    sep = "\t" if suffix.lower() == ".tsv" else ","
    path = tmp_path / f"export{suffix}"
    path.write_text(f"ref{sep}offence\nc1{sep}Robbery\n", encoding="utf-8")
    got = load_source(path_source(path))
    assert got.geo is False
    assert got.raw.to_dict("list") == {"ref": ["c1"], "offence": ["Robbery"]}


def test_a_plain_parquet_table_is_read_as_a_table(tmp_path):
    path = tmp_path / "export.parquet"
    pd.DataFrame({"ref": ["c1", "c2"]}).to_parquet(path)
    for vector in (True, False):
        got = load_source(path_source(path), vector=vector)
        assert got.geo is False
        assert not isinstance(got.raw, gpd.GeoDataFrame)
        assert got.raw["ref"].tolist() == ["c1", "c2"]
        assert got.bad.tolist() == ["", ""]


def test_geoparquet_is_geo_only_for_a_reader_of_vector_files(tmp_path):
    path = tmp_path / "crimes.parquet"
    points().to_parquet(path)
    got = load_source(path_source(path))
    assert got.geo is True
    assert isinstance(got.raw, gpd.GeoDataFrame) and got.raw.crs.to_epsg() == 27700
    assert got.bad.tolist() == ["", ""]
    # The pings reader (vector=False) reads any Parquet file as a plain table.
    plain = load_source(path_source(path), vector=False)
    assert plain.geo is False
    assert not isinstance(plain.raw, gpd.GeoDataFrame)
    assert plain.raw["ref"].tolist() == ["c0", "c1"]


def test_a_vector_file_is_geo_and_any_other_suffix_is_text_for_the_pings_reader(tmp_path):
    gj = tmp_path / "crimes.geojson"
    points().to_file(gj, driver="GeoJSON")
    got = load_source(path_source(gj))
    assert got.geo is True
    assert got.raw["ref"].tolist() == ["c0", "c1"]
    assert got.bad.tolist() == ["", ""]
    # A GPS unit's ".log" export of comma-separated text: the pings reader reads it as a table,
    # a reader of vector files takes it for a vector file and says it cannot read it.
    log = tmp_path / "unit7.log"
    log.write_text("officer,lat\n7,52.48\n", encoding="utf-8")
    text = load_source(path_source(log), vector=False)
    assert text.geo is False
    assert text.raw.to_dict("list") == {"officer": ["7"], "lat": ["52.48"]}
    with pytest.raises(HspworkError, match="could not be read as a vector file"):
        load_source(path_source(log))


# ---- unreadable lines, file numbers, notes -----------------------------------------------------


def loaded(name, n, bad=None, notes=None):
    raw = pd.DataFrame({"ref": [f"{name}{i}" for i in range(n)]})
    flags = np.array(bad if bad is not None else [""] * n, dtype=object)
    return Loaded(name, raw, flags, list(notes or []))


def test_unreadable_lines_of_every_file_are_charged_by_reason():
    parts = [
        loaded("a", 3, ["", SHORT_LINE, BLANK_LINE]),
        loaded("b", 2, [BLANK_LINE, ""]),
    ]
    ledger = RowLedger(5, "2 files")
    charge_unreadable_lines(parts, ledger)
    # by hand: rows 1 (short), 2 and 3 (blank); kept 0 and 4
    assert ledger.keep.tolist() == [True, False, False, False, True]
    assert ledger.dropped == {SHORT_LINE: 1, BLANK_LINE: 2}


def test_file_index_numbers_each_stacked_row_by_its_file():
    parts = [loaded("a", 2), loaded("b", 0), loaded("c", 3)]
    assert file_index(parts).tolist() == [0, 0, 2, 2, 2]


def test_group_notes_lists_only_the_files_that_have_notes():
    parts = [loaded("a", 1), loaded("b", 1, notes=["b: 1 byte(s) ..."]), loaded("c", 1)]
    assert group_notes(parts) == {1: ["b: 1 byte(s) ..."]}
    assert group_notes([loaded("a", 1)]) == {}


# ---- first listing ---------------------------------------------------------------------------


def listing(key, files, valid=None, before=None):
    """A ledger after first_listing; ``before`` drops rows first, as an earlier check would."""
    key = np.array(key, dtype=object)
    ledger = RowLedger(len(key), "crimes")
    if before is not None:
        ledger.drop(np.array(before), "no location")
    valid = np.ones(len(key), bool) if valid is None else np.array(valid)
    first_listing(key, valid, np.array(files), ledger, DUP)
    return ledger


def test_a_repeat_in_its_own_file_and_one_in_another_file_are_told_apart():
    # keys a a b a b, files 0 0 1 1 1: row 1 repeats row 0 in file 0 (same file); row 3 repeats
    # row 0 from file 1 (another file); row 4 repeats row 2 in file 1 (same file).
    ledger = listing(["a", "a", "b", "a", "b"], [0, 0, 1, 1, 1])
    assert ledger.keep.tolist() == [True, False, True, False, False]
    assert ledger.dropped == {DUP: 2, DUP_OTHER: 1}
    assert DUP_OTHER == f"{DUP} ({OTHER_FILE})"
    assert ledger.notes == [OVERLAP_NOTE]


def test_repeats_in_one_file_only_say_nothing_of_overlapping_files():
    ledger = listing(["a", "a", "b"], [0, 0, 1])
    assert ledger.keep.tolist() == [True, False, True]
    assert ledger.dropped == {DUP: 1}
    assert ledger.notes == []


def test_a_repeat_only_in_another_file():
    ledger = listing(["a", "b", "b", "c"], [0, 0, 1, 1])
    assert ledger.keep.tolist() == [True, True, False, True]
    assert ledger.dropped == {DUP_OTHER: 1}
    assert ledger.notes == [OVERLAP_NOTE]


def test_nothing_repeated_drops_nothing():
    ledger = listing(["a", "b", "c"], [0, 1, 1])
    assert ledger.keep.all() and ledger.dropped == {} and ledger.notes == []


def test_rows_not_valid_are_neither_kept_nor_dropped_here():
    # Row 0 is not valid (say it has no identifier): it is no first listing, so row 1 is the
    # first "a" and row 2 its repeat; row 0 stays as it was.
    ledger = listing(["a", "a", "a"], [0, 0, 0], valid=[False, True, True])
    assert ledger.keep.tolist() == [True, True, False]
    assert ledger.dropped == {DUP: 1}


def test_the_first_usable_listing_is_kept_not_one_already_dropped():
    # Row 0 was dropped before (no location): row 1, from the other file, is the first usable
    # listing of "a" and is kept; row 2 repeats it in file 1.
    ledger = listing(["a", "a", "a"], [0, 1, 1], before=[True, False, False])
    assert ledger.keep.tolist() == [False, True, False]
    assert ledger.dropped == {"no location": 1, DUP: 1}
    assert ledger.notes == []


def test_no_row_left_to_compare_changes_nothing():
    ledger = listing(["a", "a"], [0, 1], valid=[False, False])
    assert ledger.keep.all() and ledger.dropped == {}
    ledger = listing(["a", "a"], [0, 1], before=[True, True])
    assert ledger.dropped == {"no location": 2}


# ---- rows without an identifier across files -------------------------------------------------


def repeats(key, files, mask=None):
    mask = np.ones(len(key), bool) if mask is None else np.array(mask)
    return repeats_from_other_files(np.array(key), np.array(files), mask).tolist()


def test_one_file_alone_repeats_no_other():
    assert repeats([7, 7, 7], [0, 0, 0]) == [False, False, False]
    assert repeats([], []) == []


def test_a_month_downloaded_twice_is_counted_once():
    # file 0: 7 7 9, file 1: 7 7 9 (the same month again): all of file 1 repeats file 0.
    assert repeats([7, 7, 9, 7, 7, 9], [0, 0, 0, 1, 1, 1]) == [False] * 3 + [True] * 3


def test_a_later_download_with_one_more_incident_keeps_the_new_one():
    # file 0 has 7 twice; file 1 three times: its rows 0 and 1 (ranks 0, 1 < 2) repeat file 0,
    # its third (rank 2, not < 2) is new.
    assert repeats([7, 7, 7, 7, 7], [0, 0, 1, 1, 1]) == [False, False, True, True, False]


def test_the_most_any_earlier_file_holds_counts_not_the_last():
    # 7: file 0 three times, file 1 once, file 2 twice. Before file 2 the most is 3 (file 0),
    # so both of file 2's rows repeat it; file 1's one row repeats file 0 too.
    got = repeats([7, 7, 7, 7, 7, 7], [0, 0, 0, 1, 2, 2])
    assert got == [False, False, False, True, True, True]


def test_each_key_is_counted_on_its_own():
    # 7 in file 0 once; 9 only in file 1, twice: nothing of 9 was read before.
    assert repeats([7, 9, 9, 7], [0, 1, 1, 1]) == [False, False, False, True]


def test_rows_outside_the_mask_count_for_nothing():
    # file 0's 7 is not a row without an identifier (mask False): file 1's 7 is new.
    assert repeats([7, 7], [0, 1], mask=[False, True]) == [False, False]
    # and a masked-out row is never itself a repeat
    assert repeats([7, 7, 7], [0, 1, 1], mask=[True, False, True]) == [False, False, True]
    # with only one file left in the mask, nothing repeats
    assert repeats([7, 7, 7], [0, 0, 1], mask=[True, True, False]) == [False, False, False]


def test_earlier_means_the_lower_file_number_whatever_the_row_order():
    # 7 in file 1 once (row 0), then in file 0 twice (rows 1, 2): file 0 is the earlier file,
    # so file 1's row repeats it and file 0's rows are its own.
    assert repeats([7, 7, 7], [1, 0, 0]) == [True, False, False]
