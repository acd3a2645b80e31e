"""Emerging hot spots: Gi* at every time step, a Mann-Kendall trend on each unit's z-series,
and the 17 categories of Esri's Emerging Hot Spot Analysis.

Each time step is tested on its own with spatial neighbours (Esri's tool can add neighbouring
time steps; this one does not). A unit is a significant hot (cold) spot in a step when its
Gi* bin is positive (negative), i.e. p below ``alpha`` (0.10: 90% confidence, Esri's lowest
bin), after Benjamini-Hochberg adjustment within the step when ``fdr`` is true.

The categories follow Esri's published definitions ("90%" is the share of time steps that
were significant; "trend" is the Mann-Kendall test on the Gi* z-values, significant at
``trend_alpha``), checked in this order for hot spots (cold spots mirror them):

* **intensifying**: hot in >= 90% of steps including the last, significant upward trend;
* **diminishing**: hot in >= 90% of steps including the last, significant downward trend;
* **persistent**: hot in >= 90% of steps including the last, no significant trend;
* **new**: hot in the last step and never before;
* **consecutive**: one uninterrupted run of >= 2 hot steps at the end, never hot before it,
  hot in < 90% of steps;
* **oscillating**: hot in the last step, cold in some earlier step, hot in < 90% of steps;
* **sporadic**: hot in the last step, on-and-off before, never cold, hot in < 90% of steps;
* **historical**: not hot in the last step but hot in >= 90% of steps;
* **no pattern** otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse, stats

from hspwork.errors import HspworkError, SchemaError
from hspwork.targeting._inference import bh_adjust, confidence_bins
from hspwork.targeting._weights import NeighbourSpec, describe, plain_spec
from hspwork.targeting.gistar import _neighbours

KINDS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
CATEGORIES = (
    tuple(f"{k} hot spot" for k in KINDS) + tuple(f"{k} cold spot" for k in KINDS) + ("no pattern",)
)


def mann_kendall(series, continuity: bool = True) -> tuple[float, float, float]:
    """Mann-Kendall trend test of a series in time order.

    ``S = sum_{i<j} sign(x_j - x_i)``; variance ``n(n-1)(2n+5)/18`` less the tie correction
    ``sum_t t(t-1)(2t+5)/18``; ``Z = (S - 1)/sd`` for S > 0, ``(S + 1)/sd`` for S < 0 with the
    continuity correction. NaN values are left out.

    Returns
    -------
    S, z, p : float
        The statistic, its normal score and two-sided p-value.

    Examples
    --------
    >>> s, z, p = mann_kendall([1, 2, 3, 4, 5])
    >>> s, round(z, 4), round(p, 4)   # S = 10, var = 5*4*15/18 = 16.67, z = 9 / 4.0825
    (10.0, 2.2045, 0.0275)
    """
    x = np.asarray(series, dtype="float64")
    x = x[np.isfinite(x)]
    n = x.size
    if n < 3:
        return 0.0, 0.0, 1.0
    s = float(np.sign(x[None, :] - x[:, None])[np.triu_indices(n, 1)].sum())
    _, t = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - (t * (t - 1) * (2 * t + 5)).sum()) / 18.0
    if var <= 0:
        return s, 0.0, 1.0
    c = 1.0 if continuity else 0.0
    z = (s - c) / np.sqrt(var) if s > 0 else (s + c) / np.sqrt(var) if s < 0 else 0.0
    return s, float(z), float(2 * stats.norm.sf(abs(z)))


def _mann_kendall_rows(z: np.ndarray, continuity: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Mann-Kendall z and p for every row of ``z`` (units x steps), vectorised over units."""
    n_units, n = z.shape
    s = np.zeros(n_units)
    for i in range(n - 1):  # loop over time steps (tens), never over units
        s += np.sign(z[:, i + 1 :] - z[:, i : i + 1]).sum(axis=1)
    # ties within each row: count equal pairs by sorting
    srt = np.sort(z, axis=1)
    tie_term = np.zeros(n_units)
    run = np.ones(n_units)
    for j in range(1, n + 1):
        same = (srt[:, j] == srt[:, j - 1]) if j < n else np.zeros(n_units, bool)
        ended = ~same
        t = run
        tie_term += np.where(ended, t * (t - 1) * (2 * t + 5), 0.0)
        run = np.where(same, run + 1, 1.0)
    var = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    c = 1.0 if continuity else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        zz = np.where(s > 0, (s - c), np.where(s < 0, s + c, 0.0)) / np.sqrt(var)
    zz = np.where(var > 0, zz, 0.0)
    return zz, 2 * stats.norm.sf(np.abs(zz))


