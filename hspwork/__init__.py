"""hspwork: a hot spots policing workbench for police crime analysts.

Targeting -> geofences -> tracking -> evaluation, with tasking and briefings along the way.
This module only re-exports the public API. Names are imported on first use, so that
``import hspwork`` stays quick and a script that only reads crimes never loads statsmodels,
numba kernels or the map widgets.

Subject modules: :mod:`hspwork.units`, :mod:`hspwork.targeting`, :mod:`hspwork.fences`,
:mod:`hspwork.widgets`, :mod:`hspwork.tracking`, :mod:`hspwork.tasking`,
:mod:`hspwork.evaluation`, :mod:`hspwork.privacy`, :mod:`hspwork.briefing`,
:mod:`hspwork.sample`. (``capacity`` exists twice on purpose: the planning figure in
:func:`hspwork.targeting.capacity` and the places covered with routed journeys in
:func:`hspwork.tasking.capacity`; neither is flattened here.)

Examples
--------
>>> import hspwork
>>> hspwork.gistar.__module__
'hspwork.targeting.gistar'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, ...]] = {
    "hspwork.errors": (
        "CRSError", "CRSMismatchWarning", "DataDroppedWarning", "HspworkError",
        "HspworkWarning", "SchemaError",
    ),
    "hspwork.report": ("LoadReport", "RowLedger", "report_of"),
    "hspwork.harm": ("harm_table", "harm_weights"),
    "hspwork.io": (
        "atomic_write", "ping_crs", "read_crimes", "read_fences", "read_pings", "read_streets",
        "read_table", "save_atomic", "set_ping_crs", "write_fences",
    ),
    "hspwork.crs": ("to_metric", "metres_to_crs_units"),
    "hspwork.units": (
        "assign", "count", "count_by_period", "grid", "period_starts", "polygons",
        "street_segments",
    ),
    "hspwork.targeting": (
        "CATEGORIES", "Concentration", "EmergingHotSpots", "PlaceProfile", "Scale", "Selection",
        "aoristic_weights", "compare_scales", "concentration", "default_scale",
        "emerging_hotspots", "explain_selection", "generalised_gini", "gini", "gistar", "lisa",
        "lorenz", "mann_kendall", "mann_kendall_min_periods", "pai", "place_profile",
        "places_for_share", "plot_gistar", "plot_lisa", "plot_surface_3d", "plot_units",
        "select", "share_in_top",
    ),
    "hspwork.fences": (
        "calibrate_gps", "catchments", "commit_fences", "compare_versions", "current_fences",
        "epoch_of", "fence_epochs", "fence_figures", "fence_history", "fences_at",
        "make_fences", "repair_fences", "rings", "validate_fences", "versions_at",
    ),
    "hspwork.widgets": ("FenceEditor",),
    "hspwork.tracking": (
        "DEFAULT_MAX_GAP_MINUTES", "activity_summary", "credited_time", "dosage", "dwell",
        "dwell_dask", "dwell_summary", "flag_drive_throughs", "flag_pings", "join_activities",
        "patrol_minutes", "plot_visit_lengths", "quality_report", "remove_flagged",
        "unobserved_table", "visit_length_distribution",
    ),
    "hspwork.tasking": (
        "StreetNetwork", "compliance_table", "crime_profile", "exception_report",
        "match_visits", "optimise_routes", "plot_weekly", "route", "schedule", "travel_minutes",
        "weekly_performance", "write_report", "write_tasking_sheets",
    ),
    "hspwork.privacy": ("pseudonymise", "pseudonymise_frame"),
    "hspwork.evaluation": (
        "DesignRecord", "add_patrol", "assign_places", "balance_table", "complier_effect",
        "cost_benefit", "crime_panel", "displacement", "dose_response", "estimate_dispersion",
        "estimate_effect", "event_study", "minimum_detectable_effect", "officer_hours",
        "place_table", "power_simulation", "randomisation_inference", "ring_areas", "rirr",
        "unit_costs", "wdd", "wdq",
    ),
    "hspwork.sample": ("load_truth", "make_sample_city", "write_police_uk_archive"),
    "hspwork.briefing": (
        "check_html", "export_html", "run_brief", "weekly_briefing", "weekly_briefing_from_work",
    ),
    "hspwork.display": ("readable",),
}  # fmt: skip

# hspwork.evaluation.assign (random assignment) would clash with hspwork.units.assign
# (crimes to units); at top level it is assign_places.
_RENAMES = {"assign_places": ("hspwork.evaluation", "assign")}

_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hspwork' has no attribute {name!r}")
    real = _RENAMES.get(name, (module, name))[1]
    value = getattr(importlib.import_module(module), real)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
