"""Read crimes, officer pings, fences and streets from the files analysts have; lose no row.

Every loader returns a frame whose ``attrs["load_report"]`` holds a load report in JSON form
(so the frame saves with ``to_parquet``/``to_file`` as it is); :func:`hspwork.report.report_of`
gives it back as a :class:`~hspwork.report.LoadReport`: rows read = rows kept + rows dropped,
by reason, with one part per file when several were read. A
:class:`~hspwork.errors.DataDroppedWarning` summarises any drops. A file that cannot be read at
all raises an :class:`~hspwork.errors.HspworkError` that names what is wrong and how to fix it;
no other exception escapes a loader on bad data.

Modules, one idea each:

* :mod:`~hspwork.io.sources` - a file, a list, a glob or a folder (police.uk archives);
* :mod:`~hspwork.io.table` - one CSV as text: encodings, blank and cut-short lines;
* :mod:`~hspwork.io.columns` - column spellings; :mod:`~hspwork.io.times` - times to UTC;
  :mod:`~hspwork.io.coords` - positions to metres and the Great Britain rule;
* :mod:`~hspwork.io.combine` - many files as one, repeats across files;
* :mod:`~hspwork.io.crimes`, :mod:`~hspwork.io.pings`, :mod:`~hspwork.io.vector` - the loaders;
* :mod:`~hspwork.io.crs_column` - the pings' CRS in a ``crs`` column (:func:`ping_crs`);
* atomic saves are :mod:`hspwork.safe` (re-exported here as ``atomic_write``, ``save_atomic``).

Time windows are half-open: a crime in ``[occurred_from, occurred_to)``, with
``occurred_from == occurred_to`` for an exact time. Times are tz-aware UTC. Local clock times
need ``tz=`` (UK exports: ``tz="Europe/London"``); across the October clock change a repeated
local hour is resolved from each device's order of records.
"""

from hspwork.io.crimes import POLICE_UK_COLUMNS, read_crimes
from hspwork.io.crs_column import CRS_COLUMN, ping_crs, set_ping_crs
from hspwork.io.pings import PING_SOURCES, normalise_officer_ids, read_pings
from hspwork.io.table import read_table
from hspwork.io.vector import read_fences, read_streets, write_fences
from hspwork.safe import atomic_write, save_atomic

__all__ = [
    "CRS_COLUMN",
    "PING_SOURCES",
    "POLICE_UK_COLUMNS",
    "atomic_write",
    "normalise_officer_ids",
    "ping_crs",
    "read_crimes",
    "read_fences",
    "read_pings",
    "read_streets",
    "read_table",
    "save_atomic",
    "set_ping_crs",
    "write_fences",
]
