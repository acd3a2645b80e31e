"""Local Moran's I (Anselin 1995) with row-standardised weights and quadrants.

With ``z = (y - mean(y)) / sd(y)`` (population sd) and row-standardised weights ``w``::

    I_i = (n - 1) * z_i * sum_j w_ij z_j / sum_k z_k**2

as ``esda.Moran_Local(y, w, transformation="r")`` reports it. Quadrants follow GeoDa and esda:
HH (high value, high neighbours), LH, LL, HL; a unit not significant is ``"ns"``.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
from scipy import sparse

from hspwork.errors import HspworkError, HspworkWarning
from hspwork.targeting._inference import bh_adjust, check_alternative, permutation_inference
from hspwork.targeting._weights import NeighbourSpec, describe, describe_units, plain_spec
from hspwork.targeting.gistar import PERMUTATIONS, _neighbours, values_of

QUADRANTS = ("HH", "LH", "LL", "HL", "ns")


def row_standardise(w: sparse.csr_matrix) -> sparse.csr_matrix:
    """Divide each row by its sum (rows without neighbours stay zero)."""
    w = w.tocsr().astype(float)
    rs = np.asarray(w.sum(axis=1)).ravel()
    inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
    return sparse.diags(inv) @ w


def lisa_values(y: np.ndarray, w: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local Moran's I, the standardised values and their spatial lag.

    ``w`` is a binary neighbour matrix; it is row-standardised here.

    Examples
    --------
    A strip of four with values 1, 1, 3, 3 and rook neighbours. z = -1, -1, 1, 1 (mean 2,
    sd 1), sum z^2 = 4; lags: -1, 0, 0, 1; I = 3 * z * lag / 4 = 0.75, 0, 0, 0.75.

    >>> w = sparse.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0.]]))
    >>> i, z, lag = lisa_values(np.array([1.0, 1, 3, 3]), w)
    >>> i.tolist(), lag.tolist()
    ([0.75, -0.0, 0.0, 0.75], [-1.0, 0.0, 0.0, 1.0])
    """
    y = np.asarray(y, dtype="float64")
    n = y.size
    sd = y.std()
    if sd == 0:
        raise HspworkError("every unit has the same value: Local Moran's I is undefined")
    z = (y - y.mean()) / sd
    wr = row_standardise(w)
    lag = wr @ z
    return (n - 1) * z * lag / (z * z).sum(), z, lag


