"""The sample town's crimes as a force's open-data download: a police.uk archive folder.

data.police.uk serves street-level crimes as a zip per download, unpacking to one folder per
month, ``YYYY-MM/YYYY-MM-<force>-street.csv``, with the month's ``-outcomes.csv`` beside it. An
analyst who downloads a new range later unpacks the second zip beside the first, and the month
where the two ranges meet is there twice. :func:`write_police_uk_archive` writes the sample's
``crimes_police_uk.csv`` in that shape:

* ``<first>_to_<twice>/`` and ``<twice>_to_<last>/``: two downloads unpacked side by side,
  the month ``twice`` in both;
* in each month folder the street file (police.uk's columns and month granularity, its
  anonymised points, rows without a location, anti-social behaviour without a Crime ID) and an
  outcomes file (``Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location,
  LSOA code, LSOA name, Outcome type``) for the month's crimes with an outcome;
* the second copy of ``twice`` is the same crimes as police.uk republished them: the same rows,
  with the outcome of every tenth crime moved on to a final one (so the copies differ, as
  re-downloads do, while the crimes are the same).

Reading the folder with :func:`hspwork.read_crimes` gives the crimes of ``crimes_police_uk.csv``
once each; the report counts the second copy's rows as already read from another file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError
from hspwork.sample import _write

__all__ = ["ARCHIVE_FORCE", "ArchiveSummary", "write_police_uk_archive"]

#: The force's name as police.uk file names spell it.
ARCHIVE_FORCE = "sampleton"

STREET_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)  # fmt: skip
OUTCOME_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Outcome type",
)  # fmt: skip
_REPUBLISHED_OUTCOME = "Investigation complete; no suspect identified"


@dataclass
class ArchiveSummary:
    """What :func:`write_police_uk_archive` wrote.

    Attributes
    ----------
    out_dir : Path
        The archive folder.
    twice : str
        The month present in both downloads (``YYYY-MM``).
    downloads : tuple[str, str]
        The two download folders' names.
    street_files : list[Path]
        Every street-level file, in path order (the month ``twice`` appears twice).
    outcome_files : list[Path]
        Every outcomes file.
    rows : dict[str, int]
        Data rows per file, by path relative to ``out_dir``.
    """

    out_dir: Path
    twice: str
    downloads: tuple[str, str]
    street_files: list[Path] = field(default_factory=list)
    outcome_files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines for a terminal."""
        n_street = sum(v for k, v in self.rows.items() if k.endswith("-street.csv"))
        return "\n".join(
            [
                f"police.uk archive written to {self.out_dir}",
                f"  {len(self.street_files)} street files ({n_street:,} rows) in "
                f"{self.downloads[0]}/ and {self.downloads[1]}/; {self.twice} is in both",
                f"  {len(self.outcome_files)} outcomes files beside them",
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def _read_source(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.is_file():
            raise HspworkError(
                f"{path} is not a file: give the sample's crimes_police_uk.csv (write the "
                "sample first with python -m hspwork.sample --out data/sample)"
            )
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in STREET_COLUMNS if c not in frame.columns]
    if missing:
        raise HspworkError(
            f"the source lacks police.uk column(s) {missing}; it has {list(frame.columns)}"
        )
    return frame[list(STREET_COLUMNS)].astype(str)


def write_police_uk_archive(
    out_dir: str | Path,
    source: str | Path | pd.DataFrame,
    *,
    twice: str | None = None,
    force: str = ARCHIVE_FORCE,
) -> ArchiveSummary:
    """Write police.uk street-level crimes as an archive folder, one month downloaded twice.

    Parameters
    ----------
    out_dir : str or Path
        The archive folder (created; files already there with the same names are replaced).
    source : path or DataFrame
        Crimes in the police.uk street-level columns: the sample's ``crimes_police_uk.csv``.
    twice : str, optional
        The month (``YYYY-MM``) in both downloads; default the middle month of the data.
    force : str
        The force's name in the file names (police.uk writes e.g. ``west-midlands``).

    Returns
    -------
    ArchiveSummary

    Examples
    --------
    >>> import tempfile
    >>> src = pd.DataFrame({c: ["", ""] for c in STREET_COLUMNS})
    >>> src["Month"] = ["2024-05", "2024-06"]
    >>> s = write_police_uk_archive(tempfile.mkdtemp(), src, twice="2024-06")
    >>> sorted(s.rows)
    ['2024-05_to_2024-06/2024-05/2024-05-sampleton-outcomes.csv', '2024-05_to_2024-06/2024-05/2024-05-sampleton-street.csv', '2024-05_to_2024-06/2024-06/2024-06-sampleton-outcomes.csv', '2024-05_to_2024-06/2024-06/2024-06-sampleton-street.csv', '2024-06_to_2024-06/2024-06/2024-06-sampleton-outcomes.csv', '2024-06_to_2024-06/2024-06/2024-06-sampleton-street.csv']
    """
    crimes = _read_source(source)
    months = sorted(set(crimes["Month"]) - {""})
    if not months:
        raise HspworkError("the source has no month to write (its Month column is empty)")
    if twice is None:
        twice = months[len(months) // 2]
    if twice not in months:
        raise HspworkError(
            f"twice={twice!r} is not a month of the data ({months[0]} .. {months[-1]})"
        )
    out = Path(out_dir)
    first = [m for m in months if m <= twice]
    second = [m for m in months if m >= twice]
    downloads = (f"{first[0]}_to_{twice}", f"{twice}_to_{second[-1]}")
    summary = ArchiveSummary(out, twice, downloads)
    for folder, these in zip(downloads, (first, second), strict=True):
        for month in these:
            rows = crimes[crimes["Month"] == month].reset_index(drop=True)
            if folder == downloads[1] and month == twice:
                rows = _republished(rows)
            d = out / folder / month
            d.mkdir(parents=True, exist_ok=True)
            street = d / f"{month}-{force}-street.csv"
            _write.write_csv(rows, street)
            outcomes = d / f"{month}-{force}-outcomes.csv"
            has = (rows["Crime ID"] != "") & (rows["Last outcome category"] != "")
            table = rows.loc[has, list(OUTCOME_COLUMNS[:-1])].assign(
                **{"Outcome type": rows.loc[has, "Last outcome category"]}
            )
            _write.write_csv(table, outcomes)
            summary.street_files.append(street)
            summary.outcome_files.append(outcomes)
            summary.rows[str(street.relative_to(out))] = len(rows)
            summary.rows[str(outcomes.relative_to(out))] = len(table)
    summary.street_files.sort()
    summary.outcome_files.sort()
    return summary


def _republished(rows: pd.DataFrame) -> pd.DataFrame:
    """The month as a later download has it: every tenth crime's outcome has moved on."""
    out = rows.copy()
    crime = np.flatnonzero((out["Crime ID"] != "").to_numpy())
    moved = crime[::10]
    out.loc[moved, "Last outcome category"] = _REPUBLISHED_OUTCOME
    return out
