"""Reading a force's tasking plan and team roster, with the loaders' rules for local time.

A plan is written in local clock time. Its times are read by the same rules as every other
export (:mod:`hspwork.io`): ISO or day-first dates, the repeated October hour resolved in the
order the rows give it (per team), a time that does not exist locally (the March change) dropped
with its reason, and every row accounted for.

Examples
--------
>>> import io
>>> text = io.StringIO(
...     "tasking_id,fence_id,date,shift,planned_start,minutes,team\\n"
...     "T1,HS01,2025-10-26,night,2025-10-26 01:30,15,Crew 1\\n"
...     "T2,HS02,2025-10-26,night,2025-10-26 01:10,15,Crew 1\\n")
>>> plan = read_plan(text, tz="Europe/London")
>>> plan["planned_start"].dt.strftime("%H:%M %Z").tolist()   # 01:30 BST, then 01:10 GMT
['00:30 UTC', '01:10 UTC']
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from hspwork.errors import HspworkError, SchemaError
from hspwork.report import RowLedger, attach_report
from hspwork.tasking._common import PLAN_COLUMNS

__all__ = ["read_plan", "read_roster", "team_members"]


def read_plan(
    path: str | Path | IO[str] | pd.DataFrame,
    *,
    tz: str,
    fences: pd.DataFrame | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    """Read a tasking plan (one row per planned visit) into UTC, accounting for every row.

    Parameters
    ----------
    path : str, Path, file or DataFrame
        CSV with the columns ``tasking_id``, ``fence_id``, ``date`` (local), ``shift``,
        ``planned_start`` (local clock time), ``minutes``, ``team``; optionally ``officer``,
        ``window_start``/``window_end`` (local clock time).
    tz : str
        The plan's local clock, e.g. ``"Europe/London"``.
    fences : DataFrame, optional
        The programme's fences; a plan that tasks other fences is refused, naming them.
    warn : bool
        Warn (DataDroppedWarning) when rows are dropped.

    Returns
    -------
    DataFrame
        The plan with ``planned_start`` (and any windows) as UTC times and ``minutes`` as
        numbers; ``attrs["load_report"]`` holds the accounting (:func:`hspwork.report.report_of`).
    """
    from hspwork.io.times import parse_times, to_utc

    raw = path.copy() if isinstance(path, pd.DataFrame) else pd.read_csv(path, dtype=str)
    source = str(path) if isinstance(path, str | Path) else "tasking plan"
    missing = [c for c in PLAN_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError(
            f"{source} lacks column(s) {missing}; a plan needs {PLAN_COLUMNS} (one row per planned "
            "visit)"
        )
    ledger = RowLedger(len(raw), source)
    plan = raw.copy()
    for column in ("tasking_id", "fence_id", "team", "shift", "date"):
        plan[column] = plan[column].astype("string").str.strip()
    if "officer" in plan.columns:
        plan["officer"] = plan["officer"].astype("string").str.strip()
    minutes = pd.to_numeric(plan["minutes"], errors="coerce")
    ledger.drop(
        (~(minutes > 0)).to_numpy(), "planned minutes missing, not a number, or not above 0"
    )
    plan["minutes"] = minutes.astype(float)
    for column in ("planned_start", "window_start", "window_end"):
        if column not in plan.columns:
            continue
        local, zoned, out_of_range = parse_times(plan[column].astype("string").fillna(""))
        ledger.drop(out_of_range, f"{column} out of range (before 1900 or from 2200)")
        unreadable = local.isna().to_numpy() & plan[column].notna().to_numpy()
        if column == "planned_start":
            unreadable |= plan[column].isna().to_numpy()
        ledger.drop(unreadable, f"{column} not a date and time")
        plan[column] = to_utc(local, tz, ledger, column, groups=plan["team"], zoned=zoned)
    ledger.drop(plan["tasking_id"].isna().to_numpy(), "no tasking_id")
    repeated = (
        plan["tasking_id"].duplicated(keep="first").to_numpy()
        & plan["tasking_id"].notna().to_numpy()
    )
    ledger.drop(repeated, "tasking_id repeated (the first row kept)")
    report = ledger.report()
    kept = plan[ledger.keep].reset_index(drop=True)
    if fences is not None:
        unknown = sorted(set(kept["fence_id"].dropna()) - set(fences["fence_id"].astype(str)))
        if unknown:
            more = " ..." if len(unknown) > 5 else ""
            raise HspworkError(
                f"{source} tasks fence(s) {unknown[:5]}{more} that are not in the fence set "
                f"({fences['fence_id'].nunique()} fences, e.g. {sorted(fences['fence_id'].astype(str))[:3]}); "
                "give the plan for this programme's fences"
            )
    attach_report(kept, report)
    if warn and report.rows_dropped:
        report.warn()
    return kept


def read_roster(path: str | Path | IO[str] | pd.DataFrame) -> pd.DataFrame:
    """Read a team roster: CSV with columns ``officer`` and ``team``.

    Officer identifiers are kept as text (collar ``0042`` is not 42) with spaces trimmed.

    Examples
    --------
    >>> import io
    >>> read_roster(io.StringIO("officer,team\\n0042,Crew 1\\n 17 ,Crew 2\\n"))["officer"].tolist()
    ['0042', '17']
    """
    frame = path.copy() if isinstance(path, pd.DataFrame) else pd.read_csv(path, dtype=str)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if not {"officer", "team"} <= set(frame.columns):
        raise SchemaError(f"a roster needs the columns officer and team; got {list(frame.columns)}")
    out = frame[["officer", "team"]].astype("string").apply(lambda s: s.str.strip())
    blank = out.isna().any(axis=1) | (out == "").any(axis=1)
    if blank.any():
        rows = (np.flatnonzero(blank.to_numpy()) + 2).tolist()[:5]
        raise SchemaError(f"the roster has rows without an officer or a team (lines {rows})")
    return out.reset_index(drop=True)


def team_members(roster: pd.DataFrame) -> dict[str, list[str]]:
    """Team -> its officers, in roster order (what :func:`match_visits` takes).

    Examples
    --------
    >>> team_members(pd.DataFrame({"officer": ["1", "2", "3"], "team": ["A", "B", "A"]}))
    {'A': ['1', '3'], 'B': ['2']}
    """
    members: dict[str, list[str]] = {}
    for officer, team in zip(roster["officer"], roster["team"]):
        members.setdefault(str(team), []).append(str(officer))
    return members
