"""Static maps: each unit drawn in the colour of its bin or quadrant."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from numpy.testing import assert_allclose
from shapely.geometry import LineString, box

from hspwork.errors import SchemaError
from hspwork.targeting.plots import (
    GI_COLOURS,
    LISA_COLOURS,
    plot_gistar,
    plot_lisa,
    plot_surface_3d,
)


def strip(n):
    return gpd.GeoDataFrame(
        geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(n)], crs=27700
    )


def test_gistar_colours_follow_bins():
    u = strip(7)
    u["gi_bin"] = [-3, -2, -1, 0, 1, 2, 3]
    fig = plot_gistar(u)
    faces = fig.axes[0].collections[0].get_facecolors()
    assert_allclose(faces, [to_rgba(GI_COLOURS[b]) for b in u["gi_bin"]])
    plt.close(fig)


def test_lisa_colours_follow_quadrants_and_lines_work():
    u = gpd.GeoDataFrame(
        {"lisa_quadrant": ["HH", "LL", "ns"]},
        geometry=[LineString([(i * 100, 0), (i * 100 + 100, 0)]) for i in range(3)],
        crs=27700,
    )
    fig = plot_lisa(u)
    colours = fig.axes[0].collections[0].get_colors()
    assert_allclose(colours, [to_rgba(LISA_COLOURS[q]) for q in u["lisa_quadrant"]])
    plt.close(fig)


def test_surface_3d_draws_one_bar_per_unit_with_value_and_caps():
    u = strip(6)
    u["harm"] = [0.0, 1.0, 5.0, 0.0, 2.0, 9.0]
    fig = plot_surface_3d(u, "harm")
    ax = fig.axes[0]
    fig.canvas.draw()  # 3D faces are projected at draw time
    # bar3d draws 6 faces per bar in one collection
    assert len(ax.collections[0].get_paths()) == 6 * 4
    plt.close(fig)
    fig = plot_surface_3d(u, "harm", max_bars=2)
    fig.canvas.draw()
    assert len(fig.axes[0].collections[0].get_paths()) == 6 * 2
    assert "highest 2 of 4" in fig.axes[0].get_title()
    plt.close(fig)
    with pytest.raises(SchemaError, match="no column 'crimes'"):
        plot_surface_3d(u, "crimes")
    with pytest.raises(SchemaError, match="no column 'gi_bin'"):
        plot_gistar(u)
    assert np.all(u["harm"] >= 0)
