"""Emerging hot spots: space-time Gi* at every time step, a Mann-Kendall trend on each unit's
z-series, and the 17 categories of Esri's Emerging Hot Spot Analysis.

Each bin (a unit in a period) is tested with its space-time neighbourhood, as Esri's tool
does: the unit and its spatial neighbours in this period and in the ``time_step`` periods
before it (Esri's "neighborhood time step", default 1). Values are compared with the whole
cube by default (Esri's "entire cube" global window). A unit is a significant hot (cold) spot
in a period when its Gi* z is positive (negative) with a Benjamini-Hochberg adjusted p below
``fdr`` (0.10: Esri's 90% confidence, after its FDR correction), or a raw p below ``alpha``
when ``fdr`` is None.

Periods without a single record anywhere in the area are gaps in the data, not periods
without crime (a month missing from a download reads as a month of zeros everywhere). They
are left out of every step here, with a warning naming them, so no place is labelled from
them; ``gaps="raise"`` refuses instead.

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

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse, stats

from hspwork.errors import HspworkError, HspworkWarning, SchemaError
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


def mann_kendall_min_p(n_periods: int, continuity: bool = True) -> float:
    """The smallest two-sided Mann-Kendall p-value ``n_periods`` values can give.

    It comes from a strictly monotone series: ``S = n(n-1)/2``, no ties.

    Examples
    --------
    >>> [round(mann_kendall_min_p(n), 4) for n in (3, 4, 5, 6)]
    [0.2963, 0.0894, 0.0275, 0.0085]
    """
    return mann_kendall(np.arange(int(n_periods), dtype=float), continuity=continuity)[2]


def mann_kendall_min_periods(trend_alpha: float = 0.05, continuity: bool = True) -> int:
    """The fewest periods in which a Mann-Kendall trend can be significant at ``trend_alpha``.

    Examples
    --------
    >>> mann_kendall_min_periods(0.05), mann_kendall_min_periods(0.10), mann_kendall_min_periods(0.01)
    (5, 4, 6)
    """
    if not 0 < float(trend_alpha) < 1:
        raise HspworkError(f"trend_alpha must be between 0 and 1, got {trend_alpha!r}")
    n = 3
    while mann_kendall_min_p(n, continuity) >= trend_alpha:  # a handful of steps
        n += 1
    return n


GLOBAL_WINDOWS = ("entire cube", "neighbourhood time step", "individual time step")


def space_time_gistar(
    y: np.ndarray, w: sparse.csr_matrix, time_step: int = 1, global_window: str = "entire cube"
) -> np.ndarray:
    """Space-time Gi* z-values for ``y`` (units x periods, in time order).

    The neighbourhood of unit ``i`` in period ``t`` is every unit ``j`` in ``i``'s spatial
    neighbourhood (``w``, binary, zero diagonal; ``i`` itself added) in periods
    ``t - time_step .. t`` (fewer at the start of the series), ``c`` bins in all. With ``N``
    bins in the global window, mean ``m`` and population sd ``s``::

        z = (sum of the c bins - m c) / (s sqrt((N c - c^2) / (N - 1)))

    ``global_window``: ``"entire cube"`` (every bin; Esri's default), ``"neighbourhood time
    step"`` (the bins of periods ``t - time_step .. t``) or ``"individual time step"`` (the
    bins of period ``t``; with ``time_step=0`` this is Gi* of each period on its own).

    Examples
    --------
    A strip A-B-C (rook), three periods: A = 1, 0, 0; B = 0, 2, 0; C = 0, 0, 3. The whole
    cube: N = 9, mean 2/3, variance 14/9 - 4/9 = 10/9. C in the last period with one time
    step: bins B and C in periods 2 and 3 sum to 5, c = 4, so
    z = (5 - 8/3) / (sqrt(10/9) sqrt((36 - 16) / 8)) = (7/3) / (5/3) = 1.4.

    >>> w = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    >>> y = np.array([[1.0, 0, 0], [0, 2, 0], [0, 0, 3]])
    >>> round(float(space_time_gistar(y, w, 1)[2, 2]), 6)
    1.4
    """
    if global_window not in GLOBAL_WINDOWS:
        raise HspworkError(
            f"global_window={global_window!r} is not allowed; use one of {GLOBAL_WINDOWS}"
        )
    k = int(time_step)
    if k < 0:
        raise HspworkError(
            f"time_step must be 0 or a positive number of periods, got {time_step!r}"
        )
    y = np.asarray(y, dtype="float64")
    n, n_t = y.shape
    spatial = w @ y + y  # the unit and its neighbours, each period
    card = np.asarray(w.sum(axis=1)).ravel()[:, None] + 1.0
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(spatial, axis=1)], axis=1)
    t = np.arange(n_t)
    lo = np.maximum(t - k, 0)
    window_sum = csum[:, t + 1] - csum[:, lo]
    steps = (t - lo + 1).astype(float)[None, :]
    c = card * steps
    if global_window == "entire cube":
        big_n = np.full((1, n_t), float(y.size))
        mean = np.full((1, n_t), y.mean())
        var = np.full((1, n_t), y.var())
    else:
        col_sum = y.sum(axis=0)
        col_sq = (y * y).sum(axis=0)
        if global_window == "individual time step":
            big_n = np.full(n_t, float(n))
            tot, sq = col_sum, col_sq
        else:
            cs = np.concatenate([[0.0], np.cumsum(col_sum)])
            cq = np.concatenate([[0.0], np.cumsum(col_sq)])
            big_n = n * (t - lo + 1).astype(float)
            tot, sq = cs[t + 1] - cs[lo], cq[t + 1] - cq[lo]
        mean = (tot / big_n)[None, :]
        var = np.maximum(sq / big_n - mean[0] ** 2, 0.0)[None, :]
        big_n = big_n[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.sqrt(var) * np.sqrt((big_n * c - c * c) / (big_n - 1))
        z = (window_sum - mean * c) / denom
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
        ``n_hot``, ``n_cold`` (significant periods) and ``last_bin``.
    z, bins : DataFrame
        Gi* z-values and bins (-3..3), units x the periods analysed, indexed like ``units``.
    settings : dict
        Plain values: the periods analysed, the gaps left out, neighbours, ``time_step``,
        ``global_window``, ``alpha``, ``fdr``, ``trend_alpha``, ``trend_min_periods``, ``notes``.
    """

    units: gpd.GeoDataFrame
    z: pd.DataFrame = field(repr=False)
    bins: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """What a reader must know before reading the categories (gaps, trends out of reach)."""
        return list(self.settings.get("notes", []))

    def table(self) -> pd.DataFrame:
        """Units per category, in Esri's order, zero rows included."""
        counts = self.units["category"].value_counts()
        return pd.DataFrame(
            {"category": CATEGORIES, "units": [int(counts.get(c, 0)) for c in CATEGORIES]}
        )

    def summary(self) -> str:
        """Plain lines: what was tested, how many units fell in each category, the notes."""
        s = self.settings
        periods = s["periods"]
        level = (
            f"{1 - s['fdr']:.0%} confidence after the false discovery rate correction"
            if s["fdr"] is not None
            else f"{1 - s['alpha']:.0%} confidence (no correction for testing every unit)"
        )
        step = s["time_step"]
        lines = [
            f"{len(self.units):,} units over {len(periods)} {s.get('period') or 'period'}s "
            f"({periods[0]} to {periods[-1]}); Gi* with {s['neighbours_text']}"
            + (f" and the {step} {'period' if step == 1 else 'periods'} before" if step else "")
            + f", compared with the {s['global_window']}; a period counts as hot at {level}."
        ]
        t = self.table()
        for _, row in t[t["units"] > 0].iterrows():
            lines.append(f"  {row['category']}: {row['units']:,} units")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def plot(self, unit_ids=None, ax=None, *, places=None, labels: dict | None = None):
        """Gi* z by period for a few units, with a legend a reader can follow.

        Parameters
        ----------
        unit_ids : list, optional
            The units to draw (default: up to 6 in hot-spot categories, most often hot first).
        places : GeoDataFrame, optional
            Chosen places (``Selection.chosen``: ``place_id`` and ``unit_ids``): one line each
            (up to 8), for its unit with the highest mean z, labelled "place 3: new hot spot".
        labels : dict, optional
            ``unit_id`` -> legend label, overriding the default words.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(10, 4))
        else:
            fig = ax.figure
        u = self.units
        id_to_row = pd.Series(u.index, index=u["unit_id"].to_numpy())
        names: dict = {}
        if places is not None:
            mean_z = pd.Series(np.nanmean(self.z.to_numpy(), axis=1), index=u["unit_id"].to_numpy())
            unit_ids = []
            for _, p in places.head(8).iterrows():
                ids = [i for i in p["unit_ids"] if i in mean_z.index]
                if not ids:
                    continue
                best = max(ids, key=lambda i: mean_z[i])
                unit_ids.append(best)
                names[best] = f"place {p['place_id']}"
        elif unit_ids is None:
            hot = u[u["category"].str.endswith("hot spot")].sort_values("n_hot", ascending=False)
            unit_ids = hot["unit_id"].head(6).tolist()
            names = {uid: f"hot spot {k + 1}" for k, uid in enumerate(unit_ids)}
        x = np.arange(self.z.shape[1])
        n_p = self.z.shape[1]
        for uid in unit_ids:
            r = id_to_row[uid]
            label = (labels or {}).get(uid)
            if label is None:
                label = (
                    f"{names.get(uid, f'unit {uid}')}: {u.loc[r, 'category']} "
                    f"(hot in {int(u.loc[r, 'n_hot'])} of {n_p})"
                )
            ax.plot(x, self.z.loc[r].to_numpy(), marker="o", label=label)
        crit = _critical_z(self.settings)
        for level in (crit, -crit):
            ax.axhline(level, ls=":", color="grey", lw=1)
        ax.set_xticks(x, self.z.columns, rotation=90, fontsize=7)
        ax.set_ylabel("Gi* z")
        ax.set_title("Emerging hot spots: Gi* z by period")
        if len(unit_ids):
            # Beside the lines, not over them.
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
        return fig


def _critical_z(settings: dict) -> float:
    """The |z| of an unadjusted two-sided test at alpha (the dotted guide lines)."""
    level = settings["fdr"] if settings["fdr"] is not None else settings["alpha"]
    return float(stats.norm.isf(level / 2))


def emerging_hotspots(
    cube: gpd.GeoDataFrame,
    periods: list[str] | None = None,
    *,
    neighbours: NeighbourSpec = "queen",
    time_step: int = 1,
    global_window: str = "entire cube",
    alpha: float = 0.10,
    fdr: float | None = 0.10,
    trend_alpha: float = 0.05,
    gaps: str = "drop",
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
    time_step : int
        Esri's neighbourhood time step: the bins of the same neighbourhood in this many
        earlier periods join each bin's neighbourhood (1, Esri's default; 0: each period
        alone).
    global_window : {"entire cube", "neighbourhood time step", "individual time step"}
        What each bin is compared with (Esri's global window; default the entire cube).
    alpha : float
        A period is significant when its raw p is below this, when ``fdr`` is None.
    fdr : float or None
        Benjamini-Hochberg level across units within each period (0.10, Esri's 90%
        confidence after FDR); ``None`` switches the adjustment off. (A bool is read as
        before, with a FutureWarning: True means ``fdr=alpha``, False ``None``.)
    trend_alpha : float
        Significance of the Mann-Kendall trend. With fewer periods than
        :func:`mann_kendall_min_periods` no trend can reach it: a warning and the notes say so.
    gaps : {"drop", "raise"}
        Periods with no record anywhere in the area (``cube.attrs["empty_periods"]``, or
        columns that are zero everywhere), and periods reaching outside the study window
        (``cube.attrs["partial_periods"]``): left out with a warning, or refused.

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
    >>> res = emerging_hotspots(cube, [f"p{t}" for t in range(8)], fdr=None)
    >>> res.units.loc[24, "category"]
    'consecutive hot spot'
    """
    if isinstance(fdr, bool | np.bool_):
        new = alpha if fdr else None
        warnings.warn(
            f"fdr={bool(fdr)} is deprecated: fdr is a level (or None); write fdr={new!r}",
            FutureWarning,
            stacklevel=2,
        )
        fdr = new
    if fdr is not None and not 0 < float(fdr) < 1:
        raise HspworkError(f"fdr must be between 0 and 1 (or None), got {fdr!r}")
    if gaps not in ("drop", "raise"):
        raise HspworkError(f"gaps={gaps!r} is not allowed; use 'drop' or 'raise'")
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
    y_all = cube[periods].to_numpy(dtype="float64")
    known = set(cube.attrs.get("empty_periods") or [])
    empty = [p for k, p in enumerate(periods) if p in known or not np.any(y_all[:, k] != 0)]
    notes = []
    if empty:
        text = (
            f"{len(empty)} of {len(periods)} periods have no record anywhere in the area "
            f"({_names(empty)}): gaps in the data, not periods without crime"
        )
        if gaps == "raise":
            raise HspworkError(
                f"{text}. Fill the gaps (download the missing months) or pass gaps='drop' "
                "to leave them out"
            )
        notes.append(text + "; left out, so no place is labelled from them")
        warnings.warn(notes[-1], HspworkWarning, stacklevel=2)
    partial = {
        k: v for k, v in (cube.attrs.get("partial_periods") or {}).items()
        if k in periods and k not in set(empty)
    }  # fmt: skip
    if partial:
        text = (
            f"{len(partial)} of {len(periods)} periods reach outside the study window ("
            + ", ".join(f"{k}: {v:.0%} inside" for k, v in partial.items())
            + "): their counts are low because of the window, not the places"
        )
        if gaps == "raise":
            raise HspworkError(
                f"{text}. Start and end the study window on period boundaries or pass "
                "gaps='drop' to leave them out"
            )
        notes.append(text + "; left out")
        warnings.warn(notes[-1], HspworkWarning, stacklevel=2)
    used = [p for p in periods if p not in set(empty) and p not in partial]
    if len(used) < 3:
        raise HspworkError(
            f"emerging hot spots need at least 3 periods with data, got {len(used)}"
            + (f" ({len(empty)} of {len(periods)} are gaps)" if empty else "")
        )
    min_periods = mann_kendall_min_periods(trend_alpha)
    if len(used) < min_periods:
        notes.append(
            f"with {len(used)} periods no Mann-Kendall trend can reach trend_alpha="
            f"{trend_alpha:g} (the smallest p-value {len(used)} periods allow is "
            f"{mann_kendall_min_p(len(used)):.2f}); at least {min_periods} are needed, so no "
            "place can be intensifying or diminishing"
        )
        warnings.warn(notes[-1], HspworkWarning, stacklevel=2)
    y = cube[used].to_numpy(dtype="float64")
    w = _neighbours(cube, neighbours)
    z = space_time_gistar(y, w, time_step, global_window)
    p = 2 * stats.norm.sf(np.abs(z))
    if fdr is not None:
        p = np.column_stack([bh_adjust(p[:, t]) for t in range(p.shape[1])])
    # bins are the ArcGIS levels; the significance threshold is fdr (or alpha without FDR)
    bins = confidence_bins(z, p)
    threshold = float(fdr) if fdr is not None else float(alpha)
    with np.errstate(invalid="ignore"):
        sig = np.where(p < threshold, np.sign(np.nan_to_num(z)), 0).astype(int)
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
        "periods": used,
        "gaps": empty,
        "partial": list(partial),
        "neighbours": plain_spec(neighbours),
        "neighbours_text": describe(neighbours),
        "time_step": int(time_step),
        "global_window": global_window,
        "alpha": float(alpha),
        "fdr": None if fdr is None else float(fdr),
        "trend_alpha": float(trend_alpha),
        "trend_min_periods": int(min_periods),
        "period": cube.attrs.get("period"),
        "value": cube.attrs.get("value"),
        "notes": notes,
    }
    drop = ("periods", "period_edges", "empty_periods", "partial_periods")
    out.attrs = {k: v for k, v in cube.attrs.items() if k not in drop}
    out.attrs["emerging"] = settings
    return EmergingHotSpots(
        units=out,
        z=pd.DataFrame(z, index=cube.index, columns=used),
        bins=pd.DataFrame(bins, index=cube.index, columns=used),
        settings=settings,
    )


def _names(periods: list[str], most: int = 6) -> str:
    if len(periods) <= most:
        return ", ".join(periods)
    return ", ".join(periods[:most]) + f" and {len(periods) - most} more"
