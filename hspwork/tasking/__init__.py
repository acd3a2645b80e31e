"""Tasking: capacity, daily schedules with journeys, tasking sheets, compliance and exceptions.

The flow for a hot spots programme (source documents: daily taskings, 15-minute patrols with
the journey time between them, exception reports when taskings were not performed, compliance
against a 90% target):

1. :func:`capacity` and :func:`capacity_curve` - how many places the officers can give their
   dosage, journeys included (:mod:`hspwork.tasking.staffing`);
2. :func:`crime_profile` and :func:`schedule` - visits per place per day at times drawn from that
   place's crime profile, in random order, optionally "at least every k hours", with the journey
   between consecutive visits along the street network (:class:`StreetNetwork`);
3. :func:`optimise_routes` - each team's visits reordered and retimed for the least walking
   within their windows, shifts and gaps (OR-Tools), against time order
   (:func:`travel_comparison`, :func:`plot_travel_comparison`, :func:`plot_route_map`);
4. :func:`write_tasking_sheets` - a CSV and a printable A4 page per shift, with route maps;
5. :func:`match_visits`, :func:`compliance_table`, :func:`weekly_performance`,
   :func:`plot_weekly` - planned against delivered;
6. :func:`exception_report` - taskings not performed, and whether the device was silent then;
   :func:`week_of_taskings` - one week's compliance, dosage and exceptions for the stocktake;
7. :func:`correct_location_faults` - compliance measured and corrected for location faults
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
from hspwork.tasking.plan import read_plan, read_roster, team_members
from hspwork.tasking.planning import capacity, capacity_estimate, crime_profile, route, schedule
from hspwork.tasking.routing import optimise_routes
from hspwork.tasking.sheets import write_tasking_sheets
from hspwork.tasking.staffing import Capacity, Dosage, capacity_curve, plot_capacity_curve
from hspwork.tasking.travel import plot_route_map, plot_travel_comparison, travel_comparison
from hspwork.tasking.week import WeekOfTaskings, week_of_taskings

__all__ = [
    "CAUSES",
    "PLAN_COLUMNS",
    "SPEEDS_MPS",
    "STATUSES",
    "Capacity",
    "Dosage",
    "FaultCorrection",
    "StreetNetwork",
    "WeekOfTaskings",
    "capacity",
    "capacity_curve",
    "capacity_estimate",
    "compliance_table",
    "correct_location_faults",
    "crime_profile",
    "exception_report",
    "match_visits",
    "optimise_routes",
    "plot_capacity_curve",
    "plot_route_map",
    "plot_travel_comparison",
    "plot_weekly",
    "read_plan",
    "read_roster",
    "route",
    "schedule",
    "tasking_windows",
    "team_members",
    "travel_comparison",
    "travel_minutes",
    "week_of_taskings",
    "weekly_performance",
    "write_report",
    "write_tasking_sheets",
]
