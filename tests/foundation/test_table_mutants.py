"""Reading one export as text: every line of the file is a kept row or a counted reason.

Covers hspwork.io.table: the errors an analyst sees for a missing, empty, header-less or
unreadable file; Parquet files; repeated and quoted header names; the byte-order mark; bytes
that are not UTF-8 (the exact note, its line numbers and where the list of lines is cut);
blank, short and long lines counted by reason (rows read = rows kept + rows dropped); a file cut
inside a quoted value; the note for a file without a final line break; and the tab-separated
files. Every file is a few bytes written out in the test; the expected rows and counts are
read off it by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hspwork.errors import HspworkError
from hspwork.io.table import (
    BLANK_LINE,
    LONG_LINE,
    SHORT_LINE,
    charge_lines,
    read_table,
    read_text_table,
)
from hspwork.report import RowLedger, report_of

NO_BREAK = (
    "t.csv does not end with a line break: its last line may have been cut short "
    "(it has every field and was kept; check it against the source)"
)


def write(tmp_path, data: bytes | str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def read(tmp_path, data: bytes | str, name: str = "t.csv"):
    """The kept rows as records, the dropped counts and the notes, with the ledger checked."""
    t = read_table(write(tmp_path, data, name))
    rep = report_of(t)
    assert rep.rows_read == rep.rows_kept + sum(rep.dropped.values())
    assert rep.rows_kept == len(t)
    assert t.index.tolist() == list(range(len(t)))
    return t.to_dict("records"), rep.dropped, list(rep.notes)


# ---- files that cannot be read ---------------------------------------------------------------


def test_missing_folder_and_empty_files_are_named(tmp_path):
    missing = tmp_path / "crimes.csv"
    with pytest.raises(HspworkError) as err:
        read_table(missing)
    assert str(err.value) == f"{missing} does not exist"
    with pytest.raises(HspworkError) as err:
        read_table(tmp_path)
    assert str(err.value) == f"{tmp_path} is a folder; give the path of one file"
    empty = write(tmp_path, b"")
    with pytest.raises(HspworkError) as err:
        read_table(empty)
    assert str(err.value) == f"{empty} is empty (0 bytes): there is no header row to read"
    # one byte is a header of one column and no rows
    t = read_table(write(tmp_path, b"a"))
    assert t.columns.tolist() == ["a"] and len(t) == 0


def test_header_problems_are_named(tmp_path):
    blank = write(tmp_path, " \n1,2\n")
    with pytest.raises(HspworkError) as err:
        read_table(blank)
    assert str(err.value) == (
        f"{blank} has no header row (its first line is blank): is it a CSV export?"
    )
    quote = write(tmp_path, 'a,"b\n1,2\n')
    with pytest.raises(HspworkError) as err:
        read_table(quote)
    assert str(err.value) == (
        f"{quote}: the header row has an unclosed quote; save the file again as CSV from its source"
    )
    # an old Mac export ends its lines with a carriage return only: the csv module refuses it
    mac = write(tmp_path, "a,b\r1,2\r")
    with pytest.raises(HspworkError) as err:
        read_table(mac)
    assert str(err.value).startswith(
        f"{mac}: the header row is not CSV (new-line character seen in unquoted field"
    )


def test_a_file_the_system_will_not_read_is_named(tmp_path, monkeypatch):
    path = write(tmp_path, "a,b\n1,2\n")

    def locked(self):
        raise PermissionError("Permission denied")

    monkeypatch.setattr(Path, "read_bytes", locked)
    with pytest.raises(HspworkError) as err:
        read_table(path)
    assert str(err.value) == f"{path} could not be read: Permission denied"


def test_a_file_that_is_not_parquet_is_named(tmp_path):
    path = write(tmp_path, b"not a parquet file", "crimes.parquet")
    with pytest.raises(HspworkError) as err:
        read_table(path)
    assert str(err.value).startswith(f"{path} could not be read as Parquet: ")


def test_a_line_over_the_parsers_limit_is_refused_with_the_files_name(tmp_path):
    # Arrow parses in blocks of 16 MiB (1 << 24 bytes) and takes a line of up to about two
    # blocks: a line of 17 MiB (a large fence's WKT) reads; one of 33 MiB is named as not
    # well-formed instead of a raw Arrow error.
    ok = write(tmp_path, "id,wkt\nF0,a\nF1," + "x" * (17 << 20) + "\nF2,b\n", "ok.csv")
    t = read_table(ok)
    assert t["id"].tolist() == ["F0", "F1", "F2"] and len(t["wkt"].iloc[1]) == 17 << 20
    # a quoted value of 17 MiB with line breaks in it (a long free-text field) crosses the
    # first block's end and is still one value
    note = ("y" * 1000 + "\n") * (17 << 10)
    quoted = write(tmp_path, 'id,note\nF0,a\nF1,"' + note + '"\nF2,b\n', "quoted.csv")
    t = read_table(quoted)
    assert t["id"].tolist() == ["F0", "F1", "F2"] and t["note"].iloc[1] == note
    assert report_of(t).dropped == {}
    big = write(tmp_path, "id,wkt\nF0,a\nF1," + "x" * (33 << 20) + "\nF2,b\n", "big.csv")
    with pytest.raises(HspworkError) as err:
        read_table(big)
    msg = str(err.value)
    assert msg.startswith(f"{big} is not a well-formed CSV (")
    assert msg.endswith("); check the delimiter and the quoting")


# ---- Parquet ---------------------------------------------------------------------------------


def test_parquet_keeps_its_types_with_names_trimmed(tmp_path):
    frame = pd.DataFrame({" Crime ID ": ["C1", "C2"], "count": [3, 4]})
    for name in ("t.parquet", "t.PQ"):
        frame.to_parquet(tmp_path / name)
        got = read_text_table(tmp_path / name)
        assert got.frame.columns.tolist() == ["Crime ID", "count"]
        assert got.frame["count"].tolist() == [3, 4]
        assert got.bad.tolist() == ["", ""] and got.notes == []
        t = read_table(tmp_path / name)
        assert t.to_dict("records") == [
            {"Crime ID": "C1", "count": 3},
            {"Crime ID": "C2", "count": 4},
        ]
        assert (report_of(t).rows_read, report_of(t).rows_kept) == (2, 2)


# ---- the header ------------------------------------------------------------------------------


def test_header_names_trimmed_quoted_and_repeated(tmp_path):
    rows, dropped, notes = read(tmp_path, ' a ,"Crime, ref",a,a\n1,2,3,4\n')
    assert rows == [{"a": "1", "Crime, ref": "2", "a.1": "3", "a.2": "4"}]
    assert (dropped, notes) == ({}, [])


def test_a_byte_order_mark_is_dropped_and_the_first_column_kept_whole(tmp_path):
    assert read(tmp_path, b"\xef\xbb\xbfref,b\n1,2\n")[0] == [{"ref": "1", "b": "2"}]
    assert read(tmp_path, b"ref,b\n1,2\n")[0] == [{"ref": "1", "b": "2"}]


def test_a_header_alone(tmp_path):
    for data in ("a,b", "a,b\n", "a,b\r\n\r\n"):
        t = read_table(write(tmp_path, data))
        assert t.columns.tolist() == ["a", "b"] and len(t) == 0
        assert report_of(t).notes == ()


# ---- encodings -------------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_are_windows_1252_and_their_lines_named(tmp_path):
    data = (
        b"ref,place\n"
        + b"C1,Caf\xe9 Cr\xe8me\n"  # two cp1252 bytes on line 2, text between them
        + "C2,Café Nero\n".encode()  # UTF-8 on line 3 stays as it is
        + b"C3,na\xefve\n"  # line 4
    )
    rows, dropped, notes = read(tmp_path, data)
    assert [r["place"] for r in rows] == ["Café Crème", "Café Nero", "naïve"]
    assert dropped == {}
    assert notes == [
        "t.csv: 3 byte(s) on 2 line(s) (line 2, 4) are not UTF-8 and were read as "
        "Windows-1252; the rest of the file is UTF-8"
    ]
    # a cp1252 byte in the header is on line 1
    rows, _, notes = read(tmp_path, b"Caf\xe9\nx\n")
    assert rows == [{"Café": "x"}]
    assert notes[0].startswith("t.csv: 1 byte(s) on 1 line(s) (line 1) are not UTF-8")


def test_the_list_of_lines_stops_after_five(tmp_path):
    five = b"a\n" + b"\xe9\n" * 5  # lines 2 to 6
    assert read(tmp_path, five)[2] == [
        "t.csv: 5 byte(s) on 5 line(s) (line 2, 3, 4, 5, 6) are not UTF-8 and were read as "
        "Windows-1252; the rest of the file is UTF-8"
    ]
    six = b"a\n" + b"\xe9\n" * 6  # lines 2 to 7: the first five, then ...
    assert read(tmp_path, six)[2] == [
        "t.csv: 6 byte(s) on 6 line(s) (line 2, 3, 4, 5, 6 ...) are not UTF-8 and were read as "
        "Windows-1252; the rest of the file is UTF-8"
    ]


def test_bytes_neither_encoding_knows(tmp_path):
    # 0x81 is one of the five holes of Windows-1252
    rows, _, notes = read(tmp_path, b"a\nRob\x81bery\n")
    assert rows == [{"a": "Rob\ufffdbery"}]
    assert notes == [
        "t.csv: 1 byte(s) on 1 line(s) (line 2) are not UTF-8 and were read as Windows-1252; "
        "the rest of the file is UTF-8",
        "t.csv: 1 byte(s) are neither UTF-8 nor Windows-1252 and were read as '\ufffd'",
    ]
    # a U+FFFD already in the UTF-8 text is not one of them
    rows, _, notes = read(tmp_path, "a\n\ufffd\n".encode() + b"Caf\xe9\n")
    assert rows == [{"a": "\ufffd"}, {"a": "Café"}]
    assert len(notes) == 1 and notes[0].startswith("t.csv: 1 byte(s) on 1 line(s) (line 3)")


# ---- lines that are not rows -----------------------------------------------------------------


def test_blank_short_and_long_lines_are_counted_by_reason(tmp_path):
    data = "a,b\n1,2\n   \n3\n4,5,6\n7,8\n"
    got = read_text_table(write(tmp_path, data))
    # the two data rows, then one empty row per line that is not one, in the file's order
    assert got.bad.tolist() == ["", "", BLANK_LINE, SHORT_LINE, LONG_LINE]
    assert got.frame.to_dict("list") == {"a": ["1", "7", "", "", ""], "b": ["2", "8", "", "", ""]}
    assert got.frame.index.tolist() == [0, 1, 2, 3, 4]
    rows, dropped, notes = read(tmp_path, data)
    assert rows == [{"a": "1", "b": "2"}, {"a": "7", "b": "8"}]
    assert dropped == {BLANK_LINE: 1, SHORT_LINE: 1, LONG_LINE: 1}
    assert notes == []
    assert report_of(read_table(write(tmp_path, data))).rows_read == 5


def test_a_file_of_one_column_with_a_long_line(tmp_path):
    assert read(tmp_path, "ref\nC1\nC2,x\n")[:2] == ([{"ref": "C1"}], {LONG_LINE: 1})


def test_cells_are_text_as_written(tmp_path):
    # NA, nan and empty cells are text, not missing; quoted commas and line breaks stay
    rows, dropped, _ = read(tmp_path, 'a,b,c\nNA,"x\ny",\n"nan","1, 2",""\n')
    assert rows == [{"a": "NA", "b": "x\ny", "c": ""}, {"a": "nan", "b": "1, 2", "c": ""}]
    assert dropped == {}


def test_tab_separated_files(tmp_path):
    assert read(tmp_path, "a\tb\n1,5\t2\n", "t.tsv")[0] == [{"a": "1,5", "b": "2"}]
    assert read(tmp_path, "a,b\n1\t5,2\n")[0] == [{"a": "1\t5", "b": "2"}]


def test_charge_lines_drops_each_reason_once():
    ledger = RowLedger(5, "t.csv")
    charge_lines(np.array(["", "short", "long", "short", ""], dtype=object), ledger)
    assert ledger.keep.tolist() == [True, False, False, False, True]
    assert ledger.report().dropped == {"short": 2, "long": 1}


# ---- the end of the file ---------------------------------------------------------------------


def test_a_last_line_without_a_line_break_is_kept_and_noted(tmp_path):
    assert read(tmp_path, "a,b\n1,2\n3,4") == (
        [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}],
        {},
        [NO_BREAK],
    )
    assert read(tmp_path, "a,b\n1,2\n3,4\n")[2] == []
    assert read(tmp_path, "a,b\r\n1,2\r\n")[2] == []
    # a quoted last value: two quotes, nothing cut
    assert read(tmp_path, 'a,b\n,"x"') == ([{"a": "", "b": "x"}], {}, [NO_BREAK])


def test_a_bad_last_line_is_not_noted_again(tmp_path):
    # the last line is the long one, already counted: no note about the line break
    assert read(tmp_path, "a,b\n1,2,3") == ([], {LONG_LINE: 1}, [])
    rows, dropped, notes = read(tmp_path, "a,b\n1,2\n3,4,5")
    assert (rows, dropped, notes) == ([{"a": "1", "b": "2"}], {LONG_LINE: 1}, [])
    rows, dropped, notes = read(tmp_path, "a,b\n1\n2,3\n4,5,6")
    assert (rows, dropped, notes) == ([{"a": "2", "b": "3"}], {SHORT_LINE: 1, LONG_LINE: 1}, [])


def test_an_earlier_bad_line_does_not_hide_the_last_lines_note(tmp_path):
    # The short line "5" is line 2; the last line "4,5" is whole but has no line break.
    rows, dropped, notes = read(tmp_path, "a,b\n5\n4,5")
    assert (rows, dropped, notes) == ([{"a": "4", "b": "5"}], {SHORT_LINE: 1}, [NO_BREAK])


def test_a_file_cut_inside_a_quoted_value_drops_that_row(tmp_path):
    # the quote never closes: the parser took the rest of the file as the value
    assert read(tmp_path, 'a,b\n1,"2') == ([], {SHORT_LINE: 1}, [])
    assert read(tmp_path, 'a,b\n1,2\n3,"4\n') == ([{"a": "1", "b": "2"}], {SHORT_LINE: 1}, [])
    # the cut line is short as well: counted once
    assert read(tmp_path, 'a,b\n"p\n') == ([], {SHORT_LINE: 1}, [])
    # an unquoted inch mark is an odd quote too, but no value runs to the end of the file
    assert read(tmp_path, 'a,b\n1,12" pipe\n2,3\n')[:2] == (
        [{"a": "1", "b": '12" pipe'}, {"a": "2", "b": "3"}],
        {},
    )


def test_a_cut_after_a_short_line_ending_alike_is_still_dropped(tmp_path):
    # Line 2 is the short line "2"; line 3 was cut inside its quoted value, which reads "2".
    assert read(tmp_path, 'a,b\n2\n1,"2') == ([], {SHORT_LINE: 2}, [])
