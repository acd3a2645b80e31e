"""Outputs that are safe to share and to keep: atomic saves, neutral spreadsheets, contained names.

* :func:`atomic_path` - write to a temporary file beside the target, then replace it in one
  step; a failed write leaves the old file as it was.
* :func:`neutralise_cells` / :func:`restore_cells` - CSV cells that a spreadsheet would run as
  a formula (OWASP's CSV injection: ``=``, ``+``, ``-``, ``@``, tab, carriage return) get a
  leading ``'``; numbers stay numbers.
* :func:`safe_filename` and :func:`contained` - file names built from data (a shift called
  ``early/../../../x``) never leave the folder asked for.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from hspwork.errors import HspworkError

__all__ = ["atomic_path", "contained", "neutralise_cells", "restore_cells", "safe_filename"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a spreadsheet formula.

    Text cells beginning with ``=``, ``+``, ``-``, ``@``, tab, carriage return (or ``'``, so
    the escape itself round-trips) get a leading ``'``. Numeric columns are left alone.

    Examples
    --------
    >>> t = pd.DataFrame({"a": ["=1+1", "+44 7700", "-x", "@SUM(A1)", "ok"], "n": [-1, 2, 3, 4, 5]})
    >>> out = neutralise_cells(t)
    >>> out["a"].tolist(), out["n"].tolist()
    (["'=1+1", "'+44 7700", "'-x", "'@SUM(A1)", 'ok'], [-1, 2, 3, 4, 5])
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        text = values.map(
            lambda v: "'" + v if isinstance(v, str) and v.startswith(_TRIGGERS) else v
        )
        out[column] = text
    return out


def restore_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_cells` on a frame read back from CSV.

    Examples
    --------
    >>> t = pd.DataFrame({"a": ["'=1+1", "''quoted", "plain"]})
    >>> restore_cells(t)["a"].tolist()
    ['=1+1', "'quoted", 'plain']
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: v[1:] if isinstance(v, str) and v.startswith("'") else v
            )
    return out


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; on success it replaces ``path`` in one step.

    A failed write (an exception inside the block) removes the temporary file and leaves any
    existing ``path`` exactly as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "fences.csv"
    >>> _ = target.write_text("old")
    >>> try:
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("half")
    ...         raise OSError("disk full")
    ... except OSError:
    ...     pass
    >>> target.read_text()
    'old'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers that refuse to overwrite (GDAL drivers) get a fresh name
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def safe_filename(text: object, *, max_length: int = 80) -> str:
    """A file-name part built from data: letters, digits, ``-``, ``_`` and ``.`` only.

    Path separators, ``..``, control characters and anything else become ``_``; the result is
    never empty, never hidden (no leading dot) and at most ``max_length`` characters.

    Examples
    --------
    >>> safe_filename("early/../../../x")
    'early_.._.._.._x'
    >>> safe_filename("..")
    '_..'
    >>> safe_filename("Nuit blanche: 23\u201307")
    'Nuit_blanche_23_07'
    >>> safe_filename("")
    '_'
    """
    # Accents go (é -> e); every other character outside the safe set becomes "_".
    decomposed = unicodedata.normalize("NFKD", str(text))
    name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_ ")
    name = re.sub(r"_+", "_", name)[:max_length] or "_"
    if name.startswith("."):
        name = "_" + name
    return name


def contained(root: str | Path, *parts: str) -> Path:
    """``root / parts``, refused if it would lie outside ``root`` (after resolving links).

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> contained(root, "sheets", "a.csv").name
    'a.csv'
    >>> contained(root, "..", "x.csv")
    Traceback (most recent call last):
    ...
    hspwork.errors.HspworkError: refusing to write outside ...
    """
    base = Path(root).resolve()
    path = base.joinpath(*parts).resolve()
    if path != base and base not in path.parents:
        raise HspworkError(f"refusing to write outside {base}: {path} (a name built from data?)")
    return path