def lisa(
    units: gpd.GeoDataFrame,
    column: str,
    *,
    neighbours: NeighbourSpec = "queen",
    permutations: int = PERMUTATIONS,
    seed: int | None = None,
    fdr: float | None = 0.05,
    alternative: str = "two-sided",
    max_permutations: int | None = None,
    progress: bool | None = None,
) -> gpd.GeoDataFrame:
    """Local Moran's I clusters (HH, LL) and outliers (HL, LH) of ``column`` over ``units``.

    Parameters
    ----------
    units : GeoDataFrame
        Units with a numeric ``column`` (counts or harm), projected CRS.
    column : str
        The value to test.
    neighbours : {"queen", "rook"}, float or int
        As for :func:`hspwork.targeting.gistar`; weights are row-standardised, no self weight.
    permutations : int
        Conditional-randomisation permutations per unit (at least 1; 999 by default, as esda,
        GeoDa and :func:`hspwork.targeting.gistar`). With ``fdr`` set, units whose p-value
        is near its floor get more (see Notes).
    seed : int, optional
        Seed for the permutations; the same seed gives the same p-values.
    fdr : float or None
        Significance level for the quadrants, applied to Benjamini-Hochberg adjusted p-values;
        ``None`` uses the unadjusted ``lisa_p_sim < 0.05``.
    alternative : {"two-sided", "greater", "less", "folded"}
        Direction of the permutation test ("greater": clustering, positive I). ``"folded"``
        is GeoDa's and esda's pseudo p-value, the smaller tail not doubled: with
        ``fdr=None`` it reproduces a GeoDa cluster map at p < 0.05 (GeoDa's own setting; it
        tests at twice the nominal level and makes no allowance for testing every unit).
    max_permutations : int, optional
        Cap on the permutations any unit gets when raised for FDR (default: as many as the
        Benjamini-Hochberg threshold needs, at most about ``4 n / fdr`` in all).
    progress : bool, optional
        Progress bar over chunks of units (default: on for long runs).

    Returns
    -------
    GeoDataFrame
        A copy of ``units`` with ``lisa_i``, ``lisa_z`` (the standardised value),
        ``lisa_lag`` (its row-standardised spatial lag), ``lisa_p_sim``, ``lisa_p_adj`` and
        ``lisa_quadrant`` in {"HH", "LH", "LL", "HL", "ns"}. ``attrs["lisa"]`` records settings,
        ``permutations_max`` (the most any unit had) and ``permutations_raised`` (how many units
        had more than ``permutations``).

    Notes
    -----
    Inference is conditional randomisation (Anselin 1995), the test esda and GeoDa run: each
    unit's value stays put and its neighbours are drawn from the other units. Why the defaults
    find, under FDR, the clusters a GeoDa or esda user sees at p < 0.05: a permutation p-value
    is at least ``1 / (P + 1)`` (twice that two-sided, 0.002 with 999), but Benjamini-Hochberg
    over ``n`` units passes the ``K`` most extreme only when each p is at most ``K * fdr / n``:
    on 27,000 cells with 100 cells at the floor that is 0.00019, out of reach of 999
    permutations, so nothing was flagged. The exact conditional-randomisation p-value of a unit
    in a real cluster is far smaller than the floor; only the Monte Carlo resolution hid it.
    Here the units at or next to the floor (count in the tail at most 2) get more
    permutations, drawn afresh, until the floor is a quarter of what BH needs of them; their
    p-value counts every permutation they had, which keeps it valid (Besag & Clifford 1991;
    see :func:`hspwork.targeting._inference.permutation_inference`). Units clearly not
    significant after 99 permutations (one-sided p above 0.1) stop there, which pays for the
    top-ups several times over: at 260,000 cells the whole takes less than 999 for every unit. A warning gives the fix when a
    cap (``max_permutations``) still leaves nothing able to reach significance.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 100, y + 100) for y in range(0, 600, 100) for x in range(0, 600, 100)]
    >>> y = [0] * 36
    >>> for i in (0, 1, 6, 7):
    ...     y[i] = 10
    >>> units = gpd.GeoDataFrame({"crimes": y}, geometry=cells, crs=27700)
    >>> out = lisa(units, "crimes", permutations=99, seed=1, fdr=None)
    >>> out.loc[[0, 7, 35], "lisa_quadrant"].tolist()
    ['HH', 'HH', 'ns']
    """
    if int(permutations) < 1:
        raise HspworkError(
            f"lisa needs permutation inference: permutations must be >= 1, got {permutations}"
        )
    check_alternative(alternative)
    if fdr is not None and not (0 < float(fdr) < 1):
        raise HspworkError(f"fdr must be between 0 and 1 (or None), got {fdr!r}")
    y = values_of(units, column)
    w = _neighbours(units, neighbours)
    i_val, z, lag = lisa_values(y, w)
    wr = row_standardise(w)
    res = permutation_inference(
        z, wr, lag, permutations, seed, alternative, fdr, sign=z,
        max_permutations=max_permutations, progress=progress,
    )  # fmt: skip
    if res.note:
        warnings.warn(res.note, HspworkWarning, stacklevel=2)
    p_sim = res.p
    p_adj = bh_adjust(p_sim)
    p_use = p_adj if fdr is not None else p_sim
    level = fdr if fdr is not None else 0.05
    quad = np.select(
        [(z > 0) & (lag > 0), (z <= 0) & (lag > 0), (z <= 0) & (lag <= 0), (z > 0) & (lag <= 0)],
        ["HH", "LH", "LL", "HL"],
        default="ns",
    )
    with np.errstate(invalid="ignore"):
        sig = p_use < level
    quad = np.where(sig, quad, "ns")
    stale = ("lisa_i", "lisa_z", "lisa_lag", "lisa_p_sim", "lisa_p_adj", "lisa_quadrant")
    out = units.drop(columns=[c for c in stale if c in units.columns])
    out["lisa_i"] = i_val
    out["lisa_z"] = z
    out["lisa_lag"] = lag
    out["lisa_p_sim"] = p_sim
    out["lisa_p_adj"] = p_adj
    out["lisa_quadrant"] = quad
    out.attrs = dict(units.attrs)
    out.attrs["lisa"] = {
        "column": column,
        "neighbours": plain_spec(neighbours),
        "neighbours_text": describe(neighbours),
        "units_text": describe_units(units),
        "permutations": int(permutations),
        "permutations_min": int(res.permutations.min()),
        "permutations_max": int(res.permutations.max()),
        "permutations_raised": res.raised,
        "alternative": alternative,
        "fdr": None if fdr is None else float(fdr),
        "seed": None if seed is None else int(seed),
        "note": res.note,
    }
    return out
