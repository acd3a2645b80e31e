"""Row accounting: every loader and cleaner says what it read, kept and dropped, and why.

A :class:`RowLedger` follows a frame through a sequence of checks; each check marks rows to
drop with a reason, and a row is charged to the first reason that catches it, so
``rows_read == rows_kept + sum(dropped.values())`` holds by construction. The resulting
:class:`LoadReport` travels with the frame in JSON form (``frame.attrs["load_report"]`` holds
``report.to_dict()``, so the frame saves with ``to_parquet`` and ``to_file`` as it is);
:func:`report_of` gives it back as a :class:`LoadReport`.

A report over several files carries one part per file (:attr:`LoadReport.parts`,
:meth:`LoadReport.by_file`), each with its own read = kept + dropped.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hspwork.errors import DataDroppedWarning, HspworkError

__all__ = ["LoadReport", "RowLedger", "attach_report", "report_of"]

_REPORT_KEYS = ("source", "rows_read", "rows_kept", "dropped", "notes", "parts")


@dataclass(frozen=True)
class LoadReport:
    """What happened to the rows of one input (a file, a table, or several files).

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
    parts : tuple[LoadReport, ...]
        For an input of several files, one report per file; they add up to this one.

    Examples
    --------
    >>> r = LoadReport("x.csv", rows_read=5, rows_kept=3, dropped={"no location": 2})
    >>> r.summary()
    'x.csv: read 5 rows, kept 3, dropped 2 (no location: 2)'
    >>> LoadReport.from_dict(r.to_dict()) == r
    True
    """

    source: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    parts: tuple[LoadReport, ...] = ()

    def __post_init__(self) -> None:
        total = self.rows_kept + sum(self.dropped.values())
        if total != self.rows_read:
            raise AssertionError(
                f"row accounting broken for {self.source}: read {self.rows_read}, "
                f"kept {self.rows_kept} + dropped {sum(self.dropped.values())} = {total}"
            )
        if self.parts:
            read = sum(p.rows_read for p in self.parts)
            kept = sum(p.rows_kept for p in self.parts)
            if (read, kept) != (self.rows_read, self.rows_kept):
                raise AssertionError(
                    f"row accounting broken for {self.source}: its files read {read} and kept "
                    f"{kept}, the whole says read {self.rows_read}, kept {self.rows_kept}"
                )

    @property
    def rows_dropped(self) -> int:
        """Total rows dropped, over all reasons."""
        return int(sum(self.dropped.values()))

    def summary(self) -> str:
        """One line a user can read, naming the file but not the folder it sits in.

        Pages are handed round: the analyst's own folders stay off them.

        Examples
        --------
        >>> LoadReport("/home/analyst/exports/crimes.csv", 3, 2, {"no location": 1}).summary()
        'crimes.csv: read 3 rows, kept 2, dropped 1 (no location: 1)'
        """
        text = f"{_file_name(self.source)}: read {self.rows_read} rows, kept {self.rows_kept}"
        if self.dropped:
            reasons = ", ".join(f"{k}: {v}" for k, v in self.dropped.items())
            text += f", dropped {self.rows_dropped} ({reasons})"
        return text

    def to_frame(self) -> pd.DataFrame:
        """The report as a tidy frame: one row per outcome (kept, or a drop reason)."""
        rows = [("kept", self.rows_kept), *self.dropped.items()]
        return pd.DataFrame(rows, columns=["outcome", "rows"]).assign(source=self.source)

    def by_file(self) -> pd.DataFrame:
        """One row per file: ``source``, ``rows_read``, ``rows_kept``, ``rows_dropped`` and one
        column per drop reason (a single input gives one row).

        Examples
        --------
        >>> a = LoadReport("a.csv", 3, 2, {"no location": 1})
        >>> b = LoadReport("b.csv", 2, 1, {"duplicate Crime ID": 1})
        >>> whole = LoadReport("2 files", 5, 3, {"no location": 1, "duplicate Crime ID": 1},
        ...                    parts=(a, b))
        >>> whole.by_file()[["source", "rows_read", "rows_kept", "no location"]].values.tolist()
        [['a.csv', 3, 2, 1], ['b.csv', 2, 1, 0]]
        """
        parts = self.parts or (self,)
        reasons = list(self.dropped)
        rows = []
        for p in parts:
            row = {
                "source": p.source,
                "rows_read": p.rows_read,
                "rows_kept": p.rows_kept,
                "rows_dropped": p.rows_dropped,
            }
            row.update({r: int(p.dropped.get(r, 0)) for r in reasons})
            rows.append(row)
        return pd.DataFrame(
            rows, columns=["source", "rows_read", "rows_kept", "rows_dropped", *reasons]
        )

    def to_dict(self) -> dict:
        """The report as JSON-native values (str, int, list, dict), for ``DataFrame.attrs``.

        Examples
        --------
        >>> LoadReport("x.csv", 2, 1, {"no location": 1}, notes=("a note",)).to_dict()
        {'source': 'x.csv', 'rows_read': 2, 'rows_kept': 1, 'dropped': {'no location': 1}, 'notes': ['a note'], 'parts': []}
        """
        return {
            "source": str(self.source),
            "rows_read": int(self.rows_read),
            "rows_kept": int(self.rows_kept),
            "dropped": {str(k): int(v) for k, v in self.dropped.items()},
            "notes": [str(n) for n in self.notes],
            "parts": [p.to_dict() for p in self.parts],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> LoadReport:
        """Rebuild a report from :meth:`to_dict` (for example after a Parquet round trip).

        Raises
        ------
        HspworkError
            When ``data`` is not a report's dict.
        """
        if isinstance(data, LoadReport):
            return data
        if not isinstance(data, Mapping) or not {"source", "rows_read", "rows_kept"} <= set(data):
            got = sorted(data) if isinstance(data, Mapping) else type(data).__name__
            raise HspworkError(
                f"not a load report: expected a dict with keys {', '.join(_REPORT_KEYS)}; got {got}"
            )
        try:
            return cls(
                source=str(data["source"]),
                rows_read=int(data["rows_read"]),
                rows_kept=int(data["rows_kept"]),
                dropped={str(k): int(v) for k, v in dict(data.get("dropped") or {}).items()},
                notes=tuple(str(n) for n in (data.get("notes") or ())),
                parts=tuple(cls.from_dict(p) for p in (data.get("parts") or ())),
            )
        except (TypeError, ValueError, AssertionError) as err:
            raise HspworkError(f"not a consistent load report ({err}): {dict(data)!r}") from err

    def warn(self, stacklevel: int = 3) -> None:
        """Issue a :class:`DataDroppedWarning` when any row was dropped."""
        if self.dropped:
            warnings.warn(self.summary(), DataDroppedWarning, stacklevel=stacklevel)

    def _repr_html_(self) -> str:  # shown in notebooks
        return self.to_frame().to_html(index=False)


def report_of(frame: pd.DataFrame, key: str = "load_report") -> LoadReport:
    """The :class:`LoadReport` a library frame carries in ``frame.attrs[key]``.

    The loaders (``load_report``), :func:`hspwork.units.count` (``count_report``) and the
    tracking cleaners store the report's JSON form, so that the frame saves as it is; this
    turns it back into a report. pandas keeps ``attrs`` through filtering and copying, but
    ``pd.concat`` of frames with different reports, ``merge`` and a cleared ``attrs`` lose it.

    Parameters
    ----------
    frame : DataFrame
        A frame returned by hspwork (or read back from Parquet).
    key : str
        ``"load_report"`` (loaders and cleaners), ``"count_report"``, ``"patrol_report"``...

    Raises
    ------
    HspworkError
        When the frame carries no report under ``key``, naming the keys it does carry.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1]})
    >>> df.attrs["load_report"] = LoadReport("t", 2, 1, {"no location": 1}).to_dict()
    >>> report_of(df).summary()
    't: read 2 rows, kept 1, dropped 1 (no location: 1)'
    """
    attrs = getattr(frame, "attrs", None)
    if not isinstance(attrs, Mapping) or key not in attrs or attrs[key] is None:
        have = sorted(attrs) if isinstance(attrs, Mapping) else []
        raise HspworkError(
            f"the frame carries no {key!r} (its attrs hold {have or 'nothing'}). Reports travel "
            "with the frame a loader returns; pd.concat of frames with different reports, merge "
            "or a cleared attrs lose them: keep the loader's frame, or its report_of(...) result"
        )
    return LoadReport.from_dict(attrs[key])


def attach_report(frame: pd.DataFrame, report: LoadReport, key: str = "load_report") -> None:
    """Store ``report`` in ``frame.attrs[key]`` in its JSON form (see :func:`report_of`)."""
    frame.attrs[key] = report.to_dict()


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
    >>> r = ledger.report(groups=np.array([0, 0, 1, 1]), names=["a.csv", "b.csv"])
    >>> [(p.source, p.rows_kept, p.dropped) for p in r.parts]
    [('a.csv', 0, {'empty': 1, 'duplicate': 1}), ('b.csv', 1, {'empty': 1})]
    """

    def __init__(self, n_rows: int, source: str) -> None:
        self.n_rows = int(n_rows)
        self.source = source
        self.keep = np.ones(self.n_rows, dtype=bool)
        self.dropped: dict[str, int] = {}
        self.notes: list[str] = []
        # The reason each dropped row was charged to (index into _reasons; -1 = kept), so that
        # a report over several files can say what happened to each file's rows.
        self._reason = np.full(self.n_rows, -1, dtype=np.int16)
        self._reasons: list[str] = []

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
            if reason not in self._reasons:
                self._reasons.append(reason)
            self._reason[newly] = self._reasons.index(reason)
        return count

    def note(self, text: str) -> None:
        """Record something done to kept rows."""
        if text not in self.notes:
            self.notes.append(text)

    def report(
        self,
        groups: np.ndarray | None = None,
        names: Sequence[str] | None = None,
        group_notes: Mapping[int, Sequence[str]] | None = None,
    ) -> LoadReport:
        """The finished report; with ``groups`` (a group number per row, e.g. its file) and
        their ``names``, one part per group as well."""
        parts: tuple[LoadReport, ...] = ()
        if groups is not None and names is not None and len(names) > 1:
            groups = np.asarray(groups, dtype=np.int64)
            n_r = len(self._reasons)
            code = groups * (n_r + 1) + (self._reason.astype(np.int64) + 1)
            counts = np.bincount(code, minlength=len(names) * (n_r + 1)).reshape(
                len(names), n_r + 1
            )
            notes = group_notes or {}
            parts = tuple(
                LoadReport(
                    source=str(name),
                    rows_read=int(counts[g].sum()),
                    rows_kept=int(counts[g, 0]),
                    dropped={
                        r: int(counts[g, i + 1])
                        for i, r in enumerate(self._reasons)
                        if counts[g, i + 1]
                    },
                    notes=tuple(notes.get(g, ())),
                )
                for g, name in enumerate(names)
            )
        return LoadReport(
            source=self.source,
            rows_read=self.n_rows,
            rows_kept=int(self.keep.sum()),
            dropped=dict(self.dropped),
            notes=tuple(self.notes),
            parts=parts,
        )


def _file_name(source: str) -> str:
    """The last part of a path (``"a/b/c.csv"`` -> ``"c.csv"``); other text as it is."""
    text = str(source)
    if "/" not in text and "\\" not in text:
        return text
    return re.split(r"[\\/]", text.rstrip("/\\"))[-1] or text
