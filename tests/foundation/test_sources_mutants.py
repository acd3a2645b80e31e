"""What a loader is asked to read (hspwork.io.sources), worked by hand on small folders: which
files a folder, a glob or a list gives and in what order, what is skipped and how the note an
analyst reads counts it (one or several, three zips named and "..." past three), how tables
given directly are named, and the exact text of each error."""

from __future__ import annotations

import pandas as pd
import pytest

from hspwork.errors import HspworkError
from hspwork.io.sources import resolve_sources


def touch(path, text="ref\nc1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def names(got, root):
    return [str(it.path.relative_to(root)) for it in got.items]


# ---- folders ---------------------------------------------------------------------------------


def test_a_folder_gives_its_tables_in_path_order_and_counts_the_rest(tmp_path):
    root = tmp_path / "exports"
    # Written out of order: the files come back sorted by path, months in order.
    touch(root / "2024-06" / "june.csv")
    touch(root / "2024-05" / "may.CSV")  # a suffix in capitals is still a table
    touch(root / "2024-05" / "may.pq")
    touch(root / "2024-05" / "may.tsv", "ref\tx\nc1\t2\n")
    touch(root / "2024-05" / "README")
    touch(root / "2024-05" / "notes.pdf")
    touch(root / "2024-06" / "notes.pdf")
    got = resolve_sources(root)
    assert names(got, root) == [
        "2024-05/may.CSV",
        "2024-05/may.pq",
        "2024-05/may.tsv",
        "2024-06/june.csv",
    ]
    assert [it.name for it in got.items] == [str(it.path) for it in got.items]
    assert all(it.frame is None for it in got.items)
    # README (no suffix) sorts before notes.pdf: one of the first kind, two of the second.
    assert got.notes == ["skipped 1 no suffix file, 2 .pdf files"]
    assert got.label == f"{root} (4 files)"


def test_hidden_files_and_folders_and_macosx_are_skipped_and_the_walk_goes_on(tmp_path):
    root = tmp_path / "dl"
    # ".lock" and ".git" sort before "2024-05" and "__MACOSX" after it: the walk goes on
    # past each of them. Only files are counted (not the folders .git and __MACOSX).
    touch(root / ".~lock.may.csv#")
    touch(root / ".git" / "a.csv")
    touch(root / ".git" / "b.csv")
    touch(root / "2024-05" / "may.csv")
    touch(root / "__MACOSX" / "._may.csv")
    touch(root / "zz" / "late.csv")
    got = resolve_sources(root)
    assert names(got, root) == ["2024-05/may.csv", "zz/late.csv"]
    assert got.notes == ["skipped 4 hidden or __MACOSX files"]


def test_one_hidden_file_is_one_file(tmp_path):
    touch(tmp_path / ".DS_Store")
    touch(tmp_path / "a.csv")
    got = resolve_sources(tmp_path)
    assert got.notes == ["skipped 1 hidden or __MACOSX file"]
    assert got.label == str(tmp_path / "a.csv")  # one file: its own name


def test_zips_left_packed_are_named_three_at_a_time(tmp_path):
    touch(tmp_path / "a.csv")
    for m in ("2024-01", "2024-02", "2024-03"):
        (tmp_path / f"{m}.zip").write_bytes(b"PK\x03\x04")
    got = resolve_sources(tmp_path)
    assert got.notes == [
        "3 zip file(s) left packed and not read (2024-01.zip, 2024-02.zip, 2024-03.zip): "
        "unpack them to include them"
    ]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "2024-04.zip").write_bytes(b"PK\x03\x04")
    got = resolve_sources(tmp_path)
    assert got.notes == [
        "4 zip file(s) left packed and not read (2024-01.zip, 2024-02.zip, 2024-03.zip ...): "
        "unpack them to include them"
    ]


def test_police_uk_outcomes_and_stop_and_search_are_not_crimes(tmp_path):
    touch(tmp_path / "2024-05" / "2024-05-west-midlands-street.csv")
    touch(tmp_path / "2024-05" / "2024-05-west-midlands-outcomes.csv")
    touch(tmp_path / "2024-05" / "2024-05-west-midlands-stop-and-search.csv")
    touch(tmp_path / "2024-06" / "2024-06-west-midlands-OUTCOMES.csv")
    got = resolve_sources(tmp_path)
    assert names(got, tmp_path) == ["2024-05/2024-05-west-midlands-street.csv"]
    assert got.notes == ["skipped 2 police.uk outcomes files, 1 police.uk stop-and-search file"]
    # The pings reader asks for every table: a file of that name is kept there.
    every = resolve_sources(tmp_path, police_uk_extras=False)
    assert len(every.items) == 4 and every.notes == []


