"""Officer tracking: clean pings, time in fences (dwell), dosage, and dask scale-out."""

from hspwork.tracking.clean import FLAGS, flag_pings, quality_report, remove_flagged
from hspwork.tracking.dosage import (
    DEFAULT_SHIFT_HOURS,
    activity_summary,
    dosage,
    flag_drive_throughs,
    join_activities,
    patrol_minutes,
    plot_visit_lengths,
    shift_of,
    split_at_boundaries,
    visit_length_distribution,
)
from hspwork.tracking.dwell import (
    DEFAULT_MAX_GAP_MINUTES,
    DwellResult,
    FenceIndex,
    as_visits,
    credited_time,
    dwell,
    dwell_summary,
    unobserved_table,
)
from hspwork.tracking.scale import dwell_dask

__all__ = [
    "DEFAULT_MAX_GAP_MINUTES",
    "DEFAULT_SHIFT_HOURS",
    "FLAGS",
    "DwellResult",
    "FenceIndex",
    "activity_summary",
    "as_visits",
    "credited_time",
    "dosage",
    "dwell",
    "dwell_dask",
    "dwell_summary",
    "flag_drive_throughs",
    "flag_pings",
    "join_activities",
    "patrol_minutes",
    "plot_visit_lengths",
    "quality_report",
    "remove_flagged",
    "shift_of",
    "split_at_boundaries",
    "unobserved_table",
    "visit_length_distribution",
]
