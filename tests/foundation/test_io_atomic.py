"""Atomic saves: a file is replaced whole or not at all (hspwork.safe.atomic_write, save_atomic)."""

import json
import os
import stat

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from hspwork.errors import HspworkError
from hspwork.io import atomic_write, save_atomic


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_success_replaces_and_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "visits.csv"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt):  # even an interrupted notebook cell
        with atomic_write(target) as tmp:
            assert tmp.parent == target.parent and tmp.name.startswith(".visits.")
            assert tmp.suffix == ".csv"  # drivers pick the format from it
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert listing(tmp_path) == ["visits.csv"]
    with atomic_write(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n"
    assert listing(tmp_path) == ["visits.csv"]


def test_a_writer_that_writes_nothing_is_a_failure(tmp_path):
    target = tmp_path / "a.csv"
    target.write_text("kept")
    with pytest.raises(HspworkError, match="nothing was written"):
        with atomic_write(target):
            pass
    assert target.read_text() == "kept"


def test_folders_are_made_and_refused_as_targets(tmp_path):
    with atomic_write(tmp_path / "new" / "deep" / "x.txt") as tmp:
        tmp.write_text("x")
    assert (tmp_path / "new" / "deep" / "x.txt").read_text() == "x"
    with pytest.raises(HspworkError, match="is a folder"):
        with atomic_write(tmp_path / "new"):
            pass


@pytest.mark.skipif(os.name != "posix", reason="permission bits")
def test_permission_bits_of_the_old_file_are_kept(tmp_path):
    target = tmp_path / "shared.csv"
    target.write_text("x")
    os.chmod(target, 0o640)
    with atomic_write(target) as tmp:
        tmp.write_text("y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_save_atomic_writes_each_kind(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert save_atomic(df, tmp_path / "t.csv").read_text() == "a,b\n1,x\n2,y\n"
    pd.testing.assert_frame_equal(pd.read_parquet(save_atomic(df, tmp_path / "t.parquet")), df)
    g = gpd.GeoDataFrame({"n": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=27700)
    assert len(gpd.read_file(save_atomic(g, tmp_path / "t.gpkg"))) == 1
    assert json.loads(save_atomic({"k": [1, "é"]}, tmp_path / "b.json").read_text()) == {
        "k": [1, "é"]
    }
    assert save_atomic("<p>page</p>", tmp_path / "p.html").read_text() == "<p>page</p>"
    assert save_atomic(b"\x00\x01", tmp_path / "raw.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(HspworkError, match=r"cannot write a DataFrame to 't.xlsx'"):
        save_atomic(df, tmp_path / "t.xlsx")
    assert "t.xlsx" not in listing(tmp_path)


def test_save_atomic_failure_leaves_the_work_folder_file(tmp_path):
    target = save_atomic(pd.DataFrame({"a": [1]}), tmp_path / "dosage.csv")
    bad = pd.DataFrame({"a": [object()]})
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow raises, nothing is lost
        save_atomic(bad, tmp_path / "dosage.parquet")
    assert target.read_text() == "a\n1\n"
    assert listing(tmp_path) == ["dosage.csv"]
