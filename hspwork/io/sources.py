"""What to read: a file, a list of files, a glob, or a folder (the police.uk archive layout).

A police.uk download unpacks into one folder per month, ``YYYY-MM/YYYY-MM-<force>-street.csv``,
with the month's ``-outcomes.csv`` and ``-stop-and-search.csv`` beside it. A folder is searched
to any depth for tables (``.csv``, ``.tsv``, ``.parquet``); police.uk outcomes and
stop-and-search files are not crimes and are skipped with a note, as are hidden files, the
``__MACOSX`` folders a Mac adds to a zip, and files that are not tables (a ``.zip`` left packed
is named so that it can be unpacked). Files are read in path order, so months come in order.
"""

from __future__ import annotations

import glob as globlib
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hspwork.errors import HspworkError

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")
_POLICE_UK_OTHER = re.compile(r"^\d{4}-\d{2}-.+-(outcomes|stop-and-search)\.csv$", re.I)
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass
class Source:
    """One input: a path, or a frame given directly."""

    name: str
    path: Path | None = None
    frame: pd.DataFrame | None = None


@dataclass
class Sources:
    """The inputs a loader reads, what to call them together, and what was skipped."""

    label: str
    items: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _hidden(parts) -> bool:
    """A hidden file or folder, or the __MACOSX folder a Mac adds to a zip: never data."""
    return any(
        (part.startswith(".") and part not in (".", "..")) or part == "__MACOSX" for part in parts
    )


def _walk(folder: Path, skipped: Counter, packed: list[str]) -> list[Path]:
    found = []
    for p in sorted(folder.rglob("*")):
        if _hidden(p.relative_to(folder).parts):
            if p.is_file():
                skipped["hidden or __MACOSX file"] += 1
            continue
        if not p.is_file():
            continue
        suffix = p.suffix.lower()
        if suffix == ".zip":
            packed.append(str(p.relative_to(folder)))
        elif suffix in TABLE_SUFFIXES:
            found.append(p)
        else:
            skipped[f"{suffix or 'no suffix'} file"] += 1
    return found


def resolve_sources(spec, *, police_uk_extras: bool = True) -> Sources:
    """Turn a loader's ``path`` argument into the list of inputs to read.

    ``spec`` is a path (file or folder), a glob pattern (``"downloads/*/2024-*-street.csv"``), a
    DataFrame, or a list or tuple of any of these.

    Raises
    ------
    HspworkError
        When a path does not exist, a glob matches nothing, or nothing readable is left.
    """
    items: list[Source] = []
    notes: list[str] = []
    skipped: Counter = Counter()
    packed: list[str] = []
    specs = list(spec) if isinstance(spec, list | tuple) else [spec]
    if not specs:
        raise HspworkError("no input given: pass a file, a list of files, a glob or a folder")
    n_frames = 0
    for s in specs:
        if isinstance(s, pd.DataFrame):
            n_frames += 1
            items.append(Source("table" if len(specs) == 1 else f"table {n_frames}", frame=s))
            continue
        if not isinstance(s, str | Path):
            raise HspworkError(
                f"cannot read {type(s).__name__}: give a file path, a folder, a glob pattern, a "
                "DataFrame, or a list of these"
            )
        p = Path(s)
        if p.is_dir():
            items.extend(Source(str(f), f) for f in _walk(p, skipped, packed))
        elif p.exists():
            items.append(Source(str(p), p))
        elif _GLOB_CHARS.search(str(s)):
            matches = sorted(Path(m) for m in globlib.glob(str(s), recursive=True))
            # hidden parts count below the pattern's fixed folder only (~/.cache/x/*.csv is fine)
            fixed = Path(*itertools.takewhile(lambda q: not _GLOB_CHARS.search(q), p.parts))
            if not matches:
                raise HspworkError(f"the pattern {str(s)!r} matches no file")
            for m in matches:
                if m.is_dir():
                    items.extend(Source(str(f), f) for f in _walk(m, skipped, packed))
                elif _hidden(m.relative_to(fixed).parts):
                    skipped["hidden or __MACOSX file"] += 1
                else:
                    items.append(Source(str(m), m))
        else:
            raise HspworkError(f"{p} does not exist")
    # The same file named twice (a folder and a glob over it) is read once.
    seen: set[Path] = set()
    unique = []
    for it in items:
        key = it.path.resolve() if it.path is not None else None
        if key is not None and key in seen:
            skipped["file named twice (read once)"] += 1
            continue
        if key is not None:
            seen.add(key)
        unique.append(it)
    items = unique
    if police_uk_extras:
        kept = []
        for it in items:
            m = _POLICE_UK_OTHER.match(it.path.name) if it.path is not None else None
            if m:
                skipped[f"police.uk {m.group(1).lower()} file"] += 1
            else:
                kept.append(it)
        items = kept
    if skipped:
        what = ", ".join(_counted(kind, n) for kind, n in skipped.items())
        notes.append(f"skipped {what}")
    if packed:
        notes.append(
            f"{len(packed)} zip file(s) left packed and not read ({', '.join(packed[:3])}"
            f"{' ...' if len(packed) > 3 else ''}): unpack them to include them"
        )
    if not items:
        what = "; ".join(notes) if notes else "no .csv, .tsv or .parquet file"
        raise HspworkError(f"nothing to read in {_label(specs)}: {what}")
    label = items[0].name if len(items) == 1 else f"{_label(specs)} ({len(items)} files)"
    return Sources(label, items, notes)


def _counted(kind: str, n: int) -> str:
    """``n`` files of a kind, its word "file" made plural for more than one.

    Examples
    --------
    >>> _counted(".pdf file", 1), _counted(".pdf file", 2)
    ('1 .pdf file', '2 .pdf files')
    >>> _counted("file named twice (read once)", 3)
    '3 files named twice (read once)'
    """
    if n == 1:
        return f"1 {kind}"
    head, _, tail = kind.rpartition("file")
    return f"{n} {head}files{tail}"


def _label(specs) -> str:
    names = ["table" if isinstance(s, pd.DataFrame) else str(s) for s in specs]
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
