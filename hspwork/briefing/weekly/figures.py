"""The weekly page's figures: static matplotlib images, legible when the page is printed on A4.

Every figure is drawn at the size it is printed (the page shows it ``width_in`` inches wide), so a
font of 8 points in the figure is 8 points on paper. No text is smaller than
:data:`MIN_FONT_PT`; legends sit outside the plotting area, where they cannot cover a bar.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hspwork.briefing.weekly.assemble import (
    ComplianceFacts,
    OutcomeFacts,
    TrendFacts,
    day_text,
)

#: The smallest text on any figure of the page, in points at print size.
MIN_FONT_PT = 8.0
#: Width of every figure on paper: A4 less 12 mm margins is 7.3 in.
WIDTH_IN = 6.9
_DPI = 150
_TICK, _LABEL, _TITLE = 8.0, 9.0, 10.0
_BELOW, _MET, _FAULT, _OTHER = "#c0392b", "#2e7d32", "#9e9e9e", "#5b8fd1"


@dataclass(frozen=True)
class FigureImage:
    """A figure as the page embeds it: a PNG ``data:`` URI and its print size."""

    uri: str
    alt: str
    width_in: float
    height_in: float
    min_font_pt: float


def _figure(height_in: float) -> Any:
    from matplotlib.figure import Figure

    return _drawable(Figure(figsize=(WIDTH_IN, height_in), layout="constrained"))


def _drawable(fig: Any) -> Any:
    """The figure on an Agg canvas (a bare ``Figure`` has none), so it can be drawn and measured."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig


def _style(ax: Any) -> None:
    ax.tick_params(labelsize=_TICK)
    ax.spines[["top", "right"]].set_visible(False)


def texts(fig: Any) -> list[Any]:
    """Every visible, non-empty text of a figure (drawn first, so tick labels exist)."""
    from matplotlib.text import Text

    _drawable(fig).canvas.draw()
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]


def font_sizes(fig: Any) -> list[float]:
    """The font size (points) of every visible text in a figure.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(3, 2))
    >>> ax = fig.add_subplot()
    >>> _ = ax.set_title("t", fontsize=10); ax.tick_params(labelsize=7)
    >>> min(font_sizes(fig))
    7.0
    """
    return [float(t.get_fontsize()) for t in texts(fig)]


def legend_overlaps(fig: Any) -> list[str]:
    """Bars that a legend covers, as ``"legend over bar k of axes j"``; empty when none.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(3, 2))
    >>> ax = fig.add_subplot()
    >>> _ = ax.bar([0, 1], [10, 10], label="x"); _ = ax.legend(loc="upper left")
    >>> legend_overlaps(fig)
    ['legend over bar 0 of axes 0']
    """
    from matplotlib.patches import Rectangle

    _drawable(fig).canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    found = []
    for j, ax in enumerate(fig.axes):
        bars = [
            p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() and p.get_width()
        ]
        for k, bar in enumerate(bars):
            box = bar.get_window_extent(renderer)
            for legend in legends:
                if legend.get_window_extent(renderer).overlaps(box):
                    found.append(f"legend over bar {k} of axes {j}")
    return found


def embed(fig: Any, alt: str) -> FigureImage:
    """The figure as a PNG ``data:`` URI at its own size (no cropping: print size is known)."""
    sizes = font_sizes(fig)
    width_in, height_in = (float(v) for v in fig.get_size_inches())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return FigureImage(
        uri=f"data:image/png;base64,{data}",
        alt=alt,
        width_in=width_in,
        height_in=height_in,
        min_font_pt=min(sizes) if sizes else MIN_FONT_PT,
    )


def _percent_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))


