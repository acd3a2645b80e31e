"""Atomic saves: a file is replaced whole or not at all.

A writer that fails half way (a driver error, a full disk, an interrupted notebook) must not
leave a user's saved work empty or half written. :func:`atomic_write` gives the writer a
temporary path in the same folder (so that the final rename never crosses file systems); when
the writer returns, the temporary file is flushed to disk and ``os.replace``d onto the target,
which is atomic on POSIX and Windows. When the writer raises, the temporary file is removed and
the old file is left exactly as it was.

Single-file formats only: a Shapefile's sidecar files are not replaced together.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from hspwork.errors import HspworkError

__all__ = ["atomic_write", "save_atomic"]


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
