"""Widgets for JupyterLab: the fence editor, the 3D harm map and their state functions (no analysis here)."""

from hspwork.widgets.fence_editor import FenceEditor
from hspwork.widgets.fence_state import (
    ROLE_COLOURS,
    HandOn,
    apply_name_and_role,
    effective_start,
    features_to_fences,
    fence_bounds,
    fence_table,
    fences_to_features,
    hand_on,
    harm_cells,
    keep_unchanged_geometry,
    label_points,
    map_view,
    new_fence_id,
    outline_problems,
    same_fence_set,
)
from hspwork.widgets.harm_map3d import HarmMap3D

__all__ = [
    "ROLE_COLOURS",
    "FenceEditor",
    "HandOn",
    "HarmMap3D",
    "apply_name_and_role",
    "effective_start",
    "features_to_fences",
    "fence_bounds",
    "fence_table",
    "fences_to_features",
    "hand_on",
    "harm_cells",
    "keep_unchanged_geometry",
    "label_points",
    "map_view",
    "new_fence_id",
    "outline_problems",
    "same_fence_set",
]
