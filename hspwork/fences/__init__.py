"""Geofences: fence sets that can be checked, widened, versioned and exported.

A fence set is a GeoDataFrame with one row per version of a fence (docs/contracts.md):
``fence_id``, ``name``, ``role``, ``valid_from``, ``valid_to``, ``version``, ``buffer_m``,
``notes`` and a polygon ``geometry`` in metres.

* make: :func:`make_fences` (from targeting's selection or any polygons), :func:`from_file`,
  :func:`simplify_outlines`
* check: :func:`validate_fences`, :func:`repair_fences`, :func:`fence_figures`
* widen: :func:`catchments` (GPS error), :func:`rings` (displacement)
* calibrate: :func:`calibrate_gps`
* change: :func:`commit_fences`, :func:`fence_history`, :func:`compare_versions`,
  :func:`fences_at`, :func:`versions_at`, :func:`fence_epochs`, :func:`epoch_of`
* export: :func:`to_file` (GeoJSON RFC 7946, GeoPackage, KML, CSV with WKT)
"""

from hspwork.fences.buffers import catchments, rings
from hspwork.fences.checks import FINDING_COLUMNS, validate_fences
from hspwork.fences.core import (
    FENCE_COLUMNS,
    ROLES,
    check_fences,
    count_inside,
    current_fences,
    fence_figures,
    make_fences,
    repair_fences,
    simplify_outlines,
)
from hspwork.fences.formats import FORMATS, from_file, to_file
from hspwork.fences.gps import GpsCalibration, calibrate_gps, rayleigh_quantile
from hspwork.fences.versions import (
    commit_fences,
    compare_versions,
    epoch_of,
    fence_epochs,
    fence_history,
    fences_at,
    versions_at,
)

__all__ = [
    "FENCE_COLUMNS",
    "FINDING_COLUMNS",
    "FORMATS",
    "ROLES",
    "GpsCalibration",
    "calibrate_gps",
    "catchments",
    "check_fences",
    "commit_fences",
    "compare_versions",
    "count_inside",
    "current_fences",
    "epoch_of",
    "fence_epochs",
    "fence_figures",
    "fence_history",
    "fences_at",
    "from_file",
    "make_fences",
    "rayleigh_quantile",
    "repair_fences",
    "rings",
    "simplify_outlines",
    "to_file",
    "validate_fences",
    "versions_at",
]
