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
