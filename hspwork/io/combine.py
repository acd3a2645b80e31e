"""Reading several files as one: load each, stack them, and find rows listed twice.

Rules for repeats (each stated in the loaders' docstrings and counted by reason):

* a record with an identifier (police.uk Crime ID, a force's crime reference) is kept at its
  first usable listing; a later listing in the same file is a "duplicate", one in another file
  (the same month downloaded twice) is counted apart, as "... (already read from another
  file)";
* a police.uk row without a Crime ID (anti-social behaviour) may legitimately repeat within a
  file (two incidents in a month at one anonymised point). Across files, a row is kept as many
  times as the one file that lists it most often holds it (:func:`repeats_from_other_files`),
  so a month downloaded twice is counted once and the file's own repeats stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hspwork.io.sources import Source
from hspwork.io.table import PARQUET_SUFFIXES, TableRead, charge_lines, read_text_table
from hspwork.io.vector import read_parquet_maybe_geo, read_vector
from hspwork.report import RowLedger

OTHER_FILE = "already read from another file"


@dataclass
class Loaded:
    """One input as read: its raw table, the lines that were not rows, notes; geo or not."""

    name: str
    raw: pd.DataFrame
    bad: np.ndarray
    notes: list[str] = field(default_factory=list)
    geo: bool = False


def load_source(source: Source, layer: str | None = None, vector: bool = True) -> Loaded:
    """Read one input: a frame as it is, a CSV/TSV as text, Parquet, or a vector file."""
    if source.frame is not None:
        raw = source.frame.reset_index(drop=True)
        geo = isinstance(raw, gpd.GeoDataFrame)
        return Loaded(source.name, raw, np.full(len(raw), "", dtype=object), geo=geo)
    path = Path(source.path)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        got = read_parquet_maybe_geo(path) if vector else read_text_table(path)
        if isinstance(got, gpd.GeoDataFrame):
            return Loaded(source.name, got, np.full(len(got), "", dtype=object), geo=True)
    elif suffix in (".csv", ".txt", ".tsv") or not vector:
        got = read_text_table(path)
    else:
        raw = read_vector(path, layer)
        return Loaded(source.name, raw, np.full(len(raw), "", dtype=object), geo=True)
    assert isinstance(got, TableRead)
    return Loaded(source.name, got.frame, got.bad, list(got.notes))


def charge_unreadable_lines(parts: list[Loaded], ledger: RowLedger) -> None:
    """Drop each file's lines that were not rows (blank, cut short...), by their reason."""
    charge_lines(np.concatenate([p.bad for p in parts]), ledger)


def first_listing(
    key: np.ndarray,
    valid: np.ndarray,
    file_idx: np.ndarray,
    ledger: RowLedger,
    reason: str,
) -> None:
    """Keep the first kept row of each ``key`` among ``valid`` rows; drop later ones.

    A repeat in the same file as the first listing is charged to ``reason``; one in another
    file to ``reason (already read from another file ...)``.
    """
    rows = np.flatnonzero(ledger.keep & valid)
    if len(rows) == 0:
        return
    codes, _ = pd.factorize(pd.Series(key[rows]))
    _, first = np.unique(codes, return_index=True)
    first_row = rows[first][codes]
    dup = first_row != rows
    same = np.zeros(ledger.n_rows, dtype=bool)
    other = np.zeros(ledger.n_rows, dtype=bool)
    same_file = file_idx[first_row] == file_idx[rows]
    same[rows[dup & same_file]] = True
    other[rows[dup & ~same_file]] = True
    ledger.drop(same, reason)
    if ledger.drop(other, f"{reason} ({OTHER_FILE})"):
        note_overlap(ledger)


def repeats_from_other_files(key: np.ndarray, file_idx: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows (among ``mask``) that an earlier file already lists as often.

    For each key and file, the rows are numbered 0, 1, ... in file order. Row number ``r`` of a
    key in file ``f`` repeats an earlier file when some earlier file holds the key more than
    ``r`` times. What is left of a key is then as many rows as the one file that has it most.

    Examples
    --------
    >>> key = np.array([7, 7, 7, 7, 7, 9])
    >>> f = np.array([0, 0, 1, 1, 1, 1])      # file 0 lists 7 twice, file 1 three times
    >>> repeats_from_other_files(key, f, np.ones(6, bool)).tolist()
    [False, False, True, True, False, False]
    """
    out = np.zeros(len(key), dtype=bool)
    rows = np.flatnonzero(mask)
    if len(rows) == 0 or len(np.unique(file_idx[rows])) < 2:
        return out
    sub = pd.DataFrame({"k": key[rows], "f": file_idx[rows]})
    rank = sub.groupby(["k", "f"], sort=False).cumcount().to_numpy()
    counts = sub.groupby(["k", "f"], sort=True).size().rename("n").reset_index()
    # the most any earlier file holds of the key
    counts["prev"] = counts.groupby("k")["n"].shift().fillna(0)
    counts["prev"] = counts.groupby("k")["prev"].cummax()
    prev = sub.merge(counts[["k", "f", "prev"]], on=["k", "f"], how="left")["prev"].to_numpy()
    out[rows] = rank < prev
    return out


def note_overlap(ledger: RowLedger) -> None:
    """Say once why rows "already read from another file" were dropped."""
    ledger.note(
        "files overlap (the same month downloaded twice, or two downloads unpacked side by "
        "side): a record listed in more than one file is counted once, at its first file"
    )


def file_index(parts: list[Loaded]) -> np.ndarray:
    """The file number of each stacked row."""
    return np.repeat(np.arange(len(parts)), [len(p.raw) for p in parts])


def group_notes(parts: list[Loaded]) -> dict[int, list[str]]:
    """Each file's own notes (encoding, a missing final line break), for the per-file report."""
    return {i: list(p.notes) for i, p in enumerate(parts) if p.notes}
