"""Outputs that are safe to share and to keep: atomic saves, neutral spreadsheets, contained names.

* :func:`atomic_write` and :func:`save_atomic` - write to a temporary file beside the target,
  flushed to disk, then replace the target in one step (atomic on POSIX and Windows); a failed
  write leaves the old file exactly as it was. Single-file formats only: a Shapefile's sidecar
  files are not replaced together.
* :func:`neutralise_cells` / :func:`restore_cells` - CSV cells that a spreadsheet would run as
  a formula (OWASP's CSV injection: ``=``, ``+``, ``-``, ``@``, tab, carriage return) get a
  leading ``'``; numbers stay numbers.
* :func:`safe_filename` and :func:`contained` - file names built from data (a shift called
  ``early/../../../x``) never leave the folder asked for.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from hspwork.errors import HspworkError

__all__ = [
    "atomic_write",
    "contained",
    "neutralise_cells",
    "restore_cells",
    "safe_filename",
    "save_atomic",
]

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


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Context manager: write to the yielded temporary path; on success it becomes ``path``.

    The temporary file sits beside ``path``, hidden (``.name.<random>.tmp<suffix>``, keeping the
    suffix that drivers such as GDAL pick a format from). The folder is created if needed. An
    existing file keeps its permission bits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = target.write_text("old")
    >>> try:
    ...     with atomic_write(target) as tmp:
    ...         _ = tmp.write_text("half writ")
    ...         raise RuntimeError("disk full")
    ... except RuntimeError:
    ...     pass
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('old', ['notes.txt'])
    >>> with atomic_write(target) as tmp:
    ...     _ = tmp.write_text("new")
    >>> target.read_text()
    'new'
    """
    target = Path(path)
    if target.is_dir():
        raise HspworkError(f"{target} is a folder; give the path of the file to write")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{secrets.token_hex(6)}.tmp{target.suffix}")
    try:
        yield tmp
        if not tmp.exists():
            raise HspworkError(f"nothing was written to the temporary file for {target}")
        _fsync(tmp)
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        # Drivers may leave side files (a GeoPackage's -journal/-wal) next to the temporary one.
        for side in target.parent.glob(tmp.name + "*"):
            with contextlib.suppress(OSError):
                side.unlink()
        raise


def save_atomic(obj, path: str | os.PathLike, **kwargs) -> Path:
    """Save a frame, text or bytes to ``path`` atomically; the suffix picks the writer.

    ``.csv`` -> ``DataFrame.to_csv`` (``index=False`` unless given), ``.parquet`` ->
    ``to_parquet``, ``.geojson``/``.gpkg``/``.kml`` -> ``GeoDataFrame.to_file``, ``.json`` ->
    ``json.dump`` of a dict or list (UTF-8, indented); a ``str`` is written as UTF-8 text and
    ``bytes`` as they are, whatever the suffix. ``kwargs`` go to the writer.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = save_atomic(pd.DataFrame({"a": [1, 2]}), pathlib.Path(tempfile.mkdtemp()) / "t.csv")
    >>> p.read_text()
    'a\\n1\\n2\\n'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    with atomic_write(target) as tmp:
        if isinstance(obj, bytes):
            tmp.write_bytes(obj)
        elif isinstance(obj, str):
            tmp.write_text(obj, encoding="utf-8", **kwargs)
        elif isinstance(obj, pd.DataFrame) and suffix == ".csv":
            obj.to_csv(tmp, **{"index": False, **kwargs})
        elif isinstance(obj, pd.DataFrame) and suffix in (".parquet", ".pq"):
            obj.to_parquet(tmp, **kwargs)
        elif isinstance(obj, pd.DataFrame) and suffix in (".geojson", ".gpkg", ".kml", ".fgb"):
            # the layer is named after the target, not the temporary file
            obj.to_file(tmp, **{"layer": target.stem, **kwargs})
        elif isinstance(obj, dict | list) and suffix == ".json":
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                json.dump(obj, fh, **{"indent": 2, "ensure_ascii": False, **kwargs})
                fh.write("\n")
        else:
            raise HspworkError(
                f"save_atomic cannot write a {type(obj).__name__} to {target.name!r}; it writes "
                "DataFrames to .csv/.parquet/.geojson/.gpkg/.kml/.fgb, dicts and lists to .json, "
                "str and bytes to any file (or use atomic_write with your own writer)"
            )
    return target


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
