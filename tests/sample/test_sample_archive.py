"""The sample's crimes as a police.uk archive folder: layout, bytes, and what reading it gives,
with every expected count worked out from the source crimes (plain pandas), not the reader."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import hspwork
from hspwork.errors import HspworkError
from hspwork.report import report_of
from hspwork.sample import write_police_uk_archive
from hspwork.sample.__main__ import main
from hspwork.sample.archive import OUTCOME_COLUMNS, STREET_COLUMNS

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
SOURCE = SAMPLE / "crimes_police_uk.csv"


@pytest.fixture(scope="module")
def source():
    return pd.read_csv(SOURCE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("archive")
    return write_police_uk_archive(out, SOURCE)


def test_layout_is_the_police_uk_archive(archive, source):
    months = sorted(source["Month"].unique())
    twice = months[len(months) // 2]
    assert archive.twice == twice
    assert archive.downloads == (f"{months[0]}_to_{twice}", f"{twice}_to_{months[-1]}")
    rel = [str(p.relative_to(archive.out_dir)) for p in archive.street_files]
    assert len(rel) == len(months) + 1
    for r in rel:
        assert re.fullmatch(r"\d{4}-\d{2}_to_\d{4}-\d{2}/(\d{4}-\d{2})/\1-sampleton-street\.csv", r)
    assert sum(r.endswith(f"/{twice}/{twice}-sampleton-street.csv") for r in rel) == 2
    for p in archive.street_files:
        month = p.parent.name
        table = pd.read_csv(p, dtype=str, keep_default_na=False)
        assert tuple(table.columns) == STREET_COLUMNS
        assert set(table["Month"]) == {month}  # month granularity, one month a file
        assert (p.parent / f"{month}-sampleton-outcomes.csv").is_file()
    for p in archive.outcome_files:
        assert tuple(pd.read_csv(p, dtype=str, nrows=0).columns) == OUTCOME_COLUMNS


def test_each_month_file_holds_the_source_rows(archive, source):
    first = {p.parent.name: p for p in archive.street_files if archive.downloads[0] in str(p)}
    second = {p.parent.name: p for p in archive.street_files if archive.downloads[1] in str(p)}
    for month, rows in source.groupby("Month", sort=True):
        path = first.get(month) or second[month]
        written = pd.read_csv(path, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(written, rows.reset_index(drop=True))
    # the republished copy: same crimes in the same order, every tenth crime's outcome moved on
    again = pd.read_csv(second[archive.twice], dtype=str, keep_default_na=False)
    orig = source[source["Month"] == archive.twice].reset_index(drop=True)
    cols = [c for c in STREET_COLUMNS if c != "Last outcome category"]
    pd.testing.assert_frame_equal(again[cols], orig[cols])
    changed = (again["Last outcome category"] != orig["Last outcome category"]).sum()
    with_id = (orig["Crime ID"] != "").to_numpy().nonzero()[0]
    could = (
        orig.loc[with_id[::10], "Last outcome category"]
        != "Investigation complete; no suspect identified"
    ).sum()
    assert changed == could > 0


def test_reading_the_folder_counts_by_the_source(archive, source):
    # Worked out from the source crimes alone.
    located = (source["Longitude"] != "") & (source["Latitude"] != "")
    has_id = source["Crime ID"] != ""
    in_twice = source["Month"] == archive.twice
    n_months = source["Month"].nunique()
    with pytest.warns(hspwork.DataDroppedWarning):
        crimes = hspwork.read_crimes(archive.out_dir)
    rep = report_of(crimes)
    assert rep.rows_read == len(source) + int(in_twice.sum())
    assert rep.rows_kept == int(located.sum())
    assert rep.dropped == {
        "no location": int((~located).sum() + (~located & in_twice).sum()),
        "duplicate Crime ID (already read from another file)": int(
            (located & has_id & in_twice).sum()
        ),
        "row without a Crime ID already read from another file": int(
            (located & ~has_id & in_twice).sum()
        ),
    }
    assert f"skipped {n_months + 1} police.uk outcomes files" in rep.notes
    by_file = rep.by_file()
    assert len(by_file) == n_months + 1
    second_copy = by_file[
        by_file["source"].str.contains(f"{archive.downloads[1]}/{archive.twice}/")
    ]
    assert second_copy["rows_kept"].tolist() == [0]
    # the crimes kept are those of the single file, first listings (the first download's) kept
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = hspwork.read_crimes(SOURCE)
    pd.testing.assert_frame_equal(crimes, single)


def test_the_archive_is_the_same_bytes_each_time(tmp_path, archive):
    again = write_police_uk_archive(tmp_path / "again", SOURCE)
    assert sorted(again.rows) == sorted(archive.rows)
    for rel in archive.rows:
        a = hashlib.sha256((archive.out_dir / rel).read_bytes()).hexdigest()
        b = hashlib.sha256((again.out_dir / rel).read_bytes()).hexdigest()
        assert a == b, rel


def test_cli_writes_the_archive(tmp_path):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            ["--archive", str(tmp_path / "puk"), "--source", str(SOURCE), "--twice", "2024-06"]
        )
    assert code == 0
    assert "2024-06 is in both" in buf.getvalue()
    assert len(list((tmp_path / "puk").rglob("2024-06-sampleton-street.csv"))) == 2
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["--archive", str(tmp_path / "x"), "--source", str(tmp_path / "none.csv")]) == 2
    assert "is not a file" in err.getvalue()
    with pytest.raises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
        main([])


def test_bad_arguments_are_named(tmp_path, source):
    with pytest.raises(HspworkError, match=r"twice='2030-01' is not a month of the data"):
        write_police_uk_archive(tmp_path, source, twice="2030-01")
    with pytest.raises(HspworkError, match=r"lacks police.uk column\(s\) \['Crime type'\]"):
        write_police_uk_archive(tmp_path, source.drop(columns="Crime type"))
