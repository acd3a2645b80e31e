"""Why a chosen place is, or is not, a Gi* hot spot: the check a crime analyst will ask for.

:func:`hspwork.targeting.select` ranks places by their own harm (or crimes). Gi* asks another
question: is a unit *and its neighbours* busier than the area as a whole? With queen
neighbours on 150 m cells that is a 450 m block. A place that is busy on its own, in quiet
streets, holds most of its block's harm and Gi* cannot flag it, however busy it is; crime
concentrates at such micro places (Weisburd 2015), and they are what hot spots patrols
target. :func:`explain_selection` says, place by place, which case applies, with the numbers
behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from hspwork.errors import SchemaError
from hspwork.targeting._weights import describe, neighbours

# A place is "busy alone" when its neighbouring units average less than this many times the
# area's average unit: ordinary streets around one busy place.
QUIET_NEIGHBOURS = 2.0

REASONS = {
    "in a Gi* hot spot": "in a Gi* hot spot",
    "busy alone": "busy on its own, in quiet surroundings",
    "busy block, not significant": "in a busy block that falls short of Gi* significance",
}


@dataclass
class SelectionExplanation:
    """Result of :func:`explain_selection`.

    Attributes
    ----------
    places : DataFrame
        One row per chosen place: ``place_id``, ``value`` (the place's own total),
        ``times_average`` (its value per unit over the area's average per unit),
        ``cell_rank`` (rank of its busiest unit among all units, 1 = busiest),
        ``block_value`` (the place with its Gi* neighbours), ``share_of_block``,
        ``neighbours_times_average`` (the neighbours' average per unit over the area's; under
        ``QUIET_NEIGHBOURS``, 2, a place is "busy alone"),
        ``gi_z`` (highest over its units), ``gi_hot`` (any unit a significant Gi* hot spot),
        ``case`` (a key of :data:`REASONS`) and ``reason`` (plain words).
    settings : dict
    """

    places: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The places as a frame (the numbers behind :meth:`summary`)."""
        return self.places.copy()

    def summary(self) -> str:
        """Plain lines for the page: how many chosen places fall in each case, and why."""
        s = self.settings
        p = self.places
        n = len(p)
        counts = p["case"].value_counts()
        hot = int(counts.get("in a Gi* hot spot", 0))
        alone = p[p["case"] == "busy alone"]
        short = int(counts.get("busy block, not significant", 0))
        across = f", a block about {s['block_m']:.0f} m across" if np.isfinite(s["block_m"]) else ""
        lines = [
            f"{hot} of {n} chosen places {'lies' if hot == 1 else 'lie'} in a Gi* hot spot: a cluster where the cell and "
            f"its neighbours ({s['neighbours_text']}{across}) are together busier than the "
            f"area, at FDR {s['fdr_text']}."
        ]
        if len(alone):
            lo, hi = alone["times_average"].min(), alone["times_average"].max()
            ring = alone["neighbours_times_average"].median()
            share = alone["share_of_block"].median()
            lines.append(
                f"{len(alone)} "
                + ("is busy on its own" if len(alone) == 1 else "are busy on their own")
                + " in ordinary surroundings: each holds "
                f"{lo:.0f} to {hi:.0f} times the area's average {s['column']} per cell, while "
                f"the cells around it average {ring:.1f} times (median), so the place alone "
                f"holds {share:.0%} of its block's {s['column']} (median). Gi* weighs the "
                "whole block, so it cannot flag such a place however busy it is."
            )
        if short:
            lines.append(
                f"{short} {'sits' if short == 1 else 'sit'} among busy cells, but the block falls "
                "short of Gi* "
                "significance after the correction for testing every cell."
            )
        lines.append(
            f"Places are chosen by their own {s['column']}, because patrols work at the place; "
            "Gi* is a check on clustering, not a veto. Crime concentrates at micro places "
            "whose neighbours can be quiet (Weisburd 2015)."
        )
        return "\n".join(lines)


def explain_selection(selection, gi: gpd.GeoDataFrame, column: str | None = None):
    """Say, for each chosen place, whether it is a Gi* hot spot and why (not).

    Parameters
    ----------
    selection : Selection
        From :func:`hspwork.targeting.select`.
    gi : GeoDataFrame
        Units with ``unit_id``, the value column and the Gi* columns (``gi_z``, ``gi_sig``),
        from :func:`hspwork.targeting.gistar`; its ``attrs["gistar"]`` gives the neighbours.
    column : str, optional
        The value the places were ranked by (default: the selection's column).

    Returns
    -------
    SelectionExplanation

    Examples
    --------
    A 9 x 9 grid of 100 m cells: a busy 3 x 3 block in one corner and one busy cell alone.

    >>> import shapely
    >>> from hspwork.targeting import gistar, select
    >>> x = np.tile(np.arange(9) * 100.0, 9); y = np.repeat(np.arange(9) * 100.0, 9)
    >>> harm = np.ones(81)
    >>> harm[[0, 1, 2, 9, 10, 11, 18, 19, 20]] = 40.0   # the block
    >>> harm[60] = 200.0                                 # alone, quiet around it
    >>> cells = gpd.GeoDataFrame({"unit_id": range(81), "harm": harm},
    ...                          geometry=shapely.box(x, y, x + 100, y + 100), crs=27700)
    >>> gi = gistar(cells, "harm", permutations=0)
    >>> sel = select(gi, "harm", capacity=2, hot=harm > 30, max_radius_m=150)
    >>> ex = explain_selection(sel, gi)
    >>> ex.places[["place_id", "case"]].values.tolist()
    [[1, 'busy alone'], [2, 'in a Gi* hot spot']]
    >>> float(ex.places.loc[0, "share_of_block"])  # 200 of 200 + 8 quiet cells of 1
    0.9615384615384616
    >>> round(float(ex.places.loc[0, "neighbours_times_average"]), 3)  # 1 / (631 / 81)
    0.128
    """
    settings = gi.attrs.get("gistar")
    for col in ("unit_id", "gi_z", "gi_sig"):
        if col not in gi.columns:
            raise SchemaError(f"gi has no column {col!r}; run hspwork.targeting.gistar first")
    column = column or selection.settings.get("column")
    if column not in gi.columns:
        raise SchemaError(f"gi has no column {column!r}; it has {list(gi.columns)}")
    spec = (settings or {}).get("neighbours", "queen")
    w = neighbours(gi, spec).tocsr()
    value = gi[column].to_numpy(dtype=float)
    average = value.mean()
    order = np.argsort(-value, kind="mergesort")
    rank = np.empty(value.size, dtype=np.int64)
    rank[order] = np.arange(1, value.size + 1)
    pos_of = pd.Index(gi["unit_id"].to_numpy())
    hot = (gi["gi_sig"].to_numpy(dtype=bool)) & (gi["gi_z"].to_numpy() > 0)
    z = gi["gi_z"].to_numpy(dtype=float)
    rows = []
    for _, p in selection.chosen.iterrows():  # the chosen places: tens
        pos = pos_of.get_indexer(p["unit_ids"])
        pos = pos[pos >= 0]
        ring = np.setdiff1d(np.unique(w[pos].indices), pos)
        own = value[pos].sum()
        block = own + value[ring].sum()
        share = own / block if block > 0 else 1.0
        ring_mean = value[ring].mean() if ring.size else 0.0
        if hot[pos].any():
            case = "in a Gi* hot spot"
        elif ring_mean < QUIET_NEIGHBOURS * average:
            case = "busy alone"
        else:
            case = "busy block, not significant"
        rows.append(
            {
                "place_id": int(p["place_id"]),
                "value": float(own),
                "times_average": float(own / pos.size / average) if average > 0 else np.nan,
                "cell_rank": int(rank[pos].min()),
                "block_value": float(block),
                "share_of_block": float(share),
                "neighbours_times_average": float(ring_mean / average) if average > 0 else np.nan,
                "gi_z": float(np.nanmax(z[pos])),
                "gi_hot": bool(hot[pos].any()),
                "case": case,
                "reason": REASONS[case],
            }
        )
    size_m = gi.attrs.get("cell_size_m")
    block_m = 3 * float(size_m) if size_m and str(spec) in ("queen", "rook") else np.nan
    fdr = (settings or {}).get("fdr")
    out = {
        "column": column,
        "neighbours": spec,
        "neighbours_text": describe(spec),
        "block_m": block_m,
        "fdr_text": "none" if fdr is None else f"{fdr:.0%}",
        "quiet_neighbours": QUIET_NEIGHBOURS,
    }
    return SelectionExplanation(places=pd.DataFrame(rows), settings=out)
