"""Widgets for JupyterLab: the fence editor and its state functions (no analysis here)."""

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

__all__ = [
    "ROLE_COLOURS",
    "FenceEditor",
    "features_to_fences",
    "fence_table",
    "fences_to_features",
    "keep_unchanged_geometry",
    "map_view",
    "new_fence_id",
]
