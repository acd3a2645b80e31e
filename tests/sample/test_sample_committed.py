"""The committed sample in data/sample is exactly what the generator writes today."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hspwork.sample import DEFAULT_SEED, FILES, load_truth
from hspwork.sample.__main__ import main

# Regenerates the whole sample town (several seconds each): full suite only.
pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fresh_sample")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["--out", str(folder), "--seed", str(DEFAULT_SEED)])
    assert code == 0
    return folder, buf.getvalue()


@pytest.fixture(scope="module")
def fresh(fresh_run):
    return fresh_run[0]


@pytest.mark.parametrize("name", [f for f in FILES if not f.endswith(".parquet")])
def test_sample_committed_text_files_equal_regeneration(fresh, name):
    committed = hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest()
    regenerated = hashlib.sha256((fresh / name).read_bytes()).hexdigest()
    assert committed == regenerated, f"{name}: run `python -m hspwork.sample --out data/sample`"


@pytest.mark.parametrize("name", [f for f in FILES if f.endswith(".parquet")])
def test_sample_committed_parquet_equals_regeneration(fresh, name):
    # Parquet footers name the writing library's version, so compare the data, and the bytes
    # when the footer was written by the same pyarrow
    a, b = pq.read_table(SAMPLE / name), pq.read_table(fresh / name)
    assert a.schema.equals(b.schema)
    assert a.equals(b)
    if (
        pq.ParquetFile(SAMPLE / name).metadata.created_by
        == pq.ParquetFile(fresh / name).metadata.created_by
    ):
        assert (SAMPLE / name).read_bytes() == (fresh / name).read_bytes()


def test_sample_total_size_within_budget():
    total = sum(p.stat().st_size for p in SAMPLE.iterdir() if p.is_file())
    assert total <= 25 * 1024**2, f"{total / 1024**2:.1f} MB"
    assert sorted(p.name for p in SAMPLE.iterdir() if p.is_file()) == sorted(FILES)


def test_sample_cli_prints_row_counts(fresh_run):
    folder, out = fresh_run
    truth = load_truth(folder)
    for name, n in truth["rows"].items():
        assert re.search(rf"{re.escape(name)}\s+{n:,} rows", out), name
    assert f"seed {DEFAULT_SEED}" in out
