"""Static maps: each unit drawn in the colour of its bin or quadrant."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.transforms import Bbox
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
    # A strip of six 100 m cells with centroids at 50, 150, ..., 550 m; axes start at the
    # south-west corner (x0 = 50 - 100 / 2 = 0). Each bar is 90 m square (0.9 of a cell) on
    # its centroid and as tall as its value; cells with 0 get no bar. So the bars of units
    # 1, 2, 4, 5 span x 105-595 m, y 5-95 m and heights 0-9.
    u = strip(6)
    u["harm"] = [0.0, 1.0, 5.0, 0.0, 2.0, 9.0]
    fig = plot_surface_3d(u, "harm")
    ax = fig.axes[0]
    assert_allclose(ax.xy_dataLim.extents, [105.0, 5.0, 595.0, 95.0], atol=1e-9)
    assert_allclose(ax.zz_dataLim.intervalx, [0.0, 9.0], atol=1e-12)
    fig.canvas.draw()  # 3D faces are projected at draw time
    # bar3d draws 6 faces per bar in one collection
    assert len(ax.collections[0].get_paths()) == 6 * 4
    assert ax.get_zlabel() == "harm" and ax.get_title() == "harm across the area"
    plt.close(fig)
    # the 2 highest are units 5 (9) and 2 (5): x 205-595 m, up to 9
    fig = plot_surface_3d(u, "harm", max_bars=2)
    ax = fig.axes[0]
    assert_allclose(ax.xy_dataLim.extents, [205.0, 5.0, 595.0, 95.0], atol=1e-9)
    assert_allclose(ax.zz_dataLim.intervalx, [0.0, 9.0], atol=1e-12)
    fig.canvas.draw()
    assert len(ax.collections[0].get_paths()) == 6 * 2
    assert "highest 2 of 4" in ax.get_title()
    plt.close(fig)
    # without unit 5 the 2 highest are units 2 (5) and 4 (2): x 205-495 m, up to 5
    fig = plot_surface_3d(u.assign(harm=[0.0, 1.0, 5.0, 0.0, 2.0, 0.0]), "harm", max_bars=2)
    assert_allclose(fig.axes[0].xy_dataLim.extents, [205.0, 5.0, 495.0, 95.0], atol=1e-9)
    assert_allclose(fig.axes[0].zz_dataLim.intervalx, [0.0, 5.0], atol=1e-12)
    plt.close(fig)
    # the same strip in US survey feet (EPSG:2263): axes in metres, 1 ft = 1200 / 3937 m
    feet = u.set_crs(2263, allow_override=True)
    fig = plot_surface_3d(feet, "harm")
    ft = 1200 / 3937
    assert_allclose(
        fig.axes[0].xy_dataLim.extents, [105 * ft, 5 * ft, 595 * ft, 95 * ft], rtol=1e-9
    )
    plt.close(fig)
    with pytest.raises(SchemaError, match="no column 'crimes'"):
        plot_surface_3d(u, "crimes")
    with pytest.raises(SchemaError, match="no column 'gi_bin'"):
        plot_gistar(u)


def big_grid(nrows=150, ncols=160):
    """A lattice large enough (24,000 cells) to be painted as an image."""
    import shapely

    x0 = np.tile(np.arange(ncols) * 100.0, nrows)
    y0 = np.repeat(np.arange(nrows) * 100.0, ncols)
    g = gpd.GeoDataFrame(
        {"unit_id": np.arange(nrows * ncols)},
        geometry=shapely.box(x0 + 5000, y0 + 7000, x0 + 5100, y0 + 7100),
        crs=27700,
    )
    return g.sample(frac=1.0, random_state=1)  # rows in any order


def test_large_grids_are_painted_as_one_image_in_the_right_places():
    from hspwork.targeting.plots import RASTER_ABOVE

    u = big_grid()
    assert len(u) > RASTER_ABOVE
    rng = np.random.default_rng(0)
    u["gi_bin"] = rng.integers(-3, 4, len(u))
    fig = plot_gistar(u)
    ax = fig.axes[0]
    assert len(ax.images) == 1 and len(ax.collections) == 0
    image = ax.images[0].get_array()
    assert image.shape[:2] == (150, 160)
    # the cell whose south-west corner is (5000 + 100 c, 7000 + 100 r) is pixel (r, c)
    b = u.geometry.bounds
    r = ((b["miny"] - 7000) / 100).round().astype(int).to_numpy()
    c = ((b["minx"] - 5000) / 100).round().astype(int).to_numpy()
    assert_allclose(image[r, c], [to_rgba(GI_COLOURS[k]) for k in u["gi_bin"]])
    assert ax.images[0].get_extent() == [5000.0, 21000.0, 7000.0, 22000.0]
    plt.close(fig)


def test_plot_units_colours_by_value_with_a_capped_scale():
    from matplotlib import colormaps

    from hspwork.targeting.plots import plot_units

    u = strip(4)
    u["harm"] = [0.0, 50.0, 100.0, 5000.0]
    fig = plot_units(u, "harm", vmax=100, label="harm (days)", title="Harm per cell")
    faces = fig.axes[0].collections[0].get_facecolors()
    # 0 -> the bottom colour, 50 -> the middle, 100 and 5000 -> the top (capped)
    assert_allclose(faces, colormaps["Reds"]([0.0, 0.5, 1.0, 1.0]))
    assert fig.axes[1].get_ylabel() == "harm (days)"
    assert fig.axes[0].get_title() == "Harm per cell"
    plt.close(fig)
    big = big_grid()
    big["harm"] = np.arange(len(big), dtype=float)
    fig = plot_units(big, "harm")  # default cap: the 99th percentile
    assert len(fig.axes[0].images) == 1
    cap = np.quantile(big["harm"], 0.99)
    image = fig.axes[0].images[0].get_array()
    b = big.geometry.bounds
    r = ((b["miny"] - 7000) / 100).round().astype(int).to_numpy()
    c = ((b["minx"] - 5000) / 100).round().astype(int).to_numpy()
    expected = colormaps["Reds"](np.minimum(big["harm"].to_numpy() / cap, 1.0))
    assert_allclose(image[r, c], expected, atol=1e-12)
    plt.close(fig)


def test_chosen_place_labels_have_a_halo_and_the_map_is_an_image_at_scale():
    import matplotlib.patheffects as pe

    from hspwork.targeting.select import select

    u = big_grid()
    u["harm"] = u["unit_id"].map({5: 30.0, 805: 20.0, 1605: 10.0}).fillna(0.0)
    sel = select(u, "harm", capacity=2, hot=(u["harm"] > 0).to_numpy())
    fig = sel.plot(units=u)
    ax = fig.axes[0]
    assert len(ax.images) == 1  # the 24,000 cells as one image
    labels = [t for t in ax.texts]
    assert [t.get_text() for t in labels] == ["1", "2"]
    for t in labels:
        assert t.get_fontweight() == "bold" and t.get_fontsize() >= 9
        effects = t.get_path_effects()
        assert any(isinstance(e, pe.withStroke) for e in effects)
    # the chosen cells are red in the image, the next best orange
    image = ax.images[0].get_array()
    assert_allclose(image[0, 5], to_rgba("#d7191c"))  # unit 5
    assert_allclose(image[5, 5], to_rgba("#d7191c"))  # unit 805, 500 m away: allowed
    assert_allclose(image[10, 5], to_rgba("#fdae61"))  # unit 1605: beyond capacity 2
    assert_allclose(image[1, 5], to_rgba("#eeeeee"))
    plt.close(fig)


@pytest.mark.parametrize("plot, column, values", [
    (plot_gistar, "gi_bin", [-3, -2, -1, 0, 1, 2, 3]),
    (plot_lisa, "lisa_quadrant", ["HH", "LH", "LL", "HL", "ns", "HH", "LL"]),
])  # fmt: skip
def test_map_legends_sit_beside_the_map_not_on_it(plot, column, values):
    # A square area: a legend inside the axes would cover part of it.
    u = gpd.GeoDataFrame(
        {column: values},
        geometry=[box(i * 100, 0, i * 100 + 100, 700) for i in range(7)],
        crs=27700,
    )
    fig = plot(u)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    # Where the units are drawn, in display pixels.
    area = Bbox(ax.transData.transform(ax.dataLim.get_points()))
    assert not legend.overlaps(area), (legend, area)
    plt.close(fig)
