"""Row accounting: every loader and cleaner says what it read, kept and dropped, and why.

A :class:`RowLedger` follows a frame through a sequence of checks; each check marks rows to
drop with a reason, and a row is charged to the first reason that catches it, so
``rows_read == rows_kept + sum(dropped.values())`` holds by construction. The resulting
:class:`LoadReport` travels with the frame in ``frame.attrs["load_report"]``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hspwork.errors import DataDroppedWarning


@dataclass(frozen=True)
class LoadReport:
    """What happened to the rows of one input.

    Attributes
    ----------
    source : str
        The file or description of the input.
    rows_read : int
        Data rows found in the input (header excluded).
    rows_kept : int
        Rows in the returned frame.
    dropped : dict[str, int]
        Reason -> number of rows dropped for it (each row counted once, at its first reason).
    notes : tuple[str, ...]
        Things done to kept rows that a user should know (for example a time shifted across a
        clock change).

    Examples
    --------
    >>> r = LoadReport("x.csv", rows_read=5, rows_kept=3, dropped={"no location": 2})
    >>> r.summary()
    'x.csv: read 5 rows, kept 3, dropped 2 (no location: 2)'
    """

    source: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        total = self.rows_kept + sum(self.dropped.values())
        if total != self.rows_read:
            raise AssertionError(
                f"row accounting broken for {self.source}: read {self.rows_read}, "
                f"kept {self.rows_kept} + dropped {sum(self.dropped.values())} = {total}"
            )

    @property
    def rows_dropped(self) -> int:
        """Total rows dropped, over all reasons."""
        return int(sum(self.dropped.values()))

    def summary(self) -> str:
        """One line a user can read."""
        text = f"{self.source}: read {self.rows_read} rows, kept {self.rows_kept}"
        if self.dropped:
            reasons = ", ".join(f"{k}: {v}" for k, v in self.dropped.items())
            text += f", dropped {self.rows_dropped} ({reasons})"
        return text

    def to_frame(self) -> pd.DataFrame:
        """The report as a tidy frame: one row per outcome (kept, or a drop reason)."""
        rows = [("kept", self.rows_kept), *self.dropped.items()]
        return pd.DataFrame(rows, columns=["outcome", "rows"]).assign(source=self.source)

    def warn(self, stacklevel: int = 3) -> None:
        """Issue a :class:`DataDroppedWarning` when any row was dropped."""
        if self.dropped:
            warnings.warn(self.summary(), DataDroppedWarning, stacklevel=stacklevel)

    def _repr_html_(self) -> str:  # shown in notebooks
        return self.to_frame().to_html(index=False)


class RowLedger:
    """Track which rows of an input survive a sequence of checks.

    Parameters
    ----------
    n_rows : int
        Rows read.
    source : str
        Name used in the report.

    Examples
    --------
    >>> ledger = RowLedger(4, "demo")
    >>> ledger.drop(np.array([True, False, False, True]), "empty")
    2
    >>> ledger.drop(np.array([True, True, False, False]), "duplicate")  # row 0 already gone
    1
    >>> ledger.report().dropped
    {'empty': 2, 'duplicate': 1}
    """

    def __init__(self, n_rows: int, source: str) -> None:
        self.n_rows = int(n_rows)
        self.source = source
        self.keep = np.ones(self.n_rows, dtype=bool)
        self.dropped: dict[str, int] = {}
        self.notes: list[str] = []

    def drop(self, mask: np.ndarray | pd.Series, reason: str) -> int:
        """Drop the rows in ``mask`` that are still kept, charging them to ``reason``."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.keep.shape:
            raise ValueError(f"mask has shape {mask.shape}, expected {self.keep.shape}")
        newly = mask & self.keep
        count = int(newly.sum())
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + count
            self.keep &= ~newly
        return count

    def note(self, text: str) -> None:
        """Record something done to kept rows."""
        self.notes.append(text)

    def report(self) -> LoadReport:
        """The finished report."""
        return LoadReport(
            source=self.source,
            rows_read=self.n_rows,
            rows_kept=int(self.keep.sum()),
            dropped=dict(self.dropped),
            notes=tuple(self.notes),
        )


def report_of(frame: Any, key: str = "load_report") -> LoadReport:
    """The report a loader or cleaner attached to ``frame`` (``attrs[key]``).

    Raises
    ------
    HspworkError
        When the frame carries no such report (it was rebuilt by pandas, which drops attrs).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"a": [1]})
    >>> f.attrs["load_report"] = LoadReport("x.csv", 2, 1, {"no location": 1})
    >>> report_of(f).rows_dropped
    1
    """
    from hspwork.errors import HspworkError

    value = getattr(frame, "attrs", {}).get(key)
    if isinstance(value, LoadReport):
        return value
    if isinstance(value, dict) and hasattr(LoadReport, "from_dict"):
        return LoadReport.from_dict(value)
    raise HspworkError(
        f"this frame carries no {key!r}; reports are attached by hspwork's loaders and cleaners "
        "and are not kept by pandas operations that build a new frame"
    )