def test_skips_of_every_kind_in_one_note_and_zips_in_another(tmp_path):
    touch(tmp_path / "2024-05-x-outcomes.csv")
    touch(tmp_path / "2024-05-x-street.csv")
    touch(tmp_path / "map.pdf")
    (tmp_path / "a.zip").write_bytes(b"PK")
    got = resolve_sources([tmp_path, tmp_path / "2024-05-x-street.csv"])
    assert got.notes == [
        "skipped 1 .pdf file, 1 file named twice (read once), 1 police.uk outcomes file",
        "1 zip file(s) left packed and not read (a.zip): unpack them to include them",
    ]
    assert names(got, tmp_path) == ["2024-05-x-street.csv"]
    assert got.label == str(tmp_path / "2024-05-x-street.csv")


# ---- files named twice -----------------------------------------------------------------------


def test_the_same_file_named_twice_is_read_once(tmp_path, monkeypatch):
    a = touch(tmp_path / "a.csv")
    b = touch(tmp_path / "b.csv")
    monkeypatch.chdir(tmp_path)
    # a.csv three times (absolute, relative and through the folder), b.csv twice
    got = resolve_sources([a, "a.csv", b, tmp_path])
    assert [it.name for it in got.items] == [str(a), str(b)]
    assert got.notes == ["skipped 3 files named twice (read once)"]
    assert got.label == f"{a} and 3 more (2 files)"


def test_tables_given_directly_are_never_taken_for_one_another():
    df = pd.DataFrame({"ref": ["c1"]})
    got = resolve_sources([df, df, df])
    assert [it.name for it in got.items] == ["table 1", "table 2", "table 3"]
    assert all(it.frame is df and it.path is None for it in got.items)
    assert got.notes == []
    assert got.label == "table and 2 more (3 files)"


# ---- tables given directly -------------------------------------------------------------------


def test_one_table_alone_is_called_table():
    df = pd.DataFrame({"ref": ["c1"]})
    for spec in (df, [df], (df,)):
        got = resolve_sources(spec)
        assert [it.name for it in got.items] == ["table"]
        assert got.label == "table"


def test_a_table_then_a_file_are_both_read(tmp_path):
    df = pd.DataFrame({"ref": ["c1"]})
    f = touch(tmp_path / "a.csv")
    got = resolve_sources((df, f))
    assert [it.name for it in got.items] == ["table 1", str(f)]
    assert got.label == "table and 1 more (2 files)"
    got = resolve_sources([f, df])
    assert [it.name for it in got.items] == [str(f), "table 1"]
    assert got.label == f"{f} and 1 more (2 files)"


# ---- globs -----------------------------------------------------------------------------------


def test_a_glob_under_a_hidden_folder_reads_what_it_matches(tmp_path):
    # ~/.cache/x/*.csv: the hidden part is the pattern's fixed folder, not below it.
    a = touch(tmp_path / ".cache" / "x" / "a.csv")
    b = touch(tmp_path / ".cache" / "x" / "b.csv")
    got = resolve_sources(str(tmp_path / ".cache" / "x" / "*.csv"))
    assert [it.path for it in got.items] == [a, b]
    assert got.notes == []
    assert got.label == f"{tmp_path / '.cache' / 'x' / '*.csv'} (2 files)"


def test_a_glob_skips_hidden_and_macosx_below_its_fixed_folder(tmp_path):
    root = tmp_path / "dl"
    touch(root / "2024-05" / "may.csv")
    touch(root / "__MACOSX" / "may.csv")
    touch(root / ".trash" / "may.csv")
    got = resolve_sources(str(root / "*" / "may.csv"))
    assert names(got, root) == ["2024-05/may.csv"]
    assert got.notes == ["skipped 1 hidden or __MACOSX file"]
    # A pattern that asks for hidden folders still reads nothing from them.
    pattern = str(root / ".*" / "may.csv")
    with pytest.raises(HspworkError) as err:
        resolve_sources(pattern)
    assert str(err.value) == f"nothing to read in {pattern}: skipped 1 hidden or __MACOSX file"