def trend_figure(trend: TrendFacts) -> Any:
    """Compliance week by week over the programme to date, this week marked, target dashed."""
    fig = _figure(1.75)
    ax = fig.add_subplot()
    weeks = trend.weeks
    share = 100 * weeks["share"].to_numpy(dtype=float)
    this = (
        (weeks["week_start"] == trend.this_week).to_numpy()
        if trend.this_week is not None
        else np.zeros(len(weeks), dtype=bool)
    )
    positions = np.arange(len(weeks))
    ax.bar(positions[~this], share[~this], color=_OTHER, label="earlier weeks")
    if this.any():
        ax.bar(
            positions[this],
            share[this],
            color=_BELOW if share[this][0] < 100 * trend.target else _MET,
            label="this week",
        )
    ax.axhline(100 * trend.target, color="black", linestyle="--", linewidth=1,
               label=f"target {trend.target:.0%}")  # fmt: skip
    for x, value in zip(positions, share):
        if np.isfinite(value):
            ax.text(x, value + 1.5, f"{value:.0f}%", ha="center", va="bottom", fontsize=_TICK)
    step = max(1, int(np.ceil(len(weeks) / 13)))  # at most 13 labels: they stay readable
    ax.set_xticks(positions[::step], [day_text(w)[:-5] for w in weeks["week_start"].iloc[::step]])
    ax.set_xlabel("week beginning (Monday)", fontsize=_LABEL)
    ax.set_ylabel("minutes delivered", fontsize=_LABEL)
    ax.set_ylim(0, max(100.0, float(np.nanmax(share)) + 12 if len(share) else 100.0))
    _percent_axis(ax.yaxis)
    _style(ax)
    fig.legend(loc="outside upper center", ncols=3, fontsize=_TICK, frameon=False)
    return fig


def compliance_figure(
    facts: ComplianceFacts,
    fault_fences: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> Any:
    """Minutes delivered per hot spot this week against the target; suspected faults in grey."""
    order = facts.per_fence.sort_values(["minutes_share", "fence_id"], ascending=[True, False])
    n = len(order)
    fig = _figure(max(2.4, 0.19 * n + 1.3))
    ax = fig.add_subplot()
    share = 100 * order["minutes_share"].to_numpy(dtype=float)
    fault = order["fence_id"].isin([str(f) for f in fault_fences]).to_numpy()
    below = share < 100 * facts.target
    colours = np.where(fault, _FAULT, np.where(below, _BELOW, _MET))
    labels = [
        f"{f}  {names[f]}" if names and names.get(f) and names[f] != f else f
        for f in order["fence_id"]
    ]
    positions = np.arange(n)
    for colour, label in ((_BELOW, "below target"), (_MET, "at or above target"),
                          (_FAULT, "location data suspected")):  # fmt: skip
        mask = colours == colour
        if mask.any():
            ax.barh(
                positions[mask], np.nan_to_num(share[mask]), color=colour, label=label, height=0.7
            )
    for y, value in zip(positions, share):
        if np.isfinite(value):
            ax.text(value + 1, y, f"{value:.0f}%", va="center", fontsize=_TICK)
    ax.axvline(100 * facts.target, color="black", linestyle="--", linewidth=1,
               label=f"target {facts.target:.0%}")  # fmt: skip
    ax.set_yticks(positions, labels)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(0, 110)
    _percent_axis(ax.xaxis)
    ax.set_xlabel("patrol minutes delivered, % of planned", fontsize=_LABEL)
    _style(ax)
    fig.legend(loc="outside upper center", ncols=4, fontsize=_TICK, frameon=False)
    return fig


def outcome_figure(facts: OutcomeFacts) -> Any:
    """Crime and harm by group, before and after, side by side; periods dated in the legend."""
    fig = _figure(2.6)
    colours = ["#9e9e9e", "#1f77b4", "#ff7f0e", "#2ca02c"]
    width = 0.8 / max(1, len(facts.periods))
    groups = facts.groups
    names = {"treatment": "treated", "control": "control"}
    handles = []
    for k, measure in enumerate(facts.measures):
        ax = fig.add_subplot(1, len(facts.measures), k + 1)
        for j, period in enumerate(facts.periods):
            values = [facts.value(measure, g, period) for g in groups]
            x = np.arange(len(groups)) + (j - (len(facts.periods) - 1) / 2) * width
            dates = facts.period_dates.get(period)
            label = f"{period} ({dates})" if dates else period
            bars = ax.bar(x, values, width=width, color=colours[j % len(colours)], label=label)
            if k == 0:
                handles.append(bars)
        ax.set_xticks(np.arange(len(groups)), [names.get(g, g) + " places" for g in groups])
        ax.set_title("recorded crimes" if measure == "crimes" else "harm (days of custody)",
                     fontsize=_TITLE)  # fmt: skip
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        _style(ax)
    fig.legend(handles=handles, loc="outside upper center", ncols=len(facts.periods),
               fontsize=_TICK, frameon=False)  # fmt: skip
    return fig
