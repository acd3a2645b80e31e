"""Widgets for JupyterLab: the fence editor, the 3D harm map and their state functions (no analysis here)."""

from hspwork.widgets.fence_editor import FenceEditor
from hspwork.widgets.fence_state import (
    ROLE_COLOURS,
    features_to_fences,
    fence_table,
    fences_to_features,
    keep_unchanged_geometry,
    map_view,
    new_fence_id,
)
from hspwork.widgets.harm_map3d import HarmMap3D

__all__ = [
    "ROLE_COLOURS",
    "FenceEditor",
    "HarmMap3D",
    "features_to_fences",
    "fence_table",
    "fences_to_features",
    "keep_unchanged_geometry",
    "map_view",
    "new_fence_id",
]
