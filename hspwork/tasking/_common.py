"""What every part of tasking shares: the plan's columns, the statuses, column checks."""

from __future__ import annotations

import pandas as pd

from hspwork.errors import SchemaError

STATUSES = ("done", "partly", "not done")
PLAN_COLUMNS = ["tasking_id", "fence_id", "date", "shift", "planned_start", "minutes", "team"]


def _need(frame: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what} lack column(s) {missing}; have {list(frame.columns)}")


def _local_to_utc(local: pd.Series, tz: str) -> pd.Series:
    """Naive local clock times to UTC; in the repeated October hour, the first (summer) one."""
    out = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    amb = out.isna() & local.notna()
    if amb.any():
        out[amb] = local[amb].dt.tz_localize(tz, ambiguous=True)
    return out.dt.tz_convert("UTC")