def gistar_steps(y: np.ndarray, w: sparse.csr_matrix) -> np.ndarray:
    """Gi* z-values for each column of ``y`` (units x steps); NaN where a step has no variation."""
    y = np.asarray(y, dtype="float64")
    n = y.shape[0]
    lag = w @ y + y
    card = (np.asarray(w.sum(axis=1)).ravel() + 1.0)[:, None]
    mean = y.mean(axis=0, keepdims=True)
    sd = np.sqrt(np.maximum((y * y).mean(axis=0, keepdims=True) - mean**2, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = sd * np.sqrt(card * (n - card) / (n - 1))
        z = (lag - mean * card) / denom
    return np.where(denom > 0, z, np.nan)


def classify(
    bins: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray, trend_alpha: float = 0.05
) -> np.ndarray:
    """Esri's categories from each unit's significance series (rows: units, columns: steps).

    ``bins`` is positive for a significant hot step, negative for cold, 0 otherwise.

    Examples
    --------
    >>> b = np.zeros((4, 10), dtype=int)
    >>> b[0, -1] = 1          # hot only in the last step
    >>> b[1, :] = 1           # hot throughout
    >>> b[2, :-1] = 1         # hot in 9 of 10 steps, not the last
    >>> classify(b, np.zeros(4), np.ones(4)).tolist()
    ['new hot spot', 'persistent hot spot', 'historical hot spot', 'no pattern']
    """
    bins = np.asarray(bins)
    out = np.full(bins.shape[0], "no pattern", dtype=object)
    up = (trend_p < trend_alpha) & (trend_z > 0)
    down = (trend_p < trend_alpha) & (trend_z < 0)
    for sign, word in ((1, "hot"), (-1, "cold")):
        this = bins * sign > 0
        other = bins * sign < 0
        share = this.mean(axis=1)
        last = this[:, -1]
        before = this[:, :-1].any(axis=1)
        # length of the final uninterrupted run of significant steps
        rev = this[:, ::-1]
        run = np.where(rev.all(axis=1), this.shape[1], np.argmin(rev, axis=1))
        hot_before_run = (this.sum(axis=1) - run) > 0
        mostly = share >= 0.9
        # Esri: an intensifying (diminishing) hot spot's clustering grows (fades); for cold spots
        # "intensifying" means more intensely cold, a falling z.
        stronger = up if sign > 0 else down
        weaker = down if sign > 0 else up
        conds = [
            last & mostly & stronger,
            last & mostly & weaker,
            last & mostly,
            last & ~before,
            last & (run >= 2) & ~hot_before_run,
            last & other[:, :-1].any(axis=1),
            last,
            ~last & mostly & ~(bins[:, -1] * -sign > 0),
        ]
        names = [
            f"{k} {word} spot"
            for k in (
                "intensifying",
                "diminishing",
                "persistent",
                "new",
                "consecutive",
                "oscillating",
                "sporadic",
                "historical",
            )
        ]
        free = out == "no pattern"
        chosen = np.select(conds, names, default="")
        take = free & (chosen != "")
        out[take] = chosen[take]
    return out


@dataclass
class EmergingHotSpots:
    """Result of :func:`emerging_hotspots`.

    Attributes
    ----------
    units : GeoDataFrame
        The units with ``category``, ``trend_z``, ``trend_p`` (Mann-Kendall on the Gi* z-series),
        ``n_hot``, ``n_cold`` (significant steps) and ``last_bin``.
    z, bins : DataFrame
        Gi* z-values and bins (-3..3), units x periods, indexed like ``units``.
    settings : dict
    """

    units: gpd.GeoDataFrame
    z: pd.DataFrame = field(repr=False)
    bins: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Units per category, in Esri's order, zero rows included."""
        counts = self.units["category"].value_counts()
        return pd.DataFrame(
            {"category": CATEGORIES, "units": [int(counts.get(c, 0)) for c in CATEGORIES]}
        )

    def plot(self, unit_ids=None, ax=None):
        """Gi* z-series of the given units (default: up to 6 of the hottest categories)."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4))
        else:
            fig = ax.figure
        u = self.units
        if unit_ids is None:
            hot = u[u["category"].str.endswith("hot spot")].sort_values("n_hot", ascending=False)
            unit_ids = hot["unit_id"].head(6).tolist()
        rows = u.index[u["unit_id"].isin(unit_ids)]
        x = np.arange(self.z.shape[1])
        for r in rows:
            ax.plot(
                x,
                self.z.loc[r].to_numpy(),
                marker="o",
                label=f"{u.loc[r, 'unit_id']}: {u.loc[r, 'category']}",
            )
        for level in (1.645, -1.645):
            ax.axhline(level, ls=":", color="grey", lw=1)
        ax.set_xticks(x, self.z.columns, rotation=90, fontsize=7)
        ax.set_ylabel("Gi* z")
        ax.set_title("Emerging hot spots: Gi* z by period")
        if len(rows):
            ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


def emerging_hotspots(
    cube: gpd.GeoDataFrame,
    periods: list[str] | None = None,
    *,
    neighbours: NeighbourSpec = "queen",
    alpha: float = 0.10,
    fdr: bool = True,
    trend_alpha: float = 0.05,
) -> EmergingHotSpots:
    """Esri-style emerging hot spot categories over a space-time cube.

    Parameters
    ----------
    cube : GeoDataFrame
        Units with one column per period, as made by :func:`hspwork.units.count_by_period`.
    periods : list of str, optional
        The period columns in time order; default ``cube.attrs["periods"]``.
    neighbours : {"queen", "rook"}, float or int
        Spatial neighbours for Gi* (binary, self included).
    alpha : float
        A step is significant when its p (adjusted if ``fdr``) is below this (0.10 = 90%).
    fdr : bool
        Benjamini-Hochberg adjustment across units within each step.
    trend_alpha : float
        Significance of the Mann-Kendall trend.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 100, y + 100) for y in range(0, 700, 100) for x in range(0, 700, 100)]
    >>> rng = np.random.default_rng(1)
    >>> data = {f"p{t}": rng.poisson(1, 49) for t in range(8)}
    >>> for t in (6, 7):
    ...     data[f"p{t}"][24] = 25  # the centre flares up in the last two periods
    >>> cube = gpd.GeoDataFrame(data, geometry=cells, crs=27700)
    >>> res = emerging_hotspots(cube, [f"p{t}" for t in range(8)], fdr=False)
    >>> res.units.loc[24, "category"]
    'consecutive hot spot'
    """
    if periods is None:
        periods = cube.attrs.get("periods")
        if periods is None:
            raise SchemaError(
                "give periods= (the period columns) or use hspwork.units.count_by_period"
            )
    periods = list(periods)
    missing = [p for p in periods if p not in cube.columns]
    if missing:
        raise SchemaError(
            f"period columns not in cube: {missing[:5]}; the cube has {list(cube.columns)[:12]}"
        )
    if len(periods) < 3:
        raise HspworkError(f"emerging hot spots need at least 3 periods, got {len(periods)}")
    y = cube[periods].to_numpy(dtype="float64")
    w = _neighbours(cube, neighbours)
    z = gistar_steps(y, w)
    p = 2 * stats.norm.sf(np.abs(z))
    if fdr:
        p = np.column_stack([bh_adjust(p[:, t]) for t in range(p.shape[1])])
    # bins are the ArcGIS levels; the significance threshold is alpha
    bins = confidence_bins(z, p)
    with np.errstate(invalid="ignore"):
        sig = np.where(p < alpha, np.sign(np.nan_to_num(z)), 0).astype(int)
    trend_z, trend_p = _mann_kendall_rows(np.nan_to_num(z))
    category = classify(sig, trend_z, trend_p, trend_alpha)
    out = cube.drop(columns=periods).copy()
    if "unit_id" not in out.columns:
        out.insert(0, "unit_id", np.arange(len(out)))
    out["category"] = category
    out["trend_z"] = trend_z
    out["trend_p"] = trend_p
    out["n_hot"] = (sig > 0).sum(axis=1)
    out["n_cold"] = (sig < 0).sum(axis=1)
    out["last_bin"] = bins[:, -1]
    settings = {
        "periods": periods,
        "neighbours": plain_spec(neighbours),
        "neighbours_text": describe(neighbours),
        "alpha": alpha,
        "fdr": fdr,
        "trend_alpha": trend_alpha,
        "period": cube.attrs.get("period"),
        "value": cube.attrs.get("value"),
    }
    out.attrs = {k: v for k, v in cube.attrs.items() if k not in ("periods", "period_edges")}
    out.attrs["emerging"] = settings
    return EmergingHotSpots(
        units=out,
        z=pd.DataFrame(z, index=cube.index, columns=periods),
        bins=pd.DataFrame(bins, index=cube.index, columns=periods),
        settings=settings,
    )
