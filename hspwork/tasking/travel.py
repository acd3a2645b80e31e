"""Travel saved by optimised routes, and route maps: tidy frames and static figures.

For the tracking chapter (time order against optimised travel per shift) and for the daily
tasking sheets (a small map per team and shift).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from hspwork.crs import metres_to_crs_units, require_crs
from hspwork.errors import SchemaError
from hspwork.tasking._common import _need
from hspwork.tasking.network import StreetNetwork, _places_xy

ROUTE_COLOURS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#35978f", "#8c510a")


def _returns(routed: pd.DataFrame, column: str) -> pd.Series:
    return routed[column] if column in routed.columns else pd.Series(0.0, index=routed.index)


def travel_comparison(routed: pd.DataFrame) -> pd.DataFrame:
    """Journey minutes per date, shift and team: in time order and optimised.

    Parameters
    ----------
    routed : DataFrame
        From :func:`hspwork.tasking.optimise_routes` (``travel_minutes`` and
        ``time_order_travel_minutes``; with a depot also the return journeys).

    Returns
    -------
    DataFrame
        ``date``, ``shift``, ``team``, ``visits``, ``routes``, ``time_order_minutes``,
        ``optimised_minutes``, ``saved_minutes`` and ``saved_share`` (of the time-order
        minutes; 0 when those are 0).

    Examples
    --------
    >>> r = pd.DataFrame({"date": ["2025-09-01"] * 3, "shift": "early", "team": "Crew 1",
    ...     "route": 1, "travel_minutes": [0.0, 10.0, 10.0],
    ...     "time_order_travel_minutes": [0.0, 20.0, 10.0]})
    >>> travel_comparison(r)[["time_order_minutes", "optimised_minutes", "saved_share"]]
       time_order_minutes  optimised_minutes  saved_share
    0                30.0               20.0     0.333333
    """
    _need(routed, ["date", "shift", "team", "route", "travel_minutes",
                   "time_order_travel_minutes"], "routed plan")  # fmt: skip
    r = routed.assign(
        _after=routed["travel_minutes"] + _returns(routed, "return_minutes"),
        _before=routed["time_order_travel_minutes"] + _returns(routed, "time_order_return_minutes"),
        date=routed["date"].astype(str),
    )
    g = r.groupby(["date", "shift", "team"], sort=True)
    out = pd.DataFrame(
        {
            "visits": g.size(),
            "routes": g["route"].nunique(),
            "time_order_minutes": g["_before"].sum(),
            "optimised_minutes": g["_after"].sum(),
        }
    ).reset_index()
    out["saved_minutes"] = out["time_order_minutes"] - out["optimised_minutes"]
    before = out["time_order_minutes"].to_numpy()
    out["saved_share"] = np.where(
        before > 0, out["saved_minutes"] / np.where(before > 0, before, 1), 0.0
    )
    return out


def plot_travel_comparison(comparison: pd.DataFrame) -> Figure:
    """Journey minutes a day for each shift, time order against optimised (all teams).

    Parameters
    ----------
    comparison : DataFrame
        From :func:`travel_comparison`.
    """
    _need(comparison, ["date", "shift", "time_order_minutes", "optimised_minutes"], "comparison")
    shifts = list(dict.fromkeys(comparison["shift"]))
    fig = Figure(figsize=(7.0, 1.0 + 2.0 * len(shifts)))
    axes = fig.subplots(len(shifts), 1, sharex=True, squeeze=False)[:, 0]
    day = comparison.groupby(["shift", "date"], sort=True)[["time_order_minutes",
                                                             "optimised_minutes"]].sum()  # fmt: skip
    for ax, shift in zip(axes, shifts):
        d = day.loc[shift]
        x = pd.to_datetime(d.index)
        ax.plot(x, d["time_order_minutes"] / 60, "-", color="#888888", marker=".",
                label="in time order")  # fmt: skip
        ax.plot(x, d["optimised_minutes"] / 60, "-", color="#b2182b", marker=".",
                label="optimised")  # fmt: skip
        saved = 1 - d["optimised_minutes"].sum() / max(d["time_order_minutes"].sum(), 1e-9)
        ax.set_title(f"{shift} shift: optimised routes walk {saved:.0%} less", fontsize=9,
                     loc="left")  # fmt: skip
        ax.set_ylabel("hours walking")
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _route_rows(plan: pd.DataFrame, date, shift, team) -> pd.DataFrame:
    sel = (
        (plan["date"].astype(str) == str(date))
        & (plan["shift"].astype(str) == str(shift))
        & (plan["team"].astype(str) == str(team))
    )
    rows = plan[sel].copy()
    if rows.empty:
        raise SchemaError(f"the plan has no visits for {team}, {shift} shift, {date}")
    if "route" not in rows.columns:
        rows["route"] = 1
    if "order" not in rows.columns:
        rows = rows.sort_values("planned_start")
        rows["order"] = np.arange(1, len(rows) + 1)
    return rows.sort_values(["route", "order"])


def plot_route_map(
    plan: pd.DataFrame,
    fences: gpd.GeoDataFrame,
    network: StreetNetwork | None = None,
    *,
    date,
    shift: str,
    team: str,
    depot=None,
    figsize: tuple[float, float] = (6.6, 4.4),
) -> Figure:
    """A small static map of one team's routes in one shift: places, order and the walk.

    Journeys follow ``network`` (straight lines without one); each route (officer) has its
    colour and each visit its number in the route. Other hot spots are drawn faintly.

    Parameters
    ----------
    plan : DataFrame
        A routed plan (:func:`hspwork.tasking.optimise_routes`) or a time-order one.
    fences : GeoDataFrame
        The places.
    depot : Point or (x, y), optional
        Drawn as a square when the routes start there.
    """
    crs = require_crs(fences, "fences")
    rows = _route_rows(plan, date, shift, team)
    xy = _places_xy(fences)
    ids = rows["fence_id"].astype(str)
    pts = xy.loc[ids, ["x", "y"]].to_numpy()
    dep = None
    if depot is not None:
        dep = (
            np.array([depot.x, depot.y])
            if isinstance(depot, shapely.Point)
            else np.asarray(depot, float)
        )
    frame = pts if dep is None else np.vstack([pts, dep])
    pad = max(metres_to_crs_units(250.0, crs), 0.08 * float(np.ptp(frame, axis=0).max()))
    x0, y0 = frame.min(axis=0) - pad
    x1, y1 = frame.max(axis=0) + pad
    fig = Figure(figsize=figsize)
    ax = fig.add_subplot()
    if network is not None:
        coo = network.graph.tocoo()
        keep = coo.row < coo.col
        a, b = network.node_xy[coo.row[keep]], network.node_xy[coo.col[keep]]
        seen = ((np.minimum(a[:, 0], b[:, 0]) < x1) & (np.maximum(a[:, 0], b[:, 0]) > x0)
                & (np.minimum(a[:, 1], b[:, 1]) < y1) & (np.maximum(a[:, 1], b[:, 1]) > y0))  # fmt: skip
        ax.add_collection(LineCollection(np.stack([a[seen], b[seen]], axis=1),
                                         colors="#d0d0d0", linewidths=0.6, zorder=1))  # fmt: skip
    one = fences.drop_duplicates("fence_id", keep="last")
    mine = one["fence_id"].astype(str).isin(set(ids))
    one[~mine].plot(ax=ax, facecolor="none", edgecolor="#bbbbbb", linewidth=0.6, zorder=2)
    one[mine].plot(ax=ax, facecolor="#fde0c5", edgecolor="#8c510a", linewidth=0.8, zorder=2)
    labels: dict[str, list[str]] = {}
    for k, (number, g) in enumerate(rows.groupby("route", sort=True)):
        colour = ROUTE_COLOURS[k % len(ROUTE_COLOURS)]
        p = xy.loc[g["fence_id"].astype(str), ["x", "y"]].to_numpy()
        legs = list(itertools.pairwise(p))
        if dep is not None and (g["travel_from"].astype(str) == "depot").any():
            legs = [(dep, p[0]), *legs, (p[-1], dep)]
        if legs:
            a = np.array([s for s, _ in legs])
            b = np.array([e for _, e in legs])
            paths = network.paths_xy(a, b) if network is not None else list(np.stack([a, b], 1))
            for path in paths:
                ax.plot(path[:, 0], path[:, 1], "-", color=colour, linewidth=1.6, alpha=0.85,
                        zorder=3)  # fmt: skip
        ax.plot([], [], "-", color=colour, linewidth=2,
                label=f"route {number}: {len(g)} visits, {g['travel_minutes'].sum():.0f} min walking"
                if "travel_minutes" in g.columns else f"route {number}")  # fmt: skip
        for fid, order in zip(g["fence_id"].astype(str), g["order"]):
            labels.setdefault(fid, []).append(f"{number}.{order}" if rows["route"].nunique() > 1
                                              else str(order))  # fmt: skip
    for fid, text in labels.items():
        x, y = xy.loc[fid, ["x", "y"]]
        ax.annotate(", ".join(text), (x, y), xytext=(4, 4), textcoords="offset points",
                    fontsize=7, zorder=5,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})  # fmt: skip
        ax.plot(x, y, "o", color="black", markersize=3, zorder=4)
    if dep is not None:
        ax.plot(*dep, "s", color="black", markersize=6, zorder=4, label="depot")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    bar = metres_to_crs_units(500.0, crs)
    ax.plot([x0 + pad * 0.3, x0 + pad * 0.3 + bar], [y0 + pad * 0.3] * 2, "-k", linewidth=2)
    ax.text(x0 + pad * 0.3 + bar / 2, y0 + pad * 0.4, "500 m", ha="center", va="bottom", fontsize=7)
    ax.set_xlabel("")
    ax.set_ylabel("")
    # below the map, where it hides no place
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2,
              frameon=False)  # fmt: skip
    ax.set_title(f"{team}, {shift} shift, {date}", fontsize=9)
    fig.tight_layout()
    return fig
