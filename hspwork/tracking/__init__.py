"""Officer tracking: clean pings, time in fences (dwell), dosage, and dask scale-out."""

from hspwork.tracking.clean import FLAGS, flag_pings, quality_report, remove_flagged
from hspwork.tracking.dwell import (
    DEFAULT_MAX_GAP_MINUTES,
    FenceIndex,
    dwell,
    dwell_summary,
    unobserved_table,
)

__all__ = [
    "DEFAULT_MAX_GAP_MINUTES",
    "FLAGS",
    "FenceIndex",
    "dwell",
    "dwell_summary",
    "flag_pings",
    "quality_report",
    "remove_flagged",
    "unobserved_table",
]