def test_a_glob_that_climbs_out_with_dot_dot_is_not_hidden(tmp_path, monkeypatch):
    touch(tmp_path / "dl1" / "x.txt")
    summary = touch(tmp_path / "summary.csv")
    monkeypatch.chdir(tmp_path)
    got = resolve_sources("dl*/../summary.csv")
    assert [it.path.resolve() for it in got.items] == [summary]
    assert got.notes == []


def test_a_glob_matching_folders_walks_them(tmp_path):
    root = tmp_path / "dl"
    touch(root / "2024-05" / "may.csv")
    touch(root / "2024-05" / "deep" / "more.csv")
    touch(root / "2024-06" / "june.csv")
    touch(root / "2024-06" / "map.pdf")
    touch(root / "2023-12" / "old.csv")
    got = resolve_sources(str(root / "2024-*"))
    assert names(got, root) == ["2024-05/deep/more.csv", "2024-05/may.csv", "2024-06/june.csv"]
    assert got.notes == ["skipped 1 .pdf file"]


def test_a_recursive_glob(tmp_path):
    root = tmp_path / "dl"
    touch(root / "a" / "b" / "2024-05-x-street.csv")
    touch(root / "c" / "2024-06-x-street.csv")
    got = resolve_sources(str(root / "**" / "*-street.csv"))
    assert names(got, root) == ["a/b/2024-05-x-street.csv", "c/2024-06-x-street.csv"]


# ---- errors ----------------------------------------------------------------------------------


def test_nothing_given():
    for spec in ([], ()):
        with pytest.raises(HspworkError) as err:
            resolve_sources(spec)
        assert str(err.value) == (
            "no input given: pass a file, a list of files, a glob or a folder"
        )


@pytest.mark.parametrize("bad, kind", [(42, "int"), ({"a": 1}, "dict"), (None, "NoneType")])
def test_what_cannot_be_read_is_named(bad, kind, tmp_path):
    touch(tmp_path / "a.csv")
    for spec in (bad, [tmp_path / "a.csv", bad]):
        with pytest.raises(HspworkError) as err:
            resolve_sources(spec)
        assert str(err.value) == (
            f"cannot read {kind}: give a file path, a folder, a glob pattern, a DataFrame, or a "
            "list of these"
        )


def test_a_missing_path_and_a_glob_matching_nothing(tmp_path):
    with pytest.raises(HspworkError) as err:
        resolve_sources(tmp_path / "nope.csv")
    assert str(err.value) == f"{tmp_path / 'nope.csv'} does not exist"
    pattern = str(tmp_path / "*.csv")
    with pytest.raises(HspworkError) as err:
        resolve_sources(pattern)
    assert str(err.value) == f"the pattern {pattern!r} matches no file"
    # the second of a list is checked too
    touch(tmp_path / "a.csv")
    with pytest.raises(HspworkError) as err:
        resolve_sources([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert str(err.value) == f"{tmp_path / 'b.csv'} does not exist"


def test_an_empty_folder_names_what_it_looked_for(tmp_path):
    with pytest.raises(HspworkError) as err:
        resolve_sources(tmp_path)
    assert str(err.value) == f"nothing to read in {tmp_path}: no .csv, .tsv or .parquet file"


def test_a_folder_of_nothing_but_skipped_files_says_what_was_skipped(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    touch(a / "2024-05-x-outcomes.csv")
    touch(a / "notes.docx")
    touch(b / "x.txt")
    touch(b / "y.txt")
    (a / "a.zip").write_bytes(b"PK")
    with pytest.raises(HspworkError) as err:
        resolve_sources([a, b])
    assert str(err.value) == (
        f"nothing to read in {a} and 1 more: skipped 1 .docx file, 2 .txt files, "
        "1 police.uk outcomes file; 1 zip file(s) left packed and not read (a.zip): unpack "
        "them to include them"
    )


def test_police_uk_extras_is_given_by_name_only(tmp_path):
    # resolve_sources(path, False) would read as "path, and something false": refused, so the
    # flag is always spelled out where a loader calls it.
    touch(tmp_path / "a.csv")
    with pytest.raises(TypeError):
        resolve_sources(tmp_path, False)
