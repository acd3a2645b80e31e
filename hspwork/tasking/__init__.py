"""Tasking: capacity, daily schedules with journeys, tasking sheets, compliance and exceptions.

The flow for a hot spots programme (source documents: daily taskings, 15-minute patrols with
the journey time between them, exception reports when taskings were not performed, compliance
against a 90% target):

1. :func:`capacity` - how many places the officers on each shift can cover;
2. :func:`crime_profile` and :func:`schedule` - visits per place per day at times drawn from that
   place's crime profile, in random order, optionally "at least every k hours", with the journey
   between consecutive visits along the street network (:class:`StreetNetwork`);
3. :func:`write_tasking_sheets` - a CSV and a printable HTML page per shift;
4. :func:`match_visits`, :func:`compliance_table`, :func:`weekly_performance`,
   :func:`plot_weekly` - planned against delivered;
5. :func:`exception_report` - taskings not performed, and whether the device was silent then;
6. :func:`correct_location_faults` - compliance measured and corrected for location faults
   (a GPS offset, a radio dead spot), side by side.

Every file written here shows officers as keyed-hash pseudonyms by default
(:mod:`hspwork.privacy`).
"""

from hspwork.tasking._common import PLAN_COLUMNS, STATUSES
from hspwork.tasking.compliance import (
    CAUSES,
    FaultCorrection,
    compliance_table,
    correct_location_faults,
    exception_report,
    match_visits,
    plot_weekly,
    tasking_windows,
    weekly_performance,
    write_report,
)
from hspwork.tasking.network import SPEEDS_MPS, StreetNetwork, travel_minutes
from hspwork.tasking.planning import capacity, crime_profile, route, schedule
from hspwork.tasking.sheets import write_tasking_sheets

__all__ = [
    "CAUSES",
    "PLAN_COLUMNS",
    "SPEEDS_MPS",
    "STATUSES",
    "FaultCorrection",
    "StreetNetwork",
    "capacity",
    "compliance_table",
    "correct_location_faults",
    "crime_profile",
    "exception_report",
    "match_visits",
    "plot_weekly",
    "route",
    "schedule",
    "tasking_windows",
    "travel_minutes",
    "weekly_performance",
    "write_report",
    "write_tasking_sheets",
]
